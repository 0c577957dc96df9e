//! Story features: a clean text → what survives rewriting.
//!
//! In: an article's clean paragraphs and title. Out: [`StoryFeatures`]: word terms with their
//! counts, and two kinds of features that rewrites keep even when they share no sentence: names
//! (capitalised words inside sentences) and figures (numbers, by value). Everything is hashed to
//! 32 bits; weights come later, from the store's document frequencies ([`super::Weights`]).

use crate::normalize::text::for_each_token;
use xxhash_rust::xxh3::xxh3_64;

/// Feature ids are already hashes: a multiply spreads them.
type FastHash = std::hash::BuildHasherDefault<crate::cluster::AnchorHasher>;

/// The kind of a feature, mixed into its hash so a name, a term and a figure never collide.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    Term,
    Name,
    Figure,
}

/// A feature's 32-bit id.
pub fn feature_id(kind: Kind, text: &str) -> u32 {
    let tag: &[u8] = match kind {
        Kind::Term => b"t:",
        Kind::Name => b"n:",
        Kind::Figure => b"f:",
    };
    let mut buf = Vec::with_capacity(tag.len() + text.len());
    buf.extend_from_slice(tag);
    buf.extend_from_slice(text.as_bytes());
    (xxh3_64(&buf) >> 32) as u32
}

/// The features of one article: (feature id, kind, count), sorted by id.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StoryFeatures {
    pub features: Vec<(u32, Kind, u32)>,
}

/// Words shorter than this are not terms (articles, prepositions, pronouns in most languages).
const MIN_TERM_CHARS: usize = 4;

/// A figure's canonical value: digits only, decimal point kept ("16,000" → "16000", "1.5" → "1.5").
pub fn figure_value(token: &str) -> Option<String> {
    if !token.chars().next().is_some_and(|c| c.is_ascii_digit())
        || !token
            .chars()
            .all(|c| c.is_ascii_digit() || c == ',' || c == '.')
    {
        return None;
    }
    // "16,000" and "16.000" are thousands; "1.5" and "2,5" with one or two decimals are fractions.
    let groups: Vec<&str> = token.split([',', '.']).collect();
    let thousands = groups.len() > 1 && groups[1..].iter().all(|g| g.len() == 3);
    let v = if thousands {
        groups.concat()
    } else if groups.len() == 2 {
        format!("{}.{}", groups[0], groups[1])
    } else {
        groups.concat()
    };
    let v = v.trim_start_matches('0');
    Some(if v.is_empty() || v.starts_with('.') {
        format!("0{v}")
    } else {
        v.to_string()
    })
}

/// Extracts the features of an article from its clean title and paragraphs.
pub fn extract<'a>(
    title: Option<&str>,
    paragraphs: impl IntoIterator<Item = &'a str>,
) -> StoryFeatures {
    let mut counts: std::collections::HashMap<(u32, Kind), u32, FastHash> =
        std::collections::HashMap::default();
    let mut add = |kind: Kind, text: &str, n: u32| {
        *counts.entry((feature_id(kind, text), kind)).or_default() += n;
    };
    let mut texts: Vec<&str> = Vec::new();
    if let Some(t) = title {
        texts.push(t);
    }
    let body: Vec<&str> = paragraphs.into_iter().collect();
    for (i, text) in title.into_iter().chain(body.iter().copied()).enumerate() {
        let is_title = title.is_some() && i == 0;
        // Title words count double: the headline says what the story is.
        let weight = if is_title { 2 } else { 1 };
        for_each_token(text, |t| {
            if let Some(v) = figure_value(t) {
                // One- and two-digit numbers are too common to say anything.
                if v.len() >= 3 || v.contains('.') {
                    add(Kind::Figure, &v, weight);
                }
            } else if t.chars().count() >= MIN_TERM_CHARS && !t.chars().all(|c| c.is_numeric()) {
                add(Kind::Term, t, weight);
            }
        });
        if !is_title {
            for name in names(text) {
                add(Kind::Name, &name, 1);
            }
        }
    }
    let mut features: Vec<(u32, Kind, u32)> =
        counts.into_iter().map(|((id, k), n)| (id, k, n)).collect();
    features.sort_unstable_by_key(|f| (f.0, f.1 as u8));
    StoryFeatures { features }
}

/// Capitalised words that are not the first word of a sentence, lower-cased: the names a text
/// mentions ("Crocus", "Patrushev", "Kyiv").
pub fn names(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut sentence_start = true;
    for word in text.split_whitespace() {
        let trimmed = word.trim_matches(|c: char| !c.is_alphanumeric());
        let first = trimmed.chars().next();
        if let Some(c) = first
            && c.is_uppercase()
            && !sentence_start
            && trimmed.chars().count() >= 3
            && trimmed.chars().skip(1).any(|c| c.is_lowercase())
        {
            // "Moscow's" → "moscow"
            let base = trimmed.split(['\'', '\u{2019}']).next().unwrap_or(trimmed);
            out.push(base.to_lowercase());
        }
        sentence_start = word.ends_with(['.', '!', '?', ':', '"']) || word.starts_with('"');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_are_normalized_by_value() {
        assert_eq!(figure_value("16,000").as_deref(), Some("16000"));
        assert_eq!(figure_value("16.000").as_deref(), Some("16000"));
        assert_eq!(figure_value("1.5").as_deref(), Some("1.5"));
        assert_eq!(figure_value("144").as_deref(), Some("144"));
        assert_eq!(figure_value("abc"), None);
    }

    #[test]
    fn names_skip_sentence_starts() {
        assert_eq!(
            names("The attack on Crocus City Hall. Moscow's officials met Patrushev."),
            ["crocus", "city", "hall", "patrushev"]
        );
    }
}
