//! Parallel aggregation of a full table scan without GROUP BY (`PRAGMA threads`): the
//! table's slots are split into contiguous ranges, each scanned on its own thread under the
//! statement's one snapshot (the transaction is shared, read-only), and the partial states
//! are merged in slot order, giving exactly the serial answer.
//!
//! Only shapes whose partial states merge exactly run in parallel: a filter that compiles
//! (run in stages while each row is decoded, `expr::Staged`; it needs no evaluation
//! context) or none; aggregates COUNT, MIN/MAX (BINARY), SUM/TOTAL/AVG over a plain column,
//! without DISTINCT or FILTER. A sum is order-sensitive in general (integer overflow
//! depends on the order, and SQLite's compensated float sum is not associative), so every
//! worker also measures its inputs (`SumBound`): when no addition in any order can round or
//! overflow, the serial result is the exact total and so is the merged one. Otherwise (or
//! for any other shape) the caller runs the serial scan: the parallel attempt's work is
//! thrown away, never its answer used.

use std::sync::atomic::{AtomicBool, Ordering};

use ember_storage::{RowId, Value};

use crate::error::Result;
use crate::expr::{Expr, Staged};
use crate::plan::{AggregateCall, AggregateFunction, TableAccess};

use super::accumulator::Accumulator;
use super::ExecContext;

/// Slots each thread scans at least: smaller tables are not split.
pub const SLOTS_PER_THREAD_MIN: u64 = 8192;
/// Slots a worker scans between checks for an interrupt.
const BATCH_SLOTS: u64 = 4096;

/// The merged accumulators of `aggregates` over the rows of `access` that pass its filter,
/// and the last such row's id, computed on several threads; `None` when the statement does
/// not run in parallel (one thread configured, a small table, a shape that does not merge
/// exactly, or sums that might round): the caller then scans serially.
pub fn aggregate(
    access: &TableAccess,
    aggregates: &[AggregateCall],
    context: &ExecContext<'_>,
) -> Result<Option<(Vec<Accumulator>, Option<RowId>)>> {
    let threads = thread_count(access, context);
    if threads < 2 {
        return Ok(None);
    }
    let Some(args) = aggregates
        .iter()
        .map(argument_of)
        .collect::<Option<Vec<_>>>()
    else {
        return Ok(None);
    };
    let filter = match super::scan_filter::ScanFilter::new(access, context) {
        super::scan_filter::ScanFilter::All => None,
        super::scan_filter::ScanFilter::Staged(staged) => Some(staged),
        super::scan_filter::ScanFilter::Predicate(_) => return Ok(None),
    };
    let table = &access.table.storage;
    let end = table.slot_count();
    let chunk = end.div_ceil(threads as u64);
    let job = Job {
        access,
        aggregates,
        args: &args,
        filter: filter.as_ref(),
        interrupt: context.interrupt_flag(),
    };
    let txn = context.txn;
    let partials: Vec<Result<Partial>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (1..threads as u64)
            .map(|part| {
                let range = (part * chunk).min(end)..((part + 1) * chunk).min(end);
                let job = &job;
                scope.spawn(move || job.run(range, txn))
            })
            .collect();
        let first = job.run(0..chunk.min(end), txn);
        std::iter::once(first)
            .chain(handles.into_iter().map(|handle| {
                handle.join().unwrap_or_else(|_| {
                    Err(crate::err!(Internal, "a parallel scan worker panicked"))
                })
            }))
            .collect()
    });
    let mut merged: Option<Partial> = None;
    for partial in partials {
        let partial = partial?;
        merged = Some(match merged {
            None => partial,
            Some(mut earlier) => {
                earlier.absorb(partial);
                earlier
            }
        });
    }
    let Some(merged) = merged else {
        return Ok(None);
    };
    context.check_interrupt()?;
    Ok(merged
        .exact
        .then_some((merged.accumulators, merged.last_row)))
}

/// How many threads scan `access`: one plus the connection's helper threads, at most one
/// per `SLOTS_PER_THREAD_MIN` slots; 1 when a deadline or memory budget is in force (those
/// are checked by the statement's own thread only).
fn thread_count(access: &TableAccess, context: &ExecContext<'_>) -> usize {
    let helpers = context.helper_threads();
    if helpers == 0 || context.has_bounds() {
        return 1;
    }
    let by_size = access.table.storage.slot_count() / SLOTS_PER_THREAD_MIN;
    (helpers + 1).min(usize::try_from(by_size).unwrap_or(usize::MAX))
}

/// Where one aggregate's argument comes from in a parallel scan: `None` inside for COUNT(*);
/// `None` outside when the call does not merge.
fn argument_of(call: &AggregateCall) -> Option<Option<usize>> {
    if call.filter.is_some()
        || !Accumulator::mergeable(call.function, call.distinct, call.collation)
    {
        return None;
    }
    match (call.function, call.args.as_slice()) {
        (AggregateFunction::CountStar, []) => Some(None),
        (_, [Expr::Column { index, .. }]) => Some(Some(*index)),
        _ => None,
    }
}

/// What every worker shares.
struct Job<'j> {
    access: &'j TableAccess,
    aggregates: &'j [AggregateCall],
    args: &'j [Option<usize>],
    filter: Option<&'j Staged>,
    interrupt: Option<&'j AtomicBool>,
}

/// One worker's result over its slot range.
struct Partial {
    accumulators: Vec<Accumulator>,
    /// Per aggregate (used by sums only): the magnitudes of its inputs.
    bounds: Vec<SumBound>,
    last_row: Option<RowId>,
    /// Whether every sum is known exact in any order (set by `absorb` over all parts).
    exact: bool,
}

impl Job<'_> {
    fn run(
        &self,
        range: std::ops::Range<RowId>,
        txn: &ember_storage::Transaction,
    ) -> Result<Partial> {
        let mut partial = Partial {
            accumulators: self
                .aggregates
                .iter()
                .map(|call| Accumulator::new(call.function, false))
                .collect(),
            bounds: vec![SumBound::default(); self.aggregates.len()],
            last_row: None,
            exact: true,
        };
        let table = &self.access.table.storage;
        let decoder = self.access.read.decoder();
        let mut buffer = Vec::new();
        let mut next = range.start;
        let mut failure = None;
        while next < range.end {
            if self
                .interrupt
                .is_some_and(|flag| flag.load(Ordering::Relaxed))
            {
                return Err(crate::err!(Interrupted, "interrupted"));
            }
            let batch = next..range.end.min(next + BATCH_SLOTS);
            let mut visit = |row, values: &mut Vec<Value>| {
                partial.last_row = Some(row);
                match partial.add(self.aggregates, self.args, values) {
                    Ok(()) => true,
                    Err(error) => {
                        failure = Some(error);
                        false
                    }
                }
            };
            next = match self.filter {
                None => txn.scan_batch_decoded(table, batch, decoder, &mut buffer, visit)?,
                Some(staged) => txn.scan_batch_checked(
                    table,
                    batch,
                    decoder,
                    &mut buffer,
                    staged.stops(),
                    |stage, row| staged.check(stage, row),
                    &mut visit,
                )?,
            };
            if let Some(error) = failure {
                return Err(error);
            }
        }
        partial.exact = partial.bounds.iter().all(SumBound::exact);
        Ok(partial)
    }
}

impl Partial {
    #[inline]
    fn add(
        &mut self,
        calls: &[AggregateCall],
        args: &[Option<usize>],
        row: &[Value],
    ) -> Result<()> {
        for (((call, arg), accumulator), bound) in calls
            .iter()
            .zip(args)
            .zip(&mut self.accumulators)
            .zip(&mut self.bounds)
        {
            match arg {
                None => accumulator.add_row(),
                Some(column) => {
                    let value = &row[*column];
                    if matches!(
                        call.function,
                        AggregateFunction::Sum | AggregateFunction::Total | AggregateFunction::Avg
                    ) {
                        bound.note(value);
                    }
                    accumulator.add_value(value)?;
                }
            }
        }
        Ok(())
    }

    /// Folds in the part of the scan that follows this one.
    fn absorb(&mut self, later: Partial) {
        for (bound, other) in self.bounds.iter_mut().zip(&later.bounds) {
            bound.absorb(other);
        }
        self.exact = self.bounds.iter().all(SumBound::exact);
        if self.exact {
            for (accumulator, other) in self.accumulators.iter_mut().zip(&later.accumulators) {
                accumulator.merge(other);
            }
        }
        if later.last_row.is_some() {
            self.last_row = later.last_row;
        }
    }
}

/// The magnitudes of a sum's inputs, to prove that adding them in any order is exact: every
/// input is a multiple of `2^e` (`e` the lowest set bit of any input, at most 0) and the sum
/// of their magnitudes stays below `2^(50+e)`, so every partial sum in any order is a
/// multiple of `2^e` below `2^(53+e)` in magnitude: a double holds it exactly, no addition
/// rounds, SQLite's compensation term stays zero, and integers never overflow.
#[derive(Debug, Clone, Copy)]
pub struct SumBound {
    integer_magnitude: u128,
    real_magnitude: f64,
    lowest_exponent: i32,
    saw_real: bool,
    /// An input that is neither an integer nor a finite real (text, a boolean, infinity):
    /// the proof does not cover it.
    other: bool,
}

impl Default for SumBound {
    fn default() -> SumBound {
        SumBound {
            integer_magnitude: 0,
            real_magnitude: 0.0,
            lowest_exponent: i32::MAX,
            saw_real: false,
            other: false,
        }
    }
}

impl SumBound {
    #[inline]
    fn note(&mut self, value: &Value) {
        match value {
            Value::Null => {}
            Value::Integer(integer) => self.integer_magnitude += u128::from(integer.unsigned_abs()),
            Value::Real(real) if real.is_finite() => {
                self.saw_real = true;
                if *real != 0.0 {
                    self.real_magnitude += real.abs();
                    self.lowest_exponent = self.lowest_exponent.min(lowest_set_bit(*real));
                }
            }
            _ => self.other = true,
        }
    }

    fn absorb(&mut self, other: &SumBound) {
        self.integer_magnitude += other.integer_magnitude;
        self.real_magnitude += other.real_magnitude;
        self.lowest_exponent = self.lowest_exponent.min(other.lowest_exponent);
        self.saw_real |= other.saw_real;
        self.other |= other.other;
    }

    /// Whether every order of the additions gives the exact total (see the type).
    fn exact(&self) -> bool {
        if self.other {
            return false;
        }
        if !self.saw_real {
            return self.integer_magnitude <= i64::MAX as u128;
        }
        let exponent = self.lowest_exponent.min(0);
        // The magnitude sum is itself rounded; the 2^3 margin below 2^53 covers that.
        let magnitude = self.integer_magnitude as f64 + self.real_magnitude;
        exponent > -1000 && magnitude < 2f64.powi(50 + exponent)
    }
}

/// The exponent of the lowest set bit of a finite nonzero double (`x` is an odd multiple
/// of `2^result`).
fn lowest_set_bit(real: f64) -> i32 {
    let bits = real.to_bits();
    let biased = ((bits >> 52) & 0x7ff) as i32;
    let fraction = bits & ((1 << 52) - 1);
    if biased == 0 {
        -1074 + fraction.trailing_zeros() as i32
    } else {
        biased - 1075 + (fraction | (1 << 52)).trailing_zeros() as i32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lowest_set_bit_of_doubles() {
        assert_eq!(lowest_set_bit(1.0), 0);
        assert_eq!(lowest_set_bit(3.0), 0);
        assert_eq!(lowest_set_bit(4.0), 2);
        assert_eq!(lowest_set_bit(0.5), -1);
        assert_eq!(lowest_set_bit(1.0 / 1024.0 * 3.0), -10);
        assert_eq!(lowest_set_bit(-6.0), 1);
        assert_eq!(lowest_set_bit(f64::MIN_POSITIVE / 4.0), -1024);
    }

    fn bound_of(values: &[Value]) -> SumBound {
        let mut bound = SumBound::default();
        for value in values {
            bound.note(value);
        }
        bound
    }

    #[test]
    fn sums_proven_exact_only_when_no_order_rounds() {
        assert!(bound_of(&[Value::Integer(1), Value::Integer(-5)]).exact());
        assert!(!bound_of(&[Value::Integer(i64::MAX), Value::Integer(1)]).exact());
        assert!(bound_of(&[Value::Real(0.5), Value::Real(1.25), Value::Integer(7)]).exact());
        // 0.1 has bits far below 2^-50: adding it to 1.0 rounds.
        assert!(!bound_of(&[Value::Real(0.1), Value::Real(1.0)]).exact());
        assert!(!bound_of(&[Value::Real(f64::INFINITY)]).exact());
        assert!(!bound_of(&[Value::Text("1".into())]).exact());
        assert!(bound_of(&[Value::Real(-0.0), Value::Null]).exact());
    }
}
