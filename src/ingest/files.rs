//! Whole files → [`Document`]s: plain text (first line as title when it reads as one) and HTML.
//!
//! In: a file's path and its bytes (read within `document_bytes` by the caller). Out: the
//! document, or the reason it was rejected (not UTF-8, empty). A first line longer than
//! `title_bytes` is not taken as the title (it stays in the text).

use super::ReadOptions;
use crate::document::{Body, Document};
use crate::normalize::boilerplate::{LineKind, classify};
use crate::normalize::text::{clean_line, key_form};
use std::path::Path;

/// A title is short, and does not end like a sentence or a clause.
const TITLE_MAX_WORDS: usize = 25;

fn file_id(path: &Path) -> String {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let name = name.strip_suffix(".gz").unwrap_or(&name);
    match name.rsplit_once('.') {
        Some((stem, _)) if !stem.is_empty() => stem.to_string(),
        _ => name.to_string(),
    }
}

fn decode(path: &Path, bytes: Vec<u8>) -> Result<String, String> {
    String::from_utf8(bytes).map_err(|e| {
        format!(
            "{}: not UTF-8 text (invalid byte at offset {})",
            path.display(),
            e.utf8_error().valid_up_to()
        )
    })
}

/// Splits a plain text into (title, body) when its first line that is not furniture reads as a
/// title: short, not ending like a sentence, and followed by more text.
pub fn split_title(text: &str) -> (Option<String>, &str) {
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        offset += line.len();
        let clean = clean_line(line);
        if clean.is_empty() {
            continue;
        }
        let key = key_form(&clean);
        if classify(&key) != LineKind::Content {
            continue;
        }
        let words = key.split(' ').count();
        let ends_like_sentence =
            clean.ends_with(['.', '!', ':', ';', ',']) && !clean.ends_with("...");
        let rest = &text[offset..];
        if words <= TITLE_MAX_WORDS && !ends_like_sentence && !rest.trim().is_empty() {
            return (Some(clean), rest);
        }
        return (None, text);
    }
    (None, text)
}

/// A `.txt` file: id and source from the file name (source overridable), title from the first line
/// when it reads as one and is within `title_bytes`.
pub fn read_text_file(path: &Path, bytes: Vec<u8>, opts: &ReadOptions) -> Result<Document, String> {
    let text = decode(path, bytes)?;
    if text.trim().is_empty() {
        return Err("empty file".into());
    }
    let (title, _) = split_title(&text);
    let title = title.filter(|t| t.len() as u64 <= opts.limits.title_bytes);
    let id = file_id(path);
    Ok(Document {
        external_id: id.clone(),
        url: None,
        source: opts.source.clone().unwrap_or(id),
        title,
        published: None,
        // The whole file is the original; normalization drops the title line from the text.
        body: Body::Text(text),
    })
}

/// An `.html` file: the page is kept whole; extraction finds its title, time and text.
pub fn read_html_file(path: &Path, bytes: Vec<u8>, opts: &ReadOptions) -> Result<Document, String> {
    let html = decode(path, bytes)?;
    if html.trim().is_empty() {
        return Err("empty file".into());
    }
    let id = file_id(path);
    Ok(Document {
        external_id: id.clone(),
        url: None,
        source: opts.source.clone().unwrap_or(id),
        title: None,
        published: None,
        body: Body::Html(html),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_line_is_the_title_only_when_it_reads_as_one() {
        let (t, body) =
            split_title("Support Us\n\nRussia claims a surge in recruits\n\nThe ministry said.");
        assert_eq!(t.as_deref(), Some("Russia claims a surge in recruits"));
        assert_eq!(body.trim(), "The ministry said.");
        let (t, _) = split_title(
            "The Russian Ministry of Defense claimed Wednesday that more Russians enlist.\nMore.",
        );
        assert_eq!(t, None);
        let (t, _) = split_title("Only a title");
        assert_eq!(t, None);
    }

    #[test]
    fn ids_come_from_file_names() {
        assert_eq!(file_id(Path::new("/x/000_cb49.txt")), "000_cb49");
        assert_eq!(file_id(Path::new("103.txt.gz")), "103");
    }
}
