//! The catalogue: search, filters, sorts and pages.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Html;

use super::PageCtx;
use super::forms::{Choice, Field, FieldMessages, enum_choices};
use super::views::ListingView;
use crate::domain::category::CATEGORIES;
use crate::domain::gazetteer;
use crate::domain::listing::{Mode, Purpose};
use crate::error::{AppError, AppResult};
use crate::services::catalogue::{self, CatalogueParams};
use crate::state::AppState;

#[derive(Template)]
#[template(path = "catalogue.html")]
struct CataloguePage {
    ctx: PageCtx,
    params: CatalogueParams,
    purposes: Vec<Choice>,
    modes: Vec<Choice>,
    categories: Vec<Choice>,
    sort_nearest: bool,
    scope: String,
    /// The filters are folded away unless one is in use (or wrong), so that results come first on a phone.
    filters_open: bool,
    errors: FieldMessages,
    items: Vec<ListingView>,
    page: i64,
    previous_url: Option<String>,
    next_url: Option<String>,
    /// When `near` is a name several communes share: each of them, and the search near it.
    place_candidates: Vec<(String, String)>,
}

/// The search form's fields, in the order it shows them.
const FIELDS: &[Field] = &[
    Field { name: "q", input: "q", label: "catalogue.search_label" },
    Field { name: "purpose", input: "purpose", label: "listing.purpose" },
    Field { name: "mode", input: "mode", label: "listing.mode" },
    Field { name: "category", input: "category", label: "listing.category" },
    Field { name: "near", input: "near", label: "catalogue.near" },
    Field { name: "radius_km", input: "radius_km", label: "catalogue.radius" },
    Field { name: "sort", input: "sort", label: "catalogue.sort" },
    Field { name: "scope", input: "scope", label: "catalogue.scope" },
    Field { name: "page", input: "q", label: "catalogue.page_number" },
];

fn selected(param: &Option<String>, value: &str) -> bool {
    param.as_deref().map(str::trim) == Some(value)
}

pub async fn page(
    State(state): State<AppState>,
    ctx: PageCtx,
    Query(mut params): Query<CatalogueParams>,
) -> AppResult<Html<String>> {
    let t = ctx.t;
    // "Nearest first" or a radius without a point: a member's own place (from their profile) is
    // the point, shown in the form so that they see it and can change it.
    let wants_point =
        selected(&params.sort, "nearest") || params.radius_km.as_deref().is_some_and(|r| !r.trim().is_empty());
    let has_point = params.near.as_deref().is_some_and(|n| !n.trim().is_empty());
    if wants_point && !has_point {
        let home = ctx.viewer.as_ref().and_then(|v| v.location.as_ref()).and_then(|l| l.point);
        if let Some(home) = home {
            params.near = Some(format!("{},{}", home.latitude, home.longitude));
        }
    }
    let (items, page, has_more, errors) = match catalogue::search(state.db(), &params, ctx.viewer.as_ref()).await {
        Ok(results) => {
            let items = results.items.iter().map(|f| ListingView::card(t, &f.listing, f.distance_km)).collect();
            (items, results.page, results.has_more, FieldMessages::default())
        }
        Err(error) if !error.fields.is_empty() => (Vec::new(), 1, false, FieldMessages::new(t, &error.fields, FIELDS)),
        Err(error) => return Err(error),
    };
    let page_url = |number: i64| search_url(&params, params.near.as_deref(), number);
    let place_candidates = match params.near.as_deref() {
        Some(near) if errors.has("near") => {
            gazetteer::candidates(near).iter().map(|c| (c.label(), search_url(&params, Some(&c.label()), 1))).collect()
        }
        _ => Vec::new(),
    };
    let purposes =
        enum_choices(t, "purpose", Purpose::ALL.iter().map(|p| p.as_str()), params.purpose.as_deref().unwrap_or(""));
    let modes = enum_choices(t, "mode", Mode::ALL.iter().map(|m| m.as_str()), params.mode.as_deref().unwrap_or(""));
    let categories = category_choices(t.code(), params.category.as_deref());
    let html = CataloguePage {
        sort_nearest: selected(&params.sort, "nearest"),
        scope: params.scope.as_deref().map(str::trim).unwrap_or("all").to_owned(),
        filters_open: !errors.is_empty()
            || [
                (&params.purpose, ""),
                (&params.mode, ""),
                (&params.category, ""),
                (&params.near, ""),
                (&params.radius_km, ""),
                (&params.sort, "newest"),
                (&params.scope, "all"),
            ]
            .iter()
            // In use: given, and not the default the form sends with every search.
            .any(|(p, default)| p.as_deref().map(str::trim).is_some_and(|v| !v.is_empty() && v != *default)),
        place_candidates,
        previous_url: (page > 1).then(|| page_url(page - 1)),
        next_url: has_more.then(|| page_url(page + 1)),
        ctx,
        params,
        purposes,
        modes,
        categories,
        errors,
        items,
        page,
    }
    .render()
    .map_err(AppError::internal)?;
    Ok(Html(html))
}

/// The catalogue's URL for these parameters, with `near` as given, at page `number`.
fn search_url(params: &CatalogueParams, near: Option<&str>, number: i64) -> String {
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    for (key, value) in [
        ("q", params.q.as_deref()),
        ("purpose", params.purpose.as_deref()),
        ("mode", params.mode.as_deref()),
        ("category", params.category.as_deref()),
        ("near", near),
        ("radius_km", params.radius_km.as_deref()),
        ("sort", params.sort.as_deref()),
        ("scope", params.scope.as_deref()),
    ] {
        if let Some(value) = value.filter(|v| !v.trim().is_empty()) {
            query.append_pair(key, value);
        }
    }
    query.append_pair("page", &number.to_string());
    format!("/catalogue?{}", query.finish())
}

/// The category `<select>` options, sub-categories indented under their parent.
pub fn category_choices(lang: &str, current: Option<&str>) -> Vec<Choice> {
    CATEGORIES
        .iter()
        .map(|c| Choice {
            value: c.id,
            label: c.label(lang),
            selected: current.map(str::trim) == Some(c.id),
            indent: c.parent.is_some(),
        })
        .collect()
}
