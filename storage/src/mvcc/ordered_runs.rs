//! Runs of equal key parts along an ordered index range, for GROUP BY walks
//! (`exec::aggregate::group_walk`): every row the snapshot sees is visited, but only the first row
//! of each run of equal parts is decoded and shown; the rest are reported as one more row of the
//! run. Parts compare by their encoded bytes, which are equal exactly when the values are under the
//! index's collation (`ordered_distinct.rs`).
//!
//! On a settled index (`settled_index.rs`: one entry per row the snapshot sees, under its
//! visible key) an entry of the running parts is a row by itself: nothing is read or
//! decoded for it, so `count(*)` per group costs a byte comparison per row. Otherwise each
//! entry is checked as `index_range` checks it (the row version the snapshot sees must
//! exist and have the entry's key), and the run's first row is decoded either way.

use std::ops::Bound;

use crossbeam_epoch as epoch;

use crate::error::StorageResult;
use crate::index::SecondaryIndex;
use crate::row::RowDecoder;
use crate::value::Value;

use super::super::key_only_read::KeyOnlyRead;
use super::super::table::{RowId, Table};
use super::super::transaction::Transaction;
use super::{stop_after, KeyParts, RangeProgress, RangeScratch};

impl Transaction {
    /// Visits, as `index_range` does (same bounds, direction, batch, decoder and
    /// scratch), every row this transaction sees in the range: the first row of a run of
    /// equal `parts` as `visit(row, Some(values))`, decoded into `buffer`, and each later
    /// row of the run as `visit(row, None)`, not decoded when the index is settled.
    /// `running` holds the parts of the run being visited (kept by the caller across
    /// batches; empty before the first). `visit` returns false to stop. Lock-free. `index`
    /// must be ordered.
    #[allow(clippy::too_many_arguments)]
    pub fn index_range_runs(
        &self,
        table: &Table,
        index: &SecondaryIndex,
        lower: Bound<&[u8]>,
        upper: Bound<&[u8]>,
        reverse: bool,
        max_entries: usize,
        parts: KeyParts,
        decoder: &RowDecoder,
        buffer: &mut Vec<Value>,
        scratch: &mut RangeScratch,
        running: &mut Vec<u8>,
        mut visit: impl FnMut(RowId, Option<&mut Vec<Value>>) -> bool,
    ) -> StorageResult<RangeProgress> {
        self.note_table_read(table);
        super::super::transaction::check_decoder_width(table, decoder)?;
        let Some(ordered) = index.ordered() else {
            return Ok(RangeProgress::Done);
        };
        let guard = epoch::pin();
        let check = self.entry_check(table, index, ordered, &guard, decoder);
        // While settled (checked after each entry is read), entries are rows; from the
        // first entry that cannot be vouched for, every entry is checked.
        let mut settled = check.settled();
        let key_only = KeyOnlyRead::plan(table, index, ordered, decoder);
        let mut examined = 0;
        let mut progress = RangeProgress::Done;
        let mut failure = None;
        let RangeScratch { resume } = scratch;
        ordered.visit_range(lower, upper, reverse, &guard, |encoded, row| {
            examined += 1;
            let same_run = parts.are(encoded, running);
            if settled.is_some_and(|token| !token.still_settled(ordered)) {
                settled = None;
            }
            let keep_going = if same_run && settled.is_some() {
                visit(row, None)
            } else {
                let from_entry = !same_run
                    && key_only.as_ref().zip(settled).is_some_and(|(plan, token)| {
                        plan.fill(encoded, row, buffer) && token.still_settled(ordered)
                    });
                let current = from_entry
                    || match check.is_current(row, encoded, buffer) {
                        Ok(current) => current,
                        Err(error) => {
                            failure = Some(error);
                            return false;
                        }
                    };
                if !current {
                    true
                } else if same_run {
                    visit(row, None)
                } else {
                    // A malformed key's parts are no run: the next entry starts another.
                    running.clear();
                    running.extend_from_slice(parts.of(encoded).unwrap_or_default());
                    visit(row, Some(buffer))
                }
            };
            if !keep_going || examined >= max_entries {
                stop_after(resume, encoded, row);
                progress = RangeProgress::Stopped;
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
#[path = "ordered_runs_tests.rs"]
mod tests;
