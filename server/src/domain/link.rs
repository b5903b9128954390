//! Links to other servers, as pages may show them.
//!
//! A URL received from another server (a listing's page at its origin, an author's profile) is
//! hostile until checked: `javascript:`, `data:` or `vbscript:` in an `href` runs script with the
//! reader's session when clicked. Federation keeps only `https` URLs (and `http` in insecure
//! local mode) from now on; this type is the second line, for what is shown, including rows stored
//! before that check existed: a page gets an `Option<WebLink>`, and only an absolute `http` or
//! `https` URL with a host makes one.

use std::fmt;

use url::Url;

/// An absolute `http` or `https` URL with a host, written in its normalised form (percent-encoded,
/// scheme and host lower case), safe to put in an `href`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebLink(Url);

impl WebLink {
    /// `None` for anything that is not an absolute http(s) URL with a host.
    pub fn parse(text: &str) -> Option<Self> {
        Url::parse(text.trim()).ok().and_then(Self::from_url)
    }

    pub fn from_url(url: Url) -> Option<Self> {
        let web = matches!(url.scheme(), "http" | "https") && url.host_str().is_some_and(|h| !h.is_empty());
        web.then_some(Self(url))
    }

    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }
}

impl fmt::Display for WebLink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::WebLink;

    #[test]
    fn only_web_pages_make_links() {
        let link = |text: &str| WebLink::parse(text).map(|l| l.to_string());
        assert_eq!(link("https://coop.example/listings/1").as_deref(), Some("https://coop.example/listings/1"));
        assert_eq!(link(" HTTP://Coop.Example/a b").as_deref(), Some("http://coop.example/a%20b"));
        assert_eq!(
            link("https://coop.example/\"><script>").as_deref(),
            Some("https://coop.example/%22%3E%3Cscript%3E")
        );
        for hostile in [
            "javascript:alert(1)",
            "JavaScript:alert(1)",
            " javascript:alert(1)",
            "java\tscript:alert(1)",
            "data:text/html,<script>alert(1)</script>",
            "vbscript:msgbox(1)",
            "file:///etc/passwd",
            "/listings/1",
            "//evil.example/",
            "https:/",
            "",
        ] {
            assert_eq!(link(hostile), None, "{hostile:?}");
        }
    }
}
