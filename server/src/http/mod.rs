//! The HTTP side: shared state, the router, and what web pages and the API have in common
//! (language, authentication, CSRF, error rendering).

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::middleware;
use tower_http::trace::{DefaultOnFailure, TraceLayer};

use crate::config::Config;
use crate::i18n::Lang;
use crate::storage::Db;

pub mod auth;
pub mod csrf;
pub mod encoding;
pub mod errors;
pub mod lang;
pub mod limits;
pub mod security;

/// Largest request body accepted (forms and JSON); larger ones get 413.
pub const BODY_LIMIT_BYTES: usize = 256 * 1024;

#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub db: Db,
    /// The instance's languages, the default first.
    pub langs: Arc<[Lang]>,
    /// The time zone dates and times are shown in.
    pub zone: crate::i18n::Zone,
    pub federator: crate::services::federation::Federator,
    /// The rate limiters (logins, registrations, the JSON API).
    pub limits: Arc<crate::services::limits::Limits>,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState").field("domain", &self.config.domain).finish_non_exhaustive()
    }
}

impl AppState {
    pub fn new(config: Arc<Config>, db: Db) -> Self {
        let langs: Vec<Lang> = config.instance.languages.iter().filter_map(|l| Lang::parse(l)).collect();
        let federator = crate::services::federation::Federator::new(config.clone(), db.clone());
        // The configuration was validated: an unknown zone stopped start-up with its key named.
        let zone = crate::i18n::Zone::named(&config.instance.timezone).unwrap_or_default();
        let limits = Arc::new(crate::services::limits::Limits::new(&config.limits));
        Self { config, db, langs: langs.into(), zone, federator, limits }
    }
}

pub fn router(state: AppState) -> Router {
    let api = crate::api::routes()
        .layer(errors::catch_panics())
        .layer(middleware::from_fn_with_state(state.clone(), limits::limit_api))
        .layer(middleware::from_fn(errors::render_api_errors));
    let web = crate::web::routes()
        .layer(middleware::from_fn(encoding::refuse_non_utf8_query))
        .layer(errors::catch_panics())
        .layer(middleware::from_fn_with_state(state.clone(), errors::render_web_errors))
        .layer(middleware::from_fn_with_state(state.clone(), csrf::ensure_cookie));
    let app = Router::new()
        .nest("/api/v1", api)
        .merge(crate::activitypub::routes().layer(errors::catch_panics()))
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
