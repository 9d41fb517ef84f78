//! Secondary indexes through SQL: CREATE/DROP INDEX, the planner choosing them (EXPLAIN),
//! unique indexes and UNIQUE constraints against concurrent transactions, consistency with
//! a full scan after updates, deletes, rollbacks and VACUUM, 8 threads racing on unique
//! keys. (Cached plans re-planned after CREATE INDEX: prepared.rs.)

use std::collections::BTreeMap;

use ember::{Connection, Database, ErrorKind, Value};

fn plan(conn: &Connection, sql: &str) -> String {
    let parameters = [Value::Integer(1)];
    let params: &[Value] = if sql.contains('?') { &parameters } else { &[] };
    let rows = conn.query(&format!("EXPLAIN {sql}"), params).unwrap();
    rows.values()
        .iter()
        .map(|row| match &row[0] {
            Value::Text(line) => line.clone(),
            other => panic!("plan line {other:?}"),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn ints(conn: &Connection, sql: &str) -> Vec<i64> {
    let rows = conn.query(sql, ()).unwrap();
    rows.values()
        .iter()
        .map(|row| match row[0] {
            Value::Integer(i) => i,
            ref other => panic!("not an integer: {other:?}"),
        })
        .collect()
}

fn loaded() -> Connection {
    let conn = Database::in_memory().connect();
    conn.execute_batch("CREATE TABLE t(id INTEGER PRIMARY KEY, a INT, b TEXT, c INT)")
        .unwrap();
    let mut insert = conn.prepare("INSERT INTO t VALUES (?, ?, ?, ?)").unwrap();
    for id in 0..500i64 {
        insert
            .execute((id, id % 50, format!("b{}", id % 7), id))
            .unwrap();
    }
    conn
}

#[test]
fn explain_shows_index_lookups_and_results_match_a_scan() {
    let conn = loaded();
    let query = "SELECT id FROM t WHERE a = 7 AND b = 'b0' ORDER BY id";
    let scanned = ints(&conn, query);
    assert!(plan(&conn, query).contains("Scan t"));
    conn.execute_batch("CREATE INDEX t_a ON t(a); CREATE INDEX t_ab ON t(a, b)")
        .unwrap();
    let explained = plan(&conn, query);
    assert!(
        explained.contains("IndexLookup t using t_ab (a = 7, b = 'b0')"),
        "{explained}"
    );
    assert_eq!(ints(&conn, query), scanned);
    let explained = plan(&conn, "SELECT id FROM t WHERE a = ?1");
    assert!(explained.contains("IndexLookup t using t_a"), "{explained}");
    let by_param = conn.query("SELECT id FROM t WHERE a = ?", [7]).unwrap();
    assert_eq!(by_param.len(), 10);
    // The primary key still wins, and predicates no index serves keep the scan (ranges use
    // ordered indexes: plans_ordered.rs).
    assert!(plan(&conn, "SELECT * FROM t WHERE id = 3 AND a = 3").contains("KeyLookup"));
    assert!(plan(&conn, "SELECT * FROM t WHERE a <> 3").contains("Scan t"));
    assert!(plan(&conn, "DELETE FROM t WHERE a = 3").contains("IndexLookup"));
    assert!(plan(&conn, "UPDATE t SET c = 0 WHERE a = 3").contains("IndexLookup"));
}

#[test]
fn index_ddl_errors_and_if_exists_forms() {
    let conn = loaded();
    conn.execute("CREATE INDEX i ON t(a)", ()).unwrap();
    let error = conn.execute("CREATE INDEX i ON t(b)", ()).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::AlreadyExists, "{error}");
    conn.execute("CREATE INDEX IF NOT EXISTS i ON t(b)", ())
        .unwrap();
    let error = conn.execute("CREATE INDEX t ON t(b)", ()).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::AlreadyExists, "{error}");
    let error = conn.execute("CREATE INDEX j ON t(nope)", ()).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::NotFound, "{error}");
    let error = conn.execute("CREATE INDEX j ON nope(a)", ()).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::NotFound, "{error}");
    // An index expression may read only the table's own columns.
    let error = conn
        .execute("CREATE INDEX j ON t(nope + 1)", ())
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::NotFound, "{error}");
    // A partial index's WHERE may read only the table's own columns.
    let error = conn
        .execute("CREATE INDEX j ON t(a) WHERE nope > 1", ())
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::NotFound, "{error}");
    // A unique index over repeating data fails and leaves nothing behind.
    let error = conn
        .execute("CREATE UNIQUE INDEX u ON t(a)", ())
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Constraint, "{error}");
    assert!(
        error.to_string().contains("UNIQUE constraint failed: t.a"),
        "{error}"
    );
    assert!(ints(&conn, "SELECT entries FROM ember_indexes WHERE name = 'u'").is_empty());
    conn.execute("CREATE UNIQUE INDEX u ON t(c)", ()).unwrap();
    conn.execute("DROP INDEX i", ()).unwrap();
    let error = conn.execute("DROP INDEX i", ()).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::NotFound, "{error}");
    conn.execute("DROP INDEX IF EXISTS i", ()).unwrap();
    conn.execute("DROP TABLE t", ()).unwrap();
    assert!(ints(&conn, "SELECT entries FROM ember_indexes").is_empty());
    // The name is free again once its table is gone.
    conn.execute_batch("CREATE TABLE t2(x INT); CREATE INDEX u ON t2(x)")
        .unwrap();
}

#[test]
fn unique_constraints_are_unique_indexes() {
    let conn = Database::in_memory().connect();
    conn.execute_batch(
        "CREATE TABLE u(id INT PRIMARY KEY, email TEXT UNIQUE, a INT, b INT, UNIQUE(a, b))",
    )
    .unwrap();
    conn.execute("INSERT INTO u VALUES (1, 'x@y', 1, 1)", ())
        .unwrap();
    let error = conn
        .execute("INSERT INTO u VALUES (2, 'x@y', 1, 2)", ())
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Constraint);
    assert_eq!(error.to_string(), "UNIQUE constraint failed: u.email");
    let error = conn
        .execute("INSERT INTO u VALUES (2, 'z@y', 1, 1)", ())
        .unwrap_err();
    assert_eq!(error.to_string(), "UNIQUE constraint failed: u.a, u.b");
    // NULLs never conflict.
    conn.execute_batch(
        "INSERT INTO u VALUES (3, NULL, NULL, 1); INSERT INTO u VALUES (4, NULL, NULL, 1)",
    )
    .unwrap();
    let error = conn
        .execute("UPDATE u SET email = 'x@y' WHERE id = 3", ())
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Constraint);
    // Swapping keys inside one statement's rows one at a time hits the constraint, as in
    // SQLite; through a free key it works.
    conn.execute_batch(
        "BEGIN; UPDATE u SET email = 'tmp' WHERE id = 1; \
         UPDATE u SET email = 'x@y' WHERE id = 3; UPDATE u SET email = 'w@y' WHERE id = 1; \
         COMMIT",
    )
    .unwrap();
    assert_eq!(
        ints(&conn, "SELECT id FROM u WHERE email = 'x@y'"),
        [3],
        "{}",
        plan(&conn, "SELECT id FROM u WHERE email = 'x@y'")
    );
    // The PRIMARY KEY's index is the first (`id INT` is no rowid alias), email's the second.
    assert!(plan(&conn, "SELECT id FROM u WHERE email = 'x@y'").contains("ember_autoindex_u_2"));
    let error = conn
        .execute("DROP INDEX ember_autoindex_u_2", ())
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InvalidInput, "{error}");
}

#[test]
fn a_failed_statement_in_a_transaction_leaves_the_index_as_before() {
    let conn = Database::in_memory().connect();
    conn.execute_batch("CREATE TABLE t(k INT, v INT); CREATE UNIQUE INDEX tk ON t(k)")
        .unwrap();
    conn.execute_batch("BEGIN; INSERT INTO t VALUES (1, 1)")
        .unwrap();
    // The second row of this statement violates the index: the whole statement is undone.
    let error = conn
        .execute("INSERT INTO t VALUES (2, 2), (1, 3)", ())
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Constraint);
    conn.execute("INSERT INTO t VALUES (2, 4)", ()).unwrap();
    conn.execute("COMMIT", ()).unwrap();
    assert_eq!(ints(&conn, "SELECT v FROM t WHERE k = 2"), [4]);
    assert_eq!(
        ints(&conn, "SELECT entries FROM ember_indexes WHERE name = 'tk'"),
        [2]
    );
}

/// Rows found through the index for each key value 0..keys, against a full scan.
fn check_index_matches_scan(conn: &Connection, keys: i64) {
    let mut scanned: BTreeMap<i64, Vec<i64>> = BTreeMap::new();
    let rows = conn.query("SELECT k, id FROM t", ()).unwrap();
    for row in rows.values() {
        if let (Value::Integer(k), Value::Integer(id)) = (&row[0], &row[1]) {
            scanned.entry(*k).or_default().push(*id);
        }
    }
    for key in 0..keys {
        let sql = format!("SELECT id FROM t WHERE k = {key} ORDER BY id");
        let mut expected = scanned.remove(&key).unwrap_or_default();
        expected.sort();
        assert_eq!(ints(conn, &sql), expected, "key {key}");
    }
    assert!(plan(conn, "SELECT id FROM t WHERE k = 1").contains("IndexLookup"));
}

#[test]
fn the_index_matches_a_scan_after_updates_deletes_rollbacks_and_vacuum() {
    let conn = Database::in_memory().connect();
    conn.execute_batch("CREATE TABLE t(id INTEGER PRIMARY KEY, k INT); CREATE INDEX tk ON t(k)")
        .unwrap();
    let mut insert = conn.prepare("INSERT INTO t VALUES (?, ?)").unwrap();
    for id in 0..300i64 {
        insert.execute((id, id % 30)).unwrap();
    }
    conn.execute("UPDATE t SET k = k + 1 WHERE id % 3 = 0", ())
        .unwrap();
    conn.execute("DELETE FROM t WHERE id % 5 = 0", ()).unwrap();
    conn.execute_batch("BEGIN; UPDATE t SET k = 99 WHERE k = 4; DELETE FROM t WHERE k = 7")
        .unwrap();
    check_index_matches_scan(&conn, 100);
    conn.execute("ROLLBACK", ()).unwrap();
    conn.execute("UPDATE t SET id = id + 1000 WHERE k = 2", ())
        .unwrap();
    check_index_matches_scan(&conn, 100);
    conn.execute("VACUUM", ()).unwrap();
    check_index_matches_scan(&conn, 100);
    let live = ints(&conn, "SELECT id FROM t WHERE k IS NOT NULL").len() as i64;
    assert_eq!(
        ints(&conn, "SELECT entries FROM ember_indexes WHERE name = 'tk'"),
        [live],
        "after VACUUM only live keys have entries"
    );
}

#[test]
fn eight_threads_inserting_overlapping_unique_keys_keep_each_key_once() {
    const KEYS: i64 = 100;
    let db = Database::in_memory();
    db.connect()
        .execute_batch(
            "CREATE TABLE t(id INTEGER PRIMARY KEY, k INT, w INT); \
             CREATE UNIQUE INDEX tk ON t(k)",
        )
        .unwrap();
    let workers: Vec<_> = (0..8i64)
        .map(|thread| {
            let db = db.clone();
            std::thread::spawn(move || {
                let conn = db.connect();
                let (mut inserted, mut refused) = (0, 0);
                for i in 0..KEYS * 3 {
                    let key = (i * 11 + thread * 17) % KEYS;
                    let id = thread * 100_000 + i;
                    let outcome = conn.execute_batch(&format!(
                        "BEGIN; INSERT INTO t VALUES ({id}, {key}, {thread}); \
                         UPDATE t SET w = w + 1 WHERE k = {key}; COMMIT"
                    ));
                    match outcome {
                        Ok(()) => inserted += 1,
                        Err(error) => {
                            assert!(
                                matches!(
                                    error.kind(),
                                    ErrorKind::Constraint | ErrorKind::SerializationConflict
                                ),
                                "{error}"
                            );
                            refused += 1;
                            if conn.in_transaction() {
                                conn.execute("ROLLBACK", ()).unwrap();
                            }
                        }
                    }
                }
                (inserted, refused)
            })
        })
        .collect();
    let mut inserted = 0;
    for worker in workers {
        let (done, refused) = worker.join().unwrap();
        assert_eq!(done + refused, KEYS * 3);
        inserted += done;
    }
    let conn = db.connect();
    let keys = ints(&conn, "SELECT k FROM t ORDER BY k");
    assert_eq!(
        keys,
        (0..KEYS).collect::<Vec<_>>(),
        "every key exactly once"
    );
    assert_eq!(inserted, KEYS);
    let rows = conn.query("SELECT id, k FROM t", ()).unwrap();
    for row in rows.values() {
        let Value::Integer(key) = row[1] else {
            panic!("key")
        };
        let found = ints(&conn, &format!("SELECT id FROM t WHERE k = {key}"));
        assert_eq!(
            found,
            [match row[0] {
                Value::Integer(id) => id,
                _ => panic!("id"),
            }]
        );
    }
    conn.execute("VACUUM", ()).unwrap();
    assert_eq!(
        ints(&conn, "SELECT entries FROM ember_indexes WHERE name = 'tk'"),
        [KEYS]
    );
}

#[test]
fn in_lists_use_the_primary_key_and_secondary_indexes() {
    let conn = loaded();
    let cases = [
        "SELECT id FROM t WHERE a IN (3, 4, 4, NULL, 'x') ORDER BY id",
        "SELECT id FROM t WHERE a IN (3, 4) AND b = 'b3' ORDER BY id",
        "SELECT id FROM t WHERE id IN (5, 7, 7, 900, -1) ORDER BY id",
        "SELECT id FROM t WHERE a NOT IN (3, 4) AND c < 60 ORDER BY id",
    ];
    let scanned: Vec<Vec<i64>> = cases.iter().map(|sql| ints(&conn, sql)).collect();
    assert_eq!(scanned[2], [5, 7]);
    conn.execute_batch("CREATE INDEX t_a ON t(a); CREATE INDEX t_ab ON t(a, b)")
        .unwrap();
    for (sql, expected) in cases.iter().zip(&scanned) {
        assert_eq!(&ints(&conn, sql), expected, "{sql}");
    }
    let explained = plan(&conn, cases[0]);
    assert!(
        explained.contains("IndexIn t using t_a (a = 3) or (a = 4) or (a = 4) or (a = NULL)"),
        "{explained}"
    );
    assert!(plan(&conn, cases[1]).contains("IndexIn t using t_ab (a = 3, b = 'b3') or"));
    assert!(plan(&conn, cases[2]).contains("KeyIn t (id = 5) or (id = 7)"));
    assert!(plan(&conn, cases[3]).contains("Scan t"));
    // An equality beats an IN list on another index.
    assert!(plan(&conn, "SELECT id FROM t WHERE a IN (1, 2) AND id = 3").contains("KeyLookup"));
    conn.execute("DELETE FROM t WHERE a IN (3, 4)", ()).unwrap();
    assert!(ints(&conn, cases[0]).is_empty());
    assert_eq!(ints(&conn, "SELECT id FROM t WHERE a = 5").len(), 10);
}

/// Scans leave their row buffers with the connection for the next statement's scan (and
/// index lookups and ranges decode into recycled buffers): no value may survive into a
/// later statement, whatever the tables' widths and column types.
#[test]
fn scans_reuse_row_buffers_across_statements_without_leaking_values() {
    let conn = Database::in_memory().connect();
    conn.execute_batch(
        "CREATE TABLE a(x INT, s TEXT, y REAL);
         CREATE TABLE b(p TEXT);
         CREATE INDEX b_p ON b(p);
         CREATE INDEX a_x ON a(x);",
    )
    .unwrap();
    for i in 0..300 {
        conn.execute(
            "INSERT INTO a VALUES (?, ?, ?)",
            (i, format!("a{i}"), i as f64 / 2.0),
        )
        .unwrap();
        conn.execute("INSERT INTO b VALUES (?)", [format!("b{}", i % 7)])
            .unwrap();
    }
    for _ in 0..3 {
        let rows = conn.query("SELECT x, s, y FROM a", ()).unwrap();
        assert_eq!(rows.len(), 300);
        for row in rows.values() {
            let Value::Integer(x) = row[0] else {
                panic!("{row:?}")
            };
            assert_eq!(row[1], Value::Text(format!("a{x}")));
            assert_eq!(row[2], Value::Real(x as f64 / 2.0));
        }
        let rows = conn.query("SELECT p FROM b", ()).unwrap();
        assert_eq!(rows.len(), 300);
        assert!(rows
            .values()
            .iter()
            .all(|row| row.len() == 1 && matches!(&row[0], Value::Text(p) if p.starts_with('b'))));
        assert_eq!(
            ints(&conn, "SELECT count(*) FROM b WHERE p = 'b3'"),
            vec![43]
        );
        let found = conn
            .query("SELECT * FROM b WHERE p IN ('b1', 'b6', 'b1')", ())
            .unwrap();
        assert_eq!(found.len(), 43 + 42);
        assert_eq!(
            ints(
                &conn,
                "SELECT x FROM a WHERE x BETWEEN 10 AND 14 ORDER BY x DESC"
            ),
            vec![14, 13, 12, 11, 10]
        );
        assert_eq!(
            ints(&conn, "SELECT x FROM a ORDER BY x DESC LIMIT 3"),
            vec![299, 298, 297]
        );
        let joined = ints(
            &conn,
            "SELECT count(*) FROM a JOIN b ON b.p = 'b' || (a.x % 7) WHERE a.x < 14",
        );
        // x < 14 names every residue twice; the residues' rows in b sum to 300.
        assert_eq!(joined, vec![600]);
    }
}

/// An IN list through an index queues every row it reaches at once: within the row cap.
#[test]
fn an_index_in_list_past_the_row_cap_is_a_limit_error() {
    let db = Database::in_memory_with(ember::Options::new().statement_rows_max(20));
    let conn = db.connect();
    conn.execute_batch("CREATE TABLE t(k INT); CREATE INDEX t_k ON t(k);")
        .unwrap();
    for i in 0..30 {
        conn.execute("INSERT INTO t VALUES (?)", [i % 2]).unwrap();
    }
    let error = conn
        .query("SELECT k FROM t WHERE k IN (0, 1)", ())
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Limit, "{error}");
    assert_eq!(
        ints(&conn, "SELECT count(*) FROM t WHERE k IN (0)"),
        vec![15]
    );
}
