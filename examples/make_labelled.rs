//! Writes a labelled near-duplicate corpus for `newsdedup eval`, built the way syndication edits
//! text, from real articles read from the shared corpora (never copied into the repo).
//!
//! ```sh
//! cargo run --release --example make_labelled -- ../shared /tmp/labelled.jsonl [SEED [hard|templates]] \
//!     [--furniture written|harvested]
//! newsdedup eval /tmp/labelled.jsonl
//! ```
//!
//! `--furniture` picks the outlets' furniture: `written` (the default) is the generator's own
//! lines, `harvested` the blocks of the extraction benchmark's real pages outside their article
//! text (`tests/common/furniture.rs`), which the fixed furniture rules were not written from.
//!
//! The generator is `tests/common/labelled.rs` (the quality floors of `tests/quality.rs` score
//! the same records): originals from the extraction benchmark's gold texts and CleanEval, 0–5
//! syndicated copies of each with the edits outlets make. Every record carries `cluster`, the
//! original it copies. `templates` writes template stories (an original with its names and
//! figures substituted) among copies of the original instead.

#[path = "../tests/common/labelled.rs"]
mod labelled;

use std::path::Path;

const USAGE: &str = "usage: make_labelled SHARED_DIR OUT.jsonl [SEED [hard|templates]] [--furniture written|harvested]";

fn main() {
    let mut args: Vec<String> = std::env::args().collect();
    let mut source = labelled::Furniture::Written;
    if let Some(i) = args.iter().position(|a| a == "--furniture") {
        let Some(s) = args.get(i + 1).and_then(|s| labelled::Furniture::parse(s)) else {
            eprintln!("{USAGE}");
            std::process::exit(2);
        };
        source = s;
        args.drain(i..i + 2);
    }
    if args.len() < 3 {
        eprintln!("{USAGE}");
        std::process::exit(2);
    }
    let shared = Path::new(&args[1]);
    let seed: u64 = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(7);
    let kind = args.get(4).map(String::as_str).unwrap_or("easy");
    let built = if kind == "templates" {
        labelled::template_corpus(shared, seed).map(|r| (r, 0))
    } else {
        labelled::syndication_corpus(shared, seed, kind == "hard", source)
    };
    let Some((records, originals)) = built else {
        eprintln!("no originals found under {}", shared.display());
        std::process::exit(1);
    };
    labelled::write_records(Path::new(&args[2]), &records).expect("writing the output");
    eprintln!("{} records from {originals} originals", records.len());
}
