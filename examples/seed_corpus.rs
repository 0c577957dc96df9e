//! Writes the labelled story corpus: the five seed reports (one story) and the 181 gold texts of
//! the extraction benchmark as distractors (each its own story), read from the shared folder.
//!
//! ```sh
//! cargo run --release --example seed_corpus -- ../shared /tmp/seeds+distractors.jsonl
//! newsdedup eval /tmp/seeds+distractors.jsonl --orders 5
//! ```
//!
//! Gold labels: `cluster` is the record's own id (no two are copies); `story` is `seeds` for the
//! seeds and the record's own id for a distractor. Distractors that really report the same news
//! as each other therefore count against precision: the note in docs/BENCHMARKS.md lists them.

use newsdedup::ingest::split_title;
use serde_json::json;
use std::io::Write;
use std::path::Path;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 3 {
        eprintln!("usage: seed_corpus SHARED_DIR OUT.jsonl");
        std::process::exit(2);
    }
    let shared = Path::new(&args[1]);
    let mut out =
        std::io::BufWriter::new(std::fs::File::create(&args[2]).expect("creating the output"));
    let mut seeds: Vec<_> = std::fs::read_dir(shared.join("corpus/seeds"))
        .expect("the seeds folder")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "txt"))
        .collect();
    seeds.sort();
    for p in &seeds {
        let text = std::fs::read_to_string(p).expect("a seed");
        let id = p.file_stem().unwrap().to_string_lossy().into_owned();
        let (title, _) = split_title(&text);
        let rec = json!({"id": id, "source": id, "title": title, "text": text, "cluster": id, "story": "seeds"});
        writeln!(out, "{rec}").expect("writing");
    }
    let gt: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(shared.join("bench/extraction/ground-truth.json"))
            .expect("ground truth"),
    )
    .expect("JSON");
    let mut entries: Vec<_> = gt.as_object().expect("object").iter().collect();
    entries.sort_by_key(|e| e.0);
    for (id, v) in entries {
        let rec = json!({"id": id, "url": v["url"], "text": v["articleBody"], "cluster": id, "story": id});
        writeln!(out, "{rec}").expect("writing");
    }
}
