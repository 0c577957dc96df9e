//! Readers: files and streams → [`Document`]s.
//!
//! In: paths given to `newsdedup ingest` (JSON Lines files, `.txt` and `.html` files, folders of
//! them, any of them gzipped, or `-` for JSON Lines on standard input). Out: a stream of
//! [`Item`]s: a document with where it came from, or a rejection naming the input and the reason.
//! A bad line or file is rejected and reading goes on. Sizes are bounded as the bytes arrive
//! ([`Limits`]: a line, a file, a field, a `.gz` input's decompressed total): an input over a
//! limit is rejected with the limit and the key that raises it, and never held whole. FIFOs,
//! sockets and devices are skipped, an unreadable folder is reported and the rest of the tree read.

mod bounded;
mod files;
mod jsonl;

pub use files::{read_html_file, read_text_file, split_title};
pub use jsonl::parse_jsonl_line;

use crate::document::Document;
use crate::limits::{LimitExceeded, Limits};
use bounded::{Capped, Line, limit_of, read_capped, read_line};
use std::collections::HashSet;
use std::fs::FileType;
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

/// What a file that is not a regular file or a folder is, for the message that skips it.
fn special_kind(t: &FileType) -> Option<&'static str> {
    use std::os::unix::fs::FileTypeExt;
    if t.is_fifo() {
        Some("a FIFO (named pipe)")
    } else if t.is_socket() {
        Some("a socket")
    } else if t.is_char_device() || t.is_block_device() {
        Some("a device")
    } else if t.is_file() || t.is_dir() {
        None
    } else {
        Some("not a regular file")
    }
}

fn skipped_special(what: &str) -> String {
    format!("{what}, not a regular file: skipped (read standard input with -)")
}

/// Opens a regular file, streamed through gzip when `gz`, with its decompressed total bounded.
/// A FIFO, socket or device is refused before it is read (and opened without waiting for a
/// writer, then checked again, so one swapped in meanwhile is refused too).
fn open(path: &Path, gz: bool, limits: &Limits) -> Result<Box<dyn Read>, String> {
    use std::os::unix::fs::OpenOptionsExt;
    let before = std::fs::metadata(path).map_err(|e| e.to_string())?;
    if let Some(what) = special_kind(&before.file_type()) {
        return Err(skipped_special(what));
    }
    let f = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
        .map_err(|e| e.to_string())?;
    let opened = f.metadata().map_err(|e| e.to_string())?;
    if let Some(what) = special_kind(&opened.file_type()) {
        return Err(skipped_special(what));
    }
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

/// What a folder walk found, in reading order.
enum Walked {
    File(PathBuf),
    Problem(Rejected),
}

/// Files under a folder that a reader knows, in name order; hidden files and folders skipped.
/// A folder that cannot be listed is reported and the rest of the tree is walked; symbolic links
/// to folders are followed once each (a link back to a folder already walked, as in a loop, is
/// reported and not followed); FIFOs, sockets and devices are reported, never opened.
fn walk(root: &Path) -> Vec<Walked> {
    use std::os::unix::fs::MetadataExt;
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    // Depth first, in name order: the folders and files still to visit, the next one last.
    let mut todo = vec![root.to_path_buf()];
    while let Some(p) = todo.pop() {
        let meta = match std::fs::metadata(&p) {
            Ok(m) => m,
            Err(e) => {
                out.push(Walked::Problem(Rejected::new(
                    p.display().to_string(),
                    e.to_string(),
                )));
                continue;
            }
        };
        if !meta.is_dir() {
            match special_kind(&meta.file_type()) {
                Some(what) => out.push(Walked::Problem(Rejected::new(
                    p.display().to_string(),
                    skipped_special(what),
                ))),
                None if kind_of(&p).is_some() => out.push(Walked::File(p)),
                None => {}
            }
            continue;
        }
        if !seen.insert((meta.dev(), meta.ino())) {
            out.push(Walked::Problem(Rejected::new(
                p.display().to_string(),
                "a link to a folder already read (a symbolic link loop?): not followed",
            )));
            continue;
        }
        let listed = std::fs::read_dir(&p).and_then(|d| d.collect::<Result<Vec<_>, _>>());
        let mut entries = match listed {
            Ok(v) => v,
            Err(e) => {
                out.push(Walked::Problem(Rejected::new(
                    p.display().to_string(),
                    format!("folder not read: {e}"),
                )));
                continue;
            }
        };
        entries.sort_by_key(|e| std::cmp::Reverse(e.file_name()));
        todo.extend(
            entries
                .into_iter()
                .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
                .map(|e| e.path()),
        );
    }
    out
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
        if !path.is_dir() {
            read_file(path, opts, sink)?;
            continue;
        }
        for walked in walk(path) {
            match walked {
                Walked::File(file) => read_file(&file, opts, sink)?,
                Walked::Problem(r) => sink(Item::Rejected(r))?,
            }
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

    fn mkfifo(path: &Path) {
        use std::os::unix::ffi::OsStrExt;
        let c = std::ffi::CString::new(path.as_os_str().as_bytes()).unwrap();
        // SAFETY: a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0, "mkfifo");
    }

    #[test]
    fn fifos_are_skipped_in_folders_and_when_given() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("b.jsonl");
        mkfifo(&fifo);
        std::fs::write(dir.path().join("a.jsonl"), record("1", "one")).unwrap();
        std::fs::write(dir.path().join("c.jsonl"), record("3", "three")).unwrap();
        // Nobody writes to the FIFO: reading it would wait forever.
        let got = read_all(&[dir.path().to_path_buf(), fifo.clone()]);
        let skipped = (
            fifo.display().to_string(),
            Err(skipped_special("a FIFO (named pipe)")),
        );
        let a = dir.path().join("a.jsonl").display().to_string();
        let c = dir.path().join("c.jsonl").display().to_string();
        assert_eq!(
            got,
            [
                (format!("{a}:1"), Ok("1".into())),
                skipped.clone(),
                (format!("{c}:1"), Ok("3".into())),
                skipped,
            ]
        );
    }

    #[test]
    fn an_unreadable_folder_is_named_and_the_rest_read() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        for sub in ["a", "b", "c"] {
            std::fs::create_dir(dir.path().join(sub)).unwrap();
            std::fs::write(dir.path().join(sub).join("x.jsonl"), record(sub, "text")).unwrap();
        }
        let locked = dir.path().join("b");
        std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000)).unwrap();
        let denied = std::fs::read_dir(&locked).is_err();
        let got = read_all(&[dir.path().to_path_buf()]);
        std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o755)).unwrap();
        let ids: Vec<_> = got.iter().filter_map(|(_, r)| r.clone().ok()).collect();
        if !denied {
            // Root (or CAP_DAC_READ_SEARCH): mode 000 denies nothing, so there is nothing
            // unreadable to report; the walk must still read everything.
            eprintln!(
                "notice: running with permission to read mode-000 folders; skipping that assertion"
            );
            assert_eq!(ids, ["a", "b", "c"]);
            return;
        }
        assert_eq!(ids, ["a", "c"]);
        assert_eq!(got[1].0, locked.display().to_string());
        let reason = got[1].1.clone().unwrap_err();
        assert!(reason.starts_with("folder not read:"), "{reason}");
    }

    #[test]
    fn symbolic_link_loops_end_and_linked_folders_are_read_once() {
        let dir = tempfile::tempdir().unwrap();
        let sub = dir.path().join("sub");
        std::fs::create_dir(&sub).unwrap();
        std::fs::write(sub.join("x.jsonl"), record("x", "text")).unwrap();
        std::os::unix::fs::symlink(dir.path(), sub.join("loop")).unwrap();
        std::os::unix::fs::symlink(&sub, dir.path().join("again")).unwrap();
        let got = read_all(&[dir.path().to_path_buf()]);
        let ids: Vec<_> = got.iter().filter_map(|(_, r)| r.clone().ok()).collect();
        assert_eq!(ids, ["x"], "{got:?}");
        let links: Vec<_> = got
            .iter()
            .filter(|(_, r)| r.is_err())
            .map(|(o, _)| o.clone())
            .collect();
        assert_eq!(
            links,
            // "again" comes first in name order: sub is read through it.
            [
                dir.path().join("again").join("loop").display().to_string(),
                sub.display().to_string()
            ]
        );
    }
}
