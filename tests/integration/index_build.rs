//! CREATE INDEX over a table that already holds rows: the ordered entries are gathered in
//! one scan, sorted and loaded into the tree at once. The index then answers as a scan
//! does (equality, ranges, ORDER BY, NULLs, NOCASE keys), keeps working under writes, and a
//! unique index over repeated keys fails with SQLite's error and leaves nothing behind.

use ember::{Connection, Database, ErrorKind, Value};

fn rows(conn: &Connection, sql: &str) -> Vec<Vec<Value>> {
    conn.query(sql, ()).unwrap().values().to_vec()
}

fn plan(conn: &Connection, sql: &str) -> String {
    rows(conn, &format!("EXPLAIN {sql}"))
        .iter()
        .map(|row| format!("{:?}", row[0]))
        .collect::<Vec<_>>()
        .join("\n")
}

/// `t` and its copy `scan` (no index), `rows` rows of texts in mixed case and NULLs: row
/// `i` holds `k<r>` (odd `i`) or `K<r>` (even), `r` = `i * 7919 % 1009`, so a text repeats
/// 2018 rows later and equals another one's under NOCASE 1009 rows later.
fn twin_tables(conn: &Connection, rows: i64) {
    for table in ["t", "scan"] {
        conn.execute(
            &format!("CREATE TABLE {table}(id INTEGER PRIMARY KEY, s TEXT, n INT)"),
            (),
        )
        .unwrap();
        conn.execute(
            &format!(
                "INSERT INTO {table} WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 \
                 FROM c WHERE i < {rows}) SELECT i, CASE WHEN i % 13 = 0 THEN NULL \
                 WHEN i % 2 = 0 THEN 'K' || ((i * 7919) % 1009) ELSE 'k' || ((i * 7919) % 1009) \
                 END, i % 50 FROM c"
            ),
            (),
        )
        .unwrap();
    }
}

/// The same query over the indexed table and the copy give the same rows.
fn same_answers(conn: &Connection, query: &str) {
    let indexed = rows(conn, &query.replace("FROM x", "FROM t"));
    let scanned = rows(conn, &query.replace("FROM x", "FROM scan"));
    assert_eq!(indexed, scanned, "{query}");
}

const QUERIES: &[&str] = &[
    "SELECT id FROM x WHERE s = 'k17' ORDER BY id",
    "SELECT id FROM x WHERE s = 'K17' ORDER BY id",
    "SELECT count(*) FROM x WHERE s IS NULL",
    "SELECT s, id FROM x WHERE s BETWEEN 'k1' AND 'k2' ORDER BY s, id",
    "SELECT s, id FROM x WHERE s > 'k99' ORDER BY s, id",
    "SELECT s, id FROM x ORDER BY s, id LIMIT 40",
    "SELECT s, id FROM x ORDER BY s DESC, id DESC LIMIT 40",
    "SELECT count(*), count(DISTINCT s), min(s), max(s) FROM x",
];

#[test]
fn a_built_index_answers_as_a_scan_does() {
    let conn = Database::in_memory().connect();
    twin_tables(&conn, 6000);
    conn.execute("CREATE INDEX t_s ON t(s)", ()).unwrap();
    assert!(
        plan(&conn, "SELECT id FROM t WHERE s = 'k17'").contains("t_s"),
        "{}",
        plan(&conn, "SELECT id FROM t WHERE s = 'k17'")
    );
    for query in QUERIES {
        same_answers(&conn, query);
    }
    // Writes after the build go through the loaded tree.
    for table in ["t", "scan"] {
        conn.execute_batch(&format!(
            "UPDATE {table} SET s = 'k17' WHERE id % 101 = 0;
             DELETE FROM {table} WHERE id % 7 = 0;
             INSERT INTO {table} VALUES (100001, 'k17', 1), (100002, NULL, 2), (100003, 'a', 3)"
        ))
        .unwrap();
    }
    for query in QUERIES {
        same_answers(&conn, query);
    }
}

#[test]
fn a_nocase_index_built_over_rows_finds_keys_in_any_case() {
    let conn = Database::in_memory().connect();
    twin_tables(&conn, 3000);
    conn.execute("CREATE INDEX t_s ON t(s COLLATE NOCASE)", ())
        .unwrap();
    let query = "SELECT id FROM x WHERE s = 'k17' COLLATE NOCASE ORDER BY id";
    same_answers(&conn, query);
    assert!(!rows(&conn, &query.replace("FROM x", "FROM t")).is_empty());
    same_answers(
        &conn,
        "SELECT s COLLATE NOCASE, id FROM x ORDER BY s COLLATE NOCASE, id LIMIT 60",
    );
    // A unique NOCASE index: 'k17' and 'K17' are one key.
    let error = conn
        .execute("CREATE UNIQUE INDEX t_u ON t(s COLLATE NOCASE)", ())
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Constraint, "{error}");
}

#[test]
fn a_unique_index_over_repeated_keys_fails_and_leaves_nothing() {
    let conn = Database::in_memory().connect();
    // Texts repeat from row 2019 on (`twin_tables`).
    twin_tables(&conn, 3000);
    let error = conn
        .execute("CREATE UNIQUE INDEX t_u ON t(s)", ())
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Constraint, "{error}");
    assert!(
        error.to_string().contains("UNIQUE constraint failed: t.s"),
        "{error}"
    );
    assert!(rows(&conn, "SELECT name FROM ember_indexes WHERE name = 't_u'").is_empty());
    // NULLs never repeat a key: unique over distinct texts and many NULLs holds.
    conn.execute_batch(
        "CREATE TABLE w(id INTEGER PRIMARY KEY, s TEXT);
         INSERT INTO w SELECT id, CASE WHEN id % 3 = 0 THEN NULL ELSE 'w' || id END FROM t;
         CREATE UNIQUE INDEX w_s ON w(s)",
    )
    .unwrap();
    let error = conn
        .execute("INSERT INTO w VALUES (999999, 'w1')", ())
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Constraint, "{error}");
    conn.execute("INSERT INTO w VALUES (999999, NULL)", ())
        .unwrap();
    assert_eq!(
        rows(&conn, "SELECT count(*) FROM w WHERE s IS NULL")[0][0],
        Value::Integer(1001)
    );
}

#[test]
fn an_index_built_while_an_older_snapshot_reads_serves_that_snapshot() {
    let db = Database::in_memory();
    let (writer, reader) = (db.connect(), db.connect());
    twin_tables(&writer, 1500);
    reader.execute("BEGIN", ()).unwrap();
    let before = rows(&reader, "SELECT id FROM t WHERE s = 'k17' ORDER BY id");
    writer
        .execute("UPDATE t SET s = 'k17' WHERE id % 5 = 0", ())
        .unwrap();
    writer
        .execute("DELETE FROM t WHERE s = 'k17' AND id % 5 <> 0", ())
        .unwrap();
    writer.execute("CREATE INDEX t_s ON t(s)", ()).unwrap();
    assert_eq!(
        rows(&reader, "SELECT id FROM t WHERE s = 'k17' ORDER BY id"),
        before
    );
    reader.execute("COMMIT", ()).unwrap();
    let after = rows(&reader, "SELECT id FROM t WHERE s = 'k17' ORDER BY id");
    assert_eq!(after.len(), 300);
}
