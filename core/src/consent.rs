//! The customer's side of impersonation (issue 12, D30): consent codes a
//! customer creates with their own token and an agent must present, and the
//! list of impersonation sessions on the customer's account.
//!
//! A consent code is 6 digits from the OS generator, single use, stored only
//! as HMAC-SHA256 over the customer reference and the code, under a key
//! derived from the engine's private key: every server of a fleet computes
//! the same hash, and a copy of the database alone cannot test the million
//! possible codes. Wrong codes are counted per agent and customer with the
//! lockout figures of agent login (D17, D27).

use aws_lc_rs::hmac;
use chrono::{DateTime, SecondsFormat};
use serde::Serialize;

use crate::audit::{self, AuditEvent, AuditKind};
use crate::engine::{AgentCaller, Engine};
use crate::error::{Error, Result};
use crate::lockout::Reservation;
use crate::policy::{AgentDisplay, Refusal};
use crate::scope;
use crate::store::{ConsentRow, SessionSummary};
use crate::token::{AccessClaims, TokenKind};

/// Digits of a consent code.
pub const CONSENT_CODE_DIGITS: usize = 6;

/// Longest customer reference kept in a lockout key, in bytes (the MySQL
/// key column holds 1024).
const MAX_KEY_REFERENCE: usize = 512;

/// A consent code just created. The code is shown to the customer once and
/// stored only as a keyed hash.
#[derive(Clone, PartialEq, Eq, Serialize)]
pub struct Consent {
    /// The 6 digits, leading zeros kept.
    pub code: String,
    /// Seconds until the code can no longer be used.
    pub expires_in: u64,
}

impl std::fmt::Debug for Consent {
    // The code stays out of debug output.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Consent")
            .field("expires_in", &self.expires_in)
            .finish_non_exhaustive()
    }
}

/// Where an impersonation session stands, from the customer's side.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SessionStatus {
    /// The session can still be used or refreshed.
    Active,
    /// Its last refresh token expired.
    Ended,
    /// It was revoked: by the agent, an administrator, the end of the
    /// agent's session, the session-age rule or a detected reuse.
    Revoked,
}

/// One impersonation session on a customer's account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CustomerSession {
    /// A stable id: the family id as 16 hex digits.
    pub id: String,
    /// The agent as `impersonation.agent_display` shows it.
    pub agent: Option<String>,
    /// The reason the agent gave.
    pub reason: Option<String>,
    /// When it started, Unix seconds.
    pub started_at: i64,
    /// When it was revoked or expired; `None` while active.
    pub ended_at: Option<i64>,
    /// Active, ended or revoked.
    pub status: SessionStatus,
}

/// One page of a customer's impersonation sessions, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CustomerSessionPage {
    /// The sessions of this page.
    pub sessions: Vec<CustomerSession>,
    /// Sessions in all.
    pub total: u64,
    /// The page's first position (a multiple of `limit`).
    pub offset: u64,
    /// The page size.
    pub limit: u64,
}

/// An ISO 8601 UTC time with seconds, as the session list writes it
/// (`2026-12-02T23:36:02Z`).
pub fn iso8601(unix: i64) -> String {
    DateTime::from_timestamp(unix, 0)
        .unwrap_or_default()
        .to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// The key consent codes are hashed under: the SHA-256 of the signing key's
/// RS256 signature of a fixed label. RSASSA-PKCS1-v1_5 is deterministic, so
/// every server holding the key derives the same hashing key, whatever form
/// its key file has (PKCS#1 or PKCS#8, PEM line endings); nobody without
/// the private key can. A key rotation voids the codes not yet used.
pub(crate) fn derive_key(signing: &crate::token::SigningKey) -> Result<hmac::Key> {
    let signature = signing.sign(b"agent-oauth consent code key v1")?;
    let seed = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, &signature);
    Ok(hmac::Key::new(hmac::HMAC_SHA256, seed.as_ref()))
}

/// The lockout key of wrong consent codes for one agent and customer. It
/// starts with a control character, so it never equals a login key (which
/// starts with an address).
fn lockout_key(agent_id: i64, customer_reference: &str) -> String {
    format!(
        "\u{2}consent:{agent_id}\u{1f}{}",
        audit::clip(customer_reference, MAX_KEY_REFERENCE)
    )
}

/// The customer reference of a customer's own token: no `act`, no truthy
/// `sub.id_agent`, no `customer_impersonation` scope (Spryker's own
/// impersonation tokens carry it), and a reference in `sub`.
fn own_customer_reference(claims: &AccessClaims) -> Option<&str> {
    let own = claims.kind() == TokenKind::Customer
        && claims.subject.agent_id().is_none()
        && !claims.has_scope(scope::CUSTOMER_IMPERSONATION);
    claims
        .subject
        .customer_reference
        .as_deref()
        .filter(|r| own && !r.is_empty())
}

impl Engine {
    /// The customer behind a customer's own access token (D1: verified with
    /// the shop's key). An invalid token, or one whose customer the directory
    /// no longer has as active (anonymized, deleted), is 001; an agent or
    /// impersonation token, or one without a customer, is
    /// [`Error::CustomerOnly`] (403).
    fn customer_of(&self, customer_token: &str) -> Result<String> {
        let claims = self.verify(customer_token)?;
        let reference = own_customer_reference(&claims).ok_or(Error::CustomerOnly)?;
        match self.active_customer(reference)? {
            Some(customer) => Ok(customer.customer_reference),
            None => Err(Error::InvalidAccessToken),
        }
    }

    /// Creates a consent code for the customer whose own token this is
    /// (`POST /customer-impersonation-consents`). The customer's earlier
    /// codes stop working; the new one works once, for
    /// `impersonation.consent_ttl` seconds.
    pub fn create_consent(&self, customer_token: &str, client_ip: &str) -> Result<Consent> {
        let customer_reference = self.customer_of(customer_token)?;
        let now = self.now();
        let ttl = self.inner.policy.config.consent_ttl;
        // A new hash for an earlier code of the same customer is the only
        // collision; a second draw avoids it.
        for _ in 0..4 {
            let code = self.draw_code()?;
            let row = ConsentRow {
                code_hash: self.consent_hash(&customer_reference, &code),
                customer_reference: customer_reference.clone(),
                created_at: now,
                expires_at: now + ttl as i64,
                used_at: None,
            };
            if self.inner.store.replace_consent(&row)? {
                let mut event = AuditEvent::new(AuditKind::ConsentCreated, now);
                event.customer_reference = Some(customer_reference);
                event.client_ip = audit::field(client_ip);
                self.inner.store.record(&event)?;
                return Ok(Consent {
                    code,
                    expires_in: ttl,
                });
            }
        }
        Err(Error::Internal("no unused consent code found".into()))
    }

    /// Six uniformly drawn digits: 32 random bits, redrawn above the largest
    /// multiple of a million, so no code is likelier than another.
    fn draw_code(&self) -> Result<String> {
        const LIMIT: u32 = u32::MAX - u32::MAX % 1_000_000;
        loop {
            let mut raw = [0u8; 4];
            self.inner.random.fill(&mut raw)?;
            let n = u32::from_le_bytes(raw);
            if n < LIMIT {
                return Ok(format!("{:06}", n % 1_000_000));
            }
        }
    }

    fn consent_hash(&self, customer_reference: &str, code: &str) -> [u8; 32] {
        let mut ctx = hmac::Context::with_key(&self.inner.consent_key);
        ctx.update(customer_reference.as_bytes());
        ctx.update(&[0]);
        ctx.update(code.as_bytes());
        let tag = ctx.sign();
        tag.as_ref().try_into().expect("SHA-256 is 32 bytes")
    }

    /// The consent rule at an impersonation, when the policy requires it:
    /// the code must be this customer's, unspent and unexpired, and is spent
    /// by this call. Wrong codes count toward a lockout per agent and
    /// customer, taken before the code is tried (D27), so a burst cannot
    /// try more codes than the lockout allows. The outer `Result` carries
    /// store failures, the inner one the refusal to audit.
    pub(crate) fn check_consent(
        &self,
        caller: &AgentCaller,
        customer_reference: &str,
        code: Option<&str>,
    ) -> Result<std::result::Result<(), Refusal>> {
        let inner = &self.inner;
        if !inner.policy.config.require_customer_consent {
            return Ok(Ok(()));
        }
        let Some(code) = code.filter(|c| !c.trim().is_empty()) else {
            return Ok(Err(Refusal::consent("no consent code given")));
        };
        let now = self.now();
        let policy = inner.config.lockout;
        let key =
            (policy.max_failures > 0).then(|| lockout_key(caller.agent.id, customer_reference));
        let mut locks = false;
        if let Some(key) = &key {
            match self.reserve_attempt(key, now)? {
                Reservation::Blocked { retry_after } => {
                    return Ok(Err(Refusal::consent(format_args!(
                        "too many wrong codes from this agent for this customer, blocked for {retry_after} s"
                    ))));
                }
                Reservation::Counted { locks: l } => locks = l,
            }
        }
        let well_formed =
            code.len() == CONSENT_CODE_DIGITS && code.bytes().all(|b| b.is_ascii_digit());
        let hash = self.consent_hash(customer_reference, code);
        if well_formed && inner.store.spend_consent(&hash, customer_reference, now)? {
            if let Some(key) = &key {
                inner.store.update(key, &mut |_| None)?;
            }
            return Ok(Ok(()));
        }
        // The attempt stays counted; say why it failed.
        let found = match well_formed {
            true => inner.store.find_consent(&hash)?,
            false => None,
        };
        let why = match found {
            Some(row) if row.customer_reference == customer_reference => match row.used_at {
                Some(_) => "consent code already used",
                None if row.expires_at <= now => "consent code expired",
                None => "consent code not accepted",
            },
            _ => "wrong consent code",
        };
        Ok(Err(match locks {
            true => Refusal::consent(format_args!(
                "{why}; the {}th failure blocks this agent for this customer for {} s",
                policy.max_failures, policy.block
            )),
            false => Refusal::consent(why),
        }))
    }

    /// The impersonation sessions on the account of the customer whose own
    /// token this is, newest first, paged as the agent customer search
    /// (D14): `paging` is `(offset, limit)` when both were given.
    pub fn customer_sessions(
        &self,
        customer_token: &str,
        paging: Option<(u64, u64)>,
    ) -> Result<CustomerSessionPage> {
        let customer_reference = self.customer_of(customer_token)?;
        let (offset, limit) = crate::search::window(paging);
        let (rows, total) =
            self.inner
                .store
                .customer_sessions(&customer_reference, offset, limit)?;
        let now = self.now();
        let display = self.inner.policy.config.agent_display;
        let sessions = rows
            .into_iter()
            .map(|row| session_view(row, display, now))
            .collect();
        Ok(CustomerSessionPage {
            sessions,
            total,
            offset,
            limit,
        })
    }
}

/// A stored session as its customer sees it: revoked when its family was
/// revoked, ended once its last refresh token expired, else active.
fn session_view(row: SessionSummary, display: AgentDisplay, now: i64) -> CustomerSession {
    // A revocation reaches rows that had expired already (blocking an agent
    // revokes all its sessions); such a session ended by its expiry.
    let (status, ended_at) = match row.revoked_at {
        Some(at) if at < row.expires_at => (SessionStatus::Revoked, Some(at)),
        _ if row.expires_at <= now => (SessionStatus::Ended, Some(row.expires_at)),
        Some(at) => (SessionStatus::Revoked, Some(at)),
        None => (SessionStatus::Active, None),
    };
    CustomerSession {
        id: format!("{:016x}", row.family_id as u64),
        agent: match display {
            AgentDisplay::Username => Some(row.agent_username),
            AgentDisplay::Id => Some(row.agent_id.to_string()),
            AgentDisplay::None => None,
        },
        reason: row.reason,
        started_at: row.started_at,
        ended_at,
        status,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(revoked_at: Option<i64>, expires_at: i64) -> SessionSummary {
        SessionSummary {
            family_id: -2,
            agent_id: 7,
            agent_username: "admin@spryker.com".into(),
            reason: Some("SUP-1".into()),
            started_at: 100,
            revoked_at,
            expires_at,
        }
    }

    #[test]
    fn a_session_is_revoked_ended_or_active() {
        let view = session_view(summary(Some(150), 900), AgentDisplay::Username, 200);
        assert_eq!(
            (view.status, view.ended_at),
            (SessionStatus::Revoked, Some(150))
        );
        assert_eq!(view.id, "fffffffffffffffe");
        let view = session_view(summary(None, 200), AgentDisplay::Id, 200);
        assert_eq!(
            (view.status, view.ended_at),
            (SessionStatus::Ended, Some(200))
        );
        assert_eq!(view.agent.as_deref(), Some("7"));
        let view = session_view(summary(None, 201), AgentDisplay::None, 200);
        assert_eq!((view.status, view.ended_at), (SessionStatus::Active, None));
        assert_eq!(view.agent, None);
        // Revoked only after it had expired: it ended by its expiry.
        let view = session_view(summary(Some(950), 900), AgentDisplay::Username, 1000);
        assert_eq!(
            (view.status, view.ended_at),
            (SessionStatus::Ended, Some(900))
        );
    }

    #[test]
    fn times_are_iso_8601_utc() {
        assert_eq!(iso8601(0), "1970-01-01T00:00:00Z");
        assert_eq!(iso8601(1_796_168_162), "2026-12-01T23:36:02Z");
    }

    #[test]
    fn the_consent_key_follows_the_key_not_its_file_form() {
        let key = |pem: &str| {
            derive_key(&crate::token::SigningKey::from_pem(pem.as_bytes()).unwrap()).unwrap()
        };
        let tag = |k: &hmac::Key| hmac::sign(k, b"DE--5\x00123456").as_ref().to_vec();
        let pkcs1 = include_str!("../tests/keys/test-only-private-key.pem");
        let pkcs8 = include_str!("../tests/keys/test-only-private-key-pkcs8.pem");
        assert_eq!(tag(&key(pkcs1)), tag(&key(pkcs8)));
        assert_eq!(tag(&key(pkcs1)), tag(&key(&pkcs1.replace('\n', "\r\n"))));
        let other = include_str!("../tests/keys/test-only-other-private-key.pem");
        assert_ne!(tag(&key(pkcs1)), tag(&key(other)));
    }
}
