//! Story features: a clean text → what survives rewriting.
//!
//! In: an article's clean paragraphs and title. Out: [`StoryFeatures`]: word terms with their
//! counts, and two kinds of features that rewrites keep even when they share no sentence: names
//! (capitalised words inside sentences) and figures (numbers, by value). Everything is hashed to
//! 32 bits; weights come later, from the store's document frequencies ([`super::Weights`]).

use crate::normalize::plain::{Scratch, clean_token_spans, clean_word_spans};
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
    feature_id_of_bytes(kind, text.as_bytes())
}

fn feature_id_of_bytes(kind: Kind, text: &[u8]) -> u32 {
    let seed = match kind {
        Kind::Term => 0x7465_726d,
        Kind::Name => 0x6e61_6d65,
        Kind::Figure => 0x6669_6775,
    };
    (xxh3_64_with_seed(text, seed) >> 32) as u32
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
    let mut all = Vec::new();
    let mut reader = FeatureReader::default();
    if let Some(t) = title {
        reader.read(t, true, &mut all);
    }
    for p in paragraphs {
        reader.read(p, false, &mut all);
    }
    combine([all.as_slice()])
}

/// One occurrence of a feature in a paragraph, packed into a number whose order is the order of
/// (feature id, kind): the id in the high 32 bits, the kind in bits 8–9, the weight in the low 8.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Occurrence(u64);

impl Occurrence {
    fn new(id: u32, kind: Kind, weight: u8) -> Occurrence {
        Occurrence(((id as u64) << 32) | ((kind as u64) << 8) | weight as u64)
    }

    pub fn id(self) -> u32 {
        (self.0 >> 32) as u32
    }

    pub fn kind(self) -> Kind {
        match (self.0 >> 8) & 3 {
            0 => Kind::Term,
            1 => Kind::Name,
            _ => Kind::Figure,
        }
    }

    pub fn weight(self) -> u32 {
        (self.0 & 0xff) as u32
    }

    /// The id and kind: equal for two occurrences of the same feature.
    fn feature(self) -> u64 {
        self.0 >> 8
    }
}

/// Reads the features of texts, reusing its scratch space from one to the next.
#[derive(Default)]
pub struct FeatureReader {
    scratch: Scratch,
    lowered: Vec<u8>,
}

impl FeatureReader {
    /// Appends the features of one clean paragraph (or of the title) to `out`, not yet added
    /// up. Computed in the parallel stage; [`combine`] adds up those of the paragraphs that are
    /// kept.
    ///
    /// Terms are the tokens of [`for_each_token`] of four or more characters; figures the tokens
    /// [`figure_value`] reads, by value, when they have three or more digits or a decimal point;
    /// names those of [`for_each_name`] (not in titles). An ASCII paragraph's tokens are found by
    /// the normalizer's plain tokenizer, which finds the same ones.
    pub fn read(&mut self, text: &str, is_title: bool, out: &mut Vec<Occurrence>) {
        // Title words count double: the headline says what the story is.
        let weight = if is_title { 2 } else { 1 };
        let clean = if let Some(spans) = clean_token_spans(text, &mut self.scratch) {
            for &(s, e) in spans {
                let token = &text[s as usize..e as usize];
                // A short word is neither a term nor (not starting with a digit) a figure.
                if token.len() < MIN_TERM_CHARS && !token.as_bytes()[0].is_ascii_digit() {
                    continue;
                }
                self.lowered.clear();
                // Tokens hold letters, digits, `,` and `.`: setting bit 5 lower-cases the letters
                // and leaves the rest.
                self.lowered.extend(token.bytes().map(|b| b | 0x20));
                token_occurrence(token, &self.lowered, weight, out);
            }
            true
        } else {
            for_each_token(text, |t| token_occurrence(t, t.as_bytes(), weight, out));
            false
        };
        if !is_title {
            let name = |name: &str| {
                out.push(Occurrence::new(feature_id(Kind::Name, name), Kind::Name, 1));
            };
            if clean {
                // The words of a clean line are found from the tokenizer's space mask.
                names_in_words(text, clean_word_spans(&self.scratch), name);
            } else {
                for_each_name(text, name);
            }
        }
    }
}

/// The figure or term (if any) of one token, given as read and case-folded.
#[inline]
fn token_occurrence(token: &str, folded: &[u8], weight: u8, out: &mut Vec<Occurrence>) {
    if folded[0].is_ascii_digit()
        && let Some(v) = figure_value(token)
    {
        // One- and two-digit numbers are too common to say anything.
        if v.len() >= 3 || v.contains('.') {
            out.push(Occurrence::new(
                feature_id(Kind::Figure, &v),
                Kind::Figure,
                weight,
            ));
        }
    } else if folded.len() >= MIN_TERM_CHARS
        && (token.is_ascii()
            || (token.chars().count() >= MIN_TERM_CHARS && !token.chars().all(|c| c.is_numeric())))
    {
        out.push(Occurrence::new(
            feature_id_of_bytes(Kind::Term, folded),
            Kind::Term,
            weight,
        ));
    }
}

/// The features of each paragraph of a text, in one buffer.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ParagraphFeatures {
    occurrences: Vec<Occurrence>,
    /// Where each paragraph's occurrences end.
    ends: Vec<u32>,
}

impl ParagraphFeatures {
    /// The features of each of `paragraphs` (not titles).
    pub fn of<'a, P>(paragraphs: P) -> ParagraphFeatures
    where
        P: IntoIterator<Item = &'a str>,
        P::IntoIter: Clone,
    {
        ParagraphFeatures::read(&mut FeatureReader::default(), paragraphs)
    }

    /// [`ParagraphFeatures::of`], with a reader already at hand.
    pub fn read<'a, P>(reader: &mut FeatureReader, paragraphs: P) -> ParagraphFeatures
    where
        P: IntoIterator<Item = &'a str>,
        P::IntoIter: Clone,
    {
        let paragraphs = paragraphs.into_iter();
        // About one occurrence in 7 bytes of news text (terms, figures and names): sized once
        // with room to spare rather than grown.
        let (count, bytes) = paragraphs
            .clone()
            .fold((0, 0), |(n, b), p| (n + 1, b + p.len()));
        let mut f = ParagraphFeatures {
            occurrences: Vec::with_capacity(bytes / 5 + 8),
            ends: Vec::with_capacity(count),
        };
        for p in paragraphs {
            reader.read(p, false, &mut f.occurrences);
            f.ends.push(f.occurrences.len() as u32);
        }
        f
    }

    /// The features of paragraph `i`.
    pub fn paragraph(&self, i: usize) -> &[Occurrence] {
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        &self.occurrences[start..self.ends[i] as usize]
    }
}

/// Adds up paragraph features into an article's [`StoryFeatures`], sorted by id.
pub fn combine<'a>(parts: impl IntoIterator<Item = &'a [Occurrence]>) -> StoryFeatures {
    let parts: Vec<&[Occurrence]> = parts.into_iter().collect();
    // Sized once, not grown: a long text has thousands of occurrences.
    let mut all: Vec<Occurrence> = Vec::with_capacity(parts.iter().map(|p| p.len()).sum());
    for p in parts {
        all.extend_from_slice(p);
    }
    all.sort_unstable();
    let distinct = all
        .iter()
        .zip(all.iter().skip(1))
        .filter(|(a, b)| a.feature() != b.feature())
        .count()
        + usize::from(!all.is_empty());
    let mut features: Vec<(u32, Kind, u32)> = Vec::with_capacity(distinct);
    let mut last = u64::MAX;
    for o in all {
        if o.feature() == last
            && let Some(f) = features.last_mut()
        {
            f.2 += o.weight();
        } else {
            features.push((o.id(), o.kind(), o.weight()));
            last = o.feature();
        }
    }
    StoryFeatures { features }
}

/// Calls `f` with each capitalised word that is not the first word of a sentence, lower-cased
/// (in one reused buffer): the names a text mentions ("Crocus", "Patrushev", "Kyiv").
pub fn for_each_name(text: &str, f: impl FnMut(&str)) {
    if text.is_ascii() {
        ascii_names(text, f);
    } else {
        general_names(text, f);
    }
}

/// [`for_each_name`] of any text.
fn general_names(text: &str, mut f: impl FnMut(&str)) {
    let mut sentence_start = true;
    let mut lower = String::new();
    for word in text.split_whitespace() {
        // As in `ascii_names`: a word opening a sentence or starting with a small ASCII letter or
        // a digit is not a name.
        let lead = word.as_bytes()[0];
        let may_be_name = !(sentence_start || lead.is_ascii_lowercase() || lead.is_ascii_digit());
        let trimmed = if may_be_name {
            word.trim_matches(|c: char| !c.is_alphanumeric())
        } else {
            ""
        };
        let first = trimmed.chars().next();
        if let Some(c) = first
            && c.is_uppercase()
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

/// [`for_each_name`] of an ASCII text, by bytes: the same names as [`general_names`] without
/// decoding characters (a unit test compares the two).
fn ascii_names(text: &str, f: impl FnMut(&str)) {
    let space = crate::normalize::text::is_space_byte;
    let bytes = text.as_bytes();
    let mut at = 0;
    let words = std::iter::from_fn(|| {
        while at < bytes.len() && space(bytes[at]) {
            at += 1;
        }
        if at == bytes.len() {
            return None;
        }
        let start = at;
        while at < bytes.len() && !space(bytes[at]) {
            at += 1;
        }
        Some((start, at))
    });
    names_in_words(text, words, f);
}

/// The names among the words of an ASCII text, given as byte ranges in order: the rules of
/// [`general_names`], by bytes.
fn names_in_words(
    text: &str,
    words: impl Iterator<Item = (usize, usize)>,
    mut f: impl FnMut(&str),
) {
    let mut sentence_start = true;
    let mut lower = String::new();
    let bytes = text.as_bytes();
    for (start, end) in words {
        let w = &bytes[start..end];
        // Most words start with a small letter or a digit, or open a sentence: not names, and
        // only their last byte matters (for the next word).
        let may_be_name = !(sentence_start || w[0].is_ascii_lowercase() || w[0].is_ascii_digit());
        if may_be_name && let Some(lo) = w.iter().position(u8::is_ascii_alphanumeric) {
            let hi = w
                .iter()
                .rposition(u8::is_ascii_alphanumeric)
                .expect("found one");
            let trimmed = &w[lo..=hi];
            if trimmed[0].is_ascii_uppercase()
                && trimmed.len() >= 3
                && trimmed[1..].iter().any(u8::is_ascii_lowercase)
            {
                // "Moscow's" → "moscow"
                let base = trimmed
                    .iter()
                    .position(|&b| b == b'\'')
                    .unwrap_or(trimmed.len());
                lower.clear();
                lower.push_str(&text[start + lo..start + lo + base]);
                lower.make_ascii_lowercase();
                f(&lower);
            }
        }
        sentence_start = matches!(w[w.len() - 1], b'.' | b'!' | b'?' | b':' | b'"') || w[0] == b'"';
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

    /// The ASCII name scan finds the same names as the general one.
    #[test]
    fn the_ascii_name_scan_matches_the_general_one() {
        const PIECES: &[&str] = &[
            "the",
            "Crocus",
            "City",
            "Hall",
            "144",
            "16,000",
            "1.5",
            "2,5",
            "007",
            "3rd",
            "1990s",
            "Moscow's",
            "O'Brien",
            "\"Patrushev",
            "said.",
            "Kyiv:",
            "(Reuters)",
            "U.S.",
            "a",
            "x1,2y",
            "1,,2",
            "12.34.56",
            "...",
            "-",
            "\"",
            "ISIS-K",
            "McDonald",
            "AB",
            "Abc",
            "\t",
            "\u{b}",
            "  ",
            "ministry",
            "Ministry's",
            "e-mail",
            "100,000",
            "0.5",
            ".5",
            "5.",
            "VeryLongCapitalisedWordThatGoesOnAndOnForMoreThanSixtyFourBytesInTotalLength",
        ];
        let mut state = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..20_000 {
            let mut line = String::new();
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let words = 1 + (state % 24) as usize;
            for w in 0..words {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                if w > 0 && state & 7 != 0 {
                    line.push(' ');
                }
                line.push_str(PIECES[(state >> 8) as usize % PIECES.len()]);
            }
            let (mut fast, mut general) = (Vec::new(), Vec::new());
            ascii_names(&line, |n| fast.push(n.to_string()));
            general_names(&line, |n| general.push(n.to_string()));
            assert_eq!(fast, general, "{line:?}");
        }
    }

    /// The reader's plain-tokenizer path finds the same features as the shared tokenizer.
    #[test]
    fn the_reader_reads_what_the_shared_tokenizer_reads() {
        let pieces = [
            "The",
            "Crocus",
            "attack:",
            "144",
            "16,000",
            "1.5",
            "2,5",
            "3rd",
            "1990s",
            "O'Brien",
            "said.",
            "U.S.",
            "x1,2y",
            "1,,2",
            "12.34.56",
            "&",
            "AT&T",
            "e-mail",
            "a",
            "Hall",
            "0.5",
            "007",
            "VeryLongCapitalisedWordThatGoesOnAndOnForMoreThanSixtyFourBytesInTotal",
            "é",
            "Zürich",
            "  ",
            "\t",
            "\"Putin",
            "said:\"",
            "(Kyiv-based)",
            "Moscow's",
            "!",
        ];
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut reader = FeatureReader::default();
        for i in 0..5_000 {
            let mut words = Vec::new();
            for _ in 0..1 + i % 40 {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                words.push(pieces[(state >> 8) as usize % pieces.len()]);
            }
            let line = words.join(" ");
            for is_title in [false, true] {
                let (mut got, mut want) = (Vec::new(), Vec::new());
                reader.read(&line, is_title, &mut got);
                let weight = if is_title { 2 } else { 1 };
                for_each_token(&line, |t| {
                    token_occurrence(t, t.as_bytes(), weight, &mut want)
                });
                if !is_title {
                    for_each_name(&line, |n| {
                        want.push(Occurrence::new(feature_id(Kind::Name, n), Kind::Name, 1))
                    });
                }
                assert_eq!(got, want, "{line:?}");
            }
        }
    }

    #[test]
    fn occurrences_add_up_by_feature() {
        let (mut all, mut reader) = (Vec::new(), FeatureReader::default());
        reader.read("Crocus attack", true, &mut all);
        reader.read("The Crocus attack: 144 dead at Crocus.", false, &mut all);
        let f = combine([all.as_slice()]);
        let crocus = feature_id(Kind::Term, "crocus");
        let term = f
            .features
            .iter()
            .find(|x| x.0 == crocus && x.1 == Kind::Term);
        // Twice in the title (weight 2) and twice in the text.
        assert_eq!(term.map(|x| x.2), Some(4));
        let name = feature_id(Kind::Name, "crocus");
        let name = f.features.iter().find(|x| x.0 == name && x.1 == Kind::Name);
        assert_eq!(name.map(|x| x.2), Some(2));
        assert!(
            f.features
                .windows(2)
                .all(|w| (w[0].0, w[0].1 as u8) < (w[1].0, w[1].1 as u8))
        );
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
