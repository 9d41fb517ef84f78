//! Temporary tables through the library: private to their connection (another connection
//! neither sees them nor is disturbed by them, and may have its own of the same name),
//! found before a `main` table of the same name, never cached across a shadowing change,
//! never in the WAL, a checkpoint or a backup, undone by ROLLBACK like any rows, and gone
//! (memory and all) with their connection. Temporary triggers, on a `main` table too, fire
//! for their own connection's writes only and are never logged.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use ember::{Connection, Database, ErrorKind};

/// A directory removed when dropped.
struct TempDir(std::path::PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let unique = NEXT.fetch_add(1, Ordering::Relaxed);
        let pid = std::process::id();
        let path = std::env::temp_dir().join(format!("ember-temp-tables-{name}-{pid}-{unique}"));
        let _ = std::fs::remove_dir_all(&path);
        TempDir(path)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn names(conn: &Connection, sql: &str) -> Vec<String> {
    conn.query(sql, ())
        .unwrap()
        .values()
        .iter()
        .map(|row| match &row[0] {
            ember::Value::Text(text) => text.clone(),
            other => panic!("not a text: {other:?}"),
        })
        .collect()
}

fn count(conn: &Connection, table: &str) -> i64 {
    conn.query_value(&format!("SELECT count(*) FROM {table}"), ())
        .unwrap()
}

fn memory_used(conn: &Connection) -> i64 {
    conn.query_value("SELECT memory_used_bytes FROM ember_stats", ())
        .unwrap()
}

fn wal_bytes(db: &Database) -> u64 {
    db.durability_stats()
        .expect("a directory database")
        .wal_bytes
}

#[test]
fn two_connections_keep_their_own_temp_tables_of_one_name() {
    let db = Database::in_memory();
    let one = db.connect();
    let two = db.connect();
    one.execute("CREATE TEMP TABLE scratch(v TEXT)", ())
        .unwrap();
    one.execute("INSERT INTO scratch VALUES ('one')", ())
        .unwrap();
    // The other connection neither sees it nor can write to it.
    let error = two.query("SELECT * FROM scratch", ()).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::NotFound, "{error}");
    let error = two
        .execute("INSERT INTO temp.scratch VALUES ('x')", ())
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::NotFound, "{error}");
    assert_eq!(count(&two, "sqlite_temp_master"), 0);
    // ... and makes its own of the same name.
    two.execute("CREATE TEMPORARY TABLE scratch(v TEXT, w INTEGER)", ())
        .unwrap();
    two.execute("INSERT INTO scratch VALUES ('two', 2), ('two', 3)", ())
        .unwrap();
    assert_eq!(names(&one, "SELECT v FROM scratch"), ["one"]);
    assert_eq!(names(&two, "SELECT v FROM scratch"), ["two", "two"]);
    assert_eq!(count(&one, "pragma_table_info('scratch')"), 1);
    assert_eq!(count(&two, "pragma_table_info('scratch')"), 2);
    // A third connection and the database's own catalog see neither.
    let three = db.connect();
    assert!(three.query("SELECT * FROM scratch", ()).is_err());
    assert!(db.catalog().table("scratch").is_none());
    assert_eq!(count(&three, "sqlite_schema"), 0);
    // Dropping one leaves the other.
    one.execute("DROP TABLE scratch", ()).unwrap();
    assert!(one.query("SELECT * FROM scratch", ()).is_err());
    assert_eq!(count(&two, "scratch"), 2);
}

#[test]
fn a_temp_table_shadows_main_until_dropped_and_main_t_reaches_past_it() {
    let db = Database::in_memory();
    let conn = db.connect();
    conn.execute_batch(
        "CREATE TABLE t(a INTEGER PRIMARY KEY, b TEXT);
         INSERT INTO t VALUES (1, 'main');",
    )
    .unwrap();
    conn.execute("CREATE TEMP TABLE t(a INTEGER PRIMARY KEY, b TEXT)", ())
        .unwrap();
    conn.execute("INSERT INTO t VALUES (1, 'temp')", ())
        .unwrap();
    assert_eq!(names(&conn, "SELECT b FROM t"), ["temp"]);
    assert_eq!(names(&conn, "SELECT b FROM main.t"), ["main"]);
    assert_eq!(names(&conn, "SELECT b FROM temp.t"), ["temp"]);
    conn.execute("UPDATE main.t SET b = 'main2'", ()).unwrap();
    assert_eq!(names(&conn, "SELECT b FROM temp.t"), ["temp"]);
    conn.execute("DROP TABLE t", ()).unwrap();
    assert_eq!(names(&conn, "SELECT b FROM t"), ["main2"]);
    assert!(conn.query("SELECT b FROM temp.t", ()).is_err());
}

#[test]
fn cached_statements_follow_a_temp_table_that_shadows_and_goes() {
    let db = Database::in_memory();
    let conn = db.connect();
    let other = db.connect();
    conn.execute_batch(
        "CREATE TABLE t(b TEXT);
         INSERT INTO t VALUES ('main');",
    )
    .unwrap();
    let sql = "SELECT b FROM t";
    let mut statement = conn.prepare(sql).unwrap();
    let read =
        |statement: &mut ember::Statement<'_>| -> String { statement.query_value(()).unwrap() };
    assert_eq!(read(&mut statement), "main");
    assert_eq!(names(&conn, sql), ["main"]);
    assert_eq!(names(&other, sql), ["main"]);
    conn.execute("CREATE TEMP TABLE t(b TEXT)", ()).unwrap();
    conn.execute("INSERT INTO t VALUES ('temp')", ()).unwrap();
    // The plan cache and the prepared statement both bind again.
    let built = conn.stats().plans_built;
    assert_eq!(names(&conn, sql), ["temp"]);
    assert_eq!(
        conn.stats().plans_built,
        built + 1,
        "the cached plan was stale"
    );
    assert_eq!(names(&conn, sql), ["temp"]);
    assert_eq!(
        conn.stats().plans_built,
        built + 1,
        "the new plan is cached"
    );
    assert_eq!(read(&mut statement), "temp");
    // The other connection's cached plan still reads main's table.
    assert_eq!(names(&other, sql), ["main"]);
    conn.execute("DROP TABLE temp.t", ()).unwrap();
    assert_eq!(read(&mut statement), "main");
    assert_eq!(names(&conn, sql), ["main"]);
    // A new temp table of the same name again, after a main schema change in between.
    other.execute("CREATE TABLE unrelated(x)", ()).unwrap();
    conn.execute("CREATE TEMP TABLE t(b TEXT)", ()).unwrap();
    conn.execute("INSERT INTO t VALUES ('temp again')", ())
        .unwrap();
    assert_eq!(read(&mut statement), "temp again");
    assert_eq!(names(&conn, sql), ["temp again"]);
    assert_eq!(names(&other, sql), ["main"]);
}

#[test]
fn rollback_undoes_temp_and_main_writes_together() {
    let db = Database::in_memory();
    let conn = db.connect();
    conn.execute_batch(
        "CREATE TABLE m(a INTEGER);
         CREATE TEMP TABLE s(a INTEGER);
         INSERT INTO s VALUES (1);",
    )
    .unwrap();
    conn.execute("BEGIN", ()).unwrap();
    conn.execute("INSERT INTO s VALUES (2), (3)", ()).unwrap();
    conn.execute("INSERT INTO m SELECT a FROM s", ()).unwrap();
    conn.execute("DELETE FROM s WHERE a = 1", ()).unwrap();
    assert_eq!(count(&conn, "s"), 2);
    assert_eq!(count(&conn, "m"), 3);
    conn.execute("ROLLBACK", ()).unwrap();
    assert_eq!(count(&conn, "s"), 1);
    assert_eq!(count(&conn, "m"), 0);
    conn.execute("BEGIN", ()).unwrap();
    conn.execute("INSERT INTO s VALUES (4)", ()).unwrap();
    conn.execute("INSERT INTO m SELECT a FROM s", ()).unwrap();
    conn.execute("COMMIT", ()).unwrap();
    assert_eq!(count(&conn, "s"), 2);
    assert_eq!(count(&conn, "m"), 2);
}

#[test]
fn temp_writes_never_reach_the_wal_a_checkpoint_or_a_reopen() {
    let dir = TempDir::new("durable");
    {
        let db = Database::open(&dir.0).unwrap();
        let conn = db.connect();
        conn.execute("CREATE TABLE kept(id INTEGER PRIMARY KEY, v TEXT)", ())
            .unwrap();
        conn.execute("INSERT INTO kept VALUES (1, 'one')", ())
            .unwrap();
        let before = wal_bytes(&db);
        conn.execute(
            "CREATE TEMP TABLE staging(id INTEGER PRIMARY KEY, v TEXT)",
            (),
        )
        .unwrap();
        conn.execute("CREATE INDEX staging_v ON staging(v)", ())
            .unwrap();
        conn.execute("BEGIN", ()).unwrap();
        for id in 0..500 {
            conn.execute("INSERT INTO staging VALUES (?, 'staged')", [id])
                .unwrap();
        }
        conn.execute("COMMIT", ()).unwrap();
        conn.execute("UPDATE staging SET v = 'again'", ()).unwrap();
        conn.execute("CREATE TEMP VIEW sv AS SELECT * FROM staging", ())
            .unwrap();
        assert_eq!(
            wal_bytes(&db),
            before,
            "a temp table's change reached the WAL"
        );
        // A transaction writing both logs only the main row.
        conn.execute("BEGIN", ()).unwrap();
        conn.execute("INSERT INTO staging VALUES (1000, 'both')", ())
            .unwrap();
        conn.execute(
            "INSERT INTO kept SELECT id, v FROM staging WHERE id = 1000",
            (),
        )
        .unwrap();
        conn.execute("COMMIT", ()).unwrap();
        let one_row = wal_bytes(&db) - before;
        assert!(
            one_row > 0 && one_row < 200,
            "one main row took {one_row} bytes"
        );
        // The checkpoint writes the main table only.
        let report = db.checkpoint().unwrap();
        assert_eq!(report.rows, 2, "checkpointed rows");
        assert_eq!(count(&conn, "staging"), 501);
        // A backup holds no temp object either.
        let mut backup = Vec::new();
        db.backup_to(&mut backup).unwrap();
        let text = String::from_utf8_lossy(&backup);
        assert!(!text.contains("staging"), "the backup names the temp table");
        conn.execute("INSERT INTO staging VALUES (2000, 'after')", ())
            .unwrap();
        db.drop_as_if_crashed();
    }
    let db = Database::open(&dir.0).unwrap();
    let conn = db.connect();
    assert_eq!(count(&conn, "kept"), 2);
    assert_eq!(count(&conn, "sqlite_temp_master"), 0);
    assert!(conn.query("SELECT * FROM staging", ()).is_err());
    assert!(conn.query("SELECT * FROM sv", ()).is_err());
    assert_eq!(names(&conn, "SELECT name FROM sqlite_schema"), ["kept"]);
}

#[test]
fn a_temp_trigger_on_a_main_table_fires_for_its_connection_only_and_is_never_logged() {
    let dir = TempDir::new("trigger");
    {
        let db = Database::open(&dir.0).unwrap();
        let (owner, other) = (db.connect(), db.connect());
        owner
            .execute_batch(
                "CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT);
                 CREATE TABLE seen(who TEXT, id INTEGER);",
            )
            .unwrap();
        let before = wal_bytes(&db);
        owner
            .execute(
                "CREATE TEMP TRIGGER t_seen AFTER INSERT ON t BEGIN \
                 INSERT INTO seen VALUES ('owner', new.id); END",
                (),
            )
            .unwrap();
        assert_eq!(wal_bytes(&db), before, "a temp trigger reached the WAL");
        assert_eq!(
            names(&owner, "SELECT name FROM sqlite_temp_schema"),
            ["t_seen"]
        );
        assert!(names(&other, "SELECT name FROM sqlite_temp_schema").is_empty());
        assert!(names(
            &owner,
            "SELECT name FROM sqlite_schema WHERE type = 'trigger'"
        )
        .is_empty());
        // The other connection's writes do not fire it, nor does its own DROP reach it.
        other.execute("INSERT INTO t VALUES (1, 'a')", ()).unwrap();
        let error = other.execute("DROP TRIGGER t_seen", ()).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::NotFound, "{error}");
        owner.execute("INSERT INTO t VALUES (2, 'b')", ()).unwrap();
        owner
            .execute("INSERT INTO main.t VALUES (3, 'c')", ())
            .unwrap();
        assert_eq!(
            names(&other, "SELECT who || id FROM seen ORDER BY id"),
            ["owner2", "owner3"]
        );
        // Gone with its connection.
        drop(owner);
        let again = db.connect();
        again.execute("INSERT INTO t VALUES (4, 'd')", ()).unwrap();
        assert_eq!(count(&again, "seen"), 2);
        db.drop_as_if_crashed();
    }
    let db = Database::open(&dir.0).unwrap();
    let conn = db.connect();
    conn.execute("INSERT INTO t VALUES (5, 'e')", ()).unwrap();
    assert_eq!(count(&conn, "seen"), 2);
    assert_eq!(count(&conn, "t"), 5);
}

#[test]
fn a_closed_connection_gives_its_temp_tables_memory_back() {
    let db = Database::in_memory();
    let observer = db.connect();
    let before = memory_used(&observer);
    let conn = db.connect();
    conn.execute(
        "CREATE TEMP TABLE big(id INTEGER PRIMARY KEY, pad TEXT)",
        (),
    )
    .unwrap();
    conn.execute(
        "INSERT INTO big SELECT value, printf('%0200d', value) FROM generate_series(1, 20000)",
        (),
    )
    .unwrap();
    let full = memory_used(&observer);
    assert!(
        full - before > 4_000_000,
        "20k rows of 200 bytes took {}",
        full - before
    );
    drop(conn);
    let after = memory_used(&observer);
    assert!(
        after - before < (full - before) / 10,
        "before {before}, with the temp table {full}, after close {after}"
    );
}

fn slab_bytes_used(conn: &Connection) -> i64 {
    conn.query_value("SELECT slab_bytes_used FROM ember_stats", ())
        .unwrap()
}

#[test]
fn the_collector_frees_a_temp_tables_old_versions() {
    let db = Database::in_memory();
    let conn = db.connect();
    conn.execute("CREATE TEMP TABLE s(id INTEGER PRIMARY KEY, pad TEXT)", ())
        .unwrap();
    conn.execute(
        "INSERT INTO s SELECT value, printf('%0200d', value) FROM generate_series(1, 5000)",
        (),
    )
    .unwrap();
    let loaded = slab_bytes_used(&conn);
    conn.execute("UPDATE s SET pad = printf('%0201d', id)", ())
        .unwrap();
    let updated = slab_bytes_used(&conn);
    assert!(
        updated > loaded * 3 / 2,
        "loaded {loaded}, updated {updated}"
    );
    conn.execute("VACUUM", ()).unwrap();
    let collected = slab_bytes_used(&conn);
    assert!(
        collected < loaded * 5 / 4,
        "loaded {loaded}, updated {updated}, after VACUUM {collected}"
    );
    assert_eq!(count(&conn, "s"), 5000);
}

#[test]
fn threads_each_with_a_temp_table_of_one_name_stay_apart() {
    const THREADS: i64 = 4;
    const ROWS: i64 = 300;
    let db = Database::in_memory();
    db.connect()
        .execute(
            "CREATE TABLE totals(thread INTEGER PRIMARY KEY, n INTEGER, s INTEGER)",
            (),
        )
        .unwrap();
    let db = Arc::new(db);
    let workers: Vec<_> = (0..THREADS)
        .map(|thread| {
            let db = Arc::clone(&db);
            std::thread::spawn(move || {
                let conn = db.connect();
                conn.execute(
                    "CREATE TEMP TABLE work(k INTEGER PRIMARY KEY, owner INTEGER)",
                    (),
                )
                .unwrap();
                for k in 0..ROWS {
                    conn.execute("INSERT INTO work VALUES (?, ?)", (k, thread))
                        .unwrap();
                    if k % 50 == 49 {
                        // Every row this connection sees is its own.
                        let foreign: i64 = conn
                            .query_value("SELECT count(*) FROM work WHERE owner <> ?", [thread])
                            .unwrap();
                        assert_eq!(foreign, 0);
                    }
                }
                conn.execute(
                    "INSERT INTO totals SELECT ?, count(*), sum(k) FROM work",
                    [thread],
                )
                .unwrap();
                conn.execute("DROP TABLE work", ()).unwrap();
            })
        })
        .collect();
    for worker in workers {
        worker.join().unwrap();
    }
    let conn = db.connect();
    let rows = conn
        .query("SELECT thread, n, s FROM totals ORDER BY thread", ())
        .unwrap();
    let expected_sum = ROWS * (ROWS - 1) / 2;
    let values = rows.values();
    assert_eq!(values.len(), THREADS as usize);
    for (thread, row) in values.iter().enumerate() {
        assert_eq!(
            row,
            &vec![
                ember::Value::Integer(thread as i64),
                ember::Value::Integer(ROWS),
                ember::Value::Integer(expected_sum),
            ]
        );
    }
    assert_eq!(count(&conn, "sqlite_temp_master"), 0);
    assert_eq!(names(&conn, "SELECT name FROM sqlite_schema"), ["totals"]);
}
