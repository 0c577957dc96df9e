//! Reports: the store → what people and scripts read about clusters.
//!
//! In: a read-only pool. Out: serializable reports (the `--json` output is their serde form, and
//! its field names are stable).

use crate::diff::{Edits, edits};
use crate::document::{ArticleId, ClusterId};
use crate::error::{Error, Result};
use crate::store::{ClusterSummary, cluster_members, list_clusters, resolve_cluster};
use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::SqlitePool;

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
    /// What this member added, cut and changed relative to the canonical member (absent for it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub edits: Option<Edits>,
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

/// One cluster with every member's edits relative to the canonical member.
pub async fn cluster(pool: &SqlitePool, id: ClusterId) -> Result<ClusterReport> {
    let resolved = resolve_cluster(pool, id).await?;
    let members = cluster_members(pool, resolved).await?;
    let Some(canon) = members.first().cloned() else {
        return Err(Error::NotFound(format!("cluster {id} has no articles")));
    };
    let mut sources: Vec<&str> = members.iter().map(|m| m.source.as_str()).collect();
    sources.sort_unstable();
    sources.dedup();
    let sources = sources.len();
    let reports = members
        .iter()
        .enumerate()
        .map(|(i, m)| MemberReport {
            article_id: m.article_id,
            source: m.source.clone(),
            url: m.url.clone(),
            title: m.title.clone(),
            published: m.published.clone(),
            words: m.words,
            canonical: i == 0,
            distance: m.simhash.distance(canon.simhash),
            edits: (i > 0).then(|| {
                edits(
                    canon.title.as_deref(),
                    &canon.clean_text,
                    m.title.as_deref(),
                    &m.clean_text,
                )
            }),
        })
        .collect::<Vec<_>>();
    Ok(ClusterReport {
        cluster_id: resolved,
        requested_id: (resolved != id).then_some(id),
        size: reports.len(),
        sources,
        canonical_article_id: canon.article_id,
        members: reports,
    })
}
