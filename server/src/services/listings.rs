//! Listings: who may see, create, edit, close and delete them.

use crate::domain::FieldError;
use crate::domain::ids::{CollectiveId, ListingId, now_ms};
use crate::domain::listing::{Listing, ListingDraft, ListingInput, ListingStatus, NumberInput, Visibility};
use crate::domain::member::Member;
use crate::error::{AppError, AppResult};
use crate::services::Services;
use crate::services::federation::outbound;
use crate::services::places;
use crate::storage::{Db, listings};

/// Who may see a listing: public ones everyone, `peers` and `instance` ones members of this
/// instance, a collective's the members of that collective (`collectives`: the viewer's).
pub fn visible_to(listing: &Listing, viewer: Option<&Member>, collectives: &[CollectiveId]) -> bool {
    match listing.content.visibility {
        Visibility::Public => true,
        Visibility::Peers | Visibility::Instance => viewer.is_some(),
        Visibility::Collective => {
            viewer.is_some() && listing.content.collective.as_ref().is_some_and(|c| collectives.contains(c))
        }
    }
}

/// The collectives `viewer` belongs to (none for a visitor): what their catalogue and a
/// collective's listings ask.
pub async fn collectives_of(db: &Db, viewer: Option<&Member>) -> AppResult<Vec<CollectiveId>> {
    match viewer {
        Some(viewer) => Ok(crate::storage::collectives::ids_of_member(&mut *db.conn().await?, &viewer.id).await?),
        None => Ok(Vec::new()),
    }
}

/// A listing of visibility `collective` must be published to a collective its author belongs to.
async fn check_collective(db: &Db, author: &Member, draft: &ListingDraft) -> AppResult<()> {
    if let Some(collective) = &draft.collective
        && !collectives_of(db, Some(author)).await?.contains(collective)
    {
        return Err(AppError::field(FieldError::new("collective", "error.collective_not_yours")));
    }
    Ok(())
}

/// The visibilities a viewer's catalogue includes by visibility alone (a collective's listings
/// are included by collective: `CatalogueQuery::collectives`).
pub fn visibilities_for(viewer: Option<&Member>) -> Vec<Visibility> {
    match viewer {
        Some(_) => vec![Visibility::Public, Visibility::Peers, Visibility::Instance],
        None => vec![Visibility::Public],
    }
}

pub fn can_edit(listing: &Listing, member: &Member) -> bool {
    listing.author.is(&member.id)
}

pub fn can_delete(listing: &Listing, member: &Member) -> bool {
    can_edit(listing, member) || member.can_moderate()
}

/// Creates a listing and, in the same transaction, queues its `Create` for other instances.
pub async fn create(services: &Services, author: &Member, input: &ListingInput) -> AppResult<Listing> {
    let mut input = input.clone();
    let errors = locate(services, &mut input).await.err().into_iter().collect();
    let draft = validated(&input, errors)?;
    check_collective(services.db(), author, &draft).await?;
    let id = ListingId::new();
    let mut tx = services.write().await?;
    listings::insert(&mut tx, &id, &author.id, &draft, now_ms()).await?;
    let listing = listings::by_id(&mut tx, &id).await?.ok_or_else(AppError::not_found)?;
    outbound::listing_changed(services, &mut tx, None, Some(&listing)).await?;
    tx.commit().await?;
    tracing::info!(listing.id = %id, member.username = %author.username, "listing created");
    Ok(listing)
}

/// The listing `input` describes, when it is valid and there are no `errors` already (those of
/// fields that could not be read); else every error at once.
fn validated(input: &ListingInput, mut errors: Vec<FieldError>) -> AppResult<ListingDraft> {
    match ListingDraft::parse(input) {
        Ok(draft) if errors.is_empty() => Ok(draft),
        Ok(_) => Err(AppError::validation(errors)),
        Err(invalid) => {
            errors.extend(invalid);
            Err(AppError::validation(errors))
        }
    }
}

/// A place a member typed by name, without coordinates: its position (`services::places`). A name
/// that names no place, or several communes, is refused, naming the candidates; with coordinates,
/// the name is the member's to write.
async fn locate(services: &Services, input: &mut ListingInput) -> Result<(), FieldError> {
    let blank = |v: &Option<NumberInput>| match v {
        None => true,
        Some(NumberInput::Text(t)) => t.trim().is_empty(),
        Some(NumberInput::Number(_)) => false,
    };
    let Some(name) = input.location_name.as_deref().filter(|n| !n.trim().is_empty()) else { return Ok(()) };
    if !blank(&input.latitude) || !blank(&input.longitude) {
        return Ok(());
    }
    let (name, point) = places::locate(services, "location.name", name).await?;
    input.location_name = Some(name);
    input.latitude = Some(NumberInput::Number(point.latitude));
    input.longitude = Some(NumberInput::Number(point.longitude));
    Ok(())
}

/// Applies `change` to a listing inside a transaction that also queues what the change means for
/// other instances.
pub(super) async fn change<F>(services: &Services, before: &Listing, change: F) -> AppResult<Listing>
where
    F: AsyncFnOnce(&mut sqlx::AnyConnection) -> Result<bool, sqlx::Error>,
{
    let mut tx = services.write().await?;
    let done = change(&mut tx).await?;
    let after = if done { listings::by_id(&mut tx, &before.id).await? } else { None };
    outbound::listing_changed(services, &mut tx, Some(before), after.as_ref()).await?;
    tx.commit().await?;
    after.ok_or_else(AppError::not_found)
}

/// A listing the viewer may see; "not found" otherwise, so that hidden listings do not leak.
pub async fn get(db: &Db, id: &ListingId, viewer: Option<&Member>) -> AppResult<Listing> {
    let listing = listings::by_id(&mut *db.conn().await?, id).await?.ok_or_else(AppError::not_found)?;
    let collectives = match listing.content.visibility {
        Visibility::Collective => collectives_of(db, viewer).await?,
        _ => Vec::new(),
    };
    if visible_to(&listing, viewer, &collectives) { Ok(listing) } else { Err(AppError::not_found()) }
}

/// A listing its author (or a moderator, for deletion) may change; 403 for others, 404 when the
/// member may not see it.
pub async fn get_for_change(db: &Db, id: &ListingId, member: &Member, allow_moderator: bool) -> AppResult<Listing> {
    let listing = get(db, id, Some(member)).await?;
    let allowed = if allow_moderator { can_delete(&listing, member) } else { can_edit(&listing, member) };
    if allowed { Ok(listing) } else { Err(AppError::forbidden()) }
}

/// Replaces the listing's content with `input`, validated as a whole.
pub async fn update(services: &Services, id: &ListingId, member: &Member, input: &ListingInput) -> AppResult<Listing> {
    edit(services, id, member, |content| {
        *content = input.clone();
        Vec::new()
    })
    .await
}

/// Changes a listing with `edit`, which is given its content as input and returns the errors of what
/// it could not read (a patch's fields); the result is validated as a whole, and nothing changes
/// unless all of it is valid. Only its author may.
pub async fn edit(
    services: &Services,
    id: &ListingId,
    member: &Member,
    edit: impl FnOnce(&mut ListingInput) -> Vec<FieldError>,
) -> AppResult<Listing> {
    let listing = get_for_change(services.db(), id, member, false).await?;
    let before = listing.to_input();
    let mut input = before.clone();
    let mut errors = edit(&mut input);
    // The place is looked up again only when it changed: a listing stored with a name that names
    // no commune keeps it through other changes.
    let place = |i: &ListingInput| (i.location_name.clone(), i.latitude.clone(), i.longitude.clone());
    if place(&input) != place(&before) {
        errors.extend(locate(services, &mut input).await.err());
    }
    let draft = validated(&input, errors)?;
    check_collective(services.db(), member, &draft).await?;
    let updated =
        change(services, &listing, async |conn| listings::update(conn, &listing.id, &draft, now_ms()).await).await?;
    tracing::info!(listing.id = %listing.id, "listing updated");
    Ok(updated)
}

pub async fn set_status(
    services: &Services,
    id: &ListingId,
    member: &Member,
    status: ListingStatus,
) -> AppResult<Listing> {
    let listing = get_for_change(services.db(), id, member, false).await?;
    let updated =
        change(services, &listing, async |conn| listings::set_status(conn, &listing.id, status, now_ms()).await)
            .await?;
    tracing::info!(listing.id = %listing.id, listing.status = %status, "listing status changed");
    Ok(updated)
}

/// Deletes a listing: its author, or a moderator or admin removing it. A listing from another
/// instance can be removed from our catalogue by a moderator (it comes back if its author edits it).
pub async fn delete(services: &Services, id: &ListingId, member: &Member) -> AppResult<()> {
    let listing = get_for_change(services.db(), id, member, true).await?;
    let mut tx = services.write().await?;
    listings::delete(&mut tx, &listing.id).await?;
    outbound::listing_changed(services, &mut tx, Some(&listing), None).await?;
    tx.commit().await?;
    for photo in &listing.photos {
        super::pictures::release(services, &photo.image.id).await?;
    }
    if listing.author.is(&member.id) {
        tracing::info!(listing.id = %listing.id, "listing deleted by its author");
    } else {
        tracing::warn!(listing.id = %listing.id, moderator = %member.username, author = %listing.author.username, "listing removed by moderation");
    }
    Ok(())
}
