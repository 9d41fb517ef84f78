//! UPDATE and DELETE through a storage transaction, and the row checks INSERT shares (coercion
//! to column types, NOT NULL) and its error messages. Storage enforces the primary key and
//! the unique indexes (UNIQUE constraints are unique indexes), race-free against concurrent
//! transactions. Targets are collected before any change, so a statement never sees its own
//! writes.

use std::borrow::Cow;

use ember_storage::{RowId, StorageErrorKind, Transaction, Value, WritePin};

use crate::catalog::{TableDef, TriggerEventKind};
use crate::error::{Error, Result};
use crate::expr::{
    coerce_to_column, fits_column, ChangeCounters, Computed, Expr, StatementEnv, SubqueryRuntime,
};
use crate::plan::{OnConflict, Returning, TableAccess, UpdateFrom};

use super::super::scan::targets::{collect_targets, targets_at_most, visit_targets};
use super::super::{ExecContext, RowSink};
use super::constraint::RowGuard;
use super::returning::{written_rows_charge, WrittenRows};
use super::trigger::RowTriggers;
use super::update_or::{in_key_order, Occupant, Resolution};

/// The value of a column that a row does not give (borrowed by rows under construction).
pub(super) static NULL: Value = Value::Null;

/// An UPDATE to run: what `Plan::Update` holds besides RETURNING.
pub struct UpdateStatement<'p> {
    pub target: &'p TableAccess,
    pub assignments: &'p [(usize, Expr)],
    pub on_conflict: OnConflict,
    pub from: Option<&'p UpdateFrom>,
}

/// Applies the assignments to every row the target reaches (with FROM, to every row that
/// joins a FROM row, reading that row); returns the row count (and records it in the
/// connection's counters). The target rows hold only the columns the assignments and the
/// filter read (`optimize::prune_update`; every column with RETURNING, whose rows, the new
/// values, go to `sink`, with FROM or with OR REPLACE): storage writes just the assigned
/// columns into a copy of each row's encoded image (`Transaction::update_columns`), so the
/// others are never decoded.
pub fn update(
    txn: &mut Transaction,
    statement: &UpdateStatement<'_>,
    returning: Option<&Returning>,
    env: StatementEnv<'_>,
    sink: &mut RowSink<'_>,
) -> Result<usize> {
    let mut done = 0;
    let updated = update_rows(txn, statement, returning, env, sink, &mut done);
    if let Some(counters) = env.counters {
        record_changes(counters, statement.on_conflict, &updated, done);
    }
    updated
}

/// Records a DML statement's `changes()`: its row count, 0 after a failure, except that OR
/// FAIL keeps the `done` rows written before the failure and counts them, as in SQLite (a
/// FOREIGN KEY failure undoes the statement).
pub(super) fn record_changes(
    counters: &ChangeCounters,
    on_conflict: OnConflict,
    outcome: &Result<usize>,
    done: usize,
) {
    match outcome {
        Err(error) if on_conflict.keeps_changes(error) => counters.statement_changed(done),
        outcome => counters.record(outcome),
    }
}

fn update_rows(
    txn: &mut Transaction,
    statement: &UpdateStatement<'_>,
    returning: Option<&Returning>,
    env: StatementEnv<'_>,
    sink: &mut RowSink<'_>,
    done: &mut usize,
) -> Result<usize> {
    let (target, assignments) = (statement.target, statement.assignments);
    let table = &target.table;
    let assigned = |column: usize| assignments.iter().any(|(c, _)| *c == column);
    let guard = RowGuard::for_update(table, &env, &assigned)?;
    // UPDATE triggers (those with `UPDATE OF` only when a column they name is assigned).
    let assigned_name = |name: &str| {
        assignments
            .iter()
            .any(|(column, _)| table.columns[*column].name.eq_ignore_ascii_case(name))
    };
    let triggers = RowTriggers::find(&env, table, TriggerEventKind::Update, &assigned_name);
    let plain = statement.on_conflict == OnConflict::Abort && statement.from.is_none();
    if guard.is_none() && returning.is_none() && plain && triggers.is_none() {
        return update_plain(txn, (target, assignments), env);
    }
    let width = assignments.len();
    let (mut targets, mut changes) = match statement.from {
        None => new_values(txn, (target, assignments), env)?,
        Some(from) => super::update_from::joined_values(txn, (target, assignments), from, env)?,
    };
    if statement.on_conflict != OnConflict::Abort || triggers.is_some() {
        // Which rows a conflict clause keeps, and what triggers see, depend on the order
        // the rows are written in: SQLite's is rowid order.
        (targets, changes) = in_key_order(table, targets, changes, width);
    }
    let mut resolution = match statement.on_conflict {
        OnConflict::Abort => None,
        on_conflict => {
            let from = statement.from.is_some();
            Some(Resolution::new(
                txn,
                table,
                on_conflict,
                (assignments, from),
                env,
            )?)
        }
    };
    let in_column_order = assignments.windows(2).all(|pair| pair[0].0 < pair[1].0);
    let mut written_rows = returning.map(|_| WrittenRows::new(&env, written_rows_charge(&env)));
    let updated = done;
    // `max(1)`: without assignments every chunk is empty (and `chunks_exact` wants a size).
    let mut chunks = changes.chunks_exact_mut(width.max(1));
    let outcome = (|| -> Result<()> {
        for (target_id, target_row) in &mut targets {
            let row_changes = match width {
                0 => &mut [],
                _ => chunks.next().expect("one chunk per target row"),
            };
            if !in_column_order {
                row_changes.sort_unstable_by_key(|(position, _)| *position);
            }
            let mut moved;
            let (mut row_id, mut old_row) = (*target_id, &*target_row);
            if let Some(triggers) = &triggers {
                if !fire_before_update(
                    txn,
                    (target, triggers),
                    (row_id, old_row),
                    row_changes,
                    env,
                )? {
                    continue;
                }
            }
            let still_there = match &mut resolution {
                Some(resolution) => {
                    let target = (row_id, old_row.as_slice(), &*row_changes);
                    let row_changes = match resolution.occupant(txn, target, env)? {
                        Occupant::Gone => continue,
                        Occupant::Same => row_changes,
                        Occupant::Moved(id, row, changes) => {
                            moved = (row, changes);
                            (row_id, old_row) = (id, &moved.0);
                            &mut moved.1
                        }
                    };
                    let row = (row_id, old_row.as_slice());
                    let written = resolution.write_row(txn, guard.as_ref(), row, row_changes)?;
                    *updated += usize::from(written);
                    if let (Some(triggers), true) = (&triggers, written) {
                        let new = new_row(old_row, row_changes);
                        triggers.after(txn, env, Some(old_row), Some(&new))?;
                    }
                    if let (Some(rows), true) = (&mut written_rows, written) {
                        rows.push(new_row(old_row, row_changes))?;
                    }
                    continue;
                }
                None => {
                    *updated += 1;
                    let there = write_changes(txn, table, guard.as_ref(), row_id, row_changes)?;
                    if let (Some(triggers), true) = (&triggers, there) {
                        let new = new_row(old_row, row_changes);
                        triggers.after(txn, env, Some(old_row), Some(&new))?;
                    }
                    there
                }
            };
            if let (Some(written), true) = (&mut written_rows, still_there) {
                // Nothing reads the old row or its changes again: they become the new row.
                let mut new_row = std::mem::take(target_row);
                for (position, value) in row_changes.iter_mut() {
                    new_row[*position] = std::mem::replace(value, Value::Null);
                }
                written.push(new_row)?;
            }
        }
        Ok(())
    })();
    let keeps = matches!(&outcome, Err(error) if statement.on_conflict.keeps_changes(error));
    if let (true, Some(guard)) = (keeps, &guard) {
        // OR FAIL keeps the rows before the failure: their foreign keys must hold (if not,
        // that error wins and the statement is undone, as in SQLite).
        guard.finish(txn)?;
    }
    outcome?;
    guard.map_or(Ok(()), |guard| guard.finish(txn))?;
    if let (Some(written), Some(returning)) = (written_rows, returning) {
        written.emit(txn, env, returning, sink)?;
    }
    Ok(*updated)
}

/// Fires the BEFORE UPDATE triggers for one target row; false when the row is not to be
/// updated (a trigger ended in `RAISE(IGNORE)` or deleted the row).
fn fire_before_update(
    txn: &mut Transaction,
    (target, triggers): (&TableAccess, &RowTriggers<'_>),
    (row_id, old_row): (RowId, &[Value]),
    row_changes: &[(usize, Value)],
    env: StatementEnv<'_>,
) -> Result<bool> {
    if !triggers.has_before() {
        return Ok(true);
    }
    let new = triggers.new_row_before(&new_row(old_row, row_changes));
    Ok(triggers.before(txn, env, Some(old_row), Some(&new))?
        && super::trigger::still_there(txn, target, row_id)?)
}

/// `row` with `changes` applied.
fn new_row(row: &[Value], changes: &[(usize, Value)]) -> super::super::Row {
    let mut new_row = row.to_vec();
    for (position, value) in changes {
        new_row[*position] = value.clone();
    }
    new_row
}

/// Checks and writes one row's changes under ABORT; false when a cascade of this statement
/// already deleted the row.
fn write_changes(
    txn: &mut Transaction,
    table: &TableDef,
    guard: Option<&RowGuard<'_>>,
    row_id: ember_storage::RowId,
    row_changes: &mut [(usize, Value)],
) -> Result<bool> {
    check_changes(table, row_changes)?;
    match guard {
        // CHECK, and the foreign keys the row holds or that reference it.
        Some(guard) => guard.update_row(txn, row_id, row_changes),
        None => {
            txn.update_columns(&table.storage, row_id, row_changes)
                .map_err(|e| storage_error(table, e))?;
            Ok(true)
        }
    }
}

/// The rows a statement targets: their ids and values.
pub(super) type Targets = Vec<(ember_storage::RowId, super::super::Row)>;

/// The rows an UPDATE targets and their new values: `width` (column, value) pairs per
/// target row. Every new value is computed before any is written: assignments may run
/// subqueries, which must see the table as it was before the statement.
#[inline(always)]
fn new_values(
    txn: &Transaction,
    (target, assignments): (&TableAccess, &[(usize, Expr)]),
    env: StatementEnv<'_>,
) -> Result<(Targets, Vec<(usize, Value)>)> {
    let runtime = SubqueryRuntime::new(txn, env);
    let context = ExecContext::new(&runtime);
    let targets = collect_targets(target, &context)?;
    let mut changes: Vec<(usize, Value)> = Vec::with_capacity(targets.len() * assignments.len());
    let mut values = compiled_values(assignments, &context);
    for (_, row) in &targets {
        for ((position, _), value) in assignments.iter().zip(&mut values) {
            changes.push((*position, value.eval(row, &context.eval)?));
        }
    }
    Ok((targets, changes))
}

/// The assignments' expressions, their arithmetic and scalar functions compiled once for
/// all the target rows (a literal or parameter evaluated once).
fn compiled_values<'e>(
    assignments: &'e [(usize, Expr)],
    context: &ExecContext<'_>,
) -> Vec<AssignedValue<'e>> {
    assignments
        .iter()
        .map(|(_, expr)| AssignedValue::new(expr, context))
        .collect()
}

/// How an assignment's value is computed for each target row.
enum AssignedValue<'e> {
    /// The same for every row: a literal or a parameter (under the binder's affinity, if
    /// any), evaluated when the assignments were compiled; cloned per row.
    Constant(Value),
    Computed(Computed<'e>),
}

impl<'e> AssignedValue<'e> {
    fn new(expr: &'e Expr, context: &ExecContext<'_>) -> AssignedValue<'e> {
        let leaf = match expr {
            Expr::Affinity { expr, .. } => expr.as_ref(),
            other => other,
        };
        if matches!(leaf, Expr::Literal(_) | Expr::Parameter(_)) {
            // A failure is left to the per-row evaluation, which reports it as before.
            if let Ok(value) = expr.eval(&[], &context.eval) {
                return AssignedValue::Constant(value);
            }
        }
        AssignedValue::Computed(Computed::new(expr, &context.eval))
    }

    #[inline]
    fn eval(&mut self, row: &[Value], context: &crate::expr::EvalContext<'_>) -> Result<Value> {
        match self {
            AssignedValue::Constant(value) => Ok(value.clone()),
            AssignedValue::Computed(computed) => computed.eval(row, context),
        }
    }
}

/// Each target row's new values, `(column, value)` per assignment, row after row.
type Changes = Vec<(usize, Value)>;

/// `new_values` keeping only each target's row id (nothing reads the old rows after): the
/// new values are computed as each row is decoded, into one reused buffer. The lists are
/// `lists`, emptied first (kept by the connection from its last UPDATE: no allocation).
fn new_values_by_id(
    txn: &Transaction,
    (target, assignments): (&TableAccess, &[(usize, Expr)]),
    env: StatementEnv<'_>,
    lists: &mut UpdateLists,
) -> Result<()> {
    let runtime = SubqueryRuntime::new(txn, env);
    let context = ExecContext::new(&runtime);
    let expected = targets_at_most(target, &context)?;
    let UpdateLists {
        targets, changes, ..
    } = lists;
    targets.clear();
    changes.clear();
    targets.reserve(expected);
    changes.reserve(expected * assignments.len());
    // Compiled at the second target: one row (a key lookup's) is not worth compiling for.
    let mut values: Option<Vec<AssignedValue<'_>>> = None;
    visit_targets(target, &context, &mut |row_id, row| {
        match (&mut values, targets.is_empty()) {
            (None, true) => {
                for (position, expr) in assignments {
                    changes.push((*position, expr.eval(row, &context.eval)?));
                }
            }
            (values, _) => {
                let values = values.get_or_insert_with(|| compiled_values(assignments, &context));
                for ((position, _), value) in assignments.iter().zip(values) {
                    changes.push((*position, value.eval(row, &context.eval)?));
                }
            }
        }
        targets.push(row_id);
        Ok(())
    })
}

/// A plain UPDATE's target row ids and their new values (`width` pairs per target, row
/// after row), which the connection keeps emptied between statements (`RowBuffers`); an
/// upsert's scratch row and DO UPDATE values (`upsert.rs`) use them too.
#[derive(Default)]
pub(crate) struct UpdateLists {
    targets: Vec<RowId>,
    pub(super) changes: Changes,
    pub(super) row: Vec<Value>,
}

/// The most entries of capacity each list a connection keeps (`UpdateLists`) may have:
/// 256 KiB of row ids, 1 MiB of new values; a larger UPDATE's lists are freed.
const UPDATE_LISTS_KEPT_MAX: usize = 1 << 15;

impl UpdateLists {
    /// The connection's kept lists (new ones without a connection, or while another
    /// statement of it holds them).
    pub(super) fn take(env: &StatementEnv<'_>) -> UpdateLists {
        env.buffers
            .map(|buffers| buffers.update_lists.take())
            .unwrap_or_default()
    }

    /// Gives the lists back to the connection, emptied (their new values dropped), but for
    /// the scratch row's values when their texts and blobs are small: the next upsert of
    /// the table writes its literals into those buffers (`upsert::assign_constant`).
    pub(super) fn keep(mut self, env: &StatementEnv<'_>) {
        self.targets.clear();
        self.changes.clear();
        if self.row.iter().map(heap_bytes).sum::<usize>() > ROW_VALUE_BYTES_KEPT_MAX {
            self.row.clear();
        }
        let capacity = self.targets.capacity().max(self.changes.capacity());
        let small = capacity.max(self.row.capacity()) <= UPDATE_LISTS_KEPT_MAX;
        if let (Some(buffers), true) = (env.buffers, small) {
            buffers.update_lists.set(self);
        }
    }
}

/// The most bytes of text and blob buffers a kept scratch row may hold (`UpdateLists`).
const ROW_VALUE_BYTES_KEPT_MAX: usize = 4096;

/// The heap bytes `value` holds.
fn heap_bytes(value: &Value) -> usize {
    match value {
        Value::Text(text) => text.capacity(),
        Value::Blob(blob) => blob.capacity(),
        _ => 0,
    }
}

/// UPDATE without RETURNING, CHECK or foreign keys to enforce: the common case, kept small
/// so it inlines as it did before those clauses existed.
fn update_plain(
    txn: &mut Transaction,
    (target, assignments): (&TableAccess, &[(usize, Expr)]),
    env: StatementEnv<'_>,
) -> Result<usize> {
    let mut lists = UpdateLists::take(&env);
    let updated = update_listed(txn, (target, assignments), env, &mut lists);
    lists.keep(&env);
    updated
}

/// `update_plain` with the connection's lists.
#[inline(always)]
fn update_listed(
    txn: &mut Transaction,
    (target, assignments): (&TableAccess, &[(usize, Expr)]),
    env: StatementEnv<'_>,
    lists: &mut UpdateLists,
) -> Result<usize> {
    let table = &target.table;
    let width = assignments.len();
    new_values_by_id(txn, (target, assignments), env, lists)?;
    let UpdateLists {
        targets, changes, ..
    } = lists;
    txn.reserve_row_writes(targets.len());
    let in_column_order = assignments.windows(2).all(|pair| pair[0].0 < pair[1].0);
    let mut chunks = changes.chunks_exact_mut(width.max(1));
    let mut pin = WritePin::for_rows(targets.len());
    for row_id in targets.iter() {
        let row_changes = match (width, chunks.next()) {
            (0, _) => &mut [],
            (_, Some(row_changes)) => row_changes,
            (_, None) => return Err(crate::err!(Internal, "an UPDATE target without values")),
        };
        if !in_column_order {
            row_changes.sort_unstable_by_key(|(position, _)| *position);
        }
        check_changes(table, row_changes)?;
        txn.update_columns(&table.storage, *row_id, row_changes)
            .map_err(|e| storage_error(table, e))?;
        pin.row_written();
    }
    Ok(targets.len())
}

/// Deletes every row `target` reaches (with RETURNING, handing the deleted rows' results
/// to `sink`); returns the row count and records it in the connection's counters.
pub fn delete(
    txn: &mut Transaction,
    target: &TableAccess,
    returning: Option<&Returning>,
    env: StatementEnv<'_>,
    sink: &mut RowSink<'_>,
) -> Result<usize> {
    let deleted = delete_rows(txn, target, returning, env, sink);
    if let Some(counters) = env.counters {
        counters.record(&deleted);
    }
    deleted
}

fn delete_rows(
    txn: &mut Transaction,
    target: &TableAccess,
    returning: Option<&Returning>,
    env: StatementEnv<'_>,
    sink: &mut RowSink<'_>,
) -> Result<usize> {
    let guard = RowGuard::for_delete(&target.table, &env)?;
    let table = &target.table;
    if let Some(triggers) = RowTriggers::find(&env, table, TriggerEventKind::Delete, &|_| true) {
        let target = (target, guard.as_ref());
        return super::trigger::delete_with_triggers(txn, target, &triggers, returning, env, sink);
    }
    let Some(returning) = returning else {
        // Only the row ids are kept, in the connection's kept list (no copy of any row).
        let mut lists = UpdateLists::take(&env);
        let deleted = delete_listed(txn, target, guard.as_ref(), env, &mut lists.targets);
        lists.keep(&env);
        let deleted = deleted?;
        guard.map_or(Ok(()), |guard| guard.finish(txn))?;
        return Ok(deleted);
    };
    let targets = {
        let runtime = SubqueryRuntime::new(txn, env);
        collect_targets(target, &ExecContext::new(&runtime))?
    };
    for (row_id, _) in &targets {
        delete_target(txn, target, guard.as_ref(), *row_id)?;
    }
    guard.map_or(Ok(()), |guard| guard.finish(txn))?;
    let deleted = targets.len();
    let mut written = WrittenRows::new(&env, written_rows_charge(&env));
    for (_, row) in targets {
        written.push(row)?;
    }
    written.emit(txn, env, returning, sink)?;
    Ok(deleted)
}

/// Runs `Plan::DeleteAll`: deletes every row of the target's table the transaction sees,
/// as one bulk write of storage (`Transaction::delete_visible_rows`): no row is read or
/// listed. The optimizer chose it for a table with nothing to do per row
/// (`optimize/truncate.rs`). Returns the row count and records it in the connection's
/// counters; the statement's row limit and interrupt apply as they do to a listed delete.
pub fn delete_all(
    txn: &mut Transaction,
    target: &TableAccess,
    env: StatementEnv<'_>,
) -> Result<usize> {
    debug_assert!(
        target.reaches_every_row(),
        "a whole-table delete scans every row"
    );
    debug_assert!(
        RowTriggers::find(&env, &target.table, TriggerEventKind::Delete, &|_| true).is_none(),
        "the optimizer keeps the general delete for a table with DELETE triggers"
    );
    let deleted = delete_every_row(txn, target, env);
    if let Some(counters) = env.counters {
        counters.record(&deleted);
    }
    deleted
}

fn delete_every_row(
    txn: &mut Transaction,
    target: &TableAccess,
    env: StatementEnv<'_>,
) -> Result<usize> {
    let deleted = txn.delete_visible_rows(
        &target.table.storage,
        |done| {
            if done % ROWS_PER_INTERRUPT_CHECK == 0 {
                env.check_interrupt()?;
            }
            super::insert::check_rows_max(done as usize + 1, env.rows_max)
        },
        |error| storage_error(&target.table, error),
    )?;
    // Rows claimed are rows in memory: the count fits a usize.
    Ok(usize::try_from(deleted).unwrap_or(usize::MAX))
}

/// Rows a bulk delete claims between two checks for an interrupt.
const ROWS_PER_INTERRUPT_CHECK: u64 = 1024;

/// Deletes every row `target` reaches, its ids listed in `row_ids` (emptied first) before
/// the first is deleted; returns the row count.
fn delete_listed(
    txn: &mut Transaction,
    target: &TableAccess,
    guard: Option<&RowGuard<'_>>,
    env: StatementEnv<'_>,
    row_ids: &mut Vec<RowId>,
) -> Result<usize> {
    row_ids.clear();
    {
        let runtime = SubqueryRuntime::new(txn, env);
        let context = ExecContext::new(&runtime);
        row_ids.reserve(targets_at_most(target, &context)?);
        visit_targets(target, &context, &mut |row_id, _| {
            row_ids.push(row_id);
            Ok(())
        })?;
    }
    let mut pin = WritePin::for_rows(row_ids.len());
    for row_id in row_ids.iter() {
        delete_target(txn, target, guard, *row_id)?;
        pin.row_written();
    }
    Ok(row_ids.len())
}

/// Deletes one target row (through `guard`, which enforces the foreign keys referencing
/// it, when the table has any).
pub(super) fn delete_target(
    txn: &mut Transaction,
    target: &TableAccess,
    guard: Option<&RowGuard<'_>>,
    row_id: RowId,
) -> Result<()> {
    if let Some(guard) = guard {
        guard.delete_row(txn, row_id)?;
        return Ok(());
    }
    txn.delete(&target.table.storage, row_id)
        .map_err(|e| storage_error(&target.table, e))
}

/// The default INSERT OR REPLACE puts in the place of `value` in `column`, as SQLite does:
/// the column's default when the column is NOT NULL and `value` is NULL; `None` otherwise
/// (a column without a default then fails as under ABORT).
pub(super) fn replace_default<'c>(
    column: &'c crate::catalog::ColumnDef,
    value: &Value,
) -> Option<&'c crate::expr::Expr> {
    (column.not_null && value.is_null())
        .then_some(column.default.as_ref())
        .flatten()
}

/// What the NOT NULL constraints declaring a conflict clause do with a row (under
/// `OnConflict::Declared`): `declared_nulls`.
pub(super) enum DeclaredNulls {
    /// A NULL column's constraint declares IGNORE: the row is skipped.
    Skip,
    /// Write the row with these columns given their defaults (NULL columns whose
    /// constraint declares REPLACE); `failing`: how the first NULL column that stays NULL
    /// fails (the row check reports it).
    Write {
        defaults: Vec<usize>,
        failing: OnConflict,
    },
}

/// Under `Declared`, what `table`'s NOT NULL constraints do with a row whose column `c` is
/// NULL when `is_null(c)`, column by column as SQLite checks them: a constraint declaring
/// REPLACE puts the column's default in (without a default it fails as ABORT), IGNORE
/// skips the row, and the first that fails stops the walk.
pub(super) fn declared_nulls(table: &TableDef, is_null: impl Fn(usize) -> bool) -> DeclaredNulls {
    let mut defaults = Vec::new();
    for (position, column) in table.columns.iter().enumerate() {
        if !column.not_null || !is_null(position) {
            continue;
        }
        match OnConflict::Declared.for_not_null(table, position) {
            OnConflict::Ignore => return DeclaredNulls::Skip,
            OnConflict::Replace if column.default.is_some() => defaults.push(position),
            OnConflict::Replace => {
                return DeclaredNulls::Write {
                    defaults,
                    failing: OnConflict::Abort,
                }
            }
            failing => return DeclaredNulls::Write { defaults, failing },
        }
    }
    DeclaredNulls::Write {
        defaults,
        failing: OnConflict::Abort,
    }
}

/// Whether `error` is a NOT NULL failure (which INSERT OR IGNORE skips, as SQLite does).
pub(super) fn is_not_null(error: &Error) -> bool {
    error.kind() == crate::ErrorKind::Constraint && error.message().starts_with("NOT NULL")
}

/// Computes the generated columns, coerces every value to its column's type (in place)
/// and checks NOT NULL.
pub(super) fn check_row(table: &TableDef, row: &mut [Cow<'_, Value>]) -> Result<()> {
    debug_assert_eq!(row.len(), table.columns.len());
    super::generated::fill_generated_cow(table, row)?;
    for (slot, column) in row.iter_mut().zip(&table.columns) {
        if !fits_column(slot, column) {
            let value = std::mem::replace(slot, Cow::Borrowed(&NULL)).into_owned();
            *slot = Cow::Owned(coerce_to_column(value, column)?);
        }
        if slot.is_null() && column.not_null {
            return Err(not_null_error(table, &column.name));
        }
    }
    Ok(())
}

/// `check_row` for the assigned columns of an UPDATE (the others were checked when written).
#[inline(always)]
pub(super) fn check_changes(table: &TableDef, changes: &mut [(usize, Value)]) -> Result<()> {
    for (position, slot) in changes.iter_mut() {
        let column = &table.columns[*position];
        if !fits_column(slot, column) {
            let value = std::mem::replace(slot, Value::Null);
            *slot = coerce_to_column(value, column)?;
        }
        if slot.is_null() && column.not_null {
            return Err(not_null_error(table, &column.name));
        }
    }
    Ok(())
}

pub(super) fn not_null_error(table: &TableDef, column: &str) -> Error {
    crate::err!(
        Constraint,
        "NOT NULL constraint failed: {}.{column}",
        table.name
    )
}

fn unique_error(table: &TableDef, columns: &[usize]) -> Error {
    let names: Vec<String> = columns
        .iter()
        .map(|&c| format!("{}.{}", table.name, table.columns[c].name))
        .collect();
    crate::err!(Constraint, "UNIQUE constraint failed: {}", names.join(", "))
}

/// Maps a storage error, naming the key's columns for unique violations (SQLite's words).
pub(super) fn storage_error(table: &TableDef, error: ember_storage::StorageError) -> Error {
    if error.kind == StorageErrorKind::UniqueViolation {
        return match error.index.as_deref() {
            None => unique_error(table, &table.primary_key),
            Some(name) => match table.index(name) {
                Some(index) if !index.on_expressions() => unique_error(table, &index.columns),
                // An index on expressions (or one gone): SQLite names the index.
                _ => crate::err!(Constraint, "UNIQUE constraint failed: index '{name}'"),
            },
        };
    }
    let mut error = error;
    // The storage layer knows the table by id only; the message names it.
    let by_id = format!("table #{}", table.storage.id());
    if error.message.contains(&by_id) {
        error.message = error
            .message
            .replace(&by_id, &format!("table {}", table.name));
    }
    Error::from(error)
}
