//! The Window operator: materializes its input (charged to the statement's bounds), then
//! for each pass (one distinct PARTITION BY + ORDER BY) sorts the rows once, splits them
//! into partitions and peer groups, and computes every call of the pass
//! (`window_eval.rs`), writing call k's value at `input_width + k` of each row. Passes run
//! from the last window specification to the first, so rows come out in the first one's
//! order, as in SQLite.

use std::cmp::Ordering;

use ember_storage::Value;

use crate::error::Result;
use crate::expr::compare_for_sort;
use crate::plan::{FrameUnits, Window, WindowPass};

use super::query::compare_keys;
use super::window_eval::{evaluate, Partition};
use super::window_frame::{FrameSpec, Peers};
use super::{build, ExecContext, Operator, Row};

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
        let mut rows: Vec<Row> = Vec::new();
        let mut input = build(&self.plan.input);
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
        drop(input);
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

/// Sorts `order` (indexes into `rows`) stably by the pass's partition and order keys and
/// computes its calls (values at `input_width + slot`); returns the sorted order.
fn run_pass(
    input_width: usize,
    pass: &WindowPass,
    mut order: Vec<usize>,
    rows: &mut [Row],
    memory: &mut super::MemoryCharge,
    context: &ExecContext<'_>,
) -> Result<Vec<usize>> {
    let frames = pass
        .calls
        .iter()
        .map(|call| FrameSpec::evaluate(&call.frame, context))
        .collect::<Result<Vec<_>>>()?;
    // Each row's partition values, then its ORDER BY values.
    let split = pass.partition_by.len();
    let mut keys: Vec<Vec<Value>> = Vec::with_capacity(rows.len());
    for (index, row) in rows.iter().enumerate() {
        if index % 1024 == 1023 {
            context.check_interrupt()?;
        }
        let mut key = Vec::with_capacity(split + pass.order_by.len());
        for expr in &pass.partition_by {
            key.push(expr.eval(row, &context.eval)?);
        }
        for sort_key in &pass.order_by {
            key.push(sort_key.expr.eval(row, &context.eval)?);
        }
        memory.add(super::row_bytes(&key))?;
        keys.push(key);
    }
    let same_partition = |a: usize, b: usize| {
        keys[a][..split]
            .iter()
            .zip(&keys[b][..split])
            .all(|(x, y)| same_value(x, y))
    };
    order.sort_by(|&a, &b| {
        let partition = keys[a][..split]
            .iter()
            .zip(&keys[b][..split])
            .map(|(x, y)| compare_nulls_first(x, y))
            .find(|ordering| ordering.is_ne())
            .unwrap_or(Ordering::Equal);
        partition.then_with(|| compare_keys(&pass.order_by, &keys[a][split..], &keys[b][split..]))
    });
    let mut start = 0;
    while start < order.len() {
        let mut end = start + 1;
        while end < order.len() && same_partition(order[start], order[end]) {
            end += 1;
        }
        let members = &order[start..end];
        let results = {
            let peers = Peers::new(members.len(), |p| {
                compare_keys(
                    &pass.order_by,
                    &keys[members[p]][split..],
                    &keys[members[p - 1]][split..],
                )
                .is_eq()
            });
            let range_keys = match (pass.order_by.as_slice(), needs_range_keys(&frames)) {
                ([key], true) => Some((
                    members.iter().map(|&m| keys[m][split].clone()).collect(),
                    key,
                )),
                _ => None,
            };
            let partition = Partition {
                rows: members.iter().map(|&m| &rows[m]).collect(),
                peers,
                range_keys,
            };
            pass.calls
                .iter()
                .zip(&frames)
                .map(|(call, frame)| evaluate(call, frame, &partition, context))
                .collect::<Result<Vec<_>>>()?
        };
        for (call, values) in pass.calls.iter().zip(results) {
            let column = input_width + call.slot;
            for (&member, value) in members.iter().zip(values) {
                rows[member][column] = value;
            }
        }
        context.check_interrupt()?;
        start = end;
    }
    Ok(order)
}

/// Whether some frame places a bound by RANGE offset (and needs the ORDER BY values).
fn needs_range_keys(frames: &[FrameSpec]) -> bool {
    frames.iter().any(|frame| {
        frame.units == FrameUnits::Range
            && [&frame.start, &frame.end].iter().any(|bound| {
                matches!(
                    bound,
                    super::window_frame::Bound::Preceding(_)
                        | super::window_frame::Bound::Following(_)
                )
            })
    })
}

/// Partition values are the same when equal, or both NULL.
fn same_value(left: &Value, right: &Value) -> bool {
    compare_nulls_first(left, right).is_eq()
}

fn compare_nulls_first(left: &Value, right: &Value) -> Ordering {
    match (left.is_null(), right.is_null()) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Less,
        (false, true) => Ordering::Greater,
        (false, false) => compare_for_sort(left, right),
    }
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
