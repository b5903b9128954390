//! Who is asking: web sessions (cookie) and API tokens (`Authorization: Bearer`).

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};

use super::cookies::{SESSION_COOKIE, cookie_value};
use crate::domain::member::Member;
use crate::error::AppError;
use crate::services::accounts;
use crate::state::AppState;
use crate::storage::sessions::SessionKind;

/// The member logged in to the web UI, if any. Looked up once per request.
#[derive(Debug, Clone)]
pub struct Viewer(pub Option<Member>);

impl FromRequestParts<AppState> for Viewer {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        if let Some(viewer) = parts.extensions.get::<Viewer>() {
            return Ok(viewer.clone());
        }
        let member = match cookie_value(&parts.headers, SESSION_COOKIE) {
            Some(token) => accounts::member_for_token(state.db(), &token, SessionKind::Web).await?,
            None => None,
        };
        let viewer = Viewer(member);
        parts.extensions.insert(viewer.clone());
        Ok(viewer)
    }
}

/// A logged-in member, for pages that need one; others are sent to the login page and back.
#[derive(Debug, Clone)]
pub struct SignedIn(pub Member);

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let Viewer(member) = Viewer::from_request_parts(parts, state).await.map_err(IntoResponse::into_response)?;
        match member {
            Some(member) => Ok(SignedIn(member)),
            None => {
                let next = parts.uri.path_and_query().map_or("/", |p| p.as_str());
                let next: String = url::form_urlencoded::byte_serialize(next.as_bytes()).collect();
                Err(Redirect::to(&format!("/login?next={next}")).into_response())
            }
        }
    }
}

/// A logged-in admin, for the admin pages.
#[derive(Debug, Clone)]
pub struct SignedInAdmin(pub Member);

impl FromRequestParts<AppState> for SignedInAdmin {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let SignedIn(member) = SignedIn::from_request_parts(parts, state).await?;
        if member.is_admin() { Ok(SignedInAdmin(member)) } else { Err(AppError::forbidden().into_response()) }
    }
}

/// The API caller: a member when a valid bearer token is given, anonymous when none is; an invalid
/// or expired token is a 401, not a silent downgrade to anonymous.
#[derive(Debug, Clone)]
pub struct ApiCaller(pub Option<Member>);

impl FromRequestParts<AppState> for ApiCaller {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let Some(header) = parts.headers.get(AUTHORIZATION) else {
            return Ok(ApiCaller(None));
        };
        let token = header
            .to_str()
            .ok()
            .and_then(|h| h.strip_prefix("Bearer ").or_else(|| h.strip_prefix("bearer ")))
            .map(str::trim)
            .ok_or_else(AppError::unauthorized)?;
        match accounts::member_for_token(state.db(), token, SessionKind::Api).await? {
            Some(member) => Ok(ApiCaller(Some(member))),
            None => Err(AppError::unauthorized()),
        }
    }
}

/// An API caller that must be a member.
#[derive(Debug, Clone)]
pub struct ApiMember(pub Member);

impl FromRequestParts<AppState> for ApiMember {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        match ApiCaller::from_request_parts(parts, state).await? {
            ApiCaller(Some(member)) => Ok(ApiMember(member)),
            ApiCaller(None) => Err(AppError::unauthorized()),
        }
    }
}

/// An API caller that must be an admin.
#[derive(Debug, Clone)]
pub struct ApiAdmin(pub Member);

impl FromRequestParts<AppState> for ApiAdmin {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let ApiMember(member) = ApiMember::from_request_parts(parts, state).await?;
        if member.is_admin() { Ok(ApiAdmin(member)) } else { Err(AppError::forbidden()) }
    }
}
