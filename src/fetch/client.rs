//! The fetcher: one [`FetchRequest`] in, one [`FetchOutcome`] out, each hop through the host gate.
//!
//! Redirects are followed here, not by reqwest, so that every hop waits at the gate, loops are
//! caught and the caller learns whether the move was permanent. Bodies are read chunk by chunk and
//! counted after decompression, so a compressed bomb stops at the limit with memory bounded by the
//! limit plus one chunk.
//!
//! Each hop is routed by the outbound policy before it waits at the gate: to the open client
//! (the request's trusted origin, `allow_hosts`) or to the checked one, whose resolver passes on
//! public answers only and which uses no proxy (a proxy would resolve names where we cannot
//! check them). A hop whose address is written in the URL is judged before it is sent.

use super::headers::{CacheHints, header_string, retry_after};
use super::hosts::{HostGate, HostKey};
use super::policy::{CheckedResolver, OutboundPolicy, Refusal, Route, SystemResolver};
use super::{FetchConfig, FetchError, FetchOutcome, FetchRequest, Fetched, Meta};
use chrono::{DateTime, Utc};
use reqwest::header::{
    CONTENT_TYPE, ETAG, HeaderValue, IF_MODIFIED_SINCE, IF_NONE_MATCH, LAST_MODIFIED, LOCATION,
};
use reqwest::{Response, StatusCode};
use std::collections::HashSet;
use std::error::Error as _;
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;
use url::Url;

/// Fetches URLs politely. Cheap to share behind an `Arc`; all its fetches share one connection
/// pool and one [`HostGate`].
#[derive(Debug)]
pub struct Fetcher {
    /// For hops the operator vouched for: any address.
    open: reqwest::Client,
    /// For every other hop: public addresses only.
    checked: reqwest::Client,
    policy: OutboundPolicy,
    gate: HostGate,
    config: FetchConfig,
}

/// Where an error happened, to tell a failed connection from a cut-off body.
#[derive(Clone, Copy)]
enum Phase {
    /// Sending the request and reading the status line and headers.
    Head,
    /// Reading the body, after this many bytes.
    Body(u64),
}

impl Fetcher {
    pub fn new(config: FetchConfig) -> Result<Fetcher, FetchError> {
        Fetcher::build(config, None)
    }

    /// A fetcher whose host names are resolved by `resolver` (tests answer with a stub); the
    /// outbound policy still judges the answers.
    pub fn with_resolver(
        config: FetchConfig,
        resolver: Arc<dyn reqwest::dns::Resolve>,
    ) -> Result<Fetcher, FetchError> {
        Fetcher::build(config, Some(resolver))
    }

    fn build(
        config: FetchConfig,
        resolver: Option<Arc<dyn reqwest::dns::Resolve>>,
    ) -> Result<Fetcher, FetchError> {
        let invalid = |reason: String| FetchError::Config { reason };
        if config.max_body_bytes == 0 {
            return Err(invalid("max_body_bytes must be at least 1".into()));
        }
        if config.per_host_concurrency == 0 || config.global_concurrency == 0 {
            return Err(invalid(
                "per_host_concurrency and global_concurrency must be at least 1".into(),
            ));
        }
        if config.total_timeout.is_zero() || config.connect_timeout.is_zero() {
            return Err(invalid("timeouts must be longer than zero".into()));
        }
        let ua = HeaderValue::from_str(config.user_agent.trim())
            .map_err(|e| invalid(format!("user_agent {:?}: {e}", config.user_agent)))?;
        let policy =
            OutboundPolicy::new(&config.allow_hosts).map_err(|e| invalid(e.to_string()))?;
        let builder = || {
            reqwest::Client::builder()
                .user_agent(ua.clone())
                .redirect(reqwest::redirect::Policy::none())
                .connect_timeout(config.connect_timeout)
                // A backstop: each fetch also keeps its own budget across redirects.
                .timeout(config.total_timeout)
                .gzip(true)
                .brotli(true)
                .deflate(true)
                .pool_idle_timeout(Duration::from_secs(30))
        };
        let build = |b: reqwest::ClientBuilder| {
            b.build()
                .map_err(|e| invalid(format!("HTTP client: {}", error_chain(&e))))
        };
        let open = match &resolver {
            Some(r) => builder().dns_resolver(r.clone()),
            None => builder(),
        };
        let inner = resolver.unwrap_or_else(|| Arc::new(SystemResolver));
        let checked = builder()
            .no_proxy()
            .dns_resolver(Arc::new(CheckedResolver::new(inner)));
        Ok(Fetcher {
            open: build(open)?,
            checked: build(checked)?,
            policy,
            gate: HostGate::new(config.gate_limits()),
            config,
        })
    }

    pub fn config(&self) -> &FetchConfig {
        &self.config
    }

    /// The politeness state shared by this fetcher's requests.
    pub fn gate(&self) -> &HostGate {
        &self.gate
    }

    /// When `url`'s host stops being blocked by a `Retry-After`; `None` when it is not blocked
    /// (or `url` has no host). Never waits: a scheduler can skip the host until then.
    pub fn blocked_until(&self, url: &str) -> Option<DateTime<Utc>> {
        self.gate.blocked_until(&HostKey::parse(url)?)
    }

    /// Fetches `req.url`, following redirects. Waits at the host gate before each request (also
    /// while the host is blocked by a `Retry-After`); never panics on what a server sends.
    pub async fn fetch(&self, req: FetchRequest) -> FetchOutcome {
        match self.fetch_inner(&req).await {
            Ok(outcome) => outcome,
            Err(e) => {
                tracing::debug!(url = %req.url, error = %e, "fetch failed");
                FetchOutcome::Failed(e)
            }
        }
    }

    async fn fetch_inner(&self, req: &FetchRequest) -> Result<FetchOutcome, FetchError> {
        let started = Instant::now();
        let mut url = parse_http_url(&req.url)?;
        let mut seen = HashSet::from([url.as_str().to_string()]);
        let mut redirects = 0u32;
        let mut all_permanent = true;
        let mut waited = Duration::ZERO;
        // Time on the network so far, against `total_timeout`.
        let mut spent = Duration::ZERO;
        loop {
            let host = HostKey::from_url(&url).ok_or_else(|| FetchError::InvalidUrl {
                url: url.to_string(),
                reason: "no host".into(),
            })?;
            let route = self
                .policy
                .route(&url, &req.reach)
                .map_err(|refusal| refused(&url, refusal))?;
            let wait_start = Instant::now();
            let permit = self.gate.acquire(&host).await;
            waited += wait_start.elapsed();

            let hop_start = Instant::now();
            let budget = self.config.total_timeout.saturating_sub(spent);
            let deadline = hop_start + budget;
            let timeout = || FetchError::Timeout {
                url: url.to_string(),
                after: self.config.total_timeout,
            };
            let send = self.request(route, &url, req).send();
            let mut resp = match tokio::time::timeout_at(deadline, send).await {
                Err(_) => return Err(timeout()),
                Ok(r) => r.map_err(|e| {
                    classify(&e, &url, Phase::Head, self.config.total_timeout, &host)
                })?,
            };
            let status = resp.status();
            tracing::debug!(url = %url, status = status.as_u16(), "response");

            if let Some(location) = redirect_location(&resp) {
                spent += hop_start.elapsed();
                drop(resp);
                drop(permit);
                if redirects >= self.config.max_redirects {
                    return Err(FetchError::TooManyRedirects {
                        url: req.url.clone(),
                        max: self.config.max_redirects,
                    });
                }
                let next = resolve_redirect(&url, &location)?;
                if !seen.insert(next.as_str().to_string()) {
                    return Err(FetchError::RedirectLoop {
                        url: req.url.clone(),
                        location: next.to_string(),
                    });
                }
                redirects += 1;
                all_permanent &= matches!(
                    status,
                    StatusCode::MOVED_PERMANENTLY | StatusCode::PERMANENT_REDIRECT
                );
                url = next;
                continue;
            }

            let headers = resp.headers();
            let now = Utc::now();
            let mut meta = Meta {
                url: url.to_string(),
                moved_permanently_to: (redirects > 0 && all_permanent).then(|| url.to_string()),
                redirects,
                status: status.as_u16(),
                etag: header_string(headers, &ETAG),
                last_modified: header_string(headers, &LAST_MODIFIED),
                content_type: header_string(headers, &CONTENT_TYPE),
                cache: CacheHints::from_headers(headers),
                retry_after: retry_after(headers, now),
                elapsed: Duration::ZERO,
                waited,
            };
            if matches!(
                status,
                StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE
            ) && let Some(until) = meta.retry_after
            {
                tracing::info!(host = %host, %until, status = status.as_u16(), "host asked us to wait");
                self.gate.block(&host, until);
            }

            let outcome = if status.is_success() {
                let read = read_body(
                    &mut resp,
                    self.config.max_body_bytes,
                    &url,
                    self.config.total_timeout,
                    &host,
                );
                let body = match tokio::time::timeout_at(deadline, read).await {
                    Err(_) => return Err(timeout()),
                    Ok(body) => body?,
                };
                drop(permit);
                meta.elapsed = started.elapsed();
                FetchOutcome::Ok(Fetched {
                    meta,
                    bytes: body.len() as u64,
                    body,
                })
            } else {
                // The body of an error page is not wanted; dropping it closes the connection.
                drop(resp);
                drop(permit);
                meta.elapsed = started.elapsed();
                match status {
                    StatusCode::NOT_MODIFIED => FetchOutcome::NotModified(meta),
                    StatusCode::GONE => FetchOutcome::Gone(meta),
                    _ => FetchOutcome::Status {
                        status: status.as_u16(),
                        meta,
                    },
                }
            };
            return Ok(outcome);
        }
    }

    fn request(&self, route: Route, url: &Url, req: &FetchRequest) -> reqwest::RequestBuilder {
        let client = match route {
            Route::Open => &self.open,
            Route::Checked => &self.checked,
        };
        let mut r = client.get(url.clone());
        // Validators come from a stored response; an unsendable one is skipped, not fatal.
        let valid = |v: &Option<String>| {
            v.as_deref()
                .and_then(|v| HeaderValue::from_str(v.trim()).ok())
        };
        if let Some(etag) = valid(&req.etag) {
            r = r.header(IF_NONE_MATCH, etag);
        }
        if let Some(lm) = valid(&req.last_modified) {
            r = r.header(IF_MODIFIED_SINCE, lm);
        }
        r
    }
}

fn refused(url: &Url, refusal: Refusal) -> FetchError {
    tracing::debug!(url = %url, reason = %refusal, "outbound request refused");
    FetchError::Refused {
        url: url.to_string(),
        refusal,
    }
}

/// An absolute http(s) URL with a host, without its fragment.
fn parse_http_url(raw: &str) -> Result<Url, FetchError> {
    let invalid = |reason: String| FetchError::InvalidUrl {
        url: raw.to_string(),
        reason,
    };
    let mut url = Url::parse(raw.trim()).map_err(|e| invalid(e.to_string()))?;
    check_http(&url).map_err(invalid)?;
    url.set_fragment(None);
    Ok(url)
}

fn check_http(url: &Url) -> Result<(), String> {
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!("scheme {:?} is not http or https", url.scheme()));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err("no host".into());
    }
    Ok(())
}

/// The `Location` of a redirect we follow (301, 302, 303, 307, 308); `None` for anything else,
/// including a redirect status without a `Location`.
fn redirect_location(resp: &Response) -> Option<String> {
    if !matches!(resp.status().as_u16(), 301 | 302 | 303 | 307 | 308) {
        return None;
    }
    header_string(resp.headers(), &LOCATION).filter(|l| !l.is_empty())
}

/// `location` resolved against the URL that sent it; must be http(s).
fn resolve_redirect(from: &Url, location: &str) -> Result<Url, FetchError> {
    let invalid = |reason: String| FetchError::InvalidRedirect {
        url: from.to_string(),
        location: location.to_string(),
        reason,
    };
    let mut next = from.join(location).map_err(|e| invalid(e.to_string()))?;
    check_http(&next).map_err(invalid)?;
    next.set_fragment(None);
    Ok(next)
}

/// Reads the whole body, stopping as soon as more than `limit` decompressed bytes arrive.
/// Memory stays within the limit plus one chunk.
async fn read_body(
    resp: &mut Response,
    limit: u64,
    url: &Url,
    total_timeout: Duration,
    host: &HostKey,
) -> Result<Vec<u8>, FetchError> {
    let too_large = || FetchError::TooLarge {
        url: url.to_string(),
        limit,
    };
    // Known only for an uncompressed body with a Content-Length.
    let expected = resp.content_length();
    if expected.is_some_and(|n| n > limit) {
        return Err(too_large());
    }
    let limit_usize = usize::try_from(limit).unwrap_or(usize::MAX);
    let mut body: Vec<u8> = Vec::with_capacity(
        expected
            .map_or(0, |n| usize::try_from(n).unwrap_or(0))
            .min(limit_usize),
    );
    loop {
        let chunk = resp
            .chunk()
            .await
            .map_err(|e| classify(&e, url, Phase::Body(body.len() as u64), total_timeout, host))?;
        let Some(chunk) = chunk else { break };
        let needed = body.len().saturating_add(chunk.len());
        if needed > limit_usize {
            return Err(too_large());
        }
        if needed > body.capacity() {
            // Grow by doubling, but never past the limit.
            let target = needed
                .max(body.capacity().saturating_mul(2))
                .min(limit_usize);
            body.reserve_exact(target - body.len());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// Sorts a reqwest error into a [`FetchError`]; a refusal by the checked resolver is named with
/// the `allow_hosts` entry (`host`, with its port) that would allow it.
fn classify(
    err: &reqwest::Error,
    url: &Url,
    phase: Phase,
    total_timeout: Duration,
    host: &HostKey,
) -> FetchError {
    if let Some(r) = refusal_in(err) {
        return refused(
            url,
            Refusal {
                allow: host.as_str().to_string(),
                ..r.clone()
            },
        );
    }
    let url_s = url.to_string();
    let reason = error_chain(err);
    let io_kind = io_error_kind(err);
    if err.is_timeout() || io_kind == Some(std::io::ErrorKind::TimedOut) {
        return FetchError::Timeout {
            url: url_s,
            after: total_timeout,
        };
    }
    use std::io::ErrorKind::*;
    let reset = matches!(
        io_kind,
        Some(ConnectionReset | ConnectionAborted | BrokenPipe)
    );
    match phase {
        Phase::Head if err.is_connect() && !reset => FetchError::Connect { url: url_s, reason },
        Phase::Head if reset || is_closed_early(err) => {
            FetchError::ConnectionReset { url: url_s, reason }
        }
        Phase::Head => FetchError::Http { url: url_s, reason },
        Phase::Body(_) if reset => FetchError::ConnectionReset { url: url_s, reason },
        Phase::Body(_) if io_kind == Some(InvalidData) => FetchError::Decode { url: url_s, reason },
        Phase::Body(received) => FetchError::Truncated {
            url: url_s,
            received,
            reason,
        },
    }
}

/// The outbound policy's refusal among the causes, if it is one.
fn refusal_in(err: &reqwest::Error) -> Option<&Refusal> {
    let mut source = err.source();
    while let Some(e) = source {
        if let Some(r) = e.downcast_ref::<Refusal>() {
            return Some(r);
        }
        source = e.source();
    }
    None
}

/// The kind of the first I/O error among the causes.
fn io_error_kind(err: &reqwest::Error) -> Option<std::io::ErrorKind> {
    let mut source = err.source();
    while let Some(e) = source {
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            return Some(io.kind());
        }
        source = e.source();
    }
    None
}

/// Whether the server closed the connection before a complete response head.
fn is_closed_early(err: &reqwest::Error) -> bool {
    let chain = error_chain(err);
    chain.contains("connection closed before message completed")
        || chain.contains("IncompleteMessage")
}

/// The causes of an error, outermost first, without repeats; reqwest's own outer message (which
/// repeats the URL) is left out when there are causes.
fn error_chain(err: &reqwest::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut source = err.source();
    while let Some(e) = source {
        let s = e.to_string();
        if !s.is_empty() && !parts.iter().any(|p| p.contains(&s)) {
            parts.push(s);
        }
        source = e.source();
    }
    if parts.is_empty() {
        err.to_string()
    } else {
        parts.join(": ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_absolute_http_urls_are_fetched() {
        assert!(parse_http_url("https://example.com/feed#x").is_ok_and(|u| u.fragment().is_none()));
        for bad in [
            "ftp://example.com/",
            "/relative",
            "file:///etc/passwd",
            "http://",
            "",
        ] {
            let e = parse_http_url(bad).expect_err(bad);
            assert!(matches!(e, FetchError::InvalidUrl { .. }), "{bad}: {e}");
            assert!(e.to_string().contains(bad), "{e}");
        }
    }

    #[test]
    fn redirects_resolve_relative_locations() {
        let from = Url::parse("http://a.test/x/feed?q=1").expect("valid");
        assert_eq!(
            resolve_redirect(&from, "../rss").expect("ok").as_str(),
            "http://a.test/rss"
        );
        assert_eq!(
            resolve_redirect(&from, "//b.test/f#top")
                .expect("ok")
                .as_str(),
            "http://b.test/f"
        );
        assert_eq!(
            resolve_redirect(&from, "?p=2").expect("ok").as_str(),
            "http://a.test/x/feed?p=2"
        );
        let e = resolve_redirect(&from, "javascript:alert(1)").expect_err("not http");
        assert!(matches!(e, FetchError::InvalidRedirect { .. }));
        assert!(e.to_string().starts_with("http://a.test/x/feed"));
    }

    #[test]
    fn bad_settings_are_refused() {
        let bad = FetchConfig {
            max_body_bytes: 0,
            ..FetchConfig::default()
        };
        assert!(matches!(Fetcher::new(bad), Err(FetchError::Config { .. })));
        let bad = FetchConfig {
            user_agent: "line\nbreak".into(),
            ..FetchConfig::default()
        };
        assert!(matches!(Fetcher::new(bad), Err(FetchError::Config { .. })));
    }
}
