//! INSERT, UPDATE and DELETE through a storage transaction: build full rows (defaults,
//! coercion to column types), check NOT NULL, then write. Storage enforces the primary key
//! and the unique indexes (UNIQUE constraints are unique indexes), race-free against
//! concurrent transactions. Targets are collected before any change, so a statement never
//! sees its own writes.

use std::borrow::Cow;

use ember_storage::{StorageErrorKind, Transaction, Value};

use crate::catalog::TableDef;
use crate::error::{Error, Result};
use crate::expr::{
    coerce_to_column, fits_column, EvalContext, Expr, StatementEnv, SubqueryRuntime,
};
use crate::plan::{Node, OnConflict, TableAccess};

use super::conflict::insert_row;
use super::scan::collect_targets;
use super::{collect, ExecContext};

/// The value of a column that a row does not give yet (borrowed by rows under construction).
static NULL: Value = Value::Null;

/// Widest table whose INSERT builds its rows in a stack array rather than a heap one.
const STACK_ROW_COLUMNS: usize = 8;

/// Inserts the rows `source` produces into `columns` of `table`; returns the row count.
pub fn insert<'a>(
    txn: &mut Transaction,
    table: &TableDef,
    columns: &[usize],
    source: &'a Node,
    on_conflict: OnConflict,
    env: StatementEnv<'a>,
) -> Result<usize> {
    let eval = EvalContext::with_params(env.params);
    let mut inserted = 0;
    let width = table.columns.len();
    // The row under construction: on the stack for tables of up to `STACK_ROW_COLUMNS`.
    let mut stack_row: [Cow<'_, Value>; STACK_ROW_COLUMNS] =
        std::array::from_fn(|_| Cow::Borrowed(&NULL));
    let mut heap_row = Vec::new();
    let row: &mut [Cow<'_, Value>] = if width <= STACK_ROW_COLUMNS {
        &mut stack_row[..width]
    } else {
        heap_row.resize(width, Cow::Borrowed(&NULL));
        &mut heap_row
    };
    if let Some(rows) = constant_rows(source) {
        // Constants and parameters (the prepared `INSERT ... VALUES (?, ...)`) read nothing,
        // so each row is built straight from them, borrowed from the plan and the
        // parameter list (no copy of a text value): no operator, no list of source rows.
        if rows.len() > env.rows_max {
            return Err(crate::err!(
                Limit,
                "statement materializes more than the limit of {} rows",
                env.rows_max
            ));
        }
        for exprs in rows {
            let fill = |row: &mut [Cow<'a, Value>]| {
                for (expr, &position) in exprs.iter().zip(columns) {
                    row[position] = Cow::Borrowed(constant_value(expr, env.params)?);
                }
                Ok(())
            };
            if insert_one(txn, table, (columns, fill), on_conflict, &eval, row)? {
                inserted += 1;
            }
        }
        return Ok(inserted);
    }
    let rows = {
        let runtime = SubqueryRuntime::new(txn, env);
        collect(source, &ExecContext::new(&runtime))?
    };
    for source_row in rows {
        let fill = |row: &mut [Cow<'a, Value>]| {
            for (value, &position) in source_row.into_iter().zip(columns) {
                row[position] = Cow::Owned(value);
            }
            Ok(())
        };
        if insert_one(txn, table, (columns, fill), on_conflict, &eval, row)? {
            inserted += 1;
        }
    }
    Ok(inserted)
}

/// The rows of a `VALUES` source made only of literals and parameters, if it is one.
fn constant_rows(source: &Node) -> Option<&[Vec<Expr>]> {
    match source {
        Node::Values { rows }
            if rows
                .iter()
                .flatten()
                .all(|expr| matches!(expr, Expr::Literal(_) | Expr::Parameter(_))) =>
        {
            Some(rows)
        }
        _ => None,
    }
}

/// A literal or a parameter (what `constant_rows` admits), borrowed from the plan or the
/// parameter list.
fn constant_value<'a>(expr: &'a Expr, params: &'a [Value]) -> Result<&'a Value> {
    match expr {
        Expr::Literal(value) => Ok(value),
        Expr::Parameter(index) => params.get(*index).ok_or_else(|| {
            crate::err!(InvalidInput, "parameter ${} has no value bound", index + 1)
        }),
        other => Err(crate::err!(
            Internal,
            "constant INSERT row holds a computed expression: {other}"
        )),
    }
}

/// Builds one table row in `row` (one slot per column): `given` names the table positions
/// a source row gives and puts its values there; the other columns get their defaults.
/// Checks and inserts the row under `on_conflict`; false when it was skipped.
fn insert_one<'a>(
    txn: &mut Transaction,
    table: &TableDef,
    given: (&[usize], impl FnOnce(&mut [Cow<'a, Value>]) -> Result<()>),
    on_conflict: OnConflict,
    eval: &EvalContext<'_>,
    row: &mut [Cow<'a, Value>],
) -> Result<bool> {
    debug_assert_eq!(row.len(), table.columns.len());
    let (columns, fill) = given;
    // The binder rejects a column given twice, so a full list overwrites every slot below.
    if columns.len() < row.len() {
        for (position, (slot, column)) in row.iter_mut().zip(&table.columns).enumerate() {
            *slot = match &column.default {
                // Defaults are constants: evaluated only for the columns not given.
                Some(default) if !columns.contains(&position) => {
                    Cow::Owned(default.eval(&[], eval)?)
                }
                _ => Cow::Borrowed(&NULL),
            };
        }
    }
    fill(row)?;
    match check_row(table, row) {
        Err(error) if on_conflict == OnConflict::Ignore && is_not_null(&error) => return Ok(false),
        other => other?,
    };
    insert_row(txn, table, row, on_conflict, |e| storage_error(table, e))
}

/// Applies `assignments` to every row `target` reaches; returns the row count. The target
/// rows hold only the columns the assignments and the filter read
/// (`optimize::prune_update`): storage writes just the assigned columns into a copy of each
/// row's encoded image (`Transaction::update_columns`), so the others are never decoded.
pub fn update(
    txn: &mut Transaction,
    target: &TableAccess,
    assignments: &[(usize, Expr)],
    env: StatementEnv<'_>,
) -> Result<usize> {
    let table = &target.table;
    let width = assignments.len();
    // Every new value is computed before any is written: assignments may run subqueries,
    // which must see the table as it was before the statement. `changes` holds `width`
    // (column, value) pairs per target row.
    let (targets, mut changes) = {
        let runtime = SubqueryRuntime::new(txn, env);
        let context = ExecContext::new(&runtime);
        let targets = collect_targets(target, &context)?;
        let mut changes: Vec<(usize, Value)> = Vec::with_capacity(targets.len() * width);
        for (_, row) in &targets {
            for (position, expr) in assignments {
                changes.push((*position, expr.eval(row, &context.eval)?));
            }
        }
        (targets, changes)
    };
    let in_column_order = assignments.windows(2).all(|pair| pair[0].0 < pair[1].0);
    // `max(1)`: without assignments every chunk is empty (and `chunks_exact` wants a size).
    let mut chunks = changes.chunks_exact_mut(width.max(1));
    for (row_id, _) in &targets {
        let row_changes = match width {
            0 => &mut [],
            _ => chunks.next().expect("one chunk per target row"),
        };
        if !in_column_order {
            row_changes.sort_unstable_by_key(|(position, _)| *position);
        }
        check_changes(table, row_changes)?;
        txn.update_columns(&table.storage, *row_id, row_changes)
            .map_err(|e| storage_error(table, e))?;
    }
    Ok(targets.len())
}

/// Deletes every row `target` reaches; returns the row count.
pub fn delete(txn: &mut Transaction, target: &TableAccess, env: StatementEnv<'_>) -> Result<usize> {
    let targets = {
        let runtime = SubqueryRuntime::new(txn, env);
        collect_targets(target, &ExecContext::new(&runtime))?
    };
    for (row_id, _) in &targets {
        txn.delete(&target.table.storage, *row_id)
            .map_err(|e| storage_error(&target.table, e))?;
    }
    Ok(targets.len())
}

/// Whether `error` is a NOT NULL failure (which INSERT OR IGNORE skips, as SQLite does).
fn is_not_null(error: &Error) -> bool {
    error.kind() == crate::ErrorKind::Constraint && error.message().starts_with("NOT NULL")
}

/// Coerces every value to its column's type (in place) and checks NOT NULL.
fn check_row(table: &TableDef, row: &mut [Cow<'_, Value>]) -> Result<()> {
    debug_assert_eq!(row.len(), table.columns.len());
    for (slot, column) in row.iter_mut().zip(&table.columns) {
        if !fits_column(slot, column.data_type) {
            let value = std::mem::replace(slot, Cow::Borrowed(&NULL)).into_owned();
            *slot = Cow::Owned(coerce_to_column(value, column.data_type, &column.name)?);
        }
        if slot.is_null() && column.not_null {
            return Err(not_null_error(table, &column.name));
        }
    }
    Ok(())
}

/// `check_row` for the assigned columns of an UPDATE (the others were checked when written).
fn check_changes(table: &TableDef, changes: &mut [(usize, Value)]) -> Result<()> {
    for (position, slot) in changes.iter_mut() {
        let column = &table.columns[*position];
        if !fits_column(slot, column.data_type) {
            let value = std::mem::replace(slot, Value::Null);
            *slot = coerce_to_column(value, column.data_type, &column.name)?;
        }
        if slot.is_null() && column.not_null {
            return Err(not_null_error(table, &column.name));
        }
    }
    Ok(())
}

fn not_null_error(table: &TableDef, column: &str) -> Error {
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
fn storage_error(table: &TableDef, error: ember_storage::StorageError) -> Error {
    if error.kind == StorageErrorKind::UniqueViolation {
        return match error.index.as_deref() {
            None => unique_error(table, &table.primary_key),
            Some(name) => match table.index(name) {
                Some(index) => unique_error(table, &index.columns),
                None => crate::err!(Constraint, "UNIQUE constraint failed: index {name}"),
            },
        };
    }
    Error::from(error)
}
