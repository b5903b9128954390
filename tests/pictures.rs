//! Avatars and the cooperative's logo end to end, over real HTTP: a member's picture uploaded from
//! the profile form (cut square, at two sizes), shown on their profile and beside their listings,
//! sent as their actor's `icon`, replaced without leaving the old files behind, refused with a
//! message when it is no picture; shown by a peer through its own copy; the logo set by an
//! administrator only, shown in every page's header and as the instance actor's `icon`; a peer told
//! of each change (`Update` of the actor).

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

mod common;

use std::io::Cursor;

use common::fed::{eventually, peer_titles, peered_pair};
use common::{Browser, Reply, listing_body, listing_id};
use image::{DynamicImage, ImageFormat};
use maillage_server::domain::member::Role;
use maillage_server::storage::remote_actors;
use reqwest::StatusCode;
use serde_json::json;

fn png(width: u32, height: u32) -> Vec<u8> {
    let image = DynamicImage::ImageRgb8(image::RgbImage::from_fn(width, height, |x, _| {
        image::Rgb([(x * 255 / width) as u8, 140, 60])
    }));
    let mut png = Cursor::new(Vec::new());
    image.write_to(&mut png, ImageFormat::Png).unwrap();
    png.into_inner()
}

/// Sends `file` from the form of `page` to `action`, with the page's CSRF token, as a browser does.
async fn send_file(browser: &mut Browser, page: &str, action: &str, file: Vec<u8>) -> Reply {
    let form_page = browser.get(page).await;
    assert_eq!(form_page.status, StatusCode::OK, "{form_page:?}");
    let csrf = common::csrf_field(&form_page.text).unwrap();
    let form = reqwest::multipart::Form::new()
        .part("photo", reqwest::multipart::Part::bytes(file).file_name("picture.png"))
        .text("csrf", csrf);
    let response = browser.client.post(format!("{}{action}", browser.base())).multipart(form).send().await.unwrap();
    Reply::read(response).await
}

/// The `/media/…` address in `html` right after `marker` (`class="avatar large" src="`).
fn media_after(html: &str, marker: &str) -> Option<String> {
    let start = html.find(marker)? + marker.len();
    let url = &html[start..start + html[start..].find('"')?];
    url.starts_with("/media/").then(|| url.to_owned())
}

async fn image_at(url: &str) -> (StatusCode, Option<(u32, u32)>) {
    let response = reqwest::get(url).await.unwrap();
    let status = response.status();
    let bytes = response.bytes().await.unwrap();
    (status, image::load_from_memory(&bytes).ok().map(|i| (i.width(), i.height())))
}

#[tokio::test]
async fn a_member_s_picture_is_cut_square_shown_sent_as_their_icon_and_shown_by_a_peer_through_its_copy() {
    let (a, _admin_a, b, _admin_b) = peered_pair().await;
    a.create_member("alice", Role::Member).await;
    let mut browser = a.browser();
    browser.login_ok("alice").await;

    // Not a picture: told so, on the profile form, and nothing changes.
    let refused = send_file(&mut browser, "/members/alice/edit", "/members/alice/avatar", b"hello".to_vec()).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{refused:?}");
    assert!(
        refused.text.contains("n&#39;est pas une photo lisible")
            || refused.text.contains("n'est pas une photo lisible")
    );
    assert!(refused.text.contains("aria-invalid=\"true\""), "{}", refused.text);

    let sent = send_file(&mut browser, "/members/alice/edit", "/members/alice/avatar", png(800, 600)).await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "{sent:?}");
    assert_eq!(sent.location(), "/members/alice/edit?done=avatar_saved");
    let profile = browser.get("/members/alice").await;
    let large = media_after(&profile.text, "class=\"avatar large\" src=\"").expect("the profile shows the avatar");
    assert_eq!(image_at(&a.url(&large)).await, (StatusCode::OK, Some((400, 400))), "cut square");
    let small = large.replace("-400.jpg", "-96.jpg");
    assert_eq!(image_at(&a.url(&small)).await, (StatusCode::OK, Some((96, 96))));

    // Other servers see it as the actor's icon.
    let actor = a.activity_json("/members/alice").await;
    assert_eq!(actor["icon"]["type"], "Image", "{actor}");
    assert_eq!(actor["icon"]["mediaType"], "image/jpeg");
    assert_eq!(actor["icon"]["url"], format!("{}{}", a.public_url(), &large[1..]), "{actor}");

    // Replaced: the old files go with it.
    let sent = send_file(&mut browser, "/members/alice/edit", "/members/alice/avatar", png(300, 500)).await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "{sent:?}");
    let profile = browser.get("/members/alice").await;
    let replaced = media_after(&profile.text, "class=\"avatar large\" src=\"").unwrap();
    assert_ne!(replaced, large);
    assert_eq!(image_at(&a.url(&replaced)).await, (StatusCode::OK, Some((300, 300))), "narrower: kept at its own size");
    assert_eq!(image_at(&a.url(&large)).await.0, StatusCode::NOT_FOUND, "the replaced avatar's file stays");

    // Beside her listings, here and on a peer, which shows its own copy.
    let token = a.api_token("alice").await;
    let listing = a.listing(&token, listing_body("Tente trois places", json!({}))).await;
    let page = browser.get(&format!("/listings/{}", listing["id"].as_str().unwrap())).await;
    assert!(media_after(&page.text, "class=\"avatar small\" src=\"").is_some(), "{}", page.text);
    eventually("the listing reaches B", || async { peer_titles(&b).await == ["Tente trois places"] }).await;
    let on_b = b.api().search(&[("scope", "peers")]).await.json();
    let page_on_b =
        b.browser().get(&format!("/listings/{}", listing_id(on_b["items"][0]["url"].as_str().unwrap()))).await;
    let avatar_on_b =
        media_after(&page_on_b.text, "class=\"avatar small\" src=\"").expect("B shows the author's picture");
    assert!(!page_on_b.text.contains(&format!("{}media/", a.public_url())), "B links A's file");
    assert_eq!(image_at(&b.url(&avatar_on_b)).await, (StatusCode::OK, Some((96, 96))));

    // Taken off: no picture, no icon.
    let removed = browser.submit("/members/alice/edit", "/members/alice/avatar/remove", &[]).await;
    assert_eq!(removed.status, StatusCode::SEE_OTHER, "{removed:?}");
    assert!(media_after(&browser.get("/members/alice").await.text, "class=\"avatar large\" src=\"").is_none());
    assert!(a.activity_json("/members/alice").await.get("icon").is_none());
    assert_eq!(image_at(&a.url(&replaced)).await.0, StatusCode::NOT_FOUND);

    // A new name too; B is told of both (an `Update` of her actor): its page of her listing shows
    // her without a picture, under her new name.
    let fields = [("display_name", "Alice Martin"), ("description", "Je prête mes outils."), ("location_name", "")];
    let saved = browser.submit("/members/alice/edit", "/members/alice/edit", &fields).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{saved:?}");
    let listing_on_b = format!("/listings/{}", listing_id(on_b["items"][0]["url"].as_str().unwrap()));
    eventually("B shows her new profile", || async {
        let page = b.browser().get(&listing_on_b).await;
        page.text.contains("Alice Martin") && !page.text.contains("class=\"avatar small\"")
    })
    .await;
    a.stop().await;
    b.stop().await;
}

#[tokio::test]
async fn the_logo_is_set_by_an_administrator_and_shown_in_every_header_and_as_the_instance_s_icon() {
    let (a, _admin_a, b, _admin_b) = peered_pair().await;
    a.create_member("bob", Role::Member).await;
    let mut member = a.browser();
    member.login_ok("bob").await;
    assert_eq!(member.get("/admin/cooperative").await.status, StatusCode::FORBIDDEN);
    let forbidden = send_file(&mut member, "/members/bob/edit", "/admin/cooperative/logo", png(600, 200)).await;
    assert_eq!(forbidden.status, StatusCode::FORBIDDEN, "{forbidden:?}");

    let mut admin = a.browser();
    admin.login_ok("admin_a").await;
    let sent = send_file(&mut admin, "/admin/cooperative", "/admin/cooperative/logo", png(600, 200)).await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "{sent:?}");
    let home = a.browser().get("/").await;
    let logo = media_after(&home.text, "class=\"brand\" href=\"/\"><img src=\"").expect("the header shows the logo");
    assert_eq!(image_at(&a.url(&logo)).await, (StatusCode::OK, Some((160, 54))), "kept with its proportions");
    let actor = a.activity_json("/actor").await;
    assert!(actor["icon"]["url"].as_str().is_some_and(|u| u.ends_with("-480.jpg")), "{actor}");
    // The peer is told (an `Update` of the instance actor): its copy of A's actor has the logo.
    let a_actor = url::Url::parse(&format!("{}actor", a.public_url())).unwrap();
    eventually("B's copy of A's actor has the logo", || async {
        let copy = remote_actors::remote_actor(&mut b.db().conn().await.unwrap(), a_actor.as_str()).await.unwrap();
        copy.and_then(|c| c.icon).is_some_and(|icon| icon.as_str() == actor["icon"]["url"])
    })
    .await;
    // The peer's pages are its own: no logo of A there.
    assert!(!b.browser().get("/").await.text.contains("class=\"brand\" href=\"/\"><img"));

    let removed = admin.submit("/admin/cooperative", "/admin/cooperative/logo/remove", &[]).await;
    assert_eq!(removed.status, StatusCode::SEE_OTHER, "{removed:?}");
    assert!(!a.browser().get("/").await.text.contains("class=\"brand\" href=\"/\"><img"));
    assert_eq!(image_at(&a.url(&logo)).await.0, StatusCode::NOT_FOUND);
    a.stop().await;
    b.stop().await;
}
