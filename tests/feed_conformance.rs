//! The feed parser over gofeed's and feedparser's test suites (`$NEWSDEDUP_SHARED/bench/feeds`):
//! no crash, no hang, and no pass rate below the floor recorded when it was last measured
//! (`newsdedup conformance feeds` prints the current figures; docs/FEEDS.md explains them).
//! Without the shared folder the test prints a notice and passes, except under `CI=true`.

use newsdedup::feeds::conformance::{DEFAULT_TIMEOUT, run};
use std::path::{Path, PathBuf};

/// Pass rates (percent) per gofeed field, as measured, rounded down to 0.1 point.
const GOFEED_FLOORS: &[(&str, f64)] = &[
    ("feed.title", 100.0),
    ("feed.link", 100.0),
    ("feed.description", 100.0),
    ("entry.title", 100.0),
    ("entry.link", 100.0),
    ("entry.guid", 100.0),
    ("entry.published", 100.0),
    ("entry.updated", 100.0),
    ("entry.author", 96.9),
    ("entry.summary", 100.0),
    ("entry.content", 100.0),
    ("entry.enclosures", 100.0),
];

/// Share (percent) of applicable feedparser checks outside `sanitize/` that pass.
const FEEDPARSER_FLOOR: f64 = 96.6;

fn shared_dir() -> Option<PathBuf> {
    let dir = match std::env::var_os("NEWSDEDUP_SHARED") {
        Some(d) if !d.is_empty() => PathBuf::from(d),
        _ => Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared"),
    };
    if dir.join("bench/feeds").is_dir() {
        return Some(dir);
    }
    let ci = std::env::var("CI").is_ok_and(|v| v == "true");
    assert!(
        !ci,
        "CI=true but the shared test data is missing at {} (set NEWSDEDUP_SHARED)",
        dir.display()
    );
    eprintln!(
        "notice: feed test suites not found at {}/bench/feeds (set NEWSDEDUP_SHARED); skipping",
        dir.display()
    );
    None
}

#[test]
fn feed_parser_conformance_does_not_regress() {
    let Some(shared) = shared_dir() else { return };
    let report = run(&shared, DEFAULT_TIMEOUT);

    let gofeed = report.gofeed.as_ref().expect("gofeed test data present");
    let feedparser = report
        .feedparser
        .as_ref()
        .expect("feedparser tests present");
    assert!(
        gofeed.crashes.is_empty() && feedparser.crashes.is_empty(),
        "crashes: {:?} {:?}",
        gofeed.crashes,
        feedparser.crashes
    );
    assert!(
        gofeed.hangs.is_empty() && feedparser.hangs.is_empty(),
        "hangs: {:?} {:?}",
        gofeed.hangs,
        feedparser.hangs
    );

    let mut regressions = Vec::new();
    for (field, floor) in GOFEED_FLOORS {
        let Some(score) = gofeed.fields.get(*field) else {
            regressions.push(format!("gofeed {field}: no longer measured"));
            continue;
        };
        let rate = score.rate() * 100.0;
        eprintln!(
            "gofeed {field}: {}/{} = {rate:.1}%",
            score.pass, score.total
        );
        if rate + 1e-9 < *floor {
            regressions.push(format!(
                "gofeed {field}: {rate:.1}% < floor {floor}%; failures: {:#?}",
                score.failures
            ));
        }
    }
    let rate = feedparser.headline.rate() * 100.0;
    eprintln!(
        "feedparser outside sanitize/: {}/{} = {rate:.1}% ({} not applicable)",
        feedparser.headline.pass,
        feedparser.headline.pass + feedparser.headline.fail,
        feedparser.headline.not_applicable
    );
    if rate + 1e-9 < FEEDPARSER_FLOOR {
        regressions.push(format!(
            "feedparser: {rate:.1}% < floor {FEEDPARSER_FLOOR}%; failures: {:#?}",
            feedparser.failures
        ));
    }
    assert!(regressions.is_empty(), "{}", regressions.join("\n"));
}
