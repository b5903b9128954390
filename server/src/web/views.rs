//! View models: listings and members prepared for templates (labels translated, numbers formatted).

use crate::domain::listing::{Listing, Purpose};
use crate::i18n::Tr;

/// A listing as a catalogue card or a detail page shows it.
#[derive(Debug, Clone)]
pub struct ListingView {
    pub id: String,
    pub url: String,
    pub title: String,
    pub description: String,
    pub excerpt: String,
    pub is_offer: bool,
    pub purpose: &'static str,
    pub mode: &'static str,
    pub category: &'static str,
    pub status: &'static str,
    pub status_code: &'static str,
    pub visibility: &'static str,
    pub quantity: Option<String>,
    pub price: String,
    pub place: Option<String>,
    pub coordinates: Option<String>,
    pub distance: Option<String>,
    pub available: Option<String>,
    pub author_name: String,
    pub author_url: String,
    pub published: String,
}

pub fn number(t: Tr, value: f64, decimals: usize) -> String {
    let text = format!("{value:.decimals$}");
    if t.code() == "fr" { text.replace('.', ",") } else { text }
}

pub fn euros(t: Tr, cents: i64) -> String {
    let text = format!("{}.{:02}", cents / 100, cents % 100);
    if t.code() == "fr" { format!("{} €", text.replace('.', ",")) } else { format!("€{text}") }
}

/// A unix-millisecond time as a date (UTC), `2026-11-23`.
pub fn date(ms: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(ms / 1000)
        .map(|t| crate::domain::listing::format_date(t.date()))
        .unwrap_or_default()
}

impl ListingView {
    pub fn new(t: Tr, listing: &Listing, distance_km: Option<f64>) -> Self {
        let c = &listing.content;
        let excerpt: String = c.description.chars().take(180).collect();
        let excerpt = if c.description.chars().count() > 180 { format!("{excerpt}…") } else { excerpt };
        let quantity = c.quantity.map(|q| {
            format!(
                "{} {}",
                number(t, q.as_f64(), 3).trim_end_matches('0').trim_end_matches([',', '.']),
                t.t(&format!("unit.{}", c.unit))
            )
        });
        let place = c.location.as_ref().map(|l| l.name.clone()).filter(|n| !n.is_empty());
        let coordinates =
            c.location.as_ref().and_then(|l| l.point).map(|p| format!("{:.5}, {:.5}", p.latitude, p.longitude));
        let available = match (c.available_from, c.available_until) {
            (Some(from), Some(until)) => Some(
                t.t1("listing.available_between", "from", &crate::domain::listing::format_date(from))
                    .replace("{until}", &crate::domain::listing::format_date(until)),
            ),
            (Some(from), None) => {
                Some(t.t1("listing.available_from", "from", &crate::domain::listing::format_date(from)))
            }
            (None, Some(until)) => {
                Some(t.t1("listing.available_until", "until", &crate::domain::listing::format_date(until)))
            }
            (None, None) => None,
        };
        Self {
            id: listing.id.clone(),
            url: format!("/listings/{}", listing.id),
            title: c.title.clone(),
            description: c.description.clone(),
            excerpt,
            is_offer: c.purpose == Purpose::Offer,
            purpose: t.t(&format!("purpose.{}", c.purpose)),
            mode: t.t(&format!("mode.{}", c.mode)),
            category: c.category.label(t.code()),
            status: t.t(&format!("status.{}", c.status)),
            status_code: c.status.as_str(),
            visibility: t.t(&format!("visibility.{}", c.visibility)),
            quantity,
            price: c.price.map_or_else(|| t.t("listing.free").to_owned(), |p| euros(t, p.cents())),
            place,
            coordinates,
            distance: distance_km.map(|d| t.t1("listing.distance", "km", &number(t, d, 1))),
            available,
            author_name: listing.author.display_name.clone(),
            author_url: format!("/members/{}", listing.author.username),
            published: date(listing.created_at),
        }
    }
}
