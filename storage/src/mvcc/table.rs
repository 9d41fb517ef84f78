//! An MVCC table: a growable array of row slots (`slot_array.rs`: chunked, so it grows
//! without moving and readers index it without locks), each slot holding the head of a
//! version chain, plus the primary-key hash index when the table declares a key, and the
//! table's secondary indexes (`indexing.rs`). Tables without a key use the slot id as a
//! hidden row id. A table whose key is one INTEGER column is clustered on it
//! (`clustered.rs`): a key addresses its own slot, and only the keys that do not (negative,
//! or far past the others) have hash entries and slots of a second array.

use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use arc_swap::ArcSwap;
use crossbeam_epoch::{self as epoch, Guard, Shared};

use crate::error::StorageResult;
use crate::index::{IndexKey, KeyCollation, PrimaryIndex, SecondaryIndex};
use crate::slab::SlabPool;
use crate::value::{DataType, Value};

use super::clustered::{Clustered, OVERFLOW_BASE};
use super::head::Head;
use super::slot_array::SlotArray;
use super::transaction::Snapshot;
use super::version::Version;

/// A slot id: stable for the life of the row's key (primary-key tables) or row (others). In
/// a clustered table it is the key itself for the keys that address their slot, and
/// `OVERFLOW_BASE` plus a slot of the overflow array for the others (`clustered.rs`).
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
    /// The primary key's column when the key is this one INTEGER column (the tables
    /// `clustered.rs` clusters, unless a key collation keeps them plain). A payload that has
    /// this column NULL left the key out (only a clustered table's direct rows do, whose row
    /// id is their key: a key is never NULL), so decoders read the row id there.
    #[inline]
    pub fn integer_key_column(&self) -> Option<usize> {
        match self.key_columns[..] {
            [column] if self.types.get(column) == Some(&DataType::Integer) => Some(column),
            _ => None,
        }
    }

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
    /// The rows' slots (in a clustered table: the slots its keys address).
    pub(super) slots: SlotArray,
    /// A clustered table's slots of rows whose keys address no slot (empty in others).
    overflow: SlotArray,
    /// Set when the table is clustered on its INTEGER key (`clustered.rs`).
    pub(super) clustered: Option<Clustered>,
    /// `TableSchema::integer_key_column` of every schema the table has (ADD COLUMN keeps
    /// the key), kept for the decoder check of each read.
    integer_key: Option<usize>,
    /// The key -> row index; in a clustered table, of the overflow rows only.
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
    /// The columns some secondary index covers, stored with the list: bit `c` for column
    /// `c` below 63, bit 63 for every column from 63 on (`indexing::covers_a_column`).
    pub(crate) indexed_columns: AtomicU64,
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
    /// Set for a temporary table (private to one connection) before any write: commits
    /// leave its rows out of the WAL, and nothing durable ever names it.
    unlogged: AtomicBool,
    /// The oldest commit whose state of this table AS OF may read: set once, when the table
    /// (this storage) first appears in a published catalog (`u64::MAX` until then).
    history_floor: AtomicU64,
    /// Set while ALTER TABLE DROP COLUMN copies the table into a new one, and for good once
    /// it succeeded: a transaction that wrote to this table commits no more (`rebuild.rs`).
    pub(super) rebuilt: AtomicBool,
    /// The schema owner whose unfinished transaction widened the table (0: none), and the
    /// store's widen epoch when a widening last began or ended (`widening.rs`).
    pub(super) widened_by: AtomicU64,
    pub(super) widened_at: AtomicU64,
    /// Slots whose keys and rows are gone, for new rows (primary-key tables; `slot_reuse.rs`).
    pub(super) reusable: Arc<super::slot_reuse::ReusableSlots>,
    /// Bytes of the committed rows, the table's budget bookkeeping and access marks.
    pub(crate) budget: super::budget::TableBudget,
    /// The committed live rows, kept by commits (`live_count.rs`).
    pub(super) live_count: super::live_count::LiveCount,
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
        let clustered =
            (key_collations.is_empty() && Clustered::fits(&schema)).then(Clustered::new);
        let integer_key = schema.integer_key_column();
        let schema = Arc::new(schema);
        Table {
            integer_key,
            id,
            schema: AtomicPtr::new(Arc::as_ptr(&schema).cast_mut()),
            schemas: Mutex::new(vec![schema]),
            slots: SlotArray::new(),
            overflow: SlotArray::new(),
            clustered,
            primary,
            key_collations,
            secondary: ArcSwap::from_pointee(Vec::new()),
            secondary_count: AtomicUsize::new(0),
            indexed_columns: AtomicU64::new(0),
            index_ddl: Mutex::new(1),
            gc: super::gc::GcState::default(),
            pool,
            dropped: AtomicBool::new(false),
            unlogged: AtomicBool::new(false),
            history_floor: AtomicU64::new(u64::MAX),
            rebuilt: AtomicBool::new(false),
            widened_by: AtomicU64::new(0),
            widened_at: AtomicU64::new(0),
            reusable: Arc::default(),
            budget: super::budget::TableBudget::default(),
            live_count: Default::default(),
        }
    }

    /// Whether `decoder` was made by this table's schema (`TableSchema::decoder`): it puts
    /// back the key its direct rows leave out.
    #[inline]
    pub(crate) fn fits_decoder(&self, decoder: &crate::row::RowDecoder) -> bool {
        decoder.integer_key() == self.integer_key
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

    /// Marks the table unlogged (a temporary table): the WAL writer skips its changes.
    /// Call before the table's first write.
    pub fn mark_unlogged(&self) {
        self.unlogged.store(true, Ordering::Relaxed);
    }

    /// Whether the table's changes stay out of the WAL (`mark_unlogged`).
    #[inline]
    pub fn is_unlogged(&self) -> bool {
        self.unlogged.load(Ordering::Relaxed)
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

    /// The current schema as the shared handle `restore_schema` takes back.
    pub fn schema_handle(&self) -> Arc<TableSchema> {
        let schemas = self.schemas.lock().unwrap_or_else(|e| e.into_inner());
        let current = self.schema.load(Ordering::Acquire);
        let found = schemas
            .iter()
            .find(|schema| std::ptr::eq(Arc::as_ptr(schema), current));
        debug_assert!(found.is_some(), "the current schema is one of `schemas`");
        found
            .cloned()
            .unwrap_or_else(|| Arc::new(self.schema().clone()))
    }

    /// Makes `schema` (an earlier `schema_handle` of this table) current again: undoes the
    /// ADD COLUMNs made since, when the writes made under them were rolled back (a rolled
    /// back transaction's rows are unlinked, so no row of the wider format is left to read).
    /// Returns false, changing nothing, when `schema` is not one of this table's.
    pub fn restore_schema(&self, schema: &Arc<TableSchema>) -> bool {
        let schemas = self.schemas.lock().unwrap_or_else(|e| e.into_inner());
        let Some(known) = schemas.iter().find(|known| Arc::ptr_eq(known, schema)) else {
            return false;
        };
        self.schema
            .store(Arc::as_ptr(known).cast_mut(), Ordering::Release);
        true
    }

    pub(crate) fn primary(&self) -> Option<&PrimaryIndex> {
        self.primary.as_ref()
    }

    /// The largest integer primary key ever stored in the table (its row may since be
    /// deleted, rolled back or not yet committed): an upper bound of the integer keys any
    /// snapshot sees. `None` without a primary key or before the first integer key.
    pub fn max_integer_key(&self) -> Option<i64> {
        let hashed = self.primary.as_ref()?.max_int_key();
        match self.clustered.as_ref().and_then(Clustered::max_direct_key) {
            Some(direct) => Some(hashed.map_or(direct, |hashed| hashed.max(direct))),
            None => hashed,
        }
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

    /// Slots handed out, in both of a clustered table's arrays: an estimate of the rows
    /// (with the dead and the empty) for plans and bounds, not a scan's end
    /// (`next_scan_batch` is).
    #[inline]
    pub fn slots_in_use(&self) -> u64 {
        self.slots.len() + self.overflow.len()
    }

    /// The row ids a walk of the whole table covers: the slots, and a clustered table's
    /// overflow slots (an empty range in other tables). Rows may be added past their ends
    /// while a walk goes on; a snapshot taken before the walk began sees none of them.
    pub fn row_ranges(&self) -> [std::ops::Range<RowId>; 2] {
        [
            0..self.slots.len(),
            OVERFLOW_BASE..OVERFLOW_BASE + self.overflow.len(),
        ]
    }

    /// How many positions a walk that wraps around (the eviction hand) goes through:
    /// every slot once (`row_at_position`).
    pub fn positions(&self) -> u64 {
        match self.clustered {
            None => self.slots.len(),
            Some(_) => 2 * self.slots.len().max(self.overflow.len()),
        }
    }

    /// The row id at `position` (below `positions()`): the slot itself, or in a clustered
    /// table the slots of both arrays in turn, so the positions stay dense as either grows.
    #[inline]
    pub(crate) fn row_at_position(&self, position: u64) -> RowId {
        match self.clustered {
            None => position,
            Some(_) if position.is_multiple_of(2) => position / 2,
            Some(_) => OVERFLOW_BASE + position / 2,
        }
    }

    /// The next batch of at most `batch` row ids of a walk of the whole table that has
    /// visited every row id below `from` (start at 0; go on from what `scan_batch` returns);
    /// `None` once the walk is done.
    #[inline]
    pub fn next_scan_batch(&self, from: RowId, batch: u64) -> Option<std::ops::Range<RowId>> {
        self.next_scan_batch_in(from, batch, 0..RowId::MAX)
    }

    /// `next_scan_batch` of a walk that visits only the slots in `direct` (then every
    /// overflow slot): in a clustered table, the rows whose keys lie in `direct` and every
    /// row whose key addresses no slot (`clustered.rs`), a superset of the rows of a key
    /// range. In other tables row ids are no keys: callers pass `0..RowId::MAX`.
    #[inline]
    pub fn next_scan_batch_in(
        &self,
        from: RowId,
        batch: u64,
        direct: std::ops::Range<RowId>,
    ) -> Option<std::ops::Range<RowId>> {
        debug_assert!(batch > 0);
        debug_assert!(self.clustered.is_some() || direct == (0..RowId::MAX));
        let from_direct = from.max(direct.start);
        let end = self.slots.len().min(direct.end);
        if from_direct < end {
            return Some(from_direct..end.min(from_direct.saturating_add(batch)));
        }
        let start = from.max(OVERFLOW_BASE);
        let end = OVERFLOW_BASE + self.overflow.len();
        (start < end).then(|| start..end.min(start.saturating_add(batch)))
    }

    #[inline]
    pub(crate) fn slot(&self, row: RowId) -> Option<&Slot> {
        if row < OVERFLOW_BASE {
            self.slots.get(row)
        } else {
            self.overflow.get(row - OVERFLOW_BASE)
        }
    }

    /// The slot of the slot array (not the overflow) numbered `row`, if reachable.
    #[inline]
    pub(super) fn direct_slot(&self, row: RowId) -> Option<&Slot> {
        self.slots.get(row)
    }

    /// The slot a clustered table's key `row` (below `OVERFLOW_BASE`) addresses, made
    /// reachable (`clustered.rs`, under its home lock).
    pub(super) fn reach_direct_slot(&self, row: RowId) -> StorageResult<&Slot> {
        debug_assert!(self.clustered.is_some() && row < OVERFLOW_BASE);
        self.slots.reach(row)
    }

    /// Hands out an empty slot: a retired one of a primary-key table first (its head is
    /// `RETIRED`, or empty if its page was handed back, until the caller stores the new row,
    /// see `slot_reuse.rs` and `slot_release.rs`), else a new one
    /// (of the overflow array in a clustered table: its keys' own slots are not handed out
    /// here).
    #[inline]
    pub(crate) fn allocate_slot(&self) -> StorageResult<RowId> {
        if let Some(row) = self.reusable.take() {
            debug_assert!(self.slot(row).is_some_and(|slot| {
                let guard = epoch::pin();
                let head = slot.head.load(Ordering::Acquire, &guard);
                // Empty when its page was handed back meanwhile (`slot_release.rs`).
                head.is_retired() || head.is_zero()
            }));
            return Ok(row);
        }
        if self.clustered.is_some() {
            return Ok(OVERFLOW_BASE + self.overflow.push()?);
        }
        self.slots.push()
    }

    /// Calls `visit` with each slot whose id is in `rows` (up to the slots handed out), in
    /// id order, until it returns false; returns the id to resume from (`rows.end`, or less
    /// when `rows` ends past the slots handed out, after a full walk). A range may cover
    /// both of a clustered table's arrays.
    #[inline]
    pub(crate) fn for_each_slot(
        &self,
        rows: std::ops::Range<RowId>,
        guard: &Guard,
        mut visit: impl FnMut(RowId, &Slot) -> bool,
    ) -> RowId {
        // At most two rounds: the slot array, then the overflow (one call site of the
        // array walk, so `visit` is inlined into it once).
        let mut from = rows.start;
        loop {
            let (array, base, end) = if from < OVERFLOW_BASE {
                (&self.slots, 0, rows.end.min(OVERFLOW_BASE))
            } else {
                (&self.overflow, OVERFLOW_BASE, rows.end)
            };
            let mut stopped = false;
            let resume = base
                + array.for_each(from - base..end - base, guard, |index, slot| {
                    let go_on = visit(base + index, slot);
                    stopped = !go_on;
                    go_on
                });
            if stopped || end >= rows.end || self.overflow.len() == 0 {
                return resume;
            }
            from = OVERFLOW_BASE;
        }
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
        self.lookup_key_pinned(key, &epoch::pin())
    }

    /// `lookup_key` under a guard the caller already holds.
    #[inline]
    pub(crate) fn lookup_key_pinned(&self, key: &IndexKey, guard: &Guard) -> Option<RowId> {
        let primary = self.primary.as_ref()?;
        if let (Some(_), IndexKey::Int(int)) = (&self.clustered, key) {
            if let Some(row) = self.direct_home(*int, guard) {
                return Some(row);
            }
            if primary.is_empty() {
                return None;
            }
        }
        primary.get_pinned(key, guard)
    }

    /// Counts slots, visible rows at `snapshot`, versions and payload bytes (walks all).
    pub fn stats(&self, snapshot: &Snapshot) -> TableStats {
        let guard = epoch::pin();
        let mut stats = TableStats {
            slots: self.slots_in_use(),
            gc_runs: self.gc_runs(),
            gc_versions_freed: self.gc_versions_freed(),
            ..TableStats::default()
        };
        for rows in self.row_ranges() {
            self.for_each_slot(rows, &guard, |_, slot| {
                count_slot(slot, snapshot, &guard, &mut stats);
                true
            });
        }
        stats
    }
}

/// Adds what `slot` holds to `stats` (see `Table::stats`).
fn count_slot(slot: &Slot, snapshot: &Snapshot, guard: &Guard, stats: &mut TableStats) {
    let head = slot.head.load(Ordering::Acquire, guard);
    if let Some(frozen) = head.frozen_slot() {
        stats.versions += 1;
        stats.live_rows += 1;
        stats.payload_bytes += frozen.len as u64;
        stats.version_bytes += frozen.held_bytes();
        stats.slab_bytes += frozen.held_bytes();
        return;
    }
    let mut current = head.version().unwrap_or_default();
    let mut counted_live = false;
    // SAFETY: pinned guard; versions are destroyed only through the epoch after being
    // unlinked, so every version reachable now stays alive.
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
        current = version.older.load(Ordering::Acquire, guard);
    }
}

impl Drop for Table {
    fn drop(&mut self) {
        // SAFETY: `&mut self`: no reader or writer holds this table any more, so every
        // version chain is exclusively ours to free (the arrays free their chunks after).
        unsafe {
            let guard = epoch::unprotected();
            for array in [&mut self.slots, &mut self.overflow] {
                for chunk in array.chunks_for_drop() {
                    for slot in chunk {
                        let head = slot.head.load(Ordering::Relaxed, guard);
                        match head.frozen_slot() {
                            Some(frozen) => crate::slab::free_frozen_slot(frozen),
                            None => free_chain(head.version().unwrap_or_default(), guard),
                        }
                    }
                }
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
}
