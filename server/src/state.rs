//! The application state every request handler receives.

use std::sync::Arc;

use crate::config::Config;
use crate::i18n::Lang;
use crate::storage::Db;

#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub db: Db,
    /// The instance's languages, the default first.
    pub langs: Arc<[Lang]>,
    /// The time zone dates and times are shown in.
    pub zone: crate::i18n::Zone,
    pub federator: crate::services::federation::Federator,
    /// The rate limiters (logins, registrations, the JSON API).
    pub limits: Arc<crate::services::limits::Limits>,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState").field("domain", &self.config.domain).finish_non_exhaustive()
    }
}

impl AppState {
    pub fn new(config: Arc<Config>, db: Db) -> Self {
        let langs: Vec<Lang> = config.instance.languages.iter().filter_map(|l| Lang::parse(l)).collect();
        let federator = crate::services::federation::Federator::new(config.clone(), db.clone());
        // The configuration was validated: an unknown zone stopped start-up with its key named.
        let zone = crate::i18n::Zone::named(&config.instance.timezone).unwrap_or_default();
        let limits = Arc::new(crate::services::limits::Limits::new(&config.limits));
        Self { config, db, langs: langs.into(), zone, federator, limits }
    }
}
