//! Access tokens: RS256 JWTs in the exact layout Spryker shops accept.
//!
//! Header `{"typ":"JWT","alg":"RS256","kid":...}`; claims `aud, jti, iat, nbf,
//! exp, sub, scopes` in that order, `sub` a JSON string, and `act` last in
//! impersonation tokens.

mod claims;
mod codec;
mod keys;

pub use claims::{AccessClaims, Actor, Subject, TokenKind, php_json_encode};
pub(crate) use claims::{ActorRef, IssuedClaims};
pub(crate) use codec::encode;
pub use codec::{MAX_TOKEN_LEN, Rejection, Validation, is_engine_token, verify};
pub use keys::{SigningKey, VerifyingKey, generate_private_key_pem, jwks};
