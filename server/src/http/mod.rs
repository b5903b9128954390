//! What web pages, the API and ActivityPub share at the HTTP seam: language, authentication, cookies,
//! CSRF, ids in paths, the client's address and the API's rate limit, security headers, text encoding, and the
//! parts of error rendering that do not depend on a surface. The application state is in
//! `state.rs`, the router that assembles the surfaces in `router.rs`.

pub mod auth;
pub mod cookies;
pub mod csrf;
pub mod encoding;
pub mod errors;
pub mod ids;
pub mod lang;
pub mod limits;
pub mod security;
pub mod upload;

/// Largest request body accepted (forms and JSON); larger ones get 413.
pub const BODY_LIMIT_BYTES: usize = 256 * 1024;
