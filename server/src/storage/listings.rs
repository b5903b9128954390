//! Listings: insert, update, delete, fetch one. Catalogue queries are in `search.rs`.

use sqlx::{Any, AnyConnection, AssertSqlSafe, Row};

use super::members::{decode, location_from_row};
use super::{Columns, Db};
use crate::domain::category;
use crate::domain::ids::{ImageId, ListingId, MemberId};
use crate::domain::listing::{
    Author, Listing, ListingDraft, ListingStatus, Mode, Origin, Price, PriceBasis, PriceCents, PriceFields, PriceKind,
    Purpose, Quantity, Unit, Visibility, parse_date,
};
use crate::domain::text::search_form;
use rusqlite::types::Value;

/// Columns selected for a listing with its author (`l` is listings, `m` members for local listings,
/// `r` remote actors for listings from other instances).
pub(super) const SELECT: &str = "SELECT l.seq, l.id, COALESCE(l.member_id, l.remote_author) AS author_id, \
     COALESCE(m.username, r.username) AS username, COALESCE(m.display_name, r.display_name) AS display_name, \
     l.purpose, l.mode, l.category, l.title, l.description, l.quantity_milli, l.unit, l.price_cents, \
     l.price_kind, l.reduced_price_cents, l.price_basis, l.location_name, l.latitude, l.longitude, l.available_from, l.available_until, l.status, l.visibility, \
     l.collective_id, l.created_at, l.updated_at, l.origin, l.ap_id, l.origin_url, r.page AS author_page, \
     m.avatar_id AS author_avatar, r.icon_url AS author_icon, \
     (SELECT ia.display_name FROM peers p JOIN remote_actors ia ON ia.id = p.actor_id WHERE p.domain = l.origin) \
     AS origin_name \
     FROM listings l LEFT JOIN members m ON m.id = l.member_id LEFT JOIN remote_actors r ON r.id = l.remote_author";

fn searchable(draft: &ListingDraft) -> String {
    search_form(&format!("{} {}", draft.title, draft.description))
}

pub async fn insert(
    conn: &mut AnyConnection,
    id: &ListingId,
    member_id: &MemberId,
    draft: &ListingDraft,
    now: i64,
) -> Result<(), sqlx::Error> {
    insert_query(id, member_id, draft, now).execute(&mut *conn).await?;
    Ok(())
}

/// A listing to insert in bulk: id, author's member id, content, creation time (unix ms).
pub type NewListing<'a> = (&'a ListingId, &'a MemberId, &'a ListingDraft, i64);

/// Inserts many listings. For seeding and imports, run in one transaction (all of them or, on
/// error, none), where one transaction per row would spend most of its time committing. After a
/// large import, run `Db::optimize` so that SQLite's planner knows the table's new size.
pub async fn insert_many(conn: &mut AnyConnection, listings: &[NewListing<'_>]) -> Result<(), sqlx::Error> {
    for (id, member_id, draft, created_at) in listings {
        insert_query(id, member_id, draft, *created_at).execute(&mut *conn).await?;
    }
    Ok(())
}

fn insert_query(
    id: &ListingId,
    member_id: &MemberId,
    draft: &ListingDraft,
    now: i64,
) -> sqlx::query::Query<'static, sqlx::Any, sqlx::any::AnyArguments> {
    let query = sqlx::query(
        "INSERT INTO listings (id, member_id, purpose, mode, category, title, description, quantity_milli, unit, \
         price_cents, location_name, latitude, longitude, available_from, available_until, status, visibility, \
         search_text, price_kind, reduced_price_cents, price_basis, collective_id, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, CAST($12 AS DOUBLE PRECISION), \
         CAST($13 AS DOUBLE PRECISION), $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $23)",
    )
    .bind(id.as_str().to_owned())
    .bind(member_id.as_str().to_owned());
    bind_content(query, draft).bind(now)
}

/// Binds a listing's content, in the order every listing statement lists it: purpose, mode, category,
/// title, description, quantity, unit, price, place name, latitude, longitude, availability from and
/// until, status, visibility, search text, price kind, reduced price, price basis, collective (20
/// parameters).
fn bind_content<'q>(
    query: sqlx::query::Query<'q, Any, sqlx::any::AnyArguments>,
    draft: &ListingDraft,
) -> sqlx::query::Query<'q, Any, sqlx::any::AnyArguments> {
    let point = draft.location.as_ref().and_then(|l| l.point);
    query
        .bind(draft.purpose.as_str())
        .bind(draft.mode.as_str())
        .bind(draft.category.id)
        .bind(draft.title.clone())
        .bind(draft.description.clone())
        .bind(draft.quantity.map(Quantity::milli))
        .bind(draft.unit.as_str())
        .bind(draft.price.amount().map(PriceCents::cents))
        .bind(draft.location.as_ref().map(|l| l.name.clone()))
        .bind(super::nullable_real(point.map(|p| p.latitude)))
        .bind(super::nullable_real(point.map(|p| p.longitude)))
        .bind(draft.available_from.map(crate::domain::listing::format_date))
        .bind(draft.available_until.map(crate::domain::listing::format_date))
        .bind(draft.status.as_str())
        .bind(draft.visibility.as_str())
        .bind(searchable(draft))
        .bind(draft.price.kind().as_str())
        .bind(draft.price.reduced().map(PriceCents::cents))
        .bind(draft.price_basis.as_str())
        .bind(draft.collective.as_ref().map(|id| id.as_str().to_owned()))
}

/// Replaces a listing's content; returns whether it exists.
pub async fn update(
    conn: &mut AnyConnection,
    id: &ListingId,
    draft: &ListingDraft,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let query = sqlx::query(
        "UPDATE listings SET purpose = $1, mode = $2, category = $3, title = $4, description = $5, \
         quantity_milli = $6, unit = $7, price_cents = $8, location_name = $9, latitude = CAST($10 AS DOUBLE PRECISION), \
         longitude = CAST($11 AS DOUBLE PRECISION), \
         available_from = $12, available_until = $13, status = $14, visibility = $15, search_text = $16, \
         price_kind = $17, reduced_price_cents = $18, price_basis = $19, collective_id = $20, updated_at = $21 \
         WHERE id = $22",
    );
    let done = bind_content(query, draft).bind(now).bind(id.as_str()).execute(&mut *conn).await?;
    Ok(done.rows_affected() > 0)
}

pub async fn set_status(
    conn: &mut AnyConnection,
    id: &ListingId,
    status: ListingStatus,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("UPDATE listings SET status = $1, updated_at = $2 WHERE id = $3")
        .bind(status.as_str())
        .bind(now)
        .bind(id.as_str())
        .execute(&mut *conn)
        .await?;
    Ok(done.rows_affected() > 0)
}

/// A listing's quantity and status as an exchange leaves them (`services::exchanges`).
pub async fn set_quantity_and_status(
    conn: &mut AnyConnection,
    id: &ListingId,
    quantity: Option<Quantity>,
    status: ListingStatus,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("UPDATE listings SET quantity_milli = $1, status = $2, updated_at = $3 WHERE id = $4")
        .bind(quantity.map(Quantity::milli))
        .bind(status.as_str())
        .bind(now)
        .bind(id.as_str())
        .execute(&mut *conn)
        .await?;
    Ok(done.rows_affected() > 0)
}

pub async fn delete(conn: &mut AnyConnection, id: &ListingId) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("DELETE FROM listings WHERE id = $1").bind(id.as_str()).execute(&mut *conn).await?;
    Ok(done.rows_affected() > 0)
}

pub async fn by_id(conn: &mut AnyConnection, id: &ListingId) -> Result<Option<Listing>, sqlx::Error> {
    let row = sqlx::query(AssertSqlSafe(format!("{SELECT} WHERE l.id = $1")))
        .bind(id.as_str())
        .fetch_optional(&mut *conn)
        .await?;
    let Some(mut listing) = row.as_ref().map(from_row).transpose()? else { return Ok(None) };
    with_photos(conn, std::slice::from_mut(&mut listing)).await?;
    Ok(Some(listing))
}

/// Fills in the photos of `listings` (one query for all of them).
pub(super) async fn with_photos(conn: &mut AnyConnection, listings: &mut [Listing]) -> Result<(), sqlx::Error> {
    let ids: Vec<&ListingId> = listings.iter().map(|l| &l.id).collect();
    let photos = super::images::photos_of(conn, &ids).await?;
    give_photos(listings, photos);
    Ok(())
}

/// [`with_photos`] on the SQLite reader.
pub(super) fn with_photos_read(conn: &rusqlite::Connection, listings: &mut [Listing]) -> Result<(), sqlx::Error> {
    let ids: Vec<&ListingId> = listings.iter().map(|l| &l.id).collect();
    let photos = super::images::photos_of_read(conn, &ids)?;
    give_photos(listings, photos);
    Ok(())
}

fn give_photos(
    listings: &mut [Listing],
    mut photos: std::collections::HashMap<ListingId, Vec<crate::domain::photo::Photo>>,
) {
    for listing in listings {
        listing.photos = photos.remove(&listing.id).unwrap_or_default();
    }
}

/// Where a remote listing comes from.
pub struct RemoteSource<'a> {
    pub origin: &'a str,
    pub ap_id: &'a str,
    pub author: &'a str,
    pub page: &'a str,
}

/// What a change of a remote listing did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RemoteChange {
    Done,
    /// Nothing to change (a deletion of a listing we do not hold).
    Absent,
    /// The listing is another actor's: nothing was changed.
    OtherAuthor,
}

/// Stores a listing received from another instance, or replaces its content when we have it and
/// `source.author` is its author. One statement: a read then a write in one SQLite transaction
/// could fail on a concurrent writer.
pub async fn upsert_remote(
    conn: &mut AnyConnection,
    source: &RemoteSource<'_>,
    draft: &ListingDraft,
    created_at: i64,
    now: i64,
) -> Result<RemoteChange, sqlx::Error> {
    let query = sqlx::query(
        "INSERT INTO listings (id, member_id, purpose, mode, category, title, description, quantity_milli, \
         unit, price_cents, location_name, latitude, longitude, available_from, available_until, status, \
         visibility, search_text, price_kind, reduced_price_cents, price_basis, collective_id, created_at, \
         updated_at, origin, ap_id, remote_author, origin_url) \
         VALUES ($1, NULL, $2, $3, $4, $5, $6, $7, $8, $9, $10, CAST($11 AS DOUBLE PRECISION), \
         CAST($12 AS DOUBLE PRECISION), $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26, \
         $27) \
         ON CONFLICT (ap_id) DO UPDATE SET purpose = excluded.purpose, mode = excluded.mode, \
         category = excluded.category, title = excluded.title, description = excluded.description, \
         quantity_milli = excluded.quantity_milli, unit = excluded.unit, price_cents = excluded.price_cents, \
         price_kind = excluded.price_kind, reduced_price_cents = excluded.reduced_price_cents, \
         price_basis = excluded.price_basis, location_name = excluded.location_name, latitude = excluded.latitude, longitude = excluded.longitude, \
         available_from = excluded.available_from, available_until = excluded.available_until, \
         status = excluded.status, visibility = excluded.visibility, search_text = excluded.search_text, \
         collective_id = excluded.collective_id, updated_at = excluded.updated_at, origin_url = excluded.origin_url \
         WHERE listings.origin = excluded.origin AND listings.remote_author = excluded.remote_author",
    )
    .bind(ListingId::for_remote(source.ap_id).to_string());
    let done = bind_content(query, draft)
        .bind(created_at)
        .bind(now)
        .bind(source.origin)
        .bind(source.ap_id)
        .bind(source.author)
        .bind(source.page)
        .execute(&mut *conn)
        .await?;
    if done.rows_affected() > 0 {
        return Ok(RemoteChange::Done);
    }
    // The row exists and was left alone: it is someone else's.
    Ok(if held(&mut *conn, source.ap_id).await? { RemoteChange::OtherAuthor } else { RemoteChange::Absent })
}

/// Removes a remote listing, if it came from `origin` and `author` wrote it.
pub async fn delete_remote(
    conn: &mut AnyConnection,
    origin: &str,
    ap_id: &str,
    author: &str,
) -> Result<RemoteChange, sqlx::Error> {
    let done = sqlx::query("DELETE FROM listings WHERE origin = $1 AND ap_id = $2 AND remote_author = $3")
        .bind(origin)
        .bind(ap_id)
        .bind(author)
        .execute(&mut *conn)
        .await?;
    if done.rows_affected() > 0 {
        return Ok(RemoteChange::Done);
    }
    Ok(if held(&mut *conn, ap_id).await? { RemoteChange::OtherAuthor } else { RemoteChange::Absent })
}

/// Whether a remote listing with this ActivityPub id is stored.
async fn held(conn: &mut AnyConnection, ap_id: &str) -> Result<bool, sqlx::Error> {
    let n: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM listings WHERE ap_id = $1").bind(ap_id).fetch_one(&mut *conn).await?;
    Ok(n > 0)
}

/// Removes every listing received from `origin` (unpeering, blocking).
pub async fn delete_from_origin(conn: &mut AnyConnection, origin: &str) -> Result<u64, sqlx::Error> {
    let done = sqlx::query("DELETE FROM listings WHERE origin = $1").bind(origin).execute(&mut *conn).await?;
    Ok(done.rows_affected())
}

/// Removes every listing of a remote author (a follow that ended).
pub async fn delete_by_remote_author(conn: &mut AnyConnection, author: &str) -> Result<u64, sqlx::Error> {
    let done = sqlx::query("DELETE FROM listings WHERE remote_author = $1").bind(author).execute(&mut *conn).await?;
    Ok(done.rows_affected())
}

pub async fn count_from_origin(conn: &mut AnyConnection, origin: &str) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT COUNT(*) FROM listings WHERE origin = $1").bind(origin).fetch_one(&mut *conn).await
}

/// One page of an outbox: open listings of our members, newest first, each with its `seq` (the key
/// of the page after it), from those older than `before` (the newest when `None`): public ones,
/// and with `with_peers` those for peered instances too.
///
/// Each visibility is read from the `listings_outbox` partial indexes (migration 0003), whose WHERE
/// clause the subqueries repeat word for word (SQLite uses a partial index only then), `limit`
/// rows at most each, in index order: a page costs the same at the start or deep in an outbox, and
/// however many listings are closed, private or from other instances. With both visibilities the
/// two short lists are merged by the outer query.
pub async fn local_public(
    db: &Db,
    member_id: Option<&MemberId>,
    with_peers: bool,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<(i64, Listing)>, sqlx::Error> {
    let sql = outbox_sql(member_id.is_some(), with_peers, limit);
    let before = before.unwrap_or(i64::MAX);
    if let Some(reader) = db.reader() {
        let mut params = vec![Value::Integer(before)];
        params.extend(member_id.map(|id| Value::Text(id.as_str().to_owned())));
        return reader.read(|conn| {
            let rows = super::reader::query(conn, &sql, &params, |row| Ok((row.int("seq")?, from_row(row)?)))?;
            let (seqs, mut items): (Vec<i64>, Vec<Listing>) = rows.into_iter().unzip();
            with_photos_read(conn, &mut items)?;
            Ok(seqs.into_iter().zip(items).collect())
        });
    }
    let mut conn = db.conn().await?;
    let mut query = sqlx::query(AssertSqlSafe(sql)).bind(before);
    if let Some(member_id) = member_id {
        query = query.bind(member_id.as_str());
    }
    let rows = query.fetch_all(&mut *conn).await?;
    let seqs = rows.iter().map(|row| row.try_get("seq")).collect::<Result<Vec<i64>, _>>()?;
    let mut items = rows.iter().map(from_row).collect::<Result<Vec<_>, _>>()?;
    with_photos(&mut conn, &mut items).await?;
    Ok(seqs.into_iter().zip(items).collect())
}

/// The outbox page query for pages of `limit` listings: `$1` the key to start below, `$2` the member.
/// The page size is written into the statement (see [`super::literal_limit`]).
pub(super) fn outbox_sql(one_member: bool, with_peers: bool, limit: i64) -> String {
    let member = if one_member { " AND member_id = $2" } else { "" };
    let limit = super::literal_limit(limit);
    // `visibility` is one of our two constants, never input.
    let leg = |visibility: &str| {
        format!(
            "SELECT seq FROM (SELECT seq FROM listings WHERE origin IS NULL AND status <> 'closed' \
             AND visibility = '{visibility}'{member} AND seq < $1 ORDER BY seq DESC LIMIT {limit}) AS {visibility}_page"
        )
    };
    let legs = if with_peers { format!("{} UNION ALL {}", leg("public"), leg("peers")) } else { leg("public") };
    format!("{SELECT} WHERE l.seq IN ({legs}) ORDER BY l.seq DESC LIMIT {limit}")
}

/// Our members' listings (not those received from other instances).
pub async fn count_local(conn: &mut AnyConnection) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT COUNT(*) FROM listings WHERE origin IS NULL").fetch_one(&mut *conn).await
}

pub async fn count(conn: &mut AnyConnection) -> Result<i64, sqlx::Error> {
    sqlx::query("SELECT COUNT(*) AS n FROM listings").fetch_one(&mut *conn).await?.try_get("n")
}

fn price_from_row(row: &impl Columns) -> Result<Price, sqlx::Error> {
    let cents = |column: &'static str| -> Result<Option<PriceCents>, sqlx::Error> {
        match row.opt_int(column)? {
            Some(cents) => decode(column, PriceCents::new(column, cents)).map(Some),
            None => Ok(None),
        }
    };
    let kind = decode("price_kind", PriceKind::parse(&row.text("price_kind")?))?;
    let fields = PriceFields { amount: "price_cents", reduced: "reduced_price_cents" };
    decode("price_cents", Price::from_parts(Some(kind), cents("price_cents")?, cents("reduced_price_cents")?, fields))
}

pub(super) fn from_row(row: &impl Columns) -> Result<Listing, sqlx::Error> {
    let text = |column: &str| row.text(column);
    let date = |column: &'static str| -> Result<Option<time::Date>, sqlx::Error> {
        match row.opt_text(column)? {
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
        quantity: row.opt_int("quantity_milli")?.map(Quantity::from_milli),
        unit: decode("unit", Unit::parse(&text("unit")?))?,
        price: price_from_row(row)?,
        price_basis: decode("price_basis", PriceBasis::parse(&text("price_basis")?))?,
        location: location_from_row(row)?,
        available_from: date("available_from")?,
        available_until: date("available_until")?,
        status: decode("status", ListingStatus::parse(&text("status")?))?,
        visibility: decode("visibility", Visibility::parse(&text("visibility")?))?,
        collective: match row.opt_text("collective_id")? {
            Some(_) => Some(super::parsed(row, "collective_id", crate::domain::ids::CollectiveId::parse)?),
            None => None,
        },
    };
    let origin = match row.opt_text("origin")? {
        Some(domain) => Some(Origin {
            ap_id: row.opt_text("ap_id")?.unwrap_or_default(),
            page: row.opt_text("origin_url")?.unwrap_or_default(),
            author_page: row.opt_text("author_page")?,
            name: row.opt_text("origin_name")?,
            domain,
        }),
        None => None,
    };
    let username = row.opt_text("username")?;
    let username = match (&origin, username) {
        (Some(o), Some(u)) => format!("{u}@{}", o.domain),
        (_, u) => u.unwrap_or_default(),
    };
    Ok(Listing {
        id: super::parsed(row, "id", ListingId::parse)?,
        author: Author {
            id: text("author_id")?,
            username,
            display_name: row.opt_text("display_name")?.unwrap_or_default(),
            // Ours by its id; another server's actor's icon by the image its URL names.
            avatar: match row.opt_text("author_avatar")? {
                Some(id) => ImageId::parse(&id),
                None => row.opt_text("author_icon")?.map(|url| ImageId::for_remote(&url)),
            },
        },
        content,
        origin,
        photos: Vec::new(),
        created_at: row.int("created_at")?,
        updated_at: row.int("updated_at")?,
    })
}

/// The collective a listing received from another instance is published to, if any (by its
/// ActivityPub id).
pub async fn collective_of_remote(
    conn: &mut AnyConnection,
    ap_id: &str,
) -> Result<Option<crate::domain::ids::CollectiveId>, sqlx::Error> {
    let id: Option<Option<String>> = sqlx::query_scalar("SELECT collective_id FROM listings WHERE ap_id = $1")
        .bind(ap_id)
        .fetch_optional(&mut *conn)
        .await?;
    Ok(id.flatten().as_deref().and_then(crate::domain::ids::CollectiveId::parse))
}

/// Takes a listing out of its collective: it is seen by this instance's members from now on.
pub async fn take_out_of_collective(conn: &mut AnyConnection, id: &ListingId, now: i64) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE listings SET visibility = 'instance', collective_id = NULL, updated_at = $1 \
         WHERE id = $2 AND visibility = 'collective'",
    )
    .bind(now)
    .bind(id.as_str())
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() > 0)
}
