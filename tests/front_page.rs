//! Each cooperative's own front page, over real HTTP: what the cooperative is (the presentation
//! its administrators write, sanitised, in the colour they chose), its members' newest listings,
//! then a few of each partner's under « Chez nos partenaires », and the way to the whole shared
//! catalogue, which has its own address (`/catalogue`; old search links to `/?q=…` lead there).

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

mod common;

use common::fed::{eventually, peer_titles, peered_pair};
use common::{Browser, TestInstance, html_text, listing_body};
use maillage_server::domain::member::Role;
use reqwest::StatusCode;
use serde_json::json;

/// The part of `html` from `start` to the next `end` after it.
fn between<'a>(html: &'a str, start: &str, end: &str) -> &'a str {
    let from = html.find(start).unwrap_or_else(|| panic!("{start} not in {html}"));
    let rest = &html[from..];
    &rest[..rest.find(end).unwrap_or(rest.len())]
}

#[tokio::test]
async fn the_front_page_shows_our_listings_first_then_a_few_of_each_partner() {
    let (a, admin_a, b, admin_b) = peered_pair().await;
    for n in 1..=3 {
        a.listing(&admin_a, listing_body(&format!("Prêt d'ici {n}"), json!({}))).await;
    }
    for n in 1..=6 {
        b.listing(&admin_b, listing_body(&format!("Annonce partenaire {n}"), json!({}))).await;
    }
    eventually("B's six listings on A", || async { peer_titles(&a).await.len() == 6 }).await;

    let home = a.browser().get("/").await;
    assert_eq!(home.status, StatusCode::OK, "{home:?}");
    let ours = between(&home.text, "id=\"ours-title\"", "id=\"partners-title\"");
    for n in 1..=3 {
        assert!(ours.contains(&format!("Prêt d&#39;ici {n}")) || ours.contains(&format!("Prêt d'ici {n}")), "{ours}");
    }
    assert!(!ours.contains("Annonce partenaire"), "a partner's listing among ours: {ours}");
    assert!(ours.contains("href=\"/catalogue?scope=local\""), "{ours}");

    let partners = &home.text[home.text.find("id=\"partners-title\"").unwrap()..];
    assert!(partners.contains("Chez nos partenaires"), "{partners}");
    assert_eq!(partners.matches("<section class=\"partner\"").count(), 1, "{partners}");
    // The four newest of the partner's six, newest first.
    let shown: Vec<usize> = (1..=6).filter(|n| partners.contains(&format!("Annonce partenaire {n}<"))).collect();
    assert_eq!(shown, vec![3, 4, 5, 6], "{partners}");
    let newest = partners.find("Annonce partenaire 6<").unwrap();
    assert!(newest < partners.find("Annonce partenaire 3<").unwrap(), "newest first");
    // Its name links to its own front page; the whole shared catalogue is one click away.
    assert!(partners.contains(&format!("<a href=\"{}\">", b.public_url())), "{partners}");
    assert!(partners.contains("href=\"/catalogue\""), "{partners}");

    // The catalogue keeps its search and scope, at its own address.
    let catalogue = a.browser().get("/catalogue?scope=peers").await;
    assert_eq!(catalogue.status, StatusCode::OK);
    assert_eq!(html_text(&catalogue.text).matches("Annonce partenaire").count(), 6);
    assert!(!catalogue.text.contains("Prêt d"), "scope=peers shows only the partners' listings");
    a.stop().await;
    b.stop().await;
}

#[tokio::test]
async fn old_search_links_lead_to_the_catalogue_and_an_empty_cooperative_says_so() {
    let instance = TestInstance::start().await;
    let mut browser = instance.browser();
    let old = browser.get("/?q=v%C3%A9lo&sort=newest").await;
    assert_eq!(old.status, StatusCode::PERMANENT_REDIRECT, "{old:?}");
    assert_eq!(old.location(), "/catalogue?q=v%C3%A9lo&sort=newest");
    // The page's own parameters stay on the front page.
    assert_eq!(browser.get("/?lang=en").await.status, StatusCode::OK);
    let home = browser.get("/?lang=en").await;
    assert!(home.text.contains("No listing here yet"), "{home:?}");
    assert!(home.text.contains("no partner whose listings it receives yet"), "{home:?}");
    let french = browser.get("/?lang=fr").await;
    assert!(french.text.contains("Pas encore d&#39;annonce ici") || french.text.contains("Pas encore d'annonce ici"));
    instance.stop().await;
}

async fn admin_browser(instance: &TestInstance) -> Browser {
    instance.create_member("camille", Role::Admin).await;
    let mut admin = instance.browser();
    admin.login_ok("camille").await;
    admin
}

#[tokio::test]
async fn administrators_write_the_presentation_and_choose_a_colour_that_every_page_wears() {
    let instance = TestInstance::start().await;
    let mut admin = admin_browser(&instance).await;
    let text = "## Qui sommes-nous\n\nLa **Coop** prête entre voisins.\n\n- mardi\n- samedi\n\n[Plan](https://plan.example/coop)\n\n<script>alert(1)</script> <img src=x onerror=alert(1)>\n\n[x](javascript:alert(1))";
    let saved =
        admin.submit("/admin/cooperative", "/admin/cooperative", &[("presentation", text), ("accent", "teal")]).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{saved:?}");
    assert_eq!(saved.location(), "/admin/cooperative?done=presentation_saved");
    let page = admin.follow(&saved).await;
    assert!(page.text.contains("Présentation enregistrée."), "{page:?}");
    assert!(page.text.contains("id=\"accent-teal\" name=\"accent\" value=\"teal\" checked"), "the choice is kept");

    // A visitor's front page: the formatting as HTML, what was written as HTML as text, no script.
    let home = instance.browser().get("/").await;
    let presentation = between(&home.text, "<div class=\"presentation\">", "</div>");
    assert!(presentation.contains("<h2>Qui sommes-nous</h2>"), "{presentation}");
    assert!(presentation.contains("<strong>Coop</strong>"), "{presentation}");
    assert!(presentation.contains("<li>mardi</li>"), "{presentation}");
    assert!(
        presentation.contains("<a href=\"https://plan.example/coop\" rel=\"noopener noreferrer nofollow\">Plan</a>")
    );
    assert!(presentation.contains("&lt;script&gt;"), "{presentation}");
    assert!(presentation.contains("<p><a rel=\"noopener noreferrer nofollow\">x</a></p>"), "{presentation}");
    for forbidden in ["<script", "<img", "href=\"javascript"] {
        assert!(!presentation.contains(forbidden), "{forbidden} in {presentation}");
    }
    // Every page wears the colour; the stylesheet knows each colour of the palette.
    for path in ["/", "/catalogue", "/login"] {
        assert!(instance.browser().get(path).await.text.contains("<html lang=\"fr\" class=\"accent-teal\">"), "{path}");
    }
    let css = instance.browser().get("/static/style.css").await.text;
    assert!(css.contains(":root.accent-teal { --accent: #1d6270; --accent-tint: #e8eff1; }"), "{css}");
    assert_eq!(css.matches(":root.accent-").count(), 8);

    // Refused: a colour outside the palette, a presentation too long. Nothing changes, and the
    // form keeps what was typed.
    let long = "é".repeat(4001);
    for (fields, field) in [
        (vec![("presentation", "Autre texte"), ("accent", "#ff00ff")], "accent"),
        (vec![("presentation", long.as_str()), ("accent", "blue")], "presentation"),
    ] {
        let refused = admin.submit("/admin/cooperative", "/admin/cooperative", &fields).await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{refused:?}");
        assert!(refused.text.contains(&format!("href=\"#{}", if field == "accent" { "accent-forest" } else { field })));
        assert!(refused.text.contains(&fields[0].1[..20.min(fields[0].1.len())]), "the text typed is kept");
    }
    let home = instance.browser().get("/").await;
    assert!(home.text.contains("class=\"accent-teal\"") && home.text.contains("<strong>Coop</strong>"), "unchanged");

    // An empty presentation: the front page says what the configuration describes.
    let cleared =
        admin.submit("/admin/cooperative", "/admin/cooperative", &[("presentation", ""), ("accent", "forest")]).await;
    assert_eq!(cleared.status, StatusCode::SEE_OTHER);
    let home = instance.browser().get("/").await;
    assert!(!home.text.contains("class=\"presentation\""), "{home:?}");
    assert!(home.text.contains("class=\"accent-forest\""));
    instance.stop().await;
}

#[tokio::test]
async fn only_administrators_change_the_presentation_and_it_survives_a_restart() {
    let instance = TestInstance::start().await;
    instance.create_member("bob", Role::Member).await;
    let mut member = instance.browser();
    member.login_ok("bob").await;
    let csrf_page = member.get("/members/bob/edit").await;
    let csrf = common::csrf_field(&csrf_page.text).unwrap();
    let forbidden =
        member.post_raw("/admin/cooperative", &[("csrf", &csrf), ("presentation", "Pirate"), ("accent", "plum")]).await;
    assert_eq!(forbidden.status, StatusCode::FORBIDDEN, "{forbidden:?}");
    // Anonymous: to the login page, nothing changed.
    let anonymous = instance.browser().post_raw("/admin/cooperative", &[("presentation", "Pirate")]).await;
    assert!(anonymous.status.is_redirection() || anonymous.status == StatusCode::FORBIDDEN, "{anonymous:?}");
    assert!(!instance.browser().get("/").await.text.contains("Pirate"));

    let mut admin = admin_browser(&instance).await;
    let saved = admin
        .submit("/admin/cooperative", "/admin/cooperative", &[("presentation", "Atelier *ouvert*"), ("accent", "plum")])
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{saved:?}");
    let instance = instance.restart().await;
    let home = instance.browser().get("/").await;
    assert!(home.text.contains("Atelier <em>ouvert</em>"), "{home:?}");
    assert!(home.text.contains("class=\"accent-plum\""));
    instance.stop().await;
}

/// A small PNG of `width` × `height`.
fn png(width: u32, height: u32) -> Vec<u8> {
    let image = image::RgbImage::from_fn(width, height, |x, y| image::Rgb([(x % 256) as u8, (y % 256) as u8, 90]));
    let mut bytes = std::io::Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(image).write_to(&mut bytes, image::ImageFormat::Png).unwrap();
    bytes.into_inner()
}

/// `PUT path` with `file` as the `photo` of a multipart form, with `token`.
async fn put_picture(instance: &TestInstance, token: &str, path: &str, file: Vec<u8>) -> common::Reply {
    let api = instance.api().token(token);
    let form = reqwest::multipart::Form::new().part("photo", reqwest::multipart::Part::bytes(file).file_name("p.png"));
    api.send(api.request(reqwest::Method::PUT, path).multipart(form)).await
}

#[tokio::test]
async fn the_api_sets_the_presentation_the_logo_and_a_member_s_avatar() {
    let instance = TestInstance::start().await;
    let admin = instance.member_with_token("camille", Role::Admin).await;
    let member = instance.member_with_token("bob", Role::Member).await;

    // The presentation: administrators only, both fields checked before anything changes.
    let body = json!({"presentation": "Atelier **ouvert** le samedi", "accent": "ochre"});
    let forbidden = instance
        .api()
        .token(&member)
        .send(instance.api().token(&member).request(reqwest::Method::PUT, "/api/v1/admin/cooperative").json(&body))
        .await;
    assert_eq!(forbidden.status, StatusCode::FORBIDDEN, "{forbidden:?}");
    let api = instance.api().token(&admin);
    let set = api.send(api.request(reqwest::Method::PUT, "/api/v1/admin/cooperative").json(&body)).await;
    assert_eq!(set.status, StatusCode::OK, "{set:?}");
    assert_eq!(set.json()["presentation_html"], "<p>Atelier <strong>ouvert</strong> le samedi</p>\n");
    assert_eq!(set.json()["accent"], "ochre");
    let bad = json!({"presentation": "x".repeat(4001), "accent": "pink"});
    let refused = api.send(api.request(reqwest::Method::PUT, "/api/v1/admin/cooperative").json(&bad)).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{refused:?}");
    let mut fields = refused.error_fields();
    fields.sort();
    assert_eq!(fields, ["accent", "presentation"], "both said at once");
    let public = instance.api().get("/api/v1/cooperative").await;
    assert_eq!(public.status, StatusCode::OK);
    assert_eq!(public.json()["presentation"], "Atelier **ouvert** le samedi", "unchanged by the refused one");
    assert!(public.json()["logo"].is_null());

    // The logo.
    assert_eq!(
        put_picture(&instance, &member, "/api/v1/admin/cooperative/logo", png(300, 100)).await.status,
        StatusCode::FORBIDDEN
    );
    let logo = put_picture(&instance, &admin, "/api/v1/admin/cooperative/logo", png(300, 100)).await;
    assert_eq!(logo.status, StatusCode::OK, "{logo:?}");
    let large = logo.json()["logo"]["large"].as_str().unwrap().to_owned();
    assert!(large.ends_with("-480.jpg") || large.ends_with("-300.jpg"), "{large}");
    let not_image =
        put_picture(&instance, &admin, "/api/v1/admin/cooperative/logo", b"GIF89a not really".to_vec()).await;
    assert_eq!(not_image.status, StatusCode::UNPROCESSABLE_ENTITY, "{not_image:?}");
    assert_eq!(not_image.error_fields(), vec!["photo".to_owned()]);
    assert_eq!(instance.api().get("/api/v1/cooperative").await.json()["logo"]["large"], large.as_str(), "kept");
    let removed = api.delete("/api/v1/admin/cooperative/logo").await;
    assert_eq!(removed.status, StatusCode::OK, "{removed:?}");
    assert!(removed.json()["logo"].is_null());

    // A member's avatar, in `GET /me` too.
    let avatar = put_picture(&instance, &member, "/api/v1/me/avatar", png(500, 300)).await;
    assert_eq!(avatar.status, StatusCode::OK, "{avatar:?}");
    let small = avatar.json()["avatar"]["small"].as_str().unwrap().to_owned();
    assert!(small.ends_with("-96.jpg"), "{small}");
    let me = instance.api().token(&member).get("/api/v1/me").await.json();
    assert_eq!(me["avatar"]["small"], small.as_str());
    let square = reqwest::get(me["avatar"]["large"].as_str().unwrap()).await.unwrap().bytes().await.unwrap();
    let square = image::load_from_memory(&square).unwrap();
    assert_eq!((square.width(), square.height()), (300, 300), "cut square, never enlarged");
    let not_image = put_picture(&instance, &member, "/api/v1/me/avatar", b"%PDF-1.7".to_vec()).await;
    assert_eq!(not_image.status, StatusCode::UNPROCESSABLE_ENTITY, "{not_image:?}");
    assert_eq!(instance.api().token(&member).get("/api/v1/me").await.json()["avatar"]["small"], small.as_str());
    let json_body = instance.api().token(&member);
    let wrong_type =
        json_body.send(json_body.request(reqwest::Method::PUT, "/api/v1/me/avatar").json(&json!({}))).await;
    assert_eq!(wrong_type.status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{wrong_type:?}");
    let removed = instance.api().token(&member).delete("/api/v1/me/avatar").await;
    assert_eq!(removed.status, StatusCode::OK);
    assert!(removed.json()["avatar"].is_null());
    assert_eq!(reqwest::get(&small).await.unwrap().status(), StatusCode::NOT_FOUND, "its files are gone");
    instance.stop().await;
}
