//! Pictures of people and of the cooperative: a member's avatar (cut square) and the cooperative's
//! logo, uploaded and removed; and what every upload of ours shares with listings' photos —
//! reading and encoding the file again ([`super::images`]), the instance's room for images, the
//! files written before the row that shows them, and an image let go of once nothing shows it.

use crate::domain::FieldError;
use crate::domain::actor::OurActor;
use crate::domain::ids::{ImageId, now_ms};
use crate::domain::member::Member;
use crate::domain::photo::ImageKind;
use crate::error::{AppError, AppResult};
use crate::services::Services;
use crate::services::federation::outbound;
use crate::services::images::{self, Processed};
use crate::storage::images as stored;
use crate::storage::{cooperative, members};

/// An uploaded image read, encoded again and written under `media/`, whose row is not stored yet:
/// the caller stores it with what shows it, or [`Kept::discard`]s it.
pub struct Kept {
    pub id: ImageId,
    pub kind: ImageKind,
    pub processed: Processed,
}

impl Kept {
    /// Stores the image's row (in the caller's transaction).
    pub async fn insert(&self, conn: &mut sqlx::AnyConnection) -> Result<(), sqlx::Error> {
        let largest = self.processed.largest();
        let size = (largest.width, largest.height);
        stored::insert_ours(conn, &self.id, self.kind, size, &self.processed.widths(), self.processed.bytes(), now_ms())
            .await
    }

    /// Removes the files of an image whose row was not stored.
    pub async fn discard(&self, services: &Services) {
        services.media().remove(&self.id, &self.processed.widths()).await;
    }
}

/// Reads `file` as an image of `kind` and writes its renditions; refused when it is no image we
/// read, too large, or when the instance's room for images (`media.storage_mb`) is full.
pub async fn keep(services: &Services, file: Vec<u8>, kind: ImageKind) -> AppResult<Kept> {
    if file.is_empty() {
        return Err(AppError::field(FieldError::new("photo", "photo.missing")));
    }
    let processed = images::process(file, services.config().media.image_limits(), kind).await?;
    if let Some(room) = services.config().media.storage_bytes() {
        let used = stored::bytes_of_ours(&mut *services.conn().await?).await?;
        if used + processed.bytes() > room {
            tracing::warn!(used, room, "image refused: the instance's room for images is full (media.storage_mb)");
            return Err(AppError::field(FieldError::new("photo", "photo.storage_full")));
        }
    }
    let id = ImageId::new();
    services.media().write(&id, &processed.files()).await.map_err(AppError::internal)?;
    Ok(Kept { id, kind, processed })
}

/// Removes an image of ours, row and files, if nothing shows it any more (an avatar or a logo
/// replaced); what the hourly upkeep would do, at once.
pub async fn release(services: &Services, image: &ImageId) -> AppResult<()> {
    let mut conn = services.conn().await?;
    let Some((found, _)) = stored::by_id(&mut conn, image).await? else { return Ok(()) };
    if stored::delete_unused(&mut conn, image).await? {
        drop(conn);
        services.media().remove(image, &found.widths).await;
    }
    Ok(())
}

/// Puts the image read from `file` (or with `None`, no image) where `set` says — a member's
/// avatar, the logo — in one transaction, then removes the image it replaces; `set` returns that
/// one. The new image's files are removed again when the change fails.
async fn replace(
    services: &Services,
    file: Option<(Vec<u8>, ImageKind)>,
    set: impl AsyncFnOnce(&mut sqlx::AnyConnection, Option<&ImageId>) -> Result<Option<ImageId>, sqlx::Error>,
) -> AppResult<Option<ImageId>> {
    let kept = match file {
        Some((file, kind)) => Some(keep(services, file, kind).await?),
        None => None,
    };
    let saved = async {
        let mut tx = services.write().await?;
        if let Some(kept) = &kept {
            kept.insert(&mut tx).await?;
        }
        let before = set(&mut tx, kept.as_ref().map(|k| &k.id)).await?;
        tx.commit().await?;
        Ok::<_, AppError>(before)
    }
    .await;
    match saved {
        Ok(before) => {
            if let Some(before) = before {
                release(services, &before).await?;
            }
            Ok(kept.map(|k| k.id))
        }
        Err(error) => {
            if let Some(kept) = &kept {
                kept.discard(services).await;
            }
            Err(error)
        }
    }
}

/// Gives `member` the picture in `file` (or with `None` takes it off), in place of the one they had;
/// the picture they now have.
pub async fn set_avatar(services: &Services, member: &Member, file: Option<Vec<u8>>) -> AppResult<Option<ImageId>> {
    let file = file.map(|f| (f, ImageKind::Avatar));
    let set = async |conn: &mut sqlx::AnyConnection, image: Option<&ImageId>| {
        members::set_avatar(conn, &member.id, image, now_ms()).await
    };
    let avatar = replace(services, file, set).await?;
    tracing::info!(member.id = %member.id, image.id = ?avatar, "avatar changed");
    outbound::actor_changed(services, &OurActor::of(member)).await;
    Ok(avatar)
}

/// Gives the cooperative the logo in `file` (or with `None` takes it off), in place of the one it
/// had. Administrators only.
pub async fn set_logo(services: &Services, admin: &Member, file: Option<Vec<u8>>) -> AppResult<()> {
    if !admin.is_admin() {
        return Err(AppError::forbidden());
    }
    let file = file.map(|f| (f, ImageKind::Logo));
    let set = async |conn: &mut sqlx::AnyConnection, image: Option<&ImageId>| {
        cooperative::set_logo(conn, image, now_ms()).await
    };
    let logo = replace(services, file, set).await?;
    services.cooperative_changed();
    tracing::info!(admin.id = %admin.id, image.id = ?logo, "logo changed");
    outbound::actor_changed(services, &OurActor::Instance).await;
    Ok(())
}
