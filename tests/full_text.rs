//! Full text through the daemon, against feeds and pages served on 127.0.0.1: teaser entries
//! become the article behind them (without navigation, related links or comments), one article
//! reached through two feeds is stored once, and pages that give nothing usable (too large,
//! forbidden, empty) fall back to the entry's own content with the outcome recorded.

mod common;

use common::TestDb;
use common::http::{Reply, Server};
use serde_json::Value;
use sqlx::Row;

fn paragraphs(name: &str) -> Vec<String> {
    let path = format!(
        "{}/tests/data/originals/{name}.txt",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path)
        .expect("a test article")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

/// A news page as CMSs make them: navigation, the article with a byline-free body and a
/// related-links box, a newsletter box, reader comments, a footer.
fn page(title: &str, canonical: &str, body: &[String]) -> String {
    let paras: String = body
        .iter()
        .map(|p| format!("<p>{}</p>", html_escape::encode_text(p)))
        .collect();
    format!(
        r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{title} | Daily Test</title>
<link rel="canonical" href="{canonical}"></head><body>
<header><nav><ul><li><a href="/">Home</a></li><li><a href="/world">World</a></li><li><a href="/sport">Sport</a></li></ul></nav></header>
<main><article><h1>{title}</h1>{paras}
<aside class="related"><h3>Related stories</h3><ul><li><a href="/x">Council approves zebra crossing budget</a></li><li><a href="/y">Local bakery wins national award</a></li></ul></aside>
</article>
<div class="newsletter"><form><p>Sign up to our morning briefing newsletter</p><input type="email"><button>Subscribe</button></form></div>
<section id="comments"><h3>Comments</h3><div class="comment"><p>Gerald from Leeds: what a waste of taxpayers money honestly.</p></div></section>
</main><footer><p>Copyright Daily Test Media Group. All rights reserved.</p></footer></body></html>"#
    )
}

fn item(guid: &str, link: &str, title: &str, teaser: &str) -> String {
    format!(
        "<item><guid isPermaLink=\"false\">{guid}</guid><link>{}</link><title>{title}</title>\
         <pubDate>Mon, 23 Nov 2026 10:00:00 GMT</pubDate><description>{}</description></item>",
        html_escape::encode_text(link),
        html_escape::encode_text(teaser)
    )
}

fn rss(items: &[String]) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><rss version=\"2.0\"><channel><title>Test</title>\
         <link>http://example.org/</link><description>d</description>{}</channel></rss>",
        items.concat()
    )
}

async fn page_fetches(db: &TestDb) -> Vec<(String, String, Option<i64>)> {
    sqlx::query("SELECT url, outcome, article_id FROM page_fetches ORDER BY url")
        .fetch_all(&db.pool().await)
        .await
        .expect("reading page_fetches")
        .into_iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect()
}

async fn stored_text(db: &TestDb, article: i64) -> String {
    sqlx::query(
        "SELECT v.original FROM articles a JOIN article_versions v ON v.version_id = a.latest_version_id
         WHERE a.article_id = ?",
    )
    .bind(article)
    .fetch_one(&db.pool().await)
    .await
    .expect("an article")
    .get(0)
}

#[tokio::test]
async fn teasers_become_the_article_body_and_one_page_from_two_feeds_is_one_article() {
    let flood = paragraphs("flood_barrier");
    let rates = paragraphs("interest_rates");
    let (f, r) = (flood.clone(), rates.clone());
    let server = Server::start(move |hit| {
        let base = format!("http://{}", hit.header("host").unwrap_or("127.0.0.1"));
        let flood_url = format!("{base}/articles/flood.html");
        let rates_url = format!("{base}/articles/rates.html");
        match hit.path.split('?').next().unwrap_or("") {
            "/feed-a.xml" => Reply::new(
                200,
                rss(&[
                    item(
                        "a-1",
                        &format!("{flood_url}?utm_source=rss&utm_medium=feed"),
                        "Flood barrier",
                        "Engineers said the barrier held overnight. Read more",
                    ),
                    item(
                        "a-2",
                        &rates_url,
                        "Rates",
                        "The central bank moved rates again…",
                    ),
                ]),
            ),
            "/feed-b.xml" => Reply::new(
                200,
                rss(&[item(
                    "b-1",
                    &flood_url,
                    "Barrier holds as river peaks",
                    "A new flood barrier was tested by the highest river level in decades.",
                )]),
            ),
            "/articles/flood.html" => Reply::new(200, page("Flood barrier holds", &flood_url, &f))
                .header("Content-Type", "text/html; charset=utf-8"),
            "/articles/rates.html" => Reply::new(200, page("Rates rise", &rates_url, &r))
                .header("Content-Type", "text/html; charset=utf-8"),
            _ => Reply::new(404, "not found"),
        }
    });
    let db = TestDb::new();
    db.run_ok(&["feeds", "add", &server.url("/feed-a.xml")]);
    db.run_ok(&["feeds", "add", &server.url("/feed-b.xml")]);
    let out: Value = db.run_json(&["poll", "--json"]);
    assert_eq!(out["pages_queued"], 3, "{out}");
    assert_eq!(out["pages_extracted"], 3, "{out}");
    assert_eq!(out["pages_fallback"], 0, "{out}");

    // Two articles: the flood page reached through both feeds is one.
    let pool = db.pool().await;
    assert_eq!(common::count(&pool, "articles").await, 2);
    let links: Vec<(String, i64)> =
        sqlx::query("SELECT entry_key, article_id FROM feed_entries ORDER BY entry_key")
            .fetch_all(&pool)
            .await
            .unwrap()
            .into_iter()
            .map(|r| (r.get(0), r.get(1)))
            .collect();
    assert_eq!(links.len(), 3, "{links:?}");
    let flood_article = links[0].1;
    assert_eq!(links[0].0, "guid:a-1");
    assert_eq!(links[2].0, "guid:b-1");
    assert_eq!(links[2].1, flood_article, "{links:?}");
    let url: String = sqlx::query("SELECT url FROM articles WHERE article_id = ?")
        .bind(flood_article)
        .fetch_one(&pool)
        .await
        .unwrap()
        .get(0);
    assert!(url.ends_with("/articles/flood.html"), "{url}");

    // The stored text is the article body: no navigation, related links, newsletter box,
    // comments or footer (a leading headline line is allowed).
    for (article, body, title) in [
        (flood_article, &flood, "Flood barrier holds"),
        (links[1].1, &rates, "Rates rise"),
    ] {
        let text = stored_text(&db, article).await;
        let lines: Vec<&str> = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && *l != title)
            .collect();
        assert_eq!(lines, *body, "stored text:\n{text}");
    }
    let outcomes = page_fetches(&db).await;
    assert!(
        outcomes
            .iter()
            .all(|(_, o, a)| o == "extracted" && a.is_some()),
        "{outcomes:?}"
    );

    // A second poll: the entries are known, no page is fetched again.
    let before = server.hits("/articles/flood.html").len();
    let again: Value = db.run_json(&["poll", "--json"]);
    assert_eq!(again["pages_queued"], 0, "{again}");
    assert_eq!(server.hits("/articles/flood.html").len(), before);
}

/// About 60 words of Russian.
const RUSSIAN: &str = "Министерство обороны сообщило в понедельник, что расследование продолжается. \
    Следователи опросили свидетелей и изучили записи камер наблюдения у концертного зала. \
    По словам представителя ведомства, работа будет завершена в ближайшие десять дней. \
    Власти региона объявили траур и выделили помощь семьям пострадавших. \
    Эксперты отмечают, что подобные проверки обычно занимают несколько недель, \
    однако в этот раз сроки сокращены по решению правительства.";

#[tokio::test]
async fn unusable_pages_fall_back_to_the_entry_and_the_daemon_goes_on() {
    let rates = paragraphs("rail_strike");
    let first_paragraph = rates[0].clone();
    let server = Server::start(move |hit| {
        let base = format!("http://{}", hit.header("host").unwrap_or("127.0.0.1"));
        match hit.path.as_str() {
            "/feed.xml" => Reply::new(
                200,
                rss(&[
                    item("big", &format!("{base}/big.html"), "Big", "Teaser of the big page."),
                    item("ru", &format!("{base}/ru.html"), "Russian", "Тизер статьи."),
                    item("403", &format!("{base}/forbidden.html"), "Forbidden", "Teaser of a forbidden page."),
                    item("empty", &format!("{base}/empty.html"), "Empty", "Teaser of an empty page."),
                    item("ok", &format!("{base}/ok.html"), "Rail strike", "Teaser of a good page."),
                ]),
            ),
            "/big.html" => Reply::new(
                200,
                page("Big", &format!("{base}/big.html"), &[
                    "x ".repeat(150_000)
                ]),
            )
            .header("Content-Type", "text/html"),
            "/ru.html" => {
                let html = format!(
                    "<html><head><meta charset=\"windows-1251\"><title>Новости</title></head>\
                     <body><article><p>{RUSSIAN}</p></article></body></html>"
                );
                let (bytes, _, _) = encoding_rs::WINDOWS_1251.encode(&html);
                Reply::new(200, bytes.into_owned()).header("Content-Type", "text/html")
            }
            "/forbidden.html" => Reply::new(403, "Forbidden"),
            "/empty.html" => Reply::new(
                200,
                "<html><body><nav><a href=\"/\">Home</a></nav><script>render()</script></body></html>",
            )
            .header("Content-Type", "text/html"),
            "/ok.html" => Reply::new(200, page("Rail strike", &format!("{base}/ok.html"), &rates))
                .header("Content-Type", "text/html"),
            _ => Reply::new(404, "not found"),
        }
    });
    let db = TestDb::new();
    db.run_ok(&["feeds", "add", &server.url("/feed.xml")]);
    let out = db
        .command(&["poll", "--json"])
        .env("NEWSDEDUP_FETCH__MAX_BODY_BYTES", "200000")
        .output()
        .expect("running newsdedup poll");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let summary: Value = serde_json::from_slice(&out.stdout).expect("poll --json");
    assert_eq!(summary["pages_extracted"], 2, "{summary}");
    assert_eq!(summary["pages_fallback"], 3, "{summary}");
    assert_eq!(summary["new"], 5, "{summary}");

    let outcomes: Vec<(String, String)> = page_fetches(&db)
        .await
        .into_iter()
        .map(|(u, o, a)| {
            assert!(a.is_some(), "{u}: no article");
            (u.rsplit('/').next().unwrap().to_string(), o)
        })
        .collect();
    assert_eq!(
        outcomes,
        [
            ("big.html", "too_large"),
            ("empty.html", "empty"),
            ("forbidden.html", "blocked"),
            ("ok.html", "extracted"),
            ("ru.html", "extracted"),
        ]
        .map(|(u, o)| (u.to_string(), o.to_string()))
    );
    let reason: String =
        sqlx::query("SELECT reason FROM page_fetches WHERE url LIKE '%forbidden.html'")
            .fetch_one(&db.pool().await)
            .await
            .unwrap()
            .get(0);
    assert_eq!(reason, "HTTP 403");

    // Fallbacks keep the entry's own content; the Windows-1251 page is decoded right.
    let texts: Vec<(String, String)> = sqlx::query(
        "SELECT a.external_id, v.original FROM articles a
         JOIN article_versions v ON v.version_id = a.latest_version_id ORDER BY a.external_id",
    )
    .fetch_all(&db.pool().await)
    .await
    .unwrap()
    .into_iter()
    .map(|r| (r.get(0), r.get(1)))
    .collect();
    let text_of = |key: &str| {
        texts
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, t)| t.clone())
            .unwrap_or_else(|| panic!("no article for {key}: {texts:?}"))
    };
    assert_eq!(text_of("guid:403"), "Teaser of a forbidden page.");
    assert_eq!(text_of("guid:big"), "Teaser of the big page.");
    assert_eq!(text_of("guid:empty"), "Teaser of an empty page.");
    assert!(text_of("guid:ru").contains("Министерство обороны сообщило"));
    assert!(text_of("guid:ok").contains(&first_paragraph));
}

#[tokio::test]
async fn a_page_that_shrinks_keeps_the_good_version_and_passing_failures_are_retried() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    let phase = Arc::new(AtomicUsize::new(0));
    let p = phase.clone();
    let words = |n: usize| -> Vec<String> {
        vec![
            (0..n)
                .map(|i| format!("word{i}"))
                .collect::<Vec<_>>()
                .join(" "),
        ]
    };
    let server = Server::start(move |hit| {
        let base = format!("http://{}", hit.header("host").unwrap_or("127.0.0.1"));
        let n = p.load(Ordering::SeqCst);
        match hit.path.as_str() {
            "/feed.xml" => Reply::new(
                200,
                rss(&[
                    item(
                        "story",
                        &format!("{base}/story.html"),
                        "Story",
                        &format!("Teaser, take {n}."),
                    ),
                    item(
                        "busy",
                        &format!("{base}/busy.html"),
                        "Busy",
                        "Teaser of a busy page.",
                    ),
                ]),
            ),
            // 120 words, then 30 (too short), then 50 (a fragment of the 120).
            "/story.html" => Reply::new(
                200,
                page(
                    "Story",
                    &format!("{base}/story.html"),
                    &words([120, 30, 50][n.min(2)]),
                ),
            )
            .header("Content-Type", "text/html"),
            "/busy.html" => Reply::new(500, "try later"),
            _ => Reply::new(404, "not found"),
        }
    });
    let db = TestDb::new();
    db.run_ok(&["feeds", "add", &server.url("/feed.xml")]);
    let first: Value = db.run_json(&["poll", "--json"]);
    assert_eq!(
        (
            first["pages_extracted"].as_u64(),
            first["pages_retried"].as_u64()
        ),
        (Some(1), Some(1)),
        "{first}"
    );
    assert!(stored_text(&db, 1).await.contains("word119"));

    for (n, outcome) in [(1, "too_short"), (2, "fragment")] {
        phase.store(n, Ordering::SeqCst);
        let out: Value = db.run_json(&["poll", "--json"]);
        assert_eq!(out["pages_queued"], 1, "{out}");
        let row = sqlx::query(
            "SELECT outcome, reason, article_id FROM page_fetches ORDER BY page_fetch_id DESC LIMIT 1",
        )
        .fetch_one(&db.pool().await)
        .await
        .unwrap();
        assert_eq!(row.get::<String, _>(0), outcome);
        assert!(
            row.get::<String, _>(1).contains("earlier"),
            "{}",
            row.get::<String, _>(1)
        );
        assert_eq!(row.get::<Option<i64>, _>(2), Some(1));
        // Still one version: the 120 words.
        let pool = db.pool().await;
        assert_eq!(common::count(&pool, "article_versions").await, 1);
        assert!(stored_text(&db, 1).await.contains("word119"));
    }

    // The failing page waits in the queue for its back-off (a minute), not stored, not
    // forgotten; the later polls did not ask for it again.
    let row = sqlx::query("SELECT attempts, last_error, next_attempt_at > strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '+30 seconds') FROM page_queue")
        .fetch_one(&db.pool().await)
        .await
        .unwrap();
    assert_eq!(row.get::<i64, _>(0), 1);
    assert_eq!(row.get::<String, _>(1), "HTTP 500");
    assert!(row.get::<bool, _>(2), "no back-off");
    assert_eq!(server.hits("/busy.html").len(), 1);
}

#[tokio::test]
async fn the_daemon_fetches_each_page_once() {
    let body = paragraphs("wildfire");
    let server = Server::start(move |hit| {
        let base = format!("http://{}", hit.header("host").unwrap_or("127.0.0.1"));
        match hit.path.as_str() {
            "/feed.xml" => Reply::new(
                200,
                rss(&(0..6)
                    .map(|i| {
                        item(
                            &format!("w{i}"),
                            &format!("{base}/w{i}.html"),
                            "Wildfire",
                            "Crews fought the fire overnight…",
                        )
                    })
                    .collect::<Vec<_>>()),
            ),
            p if p.starts_with("/w") => {
                // Each page its own text: a paragraph more per page.
                let n: usize = p[2..p.len() - 5].parse().unwrap_or(0);
                Reply::new(
                    200,
                    page(
                        "Wildfire",
                        &format!("{base}{p}"),
                        &body[4..(n + 6).min(body.len())],
                    ),
                )
                .header("Content-Type", "text/html")
            }
            _ => Reply::new(404, "not found"),
        }
    });
    let db = TestDb::new();
    db.run_ok(&["feeds", "add", &server.url("/feed.xml")]);
    let mut child = db
        .command(&["run"])
        .env("NEWSDEDUP_DAEMON__LISTEN", "")
        .env("NEWSDEDUP_FETCH__PER_HOST_SPACING", "0s")
        .stdin(std::process::Stdio::null())
        .spawn()
        .expect("starting the daemon");
    let mut fetched = 0;
    for _ in 0..200 {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        if db.path.exists() {
            fetched = sqlx::query_scalar::<_, i64>("SELECT count(*) FROM page_fetches")
                .fetch_one(&db.pool().await)
                .await
                .unwrap_or(0);
            if fetched >= 6 {
                break;
            }
        }
    }
    // A few more turns of the daemon's loop: nothing is fetched twice.
    tokio::time::sleep(std::time::Duration::from_secs(3)).await;
    // SAFETY: sending SIGTERM to our own child.
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    assert!(child.wait().expect("the daemon's exit").success());
    assert_eq!(fetched, 6);
    for i in 0..6 {
        assert_eq!(server.hits(&format!("/w{i}.html")).len(), 1, "page {i}");
    }
    let pool = db.pool().await;
    let rows: Vec<(String, String, Option<i64>)> = page_fetches(&db).await;
    assert_eq!(common::count(&pool, "articles").await, 6, "{rows:?}");
    let extracted: i64 =
        sqlx::query_scalar("SELECT count(*) FROM page_fetches WHERE outcome = 'extracted'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(extracted, 6, "{rows:?}");
}
