//! Row values, ORDER BY inside aggregates, generated columns and INSTEAD OF triggers,
//! statement by statement against the bundled SQLite: tests/slt/row_values.slt,
//! aggregate_order.slt, generated_columns.slt and instead_of_triggers.slt give the same
//! rows and, where SQLite refuses a statement, the same error message ("row value misused",
//! "sub-select returns 1 columns - expected 2", "cannot modify v because it is a view",
//! ...).

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

#[test]
fn instead_of_triggers_match_sqlite_with_their_messages() {
    same_as_sqlite("instead_of_triggers.slt");
}

/// A write to a view reads the view through a SELECT made of the statement's own clauses:
/// its parameters keep their slots, in SET and in WHERE.
#[test]
fn view_writes_keep_their_parameter_slots() {
    let conn = ember::Database::in_memory().connect();
    conn.execute_batch(
        "CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT);
         INSERT INTO t VALUES (1, 'a'), (2, 'b');
         CREATE VIEW w AS SELECT id, v FROM t;
         CREATE TRIGGER w_upd INSTEAD OF UPDATE ON w BEGIN
           UPDATE t SET v = NEW.v || OLD.v WHERE id = OLD.id;
         END;
         CREATE TRIGGER w_ins INSTEAD OF INSERT ON w BEGIN
           INSERT INTO t VALUES (NEW.id, NEW.v);
         END",
    )
    .unwrap();
    conn.execute("UPDATE w SET v = ? WHERE id = ?", ("x", 2))
        .unwrap();
    conn.execute("INSERT INTO w(v, id) VALUES (?, ?)", ("c", 3))
        .unwrap();
    let rows = conn.query("SELECT v FROM t ORDER BY id", ()).unwrap();
    let values: Vec<String> = rows
        .values()
        .iter()
        .map(|row| match &row[0] {
            ember::Value::Text(text) => text.to_string(),
            other => format!("{other:?}"),
        })
        .collect();
    assert_eq!(values, ["a", "xb", "c"]);
}
