//! Writing: batches of article versions, their cluster assignments and merges; and reading back
//! what the pipeline needs to resume.

use super::Store;
use super::rows::RowAt;
use crate::document::{ArticleId, ClusterId, SourceId, VersionId};
use crate::error::{DbContext, Result};
use crate::fingerprint::facts::Facts;
use crate::fingerprint::{Fingerprint, Simhash, Sketch};
use crate::story::differences::{Difference, Member, differences};
use crate::story::{StoryId, StoryVector};
use chrono::{DateTime, SecondsFormat, Utc};
use futures_util::StreamExt;
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
    /// False for an article with too little text of its own: in no one's cluster or story.
    pub reported: bool,
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
    /// What clustering and story linking index; `None` when a column of it could not be read
    /// (the error, naming the article, is logged): the article is then known by identity, so a
    /// new copy of it updates it, but no other document is matched against it.
    pub index: Option<StoredIndex>,
}

/// The part of a stored article that clustering, boilerplate learning and story linking use.
#[derive(Debug, Clone)]
pub struct StoredIndex {
    pub fingerprint: Fingerprint,
    pub line_hashes: Vec<u64>,
    /// False for an article with too little text of its own: not matched against.
    pub reported: bool,
    pub published: Option<DateTime<Utc>>,
    pub story_features: Option<Vec<u32>>,
    pub story_vector: Option<StoryVector>,
    /// The clean text of a reported version that joined a cluster on arrival (it matched a
    /// stored article); `None` for one that started a cluster: what `pipeline::split` watches.
    pub joined_text: Option<String>,
}

/// The indexed columns (7 to 15) of a row of [`Store::for_each_stored`]'s query.
fn stored_index(r: &RowAt<'_>) -> Result<StoredIndex> {
    Ok(StoredIndex {
        fingerprint: Fingerprint {
            simhash: Simhash::from_sql(r.get(6)?),
            shingles: 0,
            sketch: Sketch::from_bytes(&r.get::<Vec<u8>>(7)?),
            facts: r
                .get::<Option<Vec<u8>>>(13)?
                .map(|b| Facts::from_bytes(&b))
                .unwrap_or_default(),
        },
        line_hashes: hashes_from_bytes(&r.get::<Vec<u8>>(8)?),
        published: r
            .opt_text(9)?
            .and_then(|p| DateTime::parse_from_rfc3339(&p).ok())
            .map(|d| d.with_timezone(&Utc)),
        story_features: r.get::<Option<Vec<u8>>>(10)?.map(|b| u32s_from_bytes(&b)),
        story_vector: r
            .get::<Option<Vec<u8>>>(11)?
            .map(|b| StoryVector::from_bytes(&b)),
        reported: r.get::<i64>(12)? != 0,
        joined_text: r.opt_text(14)?,
    })
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
    /// Clusters split because lines their members were matched on have been learned since
    /// (written after the articles, which may be among the members).
    pub splits: Vec<super::split::ClusterSplit>,
}

impl WriteBatch {
    pub fn is_empty(&self) -> bool {
        self.articles.is_empty() && self.feeds.is_empty() && self.splits.is_empty()
    }
}

impl Store {
    /// Begins a transaction for [`Store::write_in_transaction`], which [`Store::end_writes`]
    /// ends: several batches can share one commit (the background writer's group commit).
    pub async fn begin_writes(&mut self) -> Result<()> {
        sqlx::query("BEGIN")
            .execute(&mut self.writer)
            .await
            .ctx("beginning a batch")?;
        Ok(())
    }

    /// Commits the transaction [`Store::begin_writes`] began when `written` is `Ok`; rolls it
    /// back otherwise (or when the commit fails), and returns the error.
    pub async fn end_writes(&mut self, written: Result<()>) -> Result<()> {
        let ended = match written {
            Ok(()) => sqlx::query("COMMIT")
                .execute(&mut self.writer)
                .await
                .ctx("committing a batch")
                .map(drop),
            Err(e) => Err(e),
        };
        if ended.is_err() {
            // Best effort: the error that got here is the one worth reporting.
            let _ = sqlx::query("ROLLBACK").execute(&mut self.writer).await;
        }
        ended
    }

    /// Writes a batch of article versions inside the transaction [`Store::begin_writes`] began.
    ///
    /// New articles that merge nothing (nearly all of them) are inserted by runs, with one
    /// multi-row statement per table and up to [`ROWS_PER_INSERT`] rows: a statement costs a
    /// round trip to sqlx's worker thread, which took more time than SQLite's own work. Updates
    /// and merges are written one by one, in order, after the run before them.
    pub async fn write_in_transaction(&mut self, batch: &WriteBatch) -> Result<()> {
        let feeds = &batch.feeds;
        let splits = &batch.splits;
        let batch = &batch.articles;
        let full_text = self.options.full_text;
        let tx = &mut self.writer;
        let mut run: Vec<&ArticleWrite> = Vec::new();
        for w in batch {
            if w.is_new && w.merged.is_empty() && w.story_merged.is_empty() {
                run.push(w);
                continue;
            }
            insert_new_articles(tx, &run, full_text).await?;
            run.clear();
            write_one(tx, w, full_text).await?;
        }
        insert_new_articles(tx, &run, full_text).await?;
        // Stories the batch touched get their differences recomputed by `refresh_stories`;
        // merged-away stories have none, and neither has a story this article just started on
        // its own (one article, one source: nothing to compare until another joins it, which
        // marks it then). Most articles start their own story, so most need no refresh.
        let mut touched: BTreeSet<i64> = BTreeSet::new();
        let mut gone: BTreeSet<i64> = BTreeSet::new();
        for w in batch {
            let alone =
                w.is_new && w.story_started && w.merged.is_empty() && w.story_merged.is_empty();
            if !alone {
                touched.insert(w.story.0);
            }
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
        let touched: Vec<i64> = touched.into_iter().collect();
        insert_rows(
            tx,
            "INSERT OR IGNORE INTO stories_dirty (story_id) ",
            &touched,
            |mut b, s| {
                b.push_bind(*s);
            },
            "queueing story differences",
        )
        .await?;
        for f in feeds {
            super::feeds::apply_feed_write(tx, f).await?;
        }
        super::split::write_splits(tx, splits).await
    }

    /// Recomputes the differences of every story changed since they were last computed, in
    /// transactions of up to [`REFRESH_CHUNK`] stories. Returns how many stories were refreshed.
    ///
    /// Two stages overlap: a task reads the next chunk through the readers (which stories have
    /// two or more sources, and their members; stories of one source, most of them, have no
    /// differences and read no text) and works out its differences on all cores, while the
    /// writer stores the chunk before it: the old facts deleted, the new ones inserted, the
    /// queue cleared, a handful of statements whatever the chunk's size. Nothing else writes
    /// while the writer is here, so the chunks read are the ones the queue holds.
    pub async fn refresh_stories(&mut self) -> Result<usize> {
        use sqlx::Connection;
        let (chunks_tx, mut chunks) = tokio::sync::mpsc::channel::<Result<RefreshChunk>>(1);
        let readers = self.readers.clone();
        let reading = tokio::spawn(async move {
            // One connection for the whole refresh, so its page cache stays warm.
            let mut conn = match readers.acquire().await.ctx("reading changed stories") {
                Ok(c) => c,
                Err(e) => {
                    let _ = chunks_tx.send(Err(e)).await;
                    return;
                }
            };
            let mut after = i64::MIN;
            loop {
                let chunk = match read_refresh_chunk(&mut conn, after).await {
                    Ok(None) => return,
                    Ok(Some(c)) => {
                        after = *c.ids.last().expect("a chunk has stories");
                        Ok(c)
                    }
                    Err(e) => Err(e),
                };
                let failed = chunk.is_err();
                if chunks_tx.send(chunk).await.is_err() || failed {
                    return;
                }
            }
        });
        let mut done = 0;
        while let Some(chunk) = chunks.recv().await {
            // An error drops the receiver, which ends the reading task.
            let RefreshChunk { ids, told, facts } = chunk?;
            let mut tx = self.writer.begin().await.ctx("beginning a refresh")?;
            let ids_json = serde_json::to_string(&ids).expect("integers serialize");
            sqlx::query(
                "DELETE FROM story_facts WHERE story_id IN (SELECT value FROM json_each(?1))",
            )
            .bind(&ids_json)
            .execute(&mut *tx)
            .await
            .ctx("clearing story differences")?;
            let rows: Vec<(i64, &Difference)> = facts
                .iter()
                .flat_map(|(id, diffs)| diffs.iter().map(move |d| (*id, d)))
                .collect();
            insert_rows(
                &mut tx,
                "INSERT INTO story_facts (story_id, kind, subject, source, value, detail) ",
                &rows,
                |mut b, (id, d)| {
                    b.push_bind(*id)
                        .push_bind(d.kind.clone())
                        .push_bind(d.subject.clone())
                        .push_bind(d.source.clone())
                        .push_bind(d.value.clone())
                        .push_bind(d.detail.clone());
                },
                "storing story differences",
            )
            .await?;
            let told_json = serde_json::to_string(&told).expect("integers serialize");
            sqlx::query(
                "UPDATE stories SET updated_at = ?1 WHERE story_id IN (SELECT value FROM json_each(?2))",
            )
            .bind(sql_time(Utc::now()))
            .bind(&told_json)
            .execute(&mut *tx)
            .await
            .ctx("updating stories")?;
            sqlx::query(
                "DELETE FROM stories_dirty WHERE story_id IN (SELECT value FROM json_each(?1))",
            )
            .bind(&ids_json)
            .execute(&mut *tx)
            .await
            .ctx("clearing changed stories")?;
            tx.commit().await.ctx("committing a refresh")?;
            done += ids.len();
        }
        reading
            .await
            .map_err(|e| crate::error::Error::Task(e.to_string()))?;
        Ok(done)
    }

    /// (article identity, content hash) of every version that is not its article's latest.
    ///
    /// This and the other start-up scans read through the readers: a scan of the versions
    /// (texts included) on the writer would fill its large page cache for nothing.
    pub async fn older_version_hashes(&mut self) -> Result<Vec<(String, u64)>> {
        let rows = sqlx::query(
            "SELECT a.identity, v.content_hash FROM article_versions v
             JOIN articles a ON a.article_id = v.article_id
             WHERE v.version_id <> a.latest_version_id",
        )
        .fetch(&self.readers);
        super::map_rows(rows, "reading version hashes", |r| {
            let r = RowAt::keyed(r, "articles", 0)?;
            Ok((r.text(0)?, r.get::<i64>(1)? as u64))
        })
        .await
    }

    /// The current story of every live cluster.
    pub async fn cluster_stories(&mut self) -> Result<Vec<(ClusterId, StoryId)>> {
        let rows = sqlx::query("SELECT cluster_id, COALESCE(story_id, cluster_id) FROM clusters WHERE merged_into IS NULL")
            .fetch(&self.readers);
        let read = super::map_rows(rows, "reading cluster stories", |r| {
            let ids = RowAt::new(r, "clusters", 0)
                .and_then(|r| Ok((ClusterId(r.dense_id(0)?), StoryId(r.dense_id(1)?))));
            // A hand-edited id the tables cannot hold: that cluster is left out, named.
            Ok(ids
                .inspect_err(|e| tracing::error!("{e}; the cluster is left out of the stories"))
                .ok())
        })
        .await?;
        Ok(read.into_iter().flatten().collect())
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
        let r = RowAt::whole(&row, "the highest article, version and cluster ids");
        // New ids continue after these, and the in-memory tables are sized by them.
        Ok(Counters {
            max_article: r.check_dense(0, r.get(0)?, 0)?,
            max_version: r.get(1)?,
            max_cluster: r.check_dense(2, r.get(2)?, 0)?,
        })
    }

    /// All sources, by id. A name that is not valid UTF-8 is read lossily, with a warning
    /// naming its row.
    pub async fn sources(&mut self) -> Result<Vec<(SourceId, String)>> {
        let rows = sqlx::query("SELECT source_id, name FROM sources").fetch(&mut self.writer);
        super::map_rows(rows, "reading sources", |r| {
            let r = RowAt::new(r, "sources", 0)?;
            Ok((SourceId(r.id()), r.text(1)?))
        })
        .await
    }

    /// Streams every stored article's latest version to `f`, in article order. It reads through
    /// a reader connection, whose small page cache the scan may fill, not the writer's.
    ///
    /// A row that cannot be read is logged as an error naming the article and left out (or,
    /// when only its indexed columns are unreadable, passed without [`StoredArticle::index`]),
    /// so one damaged row does not keep the pipeline from starting. Returns how many rows were
    /// left out.
    pub async fn for_each_stored(&mut self, mut f: impl FnMut(StoredArticle)) -> Result<usize> {
        let mut rows = sqlx::query(
            "SELECT a.article_id, a.identity, a.source_id, a.cluster_id, v.version, v.content_hash,
                    v.simhash, v.sketch, v.line_hashes, v.published, v.story_features, v.story_vector,
                    v.reported, v.facts,
                    CASE WHEN v.reported AND v.matched_article IS NOT NULL THEN v.clean_text END
             FROM articles a JOIN article_versions v ON v.version_id = a.latest_version_id
             ORDER BY a.article_id",
        )
        .fetch(&self.readers);
        let mut left_out = 0;
        while let Some(row) = rows.next().await {
            let row = row.ctx("reading stored articles")?;
            let keys = RowAt::new(&row, "articles", 0).and_then(|r| {
                r.dense_id(0)?;
                Ok((
                    r.text(1)?,
                    SourceId(r.get(2)?),
                    ClusterId(r.dense_id(3)?),
                    r.get::<i64>(4)?,
                    r.get::<i64>(5)? as u64,
                    r,
                ))
            });
            let (identity, source, cluster, version, content_hash, r) = match keys {
                Ok(k) => k,
                Err(e) => {
                    left_out += 1;
                    tracing::error!(
                        "{e}; the article is left out of the clustering state (its copies are stored as new articles)"
                    );
                    continue;
                }
            };
            let index = match stored_index(&r) {
                Ok(i) => Some(i),
                Err(e) => {
                    tracing::error!(
                        identity = ?identity,
                        "{e}; the article is not matched against new documents"
                    );
                    None
                }
            };
            f(StoredArticle {
                article: ArticleId(r.id()),
                identity,
                source,
                cluster,
                version,
                content_hash,
                index,
            });
        }
        Ok(left_out)
    }
}

/// The members of stories whose differences are computed, story by story: in each, the longest
/// version a source has in each cluster, longest first, at most [`DIFFERENCE_MEMBERS`].
async fn story_members(
    conn: &mut sqlx::SqliteConnection,
    stories: &[i64],
) -> Result<Vec<(i64, Vec<Member>)>> {
    if stories.is_empty() {
        return Ok(Vec::new());
    }
    let rows = sqlx::query(
        "WITH m AS (
             SELECT c.story_id, a.article_id, s.name, v.title, v.published, v.words, v.clean_text,
                    a.source_id,
                    ROW_NUMBER() OVER (PARTITION BY a.cluster_id, a.source_id ORDER BY v.words DESC) AS rn
             FROM clusters c
             JOIN articles a ON a.cluster_id = c.cluster_id
             JOIN sources s ON s.source_id = a.source_id
             JOIN article_versions v ON v.version_id = a.latest_version_id
             WHERE c.story_id IN (SELECT value FROM json_each(?1))
         ), r AS (
             SELECT *, ROW_NUMBER() OVER (PARTITION BY story_id ORDER BY rn, words DESC, article_id) AS k FROM m
         )
         SELECT story_id, article_id, name, title, published, words, clean_text, source_id
         FROM r WHERE k <= ?2 ORDER BY story_id, k",
    )
    .bind(serde_json::to_string(stories).expect("integers serialize"))
    .bind(DIFFERENCE_MEMBERS)
    .fetch_all(conn)
    .await
    .ctx("reading story members")?;
    let mut out: Vec<(i64, Vec<Member>)> = Vec::new();
    for r in &rows {
        let story = RowAt::new(r, "stories", 0)?.id();
        let r = RowAt::new(r, "articles", 1)?;
        let member = Member {
            article: ArticleId(r.id()),
            source: RowAt::new(r.row, "sources", 7)?.text(2)?,
            title: r.opt_text(3)?,
            published: r.opt_text(4)?,
            words: r.get(5)?,
            text: r.text(6)?,
        };
        match out.last_mut() {
            Some((s, members)) if *s == story => members.push(member),
            _ => out.push((story, vec![member])),
        }
    }
    Ok(out)
}

/// One chunk of changed stories with their new differences, ready to store.
struct RefreshChunk {
    /// The changed stories, in order.
    ids: Vec<i64>,
    /// Those of two or more sources.
    told: Vec<i64>,
    facts: Vec<(i64, Vec<Difference>)>,
}

/// Reads the next [`REFRESH_CHUNK`] changed stories after `after` and works out their
/// differences (on all cores); `None` when no changed story is left.
async fn read_refresh_chunk(
    conn: &mut sqlx::SqliteConnection,
    after: i64,
) -> Result<Option<RefreshChunk>> {
    let rows = sqlx::query(
        "SELECT d.story_id, COUNT(DISTINCT a.source_id)
         FROM (SELECT story_id FROM stories_dirty WHERE story_id > ?2 ORDER BY story_id LIMIT ?1) d
         LEFT JOIN clusters c ON c.story_id = d.story_id
         LEFT JOIN articles a ON a.cluster_id = c.cluster_id
         GROUP BY d.story_id
         ORDER BY d.story_id",
    )
    .bind(REFRESH_CHUNK)
    .bind(after)
    .fetch_all(&mut *conn)
    .await
    .ctx("reading changed stories")?;
    if rows.is_empty() {
        return Ok(None);
    }
    let mut ids = Vec::with_capacity(rows.len());
    let mut told = Vec::new();
    for r in &rows {
        let r = RowAt::new(r, "stories_dirty", 0)?;
        ids.push(r.id());
        if r.get::<i64>(1)? >= 2 {
            told.push(r.id());
        }
    }
    let members = story_members(conn, &told).await?;
    // The differences of each story are independent: worked out on all cores.
    let facts: Vec<(i64, Vec<Difference>)> = tokio::task::spawn_blocking(move || {
        use rayon::prelude::*;
        members
            .into_par_iter()
            .map(|(id, members)| {
                let sources: BTreeSet<&str> = members.iter().map(|m| m.source.as_str()).collect();
                // Members read are all of one source: no differences between sources.
                let diffs = if sources.len() >= 2 {
                    differences(&members)
                } else {
                    Vec::new()
                };
                (id, diffs)
            })
            .collect()
    })
    .await
    .map_err(|e| crate::error::Error::Task(e.to_string()))?;
    Ok(Some(RefreshChunk { ids, told, facts }))
}

/// Stories refreshed per transaction.
const REFRESH_CHUNK: i64 = 512;

/// Rows per multi-row INSERT (a batch's run of new articles is usually one statement): 24 columns
/// × 512 rows stays below SQLite's limit of 32,766 bound values. Foreign keys make a multi-row
/// statement abortable, so SQLite copies every existing page it changes (the leaves of the
/// indexes keyed by URL and date, mostly) into a statement journal first: the fewer the
/// statements, the fewer the copies. 512 rather than 128 cut the CPU of a 100k ingest by about
/// 1 s (BENCHMARKS §5).
const ROWS_PER_INSERT: usize = 512;

/// Inserts `rows` with statements of up to [`ROWS_PER_INSERT`] rows each: `head` is the
/// statement up to `VALUES`, `push` binds one row's values.
async fn insert_rows<T>(
    conn: &mut sqlx::SqliteConnection,
    head: &'static str,
    rows: &[T],
    mut push: impl FnMut(sqlx::query_builder::Separated<'_, sqlx::Sqlite, &'static str>, &T),
    what: &'static str,
) -> Result<()> {
    for chunk in insert_chunks(rows) {
        let mut q = sqlx::QueryBuilder::<sqlx::Sqlite>::new(head);
        q.push_values(chunk, &mut push);
        q.build().execute(&mut *conn).await.ctx(what)?;
    }
    Ok(())
}

/// `rows` in order, cut into statements of [`ROWS_PER_INSERT`] rows and then powers of two: a
/// statement's text depends on its row count, and sqlx keeps each text it prepared, so at most
/// ten shapes per table are prepared and kept (any count up to 512 made the daemon 14 MiB
/// larger, with a large prepared statement for each count it had met).
fn insert_chunks<T>(mut rows: &[T]) -> impl Iterator<Item = &[T]> {
    std::iter::from_fn(move || {
        if rows.is_empty() {
            return None;
        }
        let n = ROWS_PER_INSERT.min(1 << rows.len().ilog2());
        let (chunk, rest) = rows.split_at(n);
        rows = rest;
        Some(chunk)
    })
}

/// Inserts a run of new articles that merge nothing: their new sources, stories and clusters,
/// the articles, their first versions and their search entries, a table at a time.
async fn insert_new_articles(
    conn: &mut sqlx::SqliteConnection,
    run: &[&ArticleWrite],
    full_text: bool,
) -> Result<()> {
    if run.is_empty() {
        return Ok(());
    }
    insert_started(conn, run).await?;
    insert_articles(conn, run).await?;
    insert_versions(conn, run, full_text).await
}

/// Inserts the sources, stories and clusters that these writes are the first of.
async fn insert_started(conn: &mut sqlx::SqliteConnection, run: &[&ArticleWrite]) -> Result<()> {
    let now = |w: &ArticleWrite| sql_time(w.ingested_at);
    let sources: Vec<&NewSource> = run.iter().filter_map(|w| w.new_source.as_ref()).collect();
    insert_rows(
        conn,
        "INSERT INTO sources (source_id, name) ",
        &sources,
        |mut b, s| {
            b.push_bind(s.id.0).push_bind(s.name.clone());
        },
        "inserting sources",
    )
    .await?;
    let stories: Vec<&&ArticleWrite> = run.iter().filter(|w| w.story_started).collect();
    insert_rows(
        conn,
        "INSERT INTO stories (story_id, created_at, updated_at) ",
        &stories,
        |mut b, w| {
            b.push_bind(w.story.0).push_bind(now(w)).push_bind(now(w));
        },
        "inserting stories",
    )
    .await?;
    let clusters: Vec<&&ArticleWrite> = run.iter().filter(|w| w.cluster_started).collect();
    insert_rows(
        conn,
        "INSERT INTO clusters (cluster_id, created_at, story_id) ",
        &clusters,
        |mut b, w| {
            b.push_bind(w.cluster.0)
                .push_bind(now(w))
                .push_bind(w.story.0);
        },
        "inserting clusters",
    )
    .await
}

/// Inserts the `articles` rows of new articles.
async fn insert_articles(conn: &mut sqlx::SqliteConnection, run: &[&ArticleWrite]) -> Result<()> {
    insert_rows(
        conn,
        "INSERT INTO articles (article_id, identity, source_id, external_id, url, cluster_id, latest_version_id, first_seen, updated_at) ",
        run,
        |mut b, w| {
            let now = sql_time(w.ingested_at);
            b.push_bind(w.article.0)
                .push_bind(w.identity.clone())
                .push_bind(w.source.0)
                .push_bind(w.external_id.clone())
                .push_bind(w.url.clone())
                .push_bind(w.cluster.0)
                .push_bind(w.version_id.0)
                .push_bind(now.clone())
                .push_bind(now);
        },
        "inserting articles",
    )
    .await
}

/// Inserts the versions of these writes, and their search entries when the index is on.
async fn insert_versions(
    conn: &mut sqlx::SqliteConnection,
    run: &[&ArticleWrite],
    full_text: bool,
) -> Result<()> {
    insert_rows(
        conn,
        VERSION_INSERT,
        run,
        |b, w| bind_version(b, w, full_text),
        "inserting article versions",
    )
    .await?;
    if full_text {
        insert_rows(
            conn,
            "INSERT INTO article_search (rowid, title, clean_text) ",
            run,
            |mut b, w| {
                b.push_bind(w.article.0)
                    .push_bind(w.title.clone())
                    .push_bind(w.clean_text.clone());
            },
            "updating the search index",
        )
        .await?;
    }
    Ok(())
}

const VERSION_INSERT: &str = "INSERT INTO article_versions (version_id, article_id, version, title, published, ingested_at, content_hash, body_kind, original, clean_text_own, words, simhash, sketch, line_hashes, matched_article, containment, hamming, searchable, story_features, story_vector, story_matched_article, story_similarity, reported, facts) ";

/// Binds one `article_versions` row, in the order of [`VERSION_INSERT`].
fn bind_version(
    mut b: sqlx::query_builder::Separated<'_, sqlx::Sqlite, &'static str>,
    w: &ArticleWrite,
    full_text: bool,
) {
    b.push_bind(w.version_id.0)
        .push_bind(w.article.0)
        .push_bind(w.version)
        .push_bind(w.title.clone())
        .push_bind(w.published.map(sql_time))
        .push_bind(sql_time(w.ingested_at))
        .push_bind(w.content_hash as i64)
        .push_bind(w.body_kind)
        .push_bind(w.original.clone())
        // Stored once when it is the original (migration 0007).
        .push_bind(if w.clean_text == w.original {
            String::new()
        } else {
            w.clean_text.clone()
        })
        .push_bind(w.words)
        .push_bind(w.fingerprint.simhash.to_sql())
        .push_bind(w.fingerprint.sketch.to_bytes())
        .push_bind(hashes_to_bytes(&w.line_hashes))
        .push_bind(w.matched.map(|m| m.0.0))
        .push_bind(w.matched.map(|m| m.1))
        .push_bind(w.matched.map(|m| m.2 as i64))
        .push_bind(full_text)
        .push_bind(w.story_features.as_deref().map(u32s_to_bytes))
        .push_bind(w.story_vector.as_ref().map(StoryVector::to_bytes))
        .push_bind(w.story_matched.map(|m| m.0.0))
        .push_bind(w.story_matched.map(|m| m.1))
        .push_bind(w.reported)
        .push_bind(
            (!w.fingerprint.facts.words().is_empty()).then(|| w.fingerprint.facts.to_bytes()),
        );
}

/// Writes one article version that updates a stored article or merges clusters or stories:
/// the merges and updates statement by statement, in their place.
async fn write_one(
    conn: &mut sqlx::SqliteConnection,
    w: &ArticleWrite,
    full_text: bool,
) -> Result<()> {
    insert_started(conn, &[w]).await?;
    let now = sql_time(w.ingested_at);
    for m in &w.story_merged {
        sqlx::query("UPDATE clusters SET story_id = ? WHERE story_id = ?")
            .bind(w.story.0)
            .bind(m.0)
            .execute(&mut *conn)
            .await
            .ctx("merging stories")?;
        sqlx::query("UPDATE stories SET merged_into = ?1 WHERE story_id = ?2 OR merged_into = ?2")
            .bind(w.story.0)
            .bind(m.0)
            .execute(&mut *conn)
            .await
            .ctx("merging stories")?;
        sqlx::query(
                "INSERT OR REPLACE INTO story_merges (from_story, into_story, merged_at, by_article) VALUES (?, ?, ?, ?)",
            )
            .bind(m.0)
            .bind(w.story.0)
            .bind(&now)
            .bind(w.article.0)
            .execute(&mut *conn)
            .await
            .ctx("recording a story merge")?;
    }
    for m in &w.merged {
        sqlx::query("UPDATE articles SET cluster_id = ? WHERE cluster_id = ?")
            .bind(w.cluster.0)
            .bind(m.0)
            .execute(&mut *conn)
            .await
            .ctx("merging clusters")?;
        sqlx::query(
            "UPDATE clusters SET merged_into = ?1 WHERE cluster_id = ?2 OR merged_into = ?2",
        )
        .bind(w.cluster.0)
        .bind(m.0)
        .execute(&mut *conn)
        .await
        .ctx("merging clusters")?;
        sqlx::query(
                "INSERT OR REPLACE INTO cluster_merges (from_cluster, into_cluster, merged_at, by_article) VALUES (?, ?, ?, ?)",
            )
            .bind(m.0)
            .bind(w.cluster.0)
            .bind(&now)
            .bind(w.article.0)
            .execute(&mut *conn)
            .await
            .ctx("recording a cluster merge")?;
    }
    if w.is_new {
        insert_articles(conn, &[w]).await?;
    } else {
        // The previous version leaves the search index (if it was in it).
        sqlx::query(
            "INSERT INTO article_search (article_search, rowid, title, clean_text)
                 SELECT 'delete', a.article_id, v.title, v.clean_text
                 FROM articles a JOIN article_versions v ON v.version_id = a.latest_version_id
                 WHERE a.article_id = ?1 AND v.searchable = 1",
        )
        .bind(w.article.0)
        .execute(&mut *conn)
        .await
        .ctx("updating the search index")?;
        sqlx::query(
            "UPDATE article_versions SET searchable = 0
                 WHERE version_id = (SELECT latest_version_id FROM articles WHERE article_id = ?)",
        )
        .bind(w.article.0)
        .execute(&mut *conn)
        .await
        .ctx("updating the search index")?;
        sqlx::query(
                "UPDATE articles SET cluster_id = ?, latest_version_id = ?, updated_at = ? WHERE article_id = ?",
            )
            .bind(w.cluster.0)
            .bind(w.version_id.0)
            .bind(&now)
            .bind(w.article.0)
            .execute(&mut *conn)
            .await
            .ctx("updating an article")?;
    }
    insert_versions(conn, &[w], full_text).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn insert_chunks_keep_order_and_come_in_few_sizes() {
        for len in [0usize, 1, 2, 3, 7, 20, 300, 511, 512, 513, 1500] {
            let rows: Vec<usize> = (0..len).collect();
            let chunks: Vec<&[usize]> = super::insert_chunks(&rows).collect();
            assert_eq!(chunks.concat(), rows, "{len}");
            for c in &chunks {
                assert!(
                    c.len().is_power_of_two() && c.len() <= super::ROWS_PER_INSERT,
                    "{len}"
                );
            }
            // Full statements first, then each power of two at most once.
            let full = len / super::ROWS_PER_INSERT;
            let rest = len % super::ROWS_PER_INSERT;
            assert_eq!(chunks.len(), full + rest.count_ones() as usize, "{len}");
        }
    }
}
