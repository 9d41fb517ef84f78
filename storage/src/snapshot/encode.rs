//! The snapshot image encoder over any `std::io::Write`: the 8-byte magic, the header block
//! (format version, commit timestamp, first WAL segment not covered, creation time), table
//! definitions, schema statements, row blocks and the end block, each one frame. Checkpoints
//! write it into a temp file (`SnapshotWriter`), backups into the caller's writer
//! (`BackupWriter`); both are the same bytes. It keeps a CRC-32 and a byte count of what it
//! wrote, so a backup's trailer can vouch for the whole image.

use std::io::Write;

use crossbeam_epoch as epoch;

use crate::error::{StorageError, StorageResult};
use crate::mvcc::{Table, Transaction};
use crate::row::write_varint;
use crate::wal::frame::encode_frame;
use crate::wal::record::write_bytes;

use super::{
    BLOCK_END, BLOCK_HEADER, BLOCK_ROWS, BLOCK_SCHEMA_SQL, BLOCK_TABLE, FORMAT_VERSION,
    SNAPSHOT_MAGIC,
};

/// A block (and a row block's entries) is flushed once its buffer passes this many bytes.
const ROWS_BLOCK_BYTES: usize = 1 << 20;

/// What an encoder wrote, once finished.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImageSummary {
    /// Bytes of the image, magic included.
    pub bytes: u64,
    /// CRC-32 (IEEE) of those bytes.
    pub crc: u32,
    /// Table definitions written.
    pub tables: u64,
    /// Rows written.
    pub rows: u64,
    /// When the image was started (milliseconds since the Unix epoch).
    pub created_unix_ms: u64,
}

/// Streams one snapshot image into `out`.
pub struct SnapshotEncoder<W: Write> {
    out: W,
    /// Names the destination in error messages.
    target: String,
    buffer: Vec<u8>,
    blocks: u64,
    bytes: u64,
    crc: crc32fast::Hasher,
    tables: u64,
    rows: u64,
    created_unix_ms: u64,
}

impl<W: Write> SnapshotEncoder<W> {
    /// Starts an image as of commit `ts`; `wal_start` is the first WAL segment it does not
    /// cover (0 for a backup, which belongs to no log), `created_unix_ms` when it was taken.
    pub fn new(
        out: W,
        target: String,
        ts: u64,
        wal_start: u64,
        created_unix_ms: u64,
    ) -> StorageResult<Self> {
        let mut encoder = SnapshotEncoder {
            out,
            target,
            buffer: SNAPSHOT_MAGIC.to_vec(),
            blocks: 0,
            bytes: 0,
            crc: crc32fast::Hasher::new(),
            tables: 0,
            rows: 0,
            created_unix_ms,
        };
        let mut header = vec![BLOCK_HEADER];
        write_varint(FORMAT_VERSION, &mut header);
        write_varint(ts, &mut header);
        write_varint(wal_start, &mut header);
        write_varint(created_unix_ms, &mut header);
        encoder.block(&header)?;
        Ok(encoder)
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
        if self.buffer.is_empty() {
            return Ok(());
        }
        self.crc.update(&self.buffer);
        self.bytes += self.buffer.len() as u64;
        let result = self.out.write_all(&self.buffer);
        self.buffer.clear();
        result.map_err(|e| StorageError::io(format!("writing {}", self.target), &e))
    }

    /// A table definition: its id in the WAL, its name and its CREATE statement.
    pub fn table(&mut self, table_id: u64, name: &str, sql: &str) -> StorageResult<()> {
        let mut block = vec![BLOCK_TABLE];
        write_varint(table_id, &mut block);
        write_bytes(name.as_bytes(), &mut block);
        write_bytes(sql.as_bytes(), &mut block);
        self.tables += 1;
        self.block(&block)
    }

    /// Another schema statement (e.g. CREATE INDEX), replayed after the tables.
    pub fn schema_sql(&mut self, sql: &str) -> StorageResult<()> {
        let mut block = vec![BLOCK_SCHEMA_SQL];
        write_bytes(sql.as_bytes(), &mut block);
        self.block(&block)
    }

    /// Every row of `table` that `txn` sees, with its slot id; returns how many.
    pub fn rows(&mut self, txn: &Transaction, table: &Table) -> StorageResult<u64> {
        let snapshot = txn.snapshot();
        let mut rows_written = 0;
        let mut count = 0u64;
        let mut entries = Vec::new();
        let rows = table.row_ranges().into_iter().flatten();
        for row in rows {
            let guard = epoch::pin();
            let Some(payload) = table.visible_payload(row, &snapshot, &guard) else {
                continue;
            };
            write_varint(row, &mut entries);
            write_bytes(payload, &mut entries);
            count += 1;
            rows_written += 1;
            if entries.len() >= ROWS_BLOCK_BYTES {
                self.rows_block(table.id(), &mut entries, &mut count)?;
            }
        }
        if count > 0 {
            self.rows_block(table.id(), &mut entries, &mut count)?;
        }
        self.rows += rows_written;
        Ok(rows_written)
    }

    fn rows_block(
        &mut self,
        table_id: u64,
        entries: &mut Vec<u8>,
        count: &mut u64,
    ) -> StorageResult<()> {
        let mut block = Vec::with_capacity(entries.len() + 16);
        block.push(BLOCK_ROWS);
        write_varint(table_id, &mut block);
        write_varint(*count, &mut block);
        block.extend_from_slice(entries);
        entries.clear();
        *count = 0;
        self.block(&block)
    }

    /// Writes the end block and flushes; returns the destination and what was written.
    pub fn finish(mut self) -> StorageResult<(W, ImageSummary)> {
        let mut end = vec![BLOCK_END];
        write_varint(self.blocks + 1, &mut end);
        self.block(&end)?;
        self.flush()?;
        self.out
            .flush()
            .map_err(|e| StorageError::io(format!("writing {}", self.target), &e))?;
        let summary = ImageSummary {
            bytes: self.bytes,
            crc: self.crc.clone().finalize(),
            tables: self.tables,
            rows: self.rows,
            created_unix_ms: self.created_unix_ms,
        };
        Ok((self.out, summary))
    }
}
