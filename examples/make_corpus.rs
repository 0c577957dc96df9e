//! Writes a synthetic news corpus for the end-to-end ingest benchmark (docs/BENCHMARKS.md).
//!
//! ```sh
//! cargo run --release --example make_corpus -- OUT.jsonl N [SEED] [--reuse]
//! ```
//!
//! N JSON Lines documents (`id`, `url`, `source`, `title`, `published`, `text`), each about 8 KB
//! of text, paragraphs separated by "\n", built from the CleanEval gold texts
//! (`$NEWSDEDUP_SHARED/corpus/cleaneval-gold`, default `../shared`, read in place). An original
//! takes runs of consecutive gold paragraphs from random places as its outline; about 10% of the
//! documents are syndicated copies of a recent original by another outlet: the first 60-90% of its
//! paragraphs, with one word changed. The output depends only on N, the seed, the mode and the
//! corpus.
//!
//! The gold texts hold about 10 MB, so 100k documents of 8 KB must reuse them. Two modes:
//! - default (*fresh*): each paragraph of an original is rewritten by a word-bigram Markov chain
//!   trained on the gold texts, starting from the gold paragraph's first word and as long as it.
//!   The words, their lengths, punctuation and figures are real; word 5-grams recur across
//!   unrelated documents about as often as common phrases do in news, and passages are shared
//!   only by an original and its copies — as in a newsroom's feeds.
//! - `--reuse`: the gold paragraphs verbatim. Every gold paragraph then appears in about 80
//!   unrelated documents, a worst case for the containment index (every anchor's postings fill).

use flate2::read::GzDecoder;
use std::io::{BufWriter, Read, Write};
use std::path::PathBuf;

/// Outlets the documents are spread over.
const SOURCES: u64 = 250;
/// Share of documents that are syndicated copies.
const COPY_SHARE: f64 = 0.10;
/// Copies are made of one of this many most recent originals.
const COPY_WINDOW: usize = 2000;
/// Length after which a long paragraph is cut at the next sentence end, in bytes.
const PARAGRAPH_BYTES: usize = 400;
/// Text length of an original, in bytes: drawn between these.
const TEXT_BYTES: (u64, u64) = (7_000, 9_000);

/// SplitMix64: small, fast, and the same on every platform.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn between(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi - lo + 1)
    }

    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

fn gold_dir() -> PathBuf {
    let shared = std::env::var_os("NEWSDEDUP_SHARED").unwrap_or_else(|| "../shared".into());
    PathBuf::from(shared).join("corpus").join("cleaneval-gold")
}

/// The paragraphs of one CleanEval gold file: each `<p>`, `<h>` or `<l>` block on one line, the
/// `URL:` line dropped.
fn gold_paragraphs(raw: &str, out: &mut Vec<String>) {
    let raw = raw.trim_start_matches('\u{feff}');
    let mut current = String::new();
    let mut flush = |current: &mut String| {
        let p = std::mem::take(current);
        // Keep prose: a paragraph of a few words is a heading or a menu entry.
        if p.split_whitespace().count() >= 4 {
            split_long(&p, out);
        }
    };
    for (i, line) in raw.lines().enumerate() {
        let line = line.trim();
        if i == 0 && line.starts_with("URL:") {
            continue;
        }
        let rest = ["<p>", "<h>", "<l>"]
            .iter()
            .find_map(|tag| line.strip_prefix(tag));
        if let Some(rest) = rest {
            flush(&mut current);
            current.push_str(rest.trim());
        } else if !line.is_empty() {
            if !current.is_empty() {
                current.push(' ');
            }
            current.push_str(line);
        }
    }
    flush(&mut current);
}

/// A paragraph longer than a news paragraph (some pages are one block of text) is cut after a
/// sentence once a piece has [`PARAGRAPH_BYTES`], so no single block makes up most of a document.
fn split_long(p: &str, out: &mut Vec<String>) {
    let mut piece = String::new();
    for word in p.split(' ') {
        if !piece.is_empty() {
            piece.push(' ');
        }
        piece.push_str(word);
        if piece.len() >= PARAGRAPH_BYTES && word.ends_with(['.', '?', '!']) {
            out.push(std::mem::take(&mut piece));
        }
    }
    if !piece.is_empty() {
        out.push(piece);
    }
}

/// Every paragraph of the gold texts, in file and reading order, exact repeats dropped.
fn load_paragraphs() -> Result<Vec<String>, String> {
    let dir = gold_dir();
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map_err(|e| format!("{}: {e} (set NEWSDEDUP_SHARED)", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.to_string_lossy().ends_with(".txt.gz"))
        .collect();
    paths.sort();
    let mut all = Vec::new();
    for p in &paths {
        let mut bytes = Vec::new();
        GzDecoder::new(std::fs::File::open(p).map_err(|e| format!("{}: {e}", p.display()))?)
            .read_to_end(&mut bytes)
            .map_err(|e| format!("{}: {e}", p.display()))?;
        gold_paragraphs(&String::from_utf8_lossy(&bytes), &mut all);
    }
    let mut seen = std::collections::HashSet::new();
    all.retain(|p| seen.insert(p.clone()));
    if all.len() < 1000 {
        return Err(format!(
            "{}: only {} paragraphs found",
            dir.display(),
            all.len()
        ));
    }
    Ok(all)
}

struct Original {
    source: u64,
    title: String,
    paragraphs: Vec<String>,
    published: i64,
}

/// A word-bigram Markov chain over the gold paragraphs: for each word, the words that follow it
/// (with repeats, so a draw follows the corpus frequencies).
struct Chain {
    words: Vec<String>,
    next: Vec<Vec<u32>>,
}

impl Chain {
    fn train(pool: &[String]) -> Self {
        let mut ids: std::collections::HashMap<&str, u32> = std::collections::HashMap::new();
        let mut words: Vec<String> = Vec::new();
        let mut next: Vec<Vec<u32>> = Vec::new();
        for p in pool {
            let mut prev: Option<u32> = None;
            for w in p.split(' ').filter(|w| !w.is_empty()) {
                let cur = *ids.entry(w).or_insert_with(|| {
                    words.push(w.to_string());
                    next.push(Vec::new());
                    (words.len() - 1) as u32
                });
                if let Some(prev) = prev {
                    next[prev as usize].push(cur);
                }
                prev = Some(cur);
            }
        }
        Chain { words, next }
    }

    /// A paragraph as many words long as `like`, starting with its first word.
    fn rewrite(
        &self,
        rng: &mut Rng,
        like: &str,
        index: &std::collections::HashMap<String, u32>,
    ) -> String {
        let n = like.split(' ').filter(|w| !w.is_empty()).count();
        let first = like.split(' ').find(|w| !w.is_empty()).unwrap_or("The");
        let mut cur = index.get(first).copied().unwrap_or(0);
        let mut out = String::with_capacity(like.len() + 16);
        out.push_str(&self.words[cur as usize]);
        for _ in 1..n {
            let succ = &self.next[cur as usize];
            cur = if succ.is_empty() {
                // A dead end (a paragraph's last word): start again anywhere.
                rng.below(self.words.len() as u64) as u32
            } else {
                succ[rng.below(succ.len() as u64) as usize]
            };
            out.push(' ');
            out.push_str(&self.words[cur as usize]);
        }
        out
    }
}

/// A title: the first words of a paragraph, capitalised.
fn make_title(rng: &mut Rng, pool: &[String]) -> String {
    let p = &pool[rng.below(pool.len() as u64) as usize];
    let words: Vec<&str> = p
        .split_whitespace()
        .take(rng.between(5, 11) as usize)
        .collect();
    let mut t = words
        .join(" ")
        .trim_end_matches([',', '.', ';', ':'])
        .to_string();
    if let Some(first) = t.get(..1) {
        t = first.to_uppercase() + &t[1..];
    }
    t
}

/// One word of the text changed, as an editor changes a figure or a word.
fn change_a_word(rng: &mut Rng, paragraphs: &mut [String]) {
    const WORDS: &[&str] = &[
        "officials",
        "residents",
        "Tuesday",
        "council",
        "reportedly",
        "several",
        "major",
        "local",
    ];
    let i = rng.below(paragraphs.len() as u64) as usize;
    let mut words: Vec<String> = paragraphs[i].split(' ').map(str::to_string).collect();
    let w = rng.below(words.len() as u64) as usize;
    let changed = if words[w].bytes().any(|b| b.is_ascii_digit()) {
        words[w]
            .chars()
            .map(|c| match c.to_digit(10) {
                Some(d) => char::from_digit((d + 1) % 10, 10).expect("a digit"),
                None => c,
            })
            .collect()
    } else {
        let mut r = WORDS[rng.below(WORDS.len() as u64) as usize].to_string();
        if r == words[w] {
            r.push('s');
        }
        r
    };
    words[w] = changed;
    paragraphs[i] = words.join(" ");
}

fn source_name(s: u64) -> String {
    format!("outlet{s:03}.example")
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(out), Some(n)) = (
        args.first(),
        args.get(1).and_then(|n| n.parse::<u64>().ok()),
    ) else {
        eprintln!("usage: make_corpus OUT.jsonl N [SEED]");
        std::process::exit(2);
    };
    let seed = args
        .get(2)
        .filter(|s| !s.starts_with("--"))
        .and_then(|s| s.parse().ok())
        .unwrap_or(2024);
    let reuse = args.iter().any(|a| a == "--reuse");
    let pool = match load_paragraphs() {
        Ok(p) => p,
        Err(e) => {
            eprintln!("make_corpus: {e}");
            std::process::exit(1);
        }
    };
    let chain = (!reuse).then(|| Chain::train(&pool));
    let index: std::collections::HashMap<String, u32> = chain
        .as_ref()
        .map(|c| {
            c.words
                .iter()
                .enumerate()
                .map(|(i, w)| (w.clone(), i as u32))
                .collect()
        })
        .unwrap_or_default();
    let mut rng = Rng(seed);
    let file = std::fs::File::create(out).unwrap_or_else(|e| {
        eprintln!("make_corpus: {out}: {e}");
        std::process::exit(1);
    });
    let mut w = BufWriter::with_capacity(1 << 20, file);
    // 2025-01-01T00:00:00Z, then a document every 30 seconds or so.
    let start = 1_735_689_600i64;
    let mut originals: Vec<Original> = Vec::new();
    let (mut copies, mut text_bytes) = (0u64, 0u64);
    for i in 0..n {
        let published = start + 30 * i as i64 + rng.below(30) as i64;
        let copy_of = (!originals.is_empty() && rng.unit() < COPY_SHARE).then(|| {
            let recent = originals.len().min(COPY_WINDOW) as u64;
            originals.len() - 1 - rng.below(recent) as usize
        });
        let (source, title, paragraphs) = match copy_of {
            Some(o) => {
                let orig = &originals[o];
                let share = 0.6 + 0.3 * rng.unit();
                let keep = ((orig.paragraphs.len() as f64 * share).round() as usize).max(1);
                let mut paragraphs: Vec<String> = orig.paragraphs[..keep].to_vec();
                change_a_word(&mut rng, &mut paragraphs);
                let source = (orig.source + 1 + rng.below(SOURCES - 1)) % SOURCES;
                copies += 1;
                (source, orig.title.clone(), paragraphs)
            }
            None => {
                let target = rng.between(TEXT_BYTES.0, TEXT_BYTES.1) as usize;
                let mut picked: Vec<u32> = Vec::new();
                let mut len = 0;
                while len < target {
                    // A run of 1-4 consecutive paragraphs from somewhere in the corpus.
                    let run = rng.between(1, 4) as usize;
                    let at = rng.below((pool.len() - run) as u64) as usize;
                    for (p, text) in pool.iter().enumerate().skip(at).take(run) {
                        picked.push(p as u32);
                        len += text.len() + 1;
                    }
                }
                let source = rng.below(SOURCES);
                let title = make_title(&mut rng, &pool);
                let paragraphs: Vec<String> = picked
                    .iter()
                    .map(|&p| match &chain {
                        Some(c) => c.rewrite(&mut rng, &pool[p as usize], &index),
                        None => pool[p as usize].clone(),
                    })
                    .collect();
                if originals.len() >= COPY_WINDOW {
                    // Only recent originals are copied: drop the text of old ones.
                    let old = originals.len() - COPY_WINDOW;
                    originals[old].paragraphs = Vec::new();
                }
                originals.push(Original {
                    source,
                    title: title.clone(),
                    paragraphs: paragraphs.clone(),
                    published,
                });
                (source, title, paragraphs)
            }
        };
        let published = match copy_of {
            // A copy appears after its original.
            Some(o) => published.max(originals[o].published + 60),
            None => published,
        };
        let text = paragraphs.join("\n");
        text_bytes += text.len() as u64;
        let host = source_name(source);
        let record = serde_json::json!({
            "id": format!("doc-{i:07}"),
            "url": format!("https://{host}/news/{i:07}"),
            "source": host,
            "title": title,
            "published": chrono::DateTime::from_timestamp(published, 0)
                .expect("a time in range")
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            "text": text,
        });
        serde_json::to_writer(&mut w, &record).expect("writing JSON");
        w.write_all(b"\n").expect("writing the corpus");
    }
    w.flush().expect("writing the corpus");
    eprintln!(
        "{out}: {n} documents ({copies} syndicated copies), {:.1} MB of text, {:.0} bytes a document; {} source paragraphs",
        text_bytes as f64 / 1e6,
        text_bytes as f64 / n.max(1) as f64,
        pool.len()
    );
}
