//! Large generated JSON Lines corpora for the crash and concurrency tests: many small, distinct
//! news-like documents (60–150 words: pseudo-words and common short words in sentences and
//! paragraphs), with some exact repeats of earlier records (a re-delivered feed item) and some
//! near copies by another outlet (a word changed, in the longer texts a sentence cut too) of a
//! recent text or of one of the first ones, all from a seeded RNG.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::collections::HashSet;
use std::io::Write;
use std::path::Path;

const SYLLABLES: &[&str] = &[
    "ka", "lo", "mi", "ra", "vo", "en", "is", "or", "pa", "ri", "tu", "xa", "bo", "ce", "du", "fe",
    "go", "hi", "ju", "le", "ma", "ne", "ni", "po", "sa", "te", "ve", "wa", "yo", "ze", "al", "on",
];

/// Short words that make up a third of running text.
const COMMON: &[&str] = &[
    "the", "of", "and", "to", "a", "in", "that", "is", "was", "for", "on", "said", "with", "by",
    "at", "from", "it", "as", "has", "had", "not", "but", "after", "were",
];

/// What was written.
#[derive(Debug, Clone, Default)]
pub struct CorpusStats {
    pub lines: usize,
    /// Distinct article identities (URLs) among the lines.
    pub identities: usize,
    /// Those URLs.
    pub urls: HashSet<String>,
    /// Lines that repeat an earlier line exactly.
    pub repeats: usize,
    /// The near copies, in the order written.
    pub near_copies: Vec<NearCopy>,
}

/// Another outlet's copy of a recent record's text, under its own headline and URL.
#[derive(Debug, Clone)]
pub struct NearCopy {
    pub original: String,
    pub copy: String,
    /// Besides the one word changed, a whole sentence of the original is left out.
    pub sentence_cut: bool,
}

fn vocabulary(rng: &mut StdRng, n: usize) -> Vec<String> {
    let mut seen = HashSet::new();
    let mut out = Vec::with_capacity(n);
    while out.len() < n {
        let parts = rng.random_range(2..=3);
        let w: String = (0..parts)
            .map(|_| SYLLABLES[rng.random_range(0..SYLLABLES.len())])
            .collect();
        if seen.insert(w.clone()) {
            out.push(w);
        }
    }
    out
}

fn capitalized(w: &str) -> String {
    let mut c = w.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// Paragraphs of `words` pseudo-words in sentences of 8–20 words.
fn body(rng: &mut StdRng, vocab: &[String], words: usize) -> Vec<Vec<String>> {
    let mut paragraphs = Vec::new();
    let mut left = words;
    while left > 0 {
        let para_words = rng.random_range(30..=70).min(left);
        left -= para_words;
        let mut para = Vec::with_capacity(para_words);
        let mut in_sentence = 0;
        let mut sentence_len = rng.random_range(8..=20);
        for i in 0..para_words {
            let w = if in_sentence > 0 && rng.random_bool(0.35) {
                COMMON[rng.random_range(0..COMMON.len())]
            } else {
                &vocab[rng.random_range(0..vocab.len())]
            };
            let mut w = if in_sentence == 0 {
                capitalized(w)
            } else {
                w.to_string()
            };
            in_sentence += 1;
            if in_sentence == sentence_len || i + 1 == para_words {
                w.push('.');
                in_sentence = 0;
                sentence_len = rng.random_range(8..=20);
            }
            para.push(w);
        }
        paragraphs.push(para);
    }
    paragraphs
}

fn text_of(paragraphs: &[Vec<String>]) -> String {
    paragraphs
        .iter()
        .map(|p| p.join(" "))
        .collect::<Vec<_>>()
        .join("\n\n")
}

/// Texts of at least this many words lose a sentence in their near copies: the copy keeps 100
/// words or more (sentences have at most 20), so its shingle sample stays large enough to be
/// compared, and all but the ~9 shingles around the cut and the changed word are the original's.
const CUT_FROM_WORDS: usize = 120;

/// A near copy of `paragraphs`: one word replaced by another of `vocab` (keeping its capital and
/// full stop) and, when the text has [`CUT_FROM_WORDS`] words or more, one sentence (not a
/// paragraph's only one) left out. Returns the copy and whether a sentence was cut.
fn near_copy(
    rng: &mut StdRng,
    vocab: &[String],
    paragraphs: &[Vec<String>],
) -> (Vec<Vec<String>>, bool) {
    let mut copy = paragraphs.to_vec();
    let words: usize = copy.iter().map(Vec::len).sum();
    let mut cut = false;
    if words >= CUT_FROM_WORDS {
        // Sentences as (paragraph, first word, end), in paragraphs of two or more.
        let mut sentences = Vec::new();
        for (p, para) in copy.iter().enumerate() {
            let mut start = 0;
            let mut spans = Vec::new();
            for (i, w) in para.iter().enumerate() {
                if w.ends_with('.') {
                    spans.push((p, start, i + 1));
                    start = i + 1;
                }
            }
            if spans.len() > 1 {
                sentences.extend(spans);
            }
        }
        if !sentences.is_empty() {
            let (p, from, to) = sentences[rng.random_range(0..sentences.len())];
            copy[p].drain(from..to);
            cut = true;
        }
    }
    let p = rng.random_range(0..copy.len());
    let w = rng.random_range(0..copy[p].len());
    let old = copy[p][w].clone();
    let bare = old.trim_end_matches('.');
    let mut new = bare.to_string();
    while new.eq_ignore_ascii_case(bare) {
        new = vocab[rng.random_range(0..vocab.len())].clone();
    }
    if bare.starts_with(|c: char| c.is_uppercase()) {
        new = capitalized(&new);
    }
    if old.ends_with('.') {
        new.push('.');
    }
    copy[p][w] = new;
    (copy, cut)
}

/// Texts of the corpus's first records that half the near copies copy (the other half copy a
/// recent one): a test that stops an ingest part-way has these originals stored, and most of
/// their copies not yet.
const EARLY: usize = 64;

/// Writes `docs` records to `path`: every 50th line repeats an earlier line exactly, and every
/// other 25th record is another outlet's near copy (under its own headline) of a recent record's
/// text, or, every other time, of one of the first [`EARLY`] records'.
pub fn write_corpus(path: &Path, docs: usize, seed: u64) -> CorpusStats {
    let mut rng = StdRng::seed_from_u64(seed);
    let vocab = vocabulary(&mut rng, 6000);
    let file = std::fs::File::create(path).expect("creating the corpus file");
    let mut out = std::io::BufWriter::with_capacity(1 << 20, file);
    let mut stats = CorpusStats::default();
    // Recent records, kept to repeat or copy: (url, line, paragraphs).
    let mut recent: Vec<(String, String, Vec<Vec<String>>)> = Vec::new();
    // The first records, kept to copy: (url, paragraphs).
    let mut early: Vec<(String, Vec<Vec<String>>)> = Vec::new();
    for n in 0..docs {
        let line = if n % 50 == 49 && !recent.is_empty() {
            stats.repeats += 1;
            recent[rng.random_range(0..recent.len())].1.clone()
        } else {
            let source = format!("outlet-{:02}", rng.random_range(0..40));
            let url = format!("https://{source}.example/news/{n}");
            let paragraphs = if n % 25 == 24 && !recent.is_empty() {
                let (original, orig) = if stats.near_copies.len() % 2 == 1 && early.len() == EARLY {
                    let (url, paragraphs) = &early[rng.random_range(0..early.len())];
                    (url.clone(), paragraphs)
                } else {
                    let (url, _, paragraphs) = &recent[rng.random_range(0..recent.len())];
                    (url.clone(), paragraphs)
                };
                let (copy, sentence_cut) = near_copy(&mut rng, &vocab, orig);
                stats.near_copies.push(NearCopy {
                    original,
                    copy: url.clone(),
                    sentence_cut,
                });
                copy
            } else {
                let words = rng.random_range(60..=150);
                body(&mut rng, &vocab, words)
            };
            // A headline says what its text reports: its words are the text's.
            let words: Vec<&String> = paragraphs.iter().flatten().collect();
            let title_words: Vec<String> = (0..rng.random_range(4..=9))
                .map(|_| {
                    words[rng.random_range(0..words.len())]
                        .trim_end_matches('.')
                        .to_lowercase()
                })
                .collect();
            let record = serde_json::json!({
                "id": format!("g{n}"),
                "url": url,
                "source": source,
                "title": capitalized(&title_words.join(" ")),
                "published": format!(
                    "2024-{:02}-{:02}T{:02}:{:02}:00Z",
                    rng.random_range(1..=12),
                    rng.random_range(1..=28),
                    rng.random_range(0..24),
                    rng.random_range(0..60)
                ),
                "text": text_of(&paragraphs),
            });
            let line = serde_json::to_string(&record).expect("serializing");
            stats.identities += 1;
            stats.urls.insert(url.clone());
            if early.len() < EARLY {
                early.push((url.clone(), paragraphs.clone()));
            }
            if recent.len() < 64 {
                recent.push((url, line.clone(), paragraphs));
            } else {
                let i = rng.random_range(0..recent.len());
                recent[i] = (url, line.clone(), paragraphs);
            }
            line
        };
        out.write_all(line.as_bytes()).expect("writing");
        out.write_all(b"\n").expect("writing");
        stats.lines += 1;
    }
    out.flush().expect("writing");
    stats
}

/// Writes `pairs` short stories (60–150 words) each followed later by another outlet's copy
/// with exactly one word changed (a corrected name or number); returns (original URL, copy URL).
pub fn write_one_word_copies(path: &Path, pairs: usize, seed: u64) -> Vec<(String, String)> {
    let mut rng = StdRng::seed_from_u64(seed);
    let vocab = vocabulary(&mut rng, 6000);
    let mut originals = Vec::with_capacity(pairs);
    let mut copies = Vec::with_capacity(pairs);
    let mut out = Vec::with_capacity(pairs);
    for n in 0..pairs {
        let words = rng.random_range(60..=150);
        let paragraphs = body(&mut rng, &vocab, words);
        let mut copy = paragraphs.clone();
        // A word inside a sentence of the first paragraph (always 30 words or more).
        let p = 0;
        let w = rng.random_range(1..copy[p].len());
        let end = if copy[p][w].ends_with('.') { "." } else { "" };
        let mut new = vocab[rng.random_range(0..vocab.len())].clone();
        while copy[p][w].trim_end_matches('.') == new {
            new = vocab[rng.random_range(0..vocab.len())].clone();
        }
        copy[p][w] = format!("{new}{end}");
        let a = format!("https://wire.example/brief/{n}");
        let b = format!("https://outlet.example/copy/{n}");
        originals.push(serde_json::json!({
            "url": a, "source": "wire", "title": format!("Brief {n}"), "text": text_of(&paragraphs),
        }));
        copies.push(serde_json::json!({
            "url": b, "source": "outlet", "title": format!("Brief {n}"), "text": text_of(&copy),
        }));
        out.push((a, b));
    }
    let mut s = String::new();
    for r in originals.iter().chain(&copies) {
        s.push_str(&r.to_string());
        s.push('\n');
    }
    std::fs::write(path, s).expect("writing");
    out
}
