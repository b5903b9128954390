//! Security headers on every answer (pages, errors, the API, ActivityPub documents, assets).
//!
//! - `Content-Security-Policy`: what the pages use, and nothing more. Scripts, styles, fonts and
//!   images come only from this instance (`'self'`), images also as `data:` URLs; no inline script
//!   or style (the templates have none: keep it so), forms post only here, no `<base>`, and no other
//!   site may frame a page (`frame-ancestors 'none'`, against clickjacking). A JSON answer has no
//!   use for any of it, and the same policy does no harm there.
//! - `X-Frame-Options: DENY`: the same as `frame-ancestors` for browsers that predate it.
//! - `X-Content-Type-Options: nosniff`: a browser takes a JSON or CSS answer for what its
//!   `Content-Type` says, never for a page with script in it.
//! - `Referrer-Policy: same-origin`: a click on a link to another server (a listing's page at its
//!   origin, a map) sends no `Referer`, so that no one learns which page of the catalogue a member
//!   was on — a search, a place, a listing id. `strict-origin-when-cross-origin` would still tell the
//!   other server which cooperative its visitors come from; links here need no referrer at all.
//!
//! HSTS is left to the TLS-terminating reverse proxy (see ADMIN.md): the instance does not know
//! whether it is served over https only.

use axum::Router;
use axum::http::HeaderValue;
use axum::http::header::{
    CONTENT_SECURITY_POLICY, HeaderName, REFERRER_POLICY, X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
};
use tower_http::set_header::SetResponseHeaderLayer;

pub const CONTENT_SECURITY_POLICY_VALUE: &str = "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self'; \
     img-src 'self' data:; font-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

const HEADERS: [(HeaderName, &str); 4] = [
    (CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY_VALUE),
    (X_FRAME_OPTIONS, "DENY"),
    (X_CONTENT_TYPE_OPTIONS, "nosniff"),
    (REFERRER_POLICY, "same-origin"),
];

/// `router` with the security headers set on every answer it gives, replacing any a handler set.
pub fn with_headers<S: Clone + Send + Sync + 'static>(router: Router<S>) -> Router<S> {
    HEADERS.into_iter().fold(router, |router, (name, value)| {
        router.layer(SetResponseHeaderLayer::overriding(name, HeaderValue::from_static(value)))
    })
}
