//! Checkpoint snapshots: every table's definition and visible rows as of one MVCC snapshot,
//! written while writers go on. A file `snap-<ts>.snap` is an 8-byte magic followed by
//! framed blocks (the WAL's `[len][crc32][payload]` framing): a header (format version,
//! timestamp, first WAL segment not covered), table definitions, row blocks, and an end
//! block with the block count. It is written to a temp file, fsynced, renamed into place and
//! the directory fsynced; a file missing its end block or failing any check is not valid. A
//! writer dropped before `finish` succeeded (a failed write, a full disk) removes its temp
//! file, so a failed checkpoint does not keep the space it took.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::error::{StorageError, StorageErrorKind, StorageResult};
use crate::limits::{FRAME_PAYLOAD_BYTES_MAX, ROW_BYTES_MAX, TABLE_SLOTS_MAX, WAL_TEXT_BYTES_MAX};
use crate::mvcc::{Table, Transaction};
use crate::row::RowFormat;
use crate::vfs::Vfs;
use crate::wal::frame::{frame_at, FrameAt};
use crate::wal::record::Reader;

mod backup;
mod encode;

pub use backup::{read_backup, BackupTrailer, BackupWriter, BACKUP_MAGIC, BACKUP_TRAILER_BYTES};
pub use encode::{ImageSummary, SnapshotEncoder};

/// First bytes of every snapshot file.
pub const SNAPSHOT_MAGIC: &[u8; 8] = b"EMBRSNP1";
/// Format 2 added the creation time to the header; format 3 changed the row payloads to the
/// compact REAL encoding (`row/real.rs`; formats 1-2 hold REALs as 8 bytes, `RowFormat::
/// FixedReals`), and from it a clustered table's row may leave its key out of the payload
/// (`TableSchema::encode_into`: the row id the file names is the key). Files of every
/// format still read; builds before format 3 refuse it. Format 4 encodes a column declared
/// `BLOB` as an `Any` column (formats 1-3 typed it `Blob`: `RowFormat::BlobTypedColumns`);
/// builds before it refuse it.
const FORMAT_VERSION: u64 = 4;
/// The first format whose row payloads encode REALs compactly.
const COMPACT_REALS_VERSION: u64 = 3;
/// The first format whose columns declared `BLOB` are `Any` columns.
const UNTYPED_BLOB_COLUMNS_VERSION: u64 = 4;
const BLOCK_HEADER: u8 = 1;
const BLOCK_TABLE: u8 = 2;
const BLOCK_ROWS: u8 = 3;
const BLOCK_SCHEMA_SQL: u8 = 4;
const BLOCK_END: u8 = 5;

pub fn snapshot_name(ts: u64) -> String {
    format!("snap-{ts:020}.snap")
}

/// Milliseconds since the Unix epoch now (0 if the clock is before it).
pub fn unix_ms_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| {
            u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX)
        })
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

/// `Write` by appending to one file through a `Vfs`.
pub struct VfsAppend<'v> {
    vfs: &'v dyn Vfs,
    path: PathBuf,
}

impl Write for VfsAppend<'_> {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.vfs.append(&self.path, bytes)?;
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Streams a snapshot into a temp file; `finish` makes it durable under its real name.
pub struct SnapshotWriter<'v> {
    vfs: &'v dyn Vfs,
    dir: PathBuf,
    temp: PathBuf,
    ts: u64,
    /// Taken only by `finish`, which consumes the writer.
    encoder: Option<SnapshotEncoder<VfsAppend<'v>>>,
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
        vfs.write_new(&temp, &[])
            .map_err(|e| StorageError::io(format!("creating {}", temp.display()), &e))?;
        let out = VfsAppend {
            vfs,
            path: temp.clone(),
        };
        let encoder = SnapshotEncoder::new(
            out,
            temp.display().to_string(),
            ts,
            wal_start,
            unix_ms_now(),
        );
        let encoder = match encoder {
            Ok(encoder) => encoder,
            Err(error) => {
                let _ = vfs.remove(&temp);
                return Err(error);
            }
        };
        Ok(SnapshotWriter {
            vfs,
            dir: dir.to_path_buf(),
            temp,
            ts,
            encoder: Some(encoder),
            finished: false,
        })
    }

    /// The encoder writing the temp file (tables, schema statements, rows).
    pub fn image(&mut self) -> &mut SnapshotEncoder<VfsAppend<'v>> {
        self.encoder
            .as_mut()
            .expect("the encoder is taken only by finish")
    }

    /// A table definition: its id in the WAL, its name and its CREATE statement.
    pub fn table(&mut self, table_id: u64, name: &str, sql: &str) -> StorageResult<()> {
        self.image().table(table_id, name, sql)
    }

    /// Another schema statement (e.g. CREATE INDEX), replayed after the tables.
    pub fn schema_sql(&mut self, sql: &str) -> StorageResult<()> {
        self.image().schema_sql(sql)
    }

    /// Every row of `table` that `txn` sees, with its slot id.
    pub fn rows(&mut self, txn: &Transaction, table: &Table) -> StorageResult<u64> {
        self.image().rows(txn, table)
    }

    /// Writes the end block, syncs, renames into place and syncs the directory; returns the
    /// file's path and what it holds.
    pub fn finish_with_summary(mut self) -> StorageResult<(PathBuf, ImageSummary)> {
        let encoder = self.encoder.take().expect("finish runs once");
        let (_, summary) = encoder.finish()?;
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
        Ok((path, summary))
    }

    /// Writes the end block, syncs, renames into place and syncs the directory.
    pub fn finish(self) -> StorageResult<PathBuf> {
        self.finish_with_summary().map(|(path, _)| path)
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
    /// When it was taken (milliseconds since the Unix epoch); `None` in format 1 files.
    pub created_unix_ms: Option<u64>,
    /// How its row payloads encode REALs (`FixedReals` in formats 1-2): decode them with
    /// `TableSchema::decode_stored`.
    pub row_format: RowFormat,
    pub tables: Vec<SnapshotTable>,
    pub schema_sql: Vec<String>,
    /// Rows in all tables (also when the rows themselves were not kept).
    pub rows: u64,
}

fn corrupt(name: &str, offset: usize, what: &str) -> StorageError {
    StorageError::new(
        StorageErrorKind::Corruption,
        format!("{name} is corrupt at offset {offset}: {what}"),
    )
}

/// Parses and checks a whole snapshot file.
pub fn read_snapshot(bytes: &[u8], path: &Path) -> StorageResult<LoadedSnapshot> {
    let name = format!("snapshot file {}", path.display());
    parse_image(bytes, 0, bytes.len(), &name, true)
}

/// Checks a whole snapshot file and reads its header and counts, not its rows.
pub fn read_snapshot_summary(bytes: &[u8], path: &Path) -> StorageResult<LoadedSnapshot> {
    let name = format!("snapshot file {}", path.display());
    parse_image(bytes, 0, bytes.len(), &name, false)
}

/// Parses and checks the snapshot image `bytes[start..end]`; errors name `name` and the
/// offset in `bytes`. Rows are kept only if `keep_rows`.
fn parse_image(
    bytes: &[u8],
    start: usize,
    end: usize,
    name: &str,
    keep_rows: bool,
) -> StorageResult<LoadedSnapshot> {
    debug_assert!(start <= end && end <= bytes.len());
    let bytes = &bytes[..end];
    if !bytes[start..].starts_with(SNAPSHOT_MAGIC) {
        return Err(corrupt(name, start, "bad magic"));
    }
    let mut snapshot = LoadedSnapshot::default();
    let mut pos = start + SNAPSHOT_MAGIC.len();
    let mut blocks = 0u64;
    loop {
        let (payload, next) = match frame_at(bytes, pos, FRAME_PAYLOAD_BYTES_MAX) {
            FrameAt::Valid { payload, next } => (&bytes[payload], next),
            FrameAt::End => return Err(corrupt(name, pos, "no end block")),
            FrameAt::Bad(reason) => return Err(corrupt(name, pos, reason)),
        };
        blocks += 1;
        let mut reader = Reader::new(payload);
        let fail = |e: StorageError| corrupt(name, pos, &e.message);
        let kind = reader.u8().map_err(fail)?;
        if (blocks == 1) != (kind == BLOCK_HEADER) {
            return Err(corrupt(name, pos, "header block missing or repeated"));
        }
        match kind {
            BLOCK_HEADER => {
                let version = reader.varint().map_err(fail)?;
                if !(1..=FORMAT_VERSION).contains(&version) {
                    return Err(corrupt(name, pos, "unknown format version"));
                }
                snapshot.row_format = if version >= UNTYPED_BLOB_COLUMNS_VERSION {
                    RowFormat::Current
                } else if version >= COMPACT_REALS_VERSION {
                    RowFormat::BlobTypedColumns
                } else {
                    RowFormat::FixedReals
                };
                snapshot.ts = reader.varint().map_err(fail)?;
                snapshot.wal_start = reader.varint().map_err(fail)?;
                if version >= 2 {
                    snapshot.created_unix_ms = Some(reader.varint().map_err(fail)?);
                }
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
                    return Err(corrupt(name, pos, "rows for an unknown table"));
                };
                snapshot.rows = snapshot.rows.saturating_add(count);
                if count > payload.len() as u64 || snapshot.rows > TABLE_SLOTS_MAX {
                    return Err(corrupt(name, pos, "row count past the block or the limit"));
                }
                for _ in 0..count {
                    let row = reader.varint().map_err(fail)?;
                    let bytes = reader.bytes(ROW_BYTES_MAX).map_err(fail)?;
                    if keep_rows {
                        table.rows.push((row, bytes.to_vec()));
                    }
                }
            }
            BLOCK_END => {
                if reader.varint().map_err(fail)? != blocks {
                    return Err(corrupt(name, pos, "block count mismatch"));
                }
                reader.finish().map_err(fail)?;
                if next != bytes.len() {
                    return Err(corrupt(name, next, "bytes after the end block"));
                }
                return Ok(snapshot);
            }
            _ => return Err(corrupt(name, pos, "unknown block kind")),
        }
        reader.finish().map_err(fail)?;
        pos = next;
    }
}

#[cfg(test)]
mod tests;
