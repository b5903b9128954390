//! A member's loans and bookings as an iCalendar feed (RFC 5545), at a secret address they make on
//! their notifications page (`/calendar/SECRET.ics`), so that a phone's calendar shows when a loan
//! starts and when it is due back, when an order is picked up, when a repair is booked. Exchanges
//! proposed are tentative, agreed ones confirmed; finished ones are left out. Days are whole days;
//! a service's slot is a local time (« floating »: 14:00 wherever the phone is, as it was agreed),
//! one hour long.

use time::Date;

use crate::domain::exchange::{ExchangeRecord, ExchangeState, Life, Party};
use crate::error::{AppError, AppResult};
use crate::i18n::{Lang, text};
use crate::services::Services;
use crate::storage::{exchanges, notifications};

/// The exchanges a feed holds at most.
const MAX_EVENTS: i64 = 500;

/// The feed of the member whose secret `token` is; 404 for a secret that is not (or no longer) one.
pub async fn feed(services: &Services, token: &str) -> AppResult<String> {
    let valid = token.len() == 64 && token.bytes().all(|b| b.is_ascii_hexdigit());
    if !valid {
        return Err(AppError::not_found());
    }
    let mut conn = services.conn().await?;
    let member = notifications::member_by_calendar_token(&mut conn, token).await?.ok_or_else(AppError::not_found)?;
    let records = exchanges::of_member(&mut conn, &member, exchanges::Which::Active, 0, MAX_EVENTS).await?;
    drop(conn);
    let all: Vec<&ExchangeRecord> = records.iter().collect();
    let names = crate::services::parties::names(services, &all).await?;
    let lang = services.config().instance.languages.first().and_then(|c| Lang::parse(c)).unwrap_or(Lang::Fr);
    let domain = services.config().domain.clone();
    let mut out = String::new();
    line(&mut out, "BEGIN:VCALENDAR");
    line(&mut out, "VERSION:2.0");
    line(&mut out, "PRODID:-//Maillage//Exchanges//FR");
    line(&mut out, "CALSCALE:GREGORIAN");
    line(&mut out, "METHOD:PUBLISH");
    line(
        &mut out,
        &format!(
            "X-WR-CALNAME:{}",
            escape(&format!("{} — {}", services.config().instance.name, text(lang, "exchange.mine")))
        ),
    );
    for record in &records {
        let Some(side) = record.side_of(&member) else { continue };
        let Some(terms) = record.exchange.terms.as_ref() else { continue };
        if !(record.exchange.state == ExchangeState::Proposed || record.exchange.state.is_agreed()) {
            continue;
        }
        let other = record.party(side.other());
        let other = names.get(&other.actor).map_or(other.actor.as_str(), |n| n.name.as_str());
        let kind = text(lang, &format!("exchange.kind.{}", record.exchange.mode));
        let summary = format!("{kind} : {} ({other})", record.listing_title);
        let page = services.urls().exchange(record.id.as_str());
        let status = if record.exchange.state == ExchangeState::Proposed { "TENTATIVE" } else { "CONFIRMED" };
        let event = |out: &mut String, uid: &str, summary: &str, start: &str, end: &str| {
            line(out, "BEGIN:VEVENT");
            line(out, &format!("UID:{uid}@{domain}"));
            line(out, &format!("DTSTAMP:{}", utc(record.updated_at)));
            line(out, start);
            line(out, end);
            line(out, &format!("SUMMARY:{}", escape(summary)));
            line(out, &format!("URL:{page}"));
            line(out, &format!("STATUS:{status}"));
            line(out, "END:VEVENT");
        };
        match (record.exchange.life(), terms.from, terms.until, terms.at) {
            (Life::Loan, Some(from), Some(until), _) => {
                event(&mut out, record.id.as_str(), &summary, &day_start(from), &day_end(until));
                let due_key = if side == Party::Receiver { "calendar.give_back" } else { "calendar.comes_back" };
                let due = text(lang, due_key).replace("{title}", &record.listing_title).replace("{who}", other);
                event(&mut out, &format!("{}-due", record.id), &due, &day_start(until), &day_end(until));
            }
            (Life::Service, Some(day), _, Some(at)) => {
                let start = format!("{}T{:02}{:02}00", compact(day), at.hour(), at.minute());
                let end_hour = (at.hour() + 1).min(23);
                let end = format!(
                    "{}T{:02}{:02}00",
                    compact(day),
                    end_hour,
                    if end_hour == at.hour() { 59 } else { at.minute() }
                );
                event(&mut out, record.id.as_str(), &summary, &format!("DTSTART:{start}"), &format!("DTEND:{end}"));
            }
            (_, Some(day), _, _) => event(&mut out, record.id.as_str(), &summary, &day_start(day), &day_end(day)),
            _ => {}
        }
    }
    line(&mut out, "END:VCALENDAR");
    Ok(out)
}

fn compact(date: Date) -> String {
    format!("{:04}{:02}{:02}", date.year(), u8::from(date.month()), date.day())
}

fn day_start(date: Date) -> String {
    format!("DTSTART;VALUE=DATE:{}", compact(date))
}

/// The end of an all-day event is the day after its last (RFC 5545: `DTEND` is not included).
fn day_end(date: Date) -> String {
    format!("DTEND;VALUE=DATE:{}", compact(date.next_day().unwrap_or(date)))
}

fn utc(ms: i64) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// A text value: backslashes, semicolons, commas and new lines escaped (RFC 5545 §3.3.11).
fn escape(value: &str) -> String {
    value.replace('\\', "\\\\").replace(';', "\\;").replace(',', "\\,").replace('\r', "").replace('\n', "\\n")
}

/// A content line, folded at 75 octets (RFC 5545 §3.1), ended by CRLF.
fn line(out: &mut String, content: &str) {
    let mut width = 0;
    for c in content.chars() {
        if width + c.len_utf8() > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += c.len_utf8();
    }
    out.push_str("\r\n");
}

#[cfg(test)]
mod tests {
    use super::{escape, line};

    #[test]
    fn lines_are_escaped_and_folded_at_75_octets() {
        assert_eq!(escape("Prêt : vélo, remorque; a\\b\nfin"), "Prêt : vélo\\, remorque\\; a\\\\b\\nfin");
        let mut out = String::new();
        line(&mut out, &format!("SUMMARY:{}", "é".repeat(60)));
        let lines: Vec<&str> = out.trim_end().split("\r\n").collect();
        assert!(lines.len() > 1);
        assert!(lines.iter().all(|l| l.len() <= 75), "{lines:?}");
        assert!(lines[1..].iter().all(|l| l.starts_with(' ')));
        assert_eq!(out.replace("\r\n ", ""), format!("SUMMARY:{}\r\n", "é".repeat(60)));
    }
}
