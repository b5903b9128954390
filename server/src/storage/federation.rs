//! Federation state: our actors' keys, remote actors, peers, followers and follows, received
//! activity ids.

use maillage_federation::RemoteActor;
use maillage_federation::vocab::ActorKind;
use sqlx::any::AnyRow;
use sqlx::{Any, Executor, Row};
use url::Url;

use super::Db;

/// The `owner` / `local_actor` key of the instance actor in these tables (member ids never start
/// with `@`).
pub const INSTANCE: &str = "@instance";

// ---- keys -------------------------------------------------------------------------------------

pub async fn keys(db: &Db, owner: &str) -> Result<Option<(String, String)>, sqlx::Error> {
    let row = sqlx::query("SELECT public_key_pem, private_key_pem FROM actor_keys WHERE owner = $1")
        .bind(owner)
        .fetch_optional(&db.pool)
        .await?;
    row.map(|r| Ok((r.try_get("public_key_pem")?, r.try_get("private_key_pem")?))).transpose()
}

pub async fn key_created_at(db: &Db, owner: &str) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar("SELECT created_at FROM actor_keys WHERE owner = $1").bind(owner).fetch_optional(&db.pool).await
}

/// Stores a key pair unless the owner has one already (two requests may race to create it); returns
/// the pair in effect.
pub async fn insert_keys(
    db: &Db,
    owner: &str,
    public: &str,
    private: &str,
    now: i64,
) -> Result<(String, String), sqlx::Error> {
    sqlx::query(
        "INSERT INTO actor_keys (owner, public_key_pem, private_key_pem, created_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (owner) DO NOTHING",
    )
    .bind(owner)
    .bind(public)
    .bind(private)
    .bind(now)
    .execute(&db.pool)
    .await?;
    keys(db, owner).await?.ok_or(sqlx::Error::RowNotFound)
}

/// Active members without a key pair yet.
pub async fn members_without_keys(db: &Db, limit: i64) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT m.id FROM members m LEFT JOIN actor_keys k ON k.owner = m.id \
         WHERE k.owner IS NULL AND m.status = 'active' ORDER BY m.created_at LIMIT $1",
    )
    .bind(limit)
    .fetch_all(&db.pool)
    .await
}

// ---- remote actors ----------------------------------------------------------------------------

const ACTOR_COLUMNS: &str =
    "id, kind, domain, username, display_name, inbox, shared_inbox, outbox, public_key_pem, page, fetched_at";

fn actor_from_row(row: &AnyRow) -> Result<RemoteActor, sqlx::Error> {
    let url = |column: &str| -> Result<Url, sqlx::Error> {
        let text: String = row.try_get(column)?;
        Url::parse(&text).map_err(|e| sqlx::Error::Decode(format!("{column}: {e}").into()))
    };
    let optional_url = |column: &str| -> Result<Option<Url>, sqlx::Error> {
        Ok(row.try_get::<Option<String>, _>(column)?.and_then(|t| Url::parse(&t).ok()))
    };
    let kind: String = row.try_get("kind")?;
    Ok(RemoteActor {
        id: url("id")?,
        kind: ActorKind::parse(&kind).unwrap_or(ActorKind::Person),
        domain: row.try_get("domain")?,
        username: row.try_get("username")?,
        name: row.try_get("display_name")?,
        inbox: url("inbox")?,
        shared_inbox: optional_url("shared_inbox")?,
        outbox: optional_url("outbox")?,
        public_key_pem: row.try_get("public_key_pem")?,
        page: optional_url("page")?,
        fetched_at: row.try_get("fetched_at")?,
    })
}

pub async fn remote_actor(db: &Db, id: &str) -> Result<Option<RemoteActor>, sqlx::Error> {
    let sql = format!("SELECT {ACTOR_COLUMNS} FROM remote_actors WHERE id = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(&db.pool).await?;
    row.as_ref().map(actor_from_row).transpose()
}

/// The instance actor of a peer domain, when we know it.
pub async fn remote_instance_actor(db: &Db, domain: &str) -> Result<Option<RemoteActor>, sqlx::Error> {
    let sql =
        format!("SELECT {ACTOR_COLUMNS} FROM remote_actors WHERE id = (SELECT actor_id FROM peers WHERE domain = $1)");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(domain).fetch_optional(&db.pool).await?;
    row.as_ref().map(actor_from_row).transpose()
}

pub async fn save_remote_actor(db: &Db, actor: &RemoteActor) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO remote_actors (id, kind, domain, username, display_name, inbox, shared_inbox, outbox, \
         public_key_pem, page, fetched_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
         ON CONFLICT (id) DO UPDATE SET kind = excluded.kind, domain = excluded.domain, \
         username = excluded.username, display_name = excluded.display_name, inbox = excluded.inbox, \
         shared_inbox = excluded.shared_inbox, outbox = excluded.outbox, public_key_pem = excluded.public_key_pem, \
         page = excluded.page, fetched_at = excluded.fetched_at",
    )
    .bind(actor.id.as_str())
    .bind(actor.kind.as_str())
    .bind(&actor.domain)
    .bind(&actor.username)
    .bind(&actor.name)
    .bind(actor.inbox.as_str())
    .bind(actor.shared_inbox.as_ref().map(Url::to_string))
    .bind(actor.outbox.as_ref().map(Url::to_string))
    .bind(&actor.public_key_pem)
    .bind(actor.page.as_ref().map(Url::to_string))
    .bind(actor.fetched_at)
    .execute(&db.pool)
    .await?;
    Ok(())
}

// ---- peers ------------------------------------------------------------------------------------

/// A peering, as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct PeerRow {
    pub domain: String,
    pub actor_id: Option<String>,
    /// Our follow of their instance actor: `none`, `requested`, `accepted`, `rejected`.
    pub outgoing: String,
    /// Their follow of ours: `none`, `pending` (waiting for an admin), `accepted`, `rejected`.
    pub incoming: String,
    pub incoming_follow: Option<String>,
    pub blocked: bool,
    pub created_at: i64,
    pub updated_at: i64,
}

const PEER_COLUMNS: &str = "domain, actor_id, outgoing, incoming, incoming_follow, blocked, created_at, updated_at";

fn peer_from_row(row: &AnyRow) -> Result<PeerRow, sqlx::Error> {
    Ok(PeerRow {
        domain: row.try_get("domain")?,
        actor_id: row.try_get("actor_id")?,
        outgoing: row.try_get("outgoing")?,
        incoming: row.try_get("incoming")?,
        incoming_follow: row.try_get("incoming_follow")?,
        blocked: row.try_get::<i64, _>("blocked")? != 0,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

pub async fn peer<'c, E: Executor<'c, Database = Any>>(conn: E, domain: &str) -> Result<Option<PeerRow>, sqlx::Error> {
    let sql = format!("SELECT {PEER_COLUMNS} FROM peers WHERE domain = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(domain).fetch_optional(conn).await?;
    row.as_ref().map(peer_from_row).transpose()
}

pub async fn peers(db: &Db) -> Result<Vec<PeerRow>, sqlx::Error> {
    let sql = format!("SELECT {PEER_COLUMNS} FROM peers ORDER BY domain");
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).fetch_all(&db.pool).await?;
    rows.iter().map(peer_from_row).collect()
}

pub async fn save_peer<'c, E: Executor<'c, Database = Any>>(conn: E, peer: &PeerRow) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO peers (domain, actor_id, outgoing, incoming, incoming_follow, blocked, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (domain) DO UPDATE SET actor_id = excluded.actor_id, \
         outgoing = excluded.outgoing, incoming = excluded.incoming, incoming_follow = excluded.incoming_follow, \
         blocked = excluded.blocked, updated_at = excluded.updated_at",
    )
    .bind(&peer.domain)
    .bind(&peer.actor_id)
    .bind(&peer.outgoing)
    .bind(&peer.incoming)
    .bind(&peer.incoming_follow)
    .bind(i64::from(peer.blocked))
    .bind(peer.created_at)
    .bind(peer.updated_at)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn delete_peer<'c, E: Executor<'c, Database = Any>>(conn: E, domain: &str) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM peers WHERE domain = $1").bind(domain).execute(conn).await?;
    Ok(())
}

pub async fn is_blocked(db: &Db, domain: &str) -> Result<bool, sqlx::Error> {
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM peers WHERE domain = $1 AND blocked <> 0")
        .bind(domain)
        .fetch_one(&db.pool)
        .await?;
    Ok(n > 0)
}

// ---- followers and follows --------------------------------------------------------------------

pub async fn add_follower<'c, E: Executor<'c, Database = Any>>(
    conn: E,
    local_actor: &str,
    follower: &RemoteActor,
    follow_id: &str,
    state: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO followers (local_actor, follower, domain, inbox, state, follow_id, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (local_actor, follower) DO UPDATE SET \
         inbox = excluded.inbox, state = excluded.state, follow_id = excluded.follow_id",
    )
    .bind(local_actor)
    .bind(follower.id.as_str())
    .bind(&follower.domain)
    .bind(follower.delivery_inbox().as_str())
    .bind(state)
    .bind(follow_id)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn remove_follower<'c, E: Executor<'c, Database = Any>>(
    conn: E,
    local_actor: &str,
    follower: &str,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("DELETE FROM followers WHERE local_actor = $1 AND follower = $2")
        .bind(local_actor)
        .bind(follower)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() > 0)
}

/// Removes every follower on `domain` (unpeering, blocking).
pub async fn remove_followers_on<'c, E: Executor<'c, Database = Any>>(
    conn: E,
    domain: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM followers WHERE domain = $1").bind(domain).execute(conn).await?;
    Ok(())
}

/// Distinct inboxes of the accepted followers of the given local actors; with `peers_only`, only
/// followers that are the instance actors of peers we exchange with.
pub async fn follower_inboxes<'c, E: Executor<'c, Database = Any>>(
    conn: E,
    local_actors: &[&str],
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
        query = query.bind(*actor);
    }
    let rows = query.fetch_all(conn).await?;
    rows.iter().map(|r| Ok((r.try_get("inbox")?, r.try_get("domain")?))).collect()
}

/// Accepted followers of a local actor (for its followers collection).
pub async fn count_followers(db: &Db, local_actor: &str) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT COUNT(*) FROM followers WHERE local_actor = $1 AND state = 'accepted'")
        .bind(local_actor)
        .fetch_one(&db.pool)
        .await
}

/// A follow by one of our actors (a member, or the instance) of a remote actor.
#[derive(Debug, Clone, PartialEq)]
pub struct FollowRow {
    pub local_actor: String,
    pub target: String,
    pub follow_id: String,
    pub state: String,
}

pub async fn save_follow<'c, E: Executor<'c, Database = Any>>(
    conn: E,
    follow: &FollowRow,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO following (local_actor, target, follow_id, state, created_at) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (local_actor, target) DO UPDATE SET follow_id = excluded.follow_id, state = excluded.state",
    )
    .bind(&follow.local_actor)
    .bind(&follow.target)
    .bind(&follow.follow_id)
    .bind(&follow.state)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn follow(db: &Db, local_actor: &str, target: &str) -> Result<Option<FollowRow>, sqlx::Error> {
    let row = sqlx::query(
        "SELECT local_actor, target, follow_id, state FROM following WHERE local_actor = $1 AND target = $2",
    )
    .bind(local_actor)
    .bind(target)
    .fetch_optional(&db.pool)
    .await?;
    row.map(|r| {
        Ok(FollowRow {
            local_actor: r.try_get("local_actor")?,
            target: r.try_get("target")?,
            follow_id: r.try_get("follow_id")?,
            state: r.try_get("state")?,
        })
    })
    .transpose()
}

/// The follows of a local actor, with the followed actor when we have its document.
pub async fn follows_of(db: &Db, local_actor: &str) -> Result<Vec<(FollowRow, Option<RemoteActor>)>, sqlx::Error> {
    let actor_columns: Vec<String> = ACTOR_COLUMNS.split(", ").map(|c| format!("r.{c}")).collect();
    let sql = format!(
        "SELECT f.local_actor, f.target, f.follow_id, f.state, r.id AS known, {} FROM following f \
         LEFT JOIN remote_actors r ON r.id = f.target WHERE f.local_actor = $1 ORDER BY f.created_at",
        actor_columns.join(", ")
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(local_actor).fetch_all(&db.pool).await?;
    rows.iter()
        .map(|r| {
            let follow = FollowRow {
                local_actor: r.try_get("local_actor")?,
                target: r.try_get("target")?,
                follow_id: r.try_get("follow_id")?,
                state: r.try_get("state")?,
            };
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
    db: &Db,
    target: &str,
    local_actor: Option<&str>,
    accepted: bool,
) -> Result<u64, sqlx::Error> {
    let state = if accepted { "accepted" } else { "rejected" };
    let done = match local_actor {
        Some(local_actor) => {
            sqlx::query("UPDATE following SET state = $1 WHERE target = $2 AND local_actor = $3 AND state <> $1")
                .bind(state)
                .bind(target)
                .bind(local_actor)
                .execute(&db.pool)
                .await?
        }
        None => {
            sqlx::query("UPDATE following SET state = $1 WHERE target = $2 AND state <> $1")
                .bind(state)
                .bind(target)
                .execute(&db.pool)
                .await?
        }
    };
    Ok(done.rows_affected())
}

pub async fn remove_follow<'c, E: Executor<'c, Database = Any>>(
    conn: E,
    local_actor: &str,
    target: &str,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("DELETE FROM following WHERE local_actor = $1 AND target = $2")
        .bind(local_actor)
        .bind(target)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() > 0)
}

/// Whether one of our members follows the instance actor of `domain` (following a whole instance).
pub async fn instance_followed_by_a_member(db: &Db, domain: &str) -> Result<bool, sqlx::Error> {
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM following f JOIN remote_actors r ON r.id = f.target \
         WHERE f.state = 'accepted' AND f.local_actor <> $2 AND r.domain = $1 AND r.kind = 'Application'",
    )
    .bind(domain)
    .bind(INSTANCE)
    .fetch_one(&db.pool)
    .await?;
    Ok(n > 0)
}

/// Whether one of our members follows `actor` (their listings are then kept even without peering).
pub async fn is_followed_by_a_member(db: &Db, actor: &str) -> Result<bool, sqlx::Error> {
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM following WHERE target = $1 AND state = 'accepted'")
        .bind(actor)
        .fetch_one(&db.pool)
        .await?;
    Ok(n > 0)
}

// ---- received activities ----------------------------------------------------------------------

pub async fn already_received(db: &Db, id: &str) -> Result<bool, sqlx::Error> {
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM received_activities WHERE id = $1")
        .bind(id)
        .fetch_one(&db.pool)
        .await?;
    Ok(n > 0)
}

/// Forgets the ids of activities received before `before` (a replay that old fails its signature's
/// age check anyway).
pub async fn prune_receptions(db: &Db, before: i64) -> Result<u64, sqlx::Error> {
    let done =
        sqlx::query("DELETE FROM received_activities WHERE received_at < $1").bind(before).execute(&db.pool).await?;
    Ok(done.rows_affected())
}

pub async fn record_reception(db: &Db, id: &str, now: i64) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO received_activities (id, received_at) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING")
        .bind(id)
        .bind(now)
        .execute(&db.pool)
        .await?;
    Ok(())
}
