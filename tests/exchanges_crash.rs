//! An instance killed with SIGKILL in the middle of an exchange, then restarted on the same data: what
//! it had committed — the proposal, the moves, the messages — reaches the other instance, each once.
//! The killed instance (a `maillage serve` process) is the guest of one exchange and the host of
//! another; the other instance runs in the test.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

mod common;

use std::time::{Duration, Instant};

use common::process::ServeProcess;
use common::{TestInstance, day, listing_body};
use maillage_server::config::PeeringPolicy;
use maillage_server::domain::member::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};

/// Messages sent just before the kill.
const MESSAGES: usize = 25;

async fn call(process: &ServeProcess, token: &str, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
    let client = reqwest::Client::new();
    let mut request = client.request(method, process.url(path)).bearer_auth(token);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let reply = request.send().await.unwrap();
    assert!(reply.status().is_success(), "{path}: {}", reply.status());
    reply.json().await.unwrap_or(Value::Null)
}

/// Waits until `check` holds, up to a minute (a restarted instance retries with backoff).
async fn until<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + Duration::from_secs(60);
    while !check().await {
        assert!(Instant::now() < deadline, "timed out: {what}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Waits until `look` finds something, up to a minute, and returns it.
async fn found<F, Fut>(what: &str, mut look: F) -> String
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<String>>,
{
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(value) = look().await.filter(|v| !v.is_empty()) {
            return value;
        }
        assert!(Instant::now() < deadline, "timed out: {what}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// The member's only exchange on the test's instance, and its messages.
async fn on_instance(instance: &TestInstance, token: &str) -> (Value, Vec<String>) {
    let items = instance.api().token(token).get("/api/v1/exchanges").await.json()["items"].clone();
    let Some(exchange) = items.as_array().and_then(|a| a.first()).cloned() else { return (Value::Null, Vec::new()) };
    let path = format!("/api/v1/exchanges/{}/messages", exchange["id"].as_str().unwrap());
    let entries = instance.api().token(token).get(&path).await.json()["items"].clone();
    let messages = entries
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "message")
        .map(|e| e["body"].as_str().unwrap().to_owned())
        .collect();
    (exchange, messages)
}

#[tokio::test]
async fn an_instance_killed_mid_exchange_loses_nothing_and_doubles_nothing() {
    let other = TestInstance::start_with(|config| {
        config.federation.insecure_local_federation = true;
        config.federation.policy = PeeringPolicy::Open;
    })
    .await;
    let other_admin = other.member_with_token("admin_b", Role::Admin).await;
    let alice = other.member_with_token("alice", Role::Member).await;
    let mut killed = ServeProcess::new().await;
    for (name, admin) in [("admin_a", true), ("bruno", false), ("carla", false)] {
        killed.create_member(name, admin);
    }
    killed.start().await;
    let admin = killed.token("admin_a").await;
    call(&killed, &admin, reqwest::Method::POST, "/api/v1/admin/peers", Some(json!({"domain": other.config.domain})))
        .await;
    let peer_path = format!("/api/v1/admin/peers/{}", killed.domain());
    until("peered", || async { other.api().token(&other_admin).get(&peer_path).await.json()["state"] == "peered" })
        .await;

    // 1. The killed instance is the guest: Bruno borrows Alice's drill and writes, then SIGKILL.
    other.listing(&alice, listing_body("Perceuse", json!({"mode": "lend"}))).await;
    let bruno = killed.token("bruno").await;
    let listing_here = found("the drill reaches the killed instance", || async {
        let page =
            reqwest::get(killed.url("/api/v1/listings?scope=peers")).await.unwrap().json::<Value>().await.unwrap();
        page["items"][0]["id"].as_str().map(str::to_owned)
    })
    .await;
    let body = json!({"listing_id": listing_here, "terms": {"from": day(2), "until": day(5)}, "message": "Bonjour"});
    let started = call(&killed, &bruno, reqwest::Method::POST, "/api/v1/exchanges", Some(body)).await;
    let exchange = started["id"].as_str().unwrap().to_owned();
    let mut expected = vec!["Bonjour".to_owned()];
    for n in 0..MESSAGES {
        let text = format!("message {n:02}");
        let path = format!("/api/v1/exchanges/{exchange}/messages");
        call(&killed, &bruno, reqwest::Method::POST, &path, Some(json!({"body": text}))).await;
        expected.push(text);
    }
    killed.kill();
    let (_, arrived) = on_instance(&other, &alice).await;
    println!("messages that arrived before the kill: {} of {}", arrived.len(), expected.len());
    killed.start().await;
    until("the proposal and every message reach the host, once each", || async {
        let (exchange, messages) = on_instance(&other, &alice).await;
        exchange["state"] == "proposed" && exchange["version"] == 1 && messages == expected
    })
    .await;

    // 2. The killed instance is the host: Alice proposes on Carla's repair; Carla accepts, marks it
    // done and writes, then SIGKILL.
    let carla = killed.token("carla").await;
    let repair = json!({"title": "Réglage de freins", "purpose": "offer", "mode": "service", "category": "bikes-repair",
        "unit": "session", "description": "", "price_cents": null});
    call(&killed, &carla, reqwest::Method::POST, "/api/v1/listings", Some(repair)).await;
    let on_other = found("the repair reaches the other instance", || async {
        let page = other.api().search(&[("scope", "peers"), ("q", "freins")]).await.json();
        page["items"][0]["id"].as_str().map(str::to_owned)
    })
    .await;
    let body = json!({"listing_id": on_other, "terms": {"from": day(3), "at": "10:00"}});
    assert_eq!(other.api().token(&alice).post("/api/v1/exchanges", &body).await.status, StatusCode::CREATED);
    let hosted = found("the booking reaches Carla", || async {
        let mine = call(&killed, &carla, reqwest::Method::GET, "/api/v1/exchanges", None).await;
        mine["items"][0]["id"].as_str().map(str::to_owned)
    })
    .await;
    for name in ["accept", "done"] {
        call(&killed, &carla, reqwest::Method::POST, &format!("/api/v1/exchanges/{hosted}/{name}"), Some(json!({})))
            .await;
    }
    let mut expected = Vec::new();
    for n in 0..MESSAGES {
        let text = format!("réponse {n:02}");
        let path = format!("/api/v1/exchanges/{hosted}/messages");
        call(&killed, &carla, reqwest::Method::POST, &path, Some(json!({"body": text}))).await;
        expected.push(text);
    }
    killed.kill();
    killed.start().await;
    until("the moves and the messages reach the guest, once each", || async {
        let items = other.api().token(&alice).get("/api/v1/exchanges").await.json()["items"].clone();
        let Some(booking) = items.as_array().unwrap().iter().find(|e| e["mode"] == "service").cloned() else {
            return false;
        };
        let path = format!("/api/v1/exchanges/{}/messages", booking["id"].as_str().unwrap());
        let entries = other.api().token(&alice).get(&path).await.json()["items"].clone();
        let messages: Vec<String> = entries
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["kind"] == "message")
            .map(|e| e["body"].as_str().unwrap().to_owned())
            .collect();
        let moves = entries.as_array().unwrap().iter().filter(|e| e["kind"] != "message").count();
        booking["state"] == "done" && booking["version"] == 3 && messages == expected && moves == 3
    })
    .await;
    other.stop().await;
}
