//! Query time of the simhash index at 1M and 10M stored fingerprints, radius 3 (the default).
//!
//! The stored fingerprints are uniformly random 64-bit values, plus planted near neighbours of
//! half of the queries: two to four within the radius (distance 1-3) and one just outside it
//! (distance 4-6), so a query both finds and rejects something. Each index is built once per
//! process; one criterion iteration is one query, cycling through 10,000 query fingerprints.
//!
//! Run: `cargo bench --bench index`

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use newsdedup::cluster::SimhashIndex;
use newsdedup::fingerprint::Simhash;
use std::hint::black_box;
use std::time::{Duration, Instant};

const RADIUS: u32 = 3;
const QUERIES: usize = 10_000;

/// SplitMix64: the same stream on every platform.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// `v` with exactly `d` distinct bits flipped.
fn flip(rng: &mut Rng, v: u64, d: u32) -> u64 {
    let mut mask = 0u64;
    while mask.count_ones() < d {
        mask |= 1 << rng.below(64);
    }
    v ^ mask
}

struct Setup {
    index: SimhashIndex,
    queries: Vec<Simhash>,
    /// Planted neighbours within the radius, over all queries.
    planted_within: usize,
}

fn resident_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

fn build(n: usize) -> Setup {
    let mut rng = Rng(n as u64);
    let queries: Vec<u64> = (0..QUERIES).map(|_| rng.next()).collect();
    let mut planted = Vec::new();
    let mut planted_within = 0;
    for &q in queries.iter().step_by(2) {
        for _ in 0..2 + rng.below(3) {
            let d = 1 + rng.below(RADIUS as u64) as u32;
            planted.push(flip(&mut rng, q, d));
            planted_within += 1;
        }
        let d = RADIUS + 1 + rng.below(3) as u32;
        planted.push(flip(&mut rng, q, d));
    }
    let started = Instant::now();
    let before = resident_mb();
    let mut index = SimhashIndex::new(RADIUS);
    // The planted fingerprints are spread evenly through the random ones.
    let every = n / planted.len();
    let mut next_planted = planted.iter();
    for slot in 0..n {
        let fp = match slot % every {
            0 => next_planted.next().copied().unwrap_or_else(|| rng.next()),
            _ => rng.next(),
        };
        index.insert(Simhash(fp), slot as u32);
    }
    assert!(next_planted.next().is_none(), "every neighbour planted");
    let after = resident_mb();
    println!(
        "index of {n} fingerprints (radius {RADIUS}): built in {:.2}s{}",
        started.elapsed().as_secs_f64(),
        match (before, after) {
            (Some(b), Some(a)) => format!(", about {:.0} MB resident", a - b),
            _ => String::new(),
        }
    );
    Setup {
        index,
        queries: queries.into_iter().map(Simhash).collect(),
        planted_within,
    }
}

fn query_time(c: &mut Criterion) {
    let mut g = c.benchmark_group("simhash index");
    g.sample_size(50)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5));
    for (label, n) in [("1M", 1_000_000), ("10M", 10_000_000)] {
        let setup = build(n);
        // Every planted neighbour within the radius is found (a random fingerprint lands within
        // distance 3 of a query with probability ~1e-15, so nothing else is).
        let found: usize = setup
            .queries
            .iter()
            .map(|&q| {
                let mut k = 0;
                setup.index.for_each_within(q, |_, _| k += 1);
                k
            })
            .sum();
        assert_eq!(found, setup.planted_within, "{label}: neighbours found");
        g.bench_function(BenchmarkId::new("query, radius 3", label), |b| {
            let mut i = 0;
            b.iter(|| {
                let q = setup.queries[i % QUERIES];
                i += 1;
                let mut hits = 0u32;
                setup.index.for_each_within(black_box(q), |_, d| hits += d);
                black_box(hits)
            })
        });
    }
    g.finish();
}

criterion_group!(index_benches, query_time);
criterion_main!(index_benches);
