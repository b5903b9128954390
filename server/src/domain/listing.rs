//! Listings: offers ("ce que je propose") and needs ("ce que je cherche").

use time::Date;
use time::macros::format_description;

use super::FieldError;
use super::category::{self, Category};
use super::geo::Location;
use super::message::FieldErrors;
use super::text::{bounded, is_blank};

string_enum!(
    /// An offer or a need (FEP-0837 `purpose`).
    Purpose, "purpose" { Offer => "offer", Request => "request" }
);
string_enum!(
    /// How the thing changes hands.
    Mode, "mode" {
        Lend => "lend", Give => "give", Swap => "swap", Sell => "sell", Service => "service", Share => "share",
    }
);
string_enum!(
    ListingStatus, "status" { Active => "active", Reserved => "reserved", Closed => "closed" }
);
string_enum!(
    /// Who may see a listing: everyone, members of this and peered instances, or this instance only.
    Visibility, "visibility" { Public => "public", Peers => "peers", Instance => "instance" }
);
string_enum!(
    /// Units of quantity (DESIGN §2); each maps to an OM2 unit on the wire.
    Unit, "unit" {
        Piece => "piece", Kg => "kg", Tonne => "t", Litre => "litre", SquareMetre => "m2",
        CubicMetre => "m3", Kwh => "kwh", Hour => "hour",
    }
);

/// A quantity in thousandths of its unit, so that "1,5 t" is stored exactly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Quantity(i64);

impl Quantity {
    const MAX_MILLI: i64 = 1_000_000_000_000; // one billion units

    pub fn from_milli(milli: i64) -> Self {
        Self(milli)
    }

    pub fn milli(self) -> i64 {
        self.0
    }

    pub fn parse_number(field: &'static str, value: f64) -> Result<Self, FieldError> {
        if !value.is_finite() || value <= 0.0 {
            return Err(FieldError::new(field, "error.quantity_positive"));
        }
        let milli = (value * 1000.0).round();
        if milli < 1.0 || milli > Self::MAX_MILLI as f64 {
            return Err(FieldError::new(field, "error.quantity_range"));
        }
        Ok(Self(milli as i64))
    }

    /// Parses a form field, accepting the French decimal comma ("1,5").
    pub fn parse_text(field: &'static str, value: &str) -> Result<Self, FieldError> {
        let number: f64 = value.trim().replace(',', ".").parse().map_err(|_| FieldError::new(field, "error.number"))?;
        Self::parse_number(field, number)
    }

    pub fn as_f64(self) -> f64 {
        self.0 as f64 / 1000.0
    }
}

impl std::fmt::Display for Quantity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (whole, frac) = (self.0 / 1000, self.0 % 1000);
        if frac == 0 {
            write!(f, "{whole}")
        } else {
            let digits = format!("{frac:03}");
            write!(f, "{whole}.{}", digits.trim_end_matches('0'))
        }
    }
}

/// A price in euro cents; `None` on a listing means free.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PriceCents(i64);

impl PriceCents {
    const MAX: i64 = 10_000_000_000; // 100 million euros, in cents

    pub fn new(field: &'static str, cents: i64) -> Result<Self, FieldError> {
        if (0..=Self::MAX).contains(&cents) {
            Ok(Self(cents))
        } else {
            Err(FieldError::new(field, "error.price_range"))
        }
    }

    /// Parses euros as typed in a form: "12", "12,50", "12.5".
    pub fn parse_euros(field: &'static str, value: &str) -> Result<Self, FieldError> {
        let value = value.trim().replace(',', ".");
        let invalid = || FieldError::new(field, "error.price_format");
        let (units, cents) = match value.split_once('.') {
            Some((u, c)) if c.len() <= 2 && !c.is_empty() => (u, format!("{c:0<2}")),
            Some(_) => return Err(invalid()),
            None => (value.as_str(), "00".to_owned()),
        };
        if units.is_empty() || !units.bytes().all(|b| b.is_ascii_digit()) || units.len() > 12 {
            return Err(invalid());
        }
        let units: i64 = units.parse().map_err(|_| invalid())?;
        let cents: i64 = cents.parse().map_err(|_| invalid())?;
        Self::new(field, units * 100 + cents)
    }

    pub fn cents(self) -> i64 {
        self.0
    }
}

/// Parses a date given as input (a form, the API, another server): `YYYY-MM-DD` with a four-digit
/// year, nothing else — no sign, no fifth digit (`-0001-01-01` and `+10000-01-01` are refused).
pub fn parse_input_date(field: &'static str, value: &str) -> Result<Date, FieldError> {
    let value = value.trim();
    let shape = value.len() == 10
        && value.bytes().enumerate().all(|(i, b)| if i == 4 || i == 7 { b == b'-' } else { b.is_ascii_digit() });
    if !shape {
        return Err(FieldError::new(field, "error.date_format"));
    }
    parse_date(field, value)
}

/// Reads a date as stored (`[year]-[month]-[day]`), whatever its year: a row written before
/// [`parse_input_date`] checked years must still load. Input goes through [`parse_input_date`].
pub fn parse_date(field: &'static str, value: &str) -> Result<Date, FieldError> {
    Date::parse(value.trim(), format_description!("[year]-[month]-[day]"))
        .map_err(|_| FieldError::new(field, "error.date_format"))
}

pub fn format_date(date: Date) -> String {
    date.format(format_description!("[year]-[month]-[day]")).unwrap_or_default()
}

/// What a member submits to create or edit a listing, before validation. Form and JSON handlers
/// both fill this in; numbers typed in forms arrive as text and are parsed here.
#[derive(Debug, Clone, Default)]
pub struct ListingInput {
    pub purpose: String,
    pub mode: String,
    pub category: String,
    pub title: String,
    pub description: String,
    pub quantity: Option<NumberInput>,
    pub unit: Option<String>,
    pub price: Option<PriceInput>,
    pub location_name: Option<String>,
    pub latitude: Option<NumberInput>,
    pub longitude: Option<NumberInput>,
    pub available_from: Option<String>,
    pub available_until: Option<String>,
    pub status: Option<String>,
    pub visibility: Option<String>,
}

/// A number as JSON gives it or as a person typed it.
#[derive(Debug, Clone, PartialEq)]
pub enum NumberInput {
    Number(f64),
    Text(String),
}

/// A price as the API gives it (cents) or as a person typed it (euros).
#[derive(Debug, Clone, PartialEq)]
pub enum PriceInput {
    Cents(i64),
    Euros(String),
}

fn parse_coordinate(field: &'static str, value: &NumberInput) -> Result<f64, FieldError> {
    match value {
        NumberInput::Number(n) => Ok(*n),
        NumberInput::Text(t) => t.trim().replace(',', ".").parse().map_err(|_| FieldError::new(field, "error.number")),
    }
}

/// A field given and not blank (made of invisible characters only counts as not given).
fn non_empty(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|v| !is_blank(v))
}

/// A valid listing's content, ready to store.
#[derive(Debug, Clone, PartialEq)]
pub struct ListingDraft {
    pub purpose: Purpose,
    pub mode: Mode,
    pub category: &'static Category,
    pub title: String,
    pub description: String,
    pub quantity: Option<Quantity>,
    pub unit: Unit,
    pub price: Option<PriceCents>,
    pub location: Option<Location>,
    pub available_from: Option<Date>,
    pub available_until: Option<Date>,
    pub status: ListingStatus,
    pub visibility: Visibility,
}

impl ListingDraft {
    pub const TITLE_MIN: usize = 3;
    pub const TITLE_MAX: usize = 120;
    pub const DESCRIPTION_MAX: usize = 5000;

    /// Validates every field and reports every problem at once.
    pub fn parse(input: &ListingInput) -> Result<Self, Vec<FieldError>> {
        let mut errors = FieldErrors::default();
        let purpose = errors.take(Purpose::parse(&input.purpose));
        let mode = errors.take(Mode::parse(&input.mode));
        let category = errors.take(category::parse("category", &input.category));
        let title = errors.take(bounded("title", &input.title, Self::TITLE_MIN, Self::TITLE_MAX));
        let description = errors.take(bounded("description", &input.description, 0, Self::DESCRIPTION_MAX));
        let quantity = match &input.quantity {
            None => Some(None),
            Some(NumberInput::Text(t)) if t.trim().is_empty() => Some(None),
            Some(NumberInput::Number(n)) => errors.take(Quantity::parse_number("quantity", *n).map(Some)),
            Some(NumberInput::Text(t)) => errors.take(Quantity::parse_text("quantity", t).map(Some)),
        };
        let unit = match non_empty(&input.unit) {
            None => Some(Unit::Piece),
            Some(u) => errors.take(Unit::parse(u)),
        };
        let price = match &input.price {
            None => Some(None),
            Some(PriceInput::Euros(t)) if t.trim().is_empty() => Some(None),
            Some(PriceInput::Cents(c)) => errors.take(PriceCents::new("price_cents", *c).map(Some)),
            Some(PriceInput::Euros(t)) => errors.take(PriceCents::parse_euros("price", t).map(Some)),
        };
        let latitude = match &input.latitude {
            Some(NumberInput::Text(t)) if t.trim().is_empty() => Some(None),
            None => Some(None),
            Some(v) => errors.take(parse_coordinate("location.latitude", v).map(Some)),
        };
        let longitude = match &input.longitude {
            Some(NumberInput::Text(t)) if t.trim().is_empty() => Some(None),
            None => Some(None),
            Some(v) => errors.take(parse_coordinate("location.longitude", v).map(Some)),
        };
        let location = match (latitude, longitude) {
            (Some(lat), Some(lon)) => errors.take(Location::parse(input.location_name.as_deref(), lat, lon)).flatten(),
            _ => None,
        };
        let available_from = match non_empty(&input.available_from) {
            None => Some(None),
            Some(d) => errors.take(parse_input_date("available_from", d).map(Some)),
        };
        let available_until = match non_empty(&input.available_until) {
            None => Some(None),
            Some(d) => errors.take(parse_input_date("available_until", d).map(Some)),
        };
        if let (Some(Some(from)), Some(Some(until))) = (available_from, available_until)
            && until < from
        {
            errors.push(FieldError::new("available_until", "error.dates_order"));
        }
        let status = match non_empty(&input.status) {
            None => Some(ListingStatus::Active),
            Some(s) => errors.take(ListingStatus::parse(s)),
        };
        let visibility = match non_empty(&input.visibility) {
            None => Some(Visibility::Public),
            Some(v) => errors.take(Visibility::parse(v)),
        };
        match (
            purpose,
            mode,
            category,
            title,
            description,
            quantity,
            unit,
            price,
            available_from,
            available_until,
            status,
            visibility,
        ) {
            (
                Some(purpose),
                Some(mode),
                Some(category),
                Some(title),
                Some(description),
                Some(quantity),
                Some(unit),
                Some(price),
                Some(available_from),
                Some(available_until),
                Some(status),
                Some(visibility),
            ) if errors.is_empty() => Ok(Self {
                purpose,
                mode,
                category,
                title,
                description,
                quantity,
                unit,
                price: price.filter(|p| p.cents() > 0),
                location,
                available_from,
                available_until,
                status,
                visibility,
            }),
            _ => Err(errors.0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn valid() -> ListingInput {
        ListingInput {
            purpose: "offer".into(),
            mode: "lend".into(),
            category: "bikes-repair".into(),
            title: "Vélo cargo à prêter".into(),
            description: "Biporteur, révisé".into(),
            quantity: Some(NumberInput::Number(1.0)),
            unit: Some("piece".into()),
            price: None,
            location_name: Some("Lille".into()),
            latitude: Some(NumberInput::Number(50.63)),
            longitude: Some(NumberInput::Number(3.06)),
            available_from: Some("2026-12-01".into()),
            available_until: None,
            status: None,
            visibility: None,
        }
    }

    fn fields(input: &ListingInput) -> Vec<&'static str> {
        ListingDraft::parse(input).err().unwrap_or_default().iter().map(|e| e.field).collect()
    }

    #[test]
    fn a_valid_listing_parses_with_defaults() {
        let draft = ListingDraft::parse(&valid()).expect("valid");
        assert_eq!(draft.purpose, Purpose::Offer);
        assert_eq!(draft.status, ListingStatus::Active);
        assert_eq!(draft.visibility, Visibility::Public);
        assert_eq!(draft.quantity, Some(Quantity::from_milli(1000)));
        assert_eq!(draft.location.and_then(|l| l.point).map(|p| p.latitude), Some(50.63));
    }

    #[test]
    fn every_bad_field_is_reported_at_once() {
        let mut input = valid();
        input.purpose = "sell".into();
        input.title = "ab".into();
        input.category = "spaceships".into();
        input.quantity = Some(NumberInput::Number(-2.0));
        input.unit = Some("furlong".into());
        input.latitude = Some(NumberInput::Number(123.0));
        input.available_from = Some("2026-12-10".into());
        input.available_until = Some("2026-12-01".into());
        let got = fields(&input);
        for field in ["purpose", "title", "category", "quantity", "unit", "location.latitude", "available_until"] {
            assert!(got.contains(&field), "{field} missing from {got:?}");
        }
    }

    #[test]
    fn french_numbers_parse() {
        assert_eq!(Quantity::parse_text("q", "1,5").map(Quantity::milli), Ok(1500));
        assert_eq!(Quantity::from_milli(1500).to_string(), "1.5");
        assert_eq!(Quantity::from_milli(2000).to_string(), "2");
        assert_eq!(PriceCents::parse_euros("p", "12,5").map(PriceCents::cents), Ok(1250));
        assert_eq!(PriceCents::parse_euros("p", "3").map(PriceCents::cents), Ok(300));
        assert!(PriceCents::parse_euros("p", "1.234").is_err());
        assert!(PriceCents::parse_euros("p", "-3").is_err());
        assert!(PriceCents::new("p", -1).is_err());
        assert!(parse_date("d", "2026-02-30").is_err());
    }

    #[test]
    fn input_dates_have_a_four_digit_year() {
        assert_eq!(parse_input_date("d", " 2026-12-01 ").map(format_date).as_deref(), Ok("2026-12-01"));
        for bad in [
            "-0001-01-01",
            "+10000-01-01",
            "+2026-12-01",
            "12026-12-01",
            "226-12-01",
            "2026-1-01",
            "2026-02-30",
            "２０２６-12-01",
            "",
        ] {
            assert_eq!(
                parse_input_date("available_from", bad).map_err(|e| (e.field, e.message.key)),
                Err(("available_from", "error.date_format")),
                "{bad:?}"
            );
        }
        // What was stored before years were checked still reads.
        assert!(parse_date("d", "-0001-01-01").is_ok());
    }
}

/// Who published a listing, as shown beside it.
#[derive(Debug, Clone, PartialEq)]
pub struct Author {
    pub id: String,
    pub username: String,
    pub display_name: String,
}

impl Author {
    /// Whether this member of ours wrote the listing (a remote author's id is a URL, never a
    /// member's id).
    pub fn is(&self, member: &super::ids::MemberId) -> bool {
        self.id == member.as_str()
    }
}

/// Where a listing received from a peered instance comes from.
#[derive(Debug, Clone, PartialEq)]
pub struct Origin {
    /// The instance's `host[:port]`.
    pub domain: String,
    /// The listing's ActivityPub id.
    pub ap_id: String,
    /// Its page on its own instance.
    pub page: String,
    /// The author's profile page there, when known.
    pub author_page: Option<String>,
    /// The cooperative's name, when it is a peer we know.
    pub name: Option<String>,
}

/// A listing as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Listing {
    pub id: super::ids::ListingId,
    /// For a listing from another instance, `username` is `user@host` and `id` the actor's id.
    pub author: Author,
    pub content: ListingDraft,
    /// `None` for our own members' listings.
    pub origin: Option<Origin>,
    pub created_at: i64,
    pub updated_at: i64,
}

impl Listing {
    /// The listing as editable input, so that a partial update (API `PATCH`) can overlay its changes
    /// and validate the whole again.
    pub fn to_input(&self) -> ListingInput {
        let c = &self.content;
        let point = c.location.as_ref().and_then(|l| l.point);
        ListingInput {
            purpose: c.purpose.as_str().to_owned(),
            mode: c.mode.as_str().to_owned(),
            category: c.category.id.to_owned(),
            title: c.title.clone(),
            description: c.description.clone(),
            quantity: c.quantity.map(|q| NumberInput::Number(q.as_f64())),
            unit: Some(c.unit.as_str().to_owned()),
            price: c.price.map(|p| PriceInput::Cents(p.cents())),
            location_name: c.location.as_ref().map(|l| l.name.clone()),
            latitude: point.map(|p| NumberInput::Number(p.latitude)),
            longitude: point.map(|p| NumberInput::Number(p.longitude)),
            available_from: c.available_from.map(format_date),
            available_until: c.available_until.map(format_date),
            status: Some(c.status.as_str().to_owned()),
            visibility: Some(c.visibility.as_str().to_owned()),
        }
    }
}
