//! Federation errors, each with the HTTP status an inbox answers with: a request we refuse is a 4xx
//! that names the problem, never a 500; only a failure of our own storage is a 500 (the sender will
//! retry).

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::port::PortError;

#[derive(Debug, thiserror::Error)]
pub enum FederationError {
    /// No valid signature: missing, unverifiable, or not matching the body.
    #[error("signature: {0}")]
    Unauthorized(String),
    /// A signature that does not verify with the key we hold for its actor.
    #[error("signature: the signature does not verify")]
    BadSignature,
    /// Well signed, but refused (a blocked domain, an actor speaking for another server).
    #[error("forbidden: {0}")]
    Forbidden(String),
    /// Not JSON, or not an activity we can understand.
    #[error("bad request: {0}")]
    BadRequest(String),
    #[error("the activity is larger than the inbox accepts")]
    TooLarge,
    #[error("not found")]
    NotFound,
    /// Another server did not answer, or not usefully (a fetch of ours that failed).
    #[error("unreachable: {0}")]
    Unreachable(String),
    /// Our own rules forbid a request there (`target.rs`: an IP address, `http` in production...):
    /// nothing was sent.
    #[error("not allowed: {0}")]
    NotAllowed(String),
    #[error("storage: {0}")]
    Port(PortError),
    #[error("{0}")]
    Internal(String),
}

impl FederationError {
    pub fn status(&self) -> StatusCode {
        match self {
            FederationError::Unauthorized(_) | FederationError::BadSignature => StatusCode::UNAUTHORIZED,
            FederationError::Forbidden(_) => StatusCode::FORBIDDEN,
            FederationError::BadRequest(_) | FederationError::NotAllowed(_) => StatusCode::BAD_REQUEST,
            FederationError::NotFound => StatusCode::NOT_FOUND,
            FederationError::Unreachable(_) => StatusCode::BAD_GATEWAY,
            FederationError::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            FederationError::Port(_) | FederationError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl From<PortError> for FederationError {
    fn from(error: PortError) -> Self {
        match error {
            PortError::Refused(why) => FederationError::BadRequest(why),
            PortError::Forbidden(why) => FederationError::Forbidden(why),
            storage => FederationError::Port(storage),
        }
    }
}

impl From<activitypub_federation::error::Error> for FederationError {
    fn from(error: activitypub_federation::error::Error) -> Self {
        use activitypub_federation::error::Error as E;
        match error {
            E::ParseReceivedActivity { err, .. } => FederationError::BadRequest(format!("not a valid activity: {err}")),
            E::ActivityBodyDigestInvalid => {
                FederationError::Unauthorized("the Digest header does not match the body".into())
            }
            E::ActivitySignatureInvalid => FederationError::BadSignature,
            E::UrlVerificationError(why) => FederationError::BadRequest(format!("refused URL: {why}")),
            E::DomainResolveError(domain) => {
                FederationError::Forbidden(format!("{domain} resolves to a private address"))
            }
            E::ResolveInternalIpError(domain, _) => {
                FederationError::Forbidden(format!("{domain} resolves to a private address"))
            }
            // The other server answered, and has no such account (the library reads any answer to a
            // WebFinger query, a 404 included, as a document: what is not one means "not found").
            E::WebfingerResolveFailed(_) | E::NotFound => FederationError::NotFound,
            E::ParseFetchedObject(_, url, _) if url.path() == "/.well-known/webfinger" => FederationError::NotFound,
            E::RequestLimit | E::ResponseBodyLimit => {
                FederationError::BadRequest("too many or too large fetches".into())
            }
            E::Reqwest(e) => FederationError::Unreachable(describe_request_error(&e)),
            E::ReqwestMiddleware(reqwest_middleware::Error::Reqwest(e)) => {
                FederationError::Unreachable(describe_request_error(&e))
            }
            E::ReqwestMiddleware(e) => FederationError::Unreachable(e.to_string()),
            E::Other(why) if why.contains(" failure with status ") => FederationError::Unreachable(why),
            E::SerializeOutgoingActivity(e, _) => FederationError::Internal(e.to_string()),
            E::StopActivityQueue(e) => FederationError::Internal(e.to_string()),
            // Everything else comes from fetching or reading the signer's key: we cannot verify.
            other => FederationError::Unauthorized(format!("cannot verify the sender: {other}")),
        }
    }
}

/// What went wrong with a request, in words an admin can act on: refused, timed out, TLS, DNS, a
/// private address, or the innermost cause. reqwest's own message ("error sending request for url")
/// leaves the cause in its source chain.
pub fn describe_request_error(error: &reqwest::Error) -> String {
    let mut causes = Vec::new();
    let mut source: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(error);
    let mut refused = false;
    while let Some(cause) = source {
        if let Some(io) = cause.downcast_ref::<std::io::Error>() {
            refused |= io.kind() == std::io::ErrorKind::ConnectionRefused;
        }
        causes.push(cause.to_string());
        source = cause.source();
    }
    let all = causes.join(": ").to_ascii_lowercase();
    let innermost = causes.last().cloned().unwrap_or_else(|| error.to_string());
    let what = if error.is_timeout() || all.contains("timed out") {
        "timed out".to_owned()
    } else if refused || all.contains("connection refused") {
        "connection refused".to_owned()
    } else if all.contains("internal ip") || all.contains("private address") || all.contains("resolves to") {
        format!("refused: the name resolves to a private or loopback address ({innermost})")
    } else if all.contains("dns error") || all.contains("failed to lookup") || all.contains("name or service") {
        format!("DNS lookup failed ({innermost})")
    } else if all.contains("certificate") || all.contains("tls") || all.contains("handshake") {
        format!("TLS error ({innermost})")
    } else if let Some(status) = error.status() {
        format!("HTTP {}", status.as_u16())
    } else if error.is_connect() {
        format!("could not connect ({innermost})")
    } else {
        innermost
    };
    match error.url() {
        Some(url) => format!("{url}: {what}"),
        None => what,
    }
}

impl IntoResponse for FederationError {
    fn into_response(self) -> Response {
        let status = self.status();
        if status.is_server_error() {
            tracing::error!(error = %self, "federation request failed");
        } else {
            tracing::info!(error = %self, %status, "federation request refused");
        }
        let message = if status.is_server_error() { "internal error".to_owned() } else { self.to_string() };
        (status, axum::Json(serde_json::json!({ "error": status.canonical_reason(), "message": message })))
            .into_response()
    }
}
