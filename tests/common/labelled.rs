//! The labelled corpora of `newsdedup eval`, built from the shared data (read in place, never
//! copied into the repository). Used by the quality floors (`tests/quality.rs`) and by the examples
//! that write the corpora to a file (`examples/make_labelled.rs`, `examples/seed_corpus.rs`), which
//! include this file by path, so a test scores exactly what the examples write.
//!
//! - [`syndication_corpus`]: syndication copies of real articles. Originals: the 181 gold texts of
//!   `bench/extraction/ground-truth.json` and the cleaned pages of `corpus/cleaneval-gold`. Each
//!   original gets 0–5 copies from other outlets, each with a random mix of: the outlet's header,
//!   footer and in-text furniture; truncation to 60–100% of the paragraphs; a dropped paragraph; a
//!   changed number or word; a new headline; a dateline; curly or straight quotes and HTML
//!   entities; a few typos; an editor's note; reader comments. `hard` adds copy-editing, the
//!   outlet's own paragraphs, more typos and briefs. Every record carries `cluster` and `story`,
//!   the original it copies.
//! - [`template_corpus`]: template stories (an original with every name and figure substituted)
//!   among copies with one figure changed, a new headline, a cut, or local paragraphs added.
//! - [`seed_corpus`]: the five seed reports of one statement (one story) among the extraction
//!   benchmark's 181 gold texts as distractors (each its own story).
//!
//! Everything is driven by a seeded RNG: the same seed gives the same records, byte for byte.
#![allow(dead_code)]

#[path = "furniture.rs"]
pub mod furniture;

use newsdedup::ingest::split_title;
use rand::rngs::StdRng;
use rand::seq::{IndexedRandom, SliceRandom};
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};
use std::io::Read;
use std::path::Path;

fn cleaneval_paragraphs(raw: &str) -> Vec<String> {
    let mut paras = Vec::new();
    let mut cur = String::new();
    for line in raw.lines().skip_while(|l| l.starts_with("URL:")) {
        let t = line.trim();
        let (marker, rest) = match t.get(..3) {
            Some("<p>") | Some("<h>") | Some("<l>") => (true, t[3..].trim()),
            _ => (false, t),
        };
        if marker || t.is_empty() {
            if !cur.trim().is_empty() {
                paras.push(std::mem::take(&mut cur).trim().to_string());
            }
            cur.clear();
        }
        if !rest.is_empty() {
            if !cur.is_empty() {
                cur.push(' ');
            }
            cur.push_str(rest);
        }
    }
    if !cur.trim().is_empty() {
        paras.push(cur.trim().to_string());
    }
    paras
        .into_iter()
        .filter(|p| p.split_whitespace().count() >= 8)
        .collect()
}

/// The originals: (title, paragraphs) of every article-sized gold text.
pub fn load_originals(shared: &Path) -> Vec<(String, Vec<String>)> {
    let mut out = Vec::new();
    let gt = shared.join("bench/extraction/ground-truth.json");
    if let Ok(s) = std::fs::read_to_string(&gt) {
        let v: serde_json::Value = serde_json::from_str(&s).expect("ground-truth.json is JSON");
        let mut entries: Vec<_> = v.as_object().expect("an object").iter().collect();
        entries.sort_by(|a, b| a.0.cmp(b.0));
        for (_, e) in entries {
            let body = e["articleBody"].as_str().unwrap_or("");
            let paras: Vec<String> = body
                .split('\n')
                .map(|p| p.trim().to_string())
                .filter(|p| p.split_whitespace().count() >= 4)
                .collect();
            let url = e["url"].as_str().unwrap_or("");
            let slug = url
                .trim_end_matches('/')
                .rsplit('/')
                .next()
                .unwrap_or("")
                .replace(['-', '_'], " ");
            let title: String = slug
                .split_whitespace()
                .filter(|w| !w.chars().all(|c| c.is_ascii_digit()))
                .take(12)
                .collect::<Vec<_>>()
                .join(" ");
            if paras
                .iter()
                .map(|p| p.split_whitespace().count())
                .sum::<usize>()
                >= 60
            {
                out.push((title, paras));
            }
        }
    }
    let dir = shared.join("corpus/cleaneval-gold");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .map(|d| d.filter_map(|e| e.ok()).map(|e| e.path()).collect())
        .unwrap_or_default();
    files.sort();
    for f in files {
        let mut s = String::new();
        let Ok(file) = std::fs::File::open(&f) else {
            continue;
        };
        if flate2::read::GzDecoder::new(file)
            .read_to_string(&mut s)
            .is_err()
        {
            continue;
        }
        let mut paras = cleaneval_paragraphs(&s);
        // Keep article-sized texts: cap at ~1,500 words.
        let mut words = 0;
        paras.retain(|p| {
            words += p.split_whitespace().count();
            words <= 1500
        });
        if words < 80 {
            continue;
        }
        let title: String = paras[0]
            .split_whitespace()
            .take(10)
            .collect::<Vec<_>>()
            .join(" ");
        out.push((title, paras));
    }
    out
}

/// Where the outlets' furniture (header, footer and in-text lines) comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Furniture {
    /// The lines written for this generator (the fixed furniture rules know most of them).
    Written,
    /// Blocks harvested from the extraction benchmark's real pages outside their article text
    /// ([`furniture`]), four before and four after, one in the text, one site an outlet.
    Harvested,
}

impl Furniture {
    pub fn parse(s: &str) -> Option<Furniture> {
        match s {
            "written" => Some(Furniture::Written),
            "harvested" => Some(Furniture::Harvested),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Furniture::Written => "written",
            Furniture::Harvested => "harvested",
        }
    }
}

struct Outlet {
    name: String,
    header: Vec<String>,
    footer: Vec<String>,
    inline: String,
}

/// The outlets with their furniture from `source`: the same names either way.
fn outlets_from(shared: &Path, source: Furniture) -> Vec<Outlet> {
    let mut outlets = outlets();
    if source == Furniture::Harvested {
        let drawn = furniture::draw(&furniture::harvest(shared), outlets.len(), 4);
        for (o, d) in outlets.iter_mut().zip(drawn) {
            o.header = d.header;
            o.footer = d.footer;
            o.inline = d.inline[d.inline.len() / 2].clone();
        }
    }
    outlets
}

fn outlets() -> Vec<Outlet> {
    let names = [
        "Daily Ledger",
        "Morning Courier",
        "Valley Times",
        "Harbor Post",
        "The Sentinel",
        "Metro Wire",
        "Coastal Herald",
        "Northern Star",
        "City Beacon",
        "Prairie Gazette",
        "River Journal",
        "Summit News",
        "Capital Dispatch",
        "Evening Standard-Tribune",
        "Lakeside Chronicle",
        "Union Register",
    ];
    names
        .iter()
        .enumerate()
        .map(|(i, n)| Outlet {
            name: n.to_string(),
            header: match i % 4 {
                0 => vec![
                    "Skip to main content".into(),
                    format!("{n} | News"),
                    "Share this article".into(),
                ],
                1 => vec![
                    "Advertisement".into(),
                    format!("By {n} Staff"),
                    "Published 3 April 2024".into(),
                ],
                2 => vec![
                    "Support Us".into(),
                    "Follow us on Twitter and Facebook".into(),
                ],
                _ => vec!["Menu".into(), "Listen to this article".into()],
            },
            footer: match i % 3 {
                0 => vec![
                    "Read more: the week's top stories".into(),
                    format!("© 2024 {n}. All rights reserved."),
                    "We use cookies to give you the best experience on our website.".into(),
                ],
                1 => vec![
                    "Sign up for our newsletter".into(),
                    format!("Copyright {n} 2024"),
                    "Related stories".into(),
                    "Source link".into(),
                ],
                _ => vec![
                    "Subscribe to our newsletter for daily updates.".into(),
                    "Advertisement".into(),
                ],
            },
            inline: [
                "Advertisement",
                "Story continues below advertisement",
                "Read more: related coverage",
            ][i % 3]
                .into(),
        })
        .collect()
}

fn typo(w: &str, rng: &mut StdRng) -> String {
    let c: Vec<char> = w.chars().collect();
    if c.len() < 4 {
        return w.to_string();
    }
    let i = rng.random_range(1..c.len() - 1);
    let mut c = c;
    c.swap(i, i - 1);
    c.into_iter().collect()
}

fn edit_number_or_word(paras: &mut [String], rng: &mut StdRng) {
    if paras.is_empty() {
        return;
    }
    let pi = rng.random_range(0..paras.len());
    let mut words: Vec<String> = paras[pi].split(' ').map(String::from).collect();
    if let Some(i) = words
        .iter()
        .position(|w| w.chars().any(|c| c.is_ascii_digit()))
    {
        words[i] = words[i]
            .chars()
            .map(|c| {
                if c.is_ascii_digit() {
                    char::from(b'0' + (c as u8 - b'0' + 3) % 10)
                } else {
                    c
                }
            })
            .collect();
    } else {
        let i = rng.random_range(0..words.len());
        words[i] = ["reportedly", "officials", "Tuesday", "several", "recently"]
            .choose(rng)
            .unwrap()
            .to_string();
    }
    paras[pi] = words.join(" ");
}

fn typography(s: &str, curly: bool, entities: bool) -> String {
    let mut out = String::with_capacity(s.len());
    let mut open = true;
    for c in s.chars() {
        match c {
            '"' | '\u{201C}' | '\u{201D}' if curly => {
                out.push(if open { '\u{201C}' } else { '\u{201D}' });
                open = !open;
            }
            '\u{201C}' | '\u{201D}' => out.push_str(if entities { "&quot;" } else { "\"" }),
            '\'' if curly => out.push('\u{2019}'),
            '\u{2019}' | '\u{2018}' if !curly => out.push('\''),
            '&' if entities => out.push_str("&amp;"),
            '\u{2014}' if !curly => out.push_str(" -- "),
            c => out.push(c),
        }
    }
    out
}

/// The syndication corpus of `seed` (`hard`: the harder edits) with the outlets' furniture from
/// `source`, in the order it is written, and the number of originals; `None` when no originals
/// are found under `shared`. The RNG draws the same either way, so the two sources give the same
/// copies with different furniture.
pub fn syndication_corpus(
    shared: &Path,
    seed: u64,
    hard: bool,
    source: Furniture,
) -> Option<(Vec<Value>, usize)> {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut originals = load_originals(shared);
    // One text in eight is kept back as the outlets' own local paragraphs.
    let locals: Vec<(String, Vec<String>)> = originals.iter().skip(7).step_by(8).cloned().collect();
    let mut i = 0;
    originals.retain(|_| {
        i += 1;
        (i - 1) % 8 != 7
    });
    if originals.is_empty() || locals.is_empty() {
        return None;
    }
    let outlets = outlets_from(shared, source);
    let mut records = Vec::new();
    for (oi, (title, paras)) in originals.iter().enumerate() {
        // Some originals are briefs: their first two or three paragraphs.
        let brief;
        let paras = if hard && rng.random_bool(0.2) {
            brief = paras[..paras.len().min(rng.random_range(2..=3))].to_vec();
            &brief
        } else {
            paras
        };
        let source = &outlets[oi % outlets.len()];
        let day = 1 + (oi % 27);
        records.push(json!({
            "id": format!("o{oi}"), "url": format!("https://origin.example/{oi}"), "source": source.name,
            "title": title, "published": format!("2024-04-{day:02}T08:00:00Z"),
            "text": paras.join("\n"), "cluster": format!("c{oi}"), "story": format!("c{oi}"),
        }));
        let copies = *[0, 0, 0, 1, 1, 1, 2, 2, 3, 5].choose(&mut rng).unwrap();
        for ci in 0..copies {
            let outlet = outlets.choose(&mut rng).unwrap();
            let mut p = paras.clone();
            if rng.random_bool(0.7) {
                let keep = (p.len() as f64 * rng.random_range(0.6..=1.0)).ceil() as usize;
                p.truncate(keep.max(1));
            }
            if p.len() > 4 && rng.random_bool(0.2) {
                let i = rng.random_range(1..p.len() - 1);
                p.remove(i);
            }
            if rng.random_bool(0.5) {
                edit_number_or_word(&mut p, &mut rng);
            }
            if rng.random_bool(0.3) {
                p[0] = format!(
                    "{} (AP) — {}",
                    ["WASHINGTON", "LONDON", "NEW YORK", "PARIS"]
                        .choose(&mut rng)
                        .unwrap(),
                    p[0]
                );
            }
            if rng.random_bool(0.2) {
                for para in p.iter_mut() {
                    *para = para
                        .split(' ')
                        .map(|w| {
                            if rng.random_bool(0.02) {
                                typo(w, &mut rng)
                            } else {
                                w.to_string()
                            }
                        })
                        .collect::<Vec<_>>()
                        .join(" ");
                }
            }
            if hard && rng.random_bool(0.3) {
                // Copy-editing: a word or two changed in a third of the paragraphs.
                for para in p.iter_mut() {
                    if rng.random_bool(0.3) {
                        let mut words: Vec<String> = para.split(' ').map(String::from).collect();
                        for _ in 0..rng.random_range(1..=2) {
                            let i = rng.random_range(0..words.len());
                            words[i] = ["said", "officials", "on Tuesday", "reportedly", "also"]
                                .choose(&mut rng)
                                .unwrap()
                                .to_string();
                        }
                        *para = words.join(" ");
                    }
                }
            }
            if hard && rng.random_bool(0.3) {
                // The outlet's own paragraphs (text no other record carries) inserted.
                let other = &locals[rng.random_range(0..locals.len())].1;
                for _ in 0..rng.random_range(1..=2) {
                    let q = other.choose(&mut rng).unwrap().clone();
                    let at = rng.random_range(0..=p.len());
                    p.insert(at, q);
                }
            }
            if hard && rng.random_bool(0.1) {
                for para in p.iter_mut() {
                    *para = para
                        .split(' ')
                        .map(|w| {
                            if rng.random_bool(0.05) {
                                typo(w, &mut rng)
                            } else {
                                w.to_string()
                            }
                        })
                        .collect::<Vec<_>>()
                        .join(" ");
                }
            }
            if rng.random_bool(0.1) {
                p.push(
                    "Editor's note: This story has been updated to include comment from officials."
                        .into(),
                );
            }
            let (curly, ent) = (rng.random_bool(0.5), rng.random_bool(0.3));
            let mut lines: Vec<String> = outlet.header.clone();
            for (i, para) in p.iter().enumerate() {
                lines.push(typography(para, curly, ent));
                if i == 2 && rng.random_bool(0.5) {
                    lines.push(outlet.inline.clone());
                }
            }
            if rng.random_bool(0.2) {
                lines.push("Comments (3)".into());
                lines.push("This is exactly what I said would happen, nobody listens.".into());
                lines.push("Great reporting, thanks for covering this.".into());
            }
            lines.extend(outlet.footer.iter().cloned());
            let new_title = if rng.random_bool(0.5) {
                format!("{} - {}", title, outlet.name)
            } else {
                title.clone()
            };
            records.push(json!({
                "id": format!("o{oi}c{ci}"), "url": format!("https://{}.example/{oi}-{ci}", outlet.name.to_lowercase().replace(' ', "")),
                "source": outlet.name, "title": new_title,
                "published": format!("2024-04-{day:02}T{:02}:00:00Z", 9 + ci),
                "text": lines.join("\n"), "cluster": format!("c{oi}"), "story": format!("c{oi}"),
            }));
        }
    }
    records.shuffle(&mut rng);
    Some((records, originals.len()))
}

/// The core of a word (its letters and digits, punctuation around it removed) when it reads as a
/// fact: a figure, or a capitalised word inside a sentence that is not a function word.
fn fact_core(word: &str, sentence_start: bool) -> Option<&str> {
    let core = word.trim_matches(|c: char| !c.is_alphanumeric());
    let first = core.chars().next()?;
    let function_word =
        newsdedup::story::closed_class::is_function_word(&core.to_lowercase()) || core.len() < 3;
    (core.chars().any(|c| c.is_ascii_digit())
        || (first.is_uppercase() && !sentence_start && !function_word))
        .then_some(core)
}

/// The text with its facts substituted: every figure by another of its shape, every name by
/// another name from `names`, the same substitute wherever a fact recurs (in `map`).
fn substitute_facts(
    text: &str,
    names: &[String],
    map: &mut std::collections::HashMap<String, String>,
    rng: &mut StdRng,
) -> String {
    // Names are learned where they are plainly names (inside a sentence), then replaced
    // everywhere, also where they open one.
    let mut start = true;
    for w in text.split(' ') {
        if let Some(core) = fact_core(w, start)
            && !map.contains_key(core)
        {
            let sub = if core.chars().any(|c| c.is_ascii_digit()) {
                core.chars()
                    .map(|c| {
                        if c.is_ascii_digit() {
                            char::from(b'0' + rng.random_range(0..10u8))
                        } else {
                            c
                        }
                    })
                    .collect()
            } else {
                names.choose(rng).unwrap().clone()
            };
            if sub != core {
                map.insert(core.to_string(), sub);
            }
        }
        start = w.ends_with(['.', '!', '?']);
    }
    text.split(' ')
        .map(|w| {
            let core = w.trim_matches(|c: char| !c.is_alphanumeric());
            match map.get(core) {
                Some(sub) if !core.is_empty() => w.replacen(core, sub, 1),
                _ => w.to_string(),
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Facts of a text (figures and capitalised words inside sentences).
fn fact_count(paras: &[String]) -> usize {
    paras
        .iter()
        .map(|p| {
            let mut start = true;
            p.split(' ')
                .filter(|w| {
                    let f = fact_core(w, start).is_some();
                    start = w.ends_with(['.', '!', '?']);
                    f
                })
                .count()
        })
        .sum()
}

/// Template stories among copies: for one original in three (of those stating at least 6
/// facts), one or two *template stories* — the same text with every name and figure substituted
/// (another company's earnings, another town's crime log), each a cluster and story of its own —
/// and four copies that must join the original: one figure changed, a new headline, cut to 60%
/// of the paragraphs, and the local outlet's paragraphs added. Every record carries `cluster` and
/// `story`.
pub fn template_corpus(shared: &Path, seed: u64) -> Option<Vec<Value>> {
    let mut rng = StdRng::seed_from_u64(seed);
    let originals = load_originals(shared);
    let locals: Vec<&Vec<String>> = originals.iter().skip(1).step_by(3).map(|o| &o.1).collect();
    let names: Vec<String> = originals
        .iter()
        .flat_map(|(_, paras)| paras.iter())
        .flat_map(|p| p.split(' '))
        .filter_map(|w| fact_core(w, false))
        .filter(|c| c.chars().all(char::is_alphabetic) && c.len() >= 4)
        .map(String::from)
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    if names.is_empty() || locals.is_empty() {
        return None;
    }
    let outlets = outlets();
    let mut records = Vec::new();
    let record = |id: String, outlet: &str, title: &str, paras: &[String], label: &str, hour| {
        json!({
            "id": id, "url": format!("https://{}.example/{}", outlet.to_lowercase().replace(' ', ""), label),
            "source": outlet, "title": title, "published": format!("2024-05-01T{hour:02}:00:00Z"),
            "text": paras.join("\n"), "cluster": label, "story": label,
        })
    };
    for (oi, (title, paras)) in originals.iter().enumerate().step_by(3) {
        if fact_count(paras) < 6 {
            continue;
        }
        let home = &outlets[oi % outlets.len()].name;
        let label = format!("c{oi}");
        records.push(record(format!("o{oi}"), home, title, paras, &label, 8));
        for t in 0..rng.random_range(1..=2) {
            let mut map = std::collections::HashMap::new();
            let t_title = substitute_facts(title, &names, &mut map, &mut rng);
            let t_paras: Vec<String> = paras
                .iter()
                .map(|p| substitute_facts(p, &names, &mut map, &mut rng))
                .collect();
            let t_label = format!("t{oi}-{t}");
            records.push(record(
                format!("o{oi}t{t}"),
                home,
                &t_title,
                &t_paras,
                &t_label,
                9 + t,
            ));
        }
        for (ci, edit) in ["figure", "headline", "cut", "local"].iter().enumerate() {
            let outlet = &outlets[(oi + 1 + ci) % outlets.len()].name;
            let mut p = paras.clone();
            let mut t = title.clone();
            match *edit {
                "figure" => edit_number_or_word(&mut p, &mut rng),
                "headline" => {
                    t = p[0].split(' ').take(9).collect::<Vec<_>>().join(" ");
                }
                "cut" => p.truncate(((p.len() as f64) * 0.6).ceil() as usize),
                _ => {
                    let other = locals[rng.random_range(0..locals.len())];
                    for q in other.iter().take(2) {
                        let at = rng.random_range(0..=p.len());
                        p.insert(at, q.clone());
                    }
                }
            }
            records.push(record(
                format!("o{oi}c{ci}"),
                outlet,
                &t,
                &p,
                &label,
                11 + ci,
            ));
        }
    }
    records.shuffle(&mut rng);
    Some(records)
}

/// The seeds among distractors. Gold labels: `cluster` is the record's own id (no two are
/// copies); `story` is `seeds` for the five seeds and the record's own id for a distractor.
pub fn seed_corpus(shared: &Path) -> Vec<Value> {
    let mut records = Vec::new();
    let mut seeds: Vec<_> = std::fs::read_dir(shared.join("corpus/seeds"))
        .expect("the seeds folder")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "txt"))
        .collect();
    seeds.sort();
    for p in &seeds {
        let text = std::fs::read_to_string(p).expect("a seed");
        let id = p.file_stem().unwrap().to_string_lossy().into_owned();
        let (title, _) = split_title(&text);
        records.push(json!({"id": id, "source": id, "title": title, "text": text, "cluster": id, "story": "seeds"}));
    }
    let gt: Value = serde_json::from_str(
        &std::fs::read_to_string(shared.join("bench/extraction/ground-truth.json"))
            .expect("ground truth"),
    )
    .expect("JSON");
    let mut entries: Vec<_> = gt.as_object().expect("object").iter().collect();
    entries.sort_by_key(|e| e.0);
    for (id, v) in entries {
        records.push(json!({"id": id, "url": v["url"], "text": v["articleBody"], "cluster": id, "story": id}));
    }
    records
}

/// Writes records as JSON Lines, one compact object a line.
pub fn write_records(path: &Path, records: &[Value]) -> std::io::Result<()> {
    use std::io::Write;
    let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
    for r in records {
        writeln!(out, "{r}")?;
    }
    out.flush()
}
