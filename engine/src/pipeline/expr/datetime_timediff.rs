//! SQLite's `timediff(A, B)` (3.43): the time from B to A as `(+|-)YYYY-MM-DD HH:MM:SS.SSS`,
//! whole years and months first (counted as a calendar steps them from B), then the days
//! and the time of day that remain; NULL when either is not a time value. A port of
//! date.c's `timediffFunc`.

use ember_storage::Value;

use super::super::function::Arguments;
use super::{read_date, DateTime};

/// The Julian day (in milliseconds) that `computeYMD_HMS` reads as 0000-01-01 00:00:00:
/// what remains after the years and months is written as a date past it.
const DAY_ZERO_JD_MS: i64 = 148_699_540_800_000;

/// `timediff` of the first two arguments, its text written into `out`: `None` with the
/// text there, or `Some(NULL)`.
pub(super) fn time_diff<A: Arguments + ?Sized>(args: &A, out: &mut String) -> Option<Value> {
    let one = |at: usize| {
        let value = args.at(at)?;
        read_date(std::slice::from_ref(value), 0)
    };
    let (Some(mut d1), Some(mut d2)) = (one(0), one(1)) else {
        return Some(Value::Null);
    };
    d1.compute_ymd_hms();
    d2.compute_ymd_hms();
    let recompute = |d: &mut DateTime| {
        d.valid_jd = false;
        d.compute_jd();
    };
    let later = d1.jd_ms >= d2.jd_ms;
    let mut years = if later {
        d1.year - d2.year
    } else {
        d2.year - d1.year
    };
    if years != 0 {
        d2.year = d1.year;
        recompute(&mut d2);
    }
    let mut months = if later {
        d1.month - d2.month
    } else {
        d2.month - d1.month
    };
    if months < 0 {
        years -= 1;
        months += 12;
    }
    if months != 0 {
        d2.month = d1.month;
        recompute(&mut d2);
    }
    // Steps B back (or on) a month at a time while it has passed A.
    while (later && d1.jd_ms < d2.jd_ms) || (!later && d1.jd_ms > d2.jd_ms) {
        if d2.error {
            return Some(Value::Null);
        }
        months -= 1;
        if months < 0 {
            months = 11;
            years -= 1;
        }
        if later {
            d2.month -= 1;
            if d2.month < 1 {
                d2.month = 12;
                d2.year -= 1;
            }
        } else {
            d2.month += 1;
            if d2.month > 12 {
                d2.month = 1;
                d2.year += 1;
            }
        }
        recompute(&mut d2);
    }
    if d2.error {
        return Some(Value::Null);
    }
    let rest = if later {
        d1.jd_ms - d2.jd_ms
    } else {
        d2.jd_ms - d1.jd_ms
    };
    let mut rest = DateTime {
        jd_ms: rest + DAY_ZERO_JD_MS,
        valid_jd: true,
        ..DateTime::default()
    };
    rest.compute_ymd_hms();
    if rest.error {
        return Some(Value::Null);
    }
    let sign = if later { '+' } else { '-' };
    out.push_str(&format!(
        "{sign}{years:04}-{months:02}-{:02} {:02}:{:02}:{:06.3}",
        rest.day - 1,
        rest.hour,
        rest.minute,
        rest.seconds
    ));
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn diff(a: &str, b: &str) -> Option<String> {
        let args = [Value::Text(a.into()), Value::Text(b.into())];
        let mut out = String::new();
        match time_diff(&args[..], &mut out) {
            None => Some(out),
            Some(_) => None,
        }
    }

    #[test]
    fn differences_read_as_sqlite_writes_them() {
        let cases = [
            ("2024-07-07", "2024-07-01", "+0000-00-06 00:00:00.000"),
            (
                "2024-01-01 00:00:00",
                "2024-03-15 12:30:45.5",
                "-0000-02-14 12:30:45.500",
            ),
            ("2023-03-01", "2024-02-29", "-0000-11-28 00:00:00.000"),
            ("2024-02-29", "2023-03-01", "+0000-11-28 00:00:00.000"),
            ("2024-03-31", "2024-02-29", "+0000-01-02 00:00:00.000"),
            (
                "2000-01-01",
                "2024-06-15 10:11:12",
                "-0024-05-14 10:11:12.000",
            ),
        ];
        for (a, b, expected) in cases {
            assert_eq!(diff(a, b).as_deref(), Some(expected), "{a} {b}");
        }
        assert_eq!(diff("x", "2024-01-01"), None);
    }
}
