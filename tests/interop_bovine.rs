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

use common::python_peer::{
    FEDERATION_TIMEOUT, Library, PythonPeer, allow_loopback_peers, assert_verified, poll, unsigned_fetch,
};
use common::{TestInstance, listing_body};
use maillage_server::domain::member::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};

/// The library this file federates with.
const BOVINE: Library = Library { name: "bovine", python: "3.11+" };

#[tokio::test]
async fn a_bovine_server_follows_a_member_and_verifies_what_maillage_signs() {
    let maillage = TestInstance::start_with(allow_loopback_peers).await;
    let token = maillage.member_with_token("alice", Role::Member).await;
    let bovine = PythonPeer::start(BOVINE).await;
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
    assert_verified("bovine", &accept, &format!("{alice}#main-key"));
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
    assert_verified("bovine", &create, &format!("{alice}#main-key"));
    assert!(create["objectId"].as_str().is_some_and(|id| id.contains(listing_id)), "another object: {create:#}");
    let parsed = &create["parsed"];
    assert!(parsed["error"].is_null(), "bovine could not parse the Create: {create:#}");
    let object = &parsed["object"];
    assert!(object.is_object(), "bovine's object_for_create found no object: {create:#}");
    bovine.say(&format!("bovine parsed the listing as type {} (JSON-LD compacted to about:bovine)", object["type"]));
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
    assert_all_verified(&bovine).await;
    bovine.stop();
    maillage.stop().await;
}

#[tokio::test]
async fn a_member_follows_a_bovine_account_and_both_sides_verify() {
    let maillage = TestInstance::start_with(allow_loopback_peers).await;
    let token = maillage.member_with_token("bruno", Role::Member).await;
    let bovine = PythonPeer::start(BOVINE).await;
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
    assert_verified("bovine", &fetch, &instance_key);
    let follow = bovine.wait_for("bruno's Follow", |r| r["type"] == "Follow" && r["actor"] == bruno).await;
    assert_verified("bovine", &follow, &format!("{bruno}#main-key"));
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
    let inbox = format!("{bruno}/inbox");
    let delivered = bovine.wait_for_sent("the Accept", |s| s["method"] == "POST" && s["url"] == inbox.as_str()).await;
    assert_eq!(delivered["status"], 202, "the Accept was not answered 202: {delivered:#}");

    assert_all_verified(&bovine).await;
    bovine.stop();
    maillage.stop().await;
}

#[tokio::test]
async fn under_authorized_fetch_maillage_serves_a_get_signed_by_bovine() {
    let maillage = TestInstance::start_with(|config| {
        allow_loopback_peers(config);
        config.federation.authorized_fetch = true;
    })
    .await;
    maillage.create_member("carla", Role::Member).await;
    let bovine = PythonPeer::start(BOVINE).await;
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
    assert_verified("bovine", &fetch, &instance_key);
    assert_all_verified(&bovine).await;
    bovine.stop();
    maillage.stop().await;
}

/// Asserts that bovine verified every signed request it received, and says which JSON-LD contexts it
/// asked for (given empty: the server is offline).
async fn assert_all_verified(bovine: &PythonPeer) {
    bovine.assert_all_verified().await;
    let contexts = bovine.get("/_test/contexts").await;
    bovine.say(&format!("JSON-LD contexts bovine asked for and was given empty (offline): {}", contexts["stubbed"]));
}
