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
    let wal = Wal::create(Arc::new(vfs.clone()), dir, 1, SyncPolicy::Always, 1 << 20).unwrap();
    for ts in 1..=3 {
        let lsn = wal.append(&encoded(&commit(ts))).unwrap();
        wal.commit_durable(lsn).unwrap();
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

/// A log of `commits` records over segments of at most `segment_bytes`.
fn rolled_log(commits: u64, segment_bytes: u64) -> (SimVfs, &'static Path, Vec<u64>) {
    let (vfs, dir) = setup();
    let wal = Wal::create(
        Arc::new(vfs.clone()),
        dir,
        1,
        SyncPolicy::Always,
        segment_bytes,
    )
    .unwrap();
    for ts in 1..=commits {
        let lsn = wal.append(&encoded(&commit(ts))).unwrap();
        wal.commit_durable(lsn).unwrap();
    }
    let segments = segment_indexes(&vfs, dir).unwrap();
    (vfs, dir, segments)
}

#[test]
fn a_rolled_segment_ends_with_a_mark_and_losing_its_successor_is_corruption() {
    let (vfs, dir, segments) = rolled_log(7, 64);
    assert!(segments.len() >= 3, "{segments:?}");
    let last = *segments.last().unwrap();
    let scan = scan_wal(&vfs, dir, &WalStart::without_snapshot(), false).unwrap();
    assert_eq!(
        scan.records,
        (1..=7).map(commit).collect::<Vec<_>>(),
        "marks are not replayed"
    );
    let in_last = scan.record_segments.iter().filter(|s| **s == last).count();
    vfs.remove(&dir.join(segment_name(last))).unwrap();
    let error = scan_wal(&vfs, dir, &WalStart::without_snapshot(), false).unwrap_err();
    assert_eq!(error.kind, StorageErrorKind::Corruption);
    let missing = format!("{} is missing", segment_name(last));
    assert!(error.message.contains(&missing), "{}", error.message);
    let salvaged = scan_wal(&vfs, dir, &WalStart::without_snapshot(), true).unwrap();
    assert_eq!(salvaged.records.len(), 7 - in_last);
    assert_eq!(salvaged.salvaged.len(), 1);
}

#[test]
fn a_torn_mark_before_an_empty_last_segment_is_a_crash_but_a_cut_record_is_damage() {
    // Two commits (26-byte frames) fit a segment of 80 bytes, the third rolls the log.
    let (vfs, dir, segments) = rolled_log(3, 80);
    assert_eq!(segments, vec![1, 2]);
    let first = dir.join(segment_name(1));
    let second = dir.join(segment_name(2));
    let whole = vfs.read(&first).unwrap();
    // Segment 2 holds commit 3: cut it back to its header, what a crash right after the
    // roll leaves.
    let header_end = match frame::frame_at(&vfs.read(&second).unwrap(), 8, 1 << 20) {
        frame::FrameAt::Valid { next, .. } => next,
        other => panic!("{other:?}"),
    };
    let header = vfs.read(&second).unwrap()[..header_end].to_vec();
    vfs.poke(&second, header).unwrap();
    // The mark torn (its last 3 bytes lost): a crash while it was written.
    vfs.poke(&first, whole[..whole.len() - 3].to_vec()).unwrap();
    let scan = scan_wal(&vfs, dir, &WalStart::without_snapshot(), false).unwrap();
    assert_eq!(scan.records, vec![commit(1), commit(2)]);
    assert_eq!(
        scan.truncated_bytes,
        whole.len() as u64 - 3 - mark_start(&whole)
    );
    // Cut inside commit 2 instead: it was synced before the roll, so that is damage.
    vfs.poke(&first, whole[..mark_start(&whole) as usize - 5].to_vec())
        .unwrap();
    let error = scan_wal(&vfs, dir, &WalStart::without_snapshot(), false).unwrap_err();
    assert_eq!(
        error.kind,
        StorageErrorKind::Corruption,
        "{}",
        error.message
    );
    // And a cut at a record boundary with the mark gone: the next segment says where the
    // records ended.
    let after_commit_one = {
        let mut pos = 8;
        if let frame::FrameAt::Valid { next, .. } = frame::frame_at(&whole, pos, 1 << 20) {
            pos = next;
        }
        pos
    };
    vfs.poke(&first, whole[..after_commit_one].to_vec())
        .unwrap();
    let error = scan_wal(&vfs, dir, &WalStart::without_snapshot(), false).unwrap_err();
    assert!(error.message.contains("says they end"), "{}", error.message);
}

/// Where a segment's final frame (its `SegmentEnd`) starts.
fn mark_start(bytes: &[u8]) -> u64 {
    let mut pos = WAL_MAGIC.len();
    let mut last = pos;
    while let frame::FrameAt::Valid { next, .. } = frame::frame_at(bytes, pos, 1 << 20) {
        last = pos;
        pos = next;
    }
    last as u64
}

#[test]
fn a_roll_or_append_refused_by_a_full_disk_leaves_the_log_usable() {
    let (vfs, dir) = setup();
    let wal = Wal::create(Arc::new(vfs.clone()), dir, 1, SyncPolicy::Always, 64).unwrap();
    let lsn = wal.append(&encoded(&commit(1))).unwrap();
    wal.commit_durable(lsn).unwrap();
    vfs.set_capacity(Some(vfs.used_bytes() + 3));
    assert!(wal
        .append(&encoded(&commit(2)))
        .unwrap_err()
        .message
        .contains("disk full"));
    assert!(!wal.is_failed());
    vfs.set_capacity(None);
    let lsn = wal.append(&encoded(&commit(3))).unwrap();
    wal.commit_durable(lsn).unwrap();
    let scan = scan_wal(&vfs, dir, &WalStart::without_snapshot(), false).unwrap();
    assert_eq!(scan.records, vec![commit(1), commit(3)]);
}

/// Offsets where the frames of a segment start.
fn frame_starts(bytes: &[u8]) -> Vec<usize> {
    let mut starts = Vec::new();
    let mut pos = WAL_MAGIC.len();
    while let frame::FrameAt::Valid { next, .. } = frame::frame_at(bytes, pos, 1 << 20) {
        starts.push(pos);
        pos = next;
    }
    starts
}

#[test]
fn unsynced_frames_may_reach_the_disk_out_of_order_but_synced_ones_may_not() {
    let (vfs, dir) = setup();
    let wal = Wal::create(Arc::new(vfs.clone()), dir, 1, SyncPolicy::Always, 1 << 20).unwrap();
    let lsn = wal.append(&encoded(&commit(1))).unwrap();
    wal.commit_durable(lsn).unwrap();
    // Commits 2 and 3 appended, not yet synced: a crash may keep 3's bytes and lose 2's.
    wal.append(&encoded(&commit(2))).unwrap();
    let lsn = wal.append(&encoded(&commit(3))).unwrap();
    let path = dir.join(segment_name(1));
    let bytes = vfs.read(&path).unwrap();
    let starts = frame_starts(&bytes);
    let mut lost_middle = bytes.clone();
    lost_middle[starts[1]..starts[2]].fill(0);
    vfs.poke(&path, lost_middle).unwrap();
    let scan = scan_wal(&vfs, dir, &WalStart::without_snapshot(), false).unwrap();
    assert_eq!(
        scan.records,
        vec![commit(1)],
        "cut where the unsynced pages start"
    );
    vfs.poke(&path, bytes).unwrap();
    // Once synced and acknowledged, and the log closed cleanly, the same loss is damage.
    wal.commit_durable(lsn).unwrap();
    wal.close().unwrap();
    let mut damaged = vfs.read(&path).unwrap();
    damaged[starts[1]..starts[2]].fill(0);
    vfs.poke(&path, damaged).unwrap();
    let error = scan_wal(&vfs, dir, &WalStart::without_snapshot(), false).unwrap_err();
    assert_eq!(
        error.kind,
        StorageErrorKind::Corruption,
        "{}",
        error.message
    );
}

#[test]
fn each_record_carries_its_segments_row_format() {
    use crate::row::RowFormat;
    let (vfs, dir, segments) = rolled_log(7, 64);
    assert!(segments.len() >= 3, "{segments:?}");
    // The first segment as an older version wrote it: the second format's frames are the
    // current ones, only the magic (and so the row payloads' REALs) differs.
    let first = dir.join(segment_name(segments[0]));
    let mut bytes = vfs.read(&first).unwrap();
    bytes[..8].copy_from_slice(WAL_MAGIC_V2);
    vfs.poke(&first, bytes).unwrap();
    let scan = scan_wal(&vfs, dir, &WalStart::without_snapshot(), false).unwrap();
    assert_eq!(scan.records, (1..=7).map(commit).collect::<Vec<_>>());
    assert_eq!(scan.record_row_formats.len(), scan.records.len());
    for (segment, format) in scan.record_segments.iter().zip(&scan.record_row_formats) {
        let expected = if *segment == segments[0] {
            RowFormat::FixedReals
        } else {
            RowFormat::Current
        };
        assert_eq!(*format, expected, "segment {segment}");
    }
    assert!(scan.record_row_formats.contains(&RowFormat::FixedReals));
    assert!(scan.record_row_formats.contains(&RowFormat::Current));
    // New segments are written with the current magic.
    let last = dir.join(segment_name(*segments.last().unwrap()));
    assert!(vfs.read(&last).unwrap().starts_with(WAL_MAGIC));
}

#[test]
fn segments_of_older_formats_still_read_and_unknown_magics_do_not() {
    let (vfs, dir) = setup();
    let wal = Wal::create(Arc::new(vfs.clone()), dir, 1, SyncPolicy::Always, 1 << 20).unwrap();
    for ts in 1..=3 {
        let lsn = wal.append(&encoded(&commit(ts))).unwrap();
        wal.commit_durable(lsn).unwrap();
    }
    drop(wal);
    let path = dir.join(segment_name(1));
    let current = vfs.read(&path).unwrap();
    assert!(current.starts_with(WAL_MAGIC));
    let with_magic = |magic: &[u8; 8]| {
        let mut bytes = current.clone();
        bytes[..8].copy_from_slice(magic);
        vfs.poke(&path, bytes).unwrap();
        scan_wal(&vfs, dir, &WalStart::without_snapshot(), false)
    };
    let scan = with_magic(WAL_MAGIC_V3).unwrap();
    assert_eq!(
        scan.record_row_formats,
        vec![crate::row::RowFormat::BlobTypedColumns; 3]
    );
    let scan = with_magic(WAL_MAGIC_V2).unwrap();
    assert_eq!(scan.records.len(), 3);
    assert_eq!(segment_records(&vfs.read(&path).unwrap()).len(), 3);
    let error = with_magic(b"EMBRWAL9").unwrap_err();
    assert_eq!(
        error.kind,
        StorageErrorKind::Corruption,
        "{}",
        error.message
    );
}
