//! `agent_credentials`: an agent logs in with username and password.

use super::{Grant, GrantRequest};
use crate::audit::{self, AuditEvent, AuditKind};
use crate::directory::Agent;
use crate::engine::{AgentCaller, Engine, MintParams, Minted, TokenResponse};
use crate::error::{Error, Result};
use crate::lockout::{self, Reservation};
use crate::password;
use crate::scope;
use crate::store::{SessionInsert, SessionKind};
use crate::token::Subject;

/// Longest username looked up, in bytes; longer ones are refused as unknown
/// after the same work, and never stored.
pub const MAX_USERNAME_LEN: usize = 256;

/// The agent login grant.
#[derive(Debug, Default, Clone, Copy)]
pub struct AgentCredentialsGrant;

impl Grant for AgentCredentialsGrant {
    fn identifier(&self) -> &'static str {
        scope::GRANT_AGENT_CREDENTIALS
    }

    fn scopes(&self) -> &'static [&'static str] {
        &[scope::AGENT]
    }

    fn handle(&self, engine: &Engine, request: &GrantRequest<'_>) -> Result<TokenResponse> {
        engine.agent_login(
            request.username.unwrap_or_default(),
            request.password.unwrap_or_default(),
            request.client_ip,
        )
    }
}

impl Engine {
    /// Logs an agent in. Every refusal is [`Error::AuthenticationFailed`]
    /// (4101) and costs one password verification, known agent or not;
    /// after `lockout.max_failures` failures from one IP for one username the
    /// answer is [`Error::TooManyAttempts`] (4401) without checking the
    /// password. A login that cannot be admitted to password verification
    /// in time is [`Error::Overloaded`] before anything is counted (D28).
    pub fn agent_login(
        &self,
        username: &str,
        password: &str,
        client_ip: &str,
    ) -> Result<TokenResponse> {
        let inner = &self.inner;
        let _permit = inner.admission.enter()?;
        let now = self.now();
        let policy = inner.config.lockout;
        // An oversized name is nobody's: it costs the same verification and
        // is answered the same, but never becomes a lockout row.
        let oversized = username.len() > MAX_USERNAME_LEN;
        let agent = match oversized {
            true => None,
            false => self.find_agent(username)?,
        };
        let event = |kind: AuditKind, code: Option<&str>| {
            let mut e = AuditEvent::new(kind, now);
            e.agent_username = audit::field(username);
            e.client_ip = audit::field(client_ip);
            e.code = code.map(str::to_owned);
            e
        };
        let key = (policy.max_failures > 0 && !oversized).then(|| {
            let name = agent.as_ref().map_or(username, |a| a.username.as_str());
            lockout::key(audit::clip(client_ip, audit::MAX_FIELD_LEN), name)
        });
        let mut locks = false;
        if let Some(key) = &key {
            // Test and count in one atomic step before the password work
            // (D27), so concurrent attempts cannot all pass the test.
            match self.reserve_attempt(key, now)? {
                Reservation::Blocked { retry_after } => {
                    inner
                        .store
                        .record(&event(AuditKind::AgentLoginFailed, Some("4401")))?;
                    return Err(Error::TooManyAttempts { retry_after });
                }
                Reservation::Counted { locks: l } => locks = l,
            }
        }

        // The token does not depend on the password check, so it is signed on
        // a second thread meanwhile: a login costs one argon2id verification
        // of latency, not that plus an RSA signature. Every attempt signs,
        // known agent or not, so the work stays equal (D18).
        // A plain spawned thread, not a scoped one: `thread::scope` records the
        // calling thread's handle, which a C or PHP host thread would keep
        // allocated until it exits.
        let signer = {
            let (engine, agent) = (self.clone(), agent.clone());
            std::thread::Builder::new()
                .name("agent-oauth-sign".into())
                .spawn(move || engine.mint_agent_token(agent.as_ref(), now))
        };
        let checked = self.check_password(agent.clone(), password);
        let minted = match signer {
            Ok(handle) => handle
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
            // No thread to be had: sign here, after the check.
            Err(_) => self.mint_agent_token(agent.as_ref(), now),
        };
        let Some(agent) = checked? else {
            // The failure was counted by the reservation already.
            inner
                .store
                .record(&event(AuditKind::AgentLoginFailed, Some("4101")))?;
            if locks {
                inner
                    .store
                    .record(&event(AuditKind::AgentLockedOut, None))?;
            }
            return Err(Error::AuthenticationFailed);
        };
        if let Some(key) = &key {
            inner.store.update(key, &mut |_| None)?;
        }
        self.rehash_if_outdated(&agent, password);

        let minted = minted?;
        let mut success = event(AuditKind::AgentLoginSucceeded, None);
        success.agent_id = Some(agent.id);
        success.jti = Some(minted.jti.clone());
        self.store_new_session(minted, &success, None)
    }

    /// The token pair of an agent session; for an unknown agent a throwaway
    /// pair, signed all the same.
    fn mint_agent_token(&self, agent: Option<&Agent>, now: i64) -> Result<Minted> {
        let (id, username) = agent.map_or((0, ""), |a| (a.id, a.username.as_str()));
        let sub = Subject::agent(id).to_php_json();
        self.mint(MintParams {
            now,
            kind: SessionKind::Agent,
            sub: &sub,
            scopes: AgentCredentialsGrant.scopes(),
            act: None,
            agent_id: id,
            agent_username: username,
            customer_reference: None,
            family: None,
            origin_family_id: None,
            cap_at: None,
        })
    }

    /// Checks an agent's username and password without issuing anything, for
    /// plugin mode (D2), where league/oauth2-server issues the token: the
    /// rules of [`Engine::agent_login`] (active agent, one verification in
    /// every case, outdated hashes replaced) without lockout, session or
    /// audit event. Every refusal is [`Error::AuthenticationFailed`].
    pub fn verify_agent_credentials(&self, username: &str, password: &str) -> Result<Agent> {
        let _permit = self.inner.admission.enter()?;
        let agent = match username.len() > MAX_USERNAME_LEN {
            true => None,
            false => self.find_agent(username)?,
        };
        let agent = self
            .check_password(agent, password)?
            .ok_or(Error::AuthenticationFailed)?;
        self.rehash_if_outdated(&agent, password);
        Ok(agent)
    }

    /// The agent with this username, whatever its status; an empty username
    /// is nobody's.
    fn find_agent(&self, username: &str) -> Result<Option<Agent>> {
        match username.is_empty() {
            true => Ok(None),
            false => self.inner.agents.find_by_username(username),
        }
    }

    /// The agent if it is active and the password matches. Exactly one
    /// verification runs in every case (D18): against a dummy hash when the
    /// agent is unknown or inactive or the password unacceptable.
    fn check_password(&self, agent: Option<Agent>, password: &str) -> Result<Option<Agent>> {
        let hasher = &self.inner.hasher;
        if let Some(agent) = &agent {
            self.learn_hash_scheme(&agent.password_hash);
        }
        match agent {
            Some(agent) if agent.is_active() && password::acceptable(password) => Ok(hasher
                .verify(password.as_bytes(), &agent.password_hash)
                .then_some(agent)),
            _ => {
                let probe = if password::acceptable(password) {
                    password
                } else {
                    ""
                };
                hasher.verify(probe.as_bytes(), self.dummy_for_unknown()?);
                Ok(None)
            }
        }
    }

    /// Replaces an imported bcrypt hash (or one with outdated parameters) by
    /// argon2id. A failure only means the old hash stays; login goes on.
    fn rehash_if_outdated(&self, agent: &Agent, password: &str) {
        let hasher = &self.inner.hasher;
        if hasher.needs_rehash(&agent.password_hash)
            && let Ok(hash) = hasher.hash(password.as_bytes())
        {
            let _ = self.inner.agents.update_password_hash(agent, &hash);
        }
    }

    /// Stores the refresh token of a new session and its audit event in one
    /// transaction. A 64-bit row-id collision (astronomically rare) gets a
    /// fresh refresh token.
    ///
    /// With an `origin` (the agent session an impersonation starts from),
    /// that session is re-read in the same transaction and the new session
    /// is stored only while it is still live: a revocation that commits
    /// while the impersonation is being prepared either sees the new row
    /// (and revokes it with its origin) or is seen here.
    pub(crate) fn store_new_session(
        &self,
        mut minted: Minted,
        event: &AuditEvent,
        origin: Option<&AgentCaller>,
    ) -> Result<TokenResponse> {
        let capped = origin.is_some() && self.inner.policy.has_caps();
        for _ in 0..3 {
            let origin_id = origin.map(|caller| caller.session.id);
            let stored = match (capped, origin) {
                (true, Some(caller)) => self.insert_capped(&minted, event, caller)?,
                _ => self
                    .inner
                    .store
                    .insert_session(&minted.row, event, origin_id)?,
            };
            match (stored, origin) {
                (SessionInsert::Inserted, _) => return Ok(minted.response),
                (SessionInsert::OriginRevoked, None) => {
                    return Err(Error::Internal(
                        "the store refused a session that has no origin".into(),
                    ));
                }
                (SessionInsert::OriginRevoked, Some(caller)) => {
                    let client_ip = event.client_ip.as_deref().unwrap_or_default();
                    return Err(self.refuse_agent_token(
                        &caller.claims,
                        caller.refusal(),
                        client_ip,
                    ));
                }
                (SessionInsert::IdTaken, _) => {}
            }
            let (token, hash) = self.new_refresh_token()?;
            minted.response.refresh_token = token;
            minted.row.token_hash = hash;
            minted.row.id = crate::engine::refresh_id(&hash);
            if minted.row.parent_id.is_none() {
                minted.row.family_id = minted.row.id;
            }
        }
        Err(Error::Internal(
            "could not allocate a refresh token id".into(),
        ))
    }
}
