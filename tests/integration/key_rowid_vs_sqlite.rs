//! Tables whose PRIMARY KEY is not one INTEGER column (a TEXT key, a composite key, an
//! `INT` key, a NOT NULL key, a NOCASE key) have a rowid, as in SQLite, and their key is a
//! unique index: each statement run on EmberDB and on rusqlite's SQLite from the same rows
//! (inserts, NULL keys, duplicates, deletes, REPLACE, upserts, rowids given and updated,
//! RETURNING) must give the same rows or both fail, and afterwards every table (in rowid
//! order, by key), `last_insert_rowid()`, `changes()` and the catalog (`sqlite_schema`,
//! `index_list`, `index_info`, `table_info`) must read the same.

use ember::Value;

use super::support::{assert_same_answers, both_engines, ember_rows, sqlite_rows};

const SCHEMA: &[&str] = &[
    "CREATE TABLE kv(k TEXT PRIMARY KEY, v INTEGER)",
    "CREATE TABLE pair(a TEXT, b INT, c, PRIMARY KEY (a, b))",
    "CREATE TABLE n(id INT PRIMARY KEY, note TEXT UNIQUE)",
    "CREATE TABLE nn(k TEXT NOT NULL PRIMARY KEY, v)",
    "CREATE TABLE ci(k TEXT COLLATE NOCASE PRIMARY KEY, v)",
    "CREATE TABLE both_keys(u TEXT UNIQUE, k TEXT PRIMARY KEY UNIQUE)",
];

const TABLES: &[&str] = &["kv", "pair", "n", "nn", "ci", "both_keys"];

/// Statements run in order on both engines; each leaves state the next ones read.
const STATEMENTS: &[&str] = &[
    "INSERT INTO kv VALUES ('a', 1), ('b', 2), ('c', 3)",
    "INSERT INTO kv VALUES ('a', 10)",
    "INSERT INTO kv VALUES (NULL, 4)",
    "INSERT INTO kv VALUES (NULL, 5), (NULL, 6)",
    "INSERT INTO kv(rowid, k, v) VALUES (100, 'far', 7)",
    "INSERT INTO kv(rowid, k, v) VALUES (100, 'clash', 8)",
    "INSERT INTO kv VALUES ('d', 9) RETURNING rowid, k",
    "DELETE FROM kv WHERE k = 'd'",
    "INSERT INTO kv VALUES ('e', 11)",
    "INSERT OR REPLACE INTO kv VALUES ('b', 20)",
    "REPLACE INTO kv VALUES ('a', 21)",
    "INSERT INTO kv VALUES ('c', 30) ON CONFLICT(k) DO UPDATE SET v = v + excluded.v",
    "INSERT INTO kv VALUES ('g', 31) ON CONFLICT(k) DO UPDATE SET v = 0 RETURNING rowid, *",
    "INSERT INTO kv VALUES ('g', 32) ON CONFLICT(k) DO UPDATE SET v = excluded.v \
     RETURNING rowid, k, v",
    "INSERT INTO kv VALUES ('h', 1) ON CONFLICT DO NOTHING",
    "INSERT INTO kv VALUES ('h', 2) ON CONFLICT DO NOTHING",
    "UPDATE kv SET rowid = 500 WHERE k = 'e'",
    "UPDATE kv SET rowid = 500 WHERE k = 'far'",
    "UPDATE kv SET k = 'a' WHERE k = 'far'",
    "UPDATE kv SET k = NULL WHERE k = 'far'",
    "UPDATE OR REPLACE kv SET k = 'b' WHERE k = 'h'",
    "DELETE FROM kv WHERE rowid = 2",
    "DELETE FROM kv WHERE k IS NULL AND v = 5",
    "INSERT INTO kv(k, v) SELECT 'copy' || k, v FROM kv WHERE k IS NOT NULL ORDER BY rowid",
    "INSERT INTO pair VALUES ('x', 1, 'p'), ('x', 2, 'q'), ('y', 1, 'r')",
    "INSERT INTO pair VALUES ('x', 1, 'again')",
    "INSERT INTO pair VALUES ('x', NULL, 's'), ('x', NULL, 't'), (NULL, NULL, 'u')",
    "INSERT OR REPLACE INTO pair VALUES ('x', 2, 'replaced')",
    "INSERT INTO pair VALUES ('y', 1, 'w') ON CONFLICT(b, a) DO UPDATE SET c = excluded.c",
    "DELETE FROM pair WHERE a = 'x' AND b = 1",
    "INSERT INTO pair VALUES ('z', 3, 'z') RETURNING rowid",
    "INSERT INTO n VALUES (1, 'one'), (2, 'two'), ('3', 'three')",
    "INSERT INTO n VALUES (2, 'dup')",
    "INSERT INTO n VALUES (NULL, 'null key')",
    "INSERT INTO n(rowid, id, note) VALUES (-5, 10, 'negative rowid')",
    "INSERT INTO n VALUES (4, 'one')",
    "INSERT OR REPLACE INTO n VALUES (4, 'one')",
    "INSERT INTO nn VALUES ('a', 1)",
    "INSERT INTO nn VALUES (NULL, 2)",
    "INSERT OR REPLACE INTO nn VALUES ('a', 3)",
    "INSERT INTO ci VALUES ('Abc', 1)",
    "INSERT INTO ci VALUES ('aBC', 2)",
    "INSERT OR REPLACE INTO ci VALUES ('ABC', 3)",
    "INSERT INTO ci VALUES ('abd', 4) ON CONFLICT(k) DO UPDATE SET v = 99",
    "INSERT INTO ci VALUES ('ABD', 5) ON CONFLICT(k) DO UPDATE SET v = excluded.v",
    "INSERT INTO both_keys VALUES ('u1', 'k1'), ('u2', 'k2')",
    "INSERT INTO both_keys VALUES ('u3', 'k1')",
    "INSERT OR REPLACE INTO both_keys VALUES ('u1', 'k2')",
];

/// Queries that do not depend on the tables' rows.
const CATALOG: &[&str] = &[
    "SELECT type, name, tbl_name, sql FROM sqlite_schema ORDER BY name",
    "SELECT * FROM pragma_index_list('kv') ORDER BY seq",
    "SELECT * FROM pragma_index_list('pair') ORDER BY seq",
    "SELECT * FROM pragma_index_list('n') ORDER BY seq",
    "SELECT * FROM pragma_index_list('both_keys') ORDER BY seq",
    "SELECT * FROM pragma_index_info('sqlite_autoindex_kv_1')",
    "SELECT * FROM pragma_index_info('sqlite_autoindex_pair_1')",
    "SELECT * FROM pragma_index_xinfo('sqlite_autoindex_pair_1')",
    "SELECT * FROM pragma_index_info('sqlite_autoindex_n_2')",
    "SELECT * FROM pragma_index_info('sqlite_autoindex_ci_1')",
    "SELECT * FROM pragma_table_info('kv')",
    "SELECT * FROM pragma_table_info('pair')",
    "SELECT * FROM pragma_table_info('nn')",
    "SELECT * FROM pragma_table_info('both_keys')",
];

fn checks() -> Vec<String> {
    let mut checks: Vec<String> = TABLES
        .iter()
        .flat_map(|table| {
            [
                format!("SELECT rowid, * FROM {table} ORDER BY rowid"),
                format!("SELECT _rowid_, oid FROM {table} ORDER BY rowid DESC"),
            ]
        })
        .collect();
    checks.push("SELECT last_insert_rowid(), changes(), total_changes()".to_string());
    checks.push("SELECT rowid, v FROM kv WHERE k = 'c'".to_string());
    checks.push("SELECT rowid FROM kv WHERE k IS NULL ORDER BY 1".to_string());
    checks.push("SELECT rowid, c FROM pair WHERE a = 'x' AND b = 2".to_string());
    checks.push("SELECT k, rowid FROM ci WHERE k = 'ABD'".to_string());
    checks
}

/// The rows a statement returns (sorted) or the count it changed, or that it failed.
fn outcome<E: ToString>(rows: Result<Vec<Vec<Value>>, E>) -> Result<String, ()> {
    rows.map(|mut rows| {
        rows.sort_by_key(|row| format!("{row:?}"));
        format!("{rows:?}")
    })
    .map_err(|_| ())
}

#[test]
fn rowids_keys_and_catalog_answer_as_sqlite_does() {
    let (db, sqlite) = both_engines(SCHEMA);
    let ember = db.connect();
    assert_same_answers(&ember, &sqlite, CATALOG, "the schema");
    let checks = checks();
    let checks: Vec<&str> = checks.iter().map(String::as_str).collect();
    for sql in STATEMENTS {
        let (ours, theirs) = if sql.contains("RETURNING") {
            (
                outcome(ember_rows(&ember, sql)),
                outcome(sqlite_rows(&sqlite, sql)),
            )
        } else {
            (
                ember
                    .execute(sql, ())
                    .map(|n| n.to_string())
                    .map_err(|_| ()),
                sqlite
                    .execute(sql, [])
                    .map(|n| n.to_string())
                    .map_err(|_| ()),
            )
        };
        assert_eq!(ours, theirs, "{sql}");
        assert_same_answers(&ember, &sqlite, &checks, sql);
    }
    assert_same_answers(&ember, &sqlite, CATALOG, "the statements");
}

#[test]
fn a_duplicate_key_names_the_key_as_sqlite_does() {
    let (db, sqlite) = both_engines(SCHEMA);
    let ember = db.connect();
    for sql in [
        "INSERT INTO kv VALUES ('a', 1)",
        "INSERT INTO pair VALUES ('a', 1, 1)",
        "INSERT INTO nn VALUES ('a', 1)",
    ] {
        ember.execute(sql, ()).unwrap();
        sqlite.execute(sql, []).unwrap();
    }
    for sql in [
        "INSERT INTO kv VALUES ('a', 2)",
        "INSERT INTO pair VALUES ('a', 1, 2)",
        "INSERT INTO nn VALUES (NULL, 2)",
    ] {
        let ours = ember.execute(sql, ()).unwrap_err().message().to_string();
        let theirs = sqlite.execute(sql, []).unwrap_err().to_string();
        assert_eq!(ours, theirs, "{sql}");
    }
}

/// The statements an application runs against a key-value table, with parameters.
#[test]
fn parameters_bind_the_key_and_the_rowid() {
    let (db, sqlite) = both_engines(SCHEMA);
    let ember = db.connect();
    for (k, v) in [("p", 1i64), ("q", 2), ("r", 3)] {
        ember
            .execute("INSERT INTO kv VALUES (?1, ?2)", (k, v))
            .unwrap();
        sqlite
            .execute("INSERT INTO kv VALUES (?1, ?2)", (k, v))
            .unwrap();
    }
    let ours: i64 = ember
        .query_value("SELECT rowid FROM kv WHERE k = ?", ["q"])
        .unwrap();
    let theirs: i64 = sqlite
        .query_row("SELECT rowid FROM kv WHERE k = ?", ["q"], |row| row.get(0))
        .unwrap();
    assert_eq!(ours, theirs);
    let ours: String = ember
        .query_value("SELECT k FROM kv WHERE rowid = ?", [3i64])
        .unwrap();
    assert_eq!(ours, "r");
}
