//! Behaviour of the feed parser, OPML and discovery on small feeds written here: encodings,
//! repairs, old formats, ids, links, polling hints, errors.

use chrono::{TimeZone, Utc, Weekday};
use newsdedup::feeds::{
    EncodingSource, FeedError, FeedKind, OpmlFeed, ParsedBy, Repair, UpdatePeriod, discover_feeds,
    looks_like_feed, parse_feed, read_opml, write_opml,
};
use newsdedup::limits::Limits;
use std::time::{Duration, Instant};

fn rss(channel_inner: &str) -> String {
    format!("<?xml version=\"1.0\"?><rss version=\"2.0\"><channel>{channel_inner}</channel></rss>")
}

/// Encodes text as Windows-1251 or ISO-8859-1 bytes.
fn encode(text: &str, label: &str) -> Vec<u8> {
    let enc = encoding_rs::Encoding::for_label(label.as_bytes()).unwrap();
    let (bytes, _, unmappable) = enc.encode(text);
    assert!(!unmappable);
    bytes.into_owned()
}

const RUSSIAN: &str = "Новости дня: правительство обсудило бюджет на следующий год, \
    а министр финансов рассказал журналистам о новых налогах и расходах на образование.";

#[test]
fn latin1_with_and_without_declaration() {
    let body = "<title>Café crème à Zürich</title><item><title>Grüße aus Köln</title></item>";
    let declared = format!(
        "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><rss version=\"2.0\"><channel>{body}</channel></rss>"
    );
    let f = parse_feed(
        &encode(&declared, "iso-8859-1"),
        None,
        None,
        &Limits::default(),
    )
    .unwrap();
    assert_eq!(f.title.as_deref(), Some("Café crème à Zürich"));
    assert_eq!(f.entries[0].title.as_deref(), Some("Grüße aus Köln"));
    assert_eq!(f.encoding_source, EncodingSource::XmlDeclaration);
    assert!(!f.is_malformed());

    // No declaration: detected, and flagged (XML without a declaration must be UTF-8).
    let f = parse_feed(
        &encode(&rss(body), "iso-8859-1"),
        None,
        None,
        &Limits::default(),
    )
    .unwrap();
    assert_eq!(f.title.as_deref(), Some("Café crème à Zürich"));
    assert_eq!(f.encoding_source, EncodingSource::Detected);
    assert!(f.is_malformed());

    // The HTTP charset counts.
    let f = parse_feed(
        &encode(&rss(body), "iso-8859-1"),
        Some("application/rss+xml; charset=ISO-8859-1"),
        None,
        &Limits::default(),
    )
    .unwrap();
    assert_eq!(f.entries[0].title.as_deref(), Some("Grüße aus Köln"));
    assert_eq!(f.encoding_source, EncodingSource::ContentType);
}

#[test]
fn windows_1251_with_and_without_declaration() {
    let body = format!("<title>Лента</title><item><title>{RUSSIAN}</title></item>");
    let declared = format!(
        "<?xml version=\"1.0\" encoding=\"windows-1251\"?><rss version=\"2.0\"><channel>{body}</channel></rss>"
    );
    let f = parse_feed(
        &encode(&declared, "windows-1251"),
        None,
        None,
        &Limits::default(),
    )
    .unwrap();
    assert_eq!(f.entries[0].title.as_deref(), Some(RUSSIAN));
    assert_eq!(f.encoding, "windows-1251");

    let f = parse_feed(
        &encode(&rss(&body), "windows-1251"),
        None,
        None,
        &Limits::default(),
    )
    .unwrap();
    assert_eq!(f.title.as_deref(), Some("Лента"));
    assert_eq!(f.entries[0].title.as_deref(), Some(RUSSIAN));
    assert_eq!(f.encoding, "windows-1251");
}

#[test]
fn utf16_and_byte_order_marks() {
    let doc = "<?xml version=\"1.0\" encoding=\"UTF-16\"?><rss version=\"2.0\"><channel>\
               <title>Ünïcødé ✓</title></channel></rss>";
    let be: Vec<u8> = doc.encode_utf16().flat_map(u16::to_be_bytes).collect();
    let f = parse_feed(&be, None, None, &Limits::default()).unwrap();
    assert_eq!(f.title.as_deref(), Some("Ünïcødé ✓"));
    assert_eq!(f.encoding, "UTF-16BE");

    let mut be_bom = vec![0xFE, 0xFF];
    be_bom.extend(&be);
    let f = parse_feed(&be_bom, None, None, &Limits::default()).unwrap();
    assert_eq!(f.title.as_deref(), Some("Ünïcødé ✓"));
    assert_eq!(f.encoding_source, EncodingSource::ByteOrderMark);

    let mut le_bom = vec![0xFF, 0xFE];
    le_bom.extend(doc.encode_utf16().flat_map(u16::to_le_bytes));
    let f = parse_feed(&le_bom, None, None, &Limits::default()).unwrap();
    assert_eq!(f.title.as_deref(), Some("Ünïcødé ✓"));
    assert_eq!(f.encoding, "UTF-16LE");

    let mut utf8_bom = vec![0xEF, 0xBB, 0xBF];
    utf8_bom.extend(rss("<title>Ça va</title>").as_bytes());
    let f = parse_feed(
        &utf8_bom,
        Some("text/xml; charset=iso-8859-1"),
        None,
        &Limits::default(),
    )
    .unwrap();
    assert_eq!(f.title.as_deref(), Some("Ça va"));
    assert_eq!(f.encoding, "UTF-8");
}

#[test]
fn bare_ampersands_and_html_entities() {
    let f = parse_feed(
        rss("<title>Fish & Chips &amp; more</title><item><title>Price:&nbsp;100&yen; &copy; AT&T</title>\
             <link>http://example.com/?a=1&b=2</link></item>")
        .as_bytes(),
        None,
        None, &Limits::default(),
    )
    .unwrap();
    assert_eq!(f.title.as_deref(), Some("Fish & Chips & more"));
    assert_eq!(
        f.entries[0].title.as_deref(),
        Some("Price:\u{a0}100¥ © AT&T")
    );
    assert_eq!(
        f.entries[0].link.as_deref(),
        Some("http://example.com/?a=1&b=2")
    );
    assert!(f.repairs.contains(&Repair::BareAmpersand));
    assert!(f.repairs.contains(&Repair::HtmlEntity));
    assert!(f.is_malformed());
}

#[test]
fn rss_without_version_or_channel_and_markup_in_titles() {
    let f = parse_feed(
        b"<rss><title>No channel</title><item><title><b>Bold</b> &amp; plain</title>\
          <description><p>Kept <em>as</em> HTML</p></description></item></rss>",
        None,
        None,
        &Limits::default(),
    )
    .unwrap();
    assert_eq!(f.kind, FeedKind::Rss);
    assert_eq!(f.version, "");
    assert_eq!(f.title.as_deref(), Some("No channel"));
    assert_eq!(f.entries[0].title.as_deref(), Some("Bold & plain"));
    assert_eq!(
        f.entries[0].summary.as_deref(),
        Some("<p>Kept <em>as</em> HTML</p>")
    );
    assert!(f.repairs.contains(&Repair::RssChannelAdded));
    assert!(f.repairs.contains(&Repair::RssVersion("missing".into())));

    let f = parse_feed(
        b"<rss version=\"0.91\"><channel><title>Old</title></channel></rss>",
        None,
        None,
        &Limits::default(),
    )
    .unwrap();
    assert_eq!(f.version, "0.91");
}

#[test]
fn atom_03_is_read_as_atom_10() {
    let f = parse_feed(
        br#"<?xml version="1.0"?>
<feed version="0.3" xmlns="http://purl.org/atom/ns#">
  <title>Old Atom</title>
  <tagline mode="escaped" type="text/html">&lt;b&gt;Tag&lt;/b&gt;line</tagline>
  <link rel="alternate" type="text/html" href="http://example.org/"/>
  <modified>2004-01-02T00:00:00Z</modified>
  <entry>
    <title>First</title>
    <link rel="alternate" type="text/html" href="http://example.org/1"/>
    <id>tag:example.org,2004:1</id>
    <issued>2004-01-01T10:00:00-05:00</issued>
    <modified>2004-01-02T12:00:00Z</modified>
    <author><name>Ann</name><url>http://ann.example/</url></author>
    <content type="text/html" mode="escaped">&lt;p&gt;Hello&lt;/p&gt;</content>
    <summary type="text/plain" mode="base64">U3VtbWFyeSAmIG1vcmU=</summary>
  </entry>
</feed>"#,
        None,
        None,
        &Limits::default(),
    )
    .unwrap();
    assert_eq!(f.kind, FeedKind::Atom);
    assert_eq!(f.version, "0.3");
    assert_eq!(f.title.as_deref(), Some("Old Atom"));
    assert_eq!(f.description.as_deref(), Some("<b>Tag</b>line"));
    assert_eq!(f.link.as_deref(), Some("http://example.org/"));
    let e = &f.entries[0];
    assert_eq!(e.guid.as_deref(), Some("tag:example.org,2004:1"));
    assert_eq!(e.link.as_deref(), Some("http://example.org/1"));
    assert_eq!(
        e.published,
        Some(Utc.with_ymd_and_hms(2004, 1, 1, 15, 0, 0).unwrap())
    );
    assert_eq!(
        e.updated,
        Some(Utc.with_ymd_and_hms(2004, 1, 2, 12, 0, 0).unwrap())
    );
    assert_eq!(e.authors, vec!["Ann".to_string()]);
    assert_eq!(e.content.as_deref(), Some("<p>Hello</p>"));
    // Plain text is stored as HTML: escaped.
    assert_eq!(e.summary.as_deref(), Some("Summary &amp; more"));
    assert!(f.repairs.contains(&Repair::Atom03));
    assert!(f.repairs.contains(&Repair::Base64Decoded));
}

#[test]
fn atom_10_base64_xhtml_and_relative_links() {
    let f = parse_feed(
        br#"<feed xmlns="http://www.w3.org/2005/Atom" xml:base="http://example.com/blog/">
  <title type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml">The <b>Blog</b></div></title>
  <link href="./"/>
  <entry>
    <title>Post</title>
    <id>posts/1</id>
    <link rel="alternate" href="posts/1.html"/>
    <link rel="enclosure" href="/media/a.mp3" type="audio/mpeg" length="1234"/>
    <updated>2024-05-01T08:00:00Z</updated>
    <content type="application/octet-stream">PHA+PGEgaHJlZj0iLi4vYWJvdXQiPkFib3V0PC9hPjwvcD4=</content>
  </entry>
</feed>"#,
        None,
        Some("http://example.com/feed.atom"), &Limits::default(),
    )
    .unwrap();
    assert_eq!(f.title.as_deref(), Some("The Blog"));
    assert_eq!(f.link.as_deref(), Some("http://example.com/blog/"));
    let e = &f.entries[0];
    // A relative Atom id is resolved against an explicit xml:base.
    assert_eq!(e.guid.as_deref(), Some("http://example.com/blog/posts/1"));
    assert_eq!(
        e.link.as_deref(),
        Some("http://example.com/blog/posts/1.html")
    );
    assert_eq!(e.enclosures[0].url, "http://example.com/media/a.mp3");
    assert_eq!(e.enclosures[0].mime.as_deref(), Some("audio/mpeg"));
    assert_eq!(e.enclosures[0].length, Some(1234));
    assert_eq!(
        e.content.as_deref(),
        Some("<p><a href=\"http://example.com/about\">About</a></p>")
    );
    // Only `updated` is given: it is also the best publication time.
    assert_eq!(e.published, e.updated);
}

#[test]
fn relative_rss_links_use_the_feed_url() {
    let f = parse_feed(
        rss("<link>/</link><item><title>a</title><link>news/1</link>\
             <description>&lt;img src=\"/i.png\"&gt;</description>\
             <enclosure url=\"pod.mp3\" type=\"audio/mpeg\" length=\"99\"/></item>")
        .as_bytes(),
        None,
        Some("https://example.org/feeds/main.xml"),
        &Limits::default(),
    )
    .unwrap();
    assert_eq!(f.link.as_deref(), Some("https://example.org/"));
    let e = &f.entries[0];
    assert_eq!(e.link.as_deref(), Some("https://example.org/feeds/news/1"));
    assert_eq!(
        e.summary.as_deref(),
        Some("<img src=\"https://example.org/i.png\">")
    );
    assert_eq!(e.enclosures[0].url, "https://example.org/feeds/pod.mp3");
}

#[test]
fn guids_are_the_feeds_own() {
    let doc = rss("<item><guid>same</guid><title>One</title></item>\
                   <item><guid> same </guid><title>Two</title></item>\
                   <item><title>No guid</title></item>\
                   <item><title>Permalink</title><guid>https://example.org/p/4</guid></item>");
    let a = parse_feed(doc.as_bytes(), None, None, &Limits::default()).unwrap();
    let b = parse_feed(doc.as_bytes(), None, None, &Limits::default()).unwrap();
    assert_eq!(a.entries.len(), 4);
    assert_eq!(a.entries[0].guid.as_deref(), Some("same"));
    assert_eq!(a.entries[1].guid.as_deref(), Some("same"));
    assert_eq!(a.entries[1].title.as_deref(), Some("Two"));
    assert_eq!(a.entries[2].guid, None);
    assert_eq!(a, b, "parsing is deterministic");
    // A permalink guid is the entry's link when there is no <link>.
    assert_eq!(
        a.entries[3].link.as_deref(),
        Some("https://example.org/p/4")
    );
}

#[test]
fn polling_hints() {
    let f = parse_feed(
        br#"<rss version="2.0" xmlns:sy="http://purl.org/rss/1.0/modules/syndication/"><channel>
  <title>Hints</title><ttl>45</ttl>
  <skipHours><hour>0</hour><hour>1</hour><hour>23</hour><hour>nope</hour></skipHours>
  <skipDays><day>Saturday</day><day>Sunday</day></skipDays>
  <sy:updatePeriod>hourly</sy:updatePeriod><sy:updateFrequency>2</sy:updateFrequency>
</channel></rss>"#,
        None,
        None,
        &Limits::default(),
    )
    .unwrap();
    assert_eq!(f.ttl, Some(45));
    assert_eq!(f.skip_hours, vec![0, 1, 23]);
    assert_eq!(f.skip_days, vec![Weekday::Sat, Weekday::Sun]);
    assert_eq!(f.update_period, Some(UpdatePeriod::Hourly));
    assert_eq!(f.update_frequency, Some(2));
    assert_eq!(f.min_poll_minutes(), Some(45));
}

#[test]
fn json_feed_short_version_and_numeric_ids() {
    let f = parse_feed(
        br#"{"version": "1.1", "title": "J", "home_page_url": "https://j.example/",
            "items": [
              {"id": 42, "url": "/posts/42", "title": "Answer", "content_html": "<p>x</p>",
               "date_published": "2024-01-02T03:04:05Z",
               "attachments": [{"url": "/a.mp3", "mime_type": "audio/mpeg", "size_in_bytes": 7}]},
              {"title": "No id", "content_text": "a < b"}
            ]}"#,
        Some("application/feed+json"),
        Some("https://j.example/feed.json"),
        &Limits::default(),
    )
    .unwrap();
    assert_eq!(f.kind, FeedKind::Json);
    assert_eq!(f.version, "1.1");
    assert_eq!(f.link.as_deref(), Some("https://j.example/"));
    assert_eq!(f.entries[0].guid.as_deref(), Some("42"));
    assert_eq!(
        f.entries[0].link.as_deref(),
        Some("https://j.example/posts/42")
    );
    assert_eq!(f.entries[0].enclosures[0].url, "https://j.example/a.mp3");
    assert_eq!(
        f.entries[0].published,
        Some(Utc.with_ymd_and_hms(2024, 1, 2, 3, 4, 5).unwrap())
    );
    assert_eq!(f.entries[1].guid, None);
    assert_eq!(f.entries[1].content.as_deref(), Some("a &lt; b"));
}

#[test]
fn odd_dates() {
    let f = parse_feed(
        rss(
            "<item><pubDate>Thurs, 06 Jul 2014 08:56:00 EDT</pubDate></item>\
             <item><pubDate>2014-07-06 12:56</pubDate></item>\
             <item><pubDate>Sun Jul  6 12:56:00 2014</pubDate></item>",
        )
        .as_bytes(),
        None,
        None,
        &Limits::default(),
    )
    .unwrap();
    let want = Utc.with_ymd_and_hms(2014, 7, 6, 12, 56, 0).unwrap();
    assert_eq!(f.entries.len(), 3, "every item is an entry");
    for e in &f.entries {
        assert_eq!(e.published, Some(want));
        assert_eq!(e.updated, None);
    }
}

#[test]
fn errors_name_the_reason() {
    assert_eq!(
        parse_feed(b"   ", None, None, &Limits::default()),
        Err(FeedError::Empty)
    );
    match parse_feed(
        b"\x00\x01garbage without markup",
        None,
        None,
        &Limits::default(),
    ) {
        Err(FeedError::NotAFeed(why)) => assert!(why.contains("neither markup nor JSON"), "{why}"),
        other => panic!("{other:?}"),
    }
    match parse_feed(
        b"<!DOCTYPE html><html><body>hi</body></html>",
        Some("text/html"),
        None,
        &Limits::default(),
    ) {
        Err(FeedError::NotAFeed(why)) => assert!(why.contains("HTML page"), "{why}"),
        other => panic!("{other:?}"),
    }
    match parse_feed(
        b"<svg xmlns=\"http://www.w3.org/2000/svg\"/>",
        None,
        None,
        &Limits::default(),
    ) {
        Err(FeedError::NotAFeed(why)) => assert!(why.contains("<svg>"), "{why}"),
        other => panic!("{other:?}"),
    }
    let e = parse_feed(b"{\"version\": ", None, None, &Limits::default()).unwrap_err();
    assert!(e.to_string().starts_with("reading the JSON:"), "{e}");
}

#[test]
fn truncated_and_broken_documents_keep_what_was_read() {
    let f = parse_feed(
        b"<rss version=\"2.0\"><channel><title>Cut</title><item><title>One</title></item><item><title>Tw",
        None,
        None, &Limits::default(),
    )
    .unwrap();
    assert_eq!(f.title.as_deref(), Some("Cut"));
    assert_eq!(f.entries.len(), 2);
    assert_eq!(f.entries[1].title.as_deref(), Some("Tw"));
    assert!(f.is_malformed());

    let f = parse_feed(
        rss("<item><title>Ctrl\u{1}chars\u{8}</title><description>a < b</description></item>")
            .as_bytes(),
        None,
        None,
        &Limits::default(),
    )
    .unwrap();
    assert_eq!(f.entries[0].title.as_deref(), Some("Ctrlchars"));
    assert!(f.repairs.contains(&Repair::IllegalCharacters));
}

#[test]
fn feed_rs_panics_fall_back_to_our_reader() {
    // feed-rs 3.0 panics on a duration with more digits than a u64 holds.
    let f = parse_feed(
        br#"<rss version="2.0" xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd"><channel>
  <title>Podcast</title>
  <item><title>Episode</title><guid>ep1</guid><link>http://p.example/1</link>
    <itunes:duration>123456789012345678901234567890</itunes:duration>
    <pubDate>Mon, 01 Jan 2024 00:00:00 GMT</pubDate></item>
</channel></rss>"#,
        None,
        None,
        &Limits::default(),
    )
    .unwrap();
    assert_eq!(f.parsed_by, ParsedBy::Fallback);
    assert_eq!(f.title.as_deref(), Some("Podcast"));
    assert_eq!(f.entries[0].title.as_deref(), Some("Episode"));
    assert_eq!(f.entries[0].guid.as_deref(), Some("ep1"));
    assert_eq!(
        f.entries[0].published,
        Some(Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap())
    );
}

/// 200,000 levels of nesting in every place a feed can nest: XML elements in an item, HTML in a
/// CDATA description, Atom XHTML content, JSON Feed arrays. None may exhaust the stack.
#[test]
fn deep_nesting_anywhere_in_a_feed_is_no_crash() {
    let n = 200_000;
    let open_close =
        |open: &str, close: &str| format!("{}deep text{}", open.repeat(n), close.repeat(n));
    let elements = rss(&format!(
        "<title>t</title><item><title>i</title><description>{}</description></item>",
        open_close("<a>", "</a>")
    ));
    let f = parse_feed(elements.as_bytes(), None, None, &Limits::default()).unwrap();
    assert!(f.repairs.contains(&Repair::DeepNesting), "{:?}", f.repairs);
    let summary = f.entries[0].summary.as_deref().unwrap_or_default();
    assert!(
        summary.contains("deep text") && summary.len() < 10_000,
        "{} bytes",
        summary.len()
    );

    let cdata = rss(&format!(
        "<title>t</title><item><title>{}</title><description><![CDATA[{}]]></description></item>",
        open_close("&lt;b&gt;", "&lt;/b&gt;"),
        open_close("<div><a href=\"x\">", "</a></div>")
    ));
    let f = parse_feed(
        cdata.as_bytes(),
        None,
        Some("http://example.org/feed"),
        &Limits::default(),
    )
    .unwrap();
    assert_eq!(f.entries[0].title.as_deref(), Some("deep text"));
    assert!(
        f.entries[0]
            .summary
            .as_deref()
            .unwrap_or_default()
            .contains("http://example.org/x")
    );

    let atom = format!(
        "<feed xmlns=\"http://www.w3.org/2005/Atom\"><title>t</title><id>urn:x</id>\
         <entry><id>urn:e</id><title>e</title><content type=\"xhtml\">\
         <div xmlns=\"http://www.w3.org/1999/xhtml\">{}</div></content></entry></feed>",
        open_close("<span>", "</span>")
    );
    let f = parse_feed(atom.as_bytes(), None, None, &Limits::default()).unwrap();
    assert!(
        f.entries[0]
            .content
            .as_deref()
            .unwrap_or_default()
            .contains("deep text")
    );

    let json = format!(
        "{{\"version\": \"https://jsonfeed.org/version/1.1\", \"title\": \"t\", \"items\": \
         [{{\"id\": \"1\", \"content_text\": \"x\", \"_ext\": {}1{}}}]}}",
        "[".repeat(n),
        "]".repeat(n)
    );
    match parse_feed(json.as_bytes(), None, None, &Limits::default()) {
        Err(FeedError::Failed { reason, .. }) => assert!(reason.contains("recursion"), "{reason}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn pathological_inputs_finish_quickly() {
    let started = Instant::now();
    let deep = format!("<rss><channel>{}</channel></rss>", "<a>".repeat(100_000));
    assert!(parse_feed(deep.as_bytes(), None, None, &Limits::default()).is_ok());
    let comments = format!(
        "<rss><channel><title>x</title>{}</channel></rss>",
        "<!--".repeat(50_000)
    );
    let _ = parse_feed(comments.as_bytes(), None, None, &Limits::default());
    let noise: Vec<u8> = (0..2_000_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let _ = parse_feed(&noise, None, None, &Limits::default());
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn opml_round_trip_and_lenient_read() {
    let feeds = vec![
        OpmlFeed {
            url: "https://a.example/feed?x=1&y=2".into(),
            title: Some("A \"quoted\" <feed> & co".into()),
            html_url: Some("https://a.example/".into()),
            category: Some("News/World".into()),
        },
        OpmlFeed {
            url: "https://b.example/rss".into(),
            title: Some("B".into()),
            html_url: None,
            category: None,
        },
    ];
    let xml = write_opml("My feeds", &feeds);
    let (back, repairs) = read_opml(xml.as_bytes(), &Limits::default()).unwrap();
    assert!(repairs.is_empty(), "{repairs:?}");
    let mut sorted = back.clone();
    sorted.sort_by(|a, b| a.url.cmp(&b.url));
    assert_eq!(sorted, feeds);

    let sloppy = "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><opml version=\"1.0\"><head><title>x</title></head><body>\
        <outline text=\"Tech & Science\">\
          <outline text=\"Caf\u{e9}\" xmlUrl=\"http://c.example/?a=1&b=2\" htmlUrl=\"http://c.example/\"/>\
          <outline title=\"Sub\"><outline text=\"Deep\" xmlUrl=\"http://d.example/\"/></outline>\
        </outline>\
        <outline text=\"Top\" type=\"rss\" xmlUrl=\"http://t.example/\" category=\"/Misc\"/>\
        </body></opml>";
    let bytes = encode(sloppy, "iso-8859-1");
    let (feeds, repairs) = read_opml(&bytes, &Limits::default()).unwrap();
    assert!(repairs.contains(&Repair::BareAmpersand));
    assert_eq!(feeds.len(), 3);
    assert_eq!(feeds[0].title.as_deref(), Some("Café"));
    assert_eq!(feeds[0].url, "http://c.example/?a=1&b=2");
    assert_eq!(feeds[0].category.as_deref(), Some("Tech & Science"));
    assert_eq!(feeds[1].category.as_deref(), Some("Tech & Science/Sub"));
    assert_eq!(feeds[2].category.as_deref(), Some("Misc"));

    let err = read_opml(b"<rss version=\"2.0\"/>", &Limits::default()).unwrap_err();
    assert!(err.to_string().contains("not <opml>"), "{err}");
}

#[test]
fn discovery_in_html_pages() {
    let page = br#"<!DOCTYPE html><html><head>
<base href="https://example.com/blog/">
<link rel="stylesheet" href="style.css">
<link rel="alternate" type="application/rss+xml" title="RSS" href="feed.xml">
<link rel="alternate" type="application/atom+xml" href="/atom.xml">
<link rel="alternate" type="application/feed+json" href="https://cdn.example.com/feed.json">
<link rel="alternate" type="text/html" hreflang="de" href="/de/">
<link rel="alternate" type="application/rss+xml" href="feed.xml">
</head><body></body></html>"#;
    let found = discover_feeds(
        page,
        Some("text/html; charset=utf-8"),
        "https://example.com/blog/post/1",
    );
    let urls: Vec<&str> = found.iter().map(|f| f.url.as_str()).collect();
    assert_eq!(
        urls,
        vec![
            "https://example.com/blog/feed.xml",
            "https://example.com/atom.xml",
            "https://cdn.example.com/feed.json",
        ]
    );
    assert_eq!(found[0].title.as_deref(), Some("RSS"));
    assert!(!looks_like_feed(page, Some("text/html")));
    assert!(looks_like_feed(
        rss("<title>x</title>").as_bytes(),
        Some("text/html")
    ));
    assert!(looks_like_feed(
        b"<?xml version=\"1.0\"?><!-- c --><feed xmlns=\"http://www.w3.org/2005/Atom\"/>",
        None
    ));
    assert!(looks_like_feed(
        b"{\"version\": \"https://jsonfeed.org/version/1.1\", \"items\": []}",
        None
    ));
    assert!(!looks_like_feed(
        b"{\"name\": \"package\"}",
        Some("application/json")
    ));
}
