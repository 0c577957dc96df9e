//! Story assignment time per article with N stored articles inside the time window.
//!
//! `cargo bench --bench story` (N = 1,000,000; set NEWSDEDUP_BENCH_STORIES to change it).
//! Stored articles get 64 features each, drawn from a Zipf-like vocabulary of 2M features, all
//! published within the window, so every one of them is a possible link. The measured step is
//! what the pipeline does for an article that starts a cluster: weigh its features into a vector
//! and assign it to a story (candidate lookup, cosine checks, insertion).

use criterion::{Criterion, criterion_group, criterion_main};
use newsdedup::document::{ArticleId, ClusterId};
use newsdedup::story::features::{Kind, StoryFeatures};
use newsdedup::story::{StoryParams, Storyteller};
use std::time::Duration;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// A feature id, Zipf-like: small ids are common.
    fn feature(&mut self) -> u32 {
        let u = (self.next() % 1_000_000) as f64 / 1_000_000.0;
        (2_000_000f64.powf(u)) as u32
    }
}

fn article(rng: &mut Rng) -> StoryFeatures {
    let mut ids: Vec<u32> = (0..120).map(|_| rng.feature()).collect();
    ids.sort_unstable();
    ids.dedup();
    StoryFeatures {
        features: ids
            .into_iter()
            .map(|i| {
                (
                    i,
                    if i % 5 == 0 { Kind::Name } else { Kind::Term },
                    1 + i % 3,
                )
            })
            .collect(),
    }
}

fn bench(c: &mut Criterion) {
    let n: usize = std::env::var("NEWSDEDUP_BENCH_STORIES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let mut rng = Rng(0x2545_F491_4F6C_DD1D);
    let mut t = Storyteller::new(StoryParams::default());
    let now = chrono::Utc::now();
    eprintln!("building a store of {n} articles in the window...");
    for i in 0..n {
        let f = article(&mut rng);
        let ids: Vec<u32> = f.features.iter().map(|x| x.0).collect();
        t.record_features(&ids);
        let v = t.vector(&f);
        let published = now - chrono::Duration::seconds((i % (60 * 3600)) as i64);
        t.restore(
            ArticleId(i as i64),
            newsdedup::story::StoryId(i as i64),
            Some(published),
            &v,
        );
    }
    let mut next = n as i64;
    let mut g = c.benchmark_group("story");
    g.sample_size(20).measurement_time(Duration::from_secs(10));
    g.bench_function(format!("assign_with_{n}_in_window"), |b| {
        b.iter(|| {
            let f = article(&mut rng);
            let v = t.vector(&f);
            next += 1;
            t.assign(ArticleId(next), ClusterId(next), Some(now), &v)
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
