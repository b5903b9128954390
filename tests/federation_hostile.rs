//! What a hostile or broken peer tries, over real HTTP against real instances: signatures that do
//! not mean what they say, links that would run script, a follower that would stall a partner's
//! deliveries, an activity that fails for ever, an actor rewriting another's listing, a listing made
//! private that stays public elsewhere, a peer that comes back while its deliveries wait. Signed
//! requests come from a stand-in server of the test, or are signed with a member's own key.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

mod common;

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use common::fed::{
    Signing, StandIn, domain, eventually, httpdate, open_instance, peer, peer_titles, peered_pair, queued,
};
use common::{TestInstance, listing_body};
use maillage_server::domain::member::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};

/// A FEP-0837 proposal of `author` (on `origin`, `http://host:port`), as a peer would send it.
fn proposal(id: &str, author: &str, name: &str, url: Option<&str>) -> Value {
    let mut proposal = json!({
        "type": ["Proposal", "Note"],
        "id": id,
        "attributedTo": author,
        "purpose": "offer",
        "name": name,
        "content": format!("<p>{name}</p>"),
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
        "publishes": {
            "type": "Intent",
            "id": format!("{id}#primary"),
            "action": "transferCustody",
            "resourceConformsTo": "urn:maillage:category:objects-tools",
            "resourceQuantity": {"hasUnit": "one", "hasNumericalValue": "1"},
        },
        "maillage:mode": "lend",
    });
    if let Some(url) = url {
        proposal["url"] = json!(url);
    }
    proposal
}

fn activity(kind: &str, id: &str, actor: &str, object: Value) -> Value {
    json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "type": kind,
        "id": id,
        "actor": actor,
        "object": object,
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
    })
}

/// A member of `instance` with a key pair already made (so that tests can sign as them).
async fn member_with_key(instance: &TestInstance, username: &str) -> String {
    let token = instance.member_with_token(username, Role::Member).await;
    maillage_server::services::federation::actors::member_actor(&instance.server.state.services, username)
        .await
        .unwrap()
        .unwrap();
    token
}

#[tokio::test]
async fn a_signature_must_be_dated_now_for_this_server_and_cover_the_body() {
    let (a, _admin_a, b, _admin_b) = peered_pair().await;
    member_with_key(&a, "alice").await;
    let alice = format!("{}members/alice", a.public_url());
    let inbox = format!("{}inbox", b.public_url());
    let note = |n: u32| {
        let id = format!("{}activities/note-{n}", a.public_url());
        activity("Create", &id, &alice, json!({"type": "Note", "id": format!("{id}/object"), "content": "bonjour"}))
    };
    let alice_signs = Signing::as_member(&a, "alice").await;
    let good = || alice_signs.clone();
    let now = SystemTime::now();
    let spoilt: Vec<(&str, Signing)> = vec![
        ("dated two hours ahead", Signing { date: Some(httpdate(now + Duration::from_secs(7200))), ..good() }),
        ("dated two hours ago", Signing { date: Some(httpdate(now - Duration::from_secs(7200))), ..good() }),
        ("dated 2100", Signing { date: Some("Fri, 01 Jan 2100 00:00:00 GMT".into()), ..good() }),
        ("an unreadable date", Signing { date: Some("demain matin".into()), ..good() }),
        ("no date signed", Signing { headers: "(request-target) host digest".into(), ..good() }),
        ("no host signed", Signing { headers: "(request-target) date digest".into(), ..good() }),
        ("no digest signed", Signing { headers: "(request-target) host date".into(), ..good() }),
        ("signed for another server", Signing { host: Some("autre-coop.example".into()), ..good() }),
    ];
    for (n, (what, signing)) in spoilt.into_iter().enumerate() {
        let reply = signing.post(&inbox, &note(n as u32)).await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{what}: {reply:?}");
    }
    // A `Create` whose object has no id or no type is malformed: 400, not "accepted".
    for (n, object) in [
        json!({"type": "Note", "content": "sans id"}),
        json!({"id": format!("{alice}/x"), "content": "sans type"}),
        json!(42),
    ]
    .into_iter()
    .enumerate()
    {
        let id = format!("{}activities/malformed-{n}", a.public_url());
        let reply = good().post(&inbox, &activity("Create", &id, &alice, object)).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{reply:?}");
    }
    // The same request, well signed, is taken; so is `hs2019`, which other servers send.
    let reply = good().post(&inbox, &note(100)).await;
    assert_eq!(reply.status, StatusCode::ACCEPTED, "well signed: {reply:?}");
    let reply = Signing { algorithm: "hs2019".into(), ..good() }.post(&inbox, &note(101)).await;
    assert_eq!(reply.status, StatusCode::ACCEPTED, "hs2019: {reply:?}");
    a.stop().await;
    b.stop().await;
}

#[tokio::test]
async fn links_from_other_servers_that_are_not_web_links_are_dropped() {
    let (a, _admin_a, b, _admin_b) = peered_pair().await;
    member_with_key(&a, "alice").await;
    let alice = format!("{}members/alice", a.public_url());
    let id = format!("{}listings/0123456789abcdef0123456789abcdef", a.public_url());
    let object = proposal(&id, &alice, "Perceuse piégée", Some("javascript:alert(document.cookie)"));
    let create = activity("Create", &format!("{}activities/js", a.public_url()), &alice, object);
    let reply = Signing::as_member(&a, "alice").await.post(&format!("{}inbox", b.public_url()), &create).await;
    assert_eq!(reply.status, StatusCode::ACCEPTED, "{reply:?}");
    let found = b.api().search(&[("scope", "peers")]).await;
    assert_eq!(common::titles(&found.json()), ["Perceuse piégée"], "{found:?}");
    assert!(!found.text.to_ascii_lowercase().contains("javascript"), "a javascript: link is kept: {found:?}");
    assert_eq!(found.json()["items"][0]["origin"]["url"], id, "the page falls back to the listing's id");

    // An actor whose profile link is `javascript:` is kept without it.
    let stand_in = StandIn::start().await;
    let eve = stand_in.person("eve", json!({"url": "javascript:alert(1)"}));
    stand_in.webfinger("eve");
    let carla = b.member_with_token("carla", Role::Member).await;
    let account = format!("eve@{}", stand_in.domain);
    let reply = b.api().token(&carla).post("/api/v1/follows", &json!({ "account": account })).await;
    assert_eq!(reply.status, StatusCode::ACCEPTED, "{reply:?}");
    let kept = maillage_server::storage::remote_actors::remote_actor(&mut b.db().conn().await.unwrap(), &eve)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(kept.page, None, "the javascript: profile link is dropped");
    let follows = b.api().token(&carla).get("/api/v1/follows").await;
    assert!(!follows.text.to_ascii_lowercase().contains("javascript"), "{follows:?}");
    a.stop().await;
    b.stop().await;
}

#[tokio::test]
async fn a_follower_with_an_unusable_shared_inbox_cannot_stall_a_partner() {
    let (a, admin_a, b, _admin_b) = peered_pair().await;
    let alice = member_with_key(&a, "alice").await;
    let stand_in = StandIn::start().await;
    // Mallory's shared inbox names the partner's domain, with a scheme nobody delivers to.
    for (name, shared_inbox) in
        [("mallory", format!("ftp://{}/inbox", domain(&b))), ("oscar", format!("ftp://{}/inbox", stand_in.domain))]
    {
        let actor = stand_in.person(name, json!({"endpoints": {"sharedInbox": shared_inbox}}));
        let follow = activity(
            "Follow",
            &stand_in.url(&format!("/follows/{name}")),
            &actor,
            json!(format!("{}members/alice", a.public_url())),
        );
        let reply = stand_in.signing(name).post(&format!("{}members/alice/inbox", a.public_url()), &follow).await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{name}'s actor is refused: {reply:?}");
    }
    // A delivery already queued towards such an inbox (written before this rule) is dropped and
    // reported, not retried at the head of the partner's queue.
    let mut conn = a.db().pool.acquire().await.unwrap();
    let bad_inbox = (format!("ftp://{}/inbox", domain(&b)), domain(&b));
    let stale = json!({"type": "Accept", "id": format!("{}activities/stale", a.public_url()), "actor": format!("{}members/alice", a.public_url())});
    let now = maillage_server::domain::ids::now_ms();
    maillage_server::storage::outbox::enqueue(&mut conn, "stale", "alice", &stale.to_string(), &[bad_inbox], now)
        .await
        .unwrap();
    drop(conn);
    a.listing(&alice, listing_body("Escabeau", json!({}))).await;
    eventually("the partner gets the listing", || async { peer_titles(&b).await == ["Escabeau"] }).await;
    eventually("A's queue is empty", || async { queued(&a).await == 0 }).await;
    let state = peer(&a, &admin_a, &domain(&b)).await;
    let last_error = state["delivery"]["last_error"].as_str().unwrap_or_default().to_owned();
    assert!(last_error.contains("ftp://"), "the dropped delivery is reported: {state:#}");
    a.stop().await;
    b.stop().await;
}

#[tokio::test]
async fn an_activity_a_server_always_refuses_does_not_hold_back_the_next_ones() {
    let a = TestInstance::start_with(|config| {
        config.federation.insecure_local_federation = true;
        config.federation.delivery_attempts = 2;
    })
    .await;
    let alice = member_with_key(&a, "alice").await;
    // A follower on a server that fails on one listing, every time, and takes everything else.
    let stand_in = StandIn::start().await;
    let eve = stand_in.person("eve", json!({}));
    let follow =
        activity("Follow", &stand_in.url("/follows/1"), &eve, json!(format!("{}members/alice", a.public_url())));
    let reply = stand_in.signing("eve").post(&format!("{}members/alice/inbox", a.public_url()), &follow).await;
    assert_eq!(reply.status, StatusCode::ACCEPTED, "{reply:?}");
    eventually("the Accept reaches eve", || async { stand_in.delivered().iter().any(|d| d["type"] == "Accept") }).await;
    // Signed as Mastodon signs, which servers built on apsig require.
    let posts: Vec<_> = stand_in.received().into_iter().filter(|r| r.method == reqwest::Method::POST).collect();
    assert!(posts.iter().all(|r| r.signature.contains("algorithm=\"rsa-sha256\"")), "{posts:?}");
    stand_in.answer_containing("Empoisonnée", StatusCode::INTERNAL_SERVER_ERROR);

    a.listing(&alice, listing_body("Annonce Empoisonnée", json!({}))).await;
    a.listing(&alice, listing_body("Annonce saine", json!({}))).await;
    let names = |stand_in: &StandIn| -> Vec<String> {
        stand_in.delivered().iter().filter_map(|d| d["object"]["name"].as_str().map(str::to_owned)).collect()
    };
    eventually("the next listing gets through", || async { names(&stand_in).contains(&"Annonce saine".to_owned()) })
        .await;
    eventually("the poisoned one is given up", || async { queued(&a).await == 0 }).await;
    let status =
        maillage_server::storage::outbox::status(&mut a.db().conn().await.unwrap(), &stand_in.domain).await.unwrap();
    assert!(
        status.last_error.as_deref().is_some_and(|e| e.contains("given up")),
        "the admin page says it was given up: {status:?}"
    );
    a.stop().await;
}

#[tokio::test]
async fn an_actor_cannot_change_or_delete_another_actors_listing() {
    let (a, _admin_a, b, _admin_b) = peered_pair().await;
    let alice = member_with_key(&a, "alice").await;
    member_with_key(&a, "bob").await;
    let listing = a.listing(&alice, listing_body("Tondeuse d'Alice", json!({}))).await;
    eventually("B has it", || async { peer_titles(&b).await == ["Tondeuse d'Alice"] }).await;
    let listing_id = format!("{}listings/{}", a.public_url(), listing["id"].as_str().unwrap());
    let bob = format!("{}members/bob", a.public_url());

    let forged = proposal(&listing_id, &bob, "Tondeuse volée", None);
    let update = activity("Update", &format!("{}activities/bob-update", a.public_url()), &bob, forged);
    let reply = Signing::as_member(&a, "bob").await.post(&format!("{}inbox", b.public_url()), &update).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN, "{reply:?}");
    let delete = activity("Delete", &format!("{}activities/bob-delete", a.public_url()), &bob, json!(listing_id));
    let reply = Signing::as_member(&a, "bob").await.post(&format!("{}inbox", b.public_url()), &delete).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN, "{reply:?}");
    assert_eq!(peer_titles(&b).await, ["Tondeuse d'Alice"], "unchanged, still there");
    let shown = b.api().search(&[("scope", "peers")]).await.json();
    assert!(shown["items"][0]["author"]["url"].as_str().unwrap_or_default().ends_with("/members/alice"), "{shown:#}");

    // Its author may, signing the same way.
    let alice_url = format!("{}members/alice", a.public_url());
    let own = proposal(&listing_id, &alice_url, "Tondeuse révisée", None);
    let update = activity("Update", &format!("{}activities/alice-update", a.public_url()), &alice_url, own);
    let reply = Signing::as_member(&a, "alice").await.post(&format!("{}inbox", b.public_url()), &update).await;
    assert_eq!(reply.status, StatusCode::ACCEPTED, "{reply:?}");
    assert_eq!(peer_titles(&b).await, ["Tondeuse révisée"]);
    a.stop().await;
    b.stop().await;
}

#[tokio::test]
async fn an_actor_updates_its_own_profile_only_and_keeps_its_inboxes_on_its_server() {
    let (a, _admin_a, b, _admin_b) = peered_pair().await;
    let alice = member_with_key(&a, "alice").await;
    member_with_key(&a, "bob").await;
    a.listing(&alice, listing_body("Tondeuse d'Alice", json!({}))).await;
    eventually("B has it", || async { peer_titles(&b).await == ["Tondeuse d'Alice"] }).await;
    let author_on_b = || async {
        let shown = b.api().search(&[("scope", "peers")]).await.json();
        shown["items"][0]["author"]["display_name"].as_str().unwrap_or_default().to_owned()
    };
    let before = author_on_b().await;
    let alice_url = format!("{}members/alice", a.public_url());
    let bob_url = format!("{}members/bob", a.public_url());
    let inbox = format!("{}inbox", b.public_url());

    // Bob sends Alice's document with another name: refused, her name stays.
    let mut forged = a.activity_json("/members/alice").await;
    forged["name"] = json!("Alice volée");
    let update = activity("Update", &format!("{}activities/bob-renames-alice", a.public_url()), &bob_url, forged);
    let reply = Signing::as_member(&a, "bob").await.post(&inbox, &update).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN, "{reply:?}");
    // Alice's own, sending her deliveries to another server: refused too.
    let mut elsewhere = a.activity_json("/members/alice").await;
    elsewhere["name"] = json!("Alice ailleurs");
    elsewhere["inbox"] = json!("https://autre-serveur.example/inbox");
    let update = activity("Update", &format!("{}activities/alice-moves", a.public_url()), &alice_url, elsewhere);
    let reply = Signing::as_member(&a, "alice").await.post(&inbox, &update).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{reply:?}");
    // Not an actor at all.
    let broken = json!({"type": "Person", "id": alice_url, "name": "Sans boîte"});
    let update = activity("Update", &format!("{}activities/alice-broken", a.public_url()), &alice_url, broken);
    let reply = Signing::as_member(&a, "alice").await.post(&inbox, &update).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{reply:?}");
    assert_eq!(author_on_b().await, before, "nothing changed");

    // Her own, well formed: her listings on B show her new name.
    let mut renamed = a.activity_json("/members/alice").await;
    renamed["name"] = json!("Alice Martin");
    let update = activity("Update", &format!("{}activities/alice-renamed", a.public_url()), &alice_url, renamed);
    let reply = Signing::as_member(&a, "alice").await.post(&inbox, &update).await;
    assert_eq!(reply.status, StatusCode::ACCEPTED, "{reply:?}");
    assert_eq!(author_on_b().await, "Alice Martin");
    a.stop().await;
    b.stop().await;
}

#[tokio::test]
async fn a_listing_made_private_leaves_every_server_that_received_it() {
    let (a, _admin_a, b, admin_b) = peered_pair().await;
    let alice = member_with_key(&a, "alice").await;
    // C is no partner: its member follows alice. Eve, on a server that is not Maillage, too.
    let c = open_instance().await;
    let carla = c.member_with_token("carla", Role::Member).await;
    let account = format!("alice@{}", domain(&a));
    let reply = c.api().token(&carla).post("/api/v1/follows", &json!({ "account": account })).await;
    assert_eq!(reply.status, StatusCode::ACCEPTED, "{reply:?}");
    let stand_in = StandIn::start().await;
    let eve = stand_in.person("eve", json!({}));
    let follow =
        activity("Follow", &stand_in.url("/follows/1"), &eve, json!(format!("{}members/alice", a.public_url())));
    assert_eq!(
        stand_in.signing("eve").post(&format!("{}members/alice/inbox", a.public_url()), &follow).await.status,
        StatusCode::ACCEPTED
    );
    eventually("both follows accepted", || async {
        c.api().token(&carla).get("/api/v1/follows").await.json()["items"][0]["state"] == "accepted"
            && stand_in.delivered().iter().any(|d| d["type"] == "Accept")
    })
    .await;

    let listing = a.listing(&alice, listing_body("Remorque", json!({}))).await;
    let path = format!("/api/v1/listings/{}", listing["id"].as_str().unwrap());
    let on_c = || async { c.api().titles(&[("scope", "peers")]).await };
    eventually("C and B have it", || async { on_c().await == ["Remorque"] && peer_titles(&b).await == ["Remorque"] })
        .await;
    // Made partners-only: B keeps it, C and eve's server are told to drop it.
    let reply = a.api().token(&alice).patch(&path, &json!({"visibility": "peers"})).await;
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    eventually("C dropped it", || async { on_c().await.is_empty() }).await;
    let listing_url = format!("{}listings/{}", a.public_url(), listing["id"].as_str().unwrap());
    eventually("eve's server got a Delete", || async {
        stand_in.delivered().iter().any(|d| d["type"] == "Delete" && d["object"]["id"] == listing_url)
    })
    .await;
    assert!(
        stand_in.delivered().iter().all(|d| d["type"] != "Update"),
        "the partners-only text went to a server that is no partner"
    );
    // B's members still see it (partners-only listings are for members).
    let on_b = b.api().token(&admin_b).titles(&[("scope", "peers")]).await;
    assert_eq!(on_b, ["Remorque"]);
    a.stop().await;
    b.stop().await;
    c.stop().await;
}

#[tokio::test]
async fn a_peer_that_is_back_gets_its_deliveries_without_waiting_for_its_slot() {
    let (a, _admin_a, b, _admin_b) = peered_pair().await;
    let alice = a.member_with_token("alice", Role::Member).await;
    let b = b.pause().await;
    a.listing(&alice, listing_body("Pendant la panne", json!({}))).await;
    let b_domain = format!("localhost:{}", b.port);
    eventually("A saw B fail", || async {
        maillage_server::storage::outbox::status(&mut a.db().conn().await.unwrap(), &b_domain).await.unwrap().failures
            > 0
    })
    .await;
    // As after hours of failures: the next attempt is an hour away.
    let in_an_hour = maillage_server::domain::ids::now_ms() + 3_600_000;
    sqlx::query("UPDATE delivery_state SET next_attempt_at = $1 WHERE domain = $2")
        .bind(in_an_hour)
        .bind(&b_domain)
        .execute(&a.db().pool)
        .await
        .unwrap();
    // What failed is said plainly on the admin page (it is no signature problem).
    let status = maillage_server::storage::outbox::status(&mut a.db().conn().await.unwrap(), &b_domain).await.unwrap();
    let last_error = status.last_error.unwrap_or_default();
    assert!(last_error.contains("connection refused") && !last_error.contains("signature"), "{last_error}");
    let b = b.resume().await;
    // B sends nothing; A notices it answers again, and delivers.
    eventually("B got the listing", || async { peer_titles(&b).await == ["Pendant la panne"] }).await;
    a.stop().await;
    b.stop().await;
}

#[tokio::test]
async fn a_busy_peer_s_listings_are_backfilled_all_the_same() {
    let a = open_instance().await;
    let admin = a.member_with_token("admin", Role::Admin).await;
    // The peer: an instance actor with an outbox of one listing, whose author's document the peer
    // fails to serve twice (busy), then serves.
    let peer = StandIn::start().await;
    let coop = peer.person("coop", json!({"type": "Application", "outbox": peer.url("/users/coop/outbox")}));
    peer.webfinger("coop");
    let eve = peer.person("eve", json!({}));
    let listing = proposal(&peer.url("/listings/1"), &eve, "Cagettes en bois", None);
    peer.serve(
        "/users/coop/outbox",
        json!({"type": "OrderedCollection", "id": peer.url("/users/coop/outbox"), "orderedItems": [
            {"type": "Create", "id": peer.url("/listings/1#create"), "actor": eve, "object": listing}
        ]}),
    );
    peer.fail_next("/users/eve", 2);
    let reply = a.api().token(&admin).post("/api/v1/admin/peers", &json!({"domain": peer.domain})).await;
    assert_eq!(reply.status, StatusCode::ACCEPTED, "{reply:?}");
    let follow = eventually_value(|| peer.delivered().into_iter().find(|d| d["type"] == "Follow")).await;
    let accept = activity("Accept", &peer.url("/accepts/1"), &coop, follow);
    let reply = peer.signing("coop").post(&format!("{}actor/inbox", a.public_url()), &accept).await;
    assert_eq!(reply.status, StatusCode::ACCEPTED, "{reply:?}");
    eventually("the busy peer's listing is backfilled", || async {
        a.api().titles(&[("scope", "peers")]).await == ["Cagettes en bois"]
    })
    .await;
    a.stop().await;
}

/// The first value `find` gives, waiting for it (20 s at most).
async fn eventually_value<T>(mut find: impl FnMut() -> Option<T>) -> T {
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(found) = find() {
            return found;
        }
        assert!(std::time::Instant::now() < deadline, "timed out waiting");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A server of files for the photo test: each path's bytes, and how many times each was asked for.
async fn file_server(files: Vec<(&'static str, Vec<u8>)>) -> (String, Arc<Mutex<Vec<String>>>) {
    use axum::response::IntoResponse;
    let asked = Arc::new(Mutex::new(Vec::new()));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://localhost:{}", listener.local_addr().unwrap().port());
    let files: Arc<Vec<(&'static str, Vec<u8>)>> = Arc::new(files);
    let log = asked.clone();
    let app = axum::Router::new().fallback(move |uri: axum::http::Uri| {
        let files = files.clone();
        let log = log.clone();
        async move {
            log.lock().unwrap().push(uri.path().to_owned());
            match files.iter().find(|(path, _)| *path == uri.path()) {
                // Every file claims to be a JPEG: what it is, is for the reader to find out.
                Some((_, bytes)) => ([("content-type", "image/jpeg")], bytes.clone()).into_response(),
                None => StatusCode::NOT_FOUND.into_response(),
            }
        }
    });
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (base, asked)
}

#[tokio::test]
async fn a_peer_s_photos_are_shown_only_once_read_and_encoded_again_here() {
    let (a, _admin_a, b, _admin_b) = peered_pair().await;
    member_with_key(&a, "alice").await;
    let mut good = std::io::Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(image::RgbImage::new(800, 600))
        .write_to(&mut good, image::ImageFormat::Png)
        .unwrap();
    let mut huge = good.get_ref().clone();
    huge.resize(20 << 20, 0);
    let files = vec![
        ("/ok.png", good.into_inner()),
        ("/huge.png", huge),
        ("/page.jpg", b"<html><script>alert(1)</script></html>".to_vec()),
    ];
    let (files_at, asked) = file_server(files).await;
    let alice = format!("{}members/alice", a.public_url());
    let id = format!("{}listings/fedcba9876543210fedcba9876543210", a.public_url());
    let mut object = proposal(&id, &alice, "Établi pliant", None);
    object["attachment"] = json!([
        {"type": "Image", "mediaType": "image/png", "url": format!("{files_at}/ok.png"), "name": "Un établi", "width": 800, "height": 600},
        {"type": "Document", "mediaType": "image/jpeg", "url": format!("{files_at}/huge.png"), "name": "Trop lourd"},
        {"type": "Image", "url": [{"type": "Link", "href": format!("{files_at}/page.jpg")}], "name": "x".repeat(5_000)},
        {"type": "Image", "url": "javascript:alert(1)"},
        {"type": "Image", "url": "ftp://files.example/a.jpg"},
        {"type": "Document", "mediaType": "video/mp4", "url": format!("{files_at}/film.mp4")},
    ]);
    let create = activity("Create", &format!("{}activities/photos", a.public_url()), &alice, object);
    let reply = Signing::as_member(&a, "alice").await.post(&format!("{}inbox", b.public_url()), &create).await;
    assert_eq!(reply.status, StatusCode::ACCEPTED, "{reply:?}");
    let item = || async { b.api().search(&[("scope", "peers")]).await.json()["items"][0].clone() };
    let photos = item().await["photos"].as_array().unwrap().clone();
    // What is no web link or no image is not kept; an alt text is cut to 300 characters.
    assert_eq!(photos.len(), 3, "{photos:?}");
    assert!(!item().await.to_string().contains("javascript"));
    assert_eq!(photos[2]["alt"].as_str().unwrap().chars().count(), 300);
    // Nothing is fetched until someone looks; then each file once, and only what reads as a photo
    // is served, from here.
    assert!(asked.lock().unwrap().is_empty());
    let status_of = |photo: &Value| {
        let url = photo["url"].as_str().unwrap().to_owned();
        async move { reqwest::get(&url).await.unwrap().status() }
    };
    assert!(photos.iter().all(|p| p["url"].as_str().unwrap().starts_with(&b.public_url())), "{photos:?}");
    assert_eq!(status_of(&photos[0]).await, StatusCode::OK);
    assert_eq!(status_of(&photos[1]).await, StatusCode::NOT_FOUND, "a file over the size limit is shown");
    assert_eq!(status_of(&photos[2]).await, StatusCode::NOT_FOUND, "a web page is shown as a photo");
    for photo in &photos {
        status_of(photo).await;
    }
    let mut seen = asked.lock().unwrap().clone();
    seen.sort();
    assert_eq!(seen, ["/huge.png", "/ok.png", "/page.jpg"], "each file is fetched once");
    // The refused ones are no longer offered; the good one has its real size.
    let photos = item().await["photos"].as_array().unwrap().clone();
    assert_eq!(photos.len(), 1, "{photos:?}");
    assert_eq!(photos[0]["alt"], "Un établi");
    assert_eq!((photos[0]["width"].as_u64(), photos[0]["height"].as_u64()), (Some(800), Some(600)));
    a.stop().await;
    b.stop().await;
}
