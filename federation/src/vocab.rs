//! The shapes of our documents: actor documents, the activities we send and their collections, the
//! small shapes every document uses (`Place`, `Tombstone`, an `Image` as `Attachment`), and the lenient readers of the properties
//! other servers write in more than one way (ids, `url`, `to`/`cc`).

use serde::{Deserialize, Deserializer, Serialize};
use url::Url;

/// The kinds of actor we publish and accept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ActorKind {
    Person,
    Organization,
    /// The instance actor (relays and peers follow this type).
    Application,
    Service,
    Group,
}

impl ActorKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ActorKind::Person => "Person",
            ActorKind::Organization => "Organization",
            ActorKind::Application => "Application",
            ActorKind::Service => "Service",
            ActorKind::Group => "Group",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "Person" => ActorKind::Person,
            "Organization" => ActorKind::Organization,
            "Application" => ActorKind::Application,
            "Service" => ActorKind::Service,
            "Group" => ActorKind::Group,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PublicKey {
    pub id: Url,
    pub owner: Url,
    pub public_key_pem: String,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Endpoints {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shared_inbox: Option<Url>,
}

/// An actor document, ours or a remote one. Fields we do not use are ignored when parsing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ActorDocument {
    #[serde(rename = "type")]
    pub kind: ActorKind,
    pub id: Url,
    #[serde(default)]
    pub preferred_username: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub summary: Option<String>,
    #[serde(default, deserialize_with = "deserialize_url")]
    pub url: Option<Url>,
    pub inbox: Url,
    #[serde(default)]
    pub outbox: Option<Url>,
    #[serde(default)]
    pub followers: Option<Url>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub following: Option<Url>,
    #[serde(default)]
    pub endpoints: Option<Endpoints>,
    pub public_key: PublicKey,
    #[serde(default)]
    pub manually_approves_followers: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published: Option<String>,
    /// The actor's picture (a member's avatar, the instance's logo).
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "icon")]
    pub icon: Option<Attachment>,
}

/// An image on the wire: a listing's photo (an `Image` `attachment` with `mediaType`, `url`,
/// `width`, `height` and its alt text as `name`, which Mastodon shows), or an actor's `icon`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Attachment {
    #[serde(rename = "type")]
    pub kind: String,
    pub media_type: String,
    pub url: Url,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub width: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub height: Option<u32>,
}

/// The largest width or height believed of an attachment (a hint for the page's layout only).
const MAX_ANNOUNCED_SIDE: u64 = 20_000;

impl Attachment {
    /// One of our JPEGs, of unsaid size.
    pub fn jpeg(url: Url) -> Self {
        Self {
            kind: "Image".to_owned(),
            media_type: "image/jpeg".to_owned(),
            url,
            name: None,
            width: None,
            height: None,
        }
    }

    /// One attachment as another server wrote it, if it is an image: `Image`, or `Document` with an
    /// image's `mediaType` (Mastodon's media); `url` a string, a `Link` or a list of them.
    pub(crate) fn read(value: &serde_json::Value) -> Option<Self> {
        let kind = value.get("type")?.as_str()?;
        let media_type = value.get("mediaType").and_then(|m| m.as_str()).unwrap_or_default();
        let is_image = kind == "Image" || (kind == "Document" && media_type.starts_with("image/"));
        if !is_image || !(media_type.is_empty() || media_type.starts_with("image/")) {
            return None;
        }
        let href = |v: &serde_json::Value| -> Option<Url> {
            match v {
                serde_json::Value::String(s) => Url::parse(s).ok(),
                serde_json::Value::Object(link) => {
                    link.get("href").and_then(|h| h.as_str()).and_then(|h| Url::parse(h).ok())
                }
                _ => None,
            }
        };
        let url = match value.get("url")? {
            serde_json::Value::Array(links) => links.iter().find_map(href),
            other => href(other),
        }?;
        let side = |key: &str| {
            value.get(key).and_then(|v| v.as_u64()).filter(|n| (1..=MAX_ANNOUNCED_SIDE).contains(n)).map(|n| n as u32)
        };
        Some(Attachment {
            kind: "Image".to_owned(),
            media_type: if media_type.is_empty() { "image/jpeg".to_owned() } else { media_type.to_owned() },
            url,
            name: value.get("name").and_then(|n| n.as_str()).map(str::to_owned),
            width: side("width"),
            height: side("height"),
        })
    }
}

/// `icon`: an image, a list of them (the first we can read wins), or a bare URL.
fn icon<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Attachment>, D::Error> {
    Ok(match Option::<serde_json::Value>::deserialize(deserializer)? {
        Some(serde_json::Value::Array(items)) => items.iter().find_map(Attachment::read),
        Some(item @ serde_json::Value::Object(_)) => Attachment::read(&item),
        Some(serde_json::Value::String(url)) => Url::parse(&url).ok().map(Attachment::jpeg),
        _ => None,
    })
}

/// A place, as AS2 represents one (§5.3 of the vocabulary).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Place {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latitude: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub longitude: Option<f64>,
}

/// What remains of a deleted object.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Tombstone {
    #[serde(rename = "type")]
    pub kind: String,
    pub id: Url,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub former_type: Option<String>,
}

/// The activities we send.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ActivityKind {
    Create,
    Update,
    Delete,
    Follow,
    Undo,
    Accept,
    Reject,
}

/// A document with its `@context` first (ours, `context::outgoing()`, on everything we send).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WithContext<T> {
    #[serde(rename = "@context")]
    pub context: serde_json::Value,
    #[serde(flatten)]
    pub document: T,
}

/// An activity we send: `Create`/`Update` of a `Proposal` (`proposal.rs`),
/// `Delete` of a [`Tombstone`], `Follow` of an actor's id, `Undo`/`Accept`/`Reject` of a
/// [`FollowObject`]. `published` is that of the listing written (`Create`, `Update`) only.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Activity<O> {
    #[serde(rename = "type")]
    pub kind: ActivityKind,
    pub id: Url,
    pub actor: Url,
    pub object: O,
    pub to: Vec<Url>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cc: Vec<Url>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published: Option<String>,
}

/// The `Follow` that an `Accept`, `Reject` or `Undo` embeds: its id, actor and object, no audience.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FollowObject {
    #[serde(rename = "type")]
    pub kind: ActivityKind,
    pub id: Url,
    pub actor: Url,
    pub object: Url,
}

/// The `Create` of a listing as an outbox page lists it: no `@context`, and `published` first, as
/// pages have always written it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutboxItem<O> {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published: Option<String>,
    #[serde(flatten)]
    pub activity: Activity<O>,
}

/// An `OrderedCollection`: an outbox (its first page) or a followers collection (its size only).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderedCollection {
    #[serde(rename = "type")]
    pub kind: String,
    pub id: Url,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_items: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first: Option<Url>,
}

/// One page of an `OrderedCollection`, with the next one when there is one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderedCollectionPage<T> {
    #[serde(rename = "type")]
    pub kind: String,
    pub id: Url,
    pub part_of: Url,
    pub ordered_items: Vec<T>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next: Option<Url>,
}

/// An id given as a string, or as an object with an `id` (`actor`, `object`, `first`, `next`...).
pub fn value_id(value: &serde_json::Value) -> Option<Url> {
    match value {
        serde_json::Value::String(s) => Url::parse(s).ok(),
        serde_json::Value::Object(map) => map.get("id").and_then(|v| v.as_str()).and_then(|s| Url::parse(s).ok()),
        _ => None,
    }
}

/// `url` may be a string, a `Link`, or an array of either: the first `href` wins.
pub fn deserialize_url<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Url>, D::Error> {
    let value = serde_json::Value::deserialize(deserializer)?;
    Ok(url_in(&value))
}

pub(crate) fn url_in(value: &serde_json::Value) -> Option<Url> {
    match value {
        serde_json::Value::String(s) => Url::parse(s).ok(),
        serde_json::Value::Object(map) => map.get("href").and_then(|h| h.as_str()).and_then(|h| Url::parse(h).ok()),
        serde_json::Value::Array(items) => items.iter().find_map(url_in),
        _ => None,
    }
}

/// A property that may hold one URL or many (`to`, `cc`).
pub fn one_or_many<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<Url>, D::Error> {
    let value = Option::<serde_json::Value>::deserialize(deserializer)?;
    Ok(match value {
        None | Some(serde_json::Value::Null) => Vec::new(),
        Some(serde_json::Value::Array(items)) => {
            items.iter().filter_map(|i| i.as_str()).filter_map(|s| Url::parse(s).ok()).collect()
        }
        Some(serde_json::Value::String(s)) => Url::parse(&s).ok().into_iter().collect(),
        Some(_) => Vec::new(),
    })
}
