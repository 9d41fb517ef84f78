//! Row expiry (`WITH (expire_at = col)`): the wall clock, the transaction's reading time,
//! and the test `unexpired(col)` the binder adds to every access of such a table.
//!
//! A row's expiry time is the value of its `expire_at` column: an INTEGER or REAL is unix
//! time in seconds (`unixepoch()` gives it; fractions count); a TEXT is a time string as
//! SQLite's date functions read it ('2026-11-23 12:00:00', UTC); NULL, a BLOB or a text no
//! date function reads never expires. A row is expired when its expiry time is at or before
//! the reading transaction's time: the wall clock read once per transaction, when it first
//! tests an expiry (`TransactionTime`), so the answer is stable within a transaction.

use std::cell::Cell;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use ember_storage::Value;

use super::datetime::{self, DateFunction};
use super::EvalContext;
use crate::error::Result;

/// Julian day of the unix epoch, in milliseconds.
const UNIX_EPOCH_JD_MS: f64 = 210_866_760_000_000.0;

/// Where "now" comes from: the system clock, or (for tests) a manual clock the test sets.
#[derive(Clone, Default)]
pub struct WallClock {
    manual: Option<Arc<AtomicI64>>,
}

impl WallClock {
    /// A clock that reads `start_ms` (unix milliseconds) until `set_ms` moves it.
    pub fn manual(start_ms: i64) -> WallClock {
        WallClock {
            manual: Some(Arc::new(AtomicI64::new(start_ms))),
        }
    }

    /// Moves a manual clock to `unix_ms` (no effect on the system clock).
    pub fn set_ms(&self, unix_ms: i64) {
        if let Some(manual) = &self.manual {
            manual.store(unix_ms, Ordering::SeqCst);
        }
    }

    /// Now, in unix milliseconds.
    pub fn now_ms(&self) -> i64 {
        match &self.manual {
            Some(manual) => manual.load(Ordering::SeqCst),
            None => SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |elapsed| elapsed.as_millis() as i64),
        }
    }
}

impl std::fmt::Debug for WallClock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.manual {
            Some(manual) => write!(f, "WallClock::manual({})", manual.load(Ordering::Relaxed)),
            None => f.write_str("WallClock::system"),
        }
    }
}

impl PartialEq for WallClock {
    fn eq(&self, other: &WallClock) -> bool {
        match (&self.manual, &other.manual) {
            (None, None) => true,
            (Some(a), Some(b)) => Arc::ptr_eq(a, b),
            _ => false,
        }
    }
}

impl Eq for WallClock {}

/// The time one transaction reads expiries at: the clock, read at the first test and kept
/// until the transaction ends (`reset`).
#[derive(Debug, Default)]
pub struct TransactionTime {
    clock: WallClock,
    read_ms: Cell<Option<i64>>,
    /// Set by the collector's sweep: the test inverts (only expired rows pass).
    sweeping: Cell<bool>,
}

impl TransactionTime {
    pub fn new(clock: WallClock) -> TransactionTime {
        TransactionTime {
            clock,
            read_ms: Cell::new(None),
            sweeping: Cell::new(false),
        }
    }

    /// A new transaction starts: the next test reads the clock again.
    #[inline]
    pub fn reset(&self) {
        self.read_ms.set(None);
    }

    /// Reads the clock now for the transaction (BEGIN does, so the time is its start).
    pub fn start(&self) {
        self.read_ms.set(Some(self.clock.now_ms()));
    }

    /// The transaction's time, in unix milliseconds.
    pub fn now_ms(&self) -> i64 {
        match self.read_ms.get() {
            Some(ms) => ms,
            None => {
                let ms = self.clock.now_ms();
                self.read_ms.set(Some(ms));
                ms
            }
        }
    }

    /// Runs `work` with the test inverted: only expired rows are visible (the sweep).
    pub fn sweeping<T>(&self, work: impl FnOnce() -> T) -> T {
        self.sweeping.set(true);
        let result = work();
        self.sweeping.set(false);
        result
    }
}

/// A value's expiry time in unix milliseconds; `None`: it never expires.
pub fn expiry_ms(value: &Value) -> Option<f64> {
    match value {
        Value::Integer(seconds) => Some(*seconds as f64 * 1000.0),
        Value::Real(seconds) => Some(seconds * 1000.0),
        Value::Text(_) => {
            match datetime::call(DateFunction::JulianDay, std::slice::from_ref(value)) {
                Value::Real(days) => Some(days * 86_400_000.0 - UNIX_EPOCH_JD_MS),
                _ => None,
            }
        }
        _ => None,
    }
}

/// Unix milliseconds as UTC text, `YYYY-MM-DD HH:MM:SS.SSS` (SQLite's `%Y-%m-%d %H:%M:%f`).
pub fn format_unix_ms(unix_ms: i64) -> String {
    let args = [
        Value::Text("%Y-%m-%d %H:%M:%f".into()),
        Value::Real(unix_ms as f64 / 1000.0),
        Value::Text("unixepoch".into()),
    ];
    match datetime::call(DateFunction::Strftime, &args[..]) {
        Value::Text(text) => text.to_string(),
        _ => format!("{unix_ms} ms after the unix epoch"),
    }
}

/// The expiry time of a row, unix milliseconds (`None`: it never expires): the earliest of
/// its `expire_at` value (`expire`; NULL without the option) and, for a table with `ttl`,
/// its write time plus the ttl (`written`: the hidden column's value, unix milliseconds).
pub fn row_expiry_ms(expire: &Value, written: Option<(&Value, i64)>) -> Option<f64> {
    let by_ttl = match written {
        Some((Value::Integer(at), ttl)) => Some(at.saturating_add(ttl) as f64),
        _ => None,
    };
    match (expiry_ms(expire), by_ttl) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// `unexpired(..)`: TRUE while a row expiring at `expiry` (unix ms) is visible to the
/// statement's transaction (under the sweep: TRUE only once it expired).
pub(crate) fn unexpired(expiry: Option<f64>, context: &EvalContext<'_>) -> Result<Value> {
    let time = statement_time(context)?;
    let live = match expiry {
        None => true,
        Some(expiry) => expiry > time.now_ms() as f64,
    };
    Ok(Value::Integer(i64::from(live != time.sweeping.get())))
}

/// `write_time()`: the statement's transaction time, unix milliseconds (what an UPDATE
/// stores as a row's write time in a table with `ttl`).
pub(crate) fn write_time(context: &EvalContext<'_>) -> Result<Value> {
    Ok(Value::Integer(statement_time(context)?.now_ms()))
}

fn statement_time<'c>(context: &EvalContext<'c>) -> Result<&'c TransactionTime> {
    context
        .subqueries
        .and_then(|runtime| runtime.env.time)
        .ok_or_else(|| crate::err!(Internal, "a row expiry test ran outside a statement"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expiry_times_read_numbers_as_unix_seconds_and_texts_as_dates() {
        assert_eq!(expiry_ms(&Value::Integer(10)), Some(10_000.0));
        assert_eq!(expiry_ms(&Value::Real(1.5)), Some(1_500.0));
        let text = expiry_ms(&Value::Text("1970-01-02 00:00:00".into())).unwrap();
        assert!((text - 86_400_000.0).abs() < 1.0);
        assert_eq!(expiry_ms(&Value::Null), None);
        assert_eq!(expiry_ms(&Value::Text("soon".into())), None);
    }

    #[test]
    fn a_transaction_reads_the_clock_once() {
        let clock = WallClock::manual(1_000);
        let time = TransactionTime::new(clock.clone());
        assert_eq!(time.now_ms(), 1_000);
        clock.set_ms(5_000);
        assert_eq!(time.now_ms(), 1_000);
        time.reset();
        assert_eq!(time.now_ms(), 5_000);
    }
}
