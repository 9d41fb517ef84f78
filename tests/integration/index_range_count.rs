//! Counting walks over index ranges (`Aggregate .. counting`, walked by the storage's
//! spread walk when the range decides the whole filter) answer as SQLite does: ranges that
//! span many of the walk's batches, open and closed, integer and text, and a bare column
//! reads the first row of the range in index order as the ordered walk does, after writes
//! that leave stale index entries (indexed columns updated, rows deleted and reinserted)
//! and under an open snapshot that still sees the old versions. Counts over equality
//! lookups of the same indexes, constant and correlated, are checked beside them; a lookup
//! of a key holding many rows is counted as the range of its key, one of a key holding
//! few from the index's entries when the index is settled.

use ember::{Database, Value};

use super::support;

const SCHEMA: &[&str] = &[
    "CREATE TABLE t(id INTEGER PRIMARY KEY, a INTEGER, b INTEGER, s TEXT)",
    "CREATE INDEX t_a ON t(a)",
    "CREATE INDEX t_s ON t(s)",
    "CREATE INDEX t_ba ON t(b, a)",
    "CREATE INDEX t_b ON t(b)",
];

/// Writes applied to both engines in turn, each leaving stale entries behind.
const WRITES: &[&str] = &[
    "UPDATE t SET a = a + 1000 WHERE id % 5 = 0",
    "DELETE FROM t WHERE id % 7 = 0",
    "INSERT INTO t SELECT id + 10000, a % 300, b, 'k' || (id % 90) FROM t WHERE id % 11 = 0",
    "UPDATE t SET s = 'k' || (a % 50) WHERE id % 3 = 0",
    "UPDATE t SET a = a - 1000 WHERE a >= 1000 AND id % 2 = 0",
    "DELETE FROM t WHERE a BETWEEN 100 AND 120",
    "INSERT INTO t VALUES (7, 110, 3, 'k7'), (14, 115, 4, 'k14')",
];

const COUNTS: &[&str] = &[
    "SELECT count(*) FROM t WHERE a BETWEEN 20 AND 29",
    "SELECT count(*) FROM t WHERE a BETWEEN 0 AND 2999",
    "SELECT count(*) FROM t WHERE a >= 150",
    "SELECT count(a) FROM t WHERE a < 1500",
    "SELECT count(*) FROM t WHERE a > 100 AND a <= 1200",
    "SELECT count(*) FROM t WHERE s >= 'k2' AND s < 'k5'",
    "SELECT count(*) FROM t WHERE s LIKE 'k1%'",
    "SELECT count(*) FROM t WHERE b = 3 AND a > 50",
    "SELECT count(*) FROM t WHERE a = 110",
    "SELECT count(a), count(*) FROM t WHERE a = 2001",
    "SELECT count(*) FROM t WHERE s = 'k7'",
    "SELECT count(*) FROM t WHERE b = 3 AND a = 115",
    "SELECT count(*) FROM t WHERE a = NULL",
    "SELECT count(*) FROM t WHERE b = 5",
    "SELECT count(b), count(*) FROM t WHERE b = 12",
    "SELECT count(*) FROM t WHERE b = '5'",
    "SELECT count(*) FROM t WHERE b = 5.0",
    "SELECT count(*) FROM t WHERE b = 5 AND id % 2 = 0",
    "SELECT id, (SELECT count(*) FROM t AS i WHERE i.b = t.b) FROM t WHERE id < 40 ORDER BY id",
    "SELECT id, (SELECT count(*) FROM t AS i WHERE i.a = t.a) FROM t WHERE id < 60 ORDER BY id",
    "SELECT id, (SELECT count(*) FROM t AS i WHERE i.s = t.s AND i.b = t.b) FROM t \
     WHERE id BETWEEN 900 AND 960 ORDER BY id",
];

/// A bare column beside the count reads the first row of the range in index order (which
/// row SQLite reads depends on its plan): the rows are stepped then, as they are when a
/// filter the range does not decide is left.
const BARE: &[(&str, &str)] = &[
    (
        "SELECT count(*), id FROM t WHERE a BETWEEN 0 AND 2999",
        "SELECT count(*), id FROM t WHERE a BETWEEN 0 AND 2999 AND b + 0 >= 0",
    ),
    (
        "SELECT count(*), id, a FROM t WHERE a BETWEEN 200 AND 260",
        "SELECT count(*), id, a FROM t WHERE a BETWEEN 200 AND 260 AND b + 0 >= 0",
    ),
    (
        "SELECT count(*), s, id FROM t WHERE s >= 'k3'",
        "SELECT count(*), s, id FROM t WHERE s >= 'k3' AND b + 0 >= 0",
    ),
];

/// SQLite's rows for `sql` (the test fails on an error).
fn sqlite_rows(conn: &rusqlite::Connection, sql: &str) -> Vec<Vec<Value>> {
    support::sqlite_rows(conn, sql).unwrap()
}

fn ember_rows(conn: &ember::Connection, sql: &str) -> Vec<Vec<Value>> {
    conn.query(sql, ()).unwrap().into_values()
}

fn load(ember: &ember::Connection, sqlite: &rusqlite::Connection) {
    for sql in SCHEMA {
        ember.execute(sql, ()).unwrap();
        sqlite.execute(sql, []).unwrap();
    }
    // 5,000 rows: the widest ranges span several batches of the walk (1,024 entries).
    let fill = "INSERT INTO t WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c \
                WHERE i < 5000) SELECT i, (i * 7919) % 3000, i % 13, 'k' || (i % 997) FROM c";
    ember.execute(fill, ()).unwrap();
    sqlite.execute(fill, []).unwrap();
}

#[test]
fn counting_walks_answer_as_sqlite_after_writes_that_leave_stale_entries() {
    let db = Database::in_memory();
    let ember = db.connect();
    let sqlite = rusqlite::Connection::open_in_memory().unwrap();
    load(&ember, &sqlite);
    for (round, write) in std::iter::once(None)
        .chain(WRITES.iter().map(Some))
        .enumerate()
    {
        if let Some(sql) = write {
            ember.execute(sql, ()).unwrap();
            sqlite.execute(sql, []).unwrap();
        }
        for sql in COUNTS {
            assert_eq!(
                ember_rows(&ember, sql),
                sqlite_rows(&sqlite, sql),
                "{sql} (round {round})"
            );
        }
        for (spread, ordered) in BARE {
            assert_eq!(
                ember_rows(&ember, spread),
                ember_rows(&ember, ordered),
                "{spread} (round {round})"
            );
        }
    }
}

#[test]
fn an_open_snapshot_counts_the_versions_it_sees() {
    let db = Database::in_memory();
    let ember = db.connect();
    let sqlite = rusqlite::Connection::open_in_memory().unwrap();
    load(&ember, &sqlite);
    // The reader's snapshot: what SQLite holds before the writes.
    let reader = db.connect();
    reader.execute("BEGIN", ()).unwrap();
    let before: Vec<_> = COUNTS.iter().map(|sql| ember_rows(&reader, sql)).collect();
    for (sql, seen) in COUNTS.iter().zip(&before) {
        assert_eq!(seen, &sqlite_rows(&sqlite, sql), "{sql} before the writes");
    }
    for sql in WRITES {
        ember.execute(sql, ()).unwrap();
        sqlite.execute(sql, []).unwrap();
    }
    for (sql, seen) in COUNTS.iter().zip(&before) {
        assert_eq!(&ember_rows(&reader, sql), seen, "{sql} in the old snapshot");
        assert_eq!(
            ember_rows(&ember, sql),
            sqlite_rows(&sqlite, sql),
            "{sql} after the writes"
        );
    }
    reader.execute("COMMIT", ()).unwrap();
}

#[test]
fn a_lookup_of_a_key_holding_many_rows_is_counted_as_its_range() {
    let db = Database::in_memory();
    let ember = db.connect();
    let sqlite = rusqlite::Connection::open_in_memory().unwrap();
    load(&ember, &sqlite);
    // `b` holds 13 values over 5,000 rows: a key's rows are counted from its range.
    let many = support::explain(
        &ember,
        "SELECT count(*) FROM t WHERE b = ?",
        &[Value::Integer(5)],
    );
    assert!(
        many.iter().any(|line| line.contains("counting"))
            && many
                .iter()
                .any(|line| line.contains("IndexRange t using t_b (b = $1)")),
        "{many:?}"
    );
    let correlated = support::explain(
        &ember,
        "SELECT id, (SELECT count(*) FROM t AS i WHERE i.b = t.b) FROM t",
        &[],
    );
    assert!(
        correlated
            .iter()
            .any(|line| line.contains("IndexRange t using t_b (b = outer.t.b)")),
        "{correlated:?}"
    );
    // `a` holds about two rows a key: the lookup reads them.
    let few = support::explain(
        &ember,
        "SELECT count(*) FROM t WHERE a = ?",
        &[Value::Integer(5)],
    );
    assert!(
        few.iter()
            .any(|line| line.contains("IndexLookup t using t_a"))
            && few
                .iter()
                .any(|line| line.contains("Aggregate count(*) counting")),
        "{few:?}"
    );
    // A bare column beside the count reads its group's first row: the rows are grouped,
    // not counted, and the answer is SQLite's.
    for sql in [
        "SELECT s, count(*) FROM t WHERE a = 5",
        "SELECT s, count(*) FROM t WHERE b = 5",
    ] {
        let plan = support::explain(&ember, sql, &[]);
        assert!(
            !plan.iter().any(|line| line.contains("counting")),
            "{plan:?}"
        );
        assert_eq!(ember_rows(&ember, sql), sqlite_rows(&sqlite, sql), "{sql}");
    }
}

/// Counts of a key's rows through an index lookup (`KeyCount`): from a settled index's
/// entries when the key decides the filter, else by reading the rows; either way as SQLite
/// counts, on indexes whose halves may disagree (NOCASE), partial and expression indexes,
/// keys needing coercion, and in a transaction counting its own uncommitted writes.
#[test]
fn lookup_counts_answer_as_sqlite_on_every_kind_of_index() {
    let db = Database::in_memory();
    let ember = db.connect();
    let sqlite = rusqlite::Connection::open_in_memory().unwrap();
    let both = |sql: &str| {
        ember.execute(sql, ()).unwrap();
        sqlite.execute(sql, []).unwrap();
    };
    both("CREATE TABLE k(id INTEGER PRIMARY KEY, n INTEGER, name TEXT, tag TEXT, v REAL)");
    both("CREATE INDEX k_n ON k(n)");
    both("CREATE INDEX k_name ON k(name COLLATE NOCASE)");
    both("CREATE INDEX k_tag ON k(tag) WHERE v > 10");
    both("CREATE INDEX k_lower ON k(lower(tag))");
    both(
        "INSERT INTO k WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c \
         WHERE i < 3000) SELECT i, i % 400, CASE i % 3 WHEN 0 THEN 'Ann' WHEN 1 THEN 'ann' \
         ELSE 'Bob' END || (i % 20), 'T' || (i % 50), i % 40 FROM c",
    );
    let counts = [
        "SELECT count(*) FROM k WHERE n = 17",
        "SELECT count(*) FROM k WHERE n = '17'",
        "SELECT count(*) FROM k WHERE n = 17.0",
        "SELECT count(*) FROM k WHERE n = 17.5",
        "SELECT count(*) FROM k WHERE n = 'x'",
        "SELECT count(*), count(*) FROM k WHERE n = 399",
        "SELECT count(*) FROM k WHERE name = 'ann3' COLLATE NOCASE",
        "SELECT count(*) FROM k WHERE tag = 'T7' AND v > 10",
        "SELECT count(*) FROM k WHERE lower(tag) = 't7'",
        "SELECT count(*) FROM k WHERE n = 17 AND v > 5",
        "SELECT n, (SELECT count(*) FROM k AS i WHERE i.n = k.n) FROM k WHERE id <= 30 \
         ORDER BY id",
        "SELECT count(*), n FROM k WHERE n = 42",
    ];
    let check = |ember: &ember::Connection, stage: &str| {
        for sql in counts {
            assert_eq!(
                ember_rows(ember, sql),
                sqlite_rows(&sqlite, sql),
                "{sql} ({stage})"
            );
        }
    };
    check(&ember, "loaded");
    both("DELETE FROM k WHERE id % 9 = 0");
    both("UPDATE k SET n = n + 1 WHERE id % 4 = 0");
    check(&ember, "after writes");
    // A transaction's own writes are counted by reading rows, not from the entries.
    ember.execute("BEGIN", ()).unwrap();
    sqlite.execute("BEGIN", []).unwrap();
    both("INSERT INTO k VALUES (5001, 17, 'ANN3', 'T7', 50)");
    both("DELETE FROM k WHERE n = 399 AND id % 2 = 0");
    check(&ember, "inside a transaction");
    ember.execute("ROLLBACK", ()).unwrap();
    sqlite.execute("ROLLBACK", []).unwrap();
    check(&ember, "after rollback");
}
