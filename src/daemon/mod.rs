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
pub mod pages;
pub mod poll;

use crate::config::Config;
use crate::document::{ArticleId, Body, Document, FeedId};
use crate::error::Result;
use crate::feeds::FeedEntry;
use crate::fetch::{FetchConfig, Fetcher};
use crate::pipeline::{Outcome, Pipeline};
use crate::schedule::{CacheHints, FeedHints, FeedSchedule, PollResult, publish_interval};
use crate::store::feeds::{self, EntrySeen, FeedPolled, FeedRow, FeedWrite, NewFeed};
use crate::store::pages::{PageDone, PageOutcome, PageWrite, QueuedPage};
use crate::store::{Store, StoreOptions};
use chrono::{DateTime, Utc};
use metrics::{Metrics, PollOutcome};
use pages::{PageReport, PageResult};
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
    /// Entries queued for their article page (full text).
    pub pages_queued: u64,
    /// Article pages whose main text became the article.
    pub pages_extracted: u64,
    /// Article pages that gave nothing usable: the entry's own content stands in.
    pub pages_fallback: u64,
    /// Article pages to be tried again later (a passing failure).
    pub pages_retried: u64,
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
    /// Article page fetches running, and how many per feed.
    pages: JoinSet<PageReport>,
    pages_in_flight: HashMap<FeedId, usize>,
    page_keys: HashSet<(FeedId, String)>,
    /// Finished pages were handed to the writer since the queue was last read: the next read
    /// waits for their commit, so a finished page is not taken from the queue again.
    pages_unsettled: bool,
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
                    Some(i) => {
                        let bad = |why: String| crate::error::Error::Config {
                            path: "[[feeds]]".into(),
                            message: format!("{}: interval {i:?}: {why}", f.url),
                        };
                        let secs = humantime::parse_duration(i)
                            .map_err(|e| bad(e.to_string()))?
                            .as_secs();
                        // As `feeds add --interval`: a minute to a year (past ~292 billion years
                        // the seconds would wrap negative in the store).
                        if !(60..=365 * 86_400).contains(&secs) {
                            return Err(bad("must be between 1 minute and 365 days".into()));
                        }
                        Some(secs as i64)
                    }
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
        let store = Store::open(&db, StoreOptions::from(&config.database)).await?;
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
            pages: JoinSet::new(),
            pages_in_flight: HashMap::new(),
            page_keys: HashSet::new(),
            pages_unsettled: false,
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
        let limits = self.config.limits.clone();
        let span = tracing::info_span!("poll", feed = feed.id.0, url = %feed.url);
        self.polls.spawn(tracing::Instrument::instrument(
            async move { poll::poll_feed(&fetcher, feed, &limits).await },
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
                Some(done) = self.pages.join_next(), if !self.pages.is_empty() => {
                    let reports = self.pages_ready(done);
                    self.process_pages(reports).await?;
                }
                _ = tick.tick() => {
                    self.metrics.tick();
                    self.update_db_size();
                    if let Err(e) = self.start_due().await {
                        tracing::error!(error = %e, "reading the schedule");
                    }
                    if let Err(e) = self.start_pages().await {
                        tracing::error!(error = %e, "reading the page queue");
                    }
                    if let Ok(n) = crate::store::pages::queued_pages(self.pipeline.readers()).await {
                        self.metrics.pages_queued.set(n);
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
        // Page fetches still running are abandoned: their entries stay in the stored queue and
        // are fetched after the next start.
        self.pages.abort_all();
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
        // A bounded number of polls at a time: a finished poll holds its parsed feed until it is
        // processed, and processing (new articles) is slower than fetching, so starting every
        // feed at once would hold most of a large list's entries in memory.
        let in_flight = (self.fetcher.config().global_concurrency.max(1) * 4).max(POLLS_IN_FLIGHT);
        let mut waiting: std::collections::VecDeque<FeedRow> = chosen.into();
        loop {
            while self.polls.len() < in_flight
                && let Some(f) = waiting.pop_front()
            {
                self.start_poll(f);
            }
            let Some(done) = self.polls.join_next().await else {
                break;
            };
            let reports = self.with_ready(done);
            self.process(reports).await?;
        }
        // Then the article pages the polls queued (and those left from earlier runs), until none
        // is due; pages to be tried again later stay queued for the next run.
        loop {
            // The polls' queued pages must be committed before the queue is read.
            self.pipeline.sync().await?;
            self.start_pages().await?;
            let Some(done) = self.pages.join_next().await else {
                break;
            };
            let reports = self.pages_ready(done);
            self.process_pages(reports).await?;
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
            queue: Vec::new(),
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
            let (known, waiting) = if feed.last_success_at.is_some() {
                (
                    feeds::feed_entries(self.pipeline.readers(), feed.id).await?,
                    crate::store::pages::queued_entries(self.pipeline.readers(), feed.id).await?,
                )
            } else {
                (HashMap::new(), HashMap::new())
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
                if let Some(reason) = pages::auto_rule(feed.full_text, e) {
                    // Its page is queued or being fetched already: the entry waits.
                    if waiting.get(&key) == Some(&hash)
                        || self.page_keys.contains(&(feed.id, key.clone()))
                    {
                        continue;
                    }
                    let doc = entry_document(e, &key, &source);
                    a.queue.push(QueuedPage {
                        feed: feed.id,
                        url: e.link.clone().unwrap_or_default(),
                        content_hash: hash,
                        source: source.clone(),
                        title: doc.title,
                        published: doc.published,
                        feed_html: doc.body.as_str().to_string(),
                        reason,
                        attempts: 0,
                        key,
                        feed_url: Some(feed.url.clone()),
                    });
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
        self.summary.pages_queued += a.queue.len() as u64;
        for page in a.queue {
            self.pipeline
                .record_feed(FeedWrite::Page(PageWrite::Queued {
                    page: Box::new(page),
                    at: now,
                }));
        }
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

impl Daemon {
    /// Starts fetches of the queued article pages that are due, at most
    /// [`PAGES_PER_FEED`] per feed at once (so one feed's burst of entries cannot hold every
    /// fetcher while other feeds' pages wait) and the global concurrency in all. The fetcher's
    /// host gate spaces and caps them per host like feed polls.
    async fn start_pages(&mut self) -> Result<()> {
        let limit = self.fetcher.config().global_concurrency.max(1);
        if self.pages.len() >= limit {
            return Ok(());
        }
        if self.pages_unsettled {
            self.pipeline.sync().await?;
            self.pages_unsettled = false;
        }
        let due = crate::store::pages::due_pages(
            self.pipeline.readers(),
            Utc::now(),
            PAGES_PER_FEED as i64 + 2,
            (limit * 8) as i64,
        )
        .await?;
        for page in due {
            if self.pages.len() >= limit {
                break;
            }
            let busy = self.pages_in_flight.get(&page.feed).copied().unwrap_or(0);
            if busy >= PAGES_PER_FEED || !self.page_keys.insert((page.feed, page.key.clone())) {
                continue;
            }
            *self.pages_in_flight.entry(page.feed).or_default() += 1;
            let fetcher = self.fetcher.clone();
            let limits = self.pipeline.config().limits.clone();
            let span = tracing::info_span!("page", feed = page.feed.0, url = %page.url);
            self.pages.spawn(tracing::Instrument::instrument(
                async move { pages::fetch_page(&fetcher, page, &limits).await },
                span,
            ));
        }
        Ok(())
    }

    /// A finished page fetch together with the others finished by now.
    fn pages_ready(
        &mut self,
        first: std::result::Result<PageReport, tokio::task::JoinError>,
    ) -> Vec<PageReport> {
        let mut reports = Vec::new();
        let mut next = Some(first);
        while let Some(done) = next {
            match done {
                Ok(r) => reports.push(r),
                Err(e) => tracing::error!(error = %e, "a page task failed"),
            }
            next = if reports.len() < 256 {
                self.pages.try_join_next()
            } else {
                None
            };
        }
        reports
    }

    /// Takes finished page fetches: each entry becomes an article from its page's text, or
    /// from its own content when the page gave nothing usable, and leaves the queue in the
    /// same transaction; a passing failure is rescheduled instead.
    async fn process_pages(&mut self, reports: Vec<PageReport>) -> Result<()> {
        let now = Utc::now();
        let mut docs = Vec::new();
        // Each finished page: its record, the article kept when nothing is ingested, the entry's hash.
        let mut done: Vec<(PageDone, Option<ArticleId>, u64)> = Vec::new();
        for r in reports {
            let key = (r.page.feed, r.page.key.clone());
            self.page_keys.remove(&key);
            if let Some(n) = self.pages_in_flight.get_mut(&r.page.feed) {
                *n = n.saturating_sub(1);
                if *n == 0 {
                    self.pages_in_flight.remove(&r.page.feed);
                }
            }
            self.metrics.bytes.inc_by(r.bytes);
            if let Some(s) = r.status {
                self.metrics.status(s);
            }
            let attempts = r.page.attempts + 1;
            if let (
                Some(status @ (429 | 503)),
                PageResult::Retry {
                    after: Some(until), ..
                },
            ) = (r.status, &r.result)
                && let Some(host) = crate::fetch::HostKey::parse(&r.page.url)
            {
                self.pipeline.record_feed(FeedWrite::HostBackoff {
                    host: host.as_str().to_string(),
                    until: *until,
                    reason: format!("HTTP {status}"),
                });
            }
            // Not fetched because the host asked us to wait: not a failed attempt.
            let waited =
                r.status.is_none() && matches!(&r.result, PageResult::Retry { after: Some(_), .. });
            let attempts = attempts - u32::from(waited);
            let result = match r.result {
                PageResult::Retry { error, after } if attempts < pages::MAX_PAGE_ATTEMPTS => {
                    let backoff = chrono::Duration::seconds(60 << (2 * r.page.attempts.min(4)));
                    let next = after.unwrap_or(now + backoff).max(now);
                    tracing::info!(url = %r.page.url, error = %error, %next, "page fetch to be tried again");
                    self.summary.pages_retried += 1;
                    self.metrics.page("retry");
                    self.pipeline.record_feed(FeedWrite::Page(PageWrite::Retry {
                        feed: r.page.feed,
                        key: r.page.key,
                        next,
                        error,
                        failed: !waited,
                    }));
                    continue;
                }
                PageResult::Retry { error, .. } => {
                    let outcome = if error.starts_with("HTTP ") {
                        PageOutcome::HttpError
                    } else {
                        PageOutcome::FetchError
                    };
                    PageResult::Unusable {
                        outcome,
                        reason: format!("{error} ({attempts} attempts)"),
                        words: None,
                    }
                }
                other => other,
            };
            let mut record = PageDone {
                feed: r.page.feed,
                key: r.page.key.clone(),
                url: r.page.url.clone(),
                canonical_url: r.canonical_url.clone(),
                at: now,
                status: r.status,
                outcome: PageOutcome::Extracted,
                reason: None,
                words: None,
                attempts,
                article: None,
            };
            let page = r.page;
            // The article this page already gave, if an earlier fetch extracted it well: a
            // page that now gives a fragment of that, or nothing usable, keeps that version.
            let identity = crate::document::canonical_url(
                r.canonical_url.as_deref().unwrap_or(page.url.as_str()),
            );
            let earlier =
                crate::store::pages::last_extraction(self.pipeline.readers(), &identity).await?;
            let doc = match result {
                PageResult::Extracted {
                    text,
                    title,
                    published,
                    words,
                } => {
                    record.words = Some(words);
                    let url = r.canonical_url.clone().unwrap_or_else(|| page.url.clone());
                    if let Some((article, before)) = earlier
                        && words * 2 < before
                    {
                        record.outcome = PageOutcome::Fragment;
                        record.reason = Some(format!(
                            "{words} words where an earlier extraction had {before}: kept the earlier version"
                        ));
                        done.push((record, Some(article), page.content_hash));
                        continue;
                    }
                    Document {
                        external_id: page.key.clone(),
                        url: Some(url),
                        source: page.source.clone(),
                        // The page's own title: the same page linked from two feeds is one article.
                        title: title.or(page.title.clone()),
                        published: page.published.or(published),
                        body: Body::Text(text),
                    }
                }
                PageResult::Unusable {
                    outcome,
                    reason,
                    words,
                } if let Some((article, before)) = earlier => {
                    tracing::info!(url = %page.url, outcome = outcome.as_str(), reason = %reason, "page unusable: the earlier extraction stays");
                    record.outcome = outcome;
                    record.reason = Some(format!(
                        "{reason}; kept the earlier extraction of {before} words"
                    ));
                    record.words = words;
                    done.push((record, Some(article), page.content_hash));
                    continue;
                }
                PageResult::Unusable {
                    outcome,
                    reason,
                    words,
                } => {
                    tracing::info!(url = %page.url, outcome = outcome.as_str(), reason = %reason, "page unusable: the entry's own content stands in");
                    record.outcome = outcome;
                    record.reason = Some(reason);
                    record.words = words;
                    Document {
                        external_id: page.key.clone(),
                        url: Some(page.url.clone()),
                        source: page.source.clone(),
                        title: page.title.clone(),
                        published: page.published,
                        body: Body::Html(page.feed_html.clone()),
                    }
                }
                PageResult::Retry { .. } => unreachable!("retries are handled above"),
            };
            docs.push((
                format!("{} (entry {} of feed {})", page.url, page.key, page.feed.0),
                doc,
            ));
            done.push((record, None, page.content_hash));
        }
        let mut outcomes = if docs.is_empty() {
            Vec::new()
        } else {
            self.pipeline.ingest_documents(docs).await
        }
        .into_iter();
        for (mut record, kept, hash) in done {
            let article = match kept {
                Some(a) => Some(a),
                None => match outcomes.next() {
                    Some(Outcome::New { article, .. }) => {
                        self.summary.new += 1;
                        self.metrics.article("new");
                        Some(article)
                    }
                    Some(Outcome::NearDuplicate { article, .. }) => {
                        self.summary.near_duplicate += 1;
                        self.metrics.article("near_duplicate");
                        Some(article)
                    }
                    Some(Outcome::Updated { article, .. }) => {
                        self.summary.updated += 1;
                        self.metrics.article("updated");
                        Some(article)
                    }
                    Some(Outcome::Unchanged { article }) => {
                        self.metrics.article("unchanged");
                        Some(article)
                    }
                    Some(Outcome::Rejected(r)) => {
                        self.summary.rejected += 1;
                        self.metrics.article("rejected");
                        tracing::debug!(origin = %r.origin, reason = %r.reason, "page entry rejected");
                        None
                    }
                    None => None,
                },
            };
            if record.outcome.falls_back() {
                self.summary.pages_fallback += 1;
            } else {
                self.summary.pages_extracted += 1;
            }
            self.metrics.page(record.outcome.as_str());
            record.article = article;
            self.pipeline.record_feed(FeedWrite::Entry(EntrySeen {
                feed: record.feed,
                key: record.key.clone(),
                content_hash: hash,
                article,
                link: Some(record.url.clone()),
                at: now,
            }));
            self.pipeline
                .record_feed(FeedWrite::Page(PageWrite::Done(Box::new(record))));
        }
        self.pages_unsettled = true;
        self.pipeline.flush().await
    }
}

/// Article pages of one feed fetched at once.
pub const PAGES_PER_FEED: usize = 2;

/// Polls `newsdedup poll` keeps started at once (at least; four per allowed connection if that
/// is more): enough finished polls to fill a batch of the pipeline, few enough that their parsed
/// feeds stay a small part of memory.
const POLLS_IN_FLIGHT: usize = 128;

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
    /// New or changed entries whose article page is to be fetched first.
    queue: Vec<QueuedPage>,
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
