//! Structural repair: a lenient XML tree of some feed → the same feed in a shape feed-rs reads.
//!
//! In: the root [`Element`] from [`super::xml::parse`]. Out: the root rewritten in place, the
//! [`XmlFormat`] found, and the [`Repair`]s made. What is rewritten:
//!
//! - `<rss>` of any version (or none) becomes `version="2.0"`, which is what feed-rs reads; a
//!   missing `<channel>` is supplied; items outside the channel are moved in; a namespace on the
//!   RSS elements (the old userland one) is dropped.
//! - RSS 0.90 (`my.netscape.com` namespace) becomes RSS 1.0.
//! - Atom 0.3 becomes Atom 1.0: namespace, `modified`→`updated`, `issued`→`published`, `created`
//!   (when nothing better) → `published`, `tagline`→`subtitle`, `copyright`→`rights`, `url` and
//!   `homepage` in person constructs → `uri`, and `mode="escaped|base64|xml"` content.
//! - Every Atom text construct (`title`, `subtitle`, `summary`, `rights`, `content`) ends up as
//!   `type="text"` or `type="html"` with one text child: XHTML and naked markup are serialised to
//!   HTML, base64 is decoded, unknown types are read as text.
//! - Markup inside RSS text elements (`<title><p>x</p></title>`) is kept as HTML text;
//!   an XHTML `<body>` in an item becomes `content:encoded`.

use super::Repair;
use super::xml::{
    Element, NS_ATOM, NS_ATOM03, NS_CONTENT, NS_DC, NS_RDF, NS_RSS10, NS_RSS090, NS_XHTML, Node,
    inner_html, push_repair,
};
use base64::Engine;

/// The XML feed format found at the root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum XmlFormat {
    /// `<rss>` (or a bare `<channel>`): the declared version, empty when none.
    Rss { version: String },
    /// `<rdf:RDF>`: "1.0" or "0.90".
    Rdf { version: String },
    /// `<feed>` or a lone `<entry>`: "1.0" or "0.3".
    Atom { version: String },
}

/// Why the root is not a feed.
pub(crate) fn not_a_feed(root: &Element) -> String {
    match root.local.to_ascii_lowercase().as_str() {
        "html" => "an HTML page".to_string(),
        "opml" => "an OPML subscription list".to_string(),
        _ => format!(
            "the root element <{}>{} is not RSS, RDF or Atom",
            root.qname(),
            root.ns
                .as_deref()
                .map(|n| format!(" (namespace {n})"))
                .unwrap_or_default()
        ),
    }
}

/// Rewrites the tree (see the module documentation); `Err` names the unknown root.
pub(crate) fn repair(root: &mut Element, repairs: &mut Vec<Repair>) -> Result<XmlFormat, String> {
    let local = root.local.to_ascii_lowercase();
    match local.as_str() {
        "rss" | "channel" => Ok(repair_rss(root, repairs)),
        "rdf" => Ok(repair_rdf(root, repairs)),
        "feed" | "entry" => Ok(repair_atom(root, repairs)),
        _ => Err(not_a_feed(root)),
    }
}

fn repair_rss(root: &mut Element, repairs: &mut Vec<Repair>) -> XmlFormat {
    if root.local.eq_ignore_ascii_case("channel") {
        let channel = std::mem::take(root);
        *root = Element::new(None, "rss");
        root.children.push(Node::Element(channel));
    }
    let version = root.attr("version").unwrap_or("").trim().to_string();
    if version != "2.0" && version != "0.91" && version != "0.92" {
        push_repair(
            repairs,
            Repair::RssVersion(if version.is_empty() {
                "missing".to_string()
            } else {
                version.clone()
            }),
        );
    }
    root.set_attr("version", "2.0");
    // RSS has no namespace; drop one declared for the RSS elements (e.g. userland's).
    if let Some(ns) = root.ns.clone() {
        clear_namespace(root, &ns);
    }
    root.local = "rss".to_string();
    // Lowercase element names (`<Channel>`, `<ITEM>`) are how RSS readers meet them.
    lower_rss_names(root);
    let has_channel = root.elements().any(|e| e.is(None, "channel"));
    if !has_channel {
        push_repair(repairs, Repair::RssChannelAdded);
        let mut channel = Element::new(None, "channel");
        channel.children = std::mem::take(&mut root.children);
        root.children.push(Node::Element(channel));
    } else {
        // Items beside the channel (RSS 0.9x style) belong in it.
        let mut stray = Vec::new();
        root.children.retain(|n| match n {
            Node::Element(e) if e.is(None, "item") => {
                stray.push(n.clone());
                false
            }
            _ => true,
        });
        if let Some(channel) = root.elements_mut().find(|e| e.is(None, "channel")) {
            channel.children.extend(stray);
        }
    }
    for channel in root.elements_mut().filter(|e| e.is(None, "channel")) {
        repair_rss_container(channel, None, repairs);
        for item in channel.elements_mut().filter(|e| e.is(None, "item")) {
            repair_rss_container(item, None, repairs);
        }
    }
    XmlFormat::Rss { version }
}

fn clear_namespace(el: &mut Element, ns: &str) {
    if el.ns.as_deref() == Some(ns) {
        el.ns = None;
        el.prefix = None;
    }
    for c in el.elements_mut() {
        clear_namespace(c, ns);
    }
}

fn lower_rss_names(el: &mut Element) {
    if el.ns.is_none() {
        let lower = el.local.to_ascii_lowercase();
        if matches!(
            lower.as_str(),
            "channel" | "item" | "title" | "link" | "description" | "guid"
        ) {
            el.local = lower;
        }
    }
    for c in el.elements_mut() {
        if c.ns.is_none() {
            lower_rss_names(c);
        }
    }
}

/// RSS elements whose content is text (HTML in the case of descriptions).
fn is_rss_text(el: &Element, rss_ns: Option<&str>) -> bool {
    if el.ns.as_deref() == rss_ns {
        return matches!(
            el.local.as_str(),
            "title"
                | "description"
                | "author"
                | "comments"
                | "link"
                | "guid"
                | "pubDate"
                | "copyright"
                | "managingEditor"
                | "webMaster"
                | "category"
                | "lastBuildDate"
                | "language"
                | "ttl"
                | "docs"
                | "generator"
        );
    }
    match el.ns.as_deref() {
        Some(NS_CONTENT) => el.local == "encoded",
        Some(NS_DC) => matches!(
            el.local.as_str(),
            "creator" | "description" | "date" | "subject" | "rights" | "language" | "title"
        ),
        _ => false,
    }
}

/// Text elements of a channel or item with markup in them keep it as HTML text; an XHTML body
/// becomes `content:encoded`.
fn repair_rss_container(container: &mut Element, rss_ns: Option<&str>, repairs: &mut Vec<Repair>) {
    let mut body = None;
    for child in container.elements_mut() {
        if is_rss_text(child, rss_ns) && child.has_element_children() {
            let html = inner_html(child);
            child.children = vec![Node::Text(html)];
            push_repair(repairs, Repair::MarkupInText);
        } else if ((child.ns.as_deref() == Some(NS_XHTML)
            && (child.local == "body" || child.local == "div"))
            || (child.ns.as_deref() == rss_ns
                && (child.local == "body" || child.local == "fullitem")))
            && body.is_none()
        {
            // An XHTML body, or `<body>`/`<fullitem>` (markup or escaped HTML), is the content.
            body = Some(if child.has_element_children() {
                inner_html(child)
            } else {
                child.text()
            });
        }
    }
    if let Some(html) = body
        && !container
            .elements()
            .any(|e| e.is(Some(NS_CONTENT), "encoded"))
    {
        container.children.push(Node::Element(
            Element::new(Some(NS_CONTENT), "encoded").with_text(html),
        ));
    }
}

fn repair_rdf(root: &mut Element, repairs: &mut Vec<Repair>) -> XmlFormat {
    let mut version = "1.0".to_string();
    let uses_090 = root.ns.as_deref() == Some(NS_RSS090)
        || root.xmlns.iter().any(|(_, uri)| uri == NS_RSS090)
        || root.elements().any(|e| e.ns.as_deref() == Some(NS_RSS090));
    if uses_090 {
        version = "0.90".to_string();
    }
    root.ns = Some(NS_RDF.to_string());
    root.local = "RDF".to_string();
    for child in root.elements_mut() {
        to_rss10(child);
    }
    // Items inside the channel (outside its rdf:Seq) belong beside it.
    let mut stray = Vec::new();
    for channel in root
        .elements_mut()
        .filter(|e| e.is(Some(NS_RSS10), "channel"))
    {
        channel.children.retain(|n| match n {
            Node::Element(e) if e.is(Some(NS_RSS10), "item") => {
                stray.push(n.clone());
                false
            }
            _ => true,
        });
    }
    root.children.extend(stray);
    for el in root.elements_mut() {
        if el.is(Some(NS_RSS10), "channel") || el.is(Some(NS_RSS10), "item") {
            repair_rss_container(el, Some(NS_RSS10), repairs);
        }
    }
    XmlFormat::Rdf { version }
}

/// RSS 0.90 and namespace-less elements of an RDF feed are RSS 1.0.
fn to_rss10(el: &mut Element) {
    if el.ns.is_none() || el.ns.as_deref() == Some(NS_RSS090) {
        el.ns = Some(NS_RSS10.to_string());
        el.prefix = None;
    }
    if el.ns.as_deref() == Some(NS_RSS10) {
        for c in el.elements_mut() {
            to_rss10(c);
        }
    }
}

fn repair_atom(root: &mut Element, repairs: &mut Vec<Repair>) -> XmlFormat {
    let declared = root.attr("version").unwrap_or("").trim().to_string();
    let is03 = root.ns.as_deref() == Some(NS_ATOM03)
        || (root.ns.is_none() && !declared.is_empty() && declared != "1.0");
    let version = if is03 { "0.3" } else { "1.0" }.to_string();
    if is03 {
        push_repair(repairs, Repair::Atom03);
    }
    let source_ns = root.ns.clone();
    atom_element(root, source_ns.as_deref(), is03, repairs);
    root.remove_attr("version");
    XmlFormat::Atom { version }
}

/// Atom elements whose content is a text construct.
fn is_text_construct(local: &str) -> bool {
    matches!(
        local,
        "title" | "subtitle" | "summary" | "content" | "rights" | "tagline" | "copyright" | "info"
    )
}

/// Moves a feed, entry, source or person element (and its children) to Atom 1.0.
fn atom_element(el: &mut Element, source_ns: Option<&str>, is03: bool, repairs: &mut Vec<Repair>) {
    let in_source = |e: &Element| e.ns.as_deref() == source_ns || e.ns.as_deref() == Some(NS_ATOM);
    if in_source(el) {
        el.ns = Some(NS_ATOM.to_string());
        el.prefix = None;
    }
    let is_person = matches!(el.local.as_str(), "author" | "contributor");
    let has_issued = el.elements().any(|c| in_source(c) && c.local == "issued");
    let has_published = el
        .elements()
        .any(|c| in_source(c) && c.local == "published");
    let mut remove = Vec::new();
    for (i, node) in el.children.iter_mut().enumerate() {
        let Node::Element(child) = node else { continue };
        if !in_source(child) {
            continue;
        }
        child.ns = Some(NS_ATOM.to_string());
        child.prefix = None;
        if is03 {
            let renamed = match child.local.as_str() {
                "modified" => Some("updated"),
                "issued" if !has_published => Some("published"),
                "created" if !has_issued && !has_published => Some("published"),
                "created" | "issued" | "info" => {
                    remove.push(i);
                    None
                }
                "tagline" => Some("subtitle"),
                "copyright" => Some("rights"),
                "url" | "homepage" if is_person => Some("uri"),
                _ => None,
            };
            if let Some(n) = renamed {
                child.local = n.to_string();
            }
        }
        match child.local.as_str() {
            "entry" | "author" | "contributor" | "source" => {
                atom_element(child, source_ns, is03, repairs)
            }
            l if is_text_construct(l) => text_construct(child, is03, repairs),
            "link" => {
                if is03 && child.attr("rel").is_none() {
                    child.set_attr("rel", "alternate");
                }
                // Early Atom put the URL in the text.
                if child.attr("href").is_none() {
                    let text = child.text().trim().to_string();
                    if !text.is_empty() {
                        child.set_attr("href", &text);
                        child.children.clear();
                    }
                }
            }
            _ => {}
        }
    }
    for i in remove.into_iter().rev() {
        el.children.remove(i);
    }
}

/// How the content of a text construct is to be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TextKind {
    Text,
    Html,
    Xhtml,
    /// Some other XML type, inline.
    Xml,
    /// Any other media type: base64 per Atom 1.0.
    Other,
}

fn text_kind(t: Option<&str>) -> TextKind {
    let t = t.map(|t| t.trim().to_ascii_lowercase());
    match t.as_deref() {
        None | Some("") | Some("text") | Some("text/plain") => TextKind::Text,
        Some("html") | Some("text/html") | Some("escaped") => TextKind::Html,
        Some("xhtml") | Some("application/xhtml+xml") => TextKind::Xhtml,
        Some(t) if t.ends_with("+xml") || t.ends_with("/xml") => TextKind::Xml,
        Some(t) if t.starts_with("text/") => TextKind::Text,
        Some(_) => TextKind::Other,
    }
}

/// Decodes base64 text that holds UTF-8 text.
fn decode_base64_text(s: &str) -> Option<String> {
    let compact: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    if compact.is_empty() {
        return None;
    }
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(compact.as_bytes())
        .or_else(|_| {
            base64::engine::general_purpose::STANDARD_NO_PAD
                .decode(compact.trim_end_matches('=').as_bytes())
        })
        .ok()?;
    let text = String::from_utf8(bytes).ok()?;
    let printable = text.chars().all(|c| !c.is_control() || c.is_whitespace());
    printable.then_some(text)
}

/// The children of an XHTML construct as HTML, without the wrapping `<div>`.
fn xhtml_inner(el: &Element) -> String {
    let elements: Vec<&Element> = el.elements().collect();
    let only_div = elements.len() == 1
        && elements[0].local == "div"
        && el.children.iter().all(|n| {
            matches!(n, Node::Element(_)) || matches!(n, Node::Text(t) if t.trim().is_empty())
        });
    if only_div {
        inner_html(elements[0])
    } else {
        inner_html(el)
    }
}

/// Rewrites an Atom text construct as `type="text"` or `type="html"` with one text child.
fn text_construct(el: &mut Element, is03: bool, repairs: &mut Vec<Repair>) {
    let declared_type = el.attr("type").map(str::to_string);
    let mode = if is03 {
        el.attr("mode").map(|m| m.trim().to_ascii_lowercase())
    } else {
        None
    };
    el.remove_attr("mode");
    let kind = text_kind(declared_type.as_deref());
    if let Some(t) = &declared_type
        && !matches!(t.trim(), "text" | "html" | "xhtml")
        && !is03
        && el.local != "content"
    {
        push_repair(repairs, Repair::TextType(t.clone()));
    }
    // Content with src: no body, a media type feed-rs can read.
    if el.local == "content"
        && let Some(_src) = el.attr("src")
    {
        el.children.clear();
        let mime = match kind {
            TextKind::Text => Some("text/plain".to_string()),
            TextKind::Html => Some("text/html".to_string()),
            TextKind::Xhtml => Some("application/xhtml+xml".to_string()),
            _ => declared_type.filter(|t| t.contains('/')),
        };
        match mime {
            Some(m) => el.set_attr("type", &m),
            None => el.remove_attr("type"),
        }
        return;
    }
    let (text, is_html) = match mode.as_deref() {
        Some("base64") => {
            let raw = el.text();
            let decoded = match decode_base64_text(&raw) {
                Some(d) => {
                    push_repair(repairs, Repair::Base64Decoded);
                    d
                }
                None => raw,
            };
            (decoded, matches!(kind, TextKind::Html | TextKind::Xhtml))
        }
        Some("escaped") => (el.text(), matches!(kind, TextKind::Html | TextKind::Xhtml)),
        _ => match kind {
            TextKind::Xhtml => (xhtml_inner(el), true),
            TextKind::Html | TextKind::Xml => {
                let elements: Vec<&Element> = el.elements().collect();
                if let [div] = elements.as_slice()
                    && div.local == "div"
                    && !div.has_element_children()
                    && el.children.len() <= 3
                {
                    // A wrapping <div> around escaped HTML: the HTML is the div's text.
                    push_repair(repairs, Repair::MarkupInText);
                    (div.text(), true)
                } else if el.has_element_children() {
                    push_repair(repairs, Repair::MarkupInText);
                    (inner_html(el), true)
                } else {
                    (el.text(), kind == TextKind::Html)
                }
            }
            TextKind::Text => {
                if el.has_element_children() {
                    push_repair(repairs, Repair::MarkupInText);
                    (inner_html(el), true)
                } else {
                    (el.text(), false)
                }
            }
            TextKind::Other => match decode_base64_text(&el.text()) {
                Some(d) if !is03 => {
                    push_repair(repairs, Repair::Base64Decoded);
                    (d, true)
                }
                _ => {
                    if el.has_element_children() {
                        (inner_html(el), true)
                    } else {
                        (el.text(), false)
                    }
                }
            },
        },
    };
    el.set_attr("type", if is_html { "html" } else { "text" });
    el.children = if text.is_empty() {
        Vec::new()
    } else {
        vec![Node::Text(text)]
    };
}

#[cfg(test)]
mod tests {
    use super::super::xml::{parse, serialize};
    use super::*;
    use crate::limits::Limits;

    #[test]
    fn atom03_becomes_atom10() {
        let mut t = parse(
            "<feed version=\"0.3\" xmlns=\"http://purl.org/atom/ns#\"><tagline>T</tagline>\
             <entry><issued>2004-01-01T00:00:00Z</issued><modified>2004-01-02T00:00:00Z</modified>\
             <content type=\"text/html\" mode=\"base64\">PHA+SGk8L3A+</content>\
             <author><name>A</name><url>http://a/</url></author></entry></feed>",
            &Limits::default(),
        )
        .unwrap();
        let f = repair(&mut t.root, &mut t.repairs).unwrap();
        assert_eq!(
            f,
            XmlFormat::Atom {
                version: "0.3".into()
            }
        );
        let xml = serialize(&t.root, Some(NS_ATOM));
        assert!(
            xml.contains("<subtitle type=\"text\">T</subtitle>"),
            "{xml}"
        );
        assert!(xml.contains("<published>2004-01-01T00:00:00Z</published>"));
        assert!(xml.contains("<updated>2004-01-02T00:00:00Z</updated>"));
        assert!(
            xml.contains("<content type=\"html\">&lt;p&gt;Hi&lt;/p&gt;</content>"),
            "{xml}"
        );
        assert!(xml.contains("<uri>http://a/</uri>"));
    }

    #[test]
    fn rss_without_version_or_channel() {
        let mut t = parse(
            "<rss><title>T</title><item><title><b>x</b></title></item></rss>",
            &Limits::default(),
        )
        .unwrap();
        let f = repair(&mut t.root, &mut t.repairs).unwrap();
        assert_eq!(
            f,
            XmlFormat::Rss {
                version: String::new()
            }
        );
        let xml = serialize(&t.root, None);
        assert!(
            xml.contains("<rss version=\"2.0\"><channel><title>T</title>"),
            "{xml}"
        );
        assert!(xml.contains("<title>&lt;b&gt;x&lt;/b&gt;</title>"), "{xml}");
    }
}
