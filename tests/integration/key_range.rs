//! Ranges of a clustered table's INTEGER key (`KeyRange`): the plans EXPLAIN shows, and the
//! answers of every bound form (integers, reals, text, NULL, the i64 limits, bounds past the
//! keys that address slots) over keys that address slots and keys that do not (negative and
//! far ones, kept in the overflow) checked against SQLite itself, in reads and in UPDATE
//! and DELETE.

use ember::{Connection, Database, Value};

use crate::support::{explain, to_sqlite};

const SCHEMA: &str = "CREATE TABLE k(id INTEGER PRIMARY KEY, v INT, s TEXT)";

/// Keys 0..300 (every seventh deleted), negative keys, and far keys up to the i64 limits.
fn rows() -> Vec<(i64, i64, String)> {
    let mut keys: Vec<i64> = (0..300).filter(|key| key % 7 != 3).collect();
    keys.extend([-5, -2, -1, 1 << 40, 1_000_000_000_000, i64::MAX, i64::MIN]);
    keys.into_iter()
        .map(|key| (key, key.wrapping_mul(31) % 97, format!("s{}", key % 11)))
        .collect()
}

fn loaded() -> (Connection, rusqlite::Connection) {
    let ember = Database::in_memory().connect();
    let sqlite = rusqlite::Connection::open_in_memory().unwrap();
    ember.execute(SCHEMA, ()).unwrap();
    sqlite.execute(SCHEMA, []).unwrap();
    for (id, v, s) in rows() {
        ember
            .execute("INSERT INTO k VALUES (?, ?, ?)", (id, v, s.as_str()))
            .unwrap();
        sqlite
            .execute(
                "INSERT INTO k VALUES (?, ?, ?)",
                rusqlite::params![id, v, s],
            )
            .unwrap();
    }
    (ember, sqlite)
}

fn ember_ids(conn: &Connection, sql: &str, params: &[Value]) -> Vec<i64> {
    conn.query(sql, params)
        .unwrap_or_else(|error| panic!("{sql}: {error}"))
        .into_iter()
        .map(|row| row.get(0).unwrap())
        .collect()
}

fn sqlite_ids(conn: &rusqlite::Connection, sql: &str, params: &[Value]) -> Vec<i64> {
    let params: Vec<rusqlite::types::Value> = params.iter().map(to_sqlite).collect();
    let mut statement = conn.prepare(sql).unwrap();
    statement
        .query_map(rusqlite::params_from_iter(params), |row| row.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

fn bounds() -> Vec<Value> {
    vec![
        Value::Null,
        Value::Integer(i64::MIN),
        Value::Integer(-3),
        Value::Integer(-1),
        Value::Integer(0),
        Value::Integer(3),
        Value::Integer(150),
        Value::Integer(299),
        Value::Integer(300),
        Value::Integer(5000),
        Value::Integer(1 << 40),
        Value::Integer(i64::MAX),
        Value::Real(-1e300),
        Value::Real(-0.5),
        Value::Real(10.0),
        Value::Real(149.5),
        Value::Real(1e300),
        Value::Text("150".into()),
        Value::Text("abc".into()),
    ]
}

#[test]
fn explain_shows_key_ranges() {
    let (conn, _) = loaded();
    let params = [Value::Integer(10), Value::Integer(20)];
    assert_eq!(
        explain(&conn, "SELECT v FROM k WHERE id BETWEEN ?1 AND ?2", &params),
        [
            "Project v (fused read)",
            "└─ KeyRange k (id BETWEEN $1 AND $2) filter (id BETWEEN $1 AND $2)"
        ]
    );
    assert_eq!(
        explain(
            &conn,
            "SELECT v FROM k WHERE id > ?1 AND v < 5",
            &params[..1]
        ),
        [
            "Project v (fused read)",
            "└─ KeyRange k (id > $1) filter ((id > $1) AND (v < 5))"
        ]
    );
    // An expression over the key, and a key equality, are no key ranges.
    assert_eq!(
        explain(
            &conn,
            "SELECT v FROM k WHERE +id BETWEEN ?1 AND ?2",
            &params
        ),
        [
            "Project v (fused read)",
            "└─ Scan k filter (+(id) BETWEEN $1 AND $2)"
        ]
    );
    assert!(
        explain(&conn, "SELECT v FROM k WHERE id = ?1 AND id < ?2", &params)[1]
            .contains("KeyLookup")
    );
}

/// Every pair of bounds under each comparison form answers as SQLite does.
#[test]
fn key_ranges_answer_as_sqlite() {
    let (ember, sqlite) = loaded();
    let forms = [
        "SELECT id FROM k WHERE id BETWEEN ?1 AND ?2 ORDER BY id",
        "SELECT id FROM k WHERE id > ?1 AND id < ?2 ORDER BY id",
        "SELECT id FROM k WHERE id >= ?1 AND id <= ?2 AND v >= 0 ORDER BY id",
        "SELECT id FROM k WHERE ?1 < id AND ?2 >= id ORDER BY id",
        "SELECT id FROM k WHERE id >= ?1 AND ?2 = ?2 ORDER BY id",
        "SELECT id FROM k WHERE id < ?1 AND ?2 = ?2 ORDER BY id",
        // Terms on the key that the range's bounds did not come from stay checked on the
        // window's rows (`key_residual`): a BETWEEN lending one end, a second lower bound,
        // a NOT BETWEEN, a key expression; in key order too.
        "SELECT id FROM k WHERE id > ?1 AND id BETWEEN ?2 AND 200 ORDER BY id",
        "SELECT id FROM k WHERE id >= ?1 AND id >= ?2 AND id < 250 ORDER BY id",
        "SELECT id FROM k WHERE id BETWEEN ?1 AND ?2 AND id % 3 = 1 ORDER BY id DESC LIMIT 7",
        "SELECT id FROM k WHERE id <= ?2 AND id NOT BETWEEN ?1 AND 100 ORDER BY id",
    ];
    let bounds = bounds();
    let mut compared = 0;
    for form in forms {
        for low in &bounds {
            for high in &bounds {
                let params = [low.clone(), high.clone()];
                assert_eq!(
                    ember_ids(&ember, form, &params),
                    sqlite_ids(&sqlite, form, &params),
                    "{form} with {params:?}"
                );
                compared += 1;
            }
        }
    }
    assert_eq!(compared, forms.len() * bounds.len() * bounds.len());
}

/// UPDATE and DELETE through key ranges leave the table as SQLite's.
#[test]
fn writes_through_key_ranges_match_sqlite() {
    let (ember, sqlite) = loaded();
    let statements: [(&str, [Value; 2]); 4] = [
        (
            "UPDATE k SET v = v + 1000 WHERE id BETWEEN ?1 AND ?2",
            [Value::Integer(-2), Value::Integer(40)],
        ),
        (
            "DELETE FROM k WHERE id > ?1 AND id <= ?2",
            [Value::Real(99.5), Value::Integer(1 << 40)],
        ),
        (
            "UPDATE k SET s = 'x' WHERE id < ?1 AND v > ?2",
            [Value::Integer(60), Value::Integer(1010)],
        ),
        (
            "DELETE FROM k WHERE id >= ?1 AND v < ?2",
            [Value::Integer(i64::MIN), Value::Integer(1003)],
        ),
    ];
    let everything = "SELECT id FROM k ORDER BY id, v, s";
    let sums = "SELECT sum(v) + count(*) * 1000 + count(DISTINCT s) FROM k";
    for (sql, params) in &statements {
        let changed = ember.execute(sql, params.as_slice()).unwrap();
        let sqlite_params: Vec<rusqlite::types::Value> = params.iter().map(to_sqlite).collect();
        let sqlite_changed = sqlite
            .execute(sql, rusqlite::params_from_iter(sqlite_params))
            .unwrap();
        assert_eq!(changed, sqlite_changed, "{sql}");
        assert_eq!(
            ember_ids(&ember, everything, &[]),
            sqlite_ids(&sqlite, everything, &[]),
            "{sql}"
        );
        assert_eq!(
            ember_ids(&ember, sums, &[]),
            sqlite_ids(&sqlite, sums, &[]),
            "{sql}"
        );
    }
}
