//! Collectives (`collectives`), their charters' versions (`collective_charters`) and where each
//! person stands with each (`collective_members`).

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, AssertSqlSafe, Row};

use super::members::decode;
use super::{Columns, Db, parsed, reader};
use crate::domain::category;
use crate::domain::collective::{
    Admission, Charter, Collective, CollectiveDraft, CollectiveName, CollectiveOrigin, CollectiveVisibility,
    Membership, MembershipRecord, MembershipState, Role,
};
use crate::domain::ids::{CollectiveId, MemberId, MembershipId};

const COLUMNS: &str = "c.id, c.name, c.origin, c.ap_id, c.display_name, c.purpose, c.activities, c.territory, \
     c.entry_criteria, c.questions, c.admission, c.visibility, c.charter_version, c.created_at, c.updated_at";

const MEMBERSHIP_COLUMNS: &str = "cm.id, cm.collective_id, cm.actor, cm.member_id, cm.state, cm.role, \
     cm.charter_version, cm.message, cm.answers, cm.reason, cm.since, cm.decided_by, cm.activity_id, cm.created_at, \
     cm.updated_at";

fn json_list(column: &str, text: &str) -> Result<Vec<String>, sqlx::Error> {
    serde_json::from_str(text).map_err(|e| sqlx::Error::ColumnDecode { index: column.to_owned(), source: Box::new(e) })
}

fn to_json(list: &[String]) -> String {
    serde_json::Value::from(list.to_vec()).to_string()
}

fn collective_from_row(row: &AnyRow) -> Result<Collective, sqlx::Error> {
    let origin = match (row.try_get::<Option<String>, _>("origin")?, row.try_get::<Option<String>, _>("ap_id")?) {
        (Some(host), Some(ap_id)) => Some(CollectiveOrigin { host, ap_id }),
        _ => None,
    };
    let activities: String = row.try_get("activities")?;
    let activities = activities
        .split_whitespace()
        .map(|id| decode("activities", category::parse("activities", id)).map(|c| c.id))
        .collect::<Result<_, _>>()?;
    Ok(Collective {
        id: parsed(row, "id", CollectiveId::parse)?,
        name: decode("name", CollectiveName::parse(&row.try_get::<String, _>("name")?))?,
        origin,
        display_name: row.try_get("display_name")?,
        purpose: row.try_get("purpose")?,
        activities,
        territory: row.try_get("territory")?,
        entry_criteria: row.try_get("entry_criteria")?,
        questions: json_list("questions", &row.try_get::<String, _>("questions")?)?,
        admission: decode("admission", Admission::parse(&row.try_get::<String, _>("admission")?))?,
        visibility: decode("visibility", CollectiveVisibility::parse(&row.try_get::<String, _>("visibility")?))?,
        charter_version: row.try_get("charter_version")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

fn membership_from_row(row: &impl Columns) -> Result<MembershipRecord, sqlx::Error> {
    membership_with_prefix(row, "")
}

/// A membership's columns read under `prefix` (`m_id`, `m_state`…: beside a collective's, whose
/// names are the same).
fn membership_with_prefix(row: &impl Columns, prefix: &str) -> Result<MembershipRecord, sqlx::Error> {
    let column = |name: &str| format!("{prefix}{name}");
    let text = |name: &str| row.text(column(name).as_str());
    let member = match row.opt_text(column("member_id").as_str())? {
        Some(_) => Some(parsed(row, &column("member_id"), MemberId::parse)?),
        None => None,
    };
    Ok(MembershipRecord {
        id: parsed(row, &column("id"), MembershipId::parse)?,
        collective: parsed(row, &column("collective_id"), CollectiveId::parse)?,
        actor: text("actor")?,
        member,
        membership: Membership {
            state: decode("state", MembershipState::parse(&text("state")?))?,
            role: decode("role", Role::parse(&text("role")?))?,
            charter_version: row.opt_int(column("charter_version").as_str())?,
            since: row.opt_int(column("since").as_str())?,
            message: text("message")?,
            answers: json_list("answers", &text("answers")?)?,
            reason: text("reason")?,
        },
        decided_by: row.opt_text(column("decided_by").as_str())?,
        activity_id: row.opt_text(column("activity_id").as_str())?,
        created_at: row.int(column("created_at").as_str())?,
        updated_at: row.int(column("updated_at").as_str())?,
    })
}

/// The name is a member's username or another collective's.
#[derive(Debug, thiserror::Error)]
pub enum InsertCollectiveError {
    #[error("name taken")]
    NameTaken,
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

/// Inserts a collective hosted here, with its charter's first version.
pub async fn insert(
    conn: &mut AnyConnection,
    id: &CollectiveId,
    name: &CollectiveName,
    draft: &CollectiveDraft,
    now: i64,
) -> Result<(), InsertCollectiveError> {
    let result = sqlx::query(
        "INSERT INTO collectives (id, name, display_name, purpose, activities, territory, entry_criteria, questions, \
         admission, visibility, charter_version, created_at, updated_at) \
         SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 1, $11, $11 \
         WHERE NOT EXISTS (SELECT 1 FROM members WHERE username = $2)",
    )
    .bind(id.as_str())
    .bind(name.as_str())
    .bind(&draft.display_name)
    .bind(&draft.purpose)
    .bind(draft.activities.join(" "))
    .bind(&draft.territory)
    .bind(&draft.entry_criteria)
    .bind(to_json(&draft.questions))
    .bind(draft.admission.as_str())
    .bind(draft.visibility.as_str())
    .bind(now)
    .execute(&mut *conn)
    .await;
    match result {
        Ok(done) if done.rows_affected() == 0 => return Err(InsertCollectiveError::NameTaken),
        Ok(_) => {}
        Err(e) if super::is_unique_violation(&e) => return Err(InsertCollectiveError::NameTaken),
        Err(e) => return Err(e.into()),
    }
    add_charter(conn, id, 1, &draft.charter, now).await?;
    Ok(())
}

/// Records a version of a collective's charter.
pub async fn add_charter(
    conn: &mut AnyConnection,
    id: &CollectiveId,
    version: i64,
    charter: &Charter,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO collective_charters (collective_id, version, text, created_at) VALUES ($1, $2, $3, $4)")
        .bind(id.as_str())
        .bind(version)
        .bind(charter.as_str())
        .bind(now)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Saves a collective's description, and its charter's version (the caller added the version's
/// text when it changed). Only from the version of the charter it was read at (`read_version`), so
/// that two administrators saving at once cannot both make version N+1: `false` if it changed since.
pub async fn update(
    conn: &mut AnyConnection,
    collective: &Collective,
    read_version: i64,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE collectives SET display_name = $1, purpose = $2, activities = $3, territory = $4, entry_criteria = $5, \
         questions = $6, admission = $7, visibility = $8, charter_version = $9, updated_at = $10 \
         WHERE id = $11 AND charter_version = $12",
    )
    .bind(&collective.display_name)
    .bind(&collective.purpose)
    .bind(collective.activities.join(" "))
    .bind(&collective.territory)
    .bind(&collective.entry_criteria)
    .bind(to_json(&collective.questions))
    .bind(collective.admission.as_str())
    .bind(collective.visibility.as_str())
    .bind(collective.charter_version)
    .bind(now)
    .bind(collective.id.as_str())
    .bind(read_version)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// A collective hosted here, by its name.
pub async fn local_by_name(conn: &mut AnyConnection, name: &CollectiveName) -> Result<Option<Collective>, sqlx::Error> {
    collective_where(conn, "c.name = $1 AND c.origin IS NULL", &[name.as_str()]).await
}

pub async fn by_id(conn: &mut AnyConnection, id: &CollectiveId) -> Result<Option<Collective>, sqlx::Error> {
    collective_where(conn, "c.id = $1", &[id.as_str()]).await
}

/// The collective a condition names (`condition` is one of our constants, `$1`… its `values`).
async fn collective_where(
    conn: &mut AnyConnection,
    condition: &'static str,
    values: &[&str],
) -> Result<Option<Collective>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM collectives c WHERE {condition}");
    let mut query = sqlx::query(AssertSqlSafe(sql));
    for value in values {
        query = query.bind(value.to_string());
    }
    query.fetch_optional(&mut *conn).await?.as_ref().map(collective_from_row).transpose()
}

/// A collective in a list, with how many members it has.
#[derive(Debug, Clone)]
pub struct CollectiveSummary {
    pub collective: Collective,
    pub members: i64,
}

/// The collectives hosted here that `actor` may see: the public ones, and the private ones where
/// they are a member or invited; by name.
pub async fn visible(conn: &mut AnyConnection, actor: Option<&str>) -> Result<Vec<CollectiveSummary>, sqlx::Error> {
    let rows = sqlx::query(AssertSqlSafe(format!(
        "SELECT {COLUMNS}, (SELECT COUNT(*) FROM collective_members n \
                            WHERE n.collective_id = c.id AND n.state = 'member') AS member_count \
         FROM collectives c \
         WHERE c.origin IS NULL AND (c.visibility = 'public' OR EXISTS ( \
             SELECT 1 FROM collective_members v WHERE v.collective_id = c.id AND v.actor = $1 \
             AND v.state IN ('member', 'invited'))) \
         ORDER BY c.display_name, c.name LIMIT 500"
    )))
    .bind(actor.unwrap_or(""))
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(CollectiveSummary { collective: collective_from_row(row)?, members: row.try_get("member_count")? })
        })
        .collect()
}

/// The versions of a collective's charter, newest first: `(version, written at)`.
pub async fn charter_versions(conn: &mut AnyConnection, id: &CollectiveId) -> Result<Vec<(i64, i64)>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT version, created_at FROM collective_charters WHERE collective_id = $1 ORDER BY version DESC",
    )
    .bind(id.as_str())
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(|row| Ok((row.try_get("version")?, row.try_get("created_at")?))).collect()
}

/// One version of a collective's charter, and when it was written.
pub async fn charter(
    conn: &mut AnyConnection,
    id: &CollectiveId,
    version: i64,
) -> Result<Option<(Charter, i64)>, sqlx::Error> {
    let row = sqlx::query("SELECT text, created_at FROM collective_charters WHERE collective_id = $1 AND version = $2")
        .bind(id.as_str())
        .bind(version)
        .fetch_optional(&mut *conn)
        .await?;
    row.map(|row| Ok((Charter::stored(row.try_get("text")?), row.try_get("created_at")?))).transpose()
}

/// Where `actor` stands with a collective, if anywhere.
pub async fn membership(
    conn: &mut AnyConnection,
    collective: &CollectiveId,
    actor: &str,
) -> Result<Option<MembershipRecord>, sqlx::Error> {
    membership_where(conn, collective, "actor", actor).await
}

pub async fn membership_by_id(
    conn: &mut AnyConnection,
    collective: &CollectiveId,
    id: &MembershipId,
) -> Result<Option<MembershipRecord>, sqlx::Error> {
    membership_where(conn, collective, "id", id.as_str()).await
}

/// A membership of `collective` by one of its unique columns (`column` is one of our constants).
async fn membership_where(
    conn: &mut AnyConnection,
    collective: &CollectiveId,
    column: &'static str,
    value: &str,
) -> Result<Option<MembershipRecord>, sqlx::Error> {
    sqlx::query(AssertSqlSafe(format!(
        "SELECT {MEMBERSHIP_COLUMNS} FROM collective_members cm WHERE cm.collective_id = $1 AND cm.{column} = $2"
    )))
    .bind(collective.as_str())
    .bind(value)
    .fetch_optional(&mut *conn)
    .await?
    .as_ref()
    .map(membership_from_row)
    .transpose()
}

/// Saves where a person stands (a new row, or the one of the same collective and actor).
pub async fn save_membership(conn: &mut AnyConnection, record: &MembershipRecord) -> Result<(), sqlx::Error> {
    let m = &record.membership;
    sqlx::query(
        "INSERT INTO collective_members (id, collective_id, actor, member_id, state, role, charter_version, message, \
         answers, reason, since, decided_by, activity_id, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) \
         ON CONFLICT (collective_id, actor) DO UPDATE SET member_id = excluded.member_id, state = excluded.state, \
         role = excluded.role, charter_version = excluded.charter_version, message = excluded.message, \
         answers = excluded.answers, reason = excluded.reason, since = excluded.since, \
         decided_by = excluded.decided_by, activity_id = excluded.activity_id, updated_at = excluded.updated_at",
    )
    .bind(record.id.as_str())
    .bind(record.collective.as_str())
    .bind(&record.actor)
    .bind(record.member.as_ref().map(MemberId::as_str))
    .bind(m.state.as_str())
    .bind(m.role.as_str())
    .bind(m.charter_version)
    .bind(&m.message)
    .bind(to_json(&m.answers))
    .bind(&m.reason)
    .bind(m.since)
    .bind(record.decided_by.as_deref())
    .bind(record.activity_id.as_deref())
    .bind(record.created_at)
    .bind(record.updated_at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// A membership with how to name its person: a member's username and name here, or the copy we
/// keep of another server's actor (`None` when we have none).
#[derive(Debug, Clone)]
pub struct NamedMembership {
    pub record: MembershipRecord,
    /// A member of ours: their username.
    pub username: Option<String>,
    /// Their display name, if we know it.
    pub display_name: Option<String>,
    /// Another server's actor: `user@host`.
    pub remote_handle: Option<String>,
    /// Their profile page on their own server.
    pub remote_page: Option<String>,
}

/// The memberships of a collective in `states`, administrators first, then by date (at most 2,000:
/// requests, invitations and the moderators' lookups; pages of members are read by [`members_window`]).
pub async fn memberships(
    conn: &mut AnyConnection,
    collective: &CollectiveId,
    states: &[MembershipState],
) -> Result<Vec<NamedMembership>, sqlx::Error> {
    named(conn, &named_sql(states), collective, 0, 2000).await
}

/// `limit` of a collective's members from the `offset`-th, in the order of [`memberships`]: the
/// collective's page and its members page. On SQLite, read on the request's thread (`reader.rs`):
/// through sqlx, a page of a hundred members cost three times a catalogue page.
pub async fn members_window(
    db: &Db,
    collective: &CollectiveId,
    offset: i64,
    limit: i64,
) -> Result<Vec<NamedMembership>, sqlx::Error> {
    let sql = named_sql(&[MembershipState::Member]);
    if let Some(reader) = db.reader() {
        let params = [
            rusqlite::types::Value::Text(collective.as_str().to_owned()),
            rusqlite::types::Value::Integer(limit.max(0)),
            rusqlite::types::Value::Integer(offset.max(0)),
        ];
        return reader.read(|conn| reader::query(conn, &sql, &params, |row| named_from_row(row)));
    }
    let mut conn = db.conn().await?;
    named(&mut conn, &sql, collective, offset, limit).await
}

/// The memberships in `states` with their people's names; `$1` the collective, `$2` the limit,
/// `$3` the offset.
fn named_sql(states: &[MembershipState]) -> String {
    let wanted: Vec<String> = states.iter().map(|s| format!("'{}'", s.as_str())).collect();
    format!(
        "SELECT {MEMBERSHIP_COLUMNS}, m.username, m.display_name AS member_name, ra.username AS remote_username, \
         ra.domain AS remote_domain, ra.display_name AS remote_name, ra.page AS remote_page \
         FROM collective_members cm \
         LEFT JOIN members m ON m.id = cm.member_id \
         LEFT JOIN remote_actors ra ON ra.id = cm.actor AND cm.member_id IS NULL \
         WHERE cm.collective_id = $1 AND cm.state IN ({}) \
         ORDER BY CASE cm.role WHEN 'administrator' THEN 0 WHEN 'moderator' THEN 1 ELSE 2 END, \
         COALESCE(cm.since, cm.created_at), cm.id LIMIT $2 OFFSET $3",
        wanted.join(", ")
    )
}

async fn named(
    conn: &mut AnyConnection,
    sql: &str,
    collective: &CollectiveId,
    offset: i64,
    limit: i64,
) -> Result<Vec<NamedMembership>, sqlx::Error> {
    // Safe: `named_sql` writes states of our own enumeration; values are bound.
    let rows = sqlx::query(AssertSqlSafe(sql.to_owned()))
        .bind(collective.as_str())
        .bind(limit.max(0))
        .bind(offset.max(0))
        .fetch_all(&mut *conn)
        .await?;
    rows.iter().map(named_from_row).collect()
}

fn named_from_row(row: &impl Columns) -> Result<NamedMembership, sqlx::Error> {
    let remote_username = row.opt_text("remote_username")?;
    let remote_domain = row.opt_text("remote_domain")?;
    Ok(NamedMembership {
        record: membership_from_row(row)?,
        username: row.opt_text("username")?,
        display_name: row.opt_text("member_name")?.or(row.opt_text("remote_name")?),
        remote_handle: remote_username.zip(remote_domain).map(|(user, host)| format!("{user}@{host}")),
        remote_page: row.opt_text("remote_page")?,
    })
}

/// How many members a collective has.
pub async fn count_members(conn: &mut AnyConnection, collective: &CollectiveId) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT COUNT(*) FROM collective_members WHERE collective_id = $1 AND state = 'member'")
        .bind(collective.as_str())
        .fetch_one(&mut *conn)
        .await
}

/// How many members a collective has with `role`.
pub async fn count_with_role(
    conn: &mut AnyConnection,
    collective: &CollectiveId,
    role: Role,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT COUNT(*) FROM collective_members WHERE collective_id = $1 AND state = 'member' AND role = $2",
    )
    .bind(collective.as_str())
    .bind(role.as_str())
    .fetch_one(&mut *conn)
    .await
}

/// A collective and where one person stands with it.
#[derive(Debug, Clone)]
pub struct Belonging {
    pub collective: Collective,
    pub record: MembershipRecord,
}

/// The collectives `actor` belongs to (as a member), or is invited to, or has a request in:
/// those of `states`, by the collective's name.
pub async fn belongings(
    conn: &mut AnyConnection,
    actor: &str,
    states: &[MembershipState],
) -> Result<Vec<Belonging>, sqlx::Error> {
    let wanted: Vec<String> = states.iter().map(|s| format!("'{}'", s.as_str())).collect();
    let rows = sqlx::query(AssertSqlSafe(format!(
        "SELECT {COLUMNS}, {} FROM collective_members cm JOIN collectives c ON c.id = cm.collective_id \
         WHERE cm.actor = $1 AND cm.state IN ({}) ORDER BY c.display_name, c.name LIMIT 500",
        MEMBERSHIP_COLUMNS
            .split(", ")
            .map(|column| format!("{column} AS m_{}", column.trim_start_matches("cm.")))
            .collect::<Vec<_>>()
            .join(", "),
        wanted.join(", ")
    )))
    .bind(actor)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|row| Ok(Belonging { collective: collective_from_row(row)?, record: membership_with_prefix(row, "m_")? }))
        .collect()
}

/// What waits for a member in collectives: the requests they may decide (as a moderator), their
/// invitations, and the new charters they have not accepted yet.
pub async fn awaiting(conn: &mut AnyConnection, actor: &str) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT \
           (SELECT COUNT(*) FROM collective_members r \
              JOIN collective_members me ON me.collective_id = r.collective_id AND me.actor = $1 \
                AND me.state = 'member' AND me.role IN ('administrator', 'moderator') \
              JOIN collectives rc ON rc.id = r.collective_id AND rc.origin IS NULL \
            WHERE r.state = 'requested') \
         + (SELECT COUNT(*) FROM collective_members i WHERE i.actor = $1 AND i.state = 'invited') \
         + (SELECT COUNT(*) FROM collective_members o JOIN collectives oc ON oc.id = o.collective_id \
            WHERE o.actor = $1 AND o.state = 'member' \
              AND (o.charter_version IS NULL OR o.charter_version < oc.charter_version))",
    )
    .bind(actor)
    .fetch_one(&mut *conn)
    .await
}

/// Our copy of another instance's collective, by its `Group`'s id.
pub async fn by_ap_id(conn: &mut AnyConnection, ap_id: &str) -> Result<Option<Collective>, sqlx::Error> {
    collective_where(conn, "c.ap_id = $1", &[ap_id]).await
}

/// Our copy of another instance's collective, by its address (`name`, `host`).
pub async fn remote_by_address(
    conn: &mut AnyConnection,
    name: &CollectiveName,
    host: &str,
) -> Result<Option<Collective>, sqlx::Error> {
    collective_where(conn, "c.name = $1 AND c.origin = $2", &[name.as_str(), host]).await
}

/// Keeps our copy of another instance's collective as its `Group` now says it is (by its id, which
/// gives its local id), with the charter's current version when we did not have it.
pub async fn keep_remote(
    conn: &mut AnyConnection,
    collective: &Collective,
    charter: &Charter,
) -> Result<(), sqlx::Error> {
    let origin = collective.origin.as_ref().ok_or_else(|| sqlx::Error::Protocol("not a remote collective".into()))?;
    sqlx::query(
        "INSERT INTO collectives (id, name, origin, ap_id, display_name, purpose, activities, territory, entry_criteria, \
         questions, admission, visibility, charter_version, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $14) \
         ON CONFLICT (id) DO UPDATE SET name = excluded.name, display_name = excluded.display_name, \
         purpose = excluded.purpose, activities = excluded.activities, territory = excluded.territory, \
         entry_criteria = excluded.entry_criteria, questions = excluded.questions, admission = excluded.admission, \
         visibility = excluded.visibility, charter_version = excluded.charter_version, updated_at = excluded.updated_at",
    )
    .bind(collective.id.as_str())
    .bind(collective.name.as_str())
    .bind(&origin.host)
    .bind(&origin.ap_id)
    .bind(&collective.display_name)
    .bind(&collective.purpose)
    .bind(collective.activities.join(" "))
    .bind(&collective.territory)
    .bind(&collective.entry_criteria)
    .bind(to_json(&collective.questions))
    .bind(collective.admission.as_str())
    .bind(collective.visibility.as_str())
    .bind(collective.charter_version)
    .bind(collective.updated_at)
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "INSERT INTO collective_charters (collective_id, version, text, created_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (collective_id, version) DO NOTHING",
    )
    .bind(collective.id.as_str())
    .bind(collective.charter_version)
    .bind(charter.as_str())
    .bind(collective.updated_at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The inboxes of the servers of a collective's members from other instances (shared inboxes when
/// they have them: one per server), with their domains.
pub async fn remote_member_inboxes(
    conn: &mut AnyConnection,
    collective: &CollectiveId,
) -> Result<Vec<(String, String)>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT DISTINCT COALESCE(ra.shared_inbox, ra.inbox) AS inbox, ra.domain FROM collective_members cm \
         JOIN remote_actors ra ON ra.id = cm.actor \
         WHERE cm.collective_id = $1 AND cm.state = 'member' AND cm.member_id IS NULL",
    )
    .bind(collective.as_str())
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(|row| Ok((row.try_get("inbox")?, row.try_get("domain")?))).collect()
}

/// The ActivityPub ids of a collective's members, in the order they joined.
pub async fn member_actors(conn: &mut AnyConnection, collective: &CollectiveId) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT actor FROM collective_members WHERE collective_id = $1 AND state = 'member' \
         ORDER BY since, id LIMIT 10000",
    )
    .bind(collective.as_str())
    .fetch_all(&mut *conn)
    .await
}

/// Whether a member or an invitee of the collective is on `domain`'s server (who may read a
/// private collective's documents).
pub async fn has_people_on(
    conn: &mut AnyConnection,
    collective: &CollectiveId,
    domain: &str,
) -> Result<bool, sqlx::Error> {
    let count: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM collective_members cm JOIN remote_actors ra ON ra.id = cm.actor \
         WHERE cm.collective_id = $1 AND cm.state IN ('member', 'invited') AND ra.domain = $2",
    )
    .bind(collective.as_str())
    .bind(domain)
    .fetch_one(&mut *conn)
    .await?;
    Ok(count > 0)
}

/// The membership of ours whose `Join` has this id.
pub async fn membership_by_activity(
    conn: &mut AnyConnection,
    collective: &CollectiveId,
    activity_id: &str,
) -> Result<Option<MembershipRecord>, sqlx::Error> {
    membership_where(conn, collective, "activity_id", activity_id).await
}

/// Keeps, for our copy of another instance's collective, who belongs as its members collection
/// lists them (`listed`: their ActivityPub ids): those listed are members (since `now` when they
/// were not), those held for members and no longer listed have left. Our members' rows are found
/// by their id here (`urls`).
pub async fn confirm_members(
    conn: &mut AnyConnection,
    collective: &Collective,
    listed: &[String],
    urls: &maillage_federation::Urls,
    now: i64,
) -> Result<(), sqlx::Error> {
    let mut current = memberships(conn, &collective.id, &[MembershipState::Member]).await?;
    for named in &mut current {
        if !listed.contains(&named.record.actor) {
            let record = &mut named.record;
            record.membership.state = MembershipState::Left;
            record.membership.since = None;
            record.updated_at = now;
            save_membership(conn, record).await?;
        }
    }
    for actor in listed {
        let previous = membership(conn, &collective.id, actor).await?;
        if previous.as_ref().is_some_and(|p| p.membership.is_member()) {
            continue;
        }
        let member = match url::Url::parse(actor).ok().and_then(|url| urls.local_username(&url).map(str::to_owned)) {
            Some(username) => match crate::domain::member::Username::parse(&username) {
                Ok(username) => super::members::by_username(conn, &username).await?.map(|m| m.id),
                Err(_) => None,
            },
            None => None,
        };
        let record = MembershipRecord {
            id: previous.as_ref().map_or_else(MembershipId::new, |p| p.id.clone()),
            collective: collective.id.clone(),
            actor: actor.clone(),
            member,
            membership: Membership {
                state: MembershipState::Member,
                role: Role::Member,
                charter_version: previous.as_ref().and_then(|p| p.membership.charter_version),
                since: Some(now),
                message: String::new(),
                answers: Vec::new(),
                reason: String::new(),
            },
            decided_by: collective.origin.as_ref().map(|o| o.ap_id.clone()),
            activity_id: previous.as_ref().and_then(|p| p.activity_id.clone()),
            created_at: previous.as_ref().map_or(now, |p| p.created_at),
            updated_at: now,
        };
        save_membership(conn, &record).await?;
    }
    Ok(())
}

/// The collectives (ours and copies) a member of ours belongs to: their ids.
pub async fn ids_of_member(conn: &mut AnyConnection, member: &MemberId) -> Result<Vec<CollectiveId>, sqlx::Error> {
    let ids: Vec<String> = sqlx::query_scalar(
        "SELECT collective_id FROM collective_members WHERE member_id = $1 AND state = 'member' ORDER BY collective_id",
    )
    .bind(member.as_str())
    .fetch_all(&mut *conn)
    .await?;
    ids.iter()
        .map(|id| CollectiveId::parse(id).ok_or_else(|| sqlx::Error::Decode(format!("collective id {id:?}").into())))
        .collect()
}

/// The public collectives hosted here that a member of ours belongs to (whose Groups announce the
/// member's public listings to their followers).
pub async fn public_of_member(conn: &mut AnyConnection, member: &MemberId) -> Result<Vec<Collective>, sqlx::Error> {
    let rows = sqlx::query(AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM collectives c JOIN collective_members cm ON cm.collective_id = c.id \
         WHERE cm.member_id = $1 AND cm.state = 'member' AND c.origin IS NULL AND c.visibility = 'public' \
         ORDER BY c.name LIMIT 100"
    )))
    .bind(member.as_str())
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(collective_from_row).collect()
}
