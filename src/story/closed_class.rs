//! The closed-class words the story differences read: English function words, number words,
//! months, units of time, the words that put a bound on a number, and the abbreviations whose
//! period ends no sentence.
//!
//! These are the language, not the topic: a story about a shooting, an election or a recall uses
//! the same ones, and no list here may hold a word that says what a story is about (a test checks
//! the seed articles' topical words against them). What a number counts and what it is said about
//! come from the text's structure instead (`story::differences`).

/// Words that put a bound on a number, kept with it ("more than 130").
pub const QUALIFIERS: &[&str] = &[
    "more than",
    "as many as",
    "as few as",
    "as much as",
    "fewer than",
    "less than",
    "at least",
    "at most",
    "up to",
    "over",
    "about",
    "around",
    "nearly",
    "almost",
    "some",
    "approximately",
    "roughly",
    "estimated",
    "an estimated",
];

/// Bounds that change what a figure says ("more than 130" is not 130); "at least" and "about" do
/// not, so a conflict shows them without.
pub const STRICT_BOUNDS: &[&str] = &[
    "more than",
    "over",
    "fewer than",
    "less than",
    "up to",
    "at most",
];

/// Bounds that put the true value above the number ("more than 130": 144 agrees with it).
pub const LOWER_BOUNDS: &[&str] = &["more than", "over"];

/// Bounds that put the true value at or below the number ("up to 1,700").
pub const UPPER_BOUNDS: &[&str] = &[
    "up to",
    "at most",
    "as many as",
    "as much as",
    "fewer than",
    "less than",
];

/// Words that make a number an estimate on either side of it ("about 40": 39 agrees with it).
pub const APPROXIMATIONS: &[&str] = &[
    "about",
    "around",
    "approximately",
    "roughly",
    "some",
    "estimated",
    "an estimated",
];

/// Words that put the true value a little below the number ("nearly 200").
pub const JUST_BELOW: &[&str] = &["nearly", "almost"];

/// Prepositions before the name of a place ("killed 3 people in Chester").
pub const PLACE_PREPOSITIONS: &[&str] = &["in", "near", "outside"];

/// Words that scale the number before them ("2.6 billion").
pub const SCALES: &[(&str, f64)] = &[
    ("hundred", 1e2),
    ("thousand", 1e3),
    ("million", 1e6),
    ("billion", 1e9),
    ("trillion", 1e12),
];

/// Units of time: a number of them is a duration.
pub const TIME_UNITS: &[&str] = &[
    "second", "minute", "hour", "day", "week", "month", "year", "decade", "century",
];

/// The word after "N years" that makes it an age, not a duration.
pub const AGE_WORDS: &[&str] = &["old"];

/// Month names and their abbreviations: a small number beside one is a date.
pub const MONTHS: &[&str] = &[
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
    "jan",
    "feb",
    "mar",
    "apr",
    "jun",
    "jul",
    "aug",
    "sep",
    "sept",
    "oct",
    "nov",
    "dec",
];

/// Markers of a time of day: "10 a.m." is a time, not a figure.
pub const TIMES_OF_DAY: &[&str] = &["a.m", "p.m", "am", "pm", "o'clock", "gmt", "utc"];

/// Determiners: a number between one and a singular noun names a thing rather than counting
/// ("the 5000 block", "a 911 call", "his 25-mile trail").
pub const DETERMINERS: &[&str] = &[
    "a", "an", "the", "this", "that", "his", "her", "its", "their", "our", "my", "your",
];

/// Prepositions and particles that tie a number to the word before them: "the lives of 144",
/// "rose to 144", "called up 300,000".
pub const LINKS: &[&str] = &["of", "to", "from", "by", "up", "out", "off", "down"];

/// Words between a counted noun and its verb that are not the verb: auxiliaries, negation,
/// relative pronouns ("16,000 citizens who have signed").
pub const AUXILIARIES: &[&str] = &[
    "is", "are", "was", "were", "be", "been", "being", "am", "has", "have", "had", "having", "do",
    "does", "did", "will", "would", "shall", "should", "can", "could", "may", "might", "must",
    "not", "also", "who", "that", "which", "all", "still", "now", "then",
];

/// Function words: determiners, pronouns, prepositions, conjunctions, auxiliaries and the like.
/// None of them is what a number counts or what it is said about.
pub const FUNCTION_WORDS: &[&str] = &[
    // determiners and pronouns
    "a",
    "an",
    "the",
    "this",
    "that",
    "these",
    "those",
    "my",
    "your",
    "his",
    "her",
    "its",
    "our",
    "their",
    "hers",
    "ours",
    "yours",
    "theirs",
    "mine",
    "i",
    "me",
    "you",
    "he",
    "him",
    "she",
    "it",
    "we",
    "us",
    "they",
    "them",
    "who",
    "whom",
    "whose",
    "which",
    "what",
    "each",
    "every",
    "either",
    "neither",
    "both",
    "all",
    "any",
    "some",
    "no",
    "none",
    "other",
    "others",
    "another",
    "such",
    "many",
    "much",
    "more",
    "most",
    "few",
    "fewer",
    "less",
    "least",
    "several",
    "own",
    "same",
    "one",
    "ones",
    // prepositions and particles
    "of",
    "in",
    "on",
    "at",
    "to",
    "for",
    "from",
    "by",
    "with",
    "without",
    "within",
    "into",
    "onto",
    "upon",
    "over",
    "under",
    "above",
    "below",
    "after",
    "before",
    "since",
    "during",
    "until",
    "till",
    "between",
    "among",
    "amid",
    "across",
    "through",
    "throughout",
    "toward",
    "towards",
    "against",
    "about",
    "around",
    "near",
    "per",
    "via",
    "than",
    "as",
    "like",
    "off",
    "out",
    "up",
    "down",
    "beyond",
    "behind",
    "despite",
    "except",
    "inside",
    "outside",
    "along",
    "beside",
    "besides",
    "including",
    "plus",
    "versus",
    // conjunctions
    "and",
    "or",
    "but",
    "nor",
    "so",
    "yet",
    "if",
    "while",
    "because",
    "although",
    "though",
    "whereas",
    "unless",
    "whether",
    "when",
    "where",
    "whereby",
    // auxiliaries and modals
    "is",
    "are",
    "was",
    "were",
    "be",
    "been",
    "being",
    "am",
    "has",
    "have",
    "had",
    "having",
    "do",
    "does",
    "did",
    "will",
    "would",
    "shall",
    "should",
    "can",
    "could",
    "may",
    "might",
    "must",
    "not",
    // adverbs of the grammar (degree, time, place)
    "also",
    "only",
    "just",
    "still",
    "even",
    "ever",
    "never",
    "already",
    "again",
    "thus",
    "perhaps",
    "always",
    "here",
    "there",
    "now",
    "then",
    "too",
    "very",
    "afterwards",
    "alone",
    "ago",
    "later",
    "earlier",
    "nearly",
    "almost",
    "approximately",
    "roughly",
    "estimated",
    // ordinals and temporal determiners
    "first",
    "last",
    "next",
    "past",
    "previous",
    "final",
];

/// Abbreviations of titles written before a name: a period after one never ends a sentence
/// ("Mr. Peskov", "Dr. Smith", "St. Petersburg").
pub const TITLE_ABBREVIATIONS: &[&str] = &[
    "mr", "mrs", "ms", "dr", "st", "jr", "sr", "prof", "rev", "gen", "gov", "sen", "rep", "lt",
    "col", "sgt", "capt", "cpl", "pvt", "adm", "maj", "hon", "messrs", "mt", "ft",
];

/// Abbreviations written before a number: a period after one does not end a sentence when a
/// number follows ("Feb. 24, 2022", "No. 5", "Vol. 3"). The month abbreviations are in
/// [`MONTHS`].
pub const NUMBER_ABBREVIATIONS: &[&str] = &["no", "nos", "vol", "art", "para", "fig", "pp", "p"];

/// The endings British and American English spell differently, as "British|American": a name
/// that differs from another only by one of them is a regional spelling ("Defence",
/// "Defense"). Letter patterns of the language's spelling, not words.
pub const REGIONAL_ENDINGS: &[&str] = &[
    "ce|se",
    "ces|ses",
    "our|or",
    "ours|ors",
    "ise|ize",
    "ised|ized",
    "ises|izes",
    "ising|izing",
    "isation|ization",
    "isations|izations",
    "yse|yze",
    "re|er",
    "res|ers",
    "ogue|og",
    "lled|led",
    "lling|ling",
    "ller|ler",
];

/// Every closed-class word list above, by name: what `tests/stories.rs` checks the story code's
/// word lists against.
pub const LISTS: &[(&str, &[&str])] = &[
    ("QUALIFIERS", QUALIFIERS),
    ("STRICT_BOUNDS", STRICT_BOUNDS),
    ("LOWER_BOUNDS", LOWER_BOUNDS),
    ("UPPER_BOUNDS", UPPER_BOUNDS),
    ("APPROXIMATIONS", APPROXIMATIONS),
    ("JUST_BELOW", JUST_BELOW),
    ("PLACE_PREPOSITIONS", PLACE_PREPOSITIONS),
    ("TIME_UNITS", TIME_UNITS),
    ("AGE_WORDS", AGE_WORDS),
    ("MONTHS", MONTHS),
    ("TIMES_OF_DAY", TIMES_OF_DAY),
    ("DETERMINERS", DETERMINERS),
    ("LINKS", LINKS),
    ("AUXILIARIES", AUXILIARIES),
    ("FUNCTION_WORDS", FUNCTION_WORDS),
    ("TITLE_ABBREVIATIONS", TITLE_ABBREVIATIONS),
    ("NUMBER_ABBREVIATIONS", NUMBER_ABBREVIATIONS),
];

/// The scale words, as a list of words.
pub fn scale_words() -> impl Iterator<Item = &'static str> {
    SCALES.iter().map(|(w, _)| *w)
}

/// Whether `word` (lower case) is a function word.
pub fn is_function_word(word: &str) -> bool {
    static SET: std::sync::LazyLock<std::collections::HashSet<&'static str>> =
        std::sync::LazyLock::new(|| FUNCTION_WORDS.iter().copied().collect());
    SET.contains(word)
}
