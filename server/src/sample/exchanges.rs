//! The demo's exchanges: within each cooperative and between them, in every state — a question, a
//! proposal waiting for its answer, terms countered, accepted, an item out, a loan overdue, a
//! delivery and a service waiting for confirmation, completed, refused, cancelled — each made as
//! members make them, through the services (between cooperatives, over ActivityPub), so that the
//! pages, the conversations and the counts show what a real cooperative would see.
//!
//! Made once, after the instances have peered: nothing is done when any of them already holds an
//! exchange (a demo started again on its data).

use std::time::Duration;

use anyhow::Context;

use super::Profile;
use crate::domain::exchange::TermsInput;
use crate::domain::ids::{ExchangeId, ListingId};
use crate::domain::listing::format_date;
use crate::domain::member::Member;
use crate::services::exchanges::{self as service, MoveInput, StartInput};
use crate::services::{Services, accounts, catalogue};
use crate::storage::exchanges;

/// One of the demo's instances.
pub struct Instance<'a> {
    pub services: &'a Services,
    pub profile: &'static Profile,
}

/// Who makes a move: the member who started the exchange, or the listing's author.
#[derive(Clone, Copy)]
enum Who {
    Starter,
    Author,
}

struct Scenario {
    /// The instance (its index) and member who start it.
    starter: (usize, &'static str),
    /// The instance, author and title of the listing.
    listing: (usize, &'static str, &'static str),
    terms: Option<Terms>,
    message: &'static str,
    moves: &'static [(Who, &'static str, &'static str)],
    /// A loan whose dates are moved into the past once it is handed over: overdue.
    overdue: bool,
}

/// An exchange's terms: days from today to the first and last day, a quantity, a time, what a swap
/// offers.
#[derive(Clone, Copy)]
struct Terms {
    from: i64,
    until: Option<i64>,
    quantity: Option<&'static str>,
    at: Option<&'static str>,
    in_return: Option<&'static str>,
}

const fn days(from: i64, until: Option<i64>) -> Option<Terms> {
    Some(Terms { from, until, quantity: None, at: None, in_return: None })
}

const LENDING: usize = 0;
const BIKES: usize = 1;
const GROCERY: usize = 2;

const SCENARIOS: &[Scenario] = &[
    // Within the lending library.
    Scenario {
        starter: (LENDING, "julien_morel"),
        listing: (LENDING, "mehdi", "Perceuse-visseuse à prêter"),
        terms: days(2, Some(6)),
        message: "Bonjour Mehdi, pour monter des étagères samedi. Je peux passer la chercher vendredi soir.",
        moves: &[],
        overdue: false,
    },
    Scenario {
        starter: (LENDING, "sophie_delattre"),
        listing: (LENDING, "mehdi", "Escabeau 5 marches"),
        terms: days(1, Some(3)),
        message: "Pour repeindre le plafond de la cuisine.",
        moves: &[(Who::Author, "accept", ""), (Who::Author, "hand-over", "")],
        overdue: true,
    },
    Scenario {
        starter: (LENDING, "mehdi"),
        listing: (LENDING, "julien_morel", "Tente 4 places"),
        terms: None,
        message: "Bonjour Julien, la tente est-elle assez grande pour deux adultes et deux enfants ?",
        moves: &[],
        overdue: false,
    },
    Scenario {
        starter: (LENDING, "jardins_fives"),
        listing: (LENDING, "menuiserie_vandamme", "Palettes Europe (x20) à donner"),
        terms: Some(Terms { from: 3, until: None, quantity: Some("6"), at: None, in_return: None }),
        message: "Pour construire des bacs à compost.",
        moves: &[(Who::Author, "accept", ""), (Who::Author, "deliver", "")],
        overdue: false,
    },
    Scenario {
        starter: (LENDING, "mehdi"),
        listing: (LENDING, "sophie_delattre", "Tondeuse hélicoïdale"),
        terms: days(4, Some(5)),
        message: "",
        moves: &[(Who::Author, "refuse", "Elle est déjà prêtée ce week-end, désolée.")],
        overdue: false,
    },
    Scenario {
        starter: (LENDING, "julien_morel"),
        listing: (LENDING, "menuiserie_vandamme", "Scie à onglet radiale à prêter le week-end"),
        terms: days(1, Some(2)),
        message: "Pour recouper des plinthes.",
        moves: &[(Who::Author, "accept", ""), (Who::Author, "hand-over", ""), (Who::Author, "return", "")],
        overdue: false,
    },
    // Within the bike workshop.
    Scenario {
        starter: (BIKES, "lea_bonnel"),
        listing: (BIKES, "thomas_meca", "Révision de vélo à prix libre"),
        terms: Some(Terms { from: 5, until: None, quantity: None, at: Some("10:30"), in_return: None }),
        message: "Les freins frottent et la chaîne saute.",
        moves: &[(Who::Author, "accept", "")],
        overdue: false,
    },
    Scenario {
        starter: (BIKES, "karim_saidi"),
        listing: (BIKES, "thomas_meca", "Dévoilage de roues"),
        terms: Some(Terms { from: 1, until: None, quantity: None, at: Some("17:00"), in_return: None }),
        message: "",
        moves: &[(Who::Author, "accept", ""), (Who::Author, "done", "")],
        overdue: false,
    },
    Scenario {
        starter: (BIKES, "atelier_velo"),
        listing: (BIKES, "ressourcerie_flandres", "Pièces détachées d'occasion au kilo"),
        terms: Some(Terms { from: 2, until: None, quantity: Some("3"), at: None, in_return: None }),
        message: "",
        moves: &[(Who::Starter, "cancel", "Nous avons trouvé les pièces dans notre stock.")],
        overdue: false,
    },
    // Within the grocery.
    Scenario {
        starter: (GROCERY, "helene_vasseur"),
        listing: (GROCERY, "ferme_delporte", "Paniers de légumes bio"),
        terms: Some(Terms { from: 2, until: None, quantity: Some("1"), at: None, in_return: None }),
        message: "Un panier pour jeudi, s'il vous plaît.",
        moves: &[(Who::Author, "accept", ""), (Who::Author, "deliver", ""), (Who::Starter, "confirm", "")],
        overdue: false,
    },
    Scenario {
        starter: (GROCERY, "epicerie_asso"),
        listing: (GROCERY, "ferme_delporte", "Pommes de terre en vrac"),
        terms: Some(Terms { from: 6, until: None, quantity: Some("25"), at: None, in_return: None }),
        message: "Pour la distribution de la semaine prochaine.",
        moves: &[],
        overdue: false,
    },
    Scenario {
        starter: (GROCERY, "brasserie_melantois"),
        listing: (GROCERY, "helene_vasseur", "Confitures maison contre légumes"),
        terms: Some(Terms {
            from: 3,
            until: None,
            quantity: Some("4"),
            at: None,
            in_return: Some("Deux cagettes de drêches pour vos poules"),
        }),
        message: "",
        moves: &[(Who::Author, "counter", "2")],
        overdue: false,
    },
    // Between cooperatives.
    Scenario {
        starter: (LENDING, "mehdi"),
        listing: (BIKES, "coursiers_du_nord", "Remorque vélo 100 kg à prêter"),
        terms: days(1, Some(4)),
        message: "Bonjour, c'est pour mon déménagement de Fives à Roubaix.",
        moves: &[(Who::Author, "accept", ""), (Who::Author, "hand-over", "")],
        overdue: false,
    },
    Scenario {
        starter: (LENDING, "julien_morel"),
        listing: (GROCERY, "paul_deconinck", "Miel de printemps de la Métropole"),
        terms: Some(Terms { from: 3, until: None, quantity: Some("2"), at: None, in_return: None }),
        message: "Deux pots, que je passe prendre à l'épicerie.",
        moves: &[(Who::Author, "accept", "")],
        overdue: false,
    },
    Scenario {
        starter: (BIKES, "coursiers_du_nord"),
        listing: (GROCERY, "epicerie_asso", "Chambre froide à partager le week-end"),
        terms: None,
        message: "Bonjour, pourrions-nous y garder des colis frais livrés le samedi, jusqu'au lundi matin ?",
        moves: &[],
        overdue: false,
    },
    Scenario {
        starter: (GROCERY, "epicerie_asso"),
        listing: (LENDING, "jardins_fives", "Broyeur de végétaux à partager"),
        terms: days(8, Some(9)),
        message: "Pour broyer les tailles de haie du jardin de l'épicerie.",
        moves: &[],
        overdue: false,
    },
];

async fn member(instance: &Instance<'_>, username: &str) -> anyhow::Result<Member> {
    accounts::find(instance.services.db(), username)
        .await
        .map_err(|e| anyhow::anyhow!("{e:?}"))?
        .with_context(|| format!("no member {username} on {}", instance.profile.slug))
}

/// The id of `author`'s listing titled `title`, on its instance.
async fn listing_id(instance: &Instance<'_>, author: &Member, title: &str) -> anyhow::Result<ListingId> {
    for page in 1.. {
        let found = catalogue::by_member(instance.services.db(), author, Some(author), page)
            .await
            .map_err(|e| anyhow::anyhow!("{e:?}"))?;
        if let Some(item) = found.items.iter().find(|f| f.listing.content.title == title) {
            return Ok(item.listing.id.clone());
        }
        if !found.has_more {
            break;
        }
    }
    anyhow::bail!("no listing {title:?} of {}", author.username)
}

/// Waits (10 s at most) until `instance` holds the exchange `ap_id` at `version` or later.
async fn reached(instance: &Instance<'_>, ap_id: &str, version: i64) -> anyhow::Result<ExchangeId> {
    for _ in 0..200 {
        let record = exchanges::by_ap_id(&mut *instance.services.db().conn().await?, ap_id).await?;
        if let Some(record) = record.filter(|r| r.exchange.version >= version && r.pending.is_none()) {
            return Ok(record.id);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    anyhow::bail!("the exchange {ap_id} did not reach version {version} on {}", instance.profile.slug)
}

/// Makes the demo's exchanges, unless one of the instances already holds some; returns how many.
pub async fn seed(instances: &[Instance<'_>]) -> anyhow::Result<usize> {
    for instance in instances {
        if exchanges::count(&mut *instance.services.db().conn().await?).await? > 0 {
            return Ok(0);
        }
    }
    let mut made = 0;
    for scenario in SCENARIOS {
        let (starter_at, starter_name) = scenario.starter;
        let (host_at, author_name, title) = scenario.listing;
        let (Some(starter_instance), Some(host)) = (instances.get(starter_at), instances.get(host_at)) else {
            continue;
        };
        // The listing's cooperative counts the loan's days, in its own time zone.
        let today = service::today(host.services);
        let day = |days: i64| format_date(today + time::Duration::days(days));
        let starter = member(starter_instance, starter_name).await?;
        let author = member(host, author_name).await?;
        let mut listing = listing_id(host, &author, title).await?;
        if starter_at != host_at {
            // The starter's instance knows the listing by the id it derives from the host's, once
            // the listing has reached it (peering sends the partner's listings).
            listing = ListingId::for_remote(host.services.urls().listing(listing.as_str()).as_str());
            let mut arrived = false;
            for _ in 0..400 {
                let mut conn = starter_instance.services.db().conn().await?;
                if crate::storage::listings::by_id(&mut conn, &listing).await?.is_some() {
                    arrived = true;
                    break;
                }
                drop(conn);
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            anyhow::ensure!(arrived, "{title:?} did not reach {}", starter_instance.profile.slug);
        }
        let terms = scenario.terms.map(|t| TermsInput {
            quantity: t.quantity.map(str::to_owned),
            from: Some(day(t.from)),
            until: t.until.map(day),
            at: t.at.map(str::to_owned),
            in_return: t.in_return.map(str::to_owned),
        });
        let input = StartInput { terms, message: scenario.message.to_owned() };
        let started = service::start(starter_instance.services, &starter, &listing, &input)
            .await
            .map_err(|e| anyhow::anyhow!("{e:?}"))
            .with_context(|| format!("{starter_name} starting an exchange on {title:?}"))?;
        let ap_id = started.record.ap_id.clone();
        let mut version = started.record.exchange.version;
        for (who, name, detail) in scenario.moves {
            let (instance, by) = match who {
                Who::Starter => (starter_instance, &starter),
                Who::Author => (host, &author),
            };
            let id = reached(instance, &ap_id, version).await?;
            let mut input = MoveInput { reason: (*detail).to_owned(), ..MoveInput::default() };
            if *name == "counter" {
                // Another quantity, the rest as proposed.
                let in_return = scenario.terms.and_then(|t| t.in_return).map(str::to_owned);
                input.terms = TermsInput {
                    quantity: Some((*detail).to_owned()),
                    from: Some(day(4)),
                    in_return,
                    ..TermsInput::default()
                };
                input.reason.clear();
            }
            service::act(instance.services, by, &id, name, &input)
                .await
                .map_err(|e| anyhow::anyhow!("{e:?}"))
                .with_context(|| format!("{} making {name} on {title:?}", by.username))?;
            version += 1;
        }
        // Both sides at the last version before the next exchange.
        reached(host, &ap_id, version).await?;
        reached(starter_instance, &ap_id, version).await?;
        if scenario.overdue {
            let id = reached(host, &ap_id, version).await?;
            exchanges::set_dates_for_sample(&mut *host.services.db().conn().await?, &id, &day(-6), &day(-2)).await?;
        }
        made += 1;
    }
    Ok(made)
}
