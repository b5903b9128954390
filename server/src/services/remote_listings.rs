//! Listings from other instances: stored when a peer or a followed author sends them, changed and
//! deleted by their author only, dropped when we stop following. And backfill: once a peer accepts us, the listings it published before are fetched from its
//! instance actor's outbox (signed fetches; the `federation` crate reads the pages).
//!
//! Each listing needs its author's actor, fetched from the peer too. A peer that is slow or busy
//! (making its members' keys on demand, say) may fail some of these fetches: those listings are
//! tried again a few times, with pauses, rather than missing from the catalogue until their next
//! edit. What the peer refuses for good (a listing that fails validation) is not tried again.

use std::time::Duration;

use maillage_federation::FederationError;
use maillage_federation::proposal::Proposal;

use maillage_federation::RemoteActor;
use maillage_federation::urls::domain_of;
use url::Url;

use crate::domain::ids::{ListingId, now_ms};
use crate::domain::listing::{ListingDraft, ListingInput, NumberInput, PriceInput};
use crate::domain::photo::{AltText, MAX_PHOTOS};
use crate::error::{AppError, AppResult};
use crate::services::Services;
use crate::storage::{follows, images, listings, peers, remote_actors};

/// At most this many outbox pages are read per backfill (10,000 listings from a Maillage peer).
const MAX_PAGES: usize = 500;
/// Rounds of a backfill: the first reads the outbox, the others retry what failed for a passing
/// reason, after these pauses.
const RETRY_PAUSES: [Duration; 4] =
    [Duration::from_secs(2), Duration::from_secs(10), Duration::from_secs(30), Duration::from_secs(120)];

/// What one round did.
struct Round {
    stored: usize,
    /// Listings whose author could not be fetched for a passing reason: tried again.
    retry: Vec<Proposal>,
}

/// Reads a new peer's outbox in the background and stores its listings.
pub(crate) fn backfill(services: &Services, domain: String) {
    let services = services.clone();
    tokio::spawn(async move {
        let mut pending: Option<Vec<Proposal>> = None;
        let mut stored = 0;
        for pause in std::iter::once(Duration::ZERO).chain(RETRY_PAUSES) {
            tokio::time::sleep(pause).await;
            match backfill_round(&services, &domain, pending.take()).await {
                Ok(round) => {
                    stored += round.stored;
                    if round.retry.is_empty() {
                        tracing::info!(%domain, count = stored, "backfill done");
                        return;
                    }
                    tracing::info!(%domain, waiting = round.retry.len(), "backfill: some listings are tried again");
                    pending = Some(round.retry);
                }
                // The outbox itself could not be read: the next round reads it again.
                Err(e) => tracing::warn!(%domain, error = %e, "backfill failed"),
            }
        }
        tracing::warn!(%domain, count = stored, "backfill gave up on some listings (they come with their next edit)");
    });
}

/// Stores the listings of `pending`, or of the peer's outbox when `None`.
async fn backfill_round(services: &Services, domain: &str, pending: Option<Vec<Proposal>>) -> anyhow::Result<Round> {
    let federation = services.federation().ok_or_else(|| anyhow::anyhow!("federation is not running"))?;
    let proposals = match pending {
        Some(proposals) => proposals,
        None => {
            let actor = remote_actors::remote_instance_actor(&mut *services.db().conn().await?, domain)
                .await?
                .ok_or_else(|| anyhow::anyhow!("no instance actor known for {domain}"))?;
            let outbox = actor.outbox.clone().ok_or_else(|| anyhow::anyhow!("{domain} has no outbox"))?;
            federation.outbox_proposals(&outbox, MAX_PAGES).await?
        }
    };
    let mut round = Round { stored: 0, retry: Vec::new() };
    for proposal in proposals {
        let author = match federation.actor(&proposal.attributed_to).await {
            Ok(author) => author,
            Err(e @ (FederationError::Unreachable(_) | FederationError::Port(_) | FederationError::Internal(_))) => {
                tracing::debug!(%domain, error = %e, "backfill: an author could not be fetched, for now");
                round.retry.push(proposal);
                continue;
            }
            Err(e) => {
                tracing::info!(%domain, error = %e, "backfill: an item was skipped");
                continue;
            }
        };
        match upserted(services, &author, &proposal).await {
            Ok(()) => round.stored += 1,
            Err(e) => tracing::info!(%domain, error = %e, "backfill: an item was skipped"),
        }
    }
    Ok(round)
}

/// A `Delete` of a listing: only its author may (another actor of the same server is refused
/// with a 403, and the listing stays). A `Delete` of something we do not hold is nothing to do.
pub(crate) async fn deleted(services: &Services, actor: &Url, object: &Url) -> AppResult<()> {
    let origin = domain_of(actor).unwrap_or_default();
    let collective = listings::collective_of_remote(&mut *services.conn().await?, object.as_str()).await?;
    match listings::delete_remote(&mut *services.conn().await?, &origin, object.as_str(), actor.as_str()).await? {
        listings::RemoteChange::Done => {
            // Published to one of our collectives: its Group tells its other members' servers.
            let ours = match &collective {
                Some(id) => crate::storage::collectives::by_id(&mut *services.conn().await?, id).await?,
                None => None,
            };
            if let Some(collective) = ours.filter(|c| c.is_ours()) {
                let delete = serde_json::json!({
                    "type": "Delete", "id": format!("{object}#delete"), "actor": actor, "object": object,
                });
                let mut tx = services.write().await?;
                crate::services::federation::collectives::publish_announce(
                    services,
                    &mut tx,
                    &collective,
                    &delete,
                    Some(&origin),
                )
                .await?;
                tx.commit().await?;
            }
            Ok(())
        }
        listings::RemoteChange::Absent => Ok(()),
        listings::RemoteChange::OtherAuthor => {
            Err(AppError::forbidden_because(format!("{actor} may not delete {object}: it is another actor's listing")))
        }
    }
}

/// After a follow ends: the author's listings leave the catalogue unless we still take them.
pub(crate) async fn drop_unfollowed(services: &Services, author: &Url) -> AppResult<()> {
    let Some(actor) = remote_actors::remote_actor(&mut *services.conn().await?, author.as_str()).await? else {
        return Ok(());
    };
    if !wanted_from(services, &actor).await? {
        let removed = listings::delete_by_remote_author(&mut *services.conn().await?, author.as_str()).await?;
        tracing::info!(%author, removed, "listings of an author no longer followed removed");
    }
    Ok(())
}

/// Whether we take listings from this author: from a peer we follow, or followed by a member
/// (the author, or the author's whole instance).
pub(crate) async fn wanted_from(services: &Services, author: &RemoteActor) -> AppResult<bool> {
    let mut conn = services.conn().await?;
    if peers::peer(&mut conn, &author.domain).await?.is_some_and(|peer| peer.we_receive()) {
        return Ok(true);
    }
    Ok(follows::is_followed_by_a_member(&mut conn, author.id.as_str()).await?
        || follows::instance_followed_by_a_member(&mut conn, &author.domain).await?)
}

pub(crate) async fn upserted(services: &Services, author: &RemoteActor, proposal: &Proposal) -> AppResult<()> {
    if !wanted_from(services, author).await? {
        tracing::debug!(author = %author.id, "listing from an instance we do not peer with: ignored");
        return Ok(());
    }
    store(services, author, proposal, None).await
}

/// Stores (or replaces) a listing received from another instance: seen by the audience it is
/// addressed to, or — `collective` — by the members of that collective alone.
pub(crate) async fn store(
    services: &Services,
    author: &RemoteActor,
    proposal: &Proposal,
    collective: Option<&crate::domain::ids::CollectiveId>,
) -> AppResult<()> {
    let data = proposal.to_listing_data();
    if data.status == "closed" {
        return deleted(services, &author.id, &proposal.id).await;
    }
    let public = proposal.to.iter().chain(&proposal.cc).any(|u| u.as_str() == maillage_federation::PUBLIC);
    let visibility = match (collective, public) {
        (Some(_), _) => "collective",
        (None, true) => "public",
        (None, false) => "peers",
    };
    // A service from software that counts it in pieces (`one`): a session, for us.
    let unit = if data.mode == "service" && data.unit == "piece" { "session".to_owned() } else { data.unit };
    let input = ListingInput {
        purpose: data.purpose,
        mode: data.mode,
        category: data.category,
        title: data.title,
        description: data.description,
        quantity: data.quantity.map(NumberInput::Number),
        unit: Some(unit),
        price_kind: data.price_kind,
        price: data.price_cents.map(PriceInput::Cents),
        reduced_price: data.reduced_price_cents.map(PriceInput::Cents),
        price_basis: Some(if data.per_unit { "per_unit" } else { "total" }.to_owned()),
        location_name: data.location_name,
        latitude: data.latitude.map(NumberInput::Number),
        longitude: data.longitude.map(NumberInput::Number),
        available_from: data.available_from,
        available_until: data.available_until,
        status: Some(data.status),
        visibility: Some(visibility.to_owned()),
        collective: collective.map(|id| id.as_str().to_owned()),
    };
    let draft = ListingDraft::parse(&input).map_err(|errors| {
        let fields: Vec<String> = errors.iter().map(|e| format!("{} ({})", e.field, e.message.key)).collect();
        AppError::refused(format!("listing {} refused: {}", proposal.id, fields.join(", ")))
    })?;
    let created_at = proposal
        .published
        .as_deref()
        .and_then(|p| time::OffsetDateTime::parse(p, &time::format_description::well_known::Rfc3339).ok())
        .map_or_else(now_ms, |t| (t.unix_timestamp_nanos() / 1_000_000) as i64);
    let page = proposal.url.as_ref().unwrap_or(&proposal.id).to_string();
    let source = listings::RemoteSource {
        origin: &author.domain,
        ap_id: proposal.id.as_str(),
        author: author.id.as_str(),
        page: &page,
    };
    let photos: Vec<(String, u32, u32, String)> = data
        .photos
        .iter()
        .filter_map(|p| {
            let url = p.url.as_ref()?.to_string();
            // Until the image is read, the size it announced shapes the page (4:3 when it says none).
            let (width, height) = match (p.width, p.height) {
                (Some(w), Some(h)) => (w, h),
                _ => (1280, 960),
            };
            Some((url, width, height, AltText::received(&p.alt).into_string()))
        })
        .take(MAX_PHOTOS)
        .collect();
    let photos: Vec<images::RemotePhoto<'_>> = photos
        .iter()
        .map(|(url, width, height, alt)| images::RemotePhoto { url, width: *width, height: *height, alt })
        .collect();
    let mut tx = services.write().await?;
    let change = listings::upsert_remote(&mut tx, &source, &draft, created_at.min(now_ms()), now_ms()).await?;
    if change == listings::RemoteChange::Done {
        images::replace_remote_photos(&mut tx, &ListingId::for_remote(source.ap_id), &photos, now_ms()).await?;
    }
    tx.commit().await?;
    match change {
        listings::RemoteChange::Done | listings::RemoteChange::Absent => Ok(()),
        listings::RemoteChange::OtherAuthor => Err(AppError::forbidden_because(format!(
            "{} may not change {}: it is another actor's listing",
            author.id, proposal.id
        ))),
    }
}
