//! Exchanges through the web pages, as members click through them: a visitor is sent to log in and
//! back; a borrower proposes a loan from the listing's page; the lender sees it waiting in the menu
//! and in « Mes échanges », accepts and hands the item over (the listing says « Prêté jusqu'au »);
//! moves that are not the member's or not allowed now are refused on the page and change nothing;
//! messages are plain text with clickable web links; strangers see nothing.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

mod common;

use common::{TestInstance, html_text, listing_body};
use maillage_server::domain::member::Role;
use reqwest::StatusCode;
use serde_json::json;

fn day(days: i64) -> String {
    let date = time::OffsetDateTime::now_utc().date() + time::Duration::days(days);
    format!("{:04}-{:02}-{:02}", date.year(), u8::from(date.month()), date.day())
}

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
}
