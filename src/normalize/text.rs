//! Character-level normalization of one line of text.
//!
//! In: a line as published (any Unicode, typographic quotes and dashes, odd spaces, entities).
//! Out: the *clean* form (NFKC, one form of quotes, dashes and spaces; case kept, for people and
//! diffs) and the *key* form (the clean form case-folded and cut into word tokens, for fingerprints).

use unicode_normalization::{IsNormalized, UnicodeNormalization};

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
    if c.is_ascii() {
        return match ASCII_CLASS[c as usize] {
            KEEP => Some(c),
            SPACE => Some(' '),
            QUOTE => Some('\''),
            _ => None,
        };
    }
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
    if decoded.is_ascii() {
        return clean_ascii(decoded.as_bytes());
    }
    // Most lines are NFKC already (the quick check says so without composing anything): then
    // normalizing would give back the same characters.
    if unicode_normalization::is_nfkc_quick(decoded.chars()) == IsNormalized::Yes {
        clean_chars(decoded.chars(), decoded.len())
    } else {
        clean_chars(decoded.nfkc(), decoded.len())
    }
}

/// The canonical characters, runs of spaces collapsed, trimmed.
fn clean_chars(chars: impl Iterator<Item = char>, capacity: usize) -> String {
    let mut out = String::with_capacity(capacity);
    let mut pending_space = false;
    for c in chars.filter_map(canonical_char) {
        if c == ' ' {
            pending_space = !out.is_empty();
            continue;
        }
        if pending_space {
            out.push(' ');
            pending_space = false;
        }
        if c == '…' {
            out.push_str("...");
        } else {
            out.push(c);
        }
    }
    out
}

/// What [`canonical_char`] does to each ASCII byte: keep it, turn it into a space, drop it, or
/// make it a straight single quote. (The test of the fast paths checks the table against the
/// character rules.)
const KEEP: u8 = 0;
const SPACE: u8 = 1;
const DROP: u8 = 2;
const QUOTE: u8 = 3;
const ASCII_CLASS: [u8; 128] = {
    let mut t = [KEEP; 128];
    let mut b = 0;
    while b < 128 {
        let c = b as u8 as char;
        t[b] = if c.is_ascii_whitespace() || b == 0x0b {
            SPACE
        } else if c.is_ascii_control() {
            DROP
        } else if c == '`' {
            QUOTE
        } else {
            KEEP
        };
        b += 1;
    }
    t
};

/// [`clean_line`] for an ASCII line (NFKC changes no ASCII character).
fn clean_ascii(line: &[u8]) -> String {
    // Most lines need nothing done: no control characters, tabs or backquotes, and single
    // spaces between words only.
    let odd = line.iter().fold(false, |acc, &b| {
        acc | (b < b' ') | (b == 0x7f) | (b == b'`')
    });
    let doubled = line
        .iter()
        .zip(line.iter().skip(1))
        .fold(false, |acc, (&a, &b)| acc | ((a == b' ') & (b == b' ')));
    if !odd && !doubled && line.first() != Some(&b' ') && line.last() != Some(&b' ') {
        return String::from_utf8(line.to_vec()).expect("ASCII bytes are UTF-8");
    }
    let mut out = Vec::with_capacity(line.len());
    let mut pending_space = false;
    for &b in line {
        let b = match ASCII_CLASS[b as usize] {
            KEEP => b,
            QUOTE => b'\'',
            SPACE => {
                pending_space = !out.is_empty();
                continue;
            }
            _ => continue,
        };
        if pending_space {
            out.push(b' ');
            pending_space = false;
        }
        out.push(b);
    }
    String::from_utf8(out).expect("ASCII bytes are UTF-8")
}

/// Hash of one word token (its case-folded UTF-8 bytes), stable across versions and platforms.
///
/// Stored fingerprints and line hashes depend on it: changing it means re-fingerprinting a store.
#[inline]
pub fn token_hash(word: &str) -> u64 {
    token_hash_bytes(word.as_bytes())
}

const K0: u64 = 0xa076_1d64_78bd_642f;
const K1: u64 = 0xe703_7ed1_a0b4_28db;
const K2: u64 = 0x8ebc_6af0_9c88_c6e3;

/// The 128-bit product of two words, high and low halves xored.
#[inline]
const fn fold_mul(a: u64, b: u64) -> u64 {
    let p = (a as u128).wrapping_mul(b as u128);
    (p as u64) ^ ((p >> 64) as u64)
}

/// Hash of a token of `len` ≤ 16 bytes given as two little-endian words, zero past the token.
#[inline]
pub(crate) const fn hash_token_words(lo: u64, hi: u64, len: usize) -> u64 {
    fold_mul(fold_mul(lo ^ K0, hi ^ K1 ^ len as u64), K2)
}

/// Bytes `from..to` (at most 16) of `b` as two little-endian words, zero-padded.
#[inline]
const fn le_words(b: &[u8], from: usize, to: usize) -> (u64, u64) {
    let (mut lo, mut hi) = (0u64, 0u64);
    let mut i = from;
    while i < to {
        let k = i - from;
        if k < 8 {
            lo |= (b[i] as u64) << (8 * k);
        } else {
            hi |= (b[i] as u64) << (8 * (k - 8));
        }
        i += 1;
    }
    (lo, hi)
}

/// [`token_hash`] of bytes: 16 bytes at a time, each piece zero-padded. A `const fn`, so tables of
/// phrase words can be hashed when the program is compiled.
pub(crate) const fn token_hash_bytes(b: &[u8]) -> u64 {
    if b.len() <= 16 {
        let (lo, hi) = le_words(b, 0, b.len());
        return hash_token_words(lo, hi, b.len());
    }
    let mut h = b.len() as u64;
    let mut at = 0;
    while at < b.len() {
        let end = if at + 16 < b.len() { at + 16 } else { b.len() };
        let (lo, hi) = le_words(b, at, end);
        h = fold_mul(lo ^ K0 ^ h, hi ^ K1);
        at = end;
    }
    fold_mul(h, K2)
}

/// Hash of a line's key form from its token hashes: the same for lines that differ only in case,
/// punctuation, quotes or spacing.
pub fn key_hash_of_tokens(tokens: &[u64]) -> u64 {
    let mut h = K2 ^ tokens.len() as u64;
    for &t in tokens {
        h = (h.rotate_left(23) ^ t).wrapping_mul(K0);
    }
    fold_mul(h, K1)
}

/// Hash of the key form of a clean line ([`key_hash_of_tokens`] of its tokens).
pub fn key_hash(clean: &str) -> u64 {
    let mut tokens = Vec::new();
    for_each_token(clean, |t| tokens.push(token_hash(t)));
    key_hash_of_tokens(&tokens)
}

/// Cuts a clean line into case-folded word tokens and calls `f` with each one.
///
/// A token is a run of letters and digits; `.` and `,` between digits (16,000 or 1.5) stay part
/// of the token, other punctuation separates tokens.
pub fn for_each_token(clean: &str, mut f: impl FnMut(&str)) {
    let mut buf = String::with_capacity(32);
    let bytes = clean.as_bytes();
    if clean.is_ascii() {
        let n = bytes.len();
        let mut i = 0;
        while i < n {
            if !bytes[i].is_ascii_alphanumeric() {
                i += 1;
                continue;
            }
            let start = i;
            i += 1;
            while i < n
                && (bytes[i].is_ascii_alphanumeric()
                    || (matches!(bytes[i], b',' | b'.')
                        && bytes[i - 1].is_ascii_digit()
                        && bytes.get(i + 1).is_some_and(u8::is_ascii_digit)))
            {
                i += 1;
            }
            buf.clear();
            buf.push_str(&clean[start..i]);
            buf.make_ascii_lowercase();
            f(&buf);
        }
        return;
    }
    let mut prev_digit = false;
    let mut chars = clean.chars().peekable();
    while let Some(c) = chars.next() {
        // ASCII letters and digits by the table, the rest by Unicode's rules.
        let lower = if c.is_ascii() {
            ASCII_LOWER[c as usize]
        } else {
            0
        };
        if lower != 0 {
            prev_digit = lower.is_ascii_digit();
            buf.push(lower as char);
        } else if !c.is_ascii() && c.is_alphanumeric() {
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
    if !buf.is_empty() {
        f(&buf);
    }
}

/// ASCII letters and digits lower-cased; 0 for every other byte.
const ASCII_LOWER: [u8; 128] = {
    let mut t = [0u8; 128];
    let mut b = 0;
    while b < 128 {
        let c = b as u8;
        if c.is_ascii_alphanumeric() {
            t[b] = c.to_ascii_lowercase();
        }
        b += 1;
    }
    t
};

/// Appends the key form of a clean line to `key` (see [`key_form`]) and the [`token_hash`] of
/// each of its tokens to `hashes`: the reference the tests hold the fast paths to. (`normalize`
/// tokenizes with `plain` or [`for_each_token`] and builds a key only when the rules need it.)
#[cfg(test)]
pub(crate) fn tokenize(clean: &str, key: &mut String, hashes: &mut Vec<u64>) {
    for_each_token(clean, |t| {
        if !key.is_empty() {
            key.push(' ');
        }
        key.push_str(t);
        hashes.push(token_hash(t));
    });
}

/// True for the ASCII bytes [`char::is_whitespace`] (and so `split_whitespace`) takes for space:
/// [`u8::is_ascii_whitespace`]'s and the vertical tab.
pub(crate) const fn is_space_byte(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
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

    /// Lines of ASCII and other characters, spaces, controls, digits and separators mixed.
    fn odd_lines() -> Vec<String> {
        let parts = [
            "a", "Bc", "DEF", "1", "42", "3.5", ",", ".", " ", "  ", "\t", "\u{b}", "\u{c}", "\r",
            "\u{0}", "\u{1f}", "\u{7f}", "`", "'", "\"", "-", "é", "ß", "İ", "\u{a0}", "\u{2019}",
            "\u{201c}", "\u{2014}", "\u{2026}", "\u{fb01}", "\u{200b}", "\u{ad}", "中", "١", "&",
            "&amp;", "&#8220;",
        ];
        let mut st = 7u64;
        let mut lines: Vec<String> = (0..128u8)
            .map(|b| format!("x{}y 1{}2", b as char, b as char))
            .collect();
        for i in 0..20_000 {
            let mut line = String::new();
            for _ in 0..i % 13 {
                st = st
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                // Every other line ASCII only, for the fast paths.
                let n = if i % 2 == 0 { parts.len() } else { 20 };
                line.push_str(parts[(st >> 33) as usize % n]);
            }
            lines.push(line);
        }
        lines
    }

    /// The ASCII tables say what the character rules say of every ASCII character.
    #[test]
    fn ascii_tables_follow_the_character_rules() {
        for b in 0..128u8 {
            let c = b as char;
            let by_rules = if c == '`' {
                Some('\'')
            } else if c.is_whitespace() {
                Some(' ')
            } else if c.is_control() {
                None
            } else {
                Some(c)
            };
            assert_eq!(canonical_char(c), by_rules, "{b}");
            let lower = c
                .is_alphanumeric()
                .then(|| c.to_lowercase().next().unwrap());
            assert_eq!(
                (ASCII_LOWER[b as usize] != 0).then_some(ASCII_LOWER[b as usize] as char),
                lower,
                "{b}"
            );
        }
    }

    #[test]
    fn the_ascii_fast_paths_agree_with_the_general_rules() {
        for line in odd_lines() {
            let decoded = decode_entities(&line);
            let general = clean_chars(decoded.nfkc(), line.len());
            assert_eq!(clean_line(&line), general, "{line:?}");
            if decoded.is_ascii() {
                assert_eq!(
                    clean_ascii(decoded.as_bytes()),
                    clean_chars(decoded.chars(), 0)
                );
            }
            let want = reference_tokens(&general);
            let (mut key, mut hashes) = (String::new(), Vec::new());
            tokenize(&general, &mut key, &mut hashes);
            assert_eq!(key, want.join(" "), "{general:?}");
            assert_eq!(key_form(&general), key, "{general:?}");
            let want_hashes: Vec<u64> = want.iter().map(|t| token_hash(t)).collect();
            assert_eq!(hashes, want_hashes, "{general:?}");
        }
    }

    /// The token rule of [`for_each_token`]'s documentation, written out plainly and apart from
    /// its two paths: a character is part of a token when it is a letter or digit
    /// ([`char::is_alphanumeric`]), or a `.` or `,` with a digit ([`char::is_numeric`]) on each
    /// side; each character is lower-cased on its own.
    fn reference_tokens(clean: &str) -> Vec<String> {
        let chars: Vec<char> = clean.chars().collect();
        let digit_at = |i: usize| chars.get(i).is_some_and(|c| c.is_numeric());
        let in_token = |i: usize| {
            chars[i].is_alphanumeric()
                || (matches!(chars[i], '.' | ',') && i > 0 && digit_at(i - 1) && digit_at(i + 1))
        };
        let mut tokens = Vec::new();
        let mut current = String::new();
        for (i, c) in chars.iter().enumerate() {
            if in_token(i) {
                current.extend(c.to_lowercase());
            } else if !current.is_empty() {
                tokens.push(std::mem::take(&mut current));
            }
        }
        if !current.is_empty() {
            tokens.push(current);
        }
        tokens
    }

    /// Tokens of lines in several scripts, written out by hand.
    #[test]
    fn tokens_of_mixed_scripts_are_the_ones_written_by_hand() {
        let cases: &[(&str, &[&str])] = &[
            ("Straße, ÉTÉ 2,5 km", &["straße", "été", "2,5", "km"]),
            (
                "Köln: 1.200 Gäste, 3. Tag",
                &["köln", "1.200", "gäste", "3", "tag"],
            ),
            (
                "Ölpreis 2, dann 1,x und ,5",
                &["ölpreis", "2", "dann", "1", "x", "und", "5"],
            ),
            ("中文 新闻, ١٢,٣ ok", &["中文", "新闻", "١٢,٣", "ok"]),
            ("ΣΟΦΟΣ – Ωmega", &["σοφοσ", "ωmega"]),
            ("İzmir’s café-bar", &["i\u{307}zmir", "s", "café", "bar"]),
            ("é1.2.3é v2.0.", &["é1.2.3é", "v2.0"]),
        ];
        for (line, want) in cases {
            let mut got = Vec::new();
            for_each_token(line, |t| got.push(t.to_string()));
            assert_eq!(got, *want, "{line:?}");
            assert_eq!(reference_tokens(line), *want, "the reference, {line:?}");
        }
    }

    /// The token hashes and spans a plain path found in a clean line are the general tokenizer's.
    fn assert_general_tokens(clean: &str, hashes: &[u64], spans: &[(u32, u32)]) {
        let (mut key, mut want) = (String::new(), Vec::new());
        tokenize(clean, &mut key, &mut want);
        assert_eq!(hashes, want, "{clean:?}");
        let words: Vec<String> = spans
            .iter()
            .map(|&(s, e)| clean[s as usize..e as usize].to_ascii_lowercase())
            .collect();
        assert_eq!(words.join(" "), key, "{clean:?}");
    }

    #[test]
    fn the_plain_line_path_agrees_with_the_general_rules() {
        use super::super::plain::{Scratch, tokenize_plain};
        let mut scratch = Scratch::default();
        let mut plain_lines = 0;
        let mut lines = odd_lines();
        // Long lines and long tokens: several 64-byte words, tokens across their boundaries.
        for n in [15usize, 16, 17, 63, 64, 65, 130] {
            lines.push(format!("{} 1,{} end", "x".repeat(n), "9".repeat(n)));
            lines.push(format!("{}. Next", "Ab1 ".repeat(n).trim_end()));
        }
        for line in lines {
            let (mut hashes, mut spans) = (Vec::new(), Vec::new());
            if !tokenize_plain(&line, &mut scratch, &mut hashes, &mut spans, usize::MAX) {
                continue;
            }
            plain_lines += 1;
            let clean = clean_line(&line);
            assert_eq!(clean, line, "a plain line is its own clean form");
            assert_general_tokens(&clean, &hashes, &spans);
        }
        assert!(plain_lines > 1_000, "{plain_lines} plain lines");
    }

    #[test]
    fn every_clean_ascii_line_takes_the_plain_path() {
        use super::super::plain::{Scratch, tokenize_clean};
        let mut scratch = Scratch::default();
        let mut checked = 0;
        for line in odd_lines() {
            let clean = clean_line(&line);
            if clean.is_empty() || !clean.is_ascii() {
                continue;
            }
            let (mut hashes, mut spans) = (Vec::new(), Vec::new());
            assert!(
                tokenize_clean(&clean, &mut scratch, &mut hashes, &mut spans, usize::MAX),
                "{clean:?}"
            );
            assert_general_tokens(&clean, &hashes, &spans);
            checked += 1;
        }
        assert!(checked > 5_000, "{checked} clean ASCII lines");
    }

    #[test]
    fn token_hashes_of_long_tokens_and_keys() {
        assert_ne!(token_hash("a"), token_hash("a\0"));
        let long = "x".repeat(40);
        assert_ne!(token_hash(&long), token_hash(&long[..39]));
        assert_eq!(
            key_hash("It's  OVER, he said"),
            key_hash("it s over he said")
        );
        assert_ne!(key_hash("over he said"), key_hash("he said over"));
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
