//! Exchanges through the web pages, as members click through them: a visitor is sent to log in and
//! back; a borrower proposes a loan from the listing's page; the lender sees it waiting in the menu
//! and in « Mes échanges », accepts and hands the item over (the listing says « Prêté jusqu'au »);
//! moves that are not the member's or not allowed now are refused on the page and change nothing;
//! messages are plain text with clickable web links; strangers see nothing.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

mod common;

use common::{TestInstance, day, html_text, listing_body};
use maillage_server::domain::member::Role;
use reqwest::StatusCode;
use serde_json::json;

/// The path of the exchange a page's address names (`/exchanges/ID?done=…`).
fn exchange_path(location: &str) -> String {
    location.split(['?', '#']).next().unwrap().to_owned()
}

#[tokio::test]
async fn a_loan_through_the_pages_from_the_listing_to_the_return() {
    let instance = TestInstance::start().await;
    let alice = instance.member_with_token("alice", Role::Member).await;
    instance.create_member("bruno", Role::Member).await;
    instance.create_member("carol", Role::Member).await;
    let drill = instance.listing(&alice, listing_body("Perceuse à percussion", json!({"mode": "lend"}))).await;
    let listing = format!("/listings/{}", drill["id"].as_str().unwrap());

    // A visitor is offered to borrow, through the login page and back.
    let mut visitor = instance.browser();
    let page = visitor.get(&listing).await;
    let login_link = format!("/login?next=%2Flistings%2F{}%2Fexchange", drill["id"].as_str().unwrap());
    assert!(page.text.contains(&login_link), "{page:?}");
    assert!(html_text(&page.text).contains("Emprunter"));
    assert_eq!(visitor.get(&format!("{listing}/exchange")).await.status, StatusCode::SEE_OTHER);

    // The borrower proposes dates, with a message.
    let mut bruno = instance.browser();
    bruno.login_ok("bruno").await;
    let page = bruno.get(&listing).await;
    assert!(page.text.contains(&format!("href=\"{listing}/exchange\"")), "{page:?}");
    let form = bruno.get(&format!("{listing}/exchange")).await;
    assert_eq!(form.status, StatusCode::OK, "{form:?}");
    assert!(form.text.contains("name=\"until\""), "a loan asks for its return date: {form:?}");

    // Dates in the wrong order: the form again, with what was typed and nothing started.
    let (from, until) = (day(2), day(9));
    let wrong = bruno
        .post(
            &format!("{listing}/exchange"),
            &[("intent", "propose"), ("from", &until), ("until", &from), ("message", "Bonjour")],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY, "{wrong:?}");
    assert!(html_text(&wrong.text).contains("Bonjour"), "what was typed is kept");
    assert!(wrong.text.contains("aria-invalid=\"true\""));
    assert!(html_text(&bruno.get("/exchanges").await.text).contains("aucun échange"));

    let message = "Bonjour, pour des étagères <b>ce week-end</b>. Le plan : https://coop.example/plan.pdf.";
    let sent = bruno
        .post(
            &format!("{listing}/exchange"),
            &[("intent", "propose"), ("from", &from), ("until", &until), ("message", message)],
        )
        .await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "{sent:?}");
    let exchange = exchange_path(&sent.location());
    let page = bruno.follow(&sent).await;
    let text = html_text(&page.text);
    assert!(text.contains("Vous empruntez") && text.contains("Proposé"), "{text}");
    assert!(page.text.contains("&#60;b&#62;ce week-end&#60;/b&#62;") || page.text.contains("&lt;b&gt;"), "escaped");
    assert!(
        page.text.contains("<a href=\"https://coop.example/plan.pdf\" rel=\"nofollow noopener ugc\">"),
        "the link is clickable, without its full stop: {}",
        page.text
    );
    assert!(text.contains("Vous proposez le prêt : du "), "{text}");

    // The lender: a count in the menu, the exchange waiting in « Mes échanges ».
    let mut lender = instance.browser();
    lender.login_ok("alice").await;
    let mine = lender.get("/exchanges").await;
    assert!(mine.text.contains("<span class=\"count\""), "{mine:?}");
    let text = html_text(&mine.text);
    assert!(text.contains("À vous de répondre") && text.contains("Perceuse à percussion"), "{text}");
    let page = lender.get(&exchange).await;
    assert!(html_text(&page.text).contains("À vous de jouer"));

    // The borrower may not hand the item over: refused on the page, nothing changed.
    bruno.get(&exchange).await;
    let refused = bruno.post(&format!("{exchange}/hand-over"), &[]).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{refused:?}");
    assert!(html_text(&refused.text).contains("C'est à l'autre personne de faire cette étape."));
    assert!(html_text(&refused.text).contains("Proposé"));

    // Accept, hand over: the listing says until when it is lent.
    let accepted = lender.post(&format!("{exchange}/accept"), &[]).await;
    assert_eq!(accepted.status, StatusCode::SEE_OTHER, "{accepted:?}");
    let page = lender.follow(&accepted).await;
    let text = html_text(&page.text);
    assert!(text.contains("Vous avez accepté le prêt : du "), "{text}");
    let again = lender.post(&format!("{exchange}/accept"), &[]).await;
    assert_eq!(again.status, StatusCode::CONFLICT, "accepting twice: {again:?}");
    assert!(html_text(&again.text).contains("Ce n'est plus possible à ce stade"));
    lender.get(&exchange).await;
    assert_eq!(lender.post(&format!("{exchange}/hand-over"), &[]).await.status, StatusCode::SEE_OTHER);
    assert!(html_text(&visitor.get(&listing).await.text).contains("Prêté jusqu'au"));

    // A renewal asked with a date before the due date is refused with its field.
    bruno.get(&exchange).await;
    let early = bruno.post(&format!("{exchange}/renew"), &[("renew_until", &from)]).await;
    assert_eq!(early.status, StatusCode::CONFLICT, "{early:?}");
    assert!(html_text(&early.text).contains("La nouvelle date de retour doit suivre la date prévue."));

    // An empty message is refused; a message to someone else's exchange is a 404.
    let empty = bruno.post(&format!("{exchange}/messages"), &[("body", "  ")]).await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY, "{empty:?}");
    let mut carol = instance.browser();
    carol.login_ok("carol").await;
    assert_eq!(carol.get(&exchange).await.status, StatusCode::NOT_FOUND);
    assert_eq!(carol.post(&format!("{exchange}/messages"), &[("body", "Coucou")]).await.status, StatusCode::NOT_FOUND);
    assert_eq!(carol.post(&format!("{exchange}/cancel"), &[("reason", "x")]).await.status, StatusCode::NOT_FOUND);

    // Returned: finished on both sides, the count gone.
    lender.get(&exchange).await;
    assert_eq!(lender.post(&format!("{exchange}/return"), &[]).await.status, StatusCode::SEE_OTHER);
    let mine = lender.get("/exchanges").await;
    assert!(!mine.text.contains("<span class=\"count\" title"), "nothing waits any more: {mine:?}");
    assert!(html_text(&mine.text).contains("Terminés"));
    let text = html_text(&bruno.get(&exchange).await.text);
    assert!(text.contains("le prêt est terminé") && text.contains("Terminé"), "{text}");

    // A profile says how many exchanges its member completed: a fact, no rating.
    let profile = visitor.get("/members/alice").await;
    assert!(profile.text.contains("Échanges menés à bien</dt><dd>1</dd>"), "{profile:?}");
}

#[tokio::test]
async fn a_member_s_loans_and_bookings_are_in_a_calendar_at_a_secret_address() {
    let instance = TestInstance::start().await;
    let alice = instance.member_with_token("alice", Role::Member).await;
    let bruno = instance.member_with_token("bruno", Role::Member).await;
    let drill = instance.listing(&alice, listing_body("Perceuse", json!({"mode": "lend"}))).await;
    let repair = instance
        .listing(&alice, listing_body("Réglage de freins", json!({"mode": "service", "unit": "session"})))
        .await;
    let (from, until) = (day(3), day(6));
    let loan = json!({"listing_id": drill["id"], "terms": {"from": from, "until": until}});
    let loan = instance.api().token(&bruno).post("/api/v1/exchanges", &loan).await.json();
    let path = format!("/api/v1/exchanges/{}/accept", loan["id"].as_str().unwrap());
    assert_eq!(instance.api().token(&alice).post(&path, &json!({})).await.status, StatusCode::OK);
    let booking = json!({"listing_id": repair["id"], "terms": {"from": day(4), "at": "14:30"}});
    assert_eq!(instance.api().token(&bruno).post("/api/v1/exchanges", &booking).await.status, StatusCode::CREATED);

    // Bruno makes his calendar's address on his notifications page.
    let mut browser = instance.browser();
    browser.login_ok("bruno").await;
    let page = "/members/bruno/notifications";
    let made = browser.submit(page, "/members/bruno/calendar", &[("action", "renew")]).await;
    assert_eq!(made.status, StatusCode::SEE_OTHER, "{made:?}");
    let text = browser.follow(&made).await.text;
    let url = text.split("id=\"calendar-url\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_owned();
    let path = url.split_once("/calendar/").map(|(_, file)| format!("/calendar/{file}")).unwrap();

    // Read without logging in, as a phone's calendar does.
    let feed = instance.browser().get(&path).await;
    assert_eq!(feed.status, StatusCode::OK, "{feed:?}");
    assert!(feed.content_type().starts_with("text/calendar"), "{feed:?}");
    let ics = feed.text.replace("\r\n ", "");
    assert!(ics.starts_with("BEGIN:VCALENDAR\r\n") && ics.ends_with("END:VCALENDAR\r\n"), "{ics}");
    assert!(ics.contains("SUMMARY:Prêt : Perceuse (alice (test))"), "{ics}");
    assert!(ics.contains(&format!("DTSTART;VALUE=DATE:{}", from.replace('-', ""))), "{ics}");
    assert!(ics.contains("SUMMARY:À rendre à alice (test) : Perceuse"), "the due date: {ics}");
    assert!(ics.contains("STATUS:CONFIRMED") && ics.contains("STATUS:TENTATIVE"), "accepted, and proposed: {ics}");
    assert!(ics.contains(&format!("DTSTART:{}T143000", day(4).replace('-', ""))), "the repair's slot: {ics}");

    // Alice's calendar is hers alone; a changed address makes the old one stop working.
    assert_eq!(
        instance
            .browser()
            .get("/calendar/00000000000000000000000000000000000000000000000000000000000000ab.ics")
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(instance.browser().get("/calendar/../etc.ics").await.status, StatusCode::NOT_FOUND);
    browser.get(page).await;
    let renewed = browser.post("/members/bruno/calendar", &[("action", "renew")]).await;
    assert_eq!(renewed.status, StatusCode::SEE_OTHER);
    assert_eq!(instance.browser().get(&path).await.status, StatusCode::NOT_FOUND, "the old address is gone");
    // And nobody else may change Bruno's.
    let mut alice_browser = instance.browser();
    alice_browser.login_ok("alice").await;
    alice_browser.get("/members/alice/notifications").await;
    assert_eq!(
        alice_browser.post("/members/bruno/calendar", &[("action", "remove")]).await.status,
        StatusCode::FORBIDDEN
    );
}
