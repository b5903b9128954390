//! The cooperative's front page (`/`): what the cooperative is, its own members' newest listings,
//! then a few listings of each partner and the way to the whole shared catalogue (`/catalogue`).

use askama::Template;
use axum::extract::{RawQuery, State};
use axum::response::{IntoResponse, Redirect, Response};

use super::PageCtx;
use super::render;
use super::views::{ListingView, large_logo_url};
use crate::domain::link::WebLink;
use crate::error::AppResult;
use crate::services::catalogue::{self, Found};
use crate::services::cooperative;
use crate::state::AppState;

/// A partner as the front page shows it.
struct PartnerView {
    name: String,
    /// Its front page: the domain we peered with, at the scheme we reach other instances by.
    url: Option<WebLink>,
    items: Vec<ListingView>,
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    ctx: PageCtx,
    logo: Option<String>,
    /// The presentation as safe HTML; empty when the administrators wrote none.
    presentation_html: String,
    ours: Vec<ListingView>,
    partners: Vec<PartnerView>,
}

/// The catalogue's parameters (`CatalogueParams`): a link to `/` with one of them is a search.
const SEARCH_PARAMETERS: [&str; 10] =
    ["q", "purpose", "mode", "category", "near", "radius_km", "sort", "scope", "page", "per_page"];

pub async fn page(State(state): State<AppState>, ctx: PageCtx, RawQuery(query): RawQuery) -> AppResult<Response> {
    // Searches were made on `/` before the catalogue had its own page: links to them still work.
    let query = query.unwrap_or_default();
    if url::form_urlencoded::parse(query.as_bytes()).any(|(key, _)| SEARCH_PARAMETERS.contains(&key.as_ref())) {
        return Ok(Redirect::permanent(&format!("/catalogue?{query}")).into_response());
    }
    let presented = cooperative::presented(&state.services).await?;
    let front = catalogue::front_page(state.db(), ctx.viewer.as_ref()).await?;
    let t = ctx.t;
    let views = |items: &[Found]| items.iter().map(|f| ListingView::card(t, &f.listing, None)).collect();
    let scheme = state.config().federation.scheme();
    let partners = front
        .partners
        .iter()
        .map(|p| PartnerView {
            name: p.name.clone().unwrap_or_else(|| p.domain.clone()),
            url: WebLink::parse(&format!("{scheme}://{}/", p.domain)),
            items: views(&p.items),
        })
        .collect();
    let page = HomePage {
        logo: presented.cooperative.logo.as_ref().map(large_logo_url),
        presentation_html: presented.presentation_html.clone(),
        ours: views(&front.ours),
        partners,
        ctx,
    };
    Ok(render(page)?.into_response())
}
