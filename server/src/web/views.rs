//! View models: listings and members prepared for templates (labels translated, numbers and dates
//! written the reader's way).

use time::Date;

use crate::domain::ids::ImageId;
use crate::domain::link::WebLink;
use crate::domain::listing::{Listing, Price, PriceBasis, PriceCents, Purpose, Unit};
use crate::domain::photo::{AVATAR_WIDTHS, LOGO_WIDTHS, Photo, THUMBNAIL_WIDTH, file_name};
use crate::i18n::Tr;

/// A listing as a catalogue card or a detail page shows it.
#[derive(Debug, Clone)]
pub struct ListingView {
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
    /// The place on OpenStreetMap, when the listing has coordinates.
    pub map_url: Option<String>,
    pub distance: Option<String>,
    pub available: Option<String>,
    pub author_name: String,
    /// The author's profile: our page for a member, their page on their server for a remote
    /// author when it is a web page (`None` otherwise: the name is shown without a link).
    pub author_url: Option<String>,
    pub published: String,
    /// For a listing from a peered instance: that instance's `host[:port]` and the listing's page there.
    pub origin: Option<String>,
    pub origin_url: Option<WebLink>,
    /// The first photo a page may show, as a card shows it.
    pub cover: Option<Thumbnail>,
    /// Every photo a page may show, in their order, for the listing's own pages
    /// ([`ListingView::with_gallery`]); empty otherwise.
    pub photos: Vec<PhotoView>,
}

/// A photo as a card shows it: its small rendition, that rendition's size (so that the page keeps
/// its place while it loads) and the member's alt text (possibly empty: the card's title says it).
#[derive(Debug, Clone)]
pub struct Thumbnail {
    pub src: String,
    pub width: u32,
    pub height: u32,
    pub alt: String,
}

impl Thumbnail {
    fn new(photo: &Photo) -> Self {
        let image = &photo.image;
        let width = rendition(&image.offered_widths(), THUMBNAIL_WIDTH);
        Self { src: media_url(&image.id, width), width, height: image.height_at(width), alt: photo.alt.clone() }
    }
}

/// A photo as `<img>` needs it: its renditions as `srcset`, a default `src`, the size of that one
/// (so the page keeps its place while it loads), and its alt text.
#[derive(Debug, Clone)]
pub struct PhotoView {
    pub id: String,
    pub src: String,
    pub srcset: String,
    pub thumbnail: String,
    pub thumbnail_width: u32,
    pub thumbnail_height: u32,
    pub width: u32,
    pub height: u32,
    /// The largest rendition, which the gallery links to.
    pub full: String,
    /// The member's alt text, possibly empty.
    pub alt: String,
    /// The alt text, or « Photo 2 de l'annonce … » when there is none.
    pub label: String,
}

impl PhotoView {
    pub fn new(t: Tr, photo: &Photo, position: usize, title: &str) -> Self {
        let image = &photo.image;
        let widths = image.offered_widths();
        let url = |w: u32| media_url(&image.id, w);
        let (main, thumb) = (rendition(&widths, 640), rendition(&widths, THUMBNAIL_WIDTH));
        let full = widths.last().copied().unwrap_or(1);
        let label = if photo.alt.is_empty() {
            t.t1("photo.default_alt", "n", &(position + 1).to_string()).replace("{title}", title)
        } else {
            photo.alt.clone()
        };
        Self {
            id: image.id.to_string(),
            src: url(main),
            srcset: widths.iter().map(|w| format!("{} {w}w", url(*w))).collect::<Vec<_>>().join(", "),
            thumbnail: url(thumb),
            thumbnail_width: thumb,
            thumbnail_height: image.height_at(thumb),
            width: main,
            height: image.height_at(main),
            full: url(full),
            alt: photo.alt.clone(),
            label,
        }
    }
}

/// The address on our server of image `id`'s rendition `width` pixels wide: only ever our own
/// path, built from a checked id and a number, whatever server the image came from.
fn media_url(id: &ImageId, width: u32) -> String {
    format!("/media/{}", file_name(id, width))
}

/// The narrowest of `widths` (ascending) at least `wanted` wide, else the widest.
fn rendition(widths: &[u32], wanted: u32) -> u32 {
    widths.iter().copied().find(|w| *w >= wanted).or(widths.last().copied()).unwrap_or(1)
}

/// An avatar as `<img>` needs it: the small rendition (beside a name) and the large one (a profile
/// page, or a sharp screen).
#[derive(Debug, Clone)]
pub struct AvatarView {
    pub small: String,
    pub large: String,
}

impl AvatarView {
    pub fn new(id: &ImageId) -> Self {
        Self { small: media_url(id, AVATAR_WIDTHS[0]), large: media_url(id, AVATAR_WIDTHS[AVATAR_WIDTHS.len() - 1]) }
    }
}

/// The cooperative's logo as the header shows it.
pub fn logo_url(id: &ImageId) -> String {
    media_url(id, LOGO_WIDTHS[0])
}

/// The cooperative's logo at its largest (its front page, the administration page).
pub fn large_logo_url(id: &ImageId) -> String {
    media_url(id, LOGO_WIDTHS[LOGO_WIDTHS.len() - 1])
}

pub fn number(t: Tr, value: f64, decimals: usize) -> String {
    let text = format!("{value:.decimals$}");
    if t.code() == "fr" { text.replace('.', ",") } else { text }
}

/// A number with at most three decimals and no trailing zeros: `1`, `1,5` (fr), `0.25` (en).
pub fn decimal(t: Tr, value: f64) -> String {
    let text = number(t, value, 3);
    if text.contains([',', '.']) { text.trim_end_matches('0').trim_end_matches([',', '.']).to_owned() } else { text }
}

/// An amount of cents as a person types it: `12`, `12,50` (fr), `12.50` (en).
pub fn amount(t: Tr, cents: i64) -> String {
    if cents % 100 == 0 {
        return (cents / 100).to_string();
    }
    let separator = if t.code() == "fr" { ',' } else { '.' };
    format!("{}{separator}{:02}", cents / 100, cents % 100)
}

/// A price: `12,50 €` in French (with a no-break space), `€12.50` in English; whole euros
/// without decimals (`12 €`).
pub fn euros(t: Tr, cents: i64) -> String {
    let text = amount(t, cents);
    if t.code() == "fr" { format!("{text}\u{a0}€") } else { format!("€{text}") }
}

/// What a listing asks, as its reader says it: « Gratuit », « 1,50 € le kg », « 20 € de l'heure »,
/// « Prix libre (conseillé : 5 €) », « 12 € le panier · prix solidaire 6 € ».
pub fn price_text(t: Tr, price: Price, basis: PriceBasis, unit: Unit) -> String {
    let per_unit = basis == PriceBasis::PerUnit;
    let amount = |cents: PriceCents| {
        let text = euros(t, cents.cents());
        if per_unit { format!("{text}\u{a0}{}", t.t(&format!("per_unit.{unit}"))) } else { text }
    };
    match price {
        Price::Free => t.t("listing.free").to_owned(),
        Price::Fixed(cents) => amount(cents),
        Price::PayWhatYouCan { suggested: None } => t.t("price.pay_what_you_can").to_owned(),
        Price::PayWhatYouCan { suggested: Some(cents) } => {
            t.t1("price.pay_what_you_can_suggested", "amount", &amount(cents))
        }
        Price::Solidarity { full, reduced } => {
            t.t1("price.solidarity", "amount", &amount(full)).replace("{reduced}", &euros(t, reduced.cents()))
        }
    }
}

/// A coordinate as maps write it, with a dot and at most five decimals (about a metre): `50.63`.
pub fn coordinate(value: f64) -> String {
    let text = format!("{value:.5}");
    text.trim_end_matches('0').trim_end_matches('.').to_owned()
}

/// A date as the reader's language writes it: `1er décembre 2026`, `1 December 2026` (the day
/// and the month kept on one line).
pub fn long_date(t: Tr, date: Date) -> String {
    const MONTHS: [&str; 12] = [
        "month.january",
        "month.february",
        "month.march",
        "month.april",
        "month.may",
        "month.june",
        "month.july",
        "month.august",
        "month.september",
        "month.october",
        "month.november",
        "month.december",
    ];
    let month = t.t(MONTHS[usize::from(u8::from(date.month())) - 1]);
    match (t.code(), date.day()) {
        ("fr", 1) => format!("1er\u{a0}{month} {}", date.year()),
        _ => format!("{}\u{a0}{month} {}", date.day(), date.year()),
    }
}

/// The day of `ms` (Unix milliseconds) in the instance's time zone, written out.
pub fn date(t: Tr, ms: i64) -> String {
    t.zone.date(ms).map(|d| long_date(t, d)).unwrap_or_default()
}

/// The beginning of a description that a card shows: its first 180 characters, with « … » when
/// there is more.
fn excerpt(description: &str) -> String {
    match description.char_indices().nth(180) {
        Some((cut, _)) => format!("{}…", &description[..cut]),
        None => description.to_owned(),
    }
}

impl ListingView {
    /// Everything a page of the listing shows (its own page, the administration's list, an
    /// exchange's), with the cover photo.
    pub fn new(t: Tr, listing: &Listing, distance_km: Option<f64>) -> Self {
        let c = &listing.content;
        let point = c.location.as_ref().and_then(|l| l.point);
        let available = match (c.available_from, c.available_until) {
            (Some(from), Some(until)) => Some(
                t.t1("listing.available_between", "from", &long_date(t, from)).replace("{until}", &long_date(t, until)),
            ),
            (Some(from), None) => Some(t.t1("listing.available_from", "from", &long_date(t, from))),
            (None, Some(until)) => Some(t.t1("listing.available_until", "until", &long_date(t, until))),
            (None, None) => None,
        };
        Self {
            description: c.description.clone(),
            visibility: t.t(&format!("visibility.{}", c.visibility)),
            coordinates: point.map(|p| format!("{}, {}", coordinate(p.latitude), coordinate(p.longitude))),
            map_url: point.map(|p| {
                format!(
                    "https://www.openstreetmap.org/?mlat={lat:.5}&mlon={lon:.5}#map=15/{lat:.5}/{lon:.5}",
                    lat = p.latitude,
                    lon = p.longitude
                )
            }),
            available,
            ..Self::card(t, listing, distance_km)
        }
    }

    /// What a card of `listing_card.html` shows, and only that: its description, visibility, place
    /// on a map and availability are left empty, and of its photos only the cover is there (a
    /// catalogue page has fifty cards, and writing out what they do not show was a tenth of its
    /// time, then the gallery's renditions of each cover a twentieth). Pages that show more use
    /// [`Self::new`] and [`Self::with_gallery`].
    pub fn card(t: Tr, listing: &Listing, distance_km: Option<f64>) -> Self {
        let c = &listing.content;
        let excerpt = excerpt(&c.description);
        let quantity = c.quantity.map(|q| format!("{} {}", decimal(t, q.as_f64()), t.t(&format!("unit.{}", c.unit))));
        let place = c.location.as_ref().map(|l| l.name.clone()).filter(|n| !n.is_empty());
        Self {
            url: format!("/listings/{}", listing.id),
            title: c.title.clone(),
            description: String::new(),
            excerpt,
            is_offer: c.purpose == Purpose::Offer,
            purpose: t.t(&format!("purpose.{}", c.purpose)),
            mode: t.t(&format!("mode.{}", c.mode)),
            category: c.category.label(t.code()),
            status: t.t(&format!("status.{}", c.status)),
            status_code: c.status.as_str(),
            visibility: "",
            quantity,
            price: price_text(t, c.price, c.price_basis, c.unit),
            place,
            coordinates: None,
            map_url: None,
            distance: distance_km.map(|d| t.t1("listing.distance", "km", &number(t, d, 1))),
            available: None,
            author_name: listing.author.display_name.clone(),
            author_url: match &listing.origin {
                Some(origin) => origin
                    .author_page
                    .as_deref()
                    .and_then(WebLink::parse)
                    .or_else(|| WebLink::parse(&listing.author.id))
                    .map(|link| link.to_string()),
                None => Some(format!("/members/{}", listing.author.username)),
            },
            published: date(t, listing.created_at),
            origin: listing.origin.as_ref().map(|o| match &o.name {
                Some(name) if !name.trim().is_empty() => format!("{name} ({})", o.domain),
                _ => o.domain.clone(),
            }),
            origin_url: listing.origin.as_ref().and_then(|o| WebLink::parse(&o.page)),
            cover: listing.photos.iter().find(|p| p.image.shown()).map(Thumbnail::new),
            photos: Vec::new(),
        }
    }

    /// With every photo, for the listing's page and its photos page (a card needs its cover only,
    /// and a catalogue page has fifty cards).
    pub fn with_gallery(mut self, t: Tr, listing: &Listing) -> Self {
        self.photos = photo_views(t, listing).collect();
        self
    }
}

/// The views of the photos of `listing` a page may show, in their order.
fn photo_views<'a>(t: Tr, listing: &'a Listing) -> impl Iterator<Item = PhotoView> + 'a {
    let title = &listing.content.title;
    listing.photos.iter().filter(|p| p.image.shown()).enumerate().map(move |(n, p)| PhotoView::new(t, p, n, title))
}

#[cfg(test)]
mod tests {
    use time::macros::date as d;

    use super::*;
    use crate::i18n::Lang;

    fn fr() -> Tr {
        Tr::new(Lang::Fr)
    }

    fn en() -> Tr {
        Tr::new(Lang::En)
    }

    #[test]
    fn numbers_and_prices_read_the_local_way() {
        assert_eq!(decimal(fr(), 1.5), "1,5");
        assert_eq!(decimal(en(), 1.5), "1.5");
        assert_eq!(decimal(fr(), 10.0), "10");
        assert_eq!(decimal(en(), 0.125), "0.125");
        assert_eq!(amount(fr(), 1250), "12,50");
        assert_eq!(amount(en(), 1205), "12.05");
        assert_eq!(amount(fr(), 300), "3");
        assert_eq!(euros(fr(), 1250), "12,50\u{a0}€");
        assert_eq!(euros(en(), 5), "€0.05");
        assert_eq!(euros(fr(), 1200), "12\u{a0}€");
        assert_eq!(coordinate(50.63), "50.63");
        assert_eq!(coordinate(-3.0), "-3");
        assert_eq!(coordinate(3.123456), "3.12346");
    }

    #[test]
    fn prices_say_what_they_are_for() {
        let cents = |c| PriceCents::new("p", c).unwrap();
        let per = PriceBasis::PerUnit;
        let text = |t, price, basis, unit| price_text(t, price, basis, unit).replace('\u{a0}', " ");
        assert_eq!(text(fr(), Price::Fixed(cents(150)), per, Unit::Kg), "1,50 € le kg");
        assert_eq!(text(en(), Price::Fixed(cents(150)), per, Unit::Kg), "€1.50 per kg");
        assert_eq!(text(fr(), Price::Fixed(cents(2000)), per, Unit::Hour), "20 € de l'heure");
        assert_eq!(text(fr(), Price::Fixed(cents(9000)), PriceBasis::Total, Unit::Piece), "90 €");
        assert_eq!(text(en(), Price::Fixed(cents(800)), per, Unit::Piece), "€8 each");
        assert_eq!(text(fr(), Price::Free, PriceBasis::Total, Unit::Piece), "Gratuit");
        assert_eq!(
            text(fr(), Price::PayWhatYouCan { suggested: None }, PriceBasis::Total, Unit::Session),
            "Prix libre"
        );
        assert_eq!(
            text(fr(), Price::PayWhatYouCan { suggested: Some(cents(500)) }, per, Unit::Session),
            "Prix libre (conseillé : 5 € la séance)"
        );
        assert_eq!(
            text(en(), Price::PayWhatYouCan { suggested: Some(cents(500)) }, PriceBasis::Total, Unit::Session),
            "Pay what you can (suggested €5)"
        );
        let solidarity = Price::Solidarity { full: cents(1200), reduced: cents(600) };
        assert_eq!(text(fr(), solidarity, per, Unit::Basket), "12 € le panier · prix solidaire 6 €");
        assert_eq!(text(en(), solidarity, PriceBasis::Total, Unit::Basket), "€12 · solidarity price €6");
    }

    #[test]
    fn a_card_shows_the_first_180_characters_of_a_description() {
        let exact = "é".repeat(180);
        assert_eq!(excerpt(&exact), exact);
        assert_eq!(excerpt(&format!("{exact}à la suite")), format!("{exact}…"));
        assert_eq!(excerpt("Perceuse à prêter"), "Perceuse à prêter");
        assert_eq!(excerpt(""), "");
    }

    #[test]
    fn dates_are_written_out() {
        assert_eq!(long_date(fr(), d!(2026 - 12 - 01)), "1er\u{a0}décembre 2026");
        assert_eq!(long_date(fr(), d!(2026 - 08 - 15)), "15\u{a0}août 2026");
        assert_eq!(long_date(en(), d!(2026 - 12 - 01)), "1\u{a0}December 2026");
        // 2026-11-23T08:50:44Z
        assert_eq!(date(en(), 1_795_423_844_000), "23\u{a0}November 2026");
        // 2026-11-23T23:30:00Z is the 24th in Paris.
        assert_eq!(date(fr(), 1_795_476_600_000), "24\u{a0}novembre 2026");
        let months: Vec<String> = (1..=12)
            .map(|m| long_date(en(), Date::from_calendar_date(2026, m.try_into().unwrap(), 2).unwrap()))
            .collect();
        let names = "January February March April May June July August September October November December";
        assert_eq!(
            months.iter().map(|d| d.split(['\u{a0}', ' ']).nth(1).unwrap()).collect::<Vec<_>>().join(" "),
            names
        );
    }
}
