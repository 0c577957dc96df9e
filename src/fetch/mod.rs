//! The polite HTTP fetcher: a URL (with the validators of the last fetch) in, the response body
//! as raw bytes or what happened instead out.
//!
//! In: a [`FetchRequest`] — URL, and the `ETag` / `Last-Modified` stored from the last fetch.
//! Out: a [`FetchOutcome`] — the body ([`Fetched`]), "not modified", "gone", another status, or a
//! [`FetchError`] naming the URL and the reason. Every outcome with a response carries [`Meta`]:
//! final URL, whether every redirect was permanent, validators, cache hints, `Retry-After`,
//! status and time taken.
//!
//! [`Fetcher`] sends conditional GETs, accepts gzip, brotli and deflate, counts the *decompressed*
//! bytes while it reads and stops at [`FetchConfig::max_body_bytes`], follows redirects itself and
//! goes through a [`HostGate`] for every request: per-host and global concurrency, spacing between
//! starts to one host, and the `Retry-After` of a 429 or 503. Bodies are not decoded to text here:
//! the charset is the caller's business.
//!
//! Every hop is also judged by the outbound [`policy`]: a hop outside the request's trusted
//! origin ([`Reach`]) and `allow_hosts` reaches public addresses only — an address in the URL is
//! judged before sending, a name's DNS answers at connect time — and a refused hop ends the fetch
//! with [`FetchError::Refused`].

mod client;
mod headers;
pub mod hosts;
pub mod policy;

pub use client::Fetcher;
pub use headers::{CacheHints, parse_http_date};
pub use hosts::{GateLimits, HostGate, HostKey, HostPermit};
pub use policy::{Origin, Reach, Refusal};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer};
use std::time::Duration;

/// Settings of a [`Fetcher`]. Durations read from a config file as `"10s"`, `"1m 30s"` or a
/// number of seconds.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct FetchConfig {
    /// Sent with every request; see [`user_agent`].
    pub user_agent: String,
    #[serde(deserialize_with = "de_duration")]
    pub connect_timeout: Duration,
    /// Time on the network for one fetch, from the first request to the end of the last body,
    /// all redirects included; time spent waiting at the host gate does not count.
    #[serde(deserialize_with = "de_duration")]
    pub total_timeout: Duration,
    /// The most body bytes accepted, counted after decompression.
    pub max_body_bytes: u64,
    pub max_redirects: u32,
    pub per_host_concurrency: usize,
    /// Least time between two request starts to one host.
    #[serde(deserialize_with = "de_duration")]
    pub per_host_spacing: Duration,
    pub global_concurrency: usize,
    /// Hosts (`name`, `address`, `[v6 address]`, each optionally `:port`) that URLs from
    /// content may reach whatever they resolve to; see [`policy`].
    pub allow_hosts: Vec<String>,
}

/// The User-Agent we send: who we are, where to read about us, and whom to write to.
pub fn user_agent(contact: &str) -> String {
    format!(
        "newsdedup/{} (+https://github.com/newsdedup/newsdedup; contact: {})",
        env!("CARGO_PKG_VERSION"),
        contact.trim()
    )
}

impl Default for FetchConfig {
    fn default() -> Self {
        FetchConfig {
            user_agent: user_agent("unset"),
            connect_timeout: Duration::from_secs(10),
            total_timeout: Duration::from_secs(30),
            max_body_bytes: 5 * 1024 * 1024,
            max_redirects: 5,
            per_host_concurrency: 2,
            per_host_spacing: Duration::from_secs(1),
            global_concurrency: 16,
            allow_hosts: Vec::new(),
        }
    }
}

impl FetchConfig {
    /// The limits of the host gate.
    pub fn gate_limits(&self) -> GateLimits {
        GateLimits {
            per_host: self.per_host_concurrency,
            spacing: self.per_host_spacing,
            global: self.global_concurrency,
        }
    }
}

/// A duration as humantime text (`"10s"`, `"500ms"`) or a number of seconds.
pub(crate) fn de_duration<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Secs(u64),
        Float(f64),
        Text(String),
    }
    match Raw::deserialize(d)? {
        Raw::Secs(s) => Ok(Duration::from_secs(s)),
        Raw::Float(f) => Duration::try_from_secs_f64(f).map_err(serde::de::Error::custom),
        Raw::Text(t) => match t.trim().parse::<u64>() {
            Ok(s) => Ok(Duration::from_secs(s)),
            Err(_) => humantime::parse_duration(t.trim())
                .map_err(|e| serde::de::Error::custom(format!("duration {t:?}: {e}"))),
        },
    }
}

/// One URL to fetch, with the validators stored from its last successful fetch.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FetchRequest {
    pub url: String,
    /// Sent as `If-None-Match`.
    pub etag: Option<String>,
    /// Sent as `If-Modified-Since`.
    pub last_modified: Option<String>,
    /// Where its hops may go.
    pub reach: Reach,
}

impl FetchRequest {
    /// An unconditional request trusting its own URL's origin: hops there go anywhere, hops
    /// elsewhere (redirects to other hosts) are checked by the outbound policy.
    pub fn new(url: impl Into<String>) -> FetchRequest {
        let url = url.into();
        FetchRequest {
            reach: Reach::trusting(&url),
            url,
            ..FetchRequest::default()
        }
    }

    /// The same request with its hops allowed this far.
    pub fn reaching(mut self, reach: Reach) -> Self {
        self.reach = reach;
        self
    }

    /// The same request made conditional on these validators.
    pub fn with_validators(mut self, etag: Option<String>, last_modified: Option<String>) -> Self {
        self.etag = etag;
        self.last_modified = last_modified;
        self
    }
}

/// What one response said, besides its body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Meta {
    /// The URL that answered, after redirects.
    pub url: String,
    /// The final URL when at least one redirect was followed and every one was permanent
    /// (301/308): the caller should store it in place of the requested URL.
    pub moved_permanently_to: Option<String>,
    /// Redirects followed.
    pub redirects: u32,
    pub status: u16,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    pub content_type: Option<String>,
    pub cache: CacheHints,
    /// `Retry-After` (delta-seconds or HTTP-date) as a point in time.
    pub retry_after: Option<DateTime<Utc>>,
    /// From the call to [`Fetcher::fetch`] to the end of the body, gate waits included.
    pub elapsed: Duration,
    /// Of `elapsed`, the time spent waiting at the host gate.
    pub waited: Duration,
}

/// A successful (2xx) response and its body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fetched {
    pub meta: Meta,
    /// The body as received, decompressed; not decoded to text.
    pub body: Vec<u8>,
    /// Body bytes after decompression.
    pub bytes: u64,
}

/// How a fetch ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FetchOutcome {
    /// 2xx with the whole body.
    Ok(Fetched),
    /// 304: the validators still match.
    NotModified(Meta),
    /// 410: the resource is gone for good.
    Gone(Meta),
    /// Any other final status (4xx, 5xx, a 3xx that was not followed). For a 429 or 503 with
    /// `Retry-After`, the host is already blocked at the gate until then.
    Status { status: u16, meta: Meta },
    /// No usable response.
    Failed(FetchError),
}

impl FetchOutcome {
    pub fn meta(&self) -> Option<&Meta> {
        match self {
            FetchOutcome::Ok(f) => Some(&f.meta),
            FetchOutcome::NotModified(m) | FetchOutcome::Gone(m) => Some(m),
            FetchOutcome::Status { meta, .. } => Some(meta),
            FetchOutcome::Failed(_) => None,
        }
    }

    /// The final HTTP status, when a response came.
    pub fn status(&self) -> Option<u16> {
        self.meta().map(|m| m.status)
    }

    /// Body bytes received (after decompression); 0 without a body.
    pub fn bytes(&self) -> u64 {
        match self {
            FetchOutcome::Ok(f) => f.bytes,
            _ => 0,
        }
    }

    pub fn error(&self) -> Option<&FetchError> {
        match self {
            FetchOutcome::Failed(e) => Some(e),
            _ => None,
        }
    }

    /// A short name for logs and counters: `ok`, `not_modified`, `gone`, `status`, `failed`.
    pub fn kind(&self) -> &'static str {
        match self {
            FetchOutcome::Ok(_) => "ok",
            FetchOutcome::NotModified(_) => "not_modified",
            FetchOutcome::Gone(_) => "gone",
            FetchOutcome::Status { .. } => "status",
            FetchOutcome::Failed(_) => "failed",
        }
    }
}

/// Why a fetch brought no usable response. Each names the URL it was about.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FetchError {
    #[error("fetcher settings: {reason}")]
    Config { reason: String },
    #[error("{url}: invalid URL: {reason}")]
    InvalidUrl { url: String, reason: String },
    #[error("{url}: connecting: {reason}")]
    Connect { url: String, reason: String },
    #[error("{url}: no complete response within {}", humantime::format_duration(*after))]
    Timeout { url: String, after: Duration },
    #[error("{url}: connection reset or closed: {reason}")]
    ConnectionReset { url: String, reason: String },
    #[error("{url}: body cut off after {received} bytes: {reason}")]
    Truncated {
        url: String,
        received: u64,
        reason: String,
    },
    #[error("{url}: body could not be decompressed: {reason}")]
    Decode { url: String, reason: String },
    #[error("{url}: body larger than the limit of {limit} bytes")]
    TooLarge { url: String, limit: u64 },
    #[error("{url}: more than {max} redirects")]
    TooManyRedirects { url: String, max: u32 },
    #[error("{url}: redirect loop: {location} was reached twice")]
    RedirectLoop { url: String, location: String },
    #[error("{url}: bad redirect to {location:?}: {reason}")]
    InvalidRedirect {
        url: String,
        location: String,
        reason: String,
    },
    #[error("{url}: {reason}")]
    Http { url: String, reason: String },
    /// The outbound policy refused the hop to `url`.
    #[error("{url}: {refusal}")]
    Refused { url: String, refusal: Refusal },
}

impl FetchError {
    /// Whether trying again later may succeed: network failures and timeouts are, a bad URL, an
    /// oversized body or a redirect problem are not.
    pub fn is_transient(&self) -> bool {
        match self {
            FetchError::Connect { .. }
            | FetchError::Timeout { .. }
            | FetchError::ConnectionReset { .. }
            | FetchError::Truncated { .. }
            | FetchError::Http { .. } => true,
            FetchError::Config { .. }
            | FetchError::InvalidUrl { .. }
            | FetchError::Decode { .. }
            | FetchError::TooLarge { .. }
            | FetchError::TooManyRedirects { .. }
            | FetchError::RedirectLoop { .. }
            | FetchError::InvalidRedirect { .. }
            | FetchError::Refused { .. } => false,
        }
    }

    /// The URL the error is about (`None` for settings).
    pub fn url(&self) -> Option<&str> {
        match self {
            FetchError::Config { .. } => None,
            FetchError::InvalidUrl { url, .. }
            | FetchError::Connect { url, .. }
            | FetchError::Timeout { url, .. }
            | FetchError::ConnectionReset { url, .. }
            | FetchError::Truncated { url, .. }
            | FetchError::Decode { url, .. }
            | FetchError::TooLarge { url, .. }
            | FetchError::TooManyRedirects { url, .. }
            | FetchError::RedirectLoop { url, .. }
            | FetchError::InvalidRedirect { url, .. }
            | FetchError::Http { url, .. }
            | FetchError::Refused { url, .. } => Some(url),
        }
    }

    /// A short name for logs and counters, e.g. `timeout`, `too_large`.
    pub fn kind(&self) -> &'static str {
        match self {
            FetchError::Config { .. } => "config",
            FetchError::InvalidUrl { .. } => "invalid_url",
            FetchError::Connect { .. } => "connect",
            FetchError::Timeout { .. } => "timeout",
            FetchError::ConnectionReset { .. } => "connection_reset",
            FetchError::Truncated { .. } => "truncated",
            FetchError::Decode { .. } => "decode",
            FetchError::TooLarge { .. } => "too_large",
            FetchError::TooManyRedirects { .. } => "too_many_redirects",
            FetchError::RedirectLoop { .. } => "redirect_loop",
            FetchError::InvalidRedirect { .. } => "invalid_redirect",
            FetchError::Http { .. } => "http",
            FetchError::Refused { .. } => "refused",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_reads_durations_and_keeps_defaults() {
        #[derive(Deserialize)]
        struct File {
            fetch: FetchConfig,
        }
        let f: File = toml_from(
            r#"
            [fetch]
            connect_timeout = "2s"
            total_timeout = 45
            per_host_spacing = "1500ms"
            max_body_bytes = 1024
            "#,
        );
        assert_eq!(f.fetch.connect_timeout, Duration::from_secs(2));
        assert_eq!(f.fetch.total_timeout, Duration::from_secs(45));
        assert_eq!(f.fetch.per_host_spacing, Duration::from_millis(1500));
        assert_eq!(f.fetch.max_body_bytes, 1024);
        assert_eq!(f.fetch.max_redirects, FetchConfig::default().max_redirects);
    }

    fn toml_from<T: serde::de::DeserializeOwned>(s: &str) -> T {
        config::Config::builder()
            .add_source(config::File::from_str(s, config::FileFormat::Toml))
            .build()
            .and_then(|c| c.try_deserialize())
            .expect("test config parses")
    }

    #[test]
    fn user_agent_names_version_and_contact() {
        let ua = user_agent(" ops@example.org ");
        assert!(ua.starts_with(concat!(
            "newsdedup/",
            env!("CARGO_PKG_VERSION"),
            " (+https://"
        )));
        assert!(ua.ends_with("contact: ops@example.org)"));
        assert!(FetchConfig::default().user_agent.starts_with("newsdedup/"));
    }

    #[test]
    fn errors_name_the_url_and_say_whether_to_retry() {
        let e = FetchError::TooLarge {
            url: "http://a.test/feed".into(),
            limit: 10,
        };
        assert_eq!(
            e.to_string(),
            "http://a.test/feed: body larger than the limit of 10 bytes"
        );
        assert!(!e.is_transient());
        let e = FetchError::Timeout {
            url: "http://a.test/".into(),
            after: Duration::from_secs(30),
        };
        assert_eq!(
            e.to_string(),
            "http://a.test/: no complete response within 30s"
        );
        assert!(e.is_transient());
        assert_eq!(e.url(), Some("http://a.test/"));
    }
}
