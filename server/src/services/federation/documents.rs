//! What our ActivityPub documents may show: the rules the document handlers ask about (which
//! listing is served, which member has an actor, who reads as a peer).

use maillage_federation::RemoteActor;

use crate::domain::ids::{ListingId, MemberId};
use crate::domain::listing::{Listing, ListingStatus, Visibility};
use crate::domain::member::{Member, MemberStatus, Username};
use crate::error::AppResult;
use crate::services::Services;
use crate::storage::{listings, members, peers};

/// A listing served as a document to anyone who asks: ours, public and open. The others travel
/// to peers only, in activities.
pub async fn served_listing(services: &Services, id: &ListingId) -> AppResult<Option<Listing>> {
    let listing = listings::by_id(&mut *services.conn().await?, id).await?;
    Ok(listing.filter(|l| {
        l.origin.is_none() && l.content.visibility == Visibility::Public && l.content.status != ListingStatus::Closed
    }))
}

/// An active member by username: the only members with an actor, an inbox and collections.
pub async fn active_member(services: &Services, username: &str) -> AppResult<Option<Member>> {
    let Ok(username) = Username::parse(username) else {
        return Ok(None);
    };
    let member = members::by_username(&mut *services.conn().await?, &username).await?;
    Ok(member.filter(|m| m.status == MemberStatus::Active))
}

/// The open public listings of an outbox (the instance's, or one member's), newest first, older
/// than the key `before`, with partners-only ones for a peer (`with_peers`); each with its key.
pub async fn outbox_listings(
    services: &Services,
    member_id: Option<&MemberId>,
    with_peers: bool,
    before: Option<i64>,
    limit: i64,
) -> AppResult<Vec<(i64, Listing)>> {
    Ok(listings::local_public(services.db(), member_id, with_peers, before, limit).await?)
}

/// Whether `actor` is the instance actor of a peer that receives our partners-only listings.
pub async fn reads_as_peer(services: &Services, actor: &RemoteActor) -> AppResult<bool> {
    let peer = peers::peer(&mut *services.conn().await?, &actor.domain).await?;
    Ok(peer.is_some_and(|peer| peer.they_receive() && peer.actor_id.as_deref() == Some(actor.id.as_str())))
}
