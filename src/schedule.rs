//! Scheduling: a feed's state and the result of one poll → when to poll it next.
//!
//! In: the feed's schedule state ([`FeedSchedule`]), what the poll gave ([`PollResult`]) and the
//! time. Out: a [`NextPoll`]: the time of the next poll, the failure count, and whether the feed
//! is to be disabled (gone, or failing for too long). Pure functions: the daemon stores the result
//! in SQLite, so a restart resumes the schedule.
//!
//! The rules:
//! - A healthy feed is polled at an interval adapted to how often it really publishes (half the
//!   median gap between its recent entries), within `min_interval..=max_interval`, unless the feed
//!   has a fixed interval. It is never polled sooner than the feed or its server asks: RSS `<ttl>`,
//!   `sy:updatePeriod`/`sy:updateFrequency`, `Cache-Control: max-age`, `Expires` (each bounded by
//!   `max_interval`). A poll never lands in the feed's `<skipHours>`/`<skipDays>` (UTC, as RSS
//!   defines them). Every interval gets ±`jitter` so feeds added together drift apart.
//! - A failure backs off exponentially from `min_interval` up to `backoff_cap`, with jitter; a feed
//!   that has failed without a success for `disable_after` is disabled with its last error.
//!   A 429 (rate limited) waits for `Retry-After` and never counts as a failure.
//! - 410 Gone disables the feed at once.

use chrono::{DateTime, Datelike, Duration, Timelike, Utc, Weekday};
use serde::{Deserialize, Serialize};

/// The scheduling settings (config section `[schedule]`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ScheduleConfig {
    /// Shortest interval between two polls of one feed, in seconds.
    pub min_interval_secs: u64,
    /// Longest interval between two polls of one feed, in seconds.
    pub max_interval_secs: u64,
    /// Interval of a feed whose publishing rate is not known yet, in seconds.
    pub default_interval_secs: u64,
    /// Random spread of every interval, as a share of it (0.1: ±10%).
    pub jitter: f64,
    /// Longest back-off after failures, in seconds.
    pub backoff_cap_secs: u64,
    /// A feed failing without a success for this long is disabled, in hours.
    pub disable_after_hours: u64,
}

impl Default for ScheduleConfig {
    fn default() -> Self {
        ScheduleConfig {
            min_interval_secs: 5 * 60,
            max_interval_secs: 24 * 3600,
            default_interval_secs: 30 * 60,
            jitter: 0.1,
            backoff_cap_secs: 6 * 3600,
            disable_after_hours: 72,
        }
    }
}

/// What a feed says about how often to poll it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FeedHints {
    /// RSS `<ttl>`, in minutes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttl_minutes: Option<u32>,
    /// RSS `<skipHours>`: hours (0-23, UTC) in which not to poll.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub skip_hours: Vec<u8>,
    /// RSS `<skipDays>`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub skip_days: Vec<Weekday>,
    /// `sy:updatePeriod` divided by `sy:updateFrequency`, in seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub update_period_secs: Option<u64>,
}

/// A feed's schedule state, as stored.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FeedSchedule {
    /// A fixed interval set for this feed (`feeds add --interval`).
    pub fixed_interval: Option<Duration>,
    /// How often the feed publishes, estimated from its entries.
    pub publish_interval: Option<Duration>,
    pub hints: FeedHints,
    /// Consecutive failures.
    pub failures: u32,
    pub failing_since: Option<DateTime<Utc>>,
}

/// Caching headers of a response.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CacheHints {
    pub max_age: Option<Duration>,
    pub expires: Option<DateTime<Utc>>,
}

/// What one poll gave, as far as scheduling cares.
#[derive(Debug, Clone, PartialEq)]
pub enum PollResult {
    /// The feed was fetched and parsed, or was not modified.
    Success { cache: CacheHints },
    /// 429: the server asks us to slow down. Not a failure.
    RateLimited { retry_after: Option<DateTime<Utc>> },
    /// Anything else that went wrong (network, 5xx, 4xx, unparseable feed).
    Failure {
        error: String,
        retry_after: Option<DateTime<Utc>>,
    },
    /// 410: the feed is gone for good.
    Gone,
}

/// The outcome of scheduling.
#[derive(Debug, Clone, PartialEq)]
pub struct NextPoll {
    pub at: DateTime<Utc>,
    pub failures: u32,
    pub failing_since: Option<DateTime<Utc>>,
    /// Set when the feed is to be disabled, with the reason.
    pub disable: Option<String>,
}

impl ScheduleConfig {
    fn min(&self) -> Duration {
        Duration::seconds(self.min_interval_secs as i64)
    }
    fn max(&self) -> Duration {
        Duration::seconds(self.max_interval_secs.max(self.min_interval_secs) as i64)
    }

    /// The interval of a healthy feed, before jitter.
    pub fn healthy_interval(&self, s: &FeedSchedule, cache: &CacheHints) -> Duration {
        let base = match (s.fixed_interval, s.publish_interval) {
            (Some(fixed), _) => fixed,
            // Half the gap between entries: a new entry waits half a gap on average.
            (None, Some(p)) => p / 2,
            (None, None) => Duration::seconds(self.default_interval_secs as i64),
        };
        let mut interval = base.clamp(self.min(), self.max());
        // Never sooner than the feed or its server asks, up to the longest interval.
        let asks = [
            s.hints.ttl_minutes.map(|m| Duration::minutes(m as i64)),
            s.hints
                .update_period_secs
                .map(|p| Duration::seconds(p as i64)),
            cache.max_age,
        ];
        for a in asks.into_iter().flatten() {
            interval = interval.max(a.min(self.max()));
        }
        interval
    }

    /// When to poll next, given the result of the poll that ended at `now`. `random` is a
    /// uniform draw in `[0, 1)` for the jitter.
    pub fn next(
        &self,
        s: &FeedSchedule,
        result: &PollResult,
        now: DateTime<Utc>,
        random: f64,
    ) -> NextPoll {
        match result {
            PollResult::Success { cache } => {
                let interval = jittered(self.healthy_interval(s, cache), self.jitter, random);
                let mut at = now + interval;
                if let Some(exp) = cache.expires {
                    at = at.max(exp.min(now + self.max()));
                }
                NextPoll {
                    at: skip_hints(at, &s.hints),
                    failures: 0,
                    failing_since: None,
                    disable: None,
                }
            }
            PollResult::RateLimited { retry_after } => {
                let interval = jittered(
                    self.healthy_interval(s, &CacheHints::default()),
                    self.jitter,
                    random,
                );
                let mut at = now + interval;
                if let Some(r) = retry_after {
                    at = at.max(*r);
                }
                NextPoll {
                    at,
                    failures: s.failures,
                    failing_since: s.failing_since,
                    disable: None,
                }
            }
            PollResult::Failure { error, retry_after } => {
                let failures = s.failures.saturating_add(1);
                let since = s.failing_since.unwrap_or(now);
                let cap =
                    Duration::seconds(self.backoff_cap_secs.max(self.min_interval_secs) as i64);
                // min_interval × 2^(failures - 1), capped.
                let exp = (failures - 1).min(30);
                let backoff = self
                    .min()
                    .checked_mul(1i32 << exp.min(20))
                    .unwrap_or(cap)
                    .min(cap);
                let mut at = now + jittered(backoff, self.jitter, random);
                if let Some(r) = retry_after {
                    at = at.max(*r);
                }
                let disable = (now - since >= Duration::hours(self.disable_after_hours as i64))
                    .then(|| {
                        format!(
                            "failing since {} ({} attempts); last error: {error}",
                            since.format("%Y-%m-%d %H:%M UTC"),
                            failures
                        )
                    });
                NextPoll {
                    at,
                    failures,
                    failing_since: Some(since),
                    disable,
                }
            }
            PollResult::Gone => NextPoll {
                at: now,
                failures: s.failures,
                failing_since: s.failing_since,
                disable: Some("the server says the feed is gone (410)".into()),
            },
        }
    }
}

/// `d` spread by up to ±`share` of itself; `random` in `[0, 1)`.
fn jittered(d: Duration, share: f64, random: f64) -> Duration {
    let share = share.clamp(0.0, 0.5);
    let factor = 1.0 + share * (2.0 * random.clamp(0.0, 1.0) - 1.0);
    Duration::milliseconds((d.num_milliseconds() as f64 * factor) as i64)
}

/// The first time at or after `at` outside the feed's skip hours and days (UTC). A feed that
/// skips every hour of every day is polled at `at` anyway.
pub fn skip_hints(at: DateTime<Utc>, hints: &FeedHints) -> DateTime<Utc> {
    if hints.skip_hours.is_empty() && hints.skip_days.is_empty() {
        return at;
    }
    let skipped = |t: DateTime<Utc>| {
        hints.skip_hours.contains(&(t.hour() as u8)) || hints.skip_days.contains(&t.weekday())
    };
    let mut t = at;
    for _ in 0..(24 * 8) {
        if !skipped(t) {
            return t;
        }
        // The start of the next hour.
        let next_hour = t
            .with_minute(0)
            .and_then(|t| t.with_second(0))
            .and_then(|t| t.with_nanosecond(0))
            .unwrap_or(t)
            + Duration::hours(1);
        t = next_hour;
    }
    at
}

/// How often a feed publishes: the median gap between its newest entries' dates (up to 20 of
/// them), or `None` with fewer than three dated entries.
pub fn publish_interval(dates: &[DateTime<Utc>]) -> Option<Duration> {
    let mut d: Vec<DateTime<Utc>> = dates.to_vec();
    d.sort_unstable_by(|a, b| b.cmp(a));
    d.dedup();
    d.truncate(20);
    if d.len() < 3 {
        return None;
    }
    let mut gaps: Vec<Duration> = d.windows(2).map(|w| w[0] - w[1]).collect();
    gaps.sort_unstable();
    Some(gaps[gaps.len() / 2])
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t(h: u32, m: u32) -> DateTime<Utc> {
        // 2026-11-23 is a Monday.
        Utc.with_ymd_and_hms(2026, 11, 23, h, m, 0).unwrap()
    }

    fn ok() -> PollResult {
        PollResult::Success {
            cache: CacheHints::default(),
        }
    }

    #[test]
    fn healthy_feeds_follow_their_publishing_rate_within_bounds() {
        let c = ScheduleConfig::default();
        let mut s = FeedSchedule::default();
        assert_eq!(c.next(&s, &ok(), t(10, 0), 0.5).at, t(10, 30));
        s.publish_interval = Some(Duration::minutes(2));
        assert_eq!(c.next(&s, &ok(), t(10, 0), 0.5).at, t(10, 5));
        s.publish_interval = Some(Duration::days(10));
        assert_eq!(
            c.next(&s, &ok(), t(10, 0), 0.5).at,
            t(10, 0) + Duration::hours(24)
        );
        s.fixed_interval = Some(Duration::minutes(15));
        assert_eq!(c.next(&s, &ok(), t(10, 0), 0.5).at, t(10, 15));
    }

    #[test]
    fn jitter_spreads_by_at_most_the_share() {
        let c = ScheduleConfig::default();
        let s = FeedSchedule::default();
        let lo = c.next(&s, &ok(), t(10, 0), 0.0).at;
        let hi = c.next(&s, &ok(), t(10, 0), 0.999_999).at;
        assert_eq!(lo, t(10, 27));
        assert!(hi > t(10, 32) && hi <= t(10, 33));
    }

    #[test]
    fn feed_and_server_hints_are_honoured() {
        let c = ScheduleConfig::default();
        let mut s = FeedSchedule::default();
        s.hints.ttl_minutes = Some(120);
        assert_eq!(c.next(&s, &ok(), t(10, 0), 0.5).at, t(12, 0));
        let cache = CacheHints {
            max_age: Some(Duration::hours(3)),
            expires: None,
        };
        let r = PollResult::Success { cache };
        assert_eq!(c.next(&s, &r, t(10, 0), 0.5).at, t(13, 0));
        let cache = CacheHints {
            max_age: None,
            expires: Some(t(15, 0)),
        };
        let r = PollResult::Success { cache };
        assert_eq!(c.next(&s, &r, t(10, 0), 0.5).at, t(15, 0));
        s.hints.update_period_secs = Some(5 * 3600);
        assert_eq!(c.next(&s, &ok(), t(10, 0), 0.5).at, t(15, 0));
        // Bounded: a week-long ttl still polls daily.
        s.hints = FeedHints {
            ttl_minutes: Some(7 * 24 * 60),
            ..Default::default()
        };
        assert_eq!(
            c.next(&s, &ok(), t(10, 0), 0.5).at,
            t(10, 0) + Duration::hours(24)
        );
    }

    #[test]
    fn skip_hours_and_days_move_the_poll_out() {
        let hints = FeedHints {
            skip_hours: vec![0, 1, 2, 3, 4, 5],
            ..Default::default()
        };
        assert_eq!(skip_hints(t(2, 30), &hints), t(6, 0));
        assert_eq!(skip_hints(t(7, 30), &hints), t(7, 30));
        let hints = FeedHints {
            skip_days: vec![Weekday::Mon],
            ..Default::default()
        };
        assert_eq!(
            skip_hints(t(9, 10), &hints),
            Utc.with_ymd_and_hms(2026, 11, 24, 0, 0, 0).unwrap()
        );
        let all = FeedHints {
            skip_hours: (0..24).collect(),
            ..Default::default()
        };
        assert_eq!(skip_hints(t(9, 10), &all), t(9, 10));
    }

    #[test]
    fn failures_back_off_exponentially_to_a_cap_and_disable_after_days() {
        let c = ScheduleConfig::default();
        let mut s = FeedSchedule::default();
        let fail = PollResult::Failure {
            error: "HTTP 500".into(),
            retry_after: None,
        };
        let mut now = t(10, 0);
        let mut gaps = Vec::new();
        for _ in 0..12 {
            let n = c.next(&s, &fail, now, 0.5);
            assert!(n.disable.is_none());
            gaps.push((n.at - now).num_minutes());
            s.failures = n.failures;
            s.failing_since = n.failing_since;
            now = n.at;
        }
        assert_eq!(&gaps[..5], &[5, 10, 20, 40, 80]);
        assert_eq!(*gaps.last().unwrap(), 360);
        assert_eq!(s.failing_since, Some(t(10, 0)));
        // Three days of failures disable the feed, naming the error.
        let n = c.next(&s, &fail, t(10, 0) + Duration::hours(72), 0.5);
        assert!(n.disable.unwrap().contains("HTTP 500"));
        // A success resets everything.
        let n = c.next(&s, &ok(), now, 0.5);
        assert_eq!((n.failures, n.failing_since), (0, None));
    }

    #[test]
    fn rate_limits_wait_and_never_count_as_failures() {
        let c = ScheduleConfig::default();
        let s = FeedSchedule {
            failures: 2,
            failing_since: Some(t(9, 0)),
            ..Default::default()
        };
        let n = c.next(
            &s,
            &PollResult::RateLimited {
                retry_after: Some(t(14, 0)),
            },
            t(10, 0),
            0.5,
        );
        assert_eq!(n.at, t(14, 0));
        assert_eq!((n.failures, n.failing_since), (2, Some(t(9, 0))));
        assert!(n.disable.is_none());
        let n = c.next(&s, &PollResult::Gone, t(10, 0), 0.5);
        assert!(n.disable.unwrap().contains("410"));
    }

    #[test]
    fn publishing_rate_is_the_median_gap_of_recent_entries() {
        let dates = [t(10, 0), t(9, 0), t(8, 0), t(7, 30), t(6, 0)];
        assert_eq!(publish_interval(&dates), Some(Duration::minutes(60)));
        assert_eq!(publish_interval(&dates[..2]), None);
    }
}
