//! Exchanges in the API: a member's exchanges, starting one on a listing, its moves and its
//! conversation. Only its two parties see an exchange: 404 for anyone else.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::http::header::LOCATION;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use super::json::{ApiJson, ApiJsonOrNothing, ApiQuery};
use super::views::{Links, rfc3339};
use crate::domain::exchange::{Entry, EntryKind, Terms, TermsInput, format_time};
use crate::domain::ids::{ExchangeId, ListingId};
use crate::domain::listing::format_date;
use crate::error::{AppError, AppResult};
use crate::http::auth::ApiMember;
use crate::services::exchanges::{self, ExchangeView, MoveInput, StartInput};
use crate::state::AppState;
use crate::storage::exchanges::Which;

/// A number given as a JSON number or as text (« 2,5 »).
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum NumberOrText {
    Number(f64),
    Text(String),
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TermsBody {
    quantity: Option<NumberOrText>,
    from: Option<String>,
    until: Option<String>,
    at: Option<String>,
    in_return: Option<String>,
}

impl TermsBody {
    fn into_input(self) -> TermsInput {
        TermsInput {
            quantity: self.quantity.map(|q| match q {
                NumberOrText::Number(n) => n.to_string(),
                NumberOrText::Text(t) => t,
            }),
            from: self.from,
            until: self.until,
            at: self.at,
            in_return: self.in_return,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewExchange {
    listing_id: String,
    /// Terms; without them, `message` is a question and the conversation opens without terms.
    terms: Option<TermsBody>,
    #[serde(default)]
    message: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MoveBody {
    terms: Option<TermsBody>,
    #[serde(default)]
    reason: String,
    until: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewMessage {
    body: String,
}

#[derive(Debug, Serialize)]
pub struct TermsJson {
    pub quantity: f64,
    pub from: Option<String>,
    pub until: Option<String>,
    pub at: Option<String>,
    pub in_return: String,
}

impl TermsJson {
    fn new(terms: &Terms) -> Self {
        Self {
            quantity: terms.quantity.as_f64(),
            from: terms.from.map(format_date),
            until: terms.until.map(format_date),
            at: terms.at.map(format_time),
            in_return: terms.in_return.clone(),
        }
    }
}

#[derive(Debug, Serialize)]
pub struct ExchangeListingJson {
    pub id: ListingId,
    pub title: String,
    pub url: String,
}

#[derive(Debug, Serialize)]
pub struct ExchangeJson {
    pub id: ExchangeId,
    /// Its id on the wire (the agreement's), the same on both instances of an exchange between them.
    pub ap_id: String,
    /// Its page.
    pub url: String,
    pub listing: ExchangeListingJson,
    pub mode: &'static str,
    pub unit: &'static str,
    /// `question`, `proposed`, `accepted`, `handed_over`, `delivered`, `done`, `completed`,
    /// `refused` or `cancelled`.
    pub state: &'static str,
    pub version: i64,
    /// The caller's side: `provider` or `receiver`.
    pub role: &'static str,
    /// The other party's actor id.
    pub other_party: String,
    pub terms: Option<TermsJson>,
    pub proposed_by: Option<&'static str>,
    /// A later due date the borrower asked for.
    pub renewal_until: Option<String>,
    pub overdue: bool,
    /// Whether the caller has something to do.
    pub awaits_me: bool,
    /// The moves the caller may make now (`POST …/{move}`).
    pub moves: Vec<&'static str>,
    /// With a member of another instance, on an exchange that instance hosts: the move the caller
    /// made that waits for it to apply (then `moves` is empty).
    pub waiting_for: Option<String>,
    /// `none`, `euros` (paid outside Maillage) or `credit`.
    pub settlement: &'static str,
    pub price_cents: Option<i64>,
    pub ended_by: Option<&'static str>,
    pub reason: String,
    pub created_at: String,
    pub updated_at: String,
}

impl ExchangeJson {
    pub fn new(links: &Links, view: &ExchangeView) -> Self {
        let record = &view.record;
        let e = &record.exchange;
        Self {
            id: record.id.clone(),
            ap_id: record.ap_id.clone(),
            url: links.page(&format!("exchanges/{}", record.id)),
            listing: ExchangeListingJson {
                id: record.listing_id.clone(),
                title: record.listing_title.clone(),
                url: links.listing(&record.listing_id),
            },
            mode: e.mode.as_str(),
            unit: record.unit.as_str(),
            state: e.state.as_str(),
            version: e.version,
            role: view.side.as_str(),
            other_party: exchanges::other(record, view.side).actor.clone(),
            terms: e.terms.as_ref().map(TermsJson::new),
            proposed_by: e.proposed_by.map(|p| p.as_str()),
            renewal_until: e.renewal.map(format_date),
            overdue: view.overdue,
            awaits_me: view.awaits_me,
            moves: view.moves.clone(),
            waiting_for: record.pending.as_ref().map(|p| p.name.clone()),
            settlement: e.settlement.as_str(),
            price_cents: e.price.map(|p| p.cents()),
            ended_by: e.ended_by.map(|p| p.as_str()),
            reason: e.reason.clone(),
            created_at: rfc3339(record.created_at),
            updated_at: rfc3339(record.updated_at),
        }
    }
}

#[derive(Debug, Serialize)]
pub struct EntryJson {
    /// `provider` or `receiver`.
    pub author: &'static str,
    /// `message`, or the name of the move.
    pub kind: &'static str,
    pub body: String,
    pub version: Option<i64>,
    pub terms: Option<TermsJson>,
    pub created_at: String,
}

impl EntryJson {
    fn new(entry: &Entry) -> Self {
        Self {
            author: entry.author.as_str(),
            kind: match entry.kind {
                EntryKind::Message => "message",
                EntryKind::Move(name) => name,
            },
            body: entry.body.clone(),
            version: entry.version,
            terms: entry.terms.as_ref().map(TermsJson::new),
            created_at: rfc3339(entry.created_at),
        }
    }
}

#[derive(Debug, Serialize)]
pub struct ExchangeWithEntries {
    #[serde(flatten)]
    pub exchange: ExchangeJson,
    pub entries: Vec<EntryJson>,
}

#[derive(Debug, Serialize)]
pub struct ExchangeList {
    pub items: Vec<ExchangeJson>,
    /// The next page, when there is one.
    pub next: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ListQuery {
    /// 1 and up: 50 exchanges a page.
    page: Option<String>,
    /// Read by the language middleware; accepted here so that it is not refused as unknown.
    lang: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct EntryList {
    pub items: Vec<EntryJson>,
}

fn exchange_id(text: &str) -> AppResult<ExchangeId> {
    ExchangeId::parse(text).ok_or_else(AppError::not_found)
}

/// The caller's exchanges, the most recently changed first, a page at a time.
pub async fn list(
    State(state): State<AppState>,
    ApiMember(member): ApiMember,
    ApiQuery(query): ApiQuery<ListQuery>,
) -> AppResult<Json<ExchangeList>> {
    let _ = &query.lang;
    let page = super::json::page_number(query.page.as_deref())?;
    let links = Links::new(state.config());
    let (views, more) =
        exchanges::of_member(&state.services, &member, Which::All, page, exchanges::API_PER_PAGE).await?;
    Ok(Json(ExchangeList {
        items: views.iter().map(|v| ExchangeJson::new(&links, v)).collect(),
        next: more.then(|| links.api(&format!("exchanges?page={}", page + 1))),
    }))
}

pub async fn start(
    State(state): State<AppState>,
    ApiMember(member): ApiMember,
    ApiJson(body): ApiJson<NewExchange>,
) -> AppResult<Response> {
    let listing = ListingId::parse(&body.listing_id).ok_or_else(|| {
        AppError::field(crate::domain::FieldError::new("listing_id", "error.exchange_listing_unavailable"))
    })?;
    let input = StartInput { terms: body.terms.map(TermsBody::into_input), message: body.message };
    let view = exchanges::start(&state.services, &member, &listing, &input).await?;
    let links = Links::new(state.config());
    let location = links.api(&format!("exchanges/{}", view.record.id));
    Ok((StatusCode::CREATED, [(LOCATION, location)], Json(ExchangeJson::new(&links, &view))).into_response())
}

pub async fn get(
    State(state): State<AppState>,
    ApiMember(member): ApiMember,
    Path(id): Path<String>,
) -> AppResult<Json<ExchangeWithEntries>> {
    let (view, entries) = exchanges::get(&state.services, &member, &exchange_id(&id)?).await?;
    let links = Links::new(state.config());
    Ok(Json(ExchangeWithEntries {
        exchange: ExchangeJson::new(&links, &view),
        entries: entries.iter().map(EntryJson::new).collect(),
    }))
}

/// One of the moves (`accept`, `refuse`, `counter`, `cancel`, `hand-over`, `return`, `renew`,
/// `accept-renewal`, `refuse-renewal`, `deliver`, `done`, `confirm`, `propose`).
pub async fn act(
    State(state): State<AppState>,
    ApiMember(member): ApiMember,
    Path((id, name)): Path<(String, String)>,
    ApiJsonOrNothing(body): ApiJsonOrNothing<MoveBody>,
) -> AppResult<Json<ExchangeJson>> {
    let input = MoveInput {
        terms: body.terms.map(TermsBody::into_input).unwrap_or_default(),
        reason: body.reason,
        until: body.until,
    };
    let view = exchanges::act(&state.services, &member, &exchange_id(&id)?, &name, &input).await?;
    Ok(Json(ExchangeJson::new(&Links::new(state.config()), &view)))
}

pub async fn messages(
    State(state): State<AppState>,
    ApiMember(member): ApiMember,
    Path(id): Path<String>,
) -> AppResult<Json<EntryList>> {
    let (_, entries) = exchanges::get(&state.services, &member, &exchange_id(&id)?).await?;
    Ok(Json(EntryList { items: entries.iter().map(EntryJson::new).collect() }))
}

pub async fn post_message(
    State(state): State<AppState>,
    ApiMember(member): ApiMember,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<NewMessage>,
) -> AppResult<Response> {
    let entry = exchanges::post_message(&state.services, &member, &exchange_id(&id)?, &body.body).await?;
    Ok((StatusCode::CREATED, Json(EntryJson::new(&entry))).into_response())
}
