//! A sender killed with SIGKILL in the middle of its deliveries, then restarted: every listing that
//! was committed reaches the peer, and each activity counts once there.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

mod common;

use std::time::{Duration, Instant};

use common::process::ServeProcess;
use common::{TestInstance, listing_body};
use maillage_server::config::PeeringPolicy;
use maillage_server::domain::member::Role;
use reqwest::StatusCode;
use serde_json::json;

/// How many listings are published before the kill.
const LISTINGS: usize = 60;

async fn peer_titles(instance: &TestInstance) -> Vec<String> {
    let mut titles = instance.api().titles(&[("scope", "peers"), ("per_page", "100")]).await;
    titles.sort();
    titles
}

#[tokio::test]
async fn a_sender_killed_mid_delivery_loses_nothing_and_doubles_nothing() {
    let receiver = TestInstance::start_with(|config| {
        config.federation.insecure_local_federation = true;
        config.federation.policy = PeeringPolicy::Open;
    })
    .await;
    let receiver_admin = receiver.member_with_token("admin_b", Role::Admin).await;
    let mut sender = ServeProcess::new().await;
    sender.create_member("admin_a", true);
    sender.create_member("alice", false);
    sender.start().await;
    let client = reqwest::Client::new();
    let admin = sender.token("admin_a").await;
    let reply = client
        .post(sender.url("/api/v1/admin/peers"))
        .bearer_auth(&admin)
        .json(&json!({"domain": receiver.config.domain}))
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), StatusCode::ACCEPTED);
    let peer_path = format!("/api/v1/admin/peers/{}", sender.domain());
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let reply = receiver.api().token(&receiver_admin).get(&peer_path).await;
        if reply.status == StatusCode::OK && reply.json()["state"] == "peered" {
            break;
        }
        assert!(Instant::now() < deadline, "never peered: {reply:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // Publish, and kill the sender while its queue is still draining.
    let alice = sender.token("alice").await;
    let mut expected = Vec::new();
    for n in 0..LISTINGS {
        let title = format!("Annonce numéro {n:03}");
        let reply = client
            .post(sender.url("/api/v1/listings"))
            .bearer_auth(&alice)
            .json(&listing_body(&title, json!({})))
            .send()
            .await
            .unwrap();
        assert_eq!(reply.status(), StatusCode::CREATED);
        expected.push(title);
    }
    sender.kill();
    let before_restart = peer_titles(&receiver).await.len();
    assert!(before_restart < LISTINGS, "everything was delivered before the kill: the test proves nothing");

    // Restarted on the same data: the rest arrives, each once.
    sender.start().await;
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let titles = peer_titles(&receiver).await;
        if titles == expected {
            break;
        }
        assert!(Instant::now() < deadline, "{} of {LISTINGS} arrived: {titles:?}", titles.len());
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // Once each: the receiver applied exactly one Create per listing (re-sent ones are recognised
    // by their activity id), plus the sender's Follow and its Accept of the receiver's Follow.
    let prefix = format!("http://{}/activities/%", sender.domain());
    let received: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM received_activities WHERE id LIKE $1")
        .bind(&prefix)
        .fetch_one(&receiver.db().pool)
        .await
        .unwrap();
    assert_eq!(received, LISTINGS as i64 + 2, "activities applied on the receiver");
    println!("delivered before the kill: {before_restart} of {LISTINGS}");
    receiver.stop().await;
}
