//! Federation as the instance sees it: the `Federator`, which the `federation` crate calls for
//! what it receives (`services::inbox`: the `Port`, which routes to the services) and for the delivery
//! queue (`queue.rs`), and which starts the delivery worker; our actors and their keys
//! (`actors.rs`); what our documents may show (`documents.rs`); the activities our listings'
//! changes cause (`outbound.rs`). Peering, follows and remote listings are services of their own
//! (`services::peering`, `services::follows`, `services::remote_listings`).

use std::sync::Arc;
use std::time::Duration;

use maillage_federation::{Federation, FederationError, Options};

use crate::domain::ids::now_ms;
use crate::error::{AppError, AppResult};
use crate::services::Services;
use crate::storage::{receptions, stats};

pub mod actors;
pub mod collectives;
pub mod documents;
pub mod exchanges;
pub mod outbound;
mod queue;

pub use crate::domain::peering::PeerState;

/// What the `federation` crate calls: the inbox's port and the delivery queue's store, over the
/// services; cheap to clone.
#[derive(Clone)]
pub struct Federator {
    inner: Arc<Inner>,
}

struct Inner {
    services: Services,
    /// NodeInfo's usage figures and when they were counted: anyone may ask for them, and counting
    /// costs milliseconds at 100,000 listings, so they are counted at most once a minute.
    usage: tokio::sync::Mutex<Option<(i64, stats::Usage)>>,
}

impl std::fmt::Debug for Federator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Federator").field("domain", &self.services().urls().domain()).finish_non_exhaustive()
    }
}

impl Federator {
    pub fn new(services: Services) -> Self {
        Self { inner: Arc::new(Inner { services, usage: tokio::sync::Mutex::new(None) }) }
    }

    pub fn services(&self) -> &Services {
        &self.inner.services
    }

    /// The usage figures NodeInfo publishes, counted at most once every [`USAGE_FOR_MS`]; concurrent
    /// readers wait for one count rather than each making their own.
    pub async fn usage(&self) -> Result<stats::Usage, sqlx::Error> {
        let mut cached = self.inner.usage.lock().await;
        let now = now_ms();
        if let Some((at, usage)) = cached.as_ref()
            && now - at < USAGE_FOR_MS
        {
            return Ok(usage.clone());
        }
        let usage = stats::usage(&mut *self.services().db().conn().await?, now).await?;
        *cached = Some((now, usage.clone()));
        Ok(usage)
    }

    /// Creates the instance actor's key if needed, sets up the federation client, and spawns the
    /// delivery worker. Returns the background tasks (aborted on shutdown).
    pub async fn start(&self) -> anyhow::Result<Vec<tokio::task::JoinHandle<()>>> {
        let services = self.services();
        if !services.federates() {
            return Ok(Vec::new());
        }
        let config = &services.config().federation;
        let instance = actors::instance_actor(services).await.map_err(|e| anyhow::anyhow!("{e}"))?;
        let federation = Federation::new(
            Arc::new(self.clone()),
            services.urls().clone(),
            &instance,
            Options { insecure_local: config.insecure_local_federation, request_timeout: Duration::from_secs(10) },
        )
        .await?;
        services.set_federation(federation.clone());
        let store: Arc<dyn maillage_federation::queue::QueueStore> = Arc::new(queue::Store(services.clone()));
        let worker = tokio::spawn(maillage_federation::queue::run(
            federation,
            store,
            services.wake_signal(),
            maillage_federation::queue::QueueOptions {
                attempts_before_skipping: i64::from(config.delivery_attempts),
                ..Default::default()
            },
        ));
        Ok(vec![worker])
    }
}

/// Forgets received activity ids older than [`KEEP_RECEPTIONS_MS`] (periodic work, `upkeep`).
pub(crate) async fn prune_receptions(services: &Services) -> AppResult<u64> {
    Ok(receptions::prune_receptions(&mut *services.conn().await?, now_ms() - KEEP_RECEPTIONS_MS).await?)
}

/// Looks up `handle` (`user@host`) by WebFinger and fetches its actor; a failure is told as an
/// error of `field` (`not_found` when there is no such actor).
pub(crate) async fn look_up(
    services: &Services,
    handle: &str,
    field: &'static str,
    not_found: &'static str,
) -> AppResult<maillage_federation::RemoteActor> {
    services.running()?.resolve_handle(handle).await.map_err(|e| lookup_failed(e, field, not_found))
}

/// What a failed lookup of `field` (a domain or an account) means for the person who typed it.
pub(crate) fn lookup_failed(error: FederationError, field: &'static str, not_found: &'static str) -> AppError {
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

/// The domain is blocked here: nothing is asked of it, and nothing of it is followed.
pub(crate) fn blocked() -> AppError {
    AppError::new(axum::http::StatusCode::CONFLICT, "blocked", "error.peer_blocked")
}

/// The other server could not be reached, or refused: a 502 that says so.
pub(crate) fn unavailable(error: impl std::fmt::Display) -> AppError {
    tracing::info!(%error, "remote instance unreachable or refused");
    AppError::new(axum::http::StatusCode::BAD_GATEWAY, "remote_unreachable", "error.remote_unreachable")
}

/// How long NodeInfo's usage figures are kept before they are counted again.
pub const USAGE_FOR_MS: i64 = 60 * 1000;

/// Received activity ids are kept this long to recognise duplicates and replays: well beyond the
/// hour a signature stays valid, and the retries of any sender.
const KEEP_RECEPTIONS_MS: i64 = 30 * 24 * 3600 * 1000;

/// Unix milliseconds as RFC 3339 (`2026-11-23T10:00:00Z`).
pub fn rfc3339(ms: i64) -> String {
    let time = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    time.format(&time::format_description::well_known::Rfc3339).unwrap_or_default()
}
