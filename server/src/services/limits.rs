//! Rate limits: logins per account and per client address, registrations and JSON API requests per
//! client address.
//!
//! Each is a keyed `governor` limiter (GCRA: a burst, then a steady refill, with a few bytes of
//! state per key). A spent burst acts as a temporary lock: the next attempt is allowed when the
//! refill brings it, and the refusal says when (429, `Retry-After`, a message in minutes for logins
//! and registrations). Keys not seen for a while are dropped by [`Limits::retain_recent`], which the
//! upkeep task calls, so that memory follows the clients of the last minutes, not all clients ever.
//!
//! Client addresses are counted as networks where one party holds many addresses: an IPv6 client
//! by its /64 (what one subscriber or server gets), an IPv4-mapped IPv6 address as the IPv4 one.

use std::net::{IpAddr, Ipv6Addr};
use std::num::NonZeroU32;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, NotUntil, Quota};

use crate::config::LimitsConfig;
use crate::domain::member::Username;
use crate::error::AppError;

type Keyed<K> = DefaultKeyedRateLimiter<K>;

/// The instance's rate limiters (one set per running instance, shared by its requests).
pub struct Limits {
    enabled: bool,
    /// The reverse proxies whose `X-Forwarded-For` is believed.
    trusted_proxies: Vec<ipnet::IpNet>,
    login_account: Keyed<Username>,
    login_address: Keyed<IpAddr>,
    registration: Keyed<IpAddr>,
    api: Keyed<IpAddr>,
    clock: DefaultClock,
}

impl std::fmt::Debug for Limits {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Limits").field("enabled", &self.enabled).finish_non_exhaustive()
    }
}

/// A quota of `burst` at once, then `per_hour` more per hour, evenly spread.
fn quota(burst: u32, per_hour: u32) -> Quota {
    // The configuration was validated (both at least 1); 0 would fall back to the smallest quota.
    let per_hour = u64::from(per_hour.max(1));
    let period = Duration::from_nanos(3_600_000_000_000 / per_hour);
    let burst = NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN);
    Quota::with_period(period).unwrap_or_else(|| Quota::per_hour(NonZeroU32::MIN)).allow_burst(burst)
}

/// The key an address counts under: an IPv6 address by its /64, an IPv4-mapped one as IPv4.
pub fn client_key(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V4(v4) => IpAddr::V4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let network = u128::from(v6) & (u128::MAX << 64);
                IpAddr::V6(Ipv6Addr::from(network))
            }
        },
    }
}

impl Limits {
    pub fn new(config: &LimitsConfig) -> Self {
        // The configuration was validated: every entry parses.
        let trusted_proxies = config.proxy_networks().unwrap_or_default();
        Self {
            enabled: config.enabled,
            trusted_proxies,
            login_account: Keyed::dashmap(quota(config.login_account_burst, config.login_account_per_hour)),
            login_address: Keyed::dashmap(quota(config.login_address_burst, config.login_address_per_hour)),
            registration: Keyed::dashmap(quota(config.registration_burst, config.registration_per_hour)),
            api: Keyed::dashmap(quota(config.api_burst, config.api_per_hour)),
            clock: DefaultClock::default(),
        }
    }

    /// Whether a request coming from `address` is from a trusted reverse proxy.
    pub fn is_trusted_proxy(&self, address: IpAddr) -> bool {
        let address = address.to_canonical();
        self.trusted_proxies.iter().any(|network| network.contains(&address))
    }

    /// One login attempt from `client`, for `username` when it is a valid one (an invalid username
    /// has no account to protect; its attempt still counts for the address). Checked before the
    /// password is hashed, so that a refused attempt costs nothing.
    pub fn login(&self, client: IpAddr, username: Option<&Username>) -> Result<(), AppError> {
        if !self.enabled {
            return Ok(());
        }
        let client = client_key(client);
        self.login_address.check_key(&client).map_err(|refusal| {
            tracing::debug!(limit = "login_address", client.address = %client, "rate limit reached");
            self.in_minutes(&refusal, "too_many_attempts", "error.too_many_logins_one", "error.too_many_logins_many")
        })?;
        if let Some(username) = username {
            self.login_account.check_key(username).map_err(|refusal| {
                tracing::debug!(limit = "login_account", member.username = %username, "rate limit reached");
                self.in_minutes(
                    &refusal,
                    "too_many_attempts",
                    "error.too_many_logins_one",
                    "error.too_many_logins_many",
                )
            })?;
        }
        Ok(())
    }

    /// One registration from `client` (a complete form, about to be hashed and stored).
    pub fn registration(&self, client: IpAddr) -> Result<(), AppError> {
        if !self.enabled {
            return Ok(());
        }
        let client = client_key(client);
        self.registration.check_key(&client).map_err(|refusal| {
            tracing::debug!(limit = "registration", client.address = %client, "rate limit reached");
            self.in_minutes(
                &refusal,
                "too_many_registrations",
                "error.too_many_registrations_one",
                "error.too_many_registrations_many",
            )
        })
    }

    /// One JSON API request from `client`.
    pub fn api(&self, client: IpAddr) -> Result<(), AppError> {
        if !self.enabled {
            return Ok(());
        }
        let client = client_key(client);
        self.api.check_key(&client).map_err(|refusal| {
            tracing::debug!(limit = "api", client.address = %client, "rate limit reached");
            let wait = refusal.wait_time_from(self.clock.now());
            let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
            AppError::too_many_requests("too_many_requests", "error.too_many_requests", wait)
                .with_arg("seconds", seconds.max(1))
        })
    }

    /// Forgets the keys whose quota is full again (they would start afresh anyway).
    pub fn retain_recent(&self) {
        self.login_account.retain_recent();
        self.login_address.retain_recent();
        self.registration.retain_recent();
        self.api.retain_recent();
        self.login_account.shrink_to_fit();
        self.login_address.shrink_to_fit();
        self.registration.shrink_to_fit();
        self.api.shrink_to_fit();
    }

    /// How many keys the limiters hold (for the upkeep's log and the tests).
    pub fn keys(&self) -> usize {
        self.login_account.len() + self.login_address.len() + self.registration.len() + self.api.len()
    }

    /// A 429 whose message says how many minutes to wait (rounded up, at least one).
    fn in_minutes(
        &self,
        refusal: &NotUntil<<DefaultClock as Clock>::Instant>,
        code: &'static str,
        one: &'static str,
        many: &'static str,
    ) -> AppError {
        let wait = refusal.wait_time_from(self.clock.now());
        let minutes = wait.as_secs().div_ceil(60).max(1);
        let key = if minutes == 1 { one } else { many };
        AppError::too_many_requests(code, key, wait).with_arg("minutes", minutes)
    }
}

#[cfg(test)]
mod tests {
    use axum::http::StatusCode;

    use super::*;

    fn address(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn ipv6_clients_count_by_their_network() {
        assert_eq!(client_key(address("2001:db8:1:2:aaaa::1")), address("2001:db8:1:2::"));
        assert_eq!(client_key(address("2001:db8:1:2:bbbb::9")), address("2001:db8:1:2::"));
        assert_ne!(client_key(address("2001:db8:1:3::1")), address("2001:db8:1:2::"));
        assert_eq!(client_key(address("::ffff:192.0.2.7")), address("192.0.2.7"));
        assert_eq!(client_key(address("192.0.2.7")), address("192.0.2.7"));
    }

    #[test]
    fn a_spent_login_burst_locks_for_the_refill_period() {
        let config = LimitsConfig { login_account_burst: 2, login_account_per_hour: 6, ..LimitsConfig::default() };
        let limits = Limits::new(&config);
        let alice = Username::parse("alice").unwrap();
        let client = address("192.0.2.1");
        limits.login(client, Some(&alice)).unwrap();
        limits.login(client, Some(&alice)).unwrap();
        let refused = limits.login(client, Some(&alice)).unwrap_err();
        assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(refused.code, "too_many_attempts");
        assert_eq!(refused.message.key, "error.too_many_logins_many");
        // 6 per hour: one every 10 minutes.
        assert_eq!(refused.message.args, vec![("minutes", "10".to_owned())]);
        let wait = refused.retry_after.unwrap();
        assert!(wait > Duration::from_secs(590) && wait <= Duration::from_secs(600), "{wait:?}");
        // Another account is not locked.
        limits.login(client, Some(&Username::parse("bea").unwrap())).unwrap();
    }

    #[test]
    fn disabled_limits_let_everything_through() {
        let limits = Limits::new(&LimitsConfig { enabled: false, api_burst: 1, ..LimitsConfig::default() });
        for _ in 0..10 {
            limits.api(address("192.0.2.1")).unwrap();
        }
    }

    #[test]
    fn retain_recent_forgets_full_quotas() {
        let limits = Limits::new(&LimitsConfig { api_burst: 5, api_per_hour: 3_600_000, ..LimitsConfig::default() });
        limits.api(address("192.0.2.1")).unwrap();
        assert_eq!(limits.keys(), 1);
        std::thread::sleep(Duration::from_millis(20));
        limits.retain_recent();
        assert_eq!(limits.keys(), 0);
    }
}
