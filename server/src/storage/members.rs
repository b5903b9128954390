//! Members and their credentials.

use sqlx::AnyConnection;
use sqlx::any::AnyRow;
use sqlx::{AssertSqlSafe, Row};

use crate::domain::geo::{Location, Point};
use crate::domain::ids::{ImageId, MemberId};
use crate::domain::member::{Member, MemberKind, MemberStatus, Role, Username};

const COLUMNS: &str = "id, username, kind, display_name, description, location_name, latitude, longitude, role, status, avatar_id, \
     created_at";

/// A member to insert.
pub struct NewMember<'a> {
    pub id: &'a MemberId,
    pub username: &'a Username,
    pub kind: MemberKind,
    pub display_name: &'a str,
    pub description: &'a str,
    pub location: Option<&'a Location>,
    pub password_hash: &'a str,
    pub role: Role,
    pub status: MemberStatus,
    pub now: i64,
}

#[derive(Debug, thiserror::Error)]
pub enum InsertMemberError {
    #[error("username taken")]
    UsernameTaken,
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

pub async fn insert(conn: &mut AnyConnection, member: &NewMember<'_>) -> Result<(), InsertMemberError> {
    let point = member.location.and_then(|l| l.point);
    let result = sqlx::query(
        "INSERT INTO members (id, username, kind, display_name, description, location_name, latitude, longitude, \
         password_hash, role, status, created_at, updated_at) \
         SELECT $1, $2, $3, $4, $5, $6, CAST($7 AS DOUBLE PRECISION), CAST($8 AS DOUBLE PRECISION), $9, $10, \
         $11, $12, $12 \
         WHERE NOT EXISTS (SELECT 1 FROM collectives WHERE name = $2 AND origin IS NULL)",
    )
    .bind(member.id.as_str())
    .bind(member.username.as_str())
    .bind(member.kind.as_str())
    .bind(member.display_name)
    .bind(member.description)
    .bind(member.location.map(|l| l.name.clone()))
    .bind(super::nullable_real(point.map(|p| p.latitude)))
    .bind(super::nullable_real(point.map(|p| p.longitude)))
    .bind(member.password_hash)
    .bind(member.role.as_str())
    .bind(member.status.as_str())
    .bind(member.now)
    .execute(&mut *conn)
    .await;
    // A collective's name is an address too (`acct:name@domain`): nobody may take it.
    match result {
        Ok(done) if done.rows_affected() == 0 => Err(InsertMemberError::UsernameTaken),
        Ok(_) => Ok(()),
        Err(e) if super::is_unique_violation(&e) => Err(InsertMemberError::UsernameTaken),
        Err(e) => Err(e.into()),
    }
}

pub async fn by_id(conn: &mut AnyConnection, id: &MemberId) -> Result<Option<Member>, sqlx::Error> {
    let row = sqlx::query(AssertSqlSafe(format!("SELECT {COLUMNS} FROM members WHERE id = $1")))
        .bind(id.as_str())
        .fetch_optional(&mut *conn)
        .await?;
    row.as_ref().map(from_row).transpose()
}

pub async fn by_username(conn: &mut AnyConnection, username: &Username) -> Result<Option<Member>, sqlx::Error> {
    let row = sqlx::query(AssertSqlSafe(format!("SELECT {COLUMNS} FROM members WHERE username = $1")))
        .bind(username.as_str())
        .fetch_optional(&mut *conn)
        .await?;
    row.as_ref().map(from_row).transpose()
}

/// The member and their password hash, for logging in.
pub async fn credentials(
    conn: &mut AnyConnection,
    username: &Username,
) -> Result<Option<(Member, String)>, sqlx::Error> {
    let row = sqlx::query(AssertSqlSafe(format!("SELECT {COLUMNS}, password_hash FROM members WHERE username = $1")))
        .bind(username.as_str())
        .fetch_optional(&mut *conn)
        .await?;
    match row {
        Some(row) => Ok(Some((from_row(&row)?, row.try_get("password_hash")?))),
        None => Ok(None),
    }
}

/// Members with the given status, oldest first (the approval queue) or all when `None`.
pub async fn list(
    conn: &mut AnyConnection,
    status: Option<MemberStatus>,
    limit: i64,
) -> Result<Vec<Member>, sqlx::Error> {
    let rows = match status {
        Some(status) => {
            sqlx::query(AssertSqlSafe(format!(
                "SELECT {COLUMNS} FROM members WHERE status = $1 ORDER BY created_at LIMIT $2"
            )))
            .bind(status.as_str())
            .bind(limit)
            .fetch_all(&mut *conn)
            .await?
        }
        None => {
            sqlx::query(AssertSqlSafe(format!("SELECT {COLUMNS} FROM members ORDER BY created_at LIMIT $1")))
                .bind(limit)
                .fetch_all(&mut *conn)
                .await?
        }
    };
    rows.iter().map(from_row).collect()
}

pub async fn count(conn: &mut AnyConnection) -> Result<i64, sqlx::Error> {
    sqlx::query("SELECT COUNT(*) AS n FROM members").fetch_one(&mut *conn).await?.try_get("n")
}

/// Sets a member's status; returns whether the member exists.
pub async fn set_status(
    conn: &mut AnyConnection,
    id: &MemberId,
    status: MemberStatus,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("UPDATE members SET status = $1, updated_at = $2 WHERE id = $3")
        .bind(status.as_str())
        .bind(now)
        .bind(id.as_str())
        .execute(&mut *conn)
        .await?;
    Ok(done.rows_affected() > 0)
}

pub async fn set_role(conn: &mut AnyConnection, id: &MemberId, role: Role, now: i64) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("UPDATE members SET role = $1, updated_at = $2 WHERE id = $3")
        .bind(role.as_str())
        .bind(now)
        .bind(id.as_str())
        .execute(&mut *conn)
        .await?;
    Ok(done.rows_affected() > 0)
}

pub async fn set_password_hash(
    conn: &mut AnyConnection,
    id: &MemberId,
    hash: &str,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("UPDATE members SET password_hash = $1, updated_at = $2 WHERE id = $3")
        .bind(hash)
        .bind(now)
        .bind(id.as_str())
        .execute(&mut *conn)
        .await?;
    Ok(done.rows_affected() > 0)
}

/// Profile fields a member edits.
pub async fn update_profile(
    conn: &mut AnyConnection,
    id: &MemberId,
    display_name: &str,
    description: &str,
    location: Option<&Location>,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let point = location.and_then(|l| l.point);
    let done = sqlx::query(
        "UPDATE members SET display_name = $1, description = $2, location_name = $3, \
         latitude = CAST($4 AS DOUBLE PRECISION), longitude = CAST($5 AS DOUBLE PRECISION), updated_at = $6 WHERE id = $7",
    )
    .bind(display_name)
    .bind(description)
    .bind(location.map(|l| l.name.clone()))
    .bind(super::nullable_real(point.map(|p| p.latitude)))
    .bind(super::nullable_real(point.map(|p| p.longitude)))
    .bind(now)
    .bind(id.as_str())
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// Sets (or with `None` takes off) a member's avatar; the avatar it had, whose image the caller
/// removes once the change is committed.
pub async fn set_avatar(
    conn: &mut AnyConnection,
    id: &MemberId,
    avatar: Option<&ImageId>,
    now: i64,
) -> Result<Option<ImageId>, sqlx::Error> {
    let before: Option<String> = sqlx::query("SELECT avatar_id FROM members WHERE id = $1")
        .bind(id.as_str())
        .fetch_optional(&mut *conn)
        .await?
        .map(|row| row.try_get("avatar_id"))
        .transpose()?
        .flatten();
    sqlx::query("UPDATE members SET avatar_id = $1, updated_at = $2 WHERE id = $3")
        .bind(avatar.map(ImageId::as_str))
        .bind(now)
        .bind(id.as_str())
        .execute(&mut *conn)
        .await?;
    Ok(before.and_then(|b| ImageId::parse(&b)))
}

pub(super) fn decode<T>(column: &str, result: Result<T, crate::domain::FieldError>) -> Result<T, sqlx::Error> {
    result.map_err(|e| sqlx::Error::ColumnDecode { index: column.to_owned(), source: Box::new(e) })
}

pub(super) fn location_from_row(row: &impl super::Columns) -> Result<Option<Location>, sqlx::Error> {
    let name = row.opt_text("location_name")?;
    let latitude = row.opt_real("latitude")?;
    let longitude = row.opt_real("longitude")?;
    let point = match (latitude, longitude) {
        (Some(latitude), Some(longitude)) => Some(Point { latitude, longitude }),
        _ => None,
    };
    let name = name.unwrap_or_default();
    Ok(if name.is_empty() && point.is_none() { None } else { Some(Location { name, point }) })
}

fn from_row(row: &AnyRow) -> Result<Member, sqlx::Error> {
    Ok(Member {
        id: super::parsed(row, "id", MemberId::parse)?,
        username: decode("username", Username::parse(&row.try_get::<String, _>("username")?))?,
        kind: decode("kind", MemberKind::parse(&row.try_get::<String, _>("kind")?))?,
        display_name: row.try_get("display_name")?,
        description: row.try_get("description")?,
        location: location_from_row(row)?,
        role: decode("role", Role::parse(&row.try_get::<String, _>("role")?))?,
        status: decode("status", MemberStatus::parse(&row.try_get::<String, _>("status")?))?,
        avatar: row
            .try_get::<Option<String>, _>("avatar_id")?
            .map(|id| ImageId::parse(&id).ok_or_else(|| super::images::decode("avatar_id", &id)))
            .transpose()?,
        created_at: row.try_get("created_at")?,
    })
}
