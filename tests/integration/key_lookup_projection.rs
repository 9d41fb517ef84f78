//! A primary-key lookup's projection (`exec::key_lookup`): distinct plain columns move out
//! of the decoded row, anything else is evaluated; every value reads whole, run after run.

use ember::{Database, Value};

/// A key lookup's projection moves each column it reads once out of the decoded row:
/// repeated columns, columns beside expressions, and a run after another lookup (whose
/// moved-out values the buffer no longer holds) read every value whole.
#[test]
fn key_lookup_projections_move_or_copy_each_value_whole() {
    let text = |s: &str| Value::Text(s.to_string());
    let db = Database::in_memory();
    let conn = db.connect();
    conn.execute_batch(
        "CREATE TABLE p(id INTEGER PRIMARY KEY, s TEXT, t TEXT, n INT);
         INSERT INTO p VALUES (1, 'one-one-one-one-one', 'uno', 10), (2, 'two', 'dos', 20);",
    )
    .unwrap();
    let shapes: [(&str, Vec<Value>); 4] = [
        (
            "SELECT s, t, n FROM p WHERE id = ?",
            vec![text("one-one-one-one-one"), text("uno"), Value::Integer(10)],
        ),
        (
            "SELECT t, s, s FROM p WHERE id = ?",
            vec![
                text("uno"),
                text("one-one-one-one-one"),
                text("one-one-one-one-one"),
            ],
        ),
        (
            "SELECT s, length(s), n FROM p WHERE id = ?",
            vec![
                text("one-one-one-one-one"),
                Value::Integer(19),
                Value::Integer(10),
            ],
        ),
        (
            "SELECT n, id FROM p WHERE id = ?",
            vec![Value::Integer(10), Value::Integer(1)],
        ),
    ];
    for _ in 0..3 {
        for (sql, expected) in &shapes {
            let row = conn.query(sql, [1]).unwrap();
            assert_eq!(row.values()[0], *expected, "{sql}");
            // Another key between runs decodes over the same buffer.
            let other = conn.query(sql, [2]).unwrap();
            assert_eq!(other.values().len(), 1, "{sql}");
        }
    }
}
