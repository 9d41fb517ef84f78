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

/// `query_row` hands its result row back for the next statement, values and all, and a key
/// lookup swaps its decoded columns with them: statements over tables whose columns differ
/// in type at the same places (text, integer, real, blob, NULL), keys found and missed,
/// projections of every width, and index scans between them, in a mixed order, each read
/// whole against the rows inserted.
#[test]
fn recycled_result_values_never_leak_into_the_next_statements_row() {
    let db = Database::in_memory();
    let conn = db.connect();
    conn.execute_batch(
        "CREATE TABLE p(id INTEGER PRIMARY KEY, s TEXT, t TEXT, n INT);
         CREATE TABLE q(id INTEGER PRIMARY KEY, r REAL, b BLOB, s TEXT);
         CREATE INDEX q_r ON q(r);",
    )
    .unwrap();
    let mut p_rows = Vec::new();
    let mut q_rows = Vec::new();
    for id in 1..=8i64 {
        let s = if id % 3 == 0 {
            Value::Null
        } else {
            Value::Text("p".repeat(id as usize * 5))
        };
        let t = Value::Text(format!("t{id}"));
        let n = Value::Integer(id * 10);
        conn.execute(
            "INSERT INTO p VALUES (?, ?, ?, ?)",
            (id, s.clone(), t.clone(), n.clone()),
        )
        .unwrap();
        p_rows.push([Value::Integer(id), s, t, n]);
        let r = Value::Real(id as f64 / 4.0);
        let b = Value::Blob(vec![id as u8; id as usize]);
        let s = Value::Text(format!("q-{id}"));
        conn.execute(
            "INSERT INTO q VALUES (?, ?, ?, ?)",
            (id, r.clone(), b.clone(), s.clone()),
        )
        .unwrap();
        q_rows.push([Value::Integer(id), r, b, s]);
    }
    // (SQL, table, the columns it reads in order).
    let shapes: [(&str, usize, &[usize]); 7] = [
        ("SELECT s, t, n FROM p WHERE id = ?", 0, &[1, 2, 3]),
        ("SELECT id, s, t, n FROM p WHERE id = ?", 0, &[0, 1, 2, 3]),
        ("SELECT n FROM p WHERE id = ?", 0, &[3]),
        ("SELECT t, s FROM p WHERE id = ?", 0, &[2, 1]),
        ("SELECT r, b, s FROM q WHERE id = ?", 1, &[1, 2, 3]),
        ("SELECT s, b FROM q WHERE id = ?", 1, &[3, 2]),
        ("SELECT * FROM q WHERE id = ?", 1, &[0, 1, 2, 3]),
    ];
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut next = move |below: u64| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state % below
    };
    for step in 0..2_000 {
        if next(10) == 0 {
            // An index scan between lookups takes the recycled row too.
            let rows: Vec<i64> = conn
                .query("SELECT id FROM q WHERE r BETWEEN 0.5 AND 1.0", ())
                .unwrap()
                .values()
                .iter()
                .map(|row| match row[0] {
                    Value::Integer(id) => id,
                    ref other => panic!("id {other:?}"),
                })
                .collect();
            assert_eq!(rows, vec![2, 3, 4], "step {step}");
        }
        let (sql, table, columns) = shapes[next(shapes.len() as u64) as usize];
        let key = next(10) as i64; // 0 and 9 miss
        let got = conn.query_row(sql, [key], |row| Ok(row.values().to_vec()));
        let rows = if table == 0 { &p_rows } else { &q_rows };
        match rows.get((key as usize).wrapping_sub(1)) {
            Some(row) if (1..=8).contains(&key) => {
                let expected: Vec<Value> = columns.iter().map(|&c| row[c].clone()).collect();
                assert_eq!(got.unwrap(), expected, "step {step}: {sql} with {key}");
            }
            _ => assert!(got.is_err(), "step {step}: {sql} with {key} finds no row"),
        }
    }
}
