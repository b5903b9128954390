//! RSA key pairs for our actors (2048 bits, PEM), generated on a blocking thread: a key takes a
//! quarter of a second of CPU, which must not stall the requests being served.

use crate::error::FederationError;

#[derive(Debug, Clone)]
pub struct KeyPair {
    pub public_key_pem: String,
    pub private_key_pem: String,
}

pub async fn generate() -> Result<KeyPair, FederationError> {
    let pair = tokio::task::spawn_blocking(activitypub_federation::http_signatures::generate_actor_keypair)
        .await
        .map_err(|e| FederationError::Internal(format!("key generation: {e}")))?
        .map_err(|e| FederationError::Internal(format!("key generation: {e}")))?;
    Ok(KeyPair { public_key_pem: pair.public_key, private_key_pem: pair.private_key })
}
