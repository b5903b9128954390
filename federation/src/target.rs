//! The rules every URL from another server must pass before we keep it or send a request to it.
//!
//! - **Targets** ([`check_target`]): what we connect to — WebFinger and its redirect, actor and object
//!   fetches, outbox pages, deliveries, probes. In production only `https`, on a host *name* (never an
//!   IP literal, whatever its spelling: `127.1`, `2130706433`, `0x7f000001` and `0177.0.0.1` are all
//!   IPv4 to a URL parser, so they are all refused), without an explicit port. The name is then
//!   resolved by the client's validating resolver, which refuses loopback and private addresses, so a
//!   name cannot smuggle one in either. In insecure local mode (development, tests, the demo), `http`,
//!   loopback and ports are allowed.
//! - **Links** ([`safe_link`]): what we only show (a page's `url`): `https`, or `http` in insecure
//!   local mode. Anything else — `javascript:`, `data:`, `ftp:` — is dropped.
//! - **Same server** ([`same_server`]): an id, an inbox or a shared inbox must be on the server of the
//!   actor that sent it.

use url::{Host, Url};

/// Why a URL is not a target we connect to.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("the scheme {0:?} is not allowed (https only)")]
    Scheme(String),
    #[error("an IP address is not allowed, only a host name")]
    IpLiteral,
    #[error("an explicit port is not allowed")]
    Port,
    #[error("no host name")]
    NoHost,
    #[error("the host name {0:?} is not a valid domain name")]
    BadHost(String),
}

/// Longest host name (RFC 1035) and label.
const MAX_HOST: usize = 253;
const MAX_LABEL: usize = 63;

/// Whether we may send a request to `url`. See the module documentation for the rules.
pub fn check_target(url: &Url, insecure_local: bool) -> Result<(), Refusal> {
    match url.scheme() {
        "https" => {}
        "http" if insecure_local => {}
        other => return Err(Refusal::Scheme(other.to_owned())),
    }
    let host = match url.host() {
        None => return Err(Refusal::NoHost),
        Some(Host::Ipv4(_) | Host::Ipv6(_)) if !insecure_local => return Err(Refusal::IpLiteral),
        Some(Host::Ipv4(_) | Host::Ipv6(_)) => return Ok(()),
        Some(Host::Domain(host)) => host,
    };
    if !is_host_name(host) {
        return Err(Refusal::BadHost(host.chars().take(80).collect()));
    }
    if url.port().is_some() && !insecure_local {
        return Err(Refusal::Port);
    }
    Ok(())
}

/// A DNS host name: dot-separated labels of ASCII letters, digits and hyphens (internationalised names
/// arrive in their `xn--` form), none empty or longer than 63, not starting or ending with a hyphen;
/// at most 253 characters; a final label that is not all digits (that would be an address).
pub fn is_host_name(host: &str) -> bool {
    let host = host.strip_suffix('.').unwrap_or(host);
    if host.is_empty() || host.len() > MAX_HOST {
        return false;
    }
    let labels_ok = host.split('.').all(|label| {
        !label.is_empty()
            && label.len() <= MAX_LABEL
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
    });
    let last_is_numeric = host.rsplit('.').next().is_some_and(|l| l.bytes().all(|b| b.is_ascii_digit()));
    labels_ok && !last_is_numeric
}

/// `url` when it is a link we may show: `https`, or `http` in insecure local mode; `None` otherwise.
pub fn safe_link(url: Option<Url>, insecure_local: bool) -> Option<Url> {
    url.filter(|u| match u.scheme() {
        "https" => u.host().is_some(),
        "http" => insecure_local && u.host().is_some(),
        _ => false,
    })
}

/// Whether two URLs are on the same server (`host[:port]`).
pub fn same_server(a: &Url, b: &Url) -> bool {
    let (a, b) = (crate::urls::domain_of(a), crate::urls::domain_of(b));
    a.is_some() && a == b
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(text: &str, insecure: bool) -> Result<(), Refusal> {
        check_target(&Url::parse(text).unwrap(), insecure)
    }

    #[test]
    fn every_spelling_of_an_address_is_refused_in_production() {
        for text in [
            "https://127.0.0.1/",
            "https://127.1/",
            "https://2130706433/",
            "https://0x7f000001/",
            "https://0177.0.0.1/",
            "https://0.0.0.0/",
            "https://[::1]/",
            "https://[::ffff:127.0.0.1]/",
            "https://10.0.0.1/",
        ] {
            assert_eq!(target(text, false), Err(Refusal::IpLiteral), "{text}");
        }
    }

    #[test]
    fn production_wants_https_on_a_name_without_a_port() {
        assert_eq!(target("https://coop.example/inbox", false), Ok(()));
        assert_eq!(target("https://xn--coopration-b7a.fr/", false), Ok(()));
        assert_eq!(target("http://coop.example/inbox", false), Err(Refusal::Scheme("http".into())));
        assert_eq!(target("ftp://coop.example/inbox", false), Err(Refusal::Scheme("ftp".into())));
        assert_eq!(target("https://coop.example:8443/", false), Err(Refusal::Port));
        assert!(matches!(target("https://a_b.example/", false), Err(Refusal::BadHost(_))));
        assert!(matches!(target(&format!("https://{}.example/", "a".repeat(64)), false), Err(Refusal::BadHost(_))));
    }

    #[test]
    fn insecure_local_mode_allows_http_loopback_and_ports() {
        assert_eq!(target("http://localhost:8081/inbox", true), Ok(()));
        assert_eq!(target("http://127.0.0.1:8081/inbox", true), Ok(()));
        assert_eq!(target("ftp://localhost/inbox", true), Err(Refusal::Scheme("ftp".into())));
    }

    #[test]
    fn only_web_links_are_kept() {
        let link = |text: &str, insecure| safe_link(Url::parse(text).ok(), insecure).map(|u| u.to_string());
        assert_eq!(link("https://coop.example/@ana", false).as_deref(), Some("https://coop.example/@ana"));
        assert_eq!(link("http://coop.example/@ana", false), None);
        assert_eq!(link("http://localhost:8081/@ana", true).as_deref(), Some("http://localhost:8081/@ana"));
        for bad in ["javascript:alert(1)", "JavaScript:alert(1)", "data:text/html,<script>", "ftp://x.example/"] {
            assert_eq!(link(bad, true), None, "{bad}");
        }
    }

    #[test]
    fn same_server_compares_host_and_port() {
        let url = |t: &str| Url::parse(t).unwrap();
        assert!(same_server(&url("https://a.example/u/1"), &url("https://a.example/inbox")));
        assert!(!same_server(&url("https://a.example/u/1"), &url("https://b.example/inbox")));
        assert!(!same_server(&url("http://localhost:1/u"), &url("http://localhost:2/inbox")));
    }
}
