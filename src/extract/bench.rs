//! The article-extraction benchmark: shingle scoring of extracted text against gold text, and a
//! runner over a benchmark folder laid out like Scrapinghub's article-extraction-benchmark
//! (`ground-truth.json`, `html/<id>.html.gz`, `output/<tool>.json`).
//!
//! In: a benchmark folder (or a published `output/*.json` file). Out: a [`BenchReport`] with
//! per-page and mean precision, recall and F1, and the extractor's speed on one thread.
//!
//! The scoring follows the benchmark's own definition, so that published figures can be
//! reproduced: texts are split into tokens (maximal runs of Unicode word characters — letters,
//! digits and `_`, as Python's `\w` reads them: combining marks split words; case is kept); a text
//! of fewer than four tokens is one shingle of all of them, a longer one is its word 4-grams, as a
//! multiset. Per page, true positives, false positives and false negatives are counted over
//! shingles and divided by their sum (so long pages weigh no more than short ones). Precision is
//! the mean over pages that predicted or matched anything (tp + fp > 0), recall the mean over pages
//! with gold text (tp + fn > 0); a page where prediction and gold agree exactly scores 1. F1 is
//! the harmonic mean of those two means.

use super::extract_page;
use crate::limits::Limits;
use serde::Serialize;
use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// True for the characters of Python's `\w` on text: alphanumeric (letters of categories L*,
/// numbers of N*) or `_`. Rust's `is_alphanumeric` also counts combining marks that are
/// "alphabetic" (Arabic vowel signs, Devanagari matras) and circled letters; Python does not.
fn is_word_char(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_alphanumeric() || c == '_';
    }
    c.is_alphanumeric()
        && !unicode_normalization::char::is_combining_mark(c)
        && !matches!(c, '\u{24B6}'..='\u{24E9}' | '\u{1F130}'..='\u{1F149}' | '\u{1F150}'..='\u{1F169}' | '\u{1F170}'..='\u{1F189}')
}

/// The benchmark's tokens: maximal runs of word characters.
pub fn tokens(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in text.char_indices() {
        match (is_word_char(c), start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                out.push(&text[s..i]);
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        out.push(&text[s..]);
    }
    out
}

/// The multiset of a text's word 4-gram shingles (one shingle of all tokens below four).
fn shingles<'a>(tokens: &'a [&'a str]) -> HashMap<&'a [&'a str], u32> {
    let mut counts = HashMap::new();
    if tokens.is_empty() {
        return counts;
    }
    if tokens.len() < 4 {
        counts.insert(tokens, 1);
        return counts;
    }
    for w in tokens.windows(4) {
        *counts.entry(w).or_insert(0) += 1;
    }
    counts
}

/// One page's shingle counts, normalized to sum to 1 (all zero when both texts are empty).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Counts {
    pub tp: f64,
    pub fp: f64,
    pub r#fn: f64,
}

impl Counts {
    /// The page's precision, `None` when it predicted and matched nothing.
    pub fn precision(&self) -> Option<f64> {
        if self.tp + self.fp <= 0.0 {
            None
        } else if self.fp == 0.0 && self.r#fn == 0.0 {
            Some(1.0)
        } else {
            Some(self.tp / (self.tp + self.fp))
        }
    }

    /// The page's recall, `None` when the gold text is empty.
    pub fn recall(&self) -> Option<f64> {
        if self.tp + self.r#fn <= 0.0 {
            None
        } else if self.fp == 0.0 && self.r#fn == 0.0 {
            Some(1.0)
        } else {
            Some(self.tp / (self.tp + self.r#fn))
        }
    }
}

/// Compares a predicted text with the gold text.
pub fn score(gold: &str, predicted: &str) -> Counts {
    let gt = tokens(gold);
    let pt = tokens(predicted);
    let g = shingles(&gt);
    let p = shingles(&pt);
    let (mut tp, mut fp, mut fneg) = (0u64, 0u64, 0u64);
    for (k, &pc) in &p {
        let gc = g.get(k).copied().unwrap_or(0);
        tp += u64::from(pc.min(gc));
        fp += u64::from(pc.saturating_sub(gc));
    }
    for (k, &gc) in &g {
        let pc = p.get(k).copied().unwrap_or(0);
        fneg += u64::from(gc.saturating_sub(pc));
    }
    let sum = (tp + fp + fneg) as f64;
    if sum == 0.0 {
        return Counts::default();
    }
    Counts {
        tp: tp as f64 / sum,
        fp: fp as f64 / sum,
        r#fn: fneg as f64 / sum,
    }
}

/// Mean precision, mean recall and their harmonic mean over pages, with the pages each mean is
/// over. A mean over no page is undefined (`None`), and so is F1 without both means.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Summary {
    pub precision: Option<f64>,
    pub recall: Option<f64>,
    pub f1: Option<f64>,
    /// Pages in the precision mean: those that predicted or matched anything.
    pub precision_pages: usize,
    /// Pages in the recall mean: those with gold text.
    pub recall_pages: usize,
}

/// Summarizes per-page counts the way the benchmark does.
pub fn summarize<'a>(pages: impl IntoIterator<Item = &'a Counts>) -> Summary {
    let (mut ps, mut pn, mut rs, mut rn) = (0.0, 0usize, 0.0, 0usize);
    for c in pages {
        if let Some(p) = c.precision() {
            ps += p;
            pn += 1;
        }
        if let Some(r) = c.recall() {
            rs += r;
            rn += 1;
        }
    }
    let precision = (pn > 0).then(|| ps / pn as f64);
    let recall = (rn > 0).then(|| rs / rn as f64);
    let f1 = match (precision, recall) {
        (Some(p), Some(r)) if p + r > 0.0 => Some(2.0 * p * r / (p + r)),
        (Some(_), Some(_)) => Some(0.0),
        _ => None,
    };
    Summary {
        precision,
        recall,
        f1,
        precision_pages: pn,
        recall_pages: rn,
    }
}

/// A benchmark error: what was being read and why it failed.
#[derive(Debug, thiserror::Error)]
#[error("{path}: {reason}")]
pub struct BenchError {
    pub path: PathBuf,
    pub reason: String,
}

fn err(path: &Path, reason: impl ToString) -> BenchError {
    BenchError {
        path: path.to_path_buf(),
        reason: reason.to_string(),
    }
}

/// One gold page: its id (the file stem), URL and article body.
#[derive(Debug, Clone)]
pub struct GoldPage {
    pub id: String,
    pub url: Option<String>,
    pub body: String,
}

/// Reads `ground-truth.json` (or a published output file) as `{id: {articleBody, url}}`, also in
/// the wrapped form `{"output": {...}, "version": ...}`; pages sorted by id.
pub fn read_bodies(path: &Path) -> Result<Vec<GoldPage>, BenchError> {
    let text = std::fs::read_to_string(path).map_err(|e| err(path, e))?;
    let value: serde_json::Value = serde_json::from_str(&text).map_err(|e| err(path, e))?;
    let map = match value.get("output") {
        Some(serde_json::Value::Object(m)) => m,
        _ => value
            .as_object()
            .ok_or_else(|| err(path, "not a JSON object"))?,
    };
    let mut pages: Vec<GoldPage> = map
        .iter()
        .map(|(id, v)| GoldPage {
            id: id.clone(),
            url: v.get("url").and_then(|u| u.as_str()).map(str::to_string),
            body: v
                .get("articleBody")
                .and_then(|b| b.as_str())
                .unwrap_or_default()
                .to_string(),
        })
        .collect();
    pages.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(pages)
}

/// One page's result.
#[derive(Debug, Clone, Serialize)]
pub struct PageScore {
    pub id: String,
    pub counts: Counts,
    pub precision: Option<f64>,
    pub recall: Option<f64>,
}

/// A page that is in neither mean, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Skipped {
    pub id: String,
    pub reason: String,
}

/// A benchmark run: the summary, each page, and the extractor's speed.
#[derive(Debug, Clone, Serialize)]
pub struct BenchReport {
    /// Gold pages.
    pub pages: usize,
    /// Pages in the precision mean, the recall mean or both.
    pub scored: usize,
    /// Pages in neither mean (no gold text and nothing predicted), with the reason.
    pub skipped: Vec<Skipped>,
    #[serde(flatten)]
    pub summary: Summary,
    /// Pages extracted per second on one thread (decoding and extraction, not reading or
    /// gunzipping the files); `None` when scoring a published output file.
    pub pages_per_sec: Option<f64>,
    /// Megabytes of HTML extracted per second on one thread.
    pub mb_per_sec: Option<f64>,
    /// Pages the extractor rejected as over a limit (scored as empty text, so they count in the
    /// recall mean as misses), with the reason.
    pub rejected: Vec<String>,
    pub per_page: Vec<PageScore>,
}

fn report(
    gold: &[GoldPage],
    predicted: &[String],
    elapsed: Option<(Duration, usize)>,
) -> BenchReport {
    let per_page: Vec<PageScore> = gold
        .iter()
        .zip(predicted)
        .map(|(g, p)| {
            let counts = score(&g.body, p);
            PageScore {
                id: g.id.clone(),
                counts,
                precision: counts.precision(),
                recall: counts.recall(),
            }
        })
        .collect();
    let summary = summarize(per_page.iter().map(|p| &p.counts));
    let skipped: Vec<Skipped> = per_page
        .iter()
        .filter(|p| p.precision.is_none() && p.recall.is_none())
        .map(|p| Skipped {
            id: p.id.clone(),
            reason: "no gold text and nothing predicted".into(),
        })
        .collect();
    let (pages_per_sec, mb_per_sec) = match elapsed {
        Some((d, bytes)) => {
            let s = d.as_secs_f64().max(1e-9);
            (Some(gold.len() as f64 / s), Some(bytes as f64 / 1e6 / s))
        }
        None => (None, None),
    };
    BenchReport {
        pages: gold.len(),
        scored: per_page.len() - skipped.len(),
        skipped,
        summary,
        pages_per_sec,
        mb_per_sec,
        rejected: Vec::new(),
        per_page,
    }
}

/// Scores a published output file (`output/<tool>.json`) against the folder's gold text. Every
/// gold page must have an entry (as the benchmark requires).
pub fn score_output(dir: &Path, output: &Path) -> Result<BenchReport, BenchError> {
    let gold = read_bodies(&dir.join("ground-truth.json"))?;
    let predicted = read_bodies(output)?;
    let by_id: HashMap<&str, &str> = predicted
        .iter()
        .map(|p| (p.id.as_str(), p.body.as_str()))
        .collect();
    let mut texts = Vec::with_capacity(gold.len());
    for g in &gold {
        let t = by_id
            .get(g.id.as_str())
            .ok_or_else(|| err(output, format!("no entry for page {}", g.id)))?;
        texts.push((*t).to_string());
    }
    if predicted.len() != gold.len() {
        return Err(err(
            output,
            format!("{} entries for {} gold pages", predicted.len(), gold.len()),
        ));
    }
    Ok(report(&gold, &texts, None))
}

/// Reads every page of the benchmark (gunzipped), in gold order.
pub fn read_pages(dir: &Path) -> Result<(Vec<GoldPage>, Vec<Vec<u8>>), BenchError> {
    let gold = read_bodies(&dir.join("ground-truth.json"))?;
    let mut pages = Vec::with_capacity(gold.len());
    for g in &gold {
        let path = dir.join("html").join(format!("{}.html.gz", g.id));
        let file = std::fs::File::open(&path).map_err(|e| err(&path, e))?;
        let mut bytes = Vec::new();
        flate2::read::GzDecoder::new(file)
            .read_to_end(&mut bytes)
            .map_err(|e| err(&path, e))?;
        pages.push(bytes);
    }
    Ok((gold, pages))
}

/// Runs [`extract_page`] over the benchmark on this thread, within `limits`, and scores it.
/// `rounds` > 1 repeats the timed extraction (the texts of the first round are scored) for a
/// steadier speed figure.
pub fn run(dir: &Path, rounds: usize, limits: &Limits) -> Result<BenchReport, BenchError> {
    let (gold, pages) = read_pages(dir)?;
    let bytes: usize = pages.iter().map(Vec::len).sum();
    let mut texts = Vec::new();
    let mut rejected = Vec::new();
    let mut best: Option<Duration> = None;
    for round in 0..rounds.max(1) {
        let start = Instant::now();
        let out: Vec<Result<String, String>> = gold
            .iter()
            .zip(&pages)
            .map(|(g, p)| {
                extract_page(p, None, g.url.as_deref(), limits)
                    .map(|e| e.text)
                    .map_err(|e| format!("{}: {e}", g.id))
            })
            .collect();
        let d = start.elapsed();
        best = Some(best.map_or(d, |b| b.min(d)));
        if round == 0 {
            for t in out {
                texts.push(t.unwrap_or_else(|e| {
                    rejected.push(e);
                    String::new()
                }));
            }
        }
    }
    let mut r = report(&gold, &texts, best.map(|d| (d, bytes)));
    r.rejected = rejected;
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_follow_python_word_characters() {
        assert_eq!(
            tokens("It's 3.5% — snake_case"),
            ["It", "s", "3", "5", "snake_case"]
        );
        // Arabic harakat are combining marks: they split words, as in Python.
        assert_eq!(tokens("كَتَب"), ["ك", "ت", "ب"]);
        assert_eq!(tokens("Диета Аткинса"), ["Диета", "Аткинса"]);
    }

    #[test]
    fn scores_shingles_as_multisets() {
        let c = score("a b c d e", "a b c d e");
        assert_eq!((c.precision(), c.recall()), (Some(1.0), Some(1.0)));
        // 2 gold shingles, 1 predicted and shared.
        let c = score("a b c d e", "a b c d");
        assert_eq!(c.precision(), Some(1.0));
        assert_eq!(c.recall(), Some(0.5));
        // Short texts are one shingle.
        let c = score("a b", "a b");
        assert_eq!(c.precision(), Some(1.0));
        let c = score("", "");
        assert_eq!((c.precision(), c.recall()), (None, None));
        let c = score("a b c d", "");
        assert_eq!((c.precision(), c.recall()), (None, Some(0.0)));
    }

    #[test]
    fn means_count_their_pages_and_are_undefined_over_none() {
        let s = summarize(&[]);
        assert_eq!((s.precision, s.recall, s.f1), (None, None, None));
        assert_eq!((s.precision_pages, s.recall_pages), (0, 0));
        // One page found half its gold text, one predicted nothing, one has no gold text.
        let pages = [
            score("a b c d e", "a b c d"),
            score("a b c d", ""),
            score("", "a b"),
        ];
        let s = summarize(&pages);
        assert_eq!((s.precision_pages, s.recall_pages), (2, 2));
        assert_eq!((s.precision, s.recall), (Some(0.5), Some(0.25)));
        let gold = ["x", "y", "z"].map(|id| GoldPage {
            id: id.into(),
            url: None,
            body: if id == "z" {
                String::new()
            } else {
                "a b".into()
            },
        });
        let r = report(&gold, &["a b".into(), "a b".into(), String::new()], None);
        assert_eq!((r.pages, r.scored), (3, 2));
        assert_eq!(
            r.skipped,
            [Skipped {
                id: "z".into(),
                reason: "no gold text and nothing predicted".into()
            }]
        );
        assert_eq!(r.summary.f1, Some(1.0));
    }
}
