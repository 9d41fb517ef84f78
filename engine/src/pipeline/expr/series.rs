//! `generate_series(start[, stop[, step]])`, the table-valued function of the sqlite3 shell's
//! series extension: one row per integer from `start` to `stop` by `step`, with the columns
//! `value` and the hidden `start`, `stop`, `step` (the arguments). As the extension does, a
//! missing `start` is 0, a missing `stop` is 4294967295, a missing or zero `step` is 1, any
//! NULL argument gives no rows, and a negative step gives the same values as its absolute
//! value, in descending order (so `generate_series(10, 1, -1)` is empty); arguments are read
//! as integers the way SQLite reads them (reals truncate, text by its integer prefix).
//!
//! Rows are produced one at a time (a `LIMIT` over a huge series costs only the rows read),
//! at most `limits::GENERATE_SERIES_ROWS_MAX` of one call.

use ember_storage::Value;

use crate::error::Result;
use crate::limits::GENERATE_SERIES_ROWS_MAX;

/// The columns of `generate_series`; all but the first are hidden (the arguments).
pub const SERIES_COLUMNS: [&str; 4] = ["value", "start", "stop", "step"];

/// How many leading columns `SELECT *` shows.
pub const SERIES_VISIBLE_COLUMNS: usize = 1;

/// The `stop` of a call that gives none (the extension's default).
const DEFAULT_STOP: i64 = 0xffff_ffff;

/// One call's rows, produced as they are read.
#[derive(Debug)]
pub struct Series {
    start: i64,
    stop: i64,
    /// The step's absolute value, at least 1 (what the `step` column shows).
    step: i64,
    descending: bool,
    /// The next value (wider than i64: stepping past either end never overflows).
    next: i128,
    produced: u64,
}

impl Series {
    /// The rows of a call with these argument values (at most three: the binder checks).
    pub fn new(args: &[Value]) -> Series {
        debug_assert!(args.len() <= 3);
        let start = args.first().map_or(Some(0), super::ops::integer_value);
        let stop = args
            .get(1)
            .map_or(Some(DEFAULT_STOP), super::ops::integer_value);
        let step = args.get(2).map_or(Some(1), super::ops::integer_value);
        let (Some(start), Some(stop), Some(step)) = (start, stop, step) else {
            // A NULL argument: no rows (the extension's empty range 1 to 0).
            return Series::over(1, 0, 1, false);
        };
        let descending = step < 0;
        let step = match step {
            0 => 1,
            // `i64::MIN` has no positive twin: any step that large takes one value.
            step => step.checked_abs().unwrap_or(i64::MAX),
        };
        Series::over(start, stop, step, descending)
    }

    fn over(start: i64, stop: i64, step: i64, descending: bool) -> Series {
        debug_assert!(step > 0);
        let (low, high, by) = (i128::from(start), i128::from(stop), i128::from(step));
        // Descending starts from the last value the ascending series would reach.
        let next = if descending {
            high - (high - low) % by
        } else {
            low
        };
        Series {
            start,
            stop,
            step,
            descending,
            next,
            produced: 0,
        }
    }

    /// How many rows were handed out so far.
    pub fn produced(&self) -> u64 {
        self.produced
    }

    /// The next row (`value`, `start`, `stop`, `step`), or `None` after the last.
    pub fn next_row(&mut self) -> Result<Option<Vec<Value>>> {
        let value = self.next;
        let past_end = if self.descending {
            value < i128::from(self.start)
        } else {
            value > i128::from(self.stop)
        };
        if past_end {
            return Ok(None);
        }
        if self.produced >= GENERATE_SERIES_ROWS_MAX {
            return Err(crate::err!(
                Limit,
                "generate_series() produces more than the limit of \
                 {GENERATE_SERIES_ROWS_MAX} rows"
            ));
        }
        let Ok(value) = i64::try_from(value) else {
            return Err(crate::err!(
                Internal,
                "generate_series() value {value} out of range"
            ));
        };
        let step = i128::from(self.step);
        self.next = if self.descending {
            self.next - step
        } else {
            self.next + step
        };
        self.produced += 1;
        Ok(Some(vec![
            Value::Integer(value),
            Value::Integer(self.start),
            Value::Integer(self.stop),
            Value::Integer(self.step),
        ]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(args: &[Value]) -> Vec<i64> {
        let mut series = Series::new(args);
        let mut out = Vec::new();
        while let Some(row) = series.next_row().expect("within the limit") {
            match row[0] {
                Value::Integer(value) => out.push(value),
                ref other => panic!("not an integer: {other:?}"),
            }
        }
        out
    }

    fn int(i: i64) -> Value {
        Value::Integer(i)
    }

    #[test]
    fn steps_up_from_start_to_stop() {
        assert_eq!(values(&[int(1), int(5)]), vec![1, 2, 3, 4, 5]);
        assert_eq!(values(&[int(0), int(20), int(5)]), vec![0, 5, 10, 15, 20]);
        assert_eq!(values(&[int(0), int(22), int(5)]), vec![0, 5, 10, 15, 20]);
        assert_eq!(values(&[int(3), int(1)]), Vec::<i64>::new());
    }

    #[test]
    fn a_negative_step_walks_the_same_values_down() {
        assert_eq!(
            values(&[int(0), int(32), int(-5)]),
            vec![30, 25, 20, 15, 10, 5, 0]
        );
        assert_eq!(values(&[int(10), int(1), int(-1)]), Vec::<i64>::new());
    }

    #[test]
    fn null_arguments_give_no_rows_and_zero_steps_by_one() {
        assert!(values(&[Value::Null]).is_empty());
        assert!(values(&[int(1), int(5), Value::Null]).is_empty());
        assert_eq!(values(&[int(1), int(3), int(0)]), vec![1, 2, 3]);
    }

    #[test]
    fn the_ends_of_i64_do_not_overflow() {
        assert_eq!(
            values(&[int(i64::MAX - 2), int(i64::MAX), int(2)]),
            vec![i64::MAX - 2, i64::MAX]
        );
        assert_eq!(
            values(&[int(i64::MIN), int(i64::MIN + 3), int(i64::MIN)]),
            vec![i64::MIN]
        );
        assert_eq!(
            values(&[int(i64::MIN), int(i64::MAX), int(i64::MAX)]).len(),
            3
        );
    }

    #[test]
    fn a_series_stops_at_the_row_limit() {
        let mut series = Series::new(&[int(0)]);
        series.produced = GENERATE_SERIES_ROWS_MAX;
        let error = series.next_row().expect_err("past the limit");
        assert!(error.message().contains("limit"), "{}", error.message());
    }

    #[test]
    fn the_hidden_columns_show_the_arguments() {
        let mut series = Series::new(&[int(9), int(1), int(-4)]);
        assert!(series.next_row().expect("ok").is_none());
        let mut series = Series::new(&[int(1), int(9), int(-4)]);
        let row = series.next_row().expect("ok").expect("a row");
        assert_eq!(row, vec![int(9), int(1), int(9), int(4)]);
        assert_eq!(series.produced(), 1);
    }
}
