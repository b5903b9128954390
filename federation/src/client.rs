//! The library's configuration: [`Federation`] (built from [`Options`]) with its HTTP client, whose
//! resolver refuses private addresses in production, its URL verifier (`Gate`: our target rules,
//! then the block list), and the client middleware (`OnTheWire`) that names our signatures
//! `rsa-sha256` and reads the status of each answer. Delivering, fetching and resolving handles
//! are in `deliver.rs`, `fetch.rs` and `resolve.rs`.

use std::sync::Arc;
use std::time::Duration;

use activitypub_federation::config::{Data, FederationConfig, UrlVerifier};
use activitypub_federation::resolver::ValidatingDnsResolver;
use async_trait::async_trait;
use url::Url;

use crate::actors::{FedData, Signer};
use crate::error::FederationError;
use crate::port::{LocalActor, Port};
use crate::target::check_target;
use crate::urls::Urls;

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
    pub(crate) insecure_local: bool,
    /// The library's HTTP client (validating resolver, timeouts), for WebFinger and deliveries.
    pub(crate) client: reqwest::Client,
    /// What we read and write (the block list, for deliveries).
    pub(crate) port: Arc<dyn Port>,
    /// Our actors' keys, parsed for signing deliveries.
    pub(crate) keys: crate::deliver::SigningKeys,
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
            .url_verifier(Box::new(Gate { port: port.clone(), insecure_local: options.insecure_local }))
            .http_fetch_limit(50)
            .signed_fetch_actor(&Signer(instance.clone()))
            // Sign as Mastodon does, `(request-target) host date` (and `digest` on POSTs), rather
            // than with `(created)`/`(expires)`: Mastodon in authorized-fetch mode refuses GETs
            // whose signature leaves out `Host`, and Pleroma refuses `(created)`.
            .http_signature_compat(true)
            .build()
            .await
            .map_err(|e| FederationError::Internal(format!("federation configuration: {e}")))?;
        Ok(Self { config, insecure_local: options.insecure_local, client, port, keys: Default::default() })
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

    /// Our target rules for one URL we are about to request.
    pub(crate) fn check(&self, url: &Url) -> Result<(), FederationError> {
        check_target(url, self.insecure_local)
            .map_err(|refusal| FederationError::NotAllowed(format!("{url}: {refusal}")))
    }
}

/// Runs a fetch of the library and, when it fails, says so by the status the server answered: the
/// library parses any answer's body before looking at its status, so a busy server's 503 would
/// otherwise read as a document that does not parse (a refusal for good) rather than as a server to
/// try again later.
pub(crate) async fn with_status<T>(
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

tokio::task_local! {
    /// The status of the last response within one `Federation::send` or one `with_status`.
    pub(crate) static LAST_STATUS: std::cell::Cell<Option<u16>>;
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
