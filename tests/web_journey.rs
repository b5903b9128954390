//! A member's journey through the web pages, as a browser makes it: forms with their CSRF field,
//! 303 redirects after each successful POST, the session cookie.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

mod common;

use common::{PASSWORD, TestInstance, html_text, listing_id};
use reqwest::StatusCode;

const TITLE: &str = "Vélo cargo à prêter";

fn listing_form<'a>(title: &'a str, price: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("purpose", "offer"),
        ("mode", "lend"),
        ("category", "bikes-repair"),
        ("title", title),
        ("description", "Biporteur révisé, avec sa bâche."),
        ("quantity", "1"),
        ("unit", "piece"),
        ("price", price),
        ("location_name", "Lille"),
        ("latitude", "50,63"),
        ("longitude", "3.06"),
        ("available_from", "2026-12-01"),
        ("available_until", ""),
        ("visibility", "public"),
    ]
}

#[tokio::test]
async fn register_publish_find_edit_close_and_log_out() {
    let instance = TestInstance::start().await;
    let mut browser = instance.browser();

    let home = browser.get("/").await;
    assert_eq!(home.status, StatusCode::OK, "{home:?}");
    assert!(home.text.contains("href=\"/login\""), "a visitor is offered to log in: {home:?}");
    assert!(!home.text.contains("href=\"/members/dominique\""));

    // Register: a 303, then logged in (the profile link shows).
    let reply = browser.register("dominique", PASSWORD).await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{reply:?}");
    let page = browser.follow(&reply).await;
    assert_eq!(page.status, StatusCode::OK, "{page:?}");
    assert!(page.text.contains("href=\"/members/dominique\""), "profile link after registering: {page:?}");
    let session_cookie = reply
        .headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("maillage_session="));
    let session_cookie = session_cookie.unwrap_or_else(|| panic!("no session cookie set on registration: {reply:?}"));
    assert!(session_cookie.contains("HttpOnly"), "{session_cookie}");
    assert!(session_cookie.contains("SameSite=Lax"), "{session_cookie}");

    // Publish a listing; the price is typed the French way.
    let form = listing_form(TITLE, "12,50");
    let reply = browser.submit("/listings/new", "/listings", &form).await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{reply:?}");
    let location = reply.location();
    let id = listing_id(&location);
    let page = browser.follow(&reply).await;
    assert_eq!(page.status, StatusCode::OK, "{page:?}");
    assert!(html_text(&page.text).contains(TITLE), "the listing page shows its title: {page:?}");
    assert!(page.text.contains("Votre annonce est publiée."), "the page says what was done: {page:?}");
    // Only known outcomes are announced: a link cannot make a page say anything else.
    let crafted = browser.get(&format!("/listings/{id}?done=hacked")).await;
    assert!(!crafted.text.contains("role=\"status\""), "{crafted:?}");
    // The API sees what the form said.
    let api = instance.api().get(&format!("/api/v1/listings/{id}")).await.json();
    assert_eq!(api["title"], TITLE);
    assert_eq!(api["price_cents"], 1250);
    assert_eq!(api["location"]["latitude"], 50.63);
    assert_eq!(api["author"]["username"], "dominique");

    // The catalogue finds it, accents or not; another word does not.
    let icon = browser.get("/favicon.ico").await;
    assert!(icon.status == StatusCode::OK && icon.content_type() == "image/svg+xml", "{icon:?}");
    let found = browser.get("/catalogue?q=velo").await;
    assert_eq!(found.status, StatusCode::OK, "{found:?}");
    assert!(html_text(&found.text).contains(TITLE), "{found:?}");
    assert!(found.text.contains(&format!("/listings/{id}")), "the result links to the listing: {found:?}");
    // The search form sends every filter, empty or at its default: the filters stay folded, so
    // that results come first on a phone; a filter in use unfolds them.
    let folded = browser.get("/catalogue?q=velo&purpose=&mode=&category=&near=&radius_km=&sort=newest&scope=all").await;
    assert!(folded.text.contains("<details class=\"filters\">"), "{folded:?}");
    let unfolded = browser.get("/catalogue?q=velo&purpose=offer&sort=newest&scope=all").await;
    assert!(unfolded.text.contains("<details class=\"filters\" open>"), "{unfolded:?}");
    let missed = browser.get("/catalogue?q=trampoline").await;
    assert!(!html_text(&missed.text).contains(TITLE), "{missed:?}");
    // Visible to an anonymous visitor too.
    let mut visitor = instance.browser();
    assert!(html_text(&visitor.get("/catalogue?q=cargo").await.text).contains(TITLE));

    // Edit: the form is filled in with the listing; saving changes the title.
    let edit = browser.get(&format!("/listings/{id}/edit")).await;
    assert_eq!(edit.status, StatusCode::OK, "{edit:?}");
    assert!(html_text(&edit.text).contains(TITLE), "the edit form shows the current title: {edit:?}");
    let edited_title = "Triporteur à prêter";
    let reply = browser.post(&format!("/listings/{id}/edit"), &listing_form(edited_title, "")).await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{reply:?}");
    let page = browser.follow(&reply).await;
    assert!(html_text(&page.text).contains(edited_title), "{page:?}");
    assert!(page.text.contains("Vos modifications sont enregistrées."), "{page:?}");
    assert!(html_text(&browser.get("/catalogue?q=triporteur").await.text).contains(edited_title));
    assert!(!html_text(&browser.get("/catalogue?q=velo").await.text).contains(edited_title));
    let api = instance.api().get(&format!("/api/v1/listings/{id}")).await.json();
    assert_eq!(api["price_cents"], serde_json::Value::Null, "an empty price means free");

    // Someone else cannot edit it.
    let mut other = instance.browser();
    instance.create_member("eloise", maillage_server::domain::member::Role::Member).await;
    other.login_ok("eloise").await;
    let refused = other.get(&format!("/listings/{id}/edit")).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{refused:?}");
    // The error page keeps the member's own menu: they are still logged in.
    assert!(refused.text.contains("Se déconnecter") && !refused.text.contains("Se connecter"), "{refused:?}");
    let missing = other.get("/nimportequoi").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND, "{missing:?}");
    assert!(missing.text.contains("Se déconnecter"), "{missing:?}");
    other.get("/").await;
    let refused = other.post(&format!("/listings/{id}/edit"), &listing_form("Pris par Éloïse", "")).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{refused:?}");
    let refused = other.post(&format!("/listings/{id}/status"), &[("status", "closed")]).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{refused:?}");
    assert_eq!(instance.api().get(&format!("/api/v1/listings/{id}")).await.json()["title"], edited_title);

    // Close: out of the catalogue.
    browser.get(&format!("/listings/{id}")).await;
    let reply = browser.post(&format!("/listings/{id}/status"), &[("status", "closed")]).await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{reply:?}");
    let page = browser.follow(&reply).await;
    let text = html_text(&page.text);
    assert!(text.contains("L'annonce est clôturée") && text.contains("Clôturée"), "says what closing did: {page:?}");
    assert!(!html_text(&browser.get("/catalogue?q=triporteur").await.text).contains(edited_title));
    assert_eq!(instance.api().get(&format!("/api/v1/listings/{id}")).await.json()["status"], "closed");

    // The profile page shows the member.
    let profile = browser.get("/members/dominique").await;
    assert_eq!(profile.status, StatusCode::OK, "{profile:?}");
    assert!(html_text(&profile.text).contains("dominique display"), "{profile:?}");
    let handle = format!("@dominique@{}", instance.config.domain);
    assert!(profile.text.contains(&handle), "the profile gives the address to follow: {profile:?}");

    // With a place on the profile, "nearest first" needs no coordinates typed in: the profile's are
    // used, and shown in the form.
    let reply = browser
        .submit(
            "/members/dominique/edit",
            "/members/dominique/edit",
            &[
                ("display_name", "dominique display"),
                ("description", ""),
                ("location_name", "Roubaix"),
                ("latitude", "50.69"),
                ("longitude", "3.17"),
            ],
        )
        .await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{reply:?}");
    let nearest = browser.get("/catalogue?sort=nearest").await;
    assert_eq!(nearest.status, StatusCode::OK, "{nearest:?}");
    assert!(nearest.text.contains("value=\"50.69,3.17\""), "the profile's place fills the form: {nearest:?}");
    assert!(!nearest.text.contains("role=\"alert\""), "no error: {nearest:?}");
    let without_place = instance.browser().get("/catalogue?sort=nearest").await;
    assert!(without_place.text.contains("role=\"alert\""), "a visitor is asked for a point: {without_place:?}");

    // Log out: the profile link is gone, members-only pages send to the login page.
    let reply = browser.post("/logout", &[]).await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{reply:?}");
    let home = browser.get("/").await;
    assert!(!home.text.contains("href=\"/members/dominique\""), "still logged in: {home:?}");
    assert!(home.text.contains("href=\"/login\""));
    let reply = browser.get("/listings/new").await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{reply:?}");
    assert!(reply.location().starts_with("/login"), "{reply:?}");
    instance.stop().await;
}

#[tokio::test]
async fn logging_in_and_deleting_a_listing() {
    let instance = TestInstance::start().await;
    instance.create_member("fatou", maillage_server::domain::member::Role::Member).await;
    let mut browser = instance.browser();

    // A wrong password re-renders the form with 401; the visitor stays anonymous.
    let reply = browser.login("fatou", "not the password").await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{reply:?}");
    assert!(reply.text.contains("name=\"username\""), "the login form is shown again: {reply:?}");
    assert!(reply.text.contains("fatou"), "the username is kept: {reply:?}");
    assert!(!browser.get("/").await.text.contains("href=\"/members/fatou\""));

    // Logging in from a members-only page comes back to it.
    let reply = browser.get("/listings/new").await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{reply:?}");
    let login_page = browser.follow(&reply).await;
    assert_eq!(login_page.status, StatusCode::OK, "{login_page:?}");
    let reply =
        browser.post("/login", &[("username", "fatou"), ("password", PASSWORD), ("next", "/listings/new")]).await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{reply:?}");
    assert_eq!(reply.location(), "/listings/new");
    let form = browser.follow(&reply).await;
    assert_eq!(form.status, StatusCode::OK, "{form:?}");
    assert!(form.text.contains("name=\"title\""), "{form:?}");
    // An outside `next` is not followed.
    let reply = browser
        .post("/login", &[("username", "fatou"), ("password", PASSWORD), ("next", "https://evil.example/")])
        .await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{reply:?}");
    assert!(reply.location().starts_with('/') && !reply.location().starts_with("//"), "open redirect: {reply:?}");
    // That login opened a new session; the page it leads to has forms bound to it.
    browser.follow(&reply).await;

    let reply = browser.post("/listings", &listing_form("Perceuse à percussion", "")).await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{reply:?}");
    let id = listing_id(&reply.location());
    assert_eq!(instance.count_listings().await, 1);
    // The listing page links to a page that asks first; its form deletes.
    let page = browser.get(&format!("/listings/{id}")).await;
    assert!(page.text.contains(&format!("href=\"/listings/{id}/delete\"")), "no link to delete: {page:?}");
    let confirm = browser.get(&format!("/listings/{id}/delete")).await;
    assert_eq!(confirm.status, StatusCode::OK, "{confirm:?}");
    assert!(
        html_text(&confirm.text).contains("Supprimer l'annonce «\u{a0}Perceuse à percussion\u{a0}»\u{a0}?"),
        "the page names what it deletes: {confirm:?}"
    );
    assert!(confirm.text.contains(&format!("action=\"/listings/{id}/delete\"")), "{confirm:?}");
    assert_eq!(instance.count_listings().await, 1, "asking deletes nothing");
    let reply = browser.post(&format!("/listings/{id}/delete"), &[]).await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{reply:?}");
    let gone = browser.get(&format!("/listings/{id}")).await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND, "{gone:?}");
    assert!(gone.content_type().starts_with("text/html"), "web errors are pages: {gone:?}");
    assert_eq!(instance.count_listings().await, 0);
    instance.stop().await;
}

#[tokio::test]
async fn registration_form_reports_problems() {
    let instance = TestInstance::start().await;
    let mut browser = instance.browser();
    let reply = browser
        .submit(
            "/register",
            "/register",
            &[
                ("username", "gaston"),
                ("display_name", "Gaston"),
                ("kind", "person"),
                ("password", PASSWORD),
                ("password_confirm", "something else entirely"),
            ],
        )
        .await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{reply:?}");
    assert!(reply.text.contains("gaston"), "the username is kept: {reply:?}");
    let reply = browser
        .post(
            "/register",
            &[
                ("username", "g"),
                ("display_name", "Gaston"),
                ("kind", "person"),
                ("password", "short"),
                ("password_confirm", "short"),
            ],
        )
        .await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{reply:?}");
    assert!(
        maillage_server::services::accounts::find(instance.db(), "gaston").await.unwrap().is_none(),
        "nothing stored after a rejected registration"
    );
    // A taken username.
    instance.create_member("honorine", maillage_server::domain::member::Role::Member).await;
    let reply = browser.register("honorine", PASSWORD).await;
    assert!(
        reply.status == StatusCode::CONFLICT || reply.status == StatusCode::UNPROCESSABLE_ENTITY,
        "a taken username re-renders the form: {reply:?}"
    );
    assert!(html_text(&reply.text).contains("Cet identifiant est déjà pris."), "{reply:?}");
    instance.stop().await;
}
