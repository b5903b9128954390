//! Our actors' key pairs (`actor_keys`): one per member, made on first use, and the instance actor's.

use sqlx::{AnyConnection, Row};

use crate::domain::actor::ActorKey;
use crate::domain::ids::MemberId;

pub async fn keys(conn: &mut AnyConnection, owner: ActorKey<'_>) -> Result<Option<(String, String)>, sqlx::Error> {
    let row = sqlx::query("SELECT public_key_pem, private_key_pem FROM actor_keys WHERE owner = $1")
        .bind(owner.as_str())
        .fetch_optional(&mut *conn)
        .await?;
    row.map(|r| Ok((r.try_get("public_key_pem")?, r.try_get("private_key_pem")?))).transpose()
}

pub async fn key_created_at(conn: &mut AnyConnection, owner: ActorKey<'_>) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar("SELECT created_at FROM actor_keys WHERE owner = $1")
        .bind(owner.as_str())
        .fetch_optional(&mut *conn)
        .await
}

/// Stores a key pair unless the owner has one already (two requests may race to create it); returns
/// the pair in effect.
pub async fn insert_keys(
    conn: &mut AnyConnection,
    owner: ActorKey<'_>,
    public: &str,
    private: &str,
    now: i64,
) -> Result<(String, String), sqlx::Error> {
    sqlx::query(
        "INSERT INTO actor_keys (owner, public_key_pem, private_key_pem, created_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (owner) DO NOTHING",
    )
    .bind(owner.as_str())
    .bind(public)
    .bind(private)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    keys(&mut *conn, owner).await?.ok_or(sqlx::Error::RowNotFound)
}

/// Active members without a key pair yet.
pub async fn members_without_keys(conn: &mut AnyConnection, limit: i64) -> Result<Vec<MemberId>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT m.id FROM members m LEFT JOIN actor_keys k ON k.owner = m.id \
         WHERE k.owner IS NULL AND m.status = 'active' ORDER BY m.created_at LIMIT $1",
    )
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(|row| super::parsed(row, "id", MemberId::parse)).collect()
}
