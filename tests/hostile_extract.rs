//! Hostile pages for the HTML extractor, through the binary: pages nested 100k and 1M deep
//! (generated here) extract in bounded time and memory, measured by the kernel, with their text;
//! a page past `extract_time` is rejected by name, by `extract` and by `ingest`, and the other
//! documents of the ingest are stored.

mod common;

use common::TestDb;
use common::measured::run_measured;
use serde_json::{Value, json};
use std::time::Duration;

const FIRST: &str = "The council met on Tuesday to discuss the budget, and the mayor said the \
                     plan would go ahead despite the objections of the opposition.";
const DEEP: &str = "Deep in the page, the second half of the report, with a comma, and more words \
                    about the vote that followed.";

/// An article, then `levels` nested `<div>`s holding more of it (the outer article hidden when
/// `deep_is_article`, so the deep part is what the extractor must find).
fn deep_page(levels: usize, deep_is_article: bool) -> String {
    let hidden = if deep_is_article { " hidden" } else { "" };
    format!(
        "<html><head><title>Budget</title></head><body><article{hidden}><p>{FIRST}</p>\
         <p>{FIRST}</p></article>{}<p>{DEEP}</p>{}<p>After the deep part.</p></body></html>",
        "<div>".repeat(levels),
        "</div>".repeat(levels)
    )
}

#[test]
fn deeply_nested_pages_extract_in_bounded_time_and_memory() {
    let db = TestDb::new();
    for levels in [100_000, 1_000_000] {
        for deep_is_article in [false, true] {
            let path = db.file(&format!("deep-{levels}-{deep_is_article}.html"));
            std::fs::write(&path, deep_page(levels, deep_is_article)).unwrap();
            let run = run_measured(
                db.command(&["extract", path.to_str().unwrap()]),
                Duration::from_secs(30),
            );
            let what = format!("{levels} levels");
            run.assert_bounded(&what, 300);
            assert!(run.output.status.success(), "{what}: {}", run.stderr());
            let want = if deep_is_article { DEEP } else { FIRST };
            assert!(run.stdout().contains(want), "{what}: {}", run.stdout());
        }
    }
}

#[test]
fn a_page_past_the_time_limit_is_rejected_by_name() {
    let db = TestDb::new();
    let path = db.file("slow.html");
    std::fs::write(&path, deep_page(10, false)).unwrap();
    let out = db
        .command(&["extract", path.to_str().unwrap()])
        .env("NEWSDEDUP_LIMITS__EXTRACT_TIME", "1ns")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains(&format!("{}: extraction time", path.display()))
            && stderr.contains("extract_time"),
        "{stderr}"
    );
    // Within the default limit the same page extracts.
    let out = db.run(&["extract", path.to_str().unwrap()]);
    assert!(out.status.success(), "{out:?}");
}

#[test]
fn ingest_rejects_the_slow_document_and_stores_the_others() {
    let db = TestDb::new();
    let path = db.file("export.jsonl");
    let lines = [
        json!({"id": "1", "source": "Example News", "title": "Budget", "text": FIRST}),
        json!({"id": "2", "source": "Example News", "html": deep_page(10, false)}),
        json!({"id": "3", "source": "Example News", "title": "Vote", "text": DEEP}),
    ];
    let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
    std::fs::write(&path, text).unwrap();
    let out = db
        .command(&["ingest", "--json", path.to_str().unwrap()])
        .env("NEWSDEDUP_LIMITS__EXTRACT_TIME", "1ns")
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let summary: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(summary["new"], 2, "{summary}");
    let rejected = summary["rejected"].as_array().unwrap();
    assert_eq!(rejected.len(), 1, "{summary:#}");
    assert_eq!(rejected[0]["origin"], format!("{}:2", path.display()));
    let reason = rejected[0]["reason"].as_str().unwrap();
    assert!(
        reason.starts_with("extraction time") && reason.contains("extract_time"),
        "{reason}"
    );
}
