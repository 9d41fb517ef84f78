//! Full-scan batches that check each row while decoding it: a filter's stages run as soon
//! as the columns they read are decoded, so a row the filter rejects early is never decoded
//! (or stepped over) past them; terms on INTEGER and REAL columns may be checked on the
//! payload's bytes before anything is decoded (`row::RawChecks`). Also the batch that
//! decodes nothing at all (`visible_rows_batch`): which rows the snapshot sees, for a walk
//! that steps over rows (an OFFSET) without reading them.

use crossbeam_epoch as epoch;

use crate::error::{StorageError, StorageResult};
use crate::row::{RawChecks, RowDecoder};
use crate::value::Value;

use super::table::{visible_in, RowId, Table};
use super::transaction::{check_decoder_width, Transaction};

impl Transaction {
    /// `scan_batch_decoded` that checks each row while it is decoded (see
    /// `RowDecoder::decode_checked`): `visit` sees only the rows every `check` stage
    /// passed, so a filter rejects a row as soon as the columns it reads are decoded.
    #[allow(clippy::too_many_arguments)]
    pub fn scan_batch_checked(
        &self,
        table: &Table,
        rows: std::ops::Range<RowId>,
        decoder: &RowDecoder,
        buffer: &mut Vec<Value>,
        stops: &[usize],
        check: impl FnMut(usize, &[Value]) -> bool,
        visit: impl FnMut(RowId, &mut Vec<Value>) -> bool,
    ) -> StorageResult<RowId> {
        self.scan_batch_raw_checked(table, rows, decoder, buffer, None, stops, check, visit)
    }

    /// `scan_batch_checked` that first checks each row's payload bytes with `raw` (made by
    /// `decoder.raw_checks`, see `RowDecoder::decode_raw_checked`): a row `raw` rejects
    /// builds no value.
    #[allow(clippy::too_many_arguments)]
    pub fn scan_batch_raw_checked(
        &self,
        table: &Table,
        rows: std::ops::Range<RowId>,
        decoder: &RowDecoder,
        buffer: &mut Vec<Value>,
        raw: Option<&RawChecks>,
        stops: &[usize],
        check: impl FnMut(usize, &[Value]) -> bool,
        visit: impl FnMut(RowId, &mut Vec<Value>) -> bool,
    ) -> StorageResult<RowId> {
        self.scan_batch_raw_counted(table, rows, decoder, buffer, raw, stops, check, visit)
            .map(|(next, _)| next)
    }

    /// `scan_batch_raw_checked` that also returns how many visible rows `raw` rejected
    /// (a runtime filter counts what it dropped by batch, not by row).
    #[allow(clippy::too_many_arguments)]
    pub fn scan_batch_raw_counted(
        &self,
        table: &Table,
        rows: std::ops::Range<RowId>,
        decoder: &RowDecoder,
        buffer: &mut Vec<Value>,
        raw: Option<&RawChecks>,
        stops: &[usize],
        mut check: impl FnMut(usize, &[Value]) -> bool,
        mut visit: impl FnMut(RowId, &mut Vec<Value>) -> bool,
    ) -> StorageResult<(RowId, u64)> {
        self.note_table_read(table);
        check_decoder_width(table, decoder)?;
        if let Some(raw) = raw {
            decoder.check_raw(raw)?;
        }
        let guard = epoch::pin();
        let snapshot = self.snapshot();
        let mut failure = None;
        let mut rejected = 0u64;
        let resume = match raw {
            // The raw check inlined in the slot walk, the decode of the few rows it passes
            // out of line: the walk's loop stays small (no spills) for the rows it rejects.
            Some(raw) => table.for_each_slot(rows, &guard, |row, slot| {
                let Some(payload) = visible_in(slot, &snapshot, &guard) else {
                    return true;
                };
                match decoder.passes_raw(raw, row, payload) {
                    Ok(true) => decode_and_visit(
                        decoder,
                        (row, payload),
                        buffer,
                        stops,
                        &mut check,
                        &mut visit,
                        &mut failure,
                    ),
                    Ok(false) => {
                        rejected += 1;
                        true
                    }
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
                match decoder.decode_checked(row, payload, buffer, stops, &mut check) {
                    Ok(true) => visit(row, buffer),
                    Ok(false) => true,
                    Err(error) => {
                        failure = Some(error);
                        false
                    }
                }
            }),
        };
        match failure {
            Some(error) => Err(error),
            None => Ok((resume, rejected)),
        }
    }

    /// Visits the ids of the rows with ids in `rows` that this transaction's snapshot sees,
    /// reading no payload (`scan_batch_decoded` without the decode); `visit` returns
    /// whether to go on. Returns the next row id to resume from, as `scan_batch` does.
    pub fn visible_rows_batch(
        &self,
        table: &Table,
        rows: std::ops::Range<RowId>,
        mut visit: impl FnMut(RowId) -> bool,
    ) -> RowId {
        self.note_table_read(table);
        let guard = epoch::pin();
        let snapshot = self.snapshot();
        table.for_each_slot(rows, &guard, |row, slot| {
            if visible_in(slot, &snapshot, &guard).is_none() {
                return true;
            }
            visit(row)
        })
    }
}

/// Decodes a row the raw checks passed, checks it by stage and visits it when every stage
/// passes; returns whether the walk goes on (false after an error, parked in `failure`).
#[inline(never)]
fn decode_and_visit(
    decoder: &RowDecoder,
    (row, payload): (RowId, &[u8]),
    buffer: &mut Vec<Value>,
    stops: &[usize],
    check: &mut impl FnMut(usize, &[Value]) -> bool,
    visit: &mut impl FnMut(RowId, &mut Vec<Value>) -> bool,
    failure: &mut Option<StorageError>,
) -> bool {
    match decoder.decode_checked(row, payload, buffer, stops, check) {
        Ok(true) => visit(row, buffer),
        Ok(false) => true,
        Err(error) => {
            *failure = Some(error);
            false
        }
    }
}
