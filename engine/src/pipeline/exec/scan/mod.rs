//! Table access operators: a full scan that reads visible rows in bounded batches, a
//! primary-key lookup, and secondary-index lookups (one key, or the keys of an IN list). All
//! recheck the access filter on every row they return. An index dropped after the plan was
//! made is not read (it is no longer maintained): the access falls back to a full scan.

mod in_list_order;
pub(super) mod in_set;
pub(super) mod index_lookup;
pub(super) mod index_range;
pub(super) mod key_order;
pub(super) mod key_range;
pub(super) mod or_union;
pub(super) mod outer_probe;
pub(super) mod scan_filter;
pub(super) mod scan_skip;
pub(super) mod targets;

use std::collections::VecDeque;

use ember_storage::index::{IndexKey, KeyCollation};
use ember_storage::{DataType, RowId, Value};

use crate::catalog::TableDef;
use crate::error::Result;
use crate::expr::{coerce_to_column, holds_as_is, Expr, Predicate};
use crate::plan::{AccessPath, TableAccess};

use super::{ExecContext, Operator, Row};
pub(super) use index_lookup::{
    for_each_index_row, for_each_indexed_row, settled_key_rows, with_index_columns,
};
use key_order::KeyOrderCursor;
use scan_filter::ScanFilter;

/// Rows fetched from storage per batch (bounds the memory a scan holds at once).
pub(crate) const SCAN_BATCH_ROWS: usize = 256;
/// A full scan's first batch; each later one doubles up to `SCAN_BATCH_ROWS`, so a
/// consumer that stops early (a LIMIT) has few rows decoded past what it took.
const FIRST_SCAN_BATCH_ROWS: usize = 16;
/// Slots examined per batch, so a sparse table does not pin an epoch for long.
pub(super) const SCAN_BATCH_SLOTS: u64 = 4096;

pub struct ScanOperator<'p> {
    pub(super) access: &'p TableAccess,
    pub(super) next_row: RowId,
    pub(super) pending: VecDeque<Row>,
    pub(super) finished: bool,
    /// The walk of an `IndexRange` access, once opened (`Some(None)`: the index is gone,
    /// scan instead).
    range: Option<Option<Box<index_range::RangeCursor>>>,
    /// The walk of a `KeyOrder` access, once opened.
    key_order: Option<Box<KeyOrderCursor>>,
    /// Values a consumer will append to each row (see `Operator::reserve_extra_width`).
    extra_width: usize,
    /// Emptied row buffers handed back by the consumer (`Operator::recycle`), at most
    /// `SCAN_BATCH_ROWS`: a full scan decodes its next rows into them.
    spare: Vec<Row>,
    /// The scan's filter, made at its first batch (compiled, staged, raw checks found) and
    /// kept for the others.
    pub(super) filter: Option<ScanFilter<'p>>,
    /// Rows the next full-scan batch decodes (`FIRST_SCAN_BATCH_ROWS`, doubling).
    batch_rows: usize,
}

impl<'p> ScanOperator<'p> {
    pub fn new(access: &'p TableAccess) -> Self {
        ScanOperator {
            access,
            next_row: 0,
            pending: VecDeque::new(),
            finished: false,
            range: None,
            key_order: None,
            extra_width: 0,
            spare: Vec::new(),
            filter: None,
            batch_rows: FIRST_SCAN_BATCH_ROWS,
        }
    }

    fn refill(&mut self, context: &ExecContext<'_>) -> Result<()> {
        match &self.access.path {
            AccessPath::FullScan => {
                if self.next_row == 0 && self.refill_probed(context)? {
                    return Ok(());
                }
                self.refill_scan(context)
            }
            AccessPath::KeyRange(_) => self.refill_scan(context),
            AccessPath::KeyOrder(order) => self.refill_key_order(order, context),
            AccessPath::KeyLookup(key) => {
                self.finished = true;
                if let Some((_, row)) = lookup_key(self.access, key, context)? {
                    self.pending.push_back(row);
                }
                Ok(())
            }
            AccessPath::KeyIn(keys) => {
                self.finished = true;
                let rows = key_in_targets(self.access, keys, context)?;
                self.pending.extend(rows.into_iter().map(|(_, row)| row));
                Ok(())
            }
            AccessPath::IndexLookup { .. }
            | AccessPath::IndexIn { .. }
            | AccessPath::IndexInSet { .. }
            | AccessPath::KeyInSet(_) => {
                self.take_connection_spare(context);
                let pending = &mut self.pending;
                let spare = &mut self.spare;
                let row_capacity = self.access.read.decoder().width() + self.extra_width;
                let mut buffer = spare
                    .pop()
                    .unwrap_or_else(|| Vec::with_capacity(row_capacity));
                let found = for_each_index_row(self.access, context, &mut buffer, |_, values| {
                    // Every row is queued at once (an IN list's too): within the row cap.
                    context.check_rows(pending.len())?;
                    // The row moves into the queue; the next decodes into a recycled buffer.
                    let next = spare
                        .pop()
                        .unwrap_or_else(|| Vec::with_capacity(row_capacity));
                    pending.push_back(std::mem::replace(values, next));
                    Ok(true)
                })?;
                // The buffer no row went out in is kept (`leave_spare` passes it on).
                if self.spare.len() < SCAN_BATCH_ROWS {
                    self.spare.push(buffer);
                }
                if found {
                    self.finished = true;
                    Ok(())
                } else {
                    self.refill_scan(context)
                }
            }
            AccessPath::IndexRange(range) => {
                if self.range.is_none() {
                    let cursor =
                        index_range::RangeCursor::open_batched(self.access, range, context)?;
                    self.range = Some(cursor.map(Box::new));
                }
                self.take_connection_spare(context);
                match &mut self.range {
                    Some(Some(cursor)) => {
                        let row_capacity = self.access.read.decoder().width() + self.extra_width;
                        cursor.refill(
                            self.access,
                            context,
                            &mut self.pending,
                            &mut self.spare,
                            row_capacity,
                        )?;
                        self.finished = cursor.is_finished();
                        Ok(())
                    }
                    _ => self.refill_scan(context),
                }
            }
            // Once: when the union gives way to a scan, the scan has moved past slot 0
            // (or finished) by the next refill.
            AccessPath::OrUnion(union) if self.next_row == 0 => self.refill_union(union, context),
            AccessPath::OrUnion(_) => self.refill_scan(context),
        }
    }

    /// All the rows of an `OrUnion` access at once, or a scan's first batch when the union
    /// gives way to a scan (`exec/scan/or_union.rs`). Kept out of line: the scans' `refill`
    /// stays as it was.
    #[inline(never)]
    fn refill_union(
        &mut self,
        union: &'p crate::plan::OrUnion,
        context: &ExecContext<'_>,
    ) -> Result<()> {
        let row_capacity = self.access.read.decoder().width() + self.extra_width;
        self.take_connection_spare(context);
        let spare = &mut self.spare;
        match or_union::union_rows(self.access, union, context, row_capacity, spare)? {
            Some(rows) => {
                self.finished = true;
                self.pending.extend(rows.into_iter().map(|(_, row)| row));
                Ok(())
            }
            None => self.refill_scan(context),
        }
    }

    /// With no spare buffers of its own, takes those an earlier statement's scan left with
    /// the connection, if any (`leave_spare` gives them back).
    fn take_connection_spare(&mut self, context: &ExecContext<'_>) {
        if self.spare.is_empty() {
            if let Some(buffers) = context.buffers {
                self.spare = buffers.scan_spare.take();
            }
        }
    }

    /// Inside a correlated subquery, the rows an automatic index finds for the enclosing
    /// row (`outer_probe.rs`), all at once; false when the scan runs plain instead.
    fn refill_probed(&mut self, context: &ExecContext<'_>) -> Result<bool> {
        let access = self.access;
        let pending = &mut self.pending;
        let row_capacity = access.read.decoder().width() + self.extra_width;
        let mut buffer = Vec::with_capacity(row_capacity);
        let probed = outer_probe::with_probed_rows(access, context, &mut |ids| {
            outer_probe::read_probed(access, context, ids, &mut buffer, &mut |_, values| {
                context.check_rows(pending.len())?;
                let next = Vec::with_capacity(row_capacity);
                pending.push_back(std::mem::replace(values, next));
                Ok(true)
            })
        })?;
        self.finished |= probed;
        Ok(probed)
    }

    /// Steps the walk in key order over up to `*rows` rows undecoded, before it opens.
    pub(super) fn skip_key_order_rows(
        &mut self,
        order: &'p crate::plan::KeyOrder,
        context: &ExecContext<'_>,
        rows: &mut u64,
    ) -> Result<()> {
        // Only without a filter: every visible row is then one the walk gives.
        if self.access.filter.is_none() && self.key_order.is_none() {
            let all = ScanFilter::new(self.access, context);
            let mut cursor = KeyOrderCursor::open(self.access, order, &all, context)?;
            cursor.skip_rows(self.access, context, rows)?;
            self.finished = cursor.is_finished();
            self.key_order = Some(Box::new(cursor));
        }
        Ok(())
    }

    /// The next rows of a walk in key order (`key_order.rs`), opened at the first batch.
    fn refill_key_order(
        &mut self,
        order: &'p crate::plan::KeyOrder,
        context: &ExecContext<'_>,
    ) -> Result<()> {
        self.take_connection_spare(context);
        let access = self.access;
        let filter = self
            .filter
            .get_or_insert_with(|| ScanFilter::new(access, context));
        let cursor = match &mut self.key_order {
            Some(cursor) => cursor,
            empty => empty.insert(Box::new(KeyOrderCursor::open(
                access, order, filter, context,
            )?)),
        };
        let row_capacity = access.read.decoder().width() + self.extra_width;
        let pending = &mut self.pending;
        pending.reserve(cursor.next_batch_rows());
        cursor.refill(
            access,
            filter,
            context,
            &mut self.spare,
            row_capacity,
            &mut |_, row| pending.push_back(row),
        )?;
        self.finished = cursor.is_finished();
        Ok(())
    }

    fn refill_scan(&mut self, context: &ExecContext<'_>) -> Result<()> {
        self.take_connection_spare(context);
        let access = self.access;
        let table = &access.table.storage;
        let filter = self
            .filter
            .get_or_insert_with(|| ScanFilter::new(access, context));
        let window = key_range::direct_window(self.access, context)?;
        let mut buffer = Vec::new();
        let batch_rows = self.batch_rows;
        self.batch_rows = (batch_rows * 2).min(SCAN_BATCH_ROWS);
        while self.pending.is_empty() {
            context.check_interrupt()?;
            let Some(range) =
                table.next_scan_batch_in(self.next_row, SCAN_BATCH_SLOTS, window.clone())
            else {
                self.finished = true;
                return Ok(());
            };
            let mut failure = None;
            let pending = &mut self.pending;
            let spare = &mut self.spare;
            let row_capacity = self.access.read.decoder().width() + self.extra_width;
            self.next_row = filter.scan_batch(
                self.access,
                context,
                range,
                &mut buffer,
                &mut failure,
                |_, values| {
                    // The buffer moves into the queue; the next row decodes into a recycled
                    // one, or a fresh one with room for what the consumer appends.
                    let next = spare
                        .pop()
                        .unwrap_or_else(|| Vec::with_capacity(row_capacity));
                    pending.push_back(std::mem::replace(values, next));
                    pending.len() < batch_rows
                },
            )?;
            if let Some(error) = failure {
                return Err(error);
            }
        }
        Ok(())
    }
}

impl ScanOperator<'_> {
    /// At the end of the scan, leaves its spare buffers (emptied) with the connection for
    /// the next statement's scan, unless the connection already keeps more.
    pub(super) fn leave_spare(&mut self, context: &ExecContext<'_>) {
        let Some(buffers) = context.buffers else {
            return;
        };
        if self.spare.is_empty() {
            return;
        }
        let kept = buffers.scan_spare.take();
        if kept.len() >= self.spare.len() {
            buffers.scan_spare.set(kept);
            return;
        }
        let mut spare = std::mem::take(&mut self.spare);
        debug_assert!(spare.len() <= SCAN_BATCH_ROWS);
        for row in &mut spare {
            // No value outlives the statement; the capacity stays.
            row.clear();
        }
        buffers.scan_spare.set(spare);
    }
}

impl Operator for ScanOperator<'_> {
    fn next(&mut self, context: &ExecContext<'_>) -> Result<Option<Row>> {
        if let (AccessPath::KeyLookup(key), false) = (&self.access.path, self.finished) {
            // At most one row: hand it over without queueing it.
            self.finished = true;
            return Ok(lookup_key(self.access, key, context)?.map(|(_, row)| row));
        }
        if self.pending.is_empty() && !self.finished {
            self.refill(context)?;
        }
        let row = self.pending.pop_front();
        if row.is_none() {
            self.leave_spare(context);
        }
        Ok(row)
    }

    fn reserve_extra_width(&mut self, extra: usize) {
        self.extra_width = extra;
    }

    fn recycle(&mut self, mut row: Row) {
        if self.spare.len() < SCAN_BATCH_ROWS {
            // Kept at the decoded width: the next decode overwrites the values in place.
            row.truncate(self.access.read.decoder().width());
            self.spare.push(row);
        }
    }

    fn rewind(&mut self) -> bool {
        // Everything read from the context (the filter compiled with an enclosing row's
        // values, the key bounds, the cursors) is made again at the next row; the spare
        // buffers stay.
        self.next_row = 0;
        self.pending.clear();
        self.finished = false;
        self.range = None;
        self.key_order = None;
        self.filter = None;
        self.batch_rows = FIRST_SCAN_BATCH_ROWS;
        true
    }
}

/// Calls `visit` with every row (id and values) of a full scan of `access` (or of its index
/// range, or key-order walk) that passes its filter, in slot order (index order, key
/// order), decoded into one reused buffer (only the columns the access reads). Checks for
/// an interrupt once per batch of slots; stops at the first error.
pub fn for_each_row(
    access: &TableAccess,
    context: &ExecContext<'_>,
    mut visit: impl FnMut(RowId, &[Value]) -> Result<()>,
) -> Result<()> {
    if let AccessPath::IndexRange(range) = &access.path {
        if index_range::for_each_range_row(access, range, context, &mut visit)? {
            return Ok(());
        }
    }
    if let AccessPath::KeyOrder(order) = &access.path {
        return key_order::for_each_key_order_row(access, order, context, &mut visit);
    }
    let mut buffer = Vec::new();
    let probed = outer_probe::with_probed_rows(access, context, &mut |ids| {
        outer_probe::read_probed(access, context, ids, &mut buffer, &mut |row, values| {
            visit(row, values)?;
            Ok(true)
        })
    })?;
    if probed {
        return Ok(());
    }
    scan_slots(access, access.read.decoder(), context, visit)
}

/// Calls `visit` with every row of a full scan of `access` that passes its filter, in slot
/// order, decoded with `decoder` into one reused buffer; checks for an interrupt once per
/// batch of slots; stops at the first error.
pub fn scan_slots(
    access: &TableAccess,
    decoder: &ember_storage::row::RowDecoder,
    context: &ExecContext<'_>,
    mut visit: impl FnMut(RowId, &[Value]) -> Result<()>,
) -> Result<()> {
    let table = &access.table.storage;
    let filter = ScanFilter::new(access, context);
    let mut buffer = Vec::new();
    key_range::for_each_slot_batch(access, context, |range| {
        let mut failure = None;
        let mut visit_failure = None;
        let next_row = if std::ptr::eq(decoder, access.read.decoder()) {
            filter.scan_batch(
                access,
                context,
                range,
                &mut buffer,
                &mut failure,
                |row, values| match visit(row, values) {
                    Ok(()) => true,
                    Err(error) => {
                        visit_failure = Some(error);
                        false
                    }
                },
            )?
        } else {
            // Another decoder (one that reads more columns): the filter runs on each row.
            let predicate = access
                .filter
                .as_ref()
                .map(|f| Predicate::new(f, &context.eval));
            context
                .txn
                .scan_batch_decoded(table, range, decoder, &mut buffer, |row, values| {
                    let outcome = match &predicate {
                        None => visit(row, values),
                        Some(predicate) => match predicate.matches(values, &context.eval) {
                            Ok(true) => visit(row, values),
                            Ok(false) => Ok(()),
                            Err(error) => Err(error),
                        },
                    };
                    match outcome {
                        Ok(()) => true,
                        Err(error) => {
                            failure = Some(error);
                            false
                        }
                    }
                })?
        };
        match failure.or(visit_failure) {
            Some(error) => Err(error),
            None => Ok(next_row),
        }
    })
}

/// Finds the row whose primary key equals `key` and that passes the access filter.
pub fn lookup_key(
    access: &TableAccess,
    key: &[crate::expr::Expr],
    context: &ExecContext<'_>,
) -> Result<Option<(RowId, Row)>> {
    let mut row = Vec::with_capacity(access.table.columns.len());
    let found = lookup_key_into(access, key, context, &mut row)?;
    Ok(found.map(|row_id| (row_id, row)))
}

/// `lookup_key` decoding into `row` (overwritten: a buffer of the table's width is decoded
/// in place), which the caller may reuse; the row id of the row found, `None` (and `row`
/// unspecified) when there is none.
pub fn lookup_key_into(
    access: &TableAccess,
    key: &[crate::expr::Expr],
    context: &ExecContext<'_>,
    row: &mut Row,
) -> Result<Option<RowId>> {
    let table = &access.table;
    let Some((index_key, exact)) = primary_key_of(table, key, context)? else {
        return Ok(None);
    };
    let read =
        context
            .txn
            .read_key_decoded(&table.storage, &index_key, access.read.decoder(), row)?;
    let Some(row_id) = read else {
        return Ok(None);
    };
    let recheck = match (&access.key_residual, exact) {
        (Some(residual), true) => residual.as_ref().as_ref(),
        _ => access.filter.as_ref(),
    };
    if let Some(filter) = recheck {
        if !filter.matches(row, &context.eval)? {
            return Ok(None);
        }
    }
    Ok(Some(row_id))
}

/// The primary-key index key `key` evaluates to (coerced to the key columns' types), or
/// `None` when no stored row can have it; with whether every key value is one its column
/// holds as it is (`holds_as_is`: then a row found under the key satisfies `column = value`
/// exactly).
/// A single-column key needs no allocation.
fn primary_key_of(
    table: &TableDef,
    key: &[Expr],
    context: &ExecContext<'_>,
) -> Result<Option<(IndexKey, bool)>> {
    let mut exact = true;
    let key_collations = table.storage.key_collations();
    let mut key_value = |value: Value, position: usize, column: usize| -> Option<Value> {
        let definition = &table.columns[column];
        exact &= holds_as_is(&value, definition.data_type)
            && (binary_keyed(key_collations, position) || !matches!(value, Value::Text(_)));
        // A value that cannot be stored in the key column cannot equal any stored key.
        match coerce_to_column(value, definition) {
            Ok(Value::Null) | Err(_) => None,
            Ok(value) => Some(value),
        }
    };
    if let ([expr], [column]) = (key, table.primary_key.as_slice()) {
        let data_type = table.columns[*column].data_type;
        if let Some(value) = constant_in_place(expr, context) {
            if let (Value::Integer(int), DataType::Integer) = (value, data_type) {
                return Ok(Some((IndexKey::Int(*int), true)));
            }
            if holds_as_is(value, data_type) {
                // Needs no coercion and finds the key exactly (a text read in place, under
                // a BINARY key).
                let exact = binary_keyed(key_collations, 0) || !matches!(value, Value::Text(_));
                return Ok(table
                    .storage
                    .key_from_values([value])
                    .map(|key| (key, exact)));
            }
        }
        let value = expr.eval(&[], &context.eval)?;
        if let (Value::Integer(int), DataType::Integer) = (&value, data_type) {
            // An integer needs no coercion to an INTEGER column and finds it exactly.
            return Ok(Some((IndexKey::Int(*int), true)));
        }
        let index_key =
            key_value(value, 0, *column).and_then(|value| table.storage.key_from_values([&value]));
        return Ok(index_key.map(|index_key| (index_key, exact)));
    }
    let mut key_values: Vec<Value> = Vec::with_capacity(key.len());
    for (position, (expr, &column)) in key.iter().zip(&table.primary_key).enumerate() {
        match key_value(expr.eval(&[], &context.eval)?, position, column) {
            Some(value) => key_values.push(value),
            None => return Ok(None),
        }
    }
    Ok(table
        .storage
        .key_from_values(&key_values)
        .map(|index_key| (index_key, exact)))
}

/// The rows whose primary key is one of `keys` and that pass the filter, each once.
fn key_in_targets(
    access: &TableAccess,
    keys: &[Vec<Expr>],
    context: &ExecContext<'_>,
) -> Result<Vec<(RowId, Row)>> {
    let mut targets: Vec<(RowId, Row)> = Vec::new();
    let mut seen = std::collections::HashSet::with_capacity(keys.len());
    // The keys in the order SQLite probes an IN list (sorted, `in_list_order`).
    let table = &access.table;
    let columns: Vec<Option<usize>> = table.primary_key.iter().map(|&c| Some(c)).collect();
    let sorted = in_list_order::in_list_order(table, &columns, keys, context)?;
    for key in &sorted {
        if let Some((row_id, row)) = lookup_key(access, key, context)? {
            if seen.insert(row_id) {
                context.check_rows(targets.len())?;
                targets.push((row_id, row));
            }
        }
    }
    Ok(targets)
}

/// Whether part `position` of a key under `collations` (empty: all BINARY) is keyed by its
/// raw value: a text probe then finds exactly the rows whose text equals it byte for byte.
/// Under NOCASE or RTRIM it finds every text equal under the collation, which a BINARY
/// comparison (a bare column: `optimize::key_residual` counts it as decided) must recheck.
fn binary_keyed(collations: &[KeyCollation], position: usize) -> bool {
    collations
        .get(position)
        .is_none_or(|&collation| collation == KeyCollation::Binary)
}

/// A literal's, bound parameter's or enclosing row's column's value (constant while a
/// correlated subquery runs for that row), borrowed (`None` for any other expression, or
/// one with no value: `eval` reports that).
fn constant_in_place<'e>(expr: &'e Expr, context: &'e ExecContext<'_>) -> Option<&'e Value> {
    match expr {
        Expr::Literal(value) => Some(value),
        Expr::Parameter(index) => context.eval.params.get(*index),
        Expr::OuterColumn { level, index, .. } => context
            .eval
            .outer
            .and_then(|frame| frame.value(*level, *index)),
        _ => None,
    }
}
