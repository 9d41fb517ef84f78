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
pub fn insert(
    txn: &mut Transaction,
    table: &TableDef,
    columns: &[usize],
    source: &Node,
    on_conflict: OnConflict,
    env: StatementEnv<'_>,
) -> Result<usize> {
    if let Some(rows) = constant_rows(source) {
        return insert_constant_rows(txn, table, (columns, rows), on_conflict, env);
    }
    let eval = EvalContext::with_params(env.params);
    let rows = {
        let runtime = SubqueryRuntime::new(txn, env);
        collect(source, &ExecContext::new(&runtime))?
    };
    let mut slots = RowSlots::new(table.columns.len());
    let mut inserted = 0;
    for source_row in rows {
        let fill = |row: &mut [Cow<'_, Value>]| {
            for (value, &position) in source_row.into_iter().zip(columns) {
                row[position] = Cow::Owned(value);
            }
            Ok(())
        };
        let row = slots.row();
        if insert_one(txn, table, (columns, fill), on_conflict, &eval, row)? {
            inserted += 1;
        }
    }
    Ok(inserted)
}

/// INSERT of `VALUES` rows made of constants and parameters (the prepared
/// `INSERT ... VALUES (?, ...)`): they read nothing, so each row is built straight from
/// them, borrowed from the plan and the parameter list (no copy of a text value): no
/// operator, no list of source rows. A row whose values all fit their columns, into a table
/// of at most `STACK_ROW_COLUMNS` columns whose defaults (for the columns not given) are
/// literals, is a plain array of borrowed values; any other row takes `insert_one`
/// (coercion, computed defaults, the NOT NULL error).
fn insert_constant_rows<'a>(
    txn: &mut Transaction,
    table: &TableDef,
    (columns, rows): (&[usize], &'a [Vec<Expr>]),
    on_conflict: OnConflict,
    env: StatementEnv<'a>,
) -> Result<usize> {
    if rows.len() > env.rows_max {
        return Err(crate::err!(
            Limit,
            "statement materializes more than the limit of {} rows",
            env.rows_max
        ));
    }
    let width = table.columns.len();
    let template = plain_template(table, columns);
    let mut slots = None;
    let mut inserted = 0;
    for exprs in rows {
        if let Some(template) = &template {
            let mut values = *template;
            for (expr, &position) in exprs.iter().zip(columns) {
                values[position] = constant_value(expr, env.params)?;
            }
            let values = &values[..width];
            if fits_row(table, values) {
                if insert_row(txn, table, values, on_conflict, |e| storage_error(table, e))? {
                    inserted += 1;
                }
                continue;
            }
        }
        let fill = |row: &mut [Cow<'a, Value>]| {
            for (expr, &position) in exprs.iter().zip(columns) {
                row[position] = Cow::Borrowed(constant_value(expr, env.params)?);
            }
            Ok(())
        };
        let row = slots.get_or_insert_with(|| RowSlots::new(width)).row();
        let eval = EvalContext::with_params(env.params);
        if insert_one(txn, table, (columns, fill), on_conflict, &eval, row)? {
            inserted += 1;
        }
    }
    Ok(inserted)
}

/// The row a plain constant INSERT starts each row from: each column not in `columns`
/// holds its literal default (or NULL without one). None when the table is wider than
/// `STACK_ROW_COLUMNS` or a column not given has a computed default.
fn plain_template<'a>(
    table: &'a TableDef,
    columns: &[usize],
) -> Option<[&'a Value; STACK_ROW_COLUMNS]> {
    if table.columns.len() > STACK_ROW_COLUMNS {
        return None;
    }
    let mut template = [&NULL; STACK_ROW_COLUMNS];
    if columns.len() < table.columns.len() {
        for (position, column) in table.columns.iter().enumerate() {
            template[position] = match &column.default {
                Some(_) if columns.contains(&position) => &NULL,
                Some(Expr::Literal(value)) => value,
                Some(_) => return None,
                None => &NULL,
            };
        }
    }
    Some(template)
}

/// Whether `check_row` would leave `values` as they are and accept them: each value fits
/// its column's type (NULL coerces to itself) and no NULL sits in a NOT NULL column.
fn fits_row(table: &TableDef, values: &[&Value]) -> bool {
    debug_assert_eq!(values.len(), table.columns.len());
    values.iter().zip(&table.columns).all(|(value, column)| {
        if value.is_null() {
            !column.not_null
        } else {
            fits_column(value, column.data_type)
        }
    })
}

/// The row `insert_one` builds, one slot per column: on the stack for tables of up to
/// `STACK_ROW_COLUMNS` columns.
struct RowSlots<'a> {
    stack: [Cow<'a, Value>; STACK_ROW_COLUMNS],
    heap: Vec<Cow<'a, Value>>,
    width: usize,
}

impl<'a> RowSlots<'a> {
    fn new(width: usize) -> RowSlots<'a> {
        let mut heap = Vec::new();
        if width > STACK_ROW_COLUMNS {
            heap.resize(width, Cow::Borrowed(&NULL));
        }
        RowSlots {
            stack: std::array::from_fn(|_| Cow::Borrowed(&NULL)),
            heap,
            width,
        }
    }

    fn row(&mut self) -> &mut [Cow<'a, Value>] {
        if self.width <= STACK_ROW_COLUMNS {
            &mut self.stack[..self.width]
        } else {
            &mut self.heap
        }
    }
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

#[cfg(test)]
mod tests {
    use crate::{Connection, Database, ErrorKind, Value};

    fn rows(conn: &Connection, sql: &str) -> Vec<Vec<Value>> {
        conn.query(sql, ()).unwrap().values().to_vec()
    }

    /// Rows that fit their columns go in as borrowed values, rows that need coercion or a
    /// computed default through the general path: in one statement, and from execution to
    /// execution, they must store what a whole-row check would.
    #[test]
    fn plain_and_coerced_rows_store_the_same_values() {
        let conn = Database::in_memory().connect();
        conn.execute_batch(
            "CREATE TABLE t(id INT PRIMARY KEY, name TEXT, age INT DEFAULT 7, \
             score REAL DEFAULT '2.5', note TEXT DEFAULT (upper('x')))",
        )
        .unwrap();
        let insert = "INSERT INTO t(id, name, age, score, note) VALUES (?, ?, ?, ?, ?)";
        conn.execute(insert, (1, "a", 30, 1.5, "n")).unwrap();
        // Coerced: text into INT, integer into REAL.
        conn.execute(insert, (2, "b", "31", 2, None::<&str>))
            .unwrap();
        conn.execute(insert, (3, "c", 32, 3.5, "m")).unwrap();
        // Two rows in one statement, the second coerced, then literal and computed defaults.
        conn.execute(
            "INSERT INTO t(id, name, age) VALUES (?, ?, ?), (5, 'e', '35')",
            (4, "d", 34),
        )
        .unwrap();
        conn.execute("INSERT INTO t(id, name) VALUES (?, ?)", (6, "f"))
            .unwrap();
        conn.execute("INSERT INTO t(id, note) VALUES (?, ?)", (7, "g"))
            .unwrap();
        let text = |s: &str| Value::Text(s.into());
        let (int, real) = (Value::Integer, Value::Real);
        assert_eq!(
            rows(&conn, "SELECT * FROM t ORDER BY id"),
            [
                vec![int(1), text("a"), int(30), real(1.5), text("n")],
                vec![int(2), text("b"), int(31), real(2.0), Value::Null],
                vec![int(3), text("c"), int(32), real(3.5), text("m")],
                vec![int(4), text("d"), int(34), real(2.5), text("X")],
                vec![int(5), text("e"), int(35), real(2.5), text("X")],
                vec![int(6), text("f"), int(7), real(2.5), text("X")],
                vec![int(7), Value::Null, int(7), real(2.5), text("g")],
            ]
        );
        let error = conn.execute(insert, (8, "h", "old", 1.0, "n")).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Type);
        assert_eq!(
            error.message(),
            "cannot store text value 'old' in INTEGER column age"
        );
    }

    #[test]
    fn not_null_fails_or_skips_the_row_and_changes_nothing() {
        let conn = Database::in_memory().connect();
        conn.execute_batch("CREATE TABLE t(id INT PRIMARY KEY, name TEXT NOT NULL, v INT)")
            .unwrap();
        let insert = "INSERT INTO t VALUES (?, ?, ?)";
        conn.execute(insert, (1, "a", 1)).unwrap();
        conn.execute("BEGIN", ()).unwrap();
        let error = conn
            .execute(
                "INSERT INTO t VALUES (?, ?, ?), (?, ?, ?)",
                (2, "b", 2, 3, None::<&str>, 3),
            )
            .unwrap_err();
        assert_eq!(error.message(), "NOT NULL constraint failed: t.name");
        // Columns not given are NULL.
        let error = conn
            .execute("INSERT INTO t(id) VALUES (?)", [4])
            .unwrap_err();
        assert_eq!(error.message(), "NOT NULL constraint failed: t.name");
        let ignore = "INSERT OR IGNORE INTO t VALUES (?, ?, ?), (?, ?, ?)";
        assert_eq!(
            conn.execute(ignore, (5, None::<&str>, 5, 6, Some("f"), 6))
                .unwrap(),
            1
        );
        let error = conn.execute(insert, (1, "dup", 0)).unwrap_err();
        assert_eq!(error.message(), "UNIQUE constraint failed: t.id");
        conn.execute("COMMIT", ()).unwrap();
        assert_eq!(
            rows(&conn, "SELECT id, name FROM t ORDER BY id"),
            [
                vec![Value::Integer(1), Value::Text("a".into())],
                vec![Value::Integer(6), Value::Text("f".into())],
            ]
        );
    }
}
