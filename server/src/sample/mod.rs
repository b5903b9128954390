//! Sample data: three cooperatives of the Métropole européenne de Lille, with their members and
//! listings, for `maillage demo`, for tests, and for the federation work to come.
//!
//! The data lives in one file per cooperative (`lending.rs`, `bikes.rs`, `grocery.rs`) as plain
//! constants; `seed.rs` inserts it through the services, so that whatever it stores is valid by
//! construction. Availability dates are given in days from the day of seeding, so that the sample
//! never looks stale.

use std::net::SocketAddr;
use std::path::Path;

use time::{Date, Duration};

use crate::config::{Config, InstanceConfig, RegistrationMode};
use crate::domain::cooperative::Accent;
use crate::domain::listing::{
    ListingInput, ListingStatus, Mode, NumberInput, PriceBasis, PriceInput, PriceKind, Purpose, Unit, Visibility,
    format_date,
};
use crate::domain::member::MemberKind;

mod bikes;
pub mod collectives;
pub mod exchanges;
mod grocery;
mod lending;
mod photos;
mod places;
mod seed;
#[cfg(test)]
mod tests;

pub use seed::{SeedReport, seed};

/// The password every sample member has. It is printed by `maillage demo`: never seed a real instance.
pub const DEMO_PASSWORD: &str = "demo-maillage-2026";

/// The three sample cooperatives, in the order `maillage demo` gives them ports.
pub static PROFILES: &[Profile] = &[lending::PROFILE, bikes::PROFILE, grocery::PROFILE];

/// One cooperative's instance: its identity, its admin and its members with their listings.
#[derive(Debug, Clone, Copy)]
pub struct Profile {
    /// A short name for directories and tests (`coop-du-pret`).
    pub slug: &'static str,
    pub name: &'static str,
    pub description: &'static str,
    /// What the front page says of the cooperative (Markdown-like, as an administrator writes it).
    pub presentation: &'static str,
    pub accent: Accent,
    /// The logo, a PNG drawn for the demo (`server/data/sample-logos/`).
    pub logo: &'static [u8],
    /// Created last, with no listings: its presence marks a completed seeding.
    pub admin: SampleMember,
    /// The first one is the member whose login `maillage demo` shows.
    pub members: &'static [SampleMember],
}

impl Profile {
    /// The configuration of this cooperative's instance on `127.0.0.1:port`, served as
    /// `localhost:port`, with its data in `data_root/<slug>/`.
    pub fn config(&self, data_root: &Path, port: u16) -> Config {
        Config {
            data_dir: data_root.join(self.slug),
            database_url: String::new(),
            bind: SocketAddr::from(([127, 0, 0, 1], port)),
            domain: format!("localhost:{port}"),
            instance: InstanceConfig {
                name: self.name.to_owned(),
                description: self.description.to_owned(),
                languages: vec!["fr".to_owned(), "en".to_owned()],
                registration: RegistrationMode::Open,
                ..InstanceConfig::default()
            },
            // The demo's instances peer with each other on loopback, over plain http.
            federation: crate::config::FederationConfig {
                policy: crate::config::PeeringPolicy::Open,
                insecure_local_federation: true,
                ..crate::config::FederationConfig::default()
            },
            ..Config::default()
        }
    }

    /// Every listing of the profile with its author.
    pub fn listings(&self) -> impl Iterator<Item = (&SampleMember, &SampleListing)> {
        std::iter::once(&self.admin)
            .chain(self.members)
            .flat_map(|member| member.listings.iter().map(move |listing| (member, listing)))
    }
}

/// A place with real coordinates.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Place {
    pub name: &'static str,
    pub latitude: f64,
    pub longitude: f64,
}

/// A member, person or organisation, and what they publish.
#[derive(Debug, Clone, Copy)]
pub struct SampleMember {
    pub username: &'static str,
    pub display_name: &'static str,
    pub kind: MemberKind,
    pub description: &'static str,
    /// Where the member is; also the place of their listings unless a listing says otherwise.
    pub place: Place,
    pub listings: &'static [SampleListing],
}

/// A listing, built with [`SampleListing::offer`] or [`SampleListing::need`] and the modifiers below.
#[derive(Debug, Clone, Copy)]
pub struct SampleListing {
    pub purpose: Purpose,
    pub mode: Mode,
    /// A category identifier from `domain::category`.
    pub category: &'static str,
    pub title: &'static str,
    pub description: &'static str,
    pub quantity: Option<f64>,
    pub unit: Unit,
    pub price_kind: PriceKind,
    /// The price, the full one of a solidarity price, the suggested one of a « prix libre ».
    pub price_cents: Option<i64>,
    pub reduced_price_cents: Option<i64>,
    pub price_basis: PriceBasis,
    /// `None`: the author's place.
    pub place: Option<Place>,
    /// Days from the day of seeding.
    pub available_from_day: Option<i64>,
    pub available_until_day: Option<i64>,
    pub status: ListingStatus,
    pub visibility: Visibility,
}

impl SampleListing {
    const fn new(
        purpose: Purpose,
        mode: Mode,
        category: &'static str,
        title: &'static str,
        text: &'static str,
    ) -> Self {
        Self {
            purpose,
            mode,
            category,
            title,
            description: text,
            quantity: None,
            unit: if matches!(mode, Mode::Service) { Unit::Session } else { Unit::Piece },
            price_kind: PriceKind::Free,
            price_cents: None,
            reduced_price_cents: None,
            price_basis: PriceBasis::Total,
            place: None,
            available_from_day: None,
            available_until_day: None,
            status: ListingStatus::Active,
            visibility: Visibility::Public,
        }
    }

    /// "Ce que je propose".
    pub const fn offer(mode: Mode, category: &'static str, title: &'static str, text: &'static str) -> Self {
        Self::new(Purpose::Offer, mode, category, title, text)
    }

    /// "Ce que je cherche".
    pub const fn need(mode: Mode, category: &'static str, title: &'static str, text: &'static str) -> Self {
        Self::new(Purpose::Request, mode, category, title, text)
    }

    pub const fn quantity(self, amount: f64, unit: Unit) -> Self {
        Self { quantity: Some(amount), unit, ..self }
    }

    /// A fixed price for the whole listing (or, with [`Self::per_unit`], for each unit).
    pub const fn price_cents(self, cents: i64) -> Self {
        Self { price_kind: PriceKind::Fixed, price_cents: Some(cents), ..self }
    }

    /// « Prix libre », with an amount suggested or not.
    pub const fn pay_what_you_can(self, suggested_cents: Option<i64>) -> Self {
        Self { price_kind: PriceKind::PayWhatYouCan, price_cents: suggested_cents, ..self }
    }

    /// « Prix solidaire »: the price, and the reduced one for members who qualify.
    pub const fn solidarity(self, full_cents: i64, reduced_cents: i64) -> Self {
        Self {
            price_kind: PriceKind::Solidarity,
            price_cents: Some(full_cents),
            reduced_price_cents: Some(reduced_cents),
            ..self
        }
    }

    /// The price is for each unit of the quantity (« 1,50 € le kg »).
    pub const fn per_unit(self) -> Self {
        Self { price_basis: PriceBasis::PerUnit, ..self }
    }

    /// Counted in `unit` with no quantity given (a service by the hour).
    pub const fn counted_in(self, unit: Unit) -> Self {
        Self { unit, ..self }
    }

    pub const fn at(self, place: Place) -> Self {
        Self { place: Some(place), ..self }
    }

    /// Available from `from` days after seeding until `until` days after it.
    pub const fn window(self, from: i64, until: i64) -> Self {
        Self { available_from_day: Some(from), available_until_day: Some(until), ..self }
    }

    /// Available from `from` days after seeding, with no end.
    pub const fn from_day(self, from: i64) -> Self {
        Self { available_from_day: Some(from), ..self }
    }

    pub const fn reserved(self) -> Self {
        Self { status: ListingStatus::Reserved, ..self }
    }

    pub const fn closed(self) -> Self {
        Self { status: ListingStatus::Closed, ..self }
    }

    /// Visible to members of the instance only.
    pub const fn members_only(self) -> Self {
        Self { visibility: Visibility::Instance, ..self }
    }

    /// The listing as a member would submit it, published by someone at `home` on `today`.
    pub fn input(&self, home: &Place, today: Date) -> ListingInput {
        let place = self.place.unwrap_or(*home);
        let day = |offset: i64| format_date(today.saturating_add(Duration::days(offset)));
        ListingInput {
            purpose: self.purpose.as_str().to_owned(),
            mode: self.mode.as_str().to_owned(),
            category: self.category.to_owned(),
            title: self.title.to_owned(),
            description: self.description.to_owned(),
            quantity: self.quantity.map(NumberInput::Number),
            unit: Some(self.unit.as_str().to_owned()),
            price_kind: Some(self.price_kind.as_str().to_owned()),
            price: self.price_cents.map(PriceInput::Cents),
            reduced_price: self.reduced_price_cents.map(PriceInput::Cents),
            price_basis: Some(self.price_basis.as_str().to_owned()),
            location_name: Some(place.name.to_owned()),
            latitude: Some(NumberInput::Number(place.latitude)),
            longitude: Some(NumberInput::Number(place.longitude)),
            available_from: self.available_from_day.map(day),
            available_until: self.available_until_day.map(day),
            status: Some(self.status.as_str().to_owned()),
            visibility: Some(self.visibility.as_str().to_owned()),
            collective: None,
        }
    }
}
