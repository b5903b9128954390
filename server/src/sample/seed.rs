//! Inserting a sample profile through the services, idempotently.
//!
//! Members come first, each followed by their listings, and the admin last: an existing admin means
//! an earlier seeding finished, and nothing is done (so that listings people deleted or edited during
//! a demo stay as they left them). A seeding that was interrupted resumes where it stopped: members
//! that exist are reused, and listings whose author already has one with the same title are skipped.

use std::collections::HashSet;

use anyhow::Context;

use super::{DEMO_PASSWORD, Profile, SampleMember};
use crate::domain::geo::Location;
use crate::domain::member::{Member, Role};
use crate::error::AppError;
use crate::i18n::{Lang, render};
use crate::services::accounts::{self, Origin, Registration};
use crate::services::{Services, catalogue, cooperative, listings, photos, pictures};
use crate::storage::Db;

/// What a seeding did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SeedReport {
    /// The profile's admin already existed: the database was seeded before and was left alone.
    pub already_seeded: bool,
    pub members_created: usize,
    pub listings_created: usize,
}

/// Inserts `profile`'s members and listings into the (migrated) database, unless it holds them
/// already. Seeding comes before any peering or follower: the listings' `Create`s go nowhere.
pub async fn seed(services: &Services, profile: &Profile) -> anyhow::Result<SeedReport> {
    let db = services.db();
    let mut report = SeedReport::default();
    if accounts::find(db, profile.admin.username).await.map_err(explain)?.is_some() {
        report.already_seeded = true;
        return Ok(report);
    }
    // The cooperative's day, in its time zone, as the exchanges count it.
    let today = crate::services::exchanges::today(services);
    // In reverse, so that the catalogue (newest first) shows the listings in the order written.
    for sample in profile.members.iter().rev().chain(std::iter::once(&profile.admin)) {
        let role = if sample.username == profile.admin.username { Role::Admin } else { Role::Member };
        let member = match accounts::find(db, sample.username).await.map_err(explain)? {
            Some(member) => member,
            None => {
                report.members_created += 1;
                register(services, sample, role).await.with_context(|| format!("seeding member {}", sample.username))?
            }
        };
        let existing = titles(db, &member).await?;
        for listing in sample.listings.iter().rev().filter(|l| !existing.contains(l.title)) {
            let created = listings::create(services, &member, &listing.input(&sample.place, today))
                .await
                .map_err(explain)
                .with_context(|| format!("seeding listing {:?} of {}", listing.title, sample.username))?;
            for photo in super::photos::of(listing.title) {
                photos::add(services, &created.id, &member, photo.bytes.to_vec(), photo.alt)
                    .await
                    .map_err(explain)
                    .with_context(|| format!("seeding a photo of {:?}", listing.title))?;
            }
            report.listings_created += 1;
        }
    }
    present(services, profile).await.context("seeding the cooperative's presentation and logo")?;
    tracing::info!(
        instance = profile.slug,
        members = report.members_created,
        listings = report.listings_created,
        "sample data seeded"
    );
    Ok(report)
}

/// The cooperative's presentation, colour and logo, set by its admin (created last, just before).
async fn present(services: &Services, profile: &Profile) -> anyhow::Result<()> {
    let admin = accounts::find(services.db(), profile.admin.username)
        .await
        .map_err(explain)?
        .context("the admin was just created")?;
    cooperative::set_presentation(services, &admin, profile.presentation, profile.accent.as_str())
        .await
        .map_err(explain)?;
    pictures::set_logo(services, &admin, Some(profile.logo.to_vec())).await.map_err(explain)?;
    Ok(())
}

async fn register(services: &Services, sample: &SampleMember, role: Role) -> anyhow::Result<Member> {
    let registration = Registration {
        username: sample.username.to_owned(),
        password: DEMO_PASSWORD.to_owned(),
        display_name: sample.display_name.to_owned(),
        kind: sample.kind.as_str().to_owned(),
        description: sample.description.to_owned(),
    };
    let member = accounts::register(services.db(), &registration, Origin::ByAdmin { role }).await.map_err(explain)?;
    let place = sample.place;
    let location = Location::parse(Some(place.name), Some(place.latitude), Some(place.longitude));
    accounts::update_profile(services, &member, sample.display_name, sample.description, location)
        .await
        .map_err(explain)
}

/// The titles of everything `member` has published, whatever its status or visibility.
async fn titles(db: &Db, member: &Member) -> anyhow::Result<HashSet<String>> {
    let mut titles = HashSet::new();
    for page in 1.. {
        let found = catalogue::by_member(db, member, Some(member), page).await.map_err(explain)?;
        titles.extend(found.items.into_iter().map(|f| f.listing.content.title));
        if !found.has_more {
            break;
        }
    }
    Ok(titles)
}

/// A service error as an operator reads it: the message and each field in English; for a failure of
/// ours (database, I/O), the internal cause too, which only `Debug` shows.
fn explain(error: AppError) -> anyhow::Error {
    let mut text = render(Lang::En, &error.message);
    for field in &error.fields {
        text.push_str(&format!("; {}: {}", field.field, render(Lang::En, &field.message)));
    }
    if error.status.is_server_error() {
        text.push_str(&format!(" ({error:?})"));
    }
    anyhow::anyhow!(text)
}
