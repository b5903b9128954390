//! Identifiers and timestamps as stored (TEXT ids, INTEGER unix milliseconds).

use rand::RngCore;

/// A new random identifier: 16 random bytes, hex-encoded (32 characters, URL-safe).
pub fn new_id() -> String {
    let mut bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut bytes);
    hex(&bytes)
}

/// The local id of a listing received from another instance, derived from its ActivityPub id: the
/// same listing keeps the same address here (`/listings/ID`) when it comes back, after a peering
/// ended and started again for instance, so that links members shared keep working.
pub fn id_for_remote(ap_id: &str) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::new().chain_update(b"maillage remote listing\n").chain_update(ap_id.as_bytes()).finalize();
    hex(&digest[..16])
}

/// A new secret token (sessions, CSRF): 32 random bytes, hex-encoded.
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    hex(&bytes)
}

pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        out.push(DIGITS[usize::from(byte >> 4)] as char);
        out.push(DIGITS[usize::from(byte & 0x0f)] as char);
    }
    out
}

/// Whether `value` looks like an id made by [`new_id`] (used to reject junk path segments early).
pub fn is_valid_id(value: &str) -> bool {
    value.len() == 32 && value.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// Now, in unix milliseconds.
pub fn now_ms() -> i64 {
    let now = time::OffsetDateTime::now_utc();
    i64::try_from(now.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_remote_listing_keeps_its_id() {
        let a = id_for_remote("https://coop.example/listings/1");
        assert_eq!(a, id_for_remote("https://coop.example/listings/1"));
        assert_ne!(a, id_for_remote("https://coop.example/listings/2"));
        assert!(is_valid_id(&a), "{a}");
    }

    #[test]
    fn ids_are_32_hex_characters_and_distinct() {
        let (a, b) = (new_id(), new_id());
        assert!(is_valid_id(&a) && is_valid_id(&b));
        assert_ne!(a, b);
        assert!(!is_valid_id("../etc/passwd"));
        assert!(!is_valid_id(&a.to_uppercase()));
    }
}
