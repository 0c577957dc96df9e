//! Extraction: a web page (or an HTML fragment) → the article's text and its metadata.
//!
//! In: the page's raw bytes, the HTTP `Content-Type` if known, and the page's URL if known
//! ([`extract_page`]); or already-decoded HTML ([`extract_html`], used for pages and fragments
//! that arrive as text). Out: an [`Extracted`]: title, author, published time, language, canonical
//! URL (resolved against the page's URL), and the article's text, one block (paragraph, heading,
//! list item) a line — without navigation, related links, share bars, newsletter boxes, bylines
//! or reader comments.
//!
//! Bytes are decoded as feeds are ([`crate::feeds::decode`]: BOM, then the Content-Type charset,
//! then `<meta charset>`/`http-equiv`, then detection), parsed with html5ever (through
//! `scraper`) and copied into a flat [`dom::Dom`]; [`meta`] reads the metadata and [`content`]
//! finds the article. [`bench`] scores the extractor on the article-extraction benchmark
//! (docs/BENCHMARKS.md, section 7).

pub mod bench;
mod content;
mod dom;
mod meta;

use chrono::{DateTime, Utc};
use scraper::Html;

pub use meta::resolve as resolve_url;

/// What a page yields.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Extracted {
    pub title: Option<String>,
    /// The author or authors as the page names them ("A. Writer, B. Writer").
    pub author: Option<String>,
    pub published: Option<DateTime<Utc>>,
    /// The primary language subtag the page declares ("en", "ru"), lower case.
    pub language: Option<String>,
    /// `<link rel="canonical">`, else `og:url`, resolved against the page's URL (http(s) only).
    pub canonical_url: Option<String>,
    /// The article's plain text, one block a line (empty when the page has none).
    pub text: String,
}

/// Decodes a page's raw bytes and extracts it; `url` resolves a relative canonical link.
pub fn extract_page(bytes: &[u8], content_type: Option<&str>, url: Option<&str>) -> Extracted {
    let decoded = crate::feeds::decode(bytes, content_type, crate::feeds::DocumentKind::Html);
    extract_str(&decoded.text, url)
}

/// Extracts already-decoded HTML (a whole page, or a fragment from a feed or an export).
pub fn extract_html(html: &str) -> Extracted {
    extract_str(html, None)
}

fn extract_str(html: &str, url: Option<&str>) -> Extracted {
    let doc = Html::parse_document(html);
    let dom = dom::Dom::new(&doc);
    let m = meta::metadata(&dom, url);
    let text = content::main_text(&dom, m.title.as_deref());
    Extracted {
        title: m.title,
        author: m.author,
        published: m.published,
        language: m.language,
        canonical_url: m.canonical_url,
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
