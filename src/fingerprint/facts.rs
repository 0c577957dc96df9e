//! Facts: what a text states, beside its wording, for telling a copy from a template.
//!
//! In: the clean lines of an article and how much of its headline its text
//! reports. Out: [`Facts`], compact enough to keep for every article in memory and to store.
//!
//! Two texts can share almost all their wording and report different news: another company's
//! earnings report, another match's result, another town's crime log, an obituary form. What
//! differs is their facts — the names and figures. A fact here is a word holding a digit, or a
//! capitalised word inside a sentence that is not a function word ("Tuesday", "Acme", "144"); a
//! line's *skeleton*
//! is its wording with the facts masked. Where two texts have lines with the same skeleton, their
//! facts line up slot by slot, and [`compare`] counts the facts they agree on and the distinct
//! substitutions. A syndicated copy changes a figure or two (a death toll updated); a template
//! substitutes most of them ([`FactsView::is_template_of`]).
//!
//! The headline is the other check. A page whose text does not report its own headline (the crawl
//! caught a registration box, a paywall notice or a video player instead of the article) shares
//! that text with unrelated pages; two such pages are copies only when their headlines agree
//! ([`FactsView::headlines_disagree`]).

use xxhash_rust::xxh3::xxh3_64;

/// Lines kept per article (the first ones, the headline included).
pub const MAX_LINES: usize = 16;
/// Facts kept per article.
const MAX_FACTS: usize = 64;
/// A line needs this many words that are not facts for its skeleton to say anything.
const MIN_SKELETON_WORDS: usize = 4;
/// Share of a headline's content words its text must hold for the text to report it.
const MIN_HEADLINE_SUPPORT: f64 = 0.25;

/// One line's facts: the hash of its skeleton and its facts, in order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FactLine {
    pub skeleton: u32,
    pub facts: Vec<u32>,
}

/// Whether a word, as written, closes a sentence (or opens a quotation, after which a capital
/// may be any word).
fn ends_sentence(raw: &[u8]) -> bool {
    matches!(raw.last(), Some(b'.' | b'!' | b'?' | b':' | b'"')) || raw.first() == Some(&b'"')
}

/// A byte that may start or be part of a fact: a digit, a capital, or any byte of a non-ASCII
/// character (decoded only then).
#[inline]
fn may_be_fact(b: u8) -> bool {
    b.is_ascii_digit() || b.is_ascii_uppercase() || b >= 0x80
}

/// Whether the word starting at `word_start` opens a sentence: no word before it, or the one
/// before ends one.
fn opens_sentence(line: &[u8], word_start: usize) -> bool {
    let before = &line[..word_start];
    match before.iter().rposition(|b| !b.is_ascii_whitespace()) {
        None => true,
        Some(e) => {
            let s = before[..e]
                .iter()
                .rposition(u8::is_ascii_whitespace)
                .map_or(0, |s| s + 1);
            ends_sentence(&before[s..=e])
        }
    }
}

/// A word without the punctuation around it.
fn word_of(raw: &str) -> &str {
    raw.trim_matches(|c: char| !c.is_alphanumeric())
}

/// The facts of one clean line, or `None` when it has none, or too few other words for its
/// skeleton to match only its own kind of line.
///
/// The skeleton is the line's bytes with each fact replaced by one mask byte, hashed once. The
/// line is scanned for the bytes a fact needs (a digit, a capital, a non-ASCII character) and
/// only the words holding one are looked at, so a line costs little more than a copy.
pub fn fact_line(text: &str, is_function_word: impl Fn(&str) -> bool) -> Option<FactLine> {
    let line = text.as_bytes();
    let mut skeleton: Vec<u8> = Vec::new();
    let mut facts: Vec<u32> = Vec::new();
    let mut folded = String::new();
    let mut copied = 0;
    let mut at = 0;
    while let Some(off) = line[at..].iter().position(|&b| may_be_fact(b)) {
        let hit = at + off;
        let start = line[..hit]
            .iter()
            .rposition(u8::is_ascii_whitespace)
            .map_or(0, |s| s + 1);
        let end = line[hit..]
            .iter()
            .position(u8::is_ascii_whitespace)
            .map_or(line.len(), |e| hit + e);
        at = end;
        let raw = &text[start..end];
        let word = word_of(raw);
        let Some(first) = word.chars().next() else {
            continue;
        };
        folded.clear();
        if word.is_ascii() {
            folded.push_str(word);
            folded.make_ascii_lowercase();
        } else {
            folded.extend(word.chars().flat_map(char::to_lowercase));
        }
        // A capitalised word opening a sentence may be any word: it is wording.
        let is_fact = word.bytes().any(|b| b.is_ascii_digit())
            || (first.is_uppercase() && !is_function_word(&folded) && !opens_sentence(line, start));
        if !is_fact {
            continue;
        }
        // Case-folded, digit group separators left out ("16,000" = "16000").
        folded.retain(|c| c != ',');
        facts.push(xxh3_64(folded.as_bytes()) as u32);
        let w0 = start + (raw.len() - raw.trim_start_matches(|c: char| !c.is_alphanumeric()).len());
        if skeleton.capacity() == 0 {
            skeleton.reserve(line.len());
        }
        skeleton.extend_from_slice(&line[copied..w0]);
        skeleton.push(1);
        copied = w0 + word.len();
    }
    if facts.is_empty() {
        return None;
    }
    skeleton.extend_from_slice(&line[copied..]);
    // Words: runs of bytes between ASCII spaces that hold a letter or digit (or any non-ASCII
    // character), counted without decoding.
    let words = line
        .split(u8::is_ascii_whitespace)
        .filter(|w| w.iter().any(|&b| b.is_ascii_alphanumeric() || b >= 0x80))
        .count();
    (words.saturating_sub(facts.len()) >= MIN_SKELETON_WORDS).then(|| FactLine {
        skeleton: xxh3_64(&skeleton) as u32,
        facts,
    })
}

/// How far a text reports its headline: the headline's content words (figures and terms, not
/// function words) and how many of them the text holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct HeadlineSupport {
    pub words: usize,
    pub found: usize,
}

impl HeadlineSupport {
    /// True when the text holds at least [`MIN_HEADLINE_SUPPORT`] of its headline's content words
    /// (or there is no headline to report).
    pub fn reported(self) -> bool {
        self.words == 0 || self.found as f64 >= MIN_HEADLINE_SUPPORT * self.words as f64
    }
}

/// An article's facts, packed in `u32` words (the form kept in memory and stored):
/// `[header, skeletons…, fact counts…, facts…, headline words…]`, where the header holds the
/// number of lines (bits 0–7), of headline words (bits 8–15) and whether the text reports its
/// headline (bit 16). The headline words are kept only for a text that does not report it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Facts(Vec<u32>);

const REPORTED_BIT: u32 = 1 << 16;

impl Facts {
    /// Packs the fact lines of a text with its headline's
    /// content words (ids, any order) and how far the text reports them.
    pub fn build<'a>(
        lines: impl IntoIterator<Item = &'a FactLine>,
        headline_words: &[u32],
        support: HeadlineSupport,
    ) -> Facts {
        let mut kept: Vec<&FactLine> = Vec::new();
        let mut facts = 0;
        for l in lines {
            if kept.len() == MAX_LINES {
                break;
            }
            // A line of more facts than there is room left for (a list of names) is passed over.
            if facts + l.facts.len() <= MAX_FACTS {
                facts += l.facts.len();
                kept.push(l);
            }
        }
        let reported = support.reported();
        let headline: &[u32] = if reported {
            &[]
        } else {
            &headline_words[..headline_words.len().min(255)]
        };
        let mut out = Vec::with_capacity(1 + 2 * kept.len() + facts + headline.len());
        out.push(
            kept.len() as u32
                | ((headline.len() as u32) << 8)
                | if reported { REPORTED_BIT } else { 0 },
        );
        out.extend(kept.iter().map(|l| l.skeleton));
        out.extend(kept.iter().map(|l| l.facts.len() as u32));
        for l in &kept {
            out.extend_from_slice(&l.facts);
        }
        out.extend_from_slice(headline);
        Facts(out)
    }

    /// Facts from their packed words (as [`Facts::words`] gave them); damaged or empty words
    /// give no facts, which compare as unknown.
    pub fn from_words(words: Vec<u32>) -> Facts {
        let f = Facts(words);
        if f.valid() { f } else { Facts::default() }
    }

    pub fn words(&self) -> &[u32] {
        &self.0
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        self.0.iter().flat_map(|v| v.to_le_bytes()).collect()
    }

    pub fn from_bytes(b: &[u8]) -> Facts {
        Facts::from_words(
            b.chunks_exact(4)
                .map(|c| u32::from_le_bytes(c.try_into().expect("4 bytes")))
                .collect(),
        )
    }

    fn valid(&self) -> bool {
        self.view().valid()
    }

    /// The facts as read in place.
    pub fn view(&self) -> FactsView<'_> {
        FactsView(&self.0)
    }
}

/// [`Facts`] read in place from their packed words (as a clusterer keeps them).
#[derive(Debug, Clone, Copy)]
pub struct FactsView<'a>(&'a [u32]);

impl<'a> FactsView<'a> {
    /// Facts packed as [`Facts::words`] gives them.
    pub fn new(words: &'a [u32]) -> FactsView<'a> {
        FactsView(words)
    }

    /// The packed words.
    pub fn words(&self) -> &'a [u32] {
        self.0
    }

    fn valid(&self) -> bool {
        let Some(&h) = self.0.first() else {
            return true;
        };
        let lines = (h & 0xff) as usize;
        let headline = ((h >> 8) & 0xff) as usize;
        let Some(counts) = self.0.get(1 + lines..1 + 2 * lines) else {
            return false;
        };
        let facts: usize = counts.iter().map(|&c| c as usize).sum();
        self.0.len() == 1 + 2 * lines + facts + headline
    }

    fn header(&self) -> u32 {
        self.0.first().copied().unwrap_or(REPORTED_BIT)
    }

    fn lines(&self) -> usize {
        (self.header() & 0xff) as usize
    }

    /// True unless the text is known not to report its headline.
    pub fn reports_headline(&self) -> bool {
        self.header() & REPORTED_BIT != 0
    }

    fn headline(&self) -> &'a [u32] {
        let n = ((self.header() >> 8) & 0xff) as usize;
        &self.0[self.0.len().saturating_sub(n)..]
    }

    /// The lines, as (skeleton, facts).
    fn each_line(&self) -> impl Iterator<Item = (u32, &'a [u32])> + use<'a> {
        let words = self.0;
        let n = self.lines();
        let skeletons = words.get(1..1 + n).unwrap_or(&[]);
        let counts = words.get(1 + n..1 + 2 * n).unwrap_or(&[]);
        let mut at = 1 + 2 * n;
        skeletons.iter().zip(counts).map(move |(&s, &c)| {
            let facts = &words[at..at + c as usize];
            at += c as usize;
            (s, facts)
        })
    }

    /// True when neither text reports its headline and the headlines share less than two thirds
    /// of the content words of the shorter one: the pages share what is around their articles, not an
    /// article. (One shared word is not enough: in a town's crime news most headlines say
    /// "shooting" and the town's name, and "victims identified" is half of a short one.)
    pub fn headlines_disagree(&self, other: FactsView<'_>) -> bool {
        if self.reports_headline() || other.reports_headline() {
            return false;
        }
        let (a, b) = (self.headline(), other.headline());
        let shared = a.iter().filter(|w| b.contains(w)).count();
        !a.is_empty() && !b.is_empty() && 3 * shared < 2 * a.len().min(b.len())
    }

    /// True when the two texts line up as one template filled with other facts: on the lines
    /// whose skeletons they share, at least [`MIN_SUBSTITUTIONS`] distinct substitutions and no
    /// more facts agreeing than substituted.
    pub fn is_template_of(&self, other: FactsView<'_>) -> bool {
        let c = compare(*self, other);
        c.substituted >= MIN_SUBSTITUTIONS && c.substituted >= c.agreeing
    }
}

/// Distinct substitutions that can make two aligned texts a template: one changed figure (a
/// toll updated, in the lede and again below) is an edit.
pub const MIN_SUBSTITUTIONS: usize = 2;

/// What two texts' aligned lines say about their facts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FactComparison {
    /// Lines of the first text whose skeleton the second has.
    pub aligned_lines: usize,
    /// Distinct facts the aligned lines agree on.
    pub agreeing: usize,
    /// Distinct (first, second) pairs of facts in the same slot of aligned lines that differ.
    pub substituted: usize,
}

/// Lines up two texts' facts on the skeletons they share.
pub fn compare(a: FactsView<'_>, b: FactsView<'_>) -> FactComparison {
    // Most texts share no skeleton: nothing is allocated for them.
    let mut agreeing: Vec<u32> = Vec::new();
    let mut substituted: Vec<(u32, u32)> = Vec::new();
    let mut aligned_lines = 0;
    for (skeleton, facts) in a.each_line() {
        let Some((_, other)) = b
            .each_line()
            .find(|(s, f)| *s == skeleton && f.len() == facts.len())
        else {
            continue;
        };
        aligned_lines += 1;
        for (&x, &y) in facts.iter().zip(other.iter()) {
            if x == y {
                agreeing.push(x);
            } else {
                substituted.push((x, y));
            }
        }
    }
    agreeing.sort_unstable();
    agreeing.dedup();
    substituted.sort_unstable();
    substituted.dedup();
    FactComparison {
        aligned_lines,
        agreeing: agreeing.len(),
        substituted: substituted.len(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn function_word(w: &str) -> bool {
        matches!(w, "the" | "a" | "in" | "he" | "she" | "it" | "on" | "of")
    }

    fn facts_of(lines: &[&str]) -> Facts {
        let lines: Vec<FactLine> = lines
            .iter()
            .filter_map(|l| fact_line(l, function_word))
            .collect();
        Facts::build(&lines, &[], HeadlineSupport::default())
    }

    #[test]
    fn a_line_s_facts_are_its_figures_and_capitalised_words() {
        let l = fact_line(
            "Last year the company said on Tuesday that Acme sold 16,000 units in Ohio.",
            function_word,
        )
        .unwrap();
        assert_eq!(l.facts.len(), 4, "Tuesday, Acme, 16,000, Ohio");
        assert_eq!(l.facts[2], xxh3_64(b"16000") as u32);
        let other = fact_line(
            "Last year the company said on Friday that Beta sold 9 units in Texas.",
            function_word,
        )
        .unwrap();
        assert_eq!(l.skeleton, other.skeleton);
        assert!(fact_line("no facts in this line at all", function_word).is_none());
        assert!(fact_line("Acme 16 Ohio", function_word).is_none());
        assert_eq!(word_of("(“Acme’s”),"), "Acme’s");
        assert_eq!(word_of("--"), "");
        // Sentences: a capital after one ends, or in the first word, is wording.
        let l = fact_line(
            "Rain fell. Acme said: Rain fell on Ohio today again",
            function_word,
        );
        assert_eq!(l.map(|l| l.facts.len()), Some(1), "Ohio");
        // Non-ASCII words are read as characters: a capital beyond ASCII is a name.
        let l = fact_line(
            "the firm sold units in Łódź and in Kraków last week",
            function_word,
        );
        assert_eq!(l.map(|l| l.facts.len()), Some(2), "Łódź, Kraków");
        assert!(fact_line("the firm sold units in łódź and in kraków", function_word).is_none());
        assert_eq!(word_of("«Крокус»,"), "Крокус");
    }

    #[test]
    fn a_template_filled_with_other_facts_is_told_from_a_copy_with_one_figure_changed() {
        let original = facts_of(&[
            "Acme Corp reported revenue of $1.2 billion for the third quarter, up 5 percent.",
            "Chief executive Jane Doe said demand in Europe had recovered.",
            "Shares of Acme rose 3 percent in trading on the Nasdaq.",
        ]);
        let template = facts_of(&[
            "Beta Inc reported revenue of $4.7 billion for the third quarter, up 9 percent.",
            "Chief executive John Roe said demand in Asia had recovered.",
            "Shares of Beta rose 1 percent in trading on the Nasdaq.",
        ]);
        let copy = facts_of(&[
            "Acme Corp reported revenue of $1.2 billion for the third quarter, up 6 percent.",
            "Chief executive Jane Doe said demand in Europe had recovered.",
            "Shares of Acme rose 3 percent in trading on the Nasdaq.",
        ]);
        assert!(template.view().is_template_of(original.view()));
        assert!(original.view().is_template_of(template.view()));
        assert!(!copy.view().is_template_of(original.view()));
        let c = compare(copy.view(), original.view());
        assert_eq!((c.aligned_lines, c.substituted), (3, 1));
        // Texts with nothing in common line up nowhere, and are no template of each other.
        let other = facts_of(&["Rain is expected over Kent on Sunday and through the week."]);
        assert_eq!(compare(other.view(), original.view()).aligned_lines, 0);
        assert!(!other.view().is_template_of(original.view()));
    }

    #[test]
    fn pages_that_do_not_report_their_headlines_disagree_unless_the_headlines_agree() {
        let unreported = HeadlineSupport { words: 4, found: 0 };
        let panel = |headline: &[u32]| Facts::build(&[], headline, unreported);
        assert!(
            panel(&[1, 2, 3])
                .view()
                .headlines_disagree(panel(&[4, 5]).view())
        );
        assert!(
            panel(&[1, 2, 3])
                .view()
                .headlines_disagree(panel(&[3, 5, 6]).view())
        );
        assert!(
            !panel(&[1, 2, 3])
                .view()
                .headlines_disagree(panel(&[2, 3]).view())
        );
        let reported = Facts::build(&[], &[4, 5], HeadlineSupport { words: 4, found: 1 });
        assert!(reported.view().reports_headline());
        assert!(!panel(&[1, 2, 3]).view().headlines_disagree(reported.view()));
        assert!(
            !Facts::default()
                .view()
                .headlines_disagree(panel(&[1]).view())
        );
    }

    #[test]
    fn facts_survive_bytes_and_damaged_bytes_give_none() {
        let f = facts_of(&[
            "Acme Corp reported revenue of $1.2 billion for the third quarter, up 5 percent.",
            "Shares of Acme rose 3 percent in trading on the Nasdaq.",
        ]);
        assert_eq!(Facts::from_bytes(&f.to_bytes()), f);
        let mut b = f.to_bytes();
        b.truncate(b.len() - 4);
        assert_eq!(Facts::from_bytes(&b), Facts::default());
        assert!(Facts::default().view().reports_headline());
    }
}
