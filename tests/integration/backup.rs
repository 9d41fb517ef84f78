//! Online backup and restore (`Database::backup_to`, `restore_from`, `in_memory_from`): a
//! backup taken while four writers commit restores to exactly one commit's state (a bank
//! invariant), a schema with indexes, views, UNIQUE, collations and an added column round
//! trips, a damaged or truncated backup is `Corruption` naming the offset and creates
//! nothing, a restore never writes into a non-empty directory, and a backup holds no commit
//! whose log fsync has not succeeded.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use crate::support::TempDir;
use ember::{Database, ErrorKind};

fn strings(db: &Database, sql: &str) -> Vec<String> {
    let rows = db.connect().query(sql, ()).unwrap();
    rows.into_iter()
        .map(|row| {
            let values: Vec<String> = row.values().iter().map(|v| format!("{v:?}")).collect();
            values.join("|")
        })
        .collect()
}

fn int(db: &Database, sql: &str) -> i64 {
    db.connect().query_row(sql, (), |row| row.get(0)).unwrap()
}

const ACCOUNTS: i64 = 10;
const OPENING: i64 = 1000;

/// Ten accounts, a transfer log and a counter of transfers.
fn bank(db: &Database) {
    let conn = db.connect();
    conn.execute_batch(
        "CREATE TABLE acct(id INTEGER PRIMARY KEY, bal INT NOT NULL);
         CREATE TABLE xfer(id INTEGER PRIMARY KEY, src INT, dst INT, amount INT);
         CREATE TABLE counter(id INTEGER PRIMARY KEY, n INT);
         INSERT INTO counter VALUES (1, 0);",
    )
    .unwrap();
    for id in 0..ACCOUNTS {
        conn.execute("INSERT INTO acct VALUES (?, ?)", (id, OPENING))
            .unwrap();
    }
}

/// Four threads transfer money until `stop`; each transfer bumps the counter.
fn run_transfers(db: &Database, stop: &Arc<AtomicBool>) -> Vec<std::thread::JoinHandle<u64>> {
    (0..4i64)
        .map(|thread| {
            let (db, stop) = (db.clone(), Arc::clone(stop));
            std::thread::spawn(move || {
                let conn = db.connect();
                let mut done = 0u64;
                let mut seq = 0i64;
                while !stop.load(Ordering::Relaxed) {
                    seq += 1;
                    let (src, dst) = ((seq + thread) % ACCOUNTS, (seq * 7 + thread + 1) % ACCOUNTS);
                    let id = thread * 1_000_000 + seq;
                    let result = conn.execute_batch(&format!(
                        "BEGIN;
                         UPDATE acct SET bal = bal - {seq} % 13 WHERE id = {src};
                         UPDATE acct SET bal = bal + {seq} % 13 WHERE id = {dst};
                         INSERT INTO xfer VALUES ({id}, {src}, {dst}, {seq} % 13);
                         UPDATE counter SET n = n + 1 WHERE id = 1;
                         COMMIT;"
                    ));
                    match result {
                        Ok(()) => done += 1,
                        Err(_) => {
                            let _ = conn.execute_batch("ROLLBACK");
                        }
                    }
                }
                done
            })
        })
        .collect()
}

/// The bank invariants: the total is unchanged and the counter counts the transfers.
fn check_bank(db: &Database) -> i64 {
    assert_eq!(int(db, "SELECT sum(bal) FROM acct"), ACCOUNTS * OPENING);
    let transfers = int(db, "SELECT count(*) FROM xfer");
    assert_eq!(int(db, "SELECT n FROM counter"), transfers);
    // Each balance is its opening balance plus the transfers logged.
    let derived = int(
        db,
        "SELECT count(*) FROM acct WHERE bal <> 1000
           - coalesce((SELECT sum(amount) FROM xfer WHERE src = acct.id), 0)
           + coalesce((SELECT sum(amount) FROM xfer WHERE dst = acct.id), 0)",
    );
    assert_eq!(derived, 0, "a balance disagrees with the transfer log");
    transfers
}

fn backups_under_load(db: &Database, restore_dir: Option<&Path>) {
    bank(db);
    let stop = Arc::new(AtomicBool::new(false));
    let writers = run_transfers(db, &stop);
    let mut seen = Vec::new();
    for round in 0..6 {
        std::thread::sleep(std::time::Duration::from_millis(30));
        let mut file = Vec::new();
        let info = db.backup_to(&mut file).unwrap();
        assert_eq!(info.bytes, file.len() as u64);
        let restored = match restore_dir {
            Some(dir) => {
                let target = dir.join(format!("r{round}"));
                assert_eq!(Database::restore_from(&file[..], &target).unwrap(), info);
                Database::open(&target).unwrap()
            }
            None => Database::in_memory_from(&file[..]).unwrap(),
        };
        let transfers = check_bank(&restored);
        assert_eq!(info.rows, (ACCOUNTS + 1) as u64 + transfers as u64);
        seen.push(transfers);
    }
    stop.store(true, Ordering::Relaxed);
    let committed: u64 = writers.into_iter().map(|w| w.join().unwrap()).sum();
    assert!(committed > 0, "the writers committed nothing");
    assert!(
        seen.windows(2).all(|w| w[0] <= w[1]),
        "backups went back in time: {seen:?}"
    );
    check_bank(db);
}

#[test]
fn backup_while_four_writers_commit_restores_one_commit_in_memory() {
    backups_under_load(&Database::in_memory(), None);
}

#[test]
fn backup_while_four_writers_commit_restores_one_commit_from_a_directory() {
    let dir = TempDir::new("load");
    std::fs::create_dir_all(&dir.0).unwrap();
    let db = Database::open(dir.0.join("db")).unwrap();
    backups_under_load(&db, Some(&dir.0));
}

const SCHEMA: &str = "
    CREATE TABLE people(id INTEGER PRIMARY KEY, name TEXT COLLATE NOCASE UNIQUE, age INT,
                        email TEXT NOT NULL DEFAULT 'none');
    CREATE INDEX people_age ON people(age);
    CREATE UNIQUE INDEX people_email ON people(email);
    CREATE TABLE notes(body TEXT, score REAL);
    CREATE VIEW adults AS SELECT name, age FROM people WHERE age >= 18;
    INSERT INTO people VALUES (1, 'Ada', 36, 'ada@x'), (2, 'bob', 12, 'bob@x'),
                              (3, 'Cy', 18, 'cy@x');
    INSERT INTO notes VALUES ('x', 1.5), (NULL, NULL), ('y', -2.25);
    ALTER TABLE notes ADD COLUMN tag TEXT DEFAULT 'old';
    INSERT INTO notes VALUES ('z', 0.0, 'new');
    DELETE FROM notes WHERE body = 'x';";

fn check_schema_copy(db: &Database, original: &Database) {
    for sql in [
        "SELECT * FROM people ORDER BY id",
        "SELECT * FROM notes ORDER BY body",
        "SELECT * FROM adults ORDER BY name",
        "SELECT id FROM people WHERE name = 'ADA'",
        "SELECT name FROM people ORDER BY name",
    ] {
        assert_eq!(strings(db, sql), strings(original, sql), "{sql}");
    }
    let conn = db.connect();
    let dup_name = conn.execute("INSERT INTO people VALUES (9, 'BOB', 1, 'q')", ());
    assert_eq!(dup_name.unwrap_err().kind(), ErrorKind::Constraint);
    let dup_email = conn.execute("INSERT INTO people VALUES (9, 'q', 1, 'ada@x')", ());
    assert_eq!(dup_email.unwrap_err().kind(), ErrorKind::Constraint);
    let plan = strings(db, "EXPLAIN SELECT name FROM people WHERE age = 36").join("\n");
    assert!(plan.contains("people_age"), "{plan}");
}

#[test]
fn a_schema_with_indexes_views_unique_and_collations_round_trips() {
    let original = Database::in_memory();
    original.connect().execute_batch(SCHEMA).unwrap();
    let mut file = Vec::new();
    let info = original.backup_to(&mut file).unwrap();
    assert_eq!((info.tables, info.rows), (2, 6));
    check_schema_copy(&Database::in_memory_from(&file[..]).unwrap(), &original);

    let dir = TempDir::new("schema");
    assert_eq!(Database::restore_from(&file[..], &dir.0).unwrap(), info);
    {
        let restored = Database::open(&dir.0).unwrap();
        check_schema_copy(&restored, &original);
        // Commit numbers go on past the backup's.
        restored
            .connect()
            .execute("INSERT INTO notes VALUES ('after', 1, 't')", ())
            .unwrap();
    }
    let reopened = Database::open(&dir.0).unwrap();
    assert_eq!(int(&reopened, "SELECT count(*) FROM notes"), 4);
    // A backup of the directory database restores to the same contents.
    let mut again = Vec::new();
    reopened.backup_to(&mut again).unwrap();
    let copy = Database::in_memory_from(&again[..]).unwrap();
    assert_eq!(
        strings(&copy, "SELECT * FROM notes ORDER BY body"),
        strings(&reopened, "SELECT * FROM notes ORDER BY body")
    );
}

#[test]
fn a_damaged_or_truncated_backup_is_corruption_naming_the_offset_and_creates_nothing() {
    let original = Database::in_memory();
    original.connect().execute_batch(SCHEMA).unwrap();
    let mut file = Vec::new();
    original.backup_to(&mut file).unwrap();
    let dir = TempDir::new("damage");
    let check = |bytes: &[u8], what: &str| {
        let error = Database::restore_from(bytes, &dir.0).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Corruption, "{what}: {error}");
        assert!(error.to_string().contains("at offset"), "{what}: {error}");
        assert!(!dir.0.exists(), "{what}: restore left {}", dir.0.display());
        let error = Database::in_memory_from(bytes).err().unwrap();
        assert_eq!(error.kind(), ErrorKind::Corruption, "{what}: {error}");
    };
    let len = file.len();
    for offset in [
        0,
        3,
        8,
        12,
        20,
        40,
        len / 3,
        len / 2,
        len - 60,
        len - 44,
        len - 30,
        len - 1,
    ] {
        for bit in [0, 5] {
            let mut damaged = file.clone();
            damaged[offset] ^= 1 << bit;
            check(&damaged, &format!("flip bit {bit} at {offset}"));
        }
    }
    for cut in [
        0,
        1,
        7,
        8,
        9,
        30,
        len / 2,
        len - 45,
        len - 44,
        len - 8,
        len - 1,
    ] {
        check(&file[..cut], &format!("cut at {cut}"));
    }
    let mut longer = file.clone();
    longer.extend_from_slice(b"tail");
    check(&longer, "bytes appended");
    // Undamaged, it restores.
    Database::restore_from(&file[..], &dir.0).unwrap();
}

#[test]
fn restore_refuses_a_non_empty_directory_and_fills_an_empty_one() {
    let original = Database::in_memory();
    original.connect().execute_batch(SCHEMA).unwrap();
    let mut file = Vec::new();
    original.backup_to(&mut file).unwrap();
    let dir = TempDir::new("target");
    std::fs::create_dir_all(&dir.0).unwrap();
    std::fs::write(dir.0.join("keep.txt"), "mine").unwrap();
    let error = Database::restore_from(&file[..], &dir.0).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::AlreadyExists, "{error}");
    assert!(error.to_string().contains("not empty"), "{error}");
    assert_eq!(std::fs::read_dir(&dir.0).unwrap().count(), 1);
    std::fs::remove_file(dir.0.join("keep.txt")).unwrap();
    Database::restore_from(&file[..], &dir.0).unwrap();
    let restored = Database::open(&dir.0).unwrap();
    assert_eq!(int(&restored, "SELECT count(*) FROM people"), 3);
    // Nothing else was left next to it.
    let parent = dir.0.parent().unwrap();
    let name = dir.0.file_name().unwrap().to_string_lossy().to_string();
    let leftovers = std::fs::read_dir(parent)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with(&format!(".{name}.restoring"))
        })
        .count();
    assert_eq!(leftovers, 0);
}

/// Every file name and its bytes, to prove an open changed nothing.
fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut found: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().to_string(),
                std::fs::read(&p).unwrap(),
            )
        })
        .collect();
    found.sort();
    found
}

#[test]
fn ember_snapshots_lists_checkpoints_and_keep_snapshots_bounds_them() {
    let dir = TempDir::new("keep");
    let db = Database::open(&dir.0).unwrap();
    let conn = db.connect();
    conn.execute_batch("CREATE TABLE t(a INT); INSERT INTO t VALUES (1), (2)")
        .unwrap();
    assert_eq!(int(&db, "PRAGMA keep_snapshots"), 1);
    conn.execute_batch("CHECKPOINT; CHECKPOINT").unwrap();
    assert_eq!(int(&db, "SELECT count(*) FROM ember_snapshots"), 1);
    conn.execute("PRAGMA keep_snapshots = 3", ()).unwrap();
    assert_eq!(int(&db, "PRAGMA keep_snapshots"), 3);
    let mut commits = Vec::new();
    for i in 0..4 {
        conn.execute("INSERT INTO t VALUES (?)", [10 + i]).unwrap();
        commits.push(db.checkpoint().unwrap().ts);
    }
    let listed = strings(
        &db,
        "SELECT file, commit, rows, tables, newest, status, bytes > 0, time LIKE '2%' \
         FROM ember_snapshots",
    );
    let expected: Vec<String> = commits[1..]
        .iter()
        .enumerate()
        .map(|(i, ts)| {
            format!(
                "Text(\"snap-{ts:020}.snap\")|Integer({ts})|Integer({})|Integer(1)|Integer({})|\
                 Text(\"ok\")|Boolean(true)|Boolean(true)",
                4 + i,
                i64::from(i == 2)
            )
        })
        .collect();
    assert_eq!(listed, expected);
    // The sizes are the files' sizes.
    let total: i64 = int(&db, "SELECT sum(bytes) FROM ember_snapshots");
    let on_disk: u64 = std::fs::read_dir(&dir.0)
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.file_name().to_string_lossy().ends_with(".snap"))
        .map(|e| e.metadata().unwrap().len())
        .sum();
    assert_eq!(total as u64, on_disk);
    for (bad, kind) in [
        ("0", ErrorKind::InvalidInput),
        ("x", ErrorKind::InvalidInput),
        ("1.5", ErrorKind::InvalidInput),
        ("10000", ErrorKind::Limit),
    ] {
        let error = conn
            .execute(&format!("PRAGMA keep_snapshots = {bad}"), ())
            .err()
            .filter(|_| bad != "10000");
        match error {
            Some(error) => assert_eq!(error.kind(), kind, "{bad}: {error}"),
            None => {
                // At the limit it is accepted; one past it is a Limit error.
                let past = conn
                    .execute("PRAGMA keep_snapshots = 10001", ())
                    .unwrap_err();
                assert_eq!(past.kind(), kind, "{past}");
            }
        }
    }
    conn.execute("PRAGMA keep_snapshots = 1", ()).unwrap();
    conn.execute_batch("CHECKPOINT").unwrap();
    assert_eq!(int(&db, "SELECT count(*) FROM ember_snapshots"), 1);
    // The newest state survives: the WAL it needs was kept.
    conn.execute("INSERT INTO t VALUES (99)", ()).unwrap();
    drop(conn);
    drop(db);
    let reopened = Database::open(&dir.0).unwrap();
    assert_eq!(int(&reopened, "SELECT count(*) FROM t"), 7);
    // In memory there are no snapshots.
    let memory = Database::in_memory();
    assert_eq!(int(&memory, "SELECT count(*) FROM ember_snapshots"), 0);
    let error = memory
        .connect()
        .execute("PRAGMA keep_snapshots = 2", ())
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Unsupported);
}

#[test]
fn at_snapshot_opens_an_older_snapshot_read_only_and_changes_nothing() {
    let dir = TempDir::new("at");
    let options = || ember::Options::new().keep_snapshots(5);
    let (first, second) = {
        let db = Database::open_with(&dir.0, options()).unwrap();
        let conn = db.connect();
        conn.execute_batch(
            "CREATE TABLE t(a INT PRIMARY KEY, b TEXT); INSERT INTO t VALUES (1, 'x')",
        )
        .unwrap();
        let first = db.checkpoint().unwrap().ts;
        conn.execute_batch("UPDATE t SET b = 'y'; INSERT INTO t VALUES (2, 'z')")
            .unwrap();
        let second = db.checkpoint().unwrap().ts;
        conn.execute_batch("DELETE FROM t; CREATE TABLE later(c INT)")
            .unwrap();
        (first, second)
    };
    let before = files(&dir.0);
    for (commit, expected) in [
        (first, vec!["Integer(1)|Text(\"x\")"]),
        (
            second,
            vec!["Integer(1)|Text(\"y\")", "Integer(2)|Text(\"z\")"],
        ),
    ] {
        let db = Database::open_with(&dir.0, ember::Options::new().at_snapshot(commit)).unwrap();
        assert_eq!(strings(&db, "SELECT * FROM t ORDER BY a"), expected);
        let conn = db.connect();
        for write in [
            "INSERT INTO t VALUES (5, 'w')",
            "CREATE TABLE u(a INT)",
            "CHECKPOINT",
        ] {
            let error = conn.execute(write, ()).unwrap_err();
            assert_eq!(error.kind(), ErrorKind::ReadOnly, "{write}: {error}");
            assert!(
                error.to_string().contains("at_snapshot"),
                "{write}: {error}"
            );
        }
        assert!(conn.query("SELECT * FROM later", ()).is_err());
    }
    assert_eq!(
        files(&dir.0),
        before,
        "an at_snapshot open changed the directory"
    );
    let error = Database::open_with(&dir.0, ember::Options::new().at_snapshot(first + 100_000))
        .err()
        .unwrap();
    assert_eq!(error.kind(), ErrorKind::NotFound, "{error}");
    assert!(error.to_string().contains(&first.to_string()), "{error}");
    // The newest state is still the one a normal open sees.
    let db = Database::open_with(&dir.0, options()).unwrap();
    assert_eq!(int(&db, "SELECT count(*) FROM t"), 0);
}

/// A commit is visible once appended to the log, before its fsync; a backup must not hold
/// one a crash could still take back. Here the commit's fsync fails (it is not acknowledged,
/// yet visible in memory): the backup taken next fails with `Io` instead of holding it.
/// (`ember-crashtest backup-powerloss` found this: a finished backup held a commit that the
/// power loss then removed from the database.)
#[test]
fn a_backup_never_holds_a_commit_whose_log_fsync_failed() {
    use ember_storage::vfs::{Fault, FaultKind, SimVfs};
    let vfs = SimVfs::new();
    let db = Database::open_with_vfs("/db", ember::Options::new(), Arc::new(vfs.clone())).unwrap();
    let conn = db.connect();
    conn.execute_batch("CREATE TABLE t(a INT); INSERT INTO t VALUES (1)")
        .unwrap();
    // The next commit's append is operation ops(), its fsync ops() + 1.
    vfs.set_fault(Some(Fault {
        at_op: vfs.ops() + 1,
        kind: FaultKind::Eio,
        persistent: false,
    }));
    let error = conn.execute("INSERT INTO t VALUES (2)", ()).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Io, "{error}");
    vfs.set_fault(None);
    assert_eq!(
        int(&db, "SELECT count(*) FROM t"),
        2,
        "the failed commit is visible"
    );
    let mut file = Vec::new();
    let error = db.backup_to(&mut file).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Io, "{error}");
    assert!(file.is_empty(), "nothing of the backup was written");
}

/// Under every sync policy a backup holds only synced commits: it syncs the log first.
#[test]
fn a_backup_syncs_the_log_first_under_every_policy() {
    use ember_storage::vfs::SimVfs;
    for policy in [
        ember::SyncPolicy::Off,
        ember::SyncPolicy::IntervalMs(60_000),
    ] {
        let vfs = SimVfs::new();
        let options = ember::Options::new().sync_policy(policy);
        let db = Database::open_with_vfs("/db", options.clone(), Arc::new(vfs.clone())).unwrap();
        db.connect()
            .execute_batch("CREATE TABLE t(a INT); INSERT INTO t VALUES (1), (2)")
            .unwrap();
        let mut file = Vec::new();
        let info = db.backup_to(&mut file).unwrap();
        assert_eq!(info.rows, 2);
        // A power loss now keeps only what was synced: the backup's rows are all there.
        db.drop_as_if_crashed();
        vfs.crash(7);
        let reopened = Database::open_with_vfs("/db", options, Arc::new(vfs)).unwrap();
        assert_eq!(int(&reopened, "SELECT count(*) FROM t"), 2, "{policy:?}");
    }
}
