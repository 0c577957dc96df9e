//! The article extractor on Scrapinghub's article-extraction benchmark
//! (`$NEWSDEDUP_SHARED/bench/extraction`: 181 pages, gold article bodies, published outputs of
//! other extractors): the scorer reproduces the published figures, and our F1 stays above the
//! floor recorded when it was last measured (`newsdedup bench extraction` prints the current
//! figures; docs/BENCHMARKS.md section 7 has them), over every one of the 181 pages (none
//! rejected by the extractor or skipped). Without the shared folder the test prints a
//! notice and passes, except under `CI=true`.

mod common;

use newsdedup::extract::bench;
use std::path::PathBuf;

/// Mean-per-page word 4-gram shingle F1, precision and recall, as measured (0.9747, 0.9676,
/// 0.9819), less a small margin.
const FLOOR_F1: f64 = 0.972;
const FLOOR_PRECISION: f64 = 0.964;
const FLOOR_RECALL: f64 = 0.978;

/// The benchmark's gold pages: all are scored, in the precision and the recall mean.
const PAGES: usize = 181;

fn bench_dir() -> Option<PathBuf> {
    common::shared_path("bench/extraction/ground-truth.json")
        .map(|gold| gold.parent().expect("the benchmark's folder").to_path_buf())
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
        let round = |x: Option<f64>| x.map(|x| (x * 1000.0).round() / 1000.0);
        assert_eq!(
            (round(s.f1), round(s.precision), round(s.recall)),
            (Some(f1), Some(precision), Some(recall)),
            "{file}: {s:?}"
        );
        // Both tools extracted something from every page.
        assert_eq!(
            (r.pages, r.scored, s.precision_pages, s.recall_pages),
            (181, 181, 181, 181),
            "{file}"
        );
    }
}

#[test]
fn extraction_f1_does_not_regress() {
    let Some(dir) = bench_dir() else { return };
    let r = bench::run(&dir, 1, &newsdedup::limits::Limits::default()).expect("the benchmark runs");
    let s = r.summary;
    let (precision, recall, f1) = (
        s.precision.expect("a precision over some pages"),
        s.recall.expect("a recall over some pages"),
        s.f1.expect("an F1"),
    );
    eprintln!(
        "extraction: {} pages, {} scored (precision over {}, recall over {}), precision \
         {precision:.4}, recall {recall:.4}, F1 {f1:.4}, {:.0} pages/s (this build)",
        r.pages,
        r.scored,
        s.precision_pages,
        s.recall_pages,
        r.pages_per_sec.unwrap_or(0.0)
    );
    // Every gold page is scored, in both means: none rejected by the extractor (which would
    // score it as empty), none skipped.
    assert!(r.rejected.is_empty(), "rejected: {:#?}", r.rejected);
    assert!(r.skipped.is_empty(), "skipped: {:#?}", r.skipped);
    assert_eq!(
        (r.pages, r.scored, s.precision_pages, s.recall_pages),
        (PAGES, PAGES, PAGES, PAGES)
    );
    assert!(f1 >= FLOOR_F1, "F1 {f1:.4} < floor {FLOOR_F1}");
    assert!(
        precision >= FLOOR_PRECISION,
        "precision {precision:.4} < floor {FLOOR_PRECISION}"
    );
    assert!(
        recall >= FLOOR_RECALL,
        "recall {recall:.4} < floor {FLOOR_RECALL}"
    );
}
