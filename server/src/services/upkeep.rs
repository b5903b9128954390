//! The instance's upkeep: a background task that removes expired sessions and lets the rate
//! limiters forget the clients they no longer need to remember. Started by `app::serve`, whether or
//! not the instance federates, and stopped with the server.

use std::sync::Arc;
use std::time::Duration;

use crate::domain::ids::now_ms;
use crate::services::limits::Limits;
use crate::storage::Db;
use crate::storage::sessions;

/// How often the rate limiters drop the keys whose quota is full again.
const LIMITS_EVERY: Duration = Duration::from_secs(60);

/// Expired sessions are removed at start-up and then once every this many rounds (an hour).
const SESSIONS_EVERY_ROUNDS: u32 = 60;

/// Runs until aborted.
pub async fn run(db: Db, limits: Arc<Limits>) {
    let mut ticks = tokio::time::interval(LIMITS_EVERY);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut round: u32 = 0;
    loop {
        // The first tick is immediate: expired sessions go at start-up.
        ticks.tick().await;
        if round.is_multiple_of(SESSIONS_EVERY_ROUNDS) {
            prune_sessions(&db).await;
        }
        round = round.wrapping_add(1);
        limits.retain_recent();
    }
}

/// Removes the sessions and API tokens whose time is over.
pub async fn prune_sessions(db: &Db) {
    match async { sessions::delete_expired(&mut *db.conn().await?, now_ms()).await }.await {
        Ok(0) => {}
        Ok(removed) => tracing::info!(sessions.removed = removed, "expired sessions removed"),
        // A failed round is tried again at the next one.
        Err(error) => tracing::warn!(%error, "removing expired sessions failed"),
    }
}
