//! Signed fetches of remote documents: actors (cached through the port), any JSON document, and
//! the proposals of an outbox read page after page (backfill).

use activitypub_federation::fetch::object_id::ObjectId;
use url::Url;

use crate::actors::RemoteActorObject;
use crate::client::{Federation, with_status};
use crate::error::FederationError;
use crate::port::RemoteActor;

impl Federation {
    /// A remote actor, from our copy when it is recent, otherwise fetched (signed) and kept.
    pub async fn actor(&self, id: &Url) -> Result<RemoteActor, FederationError> {
        let data = self.data();
        // Boxed: the library's dereference is a large future, and every signed request awaits it.
        let object: RemoteActorObject =
            with_status(id, Box::pin(ObjectId::from(id.clone()).dereference(&data))).await?;
        Ok(object.0)
    }

    /// The proposals in an outbox (from its `Create`s and `Update`s, or bare), reading at most
    /// `max_pages` pages; only those of the outbox's own server (ids and authors) are kept.
    pub async fn outbox_proposals(
        &self,
        outbox: &Url,
        max_pages: usize,
    ) -> Result<Vec<crate::proposal::Proposal>, FederationError> {
        let domain = crate::urls::domain_of(outbox);
        let collection = self.fetch_json(outbox).await?;
        let mut items = items_of(&collection);
        let mut next = collection.get("first").and_then(crate::vocab::value_id);
        let mut pages = 0;
        while let Some(page_url) = next.take() {
            pages += 1;
            if pages > max_pages || crate::urls::domain_of(&page_url) != domain {
                break;
            }
            // A page that fails ends the reading: what the earlier pages held is still worth keeping.
            let page = match self.fetch_json(&page_url).await {
                Ok(page) => page,
                Err(error) => {
                    tracing::info!(%page_url, %error, "outbox page unreadable: reading stops there");
                    break;
                }
            };
            items.extend(items_of(&page));
            next = page.get("next").and_then(crate::vocab::value_id);
        }
        Ok(items
            .into_iter()
            .filter_map(|item| {
                let object = match item.get("type").and_then(|t| t.as_str()) {
                    Some("Create" | "Update") => item.get("object").cloned()?,
                    _ => item,
                };
                serde_json::from_value::<crate::proposal::Proposal>(object).ok()
            })
            .filter(|p| crate::urls::domain_of(&p.id) == domain && crate::urls::domain_of(&p.attributed_to) == domain)
            .map(|p| p.received(self.insecure_local))
            .collect())
    }

    /// Fetches any ActivityPub document (signed); its `id` must be the URL fetched.
    pub async fn fetch_json(&self, url: &Url) -> Result<serde_json::Value, FederationError> {
        let data = self.data();
        let response: activitypub_federation::fetch::FetchObjectResponse<serde_json::Value> =
            with_status(url, async { Ok(activitypub_federation::fetch::fetch_object_http(url, &data).await?) }).await?;
        Ok(response.object)
    }
}

/// The items of a collection or collection page.
fn items_of(collection: &serde_json::Value) -> Vec<serde_json::Value> {
    let from = |key: &str| collection.get(key).and_then(|v| v.as_array()).cloned();
    from("orderedItems").or_else(|| from("items")).unwrap_or_default()
}
