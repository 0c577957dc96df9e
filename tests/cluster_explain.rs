//! `newsdedup cluster ID` says why each member belongs: the share of its text found in the
//! canonical copy and the reverse, the simhash distance, and the rule that admitted it. The
//! expected shares are worked out here from the texts themselves (normalized and fingerprinted as
//! the library does), not read from the report.

mod common;

use common::TestDb;
use common::syndication::{Original, originals};
use newsdedup::fingerprint::{Fingerprint, fingerprint, overlap};
use newsdedup::normalize::normalize;
use serde_json::{Value, json};

/// The fingerprint the pipeline gives a plain text (no title line, no learned boilerplate).
fn fp(text: &str) -> Fingerprint {
    let n = normalize(text);
    fingerprint(n.paragraphs.iter().map(|p| p.tokens.as_slice()))
}

/// The share of `a`'s sketch found in `b`'s.
fn share(a: &Fingerprint, b: &Fingerprint) -> f64 {
    overlap(a.sketch.values(), b.sketch.values()) as f64 / a.sketch.len() as f64
}

/// The leading paragraphs of an original holding about `part` of its words.
fn leading(o: &Original, part: f64) -> Vec<String> {
    let goal = (o.words() as f64 * part).round() as usize;
    let mut words = 0;
    o.paragraphs
        .iter()
        .take_while(|p| {
            let take = words < goal;
            words += p.split_whitespace().count();
            take
        })
        .cloned()
        .collect()
}

fn record(id: &str, source: &str, hour: u32, title: &str, text: &str) -> Value {
    json!({
        "id": id,
        "url": format!("https://{source}.example/{id}"),
        "source": source,
        "title": title,
        "published": format!("2026-03-02T{hour:02}:00:00Z"),
        "text": text,
    })
}

/// The member with this id in a `cluster --json` report.
fn member<'a>(report: &'a Value, url: &str) -> &'a Value {
    report["members"]
        .as_array()
        .expect("members")
        .iter()
        .find(|m| m["url"] == url)
        .unwrap_or_else(|| panic!("{url} is not in {report}"))
}

fn number(v: &Value, what: &str) -> f64 {
    v.as_f64()
        .unwrap_or_else(|| panic!("{what} is not a number: {v}"))
}

/// The report gives shares to four decimals.
fn close(got: f64, want: f64, what: &str) {
    assert!((got - want).abs() <= 1e-4, "{what}: {got}, expected {want}");
}

#[tokio::test]
async fn each_member_shows_its_share_of_the_canonical_text_both_ways() {
    let all = originals();
    let wire = &all[0];
    let local = &all[1];
    let original = wire.text();
    let cut = leading(wire, 0.6).join("\n\n");
    // The whole story with the local outlet's own paragraphs (another text) after it.
    let own = leading(local, 0.5);
    let added = format!("{original}\n\n{}", own.join("\n\n"));

    let db = TestDb::new();
    let input = db.file("copies.jsonl");
    common::write_jsonl(
        &input,
        &[
            record("wire-1", "wire", 8, "Flood barrier holds", &original),
            record("cut-1", "cutter", 9, "Barrier holds", &cut),
            record(
                "local-1",
                "localpaper",
                10,
                "Our town and the barrier",
                &added,
            ),
        ],
    );
    let summary = db.ingest(&[&input]);
    assert_eq!(summary["near_duplicate"], 2, "{summary}");
    let pool = db.pool().await;
    let wire_url = "https://wire.example/wire-1";
    let cluster = common::cluster_of_url(&pool, wire_url).await;
    let report = db.run_json(&["cluster", &cluster.to_string(), "--json"]);
    assert_eq!(report["size"], 3, "{report}");
    assert_eq!(member(&report, wire_url)["canonical"], true);

    let (fo, fc, fa) = (fp(&original), fp(&cut), fp(&added));
    // What the construction promises, whatever the hash: a cut copy is all in its original and
    // holds about 60% of it; the local copy holds all of the original and is a third its own.
    assert!(share(&fc, &fo) > 0.99, "{}", share(&fc, &fo));
    assert!((0.5..0.7).contains(&share(&fo, &fc)), "{}", share(&fo, &fc));
    assert!(
        (0.55..0.8).contains(&share(&fa, &fo)),
        "{}",
        share(&fa, &fo)
    );
    assert!(share(&fo, &fa) > 0.99, "{}", share(&fo, &fa));

    for (url, f) in [
        ("https://cutter.example/cut-1", &fc),
        ("https://localpaper.example/local-1", &fa),
    ] {
        let m = &member(&report, url)["membership"];
        close(
            number(&m["in_canonical"], "in_canonical"),
            share(f, &fo),
            url,
        );
        close(
            number(&m["canonical_in_member"], "canonical_in_member"),
            share(&fo, f),
            url,
        );
        assert_eq!(m["sketch_entries"], f.sketch.len(), "{url}: {m}");
        assert_eq!(
            m["shared_entries"],
            overlap(f.sketch.values(), fo.sketch.values()),
            "{url}: {m}"
        );
        assert_eq!(
            member(&report, url)["distance"],
            f.simhash.distance(fo.simhash),
            "{url}"
        );
        assert_eq!(m["joined_by"], "containment", "{url}: {m}");
        let matched = number(&m["matched_containment"], "matched_containment");
        assert!((0.5..=1.0).contains(&matched), "{url}: {m}");
        assert!(m["matched_article"].is_i64(), "{url}: {m}");
        assert!(m["matched_distance"].is_u64(), "{url}: {m}");
    }
    // The local paragraphs lower the share of its text found in the canonical copy, not the
    // reverse.
    let cut_m = &member(&report, "https://cutter.example/cut-1")["membership"];
    let local_m = &member(&report, "https://localpaper.example/local-1")["membership"];
    assert!(
        number(&local_m["in_canonical"], "") < number(&cut_m["in_canonical"], "") - 0.2,
        "{local_m} {cut_m}"
    );
    // Every member's shares are numbers in [0, 1].
    for m in report["members"].as_array().unwrap() {
        for field in ["in_canonical", "canonical_in_member"] {
            let v = number(&m["membership"][field], field);
            assert!((0.0..=1.0).contains(&v), "{field} {v}: {m}");
        }
        assert!(m["membership"]["joined_by"].is_string(), "{m}");
    }
    let canon = &member(&report, wire_url)["membership"];
    assert_eq!(canon["joined_by"], "started", "{canon}");
    assert!(canon.get("matched_article").is_none(), "{canon}");

    // The editor's view: one line per member with the same figures.
    let text = db.run_ok(&["cluster", &cluster.to_string()]);
    let pct = |s: f64| format!("{:.0}%", 100.0 * s);
    let line = format!(
        "{} of its text is in the canonical copy, {} the other way",
        pct(share(&fc, &fo)),
        pct(share(&fo, &fc))
    );
    assert!(text.contains(&line), "no {line:?} in:\n{text}");
    let line = format!(
        "{} of its text is in the canonical copy, {} the other way",
        pct(share(&fa, &fo)),
        pct(share(&fo, &fa))
    );
    assert!(text.contains(&line), "no {line:?} in:\n{text}");
    assert_eq!(
        text.matches("joined by containment with article").count(),
        2,
        "{text}"
    );
    assert!(text.contains("it started the cluster"), "{text}");
}

#[tokio::test]
async fn short_copies_are_explained_by_distance_and_merged_clusters_by_their_merge() {
    let all = originals();
    let story = &all[2];
    let db = TestDb::new();
    let input = db.file("short.jsonl");
    // A brief too short to sample enough shingles (under 6), republished word for word.
    let brief = "Police closed the river road after a lorry shed its load near the old mill.";
    // Two partial copies overlapping by a fifth of the story, then the whole story.
    let head = leading(story, 0.6);
    let tail: Vec<String> = story.paragraphs[story.paragraphs.len() - head.len()..].to_vec();
    common::write_jsonl(
        &input,
        &[
            record("brief-1", "wire", 8, "Road closed", brief),
            record("brief-2", "copier", 9, "River road shut", brief),
            record("head", "first", 8, "Strike, part one", &head.join("\n\n")),
            record("tail", "second", 9, "Strike, part two", &tail.join("\n\n")),
            record("whole", "third", 10, "The strike", &story.text()),
        ],
    );
    let summary = db.ingest(&[&input]);
    assert_eq!(summary["rejected"], json!([]), "{summary}");
    let pool = db.pool().await;

    let brief_cluster = common::cluster_of_url(&pool, "https://wire.example/brief-1").await;
    assert!(fp(brief).sketch.len() < 6, "the brief must be short");
    let report = db.run_json(&["cluster", &brief_cluster.to_string(), "--json"]);
    let copy = &member(&report, "https://copier.example/brief-2")["membership"];
    assert_eq!(copy["joined_by"], "distance", "{copy}");
    assert_eq!(copy["matched_distance"], 0, "{copy}");
    let text = db.run_ok(&["cluster", &brief_cluster.to_string()]);
    assert!(text.contains("joined by distance with article"), "{text}");

    let merged = common::cluster_of_url(&pool, "https://first.example/head").await;
    assert_eq!(
        merged,
        common::cluster_of_url(&pool, "https://second.example/tail").await,
        "the whole story shows the two parts to be one text"
    );
    let report = db.run_json(&["cluster", &merged.to_string(), "--json"]);
    let merges = report["merges"].as_array().expect("merges listed");
    assert_eq!(merges.len(), 1, "{report}");
    let whole = member(&report, "https://third.example/whole");
    assert_eq!(merges[0]["by_article"], whole["article_id"], "{report}");
    assert_eq!(whole["membership"]["joined_by"], "containment");
    let started = report["members"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["membership"]["joined_by"] == "started")
        .count();
    assert_eq!(started, 2, "each part started a cluster: {report}");
    let text = db.run_ok(&["cluster", &merged.to_string()]);
    assert!(
        text.contains(&format!(
            "was merged into this one when article {} arrived",
            whole["article_id"]
        )),
        "{text}"
    );
}

/// The trailing paragraphs of an original holding about `part` of its words.
fn trailing(o: &Original, part: f64) -> Vec<String> {
    let goal = (o.words() as f64 * part).round() as usize;
    let mut words = 0;
    let mut out: Vec<String> = o
        .paragraphs
        .iter()
        .rev()
        .take_while(|p| {
            let take = words < goal;
            words += p.split_whitespace().count();
            take
        })
        .cloned()
        .collect();
    out.reverse();
    out
}

/// Containment as the clusterer defines it: the share of the smaller sketch found in the other.
fn containment(a: &Fingerprint, b: &Fingerprint) -> f64 {
    let small = a.sketch.len().min(b.sketch.len());
    overlap(a.sketch.values(), b.sketch.values()) as f64 / small as f64
}

#[tokio::test]
async fn each_member_shows_how_many_other_members_it_overlaps() {
    let all = originals();
    let story = &all[4];
    let own = leading(&all[3], 0.3).join("\n\n");
    // The original; a copy of its last 40% with the outlet's own text; a verbatim copy; a copy of
    // its first 60%, which shares nothing with the second copy.
    let texts = [
        ("a", story.text()),
        (
            "c",
            format!("{}\n\n{own}", trailing(story, 0.4).join("\n\n")),
        ),
        ("d", story.text()),
        ("b", leading(story, 0.6).join("\n\n")),
    ];
    let db = TestDb::new();
    let input = db.file("overlaps.jsonl");
    let records: Vec<Value> = texts
        .iter()
        .enumerate()
        .map(|(i, (id, text))| record(id, &format!("outlet{id}"), 8 + i as u32, id, text))
        .collect();
    common::write_jsonl(&input, &records);
    let summary = db.ingest(&[&input]);
    assert_eq!(summary["near_duplicate"], 3, "{summary}");
    let fps: Vec<Fingerprint> = texts.iter().map(|(_, t)| fp(t)).collect();
    let bridge = newsdedup::cluster::ClusterParams::default().bridge_containment;
    let overlapping = |i: usize| {
        (0..fps.len())
            .filter(|&j| j != i && containment(&fps[i], &fps[j]) >= bridge)
            .count()
    };
    // The construction: the first-60% copy and the last-40% copy share nothing.
    assert_eq!(overlapping(1), 2);
    assert_eq!(overlapping(3), 2);
    assert_eq!(overlapping(0), 3);

    let pool = db.pool().await;
    let cluster = common::cluster_of_url(&pool, "https://outleta.example/a").await;
    let report = db.run_json(&["cluster", &cluster.to_string(), "--json"]);
    assert_eq!(report["size"], 4, "{report}");
    for (i, (id, _)) in texts.iter().enumerate() {
        let m = &member(&report, &format!("https://outlet{id}.example/{id}"))["membership"];
        assert_eq!(m["overlaps_members"], overlapping(i), "{id}: {m}");
        assert_eq!(m["compared_members"], 3, "{id}: {m}");
    }
    let text = db.run_ok(&["cluster", &cluster.to_string()]);
    assert_eq!(
        text.matches("it overlaps 2 of 3 other members by 20% or more")
            .count(),
        2,
        "{text}"
    );
}
