//! `DELETE FROM t` with no WHERE, which runs as a truncate in autocommit (a new, empty storage
//! table; `truncate.rs` tests what is its own) and as one bulk claim of every visible row inside a
//! transaction (`Transaction::delete_visible_rows`): snapshots taken before it still see every row,
//! ROLLBACK (of the transaction, or of the statement that failed) brings them back, `changes()` is
//! the row count, the deletion survives reopen from the WAL and from a checkpoint, a table foreign
//! keys reference takes the row-by-row path that enforces them, and the collector leaves the index
//! the exact entries of the rows left.

use crate::support::TempDir;
use ember::{Connection, Database, ErrorKind, Value};

fn count(conn: &Connection, sql: &str) -> i64 {
    match conn.query(sql, ()).unwrap().values()[0][0] {
        Value::Integer(n) => n,
        ref other => panic!("{other:?}"),
    }
}

/// A table of `rows` rows (keys 1..=rows) with a secondary index on `v`.
fn filled(conn: &Connection, rows: i64) {
    conn.execute_batch(
        "CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT, n INT); CREATE INDEX t_v ON t(v)",
    )
    .unwrap();
    conn.execute(
        &format!(
            "INSERT INTO t WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c \
             WHERE i < {rows}) SELECT i, 'v' || (i % 97), i * 2 FROM c"
        ),
        (),
    )
    .unwrap();
}

#[test]
fn a_snapshot_taken_before_the_delete_still_sees_every_row() {
    let db = Database::in_memory();
    let (writer, reader) = (db.connect(), db.connect());
    filled(&writer, 3000);
    reader.execute("BEGIN", ()).unwrap();
    assert_eq!(count(&reader, "SELECT count(*) FROM t"), 3000);
    assert_eq!(writer.execute("DELETE FROM t", ()).unwrap(), 3000);
    assert_eq!(writer.changes(), 3000);
    assert_eq!(count(&writer, "SELECT count(*) FROM t"), 0);
    assert_eq!(count(&writer, "SELECT count(*) FROM t WHERE v = 'v5'"), 0);
    // The older snapshot: every row, through the scan, the key and the index.
    assert_eq!(count(&reader, "SELECT count(*) FROM t"), 3000);
    assert_eq!(count(&reader, "SELECT sum(n) FROM t"), 3000 * 3001);
    assert_eq!(count(&reader, "SELECT n FROM t WHERE id = 1234"), 2468);
    assert_eq!(count(&reader, "SELECT count(*) FROM t WHERE v = 'v5'"), 31);
    writer.execute("VACUUM", ()).unwrap();
    assert_eq!(count(&reader, "SELECT count(*) FROM t"), 3000);
    reader.execute("COMMIT", ()).unwrap();
    assert_eq!(count(&reader, "SELECT count(*) FROM t"), 0);
    // The keys are free again.
    writer
        .execute("INSERT INTO t VALUES (1234, 'v5', 1)", ())
        .unwrap();
    assert_eq!(count(&reader, "SELECT count(*) FROM t WHERE v = 'v5'"), 1);
}

#[test]
fn rollback_brings_every_row_back_and_own_inserts_are_deleted_too() {
    let conn = Database::in_memory().connect();
    filled(&conn, 500);
    conn.execute("BEGIN", ()).unwrap();
    conn.execute("INSERT INTO t VALUES (9001, 'new', 1)", ())
        .unwrap();
    conn.execute("DELETE FROM t WHERE id = 7", ()).unwrap();
    assert_eq!(conn.execute("DELETE FROM t", ()).unwrap(), 500);
    assert_eq!(count(&conn, "SELECT count(*) FROM t"), 0);
    assert_eq!(conn.execute("DELETE FROM t", ()).unwrap(), 0);
    assert_eq!(conn.changes(), 0);
    conn.execute("ROLLBACK", ()).unwrap();
    assert_eq!(count(&conn, "SELECT count(*) FROM t"), 500);
    assert_eq!(count(&conn, "SELECT count(*) FROM t WHERE v = 'v7'"), 6);
    assert_eq!(count(&conn, "SELECT count(*) FROM t WHERE id = 9001"), 0);
    // Within a transaction that commits, the rows it inserted before go with the others.
    conn.execute("BEGIN", ()).unwrap();
    conn.execute("INSERT INTO t VALUES (9001, 'new', 1)", ())
        .unwrap();
    assert_eq!(conn.execute("DELETE FROM t", ()).unwrap(), 501);
    conn.execute("INSERT INTO t VALUES (5, 'after', 1)", ())
        .unwrap();
    conn.execute("COMMIT", ()).unwrap();
    assert_eq!(count(&conn, "SELECT count(*) FROM t"), 1);
    assert_eq!(count(&conn, "SELECT id FROM t WHERE v = 'after'"), 5);
}

#[test]
fn a_row_another_transaction_holds_fails_the_delete_and_changes_nothing() {
    let db = Database::in_memory();
    let (holder, deleter) = (db.connect(), db.connect());
    filled(&holder, 400);
    holder.execute("BEGIN", ()).unwrap();
    holder
        .execute("UPDATE t SET n = -1 WHERE id = 399", ())
        .unwrap();
    let error = deleter.execute("DELETE FROM t", ()).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::SerializationConflict, "{error}");
    assert!(error.to_string().contains("table t"), "{error}");
    assert_eq!(count(&deleter, "SELECT count(*) FROM t"), 400);
    holder.execute("COMMIT", ()).unwrap();
    assert_eq!(deleter.execute("DELETE FROM t", ()).unwrap(), 400);
    assert_eq!(count(&holder, "SELECT count(*) FROM t"), 0);
}

#[test]
fn the_deletion_survives_reopen_from_the_wal_and_from_a_checkpoint() {
    for checkpoint in [false, true] {
        let dir = TempDir::new("delete-every-row");
        {
            let db = Database::open(&dir.0).unwrap();
            let conn = db.connect();
            filled(&conn, 2000);
            conn.execute("CREATE TABLE other(x INT)", ()).unwrap();
            conn.execute("INSERT INTO other VALUES (1), (2)", ())
                .unwrap();
            assert_eq!(conn.execute("DELETE FROM t", ()).unwrap(), 2000);
            conn.execute("INSERT INTO t VALUES (7, 'kept', 3)", ())
                .unwrap();
            if checkpoint {
                conn.execute("CHECKPOINT", ()).unwrap();
            }
            conn.execute("BEGIN", ()).unwrap();
            conn.execute("DELETE FROM other", ()).unwrap();
            conn.execute("ROLLBACK", ()).unwrap();
        }
        for _ in 0..2 {
            let db = Database::open(&dir.0).unwrap();
            let conn = db.connect();
            assert_eq!(count(&conn, "SELECT count(*) FROM t"), 1, "{checkpoint}");
            assert_eq!(count(&conn, "SELECT id FROM t WHERE v = 'kept'"), 7);
            assert_eq!(count(&conn, "SELECT count(*) FROM t WHERE v = 'v5'"), 0);
            assert_eq!(count(&conn, "SELECT count(*) FROM other"), 2);
        }
    }
}

#[test]
fn a_checkpoint_while_an_older_snapshot_reads_holds_the_deletion() {
    let dir = TempDir::new("delete-every-row-checkpoint");
    {
        let db = Database::open(&dir.0).unwrap();
        let (writer, reader) = (db.connect(), db.connect());
        filled(&writer, 1000);
        reader.execute("BEGIN", ()).unwrap();
        assert_eq!(count(&reader, "SELECT count(*) FROM t"), 1000);
        assert_eq!(writer.execute("DELETE FROM t", ()).unwrap(), 1000);
        writer.execute("CHECKPOINT", ()).unwrap();
        assert_eq!(count(&reader, "SELECT count(*) FROM t"), 1000);
        reader.execute("COMMIT", ()).unwrap();
    }
    let db = Database::open(&dir.0).unwrap();
    assert_eq!(count(&db.connect(), "SELECT count(*) FROM t"), 0);
}

#[test]
fn a_table_foreign_keys_reference_is_deleted_row_by_row_under_them() {
    let conn = Database::in_memory().connect();
    conn.execute_batch(
        "PRAGMA foreign_keys = ON;
         CREATE TABLE p(id INTEGER PRIMARY KEY);
         CREATE TABLE c(id INTEGER PRIMARY KEY, pid INT REFERENCES p(id));
         CREATE TABLE q(id INTEGER PRIMARY KEY);
         CREATE TABLE d(id INTEGER PRIMARY KEY, qid INT REFERENCES q(id) ON DELETE CASCADE);
         INSERT INTO p VALUES (1), (2), (3);
         INSERT INTO c VALUES (10, 2);
         INSERT INTO q VALUES (1), (2);
         INSERT INTO d VALUES (10, 1), (11, 2), (12, NULL);",
    )
    .unwrap();
    let error = conn.execute("DELETE FROM p", ()).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Constraint, "{error}");
    assert_eq!(error.message(), "FOREIGN KEY constraint failed");
    assert_eq!(count(&conn, "SELECT count(*) FROM p"), 3);
    assert_eq!(conn.execute("DELETE FROM q", ()).unwrap(), 2);
    assert_eq!(conn.changes(), 2);
    assert_eq!(count(&conn, "SELECT count(*) FROM d"), 1);
    // The child table itself references but is not referenced: it empties in bulk.
    assert_eq!(conn.execute("DELETE FROM c", ()).unwrap(), 1);
    assert_eq!(conn.execute("DELETE FROM p", ()).unwrap(), 3);
    // Without enforcement, SQLite's answer: the parent empties and the child keeps its row.
    conn.execute_batch(
        "INSERT INTO p VALUES (1); INSERT INTO c VALUES (10, 1); PRAGMA foreign_keys = OFF",
    )
    .unwrap();
    assert_eq!(conn.execute("DELETE FROM p", ()).unwrap(), 1);
    assert_eq!(count(&conn, "SELECT count(*) FROM c"), 1);
}

#[test]
fn returning_still_hands_back_every_deleted_row() {
    let conn = Database::in_memory().connect();
    filled(&conn, 50);
    let rows = conn.query("DELETE FROM t RETURNING n", ()).unwrap();
    assert_eq!(rows.values().len(), 50);
    assert_eq!(conn.changes(), 50);
    assert_eq!(count(&conn, "SELECT count(*) FROM t"), 0);
}

/// Counts and sums of `t` read through the index on `v` (a range and a key) and through a
/// scan that no index answers: equal when the index holds exactly the live rows' entries.
fn index_and_scan(conn: &Connection) -> ([i64; 3], [i64; 3]) {
    let through_index = [
        count(conn, "SELECT count(*) FROM t WHERE v >= ''"),
        count(conn, "SELECT coalesce(sum(n), 0) FROM t WHERE v >= ''"),
        count(conn, "SELECT count(*) FROM t WHERE v = 'v5'"),
    ];
    let through_scan = [
        count(conn, "SELECT count(*) FROM t WHERE v || '' >= ''"),
        count(
            conn,
            "SELECT coalesce(sum(n), 0) FROM t WHERE v || '' >= ''",
        ),
        count(conn, "SELECT count(*) FROM t WHERE v || '' = 'v5'"),
    ];
    (through_index, through_scan)
}

/// Every row deleted and brought back by ROLLBACK TO, then most rows, a few, and the rest
/// deleted for good, each followed by a collection (VACUUM): the index answers as the scan
/// does at every step, so the collector removed exactly the entries of the rows gone.
#[test]
fn index_reads_match_the_scan_after_deletes_undone_and_kept() {
    let conn = Database::in_memory().connect();
    filled(&conn, 3000);
    conn.execute("BEGIN", ()).unwrap();
    conn.execute("SAVEPOINT s", ()).unwrap();
    assert_eq!(conn.execute("DELETE FROM t", ()).unwrap(), 3000);
    conn.execute("ROLLBACK TO s", ()).unwrap();
    assert_eq!(count(&conn, "SELECT count(*) FROM t WHERE v >= ''"), 3000);
    conn.execute("COMMIT", ()).unwrap();
    let steps = [
        ("DELETE FROM t WHERE id % 10 <> 0", 2700, 300),
        ("DELETE FROM t WHERE id % 37 = 0", 8, 292),
        ("DELETE FROM t", 292, 0),
    ];
    for (sql, deleted, left) in steps {
        assert_eq!(conn.execute(sql, ()).unwrap(), deleted, "{sql}");
        conn.execute("VACUUM", ()).unwrap();
        let (through_index, through_scan) = index_and_scan(&conn);
        assert_eq!(through_index, through_scan, "{sql}");
        assert_eq!(through_index[0], left, "{sql}");
    }
}

/// The plan's first line for `sql`.
fn plan_head(conn: &Connection, sql: &str) -> String {
    crate::support::explain(conn, sql, &[])[0].clone()
}

#[test]
fn explain_shows_the_whole_table_delete_only_where_nothing_is_done_per_row() {
    let conn = Database::in_memory().connect();
    filled(&conn, 10);
    conn.execute_batch(
        "CREATE TABLE audited(x INT);
         CREATE TABLE log(x INT);
         CREATE TRIGGER audit AFTER DELETE ON audited BEGIN INSERT INTO log VALUES (old.x); END;
         CREATE TABLE parent(id INTEGER PRIMARY KEY);
         CREATE TABLE child(pid INT REFERENCES parent(id));",
    )
    .unwrap();
    let whole = "DeleteAll t (every row: truncate, or one bulk claim in a transaction)";
    assert_eq!(plan_head(&conn, "DELETE FROM t"), whole);
    assert_eq!(plan_head(&conn, "DELETE FROM t WHERE 1"), whole);
    assert_eq!(
        plan_head(&conn, "DELETE FROM log"),
        "DeleteAll log (every row: truncate, or one bulk claim in a transaction)"
    );
    for general in [
        "DELETE FROM t WHERE n > 4",
        "DELETE FROM t WHERE 0",
        "DELETE FROM t RETURNING id",
        "DELETE FROM audited",
        "DELETE FROM parent",
    ] {
        assert!(
            plan_head(&conn, general).starts_with("Delete "),
            "{general}"
        );
    }
    // A trigger created after the plan was cached: the next run plans the general delete
    // and fires it.
    conn.execute_batch("INSERT INTO log VALUES (1), (2)")
        .unwrap();
    assert_eq!(conn.execute("DELETE FROM log", ()).unwrap(), 2);
    conn.execute_batch(
        "INSERT INTO log VALUES (1), (2);
         CREATE TABLE log_audit(x INT);
         CREATE TRIGGER log_gone BEFORE DELETE ON log BEGIN INSERT INTO log_audit VALUES (1); END;",
    )
    .unwrap();
    assert!(plan_head(&conn, "DELETE FROM log").starts_with("Delete "));
    assert_eq!(conn.execute("DELETE FROM log", ()).unwrap(), 2);
    assert_eq!(count(&conn, "SELECT count(*) FROM log_audit"), 2);
    // EXPLAIN ANALYZE runs the node and reports the rows it deleted.
    conn.execute("BEGIN", ()).unwrap();
    let lines = crate::support::explain(&conn, "ANALYZE DELETE FROM t", &[]);
    assert!(lines[0].starts_with("DeleteAll t"), "{lines:#?}");
    let last = lines.last().unwrap();
    assert!(last.starts_with("Execution: 10 rows changed"), "{lines:#?}");
    assert_eq!(count(&conn, "SELECT count(*) FROM t"), 0);
    conn.execute("ROLLBACK", ()).unwrap();
    // WHERE 1 deletes every row and counts them, as SQLite does.
    assert_eq!(conn.execute("DELETE FROM t WHERE 1", ()).unwrap(), 10);
    assert_eq!(conn.changes(), 10);
}

/// Rounds of fill, delete every row, collect, refill with other keys: each round's delete
/// empties the indexes whole, and each refill's rows are found through them exactly.
#[test]
fn indexes_emptied_whole_serve_the_rows_inserted_after() {
    let conn = Database::in_memory().connect();
    filled(&conn, 4000);
    conn.execute("CREATE INDEX t_n ON t(n)", ()).unwrap();
    for round in 1..=3i64 {
        assert_eq!(conn.execute("DELETE FROM t", ()).unwrap() as i64, 4000);
        conn.execute("VACUUM", ()).unwrap();
        let (through_index, through_scan) = index_and_scan(&conn);
        assert_eq!(through_index, [0, 0, 0], "round {round}");
        assert_eq!(through_index, through_scan, "round {round}");
        conn.execute(
            &format!(
                "INSERT INTO t WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c \
                 WHERE i < 4000) SELECT i * {round}, 'v' || (i % 97), i + {round} FROM c"
            ),
            (),
        )
        .unwrap();
        let (through_index, through_scan) = index_and_scan(&conn);
        assert_eq!(through_index, through_scan, "round {round}");
        assert_eq!(through_index[0], 4000, "round {round}");
        let by_n = count(&conn, &format!("SELECT id FROM t WHERE n = {}", 17 + round));
        assert_eq!(by_n, 17 * round, "round {round}");
    }
}

/// A row another transaction inserted and has not committed while every other row is
/// deleted: the collector finds its slot holding a version and keeps the index entries, so
/// the row is found through the indexes once committed.
#[test]
fn an_uncommitted_insert_keeps_its_index_entries_through_the_delete() {
    let db = Database::in_memory();
    let (inserter, deleter) = (db.connect(), db.connect());
    filled(&inserter, 3000);
    inserter.execute("BEGIN", ()).unwrap();
    inserter
        .execute("INSERT INTO t VALUES (5000, 'late', 77)", ())
        .unwrap();
    assert_eq!(deleter.execute("DELETE FROM t", ()).unwrap(), 3000);
    deleter.execute("VACUUM", ()).unwrap();
    inserter.execute("COMMIT", ()).unwrap();
    assert_eq!(count(&deleter, "SELECT id FROM t WHERE v = 'late'"), 5000);
    assert_eq!(count(&deleter, "SELECT count(*) FROM t WHERE v >= ''"), 1);
    assert_eq!(count(&deleter, "SELECT count(*) FROM t"), 1);
    // Concurrently: inserters commit rows while deletes of every row run; at the end the
    // index and the scan agree on what is left.
    let threads: Vec<_> = (0..2i64)
        .map(|thread| {
            let conn = db.connect();
            std::thread::spawn(move || {
                for i in 0..300i64 {
                    let id = 10_000 + thread * 1000 + i;
                    let sql = format!("INSERT INTO t VALUES ({id}, 'c' || {}, {i})", i % 13);
                    // An insert bound to the table a truncate has just closed is refused at
                    // commit; the engine binds it again and reruns it. Each refusal takes
                    // one truncate (the rerun binds the table the last one published), and
                    // the 20 below are fewer than the reruns it allows: every insert lands.
                    conn.execute(&sql, ())
                        .unwrap_or_else(|error| panic!("{sql}: {error}"));
                }
            })
        })
        .collect();
    let mut deleted = 0;
    for _ in 0..20 {
        match deleter.execute("DELETE FROM t", ()) {
            Ok(n) => deleted += n,
            Err(error) => assert_eq!(error.kind(), ErrorKind::SerializationConflict, "{error}"),
        }
    }
    for thread in threads {
        thread.join().unwrap();
    }
    deleter.execute("VACUUM", ()).unwrap();
    let left = count(&deleter, "SELECT count(*) FROM t");
    assert_eq!(
        deleted as i64 + left,
        601,
        "every row is deleted once or left"
    );
    let (through_index, through_scan) = index_and_scan(&deleter);
    assert_eq!(through_index, through_scan);
    assert_eq!(through_index[0], left);
}

#[test]
fn memory_held_by_the_rows_and_indexes_returns_after_the_collector() {
    let conn = Database::in_memory().connect();
    let stat = |column: &str| -> i64 {
        conn.query_value(&format!("SELECT {column} FROM ember_stats"), ())
            .unwrap()
    };
    conn.execute_batch(
        "CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT, n INT); CREATE INDEX t_v ON t(v);
         CREATE INDEX t_n ON t(n)",
    )
    .unwrap();
    let (empty_index, empty_used) = (stat("index_bytes"), stat("memory_used_bytes"));
    conn.execute(
        "INSERT INTO t WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c \
         WHERE i < 20000) SELECT i, printf('%040d', i), i FROM c",
        (),
    )
    .unwrap();
    let (full_index, full_used) = (stat("index_bytes"), stat("memory_used_bytes"));
    assert!(
        full_index > empty_index + 20000 * 40,
        "{full_index} {empty_index}"
    );
    assert_eq!(conn.execute("DELETE FROM t", ()).unwrap(), 20000);
    conn.execute("VACUUM", ()).unwrap();
    let (index, used) = (stat("index_bytes"), stat("memory_used_bytes"));
    // Each ordered tree keeps up to 512 KiB of recycled leaves for its next writes.
    let pooled_leaves = 2 * (512 << 10);
    assert!(
        index <= empty_index + pooled_leaves + 4096,
        "index bytes {index}, empty {empty_index}, full {full_index}"
    );
    let held = full_used - empty_used;
    assert!(
        used - empty_used < held / 4,
        "used {used}, empty {empty_used}, full {full_used}"
    );
}
