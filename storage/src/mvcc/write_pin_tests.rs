//! Tests of `WritePin`: the pin is renewed every `WRITES_PER_PIN` writes, so a long
//! statement does not hold reclamation back; pinned writes under concurrent readers,
//! writers and collectors keep every invariant.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use crossbeam_epoch as epoch;

use super::*;
use crate::index::{IndexKey, SecondaryIndex};
use crate::store::Store;
use crate::value::{DataType, Value};
use crate::{Table, TableSchema};

/// Held by the tests whose threads keep pins (their writers' `WritePin`s): the test of the
/// pin's renewal counts epoch advances, which a thread pinned elsewhere in the process
/// would hold back.
static LONG_PINS: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// A table (key, balance, note) with an index on the note, `rows` rows of balance 100.
fn accounts(store: &Store, rows: i64) -> (Arc<Table>, Vec<RowId>, Arc<SecondaryIndex>) {
    let table = store.create_table(TableSchema {
        types: vec![DataType::Integer, DataType::Integer, DataType::Integer],
        key_columns: vec![0],
        added: Vec::new(),
    });
    let index = table.create_index("by_note", vec![2], false).unwrap();
    let mut txn = store.begin().unwrap();
    let ids = (0..rows)
        .map(|k| {
            let row = [
                Value::Integer(k),
                Value::Integer(100),
                Value::Integer(k % 7),
            ];
            txn.insert(&table, &row).unwrap()
        })
        .collect();
    txn.commit().unwrap();
    (table, ids, index)
}

fn balance(txn: &Transaction, table: &Table, row: RowId, out: &mut Vec<Value>) -> i64 {
    assert!(txn.read_row(table, row, out).unwrap(), "row {row} vanished");
    match out[1] {
        Value::Integer(balance) => balance,
        ref other => panic!("balance {other:?}"),
    }
}

/// The pin counts the writes made under it and starts again after `WRITES_PER_PIN`.
#[test]
fn the_pin_is_renewed_every_writes_per_pin_writes() {
    let store = Store::new();
    let (table, rows, _) = accounts(&store, 10);
    let mut txn = store.begin().unwrap();
    let mut pin = WritePin::new();
    for i in 0..(2 * WRITES_PER_PIN + 3) {
        let row = rows[i as usize % rows.len()];
        txn.update_columns_pinned(&mut pin, &table, row, &[(1, Value::Integer(i.into()))])
            .unwrap();
        assert_eq!(pin.writes_under_pin(), i % WRITES_PER_PIN + 1, "write {i}");
    }
    txn.commit().unwrap();
}

/// A writer holds one `WritePin` across many writes, made in rounds of 300 that the test
/// asks for, while the test thread has a function deferred and, between rounds, tries to
/// advance the epoch (each `flush` does): the epoch moves past the writer's pin at each
/// renewal, so the function runs within a few rounds. Fails if the pin is never renewed
/// (the epoch cannot advance twice past a thread pinned all along).
#[test]
fn a_long_pinned_statement_does_not_hold_reclamation_back() {
    use std::sync::mpsc::channel;
    let _alone = LONG_PINS
        .lock()
        .unwrap_or_else(|poison| poison.into_inner());
    let store = Store::new();
    let (table, rows, _) = accounts(&store, 64);
    let (ask, asked) = channel::<u32>();
    let (tell, told) = channel::<()>();
    let writer = std::thread::spawn(move || {
        let mut txn = store.begin().unwrap();
        let mut pin = WritePin::new();
        let mut writes = 0usize;
        tell.send(()).unwrap();
        while let Ok(count @ 1..) = asked.recv() {
            for _ in 0..count {
                let row = rows[writes % rows.len()];
                let change = [(1, Value::Integer(writes as i64))];
                txn.update_columns_pinned(&mut pin, &table, row, &change)
                    .unwrap();
                writes += 1;
            }
            tell.send(()).unwrap();
        }
        drop(pin);
        txn.rollback();
    });
    told.recv().unwrap();
    let ran = Arc::new(AtomicBool::new(false));
    {
        let guard = epoch::pin();
        let ran = Arc::clone(&ran);
        guard.defer(move || ran.store(true, Ordering::Release));
        guard.flush();
    }
    let mut rounds = 0;
    while !ran.load(Ordering::Acquire) && rounds < 200 {
        ask.send(300).unwrap();
        told.recv().unwrap();
        for _ in 0..20 {
            epoch::pin().flush();
        }
        rounds += 1;
    }
    ask.send(0).unwrap();
    writer.join().unwrap();
    assert!(
        ran.load(Ordering::Acquire),
        "the deferred function waited for the whole statement ({rounds} rounds)"
    );
}

/// Transfers between accounts by pinned updates (some rolled back, some under savepoints
/// undone), pinned deletes and re-inserts, while readers check that every snapshot sees the
/// total it should and a collector runs. At the end: the total is kept, the index finds
/// each row by its note exactly once, and nothing stale is left.
#[test]
fn pinned_writes_under_concurrent_readers_writers_and_collectors_keep_the_total() {
    let _alone = LONG_PINS
        .lock()
        .unwrap_or_else(|poison| poison.into_inner());
    let store = Store::new();
    let (table, rows, index) = accounts(&store, 600);
    let total = 100 * rows.len() as i64;
    let stop = Arc::new(AtomicBool::new(false));
    let commits = Arc::new(AtomicU64::new(0));
    let readers: Vec<_> = (0..2)
        .map(|_| {
            let (store, table, rows, stop) =
                (store.clone(), table.clone(), rows.clone(), stop.clone());
            std::thread::spawn(move || {
                let mut out = Vec::new();
                while !stop.load(Ordering::Relaxed) {
                    let txn = store.begin().unwrap();
                    let sum: i64 = rows
                        .iter()
                        .map(|&row| balance(&txn, &table, row, &mut out))
                        .sum();
                    assert_eq!(sum, total, "a snapshot saw a half-done transfer");
                }
            })
        })
        .collect();
    let collector = {
        let (store, table, stop) = (store.clone(), table.clone(), stop.clone());
        std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                table.collect_garbage(store.watermark());
            }
        })
    };
    let writers: Vec<_> = (0..3u64)
        .map(|seed| {
            let (store, table, rows, commits) =
                (store.clone(), table.clone(), rows.clone(), commits.clone());
            std::thread::spawn(move || {
                let mut rng = fastrand::Rng::with_seed(seed);
                let mut out = Vec::new();
                for round in 0..60 {
                    let mut txn = store.begin().unwrap();
                    let mut pin = WritePin::new();
                    // A run of 300 transfers (past a pin renewal) of 1 from one row to the next.
                    let start = rng.usize(0..rows.len());
                    let undone_from = (round % 4 == 1).then(|| txn.savepoint());
                    let mut failed = false;
                    for step in 0..300 {
                        let (from, to) = (
                            rows[(start + step) % rows.len()],
                            rows[(start + step + 1) % rows.len()],
                        );
                        for (row, delta) in [(from, -1), (to, 1)] {
                            let now = balance(&txn, &table, row, &mut out);
                            let note = Value::Integer(rng.i64(0..7));
                            let change = [(1, Value::Integer(now + delta)), (2, note)];
                            if txn
                                .update_columns_pinned(&mut pin, &table, row, &change)
                                .is_err()
                            {
                                failed = true;
                                break;
                            }
                        }
                        if failed {
                            break;
                        }
                    }
                    if let (Some(savepoint), false) = (undone_from, failed) {
                        txn.rollback_to(savepoint);
                    }
                    drop(pin);
                    if failed || round % 5 == 0 {
                        txn.rollback();
                    } else {
                        txn.commit().unwrap();
                        commits.fetch_add(1, Ordering::Relaxed);
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
    collector.join().unwrap();
    assert!(commits.load(Ordering::Relaxed) > 0, "no transfer committed");
    // Pinned deletes of every other row and their re-insertion keep the total too.
    let mut txn = store.begin().unwrap();
    let mut pin = WritePin::new();
    let mut kept = Vec::new();
    for (at, &row) in rows.iter().enumerate() {
        let mut values = Vec::new();
        assert!(txn.read_row(&table, row, &mut values).unwrap());
        if at % 2 == 0 {
            txn.delete_pinned(&mut pin, &table, row).unwrap();
        }
        kept.push(values);
    }
    drop(pin);
    for values in kept.iter().step_by(2) {
        txn.insert(&table, values).unwrap();
    }
    txn.commit().unwrap();
    table.collect_garbage(store.watermark());
    let reader = store.begin().unwrap();
    let mut sum = 0;
    for values in &kept {
        let key = IndexKey::Int(match values[0] {
            Value::Integer(key) => key,
            _ => unreachable!(),
        });
        let row = reader.find_key(&table, &key).expect("every key is back");
        let mut out = Vec::new();
        sum += balance(&reader, &table, row, &mut out);
        let note = IndexKey::from_values([&out[2]]).unwrap();
        let mut found = 0;
        reader
            .index_lookup(&table, &index, &note, &mut Vec::new(), |id, _| {
                found += usize::from(id == row);
                true
            })
            .unwrap();
        assert_eq!(found, 1, "the index finds key {key:?} by its note once");
    }
    assert_eq!(sum, total);
    assert_eq!(table.sweep_index_entries(), 0, "nothing stale is left");
}
