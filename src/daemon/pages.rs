//! Full text: a queued entry → its article page fetched (politely, through the same fetcher as
//! feeds; only its feed's origin is trusted, any other host must pass the outbound policy) → the
//! page's main text extracted and judged → a [`PageReport`].
//!
//! Which entries are fetched is the feed's `full_text` policy: `never`, `always`, or `auto`,
//! whose rule is [`auto_rule`]. Nothing here writes: the report goes back to the daemon, which
//! turns it into an article (the page's text, or the entry's own content when the page gave
//! nothing usable) and records the fetch in `page_fetches`.

use crate::document::canonical_url;
use crate::extract::extract_page;
use crate::feeds::FeedEntry;
use crate::feeds::decode::{DocumentKind, decode};
use crate::feeds::html::html_to_text;
use crate::fetch::{FetchError, FetchOutcome, FetchRequest, Fetcher, Reach};
use crate::limits::Limits;
use crate::store::feeds::FullTextPolicy;
use crate::store::pages::{PageOutcome, QueuedPage};
use chrono::{DateTime, Utc};

/// `auto` fetches the page when the entry's own text has fewer words than this.
pub const AUTO_MIN_WORDS: usize = 150;

/// An extraction with fewer words than this is implausibly short for an article.
pub const MIN_PAGE_WORDS: usize = 40;

/// A page fetch failing for a passing reason (timeout, reset, 5xx, 429) is tried this many
/// times in all before the entry falls back to its own content.
pub const MAX_PAGE_ATTEMPTS: u32 = 3;

/// Endings that mark a feed's text as a teaser cut short.
const TRUNCATION_MARKS: [&str; 9] = [
    "…",
    "...",
    "[…]",
    "[...]",
    "read more",
    "continue reading",
    "read the full story",
    "read the full article",
    "(more)",
];

/// Whether an entry's page is fetched, and why: `None` to use the entry as the feed gave it.
///
/// `auto`: fetch when the entry's text (content, else summary, markup removed) has fewer than
/// [`AUTO_MIN_WORDS`] words, or ends like a teaser ("…", "...", "[…]", "Read more", "Continue
/// reading"). Only http(s) links are fetched.
pub fn auto_rule(policy: FullTextPolicy, entry: &FeedEntry) -> Option<String> {
    let link = entry.link.as_deref()?;
    if !(link.starts_with("http://") || link.starts_with("https://")) {
        return None;
    }
    match policy {
        FullTextPolicy::Never => None,
        FullTextPolicy::Always => Some("always".to_string()),
        FullTextPolicy::Auto => {
            let html = entry
                .content
                .as_deref()
                .filter(|c| !c.trim().is_empty())
                .or(entry.summary.as_deref())
                .unwrap_or("");
            // A teaser is judged on all its words: a plain-text pass, not the article extractor.
            let text = html_to_text(html);
            let words = text.split_whitespace().count();
            if words < AUTO_MIN_WORDS {
                return Some(format!("auto: {words} words in the feed"));
            }
            let tail: String = text
                .trim_end()
                .chars()
                .rev()
                .take(24)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect::<String>()
                .to_lowercase();
            TRUNCATION_MARKS
                .iter()
                .find(|m| tail.ends_with(*m))
                .map(|m| format!("auto: the feed's text ends with {m:?}"))
        }
    }
}

/// What a page gave.
#[derive(Debug)]
pub enum PageResult {
    /// The main text, plausibly an article.
    Extracted {
        text: String,
        title: Option<String>,
        published: Option<DateTime<Utc>>,
        words: i64,
    },
    /// Nothing usable: the entry's own content stands in.
    Unusable {
        outcome: PageOutcome,
        reason: String,
        words: Option<i64>,
    },
    /// A passing failure: try again at the time given (or after a back-off).
    Retry {
        error: String,
        after: Option<DateTime<Utc>>,
    },
}

/// One finished page fetch.
#[derive(Debug)]
pub struct PageReport {
    pub page: QueuedPage,
    pub status: Option<u16>,
    /// The page's canonical URL, tracking parameters removed (the link's, when the page names
    /// none).
    pub canonical_url: Option<String>,
    pub result: PageResult,
    pub bytes: u64,
}

/// Fetches and extracts one page, within `limits`. The extraction runs on the blocking pool.
pub async fn fetch_page(fetcher: &Fetcher, page: QueuedPage, limits: &Limits) -> PageReport {
    // A host that asked us to wait is not asked again before then (the fetcher would wait at
    // its gate, holding a fetch slot).
    if let Some(until) = fetcher.blocked_until(&page.url).filter(|t| *t > Utc::now()) {
        return PageReport {
            status: None,
            canonical_url: None,
            result: PageResult::Retry {
                error: format!("host asked us to wait until {until}"),
                after: Some(until),
            },
            bytes: 0,
            page,
        };
    }
    // The link came from the feed: only the origin of the feed the operator added is trusted.
    let reach = page
        .feed_url
        .as_deref()
        .map_or(Reach::Checked, Reach::trusting);
    let outcome = fetcher
        .fetch(FetchRequest::new(page.url.clone()).reaching(reach))
        .await;
    let mut report = PageReport {
        status: None,
        canonical_url: None,
        result: PageResult::Retry {
            error: String::new(),
            after: None,
        },
        bytes: 0,
        page,
    };
    let fetched = match outcome {
        FetchOutcome::Ok(f) => f,
        FetchOutcome::NotModified(m) => {
            report.status = Some(m.status);
            report.result = unusable(
                PageOutcome::HttpError,
                "HTTP 304 to an unconditional request",
            );
            return report;
        }
        FetchOutcome::Gone(m) => {
            report.status = Some(m.status);
            report.result = unusable(PageOutcome::HttpError, "HTTP 410 Gone");
            return report;
        }
        FetchOutcome::Status { status, meta } => {
            report.status = Some(status);
            report.result = match status {
                401 | 402 | 403 | 451 => unusable(PageOutcome::Blocked, &format!("HTTP {status}")),
                429 | 500..=599 => PageResult::Retry {
                    error: format!("HTTP {status}"),
                    after: meta.retry_after,
                },
                _ => unusable(PageOutcome::HttpError, &format!("HTTP {status}")),
            };
            return report;
        }
        FetchOutcome::Failed(e) => {
            report.result = match &e {
                FetchError::TooLarge { .. } => unusable(PageOutcome::TooLarge, &e.to_string()),
                e if e.is_transient() => PageResult::Retry {
                    error: e.to_string(),
                    after: None,
                },
                e => unusable(PageOutcome::FetchError, &e.to_string()),
            };
            return report;
        }
    };
    report.status = Some(fetched.meta.status);
    report.bytes = fetched.bytes;
    let content_type = fetched.meta.content_type.clone();
    if let Some(ct) = content_type.as_deref() {
        let mime = ct
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        if !(mime.is_empty()
            || mime == "text/html"
            || mime == "application/xhtml+xml"
            || mime == "text/plain")
        {
            report.result = unusable(PageOutcome::NotHtml, &format!("Content-Type {mime}"));
            return report;
        }
    }
    let page_url = fetched.meta.url.clone();
    let feed_html = report.page.feed_html.clone();
    let limits = limits.clone();
    let judged = tokio::task::spawn_blocking(move || {
        let entry_words = html_to_text(&feed_html).split_whitespace().count();
        let html = decode(&fetched.body, content_type.as_deref(), DocumentKind::Html).text;
        judge(&html, &page_url, entry_words, &limits)
    })
    .await;
    match judged {
        Ok((canonical, result)) => {
            report.canonical_url = canonical;
            report.result = result;
        }
        Err(e) => {
            report.result = unusable(PageOutcome::Empty, &format!("the extractor failed: {e}"));
        }
    }
    report
}

fn unusable(outcome: PageOutcome, reason: &str) -> PageResult {
    PageResult::Unusable {
        outcome,
        reason: reason.to_string(),
        words: None,
    }
}

/// Extracts a decoded page within `limits` and judges what it gave: (canonical URL, result).
/// A page over a limit of the extractor is unusable as too large, the limit its reason.
pub fn judge(
    html: &str,
    page_url: &str,
    entry_words: usize,
    limits: &Limits,
) -> (Option<String>, PageResult) {
    // Already decoded: the extractor reads it as UTF-8 and resolves the canonical link.
    let page = match extract_page(
        html.as_bytes(),
        Some("text/html; charset=utf-8"),
        Some(page_url),
        limits,
    ) {
        Ok(page) => page,
        Err(e) => {
            let reason = format!("{page_url}: {e}");
            return (None, unusable(PageOutcome::TooLarge, &reason));
        }
    };
    let canonical = Some(canonical_url(
        page.canonical_url.as_deref().unwrap_or(page_url),
    ));
    let words = page.text.split_whitespace().count();
    let result = if is_paywalled(html) {
        PageResult::Unusable {
            outcome: PageOutcome::Paywalled,
            reason: "the page says it is not free to read (isAccessibleForFree: false)".into(),
            words: Some(words as i64),
        }
    } else if words == 0 {
        unusable(PageOutcome::Empty, "no main text found")
    } else if words < MIN_PAGE_WORDS || words < entry_words {
        PageResult::Unusable {
            outcome: PageOutcome::TooShort,
            reason: format!(
                "{words} words, fewer than {}",
                if words < MIN_PAGE_WORDS {
                    format!("the minimum of {MIN_PAGE_WORDS}")
                } else {
                    format!("the entry's own {entry_words}")
                }
            ),
            words: Some(words as i64),
        }
    } else {
        PageResult::Extracted {
            text: page.text,
            title: page.title,
            published: page.published,
            words: words as i64,
        }
    };
    (canonical, result)
}

/// Whether the page's structured data says it is not free to read (schema.org
/// `isAccessibleForFree: false`, as JSON-LD or microdata).
fn is_paywalled(html: &str) -> bool {
    const KEY: &str = "isaccessibleforfree";
    let lower = html.to_ascii_lowercase();
    let mut from = 0;
    while let Some(i) = lower[from..].find(KEY) {
        let after = &lower[from + i + KEY.len()..];
        let value: String = after
            .chars()
            .skip_while(|c| matches!(c, '"' | '\'' | ':' | ' ' | '\t' | '\n' | '\r'))
            .take(5)
            .collect();
        // Microdata: <meta itemprop="isAccessibleForFree" content="false">.
        let micro = after.split('>').next().is_some_and(|tag| {
            tag.contains("content=\"false\"") || tag.contains("content='false'")
        });
        if value == "false" || micro {
            return true;
        }
        from += i + KEY.len();
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(link: &str, summary: &str) -> FeedEntry {
        FeedEntry {
            guid: None,
            link: Some(link.to_string()),
            title: None,
            published: None,
            updated: None,
            authors: Vec::new(),
            summary: Some(summary.to_string()),
            content: None,
            enclosures: Vec::new(),
        }
    }

    #[test]
    fn auto_fetches_teasers_and_leaves_full_entries() {
        let long = format!("<p>{}</p>", "word ".repeat(200));
        let teaser = "<p>The minister said on Monday that the plan would go ahead.</p>";
        let cut = format!("<p>{} and then…</p>", "word ".repeat(200));
        let http = "https://example.org/a";
        assert!(auto_rule(FullTextPolicy::Auto, &entry(http, teaser)).is_some());
        assert!(auto_rule(FullTextPolicy::Auto, &entry(http, &long)).is_none());
        let why = auto_rule(FullTextPolicy::Auto, &entry(http, &cut)).unwrap();
        assert!(why.contains("…"), "{why}");
        assert!(auto_rule(FullTextPolicy::Never, &entry(http, teaser)).is_none());
        assert_eq!(
            auto_rule(FullTextPolicy::Always, &entry(http, &long)).as_deref(),
            Some("always")
        );
        // Only web links are fetched.
        assert!(
            auto_rule(
                FullTextPolicy::Always,
                &entry("mailto:x@example.org", teaser)
            )
            .is_none()
        );
    }

    #[test]
    fn judges_pages() {
        let limits = Limits::default();
        let body = format!("<article><p>{}</p></article>", "story ".repeat(120));
        let (canonical, r) = judge(
            &format!(
                "<html><head><link rel=canonical href=\"/a?utm_source=x\"></head><body>{body}</body></html>"
            ),
            "https://example.org/a?utm_source=rss&id=1",
            10,
            &limits,
        );
        assert_eq!(canonical.as_deref(), Some("https://example.org/a"));
        assert!(
            matches!(r, PageResult::Extracted { words: 120, .. }),
            "{r:?}"
        );

        let (_, r) = judge(
            "<html><body><script>x()</script></body></html>",
            "https://e.org/",
            10,
            &limits,
        );
        assert!(
            matches!(
                r,
                PageResult::Unusable {
                    outcome: PageOutcome::Empty,
                    ..
                }
            ),
            "{r:?}"
        );

        let (_, r) = judge("<p>Subscribe to read.</p>", "https://e.org/", 10, &limits);
        assert!(
            matches!(
                r,
                PageResult::Unusable {
                    outcome: PageOutcome::TooShort,
                    ..
                }
            ),
            "{r:?}"
        );
        // Shorter than the entry the feed already gave.
        let (_, r) = judge(&body, "https://e.org/", 500, &limits);
        assert!(
            matches!(
                r,
                PageResult::Unusable {
                    outcome: PageOutcome::TooShort,
                    ..
                }
            ),
            "{r:?}"
        );

        let paywalled = format!(
            "<script type=\"application/ld+json\">{{\"@type\":\"NewsArticle\",\"isAccessibleForFree\": false}}</script>{body}"
        );
        let (_, r) = judge(&paywalled, "https://e.org/", 10, &limits);
        assert!(
            matches!(
                r,
                PageResult::Unusable {
                    outcome: PageOutcome::Paywalled,
                    ..
                }
            ),
            "{r:?}"
        );
        let free = paywalled.replace("false", "true");
        assert!(matches!(
            judge(&free, "https://e.org/", 10, &limits).1,
            PageResult::Extracted { .. }
        ));

        // Past the extractor's time limit: unusable, the page and the limit its reason.
        let slow = Limits {
            extract_time: std::time::Duration::from_nanos(1),
            ..Limits::default()
        };
        let (_, r) = judge(&free, "https://e.org/slow", 10, &slow);
        match r {
            PageResult::Unusable {
                outcome: PageOutcome::TooLarge,
                reason,
                ..
            } => assert!(
                reason.starts_with("https://e.org/slow: extraction time")
                    && reason.contains("extract_time"),
                "{reason}"
            ),
            r => panic!("{r:?}"),
        }
    }
}
