//! A transaction: a registered snapshot, a lazily assigned transaction id, and the write set
//! of (table, slot) pairs it touched. Writes follow first-updater-wins; commit stamps every
//! touched version under the commit lock and publishes the new timestamp; rollback unlinks
//! the versions it created and releases the ones it claimed.

use std::borrow::Borrow;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use crossbeam_epoch::{self as epoch, Guard, Owned, Shared};

use crate::error::{StorageError, StorageErrorKind, StorageResult};
use crate::index::IndexKey;
use crate::row;
use crate::slab::{Payload, SlotReserve};
use crate::store::StoreShared;
use crate::value::Value;

use super::claim::ClaimFor;
use super::evict::TableBytes;
use super::head::HeadWord;
use super::spare::HeaderCache;
use super::table::{visible_in, RowId, Table};
use super::version::{Version, END_INFINITY, SAME_INDEX_KEYS};

/// Largest encode buffer a transaction keeps between writes.
pub(super) const ENCODE_BUFFER_KEPT_BYTES_MAX: usize = 64 << 10;

/// A commit that wrote at least this many row versions computes the exact GC watermark (a
/// scan of every snapshot slot) to free or freeze them; smaller ones use the last one
/// computed.
const EXACT_WATERMARK_ROWS_MIN: usize = 32;

/// Every this many commits, a commit computes the exact watermark whatever its size.
const EXACT_WATERMARK_EVERY: u64 = 16;

const _: () = assert!(EXACT_WATERMARK_EVERY.is_power_of_two());

/// How many write-log entries ahead the commit's passes over the written versions (stamping,
/// collection) prefetch a header: an update logs two per row, so eight rows ahead.
const HEADERS_PREFETCHED_AHEAD: usize = 16;

/// The fewest writes whose commit prefetches headers: a smaller commit's headers (64 KiB of
/// cache lines at most) are still cached when it commits.
const PREFETCHED_COMMIT_WRITES_MIN: usize = 1024;

/// What a transaction reads: commits up to `read_ts`, plus its own writes (`txn_id`; 0 when
/// it has not written yet, which matches no stamp).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Snapshot {
    pub read_ts: u64,
    pub txn_id: u64,
}

/// One row change of a committing transaction, handed to the commit hook (the WAL).
pub struct Change<'a> {
    pub table: &'a Arc<Table>,
    pub row: RowId,
    /// The new payload, or `None` when the row was deleted.
    pub payload: Option<&'a [u8]>,
}

/// What one write did to one version.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum WriteKind {
    /// The transaction created the version (insert, or the new image of an update).
    Created,
    /// The transaction claimed the version's end (delete, or the old image of an update).
    Claimed,
}

/// One entry of the write log: enough to stamp it at commit or undo it at rollback.
pub(super) struct Write {
    /// Position of the table in the transaction's `tables`.
    pub(super) table: u32,
    pub(super) row: RowId,
    pub(super) kind: WriteKind,
    pub(super) version: VersionPtr,
}

/// A pointer to a version this transaction created or claimed.
#[derive(Clone, Copy)]
pub(super) struct VersionPtr(*const Version);

// SAFETY: the pointee is only read through atomics or immutable fields, and it stays alive
// while the transaction is open: garbage collection never frees a version whose begin or end
// still holds an uncommitted transaction id, and only this transaction unlinks its own
// versions. Moving the pointer to another thread with the transaction is therefore sound.
unsafe impl Send for VersionPtr {}
// SAFETY: as above; shared access only reads atomics.
unsafe impl Sync for VersionPtr {}

impl VersionPtr {
    /// Asks for the version's header to be brought into cache (a hint: reads nothing).
    #[inline]
    pub(super) fn prefetch(&self) {
        crate::prefetch::prefetch_read(self.0);
    }

    pub(super) fn get(&self) -> &Version {
        // SAFETY: see the `Send` impl: alive while the owning transaction is open, and every
        // use is inside a method of that open transaction.
        unsafe { &*self.0 }
    }
}

pub struct Transaction {
    pub(crate) store: Arc<StoreShared>,
    pub(super) snapshot: Snapshot,
    pub(super) active_slot: Option<usize>,
    pub(super) writes: Vec<Write>,
    /// The tables the write log names (each once), so a write holds no reference count of
    /// its own.
    pub(super) tables: Vec<Arc<Table>>,
    /// Whether unique secondary indexes are checked (off only to replay commits that were
    /// checked when they first ran).
    pub(super) unique_checks: bool,
    /// During `insert_restored`: the key of a clustered table's row that had its direct
    /// home where it was written, which recovery gives it again.
    pub(super) restoring_direct_key: Option<i64>,
    /// During `insert_batch`: inserts link and log their rows and leave the secondary-index
    /// entries to the batch, which adds them per index at once (`insert_batch.rs`).
    pub(super) indexing_deferred: bool,
    /// Scratch buffer rows are encoded into before their payload is copied to the pool (and
    /// then the ordered index keys of the written version).
    pub(super) encoded: Vec<u8>,
    /// Recycled version headers new versions are written into (`spare.rs`).
    pub(super) headers: HeaderCache,
    /// Slab slots reserved for this transaction's payloads, given back when it ends.
    pub(super) slots: SlotReserve,
    /// The store's widen epoch when the transaction began (`widening.rs`).
    pub(super) begin_epoch: u64,
    /// The schema owner this transaction is (0: none): tables it widened take its commit.
    pub(super) schema_owner: u64,
    /// What a SERIALIZABLE transaction read (`read_set.rs`); `None` under SNAPSHOT.
    pub(super) reads: Option<Box<super::read_set::ReadTracker>>,
    /// The last SERIALIZABLE transaction's read set, emptied, for the next one to fill.
    pub(super) spare_reads: Option<Box<super::read_set::ReadTracker>>,
}

pub(super) fn conflict(table: &Table) -> StorageError {
    StorageError::new(
        StorageErrorKind::Conflict,
        format!(
            "could not serialize access due to a concurrent update on table #{}; retry the \
             transaction",
            table.id()
        ),
    )
}

impl Transaction {
    pub(crate) fn begin(store: Arc<StoreShared>) -> StorageResult<Transaction> {
        Transaction::begin_at(store, super::Isolation::Snapshot)
    }

    /// A read-only transaction at `read_ts` that holds no snapshot slot: the history pin
    /// keeps what it reads (`Store::begin_as_of`). It must never write.
    pub(crate) fn read_only_at(store: Arc<StoreShared>, read_ts: u64) -> Transaction {
        Transaction {
            store,
            snapshot: Snapshot { read_ts, txn_id: 0 },
            active_slot: None,
            writes: Vec::new(),
            tables: Vec::new(),
            unique_checks: true,
            restoring_direct_key: None,
            indexing_deferred: false,
            encoded: Vec::new(),
            headers: HeaderCache::default(),
            slots: SlotReserve::default(),
            begin_epoch: 0,
            schema_owner: 0,
            reads: None,
            spare_reads: None,
        }
    }

    pub fn snapshot(&self) -> Snapshot {
        self.snapshot
    }

    /// Stops checking unique secondary indexes for this transaction's writes. Only for
    /// replaying commits that were checked when they first ran: their final row images,
    /// applied one row at a time, may pass through states that repeat a key.
    pub fn skip_unique_checks(&mut self) {
        self.unique_checks = false;
    }

    /// Whether this transaction has written anything.
    pub fn has_writes(&self) -> bool {
        !self.writes.is_empty()
    }

    pub(super) fn writer_id(&mut self) -> u64 {
        if self.snapshot.txn_id == 0 {
            self.snapshot.txn_id = self.store.clock.next_txn_id();
        }
        self.snapshot.txn_id
    }

    /// Decodes the visible version of `row` into `out`. Returns false if there is none.
    pub fn read_row(&self, table: &Table, row: RowId, out: &mut Vec<Value>) -> StorageResult<bool> {
        self.read_row_columns(table, row, None, out)
    }

    /// `read_row` decoding only the columns `wanted` marks (the others read as NULL; see
    /// `row::decode_columns_into`); `None` decodes every column.
    pub fn read_row_columns(
        &self,
        table: &Table,
        row: RowId,
        wanted: Option<&[bool]>,
        out: &mut Vec<Value>,
    ) -> StorageResult<bool> {
        let guard = epoch::pin();
        let payload = table.visible_payload(row, &self.snapshot, &guard);
        self.note_key_read(table, payload.map(|_| row));
        match payload {
            Some(payload) => {
                table.budget.note_row_read(row);
                table
                    .schema()
                    .decode_columns_into(row, payload, wanted, out)?;
                Ok(true)
            }
            None => Ok(false),
        }
    }

    /// The row holding `key` that this transaction sees, if any.
    pub fn find_key(&self, table: &Table, key: &IndexKey) -> Option<RowId> {
        let guard = epoch::pin();
        let found = table.lookup_key_pinned(key, &guard).filter(|row| {
            table
                .visible_payload(*row, &self.snapshot, &guard)
                .is_some()
        });
        self.note_key_read(table, found);
        found
    }

    /// The row holding primary key `key` that this transaction sees, decoded into `out`
    /// (one epoch pin for the index probe and the read). `None` when there is none.
    pub fn read_key(
        &self,
        table: &Table,
        key: &IndexKey,
        out: &mut Vec<Value>,
    ) -> StorageResult<Option<RowId>> {
        self.read_key_columns(table, key, None, out)
    }

    /// `read_key` decoding only the columns `wanted` marks (the others read as NULL; see
    /// `row::decode_columns_into`); `None` decodes every column.
    pub fn read_key_columns(
        &self,
        table: &Table,
        key: &IndexKey,
        wanted: Option<&[bool]>,
        out: &mut Vec<Value>,
    ) -> StorageResult<Option<RowId>> {
        let decoder = table.schema().decoder(wanted);
        self.read_key_decoded(table, key, &decoder, out)
    }

    /// `read_key` decoding with `decoder` (made for this table's columns, once per plan).
    pub fn read_key_decoded(
        &self,
        table: &Table,
        key: &IndexKey,
        decoder: &row::RowDecoder,
        out: &mut Vec<Value>,
    ) -> StorageResult<Option<RowId>> {
        check_decoder_width(table, decoder)?;
        let guard = epoch::pin();
        let Some(row) = table.lookup_key_pinned(key, &guard) else {
            table.budget.note_key_read(None);
            self.note_key_read(table, None);
            return Ok(None);
        };
        let Some(payload) = table.visible_payload(row, &self.snapshot, &guard) else {
            table.budget.note_key_read(None);
            self.note_key_read(table, None);
            return Ok(None);
        };
        table.budget.note_key_read(Some(row));
        self.note_key_read(table, Some(row));
        if !table.schema().key_gives_decoded(key, decoder, out) {
            decoder.decode_into(row, payload, out)?;
        }
        Ok(Some(row))
    }

    /// Visits visible rows with ids in `rows`, decoding each into `buffer`. Returns the next
    /// row id to resume from, so a caller can scan in bounded batches.
    pub fn scan_batch(
        &self,
        table: &Table,
        rows: std::ops::Range<RowId>,
        buffer: &mut Vec<Value>,
        visit: impl FnMut(RowId, &mut Vec<Value>) -> bool,
    ) -> StorageResult<RowId> {
        self.scan_batch_columns(table, rows, None, buffer, visit)
    }

    /// `scan_batch` decoding only the columns `wanted` marks (the others read as NULL; see
    /// `row::decode_columns_into`); `None` decodes every column. One epoch pin per batch.
    pub fn scan_batch_columns(
        &self,
        table: &Table,
        rows: std::ops::Range<RowId>,
        wanted: Option<&[bool]>,
        buffer: &mut Vec<Value>,
        visit: impl FnMut(RowId, &mut Vec<Value>) -> bool,
    ) -> StorageResult<RowId> {
        let decoder = table.schema().decoder(wanted);
        self.scan_batch_decoded(table, rows, &decoder, buffer, visit)
    }

    /// `scan_batch` decoding each row with `decoder` (made for this table's columns, once
    /// per scan). One epoch pin per batch.
    pub fn scan_batch_decoded(
        &self,
        table: &Table,
        rows: std::ops::Range<RowId>,
        decoder: &row::RowDecoder,
        buffer: &mut Vec<Value>,
        mut visit: impl FnMut(RowId, &mut Vec<Value>) -> bool,
    ) -> StorageResult<RowId> {
        self.note_table_read(table);
        check_decoder_width(table, decoder)?;
        let guard = epoch::pin();
        let mut failure = None;
        let resume = table.for_each_slot(rows, &guard, |row, slot| {
            let Some(payload) = visible_in(slot, &self.snapshot, &guard) else {
                return true;
            };
            match decoder.decode_into(row, payload, buffer) {
                Ok(()) => visit(row, buffer),
                Err(error) => {
                    failure = Some(error);
                    false
                }
            }
        });
        match failure {
            Some(error) => Err(error),
            None => Ok(resume),
        }
    }

    /// A new version of a row of `table`, in a recycled header when there is one.
    pub(super) fn new_version(
        &mut self,
        table: &Table,
        begin: u64,
        payload: Payload,
    ) -> Owned<Version> {
        let spare = table.pool().spare_headers();
        self.headers.make(spare, Version::new(begin, payload))
    }

    /// Encodes `values` (through the scratch buffer) into a new payload in the pool;
    /// `key_left_out`: for a row whose row id is its key (`TableSchema::encode_into`).
    #[inline]
    pub(super) fn encode_payload<V: Borrow<Value>>(
        &mut self,
        table: &Table,
        values: &[V],
        key_left_out: bool,
    ) -> StorageResult<Payload> {
        table
            .schema()
            .encode_into(values, key_left_out, &mut self.encoded)?;
        let payload = Payload::new_reserved(
            table.pool(),
            &mut self.slots,
            &self.encoded,
            table.index_headroom_bytes(),
        );
        if self.encoded.capacity() > ENCODE_BUFFER_KEPT_BYTES_MAX {
            // A huge row's buffer is not kept for the rest of the transaction.
            self.encoded = Vec::new();
        }
        payload
    }

    /// Adds the secondary-index entries of the version just written to `row`; if that
    /// fails (a unique index), undoes the writes made since `savepoint`.
    pub(super) fn index_or_undo<V: Borrow<Value>>(
        &mut self,
        table: &Table,
        row: RowId,
        values: &[V],
        previous: Option<&[Value]>,
        savepoint: usize,
    ) -> StorageResult<()> {
        let checked = self.unique_checks.then_some(&self.snapshot);
        // The row was copied into the pool already: its encode buffer holds the keys now.
        let encoded = &mut self.encoded;
        let indexed =
            super::indexing::index_new_version(table, row, values, previous, checked, encoded);
        if indexed.is_err() {
            self.rollback_to(savepoint);
        }
        indexed
    }

    /// Replaces the row's visible version with `values`. A changed primary key becomes a
    /// delete of the old key and an insert of the new one; returns the row's (new) id.
    pub fn update(
        &mut self,
        table: &Arc<Table>,
        row: RowId,
        values: &[Value],
    ) -> StorageResult<RowId> {
        if let Some(new_key) = table.key_of(values) {
            if table.lookup_key(&new_key) != Some(row) {
                self.delete(table, row)?;
                return self.insert(table, values);
            }
        } else if !table.schema().key_columns.is_empty() {
            return Err(StorageError::new(
                StorageErrorKind::InvalidData,
                "primary key value cannot be NULL",
            ));
        }
        let payload = self.encode_payload(table, values, table.is_direct_row(row))?;
        let guard = epoch::pin();
        let (slot, head) = self.claim(table, row, ClaimFor::Update, &guard)?;
        let savepoint = self.savepoint();
        self.log(table, row, WriteKind::Claimed, head);
        let previous = if table.has_indexes() {
            // SAFETY: pinned guard; the claimed version is alive.
            let old = unsafe { head.deref() };
            match table.schema().decode(row, old.payload(&guard)) {
                Ok(values) => Some(values),
                Err(error) => {
                    self.rollback_to(savepoint);
                    return Err(error);
                }
            }
        } else {
            None
        };
        let version = self.new_version(table, self.snapshot.txn_id, payload);
        version.older.store(head, Ordering::Relaxed);
        let version = version.into_shared(&guard);
        slot.head
            .store(HeadWord::from_version(version), Ordering::Release);
        self.log(table, row, WriteKind::Created, version);
        self.index_or_undo(table, row, values, previous.as_deref(), savepoint)?;
        Ok(row)
    }

    /// Deletes the row's visible version.
    pub fn delete(&mut self, table: &Arc<Table>, row: RowId) -> StorageResult<()> {
        let guard = epoch::pin();
        let (_, head) = self.claim(table, row, ClaimFor::Delete, &guard)?;
        self.log(table, row, WriteKind::Claimed, head);
        Ok(())
    }

    #[inline]
    pub(super) fn log(
        &mut self,
        table: &Arc<Table>,
        row: RowId,
        kind: WriteKind,
        version: Shared<'_, Version>,
    ) {
        debug_assert!(!version.is_null());
        let position = match self.tables.iter().rposition(|t| Arc::ptr_eq(t, table)) {
            Some(position) => position,
            None => {
                self.tables.push(Arc::clone(table));
                self.tables.len() - 1
            }
        };
        self.writes.push(Write {
            table: u32::try_from(position).expect("fewer tables than writes"),
            row,
            kind,
            version: VersionPtr(version.as_raw()),
        });
    }

    /// Makes room in the write log for `rows` more row updates or deletes (two entries
    /// each), so a statement that knows its targets grows the log once, not by doubling
    /// (each doubling of a large log is a reallocation and a copy).
    pub fn reserve_row_writes(&mut self, rows: usize) {
        self.writes.reserve(rows.saturating_mul(2));
    }

    /// A savepoint: the current length of the write log. `rollback_to` undoes every write
    /// made after it (statement-level atomicity inside an explicit transaction).
    pub fn savepoint(&self) -> usize {
        self.writes.len()
    }

    /// Undoes every write made after `savepoint`, newest first.
    pub fn rollback_to(&mut self, savepoint: usize) {
        if self.writes.len() <= savepoint {
            return;
        }
        let guard = epoch::pin();
        let mut unindexing = super::unindex::UnindexBuffers::default();
        // The table whose entries `unindexing` holds pending (removed when the writes undone
        // move to another table, and at the end).
        let mut pending_table = None;
        while self.writes.len() > savepoint {
            let write = self.writes.pop().expect("length checked");
            let version = write.version.get();
            if let Some(at) = pending_table.filter(|&at| at != write.table) {
                let table = &self.tables[at as usize];
                super::unindex::remove_pending(table, &guard, &mut unindexing);
                pending_table = None;
            }
            let table = &self.tables[write.table as usize];
            match write.kind {
                WriteKind::Created => {
                    let Some(slot) = table.slot(write.row) else {
                        continue;
                    };
                    let head = slot.head.load(Ordering::Acquire, &guard);
                    debug_assert_eq!(
                        head.version().map(|head| head.as_raw()),
                        Some(write.version.0),
                        "newer writes undone first"
                    );
                    let older = version.older.load(Ordering::Acquire, &guard);
                    slot.head
                        .store(HeadWord::from_version(older), Ordering::Release);
                    // Across a `SAME_INDEX_KEYS` link the restored version needs every entry.
                    if table.has_indexes() && older.tag() & SAME_INDEX_KEYS == 0 {
                        super::unindex::unindex_version(
                            table,
                            write.row,
                            version,
                            &guard,
                            &mut unindexing,
                        );
                        pending_table = Some(write.table);
                    }
                    let account = Arc::clone(table.pool().account());
                    account.pending_frees.fetch_add(1, Ordering::AcqRel);
                    let unlinked = write.version.0 as usize;
                    // SAFETY: the version is unlinked and was created by this transaction, so
                    // it is destroyed once; readers that reached it are protected by their
                    // epoch pins, which the deferred destruction waits for.
                    unsafe {
                        guard.defer_unchecked(move || {
                            drop(Owned::from_raw(unlinked as *mut Version));
                            account.pending_frees.fetch_sub(1, Ordering::AcqRel);
                        });
                    }
                }
                WriteKind::Claimed => {
                    let claimed = version.end.compare_exchange(
                        self.snapshot.txn_id,
                        END_INFINITY,
                        Ordering::AcqRel,
                        Ordering::Acquire,
                    );
                    debug_assert!(
                        claimed.is_ok(),
                        "a claimed version keeps our id until undone"
                    );
                }
            }
        }
        if let Some(at) = pending_table {
            super::unindex::remove_pending(&self.tables[at as usize], &guard, &mut unindexing);
        }
        // Deferred frees leave this thread's bag: a thread that idles after a rollback would
        // hold them pending, and every drain (VACUUM's, the collector's) would wait its cap.
        guard.flush();
        if self.writes.is_empty() {
            self.tables.clear();
        }
    }

    /// Commits; returns the commit timestamp (the read timestamp for a read-only one).
    pub fn commit(mut self) -> StorageResult<u64> {
        self.commit_in_place()
    }

    /// Commits, calling `hook` with the commit timestamp and the final change of every
    /// touched row while the commit lock is held and before the commit becomes visible. If
    /// the hook fails, the transaction is rolled back and the error returned.
    pub fn commit_with(
        mut self,
        hook: impl FnOnce(u64, &[Change<'_>]) -> StorageResult<()>,
    ) -> StorageResult<u64> {
        self.commit_with_in_place(hook)
    }

    pub(super) fn commit_in_place(&mut self) -> StorageResult<u64> {
        if self.writes.is_empty() {
            let read_ts = self.snapshot.read_ts;
            self.release_snapshot();
            return Ok(read_ts);
        }
        // Without a hook nobody needs the list of changes: stamp and publish.
        let store = Arc::clone(&self.store);
        let (commit_lock, ts) = store.clock.begin_commit();
        if let Some(error) = self.wrote_rebuilt_table().or_else(|| self.validate_reads()) {
            drop(commit_lock);
            self.rollback_to(0);
            self.release_snapshot();
            return Err(error);
        }
        self.stamp_and_publish(commit_lock, ts);
        Ok(ts)
    }

    pub(super) fn commit_with_in_place(
        &mut self,
        hook: impl FnOnce(u64, &[Change<'_>]) -> StorageResult<()>,
    ) -> StorageResult<u64> {
        if self.writes.is_empty() {
            let read_ts = self.snapshot.read_ts;
            self.release_snapshot();
            return Ok(read_ts);
        }
        let txn_id = self.snapshot.txn_id;
        let guard = epoch::pin();
        let mut touched: Vec<(&Arc<Table>, RowId)> = self
            .writes
            .iter()
            .map(|write| (&self.tables[write.table as usize], write.row))
            .collect();
        touched.sort_by_key(|(table, row)| (Arc::as_ptr(table) as usize, *row));
        touched.dedup_by(|a, b| Arc::ptr_eq(a.0, b.0) && a.1 == b.1);
        let changes: Vec<Change<'_>> = touched
            .iter()
            .map(|(table, row)| Change {
                table,
                row: *row,
                payload: final_payload(table, *row, txn_id, &guard),
            })
            .collect();
        let store = Arc::clone(&self.store);
        let (commit_lock, ts) = store.clock.begin_commit();
        let hooked = match self.wrote_rebuilt_table().or_else(|| self.validate_reads()) {
            Some(error) => Err(error),
            None => hook(ts, &changes),
        };
        drop(changes);
        drop(touched);
        if let Err(error) = hooked {
            drop(commit_lock);
            self.rollback_to(0);
            self.release_snapshot();
            return Err(error);
        }
        self.stamp_and_publish(commit_lock, ts);
        Ok(ts)
    }

    /// Stamps every written version with `ts`, publishes `ts` and ends the transaction.
    fn stamp_and_publish(&mut self, commit_lock: std::sync::MutexGuard<'_, ()>, ts: u64) {
        // One pass over the written headers: each is stamped and its bytes counted while in
        // cache; a large commit asks for the header some writes ahead meanwhile (a large
        // UPDATE's headers are far past the L2 cache by its commit).
        let mut bytes = TableBytes::default();
        let prefetching = self.writes.len() >= PREFETCHED_COMMIT_WRITES_MIN;
        for (at, write) in self.writes.iter().enumerate() {
            if let Some(ahead) = self
                .writes
                .get(at + HEADERS_PREFETCHED_AHEAD)
                .filter(|_| prefetching)
            {
                ahead.version.prefetch();
            }
            let version = write.version.get();
            match write.kind {
                WriteKind::Created => version.begin.store(ts, Ordering::Release),
                WriteKind::Claimed => version.end.store(ts, Ordering::Release),
            }
            bytes.add(&self.tables, write, version);
        }
        bytes.finish(&self.tables);
        self.mark_created_rows();
        self.count_committed_rows(Some(ts));
        self.store.clock.publish(&commit_lock, ts);
        self.log_for_validation(ts);
        drop(commit_lock);
        self.release_snapshot();
        self.collect_replaced(ts);
        self.writes.clear();
        self.tables.clear();
    }

    /// After commit: collects the chains of the rows this transaction wrote, so the versions
    /// it replaced are freed as soon as no snapshot can see them (usually at once) instead of
    /// waiting for the next collector pass, and its new rows are frozen (`head.rs`) when no
    /// snapshot older than the commit is left.
    fn collect_replaced(&self, ts: u64) {
        if self.writes.is_empty() {
            return;
        }
        // The exact watermark scans every snapshot slot: paid when enough rows share it, or
        // every few commits; otherwise the last computed one (older, so still safe) is used.
        let every = ts & (EXACT_WATERMARK_EVERY - 1) == 0;
        let watermark = if self.writes.len() >= EXACT_WATERMARK_ROWS_MIN || every {
            self.store.active.watermark(&self.store.clock)
        } else {
            self.store.active.watermark_hint()
        };
        let prefetching = self.writes.len() >= PREFETCHED_COMMIT_WRITES_MIN;
        let mut rest = &self.writes[..];
        while let Some(first) = rest.first() {
            let same_table = rest
                .iter()
                .take_while(|write| write.table == first.table)
                .count();
            let (run, next) = rest.split_at(same_table);
            // An update logs its row twice in a row (claimed, then created): collect it once.
            // The versions a few rows ahead are asked for while this row is collected.
            let rows = run
                .iter()
                .enumerate()
                .inspect(|(at, _)| {
                    let ahead = run.get(at + HEADERS_PREFETCHED_AHEAD);
                    if let Some(ahead) = ahead.filter(|_| prefetching) {
                        ahead.version.prefetch();
                    }
                })
                .filter(|(at, write)| *at == 0 || run[at - 1].row != write.row)
                .map(|(_, write)| write.row);
            self.tables[first.table as usize].collect_slots(rows, watermark);
            rest = next;
        }
    }

    /// Undoes every write and ends the transaction.
    pub fn rollback(mut self) {
        self.rollback_to(0);
        self.release_snapshot();
    }

    pub(super) fn release_snapshot(&mut self) {
        self.slots.give_back();
        if let Some(slot) = self.active_slot.take() {
            self.store.active.unregister(slot);
        }
        self.end_isolation();
    }
}

impl Drop for Transaction {
    fn drop(&mut self) {
        self.rollback_to(0);
        self.release_snapshot();
    }
}

/// Fails unless `decoder` reads rows as wide as `table`'s.
pub(super) fn check_decoder_width(table: &Table, decoder: &row::RowDecoder) -> StorageResult<()> {
    if decoder.width() == table.schema().types.len() {
        if !table.fits_decoder(decoder) {
            return Err(StorageError::new(
                StorageErrorKind::InvalidData,
                "row decoder not made by the table's schema (TableSchema::decoder) used on a \
                 table whose payloads may leave the key out",
            ));
        }
        return Ok(());
    }
    Err(StorageError::new(
        StorageErrorKind::InvalidData,
        format!(
            "row decoder for {} columns used on a table of {}",
            decoder.width(),
            table.schema().types.len()
        ),
    ))
}

/// The payload `txn_id` leaves in `row` (None if it deleted the row).
fn final_payload<'g>(table: &Table, row: RowId, txn_id: u64, guard: &'g Guard) -> Option<&'g [u8]> {
    let slot = table.slot(row)?;
    let head = slot.head.load(Ordering::Acquire, guard).version_ref()?;
    let begin = head.begin.load(Ordering::Acquire);
    let end = head.end.load(Ordering::Acquire);
    (begin == txn_id && end != txn_id).then(|| head.payload(guard))
}
