//! The daemon's metrics and its HTTP endpoints: counters in → `/metrics` (Prometheus text format)
//! and `/healthz` out.
//!
//! The registry belongs to the daemon (no global recorder); the endpoints listen on the
//! configured local address.

use prometheus_client::encoding::{EncodeLabelSet, EncodeLabelValue};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelValue)]
pub enum PollOutcome {
    Ok,
    NotModified,
    HttpError,
    RateLimited,
    FetchError,
    ParseError,
    Gone,
}

impl PollOutcome {
    pub fn as_str(&self) -> &'static str {
        match self {
            PollOutcome::Ok => "ok",
            PollOutcome::NotModified => "not_modified",
            PollOutcome::HttpError => "http_error",
            PollOutcome::RateLimited => "rate_limited",
            PollOutcome::FetchError => "fetch_error",
            PollOutcome::ParseError => "parse_error",
            PollOutcome::Gone => "gone",
        }
    }
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct OutcomeLabel {
    pub outcome: PollOutcome,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct StatusLabel {
    /// "2xx", "3xx", "4xx", "5xx".
    pub class: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ArticleLabel {
    /// new, near_duplicate, updated, unchanged, rejected, entry_unchanged.
    pub outcome: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct PageLabel {
    /// A `page_fetches.outcome`: extracted, fragment, paywalled, blocked, ...
    pub outcome: String,
}

/// Everything the daemon counts.
pub struct Metrics {
    registry: Registry,
    pub polls: Family<OutcomeLabel, Counter>,
    pub http_status: Family<StatusLabel, Counter>,
    pub bytes: Counter,
    pub articles: Family<ArticleLabel, Counter>,
    pub feeds_disabled: Counter,
    pub pages: Family<PageLabel, Counter>,
    pub pages_queued: Gauge,
    pub poll_seconds: Histogram,
    pub queue_depth: Gauge,
    pub in_flight: Gauge,
    pub database_bytes: Gauge,
    /// Unix time of the scheduler's last turn (for `/healthz`).
    pub last_tick: Arc<AtomicI64>,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("newsdedup");
        let m = Metrics {
            polls: Family::default(),
            http_status: Family::default(),
            bytes: Counter::default(),
            articles: Family::default(),
            feeds_disabled: Counter::default(),
            pages: Family::default(),
            pages_queued: Gauge::default(),
            poll_seconds: Histogram::new(exponential_buckets(0.05, 2.0, 12)),
            queue_depth: Gauge::default(),
            in_flight: Gauge::default(),
            database_bytes: Gauge::default(),
            last_tick: Arc::new(AtomicI64::new(0)),
            registry: Registry::default(),
        };
        registry.register("polls", "Feed polls by outcome", m.polls.clone());
        registry.register(
            "http_responses",
            "HTTP responses by status class",
            m.http_status.clone(),
        );
        registry.register(
            "fetched_bytes",
            "Bytes fetched (decompressed)",
            m.bytes.clone(),
        );
        registry.register(
            "articles",
            "Feed entries by what became of them",
            m.articles.clone(),
        );
        registry.register(
            "feeds_disabled",
            "Feeds the daemon disabled (gone, or failing for too long)",
            m.feeds_disabled.clone(),
        );
        registry.register(
            "pages",
            "Article pages fetched for their full text, by outcome",
            m.pages.clone(),
        );
        registry.register(
            "pages_queued",
            "Article pages waiting to be fetched",
            m.pages_queued.clone(),
        );
        registry.register(
            "poll_duration_seconds",
            "Time from a poll's start to its feed parsed",
            m.poll_seconds.clone(),
        );
        registry.register(
            "queue_depth",
            "Feeds due and waiting for a poll slot",
            m.queue_depth.clone(),
        );
        registry.register("polls_in_flight", "Polls running", m.in_flight.clone());
        registry.register(
            "database_size_bytes",
            "Size of the SQLite file and its WAL",
            m.database_bytes.clone(),
        );
        Metrics { registry, ..m }
    }

    pub fn poll(&self, outcome: PollOutcome) {
        self.polls.get_or_create(&OutcomeLabel { outcome }).inc();
    }

    pub fn status(&self, status: u16) {
        let class = format!("{}xx", status / 100);
        self.http_status.get_or_create(&StatusLabel { class }).inc();
    }

    pub fn article(&self, outcome: &str) {
        self.articles
            .get_or_create(&ArticleLabel {
                outcome: outcome.to_string(),
            })
            .inc();
    }

    pub fn page(&self, outcome: &str) {
        self.pages
            .get_or_create(&PageLabel {
                outcome: outcome.to_string(),
            })
            .inc();
    }

    /// The Prometheus text exposition.
    pub fn render(&self) -> String {
        let mut out = String::new();
        if prometheus_client::encoding::text::encode(&mut out, &self.registry).is_err() {
            out.clear();
        }
        out
    }

    pub fn tick(&self) {
        self.last_tick
            .store(chrono::Utc::now().timestamp(), Ordering::Relaxed);
    }
}

/// Serves `/healthz` and `/metrics` on `listener` until `shutdown` resolves.
pub async fn serve(
    listener: tokio::net::TcpListener,
    metrics: Arc<Metrics>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    use axum::routing::get;
    let m1 = metrics.clone();
    let m2 = metrics;
    let app = axum::Router::new()
        .route(
            "/metrics",
            get(move || {
                let m = m1.clone();
                async move {
                    (
                        [(
                            axum::http::header::CONTENT_TYPE,
                            "application/openmetrics-text; version=1.0.0; charset=utf-8",
                        )],
                        m.render(),
                    )
                }
            }),
        )
        .route(
            "/healthz",
            get(move || {
                let m = m2.clone();
                async move {
                    let last = m.last_tick.load(Ordering::Relaxed);
                    let age = chrono::Utc::now().timestamp() - last;
                    // The scheduler turns at least every few seconds; a minute of silence
                    // means it is stuck.
                    if last > 0 && age < 60 {
                        (
                            axum::http::StatusCode::OK,
                            format!("{{\"status\":\"ok\",\"last_tick_age_secs\":{age}}}\n"),
                        )
                    } else {
                        (
                            axum::http::StatusCode::SERVICE_UNAVAILABLE,
                            format!("{{\"status\":\"stalled\",\"last_tick_age_secs\":{age}}}\n"),
                        )
                    }
                }
            }),
        );
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
}
