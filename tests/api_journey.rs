//! A member's journey through the JSON API: register, log in, publish listings, find them, change
//! them, remove them.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

mod common;

use std::collections::HashSet;
use std::time::Duration;

use common::{PASSWORD, TestInstance, listing_body, titles};
use reqwest::StatusCode;
use serde_json::{Value, json};

const VELO: &str = "Vélo cargo à prêter";
const PALETTES: &str = "Palettes de bois";
const PERCEUSE: &str = "Cherche perceuse";
const COURS: &str = "Cours de réparation";

/// Lille, Marseille, Roubaix (next to Lille), Paris.
const LILLE: (f64, f64) = (50.63, 3.06);
const MARSEILLE: (f64, f64) = (43.30, 5.37);

fn place(name: &str, (latitude, longitude): (f64, f64)) -> Value {
    json!({"name": name, "latitude": latitude, "longitude": longitude})
}

#[tokio::test]
async fn register_log_in_and_log_out() {
    let instance = TestInstance::start().await;
    let api = instance.api();

    let reply = api
        .post(
            "/api/v1/accounts",
            &json!({"username": "camille", "password": PASSWORD, "display_name": "Camille D.", "kind": "person"}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{reply:?}");
    let member = reply.json();
    assert_eq!(member["username"], "camille");
    assert_eq!(member["display_name"], "Camille D.");
    assert_eq!(member["kind"], "person");
    assert_eq!(member["role"], "member");
    assert_eq!(member["status"], "active");
    assert!(member["id"].as_str().is_some_and(|id| !id.is_empty()), "{member}");
    assert_eq!(member["url"], format!("{}members/camille", instance.public_url()));

    // The same name again, in capitals: taken.
    let again = api
        .post(
            "/api/v1/accounts",
            &json!({"username": "Camille", "password": PASSWORD, "display_name": "Other", "kind": "organisation"}),
        )
        .await;
    again.assert_error(StatusCode::CONFLICT, "username_taken");

    let wrong = api.post("/api/v1/sessions", &json!({"username": "camille", "password": "not the password"})).await;
    wrong.assert_error(StatusCode::UNAUTHORIZED, "invalid_credentials");
    let nobody = api.post("/api/v1/sessions", &json!({"username": "nobody", "password": PASSWORD})).await;
    nobody.assert_error(StatusCode::UNAUTHORIZED, "invalid_credentials");

    let login = api.post("/api/v1/sessions", &json!({"username": "camille", "password": PASSWORD})).await;
    assert_eq!(login.status, StatusCode::CREATED, "{login:?}");
    let session = login.json();
    assert_eq!(session["member"]["username"], "camille");
    let token = session["token"].as_str().expect("a token").to_owned();

    let me = api.clone().token(&token).get("/api/v1/me").await;
    assert_eq!(me.status, StatusCode::OK, "{me:?}");
    assert_eq!(me.json()["username"], "camille");
    api.get("/api/v1/me").await.assert_error(StatusCode::UNAUTHORIZED, "unauthorized");

    let logout = api.clone().token(&token).delete("/api/v1/sessions/current").await;
    assert_eq!(logout.status, StatusCode::NO_CONTENT, "{logout:?}");
    api.clone().token(&token).get("/api/v1/me").await.assert_error(StatusCode::UNAUTHORIZED, "unauthorized");
    instance.stop().await;
}

#[tokio::test]
async fn categories_are_listed_in_both_languages() {
    let instance = TestInstance::start().await;
    let reply = instance.api().get("/api/v1/categories").await;
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    let body = reply.json();
    let items = body["items"].as_array().expect("items");
    let pallets = items.iter().find(|c| c["id"] == "materials-pallets").expect("materials-pallets is listed");
    assert_eq!(pallets["parent"], "materials");
    assert_eq!(pallets["label_fr"], "Palettes");
    assert_eq!(pallets["label_en"], "Pallets");
    assert_eq!(pallets["label"], "Palettes", "French by default");
    let materials = items.iter().find(|c| c["id"] == "materials").expect("materials is listed");
    assert_eq!(materials["parent"], Value::Null);

    let english = instance.api().lang("en").get("/api/v1/categories").await.json();
    let pallets = english["items"].as_array().unwrap().iter().find(|c| c["id"] == "materials-pallets").cloned();
    assert_eq!(pallets.expect("pallets")["label"], "Pallets");
    instance.stop().await;
}

#[tokio::test]
async fn openapi_document_describes_the_api() {
    let instance = TestInstance::start().await;
    let reply = instance.api().get("/api/v1/openapi.json").await;
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    let doc = reply.json();
    let paths = doc["paths"].as_object().expect("paths");
    for path in [
        "/accounts",
        "/sessions",
        "/sessions/current",
        "/me",
        "/categories",
        "/listings",
        "/listings/{id}",
        "/admin/members",
    ] {
        assert!(
            paths.keys().any(|p| p == path || p == &format!("/api/v1{path}")),
            "{path} is not documented: {:?}",
            paths.keys().collect::<Vec<_>>()
        );
    }
    instance.stop().await;
}

/// Publishes the four listings of the journey, a few milliseconds apart so that "newest" has a
/// well-defined order. Returns them in creation order.
async fn publish_four(instance: &TestInstance, token: &str) -> Vec<Value> {
    let bodies = [
        listing_body(
            VELO,
            json!({"mode": "lend", "category": "bikes-repair",
                   "description": "Biporteur révisé, idéal pour les courses du samedi.",
                   "location": place("Lille", LILLE)}),
        ),
        listing_body(
            PALETTES,
            json!({"mode": "give", "category": "materials-pallets", "quantity": 20,
                   "description": "Format Europe, à venir chercher sur place.",
                   "location": place("Marseille", MARSEILLE)}),
        ),
        listing_body(
            PERCEUSE,
            json!({"purpose": "request", "mode": "lend", "category": "objects-tools-diy",
                   "description": "Pour une journée, afin de fixer des étagères.",
                   "location": place("Roubaix", (50.69, 3.18))}),
        ),
        listing_body(
            COURS,
            json!({"mode": "service", "category": "skills-services", "price_cents": 1500, "unit": "hour",
                   "description": "Atelier collectif le mardi soir.",
                   "location": place("Paris", (48.86, 2.35))}),
        ),
    ];
    let mut created = Vec::new();
    for body in bodies {
        created.push(instance.listing(token, body).await);
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    created
}

#[tokio::test]
async fn a_created_listing_is_returned_whole() {
    let instance = TestInstance::start().await;
    let token = instance.member_with_token("camille", maillage_server::domain::member::Role::Member).await;
    let body = listing_body(
        VELO,
        json!({"mode": "lend", "category": "bikes-repair", "description": "Biporteur révisé.",
               "available_until": "2027-01-31", "location": place("Lille", LILLE)}),
    );
    let reply = instance.api().token(&token).post("/api/v1/listings", &body).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{reply:?}");
    let listing = reply.json();
    let id = listing["id"].as_str().expect("id").to_owned();
    let location = reply.location();
    assert!(location.contains(&id), "Location {location} does not name the listing {id}");
    assert_eq!(listing["url"], format!("{}listings/{id}", instance.public_url()));
    assert_eq!(listing["purpose"], "offer");
    assert_eq!(listing["mode"], "lend");
    assert_eq!(listing["category"], "bikes-repair");
    assert_eq!(listing["category_label"], "Vélos et réparation");
    assert_eq!(listing["title"], VELO);
    assert_eq!(listing["description"], "Biporteur révisé.");
    assert_eq!(listing["quantity"], 1.0);
    assert_eq!(listing["unit"], "piece");
    assert_eq!(listing["price_cents"], Value::Null);
    assert_eq!(listing["location"]["name"], "Lille");
    assert_eq!(listing["location"]["latitude"], 50.63);
    assert_eq!(listing["location"]["longitude"], 3.06);
    assert_eq!(listing["available_from"], "2026-12-01");
    assert_eq!(listing["available_until"], "2027-01-31");
    assert_eq!(listing["status"], "active");
    assert_eq!(listing["visibility"], "public");
    assert_eq!(listing["author"]["username"], "camille");
    assert_eq!(listing["author"]["url"], format!("{}members/camille", instance.public_url()));
    assert!(listing["created_at"].is_string() || listing["created_at"].is_number(), "{listing}");
    assert!(listing.get("distance_km").is_none_or(Value::is_null), "no distance without near: {listing}");

    // Anyone may read a public listing, and gets the same thing.
    let fetched = instance.api().get(&format!("/api/v1/listings/{id}")).await;
    assert_eq!(fetched.status, StatusCode::OK, "{fetched:?}");
    assert_eq!(fetched.json(), listing);
    // An English reader gets the English category label.
    let english = instance.api().lang("en").get(&format!("/api/v1/listings/{id}")).await.json();
    assert_eq!(english["category_label"], "Bikes & repair");

    // A listing without location or quantity.
    let bare = instance
        .listing(&token, json!({"purpose": "request", "mode": "give", "category": "materials-cardboard", "title": "Cartons de déménagement"}))
        .await;
    assert_eq!(bare["location"], Value::Null, "{bare}");
    assert_eq!(bare["available_from"], Value::Null, "{bare}");
    assert_eq!(bare["status"], "active");
    instance.stop().await;
}

#[tokio::test]
async fn full_text_search_ignores_case_and_accents() {
    let instance = TestInstance::start().await;
    let token = instance.member_with_token("camille", maillage_server::domain::member::Role::Member).await;
    publish_four(&instance, &token).await;
    let api = instance.api();

    assert_eq!(api.titles(&[("q", "velo")]).await, [VELO]);
    assert_eq!(api.titles(&[("q", "VÉLO")]).await, [VELO]);
    assert_eq!(api.titles(&[("q", "Vélo cargo")]).await, [VELO]);
    assert_eq!(api.titles(&[("q", "palette")]).await, [PALETTES]);
    // A word found only in a description.
    assert_eq!(api.titles(&[("q", "biporteur")]).await, [VELO]);
    assert_eq!(api.titles(&[("q", "étagères")]).await, [PERCEUSE]);
    assert_eq!(api.titles(&[("q", "trampoline")]).await, Vec::<String>::new());
    // Every word must match.
    assert_eq!(api.titles(&[("q", "velo trampoline")]).await, Vec::<String>::new());
    // No query: everything, newest first.
    assert_eq!(api.titles(&[]).await, [COURS, PERCEUSE, PALETTES, VELO]);
    instance.stop().await;
}

#[tokio::test]
async fn filters_narrow_the_catalogue() {
    let instance = TestInstance::start().await;
    let token = instance.member_with_token("camille", maillage_server::domain::member::Role::Member).await;
    publish_four(&instance, &token).await;
    let api = instance.api();

    assert_eq!(api.titles(&[("purpose", "request")]).await, [PERCEUSE]);
    assert_eq!(api.titles(&[("purpose", "offer")]).await, [COURS, PALETTES, VELO]);
    assert_eq!(api.titles(&[("mode", "give")]).await, [PALETTES]);
    assert_eq!(api.titles(&[("mode", "service")]).await, [COURS]);
    assert_eq!(api.titles(&[("mode", "swap")]).await, Vec::<String>::new());
    // A parent category finds its sub-categories.
    assert_eq!(api.titles(&[("category", "materials")]).await, [PALETTES]);
    assert_eq!(api.titles(&[("category", "materials-pallets")]).await, [PALETTES]);
    assert_eq!(api.titles(&[("category", "materials-wood")]).await, Vec::<String>::new());
    assert_eq!(api.titles(&[("category", "objects-tools")]).await, [PERCEUSE]);
    // Filters combine.
    assert_eq!(api.titles(&[("q", "velo"), ("mode", "give")]).await, Vec::<String>::new());
    assert_eq!(api.titles(&[("purpose", "offer"), ("mode", "lend")]).await, [VELO]);

    // Around Lille: Lille and Roubaix, not Marseille nor Paris.
    let near_lille = [("near", "50.63,3.06"), ("radius_km", "30")];
    let mut found = api.titles(&near_lille).await;
    found.sort();
    assert_eq!(found, [PERCEUSE, VELO]);
    // Around Marseille: only the pallets.
    assert_eq!(api.titles(&[("near", "43.30,5.37"), ("radius_km", "50")]).await, [PALETTES]);
    assert_eq!(api.titles(&[("near", "43.30,5.37"), ("radius_km", "50"), ("q", "velo")]).await, Vec::<String>::new());
    instance.stop().await;
}

#[tokio::test]
async fn nearest_first_gives_distances_in_order() {
    let instance = TestInstance::start().await;
    let token = instance.member_with_token("camille", maillage_server::domain::member::Role::Member).await;
    publish_four(&instance, &token).await;
    let api = instance.api();

    let reply = api.search(&[("near", "43.30,5.37"), ("sort", "nearest")]).await;
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    let page = reply.json();
    // From Marseille: Marseille, Paris (~660 km), Lille (~835 km), Roubaix (~845 km).
    assert_eq!(titles(&page), [PALETTES, COURS, VELO, PERCEUSE]);
    let distances: Vec<f64> =
        page["items"].as_array().unwrap().iter().map(|i| i["distance_km"].as_f64().expect("distance_km")).collect();
    assert!(distances[0] < 1.0, "{distances:?}");
    assert!((600.0..720.0).contains(&distances[1]), "Marseille-Paris: {distances:?}");
    assert!(distances.windows(2).all(|w| w[0] <= w[1]), "not in order: {distances:?}");

    // From Lille the order turns round.
    let from_lille = api.titles(&[("near", "50.63,3.06"), ("sort", "nearest")]).await;
    assert_eq!(from_lille, [VELO, PERCEUSE, COURS, PALETTES]);

    // With words, nearest first too, page by page (« cours » is in one title and, as « courses », in
    // the other's description).
    for (near, first, second) in [("43.30,5.37", COURS, VELO), ("50.63,3.06", VELO, COURS)] {
        for (page, title) in [("1", first), ("2", second)] {
            let query = [("q", "cours"), ("near", near), ("sort", "nearest"), ("per_page", "1"), ("page", page)];
            assert_eq!(api.titles(&query).await, [title], "near {near}, page {page}");
        }
    }
    assert_eq!(api.titles(&[("q", "cours"), ("near", "50.63,3.06"), ("sort", "nearest")]).await, [VELO, COURS]);
    instance.stop().await;
}

#[tokio::test]
async fn pages_follow_each_other() {
    let instance = TestInstance::start().await;
    let token = instance.member_with_token("camille", maillage_server::domain::member::Role::Member).await;
    publish_four(&instance, &token).await;
    let extra = instance.listing(&token, listing_body("Tondeuse à main", json!({}))).await;
    assert_eq!(extra["title"], "Tondeuse à main");
    let api = instance.api();

    let mut seen = Vec::new();
    let first = api.search(&[("per_page", "2")]).await;
    assert_eq!(first.status, StatusCode::OK, "{first:?}");
    let mut page = first.json();
    assert_eq!(page["page"], 1);
    assert_eq!(page["per_page"], 2);
    let mut pages = 1;
    loop {
        let items = titles(&page);
        seen.extend(items.clone());
        if pages < 3 {
            assert_eq!(items.len(), 2, "page {pages}: {page}");
            assert_eq!(page["has_more"], true, "page {pages}: {page}");
            let next = page["next"].as_str().unwrap_or_else(|| panic!("no next URL on page {pages}: {page}"));
            assert!(next.contains("per_page=2"), "next keeps per_page: {next}");
            let reply = api.get(&absolute(&instance, next)).await;
            assert_eq!(reply.status, StatusCode::OK, "{next}: {reply:?}");
            page = reply.json();
            pages += 1;
            assert_eq!(page["page"], pages);
        } else {
            assert_eq!(items.len(), 1, "last page: {page}");
            assert_eq!(page["has_more"], false, "last page: {page}");
            assert_eq!(page["next"], Value::Null, "last page: {page}");
            break;
        }
    }
    let distinct: HashSet<&String> = seen.iter().collect();
    assert_eq!(distinct.len(), 5, "every listing once over the pages: {seen:?}");

    // Filters are kept in the next link.
    let page = api.search(&[("per_page", "1"), ("purpose", "offer")]).await.json();
    let next = page["next"].as_str().expect("next");
    let second = api.get(&absolute(&instance, next)).await.json();
    assert!(titles(&second).iter().all(|t| t != PERCEUSE), "the purpose filter was lost: {second}");

    // A page past the end is empty, not an error.
    let beyond = api.search(&[("per_page", "2"), ("page", "9")]).await;
    assert_eq!(beyond.status, StatusCode::OK, "{beyond:?}");
    assert_eq!(titles(&beyond.json()), Vec::<String>::new());
    assert_eq!(beyond.json()["has_more"], false);
    instance.stop().await;
}

/// `next` may be absolute (`http://localhost:PORT/...`) or a path; both must lead to this instance.
fn absolute(instance: &TestInstance, next: &str) -> String {
    if let Some(rest) = next.strip_prefix(instance.public_url().trim_end_matches('/')) {
        instance.url(rest)
    } else if next.starts_with('/') {
        instance.url(next)
    } else {
        panic!("next is neither this instance's URL nor a path: {next}")
    }
}

#[tokio::test]
async fn editing_closing_and_deleting() {
    let instance = TestInstance::start().await;
    let token = instance.member_with_token("camille", maillage_server::domain::member::Role::Member).await;
    let created = publish_four(&instance, &token).await;
    let (velo, palettes, perceuse, cours) = (&created[0], &created[1], &created[2], &created[3]);
    let path = |listing: &Value| format!("/api/v1/listings/{}", listing["id"].as_str().unwrap());
    let api = instance.api().token(&token);

    // A new title: found under its new word, not the old one; the rest is unchanged.
    let reply = api.patch(&path(velo), &json!({"title": "Triporteur à prêter"})).await;
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    let edited = reply.json();
    assert_eq!(edited["title"], "Triporteur à prêter");
    assert_ne!(edited["updated_at"], velo["updated_at"], "updated_at did not move");
    for unchanged in ["category", "description", "location", "available_from", "mode", "purpose", "created_at"] {
        assert_eq!(edited[unchanged], velo[unchanged], "{unchanged} changed");
    }
    assert_eq!(instance.api().titles(&[("q", "triporteur")]).await, ["Triporteur à prêter"]);
    assert_eq!(instance.api().titles(&[("q", "velo")]).await, Vec::<String>::new());
    let fetched = instance.api().get(&path(velo)).await.json();
    assert_eq!(fetched["title"], "Triporteur à prêter");

    // `null` clears an optional field; absent fields stay.
    assert_eq!(cours["price_cents"], 1500);
    let reply = api.patch(&path(cours), &json!({"price_cents": null})).await;
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    assert_eq!(reply.json()["price_cents"], Value::Null);
    assert_eq!(reply.json()["unit"], "hour");
    let reply = api.patch(&path(cours), &json!({"location": null, "price_cents": 800})).await;
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    assert_eq!(reply.json()["location"], Value::Null);
    assert_eq!(reply.json()["price_cents"], 800);
    assert_eq!(instance.api().get(&path(cours)).await.json()["price_cents"], 800);

    // Closed: out of the catalogue.
    let reply = api.patch(&path(palettes), &json!({"status": "closed"})).await;
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    assert_eq!(reply.json()["status"], "closed");
    assert_eq!(reply.json()["title"], PALETTES);
    assert_eq!(instance.api().titles(&[("q", "palette")]).await, Vec::<String>::new());
    assert_eq!(instance.api().titles(&[("category", "materials")]).await, Vec::<String>::new());
    assert_eq!(api.titles(&[("q", "palette")]).await, Vec::<String>::new(), "not even for its author");
    // Reserved listings stay in the catalogue; reopening brings it back.
    let reply = api.patch(&path(palettes), &json!({"status": "reserved"})).await;
    assert_eq!(reply.json()["status"], "reserved");
    assert_eq!(instance.api().titles(&[("q", "palette")]).await, [PALETTES]);

    // An invalid patch changes nothing.
    let reply = api.patch(&path(perceuse), &json!({"title": "x", "mode": "give"})).await;
    reply.assert_field_error("title");
    assert_eq!(instance.api().get(&path(perceuse)).await.json()["mode"], "lend");

    // Deleted: gone.
    let reply = api.delete(&path(perceuse)).await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT, "{reply:?}");
    instance.api().get(&path(perceuse)).await.assert_error(StatusCode::NOT_FOUND, "not_found");
    api.delete(&path(perceuse)).await.assert_error(StatusCode::NOT_FOUND, "not_found");
    assert_eq!(instance.api().titles(&[("purpose", "request")]).await, Vec::<String>::new());
    assert_eq!(instance.count_listings().await, 3);
    instance.stop().await;
}

#[tokio::test]
async fn listings_for_members_only_are_hidden_from_visitors() {
    let instance = TestInstance::start().await;
    let token = instance.member_with_token("camille", maillage_server::domain::member::Role::Member).await;
    let listing =
        instance.listing(&token, listing_body("Local de stockage partagé", json!({"visibility": "instance"}))).await;
    assert_eq!(listing["visibility"], "instance");
    let path = format!("/api/v1/listings/{}", listing["id"].as_str().unwrap());

    instance.api().get(&path).await.assert_error(StatusCode::NOT_FOUND, "not_found");
    assert_eq!(instance.api().titles(&[("q", "stockage")]).await, Vec::<String>::new());
    assert_eq!(instance.api().token(&token).get(&path).await.status, StatusCode::OK);
    assert_eq!(instance.api().token(&token).titles(&[("q", "stockage")]).await, ["Local de stockage partagé"]);
    instance.stop().await;
}

/// A search whose matches fill a page, then the pages after it: on PostgreSQL the first pages come
/// from the newest listings tested one by one, and a page they do not fill from the text index
/// (`storage::search`); both give the same matches, newest first, and nothing else.
#[tokio::test]
async fn search_results_page_newest_first_to_the_last_match() {
    let instance = TestInstance::start().await;
    let token = instance.member_with_token("camille", maillage_server::domain::member::Role::Member).await;
    publish_four(&instance, &token).await;
    let mut expected = Vec::new();
    for n in 1..=5 {
        let title = format!("Tondeuse numéro {n}");
        instance.listing(&token, listing_body(&title, json!({}))).await;
        expected.push(title);
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    expected.reverse();
    let api = instance.api();
    let mut seen = Vec::new();
    for page in 1..=3 {
        let reply = api.search(&[("q", "tondeuse"), ("per_page", "2"), ("page", &page.to_string())]).await;
        assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
        let json = reply.json();
        seen.extend(titles(&json));
        assert_eq!(json["has_more"], page < 3, "page {page}: {json}");
    }
    assert_eq!(seen, expected, "every match, newest first, once");
    assert_eq!(api.titles(&[("q", "tondeuse velo")]).await, Vec::<String>::new());
    instance.stop().await;
}
