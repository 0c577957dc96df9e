//! Writing cluster splits (see `pipeline::split`): the new clusters and their stories, the moved
//! articles, the members' new fingerprints, and the record in `cluster_splits`.

use super::write::sql_time;
use crate::document::{ArticleId, ClusterId, StoryId};
use crate::error::{DbContext, Result};
use crate::fingerprint::Fingerprint;
use chrono::{DateTime, Utc};
use serde::Serialize;

/// A line learned after clusters were built on it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LearnedLine {
    pub line: String,
    /// "boilerplate" (of the members' source) or "furniture" (across sources).
    pub learned_as: &'static str,
}

/// One re-checked cluster: the groups split off it, and the members whose fingerprint changed.
#[derive(Debug, Clone)]
pub struct ClusterSplit {
    pub from: ClusterId,
    /// The story of `from` (its differences are recomputed).
    pub story: StoryId,
    pub at: DateTime<Utc>,
    pub by_article: ArticleId,
    pub lines: Vec<LearnedLine>,
    /// New clusters, each with a story of its own (the same id) and its articles.
    pub groups: Vec<SplitGroup>,
    /// Members whose stored fingerprint and `reported` change.
    pub refingerprinted: Vec<(ArticleId, Fingerprint, bool)>,
}

#[derive(Debug, Clone)]
pub struct SplitGroup {
    pub cluster: ClusterId,
    pub articles: Vec<ArticleId>,
    /// True for a member left with too little text of its own.
    pub unreported: bool,
}

/// Writes the splits, after the batch's articles, in its transaction.
pub(super) async fn write_splits(
    conn: &mut sqlx::SqliteConnection,
    splits: &[ClusterSplit],
) -> Result<()> {
    for s in splits {
        let at = sql_time(s.at);
        let lines = serde_json::to_string(&s.lines).expect("lines serialize");
        for g in &s.groups {
            sqlx::query(
                "INSERT INTO stories (story_id, created_at, updated_at) VALUES (?1, ?2, ?2)",
            )
            .bind(g.cluster.0)
            .bind(&at)
            .execute(&mut *conn)
            .await
            .ctx("inserting the story of a split cluster")?;
            sqlx::query(
                "INSERT INTO clusters (cluster_id, created_at, story_id) VALUES (?1, ?2, ?1)",
            )
            .bind(g.cluster.0)
            .bind(&at)
            .execute(&mut *conn)
            .await
            .ctx("inserting a split cluster")?;
            let ids: Vec<i64> = g.articles.iter().map(|a| a.0).collect();
            let ids = serde_json::to_string(&ids).expect("integers serialize");
            sqlx::query(
                "UPDATE articles SET cluster_id = ?1 WHERE article_id IN (SELECT value FROM json_each(?2))",
            )
            .bind(g.cluster.0)
            .bind(&ids)
            .execute(&mut *conn)
            .await
            .ctx("moving split articles")?;
            sqlx::query(
                "INSERT INTO cluster_splits (into_cluster, from_cluster, split_at, by_article, learned_lines, articles, unreported)
                 VALUES (?, ?, ?, ?, ?, ?, ?)",
            )
            .bind(g.cluster.0)
            .bind(s.from.0)
            .bind(&at)
            .bind(s.by_article.0)
            .bind(&lines)
            .bind(&ids)
            .bind(g.unreported)
            .execute(&mut *conn)
            .await
            .ctx("recording a cluster split")?;
            if g.articles.len() > 1 {
                mark_dirty(conn, g.cluster.0).await?;
            }
        }
        for (article, fp, reported) in &s.refingerprinted {
            sqlx::query(
                "UPDATE article_versions SET simhash = ?1, sketch = ?2, reported = ?3
                 WHERE version_id = (SELECT latest_version_id FROM articles WHERE article_id = ?4)",
            )
            .bind(fp.simhash.to_sql())
            .bind(fp.sketch.to_bytes())
            .bind(reported)
            .bind(article.0)
            .execute(&mut *conn)
            .await
            .ctx("storing a re-checked fingerprint")?;
        }
        mark_dirty(conn, s.story.0).await?;
    }
    Ok(())
}

async fn mark_dirty(conn: &mut sqlx::SqliteConnection, story: i64) -> Result<()> {
    sqlx::query("INSERT OR IGNORE INTO stories_dirty (story_id) VALUES (?)")
        .bind(story)
        .execute(&mut *conn)
        .await
        .ctx("queueing story differences")?;
    Ok(())
}

impl super::Store {
    /// For every article moved by a split, the cluster it was in before its first split: the
    /// cluster furniture learning counted it in (see `pipeline::Pipeline::open`).
    pub async fn split_origins(&mut self) -> Result<Vec<(ArticleId, ClusterId)>> {
        let rows = sqlx::query(
            "SELECT j.value, s.from_cluster FROM cluster_splits s, json_each(s.articles) j
             ORDER BY s.into_cluster DESC",
        )
        .fetch_all(&self.readers)
        .await
        .ctx("reading cluster splits")?;
        rows.iter()
            .map(|r| {
                let r = super::rows::RowAt::new(r, "cluster_splits", 0)?;
                Ok((ArticleId(r.get(0)?), ClusterId(r.get(1)?)))
            })
            .collect()
    }
}

/// The latest clean text and the source of each of these articles (committed ones).
pub async fn latest_texts(
    pool: &sqlx::SqlitePool,
    articles: &[ArticleId],
) -> Result<Vec<(ArticleId, crate::document::SourceId, String)>> {
    let ids: Vec<i64> = articles.iter().map(|a| a.0).collect();
    let rows = sqlx::query(
        "SELECT a.article_id, a.source_id, v.clean_text
         FROM articles a JOIN article_versions v ON v.version_id = a.latest_version_id
         WHERE a.article_id IN (SELECT value FROM json_each(?))",
    )
    .bind(serde_json::to_string(&ids).expect("integers serialize"))
    .fetch_all(pool)
    .await
    .ctx("reading the texts of a re-checked cluster")?;
    rows.iter()
        .map(|r| {
            let r = super::rows::RowAt::new(r, "articles", 0)?;
            Ok((
                ArticleId(r.id()),
                crate::document::SourceId(r.get(1)?),
                r.text(2)?,
            ))
        })
        .collect()
}
