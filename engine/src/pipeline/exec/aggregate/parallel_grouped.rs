//! Parallel GROUP BY over a full table scan: every worker groups its contiguous slot range
//! with its own `Grouper` (the serial operator's, so keys and accumulators are the serial
//! ones), then the statement's thread merges the parts in slot order. A group keeps the key
//! its first row gave and that row's id, and the merged groups come in the order
//! their first rows have in the table: exactly the serial grouper's groups, which `finish`
//! then sorts by key as the serial plan does.

use std::sync::atomic::{AtomicBool, Ordering};

use ember_storage::row::ColumnBatch;

use ember_storage::{RowId, Value};

use crate::error::Result;
use crate::expr::Expr;
use crate::plan::{AggregateCall, TableAccess};

use super::super::parallel::{
    collect_parts, context_free, keep_going, split_slots, thread_count, Outcome, RangeScan,
    WorkerFilter, BATCH_SLOTS,
};
use super::super::ExecContext;
use super::aggregate_feed::GroupAccumulators;
use super::column_aggregate::{BatchScratch, ColumnPlan};
use super::parallel::{merges_grouped, sums};
use super::sum_bound::SumBound;
use super::{Group, Grouper};

/// Computes the groups of the full scan `access` into `merged` (empty, made for this
/// aggregate) on several threads. False, `merged` untouched, when the statement runs
/// serially instead: one thread configured, a small table, a shape that does not merge
/// exactly (see `parallel`), sums that might round, or a worker's error (the serial scan
/// then meets the error the serial order meets first).
pub fn aggregate<'p>(
    access: &TableAccess,
    columns: bool,
    merged: &mut Grouper<'p>,
    context: &ExecContext<'_>,
) -> Result<bool> {
    debug_assert!(merged.groups.is_empty());
    let threads = thread_count(access, context);
    if threads < 2
        || !merged.group_by.iter().all(context_free)
        || !merged.aggregates.iter().all(merges_grouped)
    {
        return Ok(false);
    }
    let Some(filter) = WorkerFilter::of(access, context) else {
        return Ok(false);
    };
    let summed: Vec<bool> = merged
        .aggregates
        .iter()
        .map(|call| sums(call.function))
        .collect();
    // Workers read column batches when the optimizer chose them and the filter's part the
    // batches do not check is compiled terms (a worker evaluates no expression tree).
    let columns = match columns {
        true => Some(ColumnPlan::new(access, merged, context)?).filter(ColumnPlan::worker_safe),
        false => None,
    };
    let job = Job {
        access,
        columns: columns.as_ref(),
        group_by: merged.group_by,
        aggregates: merged.aggregates,
        input_width: merged.input_width,
        summed: &summed,
        filter: &filter,
        params: context.eval.params,
        rows_max: context.rows_max,
        interrupt: context.interrupt_flag(),
        stop: AtomicBool::new(false),
    };
    let txn = context.txn;
    let ranges = super::super::scan::key_range::access_row_ranges(access, context)?;
    let parts = split_slots(threads, ranges, |range| job.run(range, txn));
    let Some(parts) = collect_parts(parts, context)? else {
        return Ok(false);
    };
    let mut bounds = vec![SumBound::default(); summed.len()];
    for part in &parts {
        for (bound, other) in bounds.iter_mut().zip(&part.bounds) {
            bound.absorb(other);
        }
    }
    if !bounds.iter().all(SumBound::exact) {
        return Ok(false);
    }
    for mut part in parts {
        merged.exact_keys &= part.exact_keys;
        debug_assert_eq!(part.accumulators.groups(), part.groups.len());
        for (at, group) in part.groups.iter().enumerate() {
            let before = merged.groups.len();
            let position = merged.group_of_key(group.key_values(), context)?;
            let later = part.accumulators.group_mut(at);
            let target = merged.group_accumulators(position);
            if position == before {
                // New here: the part's state is the whole group's so far, and its first
                // row (the parts come in scan order) the group's.
                for (accumulator, later) in target.iter_mut().zip(later) {
                    std::mem::swap(accumulator, later);
                }
                merged.groups[position].first_row_id = group.first_row_id;
            } else {
                for (accumulator, later) in target.iter_mut().zip(&*later) {
                    accumulator.merge(later);
                }
            }
        }
    }
    super::super::parallel::count_split();
    Ok(true)
}

/// What every worker shares.
struct Job<'j> {
    access: &'j TableAccess,
    /// Set when the aggregate reads its scan as column batches (`column_aggregate.rs`).
    columns: Option<&'j ColumnPlan<'j>>,
    group_by: &'j [Expr],
    aggregates: &'j [AggregateCall],
    input_width: usize,
    /// Per aggregate: whether it sums (its inputs are measured).
    summed: &'j [bool],
    filter: &'j WorkerFilter,
    params: &'j [Value],
    rows_max: usize,
    interrupt: Option<&'j AtomicBool>,
    /// Set by the first worker whose sums cannot be proven exact: the others stop too.
    stop: AtomicBool,
}

/// One worker's groups over its slot range, in the order their first rows came.
struct Part {
    groups: Vec<Group>,
    /// The groups' accumulators (`Grouper::accumulators`).
    accumulators: GroupAccumulators,
    /// The worker's `Grouper::exact_keys`.
    exact_keys: bool,
    /// Per aggregate, over all the part's groups: the magnitudes of a sum's inputs (a
    /// bound over every group bounds each group's).
    bounds: Vec<SumBound>,
    /// The worker's group count so far (`groups` is filled at the end).
    group_count: usize,
}

/// Slots a part scans before its group count is judged against the stricter ratio below
/// (fewer say little about a key that repeats).
const GROUPS_JUDGED_AFTER: u64 = 16_384;

/// Whether a part with `groups` groups after scanning `scanned` slots is still worth
/// merging. Merging a group costs about as much as scanning 16 slots (measured: some 2,800
/// instructions a group, against 150-400 a slot), so a part with more than one group per 16
/// slots would make the merge cost more than the split saves, and the statement runs
/// serially instead. Before `GROUPS_JUDGED_AFTER` slots only a key that nearly never
/// repeats (a group per two slots) stops the split.
fn groups_pay(groups: usize, scanned: u64) -> bool {
    let groups = u64::try_from(groups).unwrap_or(u64::MAX);
    let per_group = if scanned >= GROUPS_JUDGED_AFTER {
        16
    } else {
        2
    };
    groups.saturating_mul(per_group) <= scanned
}

impl Job<'_> {
    fn run(
        &self,
        range: std::ops::Range<RowId>,
        txn: &ember_storage::Transaction,
    ) -> Result<Outcome<Part>> {
        let context = super::super::parallel::worker_context(txn, self.params, self.rows_max);
        let mut part = Part {
            groups: Vec::new(),
            accumulators: GroupAccumulators::new(self.aggregates.len()),
            exact_keys: true,
            bounds: vec![SumBound::default(); self.aggregates.len()],
            group_count: 0,
        };
        let mut grouper = Grouper::new(self.group_by, self.aggregates, self.input_width, &context);
        if let Some(plan) = self.columns {
            if !self.run_columns(plan, range, txn, &context, &mut grouper, &mut part.bounds)? {
                return Ok(Outcome::Abandoned);
            }
            part.groups = grouper.groups;
            part.accumulators = grouper.accumulators;
            part.exact_keys = grouper.exact_keys;
            return Ok(Outcome::Done(part));
        }
        let scan = RangeScan {
            access: self.access,
            filter: self.filter,
            decoder: None,
            interrupt: self.interrupt,
            stop: &self.stop,
        };
        let finished = scan.run(
            range,
            txn,
            &mut part,
            |part, row_id, row| {
                let before = grouper.groups.len();
                let position = grouper.add_noting(row, &context, |at, value| {
                    if self.summed[at] {
                        part.bounds[at].note(value);
                    }
                })?;
                if position == before {
                    grouper.groups[position].first_row_id = row_id;
                }
                part.group_count = grouper.groups.len();
                Ok(())
            },
            |part, scanned| {
                part.bounds.iter().all(SumBound::exact) && groups_pay(part.group_count, scanned)
            },
        )?;
        if !finished {
            return Ok(Outcome::Abandoned);
        }
        part.groups = grouper.groups;
        part.accumulators = grouper.accumulators;
        part.exact_keys = grouper.exact_keys;
        Ok(Outcome::Done(part))
    }

    /// `run`'s scan through column batches (`ColumnPlan::fold_kept`), noting the sums' inputs in
    /// `bounds`; false (abandoned) as `RangeScan::run` gives up.
    fn run_columns(
        &self,
        plan: &ColumnPlan,
        range: std::ops::Range<RowId>,
        txn: &ember_storage::Transaction,
        context: &ExecContext<'_>,
        grouper: &mut Grouper<'_>,
        bounds: &mut [SumBound],
    ) -> Result<bool> {
        let table = &self.access.table.storage;
        let decoder = self.access.read.decoder();
        let mut batch = ColumnBatch::new();
        let mut scratch = BatchScratch::new(decoder.width());
        let mut next = range.start;
        while next < range.end {
            if !keep_going(self.interrupt, &self.stop)? {
                return Ok(false);
            }
            let slots = next..range.end.min(next + BATCH_SLOTS);
            next = txn.scan_column_batch(table, slots, decoder, plan.raw(), &mut batch)?;
            plan.fold_kept(&batch, grouper, &mut scratch, context, |at, value| {
                if self.summed[at] {
                    bounds[at].note(value);
                }
            })?;
            let scanned = next - range.start;
            if !bounds.iter().all(SumBound::exact) || !groups_pay(grouper.groups.len(), scanned) {
                self.stop.store(true, Ordering::Relaxed);
                return Ok(false);
            }
        }
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::{groups_pay, GROUPS_JUDGED_AFTER};

    #[test]
    fn a_part_pays_while_its_groups_repeat_enough() {
        // Early: only a key that nearly never repeats stops the split.
        assert!(groups_pay(60, 4096));
        assert!(groups_pay(2048, 4096));
        assert!(!groups_pay(2049, 4096));
        // Past the judged point: at least 16 slots a group.
        let judged = GROUPS_JUDGED_AFTER;
        assert!(groups_pay(1024, judged));
        assert!(!groups_pay(1025, judged));
        assert!(groups_pay(1000, 200_000));
        assert!(!groups_pay(20_000, 200_000));
        assert!(!groups_pay(usize::MAX, u64::MAX - 1));
    }
}
