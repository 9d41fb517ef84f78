//! INSERT through a storage transaction: build full rows (defaults, coercion to column
//! types), check NOT NULL, then write under the statement's conflict policy
//! (`conflict::insert_row`). A plan with plain rows (`plan::PlainRows`: `VALUES` of literals
//! and parameters) reads each row straight from the plan and the parameter list; a row whose
//! values all fit their columns as they are goes to storage as an array of borrowed values.
//! Any other row is built in a row of `Cow` values (coerced values, computed defaults, a
//! key assigned to an INTEGER PRIMARY KEY left NULL). Rows computed by expressions or a
//! query, and statements with ON CONFLICT, RETURNING, an AUTOINCREMENT table or CHECK /
//! FOREIGN KEY constraints to enforce, take the general path (`upsert.rs`). A plan whose
//! rows go in batches (`InsertWrite::Batched`) is written by `insert_batch.rs`, one that
//! copies another table's rows (`InsertWrite::CopyRows`) by `insert_copy.rs`.

use std::borrow::Cow;

use ember_storage::{Transaction, Value, WritePin};

use crate::catalog::{TableDef, TriggerEventKind};
use crate::error::Result;
use crate::expr::{fits_column, ChangeCounters, EvalContext, Expr, StatementEnv};
use crate::plan::{
    Insert, InsertWrite, Node, OnConflict, PlainRows, RowValue, PLAIN_ROW_COLUMNS_MAX,
};

use super::super::RowSink;
use super::conflict::insert_row;
use super::constraint::RowGuard;
use super::dml::{check_row, is_not_null, storage_error, DeclaredNulls, NULL};
use super::rowid::{insert_with_implicit_key, RowidKeys};
use super::trigger::RowTriggers;

/// Widest table whose INSERT builds its rows in a stack array rather than a heap one.
const STACK_ROW_COLUMNS: usize = 8;

/// Inserts the rows `insert.source` produces, handing RETURNING rows to `sink`; returns
/// the row count (rows an upsert updated included) and records it in the connection's
/// counters.
pub fn insert(
    txn: &mut Transaction,
    insert: &Insert,
    env: StatementEnv<'_>,
    sink: &mut RowSink<'_>,
) -> Result<usize> {
    let mut done = 0;
    let inserted = insert_rows(txn, insert, env, sink, &mut done);
    if let Some(counters) = env.counters {
        super::dml::record_changes(counters, insert.on_conflict, &inserted, done);
    }
    inserted
}

/// Inserts the rows; `done` follows the count of rows written so far (what `changes()`
/// says after an OR FAIL failure, which keeps them).
fn insert_rows(
    txn: &mut Transaction,
    insert: &Insert,
    env: StatementEnv<'_>,
    sink: &mut RowSink<'_>,
    done: &mut usize,
) -> Result<usize> {
    match insert.write {
        InsertWrite::Batched => return super::insert_batch::insert_batched(txn, insert, env, done),
        InsertWrite::CopyRows => return super::insert_copy::insert_copied(txn, insert, env, done),
        InsertWrite::RowByRow | InsertWrite::EachRowProjected => {}
    }
    let replace = insert
        .on_conflict
        .may_act_as(&insert.table, OnConflict::Replace);
    // INSERT triggers on the table (`None`: none, or no trigger in the catalog).
    let triggers = RowTriggers::find(&env, &insert.table, TriggerEventKind::Insert, &|_| true);
    let triggers = triggers.as_ref();
    // The DELETE triggers of the rows REPLACE removes (under `recursive_triggers`).
    let deletes = super::trigger::replace_delete_triggers(&env, insert);
    let fired = (triggers, deletes.as_ref());
    // CHECK and FOREIGN KEY constraints (`None`: the table has none to enforce here).
    if let Some(guard) = RowGuard::for_insert(&insert.table, &env, replace)? {
        let guarded = (Some(&guard), done);
        let inserted = super::upsert::insert_general(txn, insert, env, sink, guarded, fired);
        if matches!(&inserted, Err(error) if insert.on_conflict.keeps_changes(error)) {
            // OR FAIL keeps the rows before the failure: their foreign keys must hold (if
            // not, that error wins and the statement is undone, as in SQLite).
            guard.finish(txn)?;
        }
        let inserted = inserted?;
        guard.finish(txn)?;
        return Ok(inserted);
    }
    let clauses = insert.upsert.is_some()
        || insert.returning.is_some()
        || triggers.is_some()
        || deletes.is_some();
    if clauses || insert.sequence.is_some() {
        return super::upsert::insert_general(txn, insert, env, sink, (None, done), fired);
    }
    if let (Some(plain), Node::Values { rows }) = (&insert.plain_rows, &insert.source) {
        check_rows_max(rows.len(), env.rows_max)?;
        return insert_plain_rows(txn, insert, (plain, rows), env, done);
    }
    if let Some(rows) = constant_rows(&insert.source) {
        check_rows_max(rows.len(), env.rows_max)?;
        return insert_constant_rows(txn, insert, rows, env, done);
    }
    super::upsert::insert_general(txn, insert, env, sink, (None, done), (None, None))
}

/// The statement row limit, for the rows of a `VALUES` source.
pub(super) fn check_rows_max(rows: usize, rows_max: usize) -> Result<()> {
    if rows > rows_max {
        return Err(crate::err!(
            Limit,
            "statement materializes more than the limit of {rows_max} rows"
        ));
    }
    Ok(())
}

/// INSERT of plain rows (`exprs` holds the same rows as expressions). A row whose values
/// all fit their columns as they are (no coercion, no NULL in a NOT NULL column) goes to
/// storage as a stack array of values borrowed from the plan and the parameter list; any
/// other row takes `insert_one`, which coerces it or reports the error.
fn insert_plain_rows(
    txn: &mut Transaction,
    insert: &Insert,
    (plain, exprs): (&PlainRows, &[Vec<Expr>]),
    env: StatementEnv<'_>,
    done: &mut usize,
) -> Result<usize> {
    let params = env.params;
    let table = &*insert.table;
    let width = table.columns.len();
    debug_assert!(width <= PLAIN_ROW_COLUMNS_MAX && plain.rows.len() == exprs.len());
    let mut slots = None;
    let mut inserted = 0;
    // The INTEGER PRIMARY KEY of the last row inserted as it was given, recorded when the
    // statement ends (also in failure, as SQLite's row-by-row record would have it).
    let mut last_key = None;
    // An implicit rowid left NULL is assigned here (the table's first column), so the row
    // still goes in plain (an INTEGER PRIMARY KEY's takes the general path).
    let implicit_rowid = table.has_implicit_rowid();
    let mut pin = WritePin::for_rows(exprs.len());
    let inserted = (|| {
        for (row, row_exprs) in plain.rows.iter().zip(exprs) {
            let mut assigned = None;
            let mut values = [&NULL; PLAIN_ROW_COLUMNS_MAX];
            let mut fits = true;
            for ((slot, source), column) in values.iter_mut().zip(row).zip(&table.columns) {
                let value = match source {
                    RowValue::Value(value) => value,
                    RowValue::Parameter(index) => parameter(params, *index)?,
                };
                fits &= if value.is_null() {
                    !column.not_null
                } else {
                    fits_column(value, column)
                };
                *slot = value;
            }
            if implicit_rowid && values[0].is_null() && !fits {
                fits = values[1..width]
                    .iter()
                    .zip(&table.columns[1..])
                    .all(|(value, column)| match value {
                        Value::Null => !column.not_null,
                        value => fits_column(value, column),
                    });
                if fits {
                    assigned = Some(RowidKeys::default().next_key(txn, table, None)?);
                }
            }
            let added = if let (true, Some(key)) = (fits, assigned) {
                let (added, key) = insert_with_implicit_key(txn, table, key, |txn, key| {
                    let key = Value::Integer(key);
                    let mut values = values;
                    values[0] = &key;
                    insert_row(
                        txn,
                        table,
                        &values[..width],
                        (insert.on_conflict, env.time),
                        |e| storage_error(table, e),
                    )
                })?;
                if added {
                    last_key = Some(key);
                }
                added
            } else if fits {
                let values = &values[..width];
                let added = insert_row(txn, table, values, (insert.on_conflict, env.time), |e| {
                    storage_error(table, e)
                })?;
                if let (true, Some(column)) = (added, table.rowid_column) {
                    last_key = match values[column] {
                        Value::Integer(key) => Some(*key),
                        _ => None,
                    };
                }
                added
            } else {
                let slots = slots.get_or_insert_with(|| RowSlots::new(width));
                let added = insert_exprs(txn, insert, row_exprs, env, slots)?;
                if added {
                    // `insert_one` recorded its key.
                    last_key = None;
                }
                added
            };
            inserted += usize::from(added);
            *done = inserted;
            pin.row_written();
        }
        Ok(inserted)
    })();
    if let (Some(key), Some(counters)) = (last_key, env.counters) {
        counters.set_last_insert_rowid(key);
    }
    inserted
}

/// INSERT of `VALUES` rows made of constants and parameters without a plain form (a wide
/// table, or a computed default to fill): each row is built straight from them, borrowed
/// from the plan and the parameter list (no copy of a text value): no operator, no list of
/// source rows.
fn insert_constant_rows(
    txn: &mut Transaction,
    insert: &Insert,
    rows: &[Vec<Expr>],
    env: StatementEnv<'_>,
    done: &mut usize,
) -> Result<usize> {
    let mut slots = RowSlots::new(insert.table.columns.len());
    let mut inserted = 0;
    let mut pin = WritePin::for_rows(rows.len());
    for exprs in rows {
        inserted += usize::from(insert_exprs(txn, insert, exprs, env, &mut slots)?);
        *done = inserted;
        pin.row_written();
    }
    Ok(inserted)
}

/// Inserts the row of literals and parameters `exprs` through `insert_one`.
fn insert_exprs<'a>(
    txn: &mut Transaction,
    insert: &Insert,
    exprs: &'a [Expr],
    env: StatementEnv<'a>,
    slots: &mut RowSlots<'a>,
) -> Result<bool> {
    let params = env.params;
    let fill = |row: &mut [Cow<'a, Value>]| {
        for (expr, &position) in exprs.iter().zip(&insert.columns) {
            row[position] = Cow::Borrowed(constant_value(expr, params)?);
        }
        Ok(())
    };
    let eval = EvalContext::with_params(params);
    let (table, columns) = (&insert.table, &insert.columns);
    insert_one(
        txn,
        table,
        (columns, fill),
        (insert.on_conflict, env.counters, env.time),
        &eval,
        slots.row(),
    )
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

/// The value of parameter `index` (0-based).
fn parameter(params: &[Value], index: usize) -> Result<&Value> {
    params
        .get(index)
        .ok_or_else(|| crate::err!(InvalidInput, "parameter ${} has no value bound", index + 1))
}

/// A literal or a parameter (what `constant_rows` admits), borrowed from the plan or the
/// parameter list.
fn constant_value<'a>(expr: &'a Expr, params: &'a [Value]) -> Result<&'a Value> {
    match expr {
        Expr::Literal(value) => Ok(value),
        Expr::Parameter(index) => parameter(params, *index),
        other => Err(crate::err!(
            Internal,
            "constant INSERT row holds a computed expression: {other}"
        )),
    }
}

/// Builds one table row in `row` (one slot per column): `given` names the table positions
/// a source row gives and puts its values there; the other columns get their defaults, an
/// INTEGER PRIMARY KEY left NULL a new key. Checks and inserts the row under
/// `on_conflict`, recording its key in `counters`; false when it was skipped.
fn insert_one<'a>(
    txn: &mut Transaction,
    table: &TableDef,
    given: (&[usize], impl FnOnce(&mut [Cow<'a, Value>]) -> Result<()>),
    (on_conflict, counters, time): (
        OnConflict,
        Option<&ChangeCounters>,
        Option<&crate::expr::TransactionTime>,
    ),
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
    let mut implicit_key = None;
    if let Some(column) = table.rowid_column {
        if row[column].is_null() {
            let key = RowidKeys::default().next_key(txn, table, None)?;
            row[column] = Cow::Owned(Value::Integer(key));
            implicit_key = table.has_implicit_rowid().then_some(key);
        }
    }
    if on_conflict == OnConflict::Replace {
        // REPLACE puts a NOT NULL column's default in the place of a NULL, as SQLite does
        // (a column without a default fails as under ABORT).
        for (slot, column) in row.iter_mut().zip(&table.columns) {
            if let Some(default) = super::dml::replace_default(column, slot) {
                *slot = Cow::Owned(default.eval(&[], eval)?);
            }
        }
    }
    let mut failing = on_conflict;
    if on_conflict == OnConflict::Declared {
        match super::dml::declared_nulls(table, |column| row[column].is_null()) {
            DeclaredNulls::Skip => return Ok(false),
            DeclaredNulls::Write {
                defaults,
                failing: by,
            } => {
                failing = by;
                for position in defaults {
                    if let Some(default) = &table.columns[position].default {
                        row[position] = Cow::Owned(default.eval(&[], eval)?);
                    }
                }
            }
        }
    }
    match check_row(table, row) {
        Err(error) if on_conflict == OnConflict::Ignore && is_not_null(&error) => return Ok(false),
        Err(error) if is_not_null(&error) => return Err(on_conflict.mark(failing, error)),
        other => other?,
    };
    let inserted = match implicit_key {
        Some(key) => {
            let (inserted, key) = insert_with_implicit_key(txn, table, key, |txn, key| {
                row[0] = Cow::Owned(Value::Integer(key));
                insert_row(txn, table, row, (on_conflict, time), |e| {
                    storage_error(table, e)
                })
            })?;
            row[0] = Cow::Owned(Value::Integer(key));
            inserted
        }
        None => insert_row(txn, table, row, (on_conflict, time), |e| {
            storage_error(table, e)
        })?,
    };
    if let (true, Some(column), Some(counters)) = (inserted, table.rowid_column, counters) {
        if let Value::Integer(key) = &*row[column] {
            counters.set_last_insert_rowid(*key);
        }
    }
    Ok(inserted)
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

    /// Plain rows hold the literal defaults of the table they were planned against: after
    /// the table is recreated, the same SQL text must be planned again.
    #[test]
    fn recreated_tables_replan_their_defaults() {
        let conn = Database::in_memory().connect();
        conn.execute(
            "CREATE TABLE t(id INT NOT NULL PRIMARY KEY, v TEXT DEFAULT 'old')",
            (),
        )
        .unwrap();
        let insert = "INSERT INTO t(id) VALUES (?)";
        conn.execute(insert, [1]).unwrap();
        conn.execute("INSERT INTO t DEFAULT VALUES", ())
            .unwrap_err();
        conn.execute_batch(
            "DROP TABLE t; CREATE TABLE t(id INT PRIMARY KEY DEFAULT 9, v TEXT DEFAULT 'new')",
        )
        .unwrap();
        conn.execute(insert, [2]).unwrap();
        conn.execute("INSERT INTO t DEFAULT VALUES", ()).unwrap();
        let text = |s: &str| Value::Text(s.into());
        assert_eq!(
            rows(&conn, "SELECT id, v FROM t ORDER BY id"),
            [
                vec![Value::Integer(2), text("new")],
                vec![Value::Integer(9), text("new")]
            ]
        );
    }
}
