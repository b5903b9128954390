//! Pictures and presentation through the API: a member's own avatar (`PUT`/`DELETE /me/avatar`),
//! the cooperative as its front page presents it (`GET /cooperative`), and, for administrators, its
//! presentation and colour (`PUT /admin/cooperative`) and its logo (`PUT`/`DELETE
//! /admin/cooperative/logo`). Pictures are sent as `multipart/form-data` with the file in `photo`,
//! like a listing's photos.

use axum::Json;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};

use super::json::ApiJson;
use super::views::{Links, MemberJson, PictureJson};
use crate::domain::photo::LOGO_WIDTHS;
use crate::error::{AppError, AppResult};
use crate::http::auth::{ApiAdmin, ApiMember};
use crate::http::upload;
use crate::services::{cooperative, pictures};
use crate::state::AppState;

/// An upload's `multipart/form-data` body as read; 415 when the body is no such form.
pub(super) async fn read_upload(
    state: &AppState,
    multipart: Result<Multipart, MultipartRejection>,
) -> AppResult<upload::Upload> {
    let multipart = multipart.map_err(|_| {
        AppError::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type", "error.multipart_expected")
    })?;
    upload::read(multipart, &state.config().media).await
}

/// The file of an upload.
async fn file_of(state: &AppState, multipart: Result<Multipart, MultipartRejection>) -> AppResult<Vec<u8>> {
    read_upload(state, multipart).await?.file
}

pub async fn set_avatar(
    State(state): State<AppState>,
    ApiMember(mut member): ApiMember,
    multipart: Result<Multipart, MultipartRejection>,
) -> AppResult<Json<MemberJson>> {
    let file = file_of(&state, multipart).await?;
    member.avatar = pictures::set_avatar(&state.services, &member, Some(file)).await?;
    Ok(Json(MemberJson::new(&Links::new(state.config()), &member)))
}

pub async fn remove_avatar(
    State(state): State<AppState>,
    ApiMember(mut member): ApiMember,
) -> AppResult<Json<MemberJson>> {
    member.avatar = pictures::set_avatar(&state.services, &member, None).await?;
    Ok(Json(MemberJson::new(&Links::new(state.config()), &member)))
}

/// The cooperative as its front page presents it.
#[derive(Debug, Serialize)]
pub struct CooperativeJson {
    name: String,
    /// The configuration's short description.
    description: String,
    /// As the administrators wrote it (Markdown-like text); empty when none.
    presentation: String,
    /// The same as the front page shows it: sanitised HTML.
    presentation_html: String,
    accent: &'static str,
    /// The logo at each width it is served at, when there is one.
    logo: Option<PictureJson>,
    /// The front page.
    url: String,
}

async fn cooperative_json(state: &AppState) -> AppResult<Json<CooperativeJson>> {
    let presented = cooperative::presented(&state.services).await?;
    let links = Links::new(state.config());
    let c = &presented.cooperative;
    Ok(Json(CooperativeJson {
        name: state.config().instance.name.clone(),
        description: state.config().instance.description.clone(),
        presentation: c.presentation.as_str().to_owned(),
        presentation_html: presented.presentation_html.clone(),
        accent: c.accent.as_str(),
        logo: c.logo.as_ref().map(|logo| PictureJson::new(&links, logo, &LOGO_WIDTHS)),
        url: links.page(""),
    }))
}

pub async fn get(State(state): State<AppState>) -> AppResult<Json<CooperativeJson>> {
    cooperative_json(&state).await
}

/// What `PUT /admin/cooperative` sets: both, so that a client says what it means.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CooperativeBody {
    pub presentation: String,
    pub accent: String,
}

pub async fn set_presentation(
    State(state): State<AppState>,
    ApiAdmin(admin): ApiAdmin,
    ApiJson(body): ApiJson<CooperativeBody>,
) -> AppResult<Json<CooperativeJson>> {
    cooperative::set_presentation(&state.services, &admin, &body.presentation, &body.accent).await?;
    cooperative_json(&state).await
}

pub async fn set_logo(
    State(state): State<AppState>,
    ApiAdmin(admin): ApiAdmin,
    multipart: Result<Multipart, MultipartRejection>,
) -> AppResult<Json<CooperativeJson>> {
    let file = file_of(&state, multipart).await?;
    pictures::set_logo(&state.services, &admin, Some(file)).await?;
    cooperative_json(&state).await
}

pub async fn remove_logo(State(state): State<AppState>, ApiAdmin(admin): ApiAdmin) -> AppResult<Json<CooperativeJson>> {
    pictures::set_logo(&state.services, &admin, None).await?;
    cooperative_json(&state).await
}
