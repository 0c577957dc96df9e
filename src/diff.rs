//! Differences between two texts of one cluster: what a copy added, cut and changed relative to
//! the canonical text.
//!
//! In: two clean texts (and titles). Out: [`Edits`]: sentences only the copy has, sentences only
//! the canonical text has, and sentences changed in place with the words that changed. Sentences
//! and words are compared by their key form, so typography (quotes, dashes, case, spacing) is
//! never reported as an edit.

use crate::normalize::text::key_form;
use serde::Serialize;
use similar::{Algorithm, DiffOp, capture_diff_slices};

/// A changed sentence with its word-level edits.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Changed {
    pub from: String,
    pub to: String,
    /// Runs of words replaced, removed (`inserted` empty) or inserted (`removed` empty).
    pub words: Vec<WordEdit>,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct WordEdit {
    pub removed: String,
    pub inserted: String,
}

/// What one text changed relative to another.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, Default)]
pub struct Edits {
    /// The new title, when it differs from the canonical one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<Changed>,
    pub added: Vec<String>,
    pub cut: Vec<String>,
    pub changed: Vec<Changed>,
}

impl Edits {
    pub fn is_empty(&self) -> bool {
        self.title.is_none()
            && self.added.is_empty()
            && self.cut.is_empty()
            && self.changed.is_empty()
    }
}

/// Splits clean text into sentences: at line ends, and after `.`, `!` or `?` (with any closing
/// quotes or brackets) followed by a space and an upper-case letter, digit or opening quote.
/// The sentences are trimmed slices of `text`.
pub fn sentences(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    for line in text.lines() {
        let bytes = line.as_bytes();
        let mut start = 0;
        let mut i = 0;
        // Every byte the rules look at is ASCII, so a scan by bytes finds the same ends as one by
        // characters; the characters around them are decoded where needed.
        while i < bytes.len() {
            if !matches!(bytes[i], b'.' | b'!' | b'?') {
                i += 1;
                continue;
            }
            let mut j = i + 1;
            while j < bytes.len()
                && matches!(bytes[j], b'"' | b'\'' | b')' | b']' | b'.' | b'!' | b'?')
            {
                j += 1;
            }
            if j + 1 < bytes.len() && bytes[j] == b' ' {
                let next = line[j + 1..].chars().next().expect("a character follows");
                // Not after a single capital ("U.S. officials", "J. Smith").
                let mut before = line[..i].chars().rev();
                let initial = match before.next() {
                    Some(p) if p.is_uppercase() => {
                        !before.next().is_some_and(char::is_alphanumeric)
                    }
                    _ => false,
                };
                if (next.is_uppercase()
                    || next.is_numeric()
                    || matches!(next, '"' | '\'' | '(' | '['))
                    && !initial
                {
                    let s = line[start..j].trim();
                    if !s.is_empty() {
                        out.push(s);
                    }
                    start = j + 1;
                    i = j + 1;
                    continue;
                }
            }
            i += 1;
        }
        if start < bytes.len() {
            let s = line[start..].trim();
            if !s.is_empty() {
                out.push(s);
            }
        }
    }
    out
}

/// Word-level edits between two sentences (compared by key form).
fn word_edits(from: &str, to: &str) -> Vec<WordEdit> {
    let a: Vec<&str> = from.split_whitespace().collect();
    let b: Vec<&str> = to.split_whitespace().collect();
    let ka: Vec<String> = a.iter().map(|w| key_form(w)).collect();
    let kb: Vec<String> = b.iter().map(|w| key_form(w)).collect();
    let mut out = Vec::new();
    for op in capture_diff_slices(Algorithm::Myers, &ka, &kb) {
        let (old, new) = match op {
            DiffOp::Equal { .. } => continue,
            DiffOp::Delete {
                old_index, old_len, ..
            } => (old_index..old_index + old_len, 0..0),
            DiffOp::Insert {
                new_index, new_len, ..
            } => (0..0, new_index..new_index + new_len),
            DiffOp::Replace {
                old_index,
                old_len,
                new_index,
                new_len,
            } => (
                old_index..old_index + old_len,
                new_index..new_index + new_len,
            ),
        };
        let removed = a[old].join(" ");
        let inserted = b[new].join(" ");
        // Words that differ only in punctuation ("said," vs "said") are no edit.
        if key_form(&removed) != key_form(&inserted) {
            out.push(WordEdit { removed, inserted });
        }
    }
    out
}

/// Share of words two sentences have in common (by key form), 0..=1.
fn word_similarity(a: &str, b: &str) -> f64 {
    let ka: Vec<String> = a.split_whitespace().map(key_form).collect();
    let kb: Vec<String> = b.split_whitespace().map(key_form).collect();
    if ka.is_empty() || kb.is_empty() {
        return 0.0;
    }
    let ops = capture_diff_slices(Algorithm::Myers, &ka, &kb);
    let same: usize = ops
        .iter()
        .map(|op| match op {
            DiffOp::Equal { len, .. } => *len,
            _ => 0,
        })
        .sum();
    2.0 * same as f64 / (ka.len() + kb.len()) as f64
}

/// A sentence pair this similar is one sentence changed in place, not a cut plus an addition.
const CHANGED_MIN_SIMILARITY: f64 = 0.5;

/// What `copy` added, cut and changed relative to `canonical`.
pub fn edits(
    canonical_title: Option<&str>,
    canonical: &str,
    copy_title: Option<&str>,
    copy: &str,
) -> Edits {
    let mut out = Edits::default();
    if let (Some(a), Some(b)) = (canonical_title, copy_title)
        && key_form(a) != key_form(b)
    {
        out.title = Some(Changed {
            from: a.to_string(),
            to: b.to_string(),
            words: word_edits(a, b),
        });
    }
    let sa = sentences(canonical);
    let sb = sentences(copy);
    let ka: Vec<String> = sa.iter().map(|s| key_form(s)).collect();
    let kb: Vec<String> = sb.iter().map(|s| key_form(s)).collect();
    for op in capture_diff_slices(Algorithm::Patience, &ka, &kb) {
        match op {
            DiffOp::Equal { .. } => {}
            DiffOp::Delete {
                old_index, old_len, ..
            } => out.cut.extend(
                sa[old_index..old_index + old_len]
                    .iter()
                    .map(|s| s.to_string()),
            ),
            DiffOp::Insert {
                new_index, new_len, ..
            } => out.added.extend(
                sb[new_index..new_index + new_len]
                    .iter()
                    .map(|s| s.to_string()),
            ),
            DiffOp::Replace {
                old_index,
                old_len,
                new_index,
                new_len,
            } => {
                // Pair sentences in order while they are similar enough; the rest are cut/added.
                let (mut i, mut j) = (old_index, new_index);
                let (ie, je) = (old_index + old_len, new_index + new_len);
                while i < ie && j < je {
                    if word_similarity(sa[i], sb[j]) >= CHANGED_MIN_SIMILARITY {
                        out.changed.push(Changed {
                            from: sa[i].to_string(),
                            to: sb[j].to_string(),
                            words: word_edits(sa[i], sb[j]),
                        });
                        i += 1;
                        j += 1;
                    } else if ie - i >= je - j {
                        out.cut.push(sa[i].to_string());
                        i += 1;
                    } else {
                        out.added.push(sb[j].to_string());
                        j += 1;
                    }
                }
                out.cut.extend(sa[i..ie].iter().map(|s| s.to_string()));
                out.added.extend(sb[j..je].iter().map(|s| s.to_string()));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_sentences_but_not_initials() {
        assert_eq!(
            sentences("U.S. officials said so. Then 144 died! \"Why?\" he asked.\nNew line"),
            [
                "U.S. officials said so.",
                "Then 144 died!",
                "\"Why?\" he asked.",
                "New line"
            ]
        );
    }

    #[test]
    fn reports_added_cut_and_changed_sentences_and_nothing_else() {
        let canonical = "The attack killed 144 people. Officials blamed Ukraine. Kyiv denied it.";
        let copy = "The attack killed 114 people. Officials blamed Ukraine. A new sentence here.";
        let e = edits(Some("Title"), canonical, Some("Title"), copy);
        assert_eq!(e.changed.len(), 1);
        assert_eq!(
            e.changed[0].words,
            [WordEdit {
                removed: "144".into(),
                inserted: "114".into()
            }]
        );
        assert_eq!(e.cut, ["Kyiv denied it."]);
        assert_eq!(e.added, ["A new sentence here."]);
        assert!(e.title.is_none());
    }

    #[test]
    fn typography_is_not_an_edit() {
        let e = edits(
            Some("\"Quoted\" title"),
            "He said \"yes\" - twice.",
            Some("\u{201C}Quoted\u{201D} Title"),
            "He said \u{201C}yes\u{201D} \u{2014} twice.",
        );
        assert!(e.is_empty(), "{e:?}");
    }
}
