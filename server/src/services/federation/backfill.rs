//! Backfill: once a peer accepts us, the listings it published before are fetched from its
//! instance actor's outbox (signed fetches; the `federation` crate reads the pages).
//!
//! Each listing needs its author's actor, fetched from the peer too. A peer that is slow or busy
//! (making its members' keys on demand, say) may fail some of these fetches: those listings are
//! tried again a few times, with pauses, rather than missing from the catalogue until their next
//! edit. What the peer refuses for good (a listing that fails validation) is not tried again.

use std::time::Duration;

use maillage_federation::FederationError;
use maillage_federation::proposal::Proposal;

use super::Federator;
use crate::storage::remote_actors;

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

impl Federator {
    pub(super) fn spawn_backfill(&self, domain: String) {
        let federator = self.clone();
        tokio::spawn(async move {
            let mut pending: Option<Vec<Proposal>> = None;
            let mut stored = 0;
            for pause in std::iter::once(Duration::ZERO).chain(RETRY_PAUSES) {
                tokio::time::sleep(pause).await;
                match federator.backfill_round(&domain, pending.take()).await {
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
    async fn backfill_round(&self, domain: &str, pending: Option<Vec<Proposal>>) -> anyhow::Result<Round> {
        let federation = self.federation().ok_or_else(|| anyhow::anyhow!("federation is not running"))?;
        let proposals = match pending {
            Some(proposals) => proposals,
            None => {
                let actor = remote_actors::remote_instance_actor(&mut *self.db().conn().await?, domain)
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
                Err(
                    e @ (FederationError::Unreachable(_) | FederationError::Port(_) | FederationError::Internal(_)),
                ) => {
                    tracing::debug!(%domain, error = %e, "backfill: an author could not be fetched, for now");
                    round.retry.push(proposal);
                    continue;
                }
                Err(e) => {
                    tracing::info!(%domain, error = %e, "backfill: an item was skipped");
                    continue;
                }
            };
            match self.listing_upserted(&author, &proposal).await {
                Ok(()) => round.stored += 1,
                Err(e) => tracing::info!(%domain, error = %e, "backfill: an item was skipped"),
            }
        }
        Ok(round)
    }
}
