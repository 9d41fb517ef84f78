//! Top-N per partition (`Window ... (top k per partition by f)`): a filter bounding a
//! row_number(), rank() or dense_rank() from above lets the Window keep only each
//! partition's first rows. Every query here runs against SQLite over the same generated
//! table (ties, NULLs, DESC, NULLS FIRST/LAST, NOCASE, computed keys, several PARTITION BY
//! columns, none, no ORDER BY, other window calls beside the bound one) and against the
//! same query with the bound hidden from the optimizer (`r + 0`), which reads every row;
//! EXPLAIN must show the bound exactly where it is allowed.

use super::support::{ember_cell, sqlite_cell};
use ember::{Connection, Database};

/// The rows of `sql` in ember, in the order it returns them.
fn ember_rows(conn: &Connection, sql: &str) -> Vec<Vec<String>> {
    let rows = conn
        .query(sql, ())
        .unwrap_or_else(|error| panic!("{sql}: {error}"));
    rows.values()
        .iter()
        .map(|row| row.iter().map(ember_cell).collect())
        .collect()
}

fn sqlite_rows(conn: &rusqlite::Connection, sql: &str) -> Vec<Vec<String>> {
    let mut statement = conn
        .prepare(sql)
        .unwrap_or_else(|error| panic!("{sql}: {error}"));
    let width = statement.column_count();
    statement
        .query_map([], |row| {
            Ok((0..width)
                .map(|i| sqlite_cell(row.get_ref(i).unwrap()))
                .collect())
        })
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

fn sorted(mut rows: Vec<Vec<String>>) -> Vec<Vec<String>> {
    rows.sort();
    rows
}

/// `w` in both engines: few distinct values per column (many ties), NULLs in each,
/// texts differing only in case.
fn generated(seed: u64) -> (Connection, rusqlite::Connection) {
    let mut random = fastrand::Rng::with_seed(seed);
    let mut script = String::from(
        "CREATE TABLE w(id INTEGER PRIMARY KEY, g TEXT, h INTEGER, x INTEGER, y REAL, s TEXT);\n",
    );
    let texts = ["'a'", "'A'", "'b'", "'B'", "'c'", "NULL"];
    for id in 1..=600 {
        let g = texts[random.usize(0..texts.len())];
        let h = match random.u8(0..6) {
            0 => "NULL".to_string(),
            _ => random.i64(0..4).to_string(),
        };
        let x = match random.u8(0..8) {
            0 => "NULL".to_string(),
            _ => random.i64(-3..12).to_string(),
        };
        let y = match random.u8(0..8) {
            0 => "NULL".to_string(),
            _ => format!("{}.5", random.i64(-4..6)),
        };
        let s = texts[random.usize(0..texts.len())];
        script += &format!("INSERT INTO w VALUES ({id}, {g}, {h}, {x}, {y}, {s});\n");
    }
    let ember = Database::in_memory().connect();
    ember.execute_batch(&script).unwrap();
    let sqlite = rusqlite::Connection::open_in_memory().unwrap();
    sqlite.execute_batch(&script).unwrap();
    (ember, sqlite)
}

/// Window specifications (PARTITION BY and ORDER BY).
const SPECS: &[&str] = &[
    "PARTITION BY g ORDER BY x",
    "PARTITION BY g, h ORDER BY x DESC",
    "ORDER BY y",
    "PARTITION BY h ORDER BY s COLLATE NOCASE, id DESC",
    "PARTITION BY g ORDER BY x DESC NULLS FIRST, y NULLS LAST",
    "PARTITION BY lower(g) ORDER BY x + y",
    "PARTITION BY upper(g) ORDER BY s",
    // Partitions under NOCASE: 'a' and 'A' share one.
    "PARTITION BY g COLLATE NOCASE ORDER BY s, id",
    "PARTITION BY g",
    "PARTITION BY h ORDER BY y DESC",
];

/// The ranking functions a bound may cut by.
const FUNCTIONS: &[&str] = &["row_number()", "rank()", "dense_rank()"];

/// Other calls beside the bound one (`$S` is its window specification), and whether a
/// row_number bound, and a rank or dense_rank bound, may still cut.
const EXTRAS: &[(&str, bool, bool)] = &[
    ("", true, true),
    (
        ", sum(x) OVER ($S ROWS BETWEEN 2 PRECEDING AND CURRENT ROW) AS e",
        true,
        true,
    ),
    (", count(*) OVER ($S) AS e", false, true),
    (
        ", first_value(y) OVER ($S GROUPS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS e",
        true,
        true,
    ),
    (", max(s) OVER ($S RANGE CURRENT ROW) AS e", false, true),
    (", dense_rank() OVER ($S) AS e", true, true),
    (", lead(x) OVER ($S) AS e", false, false),
    (", percent_rank() OVER ($S) AS e", false, false),
    (
        ", sum(y) OVER ($S ROWS BETWEEN CURRENT ROW AND 1 FOLLOWING) AS e",
        false,
        false,
    ),
    (", row_number() OVER (ORDER BY id) AS e", false, false),
];

/// Bounds on `r`: the term, and whether it is one the optimizer reads as a bound.
const BOUNDS: &[(&str, bool)] = &[
    ("r <= 3", true),
    ("r < 2", true),
    ("r = 1", true),
    ("r = 3", true),
    ("2 >= r", true),
    ("4 > r", true),
    ("r BETWEEN 2 AND 3", true),
    ("r <= 0", true),
    ("r <= 1000", true),
    ("r <= 2 AND x > 0", true),
    ("r <= '3'", false),
    ("r >= 3", false),
];

#[test]
fn top_n_per_partition_answers_as_sqlite_and_as_every_row_does() {
    let (ember, sqlite) = generated(30);
    let mut cut = 0;
    for spec in SPECS {
        for function in FUNCTIONS {
            for (extra, row_number_cuts, rank_cuts) in EXTRAS {
                for (bound, read) in BOUNDS {
                    let extra = extra.replace("$S", spec);
                    let inner = format!(
                        "SELECT id, g, h, x, y, s, {function} OVER ({spec}) AS r{extra} FROM w"
                    );
                    let sql = format!("SELECT * FROM ({inner}) WHERE {bound}");
                    let allowed = if *function == "row_number()" {
                        *row_number_cuts
                    } else {
                        *rank_cuts
                    };
                    let plan = ember_rows(&ember, &format!("EXPLAIN {sql}"))
                        .concat()
                        .concat();
                    assert_eq!(
                        plan.contains(" per partition by "),
                        allowed && *read,
                        "{sql}\n{plan}"
                    );
                    cut += usize::from(allowed && *read);
                    let rows = ember_rows(&ember, &sql);
                    let hidden = bound.replacen('r', "r + 0", 1);
                    let every_row = format!("SELECT * FROM ({inner}) WHERE {hidden}");
                    assert_eq!(rows, ember_rows(&ember, &every_row), "{sql}");
                    assert_eq!(sorted(rows), sorted(sqlite_rows(&sqlite, &sql)), "{sql}");
                }
            }
        }
    }
    assert!(cut > 500, "{cut} queries cut");
}

#[test]
fn top_n_under_aggregates_and_nested_projections() {
    let (ember, sqlite) = generated(31);
    for sql in [
        "SELECT count(*), sum(x) FROM (SELECT x, rank() OVER (PARTITION BY g ORDER BY s) AS r \
         FROM w) WHERE r = 1",
        "SELECT g, count(*) FROM (SELECT * FROM (SELECT g, dense_rank() OVER (PARTITION BY g \
         ORDER BY x DESC) AS r FROM w)) WHERE r <= 2 GROUP BY g",
        "SELECT id FROM (SELECT id, row_number() OVER (PARTITION BY h ORDER BY y, x) AS r \
         FROM w WHERE x > 0) WHERE r <= 2 ORDER BY id",
        "SELECT id, r FROM (SELECT id, row_number() OVER (PARTITION BY g ORDER BY x) AS r \
         FROM w) WHERE r <= 2 ORDER BY r, id LIMIT 5",
        "SELECT h, r FROM (SELECT h, rank() OVER (PARTITION BY h ORDER BY count(*)) AS r \
         FROM w GROUP BY h, g) WHERE r = 1",
    ] {
        let plan = ember_rows(&ember, &format!("EXPLAIN {sql}"))
            .concat()
            .concat();
        assert!(plan.contains(" per partition by "), "{sql}\n{plan}");
        assert_eq!(
            sorted(ember_rows(&ember, sql)),
            sorted(sqlite_rows(&sqlite, sql)),
            "{sql}"
        );
    }
}

#[test]
fn explain_shows_the_bound() {
    let ember = Database::in_memory().connect();
    ember
        .execute_batch("CREATE TABLE t(id INTEGER PRIMARY KEY, g TEXT, c REAL)")
        .unwrap();
    let plan = ember_rows(
        &ember,
        "EXPLAIN SELECT count(*) FROM (SELECT id, row_number() OVER (PARTITION BY g ORDER BY c) \
         AS r FROM t) WHERE r <= 3",
    );
    let plan: Vec<String> = plan.into_iter().map(|row| row.concat()).collect();
    assert_eq!(
        plan,
        [
            "tProject count(*)",
            "t└─ Aggregate count(*)",
            "t   └─ Filter (r <= 3)",
            "t      └─ Project NULL, row_number()",
            "t         └─ Window row_number() partition by g order by c ASC \
             (top 3 per partition by row_number)",
            "t            └─ Scan t",
        ]
    );
}

/// A LIMIT straight over a Window (through its projection) bounds it by row_number: the
/// rows taken are exactly those the full query gives at those positions (ties in input
/// order), and SQLite's where the window order is total; EXPLAIN shows the bound only when
/// every call of the pass depends on the rows before its own.
#[test]
fn limit_over_a_window_keeps_the_first_rows() {
    let (ember, sqlite) = generated(32);
    let mut cut = 0;
    for spec in SPECS {
        for function in FUNCTIONS {
            for (extra, row_number_cuts, _) in EXTRAS {
                let extra = extra.replace("$S", spec);
                let inner = format!(
                    "SELECT id, g, h, x, y, s, {function} OVER ({spec}) AS r{extra} FROM w"
                );
                let every_row = ember_rows(&ember, &inner);
                for (limit, offset) in [(1, 0), (5, 0), (7, 3), (40, 590), (0, 0), (-1, 2)] {
                    let sql = format!("{inner} LIMIT {limit} OFFSET {offset}");
                    let plan = ember_rows(&ember, &format!("EXPLAIN {sql}"))
                        .concat()
                        .concat();
                    let bounded = *row_number_cuts && limit >= 0;
                    assert_eq!(
                        plan.contains(" per partition by "),
                        bounded,
                        "{sql}\n{plan}"
                    );
                    cut += usize::from(bounded);
                    let taken: Vec<_> = every_row
                        .iter()
                        .skip(offset)
                        .take(usize::try_from(limit).unwrap_or(usize::MAX))
                        .cloned()
                        .collect();
                    assert_eq!(ember_rows(&ember, &sql), taken, "{sql}");
                }
            }
        }
    }
    assert!(cut > 300, "{cut} queries cut");
    for sql in [
        "SELECT id, row_number() OVER (ORDER BY y, id) FROM w LIMIT 10",
        "SELECT id, rank() OVER (ORDER BY x DESC, id) AS r, sum(x) OVER (ORDER BY x DESC, id \
         ROWS UNBOUNDED PRECEDING) FROM w LIMIT 12 OFFSET 20",
        "SELECT id, x, row_number() OVER (PARTITION BY g ORDER BY x, id) FROM w \
         WHERE h > 0 LIMIT 25",
        "SELECT id * 2, dense_rank() OVER (ORDER BY s, id) FROM w LIMIT 3 OFFSET 597",
    ] {
        let plan = ember_rows(&ember, &format!("EXPLAIN {sql}"))
            .concat()
            .concat();
        assert!(
            plan.contains(" per partition by row_number"),
            "{sql}\n{plan}"
        );
        assert_eq!(ember_rows(&ember, sql), sqlite_rows(&sqlite, sql), "{sql}");
    }
}
