//! Writing: batches of article versions, their cluster assignments and merges; and reading back
//! what the pipeline needs to resume.

use super::Store;
use crate::document::{ArticleId, ClusterId, SourceId, VersionId};
use crate::error::{DbContext, Result};
use crate::fingerprint::{Fingerprint, Simhash, Sketch};
use chrono::{DateTime, SecondsFormat, Utc};
use futures_util::StreamExt;
use sqlx::Row;

/// Formats a time the way the store keeps it: RFC 3339, UTC, seconds.
pub fn sql_time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// A source seen for the first time in this batch.
#[derive(Debug, Clone)]
pub struct NewSource {
    pub id: SourceId,
    pub name: String,
}

/// One article version to store, with its cluster assignment.
#[derive(Debug, Clone)]
pub struct ArticleWrite {
    pub article: ArticleId,
    /// True for an article not stored before; false for a new version of a stored one.
    pub is_new: bool,
    pub identity: String,
    pub source: SourceId,
    pub new_source: Option<NewSource>,
    pub external_id: String,
    pub url: Option<String>,
    pub version_id: VersionId,
    pub version: i64,
    pub title: Option<String>,
    pub published: Option<DateTime<Utc>>,
    pub ingested_at: DateTime<Utc>,
    pub content_hash: u64,
    pub body_kind: &'static str,
    pub original: String,
    pub clean_text: String,
    pub words: i64,
    pub fingerprint: Fingerprint,
    pub line_hashes: Vec<u64>,
    pub cluster: ClusterId,
    pub cluster_started: bool,
    pub merged: Vec<ClusterId>,
    pub matched: Option<(ArticleId, f64, u32)>,
}

/// What the pipeline needs to resume: one row per stored article (latest version).
#[derive(Debug, Clone)]
pub struct StoredArticle {
    pub article: ArticleId,
    pub identity: String,
    pub source: SourceId,
    pub cluster: ClusterId,
    pub version: i64,
    pub content_hash: u64,
    pub fingerprint: Fingerprint,
    pub line_hashes: Vec<u64>,
}

pub fn hashes_to_bytes(h: &[u64]) -> Vec<u8> {
    h.iter().flat_map(|v| v.to_le_bytes()).collect()
}

pub fn hashes_from_bytes(b: &[u8]) -> Vec<u64> {
    b.chunks_exact(8)
        .map(|c| u64::from_le_bytes(c.try_into().expect("8 bytes")))
        .collect()
}

/// Counters the pipeline resumes from.
#[derive(Debug, Clone, Default)]
pub struct Counters {
    pub max_article: i64,
    pub max_version: i64,
    pub max_cluster: i64,
}

impl Store {
    /// Writes a batch of article versions in one transaction.
    pub async fn write_batch(&mut self, batch: &[ArticleWrite]) -> Result<()> {
        use sqlx::Connection;
        if batch.is_empty() {
            return Ok(());
        }
        let full_text = self.options.full_text;
        let mut tx = self.writer.begin().await.ctx("beginning a batch")?;
        for w in batch {
            if let Some(s) = &w.new_source {
                sqlx::query("INSERT INTO sources (source_id, name) VALUES (?, ?)")
                    .bind(s.id.0)
                    .bind(&s.name)
                    .execute(&mut *tx)
                    .await
                    .ctx("inserting a source")?;
            }
            let now = sql_time(w.ingested_at);
            if w.cluster_started {
                sqlx::query("INSERT INTO clusters (cluster_id, created_at) VALUES (?, ?)")
                    .bind(w.cluster.0)
                    .bind(&now)
                    .execute(&mut *tx)
                    .await
                    .ctx("inserting a cluster")?;
            }
            for m in &w.merged {
                sqlx::query("UPDATE articles SET cluster_id = ? WHERE cluster_id = ?")
                    .bind(w.cluster.0)
                    .bind(m.0)
                    .execute(&mut *tx)
                    .await
                    .ctx("merging clusters")?;
                sqlx::query(
                    "UPDATE clusters SET merged_into = ?1 WHERE cluster_id = ?2 OR merged_into = ?2",
                )
                .bind(w.cluster.0)
                .bind(m.0)
                .execute(&mut *tx)
                .await
                .ctx("merging clusters")?;
                sqlx::query(
                    "INSERT OR REPLACE INTO cluster_merges (from_cluster, into_cluster, merged_at, by_article) VALUES (?, ?, ?, ?)",
                )
                .bind(m.0)
                .bind(w.cluster.0)
                .bind(&now)
                .bind(w.article.0)
                .execute(&mut *tx)
                .await
                .ctx("recording a cluster merge")?;
            }
            if w.is_new {
                sqlx::query(
                    "INSERT INTO articles (article_id, identity, source_id, external_id, url, cluster_id, latest_version_id, first_seen, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                )
                .bind(w.article.0)
                .bind(&w.identity)
                .bind(w.source.0)
                .bind(&w.external_id)
                .bind(&w.url)
                .bind(w.cluster.0)
                .bind(w.version_id.0)
                .bind(&now)
                .bind(&now)
                .execute(&mut *tx)
                .await
                .ctx("inserting an article")?;
            } else {
                // The previous version leaves the search index (if it was in it).
                sqlx::query(
                    "INSERT INTO article_search (article_search, rowid, title, clean_text)
                     SELECT 'delete', a.article_id, v.title, v.clean_text
                     FROM articles a JOIN article_versions v ON v.version_id = a.latest_version_id
                     WHERE a.article_id = ?1 AND v.searchable = 1",
                )
                .bind(w.article.0)
                .execute(&mut *tx)
                .await
                .ctx("updating the search index")?;
                sqlx::query(
                    "UPDATE article_versions SET searchable = 0
                     WHERE version_id = (SELECT latest_version_id FROM articles WHERE article_id = ?)",
                )
                .bind(w.article.0)
                .execute(&mut *tx)
                .await
                .ctx("updating the search index")?;
                sqlx::query(
                    "UPDATE articles SET cluster_id = ?, latest_version_id = ?, updated_at = ? WHERE article_id = ?",
                )
                .bind(w.cluster.0)
                .bind(w.version_id.0)
                .bind(&now)
                .bind(w.article.0)
                .execute(&mut *tx)
                .await
                .ctx("updating an article")?;
            }
            sqlx::query(
                "INSERT INTO article_versions (version_id, article_id, version, title, published, ingested_at, content_hash, body_kind, original, clean_text, words, simhash, sketch, line_hashes, matched_article, containment, hamming, searchable) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            )
            .bind(w.version_id.0)
            .bind(w.article.0)
            .bind(w.version)
            .bind(&w.title)
            .bind(w.published.map(sql_time))
            .bind(&now)
            .bind(w.content_hash as i64)
            .bind(w.body_kind)
            .bind(&w.original)
            .bind(&w.clean_text)
            .bind(w.words)
            .bind(w.fingerprint.simhash.to_sql())
            .bind(w.fingerprint.sketch.to_bytes())
            .bind(hashes_to_bytes(&w.line_hashes))
            .bind(w.matched.map(|m| m.0.0))
            .bind(w.matched.map(|m| m.1))
            .bind(w.matched.map(|m| m.2 as i64))
            .bind(full_text)
            .execute(&mut *tx)
            .await
            .ctx("inserting an article version")?;
            if full_text {
                sqlx::query("INSERT INTO article_search (rowid, title, clean_text) VALUES (?, ?, ?)")
                    .bind(w.article.0)
                    .bind(&w.title)
                    .bind(&w.clean_text)
                    .execute(&mut *tx)
                    .await
                    .ctx("updating the search index")?;
            }
        }
        tx.commit().await.ctx("committing a batch")?;
        Ok(())
    }

    /// The highest ids in use, so new ones continue after them.
    pub async fn counters(&mut self) -> Result<Counters> {
        let row = sqlx::query(
            "SELECT (SELECT COALESCE(MAX(article_id), 0) FROM articles),
                    (SELECT COALESCE(MAX(version_id), 0) FROM article_versions),
                    (SELECT COALESCE(MAX(cluster_id), 0) FROM clusters)",
        )
        .fetch_one(&mut self.writer)
        .await
        .ctx("reading counters")?;
        Ok(Counters {
            max_article: row.get(0),
            max_version: row.get(1),
            max_cluster: row.get(2),
        })
    }

    /// All sources, by id.
    pub async fn sources(&mut self) -> Result<Vec<(SourceId, String)>> {
        let rows = sqlx::query("SELECT source_id, name FROM sources")
            .fetch_all(&mut self.writer)
            .await
            .ctx("reading sources")?;
        Ok(rows
            .into_iter()
            .map(|r| (SourceId(r.get(0)), r.get(1)))
            .collect())
    }

    /// Streams every stored article's latest version to `f`, in article order.
    pub async fn for_each_stored(&mut self, mut f: impl FnMut(StoredArticle)) -> Result<()> {
        let mut rows = sqlx::query(
            "SELECT a.article_id, a.identity, a.source_id, a.cluster_id, v.version, v.content_hash,
                    v.simhash, v.sketch, v.line_hashes
             FROM articles a JOIN article_versions v ON v.version_id = a.latest_version_id
             ORDER BY a.article_id",
        )
        .fetch(&mut self.writer);
        while let Some(row) = rows.next().await {
            let row = row.ctx("reading stored articles")?;
            let sketch: Vec<u8> = row.get(7);
            let lines: Vec<u8> = row.get(8);
            let sketch = Sketch::from_bytes(&sketch);
            f(StoredArticle {
                article: ArticleId(row.get(0)),
                identity: row.get(1),
                source: SourceId(row.get(2)),
                cluster: ClusterId(row.get(3)),
                version: row.get(4),
                content_hash: row.get::<i64, _>(5) as u64,
                fingerprint: Fingerprint {
                    simhash: Simhash::from_sql(row.get(6)),
                    shingles: 0,
                    sketch,
                },
                line_hashes: hashes_from_bytes(&lines),
            });
        }
        Ok(())
    }
}
