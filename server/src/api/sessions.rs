//! API tokens: `POST /sessions` logs in and returns a bearer token, `DELETE /sessions/current` ends
//! the session of the token used.

use axum::extract::{FromRequestParts, State};
use axum::http::StatusCode;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::json::ApiJson;
use super::views::{Links, MemberJson, SessionJson};
use crate::domain::FieldError;
use crate::domain::message::FieldErrors;
use crate::error::{AppError, AppResult};
use crate::http::auth::ApiMember;
use crate::http::limits::ClientIp;
use crate::services::accounts;
use crate::state::AppState;
use crate::storage::sessions::SessionKind;

#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LoginBody {
    username: Option<String>,
    password: Option<String>,
}

fn required(field: &'static str, value: &Option<String>) -> Result<String, FieldError> {
    match value.as_deref() {
        Some(v) if !v.trim().is_empty() => Ok(v.to_owned()),
        _ => Err(FieldError::new(field, "error.required")),
    }
}

/// Checks the credentials and opens an API session; the answer carries the token, once.
pub async fn create(
    State(state): State<AppState>,
    ClientIp(client): ClientIp,
    ApiJson(body): ApiJson<LoginBody>,
) -> AppResult<Response> {
    let mut errors = FieldErrors::default();
    let username = errors.take(required("username", &body.username));
    let password = errors.take(required("password", &body.password));
    let (Some(username), Some(password)) = (username, password) else {
        return Err(AppError::validation(errors.0));
    };
    let member = accounts::log_in(state.db(), &state.limits, client, &username, &password).await?;
    let token = accounts::open_session(state.db(), &member, SessionKind::Api).await?;
    tracing::info!(member.username = %member.username, "API session opened");
    let json = SessionJson { token, member: MemberJson::new(&Links::new(state.config()), &member) };
    Ok((StatusCode::CREATED, axum::Json(json)).into_response())
}

/// A valid bearer token and its member: what closing the current session needs.
#[derive(Debug)]
pub struct CurrentSession {
    token: String,
}

impl FromRequestParts<AppState> for CurrentSession {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        // Checks the token (401 when missing, malformed, unknown or expired).
        ApiMember::from_request_parts(parts, state).await?;
        let token = parts
            .headers
            .get(AUTHORIZATION)
            .and_then(|h| h.to_str().ok())
            .and_then(|h| h.strip_prefix("Bearer ").or_else(|| h.strip_prefix("bearer ")))
            .map(str::trim)
            .ok_or_else(AppError::unauthorized)?;
        Ok(Self { token: token.to_owned() })
    }
}

pub async fn close(State(state): State<AppState>, session: CurrentSession) -> AppResult<StatusCode> {
    accounts::close_session(state.db(), &session.token).await?;
    Ok(StatusCode::NO_CONTENT)
}
