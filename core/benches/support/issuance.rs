//! The database benches' ratio (`issuance_postgres`, `issuance_mysql`): a
//! file of its own, since the server's benches share `support/mod.rs` and
//! have no RSA crate of their own.

use agent_oauth_core::Engine;

/// [`crate::support::interleaved`] rounds of the raw RS256 signature of
/// `message` against impersonations of customer `DE--50000` with
/// `agent_token`: the database benches' ratio, with the median time per
/// call of each, in microseconds.
pub fn issuance_vs_sign(
    engine: &Engine,
    agent_token: &str,
    pair: &aws_lc_rs::signature::RsaKeyPair,
    message: &[u8],
    batch: usize,
) -> (f64, f64, f64) {
    let rng = aws_lc_rs::rand::SystemRandom::new();
    let mut sig = vec![0; pair.public_modulus_len()];
    crate::support::interleaved(
        21,
        batch,
        || {
            pair.sign(
                &aws_lc_rs::signature::RSA_PKCS1_SHA256,
                &rng,
                message,
                &mut sig,
            )
            .expect("sign");
        },
        || {
            engine
                .impersonate(agent_token, "DE--50000", None, crate::support::IP)
                .expect("impersonate");
        },
    )
}
