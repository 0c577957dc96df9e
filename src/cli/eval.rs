//! `newsdedup eval`: ingest a labelled corpus and score the clusters (and stories) against it.

use super::output::term;
use anyhow::{Context, Result, bail};
use newsdedup::config::Config;
use newsdedup::eval::{PairScores, score};
use newsdedup::ingest::ReadOptions;
use newsdedup::pipeline::{Pipeline, ingest_paths};
use newsdedup::store::rows::RowAt;
use newsdedup::store::{Store, StoreOptions};
use serde_json::Value;
use std::collections::HashMap;
use std::io::BufRead;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

#[derive(clap::Args, Debug)]
pub struct EvalArgs {
    /// A JSON Lines corpus whose records also carry gold labels (see --cluster-field, --story-field).
    corpus: PathBuf,
    /// The field holding each record's near-duplicate cluster label.
    #[arg(long, default_value = "cluster")]
    cluster_field: String,
    /// The field holding each record's story label.
    #[arg(long, default_value = "story")]
    story_field: String,
    /// Show this many wrongly merged and wrongly split groups.
    #[arg(long, default_value_t = 5)]
    show_errors: usize,
    /// Ingest the corpus this many times, in file order, reversed, then shuffled (fixed seeds),
    /// each into a fresh database, and report how much the partitions depend on arrival order
    /// (adjusted Rand index between the runs' partitions).
    #[arg(long, default_value_t = 1)]
    orders: usize,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

/// The corpus's lines in the arrival order of run `order`.
fn ordered(lines: &[String], order: usize) -> Vec<String> {
    let mut v = lines.to_vec();
    match order {
        0 => {}
        1 => v.reverse(),
        n => {
            // A fixed xorshift shuffle per order, so runs can be replayed.
            let mut s = (n as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
            for i in (1..v.len()).rev() {
                s ^= s << 13;
                s ^= s >> 7;
                s ^= s << 17;
                v.swap(i, (s % (i as u64 + 1)) as usize);
            }
        }
    }
    v
}

/// Predicted partitions of one run: id → cluster, id → story.
type Partitions = (HashMap<String, i64>, HashMap<String, i64>);

/// Ingests `lines` into a fresh database (or `db`) and reads back the partitions.
async fn run_once(
    lines: &[String],
    config: &Config,
    db: Option<&std::path::Path>,
) -> Result<(Partitions, Vec<newsdedup::ingest::Rejected>)> {
    let tmp = tempfile::tempdir().context("creating a temporary folder")?;
    let corpus = tmp.path().join("corpus.jsonl");
    std::fs::write(&corpus, lines.join("\n") + "\n").context("writing the ordered corpus")?;
    let mut config = config.clone();
    config.database.path = match db {
        Some(p) => p.to_owned(),
        None => tmp.path().join("eval.db"),
    };
    config.database.full_text = false;
    let opts = ReadOptions {
        limits: config.limits.clone(),
        ..ReadOptions::default()
    };
    let store = Store::open(&config.database.path, StoreOptions::from(&config.database)).await?;
    let mut pipeline = Pipeline::open(store, config).await?;
    let summary = ingest_paths(
        &mut pipeline,
        vec![corpus],
        opts,
        Arc::new(AtomicBool::new(false)),
        |_| {},
    )
    .await?;
    let pool = pipeline.readers().clone();
    let rows =
        sqlx::query("SELECT article_id, external_id, cluster_id, story_id FROM article_clusters")
            .fetch_all(&pool)
            .await?;
    let mut clusters = HashMap::new();
    let mut stories = HashMap::new();
    for r in &rows {
        let r = RowAt::new(r, "article_clusters", 0)?;
        let id = r.text(1)?;
        clusters.insert(id.clone(), r.get::<i64>(2)?);
        stories.insert(id, r.get::<i64>(3)?);
    }
    pipeline.close().await?;
    Ok(((clusters, stories), summary.rejected))
}

fn label(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A record's id, gold cluster label and gold story label.
type Labels = (String, Option<String>, Option<String>);

/// Reads each record's id and its gold labels.
fn read_labels(path: &PathBuf, cluster_field: &str, story_field: &str) -> Result<Vec<Labels>> {
    let file = std::fs::File::open(path).with_context(|| format!("{}", path.display()))?;
    let reader: Box<dyn std::io::Read> = if path.extension().is_some_and(|e| e == "gz") {
        Box::new(flate2::read::MultiGzDecoder::new(file))
    } else {
        Box::new(file)
    };
    let mut out = Vec::new();
    for (i, line) in std::io::BufReader::new(reader).lines().enumerate() {
        let line = line.with_context(|| format!("{}:{}", path.display(), i + 1))?;
        if line.trim().is_empty() {
            continue;
        }
        let v: Value =
            serde_json::from_str(&line).with_context(|| format!("{}:{}", path.display(), i + 1))?;
        let Some(id) = v.get("id").and_then(label) else {
            bail!(
                "{}:{}: a labelled record needs an \"id\"",
                path.display(),
                i + 1
            );
        };
        out.push((
            id,
            v.get(cluster_field).and_then(label),
            v.get(story_field).and_then(label),
        ));
    }
    Ok(out)
}

fn errors(
    gold: &HashMap<String, String>,
    predicted: &HashMap<String, i64>,
    n: usize,
) -> (Vec<Vec<String>>, Vec<Vec<String>>) {
    let mut by_pred: HashMap<i64, Vec<&String>> = HashMap::new();
    for (id, p) in predicted {
        if gold.contains_key(id) {
            by_pred.entry(*p).or_default().push(id);
        }
    }
    let mut merged: Vec<Vec<String>> = by_pred
        .into_values()
        .filter(|ids| {
            let mut g: Vec<&String> = ids.iter().map(|i| &gold[*i]).collect();
            g.sort();
            g.dedup();
            g.len() > 1
        })
        .map(|ids| {
            let mut v: Vec<String> = ids.iter().map(|i| format!("{i} [{}]", gold[*i])).collect();
            v.sort();
            v
        })
        .collect();
    merged.sort();
    merged.truncate(n);
    let mut by_gold: HashMap<&String, Vec<&String>> = HashMap::new();
    for (id, g) in gold {
        by_gold.entry(g).or_default().push(id);
    }
    let mut split: Vec<Vec<String>> = by_gold
        .into_values()
        .filter(|ids| {
            let mut p: Vec<Option<&i64>> = ids.iter().map(|i| predicted.get(*i)).collect();
            p.sort();
            p.dedup();
            p.len() > 1
        })
        .map(|ids| {
            let mut v: Vec<String> = ids
                .iter()
                .map(|i| {
                    format!(
                        "{i} (→{})",
                        predicted
                            .get(*i)
                            .map(|p| p.to_string())
                            .unwrap_or("rejected".into())
                    )
                })
                .collect();
            v.sort();
            v
        })
        .collect();
    split.sort();
    split.truncate(n);
    (merged, split)
}

/// A rate to four decimals, or `n/a` when it is over nothing.
fn rate(r: Option<f64>) -> String {
    r.map_or_else(|| "n/a".to_string(), |r| format!("{r:.4}"))
}

fn print_scores(what: &str, s: &PairScores) {
    // Everything up to the ARI is read by scripts: add after it, change nothing before.
    let missing = if s.missing == 0 {
        String::new()
    } else {
        format!(", {} not in the store (counted as singletons)", s.missing)
    };
    println!(
        "{what:8} items {:6}  pairs gold {:8} predicted {:8} true {:8}  precision {}  recall {}  F1 {}  ARI {:.4}  scored {} of {}{missing}",
        s.items,
        s.gold_pairs,
        s.predicted_pairs,
        s.true_pairs,
        rate(s.precision),
        rate(s.recall),
        rate(s.f1),
        s.adjusted_rand_index,
        s.scored,
        s.items
    );
    let largest: Vec<String> = s.largest_groups.iter().map(u64::to_string).collect();
    println!(
        "{:8} B-cubed precision {}  recall {}  F1 {}  largest predicted groups {}",
        "",
        rate(s.bcubed_precision),
        rate(s.bcubed_recall),
        rate(s.bcubed_f1),
        largest.join(", ")
    );
}

pub async fn run(args: EvalArgs, config: Config, db_given: bool) -> Result<ExitCode> {
    let labels = read_labels(&args.corpus, &args.cluster_field, &args.story_field)?;
    let lines = read_lines(&args.corpus)?;
    if args.orders == 0 {
        bail!("--orders 0: at least one run is needed");
    }
    if db_given && args.orders > 1 {
        bail!("--db keeps one run's database: use it with --orders 1");
    }
    let db = db_given.then(|| config.database.path.clone());
    let gold_clusters: HashMap<String, String> = labels
        .iter()
        .filter_map(|(id, c, _)| c.clone().map(|c| (id.clone(), c)))
        .collect();
    let gold_stories: HashMap<String, String> = labels
        .iter()
        .filter_map(|(id, _, s)| s.clone().map(|s| (id.clone(), s)))
        .collect();
    let mut report = serde_json::Map::new();
    report.insert("documents".into(), labels.len().into());
    report.insert(
        "labelled".into(),
        serde_json::json!({"clusters": gold_clusters.len(), "stories": gold_stories.len()}),
    );
    let mut runs: Vec<Partitions> = Vec::new();
    let mut per_order = Vec::new();
    for order in 0..args.orders {
        let ((clusters, stories), rejected) =
            run_once(&ordered(&lines, order), &config, db.as_deref()).await?;
        let mut run = serde_json::Map::new();
        run.insert("order".into(), order.into());
        run.insert("rejected".into(), serde_json::to_value(&rejected)?);
        run.insert("rejected_documents".into(), rejected.len().into());
        if !args.json && args.orders > 1 {
            println!("order {order}:");
        }
        for (name, gold, predicted) in [
            ("clusters", &gold_clusters, &clusters),
            ("stories", &gold_stories, &stories),
        ] {
            if gold.is_empty() {
                continue;
            }
            let s = score(gold, predicted);
            // Errors are listed for the first order only; the others are summarised by score.
            let (merged, split) = errors(
                gold,
                predicted,
                if order == 0 { args.show_errors } else { 0 },
            );
            if !args.json {
                print_scores(name, &s);
                for m in &merged {
                    println!("  wrongly together: {}", term(&m.join(", ")));
                }
                for m in &split {
                    println!("  wrongly apart:    {}", term(&m.join(", ")));
                }
            }
            run.insert(name.into(), serde_json::json!({"scores": s, "wrongly_together": merged, "wrongly_apart": split}));
        }
        if !args.json && !rejected.is_empty() {
            println!(
                "{} documents rejected (first: {}: {}); each counts as a singleton in the \
                 prediction",
                rejected.len(),
                term(&rejected[0].origin.to_string()),
                term(&rejected[0].reason.to_string())
            );
        }
        per_order.push(serde_json::Value::Object(run));
        runs.push((clusters, stories));
    }
    report.insert("runs".into(), per_order.into());
    if !args.json {
        println!(
            "corpus: {} records, {} with a cluster label, {} with a story label; a labelled record \
             rejected or not stored counts as a singleton in the prediction",
            labels.len(),
            gold_clusters.len(),
            gold_stories.len()
        );
    }
    if runs.len() > 1 {
        let mut agreement = serde_json::Map::new();
        for (name, pick) in [("clusters", 0usize), ("stories", 1usize)] {
            let mut aris = Vec::new();
            for i in 0..runs.len() {
                for j in i + 1..runs.len() {
                    let (a, b) = (&runs[i], &runs[j]);
                    let (a, b) = if pick == 0 {
                        (&a.0, &b.0)
                    } else {
                        (&a.1, &b.1)
                    };
                    aris.push(score(a, b).adjusted_rand_index);
                }
            }
            let min = aris.iter().copied().fold(f64::INFINITY, f64::min);
            let mean = aris.iter().sum::<f64>() / aris.len() as f64;
            if !args.json {
                println!(
                    "{name:8} agreement across {} orders: ARI min {min:.4}, mean {mean:.4}",
                    runs.len()
                );
            }
            agreement.insert(
                name.into(),
                serde_json::json!({"min_ari": min, "mean_ari": mean}),
            );
        }
        report.insert("order_agreement".into(), agreement.into());
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    }
    Ok(ExitCode::SUCCESS)
}

/// The corpus's non-blank lines (gzip read through).
fn read_lines(path: &PathBuf) -> Result<Vec<String>> {
    let file = std::fs::File::open(path).with_context(|| format!("{}", path.display()))?;
    let reader: Box<dyn std::io::Read> = if path.extension().is_some_and(|e| e == "gz") {
        Box::new(flate2::read::MultiGzDecoder::new(file))
    } else {
        Box::new(file)
    };
    let mut out = Vec::new();
    for line in std::io::BufReader::new(reader).lines() {
        let line = line.with_context(|| format!("{}", path.display()))?;
        if !line.trim().is_empty() {
            out.push(line);
        }
    }
    Ok(out)
}
