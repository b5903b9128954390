//! Interoperability with bovine (PyPI `bovine`), Helge's Python ActivityPub library, running as a
//! small fediverse server on loopback (`tests/interop/bovine/server.py`, on aiohttp as bovine's own
//! clients are) that signs everything it sends with `bovine.clients.signed_http.SignedHttpClient`,
//! checks every inbox POST and signed GET with bovine's verifier
//! (`bovine.crypto.build_validate_http_signature_raw`), and parses what it verified with
//! `bovine.parse.Activity`.
//!
//! What it shows, with real HTTP both ways:
//! - bovine's signatures are accepted by Maillage: a bovine-signed `Follow` of a member is answered
//!   202 (bovine signs `(request-target) host date digest content-type`, its `Digest` written
//!   `sha-256=` in lower case), a bovine-signed `Accept` (whose `object` is the id of the follow,
//!   not the follow itself) turns a member's follow accepted, and, in authorized-fetch mode, a
//!   bovine-signed GET of a member's actor (over `(request-target) host date accept`) is served;
//! - ours are accepted by bovine: the `Accept` of the follow, the `Create` of a listing, a member's
//!   `Follow`, and the instance actor's signed GETs all verify, and bovine's parser reads the
//!   listing's title, text and link.
//!
//! Needs Python 3.11+ and a virtual environment holding bovine: `bash tests/interop/bovine/install.sh`.
//! Without them the test fails, saying so.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{TestInstance, listing_body};
use maillage_server::config::Config;
use maillage_server::domain::member::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};

/// How long federation may take to do something a user waits for (a delivery goes through Maillage's
/// persistent queue: polled, not pushed).
const FEDERATION_TIMEOUT: Duration = Duration::from_secs(15);

/// How long Python may take to import bovine (pyld, pydantic, aiohttp), make its key and listen.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(60);

/// The command that installs what this test needs.
const INSTALL: &str = "bash tests/interop/bovine/install.sh";

#[tokio::test]
async fn a_bovine_server_follows_a_member_and_verifies_what_maillage_signs() {
    let python = python_or_fail();
    let maillage = TestInstance::start_with(allow_loopback_peers).await;
    let token = maillage.member_with_token("alice", Role::Member).await;
    let bovine = Bovine::start(&python).await;
    let alice = format!("{}members/alice", maillage.public_url());

    // 1. A bovine-signed Follow (rsa-sha256, a lower-case `sha-256=` Digest): Maillage verifies it
    // and takes it.
    let (_, followed) = bovine.post("/_test/follow", json!({ "actor": alice })).await;
    assert_eq!(
        followed["status"],
        202,
        "Maillage did not take bovine's Follow: {followed:#}\n{}",
        bovine.report().await
    );
    let follow_id = followed["id"].as_str().expect("the Follow has an id").to_owned();
    let sent = bovine.sent().await;
    let signature = sent.iter().find_map(|s| s["signature"].as_str()).unwrap_or_default();
    assert!(signature.contains("algorithm=\"rsa-sha256\""), "bovine signs rsa-sha256: {sent:#?}");
    assert!(
        signature.contains("headers=\"(request-target) host date digest content-type\""),
        "what bovine signs on a POST: {sent:#?}"
    );

    // 2. Maillage's Accept arrives, bovine's verifier accepts its signature, and bovine's parser
    // finds in it the Follow it accepts.
    let accept = bovine
        .wait_for("the Accept of its Follow", |r| r["type"] == "Accept" && r["objectId"] == follow_id.as_str())
        .await;
    assert_verified(&accept, &format!("{alice}#main-key"));
    assert_eq!(accept["actor"], alice, "{accept:#}");
    assert_eq!(accept["owner"], alice, "bovine's verifier names the key's owner: {accept:#}");
    let parsed = &accept["parsed"];
    assert!(parsed["error"].is_null(), "bovine could not parse the Accept: {accept:#}");
    assert_eq!(parsed["type"], "Accept", "{accept:#}");
    assert_eq!(parsed["acceptedFollow"], follow_id, "bovine's accept_for_follow: {accept:#}");

    // 3. alice publishes a public listing: its Create arrives and verifies with bovine too, and
    // bovine's parser reads the listing.
    let title = "Escabeau 5 marches à prêter";
    let description = "Un escabeau en aluminium, pliant, pour le week-end.";
    let listing = maillage.listing(&token, listing_body(title, json!({ "description": description }))).await;
    let listing_id = listing["id"].as_str().expect("the listing has an id");
    let create = bovine.wait_for("the Create of the listing", |r| r["type"] == "Create" && r["actor"] == alice).await;
    assert_verified(&create, &format!("{alice}#main-key"));
    assert!(create["objectId"].as_str().is_some_and(|id| id.contains(listing_id)), "another object: {create:#}");
    let parsed = &create["parsed"];
    assert!(parsed["error"].is_null(), "bovine could not parse the Create: {create:#}");
    let object = &parsed["object"];
    assert!(object.is_object(), "bovine's object_for_create found no object: {create:#}");
    report(&format!("bovine parsed the listing as type {} (JSON-LD compacted to about:bovine)", object["type"]));
    assert_eq!(object["id"], create["objectId"], "{create:#}");
    // bovine compacts to its own context (about:bovine), which knows the ActivityStreams terms and
    // not the Valueflows ones: `Proposal` comes out as its full IRI, `Note` as `Note`. So a reader
    // built on bovine that looks for a `Note` finds one.
    let types = object["type"].as_array().cloned().unwrap_or_else(|| vec![object["type"].clone()]);
    assert!(types.iter().any(|t| t == "Note"), "the listing is a Note to bovine too: {create:#}");
    assert!(
        types.iter().any(|t| t == "https://w3id.org/valueflows/ont/vf#Proposal"),
        "the FEP-0837 type as bovine expands it: {create:#}"
    );
    assert_eq!(object["name"], title, "the title bovine reads: {create:#}");
    let content = object["content"].as_str().unwrap_or_default();
    assert!(common::html_text(content).contains(description), "the text bovine reads: {create:#}");
    assert_eq!(object["url"], listing["url"], "the link bovine reads: {create:#}");
    assert_eq!(object["attributedTo"], alice, "{create:#}");

    // Every signed request Maillage made (its fetch of bovine's actor included) verified.
    bovine.assert_all_verified().await;
    bovine.stop();
    maillage.stop().await;
}

#[tokio::test]
async fn a_member_follows_a_bovine_account_and_both_sides_verify() {
    let python = python_or_fail();
    let maillage = TestInstance::start_with(allow_loopback_peers).await;
    let token = maillage.member_with_token("bruno", Role::Member).await;
    let bovine = Bovine::start(&python).await;
    let bruno = format!("{}members/bruno", maillage.public_url());
    let api = maillage.api().token(&token);

    // 4. bruno follows the bovine account by its handle: WebFinger, a signed GET of the actor, a
    // signed Follow; bovine verifies the GET and the Follow.
    let reply = api.post("/api/v1/follows", &json!({ "account": bovine.handle() })).await;
    assert_eq!(reply.status, StatusCode::ACCEPTED, "{reply:?}\n{}", bovine.report().await);
    assert_eq!(reply.json()["actor"], bovine.actor(), "{reply:?}");
    let instance_key = format!("{}actor#main-key", maillage.public_url());
    let fetch = bovine
        .wait_for("Maillage's signed GET of the actor", |r| {
            r["method"] == "GET" && r["path"] == "/users/bovine" && r["keyId"] == instance_key.as_str()
        })
        .await;
    assert_verified(&fetch, &instance_key);
    let follow = bovine.wait_for("bruno's Follow", |r| r["type"] == "Follow" && r["actor"] == bruno).await;
    assert_verified(&follow, &format!("{bruno}#main-key"));
    assert_eq!(follow["objectId"], bovine.actor(), "{follow:#}");
    assert_eq!(follow["parsed"]["type"], "Follow", "what bovine's parser made of it: {follow:#}");
    assert_eq!(follow["parsed"]["objectId"], bovine.actor(), "{follow:#}");

    // The bovine server accepts with a bovine-signed Accept made by bovine's ActivityFactory (its
    // object the Follow's id), which Maillage verifies: the follow turns accepted.
    let accepted = poll(FEDERATION_TIMEOUT, || async {
        let page = api.get("/api/v1/follows").await;
        assert_eq!(page.status, StatusCode::OK, "{page:?}");
        let items = page.json()["items"].as_array().cloned().unwrap_or_default();
        items.into_iter().find(|f| f["actor"] == bovine.actor() && f["state"] == "accepted")
    })
    .await;
    if accepted.is_none() {
        let page = api.get("/api/v1/follows").await;
        panic!("the follow never turned accepted: {page:?}\n{}", bovine.report().await);
    }
    let sent = bovine.sent().await;
    let delivered = sent.iter().find(|s| s["method"] == "POST" && s["url"] == format!("{bruno}/inbox"));
    assert!(delivered.is_some_and(|s| s["status"] == 202), "the Accept was not answered 202: {sent:#?}");

    bovine.assert_all_verified().await;
    bovine.stop();
    maillage.stop().await;
}

#[tokio::test]
async fn under_authorized_fetch_maillage_serves_a_get_signed_by_bovine() {
    let python = python_or_fail();
    let maillage = TestInstance::start_with(|config| {
        allow_loopback_peers(config);
        config.federation.authorized_fetch = true;
    })
    .await;
    maillage.create_member("carla", Role::Member).await;
    let bovine = Bovine::start(&python).await;
    let carla = format!("{}members/carla", maillage.public_url());

    // Unsigned, the actor document is refused: the 200 below is Maillage verifying bovine's signature.
    let unsigned = unsigned_fetch(&carla).await;
    assert_eq!(unsigned, StatusCode::UNAUTHORIZED, "authorized fetch is not on");

    let (_, fetched) = bovine.post("/_test/fetch", json!({ "url": carla })).await;
    assert_eq!(fetched["status"], 200, "Maillage refused bovine's signed GET: {fetched:#}\n{}", bovine.report().await);
    let document: Value = serde_json::from_str(fetched["body"].as_str().unwrap_or_default())
        .unwrap_or_else(|e| panic!("not JSON ({e}): {fetched:#}"));
    assert_eq!(document["id"], carla, "{document:#}");
    let sent = bovine.sent().await;
    let signature = sent.iter().find_map(|s| s["signature"].as_str()).unwrap_or_default();
    assert!(
        signature.contains("headers=\"(request-target) host date accept\""),
        "what bovine signs on a GET: {sent:#?}"
    );

    // Maillage fetched bovine's actor to check the signature, with a GET bovine verified.
    let instance_key = format!("{}actor#main-key", maillage.public_url());
    let fetch = bovine
        .wait_for("Maillage's signed GET of the actor", |r| r["method"] == "GET" && r["keyId"] == instance_key.as_str())
        .await;
    assert_verified(&fetch, &instance_key);
    bovine.assert_all_verified().await;
    bovine.stop();
    maillage.stop().await;
}

/// Lets this instance federate with a peer on loopback over plain http (the bovine server).
fn allow_loopback_peers(config: &mut Config) {
    config.federation.insecure_local_federation = true;
}

/// Asserts that bovine verified `request`, signed `rsa-sha256` with the key `key_id`.
#[track_caller]
fn assert_verified(request: &Value, key_id: &str) {
    assert_eq!(request["verified"], true, "bovine refused Maillage's signature: {request:#}");
    assert_eq!(request["algorithm"], "rsa-sha256", "{request:#}");
    assert_eq!(request["keyId"], key_id, "{request:#}");
    if request["method"] == "POST" {
        assert_eq!(request["status"], 202, "{request:#}");
    }
}

/// The Python of the virtual environment holding bovine; fails with the install command when it is
/// missing (never skips: a test that cannot run must not look like one that passed).
fn python_or_fail() -> PathBuf {
    let dir = bovine_dir();
    let python = dir.join(".venv/bin/python");
    let missing = if !python.is_file() {
        format!("no Python virtual environment at {}", dir.join(".venv").display())
    } else if !dir.join(".venv/requirements.installed").is_file() {
        format!("bovine is not installed in {}", dir.join(".venv").display())
    } else {
        return python;
    };
    panic!(
        "the bovine interoperability test cannot run: {missing}. Install Python 3.11+ with venv, then bovine: `{INSTALL}`"
    );
}

fn bovine_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/interop/bovine")
}

/// The status of an unsigned GET of `url` that asks for ActivityPub JSON.
async fn unsigned_fetch(url: &str) -> StatusCode {
    let request = reqwest::Client::new().get(url).header(reqwest::header::ACCEPT, "application/activity+json");
    request.send().await.expect("GET of the actor").status()
}

/// The bovine server: a Python child process, killed when this is dropped (also when the test
/// panics, in which case the end of its log is printed).
struct Bovine {
    child: Child,
    origin: String,
    log: Arc<Mutex<Vec<String>>>,
    client: reqwest::Client,
}

/// The bovine account's username.
const BOVINE_USER: &str = "bovine";

impl Bovine {
    async fn start(python: &Path) -> Self {
        let mut child = Command::new(python)
            .arg("-u")
            .arg("server.py")
            .arg("0")
            .arg(BOVINE_USER)
            .current_dir(bovine_dir())
            .env("PYTHONDONTWRITEBYTECODE", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("starting {}: {e}; install with `{INSTALL}`", python.display()));
        let log = Arc::new(Mutex::new(Vec::new()));
        let (ready_tx, ready_rx) = tokio::sync::oneshot::channel();
        collect_lines(child.stdout.take().expect("piped stdout"), &log, Some(ready_tx));
        collect_lines(child.stderr.take().expect("piped stderr"), &log, None);
        let mut bovine = Self { child, origin: String::new(), log, client: reqwest::Client::new() };
        match tokio::time::timeout(STARTUP_TIMEOUT, ready_rx).await {
            Ok(Ok(origin)) => bovine.origin = origin,
            Ok(Err(_)) => panic!("the bovine server stopped before it was ready:\n{}", bovine.log_tail(100)),
            Err(_) => panic!("the bovine server was not ready after {STARTUP_TIMEOUT:?}:\n{}", bovine.log_tail(100)),
        }
        bovine
    }

    /// `bovine@localhost:PORT`.
    fn handle(&self) -> String {
        format!("{BOVINE_USER}@{}", self.origin.trim_start_matches("http://"))
    }

    /// The account's actor id.
    fn actor(&self) -> String {
        format!("{}/users/{BOVINE_USER}", self.origin)
    }

    async fn get(&self, path: &str) -> Value {
        let response = self.client.get(format!("{}{path}", self.origin)).send().await.expect("bovine control API");
        response.json().await.expect("the control API answers JSON")
    }

    async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        let response =
            self.client.post(format!("{}{path}", self.origin)).json(&body).send().await.expect("bovine control API");
        (response.status(), response.json().await.expect("the control API answers JSON"))
    }

    /// Every inbox POST and signed GET the server received, with bovine's verdict (and, for a
    /// verified POST, what bovine's parser made of it).
    async fn received(&self) -> Vec<Value> {
        self.get("/_test/received").await["items"].as_array().cloned().unwrap_or_default()
    }

    /// Every signed request the server made, with the answer.
    async fn sent(&self) -> Vec<Value> {
        self.get("/_test/sent").await["items"].as_array().cloned().unwrap_or_default()
    }

    /// The first received request that `matches`, waiting for it; fails with what the server saw.
    async fn wait_for(&self, what: &str, matches: impl Fn(&Value) -> bool) -> Value {
        let found = poll(FEDERATION_TIMEOUT, || async { self.received().await.into_iter().find(|r| matches(r)) }).await;
        match found {
            Some(request) => request,
            None => panic!("the bovine server never received {what}\n{}", self.report().await),
        }
    }

    /// Asserts that bovine verified every signed request it received, and that there was one.
    async fn assert_all_verified(&self) {
        let received = self.received().await;
        let refused: Vec<&Value> = received.iter().filter(|r| r["verified"] != true).collect();
        assert!(refused.is_empty(), "bovine refused some of Maillage's signatures: {refused:#?}");
        assert!(!received.is_empty(), "the bovine server received nothing signed");
        let seen: Vec<String> = received
            .iter()
            .map(|r| {
                let text = |key: &str| r[key].as_str().unwrap_or("-").to_owned();
                format!("{} {} {} ({})", text("method"), text("type"), text("path"), text("signedHeaders"))
            })
            .collect();
        report(&format!("bovine verified {} signed requests: {}", received.len(), seen.join("; ")));
        let contexts = self.get("/_test/contexts").await;
        report(&format!("JSON-LD contexts bovine asked for and was given empty (offline): {}", contexts["stubbed"]));
    }

    /// Everything the bovine server saw and did, for failure messages.
    async fn report(&self) -> String {
        format!("--- bovine received:\n{:#?}\n--- bovine sent:\n{:#?}\n", self.received().await, self.sent().await)
    }

    fn log_tail(&self, lines: usize) -> String {
        let log = self.log.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        log[log.len().saturating_sub(lines)..].join("\n")
    }

    fn stop(self) {
        drop(self);
    }
}

impl Drop for Bovine {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            eprintln!("--- the end of the bovine server's log:\n{}", self.log_tail(150));
        }
    }
}

/// A finding worth seeing in every run, written straight to the terminal (the test harness hides
/// what `println!` prints in a passing test).
fn report(line: &str) {
    let _ = writeln!(std::io::stderr(), "interop_bovine: {line}");
}

/// Reads `stream` line by line into `log` on a thread of its own; the first `ready ORIGIN` line is
/// sent to `ready`.
fn collect_lines(
    stream: impl Read + Send + 'static,
    log: &Arc<Mutex<Vec<String>>>,
    mut ready: Option<tokio::sync::oneshot::Sender<String>>,
) {
    let log = Arc::clone(log);
    std::thread::spawn(move || {
        for line in BufReader::new(stream).lines() {
            let Ok(line) = line else { break };
            if let Some(origin) = line.strip_prefix("ready ")
                && let Some(ready) = ready.take()
            {
                let _ = ready.send(origin.trim().to_owned());
            }
            log.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push(line);
        }
    });
}

/// Calls `check` every 100 ms until it gives something or `timeout` has passed.
async fn poll<T, F, Fut>(timeout: Duration, check: F) -> Option<T>
where
    F: Fn() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if let Some(found) = check().await {
            return Some(found);
        }
        if tokio::time::Instant::now() >= deadline {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
