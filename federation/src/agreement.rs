//! Exchanges on the wire: FEP-0837 agreements and what follows them.
//!
//! An exchange is proposed with `Offer(Agreement)` addressed to the listing's author, answered with
//! `Accept` (its `result` the agreement with its commitments' ids) or `Reject`; a counter-proposal
//! is a new `Offer` of the same agreement. Later moves (hand-over, renewal, delivery, cancellation…)
//! are `Update`s of the agreement, completion is the FEP's confirmation — `Create` of a receipt whose
//! `context` is the agreement — and messages are `Create(Note)`s whose `context` is the agreement
//! (a first question, before any terms, replies to the listing: `inReplyTo`). Everything is
//! addressed to the other party alone.
//!
//! Terms FEP-0837 does not define are ours: `maillage:version` (the exchange's version once the move
//! is applied: a move applies when it is one more than the receiver's), `maillage:move` (its name),
//! `maillage:movedBy` (the party who made it, when its instance relays it), `maillage:state`,
//! `maillage:inReturn` (what a swap offers), `maillage:renewalUntil`. The dates of a commitment are
//! Valueflows': `hasBeginning`/`hasEnd` (a loan's first and last day), `hasPointInTime` (a service's
//! slot, a civil date and time), `due` (an order's pickup or delivery day).

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;
use url::Url;

use crate::proposal::{Measure, om2_unit, text_to_html, unit_from_om2};
use crate::vocab::value_id;

/// The longest text (a message, a reason) read from another server, in characters; longer ones are
/// refused.
pub const MAX_TEXT_CHARS: usize = 5_000;

/// An exchange's terms and state in plain values: what the server gives to build an agreement and
/// gets back from a received one (which it then checks with its own rules).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct AgreementData {
    /// The agreement's id: the exchange's id on the wire (absent in an offer from software that
    /// leaves it to the answer).
    pub id: Option<Url>,
    /// The proposal (listing) answered.
    pub proposal: Option<Url>,
    /// Valueflows action of the primary commitment.
    pub action: String,
    pub quantity: Option<f64>,
    /// Our unit name.
    pub unit: String,
    /// `YYYY-MM-DD`.
    pub from: Option<String>,
    pub until: Option<String>,
    /// `HH:MM`.
    pub at: Option<String>,
    pub in_return: String,
    /// The price in euro cents (the reciprocal commitment).
    pub price_cents: Option<i64>,
    pub provider: Option<Url>,
    pub receiver: Option<Url>,
    pub state: Option<String>,
    pub renewal_until: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Commitment {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<Url>,
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "lenient_id")]
    pub satisfies: Option<Url>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_conforms_to: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_quantity: Option<Measure>,
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "lenient_id")]
    pub provider: Option<Url>,
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "lenient_id")]
    pub receiver: Option<Url>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub has_beginning: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub has_end: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub has_point_in_time: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Agreement {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<Url>,
    pub stipulates: Commitment,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stipulates_reciprocal: Option<Commitment>,
    #[serde(default, skip_serializing_if = "Option::is_none", rename = "maillage:state")]
    pub state: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none", rename = "maillage:inReturn")]
    pub in_return: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none", rename = "maillage:renewalUntil")]
    pub renewal_until: Option<String>,
}

/// An id, or an object with one; anything else is `None` rather than an error.
fn lenient_id<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Url>, D::Error> {
    Ok(Option::<Value>::deserialize(deserializer)?.as_ref().and_then(value_id))
}

/// Euro cents as FEP-0837 writes an amount.
fn euros(cents: i64) -> String {
    format!("{}.{:02}", cents / 100, cents % 100)
}

fn decimal(value: f64) -> String {
    let text = format!("{value:.3}");
    text.trim_end_matches('0').trim_end_matches('.').to_owned()
}

/// The date part of an `xsd:date` or `xsd:dateTime` (`2026-12-03`, `2026-12-03T00:00:00Z`).
fn day_of(text: &str) -> Option<String> {
    let day = text.get(..10)?;
    let valid = day.len() == 10
        && day.bytes().enumerate().all(|(i, b)| if i == 4 || i == 7 { b == b'-' } else { b.is_ascii_digit() });
    valid.then(|| day.to_owned())
}

/// The time of an `xsd:dateTime` (`2026-12-04T14:00:00` → `14:00`).
fn time_of(text: &str) -> Option<String> {
    let time = text.get(11..16)?;
    let valid =
        time.len() == 5 && time.bytes().enumerate().all(|(i, b)| if i == 2 { b == b':' } else { b.is_ascii_digit() });
    valid.then(|| time.to_owned())
}

impl Agreement {
    /// The agreement for `data`; commitments get ids (`#primary`, `#reciprocal`) when the agreement
    /// has one and is `finalized` (an acceptance's `result`).
    pub fn build(data: &AgreementData, finalized: bool) -> Self {
        let fragment = |name: &str| {
            data.id.as_ref().filter(|_| finalized).map(|id| {
                let mut id = id.clone();
                id.set_fragment(Some(name));
                id
            })
        };
        let intent = |name: &str| {
            data.proposal.as_ref().map(|p| {
                let mut p = p.clone();
                p.set_fragment(Some(name));
                p
            })
        };
        let loan = matches!(data.action.as_str(), "transferCustody" | "use");
        let service = data.action == "deliverService";
        let slot = match (&data.from, &data.at) {
            (Some(day), Some(at)) if service => Some(format!("{day}T{at}:00")),
            _ => None,
        };
        Agreement {
            kind: "Agreement".to_owned(),
            id: data.id.clone(),
            stipulates: Commitment {
                kind: "Commitment".to_owned(),
                id: fragment("primary"),
                satisfies: intent("primary"),
                action: Some(data.action.clone()),
                resource_conforms_to: None,
                resource_quantity: Some(Measure {
                    has_unit: om2_unit(&data.unit),
                    has_numerical_value: Some(decimal(data.quantity.unwrap_or(1.0))),
                }),
                provider: data.provider.clone(),
                receiver: data.receiver.clone(),
                has_beginning: data.from.clone().filter(|_| loan),
                has_end: data.until.clone().filter(|_| loan),
                has_point_in_time: slot,
                due: data.from.clone().filter(|_| !loan && !service),
            },
            stipulates_reciprocal: data.price_cents.map(|cents| Commitment {
                kind: "Commitment".to_owned(),
                id: fragment("reciprocal"),
                satisfies: intent("reciprocal"),
                action: Some("transfer".to_owned()),
                resource_conforms_to: Some(crate::proposal::EURO.to_owned()),
                resource_quantity: Some(Measure {
                    has_unit: "one".to_owned(),
                    has_numerical_value: Some(euros(cents)),
                }),
                provider: data.receiver.clone(),
                receiver: data.provider.clone(),
                has_beginning: None,
                has_end: None,
                has_point_in_time: None,
                due: None,
            }),
            state: data.state.clone(),
            in_return: Some(data.in_return.clone()).filter(|t| !t.is_empty()),
            renewal_until: data.renewal_until.clone(),
        }
    }

    /// The plain values of a received agreement. Dates that are not dates are dropped (the server's
    /// checks then say what is missing).
    pub fn data(&self) -> AgreementData {
        let primary = &self.stipulates;
        let quantity = primary
            .resource_quantity
            .as_ref()
            .and_then(|q| q.has_numerical_value.as_deref())
            .and_then(|v| v.trim().parse::<f64>().ok())
            .filter(|v| v.is_finite());
        let unit =
            primary.resource_quantity.as_ref().map_or_else(|| "piece".to_owned(), |q| unit_from_om2(&q.has_unit));
        let proposal = primary.satisfies.as_ref().map(|s| {
            let mut s = s.clone();
            s.set_fragment(None);
            s
        });
        let price_cents = self.stipulates_reciprocal.as_ref().and_then(|r| {
            let value = r.resource_quantity.as_ref()?.has_numerical_value.as_deref()?;
            let euros = value.trim().parse::<f64>().ok().filter(|e| e.is_finite() && *e >= 0.0 && *e < 1e12)?;
            Some((euros * 100.0).round() as i64)
        });
        let slot = primary.has_point_in_time.as_deref();
        AgreementData {
            id: self.id.clone(),
            proposal,
            action: primary.action.clone().unwrap_or_else(|| "transfer".to_owned()),
            quantity,
            unit,
            from: primary.has_beginning.as_deref().or(slot).or(primary.due.as_deref()).and_then(day_of),
            until: primary.has_end.as_deref().and_then(day_of),
            at: slot.and_then(time_of),
            in_return: self.in_return.clone().unwrap_or_default(),
            price_cents,
            provider: primary.provider.clone(),
            receiver: primary.receiver.clone(),
            state: self.state.clone(),
            renewal_until: self.renewal_until.as_deref().and_then(day_of),
        }
    }
}

/// The agreement as served at its id, to the exchange's parties only (their signed fetch).
pub fn document(data: &AgreementData) -> Value {
    crate::context::with_context(serde_json::to_value(Agreement::build(data, true)).unwrap_or(Value::Null))
}

/// What kind of exchange activity was sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ExchangeKind {
    /// `Offer(Agreement)`: a proposal, or a counter-proposal of the same agreement.
    Offer,
    /// `Accept` of an offer (or of a move asked for).
    Accept,
    /// `Reject` of an offer (or of a move asked for).
    Reject,
    /// `Update(Agreement)`: a later move.
    Update,
    /// `Create` of a receipt: the exchange is completed.
    Receipt,
    /// `Create(Note)` in the exchange's conversation.
    Message,
}

/// A received exchange activity, checked for its shape (the server checks who may do what).
/// Serialisable, so that a move that arrived before the one it follows can wait in storage.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExchangeActivity {
    pub id: Url,
    pub kind: ExchangeKind,
    pub actor: Url,
    /// The agreement: an offer's object, an acceptance's result, an update's object.
    pub agreement: Option<AgreementData>,
    /// What an `Accept` or `Reject` answers: an offer's or another activity's id.
    pub answers: Option<Url>,
    /// The exchange (agreement) it is about: the agreement's id, or a receipt's or a note's
    /// `context`.
    pub exchange: Option<Url>,
    /// The listing a first question replies to (`inReplyTo`).
    pub in_reply_to: Option<Url>,
    pub move_name: Option<String>,
    /// The party who made the move, when another's instance relays it.
    pub moved_by: Option<Url>,
    pub version: Option<i64>,
    /// A message, or a refusal's reason: plain text.
    pub text: String,
    /// When it was written (RFC 3339), as the sender says.
    pub published: Option<String>,
    /// A `Reject` that declines a move asked for (`maillage:declined`), rather than refusing an
    /// offer: the exchange stays as it was.
    #[serde(default)]
    pub declined: bool,
}

/// The fields of an exchange activity we read (and send).
#[derive(Debug, Clone, Deserialize)]
struct Incoming {
    #[serde(default)]
    object: Value,
    #[serde(default)]
    result: Option<Value>,
    #[serde(default)]
    content: Option<String>,
    #[serde(default)]
    summary: Option<String>,
    #[serde(default, rename = "maillage:version")]
    version: Option<Value>,
    #[serde(default, rename = "maillage:move")]
    move_name: Option<String>,
    #[serde(default, rename = "maillage:movedBy", deserialize_with = "lenient_id")]
    moved_by: Option<Url>,
    #[serde(default)]
    published: Option<String>,
    #[serde(default, rename = "maillage:declined")]
    declined: bool,
}

/// A version as an integer, or as a text of digits.
fn version_of(value: &Value) -> Option<i64> {
    match value {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn type_names(value: &Value) -> Vec<&str> {
    match value.get("type") {
        Some(Value::String(kind)) => vec![kind.as_str()],
        Some(Value::Array(kinds)) => kinds.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

/// The namespaces of the FEP-0837 terms, as software that does not compact them writes them
/// (Fedify sends `https://w3id.org/valueflows/ont/vf#Agreement`), and their prefixes.
const NAMESPACES: &[&str] = &[
    "https://w3id.org/valueflows/ont/vf#",
    "http://www.ontology-of-units-of-measure.org/resource/om-2/",
    "vf:",
    "om2:",
];

fn compact_name(name: &str) -> &str {
    NAMESPACES.iter().find_map(|ns| name.strip_prefix(ns)).unwrap_or(name)
}

/// An agreement as we read it: the FEP-0837 terms written in full (or with a prefix) brought to the
/// compact names we use, and JSON-LD value objects (`{"@value": "1"}`) to their value. Nothing else
/// of JSON-LD is processed.
pub fn compact(value: &Value) -> Value {
    match value {
        Value::Object(map) => {
            if let Some(inner) = map.get("@value") {
                return compact(inner);
            }
            let mut out = serde_json::Map::new();
            for (key, item) in map {
                let item = if key == "type" || key == "@type" {
                    match item {
                        Value::String(name) => Value::String(compact_name(name).to_owned()),
                        Value::Array(names) => Value::Array(
                            names
                                .iter()
                                .map(|n| n.as_str().map_or(n.clone(), |n| Value::String(compact_name(n).to_owned())))
                                .collect(),
                        ),
                        other => other.clone(),
                    }
                } else {
                    compact(item)
                };
                let key = if key == "@type" {
                    "type"
                } else if key == "@id" {
                    "id"
                } else {
                    compact_name(key)
                };
                out.insert(key.to_owned(), item);
            }
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(items.iter().map(compact).collect()),
        other => other.clone(),
    }
}

/// Whether an object is an `Agreement`.
pub fn is_agreement(value: &Value) -> bool {
    type_names(&compact(value)).contains(&"Agreement")
}

/// A text as plain text, bounded: HTML (a `Note`'s content) loses its tags, keeps its paragraphs
/// and line breaks as new lines, and its entities are read.
pub fn plain_text(html: &str) -> Result<String, String> {
    let text = crate::proposal::html_to_text(html);
    if text.chars().count() > MAX_TEXT_CHARS {
        return Err(format!("the text is longer than {MAX_TEXT_CHARS} characters"));
    }
    Ok(text)
}

impl ExchangeActivity {
    /// Reads an exchange activity of `kind` (`Offer`, `Accept`, `Reject`, `Update`, `Create`) from
    /// its JSON, or says why it is refused. `Ok(None)`: not an exchange activity.
    pub fn read(id: &Url, actor: &Url, kind: &str, activity: &Value) -> Result<Option<Self>, String> {
        let incoming: Incoming = serde_json::from_value(activity.clone()).map_err(|e| e.to_string())?;
        let text = |html: Option<&str>| plain_text(html.unwrap_or_default());
        let agreement_of = |value: &Value| -> Result<AgreementData, String> {
            let agreement: Agreement =
                serde_json::from_value(compact(value)).map_err(|e| format!("not a valid Agreement: {e}"))?;
            Ok(agreement.data())
        };
        let base = |kind: ExchangeKind| ExchangeActivity {
            id: id.clone(),
            kind,
            actor: actor.clone(),
            agreement: None,
            answers: None,
            exchange: None,
            in_reply_to: None,
            move_name: incoming.move_name.clone().filter(|m| m.len() <= 32),
            moved_by: incoming.moved_by.clone(),
            version: incoming.version.as_ref().and_then(version_of),
            text: String::new(),
            published: incoming.published.clone(),
            declined: incoming.declined,
        };
        let object = &incoming.object;
        Ok(Some(match kind {
            "Offer" if is_agreement(object) => {
                let agreement = agreement_of(object)?;
                ExchangeActivity {
                    exchange: agreement.id.clone(),
                    agreement: Some(agreement),
                    text: text(incoming.content.as_deref())?,
                    ..base(ExchangeKind::Offer)
                }
            }
            "Accept" | "Reject" => {
                let result = incoming.result.as_ref().filter(|r| is_agreement(r));
                let agreement = result.map(agreement_of).transpose()?;
                let answers = value_id(object);
                let kind = if kind == "Accept" { ExchangeKind::Accept } else { ExchangeKind::Reject };
                let reason = incoming.content.as_deref().or(incoming.summary.as_deref());
                ExchangeActivity {
                    exchange: agreement.as_ref().and_then(|a| a.id.clone()),
                    agreement,
                    answers,
                    text: text(reason)?,
                    ..base(kind)
                }
            }
            "Update" if is_agreement(object) => {
                let agreement = agreement_of(object)?;
                ExchangeActivity {
                    exchange: agreement.id.clone(),
                    agreement: Some(agreement),
                    text: text(incoming.content.as_deref().or(incoming.summary.as_deref()))?,
                    ..base(ExchangeKind::Update)
                }
            }
            "Create" => {
                let names = type_names(object);
                let context = object.get("context").and_then(value_id);
                if names.contains(&"Note") && context.is_some() {
                    let content = object.get("content").and_then(Value::as_str);
                    let published = object.get("published").and_then(Value::as_str).map(str::to_owned);
                    ExchangeActivity {
                        exchange: context,
                        in_reply_to: object.get("inReplyTo").and_then(value_id),
                        text: text(content)?,
                        published: published.or(incoming.published.clone()),
                        ..base(ExchangeKind::Message)
                    }
                } else if names.contains(&"Document") && context.is_some() {
                    let mut receipt = base(ExchangeKind::Receipt);
                    receipt.move_name = object.get("maillage:move").and_then(Value::as_str).map(str::to_owned);
                    receipt.moved_by = object.get("maillage:movedBy").and_then(value_id);
                    receipt.version = object.get("maillage:version").and_then(version_of);
                    ExchangeActivity { exchange: context, ..receipt }
                } else {
                    return Ok(None);
                }
            }
            _ => return Ok(None),
        }))
    }
}

/// An exchange activity we send: its id, who signs it, the other party, the exchange's id on the
/// wire, and the version and move it carries.
pub struct Outgoing<'a> {
    pub id: &'a Url,
    pub actor: &'a Url,
    pub to: &'a Url,
    pub exchange: &'a Url,
    pub version: i64,
    pub move_name: &'a str,
    /// The party who made the move, when we relay another's.
    pub moved_by: Option<&'a Url>,
    pub published: String,
}

impl Outgoing<'_> {
    fn envelope(&self, kind: &str, object: Value) -> serde_json::Map<String, Value> {
        let mut activity = serde_json::Map::new();
        activity.insert("@context".to_owned(), crate::context::outgoing());
        activity.insert("type".to_owned(), Value::String(kind.to_owned()));
        activity.insert("id".to_owned(), Value::String(self.id.to_string()));
        activity.insert("actor".to_owned(), Value::String(self.actor.to_string()));
        activity.insert("object".to_owned(), object);
        activity.insert("to".to_owned(), Value::Array(vec![Value::String(self.to.to_string())]));
        activity.insert("published".to_owned(), Value::String(self.published.clone()));
        activity.insert("maillage:version".to_owned(), Value::from(self.version));
        activity.insert("maillage:move".to_owned(), Value::String(self.move_name.to_owned()));
        if let Some(by) = self.moved_by {
            activity.insert("maillage:movedBy".to_owned(), Value::String(by.to_string()));
        }
        activity
    }

    fn agreement(data: &AgreementData, finalized: bool) -> Value {
        serde_json::to_value(Agreement::build(data, finalized)).unwrap_or(Value::Null)
    }

    /// `Offer(Agreement)`: terms proposed, or countered; with the message that goes with them.
    pub fn offer(&self, data: &AgreementData, message: &str) -> Value {
        let mut activity = self.envelope("Offer", Self::agreement(data, false));
        if !message.is_empty() {
            activity.insert("content".to_owned(), Value::String(text_to_html(message)));
        }
        Value::Object(activity)
    }

    /// `Accept` of the offer `answers`, its `result` the agreement with its commitments' ids.
    pub fn accept(&self, answers: &Url, data: &AgreementData) -> Value {
        let mut activity = self.envelope("Accept", Value::String(answers.to_string()));
        activity.insert("result".to_owned(), Self::agreement(data, true));
        Value::Object(activity)
    }

    /// `Reject` of the offer or activity `answers`, with the reason when there is one.
    pub fn reject(&self, answers: &Url, reason: &str) -> Value {
        let mut activity = self.envelope("Reject", Value::String(answers.to_string()));
        if !reason.is_empty() {
            activity.insert("content".to_owned(), Value::String(text_to_html(reason)));
        }
        Value::Object(activity)
    }

    /// `Reject` of a move another instance asked for, which the host did not apply
    /// (`maillage:declined`): no move, and the version the exchange is at.
    pub fn decline(&self, answers: &Url, reason: &str) -> Value {
        let mut activity = self.envelope("Reject", Value::String(answers.to_string()));
        activity.remove("maillage:move");
        activity.insert("maillage:declined".to_owned(), Value::Bool(true));
        if !reason.is_empty() {
            activity.insert("content".to_owned(), Value::String(text_to_html(reason)));
        }
        Value::Object(activity)
    }

    /// `Update(Agreement)`: a later move, with its reason when it has one (a cancellation).
    pub fn update(&self, data: &AgreementData, reason: &str) -> Value {
        let mut activity = self.envelope("Update", Self::agreement(data, true));
        if !reason.is_empty() {
            activity.insert("content".to_owned(), Value::String(text_to_html(reason)));
        }
        Value::Object(activity)
    }

    /// `Create` of the receipt that confirms the exchange is completed (FEP-0837's confirmation).
    pub fn receipt(&self, receipt_id: &Url) -> Value {
        let mut receipt = serde_json::Map::new();
        receipt.insert("type".to_owned(), Value::String("Document".to_owned()));
        receipt.insert("id".to_owned(), Value::String(receipt_id.to_string()));
        receipt.insert("name".to_owned(), Value::String("Receipt".to_owned()));
        receipt.insert("context".to_owned(), Value::String(self.exchange.to_string()));
        receipt.insert("published".to_owned(), Value::String(self.published.clone()));
        receipt.insert("maillage:version".to_owned(), Value::from(self.version));
        receipt.insert("maillage:move".to_owned(), Value::String(self.move_name.to_owned()));
        if let Some(by) = self.moved_by {
            receipt.insert("maillage:movedBy".to_owned(), Value::String(by.to_string()));
        }
        Value::Object(self.envelope("Create", Value::Object(receipt)))
    }
}

/// `Create(Note)` of a message in an exchange's conversation: to the other party alone, its
/// `context` the exchange, replying to the listing when it opens the conversation.
pub struct MessageOut<'a> {
    pub activity_id: &'a Url,
    pub note_id: &'a Url,
    pub actor: &'a Url,
    pub to: &'a Url,
    pub exchange: &'a Url,
    pub in_reply_to: Option<&'a Url>,
    pub text: &'a str,
    pub published: String,
}

impl MessageOut<'_> {
    pub fn to_json(&self) -> Value {
        let mut note = serde_json::Map::new();
        note.insert("type".to_owned(), Value::String("Note".to_owned()));
        note.insert("id".to_owned(), Value::String(self.note_id.to_string()));
        note.insert("attributedTo".to_owned(), Value::String(self.actor.to_string()));
        note.insert("to".to_owned(), Value::Array(vec![Value::String(self.to.to_string())]));
        note.insert("context".to_owned(), Value::String(self.exchange.to_string()));
        if let Some(listing) = self.in_reply_to {
            note.insert("inReplyTo".to_owned(), Value::String(listing.to_string()));
        }
        note.insert("content".to_owned(), Value::String(text_to_html(self.text)));
        note.insert("mediaType".to_owned(), Value::String("text/html".to_owned()));
        note.insert("published".to_owned(), Value::String(self.published.clone()));
        let mut activity = serde_json::Map::new();
        activity.insert("@context".to_owned(), crate::context::outgoing());
        activity.insert("type".to_owned(), Value::String("Create".to_owned()));
        activity.insert("id".to_owned(), Value::String(self.activity_id.to_string()));
        activity.insert("actor".to_owned(), Value::String(self.actor.to_string()));
        activity.insert("object".to_owned(), Value::Object(note));
        activity.insert("to".to_owned(), Value::Array(vec![Value::String(self.to.to_string())]));
        activity.insert("published".to_owned(), Value::String(self.published.clone()));
        Value::Object(activity)
    }
}
