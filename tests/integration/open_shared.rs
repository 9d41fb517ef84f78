//! Opening a directory more than once: a second writable open in the process shares the
//! database the first opened (threads that each call `Database::open` see one database), and
//! a read-only open beside a writer loads the state as of its open without waiting for the
//! writer's lock, even while the writer commits and checkpoints.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use crate::support::TempDir;
use ember::{Database, ErrorKind, Options};
use ember_storage::vfs::OsVfs;

fn count(db: &Database, table: &str) -> i64 {
    db.connect()
        .query_row(&format!("SELECT count(*) FROM {table}"), (), |row| {
            row.get(0)
        })
        .unwrap()
}

#[test]
fn a_second_open_in_the_process_shares_the_database() {
    let dir = TempDir::new("share");
    let first = Database::open(&dir.0).unwrap();
    first
        .connect()
        .execute_batch("CREATE TABLE t(a INT); INSERT INTO t VALUES (1)")
        .unwrap();
    // `first` holds the directory's lock throughout: an open that waited for it would
    // end `Busy`.
    let second = Database::open(&dir.0).unwrap();
    second
        .connect()
        .execute("INSERT INTO t VALUES (2)", ())
        .unwrap();
    assert_eq!(count(&first, "t"), 2);
    // Another spelling of the same directory names the same database.
    let spelled = dir.0.join("..").join(dir.0.file_name().unwrap());
    let third = Database::open(&spelled).unwrap();
    assert_eq!(count(&third, "t"), 2);
    drop(first);
    third
        .connect()
        .execute("INSERT INTO t VALUES (3)", ())
        .unwrap();
    drop(second);
    drop(third);
    // Once the last handle is gone the next open opens the directory afresh.
    let reopened = Database::open(&dir.0).unwrap();
    assert_eq!(count(&reopened, "t"), 3);
}

#[test]
fn the_lock_still_keeps_a_second_writer_of_another_handle_out() {
    let dir = TempDir::new("share-lock");
    let db = Database::open(&dir.0).unwrap();
    // An open through a file system of its own is another handle on the directory, as
    // another process's would be: it waits for the lock and fails `Busy`.
    let quick = Options::new().busy_timeout(Duration::ZERO);
    let error = Database::open_with_vfs(&dir.0, quick, Arc::new(OsVfs::new()))
        .err()
        .expect("a second writer is refused");
    assert_eq!(error.kind(), ErrorKind::Busy, "{error}");
    drop(db);
}

#[test]
fn threads_that_each_open_the_directory_share_one_database() {
    const THREADS: i64 = 8;
    const ROWS: i64 = 50;
    let dir = TempDir::new("share-threads");
    Database::open(&dir.0)
        .unwrap()
        .connect()
        .execute("CREATE TABLE t(id INT PRIMARY KEY, thread INT)", ())
        .unwrap();
    let workers: Vec<_> = (0..THREADS)
        .map(|thread| {
            let path = dir.0.clone();
            std::thread::spawn(move || {
                let db = Database::open(&path).unwrap();
                let conn = db.connect();
                for row in 0..ROWS {
                    conn.execute("INSERT INTO t VALUES (?, ?)", (thread * ROWS + row, thread))
                        .unwrap();
                }
            })
        })
        .collect();
    for worker in workers {
        worker.join().unwrap();
    }
    let db = Database::open(&dir.0).unwrap();
    assert_eq!(count(&db, "t"), THREADS * ROWS);
    let threads: i64 = db
        .connect()
        .query_row("SELECT count(DISTINCT thread) FROM t", (), |row| row.get(0))
        .unwrap();
    assert_eq!(threads, THREADS);
}

#[test]
fn a_reader_opens_beside_a_writer_and_sees_the_state_as_of_its_open() {
    let dir = TempDir::new("reader");
    let writer = Database::open(&dir.0).unwrap();
    writer
        .connect()
        .execute_batch("CREATE TABLE t(a INT); INSERT INTO t VALUES (1), (2)")
        .unwrap();
    // The writer holds the lock throughout: a reader that waited for it would end `Busy`.
    let reader = Database::open_with(&dir.0, Options::new().read_only(true)).unwrap();
    assert_eq!(count(&reader, "t"), 2);
    writer
        .connect()
        .execute("INSERT INTO t VALUES (3)", ())
        .unwrap();
    assert_eq!(
        count(&reader, "t"),
        2,
        "the reader keeps the state of its open"
    );
    let refused = reader
        .connect()
        .execute("INSERT INTO t VALUES (4)", ())
        .unwrap_err();
    assert_eq!(refused.kind(), ErrorKind::ReadOnly, "{refused}");
    drop(reader);
    // The reader never held the lock, so dropping it leaves the writer's in place.
    let quick = Options::new().busy_timeout(Duration::ZERO);
    let busy = Database::open_with_vfs(&dir.0, quick, Arc::new(OsVfs::new())).err();
    assert_eq!(busy.map(|e| e.kind()), Some(ErrorKind::Busy));
    writer
        .connect()
        .execute("INSERT INTO t VALUES (5)", ())
        .unwrap();
    drop(writer);
    assert_eq!(count(&Database::open(&dir.0).unwrap(), "t"), 4);
}

/// A writer moves money between accounts (the total never changes) and bumps a commit
/// counter in the same transaction, with small WAL segments and frequent checkpoints, so
/// segments roll and old files go while readers open: every read-only open succeeds, sees
/// the total intact, and never sees the counter go back.
#[test]
fn readers_opening_during_commits_and_checkpoints_see_committed_states() {
    const ACCOUNTS: i64 = 20;
    const TOTAL: i64 = ACCOUNTS * 100;
    let dir = TempDir::new("reader-churn");
    let options = Options::new()
        .sync_policy(ember::SyncPolicy::Off)
        .wal_segment_bytes(16 * 1024)
        .checkpoint_bytes(32 * 1024);
    let writer = Database::open_with(&dir.0, options).unwrap();
    let conn = writer.connect();
    conn.execute_batch(
        "CREATE TABLE account(id INT PRIMARY KEY, balance INT);
         CREATE TABLE progress(id INT PRIMARY KEY, commits INT);
         INSERT INTO progress VALUES (1, 0);",
    )
    .unwrap();
    for id in 0..ACCOUNTS {
        conn.execute("INSERT INTO account VALUES (?, 100)", (id,))
            .unwrap();
    }
    let stop = Arc::new(AtomicBool::new(false));
    let writing = {
        let stop = Arc::clone(&stop);
        let writer = writer.clone();
        std::thread::spawn(move || {
            let conn = writer.connect();
            let mut step: i64 = 0;
            while !stop.load(Ordering::Relaxed) {
                let (from, to) = (step % ACCOUNTS, (step * 7 + 3) % ACCOUNTS);
                conn.execute_batch(&format!(
                    "BEGIN;
                     UPDATE account SET balance = balance - 1 WHERE id = {from};
                     UPDATE account SET balance = balance + 1 WHERE id = {to};
                     UPDATE progress SET commits = commits + 1 WHERE id = 1;
                     COMMIT;"
                ))
                .unwrap();
                if step % 5 == 0 {
                    conn.execute_batch("CHECKPOINT").unwrap();
                }
                step += 1;
            }
            step
        })
    };
    let mut last_seen = 0;
    for _ in 0..200 {
        let reader = Database::open_with(&dir.0, Options::new().read_only(true)).unwrap();
        let conn = reader.connect();
        let total: i64 = conn
            .query_row("SELECT sum(balance) FROM account", (), |row| row.get(0))
            .unwrap();
        assert_eq!(total, TOTAL, "a read-only open saw a state no commit made");
        let commits: i64 = conn
            .query_row("SELECT commits FROM progress", (), |row| row.get(0))
            .unwrap();
        assert!(commits >= last_seen, "{commits} after {last_seen}");
        last_seen = commits;
        std::thread::yield_now();
    }
    stop.store(true, Ordering::Relaxed);
    let steps = writing.join().unwrap();
    assert!(steps > 0);
    let checkpoints = writer.durability_stats().unwrap().checkpoints;
    assert!(
        checkpoints > 1,
        "the writer checkpointed {checkpoints} times"
    );
}
