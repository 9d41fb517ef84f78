//! Tests of settled ordered indexes: when a transaction may count an index range by its
//! entries alone, and that such counts equal the checked walk's under uncommitted writes,
//! deletes and key changes awaiting the collector, old snapshots, own writes, and writers
//! and the collector running beside the readers.

use std::ops::Bound;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use super::super::ordered_read::tests::{indexed, range_ids};
use crate::index::{KeyCollation, SecondaryIndex};
use crate::store::Store;
use crate::value::{DataType, Value};
use crate::{RangeProgress, RangeScratch, Table, TableSchema, Transaction};

fn row(id: i64, key: i64) -> [Value; 2] {
    [Value::Integer(id), Value::Integer(key)]
}

/// A writer thread (`thread` tells its ids apart) of 300 transactions on `(id, key)` rows:
/// each inserts a row keyed `key(round)`, moves every second one to `key(round * 7)`,
/// deletes every third, rolls back every fifth transaction and runs the collector every
/// twentieth (then pauses, so readers may find the index quiet).
pub(in crate::mvcc) fn churning_writer(
    store: &Arc<Store>,
    table: &Arc<Table>,
    thread: i64,
    key: fn(i64) -> i64,
) -> std::thread::JoinHandle<()> {
    let (store, table) = (Arc::clone(store), Arc::clone(table));
    std::thread::spawn(move || {
        for round in 0..300i64 {
            let mut txn = store.begin().unwrap();
            let id = 1_000 + thread * 1_000 + round;
            let slot = txn.insert(&table, &row(id, key(round))).unwrap();
            if round % 2 == 0 {
                let _ = txn.update(&table, slot, &row(id, key(round * 7)));
            }
            if round % 3 == 0 {
                let _ = txn.delete(&table, slot);
            }
            if round % 5 == 0 {
                txn.rollback();
            } else {
                let _ = txn.commit();
            }
            if round % 20 == 0 {
                table.collect_garbage(store.watermark());
                std::thread::sleep(std::time::Duration::from_millis(2));
            }
        }
    })
}

fn bound(index: &SecondaryIndex, key: Option<i64>) -> Bound<Vec<u8>> {
    match key {
        Some(key) => Bound::Included(
            index
                .ordered_key_of(&[Value::Null, Value::Integer(key)])
                .unwrap(),
        ),
        None => Bound::Unbounded,
    }
}

/// `count_index_range` over keys from `low` up to (excluded) `high`, `batch` entries per
/// call.
fn counted(
    txn: &Transaction,
    table: &Arc<Table>,
    index: &SecondaryIndex,
    low: Option<i64>,
    high: Option<i64>,
    batch: usize,
) -> u64 {
    let decoder = table.schema().decoder(None);
    let mut lower = bound(index, low);
    let upper = match bound(index, high) {
        Bound::Included(key) => Bound::Excluded(key),
        other => other,
    };
    let (mut buffer, mut scratch, mut total) = (Vec::new(), RangeScratch::default(), 0);
    loop {
        let (rows, _, progress) = txn
            .count_index_range(
                table,
                index,
                lower.as_ref().map(Vec::as_slice),
                upper.as_ref().map(Vec::as_slice),
                batch,
                &decoder,
                &mut buffer,
                &mut scratch,
            )
            .unwrap();
        total += rows;
        match progress {
            RangeProgress::Done => return total,
            RangeProgress::Stopped => lower = Bound::Included(scratch.resume_after().to_vec()),
        }
    }
}

/// The same count by the checked walk (`index_range` reads and checks every row).
fn checked(
    txn: &Transaction,
    table: &Arc<Table>,
    index: &SecondaryIndex,
    low: Option<i64>,
    high: Option<i64>,
) -> u64 {
    let upper = match bound(index, high) {
        Bound::Included(key) => Bound::Excluded(key),
        other => other,
    };
    range_ids(
        txn,
        table,
        index,
        bound(index, low),
        upper,
        false,
        usize::MAX,
    )
    .len() as u64
}

fn settled(txn: &Transaction, table: &Arc<Table>, index: &SecondaryIndex) -> bool {
    txn.settled_entries(table, index.ordered().unwrap())
        .is_some()
}

/// Asserts the batched count of several ranges equals the checked walk's.
fn counts_agree(txn: &Transaction, table: &Arc<Table>, index: &SecondaryIndex) {
    for (low, high) in [
        (None, None),
        (Some(10), Some(40)),
        (Some(0), Some(1)),
        (Some(95), None),
    ] {
        let expected = checked(txn, table, index, low, high);
        for batch in [1, 7, usize::MAX] {
            assert_eq!(
                counted(txn, table, index, low, high, batch),
                expected,
                "range {low:?}..{high:?}, batch {batch}"
            );
        }
    }
}

/// 100 rows, keys 0..100 (row id = key).
fn loaded(store: &Store) -> (Arc<Table>, Arc<SecondaryIndex>, Vec<u64>) {
    let (table, index) = indexed(store);
    let mut txn = store.begin().unwrap();
    let slots = (0..100)
        .map(|key| txn.insert(&table, &row(key, key)).unwrap())
        .collect();
    txn.commit().unwrap();
    (table, index, slots)
}

#[test]
fn a_quiet_index_is_settled_and_counts_by_its_entries() {
    let store = Store::new();
    let (table, index, _) = loaded(&store);
    let txn = store.begin().unwrap();
    assert!(settled(&txn, &table, &index));
    assert_eq!(
        counted(&txn, &table, &index, Some(10), Some(40), usize::MAX),
        30
    );
    counts_agree(&txn, &table, &index);
}

#[test]
fn uncommitted_entries_unsettle_the_index_for_others() {
    let store = Store::new();
    let (table, index, slots) = loaded(&store);
    let mut writer = store.begin().unwrap();
    writer.insert(&table, &row(500, 20)).unwrap();
    writer.update(&table, slots[30], &row(30, 31)).unwrap();
    let reader = store.begin().unwrap();
    assert!(!settled(&reader, &table, &index), "two uncommitted entries");
    counts_agree(&reader, &table, &index);
    assert_eq!(counted(&reader, &table, &index, Some(20), Some(21), 1), 1);
    writer.rollback();
    let reader = store.begin().unwrap();
    assert!(
        settled(&reader, &table, &index),
        "rollback removed the entries"
    );
    counts_agree(&reader, &table, &index);
}

#[test]
fn deletes_and_key_changes_unsettle_it_until_collected() {
    let store = Store::new();
    let (table, index, slots) = loaded(&store);
    let mut txn = store.begin().unwrap();
    txn.delete(&table, slots[15]).unwrap();
    txn.update(&table, slots[16], &row(16, 99)).unwrap();
    txn.commit().unwrap();
    let reader = store.begin().unwrap();
    assert!(!settled(&reader, &table, &index), "two stale entries");
    assert_eq!(counted(&reader, &table, &index, Some(10), Some(20), 3), 8);
    counts_agree(&reader, &table, &index);
    drop(reader);
    table.collect_garbage(store.watermark());
    let reader = store.begin().unwrap();
    assert!(settled(&reader, &table, &index));
    assert_eq!(counted(&reader, &table, &index, Some(10), Some(20), 3), 8);
    assert_eq!(counted(&reader, &table, &index, Some(99), None, 3), 2);
    counts_agree(&reader, &table, &index);
}

#[test]
fn an_older_snapshot_or_own_writes_are_never_settled() {
    let store = Store::new();
    let (table, index, slots) = loaded(&store);
    let old = store.begin().unwrap();
    let mut txn = store.begin().unwrap();
    txn.insert(&table, &row(200, 50)).unwrap();
    txn.commit().unwrap();
    // The index has one entry per committed row again, but not the rows `old` sees.
    let new = store.begin().unwrap();
    assert!(settled(&new, &table, &index));
    assert!(!settled(&old, &table, &index), "a commit past its snapshot");
    assert_eq!(counted(&old, &table, &index, Some(50), Some(51), 4), 1);
    assert_eq!(counted(&new, &table, &index, Some(50), Some(51), 4), 2);
    counts_agree(&old, &table, &index);
    // A delete changes no entry, yet its transaction sees a row less.
    let mut own = store.begin().unwrap();
    own.delete(&table, slots[60]).unwrap();
    assert!(!settled(&own, &table, &index), "own writes");
    assert_eq!(counted(&own, &table, &index, Some(60), Some(61), 4), 0);
    counts_agree(&own, &table, &index);
}

#[test]
fn an_index_is_settled_only_once_filled() {
    let store = Store::new();
    let table = store.create_table(TableSchema {
        types: vec![DataType::Integer, DataType::Any],
        key_columns: vec![],
        added: Vec::new(),
    });
    let mut txn = store.begin().unwrap();
    for key in 0..10 {
        txn.insert(&table, &row(key, key)).unwrap();
    }
    txn.commit().unwrap();
    let unfilled = crate::index::OrderedEntries::new(vec![KeyCollation::Binary], None);
    assert!(
        unfilled.edits_settled().is_none(),
        "not filled from the table"
    );
    let index = table
        .create_index_with("k", vec![1], false, Some(vec![KeyCollation::Binary]))
        .unwrap();
    let reader = store.begin().unwrap();
    assert!(settled(&reader, &table, &index));
    counts_agree(&reader, &table, &index);
}

/// Writers insert, delete and move keys in bursts and the collector runs, while readers
/// count ranges in one snapshot: entry counts always agree with the checked walk's, and
/// once the writers stop and the collector has run, the index is settled.
#[test]
fn counts_agree_while_writers_and_the_collector_run() {
    let store = Arc::new(Store::new());
    let (table, index, _) = loaded(&store);
    let stop = Arc::new(AtomicBool::new(false));
    let writers: Vec<_> = (0..2i64)
        .map(|thread| churning_writer(&store, &table, thread, |round| round % 100))
        .collect();
    let readers: Vec<_> = (0..2)
        .map(|_| {
            let (store, table, index) =
                (Arc::clone(&store), Arc::clone(&table), Arc::clone(&index));
            let stop = Arc::clone(&stop);
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    let txn = store.begin().unwrap();
                    for (low, high) in [(None, None), (Some(20), Some(60))] {
                        let expected = checked(&txn, &table, &index, low, high);
                        assert_eq!(counted(&txn, &table, &index, low, high, 16), expected);
                    }
                }
            })
        })
        .collect();
    for writer in writers {
        writer.join().unwrap();
    }
    stop.store(true, Ordering::Relaxed);
    for reader in readers {
        reader.join().unwrap();
    }
    table.collect_garbage(store.watermark());
    let txn = store.begin().unwrap();
    assert!(settled(&txn, &table, &index), "quiet and collected");
    counts_agree(&txn, &table, &index);
}

#[test]
fn an_edit_after_the_token_voids_it() {
    let store = Store::new();
    let (table, index, _) = loaded(&store);
    let reader = store.begin().unwrap();
    let ordered = index.ordered().unwrap();
    let token = reader.settled_entries(&table, ordered).unwrap();
    assert!(token.still_settled(ordered));
    let mut writer = store.begin().unwrap();
    writer.insert(&table, &row(300, 5)).unwrap();
    assert!(!token.still_settled(ordered), "an entry was added");
    writer.rollback();
    assert!(
        !token.still_settled(ordered),
        "and removed: still two edits"
    );
}

/// A writer adds an uncommitted entry and rolls it back, over and over, while a reader
/// counts the whole index: a count taken settled must not include the entry the writer
/// added during the walk.
#[test]
fn entries_added_during_a_settled_walk_are_not_counted() {
    const ROWS: i64 = 4_000;
    let store = Arc::new(Store::new());
    let (table, index) = indexed(&store);
    let mut txn = store.begin().unwrap();
    for key in 0..ROWS {
        txn.insert(&table, &row(key, key)).unwrap();
    }
    txn.commit().unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let (store, table, stop) = (Arc::clone(&store), Arc::clone(&table), Arc::clone(&stop));
        std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                let mut txn = store.begin().unwrap();
                txn.insert(&table, &row(ROWS, ROWS / 2)).unwrap();
                txn.rollback();
                // Settled for a while: readers take their token now.
                for _ in 0..2_000 {
                    std::hint::spin_loop();
                }
            }
        })
    };
    let (mut settled_walks, start) = (0, std::time::Instant::now());
    while settled_walks < 2_000 && start.elapsed() < std::time::Duration::from_secs(5) {
        let txn = store.begin().unwrap();
        settled_walks += u32::from(settled(&txn, &table, &index));
        let rows = counted(&txn, &table, &index, None, None, usize::MAX);
        assert_eq!(rows, ROWS as u64);
    }
    stop.store(true, Ordering::Relaxed);
    writer.join().unwrap();
}
