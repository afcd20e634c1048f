//! The client address of a request (D29): the one rule that the server, the C
//! ABI and the PHP extension use, so the lockout key (D17) cannot differ
//! between front ends.
//!
//! The peer address is the client unless the peer is a trusted proxy. Then
//! `X-Forwarded-For` is walked right to left, because only entries appended by
//! trusted proxies are trustworthy: everything left of the first untrusted
//! entry may have been written by the client itself.

use std::net::{IpAddr, Ipv6Addr};
use std::str::FromStr;

use ipnet::{IpNet, Ipv4Net};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// Proxies whose `X-Forwarded-For` entries are believed: single addresses and
/// CIDR ranges, IPv4 or IPv6.
///
/// IPv4-mapped IPv6 entries (`::ffff:10.0.0.1`, `::ffff:10.0.0.0/104`) are
/// held as IPv4, and addresses are matched in their [`canonical`] form, so a
/// dual-stack socket's `::ffff:10.0.0.1` matches `10.0.0.1` and `10.0.0.0/8`.
/// An IPv6 range shorter than /96 matches IPv6 addresses only; IPv4 proxies
/// are listed as IPv4.
///
/// In configuration it is a list of strings (`["10.0.0.0/8", "::1"]`); the
/// default is empty, which trusts no proxy.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "Vec<String>", into = "Vec<String>")]
pub struct TrustedProxies {
    nets: Vec<IpNet>,
}

impl TrustedProxies {
    /// Parses each entry as an IP address or a CIDR range (`10.0.0.1`,
    /// `10.0.0.0/8`, `::1`, `fd00::/8`), surrounding whitespace ignored.
    ///
    /// Fails with [`Error::Config`] naming the first entry that is neither.
    pub fn parse<I, S>(entries: I) -> Result<Self>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let nets = entries
            .into_iter()
            .map(|entry| parse_net(entry.as_ref()))
            .collect::<Result<_>>()?;
        Ok(TrustedProxies { nets })
    }

    /// Whether no proxy is trusted (then the peer is always the client).
    pub fn is_empty(&self) -> bool {
        self.nets.is_empty()
    }

    /// Whether `ip`, in its [`canonical`] form, is a trusted proxy.
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        self.nets.iter().any(|net| net.contains(&ip))
    }
}

impl TryFrom<Vec<String>> for TrustedProxies {
    type Error = Error;

    fn try_from(entries: Vec<String>) -> Result<Self> {
        TrustedProxies::parse(entries)
    }
}

impl From<TrustedProxies> for Vec<String> {
    /// Single addresses are written without a prefix length, as they are
    /// usually configured.
    fn from(trusted: TrustedProxies) -> Self {
        trusted
            .nets
            .iter()
            .map(|net| {
                if net.prefix_len() == net.max_prefix_len() {
                    net.addr().to_string()
                } else {
                    net.to_string()
                }
            })
            .collect()
    }
}

/// One trusted entry, IPv4-mapped ranges held as IPv4. Addresses are read by
/// the standard library, which refuses ambiguous forms such as `010.0.0.1`.
fn parse_net(entry: &str) -> Result<IpNet> {
    let invalid = || {
        Error::Config(format!(
            "trusted proxy {entry:?} is neither an IP address nor a CIDR range"
        ))
    };
    let text = entry.trim();
    let net = match text.split_once('/') {
        Some((addr, len)) => {
            let addr = addr.parse::<IpAddr>().map_err(|_| invalid())?;
            let len = number(len).ok_or_else(invalid)?;
            IpNet::new(addr, len).map_err(|_| invalid())?
        }
        None => IpNet::from(text.parse::<IpAddr>().map_err(|_| invalid())?),
    };
    Ok(match net {
        IpNet::V6(v6) if v6.prefix_len() >= 96 => match v6.addr().to_ipv4_mapped() {
            // At most 128 - 96 = 32 bits: always a valid IPv4 prefix.
            Some(v4) => Ipv4Net::new_assert(v4, v6.prefix_len() - 96).into(),
            None => net,
        },
        _ => net,
    })
}

/// `ip` with an IPv4-mapped IPv6 address (`::ffff:10.0.0.1`) turned into IPv4,
/// as a dual-stack socket reports IPv4 peers; other addresses are unchanged.
pub fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        IpAddr::V4(_) => ip,
    }
}

/// One `X-Forwarded-For` entry as an address, in [`canonical`] form.
///
/// Accepts, around surrounding whitespace: `1.2.3.4`, `1.2.3.4:5678`,
/// `2001:db8::1`, `[2001:db8::1]` and `[2001:db8::1]:443`. Anything else
/// (`unknown`, an empty entry, an obfuscated `_hidden` identifier, a bad
/// port, garbage) is `None`.
pub fn parse_entry(entry: &str) -> Option<IpAddr> {
    let entry = entry.trim();
    let ip = if let Some(bracketed) = entry.strip_prefix('[') {
        let (inside, rest) = bracketed.split_once(']')?;
        if !rest.is_empty() {
            number::<u16>(rest.strip_prefix(':')?)?;
        }
        IpAddr::V6(inside.parse::<Ipv6Addr>().ok()?)
    } else if let Ok(ip) = entry.parse::<IpAddr>() {
        // Before looking for a port: a bare IPv6 address is full of colons.
        ip
    } else {
        let (host, rest) = entry.split_once(':')?;
        number::<u16>(rest)?;
        IpAddr::V4(host.parse().ok()?)
    };
    Some(canonical(ip))
}

/// A port or a prefix length: ASCII digits only (no sign, no space), in range.
fn number<T: FromStr>(text: &str) -> Option<T> {
    if text.bytes().all(|b| b.is_ascii_digit()) {
        text.parse().ok()
    } else {
        None
    }
}

/// The client address of a request from `peer` (D29).
///
/// `forwarded_for` yields the raw `X-Forwarded-For` header lines in the order
/// received; each may hold several comma-separated entries, and the lines are
/// read as one list.
///
/// - An untrusted peer is the client; the header is not read.
/// - A trusted peer's entries are walked right to left, skipping trusted ones;
///   the first untrusted entry is the client.
/// - An entry that does not parse ([`parse_entry`]) ends the walk and the peer
///   is the client: whatever lies left of it may be forged. Clients behind
///   that proxy then share a lockout key, which none of them can choose.
/// - If every entry is trusted, the left-most one (the farthest proxy) is the
///   client: it is the farthest address the chain vouches for.
/// - With no header at all, the peer is the client.
///
/// The result is in [`canonical`] form.
pub fn resolve<'a>(
    peer: IpAddr,
    forwarded_for: impl IntoIterator<Item = &'a str>,
    trusted: &TrustedProxies,
) -> IpAddr {
    let peer = canonical(peer);
    if !trusted.contains(peer) {
        return peer;
    }
    let lines: Vec<&str> = forwarded_for.into_iter().collect();
    let mut client = peer;
    for entry in lines.iter().rev().flat_map(|line| line.rsplit(',')) {
        match parse_entry(entry) {
            None => return peer,
            Some(ip) if trusted.contains(ip) => client = ip,
            Some(ip) => return ip,
        }
    }
    client
}

/// [`resolve`] for a peer that arrives as text (the C ABI, the PHP extension).
///
/// The peer is read as an `X-Forwarded-For` entry is ([`parse_entry`]: port and
/// brackets stripped). A peer that does not parse is returned exactly as given
/// and the header is not read, since nothing can be trusted about it; one
/// that parses gives the [`resolve`]d address as text.
pub fn resolve_str<'a>(
    peer: &str,
    forwarded_for: impl IntoIterator<Item = &'a str>,
    trusted: &TrustedProxies,
) -> String {
    match parse_entry(peer) {
        Some(ip) => resolve(ip, forwarded_for, trusted).to_string(),
        None => peer.to_owned(),
    }
}
