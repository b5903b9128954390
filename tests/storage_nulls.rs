//! Optional numbers go in and out of both databases intact, whatever was stored before on the same
//! connection. (Regression: sqlx's `Any` driver typed a NULL `f64` as `float4` on PostgreSQL, and the
//! cached statement then refused the next real coordinate.)

mod common;

use common::{TestInstance, listing_body};
use maillage_server::domain::member::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};

#[tokio::test]
async fn coordinates_alternate_between_absent_and_present() {
    let instance = TestInstance::start().await;
    let token = instance.member_with_token("alice", Role::Member).await;
    let api = instance.api().token(&token);
    let lille = json!({"name": "Lille", "latitude": 50.6292, "longitude": 3.0573});
    for round in 0..12 {
        let location = if round % 2 == 0 { Value::Null } else { lille.clone() };
        let created = api
            .post("/api/v1/listings", &listing_body(&format!("Perceuse {round}"), json!({"location": location})))
            .await;
        assert_eq!(created.status, StatusCode::CREATED, "round {round}: {created:?}");
        assert_eq!(created.json()["location"], location, "round {round}");
        let path = format!("/api/v1/listings/{}", created.json()["id"].as_str().unwrap_or_default());
        let flipped = if round % 2 == 0 { lille.clone() } else { Value::Null };
        let patched = api.patch(&path, &json!({"location": flipped})).await;
        assert_eq!(patched.status, StatusCode::OK, "round {round}: {patched:?}");
        assert_eq!(patched.json()["location"], flipped, "round {round}");
    }
    instance.stop().await;
}
