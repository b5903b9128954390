//! Members' notifications: where they go (`members.email`, `notify_by_email`), their calendar
//! feed's secret (`members.calendar_token`), and the emails waiting to be sent (`outgoing_emails`).

use sqlx::{AnyConnection, Row};

use super::members::decode;
use crate::domain::ids::MemberId;
use crate::domain::member::EmailAddress;

/// How a member is told of what happens to them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contact {
    pub email: Option<EmailAddress>,
    pub notify_by_email: bool,
}

pub async fn contact(conn: &mut AnyConnection, member: &MemberId) -> Result<Option<Contact>, sqlx::Error> {
    let row = sqlx::query("SELECT email, notify_by_email FROM members WHERE id = $1")
        .bind(member.as_str())
        .fetch_optional(&mut *conn)
        .await?;
    row.map(|row| {
        let email = match row.try_get::<Option<String>, _>("email")? {
            Some(text) => Some(decode("email", EmailAddress::parse("email", &text))?),
            None => None,
        };
        Ok(Contact { email, notify_by_email: row.try_get::<i64, _>("notify_by_email")? != 0 })
    })
    .transpose()
}

pub async fn set_contact(
    conn: &mut AnyConnection,
    member: &MemberId,
    email: Option<&EmailAddress>,
    notify_by_email: bool,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("UPDATE members SET email = $1, notify_by_email = $2 WHERE id = $3")
        .bind(email.map(EmailAddress::as_str))
        .bind(i64::from(notify_by_email))
        .bind(member.as_str())
        .execute(&mut *conn)
        .await?;
    Ok(done.rows_affected() > 0)
}

pub async fn calendar_token(conn: &mut AnyConnection, member: &MemberId) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT calendar_token FROM members WHERE id = $1")
        .bind(member.as_str())
        .fetch_optional(&mut *conn)
        .await
        .map(Option::flatten)
}

/// Sets (or with `None` takes off) a member's calendar secret.
pub async fn set_calendar_token(
    conn: &mut AnyConnection,
    member: &MemberId,
    token: Option<&str>,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE members SET calendar_token = $1 WHERE id = $2")
        .bind(token)
        .bind(member.as_str())
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// The active member whose calendar secret this is.
pub async fn member_by_calendar_token(conn: &mut AnyConnection, token: &str) -> Result<Option<MemberId>, sqlx::Error> {
    let id: Option<String> =
        sqlx::query_scalar("SELECT id FROM members WHERE calendar_token = $1 AND status = 'active'")
            .bind(token)
            .fetch_optional(&mut *conn)
            .await?;
    Ok(id.as_deref().and_then(MemberId::parse))
}

/// An email waiting to be sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueuedEmail {
    pub id: i64,
    pub recipient: String,
    pub subject: String,
    pub body: String,
    pub attempts: i64,
}

pub async fn queue_email(
    conn: &mut AnyConnection,
    member: &MemberId,
    recipient: &EmailAddress,
    subject: &str,
    body: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO outgoing_emails (member_id, recipient, subject, body, created_at, next_attempt_at) \
         VALUES ($1, $2, $3, $4, $5, $5)",
    )
    .bind(member.as_str())
    .bind(recipient.as_str())
    .bind(subject)
    .bind(body)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The emails due now, oldest first.
pub async fn due_emails(conn: &mut AnyConnection, now: i64, limit: i64) -> Result<Vec<QueuedEmail>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT id, recipient, subject, body, attempts FROM outgoing_emails WHERE next_attempt_at <= $1 \
         ORDER BY id LIMIT $2",
    )
    .bind(now)
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(QueuedEmail {
                id: row.try_get("id")?,
                recipient: row.try_get("recipient")?,
                subject: row.try_get("subject")?,
                body: row.try_get("body")?,
                attempts: row.try_get("attempts")?,
            })
        })
        .collect()
}

/// Sent, or given up: it goes.
pub async fn remove_email(conn: &mut AnyConnection, id: i64) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM outgoing_emails WHERE id = $1").bind(id).execute(&mut *conn).await?;
    Ok(())
}

/// Not sent this time: tried again at `next_attempt_at`.
pub async fn email_failed(
    conn: &mut AnyConnection,
    id: i64,
    error: &str,
    next_attempt_at: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE outgoing_emails SET attempts = attempts + 1, last_error = $1, next_attempt_at = $2 WHERE id = $3",
    )
    .bind(error)
    .bind(next_attempt_at)
    .bind(id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// How many emails wait (for the tests and the admin's view of the instance).
pub async fn waiting_emails(conn: &mut AnyConnection) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT COUNT(*) FROM outgoing_emails").fetch_one(&mut *conn).await
}
