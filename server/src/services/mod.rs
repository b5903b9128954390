//! Domain services: the rules. Handlers (web and API) and the CLI call these; these call storage.

pub mod accounts;
pub mod catalogue;
pub mod federation;
pub mod limits;
pub mod listings;
pub mod passwords;
pub mod upkeep;
