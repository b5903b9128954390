//! Bounded password hashing, over real HTTP: concurrent failed logins all get an answer.

mod common;

use common::{PASSWORD, TestInstance};
use maillage_server::domain::member::Role;
use reqwest::{Method, StatusCode};
use serde_json::json;

/// The `Retry-After` header of a 429, in seconds.
#[track_caller]
fn retry_after(reply: &common::Reply) -> u64 {
    assert_eq!(reply.status, StatusCode::TOO_MANY_REQUESTS, "{reply:?}");
    reply
        .header("retry-after")
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no Retry-After in seconds: {reply:?}"))
}

/// Many concurrent failed logins (each one an argon2 hash of 19 MiB) all get an answer: 401, or
/// 429 when no hashing thread came free in time; never a 5xx or a dropped connection.
#[tokio::test]
async fn concurrent_failed_logins_all_get_an_answer() {
    let instance = TestInstance::start().await;
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
