//! Password hashing with argon2id, off the async threads (a hash takes tens of milliseconds).

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};

use crate::error::AppError;

pub async fn hash(password: String) -> Result<String, AppError> {
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut argon2::password_hash::rand_core::OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| AppError::internal(anyhow::anyhow!("hashing a password: {e}")))
    })
    .await
    .map_err(AppError::internal)?
}

/// Whether `password` matches `hash`. A malformed stored hash counts as no match (and is logged).
pub async fn verify(password: String, hash: String) -> Result<bool, AppError> {
    tokio::task::spawn_blocking(move || match PasswordHash::new(&hash) {
        Ok(parsed) => Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok(),
        Err(e) => {
            tracing::error!(error = %e, "stored password hash does not parse");
            false
        }
    })
    .await
    .map_err(AppError::internal)
}

/// Spends the time of one verification, for logins whose username does not exist, so that a
/// failed login takes as long whether or not the member exists.
pub async fn verify_nothing(password: String) -> Result<(), AppError> {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    tokio::task::spawn_blocking(move || {
        let hash = DUMMY.get_or_init(|| {
            let salt = SaltString::generate(&mut argon2::password_hash::rand_core::OsRng);
            Argon2::default().hash_password(b"not a password", &salt).map(|h| h.to_string()).unwrap_or_default()
        });
        if let Ok(parsed) = PasswordHash::new(hash) {
            let _ = Argon2::default().verify_password(password.as_bytes(), &parsed);
        }
    })
    .await
    .map_err(AppError::internal)
}
