//! Rows read by a lookup without ORDER BY come in SQLite's order: a secondary index's key in
//! rowid order (not the hash chain's newest first), an IN list of primary keys or index keys
//! sorted as SQLite probes them (values coerced to the column, compared under its
//! collation), a LIMIT over such a read keeping SQLite's first rows, and an index join's
//! right rows per left row in rowid order.

use ember::Value;

use super::support::{both_engines, ember_rows, sqlite_rows};

#[test]
fn lookups_without_order_by_give_rows_in_sqlites_order() {
    let (db, sqlite) = both_engines(&[
        "CREATE TABLE o(id INTEGER PRIMARY KEY, uid INT, amt INT, tag TEXT COLLATE NOCASE)",
        "CREATE INDEX o_uid ON o(uid)",
        "CREATE INDEX o_tag ON o(tag)",
        "CREATE TABLE u(id INTEGER PRIMARY KEY, name TEXT)",
        "CREATE TABLE n(name TEXT, kind TEXT)",
        "CREATE INDEX n_kind ON n(kind)",
    ]);
    let ember = db.connect();
    let fill = [
        "INSERT INTO u VALUES (1, 'ann'), (2, 'bob'), (3, 'cy')",
        "INSERT INTO o(uid, amt, tag) VALUES (1, 10, 'x'), (2, 20, 'Y'), (1, 30, 'X'), \
         (1, 40, 'y'), (2, 50, 'x'), (3, 60, 'z'), (1, 70, 'Z')",
        "INSERT INTO o VALUES (100, 1, 80, 'x'), (50, 1, 90, 'y'), (75, 2, 95, 'x')",
        "DELETE FROM o WHERE id = 3",
        "INSERT INTO o(uid, amt, tag) VALUES (1, 99, 'x')",
        "INSERT INTO n VALUES ('a', 'x'), ('b', 'y'), ('c', 'x'), ('d', 'x'), ('e', 'y')",
    ];
    for sql in fill {
        ember.execute(sql, ()).unwrap();
        sqlite.execute(sql, []).unwrap();
    }
    let queries = [
        "SELECT * FROM o WHERE uid = 1",
        "SELECT id, amt FROM o WHERE uid = 2",
        "SELECT id FROM o WHERE uid = 1 LIMIT 2",
        "SELECT id FROM o WHERE uid = 1 LIMIT 2 OFFSET 1",
        "SELECT id FROM o WHERE id IN (100, 4, 1, 50, 4)",
        "SELECT id FROM o WHERE id IN ('75', 2, 1.0)",
        "SELECT id, uid FROM o WHERE uid IN (3, 1, 2)",
        "SELECT id, uid FROM o WHERE uid IN ('2', 1)",
        "SELECT id, tag FROM o WHERE tag = 'x'",
        "SELECT name FROM n WHERE kind = 'x'",
        "SELECT name FROM n WHERE kind IN ('y', 'x')",
        "SELECT u.name, o.amt FROM u JOIN o ON o.uid = u.id WHERE u.id IN (2, 1)",
        "SELECT amt FROM o WHERE uid = 1 AND amt > 20",
    ];
    for sql in queries {
        let ours: Vec<Vec<Value>> = ember_rows(&ember, sql).unwrap();
        let theirs = sqlite_rows(&sqlite, sql).unwrap();
        assert_eq!(ours, theirs, "{sql}");
    }
}
