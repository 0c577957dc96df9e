//! Clusters are built on reporting only: an outlet's page template, a panel many outlets print,
//! and pages with nothing of their own never make two different articles one; a wire story
//! republished by many outlets still does.

mod common;

use common::{TestDb, write_jsonl};
use serde_json::{Value, json};
use std::collections::{HashMap, HashSet};

/// A deterministic source of words: sentences no two calls share.
struct Prose(u64);

const WORDS: &[&str] = &[
    "council",
    "river",
    "harbour",
    "budget",
    "school",
    "bridge",
    "farmers",
    "station",
    "museum",
    "election",
    "hospital",
    "court",
    "market",
    "festival",
    "library",
    "factory",
    "police",
    "airport",
    "mayor",
    "teachers",
    "drivers",
    "tenants",
    "storm",
    "orchard",
    "stadium",
    "ferry",
    "clinic",
    "railway",
    "bakery",
    "garden",
    "quarry",
    "theatre",
    "pension",
    "harvest",
    "tunnel",
    "reservoir",
    "parish",
    "union",
    "college",
    "brewery",
    "lighthouse",
    "vineyard",
    "canal",
    "approved",
    "delayed",
    "opened",
    "rejected",
    "repaired",
    "closed",
    "expanded",
    "funded",
    "reported",
    "announced",
    "questioned",
    "inspected",
    "moved",
    "sold",
    "rebuilt",
    "flooded",
];

impl Prose {
    fn word(&mut self) -> &'static str {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        WORDS[(self.0 >> 33) as usize % WORDS.len()]
    }

    /// A paragraph of about `words` words in sentences of 12, each with a number of its own.
    fn paragraph(&mut self, words: usize) -> String {
        let mut out = Vec::new();
        let mut n = 0;
        while n < words {
            let mut s: Vec<String> = (0..11).map(|_| self.word().to_string()).collect();
            s.insert(5, format!("{}", (self.0 >> 20) % 9000 + 100));
            s[0] = {
                let mut c = s[0].chars();
                c.next()
                    .map(|f| f.to_uppercase().chain(c).collect())
                    .unwrap_or_default()
            };
            out.push(format!("{}.", s.join(" ")));
            n += 12;
        }
        out.join(" ")
    }

    /// An article of `paragraphs` paragraphs of about 40 words.
    fn article(&mut self, paragraphs: usize) -> Vec<String> {
        (0..paragraphs).map(|_| self.paragraph(40)).collect()
    }
}

fn record(id: &str, source: &str, lines: &[String]) -> Value {
    json!({
        "id": id,
        "url": format!("https://{}/{id}", source.replace(' ', "").to_lowercase()),
        "source": source,
        "title": format!("Headline {id}"),
        "published": "2026-03-01T09:00:00Z",
        "text": lines.join("\n"),
    })
}

/// Ingests the records in order; returns the summary and each record's cluster by id.
async fn ingest(db: &TestDb, records: &[Value]) -> (Value, HashMap<String, i64>) {
    let input = db.file("input.jsonl");
    write_jsonl(&input, records);
    let summary = db.ingest(&[&input]);
    assert_eq!(summary["rejected"], json!([]), "{summary}");
    let pool = db.pool().await;
    let mut clusters = HashMap::new();
    for r in records {
        let url = r["url"].as_str().unwrap();
        clusters.insert(
            r["id"].as_str().unwrap().to_string(),
            common::cluster_of_url(&pool, url).await,
        );
    }
    (summary, clusters)
}

fn distinct(clusters: &HashMap<String, i64>) -> usize {
    clusters.values().collect::<HashSet<_>>().len()
}

/// One outlet's page template: 360 words in short blocks (menus, promotions, a subscription
/// box), the kind of lines a source's boilerplate is learned from.
fn template(p: &mut Prose) -> (Vec<String>, Vec<String>) {
    let head = (0..5).map(|_| p.paragraph(36)).collect();
    let foot = (0..5).map(|_| p.paragraph(36)).collect();
    (head, foot)
}

#[tokio::test]
async fn different_articles_in_one_outlets_long_template_stay_apart() {
    let db = TestDb::new();
    let mut p = Prose(0x7E3A_11C5);
    let (head, foot) = template(&mut p);
    // Six short articles (about 80 words) wrapped in the template, the first two included.
    let records: Vec<Value> = (0..6)
        .map(|i| {
            let mut lines = head.clone();
            lines.extend(p.article(2));
            lines.extend(foot.iter().cloned());
            record(&format!("t{i}"), "Valley Herald", &lines)
        })
        .collect();
    let (summary, clusters) = ingest(&db, &records).await;
    assert_eq!(summary["near_duplicate"], 0, "{summary}");
    assert_eq!(distinct(&clusters), 6, "{clusters:?}");
}

#[tokio::test]
async fn a_copy_in_the_same_outlet_still_joins_its_original() {
    let db = TestDb::new();
    let mut p = Prose(0x51DE_0017);
    let (head, foot) = template(&mut p);
    let story = p.article(6);
    // The story, another article, then the story again with a local paragraph added.
    let mut again = story.clone();
    again.push(p.paragraph(40));
    let mut records = Vec::new();
    for (i, body) in [story, p.article(2), again].iter().enumerate() {
        let mut lines = head.clone();
        lines.extend(body.iter().cloned());
        lines.extend(foot.iter().cloned());
        records.push(record(&format!("s{i}"), "Valley Herald", &lines));
    }
    let (_, clusters) = ingest(&db, &records).await;
    assert_eq!(clusters["s0"], clusters["s2"], "{clusters:?}");
    assert_ne!(clusters["s0"], clusters["s1"], "{clusters:?}");
}

#[tokio::test]
async fn a_panel_many_outlets_print_makes_no_cluster() {
    let db = TestDb::new();
    let mut p = Prose(0xFA4E_1234);
    // A registration panel of three short blocks (60 words), as a shared CMS prints it.
    let panel: Vec<String> = (0..3).map(|_| p.paragraph(20)).collect();
    // Twenty unrelated pages in twenty outlets: the first five carry a full article beside the
    // panel; on the others the crawl caught little but the panel (a teaser of about 36 words).
    let records: Vec<Value> = (0..20)
        .map(|i| {
            let mut lines = panel.clone();
            lines.extend(if i < 5 {
                p.article(4)
            } else {
                vec![p.paragraph(36)]
            });
            record(&format!("p{i}"), &format!("Outlet {i}"), &lines)
        })
        .collect();
    let (summary, clusters) = ingest(&db, &records).await;
    assert_eq!(summary["near_duplicate"], 0, "{summary}");
    assert_eq!(distinct(&clusters), 20, "{clusters:?}");
}

#[tokio::test]
async fn a_wire_story_republished_by_twenty_outlets_still_clusters() {
    let db = TestDb::new();
    let mut p = Prose(0x0A9E_5EED);
    let story = p.article(8);
    let mut records = Vec::new();
    // Other news in the same outlets first, so each outlet has a history.
    for i in 0..20 {
        records.push(record(
            &format!("o{i}"),
            &format!("Outlet {i}"),
            &p.article(5),
        ));
    }
    for i in 0..20 {
        let mut lines = story.clone();
        // Outlets edit: one drops the last paragraph, one adds a local one.
        match i % 3 {
            1 => {
                lines.pop();
            }
            2 => lines.push(p.paragraph(40)),
            _ => {}
        }
        records.push(record(&format!("w{i}"), &format!("Outlet {i}"), &lines));
    }
    let (summary, clusters) = ingest(&db, &records).await;
    let wire: HashSet<i64> = (0..20).map(|i| clusters[&format!("w{i}")]).collect();
    assert_eq!(wire.len(), 1, "{clusters:?}");
    assert_eq!(summary["near_duplicate"], 19, "{summary}");
    assert_eq!(summary["unreported"], 0, "{summary}");
}

#[tokio::test]
async fn a_page_of_nothing_but_furniture_is_stored_but_joins_nothing() {
    let db = TestDb::new();
    let mut p = Prose(0x0BAD_CAFE);
    let panel: Vec<String> = (0..2).map(|_| p.paragraph(24)).collect();
    let mut records = Vec::new();
    // An outlet prints its panel beside three articles (the panel is learned as its
    // boilerplate), then two crawls catch only the panel.
    for i in 0..3 {
        let mut lines = panel.clone();
        lines.extend(p.article(3));
        records.push(record(&format!("a{i}"), "Hill Times", &lines));
    }
    records.push(record("x0", "Hill Times", &panel));
    records.push(record("x1", "Hill Times", &panel));
    let (summary, clusters) = ingest(&db, &records).await;
    assert_eq!(summary["unreported"], 2, "{summary}");
    assert_ne!(clusters["x0"], clusters["x1"], "{clusters:?}");
    assert_eq!(distinct(&clusters), 5, "{clusters:?}");
    let pool = db.pool().await;
    let unreported: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM articles a JOIN article_versions v
         ON v.version_id = a.latest_version_id WHERE v.reported = 0",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(unreported, 2);
}

#[tokio::test]
async fn what_was_learned_is_rebuilt_from_the_store_at_start() {
    let db = TestDb::new();
    let mut p = Prose(0x5EED_0F0E);
    let panel: Vec<String> = (0..3).map(|_| p.paragraph(20)).collect();
    let page = |p: &mut Prose, i: usize| {
        let mut lines = panel.clone();
        lines.extend(if i < 5 {
            p.article(4)
        } else {
            vec![p.paragraph(36)]
        });
        record(&format!("p{i}"), &format!("Outlet {i}"), &lines)
    };
    // The panel is learned in one run; the pages that are mostly panel come in the next.
    let first: Vec<Value> = (0..5).map(|i| page(&mut p, i)).collect();
    let second: Vec<Value> = (5..20).map(|i| page(&mut p, i)).collect();
    let input = db.file("first.jsonl");
    write_jsonl(&input, &first);
    db.ingest(&[&input]);
    let (summary, clusters) = ingest(&db, &second).await;
    assert_eq!(summary["near_duplicate"], 0, "{summary}");
    assert_eq!(distinct(&clusters), 15, "{clusters:?}");
}

/// A story told in a template: sentences of 24 words, each with a name (from `names`) and a
/// figure (from `figure`) in the same places, the rest of the wording fixed by `seed`.
fn templated(seed: u64, names: &[&str], figure: impl Fn(usize) -> u64) -> Vec<String> {
    let mut p = Prose(seed);
    let mut at = 0;
    (0..6)
        .map(|_| {
            (0..3)
                .map(|_| {
                    let mut s: Vec<String> = (0..22).map(|_| p.word().to_string()).collect();
                    s[0] = format!("The {}", s[0]);
                    s.insert(5, format!("{}", figure(at)));
                    s.insert(14, names[at % names.len()].to_string());
                    at += 1;
                    format!("{}.", s.join(" "))
                })
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect()
}

#[tokio::test]
async fn template_stories_with_other_facts_stay_apart_and_edited_copies_join() {
    let db = TestDb::new();
    let seed = 0x7E57_FAC7;
    // One earnings-report-like template filled three times: other names, other figures.
    let original = templated(seed, &["Acme", "Brandt", "Calloway"], |i| {
        1000 + 37 * i as u64
    });
    let others = [
        templated(seed, &["Dunmore", "Ellery", "Fairweather"], |i| {
            4000 + 53 * i as u64
        }),
        templated(seed, &["Gorham", "Hollis", "Ingram"], |i| {
            7000 + 11 * i as u64
        }),
    ];
    let mut records = vec![record("original", "Wire Desk", &original)];
    records.push(record("template-same-outlet", "Wire Desk", &others[0]));
    records.push(record("template-other-outlet", "Harbor Post", &others[1]));
    // The copies outlets make of the original.
    let mut figure = original.clone();
    figure[2] = figure[2].replacen(&(1000 + 37 * 7).to_string(), "1999", 1);
    assert_ne!(figure, original);
    let cut = original[..4].to_vec();
    let mut local = original.clone();
    let mut p = Prose(0x10CA_1000);
    local.insert(2, p.paragraph(40));
    local.push(p.paragraph(40));
    for (id, outlet, lines) in [
        ("copy-one-figure", "Valley Times", &figure),
        ("copy-new-headline", "City Beacon", &original),
        ("copy-cut-to-60", "Metro Wire", &cut),
        ("copy-local-paragraphs", "Summit News", &local),
    ] {
        let mut r = record(id, outlet, lines);
        if id == "copy-new-headline" {
            r["title"] = json!("Acme and Brandt figures, in full");
        }
        records.push(r);
    }
    let (summary, clusters) = ingest(&db, &records).await;
    for id in [
        "copy-one-figure",
        "copy-new-headline",
        "copy-cut-to-60",
        "copy-local-paragraphs",
    ] {
        assert_eq!(clusters[id], clusters["original"], "{id}: {clusters:?}");
    }
    for id in ["template-same-outlet", "template-other-outlet"] {
        assert_ne!(clusters[id], clusters["original"], "{id}: {clusters:?}");
    }
    assert_ne!(
        clusters["template-same-outlet"],
        clusters["template-other-outlet"]
    );
    // Three clusters: the original with its four copies, and each template alone.
    assert_eq!(distinct(&clusters), 3, "{clusters:?}");
    assert_eq!(summary["unreported"], 0, "{summary}");
}
