//! Bad bodies and query strings: each gets its status and JSON error, never a 500, and stores nothing.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use super::{Reply, TestApp, listing_body};
use crate::domain::member::Role;

#[tokio::test]
async fn malformed_json_is_400() {
    let app = TestApp::new().await;
    let token = app.member("alice", Role::Member).await;
    let json = Some("application/json");
    for body in
        [&b"{\"title\": "[..], b"not json at all", b"", b"{\"title\": \"a\"} trailing", b"{\"quantity\": 1e400}"]
    {
        let reply = app.send(Method::POST, "/api/v1/listings", Some(&token), json, body.to_vec()).await;
        let error = reply.assert_error(StatusCode::BAD_REQUEST, "invalid_json");
        assert!(error["message"].as_str().unwrap().starts_with("Corps JSON invalide : "), "{error}");
    }
    // In the request's language.
    let reply =
        app.send_with(Method::POST, "/api/v1/sessions", None, json, b"{".to_vec(), &[("accept-language", "en")]).await;
    let error = reply.assert_error(StatusCode::BAD_REQUEST, "invalid_json");
    assert!(error["message"].as_str().unwrap().starts_with("Invalid JSON body: EOF while parsing"), "{error}");
    assert_eq!(app.count_listings().await, 0);
}

async fn post(app: &TestApp, token: &str, body: Value) -> Reply {
    app.json(Method::POST, "/api/v1/listings", Some(token), &body).await
}

#[tokio::test]
async fn json_of_the_wrong_shape_is_422_naming_the_field() {
    let app = TestApp::new().await;
    let token = app.member("alice", Role::Member).await;

    let error = post(&app, &token, listing_body("Perceuse", json!({"quantity": "many"})))
        .await
        .assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_json");
    assert!(error["message"].as_str().unwrap().contains("quantity: invalid type: string \"many\""), "{error}");
    assert_eq!(error["fields"]["quantity"], "Corps JSON invalide : invalid type: string \"many\", expected f64");

    let error = post(
        &app,
        &token,
        listing_body("Perceuse", json!({"location": {"name": "x", "latitude": "NaN", "longitude": 3}})),
    )
    .await
    .assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_json");
    assert!(error["fields"]["location.latitude"].is_string(), "{error}");

    let error = post(&app, &token, listing_body("Perceuse", json!({"price_cents": 12.5})))
        .await
        .assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_json");
    assert!(error["fields"]["price_cents"].is_string(), "{error}");

    // An array instead of an object: no field to blame.
    let error =
        post(&app, &token, json!([1, 2, 3])).await.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_json");
    assert!(error.get("fields").is_none(), "{error}");
    assert_eq!(app.count_listings().await, 0);
}

#[tokio::test]
async fn unknown_fields_are_refused_by_name() {
    let app = TestApp::new().await;
    let token = app.member("alice", Role::Member).await;
    let mut body = listing_body("Perceuse à percussion", json!({}));
    let title = body.as_object_mut().unwrap().remove("title").unwrap();
    body["titel"] = title;
    let reply = app.json(Method::POST, "/api/v1/listings", Some(&token), &body).await;
    let error = reply.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_json");
    assert!(error["message"].as_str().unwrap().contains("unknown field `titel`"), "{error}");

    let reply = app
        .json(
            Method::POST,
            "/api/v1/listings",
            Some(&token),
            &listing_body("Perceuse", json!({"location": {"city": "Lille"}})),
        )
        .await;
    let error = reply.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_json");
    assert!(error["message"].as_str().unwrap().contains("`city`"), "{error}");

    let reply = app.json(Method::POST, "/api/v1/accounts", None, &json!({"username": "bob", "pasword": "x"})).await;
    let error = reply.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_json");
    assert!(error["message"].as_str().unwrap().contains("`pasword`"), "{error}");
    assert_eq!(app.count_listings().await, 0);
}

#[tokio::test]
async fn content_type_and_size_are_checked() {
    let app = TestApp::new().await;
    let token = app.member("alice", Role::Member).await;
    let body = serde_json::to_vec(&listing_body("Perceuse", json!({}))).unwrap();
    for content_type in [None, Some("text/plain"), Some("application/x-www-form-urlencoded")] {
        let reply = app.send(Method::POST, "/api/v1/listings", Some(&token), content_type, body.clone()).await;
        reply.assert_error(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type");
    }
    // `application/*+json` is JSON too.
    let reply =
        app.send(Method::POST, "/api/v1/listings", Some(&token), Some("application/merge-patch+json"), body).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{reply:?}");

    let huge = listing_body("Perceuse", json!({"description": "x".repeat(300 * 1024)}));
    let reply = app.json(Method::POST, "/api/v1/listings", Some(&token), &huge).await;
    reply.assert_error(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large");
    let reply = app.json(Method::POST, "/api/v1/accounts", None, &json!({"username": "x".repeat(300 * 1024)})).await;
    reply.assert_error(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large");
    assert_eq!(app.count_listings().await, 1);
}

#[tokio::test]
async fn query_strings_of_the_wrong_shape_are_422() {
    let app = TestApp::new().await;
    let reply = app.get("/api/v1/listings?pourpose=offer", None).await;
    let error = reply.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_query");
    assert!(error["message"].as_str().unwrap().contains("`pourpose`"), "{error}");
    let reply = app.get("/api/v1/listings?q=velo&q=cargo", None).await;
    reply.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_query");
    // Parameters of the right shape but wrong value are validation errors, per field.
    let error = app.get("/api/v1/listings?page=abc&sort=random", None).await;
    let error = error.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert!(error["fields"]["page"].is_string() && error["fields"]["sort"].is_string(), "{error}");
    // `lang` is welcome.
    assert_eq!(app.get("/api/v1/listings?lang=en", None).await.status, StatusCode::OK);
}

/// A wrong type for any documented body field is blamed on that field in `fields`, which tells
/// that the extractor knows every field name the API uses.
#[tokio::test]
async fn every_documented_body_field_is_named_in_shape_errors() {
    let app = TestApp::new().await;
    let token = app.member("alice", Role::Member).await;
    let doc: Value = serde_json::from_str(super::super::OPENAPI).unwrap();
    let cases = [
        ("/api/v1/listings", Method::POST, "NewListing", ""),
        ("/api/v1/listings", Method::POST, "LocationInput", "location."),
        ("/api/v1/accounts", Method::POST, "Registration", ""),
        ("/api/v1/sessions", Method::POST, "Login", ""),
    ];
    for (path, method, schema, prefix) in cases {
        let properties = doc["components"]["schemas"][schema]["properties"].as_object().unwrap();
        assert!(!properties.is_empty(), "{schema}");
        for name in properties.keys() {
            let wrong = Value::Object([(name.clone(), json!([]))].into_iter().collect());
            let body = if prefix.is_empty() { wrong } else { json!({"location": wrong}) };
            let reply = app.json(method.clone(), path, Some(&token), &body).await;
            let error = reply.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_json");
            assert!(error["fields"][format!("{prefix}{name}")].is_string(), "{schema}.{name}: {error}");
        }
    }
}
