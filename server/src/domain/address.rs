//! Addresses people type to reach another server: an instance's domain (`coop-voisine.fr`,
//! `localhost:8082` in development) and a fediverse account (`ana@coop-voisine.fr`).
//!
//! Parsed before any lookup, so that junk (`http://`, `a@b@c`, an IP address, a host of 100 KB) is
//! refused with a 422 naming the field rather than after a network round trip. What the server may
//! then connect to is decided again, for every request, by `maillage_federation::target`.

use maillage_federation::target::is_host_name;
use url::{Host, Url};

use super::FieldError;

/// Longest `host:port` accepted (a 253-character name and a port).
const MAX_DOMAIN: usize = 253 + 6;
/// Longest user part of an account (Mastodon allows 30; others more).
const MAX_USER: usize = 100;

/// An instance's `host[:port]`, lower case, with a host *name* (never an IP address).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct InstanceDomain(String);

impl InstanceDomain {
    /// Parses what someone typed for `field`; a pasted `https://coop.fr/` is read as `coop.fr`.
    pub fn parse(text: &str, field: &'static str) -> Result<Self, FieldError> {
        let invalid = || FieldError::new(field, "error.invalid_domain");
        let text = text.trim();
        if text.len() > MAX_DOMAIN + "https://".len() + 1 {
            return Err(invalid());
        }
        let lower = text.to_ascii_lowercase();
        let bare = lower.strip_prefix("https://").or_else(|| lower.strip_prefix("http://")).unwrap_or(&lower);
        let bare = bare.strip_suffix('/').unwrap_or(bare);
        let (host, port) = match bare.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (bare, None),
        };
        if bare.len() > MAX_DOMAIN {
            return Err(invalid());
        }
        if !is_host_name(host) {
            // Say so when it is an address: federation goes by names, which say whose server it is.
            let address = Url::parse(&format!("https://{bare}/"))
                .ok()
                .is_some_and(|u| matches!(u.host(), Some(Host::Ipv4(_) | Host::Ipv6(_))));
            return Err(if address { FieldError::new(field, "error.ip_address") } else { invalid() });
        }
        if let Some(port) = port
            && !(port.bytes().all(|b| b.is_ascii_digit()) && port.parse::<u16>().is_ok_and(|p| p > 0))
        {
            return Err(invalid());
        }
        // What a URL parser makes of it must be the same name (no address hidden in another form).
        let parsed = Url::parse(&format!("https://{bare}/")).map_err(|_| invalid())?;
        match parsed.host() {
            Some(Host::Domain(parsed)) if parsed == host => Ok(Self(bare.to_owned())),
            Some(Host::Ipv4(_) | Host::Ipv6(_)) => Err(FieldError::new(field, "error.ip_address")),
            _ => Err(invalid()),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for InstanceDomain {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A fediverse account, `user@domain` (a leading `@` is dropped, the domain lower-cased).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteAccount {
    pub user: String,
    pub domain: InstanceDomain,
}

impl RemoteAccount {
    pub fn parse(text: &str, field: &'static str) -> Result<Self, FieldError> {
        let invalid = || FieldError::new(field, "error.invalid_account");
        let text = text.trim();
        let text = text.strip_prefix('@').unwrap_or(text);
        let (user, domain) = text.split_once('@').ok_or_else(invalid)?;
        let user_ok = !user.is_empty()
            && user.chars().count() <= MAX_USER
            && !user.chars().any(|c| c.is_whitespace() || c.is_control() || "@/\\?#%".contains(c));
        if !user_ok || domain.contains('@') {
            return Err(invalid());
        }
        let domain = InstanceDomain::parse(domain, field)
            .map_err(|e| if e.message.key == "error.ip_address" { e } else { invalid() })?;
        Ok(Self { user: user.to_owned(), domain })
    }
}

impl std::fmt::Display for RemoteAccount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}@{}", self.user, self.domain)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domains_are_names_with_an_optional_port() {
        let ok = |t: &str| InstanceDomain::parse(t, "domain").map(|d| d.0);
        assert_eq!(ok("coop-voisine.fr").unwrap(), "coop-voisine.fr");
        assert_eq!(ok(" https://Coop-Voisine.FR/ ").unwrap(), "coop-voisine.fr");
        assert_eq!(ok("localhost:8082").unwrap(), "localhost:8082");
        for junk in [
            "",
            "http://",
            "https://",
            "coop.fr/path",
            "a@b",
            "coop.fr:",
            "coop.fr:0",
            "coop.fr:99999",
            "coop.fr:80x",
            "coop fr",
            "127.0.0.1",
            "127.0.0.1:8080",
            "127.1",
            "2130706433",
            "0x7f000001",
            "0177.0.0.1",
            "0.0.0.0",
            "[::1]",
            "[::1]:8080",
            "under_score.fr",
        ] {
            assert!(ok(junk).is_err(), "{junk:?} accepted");
        }
        assert!(ok(&"a".repeat(100_000)).is_err());
        assert!(ok(&format!("{}.fr", "a".repeat(64))).is_err());
        let key = |t: &str| InstanceDomain::parse(t, "domain").err().map(|e| e.message.key);
        assert_eq!(key("127.0.0.1:8080"), Some("error.ip_address"));
        assert_eq!(key("[::1]"), Some("error.ip_address"));
        assert_eq!(key("0x7f000001"), Some("error.ip_address"));
        assert_eq!(key("coop fr"), Some("error.invalid_domain"));
    }

    #[test]
    fn accounts_are_one_user_at_one_domain() {
        let ok = |t: &str| RemoteAccount::parse(t, "account").map(|a| a.to_string());
        assert_eq!(ok("@Ana@Coop.fr").unwrap(), "Ana@coop.fr");
        assert_eq!(ok("ana@localhost:8082").unwrap(), "ana@localhost:8082");
        for junk in
            ["ana", "@coop.fr", "a@b@c", "ana@", "an a@coop.fr", "ana@127.0.0.1:8080", "ana@[::1]", "x/y@coop.fr"]
        {
            assert!(ok(junk).is_err(), "{junk:?} accepted");
        }
        assert!(ok(&format!("ana@{}", "a".repeat(100_000))).is_err());
    }
}
