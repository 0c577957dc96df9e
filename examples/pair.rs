//! Debug aid: how two records of a JSON Lines corpus compare (sketch sizes, overlap, simhash).
//! `cargo run --release --example pair -- corpus.jsonl ID1 ID2 [ID3 ...]`
use newsdedup::fingerprint::fingerprint;
use newsdedup::ingest::{ReadOptions, parse_jsonl_line};
use newsdedup::pipeline::prepare;
use std::io::BufRead;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let want: Vec<&String> = args[2..].iter().collect();
    let f = std::io::BufReader::new(std::fs::File::open(&args[1]).unwrap());
    let mut fps = Vec::new();
    for line in f.lines() {
        let line = line.unwrap();
        let v: serde_json::Value = serde_json::from_str(&line).unwrap();
        let id = v["id"]
            .as_str()
            .or(v["url"].as_str())
            .unwrap_or("")
            .to_string();
        if !want.contains(&&id) {
            continue;
        }
        let doc = parse_jsonl_line(&line, &ReadOptions::default()).unwrap();
        let p = prepare(id.clone(), doc).unwrap();
        let fp = fingerprint(p.text.paragraphs.iter().map(|x| x.tokens.as_slice()));
        println!(
            "{id}: {} words, {} paragraphs, sketch {}, shingles {}",
            p.text.word_count(),
            p.text.paragraphs.len(),
            fp.sketch.len(),
            fp.shingles
        );
        fps.push((id, fp));
    }
    for i in 0..fps.len() {
        for j in i + 1..fps.len() {
            let (a, b) = (&fps[i].1, &fps[j].1);
            let o = a.sketch.overlap(&b.sketch);
            println!(
                "{} ~ {}: overlap {o}, containment {:.3}, jaccard {:.3}, hamming {}",
                fps[i].0,
                fps[j].0,
                o as f64 / a.sketch.len().min(b.sketch.len()).max(1) as f64,
                o as f64 / (a.sketch.len() + b.sketch.len() - o).max(1) as f64,
                a.simhash.distance(b.simhash)
            );
        }
    }
}
