//! CSRF protection for web forms: a random token in an HttpOnly, SameSite=Strict cookie, repeated in a
//! hidden field of every form ("double submit"). A cross-site page can make a browser send the
//! cookie with a POST (SameSite permitting) but cannot read it to fill in the field.

use axum::extract::{FromRequest, Request, State};
use axum::http::header::{COOKIE, SET_COOKIE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use serde::de::DeserializeOwned;

use super::AppState;
use crate::domain::ids::new_token;
use crate::error::AppError;

pub const CSRF_COOKIE: &str = "maillage_csrf";
pub const CSRF_FIELD: &str = "csrf";

/// The token to put in forms, available to handlers as an extension.
#[derive(Debug, Clone)]
pub struct CsrfToken(pub String);

pub fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, v)| v.to_owned())
}

fn valid_token(token: &str) -> bool {
    token.len() == 64 && token.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Middleware: makes sure the browser has a CSRF cookie, and tells handlers its value.
pub async fn ensure_cookie(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let existing = cookie_value(request.headers(), CSRF_COOKIE).filter(|t| valid_token(t));
    let token = existing.clone().unwrap_or_else(new_token);
    request.extensions_mut().insert(CsrfToken(token.clone()));
    let mut response = next.run(request).await;
    if existing.is_none() {
        let secure = if state.config.secure_cookies() { "; Secure" } else { "" };
        let cookie = format!("{CSRF_COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict{secure}");
        if let Ok(value) = HeaderValue::from_str(&cookie) {
            response.headers_mut().append(SET_COOKIE, value);
        }
    }
    response
}

/// A URL-encoded form whose `csrf` field matched the cookie. Use it for every web POST.
pub struct CsrfForm<T>(pub T);

#[derive(serde::Deserialize)]
struct TokenOnly {
    #[serde(default)]
    csrf: String,
}

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for CsrfForm<T> {
    type Rejection = AppError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let cookie = cookie_value(request.headers(), CSRF_COOKIE);
        let body = axum::body::Bytes::from_request(request, state).await.map_err(|rejection| {
            if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                AppError::new(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", "error.too_large")
            } else {
                AppError::bad_request("error.bad_form")
            }
        })?;
        let submitted: TokenOnly =
            serde_urlencoded::from_bytes(&body).map_err(|_| AppError::bad_request("error.bad_form"))?;
        match cookie {
            Some(cookie) if valid_token(&cookie) && constant_time_eq(cookie.as_bytes(), submitted.csrf.as_bytes()) => {}
            _ => return Err(AppError::new(StatusCode::FORBIDDEN, "csrf_failed", "error.csrf")),
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
