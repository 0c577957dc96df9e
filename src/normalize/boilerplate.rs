//! Outlet furniture and reader comments: which lines of an article are not its reporting.
//!
//! In: one line's key form (see [`super::text::key_form`]). Out: a [`LineKind`]. The rules are
//! phrase lists matched on whole leading tokens, so they hold across case, punctuation and
//! typography. Lines a source repeats across many of its own articles are learned separately,
//! from the store (see `cluster::Boilerplate`).

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
        return if key.starts_with("your email address will not be published") {
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
    if key.starts_with("your email address will not be published") {
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
