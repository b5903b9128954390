//! Members told by email of what happens to their exchanges, through a real SMTP server (aiosmtpd,
//! started by the test): a proposal to the lender, the acceptance to the borrower, a message; a
//! member who turned emails off, or gave no address, gets none; a bad address is refused on the
//! notifications page and nothing is saved; an instance without `[email]` sends nothing. Across two
//! instances, each tells its own member.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

mod common;

use common::fed::{domain, eventually, open_instance, peer_state, peer_titles, request_peering};
use common::smtp::SmtpServer;
use common::{TestInstance, day, html_text, listing_body};
use maillage_server::config::{Config, EmailSecurity, PeeringPolicy};
use maillage_server::domain::member::Role;
use reqwest::StatusCode;
use serde_json::json;

fn with_smtp(config: &mut Config, port: u16) {
    config.email.host = "localhost".to_owned();
    config.email.port = port;
    config.email.security = EmailSecurity::None;
    config.email.from = "La Coop du Prêt <ne-pas-repondre@pret.example.org>".to_owned();
}

/// Sets a member's address (and whether they want emails) through their notifications page.
async fn give_address(instance: &TestInstance, username: &str, email: &str, notify: bool) {
    let mut browser = instance.browser();
    browser.login_ok(username).await;
    let page = format!("/members/{username}/notifications");
    let mut fields = vec![("email", email)];
    if notify {
        fields.push(("notify", "on"));
    }
    let reply = browser.submit(&page, &page, &fields).await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{reply:?}");
}

#[tokio::test]
async fn members_are_told_by_email_and_may_choose_not_to_be() {
    let smtp = SmtpServer::start();
    let port = smtp.port;
    let instance = TestInstance::start_with(move |config| with_smtp(config, port)).await;
    let alice = instance.member_with_token("alice", Role::Member).await;
    let bruno = instance.member_with_token("bruno", Role::Member).await;
    let carol = instance.member_with_token("carol", Role::Member).await;
    give_address(&instance, "alice", "alice@example.org", true).await;
    give_address(&instance, "bruno", "bruno@example.org", true).await;
    give_address(&instance, "carol", "carol@example.org", false).await;

    // A bad address is refused on the page, and the one saved stays.
    let mut browser = instance.browser();
    browser.login_ok("alice").await;
    let page = "/members/alice/notifications";
    let refused = browser.submit(page, page, &[("email", "pas une adresse"), ("notify", "on")]).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{refused:?}");
    assert!(html_text(&refused.text).contains("n'a pas la bonne forme"), "{refused:?}");
    assert!(html_text(&browser.get(page).await.text).contains("alice@example.org"), "kept");

    // Bruno proposes to borrow Alice's drill: Alice is told.
    let drill = instance.listing(&alice, listing_body("Perceuse", json!({"mode": "lend"}))).await;
    let body = json!({"listing_id": drill["id"], "terms": {"from": day(2), "until": day(5)}, "message": "Bonjour !"});
    let reply = instance.api().token(&bruno).post("/api/v1/exchanges", &body).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{reply:?}");
    let exchange = reply.json()["id"].as_str().unwrap().to_owned();
    let to_alice = smtp.wait_for("alice@example.org", 1).await;
    assert_eq!(to_alice[0].subject(), "Nouvelle proposition : Perceuse", "{:?}", to_alice[0]);
    let text = to_alice[0].body();
    assert!(text.contains("bruno (test) vous propose un échange (Prêt)"), "{text}");
    assert!(text.contains(&format!("/exchanges/{exchange}")), "a link to the exchange: {text}");
    assert!(
        to_alice[0].data.contains("From: La Coop du =?utf-8?b?")
            || to_alice[0].data.contains("ne-pas-repondre@pret.example.org")
    );

    // Alice accepts: Bruno is told. She writes: Bruno is told again.
    let path = format!("/api/v1/exchanges/{exchange}/accept");
    assert_eq!(instance.api().token(&alice).post(&path, &json!({})).await.status, StatusCode::OK);
    smtp.wait_for_subject("bruno@example.org", "Accepté : Perceuse").await;
    let path = format!("/api/v1/exchanges/{exchange}/messages");
    assert_eq!(
        instance.api().token(&alice).post(&path, &json!({"body": "À samedi"})).await.status,
        StatusCode::CREATED
    );
    let to_bruno = smtp.wait_for("bruno@example.org", 2).await;
    assert!(to_bruno.iter().any(|m| m.subject() == "alice (test) vous a écrit : Perceuse"), "{to_bruno:#?}");

    // Carol turned emails off: proposing to her sends nothing.
    let ladder = instance.listing(&carol, listing_body("Escabeau", json!({"mode": "give"}))).await;
    let reply =
        instance.api().token(&bruno).post("/api/v1/exchanges", &json!({"listing_id": ladder["id"], "terms": {}})).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{reply:?}");
    // Alice's drill gets a second proposal from Carol: Alice is told (her second email), and by
    // then Carol's would have been sent too.
    let body = json!({"listing_id": drill["id"], "terms": {"from": day(10), "until": day(12)}});
    assert_eq!(instance.api().token(&carol).post("/api/v1/exchanges", &body).await.status, StatusCode::CREATED);
    smtp.wait_for("alice@example.org", 2).await;
    assert!(smtp.messages().iter().all(|m| !m.to.contains(&"carol@example.org".to_owned())), "{:#?}", smtp.messages());
    instance.stop().await;
}

#[tokio::test]
async fn across_instances_each_tells_its_own_member_and_without_smtp_nothing_is_queued() {
    let smtp = SmtpServer::start();
    let port = smtp.port;
    // A tells its members by email; B has no `[email]`.
    let a = TestInstance::start_with(move |config| {
        config.federation.insecure_local_federation = true;
        config.federation.policy = PeeringPolicy::Open;
        with_smtp(config, port);
    })
    .await;
    let b = open_instance().await;
    let admin_a = a.member_with_token("admin_a", Role::Admin).await;
    let admin_b = b.member_with_token("admin_b", Role::Admin).await;
    request_peering(&a, &admin_a, &b).await;
    eventually("A and B peered", || async {
        peer_state(&a, &admin_a, &domain(&b)).await == "peered"
            && peer_state(&b, &admin_b, &domain(&a)).await == "peered"
    })
    .await;
    let alice = a.member_with_token("alice", Role::Member).await;
    let bruno = b.member_with_token("bruno", Role::Member).await;
    give_address(&a, "alice", "alice@example.org", true).await;
    give_address(&b, "bruno", "bruno@example.org", true).await;

    a.listing(&alice, listing_body("Remorque", json!({"mode": "lend"}))).await;
    eventually("the listing reaches B", || async { peer_titles(&b).await == ["Remorque"] }).await;
    let found = b.api().search(&[("scope", "peers")]).await.json();
    let on_b = found["items"][0]["id"].as_str().unwrap().to_owned();
    let body = json!({"listing_id": on_b, "terms": {"from": day(3), "until": day(4)}});
    assert_eq!(b.api().token(&bruno).post("/api/v1/exchanges", &body).await.status, StatusCode::CREATED);

    // A tells Alice; when she accepts, B applies it and tells nobody: it has no SMTP server.
    let to_alice = smtp.wait_for("alice@example.org", 1).await;
    assert_eq!(to_alice[0].subject(), "Nouvelle proposition : Remorque");
    assert!(to_alice[0].body().contains("bruno (test) vous propose"), "{}", to_alice[0].body());
    let on_a =
        a.api().token(&alice).get("/api/v1/exchanges").await.json()["items"][0]["id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/exchanges/{on_a}/accept");
    assert_eq!(a.api().token(&alice).post(&path, &json!({})).await.status, StatusCode::OK);
    eventually("B sees the acceptance", || async {
        b.api().token(&bruno).get("/api/v1/exchanges").await.json()["items"][0]["state"] == "accepted"
    })
    .await;
    let waiting =
        maillage_server::storage::notifications::waiting_emails(&mut b.db().conn().await.unwrap()).await.unwrap();
    assert_eq!(waiting, 0, "nothing queued without [email]");
    assert!(smtp.messages().iter().all(|m| !m.to.contains(&"bruno@example.org".to_owned())));
    a.stop().await;
    b.stop().await;
}

/// Moves an exchange's dates as if days had passed: its due date, and when its provider delivered.
async fn as_if(instance: &TestInstance, exchange: &str, sql: &str, value: serde_json::Value) {
    let mut conn = instance.db().conn().await.unwrap();
    let query = sqlx::query(sqlx::AssertSqlSafe(format!("UPDATE exchanges SET {sql} WHERE id = $2")));
    let query = match value {
        serde_json::Value::String(text) => query.bind(text),
        other => query.bind(other.as_i64().unwrap()),
    };
    query.bind(exchange).execute(&mut *conn).await.unwrap();
}

#[tokio::test]
async fn loans_are_reminded_the_day_before_and_when_overdue_once_and_unconfirmed_deliveries_complete_by_themselves() {
    let smtp = SmtpServer::start();
    let port = smtp.port;
    let instance = TestInstance::start_with(move |config| with_smtp(config, port)).await;
    let services = &instance.server.state.services;
    let alice = instance.member_with_token("alice", Role::Member).await;
    let bruno = instance.member_with_token("bruno", Role::Member).await;
    give_address(&instance, "alice", "alice@example.org", true).await;
    give_address(&instance, "bruno", "bruno@example.org", true).await;
    let drill = instance.listing(&alice, listing_body("Perceuse", json!({"mode": "lend"}))).await;
    let body = json!({"listing_id": drill["id"], "terms": {"from": day(1), "until": day(6)}});
    let exchange =
        instance.api().token(&bruno).post("/api/v1/exchanges", &body).await.json()["id"].as_str().unwrap().to_owned();
    for name in ["accept", "hand-over"] {
        let path = format!("/api/v1/exchanges/{exchange}/{name}");
        assert_eq!(instance.api().token(&alice).post(&path, &json!({})).await.status, StatusCode::OK, "{name}");
    }
    smtp.wait_for_subject("bruno@example.org", "Objet remis : Perceuse").await;

    // The day before the due date: Bruno is reminded, once.
    as_if(&instance, &exchange, "until_date = $1", json!(day(1))).await;
    let reminded = maillage_server::services::exchanges::upkeep::remind_loans(services).await.unwrap();
    assert_eq!(reminded, 1);
    assert_eq!(maillage_server::services::exchanges::upkeep::remind_loans(services).await.unwrap(), 0, "once");
    smtp.wait_for_subject("bruno@example.org", "Rappel : « Perceuse » est à rendre demain").await;

    // Past it: overdue on both sides, both told once.
    as_if(&instance, &exchange, "until_date = $1", json!(day(-2))).await;
    let seen = instance.api().token(&bruno).get(&format!("/api/v1/exchanges/{exchange}")).await.json();
    assert_eq!(seen["overdue"], true, "{seen}");
    assert_eq!(maillage_server::services::exchanges::upkeep::remind_loans(services).await.unwrap(), 1);
    assert_eq!(maillage_server::services::exchanges::upkeep::remind_loans(services).await.unwrap(), 0);
    smtp.wait_for_subject("alice@example.org", "Prêt en retard : « Perceuse »").await;
    smtp.wait_for_subject("bruno@example.org", "Prêt en retard : « Perceuse »").await;

    // A renewal moves the due date: it is reminded again for the new one.
    let later = day(8);
    let path = format!("/api/v1/exchanges/{exchange}/renew");
    assert_eq!(instance.api().token(&bruno).post(&path, &json!({"until": later})).await.status, StatusCode::OK);
    let path = format!("/api/v1/exchanges/{exchange}/accept-renewal");
    assert_eq!(instance.api().token(&alice).post(&path, &json!({})).await.status, StatusCode::OK);
    let seen = instance.api().token(&bruno).get(&format!("/api/v1/exchanges/{exchange}")).await.json();
    assert_eq!((seen["overdue"].as_bool(), seen["terms"]["until"].as_str()), (Some(false), Some(later.as_str())));

    // An order delivered eight days ago and never confirmed completes by itself (7 days by default).
    let apples =
        instance.listing(&alice, listing_body("Pommes", json!({"mode": "sell", "quantity": 10, "unit": "kg"}))).await;
    let body = json!({"listing_id": apples["id"], "terms": {"quantity": 2, "from": day(1)}});
    let order =
        instance.api().token(&bruno).post("/api/v1/exchanges", &body).await.json()["id"].as_str().unwrap().to_owned();
    for name in ["accept", "deliver"] {
        let path = format!("/api/v1/exchanges/{order}/{name}");
        assert_eq!(instance.api().token(&alice).post(&path, &json!({})).await.status, StatusCode::OK, "{name}");
    }
    let upkeep = maillage_server::services::exchanges::upkeep::complete_unconfirmed;
    assert_eq!(upkeep(services).await.unwrap(), 0, "delivered just now: not yet");
    let eight_days_ago = time::OffsetDateTime::now_utc().unix_timestamp() * 1000 - 8 * 86_400_000;
    as_if(&instance, &order, "provider_done_at = $1", json!(eight_days_ago)).await;
    assert_eq!(upkeep(services).await.unwrap(), 1);
    let done = instance.api().token(&bruno).get(&format!("/api/v1/exchanges/{order}")).await.json();
    assert_eq!(done["state"], "completed", "{done}");
    let listing = instance.api().get(&format!("/api/v1/listings/{}", apples["id"].as_str().unwrap())).await.json();
    assert_eq!(listing["quantity"], 8.0, "the 2 kg are taken off: {listing}");
    smtp.wait_for_subject("bruno@example.org", "Échange terminé : Pommes").await;
    instance.stop().await;
}

#[tokio::test]
async fn the_api_sets_a_member_s_address_and_calendar() {
    let instance = TestInstance::start().await;
    let token = instance.member_with_token("alice", Role::Member).await;
    let api = instance.api().token(&token);
    let settings = api.get("/api/v1/me/notifications").await.json();
    assert_eq!(
        settings,
        json!({"email": null, "notify_by_email": true, "email_available": false, "calendar_url": null})
    );
    api.put("/api/v1/me/notifications", &json!({"email": "alice@", "notify_by_email": true}))
        .await
        .assert_field_error("email");
    let saved =
        api.put("/api/v1/me/notifications", &json!({"email": "alice@example.org", "notify_by_email": false})).await;
    assert_eq!(saved.status, StatusCode::OK, "{saved:?}");
    assert_eq!(
        (saved.json()["email"].as_str(), saved.json()["notify_by_email"].as_bool()),
        (Some("alice@example.org"), Some(false))
    );
    let made = api.post("/api/v1/me/calendar", &json!({})).await;
    assert_eq!(made.status, StatusCode::CREATED, "{made:?}");
    let url = made.json()["calendar_url"].as_str().unwrap().to_owned();
    let path = format!("/calendar/{}", url.rsplit('/').next().unwrap());
    assert_eq!(instance.browser().get(&path).await.status, StatusCode::OK);
    assert_eq!(api.get("/api/v1/me/notifications").await.json()["calendar_url"], url);
    assert_eq!(api.delete("/api/v1/me/calendar").await.status, StatusCode::NO_CONTENT);
    assert_eq!(instance.browser().get(&path).await.status, StatusCode::NOT_FOUND);
    let cleared = api.put("/api/v1/me/notifications", &json!({"email": null, "notify_by_email": true})).await.json();
    assert!(cleared["email"].is_null());
    instance.stop().await;
}
