//! `customer_impersonation`: an agent obtains a token acting for a customer.

use super::{Grant, GrantRequest};
use crate::audit::{self, AuditEvent, AuditKind};
use crate::directory::Customer;
use crate::engine::{AgentCaller, Engine, MintParams, Minted, TokenResponse, decode_jti};
use crate::error::{Error, Result};
use crate::scope;
use crate::store::{Durability, SessionInsert, SessionKind};
use crate::token::{Subject, TokenKind};

/// The window of `max_starts_per_agent_per_hour`, in seconds.
const HOUR: i64 = 3600;

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
        engine.impersonate_with_consent(
            request.agent_token.unwrap_or_default(),
            request.customer_reference.unwrap_or_default(),
            request.reason,
            request.consent_code,
            request.client_ip,
        )
    }
}

impl Engine {
    /// Impersonates a customer with an agent access token. The token must
    /// verify (else 001), be an agent token (else 4103) and pass the strict
    /// check (else 001); the customer must exist and be active (else 4104).
    /// A shop whose policy requires the customer's consent uses
    /// [`Engine::impersonate_with_consent`].
    pub fn impersonate(
        &self,
        agent_token: &str,
        customer_reference: &str,
        reason: Option<&str>,
        client_ip: &str,
    ) -> Result<TokenResponse> {
        self.impersonate_with_consent(agent_token, customer_reference, reason, None, client_ip)
    }

    /// [`Engine::impersonate`] with the consent code the customer created
    /// ([`Engine::create_consent`]), which `impersonation.require_customer_consent`
    /// demands; it is spent by a successful impersonation.
    pub fn impersonate_with_consent(
        &self,
        agent_token: &str,
        customer_reference: &str,
        reason: Option<&str>,
        consent_code: Option<&str>,
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
                None,
            ));
        }
        let refused = Error::InvalidAccessToken;
        let (caller, read) = match self.inner.agents_in_store && self.inner.customers_in_store {
            // Both live in the store: the strict check's reads and the
            // customer's come back together, one round trip on a server store.
            true => {
                let (session, customer) = match decode_jti(&claims.jti) {
                    Some(jti) => self
                        .inner
                        .store
                        .find_session_agent_and_customer(&jti, customer_reference)?,
                    None => (None, None),
                };
                let live = match session {
                    Some((row, agent)) => self.check_session(&claims, row, Some(agent))?,
                    None => None,
                };
                (
                    self.caller_from(claims, live, refused, client_ip)?,
                    Some(customer),
                )
            }
            false => (self.agent_caller(claims, refused, client_ip)?, None),
        };
        self.impersonate_caller(
            &caller,
            customer_reference,
            reason,
            consent_code,
            client_ip,
            read,
        )
    }

    /// Impersonates a customer for an agent already authenticated by
    /// [`Engine::authenticate_agent`]. The token expires no later than the
    /// agent's own token, and carries `act` naming the agent (D4). The
    /// policy's rules run in this order: reason, customer (exists, active,
    /// may be impersonated), consent code, then the caps as the session is
    /// stored; a consent code is spent even when a cap refuses after it.
    pub fn impersonate_as(
        &self,
        caller: &AgentCaller,
        customer_reference: &str,
        reason: Option<&str>,
        consent_code: Option<&str>,
        client_ip: &str,
    ) -> Result<TokenResponse> {
        self.impersonate_caller(
            caller,
            customer_reference,
            reason,
            consent_code,
            client_ip,
            None,
        )
    }

    /// [`Engine::impersonate_as`] with the customer record when it was read
    /// already (`Some`, with `None` inside for no such customer).
    fn impersonate_caller(
        &self,
        caller: &AgentCaller,
        customer_reference: &str,
        reason: Option<&str>,
        consent_code: Option<&str>,
        client_ip: &str,
        read: Option<Option<Customer>>,
    ) -> Result<TokenResponse> {
        if reason.is_some_and(|r| r.len() > MAX_REASON_LEN) {
            return Err(Error::InvalidRequest(format!(
                "reason => This value is too long. It should have {MAX_REASON_LEN} bytes or less."
            )));
        }
        let refuse = |refusal: crate::policy::Refusal| {
            self.impersonation_denied(
                Some(caller),
                customer_reference,
                reason,
                client_ip,
                refusal.rule.error(),
                Some(refusal.policy),
            )
        };
        if let Err(refusal) = self.inner.policy.check_reason(reason) {
            return Err(refuse(refusal));
        }
        let found = match read {
            Some(customer) => customer.filter(|c| c.is_active),
            None => self.active_customer(customer_reference)?,
        };
        let customer = match found {
            Some(customer) if customer.impersonation_allowed => customer,
            Some(_) => return Err(refuse(crate::policy::Refusal::customer_opted_out())),
            None => {
                return Err(self.impersonation_denied(
                    Some(caller),
                    customer_reference,
                    reason,
                    client_ip,
                    Error::ImpersonationFailed,
                    None,
                ));
            }
        };
        if let Err(refusal) =
            self.check_consent(caller, &customer.customer_reference, consent_code)?
        {
            return Err(refuse(refusal));
        }
        let now = self.now();
        let sub = Subject::customer(&customer).to_php_json();
        let mut minted = self.mint(MintParams {
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
        // Kept on the session's first row for the customer's session list.
        minted.row.reason = reason.filter(|r| !r.trim().is_empty()).map(str::to_owned);
        let mut event = AuditEvent::new(AuditKind::ImpersonationStarted, now);
        event.agent_id = Some(caller.agent.id);
        event.agent_username = Some(caller.agent.username.clone());
        event.customer_reference = Some(customer.customer_reference);
        event.client_ip = audit::field(client_ip);
        event.jti = Some(minted.jti.clone());
        event.reason = reason.map(str::to_owned);
        self.store_new_session(minted, &event, Some(caller))
    }

    /// Stores a new impersonation under the caps of the policy, in one
    /// write transaction that holds the agent's start lock, so concurrent
    /// starts by the same agent (any session, any process) are counted one
    /// after the other and never both pass a cap. A refusal is audited in
    /// the same transaction and returned as the rule's error (4104).
    pub(crate) fn insert_capped(
        &self,
        minted: &Minted,
        event: &AuditEvent,
        caller: &AgentCaller,
    ) -> Result<SessionInsert> {
        let now = event.at;
        let agent_id = caller.agent.id;
        let mut outcome = SessionInsert::IdTaken;
        let mut refused = None;
        self.inner.store.write(Durability::Normal, &mut |w| {
            w.lock_agent(agent_id)?;
            let origin_live = w
                .find(caller.session.id)?
                .is_some_and(|o| o.revoked_at.is_none());
            if !origin_live {
                outcome = SessionInsert::OriginRevoked;
                return Ok(());
            }
            let live = w.count_live_sessions(agent_id, SessionKind::Impersonation, now)?;
            // Within any 3600 seconds: starts after now - 3600.
            let started =
                w.count_started_since(agent_id, SessionKind::Impersonation, now - HOUR + 1)?;
            match self.inner.policy.check_caps(live, started) {
                Ok(figures) => {
                    let mut event = event.clone();
                    event.policy = Some(figures);
                    if w.insert(&minted.row)? {
                        w.audit(&event)?;
                        outcome = SessionInsert::Inserted;
                    }
                }
                Err(refusal) => {
                    let error = refusal.rule.error();
                    w.audit(&self.denied_event(
                        Some(caller),
                        event.customer_reference.as_deref().unwrap_or_default(),
                        event.reason.as_deref(),
                        event.client_ip.as_deref().unwrap_or_default(),
                        &error,
                        Some(refusal.policy),
                    ))?;
                    refused = Some(error);
                }
            }
            Ok(())
        })?;
        match refused {
            Some(error) => Err(error),
            None => Ok(outcome),
        }
    }

    /// The customer an agent may impersonate under this reference: it exists
    /// in the customer directory, is active and allows impersonation.
    /// `None` for an empty or unknown reference, an inactive (anonymized)
    /// customer or one who opted out, which the grant refuses with 4104.
    /// Plugin mode (D2) builds the user identifier of league's impersonation
    /// grant from it.
    pub fn impersonable_customer(&self, customer_reference: &str) -> Result<Option<Customer>> {
        Ok(self
            .active_customer(customer_reference)?
            .filter(|c| c.impersonation_allowed))
    }

    /// The customer under this reference if it exists and is active.
    pub(crate) fn active_customer(&self, customer_reference: &str) -> Result<Option<Customer>> {
        if customer_reference.is_empty() {
            return Ok(None);
        }
        Ok(self
            .inner
            .customers
            .find_by_reference(customer_reference)?
            .filter(|c| c.is_active))
    }

    /// Records a refused impersonation (with the policy rule and figures
    /// that refused it, if one did) and hands back the error. When the audit
    /// write itself fails, that failure is what the caller sees.
    fn impersonation_denied(
        &self,
        caller: Option<&AgentCaller>,
        customer_reference: &str,
        reason: Option<&str>,
        client_ip: &str,
        error: Error,
        policy: Option<String>,
    ) -> Error {
        let event = self.denied_event(
            caller,
            customer_reference,
            reason,
            client_ip,
            &error,
            policy,
        );
        match self.inner.store.record(&event) {
            Ok(()) => error,
            Err(audit_failure) => audit_failure,
        }
    }

    /// The `impersonation_denied` event of a refusal.
    pub(crate) fn denied_event(
        &self,
        caller: Option<&AgentCaller>,
        customer_reference: &str,
        reason: Option<&str>,
        client_ip: &str,
        error: &Error,
        policy: Option<String>,
    ) -> AuditEvent {
        let mut event = AuditEvent::new(AuditKind::ImpersonationDenied, self.now());
        event.agent_id = caller.map(|c| c.agent.id);
        event.agent_username = caller.map(|c| c.agent.username.clone());
        event.customer_reference = audit::field(customer_reference).filter(|r| !r.is_empty());
        event.client_ip = audit::field(client_ip);
        event.jti = caller.map(|c| c.claims.jti.clone());
        event.reason = reason.map(|r| audit::clip(r, MAX_REASON_LEN).to_owned());
        event.code = error.glue_code().map(str::to_owned);
        event.policy = policy;
        event
    }
}
