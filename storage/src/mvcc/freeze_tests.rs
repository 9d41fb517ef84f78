//! Tests of frozen rows (`head.rs`): when the collector freezes a row and when it must not,
//! reads, updates, deletes and rollbacks of frozen rows under snapshot isolation, the memory
//! a freeze gives back, compaction of frozen payloads, and freezing racing writers, readers
//! and compaction on many threads.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use crossbeam_epoch as epoch;

use crate::error::StorageErrorKind;
use crate::index::IndexKey;
use crate::mvcc::{Table, TableSchema, VERSION_HEADER_BYTES};
use crate::store::Store;
use crate::value::{DataType, Value};

fn keyed_table(store: &Store) -> Arc<Table> {
    store.create_table(TableSchema {
        types: vec![DataType::Integer, DataType::Integer],
        key_columns: vec![0],
        added: Vec::new(),
    })
}

fn is_frozen(table: &Table, row: u64) -> bool {
    let guard = epoch::pin();
    let slot = table.slot(row).expect("row exists");
    slot.head.load(Ordering::Acquire, &guard).is_frozen()
}

fn value_seen(txn: &crate::mvcc::Transaction, table: &Table, key: i64) -> Option<i64> {
    let mut out = Vec::new();
    txn.read_key(table, &IndexKey::Int(key), &mut out)
        .unwrap()?;
    match out[1] {
        Value::Integer(value) => Some(value),
        _ => None,
    }
}

/// Inserts `keys` (value: key x 10) in one transaction; a commit of fewer than
/// `EXACT_WATERMARK_ROWS_MIN` rows may leave them unfrozen (it uses the last watermark
/// computed), so the caller collects when it needs them frozen.
fn insert_committed(store: &Store, table: &Arc<Table>, keys: std::ops::Range<i64>) -> Vec<u64> {
    let mut txn = store.begin().unwrap();
    let rows = keys
        .map(|key| {
            txn.insert(table, &[Value::Integer(key), Value::Integer(key * 10)])
                .unwrap()
        })
        .collect();
    txn.commit().unwrap();
    rows
}

fn insert_frozen(store: &Store, table: &Arc<Table>, keys: std::ops::Range<i64>) -> Vec<u64> {
    let rows = insert_committed(store, table, keys);
    table.collect_garbage(store.watermark());
    assert!(rows.iter().all(|row| is_frozen(table, *row)));
    rows
}

#[test]
fn a_commit_with_no_older_snapshot_freezes_its_rows() {
    let store = Store::new();
    let table = keyed_table(&store);
    let rows = insert_committed(&store, &table, 0..100);
    assert!(rows.iter().all(|row| is_frozen(&table, *row)));
    let reader = store.begin().unwrap();
    assert_eq!(value_seen(&reader, &table, 42), Some(420));
    let stats = table.stats(&reader.snapshot());
    assert_eq!((stats.versions, stats.live_rows), (100, 100));
    store.pool().drain_deferred_frees();
    let memory = store.memory().stats();
    assert_eq!((memory.versions, memory.version_header_bytes), (100, 0));
}

#[test]
fn rows_an_older_snapshot_may_not_see_are_frozen_only_after_it_ends() {
    let store = Store::new();
    let table = keyed_table(&store);
    let old_reader = store.begin().unwrap();
    let rows = insert_committed(&store, &table, 0..40);
    assert!(rows.iter().all(|row| !is_frozen(&table, *row)));
    assert_eq!(table.collect_garbage(store.watermark()).rows_frozen, 0);
    assert_eq!(
        value_seen(&old_reader, &table, 3),
        None,
        "inserted after it"
    );
    let used_with_headers = store.memory().used_bytes();
    assert_eq!(
        store.memory().stats().version_header_bytes,
        40 * VERSION_HEADER_BYTES
    );
    drop(old_reader);
    let report = table.collect_garbage(store.watermark());
    assert_eq!(report.rows_frozen, 40);
    assert_eq!(report.bytes_freed, 40 * VERSION_HEADER_BYTES);
    assert!(rows.iter().all(|row| is_frozen(&table, *row)));
    // The headers go after the epoch: then their memory is given back.
    store.pool().drain_deferred_frees();
    assert_eq!(store.memory().pending_frees(), 0);
    assert_eq!(
        store.memory().used_bytes(),
        used_with_headers - 40 * VERSION_HEADER_BYTES
    );
    assert_eq!(store.memory().stats().version_header_bytes, 0);
}

#[test]
fn updating_a_frozen_row_keeps_the_old_value_for_older_snapshots() {
    let store = Store::new();
    let table = keyed_table(&store);
    let row = insert_frozen(&store, &table, 7..8)[0];
    assert!(is_frozen(&table, row));
    let before_update = store.begin().unwrap();
    let mut writer = store.begin().unwrap();
    writer
        .update(&table, row, &[Value::Integer(7), Value::Integer(71)])
        .unwrap();
    assert!(!is_frozen(&table, row), "the writer put a header back");
    assert_eq!(value_seen(&writer, &table, 7), Some(71));
    assert_eq!(value_seen(&before_update, &table, 7), Some(70));
    // First updater wins on a thawed row as on any other.
    let mut second = store.begin().unwrap();
    let error = second
        .update(&table, row, &[Value::Integer(7), Value::Integer(72)])
        .unwrap_err();
    assert_eq!(error.kind, StorageErrorKind::Conflict);
    second.rollback();
    writer.commit().unwrap();
    assert_eq!(value_seen(&before_update, &table, 7), Some(70));
    assert_eq!(value_seen(&store.begin().unwrap(), &table, 7), Some(71));
    drop(before_update);
    let report = table.collect_garbage(store.watermark());
    assert_eq!((report.versions_freed, report.rows_frozen), (1, 1));
    assert!(is_frozen(&table, row));
    assert_eq!(value_seen(&store.begin().unwrap(), &table, 7), Some(71));
}

#[test]
fn rolled_back_writes_to_a_frozen_row_leave_its_value() {
    let store = Store::new();
    let table = keyed_table(&store);
    let row = insert_frozen(&store, &table, 1..2)[0];
    let mut writer = store.begin().unwrap();
    writer
        .update(&table, row, &[Value::Integer(1), Value::Integer(99)])
        .unwrap();
    writer.delete(&table, row).unwrap();
    writer.rollback();
    assert_eq!(value_seen(&store.begin().unwrap(), &table, 1), Some(10));
    assert_eq!(table.collect_garbage(store.watermark()).rows_frozen, 1);
    assert!(is_frozen(&table, row));
    assert_eq!(value_seen(&store.begin().unwrap(), &table, 1), Some(10));
}

#[test]
fn a_frozen_row_can_be_deleted_and_its_key_inserted_again() {
    let store = Store::new();
    let table = keyed_table(&store);
    let row = insert_frozen(&store, &table, 5..6)[0];
    let mut duplicate = store.begin().unwrap();
    let error = duplicate
        .insert(&table, &[Value::Integer(5), Value::Integer(0)])
        .unwrap_err();
    assert_eq!(error.kind, StorageErrorKind::UniqueViolation);
    duplicate.rollback();
    let reader = store.begin().unwrap();
    let mut deleter = store.begin().unwrap();
    deleter.delete(&table, row).unwrap();
    deleter.commit().unwrap();
    assert_eq!(value_seen(&reader, &table, 5), Some(50));
    assert_eq!(value_seen(&store.begin().unwrap(), &table, 5), None);
    drop(reader);
    let report = table.collect_garbage(store.watermark());
    assert_eq!(report.versions_freed, 1);
    assert_eq!(table.primary().unwrap().len(), 0, "the key is given back");
    store.pool().drain_deferred_frees();
    let again = insert_committed(&store, &table, 5..6);
    assert_eq!(again, vec![row], "the slot is reused");
    assert_eq!(value_seen(&store.begin().unwrap(), &table, 5), Some(50));
}

#[test]
fn a_delete_of_frozen_rows_works_with_the_memory_budget_full() {
    let store = Store::new();
    let table = keyed_table(&store);
    let rows = insert_committed(&store, &table, 0..200);
    store.pool().drain_deferred_frees();
    store
        .memory()
        .set_budget(Some(store.memory().used_bytes() + 8));
    let mut updater = store.begin().unwrap();
    let error = updater
        .update(&table, rows[0], &[Value::Integer(0), Value::Integer(1)])
        .unwrap_err();
    assert_eq!(error.kind, StorageErrorKind::MemoryBudget);
    updater.rollback();
    let mut deleter = store.begin().unwrap();
    for row in &rows {
        deleter.delete(&table, *row).unwrap();
    }
    deleter.commit().unwrap();
    table.collect_garbage(store.watermark());
    store.pool().drain_deferred_frees();
    let stats = table.stats(&store.begin().unwrap().snapshot());
    assert_eq!((stats.versions, stats.live_rows), (0, 0));
}

#[test]
fn compaction_moves_frozen_payloads() {
    let store = Store::new();
    let table = keyed_table(&store);
    let rows = insert_committed(&store, &table, 0..500);
    let slots_before: Vec<usize> = rows
        .iter()
        .map(|row| frozen_address(&table, *row))
        .collect();
    let compaction = store.pool().begin_compaction_of_every_page();
    let moved = table.compact_payloads(&compaction);
    compaction.finish(moved);
    assert_eq!(moved, 500);
    let reader = store.begin().unwrap();
    for (key, row) in rows.iter().enumerate() {
        assert!(is_frozen(&table, *row));
        assert_ne!(frozen_address(&table, *row), slots_before[key]);
        assert_eq!(
            value_seen(&reader, &table, key as i64),
            Some(key as i64 * 10)
        );
    }
}

fn frozen_address(table: &Table, row: u64) -> usize {
    let guard = epoch::pin();
    let head = table
        .slot(row)
        .unwrap()
        .head
        .load(Ordering::Acquire, &guard);
    head.frozen_slot().expect("frozen").memory.as_ptr() as usize
}

/// Transfers between accounts while a collector freezes rows and compaction moves their
/// payloads, all the time: every snapshot must see the same total, and no transfer may be
/// lost or applied twice.
#[test]
fn transfers_keep_the_total_while_rows_freeze_thaw_and_move() {
    const ACCOUNTS: i64 = 256;
    const START: i64 = 1000;
    let store = Store::new();
    let table = keyed_table(&store);
    let mut txn = store.begin().unwrap();
    for key in 0..ACCOUNTS {
        txn.insert(&table, &[Value::Integer(key), Value::Integer(START)])
            .unwrap();
    }
    txn.commit().unwrap();
    // Every row starts frozen, so each first update of a row thaws it while the others run.
    assert!((0..ACCOUNTS as u64).all(|row| is_frozen(&table, row)));
    let stop = Arc::new(AtomicBool::new(false));
    let mut threads = Vec::new();
    for seed in 0..3u64 {
        let (store, table) = (store.clone(), Arc::clone(&table));
        threads.push(std::thread::spawn(move || {
            let mut rng = fastrand::Rng::with_seed(seed);
            let mut done = 0u32;
            while done < 1000 {
                let (from, to) = (rng.i64(0..ACCOUNTS), rng.i64(0..ACCOUNTS));
                if from == to {
                    continue;
                }
                let mut txn = store.begin().unwrap();
                let moved = (|| {
                    for (key, delta) in [(from, -1), (to, 1)] {
                        let row = txn.find_key(&table, &IndexKey::Int(key)).unwrap();
                        let value = value_seen(&txn, &table, key).unwrap();
                        let new = [Value::Integer(key), Value::Integer(value + delta)];
                        txn.update(&table, row, &new)?;
                    }
                    Ok::<(), crate::error::StorageError>(())
                })();
                match moved {
                    Ok(()) => {
                        txn.commit().unwrap();
                        done += 1;
                    }
                    Err(error) => {
                        assert_eq!(error.kind, StorageErrorKind::Conflict, "{error:?}");
                        txn.rollback();
                    }
                }
            }
        }));
    }
    let (collector_store, collector_table) = (store.clone(), Arc::clone(&table));
    let collector_stop = Arc::clone(&stop);
    let collector = std::thread::spawn(move || {
        while !collector_stop.load(Ordering::Relaxed) {
            collector_table.collect_garbage(collector_store.watermark());
            let compaction = collector_store.pool().begin_compaction_of_every_page();
            let moved = collector_table.compact_payloads(&compaction);
            compaction.finish(moved);
        }
    });
    while !threads.iter().all(|thread| thread.is_finished()) {
        let reader = store.begin().unwrap();
        let total: i64 = (0..ACCOUNTS)
            .map(|key| value_seen(&reader, &table, key).unwrap())
            .sum();
        assert_eq!(total, ACCOUNTS * START);
    }
    stop.store(true, Ordering::Relaxed);
    for thread in threads {
        thread.join().unwrap();
    }
    collector.join().unwrap();
    table.collect_garbage(store.watermark());
    assert!((0..ACCOUNTS as u64).all(|row| is_frozen(&table, row)));
    let reader = store.begin().unwrap();
    let total: i64 = (0..ACCOUNTS)
        .map(|key| value_seen(&reader, &table, key).unwrap())
        .sum();
    assert_eq!(total, ACCOUNTS * START);
    let stats = table.stats(&reader.snapshot());
    assert_eq!((stats.versions, stats.live_rows), (256, 256));
}

/// Updates every row of `rows` (frozen or not) in one transaction through `update_columns`,
/// setting column 1 to `value(key)`; the rows are keys `0..rows.len()`.
fn update_all(
    txn: &mut crate::mvcc::Transaction,
    table: &Arc<Table>,
    rows: &[u64],
    value: impl Fn(i64) -> i64,
) {
    for (key, row) in rows.iter().enumerate() {
        let change = [(1, Value::Integer(value(key as i64)))];
        txn.update_columns(table, *row, &change).unwrap();
    }
}

/// A transaction updating a thousand frozen rows thaws each (its header charged from the
/// transaction's thaw credits, a run at a time): after the commit, with an older snapshot
/// keeping the old versions, exactly two headers per row are charged; after it ends and the
/// collector runs, none, and the memory used is what it was. Fails if unused thaw credits
/// stay charged, or if the batched release of frozen headers or of slots is off by any.
#[test]
fn many_row_updates_of_frozen_rows_charge_and_release_headers_exactly() {
    const ROWS: i64 = 1000;
    let store = Store::new();
    let table = keyed_table(&store);
    let rows = insert_frozen(&store, &table, 0..ROWS);
    store.pool().drain_deferred_frees();
    let before = store.memory().stats();
    let used_before = store.memory().used_bytes();
    assert_eq!(
        (before.versions, before.version_header_bytes),
        (ROWS as u64, 0)
    );
    let older = store.begin().unwrap();
    let mut txn = store.begin().unwrap();
    update_all(&mut txn, &table, &rows, |key| key * 10 + 1);
    txn.commit().unwrap();
    let during = store.memory().stats();
    assert_eq!(during.versions, 2 * ROWS as u64);
    assert_eq!(
        during.version_header_bytes,
        2 * ROWS as u64 * VERSION_HEADER_BYTES,
        "the old row thawed and the new version, each with its header"
    );
    assert_eq!(value_seen(&older, &table, 7), Some(70));
    drop(older);
    // And back to the first values, frozen again in between.
    table.collect_garbage(store.watermark());
    let mut txn = store.begin().unwrap();
    update_all(&mut txn, &table, &rows, |key| key * 10);
    txn.commit().unwrap();
    table.collect_garbage(store.watermark());
    store.pool().drain_deferred_frees();
    assert!(rows.iter().all(|row| is_frozen(&table, *row)));
    let after = store.memory().stats();
    assert_eq!(
        (after.versions, after.version_header_bytes),
        (ROWS as u64, 0)
    );
    store.pool().release_empty_pages();
    assert_eq!(store.memory().used_bytes(), used_before);
    let reader = store.begin().unwrap();
    assert_eq!(value_seen(&reader, &table, 999), Some(9990));
}

/// A rolled-back many-row update of frozen rows gives back every header it charged (thawed
/// rows, new versions, unused credits) and leaves the values; a later one commits fine.
#[test]
fn a_rolled_back_many_row_update_of_frozen_rows_charges_nothing() {
    const ROWS: i64 = 700;
    let store = Store::new();
    let table = keyed_table(&store);
    let rows = insert_frozen(&store, &table, 0..ROWS);
    store.pool().drain_deferred_frees();
    let used_before = store.memory().used_bytes();
    let mut txn = store.begin().unwrap();
    update_all(&mut txn, &table, &rows, |key| -key);
    txn.rollback();
    table.collect_garbage(store.watermark());
    store.pool().drain_deferred_frees();
    store.pool().release_empty_pages();
    assert_eq!(store.memory().stats().version_header_bytes, 0);
    assert_eq!(store.memory().used_bytes(), used_before);
    let reader = store.begin().unwrap();
    assert_eq!(value_seen(&reader, &table, 5), Some(50));
    drop(reader);
    let mut txn = store.begin().unwrap();
    update_all(&mut txn, &table, &rows, |key| key + 1);
    txn.commit().unwrap();
    let reader = store.begin().unwrap();
    assert_eq!(value_seen(&reader, &table, 5), Some(6));
}

/// Writers on three threads each add one to every row of a random block of 64 frozen or
/// thawed rows in one transaction (conflicts roll back), while a collector thread collects
/// and compacts and a reader checks that each snapshot sees whole transactions (the sum of
/// the values grows by 64 per commit). At the end: the sum is the start plus 64 per commit,
/// every row is frozen again and exactly one version per row is charged, no header.
#[test]
fn many_row_updates_on_many_threads_keep_counts_and_memory_exact() {
    const ROWS: i64 = 512;
    const BLOCK: i64 = 64;
    let store = Store::new();
    let table = keyed_table(&store);
    let rows = insert_frozen(&store, &table, 0..ROWS);
    let start: i64 = (0..ROWS).map(|key| key * 10).sum();
    let commits = Arc::new(std::sync::atomic::AtomicI64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let mut writers = Vec::new();
    for seed in 0..3u64 {
        let (store, table, rows) = (store.clone(), Arc::clone(&table), rows.clone());
        let commits = Arc::clone(&commits);
        writers.push(std::thread::spawn(move || {
            let mut rng = fastrand::Rng::with_seed(seed);
            let mut done = 0;
            while done < 60 {
                let first = rng.i64(0..ROWS - BLOCK) as usize;
                let mut txn = store.begin().unwrap();
                let written = (first..first + BLOCK as usize).try_for_each(|at| {
                    let value = value_seen(&txn, &table, at as i64).unwrap();
                    let change = [(1, Value::Integer(value + 1))];
                    txn.update_columns(&table, rows[at], &change).map(|_| ())
                });
                match written {
                    Ok(()) => {
                        txn.commit().unwrap();
                        commits.fetch_add(1, Ordering::SeqCst);
                        done += 1;
                    }
                    Err(error) => {
                        assert_eq!(error.kind, StorageErrorKind::Conflict, "{error:?}");
                        txn.rollback();
                    }
                }
            }
        }));
    }
    let (collector_store, collector_table) = (store.clone(), Arc::clone(&table));
    let collector_stop = Arc::clone(&stop);
    let collector = std::thread::spawn(move || {
        while !collector_stop.load(Ordering::Relaxed) {
            collector_table.collect_garbage(collector_store.watermark());
            let compaction = collector_store.pool().begin_compaction_of_every_page();
            let moved = collector_table.compact_payloads(&compaction);
            compaction.finish(moved);
        }
    });
    while !writers.iter().all(|writer| writer.is_finished()) {
        let low = commits.load(Ordering::SeqCst);
        let reader = store.begin().unwrap();
        let high = commits.load(Ordering::SeqCst);
        let total: i64 = (0..ROWS)
            .map(|key| value_seen(&reader, &table, key).unwrap())
            .sum();
        let added = total - start;
        assert_eq!(added % BLOCK, 0, "a snapshot sees whole transactions");
        // Commits counted before the snapshot are in it; it may see one more per writer.
        assert!(
            added / BLOCK >= low && added / BLOCK <= high + 3,
            "{added} {low} {high}"
        );
    }
    stop.store(true, Ordering::Relaxed);
    for writer in writers {
        writer.join().unwrap();
    }
    collector.join().unwrap();
    table.collect_garbage(store.watermark());
    store.pool().drain_deferred_frees();
    assert!(rows.iter().all(|row| is_frozen(&table, *row)));
    let reader = store.begin().unwrap();
    let total: i64 = (0..ROWS)
        .map(|key| value_seen(&reader, &table, key).unwrap())
        .sum();
    assert_eq!(total, start + 180 * BLOCK);
    let memory = store.memory().stats();
    assert_eq!(
        (memory.versions, memory.version_header_bytes),
        (ROWS as u64, 0)
    );
}
