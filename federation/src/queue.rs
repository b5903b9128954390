//! The persistent delivery queue's worker. The server writes each activity and its deliveries (one
//! per remote inbox) in the same transaction as the change that caused it; this worker sends them.
//!
//! - Per remote instance (domain), deliveries go out one at a time, oldest first, so that an
//!   `Update` never overtakes its `Create`; instances are served in parallel.
//! - A delivery is removed only once the inbox has taken it. A crash between the two re-sends it
//!   after restart, and the receiver's de-duplication by activity id makes it count once.
//! - A failure (network, timeout, 5xx, 408, 429) stops that instance's deliveries until its next
//!   attempt, after an exponential backoff (1 s, 2 s, 4 s... capped at a day). An instance failing
//!   for more than [`DEAD_AFTER_MS`] is marked dead: it is tried once a day, and resumes at once
//!   when it sends us something or when an admin asks.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use tokio::sync::Notify;
use tokio::task::JoinSet;
use url::Url;

use crate::port::{LocalActor, PortError};
use crate::send::{Federation, Sent};

/// One activity to one inbox.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub id: i64,
    pub domain: String,
    pub inbox: Url,
    /// Username of the local actor that signs (the instance actor's is the domain).
    pub signer: String,
    /// The activity, as JSON text.
    pub activity: String,
    /// Consecutive failures of this delivery's domain so far.
    pub domain_failures: i64,
    /// When the domain first failed in the current run of failures (unix ms).
    pub failing_since: Option<i64>,
}

/// The queue's storage, implemented by the server.
#[async_trait]
pub trait QueueStore: Send + Sync + 'static {
    /// Deliveries ready to go, oldest first: those of domains whose next attempt has come, not
    /// blocked, and not in `busy`. At most `limit` rows.
    async fn due(&self, now: i64, busy: &[String], limit: usize) -> Result<Vec<Delivery>, PortError>;
    /// The inbox answered: remove the delivery; record the domain's success, or, when it refused the
    /// activity for good (`refused`, a 4xx), that refusal as its last error.
    async fn delivered(&self, delivery: &Delivery, now: i64, refused: Option<&str>) -> Result<(), PortError>;
    /// The domain failed: record the error and when to try again; `dead` after days of failures.
    async fn failed(&self, domain: &str, error: &str, now: i64, retry_at: i64, dead: bool) -> Result<(), PortError>;
    /// Our actor that signs a delivery.
    async fn signer(&self, username: &str) -> Result<Option<LocalActor>, PortError>;
}

/// After this long failing, an instance is considered dead.
pub const DEAD_AFTER_MS: i64 = 3 * 24 * 3600 * 1000;
const MAX_BACKOFF_MS: i64 = 24 * 3600 * 1000;

/// Delay before the next attempt after `failures` consecutive failures (1 s, 2 s, 4 s... a day).
pub fn backoff_ms(failures: i64) -> i64 {
    let exponent = failures.clamp(1, 40) - 1;
    1000i64.saturating_mul(1i64 << exponent.min(30)).min(MAX_BACKOFF_MS)
}

/// Tuning of the worker.
#[derive(Debug, Clone)]
pub struct QueueOptions {
    /// Instances served at the same time.
    pub parallel_domains: usize,
    /// Deliveries taken per instance per round.
    pub batch_per_domain: usize,
    /// How often the queue is looked at when nothing wakes it.
    pub poll: Duration,
}

impl Default for QueueOptions {
    fn default() -> Self {
        Self { parallel_domains: 32, batch_per_domain: 64, poll: Duration::from_secs(1) }
    }
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// Runs until the task is aborted. `wake` is notified after each commit that queues deliveries.
pub async fn run(federation: Federation, store: Arc<dyn QueueStore>, wake: Arc<Notify>, options: QueueOptions) {
    let mut busy: HashSet<String> = HashSet::new();
    let mut tasks: JoinSet<String> = JoinSet::new();
    loop {
        if tasks.len() < options.parallel_domains {
            let busy_list: Vec<String> = busy.iter().cloned().collect();
            let limit = options.batch_per_domain * (options.parallel_domains - tasks.len());
            match store.due(now_ms(), &busy_list, limit).await {
                Ok(due) => {
                    let mut by_domain: BTreeMap<String, Vec<Delivery>> = BTreeMap::new();
                    for delivery in due {
                        let batch = by_domain.entry(delivery.domain.clone()).or_default();
                        if batch.len() < options.batch_per_domain {
                            batch.push(delivery);
                        }
                    }
                    for (domain, batch) in by_domain {
                        if tasks.len() >= options.parallel_domains {
                            break;
                        }
                        busy.insert(domain.clone());
                        let (federation, store) = (federation.clone(), store.clone());
                        tasks.spawn(async move {
                            send_batch(&federation, store.as_ref(), &batch).await;
                            domain
                        });
                    }
                }
                Err(e) => tracing::error!(error = %e, "delivery queue: reading due deliveries"),
            }
        }
        tokio::select! {
            Some(done) = tasks.join_next(), if !tasks.is_empty() => {
                if let Ok(domain) = done {
                    busy.remove(&domain);
                } else {
                    // A panicking batch: forget which domain was busy rather than block it forever.
                    busy.clear();
                }
            }
            () = wake.notified() => {}
            () = tokio::time::sleep(options.poll) => {}
        }
    }
}

/// Sends one domain's deliveries in order; stops at the first failure.
async fn send_batch(federation: &Federation, store: &dyn QueueStore, batch: &[Delivery]) {
    let mut signers: HashMap<String, Option<LocalActor>> = HashMap::new();
    for delivery in batch {
        if !signers.contains_key(&delivery.signer) {
            let signer = match store.signer(&delivery.signer).await {
                Ok(signer) => signer,
                Err(e) => {
                    tracing::error!(error = %e, "delivery queue: reading a signer");
                    return;
                }
            };
            signers.insert(delivery.signer.clone(), signer);
        }
        let result = match signers.get(&delivery.signer).and_then(Option::as_ref) {
            Some(signer) => federation.send(signer, &delivery.activity, &delivery.inbox).await,
            // The member is gone (deleted or disabled): nothing can be signed in their name any more.
            None => Ok(Sent::Taken),
        };
        let now = now_ms();
        let recorded = match result {
            Ok(Sent::Taken) => store.delivered(delivery, now, None).await,
            Ok(Sent::Refused(status)) => {
                let why = format!("{} refused the activity (HTTP {status}); it is not sent again", delivery.inbox);
                tracing::warn!(domain = %delivery.domain, inbox = %delivery.inbox, status, "delivery refused");
                store.delivered(delivery, now, Some(&why)).await
            }
            Err(error) => {
                let failures = delivery.domain_failures + 1;
                let since = delivery.failing_since.unwrap_or(now);
                let dead = now - since > DEAD_AFTER_MS;
                let retry_at = now + if dead { MAX_BACKOFF_MS } else { backoff_ms(failures) };
                tracing::info!(domain = %delivery.domain, inbox = %delivery.inbox, %error, failures, "delivery failed");
                let recorded = store.failed(&delivery.domain, &error.to_string(), now, retry_at, dead).await;
                if let Err(e) = recorded {
                    tracing::error!(error = %e, "delivery queue: recording a failure");
                }
                return;
            }
        };
        if let Err(e) = recorded {
            tracing::error!(error = %e, "delivery queue: recording a delivery");
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_a_day() {
        assert_eq!(backoff_ms(1), 1000);
        assert_eq!(backoff_ms(2), 2000);
        assert_eq!(backoff_ms(5), 16_000);
        assert_eq!(backoff_ms(40), MAX_BACKOFF_MS);
        assert_eq!(backoff_ms(0), 1000);
    }
}
