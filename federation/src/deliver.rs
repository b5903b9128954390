//! Delivering one stored activity to one inbox: [`Federation::send`] signs it with its actor's key
//! and posts it as it was stored ([`RawActivity`]), and says what became of it ([`Sent`]).

use activitypub_federation::activity_sending::SendActivityTask;
use activitypub_federation::config::Data;
use activitypub_federation::traits::Activity;
use async_trait::async_trait;
use serde::{Serialize, Serializer};
use url::Url;

use crate::actors::{FedData, Signer};
use crate::client::{Federation, LAST_STATUS};
use crate::error::FederationError;
use crate::port::LocalActor;
use crate::target::check_target;

impl Federation {
    /// Signs `activity` (JSON text) with `signer`'s key and posts it to `inbox`. `Ok` when the inbox
    /// took it, refused it for good (a 4xx other than 408 and 429: sending again would not help), or
    /// when our own rules forbid sending there at all (then it never will be); `Err` when it should be
    /// tried again later, saying what failed (refused connection, timeout, TLS, DNS, HTTP status).
    pub async fn send(&self, signer: &LocalActor, activity: &str, inbox: &Url) -> Result<Sent, FederationError> {
        if let Err(refusal) = check_target(inbox, self.insecure_local) {
            return Ok(Sent::Undeliverable(format!("{inbox}: {refusal}")));
        }
        let raw = RawActivity::parse(activity)?;
        let data = self.data();
        let tasks = SendActivityTask::prepare(&raw, &Signer(signer.clone()), vec![inbox.clone()], &data).await?;
        if tasks.is_empty() {
            // The library's own checks refused the inbox (a blocked domain, a local URL): final too.
            return Ok(Sent::Undeliverable(format!("{inbox} is not an inbox we may deliver to")));
        }
        let mut sent = Sent::Taken;
        for task in tasks {
            // The library answers Ok for a refusal too; the status, read by `OnTheWire` on the way
            // back, tells them apart, and says what a failure was.
            let (result, status) = LAST_STATUS
                .scope(std::cell::Cell::new(None), async {
                    let result = task.sign_and_send(&data).await;
                    (result, LAST_STATUS.with(std::cell::Cell::get))
                })
                .await;
            match (result, status) {
                (Ok(()), Some(status)) if status >= 400 => sent = Sent::Refused(status),
                (Ok(()), _) => {}
                (Err(_), Some(status)) => {
                    return Err(FederationError::Unreachable(format!("{inbox} answered HTTP {status}")));
                }
                (Err(error), None) => return Err(FederationError::from(error)),
            }
        }
        Ok(sent)
    }
}

/// What became of a delivery the receiving server answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sent {
    /// A 2xx: the inbox took it.
    Taken,
    /// A 4xx that sending again would not change (not 408 or 429): the activity is dropped for that
    /// inbox, and the status kept so that an admin sees a server that refuses us.
    Refused(u16),
    /// Our own rules forbid sending to this inbox (an `http` or `ftp` URL in production, an IP
    /// address...): it is dropped at once, never retried, and the reason kept for the admin page.
    Undeliverable(String),
}

/// An activity as stored in the outbox: sent byte for byte as it was written.
#[derive(Debug)]
pub(crate) struct RawActivity {
    id: Url,
    actor: Url,
    json: serde_json::Value,
}

impl RawActivity {
    fn parse(text: &str) -> Result<Self, FederationError> {
        let json: serde_json::Value =
            serde_json::from_str(text).map_err(|e| FederationError::Internal(format!("stored activity: {e}")))?;
        let url = |key: &str| {
            json.get(key)
                .and_then(|v| v.as_str())
                .and_then(|s| Url::parse(s).ok())
                .ok_or_else(|| FederationError::Internal(format!("stored activity without {key}")))
        };
        Ok(Self { id: url("id")?, actor: url("actor")?, json })
    }
}

impl Serialize for RawActivity {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.json.serialize(serializer)
    }
}

#[async_trait]
impl Activity for RawActivity {
    type DataType = FedData;
    type Error = FederationError;

    fn id(&self) -> &Url {
        &self.id
    }

    fn actor(&self) -> &Url {
        &self.actor
    }

    async fn verify(&self, _data: &Data<FedData>) -> Result<(), FederationError> {
        Ok(())
    }

    async fn receive(self, _data: &Data<FedData>) -> Result<(), FederationError> {
        Err(FederationError::Internal("an outgoing activity is never received".into()))
    }
}
