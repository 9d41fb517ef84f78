//! Slots of primary-key tables given back for reuse. A primary-key table's slot is the home
//! of one key: while the key's row is deleted but some snapshot may still see it, a new insert
//! of the key links onto the same slot. Once the collector retires the whole chain of a
//! deleted row (`gc.rs`, nothing left that any snapshot sees), the key and its slot are
//! given back: the head becomes `RETIRED` (`head.rs`) in the same CAS that unlinks the chain,
//! the key's primary-index entry is removed (its array shrinks when mostly empty), and after
//! the epoch the slot joins the table's free list, where `Table::allocate_slot` takes slots
//! first. So a table whose rows come and go (expiry, eviction, queues) holds index entries
//! and slots for its rows, not for every key it ever held.
//!
//! RACES. An insert that found the key's entry before its removal and then meets the
//! `RETIRED` head probes the index again (`Transaction::insert`): the entry is gone then, or
//! going (the collector removes it right after the CAS), and the insert makes a new slot; its
//! version goes there linked to nothing (a push that loses its CAS forgets the head it would
//! have linked to: the collector frees that chain, and a second slot reaching it would free
//! it again). A
//! reader that got the row id from an index probe holds an epoch pin until it has read the
//! slot, and the slot is reused only after the epoch, so no reader sees a slot change keys
//! under it; rows a live snapshot sees are never retired (the watermark).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use crossbeam_epoch::Guard;

use super::head::HeadWord;
use super::table::{RowId, Table};
use super::version::Version;
use crate::value::Value;

/// A table's retired slots, ready for new rows.
#[derive(Default)]
pub(crate) struct ReusableSlots {
    rows: Mutex<Vec<RowId>>,
    /// `rows.len()`, read without the lock by every insert (nothing to take: one load).
    count: AtomicUsize,
}

impl ReusableSlots {
    /// A retired slot, if there is one. The caller owns it and must make it a row's home.
    #[inline]
    pub(crate) fn take(&self) -> Option<RowId> {
        if self.count.load(Ordering::Relaxed) == 0 {
            return None;
        }
        self.take_slow()
    }

    #[cold]
    fn take_slow(&self) -> Option<RowId> {
        let mut rows = self.rows.lock().unwrap_or_else(|p| p.into_inner());
        let row = rows.pop();
        self.count.store(rows.len(), Ordering::Relaxed);
        row
    }

    /// Takes every slot waiting for reuse (inserts find none until they are given back).
    pub(super) fn take_all(&self) -> Vec<RowId> {
        let mut rows = self.rows.lock().unwrap_or_else(|p| p.into_inner());
        self.count.store(0, Ordering::Relaxed);
        std::mem::take(&mut *rows)
    }

    pub(super) fn give_back(&self, retired: &[RowId]) {
        let mut rows = self.rows.lock().unwrap_or_else(|p| p.into_inner());
        rows.extend_from_slice(retired);
        self.count.store(rows.len(), Ordering::Relaxed);
    }

    /// Slots waiting for reuse.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.count.load(Ordering::Relaxed)
    }
}

impl Table {
    /// Gives back the key and the slot of `row`, whose head the collector just swapped from
    /// its dead chain to `RETIRED`; `chain` is a version of that chain (unlinked, not yet
    /// destroyed: `guard` is pinned; every version of a slot holds the slot's key). Returns
    /// whether the slot goes back for reuse; when the key cannot be read from the version or
    /// its entry does not point here, the head is made empty again instead and the slot
    /// stays as it was before slots were reused.
    /// `values` is a scratch buffer for the decoded row.
    pub(super) fn retire_slot(
        &self,
        row: RowId,
        chain: &Version,
        values: &mut Vec<Value>,
        guard: &Guard,
    ) -> bool {
        let slot = self.slot(row).expect("a collected slot exists");
        debug_assert!(slot.head.load(Ordering::Acquire, guard).is_retired());
        let key = match self.schema().decode_into(row, chain.payload(guard), values) {
            Ok(()) => self.key_of(values),
            Err(_) => None,
        };
        // Reused only when the entry pointing here is gone: an entry left behind would lead
        // a probe of the old key to the slot's next row.
        let removed = match (self.primary(), key) {
            (Some(primary), Some(key)) => primary.remove(&key, row),
            _ => false,
        };
        if !removed {
            // Nobody links onto a retired head, so the slot is still ours to reset.
            slot.head.store(HeadWord::null(), Ordering::Release);
        }
        removed
    }

    /// Puts `retired` (slots `retire_slot` gave back) on the free list after the epoch: a
    /// reader that probed the index before the keys were removed may still read the slots
    /// under its pin.
    pub(super) fn reuse_after_epoch(&self, retired: Vec<RowId>, guard: &Guard) {
        if retired.is_empty() {
            return;
        }
        let reusable: Arc<ReusableSlots> = Arc::clone(&self.reusable);
        // Counted with the deferred frees, so `SlabPool::drain_deferred_frees` waits for it.
        let account = Arc::clone(self.pool().account());
        account.pending_frees.fetch_add(1, Ordering::AcqRel);
        guard.defer(move || {
            reusable.give_back(&retired);
            account.pending_frees.fetch_sub(1, Ordering::AcqRel);
        });
    }
}
