//! Listings: insert, update, delete, fetch one. Catalogue queries are in `search.rs`.

use sqlx::any::AnyRow;
use sqlx::{AssertSqlSafe, Row};

use super::Db;
use super::members::{decode, location_from_row};
use crate::domain::category;
use crate::domain::listing::{
    Author, Listing, ListingDraft, ListingStatus, Mode, PriceCents, Purpose, Quantity, Unit, Visibility, parse_date,
};
use crate::domain::text::search_form;

/// Columns selected for a listing with its author (`l` is listings, `m` members).
pub(super) const SELECT: &str = "SELECT l.id, l.member_id, m.username, m.display_name, l.purpose, l.mode, \
     l.category, l.title, l.description, l.quantity_milli, l.unit, l.price_cents, l.location_name, l.latitude, \
     l.longitude, l.available_from, l.available_until, l.status, l.visibility, l.created_at, l.updated_at \
     FROM listings l JOIN members m ON m.id = l.member_id";

fn searchable(draft: &ListingDraft) -> String {
    search_form(&format!("{} {}", draft.title, draft.description))
}

pub async fn insert(db: &Db, id: &str, member_id: &str, draft: &ListingDraft, now: i64) -> Result<(), sqlx::Error> {
    insert_query(id, member_id, draft, now).execute(&db.pool).await?;
    Ok(())
}

/// A listing to insert in bulk: id, author's member id, content, creation time (unix ms).
pub type NewListing<'a> = (&'a str, &'a str, &'a ListingDraft, i64);

/// Inserts many listings in one transaction: all of them or, on error, none. For seeding and imports,
/// where one transaction per row would spend most of its time committing.
pub async fn insert_many(db: &Db, listings: &[NewListing<'_>]) -> Result<(), sqlx::Error> {
    let mut tx = db.pool.begin().await?;
    for (id, member_id, draft, created_at) in listings {
        insert_query(id, member_id, draft, *created_at).execute(&mut *tx).await?;
    }
    tx.commit().await
}

fn insert_query(
    id: &str,
    member_id: &str,
    draft: &ListingDraft,
    now: i64,
) -> sqlx::query::Query<'static, sqlx::Any, sqlx::any::AnyArguments> {
    let point = draft.location.as_ref().and_then(|l| l.point);
    sqlx::query(
        "INSERT INTO listings (id, member_id, purpose, mode, category, title, description, quantity_milli, unit, \
         price_cents, location_name, latitude, longitude, available_from, available_until, status, visibility, \
         search_text, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, CAST($12 AS DOUBLE PRECISION), \
         CAST($13 AS DOUBLE PRECISION), $14, $15, $16, $17, $18, $19, $19)",
    )
    .bind(id)
    .bind(member_id)
    .bind(draft.purpose.as_str())
    .bind(draft.mode.as_str())
    .bind(draft.category.id)
    .bind(&draft.title)
    .bind(&draft.description)
    .bind(draft.quantity.map(Quantity::milli))
    .bind(draft.unit.as_str())
    .bind(draft.price.map(PriceCents::cents))
    .bind(draft.location.as_ref().map(|l| l.name.clone()))
    .bind(super::nullable_real(point.map(|p| p.latitude)))
    .bind(super::nullable_real(point.map(|p| p.longitude)))
    .bind(draft.available_from.map(crate::domain::listing::format_date))
    .bind(draft.available_until.map(crate::domain::listing::format_date))
    .bind(draft.status.as_str())
    .bind(draft.visibility.as_str())
    .bind(searchable(draft))
    .bind(now)
}

/// Replaces a listing's content; returns whether it exists.
pub async fn update(db: &Db, id: &str, draft: &ListingDraft, now: i64) -> Result<bool, sqlx::Error> {
    let point = draft.location.as_ref().and_then(|l| l.point);
    let done = sqlx::query(
        "UPDATE listings SET purpose = $1, mode = $2, category = $3, title = $4, description = $5, \
         quantity_milli = $6, unit = $7, price_cents = $8, location_name = $9, latitude = CAST($10 AS DOUBLE PRECISION), \
         longitude = CAST($11 AS DOUBLE PRECISION), \
         available_from = $12, available_until = $13, status = $14, visibility = $15, search_text = $16, \
         updated_at = $17 WHERE id = $18",
    )
    .bind(draft.purpose.as_str())
    .bind(draft.mode.as_str())
    .bind(draft.category.id)
    .bind(&draft.title)
    .bind(&draft.description)
    .bind(draft.quantity.map(Quantity::milli))
    .bind(draft.unit.as_str())
    .bind(draft.price.map(PriceCents::cents))
    .bind(draft.location.as_ref().map(|l| l.name.clone()))
    .bind(super::nullable_real(point.map(|p| p.latitude)))
    .bind(super::nullable_real(point.map(|p| p.longitude)))
    .bind(draft.available_from.map(crate::domain::listing::format_date))
    .bind(draft.available_until.map(crate::domain::listing::format_date))
    .bind(draft.status.as_str())
    .bind(draft.visibility.as_str())
    .bind(searchable(draft))
    .bind(now)
    .bind(id)
    .execute(&db.pool)
    .await?;
    Ok(done.rows_affected() > 0)
}

pub async fn set_status(db: &Db, id: &str, status: ListingStatus, now: i64) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("UPDATE listings SET status = $1, updated_at = $2 WHERE id = $3")
        .bind(status.as_str())
        .bind(now)
        .bind(id)
        .execute(&db.pool)
        .await?;
    Ok(done.rows_affected() > 0)
}

pub async fn delete(db: &Db, id: &str) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("DELETE FROM listings WHERE id = $1").bind(id).execute(&db.pool).await?;
    Ok(done.rows_affected() > 0)
}

pub async fn by_id(db: &Db, id: &str) -> Result<Option<Listing>, sqlx::Error> {
    let row = sqlx::query(AssertSqlSafe(format!("{SELECT} WHERE l.id = $1"))).bind(id).fetch_optional(&db.pool).await?;
    row.as_ref().map(from_row).transpose()
}

pub async fn count(db: &Db) -> Result<i64, sqlx::Error> {
    sqlx::query("SELECT COUNT(*) AS n FROM listings").fetch_one(&db.pool).await?.try_get("n")
}

pub(super) fn from_row(row: &AnyRow) -> Result<Listing, sqlx::Error> {
    let text = |column: &str| row.try_get::<String, _>(column);
    let date = |column: &'static str| -> Result<Option<time::Date>, sqlx::Error> {
        match row.try_get::<Option<String>, _>(column)? {
            Some(value) => decode(column, parse_date(column, &value)).map(Some),
            None => Ok(None),
        }
    };
    let content = ListingDraft {
        purpose: decode("purpose", Purpose::parse(&text("purpose")?))?,
        mode: decode("mode", Mode::parse(&text("mode")?))?,
        category: decode("category", category::parse("category", &text("category")?))?,
        title: text("title")?,
        description: text("description")?,
        quantity: row.try_get::<Option<i64>, _>("quantity_milli")?.map(Quantity::from_milli),
        unit: decode("unit", Unit::parse(&text("unit")?))?,
        price: match row.try_get::<Option<i64>, _>("price_cents")? {
            Some(cents) => Some(decode("price_cents", PriceCents::new("price_cents", cents))?),
            None => None,
        },
        location: location_from_row(row)?,
        available_from: date("available_from")?,
        available_until: date("available_until")?,
        status: decode("status", ListingStatus::parse(&text("status")?))?,
        visibility: decode("visibility", Visibility::parse(&text("visibility")?))?,
    };
    Ok(Listing {
        id: text("id")?,
        author: Author { id: text("member_id")?, username: text("username")?, display_name: text("display_name")? },
        content,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}
