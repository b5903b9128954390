//! What a hostile page, link or peer must not be able to do through the web UI: run script through a
//! link received from another server, send a member off-site after logging in, forge a form with a
//! planted cookie, frame a page; and the input a form or a query must refuse (invisible titles,
//! impossible years, bytes that are not text).

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

mod common;

use common::TestInstance;
use maillage_server::domain::member::Role;
use reqwest::{Method, StatusCode};

// ---- security headers -------------------------------------------------------------------------------

#[track_caller]
fn assert_security_headers(what: &str, reply: &common::Reply) {
    let csp = reply.header("content-security-policy").unwrap_or_else(|| panic!("{what}: no CSP: {reply:?}"));
    for directive in ["default-src 'none'", "script-src 'self'", "style-src 'self'", "frame-ancestors 'none'"] {
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
    // Every page still works under the policy: none has inline script or style.
    for path in ["/", "/login", "/register", "/nowhere"] {
        let text = browser.get(path).await.text;
        assert!(!text.contains("<script") && !text.contains("style=") && !text.contains("<style"), "{path}: {text}");
    }
    instance.stop().await;
}
