//! The background writer's group commit: several batches share a transaction, and what it holds
//! is committed once no batch comes for a moment, so readers see the daemon's writes without
//! anyone asking for them.

mod common;

use common::TestDb;
use common::syndication::originals;
use newsdedup::config::Config;
use newsdedup::document::{Body, Document};
use newsdedup::pipeline::{Outcome, Pipeline};
use newsdedup::store::{Store, StoreOptions};
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

#[tokio::test]
async fn batches_written_are_committed_when_no_more_come() {
    let db = TestDb::new();
    let store = Store::open(&db.path, StoreOptions::default())
        .await
        .unwrap();
    let mut config = Config::default_config();
    config.database.commit_documents = 1000;
    let mut pipeline = Pipeline::open(store, config).await.unwrap();

    // Two batches, far fewer documents than a transaction holds: the writer keeps its
    // transaction open for more, then commits on its own.
    let mut written = 0;
    for (from, to) in [(0, 3), (3, 5)] {
        let outcomes = pipeline.ingest_documents(documents(from, to)).await;
        assert!(outcomes.iter().all(|o| matches!(o, Outcome::New { .. })));
        written += to - from;
        pipeline.flush().await.unwrap();
    }
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let n = stored_articles(&db).await;
        if n == written as i64 {
            break;
        }
        assert!(
            n == 0 || n == 3,
            "a batch was split across commits: {n} articles"
        );
        assert!(
            Instant::now() < deadline,
            "the writer never committed: {n} of {written} articles readable"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    pipeline.close().await.unwrap();
    assert_eq!(stored_articles(&db).await, written as i64);
}
