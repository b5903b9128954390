//! The catalogue a bench runs against: members and many listings, written straight through the storage
//! layer in large transactions, with varied French text as members really write it (accents, plurals,
//! categories, places all over France).

use std::time::Instant;

use anyhow::Context;
use maillage_server::domain::actor::ActorKey;
use maillage_server::domain::category::{self, Category};
use maillage_server::domain::geo::{Location, Point};
use maillage_server::domain::ids::{ImageId, ListingId, MemberId, new_id, now_ms};
use maillage_server::domain::listing::{
    ListingDraft, ListingStatus, Mode, Price, PriceBasis, PriceCents, Purpose, Quantity, Unit, Visibility,
};
use maillage_server::domain::member::{MemberKind, MemberStatus, Role, Username};
use maillage_server::domain::photo::{ImageKind, WIDTHS};
use maillage_server::services::passwords;
use maillage_server::storage::members::NewMember;
use maillage_server::storage::{Backend, Db, images, listings, members};
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};

/// Listings written per transaction.
const BATCH: usize = 2_000;

/// What people offer or look for, by category (title nouns).
const THINGS: &[(&str, &[&str])] = &[
    (
        "objects-tools",
        &["Escabeau", "Diable de manutention", "Nettoyeur haute pression", "Projecteur", "Sono portable"],
    ),
    ("objects-tools-diy", &["Perceuse-visseuse", "Ponceuse", "Scie circulaire", "Perforateur", "Scie sauteuse"]),
    ("objects-tools-garden", &["Tondeuse", "Taille-haie", "Broyeur de végétaux", "Motobineuse", "Brouette"]),
    ("objects-tools-kitchen", &["Appareil à raclette", "Machine à pain", "Vaisselle pour 50 personnes", "Percolateur"]),
    ("objects-tools-children", &["Poussette", "Lit parapluie", "Siège auto", "Chaise haute", "Porte-bébé"]),
    ("sports-gear", &["Raquettes de tennis", "Tente quatre places", "Skis de fond", "Kayak", "Sac de couchage"]),
    ("bikes-repair", &["Vélo cargo", "Vélo électrique", "Remorque vélo", "Révision de vélo", "Pneus de vélo"]),
    ("food-groceries", &["Paniers de légumes", "Pain de la veille", "Confitures", "Pommes de terre", "Œufs frais"]),
    ("materials", &["Chutes de production", "Big bags", "Bâches", "Fûts métalliques", "Rouleaux de film"]),
    ("materials-pallets", &["Palettes Europe", "Palettes perdues", "Demi-palettes", "Palettes bois traité"]),
    ("materials-cardboard", &["Cartons de déménagement", "Carton ondulé", "Papier kraft", "Cartons d'emballage"]),
    ("materials-wood", &["Poutres en chêne", "Planches de pin", "Chutes de contreplaqué", "Bois de chauffage"]),
    ("materials-metal", &["Chutes de métal", "Tôles d'acier", "Profilés aluminium", "Fers à béton"]),
    ("materials-plastics", &["Bidons plastique", "Caisses plastique", "Granulés de polyéthylène", "Cuves IBC"]),
    ("materials-textiles", &["Chutes de tissu", "Vêtements de travail", "Toiles de jute", "Laine de mouton"]),
    ("materials-construction", &["Parpaings", "Tuiles anciennes", "Sable", "Plaques de plâtre", "Carrelage"]),
    ("energy-heat", &["Chaleur fatale", "Vapeur basse pression", "Électricité solaire", "Achat groupé d'énergie"]),
    ("equipment-time", &["Heures de découpe laser", "Chariot élévateur", "Presse hydraulique", "Four industriel"]),
    ("premises-storage", &["Local de stockage", "Chambre froide", "Bureau partagé", "Hangar", "Salle de réunion"]),
    ("skills-services", &["Cours de couture", "Aide à la comptabilité", "Atelier de réparation", "Traduction"]),
    ("transport-logistics", &["Camion benne", "Tournée de livraison", "Utilitaire 12 m³", "Transport mutualisé"]),
];
const QUALIFIERS: &[&str] = &[
    "en bon état",
    "à prêter",
    "à donner",
    "révisé",
    "presque neuf",
    "pour le week-end",
    "zone industrielle",
    "disponible le soir",
    "pour association",
    "à partager",
    "bio",
    "de récupération",
    "gros volume",
    "à réparer",
    "tous les mardis",
    "près de la gare",
    "pour chantier participatif",
    "",
];
const SENTENCES: &[&str] = &[
    "Disponible en semaine, à récupérer sur place.",
    "Prévoir un véhicule adapté.",
    "Contact par la messagerie de la coopérative.",
    "Idéal pour un chantier participatif ou un déménagement.",
    "Quantité variable selon les arrivages, merci de réserver à l'avance.",
    "Matériel entretenu par l'atelier, rendu propre apprécié.",
    "Notice et accessoires fournis.",
    "Nous cherchons un partenaire régulier dans la métropole.",
    "Possibilité de livraison groupée avec d'autres adhérents.",
    "Producteurs locaux, circuit court, prix solidaire.",
    "Issu de notre production, plutôt que de le jeter.",
    "Accès au quai de chargement de 8 h à 17 h.",
    "Convient aussi pour une école ou une crèche.",
    "Échange possible contre du temps de bénévolat.",
    "Équipement contrôlé cette année, attestation disponible.",
];
/// Words that appear in one description in a thousand or so: rare search hits.
const RARE: &[&str] = &["tandem", "cidre fermier", "sérigraphie", "ébénisterie", "apiculture", "torréfaction"];
/// Places spread over France: (name, latitude, longitude).
const CITIES: &[(&str, f64, f64)] = &[
    ("Lille", 50.6292, 3.0573),
    ("Roubaix", 50.6942, 3.1746),
    ("Paris", 48.8566, 2.3522),
    ("Lyon", 45.764, 4.8357),
    ("Marseille", 43.2965, 5.3698),
    ("Toulouse", 43.6047, 1.4442),
    ("Nantes", 47.2184, -1.5536),
    ("Strasbourg", 48.5734, 7.7521),
    ("Bordeaux", 44.8378, -0.5792),
    ("Rennes", 48.1173, -1.6778),
    ("Grenoble", 45.1885, 5.7245),
    ("Dijon", 47.322, 5.0415),
    ("Amiens", 49.8941, 2.2958),
    ("Brest", 48.3904, -4.4861),
    ("Limoges", 45.8336, 1.2611),
    ("Metz", 49.1193, 6.1757),
    ("Rouen", 49.4432, 1.0999),
    ("Tours", 47.3941, 0.6848),
    ("Clermont-Ferrand", 45.7772, 3.087),
    ("Montpellier", 43.6108, 3.8767),
    ("Nancy", 48.6921, 6.1844),
    ("Caen", 49.1829, -0.3707),
    ("Besançon", 47.2378, 6.0241),
    ("Poitiers", 46.5802, 0.3404),
    ("Pau", 43.2951, -0.3708),
    ("Angers", 47.4784, -0.5632),
    ("Le Mans", 48.0061, 0.1996),
    ("Orléans", 47.9029, 1.9093),
    ("Nîmes", 43.8367, 4.3601),
    ("Valence", 44.9334, 4.8924),
];
const FIRST_NAMES: &[&str] = &["Camille", "Léa", "Hugo", "Inès", "Noé", "Zoé", "Jérôme", "Hélène", "Amadou", "Chloé"];
const ORGANISATIONS: &[&str] = &["Atelier", "Ressourcerie", "Épicerie", "Menuiserie", "Coopérative", "Association"];

/// Members and listings added, and how long it took.
pub struct Seeded {
    pub members: usize,
    pub listings: usize,
    pub seconds: f64,
}

/// Adds `member_count` members and `listing_count` listings spread over them.
/// Gives every member without one a key pair: the same pair for all, generated once. A real instance
/// generates one per member in the background (~0.25 s of CPU each); for 500 bench members that
/// would run during the measurement and skew it.
pub async fn give_keys(db: &Db) -> anyhow::Result<usize> {
    let mut given = 0;
    let mut pair = None;
    loop {
        let ids = maillage_server::storage::keys::members_without_keys(&mut *db.conn().await?, 500).await?;
        if ids.is_empty() {
            return Ok(given);
        }
        if pair.is_none() {
            pair = Some(maillage_federation::keys::generate().await?);
        }
        let Some(pair) = &pair else { continue };
        for id in ids {
            maillage_server::storage::keys::insert_keys(
                &mut *db.conn().await?,
                ActorKey::Member(&id),
                &pair.public_key_pem,
                &pair.private_key_pem,
                now_ms(),
            )
            .await?;
            given += 1;
        }
    }
}

/// Gives the instance actor `count` accepted followers on other servers (idempotent: the same
/// followers each time). They receive nothing during a bench: nothing is published.
pub async fn give_followers(db: &Db, count: usize) -> anyhow::Result<()> {
    let mut tx = db.begin_write().await?;
    for i in 0..count {
        let domain = format!("follower{}.example", i % 50);
        let id = reqwest::Url::parse(&format!("https://{domain}/users/f{i}"))?;
        let actor = maillage_federation::RemoteActor {
            inbox: reqwest::Url::parse(&format!("https://{domain}/users/f{i}/inbox"))?,
            shared_inbox: Some(reqwest::Url::parse(&format!("https://{domain}/inbox"))?),
            kind: maillage_federation::vocab::ActorKind::Person,
            domain,
            username: format!("f{i}"),
            name: format!("Follower {i}"),
            outbox: None,
            public_key_pem: String::new(),
            page: None,
            icon: None,
            fetched_at: now_ms(),
            id,
        };
        let follow_id = format!("{}#follow", actor.id);
        maillage_server::storage::followers::add_accepted_follower(
            &mut tx,
            ActorKey::Instance,
            &actor,
            &follow_id,
            now_ms(),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// The public collective the bench's collective pages show (created once, with `members` members
/// among the seeded ones, the first its administrator).
pub const COLLECTIVE: &str = "reparateurs_bench";

/// Creates [`COLLECTIVE`] unless it exists, with up to `members` of the seeded members in it.
pub async fn give_collective(db: &Db, members: usize) -> anyhow::Result<()> {
    use maillage_server::domain::collective::{
        Admission, Charter, CollectiveDraft, CollectiveName, CollectiveVisibility, Membership, MembershipRecord, Role,
    };
    use maillage_server::domain::ids::{CollectiveId, MembershipId};
    use maillage_server::storage::collectives;

    let name = CollectiveName::parse(COLLECTIVE).map_err(|e| anyhow::anyhow!("{e:?}"))?;
    if collectives::local_by_name(&mut *db.conn().await?, &name).await?.is_some() {
        return Ok(());
    }
    let charter = "# Charte\n\nNous réparons **ensemble**, sans jugement, et nous partageons nos outils.\n\n\
        - Chacun apporte ce qu'il sait faire.\n- Les pièces de récupération d'abord.\n";
    let draft = CollectiveDraft {
        display_name: "Collectif des réparateurs vélo".to_owned(),
        purpose: "Réparer ensemble les vélos du quartier et partager les outils de l'atelier.".to_owned(),
        activities: vec!["bikes-repair", "skills-services"],
        territory: "Métropole européenne de Lille".to_owned(),
        charter: Charter::parse(charter).map_err(|e| anyhow::anyhow!("{e:?}"))?,
        entry_criteria: "Tenir un atelier ou y donner du temps.".to_owned(),
        questions: vec!["Quel atelier ?".to_owned()],
        admission: Admission::Approval,
        visibility: CollectiveVisibility::Public,
    };
    let id = CollectiveId::new();
    let now = now_ms();
    let mut tx = db.begin_write().await?;
    collectives::insert(&mut tx, &id, &name, &draft, now).await?;
    let people: Vec<(String, String)> =
        sqlx::query_as("SELECT id, username FROM members WHERE status = 'active' ORDER BY created_at LIMIT $1")
            .bind(i64::try_from(members).unwrap_or(i64::MAX))
            .fetch_all(&mut *tx)
            .await?;
    for (index, (member, username)) in people.into_iter().enumerate() {
        let member = MemberId::parse(&member).context("a member id that does not parse")?;
        let record = MembershipRecord {
            id: MembershipId::new(),
            collective: id.clone(),
            // The bench's server picks its port when it starts: this address is only a label here.
            actor: format!("http://localhost/members/{username}"),
            member: Some(member),
            // The founder's standing (charter version 1 accepted, member since now), the first
            // one keeping its administrator's role.
            membership: Membership {
                role: if index == 0 { Role::Administrator } else { Role::Member },
                ..Membership::founder(1, now)
            },
            decided_by: None,
            activity_id: None,
            created_at: now,
            updated_at: now,
        };
        collectives::save_membership(&mut tx, &record).await?;
    }
    tx.commit().await?;
    Ok(())
}

pub async fn seed(db: &Db, member_count: usize, listing_count: usize) -> anyhow::Result<Seeded> {
    let started = Instant::now();
    // One hash for everyone: hashing is deliberately slow, and nobody logs in during a bench.
    let hash = passwords::hash(new_id()).await.map_err(|e| anyhow::anyhow!("hashing the bench password: {e:?}"))?;
    let now = now_ms();
    let mut rng = rand::rngs::StdRng::seed_from_u64(0x6d61_696c);
    let mut member_ids = Vec::with_capacity(member_count);
    for i in 0..member_count.max(1) {
        let id = MemberId::new();
        let username = Username::parse(&format!("bench_{i}_{}", &id.as_str()[..6]))
            .map_err(|e| anyhow::anyhow!("bench username: {e}"))?;
        let organisation = i.is_multiple_of(5);
        let (city, lat, lon) = *CITIES.choose(&mut rng).context("no cities")?;
        let display_name = if organisation {
            format!("{} de {city}", ORGANISATIONS.choose(&mut rng).context("no organisations")?)
        } else {
            format!("{} {}.", FIRST_NAMES.choose(&mut rng).context("no names")?, char::from(b'A' + (i % 26) as u8))
        };
        let location = Location { name: city.to_owned(), point: Some(Point { latitude: lat, longitude: lon }) };
        let member = NewMember {
            id: &id,
            username: &username,
            kind: if organisation { MemberKind::Organisation } else { MemberKind::Person },
            display_name: &display_name,
            description: "",
            location: Some(&location),
            password_hash: &hash,
            role: Role::Member,
            status: MemberStatus::Active,
            now: now - 400 * DAY_MS,
        };
        members::insert(&mut *db.conn().await?, &member)
            .await
            .map_err(|e| anyhow::anyhow!("inserting bench member {i}: {e:?}"))?;
        member_ids.push(id);
    }

    // SQLite has one writer at a time; PostgreSQL takes a few transactions side by side.
    let writers = if db.backend == Backend::Postgres { 4 } else { 1 };
    let batches: Vec<std::ops::Range<usize>> =
        (0..listing_count).step_by(BATCH).map(|start| start..(start + BATCH).min(listing_count)).collect();
    let member_ids = std::sync::Arc::new(member_ids);
    let mut tasks = Vec::new();
    for writer in 0..writers {
        let db = db.clone();
        let member_ids = member_ids.clone();
        let mine: Vec<_> = batches.iter().skip(writer).step_by(writers).cloned().collect();
        tasks.push(tokio::spawn(async move {
            let mut rng = rand::rngs::StdRng::seed_from_u64(writer as u64);
            for range in mine {
                let rows: Vec<(ListingId, MemberId, ListingDraft, i64)> = range
                    .map(|i| {
                        let member = member_ids[rng.random_range(0..member_ids.len())].clone();
                        // Over the last two years, more of them recent, as a living catalogue is, and in
                        // the order they were written, as listings published on the instance are.
                        let age_days = (1.0 - i as f64 / listing_count as f64).powi(2) * 730.0;
                        let created = now - (age_days * DAY_MS as f64) as i64;
                        (ListingId::new(), member, draft(&mut rng, i, created), created)
                    })
                    .collect();
                let borrowed: Vec<listings::NewListing<'_>> =
                    rows.iter().map(|(id, member, draft, created)| (id, member, draft, *created)).collect();
                let mut tx = db.begin_write().await.context("starting a batch of listings")?;
                if db.backend == Backend::Sqlite {
                    // The ids, the member and place indexes take rows in random order: with the
                    // server's 2 MB page cache, each batch past ~100,000 listings read and rewrote
                    // pages all over them (the rate fell from 1,200 to 240 listings/s). This
                    // process only seeds: its connections may hold the indexes in memory.
                    sqlx::query("PRAGMA cache_size = -1048576").execute(&mut *tx).await.context("sizing the cache")?;
                }
                listings::insert_many(&mut tx, &borrowed).await.context("inserting a batch of listings")?;
                // Half of the listings have photos (one to three), as a catalogue with pictures does:
                // the rows only, the bench's pages name the files without serving them.
                let mut with_photos: Vec<(&ListingId, i64, usize)> = Vec::new();
                for (id, _, _, created) in &rows {
                    if rng.random_bool(0.5) {
                        with_photos.push((id, *created, rng.random_range(1..=3)));
                    }
                }
                for (id, created, count) in with_photos {
                    for photo in 0..count {
                        let image = ImageId::new();
                        images::insert_ours(&mut tx, &image, ImageKind::Photo, (1280, 960), &WIDTHS, 400_000, created)
                            .await
                            .context("inserting a bench photo")?;
                        images::add_photo(&mut tx, id, &image, &format!("Photo {photo}"))
                            .await
                            .context("inserting a bench photo")?;
                    }
                }
                tx.commit().await.context("committing a batch of listings")?;
            }
            anyhow::Ok(())
        }));
    }
    for task in tasks {
        task.await.context("seeding task")??;
    }
    if db.backend == Backend::Postgres {
        // What autovacuum does within a minute or so of a bulk insert, done before the measures rather
        // than during them (it made the first phases' p99 two to five times worse): without
        // statistics, PostgreSQL plans the catalogue as a nested loop over every member and listing
        // (seconds per page).
        sqlx::query("VACUUM (ANALYZE)").execute(&db.pool).await.context("vacuuming and analysing the seeded tables")?;
        // And the writing of all that to disk, which otherwise falls in the first phases (the
        // statement needs the superuser or pg_checkpoint role: without it, the figures are noisier).
        if let Err(error) = sqlx::query("CHECKPOINT").execute(&db.pool).await {
            println!("seed: no CHECKPOINT ({error}): the first phases may include the writing of the seed to disk");
        }
    }
    // SQLite: what an import does after adding many rows (the server does it again at start-up).
    db.optimize().await.context("updating the planner's statistics")?;
    Ok(Seeded { members: member_count, listings: listing_count, seconds: started.elapsed().as_secs_f64() })
}

const DAY_MS: i64 = 24 * 3600 * 1000;

/// One plausible listing: a thing of some category, a qualifier, a few sentences, a place.
fn draft(rng: &mut impl Rng, i: usize, created: i64) -> ListingDraft {
    let (category_id, things) = THINGS[rng.random_range(0..THINGS.len())];
    let category: &'static Category = category::find(category_id).unwrap_or(&category::CATEGORIES[0]);
    let thing = things.choose(rng).copied().unwrap_or("Objet");
    let qualifier = QUALIFIERS.choose(rng).copied().unwrap_or_default();
    let (city, lat, lon) = CITIES.choose(rng).copied().unwrap_or(CITIES[0]);
    let purpose = if rng.random_bool(0.3) { Purpose::Request } else { Purpose::Offer };
    let mode = mode_for(rng, category_id);
    let mut description = match purpose {
        Purpose::Offer => format!("Nous proposons : {} à {city}.", thing.to_lowercase()),
        Purpose::Request => format!("Nous cherchons : {} autour de {city}.", thing.to_lowercase()),
    };
    for _ in 0..rng.random_range(1..4) {
        description.push(' ');
        description.push_str(SENTENCES.choose(rng).copied().unwrap_or_default());
    }
    if i.is_multiple_of(997) {
        description.push_str(&format!(" Aussi : {}.", RARE.choose(rng).copied().unwrap_or_default()));
    }
    // A few kilometres around the town centre.
    let point = Point { latitude: lat + rng.random_range(-0.12..0.12), longitude: lon + rng.random_range(-0.18..0.18) };
    let created_date = time::OffsetDateTime::from_unix_timestamp(created / 1000).map(|t| t.date()).ok();
    let available_from = created_date.filter(|_| rng.random_bool(0.3));
    let available_until = available_from.and_then(|d| d.checked_add(time::Duration::days(rng.random_range(7..120))));
    ListingDraft {
        purpose,
        mode,
        category,
        title: format!("{thing} {qualifier}").trim_end().to_owned(),
        description,
        quantity: rng.random_bool(0.8).then(|| Quantity::from_milli(rng.random_range(1..200) * 500)),
        unit: if mode == Mode::Service { Unit::Hour } else { unit_for(rng, category_id) },
        price: match (mode, PriceCents::new("price", rng.random_range(50..50_000))) {
            (Mode::Sell, Ok(cents)) => Price::Fixed(cents),
            _ => Price::Free,
        },
        price_basis: if mode == Mode::Sell && rng.random_bool(0.4) { PriceBasis::PerUnit } else { PriceBasis::Total },
        location: rng.random_bool(0.95).then(|| Location { name: city.to_owned(), point: Some(point) }),
        available_from,
        available_until,
        status: match rng.random_range(0..100) {
            0..5 => ListingStatus::Reserved,
            5..10 => ListingStatus::Closed,
            _ => ListingStatus::Active,
        },
        visibility: match rng.random_range(0..100) {
            0..8 => Visibility::Instance,
            8..15 => Visibility::Peers,
            _ => Visibility::Public,
        },
        collective: None,
    }
}

fn mode_for(rng: &mut impl Rng, category_id: &str) -> Mode {
    let modes: &[Mode] = match category_id {
        "food-groceries" => &[Mode::Sell, Mode::Give, Mode::Sell],
        "skills-services" => &[Mode::Service, Mode::Swap],
        "equipment-time" | "premises-storage" | "transport-logistics" | "energy-heat" => {
            &[Mode::Share, Mode::Service, Mode::Sell]
        }
        c if c.starts_with("materials") => &[Mode::Give, Mode::Sell, Mode::Swap],
        _ => &[Mode::Lend, Mode::Give, Mode::Lend, Mode::Swap],
    };
    modes.choose(rng).copied().unwrap_or(Mode::Lend)
}

fn unit_for(rng: &mut impl Rng, category_id: &str) -> Unit {
    let units: &[Unit] = match category_id {
        "food-groceries" => &[Unit::Kg, Unit::Piece, Unit::Litre],
        "energy-heat" => &[Unit::Kwh],
        "equipment-time" | "skills-services" => &[Unit::Hour],
        "premises-storage" => &[Unit::SquareMetre],
        "transport-logistics" => &[Unit::CubicMetre, Unit::Hour],
        c if c.starts_with("materials") => &[Unit::Piece, Unit::Kg, Unit::Tonne, Unit::CubicMetre],
        _ => &[Unit::Piece],
    };
    units.choose(rng).copied().unwrap_or(Unit::Piece)
}
