//! Shared output helpers: time arguments, tables, text shortening, and [`term`], through which
//! every stored or input text printed for people passes (JSON output does not: serde escapes).

use anyhow::{Result, anyhow};
use chrono::{DateTime, NaiveDate, Utc};
use std::borrow::Cow;
use std::fmt::Write;

/// Whether a character must not reach a terminal as it is: C0 controls but tab (ESC starts
/// escape sequences, OSC ones can set the title or a hyperlink, BEL rings, CR overwrites a line),
/// DEL, C1 controls (0x9b is a one-character CSI on some terminals), and the bidirectional
/// overrides and isolates, which reorder what follows them on screen.
fn unsafe_on_terminal(c: char) -> bool {
    (c.is_control() && c != '\t') || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// A text made safe to print on a terminal: each character [`unsafe_on_terminal`] becomes its
/// visible escape (`\u{1b}`); the rest, and a text without any, is unchanged.
pub fn term(s: &str) -> Cow<'_, str> {
    if !s.chars().any(unsafe_on_terminal) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if unsafe_on_terminal(c) {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Parses `--since`: an RFC 3339 time, a date (YYYY-MM-DD, midnight UTC), or a duration back
/// from now ("24h", "7d", "90min").
pub fn parse_since(s: &str) -> Result<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.with_timezone(&Utc));
    }
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return Ok(d.and_hms_opt(0, 0, 0).expect("midnight").and_utc());
    }
    let d = humantime::parse_duration(s).map_err(|_| {
        anyhow!(
            "--since {s:?}: expected an RFC 3339 time, a date (2024-04-03) or a duration (24h, 7d)"
        )
    })?;
    chrono::Duration::from_std(d)
        .ok()
        .and_then(|d| Utc::now().checked_sub_signed(d))
        .ok_or_else(|| anyhow!("--since {s:?}: further back than dates go (about 262,000 years)"))
}

/// Cuts a string to at most `n` characters, marking the cut, and makes it safe to print
/// ([`term`]: escapes may make it longer than `n`).
pub fn shorten(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        term(s).into_owned()
    } else {
        let mut out: String = s.chars().take(n.saturating_sub(1)).collect();
        out.push('…');
        term(&out).into_owned()
    }
}

pub fn table(header: &[&str]) -> comfy_table::Table {
    let mut t = comfy_table::Table::new();
    t.load_preset(comfy_table::presets::UTF8_BORDERS_ONLY)
        .set_content_arrangement(comfy_table::ContentArrangement::Dynamic)
        .set_header(header.iter().copied());
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn since_accepts_times_dates_and_durations() {
        assert_eq!(
            parse_since("2024-04-03T10:00:00Z").unwrap().to_rfc3339(),
            "2024-04-03T10:00:00+00:00"
        );
        assert_eq!(
            parse_since("2024-04-03").unwrap().to_rfc3339(),
            "2024-04-03T00:00:00+00:00"
        );
        let d = Utc::now() - parse_since("24h").unwrap();
        assert!((d.num_seconds() - 86_400).abs() < 5);
        assert!(parse_since("last week").is_err());
    }

    #[test]
    fn control_characters_are_escaped_visibly() {
        assert!(matches!(term("Plain — text\tok"), Cow::Borrowed(_)));
        assert_eq!(
            term("a\u{1b}[31mred\u{1b}]0;title\u{7}\r\n\u{9b}\u{7f}\u{202e}z"),
            "a\\u{1b}[31mred\\u{1b}]0;title\\u{7}\\u{d}\\u{a}\\u{9b}\\u{7f}\\u{202e}z"
        );
        assert_eq!(shorten("\u{1b}[2Jabcdef", 4), "\\u{1b}[2…");
    }

    #[test]
    fn since_beyond_the_calendar_is_an_error_naming_the_value() {
        for s in ["300000y", "9000000000000y"] {
            let e = parse_since(s).unwrap_err().to_string();
            assert!(e.starts_with(&format!("--since {s:?}")), "{e}");
        }
    }
}
