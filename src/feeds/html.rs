//! Small HTML helpers for feed text: an HTML fragment → plain text (titles), plain text → HTML
//! (plain-text summaries), and relative URLs in a fragment → absolute ones.
//!
//! In and out: strings. These are scanners, not parsers: they only need to be right about tags,
//! quoted attribute values, comments and character references, which is what feed titles and
//! summaries contain; whole pages go through [`crate::extract`].

use std::borrow::Cow;
use url::Url;

/// Decodes `&name;`, `&#n;` and `&#xh;` (the HTML5 named set). A `&` without a closing `;` is
/// literal, so query strings such as `?a=1&copy=2` survive.
pub(crate) fn decode_entities(s: &str) -> Cow<'_, str> {
    if !s.contains('&') {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        let end = after
            .char_indices()
            .take(40)
            .find(|(_, c)| !(c.is_ascii_alphanumeric() || *c == '#'))
            .map(|(j, _)| j);
        let resolved = end
            .filter(|&e| e > 0 && after[e..].starts_with(';'))
            .and_then(|e| resolve(&after[..e]).map(|r| (r, e)));
        match resolved {
            Some((r, e)) => {
                out.push_str(&r);
                rest = &after[e + 1..];
            }
            None => {
                out.push('&');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    Cow::Owned(out)
}

fn resolve(name: &str) -> Option<String> {
    if let Some(num) = name.strip_prefix('#') {
        let code = match num.strip_prefix(['x', 'X']) {
            Some(h) => u32::from_str_radix(h, 16).ok()?,
            None => num.parse().ok()?,
        };
        return char::from_u32(code).map(String::from);
    }
    html5_entity(name)
}

/// An HTML5 named character reference (`nbsp`, `yen`, `zeta`), if `name` is one.
pub(crate) fn html5_entity(name: &str) -> Option<String> {
    if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return None;
    }
    let reference = format!("&{name};");
    let decoded = html_escape::decode_html_entities(&reference);
    (decoded != reference).then(|| decoded.into_owned())
}

/// Elements whose content is not text.
fn is_hidden(name: &str) -> bool {
    matches!(name, "script" | "style" | "template")
}

/// An HTML fragment as plain text: tags and comments removed (a block or `<br>` boundary is a
/// space), entities decoded, whitespace collapsed. A `<` that cannot start a tag is text.
pub(crate) fn html_to_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let b = s.as_bytes();
    let mut i = 0;
    let mut copied = 0;
    let mut hidden: Option<String> = None;
    let mut comments_open = true;
    while i < b.len() {
        if b[i] != b'<' {
            i += 1;
            continue;
        }
        let rest = &s[i..];
        let next = rest[1..].chars().next();
        let is_tag =
            matches!(next, Some(c) if c.is_ascii_alphabetic() || c == '/' || c == '!' || c == '?');
        if !is_tag {
            i += 1;
            continue;
        }
        let end = if rest.starts_with("<!--") {
            // An unterminated comment runs to the end; later ones cannot end either.
            match rest.find("-->").filter(|_| comments_open) {
                Some(e) => i + e + 3,
                None => {
                    comments_open = false;
                    b.len()
                }
            }
        } else {
            match tag_end(b, i) {
                Some(e) => e,
                None => {
                    // No `>` follows: the `<` is text (and so is every later one).
                    break;
                }
            }
        };
        if hidden.is_none() {
            out.push_str(&decode_entities(&s[copied..i]));
        }
        let tag = &s[i..end.min(s.len())];
        let name = tag_name(tag);
        let closing = tag.starts_with("</");
        match &hidden {
            Some(h) if closing && name == *h => hidden = None,
            Some(_) => {}
            None if !closing && is_hidden(&name) => hidden = Some(name),
            None => {
                if !out.ends_with(' ') && is_spacing(&name) {
                    out.push(' ');
                }
            }
        }
        i = end;
        copied = end;
    }
    if hidden.is_none() && copied < s.len() {
        out.push_str(&decode_entities(&s[copied..]));
    }
    collapse_whitespace(&out)
}

/// Runs of ASCII whitespace as one space, trimmed (a no-break space is kept: it is content).
pub(crate) fn collapse_whitespace(s: &str) -> String {
    s.split_ascii_whitespace().collect::<Vec<_>>().join(" ")
}

/// Tags that separate words.
fn is_spacing(name: &str) -> bool {
    matches!(
        name,
        "br" | "p"
            | "div"
            | "li"
            | "tr"
            | "td"
            | "th"
            | "h1"
            | "h2"
            | "h3"
            | "h4"
            | "h5"
            | "h6"
            | "blockquote"
            | "pre"
            | "hr"
            | "dd"
            | "dt"
            | "section"
            | "article"
    )
}

/// The byte after a tag's closing `>` (a `>` inside a quoted attribute value skipped; a quote
/// only opens a value right after `=`; an unclosed quote ends at the first `>`), or `None` when
/// no `>` follows, in which case the `<` is text.
fn tag_end(b: &[u8], start: usize) -> Option<usize> {
    let first_gt = b[start..].iter().position(|&c| c == b'>')? + start;
    let mut quote = None;
    let mut after_eq = false;
    let mut j = start + 1;
    while j < b.len() {
        let c = b[j];
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None => match c {
                b'"' | b'\'' if after_eq => quote = Some(c),
                b'>' => return Some(j + 1),
                _ => {}
            },
        }
        if quote.is_none() && !c.is_ascii_whitespace() {
            after_eq = c == b'=';
        }
        j += 1;
    }
    Some(first_gt + 1)
}

fn tag_name(tag: &str) -> String {
    tag.trim_start_matches('<')
        .trim_start_matches('/')
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == ':' || *c == '-')
        .collect::<String>()
        .to_ascii_lowercase()
}

/// Plain text as HTML: `&`, `<` and `>` escaped.
pub(crate) fn escape_html(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Attributes that hold a URL.
fn is_url_attr(name: &str) -> bool {
    matches!(
        name,
        "href" | "src" | "poster" | "cite" | "action" | "background" | "longdesc" | "usemap"
    )
}

/// Makes relative URLs in `href`, `src` and similar attributes of an HTML fragment absolute.
pub(crate) fn resolve_urls(html: &str, base: &Url) -> String {
    let b = html.as_bytes();
    let mut out = String::with_capacity(html.len() + 64);
    let mut copied = 0;
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'<' || !matches!(b.get(i + 1), Some(c) if c.is_ascii_alphabetic()) {
            i += 1;
            continue;
        }
        let Some(end) = tag_end(b, i) else {
            break;
        };
        let tag = &html[i..end];
        if let Some(rewritten) = rewrite_tag(tag, base) {
            out.push_str(&html[copied..i]);
            out.push_str(&rewritten);
            copied = end;
        }
        i = end;
    }
    out.push_str(&html[copied..]);
    out
}

/// The tag with its URL attributes resolved, or `None` if nothing changed.
fn rewrite_tag(tag: &str, base: &Url) -> Option<String> {
    let mut out = String::with_capacity(tag.len() + 32);
    let mut changed = false;
    let b = tag.as_bytes();
    let mut i = 1;
    // Skip the name.
    while i < b.len() && !b[i].is_ascii_whitespace() && b[i] != b'>' && b[i] != b'/' {
        i += 1;
    }
    out.push_str(&tag[..i]);
    loop {
        let ws = i;
        while i < b.len() && (b[i].is_ascii_whitespace() || b[i] == b'/') {
            i += 1;
        }
        out.push_str(&tag[ws..i]);
        if i >= b.len() || b[i] == b'>' {
            break;
        }
        let name_start = i;
        while i < b.len() && !b[i].is_ascii_whitespace() && !matches!(b[i], b'=' | b'>' | b'/') {
            i += 1;
        }
        let name = tag[name_start..i].to_ascii_lowercase();
        out.push_str(&tag[name_start..i]);
        let eq_start = i;
        while i < b.len() && b[i].is_ascii_whitespace() {
            i += 1;
        }
        if i >= b.len() || b[i] != b'=' {
            out.push_str(&tag[eq_start..i]);
            continue;
        }
        i += 1;
        while i < b.len() && b[i].is_ascii_whitespace() {
            i += 1;
        }
        out.push_str(&tag[eq_start..i]);
        let (value, quote, after) = match b.get(i) {
            Some(&q) if q == b'"' || q == b'\'' => {
                let close = tag[i + 1..]
                    .find(q as char)
                    .map_or(tag.len(), |c| i + 1 + c);
                (
                    &tag[i + 1..close],
                    Some(q as char),
                    (close + 1).min(tag.len()),
                )
            }
            _ => {
                let mut j = i;
                while j < b.len() && !b[j].is_ascii_whitespace() && b[j] != b'>' {
                    j += 1;
                }
                (&tag[i..j], None, j)
            }
        };
        let new_value = if is_url_attr(&name) {
            resolve_one(value, base)
        } else {
            None
        };
        let q = quote.map(String::from).unwrap_or_default();
        match new_value {
            Some(v) => {
                changed = true;
                let q = if q.is_empty() { "\"".to_string() } else { q };
                out.push_str(&format!("{q}{v}{q}"));
            }
            None => {
                out.push_str(&q);
                out.push_str(value);
                if quote.is_some() && after <= tag.len() && tag[..after].ends_with(&q) {
                    out.push_str(&q);
                }
            }
        }
        i = after;
    }
    out.push_str(&tag[i.min(tag.len())..]);
    changed.then_some(out)
}

/// A relative URL resolved against `base` (written back with `&` escaped), or `None` when it
/// is absolute already or cannot be resolved.
fn resolve_one(value: &str, base: &Url) -> Option<String> {
    let raw = decode_entities(value.trim());
    if raw.is_empty() || raw.starts_with('#') || Url::parse(&raw).is_ok() {
        return None;
    }
    let joined = base.join(&raw).ok()?;
    if !matches!(joined.scheme(), "http" | "https" | "ftp") {
        return None;
    }
    Some(joined.as_str().replace('&', "&amp;").replace('"', "%22"))
}

/// A URL reference resolved against an optional base; unchanged when it is absolute or there is
/// no base.
pub(crate) fn resolve_url(value: &str, base: Option<&Url>) -> String {
    let v = value.trim();
    if Url::parse(v).is_ok() {
        return v.to_string();
    }
    match base.and_then(|b| b.join(v).ok()) {
        Some(u) => u.to_string(),
        None => v.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_of_html() {
        assert_eq!(
            html_to_text("<p>Item&nbsp;<b>Title</b></p> a < b &amp; c"),
            "Item\u{a0}Title a < b & c"
        );
        assert_eq!(
            html_to_text("?page=1&copy=2;mode=x"),
            "?page=1&copy=2;mode=x"
        );
        assert_eq!(html_to_text("x<br>y<script>no</script>"), "x y");
        assert_eq!(html_to_text("if a<b then"), "if a<b then");
        assert_eq!(html_to_text("<a href=http://x/\">y</a>"), "y");
    }

    #[test]
    fn urls_resolved() {
        let base = Url::parse("http://example.com/a/b.html").unwrap();
        assert_eq!(
            resolve_urls(
                "<a href=\"c.html\">x</a><img src='/i.png' alt=\"y\"><a href=\"http://o/\">",
                &base
            ),
            "<a href=\"http://example.com/a/c.html\">x</a><img src='http://example.com/i.png' alt=\"y\"><a href=\"http://o/\">"
        );
        assert_eq!(resolve_url("../x", Some(&base)), "http://example.com/x");
    }
}
