//! Boilerplate learned per source: lines a source repeats across many of its own articles.
//!
//! In: each new article's short lines (their key hashes) and its source. Out: which of a new
//! article's lines are that source's boilerplate. The counts are rebuilt at start from the
//! `line_hashes` the store keeps with each article, so nothing extra is written per line.

use crate::document::SourceId;

#[derive(Debug)]
pub struct LearnedBoilerplate {
    /// Articles per (source, line), keyed by [`key`].
    counts: LineCounts,
    min_articles: u32,
    max_words: usize,
}

impl LearnedBoilerplate {
    /// `min_articles` = 0 turns learning off.
    pub fn new(min_articles: u32, max_words: usize) -> Self {
        LearnedBoilerplate {
            counts: LineCounts::default(),
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
            && u32::from(self.counts.get(key(source, key_hash))) >= self.min_articles
    }

    /// Counts one article's tracked lines (each line once per article).
    pub fn record(&mut self, source: SourceId, line_hashes: &[u64]) {
        if self.min_articles == 0 {
            return;
        }
        for &h in line_hashes {
            self.counts.increment(key(source, h));
        }
    }
}

/// One key for a source and a line: the line's hash with the source's id spread over all bits
/// (two pairs share a key with probability 2⁻⁶⁴). Zero marks a free entry of [`LineCounts`], so
/// it stands for one too.
fn key(source: SourceId, key_hash: u64) -> u64 {
    let k = key_hash
        ^ (source.0 as u64)
            .wrapping_mul(0x9E37_79B9_7F4A_7C15)
            .rotate_left(29);
    k.max(1)
}

/// A count per key, saturating at `u16::MAX` (only "at least `min_articles`" is ever asked).
///
/// There is one entry per distinct short line of every source, the largest table after the
/// clusterer's: an open-addressing table of keys and counts in two arrays takes 10 bytes an entry
/// (a `HashMap<u64, u32>` takes 17, its pairs padded to 16).
#[derive(Debug, Default)]
struct LineCounts {
    keys: Vec<u64>,
    counts: Vec<u16>,
    len: usize,
}

impl LineCounts {
    #[inline]
    fn home(&self, key: u64) -> usize {
        (key.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 32) as usize & (self.keys.len() - 1)
    }

    /// Where `key` is, or the free entry where it would go.
    #[inline]
    fn find(&self, key: u64) -> usize {
        let mask = self.keys.len() - 1;
        let mut at = self.home(key);
        while self.keys[at] != 0 && self.keys[at] != key {
            at = (at + 1) & mask;
        }
        at
    }

    fn get(&self, key: u64) -> u16 {
        if self.keys.is_empty() {
            return 0;
        }
        let at = self.find(key);
        if self.keys[at] == key {
            self.counts[at]
        } else {
            0
        }
    }

    fn increment(&mut self, key: u64) {
        if 4 * (self.len + 1) > 3 * self.keys.len() {
            self.grow();
        }
        let at = self.find(key);
        if self.keys[at] == 0 {
            self.keys[at] = key;
            self.len += 1;
        }
        self.counts[at] = self.counts[at].saturating_add(1);
    }

    fn grow(&mut self) {
        let size = (self.keys.len() * 2).max(1024);
        let keys = std::mem::replace(&mut self.keys, vec![0; size]);
        let counts = std::mem::replace(&mut self.counts, vec![0; size]);
        for (k, n) in keys.into_iter().zip(counts).filter(|e| e.0 != 0) {
            let at = self.find(k);
            self.keys[at] = k;
            self.counts[at] = n;
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

    #[test]
    fn line_counts_count_like_a_map() {
        let mut counts = LineCounts::default();
        let mut map = std::collections::HashMap::new();
        let mut x: u64 = 7;
        for i in 0..50_000u64 {
            x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            let k = match i % 4 {
                0 => 1,
                1 => u64::MAX,
                2 => 1 + x % 100,
                _ => x.max(1),
            };
            counts.increment(k);
            *map.entry(k).or_insert(0u32) += 1;
        }
        for (&k, &n) in &map {
            assert_eq!(
                u32::from(counts.get(k)),
                n.min(u32::from(u16::MAX)),
                "key {k}"
            );
        }
        assert_eq!(counts.len, map.len());
        assert_eq!(counts.get(12345), 0);
    }
}
