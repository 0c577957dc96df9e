//! The daemon under load and under a crash, against feeds served on 127.0.0.1: a SIGKILL in the
//! middle of a poll cycle loses no entry and stores none twice once `newsdedup run` starts again,
//! and a 1,000-feed cycle from one server keeps to the per-host cap and spacing.

mod common;

use common::TestDb;
use common::http::{Reply, Server};
use serde_json::Value;
use sqlx::Row;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

/// A paragraph of made-up words, different for every seed: entries that are all distinct.
fn prose(seed: u64, words: usize) -> String {
    const SYLLABLES: [&str; 24] = [
        "ka", "lo", "mi", "ne", "ru", "ta", "vo", "si", "pe", "da", "gu", "fe", "zo", "ba", "ri",
        "mo", "tu", "le", "ni", "sa", "ho", "we", "ji", "co",
    ];
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut out = String::new();
    for i in 0..words {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        if i > 0 {
            out.push(' ');
        }
        for k in 0..(2 + (x % 3) as usize) {
            out.push_str(SYLLABLES[((x >> (8 * k + 3)) % 24) as usize]);
        }
    }
    out.push('.');
    out
}

/// Feed `feed` with `entries` items, each with its own guid, link and text.
fn feed_xml(feed: usize, entries: usize) -> String {
    let items: String = (0..entries)
        .map(|i| {
            let seed = (feed * 1000 + i) as u64;
            format!(
                "<item><guid isPermaLink=\"false\">f{feed}-e{i}</guid>\
                 <link>http://example.org/{feed}/{i}</link><title>Report {feed}-{i}</title>\
                 <pubDate>Mon, 23 Nov 2026 10:{:02}:00 GMT</pubDate>\
                 <description><![CDATA[<p>{}</p><p>{}</p>]]></description></item>",
                i % 60,
                prose(seed, 40),
                prose(seed + 7_000_000, 30)
            )
        })
        .collect();
    format!(
        "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>Feed {feed}</title>\
         <link>http://example.org/{feed}</link><description>d</description>{items}</channel></rss>"
    )
}

/// The feed number in a path `/f/N.xml`.
fn feed_number(path: &str) -> Option<usize> {
    path.strip_prefix("/f/")?.strip_suffix(".xml")?.parse().ok()
}

fn add_feeds(db: &TestDb, server: &Server, n: usize) {
    let opml: String = (0..n)
        .map(|i| {
            format!(
                "<outline type=\"rss\" text=\"feed {i}\" xmlUrl=\"{}\"/>",
                server.url(&format!("/f/{i}.xml"))
            )
        })
        .collect();
    let path = db.dir.path().join("feeds.opml");
    std::fs::write(
        &path,
        format!("<?xml version=\"1.0\"?><opml version=\"2.0\"><head/><body>{opml}</body></opml>"),
    )
    .expect("writing the OPML list");
    // The entries are whole (no article pages to fetch from example.org).
    db.run_ok(&[
        "feeds",
        "import",
        path.to_str().unwrap(),
        "--full-text",
        "never",
    ]);
}

fn start_daemon(db: &TestDb) -> Child {
    db.command(&["run"])
        .env("NEWSDEDUP_DAEMON__LISTEN", "")
        .env("NEWSDEDUP_FETCH__PER_HOST_CONCURRENCY", "3")
        .env("NEWSDEDUP_FETCH__PER_HOST_SPACING", "0s")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("starting the daemon")
}

async fn scalar(db: &TestDb, sql: &'static str) -> i64 {
    sqlx::query(sql)
        .fetch_one(&db.pool().await)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .get(0)
}

/// Waits until `sql` gives at least `want`, or the deadline; returns the last value.
async fn wait_for(db: &TestDb, sql: &'static str, want: i64, within: Duration) -> i64 {
    let deadline = Instant::now() + within;
    loop {
        let v = if db.path.exists() {
            scalar(db, sql).await
        } else {
            0
        };
        if v >= want || Instant::now() > deadline {
            return v;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

fn stop(mut child: Child) {
    // SAFETY: sending SIGTERM to our own child.
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let started = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().expect("waiting for the daemon") {
            break s;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "no exit within 30 s of SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "the daemon exited with {status:?}");
}

#[tokio::test]
async fn sigkill_during_polling_then_run_again_loses_nothing_and_stores_nothing_twice() {
    const FEEDS: usize = 24;
    const ENTRIES: usize = 12;
    const TOTAL: i64 = (FEEDS * ENTRIES) as i64;
    // Replies are staggered (feed i waits 60·i ms), so the cycle takes a few seconds and the kill
    // lands with some feeds committed, some in flight and some not yet asked for.
    let server = Server::start(|hit| match feed_number(&hit.path) {
        Some(n) if n < FEEDS => Reply::new(200, feed_xml(n, ENTRIES))
            .header("Content-Type", "application/rss+xml")
            .header("ETag", &format!("\"f{n}\""))
            .delayed(Duration::from_millis(60 * n as u64)),
        _ => Reply::new(404, "no such feed"),
    });
    let db = TestDb::new();
    add_feeds(&db, &server, FEEDS);

    let mut first = start_daemon(&db);
    let at_kill = wait_for(
        &db,
        "SELECT count(*) FROM articles",
        TOTAL / 4,
        Duration::from_secs(60),
    )
    .await;
    first.kill().expect("SIGKILL");
    first.wait().expect("reaping the killed daemon");
    assert!(
        (TOTAL / 4..TOTAL).contains(&at_kill),
        "the kill should land mid-cycle: {at_kill} of {TOTAL} articles stored"
    );
    let polled_before = server.all_hits().len();

    let second = start_daemon(&db);
    let stored = wait_for(
        &db,
        "SELECT count(*) FROM feed_entries",
        TOTAL,
        Duration::from_secs(90),
    )
    .await;
    stop(second);
    assert_eq!(stored, TOTAL, "every entry recorded after the restart");

    // One article per entry, one version each, each entry pointing at its own article.
    assert_eq!(scalar(&db, "SELECT count(*) FROM articles").await, TOTAL);
    assert_eq!(
        scalar(&db, "SELECT count(*) FROM article_versions").await,
        TOTAL
    );
    assert_eq!(
        scalar(&db, "SELECT count(DISTINCT external_id) FROM articles").await,
        TOTAL
    );
    assert_eq!(
        scalar(
            &db,
            "SELECT count(DISTINCT article_id) FROM feed_entries WHERE article_id IS NOT NULL"
        )
        .await,
        TOTAL
    );
    let ok: String = sqlx::query("PRAGMA integrity_check")
        .fetch_one(&db.pool().await)
        .await
        .unwrap()
        .get(0);
    assert_eq!(ok, "ok");
    // Feeds committed before the kill were not asked again; the rest were.
    let requests = server.all_hits().len();
    assert!(
        requests < polled_before + FEEDS,
        "{requests} requests: feeds committed before the kill were polled again"
    );
    assert_eq!(
        scalar(
            &db,
            "SELECT count(*) FROM feeds WHERE last_outcome = 'ok' AND articles = 12"
        )
        .await,
        FEEDS as i64
    );

    // A poll of every feed now (200, same entries, no validators honoured) adds nothing.
    let out = db.run_json(&["poll", "--json"]);
    assert_eq!(out["new"], 0, "{out}");
    assert_eq!(out["unchanged_entries"].as_i64(), Some(TOTAL), "{out}");
    assert_eq!(scalar(&db, "SELECT count(*) FROM articles").await, TOTAL);
}

#[tokio::test]
async fn a_thousand_feeds_on_one_host_keep_to_the_per_host_cap_and_spacing() {
    const FEEDS: usize = 1000;
    const CAP: usize = 4;
    let server = Server::start(|hit| match feed_number(&hit.path) {
        Some(n) if n < FEEDS => Reply::new(200, feed_xml(n, 2))
            .header("Content-Type", "application/rss+xml")
            .delayed(Duration::from_millis(15)),
        _ => Reply::new(404, "no such feed"),
    });
    let db = TestDb::new();
    add_feeds(&db, &server, FEEDS);
    let out = db
        .command(&["poll", "--json"])
        .env("NEWSDEDUP_FETCH__PER_HOST_CONCURRENCY", CAP.to_string())
        .env("NEWSDEDUP_FETCH__PER_HOST_SPACING", "2ms")
        .env("NEWSDEDUP_FETCH__GLOBAL_CONCURRENCY", "32")
        .output()
        .expect("running newsdedup poll");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let summary: Value = serde_json::from_slice(&out.stdout).expect("poll --json");
    assert_eq!(summary["feeds"], FEEDS, "{summary}");
    assert_eq!(summary["failed"], 0, "{summary}");
    assert_eq!(summary["new"].as_u64(), Some(2 * FEEDS as u64), "{summary}");

    // Every feed asked once; never more than the cap at once, and the cap was used.
    let hits = server.all_hits();
    assert_eq!(hits.len(), FEEDS);
    let peak = server.peak_concurrency();
    assert!(
        peak <= CAP,
        "{peak} requests at once to one host, cap {CAP}"
    );
    assert!(peak >= 2, "requests were never concurrent (peak {peak})");
    // Request starts keep the 2 ms spacing: 1,000 of them span at least ~2 s.
    let first = hits.iter().map(|h| h.at).min().unwrap();
    let last = hits.iter().map(|h| h.at).max().unwrap();
    assert!(
        last - first >= Duration::from_millis(1800),
        "1,000 requests within {:?}: the spacing was not kept",
        last - first
    );
    assert_eq!(
        scalar(
            &db,
            "SELECT count(*) FROM feeds WHERE last_outcome = 'ok' AND next_poll_at IS NOT NULL"
        )
        .await,
        FEEDS as i64
    );
}
