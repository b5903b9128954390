//! Listings: who may see, create, edit, close and delete them.

use crate::domain::ids::{is_valid_id, new_id, now_ms};
use crate::domain::listing::{Listing, ListingDraft, ListingInput, ListingStatus, Visibility};
use crate::domain::member::Member;
use crate::error::{AppError, AppResult};
use crate::storage::{Db, listings};

/// Who may see a listing: public ones everyone, the others members of this instance (and, once
/// instances federate, `peers` ones members of peered instances too).
pub fn visible_to(listing: &Listing, viewer: Option<&Member>) -> bool {
    match listing.content.visibility {
        Visibility::Public => true,
        Visibility::Peers | Visibility::Instance => viewer.is_some(),
    }
}

/// The visibilities a viewer's catalogue includes.
pub fn visibilities_for(viewer: Option<&Member>) -> Vec<Visibility> {
    match viewer {
        Some(_) => Visibility::ALL.to_vec(),
        None => vec![Visibility::Public],
    }
}

pub fn can_edit(listing: &Listing, member: &Member) -> bool {
    listing.author.id == member.id
}

pub fn can_delete(listing: &Listing, member: &Member) -> bool {
    can_edit(listing, member) || member.can_moderate()
}

pub async fn create(db: &Db, author: &Member, input: &ListingInput) -> AppResult<Listing> {
    let draft = ListingDraft::parse(input).map_err(AppError::validation)?;
    let id = new_id();
    listings::insert(db, &id, &author.id, &draft, now_ms()).await?;
    tracing::info!(listing.id = %id, member.username = %author.username, "listing created");
    fetch(db, &id).await
}

/// A listing the viewer may see; "not found" otherwise, so that hidden listings do not leak.
pub async fn get(db: &Db, id: &str, viewer: Option<&Member>) -> AppResult<Listing> {
    if !is_valid_id(id) {
        return Err(AppError::not_found());
    }
    match listings::by_id(db, id).await? {
        Some(listing) if visible_to(&listing, viewer) => Ok(listing),
        _ => Err(AppError::not_found()),
    }
}

/// A listing its author (or a moderator, for deletion) may change.
async fn get_for_change(db: &Db, id: &str, member: &Member, allow_moderator: bool) -> AppResult<Listing> {
    let listing = get(db, id, Some(member)).await?;
    let allowed = if allow_moderator { can_delete(&listing, member) } else { can_edit(&listing, member) };
    if allowed { Ok(listing) } else { Err(AppError::forbidden()) }
}

/// Replaces the listing's content with `input`, validated as a whole.
pub async fn update(db: &Db, id: &str, member: &Member, input: &ListingInput) -> AppResult<Listing> {
    let listing = get_for_change(db, id, member, false).await?;
    let draft = ListingDraft::parse(input).map_err(AppError::validation)?;
    listings::update(db, &listing.id, &draft, now_ms()).await?;
    tracing::info!(listing.id = %listing.id, "listing updated");
    fetch(db, id).await
}

pub async fn set_status(db: &Db, id: &str, member: &Member, status: ListingStatus) -> AppResult<Listing> {
    let listing = get_for_change(db, id, member, false).await?;
    listings::set_status(db, &listing.id, status, now_ms()).await?;
    tracing::info!(listing.id = %listing.id, listing.status = %status, "listing status changed");
    fetch(db, id).await
}

/// Deletes a listing: its author, or a moderator or admin removing it.
pub async fn delete(db: &Db, id: &str, member: &Member) -> AppResult<()> {
    let listing = get_for_change(db, id, member, true).await?;
    listings::delete(db, &listing.id).await?;
    if listing.author.id == member.id {
        tracing::info!(listing.id = %listing.id, "listing deleted by its author");
    } else {
        tracing::warn!(listing.id = %listing.id, moderator = %member.username, author = %listing.author.username, "listing removed by moderation");
    }
    Ok(())
}

async fn fetch(db: &Db, id: &str) -> AppResult<Listing> {
    listings::by_id(db, id).await?.ok_or_else(AppError::not_found)
}
