//! Listings through the API: creation, reading, partial updates (absent vs `null`), permissions,
//! pages.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use super::{Reply, TestApp, listing_body};
use crate::domain::member::Role;

async fn create(app: &TestApp, token: &str, body: Value) -> Value {
    let reply = app.json(Method::POST, "/api/v1/listings", Some(token), &body).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{reply:?}");
    reply.json()
}

fn path(listing: &Value) -> String {
    format!("/api/v1/listings/{}", listing["id"].as_str().unwrap())
}

#[tokio::test]
async fn a_created_listing_has_its_location_and_reads_back_the_same() {
    let app = TestApp::new().await;
    let token = app.member("camille", Role::Member).await;
    let reply = app
        .json(
            Method::POST,
            "/api/v1/listings",
            Some(&token),
            &listing_body("Vélo cargo à prêter", json!({"price_cents": 1250, "available_until": "2027-01-31"})),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{reply:?}");
    let listing = reply.json();
    let id = listing["id"].as_str().unwrap();
    assert_eq!(reply.headers["location"], format!("http://localhost:8080/api/v1/listings/{id}").as_str());
    assert_eq!(listing["url"], format!("http://localhost:8080/listings/{id}"));
    assert_eq!(listing["author"]["url"], "http://localhost:8080/members/camille");
    assert_eq!(listing["price_cents"], 1250);
    assert_eq!(listing["quantity"], 1.0);
    assert_eq!(listing["category_label"], "Vélos et réparation");
    assert_eq!(listing["location"], json!({"name": "Lille", "latitude": 50.63, "longitude": 3.06}));
    assert_eq!(listing["available_until"], "2027-01-31");
    let created_at = listing["created_at"].as_str().unwrap();
    assert!(
        created_at.ends_with('Z')
            && time::OffsetDateTime::parse(created_at, &time::format_description::well_known::Rfc3339).is_ok(),
        "{created_at}"
    );
    assert!(listing.get("distance_km").is_none(), "{listing}");
    assert_eq!(app.get(&path(&listing), None).await.json(), listing);
    let english =
        app.send_with(Method::GET, &path(&listing), None, None, Vec::new(), &[("accept-language", "en")]).await;
    assert_eq!(english.json()["category_label"], "Bikes & repair");

    // Missing required fields are all named at once, as validation errors.
    let reply = app.json(Method::POST, "/api/v1/listings", Some(&token), &json!({"quantity": 0})).await;
    let error = reply.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    for field in ["purpose", "mode", "category", "title", "quantity"] {
        assert!(error["fields"][field].is_string(), "{field}: {error}");
    }
    assert_eq!(error["fields"]["purpose"], "Ce champ est obligatoire.");
    assert_eq!(app.count_listings().await, 1);
}

async fn patch(app: &TestApp, path: &str, token: &str, body: Value) -> Reply {
    app.json(Method::PATCH, path, Some(token), &body).await
}

#[tokio::test]
async fn patch_changes_given_fields_and_null_clears_optional_ones() {
    let app = TestApp::new().await;
    let token = app.member("camille", Role::Member).await;
    let original = create(
        &app,
        &token,
        listing_body(
            "Cours de réparation",
            json!({"price_cents": 1500, "unit": "hour", "available_until": "2027-01-31"}),
        ),
    )
    .await;
    let target = path(&original);

    // Absent fields stay.
    let edited = patch(&app, &target, &token, json!({"title": "Atelier de réparation"})).await;
    assert_eq!(edited.status, StatusCode::OK, "{edited:?}");
    let edited = edited.json();
    assert_eq!(edited["title"], "Atelier de réparation");
    for unchanged in [
        "purpose",
        "mode",
        "category",
        "description",
        "quantity",
        "unit",
        "price_cents",
        "location",
        "available_from",
        "available_until",
        "status",
        "visibility",
        "created_at",
    ] {
        assert_eq!(edited[unchanged], original[unchanged], "{unchanged}");
    }

    // `null` clears.
    let cleared = patch(
        &app,
        &target,
        &token,
        json!({"price_cents": null, "quantity": null, "available_until": null, "description": null}),
    )
    .await
    .json();
    assert_eq!(cleared["price_cents"], Value::Null);
    assert_eq!(cleared["quantity"], Value::Null);
    assert_eq!(cleared["available_until"], Value::Null);
    assert_eq!(cleared["description"], "");
    assert_eq!(cleared["available_from"], "2026-12-01");
    assert_eq!(cleared["unit"], "hour");

    // The location merges field by field, and `null` removes it; a new name alone is a new place,
    // looked up in the gazetteer.
    let moved = patch(&app, &target, &token, json!({"location": {"latitude": 50.64}})).await.json();
    assert_eq!(moved["location"], json!({"name": "Lille", "latitude": 50.64, "longitude": 3.06}));
    let moved = patch(&app, &target, &token, json!({"location": {"name": "Roubaix"}})).await.json();
    assert_eq!(moved["location"], json!({"name": "Roubaix", "latitude": 50.6942, "longitude": 3.1746}));
    // Coordinates removed from a commune's name: the commune's own come back.
    let moved = patch(&app, &target, &token, json!({"location": {"latitude": 50.7, "longitude": 3.2}})).await.json();
    assert_eq!(moved["location"], json!({"name": "Roubaix", "latitude": 50.7, "longitude": 3.2}));
    let moved = patch(&app, &target, &token, json!({"location": {"latitude": null, "longitude": null}})).await.json();
    assert_eq!(moved["location"], json!({"name": "Roubaix", "latitude": 50.6942, "longitude": 3.1746}));
    // A name that names no commune, without coordinates, is refused; the listing stays.
    let reply = app.json(Method::PATCH, &target, Some(&token), &json!({"location": {"name": "Chez moi"}})).await;
    reply.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert!(reply.json()["fields"]["location.name"].as_str().unwrap_or_default().contains("Chez moi"), "{reply:?}");
    let kept = app.get(&target, Some(&token)).await.json();
    assert_eq!(kept["location"]["name"], "Roubaix");
    let nowhere = patch(&app, &target, &token, json!({"location": null})).await.json();
    assert_eq!(nowhere["location"], Value::Null);

    // `null` for a required field, and invalid values: 422, all named, nothing changes.
    let before = app.get(&path(&original), Some(&token)).await.json();
    let reply =
        patch(&app, &target, &token, json!({"title": null, "status": null, "mode": "rent", "quantity": -1})).await;
    let error = reply.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(error["fields"]["title"], "Ce champ est obligatoire.");
    for field in ["status", "mode", "quantity"] {
        assert!(error["fields"][field].is_string(), "{field}: {error}");
    }
    assert_eq!(app.get(&path(&original), Some(&token)).await.json(), before);

    // Closing.
    let closed = patch(&app, &target, &token, json!({"status": "closed"})).await.json();
    assert_eq!(closed["status"], "closed");
    assert_eq!(closed["title"], "Atelier de réparation");
    let search = app.get("/api/v1/listings?q=atelier", Some(&token)).await.json();
    assert_eq!(search["items"], json!([]));
}

#[tokio::test]
async fn only_the_author_changes_a_listing_and_moderators_remove_it() {
    let app = TestApp::new().await;
    let alice = app.member("alice", Role::Member).await;
    let bob = app.member("bob", Role::Member).await;
    let moderator = app.member("modo", Role::Moderator).await;
    let listing = create(&app, &alice, listing_body("Scie circulaire", json!({}))).await;

    app.json(Method::PATCH, &path(&listing), Some(&bob), &json!({"title": "Volée"}))
        .await
        .assert_error(StatusCode::FORBIDDEN, "forbidden");
    app.json(Method::PATCH, &path(&listing), None, &json!({"title": "Volée"}))
        .await
        .assert_error(StatusCode::UNAUTHORIZED, "unauthorized");
    app.json(Method::PATCH, &path(&listing), Some(&moderator), &json!({"title": "Volée"}))
        .await
        .assert_error(StatusCode::FORBIDDEN, "forbidden");
    app.send(Method::DELETE, &path(&listing), Some(&bob), None, Vec::new())
        .await
        .assert_error(StatusCode::FORBIDDEN, "forbidden");
    assert_eq!(app.get(&path(&listing), None).await.json()["title"], "Scie circulaire");

    let reply = app.send(Method::DELETE, &path(&listing), Some(&moderator), None, Vec::new()).await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT, "{reply:?}");
    app.get(&path(&listing), None).await.assert_error(StatusCode::NOT_FOUND, "not_found");
    app.json(Method::PATCH, &path(&listing), Some(&alice), &json!({"title": "Revenue"}))
        .await
        .assert_error(StatusCode::NOT_FOUND, "not_found");
    app.get("/api/v1/listings/not-an-id", None).await.assert_error(StatusCode::NOT_FOUND, "not_found");
    assert_eq!(app.count_listings().await, 0);
}

#[tokio::test]
async fn members_only_listings_are_hidden_from_visitors() {
    let app = TestApp::new().await;
    let token = app.member("alice", Role::Member).await;
    let listing = create(&app, &token, listing_body("Local partagé", json!({"visibility": "instance"}))).await;
    app.get(&path(&listing), None).await.assert_error(StatusCode::NOT_FOUND, "not_found");
    assert_eq!(app.get(&path(&listing), Some(&token)).await.status, StatusCode::OK);
    assert_eq!(app.get("/api/v1/listings", None).await.json()["items"], json!([]));
    assert_eq!(app.get("/api/v1/listings", Some(&token)).await.json()["items"][0]["title"], "Local partagé");
    app.get("/api/v1/listings", Some(&"ab".repeat(32))).await.assert_error(StatusCode::UNAUTHORIZED, "unauthorized");
}

#[tokio::test]
async fn next_links_keep_the_filters_and_distances_are_rounded() {
    let app = TestApp::new().await;
    let token = app.member("alice", Role::Member).await;
    for (title, latitude) in [("Vélo un", 50.63), ("Vélo deux", 50.64), ("Vélo trois", 50.70)] {
        let location = json!({"name": "Nord", "latitude": latitude, "longitude": 3.06});
        create(&app, &token, listing_body(title, json!({"location": location}))).await;
    }
    let first = app.get("/api/v1/listings?q=v%C3%A9lo&near=50.63,3.06&sort=nearest&per_page=2", None).await.json();
    assert_eq!(first["page"], 1);
    assert_eq!(first["per_page"], 2);
    assert_eq!(first["has_more"], true);
    let distances: Vec<f64> =
        first["items"].as_array().unwrap().iter().map(|i| i["distance_km"].as_f64().unwrap()).collect();
    assert_eq!(distances, [0.0, 1.1], "{first}");
    let next = first["next"].as_str().unwrap();
    assert_eq!(
        next,
        "http://localhost:8080/api/v1/listings?q=v%C3%A9lo&near=50.63%2C3.06&sort=nearest&page=2&per_page=2"
    );
    let second = app.get(next.trim_start_matches("http://localhost:8080"), None).await.json();
    assert_eq!(second["page"], 2);
    assert_eq!(second["has_more"], false);
    assert_eq!(second["next"], Value::Null);
    assert_eq!(second["items"][0]["title"], "Vélo trois");
    assert!((second["items"][0]["distance_km"].as_f64().unwrap() - 7.8).abs() < 1e-9, "{second}");
}
