//! Accounts, sessions and administration through the API.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use super::{PASSWORD, Reply, TestApp};
use crate::config::RegistrationMode;
use crate::domain::member::Role;

fn usernames(list: &Value) -> Vec<&str> {
    list["items"].as_array().unwrap().iter().map(|m| m["username"].as_str().unwrap()).collect()
}

async fn act(app: &TestApp, who: &str, action: &str, token: &str) -> Reply {
    app.send(Method::POST, &format!("/api/v1/admin/members/{who}/{action}"), Some(token), None, Vec::new()).await
}

#[tokio::test]
async fn register_log_in_and_out() {
    let app = TestApp::new().await;
    let registration =
        json!({"username": "Camille", "password": PASSWORD, "display_name": "Camille D.", "kind": "person"});
    let reply = app.json(Method::POST, "/api/v1/accounts", None, &registration).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{reply:?}");
    let member = reply.json();
    let mut keys: Vec<&String> = member.as_object().unwrap().keys().collect();
    keys.sort();
    assert_eq!(keys, ["avatar", "display_name", "id", "kind", "role", "status", "url", "username"]);
    assert_eq!(member["username"], "camille");
    assert_eq!(member["status"], "active");
    assert_eq!(member["url"], "http://localhost:8080/members/camille");
    app.json(Method::POST, "/api/v1/accounts", None, &registration)
        .await
        .assert_error(StatusCode::CONFLICT, "username_taken");

    // Every missing field at once.
    let error = app.json(Method::POST, "/api/v1/accounts", None, &json!({})).await;
    let error = error.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert!(error["fields"]["username"].is_string() && error["fields"]["password"].is_string(), "{error}");

    let error = app.json(Method::POST, "/api/v1/sessions", None, &json!({"username": "camille"})).await;
    let error = error.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(error["fields"]["password"], "Ce champ est obligatoire.");
    app.json(Method::POST, "/api/v1/sessions", None, &json!({"username": "camille", "password": "wrong one!"}))
        .await
        .assert_error(StatusCode::UNAUTHORIZED, "invalid_credentials");

    let reply =
        app.json(Method::POST, "/api/v1/sessions", None, &json!({"username": "camille", "password": PASSWORD})).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{reply:?}");
    let session = reply.json();
    assert_eq!(session["member"], member);
    let token = session["token"].as_str().unwrap();
    assert_eq!(app.get("/api/v1/me", Some(token)).await.json(), member);

    // Another session of the same member survives the logout of the first.
    let other = app.member("dominique", Role::Member).await;
    let reply = app.send(Method::DELETE, "/api/v1/sessions/current", Some(token), None, Vec::new()).await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT, "{reply:?}");
    let refused = app.get("/api/v1/me", Some(token)).await;
    refused.assert_error(StatusCode::UNAUTHORIZED, "unauthorized");
    assert_eq!(refused.headers["www-authenticate"], "Bearer");
    app.send(Method::DELETE, "/api/v1/sessions/current", Some(token), None, Vec::new())
        .await
        .assert_error(StatusCode::UNAUTHORIZED, "unauthorized");
    assert_eq!(app.get("/api/v1/me", Some(&other)).await.json()["username"], "dominique");
}

#[tokio::test]
async fn admins_approve_list_and_manage_members() {
    let app = TestApp::with(|config| config.instance.registration = RegistrationMode::Approval).await;
    let admin = app.member("admin", Role::Admin).await;
    let member = app.member("claire", Role::Member).await;
    let registration = json!({"username": "bertrand", "password": PASSWORD});
    let reply = app.json(Method::POST, "/api/v1/accounts", None, &registration).await;
    assert_eq!(reply.json()["status"], "pending", "{reply:?}");
    assert_eq!(reply.json()["display_name"], "bertrand");

    let pending = app.get("/api/v1/admin/members?status=pending", Some(&admin)).await.json();
    assert_eq!(usernames(&pending), ["bertrand"]);
    let all = app.get("/api/v1/admin/members", Some(&admin)).await.json();
    assert_eq!(usernames(&all), ["admin", "claire", "bertrand"]);
    let error = app.get("/api/v1/admin/members?status=asleep", Some(&admin)).await;
    let error = error.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert!(error["fields"]["status"].is_string(), "{error}");

    act(&app, "bertrand", "approve", &member).await.assert_error(StatusCode::FORBIDDEN, "forbidden");
    let approved = act(&app, "bertrand", "approve", &admin).await;
    assert_eq!(approved.status, StatusCode::OK, "{approved:?}");
    assert_eq!(approved.json()["status"], "active");
    assert_eq!(act(&app, "Bertrand", "promote", &admin).await.json()["role"], "admin");
    assert_eq!(act(&app, "bertrand", "demote", &admin).await.json()["role"], "member");
    assert_eq!(act(&app, "claire", "disable", &admin).await.json()["status"], "disabled");
    app.get("/api/v1/me", Some(&member)).await.assert_error(StatusCode::UNAUTHORIZED, "unauthorized");
    assert_eq!(act(&app, "claire", "enable", &admin).await.json()["status"], "active");

    // Unknown members and actions; an admin cannot lock themself out.
    act(&app, "nobody_here", "approve", &admin).await.assert_error(StatusCode::NOT_FOUND, "not_found");
    act(&app, "bertrand", "explode", &admin).await.assert_error(StatusCode::NOT_FOUND, "not_found");
    act(&app, "admin", "disable", &admin).await.assert_error(StatusCode::CONFLICT, "cannot_change_self");
    act(&app, "ADMIN", "demote", &admin).await.assert_error(StatusCode::CONFLICT, "cannot_change_self");
    assert_eq!(app.get("/api/v1/me", Some(&admin)).await.json()["role"], "admin");
}
