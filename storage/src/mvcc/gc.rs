//! Garbage collection of old versions. A version is garbage when no present or future
//! snapshot can see it: it ended at a commit timestamp at or below the watermark (the oldest
//! read timestamp in use, see `active.rs`).
//!
//! Per slot, the collector finds the newest version whose begin is a commit timestamp at or
//! below the watermark (the "anchor"): every snapshot at or above the watermark stops at the
//! anchor or before it, so everything older than the anchor is unreachable for readers that
//! start from now on. The collector cuts the chain below the anchor and retires the cut-off
//! versions through crossbeam-epoch (one deferred destruction per batch of slots, counted
//! in the account's `pending_frees` so VACUUM can wait for it), so readers already walking
//! them (they hold an epoch pin) finish safely. Destroying a version frees its slab slot.
//! When the anchor itself is the head and was deleted at or below the watermark, the whole
//! chain is dead: the head is unlinked with a CAS (a concurrent insert onto the slot makes the
//! CAS fail and the chain is left for the next pass). In a primary-key table the CAS leaves
//! the head `RETIRED` and the key and slot are given back (`slot_reuse.rs`).
//!
//! FREEZING. When the anchor is the head, nobody ended it and nothing is left below it,
//! every present and future snapshot sees it: the collector freezes the row (`head.rs`). It
//! first claims the head's `end` with `END_FREEZING` (a CAS from `END_INFINITY`, so no writer
//! holds the version and none can claim it until the swap is done), then swaps the head for
//! the payload and retires the header alone (its payload lives on in the head).
//!
//! Concurrency: writers only ever change a slot's head pointer and the `end` of the head;
//! rollback restores a head to the version below its own (never below the anchor, since the
//! version it claimed still carries its transaction id and so is at or above the anchor).
//! Only one collector works on a table at a time (`GcState::lock`).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use crossbeam_epoch::{self as epoch, Guard, Shared};

use super::clock::TXN_ID_BASE;
use super::head::{Head, HeadWord};
use super::table::{RowId, Table};
use super::version::{Version, END_FREEZING, END_INFINITY, SAME_INDEX_KEYS};
use super::VERSION_HEADER_BYTES;

/// Per-table collector state and counters.
#[derive(Default)]
pub(crate) struct GcState {
    pub(crate) lock: Mutex<()>,
    pub(crate) runs: AtomicU64,
    pub(crate) versions_freed: AtomicU64,
    pub(crate) bytes_freed: AtomicU64,
    /// Direct slots emptied since the last release of empty slots' pages
    /// (`slot_release.rs`; changed under `lock`).
    pub(crate) emptied_since_release: AtomicU64,
}

impl GcState {
    /// Adds what a collection freed to the table's counters.
    fn count_freed(&self, report: &GcReport) {
        self.versions_freed
            .fetch_add(report.versions_freed, Ordering::Relaxed);
        self.bytes_freed
            .fetch_add(report.bytes_freed, Ordering::Relaxed);
    }
}

/// What one collection pass over a table did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GcReport {
    pub versions_freed: u64,
    /// Bytes freed: the freed versions' headers and payloads, and the headers of the rows
    /// frozen.
    pub bytes_freed: u64,
    /// Rows frozen (their one version's header freed, the payload kept).
    pub rows_frozen: u64,
}

impl GcReport {
    pub fn add(&mut self, other: GcReport) {
        self.versions_freed += other.versions_freed;
        self.bytes_freed += other.bytes_freed;
        self.rows_frozen += other.rows_frozen;
    }
}

/// Most slots one pass examines under a single epoch pin (long pins delay reclamation).
const SLOTS_PER_PIN: u64 = 4096;

/// A collection of at least this many rows reserves its list of retired versions up front
/// (a smaller one, say a point write's commit, allocates only if it retires something).
const RETIRED_RESERVE_MIN: usize = 64;
/// How many retired headers ahead the deferred recycling asks for a header's cache line.
const RECYCLE_PREFETCHED_AHEAD: usize = 8;

/// The fewest retired headers whose recycling prefetches them.
const RECYCLE_PREFETCHED_BATCH_MIN: u64 = 512;

/// The most entries reserved up front (512 KiB).
const RETIRED_RESERVE_MAX: usize = 1 << 16;

impl Table {
    /// Unlinks and retires every version no snapshot at or above `watermark` can see.
    pub fn collect_garbage(&self, watermark: u64) -> GcReport {
        debug_assert!(watermark < TXN_ID_BASE);
        let _collector = self
            .gc
            .lock
            .lock()
            .unwrap_or_else(|poison| poison.into_inner());
        let mut report = GcReport::default();
        let mut from = 0;
        while let Some(batch) = self.next_scan_batch(from, SLOTS_PER_PIN) {
            from = batch.end;
            self.collect_rows(batch, watermark, &mut report);
        }
        self.release_emptied_slots_if_due();
        self.release_unclustered_slots_if_due();
        self.gc.runs.fetch_add(1, Ordering::Relaxed);
        self.gc.count_freed(&report);
        report
    }

    /// Collects the chains of `rows` (the slots a transaction just changed, at commit) by the
    /// rule of `collect_garbage`, so updated rows do not pile up old versions between
    /// collector passes. Skipped when a collector holds the table (it collects them anyway).
    pub(crate) fn collect_slots(&self, rows: impl Iterator<Item = RowId>, watermark: u64) {
        debug_assert!(watermark < TXN_ID_BASE);
        let Ok(_collector) = self.gc.lock.try_lock() else {
            return;
        };
        let mut report = GcReport::default();
        self.collect_rows(rows, watermark, &mut report);
        self.release_emptied_slots_if_due();
        self.gc.count_freed(&report);
    }

    /// Collects the chains of `rows` under one epoch pin and retires what it unlinked.
    /// The caller holds `self.gc.lock`.
    fn collect_rows(
        &self,
        rows: impl Iterator<Item = RowId>,
        watermark: u64,
        report: &mut GcReport,
    ) {
        let guard = epoch::pin();
        // Every version retired so far (one buffer for all the rows).
        // Sized for one version per row at first (an UPDATE of many rows retires one each):
        // grown one push at a time it was copied over and over.
        let (rows_min, rows_max) = rows.size_hint();
        let rows_hint = rows_max.unwrap_or(rows_min);
        // A large collection unindexes its versions after the walk, when a table left
        // without rows has its indexes emptied whole instead (`index_reset.rs`).
        let deferring = rows_hint >= super::index_reset::DEFERRED_ROWS_MIN;
        let expected = rows_hint.min(RETIRED_RESERVE_MAX);
        let deferred_capacity = if deferring && self.has_indexes() {
            expected
        } else {
            0
        };
        let mut deferred: Vec<(RowId, Shared<'_, Version>)> = Vec::with_capacity(deferred_capacity);
        let mut emptied_chains = 0u64;
        let expected = if expected >= RETIRED_RESERVE_MIN {
            expected
        } else {
            0
        };
        let mut retired: Vec<Shared<'_, Version>> = Vec::with_capacity(expected);
        // The headers of the rows frozen so far (their payloads live on in the heads).
        let mut frozen: Vec<usize> = Vec::new();
        // Slots given back with their keys (primary-key tables).
        let mut reusable: Vec<RowId> = Vec::new();
        let mut key_values = Vec::new();
        let mut unindexing = super::unindex::UnindexBuffers::default();
        let keyed = self.primary().is_some();
        for row in rows {
            if let Some(slot) = self.slot(row) {
                // A key's slot is retired and given back with its key (`slot_reuse.rs`),
                // except a clustered table's direct home, which is the key's for good.
                let emptied_head = if keyed && !self.is_direct_row(row) {
                    HeadWord::retired()
                } else {
                    HeadWord::null()
                };
                let first = retired.len();
                let chain = Chain {
                    head: &slot.head,
                    watermark,
                    guard: &guard,
                    emptied_head,
                };
                let emptied = chain.collect(report, &mut retired, &mut frozen);
                emptied_chains += u64::from(emptied);
                if retired.len() > first && self.has_indexes() {
                    // A version unlinked across a `SAME_INDEX_KEYS` link has the keys of
                    // its newer neighbour, which stays or is unindexed here too.
                    let keyed_apart =
                        |link: &&Shared<'_, Version>| link.tag() & SAME_INDEX_KEYS == 0;
                    for version in retired[first..].iter().filter(keyed_apart) {
                        if deferring {
                            deferred.push((row, *version));
                            continue;
                        }
                        // SAFETY: unlinked but not destroyed: destruction is deferred
                        // below, after this pinned `guard`.
                        let version = unsafe { version.deref() };
                        super::unindex::unindex_version(
                            self,
                            row,
                            version,
                            &guard,
                            &mut unindexing,
                        );
                    }
                }
                if emptied && emptied_head.is_retired() {
                    // SAFETY: as above. Every version of a slot holds the slot's key.
                    let version = unsafe { retired[first].deref() };
                    if self.retire_slot(row, version, &mut key_values, &guard) {
                        reusable.push(row);
                    }
                }
            }
        }
        if !deferred.is_empty() && !self.reset_indexes_if_rowless(emptied_chains, &guard) {
            for (row, version) in deferred {
                // SAFETY: as above: unlinked, destroyed only after this pin.
                let version = unsafe { version.deref() };
                super::unindex::unindex_version(self, row, version, &guard, &mut unindexing);
            }
        }
        self.count_emptied_slots(emptied_chains);
        // Before any slot given back can be reused (after the epoch, so after this pin).
        super::unindex::remove_pending(self, &guard, &mut unindexing);
        self.reuse_after_epoch(reusable, &guard);
        retire(self, retired, frozen, &guard);
    }

    /// Collection passes run over this table.
    pub fn gc_runs(&self) -> u64 {
        self.gc.runs.load(Ordering::Relaxed)
    }

    /// Versions freed by garbage collection so far.
    pub fn gc_versions_freed(&self) -> u64 {
        self.gc.versions_freed.load(Ordering::Relaxed)
    }
}

fn is_committed_at_or_below(stamp: u64, watermark: u64) -> bool {
    stamp < TXN_ID_BASE && stamp <= watermark
}

/// One slot's chain under collection.
struct Chain<'h, 'g> {
    head: &'h Head,
    watermark: u64,
    guard: &'g Guard,
    /// What a head whose whole chain is dead becomes: empty, or `RETIRED` in a primary-key
    /// table (see `slot_reuse.rs`).
    emptied_head: HeadWord<'g>,
}

impl<'g> Chain<'_, 'g> {
    /// Collects the chain (see the module comment): appends the versions it unlinked to
    /// `retired` (the caller destroys them after the epoch, after removing their index
    /// entries) and the header of a row it froze to `frozen`. Returns whether the whole
    /// chain was dead and the head is `emptied_head` now.
    fn collect(
        &self,
        report: &mut GcReport,
        retired: &mut Vec<Shared<'g, Version>>,
        frozen: &mut Vec<usize>,
    ) -> bool {
        let (watermark, guard) = (self.watermark, self.guard);
        let first = self.head.load(Ordering::Acquire, guard);
        // A frozen head has nothing below it; an empty one nothing at all.
        let Some(head) = first.version() else {
            return false;
        };
        let mut current = head;
        // SAFETY: `guard` is pinned and versions are only destroyed after being unlinked, so
        // every version reachable from the slot now stays alive while we hold the pin.
        while let Some(version) = unsafe { current.as_ref() } {
            if is_committed_at_or_below(version.begin.load(Ordering::Acquire), watermark) {
                break;
            }
            current = version.older.load(Ordering::Acquire, guard);
        }
        // SAFETY: as above.
        let Some(anchor) = (unsafe { current.as_ref() }) else {
            return false;
        };
        let below = anchor.older.load(Ordering::Acquire, guard);
        if !below.is_null() {
            // A plain store, not a swap: a committed version's link changes only under the
            // collector lock we hold (here, and in an index's population), so nobody else
            // writes it meanwhile; readers see the old link or none, both safe under the epoch.
            anchor.older.store(Shared::null(), Ordering::Release);
            retire_chain(below, guard, report, retired);
        }
        if current != head {
            return false;
        }
        let end = anchor.end.load(Ordering::Acquire);
        if end == END_INFINITY {
            self.freeze(anchor, current, report, frozen);
        } else if is_committed_at_or_below(end, watermark)
            && self
                .head
                .compare_exchange(
                    first,
                    self.emptied_head,
                    Ordering::AcqRel,
                    Ordering::Acquire,
                )
                .is_ok()
        {
            retire_chain(current, guard, report, retired);
            return true;
        }
        false
    }

    /// Freezes the row whose head `anchor` (at `current`) began at or below the watermark,
    /// is unended and has nothing below it.
    fn freeze(
        &self,
        anchor: &Version,
        current: Shared<'g, Version>,
        report: &mut GcReport,
        frozen: &mut Vec<usize>,
    ) {
        let Some(word) = anchor.payload.slot().and_then(HeadWord::frozen) else {
            return;
        };
        if anchor
            .end
            .compare_exchange(
                END_INFINITY,
                END_FREEZING,
                Ordering::AcqRel,
                Ordering::Acquire,
            )
            .is_err()
        {
            return; // a writer claimed it first
        }
        // Only the claimant of the head's `end` changes a head whose top version is live, and
        // that is us now; compaction (which moves payloads) holds the collector lock we hold.
        let swapped = self.head.compare_exchange(
            HeadWord::from_version(current),
            word,
            Ordering::AcqRel,
            Ordering::Acquire,
        );
        debug_assert!(
            swapped.is_ok(),
            "a claimed head changed under the collector"
        );
        if swapped.is_err() {
            anchor.end.store(END_INFINITY, Ordering::Release);
            return;
        }
        report.rows_frozen += 1;
        report.bytes_freed += VERSION_HEADER_BYTES;
        frozen.push(current.as_raw() as usize);
    }
}

/// Recycles, after the epoch, the versions `collect` unlinked (payload and all) and the
/// headers of the rows it froze (keeping their payloads: the heads own them now), in one
/// deferred call handed to the epoch's global queue at once, so a VACUUM waiting for it does
/// not wait for this thread to pin again and the headers come back to the spare list
/// (`spare.rs`) within a few commits.
fn retire(table: &Table, unlinked: Vec<Shared<'_, Version>>, frozen: Vec<usize>, guard: &Guard) {
    if unlinked.is_empty() && frozen.is_empty() {
        return;
    }
    // Collected in place (a `Shared` is one word).
    let unlinked: Vec<usize> = unlinked
        .into_iter()
        .map(|version| version.as_raw() as usize)
        .collect();
    let account = Arc::clone(table.pool().account());
    let spare = Arc::clone(table.pool().spare_headers());
    let count = (unlinked.len() + frozen.len()) as u64;
    // The frozen headers' charges, released once for the batch.
    let frozen_bytes = frozen.len() as u64 * VERSION_HEADER_BYTES;
    account.pending_frees.fetch_add(count, Ordering::AcqRel);
    // SAFETY: every version in either list was unlinked or swapped out of its slot by this
    // collector (the only one: the caller holds the table's collector lock), so no new reader
    // can reach it; a frozen row's header is referenced from nowhere else (nothing was below
    // it and no writer claimed it). Readers that reached one earlier hold epoch pins, which
    // the deferred call waits for. Each is in the lists once and is an `Owned<Version>` (a
    // box); a frozen header gives its payload up before it is recycled.
    unsafe {
        guard.defer_unchecked(move || {
            // In a large batch each header is asked for a few ahead of its turn (they lie
            // anywhere in memory, and a small batch's are still cached).
            let prefetching = count >= RECYCLE_PREFETCHED_BATCH_MIN;
            let ahead = |list: &[usize], at: usize| {
                let header = list.get(at + RECYCLE_PREFETCHED_AHEAD);
                if let Some(&header) = header.filter(|_| prefetching) {
                    crate::prefetch::prefetch_read(header as *const Version);
                }
            };
            let headers = (0..frozen.len()).map(|at| {
                ahead(&frozen, at);
                let header = frozen[at] as *mut Version;
                (*header).payload.give_up_slot_unreleased();
                header
            });
            let versions = (0..unlinked.len()).map(|at| {
                ahead(&unlinked, at);
                unlinked[at] as *mut Version
            });
            spare.recycle(versions.chain(headers));
            account.release(frozen_bytes);
            account.pending_frees.fetch_sub(count, Ordering::AcqRel);
        });
    }
    guard.flush();
}

/// Collects every version of an unlinked chain into `retired`.
fn retire_chain<'g>(
    mut current: Shared<'g, Version>,
    guard: &'g Guard,
    report: &mut GcReport,
    retired: &mut Vec<Shared<'g, Version>>,
) {
    // SAFETY: the chain was unlinked by this (the only) collector and `guard` is pinned, so
    // its versions stay alive; the caller defers their destruction past the epoch. Each
    // version is collected once, as the walk passes it.
    while let Some(version) = unsafe { current.as_ref() } {
        let next = version.older.load(Ordering::Acquire, guard);
        report.versions_freed += 1;
        report.bytes_freed += version.footprint_bytes();
        retired.push(current);
        current = next;
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use crate::store::Store;
    use crate::value::{DataType, Value};
    use crate::TableSchema;

    fn keyed_table(store: &Store) -> Arc<crate::Table> {
        store.create_table(TableSchema {
            types: vec![DataType::Integer, DataType::Integer],
            key_columns: vec![0],
            added: Vec::new(),
        })
    }

    fn value_of(store: &Store, table: &crate::Table, key: i64) -> Option<i64> {
        let txn = store.begin().unwrap();
        let row = txn.find_key(table, &crate::index::IndexKey::Int(key))?;
        let mut out = Vec::new();
        txn.read_row(table, row, &mut out).unwrap();
        match out[1] {
            Value::Integer(v) => Some(v),
            _ => None,
        }
    }

    #[test]
    fn gc_frees_old_versions_but_keeps_what_snapshots_see() {
        let store = Store::new();
        let table = keyed_table(&store);
        let mut txn = store.begin().unwrap();
        let row = txn
            .insert(&table, &[Value::Integer(1), Value::Integer(0)])
            .unwrap();
        txn.commit().unwrap();
        // Holds the watermark at version 0 so commits cannot free what follows.
        let first_reader = store.begin().unwrap();
        for i in 1..=10 {
            let mut txn = store.begin().unwrap();
            txn.update(&table, row, &[Value::Integer(1), Value::Integer(i)])
                .unwrap();
            txn.commit().unwrap();
        }
        let old_reader = store.begin().unwrap();
        for i in 11..=20 {
            let mut txn = store.begin().unwrap();
            txn.update(&table, row, &[Value::Integer(1), Value::Integer(i)])
                .unwrap();
            txn.commit().unwrap();
        }
        drop(first_reader);
        let report = table.collect_garbage(store.watermark());
        assert_eq!(
            report.versions_freed, 10,
            "versions 0..=9 are below the reader"
        );
        let mut out = Vec::new();
        assert!(old_reader.read_row(&table, row, &mut out).unwrap());
        assert_eq!(out[1], Value::Integer(10));
        drop(old_reader);
        let report = table.collect_garbage(store.watermark());
        assert_eq!(report.versions_freed, 10);
        assert_eq!(value_of(&store, &table, 1), Some(20));
        let stats = table.stats(&store.begin().unwrap().snapshot());
        assert_eq!((stats.versions, stats.live_rows), (1, 1));
        assert_eq!(table.gc_versions_freed(), 20);
        assert_eq!(table.gc_runs(), 2);
    }

    #[test]
    fn gc_unlinks_deleted_rows_and_the_key_can_return() {
        let store = Store::new();
        let table = keyed_table(&store);
        let mut txn = store.begin().unwrap();
        let row = txn
            .insert(&table, &[Value::Integer(7), Value::Integer(1)])
            .unwrap();
        txn.commit().unwrap();
        let reader = store.begin().unwrap();
        let mut txn = store.begin().unwrap();
        txn.delete(&table, row).unwrap();
        txn.commit().unwrap();
        drop(reader);
        let report = table.collect_garbage(store.watermark());
        assert_eq!(report.versions_freed, 1);
        assert_eq!(table.stats(&store.begin().unwrap().snapshot()).versions, 0);
        let mut txn = store.begin().unwrap();
        txn.insert(&table, &[Value::Integer(7), Value::Integer(2)])
            .unwrap();
        txn.commit().unwrap();
        assert_eq!(value_of(&store, &table, 7), Some(2));
    }

    #[test]
    fn gc_leaves_uncommitted_and_claimed_versions_alone() {
        let store = Store::new();
        let table = keyed_table(&store);
        let mut txn = store.begin().unwrap();
        let row = txn
            .insert(&table, &[Value::Integer(1), Value::Integer(0)])
            .unwrap();
        txn.commit().unwrap();
        let mut writer = store.begin().unwrap();
        writer
            .update(&table, row, &[Value::Integer(1), Value::Integer(5)])
            .unwrap();
        assert_eq!(table.collect_garbage(store.watermark()).versions_freed, 0);
        writer.rollback();
        assert_eq!(value_of(&store, &table, 1), Some(0));
        assert_eq!(table.collect_garbage(store.watermark()).versions_freed, 0);
    }

    #[test]
    fn concurrent_gc_readers_and_writers_keep_every_row_readable() {
        let store = Store::new();
        let table = keyed_table(&store);
        let rows: Vec<_> = {
            let mut txn = store.begin().unwrap();
            let rows = (0..64)
                .map(|k| {
                    txn.insert(&table, &[Value::Integer(k), Value::Integer(0)])
                        .unwrap()
                })
                .collect();
            txn.commit().unwrap();
            rows
        };
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let collector = {
            let (store, table, stop) = (store.clone(), Arc::clone(&table), Arc::clone(&stop));
            std::thread::spawn(move || {
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    table.collect_garbage(store.watermark());
                }
            })
        };
        let workers: Vec<_> = (0..3)
            .map(|seed| {
                let (store, table, rows) = (store.clone(), Arc::clone(&table), rows.clone());
                std::thread::spawn(move || {
                    let mut out = Vec::new();
                    for i in 0..3000usize {
                        let row = rows[(i * 7 + seed * 13) % rows.len()];
                        let key = ((i * 7 + seed * 13) % rows.len()) as i64;
                        let mut txn = store.begin().unwrap();
                        assert!(txn.read_row(&table, row, &mut out).unwrap(), "row vanished");
                        let Value::Integer(old) = out[1] else {
                            panic!("bad value")
                        };
                        let values = [Value::Integer(key), Value::Integer(old + 1)];
                        let updated = txn.update(&table, row, &values).is_ok();
                        if updated && i % 5 == 0 {
                            txn.rollback();
                        } else if updated {
                            txn.commit().unwrap();
                        }
                    }
                })
            })
            .collect();
        for worker in workers {
            worker.join().unwrap();
        }
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        collector.join().unwrap();
        table.collect_garbage(store.watermark());
        let stats = table.stats(&store.begin().unwrap().snapshot());
        assert_eq!((stats.live_rows, stats.versions), (64, 64));
    }

    /// Commits rows `(k, 0)` for k in `0..count`; returns their row ids.
    fn insert_zeroed_rows(store: &Store, table: &Arc<crate::Table>, count: i64) -> Vec<u64> {
        let mut txn = store.begin().unwrap();
        let rows = (0..count)
            .map(|k| {
                txn.insert(table, &[Value::Integer(k), Value::Integer(0)])
                    .unwrap()
            })
            .collect();
        txn.commit().unwrap();
        rows
    }

    fn set_all(store: &Store, table: &Arc<crate::Table>, rows: &[u64], value: i64) {
        let mut txn = store.begin().unwrap();
        for (key, row) in rows.iter().enumerate() {
            txn.update(
                table,
                *row,
                &[Value::Integer(key as i64), Value::Integer(value)],
            )
            .unwrap();
        }
        txn.commit().unwrap();
    }

    #[test]
    fn commit_frees_the_versions_it_replaced_unless_a_snapshot_sees_them() {
        let store = Store::new();
        let table = keyed_table(&store);
        let rows = insert_zeroed_rows(&store, &table, 40);
        let versions = || table.stats(&store.begin().unwrap().snapshot()).versions;
        set_all(&store, &table, &rows, 1);
        assert_eq!(
            versions(),
            40,
            "no snapshot: the replaced versions are freed"
        );
        let reader = store.begin().unwrap();
        set_all(&store, &table, &rows, 2);
        assert_eq!(versions(), 80, "the reader's versions stay");
        let mut out = Vec::new();
        for row in &rows {
            assert!(reader.read_row(&table, *row, &mut out).unwrap());
            assert_eq!(out[1], Value::Integer(1));
        }
        drop(reader);
        set_all(&store, &table, &rows, 3);
        assert_eq!(versions(), 40, "the next commit frees what the reader held");
        assert_eq!(
            table.gc_versions_freed(),
            120,
            "40 at the first commit, 80 at the last"
        );
        assert_eq!(table.gc_runs(), 0, "commits are not collector passes");
    }

    #[test]
    fn snapshots_stay_stable_while_commits_free_versions() {
        // Writers move amounts between rows (the sum stays 0) and now and then rewrite every
        // row in one transaction; their commits free the versions they replace. Readers hold
        // snapshots across many commits and read every row twice: a version freed under a
        // reader would change what it reads (freed slots are poisoned in debug builds).
        let store = Store::new();
        let table = keyed_table(&store);
        let rows = insert_zeroed_rows(&store, &table, 32);
        let read_all = |txn: &crate::Transaction, table: &crate::Table, rows: &[u64]| {
            let mut out = Vec::new();
            rows.iter()
                .map(|row| {
                    assert!(txn.read_row(table, *row, &mut out).unwrap(), "row vanished");
                    match out[1] {
                        Value::Integer(v) => v,
                        _ => panic!("bad value"),
                    }
                })
                .collect::<Vec<i64>>()
        };
        let writers: Vec<_> = (0..2u64)
            .map(|seed| {
                let (store, table, rows) = (store.clone(), Arc::clone(&table), rows.clone());
                std::thread::spawn(move || {
                    for i in 0..1500u64 {
                        let mut txn = store.begin().unwrap();
                        let values = read_all(&txn, &table, &rows);
                        let n = rows.len() as u64;
                        let changes: Vec<(usize, i64)> = if i % 50 == 0 {
                            (0..rows.len()).map(|k| (k, values[k])).collect()
                        } else {
                            let a = ((i * 7 + seed * 3) % n) as usize;
                            let b = ((i * 13 + seed * 5 + 1) % n) as usize;
                            if a == b {
                                continue;
                            }
                            vec![(a, values[a] - 1), (b, values[b] + 1)]
                        };
                        let written = changes.iter().all(|(k, v)| {
                            let new = [Value::Integer(*k as i64), Value::Integer(*v)];
                            txn.update(&table, rows[*k], &new).is_ok()
                        });
                        if written {
                            txn.commit().unwrap();
                        }
                    }
                })
            })
            .collect();
        let readers: Vec<_> = (0..2)
            .map(|_| {
                let (store, table, rows) = (store.clone(), Arc::clone(&table), rows.clone());
                std::thread::spawn(move || {
                    for _ in 0..300 {
                        let txn = store.begin().unwrap();
                        let first = read_all(&txn, &table, &rows);
                        assert_eq!(first.iter().sum::<i64>(), 0, "a snapshot is consistent");
                        std::thread::yield_now();
                        assert_eq!(read_all(&txn, &table, &rows), first, "snapshot moved");
                    }
                })
            })
            .collect();
        for thread in writers.into_iter().chain(readers) {
            thread.join().unwrap();
        }
        table.collect_garbage(store.watermark());
        let stats = table.stats(&store.begin().unwrap().snapshot());
        assert_eq!((stats.live_rows, stats.versions), (32, 32));
        let txn = store.begin().unwrap();
        assert_eq!(read_all(&txn, &table, &rows).iter().sum::<i64>(), 0);
    }
}
