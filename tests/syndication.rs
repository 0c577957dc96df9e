//! Syndication: copies edited the way outlets edit a wire story join their original's cluster,
//! `newsdedup cluster ID --json` shows each copy's edits and nothing else, and different articles
//! in the same site wrapper stay apart.

mod common;

use common::syndication::{
    Copy, Furniture, Original, SiteWrapper, copies, copies_by, originals, outlets_from,
};
use common::{TestDb, clean_text_of_url, cluster_of_url, write_jsonl};
use newsdedup::config::Config;
use newsdedup::document::ClusterId;
use newsdedup::ingest::ReadOptions;
use newsdedup::pipeline::{Pipeline, ingest_paths};
use newsdedup::store::{Store, StoreOptions};
use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use serde_json::Value;
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

const SEED: u64 = 0x5EED_2024_0514;

/// The lines only one of two texts has, marked - (expected) and + (got).
fn line_diff(expected: &str, got: &str) -> String {
    let e: Vec<&str> = expected.lines().collect();
    let g: Vec<&str> = got.lines().collect();
    let mut out = Vec::new();
    for l in &e {
        if !g.contains(l) {
            out.push(format!("- {l}"));
        }
    }
    for l in &g {
        if !e.contains(l) {
            out.push(format!("+ {l}"));
        }
    }
    out.join("\n")
}

/// Checks one copy's `edits` object against what the copy was built with.
fn check_edits(copy: &Copy, orig: &Original, edits: &Value) -> Result<(), String> {
    let what = format!(
        "copy of {} by {} (plan {:?})",
        orig.key, copy.outlet, copy.plan
    );
    let added = edits["added"].as_array().ok_or("no added")?;
    if !added.is_empty() {
        return Err(format!(
            "{what}: added sentences (furniture or comments kept?): {added:#?}"
        ));
    }
    // The headline.
    match (&copy.expected.title, edits.get("title")) {
        (None, None) => {}
        (None, Some(t)) => return Err(format!("{what}: title reported as changed: {t}")),
        (Some(_), None) => return Err(format!("{what}: the new headline is not reported")),
        (Some(new), Some(t)) => {
            if t["to"] != new.as_str() || t["from"] != orig.title.as_str() {
                return Err(format!(
                    "{what}: title edit {t}, expected {:?} → {new:?}",
                    orig.title
                ));
            }
        }
    }
    // The changed word: one changed sentence, whose only word edit is that word.
    let changed = edits["changed"].as_array().ok_or("no changed")?;
    match &copy.expected.changed_word {
        None if !changed.is_empty() => {
            return Err(format!(
                "{what}: unexpected changed sentences: {changed:#?}"
            ));
        }
        None => {}
        Some((old, new)) => {
            let expected = serde_json::json!([{"removed": old, "inserted": new}]);
            if changed.len() != 1 || changed[0]["words"] != expected {
                return Err(format!(
                    "{what}: expected one changed sentence with {old:?} → {new:?}, got {changed:#?}"
                ));
            }
            let from = changed[0]["from"].as_str().unwrap_or_default();
            let to = changed[0]["to"].as_str().unwrap_or_default();
            if !from.split(' ').any(|w| w == old) || !to.split(' ').any(|w| w == new) {
                return Err(format!(
                    "{what}: the changed sentence does not hold the word: {:#?}",
                    changed[0]
                ));
            }
        }
    }
    // The cut: exactly the sentences of the paragraphs the copy dropped, in order.
    let cut: Vec<&str> = edits["cut"]
        .as_array()
        .ok_or("no cut")?
        .iter()
        .map(|s| s.as_str().unwrap_or_default())
        .collect();
    let expected_cut = copy.expected.cut_paragraphs.join(" ");
    if cut.join(" ") != expected_cut {
        return Err(format!(
            "{what}: cut sentences {cut:#?}\nexpected the paragraphs {:#?}",
            copy.expected.cut_paragraphs
        ));
    }
    Ok(())
}

#[tokio::test]
async fn syndicated_copies_join_their_original_and_show_exactly_their_edits() {
    let originals = originals();
    let mut rng = StdRng::seed_from_u64(SEED);
    let copies = copies(&mut rng, &originals);
    assert_eq!(copies.len(), originals.len() * 5);
    for o in &originals {
        let w = o.words();
        assert!((400..=900).contains(&w), "{} has {w} words", o.key);
    }
    // Every kind of edit is in the mix, and truncation keeps 60-90% of the paragraphs.
    use common::syndication::Quotes;
    let has = |f: &dyn Fn(&Copy) -> bool| copies.iter().filter(|c| f(c)).count();
    assert!(has(&|c| c.plan.truncate) >= 5);
    assert!(has(&|c| c.plan.change_word) >= 5);
    assert!(has(&|c| c.plan.new_title) >= 5);
    assert!(has(&|c| c.plan.comments) >= 5);
    assert!(has(&|c| c.plan.html) >= 5);
    assert!(has(&|c| c.plan.quotes == Quotes::Curly) >= 5);
    assert!(has(&|c| c.plan.quotes == Quotes::Entities) >= 5);
    assert!(has(&|c| !c.plan.truncate && !c.plan.change_word && !c.plan.new_title) >= 5);
    for c in copies.iter().filter(|c| c.plan.truncate) {
        let n = originals[c.original].paragraphs.len();
        let kept = n - c.expected.cut_paragraphs.len();
        let share = kept as f64 / n as f64;
        assert!(
            (0.6..=0.9).contains(&share),
            "{kept} of {n} paragraphs kept"
        );
    }

    // One export holding the wire stories and their copies, in no particular order.
    let mut records: Vec<Value> = originals.iter().map(Original::record).collect();
    records.extend(copies.iter().map(|c| c.record.clone()));
    records.shuffle(&mut rng);
    let db = TestDb::new();
    let input = db.file("syndication.jsonl");
    write_jsonl(&input, &records);
    let summary = db.ingest(&[&input]);
    assert_eq!(
        summary["rejected"].as_array().map(Vec::len),
        Some(0),
        "{summary}"
    );
    assert_eq!(
        summary["new"],
        originals.len(),
        "one new cluster per story: {summary}"
    );
    assert_eq!(summary["near_duplicate"], copies.len(), "{summary}");

    let pool = db.pool().await;
    // Normalization keeps every paragraph of the originals as written.
    for o in &originals {
        assert_eq!(
            clean_text_of_url(&pool, &o.url()).await,
            o.clean_text(),
            "clean text of original {}",
            o.key
        );
    }
    // Five stories, five clusters; every copy in its original's.
    let mut cluster_of_original = Vec::new();
    for o in &originals {
        cluster_of_original.push(cluster_of_url(&pool, &o.url()).await);
    }
    let distinct: BTreeSet<_> = cluster_of_original.iter().collect();
    assert_eq!(distinct.len(), originals.len(), "different stories merged");
    let mut wrong = Vec::new();
    for c in &copies {
        let got = cluster_of_url(&pool, &c.url).await;
        if got != cluster_of_original[c.original] {
            wrong.push(format!(
                "{} by {} ({:?}) is in cluster {got}, its original in {}",
                originals[c.original].key, c.outlet, c.plan, cluster_of_original[c.original]
            ));
        }
    }
    assert!(
        wrong.is_empty(),
        "copies outside their original's cluster:\n{}",
        wrong.join("\n")
    );

    // Each copy's clean text is its own paragraphs: no furniture, no comments, one typography.
    let mut bad_text = Vec::new();
    for c in &copies {
        let clean = clean_text_of_url(&pool, &c.url).await;
        let leaked: Vec<&String> = c
            .furniture
            .iter()
            .chain(&c.comments)
            .filter(|l| clean.contains(l.as_str()))
            .collect();
        if !leaked.is_empty() {
            bad_text.push(format!(
                "{} by {}: clean text keeps {leaked:?}",
                originals[c.original].key, c.outlet
            ));
        } else if clean != c.expected.clean_text {
            bad_text.push(format!(
                "{} by {} ({:?}): clean text differs from the copy's paragraphs:\n{}",
                originals[c.original].key,
                c.outlet,
                c.plan,
                line_diff(&c.expected.clean_text, &clean)
            ));
        }
    }
    assert!(bad_text.is_empty(), "{}", bad_text.join("\n\n"));

    // `newsdedup cluster ID --json`: the original is canonical, each copy shows its edits only.
    let mut failures = Vec::new();
    for (i, o) in originals.iter().enumerate() {
        let id = cluster_of_original[i];
        let report = db.run_json(&["cluster", &id.to_string(), "--json"]);
        assert_eq!(report["cluster_id"], id);
        assert!(report.get("requested_id").is_none(), "{report}");
        let members = report["members"].as_array().unwrap();
        let mine: Vec<&Copy> = copies.iter().filter(|c| c.original == i).collect();
        assert_eq!(report["size"], mine.len() + 1);
        assert_eq!(members.len(), mine.len() + 1);
        assert_eq!(report["sources"], mine.len() + 1);
        let canonical: Vec<&Value> = members.iter().filter(|m| m["canonical"] == true).collect();
        assert_eq!(canonical.len(), 1);
        assert_eq!(
            canonical[0]["url"],
            o.url(),
            "the earliest published is canonical"
        );
        assert_eq!(members[0]["canonical"], true, "canonical member first");
        assert_eq!(report["canonical_article_id"], canonical[0]["article_id"]);
        assert!(canonical[0].get("edits").is_none());
        assert_eq!(canonical[0]["distance"], 0);
        let by_url: HashMap<&str, &Value> = members
            .iter()
            .map(|m| (m["url"].as_str().unwrap(), m))
            .collect();
        for c in mine {
            let m = by_url
                .get(c.url.as_str())
                .unwrap_or_else(|| panic!("{} not in cluster {id}", c.url));
            assert_eq!(m["source"], c.outlet);
            assert_eq!(m["canonical"], false);
            // The title shown is the copy's own (from the page's meta tags for HTML copies).
            let title = c.expected.title.as_deref().unwrap_or(&o.title);
            assert_eq!(m["title"], title, "{} by {}", o.key, c.outlet);
            assert!(m["published"].is_string(), "{m}");
            if let Err(e) = check_edits(c, o, &m["edits"]) {
                failures.push(e);
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} copies show other edits than their own:\n{}",
        failures.len(),
        copies.len(),
        failures.join("\n\n")
    );

    // The binary's JSON is the library report's serde form.
    let lib = newsdedup::report::cluster(&pool, ClusterId(cluster_of_original[0]))
        .await
        .unwrap();
    let bin = db.run_json(&["cluster", &cluster_of_original[0].to_string(), "--json"]);
    assert_eq!(serde_json::to_value(&lib).unwrap(), bin);

    // The human view names the edits too.
    let text = db.run_ok(&["cluster", &cluster_of_original[0].to_string()]);
    let first = copies
        .iter()
        .find(|c| c.original == 0 && c.expected.changed_word.is_some())
        .unwrap();
    let (old, new) = first.expected.changed_word.clone().unwrap();
    assert!(
        text.contains(&format!("[{old}] → [{new}]")),
        "human view lacks the changed word:\n{text}"
    );
    assert!(text.contains("cut: "), "{text}");
}

/// A line's words, lower-cased: how a furniture line is recognised in a clean text whatever
/// normalization did to its quotes, spaces and entities.
fn line_key(line: &str) -> String {
    line.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect::<Vec<_>>()
        .join(" ")
}

/// Floors of the copies with harvested furniture (measured when set, in the comments; raised as
/// the figures improve). The fixed furniture rules were not written from these lines, so most
/// of them stay in the first copies of each outlet until learned boilerplate knows them.
mod harvested {
    /// Copies outside their original's cluster.
    pub const MAX_COPIES_MISPLACED: usize = 0; // 0 of 25
    /// (copy, furniture line) pairs whose line is kept as a line of the copy's clean text (a line
    /// a copy carries twice counts twice).
    pub const MAX_LINES_KEPT: usize = 115; // 115 of 250
    /// Copies whose diff against the original shows other edits than their own (the kept
    /// furniture as added sentences).
    pub const MAX_COPIES_WRONG_EDITS: usize = 22; // 22 of 25
}

/// The copies of the test above with their outlets' furniture harvested from real pages
/// (`tests/common/furniture.rs`) instead of written for the tests: the same edits and the same
/// checks, counted and held to floors rather than required of every copy.
#[tokio::test]
async fn copies_with_harvested_furniture_join_their_original() {
    let Some(shared) = common::shared_dir() else {
        return;
    };
    let originals = originals();
    let outlets = outlets_from(&shared, Furniture::Harvested);
    let mut rng = StdRng::seed_from_u64(SEED);
    let copies = copies_by(&mut rng, &originals, &outlets);
    assert_eq!(copies.len(), originals.len() * 5);
    let furniture_lines: usize = copies.iter().map(|c| c.furniture.len()).sum();
    assert!(
        furniture_lines >= copies.len() * 9,
        "{furniture_lines} furniture lines"
    );

    let mut records: Vec<Value> = originals.iter().map(Original::record).collect();
    records.extend(copies.iter().map(|c| c.record.clone()));
    records.shuffle(&mut rng);
    let db = TestDb::new();
    let input = db.file("syndication.jsonl");
    write_jsonl(&input, &records);
    let summary = db.ingest(&[&input]);
    assert_eq!(
        summary["rejected"].as_array().map(Vec::len),
        Some(0),
        "{summary}"
    );
    let pool = db.pool().await;
    let mut cluster_of_original = Vec::new();
    for o in &originals {
        cluster_of_original.push(cluster_of_url(&pool, &o.url()).await);
    }
    let distinct: BTreeSet<_> = cluster_of_original.iter().collect();
    assert_eq!(distinct.len(), originals.len(), "different stories merged");

    let mut misplaced = Vec::new();
    let mut kept = Vec::new();
    for c in &copies {
        let got = cluster_of_url(&pool, &c.url).await;
        if got != cluster_of_original[c.original] {
            misplaced.push(format!(
                "{} by {} ({:?}) is in cluster {got}, its original in {}",
                originals[c.original].key, c.outlet, c.plan, cluster_of_original[c.original]
            ));
        }
        let clean = clean_text_of_url(&pool, &c.url).await;
        let lines: BTreeSet<String> = clean.lines().map(line_key).collect();
        for f in &c.furniture {
            let k = line_key(f);
            if !k.is_empty() && lines.contains(&k) {
                kept.push(format!(
                    "{} by {}: {f:?}",
                    originals[c.original].key, c.outlet
                ));
            }
        }
    }
    let mut wrong_edits = Vec::new();
    for (i, o) in originals.iter().enumerate() {
        let id = cluster_of_original[i];
        let report = db.run_json(&["cluster", &id.to_string(), "--json"]);
        let members = report["members"].as_array().unwrap();
        let by_url: HashMap<&str, &Value> = members
            .iter()
            .map(|m| (m["url"].as_str().unwrap(), m))
            .collect();
        for c in copies.iter().filter(|c| c.original == i) {
            if let Some(m) = by_url.get(c.url.as_str())
                && let Err(e) = check_edits(c, o, &m["edits"])
            {
                wrong_edits.push(e);
            }
        }
    }
    eprintln!(
        "harvested furniture: {} of {} copies misplaced; {} of {furniture_lines} furniture lines kept; {} copies with other edits",
        misplaced.len(),
        copies.len(),
        kept.len(),
        wrong_edits.len()
    );
    let mut failures = Vec::new();
    if misplaced.len() > harvested::MAX_COPIES_MISPLACED {
        failures.push(format!(
            "{} copies outside their original's cluster (floor: at most {}):\n{}",
            misplaced.len(),
            harvested::MAX_COPIES_MISPLACED,
            misplaced.join("\n")
        ));
    }
    if kept.len() > harvested::MAX_LINES_KEPT {
        failures.push(format!(
            "{} furniture lines kept in clean texts (floor: at most {}):\n{}",
            kept.len(),
            harvested::MAX_LINES_KEPT,
            kept.join("\n")
        ));
    }
    if wrong_edits.len() > harvested::MAX_COPIES_WRONG_EDITS {
        failures.push(format!(
            "{} copies show other edits than their own (floor: at most {}):\n{}",
            wrong_edits.len(),
            harvested::MAX_COPIES_WRONG_EDITS,
            wrong_edits.join("\n\n")
        ));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// Two different articles in one site's wrapper are not copies of each other; the wrapper is
/// the one written for the tests (about 150 words) or one harvested from a real site.
async fn different_articles_in_one_wrapper_stay_apart(wrapper: &SiteWrapper) {
    let originals = originals();
    // The two shortest stories: the wrapper is the largest share of their text.
    let mut by_length: Vec<&Original> = originals.iter().collect();
    by_length.sort_by_key(|o| o.words());
    let (a, b) = (by_length[0], by_length[1]);
    let what = format!("wrapper of {}", wrapper.origin);

    let db = TestDb::new();
    let input = db.file("courier.jsonl");
    write_jsonl(&input, &[wrapper.wrap(a), wrapper.wrap(b)]);
    let summary = db.ingest(&[&input]);
    assert_eq!(summary["new"], 2, "{what}: {summary}");
    assert_eq!(summary["near_duplicate"], 0, "{what}: {summary}");
    let pool = db.pool().await;
    let ca = cluster_of_url(&pool, &format!("https://lakesidecourier.example/{}", a.key)).await;
    let cb = cluster_of_url(&pool, &format!("https://lakesidecourier.example/{}", b.key)).await;
    assert_ne!(ca, cb, "{what}");
    let listed = db.run_json(&["clusters", "--json"]);
    assert_eq!(
        listed,
        serde_json::json!([]),
        "{what}: no cluster of two or more"
    );

    // The originals then arrive from the wire: each joins its own Courier copy, and still apart.
    let wire = db.file("wire.jsonl");
    write_jsonl(&wire, &[a.record(), b.record()]);
    let summary = db.ingest(&[&wire]);
    assert_eq!(summary["near_duplicate"], 2, "{what}: {summary}");
    assert_eq!(cluster_of_url(&pool, &a.url()).await, ca, "{what}");
    assert_eq!(cluster_of_url(&pool, &b.url()).await, cb, "{what}");
}

#[tokio::test]
async fn different_articles_in_the_same_site_wrapper_stay_apart() {
    let wrapper = SiteWrapper::written();
    let words = wrapper.words();
    assert!((140..=170).contains(&words), "wrapper of {words} words");
    different_articles_in_one_wrapper_stay_apart(&wrapper).await;
}

#[tokio::test]
async fn different_articles_in_a_harvested_site_wrapper_stay_apart() {
    let Some(shared) = common::shared_dir() else {
        return;
    };
    let wrapper = SiteWrapper::harvested(&shared);
    let words = wrapper.words();
    eprintln!("wrapper of {}, {words} words: {wrapper:#?}", wrapper.origin);
    assert!(words >= 150, "wrapper of {words} words");
    different_articles_in_one_wrapper_stay_apart(&wrapper).await;
}

/// Runs the library pipeline over one file.
async fn ingest_with(config: Config, db: &TestDb, input: &std::path::Path) {
    let store = Store::open(&db.path, StoreOptions::default())
        .await
        .unwrap();
    let mut pipeline = Pipeline::open(store, config).await.unwrap();
    let summary = ingest_paths(
        &mut pipeline,
        vec![input.to_path_buf()],
        ReadOptions::default(),
        Arc::new(AtomicBool::new(false)),
        |_| {},
    )
    .await
    .unwrap();
    assert!(summary.rejected.is_empty(), "{:?}", summary.rejected);
    pipeline.close().await.unwrap();
}

/// Five stories in one site's wrapper stay five clusters, with the wrapper in their clean texts
/// or (the default configuration, from the site's fourth article on) learned and dropped.
async fn five_stories_in_one_wrapper_stay_apart_and_the_wrapper_is_learned(wrapper: &SiteWrapper) {
    let originals = originals();
    let records: Vec<Value> = originals.iter().map(|o| wrapper.wrap(o)).collect();
    let url = |o: &Original| format!("https://lakesidecourier.example/{}", o.key);
    let what = format!("wrapper of {}", wrapper.origin);
    let longest = wrapper
        .header
        .iter()
        .chain(&wrapper.footer)
        .max_by_key(|l| l.len())
        .expect("a wrapper line");

    // Without learned boilerplate the wrapper is in every text; the stories still stay apart.
    let mut config = Config::default_config();
    config.boilerplate.min_articles = 0;
    let db = TestDb::new();
    let input = db.file("courier.jsonl");
    write_jsonl(&input, &records);
    ingest_with(config, &db, &input).await;
    let pool = db.pool().await;
    let mut clusters = BTreeSet::new();
    for o in &originals {
        clusters.insert(cluster_of_url(&pool, &url(o)).await);
        let clean = clean_text_of_url(&pool, &url(o)).await;
        assert!(
            clean.contains(longest.as_str()),
            "{what}: {longest:?} not in\n{clean}"
        );
    }
    assert_eq!(clusters.len(), originals.len(), "{what}");

    // With the default configuration, the site's repeated lines are learned after three
    // articles: from the fourth on, the clean text is the story alone.
    let db = TestDb::new();
    let input = db.file("courier.jsonl");
    write_jsonl(&input, &records);
    ingest_with(Config::default_config(), &db, &input).await;
    let pool = db.pool().await;
    let mut clusters = BTreeSet::new();
    for (i, o) in originals.iter().enumerate() {
        clusters.insert(cluster_of_url(&pool, &url(o)).await);
        if i >= 3 {
            assert_eq!(
                clean_text_of_url(&pool, &url(o)).await,
                o.clean_text(),
                "{what}: article {i} of the site: its wrapper is learned boilerplate"
            );
        }
    }
    assert_eq!(clusters.len(), originals.len(), "{what}");
}

#[tokio::test]
async fn five_stories_in_one_site_wrapper_stay_five_clusters_and_the_wrapper_is_learned() {
    five_stories_in_one_wrapper_stay_apart_and_the_wrapper_is_learned(&SiteWrapper::written())
        .await;
}

#[tokio::test]
async fn five_stories_in_a_harvested_site_wrapper_stay_five_clusters_and_it_is_learned() {
    let Some(shared) = common::shared_dir() else {
        return;
    };
    five_stories_in_one_wrapper_stay_apart_and_the_wrapper_is_learned(&SiteWrapper::harvested(
        &shared,
    ))
    .await;
}

/// Cookie banners as sites really word them run to 15–40 words; the diff must not show them.
#[tokio::test]
async fn long_cookie_notices_are_outlet_furniture() {
    let originals = originals();
    let orig = &originals[3];
    let notices = [
        "We use cookies to improve your experience on our site. By continuing to browse, you agree to our use of cookies.",
        "We use cookies to personalise content and ads, to provide social media features and to analyse our traffic.",
        "This website uses cookies to ensure you get the best experience on our website. Learn more in our cookie policy.",
        "By continuing to use this site, you agree to the use of cookies in accordance with our updated privacy and cookie policy.",
    ];
    let mut records = vec![orig.record()];
    for (i, notice) in notices.iter().enumerate() {
        let mut lines = vec![notice.to_string(), "Advertisement".to_string()];
        lines.extend(orig.paragraphs.iter().cloned());
        lines.push("Share this article".to_string());
        records.push(serde_json::json!({
            "id": format!("cookie-{i}"),
            "url": format!("https://site{i}.example/wildfire"),
            "source": format!("Site {i}"),
            "title": orig.title,
            "published": common::syndication::later(&orig.published, 1 + i as i64),
            "text": lines.join("\n\n"),
        }));
    }
    let db = TestDb::new();
    let input = db.file("cookies.jsonl");
    write_jsonl(&input, &records);
    let summary = db.ingest(&[&input]);
    assert_eq!(summary["near_duplicate"], notices.len(), "{summary}");
    let pool = db.pool().await;
    let mut leaked = Vec::new();
    for (i, notice) in notices.iter().enumerate() {
        let clean = clean_text_of_url(&pool, &format!("https://site{i}.example/wildfire")).await;
        if clean != orig.clean_text() {
            leaked.push(*notice);
        }
    }
    assert!(leaked.is_empty(), "kept as article text: {leaked:#?}");
    let id = cluster_of_url(&pool, &orig.url()).await;
    let report = db.run_json(&["cluster", &id.to_string(), "--json"]);
    for m in report["members"].as_array().unwrap().iter().skip(1) {
        assert_eq!(m["edits"]["added"], serde_json::json!([]), "{m}");
    }
}

/// A site that opens every page with its own slogan and then the headline: once the slogan is
/// learned as the site's boilerplate, the headline is again the first line, and it is the title,
/// not a sentence of the text.
#[tokio::test]
async fn headline_behind_learned_site_boilerplate_is_not_text() {
    let originals = originals();
    let records: Vec<Value> = originals
        .iter()
        .map(|o| {
            let mut lines = vec![
                "The Lakeside Courier: independent local journalism for the northern shore since 1978"
                    .to_string(),
                o.title.clone(),
            ];
            lines.extend(o.paragraphs.iter().cloned());
            serde_json::json!({
                "id": format!("courier-{}", o.key),
                "url": format!("https://lakesidecourier.example/{}", o.key),
                "source": "Lakeside Courier",
                "title": o.title,
                "text": lines.join("\n\n"),
            })
        })
        .collect();
    let db = TestDb::new();
    let input = db.file("courier.jsonl");
    write_jsonl(&input, &records);
    ingest_with(Config::default_config(), &db, &input).await;
    let pool = db.pool().await;
    // From the fourth article on, the slogan is learned: the text is the story alone.
    for o in &originals[3..] {
        let clean =
            clean_text_of_url(&pool, &format!("https://lakesidecourier.example/{}", o.key)).await;
        assert_eq!(clean, o.clean_text(), "{}", o.key);
    }
}
