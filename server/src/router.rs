//! The router: the JSON API under `/api/v1`, the ActivityPub routes and the web pages, each surface
//! with the error rendering of its own, and the layers every request goes through.

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::middleware;
use tower_http::trace::{DefaultOnFailure, TraceLayer};

use crate::http::{BODY_LIMIT_BYTES, csrf, encoding, errors, lang, limits, security};
use crate::state::AppState;

pub fn router(state: AppState) -> Router {
    let api = crate::api::routes(&state.config().media)
        .layer(errors::catch_panics())
        .layer(middleware::from_fn_with_state(state.clone(), limits::limit_api))
        .layer(middleware::from_fn(crate::api::errors::render_api_errors));
    let web = crate::web::routes(&state.config().media)
        .layer(middleware::from_fn(encoding::refuse_non_utf8_query))
        .layer(errors::catch_panics())
        .layer(middleware::from_fn_with_state(state.clone(), crate::web::errors::render_web_errors))
        .layer(middleware::from_fn_with_state(state.clone(), csrf::ensure_cookie));
    let app = Router::new()
        .nest("/api/v1", api)
        .merge(crate::activitypub::routes().layer(errors::catch_panics()))
        .merge(crate::web::media::routes().layer(errors::catch_panics()))
        .merge(web)
        .layer(middleware::from_fn_with_state(state.clone(), crate::activitypub::negotiate))
        .layer(middleware::from_fn_with_state(state.clone(), lang::negotiate_language))
        .layer(DefaultBodyLimit::max(BODY_LIMIT_BYTES))
        // A 5xx is logged as a warning here: a 502 is another server not answering (often a
        // mistyped address), and our own failures are logged as errors, with their cause, where
        // they happen.
        .layer(TraceLayer::new_for_http().on_failure(DefaultOnFailure::new().level(tracing::Level::WARN)));
    security::with_headers(app).with_state(state)
}
