//! OAuth clients and scopes (Spryker's `spy_oauth_client`, `spy_oauth_scope`).

use super::{PostgresStore, has_nul};
use crate::error::{Error, Result};
use crate::store::{CatalogStore, Client};

const INSERT_SCOPE: &str =
    r#"INSERT INTO "{p}oauth_scope" (identifier) VALUES ($1) ON CONFLICT DO NOTHING"#;
const SCOPES: &str = r#"SELECT identifier FROM "{p}oauth_scope" ORDER BY identifier"#;
const UPSERT_CLIENT: &str = r#"INSERT INTO "{p}oauth_client" (identifier, name, is_confidential, secret_hash)
    VALUES ($1, $2, $3, $4)
    ON CONFLICT (identifier) DO UPDATE SET name = EXCLUDED.name,
        is_confidential = EXCLUDED.is_confidential, secret_hash = EXCLUDED.secret_hash"#;
const FIND_CLIENT: &str = r#"SELECT identifier, name, is_confidential, secret_hash
    FROM "{p}oauth_client" WHERE identifier = $1"#;

fn corrupt(e: postgres::Error) -> Error {
    Error::Storage(format!("PostgreSQL: unreadable OAuth catalog row: {e}"))
}

impl CatalogStore for PostgresStore {
    /// Inserts the scopes that are missing; returns those inserted.
    fn install_scopes(&self, scopes: &[&str]) -> Result<Vec<String>> {
        self.pool.with(|conn| {
            conn.transaction("BEGIN", |conn| {
                let mut installed = Vec::new();
                for scope in scopes {
                    if conn.execute(INSERT_SCOPE, &[scope])? == 1 {
                        installed.push((*scope).to_owned());
                    }
                }
                Ok(installed)
            })
        })
    }

    /// Every installed scope identifier, sorted (byte order, as SQLite).
    fn scopes(&self) -> Result<Vec<String>> {
        self.pool.with(|conn| {
            conn.query(SCOPES, &[])?
                .iter()
                .map(|r| r.try_get(0).map_err(corrupt))
                .collect()
        })
    }

    /// Inserts or updates (by identifier) a client, as Spryker's client installer.
    fn upsert_client(&self, client: &Client) -> Result<()> {
        self.pool.with(|conn| {
            conn.execute(
                UPSERT_CLIENT,
                &[
                    &client.identifier,
                    &client.name,
                    &client.is_confidential,
                    &client.secret_hash,
                ],
            )?;
            Ok(())
        })
    }

    /// The client with this identifier.
    fn find_client(&self, identifier: &str) -> Result<Option<Client>> {
        if has_nul(identifier) {
            return Ok(None);
        }
        self.pool.with(|conn| {
            let Some(r) = conn.query_opt(FIND_CLIENT, &[&identifier])? else {
                return Ok(None);
            };
            Ok(Some(Client {
                identifier: r.try_get(0).map_err(corrupt)?,
                name: r.try_get(1).map_err(corrupt)?,
                is_confidential: r.try_get(2).map_err(corrupt)?,
                secret_hash: r.try_get(3).map_err(corrupt)?,
            }))
        })
    }
}
