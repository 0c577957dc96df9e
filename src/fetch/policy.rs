//! The outbound request policy: which addresses a URL that came from content may reach.
//!
//! In: each hop of a fetch (its URL and the [`Reach`] of its request), `[fetch] allow_hosts`,
//! and for host names the addresses DNS answers at connect time. Out: a [`Route`] — the hop goes
//! out unchecked (the operator's own origin, an allowed host, a command the operator typed) or
//! through the checked client, whose [`CheckedResolver`] drops every answer that is not a public
//! address — or a [`Refusal`] saying which address was refused and why.
//!
//! Not public (refused): IPv4 0/8 ("this network"), 10/8, 172.16/12, 192.168/16 (private),
//! 100.64/10 (shared, CGNAT), 127/8 (loopback), 169.254/16 (link-local: cloud metadata),
//! 192.0.0/24 (protocol assignments), 192.0.2/24, 198.51.100/24, 203.0.113/24 (documentation),
//! 192.88.99/24 (6to4 relays), 198.18/15 (benchmarking), 224/4 (multicast), 240/4 (reserved) and
//! 255.255.255.255 (broadcast). IPv6 ::, ::1, IPv4-compatible ::/96, 100::/64 (discard),
//! 2001::/23 (protocol assignments, Teredo), 2001:db8::/32 and 3fff::/20 (documentation),
//! 5f00::/16 (SRv6), 64:ff9b:1::/48 (local NAT64), fc00::/7 (unique local), fe80::/10
//! (link-local), fec0::/10 (site-local), ff00::/8 (multicast) and everything outside 2000::/3.
//! IPv4-mapped (::ffff:a.b.c.d), NAT64 (64:ff9b::a.b.c.d) and 6to4 (2002:AABB:CCDD::) addresses
//! are judged by the IPv4 address they carry.

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use url::{Host, Url};

/// Why an address is not public.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddressClass {
    Unspecified,
    ThisNetwork,
    Loopback,
    Private,
    SharedCgnat,
    LinkLocal,
    Multicast,
    Broadcast,
    Documentation,
    Benchmarking,
    Reserved,
    UniqueLocal,
    SiteLocal,
    Ipv4Compatible,
    LocalNat64,
    NotGlobalUnicast,
}

impl AddressClass {
    fn describe(self) -> &'static str {
        match self {
            AddressClass::Unspecified => "the unspecified address",
            AddressClass::ThisNetwork => "a \"this network\" address (0.0.0.0/8)",
            AddressClass::Loopback => "a loopback address",
            AddressClass::Private => "a private address",
            AddressClass::SharedCgnat => "a shared (carrier-grade NAT) address",
            AddressClass::LinkLocal => {
                "a link-local address (where cloud metadata services answer)"
            }
            AddressClass::Multicast => "a multicast address",
            AddressClass::Broadcast => "the broadcast address",
            AddressClass::Documentation => "a documentation address",
            AddressClass::Benchmarking => "a benchmarking address",
            AddressClass::Reserved => "a reserved address",
            AddressClass::UniqueLocal => "a unique-local address",
            AddressClass::SiteLocal => "a site-local address",
            AddressClass::Ipv4Compatible => "an IPv4-compatible IPv6 address (deprecated)",
            AddressClass::LocalNat64 => "a local-use NAT64 address",
            AddressClass::NotGlobalUnicast => {
                "an IPv6 address outside the global unicast range 2000::/3"
            }
        }
    }
}

/// How an IPv6 address carries an IPv4 one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Embedding {
    /// `::ffff:a.b.c.d`
    Mapped,
    /// `64:ff9b::a.b.c.d` (RFC 6052)
    Nat64,
    /// `2002:AABB:CCDD::/48` (RFC 3056)
    SixToFour,
}

/// An address that is not public, and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotPublic {
    pub class: AddressClass,
    /// The IPv4 address an IPv6 one carries, when that is what was judged.
    pub embedded: Option<(Embedding, Ipv4Addr)>,
}

impl fmt::Display for NotPublic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.embedded {
            None => f.write_str(self.class.describe()),
            Some((how, v4)) => {
                let how = match how {
                    Embedding::Mapped => "an IPv4-mapped form",
                    Embedding::Nat64 => "a NAT64 form",
                    Embedding::SixToFour => "a 6to4 form",
                };
                write!(f, "{how} of {v4}, {}", self.class.describe())
            }
        }
    }
}

/// Whether `ip` is a public address; `None` when it is, else why not.
pub fn classify(ip: IpAddr) -> Option<NotPublic> {
    match ip {
        IpAddr::V4(v4) => classify_v4(v4).map(|class| NotPublic {
            class,
            embedded: None,
        }),
        IpAddr::V6(v6) => classify_v6(v6),
    }
}

fn classify_v4(ip: Ipv4Addr) -> Option<AddressClass> {
    let [a, b, c, _] = ip.octets();
    let class = match (a, b, c) {
        _ if ip.is_unspecified() => AddressClass::Unspecified,
        _ if ip.is_broadcast() => AddressClass::Broadcast,
        (0, _, _) => AddressClass::ThisNetwork,
        (10, _, _) | (192, 168, _) => AddressClass::Private,
        (172, b, _) if (16..32).contains(&b) => AddressClass::Private,
        (100, b, _) if (64..128).contains(&b) => AddressClass::SharedCgnat,
        (127, _, _) => AddressClass::Loopback,
        (169, 254, _) => AddressClass::LinkLocal,
        (192, 0, 0) | (192, 88, 99) => AddressClass::Reserved,
        (192, 0, 2) | (198, 51, 100) | (203, 0, 113) => AddressClass::Documentation,
        (198, 18 | 19, _) => AddressClass::Benchmarking,
        (224..=239, _, _) => AddressClass::Multicast,
        (240..=255, _, _) => AddressClass::Reserved,
        _ => return None,
    };
    Some(class)
}

fn classify_v6(ip: Ipv6Addr) -> Option<NotPublic> {
    let seg = ip.segments();
    let plain = |class| {
        Some(NotPublic {
            class,
            embedded: None,
        })
    };
    let carried = |how, v4: Ipv4Addr| {
        classify_v4(v4).map(|class| NotPublic {
            class,
            embedded: Some((how, v4)),
        })
    };
    let low_v4 = Ipv4Addr::new(
        (seg[6] >> 8) as u8,
        seg[6] as u8,
        (seg[7] >> 8) as u8,
        seg[7] as u8,
    );
    if ip.is_unspecified() {
        return plain(AddressClass::Unspecified);
    }
    if ip.is_loopback() {
        return plain(AddressClass::Loopback);
    }
    match seg {
        [0, 0, 0, 0, 0, 0xffff, _, _] => return carried(Embedding::Mapped, low_v4),
        [0, 0, 0, 0, 0, 0, _, _] => return plain(AddressClass::Ipv4Compatible),
        [0x64, 0xff9b, 0, 0, 0, 0, _, _] => return carried(Embedding::Nat64, low_v4),
        [0x64, 0xff9b, 1, ..] => return plain(AddressClass::LocalNat64),
        [0x100, 0, 0, 0, ..] => return plain(AddressClass::Reserved),
        [0x2002, hi, lo, ..] => {
            let v4 = Ipv4Addr::new((hi >> 8) as u8, hi as u8, (lo >> 8) as u8, lo as u8);
            return carried(Embedding::SixToFour, v4);
        }
        [0x2001, 0xdb8, ..] => return plain(AddressClass::Documentation),
        [0x2001, b, ..] if b < 0x200 => return plain(AddressClass::Reserved),
        [0x3fff, b, ..] if b < 0x1000 => return plain(AddressClass::Documentation),
        [0x5f00, ..] => return plain(AddressClass::Reserved),
        [s, ..] if s & 0xff00 == 0xff00 => return plain(AddressClass::Multicast),
        [s, ..] if s & 0xfe00 == 0xfc00 => return plain(AddressClass::UniqueLocal),
        [s, ..] if s & 0xffc0 == 0xfe80 => return plain(AddressClass::LinkLocal),
        [s, ..] if s & 0xffc0 == 0xfec0 => return plain(AddressClass::SiteLocal),
        [s, ..] if s & 0xe000 != 0x2000 => return plain(AddressClass::NotGlobalUnicast),
        _ => {}
    }
    None
}

/// A refused hop: the address, how it was reached, and the key that would allow it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// The host name whose DNS answer was refused; `None` for an address written in the URL.
    pub name: Option<String>,
    pub addr: IpAddr,
    pub why: NotPublic,
    /// The `allow_hosts` entry that would let the hop through.
    pub allow: String,
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.name {
            Some(name) => write!(f, "refused: {name} resolves to {}, {}", self.addr, self.why)?,
            None => write!(f, "refused: {} is {}", self.addr, self.why)?,
        }
        write!(
            f,
            " (outbound policy; add {:?} to [fetch] allow_hosts to allow it)",
            self.allow
        )
    }
}

impl std::error::Error for Refusal {}

/// The origin of a URL: scheme, host and port (the scheme's default when none is given).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Origin {
    scheme: String,
    host: String,
    port: u16,
}

impl Origin {
    pub fn of(url: &Url) -> Option<Origin> {
        Some(Origin {
            scheme: url.scheme().to_string(),
            host: url.host_str()?.to_ascii_lowercase(),
            port: url.port_or_known_default()?,
        })
    }

    /// The origin of `url`; `None` when it is not an absolute URL with a host.
    pub fn parse(url: &str) -> Option<Origin> {
        Origin::of(&Url::parse(url.trim()).ok()?)
    }
}

/// Where the hops of one fetch may go.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Reach {
    /// Anywhere, every hop: a URL the operator typed for one command (`newsdedup extract`).
    Anywhere,
    /// Hops to this origin (of the feed the operator added) go anywhere; every other hop is
    /// checked by the outbound policy.
    Trusting(Origin),
    /// Every hop is checked by the outbound policy.
    #[default]
    Checked,
}

impl Reach {
    /// Trusting the origin of `url`; [`Reach::Checked`] when it has none.
    pub fn trusting(url: &str) -> Reach {
        Origin::parse(url).map_or(Reach::Checked, Reach::Trusting)
    }
}

/// Which client a hop goes through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    /// Any address: the operator vouched for it.
    Open,
    /// Public addresses only: names are resolved by the [`CheckedResolver`].
    Checked,
}

/// One `[fetch] allow_hosts` entry: a host, and a port or any port.
#[derive(Debug, Clone, PartialEq, Eq)]
struct AllowedHost {
    host: String,
    port: Option<u16>,
}

/// Why an `allow_hosts` entry cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "allow_hosts entry {entry:?}: {reason} (expected a host name or address, optionally with :port, e.g. \"intranet.example\", \"10.0.0.5:8080\" or \"[fd00::1]:8080\")"
)]
pub struct BadAllowedHost {
    pub entry: String,
    pub reason: String,
}

impl AllowedHost {
    fn parse(entry: &str) -> Result<AllowedHost, BadAllowedHost> {
        let bad = |reason: &str| BadAllowedHost {
            entry: entry.to_string(),
            reason: reason.to_string(),
        };
        let e = entry.trim();
        let (host, port) = if let Some(rest) = e.strip_prefix('[') {
            let (inside, after) = rest.split_once(']').ok_or_else(|| bad("no closing ]"))?;
            let port = match after {
                "" => None,
                p => Some(p.strip_prefix(':').ok_or_else(|| bad("junk after ]"))?),
            };
            (format!("[{inside}]"), port)
        } else if e.matches(':').count() > 1 {
            return Err(bad("an IPv6 address goes in brackets"));
        } else {
            match e.rsplit_once(':') {
                Some((h, p)) => (h.to_string(), Some(p)),
                None => (e.to_string(), None),
            }
        };
        if host.is_empty() || host.contains(['/', '@', '?', '#']) {
            return Err(bad("not a host"));
        }
        let port = port
            .map(|p| p.parse::<u16>().map_err(|_| bad("bad port")))
            .transpose()?;
        // Normalised as a URL's host is (lower case, IDNA, IPv4 forms).
        let url = Url::parse(&format!("http://{host}/")).map_err(|e| bad(&e.to_string()))?;
        let host = url
            .host_str()
            .ok_or_else(|| bad("not a host"))?
            .trim_end_matches('.')
            .to_string();
        Ok(AllowedHost { host, port })
    }

    fn matches(&self, host: &str, port: u16) -> bool {
        self.host == host && self.port.is_none_or(|p| p == port)
    }
}

/// The outbound policy of one fetcher.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OutboundPolicy {
    allow: Vec<AllowedHost>,
}

impl OutboundPolicy {
    /// A policy allowing these hosts (`host` or `host:port`) besides public addresses.
    pub fn new(allow_hosts: &[String]) -> Result<OutboundPolicy, BadAllowedHost> {
        Ok(OutboundPolicy {
            allow: allow_hosts
                .iter()
                .filter(|h| !h.trim().is_empty())
                .map(|h| AllowedHost::parse(h))
                .collect::<Result<_, _>>()?,
        })
    }

    /// How the hop to `url` goes out, or why it may not. A host written as an address is judged
    /// here (no DNS is asked for it); a name is judged by the checked client's resolver.
    pub fn route(&self, url: &Url, reach: &Reach) -> Result<Route, Refusal> {
        match reach {
            Reach::Anywhere => return Ok(Route::Open),
            Reach::Trusting(o) if Origin::of(url).as_ref() == Some(o) => return Ok(Route::Open),
            _ => {}
        }
        let (Some(host), Some(port)) = (url.host(), url.port_or_known_default()) else {
            return Ok(Route::Checked);
        };
        let name = url.host_str().unwrap_or("").trim_end_matches('.');
        if self.allow.iter().any(|a| a.matches(name, port)) {
            return Ok(Route::Open);
        }
        let addr = match host {
            Host::Ipv4(v4) => IpAddr::V4(v4),
            Host::Ipv6(v6) => IpAddr::V6(v6),
            Host::Domain(_) => return Ok(Route::Checked),
        };
        match classify(addr) {
            None => Ok(Route::Checked),
            Some(why) => Err(Refusal {
                name: None,
                addr,
                why,
                allow: format!("{name}:{port}"),
            }),
        }
    }
}

/// A DNS resolver that passes on only the public answers of another; a name with none is
/// refused with a [`Refusal`]. Answers are judged at every resolution, so a name that resolved
/// publicly once and privately later is refused then.
pub struct CheckedResolver {
    inner: Arc<dyn Resolve>,
}

impl CheckedResolver {
    pub fn new(inner: Arc<dyn Resolve>) -> CheckedResolver {
        CheckedResolver { inner }
    }
}

impl Resolve for CheckedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().trim_end_matches('.').to_ascii_lowercase();
        let answers = self.inner.resolve(name);
        Box::pin(async move {
            let mut refused = None;
            let public: Vec<SocketAddr> = answers
                .await?
                .filter(|a| match classify(a.ip()) {
                    None => true,
                    Some(why) => {
                        refused.get_or_insert((a.ip(), why));
                        false
                    }
                })
                .collect();
            match refused {
                Some((addr, why)) if public.is_empty() => Err(Box::new(Refusal {
                    allow: host.clone(),
                    name: Some(host),
                    addr,
                    why,
                }) as _),
                _ => Ok(Box::new(public.into_iter()) as Addrs),
            }
        })
    }
}

/// The system's resolver (getaddrinfo on the blocking pool).
pub struct SystemResolver;

impl Resolve for SystemResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_string();
        Box::pin(async move {
            let addrs = tokio::net::lookup_host((host.as_str(), 0)).await?;
            Ok(Box::new(addrs.collect::<Vec<_>>().into_iter()) as Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn why(ip: &str) -> Option<NotPublic> {
        classify(ip.parse().expect("test address"))
    }

    fn class(ip: &str) -> Option<AddressClass> {
        why(ip).map(|w| w.class)
    }

    #[test]
    fn every_non_public_v4_range_is_refused() {
        use AddressClass::*;
        for (ip, want) in [
            ("0.0.0.0", Unspecified),
            ("0.1.2.3", ThisNetwork),
            ("10.0.0.1", Private),
            ("10.255.255.255", Private),
            ("172.16.0.1", Private),
            ("172.31.255.254", Private),
            ("192.168.1.1", Private),
            ("100.64.0.1", SharedCgnat),
            ("100.127.255.255", SharedCgnat),
            ("127.0.0.1", Loopback),
            ("127.255.0.9", Loopback),
            ("169.254.169.254", LinkLocal),
            ("192.0.0.170", Reserved),
            ("192.0.2.1", Documentation),
            ("198.51.100.7", Documentation),
            ("203.0.113.9", Documentation),
            ("192.88.99.1", Reserved),
            ("198.18.0.1", Benchmarking),
            ("198.19.255.255", Benchmarking),
            ("224.0.0.1", Multicast),
            ("239.255.255.250", Multicast),
            ("240.0.0.1", Reserved),
            ("255.255.255.254", Reserved),
            ("255.255.255.255", Broadcast),
        ] {
            assert_eq!(class(ip), Some(want), "{ip}");
        }
    }

    #[test]
    fn public_v4_neighbours_of_the_ranges_pass() {
        for ip in [
            "1.1.1.1",
            "8.8.8.8",
            "9.255.255.255",
            "11.0.0.0",
            "172.15.255.255",
            "172.32.0.0",
            "192.167.255.255",
            "192.169.0.0",
            "100.63.255.255",
            "100.128.0.0",
            "126.255.255.255",
            "128.0.0.0",
            "169.253.255.255",
            "169.255.0.0",
            "192.0.1.1",
            "192.0.3.1",
            "198.17.255.255",
            "198.20.0.0",
            "203.0.112.1",
            "223.255.255.255",
        ] {
            assert_eq!(class(ip), None, "{ip}");
        }
    }

    #[test]
    fn every_non_public_v6_range_is_refused() {
        use AddressClass::*;
        for (ip, want) in [
            ("::", Unspecified),
            ("::1", Loopback),
            ("::127.0.0.1", Ipv4Compatible),
            ("::8.8.8.8", Ipv4Compatible),
            ("100::1", Reserved),
            ("2001::1", Reserved),
            ("2001:1ff::1", Reserved),
            ("2001:db8::1", Documentation),
            ("3fff::1", Documentation),
            ("3fff:fff::1", Documentation),
            ("5f00::1", Reserved),
            ("64:ff9b:1::1", LocalNat64),
            ("fc00::1", UniqueLocal),
            ("fd12:3456::1", UniqueLocal),
            ("fe80::1", LinkLocal),
            ("febf::1", LinkLocal),
            ("fec0::1", SiteLocal),
            ("ff02::1", Multicast),
            ("ff0e::1", Multicast),
            ("4000::1", NotGlobalUnicast),
            ("1::1", NotGlobalUnicast),
        ] {
            assert_eq!(
                why(ip).map(|w| (w.class, w.embedded)),
                Some((want, None)),
                "{ip}"
            );
        }
        for ip in ["2a00:1450::1", "2606:4700::1111", "2001:200::1", "2400::1"] {
            assert_eq!(class(ip), None, "{ip}");
        }
    }

    #[test]
    fn v6_forms_of_v4_addresses_are_judged_by_the_v4_address() {
        use AddressClass::*;
        use Embedding::*;
        for (ip, how, v4, want) in [
            ("::ffff:127.0.0.1", Mapped, "127.0.0.1", Loopback),
            ("::ffff:7f00:1", Mapped, "127.0.0.1", Loopback),
            (
                "::ffff:169.254.169.254",
                Mapped,
                "169.254.169.254",
                LinkLocal,
            ),
            ("::ffff:10.1.2.3", Mapped, "10.1.2.3", Private),
            ("64:ff9b::10.0.0.1", Nat64, "10.0.0.1", Private),
            ("64:ff9b::127.0.0.1", Nat64, "127.0.0.1", Loopback),
            ("64:ff9b::a9fe:a9fe", Nat64, "169.254.169.254", LinkLocal),
            ("2002:c0a8:0101::1", SixToFour, "192.168.1.1", Private),
            ("2002:7f00:1::", SixToFour, "127.0.0.1", Loopback),
        ] {
            let w = why(ip).unwrap_or_else(|| panic!("{ip} passed"));
            assert_eq!(w.class, want, "{ip}");
            assert_eq!(w.embedded, Some((how, v4.parse().unwrap())), "{ip}");
        }
        for ip in ["::ffff:8.8.8.8", "64:ff9b::1.1.1.1", "2002:0808:0808::1"] {
            assert_eq!(class(ip), None, "{ip}");
        }
        assert_eq!(
            why("::ffff:127.0.0.1").unwrap().to_string(),
            "an IPv4-mapped form of 127.0.0.1, a loopback address"
        );
    }

    fn url(s: &str) -> Url {
        Url::parse(s).expect("test URL")
    }

    #[test]
    fn literal_addresses_are_judged_before_sending() {
        let p = OutboundPolicy::default();
        let e = p
            .route(&url("http://127.0.0.1:8080/admin"), &Reach::Checked)
            .expect_err("loopback");
        assert_eq!(
            e.to_string(),
            "refused: 127.0.0.1 is a loopback address (outbound policy; add \"127.0.0.1:8080\" \
             to [fetch] allow_hosts to allow it)"
        );
        for bad in [
            "http://169.254.169.254/latest/meta-data/",
            "http://[::ffff:127.0.0.1]/",
            "http://[fe80::1]/",
            "http://2130706433/",
            "http://0x7f.1/",
            "http://[::]/",
        ] {
            assert!(p.route(&url(bad), &Reach::Checked).is_err(), "{bad}");
        }
        assert_eq!(
            p.route(&url("http://8.8.8.8/"), &Reach::Checked),
            Ok(Route::Checked)
        );
        assert_eq!(
            p.route(&url("https://news.example/a"), &Reach::Checked),
            Ok(Route::Checked)
        );
    }

    #[test]
    fn the_trusted_origin_and_allowed_hosts_go_anywhere() {
        let feed = Reach::trusting("http://127.0.0.1:8080/feed.xml");
        let p = OutboundPolicy::default();
        assert_eq!(
            p.route(&url("http://127.0.0.1:8080/a"), &feed),
            Ok(Route::Open)
        );
        // Another port, scheme or host is another origin.
        for other in [
            "http://127.0.0.1:8081/a",
            "https://127.0.0.1:8080/a",
            "http://127.0.0.2:8080/a",
        ] {
            assert!(p.route(&url(other), &feed).is_err(), "{other}");
        }
        assert_eq!(
            p.route(&url("http://10.0.0.1/"), &Reach::Anywhere),
            Ok(Route::Open)
        );

        let p = OutboundPolicy::new(&[
            "127.0.0.1:8081".into(),
            "Intranet.Example.".into(),
            "[fd00::1]".into(),
            " ".into(),
        ])
        .expect("valid entries");
        assert_eq!(
            p.route(&url("http://127.0.0.1:8081/a"), &feed),
            Ok(Route::Open)
        );
        assert!(p.route(&url("http://127.0.0.1:8082/a"), &feed).is_err());
        assert_eq!(
            p.route(&url("https://intranet.example:9443/"), &Reach::Checked),
            Ok(Route::Open)
        );
        assert_eq!(
            p.route(&url("http://[fd00::1]:81/"), &Reach::Checked),
            Ok(Route::Open)
        );
        assert!(p.route(&url("http://[fd00::2]/"), &Reach::Checked).is_err());
    }

    #[test]
    fn bad_allow_hosts_entries_are_named() {
        for bad in [
            "http://x/",
            "host:99999",
            "[::1",
            "a b:1",
            "[::1]x",
            "fd00::1",
            "host:",
        ] {
            let e = OutboundPolicy::new(&[bad.to_string()]).expect_err(bad);
            assert!(e.to_string().contains(&format!("{bad:?}")), "{e}");
        }
    }

    /// Answers from a list, one resolution after another (the last repeats).
    struct Stub(std::sync::Mutex<Vec<Vec<IpAddr>>>);

    impl Resolve for Stub {
        fn resolve(&self, _: Name) -> Resolving {
            let mut answers = self.0.lock().unwrap();
            let next = if answers.len() > 1 {
                answers.remove(0)
            } else {
                answers[0].clone()
            };
            Box::pin(async move {
                Ok(Box::new(next.into_iter().map(|ip| SocketAddr::new(ip, 0))) as Addrs)
            })
        }
    }

    fn ips(list: &[&str]) -> Vec<IpAddr> {
        list.iter().map(|s| s.parse().unwrap()).collect()
    }

    async fn resolve(r: &CheckedResolver, name: &str) -> Result<Vec<IpAddr>, String> {
        match r.resolve(Name::from_str(name).expect("name")).await {
            Ok(a) => Ok(a.map(|a| a.ip()).collect()),
            Err(e) => Err(e.to_string()),
        }
    }

    #[tokio::test]
    async fn the_resolver_drops_answers_that_are_not_public() {
        let stub = Stub(std::sync::Mutex::new(vec![
            ips(&["93.184.216.34"]),
            ips(&["10.0.0.5"]),
            ips(&["10.0.0.5", "93.184.216.34", "::1"]),
            ips(&["::ffff:169.254.169.254"]),
        ]));
        let r = CheckedResolver::new(Arc::new(stub));
        // Public the first time, private the next: judged at every resolution.
        assert_eq!(
            resolve(&r, "rebind.example").await,
            Ok(ips(&["93.184.216.34"]))
        );
        assert_eq!(
            resolve(&r, "rebind.example").await,
            Err(
                "refused: rebind.example resolves to 10.0.0.5, a private address (outbound \
                 policy; add \"rebind.example\" to [fetch] allow_hosts to allow it)"
                    .into()
            )
        );
        assert_eq!(
            resolve(&r, "mixed.example").await,
            Ok(ips(&["93.184.216.34"]))
        );
        let e = resolve(&r, "meta.example").await.expect_err("refused");
        assert!(e.contains("an IPv4-mapped form of 169.254.169.254"), "{e}");
    }
}
