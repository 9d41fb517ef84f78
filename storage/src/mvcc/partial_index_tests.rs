//! Tests of partial indexes in storage: a row the membership test refuses has no entry
//! (hash or ordered), on insert, batch insert and index creation; an update moves the row
//! in or out; the collector and the sweep remove the entries of versions that left; a
//! partial ordered index is never settled.

use std::sync::Arc;

use crate::index::{KeyCollation, KeyDerivation, SecondaryIndex};
use crate::store::Store;
use crate::value::{DataType, Value};
use crate::{Table, TableSchema};

use super::indexing::tests::lookup;

/// Column 1 (`k`) of the rows whose column 2 (`live`) is the integer 1.
struct Live;

impl KeyDerivation for Live {
    fn derive(&self, row: &[Value], key: &mut Vec<Value>) -> bool {
        key.clear();
        key.push(row.get(1).cloned().unwrap_or(Value::Null));
        matches!(row.get(2), Some(Value::Integer(1)))
    }

    fn parts(&self) -> usize {
        1
    }

    fn reads(&self) -> &[usize] {
        &[1, 2]
    }
}

/// A table (id, k, live) and a unique ordered index on `k` holding the live rows.
fn partial(store: &Store) -> (Arc<Table>, Arc<SecondaryIndex>) {
    let table = store.create_table(TableSchema {
        types: vec![DataType::Integer, DataType::Integer, DataType::Integer],
        key_columns: vec![],
        added: Vec::new(),
    });
    let keying = (Some(vec![KeyCollation::Binary]), Vec::new());
    let index = table
        .create_derived_index("live_k", vec![1], true, keying, Some(Arc::new(Live)))
        .unwrap();
    (table, index)
}

fn row(id: i64, key: i64, live: i64) -> [Value; 3] {
    [
        Value::Integer(id),
        Value::Integer(key),
        Value::Integer(live),
    ]
}

fn entries(index: &SecondaryIndex) -> (usize, usize) {
    (index.entries(), index.ordered().map_or(0, |o| o.len()))
}

#[test]
fn only_held_rows_have_entries_and_uniqueness_is_among_them() {
    let store = Store::new();
    let (table, index) = partial(&store);
    assert!(index.derives_keys());
    assert_eq!(index.source_columns(), [1, 2]);
    let mut txn = store.begin().unwrap();
    txn.insert(&table, &row(1, 10, 1)).unwrap();
    txn.insert(&table, &row(2, 10, 0)).unwrap();
    txn.insert(&table, &row(3, 10, 0)).unwrap();
    txn.commit().unwrap();
    assert_eq!(entries(&index), (1, 1));
    let mut txn = store.begin().unwrap();
    let error = txn.insert(&table, &row(4, 10, 1)).unwrap_err();
    assert_eq!(error.kind, crate::StorageErrorKind::UniqueViolation);
    txn.rollback();
    let txn = store.begin().unwrap();
    assert_eq!(lookup(&txn, &table, &index, 10), [1]);
    // Never settled: its entries are not one per row.
    assert!(txn
        .settled_entries(&table, index.ordered().unwrap())
        .is_none());
}

#[test]
fn updates_move_rows_in_and_out_and_the_collector_removes_what_left() {
    let store = Store::new();
    let (table, index) = partial(&store);
    let mut txn = store.begin().unwrap();
    let first = txn.insert(&table, &row(1, 10, 1)).unwrap();
    let second = txn.insert(&table, &row(2, 20, 0)).unwrap();
    txn.commit().unwrap();
    // Out: the key stays, the membership goes.
    let mut txn = store.begin().unwrap();
    txn.update_columns(&table, first, &[(2, Value::Integer(0))])
        .unwrap();
    txn.update_columns(&table, second, &[(2, Value::Integer(1))])
        .unwrap();
    txn.commit().unwrap();
    let txn = store.begin().unwrap();
    assert_eq!(lookup(&txn, &table, &index, 10), Vec::<i64>::new());
    assert_eq!(lookup(&txn, &table, &index, 20), [2]);
    drop(txn);
    table.collect_garbage(store.watermark());
    assert_eq!(entries(&index), (1, 1));
    // Key 10 is free for a live row again.
    let mut txn = store.begin().unwrap();
    txn.insert(&table, &row(3, 10, 1)).unwrap();
    txn.commit().unwrap();
    assert_eq!(table.sweep_index_entries(), 0);
    assert_eq!(entries(&index), (2, 2));
}

#[test]
fn an_index_created_over_rows_holds_only_those_it_accepts() {
    let store = Store::new();
    let table = store.create_table(TableSchema {
        types: vec![DataType::Integer, DataType::Integer, DataType::Integer],
        key_columns: vec![],
        added: Vec::new(),
    });
    let mut txn = store.begin().unwrap();
    for id in 0..100 {
        txn.insert(&table, &row(id, id % 7, id % 2)).unwrap();
    }
    txn.commit().unwrap();
    let keying = (Some(vec![KeyCollation::Binary]), Vec::new());
    let index = table
        .create_derived_index("live_k", vec![1], false, keying, Some(Arc::new(Live)))
        .unwrap();
    assert_eq!(entries(&index), (50, 50));
    let txn = store.begin().unwrap();
    assert_eq!(lookup(&txn, &table, &index, 3), [3, 17, 31, 45, 59, 73, 87]);
}
