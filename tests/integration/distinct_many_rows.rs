//! DISTINCT, `count(DISTINCT)` and compounds over thousands of rows, against SQLite: walks
//! of ordered indexes that compare entries by their encoded key parts
//! (`exec/aggregate/distinct_walk.rs`, `storage mvcc/ordered_distinct.rs`: an entry equal to the
//! last row taken is not read) and hashed sets (`exec/hash/row_set.rs`), with thousands of distinct
//! texts, two-column DISTINCT, NOCASE and RTRIM columns (indexed and not), `1 / 1.0 / '1'` and
//! blobs, `0.0` and `-0.0`, NULLs; after deletes and updates, beside another transaction's
//! uncommitted writes, inside the writing transaction and in an old snapshot.

use super::settled_support::{
    same_answers_across_writes_and_vacuum, same_answers_beside_uncommitted_own_and_old,
};
use super::support::{assert_same_answers, both_engines};

const SCHEMA: &[&str] = &[
    "CREATE TABLE d(id INTEGER PRIMARY KEY, s TEXT, n TEXT COLLATE NOCASE, \
     rt TEXT COLLATE RTRIM, x REAL, u, b INTEGER, g TEXT, m TEXT COLLATE NOCASE)",
    "CREATE INDEX d_s ON d(s)",
    "CREATE INDEX d_n ON d(n)",
    "CREATE INDEX d_rt ON d(rt)",
    "CREATE INDEX d_x ON d(x)",
    "CREATE INDEX d_u ON d(u)",
    "CREATE INDEX d_bg ON d(b, g)",
    "INSERT INTO d WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c \
     WHERE i < 6000) SELECT i, \
     CASE WHEN i % 97 = 0 THEN NULL WHEN i % 89 = 0 THEN '' \
     ELSE 'v' || ((i * 7919) % 4001) END, \
     CASE i % 5 WHEN 0 THEN 'Ab' || (i % 50) WHEN 1 THEN 'aB' || (i % 50) \
     WHEN 2 THEN 'É' || (i % 20) WHEN 3 THEN 'é' || (i % 20) ELSE NULL END, \
     'r' || (i % 300) || substr('   ', 1, i % 4), \
     CASE i % 5 WHEN 0 THEN 0.0 WHEN 1 THEN -0.0 WHEN 2 THEN (i % 100) / 2.0 \
     WHEN 3 THEN NULL ELSE i % 100 END, \
     CASE i % 6 WHEN 0 THEN i % 10 WHEN 1 THEN (i % 10) * 1.0 \
     WHEN 2 THEN CAST(i % 10 AS TEXT) WHEN 3 THEN CAST(CAST(i % 10 AS TEXT) AS BLOB) \
     WHEN 4 THEN NULL ELSE (i % 10) + 0.5 END, \
     i % 40, 'g' || ((i * 31) % 77), \
     CASE i % 3 WHEN 0 THEN 'M' || (i % 300) WHEN 1 THEN 'm' || (i % 300) \
     ELSE 'm' || (i % 300) || ' ' END \
     FROM c",
];

const CHECKS: &[&str] = &[
    // Thousands of distinct texts, walked by the index on s.
    "SELECT * FROM (SELECT DISTINCT s FROM d) ORDER BY 1",
    "SELECT count(*) FROM (SELECT DISTINCT s FROM d)",
    "SELECT DISTINCT s FROM d ORDER BY s LIMIT 20",
    "SELECT DISTINCT s FROM d ORDER BY s DESC LIMIT 25 OFFSET 100",
    "SELECT DISTINCT s FROM d WHERE s BETWEEN 'v1' AND 'v3' ORDER BY s",
    "SELECT count(DISTINCT s), count(DISTINCT s COLLATE NOCASE) FROM d",
    "SELECT count(DISTINCT s) FROM d WHERE s >= 'v2'",
    // Two columns: walked by the index on (b, g), and hashed in the other order.
    "SELECT DISTINCT b, g FROM d ORDER BY b, g",
    "SELECT count(*) FROM (SELECT DISTINCT b, g FROM d)",
    "SELECT count(*) FROM (SELECT DISTINCT g, b FROM d)",
    "SELECT DISTINCT g FROM d WHERE b = 3 ORDER BY g",
    "SELECT DISTINCT g FROM d WHERE b = 3 ORDER BY g DESC",
    "SELECT count(DISTINCT g) FROM d WHERE b = 7",
    "SELECT count(DISTINCT g), count(DISTINCT b) FROM d",
    // Collations: indexed NOCASE and RTRIM columns, an unindexed NOCASE one.
    "SELECT count(DISTINCT n), count(DISTINCT rt), count(DISTINCT m) FROM d",
    "SELECT count(DISTINCT n) FROM d",
    "SELECT count(DISTINCT rt) FROM d",
    "SELECT count(DISTINCT m) FROM d",
    "SELECT count(DISTINCT n) FROM d WHERE n >= 'b'",
    "SELECT count(DISTINCT rt) FROM d WHERE rt > 'r1'",
    "SELECT count(DISTINCT rt COLLATE BINARY), count(DISTINCT n COLLATE BINARY) FROM d",
    "SELECT count(*) FROM (SELECT DISTINCT rt FROM d)",
    "SELECT count(*) FROM (SELECT DISTINCT m FROM d)",
    "SELECT lower(n) FROM (SELECT DISTINCT n FROM d) ORDER BY 1",
    // 1 / 1.0 / '1' / x'31', 0.0 / -0.0, NULLs.
    "SELECT count(DISTINCT x), count(DISTINCT u) FROM d",
    "SELECT count(DISTINCT x) FROM d",
    "SELECT count(DISTINCT u) FROM d",
    "SELECT count(*) FROM (SELECT DISTINCT x FROM d)",
    "SELECT typeof(u), u FROM (SELECT DISTINCT u FROM d) ORDER BY 1, 2",
    "SELECT DISTINCT x FROM d WHERE x > 10 ORDER BY x",
    // Compounds over many rows.
    "SELECT count(*) FROM (SELECT s FROM d UNION SELECT g FROM d)",
    "SELECT count(*) FROM (SELECT s FROM d EXCEPT SELECT s FROM d WHERE id % 3 = 0)",
    "SELECT count(*) FROM (SELECT b FROM d INTERSECT SELECT id FROM d)",
    "SELECT typeof(u), u FROM (SELECT u FROM d UNION SELECT x FROM d) ORDER BY 1, 2",
    "SELECT count(*) FROM (SELECT u FROM d INTERSECT SELECT x FROM d)",
    "SELECT count(*) FROM (SELECT n FROM d UNION SELECT s FROM d)",
    "SELECT count(*) FROM (SELECT rt FROM d EXCEPT SELECT m FROM d)",
];

const WRITES: &[&str] = &[
    "DELETE FROM d WHERE id % 7 = 0",
    "UPDATE d SET s = 'v' || (id % 13), g = 'g1', x = -x WHERE id % 5 = 1",
    "INSERT INTO d(id, s, n, rt, x, u, b, g, m) VALUES \
     (7001, 'zz', 'ZZ', 'zz  ', 1.0, 1, 3, 'g0', 'Zz'), \
     (7002, 'zz', 'zz', 'zz', 1, '1', 3, 'g0', 'zZ '), \
     (7003, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)",
    "DELETE FROM d WHERE s > 'v2'",
];

#[test]
fn many_row_distincts_match_sqlite_across_writes_and_vacuum() {
    same_answers_across_writes_and_vacuum(SCHEMA, CHECKS, WRITES);
}

#[test]
fn many_row_distincts_beside_uncommitted_writes_own_writes_and_an_old_snapshot() {
    same_answers_beside_uncommitted_own_and_old(SCHEMA, CHECKS, WRITES);
}

/// Every row deleted but a few, in a transaction that then reads: the walks see its own
/// deletes (entries of rows it deleted are still in the index).
#[test]
fn deletes_in_the_reading_transaction() {
    let (db, sqlite) = both_engines(SCHEMA);
    let ember = db.connect();
    ember.execute("BEGIN", ()).unwrap();
    sqlite.execute("BEGIN", []).unwrap();
    for write in [
        "DELETE FROM d WHERE id % 100 <> 1",
        "UPDATE d SET s = 'v1', b = 3, g = 'g1' WHERE id % 200 = 1",
    ] {
        ember.execute(write, ()).unwrap();
        sqlite.execute(write, []).unwrap();
        assert_same_answers(&ember, &sqlite, CHECKS, write);
    }
}
