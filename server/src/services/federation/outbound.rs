//! The activities our own changes cause. Each is queued inside the transaction of the change, so
//! that it is sent if and only if the change is committed.

use maillage_federation::Urls;
use maillage_federation::proposal::{ListingData, PhotoData, Proposal, ProposalParts};
use maillage_federation::{RemoteActor, activities};
use sqlx::AnyConnection;
use url::Url;

use super::{actors, rfc3339};
use crate::domain::actor::{ActorKey, OurActor};
use crate::domain::follow::FollowState;
use crate::domain::ids::{new_id, now_ms};
use crate::domain::listing::{Listing, ListingStatus, PriceBasis, Visibility};
use crate::domain::photo::file_name;
use crate::error::AppResult;
use crate::services::{Services, Write};
use crate::storage::followers;
use crate::storage::follows::{self, FollowRow};

/// Whether a listing is sent to other instances: our own, open, and public or for peers.
pub fn is_federated(listing: &Listing) -> bool {
    listing.origin.is_none()
        && listing.content.status != ListingStatus::Closed
        && matches!(listing.content.visibility, Visibility::Public | Visibility::Peers)
}

/// The listing's content in the plain values the `federation` crate works with; its photos as the
/// URLs of their largest renditions here.
pub fn listing_data(urls: &Urls, listing: &Listing) -> ListingData {
    let c = &listing.content;
    let point = c.location.as_ref().and_then(|l| l.point);
    ListingData {
        purpose: c.purpose.as_str().to_owned(),
        mode: c.mode.as_str().to_owned(),
        category: c.category.id.to_owned(),
        title: c.title.clone(),
        description: c.description.clone(),
        quantity: c.quantity.map(|q| q.as_f64()),
        unit: c.unit.as_str().to_owned(),
        price_kind: Some(c.price.kind().as_str().to_owned()),
        price_cents: c.price.amount().map(|p| p.cents()),
        reduced_price_cents: c.price.reduced().map(|p| p.cents()),
        per_unit: c.price_basis == PriceBasis::PerUnit,
        location_name: c.location.as_ref().map(|l| l.name.clone()),
        latitude: point.map(|p| p.latitude),
        longitude: point.map(|p| p.longitude),
        available_from: c.available_from.map(crate::domain::listing::format_date),
        available_until: c.available_until.map(crate::domain::listing::format_date),
        status: c.status.as_str().to_owned(),
        photos: listing
            .photos
            .iter()
            .filter(|p| !p.image.widths.is_empty())
            .map(|p| PhotoData {
                url: Some(urls.media(&file_name(&p.image.id, p.image.width))),
                media_type: "image/jpeg".to_owned(),
                width: Some(p.image.width),
                height: Some(p.image.height),
                alt: p.alt.clone(),
            })
            .collect(),
    }
}

/// A listing as a FEP-0837 proposal.
pub fn proposal(urls: &Urls, listing: &Listing) -> Proposal {
    let author = urls.member(&listing.author.username);
    let (to, cc) = audience(urls, listing, &author);
    let page = urls.listing(listing.id.as_str());
    let data = listing_data(urls, listing);
    Proposal::build(ProposalParts {
        id: page.clone(),
        author,
        page,
        data: &data,
        published: rfc3339(listing.created_at),
        updated: (listing.updated_at > listing.created_at).then(|| rfc3339(listing.updated_at)),
        to,
        cc,
    })
}

/// Queues, in the change's transaction, what a listing's change means for other instances:
/// `Create` when it becomes federated, `Update` while it stays so, `Delete` when it stops being
/// (closed, hidden, deleted). Every server that may hold a copy hears of the change: those that can
/// no longer see the listing (a public listing made partners-only leaves its author's followers)
/// get a `Delete`; and when the listing stops being federated, the `Delete` goes to every follower
/// of the author and of the instance, whatever its audience was (a copy may have reached them while
/// it was public).
pub async fn listing_changed(
    services: &Services,
    tx: &mut Write,
    before: Option<&Listing>,
    after: Option<&Listing>,
) -> AppResult<()> {
    if !services.federates() {
        return Ok(());
    }
    open_listing_changed(services, tx, before, after).await?;
    collective_listing_changed(services, tx, before, after).await?;
    announced_by_collectives(services, tx, before, after).await
}

/// A public listing of a member of public collectives hosted here: each of these collectives'
/// Groups announces it (and its changes, and its end) to the Group's followers, so that following a
/// collective from Mastodon shows its members' offers and needs.
async fn announced_by_collectives(
    services: &Services,
    tx: &mut Write,
    before: Option<&Listing>,
    after: Option<&Listing>,
) -> AppResult<()> {
    let public = |l: &&Listing| is_federated(l) && l.content.visibility == Visibility::Public;
    let (before, after) = (before.filter(public), after.filter(public));
    let Some(OurActor::Member { id: member, .. }) = before.or(after).and_then(OurActor::author_of) else {
        return Ok(());
    };
    let collectives = crate::storage::collectives::public_of_member(tx, &member).await?;
    if collectives.is_empty() {
        return Ok(());
    }
    let urls = services.urls();
    let activity = match (before, after) {
        (_, Some(after)) => activities::write_listing(urls, &new_id(), &proposal(urls, after), before.is_some()),
        (Some(before), None) => {
            let author = urls.member(&before.author.username);
            let (to, cc) = audience(urls, before, &author);
            activities::delete_listing(urls, &new_id(), &author, &urls.listing(before.id.as_str()), &to, &cc)
        }
        (None, None) => return Ok(()),
    };
    for collective in collectives {
        let key = ActorKey::Collective(&collective.id);
        let inboxes = followers::follower_inboxes(tx, &[key], false).await?;
        if inboxes.is_empty() {
            continue;
        }
        let id = new_id();
        let group = urls.collective(collective.name.as_str());
        let announce = maillage_federation::collective::announce_public(urls, &id, &group, &activity);
        tx.publish(&id, collective.name.as_str(), &announce, &inboxes).await?;
    }
    Ok(())
}

/// Whether a listing is published to a collective: our own, open, of visibility `collective`.
fn in_collective(listing: &Listing) -> bool {
    listing.origin.is_none()
        && listing.content.status != ListingStatus::Closed
        && listing.content.visibility == Visibility::Collective
        && listing.content.collective.is_some()
}

/// A listing published to a collective goes to its Group, and from there to the collective's
/// members: announced by our Group when the collective is hosted here, sent to its Group's inbox
/// otherwise (its instance announces it). One that leaves the collective (hidden, closed, deleted,
/// or published elsewhere) is deleted there.
async fn collective_listing_changed(
    services: &Services,
    tx: &mut Write,
    before: Option<&Listing>,
    after: Option<&Listing>,
) -> AppResult<()> {
    let before = before.filter(|l| in_collective(l));
    let after = after.filter(|l| in_collective(l));
    let Some(author) = before.or(after).and_then(OurActor::author_of) else {
        return Ok(());
    };
    let urls = services.urls();
    let signer = actors::signer_of(urls, &author);
    let author_url = actors::url_of(urls, &author);
    let same = |a: &Listing, b: &Listing| a.content.collective == b.content.collective;
    if let Some(after) = after
        && let Some(collective) = collective_of(tx, after).await?
    {
        let group = group_url(urls, &collective);
        let mut published = proposal(urls, after);
        published.to = vec![group.clone()];
        published.cc = Vec::new();
        let id = new_id();
        let update = before.is_some_and(|b| same(b, after));
        let activity = activities::write_listing(urls, &id, &published, update);
        send_to_collective(services, tx, &collective, &signer, &id, &activity).await?;
    }
    if let Some(before) = before.filter(|b| after.is_none_or(|a| !same(b, a)))
        && let Some(collective) = collective_of(tx, before).await?
    {
        let group = group_url(urls, &collective);
        let id = new_id();
        let object = urls.listing(before.id.as_str());
        let delete = activities::delete_listing(urls, &id, &author_url, &object, &[group], &[]);
        send_to_collective(services, tx, &collective, &signer, &id, &delete).await?;
    }
    Ok(())
}

async fn collective_of(
    conn: &mut AnyConnection,
    listing: &Listing,
) -> Result<Option<crate::domain::collective::Collective>, sqlx::Error> {
    match &listing.content.collective {
        Some(id) => crate::storage::collectives::by_id(conn, id).await,
        None => Ok(None),
    }
}

/// A collective's `Group`: ours, or the one our copy stands for.
fn group_url(urls: &Urls, collective: &crate::domain::collective::Collective) -> Url {
    match &collective.origin {
        None => urls.collective(collective.name.as_str()),
        Some(origin) => Url::parse(&origin.ap_id).unwrap_or_else(|_| urls.collective(collective.name.as_str())),
    }
}

async fn send_to_collective(
    services: &Services,
    tx: &mut Write,
    collective: &crate::domain::collective::Collective,
    signer: &str,
    id: &str,
    activity: &serde_json::Value,
) -> AppResult<()> {
    if collective.is_ours() {
        super::collectives::publish_announce(services, tx, collective, activity, None).await
    } else {
        super::collectives::publish_to_group(services, tx, collective, signer, id, activity).await
    }
}

/// The activities of a listing's change to the audiences of public and partners-only listings.
async fn open_listing_changed(
    services: &Services,
    tx: &mut Write,
    before: Option<&Listing>,
    after: Option<&Listing>,
) -> Result<(), sqlx::Error> {
    let urls = services.urls();
    let before = before.filter(|l| is_federated(l));
    let after = after.filter(|l| is_federated(l));
    // A federated listing is one of our members'.
    let Some(author) = before.or(after).and_then(OurActor::author_of) else {
        return Ok(());
    };
    let signer = actors::signer_of(urls, &author);
    let mut told: Vec<(String, String)> = Vec::new();
    if let Some(after) = after {
        let id = new_id();
        let activity = activities::write_listing(urls, &id, &proposal(urls, after), before.is_some());
        told = audience_inboxes(tx, &author, after).await?;
        tx.publish(&id, &signer, &activity, &told).await?;
    }
    if let Some(before) = before {
        // Who may have it and is not told of its new content gets a `Delete`.
        let may_have = match after {
            Some(_) => audience_inboxes(tx, &author, before).await?,
            None => followers::follower_inboxes(tx, &[author.key(), ActorKey::Instance], false).await?,
        };
        let left_out: Vec<(String, String)> = may_have.into_iter().filter(|i| !told.contains(i)).collect();
        let id = new_id();
        let author_url = actors::url_of(urls, &author);
        let (to, cc) = audience(urls, before, &author_url);
        let object = urls.listing(before.id.as_str());
        let delete = activities::delete_listing(urls, &id, &author_url, &object, &to, &cc);
        tx.publish(&id, &signer, &delete, &left_out).await?;
    }
    Ok(())
}

/// Tells the servers that may hold a copy of one of our actors its new document, an `Update` of
/// the actor (its name, summary, icon): for a member, their followers' and the instance's (peers
/// keep the authors of the listings they receive); for the instance actor, its followers'. Queued
/// once the change is committed, in a transaction of its own, since building the document may make
/// the actor's key pair (written on another connection); were it lost in a crash in between, the
/// copies are fetched again all the same once a day old (`activitypub_federation` refreshes the
/// actors it dereferences). The change is saved whatever happens here: a failure to queue is
/// logged, not reported to the member as if their change were lost.
pub async fn actor_changed(services: &Services, actor: &OurActor) {
    if !services.federates() {
        return;
    }
    if let Err(error) = queue_actor_update(services, actor).await {
        tracing::warn!(actor = %actors::url_of(services.urls(), actor), %error, "the actor's update could not be queued; peers see the change when they fetch the actor again");
    }
}

async fn queue_actor_update(services: &Services, actor: &OurActor) -> AppResult<()> {
    let document = match actor {
        OurActor::Instance => actors::instance_actor(services).await?,
        OurActor::Member { username, .. } => match actors::member_actor(services, username.as_str()).await? {
            Some(document) => document,
            // Pending or disabled: not served, nothing to update.
            None => return Ok(()),
        },
        // A collective's document goes to its members' servers (`federation::collectives`).
        OurActor::Collective { .. } => return Ok(()),
    };
    let urls = services.urls();
    let id = new_id();
    let activity = activities::update_actor(urls, &id, &document);
    let mut tx = services.write().await?;
    // The instance's followers always (peers keep the authors of their listings); each inbox once,
    // even when the actor is the instance itself.
    let inboxes = followers::follower_inboxes(&mut tx, &[actor.key(), ActorKey::Instance], false).await?;
    tx.publish(&id, &actors::signer_of(urls, actor), &activity, &inboxes).await?;
    tx.commit().await?;
    tracing::debug!(actor = %document.id, inboxes = inboxes.len(), "actor update queued");
    Ok(())
}

/// The inboxes a federated listing goes to: for a public one, its author's followers and the
/// instance's; for a partners-only one, the partners (the instance's followers that are peers).
async fn audience_inboxes(
    conn: &mut AnyConnection,
    author: &OurActor,
    listing: &Listing,
) -> Result<Vec<(String, String)>, sqlx::Error> {
    let peers_only = listing.content.visibility == Visibility::Peers;
    let actors = if peers_only { vec![ActorKey::Instance] } else { vec![author.key(), ActorKey::Instance] };
    followers::follower_inboxes(&mut *conn, &actors, peers_only).await
}

fn audience(urls: &Urls, listing: &Listing, author: &Url) -> (Vec<Url>, Vec<Url>) {
    match listing.content.visibility {
        Visibility::Public => activities::public_audience(author, urls),
        _ => activities::peers_audience(urls),
    }
}

/// Records that one of our actors asks to follow `target`, and publishes its `Follow` in the same
/// transaction.
pub(crate) async fn follow(
    services: &Services,
    tx: &mut Write,
    ours: &OurActor,
    target: &RemoteActor,
) -> Result<(), sqlx::Error> {
    let urls = services.urls();
    let id = new_id();
    let follow = activities::follow(urls, &id, &actors::url_of(urls, ours), &target.id);
    let row = FollowRow {
        target: target.id.to_string(),
        follow_id: urls.activity(&id).to_string(),
        state: FollowState::Requested,
    };
    follows::save_follow(&mut *tx, ours.key(), &row, now_ms()).await?;
    tx.publish_to(&id, &actors::signer_of(urls, ours), &follow, target.delivery_inbox()).await
}
