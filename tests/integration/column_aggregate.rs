//! Aggregates over a full scan read as typed column batches (`exec/aggregate/column_aggregate.rs`)
//! checked against SQLite: plain GROUP BY columns or none, COUNT(*) and one-column calls,
//! filters decided on the payload's bytes (ranges, equalities, BETWEEN on INTEGER and REAL
//! columns) and filters checked on each row of the batch (expressions, functions, CASE),
//! over keyed and rowid tables, a table wider than 64 columns, after updates and
//! deletes, beside an older snapshot, and a table that grew a column (read row by row).
//! The shapes the batches do not serve (expressions, FILTER) ride along, so a
//! path chosen wrongly shows as a different answer.

use super::support::{assert_same_rows, both_engines, insert_into_both};
use ember::Value;

/// `c(id, k, t, r, n, f, u)`: `k` an INTEGER key of `groups` values with NULLs, `t` a TEXT
/// key (some not ASCII), `r` a REAL with NULLs, `n` an INTEGER with NULLs and big values,
/// `f` a BOOLEAN, `u` untyped (integers, reals, text).
fn batch_table(keyed: bool, rows: i64, groups: i64) -> (ember::Database, rusqlite::Connection) {
    let id = if keyed {
        "id INTEGER PRIMARY KEY"
    } else {
        "id INTEGER"
    };
    let schema =
        format!("CREATE TABLE c({id}, k INTEGER, t TEXT, r REAL, n INTEGER, f BOOLEAN, u)");
    let (db, sqlite) = both_engines(&[&schema]);
    let mut random = fastrand::Rng::with_seed(38 + rows as u64 + u64::from(keyed));
    let data = (1..=rows).map(|id| {
        let k = match random.u8(0..30) {
            0 => Value::Null,
            _ => Value::Integer(random.i64(-3..groups)),
        };
        let t = match random.u8(0..20) {
            0 => Value::Null,
            1 => Value::Text(format!("ü{}", random.u8(0..3))),
            _ => Value::Text(format!("city{:02}", random.u8(0..12))),
        };
        let r = match random.u8(0..10) {
            0 => Value::Null,
            _ => Value::Real(f64::from(random.u16(0..8000)) / 8.0 - 100.0),
        };
        let n = match random.u8(0..10) {
            0 => Value::Null,
            1 => Value::Integer(random.i64(-(1 << 40)..1 << 40)),
            _ => Value::Integer(random.i64(-500..500)),
        };
        let f = Value::Integer(i64::from(random.bool()));
        let u = match random.u8(0..4) {
            0 => Value::Text(format!("{}", random.u8(0..9))),
            1 => Value::Real(f64::from(random.u8(0..40)) / 4.0),
            _ => Value::Integer(random.i64(0..100)),
        };
        [Value::Integer(id), k, t, r, n, f, u]
    });
    insert_into_both(
        &db,
        &sqlite,
        "INSERT INTO c VALUES (?, ?, ?, ?, ?, ?, ?)",
        data,
    );
    (db, sqlite)
}

const BATCH_QUERIES: &[&str] = &[
    // No GROUP BY, no filter, and with filters decided on the bytes.
    "SELECT count(*), count(r), sum(r), avg(n), total(n), min(r), max(n) FROM c",
    "SELECT count(*), sum(r) FROM c WHERE k BETWEEN 3 AND 9",
    "SELECT count(*), sum(n), avg(r) FROM c WHERE r >= 10.5 AND r < 300 AND k <> 4",
    "SELECT count(*), max(r), min(k) FROM c WHERE n = 7 OR n = 8",
    "SELECT count(*), sum(r) FROM c WHERE k > 1000",
    // One INTEGER key; bare key column; NULL keys form one group.
    "SELECT k, count(*), sum(r), avg(r), count(n), sum(n), min(r), max(r) FROM c GROUP BY k",
    "SELECT k, count(*), total(n) FROM c WHERE r BETWEEN 0 AND 400 GROUP BY k",
    "SELECT k, count(f), sum(f) FROM c GROUP BY k ORDER BY 2 DESC, 1 LIMIT 7",
    "SELECT count(*), sum(r) FROM c GROUP BY k HAVING count(*) > 3",
    // One TEXT key (ASCII and not), REAL and BOOLEAN keys.
    "SELECT t, count(*), sum(r), avg(n) FROM c GROUP BY t",
    "SELECT t, count(*), min(n), max(r) FROM c WHERE k >= 2 GROUP BY t",
    "SELECT r, count(*) FROM c WHERE r < -90 GROUP BY r",
    "SELECT count(*), sum(n) FROM c GROUP BY f",
    // Untyped columns: as keys, counted, and summed (the row path sums text).
    "SELECT count(*), min(k) FROM c GROUP BY u",
    "SELECT k, count(u), sum(u), avg(u) FROM c GROUP BY k",
    // Keys of several columns: INTEGER and TEXT (the key gives the bare key columns),
    // BOOLEAN and REAL (the first rows are read again), untyped, three terms, a repeat.
    "SELECT k, t, count(*), sum(r) FROM c GROUP BY k, t",
    "SELECT t, k, count(*) FROM c WHERE r >= 0 GROUP BY t, k HAVING count(*) > 1",
    "SELECT t, count(*), max(n) FROM c GROUP BY t, f",
    "SELECT r, k, count(*), min(n) FROM c WHERE r < -80 GROUP BY r, k",
    "SELECT count(*), min(id), k FROM c GROUP BY u, k",
    "SELECT k, t, count(*), sum(n) FROM c GROUP BY k, t, f",
    "SELECT k, count(*) FROM c GROUP BY k, k, t",
    "SELECT count(*), sum(r) FROM c GROUP BY n, t ORDER BY 1 DESC, 2 LIMIT 5",
    // Filters the payload's bytes do not decide, checked on each row of the batch: alone,
    // beside terms the bytes decide, compiled scalars and an expression tree.
    "SELECT k, count(*), sum(r) FROM c WHERE k + n > 100 GROUP BY k",
    "SELECT t, count(*), sum(n) FROM c WHERE upper(t) = 'CITY03' OR n % 7 = 1 GROUP BY t",
    "SELECT k, t, count(*) FROM c WHERE length(t) = 6 AND k BETWEEN 0 AND 50 GROUP BY k, t",
    "SELECT count(*), max(n), min(r) FROM c WHERE coalesce(t, 'none') <> 'none' AND r > 0",
    "SELECT count(*), sum(r) FROM c WHERE CASE WHEN k > 5 THEN n ELSE r END > 20",
    "SELECT u, count(*), sum(k) FROM c WHERE typeof(u) = 'integer' AND u > 40 GROUP BY u",
    "SELECT k, count(*) FROM c WHERE t IS NOT NULL AND t NOT LIKE '%1%' GROUP BY k",
    "SELECT count(*), sum(n) FROM c WHERE 1",
    "SELECT count(*), sum(n) FROM c WHERE 0",
    // Shapes left to the row path, beside them.
    "SELECT k, sum(r * 2), count(*) FILTER (WHERE n > 0) FROM c GROUP BY k",
    "SELECT k, t || 'x', count(*) FROM c GROUP BY k, t || 'x'",
    "SELECT k % 3, count(*), sum(r) FROM c GROUP BY k % 3",
    "SELECT count(*), sum(r) FROM c WHERE t LIKE 'city0%' AND k > 2",
    "SELECT count(DISTINCT k), sum(DISTINCT n) FROM c WHERE r > 0",
];

#[test]
fn batch_aggregates_as_sqlite() {
    for keyed in [true, false] {
        // Several batches of 4,096 slots, and thousands of groups.
        let (db, sqlite) = batch_table(keyed, 9000, 3000);
        assert_same_rows(&db.connect(), &sqlite, BATCH_QUERIES);
        let (db, sqlite) = batch_table(keyed, 300, 6);
        assert_same_rows(&db.connect(), &sqlite, BATCH_QUERIES);
    }
    let (db, sqlite) = batch_table(true, 0, 1);
    assert_same_rows(&db.connect(), &sqlite, BATCH_QUERIES);
}

#[test]
fn parallel_batch_aggregates_as_sqlite() {
    // Large enough to split: each worker folds its slot range's batches; a sum whose
    // inputs could round differently in parts keeps the statement serial.
    let (db, sqlite) = batch_table(true, 30_000, 500);
    let conn = db.connect();
    conn.execute("PRAGMA threads = 3", ()).unwrap();
    assert_same_rows(&conn, &sqlite, BATCH_QUERIES);
}

#[test]
fn batch_aggregates_after_writes_and_beside_an_old_snapshot() {
    let (db, sqlite) = batch_table(true, 5000, 40);
    let old = db.connect();
    old.execute("BEGIN", ()).unwrap();
    let before: Vec<_> = BATCH_QUERIES
        .iter()
        .map(|sql| old.query(sql, ()).unwrap().into_values())
        .collect();
    let writes = [
        "UPDATE c SET r = r * 2, k = k + 1 WHERE id % 3 = 0",
        "DELETE FROM c WHERE id % 7 = 0",
        "UPDATE c SET t = NULL, n = NULL WHERE id % 11 = 0",
        "INSERT INTO c SELECT id + 100000, k, t, r, n, f, u FROM c WHERE id % 5 = 0",
    ];
    let conn = db.connect();
    for sql in writes {
        conn.execute(sql, ()).unwrap();
        sqlite.execute(sql, []).unwrap();
    }
    assert_same_rows(&conn, &sqlite, BATCH_QUERIES);
    // The snapshot taken before the writes still answers as it did.
    for (sql, answer) in BATCH_QUERIES.iter().zip(before) {
        assert_eq!(old.query(sql, ()).unwrap().into_values(), answer, "{sql}");
    }
    old.execute("COMMIT", ()).unwrap();
}

#[test]
fn wide_and_grown_tables_as_sqlite() {
    // 70 columns: the null bitmap is more than one word.
    let columns: Vec<String> = (0..70).map(|i| format!("c{i} INTEGER")).collect();
    let schema = format!(
        "CREATE TABLE w(id INTEGER PRIMARY KEY, {})",
        columns.join(", ")
    );
    let (db, sqlite) = both_engines(&[&schema]);
    let rows = (1..=2000i64).map(|id| {
        let mut row = vec![Value::Integer(id)];
        row.extend((0..70i64).map(|c| match (id + c) % 9 {
            0 => Value::Null,
            v => Value::Integer(v * c - id % 13),
        }));
        row
    });
    let marks = vec!["?"; 71].join(", ");
    insert_into_both(
        &db,
        &sqlite,
        &format!("INSERT INTO w VALUES ({marks})"),
        rows,
    );
    let queries = [
        "SELECT c3, count(*), sum(c69), avg(c40), count(c65) FROM w GROUP BY c3",
        "SELECT c66, count(*), max(c2) FROM w WHERE c68 BETWEEN 0 AND 300 GROUP BY c66",
        "SELECT count(*), sum(c0) FROM w WHERE c67 > 50",
    ];
    let conn = db.connect();
    assert_same_rows(&conn, &sqlite, &queries);
    // A column added after rows were written: those rows read its default.
    for sql in [
        "ALTER TABLE w ADD COLUMN extra INTEGER DEFAULT 5",
        "INSERT INTO w(id, c3, extra) VALUES (5000, 1, 9), (5001, 2, NULL)",
    ] {
        conn.execute(sql, ()).unwrap();
        sqlite.execute(sql, []).unwrap();
    }
    let grown = [
        "SELECT c3, count(*), sum(extra), count(extra) FROM w GROUP BY c3",
        "SELECT extra, count(*), sum(c5) FROM w GROUP BY extra",
        "SELECT count(*), sum(extra) FROM w WHERE c4 < 20",
    ];
    assert_same_rows(&conn, &sqlite, &grown);
}

/// A key column whose values differ within a group (2 and 2.0 are one key) reads the
/// group's first row, as every bare column does (docs/sql.md) and as SQLite's does,
/// whether the groups were folded from column batches or row by row; a key of INTEGER and
/// TEXT values is the group's own key.
#[test]
fn key_columns_read_as_the_first_row() {
    let db = ember::Database::in_memory();
    let conn = db.connect();
    conn.execute_batch(
        "CREATE TABLE g(id INTEGER PRIMARY KEY, x, y TEXT, z INTEGER);
         INSERT INTO g VALUES (1, 2, 'a', 1), (2, 2.0, 'a', 1), (3, 3.0, 'b', 2), (4, 3, 'b', 2),
           (5, 'q', 'c', 3), (6, 'q', 'c', 3);",
    )
    .unwrap();
    let typed = |sql: &str| -> Vec<Vec<Value>> { conn.query(sql, ()).unwrap().into_values() };
    let text = |s: &str| Value::Text(s.to_owned());
    // Batches (plain columns, plain calls) and rows (an expression call) agree.
    for sql in [
        "SELECT typeof(x), y, count(*) FROM g GROUP BY x, y",
        "SELECT typeof(x), y, sum(z + 0) FROM g GROUP BY x, y",
    ] {
        let rows = typed(sql);
        let types: Vec<Value> = rows.iter().map(|row| row[0].clone()).collect();
        assert_eq!(
            types,
            [text("integer"), text("real"), text("text")],
            "{sql}"
        );
    }
    assert_eq!(
        typed("SELECT z, y, count(*) FROM g GROUP BY z, y"),
        [
            [Value::Integer(1), text("a"), Value::Integer(2)],
            [Value::Integer(2), text("b"), Value::Integer(2)],
            [Value::Integer(3), text("c"), Value::Integer(2)],
        ]
    );
}

/// A filter the batch checks row by row that fails on some row fails the statement with
/// the error a row-by-row scan gives (SQLite's), the plan says it reads column batches,
/// and EXPLAIN ANALYZE counts the rows the filter passed.
#[test]
fn batch_filters_fail_and_count_as_the_row_scan() {
    let (db, sqlite) = batch_table(true, 3000, 20);
    let conn = db.connect();
    let failing = "SELECT k, count(*) FROM c WHERE json_extract(t, '$.a') IS NULL GROUP BY k";
    let plan = crate::support::explain(&conn, failing, &[]);
    assert!(
        plan.iter().any(|line| line.contains("in column batches")),
        "{plan:?}"
    );
    let ours = conn.query(failing, ()).unwrap_err().to_string();
    let theirs = sqlite
        .prepare(failing)
        .and_then(|mut statement| {
            statement
                .query([])
                .and_then(|mut rows| rows.next().map(|_| ()))
        })
        .unwrap_err()
        .to_string();
    assert!(ours.contains(&theirs), "{ours} / {theirs}");
    let counted = "SELECT k, count(*) FROM c WHERE k + n > 100 GROUP BY k";
    let passed: i64 = sqlite
        .query_row("SELECT count(*) FROM c WHERE k + n > 100", [], |row| {
            row.get(0)
        })
        .unwrap();
    let analyzed = crate::support::explain(&conn, &format!("ANALYZE {counted}"), &[]);
    let scan = analyzed
        .iter()
        .find(|line| line.contains("Scan c"))
        .unwrap();
    assert!(
        scan.contains(&format!("actual rows={passed}")),
        "{analyzed:?}"
    );
}
