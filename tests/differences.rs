//! Story differences a journalist can trust, rule by rule, on small invented stories: sentences
//! (abbreviations, headline furniture), figure categories read from a figure's own sentence,
//! conflicts only between figures about one quantity of one event, name variants by class,
//! quotes with their wordings, and the `story` command's compact output.

use newsdedup::document::ArticleId;
use newsdedup::story::differences::{Difference, Member, differences, sentences};

fn member(i: i64, source: &str, text: &str) -> Member {
    Member {
        article: ArticleId(i),
        source: source.into(),
        title: None,
        published: None,
        words: text.split_whitespace().count() as i64,
        text: text.into(),
    }
}

/// The differences of a story of one text per source.
fn story(texts: &[(&str, &str)]) -> Vec<Difference> {
    let members: Vec<Member> = texts
        .iter()
        .enumerate()
        .map(|(i, (s, t))| member(i as i64 + 1, s, t))
        .collect();
    differences(&members)
}

fn of_kind<'a>(rows: &'a [Difference], kind: &str) -> Vec<&'a Difference> {
    rows.iter().filter(|d| d.kind == kind).collect()
}

/// (source, value) of each conflict row.
fn conflicts(rows: &[Difference]) -> Vec<(String, String)> {
    of_kind(rows, "conflict")
        .into_iter()
        .map(|d| (d.source.clone().unwrap_or_default(), d.value.clone()))
        .collect()
}

#[test]
fn abbreviations_do_not_end_sentences() {
    let text = "Russia invaded Ukraine on Feb. 24, 2022. Mr. Peskov spoke to U.S. officials. \
                Dr. Smith met J. Jones at No. 10 Downing Street. It rained in Feb. Then it stopped.";
    assert_eq!(
        sentences(text),
        [
            "Russia invaded Ukraine on Feb. 24, 2022.",
            "Mr. Peskov spoke to U.S. officials.",
            "Dr. Smith met J. Jones at No. 10 Downing Street.",
            "It rained in Feb.",
            "Then it stopped.",
        ]
    );
    // A date after a month's abbreviation is a date, not a sentence "24, 2022." and a figure 24.
    let rows = story(&[
        ("A", "The war began on Feb. 24, 2022, officials said."),
        ("B", "The war began on Feb. 24, 2022, the ministry said."),
    ]);
    let figures: Vec<(&str, &str)> = of_kind(&rows, "figure")
        .into_iter()
        .map(|d| (d.subject.as_str(), d.value.as_str()))
        .collect();
    assert_eq!(
        figures,
        [("date", "Feb 24"), ("date", "Feb 24")],
        "{rows:#?}"
    );
}

#[test]
fn headline_and_link_lines_are_not_sentences() {
    let text = "Officials said two people were hurt in the attack.\n\
                Two Wounded in Another Russian Attack in Zaporizhzhia Region\n\
                Source: Russian Defence Ministry on Telegram\n\
                Read More Stories Like This…\n\
                The Mayor Said Nothing.";
    assert_eq!(
        sentences(text),
        [
            "Officials said two people were hurt in the attack.",
            "The Mayor Said Nothing.",
        ]
    );
    // A related-link line is never a sentence only one source has.
    let rows = story(&[
        (
            "A",
            "The regional governor said the shelling damaged a school and a hospital.\n\
             Two Wounded in Another Russian Attack in Zaporizhzhia Region",
        ),
        (
            "B",
            "The regional governor said the shelling damaged a school and a hospital.",
        ),
    ]);
    assert!(
        of_kind(&rows, "unique").is_empty(),
        "{:#?}",
        of_kind(&rows, "unique")
    );
}

#[test]
fn a_figure_gets_a_category_only_from_its_own_words() {
    // "$8 billion" twice, once a lifeline, once a valuation: one unit is no one fact, and the
    // valuation's sentence gives its figure no governing word of its own.
    let rows = story(&[
        (
            "A",
            "The investor agreed to inject $8 billion into the office company on Tuesday.",
        ),
        (
            "B",
            "Employees waited weeks after the valuation was slashed from $47 billion to $8 billion.",
        ),
    ]);
    let of_b: Vec<&str> = of_kind(&rows, "figure")
        .into_iter()
        .filter(|d| d.source.as_deref() == Some("B") && d.value == "$8 billion")
        .map(|d| d.subject.as_str())
        .collect();
    assert_eq!(of_b.len(), 1, "{rows:#?}");
    assert!(!of_b[0].contains("inject"), "{of_b:?}");
    // Even in like sentences, where the two are one fact, the bare figure takes no governing
    // word its sentence does not have.
    let rows = story(&[
        (
            "A",
            "The investor will inject $8 billion into the office company, its board said on Tuesday.",
        ),
        (
            "B",
            "The office company board said on Tuesday its valuation fell from $47 billion to $8 billion.",
        ),
    ]);
    let of_b: Vec<&str> = of_kind(&rows, "figure")
        .into_iter()
        .filter(|d| d.source.as_deref() == Some("B") && d.value == "$8 billion")
        .map(|d| d.subject.as_str())
        .collect();
    assert_eq!(of_b.len(), 1, "{rows:#?}");
    assert!(!of_b[0].contains("inject"), "{of_b:?}");
    // A bare count with a governing word of its own takes the noun of its fact.
    let rows = story(&[
        (
            "A",
            "The shooting at the mall injured nearly 200, police said.",
        ),
        (
            "B",
            "Police said 200 people were injured in the mall shooting.",
        ),
    ]);
    let subjects: Vec<&str> = of_kind(&rows, "figure")
        .into_iter()
        .map(|d| d.subject.as_str())
        .collect();
    assert_eq!(
        subjects,
        ["injured (people)", "injured (people)"],
        "{rows:#?}"
    );
}

#[test]
fn bounds_estimates_and_rounding_are_no_conflict() {
    let shares = |a: &str, b: &str| {
        story(&[
            (
                "A",
                &format!("Shares of the retailer rose {a} percent this year, traders said."),
            ),
            (
                "B",
                &format!("Shares of the retailer rose {b} percent this year, analysts said."),
            ),
        ])
    };
    // An estimate covers the value beside it.
    assert!(conflicts(&shares("about 40", "39")).is_empty());
    // "$129" is "$129.99" written to the dollar.
    let price = |a: &str, b: &str| {
        story(&[
            (
                "A",
                &format!("Buyers paid {a} for the console edition at launch, the company said."),
            ),
            (
                "B",
                &format!("Buyers paid {b} for the console edition at launch, the maker said."),
            ),
        ])
    };
    assert!(conflicts(&price("$129", "$129.99")).is_empty());
    assert_eq!(conflicts(&price("$129", "$149")).len(), 2);
    // Two lower bounds can both be true.
    let toll = |a: &str, b: &str| {
        story(&[
            (
                "A",
                &format!("The fire at the market killed {a} people, officials said on Monday."),
            ),
            (
                "B",
                &format!("The fire at the market killed {b} people, officials said on Monday."),
            ),
        ])
    };
    assert!(conflicts(&toll("more than 20", "more than 25")).is_empty());
    assert!(conflicts(&toll("more than 20", "25")).is_empty());
    // Two counts that cannot both be true are a conflict.
    assert_eq!(
        conflicts(&toll("11", "13")),
        [
            ("A".to_string(), "11".to_string()),
            ("B".to_string(), "13".to_string())
        ]
    );
}

#[test]
fn a_conflict_needs_one_event_time_and_place() {
    let two = |a: &str, b: &str| story(&[("A", a), ("B", b)]);
    // The control: one event, two counts.
    let r = two(
        "The storm killed 12 people in the valley, officials said on Monday.",
        "The storm killed 15 people in the valley, officials said on Monday.",
    );
    assert_eq!(conflicts(&r).len(), 2, "{r:#?}");
    // A historical figure: the sentence names another year.
    let r = two(
        "The storm killed 12 people in the valley, officials said on Monday.",
        "A storm in 1998 killed 15 people in the valley, officials said on Monday.",
    );
    assert!(conflicts(&r).is_empty(), "{r:#?}");
    // Different places that neither source mentions of the other.
    let r = two(
        "The storm killed 12 people in Tarvel, officials said on Monday.",
        "The storm killed 15 people in Brossing, officials said on Monday.",
    );
    assert!(conflicts(&r).is_empty(), "{r:#?}");
    // A place inside another that both sources name is one place.
    let r = two(
        "The storm killed 12 people in Tarvel, officials in Brossing said on Monday.",
        "The storm killed 15 people in Brossing, officials said on Monday.",
    );
    assert_eq!(conflicts(&r).len(), 2, "{r:#?}");
    // Values too far apart to be one count: different quantities.
    let r = two(
        "Tariffs on $125 billion worth of goods will stay, officials said on Monday.",
        "Tariffs on $360 billion worth of goods will stay, officials said on Monday.",
    );
    assert!(conflicts(&r).is_empty(), "{r:#?}");
}

/// (usual name, spelling, class) of each name row of a source.
fn name_classes(rows: &[Difference]) -> Vec<(String, String, String)> {
    let mut v: Vec<(String, String, String)> = of_kind(rows, "name")
        .into_iter()
        .map(|d| {
            (
                d.subject.clone(),
                d.value.clone(),
                d.detail
                    .split_once("; ")
                    .map(|x| x.1)
                    .unwrap_or("")
                    .to_string(),
            )
        })
        .collect();
    v.sort();
    v.dedup();
    v
}

#[test]
fn name_variants_are_classed_by_how_outlets_use_them() {
    let rows = story(&[
        (
            "A",
            "Officials in Kyiv said the Defense Ministry spoke. Spokesman Dmitry Peskov denied it. \
             Later Peskov spoke again.",
        ),
        (
            "B",
            "Officials in Kyiv said the Defense Ministry spoke. Spokesman Dmitry Peskov denied it.",
        ),
        (
            "C",
            "Officials in Kiev said the Defence Ministry spoke. Spokesman Dmitry Peskov denied it. \
             Later Peksov spoke again. Then Kiev replied.",
        ),
        (
            "D",
            "Officials in Kiev said the Defense Ministry spoke. Later Dmitry Petrov spoke again. \
             Then Kiev replied.",
        ),
    ]);
    let classes = name_classes(&rows);
    let class_of = |spelling: &str| -> Vec<&str> {
        classes
            .iter()
            .filter(|c| c.1 == spelling)
            .map(|c| c.2.as_str())
            .collect()
    };
    // Two outlets each keep to one transliteration: a convention.
    assert_eq!(class_of("Kiev"), ["usual spelling"], "{classes:#?}");
    assert_eq!(
        class_of("Kyiv"),
        ["transliteration or convention"],
        "{classes:#?}"
    );
    // British and American spelling.
    assert_eq!(class_of("Defence"), ["regional spelling"], "{classes:#?}");
    // A form one outlet uses once beside the usual one: its own slip.
    assert_eq!(
        class_of("Peksov"),
        ["one outlet's inconsistency"],
        "{classes:#?}"
    );
    assert_eq!(class_of("Peskov"), ["usual spelling"], "{classes:#?}");
}

#[test]
fn one_quote_in_two_wordings_is_one_quote_with_variants() {
    let rows = story(&[
        (
            "A",
            "The spokesman said: \"This is not within our capabilities as this type of information \
             exchange occurs at a professional services level.\" He left.",
        ),
        (
            "B",
            "The spokesman said: \"This is not our area of expertise, as such information exchange \
             usually takes place through the channels of special services.\" He left.",
        ),
        (
            "C",
            "The spokesman said nothing of it, and left the building at noon on Friday.",
        ),
    ]);
    let quotes = of_kind(&rows, "quote");
    assert_eq!(quotes.len(), 2, "{quotes:#?}");
    assert_eq!(quotes[0].subject, quotes[1].subject, "{quotes:#?}");
    assert!(
        quotes[0]
            .detail
            .starts_with("carried by 2 of 3 sources (2 wordings): A, B"),
        "{}",
        quotes[0].detail
    );
    // Two different quotes of one speaker stay two.
    let rows = story(&[
        (
            "A",
            "The mayor said: \"We will rebuild the bridge before the winter comes to the valley.\"",
        ),
        (
            "B",
            "The mayor said: \"Our budget for schools will grow by a third over the next years.\"",
        ),
    ]);
    let quotes = of_kind(&rows, "quote");
    assert_eq!(quotes.len(), 2, "{quotes:#?}");
    assert_ne!(quotes[0].subject, quotes[1].subject, "{quotes:#?}");
}

#[test]
fn one_amount_in_two_sources_is_one_fact_only_when_precise_or_said_alike() {
    let agreed = |a: &str, b: &str| -> usize {
        let rows = story(&[("A", a), ("B", b)]);
        let figures = of_kind(&rows, "figure");
        figures
            .iter()
            .filter(|f| {
                figures
                    .iter()
                    .any(|g| g.source != f.source && g.subject == f.subject && g.value == f.value)
            })
            .count()
    };
    // A precise amount under two governing words is one fact.
    assert_eq!(
        agreed(
            "The retailer reported $2.53 in per-share earnings for the quarter.",
            "The chain earned $2.53 per diluted share as revenue rose.",
        ),
        2
    );
    // A round share under two governing words in unlike sentences is two.
    assert_eq!(
        agreed(
            "Shares of a rival fell 1.8% on the day.",
            "The company sees sales growth of 1.8% next year.",
        ),
        0
    );
}

#[test]
fn two_common_words_capitalised_are_not_one_name() {
    let rows = story(&[
        (
            "A",
            "Police said the Officer fired once. The office was closed and an officer stayed.",
        ),
        (
            "B",
            "Police said the Office was closed. An officer stayed and the office stayed shut.",
        ),
    ]);
    assert!(name_classes(&rows).is_empty(), "{:#?}", name_classes(&rows));
    // A name is still a name beside a common word spelled like it.
    let rows = story(&[
        ("A", "Officials said Peskov spoke. Then Peskov left."),
        ("B", "Officials said Peksov spoke. Then Peskov left."),
    ]);
    assert!(!name_classes(&rows).is_empty());
}

#[test]
fn one_quote_in_two_sources_word_for_word_is_one_wording() {
    let quote = "\"We have events tonight and all of those are taking place as planned.\"";
    let rows = story(&[
        ("A", &format!("The mayor said: {quote} She left.")),
        ("B", &format!("The mayor told reporters: {quote} She left.")),
        (
            "C",
            "The mayor spoke to reporters on Friday and left the hall at noon.",
        ),
    ]);
    let quotes = of_kind(&rows, "quote");
    assert_eq!(quotes.len(), 2, "{quotes:#?}");
    assert_eq!(
        quotes[0].detail, "carried by 2 of 3 sources: A, B",
        "{quotes:#?}"
    );
}

#[test]
fn a_quote_reworded_joins_but_two_quotes_sharing_some_words_do_not() {
    let two = |a: &str, b: &str| {
        let rows = story(&[
            ("A", &format!("A witness said: \"{a}\" Then he left.")),
            ("B", &format!("A witness said: \"{b}\" Then he left.")),
            (
                "C",
                "A witness spoke to reporters on Friday and left the hall at noon.",
            ),
        ]);
        let q = of_kind(&rows, "quote");
        assert_eq!(q.len(), 2, "{q:#?}");
        q[0].subject == q[1].subject
    };
    // The same words, trimmed and reordered: 4 of the shorter's 5 content words.
    assert!(two(
        "I just killed someone. Give me your keys. This is my last day.",
        "I don't want to hurt you. I just killed somebody. Today's my last day. Give me your keys,",
    ));
    // Two statements of one scene sharing 4 of the shorter's 7 content words.
    assert!(!two(
        "The city needs to stop the violence. It's hurting our families, our people here.",
        "We are going to be very aggressive. There were hundreds of people out there today, \
         families and children, so somebody in the city knows who did this violence.",
    ));
}
