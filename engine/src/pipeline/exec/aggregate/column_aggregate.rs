//! GROUP BY (or an aggregate without GROUP BY) over a full table scan, read as typed
//! column batches (`row::ColumnBatch`, `Transaction::scan_column_batch`): the
//! `ColumnBatches` strategy the optimizer chooses (`optimize/strategy.rs`) by
//! `reads_in_column_batches`. Each batch's rows are decoded column by column (no `Value`
//! per column, no row buffer), then grouped in one loop over the key column (a key of
//! several columns: its hashes mixed a column at a time over the batch, then one probe per
//! row comparing the stored values in place) and fed to the accumulators one aggregate at
//! a time, each in its own loop over its column.
//!
//! It serves the aggregates whose calls are COUNT(*) or take one plain column, without
//! FILTER (`ColumnStep::of`), grouped by plain columns or not, over a full scan whose
//! filter reads only columns the batch decodes and holds no subquery. The filter's terms
//! that can be checked on the payload's bytes are checked while the batch is read (the
//! rows they reject never reach it); the rest (`Residual`) is checked on each row the
//! batch holds, its columns' values set in one reused row (a text's buffer reused), and
//! selects the rows folded. The rows folded and the order they are folded in are the row
//! scan's, through the same `Grouper` (the same group lookups, accumulator updates and
//! first row ids), so the groups and their values are exactly the row-by-row fold's; a
//! residual filter that fails on a row folds the rows before it, then fails, as the row
//! scan does.

use ember_storage::row::{ColumnBatch, ColumnVector, Kind, RawChecks, RowDecoder, Scalar};
use ember_storage::{DataType, Value};

use crate::error::{Error, Result};
use crate::expr::{BatchPool, BatchTruth, Expr, KeyRef, Predicate, Staged, Truth};
use crate::plan::{AccessPath, AggregateCall, AggregateFunction, TableAccess};

use super::super::hash::key_groups::{finish_key_hash, mix_vector_hashes};
use super::super::ExecContext;
use super::column_args::{compute_args, ArgValues, ComputedArg};
use super::{GroupKey, Grouper};

/// One aggregate call's update over a column batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(in crate::pipeline::exec) enum ColumnStep {
    /// COUNT(*).
    CountStar,
    /// COUNT(column), not DISTINCT.
    Count(usize),
    /// SUM, TOTAL or AVG of a column, not DISTINCT (`Accumulator::add_sum_value`).
    Sum(usize),
    /// Any other call of one column (`Accumulator::add_value`).
    Value(usize),
    /// SUM, TOTAL or AVG, not DISTINCT, of the computed argument of the call at this
    /// position (`column_args.rs`).
    SumOf(usize),
    /// Any other call of the computed argument of the call at this position.
    ValueOf(usize),
}

impl ColumnStep {
    /// The step of `call` (the update `Feeder` makes for it, `aggregate_feed.rs`), when
    /// it has one: COUNT(*), or one plain column argument, and no FILTER.
    pub(in crate::pipeline::exec) fn of(call: &AggregateCall) -> Option<ColumnStep> {
        use AggregateFunction as F;
        if call.filter.is_some() {
            return None;
        }
        match (call.args.as_slice(), call.distinct) {
            ([], false) if call.function == F::CountStar => Some(ColumnStep::CountStar),
            ([Expr::Column { index, .. }], true) => Some(ColumnStep::Value(*index)),
            ([Expr::Column { index, .. }], false) => Some(match call.function {
                F::Count => ColumnStep::Count(*index),
                F::Sum | F::Total | F::Avg => ColumnStep::Sum(*index),
                _ => ColumnStep::Value(*index),
            }),
            _ => None,
        }
    }

    /// The step of `call`, the call at `position`, whose one argument is computed over
    /// column batches, with that argument (`ComputedArg::new`); no FILTER or ORDER BY.
    fn computed(call: &AggregateCall, position: usize) -> Option<(ColumnStep, ComputedArg)> {
        use AggregateFunction as F;
        let [arg] = call.args.as_slice() else {
            return None;
        };
        let step = match call.function {
            F::Sum | F::Total | F::Avg if !call.distinct => ColumnStep::SumOf(position),
            F::Count | F::Sum | F::Total | F::Avg | F::Min | F::Max => {
                ColumnStep::ValueOf(position)
            }
            _ => return None,
        };
        let query = |expr: &Expr| expr.has_subquery() || expr.reads_outer_row();
        if call.filter.is_some() || !call.order.is_empty() || query(arg) {
            return None;
        }
        Some((step, ComputedArg::new(arg)?))
    }
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

/// What of reading an aggregate's scan as column batches follows from its plan alone:
/// the key and each call's step.
struct ColumnShape {
    key: BatchKey,
    steps: Vec<ColumnStep>,
    /// Each call's computed argument (`ColumnStep::SumOf` / `ValueOf`), by position.
    args: Vec<Option<ComputedArg>>,
}

impl ColumnShape {
    /// The shape of the aggregate (`group_by`, `aggregates`) over `access`, when it has
    /// the one this file serves (see the module comment).
    fn of(access: &TableAccess, group_by: &[Expr], aggregates: &[AggregateCall]) -> Option<Self> {
        let decoder = access.read.decoder();
        if !matches!(access.path, AccessPath::FullScan) || !decoder.decodes_to_batch() {
            return None;
        }
        if let Some(filter) = &access.filter {
            let decoded = filter.columns_read().iter().all(|&c| decoder.decodes(c));
            if !decoded
                || filter.has_subquery()
                || super::super::scan::outer_probe::may_probe(filter)
            {
                return None;
            }
        }
        let key = match group_by {
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
        let (steps, args): (Vec<ColumnStep>, Vec<Option<ComputedArg>>) = aggregates
            .iter()
            .enumerate()
            .map(|(position, call)| match ColumnStep::of(call) {
                Some(step) => Some((step, None)),
                None => ColumnStep::computed(call, position).map(|(step, arg)| (step, Some(arg))),
            })
            .collect::<Option<Vec<_>>>()?
            .into_iter()
            .unzip();
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
            ColumnStep::SumOf(call) | ColumnStep::ValueOf(call) => args[call]
                .as_ref()
                .is_some_and(|arg| arg.columns().iter().all(|&c| decoder.decodes(c))),
        });
        steps_read_decoded.then_some(ColumnShape { key, steps, args })
    }
}

/// Whether the aggregate (`group_by`, `aggregates`) over `access` can read its scan as
/// column batches (see the module comment): what the optimizer chooses `ColumnBatches` by.
pub(crate) fn reads_in_column_batches(
    access: &TableAccess,
    group_by: &[Expr],
    aggregates: &[AggregateCall],
) -> bool {
    ColumnShape::of(access, group_by, aggregates).is_some()
}

/// The part of a scan's filter its column batches do not check while they are read.
enum Residual<'e> {
    /// Nothing: the batch holds only rows that pass.
    None,
    /// Compiled terms, checked on the row's values (`Staged::check`).
    Stages(Staged),
    /// A filter that did not compile into terms (or reads no column).
    Predicate(Predicate<'e>),
}

/// How an aggregate reads its scan's column batches, fixed once per statement (shared by
/// the parallel split's workers, `parallel_grouped.rs`).
pub(super) struct ColumnPlan<'e> {
    key: BatchKey,
    steps: Vec<ColumnStep>,
    /// The filter's checks on the payload's bytes, run while a batch is read.
    raw: Option<RawChecks>,
    residual: Residual<'e>,
    /// The residual's compiled terms over whole batches (`expr/batch.rs`), when they
    /// cover some rows: each row they do not cover is checked on its values.
    batch_residual: Option<BatchTruth>,
    /// The columns the residual reads (ascending, each once).
    residual_columns: Vec<usize>,
    /// Each call's computed argument (`ColumnStep::SumOf` / `ValueOf`), by position.
    args: Vec<Option<ComputedArg>>,
}

impl<'e> ColumnPlan<'e> {
    /// The plan of the aggregate `grouper` folds over `access`, chosen by the optimizer
    /// (`reads_in_column_batches`); an error if the plan does not have that shape.
    pub(super) fn new(
        access: &'e TableAccess,
        grouper: &Grouper<'_>,
        context: &ExecContext<'_>,
    ) -> Result<Self> {
        let Some(ColumnShape { key, steps, args }) =
            ColumnShape::of(access, grouper.group_by, grouper.aggregates)
        else {
            return Err(crate::err!(
                Internal,
                "an aggregate chosen to read column batches does not have their shape"
            ));
        };
        let decoder = access.read.decoder();
        let (raw, residual) = match &access.filter {
            None => (None, Residual::None),
            Some(filter) => split_filter(filter, decoder, context),
        };
        let mut residual_columns = match (&residual, &access.filter) {
            (Residual::None, _) | (_, None) => Vec::new(),
            (Residual::Stages(staged), _) => staged.stage_columns(),
            (Residual::Predicate(_), Some(filter)) => filter.columns_read(),
        };
        residual_columns.sort_unstable();
        residual_columns.dedup();
        let batch_residual = match &residual {
            Residual::Stages(staged) => Some(BatchTruth::all_of(staged.stage_terms())),
            _ => None,
        }
        .filter(BatchTruth::covers_any);
        Ok(ColumnPlan {
            key,
            steps,
            raw,
            residual,
            batch_residual,
            residual_columns,
            args,
        })
    }

    /// Whether parallel workers may run this plan: its residual filter, if any, is
    /// compiled terms (a worker has no context for an expression tree).
    pub(super) fn worker_safe(&self) -> bool {
        !matches!(self.residual, Residual::Predicate(_))
    }

    pub(super) fn raw(&self) -> Option<&RawChecks> {
        self.raw.as_ref()
    }

    /// Which rows of `batch` the residual filter passes, into `scratch.kept` (its `row`:
    /// the reused row a row's columns' values are set in, as wide as the scan's rows).
    /// `Err` carries the residual's error on a row and the rows before it, which are
    /// folded first. The batch nodes answer the rows they cover; each other row is checked
    /// on its values.
    fn select(
        &self,
        batch: &ColumnBatch,
        scratch: &mut BatchScratch,
        context: &ExecContext<'_>,
    ) -> std::result::Result<(), (Error, usize)> {
        let BatchScratch {
            row,
            kept,
            pool,
            truths,
            ..
        } = scratch;
        kept.clear();
        let vectors: Vec<(usize, &ColumnVector)> = self
            .residual_columns
            .iter()
            .filter_map(|&column| batch.column(column).map(|vector| (column, vector)))
            .collect();
        if let Some(node) = &self.batch_residual {
            node.eval(batch, pool, truths);
            debug_assert_eq!(truths.len(), batch.len());
        }
        let answers = match self.batch_residual {
            Some(_) => &truths[..],
            None => &[],
        };
        for at in 0..batch.len() {
            match answers.get(at) {
                Some(Truth::True) => {
                    kept.push(true);
                    continue;
                }
                Some(Truth::False | Truth::Null) => {
                    kept.push(false);
                    continue;
                }
                Some(Truth::Uncovered) | None => {}
            }
            for &(column, vector) in &vectors {
                if let Some(slot) = row.get_mut(column) {
                    set_value(slot, vector.get(at));
                }
            }
            let passes = match &self.residual {
                Residual::None => true,
                Residual::Stages(staged) => {
                    (0..staged.stops().len()).all(|stage| staged.check(stage, row))
                }
                Residual::Predicate(predicate) => predicate
                    .matches(row, &context.eval)
                    .map_err(|error| (error, at))?,
            };
            kept.push(passes);
        }
        Ok(())
    }

    /// Groups the rows of `batch` (those `kept` says, all when `None`) and feeds them to
    /// their groups' accumulators, in row order (`positions`: reused, each row's group),
    /// showing `note` each value fed to a one-column call but COUNT (with the call's
    /// position), as `Feeder::feed` does: a parallel worker measures its sums' inputs so.
    fn fold(
        &self,
        (batch, kept, args): (&ColumnBatch, Option<&[bool]>, &[ArgValues]),
        grouper: &mut Grouper<'_>,
        positions: &mut Vec<u32>,
        context: &ExecContext<'_>,
        note: impl FnMut(usize, &Value),
    ) -> Result<()> {
        // A batch whose every row is kept folds without a test per row.
        match kept {
            None => self.fold_rows::<false>((batch, &[], args), grouper, positions, context, note),
            Some(kept) => {
                self.fold_rows::<true>((batch, kept, args), grouper, positions, context, note)
            }
        }
    }

    /// `fold`; when `FILTERED`, of the rows `kept` says (a row left out is `SKIPPED`).
    fn fold_rows<const FILTERED: bool>(
        &self,
        (batch, kept, args): (&ColumnBatch, &[bool], &[ArgValues]),
        grouper: &mut Grouper<'_>,
        positions: &mut Vec<u32>,
        context: &ExecContext<'_>,
        mut note: impl FnMut(usize, &Value),
    ) -> Result<()> {
        let rows = batch.row_ids();
        let keeps = |at: usize| !FILTERED || kept[at];
        debug_assert!(!FILTERED || kept.len() == rows.len());
        positions.clear();
        // Groups from here on are made by this batch: their first rows are its rows.
        let groups_before = grouper.groups.len();
        match &self.key {
            BatchKey::None => {
                let Some(first) = (0..rows.len()).find(|&at| keeps(at)) else {
                    // No row kept: no group made (an empty input's group is `finish`'s).
                    return Ok(());
                };
                let position = grouper.find(&[], context)?;
                positions.extend((0..rows.len()).map(|at| match keeps(at) {
                    true => position as u32,
                    false => SKIPPED,
                }));
                if position == groups_before {
                    grouper.groups[position].first_row_id = rows[first];
                }
            }
            &BatchKey::One(column) => {
                let keys = vector(batch, column)?;
                let kinds_and_words = keys.kinds().iter().zip(keys.words());
                for (at, (&kind, &word)) in kinds_and_words.enumerate() {
                    if !keeps(at) {
                        positions.push(SKIPPED);
                        continue;
                    }
                    let position = match kind {
                        Kind::Integer => {
                            grouper.find_single(&Value::Integer(word as i64), context)?
                        }
                        Kind::Text => grouper.find_text_bytes(keys.span_bytes(at), context)?,
                        _ => grouper.find_single(&keys.get(at).to_value(), context)?,
                    };
                    positions.push(position as u32);
                }
                note_first_rows::<FILTERED>(grouper, groups_before, positions, rows);
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
                    mix_vector_hashes(&mut hashes, keys);
                }
                for (at, &hash) in hashes.iter().enumerate() {
                    if !keeps(at) {
                        positions.push(SKIPPED);
                        continue;
                    }
                    let position =
                        grouper.find_batch_key(finish_key_hash(hash), &vectors, at, context)?;
                    positions.push(position as u32);
                }
                note_first_rows::<FILTERED>(grouper, groups_before, positions, rows);
            }
        }
        for (call, step) in self.steps.iter().enumerate() {
            let (accumulators, width) = grouper.accumulators.all_mut();
            let slot = |position: u32| position as usize * width + call;
            match *step {
                ColumnStep::CountStar => {
                    for &position in positions.iter() {
                        if FILTERED && position == SKIPPED {
                            continue;
                        }
                        if let Some(accumulator) = accumulators.get_mut(slot(position)) {
                            accumulator.add_row();
                        }
                    }
                }
                ColumnStep::Count(column) => {
                    let kinds = vector(batch, column)?.kinds();
                    for (&position, &kind) in positions.iter().zip(kinds) {
                        if FILTERED && position == SKIPPED {
                            continue;
                        }
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
                        if FILTERED && position == SKIPPED {
                            continue;
                        }
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
                        if FILTERED && position == SKIPPED {
                            continue;
                        }
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
                ColumnStep::SumOf(position) | ColumnStep::ValueOf(position) => {
                    let sums = matches!(step, ColumnStep::SumOf(_));
                    let kept = |position: u32| !FILTERED || position != SKIPPED;
                    args.get(position)
                        .ok_or_else(|| crate::err!(Internal, "a computed argument is missing"))?
                        .fold((sums, positions, kept), (accumulators, slot), |value| {
                            note(call, value)
                        })?;
                }
            }
        }
        Ok(())
    }
}

/// The position of a batch row the residual filter rejected: in no group.
const SKIPPED: u32 = u32::MAX;

/// Records the first row of each group the batch made (those at `groups_before` and
/// after; `positions`: each row's group, in row order; when `FILTERED`, `SKIPPED` for a
/// row in none): walked backwards, a group's earliest row in the batch is written last.
fn note_first_rows<const FILTERED: bool>(
    grouper: &mut Grouper<'_>,
    groups_before: usize,
    positions: &[u32],
    rows: &[ember_storage::RowId],
) {
    for (&position, &row_id) in positions.iter().zip(rows).rev() {
        if (FILTERED && position == SKIPPED) || (position as usize) < groups_before {
            continue;
        }
        if let Some(group) = grouper.groups.get_mut(position as usize) {
            group.first_row_id = row_id;
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

/// A scan filter split for column batches: its terms checked on the payload's bytes
/// (`Staged::with_raw_checks`), and the rest.
fn split_filter<'e>(
    filter: &'e Expr,
    decoder: &RowDecoder,
    context: &ExecContext<'_>,
) -> (Option<RawChecks>, Residual<'e>) {
    let predicate = Predicate::new(filter, &context.eval);
    let Predicate::Compiled(compiled) = &predicate else {
        return (None, Residual::Predicate(predicate));
    };
    let Some(staged) = Staged::of(compiled, |column| decoder.decodes(column)) else {
        return (None, Residual::Predicate(predicate));
    };
    let mut staged = staged.with_raw_checks(decoder);
    // As the row scan decides (`scan_filter.rs`): raw checks that likely pass most rows
    // would walk each row twice; their terms then join the batch nodes' residual.
    if !staged.raw_is_selective() {
        staged = staged.without_raw_checks();
    }
    let raw = staged.take_raw();
    if staged.stops().is_empty() {
        return (raw, Residual::None);
    }
    (raw, Residual::Stages(staged))
}

/// Sets `slot` to `scalar`'s value, reusing the text a slot holding one has.
#[inline]
fn set_value(slot: &mut Value, scalar: Scalar<'_>) {
    match (slot, scalar) {
        (Value::Text(text), Scalar::Text(new)) => {
            text.clear();
            text.push_str(new);
        }
        (slot, scalar) => *slot = scalar.to_value(),
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

/// Folds the rows of the full scan `access` into `grouper` through column batches (the
/// `ColumnBatches` strategy): the rows folded (those the filter passes).
pub(super) fn fold(
    access: &TableAccess,
    grouper: &mut Grouper<'_>,
    context: &ExecContext<'_>,
) -> Result<u64> {
    let plan = ColumnPlan::new(access, grouper, context)?;
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
    folded
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
    let mut scratch = BatchScratch::new(decoder.width());
    let mut rows = 0u64;
    super::super::scan::key_range::for_each_slot_batch(access, context, |range| {
        let next_row = context
            .txn
            .scan_column_batch(table, range, decoder, plan.raw(), batch)?;
        rows += plan.fold_kept(batch, grouper, &mut scratch, context, |_, _| {})?;
        Ok(next_row)
    })?;
    Ok(rows)
}

/// What folding batches reuses from one batch to the next.
pub(super) struct BatchScratch {
    /// Each row's group.
    positions: Vec<u32>,
    /// The row the residual filter's columns are set in, as wide as the scan's rows.
    row: Vec<Value>,
    /// Which rows the residual filter passes.
    kept: Vec<bool>,
    /// The batch nodes' vectors, and their answers for the residual filter.
    pool: BatchPool,
    truths: Vec<Truth>,
    /// Each call's computed argument's values (by position; empty for other calls).
    args: Vec<ArgValues>,
}

impl BatchScratch {
    /// Scratch for rows `width` columns wide.
    pub(super) fn new(width: usize) -> BatchScratch {
        BatchScratch {
            positions: Vec::new(),
            row: vec![Value::Null; width],
            kept: Vec::new(),
            pool: BatchPool::default(),
            truths: Vec::new(),
            args: Vec::new(),
        }
    }
}

impl ColumnPlan<'_> {
    /// Folds the rows of `batch` its residual filter passes into `grouper` (`fold`, with
    /// `note`): how many. A residual that fails on a row folds the rows before it, then
    /// gives its error.
    pub(super) fn fold_kept(
        &self,
        batch: &ColumnBatch,
        grouper: &mut Grouper<'_>,
        scratch: &mut BatchScratch,
        context: &ExecContext<'_>,
        note: impl FnMut(usize, &Value),
    ) -> Result<u64> {
        if batch.is_empty() {
            return Ok(0);
        }
        let reused = (&mut scratch.pool, &mut scratch.row[..]);
        compute_args(&self.args, batch, reused, &mut scratch.args, context)?;
        if matches!(self.residual, Residual::None) {
            let args = &scratch.args;
            self.fold(
                (batch, None, args),
                grouper,
                &mut scratch.positions,
                context,
                note,
            )?;
            return Ok(batch.len() as u64);
        }
        let failed = self.select(batch, scratch, context).err();
        if let Some((_, at)) = &failed {
            scratch.kept.truncate(*at);
            scratch.kept.resize(batch.len(), false);
        }
        self.fold(
            (batch, Some(&scratch.kept), &scratch.args),
            grouper,
            &mut scratch.positions,
            context,
            note,
        )?;
        if let Some((error, _)) = failed {
            return Err(error);
        }
        Ok(scratch.kept.iter().filter(|&&kept| kept).count() as u64)
    }
}
