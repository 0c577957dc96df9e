//! Fingerprints: word tokens → a 64-bit [`Simhash`] and a shingle [`Sketch`].
//!
//! In: the token hashes of an article's kept paragraphs, in reading order. Out: a [`Fingerprint`]
//! (the pipeline adds the text's [`facts`]: its names and figures line by line, which tell a copy
//! from a template filled with other facts).
//! Both parts are built from word 5-gram shingles over the whole token stream, so they do not
//! depend on how an outlet splits paragraphs.
//!
//! - The simhash (Charikar) is one 64-bit summary of the whole text: copies that change a few
//!   words stay within a small Hamming distance. It finds near-identical copies in sublinear time.
//! - The sketch keeps a content-defined sample of the shingles (one in [`SKETCH_RATE`]). Because the
//!   sample is chosen by the shingle's own hash, a trimmed copy's sketch is (nearly) a subset of the
//!   original's, so sketches measure *containment*, which one document-level simhash cannot: a copy
//!   that keeps 60% of the paragraphs shares ~60% of its original's sample and all of its own.
//!   A further sample of the sketch (one in [`ANCHOR_RATE`]) are the *anchors* the cluster index
//!   looks up.

pub mod facts;

use std::fmt;

/// Words per shingle.
pub const SHINGLE_WORDS: usize = 5;
/// One shingle in this many is kept in the sketch (chosen by hash, so copies keep the same ones).
pub const SKETCH_RATE: u64 = 4;
/// One sketch entry in this many is an anchor, looked up in the index.
pub const ANCHOR_RATE: u32 = 4;

/// A 64-bit simhash.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Simhash(pub u64);

impl Simhash {
    /// Hamming distance: the number of bits in which two simhashes differ.
    #[inline]
    pub fn distance(self, other: Simhash) -> u32 {
        (self.0 ^ other.0).count_ones()
    }

    /// SQLite has no unsigned 64-bit integer: a simhash is stored as the `i64` with the same bits.
    pub fn to_sql(self) -> i64 {
        self.0 as i64
    }

    pub fn from_sql(v: i64) -> Self {
        Simhash(v as u64)
    }
}

impl fmt::Debug for Simhash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Simhash({:016x})", self.0)
    }
}

impl fmt::Display for Simhash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:016x}", self.0)
    }
}

/// A sorted, de-duplicated sample of an article's shingle hashes (upper 32 bits).
#[derive(Clone, PartialEq, Eq, Default, Debug)]
pub struct Sketch(Box<[u32]>);

impl Sketch {
    pub fn from_unsorted(mut v: Vec<u32>) -> Self {
        v.sort_unstable();
        v.dedup();
        Sketch(v.into_boxed_slice())
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn values(&self) -> &[u32] {
        &self.0
    }

    /// The entries the cluster index is keyed on.
    pub fn anchors(&self) -> impl Iterator<Item = u32> + '_ {
        self.0
            .iter()
            .copied()
            .filter(|v| v.is_multiple_of(ANCHOR_RATE))
    }

    /// How many entries two sketches share.
    pub fn overlap(&self, other: &Sketch) -> usize {
        overlap(&self.0, &other.0)
    }

    /// Little-endian bytes, for the store.
    pub fn to_bytes(&self) -> Vec<u8> {
        self.0.iter().flat_map(|v| v.to_le_bytes()).collect()
    }

    /// Reads bytes written by [`Sketch::to_bytes`]; a trailing partial entry is ignored.
    pub fn from_bytes(b: &[u8]) -> Self {
        Sketch(
            b.chunks_exact(4)
                .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect(),
        )
    }
}

/// How many entries two sorted, de-duplicated sketches (as [`Sketch::values`]) share.
pub fn overlap(a: &[u32], b: &[u32]) -> usize {
    let (mut i, mut j, mut n) = (0, 0, 0);
    // Branch-free merge: which side advances is data, not a jump the CPU must guess (the
    // branchy merge mispredicted about every other step; this is the clusterer's hot loop).
    while i < a.len() && j < b.len() {
        let (x, y) = (a[i], b[j]);
        n += usize::from(x == y);
        i += usize::from(x <= y);
        j += usize::from(y <= x);
    }
    n
}

/// [`overlap`] when it is at least `need`, `None` otherwise: the merge stops as soon as the
/// entries left could no longer reach `need`, which is most of the time for an unrelated text.
pub fn overlap_at_least(a: &[u32], b: &[u32], need: usize) -> Option<usize> {
    #[cfg(target_arch = "x86_64")]
    let (mut i, mut j, mut n) = blocks::overlap_at_least(a, b, need)?;
    #[cfg(not(target_arch = "x86_64"))]
    let (mut i, mut j, mut n) = (0, 0, 0);
    /// Merge steps between checks.
    const STEPS: usize = 32;
    while i < a.len() && j < b.len() {
        if n + (a.len() - i).min(b.len() - j) < need {
            return None;
        }
        // At most STEPS steps, each advancing i, j or both, so neither runs past its end.
        let steps = STEPS.min(a.len() - i).min(b.len() - j);
        for _ in 0..steps {
            let (x, y) = (a[i], b[j]);
            n += usize::from(x == y);
            i += usize::from(x <= y);
            j += usize::from(y <= x);
        }
    }
    (n >= need).then_some(n)
}

/// The sketch merge four entries at a time (SSE2, which every x86-64 has).
#[cfg(target_arch = "x86_64")]
mod blocks {
    use std::arch::x86_64::*;

    /// Counts the entries `a` and `b` share, four of each at a time, while both have four left:
    /// each block of `a` is compared with the four rotations of the current block of `b`, and
    /// the block with the smaller last entry moves on (both when they are equal). Entries are
    /// unique within each list, so every shared entry is counted once, when the two blocks
    /// holding it meet. Returns where each list stands and the count so far, for the scalar
    /// merge to finish, or `None` once the entries left cannot reach `need`.
    pub(super) fn overlap_at_least(
        a: &[u32],
        b: &[u32],
        need: usize,
    ) -> Option<(usize, usize, usize)> {
        let (mut i, mut j, mut n) = (0, 0, 0);
        while i + 4 <= a.len() && j + 4 <= b.len() {
            if n + (a.len() - i).min(b.len() - j) < need {
                return None;
            }
            // SAFETY: SSE2 is part of x86-64; both loads read four entries in bounds (checked
            // by the loop condition), unaligned.
            let shared = unsafe {
                let x = _mm_loadu_si128(a.as_ptr().add(i).cast());
                let y = _mm_loadu_si128(b.as_ptr().add(j).cast());
                let m = _mm_or_si128(
                    _mm_or_si128(
                        _mm_cmpeq_epi32(x, y),
                        _mm_cmpeq_epi32(x, _mm_shuffle_epi32::<0b00_11_10_01>(y)),
                    ),
                    _mm_or_si128(
                        _mm_cmpeq_epi32(x, _mm_shuffle_epi32::<0b01_00_11_10>(y)),
                        _mm_cmpeq_epi32(x, _mm_shuffle_epi32::<0b10_01_00_11>(y)),
                    ),
                );
                _mm_movemask_ps(_mm_castsi128_ps(m)).count_ones() as usize
            };
            n += shared;
            let (x_last, y_last) = (a[i + 3], b[j + 3]);
            i += 4 * usize::from(x_last <= y_last);
            j += 4 * usize::from(y_last <= x_last);
        }
        Some((i, j, n))
    }
}

/// The fingerprint of one article version.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Fingerprint {
    pub simhash: Simhash,
    pub sketch: Sketch,
    /// Number of shingles the text had (before sampling).
    pub shingles: u32,
    /// The names and figures the text states, line by line (empty unless the pipeline adds them).
    pub facts: facts::Facts,
}

/// Finalizer of MurmurHash3: spreads the bits of a combined shingle hash.
#[inline]
fn fmix64(mut k: u64) -> u64 {
    k ^= k >> 33;
    k = k.wrapping_mul(0xff51_afd7_ed55_8ccd);
    k ^= k >> 33;
    k = k.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    k ^ (k >> 33)
}

/// Seed of every shingle hash.
const SHINGLE_SEED: u64 = 0x9e37_79b9_7f4a_7c15;
/// Token `i` of a shingle is rotated left by `i * SHINGLE_ROTATION` bits.
const SHINGLE_ROTATION: u32 = 13;

/// Hash of the shingle of `SHINGLE_WORDS` (or fewer) consecutive token hashes: the seed, xor each
/// token rotated by its position, plus the length, mixed.
#[cfg(test)]
fn shingle_hash(w: &[u64]) -> u64 {
    let mut h = SHINGLE_SEED;
    for (i, t) in w.iter().enumerate() {
        h ^= t.rotate_left((i as u32) * SHINGLE_ROTATION);
    }
    fmix64(h.wrapping_add(w.len() as u64))
}

/// The shingle hashes of a token stream, in order, as [`shingle_hash`] defines them.
///
/// The xor of the rotated tokens rolls: dropping the oldest token and rotating the rest right by
/// one position turns the window at `i` into the first four tokens of the window at `i + 1`.
fn shingle_hashes<'a>(paragraphs: impl IntoIterator<Item = &'a [u64]>, out: &mut Vec<u64>) {
    let mut window = [0u64; SHINGLE_WORDS];
    let mut filled = 0usize;
    // Position in `window` of the oldest token once it is full.
    let mut oldest = 0usize;
    // Xor of the window's tokens, each rotated by its position.
    let mut acc = 0u64;
    let last = SHINGLE_ROTATION * (SHINGLE_WORDS as u32 - 1);
    for para in paragraphs {
        let mut tokens = para.iter();
        while filled < SHINGLE_WORDS {
            let Some(&t) = tokens.next() else { break };
            window[filled] = t;
            acc ^= t.rotate_left(filled as u32 * SHINGLE_ROTATION);
            filled += 1;
            if filled == SHINGLE_WORDS {
                out.push(fmix64(
                    (SHINGLE_SEED ^ acc).wrapping_add(SHINGLE_WORDS as u64),
                ));
            }
        }
        out.reserve(tokens.len());
        for &t in tokens {
            acc = (acc ^ window[oldest]).rotate_right(SHINGLE_ROTATION) ^ t.rotate_left(last);
            window[oldest] = t;
            oldest = if oldest + 1 == SHINGLE_WORDS {
                0
            } else {
                oldest + 1
            };
            out.push(fmix64(
                (SHINGLE_SEED ^ acc).wrapping_add(SHINGLE_WORDS as u64),
            ));
        }
    }
    if filled > 0 && filled < SHINGLE_WORDS {
        // A text shorter than one shingle is one shingle of what it has.
        out.push(fmix64((SHINGLE_SEED ^ acc).wrapping_add(filled as u64)));
    }
}

/// `TABLE[v]` has byte `i` equal to bit `i` of `v`: adding it to a u64 adds bit `i` of `v` to
/// lane `i`. Eight such lanes per byte of the hash count all 64 bit positions at once.
const SPREAD: [u64; 256] = {
    let mut t = [0u64; 256];
    let mut v = 0;
    while v < 256 {
        let mut i = 0;
        while i < 8 {
            if v & (1 << i) != 0 {
                t[v] |= 1u64 << (8 * i);
            }
            i += 1;
        }
        v += 1;
    }
    t
};

/// Counts, for each of the 64 bit positions, how many added hashes have that bit set.
struct BitCounter {
    counts: [u32; 64],
    total: u32,
}

impl BitCounter {
    fn new() -> Self {
        BitCounter {
            counts: [0; 64],
            total: 0,
        }
    }

    #[cfg(test)]
    fn add(&mut self, h: u64) {
        self.add_all(&[h]);
    }

    /// Adds hashes: up to 255 at a time into eight byte-wide lanes per byte of the hash (locals,
    /// so they stay in registers), then into the counts.
    fn add_all(&mut self, hashes: &[u64]) {
        for chunk in hashes.chunks(255) {
            let mut lanes = [0u64; 8];
            for &h in chunk {
                for (b, lane) in lanes.iter_mut().enumerate() {
                    *lane += SPREAD[((h >> (8 * b)) & 0xff) as usize];
                }
            }
            for (b, lane) in lanes.iter().enumerate() {
                for i in 0..8 {
                    self.counts[8 * b + i] += ((lane >> (8 * i)) & 0xff) as u32;
                }
            }
            self.total += chunk.len() as u32;
        }
    }

    /// Bit `j` is set when more than half of the hashes have bit `j` set.
    fn finish(self) -> Simhash {
        let mut out = 0u64;
        for (j, &c) in self.counts.iter().enumerate() {
            if 2 * c > self.total {
                out |= 1 << j;
            }
        }
        Simhash(out)
    }
}

/// Fingerprints a token stream given as paragraphs of token hashes.
pub fn fingerprint<'a, P>(paragraphs: P) -> Fingerprint
where
    P: IntoIterator<Item = &'a [u64]>,
    P::IntoIter: Clone,
{
    let paragraphs = paragraphs.into_iter();
    // One shingle a token (or one for a text shorter than a shingle): sized once, not grown.
    let mut hashes = Vec::with_capacity(paragraphs.clone().map(<[u64]>::len).sum::<usize>() + 1);
    shingle_hashes(paragraphs, &mut hashes);
    let mut counter = BitCounter::new();
    counter.add_all(&hashes);
    // The sample, without a branch per shingle: every hash is written, and the write position
    // moves on only for the ones kept.
    let mut sample = vec![0u32; hashes.len()];
    let mut kept = 0;
    for &h in &hashes {
        sample[kept] = (h >> 32) as u32;
        kept += usize::from(h.is_multiple_of(SKETCH_RATE));
    }
    sample.truncate(kept);
    Fingerprint {
        simhash: counter.finish(),
        sketch: Sketch::from_unsorted(sample),
        shingles: hashes.len() as u32,
        facts: facts::Facts::default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::normalize::normalize;

    #[test]
    fn overlap_at_least_is_overlap_above_the_bar() {
        let mut next = crate::test_rng::xorshift(0x9e37_79b9_7f4a_7c15);
        for _ in 0..2_000 {
            let range = 1 + next() % 1200;
            let mut lists = [(); 2].map(|()| {
                let len = next() % 400;
                let mut v: Vec<u32> = (0..len).map(|_| (next() % range) as u32).collect();
                v.sort_unstable();
                v.dedup();
                v
            });
            let (b, a) = (lists[1].clone(), std::mem::take(&mut lists[0]));
            let n = overlap(&a, &b);
            for need in [0, 1, n.saturating_sub(1), n, n + 1, n + 40] {
                let want = (n >= need).then_some(n);
                assert_eq!(overlap_at_least(&a, &b, need), want, "{a:?} {b:?} {need}");
            }
        }
    }

    fn fp(text: &str) -> Fingerprint {
        let n = normalize(text);
        fingerprint(n.paragraphs.iter().map(|p| p.tokens.as_slice()))
    }

    #[test]
    fn bit_counter_matches_a_plain_count() {
        let hashes: Vec<u64> = (0..1000u64).map(|i| fmix64(i * 7919)).collect();
        let mut c = BitCounter::new();
        for &h in &hashes {
            c.add(h);
        }
        let got = c.finish();
        let mut want = 0u64;
        for j in 0..64 {
            let ones = hashes.iter().filter(|h| *h >> j & 1 == 1).count();
            if 2 * ones > hashes.len() {
                want |= 1 << j;
            }
        }
        assert_eq!(got, Simhash(want));
    }

    #[test]
    fn paragraph_splits_do_not_change_the_fingerprint() {
        let a = fp("one two three four five six seven eight nine ten eleven twelve");
        let b = fp("One two three four five six.\nSeven eight nine ten eleven twelve!");
        assert_eq!(a, b);
    }

    #[test]
    fn a_small_edit_moves_the_simhash_a_little_and_keeps_most_of_the_sketch() {
        let words: Vec<String> = (0..600).map(|i| format!("w{}", i * 31 % 997)).collect();
        let a = fp(&words.join(" "));
        let mut edited = words.clone();
        edited[300] = "changed".into();
        let b = fp(&edited.join(" "));
        assert!(
            a.simhash.distance(b.simhash) <= 6,
            "{}",
            a.simhash.distance(b.simhash)
        );
        let shared = a.sketch.overlap(&b.sketch) as f64 / a.sketch.len() as f64;
        assert!(shared > 0.95, "{shared}");
    }

    #[test]
    fn a_truncated_copy_is_contained_in_its_original() {
        let words: Vec<String> = (0..800).map(|i| format!("w{}", i * 37 % 1009)).collect();
        let orig = fp(&words.join(" "));
        let copy = fp(&words[..480].join(" "));
        let contained = orig.sketch.overlap(&copy.sketch) as f64 / copy.sketch.len() as f64;
        assert!(contained > 0.98, "{contained}");
    }

    #[test]
    fn rolling_shingle_hashes_match_the_definition() {
        let tokens: Vec<u64> = (0..40u64).map(|i| fmix64(i + 1)).collect();
        for len in 0..tokens.len() {
            let all = &tokens[..len];
            let want: Vec<u64> = if len == 0 {
                Vec::new()
            } else if len < SHINGLE_WORDS {
                vec![shingle_hash(all)]
            } else {
                all.windows(SHINGLE_WORDS).map(shingle_hash).collect()
            };
            // Cut into paragraphs of 0 to 6 tokens: the shingles run across the cuts.
            let mut paragraphs = Vec::new();
            let mut at = 0;
            for size in [0, 1, 3, 6, 2, 0, 5].into_iter().cycle() {
                if at == len {
                    break;
                }
                let end = (at + size).min(len);
                paragraphs.push(&all[at..end]);
                at = end;
            }
            let mut got = Vec::new();
            shingle_hashes(paragraphs, &mut got);
            assert_eq!(got, want, "{len} tokens");
        }
    }

    #[test]
    fn sketch_bytes_round_trip() {
        let f = fp("the quick brown fox jumps over the lazy dog again and again and again");
        assert_eq!(Sketch::from_bytes(&f.sketch.to_bytes()), f.sketch);
        assert_eq!(
            Simhash::from_sql(Simhash(u64::MAX).to_sql()),
            Simhash(u64::MAX)
        );
    }
}
