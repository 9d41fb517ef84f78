//! Tests of keys and slots given back by the collector (`slot_reuse.rs`): deleted keys leave
//! the primary index and their slots are reused, not while an older snapshot may still see
//! the row, and never so that a probe of one key reads another key's row, on many threads.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use crate::index::IndexKey;
use crate::mvcc::{Table, TableSchema};
use crate::store::Store;
use crate::value::{DataType, Value};

/// A table keyed on an untyped column: not clustered, so every key has a hash entry and a
/// slot handed out from the free list (a clustered table's overflow keys work the same way,
/// `clustered_tests.rs`).
fn keyed_table(store: &Store) -> Arc<Table> {
    store.create_table(TableSchema {
        types: vec![DataType::Any, DataType::Integer],
        key_columns: vec![0],
        added: Vec::new(),
    })
}

fn insert(store: &Store, table: &Arc<Table>, keys: std::ops::Range<i64>) {
    let mut txn = store.begin().unwrap();
    for key in keys {
        txn.insert(table, &[Value::Integer(key), Value::Integer(key * 10)])
            .unwrap();
    }
    txn.commit().unwrap();
}

fn delete(store: &Store, table: &Arc<Table>, keys: std::ops::Range<i64>) {
    let mut txn = store.begin().unwrap();
    for key in keys {
        let row = txn.find_key(table, &IndexKey::Int(key)).unwrap();
        txn.delete(table, row).unwrap();
    }
    txn.commit().unwrap();
}

/// The (key, value) the reader sees under `key`, checked to be that key's row.
fn read(txn: &crate::mvcc::Transaction, table: &Table, key: i64) -> Option<i64> {
    let mut out = Vec::new();
    txn.read_key(table, &IndexKey::Int(key), &mut out)
        .unwrap()?;
    assert_eq!(out[0], Value::Integer(key), "probe of {key} read {out:?}");
    match out[1] {
        Value::Integer(value) => Some(value),
        _ => None,
    }
}

fn collect(store: &Store, table: &Table) {
    table.collect_garbage(store.watermark());
    store.pool().drain_deferred_frees();
}

#[test]
fn deleted_keys_leave_the_index_and_their_slots_are_reused() {
    let store = Store::new();
    let table = keyed_table(&store);
    insert(&store, &table, 0..10_000);
    let full_index = store.memory().stats().index_bytes;
    delete(&store, &table, 0..10_000);
    collect(&store, &table);
    let primary = table.primary().unwrap();
    assert_eq!(primary.len(), 0);
    assert_eq!(table.reusable.len(), 10_000);
    assert!(
        store.memory().stats().index_bytes * 8 < full_index,
        "index memory given back"
    );
    // New keys take the old slots: the slot array does not grow.
    insert(&store, &table, 20_000..30_000);
    assert_eq!(table.slots_in_use(), 10_000);
    assert_eq!(table.reusable.len(), 0);
    let reader = store.begin().unwrap();
    assert_eq!(read(&reader, &table, 5), None);
    assert_eq!(read(&reader, &table, 20_005), Some(200_050));
    assert_eq!(table.stats(&reader.snapshot()).live_rows, 10_000);
}

#[test]
fn an_older_snapshot_keeps_a_deleted_key_until_it_ends() {
    let store = Store::new();
    let table = keyed_table(&store);
    insert(&store, &table, 0..100);
    let old = store.begin().unwrap();
    delete(&store, &table, 0..100);
    collect(&store, &table);
    assert_eq!(
        table.primary().unwrap().len(),
        100,
        "the old snapshot still reads them"
    );
    assert_eq!(read(&old, &table, 7), Some(70));
    // The key comes back onto its own slot while it is still held.
    insert(&store, &table, 7..8);
    assert_eq!(table.slots_in_use(), 100);
    drop(old);
    collect(&store, &table);
    assert_eq!(table.primary().unwrap().len(), 1);
    assert_eq!(table.reusable.len(), 99);
    let reader = store.begin().unwrap();
    assert_eq!(read(&reader, &table, 7), Some(70));
    assert_eq!(read(&reader, &table, 8), None);
}

#[test]
fn a_rolled_back_reinsert_leaves_the_key_to_be_given_back() {
    let store = Store::new();
    let table = keyed_table(&store);
    insert(&store, &table, 0..10);
    delete(&store, &table, 0..10);
    let mut txn = store.begin().unwrap();
    txn.insert(&table, &[Value::Integer(3), Value::Integer(1)])
        .unwrap();
    txn.rollback();
    collect(&store, &table);
    assert_eq!(table.primary().unwrap().len(), 0);
    assert_eq!(table.reusable.len(), 10);
}

/// Writers insert and delete their own keys (so each knows exactly what must be there),
/// probes of other keys run beside them, and the collector gives keys and slots back all
/// along: every probe reads its own key's row, every writer's model holds at the end, and
/// the slot array stays near the live rows instead of growing by every insert.
#[test]
fn keys_come_and_go_on_many_threads_while_slots_are_reused() {
    const WRITERS: i64 = 4;
    const KEYS: i64 = 300;
    const ROUNDS: usize = 10_000;
    let store = Store::new();
    let table = keyed_table(&store);
    let stop = Arc::new(AtomicBool::new(false));
    let mut writers = Vec::new();
    for writer in 0..WRITERS {
        let (store, table) = (store.clone(), Arc::clone(&table));
        writers.push(std::thread::spawn(move || {
            let mut rng = fastrand::Rng::with_seed(writer as u64);
            let mut present = vec![false; KEYS as usize];
            let mut inserts = 0u64;
            for round in 0..ROUNDS {
                let index = rng.usize(0..KEYS as usize);
                let key = writer * KEYS + index as i64;
                let mut txn = store.begin().unwrap();
                if present[index] {
                    let row = txn.find_key(&table, &IndexKey::Int(key)).unwrap();
                    txn.delete(&table, row).unwrap();
                } else {
                    let value = [Value::Integer(key), Value::Integer(round as i64)];
                    match txn.insert(&table, &value) {
                        Ok(_) => inserts += 1,
                        Err(error) => panic!("insert of {key}: {error:?}"),
                    }
                }
                txn.commit().unwrap();
                present[index] = !present[index];
            }
            (present, inserts)
        }));
    }
    let collector = {
        let (store, table, stop) = (store.clone(), Arc::clone(&table), Arc::clone(&stop));
        std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                table.collect_garbage(store.watermark());
                std::thread::yield_now();
            }
        })
    };
    let prober = {
        let (store, table, stop) = (store.clone(), Arc::clone(&table), Arc::clone(&stop));
        std::thread::spawn(move || {
            let mut rng = fastrand::Rng::with_seed(99);
            let mut probes = 0u64;
            while !stop.load(Ordering::Relaxed) {
                let reader = store.begin().unwrap();
                for _ in 0..64 {
                    read(&reader, &table, rng.i64(0..WRITERS * KEYS));
                    probes += 1;
                }
            }
            probes
        })
    };
    let mut expected = Vec::new();
    let mut inserts = 0;
    for writer in writers {
        let (present, writer_inserts) = writer.join().unwrap();
        expected.push(present);
        inserts += writer_inserts;
    }
    stop.store(true, Ordering::Relaxed);
    collector.join().unwrap();
    assert!(prober.join().unwrap() > 0);
    collect(&store, &table);
    let reader = store.begin().unwrap();
    let mut live = 0;
    for (writer, present) in expected.iter().enumerate() {
        for (index, &there) in present.iter().enumerate() {
            let key = writer as i64 * KEYS + index as i64;
            assert_eq!(read(&reader, &table, key).is_some(), there, "key {key}");
            live += u64::from(there);
        }
    }
    let stats = table.stats(&reader.snapshot());
    assert_eq!(stats.live_rows, live);
    assert_eq!(table.primary().unwrap().len() as u64, live);
    assert!(
        table.slots_in_use() <= (WRITERS * KEYS) as u64 * 2 && table.slots_in_use() < inserts,
        "{} slots for {inserts} inserts of {} keys",
        table.slots_in_use(),
        WRITERS * KEYS
    );
}

/// Every version reachable from the table's slots, each checked to be reachable from one
/// slot only (a version in two chains would be freed twice).
fn assert_chains_are_disjoint(table: &Table) {
    let guard = crossbeam_epoch::pin();
    let mut seen = std::collections::HashMap::new();
    for row in table.row_ranges().into_iter().flatten() {
        let Some(slot) = table.slot(row) else {
            continue;
        };
        let mut current = slot.head.load(Ordering::Acquire, &guard).version();
        while let Some(version) = current.filter(|version| !version.is_null()) {
            if let Some(other) = seen.insert(version.as_raw() as usize, row) {
                panic!("a version is in the chains of rows {other} and {row}");
            }
            // SAFETY: `guard` is pinned; versions reachable from a slot are alive.
            current = Some(
                unsafe { version.deref() }
                    .older
                    .load(Ordering::Acquire, &guard),
            );
        }
    }
}

/// Inserts of a few keys race the collector retiring those keys' slots: an insert whose push
/// onto the old slot fails because the collector retired it goes on to a fresh slot, and
/// must take nothing of the old slot's chain along (it once kept its link to the retired
/// chain, which the collector then freed a second time from the new slot). Every key ends
/// in one slot, every chain is its own, and rows read back their own keys.
#[test]
fn inserts_racing_the_retirement_of_their_keys_slots_share_no_chain() {
    const THREADS: i64 = 4;
    const KEYS: i64 = 4;
    const ROUNDS: i64 = 20_000;
    let store = Store::new();
    let table = keyed_table(&store);
    let stop = Arc::new(AtomicBool::new(false));
    let collector = {
        let (store, table, stop) = (store.clone(), Arc::clone(&table), Arc::clone(&stop));
        std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                table.collect_garbage(store.watermark());
            }
        })
    };
    let writers: Vec<_> = (0..THREADS)
        .map(|thread| {
            let (store, table) = (store.clone(), Arc::clone(&table));
            std::thread::spawn(move || {
                for round in 0..ROUNDS {
                    let key = (round + thread) % KEYS;
                    let mut txn = store.begin().unwrap();
                    let row = [Value::Integer(key), Value::Integer(key * 10)];
                    // Another thread may hold or have the key: both are expected here.
                    if txn.insert(&table, &row).is_ok() {
                        txn.commit().unwrap();
                    }
                    let mut txn = store.begin().unwrap();
                    if let Some(row) = txn.find_key(&table, &IndexKey::Int(key)) {
                        if txn.delete(&table, row).is_ok() {
                            txn.commit().unwrap();
                        }
                    }
                }
            })
        })
        .collect();
    for writer in writers {
        writer.join().unwrap();
    }
    stop.store(true, Ordering::Relaxed);
    collector.join().unwrap();
    assert_chains_are_disjoint(&table);
    collect(&store, &table);
    assert_chains_are_disjoint(&table);
    let reader = store.begin().unwrap();
    let live = (0..KEYS)
        .filter(|&key| read(&reader, &table, key) == Some(key * 10))
        .count();
    assert_eq!(table.stats(&reader.snapshot()).live_rows, live as u64);
    assert_eq!(
        table.primary().unwrap().len(),
        live,
        "one entry per live key"
    );
}
