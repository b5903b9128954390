//! Federation with a server that, like Mastodon in authorized-fetch ("secure") mode, serves its
//! actors only to signed GETs whose signature covers `Host` and `Date`, and with a server that
//! refuses what we deliver. The server here is a stand-in written for the test (an axum app on
//! loopback, `SecureServer`): it checks which headers a signature covers, as Mastodon does before
//! anything else, and records every request it gets.

#![allow(clippy::expect_used, clippy::unwrap_used, reason = "tests fail loudly")]

mod common;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use common::TestInstance;
use maillage_server::domain::member::Role;
use serde_json::{Value, json};
use tokio::net::TcpListener;

/// One request the stand-in server received.
#[derive(Clone, Debug)]
struct Received {
    method: Method,
    path: String,
    /// The names in the `headers` parameter of its `Signature` header (empty when unsigned).
    signed: Vec<String>,
    body: String,
    status: StatusCode,
}

#[derive(Clone)]
struct SecureServer {
    domain: String,
    received: Arc<Mutex<Vec<Received>>>,
    task: Arc<tokio::task::JoinHandle<()>>,
}

/// What the stand-in server shares with its handler.
#[derive(Clone)]
struct Shared {
    domain: String,
    received: Arc<Mutex<Vec<Received>>>,
    /// Inbox POSTs are refused with a 403, as by a server that blocked us.
    refuse_deliveries: bool,
}

impl SecureServer {
    async fn start() -> Self {
        Self::start_with(false).await
    }

    async fn start_with(refuse_deliveries: bool) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let domain = format!("localhost:{}", listener.local_addr().unwrap().port());
        let received = Arc::new(Mutex::new(Vec::new()));
        let shared = Shared { domain: domain.clone(), received: received.clone(), refuse_deliveries };
        let app = axum::Router::new().fallback(answer).with_state(shared);
        let task = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Self { domain, received, task: Arc::new(task) }
    }

    fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }

    fn report(&self) -> String {
        self.received()
            .iter()
            .map(|r| format!("{} {} → {} (signed: {})", r.method, r.path, r.status, r.signed.join(" ")))
            .collect::<Vec<_>>()
            .join("\n")
    }
}

impl Drop for SecureServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn signed_header_names(headers: &HeaderMap) -> Vec<String> {
    let Some(signature) = headers.get("signature").and_then(|v| v.to_str().ok()) else { return Vec::new() };
    let Some(start) = signature.find("headers=\"") else { return vec!["date".to_owned()] };
    let rest = &signature[start + "headers=\"".len()..];
    rest[..rest.find('"').unwrap_or(rest.len())].split_whitespace().map(str::to_owned).collect()
}

async fn answer(
    State(Shared { domain, received, refuse_deliveries }): State<Shared>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let signed = signed_header_names(&headers);
    let base = format!("http://{domain}");
    let ana = format!("{base}/users/ana");
    let (status, document) = match (method.clone(), uri.path()) {
        // WebFinger is public, even in secure mode.
        (Method::GET, "/.well-known/webfinger") => (
            StatusCode::OK,
            json!({
                "subject": format!("acct:ana@{domain}"),
                "links": [{"rel": "self", "type": "application/activity+json", "href": ana}],
            }),
        ),
        // Mastodon's own checks and messages, in its order.
        (Method::GET, _) if signed.is_empty() => (StatusCode::UNAUTHORIZED, json!({"error": "Request not signed"})),
        (Method::GET, _) if !signed.iter().any(|h| h == "host") => (
            StatusCode::UNAUTHORIZED,
            json!({"error": "Mastodon requires the Host header to be signed when doing a GET request"}),
        ),
        (Method::GET, _) if !signed.iter().any(|h| h == "date" || h == "(created)") => (
            StatusCode::UNAUTHORIZED,
            json!({"error": "Mastodon requires the Date header or (created) pseudo-header to be signed"}),
        ),
        (Method::GET, "/users/ana") => (StatusCode::OK, actor(&base)),
        (Method::POST, _) if refuse_deliveries => (StatusCode::FORBIDDEN, json!({"error": "Blocked"})),
        (Method::POST, "/inbox" | "/users/ana/inbox") if signed.iter().any(|h| h == "digest") => {
            (StatusCode::ACCEPTED, json!({}))
        }
        (Method::POST, _) => (StatusCode::UNAUTHORIZED, json!({"error": "Mastodon requires the Digest header"})),
        _ => (StatusCode::NOT_FOUND, json!({"error": "Record not found"})),
    };
    received.lock().unwrap().push(Received {
        method,
        path: uri.path().to_owned(),
        signed,
        body: String::from_utf8_lossy(&body).into_owned(),
        status,
    });
    let content_type =
        if uri.path().starts_with("/.well-known") { "application/jrd+json" } else { "application/activity+json" };
    (status, [("content-type", content_type)], document.to_string()).into_response()
}

/// The actor `ana`, with the public key of a real Mastodon account (from the parse tests' assets).
fn actor(base: &str) -> Value {
    let mastodon: Value =
        serde_json::from_str(include_str!("../federation/tests/assets/mastodon_person.json")).unwrap();
    let ana = format!("{base}/users/ana");
    json!({
        "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
        "id": ana,
        "type": "Person",
        "preferredUsername": "ana",
        "name": "Ana",
        "inbox": format!("{ana}/inbox"),
        "outbox": format!("{ana}/outbox"),
        "followers": format!("{ana}/followers"),
        "following": format!("{ana}/following"),
        "endpoints": {"sharedInbox": format!("{base}/inbox")},
        "url": format!("{base}/@ana"),
        "publicKey": {
            "id": format!("{ana}#main-key"),
            "owner": ana,
            "publicKeyPem": mastodon["publicKey"]["publicKeyPem"],
        },
    })
}

#[tokio::test]
async fn a_member_follows_an_account_on_a_server_that_requires_signed_fetches() {
    let secure = SecureServer::start().await;
    let maillage = TestInstance::start_with(|config| config.federation.insecure_local_federation = true).await;
    let carla = maillage.member_with_token("carla", Role::Member).await;

    let account = format!("ana@{}", secure.domain);
    let reply = maillage.api().token(&carla).post("/api/v1/follows", &json!({ "account": account })).await;
    assert_eq!(reply.status, StatusCode::ACCEPTED, "{reply:?}\nwhat the server saw:\n{}", secure.report());

    // The Follow reaches ana's inbox, signed with its Digest.
    let deadline = Instant::now() + Duration::from_secs(20);
    let follow = loop {
        let delivered = secure.received().into_iter().find(|r| r.method == Method::POST && r.status.is_success());
        if let Some(follow) = delivered {
            break follow;
        }
        assert!(Instant::now() < deadline, "no Follow delivered; what the server saw:\n{}", secure.report());
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let activity: Value = serde_json::from_str(&follow.body).unwrap();
    assert_eq!(activity["type"], "Follow", "{activity:#}");
    assert_eq!(activity["object"], format!("http://{}/users/ana", secure.domain), "{activity:#}");
    for header in ["(request-target)", "host", "date", "digest"] {
        assert!(follow.signed.iter().any(|h| h == header), "the Follow's signature leaves out {header}: {follow:?}");
    }

    // Every request for a document was signed the way Mastodon requires: none was refused.
    let gets: Vec<Received> = secure
        .received()
        .into_iter()
        .filter(|r| r.method == Method::GET && r.path != "/.well-known/webfinger")
        .collect();
    assert!(!gets.is_empty(), "the actor was never fetched:\n{}", secure.report());
    for get in &gets {
        assert_ne!(get.status, StatusCode::UNAUTHORIZED, "a fetch was refused:\n{}", secure.report());
        for header in ["(request-target)", "host", "date"] {
            assert!(get.signed.iter().any(|h| h == header), "a fetch's signature leaves out {header}: {get:?}");
        }
    }
    maillage.stop().await;
}

#[tokio::test]
async fn a_server_that_refuses_our_deliveries_shows_on_the_admin_page() {
    let refusing = SecureServer::start_with(true).await;
    let maillage = TestInstance::start_with(|config| config.federation.insecure_local_federation = true).await;
    let carla = maillage.member_with_token("carla", Role::Member).await;
    maillage.create_member("camille", Role::Admin).await;

    let account = format!("ana@{}", refusing.domain);
    let reply = maillage.api().token(&carla).post("/api/v1/follows", &json!({ "account": account })).await;
    assert_eq!(reply.status, StatusCode::ACCEPTED, "{reply:?}");

    // The Follow is refused once, not sent again, and the admin page says so for that server.
    let mut admin = maillage.browser();
    admin.login_ok("camille").await;
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let page = admin.get("/admin/peers").await;
        if common::html_text(&page.text).contains("refused the activity (HTTP 403)") {
            assert!(page.text.contains(&refusing.domain), "{page:?}");
            break;
        }
        assert!(Instant::now() < deadline, "no refusal shown:\n{page:?}\nthe server saw:\n{}", refusing.report());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let posts = refusing.received().iter().filter(|r| r.method == Method::POST).count();
    assert_eq!(posts, 1, "a refused delivery is not sent again:\n{}", refusing.report());
    maillage.stop().await;
}
