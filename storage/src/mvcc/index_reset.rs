//! Emptying a table's secondary indexes whole when a collection left the table without a
//! row: after a DELETE of every row (or of most rows, the rest gone earlier), the entries
//! the collector would remove one by one (a key decoded per version, then a sorted removal)
//! are all the index holds, so the hash array and the ordered tree are replaced by empty
//! ones and the old ones retired through the epoch, whole.
//!
//! SAFETY OF THE RESET. Under an index's writer lock the collector walks every slot; when no
//! slot holds a version (committed, uncommitted or frozen), no entry of the index has a
//! version with its key (the INVARIANT of `indexing.rs` holds for versions in chains only),
//! so every entry is stale and removing all of them is what entry-by-entry removal would
//! end with. A writer links its version into a slot before it takes the index's writer lock
//! to add the entry (ORDER in `indexing.rs`): a version linked before the walk is seen by it
//! (the lock orders the two), and the entry of one linked after it is added after the reset.
//! An index whose walk finds a row keeps its entries, and the caller removes the unlinked
//! versions' entries one by one as for any collection.

use std::sync::atomic::Ordering;

use crossbeam_epoch::Guard;

use super::table::Table;

/// A collection of fewer rows than this unindexes each version as it goes (a point write's
/// commit): the reset is for large deletes.
pub(super) const DEFERRED_ROWS_MIN: usize = 1024;

/// Slots walked between two looks at whether the walk can stop.
const SLOTS_PER_BATCH: u64 = 4096;

impl Table {
    /// Empties every secondary index of the table whole when no slot holds a row (see the
    /// module comment), `emptied` being how many chains the collection just emptied (the
    /// walk is tried only when they are at least half the table's slots). Returns whether
    /// every index was emptied; `false` leaves the entries of the indexes not emptied to the
    /// caller's removal one by one. The caller holds the collector lock and pins `guard`.
    pub(super) fn reset_indexes_if_rowless(&self, emptied: u64, guard: &Guard) -> bool {
        if emptied.saturating_mul(2) < self.slots_in_use() {
            return false;
        }
        let indexes = self.secondary.load();
        for index in indexes.iter() {
            let writer = index.map.lock_writer();
            if self.holds_a_row(guard) {
                return false;
            }
            writer.clear();
            if let Some(ordered) = index.ordered() {
                ordered.clear(guard);
            }
            drop(writer);
        }
        true
    }

    /// Whether any slot holds a version or a frozen row.
    fn holds_a_row(&self, guard: &Guard) -> bool {
        let mut found = false;
        let mut from = 0;
        while let Some(batch) = self.next_scan_batch(from, SLOTS_PER_BATCH) {
            from = batch.end;
            self.for_each_slot(batch, guard, |_, slot| {
                let head = slot.head.load(Ordering::Acquire, guard);
                found = !head.is_null() && !head.is_retired();
                !found
            });
            if found {
                return true;
            }
        }
        false
    }
}

#[cfg(test)]
#[path = "index_reset_tests.rs"]
mod tests;
