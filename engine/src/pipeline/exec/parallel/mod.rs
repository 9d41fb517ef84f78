//! Parallel aggregation of a full table scan (`PRAGMA threads`): the table's slots are split
//! into contiguous ranges, each scanned on its own thread under the statement's one snapshot
//! (the transaction is shared, read-only), and the partial states are merged in slot order,
//! giving exactly the serial answer. This folder owns the split itself: the slot ranges,
//! the worker's filter and batch loop, the helper threads (`helper_pool.rs`). What runs on
//! it lives beside its serial form: `aggregate/parallel.rs` (the shapes that may split and
//! the aggregate without GROUP BY), `aggregate/parallel_grouped.rs` (GROUP BY),
//! `aggregate/sum_bound.rs` (the proof that a merged sum is the serial one),
//! `sort/parallel_top_k.rs` (the top-k sort); EXPLAIN's note is `exec/parallel_note.rs`.
//!
//! Only shapes whose partial states merge exactly run in parallel: a filter that compiles
//! (`expr::Compiled`, perhaps run in stages while each row is decoded, `expr::Staged`; it
//! needs no evaluation context) or none; aggregates COUNT, MIN/MAX (BINARY), SUM/TOTAL/AVG,
//! without DISTINCT; group keys, arguments and FILTER clauses that read nothing but the row
//! and the parameters (`context_free`). A sum is order-sensitive in general (integer
//! overflow depends on the order, and SQLite's compensated float sum is not associative), so
//! every worker also measures its inputs (`SumBound`): when no addition in any order can
//! round or overflow, or every compensated step's error term adds exactly, the serial
//! result is the exact total rounded once and so is the merged one. As
//! soon as one worker's inputs break that proof it tells the others to stop (the bound only
//! grows), and the caller runs the serial scan: the parallel attempt's work is thrown away,
//! never its answer used. A worker's error (other than an interrupt) also falls back to the
//! serial scan, which reports the error the serial order meets first.

mod cpu_move;
mod helper_pool;
#[cfg(test)]
mod split_tests;

use std::sync::atomic::{AtomicBool, Ordering};

use ember_storage::row::RowDecoder;
use ember_storage::{RowId, Value};

use crate::error::Result;
use crate::expr::{Compiled, Expr, Predicate, Staged};
use crate::plan::TableAccess;

use super::scan::scan_filter::{scan_staged_batch, RowFilter};
use super::ExecContext;

#[cfg(test)]
thread_local! {
    /// Statements on this thread whose answer came from a parallel split (tests read it).
    pub(in crate::pipeline::exec) static SPLIT_ANSWERS: std::cell::Cell<u64> =
        const { std::cell::Cell::new(0) };
}

/// Counts a statement answered by a split (tests only; nothing in other builds).
#[inline]
pub(in crate::pipeline::exec) fn count_split() {
    #[cfg(test)]
    SPLIT_ANSWERS.set(SPLIT_ANSWERS.get() + 1);
}

/// Slots each thread scans at least: smaller tables are not split.
pub const SLOTS_PER_THREAD_MIN: u64 = 8192;
/// Slots a worker scans between checks for an interrupt or a reason to stop.
pub(in crate::pipeline::exec) const BATCH_SLOTS: u64 = 4096;

/// Whether `expr` reads nothing but its row and the statement's parameters: no subquery,
/// no enclosing query's row, no function the application registered (it runs on the
/// statement's thread) and no built-in one that is not deterministic (it may read the
/// session or the clock, `Function::is_deterministic`). A worker thread evaluates such an
/// expression without the statement's runtime, to the value the statement's thread gets.
pub fn context_free(expr: &Expr) -> bool {
    let mut free = true;
    expr.walk(&mut |node| match node {
        Expr::Subquery(_) | Expr::OuterColumn { .. } | Expr::UserFunction { .. } => free = false,
        Expr::Function { function, .. } if !function.is_deterministic() => free = false,
        _ => {}
    });
    free
}

/// A worker's own context: the statement's snapshot and parameters, no runtime (everything
/// a worker evaluates is `context_free`), no memory account: a worker holds a partial
/// result (a top-k's k rows, an aggregate's groups, chosen only where keys repeat), and the
/// statement's thread charges what the merge keeps to the budget.
pub(in crate::pipeline::exec) fn worker_context<'a>(
    txn: &'a ember_storage::Transaction,
    params: &'a [Value],
    rows_max: usize,
) -> ExecContext<'a> {
    ExecContext {
        txn,
        eval: crate::expr::EvalContext {
            params,
            subqueries: None,
            outer: None,
        },
        rows_max,
        buffers: None,
        work: None,
    }
}

/// How many threads scan `access`: one plus the connection's helper threads, at most one
/// per `SLOTS_PER_THREAD_MIN` slots; 1 when a statement timeout is in force (its deadline
/// is checked by the statement's own thread only).
pub(in crate::pipeline::exec) fn thread_count(
    access: &TableAccess,
    context: &ExecContext<'_>,
) -> usize {
    let helpers = context.helper_threads();
    if helpers == 0 || context.has_deadline() {
        return 1;
    }
    // A bound that fails to evaluate fails the serial scan, which reports it.
    let Ok(ranges) = super::scan::key_range::access_row_ranges(access, context) else {
        return 1;
    };
    let slots: u64 = ranges.iter().map(|range| range.end - range.start).sum();
    let by_size = slots / SLOTS_PER_THREAD_MIN;
    (helpers + 1).min(usize::try_from(by_size).unwrap_or(usize::MAX))
}

/// The filter a worker applies: none, staged, or compiled; `None` (no split) for a filter
/// that needs the statement's runtime to evaluate.
pub(in crate::pipeline::exec) enum WorkerFilter {
    All,
    Staged(Staged),
    Compiled(Compiled),
}

impl WorkerFilter {
    pub(in crate::pipeline::exec) fn of(
        access: &TableAccess,
        context: &ExecContext<'_>,
    ) -> Option<WorkerFilter> {
        // A subquery compiles to its value only with the statement's runtime, which
        // `explain` does not have: such a filter stays serial, as EXPLAIN says.
        if access.filter.as_ref().is_some_and(Expr::has_subquery) {
            return None;
        }
        match RowFilter::new(access.filter.as_ref(), access, context) {
            RowFilter::All => Some(WorkerFilter::All),
            RowFilter::Staged(staged) => Some(WorkerFilter::Staged(staged)),
            RowFilter::Predicate(Predicate::Compiled(compiled)) => {
                Some(WorkerFilter::Compiled(compiled))
            }
            RowFilter::Predicate(Predicate::Checked { .. } | Predicate::Tree(_)) => None,
        }
    }

    /// Scans the slots `range` of `access`'s table: `visit` gets each visible row that
    /// passes and returns whether to go on. Rows are decoded by `decoder`, or the access's
    /// own decoder when `None`; another decoder must decode every column the filter reads
    /// (the filter then runs on each decoded row). Returns where the next batch starts.
    fn scan_batch(
        &self,
        access: &TableAccess,
        txn: &ember_storage::Transaction,
        range: std::ops::Range<RowId>,
        decoder: Option<&RowDecoder>,
        buffer: &mut Vec<Value>,
        mut visit: impl FnMut(RowId, &mut Vec<Value>) -> bool,
    ) -> Result<RowId> {
        if let Some(decoder) = decoder {
            let table = &access.table.storage;
            return Ok(
                txn.scan_batch_decoded(table, range, decoder, buffer, |row, values| {
                    let passes = match self {
                        WorkerFilter::All => true,
                        WorkerFilter::Staged(staged) => staged.matches(values),
                        WorkerFilter::Compiled(compiled) => compiled.passes(values),
                    };
                    !passes || visit(row, values)
                })?,
            );
        }
        match self {
            WorkerFilter::All => scan_staged_batch(access, txn, range, buffer, None, visit),
            WorkerFilter::Staged(staged) => {
                scan_staged_batch(access, txn, range, buffer, Some(staged), visit)
            }
            WorkerFilter::Compiled(compiled) => Ok(txn.scan_batch_decoded(
                &access.table.storage,
                range,
                access.read.decoder(),
                buffer,
                |row, values| compiled.truth(values) != Some(true) || visit(row, values),
            )?),
        }
    }
}

/// How a worker's part ended.
pub(in crate::pipeline::exec) enum Outcome<T> {
    Done(T),
    /// Its sums stopped being provably exact, or another worker's did: no merge.
    Abandoned,
}

/// Parts each thread's share of a row range is cut into: a helper that starts late, or
/// that another statement keeps busy, leaves its parts to the threads that are running.
const PARTS_PER_THREAD: u64 = 2;

/// Runs `work(part)` over contiguous parts of each of the row ranges `ranges`
/// (`Table::row_ranges`), on this thread and `threads - 1` helpers (`helper_pool.rs`),
/// returning the results in row id order. `work` polls `stop` between batches.
pub(in crate::pipeline::exec) fn split_slots<T: Send>(
    threads: usize,
    ranges: [std::ops::Range<RowId>; 2],
    work: impl Fn(std::ops::Range<RowId>) -> Result<Outcome<T>> + Sync,
) -> Vec<Result<Outcome<T>>> {
    debug_assert!(threads >= 2);
    let parts: Vec<std::ops::Range<RowId>> = ranges
        .into_iter()
        .flat_map(|range| cut_range(range, threads as u64 * PARTS_PER_THREAD))
        .collect();
    helper_pool::run(parts.len(), threads - 1, &|part| work(parts[part].clone()))
        .into_iter()
        .map(|result| {
            result.unwrap_or_else(|| Err(crate::err!(Internal, "a parallel scan worker panicked")))
        })
        .collect()
}

/// `range` cut into at most `pieces` contiguous non-empty parts in order, each at least
/// `BATCH_SLOTS` slots but the last.
fn cut_range(
    range: std::ops::Range<RowId>,
    pieces: u64,
) -> impl Iterator<Item = std::ops::Range<RowId>> {
    let length = range.end.saturating_sub(range.start);
    let chunk = length.div_ceil(pieces.max(1)).max(BATCH_SLOTS);
    let count = length.div_ceil(chunk);
    (0..count).map(move |piece| {
        let start = range.start + piece * chunk;
        start..(start + chunk).min(range.end)
    })
}

/// Between a worker's batches: an `Interrupted` error when the statement was asked to
/// stop; whether to go on (no other worker gave up).
pub(in crate::pipeline::exec) fn keep_going(
    interrupt: Option<&AtomicBool>,
    stop: &AtomicBool,
) -> Result<bool> {
    if interrupt.is_some_and(|flag| flag.load(Ordering::Relaxed)) {
        return Err(crate::err!(Interrupted, "interrupted"));
    }
    Ok(!stop.load(Ordering::Relaxed))
}

/// What a worker scans its slot range with: the batch loop both workers (`Job::run` here,
/// `grouped::Job::run`) share.
pub(in crate::pipeline::exec) struct RangeScan<'j> {
    pub(in crate::pipeline::exec) access: &'j TableAccess,
    pub(in crate::pipeline::exec) filter: &'j WorkerFilter,
    /// The decoder of the scanned rows (`None`: the access's own); see `WorkerFilter`.
    pub(in crate::pipeline::exec) decoder: Option<&'j RowDecoder>,
    pub(in crate::pipeline::exec) interrupt: Option<&'j AtomicBool>,
    /// Set by the first worker whose sums cannot be proven exact: the others stop too.
    pub(in crate::pipeline::exec) stop: &'j AtomicBool,
}

impl RangeScan<'_> {
    /// Scans `range` a batch at a time, handing each row that passes the filter to `add`
    /// (with the worker's `state`). False (abandoned) when another worker gave up, or after a
    /// batch past which `pays(state, slots scanned)` says the split should not go on: its
    /// sums are no longer all exact (a bound only grows, so the merge could not be exact
    /// either), or its merge would cost more than the split saves (`groups_pay`). The others
    /// are then told to stop. An interrupt or `add`'s error is the worker's error.
    pub(in crate::pipeline::exec) fn run<S>(
        &self,
        range: std::ops::Range<RowId>,
        txn: &ember_storage::Transaction,
        state: &mut S,
        mut add: impl FnMut(&mut S, RowId, &mut Vec<Value>) -> Result<()>,
        pays: impl Fn(&S, u64) -> bool,
    ) -> Result<bool> {
        let mut buffer = Vec::new();
        let mut next = range.start;
        let mut failure = None;
        while next < range.end {
            if !keep_going(self.interrupt, self.stop)? {
                return Ok(false);
            }
            let batch = next..range.end.min(next + BATCH_SLOTS);
            next = self.filter.scan_batch(
                self.access,
                txn,
                batch,
                self.decoder,
                &mut buffer,
                |row, values| match add(state, row, values) {
                    Ok(()) => true,
                    Err(error) => {
                        failure = Some(error);
                        false
                    }
                },
            )?;
            if let Some(error) = failure {
                return Err(error);
            }
            if !pays(state, next - range.start) {
                self.stop.store(true, Ordering::Relaxed);
                return Ok(false);
            }
        }
        Ok(true)
    }
}

/// The workers' parts in slot order, or `None` when any was abandoned or failed (the
/// caller then scans serially); an interrupt is the statement's error.
pub(in crate::pipeline::exec) fn collect_parts<T>(
    parts: Vec<Result<Outcome<T>>>,
    context: &ExecContext<'_>,
) -> Result<Option<Vec<T>>> {
    context.check_interrupt()?;
    let mut done = Vec::with_capacity(parts.len());
    for part in parts {
        match part {
            Ok(Outcome::Done(part)) => done.push(part),
            Ok(Outcome::Abandoned) => return Ok(None),
            // An interrupt is the statement's answer; a panicked worker is a bug to report.
            Err(error)
                if matches!(
                    error.kind(),
                    crate::error::ErrorKind::Interrupted | crate::error::ErrorKind::Internal
                ) =>
            {
                return Err(error)
            }
            Err(_) => return Ok(None),
        }
    }
    Ok(Some(done))
}
