//! `newsdedup clusters` and `newsdedup cluster ID`.

use super::output::{parse_since, shorten, table, term};
use anyhow::Result;
use newsdedup::config::Config;
use newsdedup::diff::Edits;
use newsdedup::document::{ArticleId, ClusterId};
use newsdedup::report::{self, ClusterReport, JoinRule, MemberReport};
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

/// A share as a whole percentage ("?" when the text has no 5-word shingle).
fn percent(share: Option<f64>) -> String {
    share.map_or_else(|| "?".to_string(), |s| format!("{:.0}%", 100.0 * s))
}

/// One line saying why a member belongs: what it shares with the canonical member, how close
/// their simhashes are, and the rule that admitted it.
fn why(r: &ClusterReport, m: &MemberReport) -> String {
    let w = &m.membership;
    let head = format!("article {} ({})", m.article_id, term(&m.source));
    let canonical_entries = r
        .members
        .iter()
        .find(|c| c.canonical)
        .map_or(0, |c| c.membership.sketch_entries);
    let shares = if m.canonical {
        format!("the canonical copy ({} sampled shingles)", w.sketch_entries)
    } else if w.in_canonical.is_none() || w.canonical_in_member.is_none() {
        format!(
            "no sampled shingles to compare with the canonical copy's (its {}, the canonical's \
             {}), distance {} bits",
            w.sketch_entries, canonical_entries, m.distance
        )
    } else {
        format!(
            "{} of its text is in the canonical copy, {} the other way ({} sampled shingles \
             shared, of its {} and the canonical's {}), distance {} bits",
            percent(w.in_canonical),
            percent(w.canonical_in_member),
            w.shared_entries,
            w.sketch_entries,
            canonical_entries,
            m.distance
        )
    };
    let bits = |d: Option<u32>| d.map_or_else(|| "?".to_string(), |d| format!("{d} bits"));
    let with = |a: ArticleId| {
        if r.members.iter().any(|o| o.article_id == a) {
            format!("article {a}")
        } else {
            format!("article {a} (no longer in this cluster)")
        }
    };
    let rule = match (w.joined_by, w.matched_article) {
        (JoinRule::Started, _) | (_, None) if r.merges.is_empty() => {
            "it started the cluster".to_string()
        }
        (JoinRule::Started, _) | (_, None) => "it matched nothing when it arrived and started \
                                               a cluster (this one or one merged into it)"
            .to_string(),
        (JoinRule::Containment, Some(a)) => format!(
            "joined by containment with {}: {} of the shorter text shared ({} needed), distance {}",
            with(a),
            percent(w.matched_containment),
            percent(Some(r.min_containment)),
            bits(w.matched_distance)
        ),
        (JoinRule::Distance, Some(a)) => format!(
            "joined by distance with {}: {} (at most {} allowed for a text too short to compare \
             shingles, under {} sampled)",
            with(a),
            bits(w.matched_distance),
            bits(Some(r.max_hamming)),
            r.min_sketch
        ),
    };
    let bridge = if w.compared_members == 0 {
        String::new()
    } else {
        format!(
            "; it overlaps {} of {} other members by {} or more",
            w.overlaps_members,
            w.compared_members,
            percent(Some(r.bridge_containment))
        )
    };
    format!("{head}: {shares}; {rule}{bridge}")
}

pub async fn show(args: ClusterArgs, config: Config) -> Result<ExitCode> {
    let pool = Store::open_read_only(&config.database.path).await?;
    let r = report::cluster_with(&pool, ClusterId(args.id), &config.cluster).await?;
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
    println!(
        "\nwhy each belongs (shares of the clean text's 5-word shingles, as the clusterer samples them):"
    );
    for m in &r.members {
        println!("  {}", why(&r, m));
    }
    for g in &r.merges {
        println!(
            "  cluster {} was merged into this one when article {} arrived: most pairs across the two overlap",
            g.cluster_id, g.by_article
        );
    }
    let lines = |g: &report::SplitReport| {
        g.learned_lines
            .iter()
            .map(|l| format!("\"{}\" ({})", shorten(&l.line, 60), l.learned_as))
            .collect::<Vec<_>>()
            .join(", ")
    };
    if let Some(g) = &r.split_from {
        println!(
            "  split off cluster {} when article {} arrived and these lines were learned: {}",
            g.from_cluster,
            g.by_article,
            lines(g)
        );
    }
    for g in &r.splits {
        let ids: Vec<String> = g.articles.iter().map(ToString::to_string).collect();
        println!(
            "  article{} {} split off into cluster {}{} when article {} arrived and these lines were learned: {}",
            if ids.len() == 1 { "" } else { "s" },
            ids.join(", "),
            g.into_cluster,
            if g.unreported {
                " (too little text of its own left)"
            } else {
                ""
            },
            g.by_article,
            lines(g)
        );
    }
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
