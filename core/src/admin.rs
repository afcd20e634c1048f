//! Administration: agents, customers, scopes and clients in the engine's own
//! database, and the customer search.

use crate::directory::{AgentStatus, Customer, CustomerPage, CustomerSearch};
use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::password;
use crate::scope;
use crate::store::Client;

impl Engine {
    /// Adds an agent with a password (hashed with argon2id). Returns its id.
    pub fn add_agent(&self, username: &str, password: &str, status: AgentStatus) -> Result<i64> {
        self.add_agent_with_id(None, username, password, status)
    }

    /// Adds an agent under a given id (Spryker's `id_user`), or the next free one.
    pub fn add_agent_with_id(
        &self,
        id: Option<i64>,
        username: &str,
        password: &str,
        status: AgentStatus,
    ) -> Result<i64> {
        if username.is_empty() {
            return Err(Error::InvalidRequest("username must not be empty".into()));
        }
        if !password::acceptable(password) {
            return Err(Error::InvalidRequest(format!(
                "password must have 1 to {} bytes",
                password::MAX_PASSWORD_LEN
            )));
        }
        let hash = self.inner.hasher.hash(password.as_bytes())?;
        self.inner
            .store
            .insert_agent(id, username, &hash, status, self.now())
    }

    /// Imports an agent row from Spryker's `spy_user` with its existing hash
    /// (bcrypt `$2y$`...), keeping its id. The hash becomes argon2id after the
    /// agent's next successful login.
    pub fn import_agent(
        &self,
        id: i64,
        username: &str,
        password_hash: &str,
        status: AgentStatus,
    ) -> Result<i64> {
        if username.is_empty() || password_hash.is_empty() {
            return Err(Error::InvalidRequest(
                "username and password hash must not be empty".into(),
            ));
        }
        self.inner
            .store
            .insert_agent(Some(id), username, password_hash, status, self.now())
    }

    /// Sets an agent's status. Blocking or deleting an agent revokes all its
    /// sessions and the impersonations it started (D3), by agent id.
    ///
    /// An agent of a host directory (C callbacks, PHP callables) has its
    /// status in the host's table, which the host changes itself and then
    /// reports here: its sessions are revoked all the same. False when the
    /// engine knows no such agent: not in its own table, and no session
    /// revoked.
    pub fn set_agent_status(&self, agent_id: i64, status: AgentStatus) -> Result<bool> {
        let stored = self
            .inner
            .store
            .set_agent_status(agent_id, status, self.now())?;
        let revoked = match status {
            AgentStatus::Active => 0,
            _ => self.revoke_all_for_agent(agent_id)?,
        };
        Ok(stored || revoked > 0)
    }

    /// Sets a new password for an agent. False when there is no such agent.
    pub fn set_agent_password(&self, agent_id: i64, password: &str) -> Result<bool> {
        if !password::acceptable(password) {
            return Err(Error::InvalidRequest(format!(
                "password must have 1 to {} bytes",
                password::MAX_PASSWORD_LEN
            )));
        }
        let hash = self.inner.hasher.hash(password.as_bytes())?;
        self.inner.store.set_agent_password_hash(agent_id, &hash)
    }

    /// Adds or replaces (by `id_customer`) a customer in the engine database.
    pub fn upsert_customer(&self, customer: &Customer) -> Result<()> {
        if customer.customer_reference.is_empty() {
            return Err(Error::InvalidRequest(
                "customer_reference must not be empty".into(),
            ));
        }
        self.inner.store.upsert_customer(customer)
    }

    /// The customer with this reference, from the configured directory.
    pub fn find_customer(&self, customer_reference: &str) -> Result<Option<Customer>> {
        self.inner.customers.find_by_reference(customer_reference)
    }

    /// Searches customers as Spryker's agent search (see [`crate::search`]
    /// for the paging rules), through the configured directory.
    pub fn search_customers(&self, search: &CustomerSearch) -> Result<CustomerPage> {
        self.inner.customers.search(search)
    }

    /// Installs the scopes `agent`, `customer` and `customer_impersonation`
    /// where missing (Spryker's `AgentOauthScopeInstallerPlugin` and
    /// `OauthCustomerScopeInstallerPlugin`). Idempotent; returns those added.
    pub fn install_scopes(&self) -> Result<Vec<String>> {
        self.inner.store.install_scopes(&scope::ALL)
    }

    /// Installs the configured client (`frontend` by default) as a public
    /// client when it is missing. Idempotent.
    pub fn install_default_client(&self) -> Result<()> {
        let id = &self.inner.config.client_id;
        if self.inner.store.find_client(id)?.is_none() {
            self.inner.store.upsert_client(&Client {
                identifier: id.clone(),
                name: "Customer client".into(),
                is_confidential: false,
                secret_hash: None,
            })?;
        }
        Ok(())
    }

    /// Adds or replaces a confidential client with a secret (hashed), such as
    /// a back office that calls token introspection.
    pub fn set_client_secret(&self, identifier: &str, name: &str, secret: &str) -> Result<()> {
        if secret.is_empty() {
            return Err(Error::InvalidRequest(
                "client secret must not be empty".into(),
            ));
        }
        let hash = self.inner.hasher.hash(secret.as_bytes())?;
        self.inner.store.upsert_client(&Client {
            identifier: identifier.to_owned(),
            name: name.to_owned(),
            is_confidential: true,
            secret_hash: Some(hash),
        })
    }

    /// True when `identifier` is a confidential client and `secret` its secret.
    pub fn authenticate_client(&self, identifier: &str, secret: &str) -> Result<bool> {
        let client = self.inner.store.find_client(identifier)?;
        Ok(
            match client.and_then(|c| c.secret_hash.filter(|_| c.is_confidential)) {
                Some(hash) => self.inner.hasher.verify(secret.as_bytes(), &hash),
                None => {
                    // Same cost for unknown clients as for wrong secrets.
                    self.inner
                        .hasher
                        .verify(secret.as_bytes(), self.dummy_hash()?);
                    false
                }
            },
        )
    }
}
