//! Inverted index from sketch anchors to the articles that carry them.
//!
//! In: (anchor, slot) pairs as articles arrive. Out: for a new article's anchors, the slots that
//! share them, most shared first. Postings are a linked list per anchor in one arena (8 bytes a
//! posting, no allocation per anchor); a lookup walks at most [`MAX_POSTINGS`] of an anchor's
//! newest postings, so a phrase every article uses costs a bounded amount and finds the recent
//! copies, which are the ones that matter.

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

/// Postings per arena chunk: the arena grows a chunk at a time, so it never holds the up to
/// twice its size that a growing `Vec` does (nor copies itself while growing).
const CHUNK_BITS: u32 = 16;
const CHUNK: usize = 1 << CHUNK_BITS;

#[derive(Default)]
pub struct AnchorIndex {
    heads: HashMap<u32, u32, BuildHasherDefault<AnchorHasher>>,
    /// (slot, index of the next older posting of the same anchor), in chunks of [`CHUNK`].
    chunks: Vec<Vec<(u32, u32)>>,
    len: usize,
}

impl AnchorIndex {
    pub fn insert(&mut self, anchor: u32, slot: u32) {
        let at = self.len as u32;
        let next = self.heads.insert(anchor, at).unwrap_or(NIL);
        if self.len.is_multiple_of(CHUNK) {
            self.chunks.push(Vec::with_capacity(CHUNK));
        }
        self.chunks
            .last_mut()
            .expect("a chunk was just pushed")
            .push((slot, next));
        self.len += 1;
    }

    #[inline]
    fn posting(&self, at: u32) -> (u32, u32) {
        self.chunks[(at >> CHUNK_BITS) as usize][at as usize & (CHUNK - 1)]
    }

    /// Calls `f(slot)` for up to [`MAX_POSTINGS`] slots carrying `anchor`, newest first.
    pub fn for_each(&self, anchor: u32, mut f: impl FnMut(u32)) {
        let mut at = self.heads.get(&anchor).copied().unwrap_or(NIL);
        let mut walked = 0;
        while at != NIL && walked < MAX_POSTINGS {
            let (slot, next) = self.posting(at);
            f(slot);
            at = next;
            walked += 1;
        }
    }

    pub fn postings(&self) -> usize {
        self.len
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        // Across chunk boundaries.
        let mut big = AnchorIndex::default();
        for s in 0..(2 * CHUNK as u32 + 10) {
            big.insert(s % 3, s);
        }
        let mut got = Vec::new();
        big.for_each(1, |s| got.push(s));
        let want: Vec<u32> = (0..(2 * CHUNK as u32 + 10))
            .rev()
            .filter(|s| s % 3 == 1)
            .take(MAX_POSTINGS)
            .collect();
        assert_eq!(got, want);
        assert_eq!(big.postings(), 2 * CHUNK + 10);
    }
}
