//! In-process tests of the API: real router, real SQLite database in a temporary directory, requests
//! sent with `tower::ServiceExt::oneshot`. End-to-end tests over real HTTP live in `tests/`.

use std::path::PathBuf;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode};
use serde_json::Value;
use tower::ServiceExt;

use crate::config::Config;
use crate::domain::ids::new_id;
use crate::domain::member::Role;
use crate::router::router;
use crate::services::accounts::{self, Origin, Registration};
use crate::state::AppState;
use crate::storage::Db;
use crate::storage::sessions::SessionKind;

mod extractors;
mod listings;
mod members;
mod openapi;

pub const PASSWORD: &str = "correct horse battery";

/// An instance without a socket: the router and its database, in a directory removed on drop.
pub struct TestApp {
    router: Router,
    pub state: AppState,
    dir: PathBuf,
}

#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub text: String,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("not JSON ({e}): {self:?}"))
    }

    /// Asserts a JSON error with this status and code.
    #[track_caller]
    pub fn assert_error(&self, status: StatusCode, code: &str) -> Value {
        assert_eq!(self.status, status, "{self:?}");
        let content_type = self.headers.get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default();
        assert!(content_type.starts_with("application/json"), "{self:?}");
        let body = self.json();
        assert_eq!(body["error"], code, "{self:?}");
        assert!(body["message"].as_str().is_some_and(|m| !m.is_empty()), "{self:?}");
        body
    }
}

impl TestApp {
    pub async fn new() -> Self {
        Self::with(|_| {}).await
    }

    pub async fn with(configure: impl FnOnce(&mut Config)) -> Self {
        let dir = std::env::temp_dir().join(format!("maillage-api-test-{}", new_id()));
        let mut config = Config { data_dir: dir.clone(), ..Config::default() };
        configure(&mut config);
        let db = Db::open(&config.effective_database_url(), &dir).await.expect("opening the database");
        db.migrate().await.expect("migrating");
        let state = AppState::new(Arc::new(config), db);
        Self { router: router(state.clone()), state, dir }
    }

    pub async fn send(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        content_type: Option<&str>,
        body: Vec<u8>,
    ) -> Reply {
        self.send_with(method, path, token, content_type, body, &[]).await
    }

    pub async fn send_with(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        content_type: Option<&str>,
        body: Vec<u8>,
        headers: &[(&str, &str)],
    ) -> Reply {
        let mut request = Request::builder().method(method).uri(path);
        if let Some(token) = token {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        if let Some(content_type) = content_type {
            request = request.header("content-type", content_type);
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = self.router.clone().oneshot(request.body(Body::from(body)).unwrap()).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
        Reply { status, headers, text: String::from_utf8_lossy(&bytes).into_owned() }
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Reply {
        self.send(Method::GET, path, token, None, Vec::new()).await
    }

    /// Sends `body` as JSON.
    pub async fn json(&self, method: Method, path: &str, token: Option<&str>, body: &Value) -> Reply {
        self.send(method, path, token, Some("application/json"), serde_json::to_vec(body).unwrap()).await
    }

    /// An active member with `role`, and an API token of theirs.
    pub async fn member(&self, username: &str, role: Role) -> String {
        let registration = Registration {
            username: username.to_owned(),
            password: PASSWORD.to_owned(),
            display_name: username.to_owned(),
            kind: "person".to_owned(),
            description: String::new(),
        };
        let member = accounts::register(self.state.db(), &registration, Origin::ByAdmin { role }).await.unwrap();
        accounts::open_session(self.state.db(), &member, SessionKind::Api).await.unwrap()
    }

    pub async fn count_listings(&self) -> i64 {
        crate::storage::listings::count(&mut self.state.db().conn().await.unwrap()).await.unwrap()
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A valid new listing, with `overrides` applied.
pub fn listing_body(title: &str, overrides: Value) -> Value {
    let mut body = serde_json::json!({
        "purpose": "offer",
        "mode": "lend",
        "category": "bikes-repair",
        "title": title,
        "description": "Biporteur révisé.",
        "quantity": 1,
        "unit": "piece",
        "price_cents": null,
        "location": {"name": "Lille", "latitude": 50.63, "longitude": 3.06},
        "available_from": "2026-12-01",
        "available_until": null,
    });
    if let (Some(body), Some(overrides)) = (body.as_object_mut(), overrides.as_object()) {
        for (key, value) in overrides {
            body.insert(key.clone(), value.clone());
        }
    }
    body
}
