//! Row values, ORDER BY inside aggregates and generated columns, statement by statement
//! against the bundled SQLite: tests/slt/row_values.slt, aggregate_order.slt and
//! generated_columns.slt give the same rows and, where SQLite refuses a statement, the same
//! error message ("row value misused", "sub-select returns 1 columns - expected 2",
//! "cannot INSERT into generated column "b"", ...).

use crate::constraints::same_as_sqlite;

#[test]
fn row_values_match_sqlite_with_its_messages() {
    same_as_sqlite("row_values.slt");
}

#[test]
fn aggregate_order_matches_sqlite_with_its_messages() {
    same_as_sqlite("aggregate_order.slt");
}

/// A multi-column subquery is bound once per column: its `?` parameters keep the slots
/// their place in the text gives them, in a query and in an UPDATE.
#[test]
fn row_value_subqueries_keep_their_parameter_slots() {
    let conn = ember::Database::in_memory().connect();
    conn.execute(
        "CREATE TABLE t(id INTEGER PRIMARY KEY, a INTEGER, b TEXT)",
        (),
    )
    .unwrap();
    conn.execute("INSERT INTO t VALUES (1, 1, 'x'), (2, 2, 'y')", ())
        .unwrap();
    let rows = conn
        .query(
            "SELECT id FROM t WHERE (a, b) = (SELECT ?, ?) AND id > ?",
            (2, "y", 0),
        )
        .unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows.first().unwrap().get::<i64>(0).unwrap(), 2);
    conn.execute(
        "UPDATE t SET (b, a) = (SELECT ? || b, ? + a) WHERE id = ?",
        ("z", 10, 1),
    )
    .unwrap();
    let rows = conn.query("SELECT a, b FROM t WHERE id = 1", ()).unwrap();
    let row = rows.first().unwrap();
    assert_eq!(row.get::<i64>(0).unwrap(), 11);
    assert_eq!(row.get::<String>(1).unwrap(), "zx");
}

#[test]
fn generated_columns_match_sqlite_with_its_messages() {
    same_as_sqlite("generated_columns.slt");
}
