//! Fetching another server's image (a listing's photo), for the server to read, check and encode
//! again before anyone sees it: never shown from there directly.

use url::Url;

use crate::client::Federation;
use crate::error::FederationError;

impl Federation {
    /// The bytes at `url`: `https` only outside insecure local mode, never an IP address or a
    /// blocked domain, one redirect at most (checked the same way), at most `max_bytes` (a larger
    /// file is refused). What the bytes are is for the caller to find out: the server's word
    /// (`Content-Type`) is not taken for it.
    pub async fn fetch_media(&self, url: &Url, max_bytes: usize) -> Result<Vec<u8>, FederationError> {
        let domain = crate::urls::domain_of(url).unwrap_or_default();
        if self.data().port.is_blocked(&domain).await.map_err(FederationError::Port)? {
            return Err(FederationError::NotAllowed(format!("{domain} is blocked")));
        }
        self.get_bounded(url.clone(), "image/jpeg, image/png, image/webp", max_bytes).await
    }
}
