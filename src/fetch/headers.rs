//! Response headers the fetcher reports: cache hints (`Cache-Control`, `Expires`, `Date`, `Age`)
//! and `Retry-After`.
//!
//! In: a response's header map and the time it arrived. Out: [`CacheHints`] and a
//! `Retry-After` time; malformed values count as absent (an unparseable `Expires` as already
//! expired, as RFC 9111 asks).

use chrono::{DateTime, Utc};
use reqwest::header::{AGE, CACHE_CONTROL, DATE, EXPIRES, HeaderMap, HeaderName, RETRY_AFTER};
use std::time::{Duration, SystemTime};

/// The longest delta a header may carry (ten years); larger numbers are cut to it.
const MAX_DELTA_SECS: u64 = 10 * 365 * 24 * 60 * 60;

/// What a response says about how long it stays fresh.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CacheHints {
    /// `Cache-Control: max-age`.
    pub max_age: Option<Duration>,
    /// `Cache-Control: no-store`.
    pub no_store: bool,
    /// `Cache-Control: no-cache` (store, but revalidate every time).
    pub no_cache: bool,
    /// `Expires`; an invalid value (such as `0`) reads as the Unix epoch, i.e. already expired.
    pub expires: Option<DateTime<Utc>>,
    /// `Date`: when the server made the response.
    pub date: Option<DateTime<Utc>>,
    /// `Age`: how long the response sat in caches on the way.
    pub age: Option<Duration>,
}

impl CacheHints {
    pub fn from_headers(headers: &HeaderMap) -> CacheHints {
        let mut hints = CacheHints::default();
        for directive in header_strs(headers, &CACHE_CONTROL).flat_map(|v| v.split(',')) {
            let (name, value) = match directive.split_once('=') {
                Some((n, v)) => (n.trim(), Some(v.trim().trim_matches('"'))),
                None => (directive.trim(), None),
            };
            if name.eq_ignore_ascii_case("max-age") {
                // With several max-age directives, the smallest is the safe reading.
                if let Some(secs) = value.and_then(parse_delta_seconds) {
                    let d = Duration::from_secs(secs);
                    hints.max_age = Some(hints.max_age.map_or(d, |m| m.min(d)));
                }
            } else if name.eq_ignore_ascii_case("no-store") {
                hints.no_store = true;
            } else if name.eq_ignore_ascii_case("no-cache") {
                hints.no_cache = true;
            }
        }
        if let Some(v) = header_strs(headers, &EXPIRES).next() {
            hints.expires = Some(parse_http_date(v).unwrap_or(DateTime::UNIX_EPOCH));
        }
        hints.date = header_strs(headers, &DATE).next().and_then(parse_http_date);
        hints.age = header_strs(headers, &AGE)
            .next()
            .and_then(parse_delta_seconds)
            .map(Duration::from_secs);
        hints
    }

    /// How long the response stays fresh from the time it was made: zero for `no-store` and
    /// `no-cache`, else `max-age`, else `Expires` less `Date` (or less `received` without a
    /// `Date`); `None` when the response says nothing. The `Age` is not subtracted.
    pub fn freshness_lifetime(&self, received: DateTime<Utc>) -> Option<Duration> {
        if self.no_store || self.no_cache {
            return Some(Duration::ZERO);
        }
        if let Some(max_age) = self.max_age {
            return Some(max_age);
        }
        let expires = self.expires?;
        let base = self.date.unwrap_or(received);
        Some((expires - base).to_std().unwrap_or(Duration::ZERO))
    }

    /// When the response stops being fresh, given when it arrived; `None` when it says nothing.
    pub fn fresh_until(&self, received: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let lifetime = self.freshness_lifetime(received)?;
        let left = lifetime.saturating_sub(self.age.unwrap_or(Duration::ZERO));
        Some(received + chrono::Duration::from_std(left).unwrap_or(chrono::Duration::zero()))
    }
}

/// `Retry-After` as a point in time: `now` plus delta-seconds, or the HTTP-date it names.
pub fn retry_after(headers: &HeaderMap, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let v = header_strs(headers, &RETRY_AFTER).next()?;
    match parse_delta_seconds(v) {
        Some(secs) => Some(now + chrono::Duration::seconds(i64::try_from(secs).ok()?)),
        None => parse_http_date(v),
    }
}

/// An HTTP-date (IMF-fixdate, RFC 850 or asctime form).
pub fn parse_http_date(s: &str) -> Option<DateTime<Utc>> {
    let t: SystemTime = httpdate::parse_http_date(s.trim()).ok()?;
    Some(DateTime::<Utc>::from(t))
}

/// A non-negative decimal number of seconds, cut to ten years.
fn parse_delta_seconds(s: &str) -> Option<u64> {
    let s = s.trim();
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    // All digits: only overflow can fail, and an overflowing delta is "very long".
    Some(
        s.parse::<u64>()
            .unwrap_or(MAX_DELTA_SECS)
            .min(MAX_DELTA_SECS),
    )
}

/// The values of one header that are valid text.
fn header_strs<'a>(headers: &'a HeaderMap, name: &HeaderName) -> impl Iterator<Item = &'a str> {
    headers.get_all(name).iter().filter_map(|v| v.to_str().ok())
}

/// A header's first value as text.
pub fn header_string(headers: &HeaderMap, name: &HeaderName) -> Option<String> {
    header_strs(headers, name)
        .next()
        .map(|s| s.trim().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (n, v) in pairs {
            h.append(*n, HeaderValue::from_static(v));
        }
        h
    }

    fn at(s: &str) -> DateTime<Utc> {
        parse_http_date(s).expect("valid test date")
    }

    #[test]
    fn cache_control_directives() {
        let h = headers(&[
            ("cache-control", "public, MAX-AGE=\"600\""),
            ("cache-control", "no-cache"),
        ]);
        let c = CacheHints::from_headers(&h);
        assert_eq!(c.max_age, Some(Duration::from_secs(600)));
        assert!(c.no_cache && !c.no_store);
        let c = CacheHints::from_headers(&headers(&[("cache-control", "no-store, max-age=x")]));
        assert!(c.no_store);
        assert_eq!(c.max_age, None);
    }

    #[test]
    fn expires_date_and_freshness() {
        let h = headers(&[
            ("date", "Sun, 06 Nov 1994 08:49:37 GMT"),
            ("expires", "Sun, 06 Nov 1994 09:49:37 GMT"),
            ("age", "60"),
        ]);
        let c = CacheHints::from_headers(&h);
        let received = at("Sun, 06 Nov 1994 08:50:00 GMT");
        assert_eq!(
            c.freshness_lifetime(received),
            Some(Duration::from_secs(3600))
        );
        assert_eq!(
            c.fresh_until(received),
            Some(received + chrono::Duration::seconds(3540))
        );
        // max-age wins over Expires.
        let h = headers(&[("cache-control", "max-age=5"), ("expires", "0")]);
        let c = CacheHints::from_headers(&h);
        assert_eq!(c.expires, Some(DateTime::UNIX_EPOCH));
        assert_eq!(c.freshness_lifetime(received), Some(Duration::from_secs(5)));
        assert_eq!(CacheHints::default().fresh_until(received), None);
    }

    #[test]
    fn retry_after_both_forms() {
        let now = at("Sun, 06 Nov 1994 08:49:37 GMT");
        let h = headers(&[("retry-after", " 120 ")]);
        assert_eq!(
            retry_after(&h, now),
            Some(now + chrono::Duration::seconds(120))
        );
        let h = headers(&[("retry-after", "Sun, 06 Nov 1994 09:00:00 GMT")]);
        assert_eq!(
            retry_after(&h, now),
            Some(at("Sun, 06 Nov 1994 09:00:00 GMT"))
        );
        let h = headers(&[("retry-after", "Sunday, 06-Nov-94 09:00:00 GMT")]);
        assert!(retry_after(&h, now).is_some());
        for bad in ["-5", "soon", "", "1.5"] {
            let mut h = HeaderMap::new();
            h.insert("retry-after", HeaderValue::from_str(bad).expect("ascii"));
            assert_eq!(retry_after(&h, now), None, "{bad:?}");
        }
        let h = headers(&[("retry-after", "99999999999999999999999")]);
        assert!(retry_after(&h, now).is_some());
    }
}
