//! Positions the address server gave (`geocoded_places`), by the text looked up in search form.

use sqlx::{AnyConnection, Row};

use crate::domain::geo::Point;

/// The position found for `query` (a text in search form), if it was looked up.
pub async fn position(conn: &mut AnyConnection, query: &str) -> Result<Option<Point>, sqlx::Error> {
    let row = sqlx::query("SELECT latitude, longitude FROM geocoded_places WHERE query = $1")
        .bind(query)
        .fetch_optional(&mut *conn)
        .await?;
    row.map(|row| Ok(Point { latitude: row.try_get("latitude")?, longitude: row.try_get("longitude")? })).transpose()
}

/// Keeps the position found for `query`.
pub async fn remember(conn: &mut AnyConnection, query: &str, point: Point, now: i64) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO geocoded_places (query, latitude, longitude, found_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (query) DO UPDATE SET latitude = excluded.latitude, longitude = excluded.longitude, \
         found_at = excluded.found_at",
    )
    .bind(query)
    .bind(point.latitude)
    .bind(point.longitude)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(())
}
