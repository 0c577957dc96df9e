//! The poll-cycle benchmark (docs/BENCHMARKS.md §6): `newsdedup poll` over N feeds served by a
//! local server, measured from outside: wall time, CPU seconds and peak RSS of the binary.
//!
//! ```sh
//! cargo build --release
//! cargo run --release --example poll_cycle -- [--feeds 10000] [--entries 20] \
//!     [--bin target/release/newsdedup] [--dir /tmp/poll-cycle]
//! ```
//!
//! An HTTP server on 127.0.0.1 (port 0, in this process) serves `/f/N.xml`: RSS 2.0 with
//! `--entries` items of about 80 words each (made-up words drawn from a Zipf-distributed
//! vocabulary, so word frequencies look like a language's), an ETag, and 304 to a matching
//! `If-None-Match`. The feeds are imported from OPML into a fresh database, then four cycles run,
//! each one `newsdedup poll --json` as a child process:
//!
//! 1. **cold**: every feed answers 200 and every entry is new;
//! 2. **304**: every feed answers 304 Not Modified;
//! 3. **unchanged 200**: the server ignores validators; every entry is seen before and unchanged;
//! 4. **steady**: one feed in ten has two new entries, the rest answer 304.
//!
//! The local server stands for many hosts, so the per-host spacing is off and the per-host cap
//! equals the global one (`[fetch]` in the generated config). The feeds are imported with
//! `--full-text never`: 80-word entries read as teasers, and the default (`auto`) would fetch
//! each entry's page, which is another benchmark (BENCHMARKS §7). Everything else is the default.
//! A fifth run polls one feed only: the fixed cost of starting (opening the store, rebuilding the
//! indexes) and closing, which the per-feed figures are also given without.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use std::fmt::Write as _;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Words in the made-up vocabulary.
const VOCABULARY: u64 = 30_000;
/// Words per entry.
const ENTRY_WORDS: usize = 80;

/// What the server answers in each cycle.
#[derive(Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
enum Mode {
    /// 200 with the feed, 304 to a matching ETag.
    Conditional = 0,
    /// 200 with the feed, whatever the request says.
    AlwaysFull = 1,
}

struct Feeds {
    entries: usize,
    mode: AtomicU8,
    /// Feeds whose number is below this × 10 (one in ten) have `extra` more entries.
    extra: AtomicU64,
    requests: AtomicU64,
    not_modified: AtomicU64,
}

/// SplitMix64.
fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// The word of a vocabulary rank: syllables spelled from the rank, short words for common ranks.
fn word(rank: u64, out: &mut String) {
    const SYLLABLES: [&str; 32] = [
        "ka", "lo", "mi", "ne", "ru", "ta", "vo", "si", "pe", "da", "gu", "fe", "zo", "ba", "ri",
        "mo", "tu", "le", "ni", "sa", "ho", "we", "ji", "co", "an", "el", "is", "or", "ul", "ex",
        "ar", "in",
    ];
    let mut r = rank + 1;
    while r > 0 {
        out.push_str(SYLLABLES[(r % 32) as usize]);
        r /= 32;
    }
}

/// An entry's text: Zipf-distributed words (rank ~ exp(U·ln V)), in sentences.
fn entry_text(seed: u64) -> String {
    let mut out = String::with_capacity(ENTRY_WORDS * 8);
    let mut x = seed;
    for i in 0..ENTRY_WORDS {
        x = mix(x);
        let u = (x >> 11) as f64 / (1u64 << 53) as f64;
        let rank = ((u * (VOCABULARY as f64).ln()).exp() as u64).min(VOCABULARY - 1);
        if i > 0 {
            out.push(if i % 16 == 0 { '\n' } else { ' ' });
        }
        word(rank, &mut out);
        if i % 16 == 15 {
            out.push('.');
        }
    }
    out.push('.');
    out
}

fn feed_xml(feed: u64, entries: usize) -> String {
    let mut xml = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><rss version=\"2.0\"><channel>\
         <title>Bench feed {feed}</title><link>http://bench.example/{feed}/</link>\
         <description>a feed of the poll-cycle benchmark</description>"
    );
    for i in 0..entries as u64 {
        let text = entry_text(mix(feed << 20 | i));
        let paragraphs: String = text.lines().map(|l| format!("<p>{l}</p>")).collect();
        let minute = (feed * 7 + i * 37) % (24 * 60);
        let _ = write!(
            xml,
            "<item><guid isPermaLink=\"false\">bench-{feed}-{i}</guid>\
             <link>http://bench.example/{feed}/{i}</link><title>Entry {i} of feed {feed}</title>\
             <pubDate>Sun, 22 Nov 2026 {:02}:{:02}:00 GMT</pubDate>\
             <description><![CDATA[{paragraphs}]]></description></item>",
            minute / 60,
            minute % 60
        );
    }
    xml.push_str("</channel></rss>");
    xml
}

async fn serve_feed(
    State(feeds): State<Arc<Feeds>>,
    Path(name): Path<String>,
    headers: HeaderMap,
) -> Response {
    feeds.requests.fetch_add(1, Ordering::Relaxed);
    let Some(n) = name
        .strip_suffix(".xml")
        .and_then(|n| n.parse::<u64>().ok())
    else {
        return (StatusCode::NOT_FOUND, "no such feed").into_response();
    };
    let extra = if n % 10 == 0 {
        feeds.extra.load(Ordering::Relaxed) as usize
    } else {
        0
    };
    let etag = format!("\"{n}-{extra}\"");
    let conditional = feeds.mode.load(Ordering::Relaxed) == Mode::Conditional as u8;
    if conditional
        && headers
            .get(header::IF_NONE_MATCH)
            .is_some_and(|v| v.as_bytes() == etag.as_bytes())
    {
        feeds.not_modified.fetch_add(1, Ordering::Relaxed);
        return StatusCode::NOT_MODIFIED.into_response();
    }
    (
        [
            (header::CONTENT_TYPE, "application/rss+xml".to_string()),
            (header::ETAG, etag),
        ],
        feed_xml(n, feeds.entries + extra),
    )
        .into_response()
}

/// What one run of the binary cost.
struct Run {
    wall: Duration,
    cpu: Duration,
    max_rss_kib: i64,
    summary: serde_json::Value,
}

/// Runs the binary and waits for it with `wait4`, which reports the child's own CPU and peak RSS.
// The child is reaped by `wait4`, not `Child::wait`.
#[allow(clippy::zombie_processes)]
fn run(
    bin: &std::path::Path,
    db: &std::path::Path,
    config: &std::path::Path,
    args: &[&str],
) -> Run {
    let started = Instant::now();
    let child = std::process::Command::new(bin)
        .arg("--db")
        .arg(db)
        .arg("--config")
        .arg(config)
        .args(["--log-level", "error"])
        .args(args)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("starting {}: {e}", bin.display()));
    let pid = child.id() as libc::pid_t;
    let stdout = child.stdout;
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        if let Some(mut out) = stdout {
            let _ = std::io::Read::read_to_string(&mut out, &mut s);
        }
        s
    });
    let mut status = 0;
    // SAFETY: an all-zero rusage is valid; wait4 fills it for our own child.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: waiting for our own child, with valid pointers.
    let r = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    let wall = started.elapsed();
    assert_eq!(r, pid, "wait4 failed");
    assert!(
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        "newsdedup {args:?} failed ({status})"
    );
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    let out = reader.join().unwrap_or_default();
    Run {
        wall,
        cpu: tv(usage.ru_utime) + tv(usage.ru_stime),
        max_rss_kib: usage.ru_maxrss,
        summary: serde_json::from_str(&out).unwrap_or(serde_json::Value::Null),
    }
}

fn main() -> anyhow::Result<()> {
    let mut feeds_n: u64 = 10_000;
    let mut entries: usize = 20;
    let mut bin = PathBuf::from("target/release/newsdedup");
    let mut dir = PathBuf::from("/tmp/poll-cycle");
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut value = || {
            args.next()
                .ok_or_else(|| anyhow::anyhow!("{a} needs a value"))
        };
        match a.as_str() {
            "--feeds" => feeds_n = value()?.parse()?,
            "--entries" => entries = value()?.parse()?,
            "--bin" => bin = value()?.into(),
            "--dir" => dir = value()?.into(),
            other => anyhow::bail!(
                "unknown argument {other:?}; usage: poll_cycle [--feeds N] [--entries N] [--bin PATH] [--dir PATH]"
            ),
        }
    }
    anyhow::ensure!(
        bin.exists(),
        "{} not found: run `cargo build --release` first, or pass --bin",
        bin.display()
    );
    std::fs::create_dir_all(&dir)?;
    let db = dir.join("poll.db");
    for suffix in ["", "-wal", "-shm", ".lock"] {
        let mut p = db.clone().into_os_string();
        p.push(suffix);
        let _ = std::fs::remove_file(p);
    }

    let feeds = Arc::new(Feeds {
        entries,
        mode: AtomicU8::new(Mode::Conditional as u8),
        extra: AtomicU64::new(0),
        requests: AtomicU64::new(0),
        not_modified: AtomicU64::new(0),
    });
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()?;
    let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))?;
    let addr = listener.local_addr()?;
    let app = axum::Router::new()
        .route("/f/{name}", axum::routing::get(serve_feed))
        .with_state(feeds.clone());
    runtime.spawn(async move { axum::serve(listener, app).await });

    let config = dir.join("bench-config.toml");
    std::fs::write(
        &config,
        "feeds = []\n\n[fetch]\n# One local server stands for many hosts.\nper_host_spacing = \"0s\"\n\
         per_host_concurrency = 16\nglobal_concurrency = 16\n",
    )?;
    let mut opml = String::from("<?xml version=\"1.0\"?><opml version=\"2.0\"><head/><body>");
    for n in 0..feeds_n {
        let _ = write!(
            opml,
            "<outline type=\"rss\" text=\"bench {n}\" xmlUrl=\"http://{addr}/f/{n}.xml\"/>"
        );
    }
    opml.push_str("</body></opml>");
    let opml_path = dir.join("feeds.opml");
    std::fs::write(&opml_path, opml)?;
    let import = run(
        &bin,
        &db,
        &config,
        &[
            "feeds",
            "import",
            "--full-text",
            "never",
            opml_path.to_str().unwrap_or(""),
        ],
    );
    println!(
        "{feeds_n} feeds × {entries} entries from http://{addr}/ (import: {:.1} s)\n",
        import.wall.as_secs_f64()
    );
    println!(
        "{:<16} {:>9} {:>9} {:>10} {:>12} {:>10} {:>8}",
        "cycle", "wall s", "CPU s", "peak MiB", "CPU/feed ms", "entries", "new"
    );
    let report = |name: &str, r: &Run| {
        println!(
            "{:<16} {:>9.2} {:>9.2} {:>10.1} {:>12.3} {:>10} {:>8}",
            name,
            r.wall.as_secs_f64(),
            r.cpu.as_secs_f64(),
            r.max_rss_kib as f64 / 1024.0,
            r.cpu.as_secs_f64() * 1000.0 / feeds_n as f64,
            r.summary["entries"],
            r.summary["new"],
        );
    };

    let cold = run(&bin, &db, &config, &["poll", "--json"]);
    report("1 cold", &cold);
    let before = feeds.not_modified.load(Ordering::Relaxed);
    let not_modified = run(&bin, &db, &config, &["poll", "--json"]);
    report("2 all 304", &not_modified);
    let answered_304 = feeds.not_modified.load(Ordering::Relaxed) - before;
    feeds.mode.store(Mode::AlwaysFull as u8, Ordering::Relaxed);
    let unchanged = run(&bin, &db, &config, &["poll", "--json"]);
    report("3 unchanged 200", &unchanged);
    feeds.mode.store(Mode::Conditional as u8, Ordering::Relaxed);
    feeds.extra.store(2, Ordering::Relaxed);
    let steady = run(&bin, &db, &config, &["poll", "--json"]);
    report("4 steady", &steady);
    let one_feed = format!("http://{addr}/f/1.xml");
    let fixed = run(&bin, &db, &config, &["poll", "--json", &one_feed]);
    report("one feed", &fixed);

    let marginal = |r: &Run| {
        (r.cpu.saturating_sub(fixed.cpu)).as_secs_f64() * 1000.0 / (feeds_n.max(2) - 1) as f64
    };
    println!(
        "\n304 answers in cycle 2: {answered_304} of {feeds_n}; requests in all: {}",
        feeds.requests.load(Ordering::Relaxed)
    );
    println!(
        "fixed cost of one run (start, index rebuild, close): {:.2} s CPU, {:.2} s wall",
        fixed.cpu.as_secs_f64(),
        fixed.wall.as_secs_f64()
    );
    println!(
        "CPU per feed without it: 304 {:.3} ms, unchanged 200 {:.3} ms, steady {:.3} ms",
        marginal(&not_modified),
        marginal(&unchanged),
        marginal(&steady)
    );
    Ok(())
}
