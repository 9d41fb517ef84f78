//! `INSERT INTO t2 SELECT ...` written in batches (`InsertBatch` in EXPLAIN,
//! `Transaction::insert_batch`): a uniqueness violation in the middle of a batch fails the
//! statement with the row-by-row path's error and changes nothing; ROLLBACK TO a savepoint
//! undoes it; a snapshot taken before it sees none of its rows; every inserted row is
//! found through the primary key and through each index, into an empty table and into one
//! whose index is far larger than a batch; keys assigned to a NULL INTEGER PRIMARY KEY
//! follow the largest key; and the rows survive reopen (WAL replay). The row-by-row path
//! stays for the statements that need it.

use ember::{Connection, Database, Value};

use crate::support::{explain, TempDir};

fn count(conn: &Connection, sql: &str) -> i64 {
    match conn.query(sql, ()).unwrap().values()[0][0] {
        Value::Integer(n) => n,
        ref other => panic!("{sql}: {other:?}"),
    }
}

/// `p` with `rows` people (keys 1..=rows, unique e-mails), `p2` of the same shape, empty;
/// each with an ordered index on `email` (unique when `unique`) and one on `city`.
fn people(conn: &Connection, rows: i64, unique: bool) {
    let unique = if unique { "UNIQUE " } else { "" };
    for table in ["p", "p2"] {
        conn.execute_batch(&format!(
            "CREATE TABLE {table}(id INTEGER PRIMARY KEY, name TEXT, email TEXT, city TEXT, \
             age INTEGER, score REAL); \
             CREATE {unique}INDEX {table}_email ON {table}(email); \
             CREATE INDEX {table}_city ON {table}(city)"
        ))
        .unwrap();
    }
    conn.execute(
        &format!(
            "INSERT INTO p WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c \
             WHERE i < {rows}) SELECT i, 'name' || i, 'e' || (i * 7919 % 100003) || '@x.org', \
             'city' || (i % 50), 18 + i % 60, i * 0.25 FROM c"
        ),
        (),
    )
    .unwrap();
}

/// Every row of `p` with key at most `up_to` is in `p2`, found by key, by e-mail and by
/// city, and the ordered index on e-mail walks `rows` entries in e-mail order.
fn every_row_found(conn: &Connection, up_to: i64, rows: i64) {
    assert_eq!(count(conn, "SELECT count(*) FROM p2"), rows);
    let source = conn
        .query(&format!("SELECT id, email FROM p WHERE id <= {up_to}"), ())
        .unwrap();
    for row in source.values() {
        let (Value::Integer(id), Value::Text(email)) = (&row[0], &row[1]) else {
            panic!("{row:?}");
        };
        let by_email = conn
            .query("SELECT id FROM p2 WHERE email = ?", [email.to_string()])
            .unwrap();
        assert_eq!(by_email.values(), [vec![Value::Integer(*id)]], "{email}");
        let by_key = format!("SELECT count(*) FROM p2 WHERE id = {id} AND email = '{email}'");
        assert_eq!(count(conn, &by_key), 1);
    }
    let walked: Vec<Value> = conn
        .query("SELECT email FROM p2 ORDER BY email", ())
        .unwrap()
        .values()
        .iter()
        .map(|row| row[0].clone())
        .collect();
    assert_eq!(walked.len() as i64, rows);
    assert!(walked.windows(2).all(|pair| match (&pair[0], &pair[1]) {
        (Value::Text(a), Value::Text(b)) => a <= b,
        _ => false,
    }));
    let by_city = count(conn, "SELECT count(*) FROM p2 WHERE city = 'city7'");
    let expected = count(
        conn,
        &format!("SELECT count(*) FROM p WHERE city = 'city7' AND id <= {up_to}"),
    );
    assert_eq!(by_city, expected);
}

#[test]
fn explain_names_the_batched_write_and_the_row_by_row_one() {
    let conn = Database::in_memory().connect();
    people(&conn, 10, true);
    conn.execute("CREATE TABLE audit(n INT)", ()).unwrap();
    let first = |sql: &str| explain(&conn, sql, &[])[0].clone();
    assert_eq!(first("INSERT INTO p2 SELECT * FROM p"), "InsertCopy p2");
    assert_eq!(
        first("INSERT INTO p2 SELECT * FROM p WHERE id > 0"),
        "InsertBatch p2"
    );
    assert_eq!(
        first("INSERT INTO p2(email) SELECT email FROM p"),
        "InsertBatch p2"
    );
    assert_eq!(
        first("INSERT OR IGNORE INTO p2 SELECT * FROM p"),
        "Insert p2"
    );
    assert_eq!(
        first("INSERT INTO p2 SELECT * FROM p RETURNING id"),
        "Insert p2 returning id"
    );
    assert_eq!(
        first("INSERT INTO p2 VALUES (1, 'a', 'b', 'c', 1, 1.0)"),
        "Insert p2"
    );
    conn.execute(
        "CREATE TRIGGER p2_audit AFTER INSERT ON p2 BEGIN INSERT INTO audit VALUES (1); END",
        (),
    )
    .unwrap();
    assert_eq!(first("INSERT INTO p2 SELECT * FROM p"), "Insert p2");
}

#[test]
fn a_uniqueness_violation_mid_batch_fails_with_the_row_by_row_error_and_changes_nothing() {
    let conn = Database::in_memory().connect();
    people(&conn, 3000, true);
    conn.execute("INSERT INTO p2 SELECT * FROM p WHERE id <= 10", ())
        .unwrap();
    // Row 1500 of the source (the middle of the second batch) repeats a held e-mail; then
    // a key held by a row of p2; then two rows of one batch sharing an e-mail.
    let failing = [
        "INSERT INTO p2 SELECT id + 100, name, CASE WHEN id = 1500 THEN 'e7919@x.org' \
         ELSE email END, city, age, score FROM p WHERE id > 10",
        "INSERT INTO p2 SELECT CASE WHEN id = 2100 THEN 5 ELSE id END, name, email, city, \
         age, score FROM p WHERE id > 10",
        "INSERT INTO p2 SELECT id, name, CASE WHEN id = 1700 THEN 'same' WHEN id = 1800 \
         THEN 'same' ELSE email END, city, age, score FROM p WHERE id > 10",
    ];
    for sql in failing {
        assert!(explain(&conn, sql, &[])[0].starts_with("InsertBatch"));
        let batched = conn.execute(sql, ()).unwrap_err();
        let row_by_row = conn
            .execute(&format!("{sql} RETURNING id"), ())
            .unwrap_err();
        assert_eq!(batched.to_string(), row_by_row.to_string(), "{sql}");
        assert_eq!(batched.kind(), row_by_row.kind());
        assert_eq!(count(&conn, "SELECT count(*) FROM p2"), 10, "{sql}");
        every_row_found(&conn, 10, 10);
        // Inside a transaction: the statement is undone, the rows before it stay.
        conn.execute("BEGIN", ()).unwrap();
        conn.execute(
            "INSERT INTO p2 SELECT id + 5000, name, 'x' || email, city, age, \
                      score FROM p WHERE id <= 3",
            (),
        )
        .unwrap();
        conn.execute(sql, ()).unwrap_err();
        assert_eq!(count(&conn, "SELECT count(*) FROM p2"), 13);
        conn.execute("ROLLBACK", ()).unwrap();
    }
    assert_eq!(
        conn.execute("INSERT INTO p2 SELECT * FROM p WHERE id > 10", ())
            .unwrap(),
        2990
    );
    every_row_found(&conn, 3000, 3000);
}

#[test]
fn rollback_to_a_savepoint_undoes_the_batches() {
    let conn = Database::in_memory().connect();
    people(&conn, 2500, false);
    conn.execute("BEGIN", ()).unwrap();
    conn.execute("INSERT INTO p2 SELECT * FROM p WHERE id <= 100", ())
        .unwrap();
    conn.execute("SAVEPOINT s", ()).unwrap();
    assert_eq!(
        conn.execute("INSERT INTO p2 SELECT * FROM p WHERE id > 100", ())
            .unwrap(),
        2400
    );
    assert_eq!(count(&conn, "SELECT count(*) FROM p2"), 2500);
    conn.execute("ROLLBACK TO s", ()).unwrap();
    conn.execute("RELEASE s", ()).unwrap();
    conn.execute("COMMIT", ()).unwrap();
    every_row_found(&conn, 100, 100);
    assert_eq!(
        count(&conn, "SELECT count(*) FROM p2 WHERE email >= 'e'"),
        100
    );
}

#[test]
fn a_snapshot_taken_before_the_insert_sees_none_of_its_rows() {
    let db = Database::in_memory();
    let (writer, reader) = (db.connect(), db.connect());
    people(&writer, 3000, true);
    reader.execute("BEGIN", ()).unwrap();
    assert_eq!(count(&reader, "SELECT count(*) FROM p2"), 0);
    assert_eq!(
        writer
            .execute("INSERT INTO p2 SELECT * FROM p", ())
            .unwrap(),
        3000
    );
    assert_eq!(count(&reader, "SELECT count(*) FROM p2"), 0);
    assert_eq!(
        count(
            &reader,
            "SELECT count(*) FROM p2 WHERE email = 'e7919@x.org'"
        ),
        0
    );
    assert_eq!(count(&reader, "SELECT count(*) FROM p2 WHERE id = 1"), 0);
    assert_eq!(
        count(&reader, "SELECT count(*) FROM p2 WHERE email >= 'e'"),
        0
    );
    reader.execute("COMMIT", ()).unwrap();
    every_row_found(&reader, 3000, 3000);
}

#[test]
fn a_small_batch_into_a_large_index_and_assigned_keys() {
    let conn = Database::in_memory().connect();
    people(&conn, 12000, true);
    conn.execute("INSERT INTO p2 SELECT * FROM p WHERE id > 200", ())
        .unwrap();
    // 200 rows into an index of 11,800: inserted one entry at a time, in order.
    conn.execute("INSERT INTO p2 SELECT * FROM p WHERE id <= 200", ())
        .unwrap();
    every_row_found(&conn, 12000, 12000);
    // Keys left NULL take the largest key plus one, row after row of one batch.
    let sql = "INSERT INTO p2(name, email) SELECT name, 'k' || email FROM p WHERE id <= 1500";
    assert!(explain(&conn, sql, &[])[0].starts_with("InsertBatch"));
    assert_eq!(conn.execute(sql, ()).unwrap(), 1500);
    assert_eq!(conn.last_insert_rowid(), 13500);
    assert_eq!(
        count(&conn, "SELECT min(id) FROM p2 WHERE email LIKE 'k%'"),
        12001
    );
    assert_eq!(count(&conn, "SELECT count(DISTINCT id) FROM p2"), 13500);
    // Past the largest key there is: random unused keys, each distinct.
    conn.execute(
        "INSERT INTO p2(id, email) VALUES (9223372036854775807, 'last')",
        (),
    )
    .unwrap();
    let sql = "INSERT INTO p2(name, email) SELECT name, 'r' || email FROM p WHERE id <= 300";
    assert_eq!(conn.execute(sql, ()).unwrap(), 300);
    assert_eq!(count(&conn, "SELECT count(DISTINCT id) FROM p2"), 13801);
    assert_eq!(
        count(&conn, "SELECT count(*) FROM p2 WHERE email LIKE 'r%'"),
        300
    );
}

#[test]
fn the_rows_survive_reopen() {
    let dir = TempDir::new("insert-batch-reopen");
    {
        let db = Database::open(&dir.0).unwrap();
        let conn = db.connect();
        people(&conn, 2600, true);
        assert_eq!(
            conn.execute("INSERT INTO p2 SELECT * FROM p", ()).unwrap(),
            2600
        );
        conn.execute("DELETE FROM p2 WHERE id > 2000", ()).unwrap();
    }
    for _ in 0..2 {
        let db = Database::open(&dir.0).unwrap();
        let conn = db.connect();
        every_row_found(&conn, 2000, 2000);
        let sums = "SELECT sum(age), sum(score) FROM p2";
        let expected = "SELECT sum(age), sum(score) FROM p WHERE id <= 2000";
        assert_eq!(
            conn.query(sums, ()).unwrap().values(),
            conn.query(expected, ()).unwrap().values()
        );
    }
}

#[test]
fn concurrent_batched_inserts_of_overlapping_keys_keep_them_unique() {
    let db = Database::in_memory();
    people(&db.connect(), 4000, true);
    // Each thread copies overlapping slices of `p` (new keys, the same e-mails) again and
    // again; a statement that meets the other's e-mails fails whole (a duplicate or a
    // conflict), so every e-mail is in `p2` at most once and every statement all or nothing.
    let threads: Vec<_> = (0..2i64)
        .map(|thread| {
            let db = db.clone();
            std::thread::spawn(move || {
                let conn = db.connect();
                let mut written = 0;
                for round in 0..6i64 {
                    let (low, key) = ((round * 500 + thread * 250) % 3000, thread * 100_000);
                    let sql = format!(
                        "INSERT INTO p2 SELECT id + {key} + {round} * 10000, name, email, city, \
                         age, score FROM p WHERE id > {low} AND id <= {low} + 1000"
                    );
                    match conn.execute(&sql, ()) {
                        Ok(rows) => {
                            assert_eq!(rows, 1000);
                            written += 1000;
                        }
                        Err(error) => assert!(
                            matches!(
                                error.kind(),
                                ember::ErrorKind::Constraint
                                    | ember::ErrorKind::SerializationConflict
                            ),
                            "{error}"
                        ),
                    }
                }
                written
            })
        })
        .collect();
    let written: i64 = threads.into_iter().map(|t| t.join().unwrap()).sum();
    let conn = db.connect();
    assert_eq!(count(&conn, "SELECT count(*) FROM p2"), written);
    assert_eq!(
        count(&conn, "SELECT count(DISTINCT email) FROM p2"),
        written
    );
    assert_eq!(
        count(&conn, "SELECT count(*) FROM p2 WHERE email >= ''"),
        written
    );
    let by_index = "SELECT count(*) FROM p2 JOIN p ON p2.email = p.email";
    assert_eq!(count(&conn, by_index), written);
}
