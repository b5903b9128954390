//! Backfill: once a peer accepts us, the listings it published before are fetched from its
//! instance actor's outbox (signed fetches; the `federation` crate reads the pages).

use super::Federator;
use crate::storage::federation as store;

/// At most this many outbox pages are read per backfill.
const MAX_PAGES: usize = 200;

impl Federator {
    pub(super) fn spawn_backfill(&self, domain: String) {
        let federator = self.clone();
        tokio::spawn(async move {
            match federator.backfill(&domain).await {
                Ok(count) => tracing::info!(%domain, count, "backfill done"),
                Err(e) => tracing::warn!(%domain, error = %e, "backfill failed"),
            }
        });
    }

    /// Fetches the peer's outbox and stores its listings; returns how many were stored.
    pub async fn backfill(&self, domain: &str) -> anyhow::Result<usize> {
        let federation = self.federation().ok_or_else(|| anyhow::anyhow!("federation is not running"))?;
        let actor = store::remote_instance_actor(self.db(), domain)
            .await?
            .ok_or_else(|| anyhow::anyhow!("no instance actor known for {domain}"))?;
        let outbox = actor.outbox.clone().ok_or_else(|| anyhow::anyhow!("{domain} has no outbox"))?;
        let mut stored = 0;
        for proposal in federation.outbox_proposals(&outbox, MAX_PAGES).await? {
            let upserted = match federation.actor(&proposal.attributed_to).await {
                Ok(author) => self.listing_upserted(&author, &proposal).await.map_err(anyhow::Error::from),
                Err(e) => Err(e.into()),
            };
            match upserted {
                Ok(()) => stored += 1,
                Err(e) => tracing::info!(%domain, error = %e, "backfill: an item was skipped"),
            }
        }
        Ok(stored)
    }
}
