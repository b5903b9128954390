//! A listing's photos page (`/listings/{id}/photos`), for its author: add a photo with its alt text
//! (a plain form with a file field: no JavaScript needed), describe, reorder and remove them.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::forms::{Field, FieldMessages};
use super::render;
use super::views::ListingView;
use super::{FormAuthor, PageCtx, done};
use crate::domain::listing::Listing;
use crate::domain::photo::{MAX_ALT_CHARS, MAX_PHOTOS};
use crate::error::{AppError, AppResult};
use crate::http::auth::SignedIn;
use crate::http::csrf::{CsrfForm, CsrfUpload};
use crate::http::ids::{ListingPath, PhotoPath};
use crate::services::images::megabytes;
use crate::services::listings;
use crate::services::photos::{self, Move};
use crate::state::AppState;

/// The fields of the upload form, in their order, for the error summary.
const FIELDS: &[Field] = &[
    Field { name: "photo", input: "photo", label: "photos.file" },
    Field { name: "alt", input: "alt", label: "photos.alt" },
];

#[derive(Template)]
#[template(path = "photos.html")]
struct PhotosPage {
    ctx: PageCtx,
    item: ListingView,
    can_add: bool,
    photo_count: usize,
    max_photos: usize,
    max_alt: usize,
    max_mb: u64,
    /// The alt text typed, kept when the upload is refused.
    alt: String,
    errors: FieldMessages,
}

fn page(state: &AppState, ctx: PageCtx, listing: &Listing, alt: String, errors: FieldMessages) -> PhotosPage {
    let item = ListingView::new(ctx.t, listing, None).with_gallery(ctx.t, listing);
    PhotosPage {
        can_add: listing.photos.len() < MAX_PHOTOS,
        photo_count: listing.photos.len(),
        item,
        max_photos: MAX_PHOTOS,
        max_alt: MAX_ALT_CHARS,
        max_mb: megabytes(state.config().media.image_limits().max_bytes as u64),
        alt,
        errors,
        ctx,
    }
}

pub async fn show(
    State(state): State<AppState>,
    SignedIn(member): SignedIn,
    ctx: PageCtx,
    ListingPath(id): ListingPath,
) -> AppResult<Html<String>> {
    let listing = listings::get_for_change(state.db(), &id, &member, false).await?;
    render(page(&state, ctx, &listing, String::new(), FieldMessages::default()))
}

pub async fn add(
    State(state): State<AppState>,
    FormAuthor(member): FormAuthor,
    ctx: PageCtx,
    ListingPath(id): ListingPath,
    CsrfUpload(upload): CsrfUpload,
) -> AppResult<Response> {
    let alt = upload.text("alt").to_owned();
    let added = match upload.file {
        Ok(file) => photos::add(&state.services, &id, &member, file, &alt).await,
        Err(error) => Err(error),
    };
    match added {
        Ok(listing) => Ok(done(&format!("/listings/{}/photos", listing.id), "photo_added").into_response()),
        Err(error) if !error.fields.is_empty() => {
            let listing = listings::get_for_change(state.db(), &id, &member, false).await?;
            let errors = FieldMessages::new(ctx.t, &error.fields, FIELDS);
            let page = page(&state, ctx, &listing, alt, errors);
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(page)?).into_response())
        }
        Err(error) => Err(error),
    }
}

/// What a photo's buttons send: `describe` (with `alt`), `first`, `earlier`, `later`, `remove`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct PhotoAction {
    action: String,
    alt: String,
}

pub async fn act(
    State(state): State<AppState>,
    FormAuthor(member): FormAuthor,
    PhotoPath(id, image): PhotoPath,
    CsrfForm(form): CsrfForm<PhotoAction>,
) -> AppResult<Redirect> {
    let services = &state.services;
    let notice = match form.action.as_str() {
        "describe" => {
            photos::describe(services, &id, &member, &image, &form.alt).await?;
            "photo_described"
        }
        "remove" => {
            photos::remove(services, &id, &member, &image).await?;
            "photo_removed"
        }
        other => {
            let to = Move::parse(other).map_err(AppError::field)?;
            photos::reorder(services, &id, &member, &image, to).await?;
            "photo_moved"
        }
    };
    Ok(done(&format!("/listings/{id}/photos"), notice))
}
