//! Reading: the cluster listings and details the CLI shows. Every query here goes through the
//! documented views, so what `newsdedup` prints is what a newsroom's own SQL sees.

use super::rows::RowAt;
use crate::document::{ArticleId, ClusterId};
use crate::error::{DbContext, Error, Result};
use crate::fingerprint::Simhash;
use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::SqlitePool;

/// One row of `cluster_summary`.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ClusterSummary {
    pub cluster_id: ClusterId,
    pub size: i64,
    pub sources: i64,
    pub first_published: Option<String>,
    pub last_published: Option<String>,
    pub canonical_article_id: ArticleId,
    pub canonical_title: Option<String>,
}

/// A member of a cluster with its text, canonical first.
#[derive(Debug, Clone)]
pub struct MemberText {
    pub article_id: ArticleId,
    pub source: String,
    pub url: Option<String>,
    pub title: Option<String>,
    pub published: Option<String>,
    pub words: i64,
    pub simhash: Simhash,
    pub clean_text: String,
}

/// Lists clusters of at least `min_size` members, largest and most recent first; with `since`,
/// only clusters with a member published at or after it.
pub async fn list_clusters(
    pool: &SqlitePool,
    limit: i64,
    since: Option<DateTime<Utc>>,
    min_size: i64,
) -> Result<Vec<ClusterSummary>> {
    let rows = sqlx::query(
        "SELECT cluster_id, size, sources, first_published, last_published, canonical_article_id, canonical_title
         FROM cluster_summary
         WHERE size >= ?1 AND (?2 IS NULL OR last_published >= ?2)
         ORDER BY size DESC, last_published DESC, cluster_id
         LIMIT ?3",
    )
    .bind(min_size)
    .bind(since.map(super::sql_time))
    .bind(limit)
    .fetch_all(pool)
    .await
    .ctx("listing clusters")?;
    rows.iter()
        .map(|r| {
            let r = RowAt::new(r, "cluster_summary", 0)?;
            Ok(ClusterSummary {
                cluster_id: ClusterId(r.id()),
                size: r.get(1)?,
                sources: r.get(2)?,
                first_published: r.opt_text(3)?,
                last_published: r.opt_text(4)?,
                canonical_article_id: ArticleId(r.get(5)?),
                canonical_title: r.opt_text(6)?,
            })
        })
        .collect()
}

/// Follows recorded merges from a cluster id to the cluster that holds its articles now.
pub async fn resolve_cluster(pool: &SqlitePool, id: ClusterId) -> Result<ClusterId> {
    let row = sqlx::query("SELECT cluster_id, merged_into FROM clusters WHERE cluster_id = ?")
        .bind(id.0)
        .fetch_optional(pool)
        .await
        .ctx("looking up a cluster")?;
    match row {
        None => Err(Error::NotFound(format!("no cluster {id}"))),
        Some(r) => {
            let r = RowAt::new(&r, "clusters", 0)?;
            Ok(ClusterId(r.get::<Option<i64>>(1)?.unwrap_or(r.id())))
        }
    }
}

/// The members of a cluster with their clean texts, canonical member first.
pub async fn cluster_members(pool: &SqlitePool, id: ClusterId) -> Result<Vec<MemberText>> {
    let rows = sqlx::query(
        "SELECT m.article_id, m.source, a.url, m.title, m.published, m.words, v.simhash, v.clean_text,
                a.source_id
         FROM cluster_members m
         JOIN articles a ON a.article_id = m.article_id
         JOIN article_versions v ON v.version_id = a.latest_version_id
         WHERE m.cluster_id = ?
         ORDER BY m.rank",
    )
    .bind(id.0)
    .fetch_all(pool)
    .await
    .ctx("reading cluster members")?;
    rows.iter()
        .map(|r| {
            let r = RowAt::new(r, "articles", 0)?;
            Ok(MemberText {
                article_id: ArticleId(r.id()),
                source: RowAt::new(r.row, "sources", 8)?.text(1)?,
                url: r.opt_text(2)?,
                title: r.opt_text(3)?,
                published: r.opt_text(4)?,
                words: r.get(5)?,
                simhash: Simhash::from_sql(r.get(6)?),
                clean_text: r.text(7)?,
            })
        })
        .collect()
}
