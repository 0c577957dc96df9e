//! Parsing: the bytes of a feed → a [`ParsedFeed`].
//!
//! In: bytes, the HTTP `Content-Type` if known, the feed's URL if known, and the [`Limits`] of
//! the work it may cause (DTD entity expansion, elements read, entries kept). Out: a
//! [`ParsedFeed`] or a [`FeedError`] naming the step that failed (or the limit it went over). A
//! feed of more than `feed_entries` entries keeps its first ones (newest first, by convention),
//! the cut recorded as a [`Repair::OverLimit`] and logged as a warning.
//!
//! XML feeds are decoded, read into a lenient tree, repaired ([`super::repair`]) and written out
//! again well-formed for feed-rs. Before writing, each entry's own id is read from the tree and
//! replaced by a marker (`<guid>`/`<id>`, or a first `<link>` in RDF), so every entry feed-rs
//! returns can be matched with what we read from the tree ourselves: the id exactly as written
//! (feed-rs invents ids), the entry's link and enclosures resolved against `xml:base` and the
//! feed URL, and the channel's `ttl`, `skipHours`, `skipDays` and `sy:` hints, which feed-rs
//! drops. feed-rs supplies titles, summaries, content, authors and dates (read with our own
//! lenient date parser). If feed-rs still fails on the repaired document, a fallback reads the
//! same fields from the tree itself. JSON Feed is repaired as JSON and then read by feed-rs.

use super::dates::parse_date;
use super::decode::{DocumentKind, decode, strip_xml_encoding};
use super::html::{collapse_whitespace, escape_html, html_to_text, resolve_url, resolve_urls};
use super::repair::{XmlFormat, repair};
use super::xml::{
    Element, NS_ATOM, NS_CONTENT, NS_DC, NS_DCTERMS, NS_RDF, NS_RSS10, NS_SY, NS_XML, Node,
    XmlError, parse as parse_xml, push_repair, serialize,
};
use super::{
    Enclosure, FeedEntry, FeedError, FeedKind, ParseStep, ParsedBy, ParsedFeed, Repair,
    UpdatePeriod, guarded,
};
use crate::limits::{LimitExceeded, Limits};
use chrono::{DateTime, Utc, Weekday};
use feed_rs::model;
use serde_json::Value;
use url::Url;

const MARKER: &str = "urn:x-newsdedup:entry:";
const NS_MEDIA: &str = "http://search.yahoo.com/mrss/";

/// Parses a feed (RSS 0.9x/1.0/2.0, Atom 0.3/1.0, JSON Feed 1.0/1.1).
///
/// `content_type` is the HTTP `Content-Type` (its charset counts when decoding); `url` is the
/// feed's address, used to make relative links absolute. Entities of an internal DTD subset are
/// expanded within `limits` (past them the feed is a [`FeedError::Limit`]). Never panics: a
/// panic inside is returned as [`FeedError::Panicked`].
pub fn parse_feed(
    bytes: &[u8],
    content_type: Option<&str>,
    url: Option<&str>,
    limits: &Limits,
) -> Result<ParsedFeed, FeedError> {
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(FeedError::Empty);
    }
    let base = url
        .and_then(|u| Url::parse(u.trim()).ok())
        .filter(is_safe_base);
    let decoded = guarded(ParseStep::Decode, || {
        Ok(decode(bytes, content_type, DocumentKind::Xml))
    })?;
    let mut repairs: Vec<Repair> = decoded
        .notes
        .iter()
        .map(|n| Repair::Encoding(n.clone()))
        .collect();
    if decoded.source == super::EncodingSource::Detected {
        // XML without a declaration must be UTF-8 or UTF-16.
        repairs.push(Repair::Encoding(format!(
            "no usable encoding declared and the bytes are not UTF-8: detected {}",
            decoded.charset
        )));
    }
    let text = decoded
        .text
        .trim_start_matches(['\u{feff}', ' ', '\t', '\r', '\n']);
    let mut feed = if text.starts_with('{') || text.starts_with('[') {
        guarded(ParseStep::ReadJson, || {
            parse_json(text, base.as_ref(), limits, &mut repairs)
        })?
    } else if text.contains('<') {
        guarded(ParseStep::ReadXml, || {
            parse_xml_feed(text, base.as_ref(), limits, &mut repairs)
        })?
    } else {
        return Err(FeedError::NotAFeed(
            "neither markup nor JSON (no '<' or '{' found)".to_string(),
        ));
    };
    feed.encoding = decoded.charset.name().to_string();
    feed.encoding_source = decoded.source;
    let mut all = repairs;
    for r in std::mem::take(&mut feed.repairs) {
        push_repair(&mut all, r);
    }
    feed.repairs = all;
    for r in &feed.repairs {
        if let Repair::OverLimit(cut) = r {
            // Part of the feed was dropped: say so where the newsroom looks.
            tracing::warn!(feed = url.unwrap_or("(no URL)"), "{cut}");
        }
    }
    Ok(feed)
}

/// What we read from the tree for one entry.
#[derive(Debug, Default, Clone)]
struct EntrySide {
    guid: Option<String>,
    link: Option<String>,
    enclosures: Vec<Enclosure>,
    summary_base: Option<Url>,
    content_base: Option<Url>,
    /// RSS: the modification time we read ourselves (`atom:updated`, `dcterms:modified`,
    /// `dc:date`); Atom and JSON: whether feed-rs's `updated` was stated.
    updated: Option<DateTime<Utc>>,
    has_updated: bool,
    /// Values from other vocabularies, used when feed-rs found none of its own.
    fb: Fallbacks,
}

/// Values from extension vocabularies (Dublin Core, iTunes, Atom inside RSS), for fields the
/// main vocabulary left empty.
#[derive(Debug, Default, Clone)]
struct Fallbacks {
    /// HTML-ish text, as RSS titles are.
    title: Option<String>,
    /// HTML.
    summary: Option<String>,
    /// (text, is HTML).
    content: Option<(String, bool)>,
    authors: Vec<String>,
    published: Option<DateTime<Utc>>,
    /// Channel level only: `dc:date`, `dcterms:modified`.
    updated: Option<DateTime<Utc>>,
    /// Channel level only: `dc:language`.
    language: Option<String>,
}

/// What we read from the tree for the feed.
#[derive(Debug, Default, Clone)]
struct FeedSide {
    link: Option<String>,
    description_base: Option<Url>,
    ttl: Option<u32>,
    skip_hours: Vec<u8>,
    skip_days: Vec<Weekday>,
    update_period: Option<UpdatePeriod>,
    update_frequency: Option<u32>,
    entries: Vec<EntrySide>,
    fb: Fallbacks,
}

fn parse_xml_feed(
    text: &str,
    base: Option<&Url>,
    limits: &Limits,
    repairs: &mut Vec<Repair>,
) -> Result<ParsedFeed, FeedError> {
    let text = strip_xml_encoding(text);
    let mut tree = guarded(ParseStep::ReadXml, || {
        parse_xml(&text, limits).map_err(|e| match e {
            XmlError::Limit(limit) => FeedError::Limit {
                step: ParseStep::ReadXml,
                limit,
            },
            e @ XmlError::NoElement { .. } => FeedError::Failed {
                step: ParseStep::ReadXml,
                reason: e.to_string(),
            },
        })
    })?;
    let (format, side, fallback_root, xml) = guarded(ParseStep::Repair, || {
        let format = repair(&mut tree.root, &mut tree.repairs).map_err(FeedError::NotAFeed)?;
        if let Some(found) = cut_entries(&mut tree.root, &format, limits.feed_entries) {
            tree.repairs.push(entries_cut(found, limits.feed_entries));
        }
        let fallback_root = tree.root.clone();
        let side = scan_and_mark(&mut tree.root, &format, base);
        let default_ns = match format {
            XmlFormat::Rss { .. } => None,
            XmlFormat::Rdf { .. } => Some(NS_RSS10),
            XmlFormat::Atom { .. } => Some(NS_ATOM),
        };
        let xml = serialize(&tree.root, default_ns);
        Ok((format, side, fallback_root, xml))
    })?;
    for r in tree.repairs {
        push_repair(repairs, r);
    }
    let (kind, version) = match &format {
        XmlFormat::Rss { version } | XmlFormat::Rdf { version } => (FeedKind::Rss, version.clone()),
        XmlFormat::Atom { version } => (FeedKind::Atom, version.clone()),
    };
    let parsed = guarded(ParseStep::FeedRs, || {
        feed_rs_parser()
            .parse(xml.as_bytes())
            .map_err(|e| FeedError::Failed {
                step: ParseStep::FeedRs,
                reason: e.to_string(),
            })
    });
    match parsed {
        Ok(f) => guarded(ParseStep::Merge, || Ok(merge(f, kind, version, side))),
        Err(e) => {
            // feed-rs could not read even the repaired document: read the tree ourselves.
            tracing::debug!(error = %e, "feed-rs failed on the repaired feed; using the fallback");
            guarded(ParseStep::Merge, || {
                Ok(fallback(&fallback_root, &format, kind, version, base))
            })
            .map_err(|_| e)
        }
    }
}

/// Drops from the tree the entries after the first `limit` (an RSS channel's items, an RDF
/// document's items, an Atom feed's entries), before anything is done with them; the number
/// there were, when some were dropped.
fn cut_entries(root: &mut Element, format: &XmlFormat, limit: u64) -> Option<u64> {
    let (container, ns, name) = match format {
        XmlFormat::Rss { .. } => (
            root.elements_mut().find(|e| e.is(None, "channel"))?,
            None,
            "item",
        ),
        XmlFormat::Rdf { .. } => (root, Some(NS_RSS10), "item"),
        XmlFormat::Atom { .. } => (root, Some(NS_ATOM), "entry"),
    };
    let found = container.elements().filter(|e| e.is(ns, name)).count() as u64;
    if found <= limit {
        return None;
    }
    let mut seen = 0u64;
    container.children.retain(|n| match n {
        Node::Element(e) if e.is(ns, name) => {
            seen += 1;
            seen <= limit
        }
        _ => true,
    });
    container.children.shrink_to_fit();
    Some(found)
}

/// The repair recorded when a feed's entries past the limit of
/// `[limits] feed_entries` were dropped.
fn entries_cut(found: u64, limit: u64) -> Repair {
    let over =
        LimitExceeded::new("the feed's entries", "feed_entries", "entries", limit).found(found);
    Repair::OverLimit(format!("{over}; the first {limit} were kept"))
}

fn feed_rs_parser() -> feed_rs::parser::Parser {
    feed_rs::parser::Builder::new()
        .sanitize_content(false)
        .timestamp_parser(parse_date)
        .id_generator(|links, _title, _uri| {
            // Only our markers are ids; everything else stays empty (feed-rs would invent one).
            links
                .first()
                .filter(|l| l.href.starts_with(MARKER))
                .map(|l| l.href.clone())
                .unwrap_or_default()
        })
        .build()
}

/// Bases that relative links may be resolved against (not `javascript:` and the like).
fn is_safe_base(u: &Url) -> bool {
    matches!(u.scheme(), "http" | "https" | "ftp")
}

/// The base URL in effect inside `el`, given the one outside it (an unsafe or unreadable
/// `xml:base` is ignored).
fn base_in(el: &Element, outer: Option<&Url>) -> Option<Url> {
    let joined = el.attr_ns(NS_XML, "base").and_then(|b| match outer {
        Some(o) => o.join(b.trim()).ok(),
        None => Url::parse(b.trim()).ok(),
    });
    joined.filter(is_safe_base).or_else(|| outer.cloned())
}

fn non_empty(s: String) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_string())
}

/// Reads the entry-level and channel-level data feed-rs does not give us, and replaces each
/// entry's id with a marker.
fn scan_and_mark(root: &mut Element, format: &XmlFormat, doc_base: Option<&Url>) -> FeedSide {
    let mut side = FeedSide::default();
    let root_base = base_in(root, doc_base);
    let explicit_root_base = root.attr_ns(NS_XML, "base").is_some();
    match format {
        XmlFormat::Rss { .. } => {
            let Some(channel) = root.elements_mut().find(|e| e.is(None, "channel")) else {
                return side;
            };
            let base = base_in(channel, root_base.as_ref());
            read_channel_hints(channel, None, &mut side);
            side.fb = extension_fallbacks(channel);
            side.link = rss_link(channel, None, base.as_ref());
            side.description_base = channel
                .child(None, "description")
                .and_then(|d| base_in(d, base.as_ref()));
            for (k, item) in channel
                .elements_mut()
                .filter(|e| e.is(None, "item"))
                .enumerate()
            {
                side.entries.push(rss_entry(item, None, base.as_ref()));
                item.children
                    .retain(|n| !matches!(n, Node::Element(e) if e.is(None, "guid")));
                let mut guid = Element::new(None, "guid").with_text(format!("{MARKER}{k}"));
                guid.set_attr("isPermaLink", "false");
                // One more node, not room for four (a node is 144 bytes; a feed has thousands).
                item.children.reserve_exact(1);
                item.children.push(Node::Element(guid));
            }
        }
        XmlFormat::Rdf { .. } => {
            read_channel_hints(root, Some(NS_RSS10), &mut side);
            if let Some(channel) = root.child(Some(NS_RSS10), "channel") {
                let base = base_in(channel, root_base.as_ref());
                read_channel_hints(channel, Some(NS_RSS10), &mut side);
                side.fb = extension_fallbacks(channel);
                side.link = rss_link(channel, Some(NS_RSS10), base.as_ref());
                side.description_base = channel
                    .child(Some(NS_RSS10), "description")
                    .and_then(|d| base_in(d, base.as_ref()));
            }
            for (k, item) in root
                .elements_mut()
                .filter(|e| e.is(Some(NS_RSS10), "item"))
                .enumerate()
            {
                let mut entry = rss_entry(item, Some(NS_RSS10), root_base.as_ref());
                entry.guid = item
                    .attr_ns(NS_RDF, "about")
                    .and_then(|a| non_empty(a.to_string()));
                side.entries.push(entry);
                item.children.reserve_exact(1);
                item.children.insert(
                    0,
                    Node::Element(
                        Element::new(Some(NS_RSS10), "link").with_text(format!("{MARKER}{k}")),
                    ),
                );
            }
        }
        XmlFormat::Atom { .. } => {
            read_channel_hints(root, Some(NS_ATOM), &mut side);
            if root.is(Some(NS_ATOM), "entry") {
                side.entries.push(atom_entry(root, doc_base, false));
                mark_atom(root, 0);
                return side;
            }
            side.link = atom_alternate(root, root_base.as_ref());
            side.fb.authors = atom_people(root);
            side.description_base = root
                .child(Some(NS_ATOM), "subtitle")
                .and_then(|d| base_in(d, root_base.as_ref()));
            for (k, entry) in root
                .elements_mut()
                .filter(|e| e.is(Some(NS_ATOM), "entry"))
                .enumerate()
            {
                side.entries
                    .push(atom_entry(entry, root_base.as_ref(), explicit_root_base));
                mark_atom(entry, k);
            }
        }
    }
    side
}

fn mark_atom(entry: &mut Element, k: usize) {
    entry
        .children
        .retain(|n| !matches!(n, Node::Element(e) if e.is(Some(NS_ATOM), "id")));
    entry.children.reserve_exact(1);
    entry.children.push(Node::Element(
        Element::new(Some(NS_ATOM), "id").with_text(format!("{MARKER}{k}")),
    ));
}

/// `ttl`, `skipHours`, `skipDays` and the `sy:` elements of a channel (or feed).
fn read_channel_hints(container: &Element, rss_ns: Option<&str>, side: &mut FeedSide) {
    for el in container.elements() {
        if el.ns.as_deref() == rss_ns || el.ns.is_none() {
            match el.local.as_str() {
                "ttl" => {
                    side.ttl = side.ttl.or_else(|| el.text().trim().parse().ok());
                }
                "skipHours" => {
                    for h in el.elements().filter(|e| e.local == "hour") {
                        if let Ok(v) = h.text().trim().parse::<u8>() {
                            let v = if v == 24 { 0 } else { v };
                            if v < 24 && !side.skip_hours.contains(&v) {
                                side.skip_hours.push(v);
                            }
                        }
                    }
                }
                "skipDays" => {
                    for d in el.elements().filter(|e| e.local == "day") {
                        if let Ok(v) = d.text().trim().parse::<Weekday>()
                            && !side.skip_days.contains(&v)
                        {
                            side.skip_days.push(v);
                        }
                    }
                }
                _ => {}
            }
        }
        if el.ns.as_deref() == Some(NS_SY) {
            match el.local.as_str() {
                "updatePeriod" => {
                    side.update_period = side
                        .update_period
                        .or_else(|| UpdatePeriod::parse(&el.text()))
                }
                "updateFrequency" => {
                    side.update_frequency = side
                        .update_frequency
                        .or_else(|| el.text().trim().parse().ok().filter(|&f: &u32| f > 0))
                }
                _ => {}
            }
        }
    }
}

/// The `<link>` of a channel or item: the last one that is either text or an `href` without a
/// `rel` other than `alternate` (gofeed and feedparser both let a later link win; a
/// `rel="self"` link is the feed itself, never the page); else an `atom:link` alternate.
fn rss_link(container: &Element, rss_ns: Option<&str>, base: Option<&Url>) -> Option<String> {
    container
        .elements()
        .filter(|e| e.is(rss_ns, "link"))
        .filter_map(|l| {
            let b = base_in(l, base);
            let rel = l.attr("rel").map(|r| r.trim().to_ascii_lowercase());
            let href = l
                .attr("href")
                .filter(|_| matches!(rel.as_deref(), None | Some("") | Some("alternate")))
                .and_then(|h| non_empty(h.to_string()));
            non_empty(l.text())
                .or(href)
                .map(|t| resolve_url(&t, b.as_ref()))
        })
        .last()
        .or_else(|| atom_alternate(container, base))
}

/// The href of the first alternate (or rel-less) Atom link.
fn atom_alternate(container: &Element, base: Option<&Url>) -> Option<String> {
    container
        .elements()
        .filter(|e| e.is(Some(NS_ATOM), "link"))
        .find(|l| {
            let rel = l.attr("rel").map(|r| r.trim().to_ascii_lowercase());
            matches!(rel.as_deref(), None | Some("") | Some("alternate"))
                && l.attr("href").is_some_and(|h| !h.trim().is_empty())
        })
        .and_then(|l| {
            let b = base_in(l, base);
            l.attr("href").map(|h| resolve_url(h, b.as_ref()))
        })
}

fn parse_length(s: Option<&str>) -> Option<u64> {
    let digits: String = s?.trim().chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

fn rss_entry(item: &Element, rss_ns: Option<&str>, outer: Option<&Url>) -> EntrySide {
    let base = base_in(item, outer);
    let mut side = EntrySide::default();
    let guid_el = item.elements().find(|e| e.is(rss_ns, "guid"));
    side.guid = guid_el.and_then(|g| non_empty(g.text()));
    side.link = rss_link(item, rss_ns, base.as_ref());
    if side.link.is_none()
        && let (Some(g), Some(guid)) = (guid_el, &side.guid)
    {
        let permalink = !g
            .attr("isPermaLink")
            .is_some_and(|p| p.trim().eq_ignore_ascii_case("false"));
        if permalink && (guid.starts_with("http://") || guid.starts_with("https://")) {
            side.link = Some(guid.clone());
        }
    }
    for e in item.elements().filter(|e| e.is(rss_ns, "enclosure")) {
        if let Some(url) = e.attr("url").filter(|u| !u.trim().is_empty()) {
            let b = base_in(e, base.as_ref());
            side.enclosures.push(Enclosure {
                url: resolve_url(url, b.as_ref()),
                mime: e.attr("type").and_then(|t| non_empty(t.to_string())),
                length: parse_length(e.attr("length")),
            });
        }
    }
    side.summary_base = item
        .elements()
        .find(|e| e.is(rss_ns, "description") || e.is(Some(NS_DC), "description"))
        .and_then(|d| base_in(d, base.as_ref()))
        .or_else(|| base.clone());
    side.content_base = item
        .elements()
        .find(|e| e.is(Some(NS_CONTENT), "encoded"))
        .and_then(|d| base_in(d, base.as_ref()))
        .or_else(|| base.clone());
    side.updated = item
        .elements()
        .find(|e| {
            (e.local == "updated" && (e.ns.is_none() || e.ns.as_deref() == Some(NS_ATOM)))
                || e.is(Some(NS_DCTERMS), "modified")
                || e.is(Some(NS_DC), "date")
        })
        .and_then(|e| parse_date(&e.text()));
    side.fb = extension_fallbacks(item);
    side
}

fn is_itunes(ns: Option<&str>) -> bool {
    ns.is_some_and(|n| n.eq_ignore_ascii_case("http://www.itunes.com/dtds/podcast-1.0.dtd"))
}

fn child_text(el: &Element, pred: impl Fn(&Element) -> bool) -> Option<String> {
    el.elements()
        .filter(|e| pred(e))
        .find_map(|e| non_empty(e.text()))
}

/// A name from an RSS-style person string: "email (Name)", "Name <email>", or as is.
fn person_from_text(raw: &str) -> Option<String> {
    let raw = raw.trim();
    if let (Some(open), true) = (raw.find('('), raw.ends_with(')')) {
        let inner = raw[open + 1..raw.len() - 1].trim();
        let outer = raw[..open].trim();
        let name = if outer.contains('@') { inner } else { outer };
        return non_empty(name.to_string()).or_else(|| non_empty(raw.to_string()));
    }
    if let (Some(open), true) = (raw.find('<'), raw.ends_with('>')) {
        return non_empty(raw[..open].to_string()).or_else(|| non_empty(raw.to_string()));
    }
    non_empty(raw.to_string())
}

/// Names of Atom person constructs (`atom:author`) directly inside `el`.
fn atom_people(el: &Element) -> Vec<String> {
    el.elements()
        .filter(|e| e.is(Some(NS_ATOM), "author"))
        .filter_map(|a| {
            child_text(a, |c| c.is(Some(NS_ATOM), "name"))
                .or_else(|| child_text(a, |c| c.is(Some(NS_ATOM), "email")))
        })
        .collect()
}

/// Dublin Core, iTunes and Atom elements inside an RSS channel or item.
fn extension_fallbacks(el: &Element) -> Fallbacks {
    let mut fb = Fallbacks {
        title: child_text(el, |e| {
            e.is(Some(NS_DC), "title") || e.is(Some(NS_ATOM), "title")
        })
        .or_else(|| child_text(el, |e| e.is(Some(NS_MEDIA), "title"))),
        summary: child_text(el, |e| e.is(Some(NS_DC), "description"))
            .or_else(|| child_text(el, |e| is_itunes(e.ns.as_deref()) && e.local == "summary"))
            .or_else(|| child_text(el, |e| e.is(Some(NS_ATOM), "summary")))
            .or_else(|| child_text(el, |e| is_itunes(e.ns.as_deref()) && e.local == "subtitle")),
        content: el.child(Some(NS_ATOM), "content").and_then(|c| {
            let html = matches!(
                c.attr("type"),
                Some("html") | Some("xhtml") | Some("text/html")
            );
            let text = if c.has_element_children() {
                super::xml::inner_html(c)
            } else {
                c.text()
            };
            non_empty(text).map(|t| (t, html))
        }),
        authors: Vec::new(),
        published: el
            .elements()
            .find(|e| {
                e.is(Some(NS_ATOM), "published")
                    || e.is(Some(NS_DCTERMS), "issued")
                    || e.is(Some(NS_DCTERMS), "created")
            })
            .and_then(|e| parse_date(&e.text())),
        updated: el
            .elements()
            .find(|e| e.is(Some(NS_DCTERMS), "modified") || e.is(Some(NS_DC), "date"))
            .and_then(|e| parse_date(&e.text())),
        language: child_text(el, |e| e.is(Some(NS_DC), "language")),
    };
    fb.authors = el
        .elements()
        .filter(|e| e.is(Some(NS_DC), "creator") || e.is(Some(NS_DC), "author"))
        .filter_map(|e| person_from_text(&e.text()))
        .collect();
    if fb.authors.is_empty() {
        fb.authors = atom_people(el);
    }
    if fb.authors.is_empty() {
        fb.authors = el
            .elements()
            .filter(|e| is_itunes(e.ns.as_deref()) && e.local == "author")
            .filter_map(|e| person_from_text(&e.text()))
            .collect();
    }
    fb
}

fn atom_entry(entry: &Element, outer: Option<&Url>, explicit_outer_base: bool) -> EntrySide {
    let base = base_in(entry, outer);
    let explicit_base = explicit_outer_base || entry.attr_ns(NS_XML, "base").is_some();
    let mut side = EntrySide::default();
    if let Some(id) = entry.child(Some(NS_ATOM), "id") {
        side.guid = non_empty(id.text()).map(|g| {
            let b = base_in(id, base.as_ref());
            let id_explicit = explicit_base || id.attr_ns(NS_XML, "base").is_some();
            if id_explicit && Url::parse(&g).is_err() {
                resolve_url(&g, b.as_ref())
            } else {
                g
            }
        });
    }
    side.link = atom_alternate(entry, base.as_ref());
    for l in entry.elements().filter(|e| e.is(Some(NS_ATOM), "link")) {
        let rel = l.attr("rel").map(|r| r.trim().to_ascii_lowercase());
        if rel.as_deref() == Some("enclosure")
            && let Some(href) = l.attr("href").filter(|h| !h.trim().is_empty())
        {
            let b = base_in(l, base.as_ref());
            side.enclosures.push(Enclosure {
                url: resolve_url(href, b.as_ref()),
                mime: l.attr("type").and_then(|t| non_empty(t.to_string())),
                length: parse_length(l.attr("length")),
            });
        }
    }
    side.summary_base = entry
        .child(Some(NS_ATOM), "summary")
        .and_then(|d| base_in(d, base.as_ref()))
        .or_else(|| base.clone());
    side.content_base = entry
        .child(Some(NS_ATOM), "content")
        .and_then(|d| base_in(d, base.as_ref()))
        .or_else(|| base.clone());
    side.has_updated = entry.child(Some(NS_ATOM), "updated").is_some();
    side.fb.authors = entry
        .child(Some(NS_ATOM), "source")
        .map(atom_people)
        .unwrap_or_default();
    side
}

/// A title as plain text. Atom `type="text"` and JSON titles are text already; RSS titles and
/// Atom `type="html"` are HTML by usage.
fn title_text(t: &model::Text, kind: FeedKind) -> Option<String> {
    let literal = kind != FeedKind::Rss && t.content_type.essence().to_string() == "text/plain";
    let s = if literal {
        collapse_whitespace(&t.content)
    } else {
        html_to_text(&t.content)
    };
    (!s.is_empty()).then_some(s)
}

/// Text that may be HTML as HTML: plain text (Atom `type="text"`, JSON) is escaped, RSS is HTML
/// by usage. Relative URLs are resolved.
fn html_of(body: &str, mime: &str, kind: FeedKind, base: Option<&Url>) -> Option<String> {
    let body = body.trim();
    if body.is_empty() {
        return None;
    }
    let html = if kind != FeedKind::Rss && mime == "text/plain" {
        escape_html(body)
    } else {
        body.to_string()
    };
    Some(match base {
        Some(b) => resolve_urls(&html, b),
        None => html,
    })
}

fn person_name(p: &model::Person) -> Option<String> {
    p.name
        .as_deref()
        .map(|n| {
            n.trim()
                .trim_start_matches('(')
                .trim_end_matches(')')
                .trim()
        })
        .filter(|n| !n.is_empty())
        .or_else(|| p.email.as_deref().map(str::trim).filter(|e| !e.is_empty()))
        .map(str::to_string)
}

/// A language tag as BCP 47 writes it (`en_US` → `en-US`).
fn language_tag(l: &str) -> Option<String> {
    let l = l.trim();
    (!l.is_empty()).then(|| l.replace('_', "-"))
}

fn marker_index(id: &str) -> Option<usize> {
    id.strip_prefix(MARKER)?.parse().ok()
}

fn merge(f: model::Feed, kind: FeedKind, version: String, side: FeedSide) -> ParsedFeed {
    let feed_authors: Vec<String> = f
        .authors
        .iter()
        .filter_map(person_name)
        .chain(side.fb.authors.iter().cloned())
        .collect();
    let entries = f
        .entries
        .iter()
        .enumerate()
        .map(|(i, e)| {
            let k = if kind == FeedKind::Json {
                Some(i)
            } else {
                marker_index(&e.id)
            };
            let s = k
                .and_then(|k| side.entries.get(k))
                .cloned()
                .unwrap_or_default();
            let updated = match kind {
                FeedKind::Rss => s.updated,
                _ => e.updated.filter(|_| s.has_updated),
            };
            let published = e.published.or(s.fb.published).or(match kind {
                // An Atom entry must state `updated` and may omit `published`.
                FeedKind::Atom => updated,
                _ => None,
            });
            let mut authors: Vec<String> = e.authors.iter().filter_map(person_name).collect();
            if authors.is_empty() {
                authors = s.fb.authors.clone();
            }
            if authors.is_empty() && kind == FeedKind::Atom {
                // RFC 4287 4.2.1: the feed's authors apply to entries without their own.
                authors = feed_authors.clone();
            }
            let summary = e
                .summary
                .as_ref()
                .and_then(|t| {
                    html_of(
                        &t.content,
                        &t.content_type.essence().to_string(),
                        kind,
                        s.summary_base.as_ref(),
                    )
                })
                .or_else(|| {
                    s.fb.summary
                        .as_deref()
                        .and_then(|t| html_of(t, "text/html", kind, s.summary_base.as_ref()))
                });
            let content = e
                .content
                .as_ref()
                .and_then(|c| {
                    c.body.as_deref().and_then(|b| {
                        html_of(
                            b,
                            &c.content_type.essence().to_string(),
                            kind,
                            s.content_base.as_ref(),
                        )
                    })
                })
                .or_else(|| {
                    s.fb.content.as_ref().and_then(|(t, is_html)| {
                        let mime = if *is_html { "text/html" } else { "text/plain" };
                        html_of(t, mime, FeedKind::Atom, s.content_base.as_ref())
                    })
                });
            FeedEntry {
                guid: s.guid,
                link: s.link,
                title: e
                    .title
                    .as_ref()
                    .and_then(|t| title_text(t, kind))
                    .or_else(|| {
                        s.fb.title
                            .as_deref()
                            .map(html_to_text)
                            .filter(|t| !t.is_empty())
                    }),
                published,
                updated,
                authors,
                summary,
                content,
                enclosures: s.enclosures,
            }
        })
        .collect();
    ParsedFeed {
        kind,
        version,
        title: f
            .title
            .as_ref()
            .and_then(|t| title_text(t, kind))
            .or_else(|| {
                side.fb
                    .title
                    .as_deref()
                    .map(html_to_text)
                    .filter(|t| !t.is_empty())
            }),
        link: side.link,
        description: f
            .description
            .as_ref()
            .and_then(|t| {
                html_of(
                    &t.content,
                    &t.content_type.essence().to_string(),
                    kind,
                    side.description_base.as_ref(),
                )
            })
            .or_else(|| {
                side.fb
                    .summary
                    .as_deref()
                    .and_then(|t| html_of(t, "text/html", kind, side.description_base.as_ref()))
            }),
        language: f
            .language
            .as_deref()
            .and_then(language_tag)
            .or_else(|| side.fb.language.as_deref().and_then(language_tag)),
        published: f.published.or(side.fb.published),
        updated: f.updated.or(side.fb.updated),
        ttl: side.ttl,
        skip_hours: side.skip_hours,
        skip_days: side.skip_days,
        update_period: side.update_period,
        update_frequency: side.update_frequency,
        entries,
        encoding: String::new(),
        encoding_source: super::EncodingSource::ValidUtf8,
        repairs: Vec::new(),
        parsed_by: ParsedBy::FeedRs,
    }
}

/// Our own reading of a repaired tree, for documents feed-rs rejects even after repair.
fn fallback(
    root: &Element,
    format: &XmlFormat,
    kind: FeedKind,
    version: String,
    base: Option<&Url>,
) -> ParsedFeed {
    let mut copy = root.clone();
    let side = scan_and_mark(&mut copy, format, base);
    let (rss_ns, container, items): (Option<&str>, Option<&Element>, Vec<&Element>) = match format {
        XmlFormat::Rss { .. } => {
            let ch = root.child(None, "channel");
            (
                None,
                ch,
                ch.map(|c| c.elements().filter(|e| e.is(None, "item")).collect())
                    .unwrap_or_default(),
            )
        }
        XmlFormat::Rdf { .. } => (
            Some(NS_RSS10),
            root.child(Some(NS_RSS10), "channel"),
            root.elements()
                .filter(|e| e.is(Some(NS_RSS10), "item"))
                .collect(),
        ),
        XmlFormat::Atom { .. } => {
            if root.is(Some(NS_ATOM), "entry") {
                (Some(NS_ATOM), None, vec![root])
            } else {
                (
                    Some(NS_ATOM),
                    Some(root),
                    root.elements()
                        .filter(|e| e.is(Some(NS_ATOM), "entry"))
                        .collect(),
                )
            }
        }
    };
    let text_of = |el: Option<&Element>, as_title: bool| -> Option<String> {
        let el = el?;
        let is_text = kind == FeedKind::Atom && el.attr("type") == Some("text");
        let t = el.text();
        if as_title {
            let s = if is_text {
                collapse_whitespace(&t)
            } else {
                html_to_text(&t)
            };
            (!s.is_empty()).then_some(s)
        } else {
            let t = t.trim();
            (!t.is_empty()).then(|| {
                if is_text {
                    escape_html(t)
                } else {
                    t.to_string()
                }
            })
        }
    };
    let date_of = |el: &Element, names: &[(Option<&str>, &str)]| -> Option<DateTime<Utc>> {
        names
            .iter()
            .find_map(|(ns, l)| el.child(*ns, l))
            .and_then(|d| parse_date(&d.text()))
    };
    let entries = items
        .iter()
        .zip(side.entries.iter())
        .map(|(item, s)| {
            let (title, summary, content, published, updated, authors);
            if kind == FeedKind::Atom {
                title = text_of(item.child(Some(NS_ATOM), "title"), true);
                summary = text_of(item.child(Some(NS_ATOM), "summary"), false);
                content = text_of(item.child(Some(NS_ATOM), "content"), false);
                published = date_of(item, &[(Some(NS_ATOM), "published")]);
                updated = date_of(item, &[(Some(NS_ATOM), "updated")]);
                authors = item
                    .elements()
                    .filter(|e| e.is(Some(NS_ATOM), "author"))
                    .filter_map(|a| {
                        a.child(Some(NS_ATOM), "name")
                            .or_else(|| a.child(Some(NS_ATOM), "email"))
                            .and_then(|n| non_empty(n.text()))
                    })
                    .collect();
            } else {
                title = text_of(item.child(rss_ns, "title"), true);
                summary = text_of(
                    item.child(rss_ns, "description")
                        .or_else(|| item.child(Some(NS_DC), "description")),
                    false,
                );
                content = text_of(item.child(Some(NS_CONTENT), "encoded"), false);
                published = date_of(item, &[(rss_ns, "pubDate"), (Some(NS_DC), "date")]);
                updated = None;
                authors = item
                    .elements()
                    .filter(|e| e.is(rss_ns, "author") || e.is(Some(NS_DC), "creator"))
                    .filter_map(|a| non_empty(a.text()))
                    .collect();
            }
            FeedEntry {
                guid: s.guid.clone(),
                link: s.link.clone(),
                title,
                published,
                updated,
                authors,
                summary: summary.map(|h| match &s.summary_base {
                    Some(b) => resolve_urls(&h, b),
                    None => h,
                }),
                content: content.map(|h| match &s.content_base {
                    Some(b) => resolve_urls(&h, b),
                    None => h,
                }),
                enclosures: s.enclosures.clone(),
            }
        })
        .collect();
    let (title, description, language) = match container {
        Some(c) if kind == FeedKind::Atom => (
            text_of(c.child(Some(NS_ATOM), "title"), true),
            text_of(c.child(Some(NS_ATOM), "subtitle"), false),
            c.attr_ns(NS_XML, "lang").map(str::to_string),
        ),
        Some(c) => (
            text_of(c.child(rss_ns, "title"), true),
            text_of(c.child(rss_ns, "description"), false),
            c.child(rss_ns, "language")
                .or_else(|| c.child(Some(NS_DC), "language"))
                .and_then(|l| non_empty(l.text())),
        ),
        None => (None, None, None),
    };
    ParsedFeed {
        kind,
        version,
        title,
        link: side.link,
        description,
        language,
        published: None,
        updated: None,
        ttl: side.ttl,
        skip_hours: side.skip_hours,
        skip_days: side.skip_days,
        update_period: side.update_period,
        update_frequency: side.update_frequency,
        entries,
        encoding: String::new(),
        encoding_source: super::EncodingSource::ValidUtf8,
        repairs: Vec::new(),
        parsed_by: ParsedBy::Fallback,
    }
}

/// A JSON value as an id string: strings trimmed, numbers as written.
fn json_id(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => non_empty(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn parse_json(
    text: &str,
    base: Option<&Url>,
    limits: &Limits,
    repairs: &mut Vec<Repair>,
) -> Result<ParsedFeed, FeedError> {
    let mut reader = serde_json::Deserializer::from_str(text);
    let (mut value, cut) = serde::de::DeserializeSeed::deserialize(
        CappedFeed {
            limit: limits.feed_entries,
        },
        &mut reader,
    )
    .and_then(|v| reader.end().map(|()| v))
    .map_err(|e| FeedError::Failed {
        step: ParseStep::ReadJson,
        reason: e.to_string(),
    })?;
    if let Some(found) = cut {
        repairs.push(entries_cut(found, limits.feed_entries));
    }
    let Some(obj) = value.as_object_mut() else {
        return Err(FeedError::NotAFeed(
            "JSON that is not an object".to_string(),
        ));
    };
    let declared = obj
        .get("version")
        .and_then(Value::as_str)
        .map(str::to_string);
    let version = match declared.as_deref() {
        Some(v) if v.starts_with("https://jsonfeed.org/version/") => v
            .trim_start_matches("https://jsonfeed.org/version/")
            .to_string(),
        Some(v) if v.starts_with("http://jsonfeed.org/version/") => v
            .trim_start_matches("http://jsonfeed.org/version/")
            .to_string(),
        Some(v) => v.trim().to_string(),
        None => String::new(),
    };
    if !obj.contains_key("items") && !obj.contains_key("version") {
        return Err(FeedError::NotAFeed(
            "JSON without \"version\" or \"items\" (not a JSON Feed)".to_string(),
        ));
    }
    let mut fixes = Vec::new();
    if declared.as_deref() != Some("https://jsonfeed.org/version/1")
        && declared.as_deref() != Some("https://jsonfeed.org/version/1.1")
    {
        fixes.push(format!(
            "version {:?}",
            declared.as_deref().unwrap_or("missing")
        ));
    }
    obj.insert(
        "version".to_string(),
        Value::String("https://jsonfeed.org/version/1.1".to_string()),
    );
    if !obj.get("title").is_some_and(Value::is_string) {
        fixes.push("title missing".to_string());
        obj.insert("title".to_string(), Value::String(String::new()));
    }
    for key in [
        "home_page_url",
        "feed_url",
        "description",
        "language",
        "icon",
        "favicon",
    ] {
        if obj.get(key).is_some_and(|v| !v.is_string()) {
            obj.remove(key);
        }
    }
    let feed_link = obj
        .get("home_page_url")
        .and_then(Value::as_str)
        .map(|u| resolve_url(u, base));
    let items: Vec<Value> = match obj.remove("items") {
        Some(Value::Array(a)) => a.into_iter().filter(Value::is_object).collect(),
        _ => {
            fixes.push("items missing".to_string());
            Vec::new()
        }
    };
    let mut side = FeedSide {
        link: feed_link,
        ..FeedSide::default()
    };
    let mut clean_items = Vec::with_capacity(items.len());
    for mut item in items {
        let Some(o) = item.as_object_mut() else {
            continue;
        };
        let guid = o.get("id").and_then(json_id);
        if o.get("id").is_some_and(|v| !v.is_string()) {
            fixes.push("non-string id".to_string());
        }
        match &guid {
            Some(g) => o.insert("id".to_string(), Value::String(g.clone())),
            None => o.remove("id"),
        };
        for key in [
            "url",
            "external_url",
            "title",
            "content_html",
            "content_text",
            "summary",
            "date_published",
            "date_modified",
        ] {
            if o.get(key).is_some_and(|v| !v.is_string()) {
                o.remove(key);
            }
        }
        let link = o
            .get("url")
            .and_then(Value::as_str)
            .map(|u| resolve_url(u, base));
        let mut enclosures = Vec::new();
        if let Some(Value::Array(atts)) = o.get_mut("attachments") {
            atts.retain(|a| a.get("url").is_some_and(Value::is_string));
            for a in atts.iter_mut() {
                let url = a.get("url").and_then(Value::as_str).unwrap_or_default();
                enclosures.push(Enclosure {
                    url: resolve_url(url, base),
                    mime: a
                        .get("mime_type")
                        .and_then(Value::as_str)
                        .map(str::to_string),
                    length: a.get("size_in_bytes").and_then(Value::as_u64),
                });
                if let Some(ao) = a.as_object_mut() {
                    if !ao.get("mime_type").is_some_and(Value::is_string) {
                        ao.insert(
                            "mime_type".to_string(),
                            Value::String("application/octet-stream".to_string()),
                        );
                    }
                    if ao.get("size_in_bytes").is_some_and(|v| !v.is_u64()) {
                        ao.remove("size_in_bytes");
                    }
                    if ao.get("title").is_some_and(|v| !v.is_string()) {
                        ao.remove("title");
                    }
                }
            }
        } else {
            o.remove("attachments");
        }
        if o.get("tags")
            .is_some_and(|t| !t.as_array().is_some_and(|a| a.iter().all(Value::is_string)))
        {
            o.remove("tags");
        }
        fix_json_authors(o);
        side.entries.push(EntrySide {
            guid,
            link,
            enclosures,
            summary_base: base.cloned(),
            content_base: base.cloned(),
            has_updated: o.get("date_modified").is_some(),
            ..EntrySide::default()
        });
        clean_items.push(item);
    }
    fix_json_authors(obj);
    obj.insert("items".to_string(), Value::Array(clean_items));
    fixes.dedup();
    if !fixes.is_empty() {
        push_repair(repairs, Repair::JsonFeed(fixes.join(", ")));
    }
    let bytes = serde_json::to_vec(&value).map_err(|e| FeedError::Failed {
        step: ParseStep::ReadJson,
        reason: e.to_string(),
    })?;
    let f = guarded(ParseStep::FeedRs, || {
        feed_rs_parser()
            .parse(bytes.as_slice())
            .map_err(|e| FeedError::Failed {
                step: ParseStep::FeedRs,
                reason: e.to_string(),
            })
    })?;
    guarded(ParseStep::Merge, || {
        Ok(merge(f, FeedKind::Json, version, side))
    })
}

/// `author`/`authors` that feed-rs can read: objects with string fields only.
fn fix_json_authors(o: &mut serde_json::Map<String, Value>) {
    let clean = |a: &Value| -> Option<Value> {
        let ao = a.as_object()?;
        let mut out = serde_json::Map::new();
        for key in ["name", "url"] {
            if let Some(Value::String(s)) = ao.get(key) {
                out.insert(key.to_string(), Value::String(s.clone()));
            }
        }
        Some(Value::Object(out))
    };
    match o.get("author").map(clean) {
        Some(Some(a)) => {
            o.insert("author".to_string(), a);
        }
        Some(None) => {
            o.remove("author");
        }
        None => {}
    }
    if let Some(v) = o.get("authors") {
        match v.as_array() {
            Some(a) => {
                let cleaned: Vec<Value> = a.iter().filter_map(clean).collect();
                o.insert("authors".to_string(), Value::Array(cleaned));
            }
            None => {
                o.remove("authors");
            }
        }
    }
}

/// Reads a JSON document as a [`Value`], keeping only the first `limit` objects of a top-level
/// object's `items` (the rest are skipped unread, so countless tiny items take no memory); with
/// the number of items there were when some were skipped. Any other top-level value is read as
/// `null` (it is not a feed).
struct CappedFeed {
    limit: u64,
}

impl<'de> serde::de::DeserializeSeed<'de> for CappedFeed {
    type Value = (Value, Option<u64>);

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

/// Not an object, or an `items` that is not an array: skipped, read as `null`.
macro_rules! visit_as_null {
    ($($name:ident: $t:ty),*) => {
        $(fn $name<E: serde::de::Error>(self, _: $t) -> Result<Self::Value, E> {
            Ok(Default::default())
        })*
    };
}

impl<'de> serde::de::Visitor<'de> for CappedFeed {
    type Value = (Value, Option<u64>);

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut obj = serde_json::Map::new();
        let mut cut = None;
        while let Some(key) = map.next_key::<String>()? {
            let value = if key == "items" {
                let (items, found) = map.next_value_seed(CappedItems { limit: self.limit })?;
                cut = found;
                items
            } else {
                map.next_value()?
            };
            obj.insert(key, value);
        }
        Ok((Value::Object(obj), cut))
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<serde::de::IgnoredAny>()?.is_some() {}
        Ok((Value::Null, None))
    }

    fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
        Ok((Value::Null, None))
    }

    visit_as_null!(visit_bool: bool, visit_i64: i64, visit_u64: u64, visit_f64: f64, visit_str: &str);
}

/// The `items` of a JSON Feed: its first `limit` objects (other values are dropped, as the
/// reader drops them anyway), the rest skipped; with the number of items when some were.
struct CappedItems {
    limit: u64,
}

impl<'de> serde::de::DeserializeSeed<'de> for CappedItems {
    type Value = (Value, Option<u64>);

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for CappedItems {
    type Value = (Value, Option<u64>);

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut kept = Vec::new();
        let mut skipped = 0u64;
        while (kept.len() as u64) < self.limit {
            match seq.next_element::<Value>()? {
                Some(v) if v.is_object() => kept.push(v),
                Some(_) => {}
                None => return Ok((Value::Array(kept), None)),
            }
        }
        while seq.next_element::<serde::de::IgnoredAny>()?.is_some() {
            skipped += 1;
        }
        let cut = (skipped > 0).then(|| kept.len() as u64 + skipped);
        Ok((Value::Array(kept), cut))
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        while map
            .next_entry::<serde::de::IgnoredAny, serde::de::IgnoredAny>()?
            .is_some()
        {}
        Ok((Value::Null, None))
    }

    fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
        Ok((Value::Null, None))
    }

    visit_as_null!(visit_bool: bool, visit_i64: i64, visit_u64: u64, visit_f64: f64, visit_str: &str);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(feed_entries: u64) -> Limits {
        Limits {
            feed_entries,
            ..Limits::default()
        }
    }

    fn over_limit(feed: &ParsedFeed) -> Vec<&str> {
        feed.repairs
            .iter()
            .filter_map(|r| match r {
                Repair::OverLimit(m) => Some(m.as_str()),
                _ => None,
            })
            .collect()
    }

    fn guids(feed: &ParsedFeed) -> Vec<&str> {
        feed.entries
            .iter()
            .filter_map(|e| e.guid.as_deref())
            .collect()
    }

    #[test]
    fn an_rss_or_rdf_feed_keeps_its_first_entries_up_to_the_limit() {
        let items: String = (0..7)
            .map(|i| format!("<item><title>t{i}</title><guid>g{i}</guid></item>"))
            .collect();
        let rss = format!("<rss version=\"2.0\"><channel><title>T</title>{items}</channel></rss>");
        let f = parse_feed(rss.as_bytes(), None, None, &limits(3)).unwrap();
        assert_eq!(guids(&f), ["g0", "g1", "g2"]);
        let cut = over_limit(&f);
        assert_eq!(cut.len(), 1, "{:?}", f.repairs);
        assert!(
            cut[0].contains("7 entries") && cut[0].contains("feed_entries"),
            "{cut:?}"
        );
        // At the limit, nothing is cut.
        let f = parse_feed(rss.as_bytes(), None, None, &limits(7)).unwrap();
        assert_eq!(f.entries.len(), 7);
        assert!(over_limit(&f).is_empty());

        let rdf_items: String = (0..5)
            .map(|i| format!("<item rdf:about=\"http://a/{i}\"><title>t{i}</title></item>"))
            .collect();
        let rdf = format!(
            "<rdf:RDF xmlns:rdf=\"{NS_RDF}\" xmlns=\"{NS_RSS10}\"><channel><title>T</title>\
             </channel>{rdf_items}</rdf:RDF>"
        );
        let f = parse_feed(rdf.as_bytes(), None, None, &limits(2)).unwrap();
        assert_eq!(guids(&f), ["http://a/0", "http://a/1"]);
        assert_eq!(over_limit(&f).len(), 1);
    }

    #[test]
    fn an_atom_feed_keeps_its_first_entries_up_to_the_limit() {
        let entries: String = (0..4)
            .map(|i| {
                format!(
                    "<entry><id>e{i}</id><title>t{i}</title>\
                     <updated>2024-01-0{}T00:00:00Z</updated></entry>",
                    i + 1
                )
            })
            .collect();
        let atom = format!("<feed xmlns=\"{NS_ATOM}\"><title>T</title>{entries}</feed>");
        let f = parse_feed(atom.as_bytes(), None, None, &limits(1)).unwrap();
        assert_eq!(guids(&f), ["e0"]);
        assert!(over_limit(&f)[0].contains("4 entries"));
    }

    #[test]
    fn a_json_feed_keeps_its_first_items_up_to_the_limit() {
        let items: Vec<String> = (0..6)
            .map(|i| format!("{{\"id\":\"j{i}\",\"content_text\":\"x\"}}"))
            .collect();
        let json = format!(
            "{{\"version\":\"https://jsonfeed.org/version/1.1\",\"title\":\"T\",\"items\":[{}]}}",
            items.join(",")
        );
        let f = parse_feed(json.as_bytes(), None, None, &limits(4)).unwrap();
        assert_eq!(guids(&f), ["j0", "j1", "j2", "j3"]);
        assert!(over_limit(&f)[0].contains("6 entries"), "{:?}", f.repairs);
        let f = parse_feed(json.as_bytes(), None, None, &limits(6)).unwrap();
        assert_eq!(f.entries.len(), 6);
        assert!(over_limit(&f).is_empty());
        // What is not a feed stays so; `items` that is not an array is missing; trailing
        // bytes are an error.
        assert!(matches!(
            parse_feed(b"[1, 2]", None, None, &limits(1)),
            Err(FeedError::NotAFeed(_))
        ));
        let f = parse_feed(
            b"{\"version\":\"https://jsonfeed.org/version/1.1\",\"title\":\"T\",\"items\":{\"a\":[1]}}",
            None,
            None,
            &limits(1),
        )
        .unwrap();
        assert!(f.entries.is_empty());
        assert!(matches!(
            parse_feed(
                b"{\"version\":\"1\",\"items\":[]} x",
                None,
                None,
                &limits(1)
            ),
            Err(FeedError::Failed { .. })
        ));
    }
}
