//! Images and listings' photos: the rows. The files are in `media.rs`.

use std::collections::HashMap;

use rusqlite::types::Value;
use sqlx::{AnyConnection, AssertSqlSafe, Row};

use super::Columns;
use crate::domain::ids::{ImageId, ListingId};
use crate::domain::photo::{Image, ImageKind, Photo};

/// A stored value that does not read back.
pub(super) fn decode(column: &str, value: &str) -> sqlx::Error {
    sqlx::Error::ColumnDecode { index: column.to_owned(), source: format!("unreadable value {value:?}").into() }
}

const IMAGE_COLUMNS: &str = "i.id, i.kind, i.source_url, i.width, i.height, i.widths, i.failed_at";

/// What shows an image: a listing's photo, a member's avatar, another server's actor's icon, the
/// cooperative's logo. An image nothing shows is removed by the upkeep.
const SHOWN: &str = "(EXISTS (SELECT 1 FROM listing_photos p WHERE p.image_id = i.id) \
     OR EXISTS (SELECT 1 FROM members m WHERE m.avatar_id = i.id) \
     OR EXISTS (SELECT 1 FROM remote_actors a WHERE a.icon_url = i.source_url) \
     OR EXISTS (SELECT 1 FROM cooperative c WHERE c.logo_id = i.id))";

pub(super) fn image_from_row(row: &impl Columns) -> Result<Image, sqlx::Error> {
    let id = row.text("id")?;
    let kind = row.text("kind")?;
    let widths = row.text("widths")?;
    let widths = widths
        .split(',')
        .filter(|w| !w.is_empty())
        .map(|w| w.parse::<u32>().map_err(|_| decode("images.widths", &widths)))
        .collect::<Result<Vec<_>, _>>()?;
    let size = |column: &'static str| -> Result<u32, sqlx::Error> {
        let value = row.int(column)?;
        u32::try_from(value).map_err(|_| decode(column, &value.to_string()))
    };
    Ok(Image {
        id: ImageId::parse(&id).ok_or_else(|| decode("images.id", &id))?,
        kind: ImageKind::parse(&kind).ok_or_else(|| decode("images.kind", &kind))?,
        width: size("width")?,
        height: size("height")?,
        widths,
        remote: row.opt_text("source_url")?.is_some(),
        failed: row.opt_int("failed_at")?.is_some(),
    })
}

fn widths_text(widths: &[u32]) -> String {
    widths.iter().map(u32::to_string).collect::<Vec<_>>().join(",")
}

/// An image uploaded here, whose files are written.
pub async fn insert_ours(
    conn: &mut AnyConnection,
    id: &ImageId,
    kind: ImageKind,
    (width, height): (u32, u32),
    widths: &[u32],
    bytes: u64,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO images (id, kind, source_url, width, height, widths, bytes, fetched_at, created_at) \
         VALUES ($1, $2, NULL, $3, $4, $5, $6, $7, $7)",
    )
    .bind(id.as_str())
    .bind(kind.as_str())
    .bind(i64::from(width))
    .bind(i64::from(height))
    .bind(widths_text(widths))
    .bind(bytes as i64)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The bytes on disk of the images uploaded here (the instance's storage limit counts them).
pub async fn bytes_of_ours(conn: &mut AnyConnection) -> Result<u64, sqlx::Error> {
    let total: i64 =
        sqlx::query("SELECT CAST(COALESCE(SUM(bytes), 0) AS BIGINT) AS total FROM images WHERE source_url IS NULL")
            .fetch_one(&mut *conn)
            .await?
            .try_get("total")?;
    Ok(total.max(0) as u64)
}

/// An image and, for another server's, the URL it comes from.
pub async fn by_id(conn: &mut AnyConnection, id: &ImageId) -> Result<Option<(Image, Option<String>)>, sqlx::Error> {
    let row = sqlx::query(AssertSqlSafe(format!("SELECT {IMAGE_COLUMNS} FROM images i WHERE i.id = $1")))
        .bind(id.as_str())
        .fetch_optional(&mut *conn)
        .await?;
    row.map(|row| Ok((image_from_row(&row)?, row.try_get("source_url")?))).transpose()
}

/// The photos of each of `listings`, in their order.
pub async fn photos_of(
    conn: &mut AnyConnection,
    listings: &[&ListingId],
) -> Result<HashMap<ListingId, Vec<Photo>>, sqlx::Error> {
    if listings.is_empty() {
        return Ok(HashMap::new());
    }
    let sql = photos_sql(listings.len());
    let mut query = sqlx::query(AssertSqlSafe(sql));
    for id in listings {
        query = query.bind(id.as_str());
    }
    let rows = query.fetch_all(&mut *conn).await?;
    by_listing(rows.iter().map(photo_from_row))
}

/// [`photos_of`] on the SQLite reader.
pub fn photos_of_read(
    conn: &rusqlite::Connection,
    listings: &[&ListingId],
) -> Result<HashMap<ListingId, Vec<Photo>>, sqlx::Error> {
    if listings.is_empty() {
        return Ok(HashMap::new());
    }
    let ids: Vec<Value> = listings.iter().map(|id| Value::Text(id.as_str().to_owned())).collect();
    by_listing(
        super::reader::query(conn, &photos_sql(listings.len()), &ids, |row| photo_from_row(row))?.into_iter().map(Ok),
    )
}

/// The photos of `count` listings, `$1` to `$count` their ids.
pub(super) fn photos_sql(count: usize) -> String {
    let placeholders: Vec<String> = (1..=count).map(|n| format!("${n}")).collect();
    format!(
        "SELECT p.listing_id, p.alt, {IMAGE_COLUMNS} FROM listing_photos p JOIN images i ON i.id = p.image_id \
         WHERE p.listing_id IN ({}) ORDER BY p.listing_id, p.position",
        placeholders.join(", ")
    )
}

fn photo_from_row(row: &impl Columns) -> Result<(ListingId, Photo), sqlx::Error> {
    let listing = row.text("listing_id")?;
    let listing = ListingId::parse(&listing).ok_or_else(|| decode("listing_photos.listing_id", &listing))?;
    Ok((listing, Photo { image: image_from_row(row)?, alt: row.text("alt")? }))
}

fn by_listing(
    photos: impl Iterator<Item = Result<(ListingId, Photo), sqlx::Error>>,
) -> Result<HashMap<ListingId, Vec<Photo>>, sqlx::Error> {
    let mut by_listing: HashMap<ListingId, Vec<Photo>> = HashMap::new();
    for photo in photos {
        let (listing, photo) = photo?;
        by_listing.entry(listing).or_default().push(photo);
    }
    Ok(by_listing)
}

/// Adds a photo after the listing's others.
pub async fn add_photo(
    conn: &mut AnyConnection,
    listing: &ListingId,
    image: &ImageId,
    alt: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO listing_photos (listing_id, image_id, position, alt) \
         VALUES ($1, $2, (SELECT COALESCE(MAX(position) + 1, 0) FROM listing_photos WHERE listing_id = $1), $3)",
    )
    .bind(listing.as_str())
    .bind(image.as_str())
    .bind(alt)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub async fn count_photos(conn: &mut AnyConnection, listing: &ListingId) -> Result<usize, sqlx::Error> {
    let n: i64 = sqlx::query("SELECT COUNT(*) AS n FROM listing_photos WHERE listing_id = $1")
        .bind(listing.as_str())
        .fetch_one(&mut *conn)
        .await?
        .try_get("n")?;
    Ok(n.max(0) as usize)
}

/// Changes a photo's alt text; whether the listing has it.
pub async fn set_alt(
    conn: &mut AnyConnection,
    listing: &ListingId,
    image: &ImageId,
    alt: &str,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("UPDATE listing_photos SET alt = $1 WHERE listing_id = $2 AND image_id = $3")
        .bind(alt)
        .bind(listing.as_str())
        .bind(image.as_str())
        .execute(&mut *conn)
        .await?;
    Ok(done.rows_affected() > 0)
}

/// Takes a photo off a listing; whether it had it. The image itself goes with `delete`.
pub async fn remove_photo(conn: &mut AnyConnection, listing: &ListingId, image: &ImageId) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("DELETE FROM listing_photos WHERE listing_id = $1 AND image_id = $2")
        .bind(listing.as_str())
        .bind(image.as_str())
        .execute(&mut *conn)
        .await?;
    Ok(done.rows_affected() > 0)
}

/// Puts the listing's photos in the order of `images` (all of its photos, each once).
pub async fn reorder(conn: &mut AnyConnection, listing: &ListingId, images: &[ImageId]) -> Result<(), sqlx::Error> {
    for (position, image) in images.iter().enumerate() {
        sqlx::query("UPDATE listing_photos SET position = $1 WHERE listing_id = $2 AND image_id = $3")
            .bind(position as i64)
            .bind(listing.as_str())
            .bind(image.as_str())
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// Another server's photo of one of its listings: its URL, the size it announced, its alt text.
pub struct RemotePhoto<'a> {
    pub url: &'a str,
    pub width: u32,
    pub height: u32,
    pub alt: &'a str,
}

/// Replaces the photos of a listing from another server with those it now has. An image already
/// known by its URL keeps what we fetched of it.
pub async fn replace_remote_photos(
    conn: &mut AnyConnection,
    listing: &ListingId,
    photos: &[RemotePhoto<'_>],
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM listing_photos WHERE listing_id = $1").bind(listing.as_str()).execute(&mut *conn).await?;
    for (position, photo) in photos.iter().enumerate() {
        let image = remember_remote(conn, photo.url, ImageKind::Photo, (photo.width, photo.height), now).await?;
        sqlx::query(
            "INSERT INTO listing_photos (listing_id, image_id, position, alt) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (listing_id, image_id) DO NOTHING",
        )
        .bind(listing.as_str())
        .bind(image.as_str())
        .bind(position as i64)
        .bind(photo.alt)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Another server's image at `url`, kept as an image of ours to fetch on first view (its size the
/// one announced until then); its id. An image already known by its URL is left as it is, kind
/// included: one URL, one image.
pub async fn remember_remote(
    conn: &mut AnyConnection,
    url: &str,
    kind: ImageKind,
    (width, height): (u32, u32),
    now: i64,
) -> Result<ImageId, sqlx::Error> {
    let image = ImageId::for_remote(url);
    sqlx::query(
        "INSERT INTO images (id, kind, source_url, width, height, created_at) VALUES ($1, $2, $3, $4, $5, $6) \
         ON CONFLICT DO NOTHING",
    )
    .bind(image.as_str())
    .bind(kind.as_str())
    .bind(url)
    .bind(i64::from(width.max(1)))
    .bind(i64::from(height.max(1)))
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(image)
}

/// Another server's image, fetched and encoded again: its real size and renditions.
pub async fn fetched(
    conn: &mut AnyConnection,
    id: &ImageId,
    (width, height): (u32, u32),
    widths: &[u32],
    bytes: u64,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE images SET width = $1, height = $2, widths = $3, bytes = $4, fetched_at = $5, failed_at = NULL \
         WHERE id = $6",
    )
    .bind(i64::from(width))
    .bind(i64::from(height))
    .bind(widths_text(widths))
    .bind(bytes as i64)
    .bind(now)
    .bind(id.as_str())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Another server's image that could not be fetched or read: not shown, tried again later.
pub async fn failed(conn: &mut AnyConnection, id: &ImageId, now: i64) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE images SET failed_at = $1 WHERE id = $2")
        .bind(now)
        .bind(id.as_str())
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Another server's images that failed before `before`: they may be tried again.
pub async fn retry_failed(conn: &mut AnyConnection, before: i64) -> Result<u64, sqlx::Error> {
    let done = sqlx::query("UPDATE images SET failed_at = NULL WHERE source_url IS NOT NULL AND failed_at < $1")
        .bind(before)
        .execute(&mut *conn)
        .await?;
    Ok(done.rows_affected())
}

/// Images nothing shows any more (a listing deleted, a photo or an avatar replaced), with their
/// widths on disk.
pub async fn orphans(conn: &mut AnyConnection, limit: i64) -> Result<Vec<Image>, sqlx::Error> {
    let rows = sqlx::query(AssertSqlSafe(format!("SELECT {IMAGE_COLUMNS} FROM images i WHERE NOT {SHOWN} LIMIT $1")))
        .bind(limit)
        .fetch_all(&mut *conn)
        .await?;
    rows.iter().map(image_from_row).collect()
}

/// Deletes an image's row if nothing shows it; whether it did. Its files are the caller's to remove.
pub async fn delete_unused(conn: &mut AnyConnection, id: &ImageId) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(AssertSqlSafe(format!("DELETE FROM images AS i WHERE i.id = $1 AND NOT {SHOWN}")))
        .bind(id.as_str())
        .execute(&mut *conn)
        .await?;
    Ok(done.rows_affected() > 0)
}

/// The bytes on disk of other servers' images (the cache's limit counts them).
pub async fn bytes_of_remote(conn: &mut AnyConnection) -> Result<u64, sqlx::Error> {
    let total: i64 =
        sqlx::query("SELECT CAST(COALESCE(SUM(bytes), 0) AS BIGINT) AS total FROM images WHERE source_url IS NOT NULL")
            .fetch_one(&mut *conn)
            .await?
            .try_get("total")?;
    Ok(total.max(0) as u64)
}

/// Other servers' images fetched longest ago, with the bytes of each: the first to let go of when
/// the cache is full.
pub async fn oldest_fetched(conn: &mut AnyConnection, limit: i64) -> Result<Vec<(Image, u64)>, sqlx::Error> {
    let rows = sqlx::query(AssertSqlSafe(format!(
        "SELECT {IMAGE_COLUMNS}, i.bytes FROM images i WHERE i.source_url IS NOT NULL AND i.fetched_at IS NOT NULL \
         ORDER BY i.fetched_at LIMIT $1"
    )))
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(|row| Ok((image_from_row(row)?, row.try_get::<i64, _>("bytes")?.max(0) as u64))).collect()
}

/// Forgets what was fetched of another server's image (its files being removed): it is fetched
/// again when someone looks at it.
pub async fn forget_fetched(conn: &mut AnyConnection, id: &ImageId) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE images SET widths = '', bytes = 0, fetched_at = NULL WHERE id = $1 AND source_url IS NOT NULL")
        .bind(id.as_str())
        .execute(&mut *conn)
        .await?;
    Ok(())
}
