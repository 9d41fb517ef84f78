//! First updater wins: how a writer takes a row. `claim` stamps the visible head version's
//! `end` with the writer's id (a CAS from `END_INFINITY`), after putting a header back over a
//! frozen row (`thaw`, see `head.rs`); `push_onto_key_slot` links a new version over a key
//! whose row is gone. A write that meets another transaction's claim or uncommitted version
//! fails at once with `Conflict`.

use std::sync::atomic::Ordering;

use crossbeam_epoch::{Guard, Shared};

use crate::error::{StorageError, StorageErrorKind, StorageResult};
use crate::slab::Payload;

use super::clock::TXN_ID_BASE;
use super::head::{FrozenSlot, HeadWord, FROZEN_BEGIN};
use super::table::{RowId, Slot, Table};
use super::transaction::{conflict, Transaction};
use super::version::{is_unended, Version, END_FREEZING, END_INFINITY};

/// What a claim is for: the header a frozen row gets back is checked against the memory
/// budget for an update (which adds a version anyway), but not for a delete, which must work
/// when memory is full (it is how memory is given back; the header goes at commit).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ClaimFor {
    Update,
    Delete,
}

/// Makes `version` the head of a slot just allocated for a new row (empty, or retired and
/// given back: nobody else links onto it).
pub(super) fn link_new_row<'g>(slot: &Slot, version: Shared<'g, Version>, guard: &'g Guard) {
    debug_assert!(
        // SAFETY: the version is not linked anywhere yet, so only this thread can reach it.
        unsafe { version.deref() }
            .older
            .load(Ordering::Relaxed, guard)
            .is_null(),
        "a new row's version links to no other slot's chain"
    );
    slot.head
        .store(HeadWord::from_version(version), Ordering::Release);
}

impl Transaction {
    /// Installs `version` at the head of a key's slot whose current head is not a live row
    /// for this transaction. Returns false, linking nothing, when the slot is retired (the
    /// key's entry is being removed: the caller probes the index again), or empty when
    /// `gone_when_empty` (a clustered table's direct home the collector emptied: the
    /// caller looks for the key's home again, `clustered.rs`). Unless it returns true,
    /// `version` links to nothing (`older` is null), so the caller may put it anywhere.
    pub(super) fn push_onto_key_slot<'g>(
        &self,
        table: &Table,
        slot: &Slot,
        version: Shared<'g, Version>,
        gone_when_empty: bool,
        guard: &'g Guard,
    ) -> StorageResult<bool> {
        let txn_id = self.snapshot.txn_id;
        // SAFETY: `version` is not linked yet, so only this thread can reach it.
        let new = unsafe { version.deref() };
        loop {
            let head = slot.head.load(Ordering::Acquire, guard);
            if head.is_retired() || (gone_when_empty && head.is_null()) {
                return Ok(false);
            }
            if head.is_frozen() {
                // A frozen row is committed, live and seen by every snapshot.
                return Err(StorageError::new(
                    StorageErrorKind::UniqueViolation,
                    "duplicate primary key",
                ));
            }
            if let Some(current) = head.version_ref() {
                let begin = current.begin.load(Ordering::Acquire);
                let end = current.end.load(Ordering::Acquire);
                if begin >= TXN_ID_BASE && begin != txn_id {
                    return Err(conflict(table));
                }
                if is_unended(end) {
                    if begin == txn_id || begin <= self.snapshot.read_ts {
                        return Err(StorageError::new(
                            StorageErrorKind::UniqueViolation,
                            "duplicate primary key",
                        ));
                    }
                    return Err(conflict(table));
                }
                let ended_for_us = if end >= TXN_ID_BASE {
                    end == txn_id
                } else {
                    end <= self.snapshot.read_ts
                };
                if !ended_for_us {
                    return Err(conflict(table));
                }
            }
            new.older
                .store(head.version().unwrap_or_default(), Ordering::Relaxed);
            let new_head = HeadWord::from_version(version);
            if slot
                .head
                .compare_exchange(head, new_head, Ordering::AcqRel, Ordering::Acquire)
                .is_ok()
            {
                return Ok(true);
            }
            // The head changed under us: forget the link to it before looking again. Left in
            // place, a failed push (the collector retiring the slot) would send the version
            // on to a fresh slot still pointing at the retired chain, which the collector
            // frees: a chain shared by two slots, freed twice.
            new.older.store(Shared::null(), Ordering::Relaxed);
        }
    }

    /// Claims the visible head version of `row` for this transaction (first updater wins).
    pub(super) fn claim<'g>(
        &mut self,
        table: &'g Table,
        row: RowId,
        purpose: ClaimFor,
        guard: &'g Guard,
    ) -> StorageResult<(&'g Slot, Shared<'g, Version>)> {
        let txn_id = self.writer_id();
        let slot = table.slot(row).ok_or_else(|| {
            StorageError::new(
                StorageErrorKind::InvalidData,
                format!("row {row} does not exist"),
            )
        })?;
        loop {
            let word = slot.head.load(Ordering::Acquire, guard);
            if let Some(frozen) = word.frozen_slot() {
                // A frozen row is committed and ended by nobody: thawed already claimed (one
                // CAS instead of a thaw and a claim).
                match self.thaw_claimed(table, slot, word, frozen, purpose, guard)? {
                    Some(header) => return Ok((slot, header)),
                    None => continue,
                }
            }
            let Some(head) = word.version() else {
                return Err(conflict(table));
            };
            // SAFETY: pinned guard; versions reachable from a slot are alive.
            let current = unsafe { head.deref() };
            let begin = current.begin.load(Ordering::Acquire);
            let mine = begin == txn_id;
            if !mine && (begin >= TXN_ID_BASE || begin > self.snapshot.read_ts) {
                return Err(conflict(table));
            }
            match current.end.compare_exchange(
                END_INFINITY,
                txn_id,
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => return Ok((slot, head)),
                // The collector is swapping this head for its payload; claim that next.
                Err(END_FREEZING) => std::thread::yield_now(),
                Err(_) => return Err(conflict(table)),
            }
        }
    }

    /// Puts a header back over a frozen row (see `head.rs`), claimed for this transaction:
    /// a version stamped `FROZEN_BEGIN`..(this writer) that takes the frozen payload over,
    /// swapped in with a CAS. Readers see it as the frozen row (an uncommitted end is no end
    /// to them), other writers as claimed. `None` when another writer (or compaction)
    /// changed the head first: the caller reloads it.
    fn thaw_claimed<'g>(
        &mut self,
        table: &Table,
        slot: &'g Slot,
        word: HeadWord<'g>,
        frozen: FrozenSlot,
        purpose: ClaimFor,
        guard: &'g Guard,
    ) -> StorageResult<Option<Shared<'g, Version>>> {
        let headroom = match purpose {
            ClaimFor::Update => Some(table.index_headroom_bytes()),
            ClaimFor::Delete => None,
        };
        let payload = Payload::adopt_slot(table.pool(), &mut self.slots, frozen, headroom)?;
        let header = self.new_version(table, FROZEN_BEGIN, payload);
        // Published by the CAS below (release), so no reader sees it unclaimed.
        header.end.store(self.writer_id(), Ordering::Relaxed);
        let header = header.into_shared(guard);
        let thawed = HeadWord::from_version(header);
        if slot
            .head
            .compare_exchange(word, thawed, Ordering::AcqRel, Ordering::Acquire)
            .is_err()
        {
            // SAFETY: the header was never published, so it is ours alone.
            let mut header = unsafe { header.into_owned() };
            header.payload.give_up_slot(table.pool().account());
            return Ok(None);
        }
        Ok(Some(header))
    }
}
