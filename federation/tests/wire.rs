//! What goes on the wire, under snapshot: every document and activity Maillage emits, built from
//! fixed inputs (ids, times, keys: no randomness, no clock) by the crate's public functions, the
//! way the server builds them. A change to the protocol is then a reviewed diff of
//! `tests/snapshots/`: `cargo insta review`, or `INSTA_UPDATE=always cargo test -p
//! maillage-federation --test wire` and `git diff`. With `CI=true` a missing or different snapshot
//! fails.
//!
//! The inputs are those of the examples in `docs/FEDERATION.md` (the demo on `localhost:19181`),
//! with an unshortened public key, and a test checks that every JSON example there is one of these
//! documents. The captures of Maillage in `tests/assets/` are checked at the end of this file.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

use insta::assert_json_snapshot;
use maillage_federation::agreement::{AgreementData, MessageOut, Outgoing};
use maillage_federation::collective::{self as groups, GroupData};
use maillage_federation::proposal::{ListingData, PhotoData, Proposal, ProposalParts};
use maillage_federation::vocab::ActorKind;
use maillage_federation::{LocalActor, Urls, activities, context, nodeinfo, webfinger};
use serde_json::Value;
use url::Url;

/// A collection page as written out (`activities::collection_page`), read back to be compared.
fn page_json(text: Result<String, serde_json::Error>) -> Value {
    serde_json::from_str(&text.expect("a page is written out")).expect("a page is JSON")
}

// ---- fixed inputs -----------------------------------------------------------------------------------

/// A real 2048-bit RSA public key (of a test account of the demo): fixed, so that the snapshots are.
const PUBLIC_KEY_PEM: &str = "-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA5BSme4W3nLLrE+LqAKsg\ndjxLnv8mqPtU4OEu1Q9Wb9R6DEwzJ0Wlo1vQV+ZVqAq5P0YsZucH5ehUgZAfuJQM\nWJK48bhgbDRwaNf5K19FaG6wlea3CEbXEqSBTuil2UH5QntT1h0AM88r8u2E/W/K\nG+xGd7ipdJYLTHvD4z+rIlxR4M1xarSe0yk3gkSZ0y9tX4/Ep98saCNqlR+7hzng\nofUMQgkzkmfHgFo9dKI31sq2kuGD2E4ZLgI0w9vNHS2TydGYR+duYv0ZYx4kYCyy\ngV+s5MniyZLdBqCjf1z1HKOwrH2DSEh8yij17+Z898XUpIQnYgPgpD0aICh0QK5D\n7QIDAQAB\n-----END PUBLIC KEY-----\n";

const NAME: &str = "La Coop du Prêt — Lille";
const DESCRIPTION: &str = "Coopérative de prêt d'objets entre voisins de la métropole lilloise. Perceuse, escabeau, appareil à raclette, remorque : empruntez ce qui dort dans les placards des autres plutôt que d'acheter neuf. Pas de notes ni de classements : la confiance vient de l'adhésion à la coopérative.";

fn url(text: &str) -> Url {
    Url::parse(text).unwrap()
}

/// Our instance, and the two others of the demo.
fn urls() -> Urls {
    Urls::new(url("http://localhost:19181/"))
}

fn other() -> Urls {
    Urls::new(url("http://localhost:19182/"))
}

fn third() -> Urls {
    Urls::new(url("http://localhost:19183/"))
}

fn member(username: &str, kind: ActorKind, name: &str, summary: &str, published: &str) -> LocalActor {
    let urls = urls();
    LocalActor {
        id: urls.member(username),
        kind,
        username: username.to_owned(),
        name: name.to_owned(),
        summary: summary.to_owned(),
        page: urls.member(username),
        public_key_pem: PUBLIC_KEY_PEM.to_owned(),
        private_key_pem: String::new(),
        manually_approves_followers: false,
        published: published.to_owned(),
        icon: None,
    }
}

/// A member with an avatar.
fn person() -> LocalActor {
    let mut person = member(
        "julien_morel",
        ActorKind::Person,
        "Julien Morel",
        "Cycliste au quotidien et campeur l'été. Je prête mon matériel quand il dort au garage.",
        "2026-11-23T11:50:04.211Z",
    );
    person.icon = Some(urls().media("5b0e1d2c3f4a59687b8c9daebfc0d1e2-400.jpg"));
    person
}

fn organization() -> LocalActor {
    member(
        "jardins_fives",
        ActorKind::Organization,
        "Jardins partagés de Fives",
        "Association de jardiniers amateurs : quarante parcelles à Fives, un compost collectif et des ateliers ouverts à tous le samedi matin.",
        "2026-11-23T11:50:04.244Z",
    )
}

fn instance_actor() -> LocalActor {
    let urls = urls();
    LocalActor {
        id: urls.instance_actor(),
        kind: ActorKind::Application,
        username: urls.domain(),
        name: NAME.to_owned(),
        summary: DESCRIPTION.to_owned(),
        page: urls.base().clone(),
        public_key_pem: PUBLIC_KEY_PEM.to_owned(),
        private_key_pem: String::new(),
        manually_approves_followers: false,
        published: "2026-11-23T11:50:05.038Z".to_owned(),
        icon: None,
    }
}

/// A priced offer with every optional field: quantity, location with coordinates, dates.
fn offer_data() -> ListingData {
    ListingData {
        purpose: "offer".into(),
        mode: "sell".into(),
        category: "materials-wood".into(),
        title: "Chutes de chêne pour atelier".into(),
        description: "Chutes de parquet en chêne massif, longueurs de 30 à 80 cm.\n\nÀ prendre sur place, rue Pasteur."
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
}

/// A need for a service, free, with a place name only.
fn need_data() -> ListingData {
    ListingData {
        purpose: "request".into(),
        mode: "service".into(),
        category: "bikes-repair".into(),
        title: "Cherche aide pour régler un dérailleur".into(),
        description: "Une heure suffira, je fournis le café.".into(),
        quantity: Some(1.0),
        unit: "hour".into(),
        price_kind: None,
        price_cents: None,
        reduced_price_cents: None,
        per_unit: false,
        location_name: Some("Lille".into()),
        latitude: None,
        longitude: None,
        available_from: None,
        available_until: None,
        status: "active".into(),
        photos: Vec::new(),
    }
}

/// Baskets sold per unit at a solidarity price: « 12 € le panier · prix solidaire 6 € ».
fn baskets_data() -> ListingData {
    ListingData {
        purpose: "offer".into(),
        mode: "sell".into(),
        category: "food-groceries".into(),
        title: "Paniers de légumes de saison".into(),
        description: "Poireaux, carottes, choux et pommes de terre. Retrait le jeudi à l'épicerie.".into(),
        quantity: Some(25.0),
        unit: "basket".into(),
        price_kind: Some("solidarity".into()),
        price_cents: Some(1200),
        reduced_price_cents: Some(600),
        per_unit: true,
        location_name: Some("Lille".into()),
        latitude: Some(50.633),
        longitude: Some(3.066),
        available_from: None,
        available_until: None,
        status: "active".into(),
        photos: Vec::new(),
    }
}

/// A service at « prix libre », counted in hours, with an amount suggested.
fn repair_data() -> ListingData {
    ListingData {
        purpose: "offer".into(),
        mode: "service".into(),
        category: "bikes-repair".into(),
        title: "Révision de vélo à prix libre".into(),
        description: "Freins, vitesses, chaîne et éclairage, à l'atelier le samedi.".into(),
        quantity: Some(1.0),
        unit: "hour".into(),
        price_kind: Some("pay_what_you_can".into()),
        price_cents: Some(1000),
        reduced_price_cents: None,
        per_unit: false,
        location_name: Some("Roubaix".into()),
        latitude: None,
        longitude: None,
        available_from: None,
        available_until: None,
        status: "active".into(),
        photos: Vec::new(),
    }
}

/// A loan, as the outbox example shows it.
fn loan_data() -> ListingData {
    ListingData {
        purpose: "offer".into(),
        mode: "lend".into(),
        category: "bikes-repair".into(),
        title: "Vélo cargo biporteur".into(),
        description: "Biporteur à assistance électrique, caisse en bois pour deux enfants ou 80 kg de courses. Prêt à la journée ou au week-end ; antivol et housse de pluie fournis.".into(),
        quantity: Some(1.0),
        unit: "piece".into(),
        price_kind: None,
        price_cents: None,
        reduced_price_cents: None,
        per_unit: false,
        location_name: Some("Mons-en-Barœul".into()),
        latitude: Some(50.642),
        longitude: Some(3.11),
        available_from: None,
        available_until: None,
        status: "active".into(),
        photos: Vec::new(),
    }
}

const OFFER: &str = "825f3960b390cae9806d2480d61b0a9e";
const NEED: &str = "1b0a168a6fa997dc123fb71dd0e2df37";
const LOAN: &str = "6a2a4c297758c4f4bc014782d0816d55";
const BASKETS: &str = "c41e0b7d9a2f4e6b8d3a5c7e9f1b2d4a";
const REPAIR: &str = "5d8f2a6c1e3b4d7f9a0c2e4b6d8f1a3c";

/// A proposal as the server builds it (`Federator::proposal`): its id is its page.
fn proposal(id: &str, data: &ListingData, published: &str, updated: Option<&str>, public: bool) -> Proposal {
    let urls = urls();
    let author = person().id;
    let (to, cc) = if public { activities::public_audience(&author, &urls) } else { activities::peers_audience(&urls) };
    Proposal::build(ProposalParts {
        id: urls.listing(id),
        author,
        page: urls.listing(id),
        data,
        published: published.to_owned(),
        updated: updated.map(str::to_owned),
        to,
        cc,
    })
}

fn offer() -> Proposal {
    proposal(OFFER, &offer_data(), "2026-11-23T11:51:11.568Z", None, true)
}

fn offer_updated() -> Proposal {
    let data = ListingData { quantity: Some(30.0), status: "reserved".into(), ..offer_data() };
    proposal(OFFER, &data, "2026-11-23T11:51:11.568Z", Some("2026-11-23T11:51:29.799Z"), true)
}

fn need() -> Proposal {
    proposal(NEED, &need_data(), "2026-11-23T11:51:23.712Z", None, false)
}

fn loan() -> Proposal {
    proposal(LOAN, &loan_data(), "2026-11-23T11:50:04.217Z", None, true)
}

/// An exchange on our loan (the cargo bike), started by a member of the other instance: its id is
/// theirs (they started it), we host it (the listing is ours).
const EXCHANGE: &str = "http://localhost:19182/exchanges/f3b1c2d4e5a6978812345678abcdef01";
/// Our local id of that exchange, under which our activities about it are.
const EXCHANGE_HERE: &str = "9c8b7a6f5e4d3c2b1a0f9e8d7c6b5a49";

fn borrower() -> Url {
    other().member("samir_benali")
}

/// The loan's agreement as it stands after `state`.
fn loan_agreement(state: &str, until: &str, renewal: Option<&str>) -> AgreementData {
    AgreementData {
        id: Some(url(EXCHANGE)),
        proposal: Some(urls().listing(LOAN)),
        action: "transferCustody".into(),
        quantity: Some(1.0),
        unit: "piece".into(),
        from: Some("2026-12-05".into()),
        until: Some(until.into()),
        at: None,
        in_return: String::new(),
        price_cents: None,
        provider: Some(person().id),
        receiver: Some(borrower()),
        state: Some(state.into()),
        renewal_until: renewal.map(str::to_owned),
    }
}

/// An activity of ours (the lender's) about the exchange.
fn ours<'a>(
    id: &'a Url,
    actor: &'a Url,
    to: &'a Url,
    exchange: &'a Url,
    version: i64,
    move_name: &'a str,
) -> Outgoing<'a> {
    Outgoing {
        id,
        actor,
        to,
        exchange,
        version,
        move_name,
        moved_by: None,
        published: "2026-12-03T09:14:27.512Z".into(),
    }
}

fn activity_here(n: &str) -> Url {
    urls().exchange(&format!("{EXCHANGE_HERE}/activities/{n}"))
}

/// A listing's document as served at its URL (`activitypub::listing_document`).
fn served(proposal: &Proposal) -> Value {
    context::with_context(serde_json::to_value(proposal).unwrap())
}

/// The snapshots, one test each (named as the document), and the table of all of them.
macro_rules! snapshots {
    ($($name:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                assert_json_snapshot!(stringify!($name), build::$name());
            }
        )*

        /// Every document under snapshot, by name.
        const DOCUMENTS: &[(&str, fn() -> Value)] = &[$((stringify!($name), build::$name)),*];
    };
}

snapshots![
    actor_person,
    actor_organization,
    actor_instance,
    proposal_offer,
    proposal_need,
    proposal_loan,
    proposal_per_unit_solidarity,
    proposal_pay_what_you_can,
    proposal_with_photos,
    create_public,
    create_peers,
    update_public,
    update_actor_person,
    delete_public,
    delete_peers,
    follow_member,
    follow_instance,
    accept_member,
    accept_peering,
    reject_peering,
    undo_follow_member,
    undo_follow_instance,
    offer_agreement,
    accept_agreement,
    reject_agreement,
    update_agreement_hand_over,
    update_agreement_relayed_renewal,
    create_receipt,
    decline_move,
    create_exchange_note,
    outbox_collection,
    outbox_page_last,
    outbox_page_with_next,
    followers_collection,
    webfinger_member,
    webfinger_instance,
    nodeinfo_links,
    nodeinfo_document,
    context_document,
    context_outgoing,
    group_collective,
    join_collective,
    accept_join,
    reject_join,
    leave_collective,
    invite_collective,
    add_member,
    remove_member,
    update_group,
    members_collection,
    announce_collective_listing,
    announce_public_listing,
    announce_relayed_listing,
];

/// The demo's repairers' collective, hosted on the lending cooperative's instance.
fn group() -> LocalActor {
    let urls = urls();
    let id = urls.collective("reparateurs_mel");
    LocalActor {
        page: id.clone(),
        id,
        kind: ActorKind::Group,
        username: "reparateurs_mel".to_owned(),
        name: "Collectif des réparateurs vélo de la MEL".to_owned(),
        summary: "Les ateliers vélo de la métropole s'entraident : outils, pièces, permanences communes.".to_owned(),
        public_key_pem: PUBLIC_KEY_PEM.to_owned(),
        private_key_pem: String::new(),
        manually_approves_followers: true,
        published: "2026-12-07T09:12:40Z".to_owned(),
        icon: None,
    }
}

/// A repairer of the bike workshop's instance, and their `Join` of the collective.
fn repairer() -> Url {
    other().member("karim_saidi")
}

fn the_join() -> Value {
    groups::join(
        &groups::join_id(&other(), "c0ffee00c0ffee00c0ffee00c0ffee00"),
        &repairer(),
        &group().id,
        Some(2),
        &["L'atelier du quartier de l'Épeule, le samedi.".to_owned()],
        "Bonjour, je répare les vélos de mon quartier depuis trois ans.",
    )
}

/// How each document is built, the way the server builds it.
mod build {
    use super::*;

    // ---- collectives ----------------------------------------------------------------------------------

    pub fn group_collective() -> Value {
        activities::group_json(&group(), &urls(), &group_data())
    }

    fn group_data() -> GroupData {
        GroupData {
            charter: "# Charte du collectif\n\n- **Réparer sans juger**.\n- Transmettre plutôt que faire à la place."
                .into(),
            charter_version: 2,
            entry_criteria: "Tenir un atelier de réparation, ou y être bénévole.".into(),
            questions: vec!["Dans quel atelier réparez-vous ?".into()],
            admission: "approval".into(),
            visibility: "public".into(),
            territory: "Métropole européenne de Lille".into(),
            activities: vec!["bikes-repair".into(), "skills-services".into()],
            members: None,
        }
    }

    pub fn update_group() -> Value {
        let data = group_data();
        activities::update_group(&urls(), "0718293a4b5c6d7e8f90a1b2c3d4e5f6", &group(), &data)
    }

    /// The Group announces to its members a listing a member of its instance published to it.
    pub fn announce_collective_listing() -> Value {
        let mut proposal = offer();
        proposal.to = vec![group().id];
        proposal.cc = Vec::new();
        let create = activities::write_listing(&urls(), "2a3b4c5d6e7f8091a2b3c4d5e6f70819", &proposal, false);
        groups::announce(&urls(), "3b4c5d6e7f8091a2b3c4d5e6f708192a", &group().id, &create)
    }

    /// A public collective's Group announces a member's public listing to its followers.
    pub fn announce_public_listing() -> Value {
        let create = create_public();
        groups::announce_public(&urls(), "4c5d6e7f8091a2b3c4d5e6f708192a3b", &group().id, &create)
    }

    /// The Group announces the listing another instance's member sent it, under an activity named
    /// after the proposal.
    pub fn announce_relayed_listing() -> Value {
        let mut proposal = offer();
        proposal.to = vec![group().id];
        proposal.cc = Vec::new();
        let document = serde_json::to_value(&proposal).unwrap();
        let relayed = groups::listing_activity(&document, &person().id, false);
        groups::announce(&urls(), "5d6e7f8091a2b3c4d5e6f708192a3b4c", &group().id, &relayed)
    }

    pub fn members_collection() -> Value {
        let members = [urls().member("sophie_delattre"), repairer(), third().member("paul_deconinck")];
        groups::members_collection(&group().id, &members.map(|m| m.to_string()))
    }

    pub fn join_collective() -> Value {
        the_join()
    }

    pub fn accept_join() -> Value {
        groups::answer(&urls(), "a1b2c3d4e5f60718293a4b5c6d7e8f90", &group().id, &the_join(), true, "")
    }

    pub fn reject_join() -> Value {
        let reason = "Le collectif réunit les ateliers : venez d'abord à une permanence.";
        groups::answer(&urls(), "b2c3d4e5f60718293a4b5c6d7e8f90a1", &group().id, &the_join(), false, reason)
    }

    pub fn leave_collective() -> Value {
        groups::leave(&other(), "c3d4e5f60718293a4b5c6d7e8f90a1b2", &repairer(), &group().id)
    }

    pub fn invite_collective() -> Value {
        groups::invite(&urls(), "d4e5f60718293a4b5c6d7e8f90a1b2c3", &group().id, &third().member("paul_deconinck"))
    }

    pub fn add_member() -> Value {
        let added = Some((Some(2), "2026-12-07T10:02:11Z"));
        groups::membership(
            &urls(),
            "e5f60718293a4b5c6d7e8f90a1b2c3d4",
            &group().id,
            &repairer(),
            added,
            "",
            &[repairer()],
        )
    }

    pub fn remove_member() -> Value {
        let reason = "Absent des permanences depuis un an, malgré nos messages.";
        groups::membership(
            &urls(),
            "f60718293a4b5c6d7e8f90a1b2c3d4e5",
            &group().id,
            &repairer(),
            None,
            reason,
            &[repairer()],
        )
    }

    // ---- exchanges ------------------------------------------------------------------------------------

    pub fn offer_agreement() -> Value {
        // The borrower's instance proposes dates, with a message (as we would, started here).
        let id = url(
            "http://localhost:19182/exchanges/f3b1c2d4e5a6978812345678abcdef01/activities/1f2e3d4c5b6a79880716253443526170",
        );
        let exchange = url(EXCHANGE);
        let (from, to) = (borrower(), person().id);
        let out = Outgoing {
            id: &id,
            actor: &from,
            to: &to,
            exchange: &exchange,
            version: 1,
            move_name: "propose",
            moved_by: None,
            published: "2026-12-02T18:03:51.208Z".into(),
        };
        out.offer(&loan_agreement("proposed", "2026-12-07", None), "Bonjour Julien, pour un déménagement samedi.")
    }

    pub fn accept_agreement() -> Value {
        let (id, exchange) = (activity_here("0a1b2c3d4e5f60718293a4b5c6d7e8f9"), url(EXCHANGE));
        let offer = url(
            "http://localhost:19182/exchanges/f3b1c2d4e5a6978812345678abcdef01/activities/1f2e3d4c5b6a79880716253443526170",
        );
        ours(&id, &person().id, &borrower(), &exchange, 2, "accept")
            .accept(&offer, &loan_agreement("accepted", "2026-12-07", None))
    }

    pub fn reject_agreement() -> Value {
        let (id, exchange) = (activity_here("5e6f708192a3b4c5d6e7f80912a3b4c5"), url(EXCHANGE));
        let offer = url(
            "http://localhost:19182/exchanges/f3b1c2d4e5a6978812345678abcdef01/activities/1f2e3d4c5b6a79880716253443526170",
        );
        ours(&id, &person().id, &borrower(), &exchange, 2, "refuse").reject(&offer, "Il est déjà prêté ce week-end.")
    }

    pub fn update_agreement_hand_over() -> Value {
        let (id, exchange) = (activity_here("6f708192a3b4c5d6e7f80912a3b4c5d6"), url(EXCHANGE));
        ours(&id, &person().id, &borrower(), &exchange, 3, "hand-over")
            .update(&loan_agreement("handed_over", "2026-12-07", None), "")
    }

    pub fn update_agreement_relayed_renewal() -> Value {
        // The borrower's instance asked for more days; we applied it and tell it back.
        let (id, exchange, by) = (activity_here("708192a3b4c5d6e7f80912a3b4c5d6e7"), url(EXCHANGE), borrower());
        let lender = person().id;
        let out = Outgoing { moved_by: Some(&by), ..ours(&id, &lender, &by, &exchange, 4, "renew") };
        out.update(&loan_agreement("handed_over", "2026-12-07", Some("2026-12-10")), "")
    }

    pub fn create_receipt() -> Value {
        let (id, exchange) = (activity_here("8192a3b4c5d6e7f80912a3b4c5d6e7f8"), url(EXCHANGE));
        let receipt = urls().exchange(&format!("{EXCHANGE_HERE}/receipt"));
        ours(&id, &person().id, &borrower(), &exchange, 6, "return").receipt(&receipt)
    }

    pub fn decline_move() -> Value {
        // A cancellation asked for when the exchange had moved on: not applied.
        let (id, exchange) = (activity_here("92a3b4c5d6e7f80912a3b4c5d6e7f809"), url(EXCHANGE));
        let asked = url(
            "http://localhost:19182/exchanges/f3b1c2d4e5a6978812345678abcdef01/activities/2a3b4c5d6e7f8091a2b3c4d5e6f70819",
        );
        ours(&id, &person().id, &borrower(), &exchange, 2, "")
            .decline(&asked, "L'échange vient de changer : rechargez la page pour voir où il en est.")
    }

    pub fn create_exchange_note() -> Value {
        let id = activity_here("a3b4c5d6e7f80912a3b4c5d6e7f80912");
        let note = urls().exchange(&format!("{EXCHANGE_HERE}/messages/b4c5d6e7f80912a3b4c5d6e7f80912a3"));
        MessageOut {
            activity_id: &id,
            note_id: &note,
            actor: &person().id,
            to: &borrower(),
            exchange: &url(EXCHANGE),
            in_reply_to: None,
            text: "Rendez-vous samedi à 10 h devant l'atelier.\nLe plan : https://www.openstreetmap.org/",
            published: "2026-12-03T09:20:02.840Z".into(),
        }
        .to_json()
    }

    // ---- actors -----------------------------------------------------------------------------------------

    pub fn actor_person() -> Value {
        activities::actor_json(&person(), &urls())
    }

    pub fn actor_organization() -> Value {
        activities::actor_json(&organization(), &urls())
    }

    pub fn actor_instance() -> Value {
        activities::actor_json(&instance_actor(), &urls())
    }

    // ---- listings ---------------------------------------------------------------------------------------

    pub fn proposal_offer() -> Value {
        served(&offer())
    }

    pub fn proposal_need() -> Value {
        served(&need())
    }

    pub fn proposal_loan() -> Value {
        served(&loan())
    }

    pub fn proposal_per_unit_solidarity() -> Value {
        served(&proposal(BASKETS, &baskets_data(), "2026-12-03T09:12:40.512Z", None, true))
    }

    pub fn proposal_pay_what_you_can() -> Value {
        served(&proposal(REPAIR, &repair_data(), "2026-12-03T09:14:02.090Z", None, true))
    }

    pub fn proposal_with_photos() -> Value {
        let photo = |id: &str, alt: &str, (width, height): (u32, u32)| PhotoData {
            url: Some(urls().media(&format!("{id}-{width}.jpg"))),
            media_type: "image/jpeg".into(),
            width: Some(width),
            height: Some(height),
            alt: alt.into(),
        };
        let data = ListingData {
            photos: vec![
                photo("0f1e2d3c4b5a69788796a5b4c3d2e1f0", "Le biporteur vert, caisse ouverte", (1280, 960)),
                photo("a1b2c3d4e5f60718293a4b5c6d7e8f90", "", (960, 1280)),
            ],
            ..loan_data()
        };
        served(&proposal(LOAN, &data, "2026-11-23T11:50:04.217Z", None, true))
    }

    pub fn create_public() -> Value {
        activities::write_listing(&urls(), "267172a7fa4c43e22632f1aef90ce93a", &offer(), false)
    }

    pub fn create_peers() -> Value {
        activities::write_listing(&urls(), "fb92268967748d9b162a5d01e8e2cf37", &need(), false)
    }

    pub fn update_public() -> Value {
        activities::write_listing(&urls(), "758199cd14e888228449da253dd05344", &offer_updated(), true)
    }

    pub fn update_actor_person() -> Value {
        activities::update_actor(&urls(), "3f6c2a9e0b1d4c7e8a5f2b6d9c0e1a47", &person())
    }

    pub fn delete_public() -> Value {
        let urls = urls();
        let author = person().id;
        let (to, cc) = activities::public_audience(&author, &urls);
        activities::delete_listing(&urls, "ab7a6e7e38fe455f7b5406ae9a8fd8f6", &author, &urls.listing(OFFER), &to, &cc)
    }

    pub fn delete_peers() -> Value {
        let urls = urls();
        let author = person().id;
        let (to, cc) = activities::peers_audience(&urls);
        activities::delete_listing(&urls, "0d6c2f4b1e8a49c7b3f5a2e1d9c8b7a6", &author, &urls.listing(NEED), &to, &cc)
    }

    // ---- follows and peering ----------------------------------------------------------------------------

    /// The member of the other instance that ours follows.
    fn atelier_velo() -> Url {
        other().member("atelier_velo")
    }

    const MEMBER_FOLLOW: &str = "41797a6b5a5badf08e15b09fb5a94331";
    const INSTANCE_FOLLOW: &str = "bfb7c00321994b210f783794069500b8";

    pub fn follow_member() -> Value {
        activities::follow(&urls(), MEMBER_FOLLOW, &person().id, &atelier_velo())
    }

    pub fn follow_instance() -> Value {
        let urls = urls();
        activities::follow(&urls, "9dc4cf9907f92e27b494eef2cd43d1d6", &urls.instance_actor(), &third().instance_actor())
    }

    pub fn accept_member() -> Value {
        // The other instance's member accepts ours: the `Follow` embedded as received.
        activities::answer_follow(
            &other(),
            "abae462c7f2eb6775cafbc631e0e1ae7",
            &atelier_velo(),
            &urls().activity(MEMBER_FOLLOW),
            &person().id,
            true,
        )
    }

    pub fn accept_peering() -> Value {
        let urls = urls();
        activities::answer_follow(
            &urls,
            "86b6f36afa4726c7ddaa5f0d6ad7d041",
            &urls.instance_actor(),
            &third().activity("744fed2e82186e05c78ea614c11bae95"),
            &third().instance_actor(),
            true,
        )
    }

    pub fn reject_peering() -> Value {
        let urls = urls();
        activities::answer_follow(
            &urls,
            "084f75ffbaeb4ab812fba01ba7c92067",
            &urls.instance_actor(),
            &third().activity("c5a16ed75ca4cfb272bdbabf44085237"),
            &third().instance_actor(),
            false,
        )
    }

    pub fn undo_follow_member() -> Value {
        let urls = urls();
        activities::undo_follow(
            &urls,
            "496161adbca197ffcaf35e87629d06a6",
            &person().id,
            &urls.activity(MEMBER_FOLLOW),
            &atelier_velo(),
        )
    }

    pub fn undo_follow_instance() -> Value {
        let urls = urls();
        activities::undo_follow(
            &urls,
            "52e47f8d5d40fdf3a1b564e91d09943e",
            &urls.instance_actor(),
            &urls.activity(INSTANCE_FOLLOW),
            &third().instance_actor(),
        )
    }

    // ---- collections ------------------------------------------------------------------------------------

    fn first_page(outbox: &Url) -> Url {
        url(&format!("{outbox}?page=true"))
    }

    pub fn outbox_collection() -> Value {
        let outbox = maillage_federation::urls::outbox_of(&person().id);
        activities::collection(&outbox, None, Some(first_page(&outbox)))
    }

    pub fn outbox_page_last() -> Value {
        // A member's outbox, one page, no `next`.
        let outbox = maillage_federation::urls::outbox_of(&person().id);
        let items = vec![activities::outbox_create(loan())];
        page_json(activities::collection_page(&first_page(&outbox), &outbox, items, None))
    }

    pub fn outbox_page_with_next() -> Value {
        // The instance actor's outbox as a peer reads it: public and peers listings, and a `next`.
        let urls = urls();
        let outbox = maillage_federation::urls::outbox_of(&urls.instance_actor());
        let items = vec![activities::outbox_create(offer()), activities::outbox_create(need())];
        let next = url(&format!("{outbox}?page=true&before=3121"));
        page_json(activities::collection_page(&first_page(&outbox), &outbox, items, Some(next)))
    }

    pub fn followers_collection() -> Value {
        let followers = maillage_federation::urls::followers_of(&urls().instance_actor());
        activities::collection(&followers, Some(2), None)
    }

    // ---- discovery: WebFinger, NodeInfo, our context ----------------------------------------------------

    pub fn webfinger_member() -> Value {
        let actor = person();
        serde_json::to_value(webfinger::document(&actor.username, &urls().domain(), &actor.id, &actor.page)).unwrap()
    }

    pub fn webfinger_instance() -> Value {
        let urls = urls();
        let domain = urls.domain();
        serde_json::to_value(webfinger::document(&domain, &domain, &urls.instance_actor(), urls.base())).unwrap()
    }

    pub fn nodeinfo_links() -> Value {
        serde_json::to_value(nodeinfo::discovery(&urls().nodeinfo())).unwrap()
    }

    pub fn nodeinfo_document() -> Value {
        let usage = nodeinfo::Usage { total_users: 6, active_month: 5, active_halfyear: 5, local_posts: 16 };
        let languages = ["fr".to_owned(), "en".to_owned()];
        let meta = nodeinfo::Metadata {
            name: NAME,
            description: DESCRIPTION,
            languages: &languages,
            open_registrations: true,
            peering_policy: "open",
            activities: ["give", "lend", "service", "share", "swap"].map(str::to_owned).to_vec(),
        };
        serde_json::to_value(nodeinfo::document(&usage, &meta)).unwrap()
    }

    pub fn context_document() -> Value {
        context::document()
    }

    /// The `@context` of everything we send.
    pub fn context_outgoing() -> Value {
        context::outgoing()
    }
}

// ---- the examples of docs/FEDERATION.md -------------------------------------------------------------

/// Every JSON example of `docs/FEDERATION.md` is one of the documents under snapshot, once its two
/// shortenings (`"@context": […]` and the public key) are put back.
#[test]
fn the_examples_of_federation_md_are_documents_under_snapshot() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/FEDERATION.md");
    let text = std::fs::read_to_string(&path).unwrap();
    let context = serde_json::to_string(&context::outgoing()).unwrap();
    let shortened_key = r#""-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEF…\n-----END PUBLIC KEY-----\n""#;
    let key = serde_json::to_string(PUBLIC_KEY_PEM).unwrap();
    let documents: Vec<(&str, Value)> = DOCUMENTS.iter().map(|(name, build)| (*name, build())).collect();
    let mut examples = 0;
    for block in text.split("```json\n").skip(1) {
        let block = block.split("\n```").next().unwrap();
        let json = block.replace("[…]", &context).replace(shortened_key, &key);
        let example: Value = serde_json::from_str(&json).unwrap_or_else(|e| panic!("{e}:\n{block}"));
        assert!(
            documents.iter().any(|(_, document)| *document == example),
            "this example of FEDERATION.md is none of the documents under snapshot:\n{block}"
        );
        examples += 1;
    }
    assert_eq!(examples, 44, "examples found in {}", path.display());
}

// ---- the captures of Maillage in `tests/assets/` -------------------------------------------------------
//
// Each `maillage_*.json` is read into our typed shapes and written back: the same JSON. And each is
// built again by the code from the inputs the capture holds (ids, times, keys, texts): the same JSON
// again, so that a capture cannot silently drift from what the code emits.

mod captures {
    use std::path::Path;

    use maillage_federation::proposal::{Proposal, ProposalParts, html_to_text};
    use maillage_federation::vocab::{
        Activity, ActorDocument, FollowObject, OrderedCollectionPage, OutboxItem, Tombstone, WithContext,
    };
    use maillage_federation::{LocalActor, Urls, activities};
    use serde::Serialize;
    use serde::de::DeserializeOwned;
    use serde_json::Value;
    use url::Url;

    use super::page_json;

    fn asset(name: &str) -> Value {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/assets").join(name);
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    }

    /// Where two documents differ: the paths of the values that are not the same (`/object/content`).
    fn differences(ours: &Value, captured: &Value, path: &str) -> Vec<String> {
        match (ours, captured) {
            (Value::Object(a), Value::Object(b)) => {
                let mut keys: Vec<&String> = a.keys().chain(b.keys().filter(|k| !a.contains_key(*k))).collect();
                keys.dedup();
                keys.into_iter()
                    .flat_map(|k| {
                        let (x, y) = (a.get(k).unwrap_or(&Value::Null), b.get(k).unwrap_or(&Value::Null));
                        let here = format!("{path}/{k}");
                        if !a.contains_key(k) {
                            vec![format!("{here}: absent here, {y} in the capture")]
                        } else if !b.contains_key(k) {
                            vec![format!("{here}: {x} here, absent from the capture")]
                        } else {
                            differences(x, y, &here)
                        }
                    })
                    .collect()
            }
            (Value::Array(a), Value::Array(b)) if a.len() == b.len() => {
                a.iter().zip(b).enumerate().flat_map(|(i, (x, y))| differences(x, y, &format!("{path}/{i}"))).collect()
            }
            _ if ours == captured => Vec::new(),
            _ => vec![format!("{path}: {ours} here, {captured} in the capture")],
        }
    }

    fn assert_same(ours: &Value, captured: &Value, what: &str) {
        let differences = differences(ours, captured, "");
        assert!(differences.is_empty(), "{what}:\n{}", differences.join("\n"));
        assert_eq!(ours, captured, "{what}");
    }

    /// The capture, read as `T` and written back.
    fn read<T: DeserializeOwned + Serialize>(name: &str) -> T {
        let json = asset(name);
        let typed: T = serde_json::from_value(json.clone()).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_same(&serde_json::to_value(&typed).unwrap(), &json, &format!("{name}, read and written back"));
        typed
    }

    fn same_as_capture(name: &str, built: Value) {
        assert_same(&built, &asset(name), &format!("{name}, built by the code from the capture's inputs"));
    }

    /// The instance a document comes from.
    fn urls_of(id: &Url) -> Urls {
        Urls::new(Url::parse(&id.origin().ascii_serialization()).unwrap())
    }

    /// The last segment of an activity id (`…/activities/ID`), what `Urls::activity` takes.
    fn activity_id(id: &Url) -> String {
        id.path_segments().and_then(|mut s| s.next_back()).unwrap().to_owned()
    }

    /// The proposal as the code builds it from what the captured one says.
    fn rebuilt(proposal: &Proposal) -> Proposal {
        Proposal::build(ProposalParts {
            id: proposal.id.clone(),
            author: proposal.attributed_to.clone(),
            page: proposal.url.clone().unwrap(),
            data: &proposal.to_listing_data(),
            published: proposal.published.clone().unwrap(),
            updated: proposal.updated.clone(),
            to: proposal.to.clone(),
            cc: proposal.cc.clone(),
        })
    }

    const ACTORS: &[&str] = &["maillage_person.json", "maillage_organization.json", "maillage_application.json"];

    #[test]
    fn actors() {
        for name in ACTORS {
            let WithContext { document: actor, .. } = read::<WithContext<ActorDocument>>(name);
            let local = LocalActor {
                id: actor.id.clone(),
                kind: actor.kind,
                username: actor.preferred_username.clone().unwrap(),
                name: actor.name.clone().unwrap(),
                summary: html_to_text(actor.summary.as_deref().unwrap_or_default()),
                page: actor.url.clone().unwrap(),
                public_key_pem: actor.public_key.public_key_pem.clone(),
                private_key_pem: String::new(),
                manually_approves_followers: actor.manually_approves_followers.unwrap(),
                published: actor.published.clone().unwrap(),
                icon: actor.icon.as_ref().map(|i| i.url.clone()),
            };
            same_as_capture(name, activities::actor_json(&local, &urls_of(&actor.id)));
        }
    }

    #[test]
    fn create_and_update_of_listings() {
        for (name, update) in [
            ("maillage_create_proposal.json", false),
            ("maillage_create_proposal_peers.json", false),
            ("maillage_update_proposal.json", true),
        ] {
            let WithContext { document: activity, .. } = read::<WithContext<Activity<Proposal>>>(name);
            let urls = urls_of(&activity.id);
            let built =
                activities::write_listing(&urls, &activity_id(&activity.id), &rebuilt(&activity.object), update);
            same_as_capture(name, built);
        }
    }

    #[test]
    fn delete_of_a_listing() {
        let name = "maillage_delete_proposal.json";
        let WithContext { document: delete, .. } = read::<WithContext<Activity<Tombstone>>>(name);
        let urls = urls_of(&delete.id);
        let built = activities::delete_listing(
            &urls,
            &activity_id(&delete.id),
            &delete.actor,
            &delete.object.id,
            &delete.to,
            &delete.cc,
        );
        same_as_capture(name, built);
    }

    #[test]
    fn follows() {
        for name in ["maillage_follow.json", "maillage_follow_instance.json"] {
            let WithContext { document: follow, .. } = read::<WithContext<Activity<Url>>>(name);
            let built =
                activities::follow(&urls_of(&follow.id), &activity_id(&follow.id), &follow.actor, &follow.object);
            same_as_capture(name, built);
        }
    }

    #[test]
    fn answers_to_follows() {
        for (name, accepted) in [("maillage_accept_follow.json", true), ("maillage_reject_follow.json", false)] {
            let WithContext { document: answer, .. } = read::<WithContext<Activity<FollowObject>>>(name);
            assert_eq!(answer.object.object, answer.actor, "{name}: answers a follow of its actor");
            let urls = urls_of(&answer.id);
            let follow = &answer.object;
            let built = activities::answer_follow(
                &urls,
                &activity_id(&answer.id),
                &answer.actor,
                &follow.id,
                &follow.actor,
                accepted,
            );
            same_as_capture(name, built);
        }
    }

    #[test]
    fn undo_of_a_follow() {
        let name = "maillage_undo_follow.json";
        let WithContext { document: undo, .. } = read::<WithContext<Activity<FollowObject>>>(name);
        let urls = urls_of(&undo.id);
        let built =
            activities::undo_follow(&urls, &activity_id(&undo.id), &undo.actor, &undo.object.id, &undo.object.object);
        same_as_capture(name, built);
    }

    #[test]
    fn outbox_page() {
        let name = "maillage_outbox_page.json";
        let WithContext { document: page, .. } = read::<WithContext<OrderedCollectionPage<OutboxItem<Proposal>>>>(name);
        let items: Vec<_> =
            page.ordered_items.iter().map(|item| activities::outbox_create(rebuilt(&item.activity.object))).collect();
        same_as_capture(
            name,
            page_json(activities::collection_page(&page.id, &page.part_of, items, page.next.clone())),
        );
    }

    /// Every `maillage_*.json` is checked above.
    #[test]
    fn every_capture_of_maillage_is_checked() {
        let checked = [
            ACTORS,
            &[
                "maillage_create_proposal.json",
                "maillage_create_proposal_peers.json",
                "maillage_update_proposal.json",
                "maillage_delete_proposal.json",
                "maillage_follow.json",
                "maillage_follow_instance.json",
                "maillage_accept_follow.json",
                "maillage_reject_follow.json",
                "maillage_undo_follow.json",
                "maillage_outbox_page.json",
            ],
        ]
        .concat();
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/assets");
        let mut captures: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|name| name.starts_with("maillage_") && name.ends_with(".json"))
            .collect();
        captures.sort();
        let mut checked: Vec<String> = checked.iter().map(|s| (*s).to_owned()).collect();
        checked.sort();
        assert_eq!(captures, checked);
    }
}
