//! Configuration: one typed struct, filled from defaults < TOML file < `MAILLAGE_*` environment.
//!
//! Every key is documented in `maillage.example.toml` at the root of the repository; a test keeps that
//! file and this struct in sync. Unknown keys and bad values stop start-up with a message naming the
//! key (or the environment variable).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use url::Url;

mod notifications;

pub use notifications::{EmailConfig, EmailSecurity, ExchangesConfig};

/// Environment variables that are not configuration keys but are read by Maillage's tools.
const OTHER_VARIABLES: &[&str] = &["MAILLAGE_CONFIG", "MAILLAGE_TEST_DATABASE_URL"];

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Directory for Maillage's files (the SQLite database by default). Created if missing.
    pub data_dir: PathBuf,
    /// Database URL. Empty: a SQLite file `maillage.db` in `data_dir`. `sqlite://PATH` or
    /// `postgres://USER@HOST:PORT/DB` choose explicitly.
    pub database_url: String,
    /// Address and port the HTTP server listens on.
    pub bind: SocketAddr,
    /// Public `host[:port]` of this instance, as people and other instances reach it.
    pub domain: String,
    /// Log filter (`info`, `maillage_server=debug,info`...), in `tracing` EnvFilter syntax.
    pub log: String,
    pub instance: InstanceConfig,
    pub federation: FederationConfig,
    pub limits: LimitsConfig,
    pub media: MediaConfig,
    pub geocoding: GeocodingConfig,
    pub exchanges: ExchangesConfig,
    pub email: EmailConfig,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct InstanceConfig {
    /// The cooperative's name, shown on every page.
    pub name: String,
    /// A sentence or two about the cooperative, shown on the home page.
    pub description: String,
    /// Languages offered, the first one being the default: `fr`, `en`.
    pub languages: Vec<String>,
    /// `open`: anyone can register. `approval`: new members wait for an admin's approval.
    pub registration: RegistrationMode,
    /// The IANA time zone dates and times are shown in (`Europe/Paris`, `America/Cayenne`...).
    pub timezone: String,
    /// Who may create collectives here: `members` (any member) or `administrators`.
    pub collective_creation: CollectiveCreation,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct FederationConfig {
    /// Whether this instance federates at all.
    pub enabled: bool,
    /// Who may peer with this instance: `open` (accepted at once), `approval` (an admin accepts each
    /// request), `allowlist` (only the domains in `allowlist`, at once; others are refused).
    pub policy: PeeringPolicy,
    /// Domains accepted under the `allowlist` policy (`coop.example.org`, `localhost:8082`).
    pub allowlist: Vec<String>,
    /// "Authorized fetch" (secure mode): actor, listing and collection documents are served only to
    /// requests signed by a server that is not blocked. Our own fetches are always signed.
    pub authorized_fetch: bool,
    /// Development only: allow peers on http and on loopback or private addresses (tests, the demo).
    /// Never in production: it opens the server to requests forged towards internal services.
    pub insecure_local_federation: bool,
    /// Failed attempts of one activity to a server after which the next activity to it is tried: if
    /// that one is taken, the server is up and refuses only the first, which is given up (shown on
    /// the peers page) instead of holding everything behind it.
    pub delivery_attempts: u32,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum PeeringPolicy {
    Open,
    Approval,
    Allowlist,
}

impl FederationConfig {
    /// The scheme other instances are reached at: `https`, or `http` in insecure local mode.
    pub fn scheme(&self) -> &'static str {
        if self.insecure_local_federation { "http" } else { "https" }
    }
}

impl Default for FederationConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            policy: PeeringPolicy::Approval,
            allowlist: Vec::new(),
            authorized_fetch: false,
            insecure_local_federation: false,
            delivery_attempts: 10,
        }
    }
}

/// Rate limits on what costs without an account (logins, registrations) and on the JSON API. Each
/// quota is a burst, then a steady refill: `burst` at once, then one more every hour / `per_hour`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct LimitsConfig {
    /// Whether the rate limits apply at all.
    pub enabled: bool,
    /// Addresses or networks (`127.0.0.1`, `10.0.0.0/8`, `::1`) of the reverse proxies whose
    /// `X-Forwarded-For` header is believed: a request from one of them counts against the client
    /// address it forwards; from anyone else, against the address it comes from.
    pub trusted_proxies: Vec<String>,
    /// Login attempts per account (username), at once.
    pub login_account_burst: u32,
    /// Login attempts per account refilled per hour once the burst is spent.
    pub login_account_per_hour: u32,
    /// Login attempts per client address, at once.
    pub login_address_burst: u32,
    /// Login attempts per client address refilled per hour.
    pub login_address_per_hour: u32,
    /// Registrations per client address, at once.
    pub registration_burst: u32,
    /// Registrations per client address refilled per hour.
    pub registration_per_hour: u32,
    /// JSON API requests (`/api/v1/*`) per client address, at once.
    pub api_burst: u32,
    /// JSON API requests per client address refilled per hour.
    pub api_per_hour: u32,
}

impl Default for LimitsConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            trusted_proxies: vec!["127.0.0.1".to_owned(), "::1".to_owned()],
            login_account_burst: 10,
            login_account_per_hour: 12,
            login_address_burst: 30,
            login_address_per_hour: 120,
            registration_burst: 5,
            registration_per_hour: 10,
            api_burst: 300,
            api_per_hour: 18_000,
        }
    }
}

impl LimitsConfig {
    /// The quotas with their keys, for validation and documentation.
    fn quotas(&self) -> [(&'static str, u32); 8] {
        [
            ("limits.login_account_burst", self.login_account_burst),
            ("limits.login_account_per_hour", self.login_account_per_hour),
            ("limits.login_address_burst", self.login_address_burst),
            ("limits.login_address_per_hour", self.login_address_per_hour),
            ("limits.registration_burst", self.registration_burst),
            ("limits.registration_per_hour", self.registration_per_hour),
            ("limits.api_burst", self.api_burst),
            ("limits.api_per_hour", self.api_per_hour),
        ]
    }

    /// The trusted proxies as networks (a bare address is a network of one).
    pub fn proxy_networks(&self) -> Result<Vec<ipnet::IpNet>, ConfigError> {
        self.trusted_proxies.iter().map(|entry| parse_network(entry)).collect()
    }
}

/// `10.0.0.0/8`, `fd00::/8`, or a bare address (`127.0.0.1`, `::1`).
fn parse_network(entry: &str) -> Result<ipnet::IpNet, ConfigError> {
    let text = entry.trim();
    text.parse::<ipnet::IpNet>()
        .or_else(|_| text.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
        .map_err(|_| {
            ConfigError(format!(
                "`limits.trusted_proxies`: {entry:?} is not an IP address or network (such as \"127.0.0.1\" or \"10.0.0.0/8\")"
            ))
        })
}

/// Photos: what an upload may be, and the room photos take on disk (`DATA_DIR/media/`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct MediaConfig {
    /// The largest photo file accepted, in megabytes.
    pub max_photo_mb: u32,
    /// The largest photo accepted, in megapixels (width × height). A PNG or WebP is decoded whole (3
    /// to 4 bytes of memory per pixel); a JPEG at a smaller scale when it is large.
    pub max_photo_megapixels: u32,
    /// The room the photos uploaded here may take, in megabytes (every width kept of them); 0 for
    /// no limit.
    pub storage_mb: u32,
    /// The room other servers' photos may take, in megabytes: the oldest fetched are let go (and
    /// fetched again when someone looks at them).
    pub remote_cache_mb: u32,
}

impl Default for MediaConfig {
    fn default() -> Self {
        Self { max_photo_mb: 15, max_photo_megapixels: 50, storage_mb: 5_000, remote_cache_mb: 1_000 }
    }
}

impl MediaConfig {
    /// What one file may be.
    pub fn image_limits(&self) -> crate::domain::photo::ImageLimits {
        crate::domain::photo::ImageLimits {
            max_bytes: self.max_photo_mb as usize * (1 << 20),
            max_pixels: u64::from(self.max_photo_megapixels) * 1_000_000,
        }
    }

    /// The room ours may take, in bytes; `None` for no limit.
    pub fn storage_bytes(&self) -> Option<u64> {
        (self.storage_mb > 0).then(|| u64::from(self.storage_mb) << 20)
    }

    pub fn remote_cache_bytes(&self) -> u64 {
        u64::from(self.remote_cache_mb) << 20
    }
}

/// An address server that gives places typed by members a street's precision (`[geocoding]`);
/// without one, or when it does not answer, a place is its commune's, found offline.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct GeocodingConfig {
    /// Its search address, such as `https://api-adresse.data.gouv.fr/search/`; empty: none.
    pub url: String,
    /// What it speaks: the French national address API (`ban`, also addok) or `nominatim`.
    pub service: GeocodingService,
    /// How long a lookup may take before the commune's position is used instead.
    pub timeout_ms: u32,
    /// The most lookups sent each second (Nominatim's public server allows one).
    pub requests_per_second: u32,
}

impl Default for GeocodingConfig {
    fn default() -> Self {
        Self { url: String::new(), service: GeocodingService::Ban, timeout_ms: 3_000, requests_per_second: 1 }
    }
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum GeocodingService {
    Ban,
    Nominatim,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum RegistrationMode {
    Open,
    Approval,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum CollectiveCreation {
    Members,
    Administrators,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            data_dir: PathBuf::from("./data"),
            database_url: String::new(),
            bind: SocketAddr::from(([127, 0, 0, 1], 8080)),
            domain: "localhost:8080".to_owned(),
            log: "info".to_owned(),
            instance: InstanceConfig::default(),
            federation: FederationConfig::default(),
            limits: LimitsConfig::default(),
            media: MediaConfig::default(),
            geocoding: GeocodingConfig::default(),
            exchanges: ExchangesConfig::default(),
            email: EmailConfig::default(),
        }
    }
}

impl Default for InstanceConfig {
    fn default() -> Self {
        Self {
            name: "Maillage".to_owned(),
            description: String::new(),
            languages: vec!["fr".to_owned(), "en".to_owned()],
            registration: RegistrationMode::Open,
            timezone: crate::i18n::DEFAULT_ZONE.to_owned(),
            collective_creation: CollectiveCreation::Members,
        }
    }
}

/// A configuration problem, naming the key or variable at fault.
#[derive(Debug, thiserror::Error)]
#[error("configuration: {0}")]
pub struct ConfigError(String);

/// How an environment variable's text becomes a TOML value.
#[derive(Clone, Copy)]
enum EnvKind {
    Text,
    List,
    Bool,
    Integer,
}

/// Each `MAILLAGE_*` variable and the key it sets.
const ENVIRONMENT: &[(&str, &[&str], EnvKind)] = &[
    ("MAILLAGE_DATA_DIR", &["data_dir"], EnvKind::Text),
    ("MAILLAGE_DATABASE_URL", &["database_url"], EnvKind::Text),
    ("MAILLAGE_BIND", &["bind"], EnvKind::Text),
    ("MAILLAGE_DOMAIN", &["domain"], EnvKind::Text),
    ("MAILLAGE_LOG", &["log"], EnvKind::Text),
    ("MAILLAGE_INSTANCE_NAME", &["instance", "name"], EnvKind::Text),
    ("MAILLAGE_INSTANCE_DESCRIPTION", &["instance", "description"], EnvKind::Text),
    ("MAILLAGE_INSTANCE_LANGUAGES", &["instance", "languages"], EnvKind::List),
    ("MAILLAGE_REGISTRATION", &["instance", "registration"], EnvKind::Text),
    ("MAILLAGE_COLLECTIVE_CREATION", &["instance", "collective_creation"], EnvKind::Text),
    ("MAILLAGE_TIMEZONE", &["instance", "timezone"], EnvKind::Text),
    ("MAILLAGE_FEDERATION", &["federation", "enabled"], EnvKind::Bool),
    ("MAILLAGE_FEDERATION_POLICY", &["federation", "policy"], EnvKind::Text),
    ("MAILLAGE_FEDERATION_ALLOWLIST", &["federation", "allowlist"], EnvKind::List),
    ("MAILLAGE_AUTHORIZED_FETCH", &["federation", "authorized_fetch"], EnvKind::Bool),
    ("MAILLAGE_INSECURE_LOCAL_FEDERATION", &["federation", "insecure_local_federation"], EnvKind::Bool),
    ("MAILLAGE_DELIVERY_ATTEMPTS", &["federation", "delivery_attempts"], EnvKind::Integer),
    ("MAILLAGE_LIMITS", &["limits", "enabled"], EnvKind::Bool),
    ("MAILLAGE_TRUSTED_PROXIES", &["limits", "trusted_proxies"], EnvKind::List),
    ("MAILLAGE_LIMITS_LOGIN_ACCOUNT_BURST", &["limits", "login_account_burst"], EnvKind::Integer),
    ("MAILLAGE_LIMITS_LOGIN_ACCOUNT_PER_HOUR", &["limits", "login_account_per_hour"], EnvKind::Integer),
    ("MAILLAGE_LIMITS_LOGIN_ADDRESS_BURST", &["limits", "login_address_burst"], EnvKind::Integer),
    ("MAILLAGE_LIMITS_LOGIN_ADDRESS_PER_HOUR", &["limits", "login_address_per_hour"], EnvKind::Integer),
    ("MAILLAGE_LIMITS_REGISTRATION_BURST", &["limits", "registration_burst"], EnvKind::Integer),
    ("MAILLAGE_LIMITS_REGISTRATION_PER_HOUR", &["limits", "registration_per_hour"], EnvKind::Integer),
    ("MAILLAGE_LIMITS_API_BURST", &["limits", "api_burst"], EnvKind::Integer),
    ("MAILLAGE_LIMITS_API_PER_HOUR", &["limits", "api_per_hour"], EnvKind::Integer),
    ("MAILLAGE_MEDIA_MAX_PHOTO_MB", &["media", "max_photo_mb"], EnvKind::Integer),
    ("MAILLAGE_MEDIA_MAX_PHOTO_MEGAPIXELS", &["media", "max_photo_megapixels"], EnvKind::Integer),
    ("MAILLAGE_MEDIA_STORAGE_MB", &["media", "storage_mb"], EnvKind::Integer),
    ("MAILLAGE_MEDIA_REMOTE_CACHE_MB", &["media", "remote_cache_mb"], EnvKind::Integer),
    ("MAILLAGE_GEOCODING_URL", &["geocoding", "url"], EnvKind::Text),
    ("MAILLAGE_GEOCODING_SERVICE", &["geocoding", "service"], EnvKind::Text),
    ("MAILLAGE_GEOCODING_TIMEOUT_MS", &["geocoding", "timeout_ms"], EnvKind::Integer),
    ("MAILLAGE_GEOCODING_REQUESTS_PER_SECOND", &["geocoding", "requests_per_second"], EnvKind::Integer),
    ("MAILLAGE_EXCHANGES_COMPLETE_AFTER_DAYS", &["exchanges", "complete_after_days"], EnvKind::Integer),
    ("MAILLAGE_EMAIL_HOST", &["email", "host"], EnvKind::Text),
    ("MAILLAGE_EMAIL_PORT", &["email", "port"], EnvKind::Integer),
    ("MAILLAGE_EMAIL_SECURITY", &["email", "security"], EnvKind::Text),
    ("MAILLAGE_EMAIL_USERNAME", &["email", "username"], EnvKind::Text),
    ("MAILLAGE_EMAIL_PASSWORD", &["email", "password"], EnvKind::Text),
    ("MAILLAGE_EMAIL_FROM", &["email", "from"], EnvKind::Text),
];

impl Config {
    /// Loads the configuration: defaults, then the TOML file if given, then the environment.
    pub fn load(file: Option<&Path>, env: impl IntoIterator<Item = (String, String)>) -> Result<Self, ConfigError> {
        let mut table = match file {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .map_err(|e| ConfigError(format!("cannot read {}: {e}", path.display())))?;
                text.parse::<toml::Table>().map_err(|e| ConfigError(format!("{}: {e}", path.display())))?
            }
            None => toml::Table::new(),
        };
        let mut from_env = Vec::new();
        for (name, value) in env {
            if !name.starts_with("MAILLAGE_") || OTHER_VARIABLES.contains(&name.as_str()) {
                continue;
            }
            let Some((_, path, kind)) = ENVIRONMENT.iter().find(|(var, _, _)| *var == name) else {
                let known: Vec<&str> = ENVIRONMENT.iter().map(|(var, _, _)| *var).collect();
                return Err(ConfigError(format!("unknown environment variable {name} (known: {})", known.join(", "))));
            };
            let value = match kind {
                EnvKind::Text => toml::Value::String(value),
                EnvKind::Bool => match value.trim() {
                    "true" | "1" | "yes" => toml::Value::Boolean(true),
                    "false" | "0" | "no" => toml::Value::Boolean(false),
                    other => {
                        return Err(ConfigError(format!("{name}: expected true or false, found {other:?}")));
                    }
                },
                EnvKind::Integer => match value.trim().parse::<i64>() {
                    Ok(number) => toml::Value::Integer(number),
                    Err(_) => {
                        return Err(ConfigError(format!("{name}: expected a whole number, found {value:?}")));
                    }
                },
                EnvKind::List => toml::Value::Array(
                    value
                        .split(',')
                        .map(str::trim)
                        .filter(|v| !v.is_empty())
                        .map(|v| toml::Value::String(v.to_owned()))
                        .collect(),
                ),
            };
            set_path(&mut table, path, value).map_err(|e| ConfigError(format!("{name}: {e}")))?;
            from_env.push(name);
        }
        // Re-parsing the merged document gives errors that quote the offending key and line.
        let merged = toml::to_string(&table).map_err(|e| ConfigError(e.to_string()))?;
        let config: Config = toml::from_str(&merged).map_err(|e| {
            let origin = if from_env.is_empty() {
                String::new()
            } else {
                format!(" (environment variables set: {})", from_env.join(", "))
            };
            ConfigError(format!("{}{origin}", e.to_string().trim_end()))
        })?;
        config.validate()?;
        Ok(config)
    }

    /// Checks what the types alone cannot.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let bad = |key: &str, why: &str| Err(ConfigError(format!("`{key}` {why}")));
        if self.data_dir.as_os_str().is_empty() {
            return bad("data_dir", "must not be empty");
        }
        if !self.database_url.is_empty() && crate::storage::Backend::from_url(&self.database_url).is_none() {
            return bad(
                "database_url",
                "must start with sqlite:// or postgres:// (or be empty for the default SQLite file)",
            );
        }
        if Url::parse(&format!("http://{}/", self.domain)).ok().and_then(|u| u.host_str().map(str::to_owned)).is_none()
            || self.domain.contains(['/', '@', '?', '#', ' '])
            || self.domain.is_empty()
        {
            return bad(
                "domain",
                "must be a host name with an optional port, such as coop.example.org or localhost:8080",
            );
        }
        if self.instance.name.trim().is_empty() || self.instance.name.chars().count() > 80 {
            return bad("instance.name", "must have 1 to 80 characters");
        }
        if let Err(why) = crate::i18n::Zone::named(&self.instance.timezone) {
            return Err(ConfigError(format!(
                "`instance.timezone`: {why} (an IANA name such as \"Europe/Paris\" or \"America/Cayenne\")"
            )));
        }
        if self.instance.languages.is_empty() {
            return bad("instance.languages", "must list at least one language (fr, en)");
        }
        if let Some(unknown) = self.instance.languages.iter().find(|l| crate::i18n::Lang::parse(l).is_none()) {
            return Err(ConfigError(format!("`instance.languages`: unknown language {unknown:?} (supported: fr, en)")));
        }
        if let Some(bad_domain) = self.federation.allowlist.iter().find(|d| !is_domain(d)) {
            return Err(ConfigError(format!(
                "`federation.allowlist`: {bad_domain:?} is not a host name with an optional port"
            )));
        }
        if !(1..=1000).contains(&self.federation.delivery_attempts) {
            return bad("federation.delivery_attempts", "must be between 1 and 1000");
        }
        if let Some((key, _)) = self.limits.quotas().into_iter().find(|(_, value)| *value == 0) {
            return bad(key, "must be at least 1 (to lift the limits, set `limits.enabled = false`)");
        }
        self.limits.proxy_networks()?;
        if !(1..=200).contains(&self.media.max_photo_mb) {
            return bad("media.max_photo_mb", "must be between 1 and 200 (megabytes)");
        }
        if !(1..=200).contains(&self.media.max_photo_megapixels) {
            return bad("media.max_photo_megapixels", "must be between 1 and 200 (megapixels)");
        }
        let geocoding = &self.geocoding;
        if !geocoding.url.is_empty()
            && !Url::parse(&geocoding.url).is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.has_host())
        {
            return bad(
                "geocoding.url",
                "must be an http(s) address, such as https://api-adresse.data.gouv.fr/search/ (or empty for none)",
            );
        }
        if !(100..=30_000).contains(&geocoding.timeout_ms) {
            return bad("geocoding.timeout_ms", "must be between 100 and 30000 (milliseconds)");
        }
        if !(1..=50).contains(&geocoding.requests_per_second) {
            return bad("geocoding.requests_per_second", "must be between 1 and 50");
        }
        if !(1..=90).contains(&self.exchanges.complete_after_days) {
            return bad("exchanges.complete_after_days", "must be between 1 and 90 (days)");
        }
        let email = &self.email;
        if email.is_configured() {
            if !is_domain(&email.host) || email.host.contains(':') {
                return bad("email.host", "must be a host name, such as smtp.example.org (the port is email.port)");
            }
            if email.port == 0 {
                return bad("email.port", "must be a port number, such as 587");
            }
            if crate::domain::member::EmailAddress::parse_mailbox(&email.from).is_none() {
                return bad(
                    "email.from",
                    "must be an email address, with a name if you like: Coop du Prêt <ne-pas-repondre@pret.example.org>",
                );
            }
        }
        if tracing_filter_is_invalid(&self.log) {
            return bad("log", "is not a valid log filter (try `info` or `maillage_server=debug,info`)");
        }
        Ok(())
    }

    /// The database URL in effect: the configured one, or the SQLite file in the data directory.
    pub fn effective_database_url(&self) -> String {
        if self.database_url.is_empty() {
            format!("sqlite://{}", self.data_dir.join("maillage.db").display())
        } else {
            self.database_url.clone()
        }
    }

    /// The public base URL. Plain http only for a local domain (`localhost`, loopback addresses), so
    /// that development works without certificates; https everywhere else.
    pub fn public_url(&self) -> Url {
        let host = self.domain.rsplit_once(':').map_or(self.domain.as_str(), |(h, _)| h);
        let local = host == "localhost" || host.starts_with("127.") || host == "[::1]";
        let scheme = if local { "http" } else { "https" };
        #[expect(clippy::expect_used, reason = "validate() accepts only domains that form a URL")]
        Url::parse(&format!("{scheme}://{}/", self.domain)).expect("validated domain")
    }

    /// Whether cookies must carry `Secure` (the instance is served over https).
    pub fn secure_cookies(&self) -> bool {
        self.public_url().scheme() == "https"
    }
}

/// A `host[:port]` as other instances are named: no scheme, path or user.
pub fn is_domain(text: &str) -> bool {
    !text.is_empty()
        && !text.contains(['/', '@', '?', '#', ' '])
        && Url::parse(&format!("http://{text}/")).ok().and_then(|u| u.host_str().map(str::to_owned)).is_some()
}

fn tracing_filter_is_invalid(filter: &str) -> bool {
    filter.trim().is_empty() || tracing_subscriber::EnvFilter::try_new(filter).is_err()
}

fn set_path(table: &mut toml::Table, path: &[&str], value: toml::Value) -> Result<(), String> {
    let (last, parents) = path.split_last().ok_or("empty key")?;
    let mut current = table;
    for key in parents {
        let entry = current.entry((*key).to_owned()).or_insert_with(|| toml::Value::Table(toml::Table::new()));
        current = entry.as_table_mut().ok_or_else(|| format!("`{key}` is not a table"))?;
    }
    current.insert((*last).to_owned(), value);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    #[test]
    fn defaults_are_valid() {
        let config = Config::load(None, env(&[])).expect("defaults");
        assert_eq!(config, Config::default());
        assert_eq!(config.public_url().as_str(), "http://localhost:8080/");
        assert!(config.effective_database_url().starts_with("sqlite://"));
    }

    #[test]
    fn environment_overrides_file() {
        let dir = std::env::temp_dir().join(format!("maillage-config-{}", crate::domain::ids::new_id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let file = dir.join("maillage.toml");
        std::fs::write(
            &file,
            "domain = \"coop.example.org\"\n[instance]\nname = \"Coop\"\nregistration = \"approval\"\n",
        )
        .expect("write");
        let config = Config::load(
            Some(&file),
            env(&[("MAILLAGE_INSTANCE_NAME", "Recyclerie"), ("MAILLAGE_INSTANCE_LANGUAGES", "en, fr")]),
        )
        .expect("config");
        assert_eq!(config.domain, "coop.example.org");
        assert_eq!(config.instance.name, "Recyclerie");
        assert_eq!(config.instance.registration, RegistrationMode::Approval);
        assert_eq!(config.instance.languages, vec!["en", "fr"]);
        assert_eq!(config.public_url().as_str(), "https://coop.example.org/");
        assert!(config.secure_cookies());
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn bad_input_names_the_key() {
        let message =
            |pairs: &[(&str, &str)]| Config::load(None, env(pairs)).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(message(&[("MAILLAGE_BIND", "nowhere")]).contains("bind"));
        assert!(message(&[("MAILLAGE_REGISTRATION", "sometimes")]).contains("registration"));
        assert!(message(&[("MAILLAGE_TIMEZONE", "Europe/Lile")]).contains("instance.timezone"));
        assert!(message(&[("MAILLAGE_COLOUR", "blue")]).contains("MAILLAGE_COLOUR"));
        assert!(message(&[("MAILLAGE_INSTANCE_LANGUAGES", "fr,de")]).contains("instance.languages"));
        assert!(message(&[("MAILLAGE_DOMAIN", "https://x.org/")]).contains("domain"));
        assert!(message(&[("MAILLAGE_DATABASE_URL", "mysql://x")]).contains("database_url"));
        assert!(message(&[("MAILLAGE_FEDERATION_POLICY", "sometimes")]).contains("policy"));
        assert!(message(&[("MAILLAGE_INSECURE_LOCAL_FEDERATION", "maybe")]).contains("INSECURE"));
        assert!(message(&[("MAILLAGE_FEDERATION_ALLOWLIST", "https://x.org/")]).contains("allowlist"));
        assert!(message(&[("MAILLAGE_LIMITS", "sometimes")]).contains("MAILLAGE_LIMITS"));
        assert!(message(&[("MAILLAGE_LIMITS_API_BURST", "many")]).contains("MAILLAGE_LIMITS_API_BURST"));
        assert!(message(&[("MAILLAGE_LIMITS_API_BURST", "-3")]).contains("api_burst"));
        assert!(message(&[("MAILLAGE_LIMITS_LOGIN_ACCOUNT_PER_HOUR", "0")]).contains("limits.login_account_per_hour"));
        assert!(message(&[("MAILLAGE_TRUSTED_PROXIES", "127.0.0.1, proxy.lan")]).contains("proxy.lan"));
        assert!(message(&[("MAILLAGE_GEOCODING_URL", "api-adresse.data.gouv.fr")]).contains("geocoding.url"));
        assert!(message(&[("MAILLAGE_GEOCODING_URL", "ftp://x.org/")]).contains("geocoding.url"));
        assert!(message(&[("MAILLAGE_GEOCODING_SERVICE", "google")]).contains("service"));
        assert!(message(&[("MAILLAGE_GEOCODING_TIMEOUT_MS", "0")]).contains("geocoding.timeout_ms"));
        assert!(message(&[("MAILLAGE_GEOCODING_REQUESTS_PER_SECOND", "0")]).contains("geocoding.requests_per_second"));
        let unknown_key = "colour = \"blue\"\n".parse::<toml::Table>().map(|_| ());
        assert!(unknown_key.is_ok());
    }

    #[test]
    fn limits_come_from_the_environment() {
        let config = Config::load(
            None,
            env(&[
                ("MAILLAGE_LIMITS", "false"),
                ("MAILLAGE_TRUSTED_PROXIES", "10.0.0.0/8, ::1"),
                ("MAILLAGE_LIMITS_API_BURST", " 50 "),
            ]),
        )
        .expect("config");
        assert!(!config.limits.enabled);
        assert_eq!(config.limits.trusted_proxies, vec!["10.0.0.0/8", "::1"]);
        assert_eq!(config.limits.api_burst, 50);
        let networks = config.limits.proxy_networks().expect("networks");
        assert!(networks[0].contains(&"10.1.2.3".parse::<std::net::IpAddr>().expect("address")));
        assert!(networks[1].contains(&"::1".parse::<std::net::IpAddr>().expect("address")));
    }

    #[test]
    fn unknown_file_keys_are_rejected() {
        let dir = std::env::temp_dir().join(format!("maillage-config-{}", crate::domain::ids::new_id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let file = dir.join("maillage.toml");
        std::fs::write(&file, "[instance]\nnmae = \"Coop\"\n").expect("write");
        let error = Config::load(Some(&file), env(&[])).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(error.contains("nmae"), "{error}");
        std::fs::remove_dir_all(&dir).ok();
    }

    /// `maillage.example.toml` documents every key, parses, and holds the defaults.
    #[test]
    fn example_file_is_in_sync_with_the_code() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../maillage.example.toml");
        let text = std::fs::read_to_string(&path).expect("example config");
        let example: toml::Table = text.parse().expect("example parses");
        let defaults = toml::Table::try_from(Config::default()).expect("defaults serialise");
        fn keys(table: &toml::Table, prefix: &str, out: &mut Vec<String>) {
            for (key, value) in table {
                let path = format!("{prefix}{key}");
                match value {
                    toml::Value::Table(inner) => keys(inner, &format!("{path}."), out),
                    _ => out.push(path),
                }
            }
        }
        let (mut documented, mut expected) = (Vec::new(), Vec::new());
        keys(&example, "", &mut documented);
        keys(&defaults, "", &mut expected);
        documented.sort();
        expected.sort();
        assert_eq!(documented, expected, "maillage.example.toml and Config differ");
        let parsed: Config = toml::from_str(&text).expect("example is a valid config");
        assert_eq!(parsed, Config::default(), "the example shows the defaults");
        for (variable, _, _) in ENVIRONMENT {
            assert!(text.contains(variable), "{variable} is not documented in the example");
        }
    }
}
