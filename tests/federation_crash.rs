//! A sender killed with SIGKILL in the middle of its deliveries, then restarted: every listing that
//! was committed reaches the peer, and each activity counts once there.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

mod common;

use std::io::Write;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{PASSWORD, PgDatabase, TempDir, TestInstance, listing_body};
use maillage_server::config::PeeringPolicy;
use maillage_server::domain::member::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};

/// How many listings are published before the kill.
const LISTINGS: usize = 60;

/// `maillage serve` as a separate process, with its data directory and database.
struct Sender {
    dir: TempDir,
    pg: Option<PgDatabase>,
    port: u16,
    child: Option<Child>,
}

impl Sender {
    async fn new() -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        Self { dir: TempDir::new("maillage-crash"), pg: PgDatabase::from_env().await, port, child: None }
    }

    fn domain(&self) -> String {
        format!("localhost:{}", self.port)
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_maillage"));
        command
            .args(args)
            .env_clear()
            .env("MAILLAGE_DATA_DIR", self.dir.path())
            .env("MAILLAGE_LOG", "warn")
            .env("MAILLAGE_BIND", format!("127.0.0.1:{}", self.port))
            .env("MAILLAGE_DOMAIN", self.domain())
            .env("MAILLAGE_FEDERATION_POLICY", "open")
            .env("MAILLAGE_INSECURE_LOCAL_FEDERATION", "true");
        if let Some(pg) = &self.pg {
            command.env("MAILLAGE_DATABASE_URL", &pg.url);
        }
        command
    }

    fn create_member(&self, username: &str, admin: bool) {
        let mut args = vec!["admin", "create-member", username, "--password-stdin"];
        if admin {
            args.push("--admin");
        }
        let mut child = self.command(&args).stdin(Stdio::piped()).stdout(Stdio::null()).spawn().unwrap();
        child.stdin.take().unwrap().write_all(PASSWORD.as_bytes()).unwrap();
        assert!(child.wait().unwrap().success(), "creating {username}");
    }

    async fn start(&mut self) {
        self.child = Some(self.command(&["serve"]).stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap());
        let deadline = Instant::now() + Duration::from_secs(30);
        while reqwest::get(self.url("/api/v1/categories")).await.is_err() {
            assert!(Instant::now() < deadline, "maillage serve did not answer");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    fn kill(&mut self) {
        let mut child = self.child.take().unwrap();
        child.kill().unwrap(); // SIGKILL: no shutdown, no flushing
        child.wait().unwrap();
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    async fn token(&self, username: &str) -> String {
        let reply: Value = reqwest::Client::new()
            .post(self.url("/api/v1/sessions"))
            .json(&json!({"username": username, "password": PASSWORD}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        reply["token"].as_str().unwrap().to_owned()
    }
}

impl Drop for Sender {
    fn drop(&mut self) {
        if let Some(child) = self.child.as_mut() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

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
    let mut sender = Sender::new().await;
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
