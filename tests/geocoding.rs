//! The optional address server, end to end: a street address typed in a listing or a profile gets
//! the server's position, once (the answer is kept); a commune alone is found offline and never sent;
//! an answer that is far from the commune named, unreadable, huge, an error or no answer at all
//! leaves the commune's position, and the listing is saved all the same.
//!
//! The address server is played by the test (no network in CI): a loopback server that answers as
//! the French national address API (`/search/`, GeoJSON) or Nominatim (`/search`, `jsonv2`) do, and
//! counts the lookups it receives.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

mod common;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use common::{TestInstance, listing_body, listing_id};
use maillage_server::config::GeocodingService;
use maillage_server::domain::member::Role;
use serde_json::{Value, json};
use tokio::net::TcpListener;

/// Roubaix's position in the gazetteer, what a place falls back to.
const ROUBAIX: (f64, f64) = (50.6942, 3.1746);
/// Rue de Lannoy, as the address server places it.
const RUE_DE_LANNOY: (f64, f64) = (50.6921, 3.1742);

#[derive(Clone, Copy)]
enum Answer {
    /// The position of rue de Lannoy, in the service's format.
    Found,
    /// A rue de Lannoy in Marseille.
    FarAway,
    /// A latitude of 500.
    OffEarth,
    /// An HTML error page with 200.
    Html,
    /// A megabyte of spaces around a found position.
    Huge,
    /// 500 Internal Server Error.
    Failing,
}

#[derive(Default)]
struct Received {
    lookups: Vec<HashMap<String, String>>,
}

/// The address server played by the test.
struct AddressServer {
    url: String,
    answer: Arc<Mutex<Answer>>,
    received: Arc<Mutex<Received>>,
}

impl AddressServer {
    async fn start(service: GeocodingService) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let answer = Arc::new(Mutex::new(Answer::Found));
        let received = Arc::new(Mutex::new(Received::default()));
        let state = (service, answer.clone(), received.clone());
        let app = axum::Router::new().fallback(address_answer).with_state(state);
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        let path = match service {
            GeocodingService::Ban => "/search/",
            GeocodingService::Nominatim => "/search",
        };
        Self { url: format!("http://127.0.0.1:{port}{path}"), answer, received }
    }

    fn answer(&self, answer: Answer) {
        *self.answer.lock().unwrap() = answer;
    }

    fn lookups(&self) -> Vec<HashMap<String, String>> {
        self.received.lock().unwrap().lookups.clone()
    }
}

type AddressState = (GeocodingService, Arc<Mutex<Answer>>, Arc<Mutex<Received>>);

async fn address_answer(
    State((service, answer, received)): State<AddressState>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    received.lock().unwrap().lookups.push(query);
    let answer = *answer.lock().unwrap();
    let at = |(latitude, longitude): (f64, f64)| match service {
        GeocodingService::Ban => json!({
            "type": "FeatureCollection",
            "features": [{
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [longitude, latitude]},
                "properties": {"label": "12 Rue de Lannoy 59100 Roubaix", "score": 0.93, "citycode": "59512"}
            }]
        }),
        GeocodingService::Nominatim => json!([{
            "place_id": 1,
            "lat": latitude.to_string(),
            "lon": longitude.to_string(),
            "display_name": "12, Rue de Lannoy, Roubaix"
        }]),
    };
    let json = |value: Value| ([("content-type", "application/json")], value.to_string()).into_response();
    match answer {
        Answer::Found => json(at(RUE_DE_LANNOY)),
        Answer::FarAway => json(at((43.2965, 5.3698))),
        Answer::OffEarth => json(at((500.0, 3.17))),
        Answer::Html => "<html><body>Maintenance</body></html>".into_response(),
        Answer::Huge => {
            let padding = " ".repeat(1 << 20);
            ([("content-type", "application/json")], format!("{padding}{}", at(RUE_DE_LANNOY))).into_response()
        }
        Answer::Failing => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

async fn instance_using(service: GeocodingService, url: &str) -> TestInstance {
    let url = url.to_owned();
    TestInstance::start_with(move |config| {
        config.geocoding.url = url.clone();
        config.geocoding.service = service;
        // The tests make lookups back to back.
        config.geocoding.requests_per_second = 50;
    })
    .await
}

fn position(listing: &Value) -> (f64, f64) {
    (listing["location"]["latitude"].as_f64().unwrap(), listing["location"]["longitude"].as_f64().unwrap())
}

fn at(name: &str) -> Value {
    json!({"location": {"name": name}})
}

#[tokio::test]
async fn an_address_is_placed_by_the_address_server_once_and_a_commune_alone_is_never_sent() {
    let server = AddressServer::start(GeocodingService::Ban).await;
    let instance = instance_using(GeocodingService::Ban, &server.url).await;
    let token = instance.member_with_token("alice", Role::Member).await;

    let address = "12 rue de Lannoy, Roubaix";
    let drill = instance.listing(&token, listing_body("Perceuse", at(address))).await;
    assert_eq!(drill["location"]["name"], address, "the words typed are kept");
    assert_eq!(position(&drill), RUE_DE_LANNOY);
    let lookups = server.lookups();
    assert_eq!(lookups.len(), 1, "{lookups:?}");
    assert_eq!(lookups[0]["q"], address);
    assert_eq!(lookups[0]["citycode"], "59512", "the national API is asked within the commune named");

    // The same text again (in other letters): the kept answer, no second lookup.
    let ladder = instance.listing(&token, listing_body("Escabeau", at("12 Rue de LANNOY,  Roubaix"))).await;
    assert_eq!(position(&ladder), RUE_DE_LANNOY);
    // A commune, or a postal code, alone: found offline, never sent.
    for name in ["Roubaix", "59100", "Roubaix (59100)"] {
        let listing = instance.listing(&token, listing_body("Remorque", at(name))).await;
        assert_eq!(position(&listing), ROUBAIX, "{name}");
    }
    // Coordinates typed: kept as typed, nothing sent.
    let typed = json!({"location": {"name": "12 rue de Lannoy, Roubaix", "latitude": 50.7, "longitude": 3.2}});
    assert_eq!(position(&instance.listing(&token, listing_body("Tabouret", typed)).await), (50.7, 3.2));
    assert_eq!(server.lookups().len(), 1, "{:?}", server.lookups());

    // The edit form shows the address, not coordinates found from it, so that a changed address is
    // looked up again.
    let mut browser = instance.browser();
    browser.login_ok("alice").await;
    let id = listing_id(drill["url"].as_str().unwrap());
    let form = browser.get(&format!("/listings/{id}/edit")).await;
    assert!(form.text.contains("value=\"12 rue de Lannoy, Roubaix\""), "{}", form.text);
    assert!(form.text.contains("id=\"latitude\" name=\"latitude\" value=\"\""), "{}", form.text);

    // A profile's address too.
    let reply = browser
        .submit(
            "/members/alice/edit",
            "/members/alice/edit",
            &[("display_name", "Alice"), ("location_name", "20 rue de Lannoy, Roubaix")],
        )
        .await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{reply:?}");
    let alice = maillage_server::services::accounts::find(instance.db(), "alice").await.unwrap().unwrap();
    let point = alice.location.unwrap().point.unwrap();
    assert_eq!((point.latitude, point.longitude), RUE_DE_LANNOY);
    assert_eq!(server.lookups().len(), 2);
    let form = browser.get("/members/alice/edit").await;
    assert!(form.text.contains("value=\"20 rue de Lannoy, Roubaix\""), "{}", form.text);
    assert!(!form.text.contains("50.6921"), "{}", form.text);
    instance.stop().await;
}

#[tokio::test]
async fn a_bad_or_missing_answer_leaves_the_communes_position_and_the_listing_is_saved() {
    let server = AddressServer::start(GeocodingService::Ban).await;
    let instance = instance_using(GeocodingService::Ban, &server.url).await;
    let token = instance.member_with_token("alice", Role::Member).await;
    let cases = [
        (Answer::FarAway, "1 rue de Lannoy, Roubaix"),
        (Answer::OffEarth, "2 rue de Lannoy, Roubaix"),
        (Answer::Html, "3 rue de Lannoy, Roubaix"),
        (Answer::Huge, "4 rue de Lannoy, Roubaix"),
        (Answer::Failing, "5 rue de Lannoy, Roubaix"),
    ];
    for (answer, address) in cases {
        server.answer(answer);
        let listing = instance.listing(&token, listing_body("Perceuse", at(address))).await;
        assert_eq!(listing["location"]["name"], address);
        assert_eq!(position(&listing), ROUBAIX, "{address}");
    }
    assert_eq!(server.lookups().len(), cases.len());
    // None of those was kept: once the server answers well, the address is asked again.
    server.answer(Answer::Found);
    let listing = instance.listing(&token, listing_body("Perceuse", at("5 rue de Lannoy, Roubaix"))).await;
    assert_eq!(position(&listing), RUE_DE_LANNOY);
    assert_eq!(instance.count_listings().await, 6);
    instance.stop().await;

    // A server that is not there at all.
    let closed = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/search/", closed.local_addr().unwrap());
    drop(closed);
    let instance = instance_using(GeocodingService::Ban, &url).await;
    let token = instance.member_with_token("alice", Role::Member).await;
    let listing = instance.listing(&token, listing_body("Perceuse", at("12 rue de Lannoy, Roubaix"))).await;
    assert_eq!(position(&listing), ROUBAIX);
    // A text that names no commune and that no server places is refused, as without a server.
    let reply = instance
        .api()
        .token(&token)
        .post("/api/v1/listings", &listing_body("Tabouret", at("Chez ma grand-mère")))
        .await;
    reply.assert_field_error("location.name");
    instance.stop().await;
}

#[tokio::test]
async fn nominatim_is_spoken_too() {
    let server = AddressServer::start(GeocodingService::Nominatim).await;
    let instance = instance_using(GeocodingService::Nominatim, &server.url).await;
    let token = instance.member_with_token("alice", Role::Member).await;
    let listing = instance.listing(&token, listing_body("Perceuse", at("12 rue de Lannoy, Roubaix"))).await;
    assert_eq!(position(&listing), RUE_DE_LANNOY);
    let lookups = server.lookups();
    assert_eq!(lookups.len(), 1);
    assert_eq!((lookups[0]["format"].as_str(), lookups[0]["countrycodes"].as_str()), ("jsonv2", "fr"));
    // Far from the commune named: not believed.
    server.answer(Answer::FarAway);
    let listing = instance.listing(&token, listing_body("Escabeau", at("8 rue de Lannoy, Roubaix"))).await;
    assert_eq!(position(&listing), ROUBAIX);
    // A text that names no commune: the server's answer, when it has one.
    server.answer(Answer::Found);
    let listing = instance.listing(&token, listing_body("Tabouret", at("Chez ma grand-mère"))).await;
    assert_eq!(position(&listing), RUE_DE_LANNOY);
    instance.stop().await;
}
