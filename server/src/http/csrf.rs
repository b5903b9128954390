//! CSRF protection for web forms. Every form carries a token in a hidden `csrf` field, which the
//! [`CsrfForm`] extractor checks (in constant time) before the form is parsed:
//!
//! - **A member's forms** (a valid session): the token is derived from the session token
//!   ([`session_form_token`]: the hex SHA-256 of a fixed label and the session token, never the
//!   session token itself). A cross-site page cannot read it, and a cookie planted by a sibling
//!   subdomain or a network attacker on plain http has no part in it.
//! - **Anonymous forms** (login, registration): "double submit". A middleware gives every browser
//!   a random token in an HttpOnly, SameSite=Strict cookie, and the form repeats it. Over https the
//!   cookie is `__Host-maillage_csrf`: browsers accept a `__Host-` cookie only when it is `Secure`,
//!   has `Path=/` and no `Domain`, so a sibling subdomain cannot set it.
//!
//! Forms need no JavaScript: pages put the right token in their forms, and after a login the next
//! page's forms carry the new one.

use axum::extract::{FromRequest, FromRequestParts, Request, State};
use axum::http::header::SET_COOKIE;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};

use super::auth::Viewer;
use super::cookies::{SESSION_COOKIE, cookie_value};
use crate::config::Config;
use crate::domain::ids::{hex, new_token};
use crate::error::AppError;
use crate::state::AppState;

/// The anonymous token's cookie over plain http (local development and tests).
pub const CSRF_COOKIE: &str = "maillage_csrf";
/// The anonymous token's cookie over https.
pub const CSRF_COOKIE_HTTPS: &str = "__Host-maillage_csrf";
pub const CSRF_FIELD: &str = "csrf";

/// The anonymous token of this browser (from its cookie, or new), available to handlers as an
/// extension. Pages take the token to show from [`page_token`].
#[derive(Debug, Clone)]
pub struct CsrfToken(pub String);

/// The name of the anonymous token's cookie on this instance.
pub fn cookie_name(config: &Config) -> &'static str {
    if config.secure_cookies() { CSRF_COOKIE_HTTPS } else { CSRF_COOKIE }
}

fn valid_token(token: &str) -> bool {
    token.len() == 64 && token.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The token of a member's forms, bound to their session.
pub fn session_form_token(session_token: &str) -> String {
    let digest = Sha256::new().chain_update(b"maillage csrf form token\n").chain_update(session_token).finalize();
    hex(&digest)
}

/// The token the forms of a page must carry: bound to the session when a member is logged in
/// (`signed_in`: their session is valid), the browser's anonymous token otherwise.
pub fn page_token(headers: &HeaderMap, anonymous: Option<&CsrfToken>, signed_in: bool) -> String {
    match cookie_value(headers, SESSION_COOKIE) {
        Some(session) if signed_in => session_form_token(&session),
        _ => anonymous.map(|t| t.0.clone()).unwrap_or_default(),
    }
}

/// Middleware: makes sure the browser has an anonymous CSRF cookie, and tells handlers its value.
pub async fn ensure_cookie(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let name = cookie_name(state.config());
    let existing = cookie_value(request.headers(), name).filter(|t| valid_token(t));
    let token = existing.clone().unwrap_or_else(new_token);
    request.extensions_mut().insert(CsrfToken(token.clone()));
    let mut response = next.run(request).await;
    if existing.is_none() {
        let secure = if state.config().secure_cookies() { "; Secure" } else { "" };
        let cookie = format!("{name}={token}; Path=/; HttpOnly; SameSite=Strict{secure}");
        if let Ok(value) = HeaderValue::from_str(&cookie) {
            response.headers_mut().append(SET_COOKIE, value);
        }
    }
    response
}

/// A URL-encoded form whose `csrf` field holds the token of the page it came from, and whose
/// fields are all UTF-8 text (`http::encoding`). Use it for every web POST.
pub struct CsrfForm<T>(pub T);

#[derive(serde::Deserialize)]
struct TokenOnly {
    #[serde(default)]
    csrf: String,
}

/// The token a form sent with these request parts must carry.
async fn expected_token(parts: &mut axum::http::request::Parts, state: &AppState) -> Result<Option<String>, AppError> {
    let Viewer(viewer) = Viewer::from_request_parts(parts, state).await?;
    Ok(match viewer {
        Some(_) => cookie_value(&parts.headers, SESSION_COOKIE).map(|session| session_form_token(&session)),
        None => cookie_value(&parts.headers, cookie_name(state.config())).filter(|t| valid_token(t)),
    })
}

fn check_token(expected: Option<String>, submitted: &str) -> Result<(), AppError> {
    match expected {
        Some(expected) if constant_time_eq(expected.as_bytes(), submitted.as_bytes()) => Ok(()),
        _ => Err(AppError::new(StatusCode::FORBIDDEN, "csrf_failed", "error.csrf")),
    }
}

/// A photo upload from a web form (`multipart/form-data`, `http::upload`) whose `csrf` field holds
/// the token of the page it came from.
pub struct CsrfUpload(pub super::upload::Upload);

impl FromRequest<AppState> for CsrfUpload {
    type Rejection = AppError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = request.into_parts();
        let expected = expected_token(&mut parts, state).await?;
        let request = Request::from_parts(parts, body);
        let multipart = axum::extract::Multipart::from_request(request, state)
            .await
            .map_err(|_| AppError::bad_request("error.bad_form"))?;
        let upload = super::upload::read(multipart, &state.config().media).await?;
        check_token(expected, upload.text(CSRF_FIELD))?;
        Ok(Self(upload))
    }
}

impl<T: DeserializeOwned> FromRequest<AppState> for CsrfForm<T> {
    type Rejection = AppError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = request.into_parts();
        let expected = expected_token(&mut parts, state).await?;
        let request = Request::from_parts(parts, body);
        let body = axum::body::Bytes::from_request(request, state).await.map_err(|rejection| {
            if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                AppError::new(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", "error.too_large")
            } else {
                AppError::bad_request("error.bad_form")
            }
        })?;
        let submitted: TokenOnly =
            serde_urlencoded::from_bytes(&body).map_err(|_| AppError::bad_request("error.bad_form"))?;
        check_token(expected, &submitted.csrf)?;
        if let Some(field) = super::encoding::first_non_utf8(&body) {
            return Err(super::encoding::not_utf8(&field));
        }
        let form = serde_urlencoded::from_bytes(&body).map_err(|e| {
            tracing::debug!(error = %e, "form does not parse");
            AppError::bad_request("error.bad_form")
        })?;
        Ok(Self(form))
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_members_token_is_bound_to_the_session_and_is_not_the_session() {
        let session = new_token();
        let token = session_form_token(&session);
        assert!(valid_token(&token), "{token}");
        assert_ne!(token, session);
        assert_eq!(token, session_form_token(&session));
        assert_ne!(token, session_form_token(&new_token()));
    }

    #[test]
    fn pages_show_the_session_token_only_to_members() {
        let mut headers = HeaderMap::new();
        headers.insert(axum::http::header::COOKIE, HeaderValue::from_static("lang=fr; maillage_session=abc"));
        let anonymous = CsrfToken("f".repeat(64));
        assert_eq!(page_token(&headers, Some(&anonymous), true), session_form_token("abc"));
        // An expired session leaves a cookie but no member: the anonymous token.
        assert_eq!(page_token(&headers, Some(&anonymous), false), anonymous.0);
        assert_eq!(page_token(&HeaderMap::new(), Some(&anonymous), true), anonymous.0);
    }
}
