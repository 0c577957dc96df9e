//! Hamming-distance index over simhashes: every stored fingerprint within distance `k` of a query,
//! in sublinear time.
//!
//! Multi-index hashing (Manku, Jain and Das Sarma, WWW 2007; Norouzi et al., CVPR 2012): the 64
//! bits are cut into `k + 1` blocks, and by pigeonhole two fingerprints within distance `k` agree
//! exactly on at least one block. Each block has a table of buckets addressed by that block's
//! bits; a query scans one bucket per table and checks the full distance. Buckets hold the full
//! fingerprints next to their slots, so the scan is a linear pass over contiguous memory.

use crate::fingerprint::Simhash;

/// At most this many bits of a block address its bucket.
const KEY_BITS: u32 = 20;

struct Table {
    shift: u32,
    mask: u64,
    fps: Vec<Vec<u64>>,
    slots: Vec<Vec<u32>>,
}

impl Table {
    #[inline]
    fn key(&self, fp: u64) -> usize {
        ((fp >> self.shift) & self.mask) as usize
    }
}

/// A multi-index hash over 64-bit simhashes, answering "all within distance `k`".
pub struct SimhashIndex {
    k: u32,
    tables: Vec<Table>,
    len: usize,
}

impl SimhashIndex {
    /// An empty index for radius `k` (0 ≤ k ≤ 15; blocks of at least 4 bits).
    pub fn new(k: u32) -> Self {
        assert!(
            k <= 15,
            "simhash radius {k} is too large for multi-index hashing"
        );
        let blocks = k + 1;
        let mut tables = Vec::with_capacity(blocks as usize);
        let mut shift = 0;
        for b in 0..blocks {
            let width = 64 / blocks + u32::from(b < 64 % blocks);
            // Two fingerprints that agree on a block agree on any part of it: wide blocks are
            // addressed by their low bits only, so a table never needs more than 2^KEY_BITS buckets.
            let key_bits = width.min(KEY_BITS);
            let buckets = 1usize << key_bits;
            tables.push(Table {
                shift,
                mask: (1u64 << key_bits) - 1,
                fps: vec![Vec::new(); buckets],
                slots: vec![Vec::new(); buckets],
            });
            shift += width;
        }
        SimhashIndex { k, tables, len: 0 }
    }

    pub fn radius(&self) -> u32 {
        self.k
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Adds a fingerprint under a caller's slot number.
    pub fn insert(&mut self, fp: Simhash, slot: u32) {
        for t in &mut self.tables {
            let key = t.key(fp.0);
            t.fps[key].push(fp.0);
            t.slots[key].push(slot);
        }
        self.len += 1;
    }

    /// Calls `f(slot, distance)` once for every stored fingerprint within the index's radius of
    /// `q`.
    pub fn for_each_within(&self, q: Simhash, mut f: impl FnMut(u32, u32)) {
        for (ti, t) in self.tables.iter().enumerate() {
            let key = t.key(q.0);
            let fps = &t.fps[key];
            let slots = &t.slots[key];
            for (i, &fp) in fps.iter().enumerate() {
                let d = (fp ^ q.0).count_ones();
                if d > self.k {
                    continue;
                }
                // Report each match once: from the first table whose block it shares with q.
                if self.tables[..ti].iter().any(|e| e.key(fp) == e.key(q.0)) {
                    continue;
                }
                f(slots[i], d);
            }
        }
    }

    /// All slots within the radius, with their distances.
    pub fn within(&self, q: Simhash) -> Vec<(u32, u32)> {
        let mut out = Vec::new();
        self.for_each_within(q, |s, d| out.push((s, d)));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lcg(state: &mut u64) -> u64 {
        *state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        *state ^ (*state >> 29)
    }

    #[test]
    fn finds_exactly_the_fingerprints_within_the_radius() {
        for k in [0, 3, 6] {
            let mut idx = SimhashIndex::new(k);
            let mut st = 42u64;
            let mut all = Vec::new();
            let base = lcg(&mut st);
            for i in 0..5000u32 {
                // Half random, half near the base, so both sides of the radius are exercised.
                let fp = if i % 2 == 0 {
                    lcg(&mut st)
                } else {
                    let mut v = base;
                    for _ in 0..((i / 2) % 10) {
                        v ^= 1 << (lcg(&mut st) % 64);
                    }
                    v
                };
                idx.insert(Simhash(fp), i);
                all.push(fp);
            }
            let mut got = idx.within(Simhash(base));
            got.sort();
            let want: Vec<(u32, u32)> = all
                .iter()
                .enumerate()
                .filter(|(_, fp)| (*fp ^ base).count_ones() <= k)
                .map(|(i, fp)| (i as u32, (fp ^ base).count_ones()))
                .collect();
            assert_eq!(got, want, "k = {k}");
            assert!(!want.is_empty());
        }
    }
}
