//! One JSON Lines record → a [`Document`].

use super::ReadOptions;
use crate::document::{Body, Document};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::Value;

#[derive(Deserialize)]
struct Record {
    id: Option<Value>,
    url: Option<String>,
    source: Option<String>,
    title: Option<String>,
    published: Option<String>,
    text: Option<String>,
    html: Option<String>,
}

/// The host of a URL, used as the source when a record names none.
fn host_of(url: &str) -> Option<String> {
    let rest = url.split_once("://")?.1;
    let host = rest.split(['/', '?', '#']).next()?;
    let host = host.rsplit('@').next()?.split(':').next()?;
    let host = host.strip_prefix("www.").unwrap_or(host);
    (!host.is_empty()).then(|| host.to_ascii_lowercase())
}

/// Parses an RFC 3339 time (also accepting a space for `T`).
pub fn parse_time(s: &str) -> Result<DateTime<Utc>, String> {
    let t = s.trim();
    DateTime::parse_from_rfc3339(t)
        .or_else(|_| DateTime::parse_from_rfc3339(&t.replacen(' ', "T", 1)))
        .map(|d| d.with_timezone(&Utc))
        .map_err(|e| format!("published: {t:?} is not an RFC 3339 time ({e})"))
}

/// Parses one line; the error is the reason it was rejected.
pub fn parse_jsonl_line(line: &str, opts: &ReadOptions) -> Result<Document, String> {
    let r: Record = serde_json::from_str(line).map_err(|e| format!("invalid JSON: {e}"))?;
    let nonempty = |s: Option<String>| s.filter(|s| !s.trim().is_empty());
    let url = nonempty(r.url);
    let body = match (nonempty(r.text), nonempty(r.html)) {
        (Some(t), _) => Body::Text(t),
        (None, Some(h)) => Body::Html(h),
        (None, None) => return Err("has neither \"text\" nor \"html\"".into()),
    };
    let external_id = match r.id {
        Some(Value::String(s)) if !s.trim().is_empty() => s,
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::Null) | None => match &url {
            Some(u) => u.clone(),
            None => return Err("has no \"id\" and no \"url\"".into()),
        },
        Some(other) => return Err(format!("\"id\" must be a string or a number, not {other}")),
    };
    let source = match (
        opts.source.clone(),
        nonempty(r.source),
        url.as_deref().and_then(host_of),
    ) {
        (Some(s), _, _) | (None, Some(s), _) | (None, None, Some(s)) => s,
        (None, None, None) => {
            return Err("has no \"source\" (and no \"url\" to take one from)".into());
        }
    };
    let published = match nonempty(r.published) {
        Some(p) => Some(parse_time(&p)?),
        None => None,
    };
    Ok(Document {
        external_id,
        url,
        source,
        title: nonempty(r.title),
        published,
        body,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_record_parses() {
        let d = parse_jsonl_line(
            r#"{"id": 7, "url": "https://www.example.com/a", "source": "Example", "title": "T", "published": "2024-04-03T10:01:00+03:00", "text": "Body"}"#,
            &ReadOptions::default(),
        )
        .unwrap();
        assert_eq!(d.external_id, "7");
        assert_eq!(d.source, "Example");
        assert_eq!(
            d.published.unwrap().to_rfc3339(),
            "2024-04-03T07:01:00+00:00"
        );
        assert_eq!(d.body, Body::Text("Body".into()));
    }

    #[test]
    fn missing_fields_fall_back_or_are_named() {
        let d = parse_jsonl_line(
            r#"{"url": "https://www.example.com/a", "html": "<p>x</p>"}"#,
            &ReadOptions::default(),
        )
        .unwrap();
        assert_eq!(d.source, "example.com");
        assert_eq!(d.external_id, "https://www.example.com/a");
        let e = |l: &str| parse_jsonl_line(l, &ReadOptions::default()).unwrap_err();
        assert!(e(r#"{"id": "1", "source": "s"}"#).contains("neither"));
        assert!(e(r#"{"text": "x", "source": "s"}"#).contains("no \"id\""));
        assert!(e(r#"{"id": "1", "text": "x"}"#).contains("no \"source\""));
        assert!(
            e(r#"{"id": "1", "source": "s", "text": "x", "published": "yesterday"}"#)
                .contains("RFC 3339")
        );
        assert!(e(r#"{"id": "1", "#).contains("invalid JSON"));
    }
}
