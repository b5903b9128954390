//! The inbox: a POST is read within a size limit, its HTTP signature and Digest are checked by
//! `activitypub_federation`, the activity is parsed and checked, de-duplicated by id, and handed to
//! the instance as an [`Inbound`] event. Every refusal is a 4xx naming the problem.

use activitypub_federation::axum::inbox::{ActivityData, receive_activity};
use activitypub_federation::config::Data;
use activitypub_federation::fetch::object_id::ObjectId;
use activitypub_federation::traits::{Activity, Object};
use async_trait::async_trait;
use axum::body::{Body, Bytes};
use axum::extract::FromRequest;
use axum::http::Request;
use serde::{Deserialize, Deserializer};
use serde_json::Value;
use url::Url;

use crate::actors::{FedData, RemoteActorObject};
use crate::agreement::{self, ExchangeActivity};
use crate::client::Federation;
use crate::error::FederationError;
use crate::port::Inbound;
use crate::proposal::Proposal;
use crate::urls::domain_of;
use crate::vocab::{ActorDocument, ActorKind, value_id};

/// Largest activity accepted; larger ones get 413.
pub const MAX_ACTIVITY_BYTES: usize = 256 * 1024;

/// Reads a POST to an inbox and processes it.
pub async fn receive(federation: &Federation, request: Request<Body>) -> Result<(), FederationError> {
    let (parts, body) = request.into_parts();
    let bytes = axum::body::to_bytes(body, MAX_ACTIVITY_BYTES).await.map_err(|_| FederationError::TooLarge)?;
    for header in ["signature", "digest"] {
        if !parts.headers.contains_key(header) {
            return Err(FederationError::Unauthorized(format!("the request has no {header} header")));
        }
    }
    let envelope: Envelope = serde_json::from_slice(&bytes)
        .map_err(|e| FederationError::BadRequest(format!("not an activity (id, type, actor): {e}")))?;
    let actor_domain = domain_of(&envelope.actor).unwrap_or_default();
    let data = federation.data();
    if data.port.is_blocked(&actor_domain).await? {
        return Err(FederationError::Forbidden(format!("{actor_domain} is blocked")));
    }
    // Dated now, for us, covering the body: before any key is fetched or any signature computed.
    crate::signature::check(&parts.headers, &data.urls.domain(), true)?;
    let attempt = |bytes: Bytes| {
        let mut request = Request::from_parts(parts.clone(), Body::from(bytes));
        *request.extensions_mut() = Default::default();
        async {
            let activity = ActivityData::from_request(request, &())
                .await
                .map_err(|_| FederationError::BadRequest("unreadable request".into()))?;
            receive_activity::<InboxActivity, RemoteActorObject, FedData>(activity, &data).await
        }
    };
    match attempt(bytes.clone()).await {
        // The actor may have changed its key since we kept it: fetch it again, and try once more.
        Err(FederationError::BadSignature) => {
            let refreshed: Result<RemoteActorObject, _> =
                ObjectId::from(envelope.actor.clone()).dereference_forced(&data).await;
            if refreshed.is_err() {
                return Err(FederationError::BadSignature);
            }
            attempt(bytes).await
        }
        other => other,
    }
}

/// The three fields every activity has, read before anything else.
#[derive(Deserialize)]
struct Envelope {
    #[allow(dead_code, reason = "required: a body without an id is refused early")]
    id: Url,
    #[serde(deserialize_with = "id_of")]
    actor: Url,
}

/// An id given as a string, or as an object with an `id`.
fn id_of<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Url, D::Error> {
    let value = Value::deserialize(deserializer)?;
    value_id(&value).ok_or_else(|| serde::de::Error::custom("expected an id"))
}

const KNOWN: &[&str] = &[
    "Follow", "Accept", "Reject", "Undo", "Create", "Update", "Delete", "Offer", "Join", "Leave", "Invite", "Add",
    "Remove", "Announce",
];

/// Any activity: its type, actor and object, checked in `verify`, and the whole of it.
#[derive(Debug)]
pub struct InboxActivity {
    id: Url,
    kind: Value,
    actor: Url,
    object: Value,
    /// The whole activity, for the shapes read in their own module (exchanges).
    raw: Value,
}

/// The fields every activity is read for.
#[derive(Deserialize)]
struct Fields {
    id: Url,
    #[serde(rename = "type")]
    kind: Value,
    #[serde(deserialize_with = "id_of")]
    actor: Url,
    #[serde(default)]
    object: Value,
}

impl<'de> Deserialize<'de> for InboxActivity {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = Value::deserialize(deserializer)?;
        let fields: Fields = serde_json::from_value(raw.clone()).map_err(serde::de::Error::custom)?;
        Ok(Self { id: fields.id, kind: fields.kind, actor: fields.actor, object: fields.object, raw })
    }
}

impl InboxActivity {
    fn kind(&self) -> &str {
        match &self.kind {
            Value::String(s) => s,
            Value::Array(items) => items.iter().filter_map(|i| i.as_str()).find(|k| KNOWN.contains(k)).unwrap_or(""),
            _ => "",
        }
    }

    /// The event this activity means, or an error saying why it is refused.
    async fn interpret(&self, data: &Data<FedData>) -> Result<Inbound, FederationError> {
        let urls = &data.urls;
        let object_id = value_id(&self.object);
        let bad = |why: &str| FederationError::BadRequest(format!("{} {}: {why}", self.kind(), self.id));
        if let Some(exchange) = self.exchange_activity(data)? {
            return Ok(Inbound::Exchange { activity: Box::new(exchange) });
        }
        let mut raw = self.raw.clone();
        if let Value::Object(map) = &mut raw {
            // The type as read (`kind()`), whatever array it came in.
            map.insert("type".to_owned(), Value::String(self.kind().to_owned()));
        }
        if let Some(activity) = crate::collective::read(&raw, &self.actor, urls).map_err(|why| bad(&why))? {
            let sender = self.signer(data).await?;
            return Ok(Inbound::Collective { activity: Box::new(activity), sender });
        }
        match self.kind() {
            "Follow" => {
                let target = object_id.ok_or_else(|| bad("no object"))?;
                if !urls.is_local(&target) {
                    return Err(bad("the followed actor is not on this instance"));
                }
                let follower = self.signer(data).await?;
                Ok(Inbound::FollowRequested { follow_id: self.id.clone(), follower, target })
            }
            "Accept" | "Reject" => {
                // Only answers to our `Follow`s mean something to us: the object is that Follow,
                // embedded (its object must be the actor answering) or by its id (one of ours).
                let follower = match &self.object {
                    Value::Object(follow) => {
                        if follow.get("type").and_then(|t| t.as_str()) != Some("Follow") {
                            let kind = follow.get("type").and_then(|t| t.as_str()).unwrap_or("?");
                            return Ok(Inbound::Other {
                                actor: self.actor.clone(),
                                kind: format!("{}({kind})", self.kind()),
                            });
                        }
                        if follow.get("object").and_then(value_id).is_some_and(|followed| followed != self.actor) {
                            return Err(bad("answers a follow of another actor"));
                        }
                        follow.get("actor").and_then(value_id)
                    }
                    Value::String(_) if object_id.as_ref().is_some_and(|id| urls.is_local(id)) => None,
                    _ => return Ok(Inbound::Other { actor: self.actor.clone(), kind: self.kind().to_owned() }),
                };
                if follower.as_ref().is_some_and(|f| !urls.is_local(f)) {
                    return Err(bad("answers a follow by an actor of another server"));
                }
                Ok(Inbound::FollowAnswered { actor: self.actor.clone(), follower, accepted: self.kind() == "Accept" })
            }
            "Undo" => {
                let inner_kind = self.object.get("type").and_then(|t| t.as_str()).unwrap_or("");
                let inner_actor = self.object.get("actor").and_then(value_id);
                if inner_kind == "Follow" {
                    if inner_actor.as_ref().is_some_and(|a| *a != self.actor) {
                        return Err(bad("undoes another actor's follow"));
                    }
                    let target =
                        self.object.get("object").and_then(value_id).ok_or_else(|| bad("no followed actor"))?;
                    return Ok(Inbound::Unfollowed { follower: self.actor.clone(), target });
                }
                Ok(Inbound::Other { actor: self.actor.clone(), kind: format!("Undo({inner_kind})") })
            }
            "Create" | "Update" => {
                let object_kind = match &self.object {
                    // An object by reference: well formed, and nothing we keep.
                    Value::String(_) if object_id.is_some() => {
                        return Ok(Inbound::Other { actor: self.actor.clone(), kind: format!("{}(?)", self.kind()) });
                    }
                    Value::Object(object) => match object.get("type") {
                        Some(Value::String(kind)) => kind.clone(),
                        Some(Value::Array(kinds)) if kinds.iter().all(Value::is_string) && !kinds.is_empty() => {
                            kinds.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(",")
                        }
                        _ => return Err(bad("the object has no type")),
                    },
                    _ => return Err(bad("no object")),
                };
                if object_id.is_none() {
                    return Err(bad("the object has no id"));
                }
                if self.kind() == "Update" && object_kind.split(',').any(|k| ActorKind::parse(k).is_some()) {
                    return self.actor_updated(data).await;
                }
                if !object_kind.split(',').any(|k| k == "Proposal") {
                    return Ok(Inbound::Other {
                        actor: self.actor.clone(),
                        kind: format!("{}({object_kind})", self.kind()),
                    });
                }
                let proposal: Proposal = serde_json::from_value(self.object.clone())
                    .map_err(|e| bad(&format!("not a valid Proposal: {e}")))?;
                let proposal = proposal.received(data.insecure_local);
                if proposal.attributed_to != self.actor {
                    return Err(FederationError::Forbidden(format!(
                        "{}: the proposal is attributed to {}, not to the sender",
                        self.id, proposal.attributed_to
                    )));
                }
                if domain_of(&proposal.id) != domain_of(&self.actor) {
                    return Err(FederationError::Forbidden(format!("{}: the proposal is on another server", self.id)));
                }
                let author = self.signer(data).await?;
                Ok(Inbound::ListingUpserted { author, proposal: Box::new(proposal) })
            }
            "Delete" => {
                let object = object_id.ok_or_else(|| bad("no object"))?;
                if domain_of(&object) != domain_of(&self.actor) {
                    return Err(FederationError::Forbidden(format!(
                        "{}: deletes an object of another server",
                        self.id
                    )));
                }
                Ok(Inbound::ListingDeleted { actor: self.actor.clone(), object })
            }
            "" => Err(bad("no type")),
            other => Ok(Inbound::Other { actor: self.actor.clone(), kind: other.to_owned() }),
        }
    }

    /// An exchange's activity (`agreement.rs`): an `Offer` of an agreement; an `Accept` whose result
    /// is one, or that answers an offer or a move of ours (their ids are under `/exchanges/`); a
    /// `Reject` of those; an `Update` of an agreement; a `Create` of a note or a receipt with a
    /// `context`. `None` for anything else.
    fn exchange_activity(&self, data: &Data<FedData>) -> Result<Option<ExchangeActivity>, FederationError> {
        let kind = self.kind();
        let ours_about_an_exchange =
            value_id(&self.object).is_some_and(|id| data.urls.is_local(&id) && id.path().starts_with("/exchanges/"));
        let concerned = match kind {
            "Offer" | "Update" => agreement::is_agreement(&self.object),
            "Accept" | "Reject" => {
                ours_about_an_exchange || self.raw.get("result").is_some_and(agreement::is_agreement)
            }
            // A message is never public: a public note with a `context` is someone's post.
            "Create" => self.object.get("context").is_some_and(|c| !c.is_null()) && !self.is_public(),
            _ => false,
        };
        if !concerned {
            return Ok(None);
        }
        ExchangeActivity::read(&self.id, &self.actor, kind, &self.raw)
            .map_err(|why| FederationError::BadRequest(format!("{kind} {}: {why}", self.id)))
    }

    /// Whether the activity or its object is addressed to everyone (`as:Public`, or its short forms).
    fn is_public(&self) -> bool {
        let names_public = |value: Option<&Value>| {
            let public = |v: &Value| v.as_str().is_some_and(|s| matches!(s, crate::PUBLIC | "as:Public" | "Public"));
            match value {
                Some(Value::Array(items)) => items.iter().any(public),
                Some(other) => public(other),
                None => false,
            }
        };
        [&self.raw, &self.object].iter().any(|v| names_public(v.get("to")) || names_public(v.get("cc")))
    }

    /// `Update` of the sender's own actor document (a new name, summary or icon): kept in place of
    /// our copy once checked as a fetched one is (same server, its key and inboxes its own), so that
    /// its listings here show the change. An actor updates itself only.
    async fn actor_updated(&self, data: &Data<FedData>) -> Result<Inbound, FederationError> {
        let document: ActorDocument = serde_json::from_value(self.object.clone())
            .map_err(|e| FederationError::BadRequest(format!("{}: not a valid actor: {e}", self.id)))?;
        if document.id != self.actor {
            return Err(FederationError::Forbidden(format!(
                "{}: updates the actor {}, not the sender",
                self.id, document.id
            )));
        }
        RemoteActorObject::verify(&document, &self.actor, data).await?;
        let actor = RemoteActorObject::from_json(document, data).await?;
        Ok(Inbound::ActorUpdated { actor: actor.0 })
    }

    /// The sending actor (already fetched and cached to check the signature).
    async fn signer(&self, data: &Data<FedData>) -> Result<crate::port::RemoteActor, FederationError> {
        let actor: RemoteActorObject = ObjectId::from(self.actor.clone()).dereference(data).await?;
        Ok(actor.0)
    }
}

#[async_trait]
impl Activity for InboxActivity {
    type DataType = FedData;
    type Error = FederationError;

    fn id(&self) -> &Url {
        &self.id
    }

    fn actor(&self) -> &Url {
        &self.actor
    }

    async fn verify(&self, _data: &Data<FedData>) -> Result<(), FederationError> {
        if self.kind().is_empty() {
            return Err(FederationError::BadRequest(format!("{}: no type", self.id)));
        }
        Ok(())
    }

    async fn receive(self, data: &Data<FedData>) -> Result<(), FederationError> {
        // Well signed by an actor of that server: it is up.
        if let Some(domain) = domain_of(&self.actor) {
            data.port.server_answered(&domain).await?;
        }
        if data.port.already_received(&self.id).await? {
            tracing::debug!(activity = %self.id, "already received: ignored");
            return Ok(());
        }
        let event = self.interpret(data).await?;
        data.port.receive(event).await?;
        data.port.record_reception(&self.id).await?;
        Ok(())
    }
}
