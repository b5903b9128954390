//! Listings: search, publish, read, change, delete.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::http::header::LOCATION;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::json::{ApiJson, ApiQuery};
use super::listing_body::{ListingPatch, NewListing};
use super::views::{Links, ListingJson, ListingPage};
use crate::error::AppResult;
use crate::http::auth::{ApiCaller, ApiMember};
use crate::http::ids::ListingPath;
use crate::i18n::Tr;
use crate::services::catalogue::{self, CatalogueParams};
use crate::services::listings;
use crate::state::AppState;

/// The search parameters `GET /listings` accepts; any other is refused, so that a misspelt filter
/// does not silently return everything.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SearchQuery {
    q: Option<String>,
    purpose: Option<String>,
    mode: Option<String>,
    category: Option<String>,
    near: Option<String>,
    radius_km: Option<String>,
    sort: Option<String>,
    scope: Option<String>,
    page: Option<String>,
    per_page: Option<String>,
    /// Read by the language middleware; kept in `next` links.
    lang: Option<String>,
}

impl SearchQuery {
    fn params(&self) -> CatalogueParams {
        CatalogueParams {
            q: self.q.clone(),
            purpose: self.purpose.clone(),
            mode: self.mode.clone(),
            category: self.category.clone(),
            near: self.near.clone(),
            radius_km: self.radius_km.clone(),
            sort: self.sort.clone(),
            scope: self.scope.clone(),
            page: self.page.clone(),
            per_page: self.per_page.clone(),
        }
    }

    /// The same search, on page `page`.
    fn page_url(&self, links: &Links, page: i64) -> String {
        let page = page.to_string();
        let pairs = [
            ("q", self.q.as_deref()),
            ("purpose", self.purpose.as_deref()),
            ("mode", self.mode.as_deref()),
            ("scope", self.scope.as_deref()),
            ("category", self.category.as_deref()),
            ("near", self.near.as_deref()),
            ("radius_km", self.radius_km.as_deref()),
            ("sort", self.sort.as_deref()),
            ("page", Some(page.as_str())),
            ("per_page", self.per_page.as_deref()),
            ("lang", self.lang.as_deref()),
        ];
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        for (name, value) in pairs {
            if let Some(value) = value.map(str::trim).filter(|v| !v.is_empty()) {
                query.append_pair(name, value);
            }
        }
        format!("{}?{}", links.api("listings"), query.finish())
    }
}

pub async fn search(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    t: Tr,
    ApiQuery(query): ApiQuery<SearchQuery>,
) -> AppResult<Json<ListingPage>> {
    let results = catalogue::search(state.db(), &query.params(), caller.as_ref()).await?;
    let links = Links::new(state.config());
    let items = results.items.iter().map(|f| ListingJson::new(&links, t, &f.listing, f.distance_km)).collect();
    let next = results.has_more.then(|| query.page_url(&links, results.page + 1));
    Ok(Json(ListingPage { items, page: results.page, per_page: results.per_page, has_more: results.has_more, next }))
}

pub async fn create(
    State(state): State<AppState>,
    ApiMember(member): ApiMember,
    t: Tr,
    ApiJson(body): ApiJson<NewListing>,
) -> AppResult<Response> {
    let listing = listings::create(&state.services, &member, &body.into_input()).await?;
    let links = Links::new(state.config());
    let location = links.api(&format!("listings/{}", listing.id));
    let json = ListingJson::new(&links, t, &listing, None);
    Ok((StatusCode::CREATED, [(LOCATION, location)], Json(json)).into_response())
}

pub async fn get(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    t: Tr,
    ListingPath(id): ListingPath,
) -> AppResult<Json<ListingJson>> {
    let listing = listings::get(state.db(), &id, caller.as_ref()).await?;
    Ok(Json(ListingJson::new(&Links::new(state.config()), t, &listing, None)))
}

/// Changes the fields given; the listing is validated as a whole, and nothing changes unless all
/// of it is valid.
pub async fn update(
    State(state): State<AppState>,
    ApiMember(member): ApiMember,
    t: Tr,
    ListingPath(id): ListingPath,
    ApiJson(patch): ApiJson<ListingPatch>,
) -> AppResult<Json<ListingJson>> {
    let updated = listings::edit(&state.services, &id, &member, |input| patch.apply(input)).await?;
    Ok(Json(ListingJson::new(&Links::new(state.config()), t, &updated, None)))
}

/// Deletes a listing: its author, or a moderator or admin removing it.
pub async fn delete(
    State(state): State<AppState>,
    ApiMember(member): ApiMember,
    ListingPath(id): ListingPath,
) -> AppResult<StatusCode> {
    listings::delete(&state.services, &id, &member).await?;
    Ok(StatusCode::NO_CONTENT)
}
