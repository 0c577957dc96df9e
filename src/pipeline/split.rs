//! Retroactive splits: clusters built on lines that were learned afterwards.
//!
//! A line becomes a source's boilerplate with the source's `min_articles`th article carrying it,
//! and furniture once it has spread over enough sources and clusters; from then on it is dropped
//! from new articles before they are fingerprinted. Articles clustered before were matched with
//! it: three pages of one outlet that are nothing but its subscription box form a cluster, the
//! box being learned only when the third arrives. So:
//!
//! 1. [`SplitWatch`] keeps, for every article that *joined* a cluster (matched a stored article
//!    when it arrived), its short lines not learned then: a line two members of a cluster share
//!    is carried by the later one, which joined (or, when it started a cluster that a merge
//!    joined to the other, by the article that merged them if it carries it too). When
//!    [`LearnedBoilerplate::record`] or [`LearnedFurniture::record`] reports a line learned, the
//!    articles carrying it (of the source, for boilerplate) are queued and forgotten under it.
//! 2. When the batch is flushed, [`Pipeline::split_clusters`] re-checks the clusters the queued
//!    articles are in now (two or more members): each member's stored clean text (or the
//!    pending one) without the lines learned since it was fingerprinted, by the rules a new
//!    article meets: under [`MIN_OWN_WORDS`] words left, the member is unreported and alone;
//!    the others are grouped by [`Clusterer::regroup`]. The group holding the oldest member
//!    keeps the cluster's id; each other group gets a new cluster and a story of its own (moved
//!    members are copies, which carry no story features: the storyteller is not asked), and the
//!    old story's differences are recomputed.
//! 3. The splits are written after the batch's articles, in its transaction, and recorded in
//!    `cluster_splits`; a restart reads the clusters and fingerprints back as written.

use super::{MIN_OWN_WORDS, Pipeline, writer};
use crate::cluster::{Clusterer, Placement};
use crate::document::{ArticleId, ClusterId, SourceId};
use crate::error::Result;
use crate::fingerprint::{Fingerprint, fingerprint};
use crate::normalize::furniture::LearnedFurniture;
use crate::normalize::learned::LearnedBoilerplate;
use crate::normalize::text::{for_each_token, key_hash_of_tokens, token_hash};
use crate::store::ArticleWrite;
use crate::store::{ClusterSplit, LearnedLine, SplitGroup, latest_texts};
use crate::story::StoryId;
use chrono::Utc;
use std::collections::HashMap;
use std::collections::VecDeque;

/// An article carrying a line, and its source.
#[derive(Debug, Clone, Copy)]
struct Carrier {
    article: ArticleId,
    source: SourceId,
}

/// Which clusters to re-check when a line is learned (see the module).
#[derive(Debug, Default)]
pub(super) struct SplitWatch {
    /// The articles that joined a cluster, under each short line they carried that was not
    /// learned then.
    carriers: HashMap<u64, Vec<Carrier>>,
    /// Articles whose clusters are re-checked at the next flush, and the article that caused it.
    queue: Vec<(ArticleId, ArticleId)>,
    /// The last articles handed to the writer, newest last: as many as may not be committed
    /// yet (see [`SplitWatch::handed`]), with the clean text and source of the reported ones, so
    /// that a re-check reads the others from the store without waiting for the writer.
    recent: VecDeque<(ArticleId, Option<(SourceId, String)>)>,
    /// The most documents a batch has held.
    largest_batch: usize,
}

impl SplitWatch {
    /// Takes one accepted (or restored) article: `kept`, when it matched a stored article, the
    /// key hashes of the lines of its clean text (what it was fingerprinted on); `lines` its
    /// tracked lines (sorted), `boilerplate` and `furniture` the lines its arrival made learned.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn note(
        &mut self,
        article: ArticleId,
        source: SourceId,
        kept: Option<impl Iterator<Item = u64>>,
        lines: &[u64],
        boilerplate: &[u64],
        furniture: &[u64],
        learned: &LearnedBoilerplate,
        furnished: &LearnedFurniture,
    ) {
        for h in boilerplate {
            if let Some(list) = self.carriers.get_mut(h) {
                list.retain(|c| {
                    let of_source = c.source == source;
                    if of_source {
                        self.queue.push((c.article, article));
                    }
                    !of_source
                });
                if list.is_empty() {
                    self.carriers.remove(h);
                }
            }
        }
        for h in furniture {
            for c in self.carriers.remove(h).unwrap_or_default() {
                self.queue.push((c.article, article));
            }
        }
        let Some(kept) = kept else { return };
        // Only the tracked lines it was fingerprinted on: a line held back from its fingerprint
        // (its source's template) made nothing of its cluster.
        let mut queued = false;
        for h in kept {
            if !queued && (boilerplate.contains(&h) || furniture.contains(&h)) {
                // It joined with a line its own arrival made learned.
                self.queue.push((article, article));
                queued = true;
            }
            if lines.binary_search(&h).is_ok()
                && !learned.is_boilerplate(source, h)
                && !furnished.is_furniture(h)
                && self
                    .carriers
                    .get(&h)
                    .is_none_or(|l| l.last().is_none_or(|c| c.article != article))
            {
                self.carriers
                    .entry(h)
                    .or_default()
                    .push(Carrier { article, source });
            }
        }
    }

    /// Keeps the texts of a batch handed to the writer while they may be uncommitted: the writer
    /// commits once `commit_documents` are in its transaction, so fewer than that plus a batch
    /// are in the open transaction, one more batch is being written and [`writer::WAITING`]
    /// wait; older documents are committed and the readers see them.
    pub(super) fn handed(&mut self, batch: &[ArticleWrite], commit_documents: usize) {
        self.largest_batch = self.largest_batch.max(batch.len());
        let keep = commit_documents + (writer::WAITING + 2) * self.largest_batch;
        for w in batch {
            // An unreported article is in no cluster of two; a reported one may be joined later.
            let text = w.reported.then(|| (w.source, w.clean_text.clone()));
            self.recent.push_back((w.article, text));
        }
        while self.recent.len() > keep {
            self.recent.pop_front();
        }
    }

    /// Forgets the queue (a restart: the splits it asked for are stored).
    pub(super) fn restored(&mut self) {
        self.queue.clear();
    }

    /// Lines and carriers kept (for measuring).
    pub(super) fn len(&self) -> (usize, usize) {
        (
            self.carriers.len(),
            self.carriers.values().map(Vec::len).sum(),
        )
    }
}

/// The key hashes of a clean text's lines, as the normalizer hashed its paragraphs.
pub(super) fn line_keys(text: &str) -> impl Iterator<Item = u64> + '_ {
    text.lines().filter_map(|line| {
        let mut tokens = Vec::new();
        for_each_token(line, |t| tokens.push(token_hash(t)));
        (!tokens.is_empty()).then(|| key_hash_of_tokens(&tokens))
    })
}

/// A member's text without the lines learned since it was fingerprinted.
struct Rest {
    /// Token hashes of the lines kept.
    lines: Vec<Vec<u64>>,
    words: usize,
    /// The lines dropped, by key hash.
    dropped: Vec<(u64, LearnedLine)>,
}

/// `copied` says whether another source's member of the cluster carries a line: a line a source
/// repeats is its boilerplate unless the copies it is clustered with carry it too (the source ran
/// a copy of the same text more than once), as a source's template alone never makes a copy.
fn rest_of(
    text: &str,
    source: SourceId,
    learned: &LearnedBoilerplate,
    furniture: &LearnedFurniture,
    copied: impl Fn(u64) -> bool,
) -> Rest {
    let mut rest = Rest {
        lines: Vec::new(),
        words: 0,
        dropped: Vec::new(),
    };
    for line in text.lines() {
        let mut tokens = Vec::new();
        for_each_token(line, |t| tokens.push(token_hash(t)));
        if tokens.is_empty() {
            continue;
        }
        let h = key_hash_of_tokens(&tokens);
        let learned_as = if !learned.tracks(tokens.len()) {
            None
        } else if furniture.is_furniture(h) {
            Some("furniture")
        } else if learned.is_boilerplate(source, h) && !copied(h) {
            Some("boilerplate")
        } else {
            None
        };
        match learned_as {
            Some(learned_as) => rest.dropped.push((
                h,
                LearnedLine {
                    line: line.to_string(),
                    learned_as,
                },
            )),
            None => {
                rest.words += tokens.len();
                rest.lines.push(tokens);
            }
        }
    }
    rest
}

/// A re-check's outcome: where each member goes, the groups split off, and the members whose
/// fingerprint (and `reported`) changed.
struct Plan {
    placements: Vec<(ArticleId, Placement)>,
    groups: Vec<SplitGroup>,
    refingerprinted: Vec<(ArticleId, Fingerprint, bool)>,
}

/// Where a re-check puts one cluster's members, and what it records.
fn plan_cluster(
    clusterer: &mut Clusterer,
    cluster: ClusterId,
    members: &[(ArticleId, Fingerprint)],
    rests: &HashMap<ArticleId, Rest>,
) -> Option<Plan> {
    // New fingerprints (None: unreported) of the members that lost lines.
    let mut changed: Vec<(ArticleId, Fingerprint, bool)> = Vec::new();
    let mut fps: Vec<Option<Fingerprint>> = Vec::with_capacity(members.len());
    for (article, fp) in members {
        match rests.get(article) {
            Some(rest) if !rest.dropped.is_empty() => {
                let mut new = fingerprint(rest.lines.iter().map(Vec::as_slice));
                // The facts stay the member's: learned lines are furniture, which states none.
                new.facts = fp.facts.clone();
                let reported = rest.words >= MIN_OWN_WORDS;
                changed.push((*article, new.clone(), reported));
                fps.push(reported.then_some(new));
            }
            _ => fps.push(Some(fp.clone())),
        }
    }
    if changed.is_empty() {
        return None;
    }
    let reported: Vec<usize> = (0..members.len()).filter(|&i| fps[i].is_some()).collect();
    let groups = clusterer.regroup(
        &reported
            .iter()
            .map(|&i| fps[i].as_ref().expect("reported"))
            .collect::<Vec<_>>(),
    );
    // Each member's group: reported groups by their first member, unreported members alone.
    let mut group_of: Vec<usize> = vec![usize::MAX; members.len()];
    let mut firsts: Vec<usize> = Vec::new();
    for g in &groups {
        for &k in g {
            group_of[reported[k]] = firsts.len();
        }
        firsts.push(reported[g[0]]);
    }
    for (i, fp) in fps.iter().enumerate() {
        if fp.is_none() {
            group_of[i] = firsts.len();
            firsts.push(i);
        }
    }
    // Groups in order of their oldest member: the first (the cluster's oldest) keeps the id.
    let mut order: Vec<usize> = (0..firsts.len()).collect();
    order.sort_by_key(|&g| firsts[g]);
    let mut ids: Vec<ClusterId> = vec![cluster; firsts.len()];
    let mut split = Vec::new();
    for &g in &order[1..] {
        ids[g] = clusterer.new_cluster_id();
        let articles: Vec<ArticleId> = (0..members.len())
            .filter(|&i| group_of[i] == g)
            .map(|i| members[i].0)
            .collect();
        split.push(SplitGroup {
            cluster: ids[g],
            articles,
            unreported: fps[firsts[g]].is_none(),
        });
    }
    let plan = members
        .iter()
        .zip(fps)
        .enumerate()
        .map(|(i, ((article, _), fp))| {
            let placement = match fp {
                Some(fp) => Placement::In(ids[group_of[i]], fp),
                None => Placement::Alone,
            };
            (*article, placement)
        })
        .collect();
    Some(Plan {
        placements: plan,
        groups: split,
        refingerprinted: changed,
    })
}

impl Pipeline {
    /// Re-checks the clusters of the queued articles (see the module) and returns the splits to
    /// write with the pending batch; the clusterer and the cluster ↔ story maps are updated.
    /// Waits for the batches being written only when there is a cluster to re-check.
    pub(super) async fn split_clusters(&mut self) -> Result<Vec<ClusterSplit>> {
        if self.splits.queue.is_empty() {
            return Ok(Vec::new());
        }
        let queue = std::mem::take(&mut self.splits.queue);
        let mut clusters: Vec<(ClusterId, ArticleId)> = Vec::new();
        for (article, by) in queue {
            if let Some(c) = self.clusterer.cluster_of(article)
                && self.clusterer.size_of(c) >= 2
                && !clusters.iter().any(|&(x, _)| x == c)
            {
                clusters.push((c, by));
            }
        }
        if clusters.is_empty() {
            return Ok(Vec::new());
        }
        let members: Vec<Vec<(ArticleId, Fingerprint)>> = clusters
            .iter()
            .map(|&(c, _)| self.clusterer.members_of(c))
            .collect();
        // The members' texts: pending ones from the batch, those that may not be committed yet
        // from the writer's recent ones, the others from the store.
        let mut texts: HashMap<ArticleId, (SourceId, String)> = HashMap::new();
        let mut stored: Vec<ArticleId> = Vec::new();
        // Members that may be uncommitted and whose text was not kept.
        let mut in_flight = false;
        for &(a, _) in members.iter().flatten() {
            if let Some(w) = self.pending.iter().rev().find(|w| w.article == a) {
                texts.insert(a, (w.source, w.clean_text.clone()));
                continue;
            }
            match self.splits.recent.iter().rev().find(|r| r.0 == a) {
                Some((_, Some((source, text)))) => {
                    texts.insert(a, (*source, text.clone()));
                }
                Some((_, None)) => {
                    in_flight = true;
                    stored.push(a);
                }
                None => stored.push(a),
            }
        }
        tracing::debug!(
            clusters = clusters.len(),
            stored = stored.len(),
            in_flight,
            "re-checking clusters after lines were learned"
        );
        if in_flight {
            self.writer.sync().await?;
        }
        if !stored.is_empty() {
            for (a, source, text) in latest_texts(self.writer.readers(), &stored).await? {
                texts.insert(a, (source, text));
            }
        }
        let now = Utc::now();
        let mut out = Vec::new();
        for ((cluster, by), members) in clusters.into_iter().zip(members) {
            // The sources carrying each line among the members.
            let mut carried: HashMap<u64, Vec<SourceId>> = HashMap::new();
            for (a, _) in &members {
                if let Some((source, text)) = texts.get(a) {
                    for h in line_keys(text) {
                        let list = carried.entry(h).or_default();
                        if !list.contains(source) {
                            list.push(*source);
                        }
                    }
                }
            }
            let rests: HashMap<ArticleId, Rest> = members
                .iter()
                .filter_map(|(a, _)| {
                    let (source, text) = texts.get(a)?;
                    let copied = |h: u64| {
                        carried
                            .get(&h)
                            .is_some_and(|l| l.iter().any(|s| s != source))
                    };
                    let rest = rest_of(text, *source, &self.learned, &self.furniture, copied);
                    Some((*a, rest))
                })
                .collect();
            let Some(Plan {
                placements,
                groups,
                refingerprinted,
            }) = plan_cluster(&mut self.clusterer, cluster, &members, &rests)
            else {
                continue;
            };
            self.clusterer.replace(&placements);
            let story = self
                .cluster_story
                .get(cluster)
                .unwrap_or(StoryId(cluster.0));
            for g in &groups {
                self.cluster_story.insert(g.cluster, StoryId(g.cluster.0));
                self.story_clusters.push(StoryId(g.cluster.0), g.cluster);
            }
            let mut lines: Vec<(u64, LearnedLine)> =
                rests.into_values().flat_map(|r| r.dropped).collect();
            lines.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.line.cmp(&b.1.line)));
            lines.dedup_by_key(|l| l.0);
            tracing::debug!(
                %cluster,
                split_off = groups.len(),
                lines = lines.len(),
                "cluster re-checked after lines were learned"
            );
            out.push(ClusterSplit {
                from: cluster,
                story,
                at: now,
                by_article: by,
                lines: lines.into_iter().map(|(_, l)| l).collect(),
                groups,
                refingerprinted,
            });
        }
        Ok(out)
    }
}
