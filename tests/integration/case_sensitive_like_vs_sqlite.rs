//! `PRAGMA case_sensitive_like` against rusqlite's SQLite: LIKE (and `like()`) with ASCII
//! case significant while it is on, per connection; a statement prepared under one
//! setting answers under the one in force when it runs (SQLite re-prepares it, EmberDB
//! binds it again, the plan cache included); a prefix LIKE may then read a range of a
//! BINARY index (EXPLAIN), never a NOCASE one.

use ember::Connection;

use super::support::{assert_same_rows, both_engines, explain};

const SCHEMA: &[&str] = &[
    "CREATE TABLE names(id INTEGER PRIMARY KEY, name TEXT, folded TEXT COLLATE NOCASE)",
    "CREATE INDEX names_name ON names(name)",
    "CREATE INDEX names_folded ON names(folded)",
    "INSERT INTO names VALUES (1, 'Alice', 'Alice'), (2, 'alice', 'alice'), \
     (3, 'ALBERT', 'ALBERT'), (4, 'bob', 'bob'), (5, 'Ålborg', 'Ålborg'), \
     (6, 'al_x', 'al_x'), (7, NULL, NULL)",
];

const QUERIES: &[&str] = &[
    "SELECT id FROM names WHERE name LIKE 'al%' ORDER BY id",
    "SELECT id FROM names WHERE name LIKE 'Al%' ORDER BY id",
    "SELECT id FROM names WHERE name LIKE '%LI%' ORDER BY id",
    "SELECT id FROM names WHERE name NOT LIKE 'a%' ORDER BY id",
    "SELECT id FROM names WHERE folded LIKE 'al%' ORDER BY id",
    "SELECT id FROM names WHERE name LIKE 'al\\_%' ESCAPE '\\' ORDER BY id",
    "SELECT id FROM names WHERE like('ALI%', name) ORDER BY id",
    "SELECT id FROM names WHERE like('al!_x', name, '!') ORDER BY id",
    "SELECT ('abc' LIKE 'ABC') + 0, ('abc' LIKE 'abc') + 0, ('å' LIKE 'Å') + 0, \
     (NULL LIKE 'a') + 0",
    "SELECT count(*) FROM names WHERE name LIKE '_l%'",
];

fn set_on_both(ember: &Connection, sqlite: &rusqlite::Connection, sql: &str) {
    ember.execute(sql, ()).unwrap();
    sqlite.execute_batch(sql).unwrap();
}

#[test]
fn like_follows_the_setting_as_sqlite() {
    let (db, sqlite) = both_engines(SCHEMA);
    let ember = db.connect();
    assert_same_rows(&ember, &sqlite, QUERIES);
    set_on_both(&ember, &sqlite, "PRAGMA case_sensitive_like = ON");
    assert_same_rows(&ember, &sqlite, QUERIES);
    set_on_both(&ember, &sqlite, "PRAGMA case_sensitive_like = 0");
    assert_same_rows(&ember, &sqlite, QUERIES);
    set_on_both(&ember, &sqlite, "PRAGMA case_sensitive_like = true");
    assert_same_rows(&ember, &sqlite, QUERIES);
    // Reading it gives no row, as SQLite's.
    assert_same_rows(&ember, &sqlite, &["PRAGMA case_sensitive_like"]);
}

#[test]
fn the_setting_is_the_connections_own() {
    let (db, _sqlite) = both_engines(SCHEMA);
    let (sensitive, folding) = (db.connect(), db.connect());
    sensitive
        .execute("PRAGMA case_sensitive_like = 1", ())
        .unwrap();
    let count = |conn: &Connection| -> i64 {
        conn.query_value("SELECT count(*) FROM names WHERE name LIKE 'al%'", ())
            .unwrap()
    };
    assert_eq!((count(&sensitive), count(&folding)), (2, 4));
}

#[test]
fn a_prepared_statement_and_the_plan_cache_follow_a_change() {
    let (db, sqlite) = both_engines(SCHEMA);
    let ember = db.connect();
    let sql = "SELECT count(*) FROM names WHERE name LIKE ?";
    let mut ours = ember.prepare(sql).unwrap();
    let mut theirs = sqlite.prepare(sql).unwrap();
    let mut counts = Vec::new();
    for setting in ["ON", "OFF", "ON"] {
        let pragma = format!("PRAGMA case_sensitive_like = {setting}");
        set_on_both(&ember, &sqlite, &pragma);
        let ember_count: i64 = ours.query_value(["al%"]).unwrap();
        let sqlite_count: i64 = theirs.query_row(["al%"], |row| row.get(0)).unwrap();
        // The connection's cached plan of the same text, run through `query`.
        let cached: i64 = ember.query_value(sql, ["al%"]).unwrap();
        assert_eq!(
            (ember_count, cached),
            (sqlite_count, sqlite_count),
            "{setting}"
        );
        counts.push(ember_count);
    }
    assert_eq!(counts, [2, 4, 2]);
}

#[test]
fn a_case_sensitive_prefix_reads_a_range_of_a_binary_index_only() {
    let (db, _sqlite) = both_engines(SCHEMA);
    let ember = db.connect();
    ember
        .execute("PRAGMA case_sensitive_like = ON", ())
        .unwrap();
    let plan = |sql: &str| explain(&ember, sql, &[]).join("\n");
    let binary = plan("SELECT id FROM names WHERE name LIKE 'Al%'");
    assert!(
        binary.contains("using names_name (name starts with 'Al')"),
        "{binary}"
    );
    assert!(!binary.contains("either case"), "{binary}");
    let nocase = plan("SELECT id FROM names WHERE folded LIKE 'Al%'");
    assert!(!nocase.contains("names_folded"), "{nocase}");
}
