//! The five seed articles (`$NEWSDEDUP_SHARED/corpus/seeds`): rewrites of one story by five
//! outlets, not copies, so five articles in five clusters; titles found, furniture and reader
//! comments left out of the clean text (and kept in the stored original).

mod common;

use common::{TestDb, count, shared_dir};
use sqlx::Row;

#[tokio::test]
async fn five_seed_rewrites_are_five_articles_in_five_clusters() {
    let Some(shared) = shared_dir() else { return };
    let seeds = shared.join("corpus/seeds");
    let db = TestDb::new();
    let summary = db.ingest(&[&seeds]);
    assert_eq!(summary["new"], 5, "{summary}");
    assert_eq!(summary["near_duplicate"], 0, "{summary}");
    assert_eq!(
        summary["rejected"].as_array().unwrap().len(),
        0,
        "{summary}"
    );

    let pool = db.pool().await;
    assert_eq!(count(&pool, "articles").await, 5);
    assert_eq!(count(&pool, "article_versions").await, 5);
    assert_eq!(count(&pool, "article_clusters").await, 5);
    let clusters: i64 =
        sqlx::query_scalar("SELECT count(DISTINCT cluster_id) FROM article_clusters")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(clusters, 5, "the seeds are rewrites, not copies");
    let sizes: Vec<i64> = sqlx::query_scalar("SELECT size FROM cluster_summary")
        .fetch_all(&pool)
        .await
        .unwrap();
    assert_eq!(sizes, [1, 1, 1, 1, 1]);
    // Titles: seed 001's first line that is not furniture ("Support Us") is its headline.
    let title: Option<String> = sqlx::query_scalar(
        "SELECT title FROM article_clusters WHERE external_id LIKE '001%' AND source LIKE '001%'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(
        title.as_deref(),
        Some(
            "Russian Defence Ministry claims terrorist attack in Moscow Oblast encouraged Russians to fight in Ukraine"
        )
    );
    let titles: Vec<(String, Option<String>)> =
        sqlx::query("SELECT external_id, title FROM article_clusters ORDER BY external_id")
            .fetch_all(&pool)
            .await
            .unwrap()
            .into_iter()
            .map(|r| (r.get(0), r.get(1)))
            .collect();
    let title_of = |prefix: &str| {
        titles
            .iter()
            .find(|(id, _)| id.starts_with(prefix))
            .and_then(|(_, t)| t.clone())
    };
    assert_eq!(
        title_of("003").as_deref(),
        Some("After terror attacks, Russia sees US role and claims to be at war with NATO")
    );
    assert_eq!(
        title_of("004").as_deref(),
        Some("Russia Insists Ukraine, Not ISIS, Responsible for Moscow Massacre")
    );
    // Seed 000 opens with a long sentence: no title is invented for it.
    assert_eq!(title_of("000"), None);

    // Seed 000 ends with reader comments after "Comments (4)": none of them is in the clean text,
    // the article's last paragraph is, and the stored original still has everything.
    let row = sqlx::query(
        "SELECT v.clean_text, v.original FROM articles a
         JOIN article_versions v ON v.version_id = a.latest_version_id
         WHERE a.external_id LIKE '000%'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    let clean: String = row.get(0);
    let original: String = row.get(1);
    for comment in [
        "6500 attendee venue",
        "18-20 minutes",
        "Comments (4)",
        "Nog meer kanonnenvlees",
        "Pootin was warned",
        "Dying for a lie",
        "just plain racism",
    ] {
        assert!(
            !clean.contains(comment),
            "seed 000's clean text contains the reader comment {comment:?}"
        );
        assert!(original.contains(comment), "the original is kept whole");
    }
    assert!(clean.contains("Crocus City Hall terrorist attack"));
    assert!(clean.trim_end().ends_with(
        "more than 560 children have been killed since the start of Russia's unprovoked full-scale invasion of Ukraine on Feb. 24, 2022."
    ), "seed 000's article text runs to its last paragraph (with straight quotes):\n{clean}");

    // The other seeds' furniture and trailers (author box, "Leave a Reply", "COMMENTS") are out too.
    let cleans: Vec<(String, String)> = sqlx::query(
        "SELECT a.external_id, v.clean_text FROM articles a
         JOIN article_versions v ON v.version_id = a.latest_version_id",
    )
    .fetch_all(&pool)
    .await
    .unwrap()
    .into_iter()
    .map(|r| (r.get(0), r.get(1)))
    .collect();
    for (id, clean) in &cleans {
        for furniture in [
            "Support Us",
            "Support UP or become our patron",
            "Advertisement",
            "Photo: Getty Images",
            "Source link",
            "Leave a Reply",
            "News Content Writer",
            "Your email address will not be published",
            "Please let us know if you're having issues with commenting",
        ] {
            assert!(
                !clean.contains(furniture),
                "{id}: clean text contains {furniture:?}"
            );
        }
    }
}

#[tokio::test]
async fn seeds_from_standard_input_as_json_lines_cluster_the_same_way() {
    let Some(shared) = shared_dir() else { return };
    // The seeds as a JSON Lines export on standard input: the same five separate clusters.
    let mut lines = String::new();
    let mut names: Vec<_> = std::fs::read_dir(shared.join("corpus/seeds"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "txt"))
        .collect();
    names.sort();
    assert_eq!(names.len(), 5);
    for p in &names {
        let text = std::fs::read_to_string(p).unwrap();
        let id = p.file_stem().unwrap().to_string_lossy().into_owned();
        lines.push_str(
            &serde_json::json!({"id": id, "source": format!("seed-{id}"), "text": text})
                .to_string(),
        );
        lines.push('\n');
    }
    let db = TestDb::new();
    let mut child = db
        .command(&["ingest", "--json", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(lines.as_bytes())
            .unwrap();
    }
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(summary["new"], 5, "{summary}");
    let pool = db.pool().await;
    let clusters: i64 =
        sqlx::query_scalar("SELECT count(DISTINCT cluster_id) FROM article_clusters")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(clusters, 5);
}
