//! The general INSERT path: rows computed by expressions or a query, and every INSERT with
//! an ON CONFLICT clause, RETURNING, or an AUTOINCREMENT table (the plain `VALUES` fast
//! paths are in `insert.rs`). `VALUES` rows are evaluated one at a time, each after the rows
//! before it went in (so `last_insert_rowid()` in a row reads the row before it, as in
//! SQLite); a query source is run to completion first.
//!
//! ON CONFLICT: a row whose insert fails on a uniqueness constraint is checked against the
//! clause's target first (the primary key or the unique index it names; with no target,
//! the constraint that failed). When a visible row holds that key, DO NOTHING skips the row
//! and DO UPDATE updates the holder (`excluded.col` reads the proposed row; its WHERE may
//! skip it; a violation the update makes fails the statement). Any other violation takes
//! the statement's conflict policy (ABORT, IGNORE, REPLACE).

use std::borrow::Cow;

use ember_storage::{RowId, StorageErrorKind, Transaction, Value};

use crate::error::Result;
use crate::expr::{EvalContext, StatementEnv, SubqueryRuntime};
use crate::plan::{ConflictTarget, Insert, Node, OnConflict, Upsert, UpsertAction};

use super::conflict::{delete_expired_holder, find_holder, insert_row};
use super::constraint::RowGuard;
use super::dml::{check_changes, check_row, is_not_null, storage_error, NULL};
use super::returning::{written_rows_charge, WrittenRows};
use super::rowid::RowidKeys;
use super::{collect, ExecContext, Row, RowSink};

/// What one row's write did.
enum Written {
    Inserted(Row),
    Updated(Row),
    Skipped,
}

/// Runs `insert` row by row; returns the rows inserted or updated.
pub(super) fn insert_general(
    txn: &mut Transaction,
    insert: &Insert,
    env: StatementEnv<'_>,
    sink: &mut RowSink<'_>,
    (guard, done): (Option<&RowGuard<'_>>, &mut usize),
) -> Result<usize> {
    let mut statement = StatementState {
        insert,
        env,
        guard,
        keys: RowidKeys::default(),
        written: insert
            .returning
            .as_ref()
            .map(|_| WrittenRows::new(&env, written_rows_charge(&env))),
        changed: 0,
    };
    match &insert.source {
        Node::Values { rows } => {
            super::insert::check_rows_max(rows.len(), env.rows_max)?;
            for exprs in rows {
                let values = {
                    let runtime = SubqueryRuntime::new(txn, env);
                    let context = ExecContext::new(&runtime);
                    exprs
                        .iter()
                        .map(|expr| expr.eval(&[], &context.eval))
                        .collect::<Result<Vec<Value>>>()?
                };
                statement
                    .write(txn, values)
                    .inspect_err(|_| *done = statement.changed)?;
            }
        }
        source => {
            let rows = {
                let runtime = SubqueryRuntime::new(txn, env);
                collect(source, &ExecContext::new(&runtime))?
            };
            for values in rows {
                statement
                    .write(txn, values)
                    .inspect_err(|_| *done = statement.changed)?;
            }
        }
    }
    statement
        .keys
        .finish(txn, &insert.table, insert.sequence.as_deref())?;
    if let (Some(written), Some(returning)) = (statement.written, &insert.returning) {
        written.emit(txn, env, returning, sink)?;
    }
    Ok(statement.changed)
}

struct StatementState<'p, 'e, 'g, 'r> {
    insert: &'p Insert,
    env: StatementEnv<'e>,
    /// The table's CHECK and FOREIGN KEY constraints, when there are any to enforce.
    guard: Option<&'g RowGuard<'r>>,
    keys: RowidKeys,
    /// The rows kept for RETURNING.
    written: Option<WrittenRows>,
    changed: usize,
}

impl StatementState<'_, '_, '_, '_> {
    /// Builds the table row from one source row (`insert.columns` order) and writes it.
    fn write(&mut self, txn: &mut Transaction, values: Vec<Value>) -> Result<()> {
        let insert = self.insert;
        let table = &*insert.table;
        let eval = EvalContext::with_params(self.env.params);
        let mut row: Vec<Cow<'_, Value>> = vec![Cow::Borrowed(&NULL); table.columns.len()];
        for (position, (slot, column)) in row.iter_mut().zip(&table.columns).enumerate() {
            if let (Some(default), false) = (&column.default, insert.columns.contains(&position)) {
                *slot = Cow::Owned(default.eval(&[], &eval)?);
            }
        }
        for (value, &position) in values.into_iter().zip(&insert.columns) {
            row[position] = Cow::Owned(value);
        }
        if let Some(column) = table.rowid_column {
            if row[column].is_null() {
                let key = self.keys.next_key(txn, table, insert.sequence.as_deref())?;
                row[column] = Cow::Owned(Value::Integer(key));
            }
        }
        match check_row(table, &mut row) {
            Err(error) if insert.on_conflict == OnConflict::Ignore && is_not_null(&error) => {
                return Ok(())
            }
            other => other?,
        }
        let mut row: Row = row.into_iter().map(Cow::into_owned).collect();
        if let Some(column) = table.write_time_column() {
            super::conflict::stamp_write_time(table, &mut row, self.env.time, column)?;
        }
        if let Some(guard) = self.guard {
            if !guard.admit(&row, insert.on_conflict)? {
                return Ok(());
            }
            guard.replace_holders(txn, &row, insert.on_conflict)?;
        }
        let written = match &insert.upsert {
            None => match insert_row(txn, table, &row, (insert.on_conflict, self.env.time), |e| {
                storage_error(table, e)
            })? {
                true => Written::Inserted(row),
                false => Written::Skipped,
            },
            Some(upsert) => self.upsert_row(txn, upsert, row)?,
        };
        if let (Some(guard), Written::Inserted(row)) = (self.guard, &written) {
            guard.inserted(txn, row)?;
        }
        let row = match written {
            Written::Skipped => return Ok(()),
            Written::Inserted(row) => {
                if let Some(Value::Integer(key)) = table.rowid_column.map(|c| &row[c]) {
                    let sequence = insert.sequence.as_deref();
                    self.keys.inserted(txn, table, sequence, *key)?;
                    if let Some(counters) = self.env.counters {
                        counters.set_last_insert_rowid(*key);
                    }
                }
                row
            }
            Written::Updated(row) => row,
        };
        self.changed += 1;
        if let Some(written) = &mut self.written {
            written.push(row)?;
        }
        Ok(())
    }

    /// Inserts `row`, or settles its uniqueness conflict as `upsert` says.
    fn upsert_row(&self, txn: &mut Transaction, upsert: &Upsert, row: Row) -> Result<Written> {
        let table = &*self.insert.table;
        // The target's constraint is checked first, as in SQLite: a visible row holding the
        // target key takes the action with no insert tried. (An expiring table's holder may
        // have expired: the insert below settles that first.)
        if let (Some(target), false) = (&upsert.target, table.expires()) {
            let constraint = match target {
                ConflictTarget::PrimaryKey => None,
                ConflictTarget::Index(name) => Some(name.as_str()),
            };
            if let Some(holder) = find_holder(txn, table, &row, constraint)? {
                return self.act_on_holder(txn, upsert, holder, row);
            }
        }
        let savepoint = txn.savepoint();
        let mut error = match txn.insert(&table.storage, &row) {
            Ok(_) => return Ok(Written::Inserted(row)),
            Err(error) if error.kind == StorageErrorKind::UniqueViolation => error,
            Err(error) => return Err(storage_error(table, error)),
        };
        txn.rollback_to(savepoint);
        // A key held by an expired row (`expire_at`, `ttl`) is free: delete it, insert again.
        if let (true, Some(time)) = (table.expires(), self.env.time) {
            for _ in 0..=table.indexes.len() {
                let index = error.index.clone();
                if !delete_expired_holder(txn, table, &row, index.as_deref(), time)? {
                    break;
                }
                let savepoint = txn.savepoint();
                error = match txn.insert(&table.storage, &row) {
                    Ok(_) => return Ok(Written::Inserted(row)),
                    Err(error) if error.kind == StorageErrorKind::UniqueViolation => error,
                    Err(error) => return Err(storage_error(table, error)),
                };
                txn.rollback_to(savepoint);
            }
        }
        let constraint = match &upsert.target {
            Some(ConflictTarget::PrimaryKey) => None,
            Some(ConflictTarget::Index(name)) => Some(name.as_str()),
            None => error.index.as_deref(),
        };
        let Some(holder) = find_holder(txn, table, &row, constraint)? else {
            if upsert.target.is_none() {
                // The key is held by a row this transaction cannot see.
                return Err(storage_error(table, error));
            }
            // A constraint other than the target failed: the statement's own policy.
            let inserted = insert_row(
                txn,
                table,
                &row,
                (self.insert.on_conflict, self.env.time),
                |e| storage_error(table, e),
            )?;
            return Ok(if inserted {
                Written::Inserted(row)
            } else {
                Written::Skipped
            });
        };
        self.act_on_holder(txn, upsert, holder, row)
    }

    /// The DO NOTHING or DO UPDATE of `upsert` for the row `holder`, which holds the key
    /// the proposed `row` conflicts on.
    fn act_on_holder(
        &self,
        txn: &mut Transaction,
        upsert: &Upsert,
        holder: RowId,
        row: Row,
    ) -> Result<Written> {
        match &upsert.action {
            UpsertAction::Nothing => Ok(Written::Skipped),
            UpsertAction::Update {
                assignments,
                filter,
            } => self.update_holder(txn, holder, row, (assignments, filter.as_ref())),
        }
    }

    /// DO UPDATE of the row `holder`, the proposed row being `excluded`.
    fn update_holder(
        &self,
        txn: &mut Transaction,
        holder: RowId,
        excluded: Row,
        (assignments, filter): (&[(usize, crate::expr::Expr)], Option<&crate::expr::Expr>),
    ) -> Result<Written> {
        let table = &*self.insert.table;
        let mut both = Vec::with_capacity(table.columns.len() * 2);
        if !txn.read_row(&table.storage, holder, &mut both)? {
            return Err(crate::err!(
                Internal,
                "the row holding a conflicting key of {} vanished",
                table.name
            ));
        }
        both.extend(excluded);
        let mut changes = {
            let runtime = SubqueryRuntime::new(txn, self.env);
            let context = ExecContext::new(&runtime);
            if let Some(filter) = filter {
                if !filter.matches(&both, &context.eval)? {
                    return Ok(Written::Skipped);
                }
            }
            assignments
                .iter()
                .map(|(position, expr)| Ok((*position, expr.eval(&both, &context.eval)?)))
                .collect::<Result<Vec<(usize, Value)>>>()?
        };
        changes.sort_by_key(|(position, _)| *position);
        check_changes(table, &mut changes)?;
        // CHECK on the updated row and the foreign keys it reads or that reference it, as
        // an UPDATE of the assigned columns would enforce them.
        let assigned = |column: usize| changes.iter().any(|(position, _)| *position == column);
        match RowGuard::for_update(table, &self.env, &assigned)? {
            Some(guard) => {
                guard.update_row(txn, holder, &changes)?;
                guard.finish(txn)?;
            }
            None => {
                txn.update_columns(&table.storage, holder, &changes)
                    .map_err(|e| storage_error(table, e))?;
            }
        }
        both.truncate(table.columns.len());
        for (position, value) in changes {
            both[position] = value;
        }
        Ok(Written::Updated(both))
    }
}
