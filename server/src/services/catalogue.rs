//! Finding listings: the parameters a person or a client gives, parsed and turned into a query.

use crate::domain::FieldError;
use crate::domain::category;
use crate::domain::gazetteer;
use crate::domain::geo::parse_radius;
use crate::domain::listing::{Listing, ListingStatus, Mode, Purpose, Visibility};
use crate::domain::member::Member;
use crate::domain::message::FieldErrors;
use crate::domain::text::search_terms;
use crate::error::{AppError, AppResult};
use crate::services::listings::{collectives_of, visibilities_for};
use crate::storage::Db;
use crate::storage::search::{self, CatalogueQuery, Scope, Sort};

pub const PER_PAGE_DEFAULT: i64 = 50;
pub const PER_PAGE_MAX: i64 = 100;
const MAX_PAGE: i64 = 1000;
const MAX_TERMS: usize = 8;
const MAX_QUERY_CHARS: usize = 200;

/// Search parameters as the catalogue page and `GET /api/v1/listings` receive them. Empty strings
/// mean "not given", as HTML forms send them.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct CatalogueParams {
    pub q: Option<String>,
    pub purpose: Option<String>,
    pub mode: Option<String>,
    pub category: Option<String>,
    pub near: Option<String>,
    pub radius_km: Option<String>,
    pub sort: Option<String>,
    /// `local` (this instance), `peers` (peered instances) or `all` (the default).
    pub scope: Option<String>,
    pub page: Option<String>,
    pub per_page: Option<String>,
}

/// One result with its distance from the `near` point, when one was given.
pub struct Found {
    pub listing: Listing,
    pub distance_km: Option<f64>,
}

pub struct Results {
    pub items: Vec<Found>,
    pub page: i64,
    pub per_page: i64,
    pub has_more: bool,
}

fn given(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

fn parse_int(field: &'static str, value: &str, min: i64, max: i64) -> Result<i64, FieldError> {
    match value.parse::<i64>() {
        Ok(n) if (min..=max).contains(&n) => Ok(n),
        _ => Err(FieldError::new(field, "error.integer_range").with("min", min).with("max", max)),
    }
}

impl CatalogueParams {
    /// Parses every parameter, reporting every problem at once.
    pub fn parse(&self, viewer: Option<&Member>) -> Result<(CatalogueQuery, i64), Vec<FieldError>> {
        let mut errors = FieldErrors::default();
        let q = given(&self.q).unwrap_or_default();
        if q.chars().count() > MAX_QUERY_CHARS {
            errors.push(FieldError::new("q", "error.too_long").with("max", MAX_QUERY_CHARS));
        }
        let purpose = given(&self.purpose).and_then(|p| errors.take(Purpose::parse(p)));
        let mode = given(&self.mode).and_then(|m| errors.take(Mode::parse(m)));
        let categories = given(&self.category)
            .and_then(|c| errors.take(category::parse("category", c)))
            .map(|c| category::with_children(c.id))
            .unwrap_or_default();
        let near = given(&self.near).and_then(|n| errors.take(gazetteer::point_of("near", n)));
        let radius_km = given(&self.radius_km).and_then(|r| match r.replace(',', ".").parse::<f64>() {
            Ok(r) => errors.take(parse_radius("radius_km", r)),
            Err(_) => errors.take(Err(FieldError::new("radius_km", "error.number"))),
        });
        if radius_km.is_some() && near.is_none() && given(&self.near).is_none() {
            errors.push(FieldError::new("near", "error.near_required"));
        }
        let sort = match given(&self.sort) {
            None | Some("newest") => Sort::Newest,
            Some("nearest") => {
                if near.is_none() && given(&self.near).is_none() {
                    errors.push(FieldError::new("near", "error.near_required"));
                }
                Sort::Nearest
            }
            Some(_) => {
                errors.push(FieldError::new("sort", "error.invalid_choice").with("allowed", "newest, nearest"));
                Sort::Newest
            }
        };
        let scope = match given(&self.scope) {
            None | Some("all") => Scope::All,
            Some("local") => Scope::Local,
            Some("peers") => Scope::Peers,
            Some("collectives") => Scope::Collectives,
            Some(_) => {
                let allowed = "local, peers, collectives, all";
                errors.push(FieldError::new("scope", "error.invalid_choice").with("allowed", allowed));
                Scope::All
            }
        };
        let page = given(&self.page).map_or(Some(1), |p| errors.take(parse_int("page", p, 1, MAX_PAGE)));
        let per_page = given(&self.per_page)
            .map_or(Some(PER_PAGE_DEFAULT), |p| errors.take(parse_int("per_page", p, 1, PER_PAGE_MAX)));
        let (Some(page), Some(per_page)) = (page, per_page) else {
            return Err(errors.0);
        };
        errors.into_result()?;
        let query = CatalogueQuery {
            terms: search_terms(q, MAX_TERMS),
            purpose,
            mode,
            categories,
            near,
            radius_km,
            sort,
            scope,
            member_id: None,
            statuses: vec![ListingStatus::Active, ListingStatus::Reserved],
            visibilities: visibilities_for(viewer),
            collectives: Vec::new(),
            offset: (page - 1) * per_page,
            limit: per_page,
        };
        Ok((query, page))
    }
}

pub async fn search(db: &Db, params: &CatalogueParams, viewer: Option<&Member>) -> AppResult<Results> {
    let (mut query, page) = params.parse(viewer).map_err(AppError::validation)?;
    query.collectives = collectives_of(db, viewer).await?;
    run(db, &query, page).await
}

/// A member's listings for their profile page: active ones for visitors, all for the member.
pub async fn by_member(db: &Db, member: &Member, viewer: Option<&Member>, page: i64) -> AppResult<Results> {
    let own = viewer.is_some_and(|v| v.id == member.id);
    let statuses = if own { ListingStatus::ALL.to_vec() } else { vec![ListingStatus::Active, ListingStatus::Reserved] };
    let mut query = newest(statuses, visibilities_for(viewer), page, PER_PAGE_DEFAULT);
    query.member_id = Some(member.id.clone());
    query.collectives = collectives_of(db, viewer).await?;
    run(db, &query, page).await
}

/// How many of our members' newest listings the front page shows.
pub const FRONT_PAGE_OURS: i64 = 8;
/// How many of each partner's newest listings it shows.
pub const FRONT_PAGE_PER_PARTNER: i64 = 4;
/// How many partners at most: those whose listings are the most recent.
pub const FRONT_PAGE_PARTNERS: usize = 6;

/// A cooperative we are peered with, and a few of its newest listings.
pub struct Partner {
    pub domain: String,
    /// Its name as its instance actor gives it, when we know it.
    pub name: Option<String>,
    pub items: Vec<Found>,
}

/// What the front page lists: our members' newest listings, then a few of each partner's.
pub struct FrontPage {
    pub ours: Vec<Found>,
    pub partners: Vec<Partner>,
}

/// The front page's listings, those `viewer` may see that are open (active or reserved): the
/// newest of our members', then of each peered instance we receive from, the partners whose
/// listings are the newest first (one short query each, along the index of listings by origin).
pub async fn front_page(db: &Db, viewer: Option<&Member>) -> AppResult<FrontPage> {
    let open = || vec![ListingStatus::Active, ListingStatus::Reserved];
    let mut ours = newest(open(), visibilities_for(viewer), 1, FRONT_PAGE_OURS);
    ours.scope = Scope::Local;
    ours.collectives = collectives_of(db, viewer).await?;
    let ours = run(db, &ours, 1).await?.items;
    let peers = crate::storage::peers::peers(&mut *db.conn().await?).await?;
    let mut partners = Vec::new();
    for peer in peers.into_iter().filter(|p| p.we_receive()) {
        let mut query = newest(open(), visibilities_for(viewer), 1, FRONT_PAGE_PER_PARTNER);
        query.scope = Scope::Origin(peer.domain.clone());
        let items = run(db, &query, 1).await?.items;
        if items.is_empty() {
            continue;
        }
        let name = items.iter().find_map(|f| f.listing.origin.as_ref().and_then(|o| o.name.clone()));
        partners.push(Partner { domain: peer.domain, name, items });
    }
    partners.sort_by_key(|p| std::cmp::Reverse(p.items.first().map_or(0, |f| f.listing.created_at)));
    partners.truncate(FRONT_PAGE_PARTNERS);
    Ok(FrontPage { ours, partners })
}

/// The most recent listings of every status and visibility, for moderators.
pub async fn recent_for_moderation(db: &Db, page: i64) -> AppResult<Results> {
    let query = newest(ListingStatus::ALL.to_vec(), Visibility::ALL.to_vec(), page, PER_PAGE_MAX);
    run(db, &query, page).await
}

/// Every listing of these statuses and visibilities, newest first, one page of them.
fn newest(statuses: Vec<ListingStatus>, visibilities: Vec<Visibility>, page: i64, per_page: i64) -> CatalogueQuery {
    CatalogueQuery {
        terms: Vec::new(),
        purpose: None,
        mode: None,
        categories: Vec::new(),
        near: None,
        radius_km: None,
        sort: Sort::Newest,
        scope: Scope::All,
        member_id: None,
        statuses,
        visibilities,
        collectives: Vec::new(),
        offset: (page.clamp(1, MAX_PAGE) - 1) * per_page,
        limit: per_page,
    }
}

async fn run(db: &Db, query: &CatalogueQuery, page: i64) -> AppResult<Results> {
    let found = search::catalogue(db, query).await?;
    let items = found
        .items
        .into_iter()
        .map(|listing| {
            let distance_km = query
                .near
                .and_then(|near| listing.content.location.as_ref().and_then(|l| l.point).map(|p| near.distance_km(&p)));
            Found { listing, distance_km }
        })
        .collect();
    Ok(Results { items, page, per_page: query.limit, has_more: found.has_more })
}
