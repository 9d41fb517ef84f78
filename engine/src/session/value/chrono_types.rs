//! `ToValue` / `FromValue` for chrono's date and time types (cargo feature `chrono`), in the
//! text forms SQLite's date and time functions read and write (as rusqlite stores them):
//! `NaiveDate` as `YYYY-MM-DD`, `NaiveTime` as `HH:MM:SS[.fff]`, `NaiveDateTime` as
//! `YYYY-MM-DD HH:MM:SS[.fff]`, `DateTime<Utc>` / `DateTime<FixedOffset>` /
//! `DateTime<Local>` with an offset, `+HH:MM`. Reading also takes `T` between date and time,
//! `HH:MM` without seconds, a text without an offset as UTC, and an INTEGER as Unix seconds
//! for the `DateTime` types (SQLite's `unixepoch()`).

use chrono::{DateTime, FixedOffset, Local, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use ember_storage::Value;

use super::date_text::{spaced, text, unreadable};
use super::{FromValue, ToValue};
use crate::error::Result;

const DATE: &str = "%Y-%m-%d";
const TIME: &str = "%H:%M:%S%.f";
const DATE_TIME: &str = "%Y-%m-%d %H:%M:%S%.f";
const DATE_TIME_OFFSET: &str = "%Y-%m-%d %H:%M:%S%.f%:z";

/// ```
/// use chrono::NaiveDate;
/// use ember::{FromValue, ToValue, Value};
/// let day = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
/// assert_eq!(day.to_value(), Value::Text("2026-11-23".into()));
/// assert_eq!(NaiveDate::from_value(&day.to_value()).unwrap(), day);
/// ```
impl ToValue for NaiveDate {
    fn to_value(&self) -> Value {
        Value::Text(self.format(DATE).to_string())
    }
}

impl FromValue for NaiveDate {
    fn from_value(value: &Value) -> Result<Self> {
        let text = text(value, "NaiveDate")?;
        NaiveDate::parse_from_str(text, DATE)
            .map_err(|_| unreadable(text, "NaiveDate", "YYYY-MM-DD"))
    }
}

/// ```
/// use chrono::NaiveTime;
/// use ember::{FromValue, ToValue, Value};
/// let noon = NaiveTime::from_hms_milli_opt(12, 0, 30, 250).unwrap();
/// assert_eq!(noon.to_value(), Value::Text("12:00:30.250".into()));
/// assert_eq!(NaiveTime::from_value(&Value::Text("12:00".into())).unwrap(),
///            NaiveTime::from_hms_opt(12, 0, 0).unwrap());
/// ```
impl ToValue for NaiveTime {
    fn to_value(&self) -> Value {
        Value::Text(self.format(TIME).to_string())
    }
}

impl FromValue for NaiveTime {
    fn from_value(value: &Value) -> Result<Self> {
        let text = text(value, "NaiveTime")?;
        NaiveTime::parse_from_str(text, TIME)
            .or_else(|_| NaiveTime::parse_from_str(text, "%H:%M"))
            .map_err(|_| unreadable(text, "NaiveTime", "HH:MM[:SS[.fff]]"))
    }
}

/// ```
/// use chrono::NaiveDate;
/// use ember::{FromValue, ToValue, Value};
/// let at = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap().and_hms_opt(8, 30, 0).unwrap();
/// assert_eq!(at.to_value(), Value::Text("2026-11-23 08:30:00".into()));
/// let read = chrono::NaiveDateTime::from_value(&Value::Text("2026-11-23T08:30:00".into()));
/// assert_eq!(read.unwrap(), at);
/// ```
impl ToValue for NaiveDateTime {
    fn to_value(&self) -> Value {
        Value::Text(self.format(DATE_TIME).to_string())
    }
}

impl FromValue for NaiveDateTime {
    fn from_value(value: &Value) -> Result<Self> {
        let text = text(value, "NaiveDateTime")?;
        parse_naive_date_time(text)
            .ok_or_else(|| unreadable(text, "NaiveDateTime", "YYYY-MM-DD HH:MM[:SS[.fff]]"))
    }
}

fn parse_naive_date_time(text: &str) -> Option<NaiveDateTime> {
    let text = spaced(text);
    NaiveDateTime::parse_from_str(&text, DATE_TIME)
        .or_else(|_| NaiveDateTime::parse_from_str(&text, "%Y-%m-%d %H:%M"))
        .ok()
}

/// A date and time with an offset; without one, UTC.
fn parse_date_time(value: &Value, wanted: &str) -> Result<DateTime<FixedOffset>> {
    if let Value::Integer(seconds) = value {
        return DateTime::from_timestamp(*seconds, 0)
            .map(|at| at.fixed_offset())
            .ok_or_else(|| {
                crate::err!(Type, "{seconds} Unix seconds is out of range for {wanted}")
            });
    }
    let text = text(value, wanted)?;
    let spaced_text = spaced(text);
    let spaced_text = spaced_text.trim_end_matches(['Z', 'z']);
    DateTime::parse_from_str(spaced_text, DATE_TIME_OFFSET)
        .ok()
        .or_else(|| parse_naive_date_time(spaced_text).map(|at| at.and_utc().fixed_offset()))
        .ok_or_else(|| unreadable(text, wanted, "YYYY-MM-DD HH:MM[:SS[.fff]][+HH:MM]"))
}

/// ```
/// use chrono::{TimeZone, Utc};
/// use ember::{FromValue, ToValue, Value};
/// let at = Utc.with_ymd_and_hms(2026, 11, 23, 8, 30, 0).unwrap();
/// assert_eq!(at.to_value(), Value::Text("2026-11-23 08:30:00+00:00".into()));
/// assert_eq!(chrono::DateTime::<Utc>::from_value(&Value::Integer(at.timestamp())).unwrap(), at);
/// ```
impl<Tz: TimeZone> ToValue for DateTime<Tz>
where
    Tz::Offset: std::fmt::Display,
{
    fn to_value(&self) -> Value {
        Value::Text(self.format(DATE_TIME_OFFSET).to_string())
    }
}

impl FromValue for DateTime<Utc> {
    fn from_value(value: &Value) -> Result<Self> {
        parse_date_time(value, "DateTime<Utc>").map(|at| at.with_timezone(&Utc))
    }
}

impl FromValue for DateTime<FixedOffset> {
    fn from_value(value: &Value) -> Result<Self> {
        parse_date_time(value, "DateTime<FixedOffset>")
    }
}

impl FromValue for DateTime<Local> {
    fn from_value(value: &Value) -> Result<Self> {
        parse_date_time(value, "DateTime<Local>").map(|at| at.with_timezone(&Local))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_round_trip_and_bad_text_names_the_form() {
        let at = NaiveDate::from_ymd_opt(2024, 2, 29)
            .unwrap()
            .and_hms_micro_opt(23, 59, 59, 123_456)
            .unwrap();
        assert_eq!(NaiveDateTime::from_value(&at.to_value()).unwrap(), at);
        let offset = FixedOffset::east_opt(5 * 3600 + 1800).unwrap();
        let zoned = offset.from_local_datetime(&at).unwrap();
        assert_eq!(
            zoned.to_value(),
            Value::Text("2024-02-29 23:59:59.123456+05:30".into())
        );
        assert_eq!(
            DateTime::<FixedOffset>::from_value(&zoned.to_value()).unwrap(),
            zoned
        );
        let utc = DateTime::<Utc>::from_value(&Value::Text("2024-02-29T18:29:59.123456Z".into()));
        assert_eq!(utc.unwrap(), zoned.with_timezone(&Utc));
        let error = NaiveDate::from_value(&Value::Text("29/02/2024".into())).unwrap_err();
        assert!(error.to_string().contains("expected YYYY-MM-DD"), "{error}");
        assert!(NaiveDate::from_value(&Value::Integer(3)).is_err());
        assert!(DateTime::<Utc>::from_value(&Value::Integer(i64::MAX)).is_err());
    }
}
