//! Inverted index from sketch anchors to the articles that carry them.
//!
//! In: (anchor, slot) pairs as articles arrive, slots increasing. Out: for a new article's anchors,
//! the slots that share them, newest first. A lookup walks at most [`MAX_POSTINGS`] of an anchor's
//! newest postings, so a phrase every article uses costs a bounded amount and finds the recent
//! copies, which are the ones that matter.
//!
//! Most anchors are carried by one article only, so the index is laid out for that: postings
//! live in one array sorted by (anchor, slot), kept in fixed-size blocks, 8 bytes a posting and
//! no per-anchor entry, found through a directory of the anchors' top bits. New postings wait in
//! a small linked-list buffer and are merged into the array in bulk when the buffer reaches a
//! sixteenth of it (a hash map of anchor heads cost another 18 bytes a posting, more than the
//! postings themselves).

use crate::dense::prefetch;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// Postings walked per anchor and lookup.
pub const MAX_POSTINGS: usize = 64;

/// Anchors are already uniformly distributed hash bits: spread them once with a multiply.
#[derive(Default)]
pub struct AnchorHasher(u64);

impl Hasher for AnchorHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 << 8 | b as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }
    fn write_u32(&mut self, v: u32) {
        self.0 = (v as u64 | (v as u64) << 32).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
    fn write_u64(&mut self, v: u64) {
        self.0 = (v ^ (v >> 32)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

const NIL: u32 = u32::MAX;

/// The buffer is merged into the sorted array when it holds this many postings, or a sixteenth of
/// the array if that is more: each posting is then moved a bounded number of times on average.
const MIN_MERGE: usize = 1 << 15;

/// Sorted postings per directory bucket, about (a lookup binary-searches one bucket).
const BUCKET_POSTINGS: usize = 8;

/// Postings a block of the sorted array holds (512 KiB).
const BLOCK_BITS: u32 = 16;
const BLOCK: usize = 1 << BLOCK_BITS;

/// The merged postings as (anchor, slot), sorted, in fixed-size blocks. A merge streams the old
/// blocks and the buffer into new blocks, dropping each old block once it is read, so it holds
/// at most a few blocks more than the postings: growing one array of 30 MB by a sixteenth
/// copied all of it, and the copy was the poll cycle's peak.
#[derive(Default)]
struct Blocks {
    blocks: Vec<Vec<(u32, u32)>>,
    len: usize,
}

impl Blocks {
    #[inline]
    fn get(&self, i: usize) -> (u32, u32) {
        self.blocks[i >> BLOCK_BITS][i & (BLOCK - 1)]
    }

    /// The first index in `lo..hi` whose posting's anchor is above `anchor`.
    #[inline]
    fn end_of(&self, anchor: u32, mut lo: usize, mut hi: usize) -> usize {
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if self.get(mid).0 <= anchor {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        lo
    }

    fn iter(&self) -> impl Iterator<Item = (u32, u32)> + '_ {
        self.blocks.iter().flatten().copied()
    }

    /// Merges sorted `new` postings in, ties going after the old ones.
    fn merge(&mut self, new: &[(u32, u32)]) {
        let mut old = std::mem::take(&mut self.blocks).into_iter();
        let mut out = Blocks::default();
        let mut current: Vec<(u32, u32)> = Vec::new();
        let mut i = 0;
        let mut j = 0;
        loop {
            if i == current.len() {
                // Done with this old block: free it before reading the next.
                current = old.next().unwrap_or_default();
                i = 0;
            }
            let next = match (current.get(i), new.get(j)) {
                (Some(&a), Some(&b)) if a <= b => {
                    i += 1;
                    a
                }
                (_, Some(&b)) => {
                    j += 1;
                    b
                }
                (Some(&a), None) => {
                    i += 1;
                    a
                }
                (None, None) => break,
            };
            out.push(next);
        }
        *self = out;
    }

    fn push(&mut self, p: (u32, u32)) {
        if self.len.is_multiple_of(BLOCK) {
            self.blocks.push(Vec::with_capacity(BLOCK));
        }
        self.blocks.last_mut().expect("a block").push(p);
        self.len += 1;
    }
}

#[derive(Default)]
pub struct AnchorIndex {
    /// Merged postings.
    sorted: Blocks,
    /// `dir[b]..dir[b + 1]` are the sorted postings whose anchor's top `dir_bits` bits are `b`.
    dir: Vec<u32>,
    dir_bits: u32,
    /// Postings not merged yet: the newest of each anchor, and (slot, next older) links.
    heads: HashMap<u32, u32, BuildHasherDefault<AnchorHasher>>,
    recent: Vec<(u32, u32)>,
    /// The anchor of each `recent` posting, for the merge.
    recent_anchors: Vec<u32>,
}

impl AnchorIndex {
    /// Adds a posting; `slot` must be at least every slot added before.
    pub fn insert(&mut self, anchor: u32, slot: u32) {
        let at = self.recent.len() as u32;
        let next = self.heads.insert(anchor, at).unwrap_or(NIL);
        self.recent.push((slot, next));
        self.recent_anchors.push(anchor);
        if self.recent.len() >= MIN_MERGE.max(self.sorted.len / 16) {
            self.merge();
        }
    }

    /// Moves the buffered postings into the sorted array.
    fn merge(&mut self) {
        let mut new: Vec<(u32, u32)> = self
            .recent_anchors
            .iter()
            .zip(&self.recent)
            .map(|(&a, &(s, _))| (a, s))
            .collect();
        new.sort_unstable();
        self.heads = HashMap::default();
        self.recent = Vec::new();
        self.recent_anchors = Vec::new();
        self.sorted.merge(&new);
        drop(new);

        // The directory: about BUCKET_POSTINGS postings a bucket.
        let buckets = (self.sorted.len / BUCKET_POSTINGS)
            .max(1)
            .next_power_of_two();
        self.dir_bits = buckets.trailing_zeros();
        let mut dir = vec![0u32; buckets + 1];
        for (a, _) in self.sorted.iter() {
            dir[self.bucket(a) + 1] += 1;
        }
        for b in 0..buckets {
            dir[b + 1] += dir[b];
        }
        self.dir = dir;
    }

    #[inline]
    fn bucket(&self, anchor: u32) -> usize {
        if self.dir_bits == 0 {
            0
        } else {
            (anchor >> (32 - self.dir_bits)) as usize
        }
    }

    /// Calls `f(anchor, slot)` for up to [`MAX_POSTINGS`] slots carrying each of `anchors`,
    /// newest first, anchor by anchor: [`AnchorIndex::for_each`] of each, with the directory
    /// entries and the sorted postings of the next anchors requested from memory while one is
    /// walked (a lookup is mostly waiting for those two cache misses).
    pub fn for_each_of(&self, anchors: &[u32], mut f: impl FnMut(u32, u32)) {
        /// Anchors whose memory is requested ahead of the one walked.
        const AHEAD: usize = 8;
        let dir_line = |a: u32| {
            if self.sorted.len > 0 {
                prefetch(&self.dir[self.bucket(a)]);
            }
        };
        let postings_line = |a: u32| {
            if self.sorted.len > 0 {
                let lo = self.dir[self.bucket(a)] as usize;
                if lo < self.sorted.len {
                    prefetch(&self.sorted.blocks[lo >> BLOCK_BITS][lo & (BLOCK - 1)]);
                }
            }
        };
        for &a in anchors.iter().take(2 * AHEAD) {
            dir_line(a);
        }
        for &a in anchors.iter().take(AHEAD) {
            postings_line(a);
        }
        for (i, &a) in anchors.iter().enumerate() {
            if let Some(&next) = anchors.get(i + 2 * AHEAD) {
                dir_line(next);
            }
            if let Some(&next) = anchors.get(i + AHEAD) {
                postings_line(next);
            }
            self.for_each(a, |s| f(a, s));
        }
    }

    /// Calls `f(slot)` for up to [`MAX_POSTINGS`] slots carrying `anchor`, newest first.
    pub fn for_each(&self, anchor: u32, mut f: impl FnMut(u32)) {
        let mut walked = 0;
        let mut at = self.heads.get(&anchor).copied().unwrap_or(NIL);
        while at != NIL && walked < MAX_POSTINGS {
            let (slot, next) = self.recent[at as usize];
            f(slot);
            at = next;
            walked += 1;
        }
        if walked == MAX_POSTINGS || self.sorted.len == 0 {
            return;
        }
        let b = self.bucket(anchor);
        let (lo, hi) = (self.dir[b] as usize, self.dir[b + 1] as usize);
        // The anchor's run ends where the next anchor begins; walk it backwards (newest first).
        let mut at = self.sorted.end_of(anchor, lo, hi);
        while at > lo && walked < MAX_POSTINGS {
            at -= 1;
            let (a, slot) = self.sorted.get(at);
            if a != anchor {
                break;
            }
            f(slot);
            walked += 1;
        }
    }

    pub fn postings(&self) -> usize {
        self.sorted.len + self.recent.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The newest `MAX_POSTINGS` slots of `anchor` in a plain list of postings.
    fn naive(postings: &[(u32, u32)], anchor: u32) -> Vec<u32> {
        postings
            .iter()
            .rev()
            .filter(|p| p.0 == anchor)
            .map(|p| p.1)
            .take(MAX_POSTINGS)
            .collect()
    }

    #[test]
    fn lists_slots_newest_first_and_bounded() {
        let mut idx = AnchorIndex::default();
        for s in 0..100 {
            idx.insert(7, s);
        }
        idx.insert(8, 1000);
        let mut got = Vec::new();
        idx.for_each(7, |s| got.push(s));
        assert_eq!(got.len(), MAX_POSTINGS);
        assert_eq!(got[0], 99);
        let mut other = Vec::new();
        idx.for_each(8, |s| other.push(s));
        assert_eq!(other, [1000]);
        idx.for_each(9, |_| panic!("no postings"));
    }

    #[test]
    fn merged_and_buffered_postings_read_like_one_list() {
        // Enough postings for several merges; anchors from a few hot ones to many singletons,
        // including 0 and u32::MAX, and several anchors per slot.
        let mut idx = AnchorIndex::default();
        let mut all = Vec::new();
        let mut x: u32 = 99;
        let n = 5 * MIN_MERGE as u32 + 1234;
        for i in 0..n {
            x = x.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            let anchor = match i % 7 {
                0 => 0,
                1 => u32::MAX,
                2 => x % 50,
                3 => (x % 5000).wrapping_mul(0x9E37_79B1),
                _ => x,
            };
            let slot = i / 3;
            idx.insert(anchor, slot);
            all.push((anchor, slot));
        }
        assert!(idx.sorted.blocks.len() > 1 && !idx.recent.is_empty());
        assert_eq!(idx.postings(), all.len());
        let mut probes: Vec<u32> = all.iter().step_by(97).map(|p| p.0).collect();
        probes.extend([0, u32::MAX, 1, 7, 12345]);
        let mut want_all = Vec::new();
        for &a in &probes {
            let mut got = Vec::new();
            idx.for_each(a, |s| got.push(s));
            assert_eq!(got, naive(&all, a), "anchor {a}");
            want_all.extend(got.into_iter().map(|s| (a, s)));
        }
        // Many anchors at once (prefetching ahead) read the same as one at a time.
        let mut got_all = Vec::new();
        idx.for_each_of(&probes, |a, s| got_all.push((a, s)));
        assert_eq!(got_all, want_all);
    }
}
