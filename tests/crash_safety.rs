//! Crash safety: SIGKILL in the middle of a large ingest, then the same command again. Every
//! document ends up stored exactly once, each wholly (its version, its search entry, its
//! cluster), and SQLite's integrity check passes, after the kill and after the re-run; other
//! outlets' near copies join their originals' clusters, also when the original was stored before
//! the kill and the copy by the re-run.
//!
//! The corpus has 60,000 documents by default, which keeps this test near a minute in the test
//! profile on a two-core machine; `NEWSDEDUP_TEST_CRASH_DOCS=100000 cargo test --test
//! crash_safety` runs it at the acceptance size.

mod common;

use common::corpus::write_corpus;
use common::{TestDb, count};
use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};
use sqlx::{Row, SqlitePool};
use std::collections::{HashMap, HashSet};
use std::process::Stdio;
use std::time::Duration;

/// Documents in the corpus unless `NEWSDEDUP_TEST_CRASH_DOCS` says otherwise.
const DEFAULT_DOCS: usize = 60_000;

fn docs() -> usize {
    std::env::var("NEWSDEDUP_TEST_CRASH_DOCS")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|&n| n >= 10_000)
        .unwrap_or(DEFAULT_DOCS)
}
const SEED: u64 = 0xC0FFEE;

/// Checks that hold at any commit boundary: integrity, foreign keys, and every stored article
/// complete (one version per article here, its search entry, its cluster).
async fn assert_consistent(pool: &SqlitePool, when: &str) -> i64 {
    let integrity: Vec<String> = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_all(pool)
        .await
        .unwrap();
    assert_eq!(integrity, ["ok"], "{when}: integrity_check");
    let fk: Vec<sqlx::sqlite::SqliteRow> = sqlx::query("PRAGMA foreign_key_check")
        .fetch_all(pool)
        .await
        .unwrap();
    assert!(fk.is_empty(), "{when}: {} foreign key violations", fk.len());
    let articles = count(pool, "articles").await;
    assert_eq!(
        count(pool, "article_versions").await,
        articles,
        "{when}: every article with exactly its one version"
    );
    assert_eq!(
        count(pool, "article_search").await,
        articles,
        "{when}: every article in the search index"
    );
    assert_eq!(count(pool, "article_clusters").await, articles, "{when}");
    let dangling: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM articles a
         LEFT JOIN article_versions v ON v.version_id = a.latest_version_id AND v.article_id = a.article_id
         WHERE v.version_id IS NULL",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    assert_eq!(
        dangling, 0,
        "{when}: articles whose latest version is missing"
    );
    articles
}

/// The number of stored articles, or `None` while the database or its schema does not exist yet.
async fn try_count(path: &std::path::Path, pool: &mut Option<SqlitePool>) -> Option<i64> {
    if pool.is_none() {
        if !path.exists() {
            return None;
        }
        let opts = SqliteConnectOptions::new()
            .filename(path)
            .read_only(true)
            .busy_timeout(Duration::from_secs(30));
        *pool = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(opts)
            .await
            .ok();
    }
    sqlx::query_scalar::<_, i64>("SELECT count(*) FROM articles")
        .fetch_one(pool.as_ref()?)
        .await
        .ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_mid_ingest_then_the_same_command_stores_every_document_once() {
    let db = TestDb::new();
    let input = db.file("big.jsonl");
    let docs = docs();
    let stats = write_corpus(&input, docs, SEED);
    assert_eq!(stats.lines, docs);
    assert!(stats.repeats > 0 && !stats.near_copies.is_empty());
    let input_arg = input.to_str().unwrap();

    // Start the ingest and kill it once a good share of the documents is committed.
    let mut child = db
        .command(&["ingest", "--json", input_arg])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut poll = None;
    let kill_after = (stats.identities / 5) as i64;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            panic!("the ingest ended ({status}) before it could be killed; use more documents");
        }
        if try_count(&db.path, &mut poll)
            .await
            .is_some_and(|n| n >= kill_after)
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    child.kill().unwrap(); // SIGKILL
    let status = child.wait().unwrap();
    assert!(!status.success(), "killed: {status}");
    if let Some(p) = poll {
        p.close().await;
    }

    let pool = db.pool().await;
    let stored = assert_consistent(&pool, "after SIGKILL").await;
    assert!(
        stored >= kill_after && (stored as usize) < stats.identities,
        "killed mid-way: {stored} of {} stored",
        stats.identities
    );
    let before_kill: HashSet<String> = sqlx::query_scalar("SELECT url FROM articles")
        .fetch_all(&pool)
        .await
        .unwrap()
        .into_iter()
        .collect();
    pool.close().await;

    // The same command again, to completion.
    let summary = db.ingest(&[&input]);
    let fresh = stats.identities as u64 - stored as u64;
    assert_eq!(summary["rejected"], serde_json::json!([]), "{summary}");
    assert_eq!(summary["updated"], 0, "{summary}");
    assert_eq!(
        summary["new"].as_u64().unwrap() + summary["near_duplicate"].as_u64().unwrap(),
        fresh,
        "{summary}"
    );
    assert_eq!(summary["unchanged"], docs as u64 - fresh, "{summary}");

    let pool = db.pool().await;
    let stored = assert_consistent(&pool, "after the re-run").await;
    assert_eq!(stored as usize, stats.identities, "every document once");
    let cluster_of: HashMap<String, i64> =
        sqlx::query("SELECT url, cluster_id FROM article_clusters")
            .fetch_all(&pool)
            .await
            .unwrap()
            .into_iter()
            .map(|r| (r.get(0), r.get(1)))
            .collect();
    let urls: HashSet<String> = cluster_of.keys().cloned().collect();
    assert_eq!(urls, stats.urls, "exactly the input's articles");
    let max_version: i64 = sqlx::query_scalar("SELECT max(version) FROM article_versions")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(max_version, 1, "nothing stored twice as a new version");

    // Other outlets' near copies (a word changed, in longer texts a sentence cut) found their
    // originals, whether those came before or after the kill: some originals were stored before
    // it and their copies only by the re-run, from the state rebuilt from the store.
    let copies = &stats.near_copies;
    let cut = copies.iter().filter(|c| c.sentence_cut).count();
    assert!(
        cut > 0 && cut < copies.len(),
        "{cut} of {} copies with a sentence cut",
        copies.len()
    );
    let across = copies
        .iter()
        .filter(|c| before_kill.contains(&c.original) && !before_kill.contains(&c.copy))
        .count();
    assert!(
        across > 0,
        "no copy's original was stored before the kill and the copy after"
    );
    let text_of: HashMap<String, String> = sqlx::query(
        "SELECT a.url, v.clean_text FROM articles a
         JOIN article_versions v ON v.version_id = a.latest_version_id",
    )
    .fetch_all(&pool)
    .await
    .unwrap()
    .into_iter()
    .map(|r| (r.get(0), r.get(1)))
    .collect();
    let same = copies
        .iter()
        .filter(|c| text_of[&c.original] == text_of[&c.copy])
        .count();
    assert_eq!(same, 0, "copies whose clean text is their original's");
    let apart: Vec<_> = copies
        .iter()
        .filter(|c| cluster_of[&c.original] != cluster_of[&c.copy])
        .collect();
    assert!(
        apart.is_empty(),
        "{} of {} near copies ({cut} of them with a sentence cut, {across} stored after the kill \
         of an original stored before it) outside their original's cluster, e.g. {:?}",
        apart.len(),
        copies.len(),
        &apart[..apart.len().min(3)]
    );
}
