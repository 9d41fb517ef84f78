//! Stepping over rows of an ordered index range without reading them (an OFFSET over an
//! index walk): the rows skipped are exactly the ones `Transaction::index_range` would
//! visit first, so a walk resumed after them gives the same rows as one that read and
//! dropped them. A settled index (`settled_index.rs`: one entry per row the snapshot
//! sees) is stepped by its entries alone; otherwise each entry is checked as
//! `index_range` checks it (the row version the snapshot sees must exist and have the
//! entry's key), so an entry of another transaction's uncommitted write, of a row deleted
//! before the snapshot, or a stale one does not count.

use std::num::NonZeroU64;
use std::ops::Bound;

use crossbeam_epoch as epoch;

use crate::error::StorageResult;
use crate::index::SecondaryIndex;
use crate::row::RowDecoder;
use crate::value::Value;

use super::super::table::Table;
use super::super::transaction::Transaction;
use super::{stop_after, RangeProgress, RangeScratch};

impl Transaction {
    /// Steps over the first `rows` rows this transaction sees whose encoded key in the
    /// ordered `index` lies within the bounds, in key order (descending with `reverse`),
    /// examining `max_entries` entries at most; `decoder` (which must decode the index's
    /// columns) and `buffer` check entries when the index is not settled. Returns the rows
    /// stepped over and where it stopped: `RangeProgress::Stopped` after the last row
    /// stepped over (when `rows` were) or the last entry examined, whose entry key
    /// `scratch.resume_after()` holds, the exclusive bound to resume from (as
    /// `index_range` leaves it). Lock-free. `index` must be ordered.
    #[allow(clippy::too_many_arguments)]
    pub fn skip_index_range(
        &self,
        table: &Table,
        index: &SecondaryIndex,
        lower: Bound<&[u8]>,
        upper: Bound<&[u8]>,
        reverse: bool,
        rows: NonZeroU64,
        max_entries: usize,
        decoder: &RowDecoder,
        buffer: &mut Vec<Value>,
        scratch: &mut RangeScratch,
    ) -> StorageResult<(u64, RangeProgress)> {
        self.note_table_read(table);
        super::super::transaction::check_decoder_width(table, decoder)?;
        let Some(ordered) = index.ordered() else {
            return Ok((0, RangeProgress::Done));
        };
        let rows = rows.get();
        let guard = epoch::pin();
        let RangeScratch { resume } = scratch;
        // Counts an entry (`counts`) and says whether to go on; at the stop, the entry
        // key goes to `resume`.
        let mut step = |encoded: &[u8], row: u64, counts: bool, state: &mut (u64, usize)| {
            let (skipped, examined) = state;
            *examined += 1;
            *skipped += u64::from(counts);
            if *skipped == rows || *examined >= max_entries {
                stop_after(resume, encoded, row);
                return false;
            }
            true
        };
        if let Some(settled) = self.settled_entries(table, ordered) {
            let mut state = (0u64, 0usize);
            let mut stopped = false;
            ordered.visit_range(lower, upper, reverse, &guard, |encoded, row| {
                stopped = !step(encoded, row, true, &mut state);
                !stopped
            });
            // An edit meanwhile: the entries may not have been the snapshot's rows; the
            // same entries are stepped again the checked way.
            if settled.still_settled(ordered) {
                return Ok((state.0, progress(stopped)));
            }
        }
        let check = self.entry_check(table, index, ordered, &guard, decoder);
        let mut state = (0u64, 0usize);
        let mut stopped = false;
        let mut failure = None;
        ordered.visit_range(lower, upper, reverse, &guard, |encoded, row| {
            let current = match check.is_current(row, encoded, buffer) {
                Ok(current) => current,
                Err(error) => {
                    failure = Some(error);
                    return false;
                }
            };
            stopped = !step(encoded, row, current, &mut state);
            !stopped
        });
        match failure {
            Some(error) => Err(error),
            None => Ok((state.0, progress(stopped))),
        }
    }
}

fn progress(stopped: bool) -> RangeProgress {
    if stopped {
        RangeProgress::Stopped
    } else {
        RangeProgress::Done
    }
}

#[cfg(test)]
#[path = "ordered_skip_tests.rs"]
mod tests;
