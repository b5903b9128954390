//! Delivering one stored activity to one inbox: [`Federation::send`] signs it with its actor's key
//! and posts it as it was stored, and says what became of it ([`Sent`]).
//!
//! The request is ours rather than the library's (`SendActivityTask`): the library signs with the
//! pure-Rust `rsa` crate, 1.35 ms of CPU per signature on our 2-core machine, which was two thirds of
//! the cost of a delivery; aws-lc-rs (already linked for TLS) signs in 0.36 ms, in constant time
//! too. What goes on the wire is what the library sent in its Mastodon-compatible mode, which every
//! test of ours and the fediverse's software verify: `Digest` of the body, and an RSA-SHA256
//! `Signature` over `(request-target) content-type date digest host`, named `rsa-sha256`
//! (docs/FEDERATION.md, "HTTP signatures").

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{RSA_PKCS1_SHA256, RsaKeyPair};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use rsa::pkcs1::DecodeRsaPrivateKey;
use rsa::pkcs8::{DecodePrivateKey, EncodePrivateKey};
use sha2::{Digest, Sha256};
use url::Url;

use crate::client::Federation;
use crate::error::{FederationError, describe_request_error};
use crate::port::LocalActor;
use crate::target::check_target;

/// How much of an inbox's answer is read (so that the connection can serve the next delivery); a
/// longer answer is left unread and its connection closed.
const ANSWER_READ: usize = 64 * 1024;

/// Actors whose parsed signing key is kept. Parsing a key costs more than a signature; an instance
/// with more members signing at once than this starts over, which costs only the parsing.
const KEYS_KEPT: usize = 1024;

impl Federation {
    /// Signs `activity` (JSON text) with `signer`'s key and posts it to `inbox`. `Ok` when the inbox
    /// took it, refused it for good (a 4xx other than 408 and 429: sending again would not help), or
    /// when our own rules forbid sending there at all (then it never will be); `Err` when it should be
    /// tried again later, saying what failed (refused connection, timeout, TLS, DNS, HTTP status).
    pub async fn send(&self, signer: &LocalActor, activity: &str, inbox: &Url) -> Result<Sent, FederationError> {
        if let Err(refusal) = check_target(inbox, self.insecure_local) {
            return Ok(Sent::Undeliverable(format!("{inbox}: {refusal}")));
        }
        let domain = crate::urls::domain_of(inbox).unwrap_or_default();
        if domain == self.urls().domain() {
            return Ok(Sent::Undeliverable(format!("{inbox} is one of our own inboxes")));
        }
        // A name ending with a dot is the same server: the block list knows it without.
        let bare = domain.strip_suffix('.').unwrap_or(&domain);
        match self.port.is_blocked(bare).await {
            Ok(false) => {}
            Ok(true) => return Ok(Sent::Undeliverable(format!("{bare} is blocked"))),
            Err(error) => return Err(FederationError::Internal(format!("reading the block list: {error}"))),
        }
        let key = self.keys.of(signer)?;
        let request = signed_post(&self.client, inbox, &signer.id, activity.as_bytes(), &key)?;
        let response = match self.client.execute(request).await {
            Ok(response) => response,
            Err(error) => return Err(FederationError::Unreachable(describe_request_error(&error))),
        };
        let status = response.status();
        drain(response).await;
        match status.as_u16() {
            200..=299 => Ok(Sent::Taken),
            408 | 429 => Err(FederationError::Unreachable(format!("{inbox} answered HTTP {status}"))),
            code @ 400..=499 => Ok(Sent::Refused(code)),
            _ => Err(FederationError::Unreachable(format!("{inbox} answered HTTP {status}"))),
        }
    }
}

/// Reads what an inbox answered, up to [`ANSWER_READ`] bytes: a connection whose answer was read
/// whole goes back to the client's pool for the next delivery.
async fn drain(mut response: reqwest::Response) {
    let mut read = 0;
    while let Ok(Some(chunk)) = response.chunk().await {
        read += chunk.len();
        if read > ANSWER_READ {
            break;
        }
    }
}

/// The POST of `body` to `inbox`, signed by `actor` with `key`.
fn signed_post(
    client: &reqwest::Client,
    inbox: &Url,
    actor: &Url,
    body: &[u8],
    key: &RsaKeyPair,
) -> Result<reqwest::Request, FederationError> {
    let host = crate::urls::domain_of(inbox).unwrap_or_default();
    let date = httpdate::fmt_http_date(std::time::SystemTime::now());
    let digest = format!("SHA-256={}", BASE64.encode(Sha256::digest(body)));
    let target = match inbox.query() {
        Some(query) => format!("{}?{query}", inbox.path()),
        None => inbox.path().to_owned(),
    };
    let signing_string = format!(
        "(request-target): post {target}\ncontent-type: {}\ndate: {date}\ndigest: {digest}\nhost: {host}",
        crate::ACTIVITY_JSON
    );
    let mut signature = vec![0; key.public_modulus_len()];
    key.sign(&RSA_PKCS1_SHA256, &SystemRandom::new(), signing_string.as_bytes(), &mut signature)
        .map_err(|_| FederationError::Internal("signing a delivery failed".into()))?;
    let key_id = crate::urls::key_id_of(actor);
    let header = format!(
        "keyId=\"{key_id}\",algorithm=\"rsa-sha256\",headers=\"(request-target) content-type date digest host\",signature=\"{}\"",
        BASE64.encode(&signature)
    );
    client
        .post(inbox.clone())
        .header(reqwest::header::CONTENT_TYPE, crate::ACTIVITY_JSON)
        .header(reqwest::header::HOST, host)
        .header(reqwest::header::DATE, date)
        .header("digest", digest)
        .header("signature", header)
        .body(body.to_vec())
        .build()
        .map_err(|e| FederationError::Internal(format!("building a delivery to {inbox}: {e}")))
}

/// An actor's key: the PEM it was parsed from (a changed key is parsed again), and the key.
type ParsedKey = (String, Arc<RsaKeyPair>);

/// Our actors' signing keys, parsed once each.
#[derive(Clone, Default)]
pub(crate) struct SigningKeys {
    parsed: Arc<Mutex<HashMap<Url, ParsedKey>>>,
}

impl SigningKeys {
    fn of(&self, actor: &LocalActor) -> Result<Arc<RsaKeyPair>, FederationError> {
        if let Ok(parsed) = self.parsed.lock()
            && let Some((pem, key)) = parsed.get(&actor.id)
            && *pem == actor.private_key_pem
        {
            return Ok(key.clone());
        }
        let key = Arc::new(parse_key(&actor.private_key_pem)?);
        if let Ok(mut parsed) = self.parsed.lock() {
            if parsed.len() >= KEYS_KEPT {
                parsed.clear();
            }
            parsed.insert(actor.id.clone(), (actor.private_key_pem.clone(), key.clone()));
        }
        Ok(key)
    }
}

/// An RSA private key in PEM, PKCS#8 (as our keys are written) or PKCS#1.
fn parse_key(pem: &str) -> Result<RsaKeyPair, FederationError> {
    let unreadable =
        |e: &dyn std::fmt::Display| FederationError::Internal(format!("our signing key is unreadable: {e}"));
    let key = rsa::RsaPrivateKey::from_pkcs8_pem(pem)
        .or_else(|_| rsa::RsaPrivateKey::from_pkcs1_pem(pem))
        .map_err(|e| unreadable(&e))?;
    let der = key.to_pkcs8_der().map_err(|e| unreadable(&e))?;
    RsaKeyPair::from_pkcs8(der.as_bytes()).map_err(|e| unreadable(&e))
}

/// What became of a delivery the receiving server answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sent {
    /// A 2xx: the inbox took it.
    Taken,
    /// A 4xx that sending again would not change (not 408 or 429): the activity is dropped for that
    /// inbox, and the status kept so that an admin sees a server that refuses us.
    Refused(u16),
    /// Our own rules forbid sending to this inbox (an `http` or `ftp` URL in production, an IP
    /// address...): it is dropped at once, never retried, and the reason kept for the admin page.
    Undeliverable(String),
}
