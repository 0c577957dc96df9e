//! Stories: clusters that report the same news in different words.
//!
//! In: each article that starts a new near-duplicate cluster, with its [`StoryFeatures`] and
//! publication time. Out: a [`StoryAssignment`]: the story it joins or starts, and stories it
//! shows to be one (a bridge merges them; the merge is recorded so old ids resolve). Copies that
//! join an existing cluster simply share that cluster's story.
//!
//! Two articles are linked when the cosine similarity of their weighted feature vectors reaches
//! `min_similarity` and they were published within `window_hours` of each other (articles without
//! a date are not held to the window). A feature's weight is its count (log-scaled) times its
//! inverse document frequency over the store's clusters, so words every story uses weigh little
//! in any language; names and figures get extra weight, because a rewrite keeps them.

pub mod closed_class;
pub mod differences;
pub mod features;
pub mod figures;

use crate::cluster::AnchorHasher;
use crate::dense::{Groups, Words, WordsAt};
pub use crate::document::StoryId;
use crate::document::{ArticleId, ClusterId};
use chrono::{DateTime, Utc};
use features::{Kind, StoryFeatures};
use std::collections::HashMap;
use std::hash::BuildHasherDefault;

pub use features::extract;

#[derive(Debug, Clone, serde::Deserialize, serde::Serialize)]
#[serde(default)]
pub struct StoryParams {
    /// Cosine similarity at which two articles report the same news.
    pub min_similarity: f64,
    /// Articles further apart in time than this are never linked.
    pub window_hours: i64,
    /// Weight of a name relative to a plain term.
    pub name_boost: f64,
    /// Weight of a figure relative to a plain term.
    pub figure_boost: f64,
    /// Features kept per article for comparison (the heaviest).
    pub vector_size: usize,
    /// Candidates compared per article.
    pub max_candidates: usize,
}

impl Default for StoryParams {
    fn default() -> Self {
        StoryParams {
            min_similarity: 0.4,
            window_hours: 72,
            name_boost: 2.0,
            figure_boost: 2.0,
            vector_size: 64,
            max_candidates: 64,
        }
    }
}

/// Document frequencies of features over the store's clusters.
#[derive(Debug, Default)]
pub struct Weights {
    df: FeatureCounts,
    docs: u32,
}

/// Pseudo-documents in which no feature occurs: keeps weights sane while the store is small.
const PRIOR_DOCS: f64 = 50.0;

impl Weights {
    pub fn record(&mut self, features: &[u32]) {
        self.docs += 1;
        for &f in features {
            self.df.increment(f);
        }
    }

    pub fn idf(&self, feature: u32) -> f64 {
        let df = self.df.get(feature) as f64;
        ((self.docs as f64 + PRIOR_DOCS) / (df + 1.0)).ln().max(0.0)
    }

    pub fn docs(&self) -> u32 {
        self.docs
    }
}

/// A count per feature id: an open-addressing table of (feature, count) pairs, a zero count
/// marking a free entry. A new article's ~800 features each touch a random entry of a table of
/// every feature seen, so [`FeatureCounts::prefetch`] lets the lookups of one article overlap
/// instead of waiting for memory one at a time.
#[derive(Debug, Default)]
struct FeatureCounts {
    entries: Vec<(u32, u32)>,
    len: usize,
}

impl FeatureCounts {
    #[inline]
    fn home(&self, feature: u32) -> usize {
        ((feature as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 32) as usize
            & (self.entries.len() - 1)
    }

    fn get(&self, feature: u32) -> u32 {
        if self.entries.is_empty() {
            return 0;
        }
        let mask = self.entries.len() - 1;
        let mut at = self.home(feature);
        loop {
            let (f, n) = self.entries[at];
            if n == 0 {
                return 0;
            }
            if f == feature {
                return n;
            }
            at = (at + 1) & mask;
        }
    }

    /// Adds one to a feature's count and returns the new count.
    fn increment(&mut self, feature: u32) -> u32 {
        if 2 * (self.len + 1) > self.entries.len() {
            self.grow();
        }
        let mask = self.entries.len() - 1;
        let mut at = self.home(feature);
        loop {
            let e = &mut self.entries[at];
            if e.1 == 0 {
                *e = (feature, 1);
                self.len += 1;
                return 1;
            }
            if e.0 == feature {
                e.1 += 1;
                return e.1;
            }
            at = (at + 1) & mask;
        }
    }

    fn grow(&mut self) {
        let size = (self.entries.len() * 2).max(1024);
        let old = std::mem::replace(&mut self.entries, vec![(0, 0); size]);
        let mask = size - 1;
        for (f, n) in old.into_iter().filter(|e| e.1 > 0) {
            let mut at = self.home(f);
            while self.entries[at].1 != 0 {
                at = (at + 1) & mask;
            }
            self.entries[at] = (f, n);
        }
    }

    /// Asks the CPU to start loading the entry a feature lives in (a hint only).
    #[inline]
    fn prefetch(&self, feature: u32) {
        if !self.entries.is_empty() {
            crate::dense::prefetch(&self.entries[self.home(feature)]);
        }
    }
}

/// A sparse weighted vector, sorted by feature, unit length.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StoryVector(pub Vec<(u32, f32)>);

impl StoryVector {
    /// Weighs features and keeps the `size` heaviest, normalized to unit length.
    pub fn build(f: &StoryFeatures, w: &Weights, p: &StoryParams) -> StoryVector {
        Self::build_with(f, p, |id| w.idf(id))
    }

    /// [`StoryVector::build`] with the inverse document frequency given by `idf`.
    fn build_with(
        f: &StoryFeatures,
        p: &StoryParams,
        mut idf: impl FnMut(u32) -> f64,
    ) -> StoryVector {
        let mut v: Vec<(u32, f32)> = Vec::with_capacity(f.features.len());
        v.extend(f.features.iter().map(|&(id, kind, n)| {
            let boost = match kind {
                Kind::Term => 1.0,
                Kind::Name => p.name_boost,
                Kind::Figure => p.figure_boost,
            };
            (id, ((1.0 + (n as f64).ln()) * idf(id) * boost) as f32)
        }));
        v.retain(|&(_, x)| x > 0.0);
        // The heaviest first (ties by feature): select them, then order only those.
        let heavier = |a: &(u32, f32), b: &(u32, f32)| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0));
        if p.vector_size > 0 && v.len() > p.vector_size {
            v.select_nth_unstable_by(p.vector_size - 1, heavier);
        }
        v.truncate(p.vector_size);
        v.sort_unstable_by(heavier);
        let norm = v.iter().map(|x| (x.1 as f64).powi(2)).sum::<f64>().sqrt() as f32;
        if norm > 0.0 {
            for x in &mut v {
                x.1 /= norm;
            }
        }
        v.sort_unstable_by_key(|x| x.0);
        StoryVector(v)
    }

    pub fn cosine(&self, other: &StoryVector) -> f64 {
        let (a, b) = (&self.0, &other.0);
        let (mut i, mut j, mut s) = (0, 0, 0f64);
        while i < a.len() && j < b.len() {
            match a[i].0.cmp(&b[j].0) {
                std::cmp::Ordering::Less => i += 1,
                std::cmp::Ordering::Greater => j += 1,
                std::cmp::Ordering::Equal => {
                    s += a[i].1 as f64 * b[j].1 as f64;
                    i += 1;
                    j += 1;
                }
            }
        }
        s
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        self.0
            .iter()
            .flat_map(|(f, w)| f.to_le_bytes().into_iter().chain(w.to_le_bytes()))
            .collect()
    }

    pub fn from_bytes(b: &[u8]) -> StoryVector {
        StoryVector(
            b.chunks_exact(8)
                .map(|c| {
                    (
                        u32::from_le_bytes([c[0], c[1], c[2], c[3]]),
                        f32::from_le_bytes([c[4], c[5], c[6], c[7]]),
                    )
                })
                .collect(),
        )
    }
}

/// A vector as a small open-addressing table, for many cosines against it: each costs one probe
/// per entry of the other vector instead of a merge of the two.
struct QueryTable {
    entries: Vec<(u32, f32)>,
    mask: usize,
}

impl QueryTable {
    fn new(v: &StoryVector) -> Self {
        let size = (v.0.len() * 4).next_power_of_two().max(16);
        let mut entries = vec![(0u32, 0f32); size];
        for &(f, w) in &v.0 {
            let mut at = Self::home(f, size - 1);
            // Weights are positive: a zero weight marks a free entry.
            while entries[at].1 != 0.0 {
                at = (at + 1) & (size - 1);
            }
            entries[at] = (f, w);
        }
        QueryTable {
            entries,
            mask: size - 1,
        }
    }

    #[inline]
    fn home(f: u32, mask: usize) -> usize {
        (f.wrapping_mul(0x9E37_79B1) >> 7) as usize & mask
    }

    /// The cosine with a stored vector: the sum of [`StoryVector::cosine`] over the stored
    /// (quantized) weights, in the same order (by feature), scaled once at the end.
    fn cosine(&self, other: &StoredVector) -> f64 {
        let (features, weights) = other.parts();
        let mut s = 0f64;
        for (i, &f) in features.iter().enumerate() {
            let mut at = Self::home(f, self.mask);
            loop {
                let (g, x) = self.entries[at];
                if x == 0.0 {
                    break;
                }
                if g == f {
                    s += x as f64 * StoredVector::quantized(weights, i) as f64;
                    break;
                }
                at = (at + 1) & self.mask;
            }
        }
        s / StoredVector::SCALE as f64
    }
}

/// Where a cluster-starting article went.
#[derive(Debug, Clone, PartialEq)]
pub struct StoryAssignment {
    pub story: StoryId,
    pub started: bool,
    /// The article it was linked to, and how similar they are.
    pub best: Option<(ArticleId, f64)>,
    /// Stories merged into `story`.
    pub merged: Vec<StoryId>,
}

struct Slot {
    article: ArticleId,
    story: StoryId,
    /// Seconds since the Unix epoch, or [`NO_DATE`].
    published: i64,
    /// The vector's words in [`Storyteller::vectors`] (see [`StoredVector`]).
    vector_at: WordsAt,
    vector_words: u32,
}

/// The `published` of an article without a date.
const NO_DATE: i64 = i64::MIN;

/// A stored article's [`StoryVector`] in 6 bytes an entry instead of 8: one [`Words`] record
/// holding the features, then the weights quantized to 16 bits, two to a word. The weights of a unit
/// vector are in (0, 1], so a weight moves by at most 2⁻¹⁷ and a cosine by at most 2⁻¹⁷ times
/// the sum of the query's weights (under 2⁻¹⁴ for 64 features), far below any threshold's
/// meaning. The vectors are the story linker's largest table (one per cluster-starting article).
struct StoredVector<'a>(&'a [u32]);

impl StoredVector<'_> {
    const SCALE: f32 = u16::MAX as f32;

    /// The words a vector is stored in.
    fn encode(v: &StoryVector) -> Vec<u32> {
        let n = v.0.len();
        let mut data = Vec::with_capacity(n + n.div_ceil(2));
        data.extend(v.0.iter().map(|&(f, _)| f));
        for pair in v.0.chunks(2) {
            let q = |w: f32| (w.clamp(0.0, 1.0) * Self::SCALE).round() as u32;
            let hi = pair.get(1).map_or(0, |&(_, w)| q(w));
            data.push(q(pair[0].1) | hi << 16);
        }
        data
    }

    fn len(&self) -> usize {
        // n features take n + ⌈n/2⌉ words.
        2 * self.0.len() / 3
    }

    /// The features, and the quantized weights two to a word (the first in the low half).
    fn parts(&self) -> (&[u32], &[u32]) {
        self.0.split_at(self.len())
    }

    /// The `i`th quantized weight of [`StoredVector::parts`]' weights.
    #[inline]
    fn quantized(weights: &[u32], i: usize) -> u32 {
        (weights[i / 2] >> (16 * (i % 2))) & 0xFFFF
    }

    /// Asks the CPU to start loading the vector (a hint only): the linker computes cosines
    /// against up to 64 stored vectors an article, scattered over the arena, and waiting for
    /// each one's memory in turn was most of a cosine's cost.
    #[inline]
    fn prefetch(&self) {
        for line in self.0.chunks(16) {
            crate::dense::prefetch(&line[0]);
        }
    }

    /// (feature, weight) pairs, by feature.
    #[cfg(test)]
    fn iter(&self) -> impl Iterator<Item = (u32, f32)> + '_ {
        let (features, weights) = self.parts();
        features
            .iter()
            .enumerate()
            .map(move |(i, &f)| (f, Self::quantized(weights, i) as f32 / Self::SCALE))
    }
}

/// Postings walked per feature and lookup (the newest).
const MAX_POSTINGS: usize = 128;

/// Features of a new article looked up in the index (its heaviest): light features are shared by
/// many articles and add candidates, not evidence.
const QUERY_FEATURES: usize = 24;

/// The online story linker.
pub struct Storyteller {
    params: StoryParams,
    weights: Weights,
    slots: Vec<Slot>,
    /// The slots' vectors, one record each.
    vectors: Words,
    postings: HashMap<u32, Vec<u32>, BuildHasherDefault<AnchorHasher>>,
    stories: Groups<StoryId, u32>,
    /// Scratch for [`Storyteller::links`]: a score per slot, all zero between calls.
    scores: Vec<f32>,
}

impl Storyteller {
    pub fn new(params: StoryParams) -> Self {
        Storyteller {
            params,
            weights: Weights::default(),
            slots: Vec::new(),
            vectors: Words::default(),
            postings: HashMap::default(),
            stories: Groups::default(),
            scores: Vec::new(),
        }
    }

    pub fn params(&self) -> &StoryParams {
        &self.params
    }

    pub fn weights(&self) -> &Weights {
        &self.weights
    }

    /// Counts a cluster-starting article's features in the document frequencies.
    pub fn record_features(&mut self, features: &[u32]) {
        self.weights.record(features);
    }

    /// Counts a cluster-starting article's features in the document frequencies and builds its
    /// vector with the counts that include it: [`Storyteller::record_features`] then
    /// [`Storyteller::vector`], with one table lookup a feature instead of two.
    pub fn record_and_vector(&mut self, features: &StoryFeatures) -> StoryVector {
        let w = &mut self.weights;
        w.docs += 1;
        let docs = w.docs as f64 + PRIOR_DOCS;
        let df = &mut w.df;
        // Room first, so the prefetched entries stay where they are.
        while 2 * (df.len + features.features.len()) > df.entries.len() {
            df.grow();
        }
        for &(id, _, _) in &features.features {
            df.prefetch(id);
        }
        StoryVector::build_with(features, &self.params, |id| {
            let n = df.increment(id);
            (docs / (n as f64 + 1.0)).ln().max(0.0)
        })
    }

    /// Puts back a stored cluster-starting article.
    pub fn restore(
        &mut self,
        article: ArticleId,
        story: StoryId,
        published: Option<DateTime<Utc>>,
        vector: &StoryVector,
    ) {
        self.add(article, story, published, vector);
    }

    fn add(
        &mut self,
        article: ArticleId,
        story: StoryId,
        published: Option<DateTime<Utc>>,
        vector: &StoryVector,
    ) {
        let slot = self.slots.len() as u32;
        for &(f, _) in &vector.0 {
            let list = self.postings.entry(f).or_default();
            // Lookups walk only the newest MAX_POSTINGS: older ones are dropped in bulk, so a
            // common feature's list stays bounded (and lookups see exactly what they did). A
            // full list grows by a quarter, not by doubling, and is cut back when that is full.
            if list.len() == list.capacity() && list.len() >= MAX_POSTINGS {
                if list.len() >= MAX_POSTINGS + MAX_POSTINGS / 4 {
                    list.drain(..list.len() - MAX_POSTINGS);
                } else {
                    list.reserve_exact(MAX_POSTINGS + MAX_POSTINGS / 4 - list.len());
                }
            }
            list.push(slot);
        }
        let words = StoredVector::encode(vector);
        let vector_at = self.vectors.push(&words);
        self.slots.push(Slot {
            article,
            story,
            published: published.map_or(NO_DATE, |t| t.timestamp()),
            vector_at,
            vector_words: words.len() as u32,
        });
        self.stories.push(story, slot);
    }

    /// A slot's stored vector.
    #[inline]
    fn stored(&self, slot: u32) -> StoredVector<'_> {
        let s = &self.slots[slot as usize];
        StoredVector(self.vectors.get(s.vector_at, s.vector_words as usize))
    }

    fn in_window(&self, a: Option<DateTime<Utc>>, b: i64) -> bool {
        match a {
            Some(a) if b != NO_DATE => {
                (a.timestamp().saturating_sub(b) / 3600).abs() <= self.params.window_hours
            }
            _ => true,
        }
    }

    /// Stored articles linked to a vector, most similar first.
    ///
    /// Candidates are the stored articles sharing the vector's [`QUERY_FEATURES`] heaviest
    /// features (the newest [`MAX_POSTINGS`] of each); the best `max_candidates` of them by shared
    /// weight are checked on the full cosine.
    pub fn links(
        &mut self,
        vector: &StoryVector,
        published: Option<DateTime<Utc>>,
    ) -> Vec<(u32, f64)> {
        let mut query: Vec<(u32, f32)> = vector.0.clone();
        if query.len() > QUERY_FEATURES {
            query.select_nth_unstable_by(QUERY_FEATURES - 1, |a, b| b.1.total_cmp(&a.1));
            query.truncate(QUERY_FEATURES);
        }
        // The lists are looked up first and their newest ends prefetched: the lookups do not
        // depend on each other, so their cache misses overlap instead of coming one a feature.
        let mut lists: Vec<(&[u32], f32)> = Vec::with_capacity(query.len());
        for &(f, w) in &query {
            if let Some(list) = self.postings.get(&f) {
                let newest = &list[list.len().saturating_sub(MAX_POSTINGS)..];
                if let Some(last) = newest.last() {
                    crate::dense::prefetch(last);
                }
                lists.push((newest, w));
            }
        }
        // Shared weight per stored article, in a table indexed by slot (zero between calls).
        let scores = &mut self.scores;
        scores.resize(self.slots.len(), 0.0);
        let mut touched: Vec<u32> = Vec::new();
        for (list, w) in lists {
            for &s in list.iter().rev() {
                let score = &mut scores[s as usize];
                if *score == 0.0 {
                    touched.push(s);
                }
                // Weights are positive, so a touched score never reads as zero.
                *score += w.max(f32::MIN_POSITIVE);
            }
        }
        let mut cands: Vec<(u32, f32)> = touched
            .iter()
            .map(|&s| (s, std::mem::take(&mut self.scores[s as usize])))
            .collect();
        let k = self.params.max_candidates.min(cands.len());
        if k > 0 && k < cands.len() {
            cands.select_nth_unstable_by(k - 1, |a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
            cands.truncate(k);
        }
        let table = QueryTable::new(vector);
        let cands: Vec<u32> = cands
            .into_iter()
            .map(|(s, _)| s)
            .filter(|&s| self.in_window(published, self.slots[s as usize].published))
            .collect();
        let mut out: Vec<(u32, f64)> = Vec::new();
        for (i, &s) in cands.iter().enumerate() {
            if let Some(&next) = cands.get(i + 1) {
                self.stored(next).prefetch();
            }
            let c = table.cosine(&self.stored(s));
            if c >= self.params.min_similarity {
                out.push((s, c));
            }
        }
        out.sort_unstable_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        out
    }

    /// Builds the vector of a new article with the current weights.
    pub fn vector(&self, features: &StoryFeatures) -> StoryVector {
        StoryVector::build(features, &self.weights, &self.params)
    }

    /// Links an article that started cluster `cluster` to a story.
    pub fn assign(
        &mut self,
        article: ArticleId,
        cluster: ClusterId,
        published: Option<DateTime<Utc>>,
        vector: &StoryVector,
    ) -> StoryAssignment {
        let links = self.links(vector, published);
        let mut stories: Vec<StoryId> = Vec::new();
        for &(s, _) in &links {
            let st = self.slots[s as usize].story;
            if !stories.contains(&st) {
                stories.push(st);
            }
        }
        let Some(&first) = stories.iter().min() else {
            let story = StoryId(cluster.0);
            self.add(article, story, published, vector);
            return StoryAssignment {
                story,
                started: true,
                best: None,
                merged: Vec::new(),
            };
        };
        // The oldest story survives; the others merge into it.
        let merged: Vec<StoryId> = stories.iter().copied().filter(|&s| s != first).collect();
        self.merge(first, &merged);
        let best = links
            .first()
            .map(|&(s, c)| (self.slots[s as usize].article, c));
        self.add(article, first, published, vector);
        let mut merged = merged;
        merged.sort();
        StoryAssignment {
            story: first,
            started: false,
            best,
            merged,
        }
    }

    /// Merges stories into `into` (a cluster merge showed them to be one).
    pub fn merge(&mut self, into: StoryId, from: &[StoryId]) {
        for &m in from {
            if m == into {
                continue;
            }
            let slots = self.stories.remove(m);
            for &s in &slots {
                self.slots[s as usize].story = into;
            }
            self.stories.extend(into, slots);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn features(ids: &[u32]) -> StoryFeatures {
        StoryFeatures {
            features: ids.iter().map(|&i| (i, Kind::Name, 1)).collect(),
        }
    }

    #[test]
    fn an_article_linking_two_stories_merges_them_into_the_older() {
        let mut t = Storyteller::new(StoryParams {
            min_similarity: 0.3,
            ..StoryParams::default()
        });
        let a = t.vector(&features(&[1, 2, 3, 4]));
        let b = t.vector(&features(&[11, 12, 13, 14]));
        let r1 = t.assign(ArticleId(1), ClusterId(1), None, &a);
        let r2 = t.assign(ArticleId(2), ClusterId(2), None, &b);
        assert!(r1.started && r2.started);
        assert_ne!(r1.story, r2.story);
        // Half of each: similar enough to both.
        let c = t.vector(&features(&[1, 2, 11, 12]));
        let r3 = t.assign(ArticleId(3), ClusterId(3), None, &c);
        assert_eq!(r3.story, StoryId(1));
        assert_eq!(r3.merged, vec![StoryId(2)]);
        // An unrelated article starts its own story.
        let d = t.vector(&features(&[21, 22, 23, 24]));
        assert!(t.assign(ArticleId(4), ClusterId(4), None, &d).started);
    }

    #[test]
    fn articles_outside_the_window_are_not_linked() {
        let mut t = Storyteller::new(StoryParams::default());
        let day =
            |d: i64| Some(DateTime::<Utc>::from_timestamp(1_700_000_000 + d * 86_400, 0).unwrap());
        let v = t.vector(&features(&[1, 2, 3, 4]));
        t.assign(ArticleId(1), ClusterId(1), day(0), &v);
        assert!(
            t.assign(ArticleId(2), ClusterId(2), day(10), &v).started,
            "ten days later"
        );
        assert_eq!(
            t.assign(ArticleId(3), ClusterId(3), day(1), &v).story,
            StoryId(1),
            "a day later"
        );
    }

    #[test]
    fn feature_counts_count_like_a_map() {
        let mut counts = FeatureCounts::default();
        let mut map: HashMap<u32, u32> = HashMap::new();
        let mut x: u32 = 12345;
        for i in 0..20_000u32 {
            // A few ids recur often, most are new; 0 and u32::MAX are ids like any other.
            x = x.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            let id = match i % 5 {
                0 => 0,
                1 => u32::MAX,
                2 => x % 64,
                _ => x,
            };
            let n = counts.increment(id);
            let m = map.entry(id).or_default();
            *m += 1;
            assert_eq!(n, *m);
        }
        for (&id, &n) in &map {
            assert_eq!(counts.get(id), n);
        }
        assert_eq!(counts.len, map.len());
        assert_eq!(counts.get(777), map.get(&777).copied().unwrap_or(0));
    }

    #[test]
    fn the_query_table_gives_the_merge_cosine_of_the_stored_weights() {
        let a = StoryVector((0..64u32).map(|i| (i * 7919, 0.125)).collect());
        let b = StoryVector(
            (0..64u32)
                .map(|i| (i * 3 * 7919, 0.1 + i as f32 / 1000.0))
                .collect(),
        );
        let t = QueryTable::new(&a);
        let stored = |v: &StoryVector| StoredVector::encode(v);
        let (wa, wb) = (stored(&a), stored(&b));
        let (sa, sb) = (StoredVector(&wa), StoredVector(&wb));
        let dequantized = |v: &StoredVector| StoryVector(v.iter().collect());
        assert!((t.cosine(&sb) - a.cosine(&dequantized(&sb))).abs() < 1e-9);
        assert!((t.cosine(&sa) - a.cosine(&dequantized(&sa))).abs() < 1e-9);
        assert!((t.cosine(&sb) - a.cosine(&b)).abs() < 1e-4);
        assert_eq!(QueryTable::new(&StoryVector::default()).cosine(&sa), 0.0);
    }

    #[test]
    fn stored_vectors_keep_features_and_weights_to_16_bits() {
        for n in [0usize, 1, 2, 3, 63, 64] {
            let v = StoryVector(
                (0..n as u32)
                    .map(|i| (i.wrapping_mul(0x9E37_79B1), (i as f32 + 1.0) / 65.0))
                    .collect(),
            );
            let words = StoredVector::encode(&v);
            let s = StoredVector(&words);
            assert_eq!(s.len(), n);
            let back: Vec<(u32, f32)> = s.iter().collect();
            for (x, y) in v.0.iter().zip(&back) {
                assert_eq!(x.0, y.0);
                assert!((x.1 - y.1).abs() <= 0.5 / 65535.0 + 1e-7, "{x:?} {y:?}");
            }
            assert_eq!(back.len(), n);
        }
    }

    #[test]
    fn vectors_round_trip_and_cosine_is_one_for_self() {
        let f = extract(
            Some("Russia claims recruits"),
            ["The Defence Ministry said 16,000 people signed contracts."],
        );
        let w = Weights::default();
        let v = StoryVector::build(&f, &w, &StoryParams::default());
        assert!((v.cosine(&v) - 1.0).abs() < 1e-5);
        assert_eq!(StoryVector::from_bytes(&v.to_bytes()), v);
    }
}
