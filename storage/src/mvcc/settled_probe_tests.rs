//! Tests of settled probes: when a transaction may answer "does a row I see have this key"
//! from the hash entry alone, and that such answers equal the checked lookup's under
//! uncommitted writes, deletes and key changes awaiting the collector, old snapshots, own
//! writes, collated and hash-only indexes, and writers and the collector running beside
//! the readers.

use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::Arc;

use super::super::ordered_read::tests::indexed;
use super::super::settled_index::tests::churning_writer;
use super::SettledProbes;
use crate::index::{IndexKey, KeyCollation, SecondaryIndex};
use crate::store::Store;
use crate::value::{DataType, Value};
use crate::{Table, TableSchema, Transaction};

fn row(id: i64, key: i64) -> [Value; 2] {
    [Value::Integer(id), Value::Integer(key)]
}

/// Whether some row `txn` sees has `key`, by the checked lookup (every row read).
fn checked(txn: &Transaction, table: &Table, index: &SecondaryIndex, key: i64) -> bool {
    let mut found = false;
    txn.index_lookup(
        table,
        index,
        &IndexKey::Int(key),
        &mut Vec::new(),
        |_, _| {
            found = true;
            false
        },
    )
    .unwrap();
    found
}

/// The settled answer for `key` with a fresh token.
fn settled(txn: &Transaction, table: &Table, index: &SecondaryIndex, key: i64) -> Option<bool> {
    txn.settled_index_holds(
        table,
        index,
        &IndexKey::Int(key),
        &mut SettledProbes::default(),
    )
}

/// Asserts every key from -1 to 101 gets a settled answer, the checked lookup's.
fn settled_and_agreeing(txn: &Transaction, table: &Table, index: &SecondaryIndex) {
    let mut probes = SettledProbes::default();
    for key in -1..=101 {
        let answer = txn.settled_index_holds(table, index, &IndexKey::Int(key), &mut probes);
        assert_eq!(answer, Some(checked(txn, table, index, key)), "key {key}");
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
fn a_quiet_index_answers_from_its_entries() {
    let store = Store::new();
    let (table, index, _) = loaded(&store);
    let txn = store.begin().unwrap();
    assert_eq!(settled(&txn, &table, &index, 42), Some(true));
    assert_eq!(settled(&txn, &table, &index, 100), Some(false));
    settled_and_agreeing(&txn, &table, &index);
}

#[test]
fn uncommitted_entries_are_not_trusted() {
    let store = Store::new();
    let (table, index, slots) = loaded(&store);
    let mut writer = store.begin().unwrap();
    writer.insert(&table, &row(500, 500)).unwrap();
    writer.update(&table, slots[30], &row(30, 531)).unwrap();
    let reader = store.begin().unwrap();
    assert_eq!(settled(&reader, &table, &index, 500), None);
    assert_eq!(settled(&reader, &table, &index, 531), None);
    assert!(!checked(&reader, &table, &index, 500));
    assert!(checked(&reader, &table, &index, 30));
    writer.rollback();
    let reader = store.begin().unwrap();
    assert_eq!(settled(&reader, &table, &index, 500), Some(false));
    settled_and_agreeing(&reader, &table, &index);
}

#[test]
fn deletes_and_key_changes_are_trusted_only_once_collected() {
    let store = Store::new();
    let (table, index, slots) = loaded(&store);
    let mut txn = store.begin().unwrap();
    txn.delete(&table, slots[15]).unwrap();
    txn.update(&table, slots[16], &row(16, 99)).unwrap();
    txn.commit().unwrap();
    let reader = store.begin().unwrap();
    // Entries 15 and 16 are stale: trusted, they would say both keys are there.
    assert_eq!(settled(&reader, &table, &index, 15), None);
    assert_eq!(settled(&reader, &table, &index, 16), None);
    assert!(!checked(&reader, &table, &index, 15));
    assert!(!checked(&reader, &table, &index, 16));
    drop(reader);
    table.collect_garbage(store.watermark());
    let reader = store.begin().unwrap();
    assert_eq!(settled(&reader, &table, &index, 15), Some(false));
    assert_eq!(settled(&reader, &table, &index, 16), Some(false));
    settled_and_agreeing(&reader, &table, &index);
}

#[test]
fn an_older_snapshot_or_own_writes_are_never_trusted() {
    let store = Store::new();
    let (table, index, slots) = loaded(&store);
    let old = store.begin().unwrap();
    let mut txn = store.begin().unwrap();
    txn.insert(&table, &row(200, 200)).unwrap();
    txn.commit().unwrap();
    let new = store.begin().unwrap();
    assert_eq!(settled(&new, &table, &index, 200), Some(true));
    assert_eq!(settled(&old, &table, &index, 200), None, "a commit past it");
    assert!(!checked(&old, &table, &index, 200));
    // A delete changes no entry, yet its transaction sees no row with key 60.
    let mut own = store.begin().unwrap();
    own.delete(&table, slots[60]).unwrap();
    assert_eq!(settled(&own, &table, &index, 60), None, "own writes");
    assert!(!checked(&own, &table, &index, 60));
}

/// An index whose hash half calls keys equal that its ordered half does not (or that has
/// no ordered half) never answers settled.
#[test]
fn collated_and_hash_only_indexes_are_refused() {
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
    let hash_only = table.create_index_with("h", vec![1], false, None).unwrap();
    let nocase = table
        .create_index_with("n", vec![1], false, Some(vec![KeyCollation::NoCase]))
        .unwrap();
    let binary = table
        .create_index_with("b", vec![1], false, Some(vec![KeyCollation::Binary]))
        .unwrap();
    let reader = store.begin().unwrap();
    assert_eq!(settled(&reader, &table, &hash_only, 3), None);
    assert_eq!(settled(&reader, &table, &nocase, 3), None);
    assert_eq!(settled(&reader, &table, &binary, 3), Some(true));
}

#[test]
fn a_write_after_the_token_voids_it() {
    let store = Store::new();
    let (table, index, _) = loaded(&store);
    let reader = store.begin().unwrap();
    let mut probes = SettledProbes::default();
    let probe = |key: i64, probes: &mut SettledProbes| {
        reader.settled_index_holds(&table, &index, &IndexKey::Int(key), probes)
    };
    assert_eq!(probe(300, &mut probes), Some(false), "the token is taken");
    let mut writer = store.begin().unwrap();
    writer.insert(&table, &row(300, 300)).unwrap();
    // The entry of key 300 is the writer's, uncommitted: not the reader's to see.
    assert_eq!(
        probe(300, &mut probes),
        None,
        "a writer held the lock since"
    );
    assert!(probes.refused());
    assert_eq!(
        probe(5, &mut probes),
        None,
        "refused for the rest of the query"
    );
    writer.rollback();
}

/// A transaction that writes the table after taking its token (a statement deleting rows
/// it probes, say) stops trusting it: a delete changes no entry, yet hides the row.
#[test]
fn a_first_own_write_after_the_token_voids_it() {
    let store = Store::new();
    let (table, index, slots) = loaded(&store);
    let mut txn = store.begin().unwrap();
    let mut probes = SettledProbes::default();
    let key = IndexKey::Int(42);
    assert_eq!(
        txn.settled_index_holds(&table, &index, &key, &mut probes),
        Some(true)
    );
    txn.delete(&table, slots[42]).unwrap();
    assert_eq!(
        txn.settled_index_holds(&table, &index, &key, &mut probes),
        None
    );
    assert!(!checked(&txn, &table, &index, 42));
}

/// Writers insert, move keys, delete and roll back while readers probe in one snapshot,
/// each reusing its token across probes: every settled answer equals the checked one; a
/// writer adding and rolling back one key in a loop is never seen. Settled answers must
/// have happened, and after the writers stop and the collector runs the index is settled.
#[test]
fn settled_answers_agree_while_writers_and_the_collector_run() {
    let store = Arc::new(Store::new());
    let (table, index, _) = loaded(&store);
    let stop = Arc::new(AtomicBool::new(false));
    let settled_answers = Arc::new(AtomicU32::new(0));
    let mut writers: Vec<_> = (0..2i64)
        .map(|thread| churning_writer(&store, &table, thread, |round| 100 + round % 50))
        .collect();
    // A writer that only ever adds key 777 and rolls it back: no reader may see it.
    writers.push({
        let (store, table, stop) = (Arc::clone(&store), Arc::clone(&table), Arc::clone(&stop));
        std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                let mut txn = store.begin().unwrap();
                txn.insert(&table, &row(9_999, 777)).unwrap();
                txn.rollback();
                for _ in 0..2_000 {
                    std::hint::spin_loop();
                }
            }
        })
    });
    let readers: Vec<_> = (0..2)
        .map(|_| {
            let (store, table, index) =
                (Arc::clone(&store), Arc::clone(&table), Arc::clone(&index));
            let (stop, settled_answers) = (Arc::clone(&stop), Arc::clone(&settled_answers));
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    let txn = store.begin().unwrap();
                    let mut probes = SettledProbes::default();
                    for key in (90..160).chain([777; 20]) {
                        let ikey = IndexKey::Int(key);
                        let Some(answer) =
                            txn.settled_index_holds(&table, &index, &ikey, &mut probes)
                        else {
                            continue;
                        };
                        settled_answers.fetch_add(1, Ordering::Relaxed);
                        assert_eq!(answer, checked(&txn, &table, &index, key), "key {key}");
                        let rows = txn.settled_index_rows(&table, &index, &ikey, &mut probes);
                        if let Some(rows) = rows {
                            let checked = checked_rows(&txn, &table, &index, key);
                            assert_eq!(rows, checked, "rows of key {key}");
                        }
                    }
                }
            })
        })
        .collect();
    let rollbacks = writers.pop().unwrap();
    for writer in writers {
        writer.join().unwrap();
    }
    // Give the readers time beside the rolling-back writer alone: at least 200 ms, and on a
    // loaded machine until one settled answer came (a liveness bound, not a speed check).
    // The collector runs meanwhile, as the store's would: the churning writers' entries
    // settle only once it has collected their versions (without it, a reader that started
    // late found none settled for the whole bound).
    let started = std::time::Instant::now();
    while started.elapsed() < std::time::Duration::from_millis(200)
        || (settled_answers.load(Ordering::Relaxed) == 0
            && started.elapsed() < std::time::Duration::from_secs(20))
    {
        table.collect_garbage(store.watermark());
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    stop.store(true, Ordering::Relaxed);
    rollbacks.join().unwrap();
    for reader in readers {
        reader.join().unwrap();
    }
    assert!(
        settled_answers.load(Ordering::Relaxed) > 0,
        "no settled answer"
    );
    table.collect_garbage(store.watermark());
    let txn = store.begin().unwrap();
    settled_and_agreeing(&txn, &table, &index);
}

/// How many rows `txn` sees with `key`, by the checked lookup (every row read).
fn checked_rows(txn: &Transaction, table: &Table, index: &SecondaryIndex, key: i64) -> usize {
    let mut rows = 0;
    txn.index_lookup(
        table,
        index,
        &IndexKey::Int(key),
        &mut Vec::new(),
        |_, _| {
            rows += 1;
            true
        },
    )
    .unwrap();
    rows
}

/// Settled row counts equal the checked lookup's for keys of one, several and no rows, and
/// are refused where the entries are not exactly the visible rows (an uncommitted insert,
/// a committed delete awaiting the collector).
#[test]
fn settled_row_counts_equal_the_checked_counts() {
    let store = Store::new();
    let (table, index, _) = loaded(&store);
    let mut txn = store.begin().unwrap();
    // Keys 0..10 get 1..=10 more rows each (key k: k + 1 rows beyond the loaded one).
    let mut extra = Vec::new();
    for key in 0..10i64 {
        for copy in 0..=key {
            extra.push(
                txn.insert(&table, &row(1_000 + key * 20 + copy, key))
                    .unwrap(),
            );
        }
    }
    txn.commit().unwrap();
    let counts = |txn: &Transaction| {
        let mut probes = SettledProbes::default();
        (-1..=101)
            .map(|key| {
                let settled =
                    txn.settled_index_rows(&table, &index, &IndexKey::Int(key), &mut probes);
                (settled, checked_rows(txn, &table, &index, key))
            })
            .collect::<Vec<_>>()
    };
    let reader = store.begin().unwrap();
    for (key, (settled, checked)) in (-1..).zip(counts(&reader)) {
        assert_eq!(settled, Some(checked), "key {key}");
    }
    assert_eq!(checked_rows(&reader, &table, &index, 9), 11);
    drop(reader);
    let mut writer = store.begin().unwrap();
    writer.insert(&table, &row(5_000, 3)).unwrap();
    let reader = store.begin().unwrap();
    assert!(counts(&reader).iter().all(|(settled, _)| settled.is_none()));
    drop(reader);
    writer.rollback();
    let mut txn = store.begin().unwrap();
    txn.delete(&table, extra[0]).unwrap();
    txn.commit().unwrap();
    let reader = store.begin().unwrap();
    assert!(counts(&reader).iter().all(|(settled, _)| settled.is_none()));
    drop(reader);
    table.collect_garbage(store.watermark());
    let reader = store.begin().unwrap();
    for (key, (settled, checked)) in (-1..).zip(counts(&reader)) {
        assert_eq!(settled, Some(checked), "key {key} after the collector");
    }
    assert_eq!(checked_rows(&reader, &table, &index, 0), 1);
}
