//! The application state every request handler receives.

use std::sync::Arc;

use crate::config::Config;
use crate::i18n::Lang;
use crate::services::Services;
use crate::services::federation::Federator;
use crate::storage::Db;

#[derive(Clone)]
pub struct AppState {
    /// The database, the configuration and the rest every service works with.
    pub services: Services,
    /// The instance's languages, the default first.
    pub langs: Arc<[Lang]>,
    /// The time zone dates and times are shown in.
    pub zone: crate::i18n::Zone,
    /// The federation side: peering, follows, our actors, the inbox's port.
    pub federator: Federator,
    /// The rate limiters (logins, registrations, the JSON API).
    pub limits: Arc<crate::services::limits::Limits>,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState").field("domain", &self.config().domain).finish_non_exhaustive()
    }
}

impl AppState {
    pub fn new(config: Arc<Config>, db: Db) -> Self {
        let langs: Vec<Lang> = config.instance.languages.iter().filter_map(|l| Lang::parse(l)).collect();
        // The configuration was validated: an unknown zone stopped start-up with its key named.
        let zone = crate::i18n::Zone::named(&config.instance.timezone).unwrap_or_default();
        let limits = Arc::new(crate::services::limits::Limits::new(&config.limits));
        let services = Services::new(config, db);
        let federator = Federator::new(services.clone());
        Self { services, langs: langs.into(), zone, federator, limits }
    }

    pub fn db(&self) -> &Db {
        self.services.db()
    }

    pub fn config(&self) -> &Config {
        self.services.config()
    }
}
