//! `newsdedup feeds ...`: the feed list (add, list, remove, enable, disable, import, export).
//!
//! Edits go straight to the database on their own short transactions, so they work while the
//! daemon runs; the daemon picks them up at its next look at the schedule.

use super::output::{shorten, table, term};
use anyhow::{Context, Result, bail};
use chrono::{DateTime, Utc};
use newsdedup::config::Config;
use newsdedup::store::feeds::{self, FeedRow, FullTextPolicy, NewFeed};
use std::process::ExitCode;

#[derive(clap::Args, Debug)]
pub struct FeedsArgs {
    #[command(subcommand)]
    command: FeedsCommand,
}

#[derive(clap::Subcommand, Debug)]
enum FeedsCommand {
    /// Add a feed (RSS, Atom, JSON Feed; a web page's own feed is found at its first poll).
    Add {
        url: String,
        /// The name its articles are stored under (default: the feed's title).
        #[arg(long)]
        name: Option<String>,
        /// A fixed poll interval, e.g. 15m or 2h (default: adapted to how often it publishes).
        #[arg(long, value_name = "DURATION")]
        interval: Option<String>,
        /// When to fetch the article page: auto, always or never.
        #[arg(long, default_value = "auto", value_name = "POLICY")]
        full_text: String,
    },
    /// List feeds with their status, last success, last error, next poll and article count.
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Remove a feed (by id or URL); its articles stay.
    Remove { feed: String },
    /// Enable a feed (by id or URL), clearing its failures; it is polled at once.
    Enable { feed: String },
    /// Stop polling a feed (by id or URL).
    Disable { feed: String },
    /// Add the feeds of an OPML file (a subscription list exported from a feed reader).
    Import {
        file: std::path::PathBuf,
        /// When to fetch the article page of the imported feeds' entries: auto, always or never.
        #[arg(long, default_value = "auto", value_name = "POLICY")]
        full_text: String,
    },
    /// Print the feed list as OPML 2.0.
    Export,
}

/// The longest interval `feeds add --interval` takes: a year.
const MAX_INTERVAL_SECS: u64 = 365 * 24 * 3600;

/// Parses "90s", "15m", "2h", "1d" (anything humantime reads) into seconds.
pub fn parse_interval(s: &str) -> Result<i64> {
    let d = humantime::parse_duration(s)
        .with_context(|| format!("interval {s:?}: expected a duration like 15m or 2h"))?;
    if d.as_secs() < 60 {
        bail!("interval {s:?}: at least one minute");
    }
    // The schedule clamps intervals to [schedule] max_interval_secs anyway; past a year a
    // value is a mistake (and past ~292 billion years it no longer fits the stored seconds).
    if d.as_secs() > MAX_INTERVAL_SECS {
        bail!("interval {s:?}: at most 365 days");
    }
    Ok(d.as_secs() as i64)
}

fn when(t: Option<DateTime<Utc>>) -> String {
    t.map(|t| t.format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_else(|| "-".into())
}

fn status(f: &FeedRow) -> String {
    match (f.enabled, &f.disabled_reason) {
        (true, _) if f.failures > 0 => format!("failing ({})", f.failures),
        (true, _) => "ok".into(),
        (false, Some(r)) => format!("disabled: {r}"),
        (false, None) => "disabled".into(),
    }
}

pub async fn run(args: FeedsArgs, config: Config) -> Result<ExitCode> {
    let db = &config.database.path;
    let mut conn = feeds::open_admin(db).await?;
    match args.command {
        FeedsCommand::Add {
            url,
            name,
            interval,
            full_text,
        } => {
            let parsed = url::Url::parse(&url).with_context(|| format!("feed URL {url:?}"))?;
            if !matches!(parsed.scheme(), "http" | "https") {
                bail!("feed URL {url:?}: only http and https are polled");
            }
            let full_text = FullTextPolicy::parse(&full_text).with_context(|| {
                format!("--full-text {full_text:?}: expected auto, always or never")
            })?;
            let interval_secs = interval.as_deref().map(parse_interval).transpose()?;
            let (id, new) = feeds::add_feed(
                &mut conn,
                &NewFeed {
                    url: parsed.to_string(),
                    name,
                    interval_secs,
                    full_text,
                    from_config: false,
                },
            )
            .await?;
            println!(
                "{} feed {id}: {}",
                if new { "added" } else { "updated" },
                term(parsed.as_str())
            );
        }
        FeedsCommand::List { json } => {
            let pool = newsdedup::store::Store::open_read_only(db).await?;
            let rows = feeds::list_feeds(&pool).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&rows)?);
            } else if rows.is_empty() {
                println!("no feeds (add one with `newsdedup feeds add URL`)");
            } else {
                let mut t = table(&[
                    "id",
                    "name",
                    "status",
                    "last success",
                    "last error",
                    "next poll",
                    "articles",
                ]);
                for f in &rows {
                    t.add_row(vec![
                        f.id.to_string(),
                        shorten(f.display_name(), 32),
                        shorten(&status(f), 40),
                        when(f.last_success_at),
                        f.last_error
                            .as_deref()
                            .map(|e| format!("{} {}", when(f.last_error_at), shorten(e, 40)))
                            .unwrap_or_else(|| "-".into()),
                        match (f.enabled, f.next_poll_at) {
                            (true, None) => "due".into(),
                            (true, t) => when(t),
                            (false, _) => "-".into(),
                        },
                        f.articles.to_string(),
                    ]);
                }
                println!("{t}");
            }
        }
        FeedsCommand::Import { file, full_text } => {
            let full_text = FullTextPolicy::parse(&full_text).with_context(|| {
                format!("--full-text {full_text:?}: expected auto, always or never")
            })?;
            let bytes =
                std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
            let (list, repairs) = newsdedup::feeds::read_opml(&bytes, &config.limits)
                .with_context(|| format!("{}", file.display()))?;
            if !repairs.is_empty() {
                eprintln!(
                    "{}: read after repairs: {}",
                    file.display(),
                    term(&format!("{repairs:?}"))
                );
            }
            let (mut added, mut known, mut skipped) = (0, 0, 0);
            for f in list {
                match url::Url::parse(f.url.trim()) {
                    Ok(u) if matches!(u.scheme(), "http" | "https") => {
                        let (_, new) = feeds::add_feed(
                            &mut conn,
                            &NewFeed {
                                url: u.to_string(),
                                name: f.title.clone(),
                                full_text,
                                ..NewFeed::default()
                            },
                        )
                        .await?;
                        if new {
                            added += 1;
                        } else {
                            known += 1;
                        }
                    }
                    _ => {
                        eprintln!(
                            "{}: skipped {}: not an http(s) URL",
                            file.display(),
                            term(&format!("{:?}", f.url))
                        );
                        skipped += 1;
                    }
                }
            }
            println!("{added} feeds added, {known} already known, {skipped} skipped");
        }
        FeedsCommand::Export => {
            let pool = newsdedup::store::Store::open_read_only(db).await?;
            let list: Vec<newsdedup::feeds::OpmlFeed> = feeds::list_feeds(&pool)
                .await?
                .into_iter()
                .map(|f| newsdedup::feeds::OpmlFeed {
                    title: Some(f.display_name().to_string()),
                    url: f.url,
                    html_url: f.site_url,
                    category: None,
                })
                .collect();
            print!("{}", newsdedup::feeds::write_opml("newsdedup feeds", &list));
        }
        FeedsCommand::Remove { feed } => {
            let f = lookup(&mut conn, &feed).await?;
            feeds::remove_feed(&mut conn, f.id).await?;
            println!("removed feed {}: {}", f.id, term(&f.url));
        }
        FeedsCommand::Enable { feed } => {
            let f = lookup(&mut conn, &feed).await?;
            feeds::set_enabled(&mut conn, f.id, true).await?;
            println!("enabled feed {}: {}", f.id, term(&f.url));
        }
        FeedsCommand::Disable { feed } => {
            let f = lookup(&mut conn, &feed).await?;
            feeds::set_enabled(&mut conn, f.id, false).await?;
            println!("disabled feed {}: {}", f.id, term(&f.url));
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn lookup(conn: &mut sqlx::SqliteConnection, key: &str) -> Result<FeedRow> {
    feeds::find_feed(conn, key)
        .await?
        .with_context(|| format!("no feed {key:?} (see `newsdedup feeds list`)"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals_beyond_a_year_are_errors_naming_the_value() {
        assert_eq!(parse_interval("2h").unwrap(), 7200);
        for s in ["2y", "300000000000y"] {
            let e = parse_interval(s).unwrap_err().to_string();
            assert!(e.starts_with(&format!("interval {s:?}")), "{e}");
        }
    }
}
