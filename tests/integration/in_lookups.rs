//! IN lists answered through keys and indexes (`KeyIn`, `IndexIn`), whose rows found by an
//! exact integer probe skip the recheck of the list (the plan's key residual) and decode
//! only the columns read: every list form (integers, reals, text, NULL, repeats, the i64
//! limits) with and without further conjuncts, against SQLite itself, in reads and writes.

use ember::{Connection, Database, Value};

use crate::support::{explain, to_sqlite};

const SCHEMA: &[&str] = &[
    "CREATE TABLE t(id INTEGER PRIMARY KEY, a INTEGER, b INT, s TEXT, c REAL, m)",
    "CREATE INDEX t_a ON t(a)",
    "CREATE INDEX t_m ON t(m)",
    "CREATE INDEX t_s ON t(s)",
    "CREATE INDEX t_ab ON t(b, a)",
];

fn loaded() -> (Connection, rusqlite::Connection) {
    let ember = Database::in_memory().connect();
    let sqlite = rusqlite::Connection::open_in_memory().unwrap();
    for sql in SCHEMA {
        ember.execute(sql, ()).unwrap();
        sqlite.execute(sql, []).unwrap();
    }
    for id in 0..400i64 {
        let a = match id % 13 {
            0 => Value::Null,
            _ => Value::Integer(id % 37 - 5),
        };
        // Mixed types in the untyped column.
        let m = match id % 11 {
            0 => Value::Null,
            1 => Value::Text("7x".into()),
            2 => Value::Real(7.5),
            3 => Value::Text("3".into()),
            4 => Value::Real(4.0),
            _ => Value::Integer(id % 29 - 5),
        };
        let values = [
            Value::Integer(id),
            a,
            Value::Integer(id % 5),
            Value::Text(format!("s{}", id % 23)),
            Value::Real(id as f64 / 8.0),
            m,
        ];
        let sql = "INSERT INTO t VALUES (?, ?, ?, ?, ?, ?)";
        ember.execute(sql, values.as_slice()).unwrap();
        let sqlite_values: Vec<_> = values.iter().map(to_sqlite).collect();
        sqlite
            .execute(sql, rusqlite::params_from_iter(sqlite_values))
            .unwrap();
    }
    (ember, sqlite)
}

const LISTS: &[&str] = &[
    "(3)",
    "(3, 30, 300)",
    "(3, 3, 4, 3)",
    "(-5, 0, 31)",
    "(3.0, 4)",
    "(7.5, 8)",
    "('3', 4)",
    "('7x', 1)",
    "(NULL, 2)",
    "(NULL)",
    "(9223372036854775807, -9223372036854775808, 0)",
    "(1e300, 5)",
    "(?1, ?2)",
];

const EXTRA: &[&str] = &[
    "",
    " AND b = 2",
    " AND c > 20",
    " AND s <> 's3'",
    " OR b = 4",
];

/// `count(*), sum(id), total(c), group_concat(s)` of the rows `filter` selects.
fn answer_ember(conn: &Connection, filter: &str) -> String {
    let sql = format!("SELECT count(*), sum(id), total(c), max(s) FROM t WHERE {filter}");
    let params: &[Value] = if filter.contains('?') {
        &[Value::Integer(6), Value::Integer(9)]
    } else {
        &[]
    };
    let row = conn
        .query(&sql, params)
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    format!("{:?}", &row.values()[0])
}

fn answer_sqlite(conn: &rusqlite::Connection, filter: &str) -> String {
    let sql = format!("SELECT count(*), sum(id), total(c), max(s) FROM t WHERE {filter}");
    let params: &[i64] = if filter.contains('?') { &[6, 9] } else { &[] };
    let values: Vec<Value> = conn
        .query_row(&sql, rusqlite::params_from_iter(params), |row| {
            (0..4)
                .map(|i| {
                    Ok(match row.get_ref(i)? {
                        rusqlite::types::ValueRef::Null => Value::Null,
                        rusqlite::types::ValueRef::Integer(i) => Value::Integer(i),
                        rusqlite::types::ValueRef::Real(r) => Value::Real(r),
                        rusqlite::types::ValueRef::Text(t) => {
                            Value::Text(String::from_utf8_lossy(t).into_owned())
                        }
                        rusqlite::types::ValueRef::Blob(_) => unreachable!("no blobs"),
                    })
                })
                .collect()
        })
        .unwrap();
    format!("{values:?}")
}

#[test]
fn in_lists_on_keys_and_indexes_answer_as_sqlite() {
    let (ember, sqlite) = loaded();
    let mut checked = 0;
    for column in ["id", "a", "m", "s", "b = 2 AND a"] {
        for list in LISTS {
            for extra in EXTRA {
                let filter = format!("{column} IN {list}{extra}");
                assert_eq!(
                    answer_ember(&ember, &filter),
                    answer_sqlite(&sqlite, &filter),
                    "{filter}"
                );
                checked += 1;
            }
        }
    }
    assert_eq!(checked, 5 * LISTS.len() * EXTRA.len());
    // The plans the answers came through.
    let plan = explain(&ember, "SELECT * FROM t WHERE a IN (3, 4) AND c > 1", &[]);
    assert!(
        plan.iter().any(|line| line.contains("IndexIn t using t_a")),
        "{plan:#?}"
    );
    let plan = explain(&ember, "SELECT * FROM t WHERE id IN (3, 4)", &[]);
    assert!(plan.iter().any(|line| line.contains("KeyIn")), "{plan:#?}");
}

#[test]
fn writes_through_in_lists_change_what_sqlite_changes() {
    let (ember, sqlite) = loaded();
    let statements = [
        "UPDATE t SET c = c + 100 WHERE a IN (3, 4, 7.5) AND b <> 1",
        "UPDATE t SET c = c - 1 WHERE m IN (3, 4, '7x', 7.5, '3')",
        "UPDATE t SET s = 'moved' WHERE id IN (5, 6, 7, 5)",
        "DELETE FROM t WHERE a IN (10, '7x', 11) AND c < 30",
        "DELETE FROM t WHERE m IN (6, 7) AND b = 3",
        "DELETE FROM t WHERE id IN (100, 101) OR a IN (12)",
        "UPDATE t SET a = a + 1 WHERE a IN (13, 14)",
    ];
    for statement in statements {
        ember.execute(statement, ()).unwrap();
        sqlite.execute(statement, []).unwrap();
        for filter in [
            "1",
            "a IN (4, 14, 15)",
            "m IN (4, 7.5)",
            "s IN ('moved', 's2')",
        ] {
            assert_eq!(
                answer_ember(&ember, filter),
                answer_sqlite(&sqlite, filter),
                "{statement}; {filter}"
            );
        }
    }
}

/// `col IN (SELECT ..)` on an indexed INTEGER column probes the index with the set's
/// members (`IndexInSet`); a set too large scans. Sets of every kind of value, against
/// SQLite.
#[test]
fn in_subqueries_on_an_index_answer_as_sqlite() {
    let (ember, sqlite) = loaded();
    let setup = [
        "CREATE TABLE v(x, y INTEGER)",
        "INSERT INTO v VALUES (3, 1), (3, 2), (4.0, 3), ('5', 4), (7.5, 5), (NULL, 6), \
         ('abc', 7), (-5, 8), (31, 9), (9223372036854775807, 10), (X'01', 11)",
    ];
    for sql in setup {
        ember.execute(sql, ()).unwrap();
        sqlite.execute(sql, []).unwrap();
    }
    let subqueries = [
        "SELECT x FROM v",
        "SELECT x FROM v WHERE y < 4",
        "SELECT y FROM v",
        "SELECT x FROM v WHERE 0",
        "SELECT x FROM v WHERE x IS NULL",
        "SELECT a FROM t WHERE b = 1",
        "SELECT id FROM t",
        "SELECT x + 1 FROM v WHERE typeof(x) = 'integer'",
    ];
    for subquery in subqueries {
        for extra in EXTRA {
            let filter = format!("a IN ({subquery}){extra}");
            assert_eq!(
                answer_ember(&ember, &filter),
                answer_sqlite(&sqlite, &filter),
                "{filter}"
            );
            let filter = format!("a NOT IN ({subquery}){extra}");
            assert_eq!(
                answer_ember(&ember, &filter),
                answer_sqlite(&sqlite, &filter),
                "{filter}"
            );
        }
    }
    let plan = explain(&ember, "SELECT * FROM t WHERE a IN (SELECT x FROM v)", &[]);
    assert!(
        plan.iter()
            .any(|line| line.contains("IndexInSet t using t_a")),
        "{plan:#?}"
    );
    // Writes through the set change what SQLite changes.
    for statement in [
        "UPDATE t SET c = c + 1000 WHERE a IN (SELECT x FROM v) AND b <> 2",
        "DELETE FROM t WHERE a IN (SELECT y FROM v WHERE y > 5)",
    ] {
        ember.execute(statement, ()).unwrap();
        sqlite.execute(statement, []).unwrap();
        assert_eq!(
            answer_ember(&ember, "1"),
            answer_sqlite(&sqlite, "1"),
            "{statement}"
        );
    }
}
