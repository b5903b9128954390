//! The JSON shapes the API answers with. Times are RFC 3339 UTC strings; URLs are absolute.

use serde::Serialize;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::config::Config;
use crate::domain::category::CATEGORIES;
use crate::domain::ids::{ListingId, MemberId};
use crate::domain::link::WebLink;
use crate::domain::listing::{Listing, format_date};
use crate::domain::member::Member;
use crate::domain::photo::AVATAR_WIDTHS;
use crate::i18n::Tr;

/// Absolute URLs of this instance's pages and API resources.
#[derive(Debug, Clone)]
pub struct Links {
    /// The public URL, ending with `/`.
    base: String,
}

impl Links {
    pub fn new(config: &Config) -> Self {
        Self { base: config.public_url().to_string() }
    }

    /// `path` without a leading slash: `listings/ID`.
    pub fn page(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn api(&self, path: &str) -> String {
        format!("{}api/v1/{path}", self.base)
    }

    pub fn member(&self, username: &str) -> String {
        self.page(&format!("members/{username}"))
    }

    pub fn listing(&self, id: &ListingId) -> String {
        self.page(&format!("listings/{id}"))
    }

    /// An image's rendition `width` pixels wide.
    pub fn media(&self, image: &crate::domain::ids::ImageId, width: u32) -> String {
        self.page(&format!("media/{}", crate::domain::photo::file_name(image, width)))
    }
}

/// A listing's photo: its id (for `PATCH` and `DELETE …/photos/{photo}`), its alt text, and each
/// width it is served at.
#[derive(Debug, Serialize)]
pub struct PhotoJson {
    pub id: crate::domain::ids::ImageId,
    pub alt: String,
    /// The size of the largest rendition.
    pub width: u32,
    pub height: u32,
    /// The largest rendition's URL.
    pub url: String,
    pub renditions: Vec<RenditionJson>,
}

#[derive(Debug, Serialize)]
pub struct RenditionJson {
    pub width: u32,
    pub height: u32,
    pub url: String,
}

impl PhotoJson {
    pub fn new(links: &Links, photo: &crate::domain::photo::Photo) -> Self {
        let image = &photo.image;
        let widths = image.offered_widths();
        let largest = widths.last().copied().unwrap_or(image.width);
        Self {
            id: image.id.clone(),
            alt: photo.alt.clone(),
            width: largest,
            height: image.height_at(largest),
            url: links.media(&image.id, largest),
            renditions: widths
                .iter()
                .map(|w| RenditionJson { width: *w, height: image.height_at(*w), url: links.media(&image.id, *w) })
                .collect(),
        }
    }
}

/// Unix milliseconds as an RFC 3339 UTC time (`2026-11-23T08:07:40.123Z`).
pub fn rfc3339(ms: i64) -> String {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_default()
}

#[derive(Debug, Serialize)]
pub struct MemberJson {
    pub id: MemberId,
    pub username: String,
    pub display_name: String,
    pub kind: &'static str,
    pub role: &'static str,
    pub status: &'static str,
    /// The member's profile page.
    pub url: String,
    /// Their picture, when they have one.
    pub avatar: Option<PictureJson>,
}

/// A picture (an avatar, the logo) at its two widths: beside a name, and on its own.
#[derive(Debug, Serialize)]
pub struct PictureJson {
    pub small: String,
    pub large: String,
}

impl PictureJson {
    /// `image` at the smallest and the largest of the `widths` it is kept at.
    pub fn new(links: &Links, image: &crate::domain::ids::ImageId, widths: &[u32]) -> Self {
        let (small, large) = (widths.first().copied().unwrap_or_default(), widths.last().copied().unwrap_or_default());
        Self { small: links.media(image, small), large: links.media(image, large) }
    }
}

impl MemberJson {
    pub fn new(links: &Links, member: &Member) -> Self {
        Self {
            id: member.id.clone(),
            username: member.username.to_string(),
            display_name: member.display_name.clone(),
            kind: member.kind.as_str(),
            role: member.role.as_str(),
            status: member.status.as_str(),
            url: links.member(member.username.as_str()),
            avatar: member.avatar.as_ref().map(|avatar| PictureJson::new(links, avatar, &AVATAR_WIDTHS)),
        }
    }
}

#[derive(Debug, Serialize)]
pub struct MemberList {
    pub items: Vec<MemberJson>,
}

#[derive(Debug, Serialize)]
pub struct SessionJson {
    pub token: String,
    pub member: MemberJson,
}

#[derive(Debug, Serialize)]
pub struct CategoryJson {
    pub id: &'static str,
    pub parent: Option<&'static str>,
    /// In the request's language.
    pub label: &'static str,
    pub label_fr: &'static str,
    pub label_en: &'static str,
}

#[derive(Debug, Serialize)]
pub struct CategoryList {
    pub items: Vec<CategoryJson>,
}

impl CategoryList {
    pub fn new(t: Tr) -> Self {
        let items = CATEGORIES
            .iter()
            .map(|c| CategoryJson {
                id: c.id,
                parent: c.parent,
                label: c.label(t.code()),
                label_fr: c.label_fr,
                label_en: c.label_en,
            })
            .collect();
        Self { items }
    }
}

#[derive(Debug, Serialize)]
pub struct LocationJson {
    /// May be empty when only coordinates were given.
    pub name: String,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
}

#[derive(Debug, Serialize)]
pub struct AuthorJson {
    pub username: String,
    pub display_name: String,
    pub url: String,
}

#[derive(Debug, Serialize)]
pub struct OriginJson {
    /// The instance's `host[:port]`.
    pub instance: String,
    /// The listing's page on its own instance.
    pub url: String,
}

#[derive(Debug, Serialize)]
pub struct ListingJson {
    pub id: ListingId,
    /// The listing's HTML page.
    pub url: String,
    pub purpose: &'static str,
    pub mode: &'static str,
    pub category: &'static str,
    pub category_label: &'static str,
    pub title: String,
    pub description: String,
    pub quantity: Option<f64>,
    pub unit: &'static str,
    /// `free`, `fixed`, `pay_what_you_can` (« prix libre ») or `solidarity` (« prix solidaire »).
    pub price_kind: &'static str,
    /// The price, the full one of a solidarity price, the suggested one of a « prix libre »;
    /// `null` when free or when nothing is suggested.
    pub price_cents: Option<i64>,
    /// A solidarity price's reduced amount, else `null`.
    pub reduced_price_cents: Option<i64>,
    /// `total` (for the whole listing) or `per_unit` (for each unit of its quantity).
    pub price_basis: &'static str,
    pub location: Option<LocationJson>,
    pub available_from: Option<String>,
    pub available_until: Option<String>,
    pub status: &'static str,
    pub visibility: &'static str,
    /// With visibility `collective`: the collective's id.
    pub collective: Option<String>,
    pub author: AuthorJson,
    /// In their order, the first being the cover.
    pub photos: Vec<PhotoJson>,
    /// For a listing from a peered instance: that instance and the listing's page there.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub origin: Option<OriginJson>,
    pub created_at: String,
    pub updated_at: String,
    /// Only in searches near a point: kilometres from it, to 0.1 km.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub distance_km: Option<f64>,
}

impl ListingJson {
    pub fn new(links: &Links, t: Tr, listing: &Listing, distance_km: Option<f64>) -> Self {
        let c = &listing.content;
        let point = c.location.as_ref().and_then(|l| l.point);
        Self {
            id: listing.id.clone(),
            url: links.listing(&listing.id),
            purpose: c.purpose.as_str(),
            mode: c.mode.as_str(),
            category: c.category.id,
            category_label: c.category.label(t.code()),
            title: c.title.clone(),
            description: c.description.clone(),
            quantity: c.quantity.map(|q| q.as_f64()),
            unit: c.unit.as_str(),
            price_kind: c.price.kind().as_str(),
            price_cents: c.price.amount().map(|p| p.cents()),
            reduced_price_cents: c.price.reduced().map(|p| p.cents()),
            price_basis: c.price_basis.as_str(),
            location: c.location.as_ref().map(|l| LocationJson {
                name: l.name.clone(),
                latitude: point.map(|p| p.latitude),
                longitude: point.map(|p| p.longitude),
            }),
            available_from: c.available_from.map(format_date),
            available_until: c.available_until.map(format_date),
            status: c.status.as_str(),
            visibility: c.visibility.as_str(),
            collective: c.collective.as_ref().map(|id| id.as_str().to_owned()),
            author: AuthorJson {
                username: listing.author.username.clone(),
                display_name: listing.author.display_name.clone(),
                // Links from another server only when they are web links (a row stored before
                // federation checked them may hold anything), else the ActivityPub id.
                url: match &listing.origin {
                    Some(origin) => origin
                        .author_page
                        .as_deref()
                        .and_then(WebLink::parse)
                        .map_or_else(|| listing.author.id.clone(), |link| link.to_string()),
                    None => links.member(&listing.author.username),
                },
            },
            photos: listing.photos.iter().filter(|p| p.image.shown()).map(|p| PhotoJson::new(links, p)).collect(),
            origin: listing.origin.as_ref().map(|o| OriginJson {
                instance: o.domain.clone(),
                url: WebLink::parse(&o.page).map_or_else(|| o.ap_id.clone(), |link| link.to_string()),
            }),
            created_at: rfc3339(listing.created_at),
            updated_at: rfc3339(listing.updated_at),
            distance_km: distance_km.map(|d| (d * 10.0).round() / 10.0),
        }
    }
}

#[derive(Debug, Serialize)]
pub struct ListingPage {
    pub items: Vec<ListingJson>,
    pub page: i64,
    pub per_page: i64,
    pub has_more: bool,
    /// The absolute URL of the next page, with the same filters; `null` on the last page.
    pub next: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_rfc3339_utc() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_795_421_260_123), "2026-11-23T08:07:40.123Z");
    }

    #[test]
    fn links_are_absolute() {
        let links = Links::new(&Config::default());
        let id = crate::domain::ids::ListingId::new();
        assert_eq!(links.listing(&id), format!("http://localhost:8080/listings/{id}"));
        assert_eq!(links.member("camille"), "http://localhost:8080/members/camille");
        assert_eq!(links.api("listings/abc"), "http://localhost:8080/api/v1/listings/abc");
    }
}
