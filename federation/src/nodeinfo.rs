//! NodeInfo 2.1: what software runs here, its usage, and the cooperative's metadata.

use serde_json::{Value, json};
use url::Url;

pub const SCHEMA_21: &str = "http://nodeinfo.diaspora.software/ns/schema/2.1";

/// `/.well-known/nodeinfo`: where the document is.
pub fn discovery(nodeinfo: &Url) -> Value {
    json!({ "links": [{ "rel": SCHEMA_21, "href": nodeinfo }] })
}

/// Figures and metadata for the NodeInfo document.
pub struct Usage {
    pub total_users: i64,
    pub active_month: i64,
    pub active_halfyear: i64,
    pub local_posts: i64,
}

pub struct Metadata<'a> {
    pub name: &'a str,
    pub description: &'a str,
    pub languages: &'a [String],
    pub open_registrations: bool,
    pub peering_policy: &'a str,
    /// The kinds of listing this cooperative deals in (modes, categories in use).
    pub activities: Vec<String>,
}

pub fn document(usage: &Usage, meta: &Metadata<'_>) -> Value {
    json!({
        "version": "2.1",
        "software": {
            "name": "maillage",
            "version": env!("CARGO_PKG_VERSION"),
            "repository": "https://example.invalid/maillage",
            "homepage": "https://example.invalid/maillage"
        },
        "protocols": ["activitypub"],
        "services": { "inbound": [], "outbound": [] },
        "openRegistrations": meta.open_registrations,
        "usage": {
            "users": {
                "total": usage.total_users,
                "activeMonth": usage.active_month,
                "activeHalfyear": usage.active_halfyear
            },
            "localPosts": usage.local_posts
        },
        "metadata": {
            "nodeName": meta.name,
            "nodeDescription": meta.description,
            "languages": meta.languages,
            "peeringPolicy": meta.peering_policy,
            "activities": meta.activities
        }
    })
}
