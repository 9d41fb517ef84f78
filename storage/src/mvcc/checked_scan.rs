//! Full-scan batches that check each row while decoding it: a filter's stages run as soon
//! as the columns they read are decoded, so a row the filter rejects early is never decoded
//! (or stepped over) past them.

use crossbeam_epoch as epoch;

use crate::error::StorageResult;
use crate::row::RowDecoder;
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
        mut check: impl FnMut(usize, &[Value]) -> bool,
        mut visit: impl FnMut(RowId, &mut Vec<Value>) -> bool,
    ) -> StorageResult<RowId> {
        check_decoder_width(table, decoder)?;
        let guard = epoch::pin();
        let snapshot = self.snapshot();
        let mut failure = None;
        let resume = table.for_each_slot(rows, &guard, |row, slot| {
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
        });
        match failure {
            Some(error) => Err(error),
            None => Ok(resume),
        }
    }
}
