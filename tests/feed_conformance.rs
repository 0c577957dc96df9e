//! The feed parser over gofeed's and feedparser's test suites (`$NEWSDEDUP_SHARED/bench/feeds`):
//! no crash, no hang; per corpus, exactly the files and checks counted when it was last measured
//! (so a file silently dropped, or a check silently moved out of the rate, fails), and no pass
//! count below what was measured then. A feedparser check the evaluator cannot evaluate is a
//! failure unless `src/feeds/conformance_not_applicable.txt` lists it, and a stale entry there
//! fails too. `newsdedup conformance feeds` prints the current figures; docs/FEEDS.md explains
//! them. Without the shared folder the test prints a notice and passes, except under `CI=true`.

mod common;

use newsdedup::feeds::conformance::{CheckTally, DEFAULT_TIMEOUT, run};

/// gofeed: files with an expectation, compared; all files parsed; files parsed without one.
const GOFEED_COMPARED: usize = 539;
const GOFEED_PARSED: usize = 552;
const GOFEED_NOT_COMPARED: usize = 13;

/// gofeed, per field: the comparisons made (exactly) and the passes (a floor), as measured.
const GOFEED_FIELDS: &[(&str, usize, usize)] = &[
    ("entry.author", 33, 32),
    ("entry.content", 28, 28),
    ("entry.enclosures", 11, 11),
    ("entry.guid", 17, 17),
    ("entry.link", 22, 22),
    ("entry.published", 13, 13),
    ("entry.summary", 46, 46),
    ("entry.title", 55, 55),
    ("entry.updated", 11, 11),
    ("feed.description", 37, 37),
    ("feed.link", 20, 20),
    ("feed.title", 60, 60),
];

/// feedparser: files read, and those without an `Expect:` line (not compared).
const FEEDPARSER_FILES: usize = 2107;
const FEEDPARSER_WITHOUT_EXPECT: usize = 0;
/// feedparser files we could not parse, all listed as checks that read no field.
const FEEDPARSER_NOT_PARSED: &[&str] = &["illformed/rss_empty_document.xml"];

/// One part of feedparser's tests as measured: its checks (one a file), those applicable
/// (exactly), and the passes among them (a floor).
struct Measured {
    checks: usize,
    applicable: usize,
    pass: usize,
}

/// Everything outside `wellformed/sanitize/`.
const OUTSIDE_SANITIZE: Measured = Measured {
    checks: 1362,
    applicable: 739,
    pass: 715,
};

/// `wellformed/sanitize/` (sanitising HTML, which we do not do).
const SANITIZE: Measured = Measured {
    checks: 745,
    applicable: 680,
    pass: 376,
};

fn check_part(what: &str, got: &CheckTally, want: &Measured, regressions: &mut Vec<String>) {
    eprintln!(
        "feedparser {what}: {} checks, {} of {} applicable pass, {} not applicable",
        got.checks(),
        got.pass,
        got.applicable(),
        got.not_applicable
    );
    if got.checks() != want.checks {
        regressions.push(format!(
            "feedparser {what}: {} checks, measured {}",
            got.checks(),
            want.checks
        ));
    }
    if got.applicable() != want.applicable {
        regressions.push(format!(
            "feedparser {what}: {} applicable checks, measured {}",
            got.applicable(),
            want.applicable
        ));
    }
    if got.pass < want.pass {
        regressions.push(format!(
            "feedparser {what}: {} checks pass, measured {}",
            got.pass, want.pass
        ));
    }
}

#[test]
fn feed_parser_conformance_does_not_regress() {
    // The suites are under bench/feeds of the shared folder, which `run` is given.
    if common::shared_path("bench/feeds").is_none() {
        return;
    }
    let shared = common::shared_dir().expect("the shared folder holding bench/feeds");
    let report = run(&shared, DEFAULT_TIMEOUT).expect("the list of not-applicable checks reads");

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
    let counts = [
        (
            "gofeed files compared",
            gofeed.compared_files,
            GOFEED_COMPARED,
        ),
        ("gofeed files parsed", gofeed.parsed_files, GOFEED_PARSED),
        (
            "gofeed files not compared",
            gofeed.not_compared.len(),
            GOFEED_NOT_COMPARED,
        ),
        ("gofeed parse errors", gofeed.errors.len(), 0),
        ("feedparser files", feedparser.files, FEEDPARSER_FILES),
        (
            "feedparser files without a check",
            feedparser.without_expect.len(),
            FEEDPARSER_WITHOUT_EXPECT,
        ),
    ];
    for (what, got, want) in counts {
        if got != want {
            regressions.push(format!("{what}: {got}, measured {want}"));
        }
    }
    let not_parsed: Vec<&str> = feedparser.errors.iter().map(|e| e.file.as_str()).collect();
    if not_parsed != FEEDPARSER_NOT_PARSED {
        regressions.push(format!(
            "feedparser files not parsed: {:?}, measured {FEEDPARSER_NOT_PARSED:?}",
            feedparser.errors
        ));
    }

    let fields: Vec<&str> = gofeed.fields.keys().map(String::as_str).collect();
    let measured: Vec<&str> = GOFEED_FIELDS.iter().map(|f| f.0).collect();
    if fields != measured {
        regressions.push(format!(
            "gofeed fields compared: {fields:?}, measured {measured:?}"
        ));
    }
    for (field, total, pass) in GOFEED_FIELDS {
        let Some(score) = gofeed.fields.get(*field) else {
            continue;
        };
        eprintln!("gofeed {field}: {} of {} pass", score.pass, score.total);
        if score.total != *total {
            regressions.push(format!(
                "gofeed {field}: {} comparisons, measured {total}",
                score.total
            ));
        }
        if score.pass < *pass {
            regressions.push(format!(
                "gofeed {field}: {} of {} pass, measured {pass}; failures: {:#?}",
                score.pass, score.total, score.failures
            ));
        }
    }

    check_part(
        "outside sanitize/",
        &feedparser.headline,
        &OUTSIDE_SANITIZE,
        &mut regressions,
    );
    check_part(
        "sanitize/",
        &feedparser.sanitize,
        &SANITIZE,
        &mut regressions,
    );
    if !feedparser.unlisted.is_empty() {
        regressions.push(format!(
            "feedparser checks not evaluated and not in src/feeds/conformance_not_applicable.txt \
             (each counted as a failure; list it with its reason or make it evaluable): {:#?}",
            feedparser.unlisted
        ));
    }
    if !feedparser.stale.is_empty() {
        regressions.push(format!(
            "stale entries in src/feeds/conformance_not_applicable.txt (no check needs them): {:#?}",
            feedparser.stale
        ));
    }
    if feedparser.headline.pass < OUTSIDE_SANITIZE.pass {
        regressions.push(format!(
            "feedparser failures outside sanitize/: {:#?}",
            feedparser.failures
        ));
    }
    assert!(regressions.is_empty(), "{}", regressions.join("\n"));
}
