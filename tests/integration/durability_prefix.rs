//! Salvage keeps a committed prefix, and a log shorter than its manifest is refused: every
//! single damage of a WAL segment after the snapshot (deleted, emptied, garbage, cut in
//! half; the first, a middle and the last segment) gives every commit or `Corruption`, and
//! salvage then keeps the snapshot plus the commits before the damage, never later ones
//! replayed over a gap; the next plain open accepts that state and nothing else. After a
//! clean close, the last segment cut or its tail zeroed is `Corruption` (the manifest says
//! how much was synced), while a crash's torn tail recovers as before, and a directory
//! without a manifest (written before it existed) opens as it always did.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use ember::{Database, ErrorKind, Options};
use ember_storage::vfs::{SimVfs, Vfs};
use ember_storage::wal::MANIFEST_NAME;

const DIR: &str = "/db";
/// Rows in the snapshot; rows `SNAPSHOT_ROWS + 1 ..= ROWS` are one commit each after it.
const SNAPSHOT_ROWS: i64 = 5;
const ROWS: i64 = 40;

fn options() -> Options {
    Options::new().wal_segment_bytes(256)
}

fn open(vfs: &SimVfs, options: Options) -> ember::Result<Database> {
    Database::open_with_vfs(DIR, options, Arc::new(vfs.clone()))
}

fn path(name: &str) -> PathBuf {
    Path::new(DIR).join(name)
}

fn ids(db: &Database) -> Vec<i64> {
    db.connect()
        .query("SELECT id FROM t ORDER BY id", ())
        .unwrap()
        .into_iter()
        .map(|row| row.get(0).unwrap())
        .collect()
}

/// Rows 1..=5 in a snapshot, then rows 6..=40, one commit each, over several segments.
/// Closed cleanly unless `crash`.
fn written(crash: bool) -> SimVfs {
    let vfs = SimVfs::new();
    let db = open(&vfs, options()).unwrap();
    let conn = db.connect();
    conn.execute("CREATE TABLE t(id INT PRIMARY KEY, v TEXT)", ())
        .unwrap();
    for id in 1..=ROWS {
        conn.execute("INSERT INTO t VALUES (?, 'a row of the log')", [id])
            .unwrap();
        if id == SNAPSHOT_ROWS {
            db.checkpoint().unwrap();
        }
    }
    drop(conn);
    if crash {
        db.drop_as_if_crashed();
    } else {
        drop(db);
    }
    vfs
}

/// The WAL segments the snapshot needs, in order.
fn segments(vfs: &SimVfs) -> Vec<String> {
    let mut names: Vec<String> = vfs
        .list(Path::new(DIR))
        .unwrap()
        .into_iter()
        .filter(|name| name.starts_with("wal-"))
        .collect();
    names.sort();
    names
}

fn damage(vfs: &SimVfs, name: &str, how: &str) {
    let file = path(name);
    let bytes = vfs.read(&file).unwrap();
    match how {
        "delete" => vfs.remove(&file).unwrap(),
        "empty" => vfs.poke(&file, Vec::new()).unwrap(),
        "garbage" => {
            let mut rng = fastrand::Rng::with_seed(bytes.len() as u64);
            vfs.poke(&file, (0..bytes.len()).map(|_| rng.u8(..)).collect())
                .unwrap()
        }
        "truncate" => vfs.poke(&file, bytes[..bytes.len() / 2].to_vec()).unwrap(),
        "zero tail" => {
            let mut zeroed = bytes.clone();
            let from = bytes.len().saturating_sub(64).max(8);
            zeroed[from..].fill(0);
            vfs.poke(&file, zeroed).unwrap()
        }
        _ => unreachable!("{how}"),
    }
}

/// The plain open gives every row or `Corruption`; salvage then keeps rows 1..=k for some
/// k from the snapshot's on, says so if it dropped any, and the next plain open holds the
/// same rows and takes writes.
fn committed_prefix_or_refusal(vfs: &SimVfs, what: &str) -> Vec<i64> {
    let all: Vec<i64> = (1..=ROWS).collect();
    match open(vfs, options()) {
        Ok(db) => {
            assert_eq!(ids(&db), all, "{what}: opened with rows missing");
            return all;
        }
        Err(error) => assert_eq!(error.kind(), ErrorKind::Corruption, "{what}: {error}"),
    }
    let db = open(vfs, options().salvage(true)).unwrap();
    let kept = ids(&db);
    let report = db.durability_stats().unwrap().recovery;
    let k = kept.len() as i64;
    assert_eq!(kept, (1..=k).collect::<Vec<_>>(), "{what}: not a prefix");
    assert!(
        k >= SNAPSHOT_ROWS,
        "{what}: lost the snapshot's rows: {kept:?}"
    );
    if k < ROWS {
        let said = report
            .salvaged
            .iter()
            .any(|line| line.contains("salvage keeps"));
        assert!(said, "{what}: {report}");
    }
    drop(db);
    let db = open(vfs, options()).unwrap();
    assert_eq!(ids(&db), kept, "{what}: the next plain open differs");
    db.connect()
        .execute("INSERT INTO t VALUES (1000, 'after the salvage')", ())
        .unwrap();
    drop(db);
    let db = open(vfs, options()).unwrap();
    assert_eq!(ids(&db).len(), kept.len() + 1, "{what}");
    kept
}

#[test]
fn salvage_after_any_single_damage_of_a_segment_keeps_a_committed_prefix() {
    let count = segments(&written(false)).len();
    assert!(count >= 4, "too few segments: {count}");
    for (position, which) in [(0, "first"), (count / 2, "middle"), (count - 1, "last")] {
        for how in ["delete", "empty", "garbage", "truncate"] {
            let vfs = written(false);
            let victim = segments(&vfs)[position].clone();
            damage(&vfs, &victim, how);
            let what = format!("{how} the {which} segment {victim}");
            let kept = committed_prefix_or_refusal(&vfs, &what);
            if position == 0 && how == "delete" {
                // Nothing after the snapshot survives a lost first segment.
                assert_eq!(kept, (1..=SNAPSHOT_ROWS).collect::<Vec<_>>(), "{what}");
            }
            if position == count - 1 && how != "garbage" {
                assert!(kept.len() < ROWS as usize, "{what}: the loss went unseen");
            }
        }
    }
}

#[test]
fn a_clean_close_followed_by_a_lost_tail_is_corruption() {
    for how in [
        "cut at 12",
        "cut at 30",
        "truncate",
        "cut one byte",
        "zero tail",
    ] {
        let vfs = written(false);
        let last = segments(&vfs).last().unwrap().clone();
        let bytes = vfs.read(&path(&last)).unwrap();
        match how.strip_prefix("cut at ") {
            Some(at) => {
                let at: usize = at.parse().unwrap();
                vfs.poke(&path(&last), bytes[..at].to_vec()).unwrap();
            }
            None if how == "cut one byte" => {
                vfs.poke(&path(&last), bytes[..bytes.len() - 1].to_vec())
                    .unwrap();
            }
            None => damage(&vfs, &last, how),
        }
        let error = open(&vfs, options()).err().expect("a lost tail opened");
        assert_eq!(error.kind(), ErrorKind::Corruption, "{how}: {error}");
        assert!(error.message().contains("manifest"), "{how}: {error}");
        assert!(error.message().contains(&last), "{how}: {error}");
        committed_prefix_or_refusal(&vfs, how);
    }
}

#[test]
fn a_crash_recovers_as_before_and_a_directory_without_a_manifest_opens_as_it_did() {
    // A crash: every commit was synced; the power loss drops nothing acknowledged.
    let vfs = written(true);
    vfs.crash(3);
    assert_eq!(
        ids(&open(&vfs, options()).unwrap()),
        (1..=ROWS).collect::<Vec<_>>()
    );
    // A crash with a torn, never acknowledged tail: cut off, as before.
    let vfs = written(true);
    let last = segments(&vfs).last().unwrap().clone();
    let mut bytes = vfs.read(&path(&last)).unwrap();
    bytes.extend_from_slice(&[0x30, 0, 0, 0, 1, 2, 3, 4, 5]);
    vfs.poke(&path(&last), bytes).unwrap();
    let db = open(&vfs, options()).unwrap();
    assert_eq!(ids(&db), (1..=ROWS).collect::<Vec<_>>());
    assert!(db.durability_stats().unwrap().recovery.bytes_truncated > 0);
    drop(db);
    // No manifest: a clean close's lost tail is a torn tail, as before the manifest.
    let vfs = written(false);
    vfs.remove(&path(MANIFEST_NAME)).unwrap();
    let last = segments(&vfs).last().unwrap().clone();
    damage(&vfs, &last, "truncate");
    let db = open(&vfs, options()).unwrap();
    assert!(ids(&db).len() < ROWS as usize);
    drop(db);
    // That open wrote a manifest again.
    assert!(vfs.read(&path(MANIFEST_NAME)).is_ok());
}
