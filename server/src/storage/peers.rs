//! Peerings with other instances (`peers`): the state of each side's follow, and blocks.

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::parsed as decode;
use crate::domain::peering::{Incoming, Outgoing, Peering};

const PEER_COLUMNS: &str = "domain, actor_id, outgoing, incoming, incoming_follow, blocked, created_at, updated_at";

fn peer_from_row(row: &AnyRow) -> Result<Peering, sqlx::Error> {
    Ok(Peering {
        domain: row.try_get("domain")?,
        actor_id: row.try_get("actor_id")?,
        outgoing: decode(row, "outgoing", Outgoing::parse)?,
        incoming: decode(row, "incoming", Incoming::parse)?,
        incoming_follow: row.try_get("incoming_follow")?,
        blocked: row.try_get::<i64, _>("blocked")? != 0,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

pub async fn peer(conn: &mut AnyConnection, domain: &str) -> Result<Option<Peering>, sqlx::Error> {
    let sql = format!("SELECT {PEER_COLUMNS} FROM peers WHERE domain = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(domain).fetch_optional(&mut *conn).await?;
    row.as_ref().map(peer_from_row).transpose()
}

pub async fn peers(conn: &mut AnyConnection) -> Result<Vec<Peering>, sqlx::Error> {
    let sql = format!("SELECT {PEER_COLUMNS} FROM peers ORDER BY domain");
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).fetch_all(&mut *conn).await?;
    rows.iter().map(peer_from_row).collect()
}

pub async fn save_peer(conn: &mut AnyConnection, peer: &Peering) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO peers (domain, actor_id, outgoing, incoming, incoming_follow, blocked, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (domain) DO UPDATE SET actor_id = excluded.actor_id, \
         outgoing = excluded.outgoing, incoming = excluded.incoming, incoming_follow = excluded.incoming_follow, \
         blocked = excluded.blocked, updated_at = excluded.updated_at",
    )
    .bind(&peer.domain)
    .bind(&peer.actor_id)
    .bind(peer.outgoing.as_str())
    .bind(peer.incoming.as_str())
    .bind(&peer.incoming_follow)
    .bind(i64::from(peer.blocked))
    .bind(peer.created_at)
    .bind(peer.updated_at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub async fn delete_peer(conn: &mut AnyConnection, domain: &str) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM peers WHERE domain = $1").bind(domain).execute(&mut *conn).await?;
    Ok(())
}

pub async fn is_blocked(conn: &mut AnyConnection, domain: &str) -> Result<bool, sqlx::Error> {
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM peers WHERE domain = $1 AND blocked <> 0")
        .bind(domain)
        .fetch_one(&mut *conn)
        .await?;
    Ok(n > 0)
}
