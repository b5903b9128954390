//! The cooperative as this instance presents it (`cooperative`, one row): its presentation, its
//! colour, its logo.

use sqlx::{AnyConnection, Row};

use crate::domain::cooperative::{Accent, Cooperative, Presentation};
use crate::domain::ids::ImageId;

/// The cooperative's presentation, colour and logo.
pub async fn get(conn: &mut AnyConnection) -> Result<Cooperative, sqlx::Error> {
    let Some(row) = sqlx::query("SELECT presentation, accent, logo_id FROM cooperative WHERE id = 1")
        .fetch_optional(&mut *conn)
        .await?
    else {
        return Ok(Cooperative::default());
    };
    let logo: Option<String> = row.try_get("logo_id")?;
    Ok(Cooperative {
        presentation: Presentation::from_stored(row.try_get("presentation")?),
        accent: Accent::from_stored(&row.try_get::<String, _>("accent")?),
        logo: logo.and_then(|id| ImageId::parse(&id)),
    })
}

/// The cooperative's logo, if it has one.
pub async fn logo(conn: &mut AnyConnection) -> Result<Option<ImageId>, sqlx::Error> {
    Ok(get(conn).await?.logo)
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

/// Sets the presentation and the colour.
pub async fn set_presentation(
    conn: &mut AnyConnection,
    presentation: &Presentation,
    accent: Accent,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE cooperative SET presentation = $1, accent = $2, updated_at = $3 WHERE id = 1")
        .bind(presentation.as_str())
        .bind(accent.as_str())
        .bind(now)
        .execute(&mut *conn)
        .await?;
    Ok(())
}
