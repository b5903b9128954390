//! Cookies: reading one from a request, and the session cookie of the web UI.

use axum::http::HeaderMap;
use axum::http::header::COOKIE;

use crate::services::accounts;

pub const SESSION_COOKIE: &str = "maillage_session";

/// The session cookie for a new login (HttpOnly, SameSite=Lax, Secure over https).
pub fn session_cookie(token: &str, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    let max_age = accounts::WEB_SESSION_DAYS * 24 * 3600;
    format!("{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}")
}

pub fn clear_session_cookie() -> String {
    format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0")
}

/// The value of the cookie `name` in a request, if it has one.
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
