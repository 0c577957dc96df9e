//! Hostile stored data and output: a database edited by hand (a source name that is not UTF-8),
//! a `--since` beyond the calendar, a second writer through a symlinked path, and titles and
//! names carrying terminal escape sequences. Each is a clear message naming what it was about;
//! nothing panics, and the commands (the daemon too) go on.

mod common;

use common::http::{Reply, Server};
use common::{TestDb, write_jsonl};
use serde_json::{Value, json};
use std::path::Path;
use std::process::{Child, Stdio};
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

const STORY: &str = "The county library service will open on Sundays from next month, after a two-year trial in three branches drew more visitors than expected.\n\nLibrarians said the Sunday sessions were most popular with families and students preparing for exams, and that the extra hours would be covered by a new part-time team rather than by existing staff working longer weeks.\n\nThe change will cost about $120,000 a year and is paid for from the county's culture budget.";

/// A title that would recolour the terminal, set its window title and ring its bell.
const HOSTILE_TITLE: &str = "Libraries \u{1b}[31mopen\u{1b}]0;pwned\u{7} on Sundays";
/// The same, as the human output shows it.
const ESCAPED_TITLE: &str = "Libraries \\u{1b}[31mopen\\u{1b}]0;pwned\\u{7} on Sundays";

/// A store with one cluster (and story) of two sources, the first copy titled [`HOSTILE_TITLE`].
fn store_with_a_cluster() -> TestDb {
    let db = TestDb::new();
    let input = db.file("export.jsonl");
    write_jsonl(
        &input,
        &[
            json!({"id": "a-1", "url": "https://a.example/libraries", "source": "Wire A",
                   "title": HOSTILE_TITLE, "published": "2024-08-01T07:00:00Z", "text": STORY}),
            json!({"id": "b-1", "url": "https://b.example/libraries", "source": "Paper B",
                   "title": "Libraries open on Sundays", "published": "2024-08-01T09:00:00Z",
                   "text": format!("{STORY}\n\nThe first Sunday opening is on 7 September.")}),
        ],
    );
    let s = db.ingest(&[&input]);
    assert_eq!(s["new"], 1, "{s}");
    assert_eq!(s["near_duplicate"], 1, "{s}");
    db
}

/// Opens the database for writing, as a hand edit (sqlite3) would.
async fn edit(db: &Path) -> sqlx::SqliteConnection {
    use sqlx::ConnectOptions;
    sqlx::sqlite::SqliteConnectOptions::new()
        .filename(db)
        .connect()
        .await
        .expect("opening the database")
}

/// Ingest takes control characters out of titles; a title stored by other means (another
/// program, an older version) may still carry them: article 1's title becomes [`HOSTILE_TITLE`].
async fn store_hostile_title(db: &Path) {
    let done = sqlx::query(
        "UPDATE article_versions SET title = ?1
         WHERE version_id = (SELECT latest_version_id FROM articles WHERE article_id = 1)",
    )
    .bind(HOSTILE_TITLE)
    .execute(&mut edit(db).await)
    .await
    .unwrap();
    assert_eq!(done.rows_affected(), 1);
}

/// Stores bytes that are not UTF-8 as the TEXT name of source 1, as a hand edit would.
async fn corrupt_source_name(db: &Path) {
    let mut conn = edit(db).await;
    let done = sqlx::query("UPDATE sources SET name = CAST(X'fffe41' AS TEXT) WHERE source_id = 1")
        .execute(&mut conn)
        .await
        .expect("editing the source name");
    assert_eq!(done.rows_affected(), 1);
    let kind: String = sqlx::query_scalar(
        "SELECT typeof(name) || ' ' || hex(name) FROM sources WHERE source_id = 1",
    )
    .fetch_one(&mut conn)
    .await
    .unwrap();
    assert_eq!(kind, "text FFFE41");
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Runs the binary; asserts it succeeded without a panic; returns (stdout, stderr).
fn run_ok(db: &TestDb, args: &[&str]) -> (String, String) {
    let out = db.run(args);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert!(
        out.status.success() && !stderr.contains("panicked"),
        "newsdedup {args:?}: {}\nstdout: {stdout}\nstderr: {stderr}",
        out.status
    );
    (stdout, stderr)
}

/// The one cluster's id and the one story's id.
fn ids(db: &TestDb) -> (String, String) {
    let clusters = db.run_json(&["clusters", "--json"]);
    let stories = db.run_json(&["stories", "--json"]);
    (
        clusters[0]["cluster_id"].to_string(),
        stories[0]["story_id"].to_string(),
    )
}

const ROW: &str = "sources row source_id=1";

#[tokio::test]
async fn a_source_name_that_is_not_utf8_is_reported_and_ingest_cluster_and_story_go_on() {
    let db = store_with_a_cluster();
    corrupt_source_name(&db.path).await;
    let (cluster, story) = ids(&db);

    let more = db.file("more.jsonl");
    write_jsonl(
        &more,
        &[
            json!({"id": "c-1", "url": "https://c.example/libraries", "source": "Daily C",
                   "title": "Sunday libraries", "text": format!("{STORY}\n\nDoors open at ten.")}),
        ],
    );
    let (stdout, stderr) = run_ok(&db, &["ingest", "--json", more.to_str().unwrap()]);
    assert!(stderr.contains(ROW), "ingest names the row:\n{stderr}");
    let s: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(
        s["near_duplicate"], 1,
        "the new copy joins the cluster: {s}"
    );

    for args in [vec!["cluster", &cluster], vec!["story", &story]] {
        let (stdout, stderr) = run_ok(&db, &args);
        assert!(stderr.contains(ROW), "{args:?} names the row:\n{stderr}");
        assert!(
            stdout.contains("\u{fffd}\u{fffd}A"),
            "{args:?} shows the name read lossily:\n{stdout}"
        );
        assert!(stdout.contains("Daily C"), "{args:?}:\n{stdout}");
    }
}

/// A running daemon, killed if a failing test leaves it running.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        if let Ok(None) = self.0.try_wait() {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

/// `newsdedup run` with the health endpoint on a free port and a JSON log, with its log's lines.
fn start_daemon(db: &TestDb) -> (Running, Receiver<String>) {
    use std::io::BufRead;
    let mut child = db
        .command(&["--log-format", "json", "run"])
        .env("RUST_LOG", "info")
        .env("NEWSDEDUP_DAEMON__LISTEN", "127.0.0.1:0")
        .stdin(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starting the daemon");
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
        {
            let _ = tx.send(line);
        }
    });
    (Running(child), rx)
}

/// Waits (up to 30 s) for a log line containing `what`; panics with the lines seen otherwise.
fn wait_for_line(rx: &Receiver<String>, seen: &mut Vec<String>, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if seen.iter().any(|l| l.contains(what)) {
            return;
        }
        if let Ok(line) = rx.recv_timeout(Duration::from_millis(100)) {
            seen.push(line);
        }
    }
    panic!(
        "no log line with {what:?} within 30 s:\n{}",
        seen.join("\n")
    );
}

/// Sends SIGTERM and asserts a clean exit within 30 s.
fn stop(mut daemon: Running) {
    let child = &mut daemon.0;
    // SAFETY: sending SIGTERM to our own child.
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let started = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "no exit within 30 s of SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "{status:?}");
}

fn rss(link: &str) -> String {
    format!(
        "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>Local</title><link>http://x/</link>\
         <item><guid>lib-1</guid><link>{link}</link><title>Libraries on Sundays</title>\
         <description><![CDATA[<p>{}</p>]]></description></item></channel></rss>",
        STORY.replace("\n\n", "</p><p>")
    )
}

#[cfg(unix)]
#[tokio::test]
async fn the_daemon_starts_on_a_source_name_that_is_not_utf8_and_keeps_polling() {
    let db = store_with_a_cluster();
    corrupt_source_name(&db.path).await;
    let server = Server::start(|_| Reply::new(200, rss("https://d.example/libraries")));
    db.run_ok(&[
        "feeds",
        "add",
        &server.url("/feed.xml"),
        "--full-text",
        "never",
    ]);
    let before = common::count(&db.pool().await, "articles").await;
    let (child, rx) = start_daemon(&db);
    let mut seen = Vec::new();
    wait_for_line(&rx, &mut seen, "daemon started");
    // The feed is due at once: its entry is stored next to the damaged row.
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut now = before;
    while now == before && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(200)).await;
        now = common::count(&db.pool().await, "articles").await;
    }
    assert_eq!(now, before + 1, "the daemon polled and stored the entry");
    stop(child);
    seen.extend(rx.try_iter());
    let log = seen.join("\n");
    assert!(log.contains(ROW), "the daemon names the row:\n{log}");
    assert!(!log.contains("panicked"), "{log}");
}

#[test]
fn a_since_beyond_the_calendar_is_an_error_naming_the_value() {
    let db = store_with_a_cluster();
    for cmd in ["stories", "clusters"] {
        let out = db.run(&[cmd, "--since", "300000y"]);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{cmd}: {stderr}");
        assert!(
            stderr.contains("--since \"300000y\"") && !stderr.contains("panicked"),
            "{cmd}: {stderr}"
        );
    }
}

/// Ids are handed out from 1, and the pipeline's in-memory tables are indexed by them: an id
/// edited outside that range (negative, or past the 2³² the tables hold) is an error naming its
/// row — the article is left out, or for the highest id, which sizes the tables, the command
/// stops with the message — never a panic or an allocation of the id's size.
#[tokio::test]
async fn ids_edited_out_of_range_are_errors_naming_the_row() {
    let db = store_with_a_cluster();
    let mut conn = edit(&db.path).await;
    for sql in [
        "INSERT INTO clusters (cluster_id, created_at) VALUES (-7, '2024-08-01T00:00:00Z')",
        "UPDATE articles SET cluster_id = -7 WHERE article_id = 2",
    ] {
        sqlx::query(sql).execute(&mut conn).await.expect(sql);
    }
    let more = db.file("more.jsonl");
    write_jsonl(
        &more,
        &[
            json!({"id": "c-1", "url": "https://c.example/libraries", "source": "Paper C",
                 "title": "Sunday libraries", "published": "2024-08-02T07:00:00Z",
                 "text": STORY}),
        ],
    );
    let out = db.run(&["ingest", more.to_str().unwrap()]);
    let stderr = text(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("articles row article_id=2") && stderr.contains("id -7 is outside"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");

    sqlx::query(
        "INSERT INTO clusters (cluster_id, created_at) VALUES (5000000000, '2024-08-01T00:00:00Z')",
    )
    .execute(&mut conn)
    .await
    .unwrap();
    for args in [vec!["ingest", more.to_str().unwrap()], vec!["poll"]] {
        let out = db.run(&args);
        let stderr = text(&out.stderr);
        assert!(!out.status.success(), "{args:?}: {stderr}");
        assert!(
            stderr.contains("id 5000000000 is outside") && !stderr.contains("panicked"),
            "{args:?}: {stderr}"
        );
    }
}

#[test]
fn a_config_feed_interval_out_of_range_is_an_error_naming_the_feed() {
    // 300 billion years of seconds no longer fit the stored i64 (they wrapped negative); a
    // thousand years fit but are a mistake, as for `feeds add --interval`.
    for interval in ["300000000000y", "1000y", "10s"] {
        let db = TestDb::new();
        std::fs::write(
            db.path.with_extension("test-config.toml"),
            format!(
                "feeds = [{{ url = \"http://127.0.0.1:9/feed.xml\", interval = \"{interval}\" }}]\n"
            ),
        )
        .expect("writing the config");
        let out = db.run(&["poll"]);
        let stderr = text(&out.stderr);
        assert!(!out.status.success(), "{interval}: {stderr}");
        assert!(
            stderr.contains("http://127.0.0.1:9/feed.xml")
                && stderr.contains(&format!("interval \"{interval}\""))
                && !stderr.contains("panicked"),
            "{interval}: {stderr}"
        );
    }
}

#[cfg(unix)]
#[test]
fn a_second_writer_through_a_symlink_is_refused() {
    let db = store_with_a_cluster();
    let link = db.file("link.db");
    std::os::unix::fs::symlink(&db.path, &link).unwrap();
    let (child, rx) = start_daemon(&db);
    let mut seen = Vec::new();
    wait_for_line(&rx, &mut seen, "daemon started");

    let more = db.file("more.jsonl");
    write_jsonl(
        &more,
        &[json!({"id": "c-1", "source": "Daily C", "text": STORY})],
    );
    let out = common::command(&link, &["ingest", more.to_str().unwrap()])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stderr = text(&out.stderr);
    assert!(!out.status.success(), "a second writer started:\n{stderr}");
    assert!(
        stderr.contains("is being written by another newsdedup process"),
        "{stderr}"
    );
    stop(child);
    // Once the first writer is gone, the symlinked path writes.
    let out = common::command(&link, &["ingest", more.to_str().unwrap()])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
}

#[tokio::test]
async fn titles_and_names_with_escape_sequences_are_printed_escaped_and_json_is_unchanged() {
    let db = store_with_a_cluster();
    store_hostile_title(&db.path).await;
    let (cluster, story) = ids(&db);
    for args in [vec!["cluster", &cluster], vec!["story", &story]] {
        let (stdout, _) = run_ok(&db, &args);
        assert!(
            !stdout.contains('\u{1b}') && !stdout.contains('\u{7}'),
            "{args:?} printed a raw control character:\n{stdout:?}"
        );
        // Tables shorten long titles: the escaped start of the title is enough.
        assert!(
            stdout.contains(&ESCAPED_TITLE[..30]),
            "{args:?} shows the title escaped:\n{stdout}"
        );
    }
    let (stdout, _) = run_ok(&db, &["story", &story]);
    assert!(
        stdout.contains(ESCAPED_TITLE),
        "the story's heading:\n{stdout}"
    );
    let json = db.run_json(&["story", &story, "--json"]);
    assert_eq!(json["title"], HOSTILE_TITLE);
    let json = db.run_json(&["cluster", &cluster, "--json"]);
    let titles: Vec<&str> = json["members"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|m| m["title"].as_str())
        .collect();
    assert!(titles.contains(&HOSTILE_TITLE), "{titles:?}");

    let name = "Feed \u{1b}]8;;https://evil.example\u{7}x\u{9b}2J";
    db.run_ok(&["feeds", "add", "https://feeds.example/rss", "--name", name]);
    let (stdout, _) = run_ok(&db, &["feeds", "list"]);
    assert!(
        !stdout.contains('\u{1b}') && !stdout.contains('\u{7}') && !stdout.contains('\u{9b}'),
        "{stdout:?}"
    );
    assert!(
        stdout.contains("Feed \\u{1b}]8;;https://evil.examp"),
        "feeds list shows the name escaped:\n{stdout}"
    );
    let json = db.run_json(&["feeds", "list", "--json"]);
    assert_eq!(json[0]["name"], name);
}
