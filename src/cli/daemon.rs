//! `newsdedup run` (the daemon) and `newsdedup poll` (every feed once, for cron and scripts).

use anyhow::{Context, Result};
use newsdedup::config::Config;
use newsdedup::daemon::Daemon;
use newsdedup::daemon::metrics::Metrics;
use std::process::ExitCode;
use std::sync::Arc;

#[derive(clap::Args, Debug)]
pub struct RunArgs {
    /// Address for /healthz and /metrics (overrides daemon.listen; "" turns them off).
    #[arg(long, value_name = "ADDR")]
    listen: Option<String>,
}

#[derive(clap::Args, Debug)]
pub struct PollArgs {
    /// Feeds to poll (ids or URLs); every enabled feed when none is given.
    feeds: Vec<String>,
    /// Print the summary as JSON.
    #[arg(long)]
    json: bool,
}

/// Resolves on SIGINT or SIGTERM.
async fn stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
    tracing::info!("stop signal received");
}

pub async fn run(args: RunArgs, mut config: Config) -> Result<ExitCode> {
    if let Some(l) = args.listen {
        config.daemon.listen = l;
    }
    let metrics = Arc::new(Metrics::new());
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let server = if config.daemon.listen.trim().is_empty() {
        None
    } else {
        let listener = tokio::net::TcpListener::bind(config.daemon.listen.trim())
            .await
            .with_context(|| format!("daemon.listen {:?}", config.daemon.listen))?;
        let addr = listener.local_addr()?;
        tracing::info!(%addr, "serving /healthz and /metrics");
        let mut rx = stop_rx.clone();
        Some(tokio::spawn(newsdedup::daemon::metrics::serve(
            listener,
            metrics.clone(),
            async move {
                let _ = rx.wait_for(|s| *s).await;
            },
        )))
    };
    let daemon = Daemon::open(config, metrics).await?;
    let result = daemon.run(stop_signal()).await;
    let _ = stop_tx.send(true);
    if let Some(s) = server {
        let _ = s.await;
    }
    result?;
    Ok(ExitCode::SUCCESS)
}

pub async fn poll(args: PollArgs, config: Config) -> Result<ExitCode> {
    let daemon = Daemon::open(config, Arc::new(Metrics::new())).await?;
    let s = daemon.poll_once(&args.feeds).await?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&s)?);
    } else {
        println!(
            "{} feeds polled ({} failed, {} not modified): {} entries, {} unchanged; {} new, {} near-duplicate, {} updated, {} rejected",
            s.feeds,
            s.failed,
            s.not_modified,
            s.entries,
            s.unchanged_entries,
            s.new,
            s.near_duplicate,
            s.updated,
            s.rejected
        );
    }
    Ok(if s.failed > 0 && s.failed == s.feeds {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
