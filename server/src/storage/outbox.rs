//! The transactional outbox: activities and their deliveries, written in the transaction of the
//! change that caused them, and the per-instance delivery state the worker keeps.

use maillage_federation::queue::Delivery;

use sqlx::{AnyConnection, Row};
use url::Url;

/// Queues one activity for the given inboxes (`(inbox, domain)` pairs). Inside the caller's
/// transaction: the activity is sent if and only if the change commits.
pub async fn enqueue(
    conn: &mut AnyConnection,
    activity_id: &str,
    signer: &str,
    activity: &str,
    inboxes: &[(String, String)],
    now: i64,
) -> Result<(), sqlx::Error> {
    if inboxes.is_empty() {
        return Ok(());
    }
    let seq: i64 = sqlx::query_scalar(
        "INSERT INTO outbox (activity_id, signer, activity, created_at) VALUES ($1, $2, $3, $4) RETURNING seq",
    )
    .bind(activity_id)
    .bind(signer)
    .bind(activity)
    .bind(now)
    .fetch_one(&mut *conn)
    .await?;
    for (inbox, domain) in inboxes {
        sqlx::query(
            "INSERT INTO deliveries (outbox_seq, domain, inbox, created_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (outbox_seq, inbox) DO NOTHING",
        )
        .bind(seq)
        .bind(domain)
        .bind(inbox)
        .bind(now)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Deliveries ready to go, oldest first, skipping blocked domains, domains waiting for their next
/// attempt, and the `busy` ones.
pub async fn due(
    conn: &mut AnyConnection,
    now: i64,
    busy: &[String],
    limit: usize,
) -> Result<Vec<Delivery>, sqlx::Error> {
    let mut busy_clause = String::new();
    if !busy.is_empty() {
        let placeholders: Vec<String> = (0..busy.len()).map(|i| format!("${}", i + 3)).collect();
        busy_clause = format!(" AND d.domain NOT IN ({})", placeholders.join(", "));
    }
    let sql = format!(
        "SELECT d.id, d.domain, d.inbox, d.attempts, o.signer, o.activity, COALESCE(s.failures, 0) AS failures, \
         s.failing_since \
         FROM deliveries d JOIN outbox o ON o.seq = d.outbox_seq \
         LEFT JOIN delivery_state s ON s.domain = d.domain \
         WHERE (s.next_attempt_at IS NULL OR s.next_attempt_at <= $1) \
         AND d.domain NOT IN (SELECT domain FROM peers WHERE blocked <> 0){busy_clause} \
         ORDER BY d.id LIMIT $2"
    );
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(now).bind(i64::try_from(limit).unwrap_or(i64::MAX));
    for domain in busy {
        query = query.bind(domain);
    }
    let rows = query.fetch_all(&mut *conn).await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let inbox: String = row.try_get("inbox")?;
        let Ok(inbox) = Url::parse(&inbox) else {
            continue;
        };
        out.push(Delivery {
            id: row.try_get("id")?,
            domain: row.try_get("domain")?,
            inbox,
            signer: row.try_get("signer")?,
            activity: row.try_get("activity")?,
            attempts: row.try_get("attempts")?,
            domain_failures: row.try_get("failures")?,
            failing_since: row.try_get("failing_since")?,
        });
    }
    Ok(out)
}

/// Removes a delivery the inbox answered (and its activity once no delivery is left). The domain is
/// alive either way (its failures are forgotten); it took the activity (recorded as its last
/// success) or refused it for good (`refused`, recorded as its last error, for the admin page).
/// Its statements belong together: run it in a transaction.
pub async fn delivered(
    conn: &mut AnyConnection,
    delivery: &Delivery,
    now: i64,
    refused: Option<&str>,
) -> Result<(), sqlx::Error> {
    let seq: Option<i64> = sqlx::query_scalar("DELETE FROM deliveries WHERE id = $1 RETURNING outbox_seq")
        .bind(delivery.id)
        .fetch_optional(&mut *conn)
        .await?;
    if let Some(seq) = seq {
        sqlx::query(
            "DELETE FROM outbox WHERE seq = $1 AND NOT EXISTS (SELECT 1 FROM deliveries WHERE outbox_seq = $1)",
        )
        .bind(seq)
        .execute(&mut *conn)
        .await?;
    }
    let query = match refused {
        None => sqlx::query(
            "INSERT INTO delivery_state (domain, failures, failing_since, next_attempt_at, last_success_at, dead) \
             VALUES ($1, 0, NULL, NULL, $2, 0) ON CONFLICT (domain) DO UPDATE SET failures = 0, \
             failing_since = NULL, next_attempt_at = NULL, last_success_at = excluded.last_success_at, dead = 0",
        )
        .bind(&delivery.domain)
        .bind(now),
        Some(why) => sqlx::query(
            "INSERT INTO delivery_state (domain, failures, failing_since, next_attempt_at, last_error, last_error_at, \
             dead) VALUES ($1, 0, NULL, NULL, $3, $2, 0) ON CONFLICT (domain) DO UPDATE SET failures = 0, \
             failing_since = NULL, next_attempt_at = NULL, last_error = excluded.last_error, \
             last_error_at = excluded.last_error_at, dead = 0",
        )
        .bind(&delivery.domain)
        .bind(now)
        .bind(why.chars().take(500).collect::<String>()),
    };
    query.execute(&mut *conn).await?;
    Ok(())
}

pub async fn failed(
    conn: &mut AnyConnection,
    domain: &str,
    error: &str,
    now: i64,
    retry_at: i64,
    dead: bool,
) -> Result<(), sqlx::Error> {
    let error: String = error.chars().take(500).collect();
    sqlx::query(
        "INSERT INTO delivery_state (domain, failures, failing_since, next_attempt_at, last_error, last_error_at, dead) \
         VALUES ($1, 1, $2, $3, $4, $2, $5) ON CONFLICT (domain) DO UPDATE SET \
         failures = delivery_state.failures + 1, \
         failing_since = COALESCE(delivery_state.failing_since, excluded.failing_since), \
         next_attempt_at = excluded.next_attempt_at, last_error = excluded.last_error, \
         last_error_at = excluded.last_error_at, dead = excluded.dead",
    )
    .bind(domain)
    .bind(now)
    .bind(retry_at)
    .bind(error)
    .bind(i64::from(dead))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// One more failed attempt of a delivery.
pub async fn attempt_failed(conn: &mut AnyConnection, delivery_id: i64) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE deliveries SET attempts = attempts + 1 WHERE id = $1")
        .bind(delivery_id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Domains with deliveries waiting for an attempt after `later_than`, not probed since
/// `probed_before`, with their instance actor when they are a peer.
pub async fn waiting(
    conn: &mut AnyConnection,
    later_than: i64,
    probed_before: i64,
) -> Result<Vec<(String, Option<String>)>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT s.domain, p.actor_id FROM delivery_state s LEFT JOIN peers p ON p.domain = s.domain \
         WHERE s.next_attempt_at > $1 AND (s.last_probe_at IS NULL OR s.last_probe_at < $2) \
         AND EXISTS (SELECT 1 FROM deliveries d WHERE d.domain = s.domain) \
         AND s.domain NOT IN (SELECT domain FROM peers WHERE blocked <> 0) ORDER BY s.last_probe_at LIMIT 32",
    )
    .bind(later_than)
    .bind(probed_before)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(|row| Ok((row.try_get("domain")?, row.try_get("actor_id")?))).collect()
}

/// Records a probe of a waiting domain; when it answered, its deliveries are due at once.
pub async fn probed(conn: &mut AnyConnection, domain: &str, now: i64, answered: bool) -> Result<(), sqlx::Error> {
    let sql = if answered {
        "UPDATE delivery_state SET last_probe_at = $2, next_attempt_at = NULL, dead = 0 WHERE domain = $1"
    } else {
        "UPDATE delivery_state SET last_probe_at = $2 WHERE domain = $1"
    };
    sqlx::query(sql).bind(domain).bind(now).execute(&mut *conn).await?;
    Ok(())
}

/// The domain is alive (it sent us something, or an admin asked): try its deliveries now.
pub async fn retry_now(conn: &mut AnyConnection, domain: &str) -> Result<bool, sqlx::Error> {
    // Read first: this runs for every activity received, and an UPDATE, even of no row, would take
    // SQLite's write lock each time.
    let waiting: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM delivery_state WHERE domain = $1 AND next_attempt_at IS NOT NULL")
            .bind(domain)
            .fetch_one(&mut *conn)
            .await?;
    if waiting == 0 {
        return Ok(false);
    }
    let done = sqlx::query(
        "UPDATE delivery_state SET next_attempt_at = NULL, dead = 0 WHERE domain = $1 AND next_attempt_at IS NOT NULL",
    )
    .bind(domain)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// Drops what is queued for a domain (blocked, forgotten), and the activities left with no delivery.
pub async fn drop_deliveries_to(conn: &mut AnyConnection, domain: &str) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM deliveries WHERE domain = $1").bind(domain).execute(&mut *conn).await?;
    sqlx::query("DELETE FROM outbox WHERE NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.outbox_seq = outbox.seq)")
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// How delivery goes to one instance, for the admin page.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DeliveryStatus {
    pub queued: i64,
    pub failures: i64,
    pub next_attempt_at: Option<i64>,
    pub last_success_at: Option<i64>,
    pub last_error: Option<String>,
    pub last_error_at: Option<i64>,
    pub dead: bool,
}

pub async fn status(conn: &mut AnyConnection, domain: &str) -> Result<DeliveryStatus, sqlx::Error> {
    let queued: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM deliveries WHERE domain = $1")
        .bind(domain)
        .fetch_one(&mut *conn)
        .await?;
    let row = sqlx::query(
        "SELECT failures, next_attempt_at, last_success_at, last_error, last_error_at, dead FROM delivery_state \
         WHERE domain = $1",
    )
    .bind(domain)
    .fetch_optional(&mut *conn)
    .await?;
    let mut status = DeliveryStatus { queued, ..DeliveryStatus::default() };
    if let Some(row) = row {
        status.failures = row.try_get("failures")?;
        status.next_attempt_at = row.try_get("next_attempt_at")?;
        status.last_success_at = row.try_get("last_success_at")?;
        status.last_error = row.try_get("last_error")?;
        status.last_error_at = row.try_get("last_error_at")?;
        status.dead = row.try_get::<i64, _>("dead")? != 0;
    }
    Ok(status)
}

/// Deliveries waiting, in all (for the bench and tests).
pub async fn queued(conn: &mut AnyConnection) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT COUNT(*) FROM deliveries").fetch_one(&mut *conn).await
}

/// Delivery to the servers that are not peers (followers elsewhere in the fediverse): domain and
/// state, the ones with something queued or failing first.
pub async fn other_domains(conn: &mut AnyConnection) -> Result<Vec<(String, DeliveryStatus)>, sqlx::Error> {
    let domains: Vec<String> = sqlx::query_scalar(
        "SELECT domain FROM (SELECT domain FROM delivery_state UNION SELECT DISTINCT domain FROM deliveries) d \
         WHERE domain NOT IN (SELECT domain FROM peers) ORDER BY domain LIMIT 200",
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut out = Vec::with_capacity(domains.len());
    for domain in domains {
        let status = status(&mut *conn, &domain).await?;
        out.push((domain, status));
    }
    out.sort_by_key(|(_, s)| (s.queued == 0, s.failures == 0));
    Ok(out)
}
