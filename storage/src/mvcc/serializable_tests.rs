//! Tests of SERIALIZABLE validation at the storage level: write skew and phantoms are
//! refused for SERIALIZABLE writers and allowed under SNAPSHOT, reads by key conflict only
//! with writes of the same row, and the open count and log end with the transactions; key
//! ranges of ordered indexes conflict only with writes of rows whose keys lie within them.

use std::ops::Bound;
use std::sync::Arc;

use crate::error::StorageErrorKind;
use crate::index::{IndexKey, KeyCollation};
use crate::mvcc::{Isolation, Table, TableSchema, READ_RANGES_MAX};
use crate::store::Store;
use crate::value::{DataType, Value};

use super::ordered_read::tests::range_ids;

fn doctors(store: &Store) -> Arc<Table> {
    let table = store.create_table(TableSchema {
        types: vec![DataType::Integer, DataType::Integer],
        key_columns: vec![0],
        added: Vec::new(),
    });
    let mut setup = store.begin().unwrap();
    for id in 1..=2 {
        setup
            .insert(&table, &[Value::Integer(id), Value::Integer(1)])
            .unwrap();
    }
    setup.commit().unwrap();
    table
}

/// Rows on call, counted by a scan.
fn on_call(txn: &crate::mvcc::Transaction, table: &Table) -> i64 {
    let mut count = 0;
    let mut buffer = Vec::new();
    for range in table.row_ranges() {
        txn.scan_batch(table, range, &mut buffer, |_, row| {
            count += i64::from(row[1] == Value::Integer(1));
            true
        })
        .unwrap();
    }
    count
}

fn go_off_call(txn: &mut crate::mvcc::Transaction, table: &Arc<Table>, id: i64) {
    let row = txn.find_key(table, &IndexKey::Int(id)).unwrap();
    txn.update(table, row, &[Value::Integer(id), Value::Integer(0)])
        .unwrap();
}

/// Two transactions each see two doctors on call and take one off; returns whether the
/// second commit succeeded.
fn write_skew(isolation: Isolation) -> bool {
    let store = Store::new();
    let table = doctors(&store);
    let mut first = store.begin_with(isolation).unwrap();
    let mut second = store.begin_with(isolation).unwrap();
    assert_eq!(on_call(&first, &table), 2);
    assert_eq!(on_call(&second, &table), 2);
    go_off_call(&mut first, &table, 1);
    go_off_call(&mut second, &table, 2);
    first.commit().unwrap();
    match second.commit() {
        Ok(_) => {
            assert_eq!(on_call(&store.begin().unwrap(), &table), 0);
            true
        }
        Err(error) => {
            assert_eq!(error.kind, StorageErrorKind::Conflict);
            assert!(error.message.contains(&format!("table #{}", table.id())));
            assert_eq!(on_call(&store.begin().unwrap(), &table), 1);
            false
        }
    }
}

#[test]
fn write_skew_commits_under_snapshot_and_is_refused_under_serializable() {
    assert!(write_skew(Isolation::Snapshot));
    assert!(!write_skew(Isolation::Serializable));
}

#[test]
fn an_insert_into_a_scanned_table_is_a_conflict() {
    let store = Store::new();
    let table = doctors(&store);
    let mut scanner = store.begin_with(Isolation::Serializable).unwrap();
    assert_eq!(on_call(&scanner, &table), 2);
    let mut inserter = store.begin_with(Isolation::Serializable).unwrap();
    inserter
        .insert(&table, &[Value::Integer(3), Value::Integer(1)])
        .unwrap();
    inserter.commit().unwrap();
    go_off_call(&mut scanner, &table, 1);
    let refused = scanner.commit().unwrap_err();
    assert_eq!(refused.kind, StorageErrorKind::Conflict);
    assert_eq!(store.serial_stats().conflicts, 1);
}

#[test]
fn an_absent_key_read_conflicts_with_its_insert() {
    let store = Store::new();
    let table = doctors(&store);
    let mut reader = store.begin_with(Isolation::Serializable).unwrap();
    assert!(reader.find_key(&table, &IndexKey::Int(9)).is_none());
    let mut inserter = store.begin().unwrap();
    inserter
        .insert(&table, &[Value::Integer(9), Value::Integer(0)])
        .unwrap();
    inserter.commit().unwrap();
    go_off_call(&mut reader, &table, 1);
    assert!(reader.commit().is_err());
}

#[test]
fn reads_by_key_conflict_only_with_writes_of_their_rows() {
    let store = Store::new();
    let table = doctors(&store);
    let mut first = store.begin_with(Isolation::Serializable).unwrap();
    let mut second = store.begin_with(Isolation::Serializable).unwrap();
    // Each reads its own doctor by key and updates it: no read of the other's row.
    go_off_call(&mut first, &table, 1);
    go_off_call(&mut second, &table, 2);
    assert_eq!(first.read_set_len(), (1, 0));
    first.commit().unwrap();
    second.commit().unwrap();
    // A third read doctor 1 before the first committed: refused.
    let mut third = store.begin_with(Isolation::Serializable).unwrap();
    assert!(third.find_key(&table, &IndexKey::Int(1)).is_some());
    let mut fourth = store.begin_with(Isolation::Serializable).unwrap();
    go_off_call(&mut fourth, &table, 1);
    fourth.commit().unwrap();
    go_off_call(&mut third, &table, 2);
    assert!(third.commit().is_err());
}

#[test]
fn a_read_only_serializable_transaction_commits_without_validation() {
    let store = Store::new();
    let table = doctors(&store);
    let reader = store.begin_with(Isolation::Serializable).unwrap();
    assert_eq!(on_call(&reader, &table), 2);
    let mut writer = store.begin_with(Isolation::Serializable).unwrap();
    go_off_call(&mut writer, &table, 1);
    writer.commit().unwrap();
    assert_eq!(on_call(&reader, &table), 2, "the snapshot holds");
    reader.commit().unwrap();
    assert_eq!(store.serial_stats().validated, 1);
}

#[test]
fn snapshot_transactions_log_nothing_while_no_serializable_one_is_open() {
    let store = Store::new();
    let table = doctors(&store);
    let mut writer = store.begin().unwrap();
    go_off_call(&mut writer, &table, 1);
    assert_eq!(writer.isolation(), Isolation::Snapshot);
    assert_eq!(writer.read_set_len(), (0, 0));
    writer.commit().unwrap();
    assert_eq!(store.serial_stats().logged, 0);
    let open = store.begin_with(Isolation::Serializable).unwrap();
    let mut writer = store.begin().unwrap();
    go_off_call(&mut writer, &table, 2);
    writer.commit().unwrap();
    assert_eq!(store.serial_stats().logged, 1);
    drop(open);
    let mut writer = store.begin().unwrap();
    go_off_call(&mut writer, &table, 1);
    writer.commit().unwrap();
    assert_eq!(store.serial_stats().logged, 1);
}

#[test]
fn an_idle_transaction_restarts_at_the_level_asked() {
    let store = Store::new();
    let table = doctors(&store);
    let idle = store.begin().unwrap().into_idle().ok().unwrap();
    let mut txn = idle.begin_with(Isolation::Serializable).unwrap();
    assert_eq!(txn.isolation(), Isolation::Serializable);
    go_off_call(&mut txn, &table, 1);
    let (committed, idle) = txn.commit_reusable();
    committed.unwrap();
    let txn = idle.begin().unwrap();
    assert_eq!(txn.isolation(), Isolation::Snapshot);
    assert_eq!(txn.read_set_len(), (0, 0));
    // The next SERIALIZABLE one reuses the emptied read set: nothing of the first is left.
    let idle = txn.into_idle().ok().unwrap();
    let txn = idle.begin_with(Isolation::Serializable).unwrap();
    assert_eq!(txn.read_set_len(), (0, 0));
}

/// Threads move one unit at a time between two rows under SERIALIZABLE, each reading both
/// rows and writing one of them only when the sum stays at least 0 (a constraint that write
/// skew would break); retried on conflict. At the end the sum never went below 0.
#[test]
fn concurrent_serializable_withdrawals_keep_the_sum_non_negative() {
    let store = Store::new();
    let table = store.create_table(TableSchema {
        types: vec![DataType::Integer, DataType::Integer],
        key_columns: vec![0],
        added: Vec::new(),
    });
    let mut setup = store.begin().unwrap();
    for id in 0..2 {
        setup
            .insert(&table, &[Value::Integer(id), Value::Integer(50)])
            .unwrap();
    }
    setup.commit().unwrap();
    let threads: Vec<_> = (0..4)
        .map(|thread| {
            let store = store.clone();
            let table = Arc::clone(&table);
            std::thread::spawn(move || {
                for step in 0..200i64 {
                    let account = (thread + step) % 2;
                    loop {
                        let mut txn = store.begin_with(Isolation::Serializable).unwrap();
                        let mut balances = [0i64; 2];
                        let mut out = Vec::new();
                        for (id, balance) in balances.iter_mut().enumerate() {
                            txn.read_key(&table, &IndexKey::Int(id as i64), &mut out)
                                .unwrap();
                            if let Value::Integer(value) = out[1] {
                                *balance = value;
                            }
                        }
                        if balances[0] + balances[1] < 1 {
                            break;
                        }
                        let row = txn.find_key(&table, &IndexKey::Int(account)).unwrap();
                        let new = balances[account as usize] - 1;
                        let written = txn.update(
                            &table,
                            row,
                            &[Value::Integer(account), Value::Integer(new)],
                        );
                        if written.is_ok() && txn.commit().is_ok() {
                            break;
                        }
                    }
                }
            })
        })
        .collect();
    for thread in threads {
        thread.join().unwrap();
    }
    let txn = store.begin().unwrap();
    let mut total = 0;
    let mut out = Vec::new();
    for id in 0..2 {
        txn.read_key(&table, &IndexKey::Int(id), &mut out).unwrap();
        if let Value::Integer(value) = out[1] {
            total += value;
        }
    }
    assert_eq!(total, 0, "every unit withdrawn exactly once, never past 0");
    assert!(store.serial_stats().validated > 0);
}

/// A table (id INTEGER PRIMARY KEY, k ANY) of ids 1..=10 with k = 10 * id, and an ordered
/// index on k.
fn ranked(store: &Store) -> (Arc<Table>, Arc<crate::index::SecondaryIndex>) {
    let table = store.create_table(TableSchema {
        types: vec![DataType::Integer, DataType::Any],
        key_columns: vec![0],
        added: Vec::new(),
    });
    let index = table
        .create_index_with("k_index", vec![1], false, Some(vec![KeyCollation::Binary]))
        .unwrap();
    let mut setup = store.begin().unwrap();
    for id in 1..=10 {
        setup
            .insert(&table, &[Value::Integer(id), Value::Integer(10 * id)])
            .unwrap();
    }
    setup.commit().unwrap();
    (table, index)
}

/// Reads the rows with `low <= k < high` through the index, two entries per call.
fn scan_k(
    txn: &crate::mvcc::Transaction,
    table: &Arc<Table>,
    index: &crate::index::SecondaryIndex,
    low: i64,
    high: i64,
) -> Vec<i64> {
    let key = |k: i64| {
        index
            .ordered_key_of(&[Value::Null, Value::Integer(k)])
            .unwrap()
    };
    let (lower, upper) = (Bound::Included(key(low)), Bound::Excluded(key(high)));
    range_ids(txn, table, index, lower, upper, false, 2)
}

/// A SERIALIZABLE transaction reads k in [20, 50) and writes a row of k 1000; meanwhile
/// another commits `change`. Returns whether the reader's commit succeeded.
fn scan_beside(change: impl FnOnce(&mut crate::mvcc::Transaction, &Arc<Table>)) -> bool {
    let store = Store::new();
    let (table, index) = ranked(&store);
    let mut reader = store.begin_with(Isolation::Serializable).unwrap();
    assert_eq!(scan_k(&reader, &table, &index, 20, 50), vec![2, 3, 4]);
    assert_eq!(reader.read_set_ranges(), 1, "a resumed read adds no range");
    assert_eq!(reader.read_set_len(), (0, 0));
    let mut writer = store.begin_with(Isolation::Serializable).unwrap();
    change(&mut writer, &table);
    writer.commit().unwrap();
    reader
        .insert(&table, &[Value::Integer(99), Value::Integer(1000)])
        .unwrap();
    match reader.commit() {
        Ok(_) => true,
        Err(error) => {
            assert_eq!(error.kind, StorageErrorKind::Conflict);
            false
        }
    }
}

fn set_k(txn: &mut crate::mvcc::Transaction, table: &Arc<Table>, id: i64, k: i64) {
    let row = txn.find_key(table, &IndexKey::Int(id)).unwrap();
    txn.update(table, row, &[Value::Integer(id), Value::Integer(k)])
        .unwrap();
}

#[test]
fn an_insert_outside_a_scanned_range_commits_and_one_inside_is_refused() {
    let insert = |k: i64| {
        move |txn: &mut crate::mvcc::Transaction, table: &Arc<Table>| {
            txn.insert(table, &[Value::Integer(50 + k), Value::Integer(k)])
                .unwrap();
        }
    };
    assert!(scan_beside(insert(100)), "above the range");
    assert!(scan_beside(insert(19)), "below the range");
    assert!(scan_beside(insert(50)), "at the excluded upper bound");
    assert!(
        !scan_beside(insert(20)),
        "at the included lower bound: a phantom"
    );
    assert!(!scan_beside(insert(35)), "inside the range: a phantom");
}

#[test]
fn updates_conflict_when_a_version_of_the_row_lies_in_a_scanned_range() {
    assert!(scan_beside(|txn, table| set_k(txn, table, 9, 95)));
    assert!(
        !scan_beside(|txn, table| set_k(txn, table, 3, 31)),
        "within"
    );
    assert!(
        !scan_beside(|txn, table| set_k(txn, table, 3, 500)),
        "moved out"
    );
    assert!(
        !scan_beside(|txn, table| set_k(txn, table, 9, 25)),
        "moved in"
    );
    assert!(!scan_beside(|txn, table| {
        let row = txn.find_key(table, &IndexKey::Int(4)).unwrap();
        txn.delete(table, row).unwrap();
    }));
}

#[test]
fn ranges_past_the_limit_fold_into_their_table() {
    let store = Store::new();
    let (table, index) = ranked(&store);
    let used = store.memory().used_bytes();
    let mut reader = store.begin_with(Isolation::Serializable).unwrap();
    for low in 0..READ_RANGES_MAX as i64 {
        scan_k(&reader, &table, &index, 10_000 + 2 * low, 10_001 + 2 * low);
    }
    assert_eq!(reader.read_set_ranges(), READ_RANGES_MAX);
    let held = store.serial_stats().read_set_bytes;
    assert!(held > 0);
    assert_eq!(
        store.memory().used_bytes(),
        used + held,
        "charged to the account"
    );
    scan_k(&reader, &table, &index, 0, 1);
    assert_eq!(reader.read_set_ranges(), 0);
    assert_eq!(reader.read_set_len(), (0, 1));
    assert_eq!(store.serial_stats().range_folds, 1);
    // Folded to the table: a write anywhere in it conflicts.
    let mut writer = store.begin().unwrap();
    set_k(&mut writer, &table, 9, 95);
    writer.commit().unwrap();
    set_k(&mut reader, &table, 1, 11);
    assert!(reader.commit().is_err());
    assert_eq!(
        store.serial_stats().read_set_bytes,
        0,
        "uncounted at the end"
    );
    assert!(
        store.serial_stats().log_bytes > 0,
        "the writer's commit was logged"
    );
}
