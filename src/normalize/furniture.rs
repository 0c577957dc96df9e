//! Furniture learned across sources: short lines that many outlets print around *different*
//! articles (a CMS's registration box, a "you are the owner of this article" panel, a video
//! player's notice).
//!
//! In: each new article's short lines (their key hashes, as the store keeps them in
//! `line_hashes`), its source and the cluster it went to. Out: which lines are furniture for
//! every source. A line counts one *independent carrier* for each article that brings both a
//! A line is furniture once it has been seen in [`MIN_SPREAD`] distinct sources *and* in as
//! many distinct clusters: copies of one text (a wire story in 20 outlets) are one cluster
//! however many outlets run them, and one outlet's many articles are one source, while a panel
//! printed around unrelated pages spreads over both. The state is rebuilt at start from the stored articles' `line_hashes`,
//! sources and clusters, like the per-source counts of [`super::learned`].

use crate::document::{ClusterId, SourceId};
use std::collections::HashMap;

/// Distinct sources, and distinct clusters, that make a line furniture.
/// On stories-gva the panels that join unrelated pages are seen in 3 to 16 outlets; lines of
/// reporting shared by different clusters of 3 outlets are stock phrases ("no arrests have been
/// made", "the investigation is ongoing"), which carry no story either.
pub const MIN_SPREAD: usize = 3;

/// One carrier: a source and a cluster, packed (source in the high 24 bits).
fn carrier(source: SourceId, cluster: ClusterId) -> u64 {
    ((source.0 as u64) << 40) | (cluster.0 as u64 & ((1 << 40) - 1))
}

fn source_of(c: u64) -> u64 {
    c >> 40
}

fn cluster_of(c: u64) -> u64 {
    c & ((1 << 40) - 1)
}

#[derive(Debug, Default)]
pub struct LearnedFurniture {
    /// The first carrier of every line seen with one source and one cluster only.
    first: HashMap<u64, u64>,
    /// The carriers of lines seen with two sources or two clusters: each one brought a source or
    /// a cluster not seen with the line before (at most `2 * MIN_SPREAD - 1` are kept).
    more: HashMap<u64, Vec<u64>>,
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

    /// Counts one article's tracked lines (each line once per article).
    pub fn record(&mut self, source: SourceId, cluster: ClusterId, line_hashes: &[u64]) {
        let c = carrier(source, cluster);
        for &h in line_hashes {
            if let Some(list) = self.more.get_mut(&h) {
                if list.len() < 2 * MIN_SPREAD - 1
                    && (list.iter().all(|&o| source_of(o) != source_of(c))
                        || list.iter().all(|&o| cluster_of(o) != cluster_of(c)))
                {
                    list.push(c);
                }
                continue;
            }
            match self.first.entry(h) {
                std::collections::hash_map::Entry::Vacant(e) => {
                    e.insert(c);
                }
                std::collections::hash_map::Entry::Occupied(e) => {
                    let o = *e.get();
                    if o != c {
                        e.remove();
                        self.more.insert(h, vec![o, c]);
                    }
                }
            }
        }
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
            f.record(SourceId(i), ClusterId(100 + i), &[7, 1000 + i as u64]);
        }
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
}
