//! Interoperability of our HTTP signatures with apsig (PyPI `apsig`), the Python library of
//! draft-cavage signatures that Python fediverse software builds on, running as a small fediverse
//! server on loopback (`tests/interop/apsig/server.py`) that signs with `apsig.draft.sign.Signer`
//! and checks every inbox POST and signed GET with `apsig.draft.verify.Verifier`.
//!
//! What it shows, with real HTTP both ways:
//! - apsig's signatures are accepted by Maillage: an apsig-signed `Follow` of a member is answered
//!   202, an apsig-signed `Accept` of a member's follow turns it accepted, and, in authorized-fetch
//!   mode, an apsig-signed GET of a member's actor is served;
//! - ours are accepted by apsig, which takes `rsa-sha256` only (it refused our `hs2019` for every
//!   delivery): the `Accept` of the follow, the `Create` of a listing, a member's `Follow`, and the
//!   instance actor's signed GETs all verify.
//!
//! Needs Python 3.10+ and a virtual environment holding apsig: `bash tests/interop/apsig/install.sh`.
//! Without them the test fails, saying so.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

mod common;

use common::python_peer::{
    FEDERATION_TIMEOUT, Library, PythonPeer, allow_loopback_peers, assert_verified, poll, unsigned_fetch,
};
use common::{TestInstance, listing_body};
use maillage_server::domain::member::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};

/// The library this file federates with.
const APSIG: Library = Library { name: "apsig", python: "3.10+" };

#[tokio::test]
async fn an_apsig_server_follows_a_member_and_verifies_what_maillage_signs() {
    let maillage = TestInstance::start_with(allow_loopback_peers).await;
    let token = maillage.member_with_token("alice", Role::Member).await;
    let apsig = PythonPeer::start(APSIG).await;
    let alice = format!("{}members/alice", maillage.public_url());

    // 1. An apsig-signed Follow (rsa-sha256): Maillage verifies it and takes it.
    let (_, followed) = apsig.post("/_test/follow", json!({ "actor": alice })).await;
    assert_eq!(followed["status"], 202, "Maillage did not take apsig's Follow: {followed:#}\n{}", apsig.report().await);
    let follow_id = followed["id"].as_str().expect("the Follow has an id").to_owned();
    let sent = apsig.sent().await;
    let signature = sent.iter().find_map(|s| s["signature"].as_str()).unwrap_or_default();
    assert!(signature.contains("algorithm=\"rsa-sha256\""), "apsig signs rsa-sha256: {sent:#?}");

    // 2. Maillage's Accept arrives, and apsig's Verifier accepts its signature.
    let accept = apsig
        .wait_for("the Accept of its Follow", |r| r["type"] == "Accept" && r["objectId"] == follow_id.as_str())
        .await;
    assert_verified("apsig", &accept, &format!("{alice}#main-key"));
    assert_eq!(accept["actor"], alice, "{accept:#}");

    // 3. alice publishes a public listing: its Create arrives and verifies with apsig too.
    let title = "Escabeau 5 marches à prêter";
    let listing = maillage.listing(&token, listing_body(title, json!({}))).await;
    let listing_id = listing["id"].as_str().expect("the listing has an id");
    let create = apsig.wait_for("the Create of the listing", |r| r["type"] == "Create" && r["actor"] == alice).await;
    assert_verified("apsig", &create, &format!("{alice}#main-key"));
    assert!(create["objectId"].as_str().is_some_and(|id| id.contains(listing_id)), "another object: {create:#}");
    assert_eq!(create["object"]["name"], title, "{create:#}");

    // Every signed request Maillage made (its fetch of apsig's actor included) verified.
    apsig.assert_all_verified().await;
    apsig.stop();
    maillage.stop().await;
}

#[tokio::test]
async fn a_member_follows_an_apsig_account_and_both_sides_verify() {
    let maillage = TestInstance::start_with(allow_loopback_peers).await;
    let token = maillage.member_with_token("bruno", Role::Member).await;
    let apsig = PythonPeer::start(APSIG).await;
    let bruno = format!("{}members/bruno", maillage.public_url());
    let api = maillage.api().token(&token);

    // 4. bruno follows the apsig account by its handle: WebFinger, a signed GET of the actor, a
    // signed Follow; apsig verifies the GET and the Follow.
    let reply = api.post("/api/v1/follows", &json!({ "account": apsig.handle() })).await;
    assert_eq!(reply.status, StatusCode::ACCEPTED, "{reply:?}\n{}", apsig.report().await);
    assert_eq!(reply.json()["actor"], apsig.actor(), "{reply:?}");
    let instance_key = format!("{}actor#main-key", maillage.public_url());
    let fetch = apsig
        .wait_for("Maillage's signed GET of the actor", |r| {
            r["method"] == "GET" && r["path"] == "/users/apsig" && r["keyId"] == instance_key.as_str()
        })
        .await;
    assert_verified("apsig", &fetch, &instance_key);
    let follow = apsig.wait_for("bruno's Follow", |r| r["type"] == "Follow" && r["actor"] == bruno).await;
    assert_verified("apsig", &follow, &format!("{bruno}#main-key"));
    assert_eq!(follow["objectId"], apsig.actor(), "{follow:#}");

    // apsig's server accepts with an apsig-signed Accept, which Maillage verifies: the follow turns
    // accepted.
    let accepted = poll(FEDERATION_TIMEOUT, || async {
        let page = api.get("/api/v1/follows").await;
        assert_eq!(page.status, StatusCode::OK, "{page:?}");
        let items = page.json()["items"].as_array().cloned().unwrap_or_default();
        items.into_iter().find(|f| f["actor"] == apsig.actor() && f["state"] == "accepted")
    })
    .await;
    if accepted.is_none() {
        let page = api.get("/api/v1/follows").await;
        panic!("the follow never turned accepted: {page:?}\n{}", apsig.report().await);
    }
    let inbox = format!("{bruno}/inbox");
    let delivered = apsig.wait_for_sent("the Accept", |s| s["method"] == "POST" && s["url"] == inbox.as_str()).await;
    assert_eq!(delivered["status"], 202, "the Accept was not answered 202: {delivered:#}");

    apsig.assert_all_verified().await;
    apsig.stop();
    maillage.stop().await;
}

#[tokio::test]
async fn under_authorized_fetch_maillage_serves_a_get_signed_by_apsig() {
    let maillage = TestInstance::start_with(|config| {
        allow_loopback_peers(config);
        config.federation.authorized_fetch = true;
    })
    .await;
    maillage.create_member("carla", Role::Member).await;
    let apsig = PythonPeer::start(APSIG).await;
    let carla = format!("{}members/carla", maillage.public_url());

    // Unsigned, the actor document is refused: the 200 below is Maillage verifying apsig's signature.
    let unsigned = unsigned_fetch(&carla).await;
    assert_eq!(unsigned, StatusCode::UNAUTHORIZED, "authorized fetch is not on");

    let (_, fetched) = apsig.post("/_test/fetch", json!({ "url": carla })).await;
    assert_eq!(fetched["status"], 200, "Maillage refused apsig's signed GET: {fetched:#}\n{}", apsig.report().await);
    let document: Value = serde_json::from_str(fetched["body"].as_str().unwrap_or_default())
        .unwrap_or_else(|e| panic!("not JSON ({e}): {fetched:#}"));
    assert_eq!(document["id"], carla, "{document:#}");

    // Maillage fetched apsig's actor to check the signature, with a GET apsig verified.
    apsig.assert_all_verified().await;
    apsig.stop();
    maillage.stop().await;
}
