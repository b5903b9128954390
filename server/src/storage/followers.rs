//! Remote actors that follow one of ours (`followers`), and the inboxes our activities go to.

use maillage_federation::RemoteActor;
use sqlx::{AnyConnection, Row};

use crate::domain::actor::ActorKey;

/// Records `follower` as an accepted follower of our actor `local_actor` (again: its inbox and
/// follow id are updated). Every follow of ours is accepted at once; the schema's `pending` state is
/// for the day an actor of ours approves its followers by hand.
pub async fn add_accepted_follower(
    conn: &mut AnyConnection,
    local_actor: ActorKey<'_>,
    follower: &RemoteActor,
    follow_id: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO followers (local_actor, follower, domain, inbox, state, follow_id, created_at) \
         VALUES ($1, $2, $3, $4, 'accepted', $5, $6) ON CONFLICT (local_actor, follower) DO UPDATE SET \
         inbox = excluded.inbox, state = excluded.state, follow_id = excluded.follow_id",
    )
    .bind(local_actor.as_str())
    .bind(follower.id.as_str())
    .bind(&follower.domain)
    .bind(follower.delivery_inbox().as_str())
    .bind(follow_id)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub async fn remove_follower(
    conn: &mut AnyConnection,
    local_actor: ActorKey<'_>,
    follower: &str,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("DELETE FROM followers WHERE local_actor = $1 AND follower = $2")
        .bind(local_actor.as_str())
        .bind(follower)
        .execute(&mut *conn)
        .await?;
    Ok(done.rows_affected() > 0)
}

/// Removes every follower on `domain` (unpeering, blocking).
pub async fn remove_followers_on(conn: &mut AnyConnection, domain: &str) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM followers WHERE domain = $1").bind(domain).execute(&mut *conn).await?;
    Ok(())
}

/// Distinct inboxes of the accepted followers of the given local actors; with `peers_only`, only
/// followers that are the instance actors of peers we exchange with.
pub async fn follower_inboxes(
    conn: &mut AnyConnection,
    local_actors: &[ActorKey<'_>],
    peers_only: bool,
) -> Result<Vec<(String, String)>, sqlx::Error> {
    if local_actors.is_empty() {
        return Ok(Vec::new());
    }
    let placeholders: Vec<String> = (1..=local_actors.len()).map(|i| format!("${i}")).collect();
    let peer_filter = if peers_only {
        " AND f.follower IN (SELECT actor_id FROM peers WHERE incoming = 'accepted' AND blocked = 0 AND actor_id IS NOT NULL)"
    } else {
        ""
    };
    let sql = format!(
        "SELECT DISTINCT f.inbox, f.domain FROM followers f WHERE f.state = 'accepted' AND f.local_actor IN ({}) \
         AND f.domain NOT IN (SELECT domain FROM peers WHERE blocked <> 0){peer_filter} ORDER BY f.inbox",
        placeholders.join(", ")
    );
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
    for actor in local_actors {
        query = query.bind(actor.as_str());
    }
    let rows = query.fetch_all(&mut *conn).await?;
    rows.iter().map(|r| Ok((r.try_get("inbox")?, r.try_get("domain")?))).collect()
}

/// Accepted followers of a local actor (for its followers collection).
pub async fn count_followers(conn: &mut AnyConnection, local_actor: ActorKey<'_>) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT COUNT(*) FROM followers WHERE local_actor = $1 AND state = 'accepted'")
        .bind(local_actor.as_str())
        .fetch_one(&mut *conn)
        .await
}
