//! The background writer's group commit: several batches share a transaction, and what it holds
//! is committed once no batch comes for a moment, so readers see the daemon's writes without
//! anyone asking for them.
//!
//! The transactions are counted from outside, in the database's write-ahead log: SQLite marks the
//! last frame of each committed transaction there.

mod common;

use common::TestDb;
use common::syndication::originals;
use newsdedup::config::Config;
use newsdedup::document::{Body, Document};
use newsdedup::pipeline::{Outcome, Pipeline};
use newsdedup::store::{Store, StoreOptions};
use std::path::Path;
use std::time::{Duration, Instant};

fn documents(from: usize, to: usize) -> Vec<(String, Document)> {
    originals()[from..to]
        .iter()
        .map(|o| {
            let doc = Document {
                external_id: o.key.clone(),
                url: Some(format!("https://wire.example/{}", o.key)),
                source: "Wire".into(),
                title: Some(o.title.clone()),
                published: None,
                body: Body::Text(o.paragraphs.join("\n\n")),
            };
            (o.key.clone(), doc)
        })
        .collect()
}

async fn stored_articles(db: &TestDb) -> i64 {
    let pool = Store::open_read_only(&db.path).await.unwrap();
    let n = sqlx::query_scalar("SELECT count(*) FROM articles")
        .fetch_one(&pool)
        .await
        .unwrap();
    pool.close().await;
    n
}

/// The transactions committed to the write-ahead log of the database at `db`: the frames that end
/// a transaction (those whose header gives the database size after the commit, non-zero), counted
/// up to the first frame left from before the log was last restarted (other salts than the log's
/// header). The format: a 32-byte header (page size at 8, salts at 16..24), then frames of a
/// 24-byte header (database size at 4, salts at 8..16) and a page.
fn wal_commits(db: &Path) -> usize {
    let mut name = db.as_os_str().to_owned();
    name.push("-wal");
    let wal = std::fs::read(&name).unwrap_or_default();
    if wal.len() < 32 {
        return 0;
    }
    let be32 = |b: &[u8]| u32::from_be_bytes(b.try_into().unwrap());
    let page = match be32(&wal[8..12]) {
        1 => 65536,
        n => n as usize,
    };
    let mut commits = 0;
    let mut at = 32;
    while at + 24 + page <= wal.len() {
        let frame = &wal[at..at + 24];
        if frame[8..16] != wal[16..24] {
            break;
        }
        if be32(&frame[4..8]) != 0 {
            commits += 1;
        }
        at += 24 + page;
    }
    commits
}

/// Writes two batches (3 documents, then 2) with `commit_documents` a transaction at most, waits
/// until the 5 are readable without syncing, and returns the transactions the writer committed
/// meanwhile and the article counts a reader saw on the way.
async fn commits_for_two_batches(commit_documents: usize) -> (usize, Vec<i64>) {
    let db = TestDb::new();
    let store = Store::open(&db.path, StoreOptions::default())
        .await
        .unwrap();
    let mut config = Config::default_config();
    config.database.commit_documents = commit_documents;
    let mut pipeline = Pipeline::open(store, config).await.unwrap();
    let before = wal_commits(&db.path);
    assert!(before > 0, "the migrations' commits are in the log");

    let batches = [documents(0, 3), documents(3, 5)];
    let written: usize = batches.iter().map(Vec::len).sum();
    for batch in batches {
        let outcomes = pipeline.ingest_documents(batch).await;
        assert!(outcomes.iter().all(|o| matches!(o, Outcome::New { .. })));
        pipeline.flush().await.unwrap();
    }
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut seen = Vec::new();
    loop {
        let n = stored_articles(&db).await;
        if seen.last() != Some(&n) {
            seen.push(n);
        }
        if n == written as i64 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the writer never committed: {n} of {written} articles readable"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let commits = wal_commits(&db.path) - before;
    pipeline.close().await.unwrap();
    assert_eq!(stored_articles(&db).await, written as i64);
    (commits, seen)
}

#[tokio::test]
async fn batches_written_are_committed_together_when_no_more_come() {
    // Far fewer documents than a transaction holds: the writer keeps its transaction open for the
    // second batch, then commits both on its own.
    let (commits, seen) = commits_for_two_batches(1000).await;
    assert_eq!(
        commits, 1,
        "the two batches were committed in {commits} transactions (reader saw {seen:?} articles)"
    );
    assert!(
        seen.iter().all(|&n| n == 0 || n == 5),
        "a reader saw part of the transaction: {seen:?} articles"
    );
}

#[tokio::test]
async fn with_one_document_a_transaction_each_batch_commits_on_its_own() {
    // The control: the same batches with grouping off are two transactions in the log.
    let (commits, _) = commits_for_two_batches(1).await;
    assert_eq!(commits, 2, "one transaction a batch");
}
