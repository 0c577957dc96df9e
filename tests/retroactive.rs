//! Retroactive splits: clusters built on lines that are learned as a source's boilerplate or as
//! furniture only after the clusters were, are split once the lines are learned (recorded in
//! `cluster_splits`, so the old id still says where its members went); copies that carry the
//! lines stay together.

mod common;

use common::{TestDb, cluster_of_url, write_jsonl};
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashSet};
use std::io::BufRead;

/// The real pages of stories-gva whose text is only their outlet's subscription box
/// (dispatch.com's "Total Access" box), in the order of the file; `None` without the shared data.
fn box_pages() -> Option<Vec<Value>> {
    let path = common::shared_path("bench/stories-gva/labelled.jsonl.gz")?;
    let file = std::fs::File::open(&path).expect("opening stories-gva");
    let reader = std::io::BufReader::new(flate2::read::GzDecoder::new(file));
    let pages: Vec<Value> = reader
        .lines()
        .map(|l| serde_json::from_str::<Value>(&l.expect("reading stories-gva")).unwrap())
        .filter(|r| {
            r["source"] == "dispatch.com"
                && r["text"].as_str().is_some_and(|t| {
                    t.starts_with("Total Access") && t.split_whitespace().count() < 30
                })
        })
        .map(|mut r| {
            // Only what the pipeline reads: no labels.
            r.as_object_mut().unwrap().remove("story");
            r
        })
        .collect();
    assert_eq!(
        pages.len(),
        3,
        "stories-gva holds three box-only dispatch.com pages"
    );
    Some(pages)
}

/// The box those pages carry.
fn the_box(pages: &[Value]) -> String {
    pages[0]["text"].as_str().unwrap().to_string()
}

/// A real article (from the seeds), one paragraph a line.
fn wire_story() -> Option<Vec<String>> {
    let dir = common::shared_path("corpus/seeds")?;
    let text = std::fs::read_to_string(dir.join("002_d21522e7df61a61c.txt")).expect("a seed");
    Some(
        text.lines()
            .filter(|l| !l.trim().is_empty())
            .map(str::to_string)
            .collect(),
    )
}

/// Deterministic prose no two calls share: sentences of made-up words.
struct Prose(u64);

impl Prose {
    fn word(&mut self) -> String {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        let syllables = [
            "ka", "lo", "mi", "ter", "van", "su", "dre", "po", "zin", "ha",
        ];
        let n = 2 + (self.0 >> 60) as usize % 2;
        (0..n)
            .map(|i| syllables[(self.0 >> (20 + 4 * i)) as usize % syllables.len()])
            .collect()
    }

    fn paragraph(&mut self, words: usize) -> String {
        let mut s: Vec<String> = (0..words).map(|_| self.word()).collect();
        s[0][..1].make_ascii_uppercase();
        format!("{}.", s.join(" "))
    }
}

fn record(id: &str, source: &str, text: &str) -> Value {
    json!({
        "id": id,
        "url": format!("https://{}/{id}", source.replace(' ', "").to_lowercase()),
        "source": source,
        "title": format!("Headline {id}"),
        "published": "2026-03-01T09:00:00Z",
        "text": text,
    })
}

fn url(r: &Value) -> &str {
    r["url"].as_str().unwrap()
}

/// Ingests records (one run of `newsdedup ingest`).
fn ingest(db: &TestDb, records: &[Value], name: &str) -> Value {
    let input = db.file(name);
    write_jsonl(&input, records);
    let summary = db.ingest(&[&input]);
    assert_eq!(summary["rejected"], json!([]), "{summary}");
    summary
}

/// Each record's cluster and `reported` flag, in order.
async fn placed(db: &TestDb, records: &[Value]) -> Vec<(i64, bool)> {
    let pool = db.pool().await;
    let mut out = Vec::new();
    for r in records {
        let reported: i64 = sqlx::query_scalar(
            "SELECT v.reported FROM articles a JOIN article_versions v
             ON v.version_id = a.latest_version_id WHERE a.url = ?",
        )
        .bind(url(r))
        .fetch_one(&pool)
        .await
        .unwrap();
        out.push((cluster_of_url(&pool, url(r)).await, reported != 0));
    }
    out
}

fn distinct(placed: &[(i64, bool)]) -> usize {
    placed.iter().map(|p| p.0).collect::<HashSet<_>>().len()
}

async fn split_count(db: &TestDb) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM cluster_splits")
        .fetch_one(&db.pool().await)
        .await
        .unwrap()
}

#[tokio::test]
async fn an_outlets_box_pages_are_split_once_the_box_is_learned() {
    let Some(pages) = box_pages() else { return };
    let db = TestDb::new();
    let summary = ingest(&db, &pages, "pages.jsonl");
    // When they arrived the box was not learned yet: the second and third joined the first.
    assert_eq!(summary["near_duplicate"], 2, "{summary}");
    let placed = placed(&db, &pages).await;
    assert_eq!(distinct(&placed), 3, "{placed:?}");
    assert!(placed.iter().all(|p| !p.1), "all unreported: {placed:?}");
    assert_eq!(split_count(&db).await, 2);
}

/// An outlet prints a panel around three long articles; two other outlets' pages are nothing but
/// the panel and join the first article's cluster, until the panel has been seen in three
/// sources and three clusters: furniture.
fn panel_corpus() -> Vec<Value> {
    let mut p = Prose(0x5EA7_B0A7);
    let panel: Vec<String> = (0..3).map(|_| p.paragraph(20)).collect();
    let mut records = Vec::new();
    for i in 0..3 {
        let mut lines = panel.clone();
        lines.extend((0..8).map(|_| p.paragraph(40)));
        records.push(record(&format!("a{i}"), "Outlet A", &lines.join("\n")));
    }
    for s in ["B", "C"] {
        records.push(record(
            &format!("{}0", s.to_lowercase()),
            &format!("Outlet {s}"),
            &panel.join("\n"),
        ));
    }
    records
}

#[tokio::test]
async fn pages_of_a_panel_are_split_once_it_is_furniture() {
    let db = TestDb::new();
    let records = panel_corpus();
    let summary = ingest(&db, &records, "panel.jsonl");
    assert_eq!(
        summary["near_duplicate"], 2,
        "the panel pages joined a0: {summary}"
    );
    let placed = placed(&db, &records).await;
    // a0 keeps its cluster with its article; the panel pages are alone, unreported.
    assert_eq!(distinct(&placed), 5, "{placed:?}");
    assert!(placed[..3].iter().all(|p| p.1), "{placed:?}");
    assert!(placed[3..].iter().all(|p| !p.1), "{placed:?}");
    let pool = db.pool().await;
    let learned_as: Vec<String> = sqlx::query_scalar(
        "SELECT DISTINCT j.value ->> 'learned_as' FROM cluster_splits, json_each(learned_lines) j",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(learned_as, vec!["furniture".to_string()]);
}

/// The stored simhash and sketch of an article's latest version.
async fn fingerprint_of(db: &TestDb, r: &Value) -> (i64, Vec<u8>) {
    sqlx::query_as(
        "SELECT v.simhash, v.sketch FROM articles a JOIN article_versions v
         ON v.version_id = a.latest_version_id WHERE a.url = ?",
    )
    .bind(url(r))
    .fetch_one(&db.pool().await)
    .await
    .unwrap()
}

#[tokio::test]
async fn a_wire_copy_pair_with_the_outlet_box_stays_together() {
    let (Some(pages), Some(story)) = (box_pages(), wire_story()) else {
        return;
    };
    let the_box = the_box(&pages);
    let mut cut = story.clone();
    cut.pop();
    let copy = |id: &str, lines: &[String]| {
        record(
            id,
            "dispatch.com",
            &format!("{the_box}\n{}", lines.join("\n")),
        )
    };
    let pair = vec![copy("w0", &story), copy("w1", &cut)];
    let db = TestDb::new();
    ingest(&db, &pair, "pair.jsonl");
    let before = (
        fingerprint_of(&db, &pair[0]).await,
        fingerprint_of(&db, &pair[1]).await,
    );
    // The third page with the box makes it the outlet's boilerplate: the pair is re-checked on
    // its text without the box.
    ingest(&db, &pages[..1], "box.jsonl");
    let placed = placed(&db, &pair).await;
    assert_eq!(placed[0], placed[1], "{placed:?}");
    assert!(placed[0].1, "{placed:?}");
    assert_eq!(split_count(&db).await, 0);
    let after = (
        fingerprint_of(&db, &pair[0]).await,
        fingerprint_of(&db, &pair[1]).await,
    );
    assert_ne!(before.0, after.0, "re-fingerprinted without the box");
    assert_ne!(before.1, after.1, "re-fingerprinted without the box");
}

#[tokio::test]
async fn the_old_id_names_the_clusters_its_members_went_to() {
    let Some(pages) = box_pages() else { return };
    let db = TestDb::new();
    ingest(&db, &pages, "pages.jsonl");
    let placed = placed(&db, &pages).await;
    let old = placed[0].0.to_string();
    let report = db.run_json(&["cluster", &old, "--json"]);
    let splits = report["splits"].as_array().expect("splits listed");
    let went: Vec<i64> = splits
        .iter()
        .map(|s| s["into_cluster"].as_i64().unwrap())
        .collect();
    assert_eq!(went, vec![placed[1].0, placed[2].0], "{report}");
    assert!(
        splits[0]["learned_lines"][0]["line"]
            .as_str()
            .is_some_and(|l| the_box(&pages).contains(l)),
        "{report}"
    );
    let new = placed[1].0.to_string();
    let report = db.run_json(&["cluster", &new, "--json"]);
    assert_eq!(
        report["split_from"]["from_cluster"], placed[0].0,
        "{report}"
    );
    let text = db.run_ok(&["cluster", &old]);
    assert!(
        text.contains(&format!("split off into cluster {}", placed[1].0)),
        "{text}"
    );
}

/// What a restart must rebuild: every article's cluster, story, flag and fingerprint, and the
/// recorded splits (without their times). Runs flush at other points than one long run, so
/// new ids come in another order: a cluster (and a story) is named by its first article.
async fn state(db: &TestDb) -> BTreeMap<String, String> {
    let pool = db.pool().await;
    let articles = "SELECT a.identity
            || ' ' || (SELECT MIN(b.article_id) FROM articles b WHERE b.cluster_id = c.cluster_id)
            || ' ' || (SELECT MIN(b.article_id) FROM articles b JOIN clusters d ON d.cluster_id = b.cluster_id
                       WHERE COALESCE(d.story_id, d.cluster_id) = COALESCE(c.story_id, c.cluster_id))
            || ' ' || v.reported || ' ' || v.simhash || ' ' || hex(v.sketch)
         FROM articles a JOIN article_versions v ON v.version_id = a.latest_version_id
         JOIN clusters c ON c.cluster_id = a.cluster_id";
    let splits = "SELECT (SELECT MIN(b.article_id) FROM articles b WHERE b.cluster_id = s.from_cluster)
            || ' ' || s.by_article || ' ' || s.articles || ' ' || s.unreported || ' ' || s.learned_lines
         FROM cluster_splits s";
    let mut out = BTreeMap::new();
    for (what, q) in [("articles", articles), ("splits", splits)] {
        let mut rows: Vec<String> = sqlx::query_scalar(q).fetch_all(&pool).await.unwrap();
        rows.sort();
        out.insert(what.to_string(), rows.join("\n"));
    }
    out
}

#[tokio::test]
async fn state_after_a_restart_equals_state_without_one() {
    let (Some(pages), Some(story)) = (box_pages(), wire_story()) else {
        return;
    };
    let the_box = the_box(&pages);
    // Two box pages cluster; the wire story's page is the third with the box, which is learned
    // with it: after a restart, the cluster of the two is found from what the store holds.
    let mut records = vec![
        pages[0].clone(),
        pages[1].clone(),
        record(
            "w0",
            "dispatch.com",
            &format!("{the_box}\n{}", story.join("\n")),
        ),
        record(
            "w1",
            "dispatch.com",
            &format!("{the_box}\n{}", story[1..].join("\n")),
        ),
        pages[2].clone(),
    ];
    records.extend(panel_corpus());
    // Later copies: of the wire story (with the box, now learned) and a panel page.
    records.push(record(
        "w2",
        "dispatch.com",
        &format!("{the_box}\n{}", story.join("\n")),
    ));
    records.push(panel_corpus()[3].clone());
    let once = TestDb::new();
    ingest(&once, &records, "all.jsonl");
    let restarted = TestDb::new();
    for (i, r) in records.iter().enumerate() {
        ingest(&restarted, std::slice::from_ref(r), &format!("r{i}.jsonl"));
    }
    let (a, b) = (state(&once).await, state(&restarted).await);
    assert!(
        !a["splits"].is_empty(),
        "the corpus makes splits: {}",
        a["articles"]
    );
    for k in a.keys() {
        assert_eq!(a[k], b[k], "{k} differ after restarts");
    }
}
