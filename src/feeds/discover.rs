//! Discovery: a web page → the feeds it announces; and telling a feed from a page.
//!
//! In: the page's bytes, its HTTP `Content-Type` and its URL. Out: [`DiscoveredFeed`]s from
//! `<link rel="alternate" type="application/rss+xml|atom+xml|feed+json|json">` (also
//! `rel="feed"`), their URLs made absolute against `<base href>` or the page URL, in page order
//! without duplicates. [`looks_like_feed`] answers whether fetched bytes are a feed or a page, from
//! the content type and the first element (or JSON key) of the document.

use super::decode::{DocumentKind, decode};
use scraper::{Html, Selector};
use url::Url;

/// A feed a page links to.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DiscoveredFeed {
    /// Absolute when the page URL (or `<base href>`) allowed resolving it.
    pub url: String,
    pub title: Option<String>,
    /// The `type` attribute, lower-cased.
    pub mime: String,
}

fn is_feed_type(t: &str) -> bool {
    matches!(
        t,
        "application/rss+xml"
            | "application/atom+xml"
            | "application/feed+json"
            | "application/json"
            | "application/rdf+xml"
            | "application/x.atom+xml"
            | "application/x-atom+xml"
            | "text/xml"
            | "application/xml"
    )
}

/// The feeds an HTML page announces with `<link rel="alternate">` (see the module documentation).
pub fn discover_feeds(
    bytes: &[u8],
    content_type: Option<&str>,
    page_url: &str,
) -> Vec<DiscoveredFeed> {
    let text = decode(bytes, content_type, DocumentKind::Html).text;
    let doc = Html::parse_document(&text);
    let page = Url::parse(page_url.trim()).ok();
    let base = Selector::parse("base[href]")
        .ok()
        .and_then(|s| {
            doc.select(&s)
                .next()
                .and_then(|b| b.value().attr("href"))
                .map(str::to_string)
        })
        .and_then(|h| match &page {
            Some(p) => p.join(h.trim()).ok(),
            None => Url::parse(h.trim()).ok(),
        })
        .or(page);
    let Ok(links) = Selector::parse("link[href]") else {
        return Vec::new();
    };
    let mut out: Vec<DiscoveredFeed> = Vec::new();
    for link in doc.select(&links) {
        let el = link.value();
        let rels: Vec<String> = el
            .attr("rel")
            .unwrap_or("")
            .split_ascii_whitespace()
            .map(str::to_ascii_lowercase)
            .collect();
        let mime = el
            .attr("type")
            .unwrap_or("")
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        let alternate = rels.iter().any(|r| r == "alternate" || r == "feed");
        if !alternate || !is_feed_type(&mime) || rels.iter().any(|r| r == "stylesheet") {
            continue;
        }
        let Some(href) = el.attr("href").map(str::trim).filter(|h| !h.is_empty()) else {
            continue;
        };
        let url = match &base {
            Some(b) => b
                .join(href)
                .map(|u| u.to_string())
                .unwrap_or_else(|_| href.to_string()),
            None => href.to_string(),
        };
        if out.iter().any(|f| f.url == url) {
            continue;
        }
        out.push(DiscoveredFeed {
            url,
            title: el
                .attr("title")
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(str::to_string),
            mime,
        });
    }
    out
}

/// Whether the bytes are a feed (RSS, RDF, Atom or JSON Feed) rather than a web page or
/// something else. The content type decides when it is specific (`application/rss+xml`,
/// `text/html`); otherwise the first element (after comments, processing instructions and a
/// doctype) or, for JSON, a `version` naming jsonfeed.org or an `items` key.
pub fn looks_like_feed(bytes: &[u8], content_type: Option<&str>) -> bool {
    let mime = content_type
        .and_then(|c| c.split(';').next())
        .map(|m| m.trim().to_ascii_lowercase())
        .unwrap_or_default();
    match mime.as_str() {
        "application/rss+xml"
        | "application/atom+xml"
        | "application/feed+json"
        | "application/rdf+xml" => return true,
        "text/html"
        | "application/xhtml+xml"
        | "image/png"
        | "image/jpeg"
        | "image/gif"
        | "application/pdf" => {
            // Some servers label feeds text/html; trust the bytes if they say so.
        }
        _ => {}
    }
    let head = &bytes[..bytes.len().min(64 * 1024)];
    let text = decode(head, content_type, DocumentKind::Xml).text;
    let t = text.trim_start_matches(['\u{feff}', ' ', '\t', '\r', '\n']);
    if t.starts_with('{') {
        return t.contains("jsonfeed.org/version")
            || (t.contains("\"items\"") && t.contains("\"version\""));
    }
    match first_element_name(t) {
        Some(name) => {
            let local = name
                .rsplit(':')
                .next()
                .unwrap_or(&name)
                .to_ascii_lowercase();
            matches!(local.as_str(), "rss" | "rdf" | "feed" | "channel")
        }
        None => false,
    }
}

/// The name of the first element, skipping the prolog.
fn first_element_name(t: &str) -> Option<String> {
    let mut rest = t;
    loop {
        let i = rest.find('<')?;
        rest = &rest[i..];
        if rest.starts_with("<?") {
            rest = &rest[rest.find("?>")? + 2..];
        } else if rest.starts_with("<!--") {
            rest = &rest[rest.find("-->")? + 3..];
        } else if rest.starts_with("<!") {
            rest = &rest[rest.find('>')? + 1..];
        } else {
            let name: String = rest[1..]
                .chars()
                .take_while(|c| c.is_alphanumeric() || matches!(c, ':' | '_' | '-' | '.'))
                .collect();
            return (!name.is_empty()).then_some(name);
        }
    }
}
