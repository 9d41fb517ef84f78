//! Snapshot file tests: a written snapshot reads back equal, and every truncation or bit flip
//! is reported as corruption (or, for flips that keep every check passing, never happens), and
//! a snapshot that fails midway leaves no temp file.

use std::path::Path;
use std::sync::Arc;

use super::*;
use crate::mvcc::TableSchema;
use crate::store::Store;
use crate::value::{DataType, Value};
use crate::vfs::SimVfs;

/// A snapshot (commit 5, WAL from segment 3) of a table `t(a INTEGER PRIMARY KEY, b TEXT)`
/// holding `rows` rows, written to /db in a new simulated file system; and its path.
fn written_snapshot(rows: i64) -> (SimVfs, std::path::PathBuf) {
    let store = Store::new();
    let table = store.create_table(TableSchema {
        types: vec![DataType::Integer, DataType::Text],
        key_columns: vec![0],
        added: Vec::new(),
    });
    let mut txn = store.begin().unwrap();
    for i in 0..rows {
        txn.insert(
            &table,
            &[Value::Integer(i), Value::Text(format!("row {i}"))],
        )
        .unwrap();
    }
    txn.commit().unwrap();
    let vfs = SimVfs::new();
    let dir = Path::new("/db");
    vfs.create_dir_all(dir).unwrap();
    let reader = store.begin().unwrap();
    let mut writer = SnapshotWriter::new(&vfs, dir, 5, 3).unwrap();
    writer
        .table(
            table.id(),
            "t",
            "CREATE TABLE t(a INTEGER PRIMARY KEY, b TEXT)",
        )
        .unwrap();
    assert_eq!(
        writer.rows(&reader, &Arc::clone(&table)).unwrap(),
        rows as u64
    );
    let path = writer.finish().unwrap();
    (vfs, path)
}

#[test]
fn snapshot_round_trips_and_damage_is_detected() {
    let (vfs, path) = written_snapshot(50);
    let dir = Path::new("/db");
    assert_eq!(snapshot_timestamps(&vfs, dir).unwrap(), vec![5]);
    let bytes = vfs.read(&path).unwrap();
    let loaded = read_snapshot(&bytes, &path).unwrap();
    assert_eq!((loaded.ts, loaded.wal_start), (5, 3));
    assert_eq!(loaded.tables[0].rows.len(), 50);
    for cut in 0..bytes.len() {
        let error = read_snapshot(&bytes[..cut], &path).unwrap_err();
        assert_eq!(error.kind, StorageErrorKind::Corruption);
    }
    for bit in (0..bytes.len() * 8).step_by(7) {
        let mut flipped = bytes.clone();
        flipped[bit / 8] ^= 1 << (bit % 8);
        assert!(read_snapshot(&flipped, &path).is_err(), "bit {bit}");
    }
}

#[test]
fn a_snapshot_that_fails_on_a_full_disk_removes_its_temp_file() {
    let store = Store::new();
    let table = store.create_table(TableSchema {
        types: vec![DataType::Integer, DataType::Text],
        key_columns: vec![0],
        added: Vec::new(),
    });
    let mut txn = store.begin().unwrap();
    for i in 0..2_000 {
        txn.insert(&table, &[Value::Integer(i), Value::Text("x".repeat(600))])
            .unwrap();
    }
    txn.commit().unwrap();
    let vfs = SimVfs::new();
    let dir = Path::new("/db");
    vfs.create_dir_all(dir).unwrap();
    vfs.set_capacity(Some(256 << 10));
    let reader = store.begin().unwrap();
    let mut writer = SnapshotWriter::new(&vfs, dir, 5, 3).unwrap();
    writer
        .table(table.id(), "t", "CREATE TABLE t(a INT, b TEXT)")
        .unwrap();
    let error = writer.rows(&reader, &table).unwrap_err();
    assert_eq!(error.kind, StorageErrorKind::Io, "{error}");
    drop(writer);
    assert_eq!(
        vfs.list(dir).unwrap(),
        Vec::<String>::new(),
        "temp file removed"
    );
    assert_eq!(vfs.used_bytes(), 0);
}

#[test]
fn older_format_versions_still_read_and_newer_ones_are_refused() {
    let (vfs, path) = written_snapshot(1);
    let bytes = vfs.read(&path).unwrap();
    // The header frame: magic, length, CRC, then the block kind and the format version.
    let header = SNAPSHOT_MAGIC.len();
    let len = u32::from_le_bytes(bytes[header..header + 4].try_into().unwrap()) as usize;
    let payload = header + 8..header + 8 + len;
    assert_eq!(bytes[payload.start..payload.start + 2], [BLOCK_HEADER, 4]);
    let with_version = |version: u8| {
        let mut patched = bytes.clone();
        patched[payload.start + 1] = version;
        let crc = crc32fast::hash(&patched[payload.clone()]);
        patched[header + 4..header + 8].copy_from_slice(&crc.to_le_bytes());
        patched
    };
    let loaded = read_snapshot(&with_version(2), &path).unwrap();
    assert_eq!(loaded.tables[0].rows.len(), 1);
    let error = read_snapshot(&with_version(5), &path).unwrap_err();
    assert_eq!(error.kind, StorageErrorKind::Corruption);
    assert!(
        error.message.contains("unknown format version"),
        "{}",
        error.message
    );
}
