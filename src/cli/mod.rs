//! Command-line interface: argument parsing, logging set-up, and one module per command.

mod bench;
mod clusters;
mod conformance;
mod daemon;
mod eval;
mod extract;
mod feeds;
mod ingest;
mod output;
mod stories;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use newsdedup::config::{Config, LogFormat};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser, Debug)]
#[command(
    name = "newsdedup",
    version,
    about = "Groups copies of the same news story and shows where sources differ, in one SQLite file."
)]
struct Args {
    /// The SQLite database (default: database.path of the config, "newsdedup.db").
    #[arg(long, global = true, env = "NEWSDEDUP_DB", value_name = "PATH")]
    db: Option<PathBuf>,
    /// A TOML config file overriding the built-in default (config/newsdedup.toml).
    #[arg(long, global = true, env = "NEWSDEDUP_CONFIG", value_name = "FILE")]
    config: Option<PathBuf>,
    /// Log format: human or json.
    #[arg(long, global = true, value_name = "FORMAT")]
    log_format: Option<String>,
    /// Log filter, e.g. "debug" or "newsdedup=debug,sqlx=warn".
    #[arg(long, global = true, value_name = "FILTER")]
    log_level: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Store documents: JSON Lines files (one article an object), .txt and .html files, folders
    /// of them (any gzipped), or - for JSON Lines on standard input.
    Ingest(ingest::IngestArgs),
    /// List near-duplicate clusters, largest and most recent first.
    Clusters(clusters::ClustersArgs),
    /// Show one cluster: its members and what each changed relative to the canonical text.
    Cluster(clusters::ClusterArgs),
    /// List stories: clusters that report the same news in different words, most sources first.
    Stories(stories::StoriesArgs),
    /// Show one story: its sources side by side and where they differ (figures, names, quotes).
    Story(stories::StoryArgs),
    /// Score clusters (and stories) against a labelled JSON Lines corpus: pairwise precision,
    /// recall, F1 and adjusted Rand index. Uses a temporary database unless --db is given.
    Eval(eval::EvalArgs),
    /// Manage the feeds the daemon polls: add, list, remove, enable, disable.
    Feeds(feeds::FeedsArgs),
    /// Measure conformance against other projects' test suites (`conformance feeds`: the feed
    /// parser against gofeed's and feedparser's test data).
    Conformance(conformance::ConformanceArgs),
    /// Run the daemon: poll the feeds on their schedule, store, cluster and link stories, until
    /// SIGINT or SIGTERM. Serves /healthz and /metrics on daemon.listen.
    Run(daemon::RunArgs),
    /// Poll every enabled feed (or the named ones) once, now, store what they gave, and exit.
    Poll(daemon::PollArgs),
    /// Benchmarks (`bench extraction`: the article extractor against Scrapinghub's
    /// article-extraction benchmark, or a published output file scored the same way).
    Bench(bench::BenchArgs),
    /// Extract the article from saved pages (.html, .html.gz) or URLs and print its title,
    /// author, published time, language, canonical URL and text.
    Extract(extract::ExtractArgs),
}

fn init_logging(config: &Config) -> Result<()> {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env()
        .or_else(|_| EnvFilter::try_new(&config.log.level))
        .with_context(|| format!("invalid log filter {:?}", config.log.level))?;
    // html5ever warns about every malformed page it repairs: noise for our users.
    let filter = if config.log.level.contains("html5ever") {
        filter
    } else {
        filter.add_directive("html5ever=error".parse().expect("a valid directive"))
    };
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match config.log.format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Human => builder.init(),
    }
    Ok(())
}

fn load_config(args: &Args) -> Result<Config> {
    let mut config = Config::load(args.config.as_deref())?;
    if let Some(db) = &args.db {
        config.database.path = db.clone();
    }
    if let Some(f) = &args.log_format {
        config.log.format = match f.as_str() {
            "human" => LogFormat::Human,
            "json" => LogFormat::Json,
            other => anyhow::bail!("--log-format {other:?}: expected human or json"),
        };
    }
    if let Some(l) = &args.log_level {
        config.log.level = l.clone();
    }
    Ok(config)
}

async fn run(args: Args, config: Config) -> Result<ExitCode> {
    let db_given = args.db.is_some();
    match args.command {
        Command::Ingest(a) => ingest::run(a, config).await,
        Command::Clusters(a) => clusters::list(a, config).await,
        Command::Cluster(a) => clusters::show(a, config).await,
        Command::Stories(a) => stories::list(a, config).await,
        Command::Story(a) => stories::show(a, config).await,
        Command::Eval(a) => eval::run(a, config, db_given).await,
        Command::Feeds(a) => feeds::run(a, config).await,
        Command::Conformance(a) => conformance::run_cmd(a).await,
        Command::Run(a) => daemon::run(a, config).await,
        Command::Poll(a) => daemon::poll(a, config).await,
        Command::Bench(a) => bench::run(a, config).await,
        Command::Extract(a) => extract::run(a, config).await,
    }
}

/// Threads for blocking work (feed parsing, page extraction, preparation batches). That work
/// is CPU-bound, so more threads than a few per core only add memory: tokio's default of 512
/// let a cold poll with 128 feeds in flight start ~50 threads, each keeping its own allocator
/// pages, ~80 MB in all.
fn blocking_threads() -> usize {
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    (2 * cores).max(4)
}

pub fn main() -> ExitCode {
    // Like other Unix tools, stop quietly when the reader of our output goes away
    // (`newsdedup story 1 | head`), instead of failing on a broken pipe.
    #[cfg(unix)]
    // SAFETY: restoring the default disposition of SIGPIPE before any thread starts.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    let args = Args::parse();
    if matches!(args.command, Command::Ingest(_)) {
        crate::allocator::set_freed_memory(crate::allocator::FreedMemory::Keep);
    }
    let config = match load_config(&args) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("newsdedup: {e:#}");
            return ExitCode::from(2);
        }
    };
    if let Err(e) = init_logging(&config) {
        eprintln!("newsdedup: {e:#}");
        return ExitCode::from(2);
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .max_blocking_threads(blocking_threads())
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("newsdedup: starting the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(args, config)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("newsdedup: {e:#}");
            ExitCode::FAILURE
        }
    }
}
