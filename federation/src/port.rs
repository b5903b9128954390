//! What federation needs from the instance: the port the server implements over its storage.

use async_trait::async_trait;
use url::Url;

use crate::proposal::Proposal;
use crate::vocab::{ActorDocument, ActorKind};

#[derive(Debug, thiserror::Error)]
pub enum PortError {
    /// A failure on the instance's side (storage): a 500 on the inbox, and the sender retries.
    #[error("{0}")]
    Storage(String),
    /// What was received cannot be accepted (a listing that fails validation): a 400, for good.
    #[error("{0}")]
    Refused(String),
    /// The sender may not do this (change or delete another actor's listing): a 403.
    #[error("{0}")]
    Forbidden(String),
}

impl PortError {
    pub fn new(error: impl std::fmt::Display) -> Self {
        Self::Storage(error.to_string())
    }

    pub fn refused(why: impl std::fmt::Display) -> Self {
        Self::Refused(why.to_string())
    }

    pub fn forbidden(why: impl std::fmt::Display) -> Self {
        Self::Forbidden(why.to_string())
    }
}

/// One of our actors (a member, or the instance), with its key pair.
#[derive(Debug, Clone)]
pub struct LocalActor {
    pub id: Url,
    pub kind: ActorKind,
    pub username: String,
    pub name: String,
    pub summary: String,
    /// The HTML page people see.
    pub page: Url,
    pub public_key_pem: String,
    pub private_key_pem: String,
    /// Whether follow requests wait for a decision (the instance actor under the `approval` policy).
    pub manually_approves_followers: bool,
    /// Creation time, RFC 3339.
    pub published: String,
    /// Its picture (a JPEG of ours): a member's avatar, the instance's logo.
    pub icon: Option<Url>,
}

/// A remote actor as we keep it.
#[derive(Debug, Clone, PartialEq)]
pub struct RemoteActor {
    pub id: Url,
    pub kind: ActorKind,
    /// `host[:port]` of its server.
    pub domain: String,
    pub username: String,
    pub name: String,
    pub inbox: Url,
    pub shared_inbox: Option<Url>,
    pub outbox: Option<Url>,
    pub public_key_pem: String,
    pub page: Option<Url>,
    /// Its picture (`icon`), when it is a web link: shown through our media proxy, never linked.
    pub icon: Option<Url>,
    /// Unix milliseconds of the last fetch.
    pub fetched_at: i64,
}

impl RemoteActor {
    /// From a fetched document (already checked: its id, inboxes and key are its server's); `None`
    /// when its id has no host. Links we only show are kept when they are web links
    /// (`target::safe_link`), and the outbox only when it is on the actor's server: anything else
    /// is dropped, not refused.
    pub fn from_document(doc: &ActorDocument, fetched_at: i64, insecure_local: bool) -> Option<Self> {
        let domain = crate::urls::domain_of(&doc.id)?;
        let username = doc
            .preferred_username
            .clone()
            .unwrap_or_else(|| doc.id.path_segments().and_then(|mut s| s.next_back()).unwrap_or_default().to_owned());
        Some(Self {
            id: doc.id.clone(),
            kind: doc.kind,
            domain,
            name: doc.name.clone().filter(|n| !n.trim().is_empty()).unwrap_or_else(|| username.clone()),
            username,
            inbox: doc.inbox.clone(),
            shared_inbox: doc.endpoints.as_ref().and_then(|e| e.shared_inbox.clone()),
            outbox: doc.outbox.clone().filter(|outbox| {
                crate::target::same_server(outbox, &doc.id)
                    && crate::target::check_target(outbox, insecure_local).is_ok()
            }),
            public_key_pem: doc.public_key.public_key_pem.clone(),
            page: crate::target::safe_link(doc.url.clone(), insecure_local),
            icon: crate::target::safe_link(doc.icon.as_ref().map(|i| i.url.clone()), insecure_local),
            fetched_at,
        })
    }

    /// Where to deliver: the shared inbox when the server has one.
    pub fn delivery_inbox(&self) -> &Url {
        self.shared_inbox.as_ref().unwrap_or(&self.inbox)
    }

    /// `user@host`.
    pub fn handle(&self) -> String {
        format!("{}@{}", self.username, self.domain)
    }
}

/// What an inbound activity means for the instance, once its signature and shape are checked.
#[derive(Debug, Clone)]
pub enum Inbound {
    /// `follower` asks to follow our actor `target` (a member's username, or the instance actor).
    FollowRequested { follow_id: Url, follower: RemoteActor, target: Url },
    /// `follower` stops following `target`.
    Unfollowed { follower: Url, target: Url },
    /// `actor` accepted or rejected our `Follow` of it; `follower` is which of our actors followed,
    /// when the answer says (otherwise every follow of `actor` by us is concerned).
    FollowAnswered { actor: Url, follower: Option<Url>, accepted: bool },
    /// A listing published or changed by `author`.
    ListingUpserted { author: RemoteActor, proposal: Box<Proposal> },
    /// A listing withdrawn by its author's server.
    ListingDeleted { actor: Url, object: Url },
    /// `actor` sent its new document (`Update` of itself), which is now our copy of it.
    ActorUpdated { actor: RemoteActor },
    /// An activity of an exchange (`agreement.rs`): an offer, its answer, a later move, a receipt, a
    /// message. Who may do what is the server's to check.
    /// The sender is `activity.actor` (already fetched to check the signature).
    Exchange { activity: Box<crate::agreement::ExchangeActivity> },
    /// An activity about a collective (`collective.rs`): a `Join`, its answer, a `Leave`, an
    /// `Invite`, a Group's `Add` or `Remove` of a member. `sender` is its actor, fetched.
    Collective { activity: Box<crate::collective::GroupActivity>, sender: RemoteActor },
    /// A `Create(Note)` and the like from someone a member follows: acknowledged, not stored yet.
    Other { actor: Url, kind: String },
}

#[async_trait]
pub trait Port: Send + Sync + 'static {
    /// One of our actors by username; the instance actor's username is the instance's domain.
    /// `None` for unknown, pending or disabled members.
    async fn local_actor(&self, username: &str) -> Result<Option<LocalActor>, PortError>;

    async fn remote_actor(&self, id: &Url) -> Result<Option<RemoteActor>, PortError>;

    async fn save_remote_actor(&self, actor: &RemoteActor) -> Result<(), PortError>;

    /// Whether activities from, and deliveries to, `domain` are refused.
    async fn is_blocked(&self, domain: &str) -> Result<bool, PortError>;

    /// Whether an activity with this id was received (and applied) before: then it is ignored.
    async fn already_received(&self, activity_id: &Url) -> Result<bool, PortError>;

    /// Records that an activity was applied (after `receive` succeeded: a failure is retried by the
    /// sender and must not be taken for a duplicate).
    async fn record_reception(&self, activity_id: &Url) -> Result<(), PortError>;

    /// Applies an inbound event.
    async fn receive(&self, event: Inbound) -> Result<(), PortError>;

    /// A server proved it is up (it sent us a well-signed activity, or answered a fetch): deliveries
    /// waiting for their next attempt to it may go at once.
    async fn server_answered(&self, domain: &str) -> Result<(), PortError>;
}
