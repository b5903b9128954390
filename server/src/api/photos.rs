//! A listing's photos: add one (`multipart/form-data`, fields `photo` and `alt`), change its alt
//! text or place, remove it. Each answers with the listing as it now is.

use axum::Json;
use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::json::ApiJson;
use super::views::{Links, ListingJson};
use crate::error::{AppError, AppResult};
use crate::http::auth::ApiMember;
use crate::http::ids::{ListingPath, PhotoPath};
use crate::i18n::Tr;
use crate::services::photos::{self, Move};
use crate::state::AppState;

pub async fn add(
    State(state): State<AppState>,
    ApiMember(member): ApiMember,
    t: Tr,
    ListingPath(id): ListingPath,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> AppResult<Response> {
    let upload = super::pictures::read_upload(&state, multipart).await?;
    let alt = upload.text("alt").to_owned();
    let listing = photos::add(&state.services, &id, &member, upload.file?, &alt).await?;
    let json = ListingJson::new(&Links::new(state.config()), t, &listing, None);
    Ok((StatusCode::CREATED, Json(json)).into_response())
}

/// What `PATCH …/photos/{photo}` may change.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PhotoPatch {
    alt: Option<String>,
    /// `first` (the cover), `earlier` or `later`.
    #[serde(rename = "move")]
    to: Option<String>,
}

pub async fn update(
    State(state): State<AppState>,
    ApiMember(member): ApiMember,
    t: Tr,
    PhotoPath(id, image): PhotoPath,
    ApiJson(patch): ApiJson<PhotoPatch>,
) -> AppResult<Json<ListingJson>> {
    // Both are checked before either is done.
    let to = patch.to.as_deref().map(Move::parse).transpose().map_err(AppError::field)?;
    if let Some(alt) = &patch.alt {
        crate::domain::photo::AltText::parse(alt).map_err(AppError::field)?;
    }
    let mut listing = None;
    if let Some(alt) = &patch.alt {
        listing = Some(photos::describe(&state.services, &id, &member, &image, alt).await?);
    }
    if let Some(to) = to {
        listing = Some(photos::reorder(&state.services, &id, &member, &image, to).await?);
    }
    let listing = match listing {
        Some(listing) => listing,
        None => crate::services::listings::get(state.db(), &id, Some(&member)).await?,
    };
    Ok(Json(ListingJson::new(&Links::new(state.config()), t, &listing, None)))
}

pub async fn remove(
    State(state): State<AppState>,
    ApiMember(member): ApiMember,
    t: Tr,
    PhotoPath(id, image): PhotoPath,
) -> AppResult<Json<ListingJson>> {
    let listing = photos::remove(&state.services, &id, &member, &image).await?;
    Ok(Json(ListingJson::new(&Links::new(state.config()), t, &listing, None)))
}
