//! Dates as feeds write them → a UTC instant.
//!
//! In: the text of a date element. Out: `Some(DateTime<Utc>)`, or `None` when nothing sensible
//! can be read. Two families are read, each leniently: ISO 8601 / RFC 3339 / W3C-DTF (with or
//! without a zone, separators or seconds; a date alone is midnight; basic forms like
//! `20040228T181455Z`), and the RFC 822 / 2822 family with its real-world variants (no weekday or
//! a wrong or long one, long month names, month before day, asctime order, one-digit hours,
//! two-digit years, zone names such as `EST`, `CEST` or `GMT+2`, military letters, no zone).
//! Without a zone a time is taken as UTC. Any text is safe to pass: years, offsets and digit
//! runs out of range, and non-ASCII text, give `None`, never a panic.

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};

/// Reads a date written in any of the forms above.
pub fn parse_date(text: &str) -> Option<DateTime<Utc>> {
    let s = text.trim();
    if s.is_empty() || s.len() > 80 {
        return None;
    }
    parse_iso(s).or_else(|| parse_rfc822(s))
}

/// A UTC instant from a local date `(year, month, day)`, time `(hour, minute, second,
/// nanosecond)` and the zone's offset east of UTC in minutes.
fn make(
    (y, mo, d): (i32, u32, u32),
    (h, mi, sec, nanos): (u32, u32, u32, u32),
    offset_minutes: i32,
) -> Option<DateTime<Utc>> {
    let date = NaiveDate::from_ymd_opt(y, mo, d)?;
    let (h, extra_day) = if h == 24 && mi == 0 && sec == 0 {
        (0, 1)
    } else {
        (h, 0)
    };
    let time = NaiveTime::from_hms_nano_opt(h, mi, sec.min(59), nanos)?;
    // Checked: at the ends of chrono's range (years ±262142) a day or an offset overflows.
    let local = NaiveDateTime::new(date, time).checked_add_signed(Duration::days(extra_day))?;
    let utc = local.checked_sub_signed(Duration::minutes(i64::from(offset_minutes)))?;
    Some(Utc.from_utc_datetime(&utc))
}

/// Digits at the start of `s`, at most `max` of them.
fn digits(s: &str, max: usize) -> (&str, &str) {
    let n = s.bytes().take(max).take_while(u8::is_ascii_digit).count();
    (&s[..n], &s[n..])
}

/// ISO 8601 and its profiles.
fn parse_iso(s: &str) -> Option<DateTime<Utc>> {
    let (year, rest) = digits(s, 4);
    if year.len() != 4 {
        return None;
    }
    let y: i32 = year.parse().ok()?;
    let (mut mo, mut d) = (1, 1);
    let mut rest = rest;
    let basic = rest.len() >= 4 && rest.as_bytes()[0].is_ascii_digit();
    if basic {
        let (m, r) = digits(rest, 2);
        let (dd, r) = digits(r, 2);
        if m.len() != 2 || dd.len() != 2 {
            return None;
        }
        mo = m.parse().ok()?;
        d = dd.parse().ok()?;
        rest = r;
    } else if let Some(r) = rest.strip_prefix('-') {
        let (m, r) = digits(r, 2);
        if m.is_empty() {
            return None;
        }
        mo = m.parse().ok()?;
        rest = r;
        if let Some(r) = rest.strip_prefix('-') {
            let (dd, r) = digits(r, 2);
            if dd.is_empty() {
                return None;
            }
            d = dd.parse().ok()?;
            rest = r;
        }
    } else if !rest.is_empty() {
        return None;
    }
    let rest = rest.trim_start();
    if rest.is_empty() {
        return make((y, mo, d), (0, 0, 0, 0), 0);
    }
    let rest = rest.strip_prefix(['T', 't']).unwrap_or(rest).trim_start();
    let (h, r) = digits(rest, 2);
    if h.is_empty() {
        // A date followed by a zone only.
        let off = parse_zone(rest)?;
        return make((y, mo, d), (0, 0, 0, 0), off);
    }
    let h: u32 = h.parse().ok()?;
    let r = r.strip_prefix(':').unwrap_or(r);
    let (mi, r) = digits(r, 2);
    let mi: u32 = if mi.is_empty() { 0 } else { mi.parse().ok()? };
    let r = r.strip_prefix(':').unwrap_or(r);
    let (sec, r) = digits(r, 2);
    let sec: u32 = if sec.is_empty() { 0 } else { sec.parse().ok()? };
    let mut nanos = 0;
    let mut r = r;
    if let Some(f) = r.strip_prefix(['.', ',']) {
        let (frac, after) = digits(f, 12);
        let frac9: String = frac.chars().chain(std::iter::repeat('0')).take(9).collect();
        nanos = frac9.parse().unwrap_or(0);
        r = after;
    }
    let off = parse_zone(r.trim())?;
    make((y, mo, d), (h, mi, sec, nanos), off)
}

/// A zone: empty (UTC), `Z`, `±hh[:mm]`, `±hhmm`, a name, `GMT+2`. `None` when unreadable.
fn parse_zone(z: &str) -> Option<i32> {
    let z = z.trim();
    if z.is_empty() {
        return Some(0);
    }
    if let Some(sign) = z.chars().next().filter(|c| *c == '+' || *c == '-') {
        let body = &z[1..];
        let (hh, r) = digits(body, 2);
        if hh.is_empty() {
            return None;
        }
        let r = r.strip_prefix(':').unwrap_or(r);
        let (mm, r) = digits(r, 2);
        if !r.trim().is_empty() {
            return None;
        }
        let (h, m): (i32, i32) = if hh.len() == 1 && mm.len() == 2 {
            (hh.parse().ok()?, mm.parse().ok()?)
        } else {
            (
                hh.parse().ok()?,
                if mm.is_empty() { 0 } else { mm.parse().ok()? },
            )
        };
        if h > 14 || m > 59 {
            return None;
        }
        let total = h * 60 + m;
        return Some(if sign == '-' { -total } else { total });
    }
    let upper = z.to_ascii_uppercase();
    for prefix in ["GMT", "UTC", "UT"] {
        if let Some(r) = upper.strip_prefix(prefix)
            && (r.starts_with('+') || r.starts_with('-'))
        {
            return parse_zone(r);
        }
    }
    zone_name(&upper)
}

fn zone_name(z: &str) -> Option<i32> {
    let h = |h: i32| Some(h * 60);
    match z {
        "Z" | "UT" | "UTC" | "GMT" | "WET" | "Z0" => h(0),
        "EST" => h(-5),
        "EDT" => h(-4),
        "CST" => h(-6),
        "CDT" => h(-5),
        "MST" => h(-7),
        "MDT" => h(-6),
        "PST" => h(-8),
        "PDT" => h(-7),
        "AKST" => h(-9),
        "AKDT" => h(-8),
        "HST" => h(-10),
        "AST" => h(-4),
        "ADT" => h(-3),
        "NST" => Some(-210),
        "NDT" => Some(-150),
        "BST" | "CET" | "MET" | "WEST" => h(1),
        "CEST" | "MEST" | "EET" | "SAST" => h(2),
        "EEST" | "MSK" => h(3),
        "IST" => Some(330),
        "SGT" | "HKT" | "AWST" | "CCT" => h(8),
        "JST" | "KST" => h(9),
        "ACST" => Some(570),
        "AEST" => h(10),
        "AEDT" => h(11),
        "NZST" => h(12),
        "NZDT" => h(13),
        // Military letters (RFC 822): A–I and K–M east, N–Y west.
        s if s.len() == 1 => {
            let c = s.as_bytes()[0];
            match c {
                b'A'..=b'I' => h(i32::from(c - b'A') + 1),
                b'K'..=b'M' => h(i32::from(c - b'K') + 10),
                b'N'..=b'Y' => h(-(i32::from(c - b'N') + 1)),
                _ => None,
            }
        }
        _ => None,
    }
}

fn month(token: &str) -> Option<u32> {
    const NAMES: [&str; 12] = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ];
    let t = token.trim_end_matches('.').to_ascii_lowercase();
    if t.len() < 3 {
        return None;
    }
    if t == "sept" {
        return Some(9);
    }
    NAMES
        .iter()
        .position(|m| t.starts_with(m) && (t.len() == 3 || "january february march april may june july august september october november december".split(' ').any(|full| full == t)))
        .map(|i| i as u32 + 1)
}

fn is_weekday(token: &str) -> bool {
    let t = token.trim_end_matches([',', '.']).to_ascii_lowercase();
    ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
        .iter()
        .any(|d| t.starts_with(d))
        && t.len() <= 9
}

/// The RFC 822 family, read token by token.
fn parse_rfc822(s: &str) -> Option<DateTime<Utc>> {
    let cleaned = s.replace(',', " ");
    let mut tokens: Vec<&str> = cleaned.split_whitespace().collect();
    if tokens.first().is_some_and(|t| is_weekday(t)) {
        tokens.remove(0);
    }
    let mut mo = None;
    let mut numbers: Vec<&str> = Vec::new();
    let mut time = None;
    let mut zone = None;
    let mut meridiem = None;
    for t in tokens {
        let lower = t.to_ascii_lowercase();
        if matches!(lower.as_str(), "am" | "a.m." | "pm" | "p.m.") {
            meridiem = Some(lower.starts_with('p'));
            continue;
        }
        if mo.is_none()
            && let Some(m) = month(t)
        {
            mo = Some(m);
        } else if t.contains(':') && time.is_none() && t.as_bytes()[0].is_ascii_digit() {
            // A time, possibly with a zone glued on ("10:00:00Z", "10:00+0200").
            let split = t.find(|c: char| c.is_ascii_alphabetic() || c == '+' || c == '-');
            match split {
                Some(i) => {
                    time = Some(&t[..i]);
                    zone = Some(t[i..].to_string());
                }
                None => time = Some(t),
            }
        } else if t.bytes().all(|b| b.is_ascii_digit()) {
            numbers.push(t);
        } else if t.starts_with('+')
            || t.starts_with('-')
            || t.bytes().all(|b| b.is_ascii_alphabetic())
            || t.to_ascii_uppercase().starts_with("GMT")
            || t.to_ascii_uppercase().starts_with("UTC")
        {
            if zone.is_none() {
                zone = Some(t.trim_matches(|c| c == '(' || c == ')').to_string());
            }
        } else if t.starts_with('(') {
            // A comment such as "(PST)".
        } else {
            return None;
        }
    }
    let mo = mo?;
    let (d, y) = match numbers.as_slice() {
        [a, b] => {
            if a.len() == 4 {
                (b.parse::<u32>().ok()?, a.parse::<i32>().ok()?)
            } else {
                (a.parse::<u32>().ok()?, b.parse::<i32>().ok()?)
            }
        }
        _ => return None,
    };
    let y = match y {
        0..=49 => 2000 + y,
        50..=99 => 1900 + y,
        _ => y,
    };
    let (h, mi, sec) = match time {
        Some(t) => {
            let mut parts = t.split(':');
            let h: u32 = parts.next()?.parse().ok()?;
            let mi: u32 = parts.next().unwrap_or("0").parse().ok()?;
            let sec: u32 = parts
                .next()
                .map(|s| s.split('.').next().unwrap_or("0"))
                .unwrap_or("0")
                .parse()
                .ok()?;
            (h, mi, sec)
        }
        None => (0, 0, 0),
    };
    let h = match meridiem {
        Some(true) if h < 12 => h + 12,
        Some(false) if h == 12 => 0,
        _ => h,
    };
    let off = match zone {
        Some(z) => parse_zone(&z).unwrap_or(0),
        None => 0,
    };
    make((y, mo, d), (h, mi, sec, 0), off)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> String {
        parse_date(s).map(|d| d.to_rfc3339()).unwrap_or_default()
    }

    #[test]
    fn forms() {
        let t = "2004-02-28T18:14:55+00:00";
        assert_eq!(p("2004-02-28T18:14:55Z"), t);
        assert_eq!(p("2004-02-28T10:14:55-08:00"), t);
        assert_eq!(p("2004-02-28 18:14:55"), t);
        assert_eq!(p("20040228T181455Z"), t);
        assert_eq!(p("2004-02-28T19:14:55+0100"), t);
        assert_eq!(p("Sat, 28 Feb 2004 18:14:55 GMT"), t);
        assert_eq!(p("Sat, 28 Feb 2004 13:14:55 EST"), t);
        assert_eq!(p("Saturday, 28 February 2004 18:14:55 +0000"), t);
        assert_eq!(p("28 Feb 04 18:14:55 Z"), t);
        assert_eq!(p("Sat Feb 28 10:14:55 PST 2004"), t);
        assert_eq!(p("Thurs, 28 Feb 2004 20:14:55 GMT+2"), t);
        assert_eq!(p("Sat, 28 Feb 2004 18:14:55"), t);
        assert_eq!(p("Feb 28, 2004 6:14:55 PM"), t);
        assert_eq!(p("2004-02-28"), "2004-02-28T00:00:00+00:00");
        assert_eq!(p("2004-02"), "2004-02-01T00:00:00+00:00");
        assert_eq!(
            p("2004-02-28T18:14:55.123Z"),
            "2004-02-28T18:14:55.123+00:00"
        );
        assert_eq!(p("next tuesday"), "");
        assert_eq!(p("2004-13-45"), "");
    }

    #[test]
    fn hostile_inputs_give_none_or_a_date_never_a_panic() {
        // At the end of chrono's range a day or an offset more overflows.
        assert_eq!(p("31 Dec 262142 24:00:00 GMT"), "");
        assert_eq!(p("31 Dec 262142 23:59:59 -1400"), "");
        assert_eq!(p("1 Jan 262143 00:00:00 GMT"), "");
        assert_eq!(p("1 Jan 99999999999999999999 00:00:00"), "");
        assert_eq!(p("Jan 1 2004 99999999999999999999:00:00"), "");
        assert_eq!(p("2004-02-28T18:14:55+99:99"), "");
        assert_eq!(p("2004-02-28T18:14:55-2359"), "");
        assert_eq!(
            p("Sat, 28 Feb 2004 18:14:55 GMT+99999999999"),
            "2004-02-28T18:14:55+00:00"
        );
        assert_eq!(p("2004-02-28T18:14:55.99999999999999999999Z"), "");
        assert_eq!(p(&"9".repeat(80)), "");
        assert_eq!(p(&"9".repeat(81)), "");
        assert_eq!(
            p("9999-12-31T24:00:00-14:00"),
            "+10000-01-01T14:00:00+00:00"
        );
        for s in [
            "２００４-０２-２８",
            "2004-02-28T18:14:55Ｚ",
            "Sat, 28 Fév 2004 18:14:55 GMT",
            "28 févr. 2004 18:14",
            "2004-02-28T18:14:55+0é",
            "Feb 28 2004 18:14:55 +é",
            "ɱon, 28 Feb 2004 18:14:55",
            "1:2:3:4:5 Feb 2004",
            "Feb 28 2004 : ",
            "\u{0}\u{1}\u{feff}",
            "- + : , .",
            "Feb 2004 28 12 AM PM",
        ] {
            let _ = parse_date(s);
        }
        // Every prefix and every single-byte change of a real date, cut at character boundaries.
        let real = "Saturday, 28 February 2004 18:14:55.123 +0100 (CET)";
        for cut in 0..=real.len() {
            let _ = parse_date(&real[..cut]);
            let _ = parse_date(&real[cut..]);
        }
        for i in 0..real.len() {
            for c in ['9', ':', '-', '+', ' ', 'é', '\u{10ffff}'] {
                let mut s = real.to_string();
                s.replace_range(i..i + 1, &c.to_string());
                let _ = parse_date(&s);
            }
        }
    }
}
