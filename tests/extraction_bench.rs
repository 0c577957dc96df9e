//! The article extractor on Scrapinghub's article-extraction benchmark
//! (`$NEWSDEDUP_SHARED/bench/extraction`: 181 pages, gold article bodies, published outputs of
//! other extractors): the scorer reproduces the published figures, and our F1 stays above the
//! floor recorded when it was last measured (`newsdedup bench extraction` prints the current
//! figures; docs/BENCHMARKS.md section 7 has them). Without the shared folder the test prints a
//! notice and passes, except under `CI=true`.

use newsdedup::extract::bench;
use std::path::{Path, PathBuf};

/// Mean-per-page word 4-gram shingle F1, precision and recall, as measured (0.9747, 0.9676,
/// 0.9819), less a small margin.
const FLOOR_F1: f64 = 0.972;
const FLOOR_PRECISION: f64 = 0.964;
const FLOOR_RECALL: f64 = 0.978;

fn bench_dir() -> Option<PathBuf> {
    let shared = match std::env::var_os("NEWSDEDUP_SHARED") {
        Some(d) if !d.is_empty() => PathBuf::from(d),
        _ => Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared"),
    };
    let dir = shared.join("bench/extraction");
    if dir.join("ground-truth.json").is_file() {
        return Some(dir);
    }
    let ci = std::env::var("CI").is_ok_and(|v| v == "true");
    assert!(
        !ci,
        "CI=true but the extraction benchmark is missing at {} (set NEWSDEDUP_SHARED)",
        dir.display()
    );
    eprintln!(
        "notice: extraction benchmark not found at {} (set NEWSDEDUP_SHARED); skipping",
        dir.display()
    );
    None
}

#[test]
fn the_scorer_reproduces_the_published_figures() {
    let Some(dir) = bench_dir() else { return };
    for (file, f1, precision, recall) in [
        ("trafilatura.json", 0.958, 0.938, 0.978),
        ("readability_js.json", 0.947, 0.914, 0.982),
    ] {
        let r = bench::score_output(&dir, &dir.join("output").join(file)).expect(file);
        let s = r.summary;
        let round = |x: f64| (x * 1000.0).round() / 1000.0;
        assert_eq!(
            (round(s.f1), round(s.precision), round(s.recall)),
            (f1, precision, recall),
            "{file}: {s:?}"
        );
    }
}

#[test]
fn extraction_f1_does_not_regress() {
    let Some(dir) = bench_dir() else { return };
    let r = bench::run(&dir, 1, &newsdedup::limits::Limits::default()).expect("the benchmark runs");
    let s = r.summary;
    eprintln!(
        "extraction: {} pages, precision {:.4}, recall {:.4}, F1 {:.4}, {:.0} pages/s (this build)",
        r.pages,
        s.precision,
        s.recall,
        s.f1,
        r.pages_per_sec.unwrap_or(0.0)
    );
    assert_eq!(r.pages, 181);
    assert!(s.f1 >= FLOOR_F1, "F1 {:.4} < floor {FLOOR_F1}", s.f1);
    assert!(
        s.precision >= FLOOR_PRECISION,
        "precision {:.4} < floor {FLOOR_PRECISION}",
        s.precision
    );
    assert!(
        s.recall >= FLOOR_RECALL,
        "recall {:.4} < floor {FLOOR_RECALL}",
        s.recall
    );
}
