//! Domain services: the rules. Handlers (web and API) and the CLI call these; these call storage.

pub mod accounts;
pub mod calendar;
pub mod catalogue;
pub mod collectives;
pub mod cooperative;
pub mod exchanges;
pub mod federation;
pub mod follows;
pub mod geocoding;
mod handle;
pub mod images;
mod inbox;
pub mod limits;
pub mod listings;
pub mod mailer;
pub mod notifications;
pub mod parties;
pub mod passwords;
pub mod peering;
pub mod photos;
pub mod pictures;
pub mod places;
pub mod remote_listings;
pub mod upkeep;

pub use handle::{Services, Write};
