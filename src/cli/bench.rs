//! `newsdedup bench extraction`: the article extractor on Scrapinghub's article-extraction
//! benchmark (word 4-gram shingle precision, recall, F1; pages per second on one thread), or the
//! same scoring of a published output file.

use anyhow::{Result, bail};
use newsdedup::config::Config;
use newsdedup::extract::bench::{self, BenchReport};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args, Debug)]
pub struct BenchArgs {
    #[command(subcommand)]
    what: Bench,
}

#[derive(clap::Subcommand, Debug)]
enum Bench {
    /// Article extraction against the benchmark's gold article bodies.
    Extraction(ExtractionArgs),
}

#[derive(clap::Args, Debug)]
struct ExtractionArgs {
    /// The benchmark folder (ground-truth.json, html/*.html.gz, output/*.json). Default:
    /// $NEWSDEDUP_SHARED/bench/extraction, else ../shared/bench/extraction.
    #[arg(long, value_name = "PATH")]
    dir: Option<PathBuf>,
    /// Score this published output file (e.g. output/trafilatura.json) instead of running our
    /// extractor.
    #[arg(long, value_name = "FILE")]
    score_output: Option<PathBuf>,
    /// Print the report (with every page's figures) as JSON.
    #[arg(long)]
    json: bool,
    /// Exit non-zero when F1 is below this.
    #[arg(long, value_name = "X")]
    min_f1: Option<f64>,
    /// Time the extraction this many times and report the fastest round.
    #[arg(long, default_value_t = 3)]
    rounds: usize,
    /// Also list the N pages with the lowest F1.
    #[arg(long, default_value_t = 0, value_name = "N")]
    worst: usize,
}

fn default_dir() -> PathBuf {
    match std::env::var_os("NEWSDEDUP_SHARED") {
        Some(d) if !d.is_empty() => PathBuf::from(d).join("bench/extraction"),
        _ => PathBuf::from("../shared/bench/extraction"),
    }
}

pub async fn run(args: BenchArgs, config: Config) -> Result<ExitCode> {
    let Bench::Extraction(a) = args.what;
    let dir = a.dir.clone().unwrap_or_else(default_dir);
    if !dir.join("ground-truth.json").is_file() {
        bail!(
            "{}: no ground-truth.json here (give --dir or set NEWSDEDUP_SHARED)",
            dir.display()
        );
    }
    let output = a.score_output.clone();
    let rounds = a.rounds;
    let limits = config.limits;
    let report = tokio::task::spawn_blocking(move || match output {
        Some(file) => bench::score_output(&dir, &file),
        None => bench::run(&dir, rounds, &limits),
    })
    .await??;
    if a.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print_report(&report, a.worst);
    }
    if let Some(min) = a.min_f1
        && report.summary.f1.is_none_or(|f1| f1 < min)
    {
        eprintln!(
            "newsdedup: F1 {} is below --min-f1 {min}",
            fixed(report.summary.f1, 4)
        );
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}

fn page_f1(p: &bench::PageScore) -> f64 {
    let (pr, r) = (p.precision.unwrap_or(0.0), p.recall.unwrap_or(0.0));
    if pr + r == 0.0 {
        0.0
    } else {
        2.0 * pr * r / (pr + r)
    }
}

/// A figure to `digits` decimals; "n/a" when it is undefined (a mean over no page).
fn fixed(x: Option<f64>, digits: usize) -> String {
    x.map_or_else(|| "n/a".to_string(), |x| format!("{x:.digits$}"))
}

fn print_report(r: &BenchReport, worst: usize) {
    let s = &r.summary;
    println!(
        "pages {}  precision {}  recall {}  F1 {}",
        r.pages,
        fixed(s.precision, 3),
        fixed(s.recall, 3),
        fixed(s.f1, 3)
    );
    println!(
        "scored {} of {} pages (precision over {}, recall over {}), {} rejected by the extractor \
         (scored as empty), {} skipped",
        r.scored,
        r.pages,
        s.precision_pages,
        s.recall_pages,
        r.rejected.len(),
        r.skipped.len()
    );
    for p in &r.skipped {
        println!("  skipped: {}: {}", p.id, p.reason);
    }
    if let (Some(pps), Some(mbs)) = (r.pages_per_sec, r.mb_per_sec) {
        println!("speed {pps:.1} pages/s, {mbs:.1} MB/s of HTML (one thread, fastest round)");
    }
    for reason in &r.rejected {
        println!("  rejected (scored as empty): {reason}");
    }
    if worst > 0 {
        let mut pages: Vec<_> = r.per_page.iter().collect();
        pages.sort_by(|a, b| page_f1(a).total_cmp(&page_f1(b)));
        for p in pages.into_iter().take(worst) {
            println!(
                "  {}  P {:.3}  R {:.3}  F1 {:.3}",
                p.id,
                p.precision.unwrap_or(0.0),
                p.recall.unwrap_or(0.0),
                page_f1(p)
            );
        }
    }
}
