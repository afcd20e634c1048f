//! JWS compact serialization of access tokens: signing with the pre-parsed
//! key and verifying against the current and previous keys.
//!
//! jsonwebtoken supplies the header type, PEM parsing, JWKs and thumbprints;
//! the signature itself goes straight to aws-lc with keys parsed once, since
//! `jsonwebtoken::encode`/`decode` re-parse the key for every token, which
//! costs as much as the signature (BUILD-NOTES). Time claims are checked
//! here because league/oauth2-server 8.5 emits them as floats, which
//! jsonwebtoken's validation rejects.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Deserialize;

use super::claims::{AccessClaims, Actor, IssuedClaims, Subject};
use super::keys::{SigningKey, VerifyingKey};
use crate::error::{Error, Result};

/// Tokens longer than this are refused before any decoding. Impersonation
/// tokens with large B2B permission sets stay well below it.
pub const MAX_TOKEN_LEN: usize = 16 * 1024;

/// Why a token was refused. The engine reports every one of these as
/// [`Error::InvalidAccessToken`]; the reason is for tests and diagnostics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rejection {
    /// Longer than [`MAX_TOKEN_LEN`].
    Oversize,
    /// Not three base64url parts of JSON.
    Malformed,
    /// `alg` is not `RS256`, or the header asks for unsupported features.
    Algorithm,
    /// No configured key verifies the signature.
    Signature,
    /// `exp` has passed.
    Expired,
    /// `nbf` is in the future.
    NotYetValid,
    /// `iat` is in the future.
    IssuedInFuture,
    /// `aud` is not this engine's client.
    Audience,
    /// A required claim is missing or of the wrong type.
    Claims,
}

/// Signs the claims with `key`, producing `header.payload.signature`.
pub(crate) fn encode(key: &SigningKey, claims: &IssuedClaims<'_>) -> Result<String> {
    let payload =
        serde_json::to_vec(claims).map_err(|e| Error::Internal(format!("claims: {e}")))?;
    let header = key.header_b64();
    let mut token = String::with_capacity(header.len() + payload.len() * 4 / 3 + 350);
    token.push_str(header);
    token.push('.');
    URL_SAFE_NO_PAD.encode_string(&payload, &mut token);
    let signature = key.sign(token.as_bytes())?;
    token.push('.');
    URL_SAFE_NO_PAD.encode_string(&signature, &mut token);
    Ok(token)
}

/// What verification needs besides the keys.
#[derive(Debug, Clone)]
pub struct Validation {
    /// The expected `aud`.
    pub audience: String,
    /// Seconds of clock skew tolerated for `exp`, `nbf` and `iat`.
    pub leeway: u64,
}

#[derive(Deserialize)]
struct HeaderIn<'a> {
    #[serde(borrow)]
    alg: std::borrow::Cow<'a, str>,
    #[serde(default, borrow)]
    kid: Option<std::borrow::Cow<'a, str>>,
    #[serde(default)]
    crit: Option<serde::de::IgnoredAny>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Audience {
    One(String),
    Many(Vec<String>),
}

#[derive(Deserialize)]
struct ClaimsIn {
    aud: Audience,
    jti: String,
    #[serde(default)]
    iat: Option<f64>,
    #[serde(default)]
    nbf: Option<f64>,
    exp: f64,
    sub: String,
    #[serde(default)]
    scopes: Vec<String>,
    #[serde(default)]
    act: Option<Actor>,
}

/// Verifies `token` at time `now` against the current key and the previous ones.
pub fn verify(
    current: &VerifyingKey,
    previous: &[VerifyingKey],
    validation: &Validation,
    token: &str,
    now: i64,
) -> std::result::Result<AccessClaims, Rejection> {
    if token.len() > MAX_TOKEN_LEN {
        return Err(Rejection::Oversize);
    }
    let (message, signature_b64) = token.rsplit_once('.').ok_or(Rejection::Malformed)?;
    let (header_b64, payload_b64) = message.split_once('.').ok_or(Rejection::Malformed)?;
    let signature = URL_SAFE_NO_PAD
        .decode(signature_b64)
        .map_err(|_| Rejection::Malformed)?;
    let mut keys = std::iter::once(current).chain(previous);
    let check = |k: &VerifyingKey| {
        k.modulus_len() == signature.len() && k.verify(message.as_bytes(), &signature)
    };
    // The tokens of this engine carry a header it wrote itself, byte for
    // byte; only foreign headers need decoding.
    let verified = match keys.clone().find(|k| k.header_b64() == header_b64) {
        Some(key) => check(key),
        None => {
            let header_json = URL_SAFE_NO_PAD
                .decode(header_b64)
                .map_err(|_| Rejection::Malformed)?;
            let header: HeaderIn<'_> =
                serde_json::from_slice(&header_json).map_err(|_| Rejection::Malformed)?;
            if header.alg != "RS256" || header.crit.is_some() {
                return Err(Rejection::Algorithm);
            }
            match header
                .kid
                .as_deref()
                .and_then(|kid| keys.clone().find(|k| k.kid() == kid))
            {
                Some(key) => check(key),
                // No or unknown `kid` (Spryker's own tokens carry none): try each key.
                None => keys.any(check),
            }
        }
    };
    if !verified {
        return Err(Rejection::Signature);
    }
    let payload = URL_SAFE_NO_PAD
        .decode(payload_b64)
        .map_err(|_| Rejection::Malformed)?;
    let claims: ClaimsIn = serde_json::from_slice(&payload).map_err(|_| Rejection::Claims)?;

    let now = now as f64;
    let leeway = validation.leeway as f64;
    if now >= claims.exp + leeway {
        return Err(Rejection::Expired);
    }
    // The clock counts whole seconds; league writes microseconds. A token
    // issued earlier in the current second must not look like the future.
    if claims.nbf.is_some_and(|nbf| now + leeway < nbf.floor()) {
        return Err(Rejection::NotYetValid);
    }
    if claims.iat.is_some_and(|iat| now + leeway < iat.floor()) {
        return Err(Rejection::IssuedInFuture);
    }
    let audience_ok = match &claims.aud {
        Audience::One(aud) => *aud == validation.audience,
        Audience::Many(list) => list.contains(&validation.audience),
    };
    if !audience_ok {
        return Err(Rejection::Audience);
    }
    let aud = validation.audience.clone();
    let subject = Subject::parse(&claims.sub);
    Ok(AccessClaims {
        aud,
        jti: claims.jti,
        iat: claims.iat.unwrap_or(claims.exp) as i64,
        nbf: claims.nbf.or(claims.iat).unwrap_or(claims.exp) as i64,
        exp: claims.exp as i64,
        sub: claims.sub,
        subject,
        scopes: claims.scopes,
        act: claims.act,
    })
}

/// Whether `token` looks like one this engine issued, read without any
/// cryptography: its header names a `kid` (league's tokens have none), and
/// it carries `act` (an impersonation token) or a `sub` whose `id_agent` is
/// set (an agent token). Spryker's own tokens, customer or agent (plugin
/// mode, D2), do not qualify. For a resource server's cheap first test (issue 12): a token
/// that looks like the engine's then gets the strict check, any other goes
/// to its usual validation unchanged. A forged payload gains nothing: one
/// made to look like the engine's fails the strict check, one made to look
/// like Spryker's still needs Spryker's signature.
pub fn is_engine_token(token: &str) -> bool {
    #[derive(serde::Deserialize)]
    struct Shape {
        #[serde(default)]
        act: Option<serde::de::IgnoredAny>,
        #[serde(default)]
        sub: Option<String>,
    }
    #[derive(serde::Deserialize)]
    struct Sub {
        #[serde(default)]
        id_agent: Option<serde_json::Value>,
    }
    if token.len() > MAX_TOKEN_LEN {
        return false;
    }
    #[derive(serde::Deserialize)]
    struct Header {
        #[serde(default)]
        kid: Option<String>,
    }
    let mut parts = token.split('.');
    let (Some(header), Some(payload), Some(_), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    // The header is signed with the claims: a `kid` added to a shop token
    // breaks its signature, so it cannot route a token around Spryker.
    let has_kid = URL_SAFE_NO_PAD
        .decode(header.trim_end_matches('='))
        .ok()
        .and_then(|h| serde_json::from_slice::<Header>(&h).ok())
        .and_then(|h| h.kid)
        .is_some_and(|kid| !kid.is_empty());
    if !has_kid {
        return false;
    }
    let Ok(payload) = URL_SAFE_NO_PAD.decode(payload.trim_end_matches('=')) else {
        return false;
    };
    let Ok(shape) = serde_json::from_slice::<Shape>(&payload) else {
        return false;
    };
    if shape.act.is_some() {
        return true;
    }
    shape
        .sub
        .and_then(|sub| serde_json::from_str::<Sub>(&sub).ok())
        .and_then(|sub| sub.id_agent)
        .is_some_and(|id| php_truthy(&id))
}

/// PHP's truthiness of a JSON value, as Spryker's `if ($idAgent)` reads it.
fn php_truthy(value: &serde_json::Value) -> bool {
    use serde_json::Value;
    match value {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        Value::String(s) => !s.is_empty() && s != "0",
        Value::Array(a) => !a.is_empty(),
        Value::Object(_) => true,
    }
}
