//! RFC 7662 token introspection (D15), for resource servers and back offices
//! that need to know whether a token is still good and who acts behind it.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::Serialize;

use crate::engine::{Engine, bearer_token};
use crate::error::{Error, Result};
use crate::store::SessionKind;
use crate::token::{Actor, Subject, TokenKind};

/// The answer of an introspection, in RFC 7662's field order. Everything but
/// `active` is absent for an inactive token.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Introspection {
    /// True when the token is valid now and its session is live.
    pub active: bool,
    /// Scopes, space-separated.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// The client the token was issued to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// `Bearer` for access tokens, `refresh_token` for refresh tokens.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_type: Option<&'static str>,
    /// Expiry, Unix seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exp: Option<i64>,
    /// Issued at, Unix seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iat: Option<i64>,
    /// Not before, Unix seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nbf: Option<i64>,
    /// The subject: Spryker's user identifier JSON string.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sub: Option<String>,
    /// The audience.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub aud: Option<String>,
    /// The access token's id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jti: Option<String>,
    /// The acting agent of an impersonation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub act: Option<Actor>,
}

impl Engine {
    /// Introspects an access or refresh token. The caller authenticates with
    /// its `Authorization` header: an agent token with a live session
    /// (`Bearer`), or a confidential client's credentials (`Basic`); anything
    /// else is [`Error::InvalidAccessToken`]. Invalid, expired, spent or
    /// revoked tokens are simply inactive.
    pub fn introspect(&self, authorization: Option<&str>, token: &str) -> Result<Introspection> {
        self.authenticate_introspection_caller(authorization)?;
        if token.starts_with(crate::REFRESH_TOKEN_PREFIX) {
            return self.introspect_refresh_token(token);
        }
        let Ok(claims) = self.verify_strict(token) else {
            return Ok(Introspection::default());
        };
        Ok(Introspection {
            active: true,
            scope: Some(claims.scopes.join(" ")),
            client_id: Some(claims.aud.clone()),
            token_type: Some("Bearer"),
            exp: Some(claims.exp),
            iat: Some(claims.iat),
            nbf: Some(claims.nbf),
            sub: Some(claims.sub),
            aud: Some(claims.aud),
            jti: Some(claims.jti),
            act: claims.act,
        })
    }

    fn authenticate_introspection_caller(&self, authorization: Option<&str>) -> Result<()> {
        let header = authorization.ok_or(Error::InvalidAccessToken)?;
        if let Some(token) = bearer_token(header) {
            let claims = self.verify(token)?;
            if claims.kind() == TokenKind::Agent && self.live_session(&claims)?.is_some() {
                return Ok(());
            }
            return Err(Error::InvalidAccessToken);
        }
        let credentials = header
            .trim_start()
            .strip_prefix("Basic ")
            .and_then(|b64| STANDARD.decode(b64.trim()).ok())
            .and_then(|raw| String::from_utf8(raw).ok())
            .ok_or(Error::InvalidAccessToken)?;
        let (id, secret) = credentials
            .split_once(':')
            .ok_or(Error::InvalidAccessToken)?;
        match self.authenticate_client(id, secret)? {
            true => Ok(()),
            false => Err(Error::InvalidAccessToken),
        }
    }

    fn introspect_refresh_token(&self, token: &str) -> Result<Introspection> {
        let now = self.now();
        let Some(row) = self.find_refresh_token(token)? else {
            return Ok(Introspection::default());
        };
        let live = row.revoked_at.is_none()
            && row.used_at.is_none()
            && now < row.expires_at
            && row.client_id == self.config().client_id;
        if !live
            || self
                .active_agent(row.agent_id, &row.agent_username)?
                .is_none()
        {
            return Ok(Introspection::default());
        }
        let agent_sub = Subject::agent(row.agent_id).to_php_json();
        let (sub, act) = match row.kind {
            SessionKind::Agent => (agent_sub, None),
            SessionKind::Impersonation => {
                let reference = row.customer_reference.as_deref().unwrap_or_default();
                let Some(customer) = self.find_customer(reference)?.filter(|c| c.is_active) else {
                    return Ok(Introspection::default());
                };
                (
                    Subject::customer(&customer).to_php_json(),
                    Some(Actor { sub: agent_sub }),
                )
            }
        };
        Ok(Introspection {
            active: true,
            scope: Some(row.scopes),
            client_id: Some(row.client_id.clone()),
            token_type: Some("refresh_token"),
            exp: Some(row.expires_at),
            iat: Some(row.issued_at),
            nbf: None,
            sub: Some(sub),
            aud: Some(row.client_id),
            jti: None,
            act,
        })
    }
}
