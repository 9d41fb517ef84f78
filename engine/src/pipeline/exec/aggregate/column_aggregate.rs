//! GROUP BY (or an aggregate without GROUP BY) over a full table scan, read as typed
//! column batches (`row::ColumnBatch`, `Transaction::scan_column_batch`): each batch's
//! rows are decoded column by column (no `Value` per column, no row buffer), then grouped
//! in one loop over the key column (a key of several columns: its hashes mixed a column
//! at a time over the batch, then one probe per row comparing the stored values in place)
//! and fed to the accumulators one aggregate at a time, each in its own loop over its
//! column.
//!
//! It serves the aggregates whose calls are COUNT(*) or take one plain column, without
//! FILTER (`Feeder::column_steps`), grouped by plain columns or not, over a scan whose
//! filter (if any) is decided whole by checks on the payload's bytes (`Staged` with every
//! term raw): the rows it folds and the order it folds them in are the row scan's, through
//! the same `Grouper` (the same group lookups, accumulator updates and last row ids), so
//! the groups and their values are exactly the row-by-row fold's. Other shapes, a table
//! that grew columns, and a scan that may probe an outer value take the row path.

use ember_storage::row::{ColumnBatch, ColumnVector, Kind, RawChecks};
use ember_storage::{DataType, Value};

use crate::error::Result;
use crate::expr::{Expr, KeyRef, Predicate, Staged};
use crate::plan::{AccessPath, TableAccess};

use super::super::hash::key_groups::{finish_key_hash, mix_key_hash};
use super::super::ExecContext;
use super::{GroupKey, Grouper};

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

/// The GROUP BY key a column batch's rows are grouped by.
#[derive(Debug, Clone, PartialEq, Eq)]
enum BatchKey {
    /// No GROUP BY: one group.
    None,
    /// One plain column (not BLOB).
    One(usize),
    /// Two or more plain columns, in GROUP BY order.
    Many(Box<[usize]>),
}

/// How an aggregate reads its scan's column batches, fixed once per statement (shared by
/// the parallel split's workers, `parallel_grouped.rs`).
pub(super) struct ColumnPlan {
    key: BatchKey,
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
            [] => BatchKey::None,
            // A BLOB key would be copied per row to probe the single-key groups (the row
            // path reuses its buffer): left to the row path.
            [Expr::Column { index, .. }] => match decoder.decoded_type(*index) {
                Some(t) if t != DataType::Blob => BatchKey::One(*index),
                _ => return None,
            },
            terms => BatchKey::Many(
                terms
                    .iter()
                    .map(|term| match term {
                        Expr::Column { index, .. } if decoder.decoded_type(*index).is_some() => {
                            Some(*index)
                        }
                        _ => None,
                    })
                    .collect::<Option<_>>()?,
            ),
        };
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
        match &self.key {
            BatchKey::None => {
                let position = grouper.find(&[], context)?;
                positions.resize(rows.len(), position as u32);
                if let Some(&last) = rows.last() {
                    grouper.groups[position].last_row_id = last;
                }
            }
            &BatchKey::One(column) => {
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
                note_last_rows(grouper, positions, rows);
            }
            BatchKey::Many(columns) => {
                let vectors = columns
                    .iter()
                    .map(|&column| vector(batch, column))
                    .collect::<Result<Vec<_>>>()?;
                let inexact = |keys: &&ColumnVector| {
                    keys.kinds()
                        .iter()
                        .any(|kind| matches!(kind, Kind::Real | Kind::Boolean))
                };
                if grouper.exact_keys && vectors.iter().any(inexact) {
                    grouper.exact_keys = false;
                }
                // Each row's key hash, mixed one column at a time.
                let mut hashes = vec![0u64; rows.len()];
                for keys in &vectors {
                    for (at, hash) in hashes.iter_mut().enumerate() {
                        *hash = mix_key_hash(*hash, KeyRef::of_scalar(keys.get(at)));
                    }
                }
                for (at, &hash) in hashes.iter().enumerate() {
                    let position =
                        grouper.find_batch_key(finish_key_hash(hash), &vectors, at, context)?;
                    positions.push(position as u32);
                }
                note_last_rows(grouper, positions, rows);
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

/// Records each row of a batch as its group's last row so far (`positions`: each row's
/// group, in row order).
fn note_last_rows(grouper: &mut Grouper<'_>, positions: &[u32], rows: &[ember_storage::RowId]) {
    for (&position, &row_id) in positions.iter().zip(rows) {
        if let Some(group) = grouper.groups.get_mut(position as usize) {
            group.last_row_id = row_id;
        }
    }
}

impl Grouper<'_> {
    /// The group of row `at` of a batch, whose key of several columns (`vectors`, in
    /// GROUP BY order) hashes to `hash` (as `key_hash` hashes the values): compared in
    /// place, its values copied only when they start a new group.
    #[inline(always)]
    fn find_batch_key(
        &mut self,
        hash: u64,
        vectors: &[&ColumnVector],
        at: usize,
        context: &ExecContext<'_>,
    ) -> Result<usize> {
        let groups = &self.groups;
        let found = self.keys.get(hash, |position| {
            let values = groups[position].key_values();
            values.len() == vectors.len()
                && vectors
                    .iter()
                    .zip(values)
                    .all(|(keys, value)| same_as_entry(value, keys, at))
        });
        match found {
            Some(position) => Ok(position),
            None => {
                let values = vectors.iter().map(|keys| keys.get(at).to_value()).collect();
                self.new_key_group(GroupKey::Many(values), hash, context)
            }
        }
    }
}

/// Whether a group's key value and entry `at` of a column vector are one key (as
/// `same_key` compares values): integers and texts compared as they are stored.
#[inline(always)]
fn same_as_entry(value: &Value, keys: &ColumnVector, at: usize) -> bool {
    match (keys.kinds()[at], value) {
        (Kind::Integer, Value::Integer(integer)) => keys.words()[at] as i64 == *integer,
        (Kind::Text, Value::Text(text)) => keys.span_bytes(at) == text.as_bytes(),
        _ => KeyRef::of_scalar(keys.get(at)) == KeyRef::of(value),
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
