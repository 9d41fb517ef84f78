//! Backup files: a snapshot image (the checkpoint format, byte for byte) between a magic and
//! a fixed-size trailer, so one file says what it is and vouches for itself whole. Layout:
//! `EMBRBAK1` (8 bytes), the image (`EMBRSNP1` and its frames, WAL start 0), then the trailer,
//! all integers little-endian: image length u64, CRC-32 of the image u32, commit timestamp
//! u64, tables u64, rows u64, `EMBRBEND` (8 bytes). Reading checks the magic, the end marker,
//! every frame of the image, the image's CRC and every trailer field against the image; any
//! failure is a `Corruption` error naming the byte offset.

use std::io::Write;

use crate::error::{StorageError, StorageErrorKind, StorageResult};

use super::{parse_image, LoadedSnapshot, SnapshotEncoder, SNAPSHOT_MAGIC};

/// First bytes of every backup file.
pub const BACKUP_MAGIC: &[u8; 8] = b"EMBRBAK1";
/// Last bytes of every backup file.
const END_MAGIC: &[u8; 8] = b"EMBRBEND";
/// Bytes of the trailer, end marker included.
pub const BACKUP_TRAILER_BYTES: usize = 8 + 4 + 8 + 8 + 8 + 8;

/// What a backup holds, as its trailer records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BackupTrailer {
    /// The commit timestamp the image is consistent at.
    pub ts: u64,
    /// Tables in the image.
    pub tables: u64,
    /// Rows in the image.
    pub rows: u64,
    /// Bytes of the image (without the magic and the trailer).
    pub image_bytes: u64,
    /// CRC-32 of the image.
    pub image_crc: u32,
}

impl BackupTrailer {
    /// Bytes of the whole backup file.
    pub fn file_bytes(&self) -> u64 {
        self.image_bytes + (BACKUP_MAGIC.len() + BACKUP_TRAILER_BYTES) as u64
    }

    fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(BACKUP_TRAILER_BYTES);
        out.extend_from_slice(&self.image_bytes.to_le_bytes());
        out.extend_from_slice(&self.image_crc.to_le_bytes());
        out.extend_from_slice(&self.ts.to_le_bytes());
        out.extend_from_slice(&self.tables.to_le_bytes());
        out.extend_from_slice(&self.rows.to_le_bytes());
        out.extend_from_slice(END_MAGIC);
        debug_assert_eq!(out.len(), BACKUP_TRAILER_BYTES);
        out
    }

    fn decode(bytes: &[u8]) -> BackupTrailer {
        debug_assert_eq!(bytes.len(), BACKUP_TRAILER_BYTES);
        let u64_at = |at: usize| {
            let mut word = [0u8; 8];
            word.copy_from_slice(&bytes[at..at + 8]);
            u64::from_le_bytes(word)
        };
        let mut crc = [0u8; 4];
        crc.copy_from_slice(&bytes[8..12]);
        BackupTrailer {
            image_bytes: u64_at(0),
            image_crc: u32::from_le_bytes(crc),
            ts: u64_at(12),
            tables: u64_at(20),
            rows: u64_at(28),
        }
    }
}

/// Streams a backup into any writer: the magic, then the image through [`Self::image`],
/// then `finish` writes the trailer.
pub struct BackupWriter<W: Write> {
    encoder: SnapshotEncoder<W>,
    ts: u64,
}

impl<W: Write> BackupWriter<W> {
    /// Starts a backup of the state as of commit `ts`.
    pub fn new(mut out: W, ts: u64, created_unix_ms: u64) -> StorageResult<Self> {
        out.write_all(BACKUP_MAGIC)
            .map_err(|e| StorageError::io("writing the backup", &e))?;
        let encoder = SnapshotEncoder::new(out, "the backup".to_string(), ts, 0, created_unix_ms)?;
        Ok(BackupWriter { encoder, ts })
    }

    /// The image encoder (tables, schema statements, rows).
    pub fn image(&mut self) -> &mut SnapshotEncoder<W> {
        &mut self.encoder
    }

    /// Ends the image, writes the trailer and flushes; returns the writer and the trailer.
    pub fn finish(self) -> StorageResult<(W, BackupTrailer)> {
        let (mut out, summary) = self.encoder.finish()?;
        let trailer = BackupTrailer {
            ts: self.ts,
            tables: summary.tables,
            rows: summary.rows,
            image_bytes: summary.bytes,
            image_crc: summary.crc,
        };
        out.write_all(&trailer.encode())
            .and_then(|()| out.flush())
            .map_err(|e| StorageError::io("writing the backup", &e))?;
        Ok((out, trailer))
    }
}

fn corrupt(offset: usize, what: impl std::fmt::Display) -> StorageError {
    StorageError::new(
        StorageErrorKind::Corruption,
        format!("backup is corrupt at offset {offset}: {what}"),
    )
}

/// Checks a whole backup file and reads its image.
pub fn read_backup(bytes: &[u8]) -> StorageResult<(LoadedSnapshot, BackupTrailer)> {
    let len = bytes.len();
    let head = BACKUP_MAGIC.len();
    if len < head && BACKUP_MAGIC.starts_with(bytes) {
        return Err(corrupt(
            len,
            format!("the file ends after {len} bytes (truncated)"),
        ));
    }
    if !bytes.starts_with(BACKUP_MAGIC) {
        return Err(corrupt(0, "not an EmberDB backup (bad magic)"));
    }
    if len < head + SNAPSHOT_MAGIC.len() + BACKUP_TRAILER_BYTES || !bytes.ends_with(END_MAGIC) {
        return Err(corrupt(
            len.saturating_sub(END_MAGIC.len()),
            format!(
                "no end marker in the last bytes of the {len}-byte file (truncated, or its \
                 end is damaged)"
            ),
        ));
    }
    let image_end = len - BACKUP_TRAILER_BYTES;
    let trailer = BackupTrailer::decode(&bytes[image_end..]);
    if trailer.image_bytes != (image_end - head) as u64 {
        return Err(corrupt(
            image_end,
            format!(
                "the trailer records a {}-byte image, the file holds {} bytes (truncated or \
                 damaged)",
                trailer.image_bytes,
                image_end - head
            ),
        ));
    }
    let snapshot = parse_image(bytes, head, image_end, "backup", true)?;
    if crc32fast::hash(&bytes[head..image_end]) != trailer.image_crc {
        return Err(corrupt(
            image_end,
            "the image checksum does not match the trailer",
        ));
    }
    let tables = snapshot.tables.len() as u64;
    if (trailer.ts, trailer.tables, trailer.rows) != (snapshot.ts, tables, snapshot.rows) {
        return Err(corrupt(
            image_end,
            format!(
                "the trailer (commit {}, {} tables, {} rows) does not match the image \
                 (commit {}, {tables} tables, {} rows)",
                trailer.ts, trailer.tables, trailer.rows, snapshot.ts, snapshot.rows
            ),
        ));
    }
    Ok((snapshot, trailer))
}
