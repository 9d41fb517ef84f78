//! Tests of `Transaction::update_columns_each`: the same rows and index entries as
//! `update_columns` one row at a time, across batches and both row paths; an index created
//! while batched updates run misses no row; a failing row leaves the statement to undo.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Barrier};

use crate::error::{StorageError, StorageErrorKind};
use crate::index::{IndexKey, SecondaryIndex};
use crate::store::Store;
use crate::value::{DataType, Value};
use crate::{RowId, Table, TableSchema, Transaction};

/// (id INTEGER PRIMARY KEY, a INTEGER, c REAL), rows 0..count with a = id, c = 0.5.
fn table_of(store: &Store, count: i64) -> Arc<Table> {
    let table = store.create_table(TableSchema {
        types: vec![DataType::Integer, DataType::Integer, DataType::Real],
        key_columns: vec![0],
        added: Vec::new(),
    });
    let mut txn = store.begin().unwrap();
    for id in 0..count {
        let row = [Value::Integer(id), Value::Integer(id), Value::Real(0.5)];
        txn.insert(&table, &row).unwrap();
    }
    txn.commit().unwrap();
    // Collected and frozen, so the updates below thaw their rows.
    table.collect_garbage(store.watermark());
    table
}

/// Every visible row of `table`, in row order.
fn rows_of(store: &Store, table: &Table) -> Vec<(RowId, Vec<Value>)> {
    let txn = store.begin().unwrap();
    let mut rows = Vec::new();
    txn.scan_batch(table, 0..u64::MAX, &mut Vec::new(), |row, values| {
        rows.push((row, values.clone()));
        true
    })
    .unwrap();
    rows
}

fn row_ids(store: &Store, table: &Table) -> Vec<RowId> {
    rows_of(store, table)
        .into_iter()
        .map(|(row, _)| row)
        .collect()
}

/// The ids `txn` finds under `key` through `index`, sorted.
fn lookup(txn: &Transaction, table: &Table, index: &SecondaryIndex, key: i64) -> Vec<i64> {
    let mut ids = Vec::new();
    txn.index_lookup(
        table,
        index,
        &IndexKey::Int(key),
        &mut Vec::new(),
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

fn no_prepare(_: &mut [(usize, Value)]) -> Result<(), StorageError> {
    Ok(())
}

/// Changes for `rows`: `a` (indexed on one table) and `c`, from the row's position.
fn changes_for(rows: &[RowId], round: i64) -> Vec<(usize, Value)> {
    (0..rows.len() as i64)
        .flat_map(|at| {
            [
                (1, Value::Integer(at * 3 + round)),
                (2, Value::Real(at as f64 + 0.25)),
            ]
        })
        .collect()
}

#[test]
fn batched_updates_write_what_one_row_at_a_time_writes() {
    // 1,000 rows: several batches, the last one partial. One table has an index on `a`
    // (every row takes the one-row path), the other none (every row is batched).
    for indexed in [false, true] {
        let store = Store::new();
        let batched = table_of(&store, 1000);
        let single = table_of(&store, 1000);
        let indexes = indexed.then(|| {
            (
                batched.create_index("a_b", vec![1], false).unwrap(),
                single.create_index("a_s", vec![1], false).unwrap(),
            )
        });
        let rows = row_ids(&store, &batched);
        assert_eq!(rows, row_ids(&store, &single));
        for round in 0..3 {
            let mut changes = changes_for(&rows, round);
            let mut txn = store.begin().unwrap();
            let each = (&rows[..], 2);
            txn.update_columns_each(&batched, each, &mut changes, no_prepare, |e| e)
                .unwrap();
            for (at, row) in rows.iter().enumerate() {
                txn.update_columns(&single, *row, &changes[at * 2..at * 2 + 2])
                    .unwrap();
            }
            txn.commit().unwrap();
        }
        let (got, expected) = (rows_of(&store, &batched), rows_of(&store, &single));
        assert_eq!(got, expected);
        assert_eq!(got[999].1[1], Value::Integer(999 * 3 + 2));
        if let Some((batched_index, _)) = indexes {
            let txn = store.begin().unwrap();
            for (_, values) in got.iter().step_by(37) {
                let (Value::Integer(id), Value::Integer(a)) = (&values[0], &values[1]) else {
                    panic!("bad row {values:?}")
                };
                assert_eq!(lookup(&txn, &batched, &batched_index, *a), [*id]);
            }
        }
        batched.collect_garbage(store.watermark());
        assert_eq!(batched.sweep_index_entries(), 0, "no stale entry");
    }
}

#[test]
fn a_key_change_in_a_batch_moves_its_row() {
    let store = Store::new();
    let table = table_of(&store, 300);
    let rows = row_ids(&store, &table);
    // Row 150 gets a new key; the others a new `c`.
    let mut changes: Vec<(usize, Value)> = rows
        .iter()
        .enumerate()
        .map(|(at, _)| match at {
            150 => (0, Value::Integer(5000)),
            _ => (2, Value::Real(1.5)),
        })
        .collect();
    let mut txn = store.begin().unwrap();
    txn.update_columns_each(&table, (&rows[..], 1), &mut changes, no_prepare, |e| e)
        .unwrap();
    txn.commit().unwrap();
    let txn = store.begin().unwrap();
    assert!(txn.find_key(&table, &IndexKey::Int(150)).is_none());
    let mut moved = Vec::new();
    txn.read_key(&table, &IndexKey::Int(5000), &mut moved)
        .unwrap();
    assert_eq!(
        moved,
        [Value::Integer(5000), Value::Integer(150), Value::Real(0.5)]
    );
    let reals = rows_of(&store, &table)
        .iter()
        .filter(|(_, values)| values[2] == Value::Real(1.5))
        .count();
    assert_eq!(reals, 299);
}

#[test]
fn a_failing_row_leaves_the_statement_to_undo() {
    let store = Store::new();
    let table = table_of(&store, 400);
    let index = table.create_index("c", vec![2], false).unwrap();
    let before = rows_of(&store, &table);
    let rows = row_ids(&store, &table);
    let mut changes = changes_for(&rows, 0);
    let mut txn = store.begin().unwrap();
    let savepoint = txn.savepoint();
    let mut seen = 0;
    let failing = |_: &mut [(usize, Value)]| {
        seen += 1;
        match seen {
            300 => Err(StorageError::new(StorageErrorKind::InvalidData, "row 300")),
            _ => Ok(()),
        }
    };
    let error = txn
        .update_columns_each(&table, (&rows[..], 2), &mut changes, failing, |e| e)
        .unwrap_err();
    assert_eq!(error.message, "row 300");
    txn.rollback_to(savepoint);
    txn.commit().unwrap();
    assert_eq!(rows_of(&store, &table), before);
    table.collect_garbage(store.watermark());
    assert_eq!(table.sweep_index_entries(), 0);
    assert_eq!(index.entries(), 400);
}

#[test]
fn changes_not_a_multiple_of_the_width_are_refused() {
    let store = Store::new();
    let table = table_of(&store, 3);
    let rows = row_ids(&store, &table);
    let mut changes = vec![(2, Value::Real(1.0))];
    let mut txn = store.begin().unwrap();
    let error = txn
        .update_columns_each(&table, (&rows[..], 1), &mut changes, no_prepare, |e| e)
        .unwrap_err();
    assert_eq!(error.kind, StorageErrorKind::InvalidData);
    drop(txn);
    assert_eq!(rows_of(&store, &table)[0].1[2], Value::Real(0.5));
}

#[test]
fn an_index_created_while_batched_updates_run_misses_no_row() {
    // Each writer stops after the round during which the index appeared, so the rows'
    // last versions are the ones linked while it was populated (not overwritten later by
    // the one-row path, which indexes them itself). Repeated: the overlap is a race.
    for _ in 0..20 {
        index_created_under_batched_updates();
    }
}

fn index_created_under_batched_updates() {
    const ROWS: i64 = 3000;
    const WRITERS: usize = 3;
    let store = Store::new();
    let table = table_of(&store, ROWS);
    let rows = row_ids(&store, &table);
    let started = Arc::new(Barrier::new(WRITERS + 1));
    let created = Arc::new(AtomicBool::new(false));
    let writers: Vec<_> = (0..WRITERS)
        .map(|writer| {
            let (store, table) = (store.clone(), Arc::clone(&table));
            let (started, created) = (Arc::clone(&started), Arc::clone(&created));
            // Each writer owns every WRITERS-th row: no write conflicts.
            let mine: Vec<RowId> = rows.iter().copied().skip(writer).step_by(WRITERS).collect();
            std::thread::spawn(move || {
                started.wait();
                for round in 1i64.. {
                    // `a` becomes a value no other row has: id + round * 1,000,000.
                    let mut changes: Vec<(usize, Value)> = mine
                        .iter()
                        .map(|row| (1, Value::Integer(*row as i64 + round * 1_000_000)))
                        .collect();
                    let mut txn = store.begin().unwrap();
                    let each = (&mine[..], 1);
                    txn.update_columns_each(&table, each, &mut changes, no_prepare, |e| e)
                        .unwrap();
                    txn.commit().unwrap();
                    if created.load(Ordering::Acquire) {
                        return round;
                    }
                }
                unreachable!("the loop returns")
            })
        })
        .collect();
    started.wait();
    let index = table.create_index("a", vec![1], true).unwrap();
    created.store(true, Ordering::Release);
    for writer in writers {
        assert!(writer.join().unwrap() >= 1);
    }
    let reader = store.begin().unwrap();
    let rows = rows_of(&store, &table);
    assert_eq!(rows.len() as i64, ROWS);
    for (_, values) in &rows {
        let (Value::Integer(id), Value::Integer(a)) = (&values[0], &values[1]) else {
            panic!("bad row {values:?}")
        };
        assert_eq!(lookup(&reader, &table, &index, *a), [*id], "a = {a}");
    }
    drop(reader);
    table.collect_garbage(store.watermark());
    assert_eq!(table.sweep_index_entries(), 0, "no stale entry");
    assert_eq!(index.entries(), ROWS as usize);
}
