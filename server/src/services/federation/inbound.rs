//! What received activities do to the instance: the `Port` the `federation` crate calls once an
//! activity's signature and shape are checked.

use async_trait::async_trait;
use maillage_federation::proposal::Proposal;
use maillage_federation::urls::domain_of;
use maillage_federation::vocab::ActorKind;
use maillage_federation::{Inbound, LocalActor, Port, PortError, RemoteActor, activities};
use url::Url;

use super::Federator;
use crate::config::PeeringPolicy;
use crate::domain::ids::{new_id, now_ms};
use crate::domain::listing::{ListingDraft, ListingInput, NumberInput, PriceInput};
use crate::storage::federation::{self as store, INSTANCE};
use crate::storage::{listings, outbox};

fn storage(error: impl std::fmt::Display) -> PortError {
    PortError::new(error)
}

#[async_trait]
impl Port for Federator {
    async fn local_actor(&self, username: &str) -> Result<Option<LocalActor>, PortError> {
        Federator::local_actor(self, username).await.map_err(storage)
    }

    async fn remote_actor(&self, id: &Url) -> Result<Option<RemoteActor>, PortError> {
        store::remote_actor(self.db(), id.as_str()).await.map_err(storage)
    }

    async fn save_remote_actor(&self, actor: &RemoteActor) -> Result<(), PortError> {
        store::save_remote_actor(self.db(), actor).await.map_err(storage)
    }

    async fn is_blocked(&self, domain: &str) -> Result<bool, PortError> {
        store::is_blocked(self.db(), domain).await.map_err(storage)
    }

    async fn already_received(&self, activity_id: &Url) -> Result<bool, PortError> {
        store::already_received(self.db(), activity_id.as_str()).await.map_err(storage)
    }

    async fn record_reception(&self, activity_id: &Url) -> Result<(), PortError> {
        store::record_reception(self.db(), activity_id.as_str(), now_ms()).await.map_err(storage)
    }

    async fn server_answered(&self, domain: &str) -> Result<(), PortError> {
        // A server that talks to us is up: deliveries waiting for it go now.
        if outbox::retry_now(self.db(), domain).await.map_err(storage)? {
            self.wake();
        }
        Ok(())
    }

    async fn receive(&self, event: Inbound) -> Result<(), PortError> {
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
}

impl Federator {
    async fn follow_requested(&self, follow_id: &Url, follower: &RemoteActor, target: &Url) -> Result<(), PortError> {
        let db = self.db();
        if *target == self.urls().instance_actor() {
            if follower.kind == ActorKind::Application {
                return self.peering_requested(follow_id, follower).await;
            }
            // Anyone may follow the instance to see its new listings.
            return self.accept_follower(INSTANCE, &self.urls().domain(), follow_id, follower).await;
        }
        let Some(username) = self.urls().local_username(target) else {
            return Err(PortError::refused("no such actor here"));
        };
        let Some(actor) = self.member_actor(username).await.map_err(storage)? else {
            return Err(PortError::refused("no such member here"));
        };
        let member_id = crate::storage::members::by_username(
            db,
            &crate::domain::member::Username::parse(username).map_err(|_| PortError::refused("bad username"))?,
        )
        .await
        .map_err(storage)?
        .map(|m| m.id)
        .ok_or_else(|| PortError::refused("no such member here"))?;
        self.accept_follower(&member_id, &actor.username, follow_id, follower).await
    }

    /// Records an accepted follower and queues the `Accept`.
    async fn accept_follower(
        &self,
        local_actor: &str,
        signer: &str,
        follow_id: &Url,
        follower: &RemoteActor,
    ) -> Result<(), PortError> {
        let actor_url = if local_actor == INSTANCE { self.urls().instance_actor() } else { self.urls().member(signer) };
        let id = new_id();
        let accept = activities::answer_follow(self.urls(), &id, &actor_url, follow_id, &follower.id, true);
        let mut tx = self.db().begin_write().await.map_err(storage)?;
        store::add_follower(&mut *tx, local_actor, follower, follow_id.as_str(), "accepted", now_ms())
            .await
            .map_err(storage)?;
        self.queue_to(&mut tx, &id, signer, &accept, follower.delivery_inbox()).await.map_err(storage)?;
        tx.commit().await.map_err(storage)?;
        self.wake();
        tracing::info!(follower = %follower.id, local_actor, "follower accepted");
        Ok(())
    }

    /// Another instance's actor asks to peer: accepted, refused or left for an admin, by policy.
    async fn peering_requested(&self, follow_id: &Url, follower: &RemoteActor) -> Result<(), PortError> {
        let db = self.db();
        let now = now_ms();
        let existing = store::peer(&db.pool, &follower.domain).await.map_err(storage)?;
        let mut peer = existing.clone().unwrap_or_else(|| super::peers::new_peer(&follower.domain, now));
        peer.actor_id = Some(follower.id.to_string());
        peer.incoming_follow = Some(follow_id.to_string());
        peer.updated_at = now;
        let policy = self.config().federation.policy;
        let we_asked = peer.outgoing != "none";
        let listed = self.config().federation.allowlist.iter().any(|d| d.eq_ignore_ascii_case(&follower.domain));
        let decision = if peer.incoming == "accepted" || we_asked {
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
                peer.incoming = "pending".into();
                store::save_peer(&db.pool, &peer).await.map_err(storage)?;
                tracing::info!(domain = %peer.domain, "peering request waits for an admin");
                Ok(())
            }
            Decision::Reject => {
                peer.incoming = "rejected".into();
                let id = new_id();
                let reject = activities::answer_follow(
                    self.urls(),
                    &id,
                    &self.urls().instance_actor(),
                    follow_id,
                    &follower.id,
                    false,
                );
                let mut tx = db.begin_write().await.map_err(storage)?;
                store::save_peer(&mut *tx, &peer).await.map_err(storage)?;
                self.queue_to(&mut tx, &id, &self.urls().domain(), &reject, follower.delivery_inbox())
                    .await
                    .map_err(storage)?;
                tx.commit().await.map_err(storage)?;
                self.wake();
                tracing::info!(domain = %peer.domain, "peering request refused (not on the allowlist)");
                Ok(())
            }
            Decision::Accept => self.accept_peer_row(peer, follower).await.map_err(storage),
        }
    }

    async fn unfollowed(&self, follower: &Url, target: &Url) -> Result<(), PortError> {
        let db = self.db();
        let local = if *target == self.urls().instance_actor() {
            INSTANCE.to_owned()
        } else {
            let Some(username) = self.urls().local_username(target) else { return Ok(()) };
            match crate::domain::member::Username::parse(username) {
                Ok(u) => match crate::storage::members::by_username(db, &u).await.map_err(storage)? {
                    Some(m) => m.id,
                    None => return Ok(()),
                },
                Err(_) => return Ok(()),
            }
        };
        store::remove_follower(&db.pool, &local, follower.as_str()).await.map_err(storage)?;
        if local == INSTANCE
            && let Some(domain) = domain_of(follower)
            && let Some(mut peer) = store::peer(&db.pool, &domain).await.map_err(storage)?
            && peer.actor_id.as_deref() == Some(follower.as_str())
        {
            peer.incoming = "none".into();
            peer.incoming_follow = None;
            peer.updated_at = now_ms();
            store::save_peer(&db.pool, &peer).await.map_err(storage)?;
            tracing::info!(%domain, "peer stopped following us");
        }
        Ok(())
    }

    async fn follow_answered(&self, actor: &Url, follower: Option<&Url>, accepted: bool) -> Result<(), PortError> {
        let db = self.db();
        let local_actor = match follower {
            None => None,
            Some(url) if *url == self.urls().instance_actor() => Some(INSTANCE.to_owned()),
            Some(url) => {
                match self.urls().local_username(url).and_then(|u| crate::domain::member::Username::parse(u).ok()) {
                    // An answer to a follow by no member of ours: nothing to apply it to.
                    Some(username) => {
                        match crate::storage::members::by_username(db, &username).await.map_err(storage)? {
                            Some(member) => Some(member.id),
                            None => return Ok(()),
                        }
                    }
                    None => return Ok(()),
                }
            }
        };
        store::answer_follows(db, actor.as_str(), local_actor.as_deref(), accepted).await.map_err(storage)?;
        if !accepted {
            self.drop_listings_no_longer_followed(actor).await.map_err(storage)?;
        }
        if follower.is_some() && local_actor.as_deref() != Some(INSTANCE) {
            return Ok(());
        }
        let Some(domain) = domain_of(actor) else { return Ok(()) };
        let Some(mut peer) = store::peer(&db.pool, &domain).await.map_err(storage)? else { return Ok(()) };
        if peer.actor_id.as_deref() != Some(actor.as_str()) || peer.outgoing == "none" {
            return Ok(());
        }
        peer.outgoing = if accepted { "accepted" } else { "rejected" }.into();
        peer.updated_at = now_ms();
        store::save_peer(&db.pool, &peer).await.map_err(storage)?;
        if accepted {
            tracing::info!(%domain, "peering accepted: fetching their listings");
            self.spawn_backfill(domain);
        } else {
            let removed = listings::delete_from_origin(&db.pool, &domain).await.map_err(storage)?;
            tracing::info!(%domain, removed, "peering refused or ended by the other side");
        }
        Ok(())
    }

    /// A `Delete` of a listing: only its author may (another actor of the same server is refused
    /// with a 403, and the listing stays). A `Delete` of something we do not hold is nothing to do.
    async fn listing_deleted(&self, actor: &Url, object: &Url) -> Result<(), PortError> {
        let origin = domain_of(actor).unwrap_or_default();
        match listings::delete_remote(self.db(), &origin, object.as_str(), actor.as_str()).await.map_err(storage)? {
            listings::RemoteChange::Done | listings::RemoteChange::Absent => Ok(()),
            listings::RemoteChange::OtherAuthor => {
                Err(PortError::forbidden(format!("{actor} may not delete {object}: it is another actor's listing")))
            }
        }
    }

    /// After a follow ends: the author's listings leave the catalogue unless we still take them.
    pub(super) async fn drop_listings_no_longer_followed(&self, author: &Url) -> Result<(), sqlx::Error> {
        let Some(actor) = store::remote_actor(self.db(), author.as_str()).await? else { return Ok(()) };
        if !self.wants_listings_of(&actor).await? {
            let removed = listings::delete_by_remote_author(&self.db().pool, author.as_str()).await?;
            tracing::info!(%author, removed, "listings of an author no longer followed removed");
        }
        Ok(())
    }

    /// Whether we take listings from this author: from a peer we follow, or followed by a member
    /// (the author, or the author's whole instance).
    pub(super) async fn wants_listings_of(&self, author: &RemoteActor) -> Result<bool, sqlx::Error> {
        let db = self.db();
        if let Some(peer) = store::peer(&db.pool, &author.domain).await?
            && !peer.blocked
            && peer.outgoing == "accepted"
        {
            return Ok(true);
        }
        Ok(store::is_followed_by_a_member(db, author.id.as_str()).await?
            || store::instance_followed_by_a_member(db, &author.domain).await?)
    }

    pub(super) async fn listing_upserted(&self, author: &RemoteActor, proposal: &Proposal) -> Result<(), PortError> {
        if !self.wants_listings_of(author).await.map_err(storage)? {
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
            PortError::refused(format!("listing {} refused: {}", proposal.id, fields.join(", ")))
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
        match listings::upsert_remote(self.db(), &source, &draft, created_at.min(now_ms()), now_ms())
            .await
            .map_err(storage)?
        {
            listings::RemoteChange::Done | listings::RemoteChange::Absent => Ok(()),
            listings::RemoteChange::OtherAuthor => Err(PortError::forbidden(format!(
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
