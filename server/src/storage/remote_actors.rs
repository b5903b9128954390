//! Actors of other servers as we last fetched them (`remote_actors`): their inboxes and keys.

use maillage_federation::RemoteActor;
use maillage_federation::vocab::ActorKind;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};
use url::Url;

use crate::domain::photo::{AVATAR_WIDTHS, ImageKind};

pub(super) const ACTOR_COLUMNS: &str =
    "id, kind, domain, username, display_name, inbox, shared_inbox, outbox, public_key_pem, page, icon_url, fetched_at";

pub(super) fn actor_from_row(row: &AnyRow) -> Result<RemoteActor, sqlx::Error> {
    let url = |column: &str| -> Result<Url, sqlx::Error> {
        let text: String = row.try_get(column)?;
        Url::parse(&text).map_err(|e| sqlx::Error::Decode(format!("{column}: {e}").into()))
    };
    let optional_url = |column: &str| -> Result<Option<Url>, sqlx::Error> {
        Ok(row.try_get::<Option<String>, _>(column)?.and_then(|t| Url::parse(&t).ok()))
    };
    let kind: String = row.try_get("kind")?;
    Ok(RemoteActor {
        id: url("id")?,
        kind: ActorKind::parse(&kind).unwrap_or(ActorKind::Person),
        domain: row.try_get("domain")?,
        username: row.try_get("username")?,
        name: row.try_get("display_name")?,
        inbox: url("inbox")?,
        shared_inbox: optional_url("shared_inbox")?,
        outbox: optional_url("outbox")?,
        public_key_pem: row.try_get("public_key_pem")?,
        page: optional_url("page")?,
        icon: optional_url("icon_url")?,
        fetched_at: row.try_get("fetched_at")?,
    })
}

pub async fn remote_actor(conn: &mut AnyConnection, id: &str) -> Result<Option<RemoteActor>, sqlx::Error> {
    let sql = format!("SELECT {ACTOR_COLUMNS} FROM remote_actors WHERE id = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(&mut *conn).await?;
    row.as_ref().map(actor_from_row).transpose()
}

/// The instance actor of a peer domain, when we know it.
pub async fn remote_instance_actor(conn: &mut AnyConnection, domain: &str) -> Result<Option<RemoteActor>, sqlx::Error> {
    let sql =
        format!("SELECT {ACTOR_COLUMNS} FROM remote_actors WHERE id = (SELECT actor_id FROM peers WHERE domain = $1)");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(domain).fetch_optional(&mut *conn).await?;
    row.as_ref().map(actor_from_row).transpose()
}

/// Stores an actor as fetched; its icon becomes an image of ours, fetched when first shown.
pub async fn save_remote_actor(conn: &mut AnyConnection, actor: &RemoteActor) -> Result<(), sqlx::Error> {
    if let Some(icon) = &actor.icon {
        let announced = (AVATAR_WIDTHS[AVATAR_WIDTHS.len() - 1], AVATAR_WIDTHS[AVATAR_WIDTHS.len() - 1]);
        super::images::remember_remote(conn, icon.as_str(), ImageKind::Avatar, announced, actor.fetched_at).await?;
    }
    sqlx::query(
        "INSERT INTO remote_actors (id, kind, domain, username, display_name, inbox, shared_inbox, outbox, \
         public_key_pem, page, icon_url, fetched_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) \
         ON CONFLICT (id) DO UPDATE SET kind = excluded.kind, domain = excluded.domain, \
         username = excluded.username, display_name = excluded.display_name, inbox = excluded.inbox, \
         shared_inbox = excluded.shared_inbox, outbox = excluded.outbox, public_key_pem = excluded.public_key_pem, \
         page = excluded.page, icon_url = excluded.icon_url, fetched_at = excluded.fetched_at",
    )
    .bind(actor.id.as_str())
    .bind(actor.kind.as_str())
    .bind(&actor.domain)
    .bind(&actor.username)
    .bind(&actor.name)
    .bind(actor.inbox.as_str())
    .bind(actor.shared_inbox.as_ref().map(Url::to_string))
    .bind(actor.outbox.as_ref().map(Url::to_string))
    .bind(&actor.public_key_pem)
    .bind(actor.page.as_ref().map(Url::to_string))
    .bind(actor.icon.as_ref().map(Url::to_string))
    .bind(actor.fetched_at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}
