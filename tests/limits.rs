//! Rate limits and bounded password hashing, over real HTTP: logins locked per account and per
//! client address (web form and API alike), registrations and the API limited per address, the
//! client address believed from `X-Forwarded-For` only when a trusted proxy sends it, limits that
//! can be turned off, concurrent failed logins that all get an answer, and expired sessions removed.

mod common;

use std::time::Duration;

use common::{Api, PASSWORD, TestInstance};
use maillage_server::config::LimitsConfig;
use maillage_server::domain::member::Role;
use maillage_server::storage::sessions::{self, SessionKind};
use reqwest::{Method, StatusCode};
use serde_json::json;

/// A login through the API, as if from `client` (forwarded by the loopback proxy, which is trusted
/// by default).
async fn api_login(api: &Api, client: &str, username: &str, password: &str) -> common::Reply {
    let body = json!({"username": username, "password": password});
    api.send(api.request(Method::POST, "/api/v1/sessions").header("x-forwarded-for", client).json(&body)).await
}

/// A registration through the API, as if from `client`.
async fn api_register(api: &Api, client: &str, username: &str) -> common::Reply {
    let body = json!({"username": username, "password": PASSWORD, "display_name": username});
    api.send(api.request(Method::POST, "/api/v1/accounts").header("x-forwarded-for", client).json(&body)).await
}

/// The `Retry-After` header of a 429, in seconds.
#[track_caller]
fn retry_after(reply: &common::Reply) -> u64 {
    assert_eq!(reply.status, StatusCode::TOO_MANY_REQUESTS, "{reply:?}");
    reply
        .header("retry-after")
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no Retry-After in seconds: {reply:?}"))
}

#[tokio::test]
async fn failed_logins_lock_the_account_on_the_api_and_the_web_form() {
    let instance = TestInstance::start_with(|config| {
        config.limits.login_account_burst = 3;
        config.limits.login_account_per_hour = 12;
    })
    .await;
    instance.create_member("alice", Role::Member).await;
    instance.create_member("bea", Role::Member).await;
    let api = instance.api();
    for attempt in 0..3 {
        let reply = api_login(&api, "198.51.100.1", "alice", "not her password").await;
        reply.assert_error(StatusCode::UNAUTHORIZED, "invalid_credentials");
        assert!(reply.header("retry-after").is_none(), "attempt {attempt}: {reply:?}");
    }

    // The fourth attempt, even with the right password, waits for the refill: one per 5 minutes.
    let locked = api_login(&api, "198.51.100.1", "alice", PASSWORD).await;
    locked.assert_error(StatusCode::TOO_MANY_REQUESTS, "too_many_attempts");
    let wait = retry_after(&locked);
    assert!((290..=300).contains(&wait), "Retry-After {wait}: {locked:?}");
    assert_eq!(
        locked.json()["message"],
        "Trop de tentatives de connexion. Par sécurité, réessayez dans 5 minutes.",
        "{locked:?}"
    );
    let english = api.clone().lang("en");
    let locked_en = api_login(&english, "198.51.100.2", "alice", PASSWORD).await;
    assert_eq!(locked_en.json()["message"], "Too many login attempts. For your security, try again in 5 minutes.");

    // The lock is the account's, from any address, and on the web form too.
    let mut browser = instance.browser();
    let page = browser.submit("/login", "/login", &[("username", "alice"), ("password", PASSWORD)]).await;
    assert!(retry_after(&page) > 0);
    assert!(page.content_type().starts_with("text/html"), "{page:?}");
    assert!(page.text.contains("réessayez dans 5 minutes"), "{page:?}");
    assert!(page.text.contains("name=\"username\""), "the login form is shown again: {page:?}");
    assert!(page.header("set-cookie").is_none_or(|c| !c.contains("maillage_session")), "{page:?}");

    // Another account, from another address, is not affected.
    let bea = api_login(&api, "198.51.100.3", "bea", PASSWORD).await;
    assert_eq!(bea.status, StatusCode::CREATED, "{bea:?}");
    instance.stop().await;
}

#[tokio::test]
async fn failed_logins_from_one_address_are_limited_whatever_the_account() {
    let instance = TestInstance::start_with(|config| {
        config.limits.login_address_burst = 3;
        config.limits.login_address_per_hour = 60;
    })
    .await;
    instance.create_member("alice", Role::Member).await;
    let api = instance.api();
    for username in ["nobody", "alice", "x"] {
        let reply = api_login(&api, "203.0.113.7", username, "guess guess guess").await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{username}: {reply:?}");
    }
    let refused = api_login(&api, "203.0.113.7", "someone_else", "guess guess guess").await;
    refused.assert_error(StatusCode::TOO_MANY_REQUESTS, "too_many_attempts");
    // 60 per hour: the next attempt comes within the minute.
    assert!((1..=60).contains(&retry_after(&refused)), "{refused:?}");
    assert_eq!(refused.json()["message"], "Trop de tentatives de connexion. Par sécurité, réessayez dans 1 minute.");

    // Another address of the same IPv4 world is not affected; alice's account is not locked.
    let other = api_login(&api, "203.0.113.8", "alice", PASSWORD).await;
    assert_eq!(other.status, StatusCode::CREATED, "{other:?}");
    // An IPv6 client counts by its /64: two addresses of one network share the quota.
    for _ in 0..3 {
        let reply = api_login(&api, "2001:db8:5:6::1", "nobody", "guess guess guess").await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{reply:?}");
    }
    let same_network = api_login(&api, "2001:db8:5:6:ffff::2", "nobody", "guess guess guess").await;
    assert_eq!(same_network.status, StatusCode::TOO_MANY_REQUESTS, "{same_network:?}");
    instance.stop().await;
}

#[tokio::test]
async fn registrations_are_limited_per_address_on_the_api_and_the_web_form() {
    let instance = TestInstance::start_with(|config| {
        config.limits.registration_burst = 2;
        config.limits.registration_per_hour = 10;
    })
    .await;
    let api = instance.api();
    // A form sent back for a mistake does not count.
    let body = json!({"username": "x", "password": "short"});
    let mistake = api
        .send(api.request(Method::POST, "/api/v1/accounts").header("x-forwarded-for", "192.0.2.10").json(&body))
        .await;
    assert_eq!(mistake.status, StatusCode::UNPROCESSABLE_ENTITY, "{mistake:?}");
    for username in ["camille", "dominique"] {
        let reply = api_register(&api, "192.0.2.10", username).await;
        assert_eq!(reply.status, StatusCode::CREATED, "{username}: {reply:?}");
    }
    let refused = api_register(&api, "192.0.2.10", "eden").await;
    refused.assert_error(StatusCode::TOO_MANY_REQUESTS, "too_many_registrations");
    assert!((300..=360).contains(&retry_after(&refused)), "{refused:?}");
    assert_eq!(refused.json()["message"], "Trop d'inscriptions depuis votre adresse. Réessayez dans 6 minutes.");
    assert!(
        maillage_server::services::accounts::find(instance.db(), "eden").await.unwrap().is_none(),
        "a refused registration stored nothing"
    );
    let elsewhere = api_register(&api, "192.0.2.11", "eden").await;
    assert_eq!(elsewhere.status, StatusCode::CREATED, "{elsewhere:?}");

    // The web form, from loopback itself: two registrations, then the form again with the message.
    let mut browser = instance.browser();
    for username in ["fanny", "gael"] {
        let reply = browser.register(username, PASSWORD).await;
        assert_eq!(reply.status, StatusCode::SEE_OTHER, "{reply:?}");
        browser = instance.browser();
    }
    let page = browser
        .submit(
            "/register",
            "/register",
            &[
                ("username", "hugo"),
                ("display_name", "Hugo"),
                ("kind", "person"),
                ("password", PASSWORD),
                ("password_confirm", PASSWORD),
            ],
        )
        .await;
    assert!(retry_after(&page) > 0);
    assert!(page.text.contains("Trop d&#39;inscriptions depuis votre adresse. Réessayez dans 6 minutes."), "{page:?}");
    assert!(page.text.contains("value=\"hugo\""), "the form keeps what was typed: {page:?}");
    instance.stop().await;
}

#[tokio::test]
async fn the_api_is_limited_per_address() {
    let instance = TestInstance::start_with(|config| {
        config.limits.api_burst = 5;
        config.limits.api_per_hour = 60;
    })
    .await;
    let api = instance.api();
    let get = |client: &'static str| {
        let api = api.clone();
        async move { api.send(api.request(Method::GET, "/api/v1/categories").header("x-forwarded-for", client)).await }
    };
    for _ in 0..5 {
        let reply = get("198.51.100.20").await;
        assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    }
    let refused = get("198.51.100.20").await;
    refused.assert_error(StatusCode::TOO_MANY_REQUESTS, "too_many_requests");
    // 60 per hour: one more a minute.
    let wait = retry_after(&refused);
    assert!((1..=60).contains(&wait), "{refused:?}");
    assert_eq!(refused.json()["message"], format!("Trop de requêtes depuis votre adresse. Réessayez dans {wait} s."));
    // Every route of the API counts, even an unknown one; the web pages do not.
    let unknown =
        api.send(api.request(Method::GET, "/api/v1/nothing").header("x-forwarded-for", "198.51.100.20")).await;
    assert_eq!(unknown.status, StatusCode::TOO_MANY_REQUESTS, "{unknown:?}");
    let page = instance.browser().get_with("/", forwarded("198.51.100.20")).await;
    assert_eq!(page.status, StatusCode::OK, "{page:?}");
    let other = get("198.51.100.21").await;
    assert_eq!(other.status, StatusCode::OK, "{other:?}");
    instance.stop().await;
}

fn forwarded(client: &'static str) -> reqwest::header::HeaderMap {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert("x-forwarded-for", reqwest::header::HeaderValue::from_static(client));
    headers
}

#[tokio::test]
async fn forwarded_addresses_are_ignored_when_no_proxy_is_trusted() {
    let instance = TestInstance::start_with(|config| {
        config.limits.trusted_proxies = Vec::new();
        config.limits.login_address_burst = 2;
    })
    .await;
    let api = instance.api();
    // Each request claims another address; they all come from 127.0.0.1, and count there.
    for client in ["198.51.100.30", "198.51.100.31"] {
        let reply = api_login(&api, client, "nobody", "guess guess guess").await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{reply:?}");
    }
    let refused = api_login(&api, "198.51.100.32", "nobody", "guess guess guess").await;
    assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS, "{refused:?}");
    let unclaimed = api.post("/api/v1/sessions", &json!({"username": "nobody", "password": "guess"})).await;
    assert_eq!(unclaimed.status, StatusCode::TOO_MANY_REQUESTS, "{unclaimed:?}");
    instance.stop().await;
}

#[tokio::test]
async fn limits_turned_off_let_everything_through() {
    let instance = TestInstance::start_with(|config| {
        config.limits = LimitsConfig {
            enabled: false,
            login_account_burst: 1,
            login_address_burst: 1,
            registration_burst: 1,
            api_burst: 1,
            ..LimitsConfig::default()
        };
    })
    .await;
    instance.create_member("alice", Role::Member).await;
    let api = instance.api();
    for _ in 0..4 {
        let reply = api_login(&api, "198.51.100.40", "alice", "not her password").await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{reply:?}");
    }
    let reply = api_login(&api, "198.51.100.40", "alice", PASSWORD).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{reply:?}");
    for username in ["camille", "dominique"] {
        let reply = api_register(&api, "198.51.100.40", username).await;
        assert_eq!(reply.status, StatusCode::CREATED, "{reply:?}");
    }
    instance.stop().await;
}

/// Many concurrent failed logins (each one an argon2 hash of 19 MiB) all get an answer: 401, or
/// 429 when no hashing thread came free in time; never a 5xx or a dropped connection.
#[tokio::test]
async fn concurrent_failed_logins_all_get_an_answer() {
    let instance = TestInstance::start_with(|config| config.limits.enabled = false).await;
    let api = instance.api();
    let attempts = (0..60).map(|i| {
        let api = api.clone();
        tokio::spawn(async move {
            let body = json!({"username": format!("nobody_{i}"), "password": "guess guess guess"});
            api.send(api.request(Method::POST, "/api/v1/sessions").json(&body)).await
        })
    });
    let mut unauthorized = 0;
    for attempt in attempts {
        let reply = attempt.await.expect("the attempt ran");
        match reply.status {
            StatusCode::UNAUTHORIZED => unauthorized += 1,
            StatusCode::TOO_MANY_REQUESTS => {
                reply.assert_error(StatusCode::TOO_MANY_REQUESTS, "server_busy");
                assert!(retry_after(&reply) > 0);
            }
            other => panic!("unexpected {other}: {reply:?}"),
        }
    }
    assert!(unauthorized > 0, "no attempt was hashed at all");
    // Still serving logins afterwards.
    instance.create_member("alice", Role::Member).await;
    let reply = api.post("/api/v1/sessions", &json!({"username": "alice", "password": PASSWORD})).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{reply:?}");
    instance.stop().await;
}

#[tokio::test]
async fn expired_sessions_are_removed_by_the_upkeep() {
    let instance = TestInstance::start().await;
    let member = instance.create_member("alice", Role::Member).await;
    let now = maillage_server::domain::ids::now_ms();
    sessions::insert(
        &mut instance.db().conn().await.unwrap(),
        &"e".repeat(64),
        &member.id,
        SessionKind::Web,
        now - 10_000,
        now - 1,
    )
    .await
    .unwrap();
    let live = instance.api_token("alice").await;
    let count = |instance: &TestInstance| {
        let pool = instance.db().pool.clone();
        async move {
            sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM sessions WHERE expires_at <= $1")
                .bind(now)
                .fetch_one(&pool)
                .await
                .unwrap()
        }
    };
    assert_eq!(count(&instance).await, 1);

    // The upkeep runs at start-up (then every hour).
    let instance = instance.restart().await;
    let mut remaining = count(&instance).await;
    for _ in 0..100 {
        if remaining == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        remaining = count(&instance).await;
    }
    assert_eq!(remaining, 0, "the expired session is still stored");
    let me = instance.api().token(&live).get("/api/v1/me").await;
    assert_eq!(me.status, StatusCode::OK, "a live session was removed: {me:?}");
    instance.stop().await;
}
