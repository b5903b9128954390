//! Domain services: the rules. Handlers (web and API) and the CLI call these; these call storage.

pub mod accounts;
pub mod catalogue;
pub mod federation;
mod handle;
pub mod limits;
pub mod listings;
pub mod passwords;
pub mod upkeep;

pub use handle::{Services, Write};
