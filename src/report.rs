//! Reports: the store → what people and scripts read about clusters and stories.
//!
//! In: a read-only pool. Out: serializable reports (the `--json` output is their serde form, and
//! its field names are stable).

use crate::cluster::ClusterParams;
use crate::diff::{Edits, edits};
use crate::document::{ArticleId, ClusterId, StoryId};
use crate::error::DbContext;
use crate::error::{Error, Result};
use crate::fingerprint::{Simhash, Sketch, overlap};
use crate::store::rows::RowAt;
use crate::store::{ClusterSummary, cluster_members, list_clusters, resolve_cluster};
use crate::story::differences::NameClass;
use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::SqlitePool;
use std::collections::HashMap;

/// One member of a cluster as the report shows it.
#[derive(Debug, Clone, Serialize)]
pub struct MemberReport {
    pub article_id: ArticleId,
    pub source: String,
    pub url: Option<String>,
    pub title: Option<String>,
    pub published: Option<String>,
    pub words: i64,
    pub canonical: bool,
    /// Simhash Hamming distance to the canonical member.
    pub distance: u32,
    /// Why this member is in the cluster.
    pub membership: Membership,
    /// What this member added, cut and changed relative to the canonical member (absent for it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub edits: Option<Edits>,
}

/// The rule that put an article into its cluster when it was clustered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum JoinRule {
    /// It matched no stored article: it started a cluster (this one, or one merged into it).
    Started,
    /// Its best match shared at least `min_containment` of the smaller text's sketch.
    Containment,
    /// One of the two texts was too short to sketch (`min_sketch`): it matched on simhash
    /// distance (at most `max_hamming` bits).
    Distance,
}

/// Why a member belongs to its cluster: how much of its text the canonical member holds and the
/// reverse, measured on the stored sketches (the sampled 5-word shingles of the clean text, as the
/// clusterer compares them), and the match that admitted it.
#[derive(Debug, Clone, Serialize)]
pub struct Membership {
    /// Share of this member's sketch found in the canonical member's, to four decimals (1 for
    /// the canonical; `null` when the text is too short to have any 5-word shingle).
    pub in_canonical: Option<f64>,
    /// Share of the canonical member's sketch found in this member's.
    pub canonical_in_member: Option<f64>,
    /// Entries in this member's sketch (about a quarter of its 5-word shingles).
    pub sketch_entries: usize,
    /// Entries it shares with the canonical member's sketch.
    pub shared_entries: usize,
    /// Of the other members compared (all of them, or [`BRIDGE_SAMPLE`] spread over the
    /// cluster), how many it overlaps by at least `bridge_containment`, as the clusterer measures
    /// it: a copy overlaps most of its cluster; a text that joined through one copy's furniture
    /// or a digest overlaps few.
    pub overlaps_members: usize,
    pub compared_members: usize,
    /// The rule that admitted it.
    pub joined_by: JoinRule,
    /// The stored article it matched best when it was clustered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub matched_article: Option<ArticleId>,
    /// That match's containment: the share of the smaller sketch found in the other, as
    /// recorded when it was clustered (1 for a match on distance), to four decimals.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub matched_containment: Option<f64>,
    /// That match's simhash Hamming distance, as recorded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub matched_distance: Option<u32>,
}

/// A cluster merged into the one reported, and the article whose arrival showed them to be one.
#[derive(Debug, Clone, Serialize)]
pub struct MergeReport {
    pub cluster_id: ClusterId,
    pub by_article: ArticleId,
}

/// A line learned as boilerplate or furniture after a cluster was built on it.
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct LearnedLineReport {
    pub line: String,
    /// "boilerplate" (of the members' source) or "furniture" (across sources).
    pub learned_as: String,
}

/// A group of members split off a cluster (`cluster_splits`): once lines they were matched on
/// were learned, they no longer matched the rest.
#[derive(Debug, Clone, Serialize)]
pub struct SplitReport {
    pub from_cluster: ClusterId,
    /// The new cluster the articles went to.
    pub into_cluster: ClusterId,
    pub split_at: String,
    /// The article whose arrival made the lines learned.
    pub by_article: ArticleId,
    pub articles: Vec<ArticleId>,
    /// True when the articles were left with too little text of their own (unreported).
    pub unreported: bool,
    pub learned_lines: Vec<LearnedLineReport>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ClusterReport {
    pub cluster_id: ClusterId,
    /// The id asked for, when a merge moved its articles into `cluster_id`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub requested_id: Option<ClusterId>,
    pub size: usize,
    pub sources: usize,
    pub canonical_article_id: ArticleId,
    /// The clusterer's thresholds the membership rules were checked against.
    pub min_containment: f64,
    pub max_hamming: u32,
    pub min_sketch: usize,
    pub bridge_containment: f64,
    /// Clusters merged into this one.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub merges: Vec<MergeReport>,
    /// Groups split off this cluster, and where they went.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub splits: Vec<SplitReport>,
    /// The split that made this cluster, when a split did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub split_from: Option<SplitReport>,
    pub members: Vec<MemberReport>,
}

/// Clusters for `newsdedup clusters`.
pub async fn clusters(
    pool: &SqlitePool,
    limit: i64,
    since: Option<DateTime<Utc>>,
    min_size: i64,
) -> Result<Vec<ClusterSummary>> {
    list_clusters(pool, limit, since, min_size).await
}

/// One cluster with every member's edits relative to the canonical member, judged against the
/// default thresholds.
pub async fn cluster(pool: &SqlitePool, id: ClusterId) -> Result<ClusterReport> {
    cluster_with(pool, id, &ClusterParams::default()).await
}

/// What the store recorded of a member's latest version when it was clustered.
struct Clustered {
    sketch: Sketch,
    matched: Option<(ArticleId, Option<f64>, Option<u32>)>,
}

/// Other members each member is compared with for [`Membership::overlaps_members`].
pub const BRIDGE_SAMPLE: usize = 48;

/// Containment of two members as the clusterer measures it: the share of the smaller sketch
/// found in the other; texts too short to sketch count as fully contained when their simhashes
/// are within the radius, and not at all otherwise.
fn containment(a: (&Sketch, Simhash), b: (&Sketch, Simhash), params: &ClusterParams) -> f64 {
    let small = a.0.len().min(b.0.len());
    if small < params.min_sketch {
        return if a.1.distance(b.1) <= params.max_hamming {
            1.0
        } else {
            0.0
        };
    }
    overlap(a.0.values(), b.0.values()) as f64 / small as f64
}

/// A share rounded to four decimals: the nearest `f64` to a short decimal, which its JSON text
/// reads back as exactly (a longer one may come back one bit off).
fn rounded(share: f64) -> f64 {
    (share * 10_000.0).round() / 10_000.0
}

/// The share of `a`'s sketch found in `b`'s (`None` when `a` has none), to four decimals.
fn share(a: &Sketch, b: &Sketch) -> Option<f64> {
    (!a.is_empty()).then(|| rounded(overlap(a.values(), b.values()) as f64 / a.len() as f64))
}

/// Each member's stored sketch and best match, by article.
async fn clustered(pool: &SqlitePool, id: ClusterId) -> Result<HashMap<ArticleId, Clustered>> {
    let rows = sqlx::query(
        "SELECT a.article_id, v.sketch, v.matched_article, v.containment, v.hamming
         FROM articles a JOIN article_versions v ON v.version_id = a.latest_version_id
         WHERE a.cluster_id = ?",
    )
    .bind(id.0)
    .fetch_all(pool)
    .await
    .ctx("reading cluster members' fingerprints")?;
    rows.iter()
        .map(|r| {
            let r = RowAt::new(r, "articles", 0)?;
            let matched = r.get::<Option<i64>>(2)?.map(ArticleId);
            let containment = r.get::<Option<f64>>(3)?;
            let hamming = r.get::<Option<i64>>(4)?.map(|h| h.clamp(0, 64) as u32);
            Ok((
                ArticleId(r.id()),
                Clustered {
                    sketch: Sketch::from_bytes(&r.get::<Vec<u8>>(1)?),
                    matched: matched.map(|m| (m, containment, hamming)),
                },
            ))
        })
        .collect()
}

/// The clusters merged into `id`, and the article that merged each.
async fn merges(pool: &SqlitePool, id: ClusterId) -> Result<Vec<MergeReport>> {
    let rows = sqlx::query(
        "SELECT c.cluster_id, m.by_article FROM clusters c
         JOIN cluster_merges m ON m.from_cluster = c.cluster_id
         WHERE c.merged_into = ? ORDER BY c.cluster_id",
    )
    .bind(id.0)
    .fetch_all(pool)
    .await
    .ctx("reading cluster merges")?;
    rows.iter()
        .map(|r| {
            let r = RowAt::new(r, "cluster_merges", 0)?;
            Ok(MergeReport {
                cluster_id: ClusterId(r.id()),
                by_article: ArticleId(r.get(1)?),
            })
        })
        .collect()
}

/// The splits recorded off cluster `from` (or the one that made cluster `into`).
async fn splits(
    pool: &SqlitePool,
    from: Option<ClusterId>,
    into: Option<ClusterId>,
) -> Result<Vec<SplitReport>> {
    let rows = sqlx::query(
        "SELECT into_cluster, from_cluster, split_at, by_article, articles, unreported, learned_lines
         FROM cluster_splits WHERE from_cluster = ?1 OR into_cluster = ?2 ORDER BY into_cluster",
    )
    .bind(from.map(|c| c.0))
    .bind(into.map(|c| c.0))
    .fetch_all(pool)
    .await
    .ctx("reading cluster splits")?;
    rows.iter()
        .map(|r| {
            let r = RowAt::new(r, "cluster_splits", 0)?;
            // Written by the pipeline as JSON; a hand-edited value reads as empty.
            let articles: Vec<i64> = serde_json::from_str(&r.text(4)?).unwrap_or_default();
            let learned_lines: Vec<LearnedLineReport> =
                serde_json::from_str(&r.text(6)?).unwrap_or_default();
            Ok(SplitReport {
                into_cluster: ClusterId(r.id()),
                from_cluster: ClusterId(r.get(1)?),
                split_at: r.text(2)?,
                by_article: ArticleId(r.get(3)?),
                articles: articles.into_iter().map(ArticleId).collect(),
                unreported: r.get::<i64>(5)? != 0,
                learned_lines,
            })
        })
        .collect()
}

/// One cluster with every member's edits relative to the canonical member, and why each member
/// belongs: its stored sketch against the canonical member's, and the match recorded when it was
/// clustered, judged against `params`.
pub async fn cluster_with(
    pool: &SqlitePool,
    id: ClusterId,
    params: &ClusterParams,
) -> Result<ClusterReport> {
    let resolved = resolve_cluster(pool, id).await?;
    let members = cluster_members(pool, resolved).await?;
    let Some(canon) = members.first().cloned() else {
        return Err(Error::NotFound(format!("cluster {id} has no articles")));
    };
    let stored = clustered(pool, resolved).await?;
    let empty = Sketch::default();
    let sketch_of = |a: ArticleId| stored.get(&a).map_or(&empty, |c| &c.sketch);
    let canon_sketch = sketch_of(canon.article_id);
    let mut sources: Vec<&str> = members.iter().map(|m| m.source.as_str()).collect();
    sources.sort_unstable();
    sources.dedup();
    let sources = sources.len();
    // The members each member is compared with: all, or a sample spread over the cluster.
    let n = members.len();
    let sample: Vec<usize> = if n <= BRIDGE_SAMPLE + 1 {
        (0..n).collect()
    } else {
        (0..=BRIDGE_SAMPLE)
            .map(|k| k * (n - 1) / BRIDGE_SAMPLE)
            .collect()
    };
    let reports = members
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let sketch = sketch_of(m.article_id);
            let others: Vec<usize> = sample
                .iter()
                .copied()
                .filter(|&j| j != i)
                .take(BRIDGE_SAMPLE)
                .collect();
            let overlaps_members = others
                .iter()
                .filter(|&&j| {
                    let o = &members[j];
                    containment(
                        (sketch, m.simhash),
                        (sketch_of(o.article_id), o.simhash),
                        params,
                    ) >= params.bridge_containment
                })
                .count();
            let matched = stored.get(&m.article_id).and_then(|c| c.matched);
            let joined_by = match matched {
                None => JoinRule::Started,
                Some((other, _, _)) => {
                    // The matched article's sketch as stored now (it is normally a member).
                    let other = stored.get(&other).map_or(sketch.len(), |c| c.sketch.len());
                    if sketch.len().min(other) < params.min_sketch {
                        JoinRule::Distance
                    } else {
                        JoinRule::Containment
                    }
                }
            };
            let (in_canonical, canonical_in_member) = if i == 0 {
                let whole = (!sketch.is_empty()).then_some(1.0);
                (whole, whole)
            } else {
                (share(sketch, canon_sketch), share(canon_sketch, sketch))
            };
            MemberReport {
                article_id: m.article_id,
                source: m.source.clone(),
                url: m.url.clone(),
                title: m.title.clone(),
                published: m.published.clone(),
                words: m.words,
                canonical: i == 0,
                distance: m.simhash.distance(canon.simhash),
                membership: Membership {
                    in_canonical,
                    canonical_in_member,
                    sketch_entries: sketch.len(),
                    shared_entries: overlap(sketch.values(), canon_sketch.values()),
                    overlaps_members,
                    compared_members: others.len(),
                    joined_by,
                    matched_article: matched.map(|(a, _, _)| a),
                    matched_containment: matched.and_then(|(_, c, _)| c).map(rounded),
                    matched_distance: matched.and_then(|(_, _, h)| h),
                },
                edits: (i > 0).then(|| {
                    edits(
                        canon.title.as_deref(),
                        &canon.clean_text,
                        m.title.as_deref(),
                        &m.clean_text,
                    )
                }),
            }
        })
        .collect::<Vec<_>>();
    Ok(ClusterReport {
        cluster_id: resolved,
        requested_id: (resolved != id).then_some(id),
        size: reports.len(),
        sources,
        canonical_article_id: canon.article_id,
        min_containment: params.min_containment,
        max_hamming: params.max_hamming,
        min_sketch: params.min_sketch,
        bridge_containment: params.bridge_containment,
        merges: merges(pool, resolved).await?,
        splits: splits(pool, Some(resolved), None).await?,
        split_from: splits(pool, None, Some(resolved)).await?.pop(),
        members: reports,
    })
}

/// One row of `story_summary`.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct StorySummary {
    pub story_id: StoryId,
    pub title: Option<String>,
    pub size: i64,
    pub sources: i64,
    pub clusters: i64,
    pub first_published: Option<String>,
    pub last_published: Option<String>,
    pub canonical_article_id: ArticleId,
}

/// Stories for `newsdedup stories`: most sources first.
pub async fn stories(
    pool: &SqlitePool,
    limit: i64,
    since: Option<DateTime<Utc>>,
    min_sources: i64,
) -> Result<Vec<StorySummary>> {
    let rows = sqlx::query(
        "SELECT story_id, title, size, sources, clusters, first_published, last_published, canonical_article_id
         FROM story_summary
         WHERE sources >= ?1 AND (?2 IS NULL OR last_published >= ?2)
         ORDER BY sources DESC, size DESC, last_published DESC, story_id
         LIMIT ?3",
    )
    .bind(min_sources)
    .bind(since.map(crate::store::sql_time))
    .bind(limit)
    .fetch_all(pool)
    .await
    .ctx("listing stories")?;
    rows.iter()
        .map(|r| {
            let r = RowAt::new(r, "story_summary", 0)?;
            Ok(StorySummary {
                story_id: StoryId(r.id()),
                title: r.opt_text(1)?,
                size: r.get(2)?,
                sources: r.get(3)?,
                clusters: r.get(4)?,
                first_published: r.opt_text(5)?,
                last_published: r.opt_text(6)?,
                canonical_article_id: ArticleId(r.get(7)?),
            })
        })
        .collect()
}

#[derive(Debug, Clone, Serialize)]
pub struct StoryMember {
    pub article_id: ArticleId,
    pub cluster_id: ClusterId,
    pub source: String,
    pub url: Option<String>,
    pub title: Option<String>,
    pub published: Option<String>,
    pub words: i64,
    pub canonical: bool,
}

/// A value and the sources that report it.
#[derive(Debug, Clone, Serialize)]
pub struct Reported {
    pub value: String,
    pub sources: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct FigureGroup {
    pub subject: String,
    pub value: String,
    pub sources: Vec<String>,
    /// How each source put it.
    pub details: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Conflict {
    pub subject: String,
    pub values: Vec<Reported>,
}

#[derive(Debug, Clone, Serialize)]
pub struct NameVariants {
    /// The usual spelling: the one most sources use.
    pub name: String,
    pub spellings: Vec<Spelling>,
}

/// One spelling of a name, the sources that use it, and what kind of difference it is.
#[derive(Debug, Clone, Serialize)]
pub struct Spelling {
    pub value: String,
    pub sources: Vec<String>,
    pub class: NameClass,
}

/// One quote that only some sources carry, in each wording a source gave it.
#[derive(Debug, Clone, Serialize)]
pub struct QuoteGroup {
    /// The first words of its most carried wording.
    pub subject: String,
    /// The sources that carry it, in any wording.
    pub carried_by: Vec<String>,
    /// Each source's wording.
    pub wordings: Vec<SourceText>,
}

/// A member in the order of publication: the first report, then each later one.
#[derive(Debug, Clone, Serialize)]
pub struct TimelineEntry {
    pub article_id: ArticleId,
    pub source: String,
    pub published: Option<String>,
    pub title: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SourceText {
    pub source: String,
    pub text: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub detail: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct StoryReport {
    pub story_id: StoryId,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub requested_id: Option<StoryId>,
    pub title: Option<String>,
    pub size: usize,
    pub sources: usize,
    pub canonical_article_id: ArticleId,
    pub canonical_rule: &'static str,
    pub members: Vec<StoryMember>,
    /// Subjects on which sources give different values.
    pub conflicts: Vec<Conflict>,
    /// Every figure, with the sources that report it (most reported first).
    pub figures: Vec<FigureGroup>,
    /// The members by publication time (undated last): the first report, then the later ones.
    pub timeline: Vec<TimelineEntry>,
    /// Names spelled more than one way.
    pub names: Vec<NameVariants>,
    /// Quotes that only some sources carry, each with its wordings.
    pub quotes: Vec<QuoteGroup>,
    /// Sentences no other source has.
    pub unique: Vec<SourceText>,
}

/// The group with this subject, appended if there is none yet.
fn group<T>(
    groups: &mut Vec<T>,
    subject: String,
    key: impl Fn(&T) -> &String,
    new: impl FnOnce(String) -> T,
) -> &mut T {
    match groups.iter().position(|g| *key(g) == subject) {
        Some(i) => &mut groups[i],
        None => {
            groups.push(new(subject));
            groups.last_mut().expect("just pushed")
        }
    }
}

/// Adds a source to the value it reports.
fn add_source(values: &mut Vec<Reported>, value: String, source: String) {
    match values.iter_mut().find(|v| v.value == value) {
        Some(v) => v.sources.push(source),
        None => values.push(Reported {
            value,
            sources: vec![source],
        }),
    }
}

/// Follows recorded merges from a story id to the story that holds its clusters now.
async fn resolve_story(pool: &SqlitePool, id: StoryId) -> Result<StoryId> {
    let row = sqlx::query("SELECT story_id, merged_into FROM stories WHERE story_id = ?")
        .bind(id.0)
        .fetch_optional(pool)
        .await
        .ctx("looking up a story")?;
    match row {
        Some(r) => {
            let r = RowAt::new(&r, "stories", 0)?;
            Ok(StoryId(r.get::<Option<i64>>(1)?.unwrap_or(r.id())))
        }
        None => Err(Error::NotFound(format!("no story {id}"))),
    }
}

/// One story: its sources side by side and where they differ.
pub async fn story(pool: &SqlitePool, id: StoryId) -> Result<StoryReport> {
    let resolved = resolve_story(pool, id).await?;
    let rows = sqlx::query(
        "SELECT m.article_id, m.cluster_id, m.source, a.url, m.title, m.published, m.words, a.source_id
         FROM story_members m JOIN articles a ON a.article_id = m.article_id
         WHERE m.story_id = ? ORDER BY m.rank",
    )
    .bind(resolved.0)
    .fetch_all(pool)
    .await
    .ctx("reading story members")?;
    let members: Vec<StoryMember> = rows
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let r = RowAt::new(r, "story_members", 0)?;
            Ok(StoryMember {
                article_id: ArticleId(r.id()),
                cluster_id: ClusterId(r.get(1)?),
                source: RowAt::new(r.row, "sources", 7)?.text(2)?,
                url: r.opt_text(3)?,
                title: r.opt_text(4)?,
                published: r.opt_text(5)?,
                words: r.get(6)?,
                canonical: i == 0,
            })
        })
        .collect::<Result<_>>()?;
    let Some(canon) = members.first().cloned() else {
        return Err(Error::NotFound(format!("story {id} has no articles")));
    };
    let facts = sqlx::query(
        "SELECT rowid, kind, subject, source, value, detail FROM story_facts WHERE story_id = ? ORDER BY rowid",
    )
    .bind(resolved.0)
    .fetch_all(pool)
    .await
    .ctx("reading story differences")?;
    let mut figures: Vec<FigureGroup> = Vec::new();
    let mut conflicts: Vec<Conflict> = Vec::new();
    let mut names: Vec<NameVariants> = Vec::new();
    let mut quotes: Vec<QuoteGroup> = Vec::new();
    let mut unique = Vec::new();
    for r in &facts {
        let r = RowAt::new(r, "story_facts", 0)?;
        let (kind, subject, source, value, detail) = (
            r.text(1)?,
            r.text(2)?,
            r.opt_text(3)?,
            r.text(4)?,
            r.text(5)?,
        );
        let source = source.unwrap_or_default();
        match kind.as_str() {
            "figure" => match figures
                .iter_mut()
                .find(|f| f.subject == subject && f.value == value)
            {
                Some(f) => {
                    f.sources.push(source);
                    f.details.push(detail);
                }
                None => figures.push(FigureGroup {
                    subject,
                    value,
                    sources: vec![source],
                    details: vec![detail],
                }),
            },
            "conflict" => {
                let values = group(
                    &mut conflicts,
                    subject,
                    |c| &c.subject,
                    |subject| Conflict {
                        subject,
                        values: Vec::new(),
                    },
                );
                add_source(&mut values.values, value, source);
            }
            "name" => {
                let n = group(
                    &mut names,
                    subject,
                    |n| &n.name,
                    |name| NameVariants {
                        name,
                        spellings: Vec::new(),
                    },
                );
                let class = NameClass::from_detail(&detail).unwrap_or(NameClass::Usual);
                match n.spellings.iter_mut().find(|s| s.value == value) {
                    Some(s) => s.sources.push(source),
                    None => n.spellings.push(Spelling {
                        value,
                        sources: vec![source],
                        class,
                    }),
                }
            }
            "quote" => {
                let q = group(
                    &mut quotes,
                    subject,
                    |q| &q.subject,
                    |subject| QuoteGroup {
                        subject,
                        carried_by: Vec::new(),
                        wordings: Vec::new(),
                    },
                );
                if q.carried_by.is_empty()
                    && let Some((_, list)) = detail.split_once(": ")
                {
                    q.carried_by = list.split(", ").map(String::from).collect();
                }
                q.wordings.push(SourceText {
                    source,
                    text: value,
                    detail,
                });
            }
            "unique" => unique.push(SourceText {
                source,
                text: value,
                detail,
            }),
            _ => {}
        }
    }
    figures.sort_by(|a, b| {
        b.sources
            .len()
            .cmp(&a.sources.len())
            .then(a.subject.cmp(&b.subject))
    });
    let mut sources: Vec<&str> = members.iter().map(|m| m.source.as_str()).collect();
    sources.sort_unstable();
    sources.dedup();
    let mut timeline: Vec<TimelineEntry> = members
        .iter()
        .map(|m| TimelineEntry {
            article_id: m.article_id,
            source: m.source.clone(),
            published: m.published.clone(),
            title: m.title.clone(),
        })
        .collect();
    timeline.sort_by(|a, b| {
        a.published
            .is_none()
            .cmp(&b.published.is_none())
            .then(a.published.cmp(&b.published))
            .then(a.article_id.cmp(&b.article_id))
    });
    Ok(StoryReport {
        story_id: resolved,
        requested_id: (resolved != id).then_some(id),
        title: canon.title.clone(),
        size: members.len(),
        sources: sources.len(),
        canonical_article_id: canon.article_id,
        canonical_rule: crate::story::differences::CANONICAL_RULE,
        members,
        conflicts,
        figures,
        timeline,
        names,
        quotes,
        unique,
    })
}
