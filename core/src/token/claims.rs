//! Claim types: the `sub` user identifier in Spryker's layout, the claims an
//! access token carries, and the PHP-compatible JSON encoding of `sub`.

use serde::{Deserialize, Serialize};

/// Spryker's `CustomerIdentifierTransfer`: the JSON object that `sub` holds as
/// a string. Keys and their order are those of the B2B demo shop, nulls kept,
/// so tokens are byte-compatible with what Spryker shops already accept.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Subject {
    /// The company user UUID (B2B), or `None`.
    #[serde(default)]
    pub id_company_user: Option<String>,
    /// The agent's `spy_user.id_user`; set only in agent tokens.
    #[serde(default)]
    pub id_agent: Option<i64>,
    /// The customer reference (`DE--5`); set in customer tokens.
    #[serde(default)]
    pub customer_reference: Option<String>,
    /// The customer id; set in customer tokens.
    #[serde(default)]
    pub id_customer: Option<i64>,
    /// Stored permissions (B2B), any JSON, or `None`.
    #[serde(default)]
    pub permissions: Option<serde_json::Value>,
}

impl Subject {
    /// The identifier of an agent token.
    pub fn agent(id_agent: i64) -> Self {
        Subject {
            id_agent: Some(id_agent),
            ..Subject::default()
        }
    }

    /// The identifier of a customer token: reference, id, B2B company user
    /// and permissions; `id_agent` null, as Spryker's impersonation tokens.
    pub fn customer(customer: &crate::directory::Customer) -> Self {
        Subject {
            id_company_user: customer.id_company_user.clone(),
            id_agent: None,
            customer_reference: Some(customer.customer_reference.clone()),
            id_customer: Some(customer.id_customer),
            permissions: customer.permissions.clone(),
        }
    }

    /// Encodes the subject as PHP's `json_encode` does (slashes and non-ASCII
    /// escaped), because that string is what Spryker puts into `sub`.
    pub fn to_php_json(&self) -> String {
        php_json_encode(self)
    }

    /// Reads a `sub` string. Anything that is not a JSON object of the
    /// expected types yields an empty subject, so a foreign or malformed token
    /// is never mistaken for an agent (Spryker FRW-1728).
    pub fn parse(sub: &str) -> Self {
        serde_json::from_str(sub).unwrap_or_default()
    }

    /// The agent id if this identifies an agent. Spryker treats `id_agent` as
    /// a truthy value, so `0` is no agent.
    pub fn agent_id(&self) -> Option<i64> {
        self.id_agent.filter(|&id| id != 0)
    }
}

/// The RFC 8693 actor of an impersonation token: who acts for the customer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Actor {
    /// The `sub` string of the agent token that started the impersonation.
    pub sub: String,
}

impl Actor {
    /// The acting agent's id, read from `sub`.
    pub fn agent_id(&self) -> Option<i64> {
        Subject::parse(&self.sub).agent_id()
    }
}

/// What a token is, from its claims. Serializes as `agent`,
/// `impersonation` or `customer`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TokenKind {
    /// An agent token: `sub.id_agent` set and scope `agent`.
    Agent,
    /// An impersonation token issued by this engine (it carries `act`).
    Impersonation,
    /// Any other valid token, such as a Spryker-issued customer token.
    Customer,
}

/// The verified claims of an access token. Serializes to the token's own
/// wire form and order (`aud, jti, iat, nbf, exp, sub, scopes` and, for
/// impersonation tokens, `act`), the one JSON every front end hands out.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AccessClaims {
    /// Audience: the client identifier.
    pub aud: String,
    /// Token id, 80 lowercase hex characters for tokens of this engine.
    pub jti: String,
    /// Issued at, Unix seconds (fractions dropped).
    pub iat: i64,
    /// Not before, Unix seconds (fractions dropped).
    pub nbf: i64,
    /// Expiry, Unix seconds (fractions dropped).
    pub exp: i64,
    /// The raw `sub` string, exactly as signed.
    pub sub: String,
    /// `sub` decoded.
    #[serde(skip)]
    pub subject: Subject,
    /// Scope identifiers.
    pub scopes: Vec<String>,
    /// The acting agent, present in impersonation tokens.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub act: Option<Actor>,
}

impl AccessClaims {
    /// Classifies the token (agent, impersonation, other customer token).
    pub fn kind(&self) -> TokenKind {
        if self.act.is_some() {
            TokenKind::Impersonation
        } else if self.subject.agent_id().is_some() && self.has_scope(crate::scope::AGENT) {
            TokenKind::Agent
        } else {
            TokenKind::Customer
        }
    }

    /// True when `scope` is among the token's scopes.
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scopes.iter().any(|s| s == scope)
    }

    /// The agent behind the token: the agent itself for an agent token, the
    /// acting agent for an impersonation token.
    pub fn agent_id(&self) -> Option<i64> {
        match self.kind() {
            TokenKind::Agent => self.subject.agent_id(),
            TokenKind::Impersonation => self.act.as_ref().and_then(Actor::agent_id),
            TokenKind::Customer => None,
        }
    }
}

/// The claims written into a new token, in Spryker's order; `act` last.
#[derive(Serialize)]
pub(crate) struct IssuedClaims<'a> {
    pub aud: &'a str,
    pub jti: &'a str,
    pub iat: i64,
    pub nbf: i64,
    pub exp: i64,
    pub sub: &'a str,
    pub scopes: &'a [&'a str],
    #[serde(skip_serializing_if = "Option::is_none")]
    pub act: Option<ActorRef<'a>>,
}

#[derive(Serialize)]
pub(crate) struct ActorRef<'a> {
    pub sub: &'a str,
}

/// Serializes like PHP's `json_encode` without flags: `/` becomes `\/` and
/// every non-ASCII character a `\uXXXX` escape (UTF-16).
pub fn php_json_encode<T: Serialize + ?Sized>(value: &T) -> String {
    let mut out = Vec::with_capacity(128);
    let mut ser = serde_json::Serializer::with_formatter(&mut out, PhpFormatter);
    // Serializing plain data into a Vec cannot fail.
    value
        .serialize(&mut ser)
        .expect("JSON serialization into memory");
    // The formatter writes only ASCII.
    String::from_utf8(out).expect("ASCII output")
}

struct PhpFormatter;

impl serde_json::ser::Formatter for PhpFormatter {
    fn write_string_fragment<W: ?Sized + std::io::Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> std::io::Result<()> {
        let mut start = 0;
        for (i, c) in fragment.char_indices() {
            if c == '/' || !c.is_ascii() {
                writer.write_all(&fragment.as_bytes()[start..i])?;
                if c == '/' {
                    writer.write_all(b"\\/")?;
                } else {
                    let mut units = [0u16; 2];
                    for unit in c.encode_utf16(&mut units) {
                        write!(writer, "\\u{unit:04x}")?;
                    }
                }
                start = i + c.len_utf8();
            }
        }
        writer.write_all(&fragment.as_bytes()[start..])
    }
}
