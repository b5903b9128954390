//! The documents and activities we send, built as the typed shapes of `vocab.rs` and given as JSON.
//! Every one carries our `@context` (see `context.rs`), is documented, with an example, in
//! `docs/FEDERATION.md`, and is under snapshot in `tests/wire.rs`.

use serde::Serialize;
use serde_json::{Value, json};
use url::Url;

use crate::PUBLIC;
use crate::port::LocalActor;
use crate::proposal::Proposal;
use crate::urls::{Urls, followers_of, inbox_of, key_id_of, outbox_of};
use crate::vocab::{
    Activity, ActivityKind, ActorDocument, Endpoints, FollowObject, OrderedCollection, OrderedCollectionPage,
    OutboxItem, PublicKey, Tombstone, WithContext,
};

/// The document of one of our actors.
pub fn actor_document(actor: &LocalActor, urls: &Urls) -> ActorDocument {
    ActorDocument {
        kind: actor.kind,
        id: actor.id.clone(),
        preferred_username: Some(actor.username.clone()),
        name: Some(actor.name.clone()),
        summary: Some(crate::proposal::text_to_html(&actor.summary)).filter(|s| !s.is_empty()),
        url: Some(actor.page.clone()),
        inbox: inbox_of(&actor.id),
        outbox: Some(outbox_of(&actor.id)),
        followers: Some(followers_of(&actor.id)),
        following: None,
        endpoints: Some(Endpoints { shared_inbox: Some(urls.shared_inbox()) }),
        public_key: PublicKey {
            id: key_id_of(&actor.id),
            owner: actor.id.clone(),
            public_key_pem: actor.public_key_pem.clone(),
        },
        manually_approves_followers: Some(actor.manually_approves_followers),
        published: Some(actor.published.clone()),
        icon: actor.icon.clone().map(crate::vocab::Attachment::jpeg),
    }
}

/// The actor document as JSON with its context.
pub fn actor_json(actor: &LocalActor, urls: &Urls) -> Value {
    to_json(&with_context(actor_document(actor, urls)))
}

/// A document we send, with our `@context` first.
fn with_context<T>(document: T) -> WithContext<T> {
    WithContext { context: crate::context::outgoing(), document }
}

/// A document as JSON. Serialising our types cannot fail (their keys are strings); `Null` stands in
/// all the same rather than a panic.
fn to_json(document: &impl Serialize) -> Value {
    serde_json::to_value(document).unwrap_or(Value::Null)
}

fn activity<O>(kind: ActivityKind, id: Url, actor: &Url, object: O, to: &[Url], cc: &[Url]) -> Activity<O> {
    Activity { kind, id, actor: actor.clone(), object, to: to.to_vec(), cc: cc.to_vec(), published: None }
}

/// `Create` or `Update` of a listing, addressed as the proposal is, dated as it was last written.
fn listing_activity(id: Url, proposal: &Proposal, update: bool) -> Activity<Proposal> {
    let kind = if update { ActivityKind::Update } else { ActivityKind::Create };
    Activity {
        published: proposal.updated.as_ref().or(proposal.published.as_ref()).cloned(),
        ..activity(kind, id, &proposal.attributed_to, proposal.clone(), &proposal.to, &proposal.cc)
    }
}

/// `Create` (`update == false`) or `Update` of a listing, addressed as the proposal is.
pub fn write_listing(urls: &Urls, activity_id: &str, proposal: &Proposal, update: bool) -> Value {
    to_json(&with_context(listing_activity(urls.activity(activity_id), proposal, update)))
}

/// The `Create` of a listing as an outbox shows it: its id is the listing's own URL with `#create`,
/// stable across readings (the activity that was delivered may be long gone from our queue).
pub fn outbox_create(proposal: Proposal) -> OutboxItem<Proposal> {
    let mut id = proposal.id.clone();
    id.set_fragment(Some("create"));
    let published = proposal.updated.as_ref().or(proposal.published.as_ref()).cloned();
    let (actor, to, cc) = (proposal.attributed_to.clone(), proposal.to.clone(), proposal.cc.clone());
    let create = Activity { kind: ActivityKind::Create, id, actor, object: proposal, to, cc, published: None };
    OutboxItem { published, activity: create }
}

/// `Delete` of a listing (closed or removed): its id replaced by a `Tombstone`.
pub fn delete_listing(urls: &Urls, activity_id: &str, author: &Url, object: &Url, to: &[Url], cc: &[Url]) -> Value {
    let tombstone =
        Tombstone { kind: "Tombstone".to_owned(), id: object.clone(), former_type: Some("Proposal".to_owned()) };
    to_json(&with_context(activity(ActivityKind::Delete, urls.activity(activity_id), author, tombstone, to, cc)))
}

/// `Update` of one of our actors: its whole new document (name, summary, icon), to everyone, in
/// copy its followers.
pub fn update_actor(urls: &Urls, activity_id: &str, actor: &LocalActor) -> Value {
    let public = public_collection(urls);
    let document = actor_document(actor, urls);
    let followers = followers_of(&actor.id);
    to_json(&with_context(activity(
        ActivityKind::Update,
        urls.activity(activity_id),
        &actor.id,
        document,
        &[public],
        &[followers],
    )))
}

/// `Follow` of a remote actor by one of ours.
pub fn follow(urls: &Urls, activity_id: &str, follower: &Url, target: &Url) -> Value {
    let to = std::slice::from_ref(target);
    to_json(&with_context(activity(
        ActivityKind::Follow,
        urls.activity(activity_id),
        follower,
        target.clone(),
        to,
        &[],
    )))
}

/// The `Follow` that an `Accept`, `Reject` or `Undo` carries.
fn follow_object(follow_id: &Url, follower: &Url, followed: &Url) -> FollowObject {
    FollowObject {
        kind: ActivityKind::Follow,
        id: follow_id.clone(),
        actor: follower.clone(),
        object: followed.clone(),
    }
}

/// `Undo` of the `Follow` (by its id) that `follower` sent to `target`.
pub fn undo_follow(urls: &Urls, activity_id: &str, follower: &Url, follow_id: &Url, target: &Url) -> Value {
    let follow = follow_object(follow_id, follower, target);
    let to = std::slice::from_ref(target);
    to_json(&with_context(activity(ActivityKind::Undo, urls.activity(activity_id), follower, follow, to, &[])))
}

/// `Accept` or `Reject` of a remote `Follow`, which is embedded as received (its id, actor and object).
pub fn answer_follow(
    urls: &Urls,
    activity_id: &str,
    actor: &Url,
    follow_id: &Url,
    follower: &Url,
    accepted: bool,
) -> Value {
    let follow = follow_object(follow_id, follower, actor);
    let kind = if accepted { ActivityKind::Accept } else { ActivityKind::Reject };
    let to = std::slice::from_ref(follower);
    to_json(&with_context(activity(kind, urls.activity(activity_id), actor, follow, to, &[])))
}

/// The audience of a public listing: everyone, and in copy the author's and the instance's followers.
pub fn public_audience(author: &Url, urls: &Urls) -> (Vec<Url>, Vec<Url>) {
    (vec![public_collection(urls)], vec![followers_of(author), followers_of(&urls.instance_actor())])
}

/// `as:Public`, everyone. (The constant parses; our base URL stands in all the same rather than a
/// panic.)
fn public_collection(urls: &Urls) -> Url {
    Url::parse(PUBLIC).unwrap_or_else(|_| urls.base().clone())
}

/// The audience of a listing shown to peered instances only: the instance's followers (the peers).
pub fn peers_audience(urls: &Urls) -> (Vec<Url>, Vec<Url>) {
    (vec![followers_of(&urls.instance_actor())], Vec::new())
}

/// An `OrderedCollection`: its size (`totalItems`) when it is given, and its first page.
pub fn collection(id: &Url, total: Option<i64>, first: Option<Url>) -> Value {
    let kind = "OrderedCollection".to_owned();
    to_json(&with_context(OrderedCollection { kind, id: id.clone(), total_items: total, first }))
}

/// One page of a collection (its items as [`outbox_create`] gives them), with the URL of the next
/// one when there is one, as JSON text: written straight from its types (building it as a `Value`
/// first, then writing that out, was half the CPU time of an outbox page).
pub fn collection_page<T: Serialize>(
    id: &Url,
    part_of: &Url,
    items: Vec<T>,
    next: Option<Url>,
) -> Result<String, serde_json::Error> {
    let kind = "OrderedCollectionPage".to_owned();
    let page = OrderedCollectionPage { kind, id: id.clone(), part_of: part_of.clone(), ordered_items: items, next };
    serde_json::to_string(&with_context(page))
}

// ---- collectives ------------------------------------------------------------------------------------

/// Our Group's document: its actor document with our terms added.
pub fn group_json(actor: &LocalActor, urls: &Urls, data: &crate::collective::GroupData) -> Value {
    let mut document = actor_json(actor, urls);
    if let Value::Object(map) = &mut document {
        map.insert("maillage:members".to_owned(), json!(crate::collective::members_of(&actor.id)));
        map.insert("maillage:charter".to_owned(), json!(data.charter));
        map.insert("maillage:charterVersion".to_owned(), json!(data.charter_version));
        map.insert("maillage:entryCriteria".to_owned(), json!(data.entry_criteria));
        map.insert("maillage:questions".to_owned(), json!(data.questions));
        map.insert("maillage:admission".to_owned(), json!(data.admission));
        map.insert("maillage:visibility".to_owned(), json!(data.visibility));
        map.insert("maillage:territory".to_owned(), json!(data.territory));
        map.insert("maillage:activities".to_owned(), json!(data.activities));
        // FEP-1b12: the Group posts in its own name only by `Announce`.
        map.insert("postingRestrictedToMods".to_owned(), json!(true));
    }
    document
}

/// The Group's new document (its charter changed), to its members' servers: addressed to its
/// members collection, never to the public, whatever its visibility.
pub fn update_group(urls: &Urls, activity_id: &str, actor: &LocalActor, data: &crate::collective::GroupData) -> Value {
    crate::context::with_context(json!({
        "type": "Update",
        "id": urls.activity(activity_id),
        "actor": actor.id,
        "object": crate::collective::embedded(&group_json(actor, urls, data)),
        "to": [crate::collective::members_of(&actor.id)],
    }))
}
