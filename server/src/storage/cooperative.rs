//! The cooperative as this instance presents it (`cooperative`, one row): its logo.

use sqlx::{AnyConnection, Row};

use crate::domain::ids::ImageId;

/// The cooperative's logo, if it has one.
pub async fn logo(conn: &mut AnyConnection) -> Result<Option<ImageId>, sqlx::Error> {
    let id: Option<String> = sqlx::query("SELECT logo_id FROM cooperative WHERE id = 1")
        .fetch_optional(&mut *conn)
        .await?
        .map(|row| row.try_get("logo_id"))
        .transpose()?
        .flatten();
    Ok(id.and_then(|id| ImageId::parse(&id)))
}

/// Sets (or with `None` takes off) the logo; the one it had, whose image the caller removes once
/// the change is committed.
pub async fn set_logo(
    conn: &mut AnyConnection,
    logo: Option<&ImageId>,
    now: i64,
) -> Result<Option<ImageId>, sqlx::Error> {
    let before = self::logo(conn).await?;
    sqlx::query("UPDATE cooperative SET logo_id = $1, updated_at = $2 WHERE id = 1")
        .bind(logo.map(ImageId::as_str))
        .bind(now)
        .execute(&mut *conn)
        .await?;
    Ok(before)
}
