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
use url::Url;

use crate::error::FederationError;
use crate::port::RemoteActor;
use crate::send::Federation;
use crate::urls::domain_of;

/// How old a signature may be (the `Date` header or `(created)`), as the library allows for POSTs.
const MAX_AGE: Duration = Duration::from_secs(60 * 60);

/// The `keyId` of a `Signature` header.
fn key_id(headers: &HeaderMap) -> Option<Url> {
    let signature = headers.get("signature")?.to_str().ok()?;
    let start = signature.find("keyId=\"")? + "keyId=\"".len();
    let end = signature[start..].find('"')? + start;
    Url::parse(&signature[start..end]).ok()
}

/// The names in the `headers` parameter of a `Signature` header (`date` when absent, as the
/// draft says).
fn signed_header_names(headers: &HeaderMap) -> Vec<String> {
    let Some(signature) = headers.get("signature").and_then(|v| v.to_str().ok()) else { return Vec::new() };
    match signature.find("headers=\"") {
        Some(start) => {
            let start = start + "headers=\"".len();
            let end = signature[start..].find('"').map_or(signature.len(), |e| e + start);
            signature[start..end].split_whitespace().map(str::to_ascii_lowercase).collect()
        }
        None => vec!["date".to_owned()],
    }
}

/// Checks the signature of a GET and returns the actor that signed it. The signature must cover the
/// request line and a time (`date` or `(created)`): otherwise it would be valid for any path, for
/// ever.
pub async fn verify(
    federation: &Federation,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
) -> Result<RemoteActor, FederationError> {
    let key_id = key_id(headers).ok_or_else(|| FederationError::Unauthorized("a signed request is required".into()))?;
    let signed = signed_header_names(headers);
    if !signed.iter().any(|h| h == "(request-target)") || !signed.iter().any(|h| h == "date" || h == "(created)") {
        return Err(FederationError::Unauthorized(
            "the signature must cover (request-target) and date or (created)".into(),
        ));
    }
    let mut actor_id = key_id.clone();
    actor_id.set_fragment(None);
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
