//! The administration page of the cooperative itself (`/admin/cooperative`): its logo, which every
//! page's header shows and other servers see as the instance actor's `icon`.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

use super::forms::{Field, FieldMessages};
use super::listings::{NoFields, render};
use super::views::large_logo_url;
use super::{FormAdmin, PageCtx, done};
use crate::error::AppResult;
use crate::http::auth::SignedInAdmin;
use crate::http::csrf::{CsrfForm, CsrfUpload};
use crate::services::images::megabytes;
use crate::services::pictures;
use crate::state::AppState;

/// The field of the logo's form, for its error summary.
const FIELDS: &[Field] = &[Field { name: "photo", input: "logo", label: "logo.file" }];

#[derive(Template)]
#[template(path = "admin/cooperative.html")]
struct CooperativePage {
    ctx: PageCtx,
    logo: Option<String>,
    max_mb: u64,
    errors: FieldMessages,
}

async fn page(state: &AppState, ctx: PageCtx, errors: FieldMessages) -> AppResult<CooperativePage> {
    let logo = pictures::logo(&state.services).await?.map(|logo| large_logo_url(&logo));
    let max_mb = megabytes(state.config().media.image_limits().max_bytes as u64);
    Ok(CooperativePage { ctx, logo, max_mb, errors })
}

pub async fn show(
    State(state): State<AppState>,
    SignedInAdmin(_): SignedInAdmin,
    ctx: PageCtx,
) -> AppResult<Html<String>> {
    render(page(&state, ctx, FieldMessages::default()).await?)
}

pub async fn set_logo(
    State(state): State<AppState>,
    FormAdmin(admin): FormAdmin,
    ctx: PageCtx,
    CsrfUpload(upload): CsrfUpload,
) -> AppResult<Response> {
    let set = match upload.file {
        Ok(file) => pictures::set_logo(&state.services, &admin, Some(file)).await,
        Err(error) => Err(error),
    };
    match set {
        Ok(()) => Ok(done("/admin/cooperative", "logo_saved").into_response()),
        Err(error) if !error.fields.is_empty() => {
            let errors = FieldMessages::new(ctx.t, &error.fields, FIELDS);
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(page(&state, ctx, errors).await?)?).into_response())
        }
        Err(error) => Err(error),
    }
}

pub async fn remove_logo(
    State(state): State<AppState>,
    FormAdmin(admin): FormAdmin,
    CsrfForm(_): CsrfForm<NoFields>,
) -> AppResult<Response> {
    pictures::set_logo(&state.services, &admin, None).await?;
    Ok(done("/admin/cooperative", "logo_removed").into_response())
}
