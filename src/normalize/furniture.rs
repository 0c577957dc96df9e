//! Furniture learned across sources: short lines that many outlets print around *different*
//! articles (a CMS's registration box, a "you are the owner of this article" panel, a video
//! player's notice).
//!
//! In: each new article's short lines (their key hashes, as the store keeps them in
//! `line_hashes`), its source and the cluster it went to (its *carrier*). Out: which lines are
//! furniture for every source. A line is furniture once it has been seen in [`MIN_SPREAD`]
//! distinct sources *and* in as many distinct clusters: copies of one text (a wire story in 20
//! outlets) are one cluster however many outlets run them, and one outlet's many articles are one
//! source, while a panel printed around unrelated pages spreads over both. The state is rebuilt
//! at start from the stored articles' `line_hashes`, sources and clusters, like the per-source
//! counts of [`super::learned`].

use crate::document::{ClusterId, SourceId};
use std::collections::HashMap;

/// Distinct sources, and distinct clusters, that make a line furniture. On stories-gva the panels
/// that join unrelated pages are seen in 3 to 16 outlets, and the lines of reporting seen in 3
/// or more are stock phrases ("no arrests have been made"); with 2, a wire story whose copies fell
/// into two clusters would have its lines learned (docs/BENCHMARKS.md, "Quality").
pub const MIN_SPREAD: usize = 3;

/// Bits of a source id, and of a cluster id, a carrier keeps: ids that differ only above them
/// (a multiple of 65,536 apart) count as one, which can only make furniture rarer.
const ID_BITS: u32 = 16;
const ID_MASK: u64 = (1 << ID_BITS) - 1;
/// Bits of a carrier: a source and a cluster.
const CARRIER_BITS: u32 = 2 * ID_BITS;
const CARRIER_MASK: u64 = (1 << CARRIER_BITS) - 1;

/// One carrier: a source and a cluster, packed in [`CARRIER_BITS`] bits.
fn carrier(source: SourceId, cluster: ClusterId) -> u64 {
    ((source.0 as u64 & ID_MASK) << ID_BITS) | (cluster.0 as u64 & ID_MASK)
}

fn source_of(c: u64) -> u64 {
    c >> ID_BITS
}

fn cluster_of(c: u64) -> u64 {
    c & ID_MASK
}

#[derive(Debug, Default)]
pub struct LearnedFurniture {
    /// The first carrier of every line seen.
    first: FirstCarriers,
    /// The carriers of lines seen with two sources or two clusters: each one brought a source or
    /// a cluster not seen with the line before (at most `2 * MIN_SPREAD - 1` are kept).
    more: HashMap<u64, Vec<u64>>,
}

/// The first carrier of every line, one 8-byte entry a line in an open-addressing table: the
/// line's tag (the top 32 bits of its mixed hash, never zero, which marks a free entry) and the
/// carrier. A `HashMap<u64, u64>` took about twice the memory. Two lines share a tag with
/// probability 2⁻³² (about 100 pairs among a million lines): the second then starts from the
/// first's carrier, one carrier of the three sources and clusters furniture needs.
#[derive(Debug, Default)]
struct FirstCarriers {
    entries: Vec<u64>,
    len: usize,
}

impl FirstCarriers {
    #[inline]
    fn tag(line: u64) -> u64 {
        match line.wrapping_mul(0xD6E8_FEB8_6659_FD93) & !CARRIER_MASK {
            0 => 1 << CARRIER_BITS,
            t => t,
        }
    }

    #[inline]
    fn find(&self, tag: u64) -> usize {
        let mask = self.entries.len() - 1;
        let mut at = (tag.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 32) as usize & mask;
        while self.entries[at] != 0 && self.entries[at] & !CARRIER_MASK != tag {
            at = (at + 1) & mask;
        }
        at
    }

    /// The line's first carrier, recording `c` as it when the line is new.
    fn get_or_insert(&mut self, line: u64, c: u64) -> Option<u64> {
        if 4 * (self.len + 1) > 3 * self.entries.len() {
            let size = (self.entries.len() * 2).max(1024);
            let old = std::mem::replace(&mut self.entries, vec![0; size]);
            for e in old.into_iter().filter(|&e| e != 0) {
                let at = self.find(e & !CARRIER_MASK);
                self.entries[at] = e;
            }
        }
        let tag = Self::tag(line);
        let at = self.find(tag);
        if self.entries[at] == 0 {
            self.entries[at] = tag | c;
            self.len += 1;
            None
        } else {
            Some(self.entries[at] & CARRIER_MASK)
        }
    }
}

/// Distinct sources and distinct clusters among carriers.
fn spread(carriers: &[u64]) -> (usize, usize) {
    let distinct = |f: fn(u64) -> u64| {
        let mut seen: Vec<u64> = carriers.iter().map(|&c| f(c)).collect();
        seen.sort_unstable();
        seen.dedup();
        seen.len()
    };
    (distinct(source_of), distinct(cluster_of))
}

impl LearnedFurniture {
    /// True when the line has been seen in [`MIN_SPREAD`] sources and in as many clusters.
    pub fn is_furniture(&self, key_hash: u64) -> bool {
        self.more.get(&key_hash).is_some_and(|c| {
            let (sources, clusters) = spread(c);
            sources >= MIN_SPREAD && clusters >= MIN_SPREAD
        })
    }

    /// Counts one article's tracked lines (each line once per article), and returns those that
    /// became furniture with it: articles clustered before were fingerprinted with them (see
    /// `pipeline::split`).
    pub fn record(
        &mut self,
        source: SourceId,
        cluster: ClusterId,
        line_hashes: &[u64],
    ) -> Vec<u64> {
        let c = carrier(source, cluster);
        let mut learned = Vec::new();
        let furniture = |list: &[u64]| {
            let (sources, clusters) = spread(list);
            sources >= MIN_SPREAD && clusters >= MIN_SPREAD
        };
        for &h in line_hashes {
            if let Some(list) = self.more.get_mut(&h) {
                if list.len() < 2 * MIN_SPREAD - 1
                    && (list.iter().all(|&o| source_of(o) != source_of(c))
                        || list.iter().all(|&o| cluster_of(o) != cluster_of(c)))
                {
                    let was = furniture(list);
                    list.push(c);
                    if !was && furniture(list) {
                        learned.push(h);
                    }
                }
                continue;
            }
            if let Some(o) = self.first.get_or_insert(h, c)
                && o != c
            {
                self.more.insert(h, vec![o, c]);
            }
        }
        learned
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_around_different_articles_of_many_sources_is_furniture() {
        let mut f = LearnedFurniture::default();
        for i in 1..=MIN_SPREAD as i64 {
            assert!(!f.is_furniture(7));
            let learned = f.record(SourceId(i), ClusterId(100 + i), &[7, 1000 + i as u64]);
            // Learned with the article that spread it over enough sources and clusters.
            assert_eq!(learned.is_empty(), i < MIN_SPREAD as i64, "{i}");
        }
        assert!(
            f.record(SourceId(9), ClusterId(9), &[7]).is_empty(),
            "learned once"
        );
        assert!(f.is_furniture(7));
        assert!(!f.is_furniture(1001));
    }

    #[test]
    fn copies_of_one_text_or_one_source_make_no_furniture() {
        let mut f = LearnedFurniture::default();
        // One wire story in 20 outlets: one cluster.
        for i in 1..=20 {
            f.record(SourceId(i), ClusterId(5), &[7]);
        }
        // One outlet's many different articles.
        for i in 1..=20 {
            f.record(SourceId(99), ClusterId(1000 + i), &[8]);
        }
        // A panel: pages of one outlet apart, the first pages of two more outlets joined to one.
        for (s, c) in [(1, 1), (1, 2), (2, 1), (3, 1)] {
            assert!(!f.is_furniture(9));
            f.record(SourceId(s), ClusterId(c), &[9]);
        }
        assert!(!f.is_furniture(9), "three sources, two clusters");
        f.record(SourceId(1), ClusterId(3), &[9]);
        assert!(f.is_furniture(9));
        assert!(!f.is_furniture(7));
        assert!(!f.is_furniture(8));
    }

    #[test]
    fn first_carriers_remember_like_a_map() {
        let mut first = FirstCarriers::default();
        let mut map = HashMap::new();
        let mut x: u64 = 11;
        for i in 0..50_000u64 {
            x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            let line = if i % 3 == 0 { x % 500 } else { x };
            let c = (x >> 7) & CARRIER_MASK;
            assert_eq!(
                first.get_or_insert(line, c),
                map.get(&line).copied(),
                "line {line}"
            );
            map.entry(line).or_insert(c);
        }
        assert_eq!(first.len, map.len());
    }
}
