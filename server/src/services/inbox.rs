//! The `Port` the `federation` crate calls once a received activity's signature and shape are
//! checked: it looks up and records what the inbox needs, and routes each received event to the
//! service whose rules it concerns (`follows`, `peering` through `follows`, `remote_listings`).

use async_trait::async_trait;
use axum::http::StatusCode;
use maillage_federation::vocab::ActorKind;
use maillage_federation::{Inbound, LocalActor, Port, PortError, RemoteActor};
use url::Url;

use crate::domain::ids::now_ms;
use crate::error::{AppError, AppResult};
use crate::services::federation::{Federator, actors};
use crate::services::{exchanges, follows, peering, remote_listings};
use crate::storage::{outbox, peers, receptions, remote_actors};

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
        Ok(actors::local_actor(self.services(), username).await?)
    }

    async fn remote_actor(&self, id: &Url) -> Result<Option<RemoteActor>, PortError> {
        Ok(actors::stored_actor(self.services(), id).await?)
    }

    async fn save_remote_actor(&self, actor: &RemoteActor) -> Result<(), PortError> {
        Ok(remote_actors::save_remote_actor(&mut *self.services().conn().await?, actor)
            .await
            .map_err(AppError::from)?)
    }

    async fn is_blocked(&self, domain: &str) -> Result<bool, PortError> {
        Ok(peers::is_blocked(&mut *self.services().conn().await?, domain).await.map_err(AppError::from)?)
    }

    async fn already_received(&self, activity_id: &Url) -> Result<bool, PortError> {
        Ok(receptions::already_received(&mut *self.services().conn().await?, activity_id.as_str())
            .await
            .map_err(AppError::from)?)
    }

    async fn record_reception(&self, activity_id: &Url) -> Result<(), PortError> {
        let mut conn = self.services().conn().await?;
        Ok(receptions::record_reception(&mut conn, activity_id.as_str(), now_ms()).await.map_err(AppError::from)?)
    }

    async fn server_answered(&self, domain: &str) -> Result<(), PortError> {
        // A server that talks to us is up: deliveries waiting for it go now.
        if outbox::retry_now(&mut *self.services().conn().await?, domain).await.map_err(AppError::from)? {
            self.services().wake();
        }
        Ok(())
    }

    async fn receive(&self, event: Inbound) -> Result<(), PortError> {
        // Boxed: what an event may do (fetches, storage, deliveries) makes a large future.
        Ok(Box::pin(self.apply(event)).await?)
    }
}

impl Federator {
    /// Routes a received event to what it does.
    async fn apply(&self, event: Inbound) -> AppResult<()> {
        let services = self.services();
        let instance = services.urls().instance_actor();
        match event {
            // Another instance's actor following ours asks to peer.
            Inbound::FollowRequested { follow_id, follower, target }
                if target == instance && follower.kind == ActorKind::Application =>
            {
                peering::requested(services, &follow_id, &follower).await
            }
            Inbound::FollowRequested { follow_id, follower, target } => {
                follows::requested(services, &follow_id, &follower, &target).await
            }
            Inbound::Unfollowed { follower, target } => {
                follows::unfollowed(services, &follower, &target).await?;
                if target == instance { peering::they_left(services, &follower).await } else { Ok(()) }
            }
            Inbound::FollowAnswered { actor, follower, accepted } => {
                follows::answered(services, &actor, follower.as_ref(), accepted).await?;
                // An answer to the instance actor's follow (named, or not: then it may be ours).
                if follower.as_ref().is_none_or(|f| *f == instance) {
                    peering::answered(services, &actor, accepted).await
                } else {
                    Ok(())
                }
            }
            Inbound::ListingUpserted { author, proposal } => {
                // Published to one of our collectives: its rules (`services::collectives::received`).
                let urls = services.urls();
                match proposal.to.iter().chain(&proposal.cc).find(|u| urls.local_collective(u).is_some()) {
                    Some(group) => {
                        crate::services::collectives::received::published_to_ours(services, group, &author, &proposal)
                            .await
                    }
                    None => remote_listings::upserted(services, &author, &proposal).await,
                }
            }
            Inbound::ListingDeleted { actor, object } => remote_listings::deleted(services, &actor, &object).await,
            Inbound::ActorUpdated { actor } if actor.kind == ActorKind::Group => {
                // A collective we keep a copy of (its charter changed): read again from its server.
                let kept =
                    crate::storage::collectives::by_ap_id(&mut *services.conn().await?, actor.id.as_str()).await?;
                if kept.is_some() {
                    crate::services::federation::collectives::refresh(services, &actor.id).await?;
                }
                Ok(())
            }
            Inbound::ActorUpdated { actor } => {
                tracing::info!(actor = %actor.id, name = %actor.name, "actor updated its profile");
                Ok(())
            }
            Inbound::Exchange { activity } => exchanges::received::received(services, &activity).await,
            Inbound::Collective { activity, sender } => {
                crate::services::collectives::received::received(services, &activity, &sender).await
            }
            Inbound::Other { actor, kind } => {
                tracing::debug!(%actor, kind, "activity acknowledged, nothing to do");
                Ok(())
            }
        }
    }
}
