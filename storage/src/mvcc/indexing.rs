//! Secondary indexes over MVCC tables: creating one (register, then populate from every
//! version of every slot, then verify uniqueness), maintaining them on writes, rollback and
//! garbage collection (an unlinked version's entries: `unindex.rs`), and reading through
//! them.
//!
//! INVARIANT. For every version in a slot's chain and every index, the entry (key of the
//! version, slot) is present, unless the key has a NULL part. Entries whose key no version
//! of the slot has any more are stale: readers skip them (they compare the key of the version
//! their snapshot sees), rollback and garbage collection remove them when they unlink the
//! version that had the key, and `sweep_index_entries` (VACUUM) removes any that a race left.
//!
//! ORDER. A writer links its new version into the slot first and only then, under the index's
//! writer lock, checks uniqueness and adds the entry. Two writers of one key therefore see
//! each other: whichever takes the lock second finds the first one's entry and version.
//! Registering a new index and a writer loading the index list are ordered by an asymmetric
//! fence pair (`asymmetric_fence`: a compiler fence per write, a process-wide membarrier per
//! index creation, or SeqCst fences on both sides where the kernel has no membarrier), so a
//! version is either indexed by its writer or found by the population scan.
//!
//! UNIQUENESS. A writer may add key K for slot S when no other slot holds K in a version
//! that is, or may still become, current: a version with K whose end is a commit timestamp is
//! gone for good; one the writer itself ended is gone for it. A committed, unended version
//! the writer's snapshot sees is a duplicate (`UniqueViolation`, a constraint error). A
//! version written or being ended by another open transaction, or committed after the
//! writer's snapshot, is a concurrent write of the key (`Conflict`: the caller retries, and
//! then sees the winner's row as a duplicate or finds the key free). This is what
//! PostgreSQL reports under SERIALIZABLE, and the same rule the primary key follows here.

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use crossbeam_epoch::{self as epoch, Guard, Shared};

use crate::asymmetric_fence;
use crate::error::{StorageError, StorageErrorKind, StorageResult};
use crate::index::{IndexKey, IndexWriter, KeyCollation, KeyDerivation, SecondaryIndex};
use crate::limits::{INDEX_COLUMNS_MAX, TABLE_INDEXES_MAX};
use crate::row::RowDecoder;
use crate::value::Value;

use super::clock::TXN_ID_BASE;
use super::gathered_entries::GatheredEntries;
use super::gathered_rows::GatheredRows;
use super::head::HeadWord;
use super::table::{RowId, Table};
use super::transaction::{Snapshot, Transaction};
use super::version::{is_unended, Version};

/// Slots populated or swept per epoch pin and writer-lock hold.
const SLOTS_PER_BATCH: u64 = 1024;

/// Whether a slot holds a key, as seen by one writer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Holder {
    /// No version with the key is or may become current.
    No,
    /// A committed, unended version with the key that the writer sees.
    Visible,
    /// A version with the key that another open transaction wrote or is ending, or that
    /// was committed after the writer's snapshot.
    Concurrent,
}

/// What `version` (which has the key) means for a writer with `snapshot`.
fn holder_of(version: &Version, snapshot: &Snapshot) -> Holder {
    let end = version.end.load(Ordering::Acquire);
    if !is_unended(end) {
        if end < TXN_ID_BASE || end == snapshot.txn_id {
            return Holder::No;
        }
        return Holder::Concurrent;
    }
    let begin = version.begin.load(Ordering::Acquire);
    if begin >= TXN_ID_BASE {
        if begin == snapshot.txn_id {
            Holder::Visible
        } else {
            Holder::Concurrent
        }
    } else if begin <= snapshot.read_ts {
        Holder::Visible
    } else {
        Holder::Concurrent
    }
}

/// The key `version` (of slot `row`) has in `index` (decoding into `buffer`).
fn version_key(
    table: &Table,
    row: RowId,
    index: &SecondaryIndex,
    version: &Version,
    guard: &Guard,
    buffer: &mut Vec<Value>,
) -> StorageResult<Option<IndexKey>> {
    payload_key(table, row, index, version.payload(guard), buffer)
}

/// The key a version of slot `row` with `payload` has in `index` (decoding into `buffer`).
fn payload_key(
    table: &Table,
    row: RowId,
    index: &SecondaryIndex,
    payload: &[u8],
    buffer: &mut Vec<Value>,
) -> StorageResult<Option<IndexKey>> {
    table.schema().decode_into(row, payload, buffer)?;
    Ok(index.key_of(buffer))
}

/// The first version of a chain whose head is `head`, or the frozen payload it holds.
fn chain_start<'g>(head: HeadWord<'g>) -> Result<Shared<'g, Version>, &'g [u8]> {
    match head.frozen_bytes() {
        Some(payload) => Err(payload),
        None => Ok(head.version().unwrap_or_default()),
    }
}

/// How slot `row` holds `key` for a writer with `snapshot`.
fn slot_holder(
    table: &Table,
    row: RowId,
    index: &SecondaryIndex,
    key: &IndexKey,
    snapshot: &Snapshot,
    guard: &Guard,
    buffer: &mut Vec<Value>,
) -> StorageResult<Holder> {
    let Some(slot) = table.slot(row) else {
        return Ok(Holder::No);
    };
    let mut current = match chain_start(slot.head.load(Ordering::Acquire, guard)) {
        Ok(version) => version,
        // A frozen row: committed, live, seen by every snapshot.
        Err(payload) => {
            let holds = payload_key(table, row, index, payload, buffer)?.as_ref() == Some(key);
            return Ok(if holds { Holder::Visible } else { Holder::No });
        }
    };
    // SAFETY: versions are retired only after being unlinked and `guard` is pinned, so every
    // version reachable from the slot now stays alive while we walk.
    while let Some(version) = unsafe { current.as_ref() } {
        let end = version.end.load(Ordering::Acquire);
        if end < TXN_ID_BASE {
            // Ended by a commit: so is every older version (each was ended by the commit
            // that began the next newer one).
            break;
        }
        if version_key(table, row, index, version, guard, buffer)?.as_ref() == Some(key) {
            let holder = holder_of(version, snapshot);
            if holder != Holder::No {
                return Ok(holder);
            }
        }
        current = version.older.load(Ordering::Acquire, guard);
    }
    Ok(Holder::No)
}

/// Whether any version in slot `row`'s chain has `key`.
pub(super) fn chain_has_key(
    table: &Table,
    row: RowId,
    index: &SecondaryIndex,
    key: &IndexKey,
    guard: &Guard,
    buffer: &mut Vec<Value>,
    wanted: Option<&[bool]>,
) -> StorageResult<bool> {
    chain_any(table, row, guard, buffer, wanted, |values| {
        index.row_has_key(values, key)
    })
}

/// Whether any version in slot `row`'s chain has `encoded` as its ordered key in `index`.
pub(super) fn chain_has_ordered_key(
    table: &Table,
    row: RowId,
    index: &SecondaryIndex,
    encoded: &[u8],
    guard: &Guard,
    buffer: &mut Vec<Value>,
    wanted: Option<&[bool]>,
) -> StorageResult<bool> {
    if index.ordered().is_none() {
        return Ok(false);
    }
    chain_any(table, row, guard, buffer, wanted, |values| {
        index.ordered_key_matches(values, encoded)
    })
}

/// Whether any version in slot `row`'s chain, decoded (only the `wanted` columns when
/// given; the others read NULL), passes `test`.
pub(super) fn chain_any(
    table: &Table,
    row: RowId,
    guard: &Guard,
    buffer: &mut Vec<Value>,
    wanted: Option<&[bool]>,
    mut test: impl FnMut(&[Value]) -> bool,
) -> StorageResult<bool> {
    let schema = table.schema();
    chain_payloads_any(table, row, guard, |payload| {
        match wanted {
            // Read no further than the last wanted column.
            Some(wanted) => schema.decode_wanted_prefix_into(row, payload, wanted, buffer)?,
            None => schema.decode_columns_into(row, payload, None, buffer)?,
        }
        Ok(test(buffer))
    })
}

/// Whether the payload of any version in slot `row`'s chain (or the frozen row it holds)
/// passes `test`, newest first; stops at the first that does, or the first error.
pub(super) fn chain_payloads_any(
    table: &Table,
    row: RowId,
    guard: &Guard,
    mut test: impl FnMut(&[u8]) -> StorageResult<bool>,
) -> StorageResult<bool> {
    let Some(slot) = table.slot(row) else {
        return Ok(false);
    };
    let mut current = match chain_start(slot.head.load(Ordering::Acquire, guard)) {
        Ok(version) => version,
        Err(payload) => return test(payload),
    };
    // SAFETY: pinned guard; see `slot_holder`.
    while let Some(version) = unsafe { current.as_ref() } {
        if test(version.payload(guard))? {
            return Ok(true);
        }
        current = version.older.load(Ordering::Acquire, guard);
    }
    Ok(false)
}

fn concurrent_key_write(index: &SecondaryIndex) -> StorageError {
    StorageError::new(
        StorageErrorKind::Conflict,
        format!(
            "could not serialize access: a concurrent transaction writes the same key of \
             unique index {}; retry the transaction",
            index.name()
        ),
    )
}

/// Indexes the version just linked into slot `row` with `values`. `previous` is the row the
/// version replaced (an update), whose keys are already indexed for this slot. Unique
/// indexes are checked for a writer with `snapshot` (`None`: not checked).
///
/// `encoded` is scratch space for the ordered keys (its contents are replaced).
#[inline]
pub(super) fn index_new_version<V: std::borrow::Borrow<Value>>(
    table: &Table,
    row: RowId,
    values: &[V],
    previous: Option<&[Value]>,
    snapshot: Option<&Snapshot>,
    encoded: &mut Vec<u8>,
) -> StorageResult<()> {
    // Pairs with the fence in `create_index`: either this load sees the new index, or the
    // population scan sees the version this writer linked before.
    asymmetric_fence::light();
    if table.secondary_count.load(Ordering::Relaxed) == 0 {
        return Ok(());
    }
    let indexes = table.secondary.load();
    if indexes.is_empty() {
        return Ok(());
    }
    let guard = epoch::pin();
    let mut buffer = Vec::new();
    for index in indexes.iter() {
        // The ordered entry, unless the replaced row already has it (compared in place).
        let ordered = index.ordered().filter(|_| {
            index.ordered_key_into(values, encoded)
                && previous.is_none_or(|old| !index.ordered_key_matches(old, encoded))
        });
        let key = index
            .key_of(values)
            .filter(|key| previous.is_none_or(|old| index.key_of(old).as_ref() != Some(key)));
        if ordered.is_none() && key.is_none() {
            continue;
        }
        let writer = index.map.lock_writer();
        if let Some(entries) = ordered {
            entries.insert(encoded, row, &guard);
        }
        let Some(key) = key else {
            continue;
        };
        if let Some(snapshot) = snapshot.filter(|_| index.is_unique()) {
            let held = (&writer, &guard, &mut buffer);
            check_unique(table, index, (&key, row), snapshot, held)?;
        }
        writer.insert(key, row);
    }
    Ok(())
}

/// Fails when a slot other than `row` holds `key` in unique `index` for a writer with
/// `snapshot` (`UniqueViolation` if visible, `Conflict` if a concurrent write). The caller
/// holds the index's writer lock (`writer`).
pub(super) fn check_unique(
    table: &Table,
    index: &SecondaryIndex,
    (key, row): (&IndexKey, RowId),
    snapshot: &Snapshot,
    (writer, guard, buffer): (&IndexWriter<'_>, &Guard, &mut Vec<Value>),
) -> StorageResult<()> {
    debug_assert!(index.is_unique());
    for other in writer.rows(key) {
        if other == row {
            continue;
        }
        match slot_holder(table, other, index, key, snapshot, guard, buffer)? {
            Holder::No => {}
            Holder::Visible => return Err(StorageError::unique_violation(index.name())),
            Holder::Concurrent => return Err(concurrent_key_write(index)),
        }
    }
    Ok(())
}

impl Table {
    /// The table's secondary indexes.
    pub fn indexes(&self) -> Arc<Vec<Arc<SecondaryIndex>>> {
        self.secondary.load_full()
    }

    /// The secondary index with `id`, if it still exists.
    pub fn index(&self, id: u64) -> Option<Arc<SecondaryIndex>> {
        self.secondary
            .load()
            .iter()
            .find(|index| index.id() == id)
            .cloned()
    }

    /// `index`, one of this table's indexes as `create_index` returned it, while it is on
    /// the table's list (`None` once dropped): what `self.index(index.id())` finds, without
    /// loading the list. Index ids are never reused within a table, and an index is marked
    /// detached before the list without it is published.
    #[inline]
    pub fn attached_index<'i>(
        &self,
        index: &'i Arc<SecondaryIndex>,
    ) -> Option<&'i Arc<SecondaryIndex>> {
        debug_assert!(
            index.is_detached()
                || self
                    .index(index.id())
                    .map_or(index.is_detached(), |found| Arc::ptr_eq(&found, index)),
            "index {} is not one of this table's",
            index.id()
        );
        (!index.is_detached()).then_some(index)
    }

    pub(crate) fn has_indexes(&self) -> bool {
        self.secondary_count.load(Ordering::Acquire) != 0
    }

    /// Installs a new list of secondary indexes (and its length and columns, which writers
    /// read first).
    fn publish_indexes(&self, list: Vec<Arc<SecondaryIndex>>) {
        let count = list.len();
        let columns = list
            .iter()
            .flat_map(|index| index.source_columns())
            .fold(0u64, |mask, &column| mask | column_bit(column));
        self.secondary.store(Arc::new(list));
        self.indexed_columns.store(columns, Ordering::SeqCst);
        self.secondary_count.store(count, Ordering::SeqCst);
    }

    /// Whether some secondary index may cover one of `columns` (read without loading the
    /// list; columns from 63 on share one bit, so the answer may be a false yes for them).
    pub(crate) fn covers_a_column(&self, columns: impl IntoIterator<Item = usize>) -> bool {
        let mask = self.indexed_columns.load(Ordering::Relaxed);
        mask != 0
            && columns
                .into_iter()
                .any(|column| mask & column_bit(column) != 0)
    }

    /// Creates a secondary index on `columns` and fills it from every version of every row.
    /// A unique index over rows that already repeat a key fails (`UniqueViolation`, or
    /// `Conflict` when open transactions are writing the key) and leaves no index behind.
    /// Writers may run meanwhile: they maintain the index from the moment it is registered.
    pub fn create_index(
        &self,
        name: &str,
        columns: Vec<usize>,
        unique: bool,
    ) -> StorageResult<Arc<SecondaryIndex>> {
        self.create_index_with(name, columns, unique, None)
    }

    /// `create_index`, ordered when `ordering` gives the collation of each column (which
    /// keeps its entries in key order too, see `index/ordered.rs`).
    pub fn create_index_with(
        &self,
        name: &str,
        columns: Vec<usize>,
        unique: bool,
        ordering: Option<Vec<KeyCollation>>,
    ) -> StorageResult<Arc<SecondaryIndex>> {
        self.create_index_keyed(name, columns, unique, ordering, Vec::new())
    }

    /// `create_index_with`, the hash key of each column normalized under
    /// `key_collations[i]` (empty: all BINARY; see `index/key.rs`).
    pub fn create_index_keyed(
        &self,
        name: &str,
        columns: Vec<usize>,
        unique: bool,
        ordering: Option<Vec<KeyCollation>>,
        key_collations: Vec<KeyCollation>,
    ) -> StorageResult<Arc<SecondaryIndex>> {
        self.create_derived_index(name, columns, unique, (ordering, key_collations), None)
    }

    /// `create_index_keyed` (`keying`: ordering, key collations), its keys derived by
    /// `derivation` (`index/key_derivation.rs`; its parts replace `columns`), if any.
    pub fn create_derived_index(
        &self,
        name: &str,
        columns: Vec<usize>,
        unique: bool,
        keying: (Option<Vec<KeyCollation>>, Vec<KeyCollation>),
        derivation: Option<Arc<dyn KeyDerivation>>,
    ) -> StorageResult<Arc<SecondaryIndex>> {
        let columns = match &derivation {
            None => columns,
            Some(derivation) => (0..derivation.parts()).collect(),
        };
        let (ordering, key_collations) = keying;
        let invalid = |what: String| StorageError::new(StorageErrorKind::InvalidData, what);
        if columns.is_empty() {
            return Err(invalid(format!("index {name} has no columns")));
        }
        if ordering.as_ref().is_some_and(|c| c.len() != columns.len()) {
            return Err(invalid(format!("index {name}: one collation per column")));
        }
        if !key_collations.is_empty() && key_collations.len() != columns.len() {
            return Err(invalid(format!(
                "index {name}: one key collation per column"
            )));
        }
        if columns.len() > INDEX_COLUMNS_MAX {
            return Err(StorageError::new(
                StorageErrorKind::Limit,
                format!("index {name} has more than {INDEX_COLUMNS_MAX} columns"),
            ));
        }
        let read = match &derivation {
            None => &columns[..],
            Some(derivation) => derivation.reads(),
        };
        if let Some(column) = read.iter().find(|&&c| c >= self.schema().types.len()) {
            return Err(invalid(format!("index {name}: no column #{column}")));
        }
        let mut next_id = self
            .index_ddl
            .lock()
            .unwrap_or_else(|poison| poison.into_inner());
        let current = self.secondary.load_full();
        if current.len() >= TABLE_INDEXES_MAX {
            return Err(StorageError::new(
                StorageErrorKind::Limit,
                format!("a table may have at most {TABLE_INDEXES_MAX} indexes"),
            ));
        }
        let index = Arc::new(SecondaryIndex::new_derived(
            *next_id,
            name,
            columns,
            unique,
            (ordering, key_collations),
            derivation,
            Arc::clone(self.pool().account()),
        ));
        *next_id += 1;
        let mut list = (*current).clone();
        list.push(Arc::clone(&index));
        self.publish_indexes(list);
        // Pairs with the light fences of writers (`index_new_version`, `patch`): either a
        // writer's load of the list sees the new index, or the scan below sees its version.
        let populated = asymmetric_fence::heavy()
            .map_err(|cause| StorageError::new(StorageErrorKind::Io, cause))
            .and_then(|()| self.populate(&index));
        if let Err(error) = populated {
            index.detach();
            let list: Vec<_> = (*self.secondary.load_full())
                .iter()
                .filter(|other| other.id() != index.id())
                .cloned()
                .collect();
            self.publish_indexes(list);
            return Err(error);
        }
        Ok(index)
    }

    /// Drops the secondary index with `id`; returns whether it existed.
    pub fn drop_index(&self, id: u64) -> bool {
        let _ddl = self
            .index_ddl
            .lock()
            .unwrap_or_else(|poison| poison.into_inner());
        let current = self.secondary.load_full();
        let list: Vec<_> = current
            .iter()
            .filter(|index| index.id() != id)
            .cloned()
            .collect();
        let dropped = list.len() != current.len();
        if let Some(index) = current.iter().find(|index| index.id() == id) {
            index.detach();
        }
        self.publish_indexes(list);
        dropped
    }

    /// Adds an entry for every version of every slot, then checks uniqueness. Hash entries
    /// go in as the slots are read; ordered entries are gathered, sorted and loaded into
    /// the tree at once (`OrderedEntries::insert_sorted`), merged with those writers added
    /// meanwhile.
    fn populate(&self, index: &SecondaryIndex) -> StorageResult<()> {
        // The collector must not retire versions between our read and our insert of their
        // entries (that would leave stale entries behind).
        let _collector = self
            .gc
            .lock
            .lock()
            .unwrap_or_else(|poison| poison.into_inner());
        let mut buffer = Vec::new();
        let mut gathered = GatheredEntries::default();
        // Only the index's columns are decoded (and no column past the last of them).
        let mut wanted = vec![false; self.schema().types.len()];
        for &column in index.source_columns() {
            if let Some(flag) = wanted.get_mut(column) {
                *flag = true;
            }
        }
        // Room for an entry per slot at once, rather than a rebuild per doubling.
        index
            .map
            .lock_writer()
            .reserve(usize::try_from(self.positions()).unwrap_or(usize::MAX));
        let mut from = 0;
        // A batch's hash keys, inserted once the batch is read (`insert_hashed_keys`).
        let mut keys: Vec<(IndexKey, u64, RowId)> = Vec::new();
        while let Some(batch) = self.next_scan_batch(from, SLOTS_PER_BATCH) {
            from = batch.end;
            let guard = epoch::pin();
            let writer = index.map.lock_writer();
            let mut add = |row: RowId, payload: &[u8], buffer: &mut Vec<Value>| {
                self.schema()
                    .decode_wanted_prefix_into(row, payload, &wanted, buffer)?;
                if index.ordered().is_some() {
                    gathered.push(index, buffer, row, self.pool().account())?;
                }
                if let Some(key) = index.key_of(buffer) {
                    let hash = key.hash();
                    keys.push((key, hash, row));
                }
                Ok::<(), StorageError>(())
            };
            for row in batch {
                let Some(slot) = self.slot(row) else { continue };
                let mut current = match chain_start(slot.head.load(Ordering::Acquire, &guard)) {
                    Ok(version) => version,
                    Err(payload) => {
                        add(row, payload, &mut buffer)?;
                        continue;
                    }
                };
                // SAFETY: pinned guard; see `slot_holder`.
                while let Some(version) = unsafe { current.as_ref() } {
                    add(row, version.payload(&guard), &mut buffer)?;
                    // The new index may key the two versions apart: no `SAME_INDEX_KEYS`.
                    current = version.older.fetch_and(0, Ordering::AcqRel, &guard);
                }
            }
            // Each entry is charged to the table's memory account as it goes in.
            let account = self.pool().account();
            writer.insert_hashed_keys(&mut keys, |_, _, _| {
                account.try_charge(0, crate::index::ENTRY_BYTES)
            })?;
        }
        if let Some(ordered) = index.ordered() {
            gathered.load_into(self, index, ordered)?;
        }
        if index.is_unique() {
            self.verify_unique(index)?;
        }
        // An index with derived keys never counts as complete: its entries are not one per
        // row under its columns' values, so no settled read (`settled_index.rs`) may take
        // them for the table's rows.
        if let Some(ordered) = index.ordered().filter(|_| !index.derives_keys()) {
            ordered.mark_complete();
        }
        Ok(())
    }

    /// Fails if two slots hold one key in versions that are or may become current.
    fn verify_unique(&self, index: &SecondaryIndex) -> StorageResult<()> {
        let guard = epoch::pin();
        let mut counts: HashMap<IndexKey, u32> = HashMap::new();
        index.map.for_each_entry(&guard, |key, _| {
            *counts.entry(key.clone()).or_default() += 1;
        });
        // Sees every committed version and no transaction's own writes.
        let everyone = Snapshot {
            read_ts: TXN_ID_BASE - 1,
            txn_id: 0,
        };
        let mut buffer = Vec::new();
        for (key, count) in counts {
            if count < 2 {
                continue;
            }
            let writer = index.map.lock_writer();
            let mut holders = Vec::new();
            for row in writer.rows(&key) {
                let holder = slot_holder(self, row, index, &key, &everyone, &guard, &mut buffer)?;
                if holder != Holder::No {
                    holders.push(holder);
                }
            }
            if holders.len() >= 2 {
                if holders.contains(&Holder::Concurrent) {
                    return Err(concurrent_key_write(index));
                }
                return Err(StorageError::unique_violation(index.name()));
            }
        }
        Ok(())
    }

    /// Removes every entry whose key no version of its slot has any more (stale entries a
    /// race between index creation and rollback can leave). Returns how many it removed.
    pub fn sweep_index_entries(&self) -> u64 {
        let mut removed = 0;
        let mut buffer = Vec::new();
        for index in self.secondary.load().iter() {
            let guard = epoch::pin();
            // Stale hash entries go first: between two lock holds every hash entry keeps
            // its ordered twin, which settled probes rely on (`settled_probe.rs`).
            let mut entries = Vec::new();
            index
                .map
                .for_each_entry(&guard, |key, row| entries.push((key.clone(), row)));
            for batch in entries.chunks(SLOTS_PER_BATCH as usize) {
                let writer = index.map.lock_writer();
                for (key, row) in batch {
                    if let Ok(false) =
                        chain_has_key(self, *row, index, key, &guard, &mut buffer, None)
                    {
                        removed += u64::from(writer.remove(key, *row));
                    }
                }
            }
            if let Some(ordered) = index.ordered() {
                let mut entries = Vec::new();
                ordered
                    .for_each_entry(&guard, |encoded, row| entries.push((encoded.to_vec(), row)));
                for batch in entries.chunks(SLOTS_PER_BATCH as usize) {
                    let _writer = index.map.lock_writer();
                    for (encoded, row) in batch {
                        let kept = chain_has_ordered_key(
                            self,
                            *row,
                            index,
                            encoded,
                            &guard,
                            &mut buffer,
                            None,
                        );
                        if let Ok(false) = kept {
                            removed += u64::from(ordered.remove(encoded, *row, &guard));
                        }
                    }
                }
            }
        }
        removed
    }
}

impl Transaction {
    /// Visits every row this transaction sees whose key in `index` equals `key`, decoded into
    /// `buffer`. Lock-free. `visit` returns false to stop.
    pub fn index_lookup(
        &self,
        table: &Table,
        index: &SecondaryIndex,
        key: &IndexKey,
        buffer: &mut Vec<Value>,
        visit: impl FnMut(RowId, &mut Vec<Value>) -> bool,
    ) -> StorageResult<()> {
        self.note_table_read(table);
        let schema = table.schema();
        self.index_lookup_with(table, index, key, buffer, visit, |row, payload, buffer| {
            schema.decode_into(row, payload, buffer)
        })
    }

    /// `index_lookup` decoding only the columns `decoder` decodes (the others read NULL),
    /// which must include the index's columns (`decodes_index`): the key a row is found
    /// under is checked against the row's own values, since an entry may be stale.
    pub fn index_lookup_decoded(
        &self,
        table: &Table,
        index: &SecondaryIndex,
        key: &IndexKey,
        decoder: &RowDecoder,
        buffer: &mut Vec<Value>,
        visit: impl FnMut(RowId, &mut Vec<Value>) -> bool,
    ) -> StorageResult<()> {
        self.note_table_read(table);
        if !table.fits_decoder(decoder) || !decodes_index(decoder, index) {
            return Err(StorageError::new(
                StorageErrorKind::InvalidData,
                "an index lookup was given a decoder that does not read the index's columns",
            ));
        }
        self.index_lookup_with(table, index, key, buffer, visit, |row, payload, buffer| {
            decoder.decode_into(row, payload, buffer)
        })
    }

    fn index_lookup_with(
        &self,
        table: &Table,
        index: &SecondaryIndex,
        key: &IndexKey,
        buffer: &mut Vec<Value>,
        mut visit: impl FnMut(RowId, &mut Vec<Value>) -> bool,
        decode: impl Fn(RowId, &[u8], &mut Vec<Value>) -> StorageResult<()>,
    ) -> StorageResult<()> {
        let guard = epoch::pin();
        // Gathered before any is read (a visit cannot change what the walk sees); one key
        // rarely has more than a few slots, so they usually need no allocation.
        let mut rows = GatheredRows::default();
        index.map.for_each(key, &guard, |row| rows.push(row));
        // In row id order, as an ordered walk of the key's entries (and SQLite's index, by
        // rowid within a key) gives them: the chain holds them newest first.
        rows.sort();
        let snapshot = self.snapshot();
        for row in rows.iter() {
            let Some(payload) = table.visible_payload(row, &snapshot, &guard) else {
                continue;
            };
            decode(row, payload, buffer)?;
            if index.row_has_key(buffer, key) && !visit(row, buffer) {
                break;
            }
        }
        Ok(())
    }
}

/// Whether `decoder` decodes every column deriving a key of `index` reads.
fn decodes_index(decoder: &RowDecoder, index: &SecondaryIndex) -> bool {
    index
        .source_columns()
        .iter()
        .all(|&column| decoder.decodes(column))
}

/// The bit of `column` in `Table::indexed_columns`.
fn column_bit(column: usize) -> u64 {
    1 << column.min(63)
}

#[cfg(test)]
#[path = "indexing_tests.rs"]
pub(super) mod tests;
