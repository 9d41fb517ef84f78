//! The general INSERT path: rows computed by expressions or a query, and every INSERT with
//! an ON CONFLICT clause, RETURNING, or an AUTOINCREMENT table (the plain `VALUES` fast
//! paths are in `insert.rs`). `VALUES` rows are evaluated one at a time, each after the rows
//! before it went in (so `last_insert_rowid()` in a row reads the row before it, as in
//! SQLite); a query source is run to completion first. Each row is built in place in one
//! scratch row kept for the whole statement (`StatementState::scratch`), so a row costs no
//! allocation of its own.
//!
//! ON CONFLICT: a row whose insert fails on a uniqueness constraint is checked against the
//! clause's target first (the primary key or the unique index it names; with no target,
//! the constraint that failed). When a visible row holds that key, DO NOTHING skips the row
//! and DO UPDATE updates the holder (`excluded.col` reads the proposed row; its WHERE may
//! skip it; a violation the update makes fails the statement). Any other violation takes
//! the statement's conflict policy (ABORT, IGNORE, REPLACE).

use ember_storage::{RowId, StorageErrorKind, Transaction, Value, WritePin};

use crate::catalog::{TableDef, TriggerEventKind};
use crate::error::Result;
use crate::expr::{
    coerce_to_column, fits_column, EvalContext, Expr, StatementEnv, SubqueryRuntime,
};
use crate::plan::{ConflictTarget, Insert, InsertWrite, Node, OnConflict, Upsert, UpsertAction};

use super::super::query::skip_and_limit;
use super::super::{run_query, ExecContext, Row, RowSink};
use super::conflict::{delete_expired_holder, find_holder, insert_row};
use super::constraint::RowGuard;
use super::dml::{check_changes, is_not_null, not_null_error, storage_error, UpdateLists};
use super::returning::{written_rows_charge, WrittenRows};
use super::rowid::RowidKeys;
use super::trigger::RowTriggers;

/// What one row's write did.
enum Written {
    Inserted,
    Updated,
    Skipped,
}

/// Runs `insert` row by row; returns the rows inserted or updated.
pub(super) fn insert_general(
    txn: &mut Transaction,
    insert: &Insert,
    env: StatementEnv<'_>,
    sink: &mut RowSink<'_>,
    (guard, done): (Option<&RowGuard<'_>>, &mut usize),
    (triggers, delete_triggers): (Option<&RowTriggers<'_>>, Option<&RowTriggers<'_>>),
) -> Result<usize> {
    let width = insert.table.columns.len();
    // The connection's kept buffers: the scratch row and the DO UPDATE values.
    let mut kept = UpdateLists::take(&env);
    let mut scratch = std::mem::take(&mut kept.row);
    if scratch.len() == 2 * width {
        // The proposed half keeps the last statement's values: every slot is written before
        // it is read, a literal text into the text it replaces (`assign_constant`).
        scratch[..width].fill(Value::Null);
    } else {
        scratch.clear();
        scratch.resize_with(2 * width, || Value::Null);
    }
    let mut statement = StatementState {
        insert,
        env,
        guard,
        triggers,
        delete_triggers,
        keys: RowidKeys::default(),
        written: insert
            .returning
            .as_ref()
            .map(|_| WrittenRows::new(&env, written_rows_charge(&env))),
        changed: 0,
        scratch,
        holder: Vec::new(),
        changes: std::mem::take(&mut kept.changes),
    };
    match &insert.source {
        Node::Values { rows } => {
            super::insert::check_rows_max(rows.len(), env.rows_max)?;
            let mut pin = WritePin::for_rows(rows.len());
            for exprs in rows {
                statement
                    .write_exprs(txn, exprs)
                    .inspect_err(|_| *done = statement.changed)?;
                pin.row_written();
            }
        }
        _ if insert.write == InsertWrite::EachRowProjected => {
            debug_assert!(
                triggers.is_none(),
                "the optimizer projects no row of a table with triggers"
            );
            statement
                .write_projected(txn)
                .inspect_err(|_| *done = statement.changed)?;
        }
        source => {
            let columns = insert.columns.len();
            let (values, rows) = {
                let runtime = SubqueryRuntime::new(txn, env);
                collect_flat(source, columns, &ExecContext::new(&runtime), None)?
            };
            let mut values = values.into_iter();
            let mut pin = WritePin::for_rows(rows);
            for _ in 0..rows {
                statement
                    .write_values(txn, values.by_ref().take(columns))
                    .inspect_err(|_| *done = statement.changed)?;
                pin.row_written();
            }
        }
    }
    statement
        .keys
        .finish(txn, &insert.table, insert.sequence.as_deref())?;
    (kept.row, kept.changes) = (statement.scratch, statement.changes);
    kept.keep(&env);
    if let (Some(written), Some(returning)) = (statement.written, &insert.returning) {
        written.emit(txn, env, returning, sink)?;
    }
    Ok(statement.changed)
}

struct StatementState<'p, 'e, 'g, 'r, 't> {
    insert: &'p Insert,
    env: StatementEnv<'e>,
    /// The table's CHECK and FOREIGN KEY constraints, when there are any to enforce.
    guard: Option<&'g RowGuard<'r>>,
    /// The table's INSERT triggers, when it has any.
    triggers: Option<&'t RowTriggers<'t>>,
    /// Its DELETE triggers, which the rows a REPLACE removes fire (`recursive_triggers`).
    delete_triggers: Option<&'t RowTriggers<'t>>,
    keys: RowidKeys,
    /// The rows kept for RETURNING.
    written: Option<WrittenRows>,
    changed: usize,
    /// The row a DO UPDATE evaluates over, reused for every row: the columns of the row
    /// holding the key (those it reads), then the proposed row (`excluded.*`), which is
    /// where every row is built and inserted from. Each half is as wide as the table.
    scratch: Vec<Value>,
    /// The holder's columns as read, before they move into `scratch`.
    holder: Vec<Value>,
    /// A DO UPDATE's assignments, evaluated.
    changes: Vec<(usize, Value)>,
}

impl StatementState<'_, '_, '_, '_, '_> {
    /// Evaluates one `VALUES` row (`insert.columns` order) into the proposed row and
    /// writes it.
    fn write_exprs(&mut self, txn: &mut Transaction, exprs: &[Expr]) -> Result<()> {
        let width = self.insert.table.columns.len();
        {
            let runtime = SubqueryRuntime::new(txn, self.env);
            let context = ExecContext::new(&runtime);
            let proposed = &mut self.scratch[width..];
            for (expr, &position) in exprs.iter().zip(&self.insert.columns) {
                assign_evaluated(&mut proposed[position], expr, &context.eval)?;
            }
        }
        self.write(txn)
    }

    /// Writes the rows of a source whose projection reads `last_insert_rowid()`
    /// (`InsertWrite::EachRowProjected`): the projection's input runs first (its rows
    /// counted against the statement's row limit by `run_query`; past the OFFSET, up to the
    /// LIMIT over the projection, which it stops at), then each row is projected just before
    /// it goes in, so it sees the row before it as SQLite's does.
    fn write_projected(&mut self, txn: &mut Transaction) -> Result<()> {
        let Some(source) = self.insert.projected_source() else {
            return Err(crate::err!(
                Internal,
                "an insert projected row by row whose source is not a streamed projection"
            ));
        };
        let exprs = source.exprs;
        let mut values = Vec::new();
        let (mut rows, mut input_width) = (0usize, 0usize);
        {
            let runtime = SubqueryRuntime::new(txn, self.env);
            let context = ExecContext::new(&runtime);
            let (mut skip, limit) = skip_and_limit(source.limit, source.offset, &context)?;
            if limit != Some(0) {
                run_query(source.input, &context, &mut |row| {
                    if skip > 0 {
                        skip -= 1;
                        return Ok(true);
                    }
                    input_width = row.len();
                    values.append(row);
                    rows += 1;
                    Ok(limit.is_none_or(|limit| (rows as u64) < limit))
                })?;
            }
        }
        debug_assert_eq!(values.len(), rows * input_width);
        let width = self.insert.table.columns.len();
        let mut pin = WritePin::for_rows(rows);
        for row in 0..rows {
            let input_row = &values[row * input_width..(row + 1) * input_width];
            {
                let runtime = SubqueryRuntime::new(txn, self.env);
                let context = ExecContext::new(&runtime);
                let proposed = &mut self.scratch[width..];
                for (expr, &position) in exprs.iter().zip(&self.insert.columns) {
                    proposed[position] = expr.eval(input_row, &context.eval)?;
                }
            }
            self.write(txn)?;
            pin.row_written();
        }
        Ok(())
    }

    /// Moves one source row (`insert.columns` order) into the proposed row and writes it.
    fn write_values(
        &mut self,
        txn: &mut Transaction,
        values: impl Iterator<Item = Value>,
    ) -> Result<()> {
        let width = self.insert.table.columns.len();
        let proposed = &mut self.scratch[width..];
        for (value, &position) in values.zip(&self.insert.columns) {
            proposed[position] = value;
        }
        self.write(txn)
    }

    /// Completes the proposed row (the source gave `insert.columns`): defaults, a new key,
    /// the column types and NOT NULL; then writes it.
    fn write(&mut self, txn: &mut Transaction) -> Result<()> {
        let insert = self.insert;
        let table = &*insert.table;
        let width = table.columns.len();
        // The binder rejects a column given twice, so a full list set every slot.
        if insert.columns.len() < width {
            let eval = EvalContext::with_params(self.env.params);
            let proposed = &mut self.scratch[width..];
            for (position, (slot, column)) in proposed.iter_mut().zip(&table.columns).enumerate() {
                if !insert.columns.contains(&position) {
                    match &column.default {
                        Some(default) => assign_evaluated(slot, default, &eval)?,
                        None => *slot = Value::Null,
                    }
                }
            }
        }
        if let Some(triggers) = self.triggers.filter(|triggers| triggers.has_before()) {
            let new = triggers.new_row_before(&self.scratch[width..]);
            if !triggers.before(txn, self.env, None, Some(&new))? {
                // RAISE(IGNORE): the row is not inserted.
                return Ok(());
            }
        }
        if let Some(column) = table.rowid_column {
            if self.scratch[width + column].is_null() {
                let key = self.keys.next_key(txn, table, insert.sequence.as_deref())?;
                self.scratch[width + column] = Value::Integer(key);
            }
        }
        if insert.on_conflict == OnConflict::Replace {
            // REPLACE puts a NOT NULL column's default in the place of a NULL, as SQLite does.
            for (slot, column) in self.scratch[width..].iter_mut().zip(&table.columns) {
                if let Some(default) = super::dml::replace_default(column, slot) {
                    assign_evaluated(slot, default, &EvalContext::with_params(self.env.params))?;
                }
            }
        }
        let mut failing = insert.on_conflict;
        if insert.on_conflict == OnConflict::Declared {
            let proposed = &mut self.scratch[width..];
            match super::dml::declared_nulls(table, |column| proposed[column].is_null()) {
                super::dml::DeclaredNulls::Skip => return Ok(()),
                super::dml::DeclaredNulls::Write {
                    defaults,
                    failing: by,
                } => {
                    failing = by;
                    let eval = EvalContext::with_params(self.env.params);
                    for position in defaults {
                        if let Some(default) = &table.columns[position].default {
                            assign_evaluated(&mut proposed[position], default, &eval)?;
                        }
                    }
                }
            }
        }
        let checked = check_proposed(table, &mut self.scratch[width..]);
        // A key that reaches the constraint checks raises an AUTOINCREMENT table's sequence
        // whether or not its row goes in (ignored, or settled by an upsert), as in SQLite.
        if let Some(Value::Integer(key)) = table.rowid_column.map(|c| &self.scratch[width + c]) {
            let key = *key;
            self.keys
                .attempted(txn, table, insert.sequence.as_deref(), key)?;
        }
        match checked {
            Err(error) if insert.on_conflict == OnConflict::Ignore && is_not_null(&error) => {
                return Ok(())
            }
            Err(error) if is_not_null(&error) => {
                return Err(insert.on_conflict.mark(failing, error))
            }
            other => other?,
        }
        if let Some(column) = table.write_time_column() {
            let proposed = &mut self.scratch[width..];
            super::conflict::stamp_write_time(table, proposed, self.env.time, column)?;
        }
        if let Some(guard) = self.guard {
            if !guard.admit(&self.scratch[width..], insert.on_conflict)? {
                return Ok(());
            }
        }
        if let Some(deletes) = self.delete_triggers {
            let proposed = self.scratch[width..].to_vec();
            let target = (table, proposed.as_slice(), insert.on_conflict);
            super::trigger::delete_holders(txn, target, deletes, self.guard, self.env)?;
        }
        if let Some(guard) = self.guard {
            guard.replace_holders(txn, &self.scratch[width..], insert.on_conflict)?;
        }
        let written = match &insert.upsert {
            None => {
                let conflict = (insert.on_conflict, self.env.time);
                let proposed = &self.scratch[width..];
                match insert_row(txn, table, proposed, conflict, |e| storage_error(table, e))? {
                    true => Written::Inserted,
                    false => Written::Skipped,
                }
            }
            Some(upsert) => self.upsert_row(txn, upsert)?,
        };
        match written {
            Written::Skipped => return Ok(()),
            Written::Inserted => {
                let proposed = &self.scratch[width..];
                if let Some(guard) = self.guard {
                    guard.inserted(txn, proposed)?;
                }
                if let Some(Value::Integer(key)) = table.rowid_column.map(|c| &proposed[c]) {
                    if let Some(counters) = self.env.counters {
                        counters.set_last_insert_rowid(*key);
                    }
                }
                if let Some(triggers) = self.triggers.filter(|triggers| triggers.has_after()) {
                    let new = self.scratch[width..].to_vec();
                    triggers.after(txn, self.env, None, Some(&new))?;
                }
                if let Some(written) = &mut self.written {
                    written.push(take_row(&mut self.scratch[width..]))?;
                }
            }
            Written::Updated => {
                if let Some(written) = &mut self.written {
                    written.push(take_row(&mut self.scratch[..width]))?;
                }
            }
        }
        self.changed += 1;
        Ok(())
    }

    /// Inserts the proposed row, or settles its uniqueness conflict as `upsert` says.
    fn upsert_row(&mut self, txn: &mut Transaction, upsert: &Upsert) -> Result<Written> {
        let insert = self.insert;
        let table = &*insert.table;
        let width = table.columns.len();
        // The clauses' targets are checked first, in order, as in SQLite: a visible row
        // holding a target key takes that clause's action with no insert tried. (An
        // expiring table's holder may have expired: the insert below settles that first.)
        if !table.expires() {
            for clause in upsert.clauses() {
                let Some(target) = &clause.target else {
                    continue;
                };
                let constraint = target_constraint(target);
                let row = &self.scratch[width..];
                if let Some(holder) = find_holder(txn, table, row, constraint)? {
                    return self.act_on_holder(txn, clause, holder);
                }
            }
        }
        let row = &self.scratch[width..];
        let savepoint = txn.savepoint();
        let mut error = match txn.insert(&table.storage, row) {
            Ok(_) => return Ok(Written::Inserted),
            Err(error) if error.kind == StorageErrorKind::UniqueViolation => error,
            Err(error) => return Err(storage_error(table, error)),
        };
        txn.rollback_to(savepoint);
        // A key held by an expired row (`expire_at`, `ttl`) is free: delete it, insert again.
        if let (true, Some(time)) = (table.expires(), self.env.time) {
            for _ in 0..=table.indexes.len() {
                let index = error.index.clone();
                if !delete_expired_holder(txn, table, row, index.as_deref(), time)? {
                    break;
                }
                let savepoint = txn.savepoint();
                error = match txn.insert(&table.storage, row) {
                    Ok(_) => return Ok(Written::Inserted),
                    Err(error) if error.kind == StorageErrorKind::UniqueViolation => error,
                    Err(error) => return Err(storage_error(table, error)),
                };
                txn.rollback_to(savepoint);
            }
        }
        for clause in upsert.clauses() {
            let constraint = match &clause.target {
                Some(target) => target_constraint(target),
                None => error.index.as_deref(),
            };
            if let Some(holder) = find_holder(txn, table, row, constraint)? {
                return self.act_on_holder(txn, clause, holder);
            }
            if clause.target.is_none() {
                // The key is held by a row this transaction cannot see.
                return Err(storage_error(table, error));
            }
        }
        // A constraint no clause names failed: the statement's own policy.
        let conflict = (insert.on_conflict, self.env.time);
        let inserted = insert_row(txn, table, row, conflict, |e| storage_error(table, e))?;
        Ok(if inserted {
            Written::Inserted
        } else {
            Written::Skipped
        })
    }

    /// The DO NOTHING or DO UPDATE of `upsert` for the row `holder`, which holds the key
    /// the proposed row conflicts on.
    fn act_on_holder(
        &mut self,
        txn: &mut Transaction,
        upsert: &Upsert,
        holder: RowId,
    ) -> Result<Written> {
        match &upsert.action {
            UpsertAction::Nothing => Ok(Written::Skipped),
            UpsertAction::Update {
                assignments,
                filter,
                holder_columns,
            } => {
                // RETURNING reads the whole updated row.
                let wanted = match self.written {
                    Some(_) => None,
                    None => holder_columns.as_deref(),
                };
                let update = (assignments.as_slice(), filter.as_ref());
                self.update_holder(txn, holder, update, wanted)
            }
        }
    }

    /// DO UPDATE of the row `holder`, the proposed row being `excluded`; `wanted`: the
    /// holder's columns to read (`None`: all).
    fn update_holder(
        &mut self,
        txn: &mut Transaction,
        holder: RowId,
        (assignments, filter): (&[(usize, Expr)], Option<&Expr>),
        wanted: Option<&[bool]>,
    ) -> Result<Written> {
        let table = &*self.insert.table;
        let width = table.columns.len();
        // The UPDATE triggers of the assigned columns fire, as an UPDATE's would; they
        // read the whole old row.
        let assigned_name = |name: &str| {
            assignments
                .iter()
                .any(|(column, _)| table.columns[*column].name.eq_ignore_ascii_case(name))
        };
        let triggers =
            RowTriggers::find(&self.env, table, TriggerEventKind::Update, &assigned_name);
        let wanted = if triggers.is_some() { None } else { wanted };
        if wanted.is_none_or(|wanted| wanted.contains(&true)) {
            let holder_row = &mut self.holder;
            if !txn.read_row_columns(&table.storage, holder, wanted, holder_row)? {
                return Err(crate::err!(
                    Internal,
                    "the row holding a conflicting key of {} vanished",
                    table.name
                ));
            }
            // Swapped, not moved: both buffers keep their text allocations for later rows.
            for (slot, value) in self.scratch[..width].iter_mut().zip(holder_row) {
                std::mem::swap(slot, value);
            }
        }
        let both = &self.scratch;
        let changes = &mut self.changes;
        changes.clear();
        changes.reserve(assignments.len());
        {
            let runtime = SubqueryRuntime::new(txn, self.env);
            let context = ExecContext::new(&runtime);
            if let Some(filter) = filter {
                if !filter.matches(both, &context.eval)? {
                    return Ok(Written::Skipped);
                }
            }
            for (position, expr) in assignments {
                changes.push((*position, expr.eval(both, &context.eval)?));
            }
        }
        if !changes.is_sorted_by_key(|(position, _)| *position) {
            changes.sort_by_key(|(position, _)| *position);
        }
        check_changes(table, changes)?;
        let old_and_new = match &triggers {
            Some(triggers) => {
                let old = self.scratch[..width].to_vec();
                let mut new = old.clone();
                for (position, value) in changes.iter() {
                    new[*position] = value.clone();
                }
                if triggers.has_before() {
                    let seen = triggers.new_row_before(&new);
                    if !triggers.before(txn, self.env, Some(&old), Some(&seen))?
                        || !holder_still_there(txn, table, holder)?
                    {
                        return Ok(Written::Skipped);
                    }
                }
                Some((old, new))
            }
            None => None,
        };
        let changes = &mut self.changes;
        // CHECK on the updated row and the foreign keys it reads or that reference it, as
        // an UPDATE of the assigned columns would enforce them.
        let assigned = |column: usize| changes.iter().any(|(position, _)| *position == column);
        match RowGuard::for_update(table, &self.env, &assigned)? {
            Some(guard) => {
                guard.update_row(txn, holder, changes)?;
                guard.finish(txn)?;
            }
            None => {
                txn.update_columns(&table.storage, holder, changes)
                    .map_err(|e| storage_error(table, e))?;
            }
        }
        if let (Some(triggers), Some((old, new))) = (&triggers, &old_and_new) {
            if triggers.has_after() {
                triggers.after(txn, self.env, Some(old), Some(new))?;
            }
        }
        if self.written.is_some() {
            // The updated row, for RETURNING (every column was read).
            for (position, value) in self.changes.drain(..) {
                self.scratch[position] = value;
            }
        }
        Ok(Written::Updated)
    }
}

/// Whether the row `holder` of `table` still exists (a BEFORE UPDATE trigger may have
/// deleted it).
fn holder_still_there(txn: &Transaction, table: &TableDef, holder: RowId) -> Result<bool> {
    let mut scratch: Vec<Value> = Vec::new();
    let nothing = vec![false; table.columns.len()];
    txn.read_row_columns(&table.storage, holder, Some(&nothing), &mut scratch)
        .map_err(|e| storage_error(table, e))
}

/// Sets `slot` to the value of `expr`, which reads no row: a literal is copied into the
/// slot's own text or blob buffer when it has room (no allocation), anything else evaluated.
pub(super) fn assign_evaluated(
    slot: &mut Value,
    expr: &Expr,
    eval: &EvalContext<'_>,
) -> Result<()> {
    match expr {
        Expr::Literal(value) => assign_constant(slot, value),
        expr => *slot = expr.eval(&[], eval)?,
    }
    Ok(())
}

/// `*slot = value.clone()`, reusing the text or blob buffer `slot` holds.
fn assign_constant(slot: &mut Value, value: &Value) {
    match (slot, value) {
        (Value::Text(text), Value::Text(value)) => text.clone_from(value),
        (Value::Blob(blob), Value::Blob(value)) => blob.clone_from(value),
        (slot, value) => *slot = value.clone(),
    }
}

/// `dml::check_row` for a row of owned values: coerces each value to its column's type and
/// checks NOT NULL.
pub(super) fn check_proposed(table: &TableDef, row: &mut [Value]) -> Result<()> {
    debug_assert_eq!(row.len(), table.columns.len());
    super::generated::fill_generated(table, row)?;
    for (slot, column) in row.iter_mut().zip(&table.columns) {
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

/// The values of `row`, moved out (each slot left NULL; the next row overwrites it).
fn take_row(row: &mut [Value]) -> Row {
    row.iter_mut()
        .map(|value| std::mem::replace(value, Value::Null))
        .collect()
}

/// Runs an INSERT's source query to completion (before any row goes in, so the query never
/// reads the statement's own rows), its rows of `columns` values laid end to end in one
/// buffer: the source's row buffer is emptied, not taken, so a row costs no allocation.
/// Each row is charged to `charge` when given. Returns the values and the number of rows.
pub(super) fn collect_flat(
    source: &Node,
    columns: usize,
    context: &ExecContext<'_>,
    mut charge: Option<&mut super::super::MemoryCharge>,
) -> Result<(Vec<Value>, usize)> {
    let mut values = Vec::new();
    let mut rows = 0usize;
    run_query(source, context, &mut |row| {
        if row.len() != columns {
            return Err(crate::err!(
                Internal,
                "an INSERT source row has {} values for {} columns",
                row.len(),
                columns
            ));
        }
        if let Some(charge) = charge.as_deref_mut() {
            charge.add_row(row)?;
        }
        values.append(row);
        rows += 1;
        Ok(true)
    })?;
    Ok((values, rows))
}

/// The constraint an upsert target names: `None` for the primary key, else the index.
fn target_constraint(target: &ConflictTarget) -> Option<&str> {
    match target {
        ConflictTarget::PrimaryKey => None,
        ConflictTarget::Index(name) => Some(name.as_str()),
    }
}
