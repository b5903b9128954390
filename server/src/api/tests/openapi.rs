//! The OpenAPI document and the router agree: every route is documented with its method, every
//! documented operation is routed, and the examples are what the API really accepts and answers.

use std::collections::BTreeSet;

use axum::http::{Method, StatusCode};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use super::super::{OPENAPI, ROUTES, handler};
use super::{TestApp, listing_body};
use crate::domain::actor::OurActor;
use crate::domain::member::Role;

const METHODS: &[&str] = &["get", "put", "post", "delete", "options", "head", "patch", "trace"];

fn doc() -> Value {
    serde_json::from_str(OPENAPI).expect("openapi.json is JSON")
}

/// Every (METHOD, path) operation the document describes.
fn documented(doc: &Value) -> BTreeSet<(String, String)> {
    let mut operations = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in METHODS {
            if item.get(*method).is_some() {
                operations.insert((method.to_uppercase(), path.clone()));
            }
        }
    }
    operations
}

#[test]
fn the_document_is_openapi_3_1_with_a_license_and_bearer_security() {
    let doc = doc();
    assert_eq!(doc["openapi"], "3.1.0");
    assert_eq!(doc["info"]["license"]["identifier"], "AGPL-3.0-or-later");
    assert_eq!(doc["servers"][0]["url"], "/api/v1");
    assert_eq!(doc["components"]["securitySchemes"]["bearer"]["scheme"], "bearer");
    assert_eq!(doc["components"]["schemas"]["Error"]["required"], json!(["error", "message"]));
}

#[test]
fn every_route_is_documented_and_every_documented_operation_is_routed() {
    let routes: BTreeSet<(String, String)> = ROUTES.iter().map(|(m, p)| ((*m).to_owned(), (*p).to_owned())).collect();
    assert_eq!(routes.len(), ROUTES.len(), "duplicate entries in ROUTES");
    for (method, path) in ROUTES {
        assert!(handler(method, path).is_some(), "{method} {path} has no handler");
    }
    let documented = documented(&doc());
    let undocumented: Vec<_> = routes.difference(&documented).collect();
    assert!(undocumented.is_empty(), "routes missing from openapi.json: {undocumented:?}");
    let unrouted: Vec<_> = documented.difference(&routes).collect();
    assert!(unrouted.is_empty(), "documented but not routed: {unrouted:?}");
}

/// Collects every `$ref` of the document.
fn refs<'a>(value: &'a Value, out: &mut Vec<&'a str>) {
    match value {
        Value::Object(map) => {
            for (key, value) in map {
                match (key.as_str(), value) {
                    ("$ref", Value::String(target)) => out.push(target),
                    _ => refs(value, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| refs(v, out)),
        _ => {}
    }
}

#[test]
fn every_reference_resolves_and_every_path_parameter_is_declared() {
    let doc = doc();
    let mut targets = Vec::new();
    refs(&doc, &mut targets);
    assert!(!targets.is_empty());
    for target in targets {
        let pointer = target.strip_prefix('#').unwrap_or_else(|| panic!("external reference {target}"));
        assert!(doc.pointer(pointer).is_some(), "{target} does not resolve");
    }
    for (path, item) in doc["paths"].as_object().unwrap() {
        let resolve = |p: &Value| match p.get("$ref").and_then(Value::as_str) {
            Some(r) => doc.pointer(r.trim_start_matches('#')).cloned().unwrap(),
            None => p.clone(),
        };
        for method in METHODS.iter().filter(|m| item.get(**m).is_some()) {
            let mut declared: Vec<String> = Vec::new();
            for list in [&item["parameters"], &item[*method]["parameters"]] {
                for p in list.as_array().into_iter().flatten().map(resolve) {
                    if p["in"] == "path" {
                        declared.push(p["name"].as_str().unwrap().to_owned());
                    }
                }
            }
            let in_path: Vec<&str> =
                path.split('/').filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}'))).collect();
            for name in &in_path {
                assert!(declared.iter().any(|d| d == name), "{method} {path}: {{{name}}} is not declared");
            }
            assert!(item[*method]["responses"].as_object().is_some_and(|r| !r.is_empty()), "{method} {path}");
        }
    }
}

/// The examples of one operation's request body, or of one of its responses.
fn examples<'a>(operation: &'a Value, response: Option<&str>) -> Vec<&'a Value> {
    let content = match response {
        None => &operation["requestBody"]["content"],
        Some(status) => &operation["responses"][status]["content"],
    };
    content["application/json"]["examples"]
        .as_object()
        .map(|examples| examples.values().map(|e| &e["value"]).collect())
        .unwrap_or_default()
}

/// Whether an example deserializes into a request body type.
type Check = fn(&Value) -> Result<(), String>;

fn accepts<T: DeserializeOwned>(example: &Value) -> Result<(), String> {
    serde_json::from_value::<T>(example.clone()).map(|_| ()).map_err(|e| e.to_string())
}

#[test]
fn request_examples_are_bodies_the_api_accepts() {
    use super::super::{
        accounts, collectives, exchanges, federation, listing_body as bodies, notifications, photos, pictures, sessions,
    };
    let doc = doc();
    let checks: &[(&str, &str, Check)] = &[
        ("/accounts", "post", accepts::<accounts::RegistrationBody>),
        ("/sessions", "post", accepts::<sessions::LoginBody>),
        ("/listings", "post", accepts::<bodies::NewListing>),
        ("/listings/{id}", "patch", accepts::<bodies::ListingPatch>),
        ("/admin/peers", "post", accepts::<federation::PeerRequest>),
        ("/follows", "post", accepts::<federation::FollowRequest>),
        ("/listings/{id}/photos/{photo}", "patch", accepts::<photos::PhotoPatch>),
        ("/admin/cooperative", "put", accepts::<pictures::CooperativeBody>),
        ("/exchanges", "post", accepts::<exchanges::NewExchange>),
        ("/exchanges/{id}/{move}", "post", accepts::<exchanges::MoveBody>),
        ("/exchanges/{id}/messages", "post", accepts::<exchanges::NewMessage>),
        ("/me/notifications", "put", accepts::<notifications::NotificationsBody>),
        ("/collectives", "post", accepts::<collectives::NewCollective>),
        ("/collectives/{id}", "put", accepts::<collectives::CollectiveChange>),
        ("/collectives/{id}/join", "post", accepts::<collectives::JoinBody>),
        ("/collectives/{id}/charter/accept", "post", accepts::<collectives::AcceptBody>),
        ("/collectives/{id}/requests/{membership}", "post", accepts::<collectives::DecisionBody>),
        ("/collectives/{id}/invitations", "post", accepts::<collectives::InvitationBody>),
        ("/collectives/{id}/members/{membership}/role", "put", accepts::<collectives::RoleBody>),
        ("/collectives/{id}/members/{membership}", "delete", accepts::<collectives::RemovalBody>),
    ];
    let mut operations_with_body = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in METHODS.iter().filter(|m| item[**m].get("requestBody").is_some()) {
            // An upload is a form, not JSON: its fields are those the upload reads (a listing's
            // photo has its alt text too, an avatar or a logo none).
            if let Some(form) = item[*method]["requestBody"]["content"].get("multipart/form-data") {
                let fields: BTreeSet<&str> = keys(&form["schema"]["properties"]);
                let expected = if path.ends_with("/photos") {
                    BTreeSet::from([crate::http::upload::FILE_FIELD, "alt"])
                } else {
                    BTreeSet::from([crate::http::upload::FILE_FIELD])
                };
                assert_eq!(fields, expected, "{method} {path}");
                assert_eq!(form["schema"]["required"], json!([crate::http::upload::FILE_FIELD]), "{method} {path}");
                continue;
            }
            operations_with_body += 1;
            let check = checks
                .iter()
                .find(|(p, m, _)| p == path && m == method)
                .unwrap_or_else(|| panic!("{method} {path}: no body type to check its examples against"));
            let found = examples(&item[*method], None);
            assert!(!found.is_empty(), "{method} {path}: no request example");
            for example in found {
                (check.2)(example).unwrap_or_else(|e| panic!("{method} {path}: example {example} refused: {e}"));
            }
        }
    }
    assert_eq!(operations_with_body, checks.len());
}

fn keys(value: &Value) -> BTreeSet<&str> {
    value.as_object().map(|o| o.keys().map(String::as_str).collect()).unwrap_or_default()
}

/// Response examples have the shape of real answers: same keys as a listing, a member, a page, an
/// error that the API really sends.
#[tokio::test]
async fn response_examples_have_the_shape_of_real_answers() {
    let app = TestApp::new().await;
    let token = app.member("camille", Role::Member).await;
    let listing =
        app.json(Method::POST, "/api/v1/listings", Some(&token), &listing_body("Vélo cargo", json!({}))).await.json();
    let member = app.get("/api/v1/me", Some(&token)).await.json();
    let with_photo = upload_photo(&app, &token, listing["id"].as_str().unwrap()).await;
    let photo = &with_photo["photos"][0];
    let page = app.get("/api/v1/listings?near=50.6,3.0", None).await.json();
    let near = &page["items"][0];
    let error = app.get("/api/v1/me", None).await.json();
    let categories = app.get("/api/v1/categories", None).await.json();
    let places = app.get("/api/v1/places?q=roub", None).await.json();
    // A peer without any network: a blocked domain is one.
    let admin = app.member("yasmine", Role::Admin).await;
    let peer =
        app.json(Method::POST, "/api/v1/admin/peers/blocked.example.org/block", Some(&admin), &json!({})).await.json();
    let camille = crate::services::accounts::find(app.state.db(), "camille").await.unwrap().unwrap();
    let follow_row = crate::storage::follows::FollowRow {
        target: "https://atelier-velo.example.org/members/lea".to_owned(),
        follow_id: "https://maillage.example.org/activities/1".to_owned(),
        state: crate::domain::follow::FollowState::Requested,
    };
    crate::storage::follows::save_follow(
        &mut app.state.db().conn().await.unwrap(),
        OurActor::of(&camille).key(),
        &follow_row,
        0,
    )
    .await
    .unwrap();
    let follows = app.get("/api/v1/follows", Some(&token)).await.json();
    let cooperative = app.get("/api/v1/cooperative", None).await.json();
    // An exchange on camille's listing, proposed by another member, with a message.
    let borrower = app.member("bertrand", Role::Member).await;
    let soon =
        |days| crate::domain::listing::format_date(time::OffsetDateTime::now_utc().date() + time::Duration::days(days));
    let start =
        json!({"listing_id": listing["id"], "terms": {"from": soon(2), "until": soon(5)}, "message": "Bonjour"});
    let exchange = app.json(Method::POST, "/api/v1/exchanges", Some(&borrower), &start).await.json();
    let exchange_path = format!("/api/v1/exchanges/{}", exchange["id"].as_str().unwrap());
    let exchange_whole = app.get(&exchange_path, Some(&borrower)).await.json();
    let entry = &exchange_whole["entries"][0];
    let settings = app.get("/api/v1/me/notifications", Some(&borrower)).await.json();
    let calendar = app.json(Method::POST, "/api/v1/me/calendar", Some(&borrower), &json!({})).await.json();
    // A collective of camille's with a request of bertrand's waiting and an invitation of yasmine's.
    let collective = app.json(Method::POST, "/api/v1/collectives", Some(&token), &collective_body("atelier")).await;
    assert_eq!(collective.status, StatusCode::CREATED, "{collective:?}");
    let collective = collective.json();
    let join = json!({"charter_version": 1, "answers": ["Fives"], "message": "Bonjour"});
    let membership = app.json(Method::POST, "/api/v1/collectives/atelier/join", Some(&borrower), &join).await.json();
    app.json(Method::POST, "/api/v1/collectives/atelier/invitations", Some(&token), &json!({"address": "yasmine"}))
        .await;
    let collectives = app.get("/api/v1/collectives", None).await.json();
    let charters = app.get("/api/v1/collectives/atelier/charters", None).await.json();
    let charter = app.get("/api/v1/collectives/atelier/charters/1", None).await.json();
    let roster = app.get("/api/v1/collectives/atelier/members", None).await.json();
    let waiting = app.get("/api/v1/collectives/atelier/requests", Some(&token)).await.json();

    let doc = doc();
    let schema_of = |operation: &Value, status: &str| {
        operation["responses"][status]["content"]["application/json"]["schema"]["$ref"].as_str().map(str::to_owned)
    };
    let mut checked = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in METHODS.iter().filter(|m| item.get(**m).is_some()) {
            let operation = &item[*method];
            for (status, _) in operation["responses"].as_object().unwrap() {
                let Some(schema) = schema_of(operation, status) else { continue };
                let found = examples(operation, Some(status));
                if status.starts_with('2') {
                    assert!(!found.is_empty(), "{method} {path} {status}: no example");
                }
                for example in found {
                    checked += 1;
                    let what = format!("{method} {path} {status}: {example}");
                    match schema.as_str() {
                        "#/components/schemas/Listing" => {
                            assert_eq!(keys(example), keys(&listing), "{what}");
                            for shown in example["photos"].as_array().unwrap() {
                                assert_eq!(keys(shown), keys(photo), "{what}");
                                assert_eq!(keys(&shown["renditions"][0]), keys(&photo["renditions"][0]), "{what}");
                            }
                        }
                        "#/components/schemas/Member" => {
                            assert_eq!(keys(example), keys(&member), "{what}");
                            if !example["avatar"].is_null() {
                                assert_eq!(keys(&example["avatar"]), BTreeSet::from(["small", "large"]), "{what}");
                            }
                        }
                        "#/components/schemas/Cooperative" => {
                            assert_eq!(keys(example), keys(&cooperative), "{what}");
                            if !example["logo"].is_null() {
                                assert_eq!(keys(&example["logo"]), BTreeSet::from(["small", "large"]), "{what}");
                            }
                        }
                        "#/components/schemas/Session" => {
                            assert_eq!(keys(example), BTreeSet::from(["member", "token"]), "{what}");
                            assert_eq!(keys(&example["member"]), keys(&member), "{what}");
                        }
                        "#/components/schemas/ListingPage" => {
                            assert_eq!(keys(example), keys(&page), "{what}");
                            for item in example["items"].as_array().unwrap() {
                                assert_eq!(keys(item), keys(near), "{what}");
                            }
                        }
                        "#/components/schemas/Peer" => {
                            assert_eq!(keys(example), keys(&peer), "{what}");
                            assert_eq!(keys(&example["delivery"]), keys(&peer["delivery"]), "{what}");
                        }
                        "#/components/schemas/PeerList" => {
                            for item in example["items"].as_array().unwrap() {
                                assert_eq!(keys(item), keys(&peer), "{what}");
                            }
                        }
                        "#/components/schemas/Follow" => {
                            assert_eq!(keys(example), keys(&follows["items"][0]), "{what}")
                        }
                        "#/components/schemas/FollowList" => {
                            for item in example["items"].as_array().unwrap() {
                                assert_eq!(keys(item), keys(&follows["items"][0]), "{what}");
                            }
                        }
                        "#/components/schemas/MemberList" => {
                            for item in example["items"].as_array().unwrap() {
                                assert_eq!(keys(item), keys(&member), "{what}");
                            }
                        }
                        "#/components/schemas/CategoryList" => {
                            for item in example["items"].as_array().unwrap() {
                                assert_eq!(keys(item), keys(&categories["items"][0]), "{what}");
                                let id = item["id"].as_str().unwrap();
                                let real = categories["items"].as_array().unwrap().iter().find(|c| c["id"] == id);
                                assert_eq!(Some(item), real, "{what}");
                            }
                        }
                        "#/components/schemas/PlaceList" => {
                            for item in example["items"].as_array().unwrap() {
                                let real =
                                    places["items"].as_array().unwrap().iter().find(|p| p["insee"] == item["insee"]);
                                assert_eq!(Some(item), real, "{what}: the gazetteer's own answer");
                            }
                        }
                        "#/components/schemas/Exchange" => {
                            assert_eq!(keys(example), keys(&exchange), "{what}");
                            assert_eq!(keys(&example["terms"]), keys(&exchange["terms"]), "{what}");
                            assert_eq!(keys(&example["listing"]), keys(&exchange["listing"]), "{what}");
                        }
                        "#/components/schemas/ExchangeList" => {
                            for item in example["items"].as_array().unwrap() {
                                assert_eq!(keys(item), keys(&exchange), "{what}");
                            }
                        }
                        "#/components/schemas/ExchangeWithEntries" => {
                            assert_eq!(keys(example), keys(&exchange_whole), "{what}");
                            for item in example["entries"].as_array().unwrap() {
                                assert_eq!(keys(item), keys(entry), "{what}");
                            }
                        }
                        "#/components/schemas/ExchangeEntry" => assert_eq!(keys(example), keys(entry), "{what}"),
                        "#/components/schemas/ExchangeEntryList" => {
                            for item in example["items"].as_array().unwrap() {
                                assert_eq!(keys(item), keys(entry), "{what}");
                            }
                        }
                        "#/components/schemas/Notifications" => assert_eq!(keys(example), keys(&settings), "{what}"),
                        "#/components/schemas/Calendar" => assert_eq!(keys(example), keys(&calendar), "{what}"),
                        "#/components/schemas/Collective" => {
                            assert_eq!(keys(example), keys(&collective), "{what}");
                            if !example["membership"].is_null() {
                                assert_eq!(keys(&example["membership"]), keys(&membership), "{what}");
                            }
                        }
                        "#/components/schemas/CollectiveMembership" => {
                            assert_eq!(keys(example), keys(&membership), "{what}")
                        }
                        "#/components/schemas/CollectiveList" => {
                            for item in example["items"].as_array().unwrap() {
                                assert_eq!(keys(item), keys(&collectives["items"][0]), "{what}");
                            }
                        }
                        "#/components/schemas/CharterList" => {
                            for item in example["items"].as_array().unwrap() {
                                assert_eq!(keys(item), keys(&charters["items"][0]), "{what}");
                            }
                        }
                        "#/components/schemas/Charter" => assert_eq!(keys(example), keys(&charter), "{what}"),
                        "#/components/schemas/CollectiveMemberList" => {
                            for item in example["items"].as_array().unwrap() {
                                assert_eq!(keys(item), keys(&roster["items"][0]), "{what}");
                            }
                        }
                        "#/components/schemas/CollectiveRequests" => {
                            assert_eq!(keys(example), keys(&waiting), "{what}");
                            for (list, real) in
                                [("requests", &waiting["requests"][0]), ("invitations", &waiting["invitations"][0])]
                            {
                                for item in example[list].as_array().unwrap() {
                                    assert_eq!(keys(item), keys(real), "{what}");
                                }
                            }
                            for answer in example["requests"][0]["answers"].as_array().unwrap() {
                                assert_eq!(keys(answer), keys(&waiting["requests"][0]["answers"][0]), "{what}");
                            }
                        }
                        "#/components/schemas/Error" => {
                            assert!(
                                keys(example)
                                    .is_subset(&keys(&error).union(&BTreeSet::from(["fields"])).copied().collect()),
                                "{what}"
                            );
                            assert_eq!(status.parse::<u16>().ok().map(|s| s >= 400), Some(true), "{what}");
                        }
                        other => panic!("{what}: no check for {other}"),
                    }
                }
            }
        }
    }
    assert!(checked > 20, "{checked}");
    // Shared error responses are examples too.
    for (name, response) in doc["components"]["responses"].as_object().unwrap() {
        for example in response["content"]["application/json"]["examples"].as_object().unwrap().values() {
            assert!(keys(&example["value"]).is_subset(&BTreeSet::from(["error", "message", "fields"])), "{name}");
        }
    }
}

/// A valid new collective named `name`, asking one question, admitting on approval.
fn collective_body(name: &str) -> Value {
    json!({
        "name": name,
        "display_name": "Atelier vélo",
        "purpose": "Réparer ensemble.",
        "activities": ["bikes-repair"],
        "territory": "Lille",
        "charter": "# Charte\n\nNous réparons **ensemble**.",
        "entry_criteria": "",
        "questions": ["Quel atelier ?"],
        "admission": "approval",
        "visibility": "public",
    })
}

/// Uploads a small PNG to a listing, as a multipart form; the listing as it answers.
async fn upload_photo(app: &TestApp, token: &str, listing: &str) -> Value {
    let mut png = std::io::Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(image::RgbImage::new(400, 300)).write_to(&mut png, image::ImageFormat::Png).unwrap();
    let boundary = "maillage-openapi-test";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"photo\"; filename=\"a.png\"\r\n\
         Content-Type: image/png\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(png.get_ref());
    body.extend_from_slice(
        format!(
            "\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"alt\"\r\n\r\nUn vélo\r\n--{boundary}--\r\n"
        )
        .as_bytes(),
    );
    let content_type = format!("multipart/form-data; boundary={boundary}");
    let path = format!("/api/v1/listings/{listing}/photos");
    let reply = app.send(Method::POST, &path, Some(token), Some(&content_type), body).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{reply:?}");
    reply.json()
}

/// Every route of the table answers, on the real router, with something other than "no such route"
/// (the fallback's 404) or "no such method" (405).
#[tokio::test]
async fn every_route_is_served() {
    let app = TestApp::new().await;
    let token = app.member("camille", Role::Admin).await;
    let listing =
        app.json(Method::POST, "/api/v1/listings", Some(&token), &listing_body("Vélo cargo", json!({}))).await.json();
    let id = listing["id"].as_str().unwrap();
    let collective = app.json(Method::POST, "/api/v1/collectives", Some(&token), &collective_body("atelier")).await;
    assert_eq!(collective.status, StatusCode::CREATED, "{collective:?}");
    for (method, path) in ROUTES {
        // A collective is named by its name.
        let id = if path.starts_with("/collectives/") { "atelier" } else { id };
        let concrete = path
            .replace("{id}", id)
            .replace("{version}", "1")
            .replace("{membership}", &"0".repeat(32))
            .replace("{username}", "camille")
            .replace("{action}", "enable")
            .replace("{domain}", "example.org")
            .replace("{account}", "lea@example.org")
            .replace("{photo}", &"0".repeat(32))
            .replace("{move}", "accept");
        let method = Method::from_bytes(method.as_bytes()).unwrap();
        // Without a token nor a body: refusals (401, 415) count as answers too.
        let reply = app.send(method.clone(), &format!("/api/v1{concrete}"), None, None, Vec::new()).await;
        assert!(
            reply.status != StatusCode::NOT_FOUND && reply.status != StatusCode::METHOD_NOT_ALLOWED,
            "{method} {path}: {reply:?}"
        );
    }
    // And what is not in the table is not served.
    let reply = app.send(Method::PUT, "/api/v1/listings", None, None, Vec::new()).await;
    reply.assert_error(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed");
    app.get("/api/v1/nothing/here", None).await.assert_error(StatusCode::NOT_FOUND, "not_found");
}

/// Whether `text` is `template` with its `{placeholders}` filled in somehow.
fn renders(template: &str, text: &str) -> bool {
    let mut literals = Vec::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        let Some(close) = rest[open..].find('}') else { break };
        literals.push(&rest[..open]);
        rest = &rest[open + close + 1..];
    }
    literals.push(rest);
    let (first, last) = (literals[0], literals[literals.len() - 1]);
    if literals.len() == 1 {
        return text == first;
    }
    let mut position = first.len();
    if !text.starts_with(first) || !text.ends_with(last) {
        return false;
    }
    for literal in &literals[1..literals.len() - 1] {
        match text[position..].find(literal) {
            Some(found) => position += found + literal.len(),
            None => return false,
        }
    }
    text.len() >= position + last.len()
}

/// Error examples show the messages the API really sends in French, so that they do not drift from
/// the locale file.
#[test]
fn error_examples_use_the_real_french_messages() {
    let locale: toml::Table = toml::from_str(include_str!("../../../locales/fr.toml")).unwrap();
    // The errors, and what is wrong with a photo.
    let templates: Vec<&str> = ["error", "photo"]
        .iter()
        .flat_map(|section| locale[*section].as_table().unwrap().values().filter_map(|v| v.as_str()))
        .collect();
    assert!(renders("Au moins {min} caractères.", "Au moins 3 caractères."));
    assert!(!renders("Au moins {min} caractères.", "Au plus 3 caractères."));
    let doc = doc();
    let mut errors = Vec::new();
    collect_errors(&doc, &mut errors);
    assert!(errors.len() > 15, "{}", errors.len());
    for error in errors {
        let texts =
            std::iter::once(&error["message"]).chain(error["fields"].as_object().into_iter().flat_map(|f| f.values()));
        for text in texts {
            let text = text.as_str().unwrap();
            assert!(templates.iter().any(|t| renders(t, text)), "not a message of fr.toml: {text:?} in {error}");
        }
    }
}

/// Every example value shaped like an error (`{error, message, ...}`).
fn collect_errors<'a>(value: &'a Value, out: &mut Vec<&'a Value>) {
    match value {
        Value::Object(map)
            if map.get("error").is_some_and(Value::is_string) && map.get("message").is_some_and(Value::is_string) =>
        {
            out.push(value)
        }
        Value::Object(map) => map.values().for_each(|v| collect_errors(v, out)),
        Value::Array(items) => items.iter().for_each(|v| collect_errors(v, out)),
        _ => {}
    }
}
