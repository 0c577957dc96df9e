//! Feeds in the store: the feed list people edit, and the schedule and entries the daemon keeps.
//!
//! In: edits from `newsdedup feeds ...` (on their own connection, while the daemon may run: each
//! is one short transaction, and the daemon re-reads the table), and [`FeedWrite`]s from the daemon
//! (committed by the writer in the same transaction as the articles they produced). Out:
//! [`FeedRow`]s, the feeds due for a poll, and each feed's known entries.

use super::rows::RowAt;
use crate::document::{ArticleId, FeedId};
use crate::error::{DbContext, Error, Result};
use crate::schedule::{FeedHints, FeedSchedule};
use chrono::{DateTime, Duration, SecondsFormat, Utc};
use sqlx::{SqliteConnection, SqlitePool};
use std::collections::HashMap;

/// When to fetch the article page for a feed's entries (issue 5's full-text policy).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum FullTextPolicy {
    #[default]
    Auto,
    Always,
    Never,
}

impl FullTextPolicy {
    pub fn as_str(self) -> &'static str {
        match self {
            FullTextPolicy::Auto => "auto",
            FullTextPolicy::Always => "always",
            FullTextPolicy::Never => "never",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "auto" => Some(FullTextPolicy::Auto),
            "always" => Some(FullTextPolicy::Always),
            "never" => Some(FullTextPolicy::Never),
            _ => None,
        }
    }
}

/// One feed as stored.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct FeedRow {
    pub id: FeedId,
    pub url: String,
    pub name: Option<String>,
    pub title: Option<String>,
    pub site_url: Option<String>,
    pub enabled: bool,
    pub interval_secs: Option<i64>,
    pub full_text: FullTextPolicy,
    pub from_config: bool,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    pub next_poll_at: Option<DateTime<Utc>>,
    pub last_poll_at: Option<DateTime<Utc>>,
    pub last_success_at: Option<DateTime<Utc>>,
    pub last_status: Option<i64>,
    pub last_outcome: Option<String>,
    pub last_error: Option<String>,
    pub last_error_at: Option<DateTime<Utc>>,
    pub failures: i64,
    pub failing_since: Option<DateTime<Utc>>,
    pub disabled_reason: Option<String>,
    pub hints: FeedHints,
    pub publish_interval_secs: Option<i64>,
    pub entries_seen: i64,
    pub articles: i64,
}

impl FeedRow {
    /// The name people see: the given name, else the feed's title, else its URL.
    pub fn display_name(&self) -> &str {
        self.name
            .as_deref()
            .or(self.title.as_deref())
            .unwrap_or(&self.url)
    }

    /// The source name its articles are stored under: the given name, else the feed's title,
    /// else the host of its URL.
    pub fn source_name(&self) -> String {
        if let Some(n) = self.name.as_deref().or(self.title.as_deref()) {
            return n.to_string();
        }
        url::Url::parse(&self.url)
            .ok()
            .and_then(|u| u.host_str().map(str::to_string))
            .unwrap_or_else(|| self.url.clone())
    }

    /// The schedule state of the feed.
    pub fn schedule(&self) -> FeedSchedule {
        FeedSchedule {
            fixed_interval: self.interval_secs.map(stored_seconds),
            publish_interval: self.publish_interval_secs.map(stored_seconds),
            hints: self.hints.clone(),
            failures: self.failures.max(0) as u32,
            failing_since: self.failing_since,
        }
    }
}

/// A stored count of seconds as a duration; one beyond chrono's range (a hand-edited row) is
/// taken as the longest (or most negative) duration, which the schedule clamps.
fn stored_seconds(secs: i64) -> Duration {
    Duration::try_seconds(secs).unwrap_or(if secs < 0 {
        Duration::MIN
    } else {
        Duration::MAX
    })
}

pub(crate) fn sql_time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

fn parse_time(s: Option<String>) -> Option<DateTime<Utc>> {
    s.and_then(|s| DateTime::parse_from_rfc3339(&s).ok())
        .map(|t| t.with_timezone(&Utc))
}

const FEED_COLUMNS: &str = "feed_id, url, name, title, site_url, enabled, interval_secs, full_text, from_config, etag, last_modified, next_poll_at, last_poll_at, last_success_at, last_status, last_outcome, last_error, last_error_at, failures, failing_since, disabled_reason, hints, publish_interval_secs, entries_seen, articles";

fn feed_from_row(r: &sqlx::sqlite::SqliteRow) -> Result<FeedRow> {
    let r = RowAt::new(r, "feeds", 0)?;
    Ok(FeedRow {
        id: FeedId(r.id()),
        url: r.text(1)?,
        name: r.opt_text(2)?,
        title: r.opt_text(3)?,
        site_url: r.opt_text(4)?,
        enabled: r.get::<i64>(5)? != 0,
        interval_secs: r.get(6)?,
        full_text: FullTextPolicy::parse(&r.text(7)?).unwrap_or_default(),
        from_config: r.get::<i64>(8)? != 0,
        etag: r.opt_text(9)?,
        last_modified: r.opt_text(10)?,
        next_poll_at: parse_time(r.opt_text(11)?),
        last_poll_at: parse_time(r.opt_text(12)?),
        last_success_at: parse_time(r.opt_text(13)?),
        last_status: r.get(14)?,
        last_outcome: r.opt_text(15)?,
        last_error: r.opt_text(16)?,
        last_error_at: parse_time(r.opt_text(17)?),
        failures: r.get(18)?,
        failing_since: parse_time(r.opt_text(19)?),
        disabled_reason: r.opt_text(20)?,
        hints: r
            .opt_text(21)?
            .and_then(|h| serde_json::from_str(&h).ok())
            .unwrap_or_default(),
        publish_interval_secs: r.get(22)?,
        entries_seen: r.get(23)?,
        articles: r.get(24)?,
    })
}

/// A feed row, or `None` (with an error naming the row) when it cannot be read: one damaged row
/// leaves out that feed, not every feed.
fn feed_or_skip(r: &sqlx::sqlite::SqliteRow) -> Result<Option<FeedRow>> {
    Ok(feed_from_row(r)
        .inspect_err(|e| tracing::error!("{e}; the feed is left out"))
        .ok())
}

/// Every feed, by id.
pub async fn list_feeds(pool: &SqlitePool) -> Result<Vec<FeedRow>> {
    let sql = format!("SELECT {FEED_COLUMNS} FROM feeds ORDER BY feed_id");
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).fetch(pool);
    let feeds = super::map_rows(rows, "reading feeds", feed_or_skip).await?;
    Ok(feeds.into_iter().flatten().collect())
}

/// The enabled feeds due for a poll at `now`, most overdue first.
pub async fn due_feeds(pool: &SqlitePool, now: DateTime<Utc>, limit: i64) -> Result<Vec<FeedRow>> {
    let sql = format!(
        "SELECT {FEED_COLUMNS} FROM feeds
         WHERE enabled = 1 AND (next_poll_at IS NULL OR next_poll_at <= ?1)
         ORDER BY next_poll_at IS NOT NULL, next_poll_at, feed_id LIMIT ?2"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(sql_time(now))
        .bind(limit)
        .fetch(pool);
    let feeds = super::map_rows(rows, "reading due feeds", feed_or_skip).await?;
    Ok(feeds.into_iter().flatten().collect())
}

/// The soonest scheduled poll of an enabled feed.
pub async fn next_due(pool: &SqlitePool) -> Result<Option<DateTime<Utc>>> {
    let t: Option<String> =
        sqlx::query_scalar("SELECT MIN(COALESCE(next_poll_at, '')) FROM feeds WHERE enabled = 1")
            .fetch_one(pool)
            .await
            .ctx("reading the schedule")?;
    Ok(match t {
        Some(s) if s.is_empty() => Some(DateTime::<Utc>::MIN_UTC),
        other => parse_time(other),
    })
}

/// A feed by id or URL.
pub async fn find_feed(conn: &mut SqliteConnection, key: &str) -> Result<Option<FeedRow>> {
    let sql =
        format!("SELECT {FEED_COLUMNS} FROM feeds WHERE url = ?1 OR CAST(feed_id AS TEXT) = ?1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(key)
        .fetch_optional(&mut *conn)
        .await
        .ctx("finding a feed")?;
    row.as_ref().map(feed_from_row).transpose()
}

/// A feed to add.
#[derive(Debug, Clone, Default)]
pub struct NewFeed {
    pub url: String,
    pub name: Option<String>,
    pub interval_secs: Option<i64>,
    pub full_text: FullTextPolicy,
    pub from_config: bool,
}

/// Adds a feed, or returns the id of the feed with that URL (updating its name, interval and
/// policy when given). The bool says whether it was new.
pub async fn add_feed(conn: &mut SqliteConnection, f: &NewFeed) -> Result<(FeedId, bool)> {
    if let Some(existing) = find_feed(conn, &f.url).await? {
        sqlx::query(
            "UPDATE feeds SET name = COALESCE(?2, name), interval_secs = COALESCE(?3, interval_secs),
             full_text = ?4 WHERE feed_id = ?1",
        )
        .bind(existing.id.0)
        .bind(&f.name)
        .bind(f.interval_secs)
        .bind(f.full_text.as_str())
        .execute(&mut *conn)
        .await
        .ctx("updating a feed")?;
        return Ok((existing.id, false));
    }
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO feeds (url, name, interval_secs, full_text, from_config, added_at)
         VALUES (?, ?, ?, ?, ?, ?) RETURNING feed_id",
    )
    .bind(&f.url)
    .bind(&f.name)
    .bind(f.interval_secs)
    .bind(f.full_text.as_str())
    .bind(f.from_config)
    .bind(sql_time(Utc::now()))
    .fetch_one(&mut *conn)
    .await
    .ctx("adding a feed")?;
    Ok((FeedId(id), true))
}

/// Removes a feed (its entries go with it; its articles stay).
pub async fn remove_feed(conn: &mut SqliteConnection, id: FeedId) -> Result<()> {
    sqlx::query("DELETE FROM feeds WHERE feed_id = ?")
        .bind(id.0)
        .execute(&mut *conn)
        .await
        .ctx("removing a feed")?;
    Ok(())
}

/// Enables (clearing its failures and the reason it was disabled, and making it due now) or
/// disables a feed.
pub async fn set_enabled(conn: &mut SqliteConnection, id: FeedId, enabled: bool) -> Result<()> {
    let sql = if enabled {
        "UPDATE feeds SET enabled = 1, disabled_reason = NULL, disabled_at = NULL, failures = 0,
         failing_since = NULL, next_poll_at = NULL WHERE feed_id = ?"
    } else {
        "UPDATE feeds SET enabled = 0, disabled_reason = 'disabled by hand', disabled_at = ?2 WHERE feed_id = ?1"
    };
    sqlx::query(sql)
        .bind(id.0)
        .bind(sql_time(Utc::now()))
        .execute(&mut *conn)
        .await
        .ctx("enabling or disabling a feed")?;
    Ok(())
}

/// The entries a feed has carried: entry key → content hash.
pub async fn feed_entries(pool: &SqlitePool, id: FeedId) -> Result<HashMap<String, u64>> {
    let rows = sqlx::query("SELECT entry_key, content_hash FROM feed_entries WHERE feed_id = ?")
        .bind(id.0)
        .fetch_all(pool)
        .await
        .ctx("reading feed entries")?;
    rows.iter()
        .map(|r| {
            let r = RowAt::keyed(r, "feed_entries", 0)?;
            Ok((r.text(0)?, r.get::<i64>(1)? as u64))
        })
        .collect()
}

/// Hosts that asked us to wait, and until when (only those still in the future).
pub async fn host_backoffs(
    pool: &SqlitePool,
    now: DateTime<Utc>,
) -> Result<Vec<(String, DateTime<Utc>)>> {
    let rows = sqlx::query("SELECT host, retry_after FROM host_backoff WHERE retry_after > ?")
        .bind(sql_time(now))
        .fetch_all(pool)
        .await
        .ctx("reading host back-offs")?;
    let mut out = Vec::new();
    for r in &rows {
        let r = RowAt::keyed(r, "host_backoff", 0)?;
        if let Some(t) = parse_time(r.opt_text(1)?) {
            out.push((r.text(0)?, t));
        }
    }
    Ok(out)
}

/// What a poll changes of its feed.
#[derive(Debug, Clone, PartialEq)]
pub struct FeedPolled {
    pub feed: FeedId,
    pub at: DateTime<Utc>,
    /// The feed moved permanently (301/308): its new URL.
    pub new_url: Option<String>,
    pub status: Option<u16>,
    pub outcome: &'static str,
    pub error: Option<String>,
    /// Conditional-GET validators (kept as they were when `None`).
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    /// Metadata of a parsed feed.
    pub title: Option<String>,
    pub site_url: Option<String>,
    pub hints: Option<FeedHints>,
    pub publish_interval_secs: Option<i64>,
    pub success: bool,
    pub next_poll_at: DateTime<Utc>,
    pub failures: u32,
    pub failing_since: Option<DateTime<Utc>>,
    pub disable: Option<String>,
    pub entries_seen: i64,
    pub articles: i64,
}

/// One entry of a feed, as seen by a poll.
#[derive(Debug, Clone, PartialEq)]
pub struct EntrySeen {
    pub feed: FeedId,
    pub key: String,
    pub content_hash: u64,
    pub article: Option<ArticleId>,
    pub link: Option<String>,
    pub at: DateTime<Utc>,
}

/// A change the daemon makes to the feed tables, committed with the articles it produced.
#[derive(Debug, Clone, PartialEq)]
pub enum FeedWrite {
    Polled(Box<FeedPolled>),
    Entry(EntrySeen),
    HostBackoff {
        host: String,
        until: DateTime<Utc>,
        reason: String,
    },
    /// The page queue and the record of page fetches (full text).
    Page(super::pages::PageWrite),
}

pub(crate) async fn apply_feed_write(conn: &mut SqliteConnection, w: &FeedWrite) -> Result<()> {
    match w {
        FeedWrite::Page(p) => super::pages::apply_page_write(conn, p).await?,
        FeedWrite::Polled(p) => {
            if let Some(url) = &p.new_url {
                // Another feed may already have that URL: then keep ours as it is.
                sqlx::query(
                    "UPDATE feeds SET url = ?2 WHERE feed_id = ?1
                     AND NOT EXISTS (SELECT 1 FROM feeds WHERE url = ?2)",
                )
                .bind(p.feed.0)
                .bind(url)
                .execute(&mut *conn)
                .await
                .ctx("updating a moved feed's URL")?;
            }
            let at = sql_time(p.at);
            sqlx::query(
                "UPDATE feeds SET
                    last_poll_at = ?2,
                    last_status = ?3,
                    last_outcome = ?4,
                    last_error = CASE WHEN ?5 IS NULL THEN last_error ELSE ?5 END,
                    last_error_at = CASE WHEN ?5 IS NULL THEN last_error_at ELSE ?2 END,
                    etag = COALESCE(?6, etag),
                    last_modified = COALESCE(?7, last_modified),
                    title = COALESCE(?8, title),
                    site_url = COALESCE(?9, site_url),
                    hints = COALESCE(?10, hints),
                    publish_interval_secs = COALESCE(?11, publish_interval_secs),
                    last_success_at = CASE WHEN ?12 THEN ?2 ELSE last_success_at END,
                    next_poll_at = ?13,
                    failures = ?14,
                    failing_since = ?15,
                    enabled = CASE WHEN ?16 IS NULL THEN enabled ELSE 0 END,
                    disabled_reason = COALESCE(?16, disabled_reason),
                    disabled_at = CASE WHEN ?16 IS NULL THEN disabled_at ELSE ?2 END,
                    entries_seen = entries_seen + ?17,
                    articles = articles + ?18
                 WHERE feed_id = ?1",
            )
            .bind(p.feed.0)
            .bind(&at)
            .bind(p.status.map(i64::from))
            .bind(p.outcome)
            .bind(&p.error)
            .bind(&p.etag)
            .bind(&p.last_modified)
            .bind(&p.title)
            .bind(&p.site_url)
            .bind(
                p.hints
                    .as_ref()
                    .map(|h| serde_json::to_string(h).unwrap_or_default()),
            )
            .bind(p.publish_interval_secs)
            .bind(p.success)
            .bind(sql_time(p.next_poll_at))
            .bind(p.failures as i64)
            .bind(p.failing_since.map(sql_time))
            .bind(&p.disable)
            .bind(p.entries_seen)
            .bind(p.articles)
            .execute(&mut *conn)
            .await
            .ctx("recording a poll")?;
        }
        FeedWrite::Entry(e) => {
            let at = sql_time(e.at);
            sqlx::query(
                "INSERT INTO feed_entries (feed_id, entry_key, content_hash, article_id, link, first_seen, last_seen)
                 SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?6 WHERE EXISTS (SELECT 1 FROM feeds WHERE feed_id = ?1)
                 ON CONFLICT (feed_id, entry_key) DO UPDATE SET
                    content_hash = excluded.content_hash,
                    article_id = COALESCE(excluded.article_id, article_id),
                    link = COALESCE(excluded.link, link),
                    last_seen = excluded.last_seen",
            )
            .bind(e.feed.0)
            .bind(&e.key)
            .bind(e.content_hash as i64)
            .bind(e.article.map(|a| a.0))
            .bind(&e.link)
            .bind(&at)
            .execute(&mut *conn)
            .await
            .ctx("recording a feed entry")?;
        }
        FeedWrite::HostBackoff {
            host,
            until,
            reason,
        } => {
            sqlx::query(
                "INSERT INTO host_backoff (host, retry_after, reason) VALUES (?, ?, ?)
                 ON CONFLICT (host) DO UPDATE SET retry_after = excluded.retry_after, reason = excluded.reason",
            )
            .bind(host)
            .bind(sql_time(*until))
            .bind(reason)
            .execute(&mut *conn)
            .await
            .ctx("recording a host back-off")?;
        }
    }
    Ok(())
}

/// Opens a connection for editing the feed list, creating the database if needed. It takes no
/// writer lock: each edit is one short transaction, which waits for the daemon's (busy timeout).
pub async fn open_admin(path: &std::path::Path) -> Result<SqliteConnection> {
    use sqlx::ConnectOptions;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|source| Error::Io {
            path: dir.to_owned(),
            source,
        })?;
    }
    let mut conn = super::connect_options(path)?
        .connect()
        .await
        .map_err(|source| Error::Open {
            path: path.to_owned(),
            source,
        })?;
    super::MIGRATOR
        .run(&mut conn)
        .await
        .map_err(|source| Error::Migrate {
            path: path.to_owned(),
            source,
        })?;
    Ok(conn)
}
