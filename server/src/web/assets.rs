//! Static assets, embedded in the binary.

use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::response::IntoResponse;

const STYLESHEET: &str = include_str!("../../static/style.css");

pub async fn stylesheet() -> impl IntoResponse {
    ([(CONTENT_TYPE, "text/css; charset=utf-8"), (CACHE_CONTROL, "public, max-age=3600")], STYLESHEET)
}

const PLACES_SCRIPT: &str = include_str!("../../static/places.js");

/// The suggestions of communes in place fields (the forms work without it).
pub async fn places_script() -> impl IntoResponse {
    ([(CONTENT_TYPE, "text/javascript; charset=utf-8"), (CACHE_CONTROL, "public, max-age=3600")], PLACES_SCRIPT)
}

const FAVICON: &str = include_str!("../../static/favicon.svg");

/// The site's icon (a mesh: "maillage"), as SVG; `/favicon.ico`, which browsers ask for on their
/// own, gets the same.
pub async fn favicon() -> impl IntoResponse {
    ([(CONTENT_TYPE, "image/svg+xml"), (CACHE_CONTROL, "public, max-age=86400")], FAVICON)
}
