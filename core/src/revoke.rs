//! Revocation (D8): a caller ends only its own sessions; administrators end
//! all of one agent's or one customer's. Spryker's agent `mine`, which
//! revokes every user's tokens, is deliberately not copied.

use crate::audit::{AuditEvent, AuditKind};
use crate::engine::Engine;
use crate::error::Result;
use crate::store::{Durability, RevokeScope, SessionKind};
use crate::token::{AccessClaims, TokenKind};

impl Engine {
    /// Revokes the family of `refresh_token` (RFC 7009 §2.1) if the caller
    /// may: an agent its own sessions and the impersonations it started, an
    /// impersonation caller the sessions of the same customer by the same
    /// agent. Anything else (someone else's token, an unknown or malformed
    /// one) changes nothing and still succeeds, as RFC 7009 and Spryker
    /// answer. The caller's token must verify and pass the strict check
    /// (else [`crate::Error::InvalidAccessToken`]). Returns the number of
    /// sessions revoked.
    pub fn revoke(
        &self,
        caller_token: &str,
        refresh_token: &str,
        client_ip: &str,
    ) -> Result<usize> {
        let caller = self.verify_strict(caller_token)?;
        let Some(row) = self.find_refresh_token(refresh_token)? else {
            return Ok(0);
        };
        let allowed = match caller.kind() {
            TokenKind::Agent => caller.subject.agent_id() == Some(row.agent_id),
            TokenKind::Impersonation => {
                row.kind == SessionKind::Impersonation
                    && caller.agent_id() == Some(row.agent_id)
                    && caller.subject.customer_reference == row.customer_reference
            }
            TokenKind::Customer => false,
        };
        if !allowed {
            return Ok(0);
        }
        let scope = RevokeScope::Family {
            agent_id: row.agent_id,
            family_id: row.family_id,
        };
        self.revoke_scope(
            scope,
            Some(&caller),
            row.customer_reference.as_deref(),
            client_ip,
        )
    }

    /// Revokes all of the caller's own sessions (`DELETE /refresh-tokens/mine`):
    /// for an agent every session and every impersonation it started; for an
    /// impersonation caller the sessions of that customer by that agent; for
    /// any other token nothing. Returns the number of sessions revoked.
    pub fn revoke_mine(&self, caller_token: &str, client_ip: &str) -> Result<usize> {
        let caller = self.verify_strict(caller_token)?;
        let reference = caller.subject.customer_reference.clone();
        let scope = match (caller.kind(), caller.agent_id(), reference.as_deref()) {
            (TokenKind::Agent, Some(agent_id), _) => RevokeScope::Agent(agent_id),
            (TokenKind::Impersonation, Some(agent_id), Some(customer_reference)) => {
                RevokeScope::AgentCustomer {
                    agent_id,
                    customer_reference,
                }
            }
            _ => return Ok(0),
        };
        self.revoke_scope(scope, Some(&caller), reference.as_deref(), client_ip)
    }

    /// Revokes every session of an agent and every impersonation it started.
    pub fn revoke_all_for_agent(&self, agent_id: i64) -> Result<usize> {
        self.revoke_scope(RevokeScope::Agent(agent_id), None, None, "")
    }

    /// Revokes every impersonation session of one customer, and nobody else's.
    pub fn revoke_all_for_customer(&self, customer_reference: &str) -> Result<usize> {
        self.revoke_scope(
            RevokeScope::Customer(customer_reference),
            None,
            Some(customer_reference),
            "",
        )
    }

    fn revoke_scope(
        &self,
        scope: RevokeScope<'_>,
        caller: Option<&AccessClaims>,
        customer_reference: Option<&str>,
        client_ip: &str,
    ) -> Result<usize> {
        let now = self.now();
        let mut event = AuditEvent::new(AuditKind::SessionRevoked, now);
        event.agent_id = match scope {
            RevokeScope::Family { agent_id, .. }
            | RevokeScope::Agent(agent_id)
            | RevokeScope::AgentCustomer { agent_id, .. } => Some(agent_id),
            RevokeScope::Customer(_) => None,
        };
        event.customer_reference = customer_reference.map(str::to_owned);
        event.client_ip = crate::audit::field(client_ip).filter(|ip| !ip.is_empty());
        event.jti = caller.map(|c| c.jti.clone());
        let mut revoked = 0;
        self.inner.store.write(Durability::Full, &mut |w| {
            revoked = w.revoke(scope, now)?;
            event.code = Some(revoked.to_string());
            if revoked > 0 {
                w.audit(&event)?;
            }
            Ok(())
        })?;
        Ok(revoked)
    }
}
