//! The instance's time zone: times are stored in UTC and shown in the zone the cooperative lives in
//! (`instance.timezone`, Europe/Paris by default), so that "last delivery at 14:05" is the hour on
//! the admin's wall clock and a listing published at 00:30 is dated that day.

use std::sync::{Mutex, OnceLock};

use jiff::Timestamp;
use jiff::tz::TimeZone;

/// The zone used when the configuration names none.
pub const DEFAULT_ZONE: &str = "Europe/Paris";

/// A time zone from the bundled IANA database. `Copy`, so that it travels inside [`super::Tr`]:
/// each distinct zone is loaded once and kept for the life of the process.
#[derive(Clone, Copy, Debug)]
pub struct Zone(&'static TimeZone);

impl Zone {
    /// The zone named `name` (an IANA name such as `Europe/Paris` or `America/Cayenne`).
    pub fn named(name: &str) -> Result<Self, String> {
        static LOADED: OnceLock<Mutex<Vec<(String, &'static TimeZone)>>> = OnceLock::new();
        let mut loaded = LOADED.get_or_init(Default::default).lock().unwrap_or_else(|e| e.into_inner());
        if let Some((_, zone)) = loaded.iter().find(|(n, _)| n == name) {
            return Ok(Self(zone));
        }
        let zone = TimeZone::get(name).map_err(|_| format!("unknown time zone {name:?}"))?;
        let zone: &'static TimeZone = Box::leak(Box::new(zone));
        loaded.push((name.to_owned(), zone));
        Ok(Self(zone))
    }

    /// The civil date and time at `ms` (Unix milliseconds) in this zone.
    pub fn civil(self, ms: i64) -> Option<jiff::civil::DateTime> {
        Timestamp::from_millisecond(ms).ok().map(|t| self.0.to_datetime(t))
    }

    /// `HH:MM` at `ms` in this zone.
    pub fn time_of_day(self, ms: i64) -> String {
        self.civil(ms).map(|c| format!("{:02}:{:02}", c.hour(), c.minute())).unwrap_or_default()
    }

    /// The date at `ms` in this zone.
    pub fn date(self, ms: i64) -> Option<time::Date> {
        let c = self.civil(ms)?;
        let month = time::Month::try_from(u8::try_from(c.month()).ok()?).ok()?;
        time::Date::from_calendar_date(i32::from(c.year()), month, u8::try_from(c.day()).ok()?).ok()
    }
}

impl Default for Zone {
    fn default() -> Self {
        #[expect(clippy::expect_used, reason = "the bundled database has Europe/Paris")]
        Self::named(DEFAULT_ZONE).expect("the bundled time zone database has Europe/Paris")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2026-07-14 22:30 UTC and 2026-01-15 12:05 UTC.
    const SUMMER_NIGHT: i64 = 1_784_068_200_000;
    const WINTER_NOON: i64 = 1_768_478_700_000;

    #[test]
    fn times_are_shown_on_the_local_clock_summer_and_winter() {
        let paris = Zone::named("Europe/Paris").unwrap();
        assert_eq!(paris.time_of_day(SUMMER_NIGHT), "00:30", "UTC+2 in summer");
        assert_eq!(paris.date(SUMMER_NIGHT), time::Date::from_calendar_date(2026, time::Month::July, 15).ok());
        assert_eq!(paris.time_of_day(WINTER_NOON), "13:05", "UTC+1 in winter");
        let cayenne = Zone::named("America/Cayenne").unwrap();
        assert_eq!(cayenne.time_of_day(WINTER_NOON), "09:05");
        assert_eq!(Zone::named("UTC").unwrap().time_of_day(WINTER_NOON), "12:05");
    }

    #[test]
    fn unknown_zones_are_named_in_the_error() {
        assert!(Zone::named("Europe/Lile").unwrap_err().contains("Europe/Lile"));
        assert!(Zone::named("").is_err());
    }
}
