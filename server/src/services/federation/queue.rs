//! The delivery queue's storage, for the worker of the `federation` crate.

use async_trait::async_trait;
use maillage_federation::queue::{Delivery, QueueStore, Waiting};
use maillage_federation::{LocalActor, PortError};

use crate::services::Services;
use crate::storage::outbox;

pub(super) struct Store(pub Services);

impl Store {
    async fn conn(&self) -> Result<crate::storage::PooledConn, PortError> {
        self.0.db().conn().await.map_err(PortError::new)
    }
}

#[async_trait]
impl QueueStore for Store {
    async fn due(&self, now: i64, busy: &[String], limit: usize) -> Result<Vec<Delivery>, PortError> {
        outbox::due(&mut *self.conn().await?, now, busy, limit).await.map_err(PortError::new)
    }

    async fn delivered(&self, delivery: &Delivery, now: i64, refused: Option<&str>) -> Result<(), PortError> {
        let mut tx = self.0.db().begin_write().await.map_err(PortError::new)?;
        outbox::delivered(&mut tx, delivery, now, refused).await.map_err(PortError::new)?;
        tx.commit().await.map_err(PortError::new)
    }

    async fn failed(&self, domain: &str, error: &str, now: i64, retry_at: i64, dead: bool) -> Result<(), PortError> {
        outbox::failed(&mut *self.conn().await?, domain, error, now, retry_at, dead).await.map_err(PortError::new)
    }

    async fn attempt_failed(&self, delivery: &Delivery) -> Result<(), PortError> {
        outbox::attempt_failed(&mut *self.conn().await?, delivery.id).await.map_err(PortError::new)
    }

    async fn waiting(&self, later_than: i64, probed_before: i64) -> Result<Vec<Waiting>, PortError> {
        let waiting =
            outbox::waiting(&mut *self.conn().await?, later_than, probed_before).await.map_err(PortError::new)?;
        let scheme = self.0.config().federation.scheme();
        Ok(waiting
            .into_iter()
            .filter_map(|(domain, instance_actor)| {
                // A peer's instance actor; any other server's NodeInfo, which every one serves.
                let probe = instance_actor
                    .and_then(|actor| url::Url::parse(&actor).ok())
                    .or_else(|| url::Url::parse(&format!("{scheme}://{domain}/.well-known/nodeinfo")).ok())?;
                Some(Waiting { domain, probe })
            })
            .collect())
    }

    async fn probed(&self, domain: &str, now: i64, answered: bool) -> Result<(), PortError> {
        outbox::probed(&mut *self.conn().await?, domain, now, answered).await.map_err(PortError::new)?;
        if answered {
            self.0.wake();
        }
        Ok(())
    }

    async fn signer(&self, username: &str) -> Result<Option<LocalActor>, PortError> {
        super::actors::local_actor(&self.0, username).await.map_err(PortError::new)
    }
}
