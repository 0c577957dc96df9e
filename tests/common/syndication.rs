//! Syndication copies built the way outlets really edit a wire story.
//!
//! The originals are our own news texts in `tests/data/originals/` (a header of `Title:`,
//! `Alt-Title:` and `Published:` lines, a blank line, then one paragraph a line). A copy takes
//! an original and applies some of: another outlet's header and footer furniture (advert markers,
//! share and "Read more:" lines, a newsletter box, a copyright line, a cookie notice), truncation
//! to 60–90% of the paragraphs, one changed word or number, a new headline, curly quotes and HTML
//! entities instead of straight quotes, and reader comments after a "Comments (3)" heading. Each
//! copy records exactly which edits it carries, so a test can check that the diff shows those
//! and nothing else. Everything is driven by a seeded RNG: the same seed gives the same copies.
//!
//! The outlets' furniture and the site wrapper are either written for these tests ([`outlets`],
//! [`SiteWrapper::written`]), which the fixed furniture rules know, or harvested from real pages
//! outside their article text ([`outlets_from`] with [`Furniture::Harvested`],
//! [`SiteWrapper::harvested`]; `tests/common/furniture.rs`), which they were not written from.

use chrono::{DateTime, Duration, SecondsFormat};
use rand::Rng;
use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use serde_json::{Value, json};

pub use super::labelled::Furniture;
use super::labelled::furniture;

/// One original article.
#[derive(Debug, Clone)]
pub struct Original {
    pub key: String,
    pub title: String,
    pub alt_titles: Vec<String>,
    pub published: String,
    pub paragraphs: Vec<String>,
}

const ORIGINALS: &[(&str, &str)] = &[
    (
        "flood_barrier",
        include_str!("../data/originals/flood_barrier.txt"),
    ),
    (
        "rail_strike",
        include_str!("../data/originals/rail_strike.txt"),
    ),
    (
        "syrup_recall",
        include_str!("../data/originals/syrup_recall.txt"),
    ),
    ("wildfire", include_str!("../data/originals/wildfire.txt")),
    (
        "interest_rates",
        include_str!("../data/originals/interest_rates.txt"),
    ),
];

/// The source name of the originals.
pub const WIRE: &str = "Continental Wire";

fn parse_original(key: &str, text: &str) -> Original {
    let (head, body) = text
        .split_once("\n\n")
        .unwrap_or_else(|| panic!("{key}: no blank line after the header"));
    let mut title = None;
    let mut alt_titles = Vec::new();
    let mut published = None;
    for line in head.lines() {
        match line.split_once(": ") {
            Some(("Title", v)) => title = Some(v.to_string()),
            Some(("Alt-Title", v)) => alt_titles.push(v.to_string()),
            Some(("Published", v)) => published = Some(v.to_string()),
            _ => panic!("{key}: unexpected header line {line:?}"),
        }
    }
    let paragraphs: Vec<String> = body
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(String::from)
        .collect();
    Original {
        key: key.to_string(),
        title: title.unwrap_or_else(|| panic!("{key}: no Title")),
        alt_titles,
        published: published.unwrap_or_else(|| panic!("{key}: no Published")),
        paragraphs,
    }
}

/// The originals, in a fixed order.
pub fn originals() -> Vec<Original> {
    ORIGINALS
        .iter()
        .map(|(k, t)| parse_original(k, t))
        .collect()
}

impl Original {
    pub fn url(&self) -> String {
        format!("https://continental-wire.example/stories/{}", self.key)
    }

    /// The text as the wire sends it: paragraphs separated by blank lines.
    pub fn text(&self) -> String {
        self.paragraphs.join("\n\n")
    }

    /// What normalization should keep of the original: every paragraph, one a line.
    pub fn clean_text(&self) -> String {
        self.paragraphs.join("\n")
    }

    pub fn words(&self) -> usize {
        self.paragraphs
            .iter()
            .map(|p| p.split_whitespace().count())
            .sum()
    }

    /// The wire's own JSON Lines record.
    pub fn record(&self) -> Value {
        json!({
            "id": format!("wire-{}", self.key),
            "url": self.url(),
            "source": WIRE,
            "title": self.title,
            "published": self.published,
            "text": self.text(),
        })
    }

    /// A record carrying only some paragraphs (a partial copy), under another URL and source.
    pub fn partial_record(&self, range: std::ops::Range<usize>, source: &str, hours: i64) -> Value {
        let slug = format!("{}-{}-{}", self.key, range.start, range.end);
        json!({
            "id": slug,
            "url": format!("https://{}.example/{slug}", source.to_lowercase().replace(' ', "-")),
            "source": source,
            "title": self.title,
            "published": later(&self.published, hours),
            "text": self.paragraphs[range].join("\n\n"),
        })
    }
}

/// `t` plus some hours, RFC 3339.
pub fn later(t: &str, hours: i64) -> String {
    let t = DateTime::parse_from_rfc3339(t).expect("an RFC 3339 time") + Duration::hours(hours);
    t.to_utc().to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Another outlet: its name, its furniture, and what its readers write.
#[derive(Debug, Clone)]
pub struct Outlet {
    pub name: &'static str,
    pub domain: &'static str,
    pub header: Vec<String>,
    pub footer: Vec<String>,
    /// Headlines of the outlet's other stories, for "Read more:" lines.
    pub other_stories: Vec<String>,
    /// What a line linking to another story starts with ("Read more: ").
    pub read_more: &'static str,
    /// The line of an advert slot inside the text.
    pub ad: String,
    pub comments_heading: &'static str,
}

/// The outlets with their furniture from `source` (the same names and domains either way). With
/// `Harvested`, each outlet's header and footer are four blocks from before and after the article
/// on one real site, its in-text lines (the advert slot, the links to other stories, with no
/// "Read more:") the site's blocks inside the article; `shared` is the shared folder.
pub fn outlets_from(shared: &std::path::Path, source: Furniture) -> Vec<Outlet> {
    let mut outlets = outlets();
    if source == Furniture::Harvested {
        let drawn = furniture::draw(&furniture::harvest(shared), outlets.len(), 4);
        for (o, d) in outlets.iter_mut().zip(drawn) {
            o.header = d.header;
            o.footer = d.footer;
            o.ad = d.inline[0].clone();
            o.other_stories = d.inline;
            o.read_more = "";
        }
    }
    outlets
}

fn vec_of(lines: &[&str]) -> Vec<String> {
    lines.iter().map(|l| l.to_string()).collect()
}

/// The outlets with the furniture written for these tests.
pub fn outlets() -> Vec<Outlet> {
    vec![
        Outlet {
            name: "Harbour Gazette",
            domain: "harbourgazette.example",
            header: vec_of(&[
                "Skip to main content",
                "We use cookies to improve your experience on our site.",
                "Subscribe to our newsletter",
                "Advertisement",
            ]),
            footer: vec_of(&[
                "Share this article",
                "Subscribe to our newsletter for the day's top stories, delivered every morning.",
                "© 2024 Harbour Gazette. All rights reserved.",
            ]),
            other_stories: vec_of(&[
                "Harbour traders count the cost of the January storm",
                "Ferry timetable cut again as crew shortage bites",
            ]),
            read_more: "Read more: ",
            ad: "Advertisement".into(),
            comments_heading: "Comments (3)",
        },
        Outlet {
            name: "Northern Daily Post",
            domain: "northerndailypost.example",
            header: vec_of(&[
                "This website uses cookies to ensure you get the best experience.",
                "Share this story",
                "Advertisement",
            ]),
            footer: vec_of(&[
                "Sign up for our newsletter",
                "Follow us on Facebook, X and Instagram for the latest news.",
                "Copyright © 2024 Northern Daily Post Ltd. All rights reserved.",
            ]),
            other_stories: vec_of(&[
                "Schools to stay open during the heatwave, minister says",
                "Five things we learned from the budget",
            ]),
            read_more: "Read more: ",
            ad: "Advertisement".into(),
            comments_heading: "Comments (3)",
        },
        Outlet {
            name: "Valley Voice",
            domain: "valleyvoice.example",
            header: vec_of(&["Advertisement", "Listen to this article"]),
            footer: vec_of(&[
                "Share on Facebook",
                "Share on Twitter",
                "© 2024 Valley Voice Media. All rights reserved.",
                "Privacy policy | Terms of use | Cookie settings",
            ]),
            other_stories: vec_of(&[
                "Valley farmers fear a second dry summer",
                "New clinic opens in Fenwick after years of delay",
            ]),
            read_more: "Read more: ",
            ad: "Advertisement".into(),
            comments_heading: "Comments (3)",
        },
        Outlet {
            name: "Metro Wire Today",
            domain: "metrowiretoday.example",
            header: vec_of(&[
                "Sponsored content",
                "By continuing to use this site you agree to our use of cookies.",
            ]),
            footer: vec_of(&[
                "Related stories",
                "Support independent journalism: subscribe to our newsletter today.",
                "© 2024 Metro Wire Today. All rights reserved.",
            ]),
            other_stories: vec_of(&[
                "City centre parking charges to rise from July",
                "Museum reopens after two-year refit",
            ]),
            read_more: "Read more: ",
            ad: "Advertisement".into(),
            comments_heading: "Comments (3)",
        },
        Outlet {
            name: "Coastal Times Online",
            domain: "coastaltimes.example",
            header: vec_of(&["Advertisement", "Subscribe to our newsletter"]),
            footer: vec_of(&[
                "Share this article",
                "Get the latest headlines sent to your inbox every morning.",
                "© 2024 Coastal Times Online. All rights reserved.",
            ]),
            other_stories: vec_of(&[
                "Lifeguards return to the north beach this weekend",
                "Harbour festival moves to September",
            ]),
            read_more: "Read more: ",
            ad: "Advertisement".into(),
            comments_heading: "Comments (3)",
        },
    ]
}

/// What readers write under an article.
pub const READER_COMMENTS: &[&str] = &[
    "Great reporting, thanks for covering this properly.",
    "I have lived here for forty years and never seen anything like it. Somebody should be held responsible.",
    "Typical. They spend millions on consultants and nothing changes for ordinary people.",
    "Does anyone know whether the meeting was recorded? I could not find it anywhere online.",
    "@Mark, read the article again. It says the exact opposite of what you claim.",
    "This is exactly what we were warned about years ago and nobody listened.",
    "Shared with my neighbours. Everyone on our street should see this before Friday.",
];

/// How quotes are written in a copy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quotes {
    /// As in the original.
    Straight,
    /// Typographic characters, and no-break spaces before "million".
    Curly,
    /// HTML entities (&#8220; &#8221; &#8217; &amp; &nbsp;).
    Entities,
}

/// The edits a copy carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Plan {
    pub boilerplate: bool,
    pub truncate: bool,
    pub change_word: bool,
    pub new_title: bool,
    pub quotes: Quotes,
    pub comments: bool,
    /// The copy is an HTML page (in the record's `html` field) rather than plain text.
    pub html: bool,
    /// The copy repeats its headline as the first line of its text.
    pub headline_in_text: bool,
}

/// What the diff against the original must show for a copy, and nothing else.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expected {
    /// The new headline, when it changed.
    pub title: Option<String>,
    /// The one changed word or number: (original, copy).
    pub changed_word: Option<(String, String)>,
    /// The original's paragraphs the copy does not have.
    pub cut_paragraphs: Vec<String>,
    /// The copy's text as normalization should keep it: its paragraphs, one a line.
    pub clean_text: String,
}

#[derive(Debug, Clone)]
pub struct Copy {
    pub original: usize,
    pub outlet: &'static str,
    pub url: String,
    pub plan: Plan,
    pub record: Value,
    pub expected: Expected,
    /// Lines of the copy that are not the article: none may be in its clean text.
    pub furniture: Vec<String>,
    pub comments: Vec<String>,
}

/// Words a sub-editor swaps, with their replacement (first letters keep their case class, so a
/// swap never moves a sentence boundary).
const SWAPS: &[(&str, &str)] = &[
    ("said", "stated"),
    ("Tuesday", "Monday"),
    ("Monday", "Sunday"),
    ("Thursday", "Wednesday"),
    ("Saturday", "Friday"),
    ("Wednesday", "Thursday"),
    ("residents", "locals"),
    ("officials", "authorities"),
    ("about", "around"),
    ("expected", "likely"),
    ("strike", "stoppage"),
    ("bank", "lender"),
];

/// Picks one word or number of the kept paragraphs and replaces it.
fn change_one_word(rng: &mut StdRng, paragraphs: &mut [String]) -> (String, String) {
    let mut candidates = Vec::new();
    for (pi, p) in paragraphs.iter().enumerate() {
        for (wi, w) in p.split(' ').enumerate() {
            let number = w.len() >= 2 && w.bytes().all(|b| b.is_ascii_digit());
            let swap = SWAPS.iter().find(|(from, _)| *from == w).map(|(_, to)| *to);
            if number || swap.is_some() {
                candidates.push((pi, wi, w.to_string(), swap));
            }
        }
    }
    let (pi, wi, old, swap) = candidates
        .choose(rng)
        .cloned()
        .expect("a word or number to change");
    let new = match swap {
        Some(s) => s.to_string(),
        None => {
            let n: u64 = old.parse().expect("digits");
            (n + rng.random_range(1..=9)).to_string()
        }
    };
    let mut words: Vec<String> = paragraphs[pi].split(' ').map(String::from).collect();
    words[wi] = new.clone();
    paragraphs[pi] = words.join(" ");
    (old, new)
}

/// Rewrites quotes, apostrophes, ampersands and some spaces the way another CMS would.
pub fn retype(s: &str, quotes: Quotes, html: bool) -> String {
    let mut out = String::with_capacity(s.len() + 16);
    let mut open = true;
    for c in s.chars() {
        match (c, quotes) {
            ('"', Quotes::Curly) => {
                out.push(if open { '\u{201C}' } else { '\u{201D}' });
                open = !open;
            }
            ('"', Quotes::Entities) => {
                out.push_str(if open { "&#8220;" } else { "&#8221;" });
                open = !open;
            }
            ('"', Quotes::Straight) if html => out.push_str("&quot;"),
            ('\'', Quotes::Curly) => out.push('\u{2019}'),
            ('\'', Quotes::Entities) => out.push_str("&#8217;"),
            ('&', Quotes::Entities) => out.push_str("&amp;"),
            ('&', _) if html => out.push_str("&amp;"),
            ('<', _) if html => out.push_str("&lt;"),
            ('>', _) if html => out.push_str("&gt;"),
            _ => out.push(c),
        }
    }
    match quotes {
        Quotes::Curly => out.replace(" million", "\u{00A0}million"),
        Quotes::Entities => out.replace(" million", "&nbsp;million"),
        Quotes::Straight => out,
    }
}

/// Builds one copy of `originals[index]` by `outlet` with the given plan.
pub fn make_copy(
    rng: &mut StdRng,
    originals: &[Original],
    index: usize,
    outlet: &Outlet,
    plan: Plan,
    hours_later: i64,
) -> Copy {
    let orig = &originals[index];
    let n = orig.paragraphs.len();
    let keep = if plan.truncate {
        let share: f64 = rng.random_range(0.6..=0.9);
        ((n as f64 * share) as usize).clamp((n * 6).div_ceil(10), n * 9 / 10)
    } else {
        n
    };
    let mut kept: Vec<String> = orig.paragraphs[..keep].to_vec();
    let cut_paragraphs = orig.paragraphs[keep..].to_vec();
    let changed_word = plan.change_word.then(|| change_one_word(rng, &mut kept));
    let title = if plan.new_title {
        orig.alt_titles
            .choose(rng)
            .expect("an alternative headline")
            .clone()
    } else {
        orig.title.clone()
    };
    let clean_text = kept.join("\n");

    let read_more = format!(
        "{}{}",
        outlet.read_more,
        outlet.other_stories.choose(rng).expect("another story")
    );
    let mut furniture: Vec<String> = Vec::new();
    let mut comments: Vec<String> = Vec::new();
    if plan.boilerplate {
        furniture.extend(outlet.header.iter().cloned());
        furniture.extend(outlet.footer.iter().cloned());
        furniture.push(outlet.ad.clone());
        furniture.push(read_more.clone());
    }
    if plan.comments {
        let mut pool: Vec<&str> = READER_COMMENTS.to_vec();
        for _ in 0..3 {
            let i = rng.random_range(0..pool.len());
            comments.push(pool.swap_remove(i).to_string());
        }
    }
    let slug = format!(
        "{}-{}",
        orig.key,
        outlet.name.to_lowercase().replace(' ', "-")
    );
    let url = format!("https://www.{}/news/2024/{slug}", outlet.domain);
    let published = later(&orig.published, hours_later);
    let t = |s: &str| retype(s, plan.quotes, plan.html);

    let record = if plan.html {
        let mut h = String::new();
        h.push_str("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n");
        h.push_str(&format!(
            "<title>{} | {}</title>\n<meta property=\"og:title\" content=\"{}\">\n",
            t(&title),
            outlet.name,
            t(&title)
        ));
        h.push_str(&format!(
            "<meta property=\"article:published_time\" content=\"{published}\">\n</head><body>\n"
        ));
        if plan.boilerplate {
            h.push_str("<div class=\"cookie-banner\">");
            for l in &outlet.header {
                h.push_str(&format!("<p>{}</p>", t(l)));
            }
            h.push_str("</div>\n<nav><a href=\"/\">Home</a> <a href=\"/news\">News</a> <a href=\"/sport\">Sport</a></nav>\n");
        }
        h.push_str("<main><article>\n");
        if plan.headline_in_text {
            h.push_str(&format!("<h1>{}</h1>\n", t(&title)));
        }
        for (i, p) in kept.iter().enumerate() {
            h.push_str(&format!("<p>{}</p>\n", t(p)));
            if plan.boilerplate && i == 1 {
                h.push_str(&format!(
                    "<div class=\"ad-slot\"><p>{}</p></div>\n",
                    t(&outlet.ad)
                ));
            }
            if plan.boilerplate && i == 3 {
                h.push_str(&format!(
                    "<p class=\"related\"><a href=\"/news/other\">{}</a></p>\n",
                    t(&read_more)
                ));
            }
        }
        if plan.boilerplate {
            for l in outlet.footer.iter().take(2) {
                h.push_str(&format!("<p>{}</p>\n", t(l)));
            }
        }
        if plan.comments {
            h.push_str(&format!(
                "<section class=\"comments\"><h3>{}</h3>\n",
                outlet.comments_heading
            ));
            for c in &comments {
                h.push_str(&format!("<div class=\"comment\"><p>{}</p></div>\n", t(c)));
            }
            h.push_str("</section>\n");
        }
        h.push_str("</article></main>\n");
        if plan.boilerplate {
            for l in outlet.footer.iter().skip(2) {
                h.push_str(&format!("<footer><p>{}</p></footer>\n", t(l)));
            }
        }
        h.push_str("</body></html>\n");
        // Title and time come from the page's own meta tags.
        json!({ "id": slug, "url": url, "source": outlet.name, "html": h })
    } else {
        let mut lines: Vec<String> = Vec::new();
        if plan.boilerplate {
            lines.extend(outlet.header.iter().map(|l| t(l)));
        }
        if plan.headline_in_text {
            lines.push(t(&title));
        }
        for (i, p) in kept.iter().enumerate() {
            lines.push(t(p));
            if plan.boilerplate && i == 1 {
                lines.push(t(&outlet.ad));
            }
            if plan.boilerplate && i == 3 {
                lines.push(t(&read_more));
            }
        }
        if plan.boilerplate {
            lines.extend(outlet.footer.iter().take(2).map(|l| t(l)));
        }
        if plan.comments {
            lines.push(outlet.comments_heading.to_string());
            lines.extend(comments.iter().map(|c| t(c)));
        }
        if plan.boilerplate {
            lines.extend(outlet.footer.iter().skip(2).map(|l| t(l)));
        }
        json!({
            "id": slug,
            "url": url,
            "source": outlet.name,
            "title": t(&title),
            "published": published,
            "text": lines.join("\n\n"),
        })
    };
    Copy {
        original: index,
        outlet: outlet.name,
        url,
        plan,
        record,
        expected: Expected {
            title: plan.new_title.then_some(title),
            changed_word,
            cut_paragraphs,
            clean_text,
        },
        furniture,
        comments,
    }
}

/// The copies of every original: one per outlet, outlet `k` applying plan `k`:
/// 0: every edit at once; 1: only furniture, typography and comments (the diff must be empty);
/// 2: an HTML page with some edits; 3 and 4: random edits.
pub fn copies(rng: &mut StdRng, originals: &[Original]) -> Vec<Copy> {
    copies_by(rng, originals, &outlets())
}

/// [`copies`] by the given outlets (five of them).
pub fn copies_by(rng: &mut StdRng, originals: &[Original], outlets: &[Outlet]) -> Vec<Copy> {
    let mut out = Vec::new();
    for i in 0..originals.len() {
        for (k, outlet) in outlets.iter().enumerate() {
            let coin = |rng: &mut StdRng| rng.random_bool(0.5);
            let quotes = |rng: &mut StdRng| {
                *[Quotes::Straight, Quotes::Curly, Quotes::Entities]
                    .choose(rng)
                    .expect("a style")
            };
            let plan = match k {
                0 => Plan {
                    boilerplate: true,
                    truncate: true,
                    change_word: true,
                    new_title: true,
                    quotes: Quotes::Curly,
                    comments: true,
                    html: false,
                    headline_in_text: true,
                },
                1 => Plan {
                    boilerplate: true,
                    truncate: false,
                    change_word: false,
                    new_title: false,
                    quotes: Quotes::Entities,
                    comments: true,
                    html: false,
                    headline_in_text: coin(rng),
                },
                2 => Plan {
                    boilerplate: true,
                    truncate: coin(rng),
                    change_word: coin(rng),
                    new_title: coin(rng),
                    quotes: if coin(rng) {
                        Quotes::Curly
                    } else {
                        Quotes::Entities
                    },
                    comments: true,
                    html: true,
                    headline_in_text: true,
                },
                _ => Plan {
                    boilerplate: true,
                    truncate: coin(rng),
                    change_word: coin(rng),
                    new_title: coin(rng),
                    quotes: quotes(rng),
                    comments: coin(rng),
                    html: false,
                    headline_in_text: coin(rng),
                },
            };
            out.push(make_copy(rng, originals, i, outlet, plan, 1 + k as i64));
        }
    }
    out
}

/// A site's own wrapper of about 150 words (masthead, section menu, greeting; who runs the site,
/// how to reach it), none of which the fixed furniture rules know.
pub const SITE_HEADER: &[&str] = &[
    "The Lakeside Courier | Independent local journalism for Lakeside and the northern shore since 1978",
    "News | Politics | Business | Sport | Culture | Opinion | Weather | Obituaries | Events",
    "Good morning. Here is what our newsroom is following today across Lakeside, Brook Hill and the northern shore, from the town hall to the harbour wall.",
];
pub const SITE_FOOTER: &[&str] = &[
    "The Lakeside Courier is owned by the Lakeside Community Media Trust, a registered charity. Our journalism is paid for by readers, local advertisers and small grants, and our editors decide what we cover without interference from any of our funders.",
    "Got a story? Write to the newsroom at 14 Mill Lane, Lakeside, or call our tips line any day between 8am and 8pm. Corrections are printed every Friday on page two and kept online.",
    "Printed and published by Lakeside Community Media at 14 Mill Lane, Lakeside.",
];

/// A site's own wrapper: lines before and after each of its articles.
#[derive(Debug, Clone)]
pub struct SiteWrapper {
    /// Where it comes from: "written" or the harvested site's host.
    pub origin: String,
    pub header: Vec<String>,
    pub footer: Vec<String>,
}

impl SiteWrapper {
    /// The Lakeside Courier's wrapper of [`SITE_HEADER`] and [`SITE_FOOTER`].
    pub fn written() -> SiteWrapper {
        SiteWrapper {
            origin: "written".into(),
            header: vec_of(SITE_HEADER),
            footer: vec_of(SITE_FOOTER),
        }
    }

    /// A real site's wrapper of about the same size: the blocks just before its article (at
    /// least 75 words) and just after it (at least 75 words), from the first site in host order
    /// that reaches that in at most 12 blocks each side (`tests/common/furniture.rs`).
    pub fn harvested(shared: &std::path::Path) -> SiteWrapper {
        use furniture::Place;
        let take = |blocks: &mut dyn Iterator<Item = &str>| {
            let mut out = Vec::new();
            let mut words = 0;
            for b in blocks.take(12) {
                out.push(b.to_string());
                words += b.split_whitespace().count();
                if words >= 75 {
                    return Some(out);
                }
            }
            None
        };
        for site in furniture::harvest(shared) {
            let before = site.placed(Place::Before);
            let after = site.placed(Place::After);
            if let (Some(mut header), Some(footer)) = (
                take(&mut before.iter().rev().copied()),
                take(&mut after.iter().copied()),
            ) {
                header.reverse();
                return SiteWrapper {
                    origin: site.host.clone(),
                    header,
                    footer,
                };
            }
        }
        panic!("no harvested site has 75 words of furniture each side of its article");
    }

    pub fn words(&self) -> usize {
        self.header
            .iter()
            .chain(&self.footer)
            .map(|l| l.split_whitespace().count())
            .sum()
    }

    /// An original as the Lakeside Courier publishes it: inside this wrapper.
    pub fn wrap(&self, orig: &Original) -> Value {
        let mut lines = self.header.clone();
        lines.extend(orig.paragraphs.iter().cloned());
        lines.extend(self.footer.iter().cloned());
        json!({
            "id": format!("courier-{}", orig.key),
            "url": format!("https://lakesidecourier.example/{}", orig.key),
            "source": "Lakeside Courier",
            "title": orig.title,
            "published": later(&orig.published, 3),
            "text": lines.join("\n\n"),
        })
    }
}
