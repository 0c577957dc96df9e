//! Hostile feeds served on 127.0.0.1 to `newsdedup poll`, measured by the kernel (peak RSS with
//! `wait4`): DTD entity expansion (one 60 KB entity referenced 5,000 times), billion laughs, XXE
//! (a file and a loopback URL), 200,000 nested elements, beside one normal feed. Every feed is
//! generated here; nothing outside loopback is served or asked for.

mod common;

use common::TestDb;
use common::http::{Reply, Server};
use common::measured::run_measured;
use sqlx::Row;
use std::time::Duration;

/// A generous bound on one `poll`: it does not hang.
const POLL_BOUND: Duration = Duration::from_secs(30);
/// The acceptance bound on `poll`'s peak resident set.
const MAX_RSS_MIB: u64 = 300;

fn rss(doctype: &str, items: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n{doctype}\n<rss version=\"2.0\"><channel>\
         <title>Wire</title><link>http://example.org/</link><description>d</description>{items}\
         </channel></rss>"
    )
}

fn item(guid: &str, title: &str, description: &str) -> String {
    format!(
        "<item><guid isPermaLink=\"false\">{guid}</guid><title>{title}</title>\
         <pubDate>Mon, 23 Nov 2026 10:00:00 GMT</pubDate>\
         <description>{description}</description></item>"
    )
}

/// The feed: a 60 KB internal entity referenced 5,000 times (about 75 KB on the wire,
/// 300 MB expanded).
fn entity_bomb() -> String {
    let doctype = format!("<!DOCTYPE rss [<!ENTITY e \"{}\">]>", "x".repeat(60 * 1024));
    rss(&doctype, &item("bomb", "Bomb", &"&e;".repeat(5000)))
}

/// Ten levels of ten references each: 10^9 expansions of "lol".
fn billion_laughs() -> String {
    let mut doctype = String::from("<!DOCTYPE rss [<!ENTITY l0 \"lol\">");
    for k in 1..10 {
        let refs = format!("&l{};", k - 1).repeat(10);
        doctype.push_str(&format!("<!ENTITY l{k} \"{refs}\">"));
    }
    doctype.push_str("]>");
    rss(&doctype, &item("laughs", "Laughs", "&l9;"))
}

/// External entities naming a file holding `secret` and a URL of our own server.
fn xxe(secret_file: &std::path::Path, server: &Server) -> String {
    let doctype = format!(
        "<!DOCTYPE rss [<!ENTITY file SYSTEM \"file://{}\">\
         <!ENTITY net SYSTEM \"{}\"><!ENTITY % param SYSTEM \"{}\"> %param;]>",
        secret_file.display(),
        server.url("/xxe-entity"),
        server.url("/xxe-param")
    );
    let body = "Before the file: &file; and the network: &net; after.";
    rss(&doctype, &item("xxe", "External entities", body))
}

fn deep() -> String {
    let n = 200_000;
    let body = format!("{}deep words here{}", "<a>".repeat(n), "</a>".repeat(n));
    rss("", &item("deep", "Deep", &body))
}

const NORMAL_TEXT: &str = "The city council voted on Tuesday to extend the flood barrier along \
    the river by two kilometres, after a winter in which the old wall was overtopped three times.";

fn normal() -> String {
    let items: String = (1..=3)
        .map(|k| {
            item(
                &format!("n{k}"),
                &format!("Council story {k}"),
                &format!("{NORMAL_TEXT} Part {k} of the series on the city's rivers."),
            )
        })
        .collect();
    rss("", &items)
}

/// `(last_outcome, last_error)` of the feed with this URL.
async fn outcome(db: &TestDb, url: &str) -> (String, Option<String>) {
    let row = sqlx::query("SELECT last_outcome, last_error FROM feeds WHERE url = ?")
        .bind(url)
        .fetch_one(&db.pool().await)
        .await
        .expect("a feed row");
    (row.get("last_outcome"), row.get("last_error"))
}

#[tokio::test]
async fn hostile_feeds_fail_alone_within_bounded_memory_and_time() {
    let db = TestDb::new();
    let secret = db.file("secret.txt");
    std::fs::write(&secret, "TOP-SECRET-NEWSROOM-PASSWORD").expect("writing the secret");
    let (bomb, laughs, deep_feed, ok) = (entity_bomb(), billion_laughs(), deep(), normal());
    assert!(bomb.len() < 80 * 1024, "{} bytes", bomb.len());
    // The XXE feed names the server's own URL, so it is built once the server runs.
    let xxe_feed = std::sync::Arc::new(std::sync::OnceLock::<String>::new());
    let served = xxe_feed.clone();
    let server = Server::start(move |hit| {
        let body = match hit.path.as_str() {
            "/bomb.xml" => bomb.clone(),
            "/laughs.xml" => laughs.clone(),
            "/deep.xml" => deep_feed.clone(),
            "/ok.xml" => ok.clone(),
            "/xxe.xml" => served.get().cloned().unwrap_or_default(),
            _ => return Reply::new(200, "FETCHED-FROM-THE-NETWORK"),
        };
        Reply::new(200, body).header("Content-Type", "application/rss+xml")
    });
    xxe_feed
        .set(xxe(&secret, &server))
        .expect("set once before any poll");
    let names = ["bomb", "laughs", "xxe", "deep", "ok"];
    for n in names {
        db.run_ok(&[
            "feeds",
            "add",
            &server.url(&format!("/{n}.xml")),
            "--full-text",
            "never",
        ]);
    }

    let first = run_measured(db.command(&["poll", "--json"]), POLL_BOUND);
    eprintln!(
        "first poll: peak RSS {} MiB, {:?}",
        first.peak_rss >> 20,
        first.elapsed
    );
    first.assert_bounded("the first poll", MAX_RSS_MIB);
    let summary: serde_json::Value = serde_json::from_str(&first.stdout())
        .unwrap_or_else(|e| panic!("poll --json: {e}\n{}", first.stdout()));
    assert_eq!(summary["feeds"], 5, "{summary}");
    assert_eq!(summary["failed"], 2, "{summary}");

    for (name, key) in [("bomb", "entity_bytes"), ("laughs", "entity_expansions")] {
        let (outcome, error) = outcome(&db, &server.url(&format!("/{name}.xml"))).await;
        let error = error.unwrap_or_default();
        assert_eq!(outcome, "parse_error", "{name}: {error}");
        assert!(
            error.contains("feed entity expansion is over the limit")
                && error.contains(&format!("`{key}` in [limits]")),
            "{name}: {error}"
        );
    }
    let listed = db.run_ok(&["feeds", "list"]);
    assert!(listed.contains("failing"), "{listed}");

    let pool = db.pool().await;
    // The normal feed's three entries, the XXE and the deep one are stored; the bombs' are not.
    for name in ["ok", "xxe", "deep"] {
        assert_eq!(
            outcome(&db, &server.url(&format!("/{name}.xml"))).await.0,
            "ok",
            "{name}"
        );
    }
    let entries: i64 = sqlx::query_scalar("SELECT count(*) FROM feed_entries")
        .fetch_one(&pool)
        .await
        .expect("counting entries");
    assert_eq!(entries, 5);
    let texts: Vec<String> = sqlx::query_scalar("SELECT clean_text FROM article_versions")
        .fetch_all(&pool)
        .await
        .expect("reading the texts");
    assert!(
        texts.iter().filter(|t| t.contains("flood barrier")).count() >= 1,
        "{texts:?}"
    );
    // XXE: nothing was read from disk or asked of the network.
    let all = texts.concat();
    assert!(!all.contains("TOP-SECRET"), "{all}");
    assert!(!all.contains("FETCHED-FROM-THE-NETWORK"), "{all}");
    assert!(server.hits("/xxe-entity").is_empty());
    assert!(server.hits("/xxe-param").is_empty());
    // The deep feed's text is kept, and nothing is larger than what was sent.
    assert!(all.contains("deep words here"), "{all}");
    assert!(texts.iter().all(|t| t.len() < 1024 * 1024));

    // A restart polls the same feeds again: no crash, the same outcomes, nothing new stored.
    let second = run_measured(db.command(&["poll", "--json"]), POLL_BOUND);
    eprintln!(
        "second poll: peak RSS {} MiB, {:?}",
        second.peak_rss >> 20,
        second.elapsed
    );
    second.assert_bounded("the second poll", MAX_RSS_MIB);
    let again: serde_json::Value =
        serde_json::from_str(&second.stdout()).expect("poll --json output");
    assert_eq!(
        (again["feeds"].as_u64(), again["new"].as_u64()),
        (Some(5), Some(0)),
        "{again}"
    );
    assert_eq!(again["failed"], 2, "{again}");
    assert_eq!(server.hits("/bomb.xml").len(), 2);
}
