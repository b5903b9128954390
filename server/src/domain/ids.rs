//! Identifiers and timestamps as stored (TEXT ids, INTEGER unix milliseconds).

use rand::RngCore;

/// A new random identifier: 16 random bytes, hex-encoded (32 characters, URL-safe).
pub fn new_id() -> String {
    let mut bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut bytes);
    hex(&bytes)
}

/// An id of ours that crosses the layers as its own type, so that a member's id is never passed
/// where a listing's is expected, and whatever holds one knows it is well formed: made new, read
/// from a request with `parse` (junk is refused before any query), or read back from storage.
macro_rules! typed_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// A new random id ([`new_id`]).
            #[allow(clippy::new_without_default)] // a default id would be a random one: say so
            pub fn new() -> Self {
                Self(new_id())
            }

            /// `value` if it is an id as [`new_id`] makes them.
            pub fn parse(value: &str) -> Option<Self> {
                is_valid_id(value).then(|| Self(value.to_owned()))
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

typed_id! {
    /// A member's id.
    MemberId
}

typed_id! {
    /// A listing's id: ours, or the local id of one received from a peer ([`ListingId::for_remote`]).
    ListingId
}

impl ListingId {
    /// The local id of a listing received from another instance, derived from its ActivityPub id:
    /// the same listing keeps the same address here (`/listings/ID`) when it comes back, after a
    /// peering ended and started again for instance, so that links members shared keep working.
    pub fn for_remote(ap_id: &str) -> Self {
        Self(derived(b"maillage remote listing\n", ap_id))
    }
}

typed_id! {
    /// An image's id: one uploaded here, or one of another server's that a listing from there shows
    /// ([`ImageId::for_remote`]), kept and served by us.
    ImageId
}

impl ImageId {
    /// The local id of another server's image, derived from its URL: the same URL is fetched and
    /// kept once, whichever listings show it.
    pub fn for_remote(url: &str) -> Self {
        Self(derived(b"maillage remote image\n", url))
    }
}

typed_id! {
    /// An exchange's id: ours, or the local id of one started on another instance
    /// ([`ExchangeId::for_remote`]).
    ExchangeId
}

impl ExchangeId {
    /// The local id of an exchange started on another instance, derived from its ActivityPub id.
    pub fn for_remote(ap_id: &str) -> Self {
        Self(derived(b"maillage remote exchange\n", ap_id))
    }
}

typed_id! {
    /// A collective's id: one hosted here, or our copy of one hosted by another instance
    /// ([`CollectiveId::for_remote`]).
    CollectiveId
}

impl CollectiveId {
    /// The local id of a collective hosted by another instance, derived from its `Group`'s id.
    pub fn for_remote(ap_id: &str) -> Self {
        Self(derived(b"maillage remote collective\n", ap_id))
    }
}

typed_id! {
    /// One person's membership of one collective (a request, an invitation, a member).
    MembershipId
}

/// An id derived from another server's URL (the first 16 bytes of a SHA-256 of `label` and it): the
/// same URL, the same id, and ids of different kinds apart.
fn derived(label: &[u8], url: &str) -> String {
    use sha2::{Digest, Sha256};
    hex(&Sha256::new().chain_update(label).chain_update(url.as_bytes()).finalize()[..16])
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
        let a = ListingId::for_remote("https://coop.example/listings/1");
        assert_eq!(a, ListingId::for_remote("https://coop.example/listings/1"));
        assert_ne!(a, ListingId::for_remote("https://coop.example/listings/2"));
        assert_eq!(ListingId::parse(a.as_str()), Some(a));
    }

    #[test]
    fn ids_are_32_hex_characters_and_distinct() {
        let (a, b) = (new_id(), new_id());
        assert!(is_valid_id(&a) && is_valid_id(&b));
        assert_ne!(a, b);
        assert!(!is_valid_id("../etc/passwd"));
        assert!(!is_valid_id(&a.to_uppercase()));
    }

    #[test]
    fn typed_ids_refuse_what_is_not_an_id() {
        let id = MemberId::new();
        assert_eq!(MemberId::parse(id.as_str()), Some(id.clone()));
        assert_eq!(id.to_string(), id.as_str());
        for junk in ["", "@instance", "../etc/passwd", &"a".repeat(33), &id.as_str().to_uppercase()] {
            assert_eq!(MemberId::parse(junk), None, "{junk:?}");
            assert_eq!(ListingId::parse(junk), None, "{junk:?}");
        }
    }
}
