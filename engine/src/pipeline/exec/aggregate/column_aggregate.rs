//! GROUP BY (or an aggregate without GROUP BY) over a full table scan, read as typed
//! column batches (`row::ColumnBatch`, `Transaction::scan_column_batch`): each batch's
//! rows are decoded column by column (no `Value` per column, no row buffer), then grouped
//! in one loop over the key column and fed to the accumulators one aggregate at a time,
//! each in its own loop over its column.
//!
//! It serves the aggregates whose calls are COUNT(*) or take one plain column, without
//! FILTER (`Feeder::column_steps`), grouped by at most one plain column, over a scan whose
//! filter (if any) is decided whole by checks on the payload's bytes (`Staged` with every
//! term raw): the rows it folds and the order it folds them in are the row scan's, through
//! the same `Grouper` (the same group lookups, accumulator updates and last row ids), so
//! the groups and their values are exactly the row-by-row fold's. Other shapes, a table
//! that grew columns, and a scan that may probe an outer value take the row path.

use ember_storage::row::{ColumnBatch, ColumnVector, Kind, RawChecks};
use ember_storage::{DataType, Value};

use crate::error::Result;
use crate::expr::{Expr, Predicate, Staged};
use crate::plan::{AccessPath, TableAccess};

use super::super::ExecContext;
use super::Grouper;

/// One aggregate call's update over a column batch.
#[derive(Debug, Clone, Copy)]
pub(in crate::pipeline::exec) enum ColumnStep {
    /// COUNT(*).
    CountStar,
    /// COUNT(column), not DISTINCT.
    Count(usize),
    /// SUM, TOTAL or AVG of a column, not DISTINCT (`Accumulator::add_sum_value`).
    Sum(usize),
    /// Any other call of one column (`Accumulator::add_value`).
    Value(usize),
}

/// How an aggregate reads its scan's column batches, fixed once per statement (shared by
/// the parallel split's workers, `parallel_grouped.rs`).
pub(super) struct ColumnPlan {
    /// The single GROUP BY column, `None` without GROUP BY.
    key: Option<usize>,
    steps: Vec<ColumnStep>,
    /// The filter, its every term checked on the payload's bytes; `None`: no filter.
    filter: Option<Staged>,
}

impl ColumnPlan {
    /// The plan of the aggregate `grouper` folds over `access`, when it has the shape this
    /// file serves (see the module comment).
    pub(super) fn of(
        access: &TableAccess,
        grouper: &Grouper<'_>,
        context: &ExecContext<'_>,
    ) -> Option<Self> {
        let decoder = access.read.decoder();
        if !matches!(access.path, AccessPath::FullScan)
            || !decoder.decodes_to_batch()
            || access
                .filter
                .as_ref()
                .is_some_and(super::super::scan::outer_probe::may_probe)
        {
            return None;
        }
        let key = match grouper.group_by {
            [] => None,
            [Expr::Column { index, .. }] => Some(*index),
            _ => return None,
        };
        // A BLOB key would be copied per row to probe the groups (the row path reuses its
        // buffer): left to the row path.
        if key.is_some_and(
            |column| !matches!(decoder.decoded_type(column), Some(t) if t != DataType::Blob),
        ) {
            return None;
        }
        let steps = grouper.column_steps()?;
        // A sum or another call over a TEXT, BLOB or untyped column could copy a text per
        // row: left to the row path, which reuses its buffers.
        let numeric = |column: usize| {
            matches!(
                decoder.decoded_type(column),
                Some(DataType::Integer | DataType::Real | DataType::Boolean)
            )
        };
        let steps_read_decoded = steps.iter().all(|step| match *step {
            ColumnStep::CountStar => true,
            ColumnStep::Count(column) => decoder.decodes(column),
            ColumnStep::Sum(column) | ColumnStep::Value(column) => numeric(column),
        });
        if !steps_read_decoded {
            return None;
        }
        let filter = match &access.filter {
            None => None,
            Some(filter) => {
                let Predicate::Compiled(compiled) = Predicate::new(filter, &context.eval) else {
                    return None;
                };
                let staged = Staged::of(&compiled, |column| decoder.decodes(column))?
                    .with_raw_checks(decoder);
                if staged.raw().is_none() || !staged.stops().is_empty() {
                    return None;
                }
                Some(staged)
            }
        };
        Some(ColumnPlan { key, steps, filter })
    }

    pub(super) fn raw(&self) -> Option<&RawChecks> {
        self.filter.as_ref().and_then(Staged::raw)
    }

    /// Groups the rows of `batch` and feeds them to their groups' accumulators, in row
    /// order (`positions`: reused, each row's group), showing `note` each value fed to a
    /// one-column call but COUNT (with the call's position), as `Feeder::feed` does: a
    /// parallel worker measures its sums' inputs so.
    pub(super) fn fold(
        &self,
        batch: &ColumnBatch,
        grouper: &mut Grouper<'_>,
        positions: &mut Vec<u32>,
        context: &ExecContext<'_>,
        mut note: impl FnMut(usize, &Value),
    ) -> Result<()> {
        let rows = batch.row_ids();
        positions.clear();
        match self.key {
            None => {
                let position = grouper.find(&[], context)?;
                positions.resize(rows.len(), position as u32);
                if let Some(&last) = rows.last() {
                    grouper.groups[position].last_row_id = last;
                }
            }
            Some(column) => {
                let keys = vector(batch, column)?;
                let kinds_and_words = keys.kinds().iter().zip(keys.words());
                for (at, (&kind, &word)) in kinds_and_words.enumerate() {
                    let position = match kind {
                        Kind::Integer => {
                            grouper.find_single(&Value::Integer(word as i64), context)?
                        }
                        Kind::Text => grouper.find_text_bytes(keys.span_bytes(at), context)?,
                        _ => grouper.find_single(&keys.get(at).to_value(), context)?,
                    };
                    positions.push(position as u32);
                }
                for (&position, &row_id) in positions.iter().zip(rows) {
                    if let Some(group) = grouper.groups.get_mut(position as usize) {
                        group.last_row_id = row_id;
                    }
                }
            }
        }
        for (call, step) in self.steps.iter().enumerate() {
            let (accumulators, width) = grouper.accumulators.all_mut();
            let slot = |position: u32| position as usize * width + call;
            match *step {
                ColumnStep::CountStar => {
                    for &position in positions.iter() {
                        if let Some(accumulator) = accumulators.get_mut(slot(position)) {
                            accumulator.add_row();
                        }
                    }
                }
                ColumnStep::Count(column) => {
                    let kinds = vector(batch, column)?.kinds();
                    for (&position, &kind) in positions.iter().zip(kinds) {
                        if let (Some(accumulator), false) =
                            (accumulators.get_mut(slot(position)), kind == Kind::Null)
                        {
                            accumulator.add_rows(1);
                        }
                    }
                }
                ColumnStep::Sum(column) => {
                    let values = vector(batch, column)?;
                    let rows = values.kinds().iter().zip(values.words()).enumerate();
                    for ((row, (&kind, &word)), &position) in rows.zip(positions.iter()) {
                        let Some(accumulator) = accumulators.get_mut(slot(position)) else {
                            continue;
                        };
                        match kind {
                            Kind::Real => {
                                let value = Value::Real(f64::from_bits(word));
                                note(call, &value);
                                accumulator.add_sum_value(&value)?
                            }
                            Kind::Integer => {
                                let value = Value::Integer(word as i64);
                                note(call, &value);
                                accumulator.add_sum_value(&value)?
                            }
                            Kind::Null => {}
                            _ => {
                                let value = values.get(row).to_value();
                                note(call, &value);
                                accumulator.add_sum_value(&value)?
                            }
                        }
                    }
                }
                ColumnStep::Value(column) => {
                    let values = vector(batch, column)?;
                    let rows = values.kinds().iter().zip(values.words()).enumerate();
                    for ((row, (&kind, &word)), &position) in rows.zip(positions.iter()) {
                        let Some(accumulator) = accumulators.get_mut(slot(position)) else {
                            continue;
                        };
                        let value = match kind {
                            Kind::Real => Value::Real(f64::from_bits(word)),
                            Kind::Integer => Value::Integer(word as i64),
                            _ => values.get(row).to_value(),
                        };
                        note(call, &value);
                        accumulator.add_value(&value)?
                    }
                }
            }
        }
        Ok(())
    }
}

/// The vector of column `column` of `batch` (the plan reads only decoded columns).
fn vector(batch: &ColumnBatch, column: usize) -> Result<&ColumnVector> {
    batch.column(column).ok_or_else(|| {
        crate::err!(
            Internal,
            "column {column} is not in the scan's column batch"
        )
    })
}

/// Folds the rows of the full scan `access` into `grouper` through column batches, when
/// the aggregate and the scan have the shape this file serves: the rows folded; `Ok(None)`,
/// nothing done, otherwise (the caller folds row by row).
pub(super) fn fold(
    access: &TableAccess,
    grouper: &mut Grouper<'_>,
    context: &ExecContext<'_>,
) -> Result<Option<u64>> {
    let Some(plan) = ColumnPlan::of(access, grouper, context) else {
        return Ok(None);
    };
    // The connection's batch from an earlier statement (its vectors already grown), given
    // back unless it grew past `COLUMN_BATCH_KEPT_BYTES`.
    let buffers = context.buffers;
    let mut batch = buffers
        .map(|buffers| buffers.column_batch.take())
        .unwrap_or_default();
    let folded = fold_batches(&plan, access, grouper, &mut batch, context);
    if let Some(buffers) = buffers {
        if batch.capacity_bytes() <= COLUMN_BATCH_KEPT_BYTES {
            buffers.column_batch.set(batch);
        }
    }
    folded.map(Some)
}

/// A connection keeps a column batch whose vectors take at most this many bytes.
const COLUMN_BATCH_KEPT_BYTES: usize = 1 << 20;

/// Folds every batch of the scan of `access` into `grouper` (`fold`).
fn fold_batches(
    plan: &ColumnPlan,
    access: &TableAccess,
    grouper: &mut Grouper<'_>,
    batch: &mut ColumnBatch,
    context: &ExecContext<'_>,
) -> Result<u64> {
    let table = &access.table.storage;
    let decoder = access.read.decoder();
    let mut positions = Vec::new();
    let mut rows = 0u64;
    super::super::scan::key_range::for_each_slot_batch(access, context, |range| {
        let next_row = context
            .txn
            .scan_column_batch(table, range, decoder, plan.raw(), batch)?;
        if !batch.is_empty() {
            rows += batch.row_ids().len() as u64;
            plan.fold(batch, grouper, &mut positions, context, |_, _| {})?;
        }
        Ok(next_row)
    })?;
    Ok(rows)
}
