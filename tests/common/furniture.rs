//! Outlet furniture harvested from real pages: the text blocks of the extraction benchmark's pages
//! (`bench/extraction/html/*.html.gz` in the shared folder, read in place) that are not their
//! article, grouped by site. The fixed furniture rules of `src/normalize/boilerplate.rs` were not
//! written from these pages, so test data built with this furniture measures the rules on text
//! they have not seen (the hand-written furniture of the generators is what the rules were written
//! against).
//!
//! A page's *blocks* are the runs of text between block-level elements (paragraphs, list items,
//! headings, table cells, divisions, line breaks), outside scripts, styles and the document head,
//! whitespace collapsed. A block is *furniture* when it shares no word 4-gram with the page's gold
//! text (`ground-truth.json`); the blocks that share one are the article. Empty blocks, blocks
//! without a letter or digit, and blocks over [`MAX_WORDS`] words or [`MAX_CHARS`] characters are
//! dropped. Blocks are kept in page order, each marked before, inside or after the article, and
//! grouped by the page URL's host (two pages of one site pool their blocks, repeats once).

use ego_tree::iter::Edge;
use scraper::{Html, Node};
use std::collections::HashSet;
use std::path::Path;

/// Longer blocks are article-like text of other stories (teasers, comments), not furniture.
pub const MAX_WORDS: usize = 40;
pub const MAX_CHARS: usize = 300;

/// Where a furniture block stood on its page, relative to the article's blocks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    Before,
    Inside,
    After,
}

/// The furniture of one site.
#[derive(Debug, Clone)]
pub struct Site {
    pub host: String,
    /// (place, block) in page order, pages in the benchmark's id order.
    pub blocks: Vec<(Place, String)>,
}

impl Site {
    pub fn placed(&self, place: Place) -> Vec<&str> {
        self.blocks
            .iter()
            .filter(|(p, _)| *p == place)
            .map(|(_, b)| b.as_str())
            .collect()
    }
}

/// Elements whose text is never shown as page text.
fn hidden(name: &str) -> bool {
    matches!(
        name,
        "head"
            | "script"
            | "style"
            | "noscript"
            | "template"
            | "svg"
            | "iframe"
            | "object"
            | "canvas"
    )
}

/// Elements that start and end a block of text.
fn block(name: &str) -> bool {
    matches!(
        name,
        "address"
            | "article"
            | "aside"
            | "blockquote"
            | "body"
            | "br"
            | "button"
            | "caption"
            | "dd"
            | "details"
            | "div"
            | "dl"
            | "dt"
            | "fieldset"
            | "figcaption"
            | "figure"
            | "footer"
            | "form"
            | "h1"
            | "h2"
            | "h3"
            | "h4"
            | "h5"
            | "h6"
            | "header"
            | "hr"
            | "label"
            | "legend"
            | "li"
            | "main"
            | "nav"
            | "ol"
            | "option"
            | "p"
            | "pre"
            | "section"
            | "summary"
            | "table"
            | "td"
            | "th"
            | "tr"
            | "ul"
    )
}

/// The text blocks of a page, in order, whitespace collapsed, empties dropped.
pub fn blocks(html: &str) -> Vec<String> {
    let doc = Html::parse_document(html);
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut hidden_depth = 0usize;
    let flush = |cur: &mut String, out: &mut Vec<String>| {
        let b = cur.split_whitespace().collect::<Vec<_>>().join(" ");
        if !b.is_empty() {
            out.push(b);
        }
        cur.clear();
    };
    for edge in doc.tree.root().traverse() {
        match edge {
            Edge::Open(node) => match node.value() {
                Node::Element(e) if hidden(e.name()) => hidden_depth += 1,
                Node::Element(e) if hidden_depth == 0 && block(e.name()) => {
                    flush(&mut cur, &mut out)
                }
                Node::Text(t) if hidden_depth == 0 => {
                    cur.push(' ');
                    cur.push_str(t);
                }
                _ => {}
            },
            Edge::Close(node) => match node.value() {
                Node::Element(e) if hidden(e.name()) => hidden_depth -= 1,
                Node::Element(e) if hidden_depth == 0 && block(e.name()) => {
                    flush(&mut cur, &mut out)
                }
                _ => {}
            },
        }
    }
    flush(&mut cur, &mut out);
    out
}

/// Lower-cased words: the runs of letters and digits.
fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// The word 4-grams of a text.
fn shingles(text: &str) -> HashSet<Vec<String>> {
    words(text).windows(4).map(<[String]>::to_vec).collect()
}

/// The furniture blocks of one page against its gold text.
pub fn page_furniture(html: &str, gold: &str) -> Vec<(Place, String)> {
    let gold = shingles(gold);
    let blocks = blocks(html);
    let article: Vec<bool> = blocks
        .iter()
        .map(|b| shingles(b).iter().any(|s| gold.contains(s)))
        .collect();
    let first = article.iter().position(|&a| a);
    let last = article.iter().rposition(|&a| a);
    let mut out = Vec::new();
    for (i, b) in blocks.into_iter().enumerate() {
        if article[i]
            || !b.chars().any(char::is_alphanumeric)
            || b.split_whitespace().count() > MAX_WORDS
            || b.chars().count() > MAX_CHARS
        {
            continue;
        }
        let place = match (first, last) {
            (Some(f), _) if i < f => Place::Before,
            (_, Some(l)) if i > l => Place::After,
            (Some(_), Some(_)) => Place::Inside,
            _ => Place::Before,
        };
        out.push((place, b));
    }
    out
}

/// The furniture of every site of the extraction benchmark under `shared`, sorted by host.
pub fn harvest(shared: &Path) -> Vec<Site> {
    let dir = shared.join("bench/extraction");
    let (gold, pages) = newsdedup::extract::bench::read_pages(&dir)
        .unwrap_or_else(|e| panic!("reading the extraction pages under {}: {e}", dir.display()));
    let mut pages: Vec<_> = gold.into_iter().zip(pages).collect();
    pages.sort_by(|a, b| a.0.id.cmp(&b.0.id));
    let mut sites: Vec<Site> = Vec::new();
    for (g, bytes) in pages {
        let host = g
            .url
            .as_deref()
            .and_then(|u| url::Url::parse(u).ok())
            .and_then(|u| u.host_str().map(str::to_string))
            .unwrap_or_else(|| g.id.clone());
        let html =
            newsdedup::feeds::decode(&bytes, None, newsdedup::feeds::DocumentKind::Html).text;
        let found = page_furniture(&html, &g.body);
        let site = match sites.iter_mut().position(|s| s.host == host) {
            Some(i) => &mut sites[i],
            None => {
                sites.push(Site {
                    host,
                    blocks: Vec::new(),
                });
                sites.last_mut().expect("just pushed")
            }
        };
        for (place, b) in found {
            if !site.blocks.iter().any(|(_, x)| *x == b) {
                site.blocks.push((place, b));
            }
        }
    }
    sites.sort_by(|a, b| a.host.cmp(&b.host));
    sites
}

/// Up to `n` of `blocks`, spread evenly over them (first, last and between), in order.
pub fn spread<'a>(blocks: &[&'a str], n: usize) -> Vec<&'a str> {
    if blocks.len() <= n {
        return blocks.to_vec();
    }
    if n == 1 {
        return vec![blocks[0]];
    }
    (0..n)
        .map(|k| blocks[k * (blocks.len() - 1) / (n - 1)])
        .collect()
}

/// An outlet's furniture drawn from one site: a header from the blocks before the article, a
/// footer from those after it, and an in-text line from those inside it.
#[derive(Debug, Clone)]
pub struct Drawn {
    pub host: String,
    pub header: Vec<String>,
    pub footer: Vec<String>,
    pub inline: Vec<String>,
}

/// Furniture for `n` outlets from sites with at least `per_part` blocks before and after their
/// article, spread over the sites in host order; each outlet gets `per_part` header and footer
/// blocks and up to `per_part` in-text ones (the footer's when the article has none inside).
pub fn draw(sites: &[Site], n: usize, per_part: usize) -> Vec<Drawn> {
    let usable: Vec<&Site> = sites
        .iter()
        .filter(|s| {
            s.placed(Place::Before).len() >= per_part && s.placed(Place::After).len() >= per_part
        })
        .collect();
    assert!(
        usable.len() >= n,
        "{} sites with {per_part} furniture blocks before and after the article, {n} needed",
        usable.len()
    );
    let own = |v: Vec<&str>| v.into_iter().map(String::from).collect::<Vec<_>>();
    (0..n)
        .map(|i| {
            let s = usable[i * usable.len() / n];
            let inside = s.placed(Place::Inside);
            let after = s.placed(Place::After);
            Drawn {
                host: s.host.clone(),
                header: own(spread(&s.placed(Place::Before), per_part)),
                footer: own(spread(&after, per_part)),
                inline: own(spread(
                    if inside.is_empty() { &after } else { &inside },
                    per_part,
                )),
            }
        })
        .collect()
}
