//! NodeInfo 2.1: what software runs here, its usage, and the cooperative's metadata.

use serde::Serialize;
use url::Url;

pub const SCHEMA_21: &str = "http://nodeinfo.diaspora.software/ns/schema/2.1";

/// `/.well-known/nodeinfo`: where the document is.
pub fn discovery(nodeinfo: &Url) -> Discovery {
    Discovery { links: vec![DiscoveryLink { rel: SCHEMA_21, href: nodeinfo.clone() }] }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Discovery {
    pub links: Vec<DiscoveryLink>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DiscoveryLink {
    pub rel: &'static str,
    pub href: Url,
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

/// The NodeInfo 2.1 document, as we send it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Document<'a> {
    pub version: &'static str,
    pub software: Software,
    pub protocols: [&'static str; 1],
    pub services: Services,
    pub open_registrations: bool,
    pub usage: UsageJson,
    pub metadata: MetadataJson<'a>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Software {
    pub name: &'static str,
    pub version: &'static str,
    pub repository: &'static str,
    pub homepage: &'static str,
}

/// NodeInfo's `services`: the third-party services this server talks to (none).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Services {
    pub inbound: [&'static str; 0],
    pub outbound: [&'static str; 0],
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UsageJson {
    pub users: Users,
    pub local_posts: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Users {
    pub total: i64,
    pub active_month: i64,
    pub active_halfyear: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MetadataJson<'a> {
    pub node_name: &'a str,
    pub node_description: &'a str,
    pub languages: &'a [String],
    pub peering_policy: &'a str,
    pub activities: &'a [String],
}

pub fn document<'a>(usage: &Usage, meta: &'a Metadata<'a>) -> Document<'a> {
    Document {
        version: "2.1",
        software: Software {
            name: "maillage",
            version: env!("CARGO_PKG_VERSION"),
            repository: "https://example.invalid/maillage",
            homepage: "https://example.invalid/maillage",
        },
        protocols: ["activitypub"],
        services: Services { inbound: [], outbound: [] },
        open_registrations: meta.open_registrations,
        usage: UsageJson {
            users: Users {
                total: usage.total_users,
                active_month: usage.active_month,
                active_halfyear: usage.active_halfyear,
            },
            local_posts: usage.local_posts,
        },
        metadata: MetadataJson {
            node_name: meta.name,
            node_description: meta.description,
            languages: meta.languages,
            peering_policy: meta.peering_policy,
            activities: &meta.activities,
        },
    }
}
