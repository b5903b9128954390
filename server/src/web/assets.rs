//! Static assets, embedded in the binary.

use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::response::IntoResponse;
use std::sync::LazyLock;

use crate::domain::cooperative::Accent;

const STYLESHEET: &str = include_str!("../../static/style.css");

/// The stylesheet, followed by the cooperative's palette: one class of the page's root per colour
/// (`<html class="accent-teal">`), from the colours whose contrast `domain::cooperative` checks.
static STYLESHEET_WITH_PALETTE: LazyLock<String> = LazyLock::new(|| {
    let mut css = STYLESHEET.to_owned();
    css.push_str("\n/* The cooperative's colour, chosen on /admin/cooperative (domain::cooperative::Accent). */\n");
    for accent in Accent::ALL {
        let (colour, tint) = (accent.rgb().hex(), accent.tint().hex());
        css.push_str(&format!(":root.accent-{accent} {{ --accent: {colour}; --accent-tint: {tint}; }}\n"));
        css.push_str(&format!(".sample.accent-{accent} {{ background: {colour}; }}\n"));
    }
    css
});

pub async fn stylesheet() -> impl IntoResponse {
    let css: &'static str = STYLESHEET_WITH_PALETTE.as_str();
    ([(CONTENT_TYPE, "text/css; charset=utf-8"), (CACHE_CONTROL, "public, max-age=3600")], css)
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
