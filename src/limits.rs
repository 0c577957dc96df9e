//! Bounds on the work one input may cause: everything newsdedup reads is written by strangers.
//!
//! In: the `[limits]` section of the configuration. Out: [`Limits`], handed to the stages that
//! read bytes (the feed parser, the file and JSON Lines readers, the HTML extractor), and
//! [`LimitExceeded`], the error an input over a limit gets: it names the input, what was over,
//! the limit, and the key that raises it. The HTTP body limit is `[fetch] max_body_bytes`.

use serde::Deserialize;
use std::fmt;
use std::time::Duration;

/// Every bound, with the defaults of `config/newsdedup.toml`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    /// Entity references a feed's internal DTD subset may have expanded, in one feed.
    pub entity_expansions: u64,
    /// Bytes those expansions may add to a feed, in all.
    pub entity_bytes: u64,
    /// Elements read from one feed document; the rest of the document is dropped (and the
    /// cut recorded), so a feed of countless tiny elements cannot fill memory.
    pub feed_elements: u64,
    /// Entries kept from one feed: the first ones (a feed lists its newest first); the cut is
    /// recorded.
    pub feed_entries: u64,
    /// Bytes of one document's text or HTML: a `text`/`html` field, a `.txt`/`.html` file.
    pub document_bytes: u64,
    /// Bytes of one JSON Lines record (the whole line, before parsing).
    pub line_bytes: u64,
    /// Bytes of a title.
    pub title_bytes: u64,
    /// Bytes of a source name, an id, a URL or a JSON Lines `published` value.
    pub field_bytes: u64,
    /// Bytes a `.gz` input may decompress to (read as a stream, never held whole).
    pub decompressed_bytes: u64,
    /// Element nesting the HTML extractor follows; content deeper than this is read as text of
    /// the element at the limit.
    pub html_depth: u32,
    /// Attributes of one HTML tag the extractor reads; the rest of the tag's are left out.
    pub html_attributes: u32,
    /// Time the HTML extractor may spend on one page.
    #[serde(deserialize_with = "crate::fetch::de_duration")]
    pub extract_time: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            entity_expansions: 10_000,
            entity_bytes: 1024 * 1024,
            feed_elements: 200_000,
            feed_entries: 10_000,
            document_bytes: 4 * 1024 * 1024,
            line_bytes: 16 * 1024 * 1024,
            title_bytes: 4096,
            field_bytes: 8192,
            decompressed_bytes: 16 * 1024 * 1024 * 1024,
            html_depth: 512,
            html_attributes: 256,
            extract_time: Duration::from_secs(5),
        }
    }
}

/// An input over one of the [`Limits`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct LimitExceeded {
    /// What was over the limit: "document text", "JSON Lines record", "entity expansion", ...
    pub what: &'static str,
    /// How much there was, when it is known (an expansion stops at the limit, a stream too).
    pub actual: Option<u64>,
    pub limit: u64,
    /// The key in `[limits]` (or another section) that raises it.
    pub key: &'static str,
    /// The unit of `actual` and `limit`: "bytes", "references", "levels", "elements",
    /// "entries", "ms".
    pub unit: &'static str,
}

impl LimitExceeded {
    pub fn new(what: &'static str, key: &'static str, unit: &'static str, limit: u64) -> Self {
        LimitExceeded {
            what,
            actual: None,
            limit,
            key,
            unit,
        }
    }

    /// The same, with the amount found.
    pub fn found(mut self, actual: u64) -> Self {
        self.actual = Some(actual);
        self
    }

    /// A byte limit of `[limits]`.
    pub fn bytes(what: &'static str, key: &'static str, limit: u64) -> Self {
        Self::new(what, key, "bytes", limit)
    }
}

impl fmt::Display for LimitExceeded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ", self.what)?;
        if let Some(a) = self.actual {
            write!(f, "of {a} {} ", self.unit)?;
        }
        let (section, name) = self.key.split_once('.').unwrap_or(("limits", self.key));
        write!(
            f,
            "is over the limit of {} {} (raise it with `{name}` in [{section}] or NEWSDEDUP_{}__{})",
            self.limit,
            self.unit,
            section.to_ascii_uppercase(),
            name.to_ascii_uppercase()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_message_names_the_limit_and_how_to_raise_it() {
        let e = LimitExceeded::bytes("document text", "document_bytes", 4096).found(5000);
        assert_eq!(
            e.to_string(),
            "document text of 5000 bytes is over the limit of 4096 bytes \
             (raise it with `document_bytes` in [limits] or NEWSDEDUP_LIMITS__DOCUMENT_BYTES)"
        );
        let e = LimitExceeded::bytes("response body", "fetch.max_body_bytes", 10);
        assert_eq!(
            e.to_string(),
            "response body is over the limit of 10 bytes \
             (raise it with `max_body_bytes` in [fetch] or NEWSDEDUP_FETCH__MAX_BODY_BYTES)"
        );
    }
}
