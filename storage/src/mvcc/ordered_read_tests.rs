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

/// Runs `check` on the ordered index of `indexed` through the life of 60 rows whose keys
/// mix every kind (NULL, integers and equal reals, -0.0, texts and blobs of the same bytes,
/// text holding a NUL): committed and settled; beside another transaction's uncommitted
/// key changes, deletes and insert (from a snapshot taken before it, one taken beside it,
/// and the writer's own); after its commit; and after the collector ran.
pub(crate) fn check_through_writes(check: impl Fn(&Transaction, &Arc<Table>, &SecondaryIndex)) {
    let store = Store::new();
    let (table, index) = indexed(&store);
    let mut txn = store.begin().unwrap();
    let mut slots = Vec::new();
    for id in 0..60i64 {
        let key = match id % 10 {
            0 => Value::Null,
            1 => Value::Real(f64::from((id % 4) as i32)),
            2 => Value::Real(-0.0),
            3 => Value::Text(format!("t{}", id % 4)),
            4 => Value::Blob(format!("t{}", id % 4).into_bytes()),
            5 => Value::Text("a\0b".into()),
            6 => Value::Real(1.5),
            _ => Value::Integer(id % 4),
        };
        let slot = txn.insert(&table, &[Value::Integer(id), key]).unwrap();
        assert_eq!(slot, id as u64, "ids are the rows' slots");
        slots.push(slot);
    }
    txn.commit().unwrap();
    let settled = store.begin().unwrap();
    check(&settled, &table, &index);
    // Another transaction's uncommitted writes: entries no other snapshot's rows have.
    let mut writer = store.begin().unwrap();
    for (id, &slot) in slots.iter().enumerate().step_by(3) {
        let key = Value::Integer(id as i64 % 3);
        writer
            .update(&table, slot, &[Value::Integer(id as i64), key])
            .unwrap();
    }
    writer.delete(&table, slots[7]).unwrap();
    writer.delete(&table, slots[11]).unwrap();
    let slot = writer
        .insert(&table, &[Value::Integer(60), Value::Integer(2)])
        .unwrap();
    assert_eq!(slot, 60, "ids are the rows' slots");
    let beside = store.begin().unwrap();
    check(&beside, &table, &index);
    check(&settled, &table, &index);
    check(&writer, &table, &index);
    writer.commit().unwrap();
    let committed = store.begin().unwrap();
    check(&committed, &table, &index);
    check(&settled, &table, &index);
    drop((settled, beside, committed));
    table.collect_garbage(store.watermark());
    let collected = store.begin().unwrap();
    check(&collected, &table, &index);
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
    table: &Arc<Table>,
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
