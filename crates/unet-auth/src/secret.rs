//! Secrets: random session tokens and API keys, stored only as SHA-256, compared in constant
//! time; argon2id password hashes.

use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params, Version};
use rand::RngCore;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::{AuthError, Result};

/// Every API key starts with this, so a leaked key is recognisable (secret scanners).
pub const API_KEY_PREFIX: &str = "unet_";
/// Characters of a key kept in clear to recognise it in a list (`unet_` + 8).
const SHOWN_PREFIX_LEN: usize = 13;

fn random_hex() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// A new opaque bearer token for a login session.
pub fn new_session_token() -> String {
    random_hex()
}

/// A new API key secret and the prefix shown in lists.
pub fn new_api_key() -> (String, String) {
    let secret = format!("{API_KEY_PREFIX}{}", random_hex());
    let shown = secret[..SHOWN_PREFIX_LEN].to_string();
    (secret, shown)
}

/// What the database stores for a token or key.
pub fn digest(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Constant-time equality for secrets and their digests.
pub fn same(a: &str, b: &str) -> bool {
    a.as_bytes().ct_eq(b.as_bytes()).into()
}

/// argon2id with OWASP's second recommended setting (19 MiB, 2 passes): about 20–40 ms on one
/// core in release builds.
fn hasher() -> Argon2<'static> {
    // The constants are within argon2's bounds, checked by `hash_and_verify` below.
    let params = Params::new(19 * 1024, 2, 1, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

pub fn hash_password(password: &str) -> Result<String> {
    hasher()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| AuthError::Hashing(e.to_string()))
}

/// Whether `password` matches the stored PHC string; a malformed hash never matches.
pub fn verify_password(password: &str, phc: &str) -> bool {
    hasher().verify_password(password.as_bytes(), phc).is_ok()
}

/// A hash of a password nobody knows, verified against for unknown users so that an unknown
/// username costs the same time as a wrong password.
pub fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| hash_password(&random_hex()).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_and_verify() {
        let phc = hash_password("correct horse").unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
        assert!(verify_password("correct horse", &phc));
        assert!(!verify_password("correct hors", &phc));
        assert!(!verify_password("correct horse", "not a hash"));
        assert!(!verify_password("", dummy_hash()));
    }

    #[test]
    fn secrets_are_random_and_hashed() {
        let (key, shown) = new_api_key();
        assert!(key.starts_with("unet_") && key.len() == 69 && key.starts_with(&shown));
        assert_ne!(new_session_token(), new_session_token());
        assert_eq!(digest("a").len(), 64);
        assert!(same(&digest(&key), &digest(&key)));
        assert!(!same(&digest(&key), &digest("unet_other")));
    }
}
