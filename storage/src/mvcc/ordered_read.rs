//! Reading through an ordered secondary index: the rows a transaction sees whose key lies
//! in a range of encoded keys, in key order or its reverse, a batch at a time (a caller
//! resumes after the last entry it was given, so no epoch stays pinned between batches).
//! Entries may be stale: each is checked against the version the snapshot sees in its slot,
//! whose key must be the entry's, so every row is reached at most once.

use std::ops::Bound;

use crossbeam_epoch as epoch;

use crate::error::StorageResult;
use crate::index::SecondaryIndex;
use crate::row::RowDecoder;
use crate::value::Value;

use super::table::{RowId, Table};
use super::transaction::Transaction;

/// Where a range read stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RangeProgress {
    /// Every entry in the range was visited.
    Done,
    /// Stopped after the entry with this encoded key and row: resume after it.
    After(Vec<u8>, RowId),
}

/// The entry key of (`encoded`, `row`), the bound a resumed read starts after.
pub fn resume_key(encoded: &[u8], row: RowId) -> Vec<u8> {
    let mut out = Vec::with_capacity(encoded.len() + 8);
    out.extend_from_slice(encoded);
    out.extend_from_slice(&row.to_be_bytes());
    out
}

impl Transaction {
    /// Visits, in key order (descending with `reverse`), the rows this transaction sees
    /// whose encoded key in the ordered `index` lies within the bounds (over entry keys:
    /// encoded key then row id), decoded by `decoder` (which must decode the index's
    /// columns) into `buffer`. `visit` returns false to stop; at most `max_entries`
    /// entries are examined. Lock-free. `index` must be ordered.
    #[allow(clippy::too_many_arguments)]
    pub fn index_range(
        &self,
        table: &Table,
        index: &SecondaryIndex,
        lower: Bound<&[u8]>,
        upper: Bound<&[u8]>,
        reverse: bool,
        max_entries: usize,
        decoder: &RowDecoder,
        buffer: &mut Vec<Value>,
        mut visit: impl FnMut(RowId, &mut Vec<Value>) -> bool,
    ) -> StorageResult<RangeProgress> {
        let Some(ordered) = index.ordered() else {
            return Ok(RangeProgress::Done);
        };
        let guard = epoch::pin();
        let snapshot = self.snapshot();
        let mut examined = 0;
        let mut progress = RangeProgress::Done;
        let mut failure = None;
        let mut key_buffer = Vec::new();
        ordered.visit_range(lower, upper, reverse, &guard, |encoded, row| {
            examined += 1;
            let keep_going = match table.visible_payload(row, &snapshot, &guard) {
                None => true,
                Some(payload) => match decoder.decode_into(payload, buffer) {
                    Err(error) => {
                        failure = Some(error);
                        return false;
                    }
                    Ok(()) => {
                        key_buffer.clear();
                        ordered.encode_into(index.columns(), buffer, &mut key_buffer);
                        key_buffer != encoded || visit(row, buffer)
                    }
                },
            };
            if !keep_going || examined >= max_entries {
                progress = RangeProgress::After(encoded.to_vec(), row);
                return false;
            }
            true
        });
        match failure {
            Some(error) => Err(error),
            None => Ok(progress),
        }
    }
}

#[cfg(test)]
#[path = "ordered_read_tests.rs"]
mod tests;
