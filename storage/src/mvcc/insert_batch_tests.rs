//! Tests of `Transaction::insert_batch` at the storage level: the rows and index entries of
//! batches equal those of single inserts; a unique key repeated mid-batch keeps the rows
//! before it and reports the single insert's error; the held ordered entries are merged by
//! `finish` and by drop alike.

use std::sync::Arc;

use crate::error::StorageErrorKind;
use crate::index::{KeyCollation, SecondaryIndex};
use crate::mvcc::{Table, TableSchema};
use crate::store::Store;
use crate::value::{DataType, Value};

/// A keyed table (id, email) with a unique ordered index on `email`.
fn table(store: &Store) -> (Arc<Table>, Arc<SecondaryIndex>) {
    let table = store.create_table(TableSchema {
        types: vec![DataType::Integer, DataType::Text],
        key_columns: vec![0],
        added: Vec::new(),
    });
    let ordering = Some(vec![KeyCollation::Binary]);
    let index = table
        .create_index_with("email", vec![1], true, ordering)
        .unwrap();
    (table, index)
}

/// Rows `ids` flat, each e-mail `e<id * 37 % 1009>` (distinct for ids below 1009).
fn rows(ids: std::ops::Range<i64>) -> Vec<Value> {
    ids.flat_map(|id| {
        [
            Value::Integer(id),
            Value::Text(format!("e{}", id * 37 % 1009)),
        ]
    })
    .collect()
}

/// The ordered entries of `index` as (encoded key, row), in order.
fn ordered_entries(index: &SecondaryIndex) -> Vec<(Vec<u8>, u64)> {
    let mut entries = Vec::new();
    let guard = crossbeam_epoch::pin();
    index
        .ordered()
        .unwrap()
        .for_each_entry(&guard, |key, row| entries.push((key.to_vec(), row)));
    entries
}

#[test]
fn batches_leave_the_rows_and_entries_single_inserts_leave() {
    let (batched, single) = (Store::new(), Store::new());
    let ((table_b, index_b), (table_s, index_s)) = (table(&batched), table(&single));
    let values = rows(1..900);
    let mut txn = batched.begin().unwrap();
    let mut load = txn.insert_batch(&table_b);
    for batch in values.chunks(2 * 128) {
        let mut inserted = 0;
        load.rows((batch, 2), &mut inserted).unwrap();
        assert_eq!(inserted, batch.len() / 2);
    }
    load.finish().unwrap();
    txn.commit().unwrap();
    let mut txn = single.begin().unwrap();
    for row in values.chunks(2) {
        txn.insert(&table_s, row).unwrap();
    }
    txn.commit().unwrap();
    assert_eq!(ordered_entries(&index_b), ordered_entries(&index_s));
    assert_eq!(index_b.entries(), 899);
    let reader = batched.begin().unwrap();
    let mut out = Vec::new();
    for row in values.chunks(2) {
        let key = index_b.key_of(row).unwrap();
        let mut found = Vec::new();
        reader
            .index_lookup(&table_b, &index_b, &key, &mut out, |slot, _| {
                found.push(slot);
                true
            })
            .unwrap();
        assert_eq!(found.len(), 1, "{row:?}");
    }
}

#[test]
fn a_repeated_key_mid_batch_keeps_the_rows_before_it_and_fails_as_alone() {
    let store = Store::new();
    let (table, index) = table(&store);
    let mut values = rows(1..300);
    // Row 200 (of the second batch) repeats row 3's e-mail.
    values[2 * 199 + 1] = values[2 * 2 + 1].clone();
    let mut txn = store.begin().unwrap();
    let mut load = txn.insert_batch(&table);
    let mut inserted = 0;
    load.rows((&values[..2 * 150], 2), &mut inserted).unwrap();
    assert_eq!(inserted, 150);
    let error = load
        .rows((&values[2 * 150..], 2), &mut inserted)
        .unwrap_err();
    assert_eq!(error.kind, StorageErrorKind::UniqueViolation);
    assert_eq!(inserted, 49);
    // Dropped without `finish`: the held entries are merged all the same.
    drop(load);
    assert_eq!(ordered_entries(&index).len(), 199);
    txn.commit().unwrap();
    let reader = store.begin().unwrap();
    let found = |id: i64| reader.find_key(&table, &crate::index::IndexKey::Int(id));
    assert!((1..200).all(|id| found(id).is_some()));
    assert!((200..300).all(|id| found(id).is_none()));
    assert_eq!(index.entries(), 199);
}
