//! Damaged and full directories: a missing snapshot, a missing,
//! empty or garbage WAL segment give `Corruption` and change no file; salvage opens them,
//! says what it dropped and keeps a copy of the files; a checkpoint that hits a full disk
//! removes its temp file and later commits go on (through the log's reserve, which a
//! checkpoint may not take); a full disk opens read-only with every row, and writes resume
//! after a reopen with room.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use ember::{Database, ErrorKind, Options};
use ember_storage::vfs::{SimVfs, Vfs};
use ember_storage::wal::MANIFEST_NAME;

const DIR: &str = "/db";

fn open(vfs: &SimVfs, options: Options) -> ember::Result<Database> {
    Database::open_with_vfs(DIR, options, Arc::new(vfs.clone()))
}

fn files(vfs: &SimVfs) -> BTreeMap<String, Vec<u8>> {
    let dir = Path::new(DIR);
    vfs.list(dir)
        .unwrap()
        .into_iter()
        .filter(|name| {
            name.starts_with("wal-") || name.starts_with("snap-") || name == MANIFEST_NAME
        })
        .map(|name| {
            let bytes = vfs.read(&dir.join(&name)).unwrap();
            (name, bytes)
        })
        .collect()
}

fn ids(db: &Database) -> Vec<i64> {
    db.connect()
        .query("SELECT id FROM t ORDER BY id", ())
        .unwrap()
        .into_iter()
        .map(|row| row.get(0).unwrap())
        .collect()
}

/// A closed database: rows 1..=3 before a CHECKPOINT, 4..=6 after it (only in the WAL).
fn checkpointed_then_written(segment_bytes: u64) -> SimVfs {
    let vfs = SimVfs::new();
    let db = open(&vfs, Options::new().wal_segment_bytes(segment_bytes)).unwrap();
    let conn = db.connect();
    conn.execute_batch(
        "CREATE TABLE t(id INT PRIMARY KEY, v TEXT);
         INSERT INTO t VALUES (1, 'a'), (2, 'b'), (3, 'c');
         CHECKPOINT;",
    )
    .unwrap();
    for id in 4..=6 {
        conn.execute("INSERT INTO t VALUES (?, 'after the checkpoint')", [id])
            .unwrap();
    }
    drop(conn);
    drop(db);
    vfs
}

fn path(name: &str) -> PathBuf {
    Path::new(DIR).join(name)
}

/// Opens the damaged directory: it must fail with `Corruption` naming `names_file` and leave
/// every file as it was; then salvage must open it, say what it dropped and keep a copy
/// (whose folder it returns).
fn corruption_then_salvage(vfs: &SimVfs, names_file: &str) -> PathBuf {
    let before = files(vfs);
    let error = open(vfs, Options::new())
        .err()
        .expect("a damaged directory opens");
    assert_eq!(error.kind(), ErrorKind::Corruption, "{error}");
    assert!(error.message().contains(names_file), "{error}");
    assert_eq!(files(vfs), before, "a failed open changed the files");
    let db = open(vfs, Options::new().salvage(true)).unwrap();
    let report = db.durability_stats().unwrap().recovery;
    assert!(
        !report.salvaged.is_empty(),
        "salvage dropped data silently: {report}"
    );
    let copy = report.salvage_copy.clone().expect("damaged files copied");
    let kept = vfs.list(Path::new(&copy)).unwrap();
    assert_eq!(kept.len(), before.len(), "{kept:?} vs {:?}", before.keys());
    drop(db);
    PathBuf::from(copy)
}

#[test]
fn a_missing_snapshot_is_corruption_and_the_wal_after_it_is_kept() {
    let vfs = checkpointed_then_written(1 << 20);
    let snapshot = files(&vfs)
        .into_keys()
        .find(|name| name.starts_with("snap-"))
        .unwrap();
    vfs.remove(&path(&snapshot)).unwrap();
    let wal_before: Vec<String> = files(&vfs).into_keys().collect();
    assert!(!wal_before.is_empty());
    let copy = corruption_then_salvage(&vfs, "no snapshot");
    for name in wal_before {
        let kept = vfs.read(&copy.join(&name));
        assert!(kept.is_ok(), "{name} was deleted without a copy");
    }
}

#[test]
fn a_missing_empty_or_garbage_wal_segment_after_the_snapshot_is_corruption() {
    for damage in ["delete", "empty", "garbage"] {
        let vfs = checkpointed_then_written(1 << 20);
        let segment = files(&vfs)
            .into_iter()
            .find(|(name, _)| name.starts_with("wal-"))
            .unwrap();
        match damage {
            "delete" => vfs.remove(&path(&segment.0)).unwrap(),
            "empty" => vfs.poke(&path(&segment.0), Vec::new()).unwrap(),
            _ => {
                let mut rng = fastrand::Rng::with_seed(7);
                let garbage = (0..segment.1.len()).map(|_| rng.u8(..)).collect();
                vfs.poke(&path(&segment.0), garbage).unwrap();
            }
        }
        corruption_then_salvage(&vfs, &segment.0);
    }
}

#[test]
fn the_loss_of_a_later_segment_shows_through_the_mark_of_the_one_before() {
    // Segments of at most 64 bytes: every insert after the checkpoint rolls the log.
    let vfs = checkpointed_then_written(64);
    let segments: Vec<String> = files(&vfs)
        .into_keys()
        .filter(|name| name.starts_with("wal-"))
        .collect();
    assert!(segments.len() >= 3, "{segments:?}");
    for victim in &segments[1..] {
        for damage in ["delete", "empty"] {
            let vfs = checkpointed_then_written(64);
            match damage {
                "delete" => vfs.remove(&path(victim)).unwrap(),
                _ => vfs.poke(&path(victim), Vec::new()).unwrap(),
            }
            corruption_then_salvage(&vfs, victim);
        }
    }
    // Undamaged, every row is there.
    let db = open(&checkpointed_then_written(64), Options::new()).unwrap();
    assert_eq!(ids(&db), (1..=6).collect::<Vec<_>>());
}

/// Without the snapshot, the WAL after it replayed alone would make a state no commit had
/// (its changes to tables the snapshot defined skipped): salvage keeps the committed prefix
/// before the loss, an empty database, says so, and keeps the files in its copy.
#[test]
fn salvage_without_the_snapshot_replays_no_wal_over_the_loss() {
    let vfs = checkpointed_then_written(1 << 20);
    for name in files(&vfs).into_keys().filter(|n| n.starts_with("snap-")) {
        vfs.remove(&path(&name)).unwrap();
    }
    let db = open(&vfs, Options::new().salvage(true)).unwrap();
    let report = db.durability_stats().unwrap().recovery;
    assert_eq!(report.records_replayed, 0, "{report}");
    assert!(
        report
            .salvaged
            .iter()
            .any(|line| line.contains("salvage keeps no WAL record")),
        "{report}"
    );
    assert!(report.salvage_copy.is_some(), "{report}");
    let error = db.connect().query("SELECT * FROM t", ()).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::NotFound);
}

/// The only snapshot damaged, with or without commits after it: salvage opens without it
/// (its rows are lost, and said), and the checkpoint that open takes must become the newest
/// snapshot, so the next plain open loads it (not the damaged one again) and rows written
/// after the salvage survive it.
#[test]
fn after_salvaging_past_a_damaged_snapshot_the_next_plain_open_reads_the_new_one() {
    for commits_after_the_checkpoint in [false, true] {
        let vfs = if commits_after_the_checkpoint {
            checkpointed_then_written(1 << 20)
        } else {
            let vfs = SimVfs::new();
            let db = open(&vfs, Options::new()).unwrap();
            db.connect()
                .execute_batch(
                    "CREATE TABLE t(id INT PRIMARY KEY, v TEXT);
                     INSERT INTO t VALUES (1, 'a'), (2, 'b'), (3, 'c');
                     CHECKPOINT;",
                )
                .unwrap();
            drop(db);
            vfs
        };
        let snapshot = files(&vfs)
            .into_keys()
            .rfind(|name| name.starts_with("snap-"))
            .unwrap();
        let mut bytes = vfs.read(&path(&snapshot)).unwrap();
        let middle = bytes.len() / 2;
        bytes[middle] ^= 0x5a;
        vfs.poke(&path(&snapshot), bytes).unwrap();
        corruption_then_salvage(&vfs, &snapshot);
        // The salvaged database has no `t`: its definition was in the damaged snapshot.
        let db = open(&vfs, Options::new()).unwrap();
        db.connect()
            .execute_batch(
                "CREATE TABLE t(id INT PRIMARY KEY, v TEXT);
                 INSERT INTO t VALUES (10, 'after the salvage');",
            )
            .unwrap();
        drop(db);
        let db = open(&vfs, Options::new()).unwrap();
        assert_eq!(ids(&db), vec![10]);
        let report = db.durability_stats().unwrap().recovery;
        assert!(report.salvaged.is_empty(), "{report}");
        assert_ne!(
            report.snapshot.as_deref(),
            Some(snapshot.as_str()),
            "{report}"
        );
    }
}

/// A database holding `rows` rows of ~500 bytes, closed; returns the file system.
fn filled(rows: i64) -> SimVfs {
    let vfs = SimVfs::new();
    let db = open(&vfs, Options::new()).unwrap();
    let conn = db.connect();
    conn.execute("CREATE TABLE t(id INT PRIMARY KEY, v TEXT)", ())
        .unwrap();
    for id in 1..=rows {
        conn.execute("INSERT INTO t VALUES (?, printf('%0500d', ?))", (id, id))
            .unwrap();
    }
    drop(conn);
    drop(db);
    vfs
}

#[test]
fn a_checkpoint_on_a_full_disk_removes_its_temp_file_and_commits_go_on() {
    let vfs = filled(200);
    let db = open(&vfs, Options::new()).unwrap();
    let conn = db.connect();
    // Room for a few more commits, not for another snapshot of ~100 KB.
    vfs.set_capacity(Some(vfs.used_bytes() + (8 << 10)));
    let error = conn.execute("CHECKPOINT", ()).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Io, "{error}");
    let leftovers: Vec<String> = vfs
        .list(Path::new(DIR))
        .unwrap()
        .into_iter()
        .filter(|name| name.ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    conn.execute(
        "INSERT INTO t VALUES (1000, 'after the failed checkpoint')",
        (),
    )
    .unwrap();
    drop(conn);
    drop(db);
    vfs.set_capacity(None);
    let db = open(&vfs, Options::new()).unwrap();
    assert_eq!(ids(&db).len(), 201);
}

#[test]
fn a_commit_that_finds_the_disk_full_fails_alone_and_later_ones_succeed() {
    let vfs = filled(10);
    let db = open(&vfs, Options::new()).unwrap();
    let conn = db.connect();
    // No free space at all: the log's reserve (1 MiB) takes the commits for a while.
    vfs.set_capacity(Some(vfs.used_bytes()));
    let mut acknowledged = Vec::new();
    let mut refused = 0;
    for id in 100..10_000 {
        match conn.execute("INSERT INTO t VALUES (?, printf('%0500d', ?))", (id, id)) {
            Ok(_) => acknowledged.push(id),
            Err(error) => {
                assert_eq!(error.kind(), ErrorKind::Io, "{error}");
                assert!(error.message().contains("disk full"), "{error}");
                refused += 1;
                if refused == 3 {
                    break;
                }
            }
        }
    }
    assert!(refused == 3, "the disk never filled");
    assert!(
        acknowledged.len() > 100,
        "the reserve let only {acknowledged:?} in"
    );
    vfs.set_capacity(None);
    conn.execute("INSERT INTO t VALUES (50000, 'room again')", ())
        .unwrap();
    acknowledged.push(50_000);
    drop(conn);
    drop(db);
    let db = open(&vfs, Options::new()).unwrap();
    let found = ids(&db);
    for id in acknowledged {
        assert!(found.contains(&id), "acknowledged {id} lost");
    }
}

#[test]
fn a_checkpoint_is_refused_when_it_would_take_the_log_reserve() {
    let vfs = filled(10);
    let db = open(&vfs, Options::new()).unwrap();
    let conn = db.connect();
    let reserve = path(ember_storage::wal::RESERVE_NAME);
    assert!(
        vfs.read(&reserve).is_ok(),
        "the open put the reserve in place"
    );
    vfs.set_capacity(Some(vfs.used_bytes()));
    conn.execute("INSERT INTO t VALUES (11, 'through the reserve')", ())
        .unwrap();
    assert!(
        vfs.read(&reserve).is_err(),
        "the append released the reserve"
    );
    let error = conn.execute("CHECKPOINT", ()).unwrap_err();
    assert!(error.message().contains("checkpoint refused"), "{error}");
    vfs.set_capacity(None);
    conn.execute("CHECKPOINT", ()).unwrap();
    assert!(
        vfs.read(&reserve).is_ok(),
        "the checkpoint took the reserve back"
    );
    assert_eq!(ids(&db).len(), 11);
}

#[test]
fn a_full_disk_opens_read_only_with_every_row_and_writes_resume_with_room() {
    let vfs = filled(50);
    // No reserve left to make room with: the disk is simply full.
    vfs.remove(&path(ember_storage::wal::RESERVE_NAME)).unwrap();
    vfs.set_capacity(Some(vfs.used_bytes()));
    let db = open(&vfs, Options::new()).unwrap();
    let report = db.durability_stats().unwrap().recovery;
    assert!(report.read_only.is_some(), "{report}");
    let shown: Option<String> = db
        .connect()
        .query_value("SELECT read_only FROM ember_durability", ())
        .unwrap();
    assert_eq!(shown, report.read_only);
    assert_eq!(ids(&db), (1..=50).collect::<Vec<_>>());
    let error = db
        .connect()
        .execute("INSERT INTO t VALUES (51, 'x')", ())
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::ReadOnly, "{error}");
    assert!(error.message().contains("could not be written"), "{error}");
    drop(db);
    vfs.set_capacity(None);
    let db = open(&vfs, Options::new()).unwrap();
    assert_eq!(db.durability_stats().unwrap().recovery.read_only, None);
    db.connect()
        .execute("INSERT INTO t VALUES (51, 'x')", ())
        .unwrap();
    drop(db);
    assert_eq!(ids(&open(&vfs, Options::new()).unwrap()).len(), 51);
}

#[test]
fn recovery_on_a_full_disk_checkpoints_in_the_log_reserve_and_stays_writable() {
    let vfs = filled(50);
    assert!(vfs.read(&path(ember_storage::wal::RESERVE_NAME)).is_ok());
    // Room for the new segment, not for the recovery checkpoint's snapshot (~30 KB).
    vfs.set_capacity(Some(vfs.used_bytes() + 1_000));
    let db = open(&vfs, Options::new()).unwrap();
    let report = db.durability_stats().unwrap().recovery;
    assert_eq!(report.read_only, None, "{report}");
    db.connect()
        .execute("INSERT INTO t VALUES (51, 'x')", ())
        .unwrap();
    drop(db);
    assert_eq!(ids(&open(&vfs, Options::new()).unwrap()).len(), 51);
}

#[test]
fn read_only_opens_write_nothing() {
    let vfs = filled(5);
    let before = files(&vfs);
    let db = open(&vfs, Options::new().read_only(true)).unwrap();
    assert_eq!(ids(&db), (1..=5).collect::<Vec<_>>());
    for sql in [
        "INSERT INTO t VALUES (6, 'x')",
        "CREATE TABLE u(a INT)",
        "CHECKPOINT",
    ] {
        let error = db.connect().execute(sql, ()).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::ReadOnly, "{sql}: {error}");
    }
    drop(db);
    assert_eq!(files(&vfs), before);
    let missing =
        Database::open_with_vfs("/nowhere", Options::new().read_only(true), Arc::new(vfs));
    let error = missing.err().expect("no directory to read");
    assert_eq!(error.kind(), ErrorKind::NotFound, "{error}");
}

#[test]
fn automatic_checkpoints_that_fail_back_off_instead_of_retrying_every_commit() {
    let vfs = filled(400);
    let options = Options::new().checkpoint_bytes(4 << 10);
    let db = open(&vfs, options).unwrap();
    let conn = db.connect();
    // Room for the commits, never for a snapshot (~220 KB).
    vfs.remove(&path(ember_storage::wal::RESERVE_NAME)).ok();
    vfs.set_capacity(Some(vfs.used_bytes() + (100 << 10)));
    let before = vfs.ops();
    for id in 1000..1200 {
        conn.execute("INSERT INTO t VALUES (?, printf('%0100d', ?))", (id, id))
            .unwrap();
    }
    let ops_per_commit = (vfs.ops() - before) / 200;
    let stats = db.durability_stats().unwrap();
    assert!(
        stats.last_checkpoint_error.is_some(),
        "a checkpoint was tried"
    );
    // A commit is an append and an fsync; a checkpoint attempt dozens of operations more.
    assert!(
        ops_per_commit < 4,
        "{ops_per_commit} file operations per commit"
    );
}

/// A directory whose snapshot and WAL are gone, while the files a database leaves beside
/// them (`wal.reserve`, `ember.log`) remain, is refused rather than opened as a new empty
/// database, unless the caller asks to create one; a new or empty directory still gets one.
#[test]
fn a_directory_that_lost_its_data_refuses_to_open_unless_asked_to_create() {
    let vfs = checkpointed_then_written(1 << 20);
    for name in files(&vfs).into_keys() {
        vfs.remove(&path(&name)).unwrap();
    }
    let left = vfs.list(Path::new(DIR)).unwrap();
    assert!(left.iter().any(|name| name == "wal.reserve"), "{left:?}");
    for options in [Options::new(), Options::new().salvage(true)] {
        let error = open(&vfs, options).err().expect("opened a lost database");
        assert_eq!(error.kind(), ErrorKind::Corruption, "{error}");
        let message = error.message();
        assert!(message.contains("no WAL segment"), "{message}");
        assert!(message.contains("wal.reserve"), "{message}");
        assert!(message.contains("ember.log"), "{message}");
        assert!(message.contains("create_if_missing"), "{message}");
        assert_eq!(
            vfs.list(Path::new(DIR)).unwrap(),
            left,
            "a refused open wrote"
        );
    }
    let error = open(&vfs, Options::new().create_if_missing(false)).err();
    assert_eq!(error.map(|e| e.kind()), Some(ErrorKind::NotFound));
    // Asked to, the open starts anew; the next plain open finds that database.
    let db = open(&vfs, Options::new().create_if_missing(true)).unwrap();
    db.connect()
        .execute_batch("CREATE TABLE t(id INT PRIMARY KEY); INSERT INTO t VALUES (9)")
        .unwrap();
    drop(db);
    assert_eq!(ids(&open(&vfs, Options::new()).unwrap()), vec![9]);

    // A new directory, and an existing empty one, get a database by default, never with
    // `create_if_missing(false)`.
    let fresh = SimVfs::new();
    let error = open(&fresh, Options::new().create_if_missing(false)).err();
    assert_eq!(error.map(|e| e.kind()), Some(ErrorKind::NotFound));
    assert!(
        fresh.list(Path::new(DIR)).is_err(),
        "a refused open created the directory"
    );
    fresh.create_dir_all(Path::new(DIR)).unwrap();
    let error = open(&fresh, Options::new().create_if_missing(false)).err();
    assert_eq!(error.map(|e| e.kind()), Some(ErrorKind::NotFound));
    drop(open(&fresh, Options::new()).unwrap());
    let db = open(&fresh, Options::new().create_if_missing(false)).unwrap();
    assert!(db.durability_stats().unwrap().recovery.snapshot.is_some());
}
