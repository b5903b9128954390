#![allow(clippy::expect_used, clippy::unwrap_used, reason = "tests fail loudly")]

use std::collections::HashSet;

use time::macros::date;

use super::*;
use crate::domain::category;
use crate::domain::listing::ListingDraft;
use crate::domain::member::{Member, MemberKind, Username, parse_description, parse_display_name};
use crate::services::{accounts, catalogue, listings};
use crate::storage::tests::TempSqlite;
use crate::storage::{self, Db};

/// The members and listings stored.
async fn counts(db: &Db) -> (i64, i64) {
    (
        storage::members::count(&mut db.conn().await.expect("a connection")).await.expect("members"),
        storage::listings::count(&mut db.conn().await.expect("a connection")).await.expect("listings"),
    )
}

/// The services over a test database, with the default configuration but for the data directory
/// (the photos' files go there).
fn services(t: &TempSqlite) -> crate::services::Services {
    let config = crate::config::Config { data_dir: t.dir().to_owned(), ..crate::config::Config::default() };
    crate::services::Services::new(std::sync::Arc::new(config), t.db.clone())
}

fn member_count(profile: &Profile) -> usize {
    profile.members.len() + 1
}

#[test]
fn profiles_are_complete_and_every_listing_validates() {
    let mut usernames = HashSet::new();
    let mut slugs = HashSet::new();
    for profile in PROFILES {
        assert!(slugs.insert(profile.slug), "{} twice", profile.slug);
        crate::domain::cooperative::Presentation::parse(profile.presentation).expect("the presentation validates");
        assert!(PROFILES.iter().filter(|p| p.accent == profile.accent).count() == 1, "each its own colour");
        profile.config(std::path::Path::new("/tmp"), 8081).validate().expect("the instance configuration is valid");
        assert!((4..=6).contains(&profile.members.len()), "{}: {} members", profile.slug, profile.members.len());
        assert!(profile.admin.listings.is_empty(), "{}: the admin is created last and publishes nothing", profile.slug);
        assert_eq!(profile.members[0].kind, MemberKind::Person, "{}: the demo login is a person", profile.slug);
        assert!(profile.members.iter().any(|m| m.kind == MemberKind::Organisation), "{}", profile.slug);
        for member in std::iter::once(&profile.admin).chain(profile.members) {
            assert!(usernames.insert(member.username), "{} is used twice", member.username);
            assert_eq!(Username::parse(member.username).map(|u| u.to_string()), Ok(member.username.to_owned()));
            assert!(parse_display_name(member.display_name).is_ok(), "{}", member.username);
            assert!(parse_description(member.description).is_ok(), "{}", member.username);
        }

        let all: Vec<_> = profile.listings().collect();
        assert!((12..=20).contains(&all.len()), "{}: {} listings", profile.slug, all.len());
        let mut titles = HashSet::new();
        for (author, listing) in &all {
            assert!(titles.insert(listing.title), "{}: {:?} twice", profile.slug, listing.title);
            assert!(category::find(listing.category).is_some(), "unknown category {}", listing.category);
            let place = listing.place.unwrap_or(author.place);
            assert!(
                (50.55..=50.75).contains(&place.latitude) && (2.95..=3.25).contains(&place.longitude),
                "{} is not in the Métropole de Lille",
                place.name
            );
            let draft = ListingDraft::parse(&listing.input(&author.place, date!(2026 - 11 - 23)))
                .unwrap_or_else(|e| panic!("{:?} does not validate: {e:?}", listing.title));
            assert_eq!(draft.title, listing.title, "titles are stored as written (seeding matches on them)");
            assert_eq!(draft.price.amount().map(|p| p.cents()), listing.price_cents);
            assert_eq!((draft.price.kind(), draft.price_basis), (listing.price_kind, listing.price_basis));
        }
        let purposes: HashSet<_> = all.iter().map(|(_, l)| l.purpose).collect();
        assert_eq!(purposes.len(), 2, "{}: offers and needs", profile.slug);
        assert!(all.iter().filter(|(_, l)| l.visibility == Visibility::Public).count() * 2 > all.len());
        assert!(all.iter().any(|(_, l)| l.status != ListingStatus::Active), "{}", profile.slug);
    }
    let modes: HashSet<_> = PROFILES.iter().flat_map(|p| p.listings().map(|(_, l)| l.mode)).collect();
    assert_eq!(modes.len(), Mode::ALL.len(), "every mode appears in the sample");
    let kinds: HashSet<_> = PROFILES.iter().flat_map(|p| p.listings().map(|(_, l)| l.price_kind)).collect();
    assert_eq!(kinds.len(), PriceKind::ALL.len(), "every kind of price appears in the sample");
    assert!(PROFILES.iter().any(|p| p.listings().any(|(_, l)| l.price_basis == PriceBasis::PerUnit)));
}

#[test]
fn availability_is_relative_to_the_day_of_seeding() {
    let listing = SampleListing::offer(Mode::Lend, "sports-gear", "Tente", "").window(3, 40);
    let input = listing.input(&places::LILLE_FIVES, date!(2026 - 12 - 30));
    assert_eq!(input.available_from.as_deref(), Some("2027-01-02"));
    assert_eq!(input.available_until.as_deref(), Some("2027-02-08"));
    assert_eq!(input.location_name.as_deref(), Some("Lille, Fives"));
}

/// Every listing of `member`, as its author sees them.
async fn listings_of(db: &Db, member: &Member) -> Vec<crate::domain::listing::Listing> {
    catalogue::by_member(db, member, Some(member), 1)
        .await
        .expect("listings")
        .items
        .into_iter()
        .map(|f| f.listing)
        .collect()
}

#[tokio::test]
async fn seeding_creates_everything_once() {
    for profile in PROFILES {
        let t = TempSqlite::migrated().await;
        let expected_listings = profile.listings().count();

        let report = seed(&services(&t), profile).await.expect("seeding");
        assert_eq!(
            report,
            SeedReport {
                already_seeded: false,
                members_created: member_count(profile),
                listings_created: expected_listings
            }
        );
        assert_eq!(counts(&t.db).await, (member_count(profile) as i64, expected_listings as i64));

        let admin = accounts::authenticate(&t.db, profile.admin.username, DEMO_PASSWORD).await.expect("admin logs in");
        assert!(admin.is_admin());
        for sample in profile.members {
            let member = accounts::authenticate(&t.db, sample.username, DEMO_PASSWORD).await.expect("member logs in");
            assert!(!member.is_admin());
            assert_eq!((member.display_name.as_str(), member.kind), (sample.display_name, sample.kind));
            let point = member.location.as_ref().and_then(|l| l.point).expect("members have a location");
            assert_eq!((point.latitude, point.longitude), (sample.place.latitude, sample.place.longitude));
            let stored = listings_of(&t.db, &member).await;
            assert_eq!(stored.len(), sample.listings.len(), "{}", sample.username);
            for listing in &stored {
                let again = ListingDraft::parse(&listing.to_input()).expect("a stored listing validates again");
                assert_eq!(again, listing.content);
                let sample =
                    sample.listings.iter().find(|l| l.title == listing.content.title).expect("from the sample");
                assert_eq!(
                    (listing.content.status, listing.content.visibility, listing.content.mode),
                    (sample.status, sample.visibility, sample.mode)
                );
                // The drawn photo of the listings that have one, with its alt text, at three widths.
                let photos = super::photos::of(sample.title);
                assert_eq!(listing.photos.len(), photos.len(), "{}", sample.title);
                for (stored, shipped) in listing.photos.iter().zip(&photos) {
                    assert_eq!(stored.alt, shipped.alt);
                    assert_eq!(stored.image.widths.len(), 3, "{}", sample.title);
                }
            }
        }

        // The cooperative presents itself: its text, its colour, its logo.
        let presented = crate::services::cooperative::presented(&services(&t)).await.expect("the cooperative");
        assert_eq!(presented.cooperative.presentation.as_str(), profile.presentation);
        assert_eq!(presented.cooperative.accent, profile.accent);
        assert!(presented.cooperative.logo.is_some(), "{} has its logo", profile.slug);
        assert!(presented.presentation_html.contains("<h2>"), "{}", presented.presentation_html);

        let again = seed(&services(&t), profile).await.expect("seeding again");
        assert_eq!(again, SeedReport { already_seeded: true, members_created: 0, listings_created: 0 });
        assert_eq!(counts(&t.db).await, (member_count(profile) as i64, expected_listings as i64), "duplicates");
        t.close().await;
    }
}

/// A seeding stopped half-way (here: one member and one of their listings stored, no admin yet)
/// completes on the next run without duplicating what was there.
#[tokio::test]
async fn an_interrupted_seeding_resumes() {
    let profile = &PROFILES[1];
    let t = TempSqlite::migrated().await;
    let first = &profile.members[0];
    let registration = accounts::Registration {
        username: first.username.to_owned(),
        password: DEMO_PASSWORD.to_owned(),
        display_name: first.display_name.to_owned(),
        kind: "person".to_owned(),
        description: String::new(),
    };
    let member = accounts::register(
        &t.db,
        &registration,
        accounts::Origin::ByAdmin { role: crate::domain::member::Role::Member },
    )
    .await
    .expect("registering");
    listings::create(&services(&t), &member, &first.listings[0].input(&first.place, date!(2026 - 11 - 23)))
        .await
        .expect("one listing");

    let report = seed(&services(&t), profile).await.expect("resuming");
    let total = profile.listings().count();
    assert_eq!((report.members_created, report.listings_created), (member_count(profile) - 1, total - 1));
    assert_eq!(counts(&t.db).await, (member_count(profile) as i64, total as i64));
    assert_eq!(listings_of(&t.db, &member).await.len(), first.listings.len());
    t.close().await;
}
