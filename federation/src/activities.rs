//! The documents and activities we send. Every one carries our `@context` (see `context.rs`) and
//! is documented, with an example, in `docs/FEDERATION.md`.

use serde_json::{Value, json};
use url::Url;

use crate::PUBLIC;
use crate::context::with_context;
use crate::port::LocalActor;
use crate::proposal::Proposal;
use crate::urls::{Urls, followers_of, inbox_of, key_id_of, outbox_of};
use crate::vocab::{ActorDocument, Endpoints, PublicKey};

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
    }
}

/// The actor document as JSON with its context.
pub fn actor_json(actor: &LocalActor, urls: &Urls) -> Value {
    with_context(serde_json::to_value(actor_document(actor, urls)).unwrap_or(Value::Null))
}

fn activity(kind: &str, id: Url, actor: &Url, object: Value, to: &[Url], cc: &[Url]) -> Value {
    let mut doc = json!({
        "type": kind,
        "id": id,
        "actor": actor,
        "object": object,
        "to": to,
    });
    if !cc.is_empty() {
        doc["cc"] = json!(cc);
    }
    with_context(doc)
}

/// `Create` (`update == false`) or `Update` of a listing, addressed as the proposal is.
pub fn write_listing(urls: &Urls, activity_id: &str, proposal: &Proposal, update: bool) -> Value {
    let mut object = serde_json::to_value(proposal).unwrap_or(Value::Null);
    if let Value::Object(map) = &mut object {
        map.remove("@context");
    }
    let mut doc = activity(
        if update { "Update" } else { "Create" },
        urls.activity(activity_id),
        &proposal.attributed_to,
        object,
        &proposal.to,
        &proposal.cc,
    );
    if let Some(published) = proposal.updated.as_ref().or(proposal.published.as_ref()) {
        doc["published"] = json!(published);
    }
    doc
}

/// The `Create` of a listing as an outbox shows it: its id is the listing's own URL with `#create`,
/// stable across readings (the activity that was delivered may be long gone from our queue).
pub fn outbox_create(urls: &Urls, proposal: &Proposal) -> Value {
    let mut create = write_listing(urls, "outbox", proposal, false);
    create["id"] = json!(format!("{}#create", proposal.id));
    create
}

/// `Delete` of a listing (closed or removed): its id replaced by a `Tombstone`.
pub fn delete_listing(urls: &Urls, activity_id: &str, author: &Url, object: &Url, to: &[Url], cc: &[Url]) -> Value {
    let tombstone = json!({ "type": "Tombstone", "id": object, "formerType": "Proposal" });
    activity("Delete", urls.activity(activity_id), author, tombstone, to, cc)
}

/// `Follow` of a remote actor by one of ours.
pub fn follow(urls: &Urls, activity_id: &str, follower: &Url, target: &Url) -> Value {
    activity("Follow", urls.activity(activity_id), follower, json!(target), std::slice::from_ref(target), &[])
}

/// The `Follow` that an `Accept`, `Reject` or `Undo` carries.
fn follow_object(follow_id: &Url, follower: &Url, followed: &Url) -> Value {
    json!({ "type": "Follow", "id": follow_id, "actor": follower, "object": followed })
}

/// `Undo` of the `Follow` (by its id) that `follower` sent to `target`.
pub fn undo_follow(urls: &Urls, activity_id: &str, follower: &Url, follow_id: &Url, target: &Url) -> Value {
    let follow = follow_object(follow_id, follower, target);
    activity("Undo", urls.activity(activity_id), follower, follow, std::slice::from_ref(target), &[])
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
    activity(
        if accepted { "Accept" } else { "Reject" },
        urls.activity(activity_id),
        actor,
        follow,
        std::slice::from_ref(follower),
        &[],
    )
}

fn strip_context(mut value: Value) -> Value {
    if let Value::Object(map) = &mut value {
        map.remove("@context");
    }
    value
}

/// The audience of a public listing: everyone, and in copy the author's and the instance's followers.
pub fn public_audience(author: &Url, urls: &Urls) -> (Vec<Url>, Vec<Url>) {
    let public = Url::parse(PUBLIC).unwrap_or_else(|_| urls.base().clone());
    (vec![public], vec![followers_of(author), followers_of(&urls.instance_actor())])
}

/// The audience of a listing shown to peered instances only: the instance's followers (the peers).
pub fn peers_audience(urls: &Urls) -> (Vec<Url>, Vec<Url>) {
    (vec![followers_of(&urls.instance_actor())], Vec::new())
}

/// An `OrderedCollection`: its size (`totalItems`) when it is given, and its first page.
pub fn collection(id: &Url, total: Option<i64>, first: Option<Url>) -> Value {
    let mut doc = json!({ "type": "OrderedCollection", "id": id });
    if let Some(total) = total {
        doc["totalItems"] = json!(total);
    }
    if let Some(first) = first {
        doc["first"] = json!(first);
    }
    with_context(doc)
}

/// One page of a collection, with the URL of the next one when there is one.
pub fn collection_page(id: &Url, part_of: &Url, items: Vec<Value>, next: Option<Url>) -> Value {
    let items: Vec<Value> = items.into_iter().map(strip_context).collect();
    let mut doc = json!({ "type": "OrderedCollectionPage", "id": id, "partOf": part_of, "orderedItems": items });
    if let Some(next) = next {
        doc["next"] = json!(next);
    }
    with_context(doc)
}
