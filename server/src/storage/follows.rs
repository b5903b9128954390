//! Follows of remote actors by our actors (`following`): members' follows and the instance's
//! peering requests.

use maillage_federation::RemoteActor;
use sqlx::{AnyConnection, Row};

use super::remote_actors::{ACTOR_COLUMNS, actor_from_row};
use crate::domain::actor::ActorKey;
use crate::domain::follow::FollowState;

/// A follow by one of our actors (a member, or the instance) of a remote actor.
#[derive(Debug, Clone, PartialEq)]
pub struct FollowRow {
    pub target: String,
    pub follow_id: String,
    pub state: FollowState,
}

fn decode_state(row: &sqlx::any::AnyRow) -> Result<FollowState, sqlx::Error> {
    let text: String = row.try_get("state")?;
    FollowState::parse(&text).ok_or_else(|| sqlx::Error::Decode(format!("state: unknown follow state {text:?}").into()))
}

pub async fn save_follow(
    conn: &mut AnyConnection,
    local_actor: ActorKey<'_>,
    follow: &FollowRow,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO following (local_actor, target, follow_id, state, created_at) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (local_actor, target) DO UPDATE SET follow_id = excluded.follow_id, state = excluded.state",
    )
    .bind(local_actor.as_str())
    .bind(&follow.target)
    .bind(&follow.follow_id)
    .bind(follow.state.as_str())
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub async fn follow(
    conn: &mut AnyConnection,
    local_actor: ActorKey<'_>,
    target: &str,
) -> Result<Option<FollowRow>, sqlx::Error> {
    let row = sqlx::query("SELECT target, follow_id, state FROM following WHERE local_actor = $1 AND target = $2")
        .bind(local_actor.as_str())
        .bind(target)
        .fetch_optional(&mut *conn)
        .await?;
    row.map(|r| {
        Ok(FollowRow { target: r.try_get("target")?, follow_id: r.try_get("follow_id")?, state: decode_state(&r)? })
    })
    .transpose()
}

/// The follows of a local actor, with the followed actor when we have its document.
pub async fn follows_of(
    conn: &mut AnyConnection,
    local_actor: ActorKey<'_>,
) -> Result<Vec<(FollowRow, Option<RemoteActor>)>, sqlx::Error> {
    let actor_columns: Vec<String> = ACTOR_COLUMNS.split(", ").map(|c| format!("r.{c}")).collect();
    let sql = format!(
        "SELECT f.target, f.follow_id, f.state, r.id AS known, {} FROM following f \
         LEFT JOIN remote_actors r ON r.id = f.target WHERE f.local_actor = $1 ORDER BY f.created_at",
        actor_columns.join(", ")
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(local_actor.as_str()).fetch_all(&mut *conn).await?;
    rows.iter()
        .map(|r| {
            let follow =
                FollowRow { target: r.try_get("target")?, follow_id: r.try_get("follow_id")?, state: decode_state(r)? };
            let actor = match r.try_get::<Option<String>, _>("known")? {
                Some(_) => Some(actor_from_row(r)?),
                None => None,
            };
            Ok((follow, actor))
        })
        .collect()
}

/// Records the answer to our follows of `target` (by `local_actor` only, when known); returns how
/// many follows changed.
pub async fn answer_follows(
    conn: &mut AnyConnection,
    target: &str,
    local_actor: Option<ActorKey<'_>>,
    accepted: bool,
) -> Result<u64, sqlx::Error> {
    let state = FollowState::answered(accepted).as_str();
    let done = match local_actor {
        Some(local_actor) => {
            sqlx::query("UPDATE following SET state = $1 WHERE target = $2 AND local_actor = $3 AND state <> $1")
                .bind(state)
                .bind(target)
                .bind(local_actor.as_str())
                .execute(&mut *conn)
                .await?
        }
        None => {
            sqlx::query("UPDATE following SET state = $1 WHERE target = $2 AND state <> $1")
                .bind(state)
                .bind(target)
                .execute(&mut *conn)
                .await?
        }
    };
    Ok(done.rows_affected())
}

pub async fn remove_follow(
    conn: &mut AnyConnection,
    local_actor: ActorKey<'_>,
    target: &str,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("DELETE FROM following WHERE local_actor = $1 AND target = $2")
        .bind(local_actor.as_str())
        .bind(target)
        .execute(&mut *conn)
        .await?;
    Ok(done.rows_affected() > 0)
}

/// Whether one of our members follows the instance actor of `domain` (following a whole instance).
pub async fn instance_followed_by_a_member(conn: &mut AnyConnection, domain: &str) -> Result<bool, sqlx::Error> {
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM following f JOIN remote_actors r ON r.id = f.target \
         WHERE f.state = 'accepted' AND f.local_actor <> $2 AND r.domain = $1 AND r.kind = 'Application'",
    )
    .bind(domain)
    .bind(ActorKey::Instance.as_str())
    .fetch_one(&mut *conn)
    .await?;
    Ok(n > 0)
}

/// Whether one of our members follows `actor` (their listings are then kept even without peering).
pub async fn is_followed_by_a_member(conn: &mut AnyConnection, actor: &str) -> Result<bool, sqlx::Error> {
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM following WHERE target = $1 AND state = 'accepted'")
        .bind(actor)
        .fetch_one(&mut *conn)
        .await?;
    Ok(n > 0)
}
