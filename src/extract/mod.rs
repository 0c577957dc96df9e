//! Extraction: an HTML page or fragment → the article's plain text and its metadata.
//!
//! In: HTML (a whole page, or a fragment from a feed or a JSON export). Out: an [`Extracted`]:
//! title, canonical URL, published time if the page states one, and the text, one block element
//! (paragraph, heading, list item) a line. Markup is removed with a real HTML parser (html5ever,
//! through `scraper`); scripts, styles, navigation, forms and asides are skipped, and when the page
//! marks its article (`<article>`, `<main>`, `itemprop=articleBody`) only that is read.

pub mod bench;

use chrono::{DateTime, Utc};
use scraper::{ElementRef, Html, Node, Selector};

/// Decodes a page's raw bytes (BOM, Content-Type charset, `<meta charset>`, detection) and
/// extracts it.
pub fn extract_page(bytes: &[u8], content_type: Option<&str>, url: Option<&str>) -> Extracted {
    let _ = url;
    let decoded = crate::feeds::decode(bytes, content_type, crate::feeds::DocumentKind::Html);
    extract_html(&decoded.text)
}

/// What a page yields.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Extracted {
    pub title: Option<String>,
    pub canonical_url: Option<String>,
    pub published: Option<DateTime<Utc>>,
    /// Plain text, one block a line.
    pub text: String,
}

/// Elements whose content is never article text.
fn is_skipped(name: &str) -> bool {
    matches!(
        name,
        "script"
            | "style"
            | "noscript"
            | "template"
            | "nav"
            | "aside"
            | "form"
            | "button"
            | "select"
            | "option"
            | "iframe"
            | "svg"
            | "canvas"
            | "head"
            | "object"
            | "embed"
            | "menu"
            | "dialog"
    )
}

/// Elements that end a line of text.
fn is_block(name: &str) -> bool {
    matches!(
        name,
        "p" | "div"
            | "br"
            | "li"
            | "ul"
            | "ol"
            | "h1"
            | "h2"
            | "h3"
            | "h4"
            | "h5"
            | "h6"
            | "blockquote"
            | "pre"
            | "table"
            | "tr"
            | "td"
            | "th"
            | "section"
            | "article"
            | "header"
            | "footer"
            | "figure"
            | "figcaption"
            | "dd"
            | "dt"
            | "dl"
            | "hr"
            | "main"
            | "address"
            | "details"
            | "summary"
    )
}

fn walk(el: ElementRef<'_>, out: &mut String) {
    for child in el.children() {
        match child.value() {
            // Line breaks in the source are spaces; only block elements end lines.
            Node::Text(t) => out.extend(t.chars().map(|c| if c.is_whitespace() { ' ' } else { c })),
            Node::Element(e) => {
                let name = e.name();
                if is_skipped(name) {
                    continue;
                }
                let block = is_block(name);
                if block && !out.ends_with('\n') && !out.is_empty() {
                    out.push('\n');
                }
                if let Some(child_el) = ElementRef::wrap(child) {
                    walk(child_el, out);
                }
                if block && !out.ends_with('\n') {
                    out.push('\n');
                }
            }
            _ => {}
        }
    }
}

fn text_of(el: ElementRef<'_>) -> String {
    let mut out = String::new();
    walk(el, &mut out);
    // Collapse the whitespace inside lines; keep the line structure.
    out.lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("\n")
}

fn selector(s: &str) -> Selector {
    Selector::parse(s).expect("static selector")
}

fn meta(doc: &Html, keys: &[&str]) -> Option<String> {
    for key in keys {
        for attr in ["property", "name", "itemprop"] {
            let sel = selector(&format!("meta[{attr}=\"{key}\"]"));
            if let Some(v) = doc
                .select(&sel)
                .filter_map(|m| m.value().attr("content"))
                .map(str::trim)
                .find(|v| !v.is_empty())
            {
                return Some(v.to_string());
            }
        }
    }
    None
}

/// Extracts an HTML page (or fragment).
pub fn extract_html(html: &str) -> Extracted {
    let doc = Html::parse_document(html);
    let title = meta(&doc, &["og:title", "twitter:title", "headline"])
        .or_else(|| {
            doc.select(&selector("title"))
                .next()
                .map(|t| t.text().collect::<String>().trim().to_string())
                .filter(|t| !t.is_empty())
        })
        .or_else(|| {
            doc.select(&selector("h1"))
                .next()
                .map(|t| t.text().collect::<String>().trim().to_string())
                .filter(|t| !t.is_empty())
        });
    let canonical_url = doc
        .select(&selector("link[rel=\"canonical\"]"))
        .filter_map(|l| l.value().attr("href"))
        .map(|h| h.trim().to_string())
        .find(|h| !h.is_empty())
        .or_else(|| meta(&doc, &["og:url"]));
    let published = meta(
        &doc,
        &["article:published_time", "datePublished", "date", "pubdate"],
    )
    .and_then(|v| DateTime::parse_from_rfc3339(&v).ok())
    .map(|d| d.with_timezone(&Utc));

    // The article's own container when the page marks one: the one with the most text.
    let marked = [
        "[itemprop=\"articleBody\"]",
        "article",
        "main",
        "[role=\"main\"]",
    ];
    let mut text = None;
    for m in marked {
        let best = doc
            .select(&selector(m))
            .map(text_of)
            .max_by_key(|t| t.len());
        if let Some(t) = best
            && t.split_whitespace().count() >= 25
        {
            text = Some(t);
            break;
        }
    }
    let text = text.unwrap_or_else(|| {
        doc.select(&selector("body"))
            .next()
            .map(text_of)
            .unwrap_or_else(|| text_of(doc.root_element()))
    });
    Extracted {
        title,
        canonical_url,
        published,
        text,
    }
}

/// True when a `text` field carries markup rather than plain text.
pub fn looks_like_html(s: &str) -> bool {
    let bytes = s.as_bytes();
    let mut i = 0;
    let mut tags = 0;
    while let Some(off) = s[i..].find('<') {
        let at = i + off + 1;
        let next = bytes.get(at).copied();
        let next = if next == Some(b'/') {
            bytes.get(at + 1).copied()
        } else {
            next
        };
        if next.is_some_and(|b| b.is_ascii_alphabetic())
            && bytes[at..(at + 40).min(bytes.len())].contains(&b'>')
        {
            tags += 1;
            if tags >= 2 {
                return true;
            }
        }
        i = at;
        if i >= s.len() {
            break;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_article_and_skips_the_page_furniture() {
        let html = r#"<html><head><title>Site | Headline</title>
            <meta property="og:title" content="The headline">
            <link rel="canonical" href="https://example.com/story">
            <meta property="article:published_time" content="2024-04-03T10:01:00+03:00">
            <script>var x = 1;</script></head>
            <body><nav><a href="/">Home</a> <a href="/world">World</a></nav>
            <article><h1>The headline</h1><p>First paragraph of the story, with <b>bold</b> words
            in it and more words so that the article has enough text to count.</p>
            <p>Second paragraph &amp; more, also long enough to be a real paragraph of text.</p></article>
            <aside>Related: other story</aside><footer>Copyright</footer></body></html>"#;
        let e = extract_html(html);
        assert_eq!(e.title.as_deref(), Some("The headline"));
        assert_eq!(
            e.canonical_url.as_deref(),
            Some("https://example.com/story")
        );
        assert_eq!(
            e.published.unwrap().to_rfc3339(),
            "2024-04-03T07:01:00+00:00"
        );
        assert_eq!(
            e.text,
            "The headline\nFirst paragraph of the story, with bold words in it and more words so that the article has enough text to count.\nSecond paragraph & more, also long enough to be a real paragraph of text."
        );
    }

    #[test]
    fn recognises_markup_in_text_fields() {
        assert!(looks_like_html("<p>One</p><p>Two</p>"));
        assert!(!looks_like_html("3 < 4 and 5 > 2, said the <source>"));
        assert!(!looks_like_html("plain text"));
        assert!(!looks_like_html(
            "<The Palace> \u{200b}\u{200b}\u{200b}\u{200b}\u{200b}\u{200b}\u{200b}\u{200b}\u{200b}\u{200b}\u{200b}\u{200b}\u{200b} <x"
        ));
    }
}
