//! A Maillage instance: configuration, storage, domain services, and the HTTP side (web UI and JSON
//! API). See docs/ARCHITECTURE.md for the package map.

pub mod activitypub;
pub mod api;
pub mod app;
pub mod config;
pub mod domain;
pub mod error;
pub mod http;
pub mod i18n;
pub mod router;
pub mod sample;
pub mod services;
pub mod state;
pub mod storage;
pub mod web;

pub use app::{RunningServer, start};
pub use config::Config;
