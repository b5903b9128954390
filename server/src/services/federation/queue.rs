//! The delivery queue's storage, for the worker of the `federation` crate.

use async_trait::async_trait;
use maillage_federation::queue::{Delivery, QueueStore};
use maillage_federation::{LocalActor, PortError};

use super::Federator;
use crate::storage::outbox;

pub(super) struct Store(pub Federator);

#[async_trait]
impl QueueStore for Store {
    async fn due(&self, now: i64, busy: &[String], limit: usize) -> Result<Vec<Delivery>, PortError> {
        outbox::due(self.0.db(), now, busy, limit).await.map_err(PortError::new)
    }

    async fn delivered(&self, delivery: &Delivery, now: i64, refused: Option<&str>) -> Result<(), PortError> {
        outbox::delivered(self.0.db(), delivery, now, refused).await.map_err(PortError::new)
    }

    async fn failed(&self, domain: &str, error: &str, now: i64, retry_at: i64, dead: bool) -> Result<(), PortError> {
        outbox::failed(self.0.db(), domain, error, now, retry_at, dead).await.map_err(PortError::new)
    }

    async fn signer(&self, username: &str) -> Result<Option<LocalActor>, PortError> {
        self.0.local_actor(username).await.map_err(PortError::new)
    }
}
