//! "Authorized fetch": with it on, our actor, listing and collection documents are served only to
//! requests signed by a server we do not block. `activitypub_federation` verifies signatures of
//! inbox POSTs only, so signed GETs are checked here, with the same draft-cavage rules.

use std::collections::BTreeMap;
use std::time::Duration;

use axum::http::{HeaderMap, Method, Uri};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use rsa::pkcs1v15::Pkcs1v15Sign;
use rsa::pkcs8::DecodePublicKey;
use sha2::{Digest, Sha256};

use crate::client::Federation;
use crate::error::FederationError;
use crate::port::RemoteActor;
use crate::urls::domain_of;

/// How old a signature may be for the signature library; `signature::check` has refused anything
/// further than a few minutes from now before.
const MAX_AGE: Duration = Duration::from_secs(60 * 60);

/// Checks the signature of a GET and returns the actor that signed it. The signature must cover the
/// request line, our host and a recent time (`signature::check`): otherwise it would be valid for
/// any path, on any server, for ever.
pub async fn verify(
    federation: &Federation,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
) -> Result<RemoteActor, FederationError> {
    if !headers.contains_key("signature") {
        return Err(FederationError::Unauthorized("a signed request is required".into()));
    }
    let params = crate::signature::check(headers, &federation.urls().domain(), false)?;
    let actor_id = params.actor().ok_or_else(|| FederationError::Unauthorized("the keyId is not a URL".into()))?;
    let domain = domain_of(&actor_id).unwrap_or_default();
    if federation.data().port.is_blocked(&domain).await? {
        return Err(FederationError::Forbidden(format!("{domain} is blocked")));
    }
    if federation.urls().is_local(&actor_id) {
        return Err(FederationError::Unauthorized("a signature by one of our own actors".into()));
    }
    let actor = federation.actor(&actor_id).await?;
    let mut header_map = BTreeMap::new();
    for (name, value) in headers {
        if let Ok(value) = value.to_str() {
            header_map.insert(name.to_string(), value.to_owned());
        }
    }
    if !header_map.contains_key("host") {
        header_map.insert("host".to_owned(), federation.urls().domain());
    }
    let path_and_query = uri.path_and_query().map_or("/", |p| p.as_str());
    let config = http_signature_normalization::Config::new().set_expiration(MAX_AGE);
    let unverified = config
        .begin_verify(method.as_str(), path_and_query, header_map)
        .map_err(|e| FederationError::Unauthorized(format!("unreadable signature: {e}")))?;
    let public_key = rsa::RsaPublicKey::from_public_key_pem(&actor.public_key_pem)
        .map_err(|e| FederationError::Unauthorized(format!("the signer's key is unreadable: {e}")))?;
    let verified = unverified.verify(|signature, signing_string| {
        BASE64.decode(signature).ok().is_some_and(|bytes| {
            public_key.verify(Pkcs1v15Sign::new::<Sha256>(), &Sha256::digest(signing_string.as_bytes()), &bytes).is_ok()
        })
    });
    if verified { Ok(actor) } else { Err(FederationError::BadSignature) }
}
