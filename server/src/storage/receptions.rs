//! Ids of the activities received (`received_activities`), to recognise duplicates and replays.

use sqlx::AnyConnection;

pub async fn already_received(conn: &mut AnyConnection, id: &str) -> Result<bool, sqlx::Error> {
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM received_activities WHERE id = $1")
        .bind(id)
        .fetch_one(&mut *conn)
        .await?;
    Ok(n > 0)
}

/// Forgets the ids of activities received before `before` (a replay that old fails its signature's
/// age check anyway).
pub async fn prune_receptions(conn: &mut AnyConnection, before: i64) -> Result<u64, sqlx::Error> {
    let done =
        sqlx::query("DELETE FROM received_activities WHERE received_at < $1").bind(before).execute(&mut *conn).await?;
    Ok(done.rows_affected())
}

pub async fn record_reception(conn: &mut AnyConnection, id: &str, now: i64) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO received_activities (id, received_at) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING")
        .bind(id)
        .bind(now)
        .execute(&mut *conn)
        .await?;
    Ok(())
}
