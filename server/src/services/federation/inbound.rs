//! What received activities do to the instance: the `Port` the `federation` crate calls once an
//! activity's signature and shape are checked.

use async_trait::async_trait;
use maillage_federation::proposal::Proposal;
use maillage_federation::urls::domain_of;
use maillage_federation::vocab::ActorKind;
use maillage_federation::{Inbound, LocalActor, Port, PortError, RemoteActor, activities};
use url::Url;

use axum::http::StatusCode;

use super::Federator;
use crate::config::PeeringPolicy;
use crate::domain::ids::{new_id, now_ms};
use crate::domain::listing::{ListingDraft, ListingInput, NumberInput, PriceInput};
use crate::domain::peering::{Incoming, Peering};
use crate::error::{AppError, AppResult};
use crate::storage::keys::INSTANCE;
use crate::storage::{followers, follows, peers, receptions, remote_actors};
use crate::storage::{listings, outbox};

/// The one place where a service's error becomes the inbox's: a refusal the sender is told of, or
/// our own failure (a 500, which the sender retries).
impl From<AppError> for PortError {
    fn from(error: AppError) -> Self {
        let reason = error.reason().unwrap_or(error.code).to_owned();
        if error.status == StatusCode::FORBIDDEN {
            PortError::Forbidden(reason)
        } else if error.status.is_client_error() {
            PortError::Refused(reason)
        } else {
            PortError::Storage(error.cause().map_or(reason, |cause| format!("{cause:#}")))
        }
    }
}

#[async_trait]
impl Port for Federator {
    async fn local_actor(&self, username: &str) -> Result<Option<LocalActor>, PortError> {
        Ok(Federator::local_actor(self, username).await.map_err(AppError::from)?)
    }

    async fn remote_actor(&self, id: &Url) -> Result<Option<RemoteActor>, PortError> {
        Ok(self.stored_actor(id).await?)
    }

    async fn save_remote_actor(&self, actor: &RemoteActor) -> Result<(), PortError> {
        Ok(remote_actors::save_remote_actor(&mut *self.conn().await?, actor).await.map_err(AppError::from)?)
    }

    async fn is_blocked(&self, domain: &str) -> Result<bool, PortError> {
        Ok(peers::is_blocked(&mut *self.conn().await?, domain).await.map_err(AppError::from)?)
    }

    async fn already_received(&self, activity_id: &Url) -> Result<bool, PortError> {
        Ok(receptions::already_received(&mut *self.conn().await?, activity_id.as_str())
            .await
            .map_err(AppError::from)?)
    }

    async fn record_reception(&self, activity_id: &Url) -> Result<(), PortError> {
        let mut conn = self.conn().await?;
        Ok(receptions::record_reception(&mut conn, activity_id.as_str(), now_ms()).await.map_err(AppError::from)?)
    }

    async fn server_answered(&self, domain: &str) -> Result<(), PortError> {
        // A server that talks to us is up: deliveries waiting for it go now.
        if outbox::retry_now(&mut *self.conn().await?, domain).await.map_err(AppError::from)? {
            self.wake();
        }
        Ok(())
    }

    async fn receive(&self, event: Inbound) -> Result<(), PortError> {
        Ok(self.apply(event).await?)
    }
}

impl Federator {
    /// Routes a received event to what it does.
    async fn apply(&self, event: Inbound) -> AppResult<()> {
        match event {
            Inbound::FollowRequested { follow_id, follower, target } => {
                self.follow_requested(&follow_id, &follower, &target).await
            }
            Inbound::Unfollowed { follower, target } => self.unfollowed(&follower, &target).await,
            Inbound::FollowAnswered { actor, follower, accepted } => {
                self.follow_answered(&actor, follower.as_ref(), accepted).await
            }
            Inbound::ListingUpserted { author, proposal } => self.listing_upserted(&author, &proposal).await,
            Inbound::ListingDeleted { actor, object } => self.listing_deleted(&actor, &object).await,
            Inbound::Other { actor, kind } => {
                tracing::debug!(%actor, kind, "activity acknowledged, nothing to do");
                Ok(())
            }
        }
    }

    async fn follow_requested(&self, follow_id: &Url, follower: &RemoteActor, target: &Url) -> AppResult<()> {
        if *target == self.urls().instance_actor() {
            if follower.kind == ActorKind::Application {
                return self.peering_requested(follow_id, follower).await;
            }
            // Anyone may follow the instance to see its new listings.
            return self.accept_follower(INSTANCE, &self.urls().domain(), follow_id, follower).await;
        }
        // Only an active member has an actor to follow.
        let member = match self.urls().local_username(target) {
            Some(username) => self.active_member(username).await?,
            None => None,
        };
        let Some(member) = member else {
            return Err(AppError::refused("no such member here"));
        };
        self.accept_follower(&member.id, member.username.as_str(), follow_id, follower).await
    }

    /// Records an accepted follower and queues the `Accept`.
    async fn accept_follower(
        &self,
        local_actor: &str,
        signer: &str,
        follow_id: &Url,
        follower: &RemoteActor,
    ) -> AppResult<()> {
        let actor_url = if local_actor == INSTANCE { self.urls().instance_actor() } else { self.urls().member(signer) };
        let id = new_id();
        let accept = activities::answer_follow(self.urls(), &id, &actor_url, follow_id, &follower.id, true);
        let mut tx = self.services().write().await?;
        followers::add_follower(&mut tx, local_actor, follower, follow_id.as_str(), "accepted", now_ms()).await?;
        tx.publish_to(&id, signer, &accept, follower.delivery_inbox()).await?;
        tx.commit().await?;
        tracing::info!(follower = %follower.id, local_actor, "follower accepted");
        Ok(())
    }

    /// Another instance's actor asks to peer: accepted, refused or left for an admin, by policy.
    async fn peering_requested(&self, follow_id: &Url, follower: &RemoteActor) -> AppResult<()> {
        let now = now_ms();
        let existing = peers::peer(&mut *self.conn().await?, &follower.domain).await?;
        let mut peer = existing.clone().unwrap_or_else(|| Peering::new(&follower.domain, now));
        peer.asked_by(follower.id.as_str(), follow_id.as_str());
        peer.updated_at = now;
        let policy = self.config().federation.policy;
        let we_asked = peer.we_asked();
        let listed = self.config().federation.allowlist.iter().any(|d| d.eq_ignore_ascii_case(&follower.domain));
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
                peers::save_peer(&mut *self.conn().await?, &peer).await?;
                tracing::info!(domain = %peer.domain, "peering request waits for an admin");
                Ok(())
            }
            Decision::Reject => {
                peer.refuse_them();
                let id = new_id();
                let reject = activities::answer_follow(
                    self.urls(),
                    &id,
                    &self.urls().instance_actor(),
                    follow_id,
                    &follower.id,
                    false,
                );
                let mut tx = self.services().write().await?;
                peers::save_peer(&mut tx, &peer).await?;
                tx.publish_to(&id, &self.urls().domain(), &reject, follower.delivery_inbox()).await?;
                tx.commit().await?;
                tracing::info!(domain = %peer.domain, "peering request refused (not on the allowlist)");
                Ok(())
            }
            Decision::Accept => self.accept_peer_row(peer, follower).await,
        }
    }

    async fn unfollowed(&self, follower: &Url, target: &Url) -> AppResult<()> {
        // An undo of a follow of no actor of ours: nothing to apply it to.
        let Some(local) = self.our_actor_at(target).await? else { return Ok(()) };
        let local = local.key().to_owned();
        followers::remove_follower(&mut *self.conn().await?, &local, follower.as_str()).await?;
        if local == INSTANCE
            && let Some(domain) = domain_of(follower)
            && let Some(mut peer) = peers::peer(&mut *self.conn().await?, &domain).await?
            && peer.actor_id.as_deref() == Some(follower.as_str())
        {
            peer.they_left();
            peer.updated_at = now_ms();
            peers::save_peer(&mut *self.conn().await?, &peer).await?;
            tracing::info!(%domain, "peer stopped following us");
        }
        Ok(())
    }

    async fn follow_answered(&self, actor: &Url, follower: Option<&Url>, accepted: bool) -> AppResult<()> {
        let local_actor = match follower {
            None => None,
            Some(url) => match self.our_actor_at(url).await? {
                Some(ours) => Some(ours.key().to_owned()),
                // An answer to a follow by no actor of ours: nothing to apply it to.
                None => return Ok(()),
            },
        };
        follows::answer_follows(&mut *self.conn().await?, actor.as_str(), local_actor.as_deref(), accepted).await?;
        if !accepted {
            self.drop_listings_no_longer_followed(actor).await?;
        }
        if follower.is_some() && local_actor.as_deref() != Some(INSTANCE) {
            return Ok(());
        }
        let Some(domain) = domain_of(actor) else { return Ok(()) };
        let Some(mut peer) = peers::peer(&mut *self.conn().await?, &domain).await? else { return Ok(()) };
        if peer.actor_id.as_deref() != Some(actor.as_str()) || !peer.we_asked() {
            return Ok(());
        }
        peer.answered(accepted);
        peer.updated_at = now_ms();
        peers::save_peer(&mut *self.conn().await?, &peer).await?;
        if accepted {
            tracing::info!(%domain, "peering accepted: fetching their listings");
            self.spawn_backfill(domain);
        } else {
            let removed = listings::delete_from_origin(&mut *self.conn().await?, &domain).await?;
            tracing::info!(%domain, removed, "peering refused or ended by the other side");
        }
        Ok(())
    }

    /// A `Delete` of a listing: only its author may (another actor of the same server is refused
    /// with a 403, and the listing stays). A `Delete` of something we do not hold is nothing to do.
    async fn listing_deleted(&self, actor: &Url, object: &Url) -> AppResult<()> {
        let origin = domain_of(actor).unwrap_or_default();
        match listings::delete_remote(&mut *self.conn().await?, &origin, object.as_str(), actor.as_str()).await? {
            listings::RemoteChange::Done | listings::RemoteChange::Absent => Ok(()),
            listings::RemoteChange::OtherAuthor => Err(AppError::forbidden_because(format!(
                "{actor} may not delete {object}: it is another actor's listing"
            ))),
        }
    }

    /// After a follow ends: the author's listings leave the catalogue unless we still take them.
    pub(super) async fn drop_listings_no_longer_followed(&self, author: &Url) -> AppResult<()> {
        let Some(actor) = remote_actors::remote_actor(&mut *self.conn().await?, author.as_str()).await? else {
            return Ok(());
        };
        if !self.wants_listings_of(&actor).await? {
            let removed = listings::delete_by_remote_author(&mut *self.conn().await?, author.as_str()).await?;
            tracing::info!(%author, removed, "listings of an author no longer followed removed");
        }
        Ok(())
    }

    /// Whether we take listings from this author: from a peer we follow, or followed by a member
    /// (the author, or the author's whole instance).
    pub(super) async fn wants_listings_of(&self, author: &RemoteActor) -> AppResult<bool> {
        let mut conn = self.conn().await?;
        if peers::peer(&mut conn, &author.domain).await?.is_some_and(|peer| peer.we_receive()) {
            return Ok(true);
        }
        Ok(follows::is_followed_by_a_member(&mut conn, author.id.as_str()).await?
            || follows::instance_followed_by_a_member(&mut conn, &author.domain).await?)
    }

    pub(super) async fn listing_upserted(&self, author: &RemoteActor, proposal: &Proposal) -> AppResult<()> {
        if !self.wants_listings_of(author).await? {
            tracing::debug!(author = %author.id, "listing from an instance we do not peer with: ignored");
            return Ok(());
        }
        let data = proposal.to_listing_data();
        if data.status == "closed" {
            return self.listing_deleted(&author.id, &proposal.id).await;
        }
        let public = proposal.to.iter().chain(&proposal.cc).any(|u| u.as_str() == maillage_federation::PUBLIC);
        let input = ListingInput {
            purpose: data.purpose,
            mode: data.mode,
            category: data.category,
            title: data.title,
            description: data.description,
            quantity: data.quantity.map(NumberInput::Number),
            unit: Some(data.unit),
            price: data.price_cents.map(PriceInput::Cents),
            location_name: data.location_name,
            latitude: data.latitude.map(NumberInput::Number),
            longitude: data.longitude.map(NumberInput::Number),
            available_from: data.available_from,
            available_until: data.available_until,
            status: Some(data.status),
            visibility: Some(if public { "public" } else { "peers" }.to_owned()),
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
        match listings::upsert_remote(&mut *self.conn().await?, &source, &draft, created_at.min(now_ms()), now_ms())
            .await?
        {
            listings::RemoteChange::Done | listings::RemoteChange::Absent => Ok(()),
            listings::RemoteChange::OtherAuthor => Err(AppError::forbidden_because(format!(
                "{} may not change {}: it is another actor's listing",
                author.id, proposal.id
            ))),
        }
    }
}

enum Decision {
    Accept,
    Reject,
    Wait,
}
