//! Readers during an ingest: while one process ingests a large file, a read-only sqlx pool in
//! this process and a second `newsdedup` process run read queries in a loop. Neither ever gets
//! an error ("database is locked" in particular), and both see the ingest progress.

mod common;

use common::corpus::write_corpus;
use common::syndication::originals;
use common::{TestDb, read_only_pool, write_jsonl};
use sqlx::Row;
use std::collections::BTreeSet;
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

const DOCS: usize = 20_000;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn readers_never_see_a_locked_database_during_an_ingest() {
    let db = TestDb::new();
    // The database exists, with some clusters, before the big ingest starts.
    let small = db.file("wire.jsonl");
    write_jsonl(
        &small,
        &originals().iter().map(|o| o.record()).collect::<Vec<_>>(),
    );
    db.ingest(&[&small]);
    let big = db.file("big.jsonl");
    let stats = write_corpus(&big, DOCS, 0xD0C5);

    let pool = read_only_pool(&db.path).await;
    let done = Arc::new(AtomicBool::new(false));

    // Another process reading the same file through the CLI, in a loop.
    let cli_reader = {
        let done = done.clone();
        let path = db.path.clone();
        std::thread::spawn(move || {
            let mut runs = 0usize;
            let mut failures = Vec::new();
            while !done.load(Ordering::Acquire) {
                for args in [
                    &["clusters", "--json", "--limit", "10", "--min-size", "1"][..],
                    &["cluster", "1", "--json"][..],
                ] {
                    let out = common::command(&path, args)
                        .stdin(Stdio::null())
                        .output()
                        .expect("running newsdedup");
                    runs += 1;
                    let parsed = serde_json::from_slice::<serde_json::Value>(&out.stdout);
                    if !out.status.success() || parsed.is_err() {
                        failures.push(format!(
                            "{args:?}: {} {}",
                            out.status,
                            String::from_utf8_lossy(&out.stderr)
                        ));
                    }
                }
                // Leave the writer some of the machine's cores.
                std::thread::sleep(Duration::from_millis(50));
            }
            (runs, failures)
        })
    };

    // This process's own read-only pool, in a loop.
    let sql_reader = {
        let done = done.clone();
        let pool = pool.clone();
        tokio::spawn(async move {
            let mut queries = 0usize;
            let mut errors = Vec::new();
            let mut seen = BTreeSet::new();
            while !done.load(Ordering::Acquire) {
                match sqlx::query_scalar::<_, i64>("SELECT count(*) FROM article_clusters")
                    .fetch_one(&pool)
                    .await
                {
                    Ok(n) => {
                        seen.insert(n);
                    }
                    Err(e) => errors.push(e.to_string()),
                }
                match sqlx::query("SELECT * FROM cluster_summary LIMIT 10")
                    .fetch_all(&pool)
                    .await
                {
                    Ok(rows) => assert!(rows.iter().all(|r| r.get::<i64, _>("size") >= 1)),
                    Err(e) => errors.push(e.to_string()),
                }
                queries += 2;
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            (queries, errors, seen)
        })
    };

    let ingest = db
        .command(&["ingest", "--json", big.to_str().unwrap()])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let out = tokio::task::spawn_blocking(move || ingest.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    done.store(true, Ordering::Release);
    let (queries, errors, seen) = sql_reader.await.unwrap();
    let (runs, failures) = cli_reader.join().unwrap();

    assert!(
        out.status.success(),
        "the ingest failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        summary["new"].as_u64().unwrap() + summary["near_duplicate"].as_u64().unwrap(),
        stats.identities as u64,
        "{summary}"
    );
    assert!(
        errors.is_empty(),
        "{} of {queries} reader queries failed, e.g. {:?}",
        errors.len(),
        &errors[..errors.len().min(3)]
    );
    assert!(
        failures.is_empty(),
        "{} of {runs} CLI reads failed: {:#?}",
        failures.len(),
        &failures[..failures.len().min(3)]
    );
    assert!(
        queries >= 20,
        "only {queries} queries ran during the ingest"
    );
    assert!(runs >= 4, "only {runs} CLI reads ran during the ingest");
    // The readers watched the ingest happen, batch by batch.
    assert!(
        seen.len() >= 3,
        "the reader saw only these article counts: {seen:?}"
    );
    let after = common::count(&pool, "article_clusters").await;
    assert_eq!(after as usize, stats.identities + originals().len());
}

/// Two ingests into one database at once (a scheduled import overlapping a manual one): each
/// either stores all its documents or refuses up front with a message saying why, and never
/// fails halfway on a constraint.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_ingests_at_once_both_store_everything_or_one_refuses_cleanly() {
    let db = TestDb::new();
    let small = db.file("wire.jsonl");
    write_jsonl(
        &small,
        &originals().iter().map(|o| o.record()).collect::<Vec<_>>(),
    );
    db.ingest(&[&small]);
    let a = db.file("a.jsonl");
    let b = db.file("b.jsonl");
    let sa = write_corpus(&a, 5_000, 0xAAAA);
    // The second file: the same texts under other URLs (syndicated copies, as a second feed).
    let text = std::fs::read_to_string(&a).unwrap();
    std::fs::write(&b, text.replace("https://outlet-", "https://other-")).unwrap();
    let start = |p: &std::path::Path| {
        db.command(&["ingest", "--json", p.to_str().unwrap()])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (pa, pb) = (start(&a), start(&b));
    let (oa, ob) = (
        pa.wait_with_output().unwrap(),
        pb.wait_with_output().unwrap(),
    );
    let pool = read_only_pool(&db.path).await;
    let integrity: Vec<String> = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_all(&pool)
        .await
        .unwrap();
    assert_eq!(integrity, ["ok"]);
    for (name, out, host) in [
        ("first", &oa, "https://outlet-%"),
        ("second", &ob, "https://other-%"),
    ] {
        let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM articles WHERE url LIKE ?")
            .bind(host)
            .fetch_one(&pool)
            .await
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        if out.status.success() {
            assert_eq!(stored as usize, sa.identities, "{name} ingest succeeded");
        } else {
            assert!(
                !err.contains("constraint") && stored == 0,
                "{name} ingest failed halfway ({stored} stored): {err}"
            );
            assert_refusal_says_what_to_do(&err, &db.path);
        }
    }
    assert!(
        oa.status.success() || ob.status.success(),
        "neither ingest ran: {} / {}",
        String::from_utf8_lossy(&oa.stderr),
        String::from_utf8_lossy(&ob.stderr)
    );
}

/// A second writer while one holds the database (here this process, through `Store::open`)
/// refuses at once, stores nothing, and its message names the database and says what to do.
#[tokio::test]
async fn a_second_writer_is_refused_with_a_message_naming_the_database() {
    let db = TestDb::new();
    let input = db.file("wire.jsonl");
    write_jsonl(
        &input,
        &originals().iter().map(|o| o.record()).collect::<Vec<_>>(),
    );
    let store = newsdedup::store::Store::open(&db.path, Default::default())
        .await
        .unwrap();
    let out = db.run(&["ingest", input.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "a second writer ran: {err}");
    assert_refusal_says_what_to_do(&err, &db.path);
    store.close().await.unwrap();
    let pool = read_only_pool(&db.path).await;
    assert_eq!(
        common::count(&pool, "articles").await,
        0,
        "the refused ingest stored nothing"
    );
    pool.close().await;
    // Once the first writer is gone, the same command writes.
    db.ingest(&[&input]);
}

/// The refusal of a second writer: names the database and the other writer, and says what to do.
fn assert_refusal_says_what_to_do(err: &str, db: &std::path::Path) {
    let names = format!(
        "database {} is being written by another newsdedup process",
        db.display()
    );
    assert!(err.contains(&names), "names the database: {err}");
    assert!(
        err.contains("wait for it to finish or stop it, then run this again"),
        "says what to do: {err}"
    );
    assert!(!err.contains("panicked"), "{err}");
}
