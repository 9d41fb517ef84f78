//! Tests of ordered secondary indexes: range reads under MVCC, maintenance on update,
//! delete, rollback and garbage collection, NULL keys, resumption, concurrent writers.

use std::ops::Bound;
use std::sync::Arc;

use crate::index::{KeyCollation, SecondaryIndex};
use crate::store::Store;
use crate::value::{DataType, Value};
use crate::{RangeProgress, RangeScratch, Table, TableSchema, Transaction};

/// A table (id INTEGER, k ANY) plus an ordered index on `k`.
pub(crate) fn indexed(store: &Store) -> (Arc<Table>, Arc<SecondaryIndex>) {
    let table = store.create_table(TableSchema {
        types: vec![DataType::Integer, DataType::Any],
        key_columns: vec![],
        added: Vec::new(),
    });
    let index = table
        .create_index_with("k_index", vec![1], false, Some(vec![KeyCollation::Binary]))
        .unwrap();
    (table, index)
}

fn row(id: i64, key: Value) -> [Value; 2] {
    [Value::Integer(id), key]
}

fn encode(index: &SecondaryIndex, key: Value) -> Vec<u8> {
    index.ordered_key_of(&[Value::Null, key]).unwrap()
}

/// The ids `txn` reaches in the range, in index order, `batch` entries per call.
pub(crate) fn range_ids(
    txn: &Transaction,
    table: &Table,
    index: &SecondaryIndex,
    lower: Bound<Vec<u8>>,
    upper: Bound<Vec<u8>>,
    reverse: bool,
    batch: usize,
) -> Vec<i64> {
    let decoder = table.schema().decoder(None);
    let (mut lower, mut upper) = (lower, upper);
    let mut ids = Vec::new();
    let mut buffer = Vec::new();
    let mut scratch = RangeScratch::default();
    loop {
        let progress = txn
            .index_range(
                table,
                index,
                lower.as_ref().map(Vec::as_slice),
                upper.as_ref().map(Vec::as_slice),
                reverse,
                batch,
                &decoder,
                &mut buffer,
                &mut scratch,
                |_, values| {
                    if let Value::Integer(id) = values[0] {
                        ids.push(id);
                    }
                    true
                },
            )
            .unwrap();
        match progress {
            RangeProgress::Done => return ids,
            RangeProgress::Stopped => {
                let after = Bound::Excluded(scratch.resume_after().to_vec());
                if reverse {
                    upper = after;
                } else {
                    lower = after;
                }
            }
        }
    }
}

#[test]
fn ranges_follow_snapshots_updates_deletes_and_rollback() {
    let store = Store::new();
    let (table, index) = indexed(&store);
    let mut txn = store.begin().unwrap();
    let mut slots = Vec::new();
    for id in 0..10 {
        slots.push(
            txn.insert(&table, &row(id, Value::Integer(id * 10)))
                .unwrap(),
        );
    }
    txn.insert(&table, &row(10, Value::Null)).unwrap();
    txn.insert(&table, &row(11, Value::Text("a".into())))
        .unwrap();
    txn.commit().unwrap();
    let all = |txn: &Transaction, reverse, batch| {
        range_ids(
            txn,
            &table,
            &index,
            Bound::Unbounded,
            Bound::Unbounded,
            reverse,
            batch,
        )
    };
    let before = store.begin().unwrap();
    assert_eq!(
        all(&before, false, 3),
        vec![10, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 11]
    );
    assert_eq!(
        all(&before, true, 1),
        vec![11, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 10]
    );
    let mut txn = store.begin().unwrap();
    txn.update(&table, slots[2], &row(2, Value::Integer(95)))
        .unwrap();
    txn.delete(&table, slots[5]).unwrap();
    let (low, high) = (
        encode(&index, Value::Integer(20)),
        encode(&index, Value::Integer(100)),
    );
    let ranged = |txn: &Transaction| {
        range_ids(
            txn,
            &table,
            &index,
            Bound::Included(low.clone()),
            Bound::Excluded(high.clone()),
            false,
            2,
        )
    };
    assert_eq!(ranged(&txn), vec![3, 4, 6, 7, 8, 9, 2], "own writes seen");
    assert_eq!(ranged(&before), vec![2, 3, 4, 5, 6, 7, 8, 9]);
    txn.rollback();
    let after = store.begin().unwrap();
    assert_eq!(ranged(&after), vec![2, 3, 4, 5, 6, 7, 8, 9]);
    assert_eq!(
        index.ordered().unwrap().len(),
        12,
        "rolled-back entries removed"
    );
    let mut txn = store.begin().unwrap();
    txn.update(&table, slots[2], &row(2, Value::Integer(95)))
        .unwrap();
    txn.commit().unwrap();
    drop((before, after));
    table.collect_garbage(store.watermark());
    assert_eq!(
        index.ordered().unwrap().len(),
        12,
        "the replaced key's entry collected"
    );
    let reader = store.begin().unwrap();
    assert_eq!(ranged(&reader), vec![3, 4, 5, 6, 7, 8, 9, 2]);
}

#[test]
fn an_index_created_over_rows_holds_every_version_and_sweeps_clean() {
    let store = Store::new();
    let table = store.create_table(TableSchema {
        types: vec![DataType::Integer, DataType::Any],
        key_columns: vec![],
        added: Vec::new(),
    });
    let mut txn = store.begin().unwrap();
    for id in 0..100 {
        txn.insert(&table, &row(id, Value::Integer(100 - id)))
            .unwrap();
    }
    txn.commit().unwrap();
    let index = table
        .create_index_with("k_index", vec![1], false, Some(vec![KeyCollation::Binary]))
        .unwrap();
    let reader = store.begin().unwrap();
    let ids = range_ids(
        &reader,
        &table,
        &index,
        Bound::Unbounded,
        Bound::Unbounded,
        false,
        7,
    );
    assert_eq!(ids, (0..100).rev().collect::<Vec<_>>());
    assert_eq!(table.sweep_index_entries(), 0);
}

#[test]
fn range_readers_see_consistent_rows_while_writers_move_keys() {
    let store = Arc::new(Store::new());
    let (table, index) = indexed(&store);
    let mut txn = store.begin().unwrap();
    let mut slots = Vec::new();
    for id in 0..200 {
        slots.push(txn.insert(&table, &row(id, Value::Integer(id))).unwrap());
    }
    txn.commit().unwrap();
    std::thread::scope(|scope| {
        for writer in 0..2i64 {
            let (store, table, slots) = (&store, &table, &slots);
            scope.spawn(move || {
                for round in 0..300i64 {
                    let id = (round * 7 + writer * 3) % 200;
                    let mut txn = store.begin().unwrap();
                    // Keys move but every row keeps one: the count of rows stays 200.
                    let key = Value::Integer((round * 13 + writer) % 1000);
                    if txn.update(table, slots[id as usize], &row(id, key)).is_ok() {
                        let _ = txn.commit();
                    }
                    if round % 50 == 0 {
                        table.collect_garbage(store.watermark());
                    }
                }
            });
        }
        for _ in 0..2 {
            let (store, table, index) = (&store, &table, &index);
            scope.spawn(move || {
                for _ in 0..50 {
                    let reader = store.begin().unwrap();
                    let mut ids = range_ids(
                        &reader,
                        table,
                        index,
                        Bound::Unbounded,
                        Bound::Unbounded,
                        false,
                        16,
                    );
                    ids.sort();
                    assert_eq!(ids, (0..200).collect::<Vec<_>>(), "each row once");
                }
            });
        }
    });
    table.collect_garbage(store.watermark());
    table.sweep_index_entries();
    assert_eq!(index.ordered().unwrap().len(), 200);
}
