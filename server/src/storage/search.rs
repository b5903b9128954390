//! The catalogue query: full-text search, filters, sorts and pagination, on both backends.
//!
//! Text is matched on `search_text`, the accent-free lower-case form of title and description
//! (`domain::text::search_form`); each query word matches as a prefix, so "palette" finds
//! "Palettes". SQLite uses its FTS5 index, PostgreSQL the stored `search_vector` column
//! (`to_tsvector('simple', search_text)`, kept by PostgreSQL itself) and its GIN index.
//! Distances use the flat (equirectangular) approximation, which needs no trigonometry in SQL and is
//! within a percent of the great-circle distance at the scale of a territory.

use rusqlite::types::Value;
use sqlx::{AnyConnection, AssertSqlSafe};

use super::listings::{SELECT, from_row};
use super::{Backend, Db, reader};
use crate::domain::geo::Point;
use crate::domain::listing::{Listing, ListingStatus, Mode, Purpose, Visibility};

/// Whose listings: this instance's members', other instances', both, or one other instance's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    All,
    Local,
    Peers,
    /// The listings that came from this domain.
    Origin(String),
    /// The listings published to the viewer's collectives (`CatalogueQuery::collectives`).
    Collectives,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sort {
    Newest,
    Nearest,
}

/// What to look for. Built by the catalogue service from already-parsed values.
#[derive(Debug, Clone)]
pub struct CatalogueQuery {
    /// Search words in searchable form (see `search_terms`); all must match.
    pub terms: Vec<String>,
    pub purpose: Option<Purpose>,
    pub mode: Option<Mode>,
    /// A category and its sub-categories; empty for all.
    pub categories: Vec<&'static str>,
    pub near: Option<Point>,
    pub radius_km: Option<f64>,
    pub sort: Sort,
    pub scope: Scope,
    /// Only this member's listings (profile pages).
    pub member_id: Option<crate::domain::ids::MemberId>,
    pub statuses: Vec<ListingStatus>,
    pub visibilities: Vec<Visibility>,
    /// The collectives whose listings the viewer sees besides those of `visibilities` (the
    /// collectives they belong to).
    pub collectives: Vec<crate::domain::ids::CollectiveId>,
    /// Zero-based offset and page size.
    pub offset: i64,
    pub limit: i64,
}

#[derive(Clone)]
enum Param {
    Text(String),
    Real(f64),
    Int(i64),
}

impl Param {
    /// The value as the SQLite reader binds it.
    fn value(&self) -> Value {
        match self {
            Param::Text(v) => Value::Text(v.clone()),
            Param::Real(v) => Value::Real(*v),
            Param::Int(v) => Value::Integer(*v),
        }
    }
}

/// Accumulates SQL conditions and their positional parameters.
struct Builder {
    conditions: Vec<String>,
    params: Vec<Param>,
}

impl Builder {
    fn param(&mut self, value: Param) -> String {
        self.params.push(value);
        format!("${}", self.params.len())
    }

    /// `column IN ('a', 'b')` with the values written into the SQL: only for values from a closed set
    /// in our own code (enumerations, category ids), which never contain a quote. Bound parameters in
    /// a WHERE clause make SQLite (built with STAT4) re-prepare the statement on every execution.
    fn literal_in(&mut self, column: &str, values: &[&'static str]) {
        if values.is_empty() {
            return;
        }
        if values.iter().all(|v| v.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')) {
            let list: Vec<String> = values.iter().map(|v| format!("'{v}'")).collect();
            self.conditions.push(format!("{column} IN ({})", list.join(", ")));
        } else {
            self.text_in(column, values.iter().map(|v| (*v).to_owned()));
        }
    }

    fn text_in(&mut self, column: &str, values: impl IntoIterator<Item = String>) {
        let placeholders: Vec<String> = values.into_iter().map(|v| self.param(Param::Text(v))).collect();
        if !placeholders.is_empty() {
            self.conditions.push(format!("{column} IN ({})", placeholders.join(", ")));
        }
    }
}

/// One page of results; `has_more` tells whether a further page exists (we fetch one row more than
/// asked rather than count every match, which is what keeps large catalogues fast).
pub struct Page {
    pub items: Vec<Listing>,
    pub has_more: bool,
}

/// The statements of one catalogue query and their parameters: `sql`, then, when it does not fill
/// the page, `fallback` (PostgreSQL's text search sorted newest first, see `statements`).
pub(super) struct Statements {
    pub(super) sql: String,
    pub(super) fallback: Option<String>,
    params: Vec<Param>,
}

pub async fn catalogue(db: &Db, query: &CatalogueQuery) -> Result<Page, sqlx::Error> {
    let statements = statements(query, db.backend);
    let limit = usize::try_from(query.limit).unwrap_or(0);
    if let Some(reader) = db.reader() {
        // SQLite has no fallback: its text search is one statement.
        let params: Vec<Value> = statements.params.iter().map(Param::value).collect();
        return reader.read(|conn| {
            let mut items = reader::query(conn, &statements.sql, &params, |row| from_row(row))?;
            let has_more = items.len() > limit;
            items.truncate(limit);
            super::listings::with_photos_read(conn, &mut items)?;
            Ok(Page { items, has_more })
        });
    }
    let mut conn = db.conn().await?;
    let mut rows = fetch(&mut conn, &statements.sql, &statements.params).await?;
    if let Some(fallback) = &statements.fallback
        && rows.len() <= limit
    {
        rows = fetch(&mut conn, fallback, &statements.params).await?;
    }
    let mut items = rows.iter().map(from_row).collect::<Result<Vec<_>, _>>()?;
    let has_more = items.len() > limit;
    items.truncate(limit);
    super::listings::with_photos(&mut conn, &mut items).await?;
    Ok(Page { items, has_more })
}

pub(super) fn statements(query: &CatalogueQuery, backend: Backend) -> Statements {
    let mut b = Builder { conditions: Vec::new(), params: Vec::new() };
    let statuses: Vec<&'static str> = query.statuses.iter().map(|s| s.as_str()).collect();
    b.literal_in("l.status", &statuses);
    let visibilities: Vec<&'static str> = query.visibilities.iter().map(|v| v.as_str()).collect();
    if query.collectives.is_empty() {
        b.literal_in("l.visibility", &visibilities);
    } else {
        // A collective's listings, to its members: by the ids of their collectives.
        let listed: Vec<String> = visibilities.iter().map(|v| format!("'{v}'")).collect();
        let ids: Vec<String> =
            query.collectives.iter().map(|id| b.param(Param::Text(id.as_str().to_owned()))).collect();
        b.conditions.push(format!(
            "(l.visibility IN ({}) OR (l.visibility = 'collective' AND l.collective_id IN ({})))",
            listed.join(", "),
            ids.join(", ")
        ));
    }
    if let Some(purpose) = query.purpose {
        b.literal_in("l.purpose", &[purpose.as_str()]);
    }
    if let Some(mode) = query.mode {
        b.literal_in("l.mode", &[mode.as_str()]);
    }
    b.literal_in("l.category", &query.categories);
    match &query.scope {
        Scope::All => {}
        Scope::Local => b.conditions.push("l.origin IS NULL".to_owned()),
        Scope::Peers => b.conditions.push("l.origin IS NOT NULL".to_owned()),
        Scope::Origin(domain) => b.text_in("l.origin", [domain.clone()]),
        Scope::Collectives => b.conditions.push("l.visibility = 'collective'".to_owned()),
    }
    if let Some(member_id) = &query.member_id {
        b.text_in("l.member_id", [member_id.as_str().to_owned()]);
    }
    let mut from = SELECT.to_owned();
    let mut order = "l.seq DESC".to_owned();
    // PostgreSQL: the placeholder of the text query, matched once the other conditions are known.
    let mut pg_match: Option<String> = None;
    if !query.terms.is_empty() {
        match backend {
            Backend::Sqlite => {
                let expression: Vec<String> = query.terms.iter().map(|t| format!("\"{t}\"*")).collect();
                let p = b.param(Param::Text(expression.join(" ")));
                // Joined, and ordered by its rowid, the FTS index hands matches over newest first and
                // the LIMIT stops the scan: no need to fetch every match to sort them.
                from.push_str(" JOIN listings_fts f ON f.rowid = l.seq");
                b.conditions.push(format!("listings_fts MATCH {p}"));
                order = "f.rowid DESC".to_owned();
            }
            Backend::Postgres => {
                let expression: Vec<String> = query.terms.iter().map(|t| format!("{t}:*")).collect();
                // The stored column, not the expression: matching rows are then checked without
                // parsing their text again (migration 0003).
                pg_match = Some(b.param(Param::Text(expression.join(" & "))));
            }
        }
    }
    if let Some(point) = query.near {
        let lat = b.param(Param::Real(point.latitude));
        let lon = b.param(Param::Real(point.longitude));
        let scale = b.param(Param::Real(point.longitude_scale()));
        let distance = format!(
            "((l.latitude - {lat}) * (l.latitude - {lat}) + ((l.longitude - {lon}) * {scale}) * ((l.longitude - {lon}) * {scale}))"
        );
        if let Some(radius_km) = query.radius_km {
            let radius = Point::radius_in_degrees(radius_km);
            // The bounding box lets the position index narrow the scan before the exact test.
            let lat_min = b.param(Param::Real(point.latitude - radius));
            let lat_max = b.param(Param::Real(point.latitude + radius));
            let squared = b.param(Param::Real(radius * radius));
            b.conditions.push(format!("l.latitude BETWEEN {lat_min} AND {lat_max} AND {distance} <= {squared}"));
        }
        if query.sort == Sort::Nearest {
            order = format!("(l.latitude IS NULL), {distance}, l.seq DESC");
        }
    }
    let limit = super::literal_limit(query.limit + 1);
    // The offset is a number of ours (pages are capped by the catalogue service). PostgreSQL plans
    // a statement whose only parameter is `OFFSET $1` again at every execution, its generic plan
    // looking costlier: 0.3 ms of planning for 0.3 ms of work, on every catalogue page at 100,000
    // listings. Written in, page 1 is planned once per connection. SQLite keeps the parameter: every
    // page number would be one more statement in its reader's small cache.
    let offset = match backend {
        Backend::Postgres => query.offset.max(0).to_string(),
        Backend::Sqlite => b.param(Param::Int(query.offset)),
    };
    let where_clause = |extra: &[String]| {
        let conditions: Vec<&str> = b.conditions.iter().chain(extra).map(String::as_str).collect();
        if conditions.is_empty() { String::new() } else { format!(" WHERE {}", conditions.join(" AND ")) }
    };
    let page = |extra: &[String], order: &str| {
        format!("{from}{} ORDER BY {order} LIMIT {limit} OFFSET {offset}", where_clause(extra))
    };
    // The page's listings chosen from the listings table alone, then joined to their authors: a
    // text search may sort hundreds of matches, and joining each of them before the sort tripled
    // its time (9.5 ms instead of 2.2 ms for the 750 matches of « perceuse » at 100,000 listings).
    // Categories too: alone, SQLite reads the newest 51 of each category asked for from its index
    // (`listings_category (category, seq)`) and merges them; joined first, it joined and sorted
    // every listing of those categories (0.5 ms against 62 ms for « Matériaux » and its eight
    // sub-categories at 100,000 listings).
    let page_then_join = |extra: &[String], inner_order: &str, outer_order: &str| {
        format!(
            "{from} WHERE l.seq IN (SELECT l.seq FROM listings l{} ORDER BY {inner_order} LIMIT {limit} OFFSET {offset}) \
             ORDER BY {outer_order}",
            where_clause(extra)
        )
    };
    match pg_match {
        // SQLite without words: the page chosen, then joined (above). Its text search reads its
        // index joined, in the order the index hands matches over; PostgreSQL plans the join itself.
        None if backend == Backend::Sqlite && query.terms.is_empty() => {
            Statements { sql: page_then_join(&[], &order, &order), fallback: None, params: b.params.clone() }
        }
        None => Statements { sql: page(&[], &order), fallback: None, params: b.params.clone() },
        Some(p) if query.sort == Sort::Newest => {
            // PostgreSQL misjudges how many rows a text query matches: it walks the listings newest
            // first, testing each, which is quick for a frequent word and reads all 100,000 rows for
            // a rare one or one that matches nothing (85 ms). So: first the newest listings only,
            // tested one by one (`IS TRUE` keeps the planner from the text index there), which
            // finds a page of a frequent word in about 3 ms; when that window does not fill the
            // page, every match from the text index, sorted (`+ 0` keeps the planner from walking
            // the seq index again): 1 to 4 ms for a word in 1 % of 100,000 listings.
            let window = [
                format!("(l.search_vector @@ to_tsquery('simple', {p})) IS TRUE"),
                format!("l.seq > (SELECT COALESCE(MAX(seq), 0) - {PG_SEARCH_WINDOW} FROM listings)"),
            ];
            let all = [format!("l.search_vector @@ to_tsquery('simple', {p})")];
            Statements {
                sql: page(&window, "l.seq DESC"),
                fallback: Some(page_then_join(&all, "l.seq + 0 DESC", "l.seq DESC")),
                params: b.params.clone(),
            }
        }
        Some(p) => {
            let all = [format!("l.search_vector @@ to_tsquery('simple', {p})")];
            Statements { sql: page_then_join(&all, &order, &order), fallback: None, params: b.params.clone() }
        }
    }
}

/// How many of the newest listings a PostgreSQL text search tests one by one before it asks the
/// text index for every match (see `catalogue`).
const PG_SEARCH_WINDOW: i64 = 3000;

/// Runs one catalogue statement with its parameters.
async fn fetch(conn: &mut AnyConnection, sql: &str, params: &[Param]) -> Result<Vec<sqlx::any::AnyRow>, sqlx::Error> {
    // Safe: the SQL is assembled from constants and numbered placeholders only; values are bound.
    let mut q = sqlx::query(AssertSqlSafe(sql.to_owned()));
    for param in params {
        q = match param {
            Param::Text(v) => q.bind(v.clone()),
            Param::Real(v) => q.bind(*v),
            Param::Int(v) => q.bind(*v),
        };
    }
    q.fetch_all(&mut *conn).await
}
