//! Plan shapes against SQLite itself: `SELECT DISTINCT exprs .. ORDER BY` of
//! output expressions sorts after removing duplicates (`optimize/distinct_sort.rs`, golden
//! plans too); an uncorrelated `x [NOT] IN (SELECT ..)` in a filter is compiled, its set
//! built once and probed per row (`Compiled::InSet`); an aggregate over a join keeps each
//! group's last joined row (`exec/aggregate/mod.rs`). Duplicates, NULLs, empty inputs, text,
//! integer and real mixes, collations, LIMIT and OFFSET.

use ember::{Connection, Database, Value};

use crate::support::{assert_same_rows, ember_rows, explain, sqlite_rows, to_sqlite};

const SCHEMA: &[&str] = &[
    "CREATE TABLE t(id INTEGER PRIMARY KEY, a INTEGER, b INTEGER, c REAL, s TEXT, m)",
    "CREATE TABLE u(id INTEGER PRIMARY KEY, k INTEGER, x REAL, m)",
    "CREATE TABLE e(id INTEGER PRIMARY KEY, x INTEGER, m)",
];

/// Both engines with the same rows: `t` (300 rows), `u` (120 rows keyed into `t`, some
/// keys missing or NULL), `e` empty. `m` mixes NULL, integers, integral and other reals
/// and texts (some of them digits).
fn engines() -> (Connection, rusqlite::Connection) {
    let ember = Database::in_memory().connect();
    let sqlite = rusqlite::Connection::open_in_memory().unwrap();
    for sql in SCHEMA {
        ember.execute(sql, ()).unwrap();
        sqlite.execute(sql, []).unwrap();
    }
    let mixed = |n: i64| match n % 9 {
        0 => Value::Null,
        1 => Value::Text(format!("{}", n % 7)),
        2 => Value::Real((n % 7) as f64),
        3 => Value::Real(n as f64 / 4.0),
        4 => Value::Text(format!("w{}", n % 5)),
        _ => Value::Integer(n % 7),
    };
    let insert = |sql: &str, values: Vec<Value>| {
        ember.execute(sql, values.as_slice()).unwrap();
        let converted: Vec<_> = values.iter().map(to_sqlite).collect();
        sqlite
            .execute(sql, rusqlite::params_from_iter(converted))
            .unwrap();
    };
    for id in 1..=300i64 {
        let a = if id % 11 == 0 {
            Value::Null
        } else {
            Value::Integer(id % 17 - 4)
        };
        let s = match id % 6 {
            0 => Value::Null,
            1 => Value::Text(format!("K{}", id % 8)),
            _ => Value::Text(format!("k{}", id % 8)),
        };
        let values = vec![
            Value::Integer(id),
            a,
            Value::Integer(id * 7 % 50),
            Value::Real((id % 13) as f64 / 2.0),
            s,
            mixed(id),
        ];
        insert("INSERT INTO t VALUES (?, ?, ?, ?, ?, ?)", values);
    }
    for id in 1..=120i64 {
        let k = match id % 10 {
            0 => Value::Null,
            9 => Value::Integer(1000 + id),
            _ => Value::Integer(id * 13 % 60 + 1),
        };
        let values = vec![
            Value::Integer(id),
            k,
            Value::Real((id % 40) as f64 / 40.0),
            mixed(id * 5),
        ];
        insert("INSERT INTO u VALUES (?, ?, ?, ?)", values);
    }
    (ember, sqlite)
}

#[test]
fn distinct_sorted_by_its_outputs_answers_as_sqlite() {
    let (ember, sqlite) = engines();
    assert_same_rows(
        &ember,
        &sqlite,
        &[
            "SELECT DISTINCT b / 3 FROM t ORDER BY 1",
            "SELECT DISTINCT b / 3 FROM t ORDER BY 1 DESC",
            "SELECT DISTINCT b / 3 AS q FROM t ORDER BY q LIMIT 5 OFFSET 2",
            "SELECT DISTINCT b / 3 FROM t ORDER BY b / 3 DESC LIMIT 4",
            "SELECT DISTINCT m FROM t ORDER BY m",
            "SELECT DISTINCT m FROM t ORDER BY 1 DESC",
            "SELECT DISTINCT m, b % 2 FROM t ORDER BY 2, 1",
            "SELECT DISTINCT b % 2, m FROM t ORDER BY 2 DESC, 1 LIMIT 7",
            "SELECT DISTINCT a % 4 FROM t ORDER BY 1",
            "SELECT DISTINCT a % 4 FROM t ORDER BY 1 NULLS LAST",
            "SELECT DISTINCT a % 4 FROM t ORDER BY 1 DESC NULLS FIRST",
            "SELECT DISTINCT lower(s) AS k FROM t ORDER BY k DESC",
            "SELECT DISTINCT upper(s) FROM t ORDER BY upper(s) COLLATE NOCASE",
            "SELECT DISTINCT upper(s) FROM t ORDER BY upper(s) COLLATE NOCASE DESC",
            "SELECT DISTINCT c * 2, (a IS NULL) + 0 FROM t ORDER BY 1, 2",
            "SELECT DISTINCT count(*) FROM t GROUP BY b ORDER BY 1",
            "SELECT DISTINCT x / 2 FROM e ORDER BY 1",
            "SELECT DISTINCT m FROM e ORDER BY 1 LIMIT 3",
            "SELECT DISTINCT b / 3 FROM t WHERE a > 100 ORDER BY 1",
            "SELECT * FROM (SELECT DISTINCT b / 3 AS k FROM t ORDER BY k DESC LIMIT 3) \
             ORDER BY k",
            "SELECT count(*), sum(k) FROM (SELECT DISTINCT b % 7 AS k FROM t ORDER BY 1)",
            "SELECT DISTINCT t.b / 10, u.m FROM t JOIN u ON u.k = t.id ORDER BY 2, 1",
        ],
    );
}

/// Sorted by part of its outputs only: rows the key ties stay in either order, so the rows
/// are compared as sets and the key checked ascending.
#[test]
fn distinct_sorted_by_some_outputs_returns_the_same_rows() {
    let (ember, sqlite) = engines();
    let sql = "SELECT DISTINCT b % 5, m FROM t ORDER BY 1";
    let (mut ours, mut theirs) = (
        ember_rows(&ember, sql).unwrap(),
        sqlite_rows(&sqlite, sql).unwrap(),
    );
    let keys: Vec<&Value> = ours.iter().map(|row| &row[0]).collect();
    assert!(keys.windows(2).all(|pair| match (pair[0], pair[1]) {
        (Value::Integer(x), Value::Integer(y)) => x <= y,
        _ => false,
    }));
    let text = |rows: &mut Vec<Vec<Value>>| {
        let mut cells: Vec<String> = rows.iter().map(|row| format!("{row:?}")).collect();
        cells.sort();
        cells
    };
    assert_eq!(text(&mut ours), text(&mut theirs));
}

#[test]
fn distinct_plans_sort_after_deduplicating_output_keys_only() {
    let (ember, _) = engines();
    assert_eq!(
        explain(&ember, "SELECT DISTINCT b / 3 FROM t ORDER BY 1", &[]),
        [
            "Sort b / 3 ASC",
            "└─ Distinct",
            "   └─ Project (b / 3)",
            "      └─ Scan t"
        ]
    );
    assert_eq!(
        explain(
            &ember,
            "SELECT DISTINCT b / 3 AS q, s FROM t ORDER BY q DESC, 2 LIMIT 4",
            &[]
        ),
        [
            "Limit 4",
            "└─ TopK 4 q DESC, s ASC",
            "   └─ Distinct",
            "      └─ Project (b / 3), s",
            "         └─ Scan t",
        ]
    );
    // A key that is no output: which duplicate's row sorts it matters, the plan stays.
    assert_eq!(
        explain(&ember, "SELECT DISTINCT b / 3 FROM t ORDER BY a", &[]),
        [
            "Distinct",
            "└─ Project (b / 3)",
            "   └─ Sort a ASC",
            "      └─ Scan t"
        ]
    );
}

#[test]
fn in_subquery_filters_answer_as_sqlite() {
    let (ember, sqlite) = engines();
    assert_same_rows(
        &ember,
        &sqlite,
        &[
            "SELECT count(*) FROM t WHERE b IN (SELECT k FROM u WHERE x > 0.5)",
            "SELECT id FROM t WHERE b IN (SELECT k FROM u) ORDER BY id",
            // The set holds a NULL: NOT IN is never TRUE, IN is TRUE or NULL.
            "SELECT count(*) FROM t WHERE b NOT IN (SELECT k FROM u)",
            "SELECT count(*) FROM t WHERE b NOT IN (SELECT k FROM u WHERE k IS NOT NULL)",
            "SELECT count(*) FROM t WHERE NOT (b IN (SELECT k FROM u))",
            "SELECT count(*) FROM t WHERE (b IN (SELECT k FROM u)) IS NULL",
            // NULL operands; an empty set decides even for them.
            "SELECT count(*) FROM t WHERE a IN (SELECT k - 60 FROM u)",
            "SELECT count(*) FROM t WHERE a NOT IN (SELECT x FROM e)",
            "SELECT count(*) FROM t WHERE a IN (SELECT x FROM e)",
            "SELECT count(*) FROM e WHERE x IN (SELECT k FROM u)",
            // Mixed types: integers, integral reals, digit texts, affinity of the operand.
            "SELECT count(*) FROM t WHERE m IN (SELECT m FROM u)",
            "SELECT id FROM t WHERE m NOT IN (SELECT m FROM u WHERE m IS NOT NULL) ORDER BY id",
            "SELECT count(*) FROM t WHERE c IN (SELECT b FROM t WHERE b < 10)",
            "SELECT count(*) FROM t WHERE b IN (SELECT c FROM t)",
            "SELECT count(*) FROM t WHERE b IN (SELECT '3' UNION SELECT '14')",
            "SELECT count(*) FROM t WHERE s IN (SELECT 'k' || (k % 8) FROM u)",
            "SELECT count(*) FROM t WHERE s COLLATE NOCASE IN (SELECT 'k' || (k % 8) FROM u)",
            "SELECT count(*) FROM t WHERE b + 1 IN (SELECT k FROM u)",
            // Inside junctions, with other terms.
            "SELECT count(*) FROM t WHERE a > 8 OR b IN (SELECT k FROM u WHERE x < 0.3)",
            "SELECT count(*), sum(c) FROM t WHERE a < 5 AND b IN (SELECT k FROM u) AND c > 1",
            "SELECT count(*) FROM t WHERE b IN (SELECT k FROM u) AND a NOT IN (SELECT k FROM u)",
            "SELECT id, (b IN (SELECT k FROM u)) + 0 FROM t WHERE id < 20 ORDER BY id",
            // Read again per outer row by a correlated subquery.
            "SELECT count(*) FROM u WHERE EXISTS (SELECT 1 FROM t WHERE t.a = u.id % 9 \
             AND t.b IN (SELECT k FROM u WHERE x < 0.5))",
        ],
    );
}

#[test]
fn aggregates_over_joins_answer_as_sqlite() {
    let (ember, sqlite) = engines();
    assert_same_rows(
        &ember,
        &sqlite,
        &[
            "SELECT u.k, max(t.c) FROM u JOIN t ON t.id = u.k GROUP BY u.k \
             ORDER BY 2 DESC, 1 LIMIT 5",
            "SELECT u.k, t.id, count(*), min(t.m), sum(u.x) FROM u JOIN t ON t.id = u.k \
             GROUP BY u.k ORDER BY 1",
            "SELECT t.a, count(*), max(u.m) FROM u JOIN t ON t.id = u.k GROUP BY t.a ORDER BY 1",
            "SELECT u.k, max(t.c) FROM u JOIN t ON t.id = u.k WHERE t.a > 100 GROUP BY u.k",
            "SELECT e.x, count(*) FROM e JOIN t ON t.id = e.x GROUP BY e.x",
        ],
    );
}
