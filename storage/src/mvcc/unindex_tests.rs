//! Tests of removing the index entries of unlinked versions in batches: bulk and sparse
//! deletes collected, a rollback of many updates, and writers racing the collector, each
//! checked against the exact set of entries the live rows must have.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use crossbeam_epoch as epoch;

use crate::index::{KeyCollation, SecondaryIndex};
use crate::store::Store;
use crate::value::{DataType, Value};
use crate::{Table, TableSchema};

/// A table (id INTEGER, k ANY) without a primary key, with an ordered index on `k` (the
/// index-reset tests use it too).
pub(in crate::mvcc) fn ordered_table(store: &Store) -> (Arc<Table>, Arc<SecondaryIndex>) {
    let table = store.create_table(TableSchema {
        types: vec![DataType::Integer, DataType::Any],
        key_columns: vec![],
        added: Vec::new(),
    });
    let index = table
        .create_index_with("k_order", vec![1], false, Some(vec![KeyCollation::Binary]))
        .unwrap();
    (table, index)
}

pub(in crate::mvcc) fn row(id: i64, key: i64) -> [Value; 2] {
    [Value::Integer(id), Value::Integer(key)]
}

/// The ordered entries of `index`, as (encoded key, row id).
pub(in crate::mvcc) fn ordered_entries(index: &SecondaryIndex) -> BTreeSet<(Vec<u8>, u64)> {
    let mut entries = BTreeSet::new();
    let guard = epoch::pin();
    let ordered = index.ordered().expect("an ordered index");
    ordered.for_each_entry(&guard, |encoded, row| {
        entries.insert((encoded.to_vec(), row));
    });
    entries
}

/// Checks, after a collection with no snapshot held, that the index has exactly one
/// ordered entry per live row (`live`: row id to key) and no stale hash entry.
fn check_exact(store: &Store, table: &Table, index: &SecondaryIndex, live: &[(u64, i64)]) {
    table.collect_garbage(store.watermark());
    let ordered = index.ordered().expect("an ordered index");
    let expected: BTreeSet<(Vec<u8>, u64)> = live
        .iter()
        .map(|&(slot, key)| (ordered.encode(&[1], &row(0, key)), slot))
        .collect();
    assert_eq!(
        ordered_entries(index),
        expected,
        "ordered entries of the live rows"
    );
    assert_eq!(table.sweep_index_entries(), 0, "no stale entry left");
    assert_eq!(index.entries(), live.len(), "one hash entry per live row");
}

#[test]
fn bulk_and_sparse_deletes_leave_exactly_the_live_rows_entries() {
    let store = Store::new();
    let (table, index) = ordered_table(&store);
    let mut txn = store.begin().unwrap();
    let mut live: Vec<(u64, i64)> = (0..3000)
        .map(|i| (txn.insert(&table, &row(i, i % 97)).unwrap(), i % 97))
        .collect();
    txn.commit().unwrap();
    // Most rows go (the tree is rebuilt from the entries left), then a few (a leaf each).
    for keep_one_in in [10, 1] {
        let mut txn = store.begin().unwrap();
        let mut kept = Vec::new();
        for (at, &(slot, key)) in live.iter().enumerate() {
            let goes = if keep_one_in > 1 {
                at % keep_one_in != 0
            } else {
                at % 37 == 5
            };
            if goes {
                txn.delete(&table, slot).unwrap();
            } else {
                kept.push((slot, key));
            }
        }
        txn.commit().unwrap();
        live = kept;
        check_exact(&store, &table, &index, &live);
    }
    // Everything goes.
    let mut txn = store.begin().unwrap();
    for &(slot, _) in &live {
        txn.delete(&table, slot).unwrap();
    }
    txn.commit().unwrap();
    check_exact(&store, &table, &index, &[]);
}

#[test]
fn rollback_of_many_updates_restores_exactly_the_old_entries() {
    let store = Store::new();
    let (table, index) = ordered_table(&store);
    let mut txn = store.begin().unwrap();
    let live: Vec<(u64, i64)> = (0..2000)
        .map(|i| (txn.insert(&table, &row(i, i)).unwrap(), i))
        .collect();
    txn.commit().unwrap();
    let mut txn = store.begin().unwrap();
    let savepoint = txn.savepoint();
    for &(slot, key) in &live {
        txn.update(&table, slot, &row(0, key + 5000)).unwrap();
    }
    // Half of them back to their own key, across a savepoint.
    for &(slot, key) in live.iter().step_by(2) {
        txn.update(&table, slot, &row(0, key)).unwrap();
    }
    txn.rollback_to(savepoint);
    txn.commit().unwrap();
    check_exact(&store, &table, &index, &live);
}

/// Two writers move keys of their own rows (to keys the other's rows also take), delete
/// and insert rows, roll some transactions back, while a third thread collects garbage
/// and a fourth holds snapshots now and then. At the end every live row has its entry
/// and no stale entry is left.
#[test]
fn writers_racing_the_collector_keep_every_live_rows_entry() {
    const ROWS: i64 = 300;
    const ROUNDS: usize = 150;
    let store = Arc::new(Store::new());
    let (table, index) = ordered_table(&store);
    let done = Arc::new(AtomicBool::new(false));
    let collector = {
        let (store, table, done) = (Arc::clone(&store), Arc::clone(&table), Arc::clone(&done));
        std::thread::spawn(move || {
            while !done.load(Ordering::Relaxed) {
                table.collect_garbage(store.watermark());
                std::thread::yield_now();
            }
        })
    };
    let holder = {
        let (store, done) = (Arc::clone(&store), Arc::clone(&done));
        std::thread::spawn(move || {
            while !done.load(Ordering::Relaxed) {
                let snapshot = store.begin().unwrap();
                std::thread::sleep(std::time::Duration::from_micros(200));
                drop(snapshot);
            }
        })
    };
    let writers: Vec<_> = (0..2u64)
        .map(|writer| {
            let (store, table) = (Arc::clone(&store), Arc::clone(&table));
            std::thread::spawn(move || {
                let mut rng = fastrand::Rng::with_seed(writer);
                let mut txn = store.begin().unwrap();
                let mut live: Vec<(u64, i64)> = (0..ROWS)
                    .map(|i| {
                        let key = i % 40;
                        (txn.insert(&table, &row(i, key)).unwrap(), key)
                    })
                    .collect();
                txn.commit().unwrap();
                for _ in 0..ROUNDS {
                    let mut txn = store.begin().unwrap();
                    let mut changed = live.clone();
                    for _ in 0..rng.usize(1..40) {
                        let at = rng.usize(..changed.len());
                        let key = rng.i64(..40);
                        let slot = changed[at].0;
                        if rng.u8(..4) == 0 {
                            txn.delete(&table, slot).unwrap();
                            let slot = txn.insert(&table, &row(0, key)).unwrap();
                            changed[at] = (slot, key);
                        } else {
                            txn.update(&table, slot, &row(0, key)).unwrap();
                            changed[at].1 = key;
                        }
                    }
                    if rng.u8(..5) == 0 {
                        txn.rollback();
                    } else {
                        txn.commit().unwrap();
                        live = changed;
                    }
                }
                live
            })
        })
        .collect();
    let live: Vec<(u64, i64)> = writers
        .into_iter()
        .flat_map(|writer| writer.join().unwrap())
        .collect();
    done.store(true, Ordering::Relaxed);
    collector.join().unwrap();
    holder.join().unwrap();
    check_exact(&store, &table, &index, &live);
}
