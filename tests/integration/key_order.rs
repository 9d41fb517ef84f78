//! Walks of a clustered table in the order of its INTEGER key (`KeyOrder`): the plans
//! EXPLAIN shows for `ORDER BY key [DESC]` under a LIMIT or over a key range, and their
//! answers against SQLite itself over keys that address slots and keys kept in the overflow
//! (negative ones, far ones, and keys loaded out of order), with filters, offsets, ranges,
//! after writes, and beside another transaction's uncommitted writes.

use ember::{Connection, Database, Value};

use crate::support::{explain, to_sqlite};

const SCHEMA: &str = "CREATE TABLE k(id INTEGER PRIMARY KEY, v INT, s TEXT)";

/// Keys 0..3000 with gaps, negative keys and far keys, in a scrambled order (a load out of
/// key order puts some direct keys in the overflow too).
fn keys() -> Vec<i64> {
    let mut keys: Vec<i64> = (0..3000).filter(|key| key % 13 != 5).collect();
    keys.extend([
        -7,
        -3,
        -1,
        1 << 40,
        1_000_000_000_000,
        i64::MAX,
        i64::MIN,
        9000,
        70_000,
    ]);
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    for i in (1..keys.len()).rev() {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        keys.swap(i, (state >> 33) as usize % (i + 1));
    }
    keys
}

fn loaded() -> (Database, rusqlite::Connection) {
    let db = Database::in_memory();
    let ember = db.connect();
    let sqlite = rusqlite::Connection::open_in_memory().unwrap();
    ember.execute(SCHEMA, ()).unwrap();
    sqlite.execute(SCHEMA, []).unwrap();
    for key in keys() {
        let (v, s) = (
            key.wrapping_mul(31).rem_euclid(97),
            format!("s{}", key.rem_euclid(11)),
        );
        ember
            .execute("INSERT INTO k VALUES (?, ?, ?)", (key, v, s.as_str()))
            .unwrap();
        sqlite
            .execute(
                "INSERT INTO k VALUES (?, ?, ?)",
                rusqlite::params![key, v, s],
            )
            .unwrap();
    }
    (db, sqlite)
}

fn ember_rows(conn: &Connection, sql: &str, params: &[Value]) -> Vec<(i64, String)> {
    conn.query(sql, params)
        .unwrap_or_else(|error| panic!("{sql}: {error}"))
        .into_iter()
        .map(|row| (row.get(0).unwrap(), row.get(1).unwrap()))
        .collect()
}

fn sqlite_rows(conn: &rusqlite::Connection, sql: &str, params: &[Value]) -> Vec<(i64, String)> {
    let params: Vec<rusqlite::types::Value> = params.iter().map(to_sqlite).collect();
    let mut statement = conn.prepare(sql).unwrap();
    statement
        .query_map(rusqlite::params_from_iter(params), |row| {
            Ok((row.get(0)?, row.get(1)?))
        })
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

/// The statements every check runs: both directions, with and without a filter, over the
/// whole table or a key range, under limits and offsets that stop in the direct rows, in
/// the overflow rows, or run past the end.
fn statements() -> Vec<(String, Vec<Value>)> {
    let mut statements = Vec::new();
    let ranges = [
        ("", vec![]),
        ("id > ?1", vec![Value::Integer(2990)]),
        ("id < ?1", vec![Value::Integer(4)]),
        (
            "id BETWEEN ?1 AND ?2",
            vec![Value::Integer(-2), Value::Integer(1 << 41)],
        ),
        ("id >= ?1", vec![Value::Real(2999.5)]),
    ];
    let filters = ["", "v > 40", "s = 's3'", "v = 1000"];
    for direction in ["ASC", "DESC"] {
        for (range, params) in &ranges {
            for filter in filters {
                let terms: Vec<&str> = [*range, filter]
                    .into_iter()
                    .filter(|t| !t.is_empty())
                    .collect();
                let condition = if terms.is_empty() {
                    String::new()
                } else {
                    format!(" WHERE {}", terms.join(" AND "))
                };
                let base = format!("SELECT id, s FROM k{condition} ORDER BY id {direction}");
                if !range.is_empty() {
                    statements.push((base.clone(), params.clone()));
                }
                let limits = [
                    (0, 0),
                    (1, 0),
                    (3, 0),
                    (10, 5),
                    (40, 2750),
                    (40, 2990),
                    (5000, 0),
                ];
                for (limit, offset) in limits {
                    let sql = format!("{base} LIMIT {limit} OFFSET {offset}");
                    statements.push((sql, params.clone()));
                }
            }
        }
    }
    statements
}

fn assert_answers_as_sqlite(ember: &Connection, sqlite: &rusqlite::Connection) -> usize {
    let mut compared = 0;
    for (sql, params) in statements() {
        let plan = explain(ember, &sql, &params).join("\n");
        assert!(plan.contains("KeyOrder k"), "{sql}: {plan}");
        assert_eq!(
            ember_rows(ember, &sql, &params),
            sqlite_rows(sqlite, &sql, &params),
            "{sql} {params:?}"
        );
        compared += 1;
    }
    compared
}

#[test]
fn explain_shows_walks_in_key_order() {
    let (db, _) = loaded();
    let conn = db.connect();
    assert_eq!(
        explain(&conn, "SELECT s FROM k ORDER BY id DESC LIMIT 3", &[]),
        [
            "Limit 3 (fused read)",
            "└─ Project s",
            "   └─ KeyOrder k order id DESC"
        ]
    );
    assert_eq!(
        explain(
            &conn,
            "SELECT s FROM k WHERE id > 5 AND v < 3 ORDER BY id",
            &[]
        ),
        [
            "Project s (fused read)",
            "└─ KeyOrder k (id > 5) order id ASC filter ((id > 5) AND (v < 3))"
        ]
    );
    // Without a LIMIT a whole-table walk sorts instead; so does an order that is not the
    // key's own (under a collation, an expression, a second key, NULLS LAST ascending).
    for sql in [
        "SELECT s FROM k ORDER BY id",
        "SELECT s FROM k ORDER BY id COLLATE NOCASE LIMIT 3",
        "SELECT s FROM k ORDER BY id + 0 LIMIT 3",
        "SELECT s FROM k ORDER BY id, v LIMIT 3",
        "SELECT s FROM k ORDER BY id NULLS LAST LIMIT 3",
    ] {
        let plan = explain(&conn, sql, &[]).join("\n");
        assert!(!plan.contains("KeyOrder"), "{sql}: {plan}");
        assert!(
            plan.contains("Sort") || plan.contains("TopK"),
            "{sql}: {plan}"
        );
    }
    // Inside a correlated subquery matched by equality the scan reads through a map of
    // the matching rows instead.
    let sql = "SELECT (SELECT x.id FROM k AS x WHERE x.v = k.v ORDER BY x.id DESC LIMIT 1) \
               FROM k";
    let plan = explain(&conn, sql, &[]).join("\n");
    assert!(!plan.contains("KeyOrder"), "{plan}");
}

#[test]
fn walks_in_key_order_answer_as_sqlite() {
    let (db, sqlite) = loaded();
    let compared = assert_answers_as_sqlite(&db.connect(), &sqlite);
    assert!(compared > 200, "{compared}");
}

/// Deletes, key changes (a row moves to another home) and far inserts, then the same
/// statements; VACUUM too.
#[test]
fn walks_in_key_order_after_writes_answer_as_sqlite() {
    let (db, sqlite) = loaded();
    let ember = db.connect();
    for sql in [
        "DELETE FROM k WHERE id % 5 = 0 OR id < -2",
        "UPDATE k SET id = id + 100000 WHERE id BETWEEN 2900 AND 2950",
        "UPDATE k SET id = -id WHERE id BETWEEN 100 AND 120",
        "INSERT INTO k VALUES (3001, 7, 's3'), (-100, 41, 's3'), (5000000, 60, 's3')",
        "DELETE FROM k WHERE id = 9223372036854775807",
    ] {
        ember.execute(sql, ()).unwrap();
        sqlite.execute(sql, []).unwrap();
        assert_answers_as_sqlite(&ember, &sqlite);
    }
    ember.execute("VACUUM", ()).unwrap();
    assert_answers_as_sqlite(&ember, &sqlite);
}

/// A transaction sees its own writes in key order; another's uncommitted writes are not
/// seen, and a snapshot taken before a commit does not see it.
#[test]
fn walks_in_key_order_see_their_snapshot() {
    let (db, _) = loaded();
    let reader = db.connect();
    let writer = db.connect();
    let sql = "SELECT id, s FROM k WHERE id < 10 OR id > 2995 ORDER BY id DESC LIMIT 6";
    let before = ember_rows(&reader, sql, &[]);
    reader.execute("BEGIN", ()).unwrap();
    assert_eq!(ember_rows(&reader, sql, &[]), before);
    writer.execute("BEGIN", ()).unwrap();
    writer
        .execute(
            "INSERT INTO k VALUES (1000000000000000, 1, 'new'), (3100, 1, 'x')",
            (),
        )
        .unwrap();
    writer
        .execute("DELETE FROM k WHERE id = 9223372036854775807", ())
        .unwrap();
    assert_eq!(ember_rows(&reader, sql, &[]), before);
    writer.execute("COMMIT", ()).unwrap();
    // The reader's snapshot predates the commit.
    assert_eq!(ember_rows(&reader, sql, &[]), before);
    reader.execute("COMMIT", ()).unwrap();
    let after = ember_rows(&reader, sql, &[]);
    assert_ne!(after, before);
    assert_eq!(after[0], (1_000_000_000_000_000, "new".to_string()));
    assert!(after.iter().all(|(id, _)| *id != i64::MAX));
    // Its own uncommitted writes, in a transaction.
    reader.execute("BEGIN", ()).unwrap();
    reader
        .execute(
            "INSERT INTO k VALUES (-1000, 1, 'own'), (3500, 1, 'own')",
            (),
        )
        .unwrap();
    let ascending = "SELECT id, s FROM k ORDER BY id LIMIT 2";
    assert_eq!(
        ember_rows(&reader, ascending, &[]),
        [
            (i64::MIN, format!("s{}", i64::MIN.rem_euclid(11))),
            (-1000, "own".to_string())
        ]
    );
    reader.execute("ROLLBACK", ()).unwrap();
    assert_eq!(ember_rows(&reader, ascending, &[])[1].0, -7);
}

/// An OFFSET over a walk without a filter steps over rows undecoded, batch after batch:
/// offsets on and around batch edges, into the overflow rows and past the end, both ways,
/// beside deleted rows and another transaction's uncommitted ones.
#[test]
fn offsets_over_walks_in_key_order_answer_as_sqlite() {
    let db = Database::in_memory();
    let ember = db.connect();
    let sqlite = rusqlite::Connection::open_in_memory().unwrap();
    ember.execute(SCHEMA, ()).unwrap();
    sqlite.execute(SCHEMA, []).unwrap();
    let mut keys: Vec<i64> = (0..10_000).filter(|key| key % 9 != 4).collect();
    keys.extend([-50, -7, 1 << 40, 123_456_789]);
    // Descending order puts many direct keys in the overflow (they come before the
    // rows below them).
    keys.reverse();
    for key in keys {
        let s = format!("s{}", key.rem_euclid(11));
        ember
            .execute("INSERT INTO k VALUES (?, 1, ?)", (key, s.as_str()))
            .unwrap();
        sqlite
            .execute("INSERT INTO k VALUES (?, 1, ?)", rusqlite::params![key, s])
            .unwrap();
    }
    let other = db.connect();
    other.execute("BEGIN", ()).unwrap();
    other
        .execute("DELETE FROM k WHERE id < 5000 AND id % 5 = 3", ())
        .unwrap();
    other
        .execute("INSERT INTO k VALUES (20000, 1, 'x')", ())
        .unwrap();
    for delete in ["", "DELETE FROM k WHERE id % 5 = 1"] {
        if !delete.is_empty() {
            ember.execute(delete, ()).unwrap();
            sqlite.execute(delete, []).unwrap();
        }
        for direction in ["ASC", "DESC"] {
            for offset in [
                1, 255, 4095, 4096, 4097, 5000, 8880, 8890, 8895, 9999, 20_000,
            ] {
                let sql =
                    format!("SELECT id, s FROM k ORDER BY id {direction} LIMIT 7 OFFSET {offset}");
                assert_eq!(
                    ember_rows(&ember, &sql, &[]),
                    sqlite_rows(&sqlite, &sql, &[]),
                    "{sql} after {delete:?}"
                );
            }
        }
    }
    other.execute("ROLLBACK", ()).unwrap();
}
