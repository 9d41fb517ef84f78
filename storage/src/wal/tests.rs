//! WAL writer tests: records survive a reopen scan, segments roll at their size bound,
//! group commit shares fsyncs among threads, and a failed fsync poisons the log.

use std::path::Path;
use std::sync::Arc;

use super::record::{RowChange, WalRecord};
use super::*;
use crate::vfs::{Fault, FaultKind, SimVfs};

fn commit(ts: u64) -> WalRecord {
    WalRecord::Commit {
        ts,
        changes: vec![RowChange {
            table_id: 1,
            row: ts,
            payload: Some(vec![ts as u8; 10]),
        }],
    }
}

fn encoded(record: &WalRecord) -> Vec<u8> {
    let mut bytes = Vec::new();
    record.encode(&mut bytes);
    bytes
}

fn setup() -> (SimVfs, &'static Path) {
    let vfs = SimVfs::new();
    let dir = Path::new("/db");
    vfs.create_dir_all(dir).unwrap();
    (vfs, dir)
}

#[test]
fn appended_records_scan_back_across_rolled_segments() {
    let (vfs, dir) = setup();
    let wal = Wal::create(Arc::new(vfs.clone()), dir, 1, SyncPolicy::Always, 100).unwrap();
    for ts in 1..=20 {
        let lsn = wal.append(&encoded(&commit(ts))).unwrap();
        wal.commit_durable(lsn).unwrap();
    }
    let scan = scan_wal(&vfs, dir, &WalStart::without_snapshot(), false).unwrap();
    assert!(
        scan.segments.len() > 3,
        "segments roll: {:?}",
        scan.segments
    );
    assert_eq!(scan.records, (1..=20).map(commit).collect::<Vec<_>>());
    vfs.crash(9);
    let after = scan_wal(&vfs, dir, &WalStart::without_snapshot(), false).unwrap();
    assert_eq!(
        after.records.len(),
        20,
        "synced records survive a power loss"
    );
}

#[test]
fn concurrent_committers_share_fsyncs() {
    let (vfs, dir) = setup();
    let wal = Wal::create(Arc::new(vfs.clone()), dir, 1, SyncPolicy::Always, 1 << 30).unwrap();
    let commit_lock = Arc::new(std::sync::Mutex::new(0u64));
    std::thread::scope(|scope| {
        for _ in 0..4 {
            let wal = Arc::clone(&wal);
            let commit_lock = Arc::clone(&commit_lock);
            scope.spawn(move || {
                for _ in 0..200 {
                    let lsn = {
                        let mut ts = commit_lock.lock().unwrap();
                        *ts += 1;
                        wal.append(&encoded(&commit(*ts))).unwrap()
                    };
                    wal.commit_durable(lsn).unwrap();
                }
            });
        }
    });
    let fsyncs = wal.stats.fsyncs.load(Ordering::Relaxed);
    assert_eq!(wal.stats.records.load(Ordering::Relaxed), 800);
    assert!(
        (1..=800).contains(&fsyncs),
        "at most one fsync per commit: {fsyncs}"
    );
    let scan = scan_wal(&vfs, dir, &WalStart::without_snapshot(), false).unwrap();
    assert_eq!(scan.records.len(), 800);
}

#[test]
fn a_failed_fsync_refuses_every_later_commit() {
    let (vfs, dir) = setup();
    let wal = Wal::create(Arc::new(vfs.clone()), dir, 1, SyncPolicy::Always, 1 << 20).unwrap();
    let lsn = wal.append(&encoded(&commit(1))).unwrap();
    vfs.set_fault(Some(Fault {
        at_op: vfs.ops(),
        kind: FaultKind::Eio,
        persistent: false,
    }));
    assert!(wal.commit_durable(lsn).is_err());
    assert!(
        wal.append(&encoded(&commit(2))).is_err(),
        "poisoned after a failed fsync"
    );
    assert!(wal.commit_durable(lsn).is_err());
}

#[test]
fn torn_tail_is_cut_and_mid_log_damage_is_corruption() {
    let (vfs, dir) = setup();
    let wal = Wal::create(Arc::new(vfs.clone()), dir, 1, SyncPolicy::Off, 1 << 20).unwrap();
    for ts in 1..=3 {
        wal.append(&encoded(&commit(ts))).unwrap();
    }
    let path = dir.join(segment_name(1));
    let good = vfs.read(&path).unwrap();
    let mut torn = good.clone();
    torn.truncate(good.len() - 3);
    vfs.poke(&path, torn).unwrap();
    let scan = scan_wal(&vfs, dir, &WalStart::without_snapshot(), false).unwrap();
    assert_eq!(scan.records.len(), 2);
    assert!(scan.truncated_bytes > 0);
    let mut damaged = good.clone();
    damaged[WAL_MAGIC.len() + 9] ^= 0x40;
    vfs.poke(&path, damaged).unwrap();
    let error = scan_wal(&vfs, dir, &WalStart::without_snapshot(), false).unwrap_err();
    assert_eq!(error.kind, StorageErrorKind::Corruption);
    assert!(
        error.message.contains("wal-00000000000000000001.log"),
        "{}",
        error.message
    );
    assert!(error.message.contains("offset 8"), "{}", error.message);
    let salvaged = scan_wal(&vfs, dir, &WalStart::without_snapshot(), true).unwrap();
    assert_eq!(salvaged.records.len(), 0);
    assert_eq!(salvaged.salvaged.len(), 1);
}
