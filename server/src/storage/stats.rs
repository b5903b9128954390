//! Usage figures (NodeInfo).

use sqlx::AnyConnection;
use sqlx::Row;

#[derive(Debug, Clone, PartialEq)]
pub struct Usage {
    pub members: i64,
    pub active_month: i64,
    pub active_halfyear: i64,
    /// Our members' public listings still open: those anyone can see (NodeInfo's `localPosts`), not
    /// the ones for partners or for members only.
    pub listings: i64,
    /// The modes our open listings use (`lend`, `give`...): what kind of cooperative this is.
    pub modes: Vec<String>,
}

/// NodeInfo's `localPosts`: our public listings still open. The WHERE clause is that of the
/// `listings_outbox` partial index (migration 0003), so the count reads that index only.
pub(super) const LOCAL_POSTS: &str =
    "SELECT COUNT(*) FROM listings WHERE origin IS NULL AND status <> 'closed' AND visibility = 'public'";

const DAY_MS: i64 = 24 * 3600 * 1000;

/// A member counts as active in a period when they signed in or changed a listing during it.
pub async fn usage(conn: &mut AnyConnection, now: i64) -> Result<Usage, sqlx::Error> {
    let active = |since: i64| {
        sqlx::query_scalar::<_, i64>(
            "SELECT COUNT(*) FROM members m WHERE m.status = 'active' AND (\
             EXISTS (SELECT 1 FROM sessions s WHERE s.member_id = m.id AND s.created_at >= $1) OR \
             EXISTS (SELECT 1 FROM listings l WHERE l.member_id = m.id AND l.updated_at >= $1))",
        )
        .bind(since)
    };
    let members: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM members WHERE status = 'active'").fetch_one(&mut *conn).await?;
    let active_month = active(now - 30 * DAY_MS).fetch_one(&mut *conn).await?;
    let active_halfyear = active(now - 182 * DAY_MS).fetch_one(&mut *conn).await?;
    let listings: i64 = sqlx::query_scalar(LOCAL_POSTS).fetch_one(&mut *conn).await?;
    let rows =
        sqlx::query("SELECT DISTINCT mode FROM listings WHERE origin IS NULL AND status <> 'closed' ORDER BY mode")
            .fetch_all(&mut *conn)
            .await?;
    let modes = rows.iter().map(|r| r.try_get::<String, _>("mode")).collect::<Result<_, _>>()?;
    Ok(Usage { members, active_month, active_halfyear, listings, modes })
}
