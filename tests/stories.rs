//! Stories: the five seed reports of one Defence Ministry statement become one story of five
//! sources, whatever the order and whatever else is in the store, and the story shows where the
//! sources differ.

mod common;

use common::{TestDb, shared_dir};
use serde_json::Value;
use std::path::{Path, PathBuf};

fn seeds(shared: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(shared.join("corpus/seeds"))
        .expect("seeds folder")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "txt"))
        .collect();
    v.sort();
    assert_eq!(v.len(), 5);
    v
}

/// The 181 gold texts of the extraction benchmark, one JSON Lines file each (so they can be
/// interleaved with the seeds in any order).
fn distractors(shared: &Path, db: &TestDb) -> Vec<PathBuf> {
    let gt: Value = serde_json::from_str(
        &std::fs::read_to_string(shared.join("bench/extraction/ground-truth.json"))
            .expect("ground truth"),
    )
    .expect("JSON");
    let mut entries: Vec<(&String, &Value)> = gt.as_object().expect("object").iter().collect();
    entries.sort_by_key(|e| e.0);
    entries
        .iter()
        .enumerate()
        .map(|(i, (id, v))| {
            let p = db.file(&format!("d{i:03}.jsonl"));
            let rec = serde_json::json!({"id": id, "url": v["url"], "text": v["articleBody"]});
            std::fs::write(&p, format!("{rec}\n")).expect("writing");
            p
        })
        .collect()
}

fn seed_story(db: &TestDb) -> Value {
    let stories = db.run_json(&["stories", "--json", "--limit", "1000"]);
    let with_seeds: Vec<&Value> = stories
        .as_array()
        .expect("array")
        .iter()
        .filter(|s| s["sources"].as_i64() == Some(5) && s["size"].as_i64() == Some(5))
        .collect();
    assert_eq!(
        with_seeds.len(),
        1,
        "one story of five sources: {stories:#}"
    );
    let id = with_seeds[0]["story_id"].to_string();
    db.run_json(&["story", &id, "--json"])
}

/// The seed story's death-toll conflict: 144 in three sources, 114 in one, "more than 130" in
/// one, and no other value. Found by its values: its subject is whatever the words make it.
fn assert_death_toll(story: &Value) {
    let conflicts = story["conflicts"].as_array().expect("conflicts");
    let all = &story["conflicts"];
    let values = |c: &Value| -> Vec<(String, usize)> {
        let mut v: Vec<(String, usize)> = c["values"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| {
                (
                    v["value"].as_str().unwrap().to_string(),
                    v["sources"].as_array().unwrap().len(),
                )
            })
            .collect();
        v.sort();
        v
    };
    let toll = conflicts
        .iter()
        .find(|c| values(c).iter().any(|(v, _)| v == "144"))
        .unwrap_or_else(|| panic!("a conflict on 144: {all:#}"));
    assert_eq!(
        values(toll),
        [
            ("114".to_string(), 1),
            ("144".to_string(), 3),
            ("more than 130".to_string(), 1)
        ],
        "{toll:#}"
    );
}

fn sources_of(story: &Value) -> Vec<String> {
    let mut v: Vec<String> = story["members"]
        .as_array()
        .expect("members")
        .iter()
        .map(|m| m["source"].as_str().unwrap().to_string())
        .collect();
    v.sort();
    v
}

#[test]
fn the_seeds_are_one_story_of_five_sources_and_their_differences_show() {
    let Some(shared) = shared_dir() else { return };
    let db = TestDb::new();
    let paths = seeds(&shared);
    let refs: Vec<&Path> = paths.iter().map(PathBuf::as_path).collect();
    db.ingest(&refs);
    let story = seed_story(&db);
    assert_eq!(story["sources"], 5);
    // No two seeds share a near-duplicate cluster: they are rewrites.
    let mut clusters: Vec<i64> = story["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["cluster_id"].as_i64().unwrap())
        .collect();
    clusters.sort();
    clusters.dedup();
    assert_eq!(clusters.len(), 5);

    // The death toll: 144 in three sources, 114 in one, "more than 130" in one.
    assert_death_toll(&story);

    // The venue's five spellings are one name.
    let venue = story["names"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| {
            n["spellings"]
                .as_array()
                .unwrap()
                .iter()
                .any(|s| s["value"] == "Krokus")
        })
        .expect("a name group with Krokus");
    let spellings: Vec<&str> = venue["spellings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["value"].as_str().unwrap())
        .collect();
    for s in ["Crocus", "Krokus", "Crokus", "Crokes", "Crokos"] {
        assert!(spellings.contains(&s), "{s} in {spellings:?}");
    }
    assert_eq!(venue["name"], "Crocus");

    // Figures three or more sources agree on.
    let figure_sources = |value: &str| -> usize {
        story["figures"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["value"] == value)
            .map(|f| f["sources"].as_array().unwrap().len())
            .max()
            .unwrap_or(0)
    };
    assert!(figure_sources("16,000") >= 3);
    assert!(figure_sources("1,700") >= 3);
    assert!(figure_sources("100,000") >= 3);

    // Reader comments are never reporting.
    let all = serde_json::to_string(&story).unwrap();
    for comment in [
        "18-20 minutes",
        "6500 attendee",
        "Pootin",
        "Nog meer kanonnenvlees",
    ] {
        assert!(
            !all.contains(comment),
            "{comment:?} from seed 000's comments appears in the story"
        );
    }
    // The differences are in the database for SQL users, through the stable view.
    let id = story["story_id"].as_i64().unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let conflicts: i64 = rt.block_on(async {
        let pool = db.pool().await;
        sqlx::query_scalar(
            "SELECT COUNT(*) FROM story_differences WHERE story_id = ? AND kind = 'conflict'",
        )
        .bind(id)
        .fetch_one(&pool)
        .await
        .unwrap()
    });
    assert_eq!(conflicts, 5, "one conflict row per source");
    let text = db.run_ok(&["story", &id.to_string()]);
    assert!(text.contains("more than 130"), "{text}");
    assert!(text.contains("Krokus"), "{text}");
    assert_compact(&text, &db, id);
}

/// `newsdedup story ID` of the seed story reads at a glance: one screen at 100 columns, its
/// sections in order, the agreed figures and name classes there, the quotes one source carries
/// counted, and the rest with `--all`.
fn assert_compact(text: &str, db: &TestDb, id: i64) {
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines.len() <= 45, "{} lines:\n{text}", lines.len());
    for l in &lines {
        assert!(
            l.chars().count() <= 100,
            "{} characters: {l:?}",
            l.chars().count()
        );
    }
    let at = |heading: &str| {
        lines
            .iter()
            .position(|l| l.starts_with(heading))
            .unwrap_or_else(|| panic!("no {heading:?} in\n{text}"))
    };
    let order = [
        at("Timeline"),
        at("Where the sources disagree"),
        at("Figures several sources agree on"),
        at("Names spelled differently"),
        at("Quotes only some sources carry"),
    ];
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{order:?}\n{text}");
    for figure in ["16,000", "1,700", "100,000"] {
        assert!(
            lines[order[2]..order[3]].iter().any(|l| l.contains(figure)),
            "{figure} agreed:\n{text}"
        );
    }
    for class in [
        "transliteration or convention: Krokus",
        "regional spelling: Defence",
        "one outlet's inconsistency:",
    ] {
        assert!(text.contains(class), "{class:?} in\n{text}");
    }
    // A quote only one source carries is counted, not printed; --all prints it.
    let quote = "These are just propaganda statements";
    assert!(!text.contains(quote), "{text}");
    assert!(text.contains("quotes only one source carries"), "{text}");
    let all = db.run_ok(&["story", &id.to_string(), "--all"]);
    assert!(all.contains(quote), "{all}");
    assert!(all.contains("Sentences only one source has"), "{all}");
}

#[test]
fn the_seed_story_is_the_same_among_distractors_in_any_order() {
    let Some(shared) = shared_dir() else { return };
    let seeds = seeds(&shared);
    let mut expected: Vec<String> = seeds
        .iter()
        .map(|p| p.file_stem().unwrap().to_string_lossy().into_owned())
        .collect();
    expected.sort();
    for order in 0..4u64 {
        let db = TestDb::new();
        let mut paths = distractors(&shared, &db);
        paths.extend(seeds.iter().cloned());
        match order {
            0 => {}
            1 => paths.reverse(),
            seed => {
                // A fixed shuffle (xorshift), so a failure can be replayed.
                let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
                for i in (1..paths.len()).rev() {
                    s ^= s << 13;
                    s ^= s >> 7;
                    s ^= s << 17;
                    paths.swap(i, (s % (i as u64 + 1)) as usize);
                }
            }
        }
        let refs: Vec<&Path> = paths.iter().map(PathBuf::as_path).collect();
        db.ingest(&refs);
        let story = seed_story(&db);
        assert_eq!(
            sources_of(&story),
            expected,
            "order {order}: the seed story holds exactly the seeds"
        );
    }
}

/// The seed story's content words that the hand-written topical lists of the story code once
/// held (cue words, "people" nouns), each with an invented word. The invented words keep the
/// English endings of the words they replace (plural -s, -ed, -ing), because the rules read
/// endings; "people", "men" and "children" have none, and neither have their inventions.
const TOPIC_WORDS: &[(&str, &str)] = &[
    ("killed", "vrennoked"),
    ("kill", "vrennok"),
    ("killing", "vrennoking"),
    ("lives", "plimbs"),
    ("death", "drosk"),
    ("deaths", "drosks"),
    ("dead", "glumb"),
    ("deadliest", "glumbiest"),
    ("died", "snurfed"),
    ("dying", "snurfing"),
    ("murder", "skarrow"),
    ("toll", "feddle"),
    ("injured", "brottled"),
    ("injuries", "brottlies"),
    ("wounded", "paffed"),
    ("wound", "paff"),
    ("hurt", "zink"),
    ("contract", "florb"),
    ("contracts", "florbs"),
    ("enlist", "wembel"),
    ("enlisted", "wembeled"),
    ("recruitment", "trindlement"),
    ("recruits", "trindles"),
    ("signed", "gossed"),
    ("signing", "gossing"),
    ("sign", "goss"),
    ("volunteers", "mirvets"),
    ("volunteer", "mirvet"),
    ("mobilise", "krath"),
    ("mobilize", "krath"),
    ("mobilised", "krathed"),
    ("mobilized", "krathed"),
    ("mobilisation", "krathion"),
    ("mobilization", "krathion"),
    ("mobilizing", "krathing"),
    ("arrest", "stoob"),
    ("arrested", "stoobed"),
    ("custody", "vinch"),
    ("people", "glimfolk"),
    ("citizens", "tarvens"),
    ("individuals", "plorths"),
    ("men", "gribfolk"),
    ("russians", "varnoks"),
    ("candidates", "swelps"),
    ("members", "dobbers"),
    ("attendees", "quorples"),
    ("concertgoers", "fliddlers"),
    ("victims", "sprunts"),
    ("children", "nibblefolk"),
    ("staff", "wubb"),
];

/// `text` with every word of `TOPIC_WORDS` replaced by its invented word, keeping a leading
/// capital.
fn invent(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        let lower = word.to_lowercase();
        match TOPIC_WORDS.iter().find(|(w, _)| *w == lower) {
            Some((_, new)) => {
                let mut chars = new.chars();
                if word.chars().next().is_some_and(char::is_uppercase) {
                    out.extend(chars.next().map(|c| c.to_ascii_uppercase()));
                }
                out.extend(chars);
            }
            None => out.push_str(word),
        }
        word.clear();
    };
    for c in text.chars() {
        if c.is_alphabetic() {
            word.push(c);
        } else {
            flush(&mut word, &mut out);
            out.push(c);
        }
    }
    flush(&mut word, &mut out);
    out
}

/// The words of a text, lower-cased.
fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

#[test]
fn the_death_toll_conflict_does_not_depend_on_the_words() {
    let Some(shared) = shared_dir() else { return };
    let db = TestDb::new();
    let mut paths = Vec::new();
    let mut replaced = 0;
    for p in seeds(&shared) {
        let text = std::fs::read_to_string(&p).expect("reading a seed");
        let new = invent(&text);
        let left: Vec<String> = words(&new)
            .into_iter()
            .filter(|w| TOPIC_WORDS.iter().any(|(t, _)| t == w))
            .collect();
        assert!(left.is_empty(), "{}: {left:?} left", p.display());
        replaced += words(&text)
            .iter()
            .filter(|w| TOPIC_WORDS.iter().any(|(t, _)| t == *w))
            .count();
        let out = db.file(&p.file_name().unwrap().to_string_lossy());
        std::fs::write(&out, new).expect("writing");
        paths.push(out);
    }
    assert!(replaced >= 50, "only {replaced} words replaced");
    let refs: Vec<&Path> = paths.iter().map(PathBuf::as_path).collect();
    db.ingest(&refs);
    let story = seed_story(&db);
    assert_eq!(story["sources"], 5);
    assert_death_toll(&story);
    // The same single conflict as with the real words, now about invented ones.
    let conflicts = story["conflicts"].as_array().unwrap();
    assert_eq!(conflicts.len(), 1, "{conflicts:#?}");
    let subject = conflicts[0]["subject"].as_str().unwrap();
    assert!(
        ["plimbs", "drosk", "vrennoked", "skarrow"]
            .iter()
            .any(|w| subject.contains(w))
            && subject.contains("glimfolk"),
        "{subject}"
    );
}

/// The string literals of Rust source outside comments and char literals.
fn string_literals(source: &str) -> Vec<String> {
    let chars: Vec<char> = source.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            '/' if chars.get(i + 1) == Some(&'/') => {
                while i < chars.len() && chars[i] != '\n' {
                    i += 1;
                }
            }
            '\'' => {
                // A char literal ('"', '\'', 'x') or a lifetime ('a).
                if chars.get(i + 1) == Some(&'\\') {
                    i += 2;
                    while i < chars.len() && chars[i] != '\'' {
                        i += 1;
                    }
                } else if chars.get(i + 2) == Some(&'\'') {
                    i += 2;
                }
                i += 1;
            }
            '"' => {
                let mut s = String::new();
                i += 1;
                while i < chars.len() && chars[i] != '"' {
                    if chars[i] == '\\' {
                        i += 1;
                    }
                    s.push(chars[i]);
                    i += 1;
                }
                out.push(s);
                i += 1;
            }
            _ => i += 1,
        }
    }
    out
}

#[test]
fn the_story_code_holds_no_topical_word_of_the_seeds() {
    let Some(shared) = shared_dir() else { return };
    let mut seed_words = std::collections::BTreeSet::new();
    for p in seeds(&shared) {
        seed_words.extend(words(&std::fs::read_to_string(p).expect("reading a seed")));
    }
    let closed: std::collections::BTreeSet<&str> = newsdedup::story::closed_class::LISTS
        .iter()
        .flat_map(|(_, words)| words.iter().flat_map(|w| w.split(' ')))
        .chain(newsdedup::story::closed_class::scale_words())
        .collect();
    // The closed-class lists are the language: none of the seed story's topical words.
    for (w, _) in TOPIC_WORDS {
        assert!(!closed.contains(w), "{w:?} is in a closed-class list");
    }
    // The names of the rows the code writes, which are not vocabulary.
    let labels = [
        "figure",
        "conflict",
        "name",
        "quote",
        "unique",
        "sentence",
        "canonical",
        "canonical member",
        "number",
        "date",
        "percent",
        "usual spelling",
        "regional spelling",
        "transliteration or convention",
    ];
    // Every word of a string literal in the story code (tests aside) that is a seed word, or
    // the stem of one ("kill" of "killed"), must be closed-class.
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/story");
    let mut files = 0;
    let mut suspects = Vec::new();
    for entry in std::fs::read_dir(&dir).expect("src/story") {
        let path = entry.expect("entry").path();
        if path.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        files += 1;
        let source = std::fs::read_to_string(&path).expect("reading source");
        let code = source.split("#[cfg(test)]").next().unwrap_or("");
        for literal in string_literals(code) {
            // Row names, output text (format strings, sentences) and constant names are not
            // vocabulary; word lists hold words and phrases of up to three words.
            if labels.contains(&literal.as_str())
                || literal.contains('{')
                || literal.split(' ').count() > 3
                || !literal.chars().any(char::is_lowercase)
            {
                continue;
            }
            for w in literal.split(' ') {
                let w = w.to_lowercase();
                if w.chars().count() < 3 || !w.chars().all(char::is_alphabetic) {
                    continue;
                }
                let seen = seed_words
                    .iter()
                    .any(|s| *s == w || (w.chars().count() >= 4 && s.starts_with(&w)));
                if seen && !closed.contains(w.as_str()) {
                    suspects.push(format!("{}: {w:?}", path.display()));
                }
            }
        }
    }
    assert!(
        files >= 4,
        "the story code was not found in {}",
        dir.display()
    );
    assert!(suspects.is_empty(), "topical words: {suspects:#?}");
}
