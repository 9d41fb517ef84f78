//! Checkpoint snapshots: every table's definition and visible rows as of one MVCC snapshot,
//! written while writers go on. A file `snap-<ts>.snap` is an 8-byte magic followed by
//! framed blocks (the WAL's `[len][crc32][payload]` framing): a header (format version,
//! timestamp, first WAL segment not covered), table definitions, row blocks, and an end
//! block with the block count. It is written to a temp file, fsynced, renamed into place and
//! the directory fsynced; a file missing its end block or failing any check is not valid. A
//! writer dropped before `finish` succeeded (a failed write, a full disk) removes its temp
//! file, so a failed checkpoint does not keep the space it took.

use std::path::{Path, PathBuf};

use crossbeam_epoch as epoch;

use crate::error::{StorageError, StorageErrorKind, StorageResult};
use crate::limits::{FRAME_PAYLOAD_BYTES_MAX, ROW_BYTES_MAX, TABLE_SLOTS_MAX, WAL_TEXT_BYTES_MAX};
use crate::mvcc::{Table, Transaction};
use crate::row::write_varint;
use crate::vfs::Vfs;
use crate::wal::frame::{encode_frame, frame_at, FrameAt};
use crate::wal::record::{write_bytes, Reader};

/// First bytes of every snapshot file.
pub const SNAPSHOT_MAGIC: &[u8; 8] = b"EMBRSNP1";
const FORMAT_VERSION: u64 = 1;
const BLOCK_HEADER: u8 = 1;
const BLOCK_TABLE: u8 = 2;
const BLOCK_ROWS: u8 = 3;
const BLOCK_SCHEMA_SQL: u8 = 4;
const BLOCK_END: u8 = 5;
/// A row block is closed once its payload passes this many bytes.
const ROWS_BLOCK_BYTES: usize = 1 << 20;

pub fn snapshot_name(ts: u64) -> String {
    format!("snap-{ts:020}.snap")
}

/// Timestamps of the snapshot files in `dir`, ascending.
pub fn snapshot_timestamps(vfs: &dyn Vfs, dir: &Path) -> StorageResult<Vec<u64>> {
    let names = vfs
        .list(dir)
        .map_err(|e| StorageError::io(format!("listing {}", dir.display()), &e))?;
    let mut found: Vec<u64> = names
        .iter()
        .filter_map(|n| n.strip_prefix("snap-")?.strip_suffix(".snap")?.parse().ok())
        .collect();
    found.sort_unstable();
    Ok(found)
}

/// Streams a snapshot into a temp file; `finish` makes it durable under its real name.
pub struct SnapshotWriter<'v> {
    vfs: &'v dyn Vfs,
    dir: PathBuf,
    temp: PathBuf,
    ts: u64,
    buffer: Vec<u8>,
    blocks: u64,
    /// Set once the file is in place under its real name.
    finished: bool,
}

impl Drop for SnapshotWriter<'_> {
    fn drop(&mut self) {
        if !self.finished {
            // Best effort: a temp file left behind is removed at the next open.
            let _ = self.vfs.remove(&self.temp);
        }
    }
}

impl<'v> SnapshotWriter<'v> {
    pub fn new(vfs: &'v dyn Vfs, dir: &Path, ts: u64, wal_start: u64) -> StorageResult<Self> {
        let temp = dir.join(format!("{}.tmp", snapshot_name(ts)));
        let mut writer = SnapshotWriter {
            vfs,
            dir: dir.to_path_buf(),
            temp,
            ts,
            buffer: Vec::new(),
            blocks: 0,
            finished: false,
        };
        vfs.write_new(&writer.temp, SNAPSHOT_MAGIC)
            .map_err(|e| StorageError::io(format!("creating {}", writer.temp.display()), &e))?;
        let mut header = vec![BLOCK_HEADER];
        write_varint(FORMAT_VERSION, &mut header);
        write_varint(ts, &mut header);
        write_varint(wal_start, &mut header);
        writer.block(&header)?;
        Ok(writer)
    }

    fn block(&mut self, payload: &[u8]) -> StorageResult<()> {
        encode_frame(payload, &mut self.buffer);
        self.blocks += 1;
        if self.buffer.len() >= ROWS_BLOCK_BYTES {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> StorageResult<()> {
        let result = self.vfs.append(&self.temp, &self.buffer);
        self.buffer.clear();
        result.map_err(|e| StorageError::io(format!("writing {}", self.temp.display()), &e))
    }

    /// A table definition: its id in the WAL, its name and its CREATE statement.
    pub fn table(&mut self, table_id: u64, name: &str, sql: &str) -> StorageResult<()> {
        let mut block = vec![BLOCK_TABLE];
        write_varint(table_id, &mut block);
        write_bytes(name.as_bytes(), &mut block);
        write_bytes(sql.as_bytes(), &mut block);
        self.block(&block)
    }

    /// Another schema statement (e.g. CREATE INDEX), replayed after the tables.
    pub fn schema_sql(&mut self, sql: &str) -> StorageResult<()> {
        let mut block = vec![BLOCK_SCHEMA_SQL];
        write_bytes(sql.as_bytes(), &mut block);
        self.block(&block)
    }

    /// Every row of `table` that `txn` sees, with its slot id.
    pub fn rows(&mut self, txn: &Transaction, table: &Table) -> StorageResult<u64> {
        let snapshot = txn.snapshot();
        let mut rows_written = 0;
        let mut block = Vec::new();
        let mut count = 0u64;
        let mut entries = Vec::new();
        let flush_rows = |writer: &mut Self, entries: &mut Vec<u8>, count: &mut u64| {
            block.clear();
            block.push(BLOCK_ROWS);
            write_varint(table.id(), &mut block);
            write_varint(*count, &mut block);
            block.extend_from_slice(entries);
            entries.clear();
            *count = 0;
            writer.block(&block)
        };
        let mut flush_rows = flush_rows;
        for row in 0..table.slot_count() {
            let guard = epoch::pin();
            let Some(payload) = table.visible_payload(row, &snapshot, &guard) else {
                continue;
            };
            write_varint(row, &mut entries);
            write_bytes(payload, &mut entries);
            count += 1;
            rows_written += 1;
            if entries.len() >= ROWS_BLOCK_BYTES {
                flush_rows(self, &mut entries, &mut count)?;
            }
        }
        if count > 0 {
            flush_rows(self, &mut entries, &mut count)?;
        }
        Ok(rows_written)
    }

    /// Writes the end block, syncs, renames into place and syncs the directory.
    pub fn finish(mut self) -> StorageResult<PathBuf> {
        let mut end = vec![BLOCK_END];
        write_varint(self.blocks + 1, &mut end);
        self.block(&end)?;
        self.flush()?;
        let path = self.dir.join(snapshot_name(self.ts));
        let io = |what: &str, e: std::io::Error| StorageError::io(what, &e);
        self.vfs
            .sync(&self.temp)
            .map_err(|e| io(&format!("syncing {}", self.temp.display()), e))?;
        self.vfs
            .rename(&self.temp, &path)
            .map_err(|e| io(&format!("renaming {}", self.temp.display()), e))?;
        self.finished = true;
        self.vfs
            .sync_dir(&self.dir)
            .map_err(|e| io(&format!("syncing {}", self.dir.display()), e))?;
        Ok(path)
    }
}

/// One table read back from a snapshot.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct SnapshotTable {
    pub table_id: u64,
    pub name: String,
    pub sql: String,
    /// (slot id, payload) pairs.
    pub rows: Vec<(u64, Vec<u8>)>,
}

/// A snapshot file's content.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct LoadedSnapshot {
    pub ts: u64,
    pub wal_start: u64,
    pub tables: Vec<SnapshotTable>,
    pub schema_sql: Vec<String>,
}

fn corrupt(path: &Path, offset: usize, what: &str) -> StorageError {
    StorageError::new(
        StorageErrorKind::Corruption,
        format!(
            "snapshot file {} is corrupt at offset {offset}: {what}",
            path.display()
        ),
    )
}

/// Parses and checks a whole snapshot file.
pub fn read_snapshot(bytes: &[u8], path: &Path) -> StorageResult<LoadedSnapshot> {
    if !bytes.starts_with(SNAPSHOT_MAGIC) {
        return Err(corrupt(path, 0, "bad magic"));
    }
    let mut snapshot = LoadedSnapshot::default();
    let mut pos = SNAPSHOT_MAGIC.len();
    let mut blocks = 0u64;
    let mut rows_total = 0u64;
    loop {
        let (payload, next) = match frame_at(bytes, pos, FRAME_PAYLOAD_BYTES_MAX) {
            FrameAt::Valid { payload, next } => (&bytes[payload], next),
            FrameAt::End => return Err(corrupt(path, pos, "no end block")),
            FrameAt::Bad(reason) => return Err(corrupt(path, pos, reason)),
        };
        blocks += 1;
        let mut reader = Reader::new(payload);
        let fail = |e: StorageError| corrupt(path, pos, &e.message);
        let kind = reader.u8().map_err(fail)?;
        if (blocks == 1) != (kind == BLOCK_HEADER) {
            return Err(corrupt(path, pos, "header block missing or repeated"));
        }
        match kind {
            BLOCK_HEADER => {
                if reader.varint().map_err(fail)? != FORMAT_VERSION {
                    return Err(corrupt(path, pos, "unknown format version"));
                }
                snapshot.ts = reader.varint().map_err(fail)?;
                snapshot.wal_start = reader.varint().map_err(fail)?;
            }
            BLOCK_TABLE => snapshot.tables.push(SnapshotTable {
                table_id: reader.varint().map_err(fail)?,
                name: reader.text(WAL_TEXT_BYTES_MAX).map_err(fail)?,
                sql: reader.text(WAL_TEXT_BYTES_MAX).map_err(fail)?,
                rows: Vec::new(),
            }),
            BLOCK_SCHEMA_SQL => snapshot
                .schema_sql
                .push(reader.text(WAL_TEXT_BYTES_MAX).map_err(fail)?),
            BLOCK_ROWS => {
                let table_id = reader.varint().map_err(fail)?;
                let count = reader.varint().map_err(fail)?;
                let Some(table) = snapshot.tables.iter_mut().find(|t| t.table_id == table_id)
                else {
                    return Err(corrupt(path, pos, "rows for an unknown table"));
                };
                rows_total = rows_total.saturating_add(count);
                if count > payload.len() as u64 || rows_total > TABLE_SLOTS_MAX {
                    return Err(corrupt(path, pos, "row count past the block or the limit"));
                }
                for _ in 0..count {
                    let row = reader.varint().map_err(fail)?;
                    let bytes = reader.bytes(ROW_BYTES_MAX).map_err(fail)?;
                    table.rows.push((row, bytes.to_vec()));
                }
            }
            BLOCK_END => {
                if reader.varint().map_err(fail)? != blocks {
                    return Err(corrupt(path, pos, "block count mismatch"));
                }
                reader.finish().map_err(fail)?;
                if next != bytes.len() {
                    return Err(corrupt(path, next, "bytes after the end block"));
                }
                return Ok(snapshot);
            }
            _ => return Err(corrupt(path, pos, "unknown block kind")),
        }
        reader.finish().map_err(fail)?;
        pos = next;
    }
}

#[cfg(test)]
mod tests;
