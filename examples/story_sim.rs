//! Debug aid: story similarities among the seeds and the extraction-benchmark texts.
//! `cargo run --release --example story_sim -- ../shared`
use newsdedup::ingest::{ReadOptions, read_text_file};
use newsdedup::pipeline::prepare;
use newsdedup::story::{StoryParams, StoryVector, Weights, extract};

fn main() {
    let shared = std::path::PathBuf::from(std::env::args().nth(1).unwrap());
    let mut docs = Vec::new();
    let mut seeds: Vec<_> = std::fs::read_dir(shared.join("corpus/seeds"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    seeds.sort();
    for p in seeds {
        let doc = read_text_file(&p, std::fs::read(&p).unwrap(), &ReadOptions::default()).unwrap();
        docs.push(prepare(p.display().to_string(), doc).unwrap());
    }
    let gt: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(shared.join("bench/extraction/ground-truth.json")).unwrap(),
    )
    .unwrap();
    for (k, v) in gt.as_object().unwrap() {
        let line =
            serde_json::json!({"id": k, "url": v["url"], "text": v["articleBody"]}).to_string();
        let doc = newsdedup::ingest::parse_jsonl_line(&line, &ReadOptions::default()).unwrap();
        if let Ok(p) = prepare(v["url"].as_str().unwrap().to_string(), doc) {
            docs.push(p);
        }
    }
    let params = StoryParams::default();
    let feats: Vec<_> = docs
        .iter()
        .map(|d| {
            extract(
                d.title.as_deref(),
                d.text.paragraphs.iter().map(|p| p.text.as_str()),
            )
        })
        .collect();
    let mut w = Weights::default();
    for f in &feats {
        w.record(&f.features.iter().map(|x| x.0).collect::<Vec<_>>());
    }
    let vs: Vec<StoryVector> = feats
        .iter()
        .map(|f| StoryVector::build(f, &w, &params))
        .collect();
    for i in 0..5 {
        for j in i + 1..5 {
            println!("seed {i} ~ seed {j}: {:.3}", vs[i].cosine(&vs[j]));
        }
    }
    let mut best_seed_distractor = (0.0, 0, 0);
    for i in 0..5 {
        for j in 5..vs.len() {
            let c = vs[i].cosine(&vs[j]);
            if c > best_seed_distractor.0 {
                best_seed_distractor = (c, i, j);
            }
        }
    }
    println!(
        "max seed~distractor: {:.3} (seed {} ~ {})",
        best_seed_distractor.0, best_seed_distractor.1, docs[best_seed_distractor.2].origin
    );
    let mut pairs = Vec::new();
    for i in 0..vs.len() {
        for j in (i + 1).max(5)..vs.len() {
            pairs.push((vs[i].cosine(&vs[j]), i, j));
        }
    }
    pairs.sort_by(|a, b| b.0.total_cmp(&a.0));
    for t in [0.25, 0.3, 0.35, 0.4, 0.45] {
        println!(
            "distractor pairs >= {t}: {}",
            pairs.iter().filter(|p| p.0 >= t).count()
        );
    }
    for (c, i, j) in pairs.iter().take(40).skip(25) {
        println!(
            "{c:.3} {} ~ {}",
            &docs[*i].origin[..docs[*i].origin.len().min(90)],
            &docs[*j].origin[..docs[*j].origin.len().min(90)]
        );
    }
}
