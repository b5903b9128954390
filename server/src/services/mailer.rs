//! Sends the emails `services::notifications` queued, through the SMTP server of `[email]`: the due
//! ones every few seconds, one connection per round; an email the server does not take is tried
//! again later (a minute, then twice as long each time, at most six hours) and given up after
//! [`MAX_ATTEMPTS`], with a warning in the log. Nothing of an email's content is logged.

use std::time::Duration;

use lettre::message::header::ContentType;
use lettre::message::{Mailbox, Message};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::extension::ClientId;
use lettre::{Address, AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

use crate::config::{EmailConfig, EmailSecurity};
use crate::domain::ids::now_ms;
use crate::domain::member::EmailAddress;
use crate::error::{AppError, AppResult};
use crate::services::Services;
use crate::storage::notifications::{self, QueuedEmail};

/// Tries before an email is given up (about a day and a half of retries).
pub const MAX_ATTEMPTS: i64 = 12;
/// The most emails sent in one round.
const ROUND: i64 = 50;

/// The SMTP transport the configuration describes.
fn transport(config: &EmailConfig, domain: &str) -> AppResult<AsyncSmtpTransport<Tokio1Executor>> {
    let builder = match config.security {
        EmailSecurity::Starttls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&config.host),
        EmailSecurity::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(&config.host),
        EmailSecurity::None => Ok(AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&config.host)),
    }
    .map_err(|e| AppError::internal(anyhow::anyhow!("email.host: {e}")))?;
    let mut builder = builder
        .port(config.port)
        .timeout(Some(Duration::from_secs(15)))
        .hello_name(ClientId::Domain(domain.split(':').next().unwrap_or(domain).to_owned()));
    if !config.username.is_empty() {
        builder = builder.credentials(Credentials::new(config.username.clone(), config.password.clone()));
    }
    Ok(builder.build())
}

fn mailbox(name: &str, address: &EmailAddress) -> Option<Mailbox> {
    let address: Address = address.as_str().parse().ok()?;
    Some(Mailbox::new((!name.is_empty()).then(|| name.to_owned()), address))
}

/// The message of a queued email, or why it cannot be made (a malformed address: given up).
fn message(from: &Mailbox, email: &QueuedEmail) -> Result<Message, String> {
    let to = EmailAddress::parse("email", &email.recipient)
        .ok()
        .and_then(|a| mailbox("", &a))
        .ok_or_else(|| "the recipient's address cannot be used".to_owned())?;
    Message::builder()
        .from(from.clone())
        .to(to)
        .subject(email.subject.clone())
        .header(ContentType::TEXT_PLAIN)
        .body(email.body.clone())
        .map_err(|e| e.to_string())
}

/// Sends the emails due now; returns how many went.
pub async fn send_due(services: &Services) -> AppResult<usize> {
    let config = &services.config().email;
    if !config.is_configured() {
        return Ok(0);
    }
    let due = notifications::due_emails(&mut *services.conn().await?, now_ms(), ROUND).await?;
    if due.is_empty() {
        return Ok(0);
    }
    let (name, address) = EmailAddress::parse_mailbox(&config.from)
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("email.from is not an address")))?;
    let from = mailbox(&name, &address).ok_or_else(|| AppError::internal(anyhow::anyhow!("email.from")))?;
    let transport = transport(config, &services.config().domain)?;
    let mut sent = 0;
    for email in due {
        let message = match message(&from, &email) {
            Ok(message) => message,
            Err(why) => {
                tracing::warn!(email.id = email.id, "email given up: {why}");
                notifications::remove_email(&mut *services.conn().await?, email.id).await?;
                continue;
            }
        };
        let outcome = transport.send(message).await;
        let mut conn = services.conn().await?;
        match outcome {
            Ok(_) => {
                notifications::remove_email(&mut conn, email.id).await?;
                sent += 1;
            }
            // The server refuses this one for good (an unknown recipient): the others may go.
            Err(error) if error.is_permanent() || email.attempts + 1 >= MAX_ATTEMPTS => {
                tracing::warn!(email.id = email.id, attempts = email.attempts + 1, %error, "email given up");
                notifications::remove_email(&mut conn, email.id).await?;
            }
            // The server is away or busy: the rest of the round waits with this one.
            Err(error) => {
                let wait = (60_000_i64 << email.attempts.clamp(0, 9)).min(6 * 3_600_000);
                tracing::warn!(email.id = email.id, attempts = email.attempts + 1, %error, "email not sent; tried again later");
                notifications::email_failed(&mut conn, email.id, &error.to_string(), now_ms() + wait).await?;
                break;
            }
        }
    }
    if sent > 0 {
        tracing::info!(emails.sent = sent, "emails sent");
    }
    Ok(sent)
}
