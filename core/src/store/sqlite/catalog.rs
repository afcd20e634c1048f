//! OAuth clients and scopes (Spryker's `spy_oauth_client`, `spy_oauth_scope`).

use rusqlite::{OptionalExtension, TransactionBehavior, params};

use super::SqliteStore;
use crate::error::Result;
use crate::store::{CatalogStore, Client};

impl CatalogStore for SqliteStore {
    /// Inserts the scopes that are missing; returns those inserted.
    fn install_scopes(&self, scopes: &[&str]) -> Result<Vec<String>> {
        self.pool.write(|conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let mut installed = Vec::new();
            for scope in scopes {
                let n = tx
                    .prepare_cached("INSERT OR IGNORE INTO oauth_scope (identifier) VALUES (?1)")?
                    .execute([scope])?;
                if n == 1 {
                    installed.push((*scope).to_owned());
                }
            }
            tx.commit()?;
            Ok(installed)
        })
    }

    /// Every installed scope identifier, sorted.
    fn scopes(&self) -> Result<Vec<String>> {
        self.pool.with(|conn| {
            let mut stmt =
                conn.prepare_cached("SELECT identifier FROM oauth_scope ORDER BY identifier")?;
            Ok(stmt
                .query_map([], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?)
        })
    }

    /// Inserts or updates (by identifier) a client, as Spryker's client installer.
    fn upsert_client(&self, client: &Client) -> Result<()> {
        self.pool.write(|conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            tx.prepare_cached(
                "INSERT INTO oauth_client (identifier, name, is_confidential, secret_hash) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (identifier) DO UPDATE SET name = ?2, is_confidential = ?3, secret_hash = ?4",
            )?
            .execute(params![client.identifier, client.name, client.is_confidential, client.secret_hash])?;
            tx.commit()?;
            Ok(())
        })
    }

    /// The client with this identifier.
    fn find_client(&self, identifier: &str) -> Result<Option<Client>> {
        self.pool.with(|conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT identifier, name, is_confidential, secret_hash FROM oauth_client WHERE identifier = ?1",
            )?;
            Ok(stmt
                .query_row([identifier], |r| {
                    Ok(Client {
                        identifier: r.get(0)?,
                        name: r.get(1)?,
                        is_confidential: r.get(2)?,
                        secret_hash: r.get(3)?,
                    })
                })
                .optional()?)
        })
    }
}
