//! A lenient XML tree: decoded text → an [`Element`] tree, whether or not the text is well-formed.
//!
//! In: UTF-8 text (already decoded, see [`super::decode`]). Out: the root [`Element`] with
//! namespaces resolved, entities expanded and CDATA merged into text, plus the [`Repair`]s that
//! were needed to get there. The reader (quick-xml with its checks relaxed) forgives what real
//! feeds get wrong: a bare `&` or an unknown entity stays literal text, HTML named entities
//! (`&nbsp;`, `&yen;`) are expanded, characters XML forbids are dropped (numeric references to
//! the C1 range are read as Windows-1252, as browsers do), a `<` that cannot start a tag is text,
//! an end tag closes the open elements up to its match (a stray one is ignored), prefixes used
//! without a declaration resolve to their usual namespace (`content:`, `dc:`, …), and a document
//! cut short keeps what was read. Entities declared in the internal DTD subset are expanded in
//! character data (not in attribute values), nested ones too, within the budget of
//! [`Limits::entity_expansions`] references and [`Limits::entity_bytes`] bytes; external and
//! parameter entities are never read (no file, no network): their references stay literal text.
//! A text without any element, or one whose expansion goes over the budget, is an error. At most
//! [`Limits::feed_elements`] elements are read: the rest of a longer document is dropped, as if
//! it ended there, and the cut recorded ([`Repair::OverLimit`]).
//!
//! [`serialize`] writes a tree back as well-formed XML with every namespace declared on the root;
//! [`inner_html`] writes an element's children as an HTML fragment.

use super::Repair;
use crate::limits::{LimitExceeded, Limits};
use quick_xml::events::Event;
use quick_xml::reader::Reader;
use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap, HashSet};

pub(crate) const NS_XML: &str = "http://www.w3.org/XML/1998/namespace";
pub(crate) const NS_ATOM: &str = "http://www.w3.org/2005/Atom";
pub(crate) const NS_ATOM03: &str = "http://purl.org/atom/ns#";
pub(crate) const NS_RSS10: &str = "http://purl.org/rss/1.0/";
pub(crate) const NS_RSS090: &str = "http://my.netscape.com/rdf/simple/0.9/";
pub(crate) const NS_RDF: &str = "http://www.w3.org/1999/02/22-rdf-syntax-ns#";
pub(crate) const NS_CONTENT: &str = "http://purl.org/rss/1.0/modules/content/";
pub(crate) const NS_DC: &str = "http://purl.org/dc/elements/1.1/";
pub(crate) const NS_DCTERMS: &str = "http://purl.org/dc/terms/";
pub(crate) const NS_SY: &str = "http://purl.org/rss/1.0/modules/syndication/";
pub(crate) const NS_XHTML: &str = "http://www.w3.org/1999/xhtml";

/// Namespaces a feed may use without declaring them, by their usual prefix.
const WELL_KNOWN: &[(&str, &str)] = &[
    ("atom", NS_ATOM),
    ("content", NS_CONTENT),
    ("dc", NS_DC),
    ("dcterms", NS_DCTERMS),
    ("sy", NS_SY),
    ("rdf", NS_RDF),
    ("xhtml", NS_XHTML),
    ("media", "http://search.yahoo.com/mrss/"),
    ("itunes", "http://www.itunes.com/dtds/podcast-1.0.dtd"),
    ("slash", "http://purl.org/rss/1.0/modules/slash/"),
    ("wfw", "http://wellformedweb.org/CommentAPI/"),
    ("feedburner", "http://rssnamespace.org/feedburner/ext/1.0"),
    ("georss", "http://www.georss.org/georss"),
    ("podcast", "https://podcastindex.org/namespace/1.0"),
    ("admin", "http://webns.net/mvcb/"),
    (
        "trackback",
        "http://madskills.com/public/xml/rss/module/trackback/",
    ),
];

/// Canonical prefixes used when serialising.
fn canonical_prefix(ns: &str) -> Option<&'static str> {
    WELL_KNOWN
        .iter()
        .find(|(_, uri)| *uri == ns)
        .map(|(p, _)| *p)
}

/// A node of the tree.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Node {
    Element(Element),
    /// Character data: text, expanded references and CDATA sections.
    Text(String),
}

/// An attribute, its namespace resolved (unprefixed attributes have none).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Attr {
    pub prefix: Option<String>,
    pub local: String,
    pub ns: Option<String>,
    pub value: String,
}

/// An element, its namespace resolved.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct Element {
    /// The prefix as written (kept for HTML output of foreign markup).
    pub prefix: Option<String>,
    pub local: String,
    pub ns: Option<String>,
    pub attrs: Vec<Attr>,
    /// The namespace declarations written on this element (prefix "" is the default).
    pub xmlns: Vec<(String, String)>,
    pub children: Vec<Node>,
}

impl Element {
    pub fn new(ns: Option<&str>, local: &str) -> Element {
        Element {
            prefix: None,
            local: local.to_string(),
            ns: ns.map(str::to_string),
            attrs: Vec::new(),
            xmlns: Vec::new(),
            children: Vec::new(),
        }
    }

    pub fn with_text(mut self, text: impl Into<String>) -> Element {
        self.children.reserve_exact(1);
        self.children.push(Node::Text(text.into()));
        self
    }

    /// Whether the element has this namespace (`None`: no namespace) and local name.
    pub fn is(&self, ns: Option<&str>, local: &str) -> bool {
        self.local == local && self.ns.as_deref() == ns
    }

    /// An unprefixed attribute.
    pub fn attr(&self, local: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|a| a.ns.is_none() && a.local == local)
            .map(|a| a.value.as_str())
    }

    /// An attribute in a namespace.
    pub fn attr_ns(&self, ns: &str, local: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|a| a.ns.as_deref() == Some(ns) && a.local == local)
            .map(|a| a.value.as_str())
    }

    pub fn set_attr(&mut self, local: &str, value: &str) {
        match self
            .attrs
            .iter_mut()
            .find(|a| a.ns.is_none() && a.local == local)
        {
            Some(a) => a.value = value.to_string(),
            None => {
                self.attrs.reserve_exact(1);
                self.attrs.push(Attr {
                    prefix: None,
                    local: local.to_string(),
                    ns: None,
                    value: value.to_string(),
                })
            }
        }
    }

    pub fn remove_attr(&mut self, local: &str) {
        self.attrs.retain(|a| !(a.ns.is_none() && a.local == local));
    }

    /// The element children.
    pub fn elements(&self) -> impl Iterator<Item = &Element> {
        self.children.iter().filter_map(|n| match n {
            Node::Element(e) => Some(e),
            Node::Text(_) => None,
        })
    }

    pub fn elements_mut(&mut self) -> impl Iterator<Item = &mut Element> {
        self.children.iter_mut().filter_map(|n| match n {
            Node::Element(e) => Some(e),
            Node::Text(_) => None,
        })
    }

    /// The first child element with this namespace and local name.
    pub fn child(&self, ns: Option<&str>, local: &str) -> Option<&Element> {
        self.elements().find(|e| e.is(ns, local))
    }

    pub fn has_element_children(&self) -> bool {
        self.elements().next().is_some()
    }

    /// All character data below the element, in document order.
    pub fn text(&self) -> String {
        let mut out = String::new();
        self.collect_text(&mut out);
        out
    }

    fn collect_text(&self, out: &mut String) {
        for n in &self.children {
            match n {
                Node::Text(t) => out.push_str(t),
                Node::Element(e) => e.collect_text(out),
            }
        }
    }

    /// The qualified name as written.
    pub fn qname(&self) -> Cow<'_, str> {
        match &self.prefix {
            Some(p) => Cow::Owned(format!("{p}:{}", self.local)),
            None => Cow::Borrowed(&self.local),
        }
    }
}

/// A tree and what it took to read it.
#[derive(Debug)]
pub(crate) struct Tree {
    pub root: Element,
    pub repairs: Vec<Repair>,
}

/// Why a text could not be read into a tree.
#[derive(Debug, thiserror::Error)]
pub(crate) enum XmlError {
    /// The text has no element at all.
    #[error("no XML element found{}", detail.as_ref().map(|d| format!(" ({d})")).unwrap_or_default())]
    NoElement { detail: Option<String> },
    /// Expanding the DTD's entities would go over a limit.
    #[error(transparent)]
    Limit(#[from] LimitExceeded),
}

/// Reads text into a tree, repairing what it must (see the module documentation); entity
/// expansion stays within `limits`.
pub(crate) fn parse(text: &str, limits: &Limits) -> Result<Tree, XmlError> {
    let mut repairs = Vec::new();
    let prepared = prepare(text, limits, &mut repairs)?;
    let mut reader = Reader::from_str(&prepared);
    {
        let c = reader.config_mut();
        c.check_end_names = false;
        c.allow_unmatched_ends = true;
        c.allow_dangling_amp = true;
        c.check_comments = false;
        c.expand_empty_elements = false;
        c.trim_text(false);
    }
    let mut builder = Builder::default();
    let mut error = None;
    let mut elements: u64 = 0;
    loop {
        let event = reader.read_event();
        // Elements kept in the tree count (not those dropped past the depth kept).
        let kept = match event {
            Ok(Event::Start(_)) => builder.stack.len() < MAX_DEPTH,
            Ok(Event::Empty(_)) => true,
            _ => false,
        };
        if kept {
            elements += 1;
            if elements > limits.feed_elements {
                // The rest of the document is dropped, as if it ended here.
                let over = LimitExceeded::new(
                    "the document's elements",
                    "feed_elements",
                    "elements",
                    limits.feed_elements,
                );
                repairs.push(Repair::OverLimit(format!(
                    "{over}; the rest of the document was dropped"
                )));
                break;
            }
        }
        match event {
            Ok(Event::Start(e)) => {
                if builder.stack.len() >= MAX_DEPTH {
                    // Deeper elements are dropped (their text is kept), so that nothing that
                    // walks the tree recursively can run out of stack.
                    push_repair(&mut repairs, Repair::DeepNesting);
                    builder.overflow.push(e.name().as_ref().to_string());
                    continue;
                }
                let el = builder.start(e.name().as_ref(), &e, &mut repairs);
                builder.stack.push(el);
            }
            Ok(Event::Empty(e)) => {
                let el = builder.start(e.name().as_ref(), &e, &mut repairs);
                builder.close_scope();
                builder.append(Node::Element(el));
            }
            Ok(Event::End(e)) => {
                if builder
                    .overflow
                    .last()
                    .is_some_and(|n| n.as_str() == e.name().as_ref())
                {
                    builder.overflow.pop();
                    continue;
                }
                builder.end(e.name().as_ref(), &mut repairs)
            }
            Ok(Event::Text(t)) => {
                let raw = t.xml10_content();
                if raw.contains('&') {
                    // Only a dangling `&` reaches us inside text.
                    push_repair(&mut repairs, Repair::BareAmpersand);
                }
                builder.text(&raw);
            }
            Ok(Event::CData(t)) => builder.text(&t.xml10_content()),
            Ok(Event::GeneralRef(r)) => {
                let name = r.xml10_content();
                let resolved = resolve_reference(&name, &mut repairs);
                builder.text(&resolved);
            }
            Ok(Event::Eof) => break,
            Ok(_) => {}
            Err(e) => {
                error = Some(format!(
                    "{e} at byte {}; the rest was dropped",
                    reader.error_position()
                ));
                break;
            }
        }
        if builder.done {
            break;
        }
    }
    if let Some(msg) = &error
        && builder.root.is_none()
        && builder.stack.is_empty()
    {
        return Err(XmlError::NoElement {
            detail: Some(msg.clone()),
        });
    }
    if let Some(msg) = error {
        repairs.push(Repair::Truncated(msg));
    }
    if !builder.stack.is_empty() {
        push_repair(&mut repairs, Repair::UnclosedElements);
    }
    while builder.stack.len() > 1 {
        let el = builder.stack.pop().expect("len > 1");
        builder.append(Node::Element(el));
    }
    let root = match builder.stack.pop() {
        Some(el) => el,
        None => builder
            .root
            .take()
            .ok_or(XmlError::NoElement { detail: None })?,
    };
    Ok(Tree { root, repairs })
}

/// The distinct repairs recorded for one document: a document can need one for each of
/// countless distinct undeclared prefixes or text types, and each new one is compared with all
/// before it. Past this, further ones are not recorded (a cut by a limit always is).
const MAX_REPAIRS: usize = 64;

/// Records a repair once.
pub(crate) fn push_repair(repairs: &mut Vec<Repair>, r: Repair) {
    if repairs.len() >= MAX_REPAIRS && !matches!(r, Repair::OverLimit(_)) {
        return;
    }
    if !repairs.contains(&r) {
        repairs.push(r);
    }
}

/// The deepest element kept.
const MAX_DEPTH: usize = 200;

#[derive(Default)]
struct Builder {
    stack: Vec<Element>,
    /// Names of open elements beyond [`MAX_DEPTH`] (dropped).
    overflow: Vec<String>,
    /// Namespace declarations per open element (prefix "" is the default namespace).
    /// (The prefixes each open element declares, innermost last, and each prefix's URIs in
    /// those scopes, innermost last: looking one up takes no walk over the scopes, which a
    /// document can fill with countless declarations.)
    scopes: Vec<Vec<String>>,
    bound: HashMap<String, Vec<String>>,
    root: Option<Element>,
    done: bool,
}

impl Builder {
    fn resolve(&self, prefix: &str, repairs: &mut Vec<Repair>) -> Option<String> {
        if prefix == "xml" {
            return Some(NS_XML.to_string());
        }
        if let Some(uri) = self.bound.get(prefix).and_then(|uris| uris.last()) {
            return (!uri.is_empty()).then(|| uri.clone());
        }
        if prefix.is_empty() {
            return None;
        }
        push_repair(repairs, Repair::UndeclaredPrefix(prefix.to_string()));
        match WELL_KNOWN
            .iter()
            .find(|(p, _)| p.eq_ignore_ascii_case(prefix))
        {
            Some((_, uri)) => Some(uri.to_string()),
            None => Some(format!("urn:x-undeclared-prefix:{prefix}")),
        }
    }

    /// Builds an element from a start tag and opens its namespace scope.
    fn start(
        &mut self,
        qname: &str,
        e: &quick_xml::events::BytesStart<'_>,
        repairs: &mut Vec<Repair>,
    ) -> Element {
        let mut raw_attrs = Vec::new();
        let mut scope = Vec::new();
        for a in e.html_attributes().with_checks(false).flatten() {
            let key = a.key.as_ref().to_string();
            let value = unescape_lenient(&a.value, repairs).into_owned();
            if key == "xmlns" {
                scope.push((String::new(), value.trim().to_string()));
            } else if let Some(p) = key.strip_prefix("xmlns:") {
                scope.push((p.to_string(), value.trim().to_string()));
            } else {
                raw_attrs.push((key, value));
            }
        }
        for (p, uri) in &scope {
            self.bound.entry(p.clone()).or_default().push(uri.clone());
        }
        self.scopes
            .push(scope.iter().map(|(p, _)| p.clone()).collect());
        let (prefix, local) = split_qname(qname);
        let ns = self.resolve(prefix.unwrap_or(""), repairs);
        let attrs = raw_attrs
            .into_iter()
            .filter(|(k, _)| !k.is_empty())
            .map(|(k, value)| {
                let (p, l) = split_qname(&k);
                Attr {
                    ns: p.and_then(|p| self.resolve(p, repairs)),
                    prefix: p.map(str::to_string),
                    local: l.to_string(),
                    value,
                }
            })
            .collect();
        Element {
            prefix: prefix.map(str::to_string),
            local: local.to_string(),
            ns,
            attrs,
            xmlns: scope,
            children: Vec::new(),
        }
    }

    /// Closes the namespace scope of the innermost open element.
    fn close_scope(&mut self) {
        for p in self.scopes.pop().unwrap_or_default() {
            if let Some(uris) = self.bound.get_mut(&p) {
                uris.pop();
            }
        }
    }

    fn append(&mut self, mut node: Node) {
        if let Node::Element(el) = &mut node {
            // The element is complete: give back what its lists reserved to grow (a vector of
            // nodes reserves four at its first push, 600 bytes for one child).
            el.children.shrink_to_fit();
            el.attrs.shrink_to_fit();
            el.xmlns.shrink_to_fit();
            if let Some(Node::Text(t)) = el.children.last_mut() {
                t.shrink_to_fit();
            }
        }
        match self.stack.last_mut() {
            Some(parent) => {
                if let (Node::Text(t), Some(Node::Text(prev))) = (&node, parent.children.last_mut())
                {
                    prev.push_str(t);
                    return;
                }
                parent.children.push(node);
            }
            None => {
                // Only the first top-level element is the document; text around it is ignored.
                if let Node::Element(el) = node
                    && self.root.is_none()
                {
                    self.root = Some(el);
                    self.done = true;
                }
            }
        }
    }

    fn text(&mut self, t: &str) {
        if !self.stack.is_empty() && !t.is_empty() {
            self.append(Node::Text(t.to_string()));
        }
    }

    fn end(&mut self, qname: &str, repairs: &mut Vec<Repair>) {
        let qname = qname.trim();
        let pos = self
            .stack
            .iter()
            .rposition(|e| e.qname() == qname)
            .or_else(|| {
                self.stack
                    .iter()
                    .rposition(|e| e.qname().eq_ignore_ascii_case(qname))
            });
        let Some(pos) = pos else {
            push_repair(repairs, Repair::StrayEndTag);
            return;
        };
        if pos + 1 != self.stack.len() {
            push_repair(repairs, Repair::UnclosedElements);
        }
        while self.stack.len() > pos {
            let el = self.stack.pop().expect("len > pos");
            self.close_scope();
            self.append(Node::Element(el));
        }
    }
}

fn split_qname(q: &str) -> (Option<&str>, &str) {
    match q.split_once(':') {
        Some((p, l)) if !p.is_empty() && !l.is_empty() => (Some(p), l),
        _ => (None, q),
    }
}

/// Characters XML 1.0 allows.
fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..='\u{10FFFF}')
}

/// Windows-1252's characters for the bytes 0x80–0x9F, which numeric references in feeds mean.
fn cp1252_c1(code: u32) -> Option<char> {
    const TABLE: [u16; 32] = [
        0x20AC, 0, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039,
        0x0152, 0, 0x017D, 0, 0, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, 0x02DC,
        0x2122, 0x0161, 0x203A, 0x0153, 0, 0x017E, 0x0178,
    ];
    let i = code.checked_sub(0x80)? as usize;
    let v = *TABLE.get(i)?;
    (v != 0).then(|| char::from_u32(u32::from(v))).flatten()
}

/// The text a reference stands for; an unknown or malformed one stays literal.
fn resolve_reference(name: &str, repairs: &mut Vec<Repair>) -> String {
    if let Some(num) = name.strip_prefix('#') {
        let code = match num.strip_prefix(['x', 'X']) {
            Some(hex) => u32::from_str_radix(hex, 16).ok(),
            None => num.parse::<u32>().ok(),
        };
        return match code {
            Some(c) if (0x80..=0x9F).contains(&c) => {
                push_repair(repairs, Repair::C1CharacterReference);
                cp1252_c1(c).map(String::from).unwrap_or_default()
            }
            Some(c) => match char::from_u32(c).filter(|&ch| is_xml_char(ch)) {
                Some(ch) => ch.to_string(),
                None => {
                    push_repair(repairs, Repair::IllegalCharacters);
                    String::new()
                }
            },
            None => {
                push_repair(repairs, Repair::BareAmpersand);
                format!("&{name};")
            }
        };
    }
    if let Some(s) = quick_xml::escape::resolve_xml_entity(name) {
        return s.to_string();
    }
    if let Some(s) = super::html::html5_entity(name) {
        push_repair(repairs, Repair::HtmlEntity);
        return s;
    }
    push_repair(repairs, Repair::BareAmpersand);
    format!("&{name};")
}

/// Expands references in an attribute value, leaving unknown ones literal.
fn unescape_lenient<'a>(s: &'a str, repairs: &mut Vec<Repair>) -> Cow<'a, str> {
    if !s.contains('&') {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        let end = after
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '#'))
            .unwrap_or(after.len());
        if after[end..].starts_with(';') && end > 0 {
            out.push_str(&resolve_reference(&after[..end], repairs));
            rest = &after[end + 1..];
        } else {
            push_repair(repairs, Repair::BareAmpersand);
            out.push('&');
            rest = after;
        }
    }
    out.push_str(rest);
    Cow::Owned(out)
}

/// Character-level preparation before the reader: characters XML forbids are dropped, a `<`
/// that cannot start markup becomes `&lt;`, and entities declared in an internal DTD subset
/// are expanded in character data (the reader does not read DTDs), within `limits`.
fn prepare<'a>(
    text: &'a str,
    limits: &Limits,
    repairs: &mut Vec<Repair>,
) -> Result<Cow<'a, str>, LimitExceeded> {
    let mut out: Option<String> = None;
    let mut text: Cow<'a, str> = Cow::Borrowed(text);
    if text.chars().any(|c| !is_xml_char(c)) {
        push_repair(repairs, Repair::IllegalCharacters);
        text = Cow::Owned(text.chars().filter(|&c| is_xml_char(c)).collect());
    }
    if text.chars().any(|c| ('\u{80}'..='\u{9f}').contains(&c)) {
        // C1 controls in text are Windows-1252 punctuation decoded as Latin-1 somewhere upstream.
        push_repair(repairs, Repair::C1CharacterReference);
        text = Cow::Owned(
            text.chars()
                .filter_map(|c| {
                    if ('\u{80}'..='\u{9f}').contains(&c) {
                        cp1252_c1(c as u32)
                    } else {
                        Some(c)
                    }
                })
                .collect(),
        );
    }
    let entities = Entities::declared_in(&text);
    let mut budget = Budget::new(limits);
    let b = text.as_bytes();
    let mut i = 0;
    let mut copied = 0;
    // Once a terminator is missing from some point on, it is missing from every later point:
    // remembering that keeps the scan linear.
    let mut seen_no = [false; 3];
    let mut find_end = |rest: &str, which: usize, end: &str| -> Option<usize> {
        if seen_no[which] {
            return None;
        }
        let r = rest.find(end).map(|e| e + end.len());
        if r.is_none() {
            seen_no[which] = true;
        }
        r
    };
    // Only the first DOCTYPE is one (a later one is markup the reader skips): measuring each of
    // many unterminated ones would make the scan quadratic.
    let mut doctype_seen = false;
    while i < b.len() {
        if b[i] == b'<' {
            let rest = &text[i..];
            // Skip over markup whose content must not be touched.
            let skip_to = if rest.starts_with("<!--") {
                find_end(rest, 0, "-->")
            } else if rest.starts_with("<![CDATA[") {
                find_end(rest, 1, "]]>")
            } else if (rest.starts_with("<!DOCTYPE") || rest.starts_with("<!doctype"))
                && !doctype_seen
            {
                doctype_seen = true;
                doctype_end(rest)
            } else if rest.starts_with("<?") {
                find_end(rest, 2, "?>")
            } else {
                None
            };
            if let Some(n) = skip_to {
                i += n;
                continue;
            }
            let next = rest[1..].chars().next();
            let starts_markup = matches!(next, Some(c) if c.is_alphabetic() || c == '_' || c == ':' || c == '/' || c == '!' || c == '?');
            if !starts_markup {
                let o = out.get_or_insert_with(String::new);
                o.push_str(&text[copied..i]);
                o.push_str("&lt;");
                copied = i + 1;
                push_repair(repairs, Repair::StrayLessThan);
                i += 1;
                continue;
            }
            // Jump past the tag, minding quoted attribute values.
            let mut j = i + 1;
            let mut quote = None;
            while j < b.len() {
                match (quote, b[j]) {
                    (None, b'"') | (None, b'\'') => quote = Some(b[j]),
                    (Some(q), c) if c == q => quote = None,
                    (None, b'>') => break,
                    (None, b'<') => break,
                    _ => {}
                }
                j += 1;
            }
            i = if j < b.len() && b[j] == b'<' {
                j
            } else {
                j + 1
            };
            continue;
        }
        if b[i] == b'&'
            && let Some((name, value, len)) = entities.reference_at(&text[i..])
        {
            let o = out.get_or_insert_with(String::new);
            o.push_str(&text[copied..i]);
            entities.expand_into((name, value), o, &mut budget)?;
            i += len;
            copied = i;
            continue;
        }
        i += 1;
    }
    Ok(match out {
        Some(mut o) => {
            o.push_str(&text[copied.min(text.len())..]);
            Cow::Owned(o)
        }
        None => text,
    })
}

/// The length of a `<!DOCTYPE …>` declaration including an internal subset.
fn doctype_end(rest: &str) -> Option<usize> {
    let mut depth = 0i32;
    for (i, c) in rest.char_indices() {
        match c {
            '[' => depth += 1,
            ']' => depth -= 1,
            '>' if depth <= 0 => return Some(i + 1),
            _ => {}
        }
    }
    None
}

/// What entity expansion may still add to a document.
struct Budget {
    references: u64,
    bytes: u64,
    limits: (u64, u64),
}

impl Budget {
    fn new(limits: &Limits) -> Budget {
        Budget {
            references: 0,
            bytes: 0,
            limits: (limits.entity_expansions, limits.entity_bytes),
        }
    }

    /// Counts one more expansion of `len` bytes, or says which limit it would go over.
    fn take(&mut self, len: usize) -> Result<(), LimitExceeded> {
        let (max_refs, max_bytes) = self.limits;
        self.references += 1;
        if self.references > max_refs {
            return Err(LimitExceeded::new(
                WHAT_EXPANSION,
                "entity_expansions",
                "references",
                max_refs,
            ));
        }
        self.bytes = self.bytes.saturating_add(len as u64);
        if self.bytes > max_bytes {
            return Err(LimitExceeded::bytes(
                WHAT_EXPANSION,
                "entity_bytes",
                max_bytes,
            ));
        }
        Ok(())
    }
}

/// How an expansion over a limit is named in its error.
const WHAT_EXPANSION: &str = "feed entity expansion";

/// The internal entities of a DTD: `<!ENTITY name "value">`. Values are used as text: markup in
/// them is escaped when they are declared; references in them to other declared entities are
/// expanded when they are used.
struct Entities {
    values: HashMap<String, String>,
    /// The longest name, so that finding a reference's end never scans further.
    longest: usize,
}

impl Entities {
    /// The declarations of the first `<!DOCTYPE` in the first 64 KiB of `text`. External
    /// (`SYSTEM`, `PUBLIC`) and parameter (`%`) entities are ignored, and so are redefinitions
    /// of XML's own five.
    fn declared_in(text: &str) -> Entities {
        let mut values = HashMap::new();
        let mut cut = text.len().min(64 * 1024);
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        let head = &text[..cut];
        let doctype = head
            .find("<!DOCTYPE")
            .and_then(|start| Some(&head[start..start + doctype_end(&head[start..])?]))
            .unwrap_or("");
        let mut rest = doctype;
        while let Some(i) = rest.find("<!ENTITY") {
            rest = &rest[i + "<!ENTITY".len()..];
            let decl = rest.trim_start();
            if decl.starts_with('%') {
                continue;
            }
            let name_len = decl.find(|c: char| c.is_whitespace()).unwrap_or(decl.len());
            let name = &decl[..name_len];
            let after = decl[name_len..].trim_start();
            let Some(q) = after.chars().next().filter(|c| *c == '"' || *c == '\'') else {
                continue;
            };
            if name.is_empty()
                || name.contains([';', '&', '<'])
                || matches!(name, "amp" | "lt" | "gt" | "quot" | "apos")
            {
                continue;
            }
            if let Some(end) = after[1..].find(q) {
                let value = after[1..1 + end].replace('<', "&lt;");
                // The first declaration of a name is the one that counts.
                values.entry(name.to_string()).or_insert(value);
            }
        }
        let longest = values.keys().map(String::len).max().unwrap_or(0);
        Entities { values, longest }
    }

    /// The declared entity referenced at the start of `s` (which starts with `&`): its name,
    /// its value, and the reference's length.
    fn reference_at(&self, s: &str) -> Option<(&str, &str, usize)> {
        if self.values.is_empty() {
            return None;
        }
        let after = s.get(1..)?;
        let window = after.len().min(self.longest + 1);
        let end = after.as_bytes()[..window].iter().position(|&c| c == b';')?;
        let (name, value) = self.values.get_key_value(after.get(..end)?)?;
        Some((name.as_str(), value.as_str(), end + 2))
    }

    /// Appends the expansion of the entity `name` (whose value is `value`) to `out`: the value,
    /// with references to other declared entities in it expanded too (a reference to an entity
    /// already being expanded stays literal). Every expansion, nested or not, counts against
    /// `budget`. Iterative, so no nesting of declarations can exhaust the stack.
    fn expand_into(
        &self,
        (name, value): (&str, &str),
        out: &mut String,
        budget: &mut Budget,
    ) -> Result<(), LimitExceeded> {
        budget.take(value.len())?;
        // (name being expanded, what is left of its value)
        let mut stack: Vec<(&str, &str)> = vec![(name, value)];
        while let Some(&(_, rest)) = stack.last() {
            let Some(amp) = rest.find('&') else {
                out.push_str(rest);
                stack.pop();
                continue;
            };
            out.push_str(&rest[..amp]);
            let at = &rest[amp..];
            let top = stack.len() - 1;
            match self.reference_at(at) {
                Some((inner, v, len)) if !stack.iter().any(|(n, _)| *n == inner) => {
                    stack[top].1 = &at[len..];
                    budget.take(v.len())?;
                    stack.push((inner, v));
                }
                _ => {
                    out.push('&');
                    stack[top].1 = &at[1..];
                }
            }
        }
        Ok(())
    }
}

/// Writes a tree as well-formed XML. `default_ns` is written without a prefix; every other
/// namespace in use is declared on the root with its usual prefix (or a generated one).
pub(crate) fn serialize(root: &Element, default_ns: Option<&str>) -> String {
    let mut namespaces = BTreeMap::new();
    collect_namespaces(root, &mut namespaces);
    let mut prefixes: BTreeMap<String, String> = BTreeMap::new();
    let mut used: HashSet<String> = HashSet::new();
    // For a prefix taken, the last number tried after it: the first free `{p}{n}` is never
    // below it (a document may declare countless namespaces with one prefix).
    let mut next: HashMap<String, usize> = HashMap::new();
    for (ns, written) in &namespaces {
        if Some(ns.as_str()) == default_ns || ns == NS_XML {
            continue;
        }
        let mut p = canonical_prefix(ns)
            .map(str::to_string)
            .or_else(|| written.clone().filter(|p| p != "xmlns" && p != "xml"))
            .unwrap_or_else(|| "ns".to_string());
        if used.contains(&p) {
            let n = next.entry(p.clone()).or_insert(1);
            while used.contains(&format!("{p}{n}")) {
                *n += 1;
            }
            p = format!("{p}{n}");
        }
        used.insert(p.clone());
        prefixes.insert(ns.clone(), p);
    }
    let mut out = String::with_capacity(4096);
    out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    write_element(root, default_ns, &prefixes, true, &mut out);
    out
}

fn collect_namespaces(el: &Element, out: &mut BTreeMap<String, Option<String>>) {
    if let Some(ns) = &el.ns {
        out.entry(ns.clone()).or_insert_with(|| el.prefix.clone());
    }
    for a in &el.attrs {
        if let Some(ns) = &a.ns {
            out.entry(ns.clone()).or_insert_with(|| a.prefix.clone());
        }
    }
    for c in el.elements() {
        collect_namespaces(c, out);
    }
}

fn write_element(
    el: &Element,
    default_ns: Option<&str>,
    prefixes: &BTreeMap<String, String>,
    is_root: bool,
    out: &mut String,
) {
    let name = match el.ns.as_deref() {
        Some(ns) if Some(ns) == default_ns => el.local.clone(),
        Some(ns) => match prefixes.get(ns) {
            Some(p) => format!("{p}:{}", el.local),
            None => el.local.clone(),
        },
        None => el.local.clone(),
    };
    out.push('<');
    out.push_str(&name);
    if is_root {
        if let Some(d) = default_ns {
            out.push_str(&format!(" xmlns=\"{}\"", escape_attr(d)));
        }
        for (ns, p) in prefixes {
            out.push_str(&format!(" xmlns:{p}=\"{}\"", escape_attr(ns)));
        }
    }
    for a in &el.attrs {
        let key = match a.ns.as_deref() {
            Some(NS_XML) => format!("xml:{}", a.local),
            Some(ns) => match prefixes.get(ns) {
                Some(p) => format!("{p}:{}", a.local),
                None => a.local.clone(),
            },
            None => a.local.clone(),
        };
        if !is_name(&key) {
            continue;
        }
        out.push(' ');
        out.push_str(&key);
        out.push_str("=\"");
        out.push_str(&escape_attr(&a.value));
        out.push('"');
    }
    if el.children.is_empty() {
        out.push_str("/>");
        return;
    }
    out.push('>');
    for c in &el.children {
        match c {
            Node::Text(t) => out.push_str(&escape_text(t)),
            Node::Element(e) => write_element(e, default_ns, prefixes, false, out),
        }
    }
    out.push_str("</");
    out.push_str(&name);
    out.push('>');
}

/// Whether a string is a usable XML attribute or element name.
fn is_name(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_alphabetic() || c == '_')
        && chars.all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | ':'))
}

pub(crate) fn escape_text(s: &str) -> Cow<'_, str> {
    if !s.contains(['&', '<', '>']) {
        return Cow::Borrowed(s);
    }
    Cow::Owned(
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;"),
    )
}

pub(crate) fn escape_attr(s: &str) -> Cow<'_, str> {
    if !s.contains(['&', '<', '>', '"', '\n', '\r', '\t']) {
        return Cow::Borrowed(s);
    }
    Cow::Owned(
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
            .replace('\n', "&#10;")
            .replace('\r', "&#13;")
            .replace('\t', "&#9;"),
    )
}

/// HTML elements without an end tag.
fn is_void(local: &str) -> bool {
    matches!(
        local.to_ascii_lowercase().as_str(),
        "area"
            | "base"
            | "br"
            | "col"
            | "embed"
            | "hr"
            | "img"
            | "input"
            | "link"
            | "meta"
            | "param"
            | "source"
            | "track"
            | "wbr"
    )
}

/// An element's children written as an HTML fragment: XHTML elements lose their prefix, other
/// markup keeps the name it was written with, void elements get no end tag (anything wrongly
/// nested inside one follows it).
pub(crate) fn inner_html(el: &Element) -> String {
    let mut out = String::new();
    let mut scope = HtmlScope {
        default_ns: el.ns.clone().filter(|n| n == NS_XHTML),
        prefixes: Vec::new(),
    };
    for c in &el.children {
        write_html(c, &mut scope, &mut out);
    }
    out
}

/// Namespaces already declared in the HTML being written (XHTML and no namespace need none).
#[derive(Clone)]
struct HtmlScope {
    default_ns: Option<String>,
    prefixes: Vec<(String, String)>,
}

fn write_html(node: &Node, scope: &mut HtmlScope, out: &mut String) {
    match node {
        Node::Text(t) => out.push_str(&escape_text(t)),
        Node::Element(e) => {
            // SVG and MathML keep their namespace (HTML parsers read them as foreign content);
            // markup in any other namespace is written as plain HTML.
            let foreign = e.ns.as_deref().filter(|n| {
                *n == "http://www.w3.org/2000/svg" || *n == "http://www.w3.org/1998/Math/MathML"
            });
            let name =
                if e.ns.as_deref() == Some(NS_XHTML) || e.prefix.is_none() || foreign.is_some() {
                    e.local.clone()
                } else {
                    e.qname().into_owned()
                };
            let mut inner = scope.clone();
            out.push('<');
            out.push_str(&name);
            if let Some(ns) = foreign
                && inner.default_ns.as_deref() != Some(ns)
            {
                out.push_str(&format!(" xmlns=\"{}\"", escape_attr(ns)));
                inner.default_ns = Some(ns.to_string());
            } else if foreign.is_none() && e.ns.as_deref() == Some(NS_XHTML) {
                inner.default_ns = None;
            }
            for a in &e.attrs {
                let key = match (&a.prefix, a.ns.as_deref()) {
                    (_, Some(NS_XML)) => format!("xml:{}", a.local),
                    (Some(p), Some(ns)) => {
                        if !inner.prefixes.iter().any(|(q, n)| q == p && n == ns) {
                            out.push_str(&format!(" xmlns:{p}=\"{}\"", escape_attr(ns)));
                            inner.prefixes.push((p.clone(), ns.to_string()));
                        }
                        format!("{p}:{}", a.local)
                    }
                    (Some(p), None) => format!("{p}:{}", a.local),
                    (None, _) => a.local.clone(),
                };
                out.push(' ');
                out.push_str(&key);
                out.push_str("=\"");
                out.push_str(&escape_attr(&a.value));
                out.push('"');
            }
            out.push('>');
            for c in &e.children {
                write_html(c, &mut inner, out);
            }
            if !is_void(&e.local) || foreign.is_some() {
                out.push_str("</");
                out.push_str(&name);
                out.push('>');
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Tree, XmlError> {
        super::parse(text, &Limits::default())
    }

    #[test]
    fn lenient_reading() {
        let t = parse(
            "<rss><channel><title>Fish & Chips &amp; more &lt;3 &nbsp;&yen; a < b &#150;</title>\
             <item><title>x</titel><link>http://a/?a=1&b=2</link></item></channel></rss",
        )
        .unwrap();
        let ch = t.root.child(None, "channel").unwrap();
        assert_eq!(
            ch.child(None, "title").unwrap().text(),
            "Fish & Chips & more <3 \u{a0}\u{a5} a < b \u{2013}"
        );
        let item = ch.child(None, "item").unwrap();
        assert_eq!(
            item.child(None, "title")
                .unwrap()
                .child(None, "link")
                .unwrap()
                .text(),
            "http://a/?a=1&b=2"
        );
        assert!(t.repairs.contains(&Repair::BareAmpersand));
        assert!(t.repairs.contains(&Repair::HtmlEntity));
    }

    #[test]
    fn namespaces_and_serialisation() {
        let t = parse(
            "<rss version=\"2.0\"><channel><item><content:encoded><![CDATA[<p>x & y</p>]]></content:encoded></item></channel></rss>",
        )
        .unwrap();
        let enc = t.root.elements().next().unwrap().elements().next().unwrap();
        let enc = enc.elements().next().unwrap();
        assert!(enc.is(Some(NS_CONTENT), "encoded"));
        let xml = serialize(&t.root, None);
        assert!(xml.contains("xmlns:content=\"http://purl.org/rss/1.0/modules/content/\""));
        assert!(xml.contains("<content:encoded>&lt;p&gt;x &amp; y&lt;/p&gt;</content:encoded>"));
        assert!(parse("no markup here").is_err());
    }

    #[test]
    fn doctype_entities() {
        let t =
            parse("<!DOCTYPE rss [<!ENTITY who \"Me &amp; You\">]><rss><title>&who;</title></rss>")
                .unwrap();
        assert_eq!(t.root.child(None, "title").unwrap().text(), "Me & You");
    }

    /// A DTD declaring `decl`, then an RSS title holding `body`.
    fn with_dtd(decl: &str, body: &str) -> String {
        format!("<!DOCTYPE rss [{decl}]><rss><channel><title>{body}</title></channel></rss>")
    }

    fn limit_of(r: Result<Tree, XmlError>) -> LimitExceeded {
        match r {
            Err(XmlError::Limit(l)) => l,
            Err(e) => panic!("another error: {e}"),
            Ok(t) => panic!("read, {} bytes of text", t.root.text().len()),
        }
    }

    #[test]
    fn one_big_entity_referenced_often_is_over_the_byte_budget() {
        let doc = with_dtd(
            &format!("<!ENTITY e \"{}\">", "x".repeat(60 * 1024)),
            &"&e;".repeat(5000),
        );
        let l = limit_of(parse(&doc));
        assert_eq!((l.key, l.limit), ("entity_bytes", 1024 * 1024));
        assert!(l.to_string().contains("feed entity expansion"), "{l}");
        // Within the budget it is expanded.
        let small = with_dtd("<!ENTITY e \"ab\">", &"&e;".repeat(100));
        let t = parse(&small).unwrap();
        assert_eq!(t.root.text(), "ab".repeat(100));
    }

    #[test]
    fn many_small_references_are_over_the_count_budget() {
        let doc = with_dtd("<!ENTITY e \"a\">", &"&e;".repeat(10_001));
        let l = limit_of(parse(&doc));
        assert_eq!((l.key, l.limit), ("entity_expansions", 10_000));
        let limits = Limits {
            entity_expansions: 20_000,
            ..Limits::default()
        };
        let t = super::parse(&doc, &limits).unwrap();
        assert_eq!(t.root.text().len(), 10_001);
    }

    #[test]
    fn billion_laughs_counts_nested_expansions_against_the_budget() {
        let mut decl = String::from("<!ENTITY l0 \"lol\">");
        for k in 1..10 {
            let refs = format!("&l{};", k - 1).repeat(10);
            decl.push_str(&format!("<!ENTITY l{k} \"{refs}\">"));
        }
        let l = limit_of(parse(&with_dtd(&decl, "&l9;")));
        assert_eq!(l.key, "entity_expansions");
        // Three levels (1 + 10 + 100 + 1000 references) fit, and are expanded in full.
        let t = parse(&with_dtd(&decl, "&l3;")).unwrap();
        assert_eq!(t.root.text(), "lol".repeat(1000));
    }

    #[test]
    fn recursive_entities_stay_literal() {
        let t = parse(&with_dtd("<!ENTITY a \"1&b;\"><!ENTITY b \"2&a;\">", "&a;")).unwrap();
        assert_eq!(t.root.text(), "12&a;");
    }

    #[test]
    fn entities_in_attributes_and_markup_in_values_are_not_expanded() {
        let doc = "<!DOCTYPE rss [<!ENTITY e \"<b>x</b>\">]>\
                   <rss a=\"&e;\"><channel><title>&e;</title></channel></rss>";
        let t = parse(doc).unwrap();
        assert_eq!(t.root.attr("a"), Some("&e;"));
        let title = t.root.elements().next().unwrap().elements().next().unwrap();
        assert_eq!(title.text(), "<b>x</b>");
        assert!(!title.has_element_children());
    }

    #[test]
    fn external_and_parameter_entities_are_never_read() {
        let secret = std::env::temp_dir().join(format!("newsdedup-xxe-{}", std::process::id()));
        std::fs::write(&secret, "SECRET-CONTENT").unwrap();
        let decl = format!(
            "<!ENTITY f SYSTEM \"file://{}\"><!ENTITY n SYSTEM \"http://127.0.0.1:9/x\">\
             <!ENTITY p PUBLIC \"-//x//EN\" \"file://{}\">\
             <!ENTITY % q SYSTEM \"file://{}\"> %q;",
            secret.display(),
            secret.display(),
            secret.display()
        );
        let t = parse(&with_dtd(&decl, "[&f;|&n;|&p;|%q;]")).unwrap();
        std::fs::remove_file(&secret).unwrap();
        assert_eq!(t.root.text(), "[&f;|&n;|&p;|%q;]");
    }

    #[test]
    fn nesting_past_the_depth_kept_is_dropped_without_recursion() {
        let n = 200_000;
        let doc = format!(
            "<rss><channel><item><description>{}deep{}</description></item></channel></rss>",
            "<a>".repeat(n),
            "</a>".repeat(n)
        );
        let t = parse(&doc).unwrap();
        assert!(t.repairs.contains(&Repair::DeepNesting));
        assert!(t.root.text().contains("deep"));
        let xml = serialize(&t.root, None);
        assert!(xml.len() < 10_000, "{} bytes", xml.len());
        assert!(inner_html(&t.root).contains("deep"));
    }

    #[test]
    fn a_document_is_cut_at_the_element_limit() {
        let limits = Limits {
            feed_elements: 5,
            ..Limits::default()
        };
        let doc = format!("<rss><channel>{}</channel></rss>", "<a>x</a>".repeat(10));
        let t = super::parse(&doc, &limits).unwrap();
        let ch = t.root.child(None, "channel").unwrap();
        assert_eq!(ch.elements().count(), 3, "rss, channel and 3 of the 10");
        let cut: Vec<_> = t
            .repairs
            .iter()
            .filter(|r| matches!(r, Repair::OverLimit(m) if m.contains("feed_elements")))
            .collect();
        assert_eq!(cut.len(), 1, "{:?}", t.repairs);
        // Empty elements count too; at the limit nothing is cut.
        let doc = format!("<rss>{}</rss>", "<a/>".repeat(4));
        let t = super::parse(&doc, &limits).unwrap();
        assert_eq!(t.root.elements().count(), 4);
        assert!(!t.repairs.iter().any(|r| matches!(r, Repair::OverLimit(_))));
    }

    #[test]
    fn countless_namespaces_and_prefixes_are_read_and_written_in_bounded_time() {
        let n = 200_000;
        let limits = Limits {
            feed_elements: 2 * n + 2,
            ..Limits::default()
        };
        // Declared on the root, each used once; then as many undeclared prefixes.
        let decls: String = (0..n).map(|i| format!(" xmlns:p{i}=\"u:{i}\"")).collect();
        let used: String = (0..n).map(|i| format!("<p{i}:a/>")).collect();
        let undeclared: String = (0..n).map(|i| format!("<q{i}:a/>")).collect();
        let doc = format!("<rss{decls}><channel>{used}{undeclared}</channel></rss>");
        let start = std::time::Instant::now();
        let t = super::parse(&doc, &limits).unwrap();
        let ch = t.root.child(None, "channel").unwrap();
        assert_eq!(ch.elements().count(), 2 * n as usize);
        assert_eq!(ch.elements().next().unwrap().ns.as_deref(), Some("u:0"));
        assert!(
            t.repairs.len() <= MAX_REPAIRS,
            "{} repairs",
            t.repairs.len()
        );
        let xml = serialize(&t.root, None);
        assert!(xml.contains("xmlns:p199999=\"u:199999\""));
        assert!(
            start.elapsed() < std::time::Duration::from_secs(30),
            "took {:?}",
            start.elapsed()
        );
    }

    #[test]
    fn one_prefix_declared_for_many_namespaces_is_written_with_numbers() {
        let doc = "<r><a:x xmlns:a=\"u:1\"/><a:x xmlns:a=\"u:2\"/><a:x xmlns:a=\"u:3\"/>\
                   <a1:x xmlns:a1=\"u:4\"/></r>";
        let t = parse(doc).unwrap();
        let xml = serialize(&t.root, None);
        for decl in [
            "xmlns:a=\"u:1\"",
            "xmlns:a1=\"u:2\"",
            "xmlns:a2=\"u:3\"",
            "xmlns:a11=\"u:4\"",
        ] {
            assert!(xml.contains(decl), "{decl} not in {xml}");
        }
    }

    #[test]
    fn many_unterminated_doctypes_are_read_in_linear_time() {
        let doc = format!("<rss>{}</rss>", "<!DOCTYPE [".repeat(200_000));
        let start = std::time::Instant::now();
        let _ = parse(&doc);
        assert!(start.elapsed() < std::time::Duration::from_secs(30));
    }
}
