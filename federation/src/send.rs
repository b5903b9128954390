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

/// The check every fetch and delivery of the library passes: our target rules (`target.rs`), then
/// the block list.
#[derive(Clone)]
struct Gate {
    port: Arc<dyn Port>,
    insecure_local: bool,
}

#[async_trait]
impl UrlVerifier for Gate {
    async fn verify(&self, url: &Url) -> Result<(), activitypub_federation::error::Error> {
        use activitypub_federation::error::Error as E;
        check_target(url, self.insecure_local).map_err(|refusal| E::Other(format!("{url}: {refusal}")))?;
        let domain = crate::urls::domain_of(url).unwrap_or_default();
        match self.port.is_blocked(&domain).await {
            Ok(false) => Ok(()),
            Ok(true) => Err(E::Other(format!("{domain} is blocked"))),
            Err(e) => Err(E::Other(e.to_string())),
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
            .app_data(FedData { port: port.clone(), urls, insecure_local: options.insecure_local })
            .client(reqwest_middleware::ClientBuilder::new(client.clone()).with(OnTheWire).build())
            .debug(options.insecure_local)
            .allow_http_urls(options.insecure_local)
            .request_timeout(options.request_timeout)
            .url_verifier(Box::new(Gate { port, insecure_local: options.insecure_local }))
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

    /// Whether a server answers at all: a plain GET of `url` (its instance actor or NodeInfo) that
    /// gets any HTTP answer below 500. Used to notice that a server we could not deliver to is back.
    pub async fn answers(&self, url: &Url) -> bool {
        if self.check(url).is_err() {
            return false;
        }
        let request = self.client.get(url.clone()).header(reqwest::header::ACCEPT, crate::ACTIVITY_JSON);
        matches!(request.send().await, Ok(response) if response.status().as_u16() < 500)
    }

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

    /// A remote actor, from our copy when it is recent, otherwise fetched (signed) and kept.
    pub async fn actor(&self, id: &Url) -> Result<RemoteActor, FederationError> {
        let data = self.data();
        // Boxed: the library's dereference is a large future, and every signed request awaits it.
        let object: RemoteActorObject =
            with_status(id, Box::pin(ObjectId::from(id.clone()).dereference(&data))).await?;
        Ok(object.0)
    }

    /// Looks `user@host` up with WebFinger and fetches the actor its `self` link names.
    ///
    /// Done here rather than by the library, which asserts (in debug builds) that the answer's
    /// `subject` repeats the query letter for letter: a member typing `Alice@Coop.fr` for the
    /// account `alice@coop.fr` crashed the request. Host names are compared without case, and the
    /// answer's own spelling of the account is the one kept. The WebFinger URL, its redirect and the
    /// actor pass the target rules before any connection is made.
    pub async fn resolve_handle(&self, handle: &str) -> Result<RemoteActor, FederationError> {
        let handle = handle.trim().trim_start_matches('@');
        let (user, host) = handle
            .rsplit_once('@')
            .filter(|(user, host)| !user.is_empty() && !host.is_empty() && !user.contains(['@', '/', '?', '#']))
            .ok_or(FederationError::NotFound)?;
        let host = host.to_ascii_lowercase();
        let scheme = if self.insecure_local { "http" } else { "https" };
        let mut url = Url::parse(&format!("{scheme}://{host}/.well-known/webfinger"))
            .ok()
            .filter(|url| crate::urls::domain_of(url).as_deref() == Some(host.as_str()))
            .ok_or_else(|| FederationError::NotAllowed(format!("{host}: not a host name")))?;
        self.check(&url)?;
        url.query_pairs_mut().append_pair("resource", &format!("acct:{user}@{host}"));
        let document = self.webfinger(url).await?;
        let actor = crate::webfinger::actor_link(&document).ok_or(FederationError::NotFound)?;
        self.check(&actor)?;
        self.actor(&actor).await
    }

    /// Our target rules for one URL we are about to request.
    fn check(&self, url: &Url) -> Result<(), FederationError> {
        check_target(url, self.insecure_local)
            .map_err(|refusal| FederationError::NotAllowed(format!("{url}: {refusal}")))
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
                .map_err(|e| unreachable(format!("{url}: {}", crate::error::describe_request_error(&e))))?;
            let status = response.status();
            if status.is_redirection() && redirects == 0 {
                let location = response
                    .headers()
                    .get(reqwest::header::LOCATION)
                    .and_then(|l| l.to_str().ok())
                    .and_then(|l| url.join(l).ok())
                    .ok_or_else(|| unreachable(format!("{url}: a redirect without a location")))?;
                self.check(&location)?;
                url = location;
                continue;
            }
            if status == reqwest::StatusCode::NOT_FOUND || status == reqwest::StatusCode::GONE {
                return Err(FederationError::NotFound);
            }
            if !status.is_success() {
                return Err(unreachable(format!("{url} answered HTTP {}", status.as_u16())));
            }
            if response.content_length().is_some_and(|n| n > MAX_BYTES as u64) {
                return Err(unreachable(format!("{url}: the answer is too large")));
            }
            let mut body = Vec::new();
            let mut response = response;
            while let Some(chunk) = response
                .chunk()
                .await
                .map_err(|e| unreachable(format!("{url}: {}", crate::error::describe_request_error(&e))))?
            {
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
        let mut next = collection.get("first").and_then(crate::vocab::value_id);
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
            next = page.get("next").and_then(crate::vocab::value_id);
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
            .map(|p| p.received(self.insecure_local))
            .collect())
    }

    /// Fetches any ActivityPub document (signed); its `id` must be the URL fetched.
    pub async fn fetch_json(&self, url: &Url) -> Result<serde_json::Value, FederationError> {
        let data = self.data();
        let response: activitypub_federation::fetch::FetchObjectResponse<serde_json::Value> =
            with_status(url, async { Ok(activitypub_federation::fetch::fetch_object_http(url, &data).await?) }).await?;
        Ok(response.object)
    }
}

/// Runs a fetch of the library and, when it fails, says so by the status the server answered: the
/// library parses any answer's body before looking at its status, so a busy server's 503 would
/// otherwise read as a document that does not parse (a refusal for good) rather than as a server to
/// try again later.
async fn with_status<T>(
    url: &Url,
    fetch: impl std::future::Future<Output = Result<T, FederationError>>,
) -> Result<T, FederationError> {
    let (result, status) = LAST_STATUS
        .scope(std::cell::Cell::new(None), async {
            let result = fetch.await;
            (result, LAST_STATUS.with(std::cell::Cell::get))
        })
        .await;
    match (result, status) {
        (Ok(value), _) => Ok(value),
        (Err(_), Some(status)) if status >= 500 || status == 408 || status == 429 => {
            Err(FederationError::Unreachable(format!("{url} answered HTTP {status}")))
        }
        (Err(_), Some(404)) => Err(FederationError::NotFound),
        (Err(error), _) => Err(error),
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

tokio::task_local! {
    /// The status of the last response within one `Federation::send`.
    static LAST_STATUS: std::cell::Cell<Option<u16>>;
}

/// Client middleware, on every request the library sends (fetches and deliveries):
/// - names the signature algorithm for what it is. The signing library writes `algorithm="hs2019"`
///   whatever the key, and some servers (apsig and the software built on it) refuse that for RSA
///   keys; the signature itself is RSA-SHA256 over `(request-target) host date` (and `digest`), with
///   no `(created)`, which is exactly what `rsa-sha256` means, as Mastodon sends it. The algorithm is
///   a parameter of the header, not part of what is signed, so the signature stays valid.
/// - notes each response's status for the `send` it belongs to (nothing outside one).
struct OnTheWire;

#[async_trait]
impl reqwest_middleware::Middleware for OnTheWire {
    async fn handle(
        &self,
        mut request: reqwest::Request,
        extensions: &mut axum::http::Extensions,
        next: reqwest_middleware::Next<'_>,
    ) -> reqwest_middleware::Result<reqwest::Response> {
        if let Some(renamed) = request
            .headers()
            .get("signature")
            .and_then(|v| v.to_str().ok())
            .filter(|v| v.contains("algorithm=\"hs2019\""))
            .map(|v| v.replace("algorithm=\"hs2019\"", "algorithm=\"rsa-sha256\""))
            .and_then(|v| reqwest::header::HeaderValue::from_str(&v).ok())
        {
            request.headers_mut().insert("signature", renamed);
        }
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
