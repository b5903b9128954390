//! Languages: French by default, English on request (`?lang=`, then the `lang` cookie, then
//! `Accept-Language`), for pages and for API error messages.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

mod common;

use common::{TestInstance, html_text, listing_body};
use maillage_server::domain::member::Role;
use reqwest::StatusCode;
use serde_json::json;

const FR_LOGIN: &str = "Se connecter";
const EN_LOGIN: &str = "Log in";

#[track_caller]
fn assert_french(page: &common::Reply) {
    assert_eq!(page.status, StatusCode::OK, "{page:?}");
    assert!(page.text.contains("<html lang=\"fr\""), "not marked French: {page:?}");
    assert!(page.text.contains(FR_LOGIN), "no French text: {page:?}");
    assert!(!page.text.contains(EN_LOGIN), "English text on a French page: {page:?}");
}

#[track_caller]
fn assert_english(page: &common::Reply) {
    assert_eq!(page.status, StatusCode::OK, "{page:?}");
    assert!(page.text.contains("<html lang=\"en\""), "not marked English: {page:?}");
    assert!(page.text.contains(EN_LOGIN), "no English text: {page:?}");
    assert!(!page.text.contains(FR_LOGIN), "French text on an English page: {page:?}");
}

fn lang_cookie(reply: &common::Reply) -> Option<String> {
    reply
        .headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("lang="))
        .map(str::to_owned)
}

#[tokio::test]
async fn pages_are_french_unless_asked_otherwise() {
    let instance = TestInstance::start().await;
    let mut browser = instance.browser();
    let home = browser.get("/").await;
    assert_french(&home);
    assert!(home.text.contains("Chez nos partenaires"), "{home:?}");
    assert_eq!(lang_cookie(&home), None, "no language cookie unless one is chosen");

    // Accept-Language: English wins when the browser prefers it.
    assert_english(&instance.browser().get_in("/", "en-GB,en;q=0.9").await);
    assert_english(&instance.browser().get_in("/", "de-DE,en;q=0.8,fr;q=0.5").await);
    assert_french(&instance.browser().get_in("/", "fr-FR,fr;q=0.9,en;q=0.8").await);
    assert_french(&instance.browser().get_in("/", "de-DE").await);
    assert_french(&instance.browser().get_in("/register", "en;q=0.5,fr;q=0.9").await);

    // An unknown ?lang= falls back to the next signal, and is not remembered.
    let unknown = instance.browser().get("/?lang=de").await;
    assert_french(&unknown);
    assert_eq!(lang_cookie(&unknown), None);
    assert_english(&instance.browser().get_in("/?lang=de", "en").await);
    instance.stop().await;
}

#[tokio::test]
async fn a_chosen_language_is_remembered_and_beats_accept_language() {
    let instance = TestInstance::start().await;
    let mut browser = instance.browser();

    let chosen = browser.get("/?lang=en").await;
    assert_english(&chosen);
    assert!(chosen.text.contains("At our partners"), "{chosen:?}");
    let cookie = lang_cookie(&chosen).unwrap_or_else(|| panic!("no lang cookie: {chosen:?}"));
    assert!(cookie.starts_with("lang=en"), "{cookie}");
    assert!(cookie.contains("Path=/"), "{cookie}");

    // Later requests honour the cookie, on every page, whatever Accept-Language says.
    assert_english(&browser.get("/").await);
    assert_english(&browser.get("/login").await);
    assert_english(&browser.get_in("/register", "fr-FR,fr;q=0.9").await);

    // ?lang= beats the cookie and replaces it.
    assert_french(&browser.get_in("/?lang=fr", "en").await);
    assert_french(&browser.get_in("/", "en").await);
    instance.stop().await;
}

#[tokio::test]
async fn content_is_translated_too() {
    let instance = TestInstance::start().await;
    let token = instance.member_with_token("alice", Role::Member).await;
    let listing = instance
        .listing(&token, listing_body("Vélo cargo à prêter", json!({"category": "bikes-repair", "mode": "lend"})))
        .await;
    let path = format!("/listings/{}", listing["id"].as_str().unwrap());

    let french = instance.browser().get(&path).await;
    assert_eq!(french.status, StatusCode::OK, "{french:?}");
    assert!(html_text(&french.text).contains("Vélos et réparation"), "French category label: {french:?}");
    let english = instance.browser().get(&format!("{path}?lang=en")).await;
    assert_eq!(english.status, StatusCode::OK, "{english:?}");
    assert!(html_text(&english.text).contains("Bikes & repair"), "English category label: {english:?}");
    assert!(!html_text(&english.text).contains("Vélos et réparation"), "{english:?}");

    // Error pages are translated as well.
    let missing = instance.browser().get("/listings/0123456789abcdef0123456789abcdef?lang=en").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND, "{missing:?}");
    assert!(missing.text.contains("<html lang=\"en\""), "{missing:?}");
    assert!(missing.text.contains("Page or item not found."), "{missing:?}");
    let missing = instance.browser().get("/listings/0123456789abcdef0123456789abcdef").await;
    assert!(html_text(&missing.text).contains("Page ou élément introuvable."), "{missing:?}");
    instance.stop().await;
}

#[tokio::test]
async fn api_errors_speak_the_request_language() {
    let instance = TestInstance::start().await;
    let token = instance.member_with_token("alice", Role::Member).await;
    let missing = "/api/v1/listings/0123456789abcdef0123456789abcdef";

    let reply = instance.api().get(missing).await;
    reply.assert_error(StatusCode::NOT_FOUND, "not_found");
    assert_eq!(reply.json()["message"], "Page ou élément introuvable.");
    let reply = instance.api().lang("en").get(missing).await;
    reply.assert_error(StatusCode::NOT_FOUND, "not_found");
    assert_eq!(reply.json()["message"], "Page or item not found.");
    let reply = instance.api().lang("en-GB,en;q=0.9").get("/api/v1/me").await;
    assert_eq!(reply.json()["message"], "You need to be logged in.", "{reply:?}");

    // Field messages too.
    let bad = listing_body("ab", json!({}));
    let french = instance.api().token(&token).post("/api/v1/listings", &bad).await;
    assert_eq!(french.json()["message"], "Certains champs sont à corriger.", "{french:?}");
    assert_eq!(french.json()["fields"]["title"], "Au moins 3 caractères.", "{french:?}");
    let english = instance.api().token(&token).lang("en").post("/api/v1/listings", &bad).await;
    assert_eq!(english.json()["message"], "Some fields need correcting.", "{english:?}");
    assert_eq!(english.json()["fields"]["title"], "At least 3 characters.", "{english:?}");
    // The code stays the same in every language: clients match on it.
    assert_eq!(french.json()["error"], english.json()["error"]);
    instance.stop().await;
}

#[tokio::test]
async fn the_instance_default_language_and_offered_languages_are_configurable() {
    let english_first =
        TestInstance::start_with(|config| config.instance.languages = vec!["en".to_owned(), "fr".to_owned()]).await;
    assert_english(&english_first.browser().get("/").await);
    assert_french(&english_first.browser().get_in("/", "fr").await);
    english_first.stop().await;

    let french_only = TestInstance::start_with(|config| config.instance.languages = vec!["fr".to_owned()]).await;
    assert_french(&french_only.browser().get("/?lang=en").await);
    assert_french(&french_only.browser().get_in("/", "en").await);
    let reply = french_only.api().lang("en").get("/api/v1/nothing").await;
    assert_eq!(reply.json()["message"], "Page ou élément introuvable.", "{reply:?}");
    french_only.stop().await;
}
