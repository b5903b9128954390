//! Resolving a handle (`user@host`): a WebFinger lookup of our own (bounded, one redirect, every URL
//! through the target rules), then a fetch of the actor its `self` link names.

use url::Url;

use crate::client::Federation;
use crate::error::FederationError;
use crate::port::RemoteActor;

impl Federation {
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

    /// GETs a WebFinger document, following one redirect (a domain may delegate WebFinger to the
    /// host of its server). 404 and 410 mean "no such account".
    async fn webfinger(&self, url: Url) -> Result<serde_json::Value, FederationError> {
        /// More than any real JRD; enough to refuse a server that sends megabytes.
        const MAX_BYTES: usize = 64 * 1024;
        let body = self.get_bounded(url, "application/jrd+json, application/json", MAX_BYTES).await?;
        serde_json::from_slice(&body).map_err(|_| FederationError::NotFound)
    }

    /// An unsigned GET of `url` that follows one redirect, every URL through the target rules before
    /// any connection, and reads at most `max_bytes` of the answer (a larger one is refused, not
    /// cut). 404 and 410 are [`FederationError::NotFound`].
    pub(crate) async fn get_bounded(
        &self,
        mut url: Url,
        accept: &str,
        max_bytes: usize,
    ) -> Result<Vec<u8>, FederationError> {
        let unreachable = |what: String| FederationError::Unreachable(what);
        self.check(&url)?;
        for redirects in 0..2 {
            let response = self
                .client
                .get(url.clone())
                .header(reqwest::header::ACCEPT, accept)
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
            if response.content_length().is_some_and(|n| n > max_bytes as u64) {
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
                if body.len() > max_bytes {
                    return Err(unreachable(format!("{url}: the answer is too large")));
                }
            }
            return Ok(body);
        }
        Err(unreachable(format!("{url}: too many redirects")))
    }
}
