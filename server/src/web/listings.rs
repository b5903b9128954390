//! Listing pages: detail, publish, edit, change status, delete.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::PageCtx;
use super::catalogue::category_choices;
use super::forms::{Choice, FieldMessages, enum_choices};
use super::views::ListingView;
use crate::domain::listing::{ListingInput, ListingStatus, Mode, NumberInput, PriceInput, Purpose, Unit, Visibility};
use crate::error::{AppError, AppResult};
use crate::http::AppState;
use crate::http::auth::SignedIn;
use crate::http::csrf::CsrfForm;
use crate::services::listings;

#[derive(Template)]
#[template(path = "listing.html")]
struct ListingPage {
    ctx: PageCtx,
    item: ListingView,
    can_edit: bool,
    can_remove: bool,
}

pub async fn show(State(state): State<AppState>, ctx: PageCtx, Path(id): Path<String>) -> AppResult<Html<String>> {
    let listing = listings::get(&state.db, &id, ctx.viewer.as_ref()).await?;
    let (can_edit, can_remove) = match &ctx.viewer {
        Some(viewer) => (
            listings::can_edit(&listing, viewer),
            !listings::can_edit(&listing, viewer) && listings::can_delete(&listing, viewer),
        ),
        None => (false, false),
    };
    let item = ListingView::new(ctx.t, &listing, None);
    render(ListingPage { ctx, item, can_edit, can_remove })
}

/// The listing form as submitted: every field as text, so that nothing typed is lost on error.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ListingForm {
    purpose: String,
    mode: String,
    category: String,
    title: String,
    description: String,
    quantity: String,
    unit: String,
    price: String,
    location_name: String,
    latitude: String,
    longitude: String,
    available_from: String,
    available_until: String,
    visibility: String,
}

fn text(value: Option<String>) -> String {
    value.unwrap_or_default()
}

impl ListingForm {
    fn to_input(&self, status: Option<String>) -> ListingInput {
        let number = |value: &str| (!value.trim().is_empty()).then(|| NumberInput::Text(value.to_owned()));
        ListingInput {
            purpose: self.purpose.clone(),
            mode: self.mode.clone(),
            category: self.category.clone(),
            title: self.title.clone(),
            description: self.description.clone(),
            quantity: number(&self.quantity),
            unit: Some(self.unit.clone()),
            price: (!self.price.trim().is_empty()).then(|| PriceInput::Euros(self.price.clone())),
            location_name: Some(self.location_name.clone()),
            latitude: number(&self.latitude),
            longitude: number(&self.longitude),
            available_from: Some(self.available_from.clone()),
            available_until: Some(self.available_until.clone()),
            status,
            visibility: Some(self.visibility.clone()),
        }
    }

    fn from_input(input: &ListingInput) -> Self {
        let number = |value: &Option<NumberInput>| match value {
            Some(NumberInput::Number(n)) => n.to_string(),
            Some(NumberInput::Text(t)) => t.clone(),
            None => String::new(),
        };
        Self {
            purpose: input.purpose.clone(),
            mode: input.mode.clone(),
            category: input.category.clone(),
            title: input.title.clone(),
            description: input.description.clone(),
            quantity: number(&input.quantity),
            unit: text(input.unit.clone()),
            price: match &input.price {
                Some(PriceInput::Cents(c)) => format!("{}.{:02}", c / 100, c % 100),
                Some(PriceInput::Euros(e)) => e.clone(),
                None => String::new(),
            },
            location_name: text(input.location_name.clone()),
            latitude: number(&input.latitude),
            longitude: number(&input.longitude),
            available_from: text(input.available_from.clone()),
            available_until: text(input.available_until.clone()),
            visibility: text(input.visibility.clone()),
        }
    }
}

#[derive(Template)]
#[template(path = "listing_form.html")]
struct ListingFormPage {
    ctx: PageCtx,
    title: &'static str,
    action: String,
    form: ListingForm,
    errors: FieldMessages,
    purposes: Vec<Choice>,
    modes: Vec<Choice>,
    categories: Vec<Choice>,
    units: Vec<Choice>,
    visibilities: Vec<Choice>,
}

fn form_page(
    ctx: PageCtx,
    title_key: &str,
    action: String,
    form: ListingForm,
    errors: FieldMessages,
) -> ListingFormPage {
    let t = ctx.t;
    let names = |values: &[&'static str]| values.to_vec();
    ListingFormPage {
        title: t.t(title_key),
        action,
        purposes: enum_choices(
            t,
            "purpose",
            &names(&Purpose::ALL.iter().map(|p| p.as_str()).collect::<Vec<_>>()),
            &form.purpose,
        ),
        modes: enum_choices(t, "mode", &Mode::ALL.iter().map(|m| m.as_str()).collect::<Vec<_>>(), &form.mode),
        categories: category_choices(t.code(), Some(&form.category)),
        units: enum_choices(t, "unit", &Unit::ALL.iter().map(|u| u.as_str()).collect::<Vec<_>>(), &form.unit),
        visibilities: enum_choices(
            t,
            "visibility",
            &Visibility::ALL.iter().map(|v| v.as_str()).collect::<Vec<_>>(),
            &form.visibility,
        ),
        ctx,
        form,
        errors,
    }
}

pub async fn new_form(SignedIn(_): SignedIn, ctx: PageCtx) -> AppResult<Html<String>> {
    let form = ListingForm {
        purpose: "offer".to_owned(),
        mode: "lend".to_owned(),
        unit: "piece".to_owned(),
        quantity: "1".to_owned(),
        visibility: "public".to_owned(),
        ..ListingForm::default()
    };
    render(form_page(ctx, "listing_form.new_title", "/listings".to_owned(), form, FieldMessages::default()))
}

pub async fn create(
    State(state): State<AppState>,
    SignedIn(member): SignedIn,
    ctx: PageCtx,
    CsrfForm(form): CsrfForm<ListingForm>,
) -> AppResult<Response> {
    match listings::create(&state.db, &member, &form.to_input(None)).await {
        Ok(listing) => Ok(Redirect::to(&format!("/listings/{}", listing.id)).into_response()),
        Err(error) if !error.fields.is_empty() => {
            let errors = FieldMessages::new(ctx.t, &error.fields);
            let page = form_page(ctx, "listing_form.new_title", "/listings".to_owned(), form, errors);
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(page)?).into_response())
        }
        Err(error) => Err(error),
    }
}

pub async fn edit_form(
    State(state): State<AppState>,
    SignedIn(member): SignedIn,
    ctx: PageCtx,
    Path(id): Path<String>,
) -> AppResult<Html<String>> {
    let listing = listings::get(&state.db, &id, Some(&member)).await?;
    if !listings::can_edit(&listing, &member) {
        return Err(AppError::forbidden());
    }
    let form = ListingForm::from_input(&listing.to_input());
    render(form_page(ctx, "listing_form.edit_title", format!("/listings/{id}/edit"), form, FieldMessages::default()))
}

pub async fn update(
    State(state): State<AppState>,
    SignedIn(member): SignedIn,
    ctx: PageCtx,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<ListingForm>,
) -> AppResult<Response> {
    let listing = listings::get(&state.db, &id, Some(&member)).await?;
    // The edit form does not show the status; keep the current one.
    let status = Some(listing.content.status.as_str().to_owned());
    match listings::update(&state.db, &id, &member, &form.to_input(status)).await {
        Ok(listing) => Ok(Redirect::to(&format!("/listings/{}", listing.id)).into_response()),
        Err(error) if !error.fields.is_empty() => {
            let errors = FieldMessages::new(ctx.t, &error.fields);
            let page = form_page(ctx, "listing_form.edit_title", format!("/listings/{id}/edit"), form, errors);
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(page)?).into_response())
        }
        Err(error) => Err(error),
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct StatusForm {
    status: String,
}

pub async fn set_status(
    State(state): State<AppState>,
    SignedIn(member): SignedIn,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<StatusForm>,
) -> AppResult<Redirect> {
    let status = ListingStatus::parse(&form.status).map_err(AppError::field)?;
    listings::set_status(&state.db, &id, &member, status).await?;
    Ok(Redirect::to(&format!("/listings/{id}")))
}

#[derive(Debug, Default, Deserialize)]
pub struct NoFields {}

pub async fn delete(
    State(state): State<AppState>,
    SignedIn(member): SignedIn,
    Path(id): Path<String>,
    CsrfForm(_): CsrfForm<NoFields>,
) -> AppResult<Redirect> {
    let listing = listings::get(&state.db, &id, Some(&member)).await?;
    listings::delete(&state.db, &id, &member).await?;
    if listing.author.id == member.id {
        Ok(Redirect::to(&format!("/members/{}", member.username)))
    } else {
        Ok(Redirect::to("/admin/listings"))
    }
}

pub fn render(template: impl Template) -> AppResult<Html<String>> {
    template.render().map(Html).map_err(AppError::internal)
}
