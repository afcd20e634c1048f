//! OAuth clients, as every backend stores them.

/// An OAuth client. Its identifier becomes the tokens' `aud`.
#[derive(Clone, PartialEq, Eq)]
pub struct Client {
    /// Identifier, such as `frontend`.
    pub identifier: String,
    /// Display name.
    pub name: String,
    /// Whether the client authenticates with a secret.
    pub is_confidential: bool,
    /// Hash of the secret (argon2id, or bcrypt from Spryker).
    pub secret_hash: Option<String>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("identifier", &self.identifier)
            .field("name", &self.name)
            .field("is_confidential", &self.is_confidential)
            .finish_non_exhaustive()
    }
}
