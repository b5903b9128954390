//! Exchanges between members of one instance, end to end over the JSON API: every kind's whole life
//! (`common::lives`: a gift, a swap, shared gear, a repair booking, needs answered), a loan's whole life
//! (counter-proposal, hand-over, renewal, return), an order's quantities (reserved, taken off, the
//! listing reserved and closed by itself, re-opened when a reservation is cancelled), a repair
//! booking, a question first, and every refusal: moves not allowed now or not one's own, strangers,
//! bad terms — each a clear 4xx that changes nothing.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

mod common;

use common::lives::{By, lives};
use common::{TestInstance, day, listing_body};
use maillage_server::domain::member::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};

struct Members {
    alice: String,
    bruno: String,
    carol: String,
    dave: String,
}

async fn members(instance: &TestInstance) -> Members {
    Members {
        alice: instance.member_with_token("alice", Role::Member).await,
        bruno: instance.member_with_token("bruno", Role::Member).await,
        carol: instance.member_with_token("carol", Role::Member).await,
        dave: instance.member_with_token("dave", Role::Member).await,
    }
}

async fn start(instance: &TestInstance, token: &str, body: Value) -> common::Reply {
    instance.api().token(token).post("/api/v1/exchanges", &body).await
}

async fn started(instance: &TestInstance, token: &str, body: Value) -> Value {
    let reply = start(instance, token, body).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{reply:?}");
    reply.json()
}

async fn act(instance: &TestInstance, token: &str, id: &str, name: &str, body: Option<Value>) -> common::Reply {
    let path = format!("/api/v1/exchanges/{id}/{name}");
    match body {
        Some(body) => instance.api().token(token).post(&path, &body).await,
        None => instance.api().token(token).raw(reqwest::Method::POST, &path, None, Vec::new()).await,
    }
}

async fn moved(instance: &TestInstance, token: &str, id: &str, name: &str, body: Option<Value>) -> Value {
    let reply = act(instance, token, id, name, body).await;
    assert_eq!(reply.status, StatusCode::OK, "{name}: {reply:?}");
    reply.json()
}

async fn exchange(instance: &TestInstance, token: &str, id: &str) -> Value {
    let reply = instance.api().token(token).get(&format!("/api/v1/exchanges/{id}")).await;
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    reply.json()
}

async fn listing(instance: &TestInstance, id: &str) -> Value {
    instance.api().get(&format!("/api/v1/listings/{id}")).await.json()
}

fn kinds(exchange: &Value) -> Vec<String> {
    exchange["entries"].as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap().to_owned()).collect()
}

#[tokio::test]
async fn every_kind_of_exchange_lives_its_whole_life_from_an_offer_and_from_a_need() {
    let instance = TestInstance::start().await;
    let m = members(&instance).await;
    for life in lives(day) {
        let kind = life.title;
        let listing = instance.listing(&m.alice, listing_body(kind, life.listing.clone())).await;
        let listing_id = listing["id"].as_str().unwrap();
        let begun = started(&instance, &m.bruno, json!({"listing_id": listing_id, "terms": life.terms})).await;
        assert_eq!(
            (begun["state"].as_str(), begun["role"].as_str()),
            (Some("proposed"), Some(life.starter_role)),
            "{kind}: {begun}"
        );
        let id = begun["id"].as_str().unwrap();
        for step in &life.steps {
            let (mover, other) = match step.by {
                By::Author => (&m.alice, &m.bruno),
                By::Starter => (&m.bruno, &m.alice),
            };
            // The move is offered to the one who may make it, and refused to the other.
            let before = exchange(&instance, mover, id).await;
            assert!(before["moves"].as_array().unwrap().contains(&json!(step.name)), "{kind}, {}: {before}", step.name);
            let theirs = exchange(&instance, other, id).await;
            assert!(
                !theirs["moves"].as_array().unwrap().contains(&json!(step.name)),
                "{kind}, {}: {theirs}",
                step.name
            );
            let after = moved(&instance, mover, id, step.name, None).await;
            assert_eq!(after["state"], step.state, "{kind}, after {}: {after}", step.name);
        }
        let done = exchange(&instance, &m.bruno, id).await;
        assert_eq!(done["moves"], json!([]), "{kind}: nothing more once completed: {done}");
        let lines = kinds(&exchange(&instance, &m.alice, id).await);
        assert_eq!(lines.len(), 1 + life.steps.len(), "{kind}: a line per move: {lines:?}");
    }
}

#[tokio::test]
async fn a_loan_is_proposed_countered_handed_over_renewed_and_returned() {
    let instance = TestInstance::start().await;
    let m = members(&instance).await;
    let drill = instance.listing(&m.alice, listing_body("Perceuse", json!({"mode": "lend"}))).await;
    let drill_id = drill["id"].as_str().unwrap();

    let loan = started(
        &instance,
        &m.bruno,
        json!({"listing_id": drill_id, "terms": {"from": day(2), "until": day(9)}, "message": "Pour monter une étagère."}),
    )
    .await;
    let id = loan["id"].as_str().unwrap();
    assert_eq!((loan["state"].as_str(), loan["role"].as_str()), (Some("proposed"), Some("receiver")));
    assert_eq!(loan["moves"], json!(["cancel"]), "{loan}");
    assert_eq!(loan["settlement"], "none");
    // The lender sees it waiting for her.
    let mine = instance.api().token(&m.alice).get("/api/v1/exchanges").await.json();
    assert_eq!(mine["items"][0]["id"], id);
    assert_eq!(mine["items"][0]["awaits_me"], true);
    assert_eq!(mine["items"][0]["moves"], json!(["accept", "refuse", "counter", "cancel"]));

    // Other dates, accepted by the borrower.
    let countered =
        moved(&instance, &m.alice, id, "counter", Some(json!({"terms": {"from": day(3), "until": day(10)}}))).await;
    assert_eq!((countered["proposed_by"].as_str(), countered["awaits_me"].as_bool()), (Some("provider"), Some(false)));
    let reply = act(&instance, &m.alice, id, "accept", None).await;
    reply.assert_error(StatusCode::FORBIDDEN, "move_not_allowed");
    let accepted = moved(&instance, &m.bruno, id, "accept", None).await;
    assert_eq!(accepted["state"], "accepted");
    assert_eq!(accepted["terms"]["until"], day(10));

    // The drill is taken on those dates: another loan over them is refused, one after them is not.
    let reply =
        start(&instance, &m.carol, json!({"listing_id": drill_id, "terms": {"from": day(8), "until": day(12)}})).await;
    reply.assert_field_error("from");
    started(&instance, &m.carol, json!({"listing_id": drill_id, "terms": {"from": day(20), "until": day(22)}})).await;

    // Handed over by the lender only; an item out is returned before anything else.
    act(&instance, &m.bruno, id, "hand-over", None).await.assert_error(StatusCode::FORBIDDEN, "move_not_allowed");
    let out = moved(&instance, &m.alice, id, "hand-over", None).await;
    assert_eq!((out["state"].as_str(), out["overdue"].as_bool()), (Some("handed_over"), Some(false)));
    assert_eq!(out["moves"], json!(["return"]));
    let reply = act(&instance, &m.bruno, id, "cancel", Some(json!({"reason": "Plus besoin"}))).await;
    reply.assert_error(StatusCode::CONFLICT, "move_not_allowed");
    act(&instance, &m.bruno, id, "return", None).await.assert_error(StatusCode::FORBIDDEN, "move_not_allowed");

    // A renewal: asked by the borrower, accepted by the lender, the due date moves.
    act(&instance, &m.bruno, id, "renew", Some(json!({"until": day(5)})))
        .await
        .assert_error(StatusCode::CONFLICT, "move_not_allowed");
    act(&instance, &m.bruno, id, "renew", Some(json!({}))).await.assert_field_error("until");
    let asked = moved(&instance, &m.bruno, id, "renew", Some(json!({"until": day(14)}))).await;
    assert_eq!(asked["renewal_until"], day(14));
    let renewed = moved(&instance, &m.alice, id, "accept-renewal", None).await;
    assert_eq!((renewed["terms"]["until"].as_str(), renewed["renewal_until"].as_str()), (Some(day(14).as_str()), None));

    let returned = moved(&instance, &m.alice, id, "return", None).await;
    assert_eq!((returned["state"].as_str(), returned["version"].as_i64()), (Some("completed"), Some(7)));
    assert!(returned["moves"].as_array().unwrap().is_empty());

    // The conversation has every step, in order, for both parties.
    let whole = exchange(&instance, &m.bruno, id).await;
    assert_eq!(
        kinds(&whole),
        ["propose", "message", "counter", "accept", "hand-over", "renew", "accept-renewal", "return"]
    );
    assert_eq!(whole["entries"][1]["body"], "Pour monter une étagère.");
    assert_eq!(whole["entries"][2]["terms"]["from"], day(3));
    assert_eq!(kinds(&exchange(&instance, &m.alice, id).await), kinds(&whole));
    instance.stop().await;
}

#[tokio::test]
async fn an_order_reserves_then_takes_its_quantity_and_the_listing_closes_when_nothing_is_left() {
    let instance = TestInstance::start().await;
    let m = members(&instance).await;
    let apples = instance
        .listing(
            &m.alice,
            listing_body(
                "Pommes",
                json!({"mode": "sell", "category": "food-groceries", "quantity": 5, "unit": "kg",
                       "price_kind": "fixed", "price_cents": 150, "price_basis": "per_unit"}),
            ),
        )
        .await;
    let apples_id = apples["id"].as_str().unwrap();
    let order = |quantity: Value| json!({"listing_id": apples_id, "terms": {"quantity": quantity, "from": day(3)}});

    start(&instance, &m.bruno, order(json!(6))).await.assert_field_error("quantity");
    start(&instance, &m.bruno, order(json!(0))).await.assert_field_error("quantity");
    start(&instance, &m.bruno, json!({"listing_id": apples_id, "terms": {"quantity": 1}}))
        .await
        .assert_field_error("from");
    let bruno = started(&instance, &m.bruno, order(json!("3"))).await;
    assert_eq!((bruno["settlement"].as_str(), bruno["price_cents"].as_i64()), (Some("euros"), Some(450)));
    let bruno_id = bruno["id"].as_str().unwrap();
    moved(&instance, &m.alice, bruno_id, "accept", None).await;
    assert_eq!(listing(&instance, apples_id).await["status"], "active", "2 kg left");

    // What is reserved is not there for others: 3 of 5 are reserved, 2 can be asked for.
    start(&instance, &m.carol, order(json!(3))).await.assert_field_error("quantity");
    let carol = started(&instance, &m.carol, order(json!(2))).await;
    let carol_id = carol["id"].as_str().unwrap();
    moved(&instance, &m.alice, carol_id, "accept", None).await;
    assert_eq!(listing(&instance, apples_id).await["status"], "reserved", "all of it reserved");
    start(&instance, &m.dave, order(json!(1))).await.assert_error(StatusCode::CONFLICT, "conflict");

    // A reservation cancelled: the listing is open again.
    act(&instance, &m.carol, carol_id, "cancel", Some(json!({}))).await.assert_field_error("reason");
    let cancelled = moved(&instance, &m.carol, carol_id, "cancel", Some(json!({"reason": "Trouvé au marché"}))).await;
    assert_eq!((cancelled["state"].as_str(), cancelled["ended_by"].as_str()), (Some("cancelled"), Some("receiver")));
    assert_eq!(listing(&instance, apples_id).await["status"], "active");

    // Delivered by the seller, confirmed by the buyer: the 3 kg leave the listing.
    act(&instance, &m.bruno, bruno_id, "deliver", None).await.assert_error(StatusCode::FORBIDDEN, "move_not_allowed");
    act(&instance, &m.alice, bruno_id, "hand-over", None).await.assert_error(StatusCode::CONFLICT, "move_not_allowed");
    let delivered = moved(&instance, &m.alice, bruno_id, "deliver", None).await;
    assert_eq!(delivered["state"], "delivered");
    let confirmed = moved(&instance, &m.bruno, bruno_id, "confirm", None).await;
    assert_eq!(confirmed["state"], "completed");
    let after = listing(&instance, apples_id).await;
    assert_eq!((after["quantity"].as_f64(), after["status"].as_str()), (Some(2.0), Some("active")));

    // The last 2 kg: the listing closes by itself once they are taken.
    let last = started(&instance, &m.dave, order(json!(2))).await;
    let last_id = last["id"].as_str().unwrap();
    moved(&instance, &m.alice, last_id, "accept", None).await;
    moved(&instance, &m.alice, last_id, "deliver", None).await;
    moved(&instance, &m.dave, last_id, "confirm", None).await;
    let closed = listing(&instance, apples_id).await;
    assert_eq!((closed["quantity"].as_f64(), closed["status"].as_str()), (Some(0.0), Some("closed")));
    instance.stop().await;
}

#[tokio::test]
async fn a_repair_is_booked_for_a_slot_and_a_question_comes_before_terms() {
    let instance = TestInstance::start().await;
    let m = members(&instance).await;
    let repair = instance
        .listing(
            &m.alice,
            listing_body(
                "Réparation de vélo",
                json!({"mode": "service", "category": "bikes-repair", "unit": "session"}),
            ),
        )
        .await;
    let repair_id = repair["id"].as_str().unwrap();
    start(&instance, &m.bruno, json!({"listing_id": repair_id, "terms": {"from": day(2)}}))
        .await
        .assert_field_error("at");
    let booking =
        started(&instance, &m.bruno, json!({"listing_id": repair_id, "terms": {"from": day(2), "at": "9:30"}})).await;
    let id = booking["id"].as_str().unwrap();
    assert_eq!(booking["terms"]["at"], "09:30");
    let other_slot =
        moved(&instance, &m.alice, id, "counter", Some(json!({"terms": {"from": day(3), "at": "14:00"}}))).await;
    assert_eq!(other_slot["terms"]["at"], "14:00");
    moved(&instance, &m.bruno, id, "accept", None).await;
    act(&instance, &m.alice, id, "deliver", None).await.assert_error(StatusCode::CONFLICT, "move_not_allowed");
    moved(&instance, &m.alice, id, "done", None).await;
    assert_eq!(moved(&instance, &m.bruno, id, "confirm", None).await["state"], "completed");

    // A question first: no terms, a message; then the provider proposes, the asker accepts.
    let need = instance
        .listing(&m.carol, listing_body("Cherche une remorque", json!({"purpose": "request", "mode": "lend"})))
        .await;
    let need_id = need["id"].as_str().unwrap();
    start(&instance, &m.dave, json!({"listing_id": need_id})).await.assert_field_error("message");
    let question =
        started(&instance, &m.dave, json!({"listing_id": need_id, "message": "Pour combien de temps ?"})).await;
    let qid = question["id"].as_str().unwrap();
    assert_eq!((question["state"].as_str(), question["role"].as_str()), (Some("question"), Some("provider")));
    assert!(question["terms"].is_null());
    act(&instance, &m.carol, qid, "accept", None).await.assert_error(StatusCode::CONFLICT, "move_not_allowed");
    let reply = instance
        .api()
        .token(&m.carol)
        .post(&format!("/api/v1/exchanges/{qid}/messages"), &json!({"body": "Un week-end."}))
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{reply:?}");
    moved(&instance, &m.dave, qid, "propose", Some(json!({"terms": {"from": day(5), "until": day(7)}}))).await;
    let agreed = moved(&instance, &m.carol, qid, "accept", None).await;
    assert_eq!((agreed["state"].as_str(), agreed["role"].as_str()), (Some("accepted"), Some("receiver")));
    let messages = instance.api().token(&m.dave).get(&format!("/api/v1/exchanges/{qid}/messages")).await.json();
    let bodies: Vec<&str> = messages["items"].as_array().unwrap().iter().map(|e| e["body"].as_str().unwrap()).collect();
    assert_eq!(bodies, ["Pour combien de temps ?", "Un week-end.", "", ""]);
    instance.stop().await;
}

#[tokio::test]
async fn bad_moves_and_strangers_are_refused_and_change_nothing() {
    let instance = TestInstance::start().await;
    let m = members(&instance).await;
    let drill = instance.listing(&m.alice, listing_body("Perceuse", json!({"mode": "lend"}))).await;
    let drill_id = drill["id"].as_str().unwrap();
    let terms = json!({"from": day(2), "until": day(4)});

    // One's own listing; a listing that does not exist; bad terms, every field named.
    start(&instance, &m.alice, json!({"listing_id": drill_id, "terms": terms}))
        .await
        .assert_error(StatusCode::CONFLICT, "conflict");
    start(&instance, &m.bruno, json!({"listing_id": "0".repeat(32), "terms": terms}))
        .await
        .assert_error(StatusCode::NOT_FOUND, "not_found");
    start(&instance, &m.bruno, json!({"listing_id": "../etc", "terms": terms})).await.assert_field_error("listing_id");
    let reply =
        start(&instance, &m.bruno, json!({"listing_id": drill_id, "terms": {"from": day(-3), "until": day(-5)}})).await;
    assert_eq!(reply.error_fields(), ["from", "until"], "{reply:?}");
    let reply =
        start(&instance, &m.bruno, json!({"listing_id": drill_id, "terms": {"from": day(5), "until": day(2)}})).await;
    reply.assert_field_error("until");
    let reply =
        start(&instance, &m.bruno, json!({"listing_id": drill_id, "terms": terms, "message": "x".repeat(5001)})).await;
    reply.assert_field_error("message");
    let reply = start(&instance, &m.bruno, json!({"listing_id": drill_id, "terms": terms, "price": 0})).await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "unknown fields: {reply:?}");
    assert!(
        instance.api().token(&m.bruno).get("/api/v1/exchanges").await.json()["items"].as_array().unwrap().is_empty()
    );

    let loan = started(&instance, &m.bruno, json!({"listing_id": drill_id, "terms": terms})).await;
    let id = loan["id"].as_str().unwrap();
    // Strangers see nothing and do nothing.
    for path in [format!("/api/v1/exchanges/{id}"), format!("/api/v1/exchanges/{id}/messages")] {
        instance.api().token(&m.dave).get(&path).await.assert_error(StatusCode::NOT_FOUND, "not_found");
    }
    act(&instance, &m.dave, id, "accept", None).await.assert_error(StatusCode::NOT_FOUND, "not_found");
    let reply = instance
        .api()
        .token(&m.dave)
        .post(&format!("/api/v1/exchanges/{id}/messages"), &json!({"body": "Coucou"}))
        .await;
    reply.assert_error(StatusCode::NOT_FOUND, "not_found");
    instance.api().get(&format!("/api/v1/exchanges/{id}")).await.assert_error(StatusCode::UNAUTHORIZED, "unauthorized");
    // Moves that do not exist, are not for a loan, or not now.
    act(&instance, &m.alice, id, "teleport", None).await.assert_error(StatusCode::NOT_FOUND, "not_found");
    act(&instance, &m.alice, id, "deliver", None).await.assert_error(StatusCode::CONFLICT, "move_not_allowed");
    act(&instance, &m.alice, id, "return", None).await.assert_error(StatusCode::CONFLICT, "move_not_allowed");
    act(&instance, &m.alice, id, "counter", Some(json!({"terms": {"from": day(-1), "until": day(3)}})))
        .await
        .assert_field_error("from");
    // Messages: not empty, not huge.
    let messages = format!("/api/v1/exchanges/{id}/messages");
    instance.api().token(&m.alice).post(&messages, &json!({"body": "  "})).await.assert_field_error("body");
    let huge = instance.api().token(&m.alice).post(&messages, &json!({"body": "x".repeat(1 << 20)})).await;
    assert!(
        huge.status == StatusCode::PAYLOAD_TOO_LARGE || huge.status == StatusCode::UNPROCESSABLE_ENTITY,
        "{huge:?}"
    );
    // A body that is not JSON.
    let reply = instance
        .api()
        .token(&m.alice)
        .raw(reqwest::Method::POST, &format!("/api/v1/exchanges/{id}/refuse"), Some("text/plain"), b"non".to_vec())
        .await;
    assert_eq!(reply.status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{reply:?}");

    let unchanged = exchange(&instance, &m.bruno, id).await;
    assert_eq!((unchanged["state"].as_str(), unchanged["version"].as_i64()), (Some("proposed"), Some(1)));
    assert_eq!(kinds(&unchanged), ["propose"]);
    // Refused, with a reason: finished, nothing more is possible.
    let refused = moved(&instance, &m.alice, id, "refuse", Some(json!({"reason": "Elle est en réparation"}))).await;
    assert_eq!(
        (refused["state"].as_str(), refused["reason"].as_str()),
        (Some("refused"), Some("Elle est en réparation"))
    );
    act(&instance, &m.bruno, id, "cancel", Some(json!({"reason": "x"})))
        .await
        .assert_error(StatusCode::CONFLICT, "move_not_allowed");
    instance.stop().await;
}

#[tokio::test]
async fn a_member_s_exchanges_come_a_page_at_a_time() {
    let instance = TestInstance::start().await;
    let m = members(&instance).await;
    let tent = instance.listing(&m.alice, listing_body("Tente", json!({"mode": "lend"}))).await;
    let mut ids = Vec::new();
    for n in 0..52 {
        let body = json!({"listing_id": tent["id"], "message": format!("Question {n}")});
        ids.push(started(&instance, &m.bruno, body).await["id"].as_str().unwrap().to_owned());
    }
    // The 21 oldest are cancelled: finished.
    for id in &ids[..21] {
        moved(&instance, &m.bruno, id, "cancel", Some(json!({"reason": "Plus besoin"}))).await;
    }
    let first = instance.api().token(&m.bruno).get("/api/v1/exchanges").await.json();
    assert_eq!(first["items"].as_array().unwrap().len(), 50);
    let next = first["next"].as_str().unwrap();
    assert!(next.ends_with("/api/v1/exchanges?page=2"), "{next}");
    let second = instance.api().token(&m.bruno).get("/api/v1/exchanges?page=2").await.json();
    assert_eq!(second["items"].as_array().unwrap().len(), 2);
    assert!(second["next"].is_null());
    let all: Vec<&Value> =
        first["items"].as_array().unwrap().iter().chain(second["items"].as_array().unwrap()).collect();
    let mut seen: Vec<&str> = all.iter().map(|e| e["id"].as_str().unwrap()).collect();
    seen.sort_unstable();
    seen.dedup();
    assert_eq!(seen.len(), 52, "each once");
    instance.api().token(&m.bruno).get("/api/v1/exchanges?page=0").await.assert_field_error("page");

    // The pages: every exchange under way, the finished ones twenty at a time.
    let mut browser = instance.browser();
    browser.login_ok("bruno").await;
    let page = browser.get("/exchanges").await;
    assert_eq!(page.text.matches("class=\"card exchange-row").count(), 31 + 20, "31 under way, 20 finished");
    assert!(page.text.contains("href=\"/exchanges?finished=2#finished\""), "older finished ones");
    let older = browser.get("/exchanges?finished=2").await;
    assert_eq!(older.text.matches("class=\"card exchange-row").count(), 31 + 1);
    assert!(older.text.contains("href=\"/exchanges?finished=1#finished\""));
}
