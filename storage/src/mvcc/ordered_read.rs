//! Reading through an ordered secondary index: the rows a transaction sees whose key lies
//! in a range of encoded keys, in key order or its reverse, a batch at a time (a caller
//! resumes after the last entry it was given, so no epoch stays pinned between batches).
//! Entries may be stale: each is checked against the version the snapshot sees in its slot,
//! whose key must be the entry's, so every row is reached at most once.

use std::cell::Cell;
use std::ops::Bound;
use std::sync::Arc;

use crossbeam_epoch::{self as epoch, Guard};

use crate::error::StorageResult;
use crate::index::{BatchEnd, OrderedEntries, SecondaryIndex};
use crate::row::RowDecoder;
use crate::value::Value;

use super::key_only_read::KeyOnlyRead;
use super::settled_index::SettledEntries;
use super::table::{RowId, Table};
use super::transaction::{Snapshot, Transaction};

/// Where a range read stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RangeProgress {
    /// Every entry in the range was visited.
    Done,
    /// Stopped after an entry (the visitor said stop, or the batch was examined): its
    /// entry key is `RangeScratch::resume_after`, the exclusive bound to resume from.
    Stopped,
}

/// Buffers a range read reuses (a caller keeps one across batches and reads, so a read
/// allocates nothing once it has grown): the entry key a read stopped after.
#[derive(Debug, Default)]
pub struct RangeScratch {
    resume: Vec<u8>,
}

impl RangeScratch {
    /// After a read that returned `RangeProgress::Stopped`: the entry key (encoded key,
    /// then the row id big-endian) of the last entry examined.
    pub fn resume_after(&self) -> &[u8] {
        &self.resume
    }

    /// Swaps the resume key into `bound` (its old bytes become this scratch's buffer), so a
    /// cursor moving its bound allocates nothing.
    pub fn swap_resume_into(&mut self, bound: &mut Vec<u8>) {
        std::mem::swap(&mut self.resume, bound);
    }

    /// The buffer's capacity, in bytes (what keeping this scratch for a later read
    /// holds).
    pub fn capacity(&self) -> usize {
        self.resume.capacity()
    }
}

/// The checked read of an ordered index's entries: an entry is a row this transaction sees
/// when the row's visible version still has the entry's key. A stale entry (its row gone,
/// or given another key not yet unindexed) is no row; the key is compared with the entry's
/// bytes in place. While the index is settled for the transaction (`settled_index.rs`:
/// its entries are exactly the rows the snapshot sees, under their visible keys), the key
/// needs no comparing: the row is read (the caller wants its values) and the entry is
/// current as long as no edit of the index began since the token was taken, checked after
/// each entry was read. From the first entry the token no longer vouches for, every entry
/// is compared.
pub(super) struct EntryCheck<'a> {
    table: &'a Table,
    index: &'a SecondaryIndex,
    ordered: &'a OrderedEntries,
    snapshot: Snapshot,
    guard: &'a Guard,
    decoder: &'a RowDecoder,
    /// The settled token, until an entry is read that it no longer vouches for.
    settled: Cell<Option<SettledEntries>>,
}

impl EntryCheck<'_> {
    /// Whether entry `encoded` of `row` is a row this transaction sees; its visible version
    /// (if any) is decoded into `buffer`. An undecodable version is an error.
    #[inline]
    pub fn is_current(
        &self,
        row: RowId,
        encoded: &[u8],
        buffer: &mut Vec<Value>,
    ) -> StorageResult<bool> {
        let Some(payload) = self.table.visible_payload(row, &self.snapshot, self.guard) else {
            return Ok(false);
        };
        self.decoder.decode_into(row, payload, buffer)?;
        if self.is_vouched_for() {
            debug_assert!(
                self.index.ordered_key_matches(buffer, encoded),
                "a settled index's entry has its row's visible key"
            );
            return Ok(true);
        }
        Ok(self.index.ordered_key_matches(buffer, encoded))
    }

    /// Whether the entries read so far are still vouched for by the settled token (no
    /// edit of the index began since it was taken); once not, never again.
    #[inline]
    fn is_vouched_for(&self) -> bool {
        match self.settled.get() {
            Some(settled) if settled.still_settled(self.ordered) => true,
            Some(_) => {
                self.settled.set(None);
                false
            }
            None => false,
        }
    }

    /// The settled token this check was made with, while it still holds (see
    /// `is_vouched_for`: a reader checks it after each entry it reads by it).
    pub(super) fn settled(&self) -> Option<SettledEntries> {
        self.settled.get()
    }
}

/// Records, at a stop after entry `encoded` of `row`, its entry key (encoded key, then the
/// row id big-endian) in `resume`: the exclusive bound the next read starts from.
#[inline]
pub(super) fn stop_after(resume: &mut Vec<u8>, encoded: &[u8], row: RowId) {
    resume.clear();
    resume.extend_from_slice(encoded);
    resume.extend_from_slice(&row.to_be_bytes());
}

impl Transaction {
    /// The checked read of `ordered`, `index`'s entries in `table`, under this
    /// transaction's snapshot.
    pub(super) fn entry_check<'a>(
        &self,
        table: &'a Table,
        index: &'a SecondaryIndex,
        ordered: &'a OrderedEntries,
        guard: &'a Guard,
        decoder: &'a RowDecoder,
    ) -> EntryCheck<'a> {
        EntryCheck {
            table,
            index,
            ordered,
            snapshot: self.snapshot(),
            guard,
            decoder,
            settled: Cell::new(self.settled_entries(table, ordered)),
        }
    }

    /// Visits, in key order (descending with `reverse`), the rows this transaction sees
    /// whose encoded key in the ordered `index` lies within the bounds (over entry keys:
    /// encoded key then row id), decoded by `decoder` (which must decode the index's
    /// columns) into `buffer`. `visit` returns false to stop; at most `max_entries`
    /// entries are examined. Lock-free. `index` must be ordered. `scratch` holds the
    /// resume key when the read stops early.
    #[allow(clippy::too_many_arguments)]
    pub fn index_range(
        &self,
        table: &Arc<Table>,
        index: &SecondaryIndex,
        lower: Bound<&[u8]>,
        upper: Bound<&[u8]>,
        reverse: bool,
        max_entries: usize,
        decoder: &RowDecoder,
        buffer: &mut Vec<Value>,
        scratch: &mut RangeScratch,
        mut visit: impl FnMut(RowId, &mut Vec<Value>) -> bool,
    ) -> StorageResult<RangeProgress> {
        super::transaction::check_decoder_width(table, decoder)?;
        let Some(ordered) = index.ordered() else {
            self.note_table_read(table);
            return Ok(RangeProgress::Done);
        };
        self.note_range_read(table, index, lower, upper);
        let guard = epoch::pin();
        let check = self.entry_check(table, index, ordered, &guard, decoder);
        // A settled index whose entries hold every column decoded gives the rows without
        // reading them (`key_only_read.rs`); each entry so read is vouched for by the edit
        // count, checked after the entry was read and before it is visited. From the first
        // entry that cannot be, the rest are read the checked way.
        let mut key_only = KeyOnlyRead::plan(table, index, ordered, decoder)
            .and_then(|plan| Some((plan, check.settled()?)));
        let mut examined = 0;
        let mut progress = RangeProgress::Done;
        let mut failure = None;
        let RangeScratch { resume } = scratch;
        ordered.visit_range(lower, upper, reverse, &guard, |encoded, row| {
            examined += 1;
            let from_entry = key_only.as_ref().is_some_and(|(plan, settled)| {
                plan.fill(encoded, row, buffer) && settled.still_settled(ordered)
            });
            if !from_entry {
                key_only = None;
            }
            // The row is visited when read from the entry, or when its visible version
            // still has the entry's key (a stale entry is skipped: the row's key is compared
            // with the entry's bytes in place). One call of `visit`, so it inlines here.
            let current = from_entry
                || match check.is_current(row, encoded, buffer) {
                    Ok(current) => current,
                    Err(error) => {
                        failure = Some(error);
                        return false;
                    }
                };
            let keep_going = !current || visit(row, buffer);
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

impl Transaction {
    /// Counts the rows this transaction sees whose encoded key in the ordered `index` lies
    /// within the bounds (over entry keys), each entry checked as `index_range` checks it
    /// (`decoder`, which must decode the index's columns, into `buffer`) unless the index
    /// is settled for this transaction (`settled_index.rs`: then no row is read), walking the range
    /// in key order, `max_entries` entries at most (`OrderedEntries::visit_range_batch`).
    /// Returns the count, the row of the last entry counted, and where it stopped:
    /// `RangeProgress::Stopped` leaves in `scratch` (`resume_after`) the entry key the next
    /// read starts at, included. Lock-free. `index` must be ordered.
    #[allow(clippy::too_many_arguments)]
    pub fn count_index_range(
        &self,
        table: &Arc<Table>,
        index: &SecondaryIndex,
        lower: Bound<&[u8]>,
        upper: Bound<&[u8]>,
        max_entries: usize,
        decoder: &RowDecoder,
        buffer: &mut Vec<Value>,
        scratch: &mut RangeScratch,
    ) -> StorageResult<(u64, Option<RowId>, RangeProgress)> {
        super::transaction::check_decoder_width(table, decoder)?;
        let Some(ordered) = index.ordered() else {
            self.note_table_read(table);
            return Ok((0, None, RangeProgress::Done));
        };
        self.note_range_read(table, index, lower, upper);
        let guard = epoch::pin();
        // A settled index is counted by its entries alone (`settled_index.rs`); if an edit
        // ran meanwhile, the batch is counted again the checked way.
        if let Some(settled) = self.settled_entries(table, ordered) {
            let (mut counted, mut last) = (0u64, None);
            let end = ordered.visit_range_batch(lower, upper, max_entries, &guard, |_, row| {
                counted += 1;
                last = Some(row);
            });
            if settled.still_settled(ordered) {
                return Ok((counted, last, range_progress(end, scratch)));
            }
        }
        let check = self.entry_check(table, index, ordered, &guard, decoder);
        let mut counted = 0u64;
        let mut last = None;
        let mut failure = None;
        let end = ordered.visit_range_batch(lower, upper, max_entries, &guard, |encoded, row| {
            if failure.is_some() {
                return;
            }
            match check.is_current(row, encoded, buffer) {
                Ok(true) => {
                    counted += 1;
                    last = Some(row);
                }
                Ok(false) => {}
                Err(error) => failure = Some(error),
            }
        });
        if let Some(error) = failure {
            return Err(error);
        }
        Ok((counted, last, range_progress(end, scratch)))
    }
}

/// Where a counting batch ended, as a `RangeProgress`; when stopped, the entry key the next
/// batch starts at (included) goes to `scratch`.
fn range_progress(end: BatchEnd<'_>, scratch: &mut RangeScratch) -> RangeProgress {
    match end {
        BatchEnd::Done => RangeProgress::Done,
        BatchEnd::Before(entry) => {
            scratch.resume.clear();
            scratch.resume.extend_from_slice(entry);
            RangeProgress::Stopped
        }
    }
}

#[path = "ordered_skip.rs"]
mod skip;

#[path = "ordered_distinct.rs"]
mod distinct;
pub use distinct::{KeyParts, RunVisit};

#[path = "ordered_runs.rs"]
mod runs;

#[cfg(test)]
#[path = "ordered_read_tests.rs"]
pub(super) mod tests;
