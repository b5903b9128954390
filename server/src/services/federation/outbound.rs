//! The activities our own changes cause. Each is queued inside the transaction of the change, so
//! that it is sent if and only if the change is committed.

use maillage_federation::activities;
use maillage_federation::proposal::{ListingData, Proposal, ProposalParts};
use sqlx::AnyConnection;
use url::Url;

use super::{Federator, rfc3339};
use crate::domain::ids::{new_id, now_ms};
use crate::domain::listing::{Listing, ListingStatus, Visibility};
use crate::storage::followers;
use crate::storage::keys::INSTANCE;
use crate::storage::outbox;

/// Whether a listing is sent to other instances: our own, open, and public or for peers.
pub fn is_federated(listing: &Listing) -> bool {
    listing.origin.is_none()
        && listing.content.status != ListingStatus::Closed
        && matches!(listing.content.visibility, Visibility::Public | Visibility::Peers)
}

/// The listing's content in the plain values the `federation` crate works with.
pub fn listing_data(listing: &Listing) -> ListingData {
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
        price_cents: c.price.map(|p| p.cents()),
        location_name: c.location.as_ref().map(|l| l.name.clone()),
        latitude: point.map(|p| p.latitude),
        longitude: point.map(|p| p.longitude),
        available_from: c.available_from.map(crate::domain::listing::format_date),
        available_until: c.available_until.map(crate::domain::listing::format_date),
        status: c.status.as_str().to_owned(),
    }
}

impl Federator {
    /// A listing as a FEP-0837 proposal.
    pub fn proposal(&self, listing: &Listing) -> Proposal {
        let urls = self.urls();
        let author = urls.member(&listing.author.username);
        let (to, cc) = audience(self, listing, &author);
        let page = urls.listing(&listing.id);
        let data = listing_data(listing);
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

    /// Queues what a listing's change means for other instances: `Create` when it becomes
    /// federated, `Update` while it stays so, `Delete` when it stops being (closed, hidden,
    /// deleted). Every server that may hold a copy hears of the change: those that can no longer see
    /// the listing (a public listing made partners-only leaves its author's followers) get a
    /// `Delete`; and when the listing stops being federated, the `Delete` goes to every follower of
    /// the author and of the instance, whatever its audience was (a copy may have reached them while
    /// it was public). Returns whether anything was queued (then `wake` after the commit).
    pub async fn queue_listing_change(
        &self,
        conn: &mut AnyConnection,
        before: Option<&Listing>,
        after: Option<&Listing>,
    ) -> Result<bool, sqlx::Error> {
        if !self.enabled() {
            return Ok(false);
        }
        let before = before.filter(|l| is_federated(l));
        let after = after.filter(|l| is_federated(l));
        let mut queued = false;
        let mut told: Vec<(String, String)> = Vec::new();
        if let Some(after) = after {
            let id = new_id();
            let activity = activities::write_listing(self.urls(), &id, &self.proposal(after), before.is_some());
            told = audience_inboxes(conn, after).await?;
            queued |= self.queue_to_inboxes(conn, &id, after, &activity, &told).await?;
        }
        if let Some(before) = before {
            // Who may have it and is not told of its new content gets a `Delete`.
            let may_have = match after {
                Some(_) => audience_inboxes(conn, before).await?,
                None => followers::follower_inboxes(&mut *conn, &[before.author.id.as_str(), INSTANCE], false).await?,
            };
            let left_out: Vec<(String, String)> = may_have.into_iter().filter(|i| !told.contains(i)).collect();
            let id = new_id();
            let author = self.urls().member(&before.author.username);
            let (to, cc) = audience(self, before, &author);
            let object = self.urls().listing(&before.id);
            let delete = activities::delete_listing(self.urls(), &id, &author, &object, &to, &cc);
            queued |= self.queue_to_inboxes(conn, &id, before, &delete, &left_out).await?;
        }
        Ok(queued)
    }

    async fn queue_to_inboxes(
        &self,
        conn: &mut AnyConnection,
        activity_id: &str,
        listing: &Listing,
        activity: &serde_json::Value,
        inboxes: &[(String, String)],
    ) -> Result<bool, sqlx::Error> {
        if inboxes.is_empty() {
            return Ok(false);
        }
        outbox::enqueue(conn, activity_id, &listing.author.username, &activity.to_string(), inboxes, now_ms()).await?;
        Ok(true)
    }

    /// Queues one activity signed by `signer` (a username, or the domain for the instance actor) to
    /// one inbox.
    pub(crate) async fn queue_to(
        &self,
        conn: &mut AnyConnection,
        activity_id: &str,
        signer: &str,
        activity: &serde_json::Value,
        inbox: &Url,
    ) -> Result<(), sqlx::Error> {
        let domain = maillage_federation::urls::domain_of(inbox).unwrap_or_default();
        outbox::enqueue(conn, activity_id, signer, &activity.to_string(), &[(inbox.to_string(), domain)], now_ms())
            .await
    }
}

/// The inboxes a federated listing goes to: for a public one, its author's followers and the
/// instance's; for a partners-only one, the partners (the instance's followers that are peers).
async fn audience_inboxes(conn: &mut AnyConnection, listing: &Listing) -> Result<Vec<(String, String)>, sqlx::Error> {
    let peers_only = listing.content.visibility == Visibility::Peers;
    let actors: Vec<&str> = if peers_only { vec![INSTANCE] } else { vec![listing.author.id.as_str(), INSTANCE] };
    followers::follower_inboxes(&mut *conn, &actors, peers_only).await
}

fn audience(federator: &Federator, listing: &Listing, author: &Url) -> (Vec<Url>, Vec<Url>) {
    match listing.content.visibility {
        Visibility::Public => activities::public_audience(author, federator.urls()),
        _ => activities::peers_audience(federator.urls()),
    }
}
