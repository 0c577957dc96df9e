//! Normalization: article text → clean paragraphs and their word tokens.
//!
//! In: the plain text of an article (markup already removed by `extract`), one paragraph a line.
//! Out: a [`NormalizedText`]: each kept paragraph in its clean form (for people and diffs), the
//! hash of its key form (for learning per-source boilerplate) and the hashes of its word tokens
//! (for fingerprints). Furniture lines and the trailer (reader comments, "Source link", author
//! boxes) are dropped here; the stored original is never touched.

pub mod boilerplate;
pub mod furniture;
pub mod learned;
pub mod plain;
pub mod text;

use boilerplate::LineKind;

/// One kept paragraph.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paragraph {
    /// The clean form: NFKC, one form of quotes, dashes and spaces; case kept.
    pub text: String,
    /// Hash of the key form (case-folded tokens), the same for lines differing only in typography.
    pub key_hash: u64,
    /// Hashes of the word tokens, in order.
    pub tokens: Vec<u64>,
}

/// What normalization kept and how much it dropped.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NormalizedText {
    pub paragraphs: Vec<Paragraph>,
    /// Furniture lines dropped by the fixed rules.
    pub furniture_lines: usize,
    /// Lines dropped as the trailer (reader comments and what follows the article).
    pub trailer_lines: usize,
}

impl NormalizedText {
    /// The clean text, one paragraph a line.
    pub fn clean_text(&self) -> String {
        let mut out = String::new();
        for p in &self.paragraphs {
            if !out.is_empty() {
                out.push('\n');
            }
            out.push_str(&p.text);
        }
        out
    }

    pub fn word_count(&self) -> usize {
        self.paragraphs.iter().map(|p| p.tokens.len()).sum()
    }
}

/// A trailer heading only cuts the text when at least this share of the words comes before it, so
/// a "Comments" line near the top (a section menu) does not eat the article.
const TRAILER_MIN_SHARE: f64 = 0.3;

/// Normalizes a plain-text article.
pub fn normalize(body: &str) -> NormalizedText {
    Normalizer::default().normalize(body)
}

/// Normalizes texts one after another, reusing its scratch space: the pipeline keeps one per
/// thread, so a document's lines grow no buffers.
#[derive(Default)]
pub struct Normalizer {
    scratch: plain::Scratch,
    spans: Vec<(u32, u32)>,
    key: String,
    kinds: Vec<LineKind>,
}

impl Normalizer {
    /// [`normalize`], with this normalizer's scratch space.
    pub fn normalize(&mut self, body: &str) -> NormalizedText {
        let Normalizer {
            scratch,
            spans,
            key,
            kinds,
        } = self;
        kinds.clear();
        // Every line with words, and beside it (in `kinds`) what the rules call it. One paragraph a
        // line at most: sized once.
        let mut lines: Vec<Paragraph> =
            Vec::with_capacity(memchr::memchr_iter(b'\n', body.as_bytes()).count() + 1);
        for raw in split_lines(body) {
            spans.clear();
            let mut tokens = Vec::with_capacity(raw.len() / 5 + 1);
            // The rules read at most this many words of a line's key.
            let key_words = boilerplate::CLASSIFY_WORDS + 1;
            let clean = if plain::tokenize_plain(raw, scratch, &mut tokens, spans, key_words) {
                raw.to_owned()
            } else {
                let clean = text::clean_line(raw);
                if clean.is_empty() {
                    continue;
                }
                if !(clean.is_ascii()
                    && plain::tokenize_clean(&clean, scratch, &mut tokens, spans, key_words))
                {
                    text::for_each_token(&clean, |t| tokens.push(text::token_hash(t)));
                }
                clean
            };
            if tokens.is_empty() {
                // Punctuation only ("***", "—"): separators, not text.
                continue;
            }
            // Most lines are ruled out as furniture by their token hashes; the others are classified
            // by their key, built only then: from the token spans when the plain path found them.
            let kind = if !boilerplate::may_be_furniture(&tokens) {
                LineKind::Content
            } else if spans.is_empty() {
                boilerplate::classify(&text::key_form(&clean))
            } else {
                key.clear();
                for &(s, e) in spans.iter() {
                    if !key.is_empty() {
                        key.push(' ');
                    }
                    let at = key.len();
                    key.push_str(&clean[s as usize..e as usize]);
                    key[at..].make_ascii_lowercase();
                }
                boilerplate::classify(key)
            };
            lines.push(Paragraph {
                key_hash: text::key_hash_of_tokens(&tokens),
                text: clean,
                tokens,
            });
            kinds.push(kind);
        }

        let total_words: usize = lines.iter().map(|l| l.tokens.len()).sum();
        let mut out = NormalizedText::default();
        let mut words_before = 0usize;
        let mut kept_words = 0usize;
        for (i, (line, &kind)) in lines.iter().zip(kinds.iter()).enumerate() {
            if kind == LineKind::TrailerStart
                && kept_words > 0
                && words_before as f64 >= TRAILER_MIN_SHARE * total_words as f64
            {
                out.trailer_lines = lines.len() - i;
                break;
            }
            words_before += line.tokens.len();
            if kind == LineKind::Content {
                kept_words += line.tokens.len();
            } else {
                out.furniture_lines += 1;
            }
        }
        lines.truncate(lines.len() - out.trailer_lines);
        let mut kind = kinds.iter();
        lines.retain(|_| kind.next() == Some(&LineKind::Content));
        out.paragraphs = lines;
        out
    }
}

/// The lines of a text, as [`str::lines`] cuts them (`\n` or `\r\n` ends a line, and a last
/// line needs none), found with a vectorized search.
fn split_lines(body: &str) -> impl Iterator<Item = &str> {
    let mut start = 0;
    let mut breaks = memchr::memchr_iter(b'\n', body.as_bytes());
    std::iter::from_fn(move || {
        let line = match breaks.next() {
            Some(end) => {
                let line = &body[start..end];
                start = end + 1;
                line.strip_suffix('\r').unwrap_or(line)
            }
            None if start < body.len() => {
                let line = &body[start..];
                start = body.len();
                line
            }
            None => return None,
        };
        Some(line)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comments_after_the_article_are_cut_and_furniture_dropped() {
        let body = "Support Us\n\nThe ministry said 16,000 people signed contracts in ten days, and that up to 1,700 come every day.\nAdvertisement:\nIt said more than 100,000 had enlisted since January, a figure that could not be verified.\nComments (2)\nGreat article!\nThe 6500 attendee venue had no guards.";
        let n = normalize(body);
        let text = n.clean_text();
        assert!(text.starts_with("The ministry said 16,000"));
        assert!(text.ends_with("could not be verified."));
        assert_eq!(n.paragraphs.len(), 2);
        assert_eq!(n.furniture_lines, 2);
        assert_eq!(n.trailer_lines, 3);
    }

    #[test]
    fn an_early_comments_heading_does_not_eat_the_article() {
        let body = "Comments\nThe ministry said 16,000 people signed contracts in ten days, and that up to 1,700 come every day.";
        let n = normalize(body);
        assert_eq!(n.paragraphs.len(), 1);
    }

    #[test]
    fn lines_are_cut_as_the_standard_library_cuts_them() {
        for body in [
            "",
            "\n",
            "a",
            "a\n",
            "a\nb",
            "a\r\nb\r\n",
            "\n\na\n\n",
            "a\r",
            "a\rb\n",
            "\r\n",
        ] {
            assert_eq!(
                split_lines(body).collect::<Vec<_>>(),
                body.lines().collect::<Vec<_>>(),
                "{body:?}"
            );
        }
    }

    #[test]
    fn typography_does_not_change_keys() {
        let a = normalize("\u{201C}It\u{2019}s over,\u{201D} he said \u{2014} twice.");
        let b = normalize("&quot;It's over,&quot; he said - twice.");
        assert_eq!(a.paragraphs[0].key_hash, b.paragraphs[0].key_hash);
        assert_eq!(a.paragraphs[0].text, b.paragraphs[0].text);
    }
}
