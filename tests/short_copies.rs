//! Short wire briefs (60–150 words) and their copies with one word changed: a copy this close
//! must join its original whatever the text's length.

mod common;

use common::TestDb;
use common::corpus::write_one_word_copies;
use sqlx::Row;
use std::collections::HashMap;

#[tokio::test]
async fn short_briefs_with_one_word_changed_join_their_original() {
    let db = TestDb::new();
    let input = db.file("briefs.jsonl");
    let pairs = write_one_word_copies(&input, 2000, 0xB41EF);
    let summary = db.ingest(&[&input]);
    assert_eq!(summary["rejected"], serde_json::json!([]));
    let pool = db.pool().await;
    let cluster_of: HashMap<String, i64> =
        sqlx::query("SELECT url, cluster_id FROM article_clusters")
            .fetch_all(&pool)
            .await
            .unwrap()
            .into_iter()
            .map(|r| (r.get(0), r.get(1)))
            .collect();
    let missed: Vec<_> = pairs
        .iter()
        .filter(|(a, b)| cluster_of[a] != cluster_of[b])
        .collect();
    assert!(
        missed.is_empty(),
        "{} of {} one-word copies missed their original, e.g. {:?}",
        missed.len(),
        pairs.len(),
        &missed[..missed.len().min(3)]
    );
    assert_eq!(summary["near_duplicate"], pairs.len(), "{summary}");
}
