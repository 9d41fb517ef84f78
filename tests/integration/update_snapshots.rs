//! UPDATE under old snapshots, compared with SQLite: updates of indexed and unindexed
//! columns (one row, key ranges, thousands of rows, an indexed column changed and changed
//! back, RETURNING) run while readers hold snapshots taken before them. Checked: every
//! holder reads exactly what it read when it began (through a scan and through both
//! indexes), the answers after each statement match SQLite's, and after the holders end
//! and VACUUM collects, the indexes still give SQLite's answers. A second test runs reader
//! threads that compare their snapshot's index reads with its scan while a writer updates
//! indexed columns over and over; a third changes stored bytes but not index keys (1 to
//! 1.0, case under NOCASE), whose collection must keep the entries by key.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use ember::{Connection, Database, Value};

use crate::support::sqlite_rows;

const ROWS: i64 = 3000;

const SCHEMA: &str = "CREATE TABLE t(id INTEGER PRIMARY KEY, a INTEGER, b INTEGER, c REAL, \
                      s TEXT, g TEXT); CREATE INDEX t_a ON t(a); CREATE INDEX t_s ON t(s);";

/// Queries that read the table through a scan and through each index.
const STATE: &[&str] = &[
    "SELECT count(*), sum(a), sum(b), sum(c), min(s), max(s), max(g) FROM t",
    "SELECT count(*), sum(id), sum(b) FROM t WHERE a BETWEEN -1000000 AND 1000000",
    "SELECT id, a FROM t WHERE a BETWEEN -40 AND 40 ORDER BY a, id",
    "SELECT count(*), sum(id), sum(a) FROM t WHERE s >= ''",
    "SELECT id, s FROM t WHERE s BETWEEN 'k10' AND 'k12' ORDER BY s, id",
    "SELECT id FROM t WHERE a = 7 ORDER BY id",
];

/// The statements run (each once, in order) while snapshots are held.
const UPDATES: &[&str] = &[
    "UPDATE t SET c = 0.25, g = 'g9' WHERE id = 42",
    "UPDATE t SET b = a % 100 WHERE id BETWEEN 500 AND 999",
    "UPDATE t SET a = -a WHERE id BETWEEN 700 AND 949",
    "UPDATE t SET a = -a WHERE id BETWEEN 700 AND 949",
    "UPDATE t SET c = 0.125 WHERE id <= 2500",
    "UPDATE t SET s = s || 'x', a = a + 1 WHERE id % 7 = 3",
    "UPDATE t SET a = 7 WHERE id BETWEEN 100 AND 130",
    "UPDATE t SET s = 'k11', b = 7 WHERE id BETWEEN 300 AND 319 RETURNING id, a, b",
    "UPDATE t SET a = NULL, s = NULL WHERE id BETWEEN 2000 AND 2099",
    "UPDATE t SET a = id % 50, s = 'k' || (id % 300) WHERE id BETWEEN 2000 AND 2199",
];

fn load(ember: &Connection, sqlite: &rusqlite::Connection) {
    ember.execute_batch(SCHEMA).unwrap();
    sqlite.execute_batch(SCHEMA).unwrap();
    let insert = "INSERT INTO t VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
    let mut held = sqlite.prepare(insert).unwrap();
    for id in 1..=ROWS {
        let (a, b, c) = (id * 37 % 1000, id % 13, id as f64 / 4.0);
        let (s, g) = (format!("k{}", id % 500), format!("g{}", id % 10));
        ember
            .execute(insert, (id, a, b, c, s.as_str(), g.as_str()))
            .unwrap();
        held.execute(rusqlite::params![id, a, b, c, s, g]).unwrap();
    }
}

fn ember_rows(conn: &Connection, sql: &str) -> Vec<Vec<Value>> {
    conn.query(sql, ()).unwrap().into_values()
}

fn state(conn: &Connection) -> Vec<Vec<Vec<Value>>> {
    STATE.iter().map(|sql| ember_rows(conn, sql)).collect()
}

fn assert_matches_sqlite(ember: &Connection, sqlite: &rusqlite::Connection, after: &str) {
    for sql in STATE {
        assert_eq!(
            ember_rows(ember, sql),
            sqlite_rows(sqlite, sql).unwrap(),
            "{sql}\nafter {after}"
        );
    }
}

#[test]
fn updates_under_held_snapshots_match_sqlite_and_leave_the_snapshots_alone() {
    let db = Database::in_memory();
    let writer = db.connect();
    let sqlite = rusqlite::Connection::open_in_memory().unwrap();
    load(&writer, &sqlite);
    // One holder begins before each statement and keeps its snapshot to the end.
    let mut holders: Vec<(Connection, Vec<Vec<Vec<Value>>>)> = Vec::new();
    for sql in UPDATES {
        let holder = db.connect();
        holder.execute("BEGIN", ()).unwrap();
        let seen = state(&holder);
        holders.push((holder, seen));
        let ember_rows = writer.query(sql, ()).unwrap().into_values();
        let sqlite_returned = sqlite_rows(&sqlite, sql).unwrap();
        assert_eq!(ember_rows, sqlite_returned, "{sql}");
        assert_matches_sqlite(&writer, &sqlite, sql);
        for (at, (holder, seen)) in holders.iter().enumerate() {
            assert_eq!(&state(holder), seen, "holder {at} after {sql}");
        }
    }
    // A collection while every snapshot is held frees nothing they read.
    writer.execute("VACUUM", ()).unwrap();
    for (at, (holder, seen)) in holders.iter().enumerate() {
        assert_eq!(&state(holder), seen, "holder {at} after VACUUM");
    }
    // Ended oldest first, each followed by a collection of what it kept.
    for (holder, _) in holders.drain(..) {
        holder.execute("COMMIT", ()).unwrap();
        writer.execute("VACUUM", ()).unwrap();
        assert_matches_sqlite(&writer, &sqlite, "the holders ended");
    }
    // Rolled-back updates of indexed columns leave nothing behind either.
    writer.execute("BEGIN", ()).unwrap();
    writer
        .execute("UPDATE t SET a = a + 5000, s = 'gone' WHERE id <= 300", ())
        .unwrap();
    writer.execute("ROLLBACK", ()).unwrap();
    writer.execute("VACUUM", ()).unwrap();
    assert_matches_sqlite(&writer, &sqlite, "a rolled-back UPDATE");
}

/// Readers check, each in one snapshot, that the index on `a` and the scan agree (the same
/// rows, the same sums) and that the rows of each key the index gives hold that key, while
/// a writer keeps moving `a` (negating ranges, shifting keys) and the collector runs. Fails
/// if a collection removes an entry a remaining version still needs, or a reader is shown
/// a stale entry as a row.
#[test]
fn readers_see_index_and_scan_agree_while_updates_move_indexed_keys() {
    let db = Database::in_memory();
    let setup = db.connect();
    setup.execute_batch(SCHEMA).unwrap();
    for id in 1..=1000i64 {
        let s = format!("k{}", id % 50);
        setup
            .execute(
                "INSERT INTO t VALUES (?1, ?2, ?3, 0.5, ?4, 'g')",
                (id, id % 100, id, s.as_str()),
            )
            .unwrap();
    }
    let done = Arc::new(AtomicBool::new(false));
    let readers: Vec<_> = (0..3)
        .map(|_| {
            let (db, done) = (db.clone(), Arc::clone(&done));
            std::thread::spawn(move || {
                let conn = db.connect();
                let mut checks = 0u64;
                while !done.load(Ordering::Relaxed) || checks == 0 {
                    conn.execute("BEGIN", ()).unwrap();
                    let scan = ember_rows(&conn, "SELECT count(*), sum(a), sum(id) FROM t");
                    let by_index = ember_rows(
                        &conn,
                        "SELECT count(*), sum(a), sum(id) FROM t WHERE a BETWEEN -100000 AND \
                         100000",
                    );
                    assert_eq!(scan, by_index, "index and scan disagree in one snapshot");
                    let keyed = ember_rows(&conn, "SELECT a FROM t WHERE a = 7 OR a = -7");
                    assert!(keyed
                        .iter()
                        .all(|row| matches!(row[0], Value::Integer(7 | -7))));
                    let text = ember_rows(&conn, "SELECT count(*) FROM t WHERE s >= ''");
                    assert_eq!(text, vec![vec![Value::Integer(1000)]]);
                    conn.execute("COMMIT", ()).unwrap();
                    checks += 1;
                }
                checks
            })
        })
        .collect();
    let writer = db.connect();
    for round in 0..60i64 {
        let low = (round * 97) % 900 + 1;
        writer
            .execute(
                "UPDATE t SET a = -a WHERE id BETWEEN ?1 AND ?2",
                (low, low + 99),
            )
            .unwrap();
        writer
            .execute(
                "UPDATE t SET a = a + 1, s = s || '' WHERE id % 9 = ?1",
                (round % 9,),
            )
            .unwrap();
        if round % 10 == 0 {
            writer.execute("VACUUM", ()).unwrap();
        }
    }
    done.store(true, Ordering::Relaxed);
    for reader in readers {
        assert!(reader.join().unwrap() > 0);
    }
    writer.execute("VACUUM", ()).unwrap();
    let scan = ember_rows(&writer, "SELECT count(*), sum(a), sum(id) FROM t");
    let by_index = ember_rows(
        &writer,
        "SELECT count(*), sum(a), sum(id) FROM t WHERE a BETWEEN -100000 AND 100000",
    );
    assert_eq!(scan, by_index);
}

/// Updates that keep every index key but change the stored bytes (an integer made the
/// equal real in an untyped column, a text's case under a NOCASE index): collecting the old
/// version must keep the entries the new one shares with it, found by comparing keys, not
/// bytes. Read back through both ordered indexes and compared with SQLite. Fails if the
/// collection drops an entry a remaining version still has.
#[test]
fn updates_that_keep_keys_but_change_bytes_keep_their_index_entries() {
    let schema = "CREATE TABLE v(id INTEGER PRIMARY KEY, x, y TEXT); CREATE INDEX v_x ON \
                  v(x); CREATE INDEX v_y ON v(y COLLATE NOCASE);";
    let db = Database::in_memory();
    let ember = db.connect();
    let sqlite = rusqlite::Connection::open_in_memory().unwrap();
    ember.execute_batch(schema).unwrap();
    sqlite.execute_batch(schema).unwrap();
    for id in 1..=200i64 {
        let sql = format!(
            "INSERT INTO v VALUES ({id}, {}, 'name{}')",
            id % 40,
            id % 30
        );
        ember.execute(&sql, ()).unwrap();
        sqlite.execute(&sql, ()).unwrap();
    }
    let reads = [
        "SELECT id, x FROM v WHERE x BETWEEN 5 AND 9 ORDER BY x, id",
        "SELECT count(*), sum(id) FROM v WHERE x = 7",
        "SELECT id FROM v WHERE y = 'NAME7' COLLATE NOCASE ORDER BY id",
        "SELECT id, y FROM v ORDER BY y COLLATE NOCASE, id LIMIT 20",
    ];
    let holder = db.connect();
    holder.execute("BEGIN", ()).unwrap();
    let seen: Vec<_> = reads.iter().map(|sql| ember_rows(&holder, sql)).collect();
    for sql in [
        "UPDATE v SET x = x + 0.0 WHERE id <= 120",
        "UPDATE v SET y = upper(y) WHERE id % 2 = 0",
        "UPDATE v SET x = CAST(x AS INTEGER), y = lower(y) WHERE id % 3 = 0",
    ] {
        ember.execute(sql, ()).unwrap();
        sqlite.execute(sql, ()).unwrap();
        ember.execute("VACUUM", ()).unwrap();
        for read in reads {
            assert_eq!(
                ember_rows(&ember, read),
                sqlite_rows(&sqlite, read).unwrap(),
                "{read}\nafter {sql}"
            );
        }
    }
    let still: Vec<_> = reads.iter().map(|sql| ember_rows(&holder, sql)).collect();
    assert_eq!(still, seen, "the holder's snapshot");
    holder.execute("COMMIT", ()).unwrap();
    ember.execute("VACUUM", ()).unwrap();
    for read in reads {
        assert_eq!(
            ember_rows(&ember, read),
            sqlite_rows(&sqlite, read).unwrap(),
            "{read}\nafter the holder ended"
        );
    }
    for read in &reads[..3] {
        let plan = crate::support::explain(&ember, read, &[]).join("\n");
        assert!(
            plan.contains("v_x") || plan.contains("v_y"),
            "{read}:\n{plan}"
        );
    }
}
