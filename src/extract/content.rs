//! Main-text extraction: which part of a page is the article, and its text one block a line.
//!
//! In: a [`Dom`], the page's title and its deadline. Out: the article's text (empty when the page
//! has none). Each step is a pass or two over the nodes (an ancestor walk is at most five deep).
//!
//! The steps, all on general signals (no site-specific rules):
//! 1. Furniture is set aside: elements that never hold article text (scripts, controls,
//!    navigation, asides, footers, hidden elements), and elements whose class or id words name
//!    page furniture (comments, share bars, related links, newsletter boxes, bylines, ...) unless
//!    a word also names content or the element holds half the page's prose (forms likewise: some
//!    sites wrap the whole page in one).
//! 2. Each block's own lines (its text outside child blocks) of 25+ characters score 1, plus one
//!    per comma, plus one per 100 characters (at most 3), for the block itself (a `<p>`: for its
//!    parent) and decreasingly for four more ancestors. An ancestor starts from a small weight of
//!    its tag and ±25 when its class/id names content or furniture, and its final score is scaled
//!    by its share of text outside links. The best-scoring element is the article; siblings that
//!    score close to it or are prose paragraphs join it, and so do other blocks of the same
//!    content-named class (an article split into chunks around ads).
//! 3. Inside the article, blocks made mostly of links (related stories, tag lists), the headline,
//!    short figures and furniture-named blocks are dropped, and the rest is written one block a
//!    line; a first line repeating the title is dropped.

use super::Deadline;
use super::dom::{Dom, Kind, NONE};
use crate::limits::LimitExceeded;

/// Elements that never hold article text.
fn is_never_text(name: &str) -> bool {
    matches!(
        name,
        "script"
            | "style"
            | "noscript"
            | "template"
            | "nav"
            | "aside"
            | "footer"
            | "button"
            | "select"
            | "option"
            | "textarea"
            | "input"
            | "label"
            | "iframe"
            | "svg"
            | "canvas"
            | "head"
            | "object"
            | "embed"
            | "menu"
            | "dialog"
            | "video"
            | "audio"
            | "picture"
            | "img"
            | "link"
            | "meta"
            | "title"
    )
}

/// Elements that end a line of text.
pub fn is_block(name: &str) -> bool {
    matches!(
        name,
        "p" | "div"
            | "br"
            | "li"
            | "ul"
            | "ol"
            | "h1"
            | "h2"
            | "h3"
            | "h4"
            | "h5"
            | "h6"
            | "blockquote"
            | "pre"
            | "table"
            | "tbody"
            | "thead"
            | "tr"
            | "td"
            | "th"
            | "section"
            | "article"
            | "header"
            | "footer"
            | "figure"
            | "figcaption"
            | "dd"
            | "dt"
            | "dl"
            | "hr"
            | "main"
            | "address"
            | "details"
            | "summary"
            | "caption"
    )
}

/// Class/id words naming page furniture (a word of a class or id matches when it starts with
/// one of these: "comments", "share-bar", "RelatedLinks").
const FURNITURE: &[&str] = &[
    "comment",
    "disqus",
    "respond",
    "repl",
    "share",
    "sharing",
    "social",
    "related",
    "recommend",
    "newsletter",
    "subscri",
    "signup",
    "promo",
    "sponsor",
    "advert",
    "banner",
    "outbrain",
    "taboola",
    "sidebar",
    "widget",
    "breadcrumb",
    "pagination",
    "pager",
    "cookie",
    "consent",
    "gdpr",
    "popup",
    "modal",
    "masthead",
    "footer",
    "byline",
    "dateline",
    "author",
    "tags",
    "toolbar",
    "readmore",
    "trending",
    "paywall",
    "print",
    "skip",
    "hidden",
    "caption",
    "credit",
    "timestamp",
    "meta",
    "rating",
    "copyright",
    "disclaimer",
    "nav",
    "menu",
];

/// Class/id words naming content; they overrule furniture words on the same element.
const CONTENT: &[&str] = &[
    "article", "body", "content", "entry", "main", "post", "story", "text", "blog",
];

/// The words of a class or id: split at non-alphanumerics and lower-to-upper case changes,
/// lower-cased ("ArticleBody-main_text" → article, body, main, text).
fn words(s: &str, mut each: impl FnMut(&str)) {
    let mut word = String::new();
    let mut prev_lower = false;
    for c in s.chars() {
        if !c.is_alphanumeric() {
            if !word.is_empty() {
                each(&word);
                word.clear();
            }
            prev_lower = false;
            continue;
        }
        if c.is_uppercase() && prev_lower && !word.is_empty() {
            each(&word);
            word.clear();
        }
        prev_lower = c.is_lowercase() || c.is_ascii_digit();
        word.extend(c.to_lowercase());
    }
    if !word.is_empty() {
        each(&word);
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Hint {
    None,
    Content,
    Furniture,
}

/// What an element's class and id say it is.
fn hint(dom: &Dom<'_>, i: usize) -> Hint {
    let Some(e) = dom.element(i) else {
        return Hint::None;
    };
    let mut furniture = false;
    let mut content = false;
    let mut check = |w: &str| {
        if CONTENT.iter().any(|c| w.starts_with(c)) {
            content = true;
        } else if w == "ad" || w == "ads" || FURNITURE.iter().any(|f| w.starts_with(f)) {
            furniture = true;
        }
    };
    if let Some(c) = e.attr("class") {
        words(c, &mut check);
    }
    if let Some(id) = e.attr("id") {
        words(id, &mut check);
    }
    if let Some(role) = e.attr("role") {
        match role {
            "navigation" | "banner" | "contentinfo" | "complementary" | "dialog" | "menu"
            | "menubar" | "search" | "alert" => furniture = true,
            "main" | "article" => content = true,
            _ => {}
        }
    }
    if content {
        Hint::Content
    } else if furniture {
        Hint::Furniture
    } else {
        Hint::None
    }
}

fn is_hidden(dom: &Dom<'_>, i: usize) -> bool {
    let Some(e) = dom.element(i) else {
        return false;
    };
    if e.attr("hidden").is_some() || e.attr("aria-hidden") == Some("true") {
        return true;
    }
    if let Some(style) = e.attr("style") {
        let s: String = style
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_ascii_lowercase();
        if s.contains("display:none") || s.contains("visibility:hidden") {
            return true;
        }
    }
    false
}

/// Characters of a text node as the reader sees them: whitespace runs count one.
fn visible_len(t: &str) -> (u32, u32) {
    let mut len = 0u32;
    let mut commas = 0u32;
    let mut space = true;
    for c in t.chars() {
        if c.is_whitespace() {
            if !space {
                len += 1;
                space = true;
            }
        } else {
            len += 1;
            space = false;
            if matches!(c, ',' | '，' | '、' | '،') {
                commas += 1;
            }
        }
    }
    (len, commas)
}

/// Per-node measurements.
struct Stats {
    /// Set aside: never text, hidden, or furniture by name.
    dropped: Vec<bool>,
    hint: Vec<Hint>,
    /// Visible characters in the subtree (dropped parts excluded).
    text: Vec<u32>,
    /// Of those, inside links.
    link: Vec<u32>,
    commas: Vec<u32>,
    /// Text, link text and commas in the element's own line(s): its text children and inline
    /// elements, not its block-level children.
    inline: Vec<u32>,
    inline_link: Vec<u32>,
    inline_commas: Vec<u32>,
    /// Characters outside links in paragraphs of 25+ characters.
    prose: Vec<u32>,
}

fn measure(dom: &Dom<'_>, deadline: &mut Deadline) -> Result<Stats, LimitExceeded> {
    let n = dom.len();
    let mut s = Stats {
        dropped: vec![false; n],
        hint: vec![Hint::None; n],
        text: vec![0; n],
        link: vec![0; n],
        commas: vec![0; n],
        inline: vec![0; n],
        inline_link: vec![0; n],
        inline_commas: vec![0; n],
        prose: vec![0; n],
    };
    // Never text, or hidden.
    for i in 0..n {
        deadline.tick()?;
        let parent = dom.nodes[i].parent;
        if parent != NONE && s.dropped[parent as usize] {
            s.dropped[i] = true;
            continue;
        }
        if let Kind::Element(e) = dom.nodes[i].kind {
            s.hint[i] = hint(dom, i);
            if is_never_text(e.name()) || is_hidden(dom, i) {
                s.dropped[i] = true;
            }
        }
    }
    sums(dom, &mut s, deadline)?;
    // Furniture by name, unless it holds half the page's prose (class names are not always
    // what they seem: a page builder's "widget" can hold the article).
    let page_prose = s.prose.first().copied().unwrap_or(0);
    let mut changed = false;
    for i in 0..n {
        deadline.tick()?;
        let parent = dom.nodes[i].parent;
        if s.dropped[i] {
            continue;
        }
        if parent != NONE && s.dropped[parent as usize] {
            s.dropped[i] = true;
            continue;
        }
        let name = dom.name(i);
        if (s.hint[i] == Hint::Furniture || name == "form")
            && !matches!(name, "html" | "body" | "main" | "article")
            && s.prose[i] * 2 < page_prose
        {
            s.dropped[i] = true;
            changed = true;
        }
    }
    if changed {
        sums(dom, &mut s, deadline)?;
    }
    Ok(s)
}

/// Subtree sums of the kept nodes.
fn sums(dom: &Dom<'_>, s: &mut Stats, deadline: &mut Deadline) -> Result<(), LimitExceeded> {
    let n = dom.len();
    for v in [
        &mut s.text,
        &mut s.link,
        &mut s.commas,
        &mut s.prose,
        &mut s.inline,
        &mut s.inline_link,
        &mut s.inline_commas,
    ] {
        v.iter_mut().for_each(|x| *x = 0);
    }
    for i in (0..n).rev() {
        deadline.tick()?;
        if s.dropped[i] {
            continue;
        }
        let mut block = false;
        match dom.nodes[i].kind {
            Kind::Text(t) => {
                let (l, c) = visible_len(t);
                s.text[i] = l;
                s.commas[i] = c;
                s.inline[i] = l;
                s.inline_commas[i] = c;
            }
            Kind::Element(e) => {
                let name = e.name();
                if name == "a" {
                    s.link[i] = s.text[i];
                    s.inline_link[i] = s.inline[i];
                }
                block = is_block(name);
                if is_paragraph(name) && s.inline[i] >= 25 {
                    s.prose[i] += s.inline[i] - s.inline_link[i].min(s.inline[i]);
                }
            }
            Kind::Document => {}
        }
        let p = dom.nodes[i].parent;
        if p != NONE {
            let p = p as usize;
            s.text[p] += s.text[i];
            s.link[p] += s.link[i];
            s.commas[p] += s.commas[i];
            s.prose[p] += s.prose[i];
            if !block {
                s.inline[p] += s.inline[i];
                s.inline_link[p] += s.inline_link[i];
                s.inline_commas[p] += s.inline_commas[i];
            }
        }
    }
    Ok(())
}

fn link_density(s: &Stats, i: usize) -> f32 {
    if s.text[i] == 0 {
        0.0
    } else {
        s.link[i] as f32 / s.text[i] as f32
    }
}

/// Block elements whose own lines count as paragraphs (not headings, not list containers).
fn is_paragraph(name: &str) -> bool {
    is_block(name)
        && !matches!(
            name,
            "h1" | "h2"
                | "h3"
                | "h4"
                | "h5"
                | "h6"
                | "br"
                | "hr"
                | "ul"
                | "ol"
                | "dl"
                | "table"
                | "tbody"
                | "thead"
                | "tr"
                | "figcaption"
                | "caption"
        )
}

/// Paragraph elements proper: they score for their parent. Other blocks with lines of their own
/// (a `div` of text and `<br>`s) score for themselves too.
fn is_p_like(name: &str) -> bool {
    matches!(
        name,
        "p" | "pre" | "blockquote" | "li" | "dd" | "dt" | "td" | "th"
    )
}

fn tag_weight(name: &str) -> f32 {
    match name {
        "div" | "article" | "main" | "section" => 5.0,
        "pre" | "td" | "blockquote" => 3.0,
        "address" | "ol" | "ul" | "dl" | "dd" | "dt" | "li" | "form" => -3.0,
        "h1" | "h2" | "h3" | "h4" | "h5" | "h6" | "th" => -5.0,
        _ => 0.0,
    }
}

fn hint_weight(h: Hint) -> f32 {
    match h {
        Hint::Content => 25.0,
        Hint::Furniture => -25.0,
        Hint::None => 0.0,
    }
}

/// The article's text, one block a line (empty when the page has no text at all).
pub fn main_text(
    dom: &Dom<'_>,
    title: Option<&str>,
    deadline: &mut Deadline,
) -> Result<String, LimitExceeded> {
    let s = measure(dom, deadline)?;
    let n = dom.len();
    let mut score = vec![0f32; n];
    let mut initialised = vec![false; n];
    for i in 0..n {
        deadline.tick()?;
        let name = dom.name(i);
        if s.dropped[i] || !is_paragraph(name) || s.inline[i] < 25 {
            continue;
        }
        let points = 1.0 + s.inline_commas[i] as f32 + (s.inline[i] as f32 / 100.0).min(3.0);
        let mut a = if is_p_like(name) {
            dom.nodes[i].parent
        } else {
            i as u32
        };
        let mut level = 0;
        while a != NONE && level < 5 {
            let ai = a as usize;
            if dom.element(ai).is_none() {
                break;
            }
            if !initialised[ai] {
                initialised[ai] = true;
                score[ai] += tag_weight(dom.name(ai)) + hint_weight(s.hint[ai]);
            }
            let divider = match level {
                0 => 1.0,
                1 => 2.0,
                l => l as f32 * 3.0,
            };
            score[ai] += points / divider;
            a = dom.nodes[ai].parent;
            level += 1;
        }
    }
    let mut best: Option<(usize, f32)> = None;
    for i in 0..n {
        if !initialised[i] {
            continue;
        }
        score[i] *= 1.0 - link_density(&s, i);
        if best.is_none_or(|(_, b)| score[i] > b) {
            best = Some((i, score[i]));
        }
    }
    let Some((top, top_score)) = best else {
        // No paragraph anywhere: the whole (kept) page.
        let root = (0..n).find(|&i| dom.name(i) == "body").unwrap_or(0);
        return write_text(dom, &s, &[root], title, deadline);
    };

    // Siblings that belong with the top candidate.
    let mut parts = Vec::new();
    let parent = dom.nodes[top].parent;
    if parent == NONE || dom.element(parent as usize).is_none() {
        parts.push(top);
    } else {
        let threshold = (top_score * 0.2).max(10.0);
        let mut c = parent as usize + 1;
        let end = dom.nodes[parent as usize].end as usize;
        while c < end {
            deadline.tick()?;
            let next = dom.nodes[c].end as usize;
            if c == top {
                parts.push(c);
            } else if !s.dropped[c] && s.text[c] > 0 {
                let mut keep = initialised[c] && score[c] >= threshold;
                if !keep && dom.name(c) == "p" {
                    let ld = link_density(&s, c);
                    let len = s.text[c];
                    keep = (len > 80 && ld < 0.25)
                        || (len > 0 && ld == 0.0 && ends_sentence(&dom.raw_text(c)));
                }
                if keep {
                    parts.push(c);
                }
            }
            c = next;
        }
    }
    // The same kind of block elsewhere, when its class names content: an article split into
    // chunks around ads or embeds.
    if let Some(class) = dom.element(top).and_then(|e| e.attr("class"))
        && s.hint[top] == Hint::Content
    {
        let name = dom.name(top);
        // The parts so far, in document order: a node inside one is skipped with it (they are
        // disjoint subtrees, so one pointer walks them along).
        let mut taken = parts.clone();
        taken.sort_unstable();
        let mut next_taken = taken.iter().peekable();
        let mut i = 0;
        while i < n {
            deadline.tick()?;
            while next_taken.next_if(|&&p| p < i).is_some() {}
            if next_taken.peek().is_some_and(|&&p| p == i) {
                i = dom.nodes[i].end as usize;
                continue;
            }
            if !s.dropped[i]
                && dom.name(i) == name
                && dom.element(i).and_then(|e| e.attr("class")) == Some(class)
                && s.prose[i] > 0
                && link_density(&s, i) < 0.5
            {
                parts.push(i);
                i = dom.nodes[i].end as usize;
                continue;
            }
            i += 1;
        }
        parts.sort_unstable();
    }
    write_text(dom, &s, &parts, title, deadline)
}

fn ends_sentence(t: &str) -> bool {
    let t = t.trim_end();
    t.ends_with('.') || t.ends_with('!') || t.ends_with('?') || t.ends_with('"')
}

/// Inside the article: a block to leave out.
fn is_clutter(dom: &Dom<'_>, s: &Stats, i: usize) -> bool {
    let name = dom.name(i);
    let ld = link_density(s, i);
    match name {
        "h1" => true,
        "ul" | "ol" | "div" | "section" | "table" | "dl" | "p" | "li" | "header" | "figure" => {
            let text = s.text[i];
            (ld > 0.5 && text > 0)
                || (ld > 0.33 && s.hint[i] == Hint::Furniture)
                || (name == "figure" && text < 200)
        }
        _ => false,
    }
}

fn write_text(
    dom: &Dom<'_>,
    s: &Stats,
    parts: &[usize],
    title: Option<&str>,
    deadline: &mut Deadline,
) -> Result<String, LimitExceeded> {
    let mut out = String::new();
    for &root in parts {
        let mut stack: Vec<(usize, bool)> = Vec::new();
        let end = dom.nodes[root].end as usize;
        let mut i = root;
        while i < end {
            deadline.tick()?;
            while let Some(&(e, block)) = stack.last() {
                if e > i {
                    break;
                }
                stack.pop();
                if block && !out.ends_with('\n') {
                    out.push('\n');
                }
            }
            if s.dropped[i] || (i != root && is_clutter(dom, s, i)) {
                i = dom.nodes[i].end as usize;
                continue;
            }
            match dom.nodes[i].kind {
                Kind::Text(t) => push_spaced(&mut out, t),
                Kind::Element(e) => {
                    let block = is_block(e.name());
                    if block && !out.is_empty() && !out.ends_with('\n') {
                        out.push('\n');
                    }
                    stack.push((dom.nodes[i].end as usize, block));
                }
                Kind::Document => {}
            }
            i += 1;
        }
        if !out.ends_with('\n') {
            out.push('\n');
        }
    }
    let title_key = title.map(key);
    let mut lines: Vec<String> = Vec::new();
    for l in out.lines() {
        deadline.tick()?;
        let l = l.split_whitespace().collect::<Vec<_>>().join(" ");
        if l.is_empty() {
            continue;
        }
        if lines.is_empty() && title_key.as_deref().is_some_and(|k| key_is(&l, k)) {
            continue;
        }
        lines.push(l);
    }
    Ok(lines.join("\n"))
}

fn key(s: &str) -> String {
    key_chars(s).collect()
}

fn key_chars(s: &str) -> impl Iterator<Item = char> + '_ {
    s.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
}

/// `key(s) == key`, stopping at the first character that differs (a long first line is rarely
/// the headline, and differs early).
fn key_is(s: &str, key: &str) -> bool {
    key_chars(s).eq(key.chars())
}

/// Appends a text node with each whitespace character as a space: ASCII text by slices between
/// its whitespace bytes, other text a character at a time.
fn push_spaced(out: &mut String, t: &str) {
    if t.is_ascii() {
        let mut start = 0;
        for (i, b) in t.bytes().enumerate() {
            if b != b' ' && crate::normalize::text::is_space_byte(b) {
                out.push_str(&t[start..i]);
                out.push(' ');
                start = i + 1;
            }
        }
        out.push_str(&t[start..]);
    } else {
        out.extend(t.chars().map(|c| if c.is_whitespace() { ' ' } else { c }));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_paths_match_the_character_ones() {
        let pieces = [
            "Crocus",
            " ",
            "\t",
            "\n",
            "\r\n",
            "\u{b}",
            "\u{c}",
            "\u{a0}",
            "é",
            "Zürich",
            "144,",
            "City-Hall",
            "'",
            "",
        ];
        let mut next = crate::test_rng::xorshift(0x2545_f491_4f6c_dd1d);
        for _ in 0..5_000 {
            let mut t = String::new();
            for _ in 0..(next() % 10) {
                t.push_str(pieces[(next() >> 8) as usize % pieces.len()]);
            }
            let mut got = String::from("x");
            push_spaced(&mut got, &t);
            let want: String = std::iter::once('x')
                .chain(t.chars().map(|c| if c.is_whitespace() { ' ' } else { c }))
                .collect();
            assert_eq!(got, want, "{t:?}");
            let mut half = t.len() / 2;
            while !t.is_char_boundary(half) {
                half += 1;
            }
            for k in [key(&t), key(&t[..half]), String::new()] {
                assert_eq!(key_is(&t, &k), key(&t) == k, "{t:?} {k:?}");
            }
        }
    }
}
