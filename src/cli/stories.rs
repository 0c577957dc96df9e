//! `newsdedup stories` and `newsdedup story ID`.

use super::output::{parse_since, shorten, table, term};
use anyhow::Result;
use newsdedup::config::Config;
use newsdedup::document::StoryId;
use newsdedup::report::{self, Reported};
use newsdedup::store::Store;
use std::process::ExitCode;

#[derive(clap::Args, Debug)]
pub struct StoriesArgs {
    /// At most this many stories.
    #[arg(long, default_value_t = 20)]
    limit: i64,
    /// Only stories with an article published since: an RFC 3339 time, a date, or a duration (24h).
    #[arg(long, value_name = "T")]
    since: Option<String>,
    /// Only stories reported by at least this many sources.
    #[arg(long, default_value_t = 2)]
    min_sources: i64,
    /// Print JSON (an array of story_summary rows).
    #[arg(long)]
    json: bool,
}

#[derive(clap::Args, Debug)]
pub struct StoryArgs {
    /// The story id (an id merged into another story resolves to it).
    id: i64,
    /// Sentences unique to one source shown per source (all of them with --json).
    #[arg(long, default_value_t = 3)]
    unique: usize,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

pub async fn list(args: StoriesArgs, config: Config) -> Result<ExitCode> {
    let since = args.since.as_deref().map(parse_since).transpose()?;
    let pool = Store::open_read_only(&config.database.path).await?;
    let rows = report::stories(&pool, args.limit, since, args.min_sources).await?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&rows)?);
        return Ok(ExitCode::SUCCESS);
    }
    if rows.is_empty() {
        println!("no stories from {} or more sources", args.min_sources);
        return Ok(ExitCode::SUCCESS);
    }
    let mut t = table(&[
        "story",
        "sources",
        "articles",
        "clusters",
        "first published",
        "last published",
        "title",
    ]);
    for r in rows {
        t.add_row(vec![
            r.story_id.to_string(),
            r.sources.to_string(),
            r.size.to_string(),
            r.clusters.to_string(),
            shorten(r.first_published.as_deref().unwrap_or_default(), 40),
            shorten(r.last_published.as_deref().unwrap_or_default(), 40),
            shorten(r.title.as_deref().unwrap_or("(untitled)"), 70),
        ]);
    }
    println!("{t}");
    Ok(ExitCode::SUCCESS)
}

fn reported(values: &[Reported]) -> String {
    values
        .iter()
        .map(|v| {
            format!(
                "{} — {} ({})",
                term(&v.value),
                plural(v.sources.len(), "source"),
                term(&v.sources.join(", "))
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

fn plural(n: usize, what: &str) -> String {
    format!("{n} {what}{}", if n == 1 { "" } else { "s" })
}

pub async fn show(args: StoryArgs, config: Config) -> Result<ExitCode> {
    let pool = Store::open_read_only(&config.database.path).await?;
    let r = report::story(&pool, StoryId(args.id)).await?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&r)?);
        return Ok(ExitCode::SUCCESS);
    }
    if let Some(req) = r.requested_id {
        println!("story {req} was merged into story {}", r.story_id);
    }
    println!(
        "story {}: {} from {}\n{}",
        r.story_id,
        plural(r.size, "article"),
        plural(r.sources, "source"),
        term(r.title.as_deref().unwrap_or("(untitled)"))
    );
    let mut t = table(&[
        "article",
        "source",
        "published",
        "words",
        "cluster",
        "title",
    ]);
    for m in &r.members {
        t.add_row(vec![
            format!("{}{}", m.article_id, if m.canonical { " *" } else { "" }),
            shorten(&m.source, 28),
            shorten(m.published.as_deref().unwrap_or_default(), 40),
            m.words.to_string(),
            m.cluster_id.to_string(),
            shorten(m.title.as_deref().unwrap_or("(untitled)"), 60),
        ]);
    }
    println!("{t}");
    println!("* canonical: {}", r.canonical_rule);

    if !r.conflicts.is_empty() {
        println!("\nWhere the sources disagree:");
        for c in &r.conflicts {
            println!("  {}: {}", term(&c.subject), reported(&c.values));
        }
    }
    let shared: Vec<_> = r.figures.iter().filter(|f| f.sources.len() >= 2).collect();
    if !shared.is_empty() {
        println!("\nFigures several sources report:");
        for f in shared {
            println!(
                "  {} {} — {} ({})",
                term(&f.value),
                term(&f.subject),
                plural(f.sources.len(), "source"),
                term(&f.sources.join(", "))
            );
        }
    }
    let single: Vec<_> = r.figures.iter().filter(|f| f.sources.len() == 1).collect();
    if !single.is_empty() {
        println!("\nFigures only one source reports:");
        for f in single {
            println!(
                "  {} {} — {}",
                term(&f.value),
                term(&f.subject),
                term(&f.sources[0])
            );
        }
    }
    if !r.names.is_empty() {
        println!("\nNames spelled differently:");
        for n in &r.names {
            println!("  {}: {}", term(&n.name), reported(&n.spellings));
        }
    }
    if !r.quotes.is_empty() {
        println!("\nQuotes only some sources carry:");
        for q in &r.quotes {
            println!(
                "  {}: \"{}\" ({})",
                term(&q.source),
                shorten(&q.text, 120),
                term(&q.detail)
            );
        }
    }
    if !r.unique.is_empty() {
        println!(
            "\nSentences only one source has (up to {} each):",
            args.unique
        );
        let mut sources: Vec<&str> = r.unique.iter().map(|u| u.source.as_str()).collect();
        sources.dedup();
        for s in sources {
            let all: Vec<_> = r.unique.iter().filter(|u| u.source == s).collect();
            println!("  {} ({}):", term(s), plural(all.len(), "sentence"));
            for u in all.iter().take(args.unique) {
                println!("    - {}", shorten(&u.text, 150));
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
