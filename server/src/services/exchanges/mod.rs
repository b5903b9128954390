//! Exchanges between members: starting one on a listing, the moves of its state machine
//! (`domain::exchange`), its conversation, and what it does to its listing — an accepted transfer
//! reserves its quantity (the listing is « réservée » when nothing is left to reserve), a completed one
//! takes it off (the listing closes when nothing is left), a cancelled reservation frees it again;
//! loans take their dates, and a loan overlapping others beyond the listing's quantity is refused.
//!
//! Every change is one `Write`: the exchange (saved from the version it was read at, so that two
//! moves made at once cannot both apply), its conversation's line, the listing's change with its
//! `Update` for other instances, and — with a member of another instance — the activity that tells
//! their instance. Between instances the listing's instance hosts the exchange and applies every
//! move; a member of the other instance asks for theirs, which shows as waiting until the host
//! answers (`services::federation::exchanges`; what we receive: `received.rs`).

use time::Date;

use crate::domain::FieldError;
use crate::domain::exchange::{
    Entry, EntryKind, Exchange, ExchangeRecord, Life, MessageText, Move, MoveError, Party, PartyRef, PendingMove,
    Settlement, Terms, TermsInput, parse_reason, starter_party,
};
use crate::domain::ids::{ExchangeId, ListingId, MemberId, now_ms};
use crate::domain::listing::{Listing, ListingStatus, Purpose, Quantity, parse_input_date};
use crate::domain::member::Member;
use crate::error::{AppError, AppResult};
use crate::i18n::Zone;
use crate::services::federation::{exchanges as wire, outbound};
use crate::services::notifications::{self, Told};
use crate::services::{Services, Write};
use crate::storage::{exchanges, listings};

pub mod received;
pub mod upkeep;

/// The most exchanges under way « Mes échanges » lists at once.
pub const ACTIVE_LIMIT: i64 = 200;
/// Finished exchanges per page of « Mes échanges », and exchanges per page of the API.
pub const FINISHED_PER_PAGE: i64 = 20;
pub const API_PER_PAGE: i64 = 50;

/// What a member sends to start an exchange: terms, or only a question (then `message` is required).
#[derive(Debug, Clone, Default)]
pub struct StartInput {
    pub terms: Option<TermsInput>,
    pub message: String,
}

/// What a move may come with: terms (propose, counter), a reason (refuse, cancel), a new due date
/// (renew).
#[derive(Debug, Clone, Default)]
pub struct MoveInput {
    pub terms: TermsInput,
    pub reason: String,
    pub until: Option<String>,
}

/// An exchange as one of its parties sees it.
#[derive(Debug, Clone)]
pub struct ExchangeView {
    pub record: ExchangeRecord,
    /// The viewer's side.
    pub side: Party,
    pub overdue: bool,
    /// Whether the viewer has something to do.
    pub awaits_me: bool,
    /// The moves the viewer may make now.
    pub moves: Vec<&'static str>,
}

/// Today in the cooperative's time zone (due dates and overdue loans are civil dates).
pub fn today(services: &Services) -> Date {
    let zone = Zone::named(&services.config().instance.timezone).unwrap_or_default();
    zone.date(now_ms()).unwrap_or(Date::MIN)
}

fn view(services: &Services, record: ExchangeRecord, side: Party) -> ExchangeView {
    let today = today(services);
    // A move waiting for the host: nothing more until it answers.
    let waiting = record.pending.is_some();
    ExchangeView {
        overdue: record.exchange.is_overdue(today),
        awaits_me: record.exchange.awaits(side) && !waiting,
        moves: if waiting { Vec::new() } else { record.exchange.moves_for(side) },
        side,
        record,
    }
}

fn move_refused(error: &MoveError) -> AppError {
    let status = match error {
        MoveError::NotYours => axum::http::StatusCode::FORBIDDEN,
        _ => axum::http::StatusCode::CONFLICT,
    };
    AppError::new(status, "move_not_allowed", error.key())
}

/// Starts an exchange on a listing the member may see and did not write.
pub async fn start(
    services: &Services,
    member: &Member,
    listing_id: &ListingId,
    input: &StartInput,
) -> AppResult<ExchangeView> {
    let listing = super::listings::get(services.db(), listing_id, Some(member)).await?;
    if listing.author.is(&member.id) {
        return Err(AppError::conflict("error.exchange_own_listing"));
    }
    if listing.content.status != ListingStatus::Active {
        return Err(AppError::conflict("error.exchange_listing_unavailable"));
    }
    // A member of ours, or (for another instance's listing) the author's actor.
    let author = MemberId::parse(&listing.author.id);
    let starter = starter_party(listing.content.purpose == Purpose::Offer);
    let message = match input.message.trim() {
        "" => None,
        text => Some(MessageText::parse("message", text).map_err(AppError::field)?),
    };
    let mut conn = services.conn().await?;
    let exchange = match &input.terms {
        Some(terms) => {
            let terms = checked_terms(&mut conn, &listing, terms, None, services).await?;
            let mut exchange = Exchange::proposed(listing.content.mode, starter, terms);
            price(&mut exchange, &listing);
            exchange
        }
        None if message.is_none() => {
            return Err(AppError::field(FieldError::new("message", "error.exchange_question_required")));
        }
        None => Exchange::question(listing.content.mode),
    };
    drop(conn);

    let id = ExchangeId::new();
    let urls = services.urls();
    let me = PartyRef { member: Some(member.id.clone()), actor: urls.member(member.username.as_str()).to_string() };
    let (them, listing_ap_id) = match (&listing.origin, author) {
        (Some(origin), _) => (PartyRef { member: None, actor: listing.author.id.clone() }, origin.ap_id.clone()),
        (None, Some(author)) => (
            PartyRef { member: Some(author), actor: urls.member(&listing.author.username).to_string() },
            urls.listing(listing.id.as_str()).to_string(),
        ),
        (None, None) => return Err(AppError::not_found()),
    };
    let (provider, receiver) = match starter {
        Party::Provider => (me, them),
        Party::Receiver => (them, me),
    };
    let now = now_ms();
    let record = ExchangeRecord {
        ap_id: urls.exchange(id.as_str()).to_string(),
        id,
        listing_id: listing.id.clone(),
        listing_ap_id,
        listing_title: listing.content.title.clone(),
        unit: listing.content.unit,
        started_by: starter,
        provider,
        receiver,
        exchange,
        offer_ap_id: None,
        pending: None,
        created_at: now,
        updated_at: now,
    };
    let mut tx = services.write().await?;
    exchanges::insert(&mut tx, &record).await?;
    if let Some(terms) = &record.exchange.terms {
        let opening = Move::Propose(terms.clone());
        exchanges::add_entry(&mut tx, &record.id, &Entry::of_move(starter, &opening, &record.exchange, now)).await?;
    }
    if let Some(message) = &message {
        exchanges::add_entry(&mut tx, &record.id, &message_entry(starter, message.clone(), now)).await?;
    }
    if !record.is_local() {
        wire::publish_opening(services, &mut tx, &record, message.as_ref().map(MessageText::as_str)).await?;
    }
    let told = if record.exchange.terms.is_some() { Told::Move("propose") } else { Told::Message };
    notifications::tell(services, &mut tx, &record, starter.other(), told).await?;
    tx.commit().await?;
    tracing::info!(exchange.id = %record.id, listing.id = %listing.id, member.username = %member.username, "exchange started");
    Ok(view(services, record, starter))
}

pub(crate) fn message_entry(author: Party, message: MessageText, at: i64) -> Entry {
    Entry {
        author,
        kind: EntryKind::Message,
        body: message.as_str().to_owned(),
        version: None,
        terms: None,
        ap_id: None,
        created_at: at,
    }
}

/// The settlement and price the listing asks for the exchange's terms.
pub(crate) fn price(exchange: &mut Exchange, listing: &Listing) {
    if let Some(terms) = &exchange.terms {
        (exchange.settlement, exchange.price) =
            Settlement::for_price(listing.content.price, listing.content.price_basis, terms.quantity);
    }
}

/// What of the listing is left for `terms`, besides the exchange `except`: for a transfer, its
/// quantity less what accepted exchanges reserved; for a loan, its quantity less what loans over
/// the same dates take. `None`: no limit.
pub(crate) async fn available(
    conn: &mut sqlx::AnyConnection,
    listing: &Listing,
    terms: Option<&Terms>,
    except: Option<&ExchangeId>,
) -> AppResult<Option<Quantity>> {
    let life = Life::of(listing.content.mode);
    let total = match (listing.content.quantity, life) {
        (Some(q), _) => q,
        // An item lent is one item unless the listing says how many.
        (None, Life::Loan) => Quantity::from_milli(1000),
        (None, _) => return Ok(None),
    };
    let agreed = exchanges::agreed_on_listing(conn, &listing.id).await?;
    let taken: i64 = agreed
        .iter()
        .filter(|other| Some(&other.id) != except)
        .filter_map(|other| other.exchange.terms.as_ref())
        .filter(|other| life != Life::Loan || terms.is_none_or(|t| t.overlaps(other)))
        .map(|other| other.quantity.milli())
        .sum();
    Ok(Some(Quantity::from_milli((total.milli() - taken).max(0))))
}

/// Terms checked for the listing, with what is left of it for their dates.
async fn checked_terms(
    conn: &mut sqlx::AnyConnection,
    listing: &Listing,
    input: &TermsInput,
    except: Option<&ExchangeId>,
    services: &Services,
) -> AppResult<Terms> {
    let today = today(services);
    let mode = listing.content.mode;
    // Dates first (a loan's availability depends on them), then the quantity against what is left.
    let unlimited = Terms::parse(mode, input, None, today).map_err(AppError::validation)?;
    let left = available(conn, listing, Some(&unlimited), except).await?;
    if left.is_some_and(|left| left.milli() == 0) && Life::of(mode) == Life::Loan {
        return Err(AppError::field(FieldError::new("from", "error.exchange_dates_taken")));
    }
    Terms::parse(mode, input, left, today).map_err(AppError::validation)
}

/// The move named `name` with what it comes with, checked.
async fn parse_move(
    services: &Services,
    conn: &mut sqlx::AnyConnection,
    record: &ExchangeRecord,
    name: &str,
    input: &MoveInput,
) -> AppResult<Move> {
    Ok(match name {
        "propose" | "counter" => {
            let listing = listings::by_id(conn, &record.listing_id)
                .await?
                .ok_or_else(|| AppError::conflict("error.exchange_listing_unavailable"))?;
            let terms = checked_terms(conn, &listing, &input.terms, Some(&record.id), services).await?;
            if name == "propose" { Move::Propose(terms) } else { Move::Counter(terms) }
        }
        "accept" => Move::Accept,
        "refuse" => Move::Refuse { reason: parse_reason(&input.reason, false).map_err(AppError::field)? },
        "cancel" => Move::Cancel { reason: parse_reason(&input.reason, true).map_err(AppError::field)? },
        "hand-over" => Move::HandOver,
        "return" => Move::Return,
        "renew" => {
            let text = input.until.as_deref().unwrap_or("");
            if text.trim().is_empty() {
                return Err(AppError::field(FieldError::new("until", "error.required")));
            }
            let until = parse_input_date("until", text).map_err(AppError::field)?;
            Move::Renew { until }
        }
        "accept-renewal" => Move::AcceptRenewal,
        "refuse-renewal" => Move::RefuseRenewal,
        "deliver" => Move::Deliver,
        "done" => Move::MarkDone,
        "confirm" => Move::Confirm,
        _ => return Err(AppError::not_found()),
    })
}

/// An exchange the member is a party of; "not found" for anyone else, so that exchanges do not
/// leak.
async fn of_party(services: &Services, member: &Member, id: &ExchangeId) -> AppResult<(ExchangeRecord, Party)> {
    let record = exchanges::by_id(&mut *services.conn().await?, id).await?.ok_or_else(AppError::not_found)?;
    let side = record.side_of(&member.id).ok_or_else(AppError::not_found)?;
    Ok((record, side))
}

/// An exchange started here whose other party is the actor `actor` of another instance (what a
/// signed fetch of the agreement may read); `None` for anyone else.
pub async fn for_remote_party(
    services: &Services,
    id: &ExchangeId,
    actor: &url::Url,
) -> AppResult<Option<ExchangeRecord>> {
    let record = exchanges::by_id(&mut *services.conn().await?, id).await?;
    Ok(record.filter(|r| {
        r.ap_id == services.urls().exchange(r.id.as_str()).as_str()
            && r.side_of_actor(actor.as_str()).is_some_and(|side| r.party(side).member.is_none())
    }))
}

pub async fn get(services: &Services, member: &Member, id: &ExchangeId) -> AppResult<(ExchangeView, Vec<Entry>)> {
    let (record, side) = of_party(services, member, id).await?;
    let entries = exchanges::entries(&mut *services.conn().await?, &record.id).await?;
    Ok((view(services, record, side), entries))
}

/// A page of the member's exchanges, the most recently changed first, and whether more follow.
pub async fn of_member(
    services: &Services,
    member: &Member,
    which: exchanges::Which,
    page: i64,
    per_page: i64,
) -> AppResult<(Vec<ExchangeView>, bool)> {
    let offset = (page.max(1) - 1) * per_page;
    let mut records =
        exchanges::of_member(&mut *services.conn().await?, &member.id, which, offset, per_page + 1).await?;
    let more = records.len() as i64 > per_page;
    records.truncate(usize::try_from(per_page).unwrap_or(0));
    let views = records
        .into_iter()
        .filter_map(|record| {
            let side = record.side_of(&member.id)?;
            Some(view(services, record, side))
        })
        .collect();
    Ok((views, more))
}

/// How many of the member's exchanges wait for them (the count in the menu).
pub async fn awaiting(services: &Services, member: &MemberId) -> AppResult<i64> {
    Ok(exchanges::awaiting_count(&mut *services.conn().await?, member).await?)
}

/// Until when a listing's item is lent: the latest due date of its loans whose item is out.
pub async fn lent_until(services: &Services, listing: &ListingId) -> AppResult<Option<Date>> {
    let agreed = exchanges::agreed_on_listing(&mut *services.conn().await?, listing).await?;
    Ok(agreed
        .iter()
        .filter(|r| r.exchange.state == crate::domain::exchange::ExchangeState::HandedOver)
        .filter_map(|r| r.exchange.terms.as_ref().and_then(|t| t.until))
        .max())
}

/// How many exchanges the member completed (a fact their profile shows).
pub async fn completed(services: &Services, member: &MemberId) -> AppResult<i64> {
    Ok(exchanges::completed_count(&mut *services.conn().await?, member).await?)
}

/// The member makes the move `name` on an exchange they are a party of.
pub async fn act(
    services: &Services,
    member: &Member,
    id: &ExchangeId,
    name: &str,
    input: &MoveInput,
) -> AppResult<ExchangeView> {
    let (record, side) = of_party(services, member, id).await?;
    let mut conn = services.conn().await?;
    let mv = parse_move(services, &mut conn, &record, name, input).await?;
    if let Move::Renew { until } = &mv
        && *until < today(services)
    {
        return Err(AppError::field(FieldError::new("until", "error.exchange_date_past")));
    }
    drop(conn);
    let record = if record.is_local() || wire::hosted_here(services, &record) {
        let mut tx = services.write().await?;
        let record = apply_in(services, &mut tx, record, side, mv.clone(), None, true).await?;
        if !record.is_local() {
            wire::publish_move(services, &mut tx, &record, side, &mv).await?;
        }
        tx.commit().await?;
        record
    } else {
        ask_host(services, record, side, mv).await?
    };
    tracing::info!(exchange.id = %record.id, exchange.state = %record.exchange.state, exchange.move = name, member.username = %member.username, "exchange move");
    Ok(view(services, record, side))
}

/// Our member's move on an exchange another instance hosts: checked here as the host will check it,
/// then asked of the host, and shown as waiting until the host has applied or declined it.
async fn ask_host(services: &Services, mut record: ExchangeRecord, side: Party, mv: Move) -> AppResult<ExchangeRecord> {
    if record.pending.is_some() {
        return Err(AppError::conflict("error.exchange_waiting_for_host"));
    }
    let mut after = record.clone();
    after.exchange.apply(side, mv.clone(), now_ms()).map_err(|e| move_refused(&e))?;
    let mut tx = services.write().await?;
    let activity = wire::publish_move(services, &mut tx, &after, side, &mv).await?;
    let pending = PendingMove { name: mv.name().to_owned(), activity };
    exchanges::set_pending(&mut tx, &record.id, Some(&pending)).await?;
    tx.commit().await?;
    record.pending = Some(pending);
    Ok(record)
}

/// Applies `mv` by `side` in `tx`: the state machine, the conversation's line (`received`: the
/// activity that brought the move, recorded once), and — where the listing is ours (`hosted`) — its
/// checks and what the move does to the listing. Refused moves change nothing.
pub(crate) async fn apply_in(
    services: &Services,
    tx: &mut Write,
    mut record: ExchangeRecord,
    side: Party,
    mv: Move,
    received: Option<&str>,
    hosted: bool,
) -> AppResult<ExchangeRecord> {
    let read_version = record.exchange.version;
    let before = record.exchange.clone();
    let now = now_ms();
    record.exchange.apply(side, mv.clone(), now).map_err(|e| move_refused(&e))?;
    // Ours, or our copy of another instance's (for the price of new terms).
    let listing = listings::by_id(tx, &record.listing_id).await?;
    if let Some(listing) = &listing {
        if matches!(mv, Move::Propose(_) | Move::Counter(_)) {
            price(&mut record.exchange, listing);
        }
        if hosted {
            still_possible(tx, listing, &record, &mv).await?;
        }
    }
    if !exchanges::save(tx, &record.id, &record.exchange, read_version, now).await? {
        return Err(AppError::conflict("error.exchange_changed"));
    }
    let mut entry = Entry::of_move(side, &mv, &record.exchange, now);
    entry.ap_id = received.map(str::to_owned);
    exchanges::add_entry(tx, &record.id, &entry).await?;
    notifications::tell(services, tx, &record, side.other(), Told::Move(mv.name())).await?;
    if let Some(listing) = listing.filter(|_| hosted) {
        listing_after(services, tx, &listing, &before, &record).await?;
    }
    record.updated_at = now;
    Ok(record)
}

/// What was free when the terms were proposed may have been taken since: an acceptance, or a
/// renewal's longer dates, is checked again against the other agreed exchanges.
async fn still_possible(
    conn: &mut sqlx::AnyConnection,
    listing: &Listing,
    record: &ExchangeRecord,
    mv: &Move,
) -> AppResult<()> {
    let Some(terms) = record.exchange.terms.as_ref() else { return Ok(()) };
    if !matches!(mv, Move::Accept | Move::AcceptRenewal) {
        return Ok(());
    }
    let left = available(conn, listing, Some(terms), Some(&record.id)).await?;
    if left.is_some_and(|left| terms.quantity > left) {
        return Err(AppError::conflict(if Life::of(listing.content.mode) == Life::Loan {
            "error.exchange_dates_taken"
        } else {
            "error.exchange_no_longer_available"
        }));
    }
    Ok(())
}

/// The listing after a transfer's move: reserved when accepting took what was left, open again when
/// a reservation is cancelled, its quantity less what a completed exchange took (closed at zero).
async fn listing_after(
    services: &Services,
    tx: &mut Write,
    listing: &Listing,
    before: &Exchange,
    record: &ExchangeRecord,
) -> AppResult<()> {
    let after = &record.exchange;
    if Life::of(listing.content.mode) != Life::Transfer || listing.content.quantity.is_none() {
        return Ok(());
    }
    let mut quantity = listing.content.quantity;
    let mut status = listing.content.status;
    if after.state == crate::domain::exchange::ExchangeState::Completed
        && let (Some(q), Some(terms)) = (quantity, after.terms.as_ref())
    {
        quantity = Some(Quantity::from_milli((q.milli() - terms.quantity.milli()).max(0)));
    }
    let left =
        available(tx, &Listing { content: listing_with(listing, quantity), ..listing.clone() }, None, None).await?;
    let nothing_left = left.is_some_and(|l| l.milli() == 0);
    if quantity.is_some_and(|q| q.milli() == 0) {
        status = ListingStatus::Closed;
    } else if nothing_left && status == ListingStatus::Active {
        status = ListingStatus::Reserved;
    } else if !nothing_left && status == ListingStatus::Reserved && before.state.is_agreed() && !after.state.is_agreed()
    {
        status = ListingStatus::Active;
    }
    if quantity == listing.content.quantity && status == listing.content.status {
        return Ok(());
    }
    listings::set_quantity_and_status(tx, &listing.id, quantity, status, now_ms()).await?;
    let changed = listings::by_id(tx, &listing.id).await?;
    outbound::listing_changed(services, tx, Some(listing), changed.as_ref()).await?;
    tracing::info!(listing.id = %listing.id, listing.status = %status, "listing changed by an exchange");
    Ok(())
}

fn listing_with(listing: &Listing, quantity: Option<Quantity>) -> crate::domain::listing::ListingDraft {
    crate::domain::listing::ListingDraft { quantity, ..listing.content.clone() }
}

/// A message from the member in an exchange's conversation.
pub async fn post_message(services: &Services, member: &Member, id: &ExchangeId, text: &str) -> AppResult<Entry> {
    let (record, side) = of_party(services, member, id).await?;
    let message = MessageText::parse("body", text).map_err(AppError::field)?;
    let entry = message_entry(side, message, now_ms());
    let mut tx = services.write().await?;
    exchanges::add_entry(&mut tx, &record.id, &entry).await?;
    if !record.is_local() {
        wire::publish_message(services, &mut tx, &record, &entry.body, false).await?;
    }
    notifications::tell(services, &mut tx, &record, side.other(), Told::Message).await?;
    tx.commit().await?;
    Ok(entry)
}

/// The other party of an exchange, as its actor id (for names and links).
pub fn other(record: &ExchangeRecord, side: Party) -> &PartyRef {
    record.party(side.other())
}
