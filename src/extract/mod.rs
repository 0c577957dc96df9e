//! Extraction: a web page (or an HTML fragment) → the article's text and its metadata.
//!
//! In: the page's raw bytes, the HTTP `Content-Type` if known, and the page's URL if known
//! ([`extract_page`]); or already-decoded HTML ([`extract_html`], used for pages and fragments
//! that arrive as text); and the [`Limits`] of the configuration. Out: an [`Extracted`]: title,
//! author, published time, language, canonical URL (resolved against the page's URL), and the
//! article's text, one block (paragraph, heading, list item) a line — without navigation,
//! related links, share bars, newsletter boxes, bylines or reader comments. Or, for a page that
//! takes longer than `extract_time`, a [`LimitExceeded`] naming that limit.
//!
//! Bytes are decoded as feeds are ([`crate::feeds::decode`]: BOM, then the Content-Type charset,
//! then `<meta charset>`/`http-equiv`, then detection), bounded in nesting and attributes
//! ([`depth`]: `html_depth`, `html_attributes`), parsed with html5ever (through `scraper`) in
//! pieces and copied into a flat [`dom::Dom`]; [`meta`] reads the metadata and [`content`]
//! finds the article. Every step is linear in the page (times the depth limit at worst), none
//! recurses, and each checks the page's [`Deadline`] as it goes. [`bench`] scores the extractor
//! on the article-extraction benchmark (docs/BENCHMARKS.md, section 7).

pub mod bench;
mod content;
mod depth;
mod dom;
mod meta;

use crate::limits::{LimitExceeded, Limits};
use chrono::{DateTime, Utc};
use html5ever::tendril::TendrilSink;
use scraper::{Html, HtmlTreeSink};
use std::time::{Duration, Instant};

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

/// When one page's extraction must stop: `extract_time` after it started. The loops of the
/// extractor [`tick`](Deadline::tick) it (the clock is read every 1024 ticks) and the parser's
/// pieces [`check`](Deadline::check) it.
pub struct Deadline {
    start: Instant,
    limit: Duration,
    ticks: u32,
}

impl Deadline {
    pub fn new(limit: Duration) -> Deadline {
        Deadline {
            start: Instant::now(),
            limit,
            ticks: 0,
        }
    }

    /// An error once the time is up.
    pub fn check(&self) -> Result<(), LimitExceeded> {
        let spent = self.start.elapsed();
        if spent > self.limit {
            let ms = |d: Duration| u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
            return Err(LimitExceeded::new(
                "extraction time",
                "extract_time",
                "ms",
                ms(self.limit),
            )
            .found(ms(spent)));
        }
        Ok(())
    }

    /// [`check`](Deadline::check), every 1024th call.
    #[inline]
    pub fn tick(&mut self) -> Result<(), LimitExceeded> {
        self.ticks = self.ticks.wrapping_add(1);
        if self.ticks.is_multiple_of(1024) {
            self.check()
        } else {
            Ok(())
        }
    }
}

/// Decodes a page's raw bytes and extracts it; `url` resolves a relative canonical link.
pub fn extract_page(
    bytes: &[u8],
    content_type: Option<&str>,
    url: Option<&str>,
    limits: &Limits,
) -> Result<Extracted, LimitExceeded> {
    let mut deadline = Deadline::new(limits.extract_time);
    let decoded = crate::feeds::decode(bytes, content_type, crate::feeds::DocumentKind::Html);
    extract_str(&decoded.text, url, limits, &mut deadline)
}

/// Extracts already-decoded HTML (a whole page, or a fragment from a feed or an export).
pub fn extract_html(html: &str, limits: &Limits) -> Result<Extracted, LimitExceeded> {
    extract_str(html, None, limits, &mut Deadline::new(limits.extract_time))
}

/// Bytes of HTML handed to the parser at a time, the deadline checked after each: with the
/// depth unbounded (a debug build), 100k nested `<div>`s stopped 0.15–0.9 s past a 2 s limit
/// (1.3 s with 64 KiB pieces).
const PARSE_PIECE: usize = 16 * 1024;

/// Parses `html` as a document, in pieces of [`PARSE_PIECE`] bytes (cut at character
/// boundaries; the tokenizer carries its state across them).
fn parse(html: &str, deadline: &Deadline) -> Result<Html, LimitExceeded> {
    let mut parser = html5ever::driver::parse_document(
        HtmlTreeSink::new(Html::new_document()),
        Default::default(),
    );
    let mut rest = html;
    while !rest.is_empty() {
        let mut cut = PARSE_PIECE.min(rest.len());
        while !rest.is_char_boundary(cut) {
            cut += 1;
        }
        let (piece, after) = rest.split_at(cut);
        parser.process(piece.into());
        deadline.check()?;
        rest = after;
    }
    Ok(parser.finish())
}

fn extract_str(
    html: &str,
    url: Option<&str>,
    limits: &Limits,
    deadline: &mut Deadline,
) -> Result<Extracted, LimitExceeded> {
    let html = depth::bound(html, limits, deadline)?;
    let doc = parse(&html, deadline)?;
    let dom = dom::Dom::new(&doc, deadline)?;
    let m = meta::metadata(&dom, url, deadline)?;
    let text = content::main_text(&dom, m.title.as_deref(), deadline)?;
    Ok(Extracted {
        title: m.title,
        author: m.author,
        published: m.published,
        language: m.language,
        canonical_url: m.canonical_url,
        text,
    })
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

    /// [`extract_page`] with the default limits.
    fn page(bytes: &[u8], content_type: Option<&str>, url: Option<&str>) -> Extracted {
        extract_page(bytes, content_type, url, &Limits::default()).expect("within the limits")
    }

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
        let e = extract_html(html, &Limits::default()).unwrap();
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
        let e = page(
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
        let e = extract_html(&html, &Limits::default()).unwrap();
        assert_eq!(e.text.lines().count(), 4, "{}", e.text);
        assert!(!e.text.contains("related story"));
    }

    #[test]
    fn canonical_url_is_resolved_against_the_page_url() {
        let e = page(
            NEWS_PAGE.as_bytes(),
            None,
            Some("https://news.example.com/x?id=1"),
        );
        assert_eq!(
            e.canonical_url.as_deref(),
            Some("https://news.example.com/news/storm-closes-port")
        );
        // Relative, with no page URL: nothing to resolve against.
        assert_eq!(page(NEWS_PAGE.as_bytes(), None, None).canonical_url, None);
        // og:url when there is no canonical link; a non-http canonical is ignored.
        let html = r#"<html><head><link rel="canonical" href="javascript:void(0)">
            <meta property="og:url" content="https://example.org/a/b"></head><body></body></html>"#;
        assert_eq!(
            page(html.as_bytes(), None, Some("https://example.org/"))
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
        let e = page(
            &cyrillic_page(r#"<meta charset="windows-1251">"#),
            None,
            None,
        );
        assert!(e.text.contains(text), "{}", e.text);
        assert_eq!(e.title.as_deref(), Some("Новости"));
        // http-equiv.
        let e = page(
            &cyrillic_page(
                r#"<meta http-equiv="Content-Type" content="text/html; charset=windows-1251">"#,
            ),
            None,
            None,
        );
        assert!(e.text.contains(text));
        // The Content-Type header beats a wrong meta.
        let e = page(
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
        let e = page(&bytes, Some("text/html; charset=koi8-r"), None);
        assert!(e.text.contains("Ünïcödé"), "{}", e.text);
        // Nothing declared: detected.
        let e = page(&cyrillic_page(""), None, None);
        assert!(e.text.contains(text), "{}", e.text);
    }

    #[test]
    fn an_empty_page_gives_empty_text() {
        for html in [
            "",
            "<html></html>",
            "<html><head><title>T</title></head><body> </body></html>",
        ] {
            let e = page(html.as_bytes(), None, None);
            assert_eq!(e.text, "", "{html:?}");
        }
        assert_eq!(page(b"", None, None), Extracted::default());
    }

    /// An article, then `levels` nested `<div>`s holding more of it.
    fn deep_page(levels: usize) -> String {
        let p = "<p>The council met on Tuesday to discuss the budget, and the mayor said the \
                 plan would go ahead despite the objections.</p>";
        format!(
            "<html><head><title>Budget</title></head><body><article>{p}{p}</article>{}\
             <p>Deep in the page, the second half of the report, with a comma, and more \
             words.</p>{}<p>After the deep part.</p></body></html>",
            "<div>".repeat(levels),
            "</div>".repeat(levels)
        )
    }

    #[test]
    fn deep_nesting_finishes_and_keeps_the_text() {
        for levels in [100_000, 1_000_000] {
            let e = extract_html(&deep_page(levels), &Limits::default()).expect("in time");
            assert!(
                e.text.starts_with("The council met on Tuesday"),
                "{levels}: {}",
                e.text
            );
            let l = Limits {
                html_depth: 16,
                ..Limits::default()
            };
            // With the deep part as the article, its text is read as the innermost element's.
            let html = deep_page(levels).replace("<article>", "<article hidden>");
            let e = extract_html(&html, &l).expect("in time");
            assert!(
                e.text
                    .contains("Deep in the page, the second half of the report"),
                "{levels}: {}",
                e.text
            );
        }
    }

    #[test]
    fn a_page_past_the_time_limit_is_rejected() {
        let l = Limits {
            extract_time: Duration::from_nanos(1),
            ..Limits::default()
        };
        let err = extract_page(NEWS_PAGE.as_bytes(), None, None, &l).unwrap_err();
        assert_eq!(
            (err.what, err.key, err.limit),
            ("extraction time", "extract_time", 0)
        );
        assert!(
            err.to_string().contains("NEWSDEDUP_LIMITS__EXTRACT_TIME"),
            "{err}"
        );
        let err = extract_html(NEWS_PAGE, &l).unwrap_err();
        assert_eq!(err.key, "extract_time");
        // Within the limit, the same page extracts.
        assert!(extract_html(NEWS_PAGE, &Limits::default()).is_ok());
    }

    #[test]
    fn fragments_keep_their_text() {
        let e = extract_html(
            "<p>Short teaser.</p><p>Another line.</p>",
            &Limits::default(),
        )
        .unwrap();
        assert_eq!(e.text, "Short teaser.\nAnother line.");
    }
}
