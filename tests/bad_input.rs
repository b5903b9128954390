//! Bad input, everywhere a client or a browser can send it: every rejection has the right status, a
//! JSON (or HTML) error naming what is wrong, stores nothing, and is never a 500.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

mod common;

use common::{PASSWORD, Reply, TestInstance, html_text, listing_body};
use maillage_server::domain::member::Role;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// Posts `body` as a new listing and asserts it was refused with 422 naming `field`, and that
/// nothing was stored.
async fn refused(instance: &TestInstance, token: &str, body: Value, field: &str) -> Reply {
    let reply = instance.api().token(token).post("/api/v1/listings", &body).await;
    reply.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    reply.assert_field_error(field);
    assert_eq!(instance.count_listings().await, 0, "a rejected listing was stored: {body}");
    reply
}

fn without(mut body: Value, key: &str) -> Value {
    body.as_object_mut().unwrap().remove(key);
    body
}

/// Whether the error body names `word`, in its message or its fields.
fn names(reply: &Reply, word: &str) -> bool {
    let body = reply.json();
    body["message"].as_str().is_some_and(|m| m.contains(word))
        || body["fields"].as_object().is_some_and(|f| f.keys().any(|k| k.contains(word)))
}

#[tokio::test]
async fn invalid_listing_fields_are_named_and_nothing_is_stored() {
    let instance = TestInstance::start().await;
    let token = instance.member_with_token("alice", Role::Member).await;
    let valid = || listing_body("Perceuse à percussion", json!({}));
    let with = |overrides: Value| listing_body("Perceuse à percussion", overrides);

    let reply = refused(&instance, &token, with(json!({"title": "ab"})), "title").await;
    assert_eq!(reply.json()["message"], "Certains champs sont à corriger.");
    assert_eq!(reply.json()["fields"]["title"], "Au moins 3 caractères.");
    refused(&instance, &token, with(json!({"title": "   "})), "title").await;
    refused(&instance, &token, with(json!({"title": "x".repeat(121)})), "title").await;
    refused(&instance, &token, without(valid(), "purpose"), "purpose").await;
    refused(&instance, &token, with(json!({"purpose": "sell"})), "purpose").await;
    refused(&instance, &token, with(json!({"mode": "rent"})), "mode").await;
    refused(&instance, &token, with(json!({"category": "spaceships"})), "category").await;
    refused(&instance, &token, with(json!({"unit": "furlong"})), "unit").await;
    refused(&instance, &token, with(json!({"quantity": 0})), "quantity").await;
    refused(&instance, &token, with(json!({"quantity": -3})), "quantity").await;
    refused(
        &instance,
        &token,
        with(json!({"location": {"name": "Nulle part", "latitude": 91, "longitude": 3.0}})),
        "latitude",
    )
    .await;
    refused(
        &instance,
        &token,
        with(json!({"location": {"name": "Nulle part", "latitude": 50.0, "longitude": -181}})),
        "longitude",
    )
    .await;
    let reply = instance
        .api()
        .token(&token)
        .post("/api/v1/listings", &with(json!({"location": {"name": "Lille", "latitude": 50.63}})))
        .await;
    reply.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert!(reply.error_fields().iter().any(|f| f.contains("longitude") || f == "location"), "{reply:?}");
    refused(
        &instance,
        &token,
        with(json!({"available_from": "2026-12-10", "available_until": "2026-12-01"})),
        "available_until",
    )
    .await;
    refused(&instance, &token, with(json!({"available_from": "01/12/2026"})), "available_from").await;
    refused(&instance, &token, with(json!({"available_from": "2026-02-30"})), "available_from").await;
    refused(&instance, &token, with(json!({"price_cents": -5})), "price_cents").await;
    refused(&instance, &token, with(json!({"price_kind": "gratis"})), "price_kind").await;
    refused(&instance, &token, with(json!({"price_kind": "free", "price_cents": 500})), "price_cents").await;
    refused(&instance, &token, with(json!({"price_kind": "fixed"})), "price_cents").await;
    refused(&instance, &token, with(json!({"price_kind": "solidarity", "price_cents": 500})), "reduced_price_cents")
        .await;
    let dearer = json!({"price_kind": "solidarity", "price_cents": 500, "reduced_price_cents": 800});
    refused(&instance, &token, with(dearer), "reduced_price_cents").await;
    refused(&instance, &token, with(json!({"price_cents": 500, "reduced_price_cents": 200})), "reduced_price_cents")
        .await;
    refused(&instance, &token, with(json!({"price_basis": "per_unit"})), "price_basis").await;
    refused(&instance, &token, with(json!({"price_basis": "monthly", "price_cents": 500})), "price_basis").await;
    let per_unit_without_unit = without(with(json!({"price_cents": 150, "price_basis": "per_unit"})), "unit");
    refused(&instance, &token, per_unit_without_unit, "unit").await;
    refused(&instance, &token, with(json!({"mode": "service", "unit": "kg"})), "unit").await;
    refused(&instance, &token, with(json!({"status": "sold"})), "status").await;
    refused(&instance, &token, with(json!({"visibility": "everyone"})), "visibility").await;
    refused(&instance, &token, with(json!({"description": "d".repeat(5001)})), "description").await;

    // Every problem at once.
    let reply = refused(&instance, &token, with(json!({"title": "ab", "mode": "rent", "quantity": 0})), "title").await;
    for field in ["mode", "quantity"] {
        reply.assert_field_error(field);
    }

    // An unknown field is refused, naming it, rather than silently dropped.
    let reply = instance.api().token(&token).post("/api/v1/listings", &with(json!({"colour": "blue"}))).await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{reply:?}");
    assert!(names(&reply, "colour"), "the unknown field is named: {reply:?}");
    assert_eq!(instance.count_listings().await, 0);

    // And the valid one is accepted, so the rejections above were about the fields.
    instance.listing(&token, valid()).await;
    assert_eq!(instance.count_listings().await, 1);
    instance.stop().await;
}

#[tokio::test]
async fn malformed_bodies() {
    let instance = TestInstance::start().await;
    let token = instance.member_with_token("alice", Role::Member).await;
    let api = instance.api().token(&token);
    let json_type = Some("application/json");

    let reply = api.raw(Method::POST, "/api/v1/listings", json_type, b"{\"title\": ".to_vec()).await;
    reply.assert_error(StatusCode::BAD_REQUEST, "invalid_json");
    let reply = api.raw(Method::POST, "/api/v1/listings", json_type, b"not json at all".to_vec()).await;
    reply.assert_error(StatusCode::BAD_REQUEST, "invalid_json");
    let reply = api.raw(Method::POST, "/api/v1/listings", json_type, Vec::new()).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "an empty body: {reply:?}");

    let reply = api.raw(Method::POST, "/api/v1/listings", json_type, b"[1, 2, 3]".to_vec()).await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "an array instead of an object: {reply:?}");
    assert!(reply.json()["error"].is_string(), "{reply:?}");

    let reply = api.post("/api/v1/listings", &listing_body("Perceuse", json!({"quantity": "many"}))).await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "a wrong type: {reply:?}");
    assert!(names(&reply, "quantity"), "the field is named: {reply:?}");
    let reply = api.post("/api/v1/listings", &listing_body("Perceuse", json!({"title": 42}))).await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "a wrong type: {reply:?}");

    let body = serde_json::to_vec(&listing_body("Perceuse", json!({}))).unwrap();
    let reply = api.raw(Method::POST, "/api/v1/listings", None, body.clone()).await;
    reply.assert_error(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type");
    let reply = api.raw(Method::POST, "/api/v1/listings", Some("text/plain"), body.clone()).await;
    reply.assert_error(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type");
    let reply = api
        .raw(Method::POST, "/api/v1/listings", Some("application/x-www-form-urlencoded"), b"title=Perceuse".to_vec())
        .await;
    reply.assert_error(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type");

    let huge = listing_body("Perceuse", json!({"description": "x".repeat(300 * 1024)}));
    let reply = api.post("/api/v1/listings", &huge).await;
    reply.assert_error(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large");
    let reply = instance.api().post("/api/v1/accounts", &json!({"username": "x".repeat(300 * 1024)})).await;
    reply.assert_error(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large");

    // Malformed bodies elsewhere too.
    let reply = instance.api().raw(Method::POST, "/api/v1/sessions", json_type, b"{".to_vec()).await;
    reply.assert_error(StatusCode::BAD_REQUEST, "invalid_json");
    let reply = instance.api().raw(Method::POST, "/api/v1/accounts", None, b"{}".to_vec()).await;
    reply.assert_error(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type");
    assert_eq!(instance.count_listings().await, 0);
    instance.stop().await;
}

#[tokio::test]
async fn routes_methods_and_tokens() {
    let instance = TestInstance::start().await;
    let alice = instance.member_with_token("alice", Role::Member).await;
    let bob = instance.member_with_token("bob", Role::Member).await;
    let listing = instance.listing(&alice, listing_body("Scie circulaire", json!({}))).await;
    let path = format!("/api/v1/listings/{}", listing["id"].as_str().unwrap());

    instance.api().get("/api/v1/nothing/here").await.assert_error(StatusCode::NOT_FOUND, "not_found");
    instance
        .api()
        .get("/api/v1/listings/0123456789abcdef0123456789abcdef")
        .await
        .assert_error(StatusCode::NOT_FOUND, "not_found");
    instance.api().get("/api/v1/listings/not-an-id").await.assert_error(StatusCode::NOT_FOUND, "not_found");
    let reply = instance.api().raw(Method::PUT, "/api/v1/listings", Some("application/json"), b"{}".to_vec()).await;
    reply.assert_error(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed");
    instance
        .api()
        .delete("/api/v1/categories")
        .await
        .assert_error(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed");

    // Without a token, with a broken one, with an unknown one.
    let body = listing_body("Scie à onglet", json!({}));
    instance.api().post("/api/v1/listings", &body).await.assert_error(StatusCode::UNAUTHORIZED, "unauthorized");
    instance
        .api()
        .token("abc")
        .post("/api/v1/listings", &body)
        .await
        .assert_error(StatusCode::UNAUTHORIZED, "unauthorized");
    let unknown = "ab".repeat(32);
    instance
        .api()
        .token(&unknown)
        .post("/api/v1/listings", &body)
        .await
        .assert_error(StatusCode::UNAUTHORIZED, "unauthorized");
    // A bad token is refused even where a visitor would be welcome.
    instance.api().token(&unknown).get("/api/v1/listings").await.assert_error(StatusCode::UNAUTHORIZED, "unauthorized");
    let reply = instance
        .api()
        .send(instance.api().request(Method::GET, "/api/v1/me").header("authorization", "Basic YWxpY2U6eA=="))
        .await;
    reply.assert_error(StatusCode::UNAUTHORIZED, "unauthorized");
    // A web session cookie is not an API token.
    let reply = instance
        .api()
        .send(instance.api().request(Method::GET, "/api/v1/me").header("cookie", format!("maillage_session={alice}")))
        .await;
    reply.assert_error(StatusCode::UNAUTHORIZED, "unauthorized");
    assert_eq!(instance.count_listings().await, 1);

    // Someone else's listing.
    let bob_api = instance.api().token(&bob);
    bob_api.patch(&path, &json!({"title": "Volée par Bob"})).await.assert_error(StatusCode::FORBIDDEN, "forbidden");
    bob_api.patch(&path, &json!({"status": "closed"})).await.assert_error(StatusCode::FORBIDDEN, "forbidden");
    bob_api.delete(&path).await.assert_error(StatusCode::FORBIDDEN, "forbidden");
    instance.api().delete(&path).await.assert_error(StatusCode::UNAUTHORIZED, "unauthorized");
    let unchanged = instance.api().get(&path).await.json();
    assert_eq!(unchanged["title"], "Scie circulaire");
    assert_eq!(unchanged["status"], "active");

    // Bad patches of one's own listing.
    let alice_api = instance.api().token(&alice);
    alice_api.patch(&path, &json!({"status": "sold"})).await.assert_field_error("status");
    alice_api.patch(&path, &json!({"title": null})).await.assert_field_error("title");
    alice_api.patch(&path, &json!({"quantity": -1})).await.assert_field_error("quantity");
    let reply = alice_api.patch(&path, &json!({"colour": "blue"})).await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{reply:?}");
    let reply = alice_api.raw(Method::PATCH, &path, Some("application/json"), b"{\"title\"".to_vec()).await;
    reply.assert_error(StatusCode::BAD_REQUEST, "invalid_json");
    assert_eq!(instance.api().get(&path).await.json(), unchanged);
    instance.stop().await;
}

#[tokio::test]
async fn invalid_search_parameters() {
    let instance = TestInstance::start().await;
    let api = instance.api();
    let cases: &[(&[(&str, &str)], &str)] = &[
        (&[("near", "abc")], "near"),
        (&[("near", "91,3")], "near"),
        (&[("near", "50.6;3.0")], "near"),
        (&[("radius_km", "10")], "near"),
        (&[("near", "50.63,3.06"), ("radius_km", "5000")], "radius_km"),
        (&[("near", "50.63,3.06"), ("radius_km", "-1")], "radius_km"),
        (&[("near", "50.63,3.06"), ("radius_km", "far")], "radius_km"),
        (&[("sort", "random")], "sort"),
        (&[("sort", "nearest")], "near"),
        (&[("page", "0")], "page"),
        (&[("page", "abc")], "page"),
        (&[("page", "-2")], "page"),
        (&[("per_page", "1000")], "per_page"),
        (&[("per_page", "0")], "per_page"),
        (&[("purpose", "sell")], "purpose"),
        (&[("mode", "rent")], "mode"),
        (&[("category", "spaceships")], "category"),
    ];
    for (query, field) in cases {
        let reply = api.search(query).await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{query:?}: {reply:?}");
        assert!(reply.json()["error"].is_string(), "{query:?}: {reply:?}");
        reply.assert_field_error(field);
    }
    // The web catalogue says so too, as a page.
    let mut browser = instance.browser();
    let reply = browser.get("/catalogue?radius_km=5000&near=50.63,3.06").await;
    assert!(matches!(reply.status.as_u16(), 200 | 422), "{reply:?}");
    assert!(reply.content_type().starts_with("text/html"), "{reply:?}");
    assert!(html_text(&reply.text).contains("Le rayon doit être compris entre 0 et 1000 km."), "{reply:?}");
    instance.stop().await;
}

#[tokio::test]
async fn invalid_registrations() {
    let instance = TestInstance::start().await;
    let api = instance.api();
    let register = |username: &str, password: &str, kind: &str| json!({"username": username, "password": password, "display_name": "Quelqu'un", "kind": kind});
    let cases = [
        (register("al", PASSWORD, "person"), "username"),
        (register("élodie", PASSWORD, "person"), "username"),
        (register("a b c", PASSWORD, "person"), "username"),
        (register("gaston", "short", "person"), "password"),
        (register("gaston", PASSWORD, "robot"), "kind"),
        (
            json!({"username": "gaston", "password": PASSWORD, "display_name": "x".repeat(81), "kind": "person"}),
            "display_name",
        ),
    ];
    for (body, field) in cases {
        let reply = api.post("/api/v1/accounts", &body).await;
        reply.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
        reply.assert_field_error(field);
    }
    let reply = api.post("/api/v1/accounts", &register("gaston", "short", "person")).await;
    assert_eq!(reply.json()["fields"]["password"], "Le mot de passe doit faire au moins 10 caractères.");
    assert!(maillage_server::services::accounts::all(instance.db(), 10).await.unwrap().is_empty(), "nothing stored");
    let reply = api.post("/api/v1/sessions", &json!({"username": "gaston"})).await;
    assert!(reply.status.is_client_error(), "{reply:?}");
    instance.stop().await;
}

#[tokio::test]
async fn web_forms_need_their_csrf_field() {
    let instance = TestInstance::start().await;
    instance.create_member("alice", Role::Member).await;
    let mut browser = instance.browser();
    browser.login_ok("alice").await;
    browser.get("/listings/new").await;
    let form = [
        ("purpose", "offer"),
        ("mode", "give"),
        ("category", "materials-wood"),
        ("title", "Chutes de contreplaqué"),
        ("quantity", "3"),
        ("unit", "m2"),
    ];

    let reply = browser.post_raw("/listings", &form).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN, "no csrf field: {reply:?}");
    let mut wrong = form.to_vec();
    let forged = "0".repeat(64);
    wrong.push(("csrf", &forged));
    let reply = browser.post_raw("/listings", &wrong).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN, "a wrong csrf field: {reply:?}");
    assert!(reply.content_type().starts_with("text/html"), "{reply:?}");
    assert_eq!(instance.count_listings().await, 0);

    // A browser that has no CSRF cookie at all (a cross-site request) is refused as well.
    let mut stranger = instance.browser();
    let reply = stranger.post_raw("/login", &[("username", "alice"), ("password", PASSWORD), ("csrf", &forged)]).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN, "{reply:?}");
    let reply = stranger.post_raw("/logout", &[]).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN, "{reply:?}");

    // With the right field it works, so the refusals above were about the token.
    let reply = browser.post("/listings", &form).await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{reply:?}");
    assert_eq!(instance.count_listings().await, 1);
    instance.stop().await;
}

#[tokio::test]
async fn web_listing_form_with_errors_is_shown_again() {
    let instance = TestInstance::start().await;
    instance.create_member("alice", Role::Member).await;
    let mut browser = instance.browser();
    browser.login_ok("alice").await;
    let title = "Tabouret en chêne massif";
    let reply = browser
        .submit(
            "/listings/new",
            "/listings",
            &[
                ("purpose", "offer"),
                ("mode", "give"),
                ("category", "objects-tools"),
                ("title", title),
                ("description", "Un peu bancal"),
                ("quantity", "-3"),
                ("unit", "piece"),
                ("price", "douze euros"),
                ("location_name", "Lille"),
                ("latitude", "95"),
                ("longitude", "3.06"),
                ("available_from", "2026-12-01"),
                ("available_until", "2026-11-01"),
                ("visibility", "public"),
            ],
        )
        .await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{reply:?}");
    let page = html_text(&reply.text);
    assert!(page.contains(title), "the submitted title is kept: {reply:?}");
    assert!(page.contains("Un peu bancal"), "the description is kept: {reply:?}");
    for message in [
        "La quantité doit être supérieure à zéro.",
        "Prix invalide",
        "La latitude doit être comprise entre -90 et 90.",
        "La date de fin doit suivre la date de début.",
    ] {
        assert!(page.contains(message), "{message:?} not shown: {reply:?}");
    }
    assert!(reply.text.contains("name=\"csrf\""), "the form can be submitted again: {reply:?}");
    assert_eq!(instance.count_listings().await, 0);

    // A too-short title.
    let reply = browser
        .post("/listings", &[("purpose", "offer"), ("mode", "give"), ("category", "objects-tools"), ("title", "ab")])
        .await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{reply:?}");
    assert!(html_text(&reply.text).contains("Au moins 3 caractères."), "{reply:?}");
    assert_eq!(instance.count_listings().await, 0);

    // A price per unit with no unit chosen, on an existing listing: the message, and the listing
    // as it was.
    let fields = [
        ("purpose", "offer"),
        ("mode", "sell"),
        ("category", "food-groceries"),
        ("title", "Pommes de terre en vrac"),
        ("quantity", "400"),
        ("unit", "kg"),
        ("price_kind", "fixed"),
        ("price", "1,50"),
        ("price_basis", "per_unit"),
        ("visibility", "public"),
    ];
    let created = browser.submit("/listings/new", "/listings", &fields).await;
    let location = created.location();
    let path = location.split('?').next().unwrap_or_default();
    let mut edited = fields;
    edited[5] = ("unit", "");
    edited[7] = ("price", "2");
    let reply = browser.submit(&format!("{path}/edit"), &format!("{path}/edit"), &edited).await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{reply:?}");
    let page = html_text(&reply.text);
    assert!(page.contains("Choisissez l'unité du prix"), "{reply:?}");
    assert!(page.contains("value=\"2\""), "the amount typed is kept: {reply:?}");
    let shown = html_text(&browser.get(path).await.text).replace('\u{a0}', " ");
    assert!(shown.contains("1,50 € le kg"), "the listing is unchanged: {shown}");
    instance.stop().await;
}

/// Odd input of every kind, aimed at what commonly turns into a 500: full-text query syntax, huge
/// numbers, junk identifiers, control characters. None may.
#[tokio::test]
async fn odd_input_never_breaks_the_server() {
    let instance = TestInstance::start().await;
    let token = instance.member_with_token("alice", Role::Member).await;
    instance.listing(&token, listing_body("Vélo cargo à prêter", json!({}))).await;
    let api = instance.api().token(&token);
    let mut replies = Vec::new();

    for q in [
        "\"velo",
        "velo*",
        "velo OR palette",
        "NEAR(velo palette)",
        "velo AND",
        "-velo",
        "title:velo",
        "^velo",
        "' ; DROP TABLE listings; --",
        "(((",
        "%_%",
        "\\",
        "&&||!",
        ":*",
        "velo & palette | !x",
        "💡🚲",
        "\u{0}",
        "a",
        &"velo ".repeat(100),
    ] {
        replies.push((format!("q={q}"), api.search(&[("q", q)]).await));
        replies.push((
            format!("web q={q}"),
            instance.browser().get(&format!("/catalogue?{}", common::encode(&[("q", q)]))).await,
        ));
    }
    for (name, value) in [
        ("near", "NaN,NaN"),
        ("near", "inf,3"),
        ("near", "1e400,3"),
        ("near", ","),
        ("radius_km", "NaN"),
        ("page", "99999999999999999999999"),
        ("page", "1000000"),
        ("per_page", "-1"),
        ("category", "materials' OR 1=1 --"),
        ("sort", ""),
        ("lang", "'><script>"),
    ] {
        let mut query = vec![(name, value)];
        if name == "radius_km" {
            query.push(("near", "50.63,3.06"));
        }
        replies.push((format!("{name}={value}"), api.search(&query).await));
        replies.push((
            format!("web {name}={value}"),
            instance.browser().get(&format!("/catalogue?{}", common::encode(&query))).await,
        ));
    }
    for body in [
        json!({"quantity": 1e308}),
        json!({"quantity": 1e-9}),
        json!({"price_cents": 1e20}),
        json!({"price_cents": 12.5}),
        json!({"price_cents": i64::MAX}),
        json!({"location": {"name": "x", "latitude": "NaN", "longitude": 3}}),
        json!({"location": "Lille"}),
        json!({"location": {"name": "y".repeat(500)}}),
        json!({"title": "Bell \u{7} ring"}),
        json!({"title": "Zero\u{0}byte"}),
        json!({"available_from": "99999-01-01"}),
        json!({"available_from": 20261201}),
        json!({"purpose": null}),
        json!({"category": ["materials"]}),
        json!({"visibility": "instance", "status": "closed"}),
    ] {
        let reply = api.post("/api/v1/listings", &listing_body("Curiosité", body.clone())).await;
        replies.push((format!("create {body}"), reply));
    }
    for path in [
        "/api/v1/listings/..%2F..%2Fetc%2Fpasswd",
        "/api/v1/listings/%00",
        "/api/v1/listings/' OR '1'='1",
        "/api/v1/admin/members/%00/approve",
        "/listings/..%2F..%2Fetc%2Fpasswd",
        "/listings/%00/edit",
        "/members/%00",
        "/members/'%20OR%201=1",
    ] {
        replies.push((format!("GET {path}"), api.get(path).await));
    }

    let broken: Vec<String> = replies
        .iter()
        .filter(|(_, reply)| reply.status.is_server_error())
        .map(|(what, reply)| format!("{what}: {reply:?}"))
        .collect();
    assert!(broken.is_empty(), "server errors:\n{}", broken.join("\n\n"));
    // Nothing leaked into the catalogue but the one listing and whatever valid odd ones were accepted.
    let page = instance.api().token(&token).search(&[("q", "velo")]).await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(common::titles(&page.json()), ["Vélo cargo à prêter"]);
    instance.stop().await;
}

/// Markup typed into a listing is shown as text, on every page that shows it.
#[tokio::test]
async fn markup_in_listings_is_shown_as_text() {
    let instance = TestInstance::start().await;
    let token = instance.member_with_token("alice", Role::Member).await;
    let title = "<script>alert('x')</script> Outils";
    let listing = instance
        .listing(&token, listing_body(title, json!({"description": "<img src=x onerror=alert(1)> <b>gras</b>"})))
        .await;
    assert_eq!(listing["title"], title, "the API gives the text as typed");
    let id = listing["id"].as_str().unwrap();

    let mut browser = instance.browser();
    for path in
        ["/".to_owned(), "/catalogue?q=outils".to_owned(), format!("/listings/{id}"), "/members/alice".to_owned()]
    {
        let page = browser.get(&path).await;
        assert_eq!(page.status, StatusCode::OK, "{path}: {page:?}");
        assert!(!page.text.contains("<script>alert"), "{path} runs the title as a script: {page:?}");
        assert!(!page.text.contains("<img src=x"), "{path} renders the description as markup: {page:?}");
        assert!(html_text(&page.text).contains(title), "{path} does not show the title: {page:?}");
    }
    instance.stop().await;
}
