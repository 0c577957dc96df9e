//! The daemon and `newsdedup poll` against feeds served on 127.0.0.1: conditional GET, redirects,
//! 410, 429, failures and back-off, entry identity and versions, encodings, feed discovery, and
//! the running daemon's endpoints and shutdown.

mod common;

use common::TestDb;
use common::http::{Reply, Server};
use serde_json::Value;
use sqlx::Row;
use std::time::Duration;

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

fn item(guid: &str, link: &str, title: &str, html: &str) -> String {
    format!(
        "<item><guid isPermaLink=\"false\">{guid}</guid><link>{link}</link><title>{title}</title>\
         <pubDate>Mon, 23 Nov 2026 10:00:00 GMT</pubDate><description><![CDATA[{html}]]></description></item>"
    )
}

fn rss(items: &[String]) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><rss version=\"2.0\"><channel><title>Test Wire</title>\
         <link>http://example.org/</link><description>test</description>{}</channel></rss>",
        items.concat()
    )
}

fn three_items() -> String {
    rss(&[
        item(
            "a1",
            "http://example.org/flood",
            "Flood barrier",
            &article("flood_barrier"),
        ),
        item(
            "a2",
            "http://example.org/rates",
            "Rates",
            &article("interest_rates"),
        ),
        item(
            "a3",
            "http://example.org/rail",
            "Rail strike",
            &article("rail_strike"),
        ),
    ])
}

fn poll(db: &TestDb, feeds: &[&str]) -> Value {
    let mut args = vec!["poll", "--json"];
    args.extend_from_slice(feeds);
    let out = db.command(&args).output().expect("running newsdedup poll");
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "poll: not JSON ({e}): {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

async fn feed_row(db: &TestDb, id: i64) -> sqlx::sqlite::SqliteRow {
    sqlx::query(
        "SELECT url, enabled, disabled_reason, failures, last_outcome, last_error, next_poll_at, last_poll_at, articles, etag, last_modified FROM feeds WHERE feed_id = ?",
    )
    .bind(id)
    .fetch_one(&db.pool().await)
    .await
    .expect("a feed row")
}

fn minutes_between(a: &str, b: &str) -> f64 {
    let a = chrono::DateTime::parse_from_rfc3339(a).expect("a time");
    let b = chrono::DateTime::parse_from_rfc3339(b).expect("a time");
    (b - a).num_seconds() as f64 / 60.0
}

#[tokio::test]
async fn etag_then_304_and_unchanged_entries_cost_nothing() {
    let server = Server::start(|hit| {
        if hit.header("if-none-match") == Some("\"v1\"") {
            Reply::new(304, "")
        } else {
            Reply::new(200, three_items())
                .header("Content-Type", "application/rss+xml")
                .header("ETag", "\"v1\"")
        }
    });
    let db = TestDb::new();
    db.run_ok(&["feeds", "add", &server.url("/feed.xml")]);
    let first = poll(&db, &[]);
    assert_eq!(first["new"], 3, "{first}");
    let second = poll(&db, &[]);
    assert_eq!(
        (second["not_modified"].as_u64(), second["new"].as_u64()),
        (Some(1), Some(0))
    );
    let hits = server.hits("/feed.xml");
    assert_eq!(hits.len(), 2);
    assert_eq!(hits[0].header("if-none-match"), None);
    assert_eq!(hits[1].header("if-none-match"), Some("\"v1\""));
    let ua = hits[0].header("user-agent").unwrap_or_default();
    assert!(ua.starts_with("newsdedup/"), "{ua}");
    let row = feed_row(&db, 1).await;
    assert_eq!(row.get::<String, _>("last_outcome"), "not_modified");
    assert_eq!(row.get::<i64, _>("articles"), 3);
    assert_eq!(common::count(&db.pool().await, "articles").await, 3);
    assert_eq!(common::count(&db.pool().await, "feed_entries").await, 3);
}

#[tokio::test]
async fn last_modified_then_304_and_changed_entries_become_versions() {
    let body = std::sync::Arc::new(std::sync::Mutex::new(three_items()));
    let served = body.clone();
    let server = Server::start(move |hit| {
        let lm = "Mon, 23 Nov 2026 10:00:00 GMT";
        if hit.header("if-modified-since") == Some(lm) && hit.path == "/lm.xml" {
            Reply::new(304, "")
        } else if hit.path == "/lm.xml" {
            Reply::new(200, three_items()).header("Last-Modified", lm)
        } else {
            // No validators at all: the daemon compares entries itself.
            Reply::new(200, served.lock().unwrap().clone())
        }
    });
    let db = TestDb::new();
    db.run_ok(&["feeds", "add", &server.url("/lm.xml")]);
    db.run_ok(&["feeds", "add", &server.url("/plain.xml")]);
    poll(&db, &[]);
    let again = poll(&db, &[]);
    assert_eq!(again["not_modified"], 1, "{again}");
    // The plain feed came back whole: its three entries were unchanged and cost nothing.
    assert_eq!(again["unchanged_entries"], 3, "{again}");
    assert_eq!(
        server.hits("/lm.xml")[1].header("if-modified-since"),
        Some("Mon, 23 Nov 2026 10:00:00 GMT")
    );
    // One entry changes its text: a new version of that article, the old text kept.
    *body.lock().unwrap() = rss(&[
        item(
            "a1",
            "http://example.org/flood",
            "Flood barrier",
            &article("flood_barrier"),
        ),
        item(
            "a2",
            "http://example.org/rates",
            "Rates",
            &article("wildfire"),
        ),
        item(
            "a3",
            "http://example.org/rail",
            "Rail strike",
            &article("rail_strike"),
        ),
    ]);
    let third = poll(&db, &[&server.url("/plain.xml")]);
    assert_eq!(
        (
            third["updated"].as_u64(),
            third["unchanged_entries"].as_u64()
        ),
        (Some(1), Some(2)),
        "{third}"
    );
    let pool = db.pool().await;
    let versions: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM article_versions v JOIN articles a USING (article_id) WHERE a.url = 'http://example.org/rates'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(versions, 2);
}

#[tokio::test]
async fn permanent_redirects_move_the_feed_and_410_stops_it() {
    let server = Server::start(|hit| match hit.path.as_str() {
        "/old.xml" => Reply::new(301, "").header("Location", "/mid.xml"),
        "/mid.xml" => Reply::new(308, "").header("Location", "/new.xml"),
        "/new.xml" => Reply::new(200, three_items()),
        "/temp.xml" => Reply::new(302, "").header("Location", "/new.xml"),
        _ => Reply::new(410, "gone"),
    });
    let db = TestDb::new();
    db.run_ok(&["feeds", "add", &server.url("/old.xml")]);
    db.run_ok(&["feeds", "add", &server.url("/temp.xml")]);
    db.run_ok(&["feeds", "add", &server.url("/gone.xml")]);
    poll(&db, &[]);
    assert_eq!(
        feed_row(&db, 1).await.get::<String, _>("url"),
        server.url("/new.xml")
    );
    // A temporary redirect does not move the feed.
    assert_eq!(
        feed_row(&db, 2).await.get::<String, _>("url"),
        server.url("/temp.xml")
    );
    let gone = feed_row(&db, 3).await;
    assert_eq!(gone.get::<i64, _>("enabled"), 0);
    assert!(gone.get::<String, _>("disabled_reason").contains("410"));
    // A disabled feed is not polled again.
    poll(&db, &[]);
    assert_eq!(server.hits("/gone.xml").len(), 1);
    let listed = db.run_ok(&["feeds", "list"]);
    assert!(listed.contains("disabled"), "{listed}");
}

#[tokio::test]
async fn failures_back_off_while_other_feeds_keep_their_schedule() {
    let server = Server::start(|hit| match hit.path.as_str() {
        "/ok.xml" => Reply::new(200, three_items()),
        "/garbage.xml" => Reply::new(200, "this is not a feed <<<"),
        _ => Reply::new(500, "oops"),
    });
    let db = TestDb::new();
    db.run_ok(&["feeds", "add", &server.url("/broken.xml")]);
    db.run_ok(&["feeds", "add", &server.url("/ok.xml")]);
    db.run_ok(&["feeds", "add", &server.url("/garbage.xml")]);
    let s = poll(&db, &[]);
    assert_eq!(
        (s["feeds"].as_u64(), s["new"].as_u64()),
        (Some(3), Some(3)),
        "{s}"
    );
    let broken = feed_row(&db, 1).await;
    assert_eq!(broken.get::<i64, _>("failures"), 1);
    assert!(broken.get::<String, _>("last_error").contains("HTTP 500"));
    let gap1 = minutes_between(
        &broken.get::<String, _>("last_poll_at"),
        &broken.get::<String, _>("next_poll_at"),
    );
    let garbage = feed_row(&db, 3).await;
    assert_eq!(garbage.get::<String, _>("last_outcome"), "parse_error");
    assert!(
        garbage
            .get::<String, _>("last_error")
            .contains("parsing the feed")
    );
    let ok = feed_row(&db, 2).await;
    assert_eq!(
        (
            ok.get::<i64, _>("failures"),
            ok.get::<String, _>("last_outcome")
        ),
        (0, "ok".to_string())
    );
    let ok_gap = minutes_between(
        &ok.get::<String, _>("last_poll_at"),
        &ok.get::<String, _>("next_poll_at"),
    );
    poll(&db, &[&server.url("/broken.xml")]);
    let broken = feed_row(&db, 1).await;
    assert_eq!(broken.get::<i64, _>("failures"), 2);
    let gap2 = minutes_between(
        &broken.get::<String, _>("last_poll_at"),
        &broken.get::<String, _>("next_poll_at"),
    );
    // 5 then 10 minutes, ±10% jitter; the healthy feed keeps its own (30 min ± 10%) schedule.
    assert!(
        (4.4..=5.6).contains(&gap1) && (8.9..=11.1).contains(&gap2),
        "{gap1} {gap2}"
    );
    assert!((26.9..=33.1).contains(&ok_gap), "{ok_gap}");
    assert_eq!(
        feed_row(&db, 2).await.get::<String, _>("last_outcome"),
        "ok"
    );
}

/// Broken responses end as a stored fetch error or parse error naming the cause, and the healthy
/// feed beside them is stored as usual.
#[tokio::test]
async fn broken_responses_are_recorded_and_other_feeds_go_on() {
    use std::io::Write;
    let bomb = {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        gz.write_all(&vec![0u8; 64 << 20]).unwrap();
        gz.finish().unwrap()
    };
    let server = Server::start(move |hit| {
        match hit.path.as_str() {
        "/ok.xml" => Reply::new(200, three_items()),
        "/truncated.xml" => Reply::raw(
            "HTTP/1.1 200 OK\r\nContent-Length: 5000\r\nConnection: close\r\n\r\n<rss version=\"2.0\"><channel>",
        ),
        "/reset.xml" => Reply::raw(""),
        "/big.xml" => Reply::new(200, vec![b' '; 6 << 20]),
        "/bomb.xml" => Reply::new(200, bomb.clone()).header("Content-Encoding", "gzip"),
        "/loop.xml" => Reply::new(301, "").header("Location", "/loop2.xml"),
        "/loop2.xml" => Reply::new(301, "").header("Location", "/loop.xml"),
        "/slow.xml" => Reply::new(200, three_items()).delayed(Duration::from_secs(4)),
        "/invalid-utf8.xml" => Reply::new(200, b"<?xml version=\"1.0\" encoding=\"UTF-8\"?><rss version=\"2.0\"><channel><title>Caf\xe9</title><item><title>Gr\xfc\xdfe</title><description>K\xf6ln \xff\xfe news</description></item></channel></rss>".to_vec()),
        "/illformed.xml" => Reply::new(200, "<rss version=\"2.0\"><channel><title>T</title><item><title>A & B</title><description>x</item></channel>"),
        _ => Reply::new(404, ""),
    }
    });
    let db = TestDb::new();
    let feeds = [
        "/ok.xml",
        "/truncated.xml",
        "/reset.xml",
        "/big.xml",
        "/bomb.xml",
        "/loop.xml",
        "/slow.xml",
        "/invalid-utf8.xml",
        "/illformed.xml",
    ];
    for p in feeds {
        db.run_ok(&["feeds", "add", &server.url(p)]);
    }
    let out = db
        .command(&["poll", "--json"])
        .env("NEWSDEDUP_FETCH__TOTAL_TIMEOUT", "2s")
        .output()
        .unwrap();
    let s: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    assert_eq!(s["feeds"], feeds.len(), "{s}");
    // What each feed's stored error says (lower-cased), `None` for no error.
    let expect = [
        (1, "ok", None),
        (2, "fetch_error", Some("truncated")),
        (
            3,
            "fetch_error",
            Some("/reset.xml: connection reset or closed"),
        ),
        (4, "fetch_error", Some("limit")),
        (5, "fetch_error", Some("limit")),
        (6, "fetch_error", Some("loop")),
        (7, "fetch_error", Some("within 2s")),
    ];
    for (id, outcome, says) in expect {
        let row = feed_row(&db, id).await;
        assert_eq!(row.get::<String, _>("last_outcome"), outcome, "feed {id}");
        let err = row.get::<Option<String>, _>("last_error");
        match says {
            None => assert_eq!(err, None, "feed {id}"),
            Some(says) => {
                let err = err.unwrap_or_default().to_lowercase();
                assert!(err.contains(says), "feed {id}: {err}");
                assert_eq!(row.get::<i64, _>("failures"), 1, "feed {id}");
            }
        }
    }
    // Bytes that are not UTF-8 in a feed that says it is: read (replacement characters), stored.
    let invalid = feed_row(&db, 8).await;
    assert_eq!(invalid.get::<String, _>("last_outcome"), "ok");
    // Ill-formed XML is repaired and read.
    let ill = feed_row(&db, 9).await;
    assert_eq!(
        ill.get::<String, _>("last_outcome"),
        "ok",
        "{:?}",
        ill.get::<Option<String>, _>("last_error")
    );
    assert_eq!(feed_row(&db, 1).await.get::<i64, _>("articles"), 3);
}

#[tokio::test]
async fn rate_limits_block_the_host_and_never_count_as_failures() {
    let server = Server::start(|_| Reply::new(429, "slow down").header("Retry-After", "120"));
    let db = TestDb::new();
    db.run_ok(&["feeds", "add", &server.url("/a.xml")]);
    db.run_ok(&["feeds", "add", &server.url("/b.xml")]);
    let first = poll(&db, &[&server.url("/a.xml")]);
    assert_eq!(first["failed"], 1);
    let a = feed_row(&db, 1).await;
    assert_eq!(a.get::<i64, _>("failures"), 0);
    assert_eq!(a.get::<String, _>("last_outcome"), "rate_limited");
    let wait = minutes_between(
        &a.get::<String, _>("last_poll_at"),
        &a.get::<String, _>("next_poll_at"),
    );
    assert!(wait >= 1.9, "{wait}");
    let pool = db.pool().await;
    let backoffs: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM host_backoff")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(backoffs, 1);
    // Another feed on that host, in another process: no request before Retry-After expires.
    poll(&db, &[&server.url("/b.xml")]);
    assert_eq!(server.hits("/b.xml").len(), 0);
    let b = feed_row(&db, 2).await;
    assert_eq!(
        (
            b.get::<i64, _>("failures"),
            b.get::<String, _>("last_outcome")
        ),
        (0, "rate_limited".to_string())
    );
}

#[tokio::test]
async fn duplicate_guids_encodings_and_discovery() {
    let cyrillic_title = "Минобороны";
    let cp1251 = {
        let text = format!(
            "<?xml version=\"1.0\" encoding=\"windows-1251\"?><rss version=\"2.0\"><channel><title>Лента</title>{}</channel></rss>",
            item("r1", "http://example.ru/1", cyrillic_title, &format!("<p>{}</p>", "Министерство обороны сообщило, что за десять дней контракты подписали шестнадцать тысяч человек. ".repeat(14)))
        );
        encoding_rs::WINDOWS_1251.encode(&text).0.into_owned()
    };
    let latin1 = {
        let text = rss(&[item(
            "l1",
            "http://example.fr/1",
            "Café crème",
            &article("syrup_recall"),
        )]);
        let text = text.replace("UTF-8", "ISO-8859-1");
        encoding_rs::WINDOWS_1252.encode(&text).0.into_owned()
    };
    let dup = rss(&[
        item(
            "same",
            "http://example.org/flood",
            "Flood barrier",
            &article("flood_barrier"),
        ),
        item(
            "same",
            "http://example.org/flood2",
            "Flood barrier again",
            &article("wildfire"),
        ),
    ]);
    let server = Server::start(move |hit| {
        match hit.path.as_str() {
        "/ru.xml" => Reply::new(200, cp1251.clone()).header("Content-Type", "application/xml"),
        "/fr.xml" => Reply::new(200, latin1.clone()).header("Content-Type", "text/xml"),
        "/dup.xml" => Reply::new(200, dup.clone()),
        "/page.html" => Reply::new(
            200,
            "<html><head><title>Site</title><link rel=\"alternate\" type=\"application/rss+xml\" href=\"/found.xml\"></head><body>news</body></html>",
        )
        .header("Content-Type", "text/html; charset=utf-8"),
        "/found.xml" => Reply::new(200, rss(&[item("f1", "http://example.org/rail", "Rail", &article("rail_strike"))])),
        _ => Reply::new(404, ""),
    }
    });
    let db = TestDb::new();
    for p in ["/ru.xml", "/fr.xml", "/dup.xml", "/page.html"] {
        db.run_ok(&["feeds", "add", &server.url(p)]);
    }
    let s = poll(&db, &[]);
    assert_eq!(s["failed"], 0, "{s}");
    let pool = db.pool().await;
    let titles: Vec<String> =
        sqlx::query_scalar("SELECT title FROM article_clusters ORDER BY article_id")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert!(titles.iter().any(|t| t == cyrillic_title), "{titles:?}");
    assert!(titles.iter().any(|t| t == "Café crème"), "{titles:?}");
    // Two entries with one guid: the first counts.
    let dup_entries: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM feed_entries WHERE feed_id = 3")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(dup_entries, 1);
    // The page's announced feed replaced the page.
    assert_eq!(
        feed_row(&db, 4).await.get::<String, _>("url"),
        server.url("/found.xml")
    );
    assert!(titles.iter().any(|t| t == "Rail"), "{titles:?}");
}

#[tokio::test]
async fn feeds_import_and_export_opml() {
    let db = TestDb::new();
    let opml = db.file("list.opml");
    std::fs::write(
        &opml,
        "<?xml version=\"1.0\"?><opml version=\"2.0\"><head><title>x</title></head><body>\
         <outline text=\"World\"><outline type=\"rss\" text=\"A &amp; B\" xmlUrl=\"https://a.example/rss\"/>\
         <outline type=\"rss\" text=\"C\" xmlUrl=\"https://c.example/feed?x=1&y=2\"/></outline>\
         <outline text=\"bad\" xmlUrl=\"ftp://nope\"/></body></opml>",
    )
    .unwrap();
    let out = db.run_ok(&["feeds", "import", opml.to_str().unwrap()]);
    assert!(
        out.contains("2 feeds added") && out.contains("1 skipped"),
        "{out}"
    );
    let again = db.run_ok(&["feeds", "import", opml.to_str().unwrap()]);
    assert!(again.contains("0 feeds added, 2 already known"), "{again}");
    let exported = db.run_ok(&["feeds", "export"]);
    assert!(
        exported.contains("xmlUrl=\"https://a.example/rss\"") && exported.contains("A &amp; B"),
        "{exported}"
    );
    let back = db.file("back.opml");
    std::fs::write(&back, &exported).unwrap();
    let other = TestDb::new();
    let out = other.run_ok(&["feeds", "import", back.to_str().unwrap()]);
    assert!(out.contains("2 feeds added"), "{out}");
}

/// `newsdedup run`: polls on its own, serves /healthz and /metrics, stops on SIGTERM with exit 0.
#[cfg(unix)]
#[tokio::test]
async fn the_daemon_polls_serves_metrics_and_stops_on_sigterm() {
    use std::io::{BufRead, Read, Write};
    let server = Server::start(|_| Reply::new(200, three_items()));
    let db = TestDb::new();
    db.run_ok(&["feeds", "add", &server.url("/feed.xml")]);
    let mut child = db
        .command(&["--log-format", "json", "run"])
        .env("RUST_LOG", "info")
        .env("NEWSDEDUP_DAEMON__LISTEN", "127.0.0.1:0")
        .env("NEWSDEDUP_DAEMON__STORY_REFRESH_SECS", "1")
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("starting the daemon");
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
        {
            let _ = tx.send(line);
        }
    });
    let mut addr = None;
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while addr.is_none() && std::time::Instant::now() < deadline {
        if let Ok(line) = rx.recv_timeout(Duration::from_millis(200))
            && line.contains("serving /healthz")
        {
            let v: Value = serde_json::from_str(&line).unwrap();
            addr = v["fields"]["addr"].as_str().map(str::to_string);
        }
    }
    let addr = addr.expect("the daemon's listen address in its log");
    // The feed is due at once: wait for its articles.
    let mut stored = 0;
    for _ in 0..100 {
        tokio::time::sleep(Duration::from_millis(200)).await;
        if db.path.exists() {
            stored = common::count(&db.pool().await, "articles").await;
            if stored == 3 {
                break;
            }
        }
    }
    assert_eq!(stored, 3);
    let get = |path: &str| {
        let mut s = std::net::TcpStream::connect(&addr).unwrap();
        write!(
            s,
            "GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).unwrap();
        out
    };
    let health = get("/healthz");
    assert!(health.starts_with("HTTP/1.1 200"), "{health}");
    let metrics = get("/metrics");
    for name in [
        "newsdedup_polls_total",
        "newsdedup_articles_total",
        "newsdedup_fetched_bytes_total",
        "newsdedup_database_size_bytes",
    ] {
        assert!(metrics.contains(name), "{name} missing:\n{metrics}");
    }
    // SAFETY: sending SIGTERM to our own child.
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let started = std::time::Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "no exit within 20 s of SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "{status:?}");
}
