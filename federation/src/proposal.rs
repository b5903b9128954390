//! Listings on the wire: FEP-0837 `Proposal` objects.
//!
//! A listing is sent as `"type": ["Proposal", "Note"]`: software that knows FEP-0837 reads the
//! proposal, and software that does not (Mastodon and the like) sees a `Note` with a title (`name`),
//! an HTML text (`content`) and a link to the listing's page (`url`). The primary intent says what is
//! offered or requested (its action follows the mode: a loan is `transferCustody`, a service
//! `deliverService`, a shared use `use`, anything else `transfer`), the reciprocal intent the price in
//! euros. A price per unit (« 1,50 € le kg ») is a unit-based proposal (`unitBased: true`): the
//! primary intent's `resourceQuantity` is one unit, its `availableQuantity` the quantity on offer,
//! and the reciprocal intent the price of one unit. A « prix libre » is a reciprocal intent in euros
//! with no amount (FEP-0837: any amount may be answered). Terms FEP-0837 does not define (mode,
//! status, the kind of price, a suggested or reduced amount, units OM 2 has not) are ours, in our
//! JSON-LD context.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use url::Url;

use crate::vocab::{Attachment, Place, one_or_many};

/// The stable IRI of a category of the shipped taxonomy: the same on every instance.
pub fn category_iri(id: &str) -> String {
    format!("urn:maillage:category:{id}")
}

/// The category id inside a category IRI of ours.
pub fn category_from_iri(iri: &str) -> Option<&str> {
    iri.strip_prefix("urn:maillage:category:")
}

/// Wikidata's item for the euro, the currency of a reciprocal intent.
pub const EURO: &str = "https://www.wikidata.org/wiki/Q4916";

/// A listing's content in plain values, what the server gives to build a proposal and gets back
/// from a received one (which it then validates with its own domain rules).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ListingData {
    pub purpose: String,
    pub mode: String,
    pub category: String,
    pub title: String,
    /// Plain text (it is escaped into HTML on the way out).
    pub description: String,
    pub quantity: Option<f64>,
    pub unit: String,
    /// `free`, `fixed`, `pay_what_you_can` or `solidarity`; `None` from software that does not say
    /// (an amount then means fixed, none free).
    pub price_kind: Option<String>,
    /// The price (of one unit when `per_unit`), the full one of a solidarity price, the suggested
    /// one of a « prix libre ».
    pub price_cents: Option<i64>,
    /// A solidarity price's reduced amount.
    pub reduced_price_cents: Option<i64>,
    /// Whether the price is for each unit of the quantity rather than for the whole listing.
    pub per_unit: bool,
    pub location_name: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub available_from: Option<String>,
    pub available_until: Option<String>,
    pub status: String,
    /// The listing's photos, in order (the first is its cover).
    pub photos: Vec<PhotoData>,
}

/// A photo of a listing: where its largest rendition is, its size, and what it shows in words.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PhotoData {
    pub url: Option<Url>,
    pub media_type: String,
    pub width: Option<u32>,
    pub height: Option<u32>,
    /// The alt text (`name`), empty when there is none.
    pub alt: String,
}

/// `attachment`: one object or a list; what is not an image we can show is left out.
fn attachments<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<Attachment>, D::Error> {
    Ok(match Option::<serde_json::Value>::deserialize(deserializer)? {
        Some(serde_json::Value::Array(items)) => items.iter().filter_map(Attachment::read).collect(),
        Some(item @ serde_json::Value::Object(_)) => Attachment::read(&item).into_iter().collect(),
        _ => Vec::new(),
    })
}

/// `["Proposal", "Note"]` on the way out; on the way in, any `type` that names `Proposal`.
#[derive(Debug, Clone, PartialEq)]
pub struct ProposalType;

impl Serialize for ProposalType {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        ["Proposal", "Note"].serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for ProposalType {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = serde_json::Value::deserialize(deserializer)?;
        let names_proposal = match &value {
            serde_json::Value::String(s) => s == "Proposal",
            serde_json::Value::Array(items) => items.iter().any(|i| i.as_str() == Some("Proposal")),
            _ => false,
        };
        if names_proposal { Ok(ProposalType) } else { Err(serde::de::Error::custom("not a Proposal")) }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Measure {
    pub has_unit: String,
    /// A decimal number as text, as FEP-0837 writes it.
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "number_as_text")]
    pub has_numerical_value: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Intent {
    #[serde(rename = "type")]
    pub kind: String,
    pub id: Url,
    pub action: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_conforms_to: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_quantity: Option<Measure>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub available_quantity: Option<Measure>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Proposal {
    #[serde(rename = "type")]
    pub kind: ProposalType,
    pub id: Url,
    pub attributed_to: Url,
    pub purpose: String,
    /// The title: RECOMMENDED by FEP-0837, so it may be missing (then the text's start stands in).
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub content: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "crate::vocab::deserialize_url")]
    pub url: Option<Url>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated: Option<String>,
    #[serde(default, deserialize_with = "one_or_many")]
    pub to: Vec<Url>,
    #[serde(default, deserialize_with = "one_or_many", skip_serializing_if = "Vec::is_empty")]
    pub cc: Vec<Url>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<Place>,
    pub publishes: Intent,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reciprocal: Option<Intent>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit_based: Option<bool>,
    /// `startTime` / `endTime`: the availability window (AS2 terms), days sent as their midnight UTC.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_time: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_time: Option<String>,
    /// Ours: how the thing changes hands (`lend`, `give`, `swap`, `sell`, `service`, `share`).
    #[serde(default, skip_serializing_if = "Option::is_none", rename = "maillage:mode", alias = "mode")]
    pub mode: Option<String>,
    /// Ours: `active` or `reserved` (closed listings are deleted from the network).
    #[serde(default, skip_serializing_if = "Option::is_none", rename = "maillage:status", alias = "status")]
    pub status: Option<String>,
    /// Ours: `pay_what_you_can` or `solidarity`, beside a reciprocal intent (an amount alone is a
    /// fixed price).
    #[serde(default, skip_serializing_if = "Option::is_none", rename = "maillage:priceKind")]
    pub price_kind: Option<String>,
    /// Ours: the amount suggested for a « prix libre », in euros as a decimal text.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "maillage:suggestedPrice",
        deserialize_with = "number_as_text"
    )]
    pub suggested_price: Option<String>,
    /// Ours: the reduced amount of a « prix solidaire », in euros as a decimal text.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "maillage:reducedPrice",
        deserialize_with = "number_as_text"
    )]
    pub reduced_price: Option<String>,
    /// Ours: the unit when OM 2 has no name for it (a session, a basket), `hasUnit` being `one`.
    #[serde(default, skip_serializing_if = "Option::is_none", rename = "maillage:unit")]
    pub unit: Option<String>,
    /// The photos, as `Image` attachments.
    #[serde(default, skip_serializing_if = "Vec::is_empty", deserialize_with = "attachments")]
    pub attachment: Vec<Attachment>,
}

fn number_as_text<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
    Ok(match Option::<serde_json::Value>::deserialize(deserializer)? {
        Some(serde_json::Value::String(s)) => Some(s),
        Some(serde_json::Value::Number(n)) => Some(n.to_string()),
        _ => None,
    })
}

/// Our unit names and the Ontology of units of Measure (OM 2) names FEP-0837 uses.
const UNITS: &[(&str, &str)] = &[
    ("piece", "one"),
    ("kg", "kilogram"),
    ("t", "tonne"),
    ("litre", "litre"),
    ("m2", "squareMetre"),
    ("m3", "cubicMetre"),
    ("kwh", "kilowattHour"),
    ("hour", "hour"),
    ("day", "day"),
    ("m", "metre"),
];

/// Our units OM 2 has no name for: sent as `one`, with `maillage:unit` beside.
const UNITS_WITHOUT_OM2: &[&str] = &["session", "basket"];

pub fn om2_unit(unit: &str) -> String {
    if UNITS_WITHOUT_OM2.contains(&unit) {
        return "one".to_owned();
    }
    UNITS.iter().find(|(ours, _)| *ours == unit).map_or(unit, |(_, om2)| om2).to_owned()
}

pub fn unit_from_om2(om2: &str) -> String {
    UNITS.iter().find(|(_, theirs)| *theirs == om2).map_or(om2, |(ours, _)| ours).to_owned()
}

/// The Valueflows action of a listing's primary intent.
pub fn action_of_mode(mode: &str) -> &'static str {
    match mode {
        "lend" => "transferCustody",
        "service" => "deliverService",
        "share" => "use",
        _ => "transfer",
    }
}

/// A mode for a proposal from software that does not send ours.
fn mode_of_action(action: &str, has_price: bool) -> &'static str {
    match action {
        "transferCustody" => "lend",
        "deliverService" => "service",
        "use" => "share",
        _ if has_price => "sell",
        _ => "give",
    }
}

/// Euro cents as FEP-0837 writes an amount: `12.50`.
fn euros(cents: i64) -> String {
    format!("{}.{:02}", cents / 100, cents % 100)
}

/// An amount in euros, as text, in cents; `None` when it is not a number of euros we can hold.
fn cents_of(value: &str) -> Option<i64> {
    let euros = value.trim().parse::<f64>().ok().filter(|e| e.is_finite() && *e >= 0.0 && *e < 1e12)?;
    Some((euros * 100.0).round() as i64)
}

fn decimal(value: f64) -> String {
    let text = format!("{value:.3}");
    text.trim_end_matches('0').trim_end_matches('.').to_owned()
}

/// A plain text safe to put in HTML.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// Minimal HTML for a plain text: escaped, paragraphs and line breaks kept.
pub fn text_to_html(text: &str) -> String {
    escape(text)
        .split("\n\n")
        .filter(|p| !p.trim().is_empty())
        .map(|p| format!("<p>{}</p>", p.trim().replace('\n', "<br>")))
        .collect()
}

/// Everything needed to publish one listing.
pub struct ProposalParts<'a> {
    pub id: Url,
    pub author: Url,
    pub page: Url,
    pub data: &'a ListingData,
    pub published: String,
    pub updated: Option<String>,
    pub to: Vec<Url>,
    pub cc: Vec<Url>,
}

impl Proposal {
    pub fn build(parts: ProposalParts<'_>) -> Self {
        let d = parts.data;
        let intent = |fragment: &str| {
            let mut id = parts.id.clone();
            id.set_fragment(Some(fragment));
            id
        };
        let has_unit = om2_unit(&d.unit);
        let quantity = Measure { has_unit: has_unit.clone(), has_numerical_value: d.quantity.map(decimal) };
        let kind = d.price_kind.as_deref().unwrap_or(if d.price_cents.is_some() { "fixed" } else { "free" });
        let pay_what_you_can = kind == "pay_what_you_can";
        // A « prix libre » asks for euros without saying how many; the suggestion is ours.
        let asked = if pay_what_you_can { None } else { d.price_cents.filter(|c| *c > 0) };
        let reciprocal = (asked.is_some() || pay_what_you_can).then(|| Intent {
            kind: "Intent".to_owned(),
            id: intent("reciprocal"),
            action: "transfer".to_owned(),
            resource_conforms_to: Some(EURO.to_owned()),
            resource_quantity: Some(Measure { has_unit: "one".to_owned(), has_numerical_value: asked.map(euros) }),
            available_quantity: None,
        });
        let per_unit = d.per_unit && reciprocal.is_some();
        // Unit-based, the primary intent is one unit, for the price of the reciprocal one.
        let primary_quantity = if per_unit {
            Measure { has_unit: has_unit.clone(), has_numerical_value: Some("1".to_owned()) }
        } else {
            quantity.clone()
        };
        let location = match (&d.location_name, d.latitude, d.longitude) {
            (None, None, None) => None,
            (name, latitude, longitude) => {
                Some(Place { kind: "Place".to_owned(), name: name.clone(), latitude, longitude })
            }
        };
        // Readers that show a `Note` show its `content` only (Mastodon does): the title leads it,
        // and a link to the page ends it. `to_listing_data` takes both away again.
        let mut content = format!("<p><strong>{}</strong></p>", escape(&d.title));
        content.push_str(&text_to_html(&d.description));
        content.push_str(&format!("<p><a href=\"{}\">{}</a></p>", parts.page, parts.page));
        Proposal {
            kind: ProposalType,
            id: parts.id.clone(),
            attributed_to: parts.author,
            purpose: d.purpose.clone(),
            name: d.title.clone(),
            content,
            media_type: Some("text/html".to_owned()),
            url: Some(parts.page),
            published: Some(parts.published),
            updated: parts.updated,
            to: parts.to,
            cc: parts.cc,
            location,
            publishes: Intent {
                kind: "Intent".to_owned(),
                id: intent("primary"),
                action: action_of_mode(&d.mode).to_owned(),
                resource_conforms_to: Some(category_iri(&d.category)),
                resource_quantity: Some(primary_quantity),
                available_quantity: d.quantity.map(|_| quantity),
            },
            reciprocal,
            unit_based: Some(per_unit),
            start_time: d.available_from.as_deref().map(midnight),
            end_time: d.available_until.as_deref().map(midnight),
            mode: Some(d.mode.clone()),
            status: Some(d.status.clone()),
            // A fixed price needs no word of ours: an amount in euros says it.
            price_kind: matches!(kind, "pay_what_you_can" | "solidarity").then(|| kind.to_owned()),
            suggested_price: d.price_cents.filter(|c| pay_what_you_can && *c > 0).map(euros),
            reduced_price: d.reduced_price_cents.filter(|_| kind == "solidarity").map(euros),
            unit: UNITS_WITHOUT_OM2.contains(&d.unit.as_str()).then(|| d.unit.clone()),
            attachment: d
                .photos
                .iter()
                .filter_map(|p| {
                    Some(Attachment {
                        kind: "Image".to_owned(),
                        media_type: p.media_type.clone(),
                        url: p.url.clone()?,
                        name: Some(p.alt.clone()).filter(|a| !a.is_empty()),
                        width: p.width,
                        height: p.height,
                    })
                })
                .collect(),
        }
    }

    /// A proposal as we keep it once received: its `url` (the page people open) only when it is a
    /// web link (`target::safe_link`: no `javascript:`, and `https` outside insecure local mode).
    pub fn received(mut self, insecure_local: bool) -> Self {
        self.url = crate::target::safe_link(self.url.take(), insecure_local);
        self.attachment.retain(|a| crate::target::safe_link(Some(a.url.clone()), insecure_local).is_some());
        self
    }

    /// The description as plain text, without the title and the link to the page that we add for
    /// `Note` readers.
    fn description(&self) -> String {
        let mut text = html_to_text(&self.content);
        let page = self.url.as_ref().unwrap_or(&self.id).as_str();
        if let Some(rest) = text.strip_suffix(page) {
            text = rest.trim_end().to_owned();
        }
        if !self.name.is_empty()
            && let Some(rest) = text.strip_prefix(self.name.as_str())
        {
            text = rest.trim_start().to_owned();
        }
        text
    }

    /// The price: its kind, its amount in euro cents (of one unit when unit-based), and for any
    /// other currency than the euro the amount asked as text (then written in the description,
    /// the listing being free for us).
    fn price(&self) -> (Option<String>, Option<i64>, Option<String>) {
        let Some(reciprocal) = &self.reciprocal else { return (None, None, None) };
        let value = reciprocal.resource_quantity.as_ref().and_then(|q| q.has_numerical_value.as_deref());
        let in_euros = matches!(reciprocal.resource_conforms_to.as_deref(), Some(EURO) | None);
        match (value, in_euros) {
            (Some(value), false) => {
                let other = reciprocal.resource_conforms_to.as_deref().unwrap_or_default();
                (None, None, Some(format!("{value} ({other})")))
            }
            // Euros, any amount: a « prix libre », with the amount we suggest if it is ours.
            (None, true) => {
                let suggested = self.suggested_price.as_deref().and_then(cents_of);
                (Some("pay_what_you_can".to_owned()), suggested, None)
            }
            (None, false) => (None, None, None),
            (Some(value), true) => {
                let mut cents = cents_of(value);
                // A unit-based proposal from software that prices several units at once (2 kg
                // for 3 €): the price of one.
                let per = self.publishes.resource_quantity.as_ref().and_then(|q| q.has_numerical_value.as_deref());
                let per = per.and_then(|v| v.trim().parse::<f64>().ok()).filter(|p| p.is_finite() && *p > 0.0);
                if self.unit_based == Some(true)
                    && let Some(per) = per
                {
                    cents = cents.map(|c| (c as f64 / per).round() as i64);
                }
                let kind = match self.price_kind.as_deref() {
                    Some("solidarity") => "solidarity",
                    _ => "fixed",
                };
                (Some(kind.to_owned()), cents, None)
            }
        }
    }

    /// The listing this proposal describes, in plain values for the server to validate.
    pub fn to_listing_data(&self) -> ListingData {
        let primary = &self.publishes;
        let (price_kind, price_cents, other_price) = self.price();
        let per_unit = self.unit_based == Some(true) && price_kind.is_some();
        // Unit-based, the quantity on offer is the available one (the primary intent being one unit).
        let quantity = if per_unit {
            primary.available_quantity.as_ref()
        } else {
            primary.resource_quantity.as_ref().or(primary.available_quantity.as_ref())
        };
        let unit_measure = primary.resource_quantity.as_ref().or(primary.available_quantity.as_ref());
        let mut description = self.description();
        if let Some(other_price) = other_price {
            if !description.is_empty() {
                description.push_str("\n\n");
            }
            description.push_str(&format!("Contrepartie / in return: {other_price}"));
        }
        let title = if self.name.trim().is_empty() {
            let text = if description.is_empty() { self.id.as_str() } else { description.as_str() };
            text.lines().next().unwrap_or_default().chars().take(80).collect()
        } else {
            self.name.clone()
        };
        let category =
            primary.resource_conforms_to.as_deref().and_then(category_from_iri).unwrap_or_default().to_owned();
        ListingData {
            purpose: self.purpose.clone(),
            mode: self
                .mode
                .clone()
                .unwrap_or_else(|| mode_of_action(&primary.action, self.reciprocal.is_some()).to_owned()),
            category,
            title,
            description,
            quantity: quantity.and_then(|q| q.has_numerical_value.as_deref()).and_then(|v| v.trim().parse().ok()),
            unit: match (&self.unit, unit_measure) {
                (Some(ours), Some(q)) if q.has_unit == "one" => ours.clone(),
                (_, Some(q)) => unit_from_om2(&q.has_unit),
                (_, None) => "piece".to_owned(),
            },
            reduced_price_cents: self
                .reduced_price
                .as_deref()
                .filter(|_| price_kind.as_deref() == Some("solidarity"))
                .and_then(cents_of),
            price_kind,
            price_cents,
            per_unit,
            location_name: self.location.as_ref().and_then(|l| l.name.clone()),
            latitude: self.location.as_ref().and_then(|l| l.latitude),
            longitude: self.location.as_ref().and_then(|l| l.longitude),
            available_from: self.start_time.as_deref().map(date_part),
            available_until: self.end_time.as_deref().map(date_part),
            status: self.status.clone().unwrap_or_else(|| "active".to_owned()),
            photos: self
                .attachment
                .iter()
                .map(|a| PhotoData {
                    url: Some(a.url.clone()),
                    media_type: a.media_type.clone(),
                    width: a.width,
                    height: a.height,
                    alt: a.name.clone().unwrap_or_default(),
                })
                .collect(),
        }
    }
}

/// AS2's `startTime` and `endTime` are date-times (readers such as Fedify refuse a bare date): a
/// day is sent as its midnight, UTC.
fn midnight(date: &str) -> String {
    if date.contains('T') { date.to_owned() } else { format!("{date}T00:00:00Z") }
}

/// `2026-12-01` from `2026-12-01` or `2026-12-01T00:00:00Z`.
fn date_part(value: &str) -> String {
    value.split('T').next().unwrap_or(value).to_owned()
}

/// The text of a remote HTML description: tags dropped, paragraphs and line breaks kept, entities
/// decoded. Remote HTML is never shown as HTML; the server escapes this text when it renders it.
pub fn html_to_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(start) = rest.find('<') {
        out.push_str(&rest[..start]);
        let Some(end) = rest[start..].find('>') else {
            rest = "";
            break;
        };
        let tag = rest[start + 1..start + end].trim().to_ascii_lowercase();
        if tag.starts_with("br") {
            out.push('\n');
        } else if tag == "/p" || tag.starts_with("/div") || tag.starts_with("/li") {
            out.push_str("\n\n");
        }
        rest = &rest[start + end + 1..];
    }
    out.push_str(rest);
    let decoded = out
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&nbsp;", " ")
        .replace("&amp;", "&");
    decoded.trim().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> ListingData {
        ListingData {
            purpose: "offer".into(),
            mode: "lend".into(),
            category: "bikes-repair".into(),
            title: "Vélo cargo à prêter".into(),
            description: "Un biporteur <solide>.\n\nLe week-end & les vacances.".into(),
            quantity: Some(1.0),
            unit: "piece".into(),
            price_kind: Some("fixed".into()),
            price_cents: Some(1250),
            reduced_price_cents: None,
            per_unit: false,
            location_name: Some("Lille".into()),
            latitude: Some(50.63),
            longitude: Some(3.06),
            available_from: Some("2026-12-01".into()),
            available_until: None,
            status: "active".into(),
            photos: Vec::new(),
        }
    }

    #[test]
    fn a_listing_survives_the_round_trip() {
        let data = sample();
        let proposal = Proposal::build(ProposalParts {
            id: Url::parse("http://localhost:8081/listings/abc").unwrap(),
            author: Url::parse("http://localhost:8081/members/alice").unwrap(),
            page: Url::parse("http://localhost:8081/listings/abc").unwrap(),
            data: &data,
            published: "2026-11-23T10:00:00Z".into(),
            updated: None,
            to: vec![Url::parse(crate::PUBLIC).unwrap()],
            cc: vec![],
        });
        let json = serde_json::to_value(&proposal).unwrap();
        assert_eq!(json["type"], serde_json::json!(["Proposal", "Note"]));
        assert_eq!(json["publishes"]["action"], "transferCustody");
        assert_eq!(json["publishes"]["resourceQuantity"]["hasUnit"], "one");
        assert_eq!(json["reciprocal"]["resourceQuantity"]["hasNumericalValue"], "12.50");
        assert!(json["content"].as_str().unwrap().contains("&lt;solide&gt;"));
        let back: Proposal = serde_json::from_value(json).unwrap();
        // The link to the page, added for `Note` readers, is not part of the description.
        assert_eq!(back.to_listing_data(), data);
    }

    fn round_trip(data: &ListingData) -> (serde_json::Value, ListingData) {
        let proposal = Proposal::build(ProposalParts {
            id: Url::parse("http://localhost:8081/listings/abc").unwrap(),
            author: Url::parse("http://localhost:8081/members/alice").unwrap(),
            page: Url::parse("http://localhost:8081/listings/abc").unwrap(),
            data,
            published: "2026-11-23T10:00:00Z".into(),
            updated: None,
            to: vec![Url::parse(crate::PUBLIC).unwrap()],
            cc: vec![],
        });
        let json = serde_json::to_value(&proposal).unwrap();
        let back: Proposal = serde_json::from_value(json.clone()).unwrap();
        (json, back.to_listing_data())
    }

    #[test]
    fn a_price_per_unit_is_a_unit_based_proposal_for_one_unit() {
        let data = ListingData {
            mode: "sell".into(),
            quantity: Some(400.0),
            unit: "kg".into(),
            price_cents: Some(150),
            per_unit: true,
            ..sample()
        };
        let (json, back) = round_trip(&data);
        assert_eq!(json["unitBased"], true);
        assert_eq!(
            json["publishes"]["resourceQuantity"],
            serde_json::json!({"hasUnit": "kilogram", "hasNumericalValue": "1"})
        );
        assert_eq!(json["publishes"]["availableQuantity"]["hasNumericalValue"], "400");
        assert_eq!(json["reciprocal"]["resourceQuantity"]["hasNumericalValue"], "1.50");
        assert_eq!(back, data);
    }

    #[test]
    fn prix_libre_asks_euros_without_an_amount_and_prix_solidaire_carries_its_reduced_price() {
        let libre = ListingData {
            mode: "service".into(),
            unit: "session".into(),
            price_kind: Some("pay_what_you_can".into()),
            price_cents: Some(500),
            ..sample()
        };
        let (json, back) = round_trip(&libre);
        assert_eq!(json["reciprocal"]["resourceQuantity"], serde_json::json!({"hasUnit": "one"}));
        assert_eq!(json["maillage:priceKind"], "pay_what_you_can");
        assert_eq!(json["maillage:suggestedPrice"], "5.00");
        assert_eq!(json["publishes"]["resourceQuantity"]["hasUnit"], "one", "OM 2 has no session");
        assert_eq!(json["maillage:unit"], "session");
        assert_eq!(back, libre);

        let solidaire = ListingData {
            unit: "basket".into(),
            price_kind: Some("solidarity".into()),
            price_cents: Some(1200),
            reduced_price_cents: Some(600),
            per_unit: true,
            ..sample()
        };
        let (json, back) = round_trip(&solidaire);
        assert_eq!(json["reciprocal"]["resourceQuantity"]["hasNumericalValue"], "12.00");
        assert_eq!(json["maillage:reducedPrice"], "6.00");
        assert_eq!(back, solidaire);

        let free = ListingData { price_kind: Some("free".into()), price_cents: None, per_unit: true, ..sample() };
        let (json, back) = round_trip(&free);
        assert!(json.get("reciprocal").is_none() && json.get("maillage:priceKind").is_none());
        assert_eq!(json["unitBased"], false, "nothing to multiply");
        assert_eq!((back.price_kind, back.per_unit), (None, false));
    }

    #[test]
    fn a_unit_based_proposal_pricing_several_units_reads_as_the_price_of_one() {
        let json = serde_json::json!({
            "type": "Proposal", "id": "https://market.example/proposals/2", "purpose": "offer",
            "attributedTo": "https://market.example/users/alice", "name": "Pommes",
            "publishes": {
                "type": "Intent", "id": "https://market.example/proposals/2#primary", "action": "transfer",
                "resourceQuantity": {"hasUnit": "kilogram", "hasNumericalValue": "2"},
                "availableQuantity": {"hasUnit": "kilogram", "hasNumericalValue": "50"}
            },
            "reciprocal": {
                "type": "Intent", "id": "https://market.example/proposals/2#reciprocal", "action": "transfer",
                "resourceConformsTo": EURO, "resourceQuantity": {"hasUnit": "one", "hasNumericalValue": "3"}
            },
            "unitBased": true,
            "to": crate::PUBLIC
        });
        let data = serde_json::from_value::<Proposal>(json).unwrap().to_listing_data();
        assert_eq!((data.price_cents, data.per_unit, data.quantity), (Some(150), true, Some(50.0)));
        assert_eq!((data.unit.as_str(), data.price_kind.as_deref()), ("kg", Some("fixed")));
    }

    #[test]
    fn a_bare_fep_0837_proposal_is_understood() {
        let json = serde_json::json!({
            "type": "Proposal",
            "id": "https://market.example/proposals/1",
            "purpose": "offer",
            "attributedTo": "https://market.example/users/alice",
            "name": "Offering used bike",
            "content": "Blue one-speed bike",
            "publishes": {
                "type": "Intent", "id": "https://market.example/proposals/1#primary", "action": "transfer",
                "resourceQuantity": {"hasUnit": "one", "hasNumericalValue": "1"}
            },
            "reciprocal": {
                "type": "Intent", "id": "https://market.example/proposals/1#reciprocal", "action": "transfer",
                "resourceQuantity": {"hasUnit": "one", "hasNumericalValue": 30}
            },
            "to": "https://www.w3.org/ns/activitystreams#Public"
        });
        let proposal: Proposal = serde_json::from_value(json).unwrap();
        let data = proposal.to_listing_data();
        assert_eq!(data.mode, "sell");
        assert_eq!(data.price_cents, Some(3000));
        assert_eq!(data.category, "");
        assert_eq!(proposal.to.len(), 1);
    }

    #[test]
    fn a_plain_note_is_not_a_proposal() {
        let json = serde_json::json!({"type": "Note", "id": "https://x.example/1"});
        assert!(serde_json::from_value::<Proposal>(json).is_err());
    }
}
