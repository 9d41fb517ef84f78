//! Tests of indexes whose keys a derivation computes from the row (an index on
//! expressions): entries are made under the derived key on insert and index creation,
//! uniqueness holds among derived keys, an update that changes the derived key moves the
//! row's entries, the collector and the sweep remove exactly the entries of versions that
//! left, and such an index is never settled.

use std::sync::Arc;

use crate::error::StorageErrorKind;
use crate::index::{KeyCollation, KeyDerivation, SecondaryIndex};
use crate::store::Store;
use crate::value::{DataType, Value};
use crate::{Table, TableSchema};

use super::indexing::tests::lookup;

/// The key `k / 10` of column 1 (`k`), for every row (NULL for a NULL `k`).
struct Tens;

impl KeyDerivation for Tens {
    fn derive(&self, row: &[Value], key: &mut Vec<Value>) -> bool {
        key.clear();
        key.push(match row.get(1) {
            Some(Value::Integer(k)) => Value::Integer(k / 10),
            _ => Value::Null,
        });
        true
    }

    fn parts(&self) -> usize {
        1
    }

    fn reads(&self) -> &[usize] {
        &[1]
    }
}

fn table(store: &Store) -> Arc<Table> {
    store.create_table(TableSchema {
        types: vec![DataType::Integer, DataType::Integer],
        key_columns: vec![],
        added: Vec::new(),
    })
}

/// An ordered index on `k / 10`.
fn tens(table: &Table, unique: bool) -> Arc<SecondaryIndex> {
    let keying = (Some(vec![KeyCollation::Binary]), Vec::new());
    table
        .create_derived_index("tens", vec![], unique, keying, Some(Arc::new(Tens)))
        .unwrap()
}

fn row(id: i64, k: i64) -> [Value; 2] {
    [Value::Integer(id), Value::Integer(k)]
}

fn entries(index: &SecondaryIndex) -> (usize, usize) {
    (index.entries(), index.ordered().map_or(0, |o| o.len()))
}

#[test]
fn rows_are_found_under_their_derived_key_and_unique_among_derived_keys() {
    let store = Store::new();
    let table = table(&store);
    let index = tens(&table, true);
    assert!(index.derives_keys());
    assert_eq!(index.columns(), [0]);
    assert_eq!(index.source_columns(), [1]);
    let mut txn = store.begin().unwrap();
    txn.insert(&table, &row(1, 11)).unwrap();
    txn.insert(&table, &row(2, 25)).unwrap();
    txn.commit().unwrap();
    let mut txn = store.begin().unwrap();
    // 15 / 10 is 1, the key of 11.
    let error = txn.insert(&table, &row(3, 15)).unwrap_err();
    assert_eq!(error.kind, StorageErrorKind::UniqueViolation);
    txn.rollback();
    let txn = store.begin().unwrap();
    assert_eq!(lookup(&txn, &table, &index, 1), [1]);
    assert_eq!(lookup(&txn, &table, &index, 2), [2]);
    assert_eq!(lookup(&txn, &table, &index, 11), Vec::<i64>::new());
    // Never settled: the entries' keys are not the row's column values.
    assert!(txn
        .settled_entries(&table, index.ordered().unwrap())
        .is_none());
    let ordered = index.ordered_key_of(&row(9, 19)).unwrap();
    assert_eq!(ordered, index.ordered_key_of(&row(8, 10)).unwrap());
}

#[test]
fn an_update_moves_the_derived_key_and_the_collector_removes_what_left() {
    let store = Store::new();
    let table = table(&store);
    let index = tens(&table, false);
    let mut txn = store.begin().unwrap();
    let first = txn.insert(&table, &row(1, 11)).unwrap();
    let second = txn.insert(&table, &row(2, 12)).unwrap();
    txn.commit().unwrap();
    let mut txn = store.begin().unwrap();
    // 11 -> 35 moves the key; 12 -> 13 keeps it.
    txn.update_columns(&table, first, &[(1, Value::Integer(35))])
        .unwrap();
    txn.update_columns(&table, second, &[(1, Value::Integer(13))])
        .unwrap();
    txn.commit().unwrap();
    let txn = store.begin().unwrap();
    assert_eq!(lookup(&txn, &table, &index, 1), [2]);
    assert_eq!(lookup(&txn, &table, &index, 3), [1]);
    drop(txn);
    table.collect_garbage(store.watermark());
    assert_eq!(entries(&index), (2, 2));
    assert_eq!(table.sweep_index_entries(), 0);
    let txn = store.begin().unwrap();
    assert_eq!(lookup(&txn, &table, &index, 1), [2]);
    assert_eq!(lookup(&txn, &table, &index, 3), [1]);
}

#[test]
fn an_index_created_over_rows_keys_each_by_its_derived_key() {
    let store = Store::new();
    let table = table(&store);
    let mut txn = store.begin().unwrap();
    for id in 0..100 {
        txn.insert(&table, &row(id, id)).unwrap();
    }
    txn.commit().unwrap();
    let index = tens(&table, false);
    assert_eq!(entries(&index), (100, 100));
    let txn = store.begin().unwrap();
    assert_eq!(
        lookup(&txn, &table, &index, 4),
        (40..50).collect::<Vec<_>>()
    );
    drop(txn);
    // Creating a unique one over rows sharing a derived key fails.
    let keying = (Some(vec![KeyCollation::Binary]), Vec::new());
    let error = table
        .create_derived_index("u", vec![], true, keying, Some(Arc::new(Tens)))
        .unwrap_err();
    assert_eq!(error.kind, StorageErrorKind::UniqueViolation);
}
