//! Aggregate arguments computed over column batches (`expr/batch.rs`): an aggregate over
//! a column-batch scan whose call takes one computed argument (`sum(coalesce(a, 0) + b)`,
//! `avg(length(s))`, `count(nullif(b, 0))`, `sum(CASE WHEN a IS NULL THEN 1 ELSE 0 END)`)
//! gets the argument's numbers for a whole batch from its batch nodes, and each row they
//! do not cover from the expression tree over that row's values, as the row path
//! computes it.
//!
//! Only arguments that compile, cannot fail and have batch nodes are taken (`ComputedArg::new`),
//! so a batch never stops on an argument's error and the rows folded are the row path's.

use ember_storage::row::ColumnBatch;
use ember_storage::Value;

use crate::error::Result;
use crate::expr::{BatchNumber, BatchPool, EvalContext, Expr, Lane, Numbers, Scalar};

use super::super::ExecContext;
use super::accumulator::Accumulator;

/// One computed argument: its batch nodes, its tree for the rows they do not cover, and
/// the columns the tree reads.
pub(super) struct ComputedArg {
    nodes: BatchNumber,
    tree: Expr,
    columns: Vec<usize>,
}

impl ComputedArg {
    /// `arg`, an aggregate call's one argument, when it can be computed over column
    /// batches: it compiles with no parameter read, cannot fail, and has batch nodes.
    pub(super) fn new(arg: &Expr) -> Option<ComputedArg> {
        let scalar = Scalar::of(arg, &EvalContext::default())?;
        if !scalar.computes() || scalar.can_fail() {
            return None;
        }
        let nodes = BatchNumber::of(&scalar);
        if !nodes.covers_any() {
            return None;
        }
        let mut columns = arg.columns_read();
        columns.sort_unstable();
        columns.dedup();
        Some(ComputedArg {
            nodes,
            tree: arg.clone(),
            columns,
        })
    }

    /// The columns the argument reads, ascending, each once.
    pub(super) fn columns(&self) -> &[usize] {
        &self.columns
    }

    /// The argument's values over `batch` into `out`: its numbers, and in `out.others`
    /// (in row order) the value of each row they do not cover, computed by the tree over
    /// the row's values set in `row` (as wide as the scan's rows).
    pub(super) fn eval(
        &self,
        batch: &ColumnBatch,
        (pool, row): (&mut BatchPool, &mut [Value]),
        out: &mut ArgValues,
        context: &ExecContext<'_>,
    ) -> Result<()> {
        self.nodes.eval(batch, pool, &mut out.numbers);
        out.others.clear();
        for at in 0..batch.len() {
            if out.numbers.lanes[at] != Lane::Other {
                continue;
            }
            for &column in &self.columns {
                if let (Some(slot), Some(vector)) = (row.get_mut(column), batch.column(column)) {
                    *slot = vector.get(at).to_value();
                }
            }
            out.others.push(self.tree.eval(row, &context.eval)?);
        }
        Ok(())
    }
}

/// Each computed argument of `args` (by call position; `None` for a call with none) over
/// `batch`, into `out` (by position).
pub(super) fn compute_args(
    args: &[Option<ComputedArg>],
    batch: &ColumnBatch,
    (pool, row): (&mut BatchPool, &mut [Value]),
    out: &mut Vec<ArgValues>,
    context: &ExecContext<'_>,
) -> Result<()> {
    if args.iter().all(Option::is_none) {
        return Ok(());
    }
    out.resize_with(args.len(), ArgValues::default);
    for (arg, values) in args.iter().zip(out.iter_mut()) {
        if let Some(arg) = arg {
            arg.eval(batch, (&mut *pool, &mut *row), values, context)?;
        }
    }
    Ok(())
}

/// A computed argument's values for one batch (`ComputedArg::eval`).
#[derive(Default)]
pub(super) struct ArgValues {
    pub(super) numbers: Numbers,
    /// The values of the rows the numbers do not cover, in row order.
    pub(super) others: Vec<Value>,
}

impl ArgValues {
    /// Feeds each row's value to its group's accumulator (`positions`: each row's group,
    /// `kept` saying which fold; `slot`: where a group's accumulator of this call is in
    /// `accumulators`), as
    /// the row path feeds the call: `add_sum_value` of a value not NULL when `sums`
    /// (SUM, TOTAL, AVG), else `add_value`; `note` sees each value fed.
    pub(super) fn fold(
        &self,
        (sums, positions, kept): (bool, &[u32], impl Fn(u32) -> bool),
        (accumulators, slot): (&mut [Accumulator], impl Fn(u32) -> usize),
        mut note: impl FnMut(&Value),
    ) -> Result<()> {
        self.for_each(|at, value| {
            let position = positions[at];
            if !kept(position) {
                return Ok(());
            }
            let Some(accumulator) = accumulators.get_mut(slot(position)) else {
                return Ok(());
            };
            if sums {
                if value.is_null() {
                    return Ok(());
                }
                note(value);
                return accumulator.add_sum_value(value);
            }
            note(value);
            accumulator.add_value(value)
        })
    }

    /// Each row's value, in row order, as a `Value` borrowed where it is not a number.
    pub(super) fn for_each(&self, mut f: impl FnMut(usize, &Value) -> Result<()>) -> Result<()> {
        let mut others = self.others.iter();
        let lanes = self.numbers.lanes.iter().zip(&self.numbers.words);
        for (at, (&lane, &word)) in lanes.enumerate() {
            let number;
            let value = match lane {
                Lane::Integer => {
                    number = Value::Integer(word as i64);
                    &number
                }
                Lane::Real => {
                    number = Value::Real(f64::from_bits(word));
                    &number
                }
                Lane::Null => &Value::Null,
                Lane::Other => match others.next() {
                    Some(value) => value,
                    None => {
                        return Err(crate::err!(
                            Internal,
                            "a computed argument's row has no value"
                        ))
                    }
                },
            };
            f(at, value)?;
        }
        Ok(())
    }
}
