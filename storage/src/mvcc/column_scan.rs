//! Full-scan batches decoded into typed column batches (`row::ColumnBatch`): the rows of a
//! range of slots that the snapshot sees and the raw checks pass, column by column, for an
//! operator that folds many rows (an aggregate over a scan). One epoch pin per batch, as
//! `scan_batch_decoded` takes.

use crossbeam_epoch as epoch;

use crate::error::{StorageError, StorageErrorKind, StorageResult};
use crate::row::{ColumnBatch, RawChecks, RowDecoder};

use super::table::{visible_in, RowId, Table};
use super::transaction::{check_decoder_width, Transaction};

impl Transaction {
    /// Decodes the rows with ids in `rows` that this snapshot sees and `raw` passes (every
    /// one when `None`) into `batch` (emptied first), each column `decoder` decodes into its
    /// vector. A batch whose text passes `COLUMN_BATCH_BYTES_MAX` in a column ends early.
    /// Returns the next row id to resume from, as `scan_batch` does. `decoder` must read
    /// the plain format (`RowDecoder::decodes_to_batch`).
    pub fn scan_column_batch(
        &self,
        table: &Table,
        rows: std::ops::Range<RowId>,
        decoder: &RowDecoder,
        raw: Option<&RawChecks>,
        batch: &mut ColumnBatch,
    ) -> StorageResult<RowId> {
        self.note_table_read(table);
        check_decoder_width(table, decoder)?;
        if !decoder.decodes_to_batch() {
            return Err(StorageError::new(
                StorageErrorKind::InvalidData,
                "column batches read only rows of the plain format (a table that grew \
                 columns is read row by row)",
            ));
        }
        if let Some(raw) = raw {
            decoder.check_raw(raw)?;
        }
        let slots = usize::try_from(rows.end.saturating_sub(rows.start)).unwrap_or(usize::MAX);
        decoder.start_batch(batch, slots.min(crate::limits::COLUMN_BATCH_ROWS_MAX));
        let guard = epoch::pin();
        let snapshot = self.snapshot();
        let mut failure = None;
        let full = |batch: &ColumnBatch| {
            batch.len() >= crate::limits::COLUMN_BATCH_ROWS_MAX || batch.is_full()
        };
        let resume = match raw {
            // The raw check inlined in the slot walk, the decode of the rows it passes out
            // of line: the walk's loop stays small for the rows it rejects.
            Some(raw) => table.for_each_slot(rows, &guard, |row, slot| {
                let Some(payload) = visible_in(slot, &snapshot, &guard) else {
                    return true;
                };
                match decoder.passes_raw(raw, row, payload) {
                    Ok(true) => match push_row(decoder, row, payload, batch) {
                        Ok(()) => !full(batch),
                        Err(error) => {
                            failure = Some(error);
                            false
                        }
                    },
                    Ok(false) => true,
                    Err(error) => {
                        failure = Some(error);
                        false
                    }
                }
            }),
            None => table.for_each_slot(rows, &guard, |row, slot| {
                let Some(payload) = visible_in(slot, &snapshot, &guard) else {
                    return true;
                };
                if let Err(error) = decoder.decode_to_batch(row, payload, batch) {
                    failure = Some(error);
                    return false;
                }
                !full(batch)
            }),
        };
        batch.finish();
        match failure {
            Some(error) => Err(error),
            None => Ok(resume),
        }
    }
}

/// `RowDecoder::decode_to_batch`, out of line (a row the raw checks passed).
#[inline(never)]
fn push_row(
    decoder: &RowDecoder,
    row: RowId,
    payload: &[u8],
    batch: &mut ColumnBatch,
) -> StorageResult<()> {
    decoder.decode_to_batch(row, payload, batch)
}

#[cfg(test)]
#[path = "column_scan_tests.rs"]
mod tests;
