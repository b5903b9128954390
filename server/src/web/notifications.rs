//! A member's notifications page (`/members/{name}/notifications`): the address their emails go
//! to, whether they want them, and the secret address of their calendar of loans and bookings; and
//! that calendar (`/calendar/SECRET.ics`, for a phone's calendar to read without logging in).

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;

use super::forms::{Field, FieldMessages};
use super::render;
use super::{FormAuthor, PageCtx, done};
use crate::domain::member::Member;
use crate::error::{AppError, AppResult};
use crate::http::auth::SignedIn;
use crate::http::csrf::CsrfForm;
use crate::services::calendar;
use crate::services::notifications::{self, Settings};
use crate::state::AppState;

const FIELDS: &[Field] = &[Field { name: "email", input: "email", label: "notifications.email" }];

#[derive(Template)]
#[template(path = "notifications.html")]
struct NotificationsPage {
    ctx: PageCtx,
    username: String,
    settings: Settings,
    errors: FieldMessages,
}

/// Only the member's own page.
fn own(member: &Member, username: &str) -> AppResult<()> {
    if member.username.as_str() == username { Ok(()) } else { Err(AppError::forbidden()) }
}

pub async fn show(
    State(state): State<AppState>,
    SignedIn(member): SignedIn,
    ctx: PageCtx,
    Path(username): Path<String>,
) -> AppResult<Html<String>> {
    own(&member, &username)?;
    let settings = notifications::settings(&state.services, &member.id).await?;
    render(NotificationsPage { ctx, username, settings, errors: FieldMessages::default() })
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct SettingsForm {
    email: String,
    /// A checkbox: present when ticked.
    notify: Option<String>,
}

pub async fn save(
    State(state): State<AppState>,
    FormAuthor(member): FormAuthor,
    ctx: PageCtx,
    Path(username): Path<String>,
    CsrfForm(form): CsrfForm<SettingsForm>,
) -> AppResult<Response> {
    own(&member, &username)?;
    let notify = form.notify.is_some();
    match notifications::save_settings(&state.services, &member.id, &form.email, notify).await {
        Ok(()) => Ok(done(&format!("/members/{username}/notifications"), "notifications_saved").into_response()),
        Err(error) if !error.fields.is_empty() => {
            let mut settings = notifications::settings(&state.services, &member.id).await?;
            settings.email = form.email.clone();
            settings.notify_by_email = notify;
            let errors = FieldMessages::new(ctx.t, &error.fields, FIELDS);
            let page = NotificationsPage { ctx, username, settings, errors };
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(page)?).into_response())
        }
        Err(error) => Err(error),
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct CalendarForm {
    /// `renew` (a new secret address) or `remove`.
    action: String,
}

pub async fn calendar_action(
    State(state): State<AppState>,
    FormAuthor(member): FormAuthor,
    Path(username): Path<String>,
    CsrfForm(form): CsrfForm<CalendarForm>,
) -> AppResult<Response> {
    own(&member, &username)?;
    let notice = match form.action.as_str() {
        "renew" => {
            notifications::renew_calendar(&state.services, &member.id).await?;
            "calendar_made"
        }
        "remove" => {
            notifications::remove_calendar(&state.services, &member.id).await?;
            "calendar_removed"
        }
        _ => return Err(AppError::bad_request("error.bad_request")),
    };
    Ok(done(&format!("/members/{username}/notifications"), notice).into_response())
}

/// The calendar feed: `SECRET.ics`.
pub async fn feed(State(state): State<AppState>, Path(file): Path<String>) -> AppResult<Response> {
    let token = file.strip_suffix(".ics").ok_or_else(AppError::not_found)?;
    let body = calendar::feed(&state.services, token).await?;
    Ok((
        [(header::CONTENT_TYPE, "text/calendar; charset=utf-8"), (header::CACHE_CONTROL, "private, max-age=300")],
        body,
    )
        .into_response())
}
