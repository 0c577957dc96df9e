//! Screening candidates by their anchor hits, before their sketches are compared.
//!
//! In: how many sketch entries a candidate pair must share to match, and how many anchors the
//! pair was seen to share. Out: whether the pair is worth verifying.
//!
//! An anchor is a sketch entry chosen by its own hash bits (one in [`ANCHOR_RATE`]), independently
//! of the bits that put the shingle in the sketch. So the shared entries of a pair that really
//! shares `n` of them include anchors as `n` draws of probability 1/[`ANCHOR_RATE`] would: a pair
//! that shares 161 entries (half of a typical sketch) shows about 40 anchors, and 6 or fewer with a
//! probability below 10⁻¹². Most candidates the anchor index gives share one or two anchors by
//! chance (a common phrase), and their sketch comparison, which always failed, was the largest
//! part of clustering. A candidate is skipped when a pair that matched would show that few
//! anchors with a probability below [`MISS_PROBABILITY`].

use crate::fingerprint::ANCHOR_RATE;

/// The chance, for a pair that does match, that its anchor hits fall at or below the floor:
/// over a million candidates, a missed match is expected once in a million such runs.
pub const MISS_PROBABILITY: f64 = 1e-12;

/// The fewest anchor hits worth verifying, by the shared entries a match needs; grown on demand.
#[derive(Debug, Default)]
pub struct HitFloor {
    /// `min_hits[n]`: verify a pair needing `n` shared entries only with at least this many hits.
    min_hits: Vec<u32>,
}

impl HitFloor {
    /// The fewest anchor hits a pair that must share `need` sketch entries is verified with.
    pub fn min_hits(&mut self, need: usize) -> u32 {
        if need >= self.min_hits.len() {
            let from = self.min_hits.len();
            self.min_hits.extend((from..=need).map(min_hits_for));
        }
        self.min_hits[need]
    }
}

/// The smallest `t` with P(Binomial(n, 1/ANCHOR_RATE) < t) ≤ [`MISS_PROBABILITY`], computed in
/// log space (0.75ⁿ underflows for long texts).
fn min_hits_for(n: usize) -> u32 {
    let p = 1.0 / ANCHOR_RATE as f64;
    let limit = MISS_PROBABILITY.ln();
    let mut log_pmf = n as f64 * (1.0 - p).ln();
    let mut log_cdf = f64::NEG_INFINITY;
    for k in 0..=n {
        // P(X ≤ k) in log space: log(e^cdf + e^pmf).
        log_cdf = if log_cdf == f64::NEG_INFINITY {
            log_pmf
        } else {
            let (hi, lo) = if log_cdf > log_pmf {
                (log_cdf, log_pmf)
            } else {
                (log_pmf, log_cdf)
            };
            hi + (lo - hi).exp().ln_1p()
        };
        if log_cdf > limit {
            // P(X ≤ k) is too likely: k hits must be verified, fewer need not be.
            return k as u32;
        }
        log_pmf += ((n - k) as f64 / (k + 1) as f64).ln() + (p / (1.0 - p)).ln();
    }
    n as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The binomial lower tail by direct summation, for small `n` where nothing underflows.
    fn tail_below(n: usize, t: u32) -> f64 {
        let p = 1.0 / ANCHOR_RATE as f64;
        let mut choose = 1.0f64;
        let mut sum = 0.0;
        for k in 0..t as usize {
            sum += choose * p.powi(k as i32) * (1.0 - p).powi((n - k) as i32);
            choose = choose * (n - k) as f64 / (k + 1) as f64;
        }
        sum
    }

    #[test]
    fn the_floor_is_the_largest_that_misses_too_rarely() {
        let mut floor = HitFloor::default();
        for n in [0, 1, 10, 50, 100, 120, 161, 200, 300, 500] {
            let t = floor.min_hits(n);
            assert!(tail_below(n, t) <= MISS_PROBABILITY, "n={n} t={t}");
            assert!(tail_below(n, t + 1) > MISS_PROBABILITY, "n={n} t={t}");
        }
    }

    #[test]
    fn short_texts_are_always_verified_and_long_ones_screened() {
        let mut floor = HitFloor::default();
        // Below about 80 shared entries even zero hits is too likely to skip anything.
        for n in 0..80 {
            assert_eq!(floor.min_hits(n), 0, "n={n}");
        }
        // Half of a typical 8 KB article's sketch.
        assert_eq!(floor.min_hits(161), 7);
        // Very long texts do not underflow: the floor stays below the expected hits.
        let t = floor.min_hits(20_000);
        assert!(t > 4_000 && t < 5_000, "{t}");
    }
}
