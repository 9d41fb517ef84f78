//! `Transaction::update_columns`: an update that names only the columns it changes. The new
//! version's payload is the old one with those columns spliced in (`row_splice`): the other
//! columns are neither decoded nor re-encoded, and the row is not looked up again by key.
//! A change to a primary-key column takes the whole-row path (`Transaction::update`, which
//! turns it into a delete and an insert), and secondary indexes are maintained only when
//! one of them covers a changed column.

use std::cell::RefCell;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use crossbeam_epoch as epoch;

use crate::asymmetric_fence;
use crate::error::{StorageError, StorageErrorKind, StorageResult};
use crate::row_splice::splice_into;
use crate::slab::Payload;
use crate::value::Value;

use super::table::{RowId, Table};
use super::transaction::{conflict, Transaction, WriteKind, ENCODE_BUFFER_KEPT_BYTES_MAX};
use super::unindex::mark_index_columns;
use super::version::SAME_INDEX_KEYS;

impl Transaction {
    /// Replaces columns of the row's visible version: each `(column, value)` of `changes`
    /// (columns in increasing order, values already of their column's type or NULL), the
    /// other columns kept. Same rules as [`Transaction::update`] (first updater wins, unique
    /// indexes checked, a changed primary key moves the row); returns the row's (new) id.
    pub fn update_columns(
        &mut self,
        table: &Arc<Table>,
        row: RowId,
        changes: &[(usize, Value)],
    ) -> StorageResult<RowId> {
        let schema = table.schema();
        if let Some((column, _)) = changes.iter().find(|(c, _)| *c >= schema.types.len()) {
            return Err(StorageError::new(
                StorageErrorKind::InvalidData,
                format!("no column #{column} in table #{}", table.id()),
            ));
        }
        let key_changed = changes
            .iter()
            .any(|(column, _)| schema.key_columns.contains(column));
        if key_changed {
            return self.update_whole_row(table, row, changes);
        }
        let guard = epoch::pin();
        let (slot, head) = self.claim(table, row, super::claim::ClaimFor::Update, &guard)?;
        let savepoint = self.savepoint();
        self.log(table, row, WriteKind::Claimed, head);
        // SAFETY: pinned guard; the version we just claimed is alive.
        let old = unsafe { head.deref() };
        let payload = match self.splice_payload(table, row, old.payload(&guard), changes) {
            Ok(payload) => payload,
            Err(error) => {
                self.rollback_to(savepoint);
                return Err(error);
            }
        };
        let version = self.new_version(table, self.snapshot().txn_id, payload);
        // Tagged when no index covers a changed column (checked again after the fence).
        let same_keys = !touches_an_index(table, changes);
        let link = if same_keys {
            head.with_tag(SAME_INDEX_KEYS)
        } else {
            head
        };
        version.older.store(link, Ordering::Relaxed);
        let version = version.into_shared(&guard);
        slot.head.store(
            super::head::HeadWord::from_version(version),
            Ordering::Release,
        );
        self.log(table, row, WriteKind::Created, version);
        // Pairs with the fence of `create_index` (as in `index_new_version`): either this
        // load sees a new index, or its population scan sees the version linked above (and
        // clears the link's tag).
        asymmetric_fence::light();
        if !touches_an_index(table, changes) {
            // Every index key of the new version is the old version's, whose entries exist.
            return Ok(row);
        }
        if same_keys {
            // An index created meanwhile covers a changed column: the keys may differ.
            // SAFETY: pinned guard; the version was created above and is alive.
            unsafe { version.deref() }
                .older
                .store(head, Ordering::Relaxed);
        }
        // Only the columns of the indexes a change touches are decoded (the others read as
        // NULL in both rows, so every other index sees its key unchanged and is skipped:
        // the old version's entries hold for the new one).
        // The thread's scratch rows, taken out for the index upkeep and put back after.
        let mut rows = INDEX_ROWS.with(RefCell::take);
        let IndexRows {
            wanted,
            previous,
            values,
        } = &mut rows;
        wanted.clear();
        wanted.resize(schema.types.len(), false);
        let indexes = table.secondary.load();
        let touched = indexes.iter().filter(|index| {
            let columns = index.source_columns();
            changes.iter().any(|(column, _)| columns.contains(column))
        });
        mark_index_columns(wanted, touched);
        let decoded = schema.decode_wanted_prefix_into(row, old.payload(&guard), wanted, previous);
        let indexed = match decoded {
            Err(error) => {
                self.rollback_to(savepoint);
                Err(error)
            }
            Ok(()) => {
                values.clone_from(previous);
                for (column, value) in changes {
                    values[*column] = value.clone();
                }
                self.index_or_undo(table, row, values, Some(previous), savepoint)
            }
        };
        rows.keep_small();
        INDEX_ROWS.with(|cell| cell.replace(rows));
        indexed.map(|()| row)
    }

    /// `update_columns` through the whole row: read it, put the changes in, `update`; all or
    /// nothing.
    fn update_whole_row(
        &mut self,
        table: &Arc<Table>,
        row: RowId,
        changes: &[(usize, Value)],
    ) -> StorageResult<RowId> {
        let mut values = Vec::with_capacity(table.schema().types.len());
        if !self.read_row(table, row, &mut values)? {
            return Err(conflict(table));
        }
        for (column, value) in changes {
            values[*column] = value.clone();
        }
        // A moved key is a delete and an insert: a failed insert takes the delete back.
        let savepoint = self.savepoint();
        let updated = self.update(table, row, &values);
        if updated.is_err() {
            self.rollback_to(savepoint);
        }
        updated
    }

    /// The payload of `old` (of row `row`) with `changes` spliced in, copied into the pool.
    /// (A splice keeps the bitmap bits of the columns it does not change, so a key left out
    /// of `old` stays left out: the row keeps its id.)
    fn splice_payload(
        &mut self,
        table: &Table,
        row: RowId,
        old: &[u8],
        changes: &[(usize, Value)],
    ) -> StorageResult<Payload> {
        let schema = table.schema();
        if schema.added.is_empty() {
            splice_into(&schema.types, old, changes, &mut self.encoded)?;
        } else {
            // A table that grew columns: its rows may be narrower than it (`row/added.rs`).
            let mut values = schema.decode(row, old)?;
            for (column, value) in changes {
                values[*column] = value.clone();
            }
            schema.encode_into(&values, table.is_direct_row(row), &mut self.encoded)?;
        }
        let payload = Payload::new_reserved(
            table.pool(),
            &mut self.slots,
            &self.encoded,
            table.index_headroom_bytes(),
        );
        if self.encoded.capacity() > ENCODE_BUFFER_KEPT_BYTES_MAX {
            self.encoded = Vec::new();
        }
        payload
    }
}

/// The rows an update's index upkeep decodes and builds, kept per thread so a statement
/// that updates many rows allocates them once (not in the transaction, which is moved by
/// value from statement to statement and is kept small).
#[derive(Default)]
struct IndexRows {
    /// The columns some index the update touches reads.
    wanted: Vec<bool>,
    /// Those columns of the replaced version (the others NULL).
    previous: Vec<Value>,
    /// The same with the changes put in.
    values: Vec<Value>,
}

thread_local! {
    static INDEX_ROWS: RefCell<IndexRows> = RefCell::new(IndexRows::default());
}

/// Values an update's scratch rows keep between writes; wider rows are given back.
const INDEX_ROW_VALUES_KEPT_MAX: usize = 256;

impl IndexRows {
    /// Gives back the buffers of a very wide table (a narrower one's values, one row's
    /// worth, stay until the next update overwrites them).
    fn keep_small(&mut self) {
        if self.previous.capacity() > INDEX_ROW_VALUES_KEPT_MAX {
            *self = IndexRows::default();
        }
    }
}

/// Whether some secondary index of `table` covers a column of `changes` (a false yes is
/// possible for columns from 63 on: the version is then untagged, which is always safe).
fn touches_an_index(table: &Table, changes: &[(usize, Value)]) -> bool {
    table.covers_a_column(changes.iter().map(|(column, _)| *column))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Store;
    use crate::value::DataType;
    use crate::TableSchema;

    fn setup() -> (Store, Arc<Table>) {
        let store = Store::new();
        let schema = TableSchema {
            types: vec![DataType::Integer, DataType::Text, DataType::Real],
            key_columns: vec![0],
            added: Vec::new(),
        };
        let table = store.create_table(schema);
        let mut txn = store.begin().unwrap();
        for id in 0..4 {
            let name = Value::Text(format!("n{id}"));
            txn.insert(&table, &[Value::Integer(id), name, Value::Real(0.5)])
                .unwrap();
        }
        txn.commit().unwrap();
        (store, table)
    }

    fn read(store: &Store, table: &Table, id: i64) -> Option<Vec<Value>> {
        let txn = store.begin().unwrap();
        let mut out = Vec::new();
        let key = crate::index::IndexKey::Int(id);
        txn.read_key(table, &key, &mut out).unwrap().map(|_| out)
    }

    #[test]
    fn changes_only_the_named_columns_and_versions_like_update() {
        let (store, table) = setup();
        let before = store.begin().unwrap();
        let mut txn = store.begin().unwrap();
        let row = txn
            .find_key(&table, &crate::index::IndexKey::Int(2))
            .unwrap();
        txn.update_columns(&table, row, &[(2, Value::Real(9.0))])
            .unwrap();
        txn.update_columns(&table, row, &[(1, Value::Null)])
            .unwrap();
        txn.commit().unwrap();
        let expected = vec![Value::Integer(2), Value::Null, Value::Real(9.0)];
        assert_eq!(read(&store, &table, 2), Some(expected));
        let mut old = Vec::new();
        before.read_row(&table, row, &mut old).unwrap();
        assert_eq!(
            old[2],
            Value::Real(0.5),
            "an older snapshot keeps the old version"
        );
    }

    #[test]
    fn first_updater_wins_and_rollback_restores() {
        let (store, table) = setup();
        let mut first = store.begin().unwrap();
        let mut second = store.begin().unwrap();
        let row = first
            .find_key(&table, &crate::index::IndexKey::Int(1))
            .unwrap();
        first
            .update_columns(&table, row, &[(2, Value::Real(1.0))])
            .unwrap();
        let error = second
            .update_columns(&table, row, &[(2, Value::Real(2.0))])
            .unwrap_err();
        assert_eq!(error.kind, StorageErrorKind::Conflict);
        first.rollback();
        second
            .update_columns(&table, row, &[(2, Value::Real(2.0))])
            .unwrap();
        second.commit().unwrap();
        assert_eq!(read(&store, &table, 1).unwrap()[2], Value::Real(2.0));
    }

    #[test]
    fn a_key_change_moves_the_row_and_bad_changes_change_nothing() {
        let (store, table) = setup();
        let mut txn = store.begin().unwrap();
        let row = txn
            .find_key(&table, &crate::index::IndexKey::Int(3))
            .unwrap();
        let duplicate = txn.update_columns(&table, row, &[(0, Value::Integer(0))]);
        assert_eq!(
            duplicate.unwrap_err().kind,
            StorageErrorKind::UniqueViolation
        );
        let wrong_type = txn.update_columns(&table, row, &[(2, Value::Text("x".into()))]);
        assert_eq!(wrong_type.unwrap_err().kind, StorageErrorKind::InvalidData);
        let past_end = txn.update_columns(&table, row, &[(3, Value::Null)]);
        assert_eq!(past_end.unwrap_err().kind, StorageErrorKind::InvalidData);
        assert!(!txn.has_writes(), "failed updates leave nothing behind");
        txn.update_columns(&table, row, &[(0, Value::Integer(30))])
            .unwrap();
        txn.commit().unwrap();
        assert_eq!(read(&store, &table, 3), None);
        let moved = vec![
            Value::Integer(30),
            Value::Text("n3".into()),
            Value::Real(0.5),
        ];
        assert_eq!(read(&store, &table, 30), Some(moved));
    }

    #[test]
    fn indexes_follow_changed_columns_only() {
        let (store, table) = setup();
        let index = table.create_index("by_name", vec![1], true).unwrap();
        let mut txn = store.begin().unwrap();
        let row = txn
            .find_key(&table, &crate::index::IndexKey::Int(0))
            .unwrap();
        txn.update_columns(&table, row, &[(2, Value::Real(3.0))])
            .unwrap();
        let taken = txn.update_columns(&table, row, &[(1, Value::Text("n1".into()))]);
        assert_eq!(taken.unwrap_err().kind, StorageErrorKind::UniqueViolation);
        txn.update_columns(&table, row, &[(1, Value::Text("zed".into()))])
            .unwrap();
        txn.commit().unwrap();
        let reader = store.begin().unwrap();
        let mut found = Vec::new();
        let key = crate::index::IndexKey::from_values([&Value::Text("zed".into())]).unwrap();
        reader
            .index_lookup(&table, &index, &key, &mut Vec::new(), |id, values| {
                found.push((id, values[2].clone()));
                true
            })
            .unwrap();
        assert_eq!(found, [(row, Value::Real(3.0))]);
    }

    /// Builds a chain of row 0 under an open snapshot: updates of the unindexed column 2
    /// (links tagged `SAME_INDEX_KEYS`) between updates of the indexed column 1 (untagged),
    /// plus undone updates of each kind; then collects it. Checked: the live key is found,
    /// every other key's entry is gone, and the sweep finds nothing stale. Fails when a
    /// tagged link is trusted across a key change (a stale entry is left) or a needed entry
    /// is removed.
    #[test]
    fn same_key_links_skip_unindexing_and_leave_nothing_stale() {
        let (store, table) = setup();
        let index = table.create_index("by_name", vec![1], false).unwrap();
        let row = store
            .begin()
            .unwrap()
            .find_key(&table, &crate::index::IndexKey::Int(0))
            .unwrap();
        let holder = store.begin().unwrap();
        let steps: [(usize, Value); 6] = [
            (2, Value::Real(1.0)),
            (1, Value::Text("a".into())),
            (2, Value::Real(2.0)),
            (2, Value::Real(3.0)),
            (1, Value::Text("b".into())),
            (2, Value::Real(4.0)),
        ];
        for change in steps {
            let mut undone = store.begin().unwrap();
            undone
                .update_columns(&table, row, &[(1, Value::Text("undone".into()))])
                .unwrap();
            undone
                .update_columns(&table, row, &[(2, Value::Real(-1.0))])
                .unwrap();
            undone.rollback();
            let mut txn = store.begin().unwrap();
            txn.update_columns(&table, row, &[change]).unwrap();
            txn.commit().unwrap();
        }
        assert_eq!(
            index.entries(),
            6,
            "n0, a, b for row 0 and the three other rows"
        );
        drop(holder);
        table.collect_garbage(store.watermark());
        assert_eq!(index.entries(), 4, "only the live keys are left");
        let reader = store.begin().unwrap();
        let key = crate::index::IndexKey::from_values([&Value::Text("b".into())]).unwrap();
        let mut found = Vec::new();
        reader
            .index_lookup(&table, &index, &key, &mut Vec::new(), |id, values| {
                found.push((id, values[2].clone()));
                true
            })
            .unwrap();
        assert_eq!(found, [(row, Value::Real(4.0))]);
        assert_eq!(table.sweep_index_entries(), 0);
    }

    /// One transaction updates indexed columns of two tables of different widths by turns
    /// (the scratch rows of the index upkeep are reused across them and across rows), under a
    /// snapshot that keeps every replaced version. Checked: each new key finds exactly its
    /// row, the old snapshot still finds the old keys, and after the collection nothing
    /// stale is left. Fails if a scratch row carried a value from one write into the next.
    #[test]
    fn index_upkeep_scratch_rows_carry_nothing_between_tables_and_rows() {
        use crate::index::{IndexKey, KeyCollation};
        let store = Store::new();
        let narrow = store.create_table(TableSchema {
            types: vec![DataType::Integer, DataType::Integer],
            key_columns: vec![0],
            added: Vec::new(),
        });
        let wide = store.create_table(TableSchema {
            types: vec![
                DataType::Integer,
                DataType::Text,
                DataType::Real,
                DataType::Text,
            ],
            key_columns: vec![0],
            added: Vec::new(),
        });
        let ordered = Some(vec![KeyCollation::Binary]);
        let by_n = narrow
            .create_index_with("by_n", vec![1], false, ordered.clone())
            .unwrap();
        let by_name = wide
            .create_index_with("by_name", vec![3], false, ordered)
            .unwrap();
        let by_pair = wide.create_index("by_pair", vec![1, 2], false).unwrap();
        let text = |s: String| Value::Text(s);
        let mut txn = store.begin().unwrap();
        for id in 0..20 {
            txn.insert(&narrow, &[Value::Integer(id), Value::Integer(id)])
                .unwrap();
            let row = [
                Value::Integer(id),
                text(format!("p{id}")),
                Value::Real(0.5),
                text(format!("n{id}")),
            ];
            txn.insert(&wide, &row).unwrap();
        }
        txn.commit().unwrap();
        let before = store.begin().unwrap();
        let mut txn = store.begin().unwrap();
        for id in 0..20 {
            let key = IndexKey::Int(id);
            let row = txn.find_key(&narrow, &key).unwrap();
            txn.update_columns(&narrow, row, &[(1, Value::Integer(100 + id))])
                .unwrap();
            let row = txn.find_key(&wide, &key).unwrap();
            let changes = [(2, Value::Real(1.5)), (3, text(format!("m{id}")))];
            txn.update_columns(&wide, row, &changes).unwrap();
        }
        txn.commit().unwrap();
        let count = |txn: &Transaction, table: &Table, index, key: &IndexKey| {
            let mut found = Vec::new();
            txn.index_lookup(table, index, key, &mut Vec::new(), |id, _| {
                found.push(id);
                true
            })
            .unwrap();
            found.len()
        };
        let reader = store.begin().unwrap();
        for id in 0..20 {
            let new_n = IndexKey::Int(100 + id);
            assert_eq!(count(&reader, &narrow, &by_n, &new_n), 1, "row {id}");
            assert_eq!(count(&before, &narrow, &by_n, &IndexKey::Int(id)), 1);
            let name = |s: String| IndexKey::from_values([&Value::Text(s)]).unwrap();
            assert_eq!(count(&reader, &wide, &by_name, &name(format!("m{id}"))), 1);
            assert_eq!(count(&before, &wide, &by_name, &name(format!("n{id}"))), 1);
            let pair = [text(format!("p{id}")), Value::Real(1.5)];
            let pair = IndexKey::from_values(pair.iter()).unwrap();
            assert_eq!(count(&reader, &wide, &by_pair, &pair), 1, "row {id}");
        }
        drop(before);
        drop(reader);
        for table in [&narrow, &wide] {
            table.collect_garbage(store.watermark());
            assert_eq!(table.sweep_index_entries(), 0, "nothing stale is left");
        }
        assert_eq!(by_n.entries(), 20);
        assert_eq!(by_name.entries(), 20);
        assert_eq!(by_pair.entries(), 20);
    }

    /// An index created over a chain whose link is tagged `SAME_INDEX_KEYS` keys both
    /// versions by a column the update changed: the population clears the tag, so the
    /// collection removes the old version's entry. Fails if the tag survives the population
    /// (the sweep then finds the old key's entry).
    #[test]
    fn an_index_created_over_a_same_key_link_leaves_nothing_stale() {
        let (store, table) = setup();
        let row = store
            .begin()
            .unwrap()
            .find_key(&table, &crate::index::IndexKey::Int(1))
            .unwrap();
        let holder = store.begin().unwrap();
        let mut txn = store.begin().unwrap();
        txn.update_columns(&table, row, &[(2, Value::Real(7.0))])
            .unwrap();
        txn.commit().unwrap();
        let index = table.create_index("by_real", vec![2], false).unwrap();
        assert_eq!(
            index.entries(),
            5,
            "both versions of row 1 and three other rows"
        );
        drop(holder);
        table.collect_garbage(store.watermark());
        assert_eq!(
            table.sweep_index_entries(),
            0,
            "the old 0.5 entry went with its version"
        );
        assert_eq!(index.entries(), 4);
    }
}
