//! A member's notifications in the API: the address their emails go to and whether they want them,
//! and the secret address of their calendar of loans and bookings.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use super::json::ApiJson;
use crate::error::AppResult;
use crate::http::auth::ApiMember;
use crate::services::notifications::{self, Settings};
use crate::state::AppState;

#[derive(Debug, Serialize)]
pub struct NotificationsJson {
    /// Their address, never shown to anyone; `null` when none.
    pub email: Option<String>,
    pub notify_by_email: bool,
    /// Whether this instance sends email at all.
    pub email_available: bool,
    /// The secret address of their calendar (iCalendar), when they made one.
    pub calendar_url: Option<String>,
}

impl NotificationsJson {
    fn new(settings: Settings) -> Self {
        Self {
            email: Some(settings.email).filter(|e| !e.is_empty()),
            notify_by_email: settings.notify_by_email,
            email_available: settings.email_available,
            calendar_url: settings.calendar_url,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotificationsBody {
    /// `null` or `""`: no address.
    email: Option<String>,
    notify_by_email: bool,
}

pub async fn get(State(state): State<AppState>, ApiMember(member): ApiMember) -> AppResult<Json<NotificationsJson>> {
    Ok(Json(NotificationsJson::new(notifications::settings(&state.services, &member.id).await?)))
}

pub async fn put(
    State(state): State<AppState>,
    ApiMember(member): ApiMember,
    ApiJson(body): ApiJson<NotificationsBody>,
) -> AppResult<Json<NotificationsJson>> {
    let email = body.email.unwrap_or_default();
    notifications::save_settings(&state.services, &member.id, &email, body.notify_by_email).await?;
    Ok(Json(NotificationsJson::new(notifications::settings(&state.services, &member.id).await?)))
}

#[derive(Debug, Serialize)]
pub struct CalendarJson {
    pub calendar_url: String,
}

/// A new secret address for the calendar (the old one stops working).
pub async fn renew_calendar(State(state): State<AppState>, ApiMember(member): ApiMember) -> AppResult<Response> {
    let calendar_url = notifications::renew_calendar(&state.services, &member.id).await?;
    Ok((StatusCode::CREATED, Json(CalendarJson { calendar_url })).into_response())
}

pub async fn remove_calendar(State(state): State<AppState>, ApiMember(member): ApiMember) -> AppResult<StatusCode> {
    notifications::remove_calendar(&state.services, &member.id).await?;
    Ok(StatusCode::NO_CONTENT)
}
