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

    /// True when `source` has published this line in an earlier article at all: a line two
    /// articles of one source share is held back from a new article's fingerprint while the rest
    /// of its text is enough to match on (see `pipeline`).
    pub fn seen_in_source(&self, source: SourceId, key_hash: u64) -> bool {
        self.min_articles > 0 && self.counts.get(key(source, key_hash)) > 0
    }

    /// Counts one article's tracked lines (each line once per article), and returns those that
    /// became the source's boilerplate with it (their `min_articles`th article): articles of the
    /// source clustered before them were fingerprinted with them (see `pipeline::split`).
    pub fn record(&mut self, source: SourceId, line_hashes: &[u64]) -> Vec<u64> {
        let mut learned = Vec::new();
        if self.min_articles == 0 {
            return learned;
        }
        for &h in line_hashes {
            if u32::from(self.counts.increment(key(source, h))) == self.min_articles {
                learned.push(h);
            }
        }
        learned
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

/// The largest `min_articles` the counts can answer for (they saturate there).
pub const MAX_MIN_ARTICLES: u32 = COUNT_MASK as u32;

/// Bits of an entry of [`LineCounts`] holding the count; the others hold the key.
const COUNT_BITS: u32 = 8;
const COUNT_MASK: u64 = (1 << COUNT_BITS) - 1;

/// A count per key, saturating at 255 (only "at least `min_articles`" is ever asked).
///
/// There is one entry per distinct short line of every source, one of the largest tables: an
/// open-addressing table of 8-byte entries, 56 bits of the key and the count in one word
/// (two keys share an entry with probability 2⁻⁵⁶). A `HashMap<u64, u32>` took 17 bytes an
/// entry; keys and 16-bit counts in two arrays took 10.
#[derive(Debug, Default)]
struct LineCounts {
    entries: Vec<u64>,
    len: usize,
}

impl LineCounts {
    /// The key part of an entry for `key`: its top 56 bits after a bijective mix, so that keys
    /// differing only in their low bits stay apart (never zero: zero marks a free entry).
    #[inline]
    fn tag(key: u64) -> u64 {
        match key.wrapping_mul(0xD6E8_FEB8_6659_FD93) & !COUNT_MASK {
            0 => 1 << COUNT_BITS,
            t => t,
        }
    }

    #[inline]
    fn home(&self, tag: u64) -> usize {
        (tag.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 32) as usize & (self.entries.len() - 1)
    }

    /// Where `tag` is, or the free entry where it would go.
    #[inline]
    fn find(&self, tag: u64) -> usize {
        let mask = self.entries.len() - 1;
        let mut at = self.home(tag);
        while self.entries[at] != 0 && self.entries[at] & !COUNT_MASK != tag {
            at = (at + 1) & mask;
        }
        at
    }

    fn get(&self, key: u64) -> u8 {
        if self.entries.is_empty() {
            return 0;
        }
        (self.entries[self.find(Self::tag(key))] & COUNT_MASK) as u8
    }

    /// Adds one to the key's count and returns the new count (saturated).
    fn increment(&mut self, key: u64) -> u8 {
        if 4 * (self.len + 1) > 3 * self.entries.len() {
            self.grow();
        }
        let tag = Self::tag(key);
        let at = self.find(tag);
        let e = &mut self.entries[at];
        if *e == 0 {
            *e = tag;
            self.len += 1;
        }
        if *e & COUNT_MASK < COUNT_MASK {
            *e += 1;
            (*e & COUNT_MASK) as u8
        } else {
            // Saturated: reported as one past any `min_articles`, so it crosses nothing again.
            0
        }
    }

    fn grow(&mut self) {
        let size = (self.entries.len() * 2).max(1024);
        let old = std::mem::replace(&mut self.entries, vec![0; size]);
        for e in old.into_iter().filter(|&e| e != 0) {
            let at = self.find(e & !COUNT_MASK);
            self.entries[at] = e;
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
        assert!(l.record(a, &[7, 8]).is_empty());
        assert!(l.record(a, &[7]).is_empty());
        assert!(!l.is_boilerplate(a, 7));
        assert_eq!(
            l.record(a, &[7, 8]),
            vec![7],
            "learned with its third article"
        );
        assert!(l.is_boilerplate(a, 7));
        assert!(l.record(a, &[7]).is_empty(), "learned once");
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
            assert_eq!(u32::from(counts.get(k)), n.min(MAX_MIN_ARTICLES), "key {k}");
        }
        assert_eq!(counts.len, map.len());
        assert_eq!(counts.get(12345), 0);
    }
}
