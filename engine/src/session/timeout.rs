//! `PRAGMA statement_timeout`: how long one statement of a connection may run before it
//! stops with an `Interrupted` error and its changes are undone (PostgreSQL's
//! `statement_timeout`; SQLite has none). Per connection, starting from
//! `Options::statement_timeout`. Values: milliseconds (`5000`), or text with a unit (`'5s'`,
//! `'250ms'`, `'2min'`); `0` or `'off'` turns it off. Reading it gives milliseconds (0: off).

use std::cell::Cell;
use std::time::Duration;

use ember_storage::Value;
use sqlparser::ast::Statement;

use crate::connection::Outcome;
use crate::error::Result;

/// The longest timeout accepted (a larger one is a mistake in units).
const TIMEOUT_MAX: Duration = Duration::from_secs(365 * 24 * 3600);

/// Parses a timeout: milliseconds, or a number with `ms`, `s`, `min` or `h`; `None` is off.
pub(crate) fn parse_timeout(text: &str) -> Result<Option<Duration>> {
    let text = text.trim().trim_matches('\'').trim().to_ascii_lowercase();
    if text == "off" || text == "none" {
        return Ok(None);
    }
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let scale_ms = match unit.trim() {
        "" | "ms" => 1.0,
        "s" | "sec" | "second" | "seconds" => 1e3,
        "min" | "minute" | "minutes" => 60e3,
        "h" | "hour" | "hours" => 3600e3,
        _ => f64::NAN,
    };
    let ms = number
        .parse::<f64>()
        .map(|n| n * scale_ms)
        .unwrap_or(f64::NAN);
    if !ms.is_finite() || ms < 0.0 || ms > TIMEOUT_MAX.as_millis() as f64 {
        return Err(crate::err!(
            InvalidInput,
            "statement_timeout takes milliseconds or a duration such as '5s' or '250ms' (at \
             most a year), not {text}"
        ));
    }
    Ok((ms >= 1.0).then(|| Duration::from_millis(ms as u64)))
}

/// Runs `PRAGMA statement_timeout[= value]` against a connection's setting; `None` when the
/// statement is another PRAGMA.
pub(crate) fn pragma(
    timeout: &Cell<Option<Duration>>,
    statement: &Statement,
) -> Option<Result<Outcome>> {
    let Statement::Pragma { name, value, .. } = statement else {
        return None;
    };
    if !name.to_string().eq_ignore_ascii_case("statement_timeout") {
        return None;
    }
    Some(match value {
        None => {
            let ms = timeout.get().map_or(0, |d| d.as_millis());
            Ok(Outcome {
                columns: vec!["statement_timeout".to_string()],
                rows: vec![vec![Value::Integer(i64::try_from(ms).unwrap_or(i64::MAX))]],
                changes: 0,
            })
        }
        Some(value) => parse_timeout(&value.to_string()).map(|parsed| {
            timeout.set(parsed);
            Outcome {
                columns: Vec::new(),
                rows: Vec::new(),
                changes: 0,
            }
        }),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeouts_parse_with_units_and_off() {
        let ms = |text: &str| parse_timeout(text).unwrap().map(|d| d.as_millis());
        assert_eq!(ms("5000"), Some(5000));
        assert_eq!(ms("'5s'"), Some(5000));
        assert_eq!(ms("1.5 s"), Some(1500));
        assert_eq!(ms("250ms"), Some(250));
        assert_eq!(ms("2min"), Some(120_000));
        assert_eq!(ms("0"), None);
        assert_eq!(ms("'off'"), None);
        for bad in ["-1", "5 parsecs", "", "1e400", "9999999999999999h"] {
            assert!(parse_timeout(bad).is_err(), "{bad}");
        }
    }
}
