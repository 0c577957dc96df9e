//! The query commands: `newsdedup clusters` (only clusters of two or more, `--since`, `--limit`,
//! `--min-size`), `newsdedup cluster ID` (unknown ids fail clearly; merged ids resolve).

mod common;

use common::syndication::{Original, copies, later, originals};
use common::{TestDb, cluster_of_url, write_jsonl};
use rand::SeedableRng;
use rand::rngs::StdRng;
use serde_json::{Value, json};
use sqlx::Row;

const LONE_STORY: &str = "The county library service will open on Sundays from next month, after a two-year trial in three branches drew more visitors than expected.\n\nLibrarians said the Sunday sessions were most popular with families and students preparing for exams, and that the extra hours would be covered by a new part-time team rather than by existing staff working longer weeks.\n\nThe change will cost about $120,000 a year and is paid for from the county's culture budget.";

/// A store with the five stories and five copies of each (clusters of six), and one lone story.
fn store_with_clusters() -> (TestDb, Vec<Original>) {
    let db = TestDb::new();
    let originals = originals();
    let mut rng = StdRng::seed_from_u64(99);
    let copies = copies(&mut rng, &originals);
    let mut records: Vec<Value> = originals.iter().map(|o| o.record()).collect();
    records.extend(copies.into_iter().map(|c| c.record));
    records.push(json!({
        "id": "lone-1", "url": "https://countynews.example/libraries-sunday",
        "source": "County News", "title": "Libraries to open on Sundays",
        "published": "2024-08-01T07:00:00Z", "text": LONE_STORY,
    }));
    let input = db.file("export.jsonl");
    write_jsonl(&input, &records);
    let s = db.ingest(&[&input]);
    assert_eq!(s["new"], originals.len() + 1, "{s}");
    (db, originals)
}

#[tokio::test]
async fn clusters_lists_clusters_of_two_or_more_and_filters_by_time() {
    let (db, originals) = store_with_clusters();
    let pool = db.pool().await;

    let listed = db.run_json(&["clusters", "--json"]);
    let listed = listed.as_array().unwrap();
    assert_eq!(
        listed.len(),
        originals.len(),
        "the lone story is not listed"
    );
    // The same rows as the cluster_summary view, largest then most recent first.
    let expected: Vec<Value> = sqlx::query(
        "SELECT cluster_id, size, sources, first_published, last_published, canonical_article_id,
                canonical_title
         FROM cluster_summary WHERE size >= 2 ORDER BY size DESC, last_published DESC, cluster_id",
    )
    .fetch_all(&pool)
    .await
    .unwrap()
    .into_iter()
    .map(|r| {
        json!({
            "cluster_id": r.get::<i64, _>(0),
            "size": r.get::<i64, _>(1),
            "sources": r.get::<i64, _>(2),
            "first_published": r.get::<Option<String>, _>(3),
            "last_published": r.get::<Option<String>, _>(4),
            "canonical_article_id": r.get::<i64, _>(5),
            "canonical_title": r.get::<Option<String>, _>(6),
        })
    })
    .collect();
    assert_eq!(listed, &expected[..]);
    for c in listed {
        assert_eq!(c["size"], 6);
        assert_eq!(c["sources"], 6);
        let o = originals
            .iter()
            .find(|o| c["canonical_title"] == o.title.as_str())
            .unwrap_or_else(|| panic!("canonical title of {c}"));
        assert_eq!(c["first_published"], o.published.as_str());
        assert_eq!(c["last_published"], later(&o.published, 5).as_str());
    }
    // Most recent first among equal sizes: the July wildfire story leads.
    assert_eq!(listed[0]["canonical_title"], originals[3].title.as_str());

    // --min-size 1 adds the lone story; --limit cuts the list.
    let all = db.run_json(&["clusters", "--json", "--min-size", "1"]);
    assert_eq!(all.as_array().unwrap().len(), originals.len() + 1);
    assert_eq!(all[0]["size"], 6, "larger clusters first");
    let two = db.run_json(&["clusters", "--json", "--limit", "2"]);
    assert_eq!(two.as_array().unwrap(), &listed[..2]);

    // --since: clusters with an article published at or after the time.
    let titles = |v: &Value| -> Vec<String> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|c| c["canonical_title"].as_str().unwrap().to_string())
            .collect()
    };
    let since_june_10 = db.run_json(&["clusters", "--json", "--since", "2024-06-10T00:00:00Z"]);
    assert_eq!(
        titles(&since_june_10),
        [originals[3].title.clone(), originals[4].title.clone()]
    );
    let since_july = db.run_json(&["clusters", "--json", "--since", "2024-07-01"]);
    assert_eq!(titles(&since_july), [originals[3].title.clone()]);
    // The flood cluster's last copy came on 14 May 2024 at 11:00: in at that time, out a second later.
    let flood_last = later(&originals[0].published, 5);
    let at = db.run_json(&["clusters", "--json", "--since", &flood_last]);
    assert!(titles(&at).contains(&originals[0].title));
    let after = db.run_json(&["clusters", "--json", "--since", "2024-05-14T11:00:01Z"]);
    assert!(!titles(&after).contains(&originals[0].title));
    // Relative times count back from now: nothing in this 2024 store is from the last day.
    assert_eq!(
        db.run_json(&["clusters", "--json", "--since", "24h"]),
        json!([])
    );
    let human = db.run_ok(&["clusters", "--since", "24h"]);
    assert!(human.contains("no clusters"), "{human}");

    let bad = db.run(&["clusters", "--since", "last tuesday"]);
    assert!(!bad.status.success());
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(
        err.contains("--since") && err.contains("last tuesday"),
        "{err}"
    );

    // The human table names the clusters too.
    let table = db.run_ok(&["clusters"]);
    for o in &originals {
        let id = cluster_of_url(&pool, &o.url()).await;
        assert!(
            table.lines().any(|l| l.contains(&format!(" {id} "))),
            "cluster {id} missing from:\n{table}"
        );
    }
}

#[tokio::test]
async fn an_unknown_cluster_fails_with_a_clear_message() {
    let (db, _) = store_with_clusters();
    for args in [
        &["cluster", "999999"][..],
        &["cluster", "999999", "--json"][..],
    ] {
        let out = db.run(args);
        assert!(!out.status.success(), "{args:?} succeeded");
        assert_ne!(out.status.code(), Some(0));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("no cluster 999999"), "{args:?}: {err}");
        assert!(out.stdout.is_empty(), "{args:?} printed a result");
        assert!(!err.contains("panicked"), "{err}");
    }
    let out = db.run(&["cluster", "abc"]);
    assert!(!out.status.success());

    // A database that does not exist is named, not created.
    let missing = db.file("nowhere.db");
    let out = common::command(&missing, &["clusters"]).output().unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("does not exist"), "{err}");
    assert!(!missing.exists(), "a read command created the database");
}

#[tokio::test]
async fn a_merged_cluster_id_resolves_to_the_cluster_that_holds_its_articles() {
    // Two outlets each keep a different part of the long rates story (overlapping by three
    // paragraphs): two clusters. Then the full story arrives and shows they are one.
    let db = TestDb::new();
    let story = &originals()[4];
    let n = story.paragraphs.len();
    assert_eq!(n, 17);
    let first = story.partial_record(0..10, "Capital Ledger", 1);
    let last = story.partial_record(7..n, "Market Daily", 2);
    let parts = db.file("parts.jsonl");
    write_jsonl(&parts, &[first.clone(), last.clone()]);
    let s = db.ingest(&[&parts]);
    assert_eq!(
        s["new"], 2,
        "the two parts overlap too little to be copies: {s}"
    );
    let pool = db.pool().await;
    let c_first = cluster_of_url(&pool, first["url"].as_str().unwrap()).await;
    let c_last = cluster_of_url(&pool, last["url"].as_str().unwrap()).await;
    assert_ne!(c_first, c_last);

    let wire = db.file("wire.jsonl");
    write_jsonl(&wire, &[story.record()]);
    let s = db.ingest(&[&wire]);
    assert_eq!(s["near_duplicate"], 1, "{s}");
    let survivor = cluster_of_url(&pool, &story.url()).await;
    assert_eq!(survivor, c_first.min(c_last), "the oldest id survives");
    let gone = c_first.max(c_last);
    for url in [
        first["url"].as_str().unwrap(),
        last["url"].as_str().unwrap(),
    ] {
        assert_eq!(cluster_of_url(&pool, url).await, survivor);
    }
    let merge =
        sqlx::query("SELECT into_cluster, by_article FROM cluster_merges WHERE from_cluster = ?")
            .bind(gone)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(merge.get::<i64, _>(0), survivor);
    let story_article: i64 = sqlx::query_scalar("SELECT article_id FROM articles WHERE url = ?")
        .bind(story.url())
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(merge.get::<i64, _>(1), story_article);
    let merged_into: Option<i64> =
        sqlx::query_scalar("SELECT merged_into FROM clusters WHERE cluster_id = ?")
            .bind(gone)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(merged_into, Some(survivor));

    // The old id shows the surviving cluster, and says so.
    let report = db.run_json(&["cluster", &gone.to_string(), "--json"]);
    assert_eq!(report["cluster_id"], survivor);
    assert_eq!(report["requested_id"], gone);
    assert_eq!(report["size"], 3);
    assert_eq!(report["canonical_article_id"], story_article);
    let direct = db.run_json(&["cluster", &survivor.to_string(), "--json"]);
    assert!(direct.get("requested_id").is_none());
    assert_eq!(direct["members"], report["members"]);
    let human = db.run_ok(&["cluster", &gone.to_string()]);
    assert!(
        human.contains(&format!(
            "cluster {gone} was merged into cluster {survivor}"
        )),
        "{human}"
    );
    // Each part shows what it cut of the full story, and nothing else.
    for (part, cut) in [
        (&first, &story.paragraphs[10..]),
        (&last, &story.paragraphs[..7]),
    ] {
        let m = report["members"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["url"] == part["url"])
            .unwrap();
        let edits = &m["edits"];
        assert_eq!(edits["added"], json!([]), "{m}");
        assert_eq!(edits["changed"], json!([]), "{m}");
        assert!(edits.get("title").is_none(), "{m}");
        let got: Vec<&str> = edits["cut"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_str().unwrap())
            .collect();
        assert_eq!(got.join(" "), cut.join(" "));
    }
    // Only the surviving cluster is listed.
    let listed = db.run_json(&["clusters", "--json"]);
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert_eq!(listed[0]["cluster_id"], survivor);
}
