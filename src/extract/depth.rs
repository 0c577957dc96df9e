//! The page as the parser may see it: nesting and attributes bounded before html5ever runs.
//!
//! In: decoded HTML, [`Limits::html_depth`] and [`Limits::html_attributes`], and the page's
//! [`Deadline`]. Out: the same HTML when nothing is over a limit; else a copy in which the tags
//! that would open an element deeper than `html_depth` are taken out (their text stays, as text
//! of the element at the limit — the article text of a page nested too deep is kept; a block
//! tag taken out leaves a space, and a script, style or other raw-text element there goes with
//! its content), and a tag's attributes past `html_attributes` are left out.
//!
//! Why before parsing: html5ever looks down its stack of open elements for most tags (is a `<p>`
//! open? is this `</div>` in scope? is this formatting element already active?), and checks each
//! attribute against the tag's earlier ones, so a page nested n deep, or a tag of n attributes,
//! costs it n². Bounded here, every tag costs the parser at most the depth limit.
//!
//! The depth is estimated from the tags as written, following the parser's rules where they
//! close elements without an end tag (an open `<p>` closed by a block, `<li>` by `<li>`, cells by
//! cells, a `</div>` not reaching past a table cell) and where they reopen elements (formatting
//! elements closed by a block are reopened by the text after it, until the table cell ends), and
//! counting an implied `<tbody>` with its table. Where the estimate is off, it errs on the deep
//! side, so the parser's own stack stays within a small factor of the limit. One pass, no
//! recursion; the stacks it keeps never grow past the limit.

use super::Deadline;
use crate::limits::{LimitExceeded, Limits};
use std::borrow::Cow;

/// A tag name, lower-cased, for the sets below (longer names match none of them).
#[derive(Clone, Copy)]
struct Key {
    buf: [u8; 16],
    len: u8,
}

impl Key {
    fn new(name: &str) -> Key {
        let mut k = Key {
            buf: [0; 16],
            len: 0,
        };
        if name.len() <= 16 {
            for (d, s) in k.buf.iter_mut().zip(name.bytes()) {
                *d = s.to_ascii_lowercase();
            }
            k.len = name.len() as u8;
        }
        k
    }

    fn as_str(&self) -> &str {
        std::str::from_utf8(&self.buf[..self.len as usize]).unwrap_or("")
    }
}

fn is_void(n: &str) -> bool {
    matches!(
        n,
        "area"
            | "base"
            | "basefont"
            | "bgsound"
            | "br"
            | "col"
            | "embed"
            | "frame"
            | "hr"
            | "image"
            | "img"
            | "input"
            | "keygen"
            | "link"
            | "meta"
            | "param"
            | "source"
            | "track"
            | "wbr"
    )
}

/// Elements whose content the tokenizer reads as text (in HTML content).
fn is_raw_text(n: &str) -> bool {
    matches!(
        n,
        "script"
            | "style"
            | "xmp"
            | "iframe"
            | "noembed"
            | "noframes"
            | "noscript"
            | "textarea"
            | "title"
            | "plaintext"
    )
}

/// Formatting elements: the parser reopens them after a block that closed them.
fn is_formatting(n: &str) -> bool {
    matches!(
        n,
        "a" | "b"
            | "big"
            | "code"
            | "em"
            | "font"
            | "i"
            | "nobr"
            | "s"
            | "small"
            | "strike"
            | "strong"
            | "tt"
            | "u"
    )
}

/// Elements that end the formatting elements reopened inside them.
fn is_marker(n: &str) -> bool {
    matches!(
        n,
        "td" | "th" | "caption" | "object" | "applet" | "marquee" | "template"
    )
}

/// Start tags that close an open `<p>`.
fn closes_p(n: &str) -> bool {
    matches!(
        n,
        "address"
            | "article"
            | "aside"
            | "blockquote"
            | "center"
            | "details"
            | "dialog"
            | "dir"
            | "div"
            | "dl"
            | "fieldset"
            | "figcaption"
            | "figure"
            | "footer"
            | "header"
            | "hgroup"
            | "main"
            | "menu"
            | "nav"
            | "ol"
            | "p"
            | "search"
            | "section"
            | "summary"
            | "ul"
            | "h1"
            | "h2"
            | "h3"
            | "h4"
            | "h5"
            | "h6"
            | "pre"
            | "listing"
            | "form"
            | "table"
            | "hr"
            | "xmp"
            | "plaintext"
            | "li"
            | "dd"
            | "dt"
    )
}

/// Start tags before which the parser reopens the formatting elements a block closed (inline
/// content; not blocks, table parts or raw text).
fn reconstructs(n: &str) -> bool {
    !closes_p(n)
        && !matches!(
            n,
            "caption"
                | "col"
                | "colgroup"
                | "tbody"
                | "td"
                | "tfoot"
                | "th"
                | "thead"
                | "tr"
                | "template"
                | "script"
                | "style"
                | "title"
                | "textarea"
                | "iframe"
                | "noembed"
                | "noframes"
                | "noscript"
                | "frameset"
                | "frame"
        )
}

fn is_heading(n: &str) -> bool {
    matches!(n, "h1" | "h2" | "h3" | "h4" | "h5" | "h6")
}

/// The parser's "special" elements: a generic end tag does not close past one.
fn is_special(n: &str) -> bool {
    closes_p(n)
        || is_void(n)
        || is_raw_text(n)
        || matches!(
            n,
            "applet"
                | "body"
                | "button"
                | "caption"
                | "colgroup"
                | "frameset"
                | "head"
                | "html"
                | "marquee"
                | "object"
                | "select"
                | "tbody"
                | "td"
                | "template"
                | "tfoot"
                | "th"
                | "thead"
                | "tr"
                | "mi"
                | "mo"
                | "mn"
                | "ms"
                | "mtext"
                | "annotation-xml"
                | "foreignobject"
                | "desc"
        )
}

/// Where an end tag's search for its element stops.
#[derive(Clone, Copy)]
enum Scope {
    Default,
    Button,
    List,
    Table,
    /// A generic end tag: any special element.
    Special,
}

impl Scope {
    fn stops_at(self, n: &str) -> bool {
        let default = || {
            matches!(
                n,
                "applet"
                    | "caption"
                    | "html"
                    | "table"
                    | "td"
                    | "th"
                    | "marquee"
                    | "object"
                    | "template"
                    | "mi"
                    | "mo"
                    | "mn"
                    | "ms"
                    | "mtext"
                    | "annotation-xml"
                    | "foreignobject"
                    | "desc"
            )
        };
        match self {
            Scope::Default => default(),
            Scope::Button => default() || n == "button",
            Scope::List => default() || n == "ol" || n == "ul",
            Scope::Table => matches!(n, "html" | "table" | "template"),
            Scope::Special => is_special(n),
        }
    }
}

/// An element the estimate holds open.
struct Open<'a> {
    name: &'a str,
    key: Key,
    /// Levels it stands for: a table is two (its implied `<tbody>`).
    weight: u32,
    /// For a marker: the length of `fmt` when it opened (it ends the ones opened inside it).
    fmt_mark: Option<usize>,
    /// For a formatting element: its entry in `fmt`.
    fmt_id: Option<u32>,
    /// An `<svg>` or `<math>`: foreign content, where raw-text names are plain elements.
    foreign: bool,
}

/// A tag as written: where its name is, where it ends, and where its attributes go over the
/// limit.
struct Tag {
    name_end: usize,
    /// One past the `>`.
    end: usize,
    self_closing: bool,
    /// Where the attribute that is one too many starts.
    cut: Option<usize>,
}

fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0c)
}

/// Reads the tag whose name starts at `at`; `None` when the page ends inside it (the parser
/// drops such a tag).
fn scan_tag(b: &[u8], at: usize, max_attrs: usize) -> Option<Tag> {
    let mut p = at;
    while p < b.len() && !is_ws(b[p]) && b[p] != b'/' && b[p] != b'>' {
        p += 1;
    }
    let name_end = p;
    let mut count = 0usize;
    let mut cut = None;
    loop {
        while p < b.len() && is_ws(b[p]) {
            p += 1;
        }
        match *b.get(p)? {
            b'>' => {
                return Some(Tag {
                    name_end,
                    end: p + 1,
                    self_closing: false,
                    cut,
                });
            }
            b'/' => {
                p += 1;
                if b.get(p) == Some(&b'>') {
                    return Some(Tag {
                        name_end,
                        end: p + 1,
                        self_closing: true,
                        cut,
                    });
                }
            }
            _ => {
                let start = p;
                p += 1;
                while p < b.len() && !is_ws(b[p]) && !matches!(b[p], b'/' | b'>' | b'=') {
                    p += 1;
                }
                while p < b.len() && is_ws(b[p]) {
                    p += 1;
                }
                if b.get(p) == Some(&b'=') {
                    p += 1;
                    while p < b.len() && is_ws(b[p]) {
                        p += 1;
                    }
                    match b.get(p) {
                        Some(&q @ (b'"' | b'\'')) => {
                            let close = memchr::memchr(q, &b[p + 1..])?;
                            p += close + 2;
                        }
                        _ => {
                            while p < b.len() && !is_ws(b[p]) && b[p] != b'>' {
                                p += 1;
                            }
                        }
                    }
                }
                count += 1;
                if count == max_attrs + 1 {
                    cut = Some(start);
                }
            }
        }
    }
}

/// One past the end of the comment whose text starts at `at` (after `<!--`); the page's end if
/// it never closes.
fn comment_end(b: &[u8], at: usize) -> usize {
    let rest = &b[at.min(b.len())..];
    if rest.starts_with(b">") {
        return at + 1;
    }
    if rest.starts_with(b"->") {
        return at + 2;
    }
    let mut from = 0;
    while let Some(off) = memchr::memmem::find(&rest[from..], b"--") {
        let p = from + off + 2;
        if rest[p..].starts_with(b">") {
            return at + p + 1;
        }
        if rest[p..].starts_with(b"!>") {
            return at + p + 2;
        }
        from = from + off + 1;
    }
    b.len()
}

/// Where the raw text of element `name` that starts at `at` ends: the `<` of its end tag, or
/// the page's end.
fn raw_text_end(b: &[u8], at: usize, name: &str) -> usize {
    let n = name.len();
    let mut from = at;
    while let Some(off) = memchr::memmem::find(&b[from..], b"</") {
        let p = from + off;
        let after = p + 2 + n;
        if b.len() >= after
            && b[p + 2..after].eq_ignore_ascii_case(name.as_bytes())
            && b.get(after)
                .is_none_or(|&c| is_ws(c) || c == b'/' || c == b'>')
        {
            return p;
        }
        from = p + 2;
    }
    b.len()
}

/// An entry of the list of active formatting elements.
struct Fmt<'a> {
    id: u32,
    name: &'a str,
    /// The whole tag as written (the parser keeps at most three of one tag).
    written: &'a str,
    open: bool,
}

struct Bounder<'a> {
    html: &'a str,
    /// The rewritten page, once something had to change, and how much of `html` it has taken.
    out: Option<String>,
    copied: usize,
    stack: Vec<Open<'a>>,
    /// Sum of the weights on `stack`.
    weight: u32,
    /// The parser's list of active formatting elements: open, or closed by a block and to be
    /// reopened by what follows.
    fmt: Vec<Fmt<'a>>,
    /// Entries of `fmt` not open now (they count as levels: the next text reopens them).
    pending: u32,
    next_id: u32,
    /// Tags taken out that opened an element: end tags close them first.
    excess: usize,
    foreign: usize,
    max_depth: u32,
    max_attrs: usize,
}

impl<'a> Bounder<'a> {
    /// Levels open now: `<html>` and `<body>`, the stack, the formatting elements.
    fn depth(&self) -> u32 {
        2 + self.weight + self.pending
    }

    fn replace(&mut self, from: usize, to: usize, with: &str) {
        let out = self
            .out
            .get_or_insert_with(|| String::with_capacity(self.html.len()));
        let between = &self.html[self.copied..from];
        out.push_str(between);
        // Tags taken out one after another leave one space, not one each.
        if !(with == " " && between.is_empty() && out.ends_with(' ')) {
            out.push_str(with);
        }
        self.copied = to;
    }

    /// The start of the formatting elements the innermost marker holds.
    fn fmt_frame(&self) -> usize {
        self.stack
            .iter()
            .rev()
            .find_map(|o| o.fmt_mark)
            .unwrap_or(0)
    }

    /// Takes the last formatting element named `name` of the current frame out of the list:
    /// a closed one is forgotten; an open one is closed with what is open above it, unless a
    /// special element is among those (the parser then leaves the nesting as deep as it was).
    /// False when there is none (the tag is then an ordinary end tag).
    fn close_fmt(&mut self, name: &str) -> bool {
        let frame = self.fmt_frame();
        let Some(i) = self.fmt[frame..]
            .iter()
            .rposition(|f| f.name.eq_ignore_ascii_case(name))
        else {
            return false;
        };
        let f = self.fmt.remove(frame + i);
        if !f.open {
            self.pending -= 1;
            return true;
        }
        if let Some(at) = self.stack.iter().rposition(|o| o.fmt_id == Some(f.id)) {
            if self.stack[at + 1..]
                .iter()
                .all(|o| !is_special(o.key.as_str()))
            {
                while self.stack.len() > at {
                    self.pop();
                }
            } else {
                self.stack[at].fmt_id = None;
            }
        }
        true
    }

    /// Reopens the closed formatting elements of the current frame, as the parser does before
    /// most content.
    fn reconstruct(&mut self) {
        if self.pending == 0 {
            return;
        }
        let frame = self.fmt_frame();
        for i in frame..self.fmt.len() {
            if self.fmt[i].open {
                continue;
            }
            self.fmt[i].open = true;
            self.pending -= 1;
            let f = &self.fmt[i];
            self.stack.push(Open {
                name: f.name,
                key: Key::new(f.name),
                weight: 1,
                fmt_mark: None,
                fmt_id: Some(f.id),
                foreign: false,
            });
            self.weight += 1;
        }
    }

    /// Adds a formatting element that opens now; of three of the same tag already listed, the
    /// earliest leaves the list.
    fn push_fmt(&mut self, name: &'a str, key: Key, written: &'a str) {
        let frame = self.fmt_frame();
        let mut same = (frame..self.fmt.len()).filter(|&i| self.fmt[i].written == written);
        if let (Some(first), Some(_), Some(_)) = (same.next(), same.next(), same.next()) {
            if !self.fmt[first].open {
                self.pending -= 1;
            }
            self.fmt.remove(first);
        }
        let id = self.next_id;
        self.next_id = self.next_id.wrapping_add(1);
        self.fmt.push(Fmt {
            id,
            name,
            written,
            open: true,
        });
        self.stack.push(Open {
            name,
            key,
            weight: 1,
            fmt_mark: None,
            fmt_id: Some(id),
            foreign: false,
        });
        self.weight += 1;
    }

    fn pop(&mut self) {
        if let Some(o) = self.stack.pop() {
            self.weight -= o.weight;
            if let Some(id) = o.fmt_id
                && let Some(f) = self.fmt.iter_mut().rev().find(|f| f.id == id)
            {
                f.open = false;
                self.pending += 1;
            }
            if let Some(m) = o.fmt_mark {
                for f in self.fmt.drain(m.min(self.fmt.len())..) {
                    if !f.open {
                        self.pending -= 1;
                    }
                }
            }
            if o.foreign {
                self.foreign -= 1;
            }
        }
    }

    /// Pops to and including the innermost open element `is` accepts, unless `scope` stops the
    /// search first.
    fn pop_to(&mut self, scope: Scope, is: impl Fn(&Open<'_>) -> bool) {
        for i in (0..self.stack.len()).rev() {
            let o = &self.stack[i];
            if is(o) {
                while self.stack.len() > i {
                    self.pop();
                }
                return;
            }
            if scope.stops_at(o.key.as_str()) {
                return;
            }
        }
    }

    /// Pops the elements above the innermost one named in `names` (none when there is none).
    fn pop_above(&mut self, names: &[&str]) {
        if let Some(i) = self
            .stack
            .iter()
            .rposition(|o| names.contains(&o.key.as_str()))
        {
            while self.stack.len() > i + 1 {
                self.pop();
            }
        }
    }

    /// The elements a start tag closes before it opens.
    fn close_for(&mut self, n: &str) {
        if closes_p(n) {
            self.pop_to(Scope::Button, |o| o.key.as_str() == "p");
        }
        let top = self.stack.last().map(|o| o.key);
        let top = top.as_ref().map_or("", Key::as_str);
        match n {
            _ if is_heading(n) && is_heading(top) => self.pop(),
            "li" | "dd" | "dt" => {
                let same = |k: &str| {
                    if n == "li" {
                        k == "li"
                    } else {
                        k == "dd" || k == "dt"
                    }
                };
                for i in (0..self.stack.len()).rev() {
                    let k = self.stack[i].key;
                    let k = k.as_str();
                    if same(k) {
                        while self.stack.len() > i {
                            self.pop();
                        }
                        break;
                    }
                    if is_special(k) && !matches!(k, "address" | "div" | "p") {
                        break;
                    }
                }
            }
            "option" if top == "option" => self.pop(),
            "optgroup" => {
                if top == "option" {
                    self.pop();
                }
                if self
                    .stack
                    .last()
                    .is_some_and(|o| o.key.as_str() == "optgroup")
                {
                    self.pop();
                }
            }
            "tr" => self.pop_above(&["table", "tbody", "thead", "tfoot", "template"]),
            "td" | "th" => self.pop_above(&["tr", "table", "tbody", "thead", "tfoot", "template"]),
            "tbody" | "thead" | "tfoot" | "caption" | "colgroup" => {
                self.pop_above(&["table", "template"])
            }
            "button" => self.pop_to(Scope::Default, |o| o.key.as_str() == "button"),
            _ => {}
        }
    }

    /// A start tag from `lt` (its `<`); returns where scanning goes on.
    fn start_tag(&mut self, lt: usize, tag: &Tag) -> usize {
        let name = &self.html[lt + 1..tag.name_end];
        let key = Key::new(name);
        let n = key.as_str();
        let html_content = self.foreign == 0;
        let opens_foreign = matches!(n, "svg" | "math");
        let void =
            (html_content && is_void(n)) || (tag.self_closing && (!html_content || opens_foreign));
        let raw = html_content && is_raw_text(n);
        if void || (html_content && matches!(n, "html" | "head" | "body")) {
            self.cut_attributes(tag);
            return tag.end;
        }
        let weight = if html_content && n == "table" { 2 } else { 1 };
        if self.excess > 0 || self.depth() + weight > self.max_depth {
            let space = if super::content::is_block(n) { " " } else { "" };
            if raw {
                // Never article text: the element goes with its content and end tag.
                let close = raw_text_end(self.html.as_bytes(), tag.end, n);
                let end = if close < self.html.len() {
                    scan_tag(self.html.as_bytes(), close + 2, usize::MAX).map_or(close, |t| t.end)
                } else {
                    close
                };
                self.replace(lt, end, space);
                return end;
            }
            self.excess += 1;
            self.replace(lt, tag.end, space);
            return tag.end;
        }
        self.cut_attributes(tag);
        if html_content {
            self.close_for(n);
            if n == "a" || n == "nobr" {
                self.close_fmt(n);
            }
            if reconstructs(n) {
                self.reconstruct();
            }
            if is_formatting(n) {
                // The same tag written differently (attributes in another order) is counted
                // apart: deeper, never shallower, than the parser.
                self.push_fmt(name, key, &self.html[lt..tag.end]);
                return tag.end;
            }
        }
        let fmt_mark = (html_content && is_marker(n)).then_some(self.fmt.len());
        self.stack.push(Open {
            name,
            key,
            weight,
            fmt_mark,
            fmt_id: None,
            foreign: opens_foreign,
        });
        self.weight += weight;
        if opens_foreign {
            self.foreign += 1;
        }
        if raw {
            if n == "plaintext" {
                return self.html.len();
            }
            return raw_text_end(self.html.as_bytes(), tag.end, n);
        }
        tag.end
    }

    fn cut_attributes(&mut self, tag: &Tag) {
        if let Some(cut) = tag.cut {
            self.replace(cut, tag.end, if tag.self_closing { "/>" } else { ">" });
        }
    }

    /// An end tag from `lt`.
    fn end_tag(&mut self, lt: usize, tag: &Tag) {
        let name = &self.html[lt + 2..tag.name_end];
        let key = Key::new(name);
        let n = key.as_str();
        if self.excess > 0 {
            self.excess -= 1;
            let space = if super::content::is_block(n) { " " } else { "" };
            self.replace(lt, tag.end, space);
            return;
        }
        self.cut_attributes(tag);
        if self.foreign == 0 && is_formatting(n) && self.close_fmt(name) {
            return;
        }
        let same = |o: &Open<'_>| o.name.eq_ignore_ascii_case(name);
        match n {
            "html" | "head" | "body" => {}
            "p" => self.pop_to(Scope::Button, same),
            "li" => self.pop_to(Scope::List, same),
            _ if is_heading(n) => self.pop_to(Scope::Default, |o| is_heading(o.key.as_str())),
            "table" | "tbody" | "thead" | "tfoot" | "tr" | "td" | "th" | "caption" | "colgroup" => {
                self.pop_to(Scope::Table, same)
            }
            _ if is_special(n) => self.pop_to(Scope::Default, same),
            _ => self.pop_to(Scope::Special, same),
        }
    }

    fn run(mut self, deadline: &mut Deadline) -> Result<Cow<'a, str>, LimitExceeded> {
        let b = self.html.as_bytes();
        let mut i = 0;
        while let Some(off) = memchr::memchr(b'<', &b[i..]) {
            deadline.tick()?;
            let lt = i + off;
            i = lt + 1;
            match b.get(lt + 1) {
                Some(b'!') if b[lt..].starts_with(b"<!--") => i = comment_end(b, lt + 4),
                Some(b'!' | b'?') => {
                    i = memchr::memchr(b'>', &b[lt..]).map_or(b.len(), |p| lt + p + 1);
                }
                Some(b'/') => match b.get(lt + 2) {
                    Some(c) if c.is_ascii_alphabetic() => {
                        let Some(tag) = scan_tag(b, lt + 2, self.max_attrs) else {
                            break;
                        };
                        self.end_tag(lt, &tag);
                        i = tag.end;
                    }
                    Some(b'>') => i = lt + 3,
                    Some(_) => {
                        i = memchr::memchr(b'>', &b[lt..]).map_or(b.len(), |p| lt + p + 1);
                    }
                    None => {}
                },
                Some(c) if c.is_ascii_alphabetic() => {
                    let Some(tag) = scan_tag(b, lt + 1, self.max_attrs) else {
                        break;
                    };
                    i = self.start_tag(lt, &tag);
                }
                _ => {}
            }
            if i >= b.len() {
                break;
            }
        }
        Ok(match self.out {
            Some(mut out) => {
                out.push_str(&self.html[self.copied..]);
                Cow::Owned(out)
            }
            None => Cow::Borrowed(self.html),
        })
    }
}

/// `html` with its nesting and attributes within `limits` (see the module comment).
pub fn bound<'a>(
    html: &'a str,
    limits: &Limits,
    deadline: &mut Deadline,
) -> Result<Cow<'a, str>, LimitExceeded> {
    Bounder {
        html,
        out: None,
        copied: 0,
        stack: Vec::new(),
        weight: 0,
        fmt: Vec::new(),
        pending: 0,
        next_id: 0,
        excess: 0,
        foreign: 0,
        max_depth: limits.html_depth.max(3),
        max_attrs: limits.html_attributes as usize,
    }
    .run(deadline)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn limits(depth: u32) -> Limits {
        Limits {
            html_depth: depth,
            ..Limits::default()
        }
    }

    fn bounded(html: &str, limits: &Limits) -> String {
        bound(html, limits, &mut Deadline::new(Duration::from_secs(600)))
            .expect("in time")
            .into_owned()
    }

    /// The deepest element of `html` as html5ever builds it (`<html>` is 1).
    fn parsed_depth(html: &str) -> usize {
        let doc = scraper::Html::parse_document(html);
        let (mut depth, mut deepest) = (0usize, 0usize);
        for edge in doc.tree.root().traverse() {
            match edge {
                ego_tree::iter::Edge::Open(n) if n.value().is_element() => {
                    depth += 1;
                    deepest = deepest.max(depth);
                }
                ego_tree::iter::Edge::Close(n) if n.value().is_element() => depth -= 1,
                _ => {}
            }
        }
        deepest
    }

    #[test]
    fn deep_nesting_is_cut_at_the_limit_and_its_text_kept() {
        let l = limits(64);
        let html = format!(
            "<html><body>{}deep words<p>and more</p>{}<p>after</p></body></html>",
            "<div>".repeat(100_000),
            "</div>".repeat(100_000)
        );
        let out = bounded(&html, &l);
        assert!(out.len() < 64 * 12 + 200, "{} bytes left", out.len());
        assert!(out.contains("deep words and more"), "{out}");
        assert!(out.ends_with("<p>after</p></body></html>"), "{out}");
        assert_eq!(parsed_depth(&out), 64);
    }

    #[test]
    fn the_parser_stays_within_a_small_factor_of_the_limit() {
        // Shapes the parser nests deeper than their tags suggest, or closes differently.
        let l = limits(64);
        let shapes = [
            "<b><i>".repeat(10_000),
            "<table><tr><td>".repeat(10_000),
            "<table><td>".repeat(10_000),
            "<div><table><td><div>".repeat(10_000) + &"</div>".repeat(40_000),
            // Formatting elements a block closed are reopened by the text after it.
            ("<div>".to_string()
                + &(0..60).map(|i| format!("<b id={i}>")).collect::<String>()
                + "</div>x")
                .repeat(1_000),
            "<svg><g>".repeat(10_000),
            "<ul><li><p><span><a href=x>".repeat(10_000),
            "<select><option><optgroup><div>".repeat(10_000),
        ];
        for s in &shapes {
            let out = bounded(s, &l);
            let d = parsed_depth(&out);
            assert!(d <= 2 * 64, "{d} levels from {:?}", &s[..40]);
        }
        // Tag soup: random tags of the kinds the estimate treats apart.
        let tags = [
            "<div>",
            "</div>",
            "<p>",
            "</p>",
            "<b>",
            "</b>",
            "<i>",
            "<a href=/>",
            "</a>",
            "<table>",
            "</table>",
            "<tr>",
            "<td>",
            "</td>",
            "<th>",
            "<li>",
            "<ul>",
            "</ul>",
            "<span>",
            "</span>",
            "<svg>",
            "</svg>",
            "<math>",
            "<select>",
            "<option>",
            "<h2>",
            "</h2>",
            "<dd>",
            "<dt>",
            "<form>",
            "<button>",
            "<caption>",
            "<template>",
            "<font>",
            "<nobr>",
            "<object>",
            "<br>",
            "<img>",
            "x",
            "<!-- c -->",
            "<br/>",
            "<title>t</title>",
            "<script>s</script>",
            "<textarea>",
            "</textarea>",
        ];
        let mut next = crate::test_rng::xorshift(0x9e37_79b9_7f4a_7c15);
        for _ in 0..20 {
            let soup: String = (0..20_000)
                .map(|_| tags[(next() >> 16) as usize % tags.len()])
                .collect();
            let out = bounded(&soup, &l);
            let d = parsed_depth(&out);
            assert!(d <= 2 * 64, "{d} levels");
        }
    }

    #[test]
    fn ordinary_pages_are_left_alone() {
        let l = Limits::default();
        let sloppy = [
            // Unclosed paragraphs, list items, cells, options and links, as old CMSes write.
            "<p>para ".repeat(5_000),
            "<ul>".to_string() + &"<li>item ".repeat(5_000),
            "<table>".to_string() + &"<tr><td><b>cell<td>cell".repeat(5_000),
            "<select>".to_string() + &"<option>o".repeat(5_000),
            "<a href=/x>link ".repeat(5_000),
            "<dl>".to_string() + &"<dt>t<dd>d".repeat(5_000),
            "<h2>h<h3>h".repeat(5_000),
            "<p><b>bold<p>".repeat(5_000),
            "<div>d</div>".repeat(50_000),
        ];
        for s in &sloppy {
            let mut d = Deadline::new(Duration::from_secs(600));
            assert!(
                matches!(bound(s, &l, &mut d), Ok(Cow::Borrowed(_))),
                "{:?} was changed",
                &s[..40]
            );
        }
    }

    #[test]
    fn raw_text_below_the_limit_goes_whole_and_is_not_read_as_tags() {
        let l = limits(8);
        let deep = "<div>".repeat(20);
        let html = format!(
            "{deep}<script>alert('<div><div>')</script>text<style>p{{}}</style> too</html>"
        );
        let out = bounded(&html, &l);
        assert!(!out.contains("alert") && !out.contains("p{}"), "{out}");
        assert!(out.contains("text too"), "{out}");
        // Above the limit, a script's markup-like text is not counted as nesting.
        let html = format!(
            "<script>{}</script>{}",
            "<div>".repeat(100),
            "<div>".repeat(5)
        );
        assert_eq!(bounded(&html, &l), html);
    }

    #[test]
    fn attributes_past_the_limit_are_left_out() {
        let l = Limits {
            html_attributes: 3,
            ..Limits::default()
        };
        let many: String = (0..100_000).map(|i| format!(" a{i}=\"v>{i}\"")).collect();
        let out = bounded(&format!("<p{many}>text</p><br{many}/>"), &l);
        assert_eq!(
            out,
            "<p a0=\"v>0\" a1=\"v>1\" a2=\"v>2\" >text</p><br a0=\"v>0\" a1=\"v>1\" a2=\"v>2\" />"
        );
        assert_eq!(bounded("<p a b c>x</p>", &l), "<p a b c>x</p>");
    }

    #[test]
    fn comments_and_unfinished_tags_are_read_as_the_parser_reads_them() {
        let l = limits(8);
        let deep = "<div>".repeat(20);
        // Tags in a comment are not nesting; after `--!>` they are again.
        let html = format!("<!-- {deep} --!>{deep}x");
        let out = bounded(&html, &l);
        assert!(out.starts_with(&format!("<!-- {deep} --!>")), "{out}");
        assert_eq!(out.matches("<div>").count(), 20 + 6, "{out}");
        // A page ending inside a tag is left as it is.
        assert_eq!(bounded("<p>x<div a=\"", &l), "<p>x<div a=\"");
    }
}
