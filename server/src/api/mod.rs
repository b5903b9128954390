//! The JSON API under `/api/v1`, described by the OpenAPI document at `/api/v1/openapi.json`.
//!
//! Handlers parse (with the extractors of `json`), authorise (`http::auth`), call the services and
//! answer with the shapes of `views`. Errors are `AppError`s, rendered as JSON by
//! `http::errors::render_api_errors`.

use axum::http::header::{CONTENT_TYPE, WWW_AUTHENTICATE};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, delete, get, patch, post, put};
use axum::{Router, middleware};

use crate::state::AppState;

mod accounts;
mod admin;
mod categories;
mod collectives;
pub mod errors;
mod exchanges;
mod federation;
mod json;
mod listing_body;
mod listings;
mod notifications;
mod photos;
mod pictures;
mod places;
mod sessions;
mod views;

#[cfg(test)]
mod tests;

/// Every route of the API: method and path under `/api/v1`. The router is built from this table
/// and a test checks it against `openapi.json`, so that the two cannot drift apart.
pub const ROUTES: &[(&str, &str)] = &[
    ("GET", "/openapi.json"),
    ("POST", "/accounts"),
    ("POST", "/sessions"),
    ("DELETE", "/sessions/current"),
    ("GET", "/me"),
    ("PUT", "/me/avatar"),
    ("DELETE", "/me/avatar"),
    ("GET", "/me/notifications"),
    ("PUT", "/me/notifications"),
    ("POST", "/me/calendar"),
    ("DELETE", "/me/calendar"),
    ("GET", "/cooperative"),
    ("GET", "/categories"),
    ("GET", "/places"),
    ("GET", "/listings"),
    ("POST", "/listings"),
    ("GET", "/listings/{id}"),
    ("PATCH", "/listings/{id}"),
    ("DELETE", "/listings/{id}"),
    ("POST", "/listings/{id}/photos"),
    ("PATCH", "/listings/{id}/photos/{photo}"),
    ("DELETE", "/listings/{id}/photos/{photo}"),
    ("PUT", "/admin/cooperative"),
    ("PUT", "/admin/cooperative/logo"),
    ("DELETE", "/admin/cooperative/logo"),
    ("GET", "/admin/members"),
    ("POST", "/admin/members/{username}/{action}"),
    ("GET", "/admin/peers"),
    ("POST", "/admin/peers"),
    ("GET", "/admin/peers/{domain}"),
    ("DELETE", "/admin/peers/{domain}"),
    ("POST", "/admin/peers/{domain}/{action}"),
    ("GET", "/follows"),
    ("POST", "/follows"),
    ("DELETE", "/follows/{account}"),
    ("GET", "/exchanges"),
    ("POST", "/exchanges"),
    ("GET", "/exchanges/{id}"),
    ("GET", "/exchanges/{id}/messages"),
    ("POST", "/exchanges/{id}/messages"),
    ("POST", "/exchanges/{id}/{move}"),
    ("GET", "/collectives"),
    ("POST", "/collectives"),
    ("GET", "/collectives/{id}"),
    ("PUT", "/collectives/{id}"),
    ("GET", "/collectives/{id}/charters"),
    ("GET", "/collectives/{id}/charters/{version}"),
    ("POST", "/collectives/{id}/join"),
    ("POST", "/collectives/{id}/leave"),
    ("POST", "/collectives/{id}/charter/accept"),
    ("GET", "/collectives/{id}/members"),
    ("PUT", "/collectives/{id}/members/{membership}/role"),
    ("DELETE", "/collectives/{id}/members/{membership}"),
    ("GET", "/collectives/{id}/requests"),
    ("POST", "/collectives/{id}/requests/{membership}"),
    ("POST", "/collectives/{id}/invitations"),
];

/// The routes that receive a picture, whose body limit is the uploads'.
const UPLOADS: [&str; 3] = ["/listings/{id}/photos", "/me/avatar", "/admin/cooperative/logo"];

/// The handler of one entry of `ROUTES`.
fn handler(method: &str, path: &str) -> Option<MethodRouter<AppState>> {
    let handler = match (method, path) {
        ("GET", "/openapi.json") => get(openapi),
        ("POST", "/accounts") => post(accounts::create),
        ("POST", "/sessions") => post(sessions::create),
        ("DELETE", "/sessions/current") => delete(sessions::close),
        ("GET", "/me") => get(accounts::me),
        ("PUT", "/me/avatar") => put(pictures::set_avatar),
        ("DELETE", "/me/avatar") => delete(pictures::remove_avatar),
        ("GET", "/me/notifications") => get(notifications::get),
        ("PUT", "/me/notifications") => put(notifications::put),
        ("POST", "/me/calendar") => post(notifications::renew_calendar),
        ("DELETE", "/me/calendar") => delete(notifications::remove_calendar),
        ("GET", "/cooperative") => get(pictures::get),
        ("PUT", "/admin/cooperative") => put(pictures::set_presentation),
        ("PUT", "/admin/cooperative/logo") => put(pictures::set_logo),
        ("DELETE", "/admin/cooperative/logo") => delete(pictures::remove_logo),
        ("GET", "/categories") => get(categories::list),
        ("GET", "/places") => get(places::suggest),
        ("GET", "/listings") => get(listings::search),
        ("POST", "/listings") => post(listings::create),
        ("GET", "/listings/{id}") => get(listings::get),
        ("PATCH", "/listings/{id}") => patch(listings::update),
        ("DELETE", "/listings/{id}") => delete(listings::delete),
        ("POST", "/listings/{id}/photos") => post(photos::add),
        ("PATCH", "/listings/{id}/photos/{photo}") => patch(photos::update),
        ("DELETE", "/listings/{id}/photos/{photo}") => delete(photos::remove),
        ("GET", "/admin/members") => get(admin::members),
        ("POST", "/admin/members/{username}/{action}") => post(admin::act),
        ("GET", "/admin/peers") => get(federation::peers),
        ("POST", "/admin/peers") => post(federation::request),
        ("GET", "/admin/peers/{domain}") => get(federation::peer),
        ("DELETE", "/admin/peers/{domain}") => delete(federation::unpeer),
        ("POST", "/admin/peers/{domain}/{action}") => post(federation::act),
        ("GET", "/follows") => get(federation::follows),
        ("POST", "/follows") => post(federation::follow),
        ("DELETE", "/follows/{account}") => delete(federation::unfollow),
        ("GET", "/exchanges") => get(exchanges::list),
        ("POST", "/exchanges") => post(exchanges::start),
        ("GET", "/exchanges/{id}") => get(exchanges::get),
        ("GET", "/exchanges/{id}/messages") => get(exchanges::messages),
        ("POST", "/exchanges/{id}/messages") => post(exchanges::post_message),
        ("POST", "/exchanges/{id}/{move}") => post(exchanges::act),
        ("GET", "/collectives") => get(collectives::list),
        ("POST", "/collectives") => post(collectives::create),
        ("GET", "/collectives/{id}") => get(collectives::get),
        ("PUT", "/collectives/{id}") => put(collectives::update),
        ("GET", "/collectives/{id}/charters") => get(collectives::charters),
        ("GET", "/collectives/{id}/charters/{version}") => get(collectives::charter),
        ("POST", "/collectives/{id}/join") => post(collectives::join),
        ("POST", "/collectives/{id}/leave") => post(collectives::leave),
        ("POST", "/collectives/{id}/charter/accept") => post(collectives::accept_charter),
        ("GET", "/collectives/{id}/members") => get(collectives::members),
        ("PUT", "/collectives/{id}/members/{membership}/role") => put(collectives::set_role),
        ("DELETE", "/collectives/{id}/members/{membership}") => delete(collectives::remove),
        ("GET", "/collectives/{id}/requests") => get(collectives::requests),
        ("POST", "/collectives/{id}/requests/{membership}") => post(collectives::decide),
        ("POST", "/collectives/{id}/invitations") => post(collectives::invite),
        _ => return None,
    };
    Some(handler)
}

/// The API; `media` sets the body limit of photo uploads.
pub fn routes(media: &crate::config::MediaConfig) -> Router<AppState> {
    let mut router = Router::new();
    for (method, path) in ROUTES {
        let handler = handler(method, path).map(|h| {
            if UPLOADS.contains(path) {
                h.layer(axum::extract::DefaultBodyLimit::max(crate::http::upload::body_limit(media)))
            } else {
                h
            }
        });
        match handler {
            // Routes on the same path merge their methods.
            Some(handler) => router = router.route(path, handler),
            None => tracing::error!(method, path, "API route without a handler"),
        }
    }
    router.fallback(not_found).layer(middleware::map_response(challenge))
}

/// RFC 6750: a 401 tells the client which scheme to authenticate with.
async fn challenge(mut response: Response) -> Response {
    if response.status() == StatusCode::UNAUTHORIZED {
        response.headers_mut().insert(WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    }
    response
}

async fn not_found() -> crate::error::AppError {
    crate::error::AppError::not_found()
}

const OPENAPI: &str = include_str!("openapi.json");

async fn openapi() -> impl IntoResponse {
    ([(CONTENT_TYPE, "application/json")], OPENAPI)
}
