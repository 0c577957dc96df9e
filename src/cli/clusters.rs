//! `newsdedup clusters` and `newsdedup cluster ID`.

use super::output::{parse_since, shorten, table, term};
use anyhow::Result;
use newsdedup::config::Config;
use newsdedup::diff::Edits;
use newsdedup::document::ClusterId;
use newsdedup::report;
use newsdedup::store::Store;
use std::process::ExitCode;

#[derive(clap::Args, Debug)]
pub struct ClustersArgs {
    /// At most this many clusters.
    #[arg(long, default_value_t = 20)]
    limit: i64,
    /// Only clusters with an article published since: an RFC 3339 time, a date, or a duration (24h).
    #[arg(long, value_name = "T")]
    since: Option<String>,
    /// Only clusters with at least this many articles.
    #[arg(long, default_value_t = 2)]
    min_size: i64,
    /// Print JSON (an array of cluster_summary rows).
    #[arg(long)]
    json: bool,
}

#[derive(clap::Args, Debug)]
pub struct ClusterArgs {
    /// The cluster id (an id merged into another cluster resolves to it).
    id: i64,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

pub async fn list(args: ClustersArgs, config: Config) -> Result<ExitCode> {
    let since = args.since.as_deref().map(parse_since).transpose()?;
    let pool = Store::open_read_only(&config.database.path).await?;
    let rows = report::clusters(&pool, args.limit, since, args.min_size).await?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&rows)?);
        return Ok(ExitCode::SUCCESS);
    }
    if rows.is_empty() {
        println!("no clusters of {} or more articles", args.min_size);
        return Ok(ExitCode::SUCCESS);
    }
    let mut t = table(&[
        "cluster",
        "size",
        "sources",
        "first published",
        "last published",
        "title",
    ]);
    for r in rows {
        t.add_row(vec![
            r.cluster_id.to_string(),
            r.size.to_string(),
            r.sources.to_string(),
            shorten(r.first_published.as_deref().unwrap_or_default(), 40),
            shorten(r.last_published.as_deref().unwrap_or_default(), 40),
            shorten(r.canonical_title.as_deref().unwrap_or("(untitled)"), 70),
        ]);
    }
    println!("{t}");
    Ok(ExitCode::SUCCESS)
}

fn print_edits(e: &Edits) {
    if e.is_empty() {
        println!("    no edits: the same text");
        return;
    }
    if let Some(t) = &e.title {
        println!("    title: {:?} → {:?}", t.from, t.to);
    }
    for c in &e.changed {
        let words: Vec<String> = c
            .words
            .iter()
            .map(|w| match (w.removed.is_empty(), w.inserted.is_empty()) {
                (true, _) => format!("+[{}]", term(&w.inserted)),
                (_, true) => format!("-[{}]", term(&w.removed)),
                _ => format!("[{}] → [{}]", term(&w.removed), term(&w.inserted)),
            })
            .collect();
        println!("    changed: {}", words.join(", "));
        println!("      in: {}", shorten(&c.to, 160));
    }
    for s in &e.added {
        println!("    added: {}", shorten(s, 160));
    }
    for s in &e.cut {
        println!("    cut: {}", shorten(s, 160));
    }
}

pub async fn show(args: ClusterArgs, config: Config) -> Result<ExitCode> {
    let pool = Store::open_read_only(&config.database.path).await?;
    let r = report::cluster(&pool, ClusterId(args.id)).await?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&r)?);
        return Ok(ExitCode::SUCCESS);
    }
    if let Some(req) = r.requested_id {
        println!("cluster {req} was merged into cluster {}", r.cluster_id);
    }
    println!(
        "cluster {}: {} articles from {} sources",
        r.cluster_id, r.size, r.sources
    );
    let mut t = table(&[
        "article",
        "source",
        "published",
        "words",
        "distance",
        "title",
    ]);
    for m in &r.members {
        t.add_row(vec![
            format!("{}{}", m.article_id, if m.canonical { " *" } else { "" }),
            shorten(&m.source, 24),
            shorten(m.published.as_deref().unwrap_or_default(), 40),
            m.words.to_string(),
            m.distance.to_string(),
            shorten(m.title.as_deref().unwrap_or("(untitled)"), 60),
        ]);
    }
    println!("{t}");
    println!("* canonical: the earliest published, then the fullest");
    for m in r.members.iter().filter(|m| !m.canonical) {
        println!(
            "\narticle {} ({}) against the canonical {}:",
            m.article_id,
            term(&m.source),
            r.canonical_article_id
        );
        if let Some(e) = &m.edits {
            print_edits(e);
        }
    }
    Ok(ExitCode::SUCCESS)
}
