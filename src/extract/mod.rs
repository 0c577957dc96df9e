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
            "First paragraph of the story, with bold words in it and more words so that the article has enough text to count.\nSecond paragraph & more, also long enough to be a real paragraph of text."
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

    /// A news page with the furniture the extractor must leave out.
    const NEWS_PAGE: &str = r##"<!DOCTYPE html><html lang="en-GB"><head>
        <meta charset="utf-8"><title>Storm closes port | Example News</title>
        <meta property="og:title" content="Storm closes port">
        <meta name="author" content="Ann Writer">
        <link rel="canonical" href="/news/storm-closes-port">
        <script type="application/ld+json">{"@context":"https://schema.org","@type":"NewsArticle",
          "headline":"Storm closes port","datePublished":"2024-05-01T08:30:00Z",
          "author":[{"@type":"Person","name":"Ann Writer"}]}</script>
        </head><body>
        <header class="site-header"><nav><a href="/">Home</a><a href="/world">World</a></nav></header>
        <main><article>
          <h1>Storm closes port</h1>
          <div class="byline">By Ann Writer, 1 May 2024</div>
          <div class="share-bar"><a href="#">Share on Facebook</a> <a href="#">Share on X</a></div>
          <div class="article-body">
            <p>The port of Example closed on Wednesday as a storm with winds of 120 km/h reached
               the coast, the harbour master said.</p>
            <p>Ferries to the islands were cancelled, and about 3,000 passengers waited in the
               terminal overnight, according to the operator.</p>
            <div class="newsletter-signup"><p>Get our morning briefing in your inbox, every day
               of the week, free of charge.</p></div>
            <p>The storm is expected to weaken by Friday, forecasters said, but warnings remain
               in place for the whole northern coast.</p>
          </div>
          <div class="related-stories"><h2>Related</h2><ul>
            <li><a href="/a">Floods hit the valley after a week of heavy rain in the north</a></li>
            <li><a href="/b">Ferry operator orders two new ships for the island routes</a></li>
            <li><a href="/c">Harbour master warns of rising sea levels at the old docks</a></li>
          </ul></div>
        </article>
        <section id="comments" class="comments-area"><h2>3 comments</h2>
          <div class="comment"><p>I was stuck in that terminal all night, it was awful, nobody
             told us anything until the morning.</p></div>
          <div class="comment"><p>Same every winter. Build a proper breakwater already, the
             money is there, it has been for years.</p></div>
        </section></main>
        <footer>Copyright 2024 Example News. All rights reserved.</footer>
        </body></html>"##;

    #[test]
    fn news_page_body_only() {
        let e = extract_page(
            NEWS_PAGE.as_bytes(),
            Some("text/html"),
            Some("https://news.example.com/x?id=1"),
        );
        assert_eq!(e.title.as_deref(), Some("Storm closes port"));
        assert_eq!(e.author.as_deref(), Some("Ann Writer"));
        assert_eq!(e.language.as_deref(), Some("en"));
        assert_eq!(
            e.published.map(|d| d.to_rfc3339()).as_deref(),
            Some("2024-05-01T08:30:00+00:00")
        );
        let lines: Vec<&str> = e.text.lines().collect();
        assert_eq!(lines.len(), 3, "{}", e.text);
        assert!(lines[0].starts_with("The port of Example closed"));
        assert!(lines[2].starts_with("The storm is expected"));
        for furniture in [
            "Home",
            "Share",
            "briefing",
            "Related",
            "Floods",
            "terminal all night",
            "breakwater",
            "Copyright",
            "By Ann",
        ] {
            assert!(!e.text.contains(furniture), "{furniture:?} in {}", e.text);
        }
    }

    #[test]
    fn comments_and_related_links_are_dropped_even_without_class_names() {
        let body: String = (0..4)
            .map(|i| {
                format!(
                    "<p>Paragraph {i} of the report, long enough to count as prose, with a comma, \
                     and a few more words about what happened.</p>"
                )
            })
            .collect();
        let html = format!(
            "<html><body><div>{body}</div>\
             <div><ul><li><a href=/1>A related story about something else entirely</a></li>\
             <li><a href=/2>Another related story that a reader might click</a></li></ul></div>\
             </body></html>"
        );
        let e = extract_html(&html);
        assert_eq!(e.text.lines().count(), 4, "{}", e.text);
        assert!(!e.text.contains("related story"));
    }

    #[test]
    fn canonical_url_is_resolved_against_the_page_url() {
        let e = extract_page(
            NEWS_PAGE.as_bytes(),
            None,
            Some("https://news.example.com/x?id=1"),
        );
        assert_eq!(
            e.canonical_url.as_deref(),
            Some("https://news.example.com/news/storm-closes-port")
        );
        // Relative, with no page URL: nothing to resolve against.
        assert_eq!(
            extract_page(NEWS_PAGE.as_bytes(), None, None).canonical_url,
            None
        );
        // og:url when there is no canonical link; a non-http canonical is ignored.
        let html = r#"<html><head><link rel="canonical" href="javascript:void(0)">
            <meta property="og:url" content="https://example.org/a/b"></head><body></body></html>"#;
        assert_eq!(
            extract_page(html.as_bytes(), None, Some("https://example.org/"))
                .canonical_url
                .as_deref(),
            Some("https://example.org/a/b")
        );
    }

    fn cyrillic_page(meta: &str) -> Vec<u8> {
        let html = format!(
            "<html><head>{meta}<title>Новости</title></head><body><article><p>Президент подписал \
             указ о проведении выборов, сообщила пресс-служба администрации в среду.</p>\
             </article></body></html>"
        );
        encoding_rs::WINDOWS_1251.encode(&html).0.into_owned()
    }

    #[test]
    fn charset_precedence() {
        let text = "Президент подписал указ";
        // <meta charset> alone.
        let e = extract_page(
            &cyrillic_page(r#"<meta charset="windows-1251">"#),
            None,
            None,
        );
        assert!(e.text.contains(text), "{}", e.text);
        assert_eq!(e.title.as_deref(), Some("Новости"));
        // http-equiv.
        let e = extract_page(
            &cyrillic_page(
                r#"<meta http-equiv="Content-Type" content="text/html; charset=windows-1251">"#,
            ),
            None,
            None,
        );
        assert!(e.text.contains(text));
        // The Content-Type header beats a wrong meta.
        let e = extract_page(
            &cyrillic_page(r#"<meta charset="iso-8859-1">"#),
            Some("text/html; charset=windows-1251"),
            None,
        );
        assert!(e.text.contains(text));
        // A byte order mark beats both.
        let mut bytes = vec![0xEF, 0xBB, 0xBF];
        bytes.extend(
            "<html><head><meta charset=\"windows-1251\"></head><body><p>Ünïcödé text that \
             is long enough to be a paragraph of the article.</p></body></html>"
                .as_bytes(),
        );
        let e = extract_page(&bytes, Some("text/html; charset=koi8-r"), None);
        assert!(e.text.contains("Ünïcödé"), "{}", e.text);
        // Nothing declared: detected.
        let e = extract_page(&cyrillic_page(""), None, None);
        assert!(e.text.contains(text), "{}", e.text);
    }

    #[test]
    fn an_empty_page_gives_empty_text() {
        for page in [
            "",
            "<html></html>",
            "<html><head><title>T</title></head><body> </body></html>",
        ] {
            let e = extract_page(page.as_bytes(), None, None);
            assert_eq!(e.text, "", "{page:?}");
        }
        assert_eq!(extract_page(b"", None, None), Extracted::default());
    }

    #[test]
    fn fragments_keep_their_text() {
        let e = extract_html("<p>Short teaser.</p><p>Another line.</p>");
        assert_eq!(e.text, "Short teaser.\nAnother line.");
    }
}
