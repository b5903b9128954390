//! What another instance's exchange activity does here (`maillage_federation::agreement`), once
//! the inbox has checked its signature and shape.
//!
//! - An `Offer` of an agreement on one of our listings starts an exchange that we host: its terms
//!   are checked as our own members' are (a clear 400 when they are not terms at all); when the
//!   listing cannot give them any more, the offer is refused with a `Reject` and nothing is kept.
//! - A first question (a `Note` replying to one of our listings) opens a conversation we host.
//! - On an exchange we host, the other instance asks for its member's moves: each applies when it
//!   follows the version we have and the state machine allows it, and is then told back (relayed
//!   with `maillage:movedBy`); otherwise it is declined (`Reject` with `maillage:declined`) and
//!   nothing changes.
//! - On an exchange another instance hosts, we apply what the host tells us in version order: a
//!   move already applied is ignored, one that comes early waits for the one before it.
//!
//! Only the exchange's other party may do any of this: anyone else gets a 403.

use maillage_federation::RemoteActor;
use maillage_federation::agreement::{ExchangeActivity, ExchangeKind};
use maillage_federation::target::same_server;
use time::Date;
use url::Url;

use super::{apply_in, available, message_entry, price, today};
use crate::domain::exchange::{
    Entry, Exchange, ExchangeRecord, Life, MessageText, Move, Party, PartyRef, Terms, parse_reason,
};
use crate::domain::ids::{ExchangeId, ListingId, MemberId, now_ms};
use crate::domain::listing::{Listing, ListingStatus, Visibility, parse_input_date};
use crate::error::{AppError, AppResult};
use crate::i18n::{Lang, text};
use crate::services::federation::documents;
use crate::services::federation::exchanges::{self as wire, hosted_here, move_name_of, starter_of, terms_input};
use crate::services::notifications::{self, Told};
use crate::services::{Services, Write};
use crate::storage::{exchanges, listings};

/// Applies an exchange activity another server sent.
pub async fn received(services: &Services, activity: &ExchangeActivity) -> AppResult<()> {
    let found = find(services, activity).await?;
    if found.is_none() && activity.kind == ExchangeKind::Message && activity.in_reply_to.is_none() {
        // A note in some other conversation (a `context` of another software's): nothing of ours.
        return Ok(());
    }
    let sender = sender(services, &activity.actor).await?;
    let sender = &sender;
    let Some(record) = found else {
        return match activity.kind {
            ExchangeKind::Offer => offered(services, activity, sender).await,
            ExchangeKind::Message => asked(services, activity, sender).await,
            _ => Err(AppError::refused("it answers no exchange of ours")),
        };
    };
    let side = record
        .side_of_actor(sender.id.as_str())
        .filter(|side| record.party(*side).member.is_none())
        .ok_or_else(|| AppError::forbidden_because("the sender is not a party of this exchange"))?;
    if activity.kind == ExchangeKind::Message {
        let message = MessageText::parse("body", &activity.text)
            .map_err(|_| AppError::refused("an empty or too long message"))?;
        let mut entry = message_entry(side, message, sent_at(activity));
        entry.ap_id = Some(activity.id.to_string());
        let mut tx = services.write().await?;
        if exchanges::add_entry(&mut tx, &record.id, &entry).await? {
            notifications::tell(services, &mut tx, &record, side.other(), Told::Message).await?;
        }
        tx.commit().await?;
        return Ok(());
    }
    if hosted_here(services, &record) {
        host_receives(services, record, side, activity, sender).await
    } else {
        guest_receives(services, record, side, activity).await
    }
}

/// The sender, as the inbox kept it when it checked the signature (fetched again if it is gone).
async fn sender(services: &Services, actor: &Url) -> AppResult<RemoteActor> {
    if let Some(actor) = crate::services::federation::actors::stored_actor(services, actor).await? {
        return Ok(actor);
    }
    services.running()?.actor(actor).await.map_err(|e| AppError::refused(format!("the sender cannot be read: {e}")))
}

/// When the sender says it wrote a message, if that is not in the future.
fn sent_at(activity: &ExchangeActivity) -> i64 {
    let said = activity
        .published
        .as_deref()
        .and_then(|p| time::OffsetDateTime::parse(p, &time::format_description::well_known::Rfc3339).ok());
    let now = now_ms();
    said.map(|t| (t.unix_timestamp_nanos() / 1_000_000) as i64).filter(|t| *t <= now).unwrap_or(now)
}

/// The exchange an activity is about: by the agreement's id (or a note's or receipt's context), or
/// by the offer or the move it answers.
async fn find(services: &Services, activity: &ExchangeActivity) -> AppResult<Option<ExchangeRecord>> {
    let mut conn = services.conn().await?;
    if let Some(exchange) = &activity.exchange
        && let Some(record) = exchanges::by_ap_id(&mut conn, exchange.as_str()).await?
    {
        return Ok(Some(record));
    }
    if let Some(answers) = &activity.answers {
        return Ok(exchanges::by_offer_or_pending(&mut conn, answers.as_str()).await?);
    }
    Ok(None)
}

/// One of our listings, by its id on the wire.
async fn our_listing(services: &Services, proposal: Option<&Url>) -> AppResult<Listing> {
    let proposal = proposal.ok_or_else(|| AppError::refused("the agreement satisfies no listing"))?;
    let id = services
        .urls()
        .is_local(proposal)
        .then(|| proposal.path().strip_prefix("/listings/").and_then(ListingId::parse))
        .flatten()
        .ok_or_else(|| AppError::refused("the listing is not one of ours"))?;
    let listing = listings::by_id(&mut *services.conn().await?, &id).await?;
    listing.filter(|l| l.origin.is_none()).ok_or_else(|| AppError::refused("no such listing"))
}

/// Whether `sender` may see, and so answer, `listing`.
async fn may_answer(services: &Services, listing: &Listing, sender: &RemoteActor) -> AppResult<()> {
    let allowed = match listing.content.visibility {
        Visibility::Public => true,
        Visibility::Peers => documents::reads_as_peer(services, sender).await?,
        // A collective's listing, to its members (of every instance, as the collective knows them).
        Visibility::Collective => match &listing.content.collective {
            Some(collective) => {
                let mut conn = services.conn().await?;
                let record = crate::storage::collectives::membership(&mut conn, collective, sender.id.as_str()).await?;
                record.is_some_and(|r| r.membership.is_member())
            }
            None => false,
        },
        Visibility::Instance => false,
    };
    if allowed { Ok(()) } else { Err(AppError::forbidden_because("the listing is not shown to the sender")) }
}

/// The exchange's id on the wire, given by the sender: it must be on the sender's own server.
fn their_id(given: Option<&Url>, sender: &RemoteActor) -> AppResult<Option<String>> {
    match given {
        Some(id) if !same_server(id, &sender.id) => {
            Err(AppError::forbidden_because("the exchange's id is on another server than the sender's"))
        }
        other => Ok(other.map(ToString::to_string)),
    }
}

/// A new exchange hosted here, between `sender` and the author of `listing`.
fn new_record(
    services: &Services,
    listing: &Listing,
    sender: &RemoteActor,
    ap_id: Option<String>,
    exchange: Exchange,
) -> AppResult<ExchangeRecord> {
    let author = MemberId::parse(&listing.author.id).ok_or_else(AppError::not_found)?;
    let urls = services.urls();
    let starter = starter_of(listing.content.purpose);
    let them = PartyRef { member: None, actor: sender.id.to_string() };
    let us = PartyRef { member: Some(author), actor: urls.member(&listing.author.username).to_string() };
    let (provider, receiver) = match starter {
        Party::Provider => (them, us),
        Party::Receiver => (us, them),
    };
    let id = ExchangeId::new();
    let now = now_ms();
    Ok(ExchangeRecord {
        ap_id: ap_id.unwrap_or_else(|| urls.exchange(id.as_str()).to_string()),
        id,
        listing_id: listing.id.clone(),
        listing_ap_id: urls.listing(listing.id.as_str()).to_string(),
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
    })
}

/// An `Offer` of an agreement on one of our listings.
async fn offered(services: &Services, activity: &ExchangeActivity, sender: &RemoteActor) -> AppResult<()> {
    let data = activity.agreement.as_ref().ok_or_else(|| AppError::refused("an offer without an agreement"))?;
    let listing = our_listing(services, data.proposal.as_ref()).await?;
    may_answer(services, &listing, sender).await?;
    let ap_id = their_id(data.id.as_ref(), sender)?;
    let mode = listing.content.mode;
    let terms = Terms::parse(mode, &terms_input(data), None, today(services)).map_err(|fields| {
        let named: Vec<String> = fields.iter().map(|f| format!("{}: {}", f.field, f.message.key)).collect();
        AppError::refused(format!("terms refused ({})", named.join(", ")))
    })?;
    let mut exchange = Exchange::proposed(mode, starter_of(listing.content.purpose), terms.clone());
    price(&mut exchange, &listing);
    let mut record = new_record(services, &listing, sender, ap_id, exchange)?;
    record.offer_ap_id = Some(activity.id.to_string());

    // What the listing can no longer give is refused at once, and nothing is kept.
    let mut conn = services.conn().await?;
    let left = available(&mut conn, &listing, Some(&terms), None).await?;
    drop(conn);
    let unavailable = if listing.content.status != ListingStatus::Active {
        Some("error.exchange_listing_unavailable")
    } else if left.is_some_and(|left| terms.quantity > left) {
        Some(if Life::of(mode) == Life::Loan {
            "error.exchange_dates_taken"
        } else {
            "error.exchange_no_longer_available"
        })
    } else {
        None
    };
    if let Some(key) = unavailable {
        let mut refused = record.clone();
        let reason = text(Lang::Fr, key).to_owned();
        let by = refused.started_by.other();
        refused
            .exchange
            .apply(by, Move::Refuse { reason: reason.clone() }, now_ms())
            .map_err(|_| AppError::conflict(key))?;
        let mut tx = services.write().await?;
        wire::publish_move(services, &mut tx, &refused, by, &Move::Refuse { reason }).await?;
        tx.commit().await?;
        tracing::info!(listing.id = %listing.id, actor = %sender.id, "offer refused: {key}");
        return Ok(());
    }

    let mut tx = services.write().await?;
    if exchanges::by_ap_id(&mut tx, &record.ap_id).await?.is_some() {
        return Ok(());
    }
    exchanges::insert(&mut tx, &record).await?;
    let opening = Move::Propose(terms);
    let mut entry = Entry::of_move(record.started_by, &opening, &record.exchange, sent_at(activity));
    entry.ap_id = Some(activity.id.to_string());
    exchanges::add_entry(&mut tx, &record.id, &entry).await?;
    add_message_of(&mut tx, &record, record.started_by, activity).await?;
    notifications::tell(services, &mut tx, &record, record.started_by.other(), Told::Move("propose")).await?;
    tx.commit().await?;
    tracing::info!(exchange.id = %record.id, listing.id = %listing.id, actor = %sender.id, "exchange offered from another instance");
    Ok(())
}

/// The message an activity carries (an offer's `content`), as a line of the conversation.
async fn add_message_of(
    tx: &mut Write,
    record: &ExchangeRecord,
    author: Party,
    activity: &ExchangeActivity,
) -> AppResult<()> {
    if activity.text.trim().is_empty() {
        return Ok(());
    }
    let message = MessageText::parse("body", &activity.text).map_err(|_| AppError::refused("a message too long"))?;
    let mut entry = message_entry(author, message, sent_at(activity));
    entry.ap_id = Some(format!("{}#content", activity.id));
    exchanges::add_entry(tx, &record.id, &entry).await?;
    Ok(())
}

/// A first question on one of our listings (a `Note` that replies to it, in a new conversation).
async fn asked(services: &Services, activity: &ExchangeActivity, sender: &RemoteActor) -> AppResult<()> {
    let listing = our_listing(services, activity.in_reply_to.as_ref()).await?;
    may_answer(services, &listing, sender).await?;
    let ap_id = their_id(activity.exchange.as_ref(), sender)?;
    let message =
        MessageText::parse("body", &activity.text).map_err(|_| AppError::refused("an empty or too long message"))?;
    let record = new_record(services, &listing, sender, ap_id, Exchange::question(listing.content.mode))?;
    let mut tx = services.write().await?;
    if exchanges::by_ap_id(&mut tx, &record.ap_id).await?.is_some() {
        return Ok(());
    }
    exchanges::insert(&mut tx, &record).await?;
    let mut entry = message_entry(record.started_by, message, sent_at(activity));
    entry.ap_id = Some(activity.id.to_string());
    exchanges::add_entry(&mut tx, &record.id, &entry).await?;
    notifications::tell(services, &mut tx, &record, record.started_by.other(), Told::Message).await?;
    tx.commit().await?;
    tracing::info!(exchange.id = %record.id, listing.id = %listing.id, actor = %sender.id, "question from another instance");
    Ok(())
}

/// The move an activity names, with what it comes with, checked: strictly on an exchange we host
/// (as our own members' moves), as the host says on one it hosts.
async fn received_move(
    services: &Services,
    record: &ExchangeRecord,
    name: &str,
    activity: &ExchangeActivity,
    host: bool,
) -> AppResult<Move> {
    let reason = |required: bool| parse_reason(activity.text.trim(), required && host).map_err(AppError::field);
    Ok(match name {
        "propose" | "counter" => {
            let data = activity.agreement.as_ref().ok_or_else(|| AppError::refused("terms without an agreement"))?;
            let input = terms_input(data);
            let mode = record.exchange.mode;
            let terms = if host {
                let listing = listings::by_id(&mut *services.conn().await?, &record.listing_id)
                    .await?
                    .ok_or_else(|| AppError::conflict("error.exchange_listing_unavailable"))?;
                let unlimited = Terms::parse(mode, &input, None, today(services)).map_err(AppError::validation)?;
                let left =
                    available(&mut *services.conn().await?, &listing, Some(&unlimited), Some(&record.id)).await?;
                Terms::parse(mode, &input, left, today(services)).map_err(AppError::validation)?
            } else {
                Terms::parse(mode, &input, None, Date::MIN).map_err(AppError::validation)?
            };
            if name == "propose" { Move::Propose(terms) } else { Move::Counter(terms) }
        }
        "accept" => Move::Accept,
        "refuse" => Move::Refuse { reason: reason(false)? },
        "cancel" => Move::Cancel { reason: reason(true)? },
        "hand-over" => Move::HandOver,
        "return" => Move::Return,
        "renew" => {
            let until = activity
                .agreement
                .as_ref()
                .and_then(|a| a.renewal_until.as_deref())
                .ok_or_else(|| AppError::refused("a renewal without its date"))?;
            let until = parse_input_date("until", until).map_err(AppError::field)?;
            if host && until < today(services) {
                return Err(AppError::conflict("error.exchange_date_past"));
            }
            Move::Renew { until }
        }
        "accept-renewal" => Move::AcceptRenewal,
        "refuse-renewal" => Move::RefuseRenewal,
        "deliver" => Move::Deliver,
        "done" => Move::MarkDone,
        "confirm" => Move::Confirm,
        "complete" if !host => Move::CompleteByItself,
        other => return Err(AppError::refused(format!("no move {other:?} here"))),
    })
}

/// On an exchange we host, what the other party's instance asks for: applied and told back, or
/// declined (the reason in our default language) — the asking instance learns either way.
async fn host_receives(
    services: &Services,
    record: ExchangeRecord,
    side: Party,
    activity: &ExchangeActivity,
    sender: &RemoteActor,
) -> AppResult<()> {
    if activity.moved_by.as_ref().is_some_and(|by| *by != sender.id) {
        return Err(AppError::forbidden_because("a move said to be another party's"));
    }
    let name = move_name_of(activity, &record).ok_or_else(|| AppError::refused("no move named"))?;
    let outcome = match activity.version {
        Some(v) if v != record.exchange.version + 1 => Err(AppError::conflict("error.exchange_changed")),
        _ => match received_move(services, &record, &name, activity, true).await {
            Ok(mv) => {
                let mut tx = services.write().await?;
                match apply_in(services, &mut tx, record.clone(), side, mv.clone(), Some(activity.id.as_str()), true)
                    .await
                {
                    Ok(after) => {
                        if matches!(mv, Move::Propose(_) | Move::Counter(_)) {
                            exchanges::set_offer(&mut tx, &after.id, activity.id.as_str()).await?;
                        }
                        wire::publish_move(services, &mut tx, &after, side, &mv).await?;
                        tx.commit().await?;
                        tracing::info!(exchange.id = %after.id, exchange.move = name, actor = %sender.id, "exchange move from another instance");
                        Ok(())
                    }
                    Err(error) => Err(error),
                }
            }
            Err(error) => Err(error),
        },
    };
    match outcome {
        Err(error) if error.status.is_client_error() => {
            let reason = text(Lang::Fr, error.fields.first().map_or(error.message.key, |f| f.message.key)).to_owned();
            decline(services, &record, activity, &reason).await?;
            tracing::info!(exchange.id = %record.id, exchange.move = name, actor = %sender.id, "exchange move declined: {}", error.message.key);
            Ok(())
        }
        other => other,
    }
}

/// Tells the asking instance that its move was not applied.
async fn decline(
    services: &Services,
    record: &ExchangeRecord,
    activity: &ExchangeActivity,
    reason: &str,
) -> AppResult<()> {
    let mut tx = services.write().await?;
    wire::publish_refusal(services, &mut tx, record, &activity.id, reason).await?;
    tx.commit().await?;
    Ok(())
}

/// On an exchange another instance hosts, a move it tells us of: applied in version order.
async fn guest_receives(
    services: &Services,
    record: ExchangeRecord,
    sender_side: Party,
    activity: &ExchangeActivity,
) -> AppResult<()> {
    if activity.declined {
        let ours = record
            .pending
            .as_ref()
            .is_some_and(|p| activity.answers.as_ref().is_some_and(|a| a.as_str() == p.activity));
        if ours {
            let mut tx = services.write().await?;
            exchanges::set_pending(&mut tx, &record.id, None).await?;
            let note = MessageText::parse("body", &activity.text).ok();
            if let Some(note) = note {
                let mut entry = message_entry(sender_side, note, sent_at(activity));
                entry.ap_id = Some(activity.id.to_string());
                exchanges::add_entry(&mut tx, &record.id, &entry).await?;
            }
            tx.commit().await?;
            tracing::info!(exchange.id = %record.id, "our move was declined by the host");
        }
        return Ok(());
    }
    let version = activity.version.unwrap_or(record.exchange.version + 1);
    if version <= record.exchange.version {
        tracing::debug!(exchange.id = %record.id, version, "a move already applied: ignored");
        return Ok(());
    }
    if version > record.exchange.version + 1 {
        let json = serde_json::to_string(activity).map_err(AppError::internal)?;
        exchanges::keep_early_move(&mut *services.conn().await?, &record.id, version, &json, now_ms()).await?;
        tracing::info!(exchange.id = %record.id, version, have = record.exchange.version, "a move came early: kept");
        return Ok(());
    }
    let mut record = apply_told(services, record, sender_side, activity).await?;
    // The moves that came early and follow it.
    loop {
        let next = record.exchange.version + 1;
        let Some(json) = exchanges::take_early_move(&mut *services.conn().await?, &record.id, next).await? else {
            return Ok(());
        };
        let early: ExchangeActivity = serde_json::from_str(&json).map_err(AppError::internal)?;
        record = apply_told(services, record, sender_side, &early).await?;
    }
}

/// Applies a move the host tells us of, made by its member or (relayed) by ours.
async fn apply_told(
    services: &Services,
    record: ExchangeRecord,
    sender_side: Party,
    activity: &ExchangeActivity,
) -> AppResult<ExchangeRecord> {
    let by = match &activity.moved_by {
        Some(actor) => record
            .side_of_actor(actor.as_str())
            .ok_or_else(|| AppError::forbidden_because("a move said to be made by someone outside the exchange"))?,
        None => sender_side,
    };
    let name = move_name_of(activity, &record).ok_or_else(|| AppError::refused("no move named"))?;
    let mv = received_move(services, &record, &name, activity, false).await?;
    let mut tx = services.write().await?;
    let mut after = apply_in(services, &mut tx, record, by, mv, Some(activity.id.as_str()), false).await?;
    if activity.kind == ExchangeKind::Offer {
        exchanges::set_offer(&mut tx, &after.id, activity.id.as_str()).await?;
    }
    // Our member's move, relayed: it is no longer waiting.
    if by != sender_side {
        exchanges::set_pending(&mut tx, &after.id, None).await?;
        after.pending = None;
    }
    tx.commit().await?;
    tracing::info!(exchange.id = %after.id, exchange.move = name, version = after.exchange.version, "exchange move told by its host");
    Ok(after)
}
