//! Tests of secondary indexes: lookups under MVCC, uniqueness against concurrent writers,
//! maintenance on update, delete, rollback, savepoints and garbage collection.

use std::sync::Arc;

use crate::error::StorageErrorKind;
use crate::index::{IndexKey, SecondaryIndex};
use crate::store::Store;
use crate::value::{DataType, Value};
use crate::{Table, TableSchema, Transaction};

/// A table (id INTEGER, k ANY) without a primary key, plus an index on `k`.
fn indexed(store: &Store, unique: bool) -> (Arc<Table>, Arc<SecondaryIndex>) {
    let table = store.create_table(TableSchema {
        types: vec![DataType::Integer, DataType::Any],
        key_columns: vec![],
        added: Vec::new(),
    });
    let index = table.create_index("k_index", vec![1], unique).unwrap();
    (table, index)
}

fn row(id: i64, key: i64) -> [Value; 2] {
    [Value::Integer(id), Value::Integer(key)]
}

/// The ids of rows `txn` finds under `key` through the index, sorted.
pub(in crate::mvcc) fn lookup(
    txn: &Transaction,
    table: &Table,
    index: &SecondaryIndex,
    key: i64,
) -> Vec<i64> {
    let mut ids = Vec::new();
    let mut buffer = Vec::new();
    txn.index_lookup(
        table,
        index,
        &IndexKey::Int(key),
        &mut buffer,
        |_, values| {
            if let Value::Integer(id) = values[0] {
                ids.push(id);
            }
            true
        },
    )
    .unwrap();
    ids.sort();
    ids
}

#[test]
fn non_unique_lookups_follow_snapshots_through_updates() {
    let store = Store::new();
    let (table, index) = indexed(&store, false);
    let mut txn = store.begin().unwrap();
    let first = txn.insert(&table, &row(1, 10)).unwrap();
    txn.insert(&table, &row(2, 10)).unwrap();
    txn.insert(&table, &row(3, 20)).unwrap();
    txn.insert(&table, &[Value::Integer(4), Value::Null])
        .unwrap();
    txn.commit().unwrap();
    let before = store.begin().unwrap();
    let mut txn = store.begin().unwrap();
    txn.update(&table, first, &row(1, 20)).unwrap();
    assert_eq!(
        lookup(&txn, &table, &index, 20),
        vec![1, 3],
        "own write seen"
    );
    txn.commit().unwrap();
    assert_eq!(lookup(&before, &table, &index, 10), vec![1, 2]);
    assert_eq!(lookup(&before, &table, &index, 20), vec![3]);
    let after = store.begin().unwrap();
    assert_eq!(lookup(&after, &table, &index, 10), vec![2]);
    assert_eq!(lookup(&after, &table, &index, 20), vec![1, 3]);
    assert_eq!(
        index.entries(),
        4,
        "the NULL key is not indexed; slot 0 has two keys"
    );
}

#[test]
fn unique_index_rejects_visible_duplicates_but_not_nulls() {
    let store = Store::new();
    let (table, _index) = indexed(&store, true);
    let mut txn = store.begin().unwrap();
    txn.insert(&table, &row(1, 10)).unwrap();
    txn.insert(&table, &[Value::Integer(2), Value::Null])
        .unwrap();
    txn.insert(&table, &[Value::Integer(3), Value::Null])
        .unwrap();
    let error = txn.insert(&table, &row(4, 10)).unwrap_err();
    assert_eq!(error.kind, StorageErrorKind::UniqueViolation);
    assert_eq!(error.index.as_deref(), Some("k_index"));
    txn.commit().unwrap();
    let mut txn = store.begin().unwrap();
    let error = txn.insert(&table, &row(5, 10)).unwrap_err();
    assert_eq!(error.kind, StorageErrorKind::UniqueViolation);
    assert!(txn
        .insert(&table, &[Value::Integer(6), Value::Real(10.0)])
        .is_err());
    txn.insert(&table, &row(7, 11)).unwrap();
    txn.commit().unwrap();
    let check = store.begin().unwrap();
    assert_eq!(
        table.stats(&check.snapshot()).live_rows,
        4,
        "failed inserts left nothing"
    );
}

#[test]
fn concurrent_writers_of_one_key_conflict_and_only_one_commits() {
    let store = Store::new();
    let (table, index) = indexed(&store, true);
    let mut first = store.begin().unwrap();
    let mut second = store.begin().unwrap();
    first.insert(&table, &row(1, 10)).unwrap();
    let error = second.insert(&table, &row(2, 10)).unwrap_err();
    assert_eq!(error.kind, StorageErrorKind::Conflict);
    first.commit().unwrap();
    let error = second.insert(&table, &row(2, 10)).unwrap_err();
    assert_eq!(
        error.kind,
        StorageErrorKind::Conflict,
        "committed after the snapshot"
    );
    drop(second);
    let mut retry = store.begin().unwrap();
    let error = retry.insert(&table, &row(2, 10)).unwrap_err();
    assert_eq!(error.kind, StorageErrorKind::UniqueViolation);
    drop(retry);
    // A writer that rolls back frees the key again.
    let mut loser = store.begin().unwrap();
    loser.insert(&table, &row(3, 30)).unwrap();
    let mut other = store.begin().unwrap();
    assert!(other.insert(&table, &row(4, 30)).is_err());
    loser.rollback();
    other.insert(&table, &row(4, 30)).unwrap();
    other.commit().unwrap();
    let reader = store.begin().unwrap();
    assert_eq!(lookup(&reader, &table, &index, 10), vec![1]);
    assert_eq!(lookup(&reader, &table, &index, 30), vec![4]);
}

#[test]
fn moving_and_deleting_keys_frees_them() {
    let store = Store::new();
    let (table, index) = indexed(&store, true);
    let mut txn = store.begin().unwrap();
    let a = txn.insert(&table, &row(1, 10)).unwrap();
    let b = txn.insert(&table, &row(2, 20)).unwrap();
    txn.commit().unwrap();
    let mut txn = store.begin().unwrap();
    txn.delete(&table, a).unwrap();
    txn.insert(&table, &row(3, 10)).unwrap();
    txn.update(&table, b, &row(2, 21)).unwrap();
    txn.insert(&table, &row(4, 20)).unwrap();
    // Updating a row without changing its key is no conflict with itself.
    txn.update(&table, b, &[Value::Integer(22), Value::Integer(21)])
        .unwrap();
    // Meanwhile another writer sees keys 20 and 10 claimed by an open transaction.
    let mut other = store.begin().unwrap();
    let error = other.insert(&table, &row(5, 20)).unwrap_err();
    assert_eq!(error.kind, StorageErrorKind::Conflict);
    drop(other);
    txn.commit().unwrap();
    let reader = store.begin().unwrap();
    assert_eq!(lookup(&reader, &table, &index, 10), vec![3]);
    assert_eq!(lookup(&reader, &table, &index, 20), vec![4]);
    assert_eq!(lookup(&reader, &table, &index, 21), vec![22]);
}

#[test]
fn rollback_and_savepoints_remove_their_entries() {
    let store = Store::new();
    let (table, index) = indexed(&store, true);
    let mut txn = store.begin().unwrap();
    let kept = txn.insert(&table, &row(1, 10)).unwrap();
    txn.commit().unwrap();
    let mut txn = store.begin().unwrap();
    let savepoint = txn.savepoint();
    txn.update(&table, kept, &row(1, 11)).unwrap();
    txn.insert(&table, &row(2, 12)).unwrap();
    assert_eq!(index.entries(), 3);
    txn.rollback_to(savepoint);
    assert_eq!(index.entries(), 1, "entries of undone versions removed");
    assert_eq!(lookup(&txn, &table, &index, 10), vec![1]);
    txn.insert(&table, &row(3, 11)).unwrap();
    txn.rollback();
    assert_eq!(index.entries(), 1);
    let reader = store.begin().unwrap();
    assert!(lookup(&reader, &table, &index, 11).is_empty());
}

#[test]
fn garbage_collection_removes_entries_of_freed_versions() {
    let store = Store::new();
    let (table, index) = indexed(&store, false);
    let mut txn = store.begin().unwrap();
    let slot = txn.insert(&table, &row(1, 0)).unwrap();
    let doomed = txn.insert(&table, &row(2, 100)).unwrap();
    txn.commit().unwrap();
    // Holds the watermark, so the commits below cannot free the versions they replace.
    let holder = store.begin().unwrap();
    for key in 1..=20 {
        let mut txn = store.begin().unwrap();
        txn.update(&table, slot, &row(1, key)).unwrap();
        txn.commit().unwrap();
    }
    let mut txn = store.begin().unwrap();
    txn.delete(&table, doomed).unwrap();
    txn.commit().unwrap();
    assert_eq!(index.entries(), 22);
    drop(holder);
    table.collect_garbage(store.watermark());
    assert_eq!(index.entries(), 1, "only the live version's key is left");
    let reader = store.begin().unwrap();
    assert_eq!(lookup(&reader, &table, &index, 20), vec![1]);
    assert_eq!(table.sweep_index_entries(), 0);
}

/// Garbage collection settles an index whose columns a remaining version holds identically
/// without computing keys; values only equal (5 and 5.0, 'k' and 'K' under NOCASE) go the
/// keyed way. Checked: every live key is found, no stale entry is left (a skipped removal
/// would leave one for the sweep), for hash, ordered and NOCASE-ordered indexes.
/// Both ways are run: a table that never grew (rows compared in place) and one that grew
/// its third column (rows compared decoded).
#[test]
fn garbage_collection_keeps_exactly_the_keys_remaining_versions_share() {
    let plain = TableSchema {
        types: vec![DataType::Integer, DataType::Any, DataType::Any],
        key_columns: vec![],
        added: Vec::new(),
    };
    let grown = TableSchema {
        types: vec![DataType::Integer, DataType::Any],
        key_columns: vec![],
        added: Vec::new(),
    }
    .with_added_column(DataType::Any, Value::Integer(9));
    for schema in [plain, grown] {
        gc_keeps_exactly_the_shared_keys(schema);
    }
}

fn gc_keeps_exactly_the_shared_keys(schema: TableSchema) {
    use crate::index::KeyCollation;
    let store = Store::new();
    let table = store.create_table(schema);
    let hashed = table.create_index("k_hash", vec![1], false).unwrap();
    let ordered = table
        .create_index_with(
            "k_note",
            vec![1, 2],
            false,
            Some(vec![KeyCollation::Binary; 2]),
        )
        .unwrap();
    let nocase = table
        .create_index_with(
            "note_nocase",
            vec![2],
            false,
            Some(vec![KeyCollation::NoCase]),
        )
        .unwrap();
    let text = |s: &str| Value::Text(s.into());
    let mut txn = store.begin().unwrap();
    let slot = txn
        .insert(&table, &[Value::Integer(1), Value::Integer(5), text("x")])
        .unwrap();
    txn.commit().unwrap();
    let steps = [
        [Value::Integer(1), Value::Integer(5), text("x")],
        [Value::Integer(1), Value::Integer(5), text("X")],
        [Value::Integer(1), Value::Real(5.0), text("X")],
        [Value::Integer(1), Value::Integer(6), text("X")],
        [Value::Integer(1), Value::Integer(6), text("X")],
        [Value::Integer(1), Value::Null, text("y")],
        [Value::Integer(1), Value::Integer(6), text("y")],
    ];
    for (step, values) in steps.iter().enumerate() {
        // Holds the watermark over the next update, so its old version is collected at
        // the next round with a newer version beside it.
        let holder = store.begin().unwrap();
        let mut txn = store.begin().unwrap();
        txn.update(&table, slot, values).unwrap();
        txn.commit().unwrap();
        drop(holder);
        table.collect_garbage(store.watermark());
        let reader = store.begin().unwrap();
        for index in [&hashed, &ordered, &nocase] {
            let mut found = 0;
            let mut buffer = Vec::new();
            let key = index.key_of(values);
            if let Some(key) = &key {
                reader
                    .index_lookup(&table, index, key, &mut buffer, |_, _| {
                        found += 1;
                        true
                    })
                    .unwrap();
            }
            assert_eq!(
                found,
                usize::from(key.is_some()),
                "step {step}, {}",
                index.name()
            );
        }
        assert_eq!(
            table.sweep_index_entries(),
            0,
            "step {step}: a stale entry was kept"
        );
    }
}

#[test]
fn creating_an_index_indexes_existing_rows_and_checks_uniqueness() {
    let store = Store::new();
    let table = store.create_table(TableSchema {
        types: vec![DataType::Integer, DataType::Text],
        key_columns: vec![0],
        added: Vec::new(),
    });
    let mut txn = store.begin().unwrap();
    for id in 0..3000 {
        let name = Value::Text(format!("n{}", id % 1000));
        txn.insert(&table, &[Value::Integer(id), name]).unwrap();
    }
    txn.commit().unwrap();
    let error = table.create_index("names", vec![1], true).unwrap_err();
    assert_eq!(error.kind, StorageErrorKind::UniqueViolation);
    assert!(
        table.indexes().is_empty(),
        "a failed unique index leaves nothing"
    );
    let index = table.create_index("names", vec![1], false).unwrap();
    let reader = store.begin().unwrap();
    let key = IndexKey::from_values([&Value::Text("n7".into())]).unwrap();
    let mut found = 0;
    reader
        .index_lookup(&table, &index, &key, &mut Vec::new(), |_, _| {
            found += 1;
            true
        })
        .unwrap();
    assert_eq!(found, 3);
    assert!(table.drop_index(index.id()));
    assert!(table.index(index.id()).is_none());
    assert!(
        table.attached_index(&index).is_none(),
        "a dropped index is detached"
    );
    // A unique index over keys that repeat only in deleted rows is fine.
    let mut txn = store.begin().unwrap();
    for id in 1000..3000 {
        let row = txn.find_key(&table, &IndexKey::Int(id)).unwrap();
        txn.delete(&table, row).unwrap();
    }
    txn.commit().unwrap();
    table.create_index("names", vec![1], true).unwrap();
}

#[test]
fn unique_index_over_an_uncommitted_duplicate_is_a_conflict() {
    let store = Store::new();
    let table = store.create_table(TableSchema {
        types: vec![DataType::Integer],
        key_columns: vec![],
        added: Vec::new(),
    });
    let mut txn = store.begin().unwrap();
    txn.insert(&table, &[Value::Integer(1)]).unwrap();
    txn.commit().unwrap();
    let mut open = store.begin().unwrap();
    open.insert(&table, &[Value::Integer(1)]).unwrap();
    let error = table.create_index("u", vec![0], true).unwrap_err();
    assert_eq!(error.kind, StorageErrorKind::Conflict);
    open.rollback();
    table.create_index("u", vec![0], true).unwrap();
}

#[test]
fn many_threads_inserting_overlapping_unique_keys_keep_each_key_once() {
    const THREADS: i64 = 8;
    const KEYS: i64 = 200;
    let store = Store::new();
    let (table, index) = indexed(&store, true);
    let workers: Vec<_> = (0..THREADS)
        .map(|thread| {
            let (store, table) = (store.clone(), Arc::clone(&table));
            std::thread::spawn(move || {
                let mut committed = 0u64;
                for i in 0..KEYS * 2 {
                    let key = (i * 7 + thread * 13) % KEYS;
                    let mut txn = store.begin().unwrap();
                    let inserted = txn.insert(&table, &row(thread * 10_000 + i, key));
                    let second = txn.insert(&table, &row(thread * 10_000 + i, key + KEYS));
                    if inserted.is_ok() && second.is_ok() && i % 9 != 0 {
                        txn.commit().unwrap();
                        committed += 1;
                    } else {
                        if let Err(error) = inserted.and(second) {
                            assert!(matches!(
                                error.kind,
                                StorageErrorKind::Conflict | StorageErrorKind::UniqueViolation
                            ));
                        }
                        txn.rollback();
                    }
                    if i % 50 == 0 {
                        table.collect_garbage(store.watermark());
                    }
                }
                committed
            })
        })
        .collect();
    let committed: u64 = workers.into_iter().map(|w| w.join().unwrap()).sum();
    let reader = store.begin().unwrap();
    let mut scanned = std::collections::HashMap::<i64, i64>::new();
    let mut buffer = Vec::new();
    reader
        .scan_batch(&table, 0..u64::MAX, &mut buffer, |_, values| {
            let (Value::Integer(id), Value::Integer(key)) = (&values[0], &values[1]) else {
                panic!("bad row");
            };
            assert!(scanned.insert(*key, *id).is_none(), "key {key} twice");
            true
        })
        .unwrap();
    assert_eq!(scanned.len() as u64, committed * 2);
    for key in 0..KEYS * 2 {
        let through_index = lookup(&reader, &table, &index, key);
        let expected: Vec<i64> = scanned.get(&key).copied().into_iter().collect();
        assert_eq!(through_index, expected, "key {key}");
    }
    assert!(committed >= KEYS as u64 / 2, "most keys end up inserted");
    table.collect_garbage(store.watermark());
    table.sweep_index_entries();
    assert_eq!(index.entries(), scanned.len(), "no stale entries after GC");
}

#[test]
fn readers_see_index_and_scan_agree_while_writers_move_unique_keys() {
    const ROWS: i64 = 32;
    const KEYS: i64 = 64;
    let store = Store::new();
    let (table, index) = indexed(&store, true);
    let slots: Vec<_> = {
        let mut txn = store.begin().unwrap();
        let slots = (0..ROWS)
            .map(|id| txn.insert(&table, &row(id, id)).unwrap())
            .collect();
        txn.commit().unwrap();
        slots
    };
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writers: Vec<_> = (0..4u64)
        .map(|seed| {
            let (store, table, slots) = (store.clone(), Arc::clone(&table), slots.clone());
            std::thread::spawn(move || {
                let mut rng = fastrand::Rng::with_seed(seed);
                let mut moved = 0;
                for _ in 0..1500 {
                    let position = rng.usize(..slots.len());
                    let mut txn = store.begin().unwrap();
                    let key = rng.i64(0..KEYS);
                    let values = row(position as i64, key);
                    match txn.update(&table, slots[position], &values) {
                        Ok(_) if rng.u8(..10) == 0 => txn.rollback(),
                        Ok(_) => {
                            txn.commit().unwrap();
                            moved += 1;
                        }
                        Err(error) => assert!(matches!(
                            error.kind,
                            StorageErrorKind::Conflict | StorageErrorKind::UniqueViolation
                        )),
                    }
                }
                moved
            })
        })
        .collect();
    let collector = {
        let (store, table, stop) = (store.clone(), Arc::clone(&table), Arc::clone(&stop));
        std::thread::spawn(move || {
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                table.collect_garbage(store.watermark());
                std::thread::yield_now();
            }
        })
    };
    let readers: Vec<_> = (0..2)
        .map(|_| {
            let (store, table, index, stop) = (
                store.clone(),
                Arc::clone(&table),
                Arc::clone(&index),
                Arc::clone(&stop),
            );
            std::thread::spawn(move || {
                let mut rounds = 0;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) || rounds == 0 {
                    let txn = store.begin().unwrap();
                    let mut scanned = std::collections::BTreeMap::new();
                    let mut buffer = Vec::new();
                    txn.scan_batch(&table, 0..u64::MAX, &mut buffer, |_, values| {
                        let (Value::Integer(id), Value::Integer(key)) = (&values[0], &values[1])
                        else {
                            panic!("bad row")
                        };
                        assert!(scanned.insert(*key, *id).is_none(), "key {key} twice");
                        true
                    })
                    .unwrap();
                    assert_eq!(scanned.len() as i64, ROWS);
                    for key in 0..KEYS {
                        let expected: Vec<i64> = scanned.get(&key).copied().into_iter().collect();
                        assert_eq!(lookup(&txn, &table, &index, key), expected, "key {key}");
                    }
                    rounds += 1;
                }
                rounds
            })
        })
        .collect();
    let moved: u64 = writers.into_iter().map(|w| w.join().unwrap()).sum();
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    collector.join().unwrap();
    for reader in readers {
        assert!(reader.join().unwrap() > 0);
    }
    assert!(moved > 0);
    table.collect_garbage(store.watermark());
    assert_eq!(index.entries(), ROWS as usize, "GC left only the live keys");
    assert_eq!(
        table.sweep_index_entries(),
        0,
        "and no stale entry escaped it"
    );
}

#[test]
fn an_index_created_while_writers_run_indexes_every_row() {
    let store = Store::new();
    let table = store.create_table(TableSchema {
        types: vec![DataType::Integer, DataType::Any],
        key_columns: vec![],
        added: Vec::new(),
    });
    let started = Arc::new(std::sync::Barrier::new(4));
    let writers: Vec<_> = (0..3i64)
        .map(|thread| {
            let (store, table, started) = (store.clone(), Arc::clone(&table), Arc::clone(&started));
            std::thread::spawn(move || {
                started.wait();
                for i in 0..2000i64 {
                    // Distinct keys per thread; every third row is moved to another distinct key.
                    let id = thread * 1_000_000 + i;
                    let mut txn = store.begin().unwrap();
                    let slot = txn.insert(&table, &row(id, id)).unwrap();
                    if i % 3 == 0 {
                        txn.update(&table, slot, &row(id, id + 500_000)).unwrap();
                    }
                    if i % 7 == 0 {
                        txn.rollback();
                    } else {
                        txn.commit().unwrap();
                    }
                }
            })
        })
        .collect();
    started.wait();
    std::thread::sleep(std::time::Duration::from_millis(2));
    let index = table.create_index("k", vec![1], true).unwrap();
    for writer in writers {
        writer.join().unwrap();
    }
    let reader = store.begin().unwrap();
    let mut rows = Vec::new();
    reader
        .scan_batch(&table, 0..u64::MAX, &mut Vec::new(), |_, values| {
            rows.push(values.clone());
            true
        })
        .unwrap();
    assert!(rows.len() > 5000);
    for values in &rows {
        let Value::Integer(key) = values[1] else {
            panic!("key")
        };
        let Value::Integer(id) = values[0] else {
            panic!("id")
        };
        assert_eq!(lookup(&reader, &table, &index, key), [id], "key {key}");
    }
    let mut txn = store.begin().unwrap();
    let error = txn.insert(&table, &rows[0]).unwrap_err();
    assert_eq!(error.kind, StorageErrorKind::UniqueViolation);
}

#[test]
fn a_key_with_more_slots_than_fit_inline_finds_every_row() {
    let store = Store::new();
    let (table, index) = indexed(&store, false);
    let mut txn = store.begin().unwrap();
    let rows = crate::mvcc::gathered_rows::GATHERED_INLINE as i64 * 3;
    for id in 0..rows {
        txn.insert(&table, &row(id, if id % 2 == 0 { 5 } else { 6 }))
            .unwrap();
    }
    txn.commit().unwrap();
    let reader = store.begin().unwrap();
    let evens: Vec<i64> = (0..rows).filter(|id| id % 2 == 0).collect();
    assert_eq!(lookup(&reader, &table, &index, 5), evens);
    assert_eq!(lookup(&reader, &table, &index, 6).len(), evens.len());
}

/// The indexed-column mask writers read instead of the index list follows index creation
/// and drop; columns from 63 on share its last bit.
#[test]
fn the_indexed_column_mask_follows_the_index_list() {
    let store = Store::new();
    let table = store.create_table(TableSchema {
        types: vec![DataType::Integer; 70],
        key_columns: vec![],
        added: Vec::new(),
    });
    assert!(!table.covers_a_column([0, 1, 69]));
    let low = table.create_index("low", vec![1, 3], false).unwrap();
    assert!(table.covers_a_column([3]));
    assert!(table.covers_a_column([0, 1]));
    assert!(!table.covers_a_column([0, 2, 64]));
    let high = table.create_index("high", vec![65], false).unwrap();
    assert!(table.covers_a_column([65]));
    assert!(
        table.covers_a_column([68]),
        "a shared bit: a false yes, never a false no"
    );
    assert!(!table.covers_a_column([2]));
    table.drop_index(low.id());
    assert!(!table.covers_a_column([1, 3]));
    table.drop_index(high.id());
    assert!(!table.covers_a_column([65]));
}

/// Writers change only an unindexed-so-far column (`update_columns`, whose version link is
/// tagged "same index keys" while no index covers it) while indexes on that column are
/// created and dropped again and again: every index created must find each row under the
/// key its latest committed version holds (the writers' light fences against
/// `create_index`'s heavy one, and the tag's re-check after the fence).
#[test]
fn indexes_created_while_columns_are_patched_see_every_new_key() {
    use std::sync::atomic::{AtomicBool, Ordering};
    const WRITERS: i64 = 3;
    const ROWS: i64 = 20;
    const CYCLES: usize = 300;
    let store = Store::new();
    let table = store.create_table(TableSchema {
        types: vec![DataType::Integer, DataType::Any],
        key_columns: vec![],
        added: Vec::new(),
    });
    let mut slots = Vec::new();
    let mut txn = store.begin().unwrap();
    for id in 0..WRITERS * ROWS {
        slots.push(txn.insert(&table, &row(id, -1 - id)).unwrap());
    }
    txn.commit().unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let writers: Vec<_> = (0..WRITERS)
        .map(|thread| {
            let (store, table, stop) = (store.clone(), Arc::clone(&table), Arc::clone(&stop));
            let mut mine: Vec<_> = slots[(thread * ROWS) as usize..][..ROWS as usize].to_vec();
            std::thread::spawn(move || {
                let mut round = 0;
                while !stop.load(Ordering::Relaxed) {
                    round += 1;
                    for (offset, slot) in mine.iter_mut().enumerate() {
                        let id = thread * ROWS + offset as i64;
                        let mut txn = store.begin().unwrap();
                        let change = [(1, Value::Integer(id * 1_000_000_000 + round))];
                        *slot = txn.update_columns(&table, *slot, &change).unwrap();
                        txn.commit().unwrap();
                    }
                }
            })
        })
        .collect();
    let mut rows = Vec::new();
    for cycle in 0..CYCLES {
        table.collect_garbage(store.watermark());
        let index = table.create_index("k", vec![1], false).unwrap();
        let reader = store.begin().unwrap();
        rows.clear();
        reader
            .scan_batch(&table, 0..u64::MAX, &mut Vec::new(), |_, values| {
                rows.push(values.clone());
                true
            })
            .unwrap();
        assert_eq!(rows.len(), (WRITERS * ROWS) as usize);
        for values in &rows {
            let (Value::Integer(id), Value::Integer(key)) = (&values[0], &values[1]) else {
                panic!("row {values:?}")
            };
            assert_eq!(
                lookup(&reader, &table, &index, *key),
                [*id],
                "cycle {cycle}"
            );
        }
        drop(reader);
        assert!(table.drop_index(index.id()));
    }
    stop.store(true, Ordering::Relaxed);
    for writer in writers {
        writer.join().unwrap();
    }
}

#[test]
fn an_index_is_attached_from_its_creation_until_it_is_dropped() {
    let store = Store::new();
    let (table, first) = indexed(&store, false);
    let second = table.create_index("second", vec![0], false).unwrap();
    for index in [&first, &second] {
        let attached = table.attached_index(index).expect("attached");
        assert!(Arc::ptr_eq(attached, index));
        assert!(Arc::ptr_eq(&table.index(index.id()).unwrap(), index));
    }
    assert!(table.drop_index(first.id()));
    assert!(table.attached_index(&first).is_none());
    assert!(
        table.attached_index(&second).is_some(),
        "the other index stays"
    );
    // A new index under the dropped one's name is another index, with another id.
    let again = table.create_index("k_index", vec![1], false).unwrap();
    assert_ne!(again.id(), first.id());
    assert!(table.attached_index(&again).is_some());
    assert!(table.attached_index(&first).is_none());
}
