//! Outlet furniture and reader comments: which lines of an article are not its reporting.
//!
//! In: one line's key form (see [`super::text::key_form`]). Out: a [`LineKind`]. The rules are
//! phrase lists matched on whole leading tokens, so they hold across case, punctuation and
//! typography. Lines a source repeats across many of its own articles are learned separately,
//! from the store (see `cluster::Boilerplate`). [`may_be_furniture`] rules most lines out from
//! their token hashes alone, before any key is built.

use super::text::token_hash_bytes;

/// What a line is, as far as the fixed rules can tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineKind {
    /// Reporting, or at least nothing the rules recognise.
    Content,
    /// Furniture: an advert marker, a share or "read more" line, a cookie notice, a credit.
    Furniture,
    /// The start of what follows an article: reader comments, "Source link", an author bio box.
    /// Everything from here to the end is dropped when it comes late enough in the text.
    TrailerStart,
}

/// Lines that are furniture when they are *exactly* one of these (key form).
const WHOLE_LINE: &[&str] = &[
    "ad",
    "ads",
    "advertisement",
    "advertisements",
    "sponsored",
    "sponsored content",
    "support us",
    "donate",
    "share",
    "share this",
    "share this article",
    "share this story",
    "share on facebook",
    "share on twitter",
    "tweet",
    "email",
    "print",
    "subscribe",
    "sign up",
    "newsletter",
    "related",
    "related articles",
    "related stories",
    "related news",
    "read more",
    "read next",
    "more stories",
    "most read",
    "most popular",
    "trending",
    "skip to content",
    "skip to main content",
    "menu",
    "search",
    "loading",
    "close",
    "back to top",
    "listen to this article",
    "follow us",
    "story continues below advertisement",
    "article continues below advertisement",
    "continue reading",
    "continue reading below",
    "scroll to continue",
    "click to share",
    "copy link",
    "link copied",
];

/// Lines that are furniture when they *start* with one of these (key form) and are short.
const LEADING: &[&str] = &[
    "read more",
    "read also",
    "also read",
    "see also",
    "related",
    "recommended",
    "more from",
    "more on this",
    "more news",
    "you may also like",
    "you might also like",
    "don t miss",
    "share this",
    "share on",
    "follow us",
    "follow the",
    "like us on",
    "subscribe to",
    "subscribe for",
    "sign up for",
    "sign up to",
    "get the latest",
    "click here",
    "tap here",
    "copyright",
    "c copyright",
    "all rights reserved",
    "we use cookies",
    "this website uses cookies",
    "this site uses cookies",
    "by continuing to use",
    "by using this site",
    "accept cookies",
    "cookie settings",
    "cookie policy",
    "privacy policy",
    "terms of use",
    "terms of service",
    "photo",
    "pictured",
    "file photo",
    "getty images",
    "ap photo",
    "reuters photo",
    "afp photo",
    "support us",
    "become a member",
    "become our patron",
    "join our",
    "download our app",
    "download the app",
    "advertisement",
    "sponsored",
    "published",
    "updated",
    "last updated",
    "filed under",
    "tags",
    "topics",
    "categories",
];

/// Lines that point to another article ("See also: <headline>"), furniture up to [`LINK_MAX_WORDS`].
const LINKS: &[&str] = &[
    "read more",
    "read also",
    "also read",
    "see also",
    "related",
    "more from",
    "recommended",
];

/// How many words a link line (a lead phrase and a headline) may have.
const LINK_MAX_WORDS: usize = 30;

/// Lines that are furniture when they *contain* one of these (key form) and are short.
const CONTAINED: &[&str] = &[
    "use cookies",
    "uses cookies",
    "cookie policy",
    "accept cookies",
    "accept all cookies",
    "cookie settings",
    "by continuing to browse",
    "by continuing to use this",
    "become our patron",
    "become a patron",
    "support our journalism",
    "support independent journalism",
    "subscribe to our newsletter",
    "sign up for our newsletter",
    "sign up to our newsletter",
    "all rights reserved",
    "follow us on",
    "click here to",
];

/// How many words a line led by a [`LEADING`] phrase may have and still be furniture.
const LEADING_MAX_WORDS: usize = 14;

/// Lines that open the trailer (key form, exact, or followed by a count such as "comments 4").
const TRAILER: &[&str] = &[
    "comments",
    "comment",
    "reader comments",
    "readers comments",
    "user comments",
    "show comments",
    "view comments",
    "hide comments",
    "load comments",
    "post a comment",
    "add a comment",
    "add comment",
    "leave a comment",
    "leave a reply",
    "leave a reply cancel reply",
    "join the conversation",
    "join the discussion",
    "discussion",
    "what do you think",
    "have your say",
    "comments are closed",
    "source link",
    "original source",
    "about the author",
    "about the writer",
    "responses",
    "replies",
];

/// Words that, after a trailer phrase, still leave the line a heading ("comments 4", "0 replies").
fn is_count_or_filler(tok: &str) -> bool {
    tok.bytes().all(|b| b.is_ascii_digit())
        || matches!(
            tok,
            "so" | "far"
                | "here"
                | "below"
                | "now"
                | "closed"
                | "to"
                | "this"
                | "article"
                | "story"
        )
}

/// The comment form's notice, which opens the trailer however long the line is.
const EMAIL_NOTICE: &str = "your email address will not be published";

fn starts_with_phrase(key: &str, phrase: &str) -> bool {
    key.strip_prefix(phrase)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with(' '))
}

/// Lines of more words than this are reporting: the rules look at no more than the first
/// `CLASSIFY_WORDS + 1` words of a key.
pub const CLASSIFY_WORDS: usize = 2 * if LEADING_MAX_WORDS > LINK_MAX_WORDS {
    LEADING_MAX_WORDS
} else {
    LINK_MAX_WORDS
};

/// Classifies one line by its key form and word count.
pub fn classify(key: &str) -> LineKind {
    if key.is_empty() {
        return LineKind::Furniture;
    }
    let words = key.bytes().filter(|&b| b == b' ').count() + 1;
    // Long lines are reporting: every rule below is for short lines.
    if words > CLASSIFY_WORDS {
        return if key.starts_with(EMAIL_NOTICE) {
            LineKind::TrailerStart
        } else {
            LineKind::Content
        };
    }
    if words <= 8 {
        for phrase in TRAILER {
            if starts_with_phrase(key, phrase) {
                let rest = &key[phrase.len()..];
                if rest
                    .split(' ')
                    .filter(|t| !t.is_empty())
                    .all(is_count_or_filler)
                {
                    return LineKind::TrailerStart;
                }
            }
        }
        // "4 comments", "12 responses"
        let mut toks = key.split(' ');
        if let (Some(n), Some(w), None) = (toks.next(), toks.next(), toks.next())
            && n.bytes().all(|b| b.is_ascii_digit())
            && matches!(w, "comments" | "comment" | "responses" | "replies")
        {
            return LineKind::TrailerStart;
        }
    }
    if key.starts_with(EMAIL_NOTICE) {
        return LineKind::TrailerStart;
    }
    if WHOLE_LINE.contains(&key) {
        return LineKind::Furniture;
    }
    if words <= LEADING_MAX_WORDS && LEADING.iter().any(|p| starts_with_phrase(key, p)) {
        return LineKind::Furniture;
    }
    // A link to another article carries that article's whole headline.
    if words <= LINK_MAX_WORDS && LINKS.iter().any(|p| starts_with_phrase(key, p)) {
        return LineKind::Furniture;
    }
    if words <= 2 * LEADING_MAX_WORDS
        && std::iter::once(0)
            .chain(key.match_indices(' ').map(|(i, _)| i + 1))
            .any(|i| CONTAINED.iter().any(|p| starts_with_phrase(&key[i..], p)))
    {
        return LineKind::Furniture;
    }
    LineKind::Content
}

/// A set of token hashes as a 16384-bit filter: a hash outside it is surely not in the set; one
/// inside it probably is (for the ~150 phrases here, about 1% of other hashes pass too).
struct TokenFilter([u64; 256]);

impl TokenFilter {
    const fn bit(h: u64) -> (usize, u64) {
        let i = (h >> 50) as usize;
        (i / 64, 1u64 << (i % 64))
    }

    const fn insert(mut self, h: u64) -> TokenFilter {
        let (w, b) = Self::bit(h);
        self.0[w] |= b;
        self
    }

    #[inline]
    fn may_contain(&self, h: u64) -> bool {
        let (w, b) = Self::bit(h);
        self.0[w] & b != 0
    }
}

/// The `n`th space-separated word of a phrase (`None` past its last word).
const fn nth_word(phrase: &str, n: usize) -> Option<&[u8]> {
    let b = phrase.as_bytes();
    let (mut start, mut word, mut i) = (0, 0, 0);
    while i <= b.len() {
        if i == b.len() || b[i] == b' ' {
            if word == n {
                return Some(b.split_at(i).0.split_at(start).1);
            }
            word += 1;
            start = i + 1;
        }
        i += 1;
    }
    None
}

/// Two adjacent tokens as one hash, for the [`CONTAINED`] phrases' first two words.
#[inline]
const fn pair_hash(a: u64, b: u64) -> u64 {
    a.rotate_left(29) ^ b
}

/// What a line must start with for a rule to match it: the one word of a one-word phrase, and the
/// first two words (as a [`pair_hash`]) of a longer one.
const LEADS: TokenFilter = {
    let mut f = TokenFilter([0; 256]);
    let lists: [&[&str]; 5] = [WHOLE_LINE, LEADING, LINKS, TRAILER, &[EMAIL_NOTICE]];
    let mut l = 0;
    while l < lists.len() {
        let mut i = 0;
        while i < lists[l].len() {
            f = match (nth_word(lists[l][i], 0), nth_word(lists[l][i], 1)) {
                (Some(a), None) => f.insert(token_hash_bytes(a)),
                (Some(a), Some(b)) => f.insert(pair_hash(token_hash_bytes(a), token_hash_bytes(b))),
                (None, _) => panic!("an empty phrase"),
            };
            i += 1;
        }
        l += 1;
    }
    f
};

/// The second tokens of a two-token trailer heading ("4 comments").
const COUNT_WORDS: [u64; 4] = [
    token_hash_bytes(b"comments"),
    token_hash_bytes(b"comment"),
    token_hash_bytes(b"responses"),
    token_hash_bytes(b"replies"),
];

/// The first two words of every [`CONTAINED`] phrase, as [`pair_hash`]es.
const CONTAINED_PAIRS: TokenFilter = {
    let mut f = TokenFilter([0; 256]);
    let mut i = 0;
    while i < CONTAINED.len() {
        match (nth_word(CONTAINED[i], 0), nth_word(CONTAINED[i], 1)) {
            (Some(a), Some(b)) => {
                f = f.insert(pair_hash(token_hash_bytes(a), token_hash_bytes(b)));
            }
            _ => panic!("a contained phrase has two words or more"),
        }
        i += 1;
    }
    f
};

/// Whether [`classify`] could call a line of these token hashes ([`super::text::token_hash`] of
/// its key's words) anything but [`LineKind::Content`]. `false` is certain; `true` means the
/// line's key must be built and classified. Most lines of reporting are ruled out here from the
/// hashes alone, without building their key.
pub fn may_be_furniture(tokens: &[u64]) -> bool {
    let Some(&first) = tokens.first() else {
        return true;
    };
    if LEADS.may_contain(first)
        || tokens
            .get(1)
            .is_some_and(|&t| LEADS.may_contain(pair_hash(first, t)))
    {
        return true;
    }
    if tokens.len() == 2 && COUNT_WORDS.contains(&tokens[1]) {
        return true;
    }
    tokens.len() <= 2 * LEADING_MAX_WORDS
        && tokens
            .windows(2)
            .any(|w| CONTAINED_PAIRS.may_contain(pair_hash(w[0], w[1])))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::normalize::text::{clean_line, key_form};

    fn kind(line: &str) -> LineKind {
        classify(&key_form(&clean_line(line)))
    }

    #[test]
    fn furniture_lines_are_recognised() {
        for l in [
            "Advertisement:",
            "Support Us",
            "Support UP or become our patron!",
            "Read more: Russia says 16,000 signed up",
            "See also  Senate hopes to quickly dismiss Mayor Card's impeachment charges",
            "See also  Arctic explosion creates dangerous icy environment, death toll in U.S. exceeds 60",
            "Photo: Getty Images",
            "© Copyright 2024 The Daily Planet. All rights reserved.",
            "We use cookies to improve your experience.",
            "SHARE THIS ARTICLE",
        ] {
            assert_eq!(kind(l), LineKind::Furniture, "{l}");
        }
    }

    #[test]
    fn comment_headings_open_the_trailer() {
        for l in [
            "Comments (4)",
            "COMMENTS",
            "Leave a Reply",
            "Source link",
            "12 comments",
            "Join the conversation",
        ] {
            assert_eq!(kind(l), LineKind::TrailerStart, "{l}");
        }
    }

    /// The token-hash pre-check never rules out a line the rules would call furniture or a trailer.
    #[test]
    fn the_pre_check_passes_every_line_the_rules_catch() {
        use crate::normalize::text::tokenize;
        let lists = [
            WHOLE_LINE,
            LEADING,
            LINKS,
            CONTAINED,
            TRAILER,
            &[EMAIL_NOTICE],
        ];
        let mut words: Vec<&str> = Vec::new();
        for list in lists {
            for phrase in list {
                words.extend(phrase.split(' '));
            }
        }
        words.extend([
            "4", "12", "the", "minister", "said", "crocus", "on", "to", "far",
        ]);
        let mut lines: Vec<String> = Vec::new();
        for list in lists {
            for phrase in list {
                lines.push(phrase.to_string());
                lines.push(format!("{phrase} 4"));
                lines.push(format!("{phrase} the minister said"));
                lines.push(format!("the minister said {phrase}"));
                lines.push(format!("{phrase} {}", "word ".repeat(70)));
            }
        }
        let mut st = 0x9e37_79b9_7f4a_7c15u64;
        for i in 0..50_000 {
            let mut line = Vec::new();
            for _ in 0..1 + i % 31 {
                st ^= st << 13;
                st ^= st >> 7;
                st ^= st << 17;
                line.push(words[(st >> 20) as usize % words.len()]);
            }
            lines.push(line.join(" "));
        }
        let mut caught = 0;
        for line in &lines {
            let (mut key, mut hashes) = (String::new(), Vec::new());
            tokenize(line, &mut key, &mut hashes);
            if classify(&key) != LineKind::Content {
                caught += 1;
                assert!(may_be_furniture(&hashes), "{line:?}");
            }
        }
        assert!(caught > 1_000, "{caught} lines caught");
        // And ordinary reporting is ruled out from the hashes alone.
        for line in [
            "the ministry said 16,000 people signed contracts in ten days",
            "photographs taken at the scene showed the burnt out hall",
            "more than 100,000 have enlisted since january",
        ] {
            let (mut key, mut hashes) = (String::new(), Vec::new());
            tokenize(line, &mut key, &mut hashes);
            assert!(!may_be_furniture(&hashes), "{line}");
        }
    }

    #[test]
    fn reporting_is_content() {
        for l in [
            "Details: The Russian Defence Ministry noted that since the beginning of this year, more than 100,000 people have enlisted.",
            "Source: Russian Defence Ministry on Telegram",
            "Photographs taken at the scene showed the burnt-out hall, which the ministry said would be rebuilt within two years at the owners' expense.",
            "Comments from the minister were not immediately available, his office said on Tuesday evening.",
        ] {
            assert_eq!(kind(l), LineKind::Content, "{l}");
        }
    }
}
