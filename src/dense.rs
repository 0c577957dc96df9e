//! Compact tables for the per-article state the pipeline keeps in memory: arrays indexed by the
//! store's dense ids, and an arena of word records ([`Words`]).
//!
//! Article, cluster and story ids are handed out one after another from 1, so a table of them
//! is an array indexed by the id, 4 bytes an id, where a hash map took ~20 bytes an entry and,
//! for a list per id, an allocation of its own. In a cold poll of 200,000 new articles nearly
//! every cluster is a single article: [`Groups`] keeps such a group inline and gives only larger
//! groups a list.
//!
//! Ids must stay below 2³² (a store of four billion articles is far beyond one process's memory
//! anyway); a larger one panics rather than aliasing another.

use crate::document::{ArticleId, ClusterId, StoryId};
use std::collections::HashMap;
use std::marker::PhantomData;

/// An id usable as an array index.
pub trait DenseId: Copy {
    fn index(self) -> usize;
    fn from_index(i: usize) -> Self;
}

macro_rules! dense_id {
    ($t:ty) => {
        impl DenseId for $t {
            #[inline]
            fn index(self) -> usize {
                usize::try_from(self.0).expect("ids are positive")
            }
            #[inline]
            fn from_index(i: usize) -> Self {
                Self(i as i64)
            }
        }
    };
}

dense_id!(ArticleId);
dense_id!(ClusterId);
dense_id!(StoryId);

/// The highest article, cluster or story id the tables hold (the two values above it mark "no
/// value" and "several members"). Ids read from the store are checked against it
/// (`store::rows::RowAt::dense_id`), so a hand-edited id is an error naming its row.
pub const MAX_ID: i64 = (u32::MAX - 2) as i64;

/// No value.
const NIL: u32 = u32::MAX;
/// In [`Groups`]: the group has several members, listed in the side table.
const MANY: u32 = u32::MAX - 1;

/// A value stored in a dense table: a slot number, or an id.
pub trait Value: Copy {
    fn pack(self) -> u32;
    fn unpack(v: u32) -> Self;
}

impl Value for u32 {
    #[inline]
    fn pack(self) -> u32 {
        assert!(self < MANY, "slot {self} out of range");
        self
    }
    #[inline]
    fn unpack(v: u32) -> Self {
        v
    }
}

impl<T: DenseId> Value for T {
    #[inline]
    fn pack(self) -> u32 {
        match u32::try_from(self.index()) {
            Ok(v) if v < MANY => v,
            _ => panic!("id {} out of range", self.index()),
        }
    }
    #[inline]
    fn unpack(v: u32) -> Self {
        T::from_index(v as usize)
    }
}

/// A map from a dense id to a value, 4 bytes an id.
pub struct DenseMap<K, V> {
    values: Vec<u32>,
    len: usize,
    _types: PhantomData<(K, V)>,
}

impl<K, V> Default for DenseMap<K, V> {
    fn default() -> Self {
        DenseMap {
            values: Vec::new(),
            len: 0,
            _types: PhantomData,
        }
    }
}

impl<K: DenseId, V: Value> DenseMap<K, V> {
    /// Room for ids up to `max` without growing.
    pub fn reserve_ids(&mut self, max: usize) {
        if max >= self.values.len() {
            self.values.reserve_exact(max + 1 - self.values.len());
        }
    }

    #[inline]
    pub fn get(&self, k: K) -> Option<V> {
        match self.values.get(k.index()) {
            Some(&v) if v != NIL => Some(V::unpack(v)),
            _ => None,
        }
    }

    /// Sets a value, returning the one it replaced.
    pub fn insert(&mut self, k: K, v: V) -> Option<V> {
        let i = k.index();
        if i >= self.values.len() {
            self.values.resize(i + 1, NIL);
        }
        let old = std::mem::replace(&mut self.values[i], v.pack());
        if old == NIL {
            self.len += 1;
            None
        } else {
            Some(V::unpack(old))
        }
    }

    pub fn remove(&mut self, k: K) -> Option<V> {
        let slot = self.values.get_mut(k.index())?;
        let old = std::mem::replace(slot, NIL);
        if old == NIL {
            None
        } else {
            self.len -= 1;
            Some(V::unpack(old))
        }
    }

    /// Number of ids with a value.
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// (id, value) pairs, by id.
    pub fn iter(&self) -> impl Iterator<Item = (K, V)> + '_ {
        self.values
            .iter()
            .enumerate()
            .filter(|&(_, &v)| v != NIL)
            .map(|(i, &v)| (K::from_index(i), V::unpack(v)))
    }
}

/// Ordered lists of values under dense ids (the members of each cluster, the clusters of each
/// story): 4 bytes an id, a list of one held inline, and a `Vec` only for longer lists.
pub struct Groups<K, V> {
    first: Vec<u32>,
    many: HashMap<u32, Vec<u32>>,
    _types: PhantomData<(K, V)>,
}

impl<K, V> Default for Groups<K, V> {
    fn default() -> Self {
        Groups {
            first: Vec::new(),
            many: HashMap::new(),
            _types: PhantomData,
        }
    }
}

impl<K: DenseId, V: Value> Groups<K, V> {
    /// Room for ids up to `max` without growing.
    pub fn reserve_ids(&mut self, max: usize) {
        if max >= self.first.len() {
            self.first.reserve_exact(max + 1 - self.first.len());
        }
    }

    #[inline]
    fn packed(&self, k: K) -> &[u32] {
        let i = k.index();
        match self.first.get(i) {
            None | Some(&NIL) => &[],
            Some(&MANY) => &self.many[&(i as u32)],
            Some(v) => std::slice::from_ref(v),
        }
    }

    /// The group's values, in the order they were added.
    pub fn get(&self, k: K) -> impl ExactSizeIterator<Item = V> + Clone + '_ {
        self.packed(k).iter().map(|&v| V::unpack(v))
    }

    /// The `n`th value of the group.
    pub fn nth(&self, k: K, n: usize) -> V {
        V::unpack(self.packed(k)[n])
    }

    pub fn len_of(&self, k: K) -> usize {
        self.packed(k).len()
    }

    pub fn contains(&self, k: K) -> bool {
        !self.packed(k).is_empty()
    }

    /// Appends a value to a group.
    pub fn push(&mut self, k: K, v: V) {
        let i = k.index();
        let key = u32::try_from(i).expect("id out of range");
        if i >= self.first.len() {
            self.first.resize(i + 1, NIL);
        }
        let v = v.pack();
        match self.first[i] {
            NIL => self.first[i] = v,
            MANY => self.many.get_mut(&key).expect("listed group").push(v),
            one => {
                self.first[i] = MANY;
                self.many.insert(key, vec![one, v]);
            }
        }
    }

    /// Takes a whole group out.
    pub fn remove(&mut self, k: K) -> Vec<V> {
        let i = k.index();
        let Some(f) = self.first.get_mut(i) else {
            return Vec::new();
        };
        let packed = match std::mem::replace(f, NIL) {
            NIL => Vec::new(),
            MANY => self.many.remove(&(i as u32)).expect("listed group"),
            one => vec![one],
        };
        packed.into_iter().map(V::unpack).collect()
    }

    /// Appends values to a group, in order.
    pub fn extend(&mut self, k: K, values: impl IntoIterator<Item = V>) {
        for v in values {
            self.push(k, v);
        }
    }

    /// Removes one value from a group (every copy of it).
    pub fn remove_value(&mut self, k: K, v: V) {
        let i = k.index();
        let v = v.pack();
        match self.first.get(i) {
            Some(&MANY) => {
                let key = i as u32;
                let list = self.many.get_mut(&key).expect("listed group");
                list.retain(|&x| x != v);
                match list.len() {
                    0 => {
                        self.many.remove(&key);
                        self.first[i] = NIL;
                    }
                    1 => {
                        self.first[i] = list[0];
                        self.many.remove(&key);
                    }
                    _ => {}
                }
            }
            Some(&one) if one == v => self.first[i] = NIL,
            _ => {}
        }
    }
}

/// Words a chunk of [`Words`] holds (4 MiB).
const CHUNK_BITS: u32 = 20;
const CHUNK_WORDS: usize = 1 << CHUNK_BITS;

/// Where a record of [`Words`] starts (its length is the caller's to keep).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WordsAt(u32);

/// Variable-length records of `u32` words for the life of the process (a stored article's
/// sketch, its story vector), appended into 4 MiB chunks instead of an allocation each.
///
/// Hundreds of thousands of small long-lived allocations, made between the short-lived ones of
/// parsing and preparing, left the allocator holding pages that no longer held much: a cold
/// poll of 200,000 articles peaked ~80 MB above its heap. A record never spans chunks: one longer
/// than a chunk (the sketch of a text of tens of megabytes) gets a chunk of its own, so any
/// length is stored. The words of a record that is replaced stay unused (only a new version of
/// an article does that).
#[derive(Default)]
pub struct Words {
    chunks: Vec<Vec<u32>>,
}

impl Words {
    /// Appends a record. Panics only when the arena is full (4096 chunks, 16 GiB of words: far
    /// beyond one process's memory, like the ids of the tables above).
    pub fn push(&mut self, record: &[u32]) -> WordsAt {
        if record.is_empty() {
            // Nothing to hold; `get` hands back an empty record for any place.
            return WordsAt(0);
        }
        let room = self
            .chunks
            .last()
            .is_some_and(|c| c.len() + record.len() <= CHUNK_WORDS);
        if !room {
            assert!(self.chunks.len() < 1 << (32 - CHUNK_BITS), "arena full");
            if record.len() >= CHUNK_WORDS {
                // A chunk of its own, exactly its size; the next record starts a new chunk.
                self.chunks.push(record.to_vec());
                return WordsAt(((self.chunks.len() - 1) as u32) << CHUNK_BITS);
            }
            self.chunks.push(Vec::new());
        }
        let index = self.chunks.len() - 1;
        let chunk = self.chunks.last_mut().expect("a chunk");
        if chunk.capacity() < chunk.len() + record.len() {
            // Grow by doubling up to a whole chunk, then never again.
            let want = (chunk.len() + record.len())
                .next_power_of_two()
                .clamp(1024, CHUNK_WORDS);
            chunk.reserve_exact(want - chunk.len());
        }
        let at = WordsAt(((index as u32) << CHUNK_BITS) | chunk.len() as u32);
        chunk.extend_from_slice(record);
        at
    }

    /// The record at `at`, `len` words long.
    #[inline]
    pub fn get(&self, at: WordsAt, len: usize) -> &[u32] {
        if len == 0 {
            return &[];
        }
        let chunk = &self.chunks[(at.0 >> CHUNK_BITS) as usize];
        let start = (at.0 as usize) & (CHUNK_WORDS - 1);
        &chunk[start..start + len]
    }
}

/// Asks the CPU to start loading the cache line of `x` (a hint only): for lookups into the large
/// tables here and in the indexes, whose memory a walk would otherwise wait for in turn.
#[inline]
pub(crate) fn prefetch<T>(x: &T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a prefetch never faults, and the pointer comes from a reference.
    unsafe {
        std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(
            (x as *const T).cast::<i8>(),
        )
    };
    #[cfg(not(target_arch = "x86_64"))]
    let _ = x;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dense_map_reads_like_a_map() {
        let mut m: DenseMap<ArticleId, u32> = DenseMap::default();
        let mut reference: HashMap<i64, u32> = HashMap::new();
        let mut x: u64 = 7;
        for _ in 0..5000 {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1);
            let id = ArticleId(1 + (x >> 40) as i64 % 300);
            let v = (x >> 20) as u32 % 1000;
            if x.is_multiple_of(3) {
                assert_eq!(m.remove(id), reference.remove(&id.0));
            } else {
                assert_eq!(m.insert(id, v), reference.insert(id.0, v));
            }
            assert_eq!(m.len(), reference.len());
        }
        let mut pairs: Vec<(i64, u32)> = reference.into_iter().collect();
        pairs.sort();
        let got: Vec<(i64, u32)> = m.iter().map(|(k, v)| (k.0, v)).collect();
        assert_eq!(got, pairs);
        assert_eq!(m.get(ArticleId(100_000)), None);
    }

    #[test]
    fn groups_keep_order_through_pushes_merges_and_removals() {
        let mut g: Groups<ClusterId, u32> = Groups::default();
        let mut reference: HashMap<i64, Vec<u32>> = HashMap::new();
        let mut x: u64 = 11;
        for step in 0..20_000u32 {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1);
            let a = ClusterId(1 + (x >> 40) as i64 % 200);
            let b = ClusterId(1 + (x >> 20) as i64 % 200);
            match x % 7 {
                0 => {
                    // Merge b into a.
                    let moved = g.remove(b);
                    let want = reference.remove(&b.0).unwrap_or_default();
                    assert_eq!(moved, want);
                    g.extend(a, moved.iter().copied());
                    if !want.is_empty() {
                        reference.entry(a.0).or_default().extend(want);
                    }
                }
                1 => {
                    let list = reference.get(&a.0).cloned().unwrap_or_default();
                    if let Some(&v) = list.get(step as usize % list.len().max(1)) {
                        g.remove_value(a, v);
                        let r = reference.get_mut(&a.0).unwrap();
                        r.retain(|&y| y != v);
                        if r.is_empty() {
                            reference.remove(&a.0);
                        }
                    }
                }
                _ => {
                    g.push(a, step);
                    reference.entry(a.0).or_default().push(step);
                }
            }
            for id in [a, b] {
                let want = reference.get(&id.0).cloned().unwrap_or_default();
                assert_eq!(g.get(id).collect::<Vec<_>>(), want);
                assert_eq!(g.len_of(id), want.len());
                assert_eq!(g.contains(id), !want.is_empty());
                if !want.is_empty() {
                    assert_eq!(g.nth(id, want.len() - 1), *want.last().unwrap());
                }
            }
        }
    }

    #[test]
    fn words_hand_back_each_record_across_chunks() {
        let mut w = Words::default();
        let mut records = Vec::new();
        let mut x: u32 = 5;
        let mut total = 0;
        // Enough words for several chunks, records of 0 to 3,000 words.
        while total < 3 * CHUNK_WORDS {
            x = x.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            let len = (x >> 8) as usize % 3000;
            let record: Vec<u32> = (0..len as u32).map(|i| i ^ x).collect();
            records.push((w.push(&record), record));
            total += len;
        }
        assert!(w.chunks.len() >= 3);
        for (at, record) in &records {
            assert_eq!(w.get(*at, record.len()), record.as_slice());
        }
    }

    #[test]
    fn records_longer_than_a_chunk_and_empty_ones_are_stored_too() {
        let mut w = Words::default();
        let small: Vec<u32> = (0..1000).collect();
        let huge: Vec<u32> = (0..CHUNK_WORDS as u32 + 124_115).rev().collect();
        let filler: Vec<u32> = vec![9; CHUNK_WORDS - 2 * small.len()];
        let mut records = Vec::new();
        for r in [
            &small,
            &huge,
            &small,
            &filler,
            &small,
            &small,
            &huge,
            &vec![],
        ] {
            records.push((w.push(r), r.clone()));
        }
        assert_eq!(w.chunks.iter().map(Vec::len).max(), Some(huge.len()));
        for (at, record) in &records {
            assert_eq!(w.get(*at, record.len()), record.as_slice());
        }
        // An empty record after a chunk full to the word.
        let mut w = Words::default();
        let full = vec![3; CHUNK_WORDS];
        let (at_full, at_empty) = (w.push(&full), w.push(&[]));
        assert_eq!(w.get(at_full, full.len()), full.as_slice());
        assert_eq!(w.get(at_empty, 0), &[] as &[u32]);
    }

    #[test]
    fn ids_are_stored_as_values() {
        let mut m: DenseMap<ClusterId, StoryId> = DenseMap::default();
        m.insert(ClusterId(3), StoryId(9));
        assert_eq!(m.get(ClusterId(3)), Some(StoryId(9)));
        let mut g: Groups<StoryId, ClusterId> = Groups::default();
        g.push(StoryId(9), ClusterId(3));
        g.push(StoryId(9), ClusterId(4));
        assert_eq!(
            g.get(StoryId(9)).collect::<Vec<_>>(),
            [ClusterId(3), ClusterId(4)]
        );
    }
}
