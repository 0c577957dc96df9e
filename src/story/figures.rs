//! Figures in a story's sources: what each number counts, what it is said about, and where the
//! sources disagree.
//!
//! In: each source's sentences. Out: the `figure` and `conflict` rows of [`Difference`].
//!
//! Nothing here knows what news is about. A figure's **noun** is the noun phrase the number
//! counts, read from the words after it ("144 people", "16,000 Russian citizens", "10 extra
//! titles"), folded to a key that ignores plural endings; its **role** is the word that governs
//! the number in the sentence: the word before it ("killed at least 114", "the lives of 144",
//! "called up 300,000"), else the verb after its noun ("16,000 citizens have signed"). The only
//! word lists are closed-class ([`super::closed_class`]).
//!
//! What is the same across sources is learned within the story:
//! 1. figures of two sources with the same value are one fact when they count the same noun, or
//!    when their sentences share [`SHARED_WORDS`] content words (a bare "injured nearly 200"
//!    takes the noun of "200 people were injured");
//! 2. the nouns and roles of one fact are the same noun and role in the whole story ("16,000
//!    citizens" and "16,000 people" make citizens and people one noun; "the death of 144" and
//!    "the lives of 144" make death and lives one role);
//! 3. figures are grouped by (noun, role); two groups of one noun (a thing, not a unit) in which each source gives one
//!    value, where no source reports both, whose values are within a factor of [`NEAR`] and
//!    whose sentences share [`NEAR_SHARED_WORDS`] words, are one quantity reported differently
//!    ("the lives of 144", "killed at least 114", "murder more than 130"). A number that names a
//!    thing ("the 5000 block") is not merged this way, nor is a duration.
//!
//! A figure's governing word is always one of its own sentence; it takes the noun of its fact
//! only when it has a governing word: a bare "24" or "$8 billion" gets no category from another
//! source's sentence.
//!
//! A group is a **conflict** when it has a governing word, two or more sources give it a value,
//! each one value, and two of those values cannot both be true: a range allows the values inside
//! it, "more than 130" those above 130, "up to 1,700" those below, "about 40" those within
//! [`ESTIMATE`] of 40, and a figure agrees with any value less than one unit of its last digit
//! away ("$129" and "$129.99"). Each two values that clash must be about one event: within
//! [`CONFLICT_RATIO`] of each other, said in sentences naming the same years, not each in a place
//! the other source never mentions; and the sentences must be linked by agreeing values or shared
//! words. Otherwise the figures are listed, and no conflict is reported.

use super::closed_class::{
    AGE_WORDS, APPROXIMATIONS, AUXILIARIES, DETERMINERS, JUST_BELOW, LINKS, LOWER_BOUNDS, MONTHS,
    PLACE_PREPOSITIONS, QUALIFIERS, SCALES, STRICT_BOUNDS, TIME_UNITS, TIMES_OF_DAY, UPPER_BOUNDS,
    is_function_word,
};
use super::differences::{Difference, strip, words_of};
use crate::story::features::figure_value;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

/// Content words two sentences must share for one value in them to be one fact.
pub const SHARED_WORDS: usize = 3;

/// Content words two sentences must share for near values of one noun in them to be one
/// quantity (they already count the same noun in one story).
pub const NEAR_SHARED_WORDS: usize = 2;

/// Two values are near when the larger is at most this multiple of the smaller.
pub const NEAR: f64 = 1.5;

/// Two values further apart than this multiple count different things, not one thing reported
/// differently ("tariffs on $125 billion" and "tariffs on $360 billion" of goods).
pub const CONFLICT_RATIO: f64 = 2.0;

/// How far an estimate ("about 40") reaches on either side of its number, as a share of it.
pub const ESTIMATE: f64 = 0.1;

/// A word as written and its key (lower case, plural and verb endings folded).
#[derive(Debug, Clone, PartialEq)]
pub struct Word {
    pub shown: String,
    pub key: String,
}

impl Word {
    fn new(lower: &str) -> Word {
        Word {
            shown: lower.to_string(),
            key: fold(lower),
        }
    }
}

/// A figure's value: its canonical text ("144", "2.6 million", "300 to 400", "March 22") and the
/// interval it covers.
#[derive(Debug, Clone, PartialEq)]
pub struct Value {
    pub canon: String,
    pub lo: f64,
    pub hi: f64,
}

/// A number in a sentence, with what it counts and what governs it.
#[derive(Debug, Clone, PartialEq)]
pub struct Figure<'a> {
    pub value: Value,
    pub qualifier: Option<&'static str>,
    /// What the number counts ("people"; "$" for an amount of money, "%" for a percentage).
    pub noun: Option<Word>,
    /// The word that governs it ("killed", "lives", "signed").
    pub role: Option<Word>,
    pub date: bool,
    /// A number that names a thing rather than counting it: after a determiner, before a
    /// singular noun ("the 5000 block").
    pub label: bool,
    pub sentence: &'a str,
}

/// A key for a word that ignores plural, possessive and verb endings: "citizens" and "citizen",
/// "killed" and "kill", "registered" and "register" have one key.
pub fn fold(word: &str) -> String {
    let mut w = word.to_lowercase();
    for tail in ["'s", "\u{2019}s", "'", "\u{2019}"] {
        if let Some(s) = w.strip_suffix(tail) {
            w = s.to_string();
            break;
        }
    }
    let n = w.chars().count();
    if n > 4 && w.ends_with("ies") {
        w.truncate(w.len() - 3);
        w.push('y');
    } else if w.ends_with("sses")
        || (n > 4 && (w.ends_with("ches") || w.ends_with("shes")))
        || (n > 3 && w.ends_with("xes"))
    {
        w.truncate(w.len() - 2);
    } else if n > 3
        && w.ends_with('s')
        && !w.ends_with("ss")
        && !w.ends_with("us")
        && !w.ends_with("is")
    {
        w.truncate(w.len() - 1);
    }
    let n = w.chars().count();
    if n > 5 && w.ends_with("ing") {
        w.truncate(w.len() - 3);
    } else if n > 4 && w.ends_with("ed") {
        w.truncate(w.len() - 2);
    }
    if w.chars().count() > 3 && w.ends_with('e') {
        w.pop();
    }
    w
}

/// A plural in -s: "citizens", "titles" (not "process", "bonus", "crisis").
fn plural(w: &str) -> bool {
    w.len() >= 3
        && w.ends_with('s')
        && !w.ends_with("ss")
        && !w.ends_with("us")
        && !w.ends_with("is")
}

/// A participle, which begins what is said about a number rather than naming what it counts
/// ("144 killed", "200 wounded", "1,700 signing").
fn participle(w: &str) -> bool {
    (w.len() >= 4 && w.ends_with("ed")) || (w.len() >= 5 && w.ends_with("ing"))
}

fn is_qualifier_word(w: &str) -> bool {
    QUALIFIERS.iter().any(|q| !q.contains(' ') && *q == w)
}

fn is_scale(w: &str) -> Option<f64> {
    SCALES.iter().find(|(s, _)| *s == w).map(|(_, f)| *f)
}

fn is_time_unit(key: &str) -> bool {
    static KEYS: std::sync::LazyLock<Vec<String>> =
        std::sync::LazyLock::new(|| TIME_UNITS.iter().map(|u| fold(u)).collect());
    KEYS.iter().any(|k| k == key)
}

/// A word that can be what a number counts or what is said about it: not a function word, not
/// a number, starting with a letter.
fn content(w: &str) -> bool {
    w.chars().next().is_some_and(char::is_alphabetic)
        && !is_function_word(w)
        && !is_qualifier_word(w)
        && is_scale(w).is_none()
}

/// Currency symbols written before an amount.
const CURRENCY: &[char] = &['$', '\u{20ac}', '\u{a3}', '\u{a5}', '\u{20bd}', '\u{20b9}'];

/// One sentence's words, as written, stripped and lower-cased, with the punctuation between them.
struct Words<'a> {
    raw: Vec<&'a str>,
    lower: Vec<String>,
}

impl<'a> Words<'a> {
    fn new(sentence: &'a str) -> Words<'a> {
        let raw: Vec<&str> = words_of(sentence).collect();
        let lower = raw.iter().map(|w| strip(w).to_lowercase()).collect();
        Words { raw, lower }
    }

    fn len(&self) -> usize {
        self.raw.len()
    }

    /// Punctuation (or a dash) between word `j` and the next.
    fn break_after(&self, j: usize) -> bool {
        let w = self.raw[j];
        self.lower[j].is_empty()
            || w.ends_with([',', ';', ':', '.', '!', '?', ')', ']', '"', '\u{201d}'])
            || self.raw.get(j + 1).is_some_and(|n| {
                self.lower[j + 1].is_empty() || n.starts_with(['(', '[', '"', '\u{201c}'])
            })
    }

    fn capitalised(&self, j: usize) -> bool {
        strip(self.raw[j])
            .chars()
            .next()
            .is_some_and(char::is_uppercase)
    }

    fn number(&self, j: usize) -> Option<String> {
        figure_value(strip(self.raw[j]))
    }
}

/// A number's value and scale starting at word `j`: (canonical text, value, words used).
fn number_at(words: &Words, j: usize) -> Option<(String, f64, usize)> {
    let v = words.number(j)?;
    let n: f64 = v.parse().ok()?;
    if !words.break_after(j)
        && let Some(next) = words.lower.get(j + 1)
        && let Some(f) = is_scale(next)
    {
        return Some((format!("{v} {next}"), n * f, 2));
    }
    Some((v, n, 1))
}

/// The bound written before word `i` and how many words it takes.
fn qualifier_before(words: &Words, i: usize) -> Option<(&'static str, usize)> {
    QUALIFIERS
        .iter()
        .copied()
        .filter_map(|q| {
            let n = q.split(' ').count();
            if n > i {
                return None;
            }
            let at = i - n;
            let same = q.split(' ').zip(&words.lower[at..i]).all(|(a, b)| a == b);
            let unbroken = (at..i).all(|j| !words.break_after(j));
            (same && unbroken).then_some((q, n))
        })
        .max_by_key(|(q, _)| q.len())
}

/// The figures of one sentence.
pub fn figures_in(sentence: &str) -> Vec<Figure<'_>> {
    // A figure starts with a digit: most sentences have none.
    if !sentence.bytes().any(|b| b.is_ascii_digit()) {
        return Vec::new();
    }
    let words = Words::new(sentence);
    let mut out = Vec::new();
    // The last figure and the word after it, for lists.
    let mut previous: Option<(usize, Figure)> = None;
    let mut i = 0;
    while i < words.len() {
        let at = i;
        i += 1;
        let raw = words.raw[at];
        let token = strip(raw);
        // "300-400": a range in one word.
        let dashed = token.split_once('-').and_then(|(a, b)| {
            let (a, b) = (figure_value(a)?, figure_value(b)?);
            let (x, y): (f64, f64) = (a.parse().ok()?, b.parse().ok()?);
            (x < y).then_some((a, x, b, y))
        });
        let Some((canon, lo, used)) =
            number_at(&words, at).or(dashed.as_ref().map(|(a, x, _, _)| (a.clone(), *x, 1)))
        else {
            continue;
        };
        let prev = if at > 0 && !words.break_after(at - 1) {
            words.lower[at - 1].as_str()
        } else {
            ""
        };
        let next = if used == 1 && !words.break_after(at) {
            words.lower.get(at + 1).map_or("", String::as_str)
        } else {
            ""
        };
        // Dates: "March 22", "22 March", "Feb. 24".
        let prev = match words.lower.get(at.wrapping_sub(1)) {
            Some(p) if MONTHS.contains(&p.as_str()) && words.raw[at - 1].ends_with('.') => p,
            _ => prev,
        };
        if MONTHS.contains(&next) || MONTHS.contains(&prev) {
            let month = if MONTHS.contains(&next) { next } else { prev };
            if canon.len() <= 2 {
                let mut m = month.to_string();
                m[..1].make_ascii_uppercase();
                out.push(Figure {
                    value: Value {
                        canon: format!("{m} {canon}"),
                        lo,
                        hi: lo,
                    },
                    qualifier: None,
                    noun: None,
                    role: None,
                    date: true,
                    label: false,
                    sentence,
                });
            }
            i = at + used;
            continue;
        }
        // A time of day is no figure.
        if TIMES_OF_DAY.contains(&next) {
            i = at + used;
            continue;
        }
        // Years and one-digit numbers say little on their own.
        if dashed.is_none()
            && ((canon.len() == 4 && (1900.0..=2100.0).contains(&lo) && !token.contains(','))
                || (canon.len() == 1 && used == 1))
        {
            continue;
        }
        // A number right after a capitalised word inside a sentence is part of a name
        // ("Mortal Kombat 11", "Route 66").
        if at > 1 && content(prev) && words.capitalised(at - 1) {
            continue;
        }
        // A range: "300 to 400", "between 100 and 150", "300-400".
        let mut end = at + used; // the first word after the value
        let mut value = Value {
            canon: canon.clone(),
            lo,
            hi: lo,
        };
        if let Some((a, x, b, y)) = &dashed {
            value = Value {
                canon: format!("{a} to {b}"),
                lo: *x,
                hi: *y,
            };
        } else if end < words.len() && !words.break_after(end - 1) {
            let link = words.lower[end].as_str();
            let between = at >= 1 && words.lower[at - 1] == "between";
            let from = at >= 1 && words.lower[at - 1] == "from";
            if ((link == "to" && !from) || link == "or" || (link == "and" && between))
                && end + 1 < words.len()
                && !words.break_after(end)
                && let Some((hi_canon, hi, hi_used)) = number_at(&words, end + 1)
            {
                // "2 to 3 million": the scale of the second applies to both.
                let (lo_canon, lo) = if hi_used == 2 && used == 1 {
                    let scale = &words.lower[end + 2];
                    (
                        format!("{canon} {scale}"),
                        lo * is_scale(scale).unwrap_or(1.0),
                    )
                } else {
                    (canon.clone(), lo)
                };
                if lo < hi {
                    value = Value {
                        canon: format!("{lo_canon} to {hi_canon}"),
                        lo,
                        hi,
                    };
                    end += 1 + hi_used;
                }
            }
        }
        i = end;
        // The unit: money before the number, a percentage after it.
        let mut noun = if raw.starts_with(CURRENCY) || raw.starts_with("US$") {
            Some(Word {
                shown: "$".into(),
                key: "$".into(),
            })
        } else if raw
            .trim_end_matches(|c: char| !c.is_alphanumeric() && c != '%')
            .ends_with('%')
        {
            Some(Word {
                shown: "%".into(),
                key: "percent".into(),
            })
        } else {
            None
        };
        // What it counts: the noun phrase after it, up to three words, ending at its head: the
        // first plural, else the first word in lower case ("16,000 Russian citizens").
        let mut np_end = end; // the first word after the noun phrase
        if noun.is_none() && !words.break_after(end - 1) {
            let mut span = Vec::new();
            let mut j = end;
            while j < words.len() && span.len() < 3 {
                let w = words.lower[j].as_str();
                if !content(w) || participle(w) || words.number(j).is_some() {
                    break;
                }
                span.push(j);
                if words.break_after(j) {
                    break;
                }
                j += 1;
            }
            let head = span
                .iter()
                .copied()
                .find(|&j| plural(&words.lower[j]))
                .or_else(|| span.iter().copied().find(|&j| !words.capitalised(j)))
                .or_else(|| span.first().copied());
            if let Some(h) = head {
                noun = Some(Word::new(&words.lower[h]));
                np_end = h + 1;
            }
        }
        // "N years old" is an age, not a duration.
        if let Some(n) = &noun
            && is_time_unit(&n.key)
            && words
                .lower
                .get(np_end)
                .is_some_and(|w| AGE_WORDS.contains(&w.as_str()))
        {
            continue;
        }
        let qualifier = qualifier_before(&words, at).map(|(q, _)| q);
        // The word before governs the number, unless the number is the subject of a clause of
        // its own: its noun followed by an auxiliary ("said 16,000 citizens have signed"), or
        // a bare number by a participle ("said 144 killed").
        let after = role_after(&words, np_end, noun.is_some());
        let clause = after.is_some_and(|(j, aux)| {
            aux || (noun.is_none() && j == np_end && words.lower[j].ends_with("ed"))
        });
        let mut role = match (role_before(&words, at), after) {
            (_, Some((j, _))) if clause => Some(j),
            (Some(j), _) => Some(j),
            (None, a) => a.map(|(j, _)| j),
        }
        .map(|j| Word::new(&words.lower[j]));
        let label = qualifier.is_none()
            && DETERMINERS.contains(&prev)
            && noun
                .as_ref()
                .is_some_and(|n| !plural(&n.shown) && n.key != "$");
        // In a list ("ages 26, 29 and 37"), a number takes what the one before it counts and
        // what governs it.
        if let Some((last_end, last)) = &previous
            && at > 0
            && (*last_end == at
                || (*last_end + 1 == at && matches!(words.lower[at - 1].as_str(), "and" | "or")))
        {
            if noun.is_none() {
                noun.clone_from(&last.noun);
            }
            if role.is_none() {
                role.clone_from(&last.role);
            }
        }
        let fig = Figure {
            value,
            qualifier,
            noun,
            role,
            date: false,
            label,
            sentence,
        };
        previous = Some((end, fig.clone()));
        out.push(fig);
    }
    out
}

/// The word before a number that governs it: "killed (at least) 114", "the lives of 144",
/// "called up 300,000". `None` when the number starts a clause or follows a function word.
fn role_before(words: &Words, at: usize) -> Option<usize> {
    let q = qualifier_before(words, at).map_or(0, |(_, n)| n);
    let mut j = at - q; // the first word of the figure
    if j > 0 && !words.break_after(j - 1) && words.lower[j - 1] == "between" {
        j -= 1;
    }
    if j == 0 || words.break_after(j - 1) {
        return None;
    }
    let p = words.lower[j - 1].as_str();
    if LINKS.contains(&p) {
        let k = j.checked_sub(2)?;
        let w = words.lower[k].as_str();
        return (!words.break_after(k) && content(w) && words.number(k).is_none()).then_some(k);
    }
    // A name does not govern a count.
    if !content(p) || words.number(j - 1).is_some() || (j > 1 && words.capitalised(j - 1)) {
        return None;
    }
    Some(j - 1)
}

/// The word after a number's noun phrase that governs it, and whether an auxiliary came first:
/// the verb of "16,000 citizens have signed", the complement of "the 600 block of Henson Road".
fn role_after(words: &Words, from: usize, has_noun: bool) -> Option<(usize, bool)> {
    let mut k = from;
    let mut aux = false;
    let mut skipped = 0;
    while k < words.len() && k > 0 && !words.break_after(k - 1) && skipped < 4 {
        let w = words.lower[k].as_str();
        if AUXILIARIES.contains(&w) || (w.len() > 4 && w.ends_with("ly")) {
            aux |= AUXILIARIES.contains(&w);
            k += 1;
            skipped += 1;
            continue;
        }
        if w == "of" && has_noun && skipped == 0 {
            // "the 600 block of Henson Road": the first word of the complement.
            let mut c = k + 1;
            while c < words.len() && !words.break_after(c - 1) && !content(&words.lower[c]) {
                if words.number(c).is_some() {
                    return None;
                }
                c += 1;
            }
            return (c < words.len() && !words.break_after(c - 1) && content(&words.lower[c]))
                .then_some((c, false));
        }
        return (content(w) && words.number(k).is_none()).then_some((k, aux));
    }
    None
}

/// The content words of a sentence, by key.
fn content_words(sentence: &str) -> HashSet<String> {
    words_of(sentence)
        .map(|w| strip(w).to_lowercase())
        .filter(|w| w.chars().count() >= 3 && content(w))
        .map(|w| fold(&w))
        .collect()
}

/// A figure of one source, with its sentence's content words.
struct Entry<'a> {
    source: &'a str,
    fig: Figure<'a>,
    sentence: usize,
}

/// Union-find over `0..n`.
struct Sets(Vec<usize>);

impl Sets {
    fn new(n: usize) -> Sets {
        Sets((0..n).collect())
    }
    fn find(&mut self, x: usize) -> usize {
        let mut r = x;
        while self.0[r] != r {
            r = self.0[r];
        }
        let mut y = x;
        while self.0[y] != r {
            let next = self.0[y];
            self.0[y] = r;
            y = next;
        }
        r
    }
    fn union(&mut self, a: usize, b: usize) {
        let (a, b) = (self.find(a), self.find(b));
        if a != b {
            // The smaller index stays the root, so results follow input order.
            let (lo, hi) = (a.min(b), a.max(b));
            self.0[hi] = lo;
        }
    }
}

/// Keys to small integers, in order of first use.
#[derive(Default)]
struct Interner(HashMap<String, usize>);

impl Interner {
    fn id(&mut self, key: &str) -> usize {
        let n = self.0.len();
        *self.0.entry(key.to_string()).or_insert(n)
    }
}

/// Shared content words of two sentences, not counting the nouns the figures count.
fn shared(a: &HashSet<String>, b: &HashSet<String>, nouns: &[&str]) -> usize {
    a.iter()
        .filter(|w| b.contains(*w) && !nouns.contains(&w.as_str()))
        .count()
}

/// Significant digits an amount in one unit needs to be one fact without like sentences.
pub const PRECISE_DIGITS: usize = 3;

/// The significant digits of a value's first number: 3 for "2.53", 1 for "8 billion", 2 for
/// "1,200" (leading zeros and an integer's trailing zeros aside).
fn significant_digits(canon: &str) -> usize {
    let number = canon.split(' ').next().unwrap_or("");
    let digits: String = number.chars().filter(char::is_ascii_digit).collect();
    let digits = digits.trim_start_matches('0');
    if number.contains('.') {
        digits.len()
    } else {
        digits.trim_end_matches('0').len()
    }
}

/// The key of what kind of thing a noun measures: time, money, percentages or things.
fn measure(noun: &Word) -> u8 {
    match noun.key.as_str() {
        "$" => 1,
        "percent" => 2,
        k if is_time_unit(k) => 3,
        _ => 0,
    }
}

fn display_number(v: &str) -> String {
    let (int, frac) = match v.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (v, None),
    };
    let mut out = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 && int.len() > 4 {
            out.push(',');
        }
        out.push(c);
    }
    if int.len() == 4
        && !int.starts_with('0')
        && int
            .parse::<u32>()
            .is_ok_and(|n| !(1900..=2100).contains(&n))
    {
        out = format!("{},{}", &int[..1], &int[1..]);
    }
    if let Some(f) = frac {
        out.push('.');
        out.push_str(f);
    }
    out
}

/// One number as people write it: thousands separators, a scale word kept.
fn display_one(v: &str) -> String {
    match v.split_once(' ') {
        Some((n, unit)) if n.chars().all(|c| c.is_ascii_digit() || c == '.') => {
            format!("{} {unit}", display_number(n))
        }
        Some(_) => v.to_string(),
        None => display_number(v),
    }
}

/// A figure's value as people write it: "16,000", "$2.6 billion", "300 to 400", "March 22".
fn display(f: &Figure) -> String {
    let v = &f.value.canon;
    let shown = if f.date {
        v.clone()
    } else if let Some((a, b)) = v.split_once(" to ") {
        format!("{} to {}", display_one(a), display_one(b))
    } else {
        display_one(v)
    };
    match &f.noun {
        Some(n) if n.key == "$" => format!("${shown}"),
        _ => shown,
    }
}

/// The most used of some words, ties to the first in order.
fn most_used<'a>(words: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for w in words {
        *counts.entry(w).or_default() += 1;
    }
    counts
        .iter()
        .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
        .map(|(w, _)| *w)
}

/// The interval of values a figure allows, its bound read: "more than 130" is above 130, "up to
/// 1,700" at most 1,700, "about 40" within [`ESTIMATE`] of 40, "nearly 200" a little under 200.
/// "At least" gives the count known so far and is read as the number itself.
fn allowed(f: &Figure) -> (f64, f64) {
    let (lo, hi) = (f.value.lo, f.value.hi);
    match f.qualifier {
        Some(q) if LOWER_BOUNDS.contains(&q) => (hi, f64::INFINITY),
        Some(q) if UPPER_BOUNDS.contains(&q) => (0.0, hi),
        Some(q) if APPROXIMATIONS.contains(&q) => (lo * (1.0 - ESTIMATE), hi * (1.0 + ESTIMATE)),
        Some(q) if JUST_BELOW.contains(&q) => (lo * (1.0 - ESTIMATE), hi),
        _ => (lo, hi),
    }
}

/// The place value of a figure's last written digit: 1 for "129", 0.01 for "129.99", a billion
/// for "8 billion". A figure written to it agrees with any value less than one of it away ("$129"
/// for "$129.99", "$10" for "$9.99").
fn precision(f: &Figure) -> f64 {
    let first = f.value.canon.split(" to ").next().unwrap_or("");
    let mut parts = first.split(' ');
    let number = parts.next().unwrap_or("");
    let scale = parts.next().and_then(is_scale).unwrap_or(1.0);
    let decimals = number.split_once('.').map_or(0, |(_, d)| d.len());
    scale / 10f64.powi(i32::try_from(decimals).unwrap_or(0))
}

/// Whether two figures cannot both be true.
fn incompatible(a: &Figure, b: &Figure) -> bool {
    let ((lo_a, hi_a), (lo_b, hi_b)) = (allowed(a), allowed(b));
    let gap = (lo_b - hi_a).max(lo_a - hi_b).max(0.0);
    gap >= precision(a).max(precision(b))
}

/// Years a sentence names ("in 2003", "Feb. 24, 2022").
fn years_in(sentence: &str) -> BTreeSet<u32> {
    words_of(sentence)
        .filter_map(|w| {
            let t = strip(w);
            (t.len() == 4 && t.bytes().all(|b| b.is_ascii_digit()))
                .then(|| t.parse::<u32>().ok())
                .flatten()
                .filter(|y| (1000..=2100).contains(y))
        })
        .collect()
}

/// The places a sentence puts its news in: the capitalised word after "in", "near" or
/// "outside" (past a determiner), in lower case ("in Moscow", "in the Bronx").
fn places_in(sentence: &str) -> Vec<String> {
    let words: Vec<&str> = words_of(sentence).collect();
    let mut out = Vec::new();
    for (i, w) in words.iter().enumerate() {
        if !PLACE_PREPOSITIONS.contains(&w.to_lowercase().as_str()) {
            continue;
        }
        let mut j = i + 1;
        if words
            .get(j)
            .is_some_and(|n| DETERMINERS.contains(&n.to_lowercase().as_str()))
        {
            j += 1;
        }
        if let Some(n) = words.get(j) {
            let t = strip(n);
            let t = t.split('\'').next().unwrap_or(t);
            let lower = t.to_lowercase();
            if t.chars().next().is_some_and(char::is_uppercase)
                && t.chars().count() >= 3
                && !MONTHS.contains(&lower.as_str())
                && !is_function_word(&lower)
            {
                out.push(lower);
            }
        }
    }
    out
}

/// What a sentence says of when and where: the years and places it names.
struct Setting {
    years: BTreeSet<u32>,
    places: Vec<String>,
}

/// Whether two figures of one subject in two sources are not one quantity of one event: too far apart to be one count, at different times (one names a year the other does not),
/// or in different places (each names a place the other source never mentions).
fn different_event(
    a: (&Entry, &Setting),
    b: (&Entry, &Setting),
    mentioned: &BTreeMap<&str, HashSet<String>>,
) -> bool {
    let ((ea, sa), (eb, sb)) = (a, b);
    let (lo, hi) = (
        ea.fig.value.lo.min(eb.fig.value.lo),
        ea.fig.value.hi.max(eb.fig.value.hi),
    );
    let elsewhere = |p: &[String], source: &str| {
        !p.is_empty() && p.iter().all(|x| !mentioned[source].contains(x))
    };
    lo <= 0.0
        || hi / lo > CONFLICT_RATIO
        || sa.years != sb.years
        || (elsewhere(&sa.places, eb.source) && elsewhere(&sb.places, ea.source))
}

/// Whether the sentences of some figures, one per source, are about one thing: linked, pair by
/// pair, by agreeing values or by [`NEAR_SHARED_WORDS`] shared words (nouns counted aside).
fn one_topic(picked: &[usize], entries: &[Entry], sentence_words: &[HashSet<String>]) -> bool {
    let mut sets = Sets::new(picked.len());
    for x in 0..picked.len() {
        for y in x + 1..picked.len() {
            let (a, b) = (&entries[picked[x]], &entries[picked[y]]);
            let nouns: Vec<&str> = [&a.fig.noun, &b.fig.noun]
                .into_iter()
                .flatten()
                .map(|w| w.key.as_str())
                .collect();
            if !incompatible(&a.fig, &b.fig)
                || shared(
                    &sentence_words[a.sentence],
                    &sentence_words[b.sentence],
                    &nouns,
                ) >= NEAR_SHARED_WORDS
            {
                sets.union(x, y);
            }
        }
    }
    (0..picked.len()).all(|x| sets.find(x) == 0)
}

/// The `figure` and `conflict` rows of a story, from each source's sentences.
pub fn figure_rows(by_source: &BTreeMap<&str, Vec<&str>>, out: &mut Vec<Difference>) {
    // Each source's figures, one per (noun, role, value).
    let mut entries: Vec<Entry> = Vec::new();
    let mut sentence_words: Vec<HashSet<String>> = Vec::new();
    let mut settings: Vec<Setting> = Vec::new();
    // Each source's capitalised words, in lower case: the places it mentions.
    let mut mentioned: BTreeMap<&str, HashSet<String>> = BTreeMap::new();
    for (&source, sents) in by_source {
        let names = mentioned.entry(source).or_default();
        for s in sents {
            for w in words_of(s) {
                let t = strip(w);
                if t.chars().next().is_some_and(char::is_uppercase) {
                    names.insert(t.split('\'').next().unwrap_or(t).to_lowercase());
                }
            }
        }
    }
    for (&source, sents) in by_source {
        let mut seen = HashSet::new();
        for s in sents {
            let figs = figures_in(s);
            if figs.is_empty() {
                continue;
            }
            sentence_words.push(content_words(s));
            settings.push(Setting {
                years: years_in(s),
                places: places_in(s),
            });
            for fig in figs {
                let key = (
                    fig.noun.as_ref().map(|w| w.key.clone()),
                    fig.role.as_ref().map(|w| w.key.clone()),
                    fig.value.canon.clone(),
                    fig.date,
                );
                if seen.insert(key) {
                    entries.push(Entry {
                        source,
                        fig,
                        sentence: sentence_words.len() - 1,
                    });
                }
            }
        }
    }
    let n = entries.len();

    // 1. One fact: the same value in two sources, counting the same noun or said in sentences
    //    that share enough words.
    let mut facts = Sets::new(n);
    let mut by_value: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, e) in entries.iter().enumerate() {
        if !e.fig.date {
            by_value.entry(&e.fig.value.canon).or_default().push(i);
        }
    }
    for ids in by_value.values() {
        for (x, &a) in ids.iter().enumerate() {
            for &b in &ids[x + 1..] {
                let (ea, eb) = (&entries[a], &entries[b]);
                if ea.source == eb.source {
                    continue;
                }
                let words = || {
                    let nouns: Vec<&str> = [&ea.fig.noun, &eb.fig.noun]
                        .into_iter()
                        .flatten()
                        .map(|w| w.key.as_str())
                        .collect();
                    shared(
                        &sentence_words[ea.sentence],
                        &sentence_words[eb.sentence],
                        &nouns,
                    )
                };
                let roles_differ = match (&ea.fig.role, &eb.fig.role) {
                    (Some(x), Some(y)) => x.key != y.key,
                    _ => false,
                };
                let same = match (&ea.fig.noun, &eb.fig.noun) {
                    // One thing counted: one fact, unless two governing words make a small
                    // value a coincidence ("killed 12 people", "wounded 12 people").
                    (Some(x), Some(y)) if x.key == y.key && measure(x) == 0 => {
                        !roles_differ || ea.fig.value.lo >= 100.0 || words() >= SHARED_WORDS
                    }
                    // One unit ("$8 billion", "40%") says nothing of what is measured; a
                    // precise amount ("$2.53") is itself distinctive.
                    (Some(x), Some(y)) if x.key == y.key => {
                        significant_digits(&ea.fig.value.canon) >= PRECISE_DIGITS
                            || words() >= SHARED_WORDS
                    }
                    // Two nouns for one count: only a distinctive value in like sentences.
                    (Some(x), Some(y)) => {
                        measure(x) == measure(y)
                            && ea.fig.value.lo >= 100.0
                            && words() >= SHARED_WORDS
                    }
                    _ => words() >= SHARED_WORDS,
                };
                if same {
                    facts.union(a, b);
                }
            }
        }
    }

    // 2. The nouns and roles of one fact are one noun and one role in the whole story.
    let mut noun_ids = Interner::default();
    let mut role_ids = Interner::default();
    let noun_of: Vec<Option<usize>> = entries
        .iter()
        .map(|e| e.fig.noun.as_ref().map(|w| noun_ids.id(&w.key)))
        .collect();
    let role_of: Vec<Option<usize>> = entries
        .iter()
        .map(|e| e.fig.role.as_ref().map(|w| role_ids.id(&w.key)))
        .collect();
    let mut nouns = Sets::new(noun_ids.0.len());
    let mut roles = Sets::new(role_ids.0.len());
    let mut fact_noun: HashMap<usize, usize> = HashMap::new();
    let mut fact_role: HashMap<usize, usize> = HashMap::new();
    for i in 0..n {
        let f = facts.find(i);
        if let Some(x) = noun_of[i] {
            match fact_noun.get(&f) {
                Some(&y) => nouns.union(x, y),
                None => {
                    fact_noun.insert(f, x);
                }
            }
        }
        if let Some(x) = role_of[i] {
            match fact_role.get(&f) {
                Some(&y) => roles.union(x, y),
                None => {
                    fact_role.insert(f, x);
                }
            }
        }
    }

    // 3. Groups by (noun, role); a figure without a noun or role takes its fact's.
    const NONE: usize = usize::MAX;
    let mut group_of: Vec<(usize, usize)> = Vec::with_capacity(n);
    for i in 0..n {
        let f = facts.find(i);
        // A figure's governing word is its own sentence's; it takes its fact's noun only when
        // it has one ("injured nearly 200" counts the people of "200 people were injured"). A
        // bare "24" or "$8 billion" gets no category from another sentence.
        let inherit = role_of[i].is_some();
        let noun = noun_of[i]
            .or_else(|| inherit.then(|| fact_noun.get(&f).copied()).flatten())
            .map_or(NONE, |x| nouns.find(x));
        let role = role_of[i].map_or(NONE, |x| roles.find(x));
        group_of.push((noun, role));
    }
    let mut keys: Vec<(usize, usize)> = Vec::new();
    let mut group_members: Vec<Vec<usize>> = Vec::new();
    let mut group_index: HashMap<(usize, usize), usize> = HashMap::new();
    for (i, g) in group_of.iter().enumerate() {
        if entries[i].fig.date {
            continue;
        }
        let k = *group_index.entry(*g).or_insert_with(|| {
            keys.push(*g);
            group_members.push(Vec::new());
            keys.len() - 1
        });
        group_members[k].push(i);
    }

    // 4. Groups of one noun in which each source gives one value, with no source in common and
    //    near values in like sentences, are one quantity.
    let mut merged = Sets::new(keys.len());
    let span: Vec<Option<(f64, f64)>> = group_members
        .iter()
        .zip(&keys)
        .map(|(m, &(noun, _))| {
            // A unit (time, money, a share) is not a thing counted: near amounts under two
            // governing words are two amounts.
            let unit = entries[m[0]]
                .fig
                .noun
                .as_ref()
                .is_some_and(|w| measure(w) != 0);
            let mut per_source: BTreeMap<&str, &str> = BTreeMap::new();
            let one_each = m.iter().all(|&i| {
                let e = &entries[i];
                *per_source.entry(e.source).or_insert(&e.fig.value.canon) == e.fig.value.canon
            });
            let points = m.iter().all(|&i| {
                let f = &entries[i].fig;
                f.value.lo == f.value.hi && f.value.lo > 0.0 && !f.label
            });
            (noun != NONE && !unit && one_each && points).then(|| {
                m.iter().fold((f64::MAX, 0.0f64), |(lo, hi), &i| {
                    (
                        lo.min(entries[i].fig.value.lo),
                        hi.max(entries[i].fig.value.hi),
                    )
                })
            })
        })
        .collect();
    let mut pairs: Vec<(f64, usize, usize)> = Vec::new();
    for a in 0..keys.len() {
        for b in a + 1..keys.len() {
            let (Some((lo_a, hi_a)), Some((lo_b, hi_b))) = (span[a], span[b]) else {
                continue;
            };
            if keys[a].0 != keys[b].0 {
                continue;
            }
            let ratio = hi_a.max(hi_b) / lo_a.min(lo_b);
            if ratio > NEAR {
                continue;
            }
            let alike = group_members[a].iter().any(|&i| {
                group_members[b].iter().any(|&j| {
                    let nouns: Vec<&str> = [&entries[i].fig.noun, &entries[j].fig.noun]
                        .into_iter()
                        .flatten()
                        .map(|w| w.key.as_str())
                        .collect();
                    shared(
                        &sentence_words[entries[i].sentence],
                        &sentence_words[entries[j].sentence],
                        &nouns,
                    ) >= NEAR_SHARED_WORDS
                })
            });
            if alike {
                pairs.push((ratio, a, b));
            }
        }
    }
    pairs.sort_by(|p, q| p.0.total_cmp(&q.0).then(p.1.cmp(&q.1)).then(p.2.cmp(&q.2)));
    // Per merged root: the sources and the range of values.
    let mut spans: Vec<(BTreeSet<&str>, f64, f64)> = group_members
        .iter()
        .zip(&span)
        .map(|(m, v)| {
            let (lo, hi) = v.unwrap_or((0.0, 0.0));
            (m.iter().map(|&i| entries[i].source).collect(), lo, hi)
        })
        .collect();
    for (_, a, b) in pairs {
        let (ra, rb) = (merged.find(a), merged.find(b));
        if ra == rb {
            continue;
        }
        let (sa, lo_a, hi_a) = &spans[ra];
        let (sb, lo_b, hi_b) = &spans[rb];
        let (lo, hi) = (lo_a.min(*lo_b), hi_a.max(*hi_b));
        if !sa.is_disjoint(sb) || hi / lo > NEAR {
            continue;
        }
        let union: BTreeSet<&str> = sa.union(sb).copied().collect();
        merged.union(ra, rb);
        let r = merged.find(ra);
        spans[r] = (union, lo, hi);
    }

    // 5. Labels: the most used role and noun of each quantity.
    let mut quantities: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for (g, m) in group_members.iter().enumerate() {
        let r = merged.find(g);
        quantities.entry(r).or_default().extend(m);
    }
    let mut label_of: Vec<String> = vec!["date".into(); n];
    let mut used: HashSet<String> = HashSet::new();
    let mut quantity_list: Vec<(String, Vec<usize>, bool)> = Vec::new();
    for ids in quantities.values() {
        let role = most_used(
            ids.iter()
                .filter_map(|&i| entries[i].fig.role.as_ref().map(|w| w.shown.as_str())),
        );
        let noun = most_used(
            ids.iter()
                .filter_map(|&i| entries[i].fig.noun.as_ref().map(|w| w.shown.as_str())),
        );
        let base = match (role, noun) {
            (Some(r), Some(n)) => format!("{r} ({n})"),
            (Some(r), None) => r.to_string(),
            (None, Some(n)) => n.to_string(),
            (None, None) => "number".to_string(),
        };
        let mut label = base.clone();
        let mut k = 2;
        while base != "number" && !used.insert(label.clone()) {
            label = format!("{base} [{k}]");
            k += 1;
        }
        for &i in ids {
            label_of[i] = label.clone();
        }
        quantity_list.push((label, ids.clone(), role.is_some()));
    }

    // Figure rows, one per (source, subject, value).
    let mut rows = BTreeSet::new();
    let mut by_source_rows: Vec<usize> = (0..n).collect();
    by_source_rows.sort_by(|&a, &b| entries[a].source.cmp(entries[b].source).then(a.cmp(&b)));
    for i in by_source_rows {
        let e = &entries[i];
        let value = display(&e.fig);
        if !rows.insert((e.source, label_of[i].clone(), value.clone())) {
            continue;
        }
        let shown = match e.fig.qualifier {
            Some(q) => format!("{q} {value}"),
            None => value.clone(),
        };
        out.push(Difference {
            kind: "figure".into(),
            subject: label_of[i].clone(),
            source: Some(e.source.to_string()),
            value,
            detail: format!("{shown}: {}", e.fig.sentence),
        });
    }

    // Conflicts: two or more sources, each one value, two of them incompatible.
    quantity_list.sort_by(|a, b| a.0.cmp(&b.0));
    for (subject, ids, has_role) in quantity_list {
        // Without a governing word nothing says what the number is about.
        if !has_role {
            continue;
        }
        let mut per_source: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
        for &i in &ids {
            let v = per_source.entry(entries[i].source).or_default();
            if !v
                .iter()
                .any(|&j| entries[j].fig.value.canon == entries[i].fig.value.canon)
            {
                v.push(i);
            }
        }
        if per_source.len() < 2 || per_source.values().any(|v| v.len() != 1) {
            continue;
        }
        let picked: Vec<usize> = per_source.values().map(|v| v[0]).collect();
        // Two values that cannot both be true, each pair of them about one event: the same
        // time and place, said in like sentences.
        let mut clash = false;
        let mut apart = false;
        for (x, &a) in picked.iter().enumerate() {
            for &b in &picked[x + 1..] {
                if incompatible(&entries[a].fig, &entries[b].fig) {
                    clash = true;
                    let setting = |i: usize| &settings[entries[i].sentence];
                    apart |= different_event(
                        (&entries[a], setting(a)),
                        (&entries[b], setting(b)),
                        &mentioned,
                    );
                }
            }
        }
        if clash && !apart && !one_topic(&picked, &entries, &sentence_words) {
            apart = true;
        }
        if !clash || apart {
            continue;
        }
        let chosen: Vec<(&str, &Figure)> = picked
            .iter()
            .map(|&i| (entries[i].source, &entries[i].fig))
            .collect();
        let mut values: BTreeMap<String, Vec<(&str, Option<&str>)>> = BTreeMap::new();
        for (s, f) in &chosen {
            values.entry(display(f)).or_default().push((s, f.qualifier));
        }
        let mut groups: Vec<(String, Vec<&str>)> = values
            .iter()
            .map(|(v, srcs)| {
                // Keep a bound in the label when every source for this value used the same one
                // and it changes the meaning ("more than 130"); "at least" and "about" do not.
                let q = srcs[0].1;
                let label = match q {
                    Some(q)
                        if srcs.iter().all(|s| s.1 == Some(q)) && STRICT_BOUNDS.contains(&q) =>
                    {
                        format!("{q} {v}")
                    }
                    _ => v.clone(),
                };
                (label, srcs.iter().map(|s| s.0).collect())
            })
            .collect();
        groups.sort_by(|a, b| b.1.len().cmp(&a.1.len()).then(a.0.cmp(&b.0)));
        let summary = groups
            .iter()
            .map(|(label, srcs)| {
                format!(
                    "{label} ({} source{}: {})",
                    srcs.len(),
                    if srcs.len() == 1 { "" } else { "s" },
                    srcs.join(", ")
                )
            })
            .collect::<Vec<_>>()
            .join("; ");
        for (label, srcs) in &groups {
            for s in srcs {
                out.push(Difference {
                    kind: "conflict".into(),
                    subject: subject.clone(),
                    source: Some(s.to_string()),
                    value: label.clone(),
                    detail: summary.clone(),
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (noun key, role key, value, qualifier) of a figure.
    type Read = (Option<String>, Option<String>, String, Option<&'static str>);

    /// [`Read`] of each figure of a sentence.
    fn read(sentence: &str) -> Vec<Read> {
        figures_in(sentence)
            .into_iter()
            .map(|f| {
                (
                    f.noun.map(|w| w.key),
                    f.role.map(|w| w.key),
                    f.value.canon,
                    f.qualifier,
                )
            })
            .collect()
    }

    fn fig(noun: Option<&str>, role: Option<&str>, value: &str, q: Option<&'static str>) -> Read {
        (
            noun.map(String::from),
            role.map(String::from),
            value.to_string(),
            q,
        )
    }

    #[test]
    fn keys_ignore_plural_possessive_and_verb_endings() {
        for (word, key) in [
            ("citizens", "citizen"),
            ("citizen", "citizen"),
            ("Russians’", "russian"),
            ("Russia's", "russia"),
            ("killed", "kill"),
            ("kills", "kill"),
            ("registered", "register"),
            ("registering", "register"),
            ("injured", "injur"),
            ("injures", "injur"),
            ("casualties", "casualty"),
            ("witnesses", "witness"),
            ("process", "process"),
            ("bonus", "bonus"),
            ("days", "day"),
        ] {
            assert_eq!(fold(word), key, "{word}");
        }
    }

    #[test]
    fn the_noun_is_the_head_of_the_phrase_after_the_number() {
        assert_eq!(
            read("Some 16,000 Russian citizens have signed contracts."),
            [fig(Some("citizen"), Some("sign"), "16000", Some("some"))]
        );
        assert_eq!(
            read("The pack adds 10 extra titles to the game."),
            [fig(Some("titl"), Some("add"), "10", None)]
        );
        // No plural: the first word in lower case.
        assert_eq!(
            read("It said 144 zorblat were found."),
            [fig(Some("zorblat"), Some("found"), "144", None)]
        );
        // A participle begins what is said, it is not what is counted.
        assert_eq!(
            read("Officials said 144 killed."),
            [fig(None, Some("kill"), "144", None)]
        );
    }

    #[test]
    fn the_role_is_the_word_that_governs_the_number() {
        // The word before it.
        assert_eq!(
            read("The attack killed at least 114 people."),
            [fig(Some("peopl"), Some("kill"), "114", Some("at least"))]
        );
        // Through "of", "to", "up".
        assert_eq!(
            read("It took the lives of 144 people."),
            [fig(Some("peopl"), Some("liv"), "144", None)]
        );
        assert_eq!(
            read("Moscow had called up 300,000 people."),
            [fig(Some("peopl"), Some("call"), "300000", None)]
        );
        // Else the verb after the noun, past auxiliaries and adverbs.
        assert_eq!(
            read("He said 1,700 volunteers have reportedly registered."),
            [fig(Some("volunteer"), Some("register"), "1700", None)]
        );
        // A bare number keeps its governing word.
        assert_eq!(
            read("The attack injured nearly 200, officials said."),
            [fig(None, Some("injur"), "200", Some("nearly"))]
        );
        // The complement of a thing a number names.
        let f = figures_in("Police found him in the 5000 block of Noon Road.");
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].noun.as_ref().unwrap().key, "block");
        assert_eq!(f[0].role.as_ref().unwrap().key, "noon");
        assert!(f[0].label, "the 5000 block names a place");
        // Nothing governs a number that starts a clause and is followed by a preposition.
        assert_eq!(
            read("There were about 200 people at the event."),
            [fig(Some("peopl"), None, "200", Some("about"))]
        );
    }

    #[test]
    fn money_scales_ranges_and_lists() {
        let f = figures_in("The company signed a $2.6 billion deal on Monday.");
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].noun.as_ref().unwrap().key, "$");
        assert_eq!(f[0].value.canon, "2.6 billion");
        assert_eq!(f[0].value.lo, 2.6e9);
        assert_eq!(display(&f[0]), "$2.6 billion");

        let f = figures_in("Between 100 and 150 people attended the party.");
        assert_eq!(f.len(), 1);
        assert_eq!((f[0].value.lo, f[0].value.hi), (100.0, 150.0));
        assert_eq!(f[0].noun.as_ref().unwrap().key, "peopl");
        assert_eq!(f[0].role.as_ref().unwrap().key, "attend");
        let f = figures_in("Some 300-400 people marched.");
        assert_eq!((f[0].value.lo, f[0].value.hi), (300.0, 400.0));

        // In a list each number takes the governing word of the first.
        assert_eq!(
            read("The victims, ages 26, 29 and 37, were taken to hospital."),
            [
                fig(None, Some("age"), "26", None),
                fig(None, Some("age"), "29", None),
                fig(None, Some("age"), "37", None),
            ]
        );
    }

    #[test]
    fn names_dates_times_years_and_ages_are_not_counts() {
        assert!(read("He played Mortal Kombat 11 and won.").is_empty());
        assert!(read("Shots were fired at 10 a.m. on the bridge.").is_empty());
        assert!(read("Since 2014 the man, 20 years old, lived there.").is_empty());
        let f = figures_in("The attack on March 22 came after Feb. 24, 2022.");
        let dates: Vec<(&str, bool)> = f.iter().map(|f| (f.value.canon.as_str(), f.date)).collect();
        assert_eq!(dates, [("March 22", true), ("Feb 24", true)]);
    }

    fn rows(texts: &[(&str, &str)]) -> Vec<Difference> {
        let by_source: BTreeMap<&str, Vec<&str>> = texts
            .iter()
            .map(|(s, t)| (*s, super::super::differences::sentences(t)))
            .collect();
        let mut out = Vec::new();
        figure_rows(&by_source, &mut out);
        out
    }

    fn subjects_of(rows: &[Difference], value: &str) -> Vec<String> {
        rows.iter()
            .filter(|d| d.kind == "figure" && d.value == value)
            .map(|d| d.subject.clone())
            .collect()
    }

    #[test]
    fn one_value_in_like_sentences_teaches_nouns_and_roles() {
        // "citizens" and "people" count one thing here; "signed" and "enlisted" are one role.
        let r = rows(&[
            (
                "A",
                "Officials said 16,000 citizens have signed contracts in ten days. \
                 More than 100,000 people have enlisted this year.",
            ),
            (
                "B",
                "Officials said 16,000 people have signed contracts in ten days. \
                 More than 100,000 people have signed up this year.",
            ),
        ]);
        let s16 = subjects_of(&r, "16,000");
        let s100 = subjects_of(&r, "100,000");
        assert_eq!(s16.len(), 2);
        assert_eq!(s16[0], s16[1], "{r:#?}");
        assert_eq!(s100, [s16[0].clone(), s16[0].clone()], "{r:#?}");
        // A bare number takes the noun of the same value in a like sentence.
        let r = rows(&[
            (
                "A",
                "The shooting at the mall injured nearly 200, police said.",
            ),
            (
                "B",
                "Police said 200 people were injured in the mall shooting.",
            ),
        ]);
        let s = subjects_of(&r, "200");
        assert_eq!(s, ["injured (people)", "injured (people)"], "{r:#?}");
    }

    #[test]
    fn conflicts_need_one_role_and_incompatible_values() {
        let conflicts = |r: &[Difference]| -> Vec<(String, String)> {
            r.iter()
                .filter(|d| d.kind == "conflict")
                .map(|d| (d.source.clone().unwrap(), d.value.clone()))
                .collect()
        };
        // A range is compatible with the values inside it.
        let party = |n: &str| format!("Police said {n} people attended the party downtown.");
        let r = rows(&[("A", &party("between 100 and 150")), ("B", &party("120"))]);
        assert!(conflicts(&r).is_empty(), "{r:#?}");
        let r = rows(&[("A", &party("between 100 and 150")), ("B", &party("200"))]);
        assert_eq!(
            conflicts(&r),
            [
                ("A".to_string(), "100 to 150".to_string()),
                ("B".to_string(), "200".to_string())
            ]
        );
        // Without a governing word nothing says the two counts are one.
        let r = rows(&[
            (
                "A",
                "Police said there were about 200 people at the party downtown.",
            ),
            (
                "B",
                "Police said there were 17 people at the party downtown.",
            ),
        ]);
        assert!(conflicts(&r).is_empty(), "{r:#?}");
        // Different governing words, far values: two facts.
        let r = rows(&[
            (
                "A",
                "Police said the gunman killed 12 people at the party downtown.",
            ),
            (
                "B",
                "Police said the gunman wounded 40 people at the party downtown.",
            ),
        ]);
        assert!(conflicts(&r).is_empty(), "{r:#?}");
        // A number that names a place is not merged with a near one under another word.
        let r = rows(&[
            (
                "A",
                "Police responded to a call in the 32000 block of Military Road.",
            ),
            (
                "B",
                "Police responded to a call in the 33300 block of Pine Lane.",
            ),
        ]);
        assert!(conflicts(&r).is_empty(), "{r:#?}");
        // A source giving two values for one subject reports two facts, not a conflict.
        let r = rows(&[
            (
                "A",
                "Police said 30 people were arrested on Friday. Police said 45 people were arrested on Saturday.",
            ),
            ("B", "Police said 30 people were arrested on Friday."),
        ]);
        assert!(conflicts(&r).is_empty(), "{r:#?}");
    }
}
