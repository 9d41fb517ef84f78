//! Ordered secondary indexes: the `IndexRange` plans EXPLAIN shows (ranges, prefix
//! equalities, ORDER BY without a sort, min/max) and when they are not used (hash indexes,
//! collations that differ, an affinity conversion of the column); answers with parameters
//! equal to a full scan's; range readers against concurrent writers; the index after a
//! checkpoint and recovery.

use std::path::PathBuf;

use ember::{Connection, Database, ErrorKind, Options, SyncPolicy, Value};

use crate::support::explain;

fn ints(conn: &Connection, sql: &str, params: &[Value]) -> Vec<i64> {
    conn.query(sql, params)
        .unwrap()
        .into_iter()
        .map(|row| row.get(0).unwrap())
        .collect()
}

fn loaded() -> Connection {
    let conn = Database::in_memory().connect();
    conn.execute_batch(
        "CREATE TABLE r(id INTEGER PRIMARY KEY, k INT, v INT, s TEXT, n TEXT COLLATE NOCASE, g INT);
         INSERT INTO r WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 400)
           SELECT x, (x * 37) % 101, x % 13, 's' || (x % 29), 'N' || (x % 31), x % 5 FROM c;
         UPDATE r SET k = NULL WHERE id % 50 = 0;
         CREATE INDEX r_k ON r(k);
         CREATE INDEX r_n ON r(n);
         CREATE INDEX r_gk ON r(g, k);",
    )
    .unwrap();
    conn
}

#[test]
fn explain_shows_index_ranges() {
    let conn = loaded();
    assert_eq!(
        explain(
            &conn,
            "SELECT count(*), sum(v) FROM r WHERE k BETWEEN ?1 AND ?2",
            &[Value::Integer(1), Value::Integer(2)]
        ),
        [
            "Project count(*), sum(v)",
            "└─ Aggregate count(*), sum(v)",
            concat!(
                "   └─ IndexRange r using r_k (k BETWEEN $1 AND $2) order k ASC ",
                "filter (k BETWEEN $1 AND $2)"
            ),
        ]
    );
    assert_eq!(
        explain(&conn, "SELECT id FROM r WHERE 10 < k AND k <= 20", &[])[1],
        "└─ IndexRange r using r_k (k > 10, k <= 20) order k ASC filter ((10 < k) AND (k <= 20))"
    );
    assert_eq!(
        explain(&conn, "SELECT id FROM r WHERE g = 2 AND k < 50", &[])[1],
        "└─ IndexRange r using r_gk (g = 2, k < 50) order k ASC filter ((g = 2) AND (k < 50))"
    );
    assert_eq!(
        explain(&conn, "SELECT * FROM r ORDER BY k DESC LIMIT 10", &[]),
        [
            "Limit 10 (fused read)",
            "└─ Project id, k, v, s, n, g",
            "   └─ IndexRange r using r_k order k DESC",
        ]
    );
    assert_eq!(
        explain(
            &conn,
            "SELECT id FROM r WHERE v = 3 ORDER BY k LIMIT 5 OFFSET 2",
            &[]
        ),
        [
            "Limit 5 offset 2 (fused read)",
            "└─ Project id",
            "   └─ IndexRange r using r_k order k ASC filter (v = 3)",
        ]
    );
    // An index range already in key order needs no sort, LIMIT or not.
    assert_eq!(
        explain(&conn, "SELECT id FROM r WHERE k > 90 ORDER BY k DESC", &[]),
        [
            "Project id (fused read)",
            "└─ IndexRange r using r_k (k > 90) order k DESC filter (k > 90)",
        ]
    );
    assert_eq!(
        explain(&conn, "SELECT max(k) FROM r WHERE g = 3", &[]),
        [
            "Project max(k)",
            "└─ Aggregate max(k)",
            concat!(
                "   └─ IndexRange r using r_gk (g = 3, k IS NOT NULL) order k DESC first ",
                "filter (g = 3)"
            ),
        ]
    );
    assert_eq!(
        explain(&conn, "SELECT min(n) FROM r", &[])[2],
        "   └─ IndexRange r using r_n (n IS NOT NULL) order n ASC first"
    );
    assert_eq!(
        explain(&conn, "SELECT id FROM r WHERE n >= 'n3'", &[])[1],
        "└─ IndexRange r using r_n (n >= 'n3') order n ASC filter ((n COLLATE NOCASE) >= 'n3')"
    );
    assert_eq!(
        explain(&conn, "DELETE FROM r WHERE k < 3", &[])[1],
        "└─ IndexRange r using r_k (k < 3) order k ASC filter (k < 3)"
    );
}

#[test]
fn ranges_the_index_cannot_serve_keep_the_scan_or_the_sort() {
    let conn = loaded();
    let scans = |sql: &str| {
        explain(&conn, sql, &[])
            .iter()
            .any(|l| l.contains("Scan r"))
    };
    // A BINARY comparison on a NOCASE index, and the reverse.
    assert!(scans("SELECT id FROM r WHERE n < 'n3' COLLATE BINARY"));
    conn.execute("CREATE INDEX r_s ON r(s COLLATE NOCASE)", ())
        .unwrap();
    assert!(scans("SELECT id FROM r WHERE s < 's3'"));
    assert!(!scans("SELECT id FROM r WHERE s COLLATE NOCASE < 's3'"));
    // A column the comparison's affinity converts (TEXT against a numeric CAST) is not
    // compared as stored; a converted constant is fine.
    assert!(scans("SELECT id FROM r WHERE n < CAST(5 AS INT)"));
    assert!(!scans("SELECT id FROM r WHERE k < CAST(5 AS TEXT) || ''"));
    assert!(scans("SELECT id FROM r WHERE k + 0 < 5"));
    // A whole-table ORDER BY without LIMIT keeps the sort; NULLS LAST ascending too.
    assert!(scans("SELECT id FROM r ORDER BY k"));
    assert!(scans("SELECT id FROM r ORDER BY k NULLS LAST LIMIT 3"));
    assert!(scans("SELECT id FROM r ORDER BY k, id LIMIT 3"));
    // Hash indexes serve equality only.
    conn.execute_batch("DROP INDEX r_k; DROP INDEX r_gk; CREATE INDEX r_kh ON r(k) USING HASH")
        .unwrap();
    assert!(scans("SELECT id FROM r WHERE k > 5"));
    assert!(
        explain(&conn, "SELECT id FROM r WHERE k = 5", &[])[1].contains("IndexLookup r using r_kh")
    );
    conn.execute("CREATE INDEX r_kb ON r(k) USING BTREE", ())
        .unwrap();
    assert!(!scans("SELECT id FROM r WHERE k > 5"));
    let error = conn
        .execute("CREATE INDEX r_kg ON r(k) USING GIN", ())
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Unsupported, "{error}");
}

#[test]
fn range_answers_equal_a_scan_with_parameters_of_every_type() {
    let conn = loaded();
    let params = [
        Value::Integer(20),
        Value::Real(20.5),
        Value::Text("20".into()),
        Value::Text("abc".into()),
        Value::Blob(vec![1]),
        Value::Null,
        Value::Integer(i64::MIN),
    ];
    // The same rows in a table without indexes answer by scanning.
    conn.execute_batch(
        "CREATE TABLE plain(id INTEGER PRIMARY KEY, k INT, v INT, s TEXT, n TEXT COLLATE NOCASE,
           g INT);
         INSERT INTO plain SELECT * FROM r;",
    )
    .unwrap();
    let queries = [
        "SELECT id FROM r WHERE k < ?1 ORDER BY id",
        "SELECT id FROM r WHERE k >= ?1 ORDER BY id",
        "SELECT id FROM r WHERE k BETWEEN ?1 AND ?2 ORDER BY id",
        "SELECT id FROM r WHERE g = ?1 AND k > ?2 ORDER BY id",
        "SELECT id FROM r WHERE n > ?1 ORDER BY id",
        "SELECT k FROM r WHERE k > ?1 ORDER BY k DESC LIMIT 7",
        "SELECT coalesce(max(k), -1) FROM r WHERE k < ?1",
    ];
    for ranged in queries {
        let scanned = ranged.replace("FROM r ", "FROM plain ");
        let scanned = scanned.as_str();
        let two = [Value::Integer(1), Value::Integer(2)];
        let count = if ranged.contains("?2") { 2 } else { 1 };
        assert!(explain(&conn, ranged, &two[..count])
            .iter()
            .any(|line| line.contains("IndexRange")));
        for first in &params {
            for second in &params[..3] {
                let args = [first.clone(), second.clone()];
                let needed = if ranged.contains("?2") {
                    &args[..]
                } else {
                    &args[..1]
                };
                assert_eq!(
                    ints(&conn, ranged, needed),
                    ints(&conn, scanned, needed),
                    "{ranged} with {needed:?}"
                );
            }
        }
    }
}

/// Runs `sql` until it does not meet a serialization conflict.
fn retried(conn: &Connection, sql: &str) {
    loop {
        match conn.execute_batch(sql) {
            Ok(()) => return,
            Err(error) if error.kind() == ErrorKind::SerializationConflict => {
                let _ = conn.execute("ROLLBACK", ());
            }
            Err(error) => panic!("{sql}: {error}"),
        }
    }
}

#[test]
fn range_readers_see_whole_snapshots_while_writers_insert_and_delete() {
    let db = Database::in_memory();
    let conn = db.connect();
    conn.execute_batch(
        "CREATE TABLE q(id INTEGER PRIMARY KEY, k INT, pair INT);
         CREATE INDEX q_k ON q(k);",
    )
    .unwrap();
    // Rows come in pairs (k, -k) written and deleted together: every snapshot holds whole
    // pairs, so the sum of k over any range symmetric around 0 is 0 and the count even.
    std::thread::scope(|scope| {
        for writer in 0..2i64 {
            let db = &db;
            scope.spawn(move || {
                let conn = db.connect();
                for round in 0..300i64 {
                    let pair = writer * 1_000 + round;
                    let k = (round * 7919 + writer) % 500 + 1;
                    let batch = format!(
                        "BEGIN; INSERT INTO q(k, pair) VALUES ({k}, {pair}), ({}, {pair}); COMMIT",
                        -k
                    );
                    retried(&conn, &batch);
                    if round % 3 == 0 {
                        retried(&conn, &format!("DELETE FROM q WHERE pair = {}", pair - 2));
                    }
                }
            });
        }
        for reader in 0..2i64 {
            let db = &db;
            scope.spawn(move || {
                let conn = db.connect();
                for round in 0..200i64 {
                    let bound = (round * 13 + reader) % 600;
                    let rows = conn
                        .query(
                            "SELECT count(*), coalesce(sum(k), 0) FROM q WHERE k BETWEEN ? AND ?",
                            [-bound, bound],
                        )
                        .unwrap();
                    let row = rows.first().expect("one row");
                    let (count, sum): (i64, i64) = (row.get(0).unwrap(), row.get(1).unwrap());
                    assert_eq!((count % 2, sum), (0, 0), "bound {bound}");
                    let ordered = ints(&conn, "SELECT k FROM q ORDER BY k DESC LIMIT 50", &[]);
                    assert!(ordered.windows(2).all(|w| w[0] >= w[1]), "{ordered:?}");
                }
            });
        }
    });
    let total: i64 = conn.query_value("SELECT count(*) FROM q", ()).unwrap();
    let ranged: i64 = conn
        .query_value("SELECT count(*) FROM q WHERE k BETWEEN -1000 AND 1000", ())
        .unwrap();
    assert_eq!(ranged, total);
    let max: i64 = conn.query_value("SELECT max(k) FROM q", ()).unwrap();
    let scanned: i64 = conn.query_value("SELECT max(k + 0) FROM q", ()).unwrap();
    assert_eq!(max, scanned);
}

#[test]
fn ordered_indexes_survive_checkpoint_and_recovery() {
    let dir: PathBuf =
        std::env::temp_dir().join(format!("ember-it-ordered-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let options = Options::new().sync_policy(SyncPolicy::Off);
    let query = "SELECT id FROM t WHERE k BETWEEN 10 AND 30 ORDER BY k DESC";
    let expected;
    {
        let db = Database::open_with(&dir, options.clone()).unwrap();
        let conn = db.connect();
        conn.execute_batch(
            "CREATE TABLE t(id INTEGER PRIMARY KEY, k INT, s TEXT);
             INSERT INTO t VALUES (1, 10, 'a'), (2, 20, 'B'), (3, 30, 'c'), (4, 40, 'D');
             CREATE INDEX t_k ON t(k);
             CREATE INDEX t_s ON t(s COLLATE NOCASE) USING BTREE;
             CREATE INDEX t_h ON t(s) USING HASH;",
        )
        .unwrap();
        conn.execute("CHECKPOINT", ()).unwrap();
        conn.execute_batch("UPDATE t SET k = 25 WHERE id = 4; DELETE FROM t WHERE id = 1;")
            .unwrap();
        expected = ints(&conn, query, &[]);
        assert_eq!(expected, [3, 4, 2]);
    }
    for _ in 0..2 {
        let db = Database::open_with(&dir, options.clone()).unwrap();
        let conn = db.connect();
        assert_eq!(ints(&conn, query, &[]), expected);
        assert!(explain(&conn, query, &[])[1].contains("IndexRange t using t_k"));
        let nocase = "SELECT id FROM t WHERE s COLLATE NOCASE >= 'b' ORDER BY id";
        let plan = explain(&conn, nocase, &[]);
        assert!(
            plan.iter().any(|l| l.contains("IndexRange t using t_s")),
            "{plan:?}"
        );
        assert_eq!(ints(&conn, nocase, &[]), [2, 3, 4]);
        assert!(explain(&conn, "SELECT id FROM t WHERE s > 'a'", &[])[1].contains("Scan t"));
        conn.execute("CHECKPOINT", ()).unwrap();
    }
    let _ = std::fs::remove_dir_all(&dir);
}
