//! A top-k sort over a join shares its threshold with the join's streamed side
//! (`optimize/top_threshold.rs`): EXPLAIN marks both, the answers equal SQLite's where the
//! order is total, and where keys tie they equal the same query run without the gate (a
//! key with `0 * random()` added, which the rule leaves alone), row for row.

use ember::Connection;

use crate::support::{assert_same_rows, assert_same_rows_or_both_fail, both_engines, ember_rows};

/// Both engines with `a` (INTEGER key), `b` naming rows of `a` by `aid` (NULLs, missing
/// keys, repeats) and `c` naming rows of `b`; sort columns with NULLs and many ties.
fn loaded() -> (ember::Database, rusqlite::Connection) {
    let mut script = vec![
        "CREATE TABLE a(id INTEGER PRIMARY KEY, g INTEGER, r REAL, s TEXT)".to_string(),
        "CREATE TABLE b(id INTEGER PRIMARY KEY, aid INTEGER, v INTEGER, w TEXT)".to_string(),
        "CREATE TABLE c(id INTEGER PRIMARY KEY, bid INTEGER, z INTEGER)".to_string(),
    ];
    let mut random = fastrand::Rng::with_seed(41);
    // One row in nine gets NULL instead of `value`.
    let maybe_null = |null: bool, value: String| if null { "NULL".to_string() } else { value };
    for id in 1..=300 {
        let g = maybe_null(random.u8(0..9) == 0, random.i64(0..20).to_string());
        let r = maybe_null(random.u8(0..9) == 0, format!("{}.5", random.i64(-30..30)));
        let s = maybe_null(random.u8(0..9) == 0, format!("'s{}'", random.u8(0..40)));
        script.push(format!("INSERT INTO a VALUES ({id}, {g}, {r}, {s})"));
    }
    for id in 1..=900 {
        let aid = maybe_null(random.u8(0..9) == 0, random.i64(-5..320).to_string());
        let v = maybe_null(random.u8(0..9) == 0, random.i64(0..50).to_string());
        let w = maybe_null(random.u8(0..9) == 0, format!("'w{}'", random.u8(0..30)));
        script.push(format!("INSERT INTO b VALUES ({id}, {aid}, {v}, {w})"));
    }
    for id in 1..=400 {
        let bid = random.i64(1..1000);
        script.push(format!(
            "INSERT INTO c VALUES ({id}, {bid}, {})",
            random.i64(0..9)
        ));
    }
    let script: Vec<&str> = script.iter().map(String::as_str).collect();
    both_engines(&script)
}

/// Queries whose ORDER BY is a total order over their rows: SQLite answers them alike.
const TOTAL_ORDERS: &[&str] = &[
    // An index join (b's key probed), keys on the streamed side.
    "SELECT b.id, a.s FROM b JOIN a ON a.id = b.aid ORDER BY b.v DESC, b.id LIMIT 7",
    "SELECT b.id, a.s FROM b JOIN a ON a.id = b.aid ORDER BY b.v, b.id DESC LIMIT 5 OFFSET 9",
    "SELECT b.id FROM b JOIN a ON a.id = b.aid ORDER BY b.v NULLS LAST, b.id LIMIT 12",
    "SELECT b.id FROM b JOIN a ON a.id = b.aid ORDER BY b.w DESC NULLS FIRST, b.id LIMIT 12",
    "SELECT b.id, a.g FROM b LEFT JOIN a ON a.id = b.aid ORDER BY b.v * 3 - b.id, b.id LIMIT 9",
    "SELECT b.id, a.g FROM b LEFT JOIN a ON a.id = b.aid AND a.g > 5 ORDER BY -b.id LIMIT 6",
    // A hash join streaming its left side.
    "SELECT a.id, b.id FROM a JOIN b ON b.v = a.g ORDER BY a.r DESC, a.id, b.id LIMIT 8",
    "SELECT a.id, b.id FROM a JOIN b ON b.w = a.s ORDER BY a.id DESC, b.id LIMIT 10",
    "SELECT a.id FROM a WHERE NOT EXISTS (SELECT 1 FROM b WHERE b.aid = a.id)
       ORDER BY a.r, a.id LIMIT 5",
    "SELECT a.id FROM a WHERE EXISTS (SELECT 1 FROM b WHERE b.v = a.g)
       ORDER BY a.s DESC, a.id LIMIT 5",
    // A filter above the join, and three tables.
    "SELECT b.id, a.s FROM b JOIN a ON a.id = b.aid WHERE a.g < 10 ORDER BY b.v, b.id LIMIT 6",
    "SELECT c.id, b.id, a.id FROM c JOIN b ON b.id = c.bid JOIN a ON a.id = b.aid
       ORDER BY c.z DESC, c.id LIMIT 8",
    "SELECT c.id, a.s FROM c JOIN b ON b.id = c.bid JOIN a ON a.id = b.aid
       ORDER BY c.z, b.v, c.id LIMIT 8",
    // Keys on both sides, and a RIGHT join: no gate, the same answers.
    "SELECT b.id, a.id FROM b JOIN a ON a.id = b.aid ORDER BY a.g, b.id LIMIT 5",
    "SELECT a.id, b.id FROM b RIGHT JOIN a ON a.id = b.aid ORDER BY b.v, a.id, b.id LIMIT 7",
    // LIMIT 0, and a bound past the rows there are.
    "SELECT b.id FROM b JOIN a ON a.id = b.aid ORDER BY b.v, b.id LIMIT 0",
    "SELECT b.id FROM b JOIN a ON a.id = b.aid ORDER BY b.v, b.id LIMIT 5000",
];

#[test]
fn answers_equal_sqlites_where_the_order_is_total() {
    let (db, sqlite) = loaded();
    assert_same_rows(&db.connect(), &sqlite, TOTAL_ORDERS);
}

/// Queries whose keys tie across many rows, the first key's place marked `KEY`, with that
/// key: which tied rows a top keeps follows the join's output order, so the reference is
/// the same plan without the gate.
const TIED_ORDERS: &[(&str, &str)] = &[
    (
        "SELECT b.id, a.s FROM b JOIN a ON a.id = b.aid ORDER BY KEY DESC LIMIT 10",
        "b.v",
    ),
    (
        "SELECT b.id, a.s FROM b JOIN a ON a.id = b.aid ORDER BY KEY LIMIT 10 OFFSET 3",
        "b.w",
    ),
    (
        "SELECT a.id, b.id FROM a JOIN b ON b.v = a.g ORDER BY KEY DESC LIMIT 15",
        "b.v",
    ),
    (
        "SELECT b.id, a.id FROM b LEFT JOIN a ON a.id = b.aid ORDER BY KEY LIMIT 20",
        "b.v % 4",
    ),
    (
        "SELECT c.id, a.id FROM c JOIN b ON b.id = c.bid JOIN a ON a.id = b.aid \
         ORDER BY KEY LIMIT 9",
        "c.z",
    ),
];

/// A tied query with its key, and with its key behind a `random()` call that keeps the
/// gate off and the key's value.
fn gated_and_not((sql, key): (&str, &str)) -> (String, String) {
    let ungated = format!("(CASE WHEN random() IS NOT NULL THEN {key} END)");
    (sql.replace("KEY", key), sql.replace("KEY", &ungated))
}

fn plan(conn: &Connection, sql: &str) -> String {
    crate::support::explain(conn, sql, &[]).join("\n")
}

#[test]
fn tied_keys_keep_the_rows_the_ungated_plan_keeps() {
    let (db, _sqlite) = loaded();
    let conn = db.connect();
    for &tied in TIED_ORDERS {
        let (sql, reference) = gated_and_not(tied);
        assert!(plan(&conn, &sql).contains("threshold pushed"), "{sql}");
        assert!(
            !plan(&conn, &reference).contains("threshold"),
            "{reference}"
        );
        assert_eq!(
            ember_rows(&conn, &sql),
            ember_rows(&conn, &reference),
            "{sql}"
        );
    }
}

#[test]
fn explain_marks_the_top_k_and_the_join_it_gates() {
    let (db, _sqlite) = loaded();
    let conn = db.connect();
    let gated = plan(&conn, &gated_and_not(TIED_ORDERS[0]).0);
    assert!(
        gated.contains("TopK 10 b.v DESC threshold pushed"),
        "{gated}"
    );
    assert!(gated.contains("top-k threshold on left"), "{gated}");
    // Three tables: the deepest join streaming c is the one gated.
    let three = plan(&conn, &gated_and_not(TIED_ORDERS[4]).0);
    assert_eq!(three.matches("top-k threshold on").count(), 1, "{three}");
    for sql in [
        // Keys reading both sides, a RIGHT join, a key that changes per call.
        TOTAL_ORDERS[13],
        TOTAL_ORDERS[14],
        "SELECT b.id FROM b JOIN a ON a.id = b.aid ORDER BY random() LIMIT 3",
        // No join under the sort.
        "SELECT id FROM b ORDER BY v LIMIT 3",
    ] {
        let plan = plan(&conn, sql);
        assert!(!plan.contains("threshold"), "{sql}\n{plan}");
    }
}

/// A key that fails on some rows: the gate lets such a row through, so the statement fails
/// exactly when the top-k meets a joined row whose key fails, as without the gate.
#[test]
fn a_key_that_fails_fails_as_without_the_gate() {
    let (db, sqlite) = both_engines(&[
        "CREATE TABLE a(id INTEGER PRIMARY KEY, s TEXT)",
        "CREATE TABLE b(id INTEGER PRIMARY KEY, aid INTEGER, k INTEGER)",
        "INSERT INTO a VALUES (1, 'x'), (2, 'y'), (3, 'z')",
        "INSERT INTO b VALUES (1, 1, 5), (2, 2, 7), (3, 3, 1), (4, 9, -9223372036854775808),
           (5, 1, 2), (6, 2, 8), (7, 3, 3)",
    ]);
    let conn = db.connect();
    let unmatched = "SELECT b.id FROM b JOIN a ON a.id = b.aid ORDER BY abs(b.k), b.id LIMIT 2";
    assert!(plan(&conn, unmatched).contains("threshold pushed"));
    assert_same_rows(&conn, &sqlite, &[unmatched]);
    conn.execute("UPDATE b SET aid = 1 WHERE id = 4", ())
        .unwrap();
    sqlite
        .execute("UPDATE b SET aid = 1 WHERE id = 4", [])
        .unwrap();
    assert_same_rows_or_both_fail(&conn, &sqlite, &[unmatched]);
    assert!(ember_rows(&conn, unmatched).is_err());
}

/// The same statement run many times (the plan cached, its threshold emptied at each run)
/// and from a correlated subquery (one run per outer row) answers each run alike.
#[test]
fn every_run_starts_from_an_empty_threshold() {
    let (db, sqlite) = loaded();
    let conn = db.connect();
    let query = "SELECT b.id, a.s FROM b JOIN a ON a.id = b.aid ORDER BY b.v DESC, b.id LIMIT 4";
    let first = ember_rows(&conn, query);
    for _ in 0..5 {
        assert_eq!(ember_rows(&conn, query), first);
    }
    assert_same_rows(
        &conn,
        &sqlite,
        &[
            "SELECT c.id, (SELECT b.id FROM b JOIN a ON a.id = b.aid WHERE b.v >= c.z
             ORDER BY b.v, b.id LIMIT 1) FROM c WHERE c.id < 40 ORDER BY c.id",
        ],
    );
}
