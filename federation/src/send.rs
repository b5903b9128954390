//! The federation context: the `activitypub_federation` configuration with our port, signed
//! sending of one activity to one inbox, and signed fetching of remote documents.

use std::sync::Arc;
use std::time::Duration;

use activitypub_federation::activity_sending::SendActivityTask;
use activitypub_federation::config::{Data, FederationConfig, UrlVerifier};
use activitypub_federation::fetch::object_id::ObjectId;
use activitypub_federation::resolver::ValidatingDnsResolver;
use activitypub_federation::traits::{Activity, Actor, Object};
use async_trait::async_trait;
use serde::{Serialize, Serializer};
use url::Url;

use crate::error::FederationError;
use crate::port::{LocalActor, Port, RemoteActor};
use crate::urls::Urls;
use crate::vocab::ActorDocument;

/// What the library hands to our handlers: the port and our URLs.
#[derive(Clone)]
pub struct FedData {
    pub port: Arc<dyn Port>,
    pub urls: Urls,
}

/// Refuses URLs on blocked domains, for fetches and deliveries alike.
#[derive(Clone)]
struct BlockList(Arc<dyn Port>);

#[async_trait]
impl UrlVerifier for BlockList {
    async fn verify(&self, url: &Url) -> Result<(), activitypub_federation::error::Error> {
        let domain = crate::urls::domain_of(url).unwrap_or_default();
        match self.0.is_blocked(&domain).await {
            Ok(false) => Ok(()),
            Ok(true) => Err(activitypub_federation::error::Error::Other(format!("{domain} is blocked"))),
            Err(e) => Err(activitypub_federation::error::Error::Other(e.to_string())),
        }
    }
}

/// Options for [`Federation::new`].
pub struct Options {
    /// Allow http and loopback or private addresses (development, tests, the demo only).
    pub insecure_local: bool,
    /// Timeout of each outgoing request.
    pub request_timeout: Duration,
}

/// The federation side of a running instance.
#[derive(Clone)]
pub struct Federation {
    config: FederationConfig<FedData>,
    /// http and loopback allowed (development): WebFinger is then asked over http.
    insecure_local: bool,
    /// The library's HTTP client (validating resolver, timeouts), for WebFinger.
    client: reqwest::Client,
}

impl Federation {
    /// `instance` signs our fetches (so that servers requiring signed GETs answer us).
    pub async fn new(
        port: Arc<dyn Port>,
        urls: Urls,
        instance: &LocalActor,
        options: Options,
    ) -> Result<Self, FederationError> {
        // Production: the validating resolver refuses names that resolve to loopback or private
        // addresses (no requests forged towards internal services), and the library refuses http.
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(options.request_timeout)
            .connect_timeout(options.request_timeout)
            .user_agent(concat!("Maillage/", env!("CARGO_PKG_VERSION")))
            .dns_resolver(Arc::new(ValidatingDnsResolver::new(vec![], !options.insecure_local)))
            .build()
            .map_err(|e| FederationError::Internal(format!("HTTP client: {e}")))?;
        let domain = urls.domain();
        let config = FederationConfig::builder()
            .domain(domain)
            .app_data(FedData { port: port.clone(), urls })
            .client(reqwest_middleware::ClientBuilder::new(client.clone()).with(RecordStatus).build())
            .debug(options.insecure_local)
            .allow_http_urls(options.insecure_local)
            .request_timeout(options.request_timeout)
            .url_verifier(Box::new(BlockList(port)))
            .http_fetch_limit(50)
            .signed_fetch_actor(&Signer(instance.clone()))
            // Sign as Mastodon does, `(request-target) host date` (and `digest` on POSTs), rather
            // than with `(created)`/`(expires)`: Mastodon in authorized-fetch mode refuses GETs
            // whose signature leaves out `Host`, and Pleroma refuses `(created)`.
            .http_signature_compat(true)
            .build()
            .await
            .map_err(|e| FederationError::Internal(format!("federation configuration: {e}")))?;
        Ok(Self { config, insecure_local: options.insecure_local, client })
    }

    pub fn data(&self) -> Data<FedData> {
        self.config.to_request_data()
    }

    pub fn urls(&self) -> &Urls {
        &self.config.urls
    }

    /// Signs `activity` (JSON text) with `signer`'s key and posts it to `inbox`. `Ok` when the inbox
    /// took it, or refused it for good (a 4xx other than 408 and 429: sending again would not help),
    /// saying which; `Err` when it should be tried again later.
    pub async fn send(&self, signer: &LocalActor, activity: &str, inbox: &Url) -> Result<Sent, FederationError> {
        let raw = RawActivity::parse(activity)?;
        let data = self.data();
        let tasks = SendActivityTask::prepare(&raw, &Signer(signer.clone()), vec![inbox.clone()], &data).await?;
        if tasks.is_empty() {
            return Err(FederationError::Forbidden(format!("{inbox} is not a valid inbox for this instance")));
        }
        let mut sent = Sent::Taken;
        for task in tasks {
            // The library answers Ok for a refusal too; the status, read by `RecordStatus` on the
            // way back, tells them apart.
            let status = LAST_STATUS.scope(std::cell::Cell::new(None), async {
                task.sign_and_send(&data).await.map(|()| LAST_STATUS.with(std::cell::Cell::get))
            });
            if let Some(status) = status.await?
                && status >= 400
            {
                sent = Sent::Refused(status);
            }
        }
        Ok(sent)
    }

    /// A remote actor, from our copy when it is recent, otherwise fetched (signed) and kept.
    pub async fn actor(&self, id: &Url) -> Result<RemoteActor, FederationError> {
        let object: RemoteActorObject = ObjectId::from(id.clone()).dereference(&self.data()).await?;
        Ok(object.0)
    }

    /// Looks `user@host` up with WebFinger and fetches the actor its `self` link names.
    ///
    /// Done here rather than by the library, which asserts (in debug builds) that the answer's
    /// `subject` repeats the query letter for letter: a member typing `Alice@Coop.fr` for the
    /// account `alice@coop.fr` crashed the request. Host names are compared without case, and the
    /// answer's own spelling of the account is the one kept.
    pub async fn resolve_handle(&self, handle: &str) -> Result<RemoteActor, FederationError> {
        let handle = handle.trim().trim_start_matches('@');
        let (user, host) = handle
            .rsplit_once('@')
            .filter(|(user, host)| !user.is_empty() && !host.is_empty())
            .ok_or(FederationError::NotFound)?;
        let host = host.to_ascii_lowercase();
        let scheme = if self.insecure_local { "http" } else { "https" };
        let mut url =
            Url::parse(&format!("{scheme}://{host}/.well-known/webfinger")).map_err(|_| FederationError::NotFound)?;
        url.query_pairs_mut().append_pair("resource", &format!("acct:{user}@{host}"));
        let document = self.webfinger(url).await?;
        let actor = crate::webfinger::actor_link(&document).ok_or(FederationError::NotFound)?;
        self.actor(&actor).await
    }

    /// GETs a WebFinger document, following one redirect (a domain may delegate WebFinger to the
    /// host of its server). 404 and 410 mean "no such account".
    async fn webfinger(&self, mut url: Url) -> Result<serde_json::Value, FederationError> {
        /// More than any real JRD; enough to refuse a server that sends megabytes.
        const MAX_BYTES: usize = 64 * 1024;
        let unreachable = |what: String| FederationError::Unreachable(what);
        for redirects in 0..2 {
            let response = self
                .client
                .get(url.clone())
                .header(reqwest::header::ACCEPT, "application/jrd+json, application/json")
                .send()
                .await
                .map_err(|e| unreachable(format!("{url}: {e}")))?;
            let status = response.status();
            if status.is_redirection() && redirects == 0 {
                let location = response
                    .headers()
                    .get(reqwest::header::LOCATION)
                    .and_then(|l| l.to_str().ok())
                    .and_then(|l| url.join(l).ok())
                    .ok_or_else(|| unreachable(format!("{url}: a redirect without a location")))?;
                if location.scheme() != "https" && !self.insecure_local {
                    return Err(unreachable(format!("{url}: redirected to {location}, not https")));
                }
                url = location;
                continue;
            }
            if status == reqwest::StatusCode::NOT_FOUND || status == reqwest::StatusCode::GONE {
                return Err(FederationError::NotFound);
            }
            if !status.is_success() {
                return Err(unreachable(format!("{url} answered {status}")));
            }
            if response.content_length().is_some_and(|n| n > MAX_BYTES as u64) {
                return Err(unreachable(format!("{url}: the answer is too large")));
            }
            let mut body = Vec::new();
            let mut response = response;
            while let Some(chunk) = response.chunk().await.map_err(|e| unreachable(format!("{url}: {e}")))? {
                body.extend_from_slice(&chunk);
                if body.len() > MAX_BYTES {
                    return Err(unreachable(format!("{url}: the answer is too large")));
                }
            }
            return serde_json::from_slice(&body).map_err(|_| FederationError::NotFound);
        }
        Err(unreachable(format!("{url}: too many redirects")))
    }

    /// The proposals in an outbox (from its `Create`s and `Update`s, or bare), reading at most
    /// `max_pages` pages; only those of the outbox's own server (ids and authors) are kept.
    pub async fn outbox_proposals(
        &self,
        outbox: &Url,
        max_pages: usize,
    ) -> Result<Vec<crate::proposal::Proposal>, FederationError> {
        let domain = crate::urls::domain_of(outbox);
        let collection = self.fetch_json(outbox).await?;
        let mut items = items_of(&collection);
        let mut next = collection.get("first").and_then(crate::inbox::value_id);
        let mut pages = 0;
        while let Some(page_url) = next.take() {
            pages += 1;
            if pages > max_pages || crate::urls::domain_of(&page_url) != domain {
                break;
            }
            // A page that fails ends the reading: what the earlier pages held is still worth keeping.
            let page = match self.fetch_json(&page_url).await {
                Ok(page) => page,
                Err(error) => {
                    tracing::info!(%page_url, %error, "outbox page unreadable: reading stops there");
                    break;
                }
            };
            items.extend(items_of(&page));
            next = page.get("next").and_then(crate::inbox::value_id);
        }
        Ok(items
            .into_iter()
            .filter_map(|item| {
                let object = match item.get("type").and_then(|t| t.as_str()) {
                    Some("Create" | "Update") => item.get("object").cloned()?,
                    _ => item,
                };
                serde_json::from_value::<crate::proposal::Proposal>(object).ok()
            })
            .filter(|p| crate::urls::domain_of(&p.id) == domain && crate::urls::domain_of(&p.attributed_to) == domain)
            .collect())
    }

    /// Fetches any ActivityPub document (signed); its `id` must be the URL fetched.
    pub async fn fetch_json(&self, url: &Url) -> Result<serde_json::Value, FederationError> {
        let response: activitypub_federation::fetch::FetchObjectResponse<serde_json::Value> =
            activitypub_federation::fetch::fetch_object_http(url, &self.data()).await?;
        Ok(response.object)
    }
}

/// The items of a collection or collection page.
fn items_of(collection: &serde_json::Value) -> Vec<serde_json::Value> {
    let from = |key: &str| collection.get(key).and_then(|v| v.as_array()).cloned();
    from("orderedItems").or_else(|| from("items")).unwrap_or_default()
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

/// What became of a delivery the receiving server answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sent {
    /// A 2xx: the inbox took it.
    Taken,
    /// A 4xx that sending again would not change (not 408 or 429): the activity is dropped for that
    /// inbox, and the status kept so that an admin sees a server that refuses us.
    Refused(u16),
}

tokio::task_local! {
    /// The status of the last response within one `Federation::send`.
    static LAST_STATUS: std::cell::Cell<Option<u16>>;
}

/// Client middleware: notes each response's status for the `send` it belongs to (nothing outside
/// one).
struct RecordStatus;

#[async_trait]
impl reqwest_middleware::Middleware for RecordStatus {
    async fn handle(
        &self,
        request: reqwest::Request,
        extensions: &mut axum::http::Extensions,
        next: reqwest_middleware::Next<'_>,
    ) -> reqwest_middleware::Result<reqwest::Response> {
        let response = next.run(request, extensions).await?;
        let _ = LAST_STATUS.try_with(|status| status.set(Some(response.status().as_u16())));
        Ok(response)
    }
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

    async fn verify(json: &ActorDocument, expected: &Url, _data: &Data<FedData>) -> Result<(), FederationError> {
        if crate::urls::domain_of(&json.id) != crate::urls::domain_of(expected) {
            return Err(FederationError::Unauthorized(format!("actor {} served by another server", json.id)));
        }
        if crate::urls::domain_of(&json.inbox) != crate::urls::domain_of(&json.id) || json.public_key.owner != json.id {
            return Err(FederationError::Unauthorized(format!("actor {}: inbox or key on another server", json.id)));
        }
        Ok(())
    }

    async fn from_json(json: ActorDocument, data: &Data<FedData>) -> Result<Self, FederationError> {
        let now = chrono::Utc::now().timestamp_millis();
        let actor = RemoteActor::from_document(&json, now)
            .ok_or_else(|| FederationError::BadRequest(format!("actor {} has no host", json.id)))?;
        data.port.save_remote_actor(&actor).await?;
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
