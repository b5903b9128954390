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
//!   when it sends us something, when it answers a probe (below), or when an admin asks.
//! - A delivery our own rules forbid (an unusable inbox URL) is dropped at once and reported: it
//!   never holds the queue.
//! - No single activity holds a domain's queue for long: once a delivery has failed
//!   `attempts_before_skipping` times, the next delivery to the same domain is tried right after it;
//!   if that one is taken, the server is up and refuses only the first, which is given up (and
//!   reported). If the next one fails too, the server is down: nothing is given up.
//! - While a domain waits for a distant next attempt, it is probed (a plain GET of its instance
//!   actor, or of its NodeInfo) at most once a minute: a server that answers is back, and its
//!   deliveries go at once instead of waiting for their slot.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use tokio::sync::Notify;
use tokio::task::JoinSet;
use url::Url;

use crate::client::Federation;
use crate::deliver::Sent;
use crate::port::{LocalActor, PortError};

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
    /// How many times this delivery failed so far.
    pub attempts: i64,
    /// Consecutive failures of this delivery's domain so far.
    pub domain_failures: i64,
    /// When the domain first failed in the current run of failures (unix ms).
    pub failing_since: Option<i64>,
}

/// A domain waiting for its next attempt, and the URL that tells whether it is back.
#[derive(Debug, Clone)]
pub struct Waiting {
    pub domain: String,
    pub probe: Url,
}

/// The queue's storage, implemented by the server.
#[async_trait]
pub trait QueueStore: Send + Sync + 'static {
    /// Deliveries ready to go, oldest first: those of domains whose next attempt has come, not
    /// blocked, and not in `busy`. At most `limit` rows.
    async fn due(&self, now: i64, busy: &[String], limit: usize) -> Result<Vec<Delivery>, PortError>;
    /// The inbox answered, or the delivery is given up: remove it; record the domain's success, or,
    /// when the activity was refused or dropped (`refused`, saying why), that as its last error.
    async fn delivered(&self, delivery: &Delivery, now: i64, refused: Option<&str>) -> Result<(), PortError>;
    /// The delivery failed once more (its `attempts` grow by one).
    async fn attempt_failed(&self, delivery: &Delivery) -> Result<(), PortError>;
    /// The domain failed: record the error and when to try again; `dead` after days of failures.
    async fn failed(&self, domain: &str, error: &str, now: i64, retry_at: i64, dead: bool) -> Result<(), PortError>;
    /// Domains whose next attempt is after `later_than` and that were not probed since
    /// `probed_before`, with what to probe.
    async fn waiting(&self, later_than: i64, probed_before: i64) -> Result<Vec<Waiting>, PortError>;
    /// A probe of `domain` was made at `now`; when it `answered`, its deliveries are due at once.
    async fn probed(&self, domain: &str, now: i64, answered: bool) -> Result<(), PortError>;
    /// Our actor that signs a delivery.
    async fn signer(&self, username: &str) -> Result<Option<LocalActor>, PortError>;
}

/// After this long failing, an instance is considered dead.
pub const DEAD_AFTER_MS: i64 = 3 * 24 * 3600 * 1000;
const MAX_BACKOFF_MS: i64 = 24 * 3600 * 1000;
/// A domain whose next attempt is further than this is probed...
const PROBE_WHEN_WAITING_MS: i64 = 30 * 1000;
/// ...at most this often.
const PROBE_EVERY_MS: i64 = 60 * 1000;

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
    /// Failures of one delivery after which the next one to the same server is tried to tell a
    /// server that is down from one that refuses only this activity (which is then given up).
    pub attempts_before_skipping: i64,
}

impl Default for QueueOptions {
    fn default() -> Self {
        Self { parallel_domains: 32, batch_per_domain: 64, poll: Duration::from_secs(1), attempts_before_skipping: 10 }
    }
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// Runs until the task is aborted. `wake` is notified after each commit that queues deliveries.
pub async fn run(federation: Federation, store: Arc<dyn QueueStore>, wake: Arc<Notify>, options: QueueOptions) {
    let mut busy: HashSet<String> = HashSet::new();
    let mut tasks: JoinSet<String> = JoinSet::new();
    let mut last_probe_round = 0;
    loop {
        let now = now_ms();
        if now - last_probe_round >= options.poll.as_millis() as i64 * 5 {
            last_probe_round = now;
            probe_waiting(&federation, store.as_ref(), &busy).await;
        }
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
                        let (federation, store, options) = (federation.clone(), store.clone(), options.clone());
                        tasks.spawn(async move {
                            send_batch(&federation, store.as_ref(), &batch, &options).await;
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

/// Probes the domains that wait for a distant next attempt (a few at a time, each at most once a
/// minute); those that answer get their deliveries at once.
async fn probe_waiting(federation: &Federation, store: &dyn QueueStore, busy: &HashSet<String>) {
    let now = now_ms();
    let waiting = match store.waiting(now + PROBE_WHEN_WAITING_MS, now - PROBE_EVERY_MS).await {
        Ok(waiting) => waiting,
        Err(e) => {
            tracing::error!(error = %e, "delivery queue: reading the domains that wait");
            return;
        }
    };
    let mut probes = JoinSet::new();
    for waiting in waiting.into_iter().filter(|w| !busy.contains(&w.domain)).take(8) {
        let federation = federation.clone();
        probes.spawn(async move {
            let answered = federation.answers(&waiting.probe).await;
            (waiting, answered)
        });
    }
    while let Some(Ok((waiting, answered))) = probes.join_next().await {
        if answered {
            tracing::info!(domain = %waiting.domain, probe = %waiting.probe, "a server we could not reach answers again: its deliveries go now");
        }
        if let Err(e) = store.probed(&waiting.domain, now_ms(), answered).await {
            tracing::error!(error = %e, "delivery queue: recording a probe");
        }
    }
}

/// What became of one delivery.
enum Outcome {
    /// Removed from the queue (taken, refused for good, or not allowed).
    Done,
    /// To be tried again later.
    Failed(String),
}

/// Sends one delivery and records what became of it, unless it failed (the caller decides).
async fn deliver(
    federation: &Federation,
    store: &dyn QueueStore,
    signer: Option<&LocalActor>,
    delivery: &Delivery,
) -> Result<Outcome, PortError> {
    let result = match signer {
        Some(signer) => federation.send(signer, &delivery.activity, &delivery.inbox).await,
        // The member is gone (deleted or disabled): nothing can be signed in their name any more.
        None => Ok(Sent::Taken),
    };
    let (domain, inbox) = (&delivery.domain, &delivery.inbox);
    let refused = match result {
        Ok(Sent::Taken) => None,
        Ok(Sent::Refused(status)) => {
            tracing::warn!(%domain, %inbox, status, "delivery refused");
            Some(format!("{inbox} refused the activity (HTTP {status}); it is not sent again"))
        }
        Ok(Sent::Undeliverable(why)) => {
            tracing::warn!(%domain, %inbox, why, "delivery not allowed: dropped");
            Some(format!("not sent, and never will be: {why}"))
        }
        Err(error) => return Ok(Outcome::Failed(error.to_string())),
    };
    store.delivered(delivery, now_ms(), refused.as_deref()).await?;
    Ok(Outcome::Done)
}

/// Sends one domain's deliveries in order; stops at the first failure, except to tell a poisoned
/// delivery from a server that is down (see the module documentation).
async fn send_batch(federation: &Federation, store: &dyn QueueStore, batch: &[Delivery], options: &QueueOptions) {
    let mut signers: HashMap<String, Option<LocalActor>> = HashMap::new();
    // A delivery that keeps failing while its server may be up: given up if the next one is taken.
    let mut suspect: Option<(&Delivery, String)> = None;
    for (index, delivery) in batch.iter().enumerate() {
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
        let signer = signers.get(&delivery.signer).and_then(Option::as_ref);
        let outcome = match deliver(federation, store, signer, delivery).await {
            Ok(outcome) => outcome,
            Err(e) => {
                tracing::error!(error = %e, "delivery queue: recording a delivery");
                return;
            }
        };
        match outcome {
            Outcome::Done => {
                if let Some((poisoned, error)) = suspect.take() {
                    let why = format!(
                        "{} kept failing ({error}) while the server took the next activity: given up after {} attempts",
                        poisoned.inbox,
                        poisoned.attempts + 1
                    );
                    tracing::warn!(domain = %poisoned.domain, inbox = %poisoned.inbox, "delivery given up");
                    if let Err(e) = store.delivered(poisoned, now_ms(), Some(&why)).await {
                        tracing::error!(error = %e, "delivery queue: giving a delivery up");
                        return;
                    }
                }
            }
            Outcome::Failed(error) => {
                if let Err(e) = store.attempt_failed(delivery).await {
                    tracing::error!(error = %e, "delivery queue: recording a failed attempt");
                }
                let try_next = suspect.is_none()
                    && delivery.attempts + 1 >= options.attempts_before_skipping
                    && index + 1 < batch.len();
                if try_next {
                    tracing::info!(domain = %delivery.domain, inbox = %delivery.inbox, %error, "delivery keeps failing: trying the next one");
                    suspect = Some((delivery, error));
                    continue;
                }
                record_failure(store, delivery, &error).await;
                return;
            }
        }
    }
}

/// The domain failed: its deliveries wait for the next attempt.
async fn record_failure(store: &dyn QueueStore, delivery: &Delivery, error: &str) {
    let now = now_ms();
    let failures = delivery.domain_failures + 1;
    let since = delivery.failing_since.unwrap_or(now);
    let dead = now - since > DEAD_AFTER_MS;
    let retry_at = now + if dead { MAX_BACKOFF_MS } else { backoff_ms(failures) };
    tracing::info!(domain = %delivery.domain, inbox = %delivery.inbox, %error, failures, "delivery failed");
    if let Err(e) = store.failed(&delivery.domain, error, now, retry_at, dead).await {
        tracing::error!(error = %e, "delivery queue: recording a failure");
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
