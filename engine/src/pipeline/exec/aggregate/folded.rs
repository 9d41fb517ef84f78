//! The aggregate a scalar subquery folds without an operator tree (`SubqueryRun::Fold`,
//! chosen by `optimize/subquery_run.rs`): its plan projects one value of the aggregates
//! (no bare column) over an aggregate without GROUP BY whose calls take no argument or one
//! plain column, with no FILTER, over a read of one table by index. Each row the read
//! finds is fed to the calls' accumulators by the same `Feeder` the aggregate operator
//! feeds (`aggregate_feed.rs`), so the values are the operator's; the projection is then
//! evaluated over the aggregate's output row (NULLs for the input columns, which it does
//! not read, then each call's value).

use ember_storage::Value;

use crate::error::Result;
use crate::plan::{AggregateOfRead, Node};

use super::super::scan::for_each_indexed_row;
use super::super::{profile, ExecContext};
use super::aggregate_feed::Feeder;

/// The value the subquery plan `node` (see the module comment) gives: `None` when the
/// index it reads no longer exists (the caller runs the operator tree). Each node is
/// counted under EXPLAIN ANALYZE as its operator would be.
pub(crate) fn fold_rows(node: &Node, context: &ExecContext<'_>) -> Result<Option<Value>> {
    let Some(plan) = AggregateOfRead::of(node) else {
        return Ok(None);
    };
    let (access, aggregates, [value]) = (plan.access, plan.aggregates, plan.exprs) else {
        return Ok(None);
    };
    debug_assert!(
        plan.group_by.is_empty(),
        "a folded subquery has no GROUP BY"
    );
    debug_assert!(
        Feeder::all_plain(aggregates),
        "a folded subquery's calls are plain"
    );
    let started = profile::active().then(std::time::Instant::now);
    let feeder = Feeder::new(aggregates, context);
    let mut accumulators = Vec::with_capacity(aggregates.len());
    feeder.refill_accumulators(&mut accumulators, context.rows_max);
    let mut rows = 0u64;
    let mut feed = |_, row: &mut Vec<Value>| -> Result<bool> {
        rows += 1;
        feeder.feed_plain(&mut accumulators, row)?;
        Ok(true)
    };
    let mut buffer = Vec::new();
    let read_all = for_each_indexed_row(access, context, &mut buffer, &mut feed)?;
    if !read_all {
        return Ok(None);
    }
    let mut output = Vec::with_capacity(plan.input_width + aggregates.len());
    output.resize(plan.input_width, Value::Null);
    for accumulator in &accumulators {
        output.push(accumulator.finish()?);
    }
    let folded = value.eval(&output, &context.eval)?;
    if let Some(started) = started {
        profile::Tally::since(plan.read, started).rows(rows);
        profile::Tally::since(plan.aggregate, started).row();
        profile::Tally::since(plan.project, started).row();
    }
    Ok(Some(folded))
}
