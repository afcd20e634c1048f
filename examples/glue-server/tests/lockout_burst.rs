//! The lockout over HTTP under a concurrent burst (issue 10, D27): wrong
//! passwords sent at once for one username from one address get at most
//! nine answers of 401/4101, the rest 429/4401, and the right password
//! inside or after the burst is refused with 429.

#[allow(dead_code)]
mod common;

use std::collections::BTreeMap;
use std::sync::Barrier;

use common::{DataDir, login_body};

const WRONG: &str = "wrong-password";

fn tally(statuses: &[(u16, String)]) -> BTreeMap<(u16, String), usize> {
    let mut counts = BTreeMap::new();
    for s in statuses {
        *counts.entry(s.clone()).or_insert(0) += 1;
    }
    counts
}

/// The status and Glue code of a login answer.
fn outcome(reply: &common::Reply) -> (u16, String) {
    let code = reply.json()["errors"][0]["code"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    (reply.status, code)
}

#[test]
fn burst_of_150_wrong_passwords_over_http_answers_exactly_9_times_4101() {
    let data = DataDir::new();
    let server = data.serve(&[]);
    let barrier = Barrier::new(150);
    let statuses: Vec<(u16, String)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..150)
            .map(|_| {
                let (server, barrier) = (&server, &barrier);
                s.spawn(move || {
                    barrier.wait();
                    let reply = server.post(
                        "/agent-access-tokens",
                        &[],
                        &login_body("admin@spryker.com", WRONG),
                    );
                    if reply.status == 429 {
                        assert!(reply.header("retry-after").is_some(), "{:?}", reply.headers);
                    }
                    outcome(&reply)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(
        tally(&statuses),
        BTreeMap::from([
            ((401, "4101".to_owned()), 9),
            ((429, "4401".to_owned()), 141),
        ])
    );
    // The right password after the burst: blocked, no token.
    let right = server.post(
        "/agent-access-tokens",
        &[],
        &login_body("admin@spryker.com", "change123"),
    );
    assert_eq!(outcome(&right), (429, "4401".to_owned()));
}

#[test]
fn right_password_among_100_concurrent_guesses_gets_no_token_unless_among_the_first_nine() {
    let data = DataDir::new();
    let server = data.serve(&[]);
    let barrier = Barrier::new(100);
    let statuses: Vec<(u16, String)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..100)
            .map(|i| {
                let (server, barrier) = (&server, &barrier);
                s.spawn(move || {
                    barrier.wait();
                    let password = if i == 50 { "change123" } else { WRONG };
                    outcome(&server.post(
                        "/agent-access-tokens",
                        &[],
                        &login_body("admin@spryker.com", password),
                    ))
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let counts = tally(&statuses);
    let failures = counts.get(&(401, "4101".to_owned())).copied().unwrap_or(0);
    let tokens = counts.get(&(201, String::new())).copied().unwrap_or(0);
    // Nine attempts are counted before any password work; only one of them
    // can be the right password, and its success resets the count (D17),
    // after which at most nine more failures are answered.
    assert!(tokens <= 1, "{counts:?}");
    assert!(failures <= 9 + 9 * tokens, "{counts:?}");
    assert_eq!(
        failures + tokens + counts[&(429, "4401".to_owned())],
        100,
        "{counts:?}"
    );
}
