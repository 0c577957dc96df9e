//! The outbound request policy, against servers on 127.0.0.1: a feed the operator added may be
//! anywhere (here: loopback), and so may pages on its own origin; a link, redirect or discovered
//! feed leading to another local server is refused (that server sees no request) and the refusal
//! is recorded as the page's or the feed's outcome, unless the host is in `[fetch] allow_hosts`.
//! The fetcher's checked resolver is exercised with a stub that answers a loopback address.

mod common;

use common::TestDb;
use common::http::{Reply, Server};
use newsdedup::fetch::{FetchConfig, FetchError, FetchOutcome, FetchRequest, Fetcher};
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use serde_json::Value;
use sqlx::Row;
use std::net::SocketAddr;
use std::sync::Arc;

fn paragraphs(name: &str) -> String {
    let path = format!(
        "{}/tests/data/originals/{name}.txt",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path)
        .expect("a test article")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|p| format!("<p>{}</p>", html_escape::encode_text(p)))
        .collect()
}

fn article(name: &str) -> Reply {
    Reply::new(
        200,
        format!(
            "<!doctype html><html><head><title>{name}</title></head><body><article><h1>{name}</h1>{}\
             </article></body></html>",
            paragraphs(name)
        ),
    )
    .header("Content-Type", "text/html; charset=utf-8")
}

fn rss(items: &[(&str, String)]) -> Reply {
    let items: String = items
        .iter()
        .map(|(guid, link)| {
            format!(
                "<item><guid isPermaLink=\"false\">{guid}</guid><link>{}</link><title>{guid}</title>\
                 <description>A short teaser about {guid}.</description></item>",
                html_escape::encode_text(link)
            )
        })
        .collect();
    Reply::new(
        200,
        format!(
            "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>Local</title>\
             <link>http://example.org/</link><description>d</description>{items}</channel></rss>"
        ),
    )
    .header("Content-Type", "application/rss+xml")
}

/// The server the content points at: it must see no request unless allowed.
fn inside() -> Server {
    Server::start(|hit| match hit.path.as_str() {
        "/feed.xml" => rss(&[("inside", "http://example.org/inside".to_string())]),
        p if p.starts_with("/admin/") => article("interest_rates"),
        "/secret.html" => article("rail_strike"),
        _ => Reply::new(404, "not found"),
    })
}

/// The feed the operator adds: teasers linking to `inside`, to a page of its own that redirects
/// there, and to a page of its own.
fn feed_server(inside: &Server) -> Server {
    let to_inside = inside.url("/admin/delete?all=1");
    let secret = inside.url("/secret.html");
    Server::start(move |hit| {
        let base = format!("http://{}", hit.header("host").unwrap_or("127.0.0.1"));
        match hit.path.as_str() {
            "/feed.xml" => rss(&[
                ("direct", to_inside.clone()),
                ("redirected", format!("{base}/moved.html")),
                ("own", format!("{base}/own.html")),
            ]),
            "/moved.html" => Reply::new(302, "").header("Location", &secret),
            "/own.html" => article("flood_barrier"),
            _ => Reply::new(404, "not found"),
        }
    })
}

/// `(guid, outcome, reason, article_id)` of every page fetch, by guid.
async fn page_fetches(db: &TestDb) -> Vec<(String, String, Option<String>, Option<i64>)> {
    sqlx::query(
        "SELECT entry_key, outcome, reason, article_id FROM page_fetches ORDER BY entry_key",
    )
    .fetch_all(&db.pool().await)
    .await
    .expect("reading page_fetches")
    .into_iter()
    .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3)))
    .collect()
}

fn poll(db: &TestDb) -> Value {
    let out = db.run(&["poll", "--json"]);
    assert!(
        out.status.success(),
        "poll failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("poll --json")
}

fn allow_in_config(db: &TestDb, hosts: &[String]) {
    let list: Vec<String> = hosts.iter().map(|h| format!("{h:?}")).collect();
    std::fs::write(
        db.path.with_extension("test-config.toml"),
        format!("feeds = []\n[fetch]\nallow_hosts = [{}]\n", list.join(", ")),
    )
    .expect("writing the test config");
}

#[tokio::test]
async fn links_and_redirects_to_another_local_server_are_refused_and_recorded() {
    let inside = inside();
    let feed = feed_server(&inside);
    let db = TestDb::new();
    db.run_ok(&["feeds", "add", &feed.url("/feed.xml")]);
    let summary = poll(&db);

    assert!(
        inside.all_hits().is_empty(),
        "the inside server was asked: {:?}",
        inside.all_hits()
    );
    // Every entry is stored; the refused ones from their own teaser.
    assert_eq!(summary["new"], 3, "{summary}");
    assert_eq!(summary["pages_extracted"], 1, "{summary}");
    assert_eq!(summary["pages_fallback"], 2, "{summary}");

    let pages = page_fetches(&db).await;
    assert_eq!(pages.len(), 3, "{pages:?}");
    let by = |guid: &str| {
        pages
            .iter()
            .find(|p| p.0 == format!("guid:{guid}"))
            .unwrap_or_else(|| panic!("no page fetch for {guid}: {pages:?}"))
            .clone()
    };
    let inside_port = inside.addr.port();
    let (_, outcome, reason, article) = by("direct");
    let reason = reason.expect("a reason");
    assert_eq!(outcome, "fetch_error");
    assert!(article.is_some(), "the entry's own content stands in");
    assert_eq!(
        reason,
        format!(
            "http://127.0.0.1:{inside_port}/admin/delete?all=1: refused: 127.0.0.1 is a loopback \
             address (outbound policy; add \"127.0.0.1:{inside_port}\" to [fetch] allow_hosts to \
             allow it)"
        )
    );
    let (_, outcome, reason, article) = by("redirected");
    assert_eq!(outcome, "fetch_error");
    assert!(article.is_some());
    let reason = reason.expect("a reason");
    assert!(
        reason.starts_with(&format!(
            "http://127.0.0.1:{inside_port}/secret.html: refused: 127.0.0.1 is a loopback address"
        )),
        "{reason}"
    );
    // The feed's own origin is the operator's: its page was fetched.
    assert_eq!(by("own").1, "extracted");
    assert_eq!(feed.hits("/moved.html").len(), 1);
}

#[tokio::test]
async fn a_host_in_allow_hosts_is_fetched() {
    let inside = inside();
    let feed = feed_server(&inside);
    let db = TestDb::new();
    allow_in_config(&db, &[inside.addr.to_string()]);
    db.run_ok(&["feeds", "add", &feed.url("/feed.xml")]);
    let summary = poll(&db);

    assert_eq!(inside.hits("/admin/delete?all=1").len(), 1, "{summary}");
    assert_eq!(inside.hits("/secret.html").len(), 1, "{summary}");
    assert_eq!(summary["pages_extracted"], 3, "{summary}");
    let pages = page_fetches(&db).await;
    assert!(
        pages.iter().all(|p| p.1 == "extracted" && p.3.is_some()),
        "{pages:?}"
    );
}

#[tokio::test]
async fn a_feed_moved_or_announced_on_a_private_host_is_refused() {
    let inside = inside();
    let moved_to = inside.url("/feed.xml");
    let target = moved_to.clone();
    let own = Server::start(move |hit| {
        let base = format!("http://{}", hit.header("host").unwrap_or("127.0.0.1"));
        match hit.path.as_str() {
            "/moved.xml" => Reply::new(301, "").header("Location", &moved_to),
            "/page.html" => Reply::new(
                200,
                format!(
                    "<html><head><link rel=\"alternate\" type=\"application/rss+xml\" \
                     href=\"{moved_to}\"></head><body>A page</body></html>"
                ),
            )
            .header("Content-Type", "text/html"),
            "/fine.xml" => rss(&[("fine", format!("{base}/fine"))]),
            _ => Reply::new(404, "not found"),
        }
    });
    let db = TestDb::new();
    for path in ["/moved.xml", "/page.html", "/fine.xml"] {
        db.run_ok(&["feeds", "add", "--full-text", "never", &own.url(path)]);
    }
    let summary = poll(&db);
    assert!(
        inside.all_hits().is_empty(),
        "the inside server was asked: {:?}",
        inside.all_hits()
    );
    assert_eq!(summary["feeds"], 3, "{summary}");
    assert_eq!(summary["failed"], 2, "{summary}");
    assert_eq!(summary["new"], 1, "the other feed is polled: {summary}");

    let rows = sqlx::query("SELECT url, last_outcome, last_error FROM feeds ORDER BY feed_id")
        .fetch_all(&db.pool().await)
        .await
        .expect("reading feeds");
    for (row, path) in rows.iter().zip(["/moved.xml", "/page.html"]) {
        // The feed keeps the URL the operator gave.
        assert_eq!(row.get::<String, _>("url"), own.url(path));
        assert_eq!(row.get::<String, _>("last_outcome"), "fetch_error");
        let error: String = row.get("last_error");
        assert!(
            error.contains(&format!(
                "{target}: refused: 127.0.0.1 is a loopback address (outbound policy"
            )),
            "{path}: {error}"
        );
    }
}

/// Answers every name with 127.0.0.1, as a rebinding or internal name would.
struct Loopback;

impl Resolve for Loopback {
    fn resolve(&self, _: Name) -> Resolving {
        Box::pin(async {
            Ok(Box::new(std::iter::once(SocketAddr::from(([127, 0, 0, 1], 0)))) as Addrs)
        })
    }
}

fn fetcher(allow_hosts: &[&str]) -> Fetcher {
    Fetcher::with_resolver(
        FetchConfig {
            per_host_spacing: std::time::Duration::ZERO,
            allow_hosts: allow_hosts.iter().map(|h| h.to_string()).collect(),
            ..FetchConfig::default()
        },
        Arc::new(Loopback),
    )
    .expect("valid fetcher settings")
}

#[tokio::test]
async fn a_name_resolving_to_loopback_is_refused_at_connect_time() {
    let inside = Server::start(|_| Reply::new(200, "inside"));
    let target = format!("http://rebind.test:{}/x", inside.addr.port());
    let to = target.clone();
    let feed = Server::start(move |_| Reply::new(302, "").header("Location", &to));

    let f = fetcher(&[]);
    let e = match f.fetch(FetchRequest::new(feed.url("/go"))).await {
        FetchOutcome::Failed(e) => e,
        other => panic!("fetched: {other:?}"),
    };
    assert!(matches!(e, FetchError::Refused { .. }), "{e}");
    assert!(!e.is_transient());
    assert_eq!(
        e.to_string(),
        format!(
            "{target}: refused: rebind.test resolves to 127.0.0.1, a loopback address (outbound \
             policy; add \"rebind.test:{}\" to [fetch] allow_hosts to allow it)",
            inside.addr.port()
        )
    );
    assert!(inside.all_hits().is_empty());

    // Allowed by name: the same redirect is followed.
    let f = fetcher(&["rebind.test"]);
    match f.fetch(FetchRequest::new(feed.url("/go"))).await {
        FetchOutcome::Ok(got) => assert_eq!(got.body, b"inside"),
        other => panic!("not fetched: {other:?}"),
    }
    assert_eq!(inside.hits("/x").len(), 1);
}

#[test]
fn extract_may_follow_a_redirect_to_another_local_server() {
    // The operator typed the URL: it and its redirects go anywhere.
    let inside = inside();
    let secret = inside.url("/secret.html");
    let outside = Server::start(move |_| Reply::new(302, "").header("Location", &secret));
    let db = TestDb::new();
    let out = db.run_ok(&["extract", "--json", &outside.url("/go")]);
    assert_eq!(inside.hits("/secret.html").len(), 1, "{out}");
    assert!(out.contains("rail_strike"), "{out}");
}

#[tokio::test]
async fn allow_hosts_may_come_from_the_environment() {
    let inside = inside();
    let feed = feed_server(&inside);
    let db = TestDb::new();
    db.run_ok(&["feeds", "add", &feed.url("/feed.xml")]);
    let out = db
        .command(&["poll", "--json"])
        .env(
            "NEWSDEDUP_FETCH__ALLOW_HOSTS",
            format!("intranet.example,{}", inside.addr),
        )
        .output()
        .expect("running newsdedup poll");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(inside.hits("/admin/delete?all=1").len(), 1);
    assert_eq!(inside.hits("/secret.html").len(), 1);
}
