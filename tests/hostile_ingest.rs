//! Hostile files for `ingest` (issue 16): an oversized record among normal ones, gzip bombs as
//! JSON Lines and as text, deeply nested JSON, a FIFO in a folder, ids past a JSON number's
//! range. Each is rejected with its name and the limit, bounded in time and memory (peak RSS
//! measured by wait4), and everything around it is stored. All generated here, in temp dirs.

mod common;

use common::TestDb;
use common::measured::run_measured;
use serde_json::{Value, json};
use std::io::Write;
use std::path::Path;
use std::time::Duration;

/// Generous bound for "does not hang".
const BOUND: Duration = Duration::from_secs(60);

/// A text of ~150 words, different for each `seed`.
fn text(seed: u64) -> String {
    const WORDS: &[&str] = &[
        "council", "budget", "river", "school", "minister", "harbour", "election", "farmers",
        "bridge", "hospital", "court", "storm", "museum", "railway", "police", "market", "union",
        "mayor", "village", "border", "festival", "report", "energy", "water",
    ];
    let mut x = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    let mut out = String::new();
    for sentence in 0..15 {
        out.push_str(&format!("On day {sentence} of case {seed} the"));
        for _ in 0..9 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            out.push(' ');
            out.push_str(WORDS[(x % WORDS.len() as u64) as usize]);
        }
        out.push_str(".\n\n");
    }
    out
}

fn record(i: u64) -> String {
    json!({
        "id": format!("n{i}"),
        "url": format!("https://example.org/news/{i}"),
        "source": "Example News",
        "title": format!("Story {i}"),
        "text": text(i),
    })
    .to_string()
}

async fn stored(db: &TestDb) -> i64 {
    let pool = db.pool().await;
    sqlx::query_scalar("SELECT COUNT(*) FROM article_clusters")
        .fetch_one(&pool)
        .await
        .unwrap()
}

fn summary(out: &std::process::Output) -> Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)))
}

/// `feeds = []` plus a `[limits]` section, as the test config of `db`.
fn limits_config(db: &TestDb, limits: &str) {
    std::fs::write(
        db.path.with_extension("test-config.toml"),
        format!("feeds = []\n[limits]\n{limits}\n"),
    )
    .unwrap();
}

/// A gzip file that expands to `blocks` MiB of `byte`: one compressed MiB written `blocks` times
/// as gzip members (read as one stream, as `gzip -d` reads them), so it takes no time to write.
fn gzip_bomb(path: &Path, head: &[u8], byte: u8, blocks: usize) {
    let member = |data: &[u8]| {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    };
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    f.write_all(&member(head)).unwrap();
    let block = member(&vec![byte; 1 << 20]);
    for _ in 0..blocks {
        f.write_all(&block).unwrap();
    }
    f.flush().unwrap();
}

#[tokio::test]
async fn an_oversized_record_is_rejected_by_its_line_and_the_600_around_it_are_stored() {
    let db = TestDb::new();
    let path = db.file("export.jsonl");
    let mut f = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    for i in 0..300 {
        writeln!(f, "{}", record(i)).unwrap();
    }
    // ~30 MB of text, words as a real article has them.
    let huge = json!({"id": "huge", "source": "Example News", "text": text(9999).repeat(30_000)});
    let huge = huge.to_string();
    assert!(huge.len() > 30_000_000, "{}", huge.len());
    writeln!(f, "{huge}").unwrap();
    for i in 300..600 {
        writeln!(f, "{}", record(i)).unwrap();
    }
    f.flush().unwrap();
    drop(f);

    let run = run_measured(
        common::command(&db.path, &["ingest", "--json", path.to_str().unwrap()]),
        BOUND,
    );
    run.assert_bounded("ingest of the file with a 30 MB record", 300);
    assert_eq!(run.output.status.code(), Some(0), "{}", run.stderr());
    let s = summary(&run.output);
    let rejected = s["rejected"].as_array().unwrap();
    assert_eq!(rejected.len(), 1, "{s:#}");
    assert_eq!(rejected[0]["origin"], format!("{}:301", path.display()));
    let reason = rejected[0]["reason"].as_str().unwrap();
    assert!(
        reason.starts_with(&format!(
            "JSON Lines record of {} bytes is over the limit",
            huge.len()
        )) && reason.contains("line_bytes"),
        "{reason}"
    );
    assert_eq!(stored(&db).await, 600);

    // The same with --strict: the 600 are stored, and the exit status says something was not.
    let strict = TestDb::new();
    let out = strict.run(&["ingest", "--strict", "--json", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert_eq!(summary(&out)["rejected"].as_array().unwrap().len(), 1);
    assert_eq!(stored(&strict).await, 600);
}

#[tokio::test]
async fn a_10_gb_single_line_jsonl_gz_is_rejected_in_bounded_memory() {
    let db = TestDb::new();
    // 10 GiB of one line would take minutes to inflate even streamed: the test stops it at
    // 256 MiB (the default, 16 GiB, stops it the same way, later).
    limits_config(&db, "decompressed_bytes = 268435456");
    let path = db.file("bomb.jsonl.gz");
    let first = record(1) + "\n";
    gzip_bomb(
        &path,
        (first + r#"{"id": "b", "source": "s", "text": ""#).as_bytes(),
        b'a',
        10 * 1024,
    );
    assert!(std::fs::metadata(&path).unwrap().len() < 64 << 20);

    let run = run_measured(
        common::command(&db.path, &["ingest", "--json", path.to_str().unwrap()]),
        BOUND,
    );
    run.assert_bounded("ingest of a 10 GiB-expanding .jsonl.gz", 300);
    assert_eq!(run.output.status.code(), Some(0), "{}", run.stderr());
    let s = summary(&run.output);
    let rejected = s["rejected"].as_array().unwrap();
    assert_eq!(rejected.len(), 1, "{s:#}");
    assert_eq!(rejected[0]["origin"], path.display().to_string());
    let reason = rejected[0]["reason"].as_str().unwrap();
    assert!(
        reason.contains("over the limit of 268435456 bytes")
            && reason.contains("decompressed_bytes"),
        "{reason}"
    );
    assert_eq!(stored(&db).await, 1, "the record before the bomb is stored");
}

#[tokio::test]
async fn a_txt_gz_bomb_deep_json_and_a_fifo_are_rejected_and_the_rest_stored() {
    let db = TestDb::new();
    let folder = db.file("in");
    std::fs::create_dir(&folder).unwrap();
    // 1 GiB of text in ~1 MB, with the default limits (document_bytes, 4 MiB, stops it).
    gzip_bomb(&folder.join("bomb.txt.gz"), b"A title\n\n", b'x', 1024);
    let deep = format!("{}{}", "[".repeat(1_000_000), "]".repeat(1_000_000));
    let (open, close) = ("[".repeat(1_000_000), "]".repeat(1_000_000));
    let nested_id = format!(r#"{{"id": {open}1{close}, "source": "s", "text": "x"}}"#);
    std::fs::write(
        folder.join("deep.jsonl"),
        [record(1), deep, nested_id, record(2)].join("\n") + "\n",
    )
    .unwrap();
    let fifo = folder.join("pipe.jsonl");
    let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0);
    std::fs::write(folder.join("story.txt"), text(3)).unwrap();

    let run = run_measured(
        common::command(&db.path, &["ingest", "--json", folder.to_str().unwrap()]),
        BOUND,
    );
    run.assert_bounded("ingest of a folder with a bomb, deep JSON and a FIFO", 300);
    assert_eq!(run.output.status.code(), Some(0), "{}", run.stderr());
    let s = summary(&run.output);
    let rejected: Vec<(String, String)> = s["rejected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["origin"].as_str().unwrap().into(),
                r["reason"].as_str().unwrap().into(),
            )
        })
        .collect();
    let deep_name = folder.join("deep.jsonl").display().to_string();
    assert_eq!(rejected.len(), 4, "{rejected:#?}");
    assert_eq!(
        rejected[0].0,
        folder.join("bomb.txt.gz").display().to_string()
    );
    assert!(rejected[0].1.contains("document_bytes"), "{rejected:?}");
    assert_eq!(rejected[1].0, format!("{deep_name}:2"));
    assert!(rejected[1].1.starts_with("invalid JSON"), "{rejected:?}");
    assert_eq!(rejected[2].0, format!("{deep_name}:3"));
    assert!(
        rejected[2].1.contains("must be a string or a number"),
        "{rejected:?}"
    );
    assert_eq!(rejected[3].0, fifo.display().to_string());
    assert!(rejected[3].1.contains("FIFO"), "{rejected:?}");
    assert_eq!(stored(&db).await, 3, "two records and story.txt");
}

#[tokio::test]
async fn two_30_digit_ids_that_differ_in_the_last_digit_are_two_articles() {
    let db = TestDb::new();
    let path = db.file("ids.jsonl");
    let line = |id: &str, seed: u64| {
        format!(
            r#"{{"id": {id}, "source": "Wire", "text": {}}}"#,
            json!(text(seed))
        )
    };
    let (a, b) = (
        "123456789012345678901234567890",
        "123456789012345678901234567891",
    );
    std::fs::write(&path, format!("{}\n{}\n", line(a, 1), line(b, 2))).unwrap();
    let s = db.ingest(&[&path]);
    assert_eq!(s["rejected"], json!([]), "{s}");
    let pool = db.pool().await;
    let ids: Vec<String> =
        sqlx::query_scalar("SELECT external_id FROM article_clusters ORDER BY external_id")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(ids, [a, b]);
}
