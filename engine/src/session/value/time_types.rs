//! `ToValue` / `FromValue` for the `time` crate's types (cargo feature `time`), in the same
//! text forms as the chrono conversions: `Date` as `YYYY-MM-DD`, `Time` as
//! `HH:MM:SS[.fff]`, `PrimitiveDateTime` as `YYYY-MM-DD HH:MM:SS[.fff]`, `OffsetDateTime`
//! with `+HH:MM`. Reading also takes `T` between date and time, `Z` for UTC, a text without
//! an offset as UTC and an INTEGER as Unix seconds for `OffsetDateTime`.

use ember_storage::Value;
use time::format_description::BorrowedFormatItem;
use time::macros::format_description;
use time::{Date, OffsetDateTime, PrimitiveDateTime, Time};

use super::date_text::{spaced, text, unreadable};
use super::{FromValue, ToValue};
use crate::error::Result;

const DATE: &[BorrowedFormatItem<'_>] = format_description!("[year]-[month]-[day]");
const TIME: &[BorrowedFormatItem<'_>] =
    format_description!("[hour]:[minute][optional [:[second][optional [.[subsecond]]]]]");
const DATE_TIME: &[BorrowedFormatItem<'_>] = format_description!(
    "[year]-[month]-[day] [hour]:[minute][optional [:[second][optional [.[subsecond]]]]]"
);
const DATE_TIME_OFFSET: &[BorrowedFormatItem<'_>] = format_description!(
    "[year]-[month]-[day] [hour]:[minute][optional [:[second][optional [.[subsecond]]]]]\
     [offset_hour sign:mandatory]:[offset_minute]"
);

/// `text` with a `T` between date and time read as a space, and a final `Z` as `+00:00`.
fn normalized(text: &str) -> String {
    let mut normal = spaced(text).into_owned();
    if normal.ends_with(['Z', 'z']) {
        normal.pop();
        normal.push_str("+00:00");
    }
    normal
}

/// `YYYY-MM-DD`.
fn date_text(date: Date) -> String {
    format!(
        "{:04}-{:02}-{:02}",
        date.year(),
        date.month() as u8,
        date.day()
    )
}

/// `YYYY-MM-DD HH:MM:SS[.fff]`.
fn date_time_text(at: PrimitiveDateTime) -> String {
    format!("{} {}", date_text(at.date()), time_text(at.time()))
}

/// The time of day: whole seconds without a fraction, else the fraction's digits.
fn time_text(time: Time) -> String {
    let (hour, minute, second, nanos) = time.as_hms_nano();
    let mut text = format!("{hour:02}:{minute:02}:{second:02}");
    if nanos != 0 {
        let fraction = format!("{nanos:09}");
        text.push('.');
        text.push_str(fraction.trim_end_matches('0'));
    }
    text
}

/// ```
/// use ember::{FromValue, ToValue, Value};
/// let day = time::macros::date!(2026 - 11 - 23);
/// assert_eq!(day.to_value(), Value::Text("2026-11-23".into()));
/// assert_eq!(time::Date::from_value(&day.to_value()).unwrap(), day);
/// ```
impl ToValue for Date {
    fn to_value(&self) -> Value {
        Value::Text(format!(
            "{:04}-{:02}-{:02}",
            self.year(),
            self.month() as u8,
            self.day()
        ))
    }
}

impl FromValue for Date {
    fn from_value(value: &Value) -> Result<Self> {
        let text = text(value, "Date")?;
        Date::parse(text, DATE).map_err(|_| unreadable(text, "Date", "YYYY-MM-DD"))
    }
}

/// ```
/// use ember::{FromValue, ToValue, Value};
/// let at = time::macros::time!(12:00:30.25);
/// assert_eq!(at.to_value(), Value::Text("12:00:30.25".into()));
/// assert_eq!(time::Time::from_value(&at.to_value()).unwrap(), at);
/// ```
impl ToValue for Time {
    fn to_value(&self) -> Value {
        Value::Text(time_text(*self))
    }
}

impl FromValue for Time {
    fn from_value(value: &Value) -> Result<Self> {
        let text = text(value, "Time")?;
        Time::parse(text, TIME).map_err(|_| unreadable(text, "Time", "HH:MM[:SS[.fff]]"))
    }
}

/// ```
/// use ember::{FromValue, ToValue, Value};
/// let at = time::macros::datetime!(2026-11-23 08:30);
/// assert_eq!(at.to_value(), Value::Text("2026-11-23 08:30:00".into()));
/// let read = time::PrimitiveDateTime::from_value(&Value::Text("2026-11-23T08:30".into()));
/// assert_eq!(read.unwrap(), at);
/// ```
impl ToValue for PrimitiveDateTime {
    fn to_value(&self) -> Value {
        Value::Text(date_time_text(*self))
    }
}

impl FromValue for PrimitiveDateTime {
    fn from_value(value: &Value) -> Result<Self> {
        let text = text(value, "PrimitiveDateTime")?;
        PrimitiveDateTime::parse(&normalized(text), DATE_TIME)
            .map_err(|_| unreadable(text, "PrimitiveDateTime", "YYYY-MM-DD HH:MM[:SS[.fff]]"))
    }
}

/// ```
/// use ember::{FromValue, ToValue, Value};
/// let at = time::macros::datetime!(2026-11-23 08:30 +05:30);
/// assert_eq!(at.to_value(), Value::Text("2026-11-23 08:30:00+05:30".into()));
/// assert_eq!(time::OffsetDateTime::from_value(&at.to_value()).unwrap(), at);
/// ```
impl ToValue for OffsetDateTime {
    fn to_value(&self) -> Value {
        let mut text = date_time_text(PrimitiveDateTime::new(self.date(), self.time()));
        let (hours, minutes, _) = self.offset().as_hms();
        let sign = if self.offset().is_negative() {
            '-'
        } else {
            '+'
        };
        text.push_str(&format!("{sign}{:02}:{:02}", hours.abs(), minutes.abs()));
        Value::Text(text)
    }
}

impl FromValue for OffsetDateTime {
    fn from_value(value: &Value) -> Result<Self> {
        if let Value::Integer(seconds) = value {
            return OffsetDateTime::from_unix_timestamp(*seconds).map_err(|_| {
                crate::err!(
                    Type,
                    "{seconds} Unix seconds is out of range for OffsetDateTime"
                )
            });
        }
        let text = text(value, "OffsetDateTime")?;
        let normal = normalized(text);
        OffsetDateTime::parse(&normal, DATE_TIME_OFFSET)
            .or_else(|_| PrimitiveDateTime::parse(&normal, DATE_TIME).map(|at| at.assume_utc()))
            .map_err(|_| {
                unreadable(
                    text,
                    "OffsetDateTime",
                    "YYYY-MM-DD HH:MM[:SS[.fff]][+HH:MM]",
                )
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_round_trip_and_bad_text_names_the_form() {
        let at = time::macros::datetime!(2024-02-29 23:59:59.123456 -07:00);
        assert_eq!(
            at.to_value(),
            Value::Text("2024-02-29 23:59:59.123456-07:00".into())
        );
        assert_eq!(OffsetDateTime::from_value(&at.to_value()).unwrap(), at);
        let utc = OffsetDateTime::from_value(&Value::Text("2024-03-01T06:59:59.123456Z".into()));
        assert_eq!(utc.unwrap(), at);
        let naive = OffsetDateTime::from_value(&Value::Text("2024-03-01 06:59:59.123456".into()));
        assert_eq!(naive.unwrap(), at);
        let error = Date::from_value(&Value::Text("2024/02/29".into())).unwrap_err();
        assert!(error.to_string().contains("expected YYYY-MM-DD"), "{error}");
        assert!(OffsetDateTime::from_value(&Value::Integer(i64::MAX)).is_err());
        assert!(Time::from_value(&Value::Real(1.5)).is_err());
    }
}
