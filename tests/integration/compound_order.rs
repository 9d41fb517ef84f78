//! A UNION, INTERSECT or EXCEPT under ORDER BY leaves its own order to the sort, whose keys
//! the optimizer extends with every column (`optimize/compound_order.rs`): the rows, ties
//! of the ORDER BY included, come as SQLite gives them: NULLs, numbers of both types,
//! texts, blobs, a NOCASE column, DESC keys, LIMIT and OFFSET.

use crate::support::{assert_same_rows, both_engines, explain};

fn engines() -> (ember::Database, rusqlite::Connection) {
    let mut script = vec![
        "CREATE TABLE p(id INTEGER PRIMARY KEY, k, n TEXT COLLATE NOCASE, g INTEGER)".to_string(),
        "CREATE TABLE q(id INTEGER PRIMARY KEY, k, n TEXT COLLATE NOCASE, g INTEGER)".to_string(),
    ];
    let mut random = fastrand::Rng::with_seed(5);
    let values = [
        "NULL", "1", "1.0", "'1'", "2", "2.5", "'b'", "'B'", "x'01'", "-3",
    ];
    let names = ["NULL", "'a'", "'A'", "'b'", "'c '", "'C'"];
    for table in ["p", "q"] {
        for id in 1..=120 {
            let k = values[random.usize(0..values.len())];
            let n = names[random.usize(0..names.len())];
            let g = random.u8(0..4);
            script.push(format!("INSERT INTO {table} VALUES ({id}, {k}, {n}, {g})"));
        }
    }
    let script: Vec<&str> = script.iter().map(String::as_str).collect();
    both_engines(&script)
}

const QUERIES: &[&str] = &[
    "SELECT k, g FROM p UNION SELECT k, g FROM q ORDER BY g",
    "SELECT k, g FROM p UNION SELECT k, g FROM q ORDER BY g DESC LIMIT 7",
    "SELECT k, g FROM p UNION SELECT k, g FROM q ORDER BY g LIMIT 5 OFFSET 4",
    "SELECT g, k FROM p UNION SELECT g, k FROM q ORDER BY 2 DESC",
    "SELECT n, g FROM p UNION SELECT n, g FROM q ORDER BY g DESC",
    "SELECT n FROM p UNION SELECT n FROM q ORDER BY 1",
    "SELECT k, n, g FROM p INTERSECT SELECT k, n, g FROM q ORDER BY g, 2 DESC",
    "SELECT k, g FROM p EXCEPT SELECT k, g FROM q ORDER BY g DESC LIMIT 9",
    "SELECT k, g FROM p UNION SELECT k, g FROM q ORDER BY g, k DESC",
    "SELECT k, g FROM p UNION ALL SELECT k, g FROM q ORDER BY g, k, 1 LIMIT 12",
];

#[test]
fn compound_rows_come_in_sqlites_order() {
    let (db, sqlite) = engines();
    assert_same_rows(&db.connect(), &sqlite, QUERIES);
}

#[test]
fn explain_marks_a_compound_the_sort_orders() {
    let (db, _sqlite) = engines();
    let conn = db.connect();
    let plan = explain(&conn, QUERIES[1], &[]).join("\n");
    assert!(plan.contains("TopK 7 g DESC, #1 ASC, #2 ASC"), "{plan}");
    assert!(plan.contains("Union (rows unsorted)"), "{plan}");
    // Without ORDER BY the compound keeps its own order; UNION ALL streams.
    for sql in [
        "SELECT k FROM p UNION SELECT k FROM q LIMIT 3",
        "SELECT k FROM p UNION ALL SELECT k FROM q ORDER BY k",
    ] {
        let plan = explain(&conn, sql, &[]).join("\n");
        assert!(!plan.contains("unsorted"), "{sql}\n{plan}");
    }
}
