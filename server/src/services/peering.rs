//! Peering between instances: their instance actors follow each other. What an admin does (ask,
//! accept, refuse, end, block, unblock, forget, retry) and what a peer's request or answer does
//! here (by the peering policy). Each change and the activities it causes are written in one
//! transaction; the allowed moves are those of `domain::peering::Peering`.

use maillage_federation::RemoteActor;
use maillage_federation::activities;
use maillage_federation::urls::domain_of;
use url::Url;

use crate::config::PeeringPolicy;
use crate::domain::actor::{ActorKey, OurActor};
use crate::domain::address::InstanceDomain;
use crate::domain::ids::{new_id, now_ms};
use crate::domain::peering::{Incoming, PeerState, Peering};
use crate::error::{AppError, AppResult};
use crate::services::federation::{blocked, look_up, outbound, unavailable};
use crate::services::{Services, Write};
use crate::storage::outbox::{self, DeliveryStatus};
use crate::storage::{followers, follows, listings, peers, remote_actors};

/// A peer with its state and how delivery to it goes.
#[derive(Debug, Clone)]
pub struct PeerView {
    pub peer: Peering,
    pub state: PeerState,
    pub name: Option<String>,
    pub delivery: DeliveryStatus,
    pub listings: i64,
}

fn bad_domain() -> AppError {
    AppError::field(crate::domain::FieldError::new("domain", "error.invalid_domain"))
}

fn parse_domain(domain: &str) -> AppResult<String> {
    Ok(InstanceDomain::parse(domain, "domain").map_err(AppError::field)?.as_str().to_owned())
}

/// What the policy makes of a peering request.
enum Decision {
    Accept,
    Reject,
    Wait,
}

/// The servers we deliver to that are not peers (members' followers and follows), with how
/// delivery to each goes.
pub async fn other_domains(services: &Services) -> AppResult<Vec<(String, DeliveryStatus)>> {
    Ok(outbox::other_domains(&mut *services.conn().await?).await?)
}

pub async fn peers(services: &Services) -> AppResult<Vec<PeerView>> {
    let mut conn = services.conn().await?;
    let mut out = Vec::new();
    for peer in peers::peers(&mut conn).await? {
        out.push(view_on(&mut conn, peer).await?);
    }
    Ok(out)
}

async fn peer_view(services: &Services, peer: Peering) -> AppResult<PeerView> {
    view_on(&mut *services.conn().await?, peer).await
}

/// A peering with what the admin pages show beside it, read on one connection.
async fn view_on(conn: &mut sqlx::AnyConnection, peer: Peering) -> AppResult<PeerView> {
    let name = remote_actors::remote_instance_actor(&mut *conn, &peer.domain).await?.map(|a| a.name);
    let delivery = outbox::status(&mut *conn, &peer.domain).await?;
    let listings = listings::count_from_origin(&mut *conn, &peer.domain).await?;
    Ok(PeerView { state: peer.state(), peer, name, delivery, listings })
}

pub async fn peer(services: &Services, domain: &str) -> AppResult<PeerView> {
    let domain = parse_domain(domain)?;
    let mut conn = services.conn().await?;
    match peers::peer(&mut conn, &domain).await? {
        Some(peer) => view_on(&mut conn, peer).await,
        None => Err(AppError::not_found()),
    }
}

/// Asks `domain` to peer: its instance actor is looked up (WebFinger `acct:DOMAIN@DOMAIN`) and
/// followed by ours.
pub async fn request(services: &Services, domain: &str) -> AppResult<PeerView> {
    let domain = parse_domain(domain)?;
    if domain == services.urls().domain() {
        return Err(AppError::new(axum::http::StatusCode::UNPROCESSABLE_ENTITY, "self_peering", "error.self_peering"));
    }
    let db = services.db();
    let existing = peers::peer(&mut *db.conn().await?, &domain).await?;
    if existing.as_ref().is_some_and(|p| p.blocked) {
        return Err(blocked());
    }
    let actor = look_up(services, &format!("{domain}@{domain}"), "domain", "error.not_an_instance").await?;
    if actor.domain != domain {
        return Err(unavailable(format!("{domain} names an actor on {}", actor.domain)));
    }
    let now = now_ms();
    let mut peer = existing.unwrap_or_else(|| Peering::new(&domain, now));
    peer.actor_id = Some(actor.id.to_string());
    peer.updated_at = now;
    let mut tx = services.write().await?;
    if peer.request() {
        outbound::follow(services, &mut tx, &OurActor::Instance, &actor).await?;
    }
    // They asked first and wait for us: asking back is accepting.
    if peer.is_pending() {
        queue_accept(services, &mut tx, &mut peer, &actor).await?;
    }
    peers::save_peer(&mut tx, &peer).await?;
    tx.commit().await?;
    tracing::info!(%domain, "peering requested");
    peer_view(services, peer).await
}

/// Accepts a pending peering request (policy `approval`).
pub async fn accept(services: &Services, domain: &str) -> AppResult<PeerView> {
    let domain = parse_domain(domain)?;
    let db = services.db();
    let pending = peers::peer(&mut *db.conn().await?, &domain).await?.ok_or_else(AppError::not_found)?;
    if !pending.is_pending() {
        return Err(AppError::new(axum::http::StatusCode::CONFLICT, "nothing_pending", "error.nothing_pending"));
    }
    let actor =
        remote_actors::remote_instance_actor(&mut *db.conn().await?, &domain).await?.ok_or_else(AppError::not_found)?;
    accept_them(services, pending, &actor).await?;
    tracing::info!(%domain, "peering request accepted by an admin");
    peer(services, &domain).await
}

/// Accepts their follow, and follows them back when we do not yet.
pub(crate) async fn accept_them(services: &Services, mut peer: Peering, actor: &RemoteActor) -> AppResult<()> {
    let mut tx = services.write().await?;
    queue_accept(services, &mut tx, &mut peer, actor).await?;
    if peer.follow_back() {
        outbound::follow(services, &mut tx, &OurActor::Instance, actor).await?;
    }
    peer.updated_at = now_ms();
    peers::save_peer(&mut tx, &peer).await?;
    tx.commit().await?;
    Ok(())
}

async fn queue_accept(
    services: &Services,
    tx: &mut Write,
    peer: &mut Peering,
    actor: &RemoteActor,
) -> Result<(), sqlx::Error> {
    let follow_id = peer.incoming_follow.clone().unwrap_or_else(|| actor.id.to_string());
    let follow_url = url::Url::parse(&follow_id).unwrap_or_else(|_| actor.id.clone());
    let id = new_id();
    let accept = activities::answer_follow(
        services.urls(),
        &id,
        &services.urls().instance_actor(),
        &follow_url,
        &actor.id,
        true,
    );
    followers::add_accepted_follower(&mut *tx, ActorKey::Instance, actor, &follow_id, now_ms()).await?;
    tx.publish_to(&id, &services.urls().domain(), &accept, actor.delivery_inbox()).await?;
    peer.accept_them();
    Ok(())
}

/// Refuses a pending request.
pub async fn reject(services: &Services, domain: &str) -> AppResult<PeerView> {
    let domain = parse_domain(domain)?;
    let db = services.db();
    let mut peer = peers::peer(&mut *db.conn().await?, &domain).await?.ok_or_else(AppError::not_found)?;
    if !peer.is_pending() {
        return Err(AppError::new(axum::http::StatusCode::CONFLICT, "nothing_pending", "error.nothing_pending"));
    }
    let actor =
        remote_actors::remote_instance_actor(&mut *db.conn().await?, &domain).await?.ok_or_else(AppError::not_found)?;
    let follow_url = peer.incoming_follow.as_deref().and_then(|f| url::Url::parse(f).ok()).unwrap_or(actor.id.clone());
    let id = new_id();
    let reject = activities::answer_follow(
        services.urls(),
        &id,
        &services.urls().instance_actor(),
        &follow_url,
        &actor.id,
        false,
    );
    peer.refuse_them();
    peer.updated_at = now_ms();
    let mut tx = services.write().await?;
    peers::save_peer(&mut tx, &peer).await?;
    tx.publish_to(&id, &services.urls().domain(), &reject, actor.delivery_inbox()).await?;
    tx.commit().await?;
    peer_view(services, peer).await
}

/// Ends a peering: we stop following them (`Undo(Follow)`), they stop following us
/// (`Reject(Follow)`, which removes a follower), and their listings leave our catalogue.
pub async fn unpeer(services: &Services, domain: &str) -> AppResult<()> {
    let domain = parse_domain(domain)?;
    let db = services.db();
    let mut peer = peers::peer(&mut *db.conn().await?, &domain).await?.ok_or_else(AppError::not_found)?;
    let actor = remote_actors::remote_instance_actor(&mut *db.conn().await?, &domain).await?;
    let mut tx = services.write().await?;
    if let Some(actor) = &actor
        && !peer.blocked
    {
        queue_end(services, &mut tx, &peer, actor).await?;
    }
    followers::remove_followers_on(&mut tx, &domain).await?;
    let removed = listings::delete_from_origin(&mut tx, &domain).await?;
    peer.end();
    peer.updated_at = now_ms();
    peers::save_peer(&mut tx, &peer).await?;
    tx.commit().await?;
    tracing::info!(%domain, removed, "unpeered");
    Ok(())
}

async fn queue_end(
    services: &Services,
    tx: &mut Write,
    peer: &Peering,
    actor: &RemoteActor,
) -> Result<(), sqlx::Error> {
    let signer = services.urls().domain();
    for (id, activity) in end_messages(services, peer, actor).await? {
        tx.publish_to(&id, &signer, &activity, actor.delivery_inbox()).await?;
    }
    follows::remove_follow(&mut *tx, ActorKey::Instance, actor.id.as_str()).await?;
    Ok(())
}

/// What tells a peer the peering is over: `Undo` of our `Follow`, `Reject` of theirs.
async fn end_messages(
    services: &Services,
    peer: &Peering,
    actor: &RemoteActor,
) -> Result<Vec<(String, serde_json::Value)>, sqlx::Error> {
    let me = services.urls().instance_actor();
    let mut out = Vec::new();
    if peer.we_asked() {
        let follow_id = follows::follow(&mut *services.db().conn().await?, ActorKey::Instance, actor.id.as_str())
            .await?
            .and_then(|f| url::Url::parse(&f.follow_id).ok())
            .unwrap_or_else(|| services.urls().activity(&new_id()));
        let id = new_id();
        out.push((id.clone(), activities::undo_follow(services.urls(), &id, &me, &follow_id, &actor.id)));
    }
    if peer.they_receive() || peer.is_pending() {
        let follow_url =
            peer.incoming_follow.as_deref().and_then(|f| url::Url::parse(f).ok()).unwrap_or(actor.id.clone());
        let id = new_id();
        out.push((id.clone(), activities::answer_follow(services.urls(), &id, &me, &follow_url, &actor.id, false)));
    }
    Ok(out)
}

/// Before a block: tells the peer, directly and once, that the peering is over, so that it
/// stops showing our listings and stops counting us as a peer (nothing is sent after the block).
async fn say_farewell(services: &Services, peer: &Peering) {
    let (Some(federation), Ok(Some(actor))) = (
        services.federation(),
        async { remote_actors::remote_instance_actor(&mut *services.db().conn().await?, &peer.domain).await }.await,
    ) else {
        return;
    };
    let Ok(signer) = crate::services::federation::actors::instance_actor(services).await else { return };
    let Ok(messages) = end_messages(services, peer, &actor).await else { return };
    for (_, activity) in messages {
        if let Err(error) = federation.send(&signer, &activity.to_string(), actor.delivery_inbox()).await {
            tracing::info!(domain = %peer.domain, %error, "could not tell a blocked peer the peering is over");
        }
    }
}

/// Forgets everything about a domain without telling it (it may be gone for good): the peering,
/// its followers, its listings, what was queued for it.
pub async fn forget(services: &Services, domain: &str) -> AppResult<()> {
    let domain = parse_domain(domain)?;
    let mut tx = services.write().await?;
    peers::delete_peer(&mut tx, &domain).await?;
    followers::remove_followers_on(&mut tx, &domain).await?;
    listings::delete_from_origin(&mut tx, &domain).await?;
    outbox::drop_deliveries_to(&mut tx, &domain).await?;
    tx.commit().await?;
    tracing::info!(%domain, "peer forgotten");
    Ok(())
}

/// Blocks a domain: nothing is accepted from it or sent to it, its listings and followers go.
pub async fn block(services: &Services, domain: &str) -> AppResult<PeerView> {
    let domain = parse_domain(domain)?;
    if domain == services.urls().domain() {
        return Err(bad_domain());
    }
    let db = services.db();
    let now = now_ms();
    let mut peer = peers::peer(&mut *db.conn().await?, &domain).await?.unwrap_or_else(|| Peering::new(&domain, now));
    if !peer.blocked {
        say_farewell(services, &peer).await;
    }
    let mut tx = services.write().await?;
    follows::remove_follow(&mut tx, ActorKey::Instance, peer.actor_id.as_deref().unwrap_or_default()).await?;
    peer.block();
    peer.updated_at = now;
    peers::save_peer(&mut tx, &peer).await?;
    followers::remove_followers_on(&mut tx, &domain).await?;
    listings::delete_from_origin(&mut tx, &domain).await?;
    outbox::drop_deliveries_to(&mut tx, &domain).await?;
    tx.commit().await?;
    tracing::warn!(%domain, "domain blocked");
    peer_view(services, peer).await
}

pub async fn unblock(services: &Services, domain: &str) -> AppResult<PeerView> {
    let domain = parse_domain(domain)?;
    let db = services.db();
    let mut peer = peers::peer(&mut *db.conn().await?, &domain).await?.ok_or_else(AppError::not_found)?;
    peer.unblock();
    peer.updated_at = now_ms();
    peers::save_peer(&mut *db.conn().await?, &peer).await?;
    tracing::info!(%domain, "domain unblocked");
    peer_view(services, peer).await
}

/// Tries the deliveries waiting for `domain` now (an admin's "retry").
pub async fn retry(services: &Services, domain: &str) -> AppResult<PeerView> {
    let domain = parse_domain(domain)?;
    outbox::retry_now(&mut *services.db().conn().await?, &domain).await?;
    services.wake();
    peer(services, &domain).await
}

/// Another instance's actor asks to peer: accepted, refused or left for an admin, by policy.
pub(crate) async fn requested(services: &Services, follow_id: &Url, follower: &RemoteActor) -> AppResult<()> {
    let now = now_ms();
    let existing = peers::peer(&mut *services.conn().await?, &follower.domain).await?;
    let mut peer = existing.clone().unwrap_or_else(|| Peering::new(&follower.domain, now));
    peer.asked_by(follower.id.as_str(), follow_id.as_str());
    peer.updated_at = now;
    let policy = services.config().federation.policy;
    let we_asked = peer.we_asked();
    let listed = services.config().federation.allowlist.iter().any(|d| d.eq_ignore_ascii_case(&follower.domain));
    let decision = if peer.incoming == Incoming::Accepted || we_asked {
        Decision::Accept
    } else {
        match policy {
            PeeringPolicy::Open => Decision::Accept,
            PeeringPolicy::Allowlist if listed => Decision::Accept,
            PeeringPolicy::Allowlist => Decision::Reject,
            PeeringPolicy::Approval => Decision::Wait,
        }
    };
    match decision {
        Decision::Wait => {
            peer.wait_for_approval();
            peers::save_peer(&mut *services.conn().await?, &peer).await?;
            tracing::info!(domain = %peer.domain, "peering request waits for an admin");
            Ok(())
        }
        Decision::Reject => {
            peer.refuse_them();
            let id = new_id();
            let reject = activities::answer_follow(
                services.urls(),
                &id,
                &services.urls().instance_actor(),
                follow_id,
                &follower.id,
                false,
            );
            let mut tx = services.write().await?;
            peers::save_peer(&mut tx, &peer).await?;
            tx.publish_to(&id, &services.urls().domain(), &reject, follower.delivery_inbox()).await?;
            tx.commit().await?;
            tracing::info!(domain = %peer.domain, "peering request refused (not on the allowlist)");
            Ok(())
        }
        Decision::Accept => accept_them(services, peer, follower).await,
    }
}

/// A peer's instance actor stopped following ours (`Undo(Follow)`): they no longer receive our
/// listings. An undo by any other actor of that domain changes nothing here.
pub(crate) async fn they_left(services: &Services, follower: &Url) -> AppResult<()> {
    if let Some(domain) = domain_of(follower)
        && let Some(mut peer) = peers::peer(&mut *services.conn().await?, &domain).await?
        && peer.actor_id.as_deref() == Some(follower.as_str())
    {
        peer.they_left();
        peer.updated_at = now_ms();
        peers::save_peer(&mut *services.conn().await?, &peer).await?;
        tracing::info!(%domain, "peer stopped following us");
    }
    Ok(())
}

/// A peer's answer to our instance actor's follow: accepted, we take its listings (and read the
/// ones it published before); refused or ended, its listings leave our catalogue.
pub(crate) async fn answered(services: &Services, actor: &Url, accepted: bool) -> AppResult<()> {
    let Some(domain) = domain_of(actor) else { return Ok(()) };
    let Some(mut peer) = peers::peer(&mut *services.conn().await?, &domain).await? else { return Ok(()) };
    if peer.actor_id.as_deref() != Some(actor.as_str()) || !peer.we_asked() {
        return Ok(());
    }
    peer.answered(accepted);
    peer.updated_at = now_ms();
    peers::save_peer(&mut *services.conn().await?, &peer).await?;
    if accepted {
        tracing::info!(%domain, "peering accepted: fetching their listings");
        crate::services::remote_listings::backfill(services, domain);
    } else {
        let removed = listings::delete_from_origin(&mut *services.conn().await?, &domain).await?;
        tracing::info!(%domain, removed, "peering refused or ended by the other side");
    }
    Ok(())
}
