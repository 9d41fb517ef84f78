//! Tests of the release of a clustered table's emptied slots (`slot_release.rs`): writers
//! making and emptying homes while collections release empty slots lose no row, and an
//! emptied table hands back every page of its slot chunks but the heap's.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use crate::index::IndexKey;
use crate::mvcc::Table;
use crate::store::Store;
use crate::value::Value;

use super::super::clustered_tests::clustered_table;

/// Keys of the tests: past `RELEASE_SLOTS_MIN` slots.
const KEYS: i64 = 70_000;
/// Keys per write transaction.
const TXN_KEYS: i64 = 2_000;

/// Inserts `keys` (value key * 10), `TXN_KEYS` to a transaction.
fn insert_keys(store: &Store, table: &Arc<Table>, keys: &[i64]) {
    for batch in keys.chunks(TXN_KEYS as usize) {
        let mut txn = store.begin().unwrap();
        for &key in batch {
            let row = [Value::Integer(key), Value::Integer(key * 10)];
            txn.insert(table, &row).unwrap();
        }
        txn.commit().unwrap();
    }
}

/// Deletes `keys`, `TXN_KEYS` to a transaction.
fn delete_keys(store: &Store, table: &Arc<Table>, keys: &[i64]) {
    for batch in keys.chunks(TXN_KEYS as usize) {
        let mut txn = store.begin().unwrap();
        for &key in batch {
            let row = txn
                .find_key(table, &IndexKey::Int(key))
                .expect("key present");
            txn.delete(table, row).unwrap();
        }
        txn.commit().unwrap();
    }
}

/// Every (key, value) a fresh reader sees, in scan order.
fn scan(store: &Store, table: &Table) -> Vec<(i64, i64)> {
    super::super::clustered_tests::scan(&store.begin().unwrap(), table)
}

#[test]
fn writers_racing_releases_of_emptied_slots_lose_no_row() {
    const ROUNDS: usize = 3;
    let store = Arc::new(Store::new());
    let table = clustered_table(&store);
    let writing = Arc::new(AtomicBool::new(true));
    let releases = Arc::new(AtomicU64::new(0));
    // Two writers, each with the keys of one parity: each round inserts them all and,
    // but the last, deletes them all again, so the collector keeps emptying slots next
    // to the ones the other writer fills.
    let writers: Vec<_> = (0..2)
        .map(|parity| {
            let (store, table) = (Arc::clone(&store), Arc::clone(&table));
            std::thread::spawn(move || {
                let keys: Vec<i64> = (0..KEYS).filter(|key| key % 2 == parity).collect();
                for round in 0..ROUNDS {
                    insert_keys(&store, &table, &keys);
                    if round + 1 < ROUNDS {
                        delete_keys(&store, &table, &keys);
                    }
                }
            })
        })
        .collect();
    let collector = {
        let (store, table) = (Arc::clone(&store), Arc::clone(&table));
        let (writing, releases) = (Arc::clone(&writing), Arc::clone(&releases));
        std::thread::spawn(move || {
            let mut last = 0;
            while writing.load(Ordering::Acquire) {
                table.collect_garbage(store.watermark());
                let released = table.slot_array_bytes().1;
                if released != last {
                    releases.fetch_add(1, Ordering::Relaxed);
                    last = released;
                }
                std::thread::yield_now();
            }
        })
    };
    for writer in writers {
        writer.join().unwrap();
    }
    writing.store(false, Ordering::Release);
    collector.join().unwrap();
    let expected: Vec<(i64, i64)> = (0..KEYS).map(|key| (key, key * 10)).collect();
    assert_eq!(scan(&store, &table), expected);
    // The walks ran while the writers wrote (the figure changes between walks).
    assert!(releases.load(Ordering::Relaxed) > 0, "no release ran");
}

#[test]
fn an_emptied_table_hands_back_its_slot_pages_and_takes_rows_again() {
    let store = Store::new();
    let table = clustered_table(&store);
    let keys: Vec<i64> = (0..KEYS).collect();
    insert_keys(&store, &table, &keys);
    let (allocated, released) = table.slot_array_bytes();
    assert!(allocated >= KEYS as u64 * 8);
    assert_eq!(released, 0, "nothing emptied yet");
    // One transaction deletes every row; its commit's collection empties every slot.
    let mut txn = store.begin().unwrap();
    for &key in &keys {
        let row = txn
            .find_key(&table, &IndexKey::Int(key))
            .expect("key present");
        txn.delete(&table, row).unwrap();
    }
    txn.commit().unwrap();
    table.collect_garbage(store.watermark());
    let (after, released) = table.slot_array_bytes();
    assert_eq!(after, allocated, "the chunks stay allocated");
    if cfg!(target_os = "linux") {
        // Every chunk but the first three (7,168 slots, from the heap) goes back whole.
        assert_eq!(released, allocated - 7168 * 8, "{released} of {allocated}");
    }
    assert!(scan(&store, &table).is_empty());
    let again: Vec<i64> = (0..KEYS).step_by(3).collect();
    insert_keys(&store, &table, &again);
    let expected: Vec<(i64, i64)> = again.iter().map(|&key| (key, key * 10)).collect();
    assert_eq!(scan(&store, &table), expected);
}
