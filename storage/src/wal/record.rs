//! WAL record payloads: logical redo of one committed transaction (commit timestamp plus the
//! final payload or deletion of every row it touched), one catalog change (the SQL text and
//! table id of a CREATE/DROP), one transaction that changed the schema (its catalog changes,
//! in order, then its commit, in one record so a crash keeps both or neither), and the log's
//! own marks: a segment's end (the log continues in
//! the next segment, which already exists), a segment's start (how long the one before it
//! is) and a clean close's sync point. Decoding checks every length against the bytes that
//! remain and the limits, so a damaged record is an error, never a panic or a huge allocation.

use crate::error::{StorageError, StorageErrorKind, StorageResult};
use crate::limits::{ROW_BYTES_MAX, WAL_CATALOG_CHANGES_MAX, WAL_CHANGES_MAX, WAL_TEXT_BYTES_MAX};
use crate::row::write_varint;

const KIND_COMMIT: u8 = 1;
const KIND_CATALOG: u8 = 2;
const KIND_SEGMENT_END: u8 = 3;
const KIND_SEGMENT_START: u8 = 4;
const KIND_SYNC_POINT: u8 = 5;
const KIND_SCHEMA_COMMIT: u8 = 6;

/// One row's final state after a transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowChange {
    pub table_id: u64,
    pub row: u64,
    /// The encoded row, or `None` when the row was deleted.
    pub payload: Option<Vec<u8>>,
}

/// What a catalog record does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CatalogOp {
    CreateTable = 1,
    DropTable = 2,
    /// Any other schema statement replayed from its SQL text (e.g. CREATE INDEX).
    Other = 3,
    /// A statement that copied table `name` into a new storage table, whose id is the
    /// record's (ALTER TABLE DROP COLUMN): replaying its SQL makes the copy again, and later
    /// commits name the new id. Rows of the copy are numbered 0, 1, ... in the order of the
    /// old table's row ids. Added after the first format; older logs never hold it.
    RebuildTable = 4,
    /// `RebuildTable` whose copy's rows are named by the row ids the copy gave them (a
    /// table clustered on its integer key names rows by key, `mvcc/clustered.rs`); replaying
    /// the copy in the same order gives the same ids. Logs written before this kind existed
    /// never hold it.
    RebuildKeepingIds = 5,
    /// `DELETE FROM name` that emptied the table whole: table `name` is given a new, empty
    /// storage table, whose id is the record's (later commits name it); the rows of the
    /// old one are gone. Logs written before this kind existed never hold it.
    Truncate = 6,
    /// A statement run inside a transaction that gave table `name` a new storage table,
    /// whose id is the record's, with the definition its SQL gives (ALTER TABLE DROP COLUMN
    /// inside BEGIN .. COMMIT): replaying its SQL makes the new table empty and drops the
    /// old one; the transaction copied the rows itself, so they come with the record's
    /// commit, naming the new id. Logs written before this kind existed never hold it.
    ReplaceTable = 7,
}

/// One catalog change of a transaction that changed the schema (`WalRecord::SchemaCommit`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogChange {
    pub op: CatalogOp,
    pub table_id: u64,
    pub name: String,
    pub sql: String,
}

/// One WAL record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WalRecord {
    Commit {
        ts: u64,
        changes: Vec<RowChange>,
    },
    Catalog {
        op: CatalogOp,
        table_id: u64,
        name: String,
        sql: String,
    },
    /// An explicit transaction that changed the schema: its catalog changes, replayed in
    /// order, then its row changes (none when it wrote no row; `ts` is then 0). Added after
    /// format 4's first logs; older logs never hold it.
    SchemaCommit {
        catalog: Vec<CatalogChange>,
        ts: u64,
        changes: Vec<RowChange>,
    },
    /// The last record of a segment: the log goes on in segment `next`, which was created
    /// (and synced) before this record was written.
    SegmentEnd {
        next: u64,
    },
    /// The first record of a segment that follows another: the previous segment's records
    /// (before its `SegmentEnd`) take `previous_len` bytes, all synced before this segment
    /// was created.
    SegmentStart {
        previous_len: u64,
    },
    /// Written at a clean close after the last fsync: its frame's `synced_before` covers
    /// every record before it, so damage to them cannot pass for a crash's torn tail.
    SyncPoint,
}

/// A cursor over untrusted bytes.
pub struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

fn damaged(what: &str) -> StorageError {
    StorageError::new(
        StorageErrorKind::Corruption,
        format!("damaged record: {what}"),
    )
}

impl<'a> Reader<'a> {
    pub fn new(bytes: &'a [u8]) -> Reader<'a> {
        Reader { bytes, pos: 0 }
    }

    pub fn u8(&mut self) -> StorageResult<u8> {
        let byte = *self
            .bytes
            .get(self.pos)
            .ok_or_else(|| damaged("cut short"))?;
        self.pos += 1;
        Ok(byte)
    }

    pub fn varint(&mut self) -> StorageResult<u64> {
        let mut value = 0u64;
        for shift in (0..64).step_by(7) {
            let byte = self.u8()?;
            value |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(damaged("overlong varint"))
    }

    /// A length-prefixed byte string of at most `max` bytes.
    pub fn bytes(&mut self, max: usize) -> StorageResult<&'a [u8]> {
        let len = self.varint()?;
        if len > max as u64 || len > (self.bytes.len() - self.pos) as u64 {
            return Err(damaged("length past the limit or the end"));
        }
        let start = self.pos;
        self.pos += len as usize;
        Ok(&self.bytes[start..self.pos])
    }

    pub fn text(&mut self, max: usize) -> StorageResult<String> {
        let bytes = self.bytes(max)?;
        String::from_utf8(bytes.to_vec()).map_err(|_| damaged("text is not UTF-8"))
    }

    /// Bytes not read yet.
    pub fn remaining(&self) -> usize {
        self.bytes.len() - self.pos
    }

    pub fn finish(&self) -> StorageResult<()> {
        if self.pos != self.bytes.len() {
            return Err(damaged("trailing bytes"));
        }
        Ok(())
    }
}

pub fn write_bytes(bytes: &[u8], out: &mut Vec<u8>) {
    write_varint(bytes.len() as u64, out);
    out.extend_from_slice(bytes);
}

impl WalRecord {
    pub fn encode(&self, out: &mut Vec<u8>) {
        match self {
            WalRecord::Commit { ts, changes } => {
                out.push(KIND_COMMIT);
                write_varint(*ts, out);
                write_varint(changes.len() as u64, out);
                for change in changes {
                    encode_change(change.table_id, change.row, change.payload.as_deref(), out);
                }
            }
            WalRecord::Catalog {
                op,
                table_id,
                name,
                sql,
            } => {
                out.push(KIND_CATALOG);
                out.push(*op as u8);
                write_varint(*table_id, out);
                write_bytes(name.as_bytes(), out);
                write_bytes(sql.as_bytes(), out);
            }
            WalRecord::SchemaCommit {
                catalog,
                ts,
                changes,
            } => {
                encode_schema_commit_header(catalog, *ts, changes.len(), out);
                for change in changes {
                    encode_change(change.table_id, change.row, change.payload.as_deref(), out);
                }
            }
            WalRecord::SegmentEnd { next } => {
                out.push(KIND_SEGMENT_END);
                write_varint(*next, out);
            }
            WalRecord::SegmentStart { previous_len } => {
                out.push(KIND_SEGMENT_START);
                write_varint(*previous_len, out);
            }
            WalRecord::SyncPoint => out.push(KIND_SYNC_POINT),
        }
    }

    pub fn decode(bytes: &[u8]) -> StorageResult<WalRecord> {
        let mut reader = Reader::new(bytes);
        let record = match reader.u8()? {
            KIND_COMMIT => {
                let ts = reader.varint()?;
                WalRecord::Commit {
                    ts,
                    changes: decode_changes(&mut reader)?,
                }
            }
            KIND_SCHEMA_COMMIT => {
                let count = reader.varint()?;
                if count > WAL_CATALOG_CHANGES_MAX {
                    return Err(damaged("too many catalog changes"));
                }
                let mut catalog = Vec::new();
                for _ in 0..count {
                    let op = decode_op(reader.u8()?)?;
                    catalog.push(CatalogChange {
                        op,
                        table_id: reader.varint()?,
                        name: reader.text(WAL_TEXT_BYTES_MAX)?,
                        sql: reader.text(WAL_TEXT_BYTES_MAX)?,
                    });
                }
                let ts = reader.varint()?;
                WalRecord::SchemaCommit {
                    catalog,
                    ts,
                    changes: decode_changes(&mut reader)?,
                }
            }
            KIND_CATALOG => {
                let op = decode_op(reader.u8()?)?;
                WalRecord::Catalog {
                    op,
                    table_id: reader.varint()?,
                    name: reader.text(WAL_TEXT_BYTES_MAX)?,
                    sql: reader.text(WAL_TEXT_BYTES_MAX)?,
                }
            }
            KIND_SEGMENT_END => WalRecord::SegmentEnd {
                next: reader.varint()?,
            },
            KIND_SEGMENT_START => WalRecord::SegmentStart {
                previous_len: reader.varint()?,
            },
            KIND_SYNC_POINT => WalRecord::SyncPoint,
            _ => return Err(damaged("unknown record kind")),
        };
        reader.finish()?;
        Ok(record)
    }
}

fn decode_op(byte: u8) -> StorageResult<CatalogOp> {
    Ok(match byte {
        1 => CatalogOp::CreateTable,
        2 => CatalogOp::DropTable,
        3 => CatalogOp::Other,
        4 => CatalogOp::RebuildTable,
        5 => CatalogOp::RebuildKeepingIds,
        6 => CatalogOp::Truncate,
        7 => CatalogOp::ReplaceTable,
        _ => return Err(damaged("bad catalog op")),
    })
}

/// A commit's change count and changes.
fn decode_changes(reader: &mut Reader<'_>) -> StorageResult<Vec<RowChange>> {
    let count = reader.varint()?;
    if count > WAL_CHANGES_MAX {
        return Err(damaged("too many changes"));
    }
    let mut changes = Vec::new();
    for _ in 0..count {
        let table_id = reader.varint()?;
        let row = reader.varint()?;
        let payload = match reader.u8()? {
            0 => None,
            1 => Some(reader.bytes(ROW_BYTES_MAX)?.to_vec()),
            _ => return Err(damaged("bad change flag")),
        };
        changes.push(RowChange {
            table_id,
            row,
            payload,
        });
    }
    Ok(changes)
}

/// Encodes one change without copying the payload (the commit hook's path).
pub fn encode_change(table_id: u64, row: u64, payload: Option<&[u8]>, out: &mut Vec<u8>) {
    write_varint(table_id, out);
    write_varint(row, out);
    match payload {
        None => out.push(0),
        Some(bytes) => {
            out.push(1);
            write_bytes(bytes, out);
        }
    }
}

/// Starts a commit record for `count` changes; follow with `encode_change` for each.
pub fn encode_commit_header(ts: u64, count: usize, out: &mut Vec<u8>) {
    out.push(KIND_COMMIT);
    write_varint(ts, out);
    write_varint(count as u64, out);
}

/// Starts a schema commit record: its catalog changes, then the header of a commit of
/// `count` row changes; follow with `encode_change` for each.
pub fn encode_schema_commit_header(
    catalog: &[CatalogChange],
    ts: u64,
    count: usize,
    out: &mut Vec<u8>,
) {
    out.push(KIND_SCHEMA_COMMIT);
    write_varint(catalog.len() as u64, out);
    for change in catalog {
        out.push(change.op as u8);
        write_varint(change.table_id, out);
        write_bytes(change.name.as_bytes(), out);
        write_bytes(change.sql.as_bytes(), out);
    }
    write_varint(ts, out);
    write_varint(count as u64, out);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_round_trip_and_damage_is_an_error() {
        let records = [
            WalRecord::Commit {
                ts: 7,
                changes: vec![
                    RowChange {
                        table_id: 1,
                        row: 3,
                        payload: Some(vec![1, 2, 3]),
                    },
                    RowChange {
                        table_id: 2,
                        row: 900,
                        payload: None,
                    },
                ],
            },
            WalRecord::Catalog {
                op: CatalogOp::CreateTable,
                table_id: 4,
                name: "t".into(),
                sql: "CREATE TABLE t(a INT)".into(),
            },
            WalRecord::Catalog {
                op: CatalogOp::RebuildTable,
                table_id: 9,
                name: "t".into(),
                sql: "ALTER TABLE t DROP COLUMN b".into(),
            },
            WalRecord::Catalog {
                op: CatalogOp::Truncate,
                table_id: 10,
                name: "t".into(),
                sql: "DELETE FROM \"t\"".into(),
            },
            WalRecord::SchemaCommit {
                catalog: vec![
                    CatalogChange {
                        op: CatalogOp::CreateTable,
                        table_id: 5,
                        name: "u".into(),
                        sql: "CREATE TABLE u(a INT)".into(),
                    },
                    CatalogChange {
                        op: CatalogOp::Other,
                        table_id: 5,
                        name: "u_a".into(),
                        sql: "CREATE INDEX u_a ON u(a)".into(),
                    },
                    CatalogChange {
                        op: CatalogOp::ReplaceTable,
                        table_id: 6,
                        name: "u".into(),
                        sql: "ALTER TABLE u DROP COLUMN b".into(),
                    },
                ],
                ts: 8,
                changes: vec![RowChange {
                    table_id: 5,
                    row: 0,
                    payload: Some(vec![4]),
                }],
            },
            WalRecord::SchemaCommit {
                catalog: vec![CatalogChange {
                    op: CatalogOp::DropTable,
                    table_id: 2,
                    name: "t".into(),
                    sql: "DROP TABLE t".into(),
                }],
                ts: 0,
                changes: Vec::new(),
            },
            WalRecord::SegmentEnd { next: 12 },
            WalRecord::SegmentStart { previous_len: 4096 },
            WalRecord::SyncPoint,
        ];
        for record in records {
            let mut bytes = Vec::new();
            record.encode(&mut bytes);
            assert_eq!(WalRecord::decode(&bytes).unwrap(), record);
            for cut in 0..bytes.len() {
                assert!(WalRecord::decode(&bytes[..cut]).is_err());
            }
            for bit in 0..bytes.len() * 8 {
                let mut flipped = bytes.clone();
                flipped[bit / 8] ^= 1 << (bit % 8);
                let _ = WalRecord::decode(&flipped);
            }
        }
    }
}
