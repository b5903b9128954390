//! Exchanges on the web: « Mes échanges », proposing one from a listing (terms, or a question
//! first), and an exchange's page — where it stands, its conversation, and the moves its viewer may
//! make now, each a plain form (no JavaScript needed). Only the two parties see an exchange.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;

use super::exchange_views::{ExchangeRow, ExchangeView as ExchangeDetail, TermsForm};
use super::forms::{Field, FieldMessages};
use super::render;
use super::views::ListingView;
use super::{FormAuthor, PageCtx, done};
use crate::domain::exchange::{Life, TermsInput};
use crate::domain::ids::ExchangeId;
use crate::domain::listing::Listing;
use crate::error::{AppError, AppResult};
use crate::http::auth::SignedIn;
use crate::http::csrf::CsrfForm;
use crate::http::ids::ListingPath;
use crate::services::exchanges::{self, MoveInput, StartInput};
use crate::services::{listings, parties};
use crate::state::AppState;
use crate::storage::exchanges::Which;

/// The fields of the terms and message forms, in their order, for the error summary.
const FIELDS: &[Field] = &[
    Field { name: "quantity", input: "quantity", label: "exchange.quantity" },
    Field { name: "from", input: "from", label: "exchange.from" },
    Field { name: "until", input: "until", label: "exchange.until" },
    Field { name: "at", input: "at", label: "exchange.at" },
    Field { name: "in_return", input: "in_return", label: "exchange.in_return" },
    Field { name: "reason", input: "reason", label: "exchange.reason" },
    Field { name: "message", input: "message", label: "exchange.message" },
    Field { name: "body", input: "body", label: "exchange.message" },
];

#[derive(Template)]
#[template(path = "exchanges.html")]
struct ExchangesPage {
    ctx: PageCtx,
    sections: Vec<Section>,
    empty: bool,
    /// The finished exchanges' page, and the links to the pages before and after it.
    finished_page: i64,
    older: Option<String>,
    newer: Option<String>,
}

/// A part of « Mes échanges »: its heading's key, its id, its exchanges.
struct Section {
    key: &'static str,
    id: &'static str,
    rows: Vec<ExchangeRow>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ListParams {
    /// The page of finished exchanges (1 and up).
    finished: String,
}

/// « Mes échanges »: what waits for the member, overdue loans, what is under way (all of them), what
/// is over (a page at a time).
pub async fn list(
    State(state): State<AppState>,
    SignedIn(member): SignedIn,
    ctx: PageCtx,
    axum::extract::Query(params): axum::extract::Query<ListParams>,
) -> AppResult<Html<String>> {
    let finished_page = params.finished.trim().parse::<i64>().ok().filter(|p| (1..=10_000).contains(p)).unwrap_or(1);
    let (active, _) = exchanges::of_member(&state.services, &member, Which::Active, 1, exchanges::ACTIVE_LIMIT).await?;
    let (finished, more) =
        exchanges::of_member(&state.services, &member, Which::Finished, finished_page, exchanges::FINISHED_PER_PAGE)
            .await?;
    let mut sections: Vec<Section> = [
        ("exchange.to_answer", "to-answer"),
        ("exchange.overdue", "overdue"),
        ("exchange.in_progress", "in-progress"),
        ("exchange.finished", "finished"),
    ]
    .into_iter()
    .map(|(key, id)| Section { key, id, rows: Vec::new() })
    .collect();
    let records: Vec<_> = active.iter().chain(&finished).map(|v| &v.record).collect();
    let names = parties::names(&state.services, &records).await?;
    for view in active.iter().chain(&finished) {
        let other = exchanges::other(&view.record, view.side);
        let other = names.get(&other.actor).map_or(other.actor.as_str(), |n| n.name.as_str());
        let section = if view.record.exchange.state.is_finished() {
            3
        } else if view.overdue {
            1
        } else if view.awaits_me {
            0
        } else {
            2
        };
        sections[section].rows.push(ExchangeRow::new(ctx.t, view, other));
    }
    render(ExchangesPage {
        ctx,
        empty: active.is_empty() && finished.is_empty() && finished_page == 1,
        sections,
        finished_page,
        older: more.then(|| format!("/exchanges?finished={}#finished", finished_page + 1)),
        newer: (finished_page > 1).then(|| format!("/exchanges?finished={}#finished", finished_page - 1)),
    })
}

#[derive(Template)]
#[template(path = "exchange_start.html")]
struct StartPage {
    ctx: PageCtx,
    item: ListingView,
    /// `loan`, `transfer` or `service`: which fields the terms take.
    life: &'static str,
    /// What the terms are about, for this life.
    terms_hint: &'static str,
    /// The listing's mode (`swap` asks what is offered in return, `sell` a pickup date).
    mode: &'static str,
    /// The unit the quantity is counted in, written out.
    unit: String,
    /// Whether the listing says how many there are (then the quantity is asked).
    has_quantity: bool,
    form: TermsForm,
    message: String,
    errors: FieldMessages,
}

fn life_name(life: Life) -> &'static str {
    match life {
        Life::Loan => "loan",
        Life::Transfer => "transfer",
        Life::Service => "service",
    }
}

fn start_page(ctx: PageCtx, listing: &Listing, form: TermsForm, message: String, errors: FieldMessages) -> StartPage {
    let content = &listing.content;
    StartPage {
        item: ListingView::new(ctx.t, listing, None),
        life: life_name(Life::of(content.mode)),
        terms_hint: ctx.t.t(&format!("exchange.terms_hint.{}", life_name(Life::of(content.mode)))),
        mode: content.mode.as_str(),
        unit: ctx.t.t(&format!("unit.{}", content.unit)).to_owned(),
        has_quantity: content.quantity.is_some() || content.mode == crate::domain::listing::Mode::Service,
        form,
        message,
        errors,
        ctx,
    }
}

/// The form that proposes an exchange on a listing.
pub async fn start_form(
    State(state): State<AppState>,
    SignedIn(member): SignedIn,
    ctx: PageCtx,
    ListingPath(id): ListingPath,
) -> AppResult<Html<String>> {
    let listing = listings::get(state.db(), &id, Some(&member)).await?;
    if listing.author.is(&member.id) {
        return Err(AppError::conflict("error.exchange_own_listing"));
    }
    let form = TermsForm { quantity: String::new(), ..TermsForm::default() };
    render(start_page(ctx, &listing, form, String::new(), FieldMessages::default()))
}

/// What the start form sends: terms and a message, or (`intent=question`) a message alone.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct StartForm {
    intent: String,
    quantity: String,
    from: String,
    until: String,
    at: String,
    in_return: String,
    message: String,
}

impl StartForm {
    fn terms(&self) -> TermsForm {
        TermsForm {
            quantity: self.quantity.clone(),
            from: self.from.clone(),
            until: self.until.clone(),
            at: self.at.clone(),
            in_return: self.in_return.clone(),
        }
    }
}

pub async fn start(
    State(state): State<AppState>,
    FormAuthor(member): FormAuthor,
    ctx: PageCtx,
    ListingPath(id): ListingPath,
    CsrfForm(form): CsrfForm<StartForm>,
) -> AppResult<Response> {
    let terms = (form.intent != "question").then(|| form.terms().input());
    let input = StartInput { terms, message: form.message.clone() };
    match exchanges::start(&state.services, &member, &id, &input).await {
        Ok(view) => Ok(done(&format!("/exchanges/{}", view.record.id), "exchange_started").into_response()),
        Err(error) if !error.fields.is_empty() => {
            let listing = listings::get(state.db(), &id, Some(&member)).await?;
            let errors = FieldMessages::new(ctx.t, &error.fields, FIELDS);
            let page = start_page(ctx, &listing, form.terms(), form.message.clone(), errors);
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(page)?).into_response())
        }
        Err(error) => Err(error),
    }
}

#[derive(Template)]
#[template(path = "exchange.html")]
struct ExchangePage {
    ctx: PageCtx,
    ex: ExchangeDetail,
    /// What a refused move said, above the moves (the state it was refused in is on the page).
    problem: Option<String>,
    /// The move whose form was sent with errors: its part of the page is open.
    open: String,
    /// The terms form, filled with the current terms or what was typed, and what it asks
    /// (`exchange_terms.html`): see [`StartPage`].
    form: TermsForm,
    life: &'static str,
    mode: &'static str,
    unit: String,
    has_quantity: bool,
    reason: String,
    until: String,
    body: String,
    errors: FieldMessages,
}

/// The form values a page shows again after a refusal, and what it says about it.
#[derive(Default)]
struct Retry {
    problem: Option<String>,
    open: String,
    form: Option<TermsForm>,
    reason: String,
    until: String,
    body: String,
    errors: FieldMessages,
}

async fn exchange_page(
    state: &AppState,
    ctx: PageCtx,
    member: &crate::domain::member::Member,
    id: &ExchangeId,
    retry: Retry,
) -> AppResult<ExchangePage> {
    let (view, entries) = exchanges::get(&state.services, member, id).await?;
    let (provider, receiver) = parties::party_names(&state.services, &view.record).await?;
    let ex = ExchangeDetail::new(ctx.t, &view, &entries, &provider, &receiver);
    let form = retry.form.unwrap_or_else(|| TermsForm::of(ctx.t, view.record.exchange.terms.as_ref()));
    Ok(ExchangePage {
        life: ex.life,
        mode: ex.mode,
        unit: ex.unit.clone(),
        has_quantity: ex.has_quantity,
        ex,
        problem: retry.problem,
        open: retry.open,
        form,
        reason: retry.reason,
        until: retry.until,
        body: retry.body,
        errors: retry.errors,
        ctx,
    })
}

/// An exchange's page, for its parties (404 for anyone else).
pub async fn show(
    State(state): State<AppState>,
    SignedIn(member): SignedIn,
    ctx: PageCtx,
    Path(id): Path<String>,
) -> AppResult<Html<String>> {
    let id = ExchangeId::parse(&id).ok_or_else(AppError::not_found)?;
    render(exchange_page(&state, ctx, &member, &id, Retry::default()).await?)
}

/// What a move's form sends: terms (propose, counter), a reason (refuse, cancel), a due date (renew).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct MoveForm {
    quantity: String,
    from: String,
    until: String,
    at: String,
    in_return: String,
    reason: String,
    /// A renewal's new due date (`until` is the terms' due date).
    renew_until: String,
}

impl MoveForm {
    fn terms(&self) -> TermsForm {
        TermsForm {
            quantity: self.quantity.clone(),
            from: self.from.clone(),
            until: self.until.clone(),
            at: self.at.clone(),
            in_return: self.in_return.clone(),
        }
    }
}

/// A move on an exchange; refused moves show the page again with what was wrong, nothing changed.
pub async fn act(
    State(state): State<AppState>,
    FormAuthor(member): FormAuthor,
    ctx: PageCtx,
    Path((id, name)): Path<(String, String)>,
    CsrfForm(form): CsrfForm<MoveForm>,
) -> AppResult<Response> {
    let id = ExchangeId::parse(&id).ok_or_else(AppError::not_found)?;
    let input =
        MoveInput { terms: form.terms().input(), reason: form.reason.clone(), until: Some(form.renew_until.clone()) };
    match exchanges::act(&state.services, &member, &id, &name, &input).await {
        Ok(_) => Ok(done(&format!("/exchanges/{id}"), "exchange_moved").into_response()),
        Err(error) if error.status.is_client_error() && error.status != StatusCode::NOT_FOUND => {
            let status = error.status;
            let t = ctx.t;
            let mut errors = error.fields.clone();
            // A renewal's date is `renew_until` in the form.
            for field in &mut errors {
                if name == "renew" && field.field == "until" {
                    field.field = "renew_until";
                }
            }
            let retry = Retry {
                problem: error.fields.is_empty().then(|| t.msg(&error.message)),
                open: name.clone(),
                form: matches!(name.as_str(), "propose" | "counter").then(|| form.terms()),
                reason: form.reason.clone(),
                until: form.renew_until.clone(),
                body: String::new(),
                errors: FieldMessages::new(t, &errors, &[FIELDS, &[RENEW_FIELD]].concat()),
            };
            let page = exchange_page(&state, ctx, &member, &id, retry).await?;
            Ok((status, render(page)?).into_response())
        }
        Err(error) => Err(error),
    }
}

impl ExchangePage {
    /// Whether the part of the page for the move `name` opens (its form was sent with errors).
    fn is_open(&self, name: &str) -> bool {
        self.open == name
    }

    fn move_label(&self, name: &str) -> &'static str {
        self.ctx.t.t(&format!("exchange.do.{name}"))
    }
}

const RENEW_FIELD: Field = Field { name: "renew_until", input: "renew_until", label: "exchange.renew_until" };

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct MessageForm {
    body: String,
}

/// A message in an exchange's conversation.
pub async fn message(
    State(state): State<AppState>,
    FormAuthor(member): FormAuthor,
    ctx: PageCtx,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<MessageForm>,
) -> AppResult<Response> {
    let id = ExchangeId::parse(&id).ok_or_else(AppError::not_found)?;
    match exchanges::post_message(&state.services, &member, &id, &form.body).await {
        Ok(_) => Ok(done(&format!("/exchanges/{id}#message"), "message_sent").into_response()),
        Err(error) if !error.fields.is_empty() => {
            let t = ctx.t;
            let retry = Retry {
                body: form.body.clone(),
                open: "message".to_owned(),
                errors: FieldMessages::new(t, &error.fields, FIELDS),
                ..Retry::default()
            };
            let page = exchange_page(&state, ctx, &member, &id, retry).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(page)?).into_response())
        }
        Err(error) => Err(error),
    }
}

impl TermsForm {
    fn input(&self) -> TermsInput {
        let given = |value: &str| (!value.trim().is_empty()).then(|| value.to_owned());
        TermsInput {
            quantity: given(&self.quantity),
            from: given(&self.from),
            until: given(&self.until),
            at: given(&self.at),
            in_return: given(&self.in_return),
        }
    }
}
