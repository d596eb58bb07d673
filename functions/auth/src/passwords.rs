//! Password policy and argon2id hashing. Hashing runs on the blocking pool: it is deliberately
//! slow (~19 MiB, 2 passes) and must not stall the async workers.

use std::sync::{Arc, OnceLock};

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use platform::ApiError;
use rand::RngCore;

/// Shortest password accepted.
pub const MIN_LEN: usize = 10;
/// Longest password accepted (bounds the hashing work an attacker can ask for).
pub const MAX_LEN: usize = 256;

/// Checks the policy: 10–256 characters, not all of one class (lower, upper, digit, other).
pub fn check_policy(password: &str) -> Result<(), &'static str> {
    let len = password.chars().count();
    if len < MIN_LEN {
        return Err("must be at least 10 characters");
    }
    if len > MAX_LEN {
        return Err("must be at most 256 characters");
    }
    let classes = [
        password.chars().any(|c| c.is_lowercase()),
        password.chars().any(|c| c.is_uppercase()),
        password.chars().any(|c| c.is_numeric()),
        password.chars().any(|c| !c.is_alphanumeric()),
    ];
    if classes.iter().filter(|&&present| present).count() < 2 {
        return Err(
            "must mix at least two kinds of characters (lower case, upper case, digits, symbols)",
        );
    }
    Ok(())
}

fn argon2() -> Argon2<'static> {
    Argon2::new(Algorithm::Argon2id, Version::V0x13, Params::default())
}

/// Hashes and verifies passwords.
#[derive(Clone, Default)]
pub struct Passwords {
    /// A hash of a random string, verified against when the email is unknown, so that an
    /// unknown email and a wrong password take the same time.
    dummy: Arc<OnceLock<String>>,
}

impl Passwords {
    /// Hashes a password into a PHC string (`$argon2id$v=19$…`).
    pub async fn hash(&self, password: String) -> Result<String, ApiError> {
        tokio::task::spawn_blocking(move || {
            let mut bytes = [0u8; 16];
            rand::rng().fill_bytes(&mut bytes);
            let salt =
                SaltString::encode_b64(&bytes).map_err(|e| std::io::Error::other(e.to_string()))?;
            argon2()
                .hash_password(password.as_bytes(), &salt)
                .map(|h| h.to_string())
                .map_err(|e| std::io::Error::other(e.to_string()))
        })
        .await
        .map_err(ApiError::internal)?
        .map_err(ApiError::internal)
    }

    /// True when `password` matches the stored hash.
    pub async fn verify(&self, password: String, hash: String) -> Result<bool, ApiError> {
        tokio::task::spawn_blocking(move || {
            let parsed =
                PasswordHash::new(&hash).map_err(|e| std::io::Error::other(e.to_string()))?;
            Ok::<bool, std::io::Error>(
                argon2()
                    .verify_password(password.as_bytes(), &parsed)
                    .is_ok(),
            )
        })
        .await
        .map_err(ApiError::internal)?
        .map_err(ApiError::internal)
    }

    /// Spends the same time as [`Self::verify`] and always fails.
    pub async fn verify_dummy(&self, password: String) -> Result<bool, ApiError> {
        let dummy = match self.dummy.get() {
            Some(h) => h.clone(),
            None => {
                let h = self.hash(platform::auth::random_secret(24)).await?;
                self.dummy.get_or_init(|| h).clone()
            }
        };
        self.verify(password, dummy).await.map(|_| false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_needs_length_and_two_classes() {
        assert!(check_policy("short1A").is_err());
        assert!(check_policy("alllowercaseletters").is_err());
        assert!(check_policy("12345678901234").is_err());
        assert!(check_policy(&"aB1".repeat(100)).is_err());
        assert!(check_policy("correct horse battery").is_ok());
        assert!(check_policy("Tr0ub4dor&3x").is_ok());
    }

    #[tokio::test]
    async fn hashes_are_argon2id_salted_and_verify() {
        let p = Passwords::default();
        let h1 = p.hash("correct horse battery".into()).await.unwrap();
        let h2 = p.hash("correct horse battery".into()).await.unwrap();
        assert!(h1.starts_with("$argon2id$v=19$"));
        assert_ne!(h1, h2);
        assert!(
            p.verify("correct horse battery".into(), h1.clone())
                .await
                .unwrap()
        );
        assert!(!p.verify("wrong horse battery".into(), h1).await.unwrap());
        assert!(!p.verify_dummy("anything at all".into()).await.unwrap());
    }
}
