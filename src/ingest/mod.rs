//! Readers: files and streams → [`Document`]s.
//!
//! In: paths given to `newsdedup ingest` (JSON Lines files, `.txt` and `.html` files, folders of
//! them, any of them gzipped, or `-` for JSON Lines on standard input). Out: a stream of
//! [`Item`]s: a document with where it came from, or a rejection naming the input and the reason.
//! A bad line or file is rejected and reading goes on. Sizes are bounded as the bytes arrive
//! ([`Limits`]: a line, a file, a field, a `.gz` input's decompressed total): an input over a
//! limit is rejected with the limit and the key that raises it, and never held whole.

mod bounded;
mod files;
mod jsonl;

pub use files::{read_html_file, read_text_file, split_title};
pub use jsonl::parse_jsonl_line;

use crate::document::Document;
use crate::limits::{LimitExceeded, Limits};
use bounded::{Capped, Line, limit_of, read_capped, read_line};
use std::io::{BufReader, Read};
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

/// Where a document came from: `file:line` for JSON Lines, the path for whole files.
pub type Origin = String;

/// An input that could not be read as a document.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Rejected {
    pub origin: Origin,
    pub reason: String,
}

impl Rejected {
    fn new(origin: impl Into<Origin>, reason: impl Into<String>) -> Self {
        Rejected {
            origin: origin.into(),
            reason: reason.into(),
        }
    }
}

/// One thing a reader produced.
#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    Doc { origin: Origin, doc: Document },
    Rejected(Rejected),
}

/// Options shared by the readers.
#[derive(Debug, Clone, Default)]
pub struct ReadOptions {
    /// Overrides the source of every document read.
    pub source: Option<String>,
    /// The sizes a line, a file, a field and a decompressed input may have.
    pub limits: Limits,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Jsonl,
    Text,
    Html,
}

/// The kind of file a name says it is (`.gz` looked through).
fn kind_of(path: &Path) -> Option<(Kind, bool)> {
    let name = path.file_name()?.to_str()?.to_ascii_lowercase();
    let (name, gz) = match name.strip_suffix(".gz") {
        Some(n) => (n.to_string(), true),
        None => (name, false),
    };
    let ext = name.rsplit_once('.')?.1;
    let kind = match ext {
        "jsonl" | "ndjson" | "json" => Kind::Jsonl,
        "txt" | "text" => Kind::Text,
        "html" | "htm" | "xhtml" => Kind::Html,
        _ => return None,
    };
    Some((kind, gz))
}

fn open(path: &Path, gz: bool, limits: &Limits) -> Result<Box<dyn Read>, String> {
    let f = std::fs::File::open(path).map_err(|e| e.to_string())?;
    Ok(if gz {
        let over = LimitExceeded::bytes(
            "decompressed input",
            "decompressed_bytes",
            limits.decompressed_bytes,
        );
        Box::new(Capped::new(flate2::read::MultiGzDecoder::new(f), over))
    } else {
        Box::new(f)
    })
}

/// Files under a folder that a reader knows, in name order; hidden files and folders skipped.
fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)?.collect::<Result<_, _>>()?;
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let p = e.path();
        if e.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        if e.file_type()?.is_dir() {
            walk(&p, out)?;
        } else if kind_of(&p).is_some() {
            out.push(p);
        }
    }
    Ok(())
}

/// Reads JSON Lines from any reader, one item per non-blank line. A line over
/// [`Limits::line_bytes`] is skipped to its newline without being held, and rejected; a read
/// error (a decompressed input over its limit, a damaged `.gz`) ends the input with a rejection
/// naming it, after everything before it.
pub fn read_jsonl(
    name: &str,
    reader: impl Read,
    opts: &ReadOptions,
    sink: &mut dyn FnMut(Item) -> ControlFlow<()>,
) -> ControlFlow<()> {
    let mut reader = BufReader::with_capacity(1 << 20, reader);
    let mut buf = Vec::new();
    let mut line_no = 0usize;
    let line_limit = opts.limits.line_bytes;
    loop {
        line_no += 1;
        let origin = format!("{name}:{line_no}");
        match read_line(&mut reader, &mut buf, line_limit) {
            Ok(Line::End) => return ControlFlow::Continue(()),
            Ok(Line::Read) => {}
            Ok(Line::TooLong(n)) => {
                let e =
                    LimitExceeded::bytes("JSON Lines record", "line_bytes", line_limit).found(n);
                sink(Item::Rejected(Rejected::new(origin, e.to_string())))?;
                continue;
            }
            Err(e) => {
                let reason = match limit_of(&e) {
                    Some(over) => format!("{over}; stopped in line {line_no}"),
                    None => format!("read error in line {line_no}: {e}"),
                };
                return sink(Item::Rejected(Rejected::new(name, reason)));
            }
        }
        let line = match std::str::from_utf8(&buf) {
            Ok(l) => l.trim(),
            Err(e) => {
                sink(Item::Rejected(Rejected::new(
                    origin,
                    format!("not UTF-8: {e}"),
                )))?;
                continue;
            }
        };
        if line.is_empty() {
            continue;
        }
        let item = match parse_jsonl_line(line, opts) {
            Ok(doc) => Item::Doc { origin, doc },
            Err(reason) => Item::Rejected(Rejected::new(origin, reason)),
        };
        sink(item)?;
    }
}

/// Reads every input path (or `-` for standard input) and hands each item to `sink`, which may
/// stop the reading early by returning `Break`.
pub fn read_inputs(
    paths: &[PathBuf],
    opts: &ReadOptions,
    mut sink: impl FnMut(Item) -> ControlFlow<()>,
) {
    let _ = read_inputs_inner(paths, opts, &mut sink);
}

fn read_inputs_inner(
    paths: &[PathBuf],
    opts: &ReadOptions,
    sink: &mut dyn FnMut(Item) -> ControlFlow<()>,
) -> ControlFlow<()> {
    for path in paths {
        if path.as_os_str() == "-" {
            read_jsonl("<stdin>", std::io::stdin().lock(), opts, sink)?;
            continue;
        }
        let files = if path.is_dir() {
            let mut v = Vec::new();
            if let Err(e) = walk(path, &mut v) {
                sink(Item::Rejected(Rejected::new(
                    path.display().to_string(),
                    e.to_string(),
                )))?;
                continue;
            }
            v
        } else {
            vec![path.clone()]
        };
        for file in files {
            read_file(&file, opts, sink)?;
        }
    }
    ControlFlow::Continue(())
}

fn read_file(
    file: &Path,
    opts: &ReadOptions,
    sink: &mut dyn FnMut(Item) -> ControlFlow<()>,
) -> ControlFlow<()> {
    let name = file.display().to_string();
    let reject = |reason: String| Item::Rejected(Rejected::new(name.clone(), reason));
    let Some((kind, gz)) = kind_of(file) else {
        return sink(reject(
            "unknown file type (expected .jsonl, .ndjson, .json, .txt or .html, optionally .gz)"
                .into(),
        ));
    };
    let reader = match open(file, gz, &opts.limits) {
        Ok(r) => r,
        Err(e) => return sink(reject(e)),
    };
    match kind {
        Kind::Jsonl => read_jsonl(&name, reader, opts, sink),
        Kind::Text | Kind::Html => {
            let what = if kind == Kind::Text {
                "document text"
            } else {
                "document HTML"
            };
            let over = LimitExceeded::bytes(what, "document_bytes", opts.limits.document_bytes);
            let bytes = match read_capped(reader, &over) {
                Ok(b) => b,
                Err(e) => {
                    let reason = match limit_of(&e) {
                        // The size of a plain file is known; a stream stopped at the limit.
                        Some(over) => match std::fs::metadata(file) {
                            Ok(m) if !gz => over.clone().found(m.len()).to_string(),
                            _ => over.to_string(),
                        },
                        None => format!("read error: {e}"),
                    };
                    return sink(reject(reason));
                }
            };
            let item = match if kind == Kind::Text {
                read_text_file(file, bytes, opts)
            } else {
                read_html_file(file, bytes, opts)
            } {
                Ok(doc) => Item::Doc {
                    origin: name.clone(),
                    doc,
                },
                Err(reason) => reject(reason),
            };
            sink(item)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn limits() -> Limits {
        Limits {
            line_bytes: 1000,
            document_bytes: 2000,
            decompressed_bytes: 1 << 20,
            ..Limits::default()
        }
    }

    /// Everything read from `paths`, as (origin, external id or rejection reason).
    fn read_all(paths: &[PathBuf]) -> Vec<(String, Result<String, String>)> {
        let opts = ReadOptions {
            limits: limits(),
            ..ReadOptions::default()
        };
        let mut got = Vec::new();
        read_inputs(paths, &opts, |item| {
            got.push(match item {
                Item::Doc { origin, doc } => (origin, Ok(doc.external_id)),
                Item::Rejected(r) => (r.origin, Err(r.reason)),
            });
            ControlFlow::Continue(())
        });
        got
    }

    fn record(id: &str, text: &str) -> String {
        serde_json::json!({"id": id, "source": "s", "text": text}).to_string() + "\n"
    }

    fn gz(path: &Path, parts: &[&[u8]]) {
        let mut e = flate2::write::GzEncoder::new(
            std::fs::File::create(path).unwrap(),
            flate2::Compression::fast(),
        );
        for p in parts {
            e.write_all(p).unwrap();
        }
        e.finish().unwrap();
    }

    #[test]
    fn a_line_over_the_limit_is_rejected_by_its_number_and_the_others_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.jsonl");
        let big = record("big", &"x".repeat(5000));
        std::fs::write(&path, record("1", "one") + &big + &record("3", "three")).unwrap();
        let got = read_all(std::slice::from_ref(&path));
        let name = path.display().to_string();
        assert_eq!(got[0], (format!("{name}:1"), Ok("1".into())));
        assert_eq!(got[2], (format!("{name}:3"), Ok("3".into())));
        assert_eq!(got[1].0, format!("{name}:2"));
        let reason = got[1].1.clone().unwrap_err();
        assert_eq!(
            reason,
            LimitExceeded::bytes("JSON Lines record", "line_bytes", 1000)
                .found(big.len() as u64 - 1)
                .to_string()
        );
    }

    #[test]
    fn a_gzip_bomb_stops_at_the_limit_naming_the_file_after_what_came_before() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bomb.jsonl.gz");
        let zeros = vec![b'0'; 1 << 16];
        let mut parts: Vec<&[u8]> = Vec::new();
        let first = record("1", "one");
        parts.push(first.as_bytes());
        // 4 MiB of one line: four times the decompressed limit.
        parts.extend(std::iter::repeat_n(&zeros[..], 64));
        gz(&path, &parts);
        let got = read_all(std::slice::from_ref(&path));
        let name = path.display().to_string();
        assert_eq!(got.len(), 2, "{got:?}");
        assert_eq!(got[0], (format!("{name}:1"), Ok("1".into())));
        assert_eq!(got[1].0, name);
        let reason = got[1].1.clone().unwrap_err();
        assert!(
            reason.starts_with(
                "decompressed input is over the limit of 1048576 bytes (raise it with \
                 `decompressed_bytes` in [limits]"
            ) && reason.ends_with("stopped in line 2"),
            "{reason}"
        );
    }

    #[test]
    fn text_files_over_the_document_limit_are_rejected_gzipped_or_not() {
        let dir = tempfile::tempdir().unwrap();
        let plain = dir.path().join("big.txt");
        std::fs::write(&plain, "word ".repeat(1000)).unwrap();
        let packed = dir.path().join("bomb.txt.gz");
        let zeros = vec![b'0'; 1 << 16];
        gz(&packed, &vec![&zeros[..]; 1024]);
        let fits = dir.path().join("fits.html");
        std::fs::write(&fits, "<p>".repeat(600)).unwrap();
        let got = read_all(&[plain.clone(), packed.clone(), fits.clone()]);
        assert_eq!(
            got[0],
            (
                plain.display().to_string(),
                Err(
                    LimitExceeded::bytes("document text", "document_bytes", 2000)
                        .found(5000)
                        .to_string()
                )
            )
        );
        assert_eq!(
            got[1],
            (
                packed.display().to_string(),
                Err(LimitExceeded::bytes("document text", "document_bytes", 2000).to_string())
            )
        );
        assert_eq!(got[2], (fits.display().to_string(), Ok("fits".into())));
    }
}
