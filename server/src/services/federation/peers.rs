//! Peering between instances (their instance actors follow each other), blocking, and members
//! following remote actors. Admin and member actions; each change and the activities it causes are
//! written in one transaction.

use maillage_federation::activities;
use maillage_federation::{FederationError, RemoteActor};
use serde::Serialize;

use super::Federator;
use crate::domain::address::{InstanceDomain, RemoteAccount};
use crate::domain::ids::{new_id, now_ms};
use crate::domain::member::Member;
use crate::error::{AppError, AppResult};
use crate::storage::federation::{self as store, FollowRow, INSTANCE, PeerRow};
use crate::storage::listings;
use crate::storage::outbox::{self, DeliveryStatus};

/// A peering's state, as admins see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PeerState {
    /// We asked; they have not answered yet.
    Requested,
    /// They asked; an admin of ours has to decide.
    PendingApproval,
    /// Both follow each other: listings flow both ways.
    Peered,
    /// They refused, or ended it.
    Refused,
    Blocked,
    /// Nothing any more (after unpeering).
    None,
}

impl PeerState {
    pub fn of(peer: &PeerRow) -> Self {
        if peer.blocked {
            return PeerState::Blocked;
        }
        match (peer.outgoing.as_str(), peer.incoming.as_str()) {
            (_, "pending") => PeerState::PendingApproval,
            ("accepted", "accepted") => PeerState::Peered,
            ("rejected", _) | (_, "rejected") => PeerState::Refused,
            ("requested", _) | ("accepted", _) => PeerState::Requested,
            (_, "accepted") => PeerState::Requested,
            _ => PeerState::None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            PeerState::Requested => "requested",
            PeerState::PendingApproval => "pending_approval",
            PeerState::Peered => "peered",
            PeerState::Refused => "refused",
            PeerState::Blocked => "blocked",
            PeerState::None => "none",
        }
    }
}

/// A peer with its state and how delivery to it goes.
#[derive(Debug, Clone)]
pub struct PeerView {
    pub peer: PeerRow,
    pub state: PeerState,
    pub name: Option<String>,
    pub delivery: DeliveryStatus,
    pub listings: i64,
}

/// One of a member's follows.
#[derive(Debug, Clone)]
pub struct FollowView {
    pub follow: FollowRow,
    pub actor: Option<RemoteActor>,
}

fn bad_domain() -> AppError {
    AppError::field(crate::domain::FieldError::new("domain", "error.invalid_domain"))
}

fn parse_domain(domain: &str) -> AppResult<String> {
    Ok(InstanceDomain::parse(domain, "domain").map_err(AppError::field)?.as_str().to_owned())
}

fn unavailable(error: impl std::fmt::Display) -> AppError {
    tracing::info!(%error, "remote instance unreachable or refused");
    AppError::new(axum::http::StatusCode::BAD_GATEWAY, "remote_unreachable", "error.remote_unreachable")
}

/// What a failed lookup of `field` (a domain or an account) means for the person who typed it.
fn lookup_failed(error: FederationError, field: &'static str, not_found: &'static str) -> AppError {
    match error {
        FederationError::NotFound => AppError::field(crate::domain::FieldError::new(field, not_found)),
        // Our own rules forbid the address (an IP, a port or http in production): nothing was sent.
        FederationError::NotAllowed(why) => {
            tracing::info!(why, field, "address refused before any request");
            AppError::field(crate::domain::FieldError::new(field, "error.address_not_allowed"))
        }
        other => unavailable(other),
    }
}

impl Federator {
    fn running(&self) -> AppResult<&maillage_federation::Federation> {
        self.federation().ok_or_else(|| {
            AppError::new(axum::http::StatusCode::CONFLICT, "federation_disabled", "error.federation_disabled")
        })
    }

    pub async fn peers(&self) -> AppResult<Vec<PeerView>> {
        let mut out = Vec::new();
        for peer in store::peers(self.db()).await? {
            out.push(self.peer_view(peer).await?);
        }
        Ok(out)
    }

    async fn peer_view(&self, peer: PeerRow) -> AppResult<PeerView> {
        let db = self.db();
        let name = store::remote_instance_actor(db, &peer.domain).await?.map(|a| a.name);
        let delivery = outbox::status(db, &peer.domain).await?;
        let listings = listings::count_from_origin(db, &peer.domain).await?;
        Ok(PeerView { state: PeerState::of(&peer), peer, name, delivery, listings })
    }

    pub async fn peer(&self, domain: &str) -> AppResult<PeerView> {
        let domain = parse_domain(domain)?;
        match store::peer(&self.db().pool, &domain).await? {
            Some(peer) => self.peer_view(peer).await,
            None => Err(AppError::not_found()),
        }
    }

    /// Asks `domain` to peer: its instance actor is looked up (WebFinger `acct:DOMAIN@DOMAIN`) and
    /// followed by ours.
    pub async fn request_peering(&self, domain: &str) -> AppResult<PeerView> {
        let domain = parse_domain(domain)?;
        if domain == self.urls().domain() {
            return Err(AppError::new(
                axum::http::StatusCode::UNPROCESSABLE_ENTITY,
                "self_peering",
                "error.self_peering",
            ));
        }
        let db = self.db();
        let existing = store::peer(&db.pool, &domain).await?;
        if existing.as_ref().is_some_and(|p| p.blocked) {
            return Err(AppError::new(axum::http::StatusCode::CONFLICT, "blocked", "error.peer_blocked"));
        }
        let federation = self.running()?;
        let actor = federation
            .resolve_handle(&format!("{domain}@{domain}"))
            .await
            .map_err(|e| lookup_failed(e, "domain", "error.not_an_instance"))?;
        if actor.domain != domain {
            return Err(unavailable(format!("{domain} names an actor on {}", actor.domain)));
        }
        let now = now_ms();
        let mut peer = existing.unwrap_or_else(|| new_peer(&domain, now));
        peer.actor_id = Some(actor.id.to_string());
        peer.updated_at = now;
        let mut tx = db.begin_write().await?;
        if peer.outgoing != "accepted" {
            peer.outgoing = "requested".into();
            self.queue_follow(&mut tx, INSTANCE, &self.urls().domain(), &actor).await?;
        }
        // They asked first and wait for us: asking back is accepting.
        if peer.incoming == "pending" {
            self.queue_accept_peer(&mut tx, &mut peer, &actor).await?;
        }
        store::save_peer(&mut *tx, &peer).await?;
        tx.commit().await?;
        self.wake();
        tracing::info!(%domain, "peering requested");
        self.peer_view(peer).await
    }

    /// Accepts a pending peering request (policy `approval`).
    pub async fn accept_peering(&self, domain: &str) -> AppResult<PeerView> {
        let domain = parse_domain(domain)?;
        let db = self.db();
        let peer = store::peer(&db.pool, &domain).await?.ok_or_else(AppError::not_found)?;
        if peer.incoming != "pending" {
            return Err(AppError::new(axum::http::StatusCode::CONFLICT, "nothing_pending", "error.nothing_pending"));
        }
        let actor = store::remote_instance_actor(db, &domain).await?.ok_or_else(AppError::not_found)?;
        self.accept_peer_row(peer, &actor).await?;
        tracing::info!(%domain, "peering request accepted by an admin");
        self.peer(&domain).await
    }

    /// Accepts their follow, and follows them back when we do not yet.
    pub(super) async fn accept_peer_row(&self, mut peer: PeerRow, actor: &RemoteActor) -> Result<(), sqlx::Error> {
        let mut tx = self.db().begin_write().await?;
        self.queue_accept_peer(&mut tx, &mut peer, actor).await?;
        if peer.outgoing == "none" || peer.outgoing == "rejected" {
            peer.outgoing = "requested".into();
            self.queue_follow(&mut tx, INSTANCE, &self.urls().domain(), actor).await?;
        }
        peer.updated_at = now_ms();
        store::save_peer(&mut *tx, &peer).await?;
        tx.commit().await?;
        self.wake();
        Ok(())
    }

    async fn queue_accept_peer(
        &self,
        tx: &mut sqlx::AnyConnection,
        peer: &mut PeerRow,
        actor: &RemoteActor,
    ) -> Result<(), sqlx::Error> {
        let follow_id = peer.incoming_follow.clone().unwrap_or_else(|| actor.id.to_string());
        let follow_url = url::Url::parse(&follow_id).unwrap_or_else(|_| actor.id.clone());
        let id = new_id();
        let accept =
            activities::answer_follow(self.urls(), &id, &self.urls().instance_actor(), &follow_url, &actor.id, true);
        store::add_follower(&mut *tx, INSTANCE, actor, &follow_id, "accepted", now_ms()).await?;
        self.queue_to(tx, &id, &self.urls().domain(), &accept, actor.delivery_inbox()).await?;
        peer.incoming = "accepted".into();
        Ok(())
    }

    async fn queue_follow(
        &self,
        tx: &mut sqlx::AnyConnection,
        local_actor: &str,
        signer: &str,
        target: &RemoteActor,
    ) -> Result<(), sqlx::Error> {
        let id = new_id();
        let follower = if local_actor == INSTANCE { self.urls().instance_actor() } else { self.urls().member(signer) };
        let follow = activities::follow(self.urls(), &id, &follower, &target.id);
        let row = FollowRow {
            local_actor: local_actor.to_owned(),
            target: target.id.to_string(),
            follow_id: self.urls().activity(&id).to_string(),
            state: "requested".into(),
        };
        store::save_follow(&mut *tx, &row, now_ms()).await?;
        self.queue_to(tx, &id, signer, &follow, target.delivery_inbox()).await
    }

    /// Refuses a pending request.
    pub async fn reject_peering(&self, domain: &str) -> AppResult<PeerView> {
        let domain = parse_domain(domain)?;
        let db = self.db();
        let mut peer = store::peer(&db.pool, &domain).await?.ok_or_else(AppError::not_found)?;
        if peer.incoming != "pending" {
            return Err(AppError::new(axum::http::StatusCode::CONFLICT, "nothing_pending", "error.nothing_pending"));
        }
        let actor = store::remote_instance_actor(db, &domain).await?.ok_or_else(AppError::not_found)?;
        let follow_url =
            peer.incoming_follow.as_deref().and_then(|f| url::Url::parse(f).ok()).unwrap_or(actor.id.clone());
        let id = new_id();
        let reject =
            activities::answer_follow(self.urls(), &id, &self.urls().instance_actor(), &follow_url, &actor.id, false);
        peer.incoming = "rejected".into();
        peer.updated_at = now_ms();
        let mut tx = db.begin_write().await?;
        store::save_peer(&mut *tx, &peer).await?;
        self.queue_to(&mut tx, &id, &self.urls().domain(), &reject, actor.delivery_inbox()).await?;
        tx.commit().await?;
        self.wake();
        self.peer_view(peer).await
    }

    /// Ends a peering: we stop following them (`Undo(Follow)`), they stop following us
    /// (`Reject(Follow)`, which removes a follower), and their listings leave our catalogue.
    pub async fn unpeer(&self, domain: &str) -> AppResult<()> {
        let domain = parse_domain(domain)?;
        let db = self.db();
        let mut peer = store::peer(&db.pool, &domain).await?.ok_or_else(AppError::not_found)?;
        let actor = store::remote_instance_actor(db, &domain).await?;
        let mut tx = db.begin_write().await?;
        if let Some(actor) = &actor
            && !peer.blocked
        {
            self.queue_end_of_peering(&mut tx, &peer, actor).await?;
        }
        store::remove_followers_on(&mut *tx, &domain).await?;
        let removed = listings::delete_from_origin(&mut *tx, &domain).await?;
        peer.outgoing = "none".into();
        peer.incoming = "none".into();
        peer.incoming_follow = None;
        peer.updated_at = now_ms();
        store::save_peer(&mut *tx, &peer).await?;
        tx.commit().await?;
        self.wake();
        tracing::info!(%domain, removed, "unpeered");
        Ok(())
    }

    async fn queue_end_of_peering(
        &self,
        tx: &mut sqlx::AnyConnection,
        peer: &PeerRow,
        actor: &RemoteActor,
    ) -> Result<(), sqlx::Error> {
        let signer = self.urls().domain();
        for (id, activity) in self.end_of_peering(peer, actor).await? {
            self.queue_to(tx, &id, &signer, &activity, actor.delivery_inbox()).await?;
        }
        store::remove_follow(&mut *tx, INSTANCE, actor.id.as_str()).await?;
        Ok(())
    }

    /// What tells a peer the peering is over: `Undo` of our `Follow`, `Reject` of theirs.
    async fn end_of_peering(
        &self,
        peer: &PeerRow,
        actor: &RemoteActor,
    ) -> Result<Vec<(String, serde_json::Value)>, sqlx::Error> {
        let me = self.urls().instance_actor();
        let mut out = Vec::new();
        if peer.outgoing != "none" {
            let follow_id = store::follow(self.db(), INSTANCE, actor.id.as_str())
                .await?
                .and_then(|f| url::Url::parse(&f.follow_id).ok())
                .unwrap_or_else(|| self.urls().activity(&new_id()));
            let id = new_id();
            out.push((id.clone(), activities::undo_follow(self.urls(), &id, &me, &follow_id, &actor.id)));
        }
        if peer.incoming == "accepted" || peer.incoming == "pending" {
            let follow_url =
                peer.incoming_follow.as_deref().and_then(|f| url::Url::parse(f).ok()).unwrap_or(actor.id.clone());
            let id = new_id();
            out.push((id.clone(), activities::answer_follow(self.urls(), &id, &me, &follow_url, &actor.id, false)));
        }
        Ok(out)
    }

    /// Before a block: tells the peer, directly and once, that the peering is over, so that it
    /// stops showing our listings and stops counting us as a peer (nothing is sent after the block).
    async fn say_farewell(&self, peer: &PeerRow) {
        let (Some(federation), Ok(Some(actor))) =
            (self.federation(), store::remote_instance_actor(self.db(), &peer.domain).await)
        else {
            return;
        };
        let Ok(signer) = self.instance_actor().await else { return };
        let Ok(messages) = self.end_of_peering(peer, &actor).await else { return };
        for (_, activity) in messages {
            if let Err(error) = federation.send(&signer, &activity.to_string(), actor.delivery_inbox()).await {
                tracing::info!(domain = %peer.domain, %error, "could not tell a blocked peer the peering is over");
            }
        }
    }

    /// Forgets everything about a domain without telling it (it may be gone for good): the peering,
    /// its followers, its listings, what was queued for it.
    pub async fn forget(&self, domain: &str) -> AppResult<()> {
        let domain = parse_domain(domain)?;
        let mut tx = self.db().begin_write().await?;
        store::delete_peer(&mut *tx, &domain).await?;
        store::remove_followers_on(&mut *tx, &domain).await?;
        listings::delete_from_origin(&mut *tx, &domain).await?;
        outbox::drop_deliveries_to(&mut tx, &domain).await?;
        tx.commit().await?;
        tracing::info!(%domain, "peer forgotten");
        Ok(())
    }

    /// Blocks a domain: nothing is accepted from it or sent to it, its listings and followers go.
    pub async fn block(&self, domain: &str) -> AppResult<PeerView> {
        let domain = parse_domain(domain)?;
        if domain == self.urls().domain() {
            return Err(bad_domain());
        }
        let db = self.db();
        let now = now_ms();
        let mut peer = store::peer(&db.pool, &domain).await?.unwrap_or_else(|| new_peer(&domain, now));
        if !peer.blocked {
            self.say_farewell(&peer).await;
        }
        let mut tx = db.begin_write().await?;
        store::remove_follow(&mut *tx, INSTANCE, peer.actor_id.as_deref().unwrap_or_default()).await?;
        peer.blocked = true;
        peer.outgoing = "none".into();
        peer.incoming = "none".into();
        peer.incoming_follow = None;
        peer.updated_at = now;
        store::save_peer(&mut *tx, &peer).await?;
        store::remove_followers_on(&mut *tx, &domain).await?;
        listings::delete_from_origin(&mut *tx, &domain).await?;
        outbox::drop_deliveries_to(&mut tx, &domain).await?;
        tx.commit().await?;
        tracing::warn!(%domain, "domain blocked");
        self.peer_view(peer).await
    }

    pub async fn unblock(&self, domain: &str) -> AppResult<PeerView> {
        let domain = parse_domain(domain)?;
        let db = self.db();
        let mut peer = store::peer(&db.pool, &domain).await?.ok_or_else(AppError::not_found)?;
        peer.blocked = false;
        peer.updated_at = now_ms();
        store::save_peer(&db.pool, &peer).await?;
        tracing::info!(%domain, "domain unblocked");
        self.peer_view(peer).await
    }

    /// Tries the deliveries waiting for `domain` now (an admin's "retry").
    pub async fn retry(&self, domain: &str) -> AppResult<PeerView> {
        let domain = parse_domain(domain)?;
        outbox::retry_now(self.db(), &domain).await?;
        self.wake();
        self.peer(&domain).await
    }

    // ---- members following remote actors -------------------------------------------------------

    /// `member` follows the remote account `handle` (`user@host`).
    pub async fn follow(&self, member: &Member, handle: &str) -> AppResult<FollowView> {
        // Host names have no case: `Coop.fr` is `coop.fr` (for the block list too).
        let account = RemoteAccount::parse(handle, "account").map_err(AppError::field)?;
        let (user, host) = (account.user.as_str(), account.domain.as_str());
        if host == self.urls().domain() {
            return Err(AppError::field(crate::domain::FieldError::new("account", "error.local_account")));
        }
        if store::is_blocked(self.db(), host).await? {
            return Err(AppError::new(axum::http::StatusCode::CONFLICT, "blocked", "error.peer_blocked"));
        }
        let federation = self.running()?;
        let actor = federation
            .resolve_handle(&format!("{user}@{host}"))
            .await
            .map_err(|e| lookup_failed(e, "account", "error.unknown_account"))?;
        // Already followed: nothing to ask again.
        if let Some(existing) = store::follow(self.db(), &member.id, actor.id.as_str()).await?
            && existing.state == "accepted"
        {
            return Ok(FollowView { follow: existing, actor: Some(actor) });
        }
        let mut tx = self.db().begin_write().await?;
        self.queue_follow(&mut tx, &member.id, member.username.as_str(), &actor).await?;
        tx.commit().await?;
        self.wake();
        let follow = store::follow(self.db(), &member.id, actor.id.as_str()).await?.ok_or_else(AppError::not_found)?;
        Ok(FollowView { follow, actor: Some(actor) })
    }

    /// Whether `member` follows (or asked to follow) the remote actor `actor_id`.
    pub async fn follows_actor(&self, member: &Member, actor_id: &str) -> AppResult<bool> {
        Ok(store::follow(self.db(), &member.id, actor_id).await?.is_some())
    }

    /// Whether `domain`'s listings reach us through peering (it accepted our instance's follow):
    /// following one of its members then adds nothing.
    pub async fn receives_from(&self, domain: &str) -> AppResult<bool> {
        Ok(store::peer(&self.db().pool, domain).await?.is_some_and(|p| p.outgoing == "accepted" && !p.blocked))
    }

    pub async fn follows(&self, member: &Member) -> AppResult<Vec<FollowView>> {
        Ok(store::follows_of(self.db(), &member.id)
            .await?
            .into_iter()
            .map(|(follow, actor)| FollowView { follow, actor })
            .collect())
    }

    /// Stops following `handle` (`user@host`, or the actor's id).
    pub async fn unfollow(&self, member: &Member, handle: &str) -> AppResult<()> {
        let follows = self.follows(member).await?;
        let handle = handle.trim().trim_start_matches('@');
        let found = follows.into_iter().find(|f| {
            f.follow.target == handle || f.actor.as_ref().is_some_and(|a| a.handle().eq_ignore_ascii_case(handle))
        });
        let Some(FollowView { follow, actor }) = found else {
            return Err(AppError::not_found());
        };
        let mut tx = self.db().begin_write().await?;
        if let Some(actor) = actor {
            let me = self.urls().member(member.username.as_str());
            let follow_id = url::Url::parse(&follow.follow_id).unwrap_or_else(|_| self.urls().activity(&new_id()));
            let id = new_id();
            let undo = activities::undo_follow(self.urls(), &id, &me, &follow_id, &actor.id);
            self.queue_to(&mut tx, &id, member.username.as_str(), &undo, actor.delivery_inbox()).await?;
        }
        store::remove_follow(&mut *tx, &member.id, &follow.target).await?;
        tx.commit().await?;
        self.wake();
        if let Ok(target) = url::Url::parse(&follow.target) {
            self.drop_listings_no_longer_followed(&target).await?;
        }
        Ok(())
    }

    /// The followers collection's size of one of our actors.
    pub async fn follower_count(&self, local_actor: &str) -> AppResult<i64> {
        Ok(store::count_followers(self.db(), local_actor).await?)
    }
}

/// A peer row for a domain we have no link with yet.
pub(super) fn new_peer(domain: &str, now: i64) -> PeerRow {
    PeerRow {
        domain: domain.to_owned(),
        actor_id: None,
        outgoing: "none".into(),
        incoming: "none".into(),
        incoming_follow: None,
        blocked: false,
        created_at: now,
        updated_at: now,
    }
}
