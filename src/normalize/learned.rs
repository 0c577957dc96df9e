//! Boilerplate learned per source: lines a source repeats across many of its own articles.
//!
//! In: each new article's short lines (their key hashes) and its source. Out: which of a new
//! article's lines are that source's boilerplate. The counts are rebuilt at start from the
//! `line_hashes` the store keeps with each article, so nothing extra is written per line.

use crate::cluster::AnchorHasher;
use crate::document::SourceId;
use std::collections::HashMap;
use std::hash::BuildHasherDefault;

#[derive(Debug)]
pub struct LearnedBoilerplate {
    /// Articles per (source, line), keyed by [`key`]: a line's key hash is already uniform, so
    /// the pair folds into one 64-bit key (12 bytes an entry instead of 24; there is one entry
    /// per distinct short line of every source, the largest table after the clusterer's).
    counts: HashMap<u64, u32, BuildHasherDefault<AnchorHasher>>,
    min_articles: u32,
    max_words: usize,
}

impl LearnedBoilerplate {
    /// `min_articles` = 0 turns learning off.
    pub fn new(min_articles: u32, max_words: usize) -> Self {
        LearnedBoilerplate {
            counts: HashMap::default(),
            min_articles,
            max_words,
        }
    }

    /// True when lines of this many words are tracked.
    pub fn tracks(&self, words: usize) -> bool {
        self.min_articles > 0 && words <= self.max_words
    }

    /// True when `source` has published this line in at least `min_articles` articles.
    pub fn is_boilerplate(&self, source: SourceId, key_hash: u64) -> bool {
        self.min_articles > 0
            && self
                .counts
                .get(&key(source, key_hash))
                .is_some_and(|&n| n >= self.min_articles)
    }

    /// Counts one article's tracked lines (each line once per article).
    pub fn record(&mut self, source: SourceId, line_hashes: &[u64]) {
        if self.min_articles == 0 {
            return;
        }
        for &h in line_hashes {
            *self.counts.entry(key(source, h)).or_default() += 1;
        }
    }
}

/// One key for a source and a line: the line's hash with the source's id spread over all bits
/// (two pairs share a key with probability 2⁻⁶⁴).
fn key(source: SourceId, key_hash: u64) -> u64 {
    key_hash
        ^ (source.0 as u64)
            .wrapping_mul(0x9E37_79B9_7F4A_7C15)
            .rotate_left(29)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_becomes_boilerplate_after_enough_articles_of_one_source() {
        let mut l = LearnedBoilerplate::new(3, 40);
        let (a, b) = (SourceId(1), SourceId(2));
        l.record(a, &[7, 8]);
        l.record(a, &[7]);
        assert!(!l.is_boilerplate(a, 7));
        l.record(a, &[7]);
        assert!(l.is_boilerplate(a, 7));
        assert!(!l.is_boilerplate(a, 8));
        assert!(!l.is_boilerplate(b, 7), "learned per source");
        assert!(!LearnedBoilerplate::new(0, 40).tracks(1));
    }
}
