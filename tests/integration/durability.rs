//! Directory databases: reopen after clean shutdown, several checkpoints, group commit under
//! `always`, the directory lock, corruption errors, PRAGMA synchronous and CHECKPOINT,
//! indexes surviving reopen (from the WAL and from checkpoints), and a simulated power loss
//! through `SimVfs`.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use crate::support::TempDir;
use ember::{Database, ErrorKind, Options, SyncPolicy};
use ember_storage::vfs::SimVfs;

fn dump(db: &Database, table: &str) -> Vec<(i64, String)> {
    let rows = db
        .connect()
        .query(&format!("SELECT id, v FROM {table} ORDER BY id"), ())
        .unwrap();
    rows.into_iter()
        .map(|row| (row.get(0).unwrap(), row.get(1).unwrap()))
        .collect()
}

#[test]
fn reopen_after_clean_shutdown_keeps_exactly_the_committed_data() {
    let dir = TempDir::new("reopen");
    {
        let db = Database::open(&dir.0).unwrap();
        let conn = db.connect();
        conn.execute_batch(
            "CREATE TABLE t(id INT PRIMARY KEY, v TEXT);
             CREATE TABLE gone(a INT);
             INSERT INTO t VALUES (1, 'a'), (2, 'b'), (3, 'c');
             UPDATE t SET v = 'bb' WHERE id = 2;
             DELETE FROM t WHERE id = 3;
             BEGIN; INSERT INTO t VALUES (4, 'd'); UPDATE t SET id = 5 WHERE id = 4; COMMIT;
             BEGIN; INSERT INTO t VALUES (6, 'rolled back'); ROLLBACK;
             DROP TABLE gone;",
        )
        .unwrap();
    }
    let expected = vec![(1, "a".to_string()), (2, "bb".into()), (5, "d".into())];
    for _ in 0..3 {
        let db = Database::open(&dir.0).unwrap();
        assert_eq!(dump(&db, "t"), expected);
        assert!(db.catalog().table("gone").is_none());
        let stats = db.durability_stats().unwrap();
        assert!(stats.recovery.snapshot.is_some() || stats.recovery.records_replayed > 0);
        db.connect()
            .execute("UPDATE t SET v = v WHERE id = 1", ())
            .unwrap();
    }
}

/// (name, columns, unique, entries) of every index, from `ember_indexes`, after a VACUUM
/// (so entries count only the keys of live rows).
fn indexes(db: &Database) -> Vec<(String, String, i64, i64)> {
    db.connect().execute("VACUUM", ()).unwrap();
    let rows = db
        .connect()
        .query(
            "SELECT name, columns, unique, entries FROM ember_indexes",
            (),
        )
        .unwrap();
    let mut all: Vec<_> = rows
        .into_iter()
        .map(|row| {
            (
                row.get(0).unwrap(),
                row.get(1).unwrap(),
                row.get(2).unwrap(),
                row.get(3).unwrap(),
            )
        })
        .collect();
    all.sort();
    all
}

#[test]
fn indexes_survive_reopen_from_the_wal_and_from_checkpoints() {
    let dir = TempDir::new("indexes");
    let options = Options::new().sync_policy(SyncPolicy::Off);
    let before;
    {
        let db = Database::open_with(&dir.0, options.clone()).unwrap();
        let conn = db.connect();
        conn.execute_batch(
            "CREATE TABLE t(id INT PRIMARY KEY, v TEXT, k INT UNIQUE);
             INSERT INTO t VALUES (1, 'a', 10), (2, 'b', 20), (3, 'a', 30);
             CREATE INDEX t_v ON t(v);
             CREATE INDEX gone ON t(k, v);
             DROP INDEX gone;",
        )
        .unwrap();
        conn.execute("CHECKPOINT", ()).unwrap();
        conn.execute_batch(
            "CREATE UNIQUE INDEX t_vk ON t(v, k);
             UPDATE t SET k = 31, v = 'c' WHERE id = 3;
             UPDATE t SET k = 20 WHERE id = 1;
             UPDATE t SET k = 10 WHERE id = 2;
             INSERT INTO t VALUES (4, 'a', 40);",
        )
        .unwrap_err();
        // Keys swapped through a free value within one transaction replay fine.
        conn.execute_batch(
            "BEGIN; UPDATE t SET k = 11 WHERE id = 1; UPDATE t SET k = 10 WHERE id = 2;
             UPDATE t SET k = 20 WHERE id = 1; COMMIT; INSERT INTO t VALUES (4, 'a', 40);",
        )
        .unwrap();
        // The PRIMARY KEY's (`id INT` is no rowid alias), k's, t_v and t_vk.
        before = indexes(&db);
        assert_eq!(before.len(), 4, "{before:?}");
        assert!(before.iter().all(|index| index.3 == 4), "{before:?}");
    }
    let db = Database::open_with(&dir.0, options.clone()).unwrap();
    assert_eq!(indexes(&db), before);
    let conn = db.connect();
    let plan = conn
        .query("EXPLAIN SELECT id FROM t WHERE v = 'a'", ())
        .unwrap();
    assert!(format!("{:?}", plan.values()).contains("IndexLookup t using t_v"));
    let ids: Vec<i64> = conn
        .query("SELECT id FROM t WHERE v = 'a' ORDER BY id", ())
        .unwrap()
        .into_iter()
        .map(|row| row.get(0).unwrap())
        .collect();
    assert_eq!(ids, [1, 4]);
    let error = conn
        .execute("INSERT INTO t VALUES (9, 'z', 20)", ())
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Constraint, "{error}");
    conn.execute("CHECKPOINT", ()).unwrap();
    drop(conn);
    drop(db);
    let db = Database::open_with(&dir.0, options).unwrap();
    assert_eq!(
        indexes(&db),
        before,
        "after a checkpoint holding every index"
    );
}

#[test]
fn a_database_checkpointed_many_times_reopens_intact() {
    let dir = TempDir::new("checkpoints");
    let options = Options::new()
        .checkpoint_bytes(2000)
        .wal_segment_bytes(700)
        .sync_policy(SyncPolicy::Off);
    let mut expected = std::collections::BTreeMap::new();
    {
        let db = Database::open_with(&dir.0, options.clone()).unwrap();
        let conn = db.connect();
        conn.execute("CREATE TABLE t(id INT PRIMARY KEY, v TEXT)", ())
            .unwrap();
        for i in 0..300i64 {
            conn.execute("INSERT INTO t VALUES (?, ?)", (i % 50, format!("v{i}")))
                .or_else(|_| {
                    conn.execute("UPDATE t SET v = ? WHERE id = ?", (format!("v{i}"), i % 50))
                })
                .unwrap();
            expected.insert(i % 50, format!("v{i}"));
            if i % 7 == 0 {
                conn.execute("DELETE FROM t WHERE id = ?", [(i * 3) % 50])
                    .unwrap();
                expected.remove(&((i * 3) % 50));
            }
        }
        conn.execute("CHECKPOINT", ()).unwrap();
        let stats = db.durability_stats().unwrap();
        assert!(stats.checkpoints >= 3, "{stats:?}");
    }
    let db = Database::open_with(&dir.0, options).unwrap();
    let expected: Vec<(i64, String)> = expected.into_iter().collect();
    assert_eq!(dump(&db, "t"), expected);
    let files = std::fs::read_dir(&dir.0).unwrap().count();
    assert!(
        files < 10,
        "old segments and snapshots are deleted: {files} files"
    );
}

/// `sqlite_sequence` is stored after a table named before it, whose CREATE TABLE makes it
/// (AUTOINCREMENT): loading the snapshot takes the one that CREATE made.
#[test]
fn an_autoincrement_table_reopens_from_a_snapshot_written_after_replay() {
    let dir = TempDir::new("autoincrement-reopen");
    {
        let db = Database::open(&dir.0).unwrap();
        let conn = db.connect();
        conn.execute_batch(
            "CREATE TABLE a(id INTEGER PRIMARY KEY AUTOINCREMENT, x TEXT);
             INSERT INTO a(x) VALUES ('p'), ('q'); DELETE FROM a WHERE x = 'q';",
        )
        .unwrap();
    }
    for round in 0..3i64 {
        let db = Database::open(&dir.0).unwrap();
        let conn = db.connect();
        conn.execute("INSERT INTO a(x) VALUES ('r')", ()).unwrap();
        let seq: i64 = conn
            .query_value("SELECT seq FROM sqlite_sequence WHERE name = 'a'", ())
            .unwrap();
        assert_eq!(seq, 3 + round, "keys go on after the highest ever used");
        if round == 1 {
            conn.execute("CHECKPOINT", ()).unwrap();
        }
    }
}

#[test]
fn four_threads_under_always_share_fsyncs() {
    let dir = TempDir::new("group");
    let db = Database::open(&dir.0).unwrap();
    db.connect()
        .execute("CREATE TABLE t(id INT PRIMARY KEY, v INT)", ())
        .unwrap();
    let before = db.durability_stats().unwrap();
    std::thread::scope(|scope| {
        for thread in 0..4i64 {
            let db = db.clone();
            scope.spawn(move || {
                let conn = db.connect();
                for i in 0..100i64 {
                    conn.execute("INSERT INTO t VALUES (?, ?)", (thread * 1000 + i, i))
                        .unwrap();
                }
            });
        }
    });
    let after = db.durability_stats().unwrap();
    let commits = after.commits - before.commits;
    let fsyncs = after.wal_fsyncs - before.wal_fsyncs;
    println!("group commit: {commits} commits, {fsyncs} WAL fsyncs");
    assert_eq!(commits, 400);
    assert!(fsyncs < commits, "{fsyncs} fsyncs for {commits} commits");
    // The same counters, through SQL.
    let (synchronous, sql_commits, sql_fsyncs) = db
        .connect()
        .query_row(
            "SELECT synchronous, commits, wal_fsyncs FROM ember_durability",
            (),
            |row| {
                Ok((
                    row.get::<String>(0)?,
                    row.get::<i64>(1)?,
                    row.get::<i64>(2)?,
                ))
            },
        )
        .unwrap();
    assert_eq!(synchronous, "FULL");
    assert_eq!(sql_commits as u64, after.commits);
    assert_eq!(sql_fsyncs as u64, after.wal_fsyncs);
    drop(db);
    let db = Database::open(&dir.0).unwrap();
    let count = db.connect().query("SELECT id FROM t", ()).unwrap().len();
    assert_eq!(count, 400);
}

#[test]
fn ember_durability_reports_recovery_and_checkpoints_and_is_empty_in_memory() {
    let dir = TempDir::new("durability-table");
    {
        let db = Database::open(&dir.0).unwrap();
        db.connect()
            .execute_batch(
                "CREATE TABLE t(id INT PRIMARY KEY);
                 INSERT INTO t VALUES (1), (2);
                 CHECKPOINT;
                 INSERT INTO t VALUES (3);",
            )
            .unwrap();
        let conn = db.connect();
        let checkpoints: i64 = conn
            .query_value("SELECT checkpoints FROM ember_durability", ())
            .unwrap();
        assert_eq!(checkpoints, 2, "the open's own checkpoint and CHECKPOINT");
    }
    let db = Database::open(&dir.0).unwrap();
    let rows = db
        .connect()
        .query(
            "SELECT directory, recovery_snapshot, recovery_snapshot_rows,
                    recovery_records_replayed, recovery_bytes_truncated, recovery_ms,
                    last_checkpoint_error
             FROM ember_durability",
            (),
        )
        .unwrap();
    assert_eq!(rows.len(), 1);
    let row = rows.into_iter().next().unwrap();
    assert_eq!(row.get::<String>(0).unwrap(), dir.0.display().to_string());
    assert!(row.get::<Option<String>>(1).unwrap().is_some());
    assert_eq!(row.get::<i64>(2).unwrap(), 2);
    assert_eq!(row.get::<i64>(3).unwrap(), 1);
    assert_eq!(row.get::<i64>(4).unwrap(), 0);
    assert!(row.get::<f64>(5).unwrap() >= 0.0);
    assert_eq!(row.get::<Option<String>>(6).unwrap(), None);
    let memory = Database::in_memory();
    let rows = memory
        .connect()
        .query("SELECT * FROM ember_durability", ())
        .unwrap();
    assert_eq!(rows.len(), 0);
}

/// Another handle on the directory (another process, or here an open through a file system
/// of its own, which the process-wide registry of open databases does not share) waits for
/// the lock and fails `Busy`.
#[test]
fn a_directory_open_elsewhere_cannot_be_opened() {
    let dir = TempDir::new("lock");
    let db = Database::open(&dir.0).unwrap();
    let elsewhere = |options: Options| {
        Database::open_with_vfs(&dir.0, options, Arc::new(ember_storage::vfs::OsVfs::new()))
    };
    let quick = Options::new().busy_timeout(Duration::ZERO);
    let error = elsewhere(quick).err().expect("second open fails");
    assert_eq!(error.kind(), ErrorKind::Busy);
    assert!(error.is_retryable());
    assert!(error.message().contains("already open"), "{error}");
    assert!(error.message().contains("LOCK"), "{error}");
    // A busy timeout waits that long before it gives up.
    let started = std::time::Instant::now();
    let waited = Options::new().busy_timeout(Duration::from_millis(300));
    let error = elsewhere(waited).err().expect("still locked");
    assert_eq!(error.kind(), ErrorKind::Busy);
    assert!(started.elapsed() >= Duration::from_millis(300));
    // An open that waits gets the lock once the holder lets it go.
    let holder = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(200));
        drop(db);
    });
    let patient = Options::new().busy_timeout(Duration::from_secs(30));
    let reopened = elsewhere(patient).expect("opens once released");
    holder.join().unwrap();
    drop(reopened);
    // The default timeout covers a handle of this process that was just dropped.
    Database::open(&dir.0).unwrap();
}

#[test]
fn pragma_synchronous_reads_and_sets_the_policy() {
    let dir = TempDir::new("pragma");
    let db = Database::open(&dir.0).unwrap();
    let mut conn = db.connect();
    let mode = |conn: &mut ember::Connection| -> String {
        conn.query("PRAGMA synchronous", ())
            .unwrap()
            .first()
            .unwrap()
            .get(0)
            .unwrap()
    };
    assert_eq!(mode(&mut conn), "FULL");
    conn.execute("PRAGMA synchronous = 0", ()).unwrap();
    assert_eq!(mode(&mut conn), "OFF");
    conn.execute("PRAGMA synchronous = 'normal'", ()).unwrap();
    assert_eq!(mode(&mut conn), "NORMAL");
    // Unquoted, as sqlite3 takes it.
    conn.execute("PRAGMA synchronous = OFF", ()).unwrap();
    assert_eq!(mode(&mut conn), "OFF");
    conn.execute("PRAGMA synchronous(FULL)", ()).unwrap();
    assert_eq!(mode(&mut conn), "FULL");
    let error = conn.execute("PRAGMA synchronous = 7", ()).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InvalidInput);
    // In memory there is no WAL: the setting is the connection's number, as SQLite's.
    let memory = Database::in_memory().connect();
    memory.execute("PRAGMA synchronous = 0", ()).unwrap();
    let level: i64 = memory.query_value("PRAGMA synchronous", ()).unwrap();
    assert_eq!(level, 0);
}

fn sim_open(vfs: &SimVfs, dir: &Path) -> ember::Result<Database> {
    Database::open_with_vfs(dir, Options::new(), Arc::new(vfs.clone()))
}

#[test]
fn damage_before_valid_records_is_a_corruption_error_naming_file_and_offset() {
    let vfs = SimVfs::new();
    let dir = Path::new("/db");
    {
        let db = sim_open(&vfs, dir).unwrap();
        let conn = db.connect();
        conn.execute("CREATE TABLE t(id INT PRIMARY KEY, v TEXT)", ())
            .unwrap();
        for i in 0..5 {
            conn.execute("INSERT INTO t VALUES (?, 'x')", [i]).unwrap();
        }
    }
    let segment = ember_storage::wal::segment_indexes(&vfs, dir).unwrap()[0];
    let path = dir.join(ember_storage::wal::segment_name(segment));
    let mut bytes = ember_storage::vfs::Vfs::read(&vfs, &path).unwrap();
    bytes[20] ^= 0x01;
    vfs.poke(&path, bytes).unwrap();
    let error = sim_open(&vfs, dir).err().expect("corruption");
    assert_eq!(error.kind(), ErrorKind::Corruption);
    assert!(
        error.message().contains(&path.display().to_string()),
        "{error}"
    );
    // The segment opens with its magic (8 bytes) and a `SegmentStart` frame (11 bytes); the
    // first record, whose length field the flip hit, starts after them.
    assert!(error.message().contains("offset 19"), "{error}");
    let salvaged =
        Database::open_with_vfs(dir, Options::new().salvage(true), Arc::new(vfs.clone())).unwrap();
    assert_eq!(
        salvaged.durability_stats().unwrap().recovery.salvaged.len(),
        1
    );
}

#[test]
fn power_loss_keeps_every_acknowledged_commit() {
    for seed in 0..20 {
        let vfs = SimVfs::new();
        let dir = Path::new("/db");
        let acked = {
            let db = sim_open(&vfs, dir).unwrap();
            let conn = db.connect();
            conn.execute("CREATE TABLE t(id INT PRIMARY KEY, v TEXT)", ())
                .unwrap();
            for i in 0..20 {
                conn.execute("INSERT INTO t VALUES (?, 'x')", [i]).unwrap();
            }
            std::mem::forget(db);
            20
        };
        vfs.crash(seed);
        let db = sim_open(&vfs, dir).unwrap();
        let count = db.connect().query("SELECT id FROM t", ()).unwrap().len();
        assert_eq!(count, acked, "seed {seed}");
    }
}

#[test]
fn views_survive_reopen_from_the_wal_and_from_a_checkpoint() {
    let dir = TempDir::new("views");
    let names = |db: &Database| -> Vec<String> {
        let rows = db
            .connect()
            .query("SELECT v FROM long_names ORDER BY v", ())
            .unwrap();
        rows.into_iter().map(|row| row.get(0).unwrap()).collect()
    };
    {
        let db = Database::open(&dir.0).unwrap();
        db.connect()
            .execute_batch(
                "CREATE TABLE t(id INT PRIMARY KEY, v TEXT);
                 INSERT INTO t VALUES (1, 'a'), (2, 'bbb'), (3, 'cccc');
                 CREATE VIEW longer AS SELECT id, v FROM t WHERE id > 1;
                 CREATE VIEW long_names(v) AS SELECT v FROM longer;
                 CREATE VIEW dropped AS SELECT 1;
                 DROP VIEW dropped;",
            )
            .unwrap();
        assert_eq!(names(&db), ["bbb", "cccc"]);
    }
    {
        // Replayed from the WAL; then checkpointed, so the next open reads the snapshot.
        let db = Database::open(&dir.0).unwrap();
        assert_eq!(names(&db), ["bbb", "cccc"]);
        assert!(db.catalog().view("dropped").is_none());
        let conn = db.connect();
        conn.execute_batch(
            "INSERT INTO t VALUES (4, 'dd');
             CREATE TABLE tmp(a INT);
             CREATE VIEW over_tmp AS SELECT a FROM tmp;
             DROP TABLE tmp;
             CHECKPOINT;",
        )
        .unwrap();
    }
    let db = Database::open(&dir.0).unwrap();
    assert!(db.durability_stats().unwrap().recovery.snapshot.is_some());
    assert_eq!(names(&db), ["bbb", "cccc", "dd"]);
    // A view whose table is gone is kept (as in SQLite) and fails only when used.
    let error = db
        .connect()
        .query("SELECT * FROM over_tmp", ())
        .unwrap_err();
    assert!(error.message().contains("no such table: tmp"), "{error}");
    let error = db.connect().execute("DROP TABLE longer", ()).unwrap_err();
    assert!(error.message().contains("DROP VIEW"), "{error}");
}

#[test]
fn a_crash_drop_writes_nothing_more_and_a_clean_drop_syncs() {
    let ops_of_drop = |crash: bool| {
        let vfs = SimVfs::new();
        let options = Options::new().sync_policy(SyncPolicy::Off);
        let db = Database::open_with_vfs("/db", options, Arc::new(vfs.clone())).unwrap();
        db.connect()
            .execute_batch("CREATE TABLE t(id INT PRIMARY KEY); INSERT INTO t VALUES (1);")
            .unwrap();
        let before = vfs.ops();
        if crash {
            db.drop_as_if_crashed();
        } else {
            drop(db);
        }
        vfs.ops() - before
    };
    assert_eq!(ops_of_drop(true), 0, "a crash drop touched the disk");
    assert!(ops_of_drop(false) > 0, "a clean drop syncs the log");
}

/// Slots of deleted keys are reused (the collector gives them back), so one slot id in the
/// WAL can name different rows over time, and replay, which reuses slots on its own timing,
/// must not send a later change of a file row id to whatever row took its old slot. Found
/// by `ember-crashtest ttl-powerloss` (rows lost after replay).
#[test]
fn replay_keeps_every_row_when_slots_of_deleted_keys_were_reused() {
    let vfs = SimVfs::new();
    let open = || Database::open_with_vfs("reuse", Options::new(), Arc::new(vfs.clone()));
    let rows = |db: &Database| -> Vec<String> {
        db.connect()
            .query("SELECT id || ':' || v FROM t ORDER BY id", ())
            .unwrap()
            .values()
            .iter()
            .map(|row| row[0].to_string())
            .collect()
    };
    let expected = {
        let db = open().unwrap();
        let conn = db.connect();
        conn.execute("CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT)", ())
            .unwrap();
        for round in 0..20i64 {
            // A reader holds the deleted rows, so these inserts take new slots here...
            let reader = db.connect();
            reader.execute("BEGIN", ()).unwrap();
            reader.query("SELECT count(*) FROM t", ()).unwrap();
            let base = round * 1_000;
            conn.execute_batch("BEGIN").unwrap();
            for i in 0..100 {
                conn.execute("INSERT INTO t VALUES (?, 'a')", [base + i])
                    .unwrap();
            }
            conn.execute_batch("COMMIT").unwrap();
            conn.execute("DELETE FROM t WHERE id >= ? AND id < ?", [base, base + 100])
                .unwrap();
            conn.execute_batch("BEGIN").unwrap();
            for i in 0..100 {
                conn.execute("INSERT INTO t VALUES (?, 'c')", [base + 500 + i])
                    .unwrap();
            }
            conn.execute_batch("COMMIT").unwrap();
            // ...and once it ends, the freed slots go to these (in replay, to the 'c' rows).
            reader.execute("COMMIT", ()).unwrap();
            conn.execute("VACUUM", ()).unwrap();
            for i in 0..100 {
                conn.execute("INSERT INTO t VALUES (?, 'b')", [base + 200 + i])
                    .unwrap();
            }
        }
        let expected = rows(&db);
        assert_eq!(expected.len(), 20 * 200);
        drop(conn);
        db.drop_as_if_crashed();
        expected
    };
    let db = open().unwrap();
    let stats = db.durability_stats().unwrap();
    assert!(stats.recovery.records_replayed > 20, "{}", stats.recovery);
    assert_eq!(rows(&db), expected);
}
