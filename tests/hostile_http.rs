//! Hostile servers against the real binary: `newsdedup poll` and `newsdedup extract URL` talking
//! to servers on 127.0.0.1 that send compression bombs, endless and slow bodies, redirect loops
//! and redirects to other schemes, huge headers, and a feed of a million items.
//!
//! In: a raw TCP server written here (each path one behaviour, every body generated as it is
//! sent, never held whole) and a well-behaved feed on a second server. Out: for every case, the
//! command ends within [`BOUND`], its peak RSS (measured by the kernel, `wait4`) stays under
//! [`MAX_RSS_MIB`], the hostile feed or page is recorded as failed with a reason, and the good
//! feed of the same poll (or the good page of the same `extract`) is stored (printed).

mod common;

use common::TestDb;
use common::http::{Reply, Server};
use common::measured::{Measured, run_measured};
use sqlx::Row;
use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The longest any command may take (the fetcher's total timeout below is 5 s).
const BOUND: Duration = Duration::from_secs(60);
/// Peak resident set allowed to the binary.
const MAX_RSS_MIB: u64 = 300;

/// Bytes a bomb expands to: about 10 GB.
const BOMB_BYTES: u64 = 10 << 30;

/// What the hostile server does on a path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Hostile {
    /// `Content-Encoding: gzip`, expanding to [`BOMB_BYTES`].
    GzipBomb,
    /// `Content-Encoding: deflate` (zlib), the same.
    DeflateBomb,
    /// `Content-Encoding: br`, the same.
    BrotliBomb,
    /// Chunked, never ends.
    Endless,
    /// Headers at once, then one body byte a second, forever.
    SlowBody,
    /// One header byte a second, forever.
    SlowHeaders,
    /// `/loop-a` → `/loop-b` → `/loop-a` …
    RedirectLoop,
    RedirectFile,
    RedirectFtp,
    RedirectJavascript,
    /// A 1 MiB header line before a good feed.
    HugeHeader,
    /// 100,000 small headers before a good feed.
    ManyHeaders,
    /// One million tiny items, 24 MB, under the body limit set for that test.
    MillionItems,
    /// 160,000 tiny items, 4.9 MB, under the default body limit.
    TinyItems,
}

impl Hostile {
    fn path(self) -> &'static str {
        match self {
            Hostile::GzipBomb => "/gzip-bomb",
            Hostile::DeflateBomb => "/deflate-bomb",
            Hostile::BrotliBomb => "/brotli-bomb",
            Hostile::Endless => "/endless",
            Hostile::SlowBody => "/slow-body",
            Hostile::SlowHeaders => "/slow-headers",
            Hostile::RedirectLoop => "/loop-a",
            Hostile::RedirectFile => "/to-file",
            Hostile::RedirectFtp => "/to-ftp",
            Hostile::RedirectJavascript => "/to-javascript",
            Hostile::HugeHeader => "/huge-header",
            Hostile::ManyHeaders => "/many-headers",
            Hostile::MillionItems => "/million-items",
            Hostile::TinyItems => "/tiny-items",
        }
    }
}

/// A raw HTTP server on 127.0.0.1: every connection is answered by the [`Hostile`] behaviour
/// its path names, on its own thread, until the client goes away.
struct RawServer {
    addr: SocketAddr,
    hits: Arc<Mutex<Vec<String>>>,
}

impl RawServer {
    fn start() -> RawServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("binding a loopback port");
        let addr = listener.local_addr().expect("a bound address");
        let hits = Arc::new(Mutex::new(Vec::new()));
        let log = hits.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let log = log.clone();
                std::thread::spawn(move || {
                    let _ = serve(stream, addr, &log);
                });
            }
        });
        RawServer { addr, hits }
    }

    fn url(&self, h: Hostile) -> String {
        format!("http://{}{}", self.addr, h.path())
    }

    fn hits(&self) -> Vec<String> {
        self.hits.lock().expect("the hit log").clone()
    }
}

const FEED_HEAD: &[u8] = b"<?xml version=\"1.0\" encoding=\"UTF-8\"?><rss version=\"2.0\"><channel><title>Hostile</title><link>http://example.net/</link><description>x</description>";

/// Writes `total` bytes of `fill` after `head` into `w`, a MiB at a time, stopping at the first
/// error (the client hung up).
fn stream_fill(w: &mut impl Write, head: &[u8], total: u64) -> std::io::Result<()> {
    w.write_all(head)?;
    let chunk = vec![b' '; 1 << 20];
    let mut sent = 0;
    while sent < total {
        w.write_all(&chunk)?;
        sent += chunk.len() as u64;
    }
    w.flush()
}

fn serve(stream: TcpStream, addr: SocketAddr, log: &Mutex<Vec<String>>) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let path = line.split_whitespace().nth(1).unwrap_or("/").to_string();
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h)? == 0 || h.trim().is_empty() {
            break;
        }
    }
    log.lock().expect("the hit log").push(path.clone());
    let mut out = stream;
    let ok = |extra: &str| {
        format!(
            "HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\n{extra}Connection: close\r\n\r\n"
        )
    };
    let redirect = |to: &str| {
        format!(
            "HTTP/1.1 302 Found\r\nLocation: {to}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        )
    };
    match path.as_str() {
        "/gzip-bomb" => {
            out.write_all(ok("Content-Encoding: gzip\r\n").as_bytes())?;
            let mut gz = flate2::write::GzEncoder::new(out, flate2::Compression::best());
            stream_fill(&mut gz, FEED_HEAD, BOMB_BYTES)?;
            gz.finish()?;
        }
        "/deflate-bomb" => {
            out.write_all(ok("Content-Encoding: deflate\r\n").as_bytes())?;
            let mut z = flate2::write::ZlibEncoder::new(out, flate2::Compression::best());
            stream_fill(&mut z, FEED_HEAD, BOMB_BYTES)?;
            z.finish()?;
        }
        "/brotli-bomb" => {
            out.write_all(ok("Content-Encoding: br\r\n").as_bytes())?;
            let mut br = brotli::CompressorWriter::new(out, 1 << 16, 5, 22);
            stream_fill(&mut br, FEED_HEAD, BOMB_BYTES)?;
            br.flush()?;
        }
        "/endless" => {
            out.write_all(ok("Transfer-Encoding: chunked\r\n").as_bytes())?;
            write!(out, "{:x}\r\n", FEED_HEAD.len())?;
            out.write_all(FEED_HEAD)?;
            out.write_all(b"\r\n")?;
            let item = b"<item><title>again</title><description>and again</description></item>";
            let chunk: Vec<u8> = item
                .iter()
                .copied()
                .cycle()
                .take(item.len() * 900)
                .collect();
            loop {
                write!(out, "{:x}\r\n", chunk.len())?;
                out.write_all(&chunk)?;
                out.write_all(b"\r\n")?;
            }
        }
        "/slow-body" => {
            out.write_all(ok("Content-Length: 1000000\r\n").as_bytes())?;
            loop {
                out.write_all(b"<")?;
                out.flush()?;
                std::thread::sleep(Duration::from_secs(1));
            }
        }
        "/slow-headers" => {
            for &b in b"HTTP/1.1 200 OK\r\nX-Slow: " {
                out.write_all(&[b])?;
                out.flush()?;
                std::thread::sleep(Duration::from_secs(1));
            }
            loop {
                out.write_all(b"a")?;
                out.flush()?;
                std::thread::sleep(Duration::from_secs(1));
            }
        }
        "/loop-a" => out.write_all(redirect("/loop-b").as_bytes())?,
        "/loop-b" => out.write_all(redirect(&format!("http://{addr}/loop-a")).as_bytes())?,
        "/to-file" => out.write_all(redirect("file:///etc/passwd").as_bytes())?,
        "/to-ftp" => out.write_all(redirect(&format!("ftp://{addr}/feed.xml")).as_bytes())?,
        "/to-javascript" => {
            out.write_all(redirect("javascript:alert(document.cookie)").as_bytes())?
        }
        "/huge-header" => {
            let big = format!("X-Huge: {}\r\n", "a".repeat(1 << 20));
            out.write_all(ok(&big).as_bytes())?;
            out.write_all(&good_feed("huge-header"))?;
        }
        "/many-headers" => {
            let many: String = (0..100_000).map(|i| format!("X-H{i}: v\r\n")).collect();
            out.write_all(ok(&many).as_bytes())?;
            out.write_all(&good_feed("many-headers"))?;
        }
        "/million-items" | "/tiny-items" => {
            let items = if path == "/tiny-items" {
                160_000
            } else {
                1_000_000
            };
            out.write_all(ok("").as_bytes())?;
            let mut w = std::io::BufWriter::with_capacity(1 << 20, out);
            w.write_all(FEED_HEAD)?;
            for i in 0..items {
                write!(w, "<item><guid>{i}</guid></item>")?;
            }
            w.write_all(b"</channel></rss>")?;
            w.flush()?;
        }
        _ => out.write_all(
            b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
        )?,
    }
    Ok(())
}

/// One of our own article texts, as HTML paragraphs.
fn article(name: &str) -> String {
    let path = format!(
        "{}/tests/data/originals/{name}.txt",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).expect("a test article");
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| format!("<p>{}</p>", html_escape::encode_text(l)))
        .collect()
}

/// A small good feed of two full articles, their guids prefixed with `tag`.
fn good_feed(tag: &str) -> Vec<u8> {
    let items: String = [("flood", "flood_barrier"), ("rates", "interest_rates")]
        .iter()
        .map(|(slug, name)| {
            format!(
                "<item><guid isPermaLink=\"false\">{tag}-{slug}</guid><link>http://example.org/{tag}/{slug}</link>\
                 <title>{slug}</title><pubDate>Mon, 23 Nov 2026 10:00:00 GMT</pubDate>\
                 <description><![CDATA[{}]]></description></item>",
                article(name)
            )
        })
        .collect();
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><rss version=\"2.0\"><channel><title>Good</title>\
         <link>http://example.org/</link><description>good</description>{items}</channel></rss>"
    )
    .into_bytes()
}

/// A database whose config sets short fetch limits (and the given body limit).
fn db_with_limits(max_body_bytes: u64) -> TestDb {
    let db = TestDb::new();
    let config = db.path.with_extension("test-config.toml");
    std::fs::write(
        &config,
        format!(
            "feeds = []\n\n[fetch]\nconnect_timeout = \"2s\"\ntotal_timeout = \"5s\"\n\
             max_body_bytes = {max_body_bytes}\nmax_redirects = 5\nper_host_spacing = \"0s\"\n"
        ),
    )
    .expect("writing the test config");
    db
}

/// What one poll did to the hostile feed.
struct Polled {
    run: Measured,
    outcome: String,
    error: String,
    good_articles: i64,
}

/// Adds the good feed then the hostile one, polls once (measured), and reads both feeds' rows.
async fn poll_hostile(h: Hostile, max_body_bytes: u64) -> Polled {
    let raw = RawServer::start();
    let good = Server::start(|_| Reply::new(200, good_feed("good")));
    let db = db_with_limits(max_body_bytes);
    db.run_ok(&["feeds", "add", &good.url("/good.xml")]);
    db.run_ok(&["feeds", "add", &raw.url(h)]);
    let run = run_measured(
        db.command(&["poll", "--json"]),
        BOUND + Duration::from_secs(30),
    );
    let pool = db.pool().await;
    let row = sqlx::query("SELECT last_outcome, last_error FROM feeds WHERE feed_id = 2")
        .fetch_one(&pool)
        .await
        .expect("the hostile feed's row");
    let good_articles: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM articles a JOIN feed_entries e USING (article_id) WHERE e.feed_id = 1",
    )
    .fetch_one(&pool)
    .await
    .unwrap_or(-1);
    let polled = Polled {
        outcome: row
            .get::<Option<String>, _>("last_outcome")
            .unwrap_or_default(),
        error: row
            .get::<Option<String>, _>("last_error")
            .unwrap_or_default(),
        good_articles,
        run,
    };
    eprintln!(
        "{h:?}: {:?}, peak RSS {} MiB, exit {}, outcome {:?}: {:?}; good feed articles {}; server saw {:?}",
        polled.run.elapsed,
        polled.run.peak_rss >> 20,
        polled.run.output.status,
        polled.outcome,
        polled.error,
        polled.good_articles,
        {
            let mut hits = raw.hits();
            hits.truncate(12);
            hits
        }
    );
    polled
}

/// The assertions every poll case shares: bounded, the hostile feed failed with a reason that
/// contains `reason` (case-insensitive), the good feed stored.
async fn assert_poll_case(h: Hostile, max_body_bytes: u64, reason: &[&str]) {
    let p = poll_hostile(h, max_body_bytes).await;
    p.run
        .assert_bounded(&format!("poll with {h:?}"), MAX_RSS_MIB);
    assert!(p.run.elapsed < BOUND, "{h:?}: took {:?}", p.run.elapsed);
    assert!(
        !matches!(p.outcome.as_str(), "" | "ok" | "not_modified"),
        "{h:?}: the hostile feed is recorded as {:?} ({:?})\nstderr: {}",
        p.outcome,
        p.error,
        p.run.stderr()
    );
    let error = p.error.to_ascii_lowercase();
    assert!(
        reason
            .iter()
            .any(|r| error.contains(&r.to_ascii_lowercase())),
        "{h:?}: the recorded reason {:?} says none of {reason:?}",
        p.error
    );
    assert_eq!(
        p.good_articles,
        2,
        "{h:?}: the good feed's articles were not stored\nstdout: {}\nstderr: {}",
        p.run.stdout(),
        p.run.stderr()
    );
}

const BODY_LIMIT: u64 = 5 << 20;

#[tokio::test]
async fn a_gzip_bomb_is_cut_at_the_body_limit() {
    assert_poll_case(
        Hostile::GzipBomb,
        BODY_LIMIT,
        &["limit", "too large", "max_body"],
    )
    .await;
}

#[tokio::test]
async fn a_deflate_bomb_is_cut_at_the_body_limit() {
    assert_poll_case(
        Hostile::DeflateBomb,
        BODY_LIMIT,
        &["limit", "too large", "max_body"],
    )
    .await;
}

#[tokio::test]
async fn a_brotli_bomb_is_cut_at_the_body_limit() {
    assert_poll_case(
        Hostile::BrotliBomb,
        BODY_LIMIT,
        &["limit", "too large", "max_body"],
    )
    .await;
}

#[tokio::test]
async fn an_endless_body_is_cut_at_the_body_limit() {
    assert_poll_case(
        Hostile::Endless,
        BODY_LIMIT,
        &["limit", "too large", "max_body"],
    )
    .await;
}

#[tokio::test]
async fn a_body_sent_a_byte_a_second_times_out() {
    assert_poll_case(Hostile::SlowBody, BODY_LIMIT, &["time", "within"]).await;
}

#[tokio::test]
async fn headers_sent_a_byte_a_second_time_out() {
    assert_poll_case(Hostile::SlowHeaders, BODY_LIMIT, &["time", "within"]).await;
}

#[tokio::test]
async fn a_redirect_loop_ends() {
    assert_poll_case(Hostile::RedirectLoop, BODY_LIMIT, &["redirect"]).await;
}

#[tokio::test]
async fn redirects_to_other_schemes_are_refused() {
    for h in [
        Hostile::RedirectFile,
        Hostile::RedirectFtp,
        Hostile::RedirectJavascript,
    ] {
        assert_poll_case(h, BODY_LIMIT, &["redirect", "scheme", "url"]).await;
    }
}

#[tokio::test]
async fn huge_and_countless_headers_are_refused() {
    for h in [Hostile::HugeHeader, Hostile::ManyHeaders] {
        assert_poll_case(h, BODY_LIMIT, &["header", "message", "error"]).await;
    }
}

/// Many tiny items under the body limit: the feed's work must stay bounded too. Today a
/// million items (24 MB, body limit raised to 32 MiB) take `poll` 84 s and 3.9 GB of RSS, and
/// are stored as `ok`.
#[tokio::test]
async fn a_feed_of_a_million_tiny_items_stays_bounded() {
    tiny_items_case(Hostile::MillionItems, 32 << 20).await;
}

/// The same at the default body limit: 160,000 items in 4.9 MB.
#[tokio::test]
async fn a_feed_of_160000_tiny_items_at_the_default_body_limit_stays_bounded() {
    tiny_items_case(Hostile::TinyItems, BODY_LIMIT).await;
}

async fn tiny_items_case(h: Hostile, max_body_bytes: u64) {
    let p = poll_hostile(h, max_body_bytes).await;
    p.run
        .assert_bounded(&format!("poll with {h:?}"), MAX_RSS_MIB);
    assert!(p.run.elapsed < BOUND, "{h:?}: took {:?}", p.run.elapsed);
    assert_eq!(
        p.good_articles, 2,
        "{h:?}: the good feed's articles were not stored"
    );
    // Taken or refused, the outcome says which.
    assert!(!p.outcome.is_empty(), "{h:?}: no outcome recorded");
}

/// `newsdedup extract` on a good saved page and a hostile URL: the page is printed, the URL
/// reported by name, within the bounds.
fn extract_hostile(h: Hostile) -> Measured {
    let raw = RawServer::start();
    let db = db_with_limits(BODY_LIMIT);
    let page = db.file("good.html");
    std::fs::write(
        &page,
        format!(
            "<html><head><title>Good page</title></head><body><article>{}</article></body></html>",
            article("rail_strike")
        ),
    )
    .expect("writing a page");
    let url = raw.url(h);
    let run = run_measured(
        db.command(&[
            "extract",
            "--json",
            page.to_str().expect("a UTF-8 path"),
            &url,
        ]),
        BOUND + Duration::from_secs(30),
    );
    eprintln!(
        "extract {h:?}: {:?}, peak RSS {} MiB, exit {}, stderr {:?}",
        run.elapsed,
        run.peak_rss >> 20,
        run.output.status,
        run.stderr().chars().take(400).collect::<String>()
    );
    run.assert_bounded(&format!("extract {h:?}"), MAX_RSS_MIB);
    assert!(run.elapsed < BOUND, "{h:?}: took {:?}", run.elapsed);
    assert!(
        run.stdout().contains("Good page"),
        "{h:?}: the good page was not printed: {}",
        run.stdout()
    );
    assert!(
        !run.output.status.success() && run.stderr().contains(h.path()),
        "{h:?}: the hostile URL is not reported by name: exit {}, stderr {}",
        run.output.status,
        run.stderr()
    );
    run
}

#[test]
fn extract_survives_bombs_endless_and_slow_pages() {
    for h in [
        Hostile::GzipBomb,
        Hostile::DeflateBomb,
        Hostile::BrotliBomb,
        Hostile::Endless,
        Hostile::SlowBody,
    ] {
        extract_hostile(h);
    }
}

#[test]
fn extract_refuses_redirect_loops_and_other_schemes() {
    for h in [
        Hostile::RedirectLoop,
        Hostile::RedirectFile,
        Hostile::RedirectFtp,
        Hostile::RedirectJavascript,
        Hostile::HugeHeader,
    ] {
        extract_hostile(h);
    }
}

/// A feed of teasers whose links lead to the hostile server: every page is recorded in
/// `page_fetches` as failed with its reason (or, for a failure the fetcher calls transient — a
/// timeout, an HTTP protocol error — kept in `page_queue` with its error, to be tried again up
/// to three times), the teaser linking to a good page gets that page's text, and the poll stays
/// within its bounds. (`allow_hosts` lets the loopback pages on the other port through the
/// outbound policy.)
#[tokio::test]
async fn entry_pages_from_hostile_servers_are_recorded_failed() {
    let raw = RawServer::start();
    let hostile = [
        Hostile::GzipBomb,
        Hostile::DeflateBomb,
        Hostile::BrotliBomb,
        Hostile::Endless,
        Hostile::SlowBody,
        Hostile::RedirectLoop,
        Hostile::RedirectFile,
        Hostile::HugeHeader,
    ];
    let links: Vec<String> = hostile.iter().map(|&h| raw.url(h)).collect();
    let page = format!(
        "<html><head><title>Good page</title></head><body><article>{}</article></body></html>",
        article("wildfire")
    );
    let feed_links = links.clone();
    let good = Server::start(move |hit| {
        if hit.path == "/good-page.html" {
            return Reply::new(200, page.clone())
                .header("Content-Type", "text/html; charset=utf-8");
        }
        let mut items = String::new();
        let mut all = feed_links.clone();
        all.push(format!(
            "http://{}/good-page.html",
            hit.header("host").unwrap_or_default()
        ));
        for (i, link) in all.iter().enumerate() {
            items.push_str(&format!(
                "<item><guid>t{i}</guid><link>{link}</link><title>Teaser {i}</title>\
                 <description>The minister said on Monday that… Read more</description></item>"
            ));
        }
        Reply::new(
            200,
            format!(
                "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>Teasers</title>\
                 <link>http://example.org/</link><description>t</description>{items}</channel></rss>"
            ),
        )
    });
    let db = db_with_limits(BODY_LIMIT);
    let config = db.path.with_extension("test-config.toml");
    let mut text = std::fs::read_to_string(&config).expect("the test config");
    text.push_str("allow_hosts = [\"127.0.0.1\"]\n");
    std::fs::write(&config, text).expect("writing the test config");
    db.run_ok(&["feeds", "add", &good.url("/teasers.xml")]);
    let run = run_measured(
        db.command(&["poll", "--json"]),
        BOUND + Duration::from_secs(30),
    );
    eprintln!(
        "teasers: {:?}, peak RSS {} MiB, exit {}",
        run.elapsed,
        run.peak_rss >> 20,
        run.output.status
    );
    run.assert_bounded("poll with hostile entry pages", MAX_RSS_MIB);
    assert!(run.elapsed < BOUND, "took {:?}", run.elapsed);
    let pool = db.pool().await;
    let rows: Vec<(String, String, Option<String>)> =
        sqlx::query("SELECT url, outcome, reason FROM page_fetches ORDER BY page_fetch_id")
            .fetch_all(&pool)
            .await
            .expect("reading page_fetches")
            .iter()
            .map(|r| (r.get(0), r.get(1), r.get(2)))
            .collect();
    for r in &rows {
        eprintln!("page {:?}", r);
    }
    let queued: Vec<(String, Option<String>)> =
        sqlx::query("SELECT url, last_error FROM page_queue ORDER BY url")
            .fetch_all(&pool)
            .await
            .expect("reading page_queue")
            .iter()
            .map(|r| (r.get(0), r.get(1)))
            .collect();
    for r in &queued {
        eprintln!("queued {:?}", r);
    }
    for (h, link) in hostile.iter().zip(&links) {
        let row = rows.iter().find(|r| &r.0 == link);
        let failed = row.is_some_and(|r| {
            r.1 != "extracted" && r.2.as_deref().is_some_and(|s| !s.trim().is_empty())
        });
        let retried = queued
            .iter()
            .any(|q| &q.0 == link && q.1.as_deref().is_some_and(|s| !s.trim().is_empty()));
        assert!(
            failed || retried,
            "{h:?}: the page {link} is recorded neither failed nor to be retried with a reason: \
             {row:?}\nfetches: {rows:?}\nqueue: {queued:?}"
        );
    }
    assert!(
        rows.iter()
            .any(|r| r.0.ends_with("/good-page.html") && r.1 == "extracted"),
        "the good page was not extracted: {rows:?}"
    );
}
