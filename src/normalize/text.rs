//! Character-level normalization of one line of text.
//!
//! In: a line as published (any Unicode, typographic quotes and dashes, odd spaces, entities).
//! Out: the *clean* form (NFKC, one form of quotes, dashes and spaces; case kept, for people and
//! diffs) and the *key* form (the clean form case-folded and cut into word tokens, for fingerprints).

use unicode_normalization::UnicodeNormalization;
use xxhash_rust::xxh3::xxh3_64;

/// Decodes HTML entities (`&amp;`, `&#8220;`, `&nbsp;`) when the text carries any.
pub fn decode_entities(s: &str) -> std::borrow::Cow<'_, str> {
    if s.contains('&') {
        html_escape::decode_html_entities(s)
    } else {
        std::borrow::Cow::Borrowed(s)
    }
}

/// Maps one character to its canonical form, or `None` to drop it.
#[inline]
fn canonical_char(c: char) -> Option<char> {
    Some(match c {
        // Quotes: one single and one double form.
        '\u{2018}' | '\u{2019}' | '\u{201A}' | '\u{201B}' | '\u{2032}' | '\u{0060}'
        | '\u{00B4}' | '\u{2039}' | '\u{203A}' => '\'',
        '\u{201C}' | '\u{201D}' | '\u{201E}' | '\u{201F}' | '\u{2033}' | '\u{00AB}'
        | '\u{00BB}' | '\u{300C}' | '\u{300D}' => '"',
        // Dashes and minus signs.
        '\u{2010}' | '\u{2011}' | '\u{2012}' | '\u{2013}' | '\u{2014}' | '\u{2015}'
        | '\u{2212}' | '\u{FE58}' | '\u{FE63}' | '\u{FF0D}' => '-',
        // Ellipsis.
        '\u{2026}' => return Some('…'),
        // Zero-width characters and soft hyphens vanish.
        '\u{200B}' | '\u{200C}' | '\u{200D}' | '\u{2060}' | '\u{FEFF}' | '\u{00AD}' => return None,
        c if c.is_whitespace() => ' ',
        c if c.is_control() => return None,
        c => c,
    })
}

/// The clean form of a line: entities decoded, NFKC, canonical quotes, dashes and spaces, runs of
/// spaces collapsed, trimmed. Case is kept.
pub fn clean_line(line: &str) -> String {
    let decoded = decode_entities(line);
    let mut out = String::with_capacity(decoded.len());
    let mut pending_space = false;
    let mut push = |c: char, out: &mut String| {
        if c == ' ' {
            pending_space = !out.is_empty();
        } else if c == '…' {
            if pending_space {
                out.push(' ');
                pending_space = false;
            }
            out.push_str("...");
        } else {
            if pending_space {
                out.push(' ');
                pending_space = false;
            }
            out.push(c);
        }
    };
    if decoded.is_ascii() {
        for c in decoded.chars() {
            if let Some(c) = canonical_char(c) {
                push(c, &mut out);
            }
        }
    } else {
        for c in decoded.nfkc() {
            if let Some(c) = canonical_char(c) {
                push(c, &mut out);
            }
        }
    }
    out
}

/// Hash of one word token, stable across versions and platforms (XXH3-64 of its UTF-8 bytes).
#[inline]
pub fn token_hash(word: &str) -> u64 {
    xxh3_64(word.as_bytes())
}

/// Cuts a clean line into case-folded word tokens and calls `f` with each one.
///
/// A token is a run of letters and digits; `.` and `,` between digits (16,000 or 1.5) stay part
/// of the token, other punctuation separates tokens.
pub fn for_each_token(clean: &str, mut f: impl FnMut(&str)) {
    let mut buf = String::with_capacity(32);
    let bytes = clean.as_bytes();
    if clean.is_ascii() {
        let mut i = 0;
        while i < bytes.len() {
            let b = bytes[i];
            if b.is_ascii_alphanumeric() {
                buf.push(b.to_ascii_lowercase() as char);
            } else if (b == b',' || b == b'.')
                && i > 0
                && bytes[i - 1].is_ascii_digit()
                && i + 1 < bytes.len()
                && bytes[i + 1].is_ascii_digit()
            {
                buf.push(b as char);
            } else if !buf.is_empty() {
                f(&buf);
                buf.clear();
            }
            i += 1;
        }
    } else {
        let mut prev_digit = false;
        let mut chars = clean.chars().peekable();
        while let Some(c) = chars.next() {
            if c.is_alphanumeric() {
                prev_digit = c.is_numeric();
                for l in c.to_lowercase() {
                    buf.push(l);
                }
            } else if (c == ',' || c == '.')
                && prev_digit
                && chars.peek().is_some_and(|n| n.is_numeric())
            {
                buf.push(c);
            } else {
                prev_digit = false;
                if !buf.is_empty() {
                    f(&buf);
                    buf.clear();
                }
            }
        }
    }
    if !buf.is_empty() {
        f(&buf);
    }
}

/// The key form of a clean line: its tokens joined by single spaces. Two lines that differ only in
/// case, punctuation, quotes or spacing have the same key.
pub fn key_form(clean: &str) -> String {
    let mut out = String::with_capacity(clean.len());
    for_each_token(clean, |t| {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(t);
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_dashes_spaces_and_entities_become_one_form() {
        assert_eq!(
            clean_line("\u{201C}Hello\u{201D}\u{00A0}\u{2014} it\u{2019}s &amp; &#8220;x&#8221;"),
            "\"Hello\" - it's & \"x\""
        );
        assert_eq!(clean_line("  a \t  b  "), "a b");
        assert_eq!(clean_line("ﬁne ①"), "fine 1");
        assert_eq!(clean_line("wait\u{2026}"), "wait...");
    }

    #[test]
    fn tokens_fold_case_and_keep_numbers_whole() {
        let mut toks = Vec::new();
        for_each_token("About 16,000 Citizens, 1.5 times; O'Brien", |t| {
            toks.push(t.to_string())
        });
        assert_eq!(
            toks,
            ["about", "16,000", "citizens", "1.5", "times", "o", "brien"]
        );
        assert_eq!(key_form("Straße ÉTÉ 2,5"), "straße été 2,5");
    }
}
