//! Tests of tables clustered on an integer key (`clustered.rs`): keys address their own
//! slots with no hash entry, far and negative keys go to the overflow, a key keeps one home
//! while any snapshot may read it, and racing writers, readers and the collector agree on
//! one row per key.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use crate::error::StorageErrorKind;
use crate::index::IndexKey;
use crate::mvcc::clustered::OVERFLOW_BASE;
use crate::mvcc::{Table, TableSchema, Transaction};
use crate::store::Store;
use crate::value::{DataType, Value};

/// A table of two INTEGER columns keyed by the first: clustered (shared with
/// `slot_release_tests.rs`).
pub(super) fn clustered_table(store: &Store) -> Arc<Table> {
    let table = store.create_table(TableSchema {
        types: vec![DataType::Integer, DataType::Integer],
        key_columns: vec![0],
        added: Vec::new(),
    });
    assert!(table.is_clustered());
    table
}

fn insert_keys(store: &Store, table: &Arc<Table>, keys: impl IntoIterator<Item = i64>) -> Vec<u64> {
    let mut txn = store.begin().unwrap();
    let rows = keys
        .into_iter()
        .map(|key| {
            txn.insert(
                table,
                &[Value::Integer(key), Value::Integer(key.wrapping_mul(10))],
            )
            .unwrap()
        })
        .collect();
    txn.commit().unwrap();
    rows
}

fn delete_keys(store: &Store, table: &Arc<Table>, keys: impl IntoIterator<Item = i64>) {
    let mut txn = store.begin().unwrap();
    for key in keys {
        let row = txn.find_key(table, &IndexKey::Int(key)).unwrap();
        txn.delete(table, row).unwrap();
    }
    txn.commit().unwrap();
}

/// The value the reader sees under `key`, checked to be that key's row.
fn read(txn: &Transaction, table: &Table, key: i64) -> Option<i64> {
    let mut out = Vec::new();
    txn.read_key(table, &IndexKey::Int(key), &mut out)
        .unwrap()?;
    assert_eq!(out[0], Value::Integer(key), "probe of {key} read {out:?}");
    match out[1] {
        Value::Integer(value) => Some(value),
        _ => None,
    }
}

/// Every (key, value) the reader sees, in scan order (shared with `slot_release_tests.rs`).
pub(super) fn scan(txn: &Transaction, table: &Table) -> Vec<(i64, i64)> {
    let mut rows = Vec::new();
    let mut buffer = Vec::new();
    let mut from = 0;
    while let Some(batch) = table.next_scan_batch(from, 1000) {
        from = txn
            .scan_batch(table, batch, &mut buffer, |_, values| {
                match (&values[0], &values[1]) {
                    (Value::Integer(key), Value::Integer(value)) => rows.push((*key, *value)),
                    other => panic!("row {other:?}"),
                }
                true
            })
            .unwrap();
    }
    rows
}

fn collect(store: &Store, table: &Table) {
    table.collect_garbage(store.watermark());
    store.pool().drain_deferred_frees();
}

#[test]
fn dense_keys_are_their_own_row_ids_with_no_hash_entries() {
    let store = Store::new();
    let table = clustered_table(&store);
    let before = store.memory().stats().index_bytes;
    // Out of order, within the reach of the rows so far (each run of 4,000 keys shuffled).
    let keys: Vec<i64> = (0..20_000)
        .map(|i| i / 4000 * 4000 + (i % 4000 * 1999) % 4000)
        .collect();
    let rows = insert_keys(&store, &table, keys.iter().copied());
    for (key, row) in keys.iter().zip(&rows) {
        assert_eq!(*row, *key as u64);
    }
    assert_eq!(table.primary().unwrap().len(), 0, "no hash entries");
    assert_eq!(
        store.memory().stats().index_bytes,
        before,
        "no index growth"
    );
    let reader = store.begin().unwrap();
    assert_eq!(read(&reader, &table, 12_345), Some(123_450));
    assert_eq!(read(&reader, &table, 20_000), None);
    assert_eq!(read(&reader, &table, -1), None);
    // A scan comes in key order.
    let scanned = scan(&reader, &table);
    assert_eq!(
        scanned,
        (0..20_000).map(|k| (k, k * 10)).collect::<Vec<_>>()
    );
    assert_eq!(table.max_integer_key(), Some(19_999));
}

#[test]
fn a_load_in_random_key_order_keeps_most_rows_direct() {
    let store = Store::new();
    let table = clustered_table(&store);
    let keys: Vec<i64> = (0..100_000).map(|i| (i * 7919) % 100_000).collect();
    let rows = insert_keys(&store, &table, keys.iter().copied());
    let overflow = rows.iter().filter(|row| **row >= OVERFLOW_BASE).count();
    assert!(overflow < 100_000 / 6, "{overflow} rows in the overflow");
    assert_eq!(table.primary().unwrap().len(), overflow);
    let reader = store.begin().unwrap();
    for key in (0..100_000).step_by(97) {
        assert_eq!(read(&reader, &table, key), Some(key * 10), "key {key}");
    }
    let mut scanned: Vec<i64> = scan(&reader, &table).into_iter().map(|(k, _)| k).collect();
    scanned.sort_unstable();
    assert_eq!(scanned, (0..100_000).collect::<Vec<_>>());
}

#[test]
fn negative_and_far_keys_go_to_the_overflow_and_read_back() {
    let store = Store::new();
    let table = clustered_table(&store);
    let keys = [5, -3, i64::MIN, i64::MAX, 1 << 40, 1_000_000, 6, 4096 * 8];
    let rows = insert_keys(&store, &table, keys);
    assert_eq!(rows[0], 5);
    assert_eq!(rows[6], 6);
    for (key, row) in keys.iter().zip(&rows) {
        let direct = (0..4096).contains(key);
        assert_eq!(*row < OVERFLOW_BASE, direct, "key {key} row {row}");
    }
    assert_eq!(table.primary().unwrap().len(), 6);
    let reader = store.begin().unwrap();
    for key in keys {
        assert_eq!(
            read(&reader, &table, key),
            Some(key.wrapping_mul(10)),
            "key {key}"
        );
    }
    let mut scanned: Vec<i64> = scan(&reader, &table).into_iter().map(|(k, _)| k).collect();
    // Direct rows first, in key order; then the overflow.
    assert_eq!(&scanned[..2], &[5, 6]);
    scanned.sort_unstable();
    let mut expected = keys.to_vec();
    expected.sort_unstable();
    assert_eq!(scanned, expected);
    assert_eq!(table.max_integer_key(), Some(i64::MAX));
    // A duplicate of either kind is refused.
    let mut txn = store.begin().unwrap();
    for key in [5, -3, 1 << 40] {
        let error = txn
            .insert(&table, &[Value::Integer(key), Value::Integer(0)])
            .unwrap_err();
        assert_eq!(error.kind, StorageErrorKind::UniqueViolation, "key {key}");
    }
}

#[test]
fn the_reach_of_direct_keys_grows_with_the_rows() {
    let store = Store::new();
    let table = clustered_table(&store);
    // Far at first: overflow.
    let far = insert_keys(&store, &table, [30_000]);
    assert!(far[0] >= OVERFLOW_BASE);
    // Enough rows bring it into reach: new keys there are direct.
    insert_keys(&store, &table, 0..10_000);
    let near = insert_keys(&store, &table, [30_001]);
    assert_eq!(near[0], 30_001);
    // The old far key keeps its overflow home, and one row.
    let reader = store.begin().unwrap();
    assert_eq!(read(&reader, &table, 30_000), Some(300_000));
    assert_eq!(
        table.lookup_key(&IndexKey::Int(30_000)),
        Some(far[0]),
        "still at home in the overflow"
    );
    drop(reader);
    // Deleted while an older snapshot reads it, inserted again: it goes onto the same
    // overflow home (one home per key), not into its direct slot.
    let old = store.begin().unwrap();
    delete_keys(&store, &table, [30_000]);
    collect(&store, &table);
    let again = insert_keys(&store, &table, [30_000]);
    assert_eq!(again, far);
    assert_eq!(read(&old, &table, 30_000), Some(300_000));
    drop(old);
    // Once nothing reads the old rows and the key is deleted again, the collector gives the
    // overflow home back; the next insert of the key makes its direct home.
    delete_keys(&store, &table, [30_000]);
    collect(&store, &table);
    assert_eq!(table.lookup_key(&IndexKey::Int(30_000)), None);
    assert_eq!(table.primary().unwrap().len(), 0);
    let direct = insert_keys(&store, &table, [30_000]);
    assert_eq!(direct, vec![30_000]);
    let reader = store.begin().unwrap();
    assert_eq!(read(&reader, &table, 30_000), Some(300_000));
    assert_eq!(scan(&reader, &table).len(), 10_002);
}

#[test]
fn a_collected_direct_key_comes_back_into_its_own_slot() {
    let store = Store::new();
    let table = clustered_table(&store);
    insert_keys(&store, &table, 0..100);
    let old = store.begin().unwrap();
    delete_keys(&store, &table, 0..50);
    collect(&store, &table);
    // The old snapshot still reads the deleted rows.
    assert_eq!(read(&old, &table, 7), Some(70));
    drop(old);
    collect(&store, &table);
    let reader = store.begin().unwrap();
    assert_eq!(read(&reader, &table, 7), None);
    assert_eq!(
        table.lookup_key(&IndexKey::Int(7)),
        None,
        "the head is empty"
    );
    assert_eq!(scan(&reader, &table).len(), 50);
    drop(reader);
    assert_eq!(insert_keys(&store, &table, [7]), vec![7]);
    let stats = table.stats(&store.begin().unwrap().snapshot());
    assert_eq!(stats.live_rows, 51);
}

#[test]
fn a_key_changed_by_update_moves_between_homes() {
    let store = Store::new();
    let table = clustered_table(&store);
    insert_keys(&store, &table, 0..10);
    let mut txn = store.begin().unwrap();
    let row = txn.find_key(&table, &IndexKey::Int(3)).unwrap();
    let moved = txn
        .update(&table, row, &[Value::Integer(-3), Value::Integer(1)])
        .unwrap();
    assert!(moved >= OVERFLOW_BASE);
    let back = txn
        .update(&table, moved, &[Value::Integer(3), Value::Integer(2)])
        .unwrap();
    // The key's direct slot still holds its deleted version (this transaction's), so the
    // row goes back onto it.
    assert_eq!(back, 3);
    txn.commit().unwrap();
    let reader = store.begin().unwrap();
    assert_eq!(read(&reader, &table, 3), Some(2));
    assert_eq!(read(&reader, &table, -3), None);
    assert_eq!(scan(&reader, &table).len(), 10);
}

/// Writers insert and delete keys in a small range (direct) and far away (overflow), each
/// key owned by one writer so the model is exact, while readers check that no snapshot ever
/// sees two rows of one key and the collector runs; at the end every key reads as its
/// owner's model says, through lookups and scans.
#[test]
fn racing_writers_readers_and_the_collector_keep_one_row_per_key() {
    const WRITERS: i64 = 4;
    const KEYS: i64 = 300;
    const ROUNDS: usize = 3_000;
    let store = Arc::new(Store::new());
    let table = clustered_table(&store);
    let done = Arc::new(AtomicBool::new(false));
    let checks = Arc::new(AtomicU64::new(0));
    // Key `k` of writer `w`: direct keys w*KEYS + k, and far ones (overflow at first).
    let key_of = |writer: i64, k: i64| {
        if k % 3 == 0 {
            1_000_000 + writer * KEYS + k
        } else {
            writer * KEYS + k
        }
    };
    let writers: Vec<_> = (0..WRITERS)
        .map(|writer| {
            let store = Arc::clone(&store);
            let table = Arc::clone(&table);
            let checks = Arc::clone(&checks);
            std::thread::spawn(move || {
                let mut live = vec![false; KEYS as usize];
                let mut seed = 0x9E37_79B9u64.wrapping_mul(writer as u64 + 1);
                for round in 0..ROUNDS {
                    // Halfway, wait for a reader's check to end, so some check runs while
                    // the writers write (on a loaded machine the readers may start late).
                    while round == ROUNDS / 2 && checks.load(Ordering::Relaxed) == 0 {
                        std::thread::yield_now();
                    }
                    seed ^= seed << 13;
                    seed ^= seed >> 7;
                    seed ^= seed << 17;
                    let k = (seed % KEYS as u64) as i64;
                    let key = key_of(writer, k);
                    let mut txn = store.begin().unwrap();
                    if live[k as usize] {
                        let row = txn.find_key(&table, &IndexKey::Int(key)).unwrap();
                        txn.delete(&table, row).unwrap();
                    } else {
                        let value = Value::Integer(round as i64);
                        txn.insert(&table, &[Value::Integer(key), value]).unwrap();
                    }
                    txn.commit().unwrap();
                    live[k as usize] = !live[k as usize];
                }
                live
            })
        })
        .collect();
    let readers: Vec<_> = (0..2)
        .map(|_| {
            let store = Arc::clone(&store);
            let table = Arc::clone(&table);
            let done = Arc::clone(&done);
            let checks = Arc::clone(&checks);
            std::thread::spawn(move || {
                while !done.load(Ordering::Relaxed) {
                    let reader = store.begin().unwrap();
                    let mut keys: Vec<i64> =
                        scan(&reader, &table).into_iter().map(|(k, _)| k).collect();
                    let scanned = keys.len();
                    keys.sort_unstable();
                    keys.dedup();
                    assert_eq!(keys.len(), scanned, "a key seen twice by one snapshot");
                    for key in keys.iter().step_by(7) {
                        assert!(
                            read(&reader, &table, *key).is_some(),
                            "scanned {key}, lookup missed"
                        );
                    }
                    checks.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    let collector = {
        let store = Arc::clone(&store);
        let table = Arc::clone(&table);
        let done = Arc::clone(&done);
        std::thread::spawn(move || {
            while !done.load(Ordering::Relaxed) {
                collect(&store, &table);
                std::thread::yield_now();
            }
        })
    };
    let models: Vec<Vec<bool>> = writers.into_iter().map(|w| w.join().unwrap()).collect();
    done.store(true, Ordering::Relaxed);
    for reader in readers {
        reader.join().unwrap();
    }
    collector.join().unwrap();
    assert!(checks.load(Ordering::Relaxed) > 0);
    collect(&store, &table);
    let reader = store.begin().unwrap();
    let mut expected = Vec::new();
    for (writer, live) in models.iter().enumerate() {
        for k in 0..KEYS {
            let key = key_of(writer as i64, k);
            assert_eq!(
                read(&reader, &table, key).is_some(),
                live[k as usize],
                "key {key}"
            );
            if live[k as usize] {
                expected.push(key);
            }
        }
    }
    let mut scanned: Vec<i64> = scan(&reader, &table).into_iter().map(|(k, _)| k).collect();
    scanned.sort_unstable();
    expected.sort_unstable();
    assert_eq!(scanned, expected);
}
