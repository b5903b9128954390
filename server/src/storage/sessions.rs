//! Sessions: web logins (cookie) and API tokens (bearer). Only a SHA-256 of each token is stored, so
//! that a copy of the database does not let anyone log in.

use sha2::{Digest, Sha256};
use sqlx::AnyConnection;

use crate::domain::ids::{MemberId, hex};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionKind {
    Web,
    Api,
}

impl SessionKind {
    fn as_str(self) -> &'static str {
        match self {
            SessionKind::Web => "web",
            SessionKind::Api => "api",
        }
    }
}

pub fn token_hash(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

pub async fn insert(
    conn: &mut AnyConnection,
    token: &str,
    member_id: &MemberId,
    kind: SessionKind,
    now: i64,
    expires_at: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO sessions (token_hash, member_id, kind, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(token_hash(token))
    .bind(member_id.as_str())
    .bind(kind.as_str())
    .bind(now)
    .bind(expires_at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The member id behind a live token of the given kind.
pub async fn member_id(
    conn: &mut AnyConnection,
    token: &str,
    kind: SessionKind,
    now: i64,
) -> Result<Option<MemberId>, sqlx::Error> {
    let row = sqlx::query("SELECT member_id FROM sessions WHERE token_hash = $1 AND kind = $2 AND expires_at > $3")
        .bind(token_hash(token))
        .bind(kind.as_str())
        .bind(now)
        .fetch_optional(&mut *conn)
        .await?;
    row.map(|r| super::parsed(&r, "member_id", MemberId::parse)).transpose()
}

pub async fn delete(conn: &mut AnyConnection, token: &str) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM sessions WHERE token_hash = $1").bind(token_hash(token)).execute(&mut *conn).await?;
    Ok(())
}

/// Logs a member out everywhere (when disabled, or after a password change).
pub async fn delete_for_member(conn: &mut AnyConnection, member_id: &MemberId) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM sessions WHERE member_id = $1").bind(member_id.as_str()).execute(&mut *conn).await?;
    Ok(())
}

pub async fn delete_expired(conn: &mut AnyConnection, now: i64) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query("DELETE FROM sessions WHERE expires_at <= $1").bind(now).execute(&mut *conn).await?.rows_affected())
}
