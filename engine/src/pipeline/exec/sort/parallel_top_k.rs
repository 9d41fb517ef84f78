//! Parallel top-k (`ORDER BY .. LIMIT`) over a full table scan: every worker keeps the
//! first `limit + offset` rows of its contiguous slot range in the serial operator's
//! bounded kept rows (`exec::sort::top_k::TopRows`), each row's input position being its row id;
//! the statement's thread then sorts the workers' entries by (sort key, row id) and keeps
//! the first `limit + offset`.
//!
//! The serial operator orders rows by (sort key, input position), and a full scan's input
//! positions rise with the row ids, so both order the rows by the same strict total order
//! (keys that compare with the built-in comparisons, no application collation) and the
//! first `n` rows of it are one set, in one order: the parallel answer is the serial
//! answer, ties included. A row in the first `n` overall is in the first `n` of its own
//! part, so no worker drops a row the merge needs.
//!
//! Only keys a worker can evaluate alone split (`context_free`: no subquery, no enclosing
//! row, no function that reads the session or the clock) and no key with a collation the
//! application registered (its callback runs on the statement's thread). A worker's error
//! (a key that fails to evaluate, the row limit) makes the caller scan serially, which
//! reports the error the serial order meets first.

use std::sync::atomic::AtomicBool;

use ember_storage::row::RowDecoder;
use ember_storage::{RowId, Value};

use crate::error::Result;
use crate::plan::{SortKey, TableAccess};

use super::super::parallel::{
    collect_parts, context_free, keep_going, split_slots, thread_count, Outcome, RangeScan,
    WorkerFilter,
};
use super::super::{ExecContext, MemoryCharge, Row};
use super::top_k::{keys_mask, raw_bound, HeldBytes, Kept, TopRows};
use super::top_k_bound::{offer_batch, BatchSlots, RawBound};
use super::top_k_key::compare_key_lists;

/// Whether a top-k sort by `keys` over a full scan may split across threads, judged from
/// the plan alone (EXPLAIN asks too): every key evaluates without the statement's runtime
/// and compares without an application collation. Whether it does split also depends on
/// the connection's threads, the table's size and the filter compiling.
pub fn splits(keys: &[SortKey]) -> bool {
    keys.iter()
        .all(|key| key.collation.is_none() && context_free(&key.expr))
}

/// The first `bound` rows (`bound` > 0) of the full scan `access` in the order of `keys`
/// (ties in scan order) but the first `skipped` (an OFFSET), computed on several threads,
/// the rows returned charged to `memory`;
/// `None` when the statement runs serially instead (one thread configured, a small table,
/// keys or a filter that need the statement's runtime, a worker's error).
pub fn select(
    access: &TableAccess,
    keys: &[SortKey],
    (bound, skipped): (usize, usize),
    context: &ExecContext<'_>,
    memory: &mut MemoryCharge,
) -> Result<Option<Vec<Row>>> {
    debug_assert!(bound > 0);
    let threads = thread_count(access, context);
    if threads < 2 || !splits(keys) {
        return Ok(None);
    }
    let Some(filter) = WorkerFilter::of(access, context) else {
        return Ok(None);
    };
    let table = &access.table.storage;
    // As the serial operator: when the keys and filter read fewer columns than the access
    // decodes, workers decode only those and keep row ids; the kept rows are read whole.
    let keys_decoder = keys_mask(access, keys).map(|mask| table.schema().decoder(Some(&mask)));
    // Each worker's threshold bounds the rest of its range raw, as the serial scan's does.
    let raw_bound = raw_bound(
        access,
        keys,
        keys_decoder.as_ref().unwrap_or(access.read.decoder()),
    );
    let job = Job {
        access,
        keys,
        bound,
        raw_bound: raw_bound.as_ref(),
        filter: &filter,
        decoder: keys_decoder.as_ref(),
        params: context.eval.params,
        rows_max: context.rows_max,
        interrupt: context.interrupt_flag(),
        stop: AtomicBool::new(false),
    };
    let txn = context.txn;
    let ranges = super::super::scan::key_range::access_row_ranges(access, context)?;
    if keys_decoder.is_none() {
        let parts = split_slots(threads, ranges.clone(), |range| {
            job.run(range, txn, |_, values| values.to_vec())
        });
        let Some(kept) = merge(keys, bound, collect_parts(parts, context)?, context)? else {
            return Ok(None);
        };
        let mut rows = Vec::with_capacity(kept.len().saturating_sub(skipped));
        for row in kept.into_iter().skip(skipped) {
            memory.add_row(&row)?;
            rows.push(row);
        }
        super::super::parallel::count_split();
        return Ok(Some(rows));
    }
    let parts = split_slots(threads, ranges, |range| {
        job.run(range, txn, |row_id, _| row_id)
    });
    let Some(kept) = merge(keys, bound, collect_parts(parts, context)?, context)? else {
        return Ok(None);
    };
    let mut rows = Vec::with_capacity(kept.len().saturating_sub(skipped));
    for row_id in kept.into_iter().skip(skipped) {
        let mut row = Vec::with_capacity(access.table.columns.len());
        let found = txn.read_row_columns(table, row_id, access.read.columns(), &mut row)?;
        debug_assert!(found, "a row the scan saw is visible to the same snapshot");
        if found {
            memory.add_row(&row)?;
            rows.push(row);
        }
    }
    super::super::parallel::count_split();
    Ok(Some(rows))
}

/// The first `bound` items of the workers' parts (`None`: no parts, run serially) in the
/// order (sort key, row id); the statement's row limit applies to them as the serial top-k's
/// applies it.
fn merge<T>(
    keys: &[SortKey],
    bound: usize,
    parts: Option<Vec<Vec<Kept<T>>>>,
    context: &ExecContext<'_>,
) -> Result<Option<Vec<T>>> {
    let Some(parts) = parts else {
        return Ok(None);
    };
    let mut all: Vec<Kept<T>> = parts.into_iter().flatten().collect();
    all.sort_unstable_by(|a, b| compare_key_lists(keys, &a.key, &b.key).then(a.seq.cmp(&b.seq)));
    all.truncate(bound);
    if let Some(last) = all.len().checked_sub(1) {
        // The serial top-k checks before holding each row: holding `len` rows needed
        // `len - 1` held to pass.
        context.check_rows(last)?;
    }
    Ok(Some(all.into_iter().map(|kept| kept.item).collect()))
}

/// What every worker shares.
struct Job<'j> {
    access: &'j TableAccess,
    keys: &'j [SortKey],
    bound: usize,
    /// The bound a threshold puts on the rows still to come (`top_k_bound`).
    raw_bound: Option<&'j RawBound>,
    filter: &'j WorkerFilter,
    /// The keys' decoder, when it reads fewer columns than the access's.
    decoder: Option<&'j RowDecoder>,
    params: &'j [Value],
    rows_max: usize,
    interrupt: Option<&'j AtomicBool>,
    /// Never set (a top-k part is never abandoned); `RangeScan` polls it.
    stop: AtomicBool,
}

impl Job<'_> {
    /// The first `bound` rows of the slots `range`, each kept as `item(row id, row)`.
    fn run<T: HeldBytes>(
        &self,
        range: std::ops::Range<RowId>,
        txn: &ember_storage::Transaction,
        item: impl Fn(RowId, &[Value]) -> T,
    ) -> Result<Outcome<Vec<Kept<T>>>> {
        let context = super::super::parallel::worker_context(txn, self.params, self.rows_max);
        let mut memory = MemoryCharge::new(None, "a top-k sort");
        let mut top = TopRows::new(self.keys, self.bound);
        if let Some(bound) = self.raw_bound {
            let decoder = self.decoder.unwrap_or(self.access.read.decoder());
            let mut batches = BatchSlots::default();
            let mut buffer = Vec::new();
            let mut next = range.start;
            while next < range.end {
                keep_going(self.interrupt, &self.stop)?;
                let batch = next..range.end.min(next + batches.next());
                next = offer_batch(
                    self.access,
                    batch,
                    decoder,
                    bound,
                    &mut top,
                    &mut buffer,
                    &context,
                    &mut memory,
                    &item,
                )?;
            }
            return Ok(Outcome::Done(top.into_kept()));
        }
        let scan = RangeScan {
            access: self.access,
            filter: self.filter,
            decoder: self.decoder,
            interrupt: self.interrupt,
            stop: &self.stop,
        };
        let finished = scan.run(
            range,
            txn,
            &mut top,
            |top, row_id, values| {
                if top.admit(values, &context)? {
                    top.push(row_id, item(row_id, values), &context, &mut memory)?;
                }
                Ok(())
            },
            |_, _| true,
        )?;
        debug_assert!(finished, "a top-k part is never abandoned");
        if !finished {
            return Ok(Outcome::Abandoned);
        }
        Ok(Outcome::Done(top.into_kept()))
    }
}
