//! Article pages in the store: the queue of entries waiting for their page, and what each page
//! fetch gave.
//!
//! In: [`PageWrite`]s from the daemon, committed by the writer in the same transaction as the
//! poll that queued the entry or the article the page became. Out: the pages due for a fetch
//! (a few per feed, so one feed's burst cannot fill the fetchers), and the word count of an
//! article's last good extraction.

use super::feeds::sql_time;
use super::rows::RowAt;
use crate::document::{ArticleId, FeedId};
use crate::error::{DbContext, Result};
use chrono::{DateTime, Utc};
use sqlx::{SqliteConnection, SqlitePool};

/// An entry waiting for its page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueuedPage {
    pub feed: FeedId,
    pub key: String,
    pub url: String,
    pub content_hash: u64,
    pub source: String,
    pub title: Option<String>,
    pub published: Option<DateTime<Utc>>,
    /// The entry's own content (HTML): the fallback.
    pub feed_html: String,
    /// Why the page is fetched: "always", or the `auto` rule that fired.
    pub reason: String,
    pub attempts: u32,
    /// The URL of the feed it came from (`None` once the feed is removed): pages on that
    /// origin are fetched whatever they resolve to, others only from public addresses.
    pub feed_url: Option<String>,
}

/// How a page fetch ended (the `page_fetches.outcome` column).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PageOutcome {
    Extracted,
    Fragment,
    Paywalled,
    Blocked,
    HttpError,
    FetchError,
    TooLarge,
    NotHtml,
    Empty,
    TooShort,
}

impl PageOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            PageOutcome::Extracted => "extracted",
            PageOutcome::Fragment => "fragment",
            PageOutcome::Paywalled => "paywalled",
            PageOutcome::Blocked => "blocked",
            PageOutcome::HttpError => "http_error",
            PageOutcome::FetchError => "fetch_error",
            PageOutcome::TooLarge => "too_large",
            PageOutcome::NotHtml => "not_html",
            PageOutcome::Empty => "empty",
            PageOutcome::TooShort => "too_short",
        }
    }

    /// Whether the entry's own content stands in for the page.
    pub fn falls_back(self) -> bool {
        !matches!(self, PageOutcome::Extracted | PageOutcome::Fragment)
    }
}

/// A finished page fetch, as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageDone {
    pub feed: FeedId,
    pub key: String,
    pub url: String,
    pub canonical_url: Option<String>,
    pub at: DateTime<Utc>,
    pub status: Option<u16>,
    pub outcome: PageOutcome,
    pub reason: Option<String>,
    pub words: Option<i64>,
    pub attempts: u32,
    pub article: Option<ArticleId>,
}

/// A change to the page tables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PageWrite {
    /// An entry waits for its page (a newer version of the entry replaces a waiting one).
    Queued {
        page: Box<QueuedPage>,
        at: DateTime<Utc>,
    },
    /// Try again at `next`: after a passing failure (`failed`: the attempt counts), or because
    /// the host asked us to wait (it does not).
    Retry {
        feed: FeedId,
        key: String,
        next: DateTime<Utc>,
        error: String,
        failed: bool,
    },
    /// The page is done with: recorded, and the entry leaves the queue.
    Done(Box<PageDone>),
}

pub(crate) async fn apply_page_write(conn: &mut SqliteConnection, w: &PageWrite) -> Result<()> {
    match w {
        PageWrite::Queued { page: p, at } => {
            let at = sql_time(*at);
            sqlx::query(
                "INSERT INTO page_queue (feed_id, entry_key, url, content_hash, source, title,
                    published, feed_html, reason, queued_at, next_attempt_at)
                 SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10
                 WHERE EXISTS (SELECT 1 FROM feeds WHERE feed_id = ?1)
                 ON CONFLICT (feed_id, entry_key) DO UPDATE SET
                    url = excluded.url, content_hash = excluded.content_hash,
                    source = excluded.source, title = excluded.title,
                    published = excluded.published, feed_html = excluded.feed_html,
                    reason = excluded.reason",
            )
            .bind(p.feed.0)
            .bind(&p.key)
            .bind(&p.url)
            .bind(p.content_hash as i64)
            .bind(&p.source)
            .bind(&p.title)
            .bind(p.published.map(sql_time))
            .bind(&p.feed_html)
            .bind(&p.reason)
            .bind(&at)
            .execute(&mut *conn)
            .await
            .ctx("queueing an article page")?;
        }
        PageWrite::Retry {
            feed,
            key,
            next,
            error,
            failed,
        } => {
            sqlx::query(
                "UPDATE page_queue SET attempts = attempts + ?5, next_attempt_at = ?3, last_error = ?4
                 WHERE feed_id = ?1 AND entry_key = ?2",
            )
            .bind(feed.0)
            .bind(key)
            .bind(sql_time(*next))
            .bind(error)
            .bind(i64::from(*failed))
            .execute(&mut *conn)
            .await
            .ctx("rescheduling an article page")?;
        }
        PageWrite::Done(d) => {
            sqlx::query("DELETE FROM page_queue WHERE feed_id = ?1 AND entry_key = ?2")
                .bind(d.feed.0)
                .bind(&d.key)
                .execute(&mut *conn)
                .await
                .ctx("taking a page off the queue")?;
            sqlx::query(
                "INSERT INTO page_fetches (feed_id, entry_key, url, canonical_url, fetched_at,
                    status, outcome, reason, words, attempts, article_id)
                 VALUES ((SELECT feed_id FROM feeds WHERE feed_id = ?1), ?2, ?3, ?4, ?5, ?6, ?7,
                    ?8, ?9, ?10, ?11)",
            )
            .bind(d.feed.0)
            .bind(&d.key)
            .bind(&d.url)
            .bind(&d.canonical_url)
            .bind(sql_time(d.at))
            .bind(d.status.map(i64::from))
            .bind(d.outcome.as_str())
            .bind(&d.reason)
            .bind(d.words)
            .bind(i64::from(d.attempts))
            .bind(d.article.map(|a| a.0))
            .execute(&mut *conn)
            .await
            .ctx("recording a page fetch")?;
        }
    }
    Ok(())
}

/// Pages due for a fetch at `now`, oldest first, at most `per_feed` of each feed's and `limit`
/// in all.
pub async fn due_pages(
    pool: &SqlitePool,
    now: DateTime<Utc>,
    per_feed: i64,
    limit: i64,
) -> Result<Vec<QueuedPage>> {
    let rows = sqlx::query(
        "SELECT feed_id, entry_key, url, content_hash, source, title, published, feed_html,
                reason, attempts, (SELECT url FROM feeds f WHERE f.feed_id = q.feed_id)
         FROM (SELECT *, row_number() OVER (PARTITION BY feed_id ORDER BY queued_at, entry_key) AS n
               FROM page_queue WHERE next_attempt_at <= ?1) q
         WHERE n <= ?2
         ORDER BY n, queued_at
         LIMIT ?3",
    )
    .bind(sql_time(now))
    .bind(per_feed)
    .bind(limit)
    .fetch_all(pool)
    .await
    .ctx("reading the page queue")?;
    rows.iter()
        .map(|r| {
            let r = RowAt::keyed(r, "page_queue", 1)?;
            Ok(QueuedPage {
                feed: FeedId(r.get(0)?),
                key: r.text(1)?,
                url: r.text(2)?,
                content_hash: r.get::<i64>(3)? as u64,
                source: r.text(4)?,
                title: r.opt_text(5)?,
                published: r
                    .opt_text(6)?
                    .and_then(|s| DateTime::parse_from_rfc3339(&s).ok())
                    .map(|t| t.with_timezone(&Utc)),
                feed_html: r.text(7)?,
                reason: r.text(8)?,
                attempts: r.get::<i64>(9)?.max(0) as u32,
                feed_url: r.opt_text(10)?,
            })
        })
        .collect()
}

/// A feed's entries waiting for their page, with their content hashes.
pub async fn queued_entries(
    pool: &SqlitePool,
    feed: FeedId,
) -> Result<std::collections::HashMap<String, u64>> {
    let rows = sqlx::query("SELECT entry_key, content_hash FROM page_queue WHERE feed_id = ?")
        .bind(feed.0)
        .fetch_all(pool)
        .await
        .ctx("reading a feed's queued pages")?;
    rows.iter()
        .map(|r| {
            let r = RowAt::keyed(r, "page_queue", 0)?;
            Ok((r.text(0)?, r.get::<i64>(1)? as u64))
        })
        .collect()
}

/// Entries of the queue, waiting or not.
pub async fn queued_pages(pool: &SqlitePool) -> Result<i64> {
    sqlx::query("SELECT count(*) FROM page_queue")
        .fetch_one(pool)
        .await
        .ctx("counting the page queue")
        .and_then(|r| RowAt::whole(&r, "the page queue's count").get(0))
}

/// The article stored under `identity` and the word count of its last good page extraction,
/// if it has one.
pub async fn last_extraction(
    pool: &SqlitePool,
    identity: &str,
) -> Result<Option<(ArticleId, i64)>> {
    let row = sqlx::query(
        "SELECT a.article_id, p.words FROM articles a
         JOIN page_fetches p ON p.article_id = a.article_id AND p.outcome = 'extracted'
         WHERE a.identity = ?1
         ORDER BY p.page_fetch_id DESC LIMIT 1",
    )
    .bind(identity)
    .fetch_optional(pool)
    .await
    .ctx("reading an article's last extraction")?;
    row.map(|r| {
        let r = RowAt::new(&r, "articles", 0)?;
        Ok((ArticleId(r.id()), r.get::<Option<i64>>(1)?.unwrap_or(0)))
    })
    .transpose()
}
