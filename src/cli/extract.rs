//! `newsdedup extract [--json] PATH|URL...`: the article extractor on saved pages (`.html`,
//! `.html.gz`, any file of HTML) or URLs, printing what it found — for checking why an article
//! came out as it did. A bad input (unreadable, or over a limit of `[limits]`, such as
//! `extract_time`) is reported by name and the others still run.

use anyhow::{Context, Result, anyhow, bail};
use newsdedup::config::Config;
use newsdedup::extract::{Extracted, extract_page};
use newsdedup::fetch::{FetchOutcome, FetchRequest, Fetcher, Reach};
use std::io::Read;
use std::path::Path;
use std::process::ExitCode;

#[derive(clap::Args, Debug)]
pub struct ExtractArgs {
    /// Saved pages (.html, .html.gz) or http(s) URLs.
    #[arg(required = true, value_name = "PATH|URL")]
    inputs: Vec<String>,
    /// One JSON object per input (keys input, title, author, published, language,
    /// canonical_url, text), one a line.
    #[arg(long)]
    json: bool,
}

fn is_url(s: &str) -> bool {
    let l = s.to_ascii_lowercase();
    l.starts_with("http://") || l.starts_with("https://")
}

fn read_file(path: &Path) -> Result<Vec<u8>> {
    let raw = std::fs::read(path).context("reading")?;
    if raw.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(raw.as_slice())
            .read_to_end(&mut out)
            .context("not valid gzip")?;
        Ok(out)
    } else {
        Ok(raw)
    }
}

async fn fetch(fetcher: &Fetcher, url: &str) -> Result<(Vec<u8>, Option<String>, String)> {
    // The operator typed the URL: it and its redirects may go anywhere.
    match fetcher
        .fetch(FetchRequest::new(url).reaching(Reach::Anywhere))
        .await
    {
        FetchOutcome::Ok(f) => Ok((f.body, f.meta.content_type, f.meta.url)),
        FetchOutcome::Failed(e) => Err(anyhow!("{e}")),
        other => bail!(
            "{url}: HTTP {}",
            other
                .status()
                .map_or("error".to_string(), |s| s.to_string())
        ),
    }
}

fn print_text(input: &str, e: &Extracted) {
    let opt = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".to_string());
    println!("== {input}");
    println!("title:         {}", opt(&e.title));
    println!("author:        {}", opt(&e.author));
    println!(
        "published:     {}",
        e.published.map_or("-".to_string(), |d| d.to_rfc3339())
    );
    println!("language:      {}", opt(&e.language));
    println!("canonical_url: {}", opt(&e.canonical_url));
    println!();
    println!("{}", e.text);
    println!();
}

pub async fn run(args: ExtractArgs, config: Config) -> Result<ExitCode> {
    let mut fetcher: Option<Fetcher> = None;
    let mut failed = 0;
    for input in &args.inputs {
        let page = if is_url(input) {
            if fetcher.is_none() {
                fetcher = Some(
                    Fetcher::new(newsdedup::daemon::fetch_config(&config))
                        .map_err(|e| anyhow!("{e}"))?,
                );
            }
            fetch(fetcher.as_ref().expect("set above"), input)
                .await
                .map(|(b, ct, url)| (b, ct, Some(url)))
        } else {
            read_file(Path::new(input)).map(|b| (b, None, None))
        };
        let (bytes, content_type, url) = match page {
            Ok(p) => p,
            Err(e) => {
                let msg = format!("{e:#}");
                if msg.starts_with(input.as_str()) {
                    eprintln!("newsdedup: {msg}");
                } else {
                    eprintln!("newsdedup: {input}: {msg}");
                }
                failed += 1;
                continue;
            }
        };
        let limits = config.limits.clone();
        let e = tokio::task::spawn_blocking(move || {
            extract_page(&bytes, content_type.as_deref(), url.as_deref(), &limits)
        })
        .await
        .context("the extraction stopped")?;
        let e = match e {
            Ok(e) => e,
            Err(e) => {
                eprintln!("newsdedup: {input}: {e}");
                failed += 1;
                continue;
            }
        };
        if args.json {
            let v = serde_json::to_value(&e)?;
            let obj = serde_json::json!({
                "input": input,
                "title": v["title"],
                "author": v["author"],
                "published": v["published"],
                "language": v["language"],
                "canonical_url": v["canonical_url"],
                "text": v["text"],
            });
            println!("{obj}");
        } else {
            print_text(input, &e);
        }
    }
    Ok(if failed > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}
