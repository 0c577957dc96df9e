//! A flat, read-only copy of a parsed page for the extractor: elements and text nodes in document
//! order, each knowing its parent and where its subtree ends, so that subtree sums are one
//! backwards pass and a subtree is an index range.
//!
//! In: a page parsed by html5ever (through `scraper`) and the page's deadline. Out: a [`Dom`]
//! borrowing its names, attributes and text (one walk with a stack, however deep the page).

use super::Deadline;
use crate::limits::LimitExceeded;
use scraper::{Html, Node as HtmlNode, node::Element};

/// No parent (the document root).
pub const NONE: u32 = u32::MAX;

pub enum Kind<'a> {
    Document,
    Element(&'a Element),
    Text(&'a str),
}

pub struct Node<'a> {
    pub kind: Kind<'a>,
    pub parent: u32,
    /// One past the last node of this node's subtree (children follow their parent).
    pub end: u32,
}

pub struct Dom<'a> {
    pub nodes: Vec<Node<'a>>,
}

impl<'a> Dom<'a> {
    pub fn new(doc: &'a Html, deadline: &mut Deadline) -> Result<Dom<'a>, LimitExceeded> {
        let mut nodes: Vec<Node<'a>> = Vec::with_capacity(doc.tree.values().len());
        // (index in `nodes`, the html node it copies)
        let mut stack: Vec<(u32, ego_tree::NodeId)> = Vec::new();
        for edge in doc.tree.root().traverse() {
            deadline.tick()?;
            match edge {
                ego_tree::iter::Edge::Open(n) => {
                    let kind = match n.value() {
                        HtmlNode::Document | HtmlNode::Fragment => Kind::Document,
                        HtmlNode::Element(e) => Kind::Element(e),
                        HtmlNode::Text(t) => Kind::Text(t),
                        _ => continue,
                    };
                    let parent = stack.last().map_or(NONE, |s| s.0);
                    let idx = nodes.len() as u32;
                    nodes.push(Node {
                        kind,
                        parent,
                        end: idx + 1,
                    });
                    stack.push((idx, n.id()));
                }
                ego_tree::iter::Edge::Close(n) => {
                    if stack.last().is_some_and(|s| s.1 == n.id()) {
                        let (idx, _) = stack.pop().expect("checked");
                        nodes[idx as usize].end = nodes.len() as u32;
                    }
                }
            }
        }
        Ok(Dom { nodes })
    }

    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    pub fn element(&self, i: usize) -> Option<&'a Element> {
        match self.nodes[i].kind {
            Kind::Element(e) => Some(e),
            _ => None,
        }
    }

    pub fn name(&self, i: usize) -> &'a str {
        match self.nodes[i].kind {
            Kind::Element(e) => e.name(),
            _ => "",
        }
    }

    /// The text of a subtree, all of it (for metadata: titles, `<time>`).
    pub fn raw_text(&self, i: usize) -> String {
        let mut out = String::new();
        for n in &self.nodes[i..self.nodes[i].end as usize] {
            if let Kind::Text(t) = n.kind {
                out.push_str(t);
            }
        }
        out
    }
}
