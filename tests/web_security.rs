//! What a hostile page, link or peer must not be able to do through the web UI: run script through a
//! link received from another server, send a member off-site after logging in, forge a form with a
//! planted cookie, frame a page; and the input a form or a query must refuse (invisible titles,
//! impossible years, bytes that are not text).

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

mod common;

use std::sync::Arc;

use common::{PASSWORD, TestInstance, csrf_field, html_text, listing_body};
use maillage_federation::RemoteActor;
use maillage_federation::vocab::ActorKind;
use maillage_server::domain::actor::OurActor;
use maillage_server::domain::ids::now_ms;
use maillage_server::domain::listing::{ListingDraft, ListingInput};
use maillage_server::domain::member::Role;
use maillage_server::storage;
use maillage_server::storage::follows::FollowRow;
use maillage_server::storage::listings::RemoteSource;
use reqwest::header::{HeaderMap, HeaderValue};
use reqwest::{Method, StatusCode};
use serde_json::json;
use url::Url;

// ---- links received from other servers ------------------------------------------------------------

fn remote_actor(id: &str, username: &str, name: &str, page: Option<&str>) -> RemoteActor {
    RemoteActor {
        id: Url::parse(id).unwrap(),
        kind: ActorKind::Person,
        domain: "remote.example".to_owned(),
        username: username.to_owned(),
        name: name.to_owned(),
        inbox: Url::parse("https://remote.example/inbox").unwrap(),
        shared_inbox: None,
        outbox: None,
        public_key_pem: String::new(),
        page: page.map(|p| Url::parse(p).unwrap()),
        icon: None,
        fetched_at: now_ms(),
    }
}

/// Stores a public remote listing as an older version would have kept it, `page` unchecked.
async fn store_remote_listing(instance: &TestInstance, title: &str, author: &str, page: &str) {
    let input = ListingInput {
        purpose: "offer".to_owned(),
        mode: "lend".to_owned(),
        category: "objects-tools".to_owned(),
        title: title.to_owned(),
        ..ListingInput::default()
    };
    let draft = ListingDraft::parse(&input).unwrap();
    let ap_id = format!("https://remote.example/listings/{}", title.replace(' ', "-"));
    let source = RemoteSource { origin: "remote.example", ap_id: &ap_id, author, page };
    storage::listings::upsert_remote(&mut instance.db().conn().await.unwrap(), &source, &draft, now_ms(), now_ms())
        .await
        .unwrap();
}

/// Every `href` of a page.
fn hrefs(html: &str) -> Vec<String> {
    html.split("href=\"").skip(1).filter_map(|rest| rest.split('"').next()).map(html_text).collect()
}

#[track_caller]
fn assert_no_script_link(what: &str, html: &str) {
    for href in hrefs(html) {
        let lower = href.trim().to_ascii_lowercase();
        let web = lower.starts_with("http://") || lower.starts_with("https://");
        assert!(web || href.starts_with('/') || !href.contains(':'), "{what}: a link that is not a web page: {href}");
    }
    assert!(!html.to_ascii_lowercase().contains("javascript"), "{what}: javascript in the page:\n{html}");
}

#[tokio::test]
async fn links_from_other_servers_never_run_script() {
    let instance = TestInstance::start().await;
    instance.create_member("camille", Role::Admin).await;
    // Eve's profile page is a script; Mallory has no page and an id that is one (the author
    // link falls back to the id).
    let eve = remote_actor("https://remote.example/users/eve", "eve", "Ève Hostile", Some("javascript:alert(1)"));
    let mallory = remote_actor("javascript:alert(3)", "mallory", "Mallory Hostile", None);
    let fair =
        remote_actor("https://remote.example/users/fair", "fair", "Fair Play", Some("https://remote.example/@fair"));
    for actor in [&eve, &mallory, &fair] {
        storage::remote_actors::save_remote_actor(&mut instance.db().conn().await.unwrap(), actor).await.unwrap();
    }
    store_remote_listing(&instance, "Perceuse piégée", eve.id.as_str(), "javascript:alert(2)").await;
    store_remote_listing(&instance, "Perceuse masquée", mallory.id.as_str(), "JavaScript:alert(4)").await;
    store_remote_listing(&instance, "Perceuse honnête", fair.id.as_str(), "https://remote.example/listings/ok").await;

    let mut admin = instance.browser();
    admin.login_ok("camille").await;
    let catalogue = admin.get("/catalogue").await;
    let search = admin.get("/catalogue?q=perceuse").await;
    let moderation = admin.get("/admin/listings").await;
    let on_page = instance.api().get("/api/v1/listings?q=perceuse&per_page=10").await.json();
    let mut pages = vec![("catalogue", catalogue), ("search", search), ("moderation", moderation)];
    for item in on_page["items"].as_array().unwrap() {
        let path = format!("/listings/{}", item["id"].as_str().unwrap());
        pages.push(("listing page", admin.get(&path).await));
    }
    assert_eq!(pages.len(), 6, "three listing pages: {on_page}");
    for (what, page) in &pages {
        assert_eq!(page.status, StatusCode::OK, "{what}: {page:?}");
        let text = html_text(&page.text);
        // The authors are still named (as text), so the check below is not about an empty page.
        let named = ["Ève Hostile", "Mallory Hostile", "Fair Play"].iter().filter(|n| text.contains(*n)).count();
        assert_eq!(named, if *what == "listing page" { 1 } else { 3 }, "{what}: {page:?}");
        assert_no_script_link(what, &page.text);
    }
    // An honest remote link is still a link.
    let honest = pages.iter().find(|(what, page)| *what == "listing page" && page.text.contains("Perceuse honnête"));
    let honest = &honest.expect("the honest listing's page").1;
    assert!(honest.text.contains("href=\"https://remote.example/listings/ok\""), "{honest:?}");
    assert!(honest.text.contains("href=\"https://remote.example/@fair\""), "{honest:?}");

    // The follows page names the accounts followed; only a real web page is a link.
    let camille = maillage_server::services::accounts::find(instance.db(), "camille").await.unwrap().unwrap();
    for actor in [&eve, &mallory, &fair] {
        let row = FollowRow {
            target: actor.id.to_string(),
            follow_id: format!("https://local.example/follows/{}", actor.username),
            state: maillage_server::domain::follow::FollowState::Accepted,
        };
        storage::follows::save_follow(
            &mut instance.db().conn().await.unwrap(),
            OurActor::of(&camille).key(),
            &row,
            now_ms(),
        )
        .await
        .unwrap();
    }
    let follows = admin.get("/follows").await;
    assert_eq!(follows.status, StatusCode::OK, "{follows:?}");
    let text = html_text(&follows.text);
    assert!(text.contains("Ève Hostile") && text.contains("Mallory Hostile"), "{follows:?}");
    assert_no_script_link("follows", &follows.text);
    assert!(follows.text.contains("href=\"https://remote.example/@fair\""), "{follows:?}");
    instance.stop().await;
}

// ---- security headers -------------------------------------------------------------------------------

#[track_caller]
fn assert_security_headers(what: &str, reply: &common::Reply) {
    let csp = reply.header("content-security-policy").unwrap_or_else(|| panic!("{what}: no CSP: {reply:?}"));
    for directive in
        ["default-src 'none'", "script-src 'self'", "connect-src 'self'", "style-src 'self'", "frame-ancestors 'none'"]
    {
        assert!(csp.contains(directive), "{what}: {directive} not in {csp}");
    }
    assert!(!csp.contains("unsafe-inline"), "{what}: {csp}");
    assert_eq!(reply.header("x-content-type-options"), Some("nosniff"), "{what}: {reply:?}");
    assert_eq!(reply.header("referrer-policy"), Some("same-origin"), "{what}: {reply:?}");
    assert_eq!(reply.header("x-frame-options"), Some("DENY"), "{what}: {reply:?}");
}

#[tokio::test]
async fn every_answer_carries_the_security_headers() {
    let instance = TestInstance::start().await;
    instance.create_member("alice", Role::Member).await;
    let api = instance.api();
    let mut browser = instance.browser();
    let page = browser.get("/").await;
    assert_eq!(page.status, StatusCode::OK);
    assert_security_headers("catalogue", &page);
    let missing = browser.get("/nowhere").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_security_headers("error page", &missing);
    assert_security_headers("stylesheet", &browser.get("/static/style.css").await);
    let listings = api.get("/api/v1/listings").await;
    assert_eq!(listings.status, StatusCode::OK);
    assert_security_headers("API", &listings);
    assert_security_headers("API error", &api.get("/api/v1/me").await);
    let actor =
        api.send(api.request(Method::GET, "/members/alice").header("accept", "application/activity+json")).await;
    assert!(actor.content_type().starts_with("application/activity+json"), "{actor:?}");
    assert_security_headers("ActivityPub document", &actor);
    // Every page still works under the policy: none has inline script or style (the one script is
    // a file of ours).
    for path in ["/", "/login", "/register", "/nowhere"] {
        let text = browser.get(path).await.text;
        let scripts: Vec<&str> = text.match_indices("<script").map(|(i, _)| &text[i..]).collect();
        assert!(
            scripts.iter().all(|s| s.starts_with("<script src=\"/static/places.js\" defer></script>")),
            "{path}: {text}"
        );
        assert!(!text.contains("style=") && !text.contains("<style"), "{path}: {text}");
    }
    let script = browser.get("/static/places.js").await;
    assert_eq!(script.status, StatusCode::OK);
    assert!(script.content_type().starts_with("text/javascript"), "{script:?}");
    instance.stop().await;
}

// ---- where a login leads ------------------------------------------------------------------------------

/// What a `Location` may be after a login: a plain path of this site.
#[track_caller]
fn assert_local(what: &str, location: &str) {
    assert!(location.starts_with('/'), "{what}: {location:?}");
    assert!(!location.starts_with("//") && !location.contains('\\'), "{what}: {location:?}");
    assert!(!location.chars().any(|c| c.is_control() || c.is_whitespace()), "{what}: {location:?}");
}

/// The value of the login form's hidden `next` field.
fn next_field(html: &str) -> String {
    let value = html.split("name=\"next\" value=\"").nth(1).and_then(|rest| rest.split('"').next());
    html_text(value.unwrap_or_else(|| panic!("no next field in {html}")))
}

#[tokio::test]
async fn a_login_never_leads_off_site() {
    // Some forty logins of one account: more than its rate limit lets through (tests/limits.rs).
    let instance = TestInstance::start_with(|config| config.limits.enabled = false).await;
    instance.create_member("alice", Role::Member).await;
    let hostile = [
        "/\t/evil.example",
        "/\t\t/evil.example",
        "/\\evil.example",
        "/x\\..\\\\evil.example",
        "//evil.example",
        "/ /evil.example",
        "/\r\nSet-Cookie: planted=1",
        "/\rx",
        "/\nx",
        "/\0x",
        "https://evil.example/",
        " //evil.example",
        "/\u{a0}/evil.example",
    ];
    for next in hostile {
        let mut browser = instance.browser();
        let query = common::encode(&[("next", next)]);
        let form = browser.get(&format!("/login?{query}")).await;
        assert_eq!(form.status, StatusCode::OK, "GET with next {next:?}: {form:?}");
        assert_eq!(next_field(&form.text), "", "the form keeps {next:?}: {form:?}");
        // A failed login shows the form again, without the hostile next either.
        let again = browser.post("/login", &[("username", "alice"), ("password", "wrong!"), ("next", next)]).await;
        assert_eq!(again.status, StatusCode::UNAUTHORIZED, "{next:?}: {again:?}");
        assert_eq!(next_field(&again.text), "", "{next:?}: {again:?}");
        let reply = browser.post("/login", &[("username", "alice"), ("password", PASSWORD), ("next", next)]).await;
        assert_eq!(reply.status, StatusCode::SEE_OTHER, "POST with next {next:?}: {reply:?}");
        assert_local(&format!("{next:?}"), &reply.location());
        assert_eq!(reply.location(), "/", "{next:?}");
    }
    // The page a visitor was sent away from, with its query, is where the login leads.
    let mut browser = instance.browser();
    let away = browser.get("/listings/new?from=v%C3%A9lo&x=1").await;
    assert_eq!(away.status, StatusCode::SEE_OTHER, "{away:?}");
    let form = browser.follow(&away).await;
    assert_eq!(next_field(&form.text), "/listings/new?from=v%C3%A9lo&x=1", "{form:?}");
    let next = "/listings/new?from=v%C3%A9lo&x=1";
    let reply = browser.post("/login", &[("username", "alice"), ("password", PASSWORD), ("next", next)]).await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{reply:?}");
    assert_eq!(reply.location(), next);
    // Typed by hand, unencoded, it is not a plain path: home, rather than a 500.
    let mut browser = instance.browser();
    browser.get("/login").await;
    let reply =
        browser.post("/login", &[("username", "alice"), ("password", PASSWORD), ("next", "/catalogue?q=vélo")]).await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{reply:?}");
    assert_eq!(reply.location(), "/");
    instance.stop().await;
}

#[tokio::test]
async fn a_path_with_two_slashes_gives_no_link_off_site() {
    let instance = TestInstance::start().await;
    let mut browser = instance.browser();
    let reply = browser.get("//evil.example/x").await;
    assert!(reply.status.is_client_error(), "{reply:?}");
    for href in hrefs(&reply.text) {
        assert!(!href.starts_with("//") && !href.contains("evil.example"), "{href}: {reply:?}");
    }
    instance.stop().await;
}

// ---- CSRF -----------------------------------------------------------------------------------------------

/// A browser whose cookie jar the test can write to, as a sibling subdomain or a network attacker
/// on plain http could.
struct Jarred {
    client: reqwest::Client,
    jar: Arc<reqwest::cookie::Jar>,
    base: Url,
}

impl Jarred {
    fn new(instance: &TestInstance) -> Self {
        let jar = Arc::new(reqwest::cookie::Jar::default());
        let client = reqwest::Client::builder()
            .cookie_provider(jar.clone())
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        Self { client, jar, base: Url::parse(&instance.url("/")).unwrap() }
    }

    async fn get(&self, path: &str) -> (StatusCode, String) {
        let response = self.client.get(self.base.join(path).unwrap()).send().await.unwrap();
        (response.status(), response.text().await.unwrap())
    }

    async fn post(&self, path: &str, fields: &[(&str, &str)]) -> StatusCode {
        let response = self
            .client
            .post(self.base.join(path).unwrap())
            .header("content-type", "application/x-www-form-urlencoded")
            .body(common::encode(fields))
            .send()
            .await
            .unwrap();
        response.status()
    }

    fn plant(&self, cookie: &str) {
        self.jar.add_cookie_str(cookie, &self.base);
    }
}

const LISTING_FORM: [(&str, &str); 4] =
    [("purpose", "offer"), ("mode", "give"), ("category", "materials-wood"), ("title", "Chutes de contreplaqué")];

#[tokio::test]
async fn a_planted_csrf_cookie_is_worthless_to_a_logged_in_member() {
    let instance = TestInstance::start().await;
    instance.create_member("alice", Role::Member).await;
    let browser = Jarred::new(&instance);
    let (_, login) = browser.get("/login").await;
    let anonymous = csrf_field(&login).unwrap();
    let status = browser
        .post("/login", &[("username", "alice"), ("password", PASSWORD), ("next", "/"), ("csrf", &anonymous)])
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);

    // The attacker sets the CSRF cookie to a value of their own and submits it in a form.
    let planted = "ab".repeat(32);
    browser.plant(&format!("maillage_csrf={planted}; Path=/"));
    let mut forged = LISTING_FORM.to_vec();
    forged.push(("csrf", &planted));
    assert_eq!(browser.post("/listings", &forged).await, StatusCode::FORBIDDEN);
    // The token of the anonymous login form is no good once logged in either.
    let mut stale = LISTING_FORM.to_vec();
    stale.push(("csrf", &anonymous));
    assert_eq!(browser.post("/listings", &stale).await, StatusCode::FORBIDDEN);
    assert_eq!(instance.count_listings().await, 0);

    // The page's own token, which is bound to the session, still works without JavaScript.
    let (_, form) = browser.get("/listings/new").await;
    let token = csrf_field(&form).unwrap();
    assert_ne!(token, planted);
    assert_ne!(token, anonymous, "a new token after logging in");
    let mut genuine = LISTING_FORM.to_vec();
    genuine.push(("csrf", &token));
    assert_eq!(browser.post("/listings", &genuine).await, StatusCode::SEE_OTHER);
    assert_eq!(instance.count_listings().await, 1);
    // Logging out with it works too, and ends the session.
    assert_eq!(browser.post("/logout", &[("csrf", &token)]).await, StatusCode::SEE_OTHER);
    assert_eq!(browser.post("/listings", &genuine).await, StatusCode::SEE_OTHER, "to the login page");
    assert_eq!(instance.count_listings().await, 1);
    instance.stop().await;
}

#[tokio::test]
async fn over_https_the_anonymous_csrf_cookie_is_a_host_cookie() {
    let instance = TestInstance::start_with(|config| config.domain = "coop.example".to_owned()).await;
    instance.create_member("alice", Role::Member).await;
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let response = client.get(instance.url("/login")).send().await.unwrap();
    let cookies: Vec<String> =
        response.headers().get_all("set-cookie").iter().map(|v| v.to_str().unwrap().to_owned()).collect();
    let page = response.text().await.unwrap();
    let token = csrf_field(&page).unwrap();
    let csrf = cookies.iter().find(|c| c.contains("csrf")).unwrap_or_else(|| panic!("no CSRF cookie in {cookies:?}"));
    assert!(csrf.starts_with(&format!("__Host-maillage_csrf={token};")), "{csrf}");
    assert!(
        csrf.contains("; Secure") && csrf.contains("; Path=/") && !csrf.to_lowercase().contains("domain="),
        "{csrf}"
    );

    let post = |cookie: String| {
        let client = client.clone();
        let body = common::encode(&[("username", "alice"), ("password", PASSWORD), ("csrf", &token)]);
        let url = instance.url("/login");
        async move {
            let mut headers = HeaderMap::new();
            headers.insert("cookie", HeaderValue::from_str(&cookie).unwrap());
            headers.insert("content-type", HeaderValue::from_static("application/x-www-form-urlencoded"));
            client.post(url).headers(headers).body(body).send().await.unwrap().status()
        }
    };
    // A cookie without the prefix (which a sibling subdomain could set) does not count.
    assert_eq!(post(format!("maillage_csrf={token}")).await, StatusCode::FORBIDDEN);
    assert_eq!(post(format!("__Host-maillage_csrf={token}")).await, StatusCode::SEE_OTHER);
    instance.stop().await;
}

// ---- text that is not there -------------------------------------------------------------------------------

#[tokio::test]
async fn invisible_text_is_no_text() {
    let instance = TestInstance::start().await;
    let token = instance.member_with_token("alice", Role::Member).await;
    let api = instance.api().token(&token);
    for title in ["\u{200B}\u{200B}\u{200B}\u{200B}", "\u{FEFF}\u{2060}\u{200C}\u{200D}", " \u{200B} \u{00AD}\u{3164} "]
    {
        let reply = api.post("/api/v1/listings", &listing_body(title, json!({}))).await;
        reply.assert_field_error("title");
        assert_eq!(reply.json()["fields"]["title"], "Ce champ est obligatoire.", "{title:?}: {reply:?}");
    }
    // Visible characters count, invisible ones do not.
    let reply = api.post("/api/v1/listings", &listing_body("ab\u{200B}\u{200B}", json!({}))).await;
    reply.assert_field_error("title");
    assert_eq!(reply.json()["fields"]["title"], "Au moins 3 caractères.", "{reply:?}");
    let reply = api.post("/api/v1/listings", &listing_body("\u{200B}Vélo\u{FEFF}", json!({}))).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{reply:?}");
    assert_eq!(reply.json()["title"], "Vélo", "invisible edges are trimmed: {reply:?}");
    // Joiners inside an emoji stay.
    let family = "Jeux 👨\u{200D}👩\u{200D}👧";
    let reply = api.post("/api/v1/listings", &listing_body(family, json!({}))).await;
    assert_eq!(reply.json()["title"], family, "{reply:?}");
    assert_eq!(instance.count_listings().await, 2);

    // A display name too, on the API and on the web form.
    let reply = instance
        .api()
        .post(
            "/api/v1/accounts",
            &json!({"username": "gaston", "password": PASSWORD, "display_name": "\u{200B}\u{2060}", "kind": "person"}),
        )
        .await;
    reply.assert_field_error("display_name");
    let mut browser = instance.browser();
    browser.login_ok("alice").await;
    let reply = browser
        .submit(
            "/listings/new",
            "/listings",
            &[
                ("purpose", "offer"),
                ("mode", "give"),
                ("category", "objects-tools"),
                ("title", "\u{200B}\u{200B}\u{200B}"),
            ],
        )
        .await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{reply:?}");
    assert!(html_text(&reply.text).contains("Ce champ est obligatoire."), "{reply:?}");
    assert_eq!(instance.count_listings().await, 2);
    instance.stop().await;
}

#[tokio::test]
async fn years_have_four_digits() {
    let instance = TestInstance::start().await;
    let token = instance.member_with_token("alice", Role::Member).await;
    let api = instance.api().token(&token);
    for (field, date) in [
        ("available_from", "-0001-01-01"),
        ("available_from", "+10000-01-01"),
        ("available_until", "+2026-12-01"),
        ("available_until", "12026-12-01"),
        ("available_from", "226-12-01"),
    ] {
        let reply = api.post("/api/v1/listings", &listing_body("Perceuse", json!({field: date}))).await;
        reply.assert_field_error(field);
        assert_eq!(reply.json()["fields"][field], "Date invalide : format attendu AAAA-MM-JJ.", "{date}: {reply:?}");
    }
    assert_eq!(instance.count_listings().await, 0);
    let reply = api.post("/api/v1/listings", &listing_body("Perceuse", json!({"available_until": "2027-01-31"}))).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{reply:?}");
    instance.stop().await;
}

// ---- bytes that are not text ---------------------------------------------------------------------------------

#[tokio::test]
async fn bytes_that_are_not_utf8_are_refused_by_name() {
    let instance = TestInstance::start().await;
    instance.create_member("alice", Role::Member).await;
    let mut browser = instance.browser();
    browser.login_ok("alice").await;
    let form = browser.get("/listings/new").await;
    let token = csrf_field(&form.text).unwrap();
    let body = format!("purpose=offer&mode=give&category=objects-tools&title=V%E9lo+cargo&csrf={token}");
    let response = browser
        .client
        .post(instance.url("/listings"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap();
    let status = response.status();
    let page = html_text(&response.text().await.unwrap());
    assert_eq!(status, StatusCode::BAD_REQUEST, "{page}");
    assert!(page.contains("«\u{a0}title\u{a0}»") && page.contains("UTF-8"), "{page}");
    assert_eq!(instance.count_listings().await, 0, "nothing stored with U+FFFD in it");

    // The catalogue's query string, on the web and on the API.
    let page = browser.get("/catalogue?q=v%E9lo").await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST, "{page:?}");
    assert!(html_text(&page.text).contains("«\u{a0}q\u{a0}»"), "{page:?}");
    let reply = instance.api().get("/api/v1/listings?q=v%E9lo").await;
    reply.assert_error(StatusCode::BAD_REQUEST, "invalid_encoding");
    assert!(reply.json()["fields"]["q"].as_str().is_some_and(|m| m.contains("UTF-8")), "{reply:?}");
    // Encoded text that is UTF-8 is fine, U+FFFD included.
    assert_eq!(instance.api().get("/api/v1/listings?q=v%C3%A9lo%EF%BF%BD").await.status, StatusCode::OK);
    instance.stop().await;
}

// ---- what following shows -------------------------------------------------------------------------------------

#[tokio::test]
async fn the_follows_page_says_only_listings_are_shown() {
    let instance = TestInstance::start().await;
    instance.create_member("alice", Role::Member).await;
    let mut browser = instance.browser();
    browser.login_ok("alice").await;
    let page = html_text(&browser.get("/follows").await.text);
    assert!(
        page.contains(
            "Seules les annonces (offres et demandes) des comptes suivis apparaissent dans le catalogue ; \
             leurs autres publications ne sont pas affichées."
        ),
        "{page}"
    );
    let page = html_text(&browser.get("/follows?lang=en").await.text);
    assert!(page.contains("Only the listings (offers and needs) of the accounts you follow"), "{page}");
    instance.stop().await;
}
