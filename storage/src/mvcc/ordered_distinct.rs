//! Distinct values of an ordered index range, compared by their encoded key parts: the
//! encoding is canonical (`order_key.rs`: `1` and `1.0` share a number part, `-0.0` is
//! `0.0`, text is its bytes under the index's collation), so two entries' values are equal
//! under the index's collation exactly when their bytes for those parts are. Equal values
//! are adjacent in key order, so a walk compares each entry's parts with those of the last
//! row it took and steps over an equal entry without reading, decoding or checking it: the
//! row it would give adds nothing. Only the first entry of each run of new parts is checked
//! as `index_range` checks entries (the row version the snapshot sees must exist and have
//! the entry's key) and decoded.
//!
//! `count_distinct_index_range` counts the runs the snapshot sees: by the entries alone on
//! a settled index (`settled_index.rs`), else checking every entry (its row is the count's
//! last row).

use std::ops::Bound;

use crossbeam_epoch as epoch;

use crate::error::StorageResult;
use crate::index::{ordered_part_is_null, skip_ordered_part, SecondaryIndex};
use crate::row::RowDecoder;
use crate::value::Value;

use super::super::key_only_read::KeyOnlyRead;
use super::super::table::{RowId, Table};
use super::super::transaction::Transaction;
use super::{range_progress, stop_after, RangeProgress, RangeScratch};

/// The key parts a distinct walk compares: the `count` parts after the first `skip` (an
/// equality prefix, whose values the range fixes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyParts {
    pub skip: usize,
    pub count: usize,
}

impl KeyParts {
    /// The bytes of these parts in `encoded` (an entry's encoded key); `None` when the key
    /// is malformed or shorter.
    #[inline]
    pub fn of<'e>(&self, encoded: &'e [u8]) -> Option<&'e [u8]> {
        let mut start = encoded;
        for _ in 0..self.skip {
            start = skip_ordered_part(start)?;
        }
        let mut end = start;
        for _ in 0..self.count {
            end = skip_ordered_part(end)?;
        }
        start.get(..start.len() - end.len())
    }

    /// Whether the parts of `encoded` are `parts` (the bytes of complete parts, as `of`
    /// gives them): parts are self-delimiting, so this compares without finding where
    /// the entry's parts end.
    #[inline]
    pub fn are(&self, encoded: &[u8], parts: &[u8]) -> bool {
        let mut start = encoded;
        for _ in 0..self.skip {
            match skip_ordered_part(start) {
                Some(rest) => start = rest,
                None => return false,
            }
        }
        !parts.is_empty() && start.starts_with(parts)
    }
}

/// What the visitor of `index_range_distinct` did with a row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunVisit {
    /// Taken: the next entries of equal parts are stepped over.
    Taken,
    /// Not taken (a filter it failed): the next entry of equal parts is read.
    Passed,
    /// Stop the walk here.
    Stop,
}

impl Transaction {
    /// As `index_range` (same bounds, direction, batch, decoder and scratch), but an entry
    /// whose `parts` bytes equal those of the last row `visit` took (`taken`, kept by the
    /// caller across batches; empty before any) is stepped over unread (see the file
    /// comment). `taken` is updated as `visit` takes rows. Lock-free. `index` must be
    /// ordered.
    #[allow(clippy::too_many_arguments)]
    pub fn index_range_distinct(
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
        taken: &mut Vec<u8>,
        mut visit: impl FnMut(RowId, &mut Vec<Value>) -> RunVisit,
    ) -> StorageResult<RangeProgress> {
        self.note_table_read(table);
        super::super::transaction::check_decoder_width(table, decoder)?;
        let Some(ordered) = index.ordered() else {
            return Ok(RangeProgress::Done);
        };
        let guard = epoch::pin();
        let check = self.entry_check(table, index, ordered, &guard, decoder);
        // As in `index_range`: rows from the entries alone while the index is settled.
        let mut key_only = KeyOnlyRead::plan(table, index, ordered, decoder)
            .and_then(|plan| Some((plan, check.settled()?)));
        let mut examined = 0;
        let mut progress = RangeProgress::Done;
        let mut failure = None;
        let RangeScratch { resume } = scratch;
        ordered.visit_range(lower, upper, reverse, &guard, |encoded, row| {
            examined += 1;
            // A malformed key's parts are never equal to any: the entry is read (and its
            // row's key then decides).
            let mut outcome = RunVisit::Passed;
            if !parts.are(encoded, taken) {
                let from_entry = key_only.as_ref().is_some_and(|(plan, settled)| {
                    plan.fill(encoded, row, buffer) && settled.still_settled(ordered)
                });
                if !from_entry {
                    key_only = None;
                }
                let current = from_entry
                    || match check.is_current(row, encoded, buffer) {
                        Ok(current) => current,
                        Err(error) => {
                            failure = Some(error);
                            return false;
                        }
                    };
                if current {
                    outcome = visit(row, buffer);
                }
                if let (RunVisit::Taken, Some(entry_parts)) = (outcome, parts.of(encoded)) {
                    taken.clear();
                    taken.extend_from_slice(entry_parts);
                }
            }
            if outcome == RunVisit::Stop || examined >= max_entries {
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

    /// The number of distinct values of `parts` whose first part is not NULL among the
    /// rows this transaction sees whose encoded key in the ordered `index` lies within the
    /// bounds, walked in ascending key order, `max_entries` entries at most; `counted`
    /// holds the parts of the last value counted (kept by the caller across batches, empty
    /// before any). Entries are checked as `count_index_range` checks them unless the index
    /// is settled. Returns the count, the row of the last entry seen (NULL or not) and
    /// where it stopped, as `count_index_range` does. Lock-free.
    #[allow(clippy::too_many_arguments)]
    pub fn count_distinct_index_range(
        &self,
        table: &Table,
        index: &SecondaryIndex,
        lower: Bound<&[u8]>,
        upper: Bound<&[u8]>,
        max_entries: usize,
        parts: KeyParts,
        decoder: &RowDecoder,
        buffer: &mut Vec<Value>,
        scratch: &mut RangeScratch,
        counted: &mut Vec<u8>,
    ) -> StorageResult<(u64, Option<RowId>, RangeProgress)> {
        self.note_table_read(table);
        super::super::transaction::check_decoder_width(table, decoder)?;
        let Some(ordered) = index.ordered() else {
            return Ok((0, None, RangeProgress::Done));
        };
        let guard = epoch::pin();
        let mut distinct = 0u64;
        let mut last = None;
        if let Some(settled) = self.settled_entries(table, ordered) {
            // The batch is counted again the checked way if an edit ran meanwhile: from
            // the parts counted before it.
            let before = counted.clone();
            let end =
                ordered.visit_range_batch(lower, upper, max_entries, &guard, |encoded, row| {
                    distinct += u64::from(counts_new(parts, encoded, counted));
                    last = Some(row);
                });
            if settled.still_settled(ordered) {
                return Ok((distinct, last, range_progress(end, scratch)));
            }
            *counted = before;
            (distinct, last) = (0, None);
        }
        let check = self.entry_check(table, index, ordered, &guard, decoder);
        let mut failure = None;
        let end = ordered.visit_range_batch(lower, upper, max_entries, &guard, |encoded, row| {
            if failure.is_some() {
                return;
            }
            match check.is_current(row, encoded, buffer) {
                Ok(true) => {
                    distinct += u64::from(counts_new(parts, encoded, counted));
                    last = Some(row);
                }
                Ok(false) => {}
                Err(error) => failure = Some(error),
            }
        });
        if let Some(error) = failure {
            return Err(error);
        }
        Ok((distinct, last, range_progress(end, scratch)))
    }
}

/// Whether the entry `encoded` holds a value of `parts` other than `counted` (the last one
/// counted) and not NULL (its first part); then it becomes `counted`.
#[inline]
fn counts_new(parts: KeyParts, encoded: &[u8], counted: &mut Vec<u8>) -> bool {
    if parts.are(encoded, counted) {
        return false;
    }
    let Some(entry_parts) = parts.of(encoded) else {
        return false;
    };
    if ordered_part_is_null(entry_parts) {
        return false;
    }
    counted.clear();
    counted.extend_from_slice(entry_parts);
    true
}

#[cfg(test)]
#[path = "ordered_distinct_tests.rs"]
mod tests;
