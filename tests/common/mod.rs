//! Shared helpers for the integration tests: running the real binary on a temporary database,
//! reading that database with sqlx (read-only, as a newsroom's own scripts would), and the test
//! data generators in the submodules.
//!
//! Every test file uses a different part of this module.
#![allow(dead_code)]

pub mod corpus;
pub mod http;
pub mod labelled;
pub mod measured;
pub mod syndication;

use serde_json::Value;
use sqlx::SqlitePool;
use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

/// The binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_newsdedup");

/// The folder of test data other people wrote (`$NEWSDEDUP_SHARED`, default: `shared` beside the
/// repository). When it is absent: under `CI=true` the test fails naming the folder; elsewhere
/// `None`, with a notice, and tests that need it return early.
pub fn shared_dir() -> Option<PathBuf> {
    let dir = match std::env::var_os("NEWSDEDUP_SHARED") {
        Some(d) if !d.is_empty() => PathBuf::from(d),
        _ => Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared"),
    };
    if dir.is_dir() {
        Some(dir)
    } else if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!(
            "CI=true but the shared test data is missing at {} (set NEWSDEDUP_SHARED)",
            dir.display()
        );
    } else {
        eprintln!(
            "notice: shared test data not found at {} (set NEWSDEDUP_SHARED); skipping",
            dir.display()
        );
        None
    }
}

/// A part of the shared test data (`rel`, e.g. `bench/feeds`), by the same rule as
/// [`shared_dir`]: missing under `CI=true`, the test fails naming the path it looked for;
/// elsewhere `None`, with a notice.
pub fn shared_path(rel: &str) -> Option<PathBuf> {
    let path = shared_dir()?.join(rel);
    if path.exists() {
        Some(path)
    } else if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!(
            "CI=true but the shared test data is missing at {} (set NEWSDEDUP_SHARED)",
            path.display()
        );
    } else {
        eprintln!(
            "notice: shared test data not found at {} (set NEWSDEDUP_SHARED); skipping",
            path.display()
        );
        None
    }
}

/// A temporary folder holding one database.
pub struct TestDb {
    pub dir: tempfile::TempDir,
    pub path: PathBuf,
}

impl TestDb {
    pub fn new() -> TestDb {
        let dir = tempfile::tempdir().expect("creating a temporary folder");
        let path = dir.path().join("news.db");
        TestDb { dir, path }
    }

    /// A path for an input file in the temporary folder.
    pub fn file(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// The binary with `--db` set and nothing inherited from the environment that could change
    /// its configuration.
    pub fn command(&self, args: &[&str]) -> Command {
        command(&self.path, args)
    }

    /// Runs the binary to completion.
    pub fn run(&self, args: &[&str]) -> Output {
        self.command(args)
            .stdin(Stdio::null())
            .output()
            .expect("running newsdedup")
    }

    /// Runs the binary, asserting success; returns its standard output.
    pub fn run_ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "newsdedup {args:?} failed with {}:\nstdout: {}\nstderr: {}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("UTF-8 output")
    }

    /// Runs the binary with `--json` output, asserting success; returns the parsed JSON.
    pub fn run_json(&self, args: &[&str]) -> Value {
        let out = self.run_ok(args);
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("{args:?}: not JSON ({e}):\n{out}"))
    }

    /// `newsdedup ingest --json PATH...`: the summary object.
    pub fn ingest(&self, paths: &[&Path]) -> Value {
        let mut args = vec!["ingest".to_string(), "--json".to_string()];
        args.extend(paths.iter().map(|p| p.display().to_string()));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        self.run_json(&args)
    }

    pub async fn pool(&self) -> SqlitePool {
        read_only_pool(&self.path).await
    }
}

/// The binary with `--db` set, warnings-only logs and a clean environment.
pub fn command(db: &Path, args: &[&str]) -> Command {
    let mut c = Command::new(BIN);
    for (k, _) in std::env::vars_os() {
        if k.to_string_lossy().starts_with("NEWSDEDUP_") || k == "RUST_LOG" {
            c.env_remove(k);
        }
    }
    // The shipped config lists public starter feeds; tests poll only the feeds they add.
    let config = db.with_extension("test-config.toml");
    if !config.exists() {
        std::fs::write(&config, "feeds = []\n").expect("writing the test config");
    }
    c.arg("--db")
        .arg(db)
        .arg("--config")
        .arg(&config)
        .args(["--log-level", "warn"])
        .args(args);
    c
}

/// A read-only pool on a database, opened the way a newsroom's script (or `Store::open_read_only`)
/// opens it: read-only, never creating it, waiting on locks with a busy timeout.
pub async fn read_only_pool(path: &Path) -> SqlitePool {
    let opts = SqliteConnectOptions::new()
        .filename(path)
        .read_only(true)
        .create_if_missing(false)
        .busy_timeout(Duration::from_secs(30));
    SqlitePoolOptions::new()
        .max_connections(2)
        .connect_with(opts)
        .await
        .unwrap_or_else(|e| panic!("opening {} read-only: {e}", path.display()))
}

/// `SELECT count(*) FROM <table>` (the table name is one of the schema's, never input).
pub async fn count(pool: &SqlitePool, table: &'static str) -> i64 {
    let sql = match table {
        "articles" => "SELECT count(*) FROM articles",
        "article_versions" => "SELECT count(*) FROM article_versions",
        "clusters" => "SELECT count(*) FROM clusters",
        "cluster_merges" => "SELECT count(*) FROM cluster_merges",
        "sources" => "SELECT count(*) FROM sources",
        "article_clusters" => "SELECT count(*) FROM article_clusters",
        "cluster_summary" => "SELECT count(*) FROM cluster_summary",
        "feeds" => "SELECT count(*) FROM feeds",
        "feed_entries" => "SELECT count(*) FROM feed_entries",
        // FTS5 keeps one docsize row per indexed document (whatever the table's content option).
        "article_search" => "SELECT count(*) FROM article_search_docsize",
        other => panic!("unknown table {other}"),
    };
    sqlx::query_scalar::<_, i64>(sql)
        .fetch_one(pool)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

/// Row counts of every table, for "nothing changed" comparisons.
pub async fn row_counts(pool: &SqlitePool) -> Vec<(&'static str, i64)> {
    let mut out = Vec::new();
    for t in [
        "articles",
        "article_versions",
        "clusters",
        "cluster_merges",
        "sources",
        "article_search",
    ] {
        out.push((t, count(pool, t).await));
    }
    out
}

/// Writes JSON Lines.
pub fn write_jsonl(path: &Path, records: &[Value]) {
    let mut s = String::new();
    for r in records {
        s.push_str(&serde_json::to_string(r).expect("serializing a record"));
        s.push('\n');
    }
    std::fs::write(path, s).expect("writing JSON Lines");
}

/// The cluster an article (by URL) is in, from the `article_clusters` view.
pub async fn cluster_of_url(pool: &SqlitePool, url: &str) -> i64 {
    sqlx::query_scalar::<_, i64>("SELECT cluster_id FROM article_clusters WHERE url = ?")
        .bind(url)
        .fetch_one(pool)
        .await
        .unwrap_or_else(|e| panic!("article_clusters row for {url}: {e}"))
}

/// The latest clean text of an article (by URL).
pub async fn clean_text_of_url(pool: &SqlitePool, url: &str) -> String {
    sqlx::query_scalar::<_, String>(
        "SELECT v.clean_text FROM articles a
         JOIN article_versions v ON v.version_id = a.latest_version_id
         WHERE a.url = ?",
    )
    .bind(url)
    .fetch_one(pool)
    .await
    .unwrap_or_else(|e| panic!("clean text of {url}: {e}"))
}
