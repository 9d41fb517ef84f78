//! Tests of rows read from settled index entries: a walk whose decoder reads only key
//! parts (and the clustered key) gives the rows the checked walk gives (which reads every
//! row), with ties, NULLs, escaped bytes, overflow keys, uncommitted writers, deletes and
//! key changes awaiting the collector, old snapshots, own writes, a NOCASE key (never read
//! back), and a writer adding and rolling back entries during the walks.

use std::ops::Bound;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use super::ROWS_FROM_ENTRIES;
use crate::index::{KeyCollation, SecondaryIndex};
use crate::store::Store;
use crate::value::{DataType, Value};
use crate::{RangeProgress, RangeScratch, Table, TableSchema, Transaction};

/// A table (id INTEGER PRIMARY KEY, k TEXT, b INTEGER), clustered on id, with an ordered
/// index on k under `collation`.
fn table_with(store: &Store, collation: KeyCollation) -> (Arc<Table>, Arc<SecondaryIndex>) {
    let table = store.create_table(TableSchema {
        types: vec![DataType::Integer, DataType::Text, DataType::Integer],
        key_columns: vec![0],
        added: Vec::new(),
    });
    let index = table
        .create_index_with("k_index", vec![1], false, Some(vec![collation]))
        .unwrap();
    (table, index)
}

fn key_of(n: i64) -> Value {
    match n % 11 {
        0 => Value::Null,
        1 => Value::Text(format!("zero\0{}", n % 3)),
        2 => Value::Text(format!("K{}", n % 17)),
        3 => Value::Text(String::new()),
        _ => Value::Text(format!("k{}", n % 23)),
    }
}

fn row(id: i64, key: Value) -> [Value; 3] {
    [Value::Integer(id), key, Value::Integer(id * 2)]
}

/// `(id, k)` of the rows a walk reaches in `(lower, upper)`, `batch` entries per call;
/// `key_only`: the decoder reads id and k only (entries may give them), else every column
/// (the rows are read and checked).
fn walk(
    txn: &Transaction,
    table: &Arc<Table>,
    index: &SecondaryIndex,
    (lower, upper): (Bound<Vec<u8>>, Bound<Vec<u8>>),
    reverse: bool,
    batch: usize,
    key_only: bool,
) -> Vec<(Value, Value)> {
    let wanted = [true, true, false];
    let decoder = table.schema().decoder(key_only.then_some(&wanted[..]));
    let (mut lower, mut upper) = (lower, upper);
    let (mut rows, mut buffer, mut scratch) = (Vec::new(), Vec::new(), RangeScratch::default());
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
                    assert_eq!(values.len(), 3);
                    if key_only {
                        assert_eq!(values[2], Value::Null, "an undecoded column");
                    }
                    rows.push((values[0].clone(), values[1].clone()));
                    true
                },
            )
            .unwrap();
        match progress {
            RangeProgress::Done => return rows,
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

fn bound(index: &SecondaryIndex, key: &str) -> Vec<u8> {
    let values = [Value::Null, Value::Text(key.into())];
    index.ordered_key_of(&values).unwrap()
}

/// Asserts key-only walks agree with checked ones over several ranges, both directions
/// and several batch sizes; returns the rows read from entries meanwhile.
fn walks_agree(txn: &Transaction, table: &Arc<Table>, index: &SecondaryIndex) -> u64 {
    let before = ROWS_FROM_ENTRIES.with(|rows| rows.get());
    let ranges = [
        (Bound::Unbounded, Bound::Unbounded),
        (
            Bound::Included(bound(index, "k1")),
            Bound::Excluded(bound(index, "k2")),
        ),
        (
            Bound::Included(bound(index, "")),
            Bound::Included(bound(index, "zero")),
        ),
    ];
    for range in ranges {
        for reverse in [false, true] {
            let expected = walk(txn, table, index, range.clone(), reverse, usize::MAX, false);
            for batch in [1, 7, usize::MAX] {
                let rows = walk(txn, table, index, range.clone(), reverse, batch, true);
                assert_eq!(rows, expected, "{range:?} reverse {reverse} batch {batch}");
            }
        }
    }
    ROWS_FROM_ENTRIES.with(|rows| rows.get()) - before
}

fn loaded(store: &Store, collation: KeyCollation) -> (Arc<Table>, Arc<SecondaryIndex>) {
    let (table, index) = table_with(store, collation);
    let mut txn = store.begin().unwrap();
    for id in 1..=300 {
        txn.insert(&table, &row(id, key_of(id))).unwrap();
    }
    txn.commit().unwrap();
    (table, index)
}

#[test]
fn a_settled_index_gives_key_only_rows_from_its_entries() {
    let store = Store::new();
    let (table, index) = loaded(&store, KeyCollation::Binary);
    let txn = store.begin().unwrap();
    let rows = walk(
        &txn,
        &table,
        &index,
        (Bound::Unbounded, Bound::Unbounded),
        false,
        9,
        true,
    );
    assert_eq!(rows.len(), 300);
    assert!(rows.contains(&(Value::Integer(12), Value::Text("zero\u{0}0".into()))));
    assert!(walks_agree(&txn, &table, &index) > 0, "entries were read");
}

#[test]
fn a_nocase_key_is_never_read_back() {
    let store = Store::new();
    let (table, index) = loaded(&store, KeyCollation::NoCase);
    let txn = store.begin().unwrap();
    assert_eq!(walks_agree(&txn, &table, &index), 0);
    let rows = walk(
        &txn,
        &table,
        &index,
        (Bound::Unbounded, Bound::Unbounded),
        false,
        9,
        true,
    );
    assert!(rows.contains(&(Value::Integer(2), Value::Text("K2".into()))));
}

#[test]
fn unsettled_indexes_and_overflow_rows_are_read_from_rows() {
    let store = Store::new();
    let (table, index) = loaded(&store, KeyCollation::Binary);
    let old = store.begin().unwrap();
    // Committed: a delete and a key change (stale entries until collected), an overflow
    // key (its row id is not its key).
    let mut txn = store.begin().unwrap();
    txn.delete(&table, 15).unwrap();
    txn.update(&table, 16, &row(16, Value::Text("k1moved".into())))
        .unwrap();
    txn.insert(&table, &row(-5, Value::Text("k1neg".into())))
        .unwrap();
    txn.commit().unwrap();
    let reader = store.begin().unwrap();
    walks_agree(&reader, &table, &index);
    walks_agree(&old, &table, &index);
    drop((reader, old));
    table.collect_garbage(store.watermark());
    // Settled again; the overflow row's entry stops reading from entries for its batch.
    let reader = store.begin().unwrap();
    assert!(walks_agree(&reader, &table, &index) > 0);
    // Uncommitted writes of another transaction, and own writes.
    let mut writer = store.begin().unwrap();
    writer
        .insert(&table, &row(900, Value::Text("k1new".into())))
        .unwrap();
    writer
        .update(&table, 20, &row(20, Value::Text("k10".into())))
        .unwrap();
    let other = store.begin().unwrap();
    walks_agree(&other, &table, &index);
    walks_agree(&writer, &table, &index);
    let mut deleter = store.begin().unwrap();
    drop(writer);
    deleter.delete(&table, 40).unwrap();
    let rows = walk(
        &deleter,
        &table,
        &index,
        (Bound::Unbounded, Bound::Unbounded),
        false,
        9,
        true,
    );
    assert!(
        !rows.iter().any(|(id, _)| *id == Value::Integer(40)),
        "own delete"
    );
    walks_agree(&deleter, &table, &index);
    // After the writer rolled back.
    let txn = store.begin().unwrap();
    walks_agree(&txn, &table, &index);
}

/// A writer adds an uncommitted entry and rolls it back, over and over, while readers walk
/// the whole index reading rows from entries: no walk may return the writer's row.
#[test]
fn entries_added_during_a_key_only_walk_are_not_returned() {
    const ROWS: i64 = 4_000;
    let store = Arc::new(Store::new());
    let (table, index) = table_with(&store, KeyCollation::Binary);
    let mut txn = store.begin().unwrap();
    for id in 1..=ROWS {
        txn.insert(&table, &row(id, Value::Text(format!("{id:05}"))))
            .unwrap();
    }
    txn.commit().unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let (store, table, stop) = (Arc::clone(&store), Arc::clone(&table), Arc::clone(&stop));
        std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                let mut txn = store.begin().unwrap();
                txn.insert(&table, &row(ROWS + 1, Value::Text("02000x".into())))
                    .unwrap();
                txn.rollback();
                for _ in 0..2_000 {
                    std::hint::spin_loop();
                }
            }
        })
    };
    let start = std::time::Instant::now();
    let mut from_entries = 0;
    while from_entries < 200 * ROWS as u64 && start.elapsed() < std::time::Duration::from_secs(5) {
        let before = ROWS_FROM_ENTRIES.with(|rows| rows.get());
        let txn = store.begin().unwrap();
        let whole = (Bound::Unbounded, Bound::Unbounded);
        let rows = walk(&txn, &table, &index, whole, false, usize::MAX, true);
        assert_eq!(rows.len(), ROWS as usize);
        from_entries += ROWS_FROM_ENTRIES.with(|rows| rows.get()) - before;
    }
    stop.store(true, Ordering::Relaxed);
    writer.join().unwrap();
    assert!(from_entries > 0, "some walks read entries");
}
