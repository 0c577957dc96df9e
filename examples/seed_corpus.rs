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
//! The generator is `tests/common/labelled.rs`, which the quality floors also use.

#[path = "../tests/common/labelled.rs"]
mod labelled;

use std::path::Path;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 3 {
        eprintln!("usage: seed_corpus SHARED_DIR OUT.jsonl");
        std::process::exit(2);
    }
    let records = labelled::seed_corpus(Path::new(&args[1]));
    labelled::write_records(Path::new(&args[2]), &records).expect("writing the output");
}
