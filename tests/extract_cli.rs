//! `newsdedup extract` through the binary: pages written here into a temporary folder (plain,
//! gzipped, Windows-1251 with only a `<meta charset>`), text and JSON output, and a bad input
//! reported by name while the others still run.

mod common;

use common::BIN;
use serde_json::Value;
use std::io::Write;
use std::process::{Command, Output, Stdio};

const ARTICLE: &str = r##"<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<title>Bridge reopens | The Example Times</title>
<meta property="og:title" content="Bridge reopens after repairs">
<meta name="author" content="Sam Reporter">
<meta property="article:published_time" content="2024-06-02T09:15:00+02:00">
<link rel="canonical" href="https://times.example.com/2024/06/bridge-reopens">
</head><body>
<nav class="main-nav"><ul><li><a href="/">Home</a></li><li><a href="/local">Local</a></li>
<li><a href="/sport">Sport</a></li></ul></nav>
<article>
<h1>Bridge reopens after repairs</h1>
<p class="byline">By Sam Reporter</p>
<div class="story-body">
<p>The old river bridge reopened to traffic on Sunday after eight months of repairs, the city
council said, two weeks earlier than planned.</p>
<p>Engineers replaced the deck and strengthened the piers, which had been damaged by the floods
of last spring, at a cost of 14 million euros.</p>
<p>Buses will return to their usual routes on Monday morning, the transport company said.</p>
</div>
<aside class="related"><h3>Related stories</h3><ul>
<li><a href="/a">Floods damage three bridges across the region</a></li>
<li><a href="/b">Council approves the repair budget after long debate</a></li></ul></aside>
<div class="related-links"><a href="/c">More local news from the river towns and beyond</a>
<a href="/d">Photo gallery: the bridge through the years, from 1902 to today</a></div>
</article>
<section id="comments"><h2>Comments (2)</h2>
<div class="comment"><p>Finally! I have been driving around through the north of town for
months, adding half an hour to every trip.</p></div>
<div class="comment"><p>Fourteen million for a bridge deck seems a lot, who checked these
numbers before the council signed the contract?</p></div>
</section>
<footer><p>© 2024 The Example Times</p></footer>
</body></html>"##;

const BODY: [&str; 3] = [
    "The old river bridge reopened to traffic on Sunday after eight months of repairs, the city council said, two weeks earlier than planned.",
    "Engineers replaced the deck and strengthened the piers, which had been damaged by the floods of last spring, at a cost of 14 million euros.",
    "Buses will return to their usual routes on Monday morning, the transport company said.",
];

fn run(args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .env_remove("NEWSDEDUP_DB")
        .env_remove("NEWSDEDUP_CONFIG")
        .stdin(Stdio::null())
        .output()
        .expect("running newsdedup")
}

fn json_lines(out: &Output) -> Vec<Value> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON object a line"))
        .collect()
}

#[test]
fn extracts_only_the_article_body_from_a_saved_page() {
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("bridge.html");
    std::fs::write(&page, ARTICLE).unwrap();
    let gz = dir.path().join("bridge.html.gz");
    let mut enc = flate2::write::GzEncoder::new(
        std::fs::File::create(&gz).unwrap(),
        flate2::Compression::default(),
    );
    enc.write_all(ARTICLE.as_bytes()).unwrap();
    enc.finish().unwrap();

    let out = run(&[
        "extract",
        "--json",
        page.to_str().unwrap(),
        gz.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let results = json_lines(&out);
    assert_eq!(results.len(), 2);
    for (r, input) in results.iter().zip([&page, &gz]) {
        assert_eq!(r["input"], input.to_str().unwrap());
        assert_eq!(r["title"], "Bridge reopens after repairs");
        assert_eq!(r["author"], "Sam Reporter");
        assert_eq!(r["published"], "2024-06-02T07:15:00Z");
        assert_eq!(r["language"], "en");
        assert_eq!(
            r["canonical_url"],
            "https://times.example.com/2024/06/bridge-reopens"
        );
        assert_eq!(r["text"], BODY.join("\n"));
    }

    // The human-readable form carries the same.
    let out = run(&["extract", page.to_str().unwrap()]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("title:         Bridge reopens after repairs"),
        "{text}"
    );
    assert!(text.contains(BODY[1]));
    assert!(!text.contains("Finally!") && !text.contains("Related") && !text.contains("Home"));
}

#[test]
fn decodes_a_windows_1251_page_with_only_a_meta_charset() {
    let dir = tempfile::tempdir().unwrap();
    let html = "<html><head><meta charset=\"windows-1251\"><title>Мост открыт</title></head>\
        <body><article><p>Старый мост через реку открыли для движения в воскресенье, сообщили в \
        городском совете, на две недели раньше срока.</p><p>Инженеры заменили настил и укрепили \
        опоры, повреждённые весенним паводком.</p></article></body></html>";
    let bytes = encoding_rs::WINDOWS_1251.encode(html).0;
    let page = dir.path().join("most.html");
    std::fs::write(&page, &bytes).unwrap();
    let out = run(&["extract", "--json", page.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r = &json_lines(&out)[0];
    assert_eq!(r["title"], "Мост открыт");
    assert!(
        r["text"]
            .as_str()
            .unwrap()
            .starts_with("Старый мост через реку открыли"),
        "{r}"
    );
}

#[test]
fn a_bad_input_is_named_and_the_others_still_run() {
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("ok.html");
    std::fs::write(&page, ARTICLE).unwrap();
    let missing = dir.path().join("missing.html");
    let broken = dir.path().join("broken.html.gz");
    std::fs::write(&broken, [0x1f, 0x8b, 0x08, 0x00, 1, 2, 3]).unwrap();
    let out = run(&[
        "extract",
        "--json",
        missing.to_str().unwrap(),
        page.to_str().unwrap(),
        broken.to_str().unwrap(),
    ]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(missing.to_str().unwrap()), "{stderr}");
    assert!(stderr.contains(broken.to_str().unwrap()), "{stderr}");
    let results = json_lines(&out);
    assert_eq!(results.len(), 1);
    assert_eq!(results[0]["input"], page.to_str().unwrap());
}

#[test]
fn extracts_pages_fetched_from_urls_and_names_a_failing_one() {
    use common::http::{Reply, Server};
    let server = Server::start(|hit| match hit.path.as_str() {
        "/bridge" => Reply::new(200, ARTICLE).header("Content-Type", "text/html; charset=utf-8"),
        _ => Reply::new(404, "not found"),
    });
    let (good, missing) = (server.url("/bridge"), server.url("/missing"));
    let out = run(&["extract", "--json", &good, &missing]);
    assert!(!out.status.success(), "a failed input makes the run fail");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&missing) && stderr.contains("404"),
        "{stderr}"
    );
    let results = json_lines(&out);
    assert_eq!(results.len(), 1, "{results:?}");
    assert_eq!(results[0]["input"], good);
    assert_eq!(results[0]["text"], BODY.join("\n"));
    let ua = server.hits("/bridge")[0]
        .header("user-agent")
        .unwrap_or_default()
        .to_string();
    assert!(ua.starts_with("newsdedup/"), "{ua}");
}
