//! Readers: files and streams → [`Document`]s.
//!
//! In: paths given to `newsdedup ingest` (JSON Lines files, `.txt` and `.html` files, folders of
//! them, any of them gzipped, or `-` for JSON Lines on standard input). Out: a stream of
//! [`Item`]s: a document with where it came from, or a rejection naming the input and the reason.
//! A bad line or file is rejected and reading goes on.

mod files;
mod jsonl;

pub use files::{read_html_file, read_text_file, split_title};
pub use jsonl::parse_jsonl_line;

use crate::document::Document;
use std::io::{BufRead, BufReader, Read};
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

fn open(path: &Path, gz: bool) -> std::io::Result<Box<dyn Read>> {
    let f = std::fs::File::open(path)?;
    Ok(if gz {
        Box::new(flate2::read::MultiGzDecoder::new(f))
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

/// Reads JSON Lines from any reader, one item per non-blank line.
pub fn read_jsonl(
    name: &str,
    reader: impl Read,
    opts: &ReadOptions,
    sink: &mut dyn FnMut(Item) -> ControlFlow<()>,
) -> ControlFlow<()> {
    let mut reader = BufReader::with_capacity(1 << 20, reader);
    let mut buf = Vec::new();
    let mut line_no = 0usize;
    loop {
        buf.clear();
        line_no += 1;
        match reader.read_until(b'\n', &mut buf) {
            Ok(0) => return ControlFlow::Continue(()),
            Ok(_) => {}
            Err(e) => {
                return sink(Item::Rejected(Rejected {
                    origin: format!("{name}:{line_no}"),
                    reason: format!("read error: {e}"),
                }));
            }
        }
        let origin = format!("{name}:{line_no}");
        let line = match std::str::from_utf8(&buf) {
            Ok(l) => l.trim(),
            Err(e) => {
                sink(Item::Rejected(Rejected {
                    origin,
                    reason: format!("not UTF-8: {e}"),
                }))?;
                continue;
            }
        };
        if line.is_empty() {
            continue;
        }
        let item = match parse_jsonl_line(line, opts) {
            Ok(doc) => Item::Doc { origin, doc },
            Err(reason) => Item::Rejected(Rejected { origin, reason }),
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
                sink(Item::Rejected(Rejected {
                    origin: path.display().to_string(),
                    reason: e.to_string(),
                }))?;
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
    let reject = |reason: String| {
        Item::Rejected(Rejected {
            origin: name.clone(),
            reason,
        })
    };
    let Some((kind, gz)) = kind_of(file) else {
        return sink(reject(
            "unknown file type (expected .jsonl, .ndjson, .json, .txt or .html, optionally .gz)"
                .into(),
        ));
    };
    let reader = match open(file, gz) {
        Ok(r) => r,
        Err(e) => return sink(reject(e.to_string())),
    };
    match kind {
        Kind::Jsonl => read_jsonl(&name, reader, opts, sink),
        Kind::Text | Kind::Html => {
            let mut bytes = Vec::new();
            let mut reader = reader;
            if let Err(e) = reader.read_to_end(&mut bytes) {
                return sink(reject(format!("read error: {e}")));
            }
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
