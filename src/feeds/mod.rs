//! Feeds: the bytes of an RSS, Atom or JSON Feed document → a [`ParsedFeed`] with its entries;
//! OPML subscription lists in and out; feed discovery in web pages; and the conformance harness
//! that measures all this against other parsers' test suites.
//!
//! In: bytes as fetched, the HTTP `Content-Type` if known, the feed's URL if known (for relative
//! links), and the [`Limits`](crate::limits::Limits) on the work one document may cause. Out: a
//! [`ParsedFeed`] (serde-serialisable) or a [`FeedError`] that says which step failed and why
//! (for a document over a limit, which limit and the key that raises it).
//!
//! The steps of [`parse_feed`], each in its own module:
//!
//! ```text
//! bytes ─► decode ─► xml (lenient tree) ─► repair (structure) ─► feed-rs ─► merge ─► ParsedFeed
//!          UTF-8     entities, bare &,      RSS version/channel,   RSS/Atom/   + our own reading of
//!                    stray tags, controls   Atom 0.3 → 1.0,         JSON        guid, links, enclosures,
//!                                           text constructs,                    ttl, skip*, sy:*
//!                                           base64
//! ```
//!
//! JSON Feed skips the XML steps: its JSON is repaired (`"version": "1.1"`, numeric ids, missing
//! fields) before feed-rs reads it. A panic anywhere inside is caught and reported as a
//! [`FeedError::Panicked`]. `docs/FEEDS.md` describes the repairs and the measured conformance.

pub mod conformance;
mod dates;
pub mod decode;
pub mod discover;
pub(crate) mod html;
pub mod opml;
mod parse;
mod repair;
mod xml;

pub use dates::parse_date;
pub use decode::{Charset, Decoded, DocumentKind, EncodingSource, decode};
pub use discover::{DiscoveredFeed, discover_feeds, looks_like_feed};
pub use opml::{OpmlError, OpmlFeed, read_opml, write_opml};
pub use parse::parse_feed;

use chrono::{DateTime, Utc, Weekday};
use serde::Serialize;
use std::fmt;

/// The family of a feed document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FeedKind {
    /// RSS 0.9x, 1.0 (RDF) or 2.0.
    Rss,
    /// Atom 1.0, or Atom 0.3 read as 1.0.
    Atom,
    /// JSON Feed 1.0 or 1.1.
    Json,
}

/// `sy:updatePeriod`: the period over which `sy:updateFrequency` updates happen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum UpdatePeriod {
    Hourly,
    Daily,
    Weekly,
    Monthly,
    Yearly,
}

impl UpdatePeriod {
    pub fn parse(s: &str) -> Option<UpdatePeriod> {
        match s.trim().to_ascii_lowercase().as_str() {
            "hourly" => Some(UpdatePeriod::Hourly),
            "daily" => Some(UpdatePeriod::Daily),
            "weekly" => Some(UpdatePeriod::Weekly),
            "monthly" => Some(UpdatePeriod::Monthly),
            "yearly" => Some(UpdatePeriod::Yearly),
            _ => None,
        }
    }

    /// The period's length in minutes (a month is 30 days, a year 365).
    pub fn minutes(self) -> u32 {
        match self {
            UpdatePeriod::Hourly => 60,
            UpdatePeriod::Daily => 24 * 60,
            UpdatePeriod::Weekly => 7 * 24 * 60,
            UpdatePeriod::Monthly => 30 * 24 * 60,
            UpdatePeriod::Yearly => 365 * 24 * 60,
        }
    }
}

/// A media file attached to an entry (RSS `<enclosure>`, Atom `rel="enclosure"`, JSON Feed
/// `attachments`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Enclosure {
    /// Absolute when the feed's URL or `xml:base` allowed resolving it.
    pub url: String,
    pub mime: Option<String>,
    /// In bytes, as the feed states it.
    pub length: Option<u64>,
}

/// One entry (item) of a feed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FeedEntry {
    /// The feed's own id (`<guid>`, `<id>`, `rdf:about`, JSON `id`) as written, trimmed; `None`
    /// when the feed gives none (no id is invented: the entry's identity is the caller's to
    /// choose). A relative Atom id is resolved against an explicit `xml:base`.
    pub guid: Option<String>,
    /// The entry's web page (`<link>`, Atom `rel="alternate"`, a permalink guid, JSON `url`),
    /// absolute when a base was known.
    pub link: Option<String>,
    /// Plain text: markup removed, entities decoded, whitespace collapsed.
    pub title: Option<String>,
    pub published: Option<DateTime<Utc>>,
    /// Only when the feed states a modification time (RSS has none of its own).
    pub updated: Option<DateTime<Utc>>,
    /// Names (or e-mail addresses when no name is given), in feed order.
    pub authors: Vec<String>,
    /// HTML (plain-text summaries are escaped), relative URLs resolved.
    pub summary: Option<String>,
    /// HTML (plain-text content is escaped), relative URLs resolved.
    pub content: Option<String>,
    pub enclosures: Vec<Enclosure>,
}

/// Something that was wrong with the document and was repaired (or worked around) to read it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Repair {
    /// Characters XML forbids (control characters, or references to them) were dropped.
    IllegalCharacters,
    /// A `<` that cannot start markup was read as text.
    StrayLessThan,
    /// A `&` not starting a known reference was read as text.
    BareAmpersand,
    /// HTML named entities (`&nbsp;`) that XML does not define were expanded.
    HtmlEntity,
    /// Numeric references into the C1 range were read as Windows-1252.
    C1CharacterReference,
    /// A namespace prefix was used without a declaration.
    UndeclaredPrefix(String),
    /// An end tag without a matching start tag was ignored.
    StrayEndTag,
    /// Elements left open were closed.
    UnclosedElements,
    /// The document ends inside markup; what came before was kept.
    Truncated(String),
    /// Elements nested deeper than 200 levels were dropped (their text kept).
    DeepNesting,
    /// Part of the document was dropped to stay within one of the [`Limits`]: the message
    /// names the limit and the key that raises it.
    ///
    /// [`Limits`]: crate::limits::Limits
    OverLimit(String),
    /// The decoder overruled or ignored a declared encoding.
    Encoding(String),
    /// `<rss>` without a usable `version` (or none at all) was read as RSS 2.0.
    RssVersion(String),
    /// `<rss>` without `<channel>`: its children were read as the channel.
    RssChannelAdded,
    /// Markup inside an element that holds text (an RSS title or description) was kept as HTML
    /// text.
    MarkupInText,
    /// Atom 0.3 was translated to Atom 1.0.
    Atom03,
    /// Base64 text was decoded.
    Base64Decoded,
    /// A text construct had a type that is not `text`, `html` or `xhtml`.
    TextType(String),
    /// The JSON Feed needed fixing (version, missing fields, numeric ids).
    JsonFeed(String),
}

impl Repair {
    /// Whether the repair means the document was not well-formed (XML) or not valid JSON Feed
    /// structure, as opposed to an old or unusual but legal form.
    pub fn is_wellformedness_error(&self) -> bool {
        matches!(
            self,
            Repair::IllegalCharacters
                | Repair::StrayLessThan
                | Repair::BareAmpersand
                | Repair::HtmlEntity
                | Repair::UndeclaredPrefix(_)
                | Repair::StrayEndTag
                | Repair::UnclosedElements
                | Repair::Truncated(_)
                | Repair::Encoding(_)
                | Repair::DeepNesting
        )
    }
}

/// Which parser produced the result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ParsedBy {
    /// feed-rs over the repaired document.
    FeedRs,
    /// Our own reading of the repaired tree, after feed-rs failed.
    Fallback,
}

/// A parsed feed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ParsedFeed {
    pub kind: FeedKind,
    /// The format version as declared: "2.0", "0.91", "1.0" (RDF), "0.3" (Atom), "1.1" (JSON);
    /// empty when the document declares none.
    pub version: String,
    /// Plain text.
    pub title: Option<String>,
    /// The site's web page (not the feed's own URL), absolute when a base was known.
    pub link: Option<String>,
    /// HTML, like entry summaries.
    pub description: Option<String>,
    pub language: Option<String>,
    pub published: Option<DateTime<Utc>>,
    pub updated: Option<DateTime<Utc>>,
    /// RSS `<ttl>`: minutes the feed may be cached.
    pub ttl: Option<u32>,
    /// RSS `<skipHours>`: hours (0–23, GMT) in which not to poll.
    pub skip_hours: Vec<u8>,
    /// RSS `<skipDays>`: days on which not to poll.
    pub skip_days: Vec<Weekday>,
    /// `sy:updatePeriod`.
    pub update_period: Option<UpdatePeriod>,
    /// `sy:updateFrequency`: updates per period.
    pub update_frequency: Option<u32>,
    pub entries: Vec<FeedEntry>,
    /// The encoding the bytes were decoded from.
    pub encoding: String,
    pub encoding_source: EncodingSource,
    /// What had to be repaired to read the document (empty for a clean feed).
    pub repairs: Vec<Repair>,
    pub parsed_by: ParsedBy,
}

impl ParsedFeed {
    /// Whether the document was not well-formed (see [`Repair::is_wellformedness_error`]).
    pub fn is_malformed(&self) -> bool {
        self.repairs.iter().any(Repair::is_wellformedness_error)
    }

    /// The shortest polling interval the feed asks for, in minutes: the larger of `ttl` and
    /// `sy:updatePeriod / sy:updateFrequency`.
    pub fn min_poll_minutes(&self) -> Option<u32> {
        let sy = self
            .update_period
            .map(|p| p.minutes() / self.update_frequency.unwrap_or(1).max(1));
        match (self.ttl, sy) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        }
    }
}

/// A step of [`parse_feed`], named in errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ParseStep {
    Decode,
    ReadXml,
    Repair,
    ReadJson,
    FeedRs,
    Merge,
}

impl fmt::Display for ParseStep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ParseStep::Decode => "decoding",
            ParseStep::ReadXml => "reading the XML",
            ParseStep::Repair => "repairing the structure",
            ParseStep::ReadJson => "reading the JSON",
            ParseStep::FeedRs => "feed-rs",
            ParseStep::Merge => "assembling the entries",
        })
    }
}

/// Why a feed could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FeedError {
    #[error("empty document")]
    Empty,
    /// The document is something else (an HTML page, another XML vocabulary, plain text).
    #[error("not a feed: {0}")]
    NotAFeed(String),
    /// A step failed; `reason` is its own message.
    #[error("{step}: {reason}")]
    Failed { step: ParseStep, reason: String },
    /// Code inside a step panicked; the panic was caught.
    #[error("{step}: panicked: {message}")]
    Panicked { step: ParseStep, message: String },
    /// Reading the document would take more work than [`crate::limits::Limits`] allows.
    #[error("{step}: {limit}")]
    Limit {
        step: ParseStep,
        limit: crate::limits::LimitExceeded,
    },
}

impl FeedError {
    /// The step that failed, if a step did.
    pub fn step(&self) -> Option<ParseStep> {
        match self {
            FeedError::Failed { step, .. }
            | FeedError::Panicked { step, .. }
            | FeedError::Limit { step, .. } => Some(*step),
            _ => None,
        }
    }
}

/// Runs `f`, turning a panic into [`FeedError::Panicked`] for `step`.
pub(crate) fn guarded<T>(
    step: ParseStep,
    f: impl FnOnce() -> Result<T, FeedError>,
) -> Result<T, FeedError> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
        Ok(r) => r,
        Err(payload) => {
            let message = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic payload".to_string());
            Err(FeedError::Panicked { step, message })
        }
    }
}
