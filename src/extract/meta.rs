//! Page metadata: title, author, published time, language and canonical URL.
//!
//! In: a [`Dom`], the page's URL and its deadline. Out: [`Meta`]. Sources, first found wins: `<meta>` tags
//! (Open Graph, `article:*`, Dublin Core, `name=author/date`), JSON-LD (`NewsArticle` and kin,
//! also inside `@graph`), then the document itself (`<title>`, `<h1>`, `<time datetime>`,
//! `<html lang>`). The canonical URL is `<link rel="canonical">`, else `og:url`, resolved against
//! the page's URL; only http(s) URLs are kept.

use super::Deadline;
use super::dom::{Dom, Kind};
use crate::limits::LimitExceeded;
use chrono::{DateTime, Utc};
use serde_json::Value;

#[derive(Debug, Default)]
pub struct Meta {
    pub title: Option<String>,
    pub author: Option<String>,
    pub published: Option<DateTime<Utc>>,
    pub language: Option<String>,
    pub canonical_url: Option<String>,
}

fn clean(s: &str) -> Option<String> {
    let s = s.split_whitespace().collect::<Vec<_>>().join(" ");
    (!s.is_empty()).then_some(s)
}

/// What the `<meta>`, `<link>`, JSON-LD, `<title>`, `<h1>`, `<time>` and `<html>` elements say.
#[derive(Default)]
struct Found {
    metas: Vec<(String, String)>,
    canonical: Option<String>,
    title: Option<String>,
    h1: Option<String>,
    time: Option<String>,
    html_lang: Option<String>,
    jsonld: Vec<Value>,
}

fn gather(dom: &Dom<'_>, deadline: &mut Deadline) -> Result<Found, LimitExceeded> {
    let mut f = Found::default();
    for i in 0..dom.len() {
        deadline.tick()?;
        let Kind::Element(e) = dom.nodes[i].kind else {
            continue;
        };
        match e.name() {
            "meta" => {
                let key = e
                    .attr("property")
                    .or_else(|| e.attr("name"))
                    .or_else(|| e.attr("itemprop"))
                    .or_else(|| e.attr("http-equiv"));
                if let (Some(k), Some(v)) = (key, e.attr("content")) {
                    f.metas.push((k.trim().to_ascii_lowercase(), v.to_string()));
                }
            }
            "link" if f.canonical.is_none() => {
                let rel = e.attr("rel").unwrap_or_default();
                if rel
                    .split_ascii_whitespace()
                    .any(|r| r.eq_ignore_ascii_case("canonical"))
                    && let Some(h) = e.attr("href")
                {
                    f.canonical = clean(h);
                }
            }
            "title" if f.title.is_none() => f.title = clean(&dom.raw_text(i)),
            "h1" if f.h1.is_none() => f.h1 = clean(&dom.raw_text(i)),
            "time" if f.time.is_none() => {
                f.time = e.attr("datetime").and_then(clean);
            }
            "html" if f.html_lang.is_none() => {
                f.html_lang = e
                    .attr("lang")
                    .or_else(|| e.attr("xml:lang"))
                    .and_then(clean);
            }
            "script"
                if e.attr("type")
                    .is_some_and(|t| t.trim().eq_ignore_ascii_case("application/ld+json")) =>
            {
                let raw = dom.raw_text(i);
                if let Ok(v) = serde_json::from_str::<Value>(raw.trim()) {
                    collect_ld(v, &mut f.jsonld, 0);
                }
            }
            _ => {}
        }
    }
    Ok(f)
}

/// JSON-LD objects that describe an article (arrays and `@graph` flattened).
fn collect_ld(v: Value, out: &mut Vec<Value>, depth: usize) {
    if depth > 4 {
        return;
    }
    match v {
        Value::Array(items) => items
            .into_iter()
            .for_each(|x| collect_ld(x, out, depth + 1)),
        Value::Object(mut m) => {
            if let Some(g) = m.remove("@graph") {
                collect_ld(g, out, depth + 1);
            }
            let is_article = match m.get("@type") {
                Some(Value::String(t)) => is_article_type(t),
                Some(Value::Array(ts)) => {
                    ts.iter().any(|t| t.as_str().is_some_and(is_article_type))
                }
                _ => false,
            };
            if is_article {
                out.push(Value::Object(m));
            }
        }
        _ => {}
    }
}

fn is_article_type(t: &str) -> bool {
    t.ends_with("Article") || matches!(t, "BlogPosting" | "LiveBlogPosting" | "Report" | "WebPage")
}

impl Found {
    fn meta(&self, keys: &[&str]) -> Option<String> {
        keys.iter().find_map(|k| {
            self.metas
                .iter()
                .find(|(mk, v)| mk == k && !v.trim().is_empty())
                .and_then(|(_, v)| clean(v))
        })
    }

    fn ld(&self, key: &str) -> Option<&Value> {
        // An article type beats a WebPage.
        let article = self.jsonld.iter().find(|o| {
            o.get("@type")
                .and_then(Value::as_str)
                .is_none_or(|t| t != "WebPage")
                && o.get(key).is_some()
        });
        article
            .or_else(|| self.jsonld.iter().find(|o| o.get(key).is_some()))?
            .get(key)
    }
}

fn ld_names(v: &Value) -> Vec<String> {
    match v {
        Value::String(s) => clean(s).into_iter().collect(),
        Value::Array(items) => items.iter().flat_map(ld_names).collect(),
        Value::Object(o) => o.get("name").map(ld_names).unwrap_or_default(),
        _ => Vec::new(),
    }
}

/// A person's name rather than a profile URL.
fn is_name(s: &str) -> bool {
    !s.starts_with("http://") && !s.starts_with("https://") && !s.contains("://")
}

fn language_tag(s: &str) -> Option<String> {
    let primary = s
        .trim()
        .split(['-', '_', ',', ';'])
        .next()?
        .trim()
        .to_ascii_lowercase();
    (primary.len() >= 2 && primary.len() <= 3 && primary.chars().all(|c| c.is_ascii_alphabetic()))
        .then_some(primary)
}

/// Resolves a canonical link against the page's URL; only http(s) results count.
pub fn resolve(href: &str, base: Option<&str>) -> Option<String> {
    let href = href.trim();
    if href.is_empty() {
        return None;
    }
    let resolved = match url::Url::parse(href) {
        Ok(u) => u,
        Err(url::ParseError::RelativeUrlWithoutBase) => {
            url::Url::parse(base?).ok()?.join(href).ok()?
        }
        Err(_) => return None,
    };
    matches!(resolved.scheme(), "http" | "https").then(|| resolved.to_string())
}

pub fn metadata(
    dom: &Dom<'_>,
    url: Option<&str>,
    deadline: &mut Deadline,
) -> Result<Meta, LimitExceeded> {
    let f = gather(dom, deadline)?;
    let title = f
        .meta(&["og:title", "twitter:title"])
        .or_else(|| f.ld("headline").and_then(Value::as_str).and_then(clean))
        .or_else(|| f.title.clone())
        .or_else(|| f.h1.clone());
    let author = {
        let from_meta = f
            .meta(&[
                "author",
                "article:author",
                "parsely-author",
                "sailthru.author",
                "dc.creator",
                "byl",
            ])
            .filter(|a| is_name(a));
        from_meta.or_else(|| {
            let names: Vec<String> = f
                .ld("author")
                .map(ld_names)
                .unwrap_or_default()
                .into_iter()
                .filter(|a| is_name(a))
                .collect();
            (!names.is_empty()).then(|| names.join(", "))
        })
    }
    .map(|a| {
        a.strip_prefix("By ")
            .or_else(|| a.strip_prefix("by "))
            .unwrap_or(&a)
            .to_string()
    });
    let published = f
        .meta(&[
            "article:published_time",
            "og:published_time",
            "datepublished",
            "parsely-pub-date",
            "sailthru.date",
            "dc.date.issued",
            "dc.date",
            "dcterms.created",
            "pubdate",
            "publishdate",
            "date",
        ])
        .and_then(|d| crate::feeds::parse_date(&d))
        .or_else(|| {
            f.ld("datePublished")
                .and_then(Value::as_str)
                .and_then(crate::feeds::parse_date)
        })
        .or_else(|| f.time.as_deref().and_then(crate::feeds::parse_date));
    let language = f
        .html_lang
        .as_deref()
        .and_then(language_tag)
        .or_else(|| {
            f.meta(&["content-language", "language", "dc.language", "og:locale"])
                .as_deref()
                .and_then(language_tag)
        })
        .or_else(|| {
            f.ld("inLanguage")
                .and_then(Value::as_str)
                .and_then(language_tag)
        });
    let canonical_url = f
        .canonical
        .as_deref()
        .and_then(|h| resolve(h, url))
        .or_else(|| f.meta(&["og:url"]).and_then(|h| resolve(&h, url)));
    Ok(Meta {
        title,
        author,
        published,
        language,
        canonical_url,
    })
}
