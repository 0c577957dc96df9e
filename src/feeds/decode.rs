//! Decoding: raw bytes of a feed or a web page → UTF-8 text, and which encoding was used and why.
//!
//! In: the bytes as fetched, the HTTP `Content-Type` if there was one, and whether the document is
//! XML (a feed, OPML) or HTML (a page). Out: a [`Decoded`]: the text (without a byte order mark),
//! the [`Charset`] used, the [`EncodingSource`] that chose it, and notes when a declaration was
//! overruled.
//!
//! The order of evidence: a byte order mark; the byte pattern of an unmarked UTF-16/UTF-32 XML
//! document (`<` followed or preceded by zero bytes); the `charset` of the `Content-Type`; the
//! document's own declaration (`<?xml encoding=…?>` for XML; `<meta charset>` or
//! `<meta http-equiv="Content-Type">` for HTML, then the XML declaration); detection (valid UTF-8
//! stays UTF-8, anything else is guessed by `chardetng`). A declaration is overruled in two
//! cases only, both noted: the bytes are valid UTF-8 with non-ASCII characters although a legacy
//! encoding was declared (a server default such as ISO-8859-1 in front of UTF-8 content), or the
//! bytes are not valid in the declared UTF-8 (legacy bytes behind a wrong label). A declared UTF-16
//! is ignored when the bytes are plainly 8-bit.
//!
//! After decoding an XML document, [`strip_xml_encoding`] removes the `encoding` pseudo-attribute
//! of its XML declaration, so that a later XML parser does not decode the text a second time.

use chardetng::{EncodingDetector, Iso2022JpDetection, Utf8Detection};
use encoding_rs::Encoding;
use std::fmt;

/// What kind of document the bytes are: it decides which in-document declarations are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocumentKind {
    /// A feed or OPML file: the XML declaration counts.
    Xml,
    /// A web page: `<meta charset>` and `<meta http-equiv>` count, then an XML declaration.
    Html,
}

/// A character encoding: one of encoding_rs's (the WHATWG set), or UTF-32, which encoding_rs
/// does not decode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Charset {
    Encoding(&'static Encoding),
    Utf32Le,
    Utf32Be,
}

impl Charset {
    /// The canonical name: encoding_rs's name ("UTF-8", "windows-1252", "UTF-16BE") or
    /// "UTF-32LE"/"UTF-32BE".
    pub fn name(&self) -> &'static str {
        match self {
            Charset::Encoding(e) => e.name(),
            Charset::Utf32Le => "UTF-32LE",
            Charset::Utf32Be => "UTF-32BE",
        }
    }

    /// The charset a label names ("latin1", "utf-8", "UTF-32"), if it is one we know.
    pub fn for_label(label: &str) -> Option<Charset> {
        let l = label.trim().trim_matches(|c| c == '"' || c == '\'');
        match l.to_ascii_lowercase().as_str() {
            "utf-32" | "utf32" | "ucs-4" | "utf-32be" => Some(Charset::Utf32Be),
            "utf-32le" => Some(Charset::Utf32Le),
            // encoding_rs decodes GBK with its GB18030 decoder; name it by the superset.
            _ => Encoding::for_label(l.as_bytes()).map(|e| {
                Charset::Encoding(if e == encoding_rs::GBK {
                    encoding_rs::GB18030
                } else {
                    e
                })
            }),
        }
    }

    fn is_utf16_or_32(&self) -> bool {
        match self {
            Charset::Encoding(e) => *e == encoding_rs::UTF_16LE || *e == encoding_rs::UTF_16BE,
            _ => true,
        }
    }
}

impl fmt::Display for Charset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl serde::Serialize for Charset {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

/// Which piece of evidence chose the encoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EncodingSource {
    /// A byte order mark.
    ByteOrderMark,
    /// The zero bytes around the first `<` of an unmarked UTF-16 or UTF-32 document.
    BytePattern,
    /// The `charset` parameter of the HTTP `Content-Type`.
    ContentType,
    /// The `encoding` of the XML declaration.
    XmlDeclaration,
    /// An HTML `<meta charset>` or `<meta http-equiv="Content-Type">`.
    HtmlMeta,
    /// Nothing was declared (or a declaration did not fit): the bytes are valid UTF-8.
    ValidUtf8,
    /// Nothing usable was declared: chardetng guessed from the bytes.
    Detected,
}

/// Decoded text and how it was decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decoded {
    /// The text, without a byte order mark.
    pub text: String,
    pub charset: Charset,
    pub source: EncodingSource,
    /// Bytes that were not valid in the chosen encoding were replaced by U+FFFD.
    pub replaced_invalid: bool,
    /// Declarations that were ignored or overruled, and why (empty when all evidence agreed).
    pub notes: Vec<String>,
}

/// Decodes `bytes` into UTF-8 text (see the module documentation for the order of evidence).
pub fn decode(bytes: &[u8], content_type: Option<&str>, kind: DocumentKind) -> Decoded {
    let mut notes = Vec::new();

    if let Some((charset, bom_len)) = sniff_bom(bytes) {
        let (text, replaced) = decode_with(charset, &bytes[bom_len..]);
        return Decoded {
            text,
            charset,
            source: EncodingSource::ByteOrderMark,
            replaced_invalid: replaced,
            notes,
        };
    }
    if let Some(charset) = sniff_wide_pattern(bytes) {
        let (text, replaced) = decode_with(charset, bytes);
        return Decoded {
            text: strip_leading_bom(text),
            charset,
            source: EncodingSource::BytePattern,
            replaced_invalid: replaced,
            notes,
        };
    }

    let mut declared: Vec<(EncodingSource, String)> = Vec::new();
    if let Some(label) = content_type.and_then(charset_param) {
        declared.push((EncodingSource::ContentType, label.to_string()));
    }
    if kind == DocumentKind::Html
        && let Some(label) = sniff_html_meta(bytes)
    {
        declared.push((EncodingSource::HtmlMeta, label));
    }
    if let Some(label) = sniff_xml_declaration(bytes) {
        declared.push((EncodingSource::XmlDeclaration, label));
    }

    for (source, label) in declared {
        let Some(charset) = Charset::for_label(&label) else {
            notes.push(format!(
                "{}: unknown encoding {label:?}",
                source_name(source)
            ));
            continue;
        };
        if charset.is_utf16_or_32() {
            notes.push(format!(
                "{}: {label:?} ignored, the bytes are not {}",
                source_name(source),
                charset.name()
            ));
            continue;
        }
        let Charset::Encoding(encoding) = charset else {
            continue;
        };
        if encoding != encoding_rs::UTF_8 {
            if !bytes.is_ascii() && std::str::from_utf8(bytes).is_ok() {
                notes.push(format!(
                    "{}: {label:?} overruled, the bytes are valid UTF-8",
                    source_name(source)
                ));
                return utf8(bytes, EncodingSource::ValidUtf8, notes);
            }
        } else if std::str::from_utf8(bytes).is_err() {
            notes.push(format!(
                "{}: {label:?} ignored, the bytes are not valid UTF-8",
                source_name(source)
            ));
            continue;
        }
        let (text, replaced) = decode_with(charset, bytes);
        return Decoded {
            text,
            charset,
            source,
            replaced_invalid: replaced,
            notes,
        };
    }

    if std::str::from_utf8(bytes).is_ok() {
        return utf8(bytes, EncodingSource::ValidUtf8, notes);
    }
    let guess = guess_legacy(bytes);
    let (text, replaced) = decode_with(Charset::Encoding(guess), bytes);
    Decoded {
        text,
        charset: Charset::Encoding(guess),
        source: EncodingSource::Detected,
        replaced_invalid: replaced,
        notes,
    }
}

fn source_name(source: EncodingSource) -> &'static str {
    match source {
        EncodingSource::ContentType => "Content-Type charset",
        EncodingSource::XmlDeclaration => "XML declaration",
        EncodingSource::HtmlMeta => "HTML meta charset",
        EncodingSource::ByteOrderMark => "byte order mark",
        EncodingSource::BytePattern => "byte pattern",
        EncodingSource::ValidUtf8 => "UTF-8 check",
        EncodingSource::Detected => "detection",
    }
}

fn utf8(bytes: &[u8], source: EncodingSource, notes: Vec<String>) -> Decoded {
    let text = String::from_utf8_lossy(bytes).into_owned();
    Decoded {
        text: strip_leading_bom(text),
        charset: Charset::Encoding(encoding_rs::UTF_8),
        source,
        replaced_invalid: false,
        notes,
    }
}

/// chardetng's guess for bytes that are not valid UTF-8.
fn guess_legacy(bytes: &[u8]) -> &'static Encoding {
    let mut detector = EncodingDetector::new(Iso2022JpDetection::Deny);
    detector.feed(bytes, true);
    detector.guess(None, Utf8Detection::Allow)
}

fn strip_leading_bom(mut text: String) -> String {
    if text.starts_with('\u{feff}') {
        text.drain(..'\u{feff}'.len_utf8());
    }
    text
}

/// Decodes with a known charset; true when invalid bytes were replaced.
fn decode_with(charset: Charset, bytes: &[u8]) -> (String, bool) {
    match charset {
        Charset::Encoding(e) => {
            let (text, had_errors) = e.decode_without_bom_handling(bytes);
            (text.into_owned(), had_errors)
        }
        Charset::Utf32Le | Charset::Utf32Be => {
            let mut out = String::with_capacity(bytes.len() / 4);
            let mut replaced = !bytes.len().is_multiple_of(4);
            for chunk in bytes.chunks_exact(4) {
                let arr = [chunk[0], chunk[1], chunk[2], chunk[3]];
                let v = if charset == Charset::Utf32Le {
                    u32::from_le_bytes(arr)
                } else {
                    u32::from_be_bytes(arr)
                };
                match char::from_u32(v) {
                    Some(c) => out.push(c),
                    None => {
                        out.push('\u{fffd}');
                        replaced = true;
                    }
                }
            }
            (out, replaced)
        }
    }
}

/// A byte order mark and its length.
fn sniff_bom(bytes: &[u8]) -> Option<(Charset, usize)> {
    if bytes.starts_with(&[0x00, 0x00, 0xFE, 0xFF]) {
        Some((Charset::Utf32Be, 4))
    } else if bytes.starts_with(&[0xFF, 0xFE, 0x00, 0x00]) {
        Some((Charset::Utf32Le, 4))
    } else if bytes.starts_with(&[0xEF, 0xBB, 0xBF]) {
        Some((Charset::Encoding(encoding_rs::UTF_8), 3))
    } else if bytes.starts_with(&[0xFF, 0xFE]) {
        Some((Charset::Encoding(encoding_rs::UTF_16LE), 2))
    } else if bytes.starts_with(&[0xFE, 0xFF]) {
        Some((Charset::Encoding(encoding_rs::UTF_16BE), 2))
    } else {
        None
    }
}

/// An unmarked UTF-16 or UTF-32 document, told by the zero bytes around its first ASCII
/// character (XML 1.0, appendix F).
fn sniff_wide_pattern(bytes: &[u8]) -> Option<Charset> {
    match bytes {
        [0, 0, 0, b, ..] if *b != 0 => Some(Charset::Utf32Be),
        [b, 0, 0, 0, ..] if *b != 0 => Some(Charset::Utf32Le),
        [0, b, 0, c, ..] if *b != 0 && *c != 0 => Some(Charset::Encoding(encoding_rs::UTF_16BE)),
        [b, 0, c, 0, ..] if *b != 0 && *c != 0 => Some(Charset::Encoding(encoding_rs::UTF_16LE)),
        _ => None,
    }
}

/// The `charset` parameter of a `Content-Type` value.
pub fn charset_param(content_type: &str) -> Option<&str> {
    content_type.split(';').skip(1).find_map(|param| {
        let (name, value) = param.split_once('=')?;
        if !name.trim().eq_ignore_ascii_case("charset") {
            return None;
        }
        let value = value.trim().trim_matches(|c| c == '"' || c == '\'').trim();
        (!value.is_empty()).then_some(value)
    })
}

/// The `encoding` of an XML declaration at the start of ASCII-compatible bytes.
fn sniff_xml_declaration(bytes: &[u8]) -> Option<String> {
    let head = &bytes[..bytes.len().min(1024)];
    let start = head.iter().position(|b| !b.is_ascii_whitespace())?;
    let head = &head[start..];
    if !head.starts_with(b"<?xml") {
        return None;
    }
    let end = find(head, b"?>")?;
    let decl = &head[..end];
    let at = find(decl, b"encoding")?;
    let rest = &decl[at + "encoding".len()..];
    let rest = trim_ascii_start(rest);
    let rest = trim_ascii_start(rest.strip_prefix(b"=")?);
    let quote = *rest.first()?;
    if quote != b'"' && quote != b'\'' {
        return None;
    }
    let value = &rest[1..];
    let close = value.iter().position(|&b| b == quote)?;
    let label = std::str::from_utf8(&value[..close]).ok()?.trim();
    (!label.is_empty()).then(|| label.to_string())
}

/// The charset named by `<meta charset>` or `<meta http-equiv="Content-Type" content=…>` in the
/// first 4 KiB of an HTML page.
fn sniff_html_meta(bytes: &[u8]) -> Option<String> {
    let head = bytes[..bytes.len().min(4096)].to_ascii_lowercase();
    let mut from = 0;
    while let Some(i) = find(&head[from..], b"<meta") {
        let tag_start = from + i;
        let tag_end = head[tag_start..]
            .iter()
            .position(|&b| b == b'>')
            .map_or(head.len(), |e| tag_start + e);
        let tag = &head[tag_start..tag_end];
        if let Some(c) = find(tag, b"charset") {
            let rest = trim_ascii_start(&tag[c + "charset".len()..]);
            if let Some(rest) = rest.strip_prefix(b"=") {
                let rest = trim_ascii_start(rest);
                let rest = rest.strip_prefix(b"\"").unwrap_or(rest);
                let rest = rest.strip_prefix(b"'").unwrap_or(rest);
                let len = rest
                    .iter()
                    .position(|&b| matches!(b, b'"' | b'\'' | b';' | b' ' | b'/' | b'>'))
                    .unwrap_or(rest.len());
                if len > 0 {
                    // Labels are ASCII and case-insensitive: the lower-cased copy will do.
                    return std::str::from_utf8(&rest[..len]).ok().map(str::to_string);
                }
            }
        }
        from = tag_end;
    }
    None
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn trim_ascii_start(b: &[u8]) -> &[u8] {
    let n = b.iter().take_while(|c| c.is_ascii_whitespace()).count();
    &b[n..]
}

/// Removes the `encoding` pseudo-attribute from the XML declaration at the start of decoded text
/// (and a byte order mark before it), so an XML parser reads the text as the UTF-8 it now is.
pub fn strip_xml_encoding(text: &str) -> std::borrow::Cow<'_, str> {
    let body = text.strip_prefix('\u{feff}').unwrap_or(text);
    let lead = body.len() - body.trim_start().len();
    let decl_text = &body[lead..];
    if !decl_text.starts_with("<?xml") {
        return if body.len() == text.len() {
            std::borrow::Cow::Borrowed(text)
        } else {
            std::borrow::Cow::Owned(body.to_string())
        };
    }
    let Some(end) = decl_text.find("?>") else {
        return std::borrow::Cow::Owned(body.to_string());
    };
    let decl = &decl_text[..end];
    let version = decl
        .find("version")
        .and_then(|v| {
            let rest = decl[v + "version".len()..].trim_start().strip_prefix('=')?;
            let rest = rest.trim_start();
            let q = rest.chars().next()?;
            let inner = &rest[q.len_utf8()..];
            let close = inner.find(q)?;
            Some(inner[..close].to_string())
        })
        .filter(|v| v == "1.0" || v == "1.1")
        .unwrap_or_else(|| "1.0".to_string());
    let mut out = String::with_capacity(body.len());
    out.push_str(&body[..lead]);
    out.push_str(&format!("<?xml version=\"{version}\"?>"));
    out.push_str(&decl_text[end + 2..]);
    std::borrow::Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn declaration_order_and_overrides() {
        let latin1 = b"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><a>caf\xe9</a>";
        let d = decode(latin1, None, DocumentKind::Xml);
        assert!(d.text.contains("café"));
        assert_eq!(d.source, EncodingSource::XmlDeclaration);

        // The header wins over the declaration.
        let d = decode(
            b"<?xml version=\"1.0\" encoding=\"utf-8\"?><a>\xe9</a>",
            Some("text/xml; charset=windows-1251"),
            DocumentKind::Xml,
        );
        assert_eq!(d.charset.name(), "windows-1251");
        assert!(d.text.contains('й'));

        // A legacy label in front of UTF-8 bytes is overruled.
        let d = decode(
            "<a>café</a>".as_bytes(),
            Some("text/xml; charset=iso-8859-1"),
            DocumentKind::Xml,
        );
        assert_eq!(d.charset.name(), "UTF-8");
        assert!(d.text.contains("café"));
        assert_eq!(d.notes.len(), 1);
    }

    #[test]
    fn wide_encodings() {
        let s = "<?xml version=\"1.0\" encoding=\"utf-16\"?><a>é</a>";
        let be: Vec<u8> = s.encode_utf16().flat_map(|u| u.to_be_bytes()).collect();
        let d = decode(&be, None, DocumentKind::Xml);
        assert_eq!(d.text, s);
        assert_eq!(d.charset.name(), "UTF-16BE");
        let mut le = vec![0xFF, 0xFE];
        le.extend(s.encode_utf16().flat_map(|u| u.to_le_bytes()));
        let d = decode(&le, None, DocumentKind::Xml);
        assert_eq!(d.text, s);
        let be32: Vec<u8> = s.chars().flat_map(|c| (c as u32).to_be_bytes()).collect();
        assert_eq!(decode(&be32, None, DocumentKind::Xml).text, s);
    }

    #[test]
    fn html_meta_and_strip() {
        let page = b"<html><head><meta http-equiv=\"Content-Type\" content=\"text/html; charset=windows-1252\"></head><body>\x93q\x94</body></html>";
        let d = decode(page, None, DocumentKind::Html);
        assert_eq!(d.source, EncodingSource::HtmlMeta);
        assert!(d.text.contains("\u{201c}q\u{201d}"));
        assert_eq!(
            strip_xml_encoding("\u{feff}<?xml version='1.0' encoding='latin1'?><a/>"),
            "<?xml version=\"1.0\"?><a/>"
        );
        assert_eq!(charset_param("text/xml; Charset=\"UTF-8\""), Some("UTF-8"));
    }

    #[test]
    fn a_declaration_with_multibyte_characters_is_not_a_panic() {
        // A multibyte character where the quote should be: no version read, 1.0 written.
        for decl in [
            "<?xml version=\u{e9}\"1.0\"?><a/>",
            "<?xml version=\u{e9}1.0\u{e9}?><a/>",
            "<?xml version=\"\u{e9}\"?><a/>",
            "<?xml version=\u{1f600}?><a/>",
            "<?xml version=\u{e9}",
            "<?xml vers\u{e9}ion=\"1.1\" encoding=\"\u{e9}\"?><a/>",
        ] {
            let out = strip_xml_encoding(decl);
            if decl.contains("?>") {
                assert!(
                    out.starts_with("<?xml version=\"1.0\"?>"),
                    "{decl:?} gave {out:?}"
                );
            }
        }
        // A multibyte quote character that does close is still read as a quote.
        assert_eq!(
            strip_xml_encoding("<?xml version=\u{e9}1.1\u{e9}?><a/>"),
            "<?xml version=\"1.1\"?><a/>"
        );
    }
}
