//! `newsdedup stories` and `newsdedup story ID`.

use super::output::{parse_since, shorten, table, term};
use anyhow::Result;
use newsdedup::config::Config;
use newsdedup::document::StoryId;
use newsdedup::report::{self, Reported};
use newsdedup::store::Store;
use newsdedup::story::differences::NameClass;
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
    /// Also the figures, quotes and sentences only one source has (the summary counts them).
    #[arg(long)]
    all: bool,
    /// With --all, sentences unique to one source shown per source (all of them with --json).
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

/// The width `newsdedup story` fits its lines to.
const WIDTH: usize = 100;

/// Sources in a list, each cut to this many characters.
const SOURCE_CHARS: usize = 24;

fn reported(values: &[Reported]) -> String {
    values
        .iter()
        .map(|v| format!("{} ({})", v.value, sources_list(&v.sources)))
        .collect::<Vec<_>>()
        .join("; ")
}

fn sources_list(sources: &[String]) -> String {
    sources
        .iter()
        .map(|s| shorten(s, SOURCE_CHARS))
        .collect::<Vec<_>>()
        .join(", ")
}

fn plural(n: usize, what: &str) -> String {
    format!("{n} {what}{}", if n == 1 { "" } else { "s" })
}

/// `text` (made safe for a terminal) in lines of at most [`WIDTH`] characters, the first
/// starting with `first`, the others indented by `indent` spaces; a word longer than a line is
/// cut.
fn wrap(first: &str, indent: usize, text: &str) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = first.to_string();
    let mut fresh = false;
    for word in text.split_whitespace() {
        let word = shorten(word, WIDTH - indent - 1);
        let used = line.chars().count();
        if !fresh && used + 1 + word.chars().count() > WIDTH {
            lines.push(std::mem::replace(&mut line, " ".repeat(indent)));
            fresh = true;
        }
        if !fresh {
            line.push(' ');
        }
        line.push_str(&word);
        fresh = false;
    }
    lines.push(line);
    lines
}

fn print_wrapped(first: &str, indent: usize, text: &str) {
    for l in wrap(first, indent, text) {
        println!("{l}");
    }
}

/// A published time as shown: date and minute, or "undated".
fn when(published: Option<&str>) -> String {
    match published {
        Some(p) => p.replace('T', " ").chars().take(16).collect(),
        None => "undated".to_string(),
    }
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
        "story {}: {} from {}",
        r.story_id,
        plural(r.size, "article"),
        plural(r.sources, "source"),
    );
    println!(
        "{}",
        shorten(r.title.as_deref().unwrap_or("(untitled)"), WIDTH)
    );

    // Members in the order they were published: the first report, then each later one.
    println!("\nTimeline (* canonical: {}):", r.canonical_rule);
    let words: std::collections::HashMap<_, _> =
        r.members.iter().map(|m| (m.article_id, m.words)).collect();
    for (i, t) in r.timeline.iter().enumerate() {
        let id = format!(
            "{}{}",
            t.article_id,
            if t.article_id == r.canonical_article_id {
                "*"
            } else {
                ""
            }
        );
        let head = format!(
            "  {:<7} {:<16} {:<13} {:<w$} {:>5}w ",
            id,
            when(t.published.as_deref()),
            if i == 0 { "first report" } else { "later" },
            shorten(&t.source, SOURCE_CHARS),
            words.get(&t.article_id).copied().unwrap_or(0),
            w = SOURCE_CHARS
        );
        let room = WIDTH.saturating_sub(head.chars().count());
        println!(
            "{head}{}",
            shorten(t.title.as_deref().unwrap_or("(untitled)"), room)
        );
    }

    if !r.conflicts.is_empty() {
        println!("\nWhere the sources disagree:");
        for c in &r.conflicts {
            print_wrapped(&format!("  {}:", term(&c.subject)), 4, &reported(&c.values));
        }
    }
    let shared: Vec<_> = r.figures.iter().filter(|f| f.sources.len() >= 2).collect();
    if !shared.is_empty() {
        println!("\nFigures several sources agree on:");
        for f in &shared {
            let missing: Vec<String> = {
                let mut all: Vec<&str> = r.members.iter().map(|m| m.source.as_str()).collect();
                all.sort_unstable();
                all.dedup();
                all.into_iter()
                    .filter(|s| !f.sources.iter().any(|x| x == s))
                    .map(String::from)
                    .collect()
            };
            let who = if missing.is_empty() {
                "all sources".to_string()
            } else if missing.len() <= 2 {
                format!("all but {}", sources_list(&missing))
            } else {
                format!("{} of {}", f.sources.len(), r.sources)
            };
            print_wrapped(
                &format!("  {} {} —", term(&f.value), term(&f.subject)),
                4,
                &who,
            );
        }
    }
    if !r.names.is_empty() {
        println!("\nNames spelled differently:");
        for class in [
            NameClass::Convention,
            NameClass::Regional,
            NameClass::Inconsistency,
        ] {
            let items: Vec<String> = r
                .names
                .iter()
                .filter_map(|n| {
                    let forms: Vec<String> = n
                        .spellings
                        .iter()
                        .filter(|s| s.class == class)
                        .map(|s| format!("{} ({})", s.value, sources_list(&s.sources)))
                        .collect();
                    (!forms.is_empty()).then(|| format!("{} for {}", forms.join(", "), n.name))
                })
                .collect();
            if !items.is_empty() {
                print_wrapped(&format!("  {}:", class.as_str()), 4, &items.join("; "));
            }
        }
    }

    let single: Vec<_> = r.figures.iter().filter(|f| f.sources.len() == 1).collect();
    let several: Vec<_> = r
        .quotes
        .iter()
        .filter(|q| q.carried_by.len() >= 2)
        .collect();
    let alone: Vec<_> = r.quotes.iter().filter(|q| q.carried_by.len() < 2).collect();
    if !several.is_empty() {
        println!("\nQuotes only some sources carry:");
        for q in &several {
            let words = if q.wordings.len() > 1 {
                format!(", in {} wordings", q.wordings.len())
            } else {
                String::new()
            };
            print_wrapped(
                &format!("  \"{}…\"", term(&q.subject)),
                4,
                &format!("({}{words})", sources_list(&q.carried_by)),
            );
            if args.all {
                for w in &q.wordings {
                    print_wrapped(
                        &format!("    {}:", shorten(&w.source, SOURCE_CHARS)),
                        6,
                        &format!("\"{}\"", w.text),
                    );
                }
            }
        }
    }
    if !alone.is_empty() {
        // Counted per source; listed in full with --all.
        let mut per: Vec<(&str, usize)> = Vec::new();
        for q in &alone {
            let s = q.wordings[0].source.as_str();
            match per.iter_mut().find(|p| p.0 == s) {
                Some(p) => p.1 += 1,
                None => per.push((s, 1)),
            }
        }
        per.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        let counts: Vec<String> = per
            .iter()
            .map(|(s, n)| format!("{} {n}", shorten(s, SOURCE_CHARS)))
            .collect();
        println!();
        print_wrapped(
            &format!("{} only one source carries:", plural(alone.len(), "quote")),
            2,
            &counts.join(", "),
        );
        if args.all {
            for q in &alone {
                let w = &q.wordings[0];
                print_wrapped(
                    &format!("  {}:", shorten(&w.source, SOURCE_CHARS)),
                    4,
                    &format!("\"{}\"", w.text),
                );
            }
        }
    }
    if args.all {
        if !single.is_empty() {
            println!("\nFigures only one source reports:");
            for f in &single {
                print_wrapped(
                    &format!("  {} {} —", term(&f.value), term(&f.subject)),
                    4,
                    &shorten(&f.sources[0], SOURCE_CHARS),
                );
            }
        }
        if !r.unique.is_empty() {
            println!("\nSentences only one source has:");
            let mut sources: Vec<&str> = r.unique.iter().map(|u| u.source.as_str()).collect();
            sources.dedup();
            for s in sources {
                let all: Vec<_> = r.unique.iter().filter(|u| u.source == s).collect();
                println!(
                    "  {} ({}):",
                    shorten(s, SOURCE_CHARS),
                    plural(all.len(), "sentence")
                );
                for u in all.iter().take(args.unique) {
                    print_wrapped("    -", 6, &u.text);
                }
            }
        }
    } else {
        let mut rest = Vec::new();
        if !single.is_empty() {
            rest.push(format!(
                "{} only one source reports",
                plural(single.len(), "figure")
            ));
        }
        if !r.unique.is_empty() {
            rest.push(format!(
                "{} only one source has",
                plural(r.unique.len(), "sentence")
            ));
        }
        if !r.quotes.is_empty() {
            rest.push("each quote's wording".to_string());
        }
        if !rest.is_empty() {
            println!();
            print_wrapped(
                &format!("newsdedup story {} --all adds:", r.story_id),
                2,
                &rest.join(", "),
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
