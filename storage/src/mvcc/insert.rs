//! Inserting a row: a table without a key takes a new slot; a primary-key table finds the
//! key's slot through its index (linking onto a dead row there) or makes one; a clustered
//! table finds or makes the key's home (`clustered.rs`). Then the write is logged and the
//! secondary indexes get their entries (in a batch, `insert_batch.rs` adds them).

use std::borrow::Borrow;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use crossbeam_epoch::{self as epoch, Shared};

use crate::error::{StorageError, StorageErrorKind, StorageResult};
use crate::index::IndexKey;
use crate::slab::Payload;
use crate::value::Value;

use super::head::HeadWord;
use super::table::{RowId, Table};
use super::transaction::{Transaction, WriteKind};
use super::version::Version;

impl Transaction {
    /// Inserts a row; fails with `UniqueViolation` if its primary key is visible, or
    /// `Conflict` if a concurrent transaction holds that key.
    /// The values may be owned or borrowed (`Value`, `&Value`, `Cow<Value>`).
    pub fn insert<V: Borrow<Value>>(
        &mut self,
        table: &Arc<Table>,
        values: &[V],
    ) -> StorageResult<RowId> {
        self.insert_made(table, values, &mut |txn, key_left_out| {
            txn.encode_payload(table, values, key_left_out)
        })
    }

    /// `insert` of a row whose payload `payload` makes (`key_left_out`: see
    /// `TableSchema::encode_into`); `values` hold at least the row's primary-key and
    /// indexed columns (`copy_rows.rs` copies a row's encoded bytes and decodes only those).
    #[inline]
    pub(super) fn insert_made<V: Borrow<Value>>(
        &mut self,
        table: &Arc<Table>,
        values: &[V],
        payload: &mut impl FnMut(&mut Transaction, bool) -> StorageResult<Payload>,
    ) -> StorageResult<RowId> {
        let guard = epoch::pin();
        let primary = table.primary();
        // The key first: its index entry is prefetched while the row is encoded. A clustered
        // table's row whose key's own slot is reachable foreseeably goes there (its row id
        // is its key), so its payload leaves the key out; `insert_clustered` checks.
        let mut key_left_out = false;
        let key = primary.and_then(|primary| {
            let key = table.key_of(values)?;
            match (table.is_clustered(), &key) {
                (true, IndexKey::Int(int)) => {
                    key_left_out =
                        table.prefetch_direct_slot(*int) || self.restoring_direct_key == Some(*int);
                }
                _ => primary.prefetch(&key, &guard),
            }
            Some(key)
        });
        let made = payload(self, key_left_out)?;
        let txn_id = self.writer_id();
        let Some(primary) = primary else {
            let row = table.allocate_slot()?;
            let slot = table.slot(row).expect("slot just allocated");
            let version = self.new_version(table, txn_id, made).into_shared(&guard);
            slot.head
                .store(HeadWord::from_version(version), Ordering::Release);
            return self.finish_insert(table, row, version, values);
        };
        let key = key.ok_or_else(|| {
            StorageError::new(
                StorageErrorKind::InvalidData,
                "primary key value cannot be NULL",
            )
        })?;
        let version = self.new_version(table, txn_id, made).into_shared(&guard);
        if let (true, IndexKey::Int(int)) = (table.is_clustered(), &key) {
            return match self.insert_clustered(table, *int, version, key_left_out, &guard)? {
                Some(row) => self.finish_insert(table, row, version, values),
                None => self.insert_holding_key(table, *int, values, payload),
            };
        }
        let mut allocation_error = None;
        let row = loop {
            let make_row = || match table.allocate_slot() {
                Ok(row) => {
                    let slot = table.slot(row).expect("slot just allocated");
                    super::claim::link_new_row(slot, version, &guard);
                    row
                }
                Err(error) => {
                    allocation_error = Some(error);
                    RowId::MAX
                }
            };
            let (row, created) = primary.get_or_insert_with_pinned(&key, make_row, &guard);
            if let Some(error) = allocation_error {
                primary.remove(&key, RowId::MAX);
                // SAFETY: the version was never linked anywhere, so it is exclusively ours.
                drop(unsafe { version.into_owned() });
                return Err(error);
            }
            if created {
                break row;
            }
            let slot = table.slot(row).expect("indexed slot exists");
            match self.push_onto_key_slot(table, slot, version, false, &guard) {
                Ok(true) => break row,
                // The collector is giving the key's slot back (`slot_reuse.rs`) and removes
                // the entry next: probe again.
                Ok(false) => std::thread::yield_now(),
                Err(error) => {
                    // SAFETY: the failed push never linked the version, so it is ours alone.
                    drop(unsafe { version.into_owned() });
                    return Err(error);
                }
            }
        };
        self.finish_insert(table, row, version, values)
    }

    /// Inserts a row of a clustered table whose key's home turned out to be an overflow slot
    /// after its payload left the key out: its rows carry their key, so it is made again.
    #[cold]
    #[inline(never)]
    fn insert_holding_key<V: Borrow<Value>>(
        &mut self,
        table: &Arc<Table>,
        key: i64,
        values: &[V],
        payload: &mut impl FnMut(&mut Transaction, bool) -> StorageResult<Payload>,
    ) -> StorageResult<RowId> {
        let guard = epoch::pin();
        let payload = payload(self, false)?;
        let txn_id = self.writer_id();
        let version = self.new_version(table, txn_id, payload).into_shared(&guard);
        let row = self
            .insert_clustered(table, key, version, false, &guard)?
            .ok_or_else(|| {
                StorageError::new(
                    StorageErrorKind::InvalidData,
                    "a row holding its key found no home",
                )
            })?;
        self.finish_insert(table, row, version, values)
    }

    /// `insert` of a row recovery read from a file that names it `file_row`: a clustered
    /// table's row whose file row id is its key had its direct home where it was written,
    /// and gets it again whatever the reach (`clustered.rs`), so the recovered table is laid
    /// out, and holds the bytes, as the written one did (its payload leaves the key out).
    pub fn insert_restored<V: Borrow<Value>>(
        &mut self,
        table: &Arc<Table>,
        values: &[V],
        file_row: RowId,
    ) -> StorageResult<RowId> {
        // Bounded: a file is not trusted to make the slot array reach past a slot the size
        // of a large table's (the chunk holding it is mapped, if not touched, whole).
        const RESTORED_DIRECT_KEY_MAX: i64 = 1 << 28;
        let key = match table.key_of(values) {
            Some(IndexKey::Int(key))
                if table.is_clustered()
                    && key < RESTORED_DIRECT_KEY_MAX
                    && u64::try_from(key) == Ok(file_row) =>
            {
                Some(key)
            }
            _ => None,
        };
        self.restoring_direct_key = key;
        let inserted = self.insert(table, values);
        self.restoring_direct_key = None;
        inserted
    }

    /// Logs the new row `version` just linked at `row` and indexes it (undone if that fails).
    fn finish_insert<V: Borrow<Value>>(
        &mut self,
        table: &Arc<Table>,
        row: RowId,
        version: Shared<'_, Version>,
        values: &[V],
    ) -> StorageResult<RowId> {
        let savepoint = self.savepoint();
        self.log(table, row, WriteKind::Created, version);
        if self.indexing_deferred {
            return Ok(row);
        }
        self.index_or_undo(table, row, values, None, savepoint)?;
        Ok(row)
    }
}
