//! Per-source differences in a story: what each outlet reported, and where they disagree.
//!
//! In: the members of one story (source, title, clean text). Out: [`Difference`] rows, the
//! content of the `story_differences` view:
//!
//! | kind | subject | value | detail |
//! |---|---|---|---|
//! | `figure` | what governs the number and what it counts, e.g. `lives (people)` ([`super::figures`]) | the number, e.g. `144` | how the source put it |
//! | `conflict` | a subject on which sources give different values | that source's value | every value with its sources |
//! | `name` | the most used spelling of a name | the spelling this source used | how often |
//! | `quote` | the quote's first words | the quote | which sources carry it |
//! | `unique` | `sentence` | a sentence no other source has | |
//! | `canonical` | `canonical member` | the article id | the rule |
//!
//! Only clean text is read: reader comments and furniture were dropped by normalization and are
//! never a source's reporting.

use crate::document::ArticleId;
use crate::normalize::plain::{Scratch, tokenize_clean};
use crate::normalize::text::{for_each_token, key_hash_of_tokens, token_hash};
use crate::story::closed_class::{
    MONTHS, NUMBER_ABBREVIATIONS, REGIONAL_ENDINGS, TITLE_ABBREVIATIONS, is_function_word,
};
use crate::story::figures::figure_rows;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashSet};

/// One member of a story, as the differences need it.
#[derive(Debug, Clone)]
pub struct Member {
    pub article: ArticleId,
    pub source: String,
    pub title: Option<String>,
    pub published: Option<String>,
    pub words: i64,
    pub text: String,
}

/// One row of `story_differences`.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, PartialOrd, Ord)]
pub struct Difference {
    pub kind: String,
    pub subject: String,
    pub source: Option<String>,
    pub value: String,
    pub detail: String,
}

/// The rule for the canonical member, as stored and shown.
pub const CANONICAL_RULE: &str =
    "earliest published (undated last), then fullest, then first stored";

/// Index of the canonical member: earliest published, undated last, then most words, then first.
pub fn canonical(members: &[Member]) -> Option<usize> {
    (0..members.len()).min_by(|&a, &b| {
        let (x, y) = (&members[a], &members[b]);
        x.published
            .is_none()
            .cmp(&y.published.is_none())
            .then(x.published.cmp(&y.published))
            .then(y.words.cmp(&x.words))
            .then(x.article.cmp(&y.article))
    })
}

// ---------------------------------------------------------------------------------------------
// Words

/// The words of a text, as [`str::split_whitespace`] finds them: by bytes when the text is
/// ASCII without a vertical tab (the one ASCII space `split_ascii_whitespace` does not split at),
/// which is most sentences and much faster than decoding characters.
pub(super) fn words_of(text: &str) -> impl Iterator<Item = &str> {
    let ascii = text.is_ascii() && !text.as_bytes().contains(&0x0b);
    let (fast, slow) = if ascii {
        (Some(text.split_ascii_whitespace()), None)
    } else {
        (None, Some(text.split_whitespace()))
    };
    fast.into_iter().flatten().chain(slow.into_iter().flatten())
}

pub(super) fn strip(w: &str) -> &str {
    if w.is_ascii() {
        // The same trim by bytes: an ASCII character is alphanumeric as a byte or not at all.
        let b = w.as_bytes();
        match b.iter().position(u8::is_ascii_alphanumeric) {
            None => "",
            Some(lo) => {
                let hi = b.iter().rposition(u8::is_ascii_alphanumeric).unwrap_or(lo);
                &w[lo..=hi]
            }
        }
    } else {
        w.trim_matches(|c: char| !c.is_alphanumeric())
    }
}

// ---------------------------------------------------------------------------------------------
// Sentences

/// A line of link or headline furniture rather than reporting: no sentence punctuation at its end
/// (an ellipsis aside), and every word of three or more that is not a function word capitalised
/// or a number ("Two Wounded in Another Russian Attack in Zaporizhzhia Region", "Source: Russian
/// Defence Ministry on Telegram"). A sentence has words in lower case that are not function words.
pub fn furniture_line(line: &str) -> bool {
    let t = line.trim();
    let t = t
        .strip_suffix("...")
        .or_else(|| t.strip_suffix('\u{2026}'))
        .unwrap_or(t)
        .trim_end();
    if t.is_empty() || t.ends_with(['.', '!', '?', ',', ';', '"', '\'', '\u{201d}', ')']) {
        return false;
    }
    let mut capitalised = 0;
    for w in words_of(t) {
        let s = strip(w);
        let Some(first) = s.chars().next() else {
            continue;
        };
        if first.is_lowercase() {
            if s.chars().count() >= 3 && !is_function_word(s) {
                return false;
            }
        } else if first.is_uppercase() || first.is_numeric() {
            capitalised += 1;
        }
    }
    capitalised >= 3
}

/// Whether the period at byte `i` of `line` ends an abbreviation rather than a sentence, given
/// the character after the space that follows it: an initial or dotted capitals ("J. Smith",
/// "U.S. officials"), a title before a name ("Mr. Peskov"), a month or "No." before a number
/// ("Feb. 24, 2022", "No. 5").
fn abbreviation_before(line: &str, i: usize, next: char) -> bool {
    let word = line[..i]
        .rsplit(|c: char| c.is_whitespace())
        .next()
        .unwrap_or("")
        .trim_start_matches(|c: char| !c.is_alphanumeric());
    if word.is_empty() {
        return false;
    }
    // Dotted capitals: every piece between the periods one upper-case letter ("U.S", "J").
    if word
        .split('.')
        .all(|p| p.chars().count() == 1 && p.chars().all(char::is_uppercase))
    {
        return true;
    }
    if !word.chars().all(char::is_alphabetic) || !word.starts_with(char::is_uppercase) {
        return false;
    }
    let lower = word.to_lowercase();
    TITLE_ABBREVIATIONS.contains(&lower.as_str())
        || (next.is_ascii_digit()
            && (MONTHS.contains(&lower.as_str()) || NUMBER_ABBREVIATIONS.contains(&lower.as_str())))
}

/// A story text's sentences: at line ends, and after `.`, `!` or `?` (with any closing quotes or
/// brackets) followed by a space and an upper-case letter, digit or opening quote, unless the
/// period ends an abbreviation ([`abbreviation_before`]). Lines of link or headline furniture
/// ([`furniture_line`]) are left out. The sentences are trimmed slices of `text`.
pub fn sentences(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    for line in text.lines() {
        if furniture_line(line) {
            continue;
        }
        let bytes = line.as_bytes();
        let mut start = 0;
        let mut i = 0;
        while i < bytes.len() {
            if !matches!(bytes[i], b'.' | b'!' | b'?') {
                i += 1;
                continue;
            }
            let mut j = i + 1;
            while j < bytes.len()
                && matches!(bytes[j], b'"' | b'\'' | b')' | b']' | b'.' | b'!' | b'?')
            {
                j += 1;
            }
            if j + 1 < bytes.len() && bytes[j] == b' ' {
                let next = line[j + 1..].chars().next().expect("a character follows");
                let opens = next.is_uppercase()
                    || next.is_numeric()
                    || matches!(next, '"' | '\'' | '(' | '[' | '\u{201c}');
                let abbreviation =
                    bytes[i] == b'.' && j == i + 1 && abbreviation_before(line, i, next);
                if opens && !abbreviation {
                    let s = line[start..j].trim();
                    if !s.is_empty() {
                        out.push(s);
                    }
                    start = j + 1;
                    i = j + 1;
                    continue;
                }
            }
            i += 1;
        }
        if start < bytes.len() {
            let s = line[start..].trim();
            if !s.is_empty() {
                out.push(s);
            }
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Names

/// A spelling key that folds the usual transliteration differences (c/k, y/i, ph/f).
fn spelling_key(name: &str) -> String {
    let l = name.to_lowercase();
    let l = l.replace("ck", "k").replace("ph", "f");
    let chars: Vec<char> = l.chars().collect();
    let mut out = String::with_capacity(l.len());
    for (i, &c) in chars.iter().enumerate() {
        match c {
            'c' if chars.get(i + 1) != Some(&'h') => out.push('k'),
            'y' => out.push('i'),
            c => out.push(c),
        }
    }
    out
}

/// Restricted Damerau–Levenshtein (optimal string alignment) distance.
fn osa(a: &str, b: &str) -> usize {
    /// Names up to this many characters are compared without allocating their characters.
    const SHORT: usize = 32;
    let (mut short_a, mut short_b) = (['\0'; SHORT], ['\0'; SHORT]);
    let (na, nb) = (a.chars().count(), b.chars().count());
    if na > SHORT || nb > SHORT {
        let a: Vec<char> = a.chars().collect();
        let b: Vec<char> = b.chars().collect();
        return osa_chars(&a, &b);
    }
    for (slot, c) in short_a.iter_mut().zip(a.chars()) {
        *slot = c;
    }
    for (slot, c) in short_b.iter_mut().zip(b.chars()) {
        *slot = c;
    }
    osa_chars(&short_a[..na], &short_b[..nb])
}

/// [`osa`] of two character sequences, over one flat table.
fn osa_chars(a: &[char], b: &[char]) -> usize {
    let w = b.len() + 1;
    let mut d = vec![0usize; (a.len() + 1) * w];
    for (i, cell) in d.iter_mut().step_by(w).enumerate() {
        *cell = i;
    }
    for (j, cell) in d[..w].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (d[(i - 1) * w + j] + 1)
                .min(d[i * w + j - 1] + 1)
                .min(d[(i - 1) * w + j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(d[(i - 2) * w + j - 2] + 1);
            }
            d[i * w + j] = v;
        }
    }
    d[a.len() * w + b.len()]
}

/// Endings that make another word, not another spelling ("Russia"/"Russian", "Islamic"/"Islamist").
const INFLECTIONS: &[(&str, &str)] = &[
    ("", "s"),
    ("", "es"),
    ("", "n"),
    ("", "an"),
    ("", "ian"),
    ("", "ns"),
    ("", "ans"),
    ("", "ians"),
    ("a", "an"),
    ("a", "ans"),
    ("e", "ian"),
    ("i", "ies"),
    ("ik", "ist"),
    ("ik", "ists"),
    ("ism", "ist"),
    ("iks", "ist"),
    ("ri", "er"),
    ("ri", "ers"),
    ("e", "es"),
    ("an", "ans"),
    ("", "ese"),
    ("", "ish"),
    ("", "i"),
    ("", "e"),
    ("", "ed"),
    ("", "er"),
    ("", "ers"),
];

fn is_inflection(a: &str, b: &str) -> bool {
    let p = a.chars().zip(b.chars()).take_while(|(x, y)| x == y).count();
    let sa: String = a.chars().skip(p).collect();
    let sb: String = b.chars().skip(p).collect();
    INFLECTIONS
        .iter()
        .any(|(x, y)| (sa == *x && sb == *y) || (sa == *y && sb == *x))
}

/// Two names are spellings of one when their keys are within one edit (two for long names) and
/// the difference is not an ending that makes another word.
fn same_name(a: &str, b: &str) -> bool {
    same_key(&Key::new(a), &Key::new(b))
}

/// A name's spelling key and its length in characters, worked out once per spelling.
struct Key {
    key: String,
    chars: usize,
}

impl Key {
    fn new(name: &str) -> Key {
        let key = spelling_key(name);
        let chars = key.chars().count();
        Key { key, chars }
    }
}

/// [`same_name`] on keys.
fn same_key(a: &Key, b: &Key) -> bool {
    if a.key == b.key {
        return true;
    }
    let n = a.chars.min(b.chars);
    let allowed = if n >= 8 { 2 } else { 1 };
    // The edit distance is at least the difference in length.
    n >= 4
        && a.chars.abs_diff(b.chars) <= allowed
        && osa(&a.key, &b.key) <= allowed
        && !is_inflection(&a.key, &b.key)
}

/// Capitalised words inside sentences, as written (case kept), each with the capitalised word
/// that follows it, if any ("Vladimir" → "Putin").
fn name_spellings<'a>(sentences: &[&'a str]) -> Vec<(&'a str, Option<&'a str>)> {
    let mut out: Vec<(&str, Option<&str>)> = Vec::new();
    for &sentence in sentences {
        let mut first = true;
        let mut prev_name: Option<usize> = None;
        for word in words_of(sentence) {
            // A word that starts with a small ASCII letter or a digit is no name, and what
            // follows it is not the first word.
            let lead = word.as_bytes()[0];
            if lead.is_ascii_lowercase() || lead.is_ascii_digit() {
                prev_name = None;
                first = word.ends_with(':');
                continue;
            }
            let t = strip(word);
            let t = t.split('\'').next().unwrap_or(t);
            let starts_upper = t.chars().next().is_some_and(|c| c.is_uppercase());
            let is_name = starts_upper
                && t.chars().count() >= 2
                && t.chars().skip(1).all(|c| c.is_lowercase());
            if is_name && let Some(i) = prev_name {
                out[i].1 = Some(t);
            }
            prev_name = None;
            if !first && is_name && t.chars().count() >= 4 {
                out.push((t, None));
                if !word.ends_with([',', '.', ';', ':']) {
                    prev_name = Some(out.len() - 1);
                }
            }
            if !t.is_empty() {
                first = word.ends_with(':');
            }
        }
    }
    out
}

fn name_rows(by_source: &BTreeMap<&str, Vec<&str>>, out: &mut Vec<Difference>) {
    // spelling → source → count, and spelling → the names that follow it
    let mut uses: BTreeMap<&str, BTreeMap<&str, usize>> = BTreeMap::new();
    let mut followers: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (&source, sents) in by_source {
        for (n, next) in name_spellings(sents) {
            if let Some(next) = next {
                followers.entry(n).or_default().push(next);
            }
            *uses.entry(n).or_default().entry(source).or_default() += 1;
        }
    }
    // Words written in lower case somewhere in the story.
    let lower_words: HashSet<&str> = by_source
        .values()
        .flatten()
        .flat_map(|s| words_of(s))
        .map(strip)
        .filter(|w| w.starts_with(|c: char| c.is_lowercase()))
        .collect();
    // Two first names that are always followed by different surnames name different people
    // ("Vladimir Putin", "Volodymyr Zelenskyy").
    let same_person = |a: &str, b: &str| match (followers.get(a), followers.get(b)) {
        (Some(fa), Some(fb)) => fa.iter().any(|x| fb.iter().any(|y| same_name(x, y))),
        _ => true,
    };
    let spellings: Vec<&str> = uses.keys().copied().collect();
    // Union-find over spellings.
    let mut parent: Vec<usize> = (0..spellings.len()).collect();
    fn find(p: &mut [usize], x: usize) -> usize {
        let mut r = x;
        while p[r] != r {
            r = p[r];
        }
        p[x] = r;
        r
    }
    // Spellings of one name share the first letter of their key and differ in length by at most
    // two: compare only within those buckets.
    let keys: Vec<Key> = spellings.iter().map(|n| Key::new(n)).collect();
    let first: Vec<char> = keys
        .iter()
        .map(|k| k.key.chars().next().unwrap_or(' '))
        .collect();
    for i in 0..spellings.len() {
        for j in i + 1..spellings.len() {
            if first[i] != first[j] || keys[i].chars.abs_diff(keys[j].chars) > 2 {
                continue;
            }
            // Two words the story also writes in lower case are two common words capitalised
            // ("Officer" and "Office", "Fire" and "Five"), not two spellings of one name.
            let common = |n: &str| lower_words.contains(n.to_lowercase().as_str());
            if same_key(&keys[i], &keys[j])
                && same_person(spellings[i], spellings[j])
                && !(common(spellings[i]) && common(spellings[j]))
            {
                let (a, b) = (find(&mut parent, i), find(&mut parent, j));
                parent[a] = b;
            }
        }
    }
    let mut groups: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for i in 0..spellings.len() {
        let r = find(&mut parent, i);
        groups.entry(r).or_default().push(i);
    }
    for members in groups.values().filter(|m| m.len() > 1) {
        // The name's subject: the spelling most sources use, then the most used.
        let subject = members
            .iter()
            .max_by_key(|&&i| {
                let u = &uses[spellings[i]];
                (
                    u.len(),
                    u.values().sum::<usize>(),
                    std::cmp::Reverse(spellings[i]),
                )
            })
            .map(|&i| spellings[i].to_string())
            .unwrap_or_default();
        let forms: Vec<&str> = members.iter().map(|&i| spellings[i]).collect();
        for &form in &forms {
            let class = name_class(form, &subject, &forms, &uses);
            for (source, n) in &uses[form] {
                out.push(Difference {
                    kind: "name".into(),
                    subject: subject.clone(),
                    source: Some(source.to_string()),
                    value: form.to_string(),
                    detail: format!(
                        "{n} time{}; {}",
                        if *n == 1 { "" } else { "s" },
                        class.as_str()
                    ),
                });
            }
        }
    }
}

/// What kind of difference a spelling of a name is, beside the usual one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NameClass {
    /// The spelling most sources use.
    Usual,
    /// Another transliteration or house convention, used consistently: an outlet's own form
    /// ("Kiev" and "Kyiv", "Krokus" for "Crocus").
    Convention,
    /// British against American spelling ("Defence", "Defense").
    Regional,
    /// One outlet's slip: a form it uses beside its own usual one ("Peksov" beside "Peskov"),
    /// or a form only it uses that no transliteration explains ("Petrushev").
    Inconsistency,
}

impl NameClass {
    /// The words stored after the count in a `name` row's detail.
    pub fn as_str(self) -> &'static str {
        match self {
            NameClass::Usual => "usual spelling",
            NameClass::Convention => "transliteration or convention",
            NameClass::Regional => "regional spelling",
            NameClass::Inconsistency => "one outlet's inconsistency",
        }
    }

    /// The class a `name` row's detail names.
    pub fn from_detail(detail: &str) -> Option<NameClass> {
        let words = detail.split_once("; ")?.1;
        [
            NameClass::Usual,
            NameClass::Convention,
            NameClass::Regional,
            NameClass::Inconsistency,
        ]
        .into_iter()
        .find(|c| c.as_str() == words)
    }
}

/// Whether two spellings differ only by an ending British and American English spell
/// differently.
fn regional(a: &str, b: &str) -> bool {
    let (a, b) = (a.to_lowercase(), b.to_lowercase());
    let ends = |a: &str, b: &str, x: &str, y: &str| {
        a.strip_suffix(x)
            .zip(b.strip_suffix(y))
            .is_some_and(|(p, q)| p == q && !p.is_empty())
    };
    REGIONAL_ENDINGS.iter().any(|pair| {
        let (x, y) = pair.split_once('|').unwrap_or((pair, pair));
        ends(&a, &b, x, y) || ends(&a, &b, y, x)
    })
}

/// A transliteration key: [`spelling_key`] with doubled letters single ("Zelenskyy",
/// "Zelensky" and "Zelenskiy" have one).
fn transliteration_key(name: &str) -> String {
    let mut out = String::new();
    for c in spelling_key(name).chars() {
        if !out.ends_with(c) {
            out.push(c);
        }
    }
    out
}

/// The class of spelling `form` of a name whose usual spelling is `usual`, from how each source
/// uses the group's `forms`: a source's own form is the one it uses most (ties to the one more
/// sources use, then the usual one).
fn name_class(
    form: &str,
    usual: &str,
    forms: &[&str],
    uses: &BTreeMap<&str, BTreeMap<&str, usize>>,
) -> NameClass {
    if form == usual {
        return NameClass::Usual;
    }
    if regional(form, usual) {
        return NameClass::Regional;
    }
    let own_form = |source: &str| {
        forms
            .iter()
            .copied()
            .filter(|f| uses[f].contains_key(source))
            .max_by_key(|f| (uses[f][source], uses[f].len(), *f == usual))
    };
    let someones_own = uses[form].keys().any(|s| own_form(s) == Some(form));
    if someones_own
        && (uses[form].len() >= 2 || transliteration_key(form) == transliteration_key(usual))
    {
        NameClass::Convention
    } else {
        NameClass::Inconsistency
    }
}

// ---------------------------------------------------------------------------------------------
// Quotes and unique sentences

/// Hashes of a text's word 3-grams (of its words, if it has fewer than three).
type Shingles = HashSet<u64, std::hash::BuildHasherDefault<crate::cluster::AnchorHasher>>;

fn shingles3(text: &str, scratch: &mut Scratch) -> Shingles {
    let mut w = Vec::new();
    part_tokens(text, &mut w, scratch);
    shingle_hashes(&w).collect()
}

/// The token hashes of a text, into `tokens`: line by line (tokens never cross a line), each
/// clean ASCII line by the normalizer's plain tokenizer, which finds the same tokens as
/// [`for_each_token`] faster.
fn part_tokens(text: &str, tokens: &mut Vec<u64>, scratch: &mut Scratch) {
    tokens.clear();
    let mut no_spans = Vec::new();
    for line in text.split('\n') {
        if !tokenize_clean(line, scratch, tokens, &mut no_spans, 0) {
            for_each_token(line, |t| tokens.push(token_hash(t)));
        }
    }
}

/// The word 3-gram hashes of token hashes (a hash of each token, if there are fewer than three).
fn shingle_hashes(w: &[u64]) -> Box<dyn Iterator<Item = u64> + '_> {
    if w.len() < 3 {
        Box::new(w.iter().map(|t| t.rotate_left(7) ^ 0x5bd1_e995))
    } else {
        Box::new(w.windows(3).map(|x| shingle3(x[0], x[1], x[2])))
    }
}

/// [`shingles3`] of a sentence or quote (given as its token hashes) as a sorted list without
/// repeats: a short text is checked against other texts' sets, and a list is cheaper to build
/// than a set.
fn part_shingles(w: &[u64]) -> Vec<u64> {
    let mut out: Vec<u64> = shingle_hashes(w).collect();
    out.sort_unstable();
    out.dedup();
    out
}

fn shingle3(a: u64, b: u64, c: u64) -> u64 {
    let h = a ^ b.rotate_left(21) ^ c.rotate_left(42);
    h.wrapping_mul(0xff51_afd7_ed55_8ccd) ^ (h >> 29)
}

fn containment(part: &[u64], whole: &Shingles) -> f64 {
    if part.is_empty() {
        return 0.0;
    }
    part.iter().filter(|s| whole.contains(*s)).count() as f64 / part.len() as f64
}

fn quotes_in(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in text.lines() {
        let parts: Vec<&str> = line.split('"').collect();
        for (i, p) in parts.iter().enumerate() {
            if i % 2 == 1 && i + 1 < parts.len() && words_of(p).take(6).count() >= 6 {
                out.push(p.trim().to_string());
            }
        }
    }
    out
}

/// One quote of one source.
struct Quote<'a> {
    source: &'a str,
    text: String,
    /// Its content words, by key.
    words: HashSet<String>,
    /// Its first two words, by key.
    opening: Option<(String, String)>,
    /// The sources whose text holds [`CARRIED`] of its word 3-grams.
    carriers: BTreeSet<&'a str>,
}

/// Content words two wordings of one quote share at least ([`REWORDED_OPENING`] with the same
/// opening words).
pub const REWORDED_WORDS: usize = 4;
/// Content words two wordings that open with the same two words share at least.
pub const REWORDED_OPENING: usize = 3;
/// Share of the shorter wording's content words the other has, at least.
pub const REWORDED_SHARE: f64 = 0.65;

fn quote_words(q: &str) -> HashSet<String> {
    words_of(q)
        .map(|w| strip(w).to_lowercase())
        .filter(|w| w.chars().count() >= 3 && !is_function_word(w))
        .map(|w| crate::story::figures::fold(&w))
        .collect()
}

fn opening(q: &str) -> Option<(String, String)> {
    let mut w = words_of(q).map(|w| strip(w).to_lowercase());
    Some((w.next()?, w.next()?))
}

/// Whether two quotes are one quote in two wordings (a translation, a trim): the shorter's
/// content words mostly in the other ([`REWORDED_SHARE`], [`REWORDED_WORDS`] or more), or
/// the same two opening words and [`REWORDED_OPENING`] content words shared ("This is not
/// within our capabilities as this type of information exchange..." and "This is not our area of
/// expertise, as such information exchange...").
fn rewording(a: &Quote, b: &Quote) -> bool {
    let shared = a.words.intersection(&b.words).count();
    let smaller = a.words.len().min(b.words.len()).max(1);
    (shared >= REWORDED_WORDS && shared as f64 / smaller as f64 >= REWORDED_SHARE)
        || (shared >= REWORDED_OPENING && a.opening.is_some() && a.opening == b.opening)
}

/// A quote or sentence counts as carried by another source when this share of its word
/// 3-grams is found there.
const CARRIED: f64 = 0.5;

fn quote_and_unique_rows(
    by_source: &BTreeMap<&str, Vec<&str>>,
    texts: &BTreeMap<String, String>,
    out: &mut Vec<Difference>,
) {
    let mut scratch = Scratch::default();
    let shingled: BTreeMap<&str, Shingles> = texts
        .iter()
        .map(|(s, t)| (s.as_str(), shingles3(t, &mut scratch)))
        .collect();
    let sources: Vec<&str> = texts.keys().map(String::as_str).collect();
    let mut tokens = Vec::new();
    // Every quote of every source, once per source, with the sources that carry its words.
    let mut quotes: Vec<Quote> = Vec::new();
    for (source, text) in texts {
        let mut seen = HashSet::new();
        for q in quotes_in(text) {
            // Seen already: the same key form (case and punctuation aside).
            part_tokens(&q, &mut tokens, &mut scratch);
            if !seen.insert(key_hash_of_tokens(&tokens)) {
                continue;
            }
            let sh = part_shingles(&tokens);
            let carriers: BTreeSet<&str> = sources
                .iter()
                .copied()
                .filter(|s| *s == source || containment(&sh, &shingled[s]) >= CARRIED)
                .collect();
            quotes.push(Quote {
                source,
                words: quote_words(&q),
                opening: opening(&q),
                text: q,
                carriers,
            });
        }
    }
    // The same quote in other words (a translation, a trim) in two sources is one quote.
    let mut parent: Vec<usize> = (0..quotes.len()).collect();
    fn root(p: &mut [usize], mut x: usize) -> usize {
        while p[x] != x {
            p[x] = p[p[x]];
            x = p[x];
        }
        x
    }
    for i in 0..quotes.len() {
        for j in i + 1..quotes.len() {
            if quotes[i].source != quotes[j].source && rewording(&quotes[i], &quotes[j]) {
                let (a, b) = (root(&mut parent, i), root(&mut parent, j));
                parent[a.max(b)] = a.min(b);
            }
        }
    }
    let mut groups: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for i in 0..quotes.len() {
        let r = root(&mut parent, i);
        groups.entry(r).or_default().push(i);
    }
    for ids in groups.values() {
        let carriers: BTreeSet<&str> = ids
            .iter()
            .flat_map(|&i| quotes[i].carriers.iter().copied())
            .collect();
        if carriers.len() == sources.len() {
            continue;
        }
        // The group is named by its most carried wording, then its first.
        let named = ids
            .iter()
            .copied()
            .max_by_key(|&i| (quotes[i].carriers.len(), std::cmp::Reverse(i)))
            .unwrap_or(ids[0]);
        let subject: String = quotes[named]
            .text
            .split_whitespace()
            .take(6)
            .collect::<Vec<_>>()
            .join(" ");
        // Wordings: the quotes of the group no other source carries word for word.
        let mut same: Vec<usize> = (0..ids.len()).collect();
        for (x, &i) in ids.iter().enumerate() {
            for (y, &j) in ids.iter().enumerate().skip(x + 1) {
                if quotes[i].carriers.contains(quotes[j].source)
                    || quotes[j].carriers.contains(quotes[i].source)
                {
                    let (a, b) = (root(&mut same, x), root(&mut same, y));
                    same[a.max(b)] = a.min(b);
                }
            }
        }
        let n_wordings = (0..ids.len()).filter(|&x| root(&mut same, x) == x).count();
        let wordings = if n_wordings > 1 {
            format!(" ({n_wordings} wordings)")
        } else {
            String::new()
        };
        for &i in ids {
            out.push(Difference {
                kind: "quote".into(),
                subject: subject.clone(),
                source: Some(quotes[i].source.to_string()),
                value: quotes[i].text.clone(),
                detail: format!(
                    "carried by {} of {} sources{wordings}: {}",
                    carriers.len(),
                    sources.len(),
                    carriers.iter().copied().collect::<Vec<_>>().join(", ")
                ),
            });
        }
    }
    for (source, sents) in by_source {
        let others: Vec<&Shingles> = shingled
            .iter()
            .filter(|(s, _)| *s != source)
            .map(|(_, v)| v)
            .collect();
        if others.is_empty() {
            continue;
        }
        let mut seen = HashSet::new();
        for &s in sents {
            if words_of(s).take(6).count() < 6 {
                continue;
            }
            part_tokens(s, &mut tokens, &mut scratch);
            if !seen.insert(key_hash_of_tokens(&tokens)) {
                continue;
            }
            let sh = part_shingles(&tokens);
            if others.iter().all(|o| containment(&sh, o) < CARRIED) {
                out.push(Difference {
                    kind: "unique".into(),
                    subject: "sentence".into(),
                    source: Some(source.to_string()),
                    value: s.to_string(),
                    detail: String::new(),
                });
            }
        }
    }
}

/// Computes the differences of a story. Members of one source are read together.
pub fn differences(members: &[Member]) -> Vec<Difference> {
    let mut out = Vec::new();
    if let Some(c) = canonical(members) {
        out.push(Difference {
            kind: "canonical".into(),
            subject: "canonical member".into(),
            source: Some(members[c].source.clone()),
            value: members[c].article.to_string(),
            detail: CANONICAL_RULE.into(),
        });
    }
    let mut texts: BTreeMap<String, String> = BTreeMap::new();
    for m in members {
        let t = texts.entry(m.source.clone()).or_default();
        if !t.is_empty() {
            t.push('\n');
        }
        t.push_str(&m.text);
    }
    let by_source: BTreeMap<&str, Vec<&str>> = texts
        .iter()
        .map(|(s, t)| (s.as_str(), sentences(t)))
        .collect();
    if texts.len() >= 2 {
        figure_rows(&by_source, &mut out);
        name_rows(&by_source, &mut out);
        quote_and_unique_rows(&by_source, &texts, &mut out);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The edit distance as first written: a table of rows, characters collected.
    fn osa_reference(a: &str, b: &str) -> usize {
        let a: Vec<char> = a.chars().collect();
        let b: Vec<char> = b.chars().collect();
        let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
        for (i, row) in d.iter_mut().enumerate() {
            row[0] = i;
        }
        for (j, cell) in d[0].iter_mut().enumerate() {
            *cell = j;
        }
        for i in 1..=a.len() {
            for j in 1..=b.len() {
                let cost = usize::from(a[i - 1] != b[j - 1]);
                d[i][j] = (d[i - 1][j] + 1)
                    .min(d[i][j - 1] + 1)
                    .min(d[i - 1][j - 1] + cost);
                if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                    d[i][j] = d[i][j].min(d[i - 2][j - 2] + 1);
                }
            }
        }
        d[a.len()][b.len()]
    }

    #[test]
    fn byte_paths_split_and_strip_like_the_character_ones() {
        let pieces = [
            "Crocus", "said.", " ", "  ", "\t", "\u{b}", "\u{a0}", "\u{2003}", "\"144", "(Kyiv)",
            "--", "é", "Zürich", "\n", "\r\n", "x", "'s",
        ];
        let mut next = crate::test_rng::xorshift(0x2545_f491_4f6c_dd1d);
        for _ in 0..5_000 {
            let mut text = String::new();
            for _ in 0..12 {
                text.push_str(pieces[(next() >> 8) as usize % pieces.len()]);
            }
            let want: Vec<&str> = text.split_whitespace().collect();
            assert_eq!(words_of(&text).collect::<Vec<_>>(), want, "{text:?}");
            for w in want {
                assert_eq!(
                    strip(w),
                    w.trim_matches(|c: char| !c.is_alphanumeric()),
                    "{w:?}"
                );
            }
        }
    }

    #[test]
    fn edit_distance_matches_the_plain_table() {
        let alphabet = ['a', 'b', 'c', 'k', 'é', 'ü'];
        let mut next = crate::test_rng::xorshift(0x9e37_79b9_7f4a_7c15);
        for _ in 0..3_000 {
            let [a, b] = [(); 2].map(|()| {
                let len = (next() % 40) as usize;
                (0..len)
                    .map(|_| alphabet[(next() % alphabet.len() as u64) as usize])
                    .collect::<String>()
            });
            assert_eq!(osa(&a, &b), osa_reference(&a, &b), "{a:?} {b:?}");
        }
        assert_eq!(osa("Crocus", "Krokus"), 2);
        assert_eq!(osa("Crokus", "Crokos"), 1);
        assert_eq!(osa("ab", "ba"), 1);
    }

    #[test]
    fn spelling_variants_group_but_inflections_do_not() {
        for (a, b) in [
            ("Crocus", "Krokus"),
            ("Crocus", "Crokes"),
            ("Crocus", "Crokos"),
            ("Kyiv", "Kiev"),
            ("Patrushev", "Petrushev"),
            ("Peskov", "Peksov"),
        ] {
            assert!(same_name(a, b), "{a} {b}");
        }
        for (a, b) in [
            ("Russia", "Russian"),
            ("Islamic", "Islamist"),
            ("Ministry", "Minister"),
            ("Moscow", "Monday"),
            ("Putin", "Patrushev"),
        ] {
            assert!(!same_name(a, b), "{a} {b}");
        }
    }

    #[test]
    fn conflicting_figures_are_reported() {
        let m = |i: i64, s: &str, t: &str| Member {
            article: ArticleId(i),
            source: s.into(),
            title: None,
            published: None,
            words: 10,
            text: t.into(),
        };
        let rows = differences(&[
            m(
                1,
                "A",
                "The attack on the hall killed 144 people, officials said.",
            ),
            m(
                2,
                "B",
                "The attack on the hall took the lives of at least 144 people, officials said.",
            ),
            m(
                3,
                "C",
                "Officials said the attack on the hall killed at least 114 people.",
            ),
            m(
                4,
                "D",
                "Officials said gunmen murdered more than 130 people in the attack on the hall.",
            ),
        ]);
        let conflicts: Vec<&Difference> = rows.iter().filter(|d| d.kind == "conflict").collect();
        assert_eq!(conflicts.len(), 4, "{rows:#?}");
        assert!(
            conflicts[0].detail.starts_with(
                "144 (2 sources: A, B); 114 (1 source: C); more than 130 (1 source: D)"
            ),
            "{}",
            conflicts[0].detail
        );
    }
}
