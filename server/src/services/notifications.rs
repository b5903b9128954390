//! Telling members by email what happens to their exchanges: a proposal or a question for them, the
//! other person's move, a message, a loan due back tomorrow, a loan overdue, an exchange completed by
//! itself. Each email is queued in the transaction of what it tells (`outgoing_emails`) and sent by
//! the mailer (`services::mailer`); nothing is queued when the instance has no SMTP server
//! (`[email]`), for a member who gave no address or turned emails off, or for a member of another
//! instance (theirs tells them). Emails are in the cooperative's first language, plain text, with a
//! link to the exchange's page.

use crate::domain::exchange::{ExchangeRecord, Party};
use crate::domain::ids::now_ms;
use crate::error::AppResult;
use crate::i18n::{Lang, text};
use crate::services::Services;
use crate::storage::notifications;

/// What a member is told of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Told<'a> {
    /// The other person proposed terms, or a move (by its name: `accept`, `hand-over`…).
    Move(&'a str),
    /// A message (or a first question).
    Message,
    /// A loan to give back tomorrow.
    DueTomorrow,
    /// A loan past its due date.
    Overdue,
}

impl Told<'_> {
    fn key(self) -> String {
        match self {
            Told::Move(name) => format!("mail.move.{name}"),
            Told::Message => "mail.message".to_owned(),
            Told::DueTomorrow => "mail.due_tomorrow".to_owned(),
            Told::Overdue => "mail.overdue".to_owned(),
        }
    }
}

/// The language emails are written in: the cooperative's first.
fn lang(services: &Services) -> Lang {
    services.config().instance.languages.first().and_then(|code| Lang::parse(code)).unwrap_or(Lang::Fr)
}

/// Queues, in `conn` (the change's transaction), the email telling `to` of `what` on `record`.
pub async fn tell(
    services: &Services,
    conn: &mut sqlx::AnyConnection,
    record: &ExchangeRecord,
    to: Party,
    what: Told<'_>,
) -> AppResult<()> {
    if !services.config().email.is_configured() {
        return Ok(());
    }
    let Some(member) = record.party(to).member.as_ref() else { return Ok(()) };
    let lang = lang(services);
    let other = crate::services::parties::names(services, &[record]).await?;
    let other = other
        .get(&record.party(to.other()).actor)
        .map_or_else(|| record.party(to.other()).actor.clone(), |n| n.name.clone());
    let kind = text(lang, &format!("exchange.kind.{}", record.exchange.mode));
    let fill = |template: &str| {
        template
            .replace("{who}", &other)
            .replace("{kind}", kind)
            .replace("{title}", &record.listing_title)
            .replace("{instance}", &services.config().instance.name)
    };
    let key = what.key();
    let page = services.urls().exchange(record.id.as_str());
    email(services, conn, member, &key, &fill, ("mail.open", page.as_str())).await
}

/// Queues, in `conn`, the email of locale key `key` (its subject: `KEY_subject`) to `member`, with
/// `fill` giving its placeholders their values and a link to a page (the key of the line that
/// introduces it, and its address); nothing when the instance sends no email, or the member gave no
/// address or turned emails off.
pub async fn email(
    services: &Services,
    conn: &mut sqlx::AnyConnection,
    member: &crate::domain::ids::MemberId,
    key: &str,
    fill: &(dyn Fn(&str) -> String + Sync),
    (open, page): (&str, &str),
) -> AppResult<()> {
    if !services.config().email.is_configured() {
        return Ok(());
    }
    let Some(contact) = notifications::contact(conn, member).await? else { return Ok(()) };
    let (Some(address), true) = (contact.email, contact.notify_by_email) else { return Ok(()) };
    let lang = lang(services);
    let subject = fill(text(lang, &format!("{key}_subject")));
    let body = format!(
        "{}\n\n{}\n{page}\n\n-- \n{}\n",
        fill(text(lang, key)),
        text(lang, open),
        text(lang, "mail.footer").replace("{instance}", &services.config().instance.name),
    );
    notifications::queue_email(conn, member, &address, &subject, &body, now_ms()).await?;
    Ok(())
}

/// A member's notification settings, as their page shows them.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Their address, or empty.
    pub email: String,
    pub notify_by_email: bool,
    /// Whether this instance sends email at all (`[email]`).
    pub email_available: bool,
    /// The secret address of their calendar, when they made one.
    pub calendar_url: Option<String>,
}

pub async fn settings(services: &Services, member: &crate::domain::ids::MemberId) -> AppResult<Settings> {
    let mut conn = services.conn().await?;
    let contact = notifications::contact(&mut conn, member).await?;
    let token = notifications::calendar_token(&mut conn, member).await?;
    Ok(Settings {
        email: contact.as_ref().and_then(|c| c.email.as_ref()).map(|e| e.as_str().to_owned()).unwrap_or_default(),
        notify_by_email: contact.is_none_or(|c| c.notify_by_email),
        email_available: services.config().email.is_configured(),
        calendar_url: token.map(|t| calendar_url(services, &t)),
    })
}

/// Where a calendar secret's feed is.
pub fn calendar_url(services: &Services, token: &str) -> String {
    services.urls().base().join(&format!("calendar/{token}.ics")).map(|u| u.to_string()).unwrap_or_default()
}

/// Saves a member's address (empty: none) and whether they want emails.
pub async fn save_settings(
    services: &Services,
    member: &crate::domain::ids::MemberId,
    email: &str,
    notify_by_email: bool,
) -> AppResult<()> {
    let email = match email.trim() {
        "" => None,
        text => Some(crate::domain::member::EmailAddress::parse("email", text).map_err(crate::error::AppError::field)?),
    };
    notifications::set_contact(&mut *services.conn().await?, member, email.as_ref(), notify_by_email).await?;
    Ok(())
}

/// Gives a member a new calendar secret (the old address stops working); returns the feed's address.
pub async fn renew_calendar(services: &Services, member: &crate::domain::ids::MemberId) -> AppResult<String> {
    let token = format!("{}{}", crate::domain::ids::new_id(), crate::domain::ids::new_id());
    notifications::set_calendar_token(&mut *services.conn().await?, member, Some(&token)).await?;
    Ok(calendar_url(services, &token))
}

/// Takes a member's calendar secret off: the feed's address stops working.
pub async fn remove_calendar(services: &Services, member: &crate::domain::ids::MemberId) -> AppResult<()> {
    notifications::set_calendar_token(&mut *services.conn().await?, member, None).await?;
    Ok(())
}
