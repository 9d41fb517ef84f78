//! Tests of column-batch scans: the rows a snapshot sees (after updates, deletes and with an
//! older snapshot open), raw checks, a clustered table's left-out keys, resuming batches,
//! and readers scanning while writers move amounts between rows on many threads.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use crate::index::IndexKey;
use crate::mvcc::{Table, TableSchema, Transaction};
use crate::row::{ColumnBatch, RawCheck, RawChecks, RawClass, RowDecoder};
use crate::store::Store;
use crate::value::{DataType, Value};

fn table(store: &Store, keyed: bool) -> Arc<Table> {
    store.create_table(TableSchema {
        types: vec![
            DataType::Integer,
            DataType::Text,
            DataType::Integer,
            DataType::Real,
        ],
        key_columns: if keyed { vec![0] } else { Vec::new() },
        added: Vec::new(),
    })
}

fn row_values(key: i64) -> Vec<Value> {
    vec![
        Value::Integer(key),
        Value::Text(format!("name{key}")),
        if key % 7 == 0 {
            Value::Null
        } else {
            Value::Integer(key % 50)
        },
        Value::Real(key as f64 / 4.0),
    ]
}

/// Every row `txn` sees, through column batches of `slots` slots, as values.
fn rows_by_columns(
    txn: &Transaction,
    table: &Table,
    decoder: &RowDecoder,
    raw: Option<&RawChecks>,
    slots: u64,
) -> Vec<(u64, Vec<Value>)> {
    let mut batch = ColumnBatch::new();
    let mut rows = Vec::new();
    let mut from = 0;
    while let Some(range) = table.next_scan_batch(from, slots) {
        from = txn
            .scan_column_batch(table, range, decoder, raw, &mut batch)
            .unwrap();
        for (at, &row) in batch.row_ids().iter().enumerate() {
            let values = (0..decoder.width())
                .map(|column| {
                    batch
                        .column(column)
                        .map_or(Value::Null, |vector| vector.get(at).to_value())
                })
                .collect();
            rows.push((row, values));
        }
    }
    rows
}

/// Every row `txn` sees, decoded row by row, that `keep` passes.
fn rows_decoded(
    txn: &Transaction,
    table: &Table,
    decoder: &RowDecoder,
    keep: impl Fn(&[Value]) -> bool,
) -> Vec<(u64, Vec<Value>)> {
    let mut rows = Vec::new();
    let mut buffer = Vec::new();
    let mut from = 0;
    while let Some(range) = table.next_scan_batch(from, 1000) {
        from = txn
            .scan_batch_decoded(table, range, decoder, &mut buffer, |row, values| {
                if keep(values) {
                    rows.push((row, values.clone()));
                }
                true
            })
            .unwrap();
    }
    rows
}

fn age_between(low: i64, high: i64) -> RawCheck {
    RawCheck {
        column: 2,
        class: RawClass::Integer,
        low,
        high,
        inside: true,
        nan_passes: false,
        null_passes: false,
    }
}

#[test]
fn column_batches_see_what_row_scans_see() {
    for keyed in [false, true] {
        let store = Store::new();
        let table = table(&store, keyed);
        let mut txn = store.begin().unwrap();
        let rows: Vec<u64> = (0..3000)
            .map(|key| txn.insert(&table, &row_values(key)).unwrap())
            .collect();
        txn.commit().unwrap();
        let before = store.begin().unwrap();
        let mut txn = store.begin().unwrap();
        for (at, &row) in rows.iter().enumerate() {
            if at % 5 == 0 {
                txn.delete(&table, row).unwrap();
            } else if at % 3 == 0 {
                let mut values = row_values(at as i64);
                values[3] = Value::Real(-1.5);
                values[1] = Value::Text("é".repeat(at % 9));
                txn.update(&table, row, &values).unwrap();
            }
        }
        txn.commit().unwrap();
        let after = store.begin().unwrap();
        let wanted_sets: [Option<Vec<bool>>; 3] = [
            None,
            Some(vec![false, false, true, true]),
            Some(vec![true, false, false, false]),
        ];
        for wanted in &wanted_sets {
            let decoder = table.schema().decoder(wanted.as_deref());
            for reader in [&before, &after] {
                let expected = rows_decoded(reader, &table, &decoder, |_| true);
                for slots in [64, 4096] {
                    let seen = rows_by_columns(reader, &table, &decoder, None, slots);
                    assert_eq!(seen, expected, "keyed {keyed}, {wanted:?}, {slots} slots");
                }
            }
        }
        // Raw checks: only rows whose column 2 lies in 10..=20 (NULLs fail).
        let decoder = table.schema().decoder(Some(&[true, false, true, true]));
        let raw = decoder.raw_checks(vec![age_between(10, 20)]).unwrap();
        for reader in [&before, &after] {
            let expected = rows_decoded(
                reader,
                &table,
                &decoder,
                |values| matches!(values[2], Value::Integer(age) if (10..=20).contains(&age)),
            );
            assert!(!expected.is_empty());
            let seen = rows_by_columns(reader, &table, &decoder, Some(&raw), 512);
            assert_eq!(seen, expected, "keyed {keyed}, raw-checked");
        }
    }
}

#[test]
fn a_decoder_of_a_grown_table_is_refused() {
    let store = Store::new();
    let table = table(&store, false);
    let txn = store.begin().unwrap();
    let grown = RowDecoder::with_added(
        &[
            DataType::Integer,
            DataType::Text,
            DataType::Integer,
            DataType::Real,
        ],
        None,
        &[Value::Integer(1)],
    );
    let mut batch = ColumnBatch::new();
    assert!(txn
        .scan_column_batch(&table, 0..10, &grown, None, &mut batch)
        .is_err());
}

/// The visible row of key `key` and its values.
fn read(txn: &Transaction, table: &Table, key: i64) -> Option<(u64, Vec<Value>)> {
    let mut values = Vec::new();
    let row = txn
        .read_key(table, &IndexKey::Int(key), &mut values)
        .ok()??;
    Some((row, values))
}

fn integer(value: &Value) -> i64 {
    match value {
        Value::Integer(integer) => *integer,
        other => panic!("not an integer: {other:?}"),
    }
}

/// Writers move amounts between rows in transactions (the total never changes), and
/// the collector runs, while readers scan through column batches: every snapshot sums to
/// the total and sees each key once.
#[test]
fn readers_see_whole_transactions_while_writers_run() {
    const ROWS: i64 = 400;
    const AMOUNT_PER_ROW: i64 = 100;
    let store = Store::new();
    let table = table(&store, true);
    let mut txn = store.begin().unwrap();
    for key in 0..ROWS {
        let mut values = row_values(key);
        values[2] = Value::Integer(AMOUNT_PER_ROW);
        txn.insert(&table, &values).unwrap();
    }
    txn.commit().unwrap();
    let stop = AtomicBool::new(false);
    let decoder = table.schema().decoder(Some(&[true, false, true, false]));
    let commits = std::thread::scope(|scope| {
        let writers: Vec<_> = (0..2u64)
            .map(|writer| {
                let (store, table, stop) = (&store, &table, &stop);
                scope.spawn(move || {
                    let mut seed = writer + 1;
                    let mut commits = 0;
                    while !stop.load(Ordering::Relaxed) {
                        seed = seed
                            .wrapping_mul(6364136223846793005)
                            .wrapping_add(1442695040888963407);
                        let from = (seed >> 20) as i64 % ROWS;
                        let to = (seed >> 40) as i64 % ROWS;
                        let amount = 1 + (seed >> 60) as i64;
                        let mut txn = store.begin().unwrap();
                        let moved = (|| {
                            let (row_a, mut a) = read(&txn, table, from)?;
                            let (row_b, mut b) = read(&txn, table, to)?;
                            if from == to {
                                return None;
                            }
                            a[2] = Value::Integer(integer(&a[2]) - amount);
                            b[2] = Value::Integer(integer(&b[2]) + amount);
                            txn.update(table, row_a, &a).ok()?;
                            txn.update(table, row_b, &b).ok()?;
                            Some(())
                        })();
                        if moved.is_none() {
                            txn.rollback();
                        } else if txn.commit().is_ok() {
                            commits += 1;
                        }
                        if seed % 64 == 0 {
                            table.collect_garbage(store.watermark());
                        }
                    }
                    commits
                })
            })
            .collect();
        let readers: Vec<_> = (0..2)
            .map(|_| {
                let (store, table, decoder) = (&store, &table, &decoder);
                scope.spawn(move || {
                    for _ in 0..40 {
                        let txn = store.begin().unwrap();
                        let seen = rows_by_columns(&txn, table, decoder, None, 128);
                        let total: i64 = seen.iter().map(|(_, values)| integer(&values[2])).sum();
                        assert_eq!(total, ROWS * AMOUNT_PER_ROW);
                        let mut keys: Vec<i64> =
                            seen.iter().map(|(_, values)| integer(&values[0])).collect();
                        keys.sort_unstable();
                        assert_eq!(keys, (0..ROWS).collect::<Vec<_>>());
                    }
                })
            })
            .collect();
        let read = readers
            .into_iter()
            .map(|reader| reader.join())
            .collect::<Vec<_>>();
        stop.store(true, Ordering::Relaxed);
        let commits: u64 = writers
            .into_iter()
            .map(|writer| writer.join().unwrap())
            .sum();
        for outcome in read {
            if let Err(panic) = outcome {
                std::panic::resume_unwind(panic);
            }
        }
        commits
    });
    assert!(commits > 0, "the writers committed nothing");
    let txn = store.begin().unwrap();
    let seen = rows_by_columns(&txn, &table, &decoder, None, 4096);
    let total: i64 = seen.iter().map(|(_, values)| integer(&values[2])).sum();
    assert_eq!(total, ROWS * AMOUNT_PER_ROW);
}
