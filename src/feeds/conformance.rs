//! Conformance harness: our feed parser run over two other parsers' test suites.
//!
//! In: the shared folder (`$NEWSDEDUP_SHARED`) holding `bench/feeds/gofeed/testdata` (each feed
//! beside a JSON file of gofeed's parsed result) and `bench/feeds/feedparser/tests` (each feed with
//! an `Expect:` Python expression in a leading comment). Out: a [`ConformanceReport`]: pass rates
//! per field for gofeed, the share of feedparser checks that pass (outside `sanitize/` and, apart,
//! inside it), what was not applicable and why, and every panic and time-out.
//!
//! Every file is parsed on its own thread under `catch_unwind` with a time limit; a panic (caught
//! inside the parser or escaping it) counts as a crash, a parse that outlives the limit as a hang.
//!
//! Only the fields we store are compared; the normalisations (documented in `docs/FEEDS.md`):
//! text is trimmed and runs of ASCII whitespace collapsed; a title matches the expected string or
//! its plain-text rendering (markup removed, entities decoded); HTML (summaries, content,
//! descriptions) is compared after parsing both sides with an HTML5 parser and serialising again,
//! and where the expected value may be plain text (its type is unknown or `text`) its escaped form
//! also matches; dates compare as instants; authors match by name, by e-mail when no name is
//! given, or by the raw RSS string; encodings compare as the WHATWG encodings their labels name.

use super::html::{collapse_whitespace, escape_html, html_to_text};
use super::{Charset, FeedError, FeedKind, ParsedFeed, parse_feed};
use chrono::{DateTime, Datelike, Timelike, Utc};
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

/// How long one file may take before it counts as a hang.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// The result of parsing one file in isolation.
#[derive(Debug)]
pub enum FileOutcome {
    Parsed(Box<ParsedFeed>),
    Failed(FeedError),
    /// A panic: caught inside the parser (reported as an error) or escaping it.
    Panicked(String),
    TimedOut,
}

/// Parses on a worker thread under `catch_unwind`, waiting at most `timeout`.
pub fn parse_isolated(
    bytes: Vec<u8>,
    content_type: Option<String>,
    url: Option<String>,
    timeout: Duration,
) -> FileOutcome {
    let (tx, rx) = mpsc::channel();
    let spawned = std::thread::Builder::new()
        .name("conformance-parse".to_string())
        .spawn(move || {
            let r = std::panic::catch_unwind(|| {
                parse_feed(
                    &bytes,
                    content_type.as_deref(),
                    url.as_deref(),
                    &crate::limits::Limits::default(),
                )
            });
            // The receiver may have given up (time-out); nothing to do then.
            let _ = tx.send(r);
        });
    if let Err(e) = spawned {
        return FileOutcome::Panicked(format!("could not start a worker thread: {e}"));
    }
    match rx.recv_timeout(timeout) {
        Ok(Ok(Ok(feed))) => FileOutcome::Parsed(Box::new(feed)),
        Ok(Ok(Err(FeedError::Panicked { step, message }))) => {
            FileOutcome::Panicked(format!("{step}: {message}"))
        }
        Ok(Ok(Err(e))) => FileOutcome::Failed(e),
        Ok(Err(payload)) => FileOutcome::Panicked(
            payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "panic".to_string()),
        ),
        Err(_) => FileOutcome::TimedOut,
    }
}

/// Pass/total for one field.
#[derive(Debug, Clone, Default, Serialize)]
pub struct FieldScore {
    pub pass: usize,
    pub total: usize,
    /// Values we produced where the expectation has none (not counted as failures).
    pub extra: usize,
    /// `file: expected … got …` for each failure.
    pub failures: Vec<String>,
}

impl FieldScore {
    /// Passes over comparisons; `None` (undefined) when nothing was compared.
    pub fn rate(&self) -> Option<f64> {
        ratio(self.pass, self.total)
    }
}

/// `part / whole`, or `None` when `whole` is 0: a rate of nothing is undefined, not 100%.
pub fn ratio(part: usize, whole: usize) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}

/// A crash or hang, by file.
#[derive(Debug, Clone, Serialize)]
pub struct Incident {
    pub file: String,
    pub what: String,
}

/// Results over gofeed's test data.
#[derive(Debug, Clone, Default, Serialize)]
pub struct GofeedReport {
    /// Feeds with an expectation file.
    pub compared_files: usize,
    /// All files parsed (for crashes and hangs), including those without expectations.
    pub parsed_files: usize,
    /// Files parsed but not compared, with the reason (no expectation file, or one that is not
    /// JSON).
    pub not_compared: Vec<Incident>,
    pub fields: BTreeMap<String, FieldScore>,
    /// Files we could not parse although gofeed expects a result.
    pub errors: Vec<Incident>,
    /// Files feed-rs rejected even after repair, read by our fallback instead.
    pub fallback: Vec<String>,
    pub crashes: Vec<Incident>,
    pub hangs: Vec<Incident>,
}

impl GofeedReport {
    /// The comparisons made, over all fields.
    pub fn checks(&self) -> usize {
        self.fields.values().map(|f| f.total).sum()
    }

    /// The comparisons that passed, over all fields.
    pub fn passed(&self) -> usize {
        self.fields.values().map(|f| f.pass).sum()
    }
}

/// Pass/fail/not-applicable counts of feedparser checks (one check a file with an `Expect:`).
#[derive(Debug, Clone, Default, Serialize)]
pub struct CheckTally {
    pub pass: usize,
    /// Failed checks, including the unlisted ones.
    pub fail: usize,
    /// Checks the evaluator did not evaluate, as the committed list says ([`NotApplicableList`]).
    pub not_applicable: usize,
    /// Checks the evaluator did not evaluate that the list does not name: counted as failures.
    pub unlisted: usize,
}

impl CheckTally {
    /// The checks counted in the rate: passed or failed.
    pub fn applicable(&self) -> usize {
        self.pass + self.fail
    }

    /// Every check: the files compared.
    pub fn checks(&self) -> usize {
        self.pass + self.fail + self.not_applicable
    }

    /// Passes over applicable checks; `None` (undefined) when no check was applicable.
    pub fn rate(&self) -> Option<f64> {
        ratio(self.pass, self.applicable())
    }

    fn add(&mut self, other: &CheckTally) {
        self.pass += other.pass;
        self.fail += other.fail;
        self.not_applicable += other.not_applicable;
        self.unlisted += other.unlisted;
    }
}

/// Results over feedparser's tests.
#[derive(Debug, Clone, Default, Serialize)]
pub struct FeedparserReport {
    /// Files read (all folders).
    pub files: usize,
    /// Files without an `Expect:` line (parsed for crashes and hangs, not compared).
    pub without_expect: Vec<String>,
    /// Entries in the committed list of checks that are not applicable.
    pub listed: usize,
    /// `file: construct` of each check the evaluator did not evaluate and the list does not name
    /// (all folders); each is counted as a failure.
    pub unlisted: Vec<String>,
    /// `file: construct` of each list entry that no check needed (all folders).
    pub stale: Vec<String>,
    /// Everything outside `sanitize/`.
    pub headline: CheckTally,
    /// `wellformed/sanitize/` (sanitising HTML, which we do not do), reported apart.
    pub sanitize: CheckTally,
    /// Per top-level folder (outside `sanitize/`).
    pub by_folder: BTreeMap<String, CheckTally>,
    /// Why listed checks outside `sanitize/` were not applicable (the field or construct the
    /// evaluator named), with counts.
    pub not_applicable: BTreeMap<String, usize>,
    /// `file: expression (got …)` for each failed check outside `sanitize/`.
    pub failures: Vec<String>,
    /// Files we could not parse, with the reason (all folders).
    pub errors: Vec<Incident>,
    /// Files feed-rs rejected even after repair, read by our fallback instead.
    pub fallback: Vec<String>,
    pub crashes: Vec<Incident>,
    pub hangs: Vec<Incident>,
}

/// Both corpora.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ConformanceReport {
    pub gofeed: Option<GofeedReport>,
    pub feedparser: Option<FeedparserReport>,
}

impl ConformanceReport {
    pub fn crashes(&self) -> usize {
        self.gofeed.as_ref().map_or(0, |g| g.crashes.len())
            + self.feedparser.as_ref().map_or(0, |f| f.crashes.len())
    }

    pub fn hangs(&self) -> usize {
        self.gofeed.as_ref().map_or(0, |g| g.hangs.len())
            + self.feedparser.as_ref().map_or(0, |f| f.hangs.len())
    }
}

/// Runs both corpora found under `shared` (a missing corpus is `None` in the report), feedparser's
/// with the committed list of checks that are not applicable; fails only if that list is
/// malformed.
pub fn run(shared: &Path, timeout: Duration) -> Result<ConformanceReport, ListError> {
    let list = NotApplicableList::committed()?;
    let gofeed = shared.join("bench/feeds/gofeed/testdata");
    let feedparser = shared.join("bench/feeds/feedparser/tests");
    Ok(ConformanceReport {
        gofeed: gofeed.is_dir().then(|| run_gofeed(&gofeed, timeout)),
        feedparser: feedparser
            .is_dir()
            .then(|| run_feedparser(&feedparser, timeout, &list)),
    })
}

// ---------------------------------------------------------------------------------------------
// The list of feedparser checks that are not applicable

/// The committed list: each feedparser check the evaluator does not evaluate, by file, with the
/// construct the evaluator names and the reason of its group (see the file's header).
pub const NOT_APPLICABLE_LIST: &str = include_str!("conformance_not_applicable.txt");

/// A malformed line of the list.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the list of not-applicable checks, line {line}: {reason}")]
pub struct ListError {
    pub line: usize,
    pub reason: String,
}

/// One listed check: the construct the evaluator names for it and the reason of its group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Listed {
    pub construct: String,
    pub reason: String,
}

/// Feedparser checks that may be not applicable, by file path relative to the corpus.
#[derive(Debug, Clone, Default)]
pub struct NotApplicableList {
    by_file: BTreeMap<String, Listed>,
}

impl NotApplicableList {
    /// The list committed beside this module.
    pub fn committed() -> Result<Self, ListError> {
        Self::parse(NOT_APPLICABLE_LIST)
    }

    /// Reads the list: `## reason` starts a group, each other non-blank line that does not start
    /// with `#` is `path construct` (the path has no spaces; the construct is the rest of the
    /// line). A path listed twice, or an entry before any group, is an error.
    pub fn parse(text: &str) -> Result<Self, ListError> {
        let mut list = NotApplicableList::default();
        let mut reason: Option<&str> = None;
        for (i, line) in text.lines().enumerate() {
            let error = |why: &str| ListError {
                line: i + 1,
                reason: why.to_string(),
            };
            let line = line.trim();
            if let Some(r) = line.strip_prefix("##") {
                reason = Some(r.trim()).filter(|r| !r.is_empty());
                if reason.is_none() {
                    return Err(error("a group without a reason"));
                }
                continue;
            }
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let Some(reason) = reason else {
                return Err(error("an entry before the first `## reason`"));
            };
            let Some((path, construct)) = line.split_once(char::is_whitespace) else {
                return Err(error("an entry needs a path and the construct"));
            };
            let listed = Listed {
                construct: construct.trim().to_string(),
                reason: reason.to_string(),
            };
            if list.by_file.insert(path.to_string(), listed).is_some() {
                return Err(error(&format!("{path} is listed twice")));
            }
        }
        Ok(list)
    }

    /// The entry for a file, if it is listed.
    pub fn get(&self, file: &str) -> Option<&Listed> {
        self.by_file.get(file)
    }

    pub fn len(&self) -> usize {
        self.by_file.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_file.is_empty()
    }

    /// Every entry, by file.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Listed)> {
        self.by_file.iter().map(|(f, l)| (f.as_str(), l))
    }
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

fn rel(path: &Path, root: &Path) -> String {
    path.strip_prefix(root)
        .unwrap_or(path)
        .to_string_lossy()
        .replace('\\', "/")
}

// ---------------------------------------------------------------------------------------------
// Comparisons shared by both corpora.

/// Canonical HTML: parsed as a fragment by html5ever and serialised again with attributes in
/// name order, whitespace collapsed, and a single `<div>` wrapping everything removed (the XHTML
/// container RFC 4287 says is not part of the content).
fn canonical_html(s: &str) -> String {
    let frag = scraper::Html::parse_fragment(s.trim());
    let mut out = String::new();
    let root = frag.root_element();
    let children: Vec<_> = root
        .children()
        .filter(|c| !matches!(c.value(), scraper::Node::Text(t) if t.trim().is_empty()))
        .collect();
    let wrapper = match children.as_slice() {
        [only] => scraper::ElementRef::wrap(*only)
            .filter(|e| e.value().name() == "div" && e.value().attrs().next().is_none()),
        _ => None,
    };
    serialize_children(wrapper.unwrap_or(root), &mut out);
    collapse_whitespace(&out)
}

fn serialize_children(el: scraper::ElementRef<'_>, out: &mut String) {
    for c in el.children() {
        match c.value() {
            scraper::Node::Text(t) => out.push_str(&super::xml::escape_text(t)),
            scraper::Node::Element(e) => {
                out.push('<');
                out.push_str(e.name());
                let mut attrs: Vec<(&str, &str)> = e.attrs().collect();
                attrs.sort();
                for (k, v) in attrs {
                    out.push_str(&format!(" {k}=\"{}\"", super::xml::escape_attr(v)));
                }
                out.push('>');
                if let Some(child) = scraper::ElementRef::wrap(c) {
                    serialize_children(child, out);
                }
                out.push_str(&format!("</{}>", e.name()));
            }
            _ => {}
        }
    }
}

/// A title matches the expected string or its plain-text rendering.
fn title_matches(ours: &str, expected: &str) -> bool {
    let o = collapse_whitespace(ours);
    o == collapse_whitespace(expected) || o == html_to_text(expected)
}

/// How the expected value of an HTML field is to be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ExpectedType {
    Html,
    Text,
    Unknown,
}

fn html_matches(ours: &str, expected: &str, t: ExpectedType) -> bool {
    let o = canonical_html(ours);
    let as_html = || o == canonical_html(expected);
    let as_text = || o == canonical_html(&escape_html(expected.trim()));
    match t {
        ExpectedType::Html => as_html(),
        ExpectedType::Text => as_text(),
        ExpectedType::Unknown => as_html() || as_text(),
    }
}

/// An author string as RSS writes it: "email (Name)", "Name <email>", or either alone.
fn author_forms(raw: &str) -> Vec<String> {
    let raw = raw.trim();
    let mut forms = vec![raw.to_string()];
    if let (Some(open), true) = (raw.find('('), raw.ends_with(')')) {
        forms.push(raw[open + 1..raw.len() - 1].trim().to_string());
        forms.push(raw[..open].trim().to_string());
    }
    if let (Some(open), true) = (raw.find('<'), raw.ends_with('>')) {
        forms.push(raw[..open].trim().to_string());
        forms.push(raw[open + 1..raw.len() - 1].trim().to_string());
    }
    forms.retain(|f| !f.is_empty());
    forms
}

fn author_matches(ours: &str, expected_forms: &[String]) -> bool {
    let o = collapse_whitespace(ours);
    expected_forms.iter().any(|f| collapse_whitespace(f) == o)
        || author_forms(&o)
            .iter()
            .any(|f| expected_forms.iter().any(|e| collapse_whitespace(e) == *f))
}

fn parse_instant(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s.trim())
        .map(|d| d.with_timezone(&Utc))
        .ok()
        .or_else(|| super::parse_date(s))
}

// ---------------------------------------------------------------------------------------------
// gofeed

/// What gofeed's JSON says, reduced to our fields.
#[derive(Debug, Default)]
struct Expected {
    title: Option<String>,
    link: Option<String>,
    description: Option<(String, ExpectedType)>,
    entries: Vec<ExpectedEntry>,
}

/// An enclosure's URL, type and length.
type ExpectedEnclosure = (String, Option<String>, Option<u64>);

#[derive(Debug, Default)]
struct ExpectedEntry {
    title: Option<String>,
    link: Option<String>,
    guid: Option<String>,
    published: Option<DateTime<Utc>>,
    updated: Option<DateTime<Utc>>,
    /// Each author's acceptable spellings.
    authors: Option<Vec<Vec<String>>>,
    summary: Option<(String, ExpectedType)>,
    content: Option<(String, ExpectedType)>,
    enclosures: Option<Vec<ExpectedEnclosure>>,
}

fn s(v: Option<&Value>) -> Option<String> {
    v.and_then(Value::as_str)
        .map(str::to_string)
        .filter(|t| !t.trim().is_empty())
}

fn first_alternate(links: Option<&Value>) -> Option<String> {
    links?.as_array()?.iter().find_map(|l| {
        let rel = l.get("rel").and_then(Value::as_str).unwrap_or("alternate");
        (rel == "alternate" || rel.is_empty())
            .then(|| s(l.get("href")))
            .flatten()
    })
}

fn atom_text(v: Option<&Value>) -> Option<(String, ExpectedType)> {
    match v? {
        Value::String(t) => (!t.trim().is_empty()).then(|| (t.clone(), ExpectedType::Unknown)),
        Value::Object(o) => {
            let value = s(o.get("value"))?;
            let t = match o.get("type").and_then(Value::as_str) {
                Some("html")
                | Some("text/html")
                | Some("xhtml")
                | Some("application/xhtml+xml") => ExpectedType::Html,
                Some("text") | Some("text/plain") => ExpectedType::Text,
                _ => ExpectedType::Unknown,
            };
            Some((value, t))
        }
        _ => None,
    }
}

fn person_forms(p: &Value) -> Option<Vec<String>> {
    match p {
        Value::String(raw) => (!raw.trim().is_empty()).then(|| author_forms(raw)),
        Value::Object(o) => {
            let name = s(o.get("name"));
            let email = s(o.get("email"));
            let v: Vec<String> = name.or(email).into_iter().collect();
            (!v.is_empty()).then_some(v)
        }
        _ => None,
    }
}

fn enclosure_of(e: &Value) -> Option<ExpectedEnclosure> {
    let url = s(e.get("url")).or_else(|| s(e.get("href")))?;
    let mime = s(e.get("type")).or_else(|| s(e.get("mime_type")));
    let length = e
        .get("length")
        .or_else(|| e.get("size_in_bytes"))
        .and_then(|l| match l {
            Value::String(t) => t.trim().parse().ok(),
            Value::Number(n) => n.as_u64(),
            _ => None,
        })
        .filter(|&l| l > 0);
    Some((url, mime, length))
}

/// Which of gofeed's representations a file uses, by folder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum GofeedShape {
    Rss,
    Atom,
    Json,
    Universal,
}

fn expected_from(v: &Value, shape: GofeedShape) -> Expected {
    let mut e = Expected::default();
    match shape {
        GofeedShape::Rss => {
            e.title = s(v.get("title"));
            e.link = s(v.get("link"));
            e.description = s(v.get("description")).map(|d| (d, ExpectedType::Html));
        }
        GofeedShape::Atom => {
            e.title = s(v.get("title"));
            e.link = first_alternate(v.get("links"));
            e.description = atom_text(v.get("subtitle"));
        }
        GofeedShape::Json => {
            e.title = s(v.get("title"));
            e.link = s(v.get("home_page_url"));
            e.description = s(v.get("description")).map(|d| (d, ExpectedType::Text));
        }
        GofeedShape::Universal => {
            e.title = s(v.get("title"));
            e.link = s(v.get("link"));
            e.description = s(v.get("description")).map(|d| (d, ExpectedType::Unknown));
        }
    }
    let items = v
        .get("items")
        .or_else(|| v.get("entries"))
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    for it in &items {
        let mut x = ExpectedEntry::default();
        match shape {
            GofeedShape::Rss => {
                x.title = s(it.get("title"));
                x.link = s(it.get("link"));
                x.guid = it
                    .get("guid")
                    .and_then(|g| s(g.get("value")).or_else(|| s(Some(g))));
                x.published = s(it.get("pubDateParsed")).and_then(|d| parse_instant(&d));
                x.authors = it.get("author").and_then(person_forms).map(|f| vec![f]);
                x.summary = s(it.get("description")).map(|d| (d, ExpectedType::Html));
                x.content = s(it.get("content")).map(|d| (d, ExpectedType::Html));
                x.enclosures = it
                    .get("enclosures")
                    .and_then(Value::as_array)
                    .map(|a| a.iter().filter_map(enclosure_of).collect::<Vec<_>>())
                    .or_else(|| it.get("enclosure").and_then(enclosure_of).map(|e| vec![e]))
                    .filter(|v| !v.is_empty());
            }
            GofeedShape::Atom => {
                x.title = atom_text(it.get("title")).map(|t| t.0);
                x.link = first_alternate(it.get("links"));
                x.guid = s(it.get("id"));
                x.published = s(it.get("publishedParsed")).and_then(|d| parse_instant(&d));
                x.updated = s(it.get("updatedParsed")).and_then(|d| parse_instant(&d));
                x.authors = it
                    .get("authors")
                    .and_then(Value::as_array)
                    .map(|a| a.iter().filter_map(person_forms).collect::<Vec<_>>())
                    .filter(|v| !v.is_empty());
                x.summary = atom_text(it.get("summary"));
                x.content = atom_text(it.get("content"));
                x.enclosures = it
                    .get("links")
                    .and_then(Value::as_array)
                    .map(|a| {
                        a.iter()
                            .filter(|l| l.get("rel").and_then(Value::as_str) == Some("enclosure"))
                            .filter_map(enclosure_of)
                            .collect::<Vec<_>>()
                    })
                    .filter(|v| !v.is_empty());
            }
            GofeedShape::Json => {
                x.title = s(it.get("title"));
                x.link = s(it.get("url"));
                x.guid = s(it.get("id"));
                x.published = s(it.get("date_published")).and_then(|d| parse_instant(&d));
                x.updated = s(it.get("date_modified")).and_then(|d| parse_instant(&d));
                let authors: Vec<Vec<String>> = it
                    .get("authors")
                    .and_then(Value::as_array)
                    .map(|a| a.iter().filter_map(person_forms).collect())
                    .or_else(|| it.get("author").and_then(person_forms).map(|f| vec![f]))
                    .unwrap_or_default();
                x.authors = (!authors.is_empty()).then_some(authors);
                x.summary = s(it.get("summary")).map(|d| (d, ExpectedType::Text));
                x.content = s(it.get("content_html"))
                    .map(|d| (d, ExpectedType::Html))
                    .or_else(|| s(it.get("content_text")).map(|d| (d, ExpectedType::Text)));
                x.enclosures = it
                    .get("attachments")
                    .and_then(Value::as_array)
                    .map(|a| a.iter().filter_map(enclosure_of).collect::<Vec<_>>())
                    .filter(|v| !v.is_empty());
            }
            GofeedShape::Universal => {
                x.title = s(it.get("title"));
                x.link = s(it.get("link"));
                x.guid = s(it.get("guid"));
                x.published = s(it.get("publishedParsed")).and_then(|d| parse_instant(&d));
                x.updated = s(it.get("updatedParsed")).and_then(|d| parse_instant(&d));
                x.authors = it
                    .get("authors")
                    .and_then(Value::as_array)
                    .map(|a| a.iter().filter_map(person_forms).collect::<Vec<_>>())
                    .or_else(|| it.get("author").and_then(person_forms).map(|f| vec![f]))
                    .filter(|v| !v.is_empty());
                x.summary = s(it.get("description")).map(|d| (d, ExpectedType::Unknown));
                x.content = s(it.get("content")).map(|d| (d, ExpectedType::Unknown));
                x.enclosures = it
                    .get("enclosures")
                    .and_then(Value::as_array)
                    .map(|a| a.iter().filter_map(enclosure_of).collect::<Vec<_>>())
                    .filter(|v| !v.is_empty());
            }
        }
        e.entries.push(x);
    }
    e
}

/// Records one comparison: `expected` present (or ours present: an extra).
fn score<T: std::fmt::Debug, U: std::fmt::Debug>(
    fields: &mut BTreeMap<String, FieldScore>,
    field: &str,
    file: &str,
    expected: Option<&T>,
    ours: Option<&U>,
    matches: impl FnOnce(&T, &U) -> bool,
) {
    let f = fields.entry(field.to_string()).or_default();
    match (expected, ours) {
        (Some(e), Some(o)) => {
            f.total += 1;
            if matches(e, o) {
                f.pass += 1;
            } else {
                f.failures
                    .push(format!("{file}: expected {e:?}, got {o:?}"));
            }
        }
        (Some(e), None) => {
            f.total += 1;
            f.failures
                .push(format!("{file}: expected {e:?}, got nothing"));
        }
        (None, Some(_)) => f.extra += 1,
        (None, None) => {}
    }
}

fn compare_gofeed(
    fields: &mut BTreeMap<String, FieldScore>,
    file: &str,
    exp: &Expected,
    ours: Option<&ParsedFeed>,
) {
    let title = ours.and_then(|f| f.title.as_ref());
    score(
        fields,
        "feed.title",
        file,
        exp.title.as_ref(),
        title,
        |e, o| title_matches(o, e),
    );
    let link = ours.and_then(|f| f.link.as_ref());
    score(
        fields,
        "feed.link",
        file,
        exp.link.as_ref(),
        link,
        |e, o| e.trim() == o.trim(),
    );
    let desc = ours.and_then(|f| f.description.as_ref());
    score(
        fields,
        "feed.description",
        file,
        exp.description.as_ref(),
        desc,
        |e, o| html_matches(o, &e.0, e.1),
    );
    for (i, x) in exp.entries.iter().enumerate() {
        let o = ours.and_then(|f| f.entries.get(i));
        score(
            fields,
            "entry.title",
            file,
            x.title.as_ref(),
            o.and_then(|o| o.title.as_ref()),
            |e, o| title_matches(o, e),
        );
        score(
            fields,
            "entry.link",
            file,
            x.link.as_ref(),
            o.and_then(|o| o.link.as_ref()),
            |e, o| e.trim() == o.trim(),
        );
        score(
            fields,
            "entry.guid",
            file,
            x.guid.as_ref(),
            o.and_then(|o| o.guid.as_ref()),
            |e, o| e.trim() == o.trim(),
        );
        score(
            fields,
            "entry.published",
            file,
            x.published.as_ref(),
            o.and_then(|o| o.published.as_ref()),
            |e, o| e == o,
        );
        score(
            fields,
            "entry.updated",
            file,
            x.updated.as_ref(),
            o.and_then(|o| o.updated.as_ref()),
            |e, o| e == o,
        );
        let authors = o.map(|o| &o.authors).filter(|a| !a.is_empty());
        score(
            fields,
            "entry.author",
            file,
            x.authors.as_ref(),
            authors,
            |e, o| {
                e.len() == o.len()
                    && e.iter()
                        .zip(o.iter())
                        .all(|(forms, ours)| author_matches(ours, forms))
            },
        );
        score(
            fields,
            "entry.summary",
            file,
            x.summary.as_ref(),
            o.and_then(|o| o.summary.as_ref()),
            |e, o| html_matches(o, &e.0, e.1),
        );
        score(
            fields,
            "entry.content",
            file,
            x.content.as_ref(),
            o.and_then(|o| o.content.as_ref()),
            |e, o| html_matches(o, &e.0, e.1),
        );
        let encl = o.map(|o| &o.enclosures).filter(|a| !a.is_empty());
        score(
            fields,
            "entry.enclosures",
            file,
            x.enclosures.as_ref(),
            encl,
            |e, o| {
                e.len() == o.len()
                    && e.iter().zip(o.iter()).all(|((url, mime, len), ours)| {
                        *url == ours.url
                            && mime.as_ref().is_none_or(|m| ours.mime.as_ref() == Some(m))
                            && len.is_none_or(|l| ours.length == Some(l))
                    })
            },
        );
    }
}

/// Runs gofeed's test data (see the module documentation).
pub fn run_gofeed(root: &Path, timeout: Duration) -> GofeedReport {
    let mut report = GofeedReport::default();
    let files = files_under(root);
    for path in &files {
        let name = rel(path, root);
        let Some(ext) = path.extension().and_then(|e| e.to_str()) else {
            continue;
        };
        let stem = path.with_extension("");
        let stem_str = stem.to_string_lossy().to_string();
        // Inputs: .xml files, and .json files that are not expectations.
        let expectation = match ext {
            "xml" => Some(path.with_extension("json")),
            "json" if stem_str.ends_with("_expected") => continue,
            "json" => {
                let e = PathBuf::from(format!("{stem_str}_expected.json"));
                let in_xml_folder = path.with_extension("xml").exists();
                if in_xml_folder {
                    continue;
                }
                Some(e)
            }
            _ => continue,
        };
        let Ok(bytes) = std::fs::read(path) else {
            continue;
        };
        report.parsed_files += 1;
        let outcome = parse_isolated(bytes, None, None, timeout);
        let ours = match &outcome {
            FileOutcome::Parsed(f) => {
                if f.parsed_by == super::ParsedBy::Fallback {
                    report.fallback.push(name.clone());
                }
                Some(f.as_ref())
            }
            FileOutcome::Panicked(m) => {
                report.crashes.push(Incident {
                    file: name.clone(),
                    what: m.clone(),
                });
                None
            }
            FileOutcome::TimedOut => {
                report.hangs.push(Incident {
                    file: name.clone(),
                    what: "time-out".into(),
                });
                None
            }
            FileOutcome::Failed(_) => None,
        };
        let Some(exp_path) = expectation.filter(|e| e.exists()) else {
            report.not_compared.push(Incident {
                file: name.clone(),
                what: "no expectation file".into(),
            });
            continue;
        };
        let v = match std::fs::read_to_string(&exp_path)
            .map_err(|e| e.to_string())
            .and_then(|t| serde_json::from_str::<Value>(&t).map_err(|e| e.to_string()))
        {
            Ok(v) => v,
            Err(e) => {
                report.not_compared.push(Incident {
                    file: name.clone(),
                    what: format!("expectation {}: {e}", rel(&exp_path, root)),
                });
                continue;
            }
        };
        report.compared_files += 1;
        if let FileOutcome::Failed(e) = &outcome {
            report.errors.push(Incident {
                file: name.clone(),
                what: e.to_string(),
            });
        }
        let shape = if name.starts_with("parser/rss/") {
            GofeedShape::Rss
        } else if name.starts_with("parser/atom/") {
            GofeedShape::Atom
        } else if name.starts_with("parser/json/") {
            GofeedShape::Json
        } else {
            GofeedShape::Universal
        };
        let exp = expected_from(&v, shape);
        compare_gofeed(&mut report.fields, &name, &exp, ours);
    }
    report
}

// ---------------------------------------------------------------------------------------------
// feedparser

/// The comment header of a feedparser test file.
#[derive(Debug, Default)]
struct TestHeader {
    expect: Option<String>,
    headers: Vec<(String, String)>,
}

/// The first 8,192 characters of a test file as text. Most are ASCII-compatible; the UTF-16 and
/// UTF-32 ones (told by their byte-order mark, or by the zero bytes around the first `<`) are
/// decoded, so their `Expect:` lines are read too.
fn header_text(bytes: &[u8]) -> String {
    const CHARS: usize = 8192;
    let (width, big_endian, bom) = match bytes {
        [0, 0, 0xFE, 0xFF, ..] => (4, true, 4),
        [0xFF, 0xFE, 0, 0, ..] => (4, false, 4),
        [0, 0, 0, b'<', ..] => (4, true, 0),
        [b'<', 0, 0, 0, ..] => (4, false, 0),
        [0xFE, 0xFF, ..] => (2, true, 2),
        [0xFF, 0xFE, ..] => (2, false, 2),
        [0, b'<', ..] => (2, true, 0),
        [b'<', 0, ..] => (2, false, 0),
        _ => return String::from_utf8_lossy(&bytes[..bytes.len().min(CHARS)]).into_owned(),
    };
    let body = &bytes[bom..bytes.len().min(bom + CHARS * width)];
    if width == 2 {
        let units = body.chunks_exact(2).map(|c| {
            let pair = [c[0], c[1]];
            if big_endian {
                u16::from_be_bytes(pair)
            } else {
                u16::from_le_bytes(pair)
            }
        });
        char::decode_utf16(units)
            .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
            .collect()
    } else {
        body.chunks_exact(4)
            .map(|c| {
                let quad = [c[0], c[1], c[2], c[3]];
                let code = if big_endian {
                    u32::from_be_bytes(quad)
                } else {
                    u32::from_le_bytes(quad)
                };
                char::from_u32(code).unwrap_or(char::REPLACEMENT_CHARACTER)
            })
            .collect()
    }
}

fn read_header(bytes: &[u8]) -> TestHeader {
    let text = header_text(bytes);
    let mut h = TestHeader::default();
    for line in text.lines() {
        let line = line.trim_start_matches('\u{feff}').trim();
        if let Some(e) = line.strip_prefix("Expect:") {
            h.expect = Some(e.trim().to_string());
        } else if line.starts_with("\"__TEST__\"")
            && let Some((_, e)) = line.split_once("Expect:")
        {
            // A JSON Feed test: `"__TEST__": "Description: … Expect: … -->",`.
            let e = e.split_once("-->").map_or(e, |(e, _)| e);
            h.expect = Some(e.trim().to_string());
        } else if let Some(hd) = line.strip_prefix("Header:")
            && let Some((k, v)) = hd.split_once(':')
        {
            h.headers
                .push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
        }
        if h.expect.is_some() && line.contains("-->") {
            break;
        }
    }
    h
}

/// Runs feedparser's tests (see the module documentation). A check the evaluator does not
/// evaluate is not applicable if `list` names its file with the construct the evaluator gives,
/// and a failure otherwise; entries of `list` no check needed are reported as stale.
pub fn run_feedparser(
    root: &Path,
    timeout: Duration,
    list: &NotApplicableList,
) -> FeedparserReport {
    let mut report = FeedparserReport {
        listed: list.len(),
        ..FeedparserReport::default()
    };
    let mut used = std::collections::BTreeSet::new();
    for path in files_under(root) {
        let name = rel(&path, root);
        report.files += 1;
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) => {
                report.errors.push(Incident {
                    file: name.clone(),
                    what: format!("reading the file: {e}"),
                });
                continue;
            }
        };
        let header = read_header(&bytes);
        let content_type = header
            .headers
            .iter()
            .find(|(k, _)| k == "content-type")
            .map(|(_, v)| v.clone());
        let doc_url = format!("http://127.0.0.1:8097/tests/{name}");
        let base = header
            .headers
            .iter()
            .find(|(k, _)| k == "content-location")
            .and_then(|(_, v)| url::Url::parse(&doc_url).ok()?.join(v).ok())
            // Like a fetcher, ignore a Content-Location that is no web address.
            .filter(|u| matches!(u.scheme(), "http" | "https"))
            .map(|u| u.to_string())
            .unwrap_or(doc_url);
        let cdf = is_cdf(&bytes);
        let outcome = parse_isolated(bytes, content_type, Some(base), timeout);
        let sanitize = name.starts_with("wellformed/sanitize/");
        match &outcome {
            FileOutcome::Panicked(m) => report.crashes.push(Incident {
                file: name.clone(),
                what: m.clone(),
            }),
            FileOutcome::TimedOut => report.hangs.push(Incident {
                file: name.clone(),
                what: "time-out".into(),
            }),
            FileOutcome::Failed(e) => report.errors.push(Incident {
                file: name.clone(),
                what: e.to_string(),
            }),
            FileOutcome::Parsed(f) => {
                if f.parsed_by == super::ParsedBy::Fallback {
                    report.fallback.push(name.clone());
                }
            }
        }
        let Some(expect) = header.expect else {
            report.without_expect.push(name.clone());
            continue;
        };
        let feed = match &outcome {
            FileOutcome::Parsed(f) => Some(f.as_ref()),
            _ => None,
        };
        let verdict = if cdf {
            Verdict::NotApplicable(CDF.into())
        } else {
            evaluate(&expect, feed)
        };
        let folder = name.rsplit_once('/').map_or("", |(d, _)| d).to_string();
        let tally = if sanitize {
            &mut report.sanitize
        } else {
            report.by_folder.entry(folder).or_default()
        };
        match &verdict {
            Verdict::Pass => tally.pass += 1,
            Verdict::Fail(got) => {
                tally.fail += 1;
                if !sanitize {
                    report
                        .failures
                        .push(format!("{name}: {expect} (got {got})"));
                }
            }
            Verdict::NotApplicable(construct) => match list.get(&name) {
                Some(l) if l.construct == *construct => {
                    used.insert(name.clone());
                    tally.not_applicable += 1;
                    if !sanitize {
                        *report.not_applicable.entry(construct.clone()).or_default() += 1;
                    }
                }
                _ => {
                    tally.fail += 1;
                    tally.unlisted += 1;
                    report.unlisted.push(format!("{name}: {construct}"));
                    if !sanitize {
                        report.failures.push(format!(
                            "{name}: {expect} (not evaluated: {construct}; not in the list of \
                             checks that are not applicable)"
                        ));
                    }
                }
            },
        }
    }
    report.stale = list
        .iter()
        .filter(|(file, _)| !used.contains(*file))
        .map(|(file, l)| format!("{file}: {}", l.construct))
        .collect();
    let mut headline = CheckTally::default();
    for t in report.by_folder.values() {
        headline.add(t);
    }
    report.headline = headline;
    report
}

/// The construct named for a file in Microsoft's CDF.
const CDF: &str = "CDF document";
/// The construct named for a check that reads none of our fields.
const NO_FIELD: &str = "no stored field";

/// Whether a document is Microsoft's CDF (root `<CHANNEL>`), which we do not read.
fn is_cdf(bytes: &[u8]) -> bool {
    let text = String::from_utf8_lossy(bytes);
    let mut rest = text.as_ref();
    // Skip the prolog and comments.
    loop {
        let Some(i) = rest.find('<') else {
            return false;
        };
        rest = &rest[i..];
        if rest.starts_with("<?") || rest.starts_with("<!--") || rest.starts_with("<!") {
            let end = if rest.starts_with("<!--") {
                rest.find("-->").map(|e| e + 3)
            } else {
                rest.find('>').map(|e| e + 1)
            };
            match end {
                Some(e) => rest = &rest[e..],
                None => return false,
            }
        } else {
            return rest[1..].starts_with("CHANNEL")
                || rest[1..].starts_with("channel ") && rest.contains("<ITEM");
        }
    }
}

/// The outcome of one `Expect:` check.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    Pass,
    /// What our values were, for the report.
    Fail(String),
    /// Why the check does not concern the fields we store.
    NotApplicable(String),
}

/// Evaluates a feedparser `Expect:` expression against our parse result.
pub fn evaluate(expr: &str, feed: Option<&ParsedFeed>) -> Verdict {
    let tokens = match tokenize(expr) {
        Ok(t) => t,
        Err(e) => return Verdict::NotApplicable(format!("expression: {e}")),
    };
    let mut p = ExprParser { tokens, pos: 0 };
    let ast = match p.expr() {
        Ok(a) if p.pos == p.tokens.len() => a,
        Ok(_) => return Verdict::NotApplicable("expression: trailing tokens".into()),
        Err(e) => return Verdict::NotApplicable(format!("expression: {e}")),
    };
    let mut ev = Evaluator {
        feed,
        touched_field: false,
        seen: Vec::new(),
    };
    match ev.truthy(&ast) {
        Ok(_) if !ev.touched_field => Verdict::NotApplicable(NO_FIELD.into()),
        Ok(true) => Verdict::Pass,
        Ok(false) => Verdict::Fail(ev.seen.join("; ")),
        Err(na) => Verdict::NotApplicable(na),
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Name(String),
    Str(String),
    Int(i64),
    Float(f64),
    Op(&'static str),
}

fn tokenize(s: &str) -> Result<Vec<Tok>, String> {
    let chars: Vec<char> = s.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        // String literal, with an optional u/b/r prefix.
        let prefix_len = if matches!(c, 'u' | 'b' | 'r' | 'U' | 'B' | 'R')
            && matches!(chars.get(i + 1), Some('\'') | Some('"'))
        {
            1
        } else {
            0
        };
        if matches!(chars.get(i + prefix_len), Some('\'') | Some('"')) {
            let raw = prefix_len == 1 && matches!(c, 'r' | 'R');
            let q = chars[i + prefix_len];
            let triple = chars.get(i + prefix_len + 1) == Some(&q)
                && chars.get(i + prefix_len + 2) == Some(&q);
            let mut j = i + prefix_len + if triple { 3 } else { 1 };
            let mut val = String::new();
            loop {
                let Some(&ch) = chars.get(j) else {
                    return Err("unterminated string".into());
                };
                if triple {
                    if ch == q && chars.get(j + 1) == Some(&q) && chars.get(j + 2) == Some(&q) {
                        j += 3;
                        break;
                    }
                } else if ch == q {
                    j += 1;
                    break;
                }
                if ch == '\\' && !raw {
                    let Some(&n) = chars.get(j + 1) else {
                        return Err("dangling escape".into());
                    };
                    j += 2;
                    match n {
                        'n' => val.push('\n'),
                        't' => val.push('\t'),
                        'r' => val.push('\r'),
                        '0' => val.push('\0'),
                        '\\' => val.push('\\'),
                        '\'' => val.push('\''),
                        '"' => val.push('"'),
                        'x' | 'u' | 'U' => {
                            let len = match n {
                                'x' => 2,
                                'u' => 4,
                                _ => 8,
                            };
                            let hex: String = chars.iter().skip(j).take(len).collect();
                            let code = u32::from_str_radix(&hex, 16).map_err(|_| "bad escape")?;
                            val.push(char::from_u32(code).ok_or("bad code point")?);
                            j += len;
                        }
                        '\n' => {}
                        other => {
                            val.push('\\');
                            val.push(other);
                        }
                    }
                } else {
                    val.push(ch);
                    j += 1;
                }
            }
            out.push(Tok::Str(val));
            i = j;
            continue;
        }
        if c.is_ascii_digit()
            || (c == '-'
                && chars.get(i + 1).is_some_and(char::is_ascii_digit)
                && !matches!(
                    out.last(),
                    Some(Tok::Int(_))
                        | Some(Tok::Float(_))
                        | Some(Tok::Name(_))
                        | Some(Tok::Str(_))
                        | Some(Tok::Op(")"))
                        | Some(Tok::Op("]"))
                ))
        {
            let mut j = i + 1;
            while j < chars.len()
                && (chars[j].is_ascii_digit() || chars[j] == '.' || chars[j] == 'L')
            {
                j += 1;
            }
            let lit: String = chars[i..j].iter().filter(|&&ch| ch != 'L').collect();
            if lit.contains('.') {
                out.push(Tok::Float(lit.parse().map_err(|_| "bad number")?));
            } else {
                out.push(Tok::Int(lit.parse().map_err(|_| "bad number")?));
            }
            i = j;
            continue;
        }
        if c.is_alphabetic() || c == '_' {
            let mut j = i + 1;
            while j < chars.len() && (chars[j].is_alphanumeric() || chars[j] == '_') {
                j += 1;
            }
            out.push(Tok::Name(chars[i..j].iter().collect()));
            i = j;
            continue;
        }
        let two: String = chars[i..(i + 2).min(chars.len())].iter().collect();
        let op = match two.as_str() {
            "==" => Some("=="),
            "!=" => Some("!="),
            "<=" => Some("<="),
            ">=" => Some(">="),
            _ => None,
        };
        if let Some(op) = op {
            out.push(Tok::Op(op));
            i += 2;
            continue;
        }
        let op = match c {
            '(' => "(",
            ')' => ")",
            '[' => "[",
            ']' => "]",
            '{' => "{",
            '}' => "}",
            ',' => ",",
            ':' => ":",
            '.' => ".",
            '+' => "+",
            '-' => "-",
            '<' => "<",
            '>' => ">",
            _ => return Err(format!("unexpected character {c:?}")),
        };
        out.push(Tok::Op(op));
        i += 1;
    }
    Ok(out)
}

#[derive(Debug, Clone)]
enum Ast {
    Name(String),
    Str(String),
    Int(i64),
    Float(f64),
    Tuple(Vec<Ast>),
    /// A dictionary literal: compared only with an enclosure, key by key.
    Dict(Vec<(Ast, Ast)>),
    Index(Box<Ast>, Box<Ast>),
    Attr(Box<Ast>, String),
    Call(Box<Ast>, Vec<Ast>),
    Not(Box<Ast>),
    And(Box<Ast>, Box<Ast>),
    Or(Box<Ast>, Box<Ast>),
    Add(Box<Ast>, Box<Ast>),
    Neg(Box<Ast>),
    /// A chain `a op b op c`.
    Compare(Box<Ast>, Vec<(String, Ast)>),
}

struct ExprParser {
    tokens: Vec<Tok>,
    pos: usize,
}

impl ExprParser {
    fn peek(&self) -> Option<&Tok> {
        self.tokens.get(self.pos)
    }

    fn eat_op(&mut self, op: &str) -> bool {
        if matches!(self.peek(), Some(Tok::Op(o)) if *o == op) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn eat_name(&mut self, n: &str) -> bool {
        if matches!(self.peek(), Some(Tok::Name(x)) if x == n) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn expect_op(&mut self, op: &str) -> Result<(), String> {
        if self.eat_op(op) {
            Ok(())
        } else {
            Err(format!("expected {op:?} at token {}", self.pos))
        }
    }

    fn expr(&mut self) -> Result<Ast, String> {
        let mut left = self.and()?;
        while self.eat_name("or") {
            let right = self.and()?;
            left = Ast::Or(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Ast, String> {
        let mut left = self.not()?;
        while self.eat_name("and") {
            let right = self.not()?;
            left = Ast::And(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn not(&mut self) -> Result<Ast, String> {
        if self.eat_name("not") {
            return Ok(Ast::Not(Box::new(self.not()?)));
        }
        self.compare()
    }

    fn compare(&mut self) -> Result<Ast, String> {
        let first = self.sum()?;
        let mut rest = Vec::new();
        loop {
            let op = match self.peek() {
                Some(Tok::Op(o)) if matches!(*o, "==" | "!=" | "<" | ">" | "<=" | ">=") => {
                    let o = o.to_string();
                    self.pos += 1;
                    o
                }
                Some(Tok::Name(n)) if n == "is" => {
                    self.pos += 1;
                    if self.eat_name("not") {
                        "is not".to_string()
                    } else {
                        "is".to_string()
                    }
                }
                Some(Tok::Name(n)) if n == "in" => {
                    self.pos += 1;
                    "in".to_string()
                }
                Some(Tok::Name(n))
                    if n == "not"
                        && matches!(self.tokens.get(self.pos + 1), Some(Tok::Name(x)) if x == "in") =>
                {
                    self.pos += 2;
                    "not in".to_string()
                }
                _ => break,
            };
            rest.push((op, self.sum()?));
        }
        Ok(if rest.is_empty() {
            first
        } else {
            Ast::Compare(Box::new(first), rest)
        })
    }

    fn sum(&mut self) -> Result<Ast, String> {
        let mut left = self.unary()?;
        while self.eat_op("+") {
            let right = self.unary()?;
            left = Ast::Add(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<Ast, String> {
        if self.eat_op("-") {
            return Ok(Ast::Neg(Box::new(self.unary()?)));
        }
        self.postfix()
    }

    fn postfix(&mut self) -> Result<Ast, String> {
        let mut e = self.atom()?;
        loop {
            if self.eat_op("[") {
                let idx = self.expr()?;
                self.expect_op("]")?;
                e = Ast::Index(Box::new(e), Box::new(idx));
            } else if self.eat_op(".") {
                match self.peek().cloned() {
                    Some(Tok::Name(n)) => {
                        self.pos += 1;
                        e = Ast::Attr(Box::new(e), n);
                    }
                    _ => return Err("expected a name after '.'".into()),
                }
            } else if self.eat_op("(") {
                let mut args = Vec::new();
                if !self.eat_op(")") {
                    loop {
                        args.push(self.expr()?);
                        if self.eat_op(")") {
                            break;
                        }
                        self.expect_op(",")?;
                    }
                }
                e = Ast::Call(Box::new(e), args);
            } else {
                return Ok(e);
            }
        }
    }

    fn atom(&mut self) -> Result<Ast, String> {
        match self.peek().cloned() {
            Some(Tok::Name(n)) => {
                self.pos += 1;
                Ok(Ast::Name(n))
            }
            Some(Tok::Str(s)) => {
                self.pos += 1;
                let mut s = s;
                // Adjacent literals concatenate.
                while let Some(Tok::Str(t)) = self.peek().cloned() {
                    self.pos += 1;
                    s.push_str(&t);
                }
                Ok(Ast::Str(s))
            }
            Some(Tok::Int(i)) => {
                self.pos += 1;
                Ok(Ast::Int(i))
            }
            Some(Tok::Float(f)) => {
                self.pos += 1;
                Ok(Ast::Float(f))
            }
            Some(Tok::Op("(")) => {
                self.pos += 1;
                if self.eat_op(")") {
                    return Ok(Ast::Tuple(Vec::new()));
                }
                let first = self.expr()?;
                if self.eat_op(")") {
                    return Ok(first);
                }
                let mut items = vec![first];
                while self.eat_op(",") {
                    if self.eat_op(")") {
                        return Ok(Ast::Tuple(items));
                    }
                    items.push(self.expr()?);
                }
                self.expect_op(")")?;
                Ok(Ast::Tuple(items))
            }
            Some(Tok::Op("[")) => {
                self.pos += 1;
                let mut items = Vec::new();
                if !self.eat_op("]") {
                    loop {
                        items.push(self.expr()?);
                        if self.eat_op("]") {
                            break;
                        }
                        self.expect_op(",")?;
                    }
                }
                Ok(Ast::Tuple(items))
            }
            Some(Tok::Op("{")) => {
                self.pos += 1;
                let mut pairs = Vec::new();
                if !self.eat_op("}") {
                    loop {
                        let k = self.expr()?;
                        self.expect_op(":")?;
                        pairs.push((k, self.expr()?));
                        if self.eat_op("}") {
                            break;
                        }
                        self.expect_op(",")?;
                    }
                }
                Ok(Ast::Dict(pairs))
            }
            other => Err(format!("unexpected {other:?}")),
        }
    }
}

/// How a field's string compares with an expected string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FieldKind {
    Title,
    Html,
    Plain,
    Author,
    Encoding,
    Version,
}

#[derive(Debug, Clone)]
enum Val {
    Str(String),
    Int(i64),
    Float(f64),
    Bool(bool),
    None,
    Tuple(Vec<Val>),
    /// One of our fields: its comparison rule and value (`None`: the field is missing, which in
    /// feedparser raises and fails the check).
    Field(FieldKind, Option<String>),
    /// A path into `feed`/`entries` not yet resolved.
    Path(Vec<PathSeg>),
}

#[derive(Debug, Clone, PartialEq)]
enum PathSeg {
    Key(String),
    Index(i64),
}

struct Evaluator<'a> {
    feed: Option<&'a ParsedFeed>,
    touched_field: bool,
    seen: Vec<String>,
}

type Eval<T> = Result<T, String>;

fn time_tuple(d: &DateTime<Utc>) -> Val {
    Val::Tuple(vec![
        Val::Int(i64::from(d.year())),
        Val::Int(i64::from(d.month())),
        Val::Int(i64::from(d.day())),
        Val::Int(i64::from(d.hour())),
        Val::Int(i64::from(d.minute())),
        Val::Int(i64::from(d.second())),
        Val::Int(i64::from(d.weekday().num_days_from_monday())),
        Val::Int(i64::from(d.ordinal())),
        Val::Int(0),
    ])
}

/// feedparser's version string for ours (RSS 0.91 is one of two).
fn versions_of(f: &ParsedFeed) -> Vec<&'static str> {
    match (f.kind, f.version.as_str()) {
        (FeedKind::Rss, "0.90") => vec!["rss090"],
        (FeedKind::Rss, "0.91") => vec!["rss091u", "rss091n"],
        (FeedKind::Rss, "0.92") => vec!["rss092"],
        (FeedKind::Rss, "0.93") => vec!["rss093"],
        (FeedKind::Rss, "0.94") => vec!["rss094"],
        (FeedKind::Rss, "1.0") => vec!["rss10"],
        (FeedKind::Rss, v) if v.starts_with('2') => vec!["rss20"],
        (FeedKind::Rss, _) => vec!["rss"],
        (FeedKind::Atom, "0.3") => vec!["atom03"],
        (FeedKind::Atom, _) => vec!["atom10"],
        (FeedKind::Json, "1.1") => vec!["json11"],
        (FeedKind::Json, _) => vec!["json1"],
    }
}

impl<'a> Evaluator<'a> {
    fn truthy(&mut self, a: &Ast) -> Eval<bool> {
        let v = self.eval(a)?;
        let v = self.resolve(v)?;
        Ok(match v {
            Val::Bool(b) => b,
            Val::Int(i) => i != 0,
            Val::Float(f) => f != 0.0,
            Val::Str(s) => !s.is_empty(),
            Val::None => false,
            Val::Tuple(t) => !t.is_empty(),
            Val::Field(_, v) => v.is_some_and(|s| !s.is_empty()),
            Val::Path(_) => true,
        })
    }

    fn eval(&mut self, a: &Ast) -> Eval<Val> {
        Ok(match a {
            Ast::Str(s) => Val::Str(s.clone()),
            Ast::Int(i) => Val::Int(*i),
            Ast::Float(f) => Val::Float(*f),
            Ast::Tuple(items) => Val::Tuple(
                items
                    .iter()
                    .map(|i| self.eval(i).and_then(|v| self.resolve(v)))
                    .collect::<Eval<_>>()?,
            ),
            Ast::Dict(_) => return Err("dictionary comparison".into()),
            Ast::Name(n) => match n.as_str() {
                "bozo" => Val::Bool(self.feed.is_none_or(ParsedFeed::is_malformed)),
                "None" => Val::None,
                "True" => Val::Bool(true),
                "False" => Val::Bool(false),
                "feed" => Val::Path(vec![PathSeg::Key("feed".into())]),
                "entries" => Val::Path(vec![PathSeg::Key("entries".into())]),
                "encoding" => {
                    self.touched_field = true;
                    let v = self.feed.map(|f| f.encoding.clone());
                    self.seen.push(format!("encoding = {v:?}"));
                    Val::Field(FieldKind::Encoding, v)
                }
                "version" => {
                    self.touched_field = true;
                    Val::Field(
                        FieldKind::Version,
                        self.feed.map(|f| versions_of(f).join("|")),
                    )
                }
                other => return Err(format!("name {other}")),
            },
            Ast::Not(x) => Val::Bool(!self.truthy(x)?),
            Ast::And(l, r) => {
                // Both sides are evaluated so applicability does not depend on order.
                let a = self.truthy(l)?;
                let b = self.truthy(r)?;
                Val::Bool(a && b)
            }
            Ast::Or(l, r) => {
                let a = self.truthy(l)?;
                let b = self.truthy(r)?;
                Val::Bool(a || b)
            }
            Ast::Neg(x) => match self.eval(x)? {
                Val::Int(i) => Val::Int(-i),
                Val::Float(f) => Val::Float(-f),
                _ => return Err("negation".into()),
            },
            Ast::Add(l, r) => {
                let a = self.eval(l)?;
                let b = self.eval(r)?;
                match (a, b) {
                    (Val::Str(a), Val::Str(b)) => Val::Str(a + &b),
                    (Val::Int(a), Val::Int(b)) => Val::Int(a + b),
                    _ => return Err("addition".into()),
                }
            }
            Ast::Index(base, idx) => {
                let b = self.eval(base)?;
                let i = self.eval(idx)?;
                match (b, i) {
                    (Val::Path(mut p), Val::Str(k)) => {
                        p.push(PathSeg::Key(k));
                        Val::Path(p)
                    }
                    (Val::Path(mut p), Val::Int(i)) => {
                        p.push(PathSeg::Index(i));
                        Val::Path(p)
                    }
                    (Val::Tuple(t), Val::Int(i)) => {
                        let idx = if i < 0 { t.len() as i64 + i } else { i };
                        t.get(idx as usize).cloned().ok_or("index out of range")?
                    }
                    _ => return Err("indexing".into()),
                }
            }
            Ast::Attr(base, name) => match self.eval(base)? {
                Val::Path(mut p) => {
                    p.push(PathSeg::Key(name.clone()));
                    Val::Path(p)
                }
                _ => return Err(format!("attribute {name}")),
            },
            Ast::Call(f, args) => match (f.as_ref(), args.as_slice()) {
                (Ast::Name(n), [x]) if n == "len" => {
                    let v = self.eval(x)?;
                    match v {
                        Val::Path(p) if p == vec![PathSeg::Key("entries".into())] => {
                            self.touched_field = true;
                            Val::Int(self.feed.map_or(0, |f| f.entries.len() as i64))
                        }
                        Val::Path(p) => return Err(format!("len({})", path_name(&p))),
                        Val::Str(s) => Val::Int(s.chars().count() as i64),
                        _ => return Err("len".into()),
                    }
                }
                (Ast::Name(n), [x]) if n == "ord" => {
                    let v = self.eval(x)?;
                    let v = self.resolve(v)?;
                    match v {
                        Val::Field(_, Some(s)) | Val::Str(s) if s.chars().count() == 1 => {
                            Val::Int(i64::from(u32::from(s.chars().next().unwrap_or('\0'))))
                        }
                        _ => Val::Int(-1),
                    }
                }
                (Ast::Attr(base, m), [key]) if m == "has_key" => {
                    let b = self.eval(base)?;
                    let k = self.eval(key)?;
                    match (b, k) {
                        (Val::Path(mut p), Val::Str(k)) => {
                            p.push(PathSeg::Key(k));
                            // We store an empty value as absent, so "has the key" is "has a value".
                            match self.resolve(Val::Path(p))? {
                                Val::Field(_, v) => Val::Bool(v.is_some()),
                                Val::None => Val::Bool(false),
                                _ => Val::Bool(true),
                            }
                        }
                        _ => return Err("has_key".into()),
                    }
                }
                (Ast::Attr(base, m), [key]) if m == "get" => {
                    let b = self.eval(base)?;
                    let k = self.eval(key)?;
                    match (b, k) {
                        (Val::Path(mut p), Val::Str(k)) => {
                            p.push(PathSeg::Key(k));
                            let v = self.resolve(Val::Path(p))?;
                            match v {
                                Val::Field(_, None) => Val::None,
                                other => other,
                            }
                        }
                        _ => return Err("get".into()),
                    }
                }
                _ => return Err("function call".into()),
            },
            Ast::Compare(first, rest) => {
                if let [(op, Ast::Dict(pairs))] = rest.as_slice()
                    && op == "=="
                {
                    return self.enclosure_equal(first, pairs);
                }
                let mut left = self.eval(first)?;
                left = self.resolve(left)?;
                let mut all = true;
                for (op, r) in rest {
                    let right = self.eval(r)?;
                    let right = self.resolve(right)?;
                    let ok = match op.as_str() {
                        "==" => self.equal(&left, &right)?,
                        "!=" => !self.equal(&left, &right)?,
                        "is" => self.equal(&left, &right)?,
                        "is not" => !self.equal(&left, &right)?,
                        _ => return Err(format!("operator {op}")),
                    };
                    all &= ok;
                    left = right;
                }
                Val::Bool(all)
            }
        })
    }

    /// `entries[i]['enclosures'][n] == {'href': …, 'length': …, 'type': …}`: an enclosure is the one
    /// dictionary of fields we store, and these are all its keys, so comparing them one by one is
    /// Python's dictionary equality.
    fn enclosure_equal(&mut self, base: &Ast, pairs: &[(Ast, Ast)]) -> Eval<Val> {
        let Val::Path(p) = self.eval(base)? else {
            return Err("dictionary comparison".into());
        };
        let is_enclosure = matches!(p.as_slice(),
            [PathSeg::Key(e), PathSeg::Index(_), PathSeg::Key(k), PathSeg::Index(_)]
                if e == "entries" && k == "enclosures");
        if !is_enclosure {
            // Not evaluated: named by the field, as any other comparison with it would be.
            self.resolve(Val::Path(p))?;
            return Err("dictionary comparison".into());
        }
        let mut keys = Vec::new();
        let mut all = true;
        for (k, v) in pairs {
            let Val::Str(key) = self.eval(k)? else {
                return Err("dictionary key".into());
            };
            keys.push(key.clone());
            let mut kp = p.clone();
            kp.push(PathSeg::Key(key));
            let ours = self.resolve(Val::Path(kp))?;
            let want = self.eval(v)?;
            let want = self.resolve(want)?;
            all &= self.equal(&ours, &want)?;
        }
        keys.sort();
        if keys != ["href", "length", "type"] {
            return Err(format!("dictionary comparison with keys {keys:?}"));
        }
        Ok(Val::Bool(all))
    }

    /// Resolves a path into our data (a field value, a count, a time tuple) or says why it is
    /// not applicable.
    fn resolve(&mut self, v: Val) -> Eval<Val> {
        let Val::Path(p) = v else { return Ok(v) };
        let name = path_name(&p);
        let keys: Vec<&PathSeg> = p.iter().collect();
        let f = self.feed;
        let field = |kind: FieldKind, v: Option<String>| Val::Field(kind, v);
        let date = |d: Option<DateTime<Utc>>| d.as_ref().map(time_tuple).unwrap_or(Val::None);
        let result = match keys.as_slice() {
            [PathSeg::Key(root), rest @ ..] if root == "feed" => {
                let keys: Vec<String> = rest
                    .iter()
                    .map(|s| match s {
                        PathSeg::Key(k) => k.clone(),
                        PathSeg::Index(i) => i.to_string(),
                    })
                    .collect();
                let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
                match keys.as_slice() {
                    ["title"] | ["title_detail", "value"] => {
                        field(FieldKind::Title, f.and_then(|f| f.title.clone()))
                    }
                    ["link"] => field(FieldKind::Plain, f.and_then(|f| f.link.clone())),
                    ["description"]
                    | ["subtitle"]
                    | ["tagline"]
                    | ["subtitle_detail", "value"]
                    | ["tagline_detail", "value"] => {
                        field(FieldKind::Html, f.and_then(|f| f.description.clone()))
                    }
                    ["language"] => field(FieldKind::Plain, f.and_then(|f| f.language.clone())),
                    ["ttl"] => field(
                        FieldKind::Plain,
                        f.and_then(|f| f.ttl.map(|t| t.to_string())),
                    ),
                    ["updated_parsed"] | ["modified_parsed"] => date(f.and_then(|f| f.updated)),
                    ["published_parsed"] | ["issued_parsed"] => date(f.and_then(|f| f.published)),
                    _ => return Err(format!("feed.{}", keys.join("."))),
                }
            }
            [PathSeg::Key(root), PathSeg::Index(i), rest @ ..] if root == "entries" => {
                let e = f.and_then(|f| f.entries.get(*i as usize));
                let keys: Vec<String> = rest
                    .iter()
                    .map(|s| match s {
                        PathSeg::Key(k) => k.clone(),
                        PathSeg::Index(i) => format!("[{i}]"),
                    })
                    .collect();
                let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
                match keys.as_slice() {
                    ["title"] | ["title_detail", "value"] => {
                        field(FieldKind::Title, e.and_then(|e| e.title.clone()))
                    }
                    ["link"] => field(FieldKind::Plain, e.and_then(|e| e.link.clone())),
                    ["id"] | ["guid"] => field(FieldKind::Plain, e.and_then(|e| e.guid.clone())),
                    // feedparser's summary is the content when there is no summary.
                    ["description"] | ["summary"] | ["summary_detail", "value"] => field(
                        FieldKind::Html,
                        e.and_then(|e| e.summary.clone().or_else(|| e.content.clone())),
                    ),
                    ["content", "[0]", "value"] => {
                        field(FieldKind::Html, e.and_then(|e| e.content.clone()))
                    }
                    ["author"] | ["author_detail", "name"] => field(
                        FieldKind::Author,
                        e.and_then(|e| e.authors.first().cloned()),
                    ),
                    ["authors", idx, "name"] => {
                        let n: usize = idx.trim_matches(['[', ']']).parse().unwrap_or(usize::MAX);
                        field(FieldKind::Author, e.and_then(|e| e.authors.get(n).cloned()))
                    }
                    ["published_parsed"] | ["issued_parsed"] => date(e.and_then(|e| e.published)),
                    ["updated_parsed"] | ["modified_parsed"] => date(e.and_then(|e| e.updated)),
                    ["enclosures", idx, what]
                        if matches!(*what, "href" | "url" | "type" | "length") =>
                    {
                        let n: usize = idx.trim_matches(['[', ']']).parse().unwrap_or(usize::MAX);
                        let enc = e.and_then(|e| e.enclosures.get(n));
                        let v = match *what {
                            "href" | "url" => enc.map(|x| x.url.clone()),
                            "type" => enc.and_then(|x| x.mime.clone()),
                            _ => enc.and_then(|x| x.length.map(|l| l.to_string())),
                        };
                        field(FieldKind::Plain, v)
                    }
                    _ => return Err(format!("entries[].{}", keys.join("."))),
                }
            }
            _ => return Err(name),
        };
        self.touched_field = true;
        if let Val::Field(_, v) = &result {
            self.seen.push(format!("{name} = {v:?}"));
        }
        Ok(result)
    }

    fn equal(&mut self, a: &Val, b: &Val) -> Eval<bool> {
        Ok(match (a, b) {
            (Val::Field(k, ours), Val::Str(e)) | (Val::Str(e), Val::Field(k, ours)) => match ours {
                // We store empty text as absent.
                None => match k {
                    FieldKind::Title => html_to_text(e).is_empty(),
                    FieldKind::Html => canonical_html(e).is_empty(),
                    FieldKind::Plain | FieldKind::Author => e.trim().is_empty(),
                    _ => false,
                },
                Some(o) => match k {
                    FieldKind::Title => title_matches(o, e),
                    FieldKind::Html => html_matches(o, e, ExpectedType::Unknown),
                    FieldKind::Plain => o.trim() == e.trim(),
                    FieldKind::Author => author_matches(o, &author_forms(e)),
                    FieldKind::Encoding => {
                        Charset::for_label(o).is_some()
                            && Charset::for_label(o) == Charset::for_label(e)
                    }
                    FieldKind::Version => o.split('|').any(|v| v == e),
                },
            },
            (Val::Field(_, ours), Val::None) | (Val::None, Val::Field(_, ours)) => ours.is_none(),
            (Val::Field(_, Some(o)), Val::Int(i)) | (Val::Int(i), Val::Field(_, Some(o))) => {
                o.trim() == i.to_string()
            }
            (Val::Field(_, a), Val::Field(_, b)) => a.is_some() && a == b,
            (Val::Str(a), Val::Str(b)) => a == b,
            (Val::Int(a), Val::Int(b)) => a == b,
            (Val::Float(a), Val::Float(b)) => a == b,
            (Val::Int(a), Val::Float(b)) | (Val::Float(b), Val::Int(a)) => (*a as f64) == *b,
            (Val::Bool(a), Val::Bool(b)) => a == b,
            (Val::None, Val::None) => true,
            (Val::Tuple(a), Val::Tuple(b)) => {
                if a.len() != b.len() {
                    return Ok(false);
                }
                let mut all = true;
                for (x, y) in a.iter().zip(b.iter()) {
                    all &= self.equal(x, y)?;
                }
                all
            }
            _ => false,
        })
    }
}

fn path_name(p: &[PathSeg]) -> String {
    let mut s = String::new();
    for seg in p {
        match seg {
            PathSeg::Key(k) if s.is_empty() => s.push_str(k),
            PathSeg::Key(k) => {
                s.push('.');
                s.push_str(k);
            }
            PathSeg::Index(_) => s.push_str("[]"),
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expressions() {
        let feed = parse_feed(
            b"<rss version=\"2.0\"><channel><title>Example &amp; co</title><ttl>60</ttl>\
              <item><title>T</title><pubDate>Sat, 28 Feb 2004 18:14:55 GMT</pubDate></item></channel></rss>",
            None,
            None,
            &crate::limits::Limits::default(),
        )
        .unwrap();
        let f = Some(&feed);
        assert_eq!(
            evaluate("not bozo and feed['title'] == u'Example & co'", f),
            Verdict::Pass
        );
        assert_eq!(
            evaluate("feed.title == 'Example &amp; co'", f),
            Verdict::Pass
        );
        assert_eq!(
            evaluate("len(entries) == 1 and feed['ttl'] == '60'", f),
            Verdict::Pass
        );
        assert_eq!(
            evaluate(
                "entries[0]['published_parsed'] == (2004, 2, 28, 18, 14, 55, 5, 59, 0)",
                f
            ),
            Verdict::Pass
        );
        assert!(matches!(
            evaluate("feed['title'] == 'x'", f),
            Verdict::Fail(_)
        ));
        assert!(matches!(
            evaluate("not bozo and feed['cloud']['port'] == '80'", f),
            Verdict::NotApplicable(_)
        ));
        assert!(matches!(evaluate("bozo", f), Verdict::NotApplicable(_)));
        assert_eq!(
            evaluate("version == 'rss20' and encoding == 'utf-8'", f),
            Verdict::Pass
        );
        assert_eq!(
            evaluate(r"feed['title'] == u'\u0045xample ' + '& co'", f),
            Verdict::Pass
        );
        assert_eq!(
            evaluate("not entries[0].has_key('link') and feed.has_key('ttl')", f),
            Verdict::Pass
        );
        assert!(matches!(
            evaluate("entries[0].has_key('title') == False", f),
            Verdict::Fail(_)
        ));
    }

    #[test]
    fn an_enclosure_compares_with_a_dictionary() {
        let feed = parse_feed(
            b"<rss version=\"2.0\"><channel><title>E</title><item><title>T</title>\
              <enclosure url=\"http://example.com/1\" length=\"100\" type=\"image/png\"/>\
              <enclosure url=\"http://example.com/2\" length=\"200000\" type=\"image/gif\"/>\
              </item></channel></rss>",
            None,
            None,
            &crate::limits::Limits::default(),
        )
        .unwrap();
        let f = Some(&feed);
        let dict = |href: &str| {
            format!(
                "entries[0]['enclosures'][1] == {{'href': '{href}', 'length': '200000', 'type': 'image/gif'}}"
            )
        };
        assert_eq!(evaluate(&dict("http://example.com/2"), f), Verdict::Pass);
        assert!(matches!(
            evaluate(&dict("http://example.com/1"), f),
            Verdict::Fail(_)
        ));
        // Not all of an enclosure's keys, or not an enclosure: not evaluated.
        assert!(matches!(
            evaluate("entries[0]['enclosures'][1] == {'href': 'x'}", f),
            Verdict::NotApplicable(_)
        ));
        assert!(matches!(
            evaluate("feed['image'] == {'href': 'x'}", f),
            Verdict::NotApplicable(_)
        ));
    }

    #[test]
    fn rates_of_nothing_are_undefined() {
        assert_eq!(FieldScore::default().rate(), None);
        assert_eq!(CheckTally::default().rate(), None);
        let t = CheckTally {
            pass: 3,
            fail: 1,
            not_applicable: 5,
            unlisted: 0,
        };
        assert_eq!((t.rate(), t.applicable(), t.checks()), (Some(0.75), 4, 9));
    }

    #[test]
    fn the_list_reads_groups_and_rejects_malformed_lines() {
        let list = NotApplicableList::parse(
            "# comment\n\n## not stored\na/one.xml  feed.cloud.port\n## other reason\nb/two.xml no stored field\n",
        )
        .unwrap();
        assert_eq!(list.len(), 2);
        assert_eq!(
            list.get("b/two.xml"),
            Some(&Listed {
                construct: "no stored field".into(),
                reason: "other reason".into()
            })
        );
        let err = |t: &str| NotApplicableList::parse(t).unwrap_err();
        assert_eq!(err("a.xml x\n").line, 1);
        assert_eq!(err("## r\na.xml x\na.xml y\n").line, 3);
        assert_eq!(err("## r\na.xml\n").line, 2);
        assert_eq!(err("## \n").line, 1);
    }

    #[test]
    fn the_committed_list_reads() {
        let list = NotApplicableList::committed().unwrap();
        assert!(list.iter().all(|(_, l)| !l.reason.is_empty()));
        assert!(list.len() > 600, "{}", list.len());
    }

    /// A check the evaluator cannot evaluate is not applicable only when listed with the same
    /// construct; otherwise it is a failure, and an entry nothing needed is stale.
    #[test]
    fn unlisted_checks_that_cannot_be_evaluated_fail() {
        let dir = tempfile::tempdir().unwrap();
        let feed = |expect: &str| {
            format!(
                "<!--\nDescription: x\nExpect: {expect}\n-->\n<rss version=\"2.0\"><channel>\
                 <title>T</title></channel></rss>"
            )
        };
        std::fs::create_dir_all(dir.path().join("wellformed/rss")).unwrap();
        let write = |name: &str, expect: &str| {
            std::fs::write(dir.path().join(name), feed(expect)).unwrap();
        };
        write("wellformed/rss/listed.xml", "feed['cloud']['port'] == '80'");
        write("wellformed/rss/unlisted.xml", "feed['docs'] == 'x'");
        write("wellformed/rss/other.xml", "feed['generator'] == 'x'");
        write("wellformed/rss/pass.xml", "feed['title'] == 'T'");
        std::fs::write(dir.path().join("wellformed/rss/none.xml"), "<rss/>").unwrap();
        let list = NotApplicableList::parse(
            "## r\nwellformed/rss/listed.xml  feed.cloud.port\n\
             wellformed/rss/other.xml  feed.cloud.port\nwellformed/rss/gone.xml  feed.docs\n",
        )
        .unwrap();
        let r = run_feedparser(dir.path(), DEFAULT_TIMEOUT, &list);
        assert_eq!(r.files, 5);
        assert_eq!(r.without_expect, ["wellformed/rss/none.xml"]);
        let t = &r.headline;
        assert_eq!((t.pass, t.fail, t.not_applicable, t.unlisted), (1, 2, 1, 2));
        assert_eq!(
            r.unlisted,
            [
                "wellformed/rss/other.xml: feed.generator",
                "wellformed/rss/unlisted.xml: feed.docs"
            ]
        );
        assert_eq!(
            r.stale,
            [
                "wellformed/rss/gone.xml: feed.docs",
                "wellformed/rss/other.xml: feed.cloud.port"
            ]
        );
        assert_eq!(r.failures.len(), 2);
    }

    #[test]
    fn headers_of_utf16_utf32_and_json_tests_are_read() {
        let text = "<!--\nExpect: not bozo and encoding == 'utf-16be'\n-->\n<rss/>";
        let utf16be: Vec<u8> = text.encode_utf16().flat_map(u16::to_be_bytes).collect();
        let mut utf16le_bom = vec![0xFF, 0xFE];
        utf16le_bom.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
        let utf32be: Vec<u8> = text
            .chars()
            .flat_map(|c| u32::from(c).to_be_bytes())
            .collect();
        let mut utf32le_bom = vec![0xFF, 0xFE, 0, 0];
        utf32le_bom.extend(text.chars().flat_map(|c| u32::from(c).to_le_bytes()));
        for bytes in [utf16be, utf16le_bom, utf32be, utf32le_bom] {
            assert_eq!(
                read_header(&bytes).expect.as_deref(),
                Some("not bozo and encoding == 'utf-16be'")
            );
        }
        let json = "{\n  \"__TEST__\": \"Description: basic Expect: not bozo and len(entries) == 2 -->\",\n}";
        assert_eq!(
            read_header(json.as_bytes()).expect.as_deref(),
            Some("not bozo and len(entries) == 2")
        );
    }
}
