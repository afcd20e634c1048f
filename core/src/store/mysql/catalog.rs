//! OAuth clients and scopes (Spryker's `spy_oauth_client`, `spy_oauth_scope`).

use mysql::Row;
use mysql::prelude::Queryable;

use super::MysqlStore;
use super::tokens::col;
use crate::error::Result;
use crate::store::{CatalogStore, Client};

impl CatalogStore for MysqlStore {
    fn install_scopes(&self, scopes: &[&str]) -> Result<Vec<String>> {
        self.db.transaction(true, |tx| {
            let mut installed = Vec::new();
            for scope in scopes {
                // One affected row: inserted; none: it was there already.
                tx.exec_drop(
                    format!(
                        "INSERT INTO {} (identifier) VALUES (?) ON DUPLICATE KEY UPDATE identifier = identifier",
                        self.t.oauth_scope
                    ),
                    (scope,),
                )?;
                if tx.affected_rows() == 1 {
                    installed.push((*scope).to_owned());
                }
            }
            Ok(installed)
        })
    }

    fn scopes(&self) -> Result<Vec<String>> {
        self.db.read(|conn| {
            Ok(conn.query(format!(
                "SELECT identifier FROM {} ORDER BY identifier",
                self.t.oauth_scope
            ))?)
        })
    }

    fn upsert_client(&self, client: &Client) -> Result<()> {
        self.db.transaction(true, |tx| {
            tx.exec_drop(
                format!(
                    "INSERT INTO {} (identifier, name, is_confidential, secret_hash) VALUES (?, ?, ?, ?)
                     ON DUPLICATE KEY UPDATE name = ?, is_confidential = ?, secret_hash = ?",
                    self.t.oauth_client
                ),
                (
                    &client.identifier,
                    &client.name,
                    client.is_confidential,
                    &client.secret_hash,
                    &client.name,
                    client.is_confidential,
                    &client.secret_hash,
                ),
            )?;
            Ok(())
        })
    }

    fn find_client(&self, identifier: &str) -> Result<Option<Client>> {
        self.db.read(|conn| {
            let row: Option<Row> = conn.exec_first(
                format!(
                    "SELECT identifier, name, is_confidential, secret_hash FROM {} WHERE identifier = ?",
                    self.t.oauth_client
                ),
                (identifier,),
            )?;
            row.map(|mut r| {
                Ok(Client {
                    identifier: col(&mut r, 0)?,
                    name: col(&mut r, 1)?,
                    is_confidential: col(&mut r, 2)?,
                    secret_hash: col(&mut r, 3)?,
                })
            })
            .transpose()
        })
    }
}
