//! Our actors and remote ones as `activitypub_federation` handles them: [`FedData`], the data the
//! library hands to everything it calls; [`Signer`], one of our actors, whose key signs what we
//! send; [`RemoteActorObject`], a remote actor as the library fetches it, checks it, caches it
//! through the port and verifies signatures with.

use std::sync::Arc;

use activitypub_federation::config::Data;
use activitypub_federation::traits::{Actor, Object};
use async_trait::async_trait;
use url::Url;

use crate::error::FederationError;
use crate::port::{LocalActor, Port, RemoteActor};
use crate::target::{check_target, same_server};
use crate::urls::Urls;
use crate::vocab::ActorDocument;

/// What the library hands to our handlers: the port, our URLs, and whether http and loopback are
/// allowed (insecure local mode).
#[derive(Clone)]
pub struct FedData {
    pub port: Arc<dyn Port>,
    pub urls: Urls,
    pub insecure_local: bool,
}

/// One of our actors, as the library needs it to sign.
#[derive(Debug, Clone)]
pub(crate) struct Signer(pub LocalActor);

#[async_trait]
impl Object for Signer {
    type DataType = FedData;
    type Kind = ActorDocument;
    type Error = FederationError;

    fn id(&self) -> &Url {
        &self.0.id
    }

    async fn read_from_id(_id: Url, _data: &Data<FedData>) -> Result<Option<Self>, FederationError> {
        Ok(None)
    }

    async fn into_json(self, data: &Data<FedData>) -> Result<ActorDocument, FederationError> {
        Ok(crate::activities::actor_document(&self.0, &data.urls))
    }

    async fn verify(_json: &ActorDocument, _domain: &Url, _data: &Data<FedData>) -> Result<(), FederationError> {
        Err(FederationError::Internal("local actors are not received".into()))
    }

    async fn from_json(_json: ActorDocument, _data: &Data<FedData>) -> Result<Self, FederationError> {
        Err(FederationError::Internal("local actors are not received".into()))
    }
}

impl Actor for Signer {
    fn public_key_pem(&self) -> &str {
        &self.0.public_key_pem
    }

    fn private_key_pem(&self) -> Option<String> {
        Some(self.0.private_key_pem.clone())
    }

    fn inbox(&self) -> Url {
        crate::urls::inbox_of(&self.0.id)
    }
}

/// A remote actor, as the library fetches, caches (through the port) and verifies signatures with.
#[derive(Debug, Clone)]
pub struct RemoteActorObject(pub RemoteActor);

#[async_trait]
impl Object for RemoteActorObject {
    type DataType = FedData;
    type Kind = ActorDocument;
    type Error = FederationError;

    fn id(&self) -> &Url {
        &self.0.id
    }

    fn last_refreshed_at(&self) -> Option<chrono::DateTime<chrono::Utc>> {
        chrono::DateTime::from_timestamp_millis(self.0.fetched_at)
    }

    async fn read_from_id(id: Url, data: &Data<FedData>) -> Result<Option<Self>, FederationError> {
        Ok(data.port.remote_actor(&id).await?.map(RemoteActorObject))
    }

    async fn into_json(self, _data: &Data<FedData>) -> Result<ActorDocument, FederationError> {
        Err(FederationError::Internal("remote actors are not served".into()))
    }

    /// An actor document is kept only if it is on the server it was fetched from, and its inbox,
    /// shared inbox and key are its own server's: a document cannot make us deliver to, or believe
    /// a key for, another server. Inboxes must also be targets we may deliver to at all (an `ftp:`
    /// or, in production, `http:` shared inbox is refused here, not found unusable at delivery).
    async fn verify(json: &ActorDocument, expected: &Url, data: &Data<FedData>) -> Result<(), FederationError> {
        let refused = |why: String| FederationError::Unauthorized(format!("actor {}: {why}", json.id));
        if !same_server(&json.id, expected) {
            return Err(refused("served by another server".into()));
        }
        if json.public_key.owner != json.id {
            return Err(refused("its key belongs to another actor".into()));
        }
        let shared_inbox = json.endpoints.as_ref().and_then(|e| e.shared_inbox.as_ref());
        for (what, inbox) in [("inbox", Some(&json.inbox)), ("sharedInbox", shared_inbox)] {
            let Some(inbox) = inbox else { continue };
            if !same_server(inbox, &json.id) {
                return Err(refused(format!("its {what} {inbox} is on another server")));
            }
            if let Err(refusal) = check_target(inbox, data.insecure_local) {
                return Err(refused(format!("its {what} {inbox} is unusable: {refusal}")));
            }
        }
        Ok(())
    }

    async fn from_json(json: ActorDocument, data: &Data<FedData>) -> Result<Self, FederationError> {
        let now = chrono::Utc::now().timestamp_millis();
        let actor = RemoteActor::from_document(&json, now, data.insecure_local)
            .ok_or_else(|| FederationError::BadRequest(format!("actor {} has no host", json.id)))?;
        data.port.save_remote_actor(&actor).await?;
        // It answered: if deliveries to it were waiting for a retry, they can go now.
        data.port.server_answered(&actor.domain).await?;
        Ok(RemoteActorObject(actor))
    }
}

impl Actor for RemoteActorObject {
    fn public_key_pem(&self) -> &str {
        &self.0.public_key_pem
    }

    fn private_key_pem(&self) -> Option<String> {
        None
    }

    fn inbox(&self) -> Url {
        self.0.inbox.clone()
    }

    fn shared_inbox(&self) -> Option<Url> {
        self.0.shared_inbox.clone()
    }
}
