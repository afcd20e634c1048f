//! The client-address rule (D29): which address a request counts as, for the
//! lockout key (D17), behind zero or more trusted proxies; the attacks on
//! `X-Forwarded-For`; IPv4-mapped peers; the trusted-proxy list as
//! configuration.

use std::collections::BTreeSet;
use std::net::IpAddr;

use agent_oauth_core::Error;
use agent_oauth_core::client_ip::{TrustedProxies, canonical, parse_entry, resolve, resolve_str};
use serde::Deserialize;

/// A load balancer at 10.0.0.1 and internal hops in 10/8, a single trusted
/// address, an IPv6 unique-local range and loopback.
const PROXIES: [&str; 4] = ["10.0.0.0/8", "192.168.1.1", "fd00::/8", "::1"];

/// The trusted peer most tests receive requests from.
const LB: &str = "10.0.0.1";

fn ip(text: &str) -> IpAddr {
    text.parse().unwrap()
}

fn trusted(entries: &[&str]) -> TrustedProxies {
    TrustedProxies::parse(entries).unwrap()
}

/// The client of a request from `peer` with these `X-Forwarded-For` lines,
/// behind [`PROXIES`].
fn client(peer: &str, lines: &[&str]) -> IpAddr {
    resolve(ip(peer), lines.iter().copied(), &trusted(&PROXIES))
}

#[test]
fn parse_entry_strips_ports_brackets_and_whitespace() {
    let cases = [
        ("1.2.3.4", "1.2.3.4"),
        (" 1.2.3.4\t", "1.2.3.4"),
        ("1.2.3.4:5678", "1.2.3.4"),
        ("1.2.3.4:0", "1.2.3.4"),
        ("1.2.3.4:65535", "1.2.3.4"),
        ("2001:db8::1", "2001:db8::1"),
        // A bare IPv6 address: its last group is not a port.
        ("2001:db8::1:443", "2001:db8::1:443"),
        ("[2001:db8::1]", "2001:db8::1"),
        ("[2001:db8::1]:443", "2001:db8::1"),
        (" [2001:db8::7]:443 ", "2001:db8::7"),
        ("::1", "::1"),
        ("::ffff:1.2.3.4", "1.2.3.4"),
        ("[::ffff:1.2.3.4]:80", "1.2.3.4"),
    ];
    for (entry, expected) in cases {
        assert_eq!(parse_entry(entry), Some(ip(expected)), "{entry:?}");
    }
}

#[test]
fn parse_entry_refuses_what_is_not_an_address() {
    let cases = [
        "",
        "   ",
        "unknown",
        "UNKNOWN",
        "_hidden",
        "_SEVKISEK",
        "garbage",
        "1.2.3",
        "256.1.1.1",
        "010.0.0.1",
        "1.2.3.4:",
        "1.2.3.4:65536",
        "1.2.3.4:+80",
        "1.2.3.4:80:80",
        "1.2.3.4 :80",
        "1.2.3.4/32",
        "[2001:db8::1",
        "[2001:db8::1]443",
        "[2001:db8::1]:",
        "[2001:db8::1]:x",
        "[1.2.3.4]",
        "[1.2.3.4]:80",
        "2001:db8::1]:443",
        "fe80::1%eth0",
        "\"1.2.3.4\"",
    ];
    for entry in cases {
        assert_eq!(parse_entry(entry), None, "{entry:?}");
    }
}

#[test]
fn canonical_turns_only_ipv4_mapped_addresses_into_ipv4() {
    let cases = [
        ("::ffff:10.0.0.1", "10.0.0.1"),
        ("10.0.0.1", "10.0.0.1"),
        ("2001:db8::1", "2001:db8::1"),
        ("::1", "::1"),
        // The deprecated IPv4-compatible form is not a dual-stack peer.
        ("::10.0.0.1", "::a00:1"),
    ];
    for (given, expected) in cases {
        assert_eq!(canonical(ip(given)), ip(expected), "{given}");
    }
}

#[test]
fn untrusted_peer_is_the_client_and_forwarded_for_is_ignored() {
    assert_eq!(
        client("203.0.113.9", &["198.51.100.7, 10.0.0.2"]),
        ip("203.0.113.9")
    );
    assert_eq!(
        client("::ffff:203.0.113.9", &["198.51.100.7"]),
        ip("203.0.113.9")
    );
}

#[test]
fn without_trusted_proxies_even_loopback_peer_is_the_client() {
    let none = TrustedProxies::default();
    assert_eq!(
        resolve(ip("127.0.0.1"), ["198.51.100.7"], &none),
        ip("127.0.0.1")
    );
}

#[test]
fn trusted_peer_takes_the_right_most_untrusted_entry() {
    assert_eq!(
        client(LB, &["203.0.113.5, 198.51.100.7"]),
        ip("198.51.100.7")
    );
}

#[test]
fn trusted_chain_of_proxies_in_ranges_is_skipped() {
    assert_eq!(
        client(
            LB,
            &["203.0.113.5, 198.51.100.7, 10.1.2.3, 192.168.1.1, 10.200.0.1"]
        ),
        ip("198.51.100.7")
    );
    // 192.168.1.1 is trusted as a single address, not its neighbours.
    assert_eq!(
        client(LB, &["203.0.113.5, 192.168.1.2, 192.168.1.1"]),
        ip("192.168.1.2")
    );
}

#[test]
fn trusted_peer_without_forwarded_for_is_the_client() {
    assert_eq!(client(LB, &[]), ip(LB));
}

#[test]
fn all_entries_trusted_gives_the_left_most_the_farthest_proxy() {
    assert_eq!(client(LB, &["10.9.9.9, 10.1.1.1"]), ip("10.9.9.9"));
    assert_eq!(client(LB, &["10.9.9.9", "192.168.1.1"]), ip("10.9.9.9"));
}

#[test]
fn what_the_proxy_appends_decides_never_the_forged_entry_left_of_it() {
    // Each forged left-most entry is what a client could write itself.
    let cases = [
        // The proxy appends IP:port: the port is stripped, that IP is the client.
        ("203.0.113.66, 198.51.100.7:51234", "198.51.100.7"),
        // It appends `unknown`: the walk ends, the peer is the client.
        ("203.0.113.66, unknown", LB),
        ("203.0.113.66, _hidden", LB),
        ("203.0.113.66, [2001:db8::7]:443", "2001:db8::7"),
        ("203.0.113.66, [2001:db8::7]", "2001:db8::7"),
        ("203.0.113.66, 2001:db8::7", "2001:db8::7"),
        ("203.0.113.66, ::ffff:198.51.100.7", "198.51.100.7"),
        // An empty entry is reached: the walk ends there.
        ("203.0.113.66, ", LB),
        ("1.2.3.4, , 10.5.6.7", LB),
        // An empty entry that is never reached changes nothing.
        ("1.2.3.4, , 5.6.7.8", "5.6.7.8"),
        // Garbage behind a trusted hop still ends the walk.
        ("203.0.113.66, garbage, 10.1.1.1", LB),
        // A forged trusted address left of the client is never reached.
        ("10.0.0.9, 198.51.100.7", "198.51.100.7"),
        // A trusted hop written as IPv4-mapped is skipped like its IPv4 form.
        ("198.51.100.7, ::ffff:10.1.1.1", "198.51.100.7"),
    ];
    for (header, expected) in cases {
        assert_eq!(client(LB, &[header]), ip(expected), "{header:?}");
    }
}

#[test]
fn several_header_lines_are_one_list_in_order() {
    let cases: [(&[&str], &str); 5] = [
        (
            &["203.0.113.5, 198.51.100.7", "10.1.1.1", "192.168.1.1"],
            "198.51.100.7",
        ),
        (&["203.0.113.5", "198.51.100.7"], "198.51.100.7"),
        (&["198.51.100.7", "203.0.113.5"], "203.0.113.5"),
        // An unparseable entry in a middle line ends the walk.
        (&["198.51.100.7", "unknown", "10.1.1.1"], LB),
        // An empty right-most line is an empty entry.
        (&["198.51.100.7", ""], LB),
    ];
    for (lines, expected) in cases {
        assert_eq!(client(LB, lines), ip(expected), "{lines:?}");
    }
}

#[test]
fn thirty_forged_left_most_addresses_all_resolve_to_the_same_client() {
    let clients: BTreeSet<IpAddr> = (0..30)
        .map(|i| {
            let forged = match i % 3 {
                0 => format!("203.0.113.{i}"),
                1 => format!("10.0.0.{i}, 192.168.1.1"),
                _ => format!("garbage-{i}, unknown"),
            };
            let header = format!("{forged}, 198.51.100.7:{}", 40000 + i);
            client(LB, &[&header])
        })
        .collect();
    assert_eq!(clients, BTreeSet::from([ip("198.51.100.7")]));
}

#[test]
fn ipv4_mapped_peer_matches_trusted_ipv4_address_and_range() {
    for entry in ["10.0.0.1", "10.0.0.0/8"] {
        let proxies = trusted(&[entry]);
        assert!(proxies.contains(ip("::ffff:10.0.0.1")), "{entry}");
        assert_eq!(
            resolve(
                ip("::ffff:10.0.0.1"),
                ["203.0.113.5, 198.51.100.7"],
                &proxies
            ),
            ip("198.51.100.7"),
            "{entry}"
        );
    }
    assert!(!trusted(&["10.0.0.1"]).contains(ip("::ffff:10.0.0.2")));
}

#[test]
fn ipv4_mapped_trusted_entries_are_held_as_ipv4() {
    let proxies = trusted(&["::ffff:10.0.0.1", "::ffff:192.168.0.0/112"]);
    assert!(proxies.contains(ip("10.0.0.1")));
    assert!(proxies.contains(ip("192.168.5.5")));
    assert!(!proxies.contains(ip("192.169.0.1")));
    assert_eq!(
        serde_json::to_string(&proxies).unwrap(),
        r#"["10.0.0.1","192.168.0.0/16"]"#
    );
}

#[test]
fn ipv6_addresses_and_ranges_are_trusted() {
    let proxies = trusted(&["fd00::/8", "::1", "2001:db8:1::/48"]);
    let cases = [
        ("fd12:3456::1", true),
        ("::1", true),
        ("::2", false),
        ("2001:db8:1:ffff::1", true),
        ("2001:db8:2::1", false),
        ("fe00::1", false),
    ];
    for (address, expected) in cases {
        assert_eq!(proxies.contains(ip(address)), expected, "{address}");
    }
    assert_eq!(
        resolve(
            ip("fd00::5"),
            ["2001:db8::66, 2001:db8::7, [2001:db8:1::9]:443, fd11::1"],
            &proxies
        ),
        ip("2001:db8::7")
    );
}

#[test]
fn ipv4_and_ipv6_ranges_do_not_match_each_other() {
    assert!(!trusted(&["0.0.0.0/0"]).contains(ip("::1")));
    // Short IPv6 ranges match IPv6 only, even where they cover mapped addresses.
    assert!(!trusted(&["::/0"]).contains(ip("10.0.0.1")));
    assert!(!trusted(&["::/0"]).contains(ip("::ffff:10.0.0.1")));
}

#[test]
fn invalid_trusted_entries_are_refused_with_a_config_error_naming_them() {
    let cases = [
        "",
        "unknown",
        "10.0.0.0/33",
        "fd00::/129",
        "10.0.0.1/",
        "/8",
        "10.0.0.0/+8",
        "10.0.0.0/8/8",
        "10.0.0.0/ 8",
        "010.0.0.1",
        "10.0.0.1:80",
        "[::1]",
        "fd00::/8 fe00::/8",
        "fe80::1%eth0",
    ];
    for bad in cases {
        match TrustedProxies::parse(["10.0.0.1", bad]) {
            Err(Error::Config(message)) => assert_eq!(
                message,
                format!("trusted proxy {bad:?} is neither an IP address nor a CIDR range")
            ),
            other => panic!("{bad:?}: {other:?}"),
        }
    }
}

#[test]
fn trusted_entries_may_carry_surrounding_whitespace() {
    let proxies = trusted(&[" 10.0.0.0/8 ", "\t::1"]);
    assert!(proxies.contains(ip("10.2.3.4")));
    assert!(proxies.contains(ip("::1")));
}

#[test]
fn default_trusts_no_proxy() {
    let none = TrustedProxies::default();
    assert!(none.is_empty());
    assert!(!none.contains(ip("127.0.0.1")));
    assert_eq!(TrustedProxies::parse(Vec::<String>::new()).unwrap(), none);
    assert!(!trusted(&["::1"]).is_empty());
}

#[test]
fn serde_round_trip_is_a_json_list_of_strings() {
    let json = r#"["10.0.0.0/8","192.168.1.1","fd00::/8","::1","10.0.0.7/32","fd00::1/128"]"#;
    let proxies: TrustedProxies = serde_json::from_str(json).unwrap();
    assert_eq!(
        proxies,
        trusted(&[
            "10.0.0.0/8",
            "192.168.1.1",
            "fd00::/8",
            "::1",
            "10.0.0.7",
            "fd00::1"
        ])
    );
    // Single addresses are written without their prefix length.
    let written = serde_json::to_string(&proxies).unwrap();
    assert_eq!(
        written,
        r#"["10.0.0.0/8","192.168.1.1","fd00::/8","::1","10.0.0.7","fd00::1"]"#
    );
    assert_eq!(
        serde_json::from_str::<TrustedProxies>(&written).unwrap(),
        proxies
    );
}

#[test]
fn trusted_proxies_is_a_config_field() {
    #[derive(Deserialize)]
    struct Config {
        #[serde(default)]
        trusted_proxies: TrustedProxies,
    }
    let config: Config = serde_json::from_str(r#"{"trusted_proxies": ["10.0.0.0/8"]}"#).unwrap();
    assert_eq!(config.trusted_proxies, trusted(&["10.0.0.0/8"]));
    let config: Config = serde_json::from_str("{}").unwrap();
    assert!(config.trusted_proxies.is_empty());
}

#[test]
fn serde_refuses_invalid_entries_naming_them() {
    let error = serde_json::from_str::<TrustedProxies>(r#"["10.0.0.0/8","nope"]"#).unwrap_err();
    assert_eq!(
        error.to_string(),
        r#"Configuration error: trusted proxy "nope" is neither an IP address nor a CIDR range"#
    );
    assert!(serde_json::from_str::<TrustedProxies>("[10]").is_err());
    assert!(serde_json::from_str::<TrustedProxies>(r#""10.0.0.0/8""#).is_err());
}

#[test]
fn resolve_str_reads_a_textual_peer_like_an_entry() {
    let proxies = trusted(&PROXIES);
    let xff = ["203.0.113.5, 198.51.100.7"];
    let cases = [
        // Untrusted: port stripped, header not read.
        ("203.0.113.9:51234", "203.0.113.9"),
        ("::ffff:203.0.113.9", "203.0.113.9"),
        ("2001:db8::9", "2001:db8::9"),
        // Trusted, however written: the header decides.
        (LB, "198.51.100.7"),
        ("10.0.0.1:8080", "198.51.100.7"),
        ("[::ffff:10.0.0.1]:8080", "198.51.100.7"),
        ("[::1]:9000", "198.51.100.7"),
        // Not an address: returned exactly as given, header not read.
        ("unix:/run/php-fpm.sock", "unix:/run/php-fpm.sock"),
        (" not an ip ", " not an ip "),
        ("", ""),
    ];
    for (peer, expected) in cases {
        assert_eq!(resolve_str(peer, xff, &proxies), expected, "{peer:?}");
    }
    assert_eq!(resolve_str(LB, ["203.0.113.5, unknown"], &proxies), LB);
}
