//! Boilerplate learned per source: lines a source repeats across many of its own articles.
//!
//! In: each new article's short lines (their key hashes) and its source. Out: which of a new
//! article's lines are that source's boilerplate. The counts are rebuilt at start from the
//! `line_hashes` the store keeps with each article, so nothing extra is written per line.

use crate::document::SourceId;
use std::collections::HashMap;

#[derive(Debug)]
pub struct LearnedBoilerplate {
    counts: HashMap<(SourceId, u64), u32>,
    min_articles: u32,
    max_words: usize,
}

impl LearnedBoilerplate {
    /// `min_articles` = 0 turns learning off.
    pub fn new(min_articles: u32, max_words: usize) -> Self {
        LearnedBoilerplate {
            counts: HashMap::new(),
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
                .get(&(source, key_hash))
                .is_some_and(|&n| n >= self.min_articles)
    }

    /// Counts one article's tracked lines (each line once per article).
    pub fn record(&mut self, source: SourceId, line_hashes: &[u64]) {
        if self.min_articles == 0 {
            return;
        }
        for &h in line_hashes {
            *self.counts.entry((source, h)).or_default() += 1;
        }
    }
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
