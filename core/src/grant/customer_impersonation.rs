//! `customer_impersonation`: an agent obtains a token acting for a customer.

use super::{Grant, GrantRequest};
use crate::audit::{self, AuditEvent, AuditKind};
use crate::directory::Customer;
use crate::engine::{AgentCaller, Engine, MintParams, TokenResponse};
use crate::error::{Error, Result};
use crate::scope;
use crate::store::SessionKind;
use crate::token::{Subject, TokenKind};

/// Longest impersonation reason kept, in bytes.
pub const MAX_REASON_LEN: usize = 1024;

/// The impersonation grant.
#[derive(Debug, Default, Clone, Copy)]
pub struct CustomerImpersonationGrant;

impl Grant for CustomerImpersonationGrant {
    fn identifier(&self) -> &'static str {
        scope::GRANT_CUSTOMER_IMPERSONATION
    }

    fn scopes(&self) -> &'static [&'static str] {
        &[scope::CUSTOMER_IMPERSONATION, scope::CUSTOMER]
    }

    fn handle(&self, engine: &Engine, request: &GrantRequest<'_>) -> Result<TokenResponse> {
        engine.impersonate(
            request.agent_token.unwrap_or_default(),
            request.customer_reference.unwrap_or_default(),
            request.reason,
            request.client_ip,
        )
    }
}

impl Engine {
    /// Impersonates a customer with an agent access token. The token must
    /// verify (else 001), be an agent token (else 4103) and pass the strict
    /// check (else 001); the customer must exist and be active (else 4104).
    pub fn impersonate(
        &self,
        agent_token: &str,
        customer_reference: &str,
        reason: Option<&str>,
        client_ip: &str,
    ) -> Result<TokenResponse> {
        let claims = self.verify(agent_token)?;
        if claims.kind() != TokenKind::Agent {
            return Err(self.impersonation_denied(
                None,
                customer_reference,
                reason,
                client_ip,
                Error::AgentOnly,
            ));
        }
        let caller = self.agent_caller(claims, Error::InvalidAccessToken, client_ip)?;
        self.impersonate_as(&caller, customer_reference, reason, client_ip)
    }

    /// Impersonates a customer for an agent already authenticated by
    /// [`Engine::authenticate_agent`]. The token expires no later than the
    /// agent's own token, and carries `act` naming the agent (D4).
    pub fn impersonate_as(
        &self,
        caller: &AgentCaller,
        customer_reference: &str,
        reason: Option<&str>,
        client_ip: &str,
    ) -> Result<TokenResponse> {
        if reason.is_some_and(|r| r.len() > MAX_REASON_LEN) {
            return Err(Error::InvalidRequest(format!(
                "reason => This value is too long. It should have {MAX_REASON_LEN} bytes or less."
            )));
        }
        let Some(customer) = self.impersonable_customer(customer_reference)? else {
            return Err(self.impersonation_denied(
                Some(caller),
                customer_reference,
                reason,
                client_ip,
                Error::ImpersonationFailed,
            ));
        };
        let now = self.now();
        let sub = Subject::customer(&customer).to_php_json();
        let minted = self.mint(MintParams {
            now,
            kind: SessionKind::Impersonation,
            sub: &sub,
            scopes: CustomerImpersonationGrant.scopes(),
            act: Some(&caller.claims.sub),
            agent_id: caller.agent.id,
            agent_username: &caller.agent.username,
            customer_reference: Some(&customer.customer_reference),
            family: None,
            origin_family_id: Some(caller.session.family_id),
            cap_at: Some(caller.claims.exp),
        })?;
        let mut event = AuditEvent::new(AuditKind::ImpersonationStarted, now);
        event.agent_id = Some(caller.agent.id);
        event.agent_username = Some(caller.agent.username.clone());
        event.customer_reference = Some(customer.customer_reference);
        event.client_ip = audit::field(client_ip);
        event.jti = Some(minted.jti.clone());
        event.reason = reason.map(str::to_owned);
        self.store_new_session(minted, &event, Some(caller))
    }

    /// The customer an agent may impersonate under this reference: it exists
    /// in the customer directory and is active. `None` for an empty or
    /// unknown reference or an inactive (anonymized) customer, which the
    /// grant refuses with 4104. Plugin mode (D2) builds the user identifier
    /// of league's impersonation grant from it.
    pub fn impersonable_customer(&self, customer_reference: &str) -> Result<Option<Customer>> {
        if customer_reference.is_empty() {
            return Ok(None);
        }
        Ok(self
            .inner
            .customers
            .find_by_reference(customer_reference)?
            .filter(|c| c.is_active))
    }

    /// Records a refused impersonation and hands back the error. When the
    /// audit write itself fails, that failure is what the caller sees.
    fn impersonation_denied(
        &self,
        caller: Option<&AgentCaller>,
        customer_reference: &str,
        reason: Option<&str>,
        client_ip: &str,
        error: Error,
    ) -> Error {
        let mut event = AuditEvent::new(AuditKind::ImpersonationDenied, self.now());
        event.agent_id = caller.map(|c| c.agent.id);
        event.agent_username = caller.map(|c| c.agent.username.clone());
        event.customer_reference = audit::field(customer_reference).filter(|r| !r.is_empty());
        event.client_ip = audit::field(client_ip);
        event.jti = caller.map(|c| c.claims.jti.clone());
        event.reason = reason.map(|r| audit::clip(r, MAX_REASON_LEN).to_owned());
        event.code = error.glue_code().map(str::to_owned);
        match self.inner.store.record(&event) {
            Ok(()) => error,
            Err(audit_failure) => audit_failure,
        }
    }
}
