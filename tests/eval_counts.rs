//! `newsdedup eval` says what its scores are over: the records of the corpus, the labelled items
//! scored, and those missing from the prediction (a rejected record), which count as singletons.

mod common;

use common::TestDb;

const TEXT: &str = "A strong storm hit the northern coast on Monday, cutting power to thousands of \
                    homes and closing the main road between the two largest towns for most of \
                    the day, officials said.";

/// Three records of one cluster and story; the third has no text and is rejected.
fn corpus(db: &TestDb) -> std::path::PathBuf {
    let record = |id: &str, source: &str, text: Option<&str>| {
        let mut v = serde_json::json!({
            "id": id, "source": source, "title": "Storm hits coast",
            "cluster": "c1", "story": "s1",
        });
        if let Some(t) = text {
            v["text"] = t.into();
        }
        v.to_string()
    };
    let path = db.file("labelled.jsonl");
    let lines = [
        record("a1", "s1", Some(TEXT)),
        record("a2", "s2", Some(TEXT)),
        record("a3", "s3", None),
    ];
    std::fs::write(&path, lines.join("\n") + "\n").expect("writing the corpus");
    path
}

#[test]
fn a_rejected_record_is_counted_and_scored_as_a_singleton() {
    let db = TestDb::new();
    let path = corpus(&db);
    let path = path.to_str().expect("a UTF-8 path");

    let v = db.run_json(&["eval", path, "--json"]);
    assert_eq!(v["documents"], 3);
    assert_eq!(v["labelled"]["clusters"], 3);
    assert_eq!(v["labelled"]["stories"], 3);
    let run = &v["runs"][0];
    assert_eq!(run["rejected_documents"], 1);
    assert_eq!(run["rejected"].as_array().map(Vec::len), Some(1));
    for part in ["clusters", "stories"] {
        let s = &run[part]["scores"];
        assert_eq!(
            (&s["items"], &s["scored"], &s["missing"]),
            (&3.into(), &2.into(), &1.into()),
            "{part}: {s}"
        );
        // a1 and a2 together, a3 apart: one true pair of the three gold pairs.
        assert_eq!((&s["true_pairs"], &s["gold_pairs"]), (&1.into(), &3.into()));
    }

    let db = TestDb::new();
    let path = corpus(&db);
    let text = db.run_ok(&["eval", path.to_str().expect("a UTF-8 path")]);
    let clusters = text
        .lines()
        .find(|l| l.starts_with("clusters "))
        .unwrap_or_else(|| panic!("no clusters line in:\n{text}"));
    assert!(
        clusters.ends_with("scored 2 of 3, 1 not in the store (counted as singletons)"),
        "{clusters}"
    );
    assert!(
        text.contains("1 documents rejected (first: ")
            && text.contains("each counts as a singleton in the prediction"),
        "{text}"
    );
    assert!(
        text.contains("corpus: 3 records, 3 with a cluster label, 3 with a story label"),
        "{text}"
    );
}
