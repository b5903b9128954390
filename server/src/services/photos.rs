//! Photos: a listing's (added, described, ordered and removed by its author, each change sent to
//! other instances as the listing's `Update`), the images behind them as we serve them — another
//! server's fetched and encoded again the first time someone looks at it —, and the upkeep of
//! what no photo shows any more and of the room other servers' photos take.

use std::path::PathBuf;

use tokio::sync::Semaphore;

use crate::domain::FieldError;
use crate::domain::ids::{ImageId, ListingId, now_ms};
use crate::domain::listing::Listing;
use crate::domain::member::Member;
use crate::domain::photo::{AltText, Image, ImageKind, MAX_PHOTOS};
use crate::error::{AppError, AppResult};
use crate::services::Services;
use crate::services::federation::outbound;
use crate::services::images::{self, Processed, megabytes};
use crate::services::listings::{change, get_for_change};
use crate::services::pictures;
use crate::storage::images as stored;
use crate::storage::listings;

/// Other servers' images fetched at once.
static FETCHING: Semaphore = Semaphore::const_new(2);
/// How long another server's image that could not be fetched is left before it is tried again.
const RETRY_FAILED_AFTER_MS: i64 = 6 * 3600 * 1000;

/// Adds a photo to a listing: read, encoded again at each width, kept; nothing changes when the
/// file or the alt text is refused, or when the listing has [`MAX_PHOTOS`] already.
pub async fn add(services: &Services, id: &ListingId, member: &Member, file: Vec<u8>, alt: &str) -> AppResult<Listing> {
    let alt = AltText::parse(alt).map_err(AppError::field)?;
    let listing = get_for_change(services.db(), id, member, false).await?;
    if listing.photos.len() >= MAX_PHOTOS {
        return Err(too_many());
    }
    let kept = pictures::keep(services, file, ImageKind::Photo).await?;
    let saved = async {
        let mut tx = services.write().await?;
        // Counted again in the transaction: two uploads at once must not make a seventh photo.
        if stored::count_photos(&mut tx, &listing.id).await? >= MAX_PHOTOS {
            return Err(too_many());
        }
        kept.insert(&mut tx).await?;
        stored::add_photo(&mut tx, &listing.id, &kept.id, alt.as_str()).await?;
        let after = listings::by_id(&mut tx, &listing.id).await?.ok_or_else(AppError::not_found)?;
        outbound::listing_changed(services, &mut tx, Some(&listing), Some(&after)).await?;
        tx.commit().await?;
        Ok(after)
    }
    .await;
    match &saved {
        Ok(_) => {
            tracing::info!(listing.id = %listing.id, image.id = %kept.id, bytes = kept.processed.bytes(), "photo added")
        }
        Err(_) => kept.discard(services).await,
    }
    saved
}

fn too_many() -> AppError {
    AppError::field(FieldError::new("photo", "photo.too_many").with("max", MAX_PHOTOS))
}

/// A photo of the listing, or "not found".
fn photo_of(listing: &Listing, image: &ImageId) -> AppResult<()> {
    if listing.photos.iter().any(|p| &p.image.id == image) { Ok(()) } else { Err(AppError::not_found()) }
}

/// Changes a photo's alt text.
pub async fn describe(
    services: &Services,
    id: &ListingId,
    member: &Member,
    image: &ImageId,
    alt: &str,
) -> AppResult<Listing> {
    let alt = AltText::parse(alt).map_err(AppError::field)?;
    let listing = get_for_change(services.db(), id, member, false).await?;
    photo_of(&listing, image)?;
    change(services, &listing, async |conn| stored::set_alt(conn, &listing.id, image, alt.as_str()).await).await
}

/// Where a photo goes among the listing's others.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Move {
    /// To the front: the cover.
    First,
    Earlier,
    Later,
}

impl Move {
    pub fn parse(text: &str) -> Result<Self, FieldError> {
        match text.trim() {
            "first" => Ok(Self::First),
            "earlier" => Ok(Self::Earlier),
            "later" => Ok(Self::Later),
            _ => Err(FieldError::new("move", "error.invalid_choice").with("allowed", "first, earlier, later")),
        }
    }
}

/// Moves a photo among the listing's others.
pub async fn reorder(
    services: &Services,
    id: &ListingId,
    member: &Member,
    image: &ImageId,
    to: Move,
) -> AppResult<Listing> {
    let listing = get_for_change(services.db(), id, member, false).await?;
    photo_of(&listing, image)?;
    let mut order: Vec<ImageId> = listing.photos.iter().map(|p| p.image.id.clone()).collect();
    let at = order.iter().position(|i| i == image).unwrap_or_default();
    let photo = order.remove(at);
    let to = match to {
        Move::First => 0,
        Move::Earlier => at.saturating_sub(1),
        Move::Later => (at + 1).min(order.len()),
    };
    order.insert(to, photo);
    change(services, &listing, async |conn| {
        stored::reorder(conn, &listing.id, &order).await?;
        Ok(true)
    })
    .await
}

/// Takes a photo off a listing, and its files off the disk.
pub async fn remove(services: &Services, id: &ListingId, member: &Member, image: &ImageId) -> AppResult<Listing> {
    let listing = get_for_change(services.db(), id, member, false).await?;
    photo_of(&listing, image)?;
    let updated = change(services, &listing, async |conn| stored::remove_photo(conn, &listing.id, image).await).await?;
    if let Some(photo) = listing.photos.iter().find(|p| &p.image.id == image) {
        pictures::release(services, &photo.image.id).await?;
    }
    tracing::info!(listing.id = %listing.id, image.id = %image, "photo removed");
    Ok(updated)
}

/// Whether a page may show an image: one of ours, or another server's not known to be bad (an
/// avatar whose server gave a broken file is left out rather than shown broken).
pub async fn shown(services: &Services, id: &ImageId) -> AppResult<bool> {
    Ok(stored::by_id(&mut *services.conn().await?, id).await?.is_some_and(|(image, _)| image.shown()))
}

/// The file to serve for `/media/ID-WIDTH.jpg`: the rendition closest to `width`, fetching another
/// server's image first if no one has looked at it yet. `None`: no such image, or one we could
/// not fetch or read (then not shown).
pub async fn rendition(services: &Services, id: &ImageId, width: u32) -> AppResult<Option<PathBuf>> {
    let Some((mut image, source)) = stored::by_id(&mut *services.conn().await?, id).await? else { return Ok(None) };
    if image.widths.is_empty() {
        let Some(source) = source.filter(|_| !image.failed) else { return Ok(None) };
        let Some(fetched) = fetch(services, &image, &source).await? else { return Ok(None) };
        image = fetched;
    }
    Ok(image.best_width(width).map(|w| services.media().path(id, w)))
}

/// Fetches another server's image, reads and encodes it again, and keeps it; `None` when it could
/// not be fetched or is refused (what is wrong is logged, and the image is not shown).
async fn fetch(services: &Services, image: &Image, source: &str) -> AppResult<Option<Image>> {
    let id = &image.id;
    let Some(federation) = services.federation() else { return Ok(None) };
    let _permit = FETCHING.acquire().await.map_err(AppError::internal)?;
    // Someone else may have fetched it while we waited.
    if let Some((image, _)) = stored::by_id(&mut *services.conn().await?, id).await?
        && (!image.widths.is_empty() || image.failed)
    {
        return Ok((!image.widths.is_empty()).then_some(image));
    }
    let limits = services.config().media.image_limits();
    let refused = async |why: String| -> AppResult<Option<Image>> {
        tracing::info!(image.source = %source, why, "another server's photo is not shown");
        stored::failed(&mut *services.conn().await?, id, now_ms()).await?;
        Ok(None)
    };
    let url = match url::Url::parse(source) {
        Ok(url) => url,
        Err(error) => return refused(error.to_string()).await,
    };
    let bytes = match federation.fetch_media(&url, limits.max_bytes).await {
        Ok(bytes) => bytes,
        Err(error) => return refused(error.to_string()).await,
    };
    let processed: Processed = match images::process(bytes, limits, image.kind).await {
        Ok(processed) => processed,
        Err(error) => {
            let why = error.fields.first().map(|f| f.message.key).unwrap_or("unreadable");
            return refused(why.to_owned()).await;
        }
    };
    services.media().write(id, &processed.files()).await.map_err(AppError::internal)?;
    let widths = processed.widths();
    let largest = processed.largest();
    let size = (largest.width, largest.height);
    stored::fetched(&mut *services.conn().await?, id, size, &widths, processed.bytes(), now_ms()).await?;
    tracing::debug!(image.source = %source, bytes = processed.bytes(), "another server's photo fetched");
    Ok(Some(Image {
        id: id.clone(),
        kind: image.kind,
        width: size.0,
        height: size.1,
        widths,
        remote: true,
        failed: false,
    }))
}

/// What [`upkeep`] did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Upkept {
    pub unused_removed: usize,
    pub cache_released: usize,
}

/// Removes the images no photo shows any more (a listing deleted, here or on its server), lets go
/// of the oldest fetched of other servers' while they take more room than `media.remote_cache_mb`,
/// and lets those that could not be fetched be tried again after a while.
pub async fn upkeep(services: &Services) -> AppResult<Upkept> {
    let mut done = Upkept::default();
    loop {
        let unused = stored::orphans(&mut *services.conn().await?, 500).await?;
        if unused.is_empty() {
            break;
        }
        for image in &unused {
            if stored::delete_unused(&mut *services.conn().await?, &image.id).await? {
                services.media().remove(&image.id, &image.widths).await;
                done.unused_removed += 1;
            }
        }
    }
    let room = services.config().media.remote_cache_bytes();
    let mut used = stored::bytes_of_remote(&mut *services.conn().await?).await?;
    while used > room {
        let oldest = stored::oldest_fetched(&mut *services.conn().await?, 100).await?;
        if oldest.is_empty() {
            break;
        }
        for (image, bytes) in oldest {
            if used <= room {
                break;
            }
            stored::forget_fetched(&mut *services.conn().await?, &image.id).await?;
            services.media().remove(&image.id, &image.widths).await;
            used = used.saturating_sub(bytes);
            done.cache_released += 1;
        }
    }
    if done.cache_released > 0 {
        tracing::info!(released = done.cache_released, room_mb = megabytes(room), "other servers' photos let go of");
    }
    stored::retry_failed(&mut *services.conn().await?, now_ms() - RETRY_FAILED_AFTER_MS).await?;
    Ok(done)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ids::MemberId;
    use crate::domain::photo::WIDTHS;
    use crate::storage::tests::TempSqlite;

    fn services(t: &TempSqlite, remote_cache_mb: u32) -> Services {
        let mut config = crate::config::Config { data_dir: t.dir().to_owned(), ..crate::config::Config::default() };
        config.media.remote_cache_mb = remote_cache_mb;
        Services::new(std::sync::Arc::new(config), t.db.clone())
    }

    #[tokio::test]
    async fn upkeep_removes_unused_images_and_lets_go_of_other_servers_past_the_cache_s_room() {
        let t = TempSqlite::migrated().await;
        let services = services(&t, 0);
        let files: Vec<(u32, &[u8])> = WIDTHS.iter().map(|w| (*w, &b"jpeg"[..])).collect();
        let mut conn = services.conn().await.unwrap();
        // One of ours that no photo shows (its listing was deleted).
        let unused = ImageId::new();
        stored::insert_ours(&mut conn, &unused, ImageKind::Photo, (1280, 960), &WIDTHS, 12, 0).await.unwrap();
        services.media().write(&unused, &files).await.unwrap();
        // Another server's, fetched, shown by one of its listings.
        let author = MemberId::new();
        let listing = ListingId::new();
        sqlx::query(
            "INSERT INTO listings (id, purpose, mode, category, title, description, unit, status, visibility, \
             search_text, created_at, updated_at, origin, ap_id, remote_author) VALUES ($1, 'offer', 'lend', \
             'objects-tools', 'Scie', '', 'piece', 'active', 'public', 'scie', 0, 0, 'coop.example', \
             'https://coop.example/listings/1', $2)",
        )
        .bind(listing.as_str())
        .bind(format!("https://coop.example/members/{author}"))
        .execute(&mut *conn)
        .await
        .unwrap();
        let photo = stored::RemotePhoto { url: "https://coop.example/media/a.jpg", width: 800, height: 600, alt: "" };
        stored::replace_remote_photos(&mut conn, &listing, &[photo], 0).await.unwrap();
        let remote = ImageId::for_remote("https://coop.example/media/a.jpg");
        services.media().write(&remote, &files).await.unwrap();
        stored::fetched(&mut conn, &remote, (1280, 960), &WIDTHS, 12, 0).await.unwrap();
        drop(conn);

        let done = upkeep(&services).await.unwrap();
        assert_eq!(done, Upkept { unused_removed: 1, cache_released: 1 });
        for width in WIDTHS {
            assert!(!services.media().path(&unused, width).exists(), "an unused image's file stays");
            assert!(!services.media().path(&remote, width).exists(), "the cache keeps a file past its room");
        }
        let mut conn = services.conn().await.unwrap();
        assert!(stored::by_id(&mut conn, &unused).await.unwrap().is_none());
        // The other server's image is still shown by its listing: fetched again when someone looks.
        let (image, source) = stored::by_id(&mut conn, &remote).await.unwrap().unwrap();
        assert!(image.widths.is_empty() && image.shown(), "{image:?}");
        assert_eq!(source.as_deref(), Some("https://coop.example/media/a.jpg"));
        drop(conn);
        t.close().await;
    }
}
