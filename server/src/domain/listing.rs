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
    Visibility, "visibility" {
        Public => "public",
        Peers => "peers",
        Instance => "instance",
        Collective => "collective",
    }
);
string_enum!(
    /// Units of quantity (DESIGN §2); each maps to an OM2 unit on the wire, or, for those OM2 has
    /// not (a session, a basket), to OM2's `one` with our own name beside it.
    Unit, "unit" {
        Piece => "piece", Kg => "kg", Tonne => "t", Litre => "litre", SquareMetre => "m2",
        CubicMetre => "m3", Kwh => "kwh", Hour => "hour", Day => "day", Session => "session",
        Basket => "basket",
    }
);

impl Unit {
    /// What a service is counted in: time, never pieces.
    pub const FOR_SERVICES: &'static [Unit] = &[Unit::Hour, Unit::Session, Unit::Day];

    /// The unit a listing gets when none is chosen.
    pub fn default_for(mode: Mode) -> Self {
        if mode == Mode::Service { Unit::Session } else { Unit::Piece }
    }
}

string_enum!(
    /// What a price asks: nothing, a fixed amount, what the receiver can pay (« prix libre »), or a
    /// fixed amount with a reduced one for members who qualify (« prix solidaire »).
    PriceKind, "price_kind" {
        Free => "free", Fixed => "fixed", PayWhatYouCan => "pay_what_you_can", Solidarity => "solidarity",
    }
);
string_enum!(
    /// Whether a price is for the whole listing or for each unit of its quantity (« 1,50 € le kg »).
    PriceBasis, "price_basis" { Total => "total", PerUnit => "per_unit" }
);

/// What a listing asks in return, in euros.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Price {
    Free,
    Fixed(PriceCents),
    /// « Prix libre »: the receiver pays what they can, with an amount suggested or not.
    PayWhatYouCan {
        suggested: Option<PriceCents>,
    },
    /// « Prix solidaire »: the price, and a lower one for members who qualify.
    Solidarity {
        full: PriceCents,
        reduced: PriceCents,
    },
}

/// The names of the two amount fields in the input that gave them (`price`, `reduced_price` in a
/// form; `price_cents`, `reduced_price_cents` in the API), for errors that point at them.
#[derive(Debug, Clone, Copy)]
pub struct PriceFields {
    pub amount: &'static str,
    pub reduced: &'static str,
}

impl Price {
    /// A price from its kind and amounts, as given or as stored. With no kind (an API client or a
    /// peer that only sends an amount), an amount above zero is a fixed price and none is free.
    pub fn from_parts(
        kind: Option<PriceKind>,
        amount: Option<PriceCents>,
        reduced: Option<PriceCents>,
        fields: PriceFields,
    ) -> Result<Self, FieldError> {
        let amount = amount.filter(|a| a.cents() > 0);
        let reduced = reduced.filter(|r| r.cents() > 0);
        let kind = kind.unwrap_or(if amount.is_some() { PriceKind::Fixed } else { PriceKind::Free });
        if reduced.is_some() && kind != PriceKind::Solidarity {
            return Err(FieldError::new(fields.reduced, "error.reduced_price_solidarity_only"));
        }
        match kind {
            PriceKind::Free if amount.is_some() => Err(FieldError::new(fields.amount, "error.price_for_free")),
            PriceKind::Free => Ok(Price::Free),
            PriceKind::Fixed => {
                amount.map(Price::Fixed).ok_or_else(|| FieldError::new(fields.amount, "error.price_required"))
            }
            PriceKind::PayWhatYouCan => Ok(Price::PayWhatYouCan { suggested: amount }),
            PriceKind::Solidarity => {
                let full = amount.ok_or_else(|| FieldError::new(fields.amount, "error.price_required"))?;
                let reduced = reduced.ok_or_else(|| FieldError::new(fields.reduced, "error.reduced_price_required"))?;
                if reduced >= full {
                    return Err(FieldError::new(fields.reduced, "error.reduced_price_lower"));
                }
                Ok(Price::Solidarity { full, reduced })
            }
        }
    }

    pub fn kind(self) -> PriceKind {
        match self {
            Price::Free => PriceKind::Free,
            Price::Fixed(_) => PriceKind::Fixed,
            Price::PayWhatYouCan { .. } => PriceKind::PayWhatYouCan,
            Price::Solidarity { .. } => PriceKind::Solidarity,
        }
    }

    /// The amount: the fixed price, the full one of a solidarity price, the suggested one of a
    /// « prix libre ».
    pub fn amount(self) -> Option<PriceCents> {
        match self {
            Price::Free | Price::PayWhatYouCan { suggested: None } => None,
            Price::Fixed(a) | Price::PayWhatYouCan { suggested: Some(a) } | Price::Solidarity { full: a, .. } => {
                Some(a)
            }
        }
    }

    pub fn reduced(self) -> Option<PriceCents> {
        match self {
            Price::Solidarity { reduced, .. } => Some(reduced),
            _ => None,
        }
    }

    pub fn is_free(self) -> bool {
        self == Price::Free
    }
}

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

/// An amount in euro cents.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
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
    /// `free`, `fixed`, `pay_what_you_can` or `solidarity`; when not given, an amount means fixed.
    pub price_kind: Option<String>,
    /// The price, the suggested amount of a « prix libre », or the full one of a solidarity price.
    pub price: Option<PriceInput>,
    /// A solidarity price's reduced amount.
    pub reduced_price: Option<PriceInput>,
    /// `total` (the default) or `per_unit`.
    pub price_basis: Option<String>,
    pub location_name: Option<String>,
    pub latitude: Option<NumberInput>,
    pub longitude: Option<NumberInput>,
    pub available_from: Option<String>,
    pub available_until: Option<String>,
    pub status: Option<String>,
    pub visibility: Option<String>,
    /// The collective a listing of visibility `collective` is published to: its id.
    pub collective: Option<String>,
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

/// An amount as typed (euros) or as the API gives it (cents); blank is not given.
fn parse_amount(field: &'static str, value: &Option<PriceInput>) -> Result<Option<PriceCents>, FieldError> {
    match value {
        None => Ok(None),
        Some(PriceInput::Euros(t)) if t.trim().is_empty() => Ok(None),
        Some(PriceInput::Cents(c)) => PriceCents::new(field, *c).map(Some),
        Some(PriceInput::Euros(t)) => PriceCents::parse_euros(field, t).map(Some),
    }
}

/// The price and what it is for, with every problem of the price fields. A price per unit needs
/// a price and a unit chosen (`unit` is the parsed unit, `None` when it was refused).
fn parse_price(input: &ListingInput, unit: Option<Unit>) -> Result<(Price, PriceBasis), Vec<FieldError>> {
    let typed =
        matches!(input.price, Some(PriceInput::Euros(_))) || matches!(input.reduced_price, Some(PriceInput::Euros(_)));
    let fields = if typed {
        PriceFields { amount: "price", reduced: "reduced_price" }
    } else {
        PriceFields { amount: "price_cents", reduced: "reduced_price_cents" }
    };
    let mut errors = FieldErrors::default();
    let kind = non_empty(&input.price_kind).map(PriceKind::parse).transpose();
    let kind = errors.take(kind);
    let amount = errors.take(parse_amount(fields.amount, &input.price));
    let reduced = errors.take(parse_amount(fields.reduced, &input.reduced_price));
    let basis = errors.take(non_empty(&input.price_basis).map_or(Ok(PriceBasis::Total), PriceBasis::parse));
    let (Some(kind), Some(amount), Some(reduced), Some(basis)) = (kind, amount, reduced, basis) else {
        return Err(errors.0);
    };
    let price = errors.take(Price::from_parts(kind, amount, reduced, fields));
    if let Some(price) = price
        && basis == PriceBasis::PerUnit
    {
        if price.is_free() {
            errors.push(FieldError::new("price_basis", "error.per_unit_needs_price"));
        } else if non_empty(&input.unit).is_none() && unit.is_some() {
            errors.push(FieldError::new("unit", "error.per_unit_needs_unit"));
        }
    }
    match price {
        Some(price) if errors.is_empty() => Ok((price, if price.is_free() { PriceBasis::Total } else { basis })),
        _ => Err(errors.0),
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
    pub price: Price,
    /// Always `Total` for a free listing.
    pub price_basis: PriceBasis,
    pub location: Option<Location>,
    pub available_from: Option<Date>,
    pub available_until: Option<Date>,
    pub status: ListingStatus,
    pub visibility: Visibility,
    /// With visibility `collective`, the collective it is published to (seen by its members alone).
    pub collective: Option<super::ids::CollectiveId>,
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
        let unit = match (non_empty(&input.unit), mode) {
            (None, mode) => Some(Unit::default_for(mode.unwrap_or(Mode::Give))),
            (Some(u), mode) => errors.take(Unit::parse(u).and_then(|unit| match mode {
                Some(Mode::Service) if !Unit::FOR_SERVICES.contains(&unit) => {
                    Err(FieldError::new("unit", "error.unit_for_service"))
                }
                _ => Ok(unit),
            })),
        };
        let (price, price_basis) = errors.take_all(parse_price(input, unit)).unzip();
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
        let collective = match (visibility, non_empty(&input.collective)) {
            (Some(Visibility::Collective), None) => {
                errors.push(FieldError::new("collective", "error.required"));
                None
            }
            (Some(Visibility::Collective), Some(id)) => {
                let id = super::ids::CollectiveId::parse(id.trim());
                if id.is_none() {
                    errors.push(FieldError::new("collective", "error.collective_not_yours"));
                }
                id
            }
            _ => None,
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
            price_basis,
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
                Some(price_basis),
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
                price,
                price_basis,
                location,
                available_from,
                available_until,
                status,
                visibility,
                collective,
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
            price_kind: None,
            price: None,
            reduced_price: None,
            price_basis: None,
            location_name: Some("Lille".into()),
            latitude: Some(NumberInput::Number(50.63)),
            longitude: Some(NumberInput::Number(3.06)),
            available_from: Some("2026-12-01".into()),
            available_until: None,
            status: None,
            visibility: None,
            collective: None,
        }
    }

    fn fields(input: &ListingInput) -> Vec<&'static str> {
        ListingDraft::parse(input).err().unwrap_or_default().iter().map(|e| e.field).collect()
    }

    fn priced(
        kind: &str,
        price: Option<i64>,
        reduced: Option<i64>,
        basis: &str,
        unit: &str,
    ) -> Result<(Price, PriceBasis), Vec<&'static str>> {
        let input = ListingInput {
            price_kind: Some(kind.into()),
            price: price.map(PriceInput::Cents),
            reduced_price: reduced.map(PriceInput::Cents),
            price_basis: Some(basis.into()),
            unit: Some(unit.into()),
            ..valid()
        };
        ListingDraft::parse(&input)
            .map(|d| (d.price, d.price_basis))
            .map_err(|errors| errors.iter().map(|e| e.field).collect())
    }

    #[test]
    fn prices_have_a_kind_and_a_basis() {
        let cents = |c| PriceCents::new("p", c).unwrap();
        assert_eq!(
            priced("fixed", Some(150), None, "per_unit", "kg"),
            Ok((Price::Fixed(cents(150)), PriceBasis::PerUnit))
        );
        assert_eq!(
            priced("pay_what_you_can", None, None, "total", "piece"),
            Ok((Price::PayWhatYouCan { suggested: None }, PriceBasis::Total))
        );
        assert_eq!(
            priced("solidarity", Some(1200), Some(600), "per_unit", "basket"),
            Ok((Price::Solidarity { full: cents(1200), reduced: cents(600) }, PriceBasis::PerUnit))
        );
        assert_eq!(priced("free", None, None, "total", "piece"), Ok((Price::Free, PriceBasis::Total)));
        // No kind given (an API client of before, a peer): an amount is a fixed price, none free.
        let input = ListingInput { price_kind: None, price: Some(PriceInput::Cents(500)), ..valid() };
        assert_eq!(ListingDraft::parse(&input).map(|d| d.price).ok(), Some(Price::Fixed(cents(500))));
        assert_eq!(ListingDraft::parse(&valid()).map(|d| d.price).ok(), Some(Price::Free));
    }

    #[test]
    fn price_mistakes_name_their_field() {
        assert_eq!(priced("free", Some(100), None, "total", "piece"), Err(vec!["price_cents"]));
        assert_eq!(priced("fixed", None, None, "total", "piece"), Err(vec!["price_cents"]));
        assert_eq!(priced("solidarity", Some(1200), None, "total", "piece"), Err(vec!["reduced_price_cents"]));
        assert_eq!(priced("solidarity", Some(1200), Some(1200), "total", "piece"), Err(vec!["reduced_price_cents"]));
        assert_eq!(priced("fixed", Some(1200), Some(600), "total", "piece"), Err(vec!["reduced_price_cents"]));
        assert_eq!(priced("free", None, None, "per_unit", "piece"), Err(vec!["price_basis"]));
        assert_eq!(priced("gratis", None, None, "monthly", "piece"), Err(vec!["price_kind", "price_basis"]));
        let no_unit = ListingInput {
            unit: None,
            price_basis: Some("per_unit".into()),
            price: Some(PriceInput::Cents(100)),
            ..valid()
        };
        let fields: Vec<_> = ListingDraft::parse(&no_unit).err().unwrap_or_default().iter().map(|e| e.field).collect();
        assert_eq!(fields, ["unit"]);
    }

    #[test]
    fn services_are_counted_in_time() {
        let service =
            |unit: Option<&str>| ListingInput { mode: "service".into(), unit: unit.map(Into::into), ..valid() };
        assert_eq!(ListingDraft::parse(&service(None)).map(|d| d.unit).ok(), Some(Unit::Session));
        assert_eq!(ListingDraft::parse(&service(Some("hour"))).map(|d| d.unit).ok(), Some(Unit::Hour));
        let fields: Vec<_> =
            ListingDraft::parse(&service(Some("piece"))).err().unwrap_or_default().iter().map(|e| e.field).collect();
        assert_eq!(fields, ["unit"]);
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
    /// Their picture: a member's avatar, another server's actor's icon.
    pub avatar: Option<super::ids::ImageId>,
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
    /// In their order, the first being the cover.
    pub photos: Vec<super::photo::Photo>,
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
            price_kind: Some(c.price.kind().as_str().to_owned()),
            price: c.price.amount().map(|p| PriceInput::Cents(p.cents())),
            reduced_price: c.price.reduced().map(|p| PriceInput::Cents(p.cents())),
            price_basis: Some(c.price_basis.as_str().to_owned()),
            location_name: c.location.as_ref().map(|l| l.name.clone()),
            latitude: point.map(|p| NumberInput::Number(p.latitude)),
            longitude: point.map(|p| NumberInput::Number(p.longitude)),
            available_from: c.available_from.map(format_date),
            available_until: c.available_until.map(format_date),
            status: Some(c.status.as_str().to_owned()),
            visibility: Some(c.visibility.as_str().to_owned()),
            collective: c.collective.as_ref().map(|id| id.as_str().to_owned()),
        }
    }
}
