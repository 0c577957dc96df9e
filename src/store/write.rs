//! Writing: batches of article versions, their cluster assignments and merges; and reading back
//! what the pipeline needs to resume.

use super::Store;
use crate::document::{ArticleId, ClusterId, SourceId, VersionId};
use crate::error::{DbContext, Result};
use crate::fingerprint::{Fingerprint, Simhash, Sketch};
use crate::story::differences::{Difference, Member, differences};
use crate::story::{StoryId, StoryVector};
use chrono::{DateTime, SecondsFormat, Utc};
use futures_util::StreamExt;
use sqlx::Row;
use std::collections::BTreeSet;

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
    /// The story of the article's cluster after this write.
    pub story: StoryId,
    pub story_started: bool,
    /// Stories found to be the same as `story` and merged into it.
    pub story_merged: Vec<StoryId>,
    /// For an article that started a cluster: its story features and vector.
    pub story_features: Option<Vec<u32>>,
    pub story_vector: Option<StoryVector>,
    pub story_matched: Option<(ArticleId, f64)>,
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
    pub published: Option<DateTime<Utc>>,
    pub story_features: Option<Vec<u32>>,
    pub story_vector: Option<StoryVector>,
}

/// Members read per story when its differences are computed: the fullest, one article per
/// cluster and source first, so a story of many identical copies stays cheap.
const DIFFERENCE_MEMBERS: i64 = 40;

pub fn u32s_to_bytes(h: &[u32]) -> Vec<u8> {
    h.iter().flat_map(|v| v.to_le_bytes()).collect()
}

pub fn u32s_from_bytes(b: &[u8]) -> Vec<u32> {
    b.chunks_exact(4)
        .map(|c| u32::from_le_bytes(c.try_into().expect("4 bytes")))
        .collect()
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

/// What one transaction writes: articles, and the feed changes that produced them.
#[derive(Debug, Default)]
pub struct WriteBatch {
    pub articles: Vec<ArticleWrite>,
    pub feeds: Vec<super::feeds::FeedWrite>,
}

impl WriteBatch {
    pub fn is_empty(&self) -> bool {
        self.articles.is_empty() && self.feeds.is_empty()
    }
}

impl Store {
    /// Writes a batch of article versions in one transaction.
    pub async fn write_batch(&mut self, batch: &WriteBatch) -> Result<()> {
        use sqlx::Connection;
        if batch.is_empty() {
            return Ok(());
        }
        let feeds = &batch.feeds;
        let batch = &batch.articles;
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
            if w.story_started {
                sqlx::query(
                    "INSERT INTO stories (story_id, created_at, updated_at) VALUES (?, ?, ?)",
                )
                .bind(w.story.0)
                .bind(&now)
                .bind(&now)
                .execute(&mut *tx)
                .await
                .ctx("inserting a story")?;
            }
            if w.cluster_started {
                sqlx::query(
                    "INSERT INTO clusters (cluster_id, created_at, story_id) VALUES (?, ?, ?)",
                )
                .bind(w.cluster.0)
                .bind(&now)
                .bind(w.story.0)
                .execute(&mut *tx)
                .await
                .ctx("inserting a cluster")?;
            }
            for m in &w.story_merged {
                sqlx::query("UPDATE clusters SET story_id = ? WHERE story_id = ?")
                    .bind(w.story.0)
                    .bind(m.0)
                    .execute(&mut *tx)
                    .await
                    .ctx("merging stories")?;
                sqlx::query(
                    "UPDATE stories SET merged_into = ?1 WHERE story_id = ?2 OR merged_into = ?2",
                )
                .bind(w.story.0)
                .bind(m.0)
                .execute(&mut *tx)
                .await
                .ctx("merging stories")?;
                sqlx::query(
                    "INSERT OR REPLACE INTO story_merges (from_story, into_story, merged_at, by_article) VALUES (?, ?, ?, ?)",
                )
                .bind(m.0)
                .bind(w.story.0)
                .bind(&now)
                .bind(w.article.0)
                .execute(&mut *tx)
                .await
                .ctx("recording a story merge")?;
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
                "INSERT INTO article_versions (version_id, article_id, version, title, published, ingested_at, content_hash, body_kind, original, clean_text, words, simhash, sketch, line_hashes, matched_article, containment, hamming, searchable, story_features, story_vector, story_matched_article, story_similarity) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
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
            .bind(w.story_features.as_deref().map(u32s_to_bytes))
            .bind(w.story_vector.as_ref().map(StoryVector::to_bytes))
            .bind(w.story_matched.map(|m| m.0.0))
            .bind(w.story_matched.map(|m| m.1))
            .execute(&mut *tx)
            .await
            .ctx("inserting an article version")?;
            if full_text {
                sqlx::query(
                    "INSERT INTO article_search (rowid, title, clean_text) VALUES (?, ?, ?)",
                )
                .bind(w.article.0)
                .bind(&w.title)
                .bind(&w.clean_text)
                .execute(&mut *tx)
                .await
                .ctx("updating the search index")?;
            }
        }
        // Stories the batch touched get their differences recomputed by `refresh_stories`;
        // merged-away stories have none.
        let mut touched: BTreeSet<i64> = BTreeSet::new();
        let mut gone: BTreeSet<i64> = BTreeSet::new();
        for w in batch {
            touched.insert(w.story.0);
            gone.extend(w.story_merged.iter().map(|s| s.0));
        }
        for s in &gone {
            sqlx::query("DELETE FROM story_facts WHERE story_id = ?")
                .bind(s)
                .execute(&mut *tx)
                .await
                .ctx("clearing merged story differences")?;
            sqlx::query("DELETE FROM stories_dirty WHERE story_id = ?")
                .bind(s)
                .execute(&mut *tx)
                .await
                .ctx("clearing merged story differences")?;
        }
        for s in &touched {
            sqlx::query("INSERT OR IGNORE INTO stories_dirty (story_id) VALUES (?)")
                .bind(s)
                .execute(&mut *tx)
                .await
                .ctx("queueing story differences")?;
        }
        for f in feeds {
            super::feeds::apply_feed_write(&mut tx, f).await?;
        }
        tx.commit().await.ctx("committing a batch")?;
        Ok(())
    }

    /// Recomputes the differences of every story changed since they were last computed, in
    /// transactions of up to 64 stories. Returns how many stories were refreshed.
    pub async fn refresh_stories(&mut self) -> Result<usize> {
        use sqlx::Connection;
        let mut done = 0;
        loop {
            let ids: Vec<i64> =
                sqlx::query_scalar("SELECT story_id FROM stories_dirty ORDER BY story_id LIMIT 64")
                    .fetch_all(&mut self.writer)
                    .await
                    .ctx("reading changed stories")?;
            if ids.is_empty() {
                return Ok(done);
            }
            let mut tx = self.writer.begin().await.ctx("beginning a refresh")?;
            let now = sql_time(Utc::now());
            let mut stories = Vec::with_capacity(ids.len());
            for &id in &ids {
                stories.push((StoryId(id), story_members(&mut tx, StoryId(id)).await?));
            }
            // The differences of each story are independent: worked out on all cores.
            let facts: Vec<(StoryId, Option<Vec<Difference>>)> =
                tokio::task::spawn_blocking(move || {
                    use rayon::prelude::*;
                    stories
                        .into_par_iter()
                        .map(|(id, members)| {
                            let sources: BTreeSet<&str> =
                                members.iter().map(|m| m.source.as_str()).collect();
                            // A story told by one source has no differences between sources.
                            (id, (sources.len() >= 2).then(|| differences(&members)))
                        })
                        .collect()
                })
                .await
                .map_err(|e| crate::error::Error::Task(e.to_string()))?;
            for (id, diffs) in &facts {
                store_story_facts(&mut tx, *id, diffs.as_deref(), &now).await?;
                sqlx::query("DELETE FROM stories_dirty WHERE story_id = ?")
                    .bind(id.0)
                    .execute(&mut *tx)
                    .await
                    .ctx("clearing a changed story")?;
            }
            tx.commit().await.ctx("committing a refresh")?;
            done += ids.len();
        }
    }

    /// (article, content hash) of every version that is not its article's latest.
    pub async fn older_version_hashes(&mut self) -> Result<Vec<(ArticleId, u64)>> {
        let rows = sqlx::query(
            "SELECT v.article_id, v.content_hash FROM article_versions v
             JOIN articles a ON a.article_id = v.article_id
             WHERE v.version_id <> a.latest_version_id",
        )
        .fetch_all(&mut self.writer)
        .await
        .ctx("reading version hashes")?;
        Ok(rows
            .into_iter()
            .map(|r| (ArticleId(r.get(0)), r.get::<i64, _>(1) as u64))
            .collect())
    }

    /// The current story of every live cluster.
    pub async fn cluster_stories(&mut self) -> Result<Vec<(ClusterId, StoryId)>> {
        let rows = sqlx::query("SELECT cluster_id, COALESCE(story_id, cluster_id) FROM clusters WHERE merged_into IS NULL")
            .fetch_all(&mut self.writer)
            .await
            .ctx("reading cluster stories")?;
        Ok(rows
            .into_iter()
            .map(|r| (ClusterId(r.get(0)), StoryId(r.get(1))))
            .collect())
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

    /// Streams every stored article's latest version to `f`, in article order. It reads through
    /// a reader connection, whose small page cache the scan may fill, not the writer's.
    pub async fn for_each_stored(&mut self, mut f: impl FnMut(StoredArticle)) -> Result<()> {
        let mut rows = sqlx::query(
            "SELECT a.article_id, a.identity, a.source_id, a.cluster_id, v.version, v.content_hash,
                    v.simhash, v.sketch, v.line_hashes, v.published, v.story_features, v.story_vector
             FROM articles a JOIN article_versions v ON v.version_id = a.latest_version_id
             ORDER BY a.article_id",
        )
        .fetch(&self.readers);
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
                published: row
                    .get::<Option<String>, _>(9)
                    .and_then(|p| DateTime::parse_from_rfc3339(&p).ok())
                    .map(|d| d.with_timezone(&Utc)),
                story_features: row
                    .get::<Option<Vec<u8>>, _>(10)
                    .map(|b| u32s_from_bytes(&b)),
                story_vector: row
                    .get::<Option<Vec<u8>>, _>(11)
                    .map(|b| StoryVector::from_bytes(&b)),
            });
        }
        Ok(())
    }
}

/// Recomputes the stored differences of one story from its members' clean texts.
/// The members of a story whose differences are computed: the longest version a source has in
/// each cluster, longest first, at most [`DIFFERENCE_MEMBERS`].
async fn story_members(
    tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>,
    story: StoryId,
) -> Result<Vec<Member>> {
    let rows = sqlx::query(
        "SELECT a.article_id, s.name, v.title, v.published, v.words, v.clean_text
         FROM articles a
         JOIN clusters c ON c.cluster_id = a.cluster_id
         JOIN sources s ON s.source_id = a.source_id
         JOIN article_versions v ON v.version_id = a.latest_version_id
         WHERE c.story_id = ?1
         ORDER BY ROW_NUMBER() OVER (PARTITION BY a.cluster_id, a.source_id ORDER BY v.words DESC), v.words DESC
         LIMIT ?2",
    )
    .bind(story.0)
    .bind(DIFFERENCE_MEMBERS)
    .fetch_all(&mut **tx)
    .await
    .ctx("reading story members")?;
    Ok(rows
        .into_iter()
        .map(|r| Member {
            article: ArticleId(r.get(0)),
            source: r.get(1),
            title: r.get(2),
            published: r.get(3),
            words: r.get(4),
            text: r.get(5),
        })
        .collect())
}

/// Replaces a story's stored differences (`None`: a story of one source, which has none).
async fn store_story_facts(
    tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>,
    story: StoryId,
    diffs: Option<&[Difference]>,
    now: &str,
) -> Result<()> {
    sqlx::query("DELETE FROM story_facts WHERE story_id = ?")
        .bind(story.0)
        .execute(&mut **tx)
        .await
        .ctx("clearing story differences")?;
    let Some(diffs) = diffs else {
        return Ok(());
    };
    for d in diffs {
        sqlx::query("INSERT INTO story_facts (story_id, kind, subject, source, value, detail) VALUES (?, ?, ?, ?, ?, ?)")
            .bind(story.0)
            .bind(&d.kind)
            .bind(&d.subject)
            .bind(&d.source)
            .bind(&d.value)
            .bind(&d.detail)
            .execute(&mut **tx)
            .await
            .ctx("storing story differences")?;
    }
    sqlx::query("UPDATE stories SET updated_at = ? WHERE story_id = ?")
        .bind(now)
        .bind(story.0)
        .execute(&mut **tx)
        .await
        .ctx("updating a story")?;
    Ok(())
}
