//! The daemon: feeds polled on their schedule → the pipeline → the store, with metrics.
//!
//! In: the feed list (the `feeds` table, plus `[[feeds]]` of the config, added at start). Out:
//! articles, clusters and stories in the store, and each feed's schedule and health beside them.
//!
//! One task owns the pipeline and so the store's only writer. Each turn of its loop it looks for
//! feeds that are due and starts a poll task for each ([`poll::poll_feed`]: fetch, parse); a
//! finished poll comes back as a [`poll::PollReport`]. Polls finished together are processed
//! together: their new or changed entries go through the same pipeline as `newsdedup ingest`
//! documents, and each feed's state (validators, next poll, failures) is committed in the same
//! transaction as the articles it produced. A broken
//! feed, page or document is recorded against its feed and the loop goes on.

pub mod metrics;
pub mod poll;

use crate::config::Config;
use crate::document::{ArticleId, Body, Document, FeedId};
use crate::error::Result;
use crate::feeds::FeedEntry;
use crate::fetch::{FetchConfig, Fetcher};
use crate::pipeline::{Outcome, Pipeline};
use crate::schedule::{CacheHints, FeedHints, FeedSchedule, PollResult, publish_interval};
use crate::store::feeds::{self, EntrySeen, FeedPolled, FeedRow, FeedWrite, NewFeed};
use crate::store::{Store, StoreOptions};
use chrono::{DateTime, Utc};
use metrics::{Metrics, PollOutcome};
use poll::{PollReport, Polled};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use tokio::task::JoinSet;
use xxhash_rust::xxh3::Xxh3;

/// Counts of one `newsdedup poll` run.
#[derive(Debug, Default, Clone, serde::Serialize)]
pub struct PollSummary {
    pub feeds: u64,
    pub failed: u64,
    pub not_modified: u64,
    pub entries: u64,
    pub unchanged_entries: u64,
    pub new: u64,
    pub near_duplicate: u64,
    pub updated: u64,
    pub rejected: u64,
}

/// The daemon's state.
pub struct Daemon {
    config: Config,
    pipeline: Pipeline,
    fetcher: Arc<Fetcher>,
    metrics: Arc<Metrics>,
    /// Next poll of feeds whose latest schedule may not be committed yet.
    scheduled: HashMap<FeedId, DateTime<Utc>>,
    in_flight: HashSet<FeedId>,
    polls: JoinSet<PollReport>,
    summary: PollSummary,
    rng: u64,
}

/// The fetch settings of a config, with the User-Agent built from the contact when not set.
pub fn fetch_config(config: &Config) -> FetchConfig {
    let mut f = config.fetch.clone();
    if f.user_agent.trim().is_empty() {
        let contact = if config.daemon.contact.trim().is_empty() {
            "unset"
        } else {
            config.daemon.contact.as_str()
        };
        f.user_agent = crate::fetch::user_agent(contact);
    }
    f
}

impl Daemon {
    /// Opens the store (taking the writer lock), adds the config's feeds, and restores the
    /// pipeline and the hosts' back-offs.
    pub async fn open(config: Config, metrics: Arc<Metrics>) -> Result<Daemon> {
        let db = config.database.path.clone();
        {
            let mut admin = feeds::open_admin(&db).await?;
            for f in &config.feeds {
                let interval_secs = match f.interval.as_deref() {
                    Some(i) => Some(
                        humantime::parse_duration(i)
                            .map_err(|e| crate::error::Error::Config {
                                path: "[[feeds]]".into(),
                                message: format!("{}: interval {i:?}: {e}", f.url),
                            })?
                            .as_secs() as i64,
                    ),
                    None => None,
                };
                feeds::add_feed(
                    &mut admin,
                    &NewFeed {
                        url: f.url.clone(),
                        name: f.name.clone(),
                        interval_secs,
                        full_text: f.full_text,
                        from_config: true,
                    },
                )
                .await?;
            }
        }
        let store = Store::open(
            &db,
            StoreOptions {
                full_text: config.database.full_text,
            },
        )
        .await?;
        let pipeline = Pipeline::open(store, config.clone()).await?;
        let fetcher =
            Fetcher::new(fetch_config(&config)).map_err(|e| crate::error::Error::Config {
                path: "[fetch]".into(),
                message: e.to_string(),
            })?;
        for (host, until) in feeds::host_backoffs(pipeline.readers(), Utc::now()).await? {
            if let Some(key) = crate::fetch::HostKey::parse(&format!("http://{host}/")) {
                fetcher.gate().block(&key, until);
            }
        }
        let seed = Utc::now().timestamp_nanos_opt().unwrap_or(0) as u64 | 1;
        Ok(Daemon {
            config,
            pipeline,
            fetcher: Arc::new(fetcher),
            metrics,
            scheduled: HashMap::new(),
            in_flight: HashSet::new(),
            polls: JoinSet::new(),
            summary: PollSummary::default(),
            rng: seed,
        })
    }

    /// A uniform draw in `[0, 1)` for the schedule's jitter (xorshift: no global generator).
    fn random(&mut self) -> f64 {
        self.rng ^= self.rng << 13;
        self.rng ^= self.rng >> 7;
        self.rng ^= self.rng << 17;
        (self.rng >> 11) as f64 / (1u64 << 53) as f64
    }

    fn start_poll(&mut self, feed: FeedRow) {
        self.in_flight.insert(feed.id);
        self.metrics.in_flight.inc();
        let fetcher = self.fetcher.clone();
        let span = tracing::info_span!("poll", feed = feed.id.0, url = %feed.url);
        self.polls.spawn(tracing::Instrument::instrument(
            async move { poll::poll_feed(&fetcher, feed).await },
            span,
        ));
    }

    /// Starts polls for the feeds due now, up to the concurrency limit.
    async fn start_due(&mut self) -> Result<()> {
        let now = Utc::now();
        let limit = (self.fetcher.config().global_concurrency.max(1) * 4) as i64;
        let room = limit - self.in_flight.len() as i64;
        let due = feeds::due_feeds(self.pipeline.readers(), now, limit * 4).await?;
        let mut waiting = 0i64;
        for f in due {
            if self.in_flight.contains(&f.id) || self.scheduled.get(&f.id).is_some_and(|t| *t > now)
            {
                continue;
            }
            if (self.in_flight.len() as i64) < limit && room > 0 {
                self.start_poll(f);
            } else {
                waiting += 1;
            }
        }
        self.metrics.queue_depth.set(waiting);
        Ok(())
    }

    /// Runs until `shutdown` resolves, then finishes the polls in flight (abandoning those still
    /// running after `daemon.shutdown_grace_secs`), commits and closes.
    pub async fn run(mut self, shutdown: impl std::future::Future<Output = ()>) -> Result<()> {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(1));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let refresh_every =
            std::time::Duration::from_secs(self.config.daemon.story_refresh_secs.max(1));
        let mut refresh =
            tokio::time::interval_at(tokio::time::Instant::now() + refresh_every, refresh_every);
        tokio::pin!(shutdown);
        tracing::info!(db = %self.config.database.path.display(), "daemon started");
        loop {
            tokio::select! {
                _ = &mut shutdown => break,
                Some(done) = self.polls.join_next(), if !self.polls.is_empty() => {
                    let reports = self.with_ready(done);
                    self.process(reports).await?;
                }
                _ = tick.tick() => {
                    self.metrics.tick();
                    self.update_db_size();
                    if let Err(e) = self.start_due().await {
                        tracing::error!(error = %e, "reading the schedule");
                    }
                }
                _ = refresh.tick() => {
                    match self.pipeline.refresh_stories().await {
                        Ok(n) if n > 0 => tracing::info!(stories = n, "story differences refreshed"),
                        Ok(_) => {}
                        Err(e) => return Err(e),
                    }
                }
            }
        }
        tracing::info!(
            in_flight = self.polls.len(),
            "stopping: finishing polls in flight"
        );
        let grace = std::time::Duration::from_secs(self.config.daemon.shutdown_grace_secs);
        let deadline = tokio::time::Instant::now() + grace;
        while !self.polls.is_empty() {
            match tokio::time::timeout_at(deadline, self.polls.join_next()).await {
                Ok(Some(done)) => {
                    let reports = self.with_ready(done);
                    self.process(reports).await?;
                }
                Ok(None) => break,
                Err(_) => {
                    tracing::warn!(
                        abandoned = self.polls.len(),
                        "abandoning polls still running"
                    );
                    self.polls.abort_all();
                    break;
                }
            }
        }
        // Story differences still queued are computed at the next start (the queue is stored).
        self.pipeline.shutdown().await?;
        tracing::info!("daemon stopped");
        Ok(())
    }

    /// Polls the given feeds (ids or URLs; all enabled feeds when empty) once, now, processes
    /// what they gave, brings story differences up to date and closes.
    pub async fn poll_once(mut self, only: &[String]) -> Result<PollSummary> {
        let all = feeds::list_feeds(self.pipeline.readers()).await?;
        let chosen: Vec<FeedRow> = if only.is_empty() {
            all.into_iter().filter(|f| f.enabled).collect()
        } else {
            let mut out = Vec::new();
            for key in only {
                match all
                    .iter()
                    .find(|f| &f.url == key || f.id.0.to_string() == *key)
                {
                    Some(f) => out.push(f.clone()),
                    None => {
                        return Err(crate::error::Error::NotFound(format!(
                            "no feed {key:?} (add it with `newsdedup feeds add {key}`)"
                        )));
                    }
                }
            }
            out
        };
        for f in chosen {
            self.start_poll(f);
        }
        while let Some(done) = self.polls.join_next().await {
            let reports = self.with_ready(done);
            self.process(reports).await?;
        }
        let summary = self.summary.clone();
        self.pipeline.close().await?;
        Ok(summary)
    }

    /// A finished poll together with the others finished by now, up to a batch's worth of
    /// entries: they go through the pipeline and into the store together.
    fn with_ready(
        &mut self,
        first: std::result::Result<PollReport, tokio::task::JoinError>,
    ) -> Vec<PollReport> {
        const MAX_ENTRIES: usize = 2_000;
        let entries = |r: &PollReport| match &r.result {
            Polled::Parsed(p) => p.entries.len(),
            _ => 0,
        };
        let mut reports = Vec::new();
        match first {
            Ok(r) => reports.push(r),
            Err(e) => tracing::error!(error = %e, "a poll task failed"),
        }
        let mut total: usize = reports.iter().map(entries).sum();
        while total < MAX_ENTRIES {
            match self.polls.try_join_next() {
                Some(Ok(r)) => {
                    total += entries(&r);
                    reports.push(r);
                }
                Some(Err(e)) => tracing::error!(error = %e, "a poll task failed"),
                None => break,
            }
        }
        reports
    }

    fn update_db_size(&self) {
        let db = &self.config.database.path;
        let mut size = 0u64;
        for suffix in ["", "-wal"] {
            let mut p = db.as_os_str().to_owned();
            p.push(suffix);
            size += std::fs::metadata(&p).map(|m| m.len()).unwrap_or(0);
        }
        self.metrics.database_bytes.set(size as i64);
    }

    /// Takes finished polls: their entries through the pipeline together, then each feed's new
    /// state, all committed in one transaction (a crash keeps all of it or none).
    async fn process(&mut self, reports: Vec<PollReport>) -> Result<()> {
        let now = Utc::now();
        let mut assessed = Vec::with_capacity(reports.len());
        let mut docs = Vec::new();
        for report in reports {
            assessed.push(self.assess(report, &mut docs).await?);
        }
        let mut outcomes = if docs.is_empty() {
            Vec::new()
        } else {
            self.pipeline.ingest_documents(docs).await
        }
        .into_iter();
        for a in assessed {
            let written = self.record_entries(&a, &mut outcomes, now);
            self.finish(a, written, now);
        }
        self.pipeline.flush().await
    }

    /// Reads a finished poll: its outcome and metrics, its feed's hints, and its new or changed
    /// entries, whose documents are appended to `docs`.
    async fn assess(
        &mut self,
        report: PollReport,
        docs: &mut Vec<(String, Document)>,
    ) -> Result<Assessed> {
        self.in_flight.remove(&report.feed.id);
        self.metrics.in_flight.dec();
        self.metrics
            .poll_seconds
            .observe(report.elapsed.as_secs_f64());
        self.metrics.bytes.inc_by(report.bytes);
        if let Some(m) = &report.meta {
            self.metrics.status(m.status);
        }
        self.summary.feeds += 1;
        let cache = report
            .meta
            .as_ref()
            .map(|m| CacheHints {
                max_age: m
                    .cache
                    .max_age
                    .and_then(|d| chrono::Duration::from_std(d).ok()),
                expires: m.cache.expires,
            })
            .unwrap_or_default();
        let retry_after = report.meta.as_ref().and_then(|m| m.retry_after);
        let (result, label, error) = match &report.result {
            Polled::Parsed(_) => (PollResult::Success { cache }, PollOutcome::Ok, None),
            Polled::NotModified => {
                self.summary.not_modified += 1;
                (
                    PollResult::Success { cache },
                    PollOutcome::NotModified,
                    None,
                )
            }
            Polled::Gone => (
                PollResult::Gone,
                PollOutcome::Gone,
                Some("HTTP 410 Gone".to_string()),
            ),
            Polled::HostBlocked(until) => (
                PollResult::RateLimited {
                    retry_after: Some(*until),
                },
                PollOutcome::RateLimited,
                Some(format!("host asked us to wait until {until}")),
            ),
            Polled::Status(429) => (
                PollResult::RateLimited { retry_after },
                PollOutcome::RateLimited,
                Some("HTTP 429 Too Many Requests".to_string()),
            ),
            Polled::Status(s) => {
                let e = format!("HTTP {s}");
                (
                    PollResult::Failure {
                        error: e.clone(),
                        retry_after,
                    },
                    PollOutcome::HttpError,
                    Some(e),
                )
            }
            Polled::FetchFailed(e) => (
                PollResult::Failure {
                    error: e.to_string(),
                    retry_after: None,
                },
                PollOutcome::FetchError,
                Some(e.to_string()),
            ),
            Polled::ParseFailed(e) => {
                let e = format!("parsing the feed: {e}");
                (
                    PollResult::Failure {
                        error: e.clone(),
                        retry_after: None,
                    },
                    PollOutcome::ParseError,
                    Some(e),
                )
            }
        };
        self.metrics.poll(label.clone());
        let feed = &report.feed;
        if let Some(e) = &error {
            self.summary.failed += u64::from(!matches!(label, PollOutcome::NotModified));
            tracing::warn!(feed = feed.id.0, url = %feed.url, error = %e, "poll failed");
        }

        let mut a = Assessed {
            schedule: feed.schedule(),
            result,
            label,
            error,
            retry_after,
            title: None,
            site_url: None,
            hints: None,
            interval: None,
            entries_seen: 0,
            fresh: Vec::new(),
            report,
        };
        if let Polled::Parsed(parsed) = &a.report.result {
            let feed = &a.report.feed;
            a.title = parsed.title.clone();
            a.site_url = parsed.link.clone();
            let h = FeedHints {
                ttl_minutes: parsed.ttl,
                skip_hours: parsed.skip_hours.clone(),
                skip_days: parsed.skip_days.clone(),
                update_period_secs: parsed.update_period.map(|p| {
                    p.minutes() as u64 * 60 / parsed.update_frequency.unwrap_or(1).max(1) as u64
                }),
            };
            a.schedule.hints = h.clone();
            a.hints = Some(h);
            let dates: Vec<DateTime<Utc>> = parsed
                .entries
                .iter()
                .filter_map(|e| e.published.or(e.updated))
                .collect();
            if let Some(p) = publish_interval(&dates) {
                a.schedule.publish_interval = Some(p);
                a.interval = Some(p.num_seconds());
            }
            let source = match &feed.name {
                Some(n) => n.clone(),
                None => parsed.title.clone().unwrap_or_else(|| feed.source_name()),
            };
            // A feed never polled successfully has no entries on record yet.
            let known = if feed.last_success_at.is_some() {
                feeds::feed_entries(self.pipeline.readers(), feed.id).await?
            } else {
                HashMap::new()
            };
            let mut seen_keys = HashSet::new();
            for e in &parsed.entries {
                let key = entry_key(e);
                // A feed repeating a guid: the first occurrence counts.
                if !seen_keys.insert(key.clone()) {
                    continue;
                }
                let hash = entry_hash(e);
                self.summary.entries += 1;
                if known.get(&key) == Some(&hash) {
                    self.summary.unchanged_entries += 1;
                    self.metrics.article("entry_unchanged");
                    continue;
                }
                docs.push((
                    format!("{} entry {key}", feed.url),
                    entry_document(e, &key, &source),
                ));
                a.fresh.push((key, hash, e.link.clone()));
            }
            a.entries_seen = seen_keys.len() as i64;
        }
        Ok(a)
    }

    /// Records what became of a poll's fresh entries (their outcomes are next in `outcomes`);
    /// returns the number of articles written.
    fn record_entries(
        &mut self,
        a: &Assessed,
        outcomes: &mut impl Iterator<Item = Outcome>,
        now: DateTime<Utc>,
    ) -> i64 {
        let mut written = 0;
        for ((key, hash, link), outcome) in a.fresh.iter().zip(outcomes) {
            let (article, label): (Option<ArticleId>, &str) = match &outcome {
                Outcome::New { article, .. } => {
                    self.summary.new += 1;
                    (Some(*article), "new")
                }
                Outcome::NearDuplicate { article, .. } => {
                    self.summary.near_duplicate += 1;
                    (Some(*article), "near_duplicate")
                }
                Outcome::Updated { article, .. } => {
                    self.summary.updated += 1;
                    (Some(*article), "updated")
                }
                Outcome::Unchanged { article } => (Some(*article), "unchanged"),
                Outcome::Rejected(r) => {
                    self.summary.rejected += 1;
                    tracing::debug!(origin = %r.origin, reason = %r.reason, "entry rejected");
                    (None, "rejected")
                }
            };
            written += i64::from(matches!(label, "new" | "near_duplicate" | "updated"));
            self.metrics.article(label);
            self.pipeline.record_feed(FeedWrite::Entry(EntrySeen {
                feed: a.report.feed.id,
                key: key.clone(),
                content_hash: *hash,
                article,
                link: link.clone(),
                at: now,
            }));
        }
        written
    }

    /// Schedules a poll's feed and records its new state.
    fn finish(&mut self, a: Assessed, articles: i64, now: DateTime<Utc>) {
        let feed = &a.report.feed;
        let random = self.random();
        let next = self
            .config
            .schedule
            .next(&a.schedule, &a.result, now, random);
        if let Some(reason) = &next.disable {
            self.metrics.feeds_disabled.inc();
            tracing::warn!(feed = feed.id.0, url = %feed.url, reason = %reason, "feed disabled");
        }
        if let (Some(until), Some(m)) = (a.retry_after, &a.report.meta)
            && matches!(m.status, 429 | 503)
            && let Some(host) = crate::fetch::HostKey::parse(&m.url)
        {
            self.pipeline.record_feed(FeedWrite::HostBackoff {
                host: host.as_str().to_string(),
                until,
                reason: format!("HTTP {}", m.status),
            });
        }
        let (etag, last_modified) = match (&a.report.result, &a.report.meta) {
            (Polled::Parsed(_) | Polled::NotModified, Some(m)) => {
                (m.etag.clone(), m.last_modified.clone())
            }
            _ => (None, None),
        };
        self.scheduled.insert(feed.id, next.at);
        self.pipeline
            .record_feed(FeedWrite::Polled(Box::new(FeedPolled {
                feed: feed.id,
                at: now,
                new_url: a.report.new_url.clone().filter(|u| *u != feed.url),
                status: a.report.meta.as_ref().map(|m| m.status),
                outcome: a.label.as_str(),
                error: a.error,
                etag,
                last_modified,
                title: a.title,
                site_url: a.site_url,
                hints: a.hints,
                publish_interval_secs: a.interval,
                success: matches!(a.result, PollResult::Success { .. }),
                next_poll_at: next.at,
                failures: next.failures,
                failing_since: next.failing_since,
                disable: next.disable,
                entries_seen: a.entries_seen,
                articles,
            })));
    }
}

/// A finished poll read by [`Daemon::assess`], waiting for its entries' outcomes.
struct Assessed {
    report: PollReport,
    result: PollResult,
    label: PollOutcome,
    error: Option<String>,
    retry_after: Option<DateTime<Utc>>,
    schedule: FeedSchedule,
    title: Option<String>,
    site_url: Option<String>,
    hints: Option<FeedHints>,
    interval: Option<i64>,
    entries_seen: i64,
    /// Key, content hash and link of each new or changed entry, in the order of their documents.
    fresh: Vec<(String, u64, Option<String>)>,
}

/// An entry's identity in its feed: its guid, else its link without tracking parameters, else a
/// hash of what it says.
pub fn entry_key(e: &FeedEntry) -> String {
    if let Some(g) = e.guid.as_deref().map(str::trim).filter(|g| !g.is_empty()) {
        return format!("guid:{g}");
    }
    if let Some(l) = e.link.as_deref().map(str::trim).filter(|l| !l.is_empty()) {
        return format!("link:{}", crate::document::canonical_url(l));
    }
    format!("hash:{:016x}", entry_hash(e))
}

/// Hash of what an entry says (title, link, summary, content): a changed hash is a changed entry.
pub fn entry_hash(e: &FeedEntry) -> u64 {
    let mut h = Xxh3::new();
    for part in [&e.title, &e.link, &e.summary, &e.content] {
        h.update(part.as_deref().unwrap_or("").as_bytes());
        h.update(b"\0");
    }
    h.digest()
}

/// The document an entry becomes: its content (else its summary) as HTML.
pub fn entry_document(e: &FeedEntry, key: &str, source: &str) -> Document {
    let body = e
        .content
        .clone()
        .filter(|c| !c.trim().is_empty())
        .or_else(|| e.summary.clone())
        .unwrap_or_default();
    Document {
        external_id: key.to_string(),
        url: e.link.clone(),
        source: source.to_string(),
        title: e.title.clone(),
        published: e.published.or(e.updated),
        body: Body::Html(body),
    }
}
