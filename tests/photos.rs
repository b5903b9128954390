//! Photos end to end, over real HTTP: uploaded from the form (no JavaScript) and the API, read and
//! encoded again (turned by their EXIF orientation, their GPS position gone), served at three widths
//! with caching headers, shown on the catalogue and the listing page; refused with a message when
//! they are not photos, too heavy, too big, one too many; and sent to a peer, which shows them
//! through its own copy, never from the other server.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

mod common;

use std::io::Cursor;

use common::fed::{eventually, peer_titles, peered_pair};
use common::{Browser, TestInstance, listing_body, listing_id};
use image::{DynamicImage, ImageFormat};
use maillage_server::domain::member::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};

/// Text an EXIF block carries, which must not survive.
const SECRET: &str = "Maillage-secret-camera-serial-0042";

/// An EXIF block (big-endian TIFF): Orientation, an ImageDescription holding [`SECRET`], and a GPS
/// position (50°37'43.21" N, Lille).
fn exif(orientation: u16) -> Vec<u8> {
    let mut tiff: Vec<u8> = b"MM\x00\x2a\x00\x00\x00\x08".to_vec();
    let entry = |tag: u16, kind: u16, count: u32, value: [u8; 4]| {
        [&tag.to_be_bytes()[..], &kind.to_be_bytes(), &count.to_be_bytes(), &value].concat()
    };
    // IFD0 at 8: 3 entries (2 + 36 + 4 = 42 bytes), then the GPS IFD at 50 (2 + 24 + 4 = 30 bytes),
    // then the latitude's rationals at 80 and the description at 104.
    let description = format!("{SECRET}\0");
    tiff.extend_from_slice(&3u16.to_be_bytes());
    tiff.extend(entry(0x010E, 2, description.len() as u32, 104u32.to_be_bytes()));
    tiff.extend(entry(0x0112, 3, 1, [(orientation >> 8) as u8, orientation as u8, 0, 0]));
    tiff.extend(entry(0x8825, 4, 1, 50u32.to_be_bytes()));
    tiff.extend_from_slice(&0u32.to_be_bytes());
    tiff.extend_from_slice(&2u16.to_be_bytes());
    tiff.extend(entry(0x0001, 2, 2, *b"N\0\0\0"));
    tiff.extend(entry(0x0002, 5, 3, 80u32.to_be_bytes()));
    tiff.extend_from_slice(&0u32.to_be_bytes());
    for (numerator, denominator) in [(50u32, 1u32), (37, 1), (4321, 100)] {
        tiff.extend_from_slice(&numerator.to_be_bytes());
        tiff.extend_from_slice(&denominator.to_be_bytes());
    }
    assert_eq!(tiff.len(), 104);
    tiff.extend_from_slice(description.as_bytes());
    [&b"Exif\0\0"[..], &tiff].concat()
}

/// A JPEG `width` × `height` as a phone writes it: its pixels stored sideways with an EXIF
/// orientation (6: turn 90° clockwise to show), and a GPS position.
fn phone_jpeg(width: u32, height: u32, orientation: u16) -> Vec<u8> {
    let image = DynamicImage::ImageRgb8(image::RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([(x * 255 / width) as u8, (y * 255 / height) as u8, 90])
    }));
    let mut jpeg = Cursor::new(Vec::new());
    image.write_to(&mut jpeg, ImageFormat::Jpeg).unwrap();
    let jpeg = jpeg.into_inner();
    let exif = exif(orientation);
    let segment = [&[0xFF, 0xE1][..], &((exif.len() + 2) as u16).to_be_bytes(), &exif].concat();
    [&jpeg[..2], &segment, &jpeg[2..]].concat()
}

fn png(width: u32, height: u32) -> Vec<u8> {
    let image = DynamicImage::ImageRgb8(image::RgbImage::from_pixel(width, height, image::Rgb([200, 120, 40])));
    let mut png = Cursor::new(Vec::new());
    image.write_to(&mut png, ImageFormat::Png).unwrap();
    png.into_inner()
}

/// A PNG that says it is 20,000 × 20,000 pixels (400 megapixels, 1.2 GB once decoded) in a few
/// bytes: a "decompression bomb", which must be refused from its header.
fn png_bomb() -> Vec<u8> {
    fn crc32(bytes: &[u8]) -> u32 {
        let mut crc = 0xFFFF_FFFFu32;
        for byte in bytes {
            crc ^= u32::from(*byte);
            for _ in 0..8 {
                crc = if crc & 1 == 1 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
            }
        }
        !crc
    }
    let chunk = |kind: &[u8], data: &[u8]| {
        let body = [kind, data].concat();
        [&(data.len() as u32).to_be_bytes()[..], &body, &crc32(&body).to_be_bytes()].concat()
    };
    let header = [&20_000u32.to_be_bytes()[..], &20_000u32.to_be_bytes(), &[8, 2, 0, 0, 0]].concat();
    // A zlib stream of zeros (what would inflate to the whole image, cut short).
    let data = [0x78, 0x9C, 0x63, 0x60, 0x18, 0x05, 0x00, 0x00];
    [&b"\x89PNG\r\n\x1a\n"[..], &chunk(b"IHDR", &header), &chunk(b"IDAT", &data), &chunk(b"IEND", &[])].concat()
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// The `/media/…` URLs of a page, in order.
fn media_urls(html: &str) -> Vec<String> {
    html.split(['"', ' ', ',']).filter(|s| s.starts_with("/media/")).map(str::to_owned).collect()
}

/// A multipart form with a file and text fields.
fn form(file: Vec<u8>, file_name: &str, fields: &[(&str, &str)]) -> reqwest::multipart::Form {
    let mut form = reqwest::multipart::Form::new()
        .part("photo", reqwest::multipart::Part::bytes(file).file_name(file_name.to_owned()));
    for (name, value) in fields {
        form = form.text((*name).to_owned(), (*value).to_owned());
    }
    form
}

/// Uploads a photo from the listing's photos page, as a browser does (the page's CSRF token).
async fn upload_from_the_form(browser: &mut Browser, listing: &str, file: Vec<u8>, alt: &str) -> common::Reply {
    let page = browser.get(&format!("/listings/{listing}/photos")).await;
    assert_eq!(page.status, StatusCode::OK, "{page:?}");
    let csrf = common::csrf_field(&page.text).unwrap();
    let url = format!("{}/listings/{listing}/photos", browser.base());
    let response = browser
        .client
        .post(url)
        .multipart(form(file, "IMG_0042.JPG", &[("csrf", &csrf), ("alt", alt)]))
        .send()
        .await
        .unwrap();
    common::Reply::read(response).await
}

/// Uploads a photo with the API.
async fn upload_with_the_api(
    instance: &TestInstance,
    token: &str,
    listing: &str,
    file: Vec<u8>,
    alt: &str,
) -> common::Reply {
    let request = instance
        .api()
        .token(token)
        .request(reqwest::Method::POST, &format!("/api/v1/listings/{listing}/photos"))
        .multipart(form(file, "photo.jpg", &[("alt", alt)]));
    instance.api().send(request).await
}

async fn photos_of(instance: &TestInstance, listing: &str) -> Vec<Value> {
    let reply = instance.api().get(&format!("/api/v1/listings/{listing}")).await;
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    reply.json()["photos"].as_array().unwrap().clone()
}

async fn fetch(url: &str) -> reqwest::Response {
    reqwest::get(url).await.unwrap()
}

#[tokio::test]
async fn a_photo_from_the_form_is_turned_upright_resized_and_stripped_of_its_gps_position() {
    let instance = TestInstance::start().await;
    instance.create_member("lea", Role::Member).await;
    let token = instance.api_token("lea").await;
    let listing = instance.listing(&token, listing_body("Vélo cargo à prêter", json!({}))).await;
    let id = listing["id"].as_str().unwrap();
    let mut browser = instance.browser();
    browser.login_ok("lea").await;

    // A phone's photo: 1600 × 1200 pixels stored sideways, to be shown 1200 × 1600.
    let original = phone_jpeg(1600, 1200, 6);
    assert!(contains(&original, SECRET.as_bytes()) && contains(&original, b"Exif"));
    let reply = upload_from_the_form(&mut browser, id, original, "Le vélo vert devant l'atelier").await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{reply:?}");
    assert_eq!(reply.location(), format!("/listings/{id}/photos?done=photo_added"));
    let page = browser.follow(&reply).await;
    assert!(page.text.contains("Photo ajoutée."), "{}", page.text);

    // The listing page shows it, with its widths for the browser to choose from and its alt text.
    let page = browser.get(&format!("/listings/{id}")).await;
    assert!(page.text.contains("alt=\"Le vélo vert devant l&#39;atelier\""), "{}", page.text);
    let urls = media_urls(&page.text);
    let widths: Vec<&str> =
        ["-320.jpg", "-640.jpg", "-1200.jpg"].into_iter().filter(|w| urls.iter().any(|u| u.ends_with(w))).collect();
    assert_eq!(widths.len(), 3, "{urls:?}");
    assert!(page.text.contains("320w") && page.text.contains("1200w"), "{}", page.text);

    // Each width is a JPEG the right way up, cached for good, without any of the original's
    // metadata.
    for (width, height) in [(320, 427), (640, 854), (1200, 1600)] {
        let url = urls.iter().find(|u| u.ends_with(&format!("-{width}.jpg"))).unwrap();
        let response = fetch(&instance.url(url)).await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()["content-type"], "image/jpeg");
        assert_eq!(response.headers()["cache-control"], "public, max-age=31536000, immutable");
        assert!(response.headers().get("set-cookie").is_none(), "an image sets no cookie");
        let bytes = response.bytes().await.unwrap();
        let image = image::load_from_memory(&bytes).unwrap();
        assert_eq!((image.width(), image.height()), (width, height), "{url}");
        assert!(!contains(&bytes, b"Exif"), "{url} keeps an EXIF block");
        assert!(!contains(&bytes, SECRET.as_bytes()), "{url} keeps the camera's text");
        // Turned: the top-left corner of what is shown was the bottom-left of what was stored
        // (dark red, pale green: x = 0, y = 1200).
        let corner = image.to_rgb8().get_pixel(2, 2).0;
        assert!(corner[0] < 40 && corner[1] > 200, "{url}: not turned upright: {corner:?}");
    }

    // The catalogue's card shows the thumbnail; the API lists the photo with each width.
    let catalogue = browser.get("/").await;
    assert!(media_urls(&catalogue.text).iter().any(|u| u.ends_with("-320.jpg")), "{}", catalogue.text);
    let photos = photos_of(&instance, id).await;
    assert_eq!(photos.len(), 1);
    assert_eq!(photos[0]["alt"], "Le vélo vert devant l'atelier");
    assert_eq!((photos[0]["width"].as_u64(), photos[0]["height"].as_u64()), (Some(1200), Some(1600)));
    assert_eq!(photos[0]["renditions"].as_array().unwrap().len(), 3);
    let full = photos[0]["url"].as_str().unwrap();
    assert!(full.starts_with(&instance.public_url()) && full.ends_with("-1200.jpg"), "{full}");

    // The files are in the data directory, where backups take them from.
    let media = instance.data_dir().join("media");
    let files: Vec<_> = walk(&media);
    assert_eq!(files.len(), 3, "{files:?}");

    // Describe it again, then remove it: its files go too.
    let photo = photos[0]["id"].as_str().unwrap();
    let reply = browser
        .submit(
            &format!("/listings/{id}/photos"),
            &format!("/listings/{id}/photos/{photo}"),
            &[("action", "describe"), ("alt", "Un biporteur vert")],
        )
        .await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{reply:?}");
    assert_eq!(photos_of(&instance, id).await[0]["alt"], "Un biporteur vert");
    let reply = browser
        .submit(&format!("/listings/{id}/photos"), &format!("/listings/{id}/photos/{photo}"), &[("action", "remove")])
        .await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{reply:?}");
    assert!(photos_of(&instance, id).await.is_empty());
    assert!(walk(&media).is_empty(), "the files of a removed photo stay on disk");
    let gone = fetch(&instance.url(&urls[0])).await;
    assert_eq!(gone.status(), StatusCode::NOT_FOUND);
    instance.stop().await;
}

/// The files under `dir`, recursively.
fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    entries.flatten().flat_map(|e| if e.path().is_dir() { walk(&e.path()) } else { vec![e.path()] }).collect()
}

#[tokio::test]
async fn photos_are_ordered_and_a_seventh_is_refused() {
    let instance = TestInstance::start().await;
    let token = instance.member_with_token("lea", Role::Member).await;
    let listing = instance.listing(&token, listing_body("Outils de jardin", json!({}))).await;
    let id = listing["id"].as_str().unwrap();
    for n in 0..6 {
        let reply = upload_with_the_api(&instance, &token, id, png(200 + n, 100), &format!("Outil {n}")).await;
        assert_eq!(reply.status, StatusCode::CREATED, "{reply:?}");
    }
    let reply = upload_with_the_api(&instance, &token, id, png(300, 100), "Un de trop").await;
    reply.assert_field_error("photo");
    assert!(reply.text.contains("6 photos au plus"), "{reply:?}");
    let photos = photos_of(&instance, id).await;
    let alts: Vec<&str> = photos.iter().map(|p| p["alt"].as_str().unwrap()).collect();
    assert_eq!(alts, ["Outil 0", "Outil 1", "Outil 2", "Outil 3", "Outil 4", "Outil 5"]);
    // A small image is kept at its own width, and at the smaller standard ones.
    assert_eq!(photos[0]["renditions"].as_array().unwrap().len(), 1, "{}", photos[0]);

    // The last becomes the cover; the API's PATCH moves and describes.
    let last = photos[5]["id"].as_str().unwrap();
    let path = format!("/api/v1/listings/{id}/photos/{last}");
    let reply = instance.api().token(&token).patch(&path, &json!({"move": "first", "alt": "La couverture"})).await;
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    assert_eq!(reply.json()["photos"][0]["alt"], "La couverture");
    let reply = instance.api().token(&token).patch(&path, &json!({"move": "sideways"})).await;
    reply.assert_field_error("move");
    let reply = instance.api().token(&token).delete(&path).await;
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    assert_eq!(reply.json()["photos"].as_array().unwrap().len(), 5);

    // Someone else's listing: no.
    let other = instance.member_with_token("bob", Role::Member).await;
    let reply = upload_with_the_api(&instance, &other, id, png(200, 100), "").await;
    reply.assert_error(StatusCode::FORBIDDEN, "forbidden");
    // Not multipart: told what to send.
    let reply =
        instance.api().token(&token).post(&format!("/api/v1/listings/{id}/photos"), &json!({"photo": "x"})).await;
    reply.assert_error(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type");

    // The listing deleted, its photos' files go with it.
    assert_eq!(walk(&instance.data_dir().join("media")).len(), 5, "one width each");
    let reply = instance.api().token(&token).delete(&format!("/api/v1/listings/{id}")).await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT, "{reply:?}");
    assert!(walk(&instance.data_dir().join("media")).is_empty());
    instance.stop().await;
}

#[tokio::test]
async fn what_is_not_a_photo_we_keep_is_refused_with_a_message_and_changes_nothing() {
    let instance = TestInstance::start().await;
    instance.create_member("lea", Role::Member).await;
    let token = instance.api_token("lea").await;
    let listing = instance.listing(&token, listing_body("Perceuse", json!({}))).await;
    let id = listing["id"].as_str().unwrap();
    let reply = upload_with_the_api(&instance, &token, id, png(400, 300), "La perceuse").await;
    assert_eq!(reply.status, StatusCode::CREATED, "{reply:?}");
    let before = photos_of(&instance, id).await;

    let mut browser = instance.browser();
    browser.login_ok("lea").await;
    let heic = [&[0, 0, 0, 0x18][..], b"ftypheic\0\0\0\0mif1heic", &[0; 64]].concat();
    let mut fifty_megabytes = png(64, 64);
    fifty_megabytes.resize(50 << 20, 0);
    let cases: Vec<(&str, Vec<u8>, String, &str)> = vec![
        (
            "a text file named .jpg",
            b"Bonjour, ceci n'est pas une photo.".to_vec(),
            String::new(),
            "n'est pas une photo lisible",
        ),
        ("a HEIC photo", heic, String::new(), "HEIC"),
        ("a PNG cut short", png(400, 300)[..200].to_vec(), String::new(), "abîmée ou incomplète"),
        ("a decompression bomb", png_bomb(), String::new(), "50 mégapixels au plus"),
        ("50 MB", fifty_megabytes, String::new(), "15 Mo au plus"),
        ("an alt text of 10 kB", png(400, 300), "x".repeat(10_000), "Au plus 300 caractères"),
    ];
    for (what, file, alt, message) in cases {
        let reply = upload_from_the_form(&mut browser, id, file, &alt).await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{what}: {reply:?}");
        let text = common::html_text(&reply.text);
        assert!(text.contains(message), "{what}: {text}");
        // The alt text typed is given back.
        if alt.len() < 400 {
            assert!(text.contains(&format!("value=\"{alt}\"")), "{what}");
        }
        assert_eq!(photos_of(&instance, id).await, before, "{what} changed the photos");
    }
    // The API says the same, on the field.
    let reply = upload_with_the_api(&instance, &token, id, png_bomb(), "").await;
    reply.assert_field_error("photo");
    // Without the page's token: refused before anything is read into the listing.
    let response = browser
        .client
        .post(format!("{}/listings/{id}/photos", browser.base()))
        .multipart(form(png(100, 100), "a.png", &[("csrf", "0000")]))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(photos_of(&instance, id).await, before);
    instance.stop().await;
}

#[tokio::test]
async fn photos_reach_a_peer_which_shows_its_own_copy() {
    let (a, _admin_a, b, _admin_b) = peered_pair().await;
    let alice = a.member_with_token("alice", Role::Member).await;
    let listing = a.listing(&alice, listing_body("Remorque à vélo", json!({}))).await;
    let id = listing["id"].as_str().unwrap();
    let reply = upload_with_the_api(&a, &alice, id, phone_jpeg(1600, 1200, 1), "Une remorque rouge").await;
    assert_eq!(reply.status, StatusCode::CREATED, "{reply:?}");
    eventually("the listing reaches B", || async { peer_titles(&b).await == ["Remorque à vélo"] }).await;
    let on_b = || async {
        let found = b.api().search(&[("scope", "peers")]).await.json();
        found["items"][0].clone()
    };
    eventually("its photo reaches B", || async { on_b().await["photos"].as_array().is_some_and(|p| p.len() == 1) })
        .await;
    let item = on_b().await;
    let photo = &item["photos"][0];
    assert_eq!(photo["alt"], "Une remorque rouge");
    assert_eq!((photo["width"].as_u64(), photo["height"].as_u64()), (Some(1280), Some(960)), "{photo}");
    // B serves it from its own address: fetched from A, read and encoded again.
    let url = photo["url"].as_str().unwrap();
    assert!(url.starts_with(&b.public_url()), "{url} is not B's");
    let response = fetch(url).await;
    assert_eq!(response.status(), StatusCode::OK, "{url}");
    let bytes = response.bytes().await.unwrap();
    let image = image::load_from_memory(&bytes).unwrap();
    assert_eq!((image.width(), image.height()), (1280, 960));
    assert!(!contains(&bytes, SECRET.as_bytes()));
    // B's pages never point at A's files.
    let page = b.browser().get(&format!("/listings/{}", listing_id(item["url"].as_str().unwrap()))).await;
    assert!(!page.text.contains(&format!("{}media/", a.public_url())), "{}", page.text);
    assert!(!media_urls(&page.text).is_empty(), "{}", page.text);

    // Removed on A: gone from B.
    let photo_on_a = photos_of(&a, id).await[0]["id"].as_str().unwrap().to_owned();
    let reply = a.api().token(&alice).delete(&format!("/api/v1/listings/{id}/photos/{photo_on_a}")).await;
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    eventually("the removal reaches B", || async { on_b().await["photos"].as_array().is_some_and(Vec::is_empty) })
        .await;
    a.stop().await;
    b.stop().await;
}
