//! ActivityPub for Maillage: the wire vocabulary (FEP-0837 `Proposal` for listings, actors,
//! `Follow`/`Accept` peering), our JSON-LD context, WebFinger and NodeInfo documents, the inbox
//! (HTTP signatures checked, activities parsed into [`Inbound`] events) and the sending of queued
//! deliveries.
//!
//! This crate knows nothing of SQL or of the web UI. It defines what it needs from the instance as
//! the [`Port`] trait; the server implements it over its storage. The `activitypub_federation`
//! library stays behind this crate: its betas rename things, and only this crate should notice.

pub mod activities;
pub mod actors;
pub mod agreement;
pub mod client;
pub mod collective;
pub mod context;
pub mod deliver;
pub mod error;
pub mod fetch;
pub mod inbox;
pub mod keys;
pub mod media;
pub mod nodeinfo;
pub mod port;
pub mod proposal;
pub mod queue;
pub mod resolve;
pub mod signature;
pub mod signed_fetch;
pub mod target;
pub mod urls;
pub mod vocab;
pub mod webfinger;

pub use client::{Federation, Options};
pub use deliver::Sent;
pub use error::FederationError;
pub use port::{Inbound, LocalActor, Port, PortError, RemoteActor};
pub use urls::Urls;

/// The media type of ActivityPub documents.
pub const ACTIVITY_JSON: &str = "application/activity+json";
/// The address of everyone (`as:Public`).
pub const PUBLIC: &str = "https://www.w3.org/ns/activitystreams#Public";
