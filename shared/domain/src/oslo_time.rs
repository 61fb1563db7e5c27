//! Norwegian civil time without a time-zone database: CET (UTC+1) in winter and
//! CEST (UTC+2) from 01:00 UTC on the last Sunday of March to 01:00 UTC on the
//! last Sunday of October, as the EU rules have it.

use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset, Weekday};

fn last_sunday(year: i32, month: Month) -> Date {
    let mut day = Date::from_calendar_date(year, month, month.length(year)).expect("valid date");
    while day.weekday() != Weekday::Sunday {
        day = day.previous_day().expect("within range");
    }
    day
}

/// The UTC offset in Norway at the instant `at`.
pub fn offset_at(at: OffsetDateTime) -> UtcOffset {
    let utc = at.to_offset(UtcOffset::UTC);
    let one_am = |d: Date| PrimitiveDateTime::new(d, Time::from_hms(1, 0, 0).expect("valid time")).assume_utc();
    let summer_starts = one_am(last_sunday(utc.year(), Month::March));
    let summer_ends = one_am(last_sunday(utc.year(), Month::October));
    let hours = if utc >= summer_starts && utc < summer_ends { 2 } else { 1 };
    UtcOffset::from_hms(hours, 0, 0).expect("valid offset")
}

/// The date in Norway at the instant `at`.
pub fn date_at(at: OffsetDateTime) -> Date {
    at.to_offset(offset_at(at)).date()
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{date, datetime};

    #[test]
    fn dates_follow_norwegian_midnight() {
        let cases = [
            (datetime!(2026-12-31 22:59 UTC), date!(2026 - 12 - 31)),
            (datetime!(2026-12-31 23:00 UTC), date!(2027 - 01 - 01)),
            (datetime!(2026-07-01 21:59 UTC), date!(2026 - 07 - 01)),
            (datetime!(2026-07-01 22:00 UTC), date!(2026 - 07 - 02)),
        ];
        for (at, expected) in cases {
            assert_eq!(date_at(at), expected, "{at}");
        }
    }

    #[test]
    fn summer_time_switches_at_one_utc_on_the_last_sundays() {
        assert_eq!(offset_at(datetime!(2026-03-29 00:59 UTC)).whole_hours(), 1);
        assert_eq!(offset_at(datetime!(2026-03-29 01:00 UTC)).whole_hours(), 2);
        assert_eq!(offset_at(datetime!(2026-10-25 00:59 UTC)).whole_hours(), 2);
        assert_eq!(offset_at(datetime!(2026-10-25 01:00 UTC)).whole_hours(), 1);
    }
}
