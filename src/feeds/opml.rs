//! OPML subscription lists: read one leniently into [`OpmlFeed`]s, write one as OPML 2.0.
//!
//! In (reading): the bytes of an OPML file, decoded like a feed (byte order mark, XML declaration,
//! detection) and read with the lenient XML reader (within the [`Limits`] of entity expansion),
//! so a bare `&` or an HTML entity does not stop it. Every `<outline>` with an `xmlUrl` is a feed, at any depth; its title is `title`, else
//! `text`; its category is the title of the nearest enclosing outline without an `xmlUrl` (nested
//! folders joined with `/`), else its own `category` attribute. Out: the feeds in document order,
//! or an [`OpmlError`] that names the problem. Writing: OPML 2.0 with one folder outline per
//! category, every attribute escaped.

use super::Repair;
use super::decode::{DocumentKind, decode, strip_xml_encoding};
use super::xml::{Element, XmlError, escape_attr, parse as parse_xml};
use crate::limits::{LimitExceeded, Limits};

/// One subscription.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct OpmlFeed {
    /// The feed's URL (`xmlUrl`).
    pub url: String,
    pub title: Option<String>,
    /// The site's URL (`htmlUrl`).
    pub html_url: Option<String>,
    /// The enclosing folder(s), `/`-separated.
    pub category: Option<String>,
}

/// Why an OPML file could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OpmlError {
    #[error("OPML: empty document")]
    Empty,
    #[error("OPML: not XML: {0}")]
    NotXml(String),
    #[error("OPML: the root element is <{0}>, not <opml>")]
    NotOpml(String),
    #[error("OPML: no <body> element")]
    NoBody,
    /// Expanding its DTD's entities would go over a limit.
    #[error("OPML: {0}")]
    Limit(LimitExceeded),
    /// A bug: the reader panicked on this document (caught, so an import reports it).
    #[error("OPML: the reader failed (a bug, please report it): {0}")]
    Panicked(String),
}

/// Reads the feeds of an OPML file (see the module documentation). Repairs that were needed
/// (bare `&`, …) are returned beside the feeds. DTD entities are expanded within `limits`.
/// Never panics: a panic inside is returned as [`OpmlError::Panicked`].
pub fn read_opml(bytes: &[u8], limits: &Limits) -> Result<(Vec<OpmlFeed>, Vec<Repair>), OpmlError> {
    std::panic::catch_unwind(|| read(bytes, limits)).unwrap_or_else(|payload| {
        let message = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic payload".to_string());
        Err(OpmlError::Panicked(message))
    })
}

fn read(bytes: &[u8], limits: &Limits) -> Result<(Vec<OpmlFeed>, Vec<Repair>), OpmlError> {
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(OpmlError::Empty);
    }
    let decoded = decode(bytes, None, DocumentKind::Xml);
    let text = strip_xml_encoding(&decoded.text);
    let tree = parse_xml(&text, limits).map_err(|e| match e {
        XmlError::Limit(l) => OpmlError::Limit(l),
        e @ XmlError::NoElement { .. } => OpmlError::NotXml(e.to_string()),
    })?;
    if !tree.root.local.eq_ignore_ascii_case("opml") {
        return Err(OpmlError::NotOpml(tree.root.qname().into_owned()));
    }
    let body = tree
        .root
        .elements()
        .find(|e| e.local.eq_ignore_ascii_case("body"))
        .ok_or(OpmlError::NoBody)?;
    let mut feeds = Vec::new();
    walk(body, &mut Vec::new(), &mut feeds);
    Ok((feeds, tree.repairs))
}

fn attr_ci<'a>(el: &'a Element, name: &str) -> Option<&'a str> {
    el.attrs
        .iter()
        .find(|a| a.local.eq_ignore_ascii_case(name))
        .map(|a| a.value.trim())
        .filter(|v| !v.is_empty())
}

fn walk(el: &Element, folders: &mut Vec<String>, out: &mut Vec<OpmlFeed>) {
    for o in el
        .elements()
        .filter(|e| e.local.eq_ignore_ascii_case("outline"))
    {
        let title = attr_ci(o, "title").or_else(|| attr_ci(o, "text"));
        match attr_ci(o, "xmlUrl") {
            Some(url) => {
                let category = if folders.is_empty() {
                    attr_ci(o, "category").map(|c| c.trim_start_matches('/').to_string())
                } else {
                    Some(folders.join("/"))
                };
                out.push(OpmlFeed {
                    url: url.to_string(),
                    title: title.map(str::to_string),
                    html_url: attr_ci(o, "htmlUrl").map(str::to_string),
                    category,
                });
                walk(o, folders, out);
            }
            None => {
                let pushed = title.is_some();
                if let Some(t) = title {
                    folders.push(t.to_string());
                }
                walk(o, folders, out);
                if pushed {
                    folders.pop();
                }
            }
        }
    }
}

/// Writes an OPML 2.0 document listing `feeds`, grouped into one folder outline per category
/// (in order of first appearance; feeds without a category at the top level).
pub fn write_opml(title: &str, feeds: &[OpmlFeed]) -> String {
    let mut out = String::new();
    out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<opml version=\"2.0\">\n");
    out.push_str(&format!(
        "  <head>\n    <title>{}</title>\n  </head>\n  <body>\n",
        super::xml::escape_text(title)
    ));
    let outline = |f: &OpmlFeed, indent: &str| -> String {
        let name = f.title.as_deref().unwrap_or(&f.url);
        let mut s = format!(
            "{indent}<outline type=\"rss\" text=\"{}\" title=\"{}\" xmlUrl=\"{}\"",
            escape_attr(name),
            escape_attr(name),
            escape_attr(&f.url)
        );
        if let Some(h) = &f.html_url {
            s.push_str(&format!(" htmlUrl=\"{}\"", escape_attr(h)));
        }
        s.push_str("/>\n");
        s
    };
    let mut categories: Vec<&str> = Vec::new();
    for f in feeds {
        match f.category.as_deref() {
            Some(c) if !categories.contains(&c) => categories.push(c),
            Some(_) => {}
            None => out.push_str(&outline(f, "    ")),
        }
    }
    for c in categories {
        out.push_str(&format!(
            "    <outline text=\"{}\" title=\"{}\">\n",
            escape_attr(c),
            escape_attr(c)
        ));
        for f in feeds.iter().filter(|f| f.category.as_deref() == Some(c)) {
            out.push_str(&outline(f, "      "));
        }
        out.push_str("    </outline>\n");
    }
    out.push_str("  </body>\n</opml>\n");
    out
}
