//! Peering between instances (their instance actors follow each other), blocking, and members
//! following remote actors. Admin and member actions; each change and the activities it causes are
//! written in one transaction.

use maillage_federation::activities;
use maillage_federation::{FederationError, RemoteActor};

use super::Federator;
use crate::domain::address::{InstanceDomain, RemoteAccount};
use crate::domain::ids::{new_id, now_ms};
use crate::domain::member::Member;
use crate::domain::peering::{PeerState, Peering};
use crate::error::{AppError, AppResult};
use crate::services::Write;
use crate::storage::listings;
use crate::storage::outbox::{self, DeliveryStatus};
use crate::storage::{followers, follows, peers, remote_actors};
use crate::storage::{follows::FollowRow, keys::INSTANCE};

/// A peer with its state and how delivery to it goes.
#[derive(Debug, Clone)]
pub struct PeerView {
    pub peer: Peering,
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

    /// The servers we deliver to that are not peers (members' followers and follows), with how
    /// delivery to each goes.
    pub async fn other_domains(&self) -> AppResult<Vec<(String, DeliveryStatus)>> {
        Ok(outbox::other_domains(&mut *self.conn().await?).await?)
    }

    pub async fn peers(&self) -> AppResult<Vec<PeerView>> {
        let mut out = Vec::new();
        for peer in peers::peers(&mut *self.db().conn().await?).await? {
            out.push(self.peer_view(peer).await?);
        }
        Ok(out)
    }

    async fn peer_view(&self, peer: Peering) -> AppResult<PeerView> {
        let db = self.db();
        let name = remote_actors::remote_instance_actor(&mut *db.conn().await?, &peer.domain).await?.map(|a| a.name);
        let delivery = outbox::status(&mut *db.conn().await?, &peer.domain).await?;
        let listings = listings::count_from_origin(&mut *db.conn().await?, &peer.domain).await?;
        Ok(PeerView { state: peer.state(), peer, name, delivery, listings })
    }

    pub async fn peer(&self, domain: &str) -> AppResult<PeerView> {
        let domain = parse_domain(domain)?;
        match peers::peer(&mut *self.db().conn().await?, &domain).await? {
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
        let existing = peers::peer(&mut *db.conn().await?, &domain).await?;
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
        let mut peer = existing.unwrap_or_else(|| Peering::new(&domain, now));
        peer.actor_id = Some(actor.id.to_string());
        peer.updated_at = now;
        let mut tx = self.services().write().await?;
        if peer.request() {
            self.queue_follow(&mut tx, INSTANCE, &self.urls().domain(), &actor).await?;
        }
        // They asked first and wait for us: asking back is accepting.
        if peer.is_pending() {
            self.queue_accept_peer(&mut tx, &mut peer, &actor).await?;
        }
        peers::save_peer(&mut tx, &peer).await?;
        tx.commit().await?;
        tracing::info!(%domain, "peering requested");
        self.peer_view(peer).await
    }

    /// Accepts a pending peering request (policy `approval`).
    pub async fn accept_peering(&self, domain: &str) -> AppResult<PeerView> {
        let domain = parse_domain(domain)?;
        let db = self.db();
        let peer = peers::peer(&mut *db.conn().await?, &domain).await?.ok_or_else(AppError::not_found)?;
        if !peer.is_pending() {
            return Err(AppError::new(axum::http::StatusCode::CONFLICT, "nothing_pending", "error.nothing_pending"));
        }
        let actor = remote_actors::remote_instance_actor(&mut *db.conn().await?, &domain)
            .await?
            .ok_or_else(AppError::not_found)?;
        self.accept_peer_row(peer, &actor).await?;
        tracing::info!(%domain, "peering request accepted by an admin");
        self.peer(&domain).await
    }

    /// Accepts their follow, and follows them back when we do not yet.
    pub(super) async fn accept_peer_row(&self, mut peer: Peering, actor: &RemoteActor) -> AppResult<()> {
        let mut tx = self.services().write().await?;
        self.queue_accept_peer(&mut tx, &mut peer, actor).await?;
        if peer.follow_back() {
            self.queue_follow(&mut tx, INSTANCE, &self.urls().domain(), actor).await?;
        }
        peer.updated_at = now_ms();
        peers::save_peer(&mut tx, &peer).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn queue_accept_peer(
        &self,
        tx: &mut Write,
        peer: &mut Peering,
        actor: &RemoteActor,
    ) -> Result<(), sqlx::Error> {
        let follow_id = peer.incoming_follow.clone().unwrap_or_else(|| actor.id.to_string());
        let follow_url = url::Url::parse(&follow_id).unwrap_or_else(|_| actor.id.clone());
        let id = new_id();
        let accept =
            activities::answer_follow(self.urls(), &id, &self.urls().instance_actor(), &follow_url, &actor.id, true);
        followers::add_follower(&mut *tx, INSTANCE, actor, &follow_id, "accepted", now_ms()).await?;
        tx.publish_to(&id, &self.urls().domain(), &accept, actor.delivery_inbox()).await?;
        peer.accept_them();
        Ok(())
    }

    async fn queue_follow(
        &self,
        tx: &mut Write,
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
        follows::save_follow(&mut *tx, &row, now_ms()).await?;
        tx.publish_to(&id, signer, &follow, target.delivery_inbox()).await
    }

    /// Refuses a pending request.
    pub async fn reject_peering(&self, domain: &str) -> AppResult<PeerView> {
        let domain = parse_domain(domain)?;
        let db = self.db();
        let mut peer = peers::peer(&mut *db.conn().await?, &domain).await?.ok_or_else(AppError::not_found)?;
        if !peer.is_pending() {
            return Err(AppError::new(axum::http::StatusCode::CONFLICT, "nothing_pending", "error.nothing_pending"));
        }
        let actor = remote_actors::remote_instance_actor(&mut *db.conn().await?, &domain)
            .await?
            .ok_or_else(AppError::not_found)?;
        let follow_url =
            peer.incoming_follow.as_deref().and_then(|f| url::Url::parse(f).ok()).unwrap_or(actor.id.clone());
        let id = new_id();
        let reject =
            activities::answer_follow(self.urls(), &id, &self.urls().instance_actor(), &follow_url, &actor.id, false);
        peer.refuse_them();
        peer.updated_at = now_ms();
        let mut tx = self.services().write().await?;
        peers::save_peer(&mut tx, &peer).await?;
        tx.publish_to(&id, &self.urls().domain(), &reject, actor.delivery_inbox()).await?;
        tx.commit().await?;
        self.peer_view(peer).await
    }

    /// Ends a peering: we stop following them (`Undo(Follow)`), they stop following us
    /// (`Reject(Follow)`, which removes a follower), and their listings leave our catalogue.
    pub async fn unpeer(&self, domain: &str) -> AppResult<()> {
        let domain = parse_domain(domain)?;
        let db = self.db();
        let mut peer = peers::peer(&mut *db.conn().await?, &domain).await?.ok_or_else(AppError::not_found)?;
        let actor = remote_actors::remote_instance_actor(&mut *db.conn().await?, &domain).await?;
        let mut tx = self.services().write().await?;
        if let Some(actor) = &actor
            && !peer.blocked
        {
            self.queue_end_of_peering(&mut tx, &peer, actor).await?;
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

    async fn queue_end_of_peering(
        &self,
        tx: &mut Write,
        peer: &Peering,
        actor: &RemoteActor,
    ) -> Result<(), sqlx::Error> {
        let signer = self.urls().domain();
        for (id, activity) in self.end_of_peering(peer, actor).await? {
            tx.publish_to(&id, &signer, &activity, actor.delivery_inbox()).await?;
        }
        follows::remove_follow(&mut *tx, INSTANCE, actor.id.as_str()).await?;
        Ok(())
    }

    /// What tells a peer the peering is over: `Undo` of our `Follow`, `Reject` of theirs.
    async fn end_of_peering(
        &self,
        peer: &Peering,
        actor: &RemoteActor,
    ) -> Result<Vec<(String, serde_json::Value)>, sqlx::Error> {
        let me = self.urls().instance_actor();
        let mut out = Vec::new();
        if peer.we_asked() {
            let follow_id = follows::follow(&mut *self.db().conn().await?, INSTANCE, actor.id.as_str())
                .await?
                .and_then(|f| url::Url::parse(&f.follow_id).ok())
                .unwrap_or_else(|| self.urls().activity(&new_id()));
            let id = new_id();
            out.push((id.clone(), activities::undo_follow(self.urls(), &id, &me, &follow_id, &actor.id)));
        }
        if peer.they_receive() || peer.is_pending() {
            let follow_url =
                peer.incoming_follow.as_deref().and_then(|f| url::Url::parse(f).ok()).unwrap_or(actor.id.clone());
            let id = new_id();
            out.push((id.clone(), activities::answer_follow(self.urls(), &id, &me, &follow_url, &actor.id, false)));
        }
        Ok(out)
    }

    /// Before a block: tells the peer, directly and once, that the peering is over, so that it
    /// stops showing our listings and stops counting us as a peer (nothing is sent after the block).
    async fn say_farewell(&self, peer: &Peering) {
        let (Some(federation), Ok(Some(actor))) = (
            self.federation(),
            async { remote_actors::remote_instance_actor(&mut *self.db().conn().await?, &peer.domain).await }.await,
        ) else {
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
        let mut tx = self.services().write().await?;
        peers::delete_peer(&mut tx, &domain).await?;
        followers::remove_followers_on(&mut tx, &domain).await?;
        listings::delete_from_origin(&mut tx, &domain).await?;
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
        let mut peer =
            peers::peer(&mut *db.conn().await?, &domain).await?.unwrap_or_else(|| Peering::new(&domain, now));
        if !peer.blocked {
            self.say_farewell(&peer).await;
        }
        let mut tx = self.services().write().await?;
        follows::remove_follow(&mut tx, INSTANCE, peer.actor_id.as_deref().unwrap_or_default()).await?;
        peer.block();
        peer.updated_at = now;
        peers::save_peer(&mut tx, &peer).await?;
        followers::remove_followers_on(&mut tx, &domain).await?;
        listings::delete_from_origin(&mut tx, &domain).await?;
        outbox::drop_deliveries_to(&mut tx, &domain).await?;
        tx.commit().await?;
        tracing::warn!(%domain, "domain blocked");
        self.peer_view(peer).await
    }

    pub async fn unblock(&self, domain: &str) -> AppResult<PeerView> {
        let domain = parse_domain(domain)?;
        let db = self.db();
        let mut peer = peers::peer(&mut *db.conn().await?, &domain).await?.ok_or_else(AppError::not_found)?;
        peer.unblock();
        peer.updated_at = now_ms();
        peers::save_peer(&mut *db.conn().await?, &peer).await?;
        tracing::info!(%domain, "domain unblocked");
        self.peer_view(peer).await
    }

    /// Tries the deliveries waiting for `domain` now (an admin's "retry").
    pub async fn retry(&self, domain: &str) -> AppResult<PeerView> {
        let domain = parse_domain(domain)?;
        outbox::retry_now(&mut *self.db().conn().await?, &domain).await?;
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
        if peers::is_blocked(&mut *self.db().conn().await?, host).await? {
            return Err(AppError::new(axum::http::StatusCode::CONFLICT, "blocked", "error.peer_blocked"));
        }
        let federation = self.running()?;
        let actor = federation
            .resolve_handle(&format!("{user}@{host}"))
            .await
            .map_err(|e| lookup_failed(e, "account", "error.unknown_account"))?;
        // Already followed: nothing to ask again.
        if let Some(existing) = follows::follow(&mut *self.db().conn().await?, &member.id, actor.id.as_str()).await?
            && existing.state == "accepted"
        {
            return Ok(FollowView { follow: existing, actor: Some(actor) });
        }
        let mut tx = self.services().write().await?;
        self.queue_follow(&mut tx, &member.id, member.username.as_str(), &actor).await?;
        tx.commit().await?;
        let follow = follows::follow(&mut *self.db().conn().await?, &member.id, actor.id.as_str())
            .await?
            .ok_or_else(AppError::not_found)?;
        Ok(FollowView { follow, actor: Some(actor) })
    }

    /// Whether `member` follows (or asked to follow) the remote actor `actor_id`.
    pub async fn follows_actor(&self, member: &Member, actor_id: &str) -> AppResult<bool> {
        Ok(follows::follow(&mut *self.db().conn().await?, &member.id, actor_id).await?.is_some())
    }

    /// Whether `domain`'s listings reach us through peering (it accepted our instance's follow):
    /// following one of its members then adds nothing.
    pub async fn receives_from(&self, domain: &str) -> AppResult<bool> {
        Ok(peers::peer(&mut *self.db().conn().await?, domain).await?.is_some_and(|p| p.we_receive()))
    }

    pub async fn follows(&self, member: &Member) -> AppResult<Vec<FollowView>> {
        Ok(follows::follows_of(&mut *self.db().conn().await?, &member.id)
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
        let mut tx = self.services().write().await?;
        if let Some(actor) = actor {
            let me = self.urls().member(member.username.as_str());
            let follow_id = url::Url::parse(&follow.follow_id).unwrap_or_else(|_| self.urls().activity(&new_id()));
            let id = new_id();
            let undo = activities::undo_follow(self.urls(), &id, &me, &follow_id, &actor.id);
            tx.publish_to(&id, member.username.as_str(), &undo, actor.delivery_inbox()).await?;
        }
        follows::remove_follow(&mut tx, &member.id, &follow.target).await?;
        tx.commit().await?;
        if let Ok(target) = url::Url::parse(&follow.target) {
            self.drop_listings_no_longer_followed(&target).await?;
        }
        Ok(())
    }

    /// The followers collection's size of one of our actors.
    pub async fn follower_count(&self, local_actor: &str) -> AppResult<i64> {
        Ok(followers::count_followers(&mut *self.db().conn().await?, local_actor).await?)
    }
}
