//! Places by name, end to end: the catalogue's « Autour de » and « Plus proches » take a commune or
//! a postal code, the listing and profile forms find a typed place's coordinates offline, a name
//! several communes share offers them, one that names none is refused with the form kept.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

mod common;

use common::{TestInstance, html_text, listing_body};
use maillage_server::domain::member::Role;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn the_catalogue_searches_around_a_commune_or_a_postal_code() {
    let instance = TestInstance::start().await;
    let token = instance.member_with_token("alice", Role::Member).await;
    let at = |name: &str, lat: f64, lon: f64| json!({"location": {"name": name, "latitude": lat, "longitude": lon}});
    instance.listing(&token, listing_body("Perceuse à Roubaix", at("Roubaix", 50.694, 3.175))).await;
    instance.listing(&token, listing_body("Escabeau à Lille", at("Lille", 50.634, 3.055))).await;
    instance.listing(&token, listing_body("Remorque à Lyon", at("Lyon", 45.75, 4.85))).await;

    for near in ["roubaix", "Roubaix", "59100", "Roubaix (59100)"] {
        let titles = instance.api().titles(&[("near", near), ("radius_km", "5")]).await;
        assert_eq!(titles, ["Perceuse à Roubaix"], "near {near}");
    }
    let nearest = instance.api().titles(&[("near", "Tourcoing"), ("sort", "nearest")]).await;
    assert_eq!(nearest, ["Perceuse à Roubaix", "Escabeau à Lille", "Remorque à Lyon"]);
    // Coordinates still work.
    assert_eq!(instance.api().titles(&[("near", "45.75,4.85"), ("radius_km", "10")]).await, ["Remorque à Lyon"]);

    // Nothing, or several communes: a message that says so, in the API and on the page.
    let reply = instance.api().search(&[("near", "Nullepart-sur-Rien")]).await;
    reply.assert_field_error("near");
    assert!(reply.json()["fields"]["near"].as_str().unwrap().contains("Nullepart-sur-Rien"), "{reply:?}");
    let reply = instance.api().search(&[("near", "Sainte-Marie"), ("sort", "nearest")]).await;
    reply.assert_field_error("near");
    assert!(reply.json()["fields"]["near"].as_str().unwrap().contains("Sainte-Marie (35600)"), "{reply:?}");
    let mut browser = instance.browser();
    let page = browser.get("/catalogue?near=Sainte-Marie&sort=nearest").await;
    let text = html_text(&page.text);
    assert!(text.contains("Plusieurs communes répondent à « Sainte-Marie »"), "{text}");
    // Each candidate is a link to the same search near it.
    let link = "/catalogue?near=Sainte-Marie+%2835600%29&sort=nearest&page=1";
    assert!(html_text(&page.text).contains(link), "{}", page.text);
    let chosen = browser.get(link).await;
    assert_eq!(chosen.status, StatusCode::OK);
    assert!(!html_text(&chosen.text).contains("Plusieurs communes"), "{}", chosen.text);

    // The suggestions the forms' script asks for.
    let places = instance.api().get("/api/v1/places?q=roub").await.json();
    assert_eq!(places["items"][0]["label"], "Roubaix (59100)", "{places}");
    assert_eq!(places["items"][0]["insee"], "59512", "{places}");
    let places = instance.api().get("/api/v1/places?q=591&limit=3").await.json();
    assert_eq!(places["items"].as_array().unwrap().len(), 3, "{places}");
    instance.api().get("/api/v1/places?limit=500").await.assert_field_error("limit");
    instance.stop().await;
}

#[tokio::test]
async fn a_place_typed_by_name_gets_its_coordinates_and_a_shared_name_is_chosen() {
    let instance = TestInstance::start().await;
    let token = instance.member_with_token("alice", Role::Member).await;
    // The API: a name alone is looked up.
    let created = instance.listing(&token, listing_body("Vélo cargo", json!({"location": {"name": "roubaix"}}))).await;
    assert_eq!(created["location"], json!({"name": "Roubaix", "latitude": 50.6942, "longitude": 3.1746}));
    let fives = instance.listing(&token, listing_body("Perceuse", json!({"location": {"name": "Lille Fives"}}))).await;
    assert_eq!(fives["location"]["name"], "Lille Fives", "the words typed are kept");
    assert_eq!(fives["location"]["latitude"], 50.6339, "Fives is in Lille");
    let reply = instance
        .api()
        .token(&token)
        .post("/api/v1/listings", &listing_body("Tabouret", json!({"location": {"name": "Sainte-Marie"}})))
        .await;
    reply.assert_field_error("location.name");
    assert_eq!(instance.count_listings().await, 2);

    // The web form: a shared name offers its communes; choosing one publishes.
    instance.create_member("bruno", Role::Member).await;
    let mut browser = instance.browser();
    browser.login_ok("bruno").await;
    let fields = [
        ("purpose", "offer"),
        ("mode", "give"),
        ("category", "objects-tools"),
        ("title", "Tabouret en chêne"),
        ("unit", "piece"),
        ("price_kind", "free"),
        ("price_basis", "total"),
        ("visibility", "public"),
        ("location_name", "Sainte-Marie"),
    ];
    let reply = browser.submit("/listings/new", "/listings", &fields).await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{reply:?}");
    let page = html_text(&reply.text);
    assert!(page.contains("Laquelle ?") && page.contains("value=\"Sainte-Marie (35600)\""), "{page}");
    assert!(page.contains("Tabouret en chêne"), "what was typed is kept");
    assert_eq!(instance.count_listings().await, 2);
    let mut chosen = fields.to_vec();
    chosen.push(("place_choice", "Sainte-Marie (35600)"));
    let reply = browser.post("/listings", &chosen).await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{reply:?}");
    let shown = html_text(&browser.follow(&reply).await.text);
    assert!(shown.contains("Sainte-Marie (35600)"), "{shown}");
    // Its edit form shows the name, not coordinates found from it.
    let location = reply.location();
    let path = location.split('?').next().unwrap();
    let form = browser.get(&format!("{path}/edit")).await;
    assert!(form.text.contains("id=\"latitude\" name=\"latitude\" value=\"\""), "{}", form.text);

    // A name that names nothing: the message, everything typed kept, nothing stored.
    let mut nowhere = fields.to_vec();
    nowhere[8] = ("location_name", "Chez ma grand-mère");
    let reply = browser.post("/listings", &nowhere).await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{reply:?}");
    assert!(html_text(&reply.text).contains("Aucune commune ne correspond à « Chez ma grand-mère »"), "{reply:?}");
    assert_eq!(instance.count_listings().await, 3);

    // The profile: « 59100 » is Roubaix, and « Plus proches » starts from it.
    let reply = browser
        .submit("/members/bruno/edit", "/members/bruno/edit", &[("display_name", "Bruno"), ("location_name", "59100")])
        .await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{reply:?}");
    let catalogue = browser.get("/catalogue?sort=nearest").await;
    let text = html_text(&catalogue.text);
    let first = text.find("Vélo cargo").unwrap();
    assert!(first < text.find("Perceuse").unwrap() && first < text.find("Tabouret").unwrap(), "{text}");
    instance.stop().await;
}
