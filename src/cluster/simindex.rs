//! Hamming-distance index over simhashes: every stored fingerprint within distance `k` of a query,
//! in sublinear time.
//!
//! Multi-index hashing (Manku, Jain and Das Sarma, WWW 2007; Norouzi et al., CVPR 2012): the 64
//! bits are cut into `k + 1` blocks, and by pigeonhole two fingerprints within distance `k` agree
//! exactly on at least one block. Each block has a table sorted by that block's bits; a query
//! scans the run of its own block's value in each table and checks the full distance. Tables hold
//! the full fingerprints next to their slots, so the scan is a linear pass over contiguous memory.

use crate::cluster::anchors::AnchorHasher;
use crate::fingerprint::Simhash;
use std::collections::HashMap;
use std::hash::BuildHasherDefault;

/// At most this many bits of a block address its bucket.
const KEY_BITS: u32 = 20;

/// The buffer is merged into the sorted tables when it holds this many fingerprints, or an
/// eighth of a table if that is more: each entry is then moved a bounded number of times.
const MIN_MERGE: usize = 1 << 15;

/// Buffered fingerprints per key, about, at which a large index merges its buffer.
const PENDING_PER_KEY: usize = 4;

/// Sorted entries per directory bucket, about (a lookup binary-searches one bucket).
const BUCKET_ENTRIES: usize = 8;

const NIL: u32 = u32::MAX;

/// One block's table: every merged fingerprint, sorted by the block's key (then by insertion),
/// so the fingerprints sharing a key are one contiguous run.
struct Table {
    shift: u32,
    key_bits: u32,
    fps: Vec<u64>,
    slots: Vec<u32>,
    /// `dir[b]..dir[b + 1]` are the entries whose key's top `dir_bits` bits are `b`.
    dir: Vec<u32>,
    dir_bits: u32,
    /// Buffered fingerprints by key: (first, last) index into `pending`, oldest first.
    heads: HashMap<u32, (u32, u32), BuildHasherDefault<AnchorHasher>>,
    /// Fingerprints not merged yet, in insertion order, each linked to the next with its key:
    /// one cache line a step of a lookup.
    pending: Vec<Pending>,
}

#[derive(Clone, Copy)]
struct Pending {
    fp: u64,
    slot: u32,
    next: u32,
}

impl Table {
    #[inline]
    fn key(&self, fp: u64) -> u32 {
        ((fp >> self.shift) & ((1u64 << self.key_bits) - 1)) as u32
    }

    #[inline]
    fn bucket(&self, key: u32) -> usize {
        (key >> (self.key_bits - self.dir_bits)) as usize
    }

    /// The merged entries with this key.
    fn run(&self, key: u32) -> std::ops::Range<usize> {
        if self.fps.is_empty() {
            return 0..0;
        }
        let b = self.bucket(key);
        let (lo, hi) = (self.dir[b] as usize, self.dir[b + 1] as usize);
        let bucket = &self.fps[lo..hi];
        let start = lo + bucket.partition_point(|&fp| self.key(fp) < key);
        let end = lo + bucket.partition_point(|&fp| self.key(fp) <= key);
        start..end
    }

    /// Moves the buffered fingerprints into the sorted arrays.
    fn merge(&mut self) {
        let mut pending = std::mem::take(&mut self.pending);
        self.heads = HashMap::default();
        // Stable: a key's buffered entries stay in insertion order, after its older ones.
        pending.sort_by_key(|p| self.key(p.fp));

        // Merge from the back, in place: the arrays grow by exactly the new entries.
        let old = self.fps.len();
        let total = old + pending.len();
        self.fps.reserve_exact(pending.len());
        self.slots.reserve_exact(pending.len());
        self.fps.resize(total, 0);
        self.slots.resize(total, 0);
        let (mut i, mut j, mut k) = (old, pending.len(), total);
        while j > 0 {
            k -= 1;
            let new = pending[j - 1];
            // Equal keys: the buffered (newer) entry goes after the merged ones.
            if i > 0 && self.key(self.fps[i - 1]) > self.key(new.fp) {
                i -= 1;
                self.fps[k] = self.fps[i];
                self.slots[k] = self.slots[i];
            } else {
                j -= 1;
                self.fps[k] = new.fp;
                self.slots[k] = new.slot;
            }
        }

        let buckets = (total / BUCKET_ENTRIES).max(1).next_power_of_two();
        self.dir_bits = buckets.trailing_zeros().min(self.key_bits);
        let mut dir = vec![0u32; (1 << self.dir_bits) + 1];
        for &fp in &self.fps {
            dir[self.bucket(self.key(fp)) + 1] += 1;
        }
        for b in 0..(1 << self.dir_bits) {
            dir[b + 1] += dir[b];
        }
        self.dir = dir;
    }
}

/// A multi-index hash over 64-bit simhashes, answering "all within distance `k`".
///
/// Each table is one sorted array (12 bytes an entry, no per-bucket allocation), found through a
/// directory sized to the data; new fingerprints wait in a buffer chained by key, merged in bulk.
/// A table of a `Vec` per bucket cost 12.6 MB of empty bucket headers before the first article.
pub struct SimhashIndex {
    k: u32,
    tables: Vec<Table>,
    min_merge: usize,
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
            // keyed by their low bits only.
            tables.push(Table {
                shift,
                key_bits: width.min(KEY_BITS),
                fps: Vec::new(),
                slots: Vec::new(),
                dir: Vec::new(),
                dir_bits: 0,
                heads: HashMap::default(),
                pending: Vec::new(),
            });
            shift += width;
        }
        SimhashIndex {
            k,
            tables,
            min_merge: MIN_MERGE,
        }
    }

    pub fn radius(&self) -> u32 {
        self.k
    }

    pub fn len(&self) -> usize {
        self.tables[0].fps.len() + self.tables[0].pending.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Adds a fingerprint under a caller's slot number.
    pub fn insert(&mut self, fp: Simhash, slot: u32) {
        for t in &mut self.tables {
            let at = t.pending.len() as u32;
            t.pending.push(Pending {
                fp: fp.0,
                slot,
                next: NIL,
            });
            let key = t.key(fp.0);
            match t.heads.get_mut(&key) {
                Some((_, last)) => {
                    t.pending[*last as usize].next = at;
                    *last = at;
                }
                None => {
                    t.heads.insert(key, (at, at));
                }
            }
        }
        // Merge at an eighth of the table, but before a lookup's walk of the buffer grows past
        // a few entries a key (at 10M fingerprints an eighth was ~19 cache misses a table).
        let t = &self.tables[0];
        let cap = (t.fps.len() / 8).min(PENDING_PER_KEY << t.key_bits);
        if t.pending.len() >= self.min_merge.max(cap) {
            for t in &mut self.tables {
                t.merge();
            }
        }
    }

    /// Calls `f(slot, distance)` once for every stored fingerprint within the index's radius of
    /// `q`.
    pub fn for_each_within(&self, q: Simhash, mut f: impl FnMut(u32, u32)) {
        for (ti, t) in self.tables.iter().enumerate() {
            let key = t.key(q.0);
            let mut check = |fp: u64, slot: u32| {
                let d = (fp ^ q.0).count_ones();
                // Report each match once: from the first table whose block it shares with q.
                if d <= self.k && !self.tables[..ti].iter().any(|e| e.key(fp) == e.key(q.0)) {
                    f(slot, d);
                }
            };
            let run = t.run(key);
            for (&fp, &slot) in t.fps[run.clone()].iter().zip(&t.slots[run]) {
                check(fp, slot);
            }
            let mut at = t.heads.get(&key).map_or(NIL, |&(first, _)| first);
            while at != NIL {
                let p = t.pending[at as usize];
                check(p.fp, p.slot);
                at = p.next;
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
        for (k, min_merge) in [
            (0, MIN_MERGE),
            (3, MIN_MERGE),
            (6, MIN_MERGE),
            (3, 64),
            (1, 300),
        ] {
            let mut idx = SimhashIndex::new(k);
            // Small thresholds put most fingerprints through several merges.
            idx.min_merge = min_merge;
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
