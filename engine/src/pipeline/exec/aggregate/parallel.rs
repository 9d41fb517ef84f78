//! The parallel aggregates without GROUP BY over a full table scan (`aggregate`: each
//! worker folds its slot range into its own accumulators, merged in slot order), and the
//! shapes an aggregate may split (`splits`, which the optimizer and EXPLAIN ask). The split
//! itself is `exec::parallel`'s; GROUP BY's parallel form is `parallel_grouped.rs`.

use std::sync::atomic::AtomicBool;

use ember_storage::{RowId, Value};

use crate::error::Result;
use crate::expr::Expr;
use crate::plan::{AccessPath, AggregateCall, AggregateFunction, Node, TableAccess};

use super::super::parallel::{
    collect_parts, context_free, count_split, split_slots, thread_count, Outcome, RangeScan,
    WorkerFilter,
};
use super::super::ExecContext;
use super::accumulator::Accumulator;
use super::sum_bound::SumBound;

/// The table access an aggregate over `input` would split across threads, judged from the
/// plan alone: a full scan, and every key, argument and FILTER clause of a shape whose
/// partial states merge exactly. Whether it does split also depends on the connection's
/// threads, the table's size, the filter compiling (with the statement's parameters) and
/// the sums' inputs.
pub fn splits<'p>(
    input: &'p Node,
    group_by: &[Expr],
    aggregates: &[AggregateCall],
) -> Option<&'p TableAccess> {
    let Node::Scan(access) = input else {
        return None;
    };
    if !matches!(access.path, AccessPath::FullScan | AccessPath::KeyRange(_)) {
        return None;
    }
    // Without GROUP BY: plain columns through `aggregate`, anything else as the one group
    // of `parallel_grouped::aggregate` (`AggregateOperator::split` chooses by `plain_arguments`).
    let calls_merge = (group_by.is_empty() && plain_arguments(aggregates))
        || (group_by.iter().all(context_free) && aggregates.iter().all(merges_grouped));
    calls_merge.then_some(access)
}

/// Whether a GROUP BY worker can compute `call` over its part and merge it exactly.
pub(super) fn merges_grouped(call: &AggregateCall) -> bool {
    Accumulator::mergeable(call.function, call.distinct, call.collation)
        && call.user.is_none()
        && call.args.len() <= 1
        && call.args.iter().all(context_free)
        && call.filter.as_ref().is_none_or(context_free)
}

/// Whether `function` sums its inputs (its merge needs a `SumBound` proof).
pub(super) fn sums(function: AggregateFunction) -> bool {
    matches!(
        function,
        AggregateFunction::Sum | AggregateFunction::Total | AggregateFunction::Avg
    )
}

/// The merged accumulators of `aggregates` (no GROUP BY) over the rows of `access` that pass
/// its filter, and the last such row's id, computed on several threads; `None` when the
/// statement does not run in parallel (one thread configured, a small table, a shape that
/// does not merge exactly, or sums that might round): the caller then scans serially.
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
    let Some(filter) = WorkerFilter::of(access, context) else {
        return Ok(None);
    };
    let job = Job {
        access,
        aggregates,
        args: &args,
        filter: &filter,
        interrupt: context.interrupt_flag(),
        stop: AtomicBool::new(false),
    };
    let txn = context.txn;
    let ranges = super::super::scan::key_range::access_row_ranges(access, context)?;
    let parts = split_slots(threads, ranges, |range| job.run(range, txn));
    let Some(parts) = collect_parts(parts, context)? else {
        return Ok(None);
    };
    let mut merged: Option<Partial> = None;
    for partial in parts {
        merged = Some(match merged {
            None => partial,
            Some(mut earlier) => {
                earlier.absorb(partial);
                earlier
            }
        });
    }
    let merged = merged.filter(|merged| merged.exact);
    if merged.is_some() {
        count_split();
    }
    Ok(merged.map(|merged| (merged.accumulators, merged.first_row)))
}

/// Whether every aggregate (no GROUP BY) reads a plain column or is COUNT(*), with no
/// FILTER, and merges: the shape `aggregate` splits.
pub fn plain_arguments(aggregates: &[AggregateCall]) -> bool {
    aggregates.iter().all(|call| argument_of(call).is_some())
}

/// Where one aggregate's argument comes from in a parallel scan without GROUP BY: `None`
/// inside for COUNT(*); `None` outside when the call does not merge.
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
    filter: &'j WorkerFilter,
    interrupt: Option<&'j AtomicBool>,
    /// Set by the first worker whose sums cannot be proven exact: the others stop too.
    stop: AtomicBool,
}

/// One worker's result over its slot range.
struct Partial {
    accumulators: Vec<Accumulator>,
    /// Per aggregate (used by sums only): the magnitudes of its inputs.
    bounds: Vec<SumBound>,
    first_row: Option<RowId>,
    /// Whether every sum is known exact in any order (set by `absorb` over all parts).
    exact: bool,
}

impl Job<'_> {
    fn run(
        &self,
        range: std::ops::Range<RowId>,
        txn: &ember_storage::Transaction,
    ) -> Result<Outcome<Partial>> {
        let mut partial = Partial {
            accumulators: self
                .aggregates
                .iter()
                .map(|call| Accumulator::new(call.function, false))
                .collect(),
            bounds: vec![SumBound::default(); self.aggregates.len()],
            first_row: None,
            exact: true,
        };
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
            &mut partial,
            |partial, row, values| {
                partial.first_row.get_or_insert(row);
                partial.add(self.aggregates, self.args, values)
            },
            |partial, _| partial.bounds.iter().all(SumBound::exact),
        )?;
        Ok(if finished {
            Outcome::Done(partial)
        } else {
            Outcome::Abandoned
        })
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
                    if sums(call.function) {
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
        if self.first_row.is_none() {
            self.first_row = later.first_row;
        }
    }
}
