//! `newsdedup ingest`: store documents from files, folders or standard input.
//!
//! In: paths, options and the config. Out: the documents stored, a summary listing every
//! rejection, and the exit status: 0 when the inputs were read (rejections included), 1 with
//! `--strict` when any input was rejected, 130 when interrupted.

use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use newsdedup::config::Config;
use newsdedup::ingest::ReadOptions;
use newsdedup::pipeline::{Outcome, Pipeline, ingest_paths};
use newsdedup::store::{Store, StoreOptions};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

#[derive(clap::Args, Debug)]
pub struct IngestArgs {
    /// Files or folders to read; - reads JSON Lines from standard input.
    #[arg(required = true, value_name = "PATH")]
    paths: Vec<PathBuf>,
    /// Source name for every document (default: the record's "source", or the file name).
    #[arg(long)]
    source: Option<String>,
    /// Do not update the full-text index.
    #[arg(long)]
    no_full_text: bool,
    /// Print the summary as JSON.
    #[arg(long)]
    json: bool,
    /// Exit with status 1 when any record or file was rejected (by default rejections are
    /// reported and the exit status is 0).
    #[arg(long)]
    strict: bool,
}

pub async fn run(args: IngestArgs, mut config: Config) -> Result<ExitCode> {
    if args.no_full_text {
        config.database.full_text = false;
    }
    let db = config.database.path.clone();
    let limits = config.limits.clone();
    // A bulk load: the writer gets the larger cache its transactions need.
    let options = StoreOptions {
        cache_mib: config.ingest.cache_mib,
        ..StoreOptions::from(&config.database)
    };
    let store = Store::open(&db, options).await?;
    let mut pipeline = Pipeline::open(store, config)
        .await
        .context("restoring state from the database")?;

    let stop = Arc::new(AtomicBool::new(false));
    {
        let stop = stop.clone();
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                tracing::warn!("interrupted: finishing the current batch");
                stop.store(true, Ordering::Relaxed);
            }
        });
    }
    let bar = ProgressBar::new_spinner();
    bar.set_style(
        ProgressStyle::with_template("{spinner} {pos} documents ({per_sec}) {msg}")
            .expect("static template"),
    );
    let (mut new, mut dup) = (0u64, 0u64);
    let started = std::time::Instant::now();
    let opts = ReadOptions {
        source: args.source,
        limits,
    };
    let summary = ingest_paths(&mut pipeline, args.paths, opts, stop.clone(), |o| {
        bar.inc(1);
        match o {
            Outcome::New { .. } => new += 1,
            Outcome::NearDuplicate { .. } => dup += 1,
            _ => {}
        }
        if bar.position().is_multiple_of(256) {
            bar.set_message(format!("{new} new, {dup} near-duplicate"));
        }
    })
    .await?;
    bar.finish_and_clear();
    pipeline.close().await?;
    let secs = started.elapsed().as_secs_f64();

    if args.json {
        println!("{}", serde_json::to_string_pretty(&summary)?);
    } else {
        println!(
            "{} documents in {:.1}s: {} new ({} with too little reporting of their own to cluster), {} near-duplicate, {} updated, {} unchanged, {} rejected",
            summary.total(),
            secs,
            summary.new,
            summary.unreported,
            summary.near_duplicate,
            summary.updated,
            summary.unchanged,
            summary.rejected.len()
        );
        for r in &summary.rejected {
            println!("  rejected {}: {}", r.origin, r.reason);
        }
        println!("database: {}", db.display());
    }
    if stop.load(Ordering::Relaxed) {
        eprintln!("newsdedup: interrupted; what was read so far is stored");
        return Ok(ExitCode::from(130));
    }
    if args.strict && !summary.rejected.is_empty() {
        eprintln!(
            "newsdedup: {} input(s) rejected (--strict); the rest is stored",
            summary.rejected.len()
        );
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}
