//! One poll: a feed as stored → fetch (conditional GET) → parse, or find the feed an HTML page
//! links to → a [`PollReport`]. The feed's own origin is trusted; its redirects to other hosts and
//! a discovered feed on another origin must pass the outbound policy.
//!
//! Nothing here writes: the report goes back to the daemon's single writer. Parsing runs on the
//! blocking pool, and a parser panic is already turned into an error by `feeds::parse_feed`.

use crate::feeds::{ParsedFeed, discover_feeds, looks_like_feed, parse_feed};
use crate::fetch::{FetchError, FetchOutcome, FetchRequest, Fetcher, Meta, Reach};
use crate::limits::Limits;
use crate::store::feeds::FeedRow;
use chrono::{DateTime, Utc};
use std::time::Duration;

/// What a poll found.
#[derive(Debug)]
pub enum Polled {
    Parsed(Box<ParsedFeed>),
    NotModified,
    Gone,
    /// A final status other than 2xx, 304 and 410.
    Status(u16),
    FetchFailed(FetchError),
    /// The body could not be read as a feed (the reason says which step failed).
    ParseFailed(String),
    /// Not fetched: the host asked us to wait (Retry-After) until then.
    HostBlocked(DateTime<Utc>),
}

/// The result of polling one feed.
#[derive(Debug)]
pub struct PollReport {
    pub feed: FeedRow,
    pub started: DateTime<Utc>,
    pub result: Polled,
    /// The last response's metadata (validators, caching, Retry-After), when one came.
    pub meta: Option<Meta>,
    /// Body bytes received (decompressed), over every request of the poll.
    pub bytes: u64,
    pub elapsed: Duration,
    /// Where the feed lives now: the target of permanent redirects, or the feed an HTML page
    /// announced in place of the page.
    pub new_url: Option<String>,
}

/// Polls one feed; a feed whose host asked us to wait is not fetched.
pub async fn poll_feed(fetcher: &Fetcher, feed: FeedRow, limits: &Limits) -> PollReport {
    let started = Utc::now();
    if let Some(until) = fetcher.blocked_until(&feed.url).filter(|t| *t > started) {
        return PollReport {
            feed,
            started,
            result: Polled::HostBlocked(until),
            meta: None,
            bytes: 0,
            elapsed: Duration::ZERO,
            new_url: None,
        };
    }
    let clock = std::time::Instant::now();
    let req = FetchRequest::new(feed.url.clone())
        .with_validators(feed.etag.clone(), feed.last_modified.clone());
    let outcome = fetcher.fetch(req).await;
    let mut bytes = outcome.bytes();
    let mut new_url = outcome.meta().and_then(|m| m.moved_permanently_to.clone());
    let (result, meta) = match outcome {
        FetchOutcome::Ok(f) => {
            let content_type = f.meta.content_type.clone();
            let url = f.meta.url.clone();
            if !looks_like_feed(&f.body, content_type.as_deref())
                && let Some(found) = discover_feeds(&f.body, content_type.as_deref(), &url)
                    .into_iter()
                    .next()
            {
                // A web page: poll the feed it announces, and keep that URL from now on once it
                // answered. The link came from the page: only the operator's feed's origin is
                // trusted, so a link elsewhere must reach a public address.
                let second = fetcher
                    .fetch(
                        FetchRequest::new(found.url.clone()).reaching(Reach::trusting(&feed.url)),
                    )
                    .await;
                bytes += second.bytes();
                new_url = second
                    .meta()
                    .map(|m| m.moved_permanently_to.clone().unwrap_or(found.url));
                match second {
                    FetchOutcome::Ok(f) => parse(f.body, f.meta, limits).await,
                    other => from_other(other),
                }
            } else {
                parse(f.body, f.meta, limits).await
            }
        }
        other => from_other(other),
    };
    PollReport {
        feed,
        started,
        result,
        meta,
        bytes,
        elapsed: clock.elapsed(),
        new_url,
    }
}

async fn parse(body: Vec<u8>, meta: Meta, limits: &Limits) -> (Polled, Option<Meta>) {
    let ct = meta.content_type.clone();
    let url = meta.url.clone();
    let limits = limits.clone();
    let parsed =
        tokio::task::spawn_blocking(move || parse_feed(&body, ct.as_deref(), Some(&url), &limits))
            .await;
    let result = match parsed {
        Ok(Ok(feed)) => Polled::Parsed(Box::new(feed)),
        Ok(Err(e)) => Polled::ParseFailed(e.to_string()),
        Err(e) => Polled::ParseFailed(format!("parser task failed: {e}")),
    };
    (result, Some(meta))
}

fn from_other(outcome: FetchOutcome) -> (Polled, Option<Meta>) {
    match outcome {
        FetchOutcome::Ok(f) => (Polled::Status(f.meta.status), Some(f.meta)),
        FetchOutcome::NotModified(m) => (Polled::NotModified, Some(m)),
        FetchOutcome::Gone(m) => (Polled::Gone, Some(m)),
        FetchOutcome::Status { status, meta } => (Polled::Status(status), Some(meta)),
        FetchOutcome::Failed(e) => (Polled::FetchFailed(e), None),
    }
}
