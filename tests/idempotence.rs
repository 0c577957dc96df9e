//! Re-runs and versions: the same input ingested twice adds nothing; the same URL with a changed
//! text becomes version 2 and version 1 is kept; state is restored from the store between runs.

mod common;

use common::syndication::{copies, originals};
use common::{TestDb, cluster_of_url, row_counts, shared_dir, write_jsonl};
use newsdedup::config::Config;
use newsdedup::ingest::ReadOptions;
use newsdedup::pipeline::{Outcome, Pipeline, Summary, ingest_paths};
use newsdedup::store::{Store, StoreOptions};
use rand::SeedableRng;
use rand::rngs::StdRng;
use serde_json::{Value, json};
use sqlx::{Row, SqlitePool};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

/// Everything a re-run could change, as plain values.
async fn snapshot(pool: &SqlitePool) -> Value {
    let counts = row_counts(pool).await;
    let max_version: Option<i64> =
        sqlx::query_scalar("SELECT max(version_id) FROM article_versions")
            .fetch_one(pool)
            .await
            .unwrap();
    let summary: Vec<Value> = sqlx::query(
        "SELECT cluster_id, size, sources, first_published, last_published, canonical_article_id,
                canonical_title FROM cluster_summary ORDER BY cluster_id",
    )
    .fetch_all(pool)
    .await
    .unwrap()
    .into_iter()
    .map(|r| {
        json!([
            r.get::<i64, _>(0),
            r.get::<i64, _>(1),
            r.get::<i64, _>(2),
            r.get::<Option<String>, _>(3),
            r.get::<Option<String>, _>(4),
            r.get::<i64, _>(5),
            r.get::<Option<String>, _>(6),
        ])
    })
    .collect();
    let updated: Vec<String> =
        sqlx::query_scalar("SELECT updated_at FROM articles ORDER BY article_id")
            .fetch_all(pool)
            .await
            .unwrap();
    json!({ "counts": counts, "max_version": max_version, "clusters": summary, "updated_at": updated })
}

#[tokio::test]
async fn the_same_input_ingested_twice_adds_nothing() {
    let db = TestDb::new();
    let originals = originals();
    let mut rng = StdRng::seed_from_u64(7);
    let copies = copies(&mut rng, &originals);
    let mut records: Vec<Value> = originals.iter().map(|o| o.record()).collect();
    records.extend(copies.iter().map(|c| c.record.clone()));
    let jsonl = db.file("export.jsonl");
    write_jsonl(&jsonl, &records);
    // A folder of .txt and .html files as well.
    let folder = db.file("articles");
    std::fs::create_dir(&folder).unwrap();
    std::fs::write(
        folder.join("courier-1.txt"),
        format!("{}\n\n{}", originals[0].title, originals[0].text()),
    )
    .unwrap();
    std::fs::write(
        folder.join("courier-2.html"),
        format!(
            "<html><head><title>{}</title></head><body><article>{}</article></body></html>",
            originals[1].title,
            originals[1]
                .paragraphs
                .iter()
                .map(|p| format!("<p>{}</p>", p.replace('&', "&amp;")))
                .collect::<String>()
        ),
    )
    .unwrap();
    let mut paths: Vec<PathBuf> = vec![jsonl.clone(), folder.clone()];
    if let Some(shared) = shared_dir() {
        paths.push(shared.join("corpus/seeds"));
    }
    let path_refs: Vec<&Path> = paths.iter().map(PathBuf::as_path).collect();

    let first = db.ingest(&path_refs);
    let stored = first["new"].as_u64().unwrap() + first["near_duplicate"].as_u64().unwrap();
    assert_eq!(first["rejected"], json!([]), "{first}");
    let expected_docs = records.len() as u64 + 2 + if paths.len() == 3 { 5 } else { 0 };
    assert_eq!(stored, expected_docs, "{first}");
    let pool = db.pool().await;
    let before = snapshot(&pool).await;

    let second = db.ingest(&path_refs);
    assert_eq!(
        second,
        json!({
            "new": 0, "unreported": 0, "near_duplicate": 0, "updated": 0, "unchanged": expected_docs,
            "rejected": []
        })
    );
    assert_eq!(
        snapshot(&pool).await,
        before,
        "the second run changed the store"
    );

    // The same export gzipped, and with tracking parameters on its URLs: still nothing new.
    let gz = db.file("export-again.jsonl.gz");
    let mut enc = flate2::write::GzEncoder::new(
        std::fs::File::create(&gz).unwrap(),
        flate2::Compression::fast(),
    );
    for r in &records {
        let mut r = r.clone();
        let url = r["url"].as_str().unwrap().to_string();
        r["url"] = json!(format!(
            "{url}?utm_source=newsletter&utm_medium=email#comments"
        ));
        writeln!(enc, "{r}").unwrap();
    }
    enc.finish().unwrap();
    let third = db.ingest(&[&gz]);
    assert_eq!(
        third,
        json!({
            "new": 0, "unreported": 0, "near_duplicate": 0, "updated": 0, "unchanged": records.len(),
            "rejected": []
        })
    );
    assert_eq!(snapshot(&pool).await, before);
}

/// Runs the library pipeline over some files and returns the summary and every outcome.
async fn ingest(db: &TestDb, paths: &[&Path]) -> (Summary, Vec<Outcome>) {
    let store = Store::open(&db.path, StoreOptions::default())
        .await
        .unwrap();
    let mut pipeline = Pipeline::open(store, Config::default_config())
        .await
        .unwrap();
    let mut outcomes = Vec::new();
    let summary = ingest_paths(
        &mut pipeline,
        paths.iter().map(|p| p.to_path_buf()).collect(),
        ReadOptions::default(),
        Arc::new(AtomicBool::new(false)),
        |o| outcomes.push(o.clone()),
    )
    .await
    .unwrap();
    pipeline.close().await.unwrap();
    (summary, outcomes)
}

#[tokio::test]
async fn a_changed_text_at_the_same_url_is_version_2_and_version_1_is_kept() {
    let db = TestDb::new();
    let orig = &originals()[2];
    let v1 = orig.record();
    let first = db.file("v1.jsonl");
    write_jsonl(&first, std::slice::from_ref(&v1));
    let (s1, _) = ingest(&db, &[&first]).await;
    assert_eq!(s1.new, 1);

    // The wire corrects the story: a number fixed, a paragraph added, a new headline.
    let mut paragraphs = orig.paragraphs.clone();
    paragraphs[0] = paragraphs[0].replace("85,000", "58,000");
    paragraphs.push(
        "This story has been corrected to show that the recall covers 58,000 bottles, not 85,000, and updated with a statement from the pharmacy association.".to_string(),
    );
    let mut v2 = v1.clone();
    v2["title"] = json!("Correction: 58,000 bottles of children's fever syrup recalled");
    v2["text"] = json!(paragraphs.join("\n\n"));
    // Fetched again through a link with tracking parameters: still the same article.
    v2["url"] = json!(format!("{}?utm_source=rss", orig.url()));
    let second = db.file("v2.jsonl");
    write_jsonl(&second, &[v2]);
    let (s2, outcomes) = ingest(&db, &[&second]).await;
    assert_eq!((s2.new, s2.near_duplicate, s2.updated), (0, 0, 1));
    let Outcome::Updated {
        article, version, ..
    } = outcomes[0]
    else {
        panic!("{:?}", outcomes[0])
    };
    assert_eq!(version, 2);

    let pool = db.pool().await;
    assert_eq!(common::count(&pool, "articles").await, 1);
    let versions: Vec<(i64, Option<String>, String, String)> = sqlx::query(
        "SELECT version, title, original, clean_text FROM article_versions
         WHERE article_id = ? ORDER BY version",
    )
    .bind(article.0)
    .fetch_all(&pool)
    .await
    .unwrap()
    .into_iter()
    .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3)))
    .collect();
    assert_eq!(versions.len(), 2);
    assert_eq!(versions[0].0, 1);
    assert_eq!(versions[0].1.as_deref(), Some(orig.title.as_str()));
    assert_eq!(versions[0].2, orig.text(), "version 1's original is kept");
    assert_eq!(
        versions[0].3,
        orig.clean_text(),
        "version 1's clean text is kept"
    );
    assert_eq!(versions[1].0, 2);
    assert!(versions[1].3.contains("58,000 bottles, not 85,000"));

    // The views and the search index show the latest version.
    let row = sqlx::query("SELECT title, url FROM article_clusters WHERE article_id = ?")
        .bind(article.0)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(
        row.get::<String, _>(0),
        "Correction: 58,000 bottles of children's fever syrup recalled"
    );
    let latest: i64 = sqlx::query_scalar(
        "SELECT v.version FROM articles a JOIN article_versions v ON v.version_id = a.latest_version_id
         WHERE a.article_id = ?",
    )
    .bind(article.0)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(latest, 2);
    let hits: Vec<i64> = sqlx::query_scalar(
        "SELECT rowid FROM article_search WHERE article_search MATCH 'corrected'",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(hits, [article.0]);
    assert_eq!(common::count(&pool, "article_search").await, 1);

    // The corrected input again: nothing new.
    let (s3, _) = ingest(&db, &[&second]).await;
    assert_eq!((s3.new, s3.updated, s3.unchanged), (0, 0, 1));
    assert_eq!(common::count(&pool, "article_versions").await, 2);
}

#[tokio::test]
async fn an_export_with_two_versions_of_one_url_adds_nothing_when_run_again() {
    let db = TestDb::new();
    let orig = &originals()[0];
    let v1 = orig.record();
    let mut v2 = v1.clone();
    v2["text"] = json!(format!(
        "{}\n\nThe council published the full designs on Wednesday.",
        orig.text()
    ));
    let export = db.file("feed-snapshots.jsonl");
    write_jsonl(&export, &[v1, v2]);
    let (s1, _) = ingest(&db, &[&export]).await;
    assert_eq!((s1.new, s1.updated), (1, 1));
    let pool = db.pool().await;
    let before = row_counts(&pool).await;
    let (s2, outcomes) = ingest(&db, &[&export]).await;
    assert_eq!(
        (s2.new, s2.updated, s2.unchanged),
        (0, 0, 2),
        "second run: {outcomes:?}"
    );
    assert_eq!(row_counts(&pool).await, before);
}

#[tokio::test]
async fn a_second_run_restores_clusters_from_the_store() {
    // Stories in one run, their copies in the next (a new process): the copies find the stories.
    let db = TestDb::new();
    let originals = originals();
    let mut rng = StdRng::seed_from_u64(11);
    let copies = copies(&mut rng, &originals);
    let wire = db.file("wire.jsonl");
    write_jsonl(
        &wire,
        &originals.iter().map(|o| o.record()).collect::<Vec<_>>(),
    );
    let outlets = db.file("outlets.jsonl");
    write_jsonl(
        &outlets,
        &copies.iter().map(|c| c.record.clone()).collect::<Vec<_>>(),
    );
    let s1 = db.ingest(&[&wire]);
    assert_eq!(s1["new"], originals.len());
    let s2 = db.ingest(&[&outlets]);
    assert_eq!(s2["new"], 0, "{s2}");
    assert_eq!(s2["near_duplicate"], copies.len(), "{s2}");
    let pool = db.pool().await;
    for c in &copies {
        assert_eq!(
            cluster_of_url(&pool, &c.url).await,
            cluster_of_url(&pool, &originals[c.original].url()).await
        );
    }
    // No cluster ids were reused by the second process.
    let clusters = common::count(&pool, "clusters").await;
    assert_eq!(clusters, originals.len() as i64);
}

#[tokio::test]
async fn a_new_version_keeps_its_cluster_id() {
    let db = TestDb::new();
    let orig = &originals()[0];
    let v1 = orig.record();
    let first = db.file("v1.jsonl");
    write_jsonl(&first, std::slice::from_ref(&v1));
    db.ingest(&[&first]);
    let pool = db.pool().await;
    let before = cluster_of_url(&pool, &orig.url()).await;

    let mut v2 = v1.clone();
    v2["text"] = json!(format!(
        "{}\n\nThe council published the full designs on Wednesday.",
        orig.text()
    ));
    let second = db.file("v2.jsonl");
    write_jsonl(&second, &[v2]);
    let s = db.ingest(&[&second]);
    assert_eq!(s["updated"], 1, "{s}");
    let after = cluster_of_url(&pool, &orig.url()).await;
    // The cluster a reader saw yesterday still shows the article.
    let out = db.run(&["cluster", &before.to_string(), "--json"]);
    assert!(
        out.status.success(),
        "cluster {before} (the article's cluster before the update; now {after}): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["size"], 1);
    assert_eq!(report["members"][0]["url"], orig.url());
    // And no cluster is left without articles.
    let empty: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM clusters c WHERE c.merged_into IS NULL
         AND NOT EXISTS (SELECT 1 FROM articles a WHERE a.cluster_id = c.cluster_id)",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(empty, 0, "clusters left empty");
}
