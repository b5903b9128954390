//! What is stored survives a restart: members, sessions, listings, their state, and the search index.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

mod common;

use common::{PASSWORD, TestInstance, html_text, listing_body};
use maillage_server::domain::member::Role;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn everything_is_still_there_after_a_restart() {
    let instance = TestInstance::start().await;
    let admin_token = instance.member_with_token("admin", Role::Admin).await;
    let reply = instance
        .api()
        .post(
            "/api/v1/accounts",
            &json!({"username": "camille", "password": PASSWORD, "display_name": "Camille", "kind": "organisation"}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{reply:?}");
    let login = instance.api().post("/api/v1/sessions", &json!({"username": "camille", "password": PASSWORD})).await;
    let token = login.json()["token"].as_str().expect("token").to_owned();
    let mut browser = instance.browser();
    browser.login_ok("camille").await;

    let velo = instance
        .listing(
            &token,
            listing_body("Vélo cargo à prêter", json!({"category": "bikes-repair", "description": "Biporteur révisé"})),
        )
        .await;
    let palettes = instance
        .listing(
            &token,
            listing_body(
                "Palettes de bois",
                json!({"mode": "give", "category": "materials-pallets", "quantity": 12.5, "unit": "t", "price_cents": 4200,
                       "location": {"name": "Marseille", "latitude": 43.3, "longitude": 5.37}}),
            ),
        )
        .await;
    let closed = instance.listing(&token, listing_body("Perceuse fermée", json!({"status": "closed"}))).await;
    let promoted = instance.api().token(&admin_token).post("/api/v1/admin/members/camille/promote", &json!({})).await;
    assert_eq!(promoted.status, StatusCode::OK, "{promoted:?}");
    let before_count = instance.count_listings().await;
    assert_eq!(before_count, 3);

    let instance = instance.restart().await;

    // Listings: the same JSON, apart from the URLs that name the new port.
    for listing in [&velo, &palettes, &closed] {
        let id = listing["id"].as_str().unwrap();
        let reply = instance.api().token(&token).get(&format!("/api/v1/listings/{id}")).await;
        assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
        let after = reply.json();
        for field in [
            "title",
            "description",
            "purpose",
            "mode",
            "category",
            "quantity",
            "unit",
            "price_cents",
            "location",
            "status",
            "created_at",
            "updated_at",
            "available_from",
        ] {
            assert_eq!(after[field], listing[field], "{field} of {id} changed across the restart");
        }
        assert_eq!(after["url"], format!("{}listings/{id}", instance.public_url()));
    }
    assert_eq!(instance.count_listings().await, before_count);

    // Still searchable, and the closed one still out of the catalogue.
    let api = instance.api();
    assert_eq!(api.titles(&[("q", "velo")]).await, ["Vélo cargo à prêter"]);
    assert_eq!(api.titles(&[("q", "biporteur")]).await, ["Vélo cargo à prêter"]);
    assert_eq!(api.titles(&[("category", "materials")]).await, ["Palettes de bois"]);
    assert_eq!(api.titles(&[("near", "43.3,5.37"), ("radius_km", "20")]).await, ["Palettes de bois"]);
    assert_eq!(api.titles(&[("q", "perceuse")]).await, Vec::<String>::new());
    let page = instance.browser().get("/catalogue?q=palettes").await;
    assert!(html_text(&page.text).contains("Palettes de bois"), "{page:?}");

    // Members, their role, their password and their API token.
    let me = instance.api().token(&token).get("/api/v1/me").await;
    assert_eq!(me.status, StatusCode::OK, "the API token survived: {me:?}");
    assert_eq!(me.json()["username"], "camille");
    assert_eq!(me.json()["kind"], "organisation");
    assert_eq!(me.json()["role"], "admin");
    let login = instance.api().post("/api/v1/sessions", &json!({"username": "camille", "password": PASSWORD})).await;
    assert_eq!(login.status, StatusCode::CREATED, "{login:?}");
    let again = instance
        .api()
        .post(
            "/api/v1/accounts",
            &json!({"username": "camille", "password": PASSWORD, "display_name": "Autre", "kind": "person"}),
        )
        .await;
    again.assert_error(StatusCode::CONFLICT, "username_taken");
    assert_eq!(instance.api().token(&admin_token).get("/api/v1/admin/members").await.status, StatusCode::OK);

    // A change after the restart sticks as well.
    let id = velo["id"].as_str().unwrap();
    let reply = instance
        .api()
        .token(&token)
        .patch(&format!("/api/v1/listings/{id}"), &json!({"title": "Triporteur à prêter"}))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    let instance = instance.restart().await;
    assert_eq!(instance.api().titles(&[("q", "triporteur")]).await, ["Triporteur à prêter"]);
    assert_eq!(instance.api().titles(&[("q", "velo")]).await, Vec::<String>::new());
    instance.stop().await;
}

#[tokio::test]
async fn web_sessions_survive_a_restart() {
    let instance = TestInstance::start().await;
    instance.create_member("dominique", Role::Member).await;
    let mut browser = instance.browser();
    let reply = browser.login("dominique", PASSWORD).await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{reply:?}");
    let session = reply
        .headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|c| c.strip_prefix("maillage_session="))
        .map(|c| c.split(';').next().unwrap_or_default().to_owned())
        .unwrap_or_else(|| panic!("no session cookie: {reply:?}"));
    assert!(browser.get("/").await.text.contains("href=\"/members/dominique\""));

    // The restarted instance listens on another port: carry the session cookie there by hand.
    let instance = instance.restart().await;
    let page = |session: String| {
        let url = instance.url("/");
        async move {
            let reply = reqwest::Client::new().get(url).header("cookie", format!("maillage_session={session}")).send();
            reply.await.unwrap().text().await.unwrap()
        }
    };
    let text = page(session.clone()).await;
    assert!(text.contains("href=\"/members/dominique\""), "the web session did not survive: {text}");
    let text = page("0".repeat(64)).await;
    assert!(!text.contains("href=\"/members/dominique\""), "any session cookie logs in: {text}");
    instance.stop().await;
}

/// The text index is written with each listing, not queued for a later merge: on PostgreSQL its
/// GIN index has no pending list (which every search scanned: 3.4 ms instead of 0.3 ms per word at
/// 100,000 listings, migration 0005); on SQLite the full-text table holds the words at once.
#[tokio::test]
async fn the_search_index_is_written_with_each_listing() {
    let instance = TestInstance::start().await;
    let token = instance.member_with_token("camille", Role::Member).await;
    instance.listing(&token, listing_body("Remorque à vélo", json!({"description": "Charge utile 40 kg"}))).await;
    let pool = &instance.db().pool;
    if instance.on_postgres() {
        let options: Option<String> = sqlx::query_scalar(
            "SELECT array_to_string(reloptions, ',') FROM pg_class WHERE relname = 'listings_search_vector'",
        )
        .fetch_one(pool)
        .await
        .unwrap();
        assert_eq!(options.as_deref(), Some("fastupdate=off"), "the search index keeps a pending list");
    } else {
        let indexed: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM listings_fts WHERE listings_fts MATCH 'remorque'")
            .fetch_one(pool)
            .await
            .unwrap();
        assert_eq!(indexed, 1, "the listing's words are not in the full-text table");
    }
    assert_eq!(instance.api().titles(&[("q", "remorque")]).await, ["Remorque à vélo"]);
    instance.stop().await;
}
