//! What real servers publish and send, read the way Maillage reads it.
//!
//! The documents under `tests/assets/` were captured from Mastodon, Mitra, Lemmy and Fedify (and from
//! Maillage itself); `tests/assets/README.md` says where each one comes from. Each test reads one of
//! them through the crate's public items:
//! - actor documents as [`ActorDocument`], then [`RemoteActor`] (what we keep and deliver to), and
//!   through the checks the inbox applies to a fetched actor ([`RemoteActorObject`]);
//! - listings as FEP-0837 [`Proposal`]s, and the [`ListingData`] the server then validates;
//! - activities as [`InboxActivity`], then through `verify` and `receive`, which turn them into the
//!   [`Inbound`] event the instance applies. The instance side is a small in-memory [`Port`] that knows
//!   the sending actors (so that nothing is fetched) and records the events.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use activitypub_federation::traits::{Activity, Object};
use async_trait::async_trait;
use maillage_federation::actors::RemoteActorObject;
use maillage_federation::inbox::InboxActivity;
use maillage_federation::proposal::{ListingData, Proposal};
use maillage_federation::vocab::{ActorDocument, ActorKind, value_id};
use maillage_federation::{
    Federation, FederationError, Inbound, LocalActor, Options, PUBLIC, Port, PortError, RemoteActor, Urls,
};
use serde_json::Value;
use url::Url;

// ---- fixtures ---------------------------------------------------------------------------------------

fn asset(name: &str) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/assets").join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn url(text: &str) -> Url {
    Url::parse(text).unwrap()
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// An actor document from the assets, as we keep it.
fn actor_from(name: &str) -> RemoteActor {
    let doc: ActorDocument = serde_json::from_value(asset(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
    RemoteActor::from_document(&doc, now_ms(), true).unwrap_or_else(|| panic!("{name}: no host"))
}

/// An actor we have no published document of (the sender of a captured activity), as we would keep it.
fn actor_at(id: &str, kind: ActorKind) -> RemoteActor {
    let id = url(id);
    let domain = maillage_federation::urls::domain_of(&id).unwrap();
    let username = id.path_segments().and_then(|mut s| s.next_back()).unwrap_or_default().to_owned();
    RemoteActor {
        inbox: maillage_federation::urls::inbox_of(&id),
        id,
        kind,
        domain,
        name: username.clone(),
        username,
        shared_inbox: None,
        outbox: None,
        public_key_pem: "-----BEGIN PUBLIC KEY-----\n-----END PUBLIC KEY-----\n".to_owned(),
        page: None,
        icon: None,
        fetched_at: now_ms(),
    }
}

/// The proposal inside a `Create` or `Update`.
fn proposal_in(activity: &str) -> Proposal {
    serde_json::from_value(asset(activity)["object"].clone()).unwrap_or_else(|e| panic!("{activity}: {e}"))
}

fn proposal(name: &str) -> Proposal {
    serde_json::from_value(asset(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

// ---- the instance side: an in-memory port --------------------------------------------------------------

#[derive(Default)]
struct MemoryPort {
    actors: Mutex<HashMap<Url, RemoteActor>>,
    received: Mutex<HashSet<Url>>,
    events: Mutex<Vec<Inbound>>,
}

#[async_trait]
impl Port for MemoryPort {
    async fn local_actor(&self, _username: &str) -> Result<Option<LocalActor>, PortError> {
        Ok(None)
    }

    async fn remote_actor(&self, id: &Url) -> Result<Option<RemoteActor>, PortError> {
        Ok(self.actors.lock().unwrap().get(id).cloned())
    }

    async fn save_remote_actor(&self, actor: &RemoteActor) -> Result<(), PortError> {
        self.actors.lock().unwrap().insert(actor.id.clone(), actor.clone());
        Ok(())
    }

    async fn is_blocked(&self, _domain: &str) -> Result<bool, PortError> {
        Ok(false)
    }

    async fn already_received(&self, activity_id: &Url) -> Result<bool, PortError> {
        Ok(self.received.lock().unwrap().contains(activity_id))
    }

    async fn record_reception(&self, activity_id: &Url) -> Result<(), PortError> {
        self.received.lock().unwrap().insert(activity_id.clone());
        Ok(())
    }

    async fn receive(&self, event: Inbound) -> Result<(), PortError> {
        self.events.lock().unwrap().push(event);
        Ok(())
    }

    async fn server_answered(&self, _domain: &str) -> Result<(), PortError> {
        Ok(())
    }
}

/// The key pair of our instance actor (it signs fetches; none is made here).
fn instance_keys() -> &'static (String, String) {
    static KEYS: OnceLock<(String, String)> = OnceLock::new();
    KEYS.get_or_init(|| {
        let pair = activitypub_federation::http_signatures::generate_actor_keypair().unwrap();
        (pair.public_key, pair.private_key)
    })
}

/// A federation for an instance at `base` (`https://coop.example/`) that knows `actors`.
async fn instance(base: &str, actors: &[RemoteActor]) -> (Federation, Arc<MemoryPort>) {
    let port = Arc::new(MemoryPort::default());
    for actor in actors {
        port.save_remote_actor(actor).await.unwrap();
    }
    let urls = Urls::new(url(base));
    let (public_key_pem, private_key_pem) = instance_keys().clone();
    let me = LocalActor {
        id: urls.instance_actor(),
        kind: ActorKind::Application,
        username: urls.domain(),
        name: "Test".to_owned(),
        summary: String::new(),
        page: urls.base().clone(),
        public_key_pem,
        private_key_pem,
        manually_approves_followers: true,
        published: "2026-01-01T00:00:00Z".to_owned(),
        icon: None,
    };
    let options = Options { insecure_local: true, request_timeout: Duration::from_secs(1) };
    let federation = Federation::new(port.clone(), urls, &me, options).await.unwrap();
    (federation, port)
}

/// Reads `activity` as the inbox does once its signature is checked: parsed, verified, interpreted
/// and handed to the instance. Returns the outcome and what the instance was given.
async fn deliver(base: &str, actors: &[RemoteActor], activity: &Value) -> (Result<(), FederationError>, Vec<Inbound>) {
    let (federation, port) = instance(base, actors).await;
    let parsed: InboxActivity = serde_json::from_value(activity.clone()).expect("the inbox cannot read it");
    let data = federation.data();
    let result = match parsed.verify(&data).await {
        Ok(()) => parsed.receive(&data).await,
        Err(e) => Err(e),
    };
    let events = port.events.lock().unwrap().clone();
    (result, events)
}

async fn deliver_ok(base: &str, actors: &[RemoteActor], name: &str) -> Inbound {
    let (result, events) = deliver(base, actors, &asset(name)).await;
    if let Err(e) = result {
        panic!("{name} refused: {e}");
    }
    match <[Inbound; 1]>::try_from(events) {
        Ok([event]) => event,
        Err(events) => panic!("{name}: expected one event, got {events:?}"),
    }
}

// ---- actors --------------------------------------------------------------------------------------

/// What each published actor must become.
struct ExpectedActor {
    file: &'static str,
    kind: ActorKind,
    id: &'static str,
    domain: &'static str,
    username: &'static str,
    name: &'static str,
    inbox: &'static str,
    shared_inbox: Option<&'static str>,
    outbox: Option<&'static str>,
    page: Option<&'static str>,
    key_id: &'static str,
    /// The start of the key's base64, after the PEM header.
    key_start: &'static str,
}

const ACTORS: &[ExpectedActor] = &[
    ExpectedActor {
        file: "mastodon_person.json",
        kind: ActorKind::Person,
        id: "https://masto.qa.urbanwildlife.biz/users/mastodon",
        domain: "masto.qa.urbanwildlife.biz",
        username: "mastodon",
        name: "Mastodon",
        inbox: "https://masto.qa.urbanwildlife.biz/users/mastodon/inbox",
        shared_inbox: Some("https://masto.qa.urbanwildlife.biz/inbox"),
        outbox: Some("https://masto.qa.urbanwildlife.biz/users/mastodon/outbox"),
        page: Some("https://masto.qa.urbanwildlife.biz/@mastodon"),
        key_id: "https://masto.qa.urbanwildlife.biz/users/mastodon#main-key",
        key_start: "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAtBdE55VmV9gTrhJmRF1K",
    },
    ExpectedActor {
        file: "mitra_person.json",
        kind: ActorKind::Person,
        id: "https://server.example/users/testuser",
        domain: "server.example",
        username: "testuser",
        // Mitra publishes no `name` when the profile has none: the username stands in.
        name: "testuser",
        inbox: "https://server.example/users/testuser/inbox",
        // Mitra has no shared inbox: deliveries go to the actor's own.
        shared_inbox: None,
        outbox: Some("https://server.example/users/testuser/outbox"),
        page: Some("https://server.example/users/testuser"),
        key_id: "https://server.example/users/testuser#main-key",
        key_start: "MFwwDQYJKoZIhvcNAQEBBQADSwAwSAJBAOIh58ZQbo45MuZvv1nMWAzTzN9oghNC",
    },
    ExpectedActor {
        file: "mitra_instance_actor.json",
        kind: ActorKind::Application,
        id: "https://server.example/actor",
        domain: "server.example",
        username: "server.example",
        name: "server.example",
        inbox: "https://server.example/actor/inbox",
        shared_inbox: None,
        outbox: Some("https://server.example/actor/outbox"),
        page: None,
        key_id: "https://server.example/actor#main-key",
        key_start: "MFwwDQYJKoZIhvcNAQEBBQADSwAwSAJBAOIh58ZQbo45MuZvv1nMWAzTzN9oghNC",
    },
    ExpectedActor {
        file: "lemmy_person.json",
        kind: ActorKind::Person,
        id: "https://enterprise.lemmy.ml/u/picard",
        domain: "enterprise.lemmy.ml",
        username: "picard",
        name: "Jean-Luc Picard",
        inbox: "https://enterprise.lemmy.ml/u/picard/inbox",
        shared_inbox: Some("https://enterprise.lemmy.ml/inbox"),
        outbox: Some("https://enterprise.lemmy.ml/u/picard/outbox"),
        page: None,
        key_id: "https://enterprise.lemmy.ml/u/picard#main-key",
        key_start: "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA0lP99/s5Vv+XbPdkeqIJ",
    },
    ExpectedActor {
        file: "lemmy_group.json",
        kind: ActorKind::Group,
        id: "https://enterprise.lemmy.ml/c/tenforward",
        domain: "enterprise.lemmy.ml",
        username: "tenforward",
        name: "Ten Forward",
        inbox: "https://enterprise.lemmy.ml/c/tenforward/inbox",
        shared_inbox: Some("https://enterprise.lemmy.ml/inbox"),
        outbox: Some("https://enterprise.lemmy.ml/c/tenforward/outbox"),
        page: None,
        key_id: "https://enterprise.lemmy.ml/c/tenforward#main-key",
        key_start: "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAzRjKTNtvDCmugplwEh+g",
    },
    ExpectedActor {
        file: "lemmy_instance.json",
        kind: ActorKind::Application,
        id: "https://enterprise.lemmy.ml/",
        domain: "enterprise.lemmy.ml",
        username: "enterprise.lemmy.ml",
        name: "Enterprise",
        inbox: "https://enterprise.lemmy.ml/inbox",
        shared_inbox: None,
        outbox: Some("https://enterprise.lemmy.ml/outbox"),
        page: None,
        key_id: "https://enterprise.lemmy.ml/#main-key",
        key_start: "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAupcK0xTw5yQb/fnztAmb",
    },
    ExpectedActor {
        file: "fedify_person.json",
        kind: ActorKind::Person,
        id: "http://localhost:19095/users/fedi",
        domain: "localhost:19095",
        username: "fedi",
        name: "Fedify interop account",
        inbox: "http://localhost:19095/users/fedi/inbox",
        shared_inbox: Some("http://localhost:19095/inbox"),
        outbox: Some("http://localhost:19095/users/fedi/outbox"),
        page: Some("http://localhost:19095/users/fedi"),
        key_id: "http://localhost:19095/users/fedi#main-key",
        // A 4096-bit RSA key (Fedify also publishes Multikeys in `assertionMethod`, which we ignore).
        key_start: "MIICIjANBgkqhkiG9w0BAQEFAAOCAg8AMIICCgKCAgEAm01YiMVglwffTXf3ZL4Y",
    },
    ExpectedActor {
        file: "maillage_person.json",
        kind: ActorKind::Person,
        id: "http://localhost:19081/members/julien_morel",
        domain: "localhost:19081",
        username: "julien_morel",
        name: "Julien Morel",
        inbox: "http://localhost:19081/members/julien_morel/inbox",
        shared_inbox: Some("http://localhost:19081/inbox"),
        outbox: Some("http://localhost:19081/members/julien_morel/outbox"),
        page: Some("http://localhost:19081/members/julien_morel"),
        key_id: "http://localhost:19081/members/julien_morel#main-key",
        key_start: "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA5BSme4W3nLLrE+LqAKsg",
    },
    ExpectedActor {
        file: "maillage_organization.json",
        kind: ActorKind::Organization,
        id: "http://localhost:19081/members/jardins_fives",
        domain: "localhost:19081",
        username: "jardins_fives",
        name: "Jardins partagés de Fives",
        inbox: "http://localhost:19081/members/jardins_fives/inbox",
        shared_inbox: Some("http://localhost:19081/inbox"),
        outbox: Some("http://localhost:19081/members/jardins_fives/outbox"),
        page: Some("http://localhost:19081/members/jardins_fives"),
        key_id: "http://localhost:19081/members/jardins_fives#main-key",
        key_start: "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAu8RRviyh0l4bJEprMMnt",
    },
    ExpectedActor {
        file: "maillage_application.json",
        kind: ActorKind::Application,
        id: "http://localhost:19081/actor",
        domain: "localhost:19081",
        username: "localhost:19081",
        name: "La Coop du Prêt — Lille",
        inbox: "http://localhost:19081/actor/inbox",
        shared_inbox: Some("http://localhost:19081/inbox"),
        outbox: Some("http://localhost:19081/actor/outbox"),
        page: Some("http://localhost:19081/"),
        key_id: "http://localhost:19081/actor#main-key",
        key_start: "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA9TTYyoFBMxn9nKkGyelk",
    },
];

#[test]
fn every_published_actor_becomes_the_remote_actor_we_deliver_to() {
    for expected in ACTORS {
        let file = expected.file;
        let doc: ActorDocument = serde_json::from_value(asset(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(doc.public_key.id.as_str(), expected.key_id, "{file}: key id");
        assert_eq!(doc.public_key.owner.as_str(), expected.id, "{file}: key owner");
        let actor = RemoteActor::from_document(&doc, 1_795_000_000_000, true).unwrap();
        assert_eq!(actor.kind, expected.kind, "{file}");
        assert_eq!(actor.id.as_str(), expected.id, "{file}");
        assert_eq!(actor.domain, expected.domain, "{file}");
        assert_eq!(actor.username, expected.username, "{file}");
        assert_eq!(actor.name, expected.name, "{file}");
        assert_eq!(actor.handle(), format!("{}@{}", expected.username, expected.domain), "{file}");
        assert_eq!(actor.inbox.as_str(), expected.inbox, "{file}");
        assert_eq!(actor.shared_inbox.as_ref().map(Url::as_str), expected.shared_inbox, "{file}");
        assert_eq!(
            actor.delivery_inbox().as_str(),
            expected.shared_inbox.unwrap_or(expected.inbox),
            "{file}: deliveries go to the shared inbox when there is one"
        );
        assert_eq!(actor.outbox.as_ref().map(Url::as_str), expected.outbox, "{file}");
        assert_eq!(actor.page.as_ref().map(Url::as_str), expected.page, "{file}");
        assert_eq!(actor.fetched_at, 1_795_000_000_000, "{file}");
        let pem = actor.public_key_pem.strip_prefix("-----BEGIN PUBLIC KEY-----\n").unwrap_or_else(|| {
            panic!("{file}: not a PEM public key: {}", actor.public_key_pem);
        });
        assert!(pem.starts_with(expected.key_start), "{file}: another key: {pem}");
        assert!(actor.public_key_pem.trim_end().ends_with("-----END PUBLIC KEY-----"), "{file}");
    }
}

#[tokio::test]
async fn every_published_actor_passes_the_checks_of_a_fetched_actor_and_is_kept() {
    let (federation, port) = instance("https://coop.example/", &[]).await;
    let data = federation.data();
    for expected in ACTORS {
        let doc: ActorDocument = serde_json::from_value(asset(expected.file)).unwrap();
        // Fetched from its own id: accepted.
        RemoteActorObject::verify(&doc, &doc.id, &data).await.unwrap_or_else(|e| panic!("{}: {e}", expected.file));
        let kept = RemoteActorObject::from_json(doc, &data).await.unwrap().0;
        assert_eq!(kept.id.as_str(), expected.id);
        assert!(now_ms() - kept.fetched_at < 60_000, "{}: fetched now", expected.file);
        let stored = port.remote_actor(&kept.id).await.unwrap().expect("kept through the port");
        assert_eq!(stored, kept);
    }
}

#[tokio::test]
async fn an_actor_served_by_another_server_is_refused() {
    let (federation, _port) = instance("https://coop.example/", &[]).await;
    let data = federation.data();
    // The Mastodon document, as if another server had answered a fetch of one of its URLs.
    let doc: ActorDocument = serde_json::from_value(asset("mastodon_person.json")).unwrap();
    let error = RemoteActorObject::verify(&doc, &url("https://evil.example/users/mastodon"), &data).await.unwrap_err();
    assert_eq!(error.status().as_u16(), 401, "{error}");
    // A document whose key belongs to someone else.
    let mut doc: ActorDocument = serde_json::from_value(asset("lemmy_person.json")).unwrap();
    doc.public_key.owner = url("https://enterprise.lemmy.ml/u/riker");
    let error = RemoteActorObject::verify(&doc, &doc.id.clone(), &data).await.unwrap_err();
    assert_eq!(error.status().as_u16(), 401, "{error}");
}

#[test]
fn actors_icons_are_read_from_what_servers_write_and_only_web_links_are_kept() {
    let mastodon = RemoteActor::from_document(
        &serde_json::from_value::<ActorDocument>(asset("mastodon_person.json")).unwrap(),
        0,
        false,
    )
    .unwrap();
    assert_eq!(
        mastodon.icon.as_ref().map(Url::as_str),
        Some(
            "https://masto.qa.urbanwildlife.biz/system/accounts/avatars/109/105/103/301/739/269/original/2cf61ff96e94cb1d.png"
        )
    );
    let lemmy: ActorDocument = serde_json::from_value(asset("lemmy_person.json")).unwrap();
    assert!(RemoteActor::from_document(&lemmy, 0, false).unwrap().icon.is_some());
    let with_icon = |icon: serde_json::Value| {
        let mut doc = asset("mastodon_person.json");
        doc["icon"] = icon;
        let doc: ActorDocument = serde_json::from_value(doc).expect("an odd icon never refuses the actor");
        RemoteActor::from_document(&doc, 0, false).unwrap().icon.map(|u| u.to_string())
    };
    let a = "https://masto.example/a.png";
    assert_eq!(with_icon(serde_json::json!(a)).as_deref(), Some(a), "a bare URL");
    assert_eq!(
        with_icon(
            serde_json::json!([{"type": "Video", "url": "https://x.example/v.mp4"}, {"type": "Image", "url": a}])
        )
        .as_deref(),
        Some(a),
        "the first image of a list"
    );
    assert_eq!(with_icon(serde_json::json!({"type": "Image", "url": {"type": "Link", "href": a}})).as_deref(), Some(a));
    for hostile in [
        serde_json::json!({"type": "Image", "url": "javascript:alert(1)"}),
        serde_json::json!({"type": "Image", "url": "http://masto.example/a.png"}),
        serde_json::json!({"type": "Image", "url": "data:image/png;base64,AAAA"}),
        serde_json::json!({"type": "Image", "mediaType": "text/html", "url": a}),
        serde_json::json!(42),
    ] {
        assert_eq!(with_icon(hostile.clone()), None, "{hostile}");
    }
}

// ---- FEP-0837 proposals -----------------------------------------------------------------------------

#[test]
fn a_maillage_listing_with_a_price_reads_back_as_it_was_published() {
    let proposal = proposal_in("maillage_create_proposal.json");
    assert_eq!(proposal.id.as_str(), "http://localhost:19081/listings/7b4621be4ef49cc06929a3f7c35e36c3");
    assert_eq!(proposal.attributed_to.as_str(), "http://localhost:19081/members/julien_morel");
    assert_eq!(proposal.to, vec![url(PUBLIC)]);
    assert_eq!(
        proposal.cc,
        vec![
            url("http://localhost:19081/members/julien_morel/followers"),
            url("http://localhost:19081/actor/followers")
        ]
    );
    assert_eq!(proposal.publishes.id.fragment(), Some("primary"));
    assert_eq!(
        proposal.reciprocal.as_ref().unwrap().resource_conforms_to.as_deref(),
        Some(maillage_federation::proposal::EURO)
    );
    assert_eq!(proposal.published.as_deref(), Some("2026-11-23T11:19:15.998Z"));
    assert_eq!(
        proposal.to_listing_data(),
        ListingData {
            purpose: "offer".into(),
            mode: "sell".into(),
            category: "materials-wood".into(),
            title: "Chutes de chêne pour atelier".into(),
            description:
                "Chutes de parquet en chêne massif, longueurs de 30 à 80 cm.\n\nÀ prendre sur place, rue Pasteur."
                    .into(),
            quantity: Some(45.5),
            unit: "kg".into(),
            price_kind: Some("fixed".into()),
            price_cents: Some(1250),
            reduced_price_cents: None,
            per_unit: false,
            location_name: Some("Mons-en-Barœul".into()),
            latitude: Some(50.642),
            longitude: Some(3.11),
            available_from: Some("2026-12-01".into()),
            available_until: Some("2027-01-31".into()),
            status: "active".into(),
            photos: Vec::new(),
        }
    );
}

#[test]
fn a_maillage_update_carries_the_new_quantity_and_status() {
    let proposal = proposal_in("maillage_update_proposal.json");
    assert_eq!(proposal.updated.as_deref(), Some("2026-11-23T11:19:22.856Z"));
    let data = proposal.to_listing_data();
    assert_eq!(data.status, "reserved");
    assert_eq!(data.quantity, Some(30.0));
    assert_eq!(data.unit, "kg");
    assert_eq!(data.price_cents, Some(1250));
}

#[test]
fn a_maillage_listing_for_peers_is_addressed_to_the_instance_followers_only() {
    let proposal = proposal_in("maillage_create_proposal_peers.json");
    assert_eq!(proposal.to, vec![url("http://localhost:19081/actor/followers")]);
    assert!(proposal.cc.is_empty());
    let data = proposal.to_listing_data();
    assert_eq!((data.purpose.as_str(), data.mode.as_str()), ("request", "service"));
    assert_eq!(proposal.publishes.action, "deliverService");
    assert_eq!(data.category, "bikes-repair");
    assert_eq!((data.quantity, data.unit.as_str()), (Some(1.0), "hour"));
    assert_eq!(data.price_cents, None);
    assert_eq!(data.location_name.as_deref(), Some("Lille"));
    assert_eq!((data.latitude, data.longitude), (None, None));
    assert_eq!(data.description, "Une heure suffira, je fournis le café.");
}

#[test]
fn the_listings_of_a_maillage_outbox_page_are_proposals_of_its_server() {
    let page = asset("maillage_outbox_page.json");
    assert_eq!(page["type"], "OrderedCollectionPage");
    let items = page["orderedItems"].as_array().unwrap();
    assert_eq!(items.len(), 3);
    let titles: Vec<String> = items
        .iter()
        .map(|item| {
            assert_eq!(item["type"], "Create");
            let proposal: Proposal = serde_json::from_value(item["object"].clone()).unwrap();
            assert_eq!(maillage_federation::urls::domain_of(&proposal.id).as_deref(), Some("localhost:19081"));
            assert_eq!(value_id(&item["actor"]), Some(proposal.attributed_to.clone()));
            proposal.to_listing_data().title
        })
        .collect();
    assert_eq!(titles, ["Vélo cargo biporteur", "Tente 4 places", "Cherche nettoyeur haute pression"]);
}

#[test]
fn the_full_fep_0837_example_becomes_a_listing() {
    let proposal = proposal("fep0837_proposal_full.json");
    assert_eq!(proposal.to, vec![url(PUBLIC)]);
    assert_eq!(proposal.unit_based, Some(false));
    let data = proposal.to_listing_data();
    assert_eq!(data.purpose, "offer");
    assert_eq!(data.title, "Offering used bike");
    // The price is in US dollars (Wikidata Q4917): not read as euros, but kept in the text.
    assert_eq!(
        data.description,
        "Blue one-speed bike, 15 years old, some rust\n\nContrepartie / in return: 30 (https://www.wikidata.org/wiki/Q4917)"
    );
    // `transfer` with a reciprocal intent, and no mode of ours: a sale.
    assert_eq!(data.mode, "sell");
    // A Wikidata class is not one of our categories: the server refuses the listing without one.
    assert_eq!(data.category, "");
    assert_eq!((data.quantity, data.unit.as_str()), (Some(1.0), "piece"));
    assert_eq!((data.latitude, data.longitude, data.location_name), (Some(25.0), Some(-71.0), None));
    assert_eq!(data.status, "active");
}

#[test]
fn a_price_in_another_currency_is_not_read_as_euros() {
    let data = proposal("fep0837_proposal_full.json").to_listing_data();
    assert_eq!(data.price_cents, None, "30 US dollars read as {:?} euro cents", data.price_cents);
}

#[test]
fn the_minimal_fep_0837_example_is_a_proposal() {
    let proposal: Proposal = serde_json::from_value(asset("fep0837_proposal_minimal.json")).unwrap();
    let data = proposal.to_listing_data();
    assert_eq!((data.purpose.as_str(), data.mode.as_str()), ("offer", "give"));
    assert_eq!((data.quantity, data.unit.as_str()), (Some(1.0), "piece"));
}

#[test]
fn a_mitra_subscription_proposal_is_read_as_a_service_offer() {
    let proposal = proposal("mitra_proposal.json");
    assert_eq!(proposal.attributed_to.as_str(), "https://test.example/users/alice");
    assert_eq!(proposal.to, vec![url(PUBLIC)], "a single `to` string");
    assert_eq!(proposal.unit_based, Some(true));
    assert_eq!(proposal.publishes.resource_conforms_to.as_deref(), Some("https://www.wikidata.org/wiki/Q579716"));
    let data = proposal.to_listing_data();
    assert_eq!((data.purpose.as_str(), data.mode.as_str()), ("offer", "service"));
    assert_eq!(data.title, "Pay for subscription");
    // Mitra sends no `content`: the text is only the price, in a currency we do not read as euros.
    assert_eq!(
        data.description,
        "Contrepartie / in return: 20000 (caip:19:monero:418015bb9ae982a1975da7d79277c270/slip44:128)"
    );
    // One second of access: `second` is no unit of ours, so the server refuses the listing.
    assert_eq!((data.quantity, data.unit.as_str()), (Some(1.0), "second"));
    assert_eq!(data.category, "");
}

#[test]
fn a_price_in_monero_is_not_read_as_euros() {
    let data = proposal("mitra_proposal.json").to_listing_data();
    assert_eq!(data.price_cents, None, "20000 piconeros per second read as {:?} euro cents", data.price_cents);
}

// ---- activities, as the inbox reads them -------------------------------------------------------------

#[test]
fn every_captured_activity_is_readable_by_the_inbox() {
    let activities = [
        "mastodon_follow.json",
        "mastodon_undo_follow.json",
        "mastodon_create_note.json",
        "mastodon_delete.json",
        "lemmy_follow.json",
        "lemmy_accept.json",
        "lemmy_undo_follow.json",
        "lemmy_create_page.json",
        "mitra_accept.json",
        "mitra_create_note.json",
        "fedify_follow.json",
        "fedify_accept.json",
        "fedify_create_note.json",
        "maillage_create_proposal.json",
        "maillage_update_proposal.json",
        "maillage_create_proposal_peers.json",
        "maillage_delete_proposal.json",
        "maillage_follow.json",
        "maillage_follow_instance.json",
        "maillage_accept_follow.json",
        "maillage_reject_follow.json",
        "maillage_undo_follow.json",
    ];
    for name in activities {
        let json = asset(name);
        let parsed: InboxActivity = serde_json::from_value(json.clone()).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(parsed.id().as_str(), json["id"].as_str().unwrap(), "{name}");
        assert_eq!(Some(parsed.actor().clone()), value_id(&json["actor"]), "{name}");
    }
}

#[tokio::test]
async fn a_mastodon_follow_asks_to_follow_one_of_our_actors() {
    let follower = actor_at("https://masto.asonix.dog/users/asonix", ActorKind::Person);
    // The followed actor is ours: this test's instance stands where the followed server was.
    let event = deliver_ok("https://ds9.lemmy.ml/", &[follower], "mastodon_follow.json").await;
    let Inbound::FollowRequested { follow_id, follower, target } = event else { panic!("{event:?}") };
    assert_eq!(follow_id.as_str(), "https://masto.asonix.dog/1ea87517-63c5-4118-8831-460ee641b2cf");
    assert_eq!(follower.id.as_str(), "https://masto.asonix.dog/users/asonix");
    assert_eq!(target.as_str(), "https://ds9.lemmy.ml/c/testcom");
}

#[tokio::test]
async fn a_follow_of_an_actor_on_another_server_is_refused() {
    let follower = actor_at("https://masto.asonix.dog/users/asonix", ActorKind::Person);
    let (result, events) = deliver("https://coop.example/", &[follower], &asset("mastodon_follow.json")).await;
    let error = result.unwrap_err();
    assert_eq!(error.status().as_u16(), 400, "{error}");
    assert!(error.to_string().contains("not on this instance"), "{error}");
    assert!(events.is_empty());
}

#[tokio::test]
async fn a_mastodon_undo_follow_ends_the_follow() {
    let event = deliver_ok("https://ds9.lemmy.ml/", &[], "mastodon_undo_follow.json").await;
    let Inbound::Unfollowed { follower, target } = event else { panic!("{event:?}") };
    assert_eq!(follower.as_str(), "https://masto.asonix.dog/users/asonix");
    assert_eq!(target.as_str(), "https://ds9.lemmy.ml/c/testcom");
}

#[tokio::test]
async fn an_offer_from_fedify_is_read_whatever_its_terms_are_written_as() {
    // Fedify writes FEP-0837's terms as full IRIs and the decimal as a value object; the offer's
    // agreement has no id (the answer gives one).
    let event = deliver_ok("http://localhost:39299/", &[], "fedify_offer_agreement.json").await;
    let Inbound::Exchange { activity } = event else { panic!("{event:?}") };
    assert_eq!(activity.kind, maillage_federation::agreement::ExchangeKind::Offer);
    let agreement = activity.agreement.as_ref().expect("the agreement");
    assert_eq!(agreement.id, None);
    assert_eq!(
        agreement.proposal.as_ref().map(Url::as_str),
        Some("http://localhost:39299/listings/8d9302aa2bb81c1a359a1392c0a457e4")
    );
    assert_eq!((agreement.quantity, agreement.unit.as_str()), (Some(1.0), "piece"));
    assert_eq!(activity.actor.as_str(), "http://localhost:34003/users/fedi");
}

#[tokio::test]
async fn a_post_is_acknowledged_and_not_stored() {
    for (name, actor, kind) in [
        ("mastodon_create_note.json", "https://mastodon.madrid/users/felix", "Create(Note)"),
        ("mitra_create_note.json", "https://mitra.social/users/test", "Create(Note)"),
        ("fedify_create_note.json", "http://localhost:19095/users/fedi", "Create(Note)"),
        ("lemmy_create_page.json", "http://ds9.lemmy.ml/u/lemmy_alpha", "Create(Page)"),
    ] {
        let event = deliver_ok("https://coop.example/", &[], name).await;
        let Inbound::Other { actor: sender, kind: what } = event else { panic!("{name}: {event:?}") };
        assert_eq!((sender.as_str(), what.as_str()), (actor, kind), "{name}");
    }
}

#[tokio::test]
async fn a_mastodon_delete_withdraws_the_object_it_names() {
    let event = deliver_ok("https://coop.example/", &[], "mastodon_delete.json").await;
    let Inbound::ListingDeleted { actor, object } = event else { panic!("{event:?}") };
    assert_eq!(actor.as_str(), "https://mastodon.madrid/users/felix");
    // A status: the instance finds no listing with this id and nothing changes.
    assert_eq!(object.as_str(), "https://mastodon.madrid/users/felix/statuses/107773559874184870");
}

#[tokio::test]
async fn lemmy_follow_accept_and_undo() {
    let alpha = actor_at("http://ds9.lemmy.ml/u/lemmy_alpha", ActorKind::Person);
    let event = deliver_ok("http://enterprise.lemmy.ml/", &[alpha], "lemmy_follow.json").await;
    let Inbound::FollowRequested { follow_id, follower, target } = event else { panic!("{event:?}") };
    assert_eq!(follow_id.as_str(), "http://ds9.lemmy.ml/activities/follow/6abcd50b-b8ca-4952-86b0-a6dd8cc12866");
    assert_eq!(follower.handle(), "lemmy_alpha@ds9.lemmy.ml");
    assert_eq!(target.as_str(), "http://enterprise.lemmy.ml/c/main");

    let event = deliver_ok("http://ds9.lemmy.ml/", &[], "lemmy_accept.json").await;
    let Inbound::FollowAnswered { actor, accepted, .. } = event else { panic!("{event:?}") };
    assert_eq!((actor.as_str(), accepted), ("http://enterprise.lemmy.ml/c/main", true));

    let event = deliver_ok("http://enterprise.lemmy.ml/", &[], "lemmy_undo_follow.json").await;
    let Inbound::Unfollowed { follower, target } = event else { panic!("{event:?}") };
    assert_eq!(follower.as_str(), "http://ds9.lemmy.ml/u/lemmy_alpha");
    assert_eq!(target.as_str(), "http://enterprise.lemmy.ml/c/main");
}

#[tokio::test]
async fn a_mitra_accept_naming_the_follow_by_its_id_answers_our_follow() {
    let event = deliver_ok("https://voyager.lemmy.ml/", &[], "mitra_accept.json").await;
    let Inbound::FollowAnswered { actor, accepted, .. } = event else { panic!("{event:?}") };
    assert_eq!((actor.as_str(), accepted), ("https://mitra.social/users/localtestgroup", true));
}

#[tokio::test]
async fn fedify_follow_and_accept() {
    let fedify = actor_from("fedify_person.json");
    // Fedify's Follow was sent to an account at localhost:19090: this instance stands there.
    let event = deliver_ok("http://localhost:19090/", std::slice::from_ref(&fedify), "fedify_follow.json").await;
    let Inbound::FollowRequested { follow_id, follower, target } = event else { panic!("{event:?}") };
    assert_eq!(follow_id.as_str(), "http://localhost:19095/users/fedi/follows/8c95d729-82b2-446a-ba91-15cd9e2c760a");
    assert_eq!(follower, fedify, "the follower is the actor its document describes");
    assert_eq!(follower.delivery_inbox().as_str(), "http://localhost:19095/inbox");
    assert_eq!(target.as_str(), "http://localhost:19090/users/probe");

    // Fedify's Accept embeds our Follow with its whole actor document: only ids are read.
    let event = deliver_ok("http://localhost:19090/", &[], "fedify_accept.json").await;
    let Inbound::FollowAnswered { actor, accepted, .. } = event else { panic!("{event:?}") };
    assert_eq!((actor.as_str(), accepted), ("http://localhost:19095/users/fedi", true));
}

#[tokio::test]
async fn a_maillage_create_publishes_a_listing_of_its_author() {
    let julien = actor_from("maillage_person.json");
    let event =
        deliver_ok("http://localhost:19082/", std::slice::from_ref(&julien), "maillage_create_proposal.json").await;
    let Inbound::ListingUpserted { author, proposal } = event else { panic!("{event:?}") };
    assert_eq!(author, julien);
    assert_eq!(proposal.id.as_str(), "http://localhost:19081/listings/7b4621be4ef49cc06929a3f7c35e36c3");
    assert_eq!(proposal.to_listing_data().price_cents, Some(1250));

    let event =
        deliver_ok("http://localhost:19082/", std::slice::from_ref(&julien), "maillage_update_proposal.json").await;
    let Inbound::ListingUpserted { proposal, .. } = event else { panic!("{event:?}") };
    assert_eq!(proposal.to_listing_data().status, "reserved");

    let event = deliver_ok("http://localhost:19082/", &[], "maillage_delete_proposal.json").await;
    let Inbound::ListingDeleted { actor, object } = event else { panic!("{event:?}") };
    assert_eq!(actor, julien.id);
    assert_eq!(object, proposal.id);
}

#[tokio::test]
async fn a_listing_attributed_to_someone_else_is_refused() {
    let julien = actor_from("maillage_person.json");
    let mut create = asset("maillage_create_proposal.json");
    create["object"]["attributedTo"] = "http://localhost:19081/members/jardins_fives".into();
    let (result, events) = deliver("http://localhost:19082/", &[julien], &create).await;
    let error = result.unwrap_err();
    assert_eq!(error.status().as_u16(), 403, "{error}");
    assert!(events.is_empty());
}

#[tokio::test]
async fn a_listing_on_another_server_than_its_sender_is_refused() {
    let julien = actor_from("maillage_person.json");
    let mut create = asset("maillage_create_proposal.json");
    create["object"]["id"] = "http://localhost:19083/listings/7b4621be4ef49cc06929a3f7c35e36c3".into();
    let (result, events) = deliver("http://localhost:19082/", &[julien], &create).await;
    assert_eq!(result.unwrap_err().status().as_u16(), 403);
    assert!(events.is_empty());
}

#[tokio::test]
async fn peering_between_maillage_instances() {
    // The instance actor of localhost:19081 asks localhost:19083 to peer.
    let coop = actor_from("maillage_application.json");
    let event =
        deliver_ok("http://localhost:19083/", std::slice::from_ref(&coop), "maillage_follow_instance.json").await;
    let Inbound::FollowRequested { follower, target, .. } = event else { panic!("{event:?}") };
    assert_eq!(follower.kind, ActorKind::Application, "an instance actor: a peering request");
    assert_eq!(follower.username, "localhost:19081");
    assert_eq!(target.as_str(), "http://localhost:19083/actor");

    // Its answers to localhost:19083's Follow.
    for (name, answer) in [("maillage_accept_follow.json", true), ("maillage_reject_follow.json", false)] {
        let event = deliver_ok("http://localhost:19083/", &[], name).await;
        let Inbound::FollowAnswered { actor, accepted, .. } = event else { panic!("{name}: {event:?}") };
        assert_eq!((actor.as_str(), accepted), ("http://localhost:19081/actor", answer), "{name}");
    }
}

#[tokio::test]
async fn a_member_follows_and_unfollows_a_member_of_another_instance() {
    let julien = actor_from("maillage_person.json");
    let event = deliver_ok("http://localhost:19082/", std::slice::from_ref(&julien), "maillage_follow.json").await;
    let Inbound::FollowRequested { follower, target, .. } = event else { panic!("{event:?}") };
    assert_eq!(follower.handle(), "julien_morel@localhost:19081");
    assert_eq!(target.as_str(), "http://localhost:19082/members/atelier_velo");

    let event = deliver_ok("http://localhost:19082/", &[], "maillage_undo_follow.json").await;
    let Inbound::Unfollowed { follower, target } = event else { panic!("{event:?}") };
    assert_eq!(follower, julien.id);
    assert_eq!(target.as_str(), "http://localhost:19082/members/atelier_velo");
}

#[tokio::test]
async fn an_activity_received_twice_counts_once() {
    let fedify = actor_from("fedify_person.json");
    let (federation, port) = instance("http://localhost:19090/", &[fedify]).await;
    let data = federation.data();
    for _ in 0..2 {
        let follow: InboxActivity = serde_json::from_value(asset("fedify_follow.json")).unwrap();
        follow.verify(&data).await.unwrap();
        follow.receive(&data).await.unwrap();
    }
    assert_eq!(port.events.lock().unwrap().len(), 1);
    assert!(
        port.received
            .lock()
            .unwrap()
            .contains(&url("http://localhost:19095/users/fedi/follows/8c95d729-82b2-446a-ba91-15cd9e2c760a"))
    );
}
