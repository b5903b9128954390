//! Exchanges between members of two peered instances, over real HTTP: the listing's instance hosts
//! the exchange and applies every move; the other member's moves wait until the host has applied
//! them. Every kind's whole life across the two (`common::lives`), a loan's whole life across the two (offer, acceptance, hand-over, renewal, messages,
//! return); an order whose quantity the host reserves and takes off, the listing's change reaching
//! the guest; two moves made at once while each instance was down — the host decides, both end the
//! same; and a stranger's forged move, refused.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

mod common;

use common::fed::{Signing, domain, eventually, peer_titles, peered_pair};
use common::lives::{By, lives};
use common::{TestInstance, day, listing_body};
use maillage_server::domain::member::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};

/// The id, on `instance`, of the listing from a peer titled `title`.
async fn peer_listing_id(instance: &TestInstance, title: &str) -> String {
    let found = instance.api().search(&[("scope", "peers"), ("per_page", "100")]).await.json();
    let item =
        found["items"].as_array().unwrap().iter().find(|i| i["title"] == title).unwrap_or_else(|| panic!("{found}"));
    item["id"].as_str().unwrap().to_owned()
}

/// The member's exchanges on `instance`.
async fn exchanges_of(instance: &TestInstance, token: &str) -> Vec<Value> {
    let reply = instance.api().token(token).get("/api/v1/exchanges").await;
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    reply.json()["items"].as_array().unwrap().clone()
}

/// The member's only exchange on `instance`, once it is in `state` at `version`.
async fn once_in(instance: &TestInstance, token: &str, state: &str, version: i64) -> Value {
    eventually(&format!("the exchange is {state} (v{version}) on {}", domain(instance)), || async {
        let found = exchanges_of(instance, token).await.first().cloned().unwrap_or(Value::Null);
        found["state"] == state && found["version"] == version && found["waiting_for"].is_null()
    })
    .await;
    exchanges_of(instance, token).await.remove(0)
}

async fn act(instance: &TestInstance, token: &str, id: &str, name: &str, body: Value) -> Value {
    let reply = instance.api().token(token).post(&format!("/api/v1/exchanges/{id}/{name}"), &body).await;
    assert_eq!(reply.status, StatusCode::OK, "{name}: {reply:?}");
    reply.json()
}

async fn messages(instance: &TestInstance, token: &str, id: &str) -> Vec<String> {
    let reply = instance.api().token(token).get(&format!("/api/v1/exchanges/{id}/messages")).await;
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    let items = reply.json()["items"].as_array().unwrap().clone();
    items.iter().filter(|m| m["kind"] == "message").filter_map(|m| m["body"].as_str().map(str::to_owned)).collect()
}

/// The exchange `id` on `instance`, as its member sees it.
async fn exchange(instance: &TestInstance, token: &str, id: &str) -> Value {
    let reply = instance.api().token(token).get(&format!("/api/v1/exchanges/{id}")).await;
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    reply.json()
}

/// Waits until the exchange `id` on `instance` is in `state` at `version`, no move of ours waiting.
async fn settled(instance: &TestInstance, token: &str, id: &str, state: &str, version: i64) -> Value {
    eventually(&format!("exchange {id} is {state} (v{version}) on {}", domain(instance)), || async {
        let found = exchange(instance, token, id).await;
        found["state"] == state && found["version"] == version && found["waiting_for"].is_null()
    })
    .await;
    exchange(instance, token, id).await
}

#[tokio::test]
async fn every_kind_of_exchange_lives_its_whole_life_across_two_cooperatives() {
    let (a, _admin_a, b, _admin_b) = peered_pair().await;
    let alice = a.member_with_token("alice", Role::Member).await;
    let bruno = b.member_with_token("bruno", Role::Member).await;
    let all = lives(day);
    for life in &all {
        a.listing(&alice, listing_body(life.title, life.listing.clone())).await;
    }
    let mut titles: Vec<String> = all.iter().map(|l| l.title.to_owned()).collect();
    titles.sort();
    eventually("the listings reach B", || async { peer_titles(&b).await == titles }).await;

    for life in all {
        let kind = life.title;
        // Bruno, on B, starts it on his instance's copy of Alice's listing; A hosts it.
        let listing_on_b = peer_listing_id(&b, kind).await;
        let body = json!({"listing_id": listing_on_b, "terms": life.terms});
        let reply = b.api().token(&bruno).post("/api/v1/exchanges", &body).await;
        assert_eq!(reply.status, StatusCode::CREATED, "{kind}: {reply:?}");
        let on_b = reply.json()["id"].as_str().unwrap().to_owned();
        let on_kind = |found: &Value| found["listing"]["title"] == kind;
        eventually(&format!("{kind}: the proposal reaches A"), || async {
            exchanges_of(&a, &alice).await.iter().any(on_kind)
        })
        .await;
        let on_a = exchanges_of(&a, &alice).await.into_iter().find(on_kind).unwrap()["id"].as_str().unwrap().to_owned();
        let proposed = settled(&a, &alice, &on_a, "proposed", 1).await;
        assert_ne!(proposed["role"], life.starter_role, "{kind}: the author has the other role: {proposed}");

        for (version, step) in (2..).zip(&life.steps) {
            let (instance, token, id) = match step.by {
                By::Author => (&a, &alice, &on_a),
                By::Starter => (&b, &bruno, &on_b),
            };
            act(instance, token, id, step.name, json!({})).await;
            let seen_on_a = settled(&a, &alice, &on_a, step.state, version).await;
            let seen_on_b = settled(&b, &bruno, &on_b, step.state, version).await;
            assert_eq!(seen_on_a["terms"], seen_on_b["terms"], "{kind}, after {}: both agree", step.name);
        }
        let done = exchange(&b, &bruno, &on_b).await;
        assert_eq!((done["state"].as_str(), done["moves"].clone()), (Some("completed"), json!([])), "{kind}: {done}");
        assert_eq!(done["role"], life.starter_role, "{kind}: {done}");
    }
    a.stop().await;
    b.stop().await;
}

#[tokio::test]
async fn a_loan_between_two_cooperatives_from_offer_to_return() {
    let (a, _admin_a, b, _admin_b) = peered_pair().await;
    let alice = a.member_with_token("alice", Role::Member).await;
    let bruno = b.member_with_token("bruno", Role::Member).await;
    a.listing(&alice, listing_body("Perceuse à prêter", json!({"mode": "lend"}))).await;
    eventually("the listing reaches B", || async { peer_titles(&b).await == ["Perceuse à prêter"] }).await;
    let on_b = peer_listing_id(&b, "Perceuse à prêter").await;

    // Bruno, on B, proposes dates: the offer reaches Alice on A, with his message.
    let (from, until) = (day(2), day(9));
    let body = json!({"listing_id": on_b, "terms": {"from": from, "until": until}, "message": "Bonjour Alice !"});
    let reply = b.api().token(&bruno).post("/api/v1/exchanges", &body).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{reply:?}");
    let on_b_exchange = reply.json()["id"].as_str().unwrap().to_owned();
    let offered = once_in(&a, &alice, "proposed", 1).await;
    assert_eq!(offered["role"], "provider", "{offered}");
    assert_eq!(offered["awaits_me"], true);
    assert_eq!(offered["terms"]["from"], from);
    assert_eq!(offered["other_party"], format!("http://{}/members/bruno", domain(&b)));
    let on_a_exchange = offered["id"].as_str().unwrap().to_owned();
    assert_eq!(messages(&a, &alice, &on_a_exchange).await, ["Bonjour Alice !"]);

    // Alice accepts on A: B sees it. Bruno may not hand the item over himself.
    act(&a, &alice, &on_a_exchange, "accept", json!({})).await;
    once_in(&b, &bruno, "accepted", 2).await;
    let reply = b.api().token(&bruno).post(&format!("/api/v1/exchanges/{on_b_exchange}/hand-over"), &json!({})).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN, "{reply:?}");
    act(&a, &alice, &on_a_exchange, "hand-over", json!({})).await;
    once_in(&b, &bruno, "handed_over", 3).await;

    // Bruno asks for more days: it waits for A, which applies it and tells B.
    let later = day(12);
    let asked = act(&b, &bruno, &on_b_exchange, "renew", json!({"until": later})).await;
    assert_eq!(asked["waiting_for"], "renew", "{asked}");
    assert!(asked["moves"].as_array().unwrap().is_empty(), "nothing more until A answers: {asked}");
    let renewed = once_in(&b, &bruno, "handed_over", 4).await;
    assert_eq!(renewed["renewal_until"], later, "{renewed}");
    let on_a = once_in(&a, &alice, "handed_over", 4).await;
    assert_eq!(on_a["awaits_me"], true, "the lender answers the renewal: {on_a}");
    act(&a, &alice, &on_a_exchange, "accept-renewal", json!({})).await;
    let accepted = once_in(&b, &bruno, "handed_over", 5).await;
    assert_eq!(accepted["terms"]["until"], later, "{accepted}");

    // Messages go both ways, privately.
    let reply = b
        .api()
        .token(&bruno)
        .post(&format!("/api/v1/exchanges/{on_b_exchange}/messages"), &json!({"body": "Merci !"}))
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{reply:?}");
    eventually("the message reaches A", || async {
        messages(&a, &alice, &on_a_exchange).await == ["Bonjour Alice !", "Merci !"]
    })
    .await;

    // Returned: completed on both.
    act(&a, &alice, &on_a_exchange, "return", json!({})).await;
    once_in(&b, &bruno, "completed", 6).await;
    let done = once_in(&a, &alice, "completed", 6).await;
    assert_eq!(done["awaits_me"], false);
    a.stop().await;
    b.stop().await;
}

#[tokio::test]
async fn an_order_across_instances_reserves_then_takes_its_quantity_at_the_host() {
    let (a, _admin_a, b, _admin_b) = peered_pair().await;
    let nadia = a.member_with_token("nadia", Role::Member).await;
    let bruno = b.member_with_token("bruno", Role::Member).await;
    let apples = a
        .listing(
            &nadia,
            listing_body(
                "Pommes",
                json!({"mode": "sell", "quantity": 10, "unit": "kg", "price_cents": 250, "price_basis": "per_unit"}),
            ),
        )
        .await;
    eventually("the listing reaches B", || async { peer_titles(&b).await == ["Pommes"] }).await;
    let on_b = peer_listing_id(&b, "Pommes").await;

    // More than there is: refused on B already, nothing sent.
    let too_much = json!({"listing_id": on_b, "terms": {"quantity": 12, "from": day(3)}});
    let reply = b.api().token(&bruno).post("/api/v1/exchanges", &too_much).await;
    reply.assert_field_error("quantity");

    let body = json!({"listing_id": on_b, "terms": {"quantity": "4", "from": day(3)}});
    let reply = b.api().token(&bruno).post("/api/v1/exchanges", &body).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{reply:?}");
    let order = reply.json();
    assert_eq!(order["price_cents"], 1000, "4 kg at 2,50 € the kg: {order}");
    let on_b_exchange = order["id"].as_str().unwrap().to_owned();
    let offered = once_in(&a, &nadia, "proposed", 1).await;
    let on_a_exchange = offered["id"].as_str().unwrap().to_owned();
    assert_eq!(offered["price_cents"], 1000, "{offered}");

    act(&a, &nadia, &on_a_exchange, "accept", json!({})).await;
    act(&a, &nadia, &on_a_exchange, "deliver", json!({})).await;
    once_in(&b, &bruno, "delivered", 3).await;
    // The receiver confirms on B: the host applies it and takes 4 kg off.
    let confirmed = act(&b, &bruno, &on_b_exchange, "confirm", json!({})).await;
    assert_eq!(confirmed["waiting_for"], "confirm");
    once_in(&b, &bruno, "completed", 4).await;
    let listing = a.api().get(&format!("/api/v1/listings/{}", apples["id"].as_str().unwrap())).await.json();
    assert_eq!(listing["quantity"], 6.0, "{listing}");
    eventually("B's copy says 6 kg are left", || async {
        b.api().get(&format!("/api/v1/listings/{on_b}")).await.json()["quantity"] == 6.0
    })
    .await;
    a.stop().await;
    b.stop().await;
}

#[tokio::test]
async fn two_moves_made_at_once_while_each_instance_was_down_the_host_decides() {
    let (a, _admin_a, b, _admin_b) = peered_pair().await;
    let alice = a.member_with_token("alice", Role::Member).await;
    let bruno = b.member_with_token("bruno", Role::Member).await;
    a.listing(&alice, listing_body("Escabeau", json!({"mode": "give"}))).await;
    eventually("the listing reaches B", || async { peer_titles(&b).await == ["Escabeau"] }).await;
    let on_b = peer_listing_id(&b, "Escabeau").await;
    let reply = b.api().token(&bruno).post("/api/v1/exchanges", &json!({"listing_id": on_b, "terms": {}})).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{reply:?}");
    let on_b_exchange = reply.json()["id"].as_str().unwrap().to_owned();
    let on_a_exchange = once_in(&a, &alice, "proposed", 1).await["id"].as_str().unwrap().to_owned();

    // B is down: Alice accepts on A (queued for B). Then A is down: Bruno, who has not seen it,
    // cancels on B (queued for A).
    let paused_b = b.pause().await;
    act(&a, &alice, &on_a_exchange, "accept", json!({})).await;
    let paused_a = a.pause().await;
    let b = paused_b.resume().await;
    let cancel = act(&b, &bruno, &on_b_exchange, "cancel", json!({"reason": "Trouvé ailleurs"})).await;
    assert_eq!(cancel["waiting_for"], "cancel");
    let a = paused_a.resume().await;

    // A hosts the exchange: its acceptance stands, Bruno's cancellation is declined, and both agree.
    let on_b_final = once_in(&b, &bruno, "accepted", 2).await;
    assert!(on_b_final["moves"].as_array().unwrap().iter().any(|m| m == "cancel"), "he may cancel now: {on_b_final}");
    let on_a_final = once_in(&a, &alice, "accepted", 2).await;
    assert_eq!(on_a_final["version"], 2);
    a.stop().await;
    b.stop().await;
}

#[tokio::test]
async fn only_the_other_party_may_move_an_exchange_and_answers_to_nothing_are_refused() {
    let (a, _admin_a, b, _admin_b) = peered_pair().await;
    let alice = a.member_with_token("alice", Role::Member).await;
    let bruno = b.member_with_token("bruno", Role::Member).await;
    b.member_with_token("mallory", Role::Member).await;
    // Mallory's key pair, made as when her actor is first read.
    maillage_server::services::federation::actors::member_actor(&b.server.state.services, "mallory").await.unwrap();
    a.listing(&alice, listing_body("Remorque", json!({"mode": "lend"}))).await;
    eventually("the listing reaches B", || async { peer_titles(&b).await == ["Remorque"] }).await;
    let on_b = peer_listing_id(&b, "Remorque").await;
    let body = json!({"listing_id": on_b, "terms": {"from": day(1), "until": day(3)}});
    assert_eq!(b.api().token(&bruno).post("/api/v1/exchanges", &body).await.status, StatusCode::CREATED);
    let offered = once_in(&a, &alice, "proposed", 1).await;
    let on_a_exchange = offered["id"].as_str().unwrap().to_owned();
    let exchange_ap_id = exchanges_of(&b, &bruno).await[0]["ap_id"].as_str().unwrap().to_owned();

    // Mallory, on B too, signs a cancellation of Bruno's exchange: refused, nothing changes.
    let mallory = Signing::as_member(&b, "mallory").await;
    let forged = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "type": "Update",
        "id": format!("http://{}/activities/forged-1", domain(&b)),
        "actor": format!("http://{}/members/mallory", domain(&b)),
        "to": [format!("http://{}/members/alice", domain(&a))],
        "maillage:move": "cancel",
        "maillage:version": 2,
        "object": {"type": "Agreement", "id": exchange_ap_id,
                   "stipulates": {"type": "Commitment", "resourceQuantity": {"hasUnit": "one", "hasNumericalValue": "1"}}},
        "content": "Annulé"
    });
    let reply = mallory.post(&format!("{}inbox", a.public_url()), &forged).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN, "{reply:?}");

    // An Accept of an offer never made: refused.
    let stray = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "type": "Accept",
        "id": format!("http://{}/activities/stray-1", domain(&b)),
        "actor": format!("http://{}/members/mallory", domain(&b)),
        "object": format!("http://{}/exchanges/0123456789abcdef0123456789abcdef/activities/nothing", domain(&a)),
        "to": [format!("http://{}/members/alice", domain(&a))]
    });
    let reply = mallory.post(&format!("{}inbox", a.public_url()), &stray).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{reply:?}");
    let still = exchanges_of(&a, &alice).await;
    assert_eq!((still[0]["state"].as_str(), still[0]["version"].as_i64()), (Some("proposed"), Some(1)));
    assert_eq!(still[0]["id"], on_a_exchange);

    // The agreement (started on B, so its id is B's) is served to the other party's signed fetch
    // only: Alice's; not to Mallory, nor unsigned.
    maillage_server::services::federation::actors::member_actor(&a.server.state.services, "alice").await.unwrap();
    let alice_signs = Signing::as_member(&a, "alice").await;
    let fetched = alice_signs.get(&exchange_ap_id).await;
    assert_eq!(fetched.status, StatusCode::OK, "{fetched:?}");
    let agreement: Value = fetched.json();
    assert_eq!(
        (agreement["type"].as_str(), agreement["id"].as_str()),
        (Some("Agreement"), Some(exchange_ap_id.as_str()))
    );
    assert_eq!(agreement["stipulates"]["action"], "transferCustody", "{agreement}");
    assert_eq!(mallory.get(&exchange_ap_id).await.status, StatusCode::NOT_FOUND);
    let unsigned =
        reqwest::Client::new().get(&exchange_ap_id).header("accept", "application/activity+json").send().await.unwrap();
    assert_eq!(unsigned.status(), StatusCode::NOT_FOUND);
    a.stop().await;
    b.stop().await;
}

#[tokio::test]
async fn moves_that_come_twice_late_or_out_of_order_are_applied_once_and_in_order() {
    let (a, _admin_a, b, _admin_b) = peered_pair().await;
    let bruno = a.member_with_token("bruno", Role::Member).await;
    let alice = b.member_with_token("alice", Role::Member).await;
    b.listing(&alice, listing_body("Tondeuse", json!({"mode": "lend"}))).await;
    eventually("the listing reaches A", || async { peer_titles(&a).await == ["Tondeuse"] }).await;
    let on_a = peer_listing_id(&a, "Tondeuse").await;
    let body = json!({"listing_id": on_a, "terms": {"from": day(2), "until": day(4)}});
    let started = a.api().token(&bruno).post("/api/v1/exchanges", &body).await.json();
    let id = started["id"].as_str().unwrap().to_owned();
    let agreement_id = started["ap_id"].as_str().unwrap().to_owned();
    once_in(&b, &alice, "proposed", 1).await;

    // B's host moves, signed by hand as Alice (the real B stays at v1): v3 comes before v2.
    maillage_server::services::federation::actors::member_actor(&b.server.state.services, "alice").await.unwrap();
    let alice_signs = Signing::as_member(&b, "alice").await;
    let alice_id = format!("http://{}/members/alice", domain(&b));
    let bruno_id = format!("http://{}/members/bruno", domain(&a));
    let inbox = format!("{}inbox", a.public_url());
    let agreement = |state: &str| {
        json!({"type": "Agreement", "id": agreement_id, "maillage:state": state,
               "stipulates": {"type": "Commitment", "action": "transferCustody",
                              "resourceQuantity": {"hasUnit": "one", "hasNumericalValue": "1"},
                              "hasBeginning": day(2), "hasEnd": day(4)}})
    };
    let activity = |n: &str, kind: &str, version: i64, name: &str, object: Value| {
        let mut activity = json!({
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": format!("http://{}/exchanges/hand/activities/{n}", domain(&b)),
            "type": kind, "actor": alice_id, "to": [bruno_id],
            "maillage:version": version, "maillage:move": name, "object": object
        });
        if kind == "Accept" {
            activity["result"] = agreement("accepted");
        }
        activity
    };
    let hand_over = activity("3", "Update", 3, "hand-over", agreement("handed_over"));
    let accept = activity("2", "Accept", 2, "accept", json!(format!("{}/activities/offer", agreement_id)));
    assert_eq!(alice_signs.post(&inbox, &hand_over).await.status, StatusCode::ACCEPTED);
    let early = exchanges_of(&a, &bruno).await;
    assert_eq!(
        (early[0]["state"].as_str(), early[0]["version"].as_i64()),
        (Some("proposed"), Some(1)),
        "v3 waits for v2"
    );
    assert_eq!(alice_signs.post(&inbox, &accept).await.status, StatusCode::ACCEPTED);
    let both = once_in(&a, &bruno, "handed_over", 3).await;
    assert_eq!(both["id"], id);

    // The same activity again, and the acceptance again under another id: nothing changes.
    assert_eq!(alice_signs.post(&inbox, &accept).await.status, StatusCode::ACCEPTED);
    let again = activity("2-bis", "Accept", 2, "accept", json!(format!("{}/activities/offer", agreement_id)));
    assert_eq!(alice_signs.post(&inbox, &again).await.status, StatusCode::ACCEPTED);
    let entries = a.api().token(&bruno).get(&format!("/api/v1/exchanges/{id}/messages")).await.json();
    let kinds: Vec<&str> = entries["items"].as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["propose", "accept", "hand-over"], "each once, in order");
    let after = exchanges_of(&a, &bruno).await;
    assert_eq!((after[0]["state"].as_str(), after[0]["version"].as_i64()), (Some("handed_over"), Some(3)));
    a.stop().await;
    b.stop().await;
}

#[tokio::test]
async fn a_third_cooperative_sees_nothing_of_an_exchange_and_cannot_move_it() {
    let (a, admin_a, b, _admin_b) = peered_pair().await;
    let c = common::fed::open_instance().await;
    let admin_c = c.member_with_token("admin_c", Role::Admin).await;
    common::fed::request_peering(&c, &admin_c, &a).await;
    eventually("A and C peered", || async {
        common::fed::peer_state(&a, &admin_a, &domain(&c)).await == "peered"
            && common::fed::peer_state(&c, &admin_c, &domain(&a)).await == "peered"
    })
    .await;
    let alice = a.member_with_token("alice", Role::Member).await;
    let bruno = b.member_with_token("bruno", Role::Member).await;
    c.member_with_token("carol", Role::Member).await;
    a.listing(&alice, listing_body("Nettoyeur haute pression", json!({"mode": "lend"}))).await;
    eventually("the listing reaches B and C", || async {
        peer_titles(&b).await == ["Nettoyeur haute pression"] && peer_titles(&c).await == ["Nettoyeur haute pression"]
    })
    .await;
    let on_b = peer_listing_id(&b, "Nettoyeur haute pression").await;
    let body = json!({"listing_id": on_b, "terms": {"from": day(1), "until": day(2)}, "message": "Pour la terrasse"});
    assert_eq!(b.api().token(&bruno).post("/api/v1/exchanges", &body).await.status, StatusCode::CREATED);
    let on_a = once_in(&a, &alice, "proposed", 1).await;
    let exchange_ap_id = on_a["ap_id"].as_str().unwrap().to_owned();
    act(&a, &alice, on_a["id"].as_str().unwrap(), "accept", json!({})).await;
    once_in(&b, &bruno, "accepted", 2).await;

    // C received nothing of it, keeps nothing of it.
    let count = maillage_server::storage::exchanges::count(&mut c.db().conn().await.unwrap()).await.unwrap();
    assert_eq!(count, 0);
    let received: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM received_activities WHERE id LIKE '%/exchanges/%'")
        .fetch_one(&c.db().pool)
        .await
        .unwrap();
    assert_eq!(received, 0, "no activity of the exchange went to C");

    // Carol, of C, signs a cancellation of it to A: refused, nothing changes.
    maillage_server::services::federation::actors::member_actor(&c.server.state.services, "carol").await.unwrap();
    let carol = Signing::as_member(&c, "carol").await;
    let forged = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "type": "Update",
        "id": format!("http://{}/activities/forged-by-carol", domain(&c)),
        "actor": format!("http://{}/members/carol", domain(&c)),
        "to": [format!("http://{}/members/alice", domain(&a))],
        "maillage:move": "cancel",
        "maillage:version": 3,
        "object": {"type": "Agreement", "id": exchange_ap_id,
                   "stipulates": {"type": "Commitment", "resourceQuantity": {"hasUnit": "one", "hasNumericalValue": "1"}}},
        "content": "Annulé"
    });
    let reply = carol.post(&format!("{}inbox", a.public_url()), &forged).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN, "{reply:?}");
    // Nor may she read the agreement (B's, since B started it).
    assert_eq!(carol.get(&exchange_ap_id).await.status, StatusCode::NOT_FOUND);
    once_in(&a, &alice, "accepted", 2).await;
    a.stop().await;
    b.stop().await;
    c.stop().await;
}
