//! Bad input: each bad record is reported with `file:line` and the reason, the good ones are
//! stored, and the command still succeeds.

mod common;

use common::TestDb;
use common::syndication::originals;
use serde_json::{Value, json};
use std::io::Write;
use std::process::Stdio;

fn good(id: &str, text: &str) -> String {
    json!({
        "id": id,
        "url": format!("https://example.org/news/{id}"),
        "source": "Example News",
        "title": format!("Story {id}"),
        "published": "2024-04-03T10:01:00+03:00",
        "text": text,
    })
    .to_string()
}

/// A JSON Lines export with good and bad lines; returns it and the 1-based numbers of the bad
/// lines with a fragment their reason must contain.
fn export() -> (String, Vec<(usize, &'static str)>) {
    let o = originals();
    let lines = [
        good("1", &o[0].text()),
        r#"{"id": "2", "source": "Example News", "text": "The council met on Tuesday and"#.to_string(),
        r#"{"id": "3", "source": "Example News", "title": "A record with no body"}"#.to_string(),
        json!({
            "id": "4", "source": "Example News", "published": "yesterday at noon",
            "text": o[1].text(),
        })
        .to_string(),
        String::new(),
        good("6", &o[2].text()),
        json!({"id": "7", "source": "Example News", "text": "Advertisement\n\nShare this article\n\nSubscribe to our newsletter"}).to_string(),
        json!({
            "id": "8", "url": "https://example.org/news/8", "source": "Example News",
            "html": format!("<article>{}</article>", o[3].paragraphs.iter().map(|p| format!("<p>{p}</p>")).collect::<String>()),
        })
        .to_string(),
        json!({"text": "A body with no id, no url and no source at all."}).to_string(),
    ];
    let expected = vec![
        (2, "invalid JSON"),
        (3, "neither \"text\" nor \"html\""),
        (4, "RFC 3339"),
        (7, "no text left"),
        (9, "no \"id\""),
    ];
    (lines.join("\n") + "\n", expected)
}

#[tokio::test]
async fn bad_lines_are_reported_with_file_line_and_reason_and_good_lines_are_stored() {
    let db = TestDb::new();
    let path = db.file("export.jsonl");
    let (text, expected) = export();
    std::fs::write(&path, text).unwrap();

    let out = db.run(&["ingest", "--json", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let summary: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(summary["new"], 3, "{summary}");
    let rejected = summary["rejected"].as_array().unwrap();
    assert_eq!(rejected.len(), expected.len(), "{summary:#}");
    for (r, (line, reason)) in rejected.iter().zip(&expected) {
        assert_eq!(r["origin"], format!("{}:{line}", path.display()), "{r}");
        let got = r["reason"].as_str().unwrap();
        assert!(got.contains(reason), "line {line}: reason {got:?}");
    }
    assert!(
        rejected[2]["reason"]
            .as_str()
            .unwrap()
            .contains("yesterday at noon"),
        "the bad value is named"
    );

    let pool = db.pool().await;
    let stored: Vec<String> =
        sqlx::query_scalar("SELECT external_id FROM article_clusters ORDER BY external_id")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(stored, ["1", "6", "8"]);
    let published: Option<String> =
        sqlx::query_scalar("SELECT published FROM article_clusters WHERE external_id = '1'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(published.as_deref(), Some("2024-04-03T07:01:00Z"), "UTC");
}

#[test]
fn the_human_summary_lists_each_rejection() {
    let db = TestDb::new();
    let path = db.file("export.jsonl");
    let (text, expected) = export();
    std::fs::write(&path, text).unwrap();
    let out = db.run(&["ingest", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0));
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(stdout.contains("3 new"), "{stdout}");
    assert!(stdout.contains("5 rejected"), "{stdout}");
    for (line, reason) in expected {
        let origin = format!("{}:{line}", path.display());
        assert!(
            stdout
                .lines()
                .any(|l| l.contains(&origin) && l.contains(reason)),
            "no line names {origin} and {reason:?}:\n{stdout}"
        );
    }
}

#[test]
fn bad_files_and_standard_input_are_reported_too() {
    let db = TestDb::new();
    let folder = db.file("in");
    std::fs::create_dir(&folder).unwrap();
    std::fs::write(folder.join("empty.txt"), "  \n\n").unwrap();
    std::fs::write(folder.join("story.txt"), originals()[4].text()).unwrap();
    let csv = db.file("list.csv");
    std::fs::write(&csv, "id,title\n1,x\n").unwrap();

    let mut child = db
        .command(&[
            "ingest",
            "--json",
            folder.to_str().unwrap(),
            csv.to_str().unwrap(),
            "-",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(format!("{}\nnot json at all\n", good("s1", &originals()[0].text())).as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let summary: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(summary["new"], 2, "{summary:#}");
    let rejected: Vec<(String, String)> = summary["rejected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["origin"].as_str().unwrap().to_string(),
                r["reason"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(rejected.len(), 3, "{rejected:#?}");
    assert_eq!(
        rejected[0].0,
        folder.join("empty.txt").display().to_string()
    );
    assert!(rejected[0].1.contains("empty"), "{rejected:?}");
    assert_eq!(rejected[1].0, csv.display().to_string());
    assert!(rejected[1].1.contains("unknown file type"), "{rejected:?}");
    assert_eq!(rejected[2].0, "<stdin>:2");
    assert!(rejected[2].1.contains("invalid JSON"), "{rejected:?}");
}
