//! Writes a labelled near-duplicate corpus for `newsdedup eval`, built the way syndication edits
//! text, from real articles read from the shared corpora (never copied into the repo).
//!
//! ```sh
//! cargo run --release --example make_labelled -- ../shared /tmp/labelled.jsonl [SEED [hard]]
//! newsdedup eval /tmp/labelled.jsonl
//! ```
//!
//! The generator is `tests/common/labelled.rs` (the quality floors of `tests/quality.rs` score
//! the same records): originals from the extraction benchmark's gold texts and CleanEval, 0–5
//! syndicated copies of each with the edits outlets make. Every record carries `cluster`, the
//! original it copies.

#[path = "../tests/common/labelled.rs"]
mod labelled;

use std::path::Path;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 3 {
        eprintln!("usage: make_labelled SHARED_DIR OUT.jsonl [SEED [hard]]");
        std::process::exit(2);
    }
    let shared = Path::new(&args[1]);
    let seed: u64 = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(7);
    let hard = args.get(4).is_some_and(|a| a == "hard");
    let Some((records, originals)) = labelled::syndication_corpus(shared, seed, hard) else {
        eprintln!("no originals found under {}", shared.display());
        std::process::exit(1);
    };
    labelled::write_records(Path::new(&args[2]), &records).expect("writing the output");
    eprintln!("{} records from {originals} originals", records.len());
}
