//! The administration page of the cooperative itself (`/admin/cooperative`): its presentation and
//! colour, which its front page shows, and its logo, which every page's header shows and other
//! servers see as the instance actor's `icon`.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;

use super::forms::NoFields;
use super::forms::{Field, FieldMessages};
use super::render;
use super::views::{large_logo_url, number};
use super::{FormAdmin, PageCtx, done};
use crate::domain::cooperative::{Accent, Presentation, Rgb};
use crate::error::{AppError, AppResult};
use crate::http::auth::SignedInAdmin;
use crate::http::csrf::{CsrfForm, CsrfUpload};
use crate::services::images::megabytes;
use crate::services::{cooperative, pictures};
use crate::state::AppState;

/// The fields of the presentation's form, for its error summary.
const FIELDS: &[Field] = &[
    Field { name: "presentation", input: "presentation", label: "cooperative.presentation" },
    Field { name: "accent", input: "accent-forest", label: "cooperative.accent" },
];
/// The field of the logo's form.
const LOGO_FIELDS: &[Field] = &[Field { name: "photo", input: "logo", label: "logo.file" }];

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct PresentationForm {
    presentation: String,
    accent: String,
}

/// One colour of the palette as the form offers it.
struct Swatch {
    value: &'static str,
    label: &'static str,
    /// Its contrast with the white text of buttons, as the hint shows it (« 6,3 »).
    contrast: String,
    checked: bool,
}

#[derive(Template)]
#[template(path = "admin/cooperative.html")]
struct CooperativePage {
    ctx: PageCtx,
    form: PresentationForm,
    swatches: Vec<Swatch>,
    max_chars: usize,
    errors: FieldMessages,
    logo: Option<String>,
    max_mb: u64,
    logo_errors: FieldMessages,
}

/// The page with `form` as it is filled in (the stored values when `None`).
async fn page(
    state: &AppState,
    ctx: PageCtx,
    form: Option<PresentationForm>,
    errors: FieldMessages,
    logo_errors: FieldMessages,
) -> AppResult<CooperativePage> {
    let presented = cooperative::presented(&state.services).await?;
    let stored = &presented.cooperative;
    let form = form.unwrap_or_else(|| PresentationForm {
        presentation: stored.presentation.as_str().to_owned(),
        accent: stored.accent.as_str().to_owned(),
    });
    let t = ctx.t;
    let swatches = Accent::ALL
        .iter()
        .map(|accent| Swatch {
            value: accent.as_str(),
            label: t.t(&format!("accent.{accent}")),
            contrast: number(t, accent.rgb().contrast(Rgb::WHITE), 1),
            checked: form.accent.trim() == accent.as_str(),
        })
        .collect();
    Ok(CooperativePage {
        logo: stored.logo.as_ref().map(large_logo_url),
        max_mb: megabytes(state.config().media.image_limits().max_bytes as u64),
        max_chars: Presentation::MAX_CHARS,
        ctx,
        form,
        swatches,
        errors,
        logo_errors,
    })
}

pub async fn show(
    State(state): State<AppState>,
    SignedInAdmin(_): SignedInAdmin,
    ctx: PageCtx,
) -> AppResult<Html<String>> {
    render(page(&state, ctx, None, FieldMessages::default(), FieldMessages::default()).await?)
}

/// Shows the page again, 422, with what the refused form said.
async fn refused(
    state: &AppState,
    ctx: PageCtx,
    error: AppError,
    form: Option<PresentationForm>,
    logo: bool,
) -> AppResult<Response> {
    let (fields, logo_fields) = if logo { (&[][..], &error.fields[..]) } else { (&error.fields[..], &[][..]) };
    let errors = FieldMessages::new(ctx.t, fields, FIELDS);
    let logo_errors = FieldMessages::new(ctx.t, logo_fields, LOGO_FIELDS);
    Ok((StatusCode::UNPROCESSABLE_ENTITY, render(page(state, ctx, form, errors, logo_errors).await?)?).into_response())
}

pub async fn save_presentation(
    State(state): State<AppState>,
    FormAdmin(admin): FormAdmin,
    ctx: PageCtx,
    CsrfForm(form): CsrfForm<PresentationForm>,
) -> AppResult<Response> {
    match cooperative::set_presentation(&state.services, &admin, &form.presentation, &form.accent).await {
        Ok(()) => Ok(done("/admin/cooperative", "presentation_saved").into_response()),
        Err(error) if !error.fields.is_empty() => refused(&state, ctx, error, Some(form), false).await,
        Err(error) => Err(error),
    }
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
        Err(error) if !error.fields.is_empty() => refused(&state, ctx, error, None, true).await,
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
