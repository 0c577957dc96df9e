//! `newsdedup conformance feeds`: runs the feed parser over gofeed's and feedparser's test suites
//! and prints pass rates per field, crashes and hangs.

use super::output::table;
use anyhow::{Context, Result, bail};
use newsdedup::feeds::conformance::{ConformanceReport, run};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

#[derive(clap::Args, Debug)]
pub struct ConformanceArgs {
    #[command(subcommand)]
    what: Suite,
}

#[derive(clap::Subcommand, Debug)]
enum Suite {
    /// Feed parsing against gofeed's and feedparser's test data.
    Feeds(FeedsArgs),
}

#[derive(clap::Args, Debug)]
struct FeedsArgs {
    /// The shared folder holding bench/feeds/gofeed and bench/feeds/feedparser.
    #[arg(
        long,
        env = "NEWSDEDUP_SHARED",
        default_value = "../shared",
        value_name = "DIR"
    )]
    shared: PathBuf,
    /// Print the whole report (with every failure) as JSON.
    #[arg(long)]
    json: bool,
    /// Seconds one file may take before it counts as a hang.
    #[arg(long, default_value_t = 10)]
    timeout: u64,
    /// Show this many failures per field (and of feedparser's checks).
    #[arg(long, default_value_t = 0)]
    failures: usize,
}

pub async fn run_cmd(args: ConformanceArgs) -> Result<ExitCode> {
    let Suite::Feeds(a) = args.what;
    if !a.shared.join("bench/feeds").is_dir() {
        bail!(
            "{}: no bench/feeds folder here (set --shared or NEWSDEDUP_SHARED)",
            a.shared.display()
        );
    }
    let shared = a.shared.clone();
    let timeout = Duration::from_secs(a.timeout.max(1));
    let report = tokio::task::spawn_blocking(move || run(&shared, timeout))
        .await
        .context("the conformance run stopped")??;
    if a.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print_report(&report, a.failures);
    }
    Ok(if report.crashes() + report.hangs() > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// A rate as a percentage; "n/a" when nothing was counted.
fn pct(r: Option<f64>) -> String {
    r.map_or_else(|| "n/a".to_string(), |r| format!("{:.1}%", r * 100.0))
}

fn print_report(r: &ConformanceReport, show: usize) {
    if let Some(g) = &r.gofeed {
        println!(
            "gofeed: {} files compared ({} parsed, {} not compared), {} of {} checks pass ({}), \
             {} parse errors, {} read by the fallback, {} crashes, {} hangs",
            g.compared_files,
            g.parsed_files,
            g.not_compared.len(),
            g.passed(),
            g.checks(),
            pct(newsdedup::feeds::conformance::ratio(g.passed(), g.checks())),
            g.errors.len(),
            g.fallback.len(),
            g.crashes.len(),
            g.hangs.len()
        );
        let mut t = table(&["field", "pass", "total", "rate", "extra"]);
        for (name, s) in &g.fields {
            t.add_row(vec![
                name.clone(),
                s.pass.to_string(),
                s.total.to_string(),
                pct(s.rate()),
                s.extra.to_string(),
            ]);
        }
        println!("{t}");
        for (name, s) in &g.fields {
            for f in s.failures.iter().take(show) {
                println!("  {name}: {f}");
            }
        }
        for e in g.errors.iter().take(show) {
            println!("  error: {}: {}", e.file, e.what);
        }
        for e in g.not_compared.iter().take(show) {
            println!("  not compared: {}: {}", e.file, e.what);
        }
        for c in g.crashes.iter().chain(g.hangs.iter()) {
            println!("  CRASH/HANG {}: {}", c.file, c.what);
        }
    }
    if let Some(f) = &r.feedparser {
        println!(
            "\nfeedparser: {} files, {} with a check ({} without); outside sanitize/: {} checks, \
             {} of {} applicable pass ({}), {} not applicable; sanitize/: {} checks, {} of {} \
             applicable pass ({}), {} not applicable; {} files not parsed, {} read by the \
             fallback; {} crashes, {} hangs",
            f.files,
            f.headline.checks() + f.sanitize.checks(),
            f.without_expect.len(),
            f.headline.checks(),
            f.headline.pass,
            f.headline.applicable(),
            pct(f.headline.rate()),
            f.headline.not_applicable,
            f.sanitize.checks(),
            f.sanitize.pass,
            f.sanitize.applicable(),
            pct(f.sanitize.rate()),
            f.sanitize.not_applicable,
            f.errors.len(),
            f.fallback.len(),
            f.crashes.len(),
            f.hangs.len()
        );
        let mut t = table(&["folder", "pass", "fail", "rate", "not applicable"]);
        for (name, s) in &f.by_folder {
            t.add_row(vec![
                name.clone(),
                s.pass.to_string(),
                s.fail.to_string(),
                pct(s.rate()),
                s.not_applicable.to_string(),
            ]);
        }
        println!("{t}");
        println!(
            "not applicable only as listed ({} entries in src/feeds/conformance_not_applicable.txt): \
             {} checks not evaluated and not listed (counted as failures), {} entries stale",
            f.listed,
            f.unlisted.len(),
            f.stale.len()
        );
        for x in &f.unlisted {
            println!("  not listed: {x}");
        }
        for x in &f.stale {
            println!("  stale entry: {x}");
        }
        for x in f.failures.iter().take(show) {
            println!("  {x}");
        }
        for e in f.errors.iter().take(show) {
            println!("  not parsed: {}: {}", e.file, e.what);
        }
        for c in f.crashes.iter().chain(f.hangs.iter()) {
            println!("  CRASH/HANG {}: {}", c.file, c.what);
        }
    }
}
