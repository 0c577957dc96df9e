//! Quality measurement: a predicted partition of articles against a labelled one.
//!
//! In: two labellings of the same items (gold and predicted). Out: pairwise precision, recall
//! and F1 (over pairs of items placed together), the adjusted Rand index, B-cubed precision,
//! recall and F1 (per item, so a large group does not outweigh many small ones), and the sizes of
//! the largest predicted groups. Used by
//! `newsdedup eval`, which ingests a labelled JSON Lines corpus and scores clusters and stories.

use serde::Serialize;
use std::collections::HashMap;
use std::hash::Hash;

/// Scores of one partition against the gold one.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PairScores {
    /// Items in the gold labelling: the denominator of everything below.
    pub items: usize,
    /// Gold items the prediction places.
    pub scored: usize,
    /// Gold items missing from the prediction (a rejected document, a record never stored),
    /// each counted as a group of its own.
    pub missing: usize,
    /// Pairs together in both.
    pub true_pairs: u64,
    /// Pairs together in the prediction.
    pub predicted_pairs: u64,
    /// Pairs together in the gold labelling.
    pub gold_pairs: u64,
    /// True pairs over predicted pairs; `None` (JSON `null`) when nothing was predicted together.
    pub precision: Option<f64>,
    /// True pairs over gold pairs; `None` when the gold labelling puts no two items together.
    pub recall: Option<f64>,
    /// The harmonic mean of the two, 2·true / (gold + predicted): defined (0) when only one of
    /// them is, `None` when neither is.
    pub f1: Option<f64>,
    pub adjusted_rand_index: f64,
    /// B-cubed: the mean over items of the share of the item's predicted group that shares its
    /// gold label (precision), and of its gold group that shares its predicted group (recall);
    /// `None` when there are no items.
    pub bcubed_precision: Option<f64>,
    pub bcubed_recall: Option<f64>,
    pub bcubed_f1: Option<f64>,
    /// Sizes of the largest predicted groups of gold items, largest first (at most
    /// [`LARGEST_GROUPS`]): a chain that grows one group without bound shows here first.
    pub largest_groups: Vec<u64>,
}

/// Predicted group sizes reported in [`PairScores::largest_groups`].
pub const LARGEST_GROUPS: usize = 5;

fn pairs(n: u64) -> u64 {
    n * n.saturating_sub(1) / 2
}

/// Scores `predicted` against `gold`; both map each item to its group. Items missing from
/// `predicted` count as singletons (and are counted in [`PairScores::missing`]); items only in
/// `predicted` are not scored.
pub fn score<I: Eq + Hash, G: Eq + Hash, P: Eq + Hash>(
    gold: &HashMap<I, G>,
    predicted: &HashMap<I, P>,
) -> PairScores {
    let mut contingency: HashMap<(&G, Option<&P>), u64> = HashMap::new();
    let mut gold_sizes: HashMap<&G, u64> = HashMap::new();
    let mut pred_sizes: HashMap<Option<&P>, u64> = HashMap::new();
    let mut scored = 0usize;
    for (item, g) in gold {
        *gold_sizes.entry(g).or_default() += 1;
        if let Some(p) = predicted.get(item) {
            scored += 1;
            *contingency.entry((g, Some(p))).or_default() += 1;
            *pred_sizes.entry(Some(p)).or_default() += 1;
        }
    }
    let n = gold.len() as u64;
    let true_pairs: u64 = contingency.values().map(|&c| pairs(c)).sum();
    let gold_pairs: u64 = gold_sizes.values().map(|&c| pairs(c)).sum();
    let predicted_pairs: u64 = pred_sizes.values().map(|&c| pairs(c)).sum();
    // A rate over nothing is undefined, never 1.0: a prediction that places nothing together has
    // no precision, and saying 1.0 would hide it.
    let ratio = |a: u64, b: u64| (b > 0).then(|| a as f64 / b as f64);
    let precision = ratio(true_pairs, predicted_pairs);
    let recall = ratio(true_pairs, gold_pairs);
    let f1 = ratio(2 * true_pairs, gold_pairs + predicted_pairs);
    let total = pairs(n) as f64;
    let expected = if total == 0.0 {
        0.0
    } else {
        gold_pairs as f64 * predicted_pairs as f64 / total
    };
    let max = (gold_pairs as f64 + predicted_pairs as f64) / 2.0;
    let adjusted_rand_index = if (max - expected).abs() < f64::EPSILON {
        1.0
    } else {
        (true_pairs as f64 - expected) / (max - expected)
    };
    // B-cubed from the contingency table: the c items of a cell each see c of their predicted
    // group's and c of their gold group's members with both labels. A missing item is a
    // singleton: precision 1, recall 1 / its gold group's size.
    let mut bp = 0.0;
    let mut br = 0.0;
    for (&(g, p), &c) in &contingency {
        let c = c as f64;
        bp += c * c / pred_sizes[&p] as f64;
        br += c * c / gold_sizes[g] as f64;
    }
    for (item, g) in gold {
        if !predicted.contains_key(item) {
            bp += 1.0;
            br += 1.0 / gold_sizes[g] as f64;
        }
    }
    let mean = |sum: f64| (n > 0).then(|| sum / n as f64);
    let (bcubed_precision, bcubed_recall) = (mean(bp), mean(br));
    let bcubed_f1 = bcubed_precision.zip(bcubed_recall).map(|(p, r)| {
        if p + r > 0.0 {
            2.0 * p * r / (p + r)
        } else {
            0.0
        }
    });
    let mut largest_groups: Vec<u64> = pred_sizes.values().copied().collect();
    largest_groups.extend(std::iter::repeat_n(1, n as usize - scored));
    largest_groups.sort_unstable_by(|a, b| b.cmp(a));
    largest_groups.truncate(LARGEST_GROUPS);
    PairScores {
        items: n as usize,
        scored,
        missing: n as usize - scored,
        true_pairs,
        predicted_pairs,
        gold_pairs,
        precision,
        recall,
        f1,
        adjusted_rand_index,
        bcubed_precision,
        bcubed_recall,
        bcubed_f1,
        largest_groups,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(v: &[(u32, u32)]) -> HashMap<u32, u32> {
        v.iter().copied().collect()
    }

    #[test]
    fn identical_partitions_score_one() {
        let g = map(&[(1, 1), (2, 1), (3, 2), (4, 2), (5, 3)]);
        let s = score(&g, &g);
        assert_eq!(
            (s.precision, s.recall, s.f1),
            (Some(1.0), Some(1.0), Some(1.0))
        );
        assert!((s.adjusted_rand_index - 1.0).abs() < 1e-12);
    }

    #[test]
    fn known_partition_scores() {
        // gold {1,2,3} {4,5}; predicted {1,2} {3,4,5}
        let g = map(&[(1, 1), (2, 1), (3, 1), (4, 2), (5, 2)]);
        let p = map(&[(1, 7), (2, 7), (3, 8), (4, 8), (5, 8)]);
        let s = score(&g, &p);
        assert_eq!((s.true_pairs, s.gold_pairs, s.predicted_pairs), (2, 4, 4));
        assert_eq!((s.precision, s.recall), (Some(0.5), Some(0.5)));
        assert!((s.f1.unwrap() - 0.5).abs() < 1e-12);
        // ARI by hand: index 2, expected 4*4/10 = 1.6, max 4 → (2-1.6)/(4-1.6)
        assert!((s.adjusted_rand_index - 0.4 / 2.4).abs() < 1e-12);
        // B-cubed by hand. Precision: items 1, 2 see 2/2; item 3 sees 1/3; items 4, 5 see 2/3.
        // Recall: items 1, 2 see 2/3; item 3 sees 1/3; items 4, 5 see 2/2.
        let bp = (1.0 + 1.0 + 1.0 / 3.0 + 2.0 / 3.0 + 2.0 / 3.0) / 5.0;
        let br = (2.0 / 3.0 + 2.0 / 3.0 + 1.0 / 3.0 + 1.0 + 1.0) / 5.0;
        assert!((s.bcubed_precision.unwrap() - bp).abs() < 1e-12);
        assert!((s.bcubed_recall.unwrap() - br).abs() < 1e-12);
        assert!((s.bcubed_f1.unwrap() - 2.0 * bp * br / (bp + br)).abs() < 1e-12);
        assert_eq!(s.largest_groups, vec![3, 2]);
    }

    #[test]
    fn items_missing_from_the_prediction_are_counted_and_scored_as_singletons() {
        // gold {1,2,3}; 3 was not predicted (rejected), 9 has no gold label.
        let g = map(&[(1, 1), (2, 1), (3, 1)]);
        let p = map(&[(1, 5), (2, 5), (9, 5)]);
        let s = score(&g, &p);
        assert_eq!((s.items, s.scored, s.missing), (3, 2, 1));
        assert_eq!((s.true_pairs, s.gold_pairs, s.predicted_pairs), (1, 3, 1));
        // Item 3 alone: B-cubed precision 1, recall 1/3; items 1, 2: precision 1, recall 2/3.
        assert_eq!(s.bcubed_precision, Some(1.0));
        assert!(
            (s.bcubed_recall.unwrap() - (2.0 / 3.0 + 2.0 / 3.0 + 1.0 / 3.0) / 3.0).abs() < 1e-12
        );
        assert_eq!(s.largest_groups, vec![2, 1]);
    }

    #[test]
    fn everything_apart_has_full_precision_and_no_recall() {
        let g = map(&[(1, 1), (2, 1), (3, 2)]);
        let p = map(&[(1, 1), (2, 2), (3, 3)]);
        let s = score(&g, &p);
        assert_eq!((s.precision, s.recall, s.f1), (None, Some(0.0), Some(0.0)));
    }

    #[test]
    fn rates_over_nothing_are_undefined_not_one() {
        // Every item its own group in both: no pair anywhere, so no precision, recall or F1.
        let g = map(&[(1, 1), (2, 2), (3, 3)]);
        let s = score(&g, &g);
        assert_eq!((s.gold_pairs, s.predicted_pairs), (0, 0));
        assert_eq!((s.precision, s.recall, s.f1), (None, None, None));
        // Per item, everything apart agrees with everything apart.
        assert_eq!(
            (s.bcubed_precision, s.bcubed_recall),
            (Some(1.0), Some(1.0))
        );
        let empty: HashMap<u32, u32> = HashMap::new();
        let s = score(&empty, &empty);
        assert_eq!((s.bcubed_precision, s.bcubed_f1), (None, None));
        assert!(s.largest_groups.is_empty());
        // Pairs predicted where the gold has none: precision 0, recall undefined, F1 0.
        let p = map(&[(1, 9), (2, 9), (3, 9)]);
        let s = score(&g, &p);
        assert_eq!((s.precision, s.recall, s.f1), (Some(0.0), None, Some(0.0)));
    }

    #[test]
    fn f1_is_the_harmonic_mean_of_precision_and_recall() {
        // gold {1,2,3,4} {5,6}; predicted {1,2} {3,4,5,6}: true 2 of gold 7, predicted 7.
        let g = map(&[(1, 1), (2, 1), (3, 1), (4, 1), (5, 2), (6, 2)]);
        let p = map(&[(1, 1), (2, 1), (3, 2), (4, 2), (5, 2), (6, 2)]);
        let s = score(&g, &p);
        assert_eq!((s.true_pairs, s.gold_pairs, s.predicted_pairs), (3, 7, 7));
        let (pr, r) = (3.0 / 7.0, 3.0 / 7.0);
        assert!((s.f1.unwrap() - 2.0 * pr * r / (pr + r)).abs() < 1e-12);
    }
}
