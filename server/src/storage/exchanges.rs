//! Exchanges (`exchanges`) and their conversations (`exchange_entries`). An exchange is saved only
//! from the version it was read at: two moves made at once on the same exchange cannot both apply.

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};
use time::Date;

use super::members::decode;
use crate::domain::exchange::{
    Entry, EntryKind, Exchange, ExchangeRecord, ExchangeState, MOVE_NAMES, Party, PartyRef, PendingMove, Settlement,
    Terms, format_time, parse_time,
};
use crate::domain::ids::{ExchangeId, ListingId, MemberId};
use crate::domain::listing::{Mode, PriceCents, Quantity, Unit, format_date, parse_date};

const COLUMNS: &str = "id, ap_id, listing_id, listing_ap_id, listing_title, mode, unit, state, version, started_by, \
     provider_member, provider_actor, receiver_member, receiver_actor, quantity_milli, from_date, until_date, \
     at_time, in_return, proposed_by, renewal_until, provider_done_at, ended_by, reason, settlement, price_cents, \
     offer_ap_id, pending_move, pending_activity, created_at, updated_at";

fn date(row: &AnyRow, column: &'static str) -> Result<Option<Date>, sqlx::Error> {
    match row.try_get::<Option<String>, _>(column)? {
        Some(value) => decode(column, parse_date(column, &value)).map(Some),
        None => Ok(None),
    }
}

fn party(row: &AnyRow, column: &'static str) -> Result<Option<Party>, sqlx::Error> {
    match row.try_get::<Option<String>, _>(column)? {
        Some(value) => decode(column, Party::parse(&value)).map(Some),
        None => Ok(None),
    }
}

fn terms(row: &AnyRow, in_return: String) -> Result<Option<Terms>, sqlx::Error> {
    let Some(milli) = row.try_get::<Option<i64>, _>("quantity_milli")? else { return Ok(None) };
    let at = match row.try_get::<Option<String>, _>("at_time")? {
        Some(value) => Some(decode("at_time", parse_time("at_time", &value))?),
        None => None,
    };
    Ok(Some(Terms {
        quantity: Quantity::from_milli(milli),
        from: date(row, "from_date")?,
        until: date(row, "until_date")?,
        at,
        in_return,
    }))
}

fn from_row(row: &AnyRow) -> Result<ExchangeRecord, sqlx::Error> {
    let text = |column: &str| row.try_get::<String, _>(column);
    let member = |column: &str| -> Result<Option<MemberId>, sqlx::Error> {
        Ok(row.try_get::<Option<String>, _>(column)?.as_deref().and_then(MemberId::parse))
    };
    let price = match row.try_get::<Option<i64>, _>("price_cents")? {
        Some(cents) => Some(decode("price_cents", PriceCents::new("price_cents", cents))?),
        None => None,
    };
    let exchange = Exchange {
        mode: decode("mode", Mode::parse(&text("mode")?))?,
        state: decode("state", ExchangeState::parse(&text("state")?))?,
        terms: terms(row, text("in_return")?)?,
        proposed_by: party(row, "proposed_by")?,
        renewal: date(row, "renewal_until")?,
        provider_done_at: row.try_get("provider_done_at")?,
        ended_by: party(row, "ended_by")?,
        reason: text("reason")?,
        settlement: decode("settlement", Settlement::parse(&text("settlement")?))?,
        price,
        version: row.try_get("version")?,
    };
    Ok(ExchangeRecord {
        id: super::parsed(row, "id", ExchangeId::parse)?,
        ap_id: text("ap_id")?,
        listing_id: super::parsed(row, "listing_id", ListingId::parse)?,
        listing_ap_id: text("listing_ap_id")?,
        listing_title: text("listing_title")?,
        unit: decode("unit", Unit::parse(&text("unit")?))?,
        started_by: decode("started_by", Party::parse(&text("started_by")?))?,
        provider: PartyRef { member: member("provider_member")?, actor: text("provider_actor")? },
        receiver: PartyRef { member: member("receiver_member")?, actor: text("receiver_actor")? },
        exchange,
        offer_ap_id: row.try_get("offer_ap_id")?,
        pending: match (row.try_get::<Option<String>, _>("pending_move")?, row.try_get("pending_activity")?) {
            (Some(name), Some(activity)) => Some(PendingMove { name, activity }),
            _ => None,
        },
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

/// The values of the state machine's columns, in the order `save` and `insert` bind them.
struct StateValues {
    state: &'static str,
    version: i64,
    quantity_milli: Option<i64>,
    from_date: Option<String>,
    until_date: Option<String>,
    at_time: Option<String>,
    in_return: String,
    proposed_by: Option<&'static str>,
    renewal_until: Option<String>,
    provider_done_at: Option<i64>,
    ended_by: Option<&'static str>,
    reason: String,
    settlement: &'static str,
    price_cents: Option<i64>,
}

impl StateValues {
    fn of(exchange: &Exchange) -> Self {
        let terms = exchange.terms.as_ref();
        Self {
            state: exchange.state.as_str(),
            version: exchange.version,
            quantity_milli: terms.map(|t| t.quantity.milli()),
            from_date: terms.and_then(|t| t.from).map(format_date),
            until_date: terms.and_then(|t| t.until).map(format_date),
            at_time: terms.and_then(|t| t.at).map(format_time),
            in_return: terms.map(|t| t.in_return.clone()).unwrap_or_default(),
            proposed_by: exchange.proposed_by.map(Party::as_str),
            renewal_until: exchange.renewal.map(format_date),
            provider_done_at: exchange.provider_done_at,
            ended_by: exchange.ended_by.map(Party::as_str),
            reason: exchange.reason.clone(),
            settlement: exchange.settlement.as_str(),
            price_cents: exchange.price.map(PriceCents::cents),
        }
    }
}

pub async fn insert(conn: &mut AnyConnection, record: &ExchangeRecord) -> Result<(), sqlx::Error> {
    let v = StateValues::of(&record.exchange);
    let sql = format!(
        "INSERT INTO exchanges ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, \
         $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26, $27, $28, $29, $30, $31)"
    );
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(record.id.as_str())
        .bind(&record.ap_id)
        .bind(record.listing_id.as_str())
        .bind(&record.listing_ap_id)
        .bind(&record.listing_title)
        .bind(record.exchange.mode.as_str())
        .bind(record.unit.as_str())
        .bind(v.state)
        .bind(v.version)
        .bind(record.started_by.as_str())
        .bind(record.provider.member.as_ref().map(MemberId::as_str))
        .bind(&record.provider.actor)
        .bind(record.receiver.member.as_ref().map(MemberId::as_str))
        .bind(&record.receiver.actor)
        .bind(v.quantity_milli)
        .bind(v.from_date)
        .bind(v.until_date)
        .bind(v.at_time)
        .bind(v.in_return)
        .bind(v.proposed_by)
        .bind(v.renewal_until)
        .bind(v.provider_done_at)
        .bind(v.ended_by)
        .bind(v.reason)
        .bind(v.settlement)
        .bind(v.price_cents)
        .bind(record.offer_ap_id.as_deref())
        .bind(record.pending.as_ref().map(|p| p.name.as_str()))
        .bind(record.pending.as_ref().map(|p| p.activity.as_str()))
        .bind(record.created_at)
        .bind(record.updated_at)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Saves the state machine of an exchange read at `read_version`; `false` when another move saved
/// it since (nothing is written then).
pub async fn save(
    conn: &mut AnyConnection,
    id: &ExchangeId,
    exchange: &Exchange,
    read_version: i64,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let v = StateValues::of(exchange);
    let done = sqlx::query(
        "UPDATE exchanges SET state = $1, version = $2, quantity_milli = $3, from_date = $4, until_date = $5, \
         at_time = $6, in_return = $7, proposed_by = $8, renewal_until = $9, provider_done_at = $10, ended_by = $11, \
         reason = $12, settlement = $13, price_cents = $14, updated_at = $15 WHERE id = $16 AND version = $17",
    )
    .bind(v.state)
    .bind(v.version)
    .bind(v.quantity_milli)
    .bind(v.from_date)
    .bind(v.until_date)
    .bind(v.at_time)
    .bind(v.in_return)
    .bind(v.proposed_by)
    .bind(v.renewal_until)
    .bind(v.provider_done_at)
    .bind(v.ended_by)
    .bind(v.reason)
    .bind(v.settlement)
    .bind(v.price_cents)
    .bind(now)
    .bind(id.as_str())
    .bind(read_version)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn by_id(conn: &mut AnyConnection, id: &ExchangeId) -> Result<Option<ExchangeRecord>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM exchanges WHERE id = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id.as_str()).fetch_optional(&mut *conn).await?;
    row.as_ref().map(from_row).transpose()
}

pub async fn by_ap_id(conn: &mut AnyConnection, ap_id: &str) -> Result<Option<ExchangeRecord>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM exchanges WHERE ap_id = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(ap_id).fetch_optional(&mut *conn).await?;
    row.as_ref().map(from_row).transpose()
}

/// Which of a member's exchanges a list holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Which {
    All,
    /// Not finished.
    Active,
    /// Completed, refused or cancelled.
    Finished,
}

/// A member's exchanges, the most recently changed first: `limit` of them after `offset`.
pub async fn of_member(
    conn: &mut AnyConnection,
    member: &MemberId,
    which: Which,
    offset: i64,
    limit: i64,
) -> Result<Vec<ExchangeRecord>, sqlx::Error> {
    let filter = match which {
        Which::All => "",
        Which::Active => "AND state NOT IN ('completed', 'refused', 'cancelled')",
        Which::Finished => "AND state IN ('completed', 'refused', 'cancelled')",
    };
    // Two index walks (as provider, as receiver) merged, rather than an OR the planner cannot walk;
    // each side brings at most what the page needs.
    let sql = format!(
        "SELECT {COLUMNS} FROM (\
           SELECT {COLUMNS} FROM (SELECT {COLUMNS} FROM exchanges WHERE provider_member = $1 {filter} \
             ORDER BY updated_at DESC, id LIMIT $2) AS provided \
           UNION ALL \
           SELECT {COLUMNS} FROM (SELECT {COLUMNS} FROM exchanges WHERE receiver_member = $1 \
             AND (provider_member IS NULL OR provider_member <> $1) {filter} \
             ORDER BY updated_at DESC, id LIMIT $2) AS received\
         ) AS mine ORDER BY updated_at DESC, id LIMIT $3 OFFSET $4"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(member.as_str())
        .bind(offset + limit)
        .bind(limit)
        .bind(offset)
        .fetch_all(&mut *conn)
        .await?;
    rows.iter().map(from_row).collect()
}

/// The agreed, unfinished exchanges of a listing: what it has reserved, which dates its loans take.
pub async fn agreed_on_listing(
    conn: &mut AnyConnection,
    listing: &ListingId,
) -> Result<Vec<ExchangeRecord>, sqlx::Error> {
    let sql = format!(
        "SELECT {COLUMNS} FROM exchanges WHERE listing_id = $1 AND state IN ('accepted', 'handed_over', 'delivered', 'done') \
         ORDER BY from_date, id"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(listing.as_str()).fetch_all(&mut *conn).await?;
    rows.iter().map(from_row).collect()
}

/// How many exchanges a member completed, as either party (a fact a profile shows).
pub async fn completed_count(conn: &mut AnyConnection, member: &MemberId) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT COUNT(*) FROM exchanges WHERE state = 'completed' AND (provider_member = $1 OR receiver_member = $1)",
    )
    .bind(member.as_str())
    .fetch_one(&mut *conn)
    .await
}

/// Deliveries and services done before `before` (unix ms) that nobody confirmed.
pub async fn unconfirmed_before(conn: &mut AnyConnection, before: i64) -> Result<Vec<ExchangeRecord>, sqlx::Error> {
    let sql = format!(
        "SELECT {COLUMNS} FROM exchanges WHERE state IN ('delivered', 'done') AND provider_done_at <= $1 ORDER BY id"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(before).fetch_all(&mut *conn).await?;
    rows.iter().map(from_row).collect()
}

/// Adds a line to an exchange's conversation; `false` when an entry with its `ap_id` was already
/// received (an activity delivered twice).
pub async fn add_entry(conn: &mut AnyConnection, exchange: &ExchangeId, entry: &Entry) -> Result<bool, sqlx::Error> {
    let kind = match entry.kind {
        EntryKind::Message => "message",
        EntryKind::Move(name) => name,
    };
    let terms = entry.terms.as_ref();
    let done = sqlx::query(
        "INSERT INTO exchange_entries (exchange_id, ap_id, author, kind, body, version, quantity_milli, from_date, \
         until_date, at_time, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
         ON CONFLICT (ap_id) DO NOTHING",
    )
    .bind(exchange.as_str())
    .bind(entry.ap_id.as_deref())
    .bind(entry.author.as_str())
    .bind(kind)
    .bind(&entry.body)
    .bind(entry.version)
    .bind(terms.map(|t| t.quantity.milli()))
    .bind(terms.and_then(|t| t.from).map(format_date))
    .bind(terms.and_then(|t| t.until).map(format_date))
    .bind(terms.and_then(|t| t.at).map(format_time))
    .bind(entry.created_at)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// An exchange's conversation, oldest first.
pub async fn entries(conn: &mut AnyConnection, exchange: &ExchangeId) -> Result<Vec<Entry>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT ap_id, author, kind, body, version, quantity_milli, from_date, until_date, at_time, created_at \
         FROM exchange_entries WHERE exchange_id = $1 ORDER BY seq",
    )
    .bind(exchange.as_str())
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|row| {
            let kind: String = row.try_get("kind")?;
            let kind = match kind.as_str() {
                "message" => EntryKind::Message,
                name => EntryKind::Move(
                    MOVE_NAMES
                        .iter()
                        .find(|known| **known == name)
                        .ok_or_else(|| sqlx::Error::Decode(format!("kind: unknown entry {name:?}").into()))?,
                ),
            };
            Ok(Entry {
                author: decode("author", Party::parse(&row.try_get::<String, _>("author")?))?,
                kind,
                body: row.try_get("body")?,
                version: row.try_get("version")?,
                terms: terms(row, String::new())?,
                ap_id: row.try_get("ap_id")?,
                created_at: row.try_get("created_at")?,
            })
        })
        .collect()
}

/// How many of a member's exchanges wait for them (`domain::exchange::Exchange::awaits`, in SQL):
/// terms the other side proposed, an accepted exchange the provider carries out, a renewal the
/// lender answers, a delivery or a service the receiver confirms.
pub async fn awaiting_count(conn: &mut AnyConnection, member: &MemberId) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT \
           (SELECT COUNT(*) FROM exchanges WHERE provider_member = $1 AND (\
              (state = 'proposed' AND proposed_by = 'receiver') OR state = 'accepted' \
              OR (state = 'handed_over' AND renewal_until IS NOT NULL))) \
         + (SELECT COUNT(*) FROM exchanges WHERE receiver_member = $1 AND (\
              (state = 'proposed' AND proposed_by = 'provider') OR state IN ('delivered', 'done')))",
    )
    .bind(member.as_str())
    .fetch_one(&mut *conn)
    .await
}

/// Records the last `Offer` of an exchange's agreement (sent or received).
pub async fn set_offer(conn: &mut AnyConnection, id: &ExchangeId, offer_ap_id: &str) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE exchanges SET offer_ap_id = $1 WHERE id = $2")
        .bind(offer_ap_id)
        .bind(id.as_str())
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Records (or clears) the move our member asked the hosting instance for.
pub async fn set_pending(
    conn: &mut AnyConnection,
    id: &ExchangeId,
    pending: Option<&PendingMove>,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE exchanges SET pending_move = $1, pending_activity = $2 WHERE id = $3")
        .bind(pending.map(|p| p.name.as_str()))
        .bind(pending.map(|p| p.activity.as_str()))
        .bind(id.as_str())
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// The exchange whose last offer, or whose move waiting for the host, is `activity`.
pub async fn by_offer_or_pending(
    conn: &mut AnyConnection,
    activity: &str,
) -> Result<Option<ExchangeRecord>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM exchanges WHERE offer_ap_id = $1 OR pending_activity = $1 LIMIT 1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(activity).fetch_optional(&mut *conn).await?;
    row.as_ref().map(from_row).transpose()
}

/// Keeps a move that came before the one it follows, until that one comes; `false` when one with
/// this version is already kept.
pub async fn keep_early_move(
    conn: &mut AnyConnection,
    id: &ExchangeId,
    version: i64,
    activity: &str,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "INSERT INTO exchange_early_moves (exchange_id, version, activity, received_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (exchange_id, version) DO NOTHING",
    )
    .bind(id.as_str())
    .bind(version)
    .bind(activity)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Takes out the move kept for `version`, if any.
pub async fn take_early_move(
    conn: &mut AnyConnection,
    id: &ExchangeId,
    version: i64,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar("DELETE FROM exchange_early_moves WHERE exchange_id = $1 AND version = $2 RETURNING activity")
        .bind(id.as_str())
        .bind(version)
        .fetch_optional(&mut *conn)
        .await
}

/// Loans whose item is out and due back on `due` (`YYYY-MM-DD`), not reminded yet for that date.
pub async fn loans_due_on(conn: &mut AnyConnection, due: &str) -> Result<Vec<ExchangeRecord>, sqlx::Error> {
    let sql = format!(
        "SELECT {COLUMNS} FROM exchanges WHERE state = 'handed_over' AND until_date = $1 \
         AND (reminded_due IS NULL OR reminded_due <> until_date) ORDER BY id"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(due).fetch_all(&mut *conn).await?;
    rows.iter().map(from_row).collect()
}

/// Loans whose item is out past their due date (before `today`), not told of yet for that date.
pub async fn loans_overdue(conn: &mut AnyConnection, today: &str) -> Result<Vec<ExchangeRecord>, sqlx::Error> {
    let sql = format!(
        "SELECT {COLUMNS} FROM exchanges WHERE state = 'handed_over' AND until_date < $1 \
         AND (reminded_overdue IS NULL OR reminded_overdue <> until_date) ORDER BY id"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(today).fetch_all(&mut *conn).await?;
    rows.iter().map(from_row).collect()
}

/// Records that the reminder of a loan's due date (`overdue`: the notice of its being late) was
/// sent for the date it has now.
pub async fn mark_reminded(conn: &mut AnyConnection, id: &ExchangeId, overdue: bool) -> Result<(), sqlx::Error> {
    let sql = if overdue {
        "UPDATE exchanges SET reminded_overdue = until_date WHERE id = $1"
    } else {
        "UPDATE exchanges SET reminded_due = until_date WHERE id = $1"
    };
    sqlx::query(sql).bind(id.as_str()).execute(&mut *conn).await?;
    Ok(())
}

/// How many exchanges this instance keeps.
pub async fn count(conn: &mut AnyConnection) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT COUNT(*) FROM exchanges").fetch_one(&mut *conn).await
}

/// Moves a loan's dates, for the sample data only (a demo loan overdue: members cannot propose
/// dates in the past).
pub async fn set_dates_for_sample(
    conn: &mut AnyConnection,
    id: &ExchangeId,
    from: &str,
    until: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE exchanges SET from_date = $1, until_date = $2 WHERE id = $3")
        .bind(from)
        .bind(until)
        .bind(id.as_str())
        .execute(&mut *conn)
        .await?;
    Ok(())
}
