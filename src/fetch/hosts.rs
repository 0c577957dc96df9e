//! The host gate: politeness shared by every fetch of one [`super::Fetcher`].
//!
//! In: the [`HostKey`] of each request about to start, and the `Retry-After` times hosts answer
//! with ([`HostGate::block`]). Out: a [`HostPermit`] once the request may start, held until its
//! response is read. A start waits until
//! - fewer than `per_host` requests to the host are in flight,
//! - `spacing` has passed since the last request start to the host,
//! - the host's "blocked until" time (from `Retry-After`) has passed,
//! - fewer than `global` requests are in flight overall.
//!
//! A request waiting for a host's spacing or block holds no global slot. A host's entry is dropped
//! once no request uses it and neither its spacing nor a block is pending, so the state stays
//! bounded by the hosts in recent use.

use chrono::{DateTime, Utc};
use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

/// The longest a `Retry-After` can block a host; longer answers are cut to this.
pub const MAX_BLOCK: Duration = Duration::from_secs(6 * 60 * 60);

/// Entries kept before the first sweep of idle hosts.
const MIN_SWEEP: usize = 64;

/// A host as politeness sees it: lower-cased name (or IP) and port, e.g. `example.com:443`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct HostKey(String);

impl HostKey {
    /// The host and port of `url` (the scheme's default port when none is given); `None` for a
    /// URL without a host.
    pub fn from_url(url: &url::Url) -> Option<HostKey> {
        let host = url.host_str()?;
        let port = url.port_or_known_default()?;
        Some(HostKey(format!("{}:{port}", host.to_ascii_lowercase())))
    }

    /// Parses `url` and gives its host key; `None` when it is not an absolute URL with a host.
    pub fn parse(url: &str) -> Option<HostKey> {
        HostKey::from_url(&url::Url::parse(url.trim()).ok()?)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for HostKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Limits of a [`HostGate`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GateLimits {
    /// Requests in flight to one host (at least 1).
    pub per_host: usize,
    /// Least time between two request starts to one host.
    pub spacing: Duration,
    /// Requests in flight overall (at least 1).
    pub global: usize,
}

/// Politeness state shared by the fetches of one fetcher; cheap to clone (clones share state).
#[derive(Clone)]
pub struct HostGate {
    inner: Arc<Inner>,
}

struct Inner {
    limits: GateLimits,
    global: Arc<Semaphore>,
    hosts: Mutex<Hosts>,
}

struct Hosts {
    map: HashMap<HostKey, HostEntry>,
    /// Sweep idle entries when the map reaches this size.
    sweep_at: usize,
}

struct HostEntry {
    /// One permit per request that may be in flight to the host.
    slots: Arc<Semaphore>,
    /// Fetches holding or waiting for this entry; it is never dropped while any do.
    users: usize,
    /// No request starts before this (the last start plus the spacing).
    next_start: Option<Instant>,
    blocked: Option<Block>,
}

#[derive(Clone, Copy)]
struct Block {
    until: Instant,
    wall: DateTime<Utc>,
}

impl HostEntry {
    /// When a request could start, ignoring the in-flight limits; `None` when it can now.
    fn ready_at(&self, now: Instant) -> Option<Instant> {
        let spacing = self.next_start.filter(|t| *t > now);
        let blocked = self.blocked.map(|b| b.until).filter(|t| *t > now);
        spacing.max(blocked)
    }

    fn idle(&self, now: Instant) -> bool {
        self.users == 0 && self.ready_at(now).is_none()
    }
}

impl fmt::Debug for HostGate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HostGate")
            .field("limits", &self.inner.limits)
            .field("tracked_hosts", &self.tracked_hosts())
            .finish()
    }
}

impl HostGate {
    /// A gate with these limits; limits of 0 are raised to 1.
    pub fn new(limits: GateLimits) -> HostGate {
        let limits = GateLimits {
            per_host: limits.per_host.max(1),
            global: limits.global.max(1),
            ..limits
        };
        HostGate {
            inner: Arc::new(Inner {
                limits,
                global: Arc::new(Semaphore::new(limits.global)),
                hosts: Mutex::new(Hosts {
                    map: HashMap::new(),
                    sweep_at: MIN_SWEEP,
                }),
            }),
        }
    }

    pub fn limits(&self) -> GateLimits {
        self.inner.limits
    }

    /// Waits until a request to `host` may start, and marks its start. Dropping the future while
    /// it waits gives everything back.
    pub async fn acquire(&self, host: &HostKey) -> HostPermit {
        let user = self.enter(host);
        let host_slot = user
            .slots
            .clone()
            .acquire_owned()
            .await
            .expect("host gate semaphores are never closed");
        loop {
            let ready_at = {
                let hosts = self.inner.lock();
                hosts.map.get(host).and_then(|e| e.ready_at(Instant::now()))
            };
            if let Some(t) = ready_at {
                // Wait for the spacing or the block without a global slot.
                tokio::time::sleep_until(t).await;
                continue;
            }
            let global = self
                .inner
                .global
                .clone()
                .acquire_owned()
                .await
                .expect("host gate semaphores are never closed");
            // Waiting for the global slot may have let another request to the host start.
            if self.try_start(host) {
                return HostPermit {
                    _global: global,
                    _host_slot: host_slot,
                    _user: user,
                };
            }
        }
    }

    /// Blocks `host` until `until` (cut to [`MAX_BLOCK`] from now): no request to it starts
    /// before then. A later block never shortens an earlier one.
    pub fn block(&self, host: &HostKey, until: DateTime<Utc>) {
        let now_wall = Utc::now();
        let Ok(wait) = (until - now_wall).to_std() else {
            return; // already past
        };
        let wait = wait.min(MAX_BLOCK);
        let block = Block {
            until: Instant::now() + wait,
            wall: now_wall + chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::zero()),
        };
        let mut hosts = self.inner.lock();
        let entry = hosts.entry(host, self.inner.limits.per_host);
        match entry.blocked {
            Some(b) if b.until >= block.until => {}
            _ => entry.blocked = Some(block),
        }
    }

    /// When `host` stops being blocked by a `Retry-After`; `None` when it is not blocked now.
    /// Never waits.
    pub fn blocked_until(&self, host: &HostKey) -> Option<DateTime<Utc>> {
        let now = Instant::now();
        let hosts = self.inner.lock();
        let block = hosts.map.get(host)?.blocked?;
        (block.until > now).then_some(block.wall)
    }

    /// How long a new request to `host` would wait for its spacing or block (ignoring requests in
    /// flight); zero when it could start now. Never waits.
    pub fn ready_in(&self, host: &HostKey) -> Duration {
        let now = Instant::now();
        let hosts = self.inner.lock();
        hosts
            .map
            .get(host)
            .and_then(|e| e.ready_at(now))
            .map_or(Duration::ZERO, |t| t - now)
    }

    /// Hosts the gate keeps state for (in use, spacing pending or blocked, or not yet swept).
    pub fn tracked_hosts(&self) -> usize {
        self.inner.lock().map.len()
    }

    /// Registers one more user of `host`'s entry, creating it if needed.
    fn enter(&self, host: &HostKey) -> UserGuard {
        let mut hosts = self.inner.lock();
        hosts.sweep_if_large(Instant::now());
        let entry = hosts.entry(host, self.inner.limits.per_host);
        entry.users += 1;
        UserGuard {
            slots: entry.slots.clone(),
            inner: self.inner.clone(),
            host: host.clone(),
        }
    }

    /// Marks a start if the host's spacing and block allow one now.
    fn try_start(&self, host: &HostKey) -> bool {
        let now = Instant::now();
        let mut hosts = self.inner.lock();
        let entry = hosts.entry(host, self.inner.limits.per_host);
        if entry.ready_at(now).is_some() {
            return false;
        }
        entry.next_start = Some(now + self.inner.limits.spacing);
        true
    }
}

impl Inner {
    fn lock(&self) -> MutexGuard<'_, Hosts> {
        // The state stays consistent even if a holder panicked: every update is one assignment.
        self.hosts.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Hosts {
    fn entry(&mut self, host: &HostKey, per_host: usize) -> &mut HostEntry {
        self.map.entry(host.clone()).or_insert_with(|| HostEntry {
            slots: Arc::new(Semaphore::new(per_host)),
            users: 0,
            next_start: None,
            blocked: None,
        })
    }

    /// Drops idle entries once the map has doubled since the last sweep (amortised O(1)).
    fn sweep_if_large(&mut self, now: Instant) {
        if self.map.len() < self.sweep_at {
            return;
        }
        self.map.retain(|_, e| !e.idle(now));
        self.sweep_at = (self.map.len() * 2).max(MIN_SWEEP);
    }
}

/// One fetch's claim on a host entry; dropping it may drop the entry.
struct UserGuard {
    slots: Arc<Semaphore>,
    inner: Arc<Inner>,
    host: HostKey,
}

impl Drop for UserGuard {
    fn drop(&mut self) {
        let now = Instant::now();
        let mut hosts = self.inner.lock();
        if let Some(entry) = hosts.map.get_mut(&self.host) {
            entry.users = entry.users.saturating_sub(1);
            if entry.idle(now) {
                hosts.map.remove(&self.host);
            }
        }
    }
}

/// Leave to send one request: hold it until the response is read.
pub struct HostPermit {
    _global: OwnedSemaphorePermit,
    _host_slot: OwnedSemaphorePermit,
    _user: UserGuard,
}

impl fmt::Debug for HostPermit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HostPermit")
            .field("host", &self._user.host)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(s: &str) -> HostKey {
        HostKey::parse(s).expect("valid test URL")
    }

    fn gate(per_host: usize, spacing_ms: u64, global: usize) -> HostGate {
        HostGate::new(GateLimits {
            per_host,
            spacing: Duration::from_millis(spacing_ms),
            global,
        })
    }

    #[test]
    fn host_keys_ignore_case_and_name_the_port() {
        assert_eq!(
            key("https://Example.COM/a"),
            key("https://example.com:443/b")
        );
        assert_ne!(key("http://example.com/"), key("https://example.com/"));
        assert_eq!(key("http://EXAMPLE.com:8080/").as_str(), "example.com:8080");
        assert!(HostKey::parse("not a url").is_none());
    }

    #[tokio::test(start_paused = true)]
    async fn starts_to_one_host_are_spaced() {
        let g = gate(4, 1000, 16);
        let h = key("http://a.test/");
        let t0 = Instant::now();
        let p1 = g.acquire(&h).await;
        assert_eq!(t0.elapsed(), Duration::ZERO);
        let p2 = g.acquire(&h).await;
        assert!(t0.elapsed() >= Duration::from_millis(1000));
        // Another host is not held back.
        let t1 = Instant::now();
        let _p3 = g.acquire(&key("http://b.test/")).await;
        assert_eq!(t1.elapsed(), Duration::ZERO);
        drop((p1, p2));
    }

    #[tokio::test(start_paused = true)]
    async fn in_flight_requests_per_host_are_capped() {
        let g = gate(1, 0, 16);
        let h = key("http://a.test/");
        let p1 = g.acquire(&h).await;
        let waiting = tokio::time::timeout(Duration::from_secs(5), g.acquire(&h)).await;
        assert!(
            waiting.is_err(),
            "a second request started while one was in flight"
        );
        drop(p1);
        drop(g.acquire(&h).await);
        // The abandoned wait left nothing behind.
        assert_eq!(g.tracked_hosts(), 0);
    }

    #[tokio::test(start_paused = true)]
    async fn global_limit_and_spacing_wait_holds_no_global_slot() {
        let g = gate(2, 10_000, 1);
        let a = key("http://a.test/");
        let p = g.acquire(&a).await;
        drop(p);
        // a.test is now spaced for 10 s; a waiter for it must not keep b.test from starting.
        let g2 = g.clone();
        let a2 = a.clone();
        let waiter = tokio::spawn(async move { g2.acquire(&a2).await });
        tokio::time::sleep(Duration::from_millis(10)).await;
        let t = Instant::now();
        let pb = g.acquire(&key("http://b.test/")).await;
        assert!(t.elapsed() < Duration::from_secs(1));
        drop(pb);
        let _pa = waiter.await.expect("waiter task");
    }

    #[tokio::test(start_paused = true)]
    async fn a_block_holds_requests_back_until_it_expires() {
        let g = gate(2, 0, 16);
        let h = key("http://a.test/");
        assert!(g.blocked_until(&h).is_none());
        g.block(&h, Utc::now() + chrono::Duration::seconds(30));
        let until = g.blocked_until(&h).expect("blocked");
        assert!(until > Utc::now() + chrono::Duration::seconds(25));
        assert!(g.ready_in(&h) > Duration::from_secs(25));
        // A shorter block does not shorten it.
        g.block(&h, Utc::now() + chrono::Duration::seconds(1));
        assert!(g.ready_in(&h) > Duration::from_secs(25));
        let t = Instant::now();
        let _p = g.acquire(&h).await;
        assert!(t.elapsed() >= Duration::from_secs(29));
        assert!(g.blocked_until(&h).is_none());
    }

    #[tokio::test(start_paused = true)]
    async fn blocks_are_capped() {
        let g = gate(2, 0, 16);
        let h = key("http://a.test/");
        g.block(&h, Utc::now() + chrono::Duration::days(365));
        assert!(g.ready_in(&h) <= MAX_BLOCK);
    }

    #[tokio::test(start_paused = true)]
    async fn idle_hosts_are_dropped() {
        let g = gate(2, 100, 16);
        for i in 0..1000 {
            let _p = g.acquire(&key(&format!("http://h{i}.test/"))).await;
        }
        assert!(g.tracked_hosts() <= 1000);
        // Once their spacing has passed, the old hosts go at the next sweep.
        tokio::time::sleep(Duration::from_millis(200)).await;
        for i in 0..100 {
            let _p = g.acquire(&key(&format!("http://new{i}.test/"))).await;
        }
        assert!(
            g.tracked_hosts() <= 100,
            "{} hosts tracked",
            g.tracked_hosts()
        );
        // Without spacing, an entry goes as soon as its request is done.
        let g = gate(2, 0, 16);
        drop(g.acquire(&key("http://a.test/")).await);
        assert_eq!(g.tracked_hosts(), 0);
    }
}
