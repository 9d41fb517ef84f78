//! Tests of emptying a table's indexes whole when a collection leaves it without a row: the
//! entries left are exactly those of the rows left, when every row went, when an
//! uncommitted insert holds a slot, and while inserters race deletes of every row.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use super::super::unindex::tests::{ordered_entries, ordered_table, row};
use crate::error::StorageError;
use crate::index::SecondaryIndex;
use crate::store::Store;
use crate::{StorageErrorKind, Table, Transaction};

fn insert_rows(store: &Store, table: &Arc<Table>, keys: std::ops::Range<i64>) {
    let mut txn = store.begin().unwrap();
    for key in keys {
        txn.insert(table, &row(key, key % 101)).unwrap();
    }
    txn.commit().unwrap();
}

fn delete_all(txn: &mut Transaction, table: &Arc<Table>) -> Result<u64, StorageError> {
    txn.delete_visible_rows(table, |_| Ok(()), |error| error)
}

/// After a collection with no snapshot held: the ordered entries are exactly the live
/// rows' (slot, key), no stale entry is left and the hash map has one entry per row.
fn check_exact(store: &Store, table: &Table, index: &SecondaryIndex) {
    table.collect_garbage(store.watermark());
    let txn = store.begin().unwrap();
    let ordered = index.ordered().expect("an ordered index");
    let mut expected = BTreeSet::new();
    let mut values = Vec::new();
    for slot in 0..table.slots_in_use() {
        if txn.read_row(table, slot, &mut values).unwrap() {
            expected.insert((ordered.encode(&[1], &values), slot));
        }
    }
    assert_eq!(
        ordered_entries(index),
        expected,
        "ordered entries of the live rows"
    );
    assert_eq!(table.sweep_index_entries(), 0, "no stale entry left");
    assert_eq!(
        index.entries(),
        expected.len(),
        "one hash entry per live row"
    );
}

#[test]
fn a_delete_of_every_row_empties_the_index_and_new_rows_are_indexed() {
    let store = Store::new();
    let (table, index) = ordered_table(&store);
    for round in 0..3 {
        insert_rows(&store, &table, round * 5000..round * 5000 + 4000);
        let mut txn = store.begin().unwrap();
        assert_eq!(delete_all(&mut txn, &table).unwrap(), 4000);
        txn.commit().unwrap();
        // The commit's collection emptied the index.
        assert_eq!(index.entries(), 0, "round {round}");
        assert_eq!(index.ordered().map(|o| o.len()), Some(0), "round {round}");
        check_exact(&store, &table, &index);
    }
    insert_rows(&store, &table, 0..1500);
    check_exact(&store, &table, &index);
    assert_eq!(index.entries(), 1500);
}

#[test]
fn an_uncommitted_insert_keeps_its_entry_through_a_delete_of_every_other_row() {
    let store = Store::new();
    let (table, index) = ordered_table(&store);
    insert_rows(&store, &table, 0..3000);
    let mut late = store.begin().unwrap();
    late.insert(&table, &row(9000, 7)).unwrap();
    let mut txn = store.begin().unwrap();
    assert_eq!(delete_all(&mut txn, &table).unwrap(), 3000);
    txn.commit().unwrap();
    late.commit().unwrap();
    check_exact(&store, &table, &index);
    assert_eq!(index.entries(), 1);
}

/// Inserters commit rows while a third thread deletes every row over and over: whenever
/// a delete's collection empties the index whole, an insert racing it keeps its entry.
#[test]
fn inserters_racing_deletes_of_every_row_keep_their_entries() {
    let store = Arc::new(Store::new());
    let (table, index) = ordered_table(&store);
    insert_rows(&store, &table, 0..2000);
    let done = Arc::new(AtomicBool::new(false));
    let inserters: Vec<_> = (0..2i64)
        .map(|thread| {
            let (store, table) = (Arc::clone(&store), Arc::clone(&table));
            std::thread::spawn(move || {
                for i in 0..1500i64 {
                    let key = 10_000 + thread * 10_000 + i;
                    insert_rows(&store, &table, key..key + 1);
                }
            })
        })
        .collect();
    let deleter = {
        let (store, table, done) = (Arc::clone(&store), Arc::clone(&table), Arc::clone(&done));
        std::thread::spawn(move || {
            let mut deleted = 0u64;
            while !done.load(Ordering::Relaxed) {
                let mut txn = store.begin().unwrap();
                match delete_all(&mut txn, &table) {
                    Ok(rows) => match txn.commit() {
                        Ok(_) => deleted += rows,
                        Err(error) => assert_eq!(error.kind, StorageErrorKind::Conflict),
                    },
                    Err(error) => assert_eq!(error.kind, StorageErrorKind::Conflict),
                }
            }
            deleted
        })
    };
    for inserter in inserters {
        inserter.join().unwrap();
    }
    done.store(true, Ordering::Relaxed);
    let deleted = deleter.join().unwrap();
    check_exact(&store, &table, &index);
    assert_eq!(
        deleted + index.entries() as u64,
        5000,
        "each row deleted once or left"
    );
}
