//! Public collections over real HTTP: outboxes in pages that follow each other by key (`first`,
//! then `next`), what each reader is shown, the numbered pages of earlier versions, and NodeInfo's
//! count of posts.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

mod common;

use std::future::Future;
use std::time::{Duration, Instant};

use common::{TestInstance, listing_body};
use maillage_server::config::PeeringPolicy;
use maillage_server::domain::member::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn open_instance() -> TestInstance {
    TestInstance::start_with(|config| {
        config.federation.insecure_local_federation = true;
        config.federation.policy = PeeringPolicy::Open;
    })
    .await
}

/// GETs an ActivityPub document (unsigned) by its URL, which names the instance by its domain.
async fn fetch(instance: &TestInstance, url: &str) -> (StatusCode, Value) {
    let path = url.strip_prefix(&format!("http://{}", instance.config.domain)).unwrap_or(url);
    let response = reqwest::Client::new()
        .get(instance.url(path))
        .header("accept", "application/activity+json")
        .send()
        .await
        .unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// The listing ids of an outbox, page by page, from its collection document's `first`.
async fn pages(instance: &TestInstance, outbox: &str) -> Vec<Vec<String>> {
    let (status, collection) = fetch(instance, outbox).await;
    assert_eq!(status, StatusCode::OK, "{collection}");
    assert_eq!(collection["type"], "OrderedCollection", "{collection}");
    let mut next = collection["first"].as_str().map(str::to_owned);
    let mut pages = Vec::new();
    while let Some(url) = next.take() {
        let (status, page) = fetch(instance, &url).await;
        assert_eq!(status, StatusCode::OK, "{url}: {page}");
        assert_eq!(page["type"], "OrderedCollectionPage", "{page}");
        assert_eq!(page["id"], url, "a page's id is the URL it was read at");
        assert_eq!(page["partOf"], collection["id"], "{page}");
        pages.push(object_ids(&page));
        next = page["next"].as_str().map(str::to_owned);
        assert!(pages.len() <= 20, "the next links go round in circles");
    }
    pages
}

fn object_ids(page: &Value) -> Vec<String> {
    page["orderedItems"]
        .as_array()
        .unwrap_or_else(|| panic!("no orderedItems in {page}"))
        .iter()
        .map(|item| {
            assert_eq!(item["type"], "Create", "{item}");
            item["object"]["id"].as_str().unwrap().to_owned()
        })
        .collect()
}

fn listing_url(instance: &TestInstance, listing: &Value) -> String {
    format!("http://{}/listings/{}", instance.config.domain, listing["id"].as_str().unwrap())
}

/// Publishes `count` listings with `overrides`, returns their URLs in the order they were published.
async fn publish(instance: &TestInstance, token: &str, prefix: &str, count: usize, overrides: Value) -> Vec<String> {
    let mut urls = Vec::with_capacity(count);
    for i in 0..count {
        let listing = instance.listing(token, listing_body(&format!("{prefix} {i}"), overrides.clone())).await;
        urls.push(listing_url(instance, &listing));
    }
    urls
}

#[tokio::test]
async fn an_outbox_pages_through_every_public_open_listing_once_newest_first() {
    let a = open_instance().await;
    let alice = a.member_with_token("alice", Role::Member).await;
    let bruno = a.member_with_token("bruno", Role::Member).await;
    let mut public = Vec::new();
    let mut bruno_public = Vec::new();
    for round in 0..6 {
        public.extend(publish(&a, &alice, &format!("Escabeau {round}"), 15, json!({})).await);
        let bruno_listings = publish(&a, &bruno, &format!("Remorque {round}"), 5, json!({})).await;
        bruno_public.extend(bruno_listings.clone());
        public.extend(bruno_listings);
        publish(&a, &alice, &format!("Pour les partenaires {round}"), 2, json!({"visibility": "peers"})).await;
        publish(&a, &bruno, &format!("Pour les membres {round}"), 2, json!({"visibility": "instance"})).await;
        publish(&a, &alice, &format!("Déjà donné {round}"), 2, json!({"status": "closed"})).await;
    }
    public.reverse();
    bruno_public.reverse();

    let pages_read = pages(&a, &format!("http://{}/actor/outbox", a.config.domain)).await;
    assert_eq!(pages_read.iter().map(Vec::len).collect::<Vec<_>>(), [20; 6], "pages of 20");
    assert_eq!(pages_read.concat(), public, "every public open listing once, newest first");

    let bruno_pages = pages(&a, &format!("http://{}/members/bruno/outbox", a.config.domain)).await;
    assert_eq!(bruno_pages.concat(), bruno_public, "a member's outbox holds their public open listings");

    // The collection gives its first page and no count (counting would cost more than a page).
    let (_, collection) = fetch(&a, "/actor/outbox").await;
    assert_eq!(collection["first"], format!("http://{}/actor/outbox?page=true", a.config.domain));
    assert!(collection.get("totalItems").is_none(), "{collection}");
    a.stop().await;
}

#[tokio::test]
async fn a_listing_published_while_a_peer_reads_the_outbox_does_not_shift_its_pages() {
    let a = open_instance().await;
    let alice = a.member_with_token("alice", Role::Member).await;
    let mut published = publish(&a, &alice, "Escabeau", 40, json!({})).await;
    published.reverse();

    let (_, collection) = fetch(&a, "/actor/outbox").await;
    let (_, first) = fetch(&a, collection["first"].as_str().unwrap()).await;
    // Published between two pages: it is on no page of this reading (it comes by its `Create`),
    // and the second page goes on right after the first.
    publish(&a, &alice, "Publiée entre deux pages", 1, json!({})).await;
    let (_, second) = fetch(&a, first["next"].as_str().unwrap()).await;
    let read = [object_ids(&first), object_ids(&second)].concat();
    assert_eq!(read, published, "the second page starts with {:?}", object_ids(&second).first());
    assert!(second.get("next").is_none(), "{second}");
    a.stop().await;
}

#[tokio::test]
async fn numbered_pages_of_earlier_versions_get_the_first_page_or_a_clear_refusal() {
    let a = open_instance().await;
    let alice = a.member_with_token("alice", Role::Member).await;
    let mut published = publish(&a, &alice, "Escabeau", 3, json!({})).await;
    published.reverse();

    let (status, page) = fetch(&a, "/actor/outbox?page=1").await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(object_ids(&page), published);
    assert_eq!(page["id"], format!("http://{}/actor/outbox?page=true", a.config.domain));

    for (query, says) in [
        ("page=2", "follow each page's `next`"),
        ("page=0", "follow each page's `next`"),
        ("page=yes", "page must be true"),
        ("page=true&before=abc", "before must be a positive whole number"),
        ("page=true&before=-4", "before must be a positive whole number"),
        ("before=12", "before goes with page=true"),
    ] {
        let (status, body) = fetch(&a, &format!("/actor/outbox?{query}")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}: {body}");
        assert!(body["message"].as_str().unwrap_or_default().contains(says), "{query}: {body}");
        let (status, body) = fetch(&a, &format!("/members/alice/outbox?{query}")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}: {body}");
    }
    a.stop().await;
}

/// Waits until `check` holds (delivery is asynchronous); fails with `what` after 20 s.
async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if check().await {
            return;
        }
        assert!(Instant::now() < deadline, "timed out waiting: {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn a_peer_pages_through_the_listings_for_peers_too_and_nobody_else_sees_them() {
    let a = open_instance().await;
    let b = open_instance().await;
    let admin_b = b.member_with_token("admin_b", Role::Admin).await;
    let bruno = b.member_with_token("bruno", Role::Member).await;
    let alice = a.member_with_token("alice", Role::Member).await;
    // More than two pages, with listings for partners among them: the backfill reads every page.
    let mut public = Vec::new();
    for round in 0..4 {
        public.extend(publish(&a, &alice, &format!("Publique {round}"), 20, json!({})).await);
        publish(&a, &alice, &format!("Partenaires {round}"), 10, json!({"visibility": "peers"})).await;
        publish(&a, &alice, &format!("Membres {round}"), 3, json!({"visibility": "instance"})).await;
    }
    public.reverse();
    let reply = b.api().token(&admin_b).post("/api/v1/admin/peers", &json!({"domain": a.config.domain})).await;
    assert_eq!(reply.status, StatusCode::ACCEPTED, "{reply:?}");

    let mut expected_titles: Vec<String> =
        (0..4).flat_map(|r| (0..20).map(move |i| format!("Publique {r} {i}"))).collect();
    expected_titles.extend((0..4).flat_map(|r| (0..10).map(move |i| format!("Partenaires {r} {i}"))));
    expected_titles.sort();
    eventually("B backfilled A's public and partners' listings", || async {
        let mut seen = b.api().token(&bruno).titles(&[("scope", "peers"), ("per_page", "100")]).await;
        seen.extend(b.api().token(&bruno).titles(&[("scope", "peers"), ("per_page", "100"), ("page", "2")]).await);
        seen.sort();
        seen == expected_titles
    })
    .await;

    // An unsigned reader pages through the public ones only.
    let unsigned = pages(&a, &format!("http://{}/actor/outbox", a.config.domain)).await.concat();
    assert_eq!(unsigned, public);
    a.stop().await;
    b.stop().await;
}

#[tokio::test]
async fn nodeinfo_counts_public_open_listings_only() {
    let a = open_instance().await;
    let alice = a.member_with_token("alice", Role::Member).await;
    publish(&a, &alice, "Publique", 3, json!({})).await;
    publish(&a, &alice, "Réservée", 1, json!({"status": "reserved"})).await;
    publish(&a, &alice, "Pour les partenaires", 2, json!({"visibility": "peers"})).await;
    publish(&a, &alice, "Pour les membres", 2, json!({"visibility": "instance"})).await;
    publish(&a, &alice, "Donnée", 1, json!({"status": "closed"})).await;
    let (status, nodeinfo) = fetch(&a, "/nodeinfo/2.1").await;
    assert_eq!(status, StatusCode::OK, "{nodeinfo}");
    assert_eq!(nodeinfo["usage"]["localPosts"], 4, "{nodeinfo}");
    a.stop().await;
}
