//! Normalize + fingerprint throughput on real text, and the `simhash` crate on the same text.
//!
//! Text: the CleanEval gold texts in `$NEWSDEDUP_SHARED/corpus/cleaneval-gold/*.txt.gz` (default
//! `../shared`), read in place, one paragraph a line. Without them the bench says so and runs on
//! generated text instead.
//!
//! Before the timings it prints a quality table: for every text long enough, copies made the way
//! syndication edits text (one word changed; 90% or 60% of the paragraphs kept plus one word
//! changed) and unrelated pairs, with the Hamming distance of the `simhash` crate's fingerprint,
//! of ours, and the containment of our sketch (its lowest, median and highest value, and how many
//! pairs of all reach the clustering threshold). docs/BENCHMARKS.md explains the figures.
//!
//! Run: `cargo bench --bench fingerprint`; the table alone: `cargo bench --bench fingerprint --
//! no-timings` (a filter no timing matches).

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use flate2::read::GzDecoder;
use newsdedup::document::{Body, Document};
use newsdedup::fingerprint::{Fingerprint, fingerprint};
use newsdedup::normalize::{NormalizedText, normalize};
use newsdedup::pipeline::prepare;
use newsdedup::story::features::{ParagraphFeatures, combine};
use std::hint::black_box;
use std::io::Read;
use std::path::PathBuf;
use std::time::Duration;

/// The folder of the CleanEval gold texts.
fn gold_dir() -> PathBuf {
    let shared = std::env::var_os("NEWSDEDUP_SHARED").unwrap_or_else(|| "../shared".into());
    PathBuf::from(shared).join("corpus").join("cleaneval-gold")
}

/// A CleanEval gold file as plain text: the `URL:` line dropped, each `<p>`, `<h>` or `<l>`
/// block joined into one line.
fn gold_to_text(raw: &str) -> String {
    let raw = raw.trim_start_matches('\u{feff}');
    let mut paragraphs: Vec<String> = Vec::new();
    let mut current = String::new();
    for (i, line) in raw.lines().enumerate() {
        let line = line.trim();
        if i == 0 && line.starts_with("URL:") {
            continue;
        }
        let rest = ["<p>", "<h>", "<l>"]
            .iter()
            .find_map(|tag| line.strip_prefix(tag));
        if let Some(rest) = rest {
            if !current.is_empty() {
                paragraphs.push(std::mem::take(&mut current));
            }
            current.push_str(rest.trim());
        } else if !line.is_empty() {
            if !current.is_empty() {
                current.push(' ');
            }
            current.push_str(line);
        }
    }
    if !current.is_empty() {
        paragraphs.push(current);
    }
    paragraphs.retain(|p| !p.is_empty());
    paragraphs.join("\n")
}

/// The gold texts, in file-name order; `None` when the folder is missing or empty.
fn load_gold() -> Option<Vec<String>> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(gold_dir())
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.to_string_lossy().ends_with(".txt.gz"))
        .collect();
    paths.sort();
    let texts: Vec<String> = paths
        .iter()
        .filter_map(|p| {
            let mut bytes = Vec::new();
            GzDecoder::new(std::fs::File::open(p).ok()?)
                .read_to_end(&mut bytes)
                .ok()?;
            let text = gold_to_text(&String::from_utf8_lossy(&bytes));
            (!text.is_empty()).then_some(text)
        })
        .collect();
    (!texts.is_empty()).then_some(texts)
}

/// Stand-in text when the corpus is absent: 600 texts of pseudo-words in paragraphs.
fn generated() -> Vec<String> {
    let mut st = 0x5eed_u64;
    let mut next = move || {
        st = st
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        st >> 33
    };
    (0..600)
        .map(|_| {
            let paras = 5 + next() % 20;
            (0..paras)
                .map(|_| {
                    let words = 20 + next() % 80;
                    (0..words)
                        .map(|_| format!("w{}", next() % 20_000))
                        .collect::<Vec<_>>()
                        .join(" ")
                })
                .collect::<Vec<_>>()
                .join("\n")
        })
        .collect()
}

fn corpus() -> &'static [String] {
    static TEXTS: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    TEXTS.get_or_init(|| match load_gold() {
        Some(t) => {
            let bytes: usize = t.iter().map(String::len).sum();
            println!(
                "corpus: {} CleanEval gold texts from {}, {:.1} MB",
                t.len(),
                gold_dir().display(),
                bytes as f64 / 1e6
            );
            t
        }
        None => {
            println!(
                "corpus: {} not found: GENERATED TEXT (pseudo-words), figures are not comparable",
                gold_dir().display()
            );
            generated()
        }
    })
}

fn ours(n: &NormalizedText) -> Fingerprint {
    fingerprint(n.paragraphs.iter().map(|p| p.tokens.as_slice()))
}

/// One word near the middle of the kept text replaced, as an editor changes a word or a number.
fn edit(paragraphs: &[&str]) -> String {
    let mut out: Vec<String> = paragraphs.iter().map(|p| p.to_string()).collect();
    let mid = out.len() / 2;
    let words: Vec<&str> = out[mid].split(' ').collect();
    let w = words.len() / 2;
    let changed: Vec<&str> = words
        .iter()
        .enumerate()
        .map(|(i, x)| if i == w { "changed" } else { x })
        .collect();
    out[mid] = changed.join(" ");
    out.join("\n")
}

fn percentile(v: &mut [f64], p: f64) -> f64 {
    v.sort_by(f64::total_cmp);
    v[((v.len() - 1) as f64 * p).round() as usize]
}

fn share(v: &[f64], f: impl Fn(f64) -> bool) -> f64 {
    100.0 * v.iter().filter(|&&x| f(x)).count() as f64 / v.len() as f64
}

/// Prints, for each kind of copy, how far the crate's simhash and ours move, and how much of the
/// copy our sketch finds in the original.
fn quality_table(texts: &[String]) {
    // Long enough for a 60% cut to mean something: 5+ paragraphs and 200+ words.
    let usable: Vec<&String> = texts
        .iter()
        .filter(|t| t.lines().count() >= 5 && t.split_whitespace().count() >= 200)
        .collect();
    println!();
    println!(
        "quality: {} texts with 5+ paragraphs and 200+ words; copy vs original",
        usable.len()
    );
    println!(
        "{:<24} | {:>22} | {:>22} | {:>40}",
        "pair", "crate simhash: Hamming", "our simhash: Hamming", "our sketch: containment"
    );
    println!(
        "{:<24} | {:>6} {:>4} {:>4} {:>5} | {:>6} {:>4} {:>4} {:>5} | {:>6} {:>6} {:>6} {:>6} {:>11}",
        "",
        "p10-90",
        "med",
        "≤3%",
        "≤6%",
        "p10-90",
        "med",
        "≤3%",
        "≤6%",
        "min",
        "p10",
        "med",
        "max",
        "≥0.5"
    );
    let kinds: [(&str, Option<f64>); 4] = [
        ("one word changed", Some(1.0)),
        ("90% kept + word", Some(0.9)),
        ("60% kept + word", Some(0.6)),
        ("unrelated (next text)", None),
    ];
    for (name, keep) in kinds {
        let (mut crate_d, mut our_d, mut cont) = (Vec::new(), Vec::new(), Vec::new());
        for (i, orig) in usable.iter().enumerate() {
            let copy = match keep {
                Some(k) => {
                    let paras: Vec<&str> = orig.lines().collect();
                    let n = ((paras.len() as f64 * k).round() as usize).max(1);
                    edit(&paras[..n])
                }
                None => usable[(i + 1) % usable.len()].to_string(),
            };
            crate_d.push(
                simhash::hamming_distance(simhash::simhash(orig), simhash::simhash(&copy)) as f64,
            );
            let (a, b) = (ours(&normalize(orig)), ours(&normalize(&copy)));
            our_d.push(a.simhash.distance(b.simhash) as f64);
            let small = a.sketch.len().min(b.sketch.len()).max(1);
            cont.push(a.sketch.overlap(&b.sketch) as f64 / small as f64);
        }
        let range =
            |v: &mut Vec<f64>| format!("{:.0}-{:.0}", percentile(v, 0.1), percentile(v, 0.9));
        println!(
            "{:<24} | {:>6} {:>4.0} {:>4.0} {:>5.0} | {:>6} {:>4.0} {:>4.0} {:>5.0} | {:>6.2} {:>6.2} {:>6.2} {:>6.2} {:>11}",
            name,
            range(&mut crate_d),
            percentile(&mut crate_d, 0.5),
            share(&crate_d, |d| d <= 3.0),
            share(&crate_d, |d| d <= 6.0),
            range(&mut our_d),
            percentile(&mut our_d, 0.5),
            share(&our_d, |d| d <= 3.0),
            share(&our_d, |d| d <= 6.0),
            percentile(&mut cont, 0.0),
            percentile(&mut cont, 0.1),
            percentile(&mut cont, 0.5),
            percentile(&mut cont, 1.0),
            format!(
                "{}/{}",
                cont.iter().filter(|&&c| c >= 0.5).count(),
                cont.len()
            ),
        );
    }
    println!(
        "(containment: share of the smaller sketch found in the other; clustering joins at ≥ 0.5;\n \
         ≥0.5: pairs at or above it, of all pairs; ≤3% and ≤6%: share of pairs within 3 or 6 bits)"
    );
    println!();
}

fn benches(c: &mut Criterion) {
    let texts = corpus();
    quality_table(texts);
    let bytes: u64 = texts.iter().map(|t| t.len() as u64).sum();
    let normalized: Vec<NormalizedText> = texts.iter().map(|t| normalize(t)).collect();

    let mut g = c.benchmark_group("text");
    g.throughput(Throughput::Bytes(bytes))
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(8));
    g.bench_function("normalize+fingerprint", |b| {
        b.iter(|| {
            for t in texts {
                black_box(ours(&normalize(black_box(t))));
            }
        })
    });
    g.bench_function("normalize", |b| {
        b.iter(|| {
            for t in texts {
                black_box(normalize(black_box(t)));
            }
        })
    });
    g.bench_function("fingerprint (tokens given)", |b| {
        b.iter(|| {
            for n in &normalized {
                black_box(ours(black_box(n)));
            }
        })
    });
    g.bench_function("story features (paragraphs given)", |b| {
        b.iter(|| {
            for n in &normalized {
                let parts = ParagraphFeatures::of(n.paragraphs.iter().map(|p| p.text.as_str()));
                let all = (0..n.paragraphs.len()).map(|i| parts.paragraph(i));
                black_box(combine(black_box(all)));
            }
        })
    });
    // The whole parallel step of an ingest for a plain-text document: normalize, story features,
    // fingerprint, the draft of the stored text.
    let docs: Vec<Document> = texts
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let (title, body) = t.split_once('\n').unwrap_or(("", t));
            Document {
                external_id: i.to_string(),
                url: Some(format!("https://example.org/{i}")),
                source: "bench".into(),
                title: Some(title.to_string()),
                published: None,
                body: Body::Text(body.to_string()),
            }
        })
        .collect();
    g.bench_function("prepare (ingest's parallel step)", |b| {
        b.iter(|| {
            for d in &docs {
                let _ = black_box(prepare(String::new(), black_box(d.clone())));
            }
        })
    });
    g.bench_function("simhash crate", |b| {
        b.iter(|| {
            for t in texts {
                black_box(simhash::simhash(black_box(t)));
            }
        })
    });
    g.finish();
}

criterion_group!(fingerprint_benches, benches);
criterion_main!(fingerprint_benches);
