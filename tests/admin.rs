//! Administration: approving members on an instance that asks for approval, roles, disabling, and
//! removing other members' listings; and who may not do any of it.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

mod common;

use common::{PASSWORD, TestInstance, html_text, listing_body};
use maillage_server::config::RegistrationMode;
use maillage_server::domain::member::Role;
use reqwest::StatusCode;
use serde_json::json;

async fn approval_instance() -> TestInstance {
    TestInstance::start_with(|config| config.instance.registration = RegistrationMode::Approval).await
}

fn usernames(page: &serde_json::Value) -> Vec<String> {
    let items = page["items"].as_array().or_else(|| page.as_array()).unwrap_or_else(|| panic!("no members in {page}"));
    items.iter().map(|m| m["username"].as_str().unwrap_or_default().to_owned()).collect()
}

#[tokio::test]
async fn members_wait_for_approval_then_get_in() {
    let instance = approval_instance().await;
    let admin_token = instance.member_with_token("admin", Role::Admin).await;
    let api = instance.api();

    // Through the API: registered, pending, refused at login.
    let reply = api
        .post(
            "/api/v1/accounts",
            &json!({"username": "bertrand", "password": PASSWORD, "display_name": "Bertrand", "kind": "person"}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{reply:?}");
    assert_eq!(reply.json()["status"], "pending");
    let login = json!({"username": "bertrand", "password": PASSWORD});
    api.post("/api/v1/sessions", &login).await.assert_error(StatusCode::FORBIDDEN, "pending_approval");
    // A wrong password says nothing about the account's state.
    api.post("/api/v1/sessions", &json!({"username": "bertrand", "password": "wrong password!"}))
        .await
        .assert_error(StatusCode::UNAUTHORIZED, "invalid_credentials");

    // Through the web: registered, refused at login with 403.
    let mut claire = instance.browser();
    let reply = claire.register("claire", PASSWORD).await;
    assert!(
        reply.status == StatusCode::SEE_OTHER || reply.status == StatusCode::OK,
        "registration is accepted: {reply:?}"
    );
    if reply.status == StatusCode::SEE_OTHER {
        let page = claire.follow(&reply).await;
        assert!(!page.text.contains("href=\"/members/claire\""), "a pending member is not logged in: {page:?}");
    }
    let reply = claire.login("claire", PASSWORD).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN, "{reply:?}");
    assert!(reply.text.contains("name=\"username\""), "the login form is shown again: {reply:?}");
    assert!(html_text(&reply.text).contains("Votre compte attend la validation"), "{reply:?}");

    // The admin sees both waiting.
    let admin_api = instance.api().token(&admin_token);
    let reply = admin_api.get("/api/v1/admin/members?status=pending").await;
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    let mut pending = usernames(&reply.json());
    pending.sort();
    assert_eq!(pending, ["bertrand", "claire"]);
    let active = usernames(&admin_api.get("/api/v1/admin/members?status=active").await.json());
    assert_eq!(active, ["admin"]);

    // Approved through the API.
    let reply = admin_api.post("/api/v1/admin/members/bertrand/approve", &json!({})).await;
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    assert_eq!(reply.json()["username"], "bertrand");
    assert_eq!(reply.json()["status"], "active");
    let reply = api.post("/api/v1/sessions", &login).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{reply:?}");

    // Approved through the admin pages.
    let mut admin = instance.browser();
    admin.login_ok("admin").await;
    let page = admin.get("/admin/members").await;
    assert_eq!(page.status, StatusCode::OK, "{page:?}");
    assert!(page.text.contains("claire"), "{page:?}");
    assert!(page.text.contains("/admin/members/claire/approve"), "an approve button for claire: {page:?}");
    let reply = admin.post("/admin/members/claire/approve", &[]).await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{reply:?}");
    let reply = claire.login("claire", PASSWORD).await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{reply:?}");
    assert!(claire.get("/").await.text.contains("href=\"/members/claire\""));

    let pending = usernames(&admin_api.get("/api/v1/admin/members?status=pending").await.json());
    assert!(pending.is_empty(), "{pending:?}");
    instance.stop().await;
}

#[tokio::test]
async fn disabling_promoting_and_demoting() {
    let instance = TestInstance::start().await;
    let admin_token = instance.member_with_token("admin", Role::Admin).await;
    let token = instance.member_with_token("bertrand", Role::Member).await;
    let admin_api = instance.api().token(&admin_token);
    let login = json!({"username": "bertrand", "password": PASSWORD});

    let reply = admin_api.post("/api/v1/admin/members/bertrand/disable", &json!({})).await;
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    assert_eq!(reply.json()["status"], "disabled");
    instance.api().token(&token).get("/api/v1/me").await.assert_error(StatusCode::UNAUTHORIZED, "unauthorized");
    instance.api().post("/api/v1/sessions", &login).await.assert_error(StatusCode::FORBIDDEN, "account_disabled");
    let disabled = usernames(&admin_api.get("/api/v1/admin/members?status=disabled").await.json());
    assert_eq!(disabled, ["bertrand"]);

    let reply = admin_api.post("/api/v1/admin/members/bertrand/enable", &json!({})).await;
    assert_eq!(reply.json()["status"], "active", "{reply:?}");
    let reply = instance.api().post("/api/v1/sessions", &login).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{reply:?}");
    let token = reply.json()["token"].as_str().unwrap().to_owned();

    // Promoted, bertrand can use the admin API; demoted, no more.
    let reply = admin_api.post("/api/v1/admin/members/bertrand/promote", &json!({})).await;
    assert_eq!(reply.json()["role"], "admin", "{reply:?}");
    assert_eq!(instance.api().token(&token).get("/api/v1/admin/members").await.status, StatusCode::OK);
    let reply = admin_api.post("/api/v1/admin/members/bertrand/demote", &json!({})).await;
    assert_eq!(reply.json()["role"], "member", "{reply:?}");
    instance.api().token(&token).get("/api/v1/admin/members").await.assert_error(StatusCode::FORBIDDEN, "forbidden");

    // Unknown members and actions.
    admin_api
        .post("/api/v1/admin/members/nobody_here/approve", &json!({}))
        .await
        .assert_error(StatusCode::NOT_FOUND, "not_found");
    let reply = admin_api.post("/api/v1/admin/members/bertrand/explode", &json!({})).await;
    assert!(reply.status == StatusCode::NOT_FOUND || reply.status == StatusCode::UNPROCESSABLE_ENTITY, "{reply:?}");
    assert!(reply.content_type().starts_with("application/json"), "{reply:?}");

    // The web admin page disables too; the member's web session ends.
    let mut bertrand = instance.browser();
    bertrand.login_ok("bertrand").await;
    let mut admin = instance.browser();
    admin.login_ok("admin").await;
    admin.get("/admin/members").await;
    let reply = admin.post("/admin/members/bertrand/disable", &[]).await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{reply:?}");
    assert!(!bertrand.get("/").await.text.contains("href=\"/members/bertrand\""), "the session ended");
    let reply = bertrand.login("bertrand", PASSWORD).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN, "{reply:?}");
    instance.stop().await;
}

#[tokio::test]
async fn admins_remove_other_members_listings() {
    let instance = TestInstance::start().await;
    let admin_token = instance.member_with_token("admin", Role::Admin).await;
    let alice = instance.member_with_token("alice", Role::Member).await;
    let bob = instance.member_with_token("bob", Role::Member).await;
    let first = instance.listing(&alice, listing_body("Scie sauteuse", json!({}))).await;
    let second = instance.listing(&alice, listing_body("Escabeau trois marches", json!({}))).await;
    let first_id = first["id"].as_str().unwrap();
    let second_id = second["id"].as_str().unwrap();

    // Another member may not.
    instance
        .api()
        .token(&bob)
        .delete(&format!("/api/v1/listings/{first_id}"))
        .await
        .assert_error(StatusCode::FORBIDDEN, "forbidden");
    let mut bob_browser = instance.browser();
    bob_browser.login_ok("bob").await;
    let reply = bob_browser.post(&format!("/admin/listings/{second_id}/remove"), &[]).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN, "{reply:?}");
    assert_eq!(instance.count_listings().await, 2);

    // An admin may, through the API…
    let reply = instance.api().token(&admin_token).delete(&format!("/api/v1/listings/{first_id}")).await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT, "{reply:?}");
    instance.api().get(&format!("/api/v1/listings/{first_id}")).await.assert_error(StatusCode::NOT_FOUND, "not_found");

    // …and through the admin pages.
    let mut admin = instance.browser();
    admin.login_ok("admin").await;
    let page = admin.get("/admin/listings").await;
    assert_eq!(page.status, StatusCode::OK, "{page:?}");
    assert!(html_text(&page.text).contains("Escabeau trois marches"), "{page:?}");
    assert!(html_text(&page.text).contains("Cette coopérative"), "where each listing comes from: {page:?}");
    let remove = format!("/listings/{second_id}/delete");
    assert!(page.text.contains(&format!("href=\"{remove}?from=admin\"")), "a remove button: {page:?}");
    // It asks first, naming the listing; "Cancel" goes back to the list.
    let confirm = admin.get(&format!("{remove}?from=admin")).await;
    assert!(confirm.text.contains("href=\"/admin/listings\">Annuler"), "{confirm:?}");
    assert!(
        html_text(&confirm.text).contains("Retirer l'annonce «\u{a0}Escabeau trois marches\u{a0}»\u{a0}?"),
        "{confirm:?}"
    );
    let reply = admin.post(&remove, &[]).await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{reply:?}");
    assert_eq!(reply.location(), "/admin/listings?done=listing_removed");
    instance.api().get(&format!("/api/v1/listings/{second_id}")).await.assert_error(StatusCode::NOT_FOUND, "not_found");
    assert_eq!(instance.count_listings().await, 0);
    assert!(!html_text(&admin.get("/admin/listings").await.text).contains("Escabeau trois marches"));
    instance.stop().await;
}

#[tokio::test]
async fn members_and_visitors_are_kept_out_of_administration() {
    let instance = TestInstance::start().await;
    instance.create_member("admin", Role::Admin).await;
    let token = instance.member_with_token("bertrand", Role::Member).await;
    instance.create_member("claire", Role::Member).await;

    let member_api = instance.api().token(&token);
    member_api.get("/api/v1/admin/members").await.assert_error(StatusCode::FORBIDDEN, "forbidden");
    member_api.get("/api/v1/admin/members?status=pending").await.assert_error(StatusCode::FORBIDDEN, "forbidden");
    member_api
        .post("/api/v1/admin/members/claire/disable", &json!({}))
        .await
        .assert_error(StatusCode::FORBIDDEN, "forbidden");
    member_api
        .post("/api/v1/admin/members/bertrand/promote", &json!({}))
        .await
        .assert_error(StatusCode::FORBIDDEN, "forbidden");
    instance.api().get("/api/v1/admin/members").await.assert_error(StatusCode::UNAUTHORIZED, "unauthorized");

    let mut member = instance.browser();
    member.login_ok("bertrand").await;
    assert!(!member.get("/").await.text.contains("href=\"/admin\""), "no admin link for members");
    for page in ["/admin", "/admin/members", "/admin/listings"] {
        let reply = member.get(page).await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN, "{page}: {reply:?}");
    }
    member.get("/").await;
    let reply = member.post("/admin/members/bertrand/promote", &[]).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN, "{reply:?}");
    let reply = member.post("/admin/members/claire/disable", &[]).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN, "{reply:?}");
    let me = member_api.get("/api/v1/me").await.json();
    assert_eq!(me["role"], "member", "bertrand promoted himself: {me}");
    let claire = maillage_server::services::accounts::find(instance.db(), "claire").await.unwrap().unwrap();
    assert_eq!(claire.status.to_string(), "active");

    let mut visitor = instance.browser();
    for page in ["/admin", "/admin/members"] {
        let reply = visitor.get(page).await;
        assert_eq!(reply.status, StatusCode::SEE_OTHER, "{page}: {reply:?}");
        assert!(reply.location().starts_with("/login"), "{page}: {reply:?}");
    }

    let mut admin = instance.browser();
    admin.login_ok("admin").await;
    let home = admin.get("/").await;
    assert!(home.text.contains("href=\"/admin\""), "an admin link for admins: {home:?}");
    let page = admin.get("/admin").await;
    assert_eq!(page.status, StatusCode::OK, "{page:?}");
    instance.stop().await;
}
