//! An MVCC table: a growable array of row slots (chunked, so it grows without moving and
//! readers index it without locks), each slot holding the head of a version chain, plus the
//! primary-key hash index when the table declares a key, and the table's secondary indexes
//! (`indexing.rs`). Tables without a key use the slot id as a hidden row id.

use std::ptr;
use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use arc_swap::ArcSwap;
use crossbeam_epoch::{self as epoch, Guard, Shared};

use crate::error::{StorageError, StorageErrorKind, StorageResult};
use crate::index::{IndexKey, KeyCollation, PrimaryIndex, SecondaryIndex};
use crate::limits::TABLE_SLOTS_MAX;
use crate::prefetch::prefetch_read;
use crate::slab::{arena, SlabPool};
use crate::value::{DataType, Value};

use super::head::Head;
use super::transaction::Snapshot;
use super::version::Version;

/// A slot id: stable for the life of the row's key (primary-key tables) or row (others).
pub type RowId = u64;

/// What storage needs to know of a table's shape.
#[derive(Debug, Clone, PartialEq)]
pub struct TableSchema {
    pub types: Vec<DataType>,
    /// Columns of the primary key, in key order; empty for a table with a hidden row id.
    pub key_columns: Vec<usize>,
    /// What rows written before each added column (the last `added.len()` of `types`, see
    /// `row/added.rs`) read for it; empty for a table that never grew.
    pub added: Vec<Value>,
}

pub(crate) struct Slot {
    pub(crate) head: Head,
}

impl TableSchema {
    /// When `decoder` decodes no column but a single INTEGER primary-key column, fills `out`
    /// from the probed `key` (every version in the key's slot holds exactly that integer
    /// there) and returns true: an UPDATE or DELETE by key, or a select of the key alone,
    /// reads no payload. (A decoder that decodes nothing reads no payload either.)
    #[inline]
    pub(crate) fn key_gives_decoded(
        &self,
        key: &IndexKey,
        decoder: &crate::row::RowDecoder,
        out: &mut Vec<Value>,
    ) -> bool {
        let (&[key_column], IndexKey::Int(int)) = (self.key_columns.as_slice(), key) else {
            return false;
        };
        if decoder.sole_decoded_column() != Some(key_column)
            || self.types[key_column] != DataType::Integer
        {
            return false;
        }
        out.clear();
        out.resize(self.types.len(), Value::Null);
        out[key_column] = Value::Integer(*int);
        true
    }
}

const CHUNK_BASE: u64 = 1024;
const CHUNK_COUNT: usize = 31;

const _: () = assert!(TABLE_SLOTS_MAX <= CHUNK_BASE * ((1u64 << CHUNK_COUNT) - 1));

/// Counters a table keeps about itself.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TableStats {
    pub slots: u64,
    pub live_rows: u64,
    pub versions: u64,
    pub payload_bytes: u64,
    /// Memory held by versions: headers plus payload slots (or large allocations).
    pub version_bytes: u64,
    /// Slab slot bytes (and large allocations) holding this table's payloads.
    pub slab_bytes: u64,
    pub gc_runs: u64,
    pub gc_versions_freed: u64,
    /// Versions the snapshot does not see (kept for older snapshots or history, or waiting
    /// for the collector), and the memory they hold.
    pub dead_versions: u64,
    pub dead_version_bytes: u64,
}

pub struct Table {
    id: u64,
    /// The current schema, one of `schemas` (see `schema()`).
    schema: AtomicPtr<TableSchema>,
    /// Every schema the table has had, oldest first, kept until the table is dropped.
    schemas: Mutex<Vec<Arc<TableSchema>>>,
    chunks: [AtomicPtr<Slot>; CHUNK_COUNT],
    slot_count: AtomicU64,
    grow_lock: Mutex<()>,
    primary: Option<PrimaryIndex>,
    /// The collation each primary-key column's key is normalized under (see `index/key.rs`);
    /// empty when all are BINARY, the usual case, which `key_of` serves as before.
    key_collations: Box<[KeyCollation]>,
    /// Secondary indexes, swapped whole when one is added or dropped; writers load the list
    /// without locks and maintain every index in it.
    pub(crate) secondary: ArcSwap<Vec<Arc<SecondaryIndex>>>,
    /// The length of the `secondary` list, stored with it: writers read this one word to
    /// learn that there is no index to maintain, without loading the list.
    pub(crate) secondary_count: AtomicUsize,
    /// Serializes adding and dropping secondary indexes; hands out index ids.
    pub(crate) index_ddl: Mutex<u64>,
    /// Garbage collection bookkeeping (see `gc.rs`).
    pub(crate) gc: super::gc::GcState,
    /// Where payloads live (shared by every table of the store).
    pool: Arc<SlabPool>,
    /// Set by DROP TABLE (under the DDL lock, before the drop is logged): a transaction that
    /// wrote to the table and commits later is refused, so no logged commit names a table
    /// the log no longer defines.
    dropped: AtomicBool,
    /// The oldest commit whose state of this table AS OF may read: set once, when the table
    /// (this storage) first appears in a published catalog (`u64::MAX` until then).
    history_floor: AtomicU64,
    /// Set while ALTER TABLE DROP COLUMN copies the table into a new one, and for good once
    /// it succeeded: a transaction that wrote to this table commits no more (`rebuild.rs`).
    pub(super) rebuilt: AtomicBool,
    /// Slots whose keys and rows are gone, for new rows (primary-key tables; `slot_reuse.rs`).
    pub(super) reusable: Arc<super::slot_reuse::ReusableSlots>,
    /// Bytes of the committed rows, the table's budget bookkeeping and access marks.
    pub(crate) budget: super::budget::TableBudget,
}

fn chunk_len(chunk: usize) -> u64 {
    CHUNK_BASE << chunk
}

/// The error of a table that handed out every slot it may have.
#[cold]
fn slots_exhausted() -> StorageError {
    StorageError::new(
        StorageErrorKind::Limit,
        format!("table passed {TABLE_SLOTS_MAX} row slots"),
    )
}

/// Which chunk holds `row`, and where in it.
fn locate(row: RowId) -> (usize, usize) {
    let n = row / CHUNK_BASE + 1;
    let chunk = 63 - n.leading_zeros() as usize;
    let offset = row - CHUNK_BASE * ((1u64 << chunk) - 1);
    debug_assert!(offset < chunk_len(chunk));
    (chunk, offset as usize)
}

impl Table {
    pub fn new(id: u64, schema: TableSchema, pool: Arc<SlabPool>) -> Table {
        Table::with_key_collations(id, schema, pool, Vec::new())
    }

    /// A table whose primary-key column `i` keys its text normalized under
    /// `key_collations[i]` (empty: all BINARY), so texts equal under the collation are one key.
    pub fn with_key_collations(
        id: u64,
        schema: TableSchema,
        pool: Arc<SlabPool>,
        key_collations: Vec<KeyCollation>,
    ) -> Table {
        debug_assert!(schema.key_columns.iter().all(|c| *c < schema.types.len()));
        debug_assert!(
            key_collations.is_empty() || key_collations.len() == schema.key_columns.len()
        );
        let key_collations = if key_collations.iter().all(|&c| c == KeyCollation::Binary) {
            Box::default()
        } else {
            key_collations.into_boxed_slice()
        };
        let primary = (!schema.key_columns.is_empty())
            .then(|| PrimaryIndex::with_account(Some(Arc::clone(pool.account()))));
        let schema = Arc::new(schema);
        Table {
            id,
            schema: AtomicPtr::new(Arc::as_ptr(&schema).cast_mut()),
            schemas: Mutex::new(vec![schema]),
            chunks: std::array::from_fn(|_| AtomicPtr::new(ptr::null_mut())),
            slot_count: AtomicU64::new(0),
            grow_lock: Mutex::new(()),
            primary,
            key_collations,
            secondary: ArcSwap::from_pointee(Vec::new()),
            secondary_count: AtomicUsize::new(0),
            index_ddl: Mutex::new(1),
            gc: super::gc::GcState::default(),
            pool,
            dropped: AtomicBool::new(false),
            history_floor: AtomicU64::new(u64::MAX),
            rebuilt: AtomicBool::new(false),
            reusable: Arc::default(),
            budget: super::budget::TableBudget::default(),
        }
    }

    /// Marks the table dropped (DROP TABLE): later commits that wrote to it are refused.
    pub fn mark_dropped(&self) {
        self.dropped.store(true, Ordering::Relaxed);
    }

    /// Whether DROP TABLE removed this table. Read under the commit lock; the DDL and commit
    /// locks order it after the drop's store, so a relaxed load suffices.
    #[inline]
    pub fn is_dropped(&self) -> bool {
        self.dropped.load(Ordering::Relaxed)
    }

    /// Records that the table's state is readable from commit `ts` on (the first call wins):
    /// AS OF reads of commits before it are refused, as this storage did not hold the table
    /// then.
    pub fn mark_published(&self, ts: u64) {
        let _ =
            self.history_floor
                .compare_exchange(u64::MAX, ts, Ordering::Relaxed, Ordering::Relaxed);
    }

    /// The oldest commit AS OF may read this table at (`u64::MAX`: not published yet).
    pub fn history_floor(&self) -> u64 {
        self.history_floor.load(Ordering::Relaxed)
    }

    pub(crate) fn pool(&self) -> &Arc<SlabPool> {
        &self.pool
    }

    /// Index memory a new row version may add (one entry per index), which a write must
    /// leave room for under the budget.
    pub(crate) fn index_headroom_bytes(&self) -> u64 {
        let primary = if self.primary.is_some() {
            crate::index::PRIMARY_ENTRY_BYTES
        } else {
            0
        };
        let secondary = self.secondary_count.load(Ordering::Relaxed) as u64;
        primary + secondary * crate::index::ENTRY_BYTES
    }

    /// Bytes of the committed rows, access marks and eviction state (`budget.rs`).
    pub fn budget(&self) -> &super::budget::TableBudget {
        &self.budget
    }

    pub fn id(&self) -> u64 {
        self.id
    }

    /// The table's current schema. ALTER TABLE ADD COLUMN swaps in a wider one
    /// (`add_column`); a caller holding an older one still encodes and decodes valid rows of
    /// that width (see `row/added.rs`).
    #[inline]
    pub fn schema(&self) -> &TableSchema {
        // SAFETY: `schema` points into an `Arc` that `schemas` holds; schemas are only added, never
        // freed before the table, so the reference lives as long as `&self`.
        unsafe { &*self.schema.load(Ordering::Acquire) }
    }

    /// Adds a column of `column_type` at the end (ALTER TABLE ADD COLUMN): rows already
    /// written are not touched and read it as `missing`. Call under the DDL lock, with no
    /// index on the new column (none can exist yet).
    pub fn add_column(&self, column_type: DataType, missing: Value) {
        let mut schemas = self.schemas.lock().unwrap_or_else(|e| e.into_inner());
        let next = Arc::new(self.schema().with_added_column(column_type, missing));
        let pointer = Arc::as_ptr(&next).cast_mut();
        schemas.push(next);
        self.schema.store(pointer, Ordering::Release);
    }

    pub(crate) fn primary(&self) -> Option<&PrimaryIndex> {
        self.primary.as_ref()
    }

    /// The largest integer primary key ever stored in the table (its row may since be
    /// deleted, rolled back or not yet committed): an upper bound of the integer keys any
    /// snapshot sees. `None` without a primary key or before the first integer key.
    pub fn max_integer_key(&self) -> Option<i64> {
        self.primary.as_ref()?.max_int_key()
    }

    /// The primary key of a row, or `None` for tables without one (or a NULL key part).
    #[inline]
    pub fn key_of<V: std::borrow::Borrow<Value>>(&self, values: &[V]) -> Option<IndexKey> {
        if !self.key_collations.is_empty() {
            return self.collated_key_of(values);
        }
        match self.schema().key_columns[..] {
            [] => return None,
            // The common single-column key, without `from_values`' iterator.
            [column] => return IndexKey::from_value(values[column].borrow()),
            _ => {}
        }
        IndexKey::from_values(
            self.schema()
                .key_columns
                .iter()
                .map(|c| values[*c].borrow()),
        )
    }

    /// `key_of` for a key with a collated column (out of line: the common key is BINARY).
    #[inline(never)]
    fn collated_key_of<V: std::borrow::Borrow<Value>>(&self, values: &[V]) -> Option<IndexKey> {
        let key_columns = &self.schema().key_columns;
        self.key_from_values(key_columns.iter().map(|c| values[*c].borrow()))
    }

    /// The primary key of the key columns' values (in key order), as `key_of` makes it:
    /// what a lookup by key probes with. `None` for a NULL part.
    pub fn key_from_values<'a>(
        &self,
        values: impl IntoIterator<Item = &'a Value>,
    ) -> Option<IndexKey> {
        // All BINARY (or no collations): `from_values_collated` is `from_values`.
        IndexKey::from_values_collated(values, &self.key_collations)
    }

    /// The collation each primary-key column is keyed under (empty: all BINARY).
    pub fn key_collations(&self) -> &[KeyCollation] {
        &self.key_collations
    }

    /// Number of slots handed out (an upper bound for scans).
    #[inline]
    pub fn slot_count(&self) -> u64 {
        self.slot_count.load(Ordering::Acquire)
    }

    #[inline]
    pub(crate) fn slot(&self, row: RowId) -> Option<&Slot> {
        if row >= self.slot_count() {
            return None;
        }
        let (chunk, offset) = locate(row);
        let base = self.chunks[chunk].load(Ordering::Acquire);
        if base.is_null() {
            return None;
        }
        // SAFETY: a non-null chunk pointer was published with Release after the chunk was
        // fully initialized, has `chunk_len(chunk)` slots, and lives as long as the table;
        // `offset < chunk_len(chunk)` by `locate`.
        Some(unsafe { &*base.add(offset) })
    }

    /// Hands out an empty slot: a retired one of a primary-key table first (its head is
    /// `RETIRED` until the caller stores the new row, see `slot_reuse.rs`), else a new one.
    /// Lock-free for a new slot: a CAS on the slot count, after making sure the slot's chunk
    /// exists (only a new chunk takes the grow lock). A reader that sees the new count also
    /// sees the chunk (allocated before the count was published).
    #[inline]
    pub(crate) fn allocate_slot(&self) -> StorageResult<RowId> {
        if let Some(row) = self.reusable.take() {
            debug_assert!(self.slot(row).is_some_and(|slot| slot
                .head
                .load(Ordering::Acquire, &epoch::pin())
                .is_retired()));
            return Ok(row);
        }
        let mut row = self.slot_count.load(Ordering::Acquire);
        loop {
            if row >= TABLE_SLOTS_MAX {
                return Err(slots_exhausted());
            }
            let (chunk, _) = locate(row);
            if self.chunks[chunk].load(Ordering::Acquire).is_null() {
                self.grow(chunk);
            }
            match self.slot_count.compare_exchange_weak(
                row,
                row + 1,
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => return Ok(row),
                Err(current) => row = current,
            }
        }
    }

    /// Allocates chunk `chunk` unless another writer already did.
    #[cold]
    #[inline(never)]
    fn grow(&self, chunk: usize) {
        let _grow = self
            .grow_lock
            .lock()
            .unwrap_or_else(|poison| poison.into_inner());
        if self.chunks[chunk].load(Ordering::Acquire).is_null() {
            self.chunks[chunk].store(zeroed_chunk(chunk_len(chunk) as usize), Ordering::Release);
        }
    }

    /// Calls `visit` with each slot whose id is in `rows` (up to the slots handed out), in
    /// id order, until it returns false; returns the id to resume from. Walks each chunk as
    /// a slice instead of locating every row, and prefetches the newest version header and
    /// payload of the slots a few rows ahead (after updates they are scattered over the heap
    /// and the pool, and a scan would otherwise wait on two cache misses per row).
    #[inline]
    pub(crate) fn for_each_slot(
        &self,
        rows: std::ops::Range<RowId>,
        guard: &Guard,
        mut visit: impl FnMut(RowId, &Slot) -> bool,
    ) -> RowId {
        let end = rows.end.min(self.slot_count());
        let mut row = rows.start;
        while row < end {
            let (chunk, offset) = locate(row);
            let chunk_end = (row - offset as u64 + chunk_len(chunk)).min(end);
            let base = self.chunks[chunk].load(Ordering::Acquire);
            if base.is_null() {
                row = chunk_end;
                continue;
            }
            // SAFETY: as in `slot`: a published chunk holds `chunk_len(chunk)` initialized
            // slots for the table's life, and `offset + (chunk_end - row) <= chunk_len`.
            let slots = unsafe { std::slice::from_raw_parts(base, chunk_len(chunk) as usize) };
            let walked = &slots[offset..offset + (chunk_end - row) as usize];
            for (index, slot) in walked.iter().enumerate() {
                prefetch_ahead(walked, index, guard);
                if !visit(row, slot) {
                    return row + 1;
                }
                row += 1;
            }
        }
        row
    }

    /// The payload of the version of `row` that `snapshot` sees.
    #[inline]
    pub fn visible_payload<'g>(
        &self,
        row: RowId,
        snapshot: &Snapshot,
        guard: &'g Guard,
    ) -> Option<&'g [u8]> {
        visible_in(self.slot(row)?, snapshot, guard)
    }

    /// Looks a primary key up in the index; the row may have no version visible to a given
    /// snapshot (callers check with `visible_version`).
    pub fn lookup_key(&self, key: &IndexKey) -> Option<RowId> {
        self.primary.as_ref()?.get(key)
    }

    /// `lookup_key` under a guard the caller already holds.
    pub(crate) fn lookup_key_pinned(&self, key: &IndexKey, guard: &Guard) -> Option<RowId> {
        self.primary.as_ref()?.get_pinned(key, guard)
    }

    /// Counts slots, visible rows at `snapshot`, versions and payload bytes (walks all).
    pub fn stats(&self, snapshot: &Snapshot) -> TableStats {
        let guard = epoch::pin();
        let mut stats = TableStats {
            slots: self.slot_count(),
            gc_runs: self.gc_runs(),
            gc_versions_freed: self.gc_versions_freed(),
            ..TableStats::default()
        };
        for row in 0..stats.slots {
            let Some(slot) = self.slot(row) else { continue };
            let head = slot.head.load(Ordering::Acquire, &guard);
            if let Some(frozen) = head.frozen_slot() {
                stats.versions += 1;
                stats.live_rows += 1;
                stats.payload_bytes += frozen.len as u64;
                stats.version_bytes += frozen.held_bytes();
                stats.slab_bytes += frozen.held_bytes();
                continue;
            }
            let mut current = head.version().unwrap_or_default();
            let mut counted_live = false;
            // SAFETY: pinned guard; versions are destroyed only through the epoch after
            // being unlinked, so every version reachable now stays alive.
            while let Some(version) = unsafe { current.as_ref() } {
                stats.versions += 1;
                stats.payload_bytes += version.payload.len() as u64;
                stats.version_bytes += version.footprint_bytes();
                stats.slab_bytes += version.payload.held_bytes();
                if !counted_live && version.is_visible(snapshot) {
                    stats.live_rows += 1;
                    counted_live = true;
                } else {
                    stats.dead_versions += 1;
                    stats.dead_version_bytes += version.footprint_bytes();
                }
                current = version.older.load(Ordering::Acquire, &guard);
            }
        }
        stats
    }
}

impl Drop for Table {
    fn drop(&mut self) {
        // SAFETY: `&mut self`: no reader or writer holds this table any more, so every
        // version chain and chunk is exclusively ours to free.
        unsafe {
            let guard = epoch::unprotected();
            for chunk in 0..CHUNK_COUNT {
                let base = self.chunks[chunk].load(Ordering::Relaxed);
                if base.is_null() {
                    continue;
                }
                let len = chunk_len(chunk) as usize;
                for slot in std::slice::from_raw_parts(base, len) {
                    let head = slot.head.load(Ordering::Relaxed, guard);
                    match head.frozen_slot() {
                        Some(frozen) => crate::slab::free_frozen_slot(frozen),
                        None => free_chain(head.version().unwrap_or_default(), guard),
                    }
                }
                free_chunk(base, len);
            }
        }
    }
}

/// The payload of the version in `slot`'s chain that `snapshot` sees (a frozen head is
/// seen by every snapshot).
#[inline]
pub(crate) fn visible_in<'g>(
    slot: &Slot,
    snapshot: &Snapshot,
    guard: &'g Guard,
) -> Option<&'g [u8]> {
    let head = slot.head.load(Ordering::Acquire, guard);
    let Some(mut version) = head.version_ref() else {
        return head.frozen_bytes();
    };
    loop {
        if version.is_visible(snapshot) {
            return Some(version.payload(guard));
        }
        let older = version.older.load(Ordering::Acquire, guard);
        // SAFETY: versions are destroyed only through the epoch after being unlinked, and
        // `guard` pins the epoch, so every version reachable now stays alive for 'g.
        version = unsafe { older.as_ref() }?;
    }
}

/// Rows ahead of a scan's position whose newest version header is prefetched.
const PREFETCH_HEADER_AHEAD: usize = 16;
/// Rows ahead whose payload is prefetched (nearer: its header was prefetched earlier).
const PREFETCH_PAYLOAD_AHEAD: usize = 8;

/// Prefetches, for a walk over `slots` now at `index`, the version header of the slot
/// `PREFETCH_HEADER_AHEAD` rows on and the payload of the one `PREFETCH_PAYLOAD_AHEAD` on.
#[inline(always)]
fn prefetch_ahead(slots: &[Slot], index: usize, guard: &Guard) {
    if let Some(slot) = slots.get(index + PREFETCH_HEADER_AHEAD) {
        prefetch_read(slot.head.load(Ordering::Relaxed, guard).address());
    }
    if let Some(slot) = slots.get(index + PREFETCH_PAYLOAD_AHEAD) {
        if let Some(version) = slot.head.load(Ordering::Acquire, guard).version_ref() {
            prefetch_read(version.payload.as_ptr());
        }
    }
}

/// A chunk of `len` empty slots, from zeroed memory (an empty head is all zero bits). Large
/// chunks come from the slab arena's huge-page regions (a point select lands on a random slot,
/// so 4 KiB pages would cost a TLB miss each); fresh arena memory is untouched, so the slots
/// of a small table's chunks take no resident memory. Freed by `free_chunk`.
fn zeroed_chunk(len: usize) -> *mut Slot {
    let memory = arena::allocate_zeroed(chunk_layout(len))
        .cast::<Slot>()
        .as_ptr();
    debug_assert!({
        // SAFETY: `memory` holds `len` zeroed slots, and a zeroed `Slot` is a null head.
        let first = unsafe { &*memory };
        first.head.load(Ordering::Relaxed, &epoch::pin()).is_null()
    });
    memory
}

fn chunk_layout(len: usize) -> std::alloc::Layout {
    std::alloc::Layout::array::<Slot>(len).expect("chunk sizes are small")
}

/// Frees a chunk made by `zeroed_chunk(len)`.
///
/// # Safety
/// Nothing uses the chunk any more, and it is freed once.
unsafe fn free_chunk(base: *mut Slot, len: usize) {
    let base = ptr::NonNull::new(base).expect("freed chunks were allocated");
    // SAFETY: allocated by `zeroed_chunk(len)` with this layout (the caller's contract).
    unsafe { arena::deallocate(base.cast(), chunk_layout(len)) };
}

/// Frees a whole version chain.
///
/// # Safety
/// No other thread may reach any version of the chain.
pub(crate) unsafe fn free_chain<'g>(mut current: Shared<'g, Version>, guard: &'g Guard) {
    while !current.is_null() {
        // SAFETY: guaranteed by the caller: the chain is exclusively ours.
        let next = unsafe { current.deref().older.load(Ordering::Relaxed, guard) };
        // SAFETY: as above; each version is freed exactly once as we walk past it.
        drop(unsafe { current.into_owned() });
        current = next;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_of_matches_the_general_key_builder() {
        let pool = Arc::new(SlabPool::new(Arc::new(crate::slab::MemoryAccount::new())));
        let table = |key_columns: Vec<usize>| {
            let types = vec![DataType::Any, DataType::Any];
            Table::new(
                1,
                TableSchema {
                    types,
                    key_columns,
                    added: Vec::new(),
                },
                Arc::clone(&pool),
            )
        };
        let rows = [
            [Value::Integer(-7), Value::Integer(3)],
            [Value::Real(4.0), Value::Null],
            [Value::Real(4.5), Value::Text("x".into())],
            [Value::Boolean(true), Value::Integer(1)],
            [Value::Text("k".into()), Value::Blob(vec![1])],
            [Value::Null, Value::Integer(2)],
        ];
        for key_columns in [vec![], vec![0], vec![1], vec![0, 1]] {
            let table = table(key_columns.clone());
            for row in &rows {
                let general = (!key_columns.is_empty())
                    .then(|| IndexKey::from_values(key_columns.iter().map(|&c| &row[c])))
                    .flatten();
                assert_eq!(table.key_of(row), general, "{key_columns:?} {row:?}");
            }
        }
    }

    #[test]
    fn locate_maps_rows_to_chunks_without_gaps() {
        let mut expected = (0usize, 0usize);
        for row in 0..(CHUNK_BASE * 15) {
            assert_eq!(locate(row), expected, "row {row}");
            expected.1 += 1;
            if expected.1 as u64 == chunk_len(expected.0) {
                expected = (expected.0 + 1, 0);
            }
        }
    }

    #[test]
    fn racing_writers_get_distinct_slots_across_chunks() {
        let account = Arc::new(crate::slab::MemoryAccount::new());
        let schema = TableSchema {
            types: vec![DataType::Integer],
            key_columns: vec![],
            added: Vec::new(),
        };
        let table = Arc::new(Table::new(1, schema, Arc::new(SlabPool::new(account))));
        let writers: Vec<_> = (0..4)
            .map(|_| {
                let table = Arc::clone(&table);
                std::thread::spawn(move || {
                    let mut rows = Vec::new();
                    for _ in 0..5000 {
                        let row = table.allocate_slot().unwrap();
                        // The slot is reachable (its chunk exists) and empty.
                        let slot = table.slot(row).expect("allocated slot is reachable");
                        assert!(slot.head.load(Ordering::Acquire, &epoch::pin()).is_null());
                        rows.push(row);
                    }
                    rows
                })
            })
            .collect();
        let mut all: Vec<RowId> = writers
            .into_iter()
            .flat_map(|writer| writer.join().unwrap())
            .collect();
        all.sort_unstable();
        all.dedup();
        assert_eq!(
            all,
            (0..20_000).collect::<Vec<_>>(),
            "every slot once, none skipped"
        );
        assert_eq!(table.slot_count(), 20_000);
    }

    #[test]
    fn slots_grow_across_chunks() {
        let account = Arc::new(crate::slab::MemoryAccount::new());
        let table = Table::new(
            1,
            TableSchema {
                types: vec![DataType::Integer],
                key_columns: vec![],
                added: Vec::new(),
            },
            Arc::new(SlabPool::new(account)),
        );
        for expected in 0..5000 {
            assert_eq!(table.allocate_slot().unwrap(), expected);
        }
        assert!(table.slot(4999).is_some());
        assert!(table.slot(5000).is_none());
        // Walking slots chunk by chunk meets the same slots as locating each one, across
        // chunk boundaries, from any start, and stops where asked.
        for (start, end) in [
            (0, 5000),
            (1000, 3100),
            (1023, 1025),
            (3071, 9000),
            (4999, 5000),
        ] {
            let mut expected = start;
            let resume = table.for_each_slot(start..end, &epoch::pin(), |row, slot| {
                assert_eq!(row, expected);
                assert!(std::ptr::eq(slot, table.slot(row).unwrap()), "row {row}");
                expected += 1;
                true
            });
            assert_eq!(resume, end.min(5000));
            assert_eq!(expected, end.min(5000));
        }
        let guard = epoch::pin();
        let resume = table.for_each_slot(2000..4000, &guard, |row, _| row < 3070);
        assert_eq!(resume, 3071);
        assert_eq!(table.for_each_slot(6000..7000, &guard, |_, _| true), 6000);
    }
}
