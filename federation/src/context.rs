//! JSON-LD contexts: the `@context` of every document we send, and our own context document, served
//! by every instance at [`crate::urls::CONTEXT_PATH`], for the terms neither ActivityStreams nor
//! FEP-0837 define.

use serde_json::{Value, json};

/// The Mobilizon namespace, whose `participationMessage` a `Join` may carry.
pub const MOBILIZON_NS: &str = "https://joinmobilizon.org/ns#";

/// The namespace of Maillage's own terms.
pub const MAILLAGE_NS: &str = "https://maillage.coop/ns#";

/// The FEP-0837 (Valueflows and OM 2) terms we use, and ours.
fn terms() -> Value {
    json!({
        "vf": "https://w3id.org/valueflows/ont/vf#",
        "om2": "http://www.ontology-of-units-of-measure.org/resource/om-2/",
        "maillage": MAILLAGE_NS,
        "Proposal": "vf:Proposal",
        "Intent": "vf:Intent",
        "purpose": "vf:purpose",
        "publishes": "vf:publishes",
        "reciprocal": "vf:reciprocal",
        "unitBased": "vf:unitBased",
        "action": "vf:action",
        "resourceConformsTo": { "@id": "vf:resourceConformsTo", "@type": "@id" },
        "resourceQuantity": "vf:resourceQuantity",
        "availableQuantity": "vf:availableQuantity",
        "hasUnit": "om2:hasUnit",
        "hasNumericalValue": "om2:hasNumericalValue",
        "Agreement": "vf:Agreement",
        "Commitment": "vf:Commitment",
        "stipulates": "vf:stipulates",
        "stipulatesReciprocal": "vf:stipulatesReciprocal",
        "satisfies": { "@id": "vf:satisfies", "@type": "@id" },
        "provider": { "@id": "vf:provider", "@type": "@id" },
        "receiver": { "@id": "vf:receiver", "@type": "@id" },
        "hasBeginning": "vf:hasBeginning",
        "hasEnd": "vf:hasEnd",
        "hasPointInTime": "vf:hasPointInTime",
        "due": "vf:due",
        "manuallyApprovesFollowers": "as:manuallyApprovesFollowers",
        "mz": MOBILIZON_NS,
        "participationMessage": "mz:participationMessage",
        "postingRestrictedToMods": "https://join-lemmy.org/ns#postingRestrictedToMods"
    })
}

/// Our context document (what `/ns/maillage.jsonld` serves).
pub fn document() -> Value {
    json!({ "@context": terms() })
}

/// The `@context` of every document we send: ActivityStreams, the security vocabulary (public
/// keys), and the terms above inline, so that a reader needs no further request.
pub fn outgoing() -> Value {
    json!(["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1", terms()])
}

/// A document with the outgoing context first.
pub fn with_context(document: Value) -> Value {
    let mut out = serde_json::Map::new();
    out.insert("@context".to_owned(), outgoing());
    if let Value::Object(map) = document {
        for (k, v) in map {
            if k != "@context" {
                out.insert(k, v);
            }
        }
    }
    Value::Object(out)
}
