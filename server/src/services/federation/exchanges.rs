//! Exchanges between members of two instances, on the wire (`maillage_federation::agreement`).
//!
//! **The instance of the listing hosts the exchange.** It applies every move — its own member's at
//! once, the other member's when their instance asks — and tells the other instance each move it
//! applied, with the exchange's version once applied. The other instance (the guest) applies what
//! the host tells it in version order (a move that arrives early waits for the one before it, one
//! already applied is ignored), and shows a move its own member made as waiting until the host has
//! applied it or refused it. So both keep the same state machine, whatever the network does, and two
//! moves made at once on both sides cannot both apply: the host decides.
//!
//! This module builds and queues what we send (in the `Write` of the change, so that it is sent if
//! and only if the change is committed) and reads what we receive.

use maillage_federation::RemoteActor;
use maillage_federation::agreement::{AgreementData, ExchangeActivity, ExchangeKind, MessageOut, Outgoing};
use maillage_federation::proposal::action_of_mode;
use url::Url;

use super::rfc3339;
use crate::domain::exchange::{ExchangeRecord, Life, Move, Party, TermsInput};
use crate::domain::ids::{new_id, now_ms};
use crate::domain::listing::{Purpose, format_date};
use crate::error::{AppError, AppResult};
use crate::services::{Services, Write};
use crate::storage::{exchanges, members, remote_actors};

/// Whether this instance hosts the exchange: its listing is ours.
pub fn hosted_here(services: &Services, record: &ExchangeRecord) -> bool {
    Url::parse(&record.listing_ap_id).is_ok_and(|url| services.urls().is_local(&url))
}

/// The agreement as it stands in `record`.
pub fn agreement_data(record: &ExchangeRecord) -> AgreementData {
    let e = &record.exchange;
    let terms = e.terms.as_ref();
    AgreementData {
        id: Url::parse(&record.ap_id).ok(),
        proposal: Url::parse(&record.listing_ap_id).ok(),
        action: action_of_mode(e.mode.as_str()).to_owned(),
        quantity: terms.map(|t| t.quantity.as_f64()),
        unit: record.unit.as_str().to_owned(),
        from: terms.and_then(|t| t.from).map(format_date),
        until: terms.and_then(|t| t.until).map(format_date),
        at: terms.and_then(|t| t.at).map(crate::domain::exchange::format_time),
        in_return: terms.map(|t| t.in_return.clone()).unwrap_or_default(),
        price_cents: e.price.map(|p| p.cents()),
        provider: Url::parse(&record.provider.actor).ok(),
        receiver: Url::parse(&record.receiver.actor).ok(),
        state: Some(e.state.as_str().to_owned()),
        renewal_until: e.renewal.map(format_date),
    }
}

/// Terms as a received agreement gives them, to be checked as typed ones are.
pub fn terms_input(data: &AgreementData) -> TermsInput {
    TermsInput {
        quantity: data.quantity.map(|q| q.to_string()),
        from: data.from.clone(),
        until: data.until.clone(),
        at: data.at.clone(),
        in_return: Some(data.in_return.clone()).filter(|t| !t.is_empty()),
    }
}

/// One activity about an exchange with a member of another instance: its new id (under the
/// exchange's page here, so that an answer to it is recognised as being about an exchange), the
/// exchange's id on the wire, our member who signs it, and the other party it goes to.
struct Envelope {
    id: Url,
    exchange: Url,
    /// Our member's username, who signs.
    signer: String,
    ours: Url,
    theirs: RemoteActor,
}

impl Envelope {
    async fn new(services: &Services, record: &ExchangeRecord) -> AppResult<Self> {
        let side = record
            .our_side()
            .ok_or_else(|| AppError::internal(anyhow::anyhow!("not an exchange between instances")))?;
        let member = record.party(side).member.as_ref();
        let member = member.ok_or_else(|| AppError::internal(anyhow::anyhow!("no member of ours")))?;
        let mut conn = services.conn().await?;
        let member = members::by_id(&mut conn, member).await?.ok_or_else(AppError::not_found)?;
        let theirs_id = &record.party(side.other()).actor;
        let theirs = match remote_actors::remote_actor(&mut conn, theirs_id).await? {
            Some(actor) => actor,
            None => {
                drop(conn);
                let url = Url::parse(theirs_id).map_err(|_| AppError::not_found())?;
                services.running()?.actor(&url).await.map_err(|e| {
                    AppError::new(axum::http::StatusCode::BAD_GATEWAY, "unreachable", "error.exchange_unreachable")
                        .with_arg("reason", e)
                })?
            }
        };
        Ok(Self {
            id: services.urls().exchange(&format!("{}/activities/{}", record.id, new_id())),
            exchange: Url::parse(&record.ap_id).map_err(|e| AppError::internal(anyhow::anyhow!("exchange id: {e}")))?,
            signer: member.username.as_str().to_owned(),
            ours: services.urls().member(member.username.as_str()),
            theirs,
        })
    }

    /// The activity's shape, for the move `move_name` (made by `moved_by`, when we relay another's)
    /// that leaves the exchange at `version`.
    fn outgoing<'a>(&'a self, version: i64, move_name: &'a str, moved_by: Option<&'a Url>, at: i64) -> Outgoing<'a> {
        Outgoing {
            id: &self.id,
            actor: &self.ours,
            to: &self.theirs.id,
            exchange: &self.exchange,
            version,
            move_name,
            moved_by,
            published: rfc3339(at),
        }
    }

    /// Queues `activity` in `tx`, to the other party's inbox; returns its id.
    async fn send(self, tx: &mut Write, activity: &serde_json::Value) -> AppResult<String> {
        tx.publish_to(self.id.as_str(), &self.signer, activity, self.theirs.delivery_inbox()).await?;
        Ok(self.id.to_string())
    }
}

/// Queues, in `tx`, the activity telling the other instance of `mv`, made by `by` and applied to
/// `record` (or, for a guest, asked of the host: `record` is then as the move would leave it).
/// Returns the activity's id.
pub async fn publish_move(
    services: &Services,
    tx: &mut Write,
    record: &ExchangeRecord,
    by: Party,
    mv: &Move,
) -> AppResult<String> {
    let envelope = Envelope::new(services, record).await?;
    let relayed = record.party(by).member.is_none();
    let moved_by = relayed.then(|| Url::parse(&record.party(by).actor).ok()).flatten();
    let out = envelope.outgoing(record.exchange.version, mv.name(), moved_by.as_ref(), now_ms());
    let data = agreement_data(record);
    let offer = record.offer_ap_id.as_deref().and_then(|o| Url::parse(o).ok());
    let activity = match (mv, &offer) {
        (Move::Return | Move::Confirm | Move::CompleteByItself, _) => {
            out.receipt(&services.urls().exchange(&format!("{}/receipt", record.id)))
        }
        (Move::Propose(_) | Move::Counter(_), _) if !relayed => {
            exchanges::set_offer(tx, &record.id, envelope.id.as_str()).await?;
            out.offer(&data, "")
        }
        (Move::Accept, Some(offer)) if !relayed => out.accept(offer, &data),
        (Move::Refuse { reason }, Some(offer)) if !relayed => out.reject(offer, reason),
        (Move::Refuse { reason } | Move::Cancel { reason }, _) => out.update(&data, reason),
        _ => out.update(&data, ""),
    };
    envelope.send(tx, &activity).await
}

/// Queues, in `tx`, the first activity of an exchange our member starts on another instance's
/// listing: the `Offer` of its terms (with the message), or the message alone when it opens with a
/// question. The offer's id is recorded, for the answer.
pub async fn publish_opening(
    services: &Services,
    tx: &mut Write,
    record: &ExchangeRecord,
    message: Option<&str>,
) -> AppResult<()> {
    if record.exchange.terms.is_none() {
        return publish_message(services, tx, record, message.unwrap_or_default(), true).await;
    }
    let envelope = Envelope::new(services, record).await?;
    let out = envelope.outgoing(record.exchange.version, "propose", None, record.created_at);
    let activity = out.offer(&agreement_data(record), message.unwrap_or_default());
    exchanges::set_offer(tx, &record.id, envelope.id.as_str()).await?;
    envelope.send(tx, &activity).await?;
    Ok(())
}

/// Queues, in `tx`, a message of our member to the other party (`opening`: the question that opens
/// the conversation, which replies to the listing).
pub async fn publish_message(
    services: &Services,
    tx: &mut Write,
    record: &ExchangeRecord,
    text: &str,
    opening: bool,
) -> AppResult<()> {
    let envelope = Envelope::new(services, record).await?;
    let note = services.urls().exchange(&format!("{}/messages/{}", record.id, new_id()));
    let listing = Url::parse(&record.listing_ap_id).ok();
    let activity = MessageOut {
        activity_id: &envelope.id,
        note_id: &note,
        actor: &envelope.ours,
        to: &envelope.theirs.id,
        exchange: &envelope.exchange,
        in_reply_to: listing.as_ref().filter(|_| opening),
        text,
        published: rfc3339(now_ms()),
    }
    .to_json();
    envelope.send(tx, &activity).await?;
    Ok(())
}

/// Queues, in `tx`, the host's refusal of what the other instance sent (`answers`: the move it
/// asked for), said by our party of `record` to theirs.
pub async fn publish_refusal(
    services: &Services,
    tx: &mut Write,
    record: &ExchangeRecord,
    answers: &Url,
    reason: &str,
) -> AppResult<()> {
    let envelope = Envelope::new(services, record).await?;
    let activity = envelope.outgoing(record.exchange.version, "", None, now_ms()).decline(answers, reason);
    envelope.send(tx, &activity).await?;
    Ok(())
}

/// The move an exchange activity carries, by its name or, from software that does not name it, by
/// the activity (an `Accept` accepts, a `Reject` refuses, an `Offer` proposes or counters, a receipt
/// completes).
pub fn move_name_of(activity: &ExchangeActivity, record: &ExchangeRecord) -> Option<String> {
    if let Some(name) = activity.move_name.as_deref().filter(|n| !n.is_empty()) {
        return Some(name.to_owned());
    }
    Some(
        match activity.kind {
            ExchangeKind::Offer if record.exchange.state == crate::domain::exchange::ExchangeState::Question => {
                "propose"
            }
            ExchangeKind::Offer => "counter",
            ExchangeKind::Accept => "accept",
            ExchangeKind::Reject => "refuse",
            ExchangeKind::Receipt if record.exchange.life() == Life::Loan => "return",
            ExchangeKind::Receipt => "confirm",
            ExchangeKind::Update | ExchangeKind::Message => return None,
        }
        .to_owned(),
    )
}

/// The side that starts an exchange on a listing of `purpose`.
pub fn starter_of(purpose: Purpose) -> Party {
    crate::domain::exchange::starter_party(purpose == Purpose::Offer)
}
