//! Near-duplicate clustering: fingerprints → cluster assignments, online, one article at a time.
//!
//! In: an article's [`Fingerprint`]. Out: an [`Assignment`]: the cluster it joins (or starts), the
//! member it matched best, and any clusters it showed to be one. The state lives in memory and is
//! rebuilt from the store at start ([`Clusterer::restore`]); the store is the truth.
//!
//! Candidates come from two indexes: the simhash index (near-identical copies, any length) and
//! the anchor index (copies that share part of their text: trimmed wire copies, copies with another
//! outlet's furniture). Each candidate is then verified on the sketches by *containment*: the share
//! of the smaller text's sample found in the other. A copy that keeps 60% of its original's
//! paragraphs contains ~100% of itself in the original; two articles that only share a quote or a
//! boilerplate block do not.

mod anchors;
mod screen;
mod simindex;
mod split;

pub use anchors::{AnchorHasher, AnchorIndex, MAX_POSTINGS};
pub use simindex::SimhashIndex;
pub use split::Placement;

use crate::dense::{DenseMap, Groups, Words, WordsAt};
use crate::document::{ArticleId, ClusterId};
use crate::fingerprint::facts::FactsView;
use crate::fingerprint::{Fingerprint, Simhash, Sketch, overlap, overlap_at_least};

/// The thresholds of near-duplicate matching (see docs/BENCHMARKS.md for how they were chosen).
#[derive(Debug, Clone, serde::Deserialize, serde::Serialize)]
#[serde(default)]
pub struct ClusterParams {
    /// Simhash radius: fingerprints this close are candidates (and matches for texts too short
    /// to sketch).
    pub max_hamming: u32,
    /// Share of the smaller text's sketch that must be found in the other.
    pub min_containment: f64,
    /// Sketch entries two texts must share, whatever the share.
    pub min_shared: usize,
    /// Below this many sketch entries a text is too short to measure containment on; it matches
    /// by simhash distance alone.
    pub min_sketch: usize,
    /// Containment at which two texts count as overlapping when checking that a new article fits
    /// a whole cluster (it must overlap most members), and that two clusters it matches are one
    /// (most pairs across them must overlap): two partial copies of one original overlap; two
    /// articles that a digest reprints side by side do not.
    pub bridge_containment: f64,
    /// Candidates verified per article, most anchors shared first.
    pub max_candidates: usize,
}

impl Default for ClusterParams {
    fn default() -> Self {
        ClusterParams {
            max_hamming: 3,
            min_containment: 0.5,
            min_shared: 3,
            min_sketch: 6,
            bridge_containment: 0.2,
            max_candidates: 32,
        }
    }
}

/// How one article matched one stored article.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Match {
    pub article: ArticleId,
    /// Share of the smaller sketch found in the other (1.0 for a simhash-only match).
    pub containment: f64,
    pub hamming: u32,
}

/// Where an article went.
#[derive(Debug, Clone, PartialEq)]
pub struct Assignment {
    pub cluster: ClusterId,
    /// True when the article started a new cluster.
    pub started: bool,
    /// The stored article it matched best, if any.
    pub best: Option<Match>,
    /// Clusters found to be the same as `cluster` and merged into it.
    pub merged: Vec<ClusterId>,
}

/// Below this many sketch entries a text indexes (and looks up) every entry, not just its
/// anchors: a brief of 60 words has ~15 entries and could otherwise have no anchor at all.
const SHORT_SKETCH: usize = 48;

/// The keys a sketch is indexed and looked up under.
fn index_keys(sketch: &Sketch) -> Box<dyn Iterator<Item = u32> + '_> {
    if sketch.len() < SHORT_SKETCH {
        Box::new(sketch.values().iter().copied())
    } else {
        Box::new(sketch.anchors())
    }
}

/// The fewest shared entries whose share of `small` is at least `share`, as the comparison
/// `shared as f64 / small as f64 >= share` decides it.
fn needed(small: usize, share: f64) -> usize {
    let reaches = |n: usize| n as f64 / small as f64 >= share;
    let mut n = (share * small as f64).ceil().max(0.0) as usize;
    while n > 0 && reaches(n - 1) {
        n -= 1;
    }
    while !reaches(n) && n <= small {
        n += 1;
    }
    n
}

/// Members compared when checking that an article fits a cluster, or two clusters each other.
const SAMPLE: usize = 12;

struct Slot {
    article: ArticleId,
    cluster: ClusterId,
    simhash: Simhash,
    /// The sketch, in [`Clusterer::sketches`].
    sketch_at: WordsAt,
    sketch_len: u32,
    /// The facts, packed, in [`Clusterer::sketches`] too.
    facts_at: WordsAt,
    facts_len: u32,
    alive: bool,
}

/// The online clusterer.
pub struct Clusterer {
    params: ClusterParams,
    slots: Vec<Slot>,
    sketches: Words,
    by_article: DenseMap<ArticleId, u32>,
    members: Groups<ClusterId, u32>,
    simhash: SimhashIndex,
    anchors: AnchorIndex,
    next_cluster: i64,
    /// Scratch for [`Clusterer::matches`]: shared anchors per slot, all zero between calls.
    hits: Vec<u32>,
    /// Which anchor candidates are worth verifying.
    floor: screen::HitFloor,
}

impl Clusterer {
    pub fn new(params: ClusterParams) -> Self {
        let simhash = SimhashIndex::new(params.max_hamming);
        Clusterer {
            params,
            slots: Vec::new(),
            sketches: Words::default(),
            by_article: DenseMap::default(),
            members: Groups::default(),
            simhash,
            anchors: AnchorIndex::default(),
            next_cluster: 1,
            hits: Vec::new(),
            floor: screen::HitFloor::default(),
        }
    }

    pub fn params(&self) -> &ClusterParams {
        &self.params
    }

    /// Number of live articles.
    pub fn len(&self) -> usize {
        self.by_article.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_article.is_empty()
    }

    /// The cluster an article is in now.
    pub fn cluster_of(&self, article: ArticleId) -> Option<ClusterId> {
        self.by_article
            .get(article)
            .map(|s| self.slots[s as usize].cluster)
    }

    /// Makes new cluster ids start after `max` (ids are never reused, even of merged clusters).
    pub fn reserve_cluster_ids(&mut self, max: i64) {
        self.next_cluster = self.next_cluster.max(max + 1);
    }

    /// Puts back an article whose assignment is already stored.
    pub fn restore(&mut self, article: ArticleId, cluster: ClusterId, fp: &Fingerprint) {
        self.next_cluster = self.next_cluster.max(cluster.0 + 1);
        self.add(article, cluster, fp);
    }

    fn add(&mut self, article: ArticleId, cluster: ClusterId, fp: &Fingerprint) {
        if let Some(old) = self.by_article.remove(article) {
            self.retire(old);
        }
        let slot = self.slots.len() as u32;
        self.simhash.insert(fp.simhash, slot);
        for a in index_keys(&fp.sketch) {
            self.anchors.insert(a, slot);
        }
        let sketch_at = self.sketches.push(fp.sketch.values());
        let facts = fp.facts.words();
        let facts_at = self.sketches.push(facts);
        self.slots.push(Slot {
            article,
            cluster,
            simhash: fp.simhash,
            sketch_at,
            sketch_len: fp.sketch.len() as u32,
            facts_at,
            facts_len: facts.len() as u32,
            alive: true,
        });
        self.by_article.insert(article, slot);
        self.members.push(cluster, slot);
    }

    /// Takes a slot out of service (its article got a new version).
    fn retire(&mut self, slot: u32) {
        let s = &mut self.slots[slot as usize];
        s.alive = false;
        s.sketch_len = 0;
        s.facts_len = 0;
        self.members.remove_value(s.cluster, slot);
    }

    /// A stored slot's sketch.
    #[inline]
    fn sketch(&self, slot: &Slot) -> &[u32] {
        self.sketches.get(slot.sketch_at, slot.sketch_len as usize)
    }

    /// A stored slot's facts.
    #[inline]
    fn facts(&self, slot: &Slot) -> FactsView<'_> {
        FactsView::new(self.sketches.get(slot.facts_at, slot.facts_len as usize))
    }

    /// The sketch entries a pair whose smaller sketch has `small` entries must share to match.
    fn need(&self, small: usize) -> usize {
        self.params
            .min_shared
            .max(needed(small, self.params.min_containment))
    }

    /// Verifies a candidate pair on their sketches (or simhashes, for texts too short to sketch),
    /// then on their facts: pages that share text but report neither of their headlines, and a
    /// template filled with other names and figures, are not copies (`fingerprint::facts`).
    fn verify(&self, fp: &Fingerprint, slot: &Slot, hamming: u32) -> Option<Match> {
        let m = self.verify_wording(fp, slot, hamming)?;
        let (theirs, ours) = (self.facts(slot), fp.facts.view());
        (!ours.headlines_disagree(theirs) && !ours.is_template_of(theirs)).then_some(m)
    }

    /// Verifies a candidate pair on their sketches (or simhashes, for texts too short to sketch).
    fn verify_wording(&self, fp: &Fingerprint, slot: &Slot, hamming: u32) -> Option<Match> {
        let stored = self.sketch(slot);
        let small = fp.sketch.len().min(stored.len());
        let containment = if small < self.params.min_sketch {
            if hamming > self.params.max_hamming {
                return None;
            }
            1.0
        } else {
            let shared = overlap_at_least(fp.sketch.values(), stored, self.need(small))?;
            shared as f64 / small as f64
        };
        (containment >= self.params.min_containment).then_some(Match {
            article: slot.article,
            containment,
            hamming,
        })
    }

    /// Containment between two stored slots.
    fn containment(&self, a: u32, b: u32) -> f64 {
        let (a, b) = (&self.slots[a as usize], &self.slots[b as usize]);
        self.containment_of((self.sketch(a), a.simhash), (self.sketch(b), b.simhash))
    }

    /// The share of the smaller sketch found in the other; texts too short to sketch count as
    /// fully contained when their simhashes are within the radius, and not at all otherwise.
    fn containment_of(&self, a: (&[u32], Simhash), b: (&[u32], Simhash)) -> f64 {
        let small = a.0.len().min(b.0.len());
        if small < self.params.min_sketch {
            return if a.1.distance(b.1) <= self.params.max_hamming {
                1.0
            } else {
                0.0
            };
        }
        overlap(a.0, b.0) as f64 / small as f64
    }

    /// Finds the stored articles a fingerprint matches, best first, as (slot, match).
    pub fn matches(&mut self, article: ArticleId, fp: &Fingerprint) -> Vec<(u32, Match)> {
        let own = self.by_article.get(article);
        // Shared anchors per slot, counted in a table indexed by slot (zero between calls).
        let hits = &mut self.hits;
        hits.resize(self.slots.len(), 0);
        let mut touched: Vec<u32> = Vec::new();
        let keys: Vec<u32> = index_keys(&fp.sketch).collect();
        self.anchors.for_each_of(&keys, |_, s| {
            let h = &mut hits[s as usize];
            if *h == 0 {
                touched.push(s);
            }
            *h += 1;
        });
        let mut by_hits: Vec<(u32, u32)> = touched
            .into_iter()
            .map(|s| (s, std::mem::take(&mut hits[s as usize])))
            .collect();
        let most_first = |a: &(u32, u32), b: &(u32, u32)| b.1.cmp(&a.1).then(b.0.cmp(&a.0));
        let k = self.params.max_candidates;
        if k > 0 && by_hits.len() > k {
            by_hits.select_nth_unstable_by(k - 1, most_first);
        }
        by_hits.truncate(k);
        // Candidates that share too few anchors to be a match (screen.rs) are not verified.
        let mut candidates: Vec<u32> = Vec::with_capacity(by_hits.len());
        for (s, hits) in by_hits {
            let small = fp
                .sketch
                .len()
                .min(self.slots[s as usize].sketch_len as usize);
            if small < self.params.min_sketch || hits >= self.floor.min_hits(self.need(small)) {
                candidates.push(s);
            }
        }
        self.simhash
            .for_each_within(fp.simhash, |s, _| candidates.push(s));
        candidates.sort_unstable();
        candidates.dedup();

        let mut out = Vec::new();
        for s in candidates {
            let slot = &self.slots[s as usize];
            if !slot.alive || Some(s) == own {
                continue;
            }
            let d = fp.simhash.distance(slot.simhash);
            if let Some(m) = self.verify(fp, slot, d) {
                out.push((s, m));
            }
        }
        out.sort_by(|a, b| {
            b.1.containment
                .total_cmp(&a.1.containment)
                .then(a.1.hamming.cmp(&b.1.hamming))
                .then(a.1.article.cmp(&b.1.article))
        });
        out
    }

    /// Up to [`SAMPLE`] members of a cluster, spread over its history.
    fn sample(&self, cluster: ClusterId) -> Vec<u32> {
        let n = self.members.len_of(cluster);
        if n <= SAMPLE {
            return self.members.get(cluster).collect();
        }
        (0..SAMPLE)
            .map(|i| self.members.nth(cluster, i * n / SAMPLE))
            .collect()
    }

    /// Containment between a fingerprint and a stored slot.
    fn containment_fp(&self, fp: &Fingerprint, slot: u32) -> f64 {
        let s = &self.slots[slot as usize];
        self.containment_of(
            (fp.sketch.values(), fp.simhash),
            (self.sketch(s), s.simhash),
        )
    }

    /// True when a new text overlaps most of a cluster's members, not just the one it matched:
    /// a digest that reprints two articles side by side matches each, but it is not a copy of the
    /// cluster the other one started.
    ///
    /// Nor is a text that is a template of one of them filled with other facts: a copy that
    /// shares only the template's fixed lines with it matches it, but belongs with its own text.
    fn fits(&self, fp: &Fingerprint, cluster: ClusterId) -> bool {
        let sample = self.sample(cluster);
        let ok = sample
            .iter()
            .filter(|&&s| self.containment_fp(fp, s) >= self.params.bridge_containment)
            .count();
        let ours = fp.facts.view();
        2 * ok > sample.len()
            && !sample
                .iter()
                .any(|&s| ours.is_template_of(self.facts(&self.slots[s as usize])))
    }

    /// True when most pairs across two clusters overlap: they are partial copies of one text; and
    /// no pair is one template filled with two sets of facts.
    fn same_text(&self, a: ClusterId, b: ClusterId) -> bool {
        let (sa, sb) = (self.sample(a), self.sample(b));
        let mut ok = 0;
        for &x in &sa {
            for &y in &sb {
                let (fx, fy) = (
                    self.facts(&self.slots[x as usize]),
                    self.facts(&self.slots[y as usize]),
                );
                if fx.is_template_of(fy) {
                    return false;
                }
                if self.containment(x, y) >= self.params.bridge_containment {
                    ok += 1;
                }
            }
        }
        2 * ok > sa.len() * sb.len()
    }

    /// How many of `fp`'s sketch entries a stored article's sketch holds, of how many: a raw
    /// count, for texts too short to be matched on their own.
    pub fn entries_found(&self, fp: &Fingerprint, article: ArticleId) -> Option<(usize, usize)> {
        let slot = &self.slots[self.by_article.get(article)? as usize];
        let stored = self.sketch(slot);
        let found = fp
            .sketch
            .values()
            .iter()
            .filter(|v| stored.binary_search(v).is_ok())
            .count();
        Some((found, fp.sketch.len()))
    }

    /// Puts an article in a cluster of its own that nothing is matched against: an article with
    /// too little reporting of its own (see `pipeline`). A stored version of it leaves the index.
    pub fn start_alone(&mut self, article: ArticleId) -> Assignment {
        if let Some(old) = self.by_article.remove(article) {
            self.retire(old);
        }
        let cluster = ClusterId(self.next_cluster);
        self.next_cluster += 1;
        Assignment {
            cluster,
            started: true,
            best: None,
            merged: Vec::new(),
        }
    }

    /// Assigns a new article (or a new version of a stored one) to a cluster.
    ///
    /// The article joins the cluster of its best match if it fits that cluster as a whole (see
    /// [`Clusterer::fits`]), otherwise the next best; other matched clusters that it fits merge
    /// into that one when their members overlap each other too (two partial copies of one
    /// original do; two articles a digest reprints side by side do not).
    pub fn assign(&mut self, article: ArticleId, fp: &Fingerprint) -> Assignment {
        let mut previous = None;
        if let Some(old) = self.by_article.remove(article) {
            previous = Some(self.slots[old as usize].cluster);
            self.retire(old);
        }
        let found = self.matches(article, fp);
        // Matched clusters, best match first, each with its best match.
        let mut clusters: Vec<(ClusterId, Match)> = Vec::new();
        for &(slot, m) in &found {
            let c = self.slots[slot as usize].cluster;
            if !clusters.iter().any(|(x, _)| *x == c) {
                clusters.push((c, m));
            }
        }
        clusters.retain(|&(c, _)| self.fits(fp, c));
        let Some(&(mut target, best)) = clusters.first() else {
            // A new version that matches nothing keeps its cluster when it was alone there.
            if let Some(c) = previous.filter(|&c| !self.members.contains(c)) {
                self.add(article, c, fp);
                return Assignment {
                    cluster: c,
                    started: false,
                    best: None,
                    merged: Vec::new(),
                };
            }
            let cluster = ClusterId(self.next_cluster);
            self.next_cluster += 1;
            self.add(article, cluster, fp);
            return Assignment {
                cluster,
                started: true,
                best: None,
                merged: Vec::new(),
            };
        };
        let mut merged: Vec<ClusterId> = clusters[1..]
            .iter()
            .map(|&(c, _)| c)
            .filter(|&c| self.same_text(target, c))
            .collect();
        // The oldest id survives a merge, so ids people saw stay valid longest.
        if let Some(&oldest) = merged.iter().min()
            && oldest < target
        {
            merged.retain(|&c| c != oldest);
            merged.push(target);
            target = oldest;
        }
        for &c in &merged {
            let slots = self.members.remove(c);
            for &s in &slots {
                self.slots[s as usize].cluster = target;
            }
            self.members.extend(target, slots);
        }
        merged.sort();
        self.add(article, target, fp);
        Assignment {
            cluster: target,
            started: false,
            best: Some(best),
            merged,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fingerprint::fingerprint;
    use crate::normalize::normalize;

    #[test]
    fn needed_matches_the_share_comparison() {
        for small in 1..300usize {
            for share in [0.0, 0.1, 0.3, 0.5, 0.6, 0.75, 0.9, 1.0, 1.5] {
                let n = needed(small, share);
                let reaches = |k: usize| k as f64 / small as f64 >= share;
                if n <= small {
                    assert!(reaches(n) && (n == 0 || !reaches(n - 1)), "{small} {share}");
                } else {
                    assert!(!reaches(small), "{small} {share}");
                }
            }
        }
    }

    fn fp(text: &str) -> Fingerprint {
        let n = normalize(text);
        fingerprint(n.paragraphs.iter().map(|p| p.tokens.as_slice()))
    }

    fn words(seed: u64, n: usize) -> Vec<String> {
        let mut st = seed;
        (0..n)
            .map(|_| {
                st = st
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                format!("w{}", (st >> 33) % 5000)
            })
            .collect()
    }

    #[test]
    fn copies_join_and_different_texts_do_not() {
        let mut c = Clusterer::new(ClusterParams::default());
        let a = words(1, 600);
        let b = words(2, 600);
        let r1 = c.assign(ArticleId(1), &fp(&a.join(" ")));
        assert!(r1.started);
        let r2 = c.assign(ArticleId(2), &fp(&b.join(" ")));
        assert!(r2.started);
        // The first 60% of a, with another outlet's words around it.
        let copy = format!(
            "{} {} {}",
            words(3, 40).join(" "),
            a[..360].join(" "),
            words(4, 40).join(" ")
        );
        let r3 = c.assign(ArticleId(3), &fp(&copy));
        assert_eq!(r3.cluster, ClusterId(1));
        assert_eq!(r3.best.unwrap().article, ArticleId(1));
    }

    #[test]
    fn two_partial_copies_merge_when_the_original_arrives_but_a_digest_does_not_merge() {
        let mut c = Clusterer::new(ClusterParams::default());
        let a = words(10, 1000);
        c.assign(ArticleId(1), &fp(&a[..600].join(" ")));
        let r2 = c.assign(ArticleId(2), &fp(&a[400..].join(" ")));
        assert!(r2.started, "a 20% overlap is not a copy");
        let r3 = c.assign(ArticleId(3), &fp(&a.join(" ")));
        assert_eq!(r3.cluster, ClusterId(1));
        assert_eq!(r3.merged, vec![ClusterId(2)]);
        assert_eq!(c.cluster_of(ArticleId(2)), Some(ClusterId(1)));

        let x = words(20, 500);
        let y = words(21, 500);
        c.assign(ArticleId(10), &fp(&x.join(" ")));
        c.assign(ArticleId(11), &fp(&y.join(" ")));
        let digest = format!("{} {}", x.join(" "), y.join(" "));
        let r = c.assign(ArticleId(12), &fp(&digest));
        assert!(r.merged.is_empty());
        assert_ne!(c.cluster_of(ArticleId(10)), c.cluster_of(ArticleId(11)));
    }

    #[test]
    fn a_new_version_replaces_the_old_fingerprint() {
        let mut c = Clusterer::new(ClusterParams::default());
        let a = words(30, 400);
        let b = words(31, 400);
        c.assign(ArticleId(1), &fp(&a.join(" ")));
        c.assign(ArticleId(2), &fp(&a.join(" ")));
        assert_eq!(c.cluster_of(ArticleId(2)), Some(ClusterId(1)));
        // Article 2 is rewritten into something else: it leaves cluster 1.
        let r = c.assign(ArticleId(2), &fp(&b.join(" ")));
        assert!(r.started);
        assert_ne!(r.cluster, ClusterId(1));
        assert_eq!(c.len(), 2);
    }
}
