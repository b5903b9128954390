//! Exchanges' periodic work (started by `services::upkeep`): deliveries and services done that
//! nobody confirmed complete by themselves after `[exchanges] complete_after_days` (on the instance
//! that hosts them, which tells the other), and loans' reminders — due back tomorrow, overdue — to
//! the members of this instance, once per due date.

use super::{apply_in, today};
use crate::domain::exchange::{Move, Party};
use crate::domain::ids::now_ms;
use crate::domain::listing::format_date;
use crate::error::AppResult;
use crate::services::Services;
use crate::services::federation::exchanges::{self as wire, hosted_here};
use crate::services::notifications::{self, Told};
use crate::storage::exchanges;

/// Completes the deliveries and services done longer ago than the configured days and still not
/// confirmed; returns how many.
pub async fn complete_unconfirmed(services: &Services) -> AppResult<usize> {
    let days = i64::from(services.config().exchanges.complete_after_days);
    let before = now_ms() - days * 86_400_000;
    let records = exchanges::unconfirmed_before(&mut *services.conn().await?, before).await?;
    let mut completed = 0;
    for record in records.into_iter().filter(|r| r.is_local() || hosted_here(services, r)) {
        let mut tx = services.write().await?;
        let id = record.id.clone();
        match apply_in(services, &mut tx, record, Party::Provider, Move::CompleteByItself, None, true).await {
            Ok(after) => {
                if !after.is_local() {
                    wire::publish_move(services, &mut tx, &after, Party::Provider, &Move::CompleteByItself).await?;
                }
                // The provider is told too: nobody made this move.
                notifications::tell(services, &mut tx, &after, Party::Provider, Told::Move("complete")).await?;
                tx.commit().await?;
                completed += 1;
            }
            // Moved on meanwhile (confirmed at the same moment): nothing to do.
            Err(error) if error.status.is_client_error() => {
                tracing::debug!(exchange.id = %id, "not completed by itself: {}", error.message.key);
            }
            Err(error) => return Err(error),
        }
    }
    if completed > 0 {
        tracing::info!(exchanges.completed = completed, "exchanges completed by themselves");
    }
    Ok(completed)
}

/// Tells borrowers of loans due back tomorrow, and both parties of loans overdue, once per due
/// date; returns how many loans were reminded of.
pub async fn remind_loans(services: &Services) -> AppResult<usize> {
    let today = today(services);
    let mut reminded = 0;
    if let Some(tomorrow) = today.next_day() {
        let due = exchanges::loans_due_on(&mut *services.conn().await?, &format_date(tomorrow)).await?;
        for record in due {
            let mut tx = services.write().await?;
            notifications::tell(services, &mut tx, &record, Party::Receiver, Told::DueTomorrow).await?;
            exchanges::mark_reminded(&mut tx, &record.id, false).await?;
            tx.commit().await?;
            reminded += 1;
        }
    }
    let overdue = exchanges::loans_overdue(&mut *services.conn().await?, &format_date(today)).await?;
    for record in overdue {
        let mut tx = services.write().await?;
        for party in [Party::Receiver, Party::Provider] {
            notifications::tell(services, &mut tx, &record, party, Told::Overdue).await?;
        }
        exchanges::mark_reminded(&mut tx, &record.id, true).await?;
        tx.commit().await?;
        reminded += 1;
    }
    Ok(reminded)
}
