//! Story features: a clean text → what survives rewriting.
//!
//! In: an article's clean paragraphs and title. Out: [`StoryFeatures`]: word terms with their
//! counts, and two kinds of features that rewrites keep even when they share no sentence: names
//! (capitalised words inside sentences) and figures (numbers, by value). Everything is hashed to
//! 32 bits; weights come later, from the store's document frequencies ([`super::Weights`]).

use crate::normalize::text::for_each_token;
use xxhash_rust::xxh3::xxh3_64_with_seed;

/// The kind of a feature, mixed into its hash so a name, a term and a figure never collide.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    Term,
    Name,
    Figure,
}

/// A feature's 32-bit id.
pub fn feature_id(kind: Kind, text: &str) -> u32 {
    let seed = match kind {
        Kind::Term => 0x7465_726d,
        Kind::Name => 0x6e61_6d65,
        Kind::Figure => 0x6669_6775,
    };
    (xxh3_64_with_seed(text.as_bytes(), seed) >> 32) as u32
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
    let mut parts = Vec::new();
    if let Some(t) = title {
        parts.push(paragraph_features(t, true));
    }
    for p in paragraphs {
        parts.push(paragraph_features(p, false));
    }
    combine(parts.iter().map(Vec::as_slice))
}

/// The features of one paragraph (or of the title), not yet added up: (id, kind, weight).
/// Computed in the parallel stage; [`combine`] adds up those of the paragraphs that are kept.
pub fn paragraph_features(text: &str, is_title: bool) -> Vec<(u32, Kind, u32)> {
    let mut out = Vec::new();
    // Title words count double: the headline says what the story is.
    let weight = if is_title { 2 } else { 1 };
    for_each_token(text, |t| {
        if let Some(v) = figure_value(t) {
            // One- and two-digit numbers are too common to say anything.
            if v.len() >= 3 || v.contains('.') {
                out.push((feature_id(Kind::Figure, &v), Kind::Figure, weight));
            }
        } else if t.len() >= MIN_TERM_CHARS
            && t.chars().count() >= MIN_TERM_CHARS
            && !t.chars().all(|c| c.is_numeric())
        {
            out.push((feature_id(Kind::Term, t), Kind::Term, weight));
        }
    });
    if !is_title {
        for_each_name(text, |name| {
            out.push((feature_id(Kind::Name, name), Kind::Name, 1));
        });
    }
    out
}

/// Adds up paragraph features into an article's [`StoryFeatures`], sorted by id.
pub fn combine<'a>(parts: impl IntoIterator<Item = &'a [(u32, Kind, u32)]>) -> StoryFeatures {
    let mut all: Vec<(u32, Kind, u32)> = parts.into_iter().flatten().copied().collect();
    all.sort_unstable_by_key(|f| (f.0, f.1 as u8));
    let mut features: Vec<(u32, Kind, u32)> = Vec::with_capacity(all.len() / 2);
    for f in all {
        match features.last_mut() {
            Some(last) if last.0 == f.0 && last.1 == f.1 => last.2 += f.2,
            _ => features.push(f),
        }
    }
    StoryFeatures { features }
}

/// Calls `f` with each capitalised word that is not the first word of a sentence, lower-cased
/// (in one reused buffer): the names a text mentions ("Crocus", "Patrushev", "Kyiv").
pub fn for_each_name(text: &str, mut f: impl FnMut(&str)) {
    let mut sentence_start = true;
    let mut lower = String::new();
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
            lower.clear();
            if base.is_ascii() {
                lower.push_str(base);
                lower.make_ascii_lowercase();
            } else {
                lower.push_str(&base.to_lowercase());
            }
            f(&lower);
        }
        sentence_start = word.ends_with(['.', '!', '?', ':', '"']) || word.starts_with('"');
    }
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
        let mut names = Vec::new();
        for_each_name(
            "The attack on Crocus City Hall. Moscow's officials met Patrushev.",
            |n| names.push(n.to_string()),
        );
        assert_eq!(names, ["crocus", "city", "hall", "patrushev"]);
    }
}
