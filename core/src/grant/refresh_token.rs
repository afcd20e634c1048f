//! `refresh_token`: exchanges a refresh token for a new pair, rotating it.

use super::{Grant, GrantRequest};
use crate::audit::{AuditEvent, AuditKind};
use crate::engine::{Engine, MintParams, TokenResponse};
use crate::error::{Error, Result};
use crate::scope;
use crate::store::{Durability, RefreshTokenRow, RevokeScope, SessionKind};
use crate::token::Subject;

/// The refresh grant.
#[derive(Debug, Default, Clone, Copy)]
pub struct RefreshTokenGrant;

impl Grant for RefreshTokenGrant {
    fn identifier(&self) -> &'static str {
        scope::GRANT_REFRESH_TOKEN
    }

    fn scopes(&self) -> &'static [&'static str] {
        &[]
    }

    fn handle(&self, engine: &Engine, request: &GrantRequest<'_>) -> Result<TokenResponse> {
        engine.refresh(request.refresh_token.unwrap_or_default(), request.client_ip)
    }
}

/// What the write transaction found when it re-read the presented token.
enum Outcome {
    Rotated(TokenResponse),
    Refused,
    /// Spent meanwhile and outside the grace window.
    Reused(Box<RefreshTokenRow>),
}

impl Engine {
    /// Exchanges a refresh token for a new pair. The presented token is spent
    /// (rotation). Presenting a spent token again revokes its whole family,
    /// unless within `refresh_reuse_grace` seconds of its first use, which
    /// gets a sibling pair (D9). The agent (or acting agent) must still be
    /// active and an impersonated customer still exist, be active and allow
    /// impersonation; an impersonation keeps its cap and its `act` (D4).
    /// Every refusal is [`Error::RefreshFailed`] (004), except an
    /// impersonation session past `impersonation.max_session_seconds`
    /// (4104, D30).
    pub fn refresh(&self, refresh_token: &str, client_ip: &str) -> Result<TokenResponse> {
        let now = self.now();
        let Some(row) = self.find_refresh_token(refresh_token)? else {
            return Err(Error::RefreshFailed);
        };
        if row.client_id != self.inner.config.client_id
            || row.revoked_at.is_some()
            || now >= row.expires_at
            || row.cap_at.is_some_and(|cap| now >= cap)
        {
            return Err(Error::RefreshFailed);
        }
        if row.used_at.is_some() && !self.within_grace(&row, now) {
            self.revoke_reused(&row, now, client_ip)?;
            return Err(Error::RefreshFailed);
        }

        let Some(agent) = self.active_agent(row.agent_id, &row.agent_username)? else {
            return Err(Error::RefreshFailed);
        };
        let (sub, act, scopes): (String, Option<String>, &[&str]) = match row.kind {
            SessionKind::Agent => (
                Subject::agent(agent.id).to_php_json(),
                None,
                super::AgentCredentialsGrant.scopes(),
            ),
            SessionKind::Impersonation => {
                let reference = row.customer_reference.as_deref().unwrap_or_default();
                let customer = self.impersonable_customer(reference)?;
                let Some(customer) = customer else {
                    return Err(Error::RefreshFailed);
                };
                self.check_session_age(&row, now, client_ip)?;
                (
                    Subject::customer(&customer).to_php_json(),
                    Some(Subject::agent(agent.id).to_php_json()),
                    super::CustomerImpersonationGrant.scopes(),
                )
            }
        };
        let minted = self.mint(MintParams {
            now,
            kind: row.kind,
            sub: &sub,
            scopes,
            act: act.as_deref(),
            agent_id: row.agent_id,
            agent_username: &row.agent_username,
            customer_reference: row.customer_reference.as_deref(),
            family: Some((row.family_id, row.id)),
            origin_family_id: row.origin_family_id,
            cap_at: row.cap_at,
        })?;

        let mut event = AuditEvent::new(AuditKind::TokenRefreshed, now);
        event.agent_id = Some(row.agent_id);
        event.agent_username = Some(row.agent_username.clone());
        event.customer_reference = row.customer_reference.clone();
        event.client_ip = crate::audit::field(client_ip);
        event.jti = Some(minted.jti.clone());

        // Re-read inside the write transaction: a concurrent refresh of the
        // same token may have spent it since the read above.
        let mut minted = Some(minted);
        let mut outcome = Outcome::Refused;
        self.inner.store.write(Durability::Normal, &mut |w| {
            let Some(current) = w.find(row.id)? else {
                return Ok(());
            };
            if current.revoked_at.is_some() {
                return Ok(());
            }
            if current.used_at.is_some() {
                if !self.within_grace(&current, now) {
                    outcome = Outcome::Reused(Box::new(current));
                    return Ok(());
                }
                event.kind = AuditKind::RefreshReuseGranted;
            } else if !w.spend(current.id, now)? {
                // Spent or revoked by another writer after all: refuse.
                return Ok(());
            }
            let Some(new) = minted.take() else {
                return Ok(());
            };
            if !w.insert(&new.row)? {
                return Err(Error::Internal("refresh token id collision".into()));
            }
            w.audit(&event)?;
            outcome = Outcome::Rotated(new.response);
            Ok(())
        })?;
        match outcome {
            Outcome::Rotated(response) => Ok(response),
            Outcome::Refused => Err(Error::RefreshFailed),
            Outcome::Reused(current) => {
                self.revoke_reused(&current, now, client_ip)?;
                Err(Error::RefreshFailed)
            }
        }
    }

    /// `impersonation.max_session_seconds`: an impersonation session older
    /// than this is not refreshed (401/4104, audited with the rule) and ends
    /// there: its family is revoked, so it stops counting toward the
    /// agent's live sessions and its access token fails the strict check.
    /// Its age runs from the family's first row; a family whose first row
    /// is gone is refused (fail closed).
    fn check_session_age(&self, row: &RefreshTokenRow, now: i64, client_ip: &str) -> Result<()> {
        if self.inner.policy.config.max_session_seconds.is_none() {
            return Ok(());
        }
        let started = match row.parent_id {
            None => Some(row.issued_at),
            Some(_) => self.inner.store.find(row.family_id)?.map(|r| r.issued_at),
        };
        let refusal = match started {
            Some(started) => match self.inner.policy.check_session_age(now - started) {
                Ok(()) => return Ok(()),
                Err(refusal) => refusal,
            },
            None => crate::policy::Refusal {
                rule: crate::policy::Rule::MaxSessionSeconds,
                policy: "max_session_seconds: the session's start is unknown".into(),
            },
        };
        let error = refusal.rule.error();
        let mut event = row_event(AuditKind::ImpersonationDenied, row, now, client_ip);
        event.code = error.glue_code().map(str::to_owned);
        event.policy = Some(refusal.policy);
        self.end_family(row, now, &event)?;
        Err(error)
    }

    fn within_grace(&self, row: &RefreshTokenRow, now: i64) -> bool {
        let grace = self.inner.config.refresh_reuse_grace as i64;
        grace > 0 && row.used_at.is_some_and(|used| now - used <= grace)
    }

    /// A spent token came back after the grace window: the family is
    /// compromised (RFC 9700 §4.14.2), so all of it is revoked.
    fn revoke_reused(&self, row: &RefreshTokenRow, now: i64, client_ip: &str) -> Result<()> {
        let event = row_event(AuditKind::RefreshReuseDetected, row, now, client_ip);
        self.end_family(row, now, &event)
    }

    /// Revokes the family of `row` and records `event`, in one transaction
    /// that waits for the disk (D23).
    fn end_family(&self, row: &RefreshTokenRow, now: i64, event: &AuditEvent) -> Result<()> {
        self.inner.store.write(Durability::Full, &mut |w| {
            w.revoke(
                RevokeScope::Family {
                    agent_id: row.agent_id,
                    family_id: row.family_id,
                },
                now,
            )?;
            w.audit(event)
        })
    }
}

/// An event about the session of `row`: its agent and customer.
fn row_event(kind: AuditKind, row: &RefreshTokenRow, now: i64, client_ip: &str) -> AuditEvent {
    let mut event = AuditEvent::new(kind, now);
    event.agent_id = Some(row.agent_id);
    event.agent_username = Some(row.agent_username.clone());
    event.customer_reference = row.customer_reference.clone();
    event.client_ip = crate::audit::field(client_ip);
    event
}
