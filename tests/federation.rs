//! Federation end to end: real instances on loopback peer with each other, exchange listings,
//! survive a peer that goes down, and refuse what they must refuse. Each test starts its own
//! instances (SQLite files, or fresh PostgreSQL databases with `MAILLAGE_TEST_DATABASE_URL`).

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

mod common;

use std::time::Duration;

use common::fed::{
    Tripwire, domain, eventually, httpdate, instance, open_instance, peer, peer_state, peer_titles, peered_pair,
    request_peering, sha256_base64,
};
use common::{TestInstance, listing_body, titles};
use maillage_server::config::PeeringPolicy;
use maillage_server::domain::member::Role;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

#[tokio::test]
async fn open_peering_lets_listings_flow_both_ways_and_follows_their_changes() {
    let (a, _admin_a, b, _admin_b) = peered_pair().await;
    let alice = a.member_with_token("alice", Role::Member).await;
    let bruno = b.member_with_token("bruno", Role::Member).await;

    // Created on A: shows in B's catalogue, labelled with A, linking to A's page.
    let listing = a.listing(&alice, listing_body("Vélo cargo à prêter", json!({"description": "Biporteur"}))).await;
    eventually("the listing reaches B", || async { peer_titles(&b).await == ["Vélo cargo à prêter"] }).await;
    let found = b.api().search(&[("q", "velo"), ("scope", "peers")]).await.json();
    let item = &found["items"][0];
    assert_eq!(item["origin"]["instance"], domain(&a), "{item}");
    assert_eq!(item["origin"]["url"], listing["url"], "{item}");
    assert_eq!(item["description"], "Biporteur", "{item}");
    assert_eq!(item["author"]["username"], format!("alice@{}", domain(&a)), "{item}");
    // Search, filters and sorts treat it as any listing.
    assert_eq!(b.api().titles(&[("q", "cargo"), ("mode", "lend")]).await, ["Vélo cargo à prêter"]);
    assert!(b.api().titles(&[("q", "cargo"), ("mode", "give")]).await.is_empty());
    assert!(b.api().titles(&[("q", "cargo"), ("scope", "local")]).await.is_empty());
    let near = b.api().titles(&[("near", "50.6,3.0"), ("radius_km", "20"), ("sort", "nearest")]).await;
    assert_eq!(near, ["Vélo cargo à prêter"]);

    // And the other way.
    b.listing(&bruno, listing_body("Cherche palettes", json!({"purpose": "request"}))).await;
    eventually("B's listing reaches A", || async { peer_titles(&a).await == ["Cherche palettes"] }).await;

    // Edited on A: updated on B.
    let path = format!("/api/v1/listings/{}", listing["id"].as_str().unwrap());
    let reply = a.api().token(&alice).patch(&path, &json!({"title": "Vélo cargo (révisé)"})).await;
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    eventually("the edit reaches B", || async { peer_titles(&b).await == ["Vélo cargo (révisé)"] }).await;

    // Closed on A: gone from B. Deleted on A: gone too.
    let reply = a.api().token(&alice).patch(&path, &json!({"status": "closed"})).await;
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    eventually("the closing reaches B", || async { peer_titles(&b).await.is_empty() }).await;
    let other = a.listing(&alice, listing_body("Perceuse", json!({}))).await;
    eventually("the drill reaches B", || async { peer_titles(&b).await == ["Perceuse"] }).await;
    let reply = a.api().token(&alice).delete(&format!("/api/v1/listings/{}", other["id"].as_str().unwrap())).await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT, "{reply:?}");
    eventually("the deletion reaches B", || async { peer_titles(&b).await.is_empty() }).await;

    // A listing for this instance only never leaves it.
    a.listing(&alice, listing_body("Réservé aux membres", json!({"visibility": "instance"}))).await;
    a.listing(&alice, listing_body("Public aussi", json!({}))).await;
    eventually("the public one arrives", || async { peer_titles(&b).await == ["Public aussi"] }).await;
    a.stop().await;
    b.stop().await;
}

#[tokio::test]
async fn approval_waits_for_an_admin_then_backfills_what_was_published_before() {
    let a = open_instance().await;
    let b = instance(PeeringPolicy::Approval, Vec::new()).await;
    let admin_a = a.member_with_token("admin_a", Role::Admin).await;
    let admin_b = b.member_with_token("admin_b", Role::Admin).await;
    let alice = a.member_with_token("alice", Role::Member).await;
    let bruno = b.member_with_token("bruno", Role::Member).await;
    a.listing(&alice, listing_body("Escabeau publié avant", json!({}))).await;
    a.listing(&alice, listing_body("Pour les partenaires seulement", json!({"visibility": "peers"}))).await;
    a.listing(&alice, listing_body("Pour les membres de A seulement", json!({"visibility": "instance"}))).await;
    b.listing(&bruno, listing_body("Remorque publiée avant", json!({}))).await;

    let requested = request_peering(&a, &admin_a, &b).await;
    assert_eq!(requested["state"], "requested", "{requested}");
    let (da, db) = (domain(&a), domain(&b));
    eventually("B sees a request waiting", || async { peer_state(&b, &admin_b, &da).await == "pending_approval" })
        .await;
    assert_eq!(peer_state(&a, &admin_a, &db).await, "requested");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(peer_titles(&b).await.is_empty(), "nothing flows before the approval");

    // Only an admin may accept.
    let reply = b.api().token(&bruno).post(&format!("/api/v1/admin/peers/{da}/accept"), &json!({})).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN, "{reply:?}");
    let reply = b.api().token(&admin_b).post(&format!("/api/v1/admin/peers/{da}/accept"), &json!({})).await;
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    eventually("both peered", || async {
        peer_state(&a, &admin_a, &db).await == "peered" && peer_state(&b, &admin_b, &da).await == "peered"
    })
    .await;
    eventually("backfill both ways", || async {
        peer_titles(&b).await == ["Escabeau publié avant"] && peer_titles(&a).await == ["Remorque publiée avant"]
    })
    .await;
    // The listing for partners came too (A's outbox shows it to B's signed fetch): B's members see
    // it, B's visitors do not; the one for A's members only stayed home.
    eventually("the partners' listing is backfilled", || async {
        let mut seen = b.api().token(&bruno).titles(&[("scope", "peers")]).await;
        seen.sort();
        seen == ["Escabeau publié avant", "Pour les partenaires seulement"]
    })
    .await;
    let listed = b.api().token(&admin_b).get("/api/v1/admin/peers").await.json();
    assert_eq!(listed["items"][0]["domain"], da, "{listed}");
    assert_eq!(listed["items"][0]["listings"], 2, "{listed}");
    // Anyone else reading A's outbox sees public listings only.
    let outbox: Value = reqwest::Client::new()
        .get(a.url("/actor/outbox?page=1"))
        .header("accept", "application/activity+json")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let names: Vec<&str> =
        outbox["orderedItems"].as_array().unwrap().iter().map(|i| i["object"]["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["Escabeau publié avant"], "{outbox}");
    a.stop().await;
    b.stop().await;
}

#[tokio::test]
async fn the_allowlist_accepts_listed_domains_and_refuses_the_others() {
    let a = open_instance().await;
    let c = open_instance().await;
    let b = instance(PeeringPolicy::Allowlist, vec![domain(&a)]).await;
    let admin_a = a.member_with_token("admin_a", Role::Admin).await;
    let admin_c = c.member_with_token("admin_c", Role::Admin).await;
    let admin_b = b.member_with_token("admin_b", Role::Admin).await;
    let db = domain(&b);

    request_peering(&a, &admin_a, &b).await;
    eventually("A, on the list, is peered", || async { peer_state(&a, &admin_a, &db).await == "peered" }).await;
    request_peering(&c, &admin_c, &b).await;
    eventually("C, not on the list, is refused", || async { peer_state(&c, &admin_c, &db).await == "refused" }).await;
    assert_eq!(peer_state(&b, &admin_b, &domain(&c)).await, "refused");
    a.stop().await;
    b.stop().await;
    c.stop().await;
}

#[tokio::test]
async fn unpeering_stops_the_flow_and_removes_the_listings_on_both_sides() {
    let (a, admin_a, b, admin_b) = peered_pair().await;
    let alice = a.member_with_token("alice", Role::Member).await;
    let bruno = b.member_with_token("bruno", Role::Member).await;
    a.listing(&alice, listing_body("Annonce de A", json!({}))).await;
    b.listing(&bruno, listing_body("Annonce de B", json!({}))).await;
    eventually("exchanged", || async {
        peer_titles(&b).await == ["Annonce de A"] && peer_titles(&a).await == ["Annonce de B"]
    })
    .await;
    let before = a.api().get("/api/v1/listings?scope=peers").await.json()["items"][0]["url"].clone();

    let reply = a.api().token(&admin_a).delete(&format!("/api/v1/admin/peers/{}", domain(&b))).await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT, "{reply:?}");
    assert!(peer_titles(&a).await.is_empty(), "B's listings leave A's catalogue at once");
    eventually("A's listings leave B's catalogue", || async { peer_titles(&b).await.is_empty() }).await;
    eventually("B no longer counts A as a peer", || async { peer_state(&b, &admin_b, &domain(&a)).await != "peered" })
        .await;
    a.listing(&alice, listing_body("Après la séparation", json!({}))).await;
    b.listing(&bruno, listing_body("Après la séparation aussi", json!({}))).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(peer_titles(&b).await.is_empty() && peer_titles(&a).await.is_empty(), "nothing flows any more");

    // Peering again brings B's listings back at the same addresses: shared links keep working.
    request_peering(&a, &admin_a, &b).await;
    eventually("B's listings are back on A", || async { peer_titles(&a).await.len() == 2 }).await;
    let urls: Vec<Value> = a.api().get("/api/v1/listings?scope=peers").await.json()["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["url"].clone())
        .collect();
    assert!(urls.contains(&before), "{before} is not among {urls:?}");
    a.stop().await;
    b.stop().await;
}

#[tokio::test]
async fn a_blocked_domain_is_refused_and_sent_nothing() {
    let (a, admin_a, b, admin_b) = peered_pair().await;
    let alice = a.member_with_token("alice", Role::Member).await;
    let bruno = b.member_with_token("bruno", Role::Member).await;
    a.listing(&alice, listing_body("Avant le blocage", json!({}))).await;
    eventually("delivered", || async { peer_titles(&b).await == ["Avant le blocage"] }).await;

    let da = domain(&a);
    let reply = b.api().token(&admin_b).post(&format!("/api/v1/admin/peers/{da}/block"), &json!({})).await;
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    assert_eq!(reply.json()["state"], "blocked");
    assert!(peer_titles(&b).await.is_empty(), "its listings are gone");

    // What A sends now is refused with 403: the delivery is dropped by A, nothing reaches B.
    a.listing(&alice, listing_body("Après le blocage", json!({}))).await;
    b.listing(&bruno, listing_body("De B après le blocage", json!({}))).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(peer_titles(&b).await.is_empty());
    assert!(!peer_titles(&a).await.contains(&"De B après le blocage".to_owned()), "B sends nothing to A");
    // A was told, once, before the block: it no longer counts B as a peer nor shows B's listings.
    eventually("A knows the peering is over", || async { peer_state(&a, &admin_a, &domain(&b)).await != "peered" })
        .await;
    // Asking to peer with a blocked domain is refused until it is unblocked.
    let reply = b.api().token(&admin_b).post("/api/v1/admin/peers", &json!({"domain": da})).await;
    reply.assert_error(StatusCode::CONFLICT, "blocked");
    // Unblocked and asked again: both sides are peered again and listings flow both ways.
    let reply = b.api().token(&admin_b).post(&format!("/api/v1/admin/peers/{da}/unblock"), &json!({})).await;
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    request_peering(&b, &admin_b, &a).await;
    eventually("peered again on both sides", || async {
        peer_state(&a, &admin_a, &domain(&b)).await == "peered" && peer_state(&b, &admin_b, &da).await == "peered"
    })
    .await;
    a.listing(&alice, listing_body("Après la réconciliation", json!({}))).await;
    eventually("A's listings reach B again", || async {
        peer_titles(&b).await.contains(&"Après la réconciliation".to_owned())
    })
    .await;
    eventually("B's listings reach A again", || async {
        peer_titles(&a).await.contains(&"De B après le blocage".to_owned())
    })
    .await;
    a.stop().await;
    b.stop().await;
}

#[tokio::test]
async fn a_peer_that_is_down_gets_what_it_missed_when_it_comes_back() {
    let (a, admin_a, b, admin_b) = peered_pair().await;
    let alice = a.member_with_token("alice", Role::Member).await;
    let db = domain(&b);

    let paused = b.pause().await;
    a.listing(&alice, listing_body("Publiée pendant la panne", json!({}))).await;
    eventually("A records the failure", || async {
        let p = peer(&a, &admin_a, &db).await;
        p["delivery"]["failures"].as_i64().unwrap_or(0) >= 1 && p["delivery"]["queued"] == 1
    })
    .await;
    let status = peer(&a, &admin_a, &db).await;
    assert!(status["delivery"]["last_error"].is_string(), "{status}");
    assert!(status["delivery"]["next_attempt_at"].is_string(), "{status}");

    let b = paused.resume().await;
    // The backoff is short after one or two failures; an admin can also ask for a retry at once.
    let reply = a.api().token(&admin_a).post(&format!("/api/v1/admin/peers/{db}/retry"), &json!({})).await;
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    eventually("the listing reaches B once it is back", || async {
        peer_titles(&b).await == ["Publiée pendant la panne"]
    })
    .await;
    eventually("the queue is empty and the failure forgotten", || async {
        let p = peer(&a, &admin_a, &db).await;
        p["delivery"]["queued"] == 0 && p["delivery"]["failures"] == 0 && p["delivery"]["last_success_at"].is_string()
    })
    .await;
    let _ = admin_b;
    a.stop().await;
    b.stop().await;
}

#[tokio::test]
async fn a_member_follows_a_member_of_an_instance_that_is_not_a_peer() {
    let a = open_instance().await;
    let c = instance(PeeringPolicy::Approval, Vec::new()).await;
    let alice = a.member_with_token("alice", Role::Member).await;
    let carla = c.member_with_token("carla", Role::Member).await;

    let reply =
        c.api().token(&carla).post("/api/v1/follows", &json!({"account": format!("alice@{}", domain(&a))})).await;
    assert_eq!(reply.status, StatusCode::ACCEPTED, "{reply:?}");
    assert_eq!(reply.json()["state"], "requested");
    eventually("alice accepted carla", || async {
        let follows = c.api().token(&carla).get("/api/v1/follows").await.json();
        follows["items"][0]["state"] == "accepted"
    })
    .await;
    // Following again asks nothing more: the follow stays accepted.
    let again =
        c.api().token(&carla).post("/api/v1/follows", &json!({"account": format!("alice@{}", domain(&a))})).await;
    assert_eq!(again.json()["state"], "accepted", "{again:?}");
    a.listing(&alice, listing_body("Scie sauteuse", json!({}))).await;
    eventually("alice's new listing reaches C", || async { peer_titles(&c).await == ["Scie sauteuse"] }).await;

    // Its page on C says carla follows alice, and offers another member of C to follow her too.
    let on_c = c.api().get("/api/v1/listings?scope=peers").await.json();
    let listing_page = format!("/listings/{}", on_c["items"][0]["id"].as_str().unwrap());
    let mut carla_browser = c.browser();
    carla_browser.login_ok("carla").await;
    let page = carla_browser.get(&listing_page).await;
    assert!(page.text.contains("vous suivez ses annonces") && !page.text.contains("Suivre ses annonces"), "{page:?}");
    let cyril = c.member_with_token("cyril", Role::Member).await;
    let mut cyril_browser = c.browser();
    cyril_browser.login_ok("cyril").await;
    let handle = format!("alice@{}", domain(&a));
    let page = cyril_browser.get(&listing_page).await;
    assert!(page.text.contains("Suivre ses annonces") && page.text.contains(&handle), "{page:?}");
    let reply = cyril_browser.submit(&listing_page, "/follows", &[("account", &handle)]).await;
    assert!(reply.status.is_redirection(), "{reply:?}");
    let follows = c.api().token(&cyril).get("/api/v1/follows").await.json();
    assert_eq!(follows["items"][0]["account"], handle, "{follows:#}");
    assert!(!c.browser().get(&listing_page).await.text.contains("Suivre ses annonces"), "visitors see no button");

    // An address typed with capitals (a phone keyboard's first letter) finds the same account.
    let dora = c.member_with_token("dora", Role::Member).await;
    let shouted = format!("@Alice@{}", domain(&a).to_uppercase());
    let reply = c.api().token(&dora).post("/api/v1/follows", &json!({ "account": shouted })).await;
    assert_eq!(reply.status, StatusCode::ACCEPTED, "{reply:?}");
    assert_eq!(reply.json()["account"], handle, "the account as its server spells it");

    // Bad accounts are named, and so is an account the other instance does not have.
    let reply = c.api().token(&carla).post("/api/v1/follows", &json!({"account": "not an account"})).await;
    reply.assert_field_error("account");
    let nobody = json!({"account": format!("personne@{}", domain(&a))});
    let reply = c.api().token(&carla).post("/api/v1/follows", &nobody).await;
    reply.assert_field_error("account");
    let reply =
        c.api().token(&carla).post("/api/v1/follows", &json!({"account": format!("carla@{}", domain(&c))})).await;
    reply.assert_field_error("account");

    // Unfollowing stops the flow.
    let account = format!("alice@{}", domain(&a));
    let reply = c.api().token(&carla).delete(&format!("/api/v1/follows/{account}")).await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT, "{reply:?}");
    assert!(c.api().token(&carla).get("/api/v1/follows").await.json()["items"].as_array().unwrap().is_empty());
    a.stop().await;
    c.stop().await;
}

#[tokio::test]
async fn actors_webfinger_and_nodeinfo_are_served_to_other_servers() {
    let a = open_instance().await;
    a.member_with_token("alice", Role::Member).await;
    let client = reqwest::Client::new();
    let base = a.url("");
    let d = domain(&a);

    let actor =
        client.get(format!("{base}/members/alice")).header("accept", "application/activity+json").send().await.unwrap();
    assert_eq!(actor.headers()["content-type"], "application/activity+json");
    let actor: Value = actor.json().await.unwrap();
    assert_eq!(actor["type"], "Person");
    assert_eq!(actor["id"], format!("http://{d}/members/alice"));
    assert_eq!(actor["inbox"], format!("http://{d}/members/alice/inbox"));
    assert_eq!(actor["endpoints"]["sharedInbox"], format!("http://{d}/inbox"));
    assert!(actor["publicKey"]["publicKeyPem"].as_str().unwrap().starts_with("-----BEGIN PUBLIC KEY-----"));
    // The same URL is a page for browsers.
    let page = client.get(format!("{base}/members/alice")).header("accept", "text/html").send().await.unwrap();
    assert!(page.headers()["content-type"].to_str().unwrap().starts_with("text/html"));

    let instance: Value = client
        .get(format!("{base}/actor"))
        .header("accept", "application/activity+json")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(instance["type"], "Application");
    assert_eq!(instance["preferredUsername"], d);

    for (resource, href) in [
        (format!("acct:alice@{d}"), format!("http://{d}/members/alice")),
        (format!("acct:{d}@{d}"), format!("http://{d}/actor")),
    ] {
        let jrd: Value = client
            .get(format!("{base}/.well-known/webfinger?resource={resource}"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let link = jrd["links"].as_array().unwrap().iter().find(|l| l["rel"] == "self").unwrap();
        assert_eq!(link["href"], href, "{jrd}");
    }
    let missing = client.get(format!("{base}/.well-known/webfinger?resource=acct:nobody@{d}")).send().await.unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);

    let discovery: Value =
        client.get(format!("{base}/.well-known/nodeinfo")).send().await.unwrap().json().await.unwrap();
    let href = discovery["links"][0]["href"].as_str().unwrap().to_owned();
    let nodeinfo: Value =
        client.get(href.replace(&format!("http://{d}"), &base)).send().await.unwrap().json().await.unwrap();
    assert_eq!(nodeinfo["software"]["name"], "maillage");
    assert_eq!(nodeinfo["protocols"], json!(["activitypub"]));
    assert_eq!(nodeinfo["usage"]["users"]["total"], 1);
    assert_eq!(nodeinfo["metadata"]["nodeName"], "Maillage");
    a.stop().await;
}

#[tokio::test]
async fn the_inbox_refuses_unsigned_badly_signed_malformed_and_oversized_requests() {
    let (a, _admin_a, b, _admin_b) = peered_pair().await;
    a.member_with_token("alice", Role::Member).await;
    let d = domain(&a);
    let activity = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("http://{d}/activities/forged"),
        "type": "Delete",
        "actor": format!("http://{d}/members/alice"),
        "object": format!("http://{d}/listings/0123456789abcdef0123456789abcdef"),
    });
    let body = serde_json::to_vec(&activity).unwrap();
    let api = b.api();
    let post = |headers: Vec<(&'static str, String)>, body: Vec<u8>| {
        let mut builder = api.request(Method::POST, "/inbox").header("content-type", "application/activity+json");
        for (name, value) in headers {
            builder = builder.header(name, value);
        }
        api.send(builder.body(body))
    };

    // Unsigned.
    let reply = post(vec![], body.clone()).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{reply:?}");
    // A signature that does not verify (the key is alice's, the bytes are not hers).
    let date = httpdate(std::time::SystemTime::now());
    let digest = format!("SHA-256={}", sha256_base64(&body));
    let forged = format!(
        "keyId=\"http://{d}/members/alice#main-key\",algorithm=\"rsa-sha256\",headers=\"(request-target) host date digest\",signature=\"{}\"",
        "QUJD".repeat(86)
    );
    let signed_headers = vec![("date", date.clone()), ("digest", digest.clone()), ("signature", forged.clone())];
    let reply = post(signed_headers, body.clone()).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{reply:?}");
    // A Digest that does not match the body.
    let reply = post(
        vec![("date", date.clone()), ("digest", "SHA-256=AAAA".into()), ("signature", forged.clone())],
        body.clone(),
    )
    .await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{reply:?}");
    // Not JSON at all.
    let reply = post(
        vec![("date", date.clone()), ("digest", digest.clone()), ("signature", forged.clone())],
        b"{not json".to_vec(),
    )
    .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{reply:?}");
    // Oversized.
    let huge = vec![b' '; 2 * 1024 * 1024];
    let reply = post(vec![("date", date), ("digest", digest), ("signature", forged)], huge).await;
    assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE, "{reply:?}");
    // None of it was a 500, and the server still answers.
    assert_eq!(b.api().get("/api/v1/listings").await.status, StatusCode::OK);
    a.stop().await;
    b.stop().await;
}

#[tokio::test]
async fn duplicated_and_replayed_activities_count_once() {
    let (a, _admin_a, b, _admin_b) = peered_pair().await;
    let alice = a.member_with_token("alice", Role::Member).await;
    let listing = a.listing(&alice, listing_body("Tondeuse", json!({}))).await;
    eventually("delivered", || async { peer_titles(&b).await == ["Tondeuse"] }).await;

    // The Create, as A sent it, is queued again twice (a sender that retries after a crash would).
    let urls = a.server.state.services.urls();
    let id = maillage_server::domain::ids::ListingId::parse(listing["id"].as_str().unwrap()).unwrap();
    let stored =
        maillage_server::storage::listings::by_id(&mut a.db().conn().await.unwrap(), &id).await.unwrap().unwrap();
    let create = maillage_federation::activities::write_listing(
        urls,
        "create-once",
        &maillage_server::services::federation::outbound::proposal(urls, &stored),
        false,
    );
    let create = create.to_string();
    queue_again(&a, "again-1", &create, &domain(&b)).await;
    queue_again(&a, "again-2", &create, &domain(&b)).await;
    eventually("A's queue is empty", || async {
        maillage_server::storage::outbox::queued(&mut a.db().conn().await.unwrap()).await.unwrap() == 0
    })
    .await;
    assert_eq!(peer_titles(&b).await, ["Tondeuse"], "still one listing");
    // Then the listing is deleted on A, and the old Create replayed once more after the Delete.
    let path = format!("/api/v1/listings/{}", listing["id"].as_str().unwrap());
    assert_eq!(a.api().token(&alice).delete(&path).await.status, StatusCode::NO_CONTENT);
    eventually("the deletion reaches B", || async { peer_titles(&b).await.is_empty() }).await;
    queue_again(&a, "again-3", &create, &domain(&b)).await;
    eventually("A's queue is empty", || async {
        maillage_server::storage::outbox::queued(&mut a.db().conn().await.unwrap()).await.unwrap() == 0
    })
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(peer_titles(&b).await.is_empty(), "a replayed Create does not bring a deleted listing back");
    let _ = titles;
    a.stop().await;
    b.stop().await;
}

/// Queues `activity` (JSON text) on `from` for the shared inbox of `to_domain`, signed by alice.
async fn queue_again(from: &TestInstance, key: &str, activity: &str, to_domain: &str) {
    let mut conn = from.db().pool.acquire().await.unwrap();
    let now = maillage_server::domain::ids::now_ms();
    let inbox = (format!("http://{to_domain}/inbox"), to_domain.to_owned());
    maillage_server::storage::outbox::enqueue(&mut conn, key, "alice", activity, &[inbox], now).await.unwrap();
    from.server.state.services.wake();
}

#[tokio::test]
async fn admins_peer_from_the_web_page_and_members_follow_from_theirs() {
    let a = open_instance().await;
    let b = instance(PeeringPolicy::Approval, Vec::new()).await;
    let camille_token = a.member_with_token("camille", Role::Admin).await;
    b.create_member("yasmine", Role::Admin).await;
    b.create_member("lea", Role::Member).await;
    let (da, db) = (domain(&a), domain(&b));

    let mut camille = a.browser();
    camille.login_ok("camille").await;
    // A mistyped domain is named, and what was typed is kept.
    let reply = camille.submit("/admin/peers", "/admin/peers", &[("domain", "pas un domaine")]).await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{reply:?}");
    assert!(reply.text.contains("Indiquez un nom de domaine") && reply.text.contains("pas un domaine"), "{reply:?}");
    let reply = camille.submit("/admin/peers", "/admin/peers", &[("domain", &db)]).await;
    let page = camille.follow(&reply).await;
    assert!(page.text.contains(&db) && page.text.contains("demande envoyée"), "{page:?}");

    // On B, the request waits on the admin page; accepting it there peers both.
    let mut yasmine = b.browser();
    yasmine.login_ok("yasmine").await;
    eventually("the request shows on B's page", || {
        let (mut browser, da) = (yasmine.clone(), da.clone());
        async move {
            let page = browser.get("/admin/peers").await.text;
            page.contains(&da) && page.contains("demande reçue, à valider")
        }
    })
    .await;
    let reply = yasmine.post(&format!("/admin/peers/{da}/accept"), &[]).await;
    assert!(reply.status.is_redirection(), "{reply:?}");
    eventually("peered, as A's page says", || {
        let mut browser = camille.clone();
        async move { browser.get("/admin/peers").await.text.contains("appairée") }
    })
    .await;

    // A partner's listing reaches B through the peering: its page offers no follow (nothing to add).
    a.listing(&camille_token, listing_body("Tondeuse à prêter", json!({}))).await;
    eventually("camille's listing reaches B", || async { peer_titles(&b).await == ["Tondeuse à prêter"] }).await;
    let on_b = b.api().get("/api/v1/listings?scope=peers").await.json();
    let listing_page = format!("/listings/{}", on_b["items"][0]["id"].as_str().unwrap());
    let mut lea = b.browser();
    lea.login_ok("lea").await;
    let page = lea.get(&listing_page).await;
    assert!(page.status.is_success() && !page.text.contains("Suivre ses annonces"), "{page:?}");

    // A member of B follows camille from the follows page.
    let handle = format!("camille@{da}");
    let reply = lea.submit("/follows", "/follows", &[("account", &handle)]).await;
    let page = lea.follow(&reply).await;
    let text = common::html_text(&page.text);
    assert!(text.contains(&handle) && text.contains("Demande d'abonnement envoyée"), "{page:?}");
    let reply = lea.submit("/follows", "/follows", &[("account", "camille")]).await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{reply:?}");
    assert!(reply.text.contains("nom@domaine"), "{reply:?}");

    // Ending the peering asks first, naming the partner; the confirmed form ends it on both sides.
    let confirm = camille.get(&format!("/admin/peers/{db}/unpeer")).await;
    assert_eq!(confirm.status, StatusCode::OK, "{confirm:?}");
    let text = common::html_text(&confirm.text);
    assert!(text.contains(&format!("Mettre fin au partenariat avec Maillage ({db}) ?")), "{confirm:?}");
    assert!(peer(&a, &camille_token, &db).await["state"] == "peered", "asking changes nothing");
    let reply = camille.post(&format!("/admin/peers/{db}/unpeer"), &[]).await;
    assert!(reply.status.is_redirection(), "{reply:?}");
    assert_ne!(peer(&a, &camille_token, &db).await["state"], "peered");
    // What has ended cannot be ended again; it can be asked for again.
    let page = camille.get("/admin/peers").await;
    assert!(page.text.contains("Demander à nouveau") && !page.text.contains("Mettre fin"), "{page:?}");
    // Members cannot see that page.
    let refused = lea.get(&format!("/admin/peers/{da}/block")).await;
    assert!(refused.status == StatusCode::FORBIDDEN || refused.status == StatusCode::NOT_FOUND, "{refused:?}");
    a.stop().await;
    b.stop().await;
}

#[tokio::test]
async fn authorized_fetch_serves_documents_to_signed_requests_only() {
    let a = open_instance().await;
    let b = TestInstance::start_with(|config| {
        config.federation.insecure_local_federation = true;
        config.federation.policy = PeeringPolicy::Open;
        config.federation.authorized_fetch = true;
    })
    .await;
    let admin_a = a.member_with_token("admin_a", Role::Admin).await;
    let admin_b = b.member_with_token("admin_b", Role::Admin).await;
    let bruno = b.member_with_token("bruno", Role::Member).await;
    let client = reqwest::Client::new();
    let ask = |path: &str| client.get(b.url(path)).header("accept", "application/activity+json").send();
    // Unsigned: refused, for actors and collections; the instance actor and WebFinger stay public.
    assert_eq!(ask("/members/bruno").await.unwrap().status(), StatusCode::UNAUTHORIZED);
    assert_eq!(ask("/actor/outbox").await.unwrap().status(), StatusCode::UNAUTHORIZED);
    assert_eq!(ask("/actor").await.unwrap().status(), StatusCode::OK);
    let webfinger = format!("/.well-known/webfinger?resource=acct:bruno@{}", domain(&b));
    assert_eq!(client.get(b.url(&webfinger)).send().await.unwrap().status(), StatusCode::OK);
    // People still see the pages.
    assert_eq!(client.get(b.url("/members/bruno")).send().await.unwrap().status(), StatusCode::OK);

    // A signs its fetches: peering, backfill and delivery work.
    b.listing(&bruno, listing_body("Publiée sous authorized fetch", json!({}))).await;
    request_peering(&a, &admin_a, &b).await;
    eventually("peered and backfilled", || async {
        peer_state(&a, &admin_a, &domain(&b)).await == "peered"
            && peer_titles(&a).await == ["Publiée sous authorized fetch"]
    })
    .await;
    let _ = admin_b;
    a.stop().await;
    b.stop().await;
}

#[tokio::test]
async fn in_production_mode_no_request_reaches_a_loopback_or_private_address() {
    // A listener on loopback counts every connection made to it: none may be, in production.
    let tripwire = Tripwire::start().await;
    let port = tripwire.port;
    let production = TestInstance::start_with(|config| config.federation.policy = PeeringPolicy::Open).await;
    let admin = production.member_with_token("admin", Role::Admin).await;
    let member = production.member_with_token("member", Role::Member).await;
    let hosts = [
        format!("127.0.0.1:{port}"),
        format!("127.1:{port}"),
        format!("2130706433:{port}"),
        format!("0x7f000001:{port}"),
        format!("0177.0.0.1:{port}"),
        format!("0.0.0.0:{port}"),
        format!("[::1]:{port}"),
        format!("[::ffff:127.0.0.1]:{port}"),
        // A name, but with a port, which production does not federate with.
        format!("localhost:{port}"),
    ];
    for host in &hosts {
        let reply = production.api().token(&admin).post("/api/v1/admin/peers", &json!({ "domain": host })).await;
        reply.assert_field_error("domain");
        let account = format!("x@{host}");
        let reply = production.api().token(&member).post("/api/v1/follows", &json!({ "account": account })).await;
        reply.assert_field_error("account");
    }
    // Junk is refused the same way, before any lookup.
    let huge = "a".repeat(100 * 1024);
    for junk in ["http://", "https://", "a@b@c", "coop.fr/inbox", huge.as_str()] {
        let reply = production.api().token(&admin).post("/api/v1/admin/peers", &json!({ "domain": junk })).await;
        reply.assert_field_error("domain");
        let account = format!("x@{junk}");
        let reply = production.api().token(&member).post("/api/v1/follows", &json!({ "account": account })).await;
        reply.assert_field_error("account");
    }
    let reply = production.api().token(&member).post("/api/v1/follows", &json!({ "account": "a@b@c" })).await;
    reply.assert_field_error("account");
    // A name that resolves to loopback is refused by the resolver, before any connection too.
    let reply = production.api().token(&admin).post("/api/v1/admin/peers", &json!({ "domain": "localhost" })).await;
    reply.assert_error(StatusCode::BAD_GATEWAY, "remote_unreachable");
    assert_eq!(tripwire.connections(), 0, "a request in production mode reached a loopback address");

    // The tripwire does see connections: in insecure local mode the same follow is attempted.
    let local = open_instance().await;
    let local_member = local.member_with_token("local", Role::Member).await;
    let account = format!("x@localhost:{port}");
    let reply = local.api().token(&local_member).post("/api/v1/follows", &json!({ "account": account })).await;
    reply.assert_error(StatusCode::BAD_GATEWAY, "remote_unreachable");
    assert!(tripwire.connections() > 0, "the tripwire saw nothing: it proves nothing");
    local.stop().await;
    production.stop().await;
}

#[tokio::test]
async fn a_member_who_follows_another_instance_receives_its_new_listings() {
    let a = open_instance().await;
    let c = instance(PeeringPolicy::Approval, Vec::new()).await;
    let alice = a.member_with_token("alice", Role::Member).await;
    let carla = c.member_with_token("carla", Role::Member).await;
    let da = domain(&a);

    // The instance's own account, acct:DOMAIN@DOMAIN, as a fediverse account would follow it.
    let reply = c.api().token(&carla).post("/api/v1/follows", &json!({"account": format!("{da}@{da}")})).await;
    assert_eq!(reply.status, StatusCode::ACCEPTED, "{reply:?}");
    eventually("the instance accepted", || async {
        c.api().token(&carla).get("/api/v1/follows").await.json()["items"][0]["state"] == "accepted"
    })
    .await;
    a.listing(&alice, listing_body("Nouvelle de A", json!({}))).await;
    eventually("A's new listing reaches C", || async { peer_titles(&c).await == ["Nouvelle de A"] }).await;
    // Following an instance is not peering: nothing was asked of C's admins.
    let admin_c = c.member_with_token("admin_c", Role::Admin).await;
    assert_eq!(peer_state(&c, &admin_c, &da).await, "unknown");
    a.stop().await;
    c.stop().await;
}

#[tokio::test]
async fn prices_per_unit_prix_libre_and_prix_solidaire_read_the_same_on_both_instances() {
    let (a, _admin_a, b, _admin_b) = peered_pair().await;
    let alice = a.member_with_token("alice", Role::Member).await;
    let potatoes = json!({"mode": "sell", "category": "food-groceries", "quantity": 400, "unit": "kg",
        "price_kind": "fixed", "price_cents": 150, "price_basis": "per_unit"});
    a.listing(&alice, listing_body("Pommes de terre en vrac", potatoes)).await;
    let baskets = json!({"mode": "sell", "category": "food-groceries", "quantity": 25, "unit": "basket",
        "price_kind": "solidarity", "price_cents": 1200, "reduced_price_cents": 600, "price_basis": "per_unit"});
    a.listing(&alice, listing_body("Paniers de légumes", baskets)).await;
    let repair = json!({"mode": "service", "quantity": 1, "unit": "hour", "price_kind": "pay_what_you_can",
        "price_cents": 1000});
    a.listing(&alice, listing_body("Révision de vélo", repair)).await;
    eventually("the three listings reach B", || async { peer_titles(&b).await.len() == 3 }).await;

    let prices = |page: Value| -> Vec<Value> {
        let mut items: Vec<Value> = page["items"].as_array().unwrap().clone();
        items.sort_by_key(|i| i["title"].as_str().unwrap_or_default().to_owned());
        items
            .iter()
            .map(|i| {
                json!([
                    i["title"],
                    i["quantity"],
                    i["unit"],
                    i["price_kind"],
                    i["price_cents"],
                    i["reduced_price_cents"],
                    i["price_basis"]
                ])
            })
            .collect()
    };
    let on_a = prices(a.api().search(&[("scope", "local")]).await.json());
    let on_b = prices(b.api().search(&[("scope", "peers")]).await.json());
    assert_eq!(on_b, on_a, "B reads A's prices as A has them");
    assert_eq!(
        on_b,
        [
            json!(["Paniers de légumes", 25.0, "basket", "solidarity", 1200, 600, "per_unit"]),
            json!(["Pommes de terre en vrac", 400.0, "kg", "fixed", 150, null, "per_unit"]),
            json!(["Révision de vélo", 1.0, "hour", "pay_what_you_can", 1000, null, "total"]),
        ]
    );

    // And B's pages say them the way a member reads them.
    let found = b.api().search(&[("scope", "peers"), ("q", "pommes")]).await.json();
    let page = b.browser().get(found["items"][0]["url"].as_str().unwrap()).await;
    // Amounts and their units are kept on one line with no-break spaces.
    let text = |html: &str| common::html_text(html).replace('\u{a0}', " ");
    assert!(text(&page.text).contains("1,50 € le kg"), "{}", page.text);
    let found = b.api().search(&[("scope", "peers"), ("q", "paniers")]).await.json();
    let page = b.browser().get_in(found["items"][0]["url"].as_str().unwrap(), "en").await;
    assert!(text(&page.text).contains("€12 per basket · solidarity price €6"), "{}", page.text);
    let catalogue = b.browser().get("/catalogue?scope=peers&q=revision").await;
    assert!(text(&catalogue.text).contains("Prix libre (conseillé : 10 €)"), "{}", catalogue.text);
    a.stop().await;
    b.stop().await;
}
