//! RSA keys: the signing key (parsed once per engine), the verification keys
//! (current and previous), their RFC 7638 thumbprints and the JWKS document.

use aws_lc_rs::encoding::{AsDer, PublicKeyX509Der};
use aws_lc_rs::rsa::{KeySize, PublicKeyComponents};
use aws_lc_rs::signature::{self, KeyPair, ParsedPublicKey, RsaKeyPair};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::jwk::{
    AlgorithmParameters, CommonParameters, Jwk, JwkSet, KeyAlgorithm, PublicKeyUse,
    RSAKeyParameters, RSAKeyType, ThumbprintHash,
};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header};

use crate::error::{Error, Result};

/// The smallest modulus accepted, in bytes (2048 bits; RFC 7518 §3.3).
const MIN_MODULUS_BYTES: usize = 256;

/// A public key that verifies RS256 signatures, with its key id.
pub struct VerifyingKey {
    kid: String,
    parsed: ParsedPublicKey,
    n: Vec<u8>,
    e: Vec<u8>,
    /// SubjectPublicKeyInfo DER, for PEM export.
    spki: Vec<u8>,
    /// `base64url({"typ":"JWT","alg":"RS256","kid":...})`: the header of
    /// every token this key signs, computed once.
    header_b64: String,
}

impl std::fmt::Debug for VerifyingKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VerifyingKey")
            .field("kid", &self.kid)
            .finish()
    }
}

impl VerifyingKey {
    /// Parses a PEM public key (`BEGIN PUBLIC KEY` or `BEGIN RSA PUBLIC KEY`)
    /// or a PEM private key, of which only the public half is kept.
    pub fn from_pem(pem: &[u8]) -> Result<Self> {
        // jsonwebtoken also accepts private-key PEMs here; those fall through.
        if let Ok(key) = DecodingKey::from_rsa_pem(pem)
            && let Ok(der) = key.try_get_as_bytes()
            && let Ok(public) = aws_lc_rs::rsa::PublicKey::from_der(der)
        {
            return Self::from_public(&public);
        }
        let private = SigningKey::from_pem(pem)?;
        Ok(private.verifying_key)
    }

    fn from_public(public: &aws_lc_rs::rsa::PublicKey) -> Result<Self> {
        let spki: PublicKeyX509Der<'static> = public
            .as_der()
            .map_err(|_| Error::Config("unusable RSA public key".into()))?;
        let c = PublicKeyComponents::<Vec<u8>>::from(public);
        let n = strip_leading_zeros(&c.n).to_vec();
        let e = strip_leading_zeros(&c.e).to_vec();
        if n.len() < MIN_MODULUS_BYTES {
            return Err(Error::Config(format!(
                "RSA key has {} bits; at least 2048 are required",
                n.len() * 8
            )));
        }
        let parsed = c
            .to_parsed_public_key(&signature::RSA_PKCS1_2048_8192_SHA256)
            .map_err(|e| Error::Config(format!("unusable RSA public key: {e}")))?;
        let kid = thumbprint(&n, &e)?;
        let header = Header {
            typ: Some("JWT".into()),
            kid: Some(kid.clone()),
            ..Header::new(Algorithm::RS256)
        };
        let header_json = serde_json::to_vec(&header)
            .map_err(|e| Error::Internal(format!("header encoding: {e}")))?;
        Ok(VerifyingKey {
            kid,
            parsed,
            n,
            e,
            spki: spki.as_ref().to_vec(),
            header_b64: URL_SAFE_NO_PAD.encode(header_json),
        })
    }

    /// The key id: the RFC 7638 SHA-256 thumbprint, base64url.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The encoded header of the tokens this key signs.
    pub(crate) fn header_b64(&self) -> &str {
        &self.header_b64
    }

    /// Checks an RS256 signature over `message`.
    pub(crate) fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        self.parsed.verify_sig(message, signature).is_ok()
    }

    /// The modulus length in bytes, which is also the signature length.
    pub(crate) fn modulus_len(&self) -> usize {
        self.n.len()
    }

    /// This key as a JWK (RFC 7517) with `kid`, `use: sig` and `alg: RS256`.
    pub fn to_jwk(&self) -> Jwk {
        Jwk {
            common: CommonParameters {
                public_key_use: Some(PublicKeyUse::Signature),
                key_algorithm: Some(KeyAlgorithm::RS256),
                key_id: Some(self.kid.clone()),
                ..Default::default()
            },
            algorithm: AlgorithmParameters::RSA(RSAKeyParameters {
                key_type: RSAKeyType::RSA,
                n: URL_SAFE_NO_PAD.encode(&self.n),
                e: URL_SAFE_NO_PAD.encode(&self.e),
            }),
        }
    }

    /// The public key as PEM (`BEGIN PUBLIC KEY`, SubjectPublicKeyInfo), the
    /// format Spryker's `OAUTH_KEY_PUBLIC_PATH` and PHP's openssl expect.
    pub fn to_pem(&self) -> String {
        pem::encode(&pem::Pem::new("PUBLIC KEY", self.spki.clone()))
    }
}

/// The private key that signs access tokens. Parsed once: with aws-lc the
/// parse costs about as much as a signature (BUILD-NOTES).
pub struct SigningKey {
    pair: RsaKeyPair,
    verifying_key: VerifyingKey,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.verifying_key.kid)
            .finish()
    }
}

impl SigningKey {
    /// Parses a PEM RSA private key, PKCS#1 (`BEGIN RSA PRIVATE KEY`) or
    /// PKCS#8 (`BEGIN PRIVATE KEY`), of at least 2048 bits.
    pub fn from_pem(pem: &[u8]) -> Result<Self> {
        let der = EncodingKey::from_rsa_pem(pem)
            .map_err(|_| Error::Config("the private key is not a PEM RSA private key".into()))?;
        let pair = RsaKeyPair::from_der(der.as_bytes())
            .or_else(|_| RsaKeyPair::from_pkcs8(der.as_bytes()))
            .map_err(|e| Error::Config(format!("unusable RSA private key: {e}")))?;
        let verifying_key = VerifyingKey::from_public(pair.public_key())?;
        Ok(SigningKey {
            pair,
            verifying_key,
        })
    }

    /// The public half, for verification and the JWKS.
    pub fn verifying_key(&self) -> &VerifyingKey {
        &self.verifying_key
    }

    /// The key id put into every token header.
    pub fn kid(&self) -> &str {
        &self.verifying_key.kid
    }

    pub(crate) fn header_b64(&self) -> &str {
        self.verifying_key.header_b64()
    }

    /// RS256 (RSASSA-PKCS1-v1_5 with SHA-256) signature of `message`.
    pub(crate) fn sign(&self, message: &[u8]) -> Result<Vec<u8>> {
        let mut sig = vec![0; self.pair.public_modulus_len()];
        self.pair
            .sign(
                &signature::RSA_PKCS1_SHA256,
                &aws_lc_rs::rand::SystemRandom::new(),
                message,
                &mut sig,
            )
            .map_err(|_| Error::Internal("RSA signing failed".into()))?;
        Ok(sig)
    }
}

/// Generates a new 2048-bit RSA private key as PKCS#8 PEM, for development
/// and tests. Production shops use their existing OAuth key pair (D1).
pub fn generate_private_key_pem() -> Result<String> {
    let pair = aws_lc_rs::rsa::KeyPair::generate(KeySize::Rsa2048)
        .map_err(|_| Error::Internal("RSA key generation failed".into()))?;
    let der = AsDer::<aws_lc_rs::encoding::Pkcs8V1Der>::as_der(&pair)
        .map_err(|_| Error::Internal("RSA key encoding failed".into()))?;
    Ok(pem::encode(&pem::Pem::new(
        "PRIVATE KEY",
        der.as_ref().to_vec(),
    )))
}

/// Builds the JWKS document (RFC 7517 §5) for the given keys, current first.
pub fn jwks<'a>(keys: impl IntoIterator<Item = &'a VerifyingKey>) -> JwkSet {
    JwkSet {
        keys: keys.into_iter().map(VerifyingKey::to_jwk).collect(),
    }
}

fn thumbprint(n: &[u8], e: &[u8]) -> Result<String> {
    let jwk = Jwk {
        common: CommonParameters::default(),
        algorithm: AlgorithmParameters::RSA(RSAKeyParameters {
            key_type: RSAKeyType::RSA,
            n: URL_SAFE_NO_PAD.encode(n),
            e: URL_SAFE_NO_PAD.encode(e),
        }),
    };
    jwk.thumbprint(ThumbprintHash::SHA256)
        .map_err(|e| Error::Internal(format!("key thumbprint: {e}")))
}

fn strip_leading_zeros(bytes: &[u8]) -> &[u8] {
    let first = bytes.iter().position(|&b| b != 0).unwrap_or(bytes.len());
    &bytes[first..]
}
