//! The Window operator: materializes its input (charged to the statement's bounds), then
//! for each pass (one distinct PARTITION BY + ORDER BY) orders the rows once
//! (`window_sort.rs`: hashed into partitions, each sorted alone), finds the peer groups
//! and computes every call of the pass (`window_eval.rs`), writing call k's value at
//! `input_width + k` of each row. Passes run from the last window specification to the
//! first, so rows come out in the first one's order, as in SQLite.

pub(super) mod window_eval;
pub(super) mod window_frame;
pub(super) mod window_sort;
pub(super) mod window_top_n;

use ember_storage::Value;

use crate::error::Result;
use crate::plan::{FrameUnits, Window, WindowFunction, WindowPass};

use super::{build, ExecContext, Operator, Row};
use window_eval::{evaluate, Partition};
use window_frame::{FrameSpec, Peers};
use window_sort::sort_pass;

pub struct WindowOperator<'p> {
    plan: &'p Window,
    output: Option<std::vec::IntoIter<Row>>,
    /// The memory the materialized rows hold, released when the operator goes.
    memory: Option<super::MemoryCharge>,
}

impl<'p> WindowOperator<'p> {
    pub fn new(plan: &'p Window) -> Self {
        WindowOperator {
            plan,
            output: None,
            memory: None,
        }
    }

    fn compute(&mut self, context: &ExecContext<'_>) -> Result<Vec<Row>> {
        let width = self.plan.input_width + self.plan.call_count;
        let memory = self.memory.insert(context.memory_charge("window rows"));
        let mut rows: Vec<Row> = match self.plan.top_n {
            Some(top) => window_top_n::collect_rows(self.plan, top, memory, context)?,
            _ => {
                let mut rows = Vec::new();
                let mut input = build(&self.plan.input);
                // Each row gets the calls' values appended: room for them from the start.
                input.reserve_extra_width(self.plan.call_count);
                while let Some(mut row) = input.next(context)? {
                    context.check_rows(rows.len())?;
                    debug_assert_eq!(row.len(), self.plan.input_width);
                    row.resize(width, Value::Null);
                    memory.add_row(&row)?;
                    rows.push(row);
                    if rows.len().is_multiple_of(1024) {
                        context.check_interrupt()?;
                    }
                }
                rows
            }
        };
        // As SQLite: the last window specification is computed first, and each pass sorts
        // the previous pass's order (stably), so the rows come out in the first window's
        // order, ties in the order of the passes after it.
        let mut order: Vec<usize> = (0..rows.len()).collect();
        for pass in self.plan.passes.iter().rev() {
            context.check_interrupt()?;
            order = run_pass(
                self.plan.input_width,
                pass,
                order,
                &mut rows,
                memory,
                context,
            )?;
        }
        let mut slots: Vec<Option<Row>> = rows.into_iter().map(Some).collect();
        Ok(order
            .into_iter()
            .filter_map(|index| slots[index].take())
            .collect())
    }
}

/// Sorts `order` (indexes into `rows`) stably by the pass's partition and order keys
/// (`window_sort.rs`) and computes its calls (values at `input_width + slot`); returns the
/// sorted order.
fn run_pass(
    input_width: usize,
    pass: &WindowPass,
    order: Vec<usize>,
    rows: &mut [Row],
    memory: &mut super::MemoryCharge,
    context: &ExecContext<'_>,
) -> Result<Vec<usize>> {
    let frames = pass
        .calls
        .iter()
        .map(|call| FrameSpec::evaluate(&call.frame, context))
        .collect::<Result<Vec<_>>>()?;
    let range_keys_needed = needs_range_keys(&frames);
    let needs_peers = pass
        .calls
        .iter()
        .any(|call| reads_peer_groups(call.function));
    // Each call's values, by position in the sorted order (the rows are only read here).
    let (order, columns) = {
        let rows: &[Row] = rows;
        let sorted = sort_pass(pass, rows, order, memory, context)?;
        let mut columns: Vec<Vec<Value>> = pass
            .calls
            .iter()
            .map(|_| Vec::with_capacity(sorted.order.len()))
            .collect();
        for range in &sorted.partitions {
            let members = &sorted.order[range.clone()];
            let peers = if needs_peers {
                Peers::new(members.len(), |p| {
                    sorted.peer_of_previous(&pass.order_by, range.start + p)
                })
            } else {
                // No call reads peer groups: each row stands alone, nothing compared.
                Peers::new(members.len(), |_| false)
            };
            let range_keys = match (pass.order_by.as_slice(), range_keys_needed) {
                ([key], true) => Some((
                    range
                        .clone()
                        .map(|position| sorted.order_values(position)[0].clone().into_owned())
                        .collect(),
                    key,
                )),
                _ => None,
            };
            let partition = Partition {
                rows: members.iter().map(|&m| &rows[m]).collect(),
                peers,
                range_keys,
            };
            for ((call, frame), column) in pass.calls.iter().zip(&frames).zip(&mut columns) {
                column.extend(evaluate(call, frame, &partition, context)?);
            }
            context.check_interrupt()?;
        }
        (sorted.order, columns)
    };
    for (call, column) in pass.calls.iter().zip(columns) {
        let at = input_width + call.slot;
        debug_assert_eq!(column.len(), order.len());
        for (&row, value) in order.iter().zip(column) {
            rows[row][at] = value;
        }
    }
    Ok(order)
}

/// Whether `function`'s values depend on which rows are peers (ORDER BY ties): all but
/// row_number, ntile, lag and lead, which read positions only.
fn reads_peer_groups(function: WindowFunction) -> bool {
    !matches!(
        function,
        WindowFunction::RowNumber
            | WindowFunction::Ntile
            | WindowFunction::Lag
            | WindowFunction::Lead
    )
}

/// Whether some frame places a bound by RANGE offset (and needs the ORDER BY values).
fn needs_range_keys(frames: &[FrameSpec]) -> bool {
    frames.iter().any(|frame| {
        frame.units == FrameUnits::Range
            && [&frame.start, &frame.end].iter().any(|bound| {
                matches!(
                    bound,
                    window_frame::Bound::Preceding(_) | window_frame::Bound::Following(_)
                )
            })
    })
}

impl Operator for WindowOperator<'_> {
    fn next(&mut self, context: &ExecContext<'_>) -> Result<Option<Row>> {
        if self.output.is_none() {
            let rows = self.compute(context)?;
            self.output = Some(rows.into_iter());
        }
        Ok(self.output.as_mut().and_then(Iterator::next))
    }
}
