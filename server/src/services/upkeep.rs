//! The instance's periodic work, in one place: each job runs at start-up and then on its own
//! interval, as a background task started by `app::serve` and stopped with the server. A failed
//! round is logged and tried again at the next one. New periodic work (overdue loans, reminders) is
//! one more entry in [`start`].
//!
//! The delivery worker is not here: it runs all the time, woken by each commit that queues an
//! activity (`services::federation`, `maillage_federation::queue`).

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use crate::domain::ids::now_ms;
use crate::error::AppResult;
use crate::services::limits::Limits;
use crate::services::{Services, federation};
use crate::storage::{Db, MAINTENANCE_INTERVAL, sessions};

/// How often the rate limiters drop the keys whose quota is full again.
const LIMITS_EVERY: Duration = Duration::from_secs(60);
/// How often expired sessions and API tokens are removed.
const SESSIONS_EVERY: Duration = Duration::from_secs(3600);
/// How often received activity ids past their keeping time are forgotten.
const RECEPTIONS_EVERY: Duration = Duration::from_secs(3600);
/// How often the images no photo shows any more are removed, and the room other servers' photos
/// take is checked.
const PHOTOS_EVERY: Duration = Duration::from_secs(3600);
/// How often members without a key pair are looked for (new members get theirs within this time,
/// or on first use).
const KEYS_EVERY: Duration = Duration::from_secs(5);

/// How often exchanges are looked at for completion by themselves and loans' reminders.
const EXCHANGES_EVERY: Duration = Duration::from_secs(600);
/// How often the emails waiting are sent.
const EMAILS_EVERY: Duration = Duration::from_secs(2);

/// Starts every periodic job; returns their tasks (aborted on shutdown). The jobs take turns: one
/// runs at a time, so that periodic work never holds more than one of the database's connections
/// (each of SQLite's is a thread and its cache: at start-up, when every job is due at once, they
/// took five).
pub fn start(services: &Services, limits: &Arc<Limits>) -> Vec<tokio::task::JoinHandle<()>> {
    let turn = Arc::new(tokio::sync::Semaphore::new(1));
    let mut jobs = Vec::new();
    let db = services.db();
    let db_ = db.clone();
    jobs.push(every(&turn, "removing expired sessions", SESSIONS_EVERY, true, move || prune_sessions(db_.clone())));
    let limits = limits.clone();
    jobs.push(every(&turn, "forgetting rate-limited clients", LIMITS_EVERY, true, move || {
        let limits = limits.clone();
        async move {
            limits.retain_recent();
            Ok(())
        }
    }));
    // Start-up has just brought the planner statistics up to date: the first round is an interval on.
    let db_ = db.clone();
    jobs.push(every(&turn, "updating the query planner's statistics", MAINTENANCE_INTERVAL, false, move || {
        let db = db_.clone();
        async move { Ok(db.optimize().await?) }
    }));
    let services_ = services.clone();
    jobs.push(every(&turn, "removing unused photos", PHOTOS_EVERY, true, move || {
        let services = services_.clone();
        async move {
            let done = crate::services::photos::upkeep(&services).await?;
            if done.unused_removed > 0 {
                tracing::info!(removed = done.unused_removed, "images no photo shows any more removed");
            }
            Ok(())
        }
    }));
    let services_ = services.clone();
    jobs.push(every(&turn, "completing exchanges nobody confirmed", EXCHANGES_EVERY, true, move || {
        let services = services_.clone();
        async move {
            crate::services::exchanges::upkeep::complete_unconfirmed(&services).await?;
            Ok(())
        }
    }));
    let services_ = services.clone();
    jobs.push(every(&turn, "reminding borrowers of their loans", EXCHANGES_EVERY, true, move || {
        let services = services_.clone();
        async move {
            crate::services::exchanges::upkeep::remind_loans(&services).await?;
            Ok(())
        }
    }));
    if services.config().email.is_configured() {
        // Emails go on their own round, outside the jobs' turns: an SMTP server that answers
        // slowly must not hold the rest back.
        let services_ = services.clone();
        jobs.push(every(&Arc::new(tokio::sync::Semaphore::new(1)), "sending emails", EMAILS_EVERY, true, move || {
            let services = services_.clone();
            async move {
                crate::services::mailer::send_due(&services).await?;
                Ok(())
            }
        }));
    }
    if services.federates() {
        let services_ = services.clone();
        jobs.push(every(&turn, "forgetting old received activity ids", RECEPTIONS_EVERY, true, move || {
            let services = services_.clone();
            async move {
                let forgotten = federation::prune_receptions(&services).await?;
                if forgotten > 0 {
                    tracing::info!(forgotten, "old received activity ids forgotten");
                }
                Ok(())
            }
        }));
        let services_ = services.clone();
        jobs.push(every(&turn, "generating members' key pairs", KEYS_EVERY, true, move || {
            let services = services_.clone();
            async move {
                federation::actors::generate_missing_keys(&services).await?;
                Ok(())
            }
        }));
    }
    jobs
}

/// Runs `job` every `interval` (the first time at once when `at_start`), each round in its `turn`,
/// for as long as the task lives; a round that fails is logged with `name`.
fn every<F, Fut>(
    turn: &Arc<tokio::sync::Semaphore>,
    name: &'static str,
    interval: Duration,
    at_start: bool,
    job: F,
) -> tokio::task::JoinHandle<()>
where
    F: Fn() -> Fut + Send + 'static,
    Fut: Future<Output = AppResult<()>> + Send,
{
    let turn = turn.clone();
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(interval);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        if !at_start {
            // The first tick of an interval is immediate.
            ticks.tick().await;
        }
        loop {
            ticks.tick().await;
            // The semaphore is never closed; were it, the job would run without waiting its turn.
            let _turn = turn.acquire().await.ok();
            if let Err(error) = job().await {
                tracing::warn!(job = name, %error, "periodic work failed; it is tried again at the next round");
            }
        }
    })
}

/// Removes the sessions and API tokens whose time is over.
async fn prune_sessions(db: Db) -> AppResult<()> {
    let removed = sessions::delete_expired(&mut *db.conn().await?, now_ms()).await?;
    if removed > 0 {
        tracing::info!(sessions.removed = removed, "expired sessions removed");
    }
    Ok(())
}
