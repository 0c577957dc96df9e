//! One JSON Lines record → a [`Document`].
//!
//! In: one line (already bounded by `line_bytes`) and the [`ReadOptions`]. Out: the document, or
//! the reason it was rejected: bad JSON (nesting deeper than serde_json's recursion limit of 128
//! included), a missing body, id or source, a bad time, or a field over its limit (`text`/`html`:
//! `document_bytes`; `title`: `title_bytes`; `source`, `id`, `url`, `published`: `field_bytes`). A numeric id
//! is kept as its exact digits, however long.

use super::ReadOptions;
use crate::document::{Body, Document};
use crate::limits::LimitExceeded;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::value::RawValue;

#[derive(Deserialize)]
struct Record<'a> {
    /// Raw, so that a number keeps its digits (serde_json rounds one past 64 bits through f64).
    #[serde(borrow)]
    id: Option<&'a RawValue>,
    url: Option<String>,
    source: Option<String>,
    title: Option<String>,
    published: Option<String>,
    text: Option<String>,
    html: Option<String>,
}

/// The id a record's raw `id` gives: `None` for `null`, a string's text, a number's digits.
fn id_of(raw: &RawValue) -> Result<Option<String>, String> {
    let t = raw.get();
    let wrong = || {
        let shown: String = t.chars().take(60).collect();
        let more = if shown.len() < t.len() { "..." } else { "" };
        format!("\"id\" must be a string or a number, not {shown}{more}")
    };
    match t.as_bytes().first() {
        Some(b'"') => match serde_json::from_str::<String>(t) {
            Ok(s) if !s.trim().is_empty() => Ok(Some(s)),
            _ => Err(wrong()),
        },
        Some(b'n') => Ok(None),
        Some(b'-' | b'0'..=b'9') => {
            let digits = t.strip_prefix('-').unwrap_or(t);
            if digits.bytes().all(|b| b.is_ascii_digit()) {
                // An integer: its digits, whatever its size (-0 and friends as serde_json reads them).
                Ok(Some(match serde_json::from_str::<serde_json::Number>(t) {
                    Ok(n) if n.is_i64() || n.is_u64() => n.to_string(),
                    _ => t.to_string(),
                }))
            } else {
                // A fraction or an exponent: as serde_json prints the number, as ever.
                serde_json::from_str::<serde_json::Number>(t)
                    .map(|n| Some(n.to_string()))
                    .map_err(|_| wrong())
            }
        }
        _ => Err(wrong()),
    }
}

/// Rejects a field over its limit.
fn bounded(
    field: Option<&String>,
    what: &'static str,
    key: &'static str,
    limit: u64,
) -> Result<(), String> {
    match field {
        Some(s) if s.len() as u64 > limit => Err(LimitExceeded::bytes(what, key, limit)
            .found(s.len() as u64)
            .to_string()),
        _ => Ok(()),
    }
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
    let l = &opts.limits;
    bounded(
        r.text.as_ref(),
        "\"text\"",
        "document_bytes",
        l.document_bytes,
    )?;
    bounded(
        r.html.as_ref(),
        "\"html\"",
        "document_bytes",
        l.document_bytes,
    )?;
    bounded(r.title.as_ref(), "\"title\"", "title_bytes", l.title_bytes)?;
    bounded(
        r.source.as_ref(),
        "\"source\"",
        "field_bytes",
        l.field_bytes,
    )?;
    bounded(r.url.as_ref(), "\"url\"", "field_bytes", l.field_bytes)?;
    bounded(
        r.published.as_ref(),
        "\"published\"",
        "field_bytes",
        l.field_bytes,
    )?;
    let id = r.id.map(id_of).transpose().map(Option::flatten);
    if let Ok(id) = &id {
        bounded(id.as_ref(), "\"id\"", "field_bytes", l.field_bytes)?;
    }
    let nonempty = |s: Option<String>| s.filter(|s| !s.trim().is_empty());
    let url = nonempty(r.url);
    let body = match (nonempty(r.text), nonempty(r.html)) {
        (Some(t), _) => Body::Text(t),
        (None, Some(h)) => Body::Html(h),
        (None, None) => return Err("has neither \"text\" nor \"html\"".into()),
    };
    let external_id = match id? {
        Some(id) => id,
        None => match &url {
            Some(u) => u.clone(),
            None => return Err("has no \"id\" and no \"url\"".into()),
        },
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

    #[test]
    fn numeric_ids_keep_their_digits() {
        let id = |raw: &str| {
            let line = format!(r#"{{"id": {raw}, "source": "s", "text": "x"}}"#);
            parse_jsonl_line(&line, &ReadOptions::default()).map(|d| d.external_id)
        };
        let a = "123456789012345678901234567890";
        let b = "123456789012345678901234567891";
        assert_eq!(id(a).unwrap(), a);
        assert_eq!(id(b).unwrap(), b);
        assert_eq!(
            id("-98765432109876543210").unwrap(),
            "-98765432109876543210"
        );
        // Numbers within 64 bits, and others, read as they always were.
        assert_eq!(id("7").unwrap(), "7");
        assert_eq!(id("18446744073709551615").unwrap(), "18446744073709551615");
        assert_eq!(id("1.5").unwrap(), "1.5");
        assert_eq!(id("\"abc\"").unwrap(), "abc");
        assert!(
            id("true")
                .unwrap_err()
                .contains("must be a string or a number")
        );
        let long_object = format!("{{\"k\": \"{}\"}}", "v".repeat(10_000));
        let e = id(&long_object).unwrap_err();
        assert!(e.len() < 200, "the bad id is shown shortened: {e}");
    }

    #[test]
    fn fields_over_their_limits_are_rejected_with_the_key() {
        let opts = ReadOptions {
            limits: crate::limits::Limits {
                document_bytes: 100,
                title_bytes: 10,
                field_bytes: 20,
                ..Default::default()
            },
            ..Default::default()
        };
        let parse = |fields: serde_json::Value| {
            let mut r = serde_json::json!({"id": "1", "source": "s", "text": "x"});
            r.as_object_mut()
                .unwrap()
                .extend(fields.as_object().unwrap().clone());
            parse_jsonl_line(&r.to_string(), &opts)
        };
        let long = |n: usize| "a".repeat(n);
        assert!(parse(serde_json::json!({"text": long(100), "title": long(10)})).is_ok());
        for (field, n, key) in [
            ("text", 101, "document_bytes"),
            ("html", 101, "document_bytes"),
            ("title", 11, "title_bytes"),
            ("source", 21, "field_bytes"),
            ("id", 21, "field_bytes"),
            ("url", 21, "field_bytes"),
            ("published", 21, "field_bytes"),
        ] {
            let e = parse(serde_json::json!({ field: long(n) })).unwrap_err();
            assert!(
                e.starts_with(&format!("\"{field}\" of {n} bytes is over the limit"))
                    && e.contains(key),
                "{field}: {e}"
            );
        }
        let big_id = "9".repeat(21);
        let e = parse_jsonl_line(
            &format!(r#"{{"id": {big_id}, "source": "s", "text": "x"}}"#),
            &opts,
        );
        assert!(e.unwrap_err().contains("field_bytes"));
    }

    #[test]
    fn deeply_nested_json_is_rejected_without_recursing() {
        // A million levels: serde_json skips an unknown field's value and reads a raw `id`
        // without recursing (one byte of state a level, within the line's bound), and a typed
        // field fails at its first bracket; on a test thread's 2 MiB stack, recursion would
        // overflow it.
        let deep = |open: &str, close: &str| {
            format!("{}{}", open.repeat(1_000_000), close.repeat(1_000_000))
        };
        let extra = format!(
            r#"{{"id": "1", "source": "s", "text": "x", "extra": {}}}"#,
            deep("[", "]")
        );
        assert!(parse_jsonl_line(&extra, &ReadOptions::default()).is_ok());
        for line in [
            deep("[", "]"),
            format!(
                r#"{{"id": {}, "source": "s", "text": "x"}}"#,
                deep("{\"a\":", "}")
            ),
            format!(
                r#"{{"id": "1", "source": "s", "text": {}}}"#,
                deep("[", "]")
            ),
        ] {
            let e = parse_jsonl_line(&line, &ReadOptions::default()).unwrap_err();
            assert!(
                e.starts_with("invalid JSON") || e.contains("must be a string or a number"),
                "{}",
                &e[..e.len().min(200)]
            );
        }
    }
}
