//! The fetcher against in-process HTTP/1.1 servers on loopback, written by hand so that a test
//! controls every byte: resets, short bodies, hanging, compression, redirects, `Retry-After`.

use newsdedup::fetch::{FetchConfig, FetchError, FetchOutcome, FetchRequest, Fetcher, user_agent};
use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

// ---------------------------------------------------------------------------------------------
// The test server
// ---------------------------------------------------------------------------------------------

/// A request as the server read it.
#[derive(Debug, Clone)]
struct Request {
    path: String,
    headers: Vec<(String, String)>,
}

impl Request {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// What the server does with a request.
enum Reply {
    /// A response with `Content-Length` and `Connection: close`.
    Response {
        status: u16,
        headers: Vec<(&'static str, String)>,
        body: Vec<u8>,
    },
    /// These bytes as they are, then a clean close.
    Raw(Vec<u8>),
    /// These bytes, then a TCP reset.
    RawThenReset(Vec<u8>),
    /// Nothing, with the connection held open.
    Hang,
    /// These bytes, then nothing, with the connection held open.
    RawThenHang(Vec<u8>),
    /// The reply after a pause (the request stays in flight meanwhile).
    Delayed(Duration, Box<Reply>),
}

fn ok(body: impl Into<Vec<u8>>) -> Reply {
    Reply::Response {
        status: 200,
        headers: vec![("Content-Type", "text/plain".into())],
        body: body.into(),
    }
}

fn status(code: u16, headers: Vec<(&'static str, String)>) -> Reply {
    Reply::Response {
        status: code,
        headers,
        body: Vec::new(),
    }
}

fn redirect(code: u16, location: &str) -> Reply {
    status(code, vec![("Location", location.to_string())])
}

/// One request the server received.
#[derive(Debug, Clone)]
struct Hit {
    at: Instant,
    request: Request,
}

#[derive(Default)]
struct Counters {
    hits: Mutex<Vec<Hit>>,
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
}

type Handler = dyn Fn(&Request, usize) -> Reply + Send + Sync;

struct Server {
    base: String,
    counters: Arc<Counters>,
}

impl Server {
    /// A server answering each request with `handler(request, index of the hit)`.
    async fn start(handler: impl Fn(&Request, usize) -> Reply + Send + Sync + 'static) -> Server {
        Server::start_counting(Arc::new(Counters::default()), handler).await
    }

    /// Like [`Server::start`], with counters shared with other servers.
    async fn start_counting(
        counters: Arc<Counters>,
        handler: impl Fn(&Request, usize) -> Reply + Send + Sync + 'static,
    ) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind loopback");
        let addr = listener.local_addr().expect("local address");
        let handler: Arc<Handler> = Arc::new(handler);
        let c = counters.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(serve(stream, handler.clone(), c.clone()));
            }
        });
        Server {
            base: format!("http://{addr}"),
            counters,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn hits(&self) -> Vec<Hit> {
        self.counters.hits.lock().expect("hits lock").clone()
    }

    fn max_in_flight(&self) -> usize {
        self.counters.max_in_flight.load(Ordering::SeqCst)
    }
}

async fn serve(mut stream: TcpStream, handler: Arc<Handler>, counters: Arc<Counters>) {
    let Some(request) = read_request(&mut stream).await else {
        return;
    };
    let index = {
        let mut hits = counters.hits.lock().expect("hits lock");
        hits.push(Hit {
            at: Instant::now(),
            request: request.clone(),
        });
        hits.len() - 1
    };
    let now = counters.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
    counters.max_in_flight.fetch_max(now, Ordering::SeqCst);
    let reply = handler(&request, index);
    send(&mut stream, reply).await;
    counters.in_flight.fetch_sub(1, Ordering::SeqCst);
}

async fn read_request(stream: &mut TcpStream) -> Option<Request> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 || buf.len() > 64 * 1024 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let text = String::from_utf8_lossy(&buf);
    let mut lines = text.split("\r\n");
    let path = lines.next()?.split(' ').nth(1)?.to_string();
    let headers = lines
        .take_while(|l| !l.is_empty())
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_string(), v.trim().to_string()))
        .collect();
    Some(Request { path, headers })
}

async fn send(stream: &mut TcpStream, reply: Reply) {
    match reply {
        Reply::Response {
            status,
            headers,
            body,
        } => {
            let mut head = format!("HTTP/1.1 {status} X\r\n");
            for (n, v) in &headers {
                head.push_str(&format!("{n}: {v}\r\n"));
            }
            head.push_str(&format!(
                "Content-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            ));
            let _ = stream.write_all(head.as_bytes()).await;
            let _ = stream.write_all(&body).await;
            let _ = stream.shutdown().await;
        }
        Reply::Raw(bytes) => {
            let _ = stream.write_all(&bytes).await;
            let _ = stream.shutdown().await;
        }
        Reply::RawThenReset(bytes) => {
            let _ = stream.write_all(&bytes).await;
            let _ = stream.flush().await;
            // Let the bytes leave before the reset.
            tokio::time::sleep(Duration::from_millis(50)).await;
            let _ = stream.set_zero_linger();
        }
        Reply::Hang => tokio::time::sleep(Duration::from_secs(60)).await,
        Reply::RawThenHang(bytes) => {
            let _ = stream.write_all(&bytes).await;
            tokio::time::sleep(Duration::from_secs(60)).await;
        }
        Reply::Delayed(pause, reply) => {
            tokio::time::sleep(pause).await;
            Box::pin(send(stream, *reply)).await;
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

fn test_config() -> FetchConfig {
    FetchConfig {
        user_agent: user_agent("tests@example.invalid"),
        connect_timeout: Duration::from_secs(2),
        total_timeout: Duration::from_secs(5),
        max_body_bytes: 1024 * 1024,
        max_redirects: 5,
        per_host_concurrency: 4,
        per_host_spacing: Duration::ZERO,
        global_concurrency: 16,
        allow_hosts: Vec::new(),
    }
}

fn fetcher(config: FetchConfig) -> Fetcher {
    Fetcher::new(config).expect("valid fetcher settings")
}

#[track_caller]
fn expect_ok(outcome: FetchOutcome) -> newsdedup::fetch::Fetched {
    match outcome {
        FetchOutcome::Ok(f) => f,
        other => panic!("expected a body, got {other:?}"),
    }
}

#[track_caller]
fn expect_error(outcome: FetchOutcome) -> FetchError {
    match outcome {
        FetchOutcome::Failed(e) => e,
        other => panic!("expected an error, got {other:?}"),
    }
}

/// Resident set size of this process, from /proc/self/statm.
fn rss_bytes() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    // SAFETY: sysconf has no preconditions.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    Some(pages * u64::try_from(page).ok()?)
}

// ---------------------------------------------------------------------------------------------
// Conditional GET, statuses, cache hints
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn etag_then_not_modified() {
    let server = Server::start(|req, _| {
        if req.header("if-none-match") == Some("\"v1\"") {
            status(304, vec![("ETag", "\"v1\"".into())])
        } else {
            Reply::Response {
                status: 200,
                headers: vec![
                    ("ETag", "\"v1\"".into()),
                    ("Content-Type", "application/rss+xml; charset=utf-8".into()),
                    ("Cache-Control", "public, max-age=300".into()),
                ],
                body: b"<rss/>".to_vec(),
            }
        }
    })
    .await;
    let f = fetcher(test_config());
    let url = server.url("/feed");
    let first = expect_ok(f.fetch(FetchRequest::new(&url)).await);
    assert_eq!(first.body, b"<rss/>");
    assert_eq!(first.bytes, 6);
    assert_eq!(first.meta.status, 200);
    assert_eq!(first.meta.url, url);
    assert_eq!(first.meta.moved_permanently_to, None);
    assert_eq!(first.meta.etag.as_deref(), Some("\"v1\""));
    assert_eq!(
        first.meta.content_type.as_deref(),
        Some("application/rss+xml; charset=utf-8")
    );
    assert_eq!(first.meta.cache.max_age, Some(Duration::from_secs(300)));

    let second = f
        .fetch(FetchRequest::new(&url).with_validators(first.meta.etag.clone(), None))
        .await;
    assert_eq!(second.status(), Some(304));
    assert!(matches!(second, FetchOutcome::NotModified(_)), "{second:?}");
    assert_eq!(second.bytes(), 0);
    let hits = server.hits();
    assert_eq!(hits.len(), 2);
    assert_eq!(hits[0].request.header("if-none-match"), None);
    assert_eq!(hits[1].request.header("if-none-match"), Some("\"v1\""));
}

#[tokio::test]
async fn last_modified_then_not_modified() {
    const LM: &str = "Wed, 21 Oct 2015 07:28:00 GMT";
    let server = Server::start(|req, _| {
        if req.header("if-modified-since") == Some(LM) {
            status(304, vec![])
        } else {
            Reply::Response {
                status: 200,
                headers: vec![
                    ("Last-Modified", LM.into()),
                    ("Date", "Wed, 21 Oct 2015 08:00:00 GMT".into()),
                    ("Expires", "Wed, 21 Oct 2015 09:00:00 GMT".into()),
                ],
                body: b"feed".to_vec(),
            }
        }
    })
    .await;
    let f = fetcher(test_config());
    let url = server.url("/feed");
    let first = expect_ok(f.fetch(FetchRequest::new(&url)).await);
    assert_eq!(first.meta.last_modified.as_deref(), Some(LM));
    assert_eq!(first.meta.etag, None);
    let received = chrono::Utc::now();
    assert_eq!(
        first.meta.cache.freshness_lifetime(received),
        Some(Duration::from_secs(3600))
    );
    let second = f
        .fetch(FetchRequest::new(&url).with_validators(None, first.meta.last_modified.clone()))
        .await;
    assert!(matches!(second, FetchOutcome::NotModified(_)), "{second:?}");
    assert_eq!(
        server.hits()[1].request.header("if-modified-since"),
        Some(LM)
    );
}

#[tokio::test]
async fn gone_and_server_errors_are_statuses() {
    let server = Server::start(|req, _| match req.path.as_str() {
        "/gone" => status(410, vec![]),
        "/missing" => status(404, vec![]),
        _ => status(500, vec![]),
    })
    .await;
    let f = fetcher(test_config());
    let gone = f.fetch(FetchRequest::new(server.url("/gone"))).await;
    assert!(
        matches!(&gone, FetchOutcome::Gone(m) if m.status == 410),
        "{gone:?}"
    );
    let err = f.fetch(FetchRequest::new(server.url("/broken"))).await;
    assert!(
        matches!(&err, FetchOutcome::Status { status: 500, meta } if meta.status == 500),
        "{err:?}"
    );
    assert_eq!(err.kind(), "status");
    let missing = f.fetch(FetchRequest::new(server.url("/missing"))).await;
    assert_eq!(missing.status(), Some(404));
}

#[tokio::test]
async fn user_agent_is_sent() {
    let server = Server::start(|_, _| ok("x")).await;
    let config = test_config();
    let ua = config.user_agent.clone();
    let f = fetcher(config);
    expect_ok(f.fetch(FetchRequest::new(server.url("/"))).await);
    let hits = server.hits();
    assert_eq!(hits[0].request.header("user-agent"), Some(ua.as_str()));
    assert!(ua.contains("contact: tests@example.invalid"));
    let accept = hits[0].request.header("accept-encoding").unwrap_or("");
    for enc in ["gzip", "br", "deflate"] {
        assert!(
            accept.contains(enc),
            "Accept-Encoding {accept:?} lacks {enc}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Redirects
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn permanent_redirect_chain_reports_the_new_url() {
    let server = Server::start(|req, _| match req.path.as_str() {
        "/old" => redirect(301, "/older/../middle"),
        "/middle" => redirect(308, "new?x=1"),
        "/new?x=1" => ok("moved"),
        _ => status(404, vec![]),
    })
    .await;
    let f = fetcher(test_config());
    let got = expect_ok(f.fetch(FetchRequest::new(server.url("/old"))).await);
    assert_eq!(got.body, b"moved");
    assert_eq!(got.meta.url, server.url("/new?x=1"));
    assert_eq!(got.meta.redirects, 2);
    assert_eq!(got.meta.moved_permanently_to, Some(server.url("/new?x=1")));
}

#[tokio::test]
async fn a_temporary_redirect_in_the_chain_is_not_a_move() {
    let server = Server::start(|req, _| match req.path.as_str() {
        "/a" => redirect(301, "/b"),
        "/b" => redirect(302, "/c"),
        "/c" => redirect(308, "/feed"),
        "/feed" => ok("feed"),
        _ => status(404, vec![]),
    })
    .await;
    let f = fetcher(test_config());
    let got = expect_ok(f.fetch(FetchRequest::new(server.url("/a"))).await);
    assert_eq!(got.meta.url, server.url("/feed"));
    assert_eq!(got.meta.redirects, 3);
    assert_eq!(got.meta.moved_permanently_to, None);
}

#[tokio::test]
async fn redirect_loop_is_detected() {
    let server = Server::start(|req, _| match req.path.as_str() {
        "/a" => redirect(301, "/b"),
        _ => redirect(302, "/a"),
    })
    .await;
    let f = fetcher(test_config());
    let url = server.url("/a");
    let e = expect_error(f.fetch(FetchRequest::new(&url)).await);
    assert!(matches!(&e, FetchError::RedirectLoop { .. }), "{e}");
    assert!(e.to_string().contains(&url), "{e}");
    assert!(!e.is_transient());
    assert_eq!(server.hits().len(), 2);
}

#[tokio::test]
async fn too_many_redirects() {
    let server = Server::start(|_, n| redirect(302, &format!("/hop/{}", n + 1))).await;
    let f = fetcher(FetchConfig {
        max_redirects: 3,
        ..test_config()
    });
    let e = expect_error(f.fetch(FetchRequest::new(server.url("/hop/0"))).await);
    assert!(
        matches!(e, FetchError::TooManyRedirects { max: 3, .. }),
        "{e}"
    );
    // The start and three followed redirects.
    assert_eq!(server.hits().len(), 4);
}

// ---------------------------------------------------------------------------------------------
// Retry-After and the host gate
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn retry_after_blocks_the_host_until_it_expires() {
    let server = Server::start(|_, n| {
        if n == 0 {
            status(429, vec![("Retry-After", "2".into())])
        } else {
            ok("fine now")
        }
    })
    .await;
    let f = Arc::new(fetcher(test_config()));
    let url = server.url("/feed");
    let first = f.fetch(FetchRequest::new(&url)).await;
    let FetchOutcome::Status { status: 429, meta } = &first else {
        panic!("expected 429, got {first:?}");
    };
    let until = meta.retry_after.expect("Retry-After parsed");
    let wait = (until - chrono::Utc::now()).num_milliseconds();
    assert!((1000..=2100).contains(&wait), "retry after {wait} ms");
    let blocked = f.blocked_until(&url).expect("host blocked");
    assert_eq!(blocked, until);
    // The whole host is blocked, not just the path.
    assert!(f.blocked_until(&server.url("/other")).is_some());

    let started = Instant::now();
    let second = expect_ok(f.fetch(FetchRequest::new(server.url("/other"))).await);
    assert_eq!(second.body, b"fine now");
    assert!(second.meta.waited >= Duration::from_millis(1000));
    let hits = server.hits();
    assert_eq!(hits.len(), 2);
    let gap = hits[1].at - hits[0].at;
    assert!(
        gap >= Duration::from_millis(1500),
        "second request after {gap:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(f.blocked_until(&url).is_none());
}

#[tokio::test]
async fn service_unavailable_with_http_date_blocks_the_host() {
    let server = Server::start(|_, _| {
        let at = std::time::SystemTime::now() + Duration::from_secs(3);
        status(503, vec![("Retry-After", httpdate::fmt_http_date(at))])
    })
    .await;
    let f = fetcher(test_config());
    let url = server.url("/");
    let got = f.fetch(FetchRequest::new(&url)).await;
    assert_eq!(got.status(), Some(503));
    let until = f.blocked_until(&url).expect("blocked");
    let left = (until - chrono::Utc::now()).num_milliseconds();
    assert!((1000..=3100).contains(&left), "blocked for {left} ms");
    // 500 carries no block.
    let other = Server::start(|_, _| status(500, vec![("Retry-After", "30".into())])).await;
    f.fetch(FetchRequest::new(other.url("/"))).await;
    assert!(f.blocked_until(&other.url("/")).is_none());
}

#[tokio::test]
async fn per_host_concurrency_is_capped() {
    let server =
        Server::start(|_, _| Reply::Delayed(Duration::from_millis(300), Box::new(ok("slow"))))
            .await;
    let f = Arc::new(fetcher(FetchConfig {
        per_host_concurrency: 2,
        ..test_config()
    }));
    let tasks: Vec<_> = (0..6)
        .map(|i| {
            let f = f.clone();
            let url = server.url(&format!("/{i}"));
            tokio::spawn(async move { f.fetch(FetchRequest::new(url)).await })
        })
        .collect();
    for t in tasks {
        expect_ok(t.await.expect("fetch task"));
    }
    assert_eq!(server.hits().len(), 6);
    assert_eq!(server.max_in_flight(), 2);
}

#[tokio::test]
async fn global_concurrency_is_capped_across_hosts() {
    let counters = Arc::new(Counters::default());
    let slow = || Reply::Delayed(Duration::from_millis(200), Box::new(ok("slow")));
    let a = Server::start_counting(counters.clone(), move |_, _| slow()).await;
    let b = Server::start_counting(counters.clone(), move |_, _| slow()).await;
    let f = Arc::new(fetcher(FetchConfig {
        per_host_concurrency: 4,
        global_concurrency: 3,
        ..test_config()
    }));
    let tasks: Vec<_> = (0..8)
        .map(|i| {
            let f = f.clone();
            let url = if i % 2 == 0 { a.url("/") } else { b.url("/") };
            tokio::spawn(async move { f.fetch(FetchRequest::new(url)).await })
        })
        .collect();
    for t in tasks {
        expect_ok(t.await.expect("fetch task"));
    }
    assert_eq!(counters.hits.lock().expect("hits").len(), 8);
    assert_eq!(a.max_in_flight(), 3);
}

#[tokio::test]
async fn request_starts_to_one_host_are_spaced() {
    let server = Server::start(|_, _| ok("x")).await;
    let other = Server::start(|_, _| ok("y")).await;
    let spacing = Duration::from_millis(300);
    let f = Arc::new(fetcher(FetchConfig {
        per_host_spacing: spacing,
        ..test_config()
    }));
    let tasks: Vec<_> = (0..4)
        .map(|i| {
            let f = f.clone();
            let url = server.url(&format!("/{i}"));
            tokio::spawn(async move { f.fetch(FetchRequest::new(url)).await })
        })
        .collect();
    // Another host is not held up by the first one's spacing.
    let got = expect_ok(f.fetch(FetchRequest::new(other.url("/"))).await);
    assert!(
        got.meta.waited < spacing / 2,
        "waited {:?}",
        got.meta.waited
    );
    for t in tasks {
        expect_ok(t.await.expect("fetch task"));
    }
    let mut times: Vec<Instant> = server.hits().iter().map(|h| h.at).collect();
    times.sort();
    assert_eq!(times.len(), 4);
    for w in times.windows(2) {
        let gap = w[1] - w[0];
        assert!(gap >= spacing.mul_f32(0.8), "starts {gap:?} apart");
    }
}

// ---------------------------------------------------------------------------------------------
// Network failures
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn a_server_that_never_answers_times_out() {
    let server = Server::start(|_, _| Reply::Hang).await;
    let f = fetcher(FetchConfig {
        total_timeout: Duration::from_millis(500),
        ..test_config()
    });
    let url = server.url("/slow");
    let started = Instant::now();
    let e = expect_error(f.fetch(FetchRequest::new(&url)).await);
    let took = started.elapsed();
    assert!(matches!(e, FetchError::Timeout { .. }), "{e}");
    assert!(e.is_transient());
    assert!(e.to_string().contains(&url), "{e}");
    assert!(
        took >= Duration::from_millis(450) && took < Duration::from_secs(3),
        "{took:?}"
    );
}

#[tokio::test]
async fn a_body_that_stalls_times_out() {
    let server = Server::start(|_, _| {
        Reply::RawThenHang(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc".to_vec())
    })
    .await;
    let f = fetcher(FetchConfig {
        total_timeout: Duration::from_millis(500),
        ..test_config()
    });
    let started = Instant::now();
    let e = expect_error(f.fetch(FetchRequest::new(server.url("/"))).await);
    assert!(matches!(e, FetchError::Timeout { .. }), "{e}");
    assert!(started.elapsed() < Duration::from_secs(3));
}

#[tokio::test]
async fn connection_reset_mid_body_is_an_error() {
    let server = Server::start(|_, _| {
        let mut bytes = b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n".to_vec();
        bytes.extend(std::iter::repeat_n(b'a', 1000));
        Reply::RawThenReset(bytes)
    })
    .await;
    let f = fetcher(test_config());
    let url = server.url("/reset");
    let e = expect_error(f.fetch(FetchRequest::new(&url)).await);
    assert!(
        matches!(
            e,
            FetchError::ConnectionReset { .. } | FetchError::Truncated { .. }
        ),
        "{e}"
    );
    assert!(e.is_transient());
    assert!(e.to_string().starts_with(&url), "{e}");
}

#[tokio::test]
async fn a_body_shorter_than_its_content_length_is_an_error() {
    let server = Server::start(|_, _| {
        Reply::Raw(b"HTTP/1.1 200 OK\r\nContent-Length: 50\r\nConnection: close\r\n\r\nonly twenty bytes...".to_vec())
    })
    .await;
    let f = fetcher(test_config());
    let e = expect_error(f.fetch(FetchRequest::new(server.url("/short"))).await);
    assert!(matches!(e, FetchError::Truncated { .. }), "{e}");
    assert!(e.is_transient());
}

#[tokio::test]
async fn a_connection_closed_without_a_response_is_an_error() {
    let server = Server::start(|_, _| Reply::Raw(Vec::new())).await;
    let f = fetcher(test_config());
    let e = expect_error(f.fetch(FetchRequest::new(server.url("/"))).await);
    assert!(matches!(e, FetchError::ConnectionReset { .. }), "{e}");
}

#[tokio::test]
async fn connection_refused_is_a_connect_error() {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("address");
    drop(listener);
    let f = fetcher(test_config());
    let url = format!("http://{addr}/feed");
    let e = expect_error(f.fetch(FetchRequest::new(&url)).await);
    assert!(matches!(e, FetchError::Connect { .. }), "{e}");
    assert!(e.is_transient());
    assert!(e.to_string().starts_with(&url), "{e}");
}

#[tokio::test]
async fn invalid_urls_are_refused_without_a_request() {
    let f = fetcher(test_config());
    for bad in ["not a url", "ftp://example.com/feed", "mailto:a@b.c"] {
        let e = expect_error(f.fetch(FetchRequest::new(bad)).await);
        assert!(matches!(e, FetchError::InvalidUrl { .. }), "{bad}: {e}");
        assert!(e.to_string().contains(bad));
        assert!(!e.is_transient());
    }
}

// ---------------------------------------------------------------------------------------------
// Body size and compression
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn a_body_over_the_limit_is_refused() {
    let server = Server::start(|req, _| {
        let body = vec![b'x'; 2 * 1024 * 1024];
        if req.path == "/unsized" {
            // No Content-Length: the body runs until the connection closes.
            let mut bytes = b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n".to_vec();
            bytes.extend(body);
            Reply::Raw(bytes)
        } else {
            ok(body)
        }
    })
    .await;
    let f = fetcher(test_config());
    for path in ["/sized", "/unsized"] {
        let e = expect_error(f.fetch(FetchRequest::new(server.url(path))).await);
        assert!(
            matches!(e, FetchError::TooLarge { limit, .. } if limit == 1024 * 1024),
            "{path}: {e}"
        );
        assert!(!e.is_transient());
    }
    // Exactly at the limit is fine.
    let exact = Server::start(|_, _| ok(vec![b'y'; 1024 * 1024])).await;
    let got = expect_ok(f.fetch(FetchRequest::new(exact.url("/"))).await);
    assert_eq!(got.bytes, 1024 * 1024);
}

#[tokio::test]
async fn a_gzip_bomb_is_cut_off_at_the_limit() {
    // 64 MiB of zeros, gzip-compressed to about 64 KiB.
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    let zeros = vec![0u8; 1024 * 1024];
    for _ in 0..64 {
        enc.write_all(&zeros).expect("compress");
    }
    drop(zeros);
    let bomb = Arc::new(enc.finish().expect("compress"));
    assert!(bomb.len() < 1024 * 1024);
    let server = Server::start(move |_, _| Reply::Response {
        status: 200,
        headers: vec![("Content-Encoding", "gzip".into())],
        body: bomb.to_vec(),
    })
    .await;
    let f = fetcher(test_config());
    let before = rss_bytes().expect("/proc/self/statm");
    let started = Instant::now();
    let e = expect_error(f.fetch(FetchRequest::new(server.url("/bomb"))).await);
    let took = started.elapsed();
    let after = rss_bytes().expect("/proc/self/statm");
    assert!(matches!(e, FetchError::TooLarge { .. }), "{e}");
    assert!(took < Duration::from_secs(3), "took {took:?}");
    let grew = after.saturating_sub(before);
    assert!(
        grew < 40 * 1024 * 1024,
        "RSS grew by {} MiB",
        grew / (1024 * 1024)
    );
}

#[tokio::test]
async fn gzip_body_is_decoded() {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(b"<rss>gzipped</rss>").expect("compress");
    let gz = enc.finish().expect("compress");
    let server = Server::start(move |_, _| Reply::Response {
        status: 200,
        headers: vec![("Content-Encoding", "gzip".into())],
        body: gz.clone(),
    })
    .await;
    let f = fetcher(test_config());
    let got = expect_ok(f.fetch(FetchRequest::new(server.url("/"))).await);
    assert_eq!(got.body, b"<rss>gzipped</rss>");
    assert_eq!(got.bytes, 18);
}

#[tokio::test]
async fn brotli_body_is_decoded() {
    let text = "<rss>brotli, brotli, brotli</rss>".repeat(100);
    let mut br = Vec::new();
    {
        let mut w = brotli::CompressorWriter::new(&mut br, 4096, 9, 22);
        w.write_all(text.as_bytes()).expect("compress");
    }
    assert!(br.len() < text.len());
    let server = Server::start(move |req, _| {
        if req
            .header("accept-encoding")
            .is_some_and(|a| a.contains("br"))
        {
            Reply::Response {
                status: 200,
                headers: vec![("Content-Encoding", "br".into())],
                body: br.clone(),
            }
        } else {
            status(406, vec![])
        }
    })
    .await;
    let f = fetcher(test_config());
    let got = expect_ok(f.fetch(FetchRequest::new(server.url("/"))).await);
    assert_eq!(got.body, text.as_bytes());
    assert_eq!(got.bytes, text.len() as u64);
}

#[tokio::test]
async fn a_corrupt_gzip_body_is_an_error() {
    let server = Server::start(|_, _| Reply::Response {
        status: 200,
        headers: vec![("Content-Encoding", "gzip".into())],
        body: b"this is not gzip at all".to_vec(),
    })
    .await;
    let f = fetcher(test_config());
    let e = expect_error(f.fetch(FetchRequest::new(server.url("/"))).await);
    assert!(
        matches!(e, FetchError::Decode { .. } | FetchError::Truncated { .. }),
        "{e}"
    );
}
