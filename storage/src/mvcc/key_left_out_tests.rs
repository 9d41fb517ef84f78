//! Tests of the key a clustered table's direct rows leave out of their payloads
//! (`TableSchema::encode_into`, `RowDecoder::decode_into`): direct rows store the key column
//! as NULL and every read puts the row id back (point reads, scans, column subsets, checked
//! scans, secondary indexes over the key, updates whole and spliced, a table that grew a
//! column); overflow rows always hold their key, including a key whose insert foresaw a
//! direct home and found its overflow home instead.

use std::sync::Arc;

use crate::index::IndexKey;
use crate::mvcc::clustered::OVERFLOW_BASE;
use crate::mvcc::{Table, TableSchema, Transaction};
use crate::store::Store;
use crate::value::{DataType, Value};

fn table(store: &Store) -> Arc<Table> {
    let table = store.create_table(TableSchema {
        types: vec![DataType::Integer, DataType::Text, DataType::Integer],
        key_columns: vec![0],
        added: Vec::new(),
    });
    assert!(table.is_clustered());
    table
}

fn row_values(key: i64) -> [Value; 3] {
    [
        Value::Integer(key),
        Value::Text(format!("n{key}")),
        Value::Integer(key % 7),
    ]
}

fn insert(store: &Store, table: &Arc<Table>, keys: impl IntoIterator<Item = i64>) -> Vec<u64> {
    let mut txn = store.begin().unwrap();
    let rows = keys
        .into_iter()
        .map(|key| txn.insert(table, &row_values(key)).unwrap())
        .collect();
    txn.commit().unwrap();
    rows
}

/// Whether the payload of `row` that `txn` sees has its key column (0) NULL, i.e. left out.
fn key_left_out(txn: &Transaction, table: &Table, row: u64) -> bool {
    let guard = crossbeam_epoch::pin();
    let payload = table
        .visible_payload(row, &txn.snapshot(), &guard)
        .expect("a visible row");
    payload[0] & 1 != 0
}

/// Every row `txn` sees, decoded whole by a scan, in scan order.
fn scan_all(txn: &Transaction, table: &Table) -> Vec<Vec<Value>> {
    let mut rows = Vec::new();
    let mut buffer = Vec::new();
    let mut from = 0;
    while let Some(batch) = table.next_scan_batch(from, 1000) {
        from = txn
            .scan_batch(table, batch, &mut buffer, |_, values| {
                rows.push(values.clone());
                true
            })
            .unwrap();
    }
    rows
}

#[test]
fn direct_rows_leave_the_key_out_and_every_read_puts_it_back() {
    let store = Store::new();
    let table = table(&store);
    let direct = insert(&store, &table, 0..200);
    let overflow = insert(&store, &table, [-5, 1_000_000]);
    assert!(overflow.iter().all(|&row| row >= OVERFLOW_BASE));
    let reader = store.begin().unwrap();
    for &row in &direct {
        assert!(key_left_out(&reader, &table, row), "direct row {row}");
    }
    for &row in &overflow {
        assert!(!key_left_out(&reader, &table, row), "overflow row {row}");
    }
    // The payload is smaller by the key's varint: 200 direct rows of keys below 64 and up
    // to 199 (1 and 2 bytes) save 64 + 2 * 136 bytes.
    let stats = table.stats(&reader.snapshot());
    let full: u64 = (0..200i64)
        .chain([-5, 1_000_000])
        .map(|key| {
            crate::row::encode(&table.schema().types, &row_values(key))
                .unwrap()
                .len() as u64
        })
        .sum();
    assert_eq!(stats.payload_bytes, full - 64 - 2 * 136);
    // Point reads by key, whole and the key alone.
    let mut out = Vec::new();
    for key in [0, 63, 64, 199, -5, 1_000_000] {
        assert!(reader
            .read_key(&table, &IndexKey::Int(key), &mut out)
            .unwrap()
            .is_some());
        assert_eq!(out, row_values(key), "read_key {key}");
        let wanted = [true, false, false];
        reader
            .read_key_columns(&table, &IndexKey::Int(key), Some(&wanted), &mut out)
            .unwrap();
        assert_eq!(out[0], Value::Integer(key));
    }
    // Reads by row id, whole and column subsets.
    for (&row, key) in direct.iter().zip(0..) {
        assert!(reader.read_row(&table, row, &mut out).unwrap());
        assert_eq!(out, row_values(key));
        assert!(reader
            .read_row_columns(&table, row, Some(&[true, false, true]), &mut out)
            .unwrap());
        assert_eq!(
            out,
            [Value::Integer(key), Value::Null, Value::Integer(key % 7)]
        );
    }
    // Scans, in key order for the direct rows, then the overflow.
    let scanned = scan_all(&reader, &table);
    let expected: Vec<Vec<Value>> = (0..200)
        .chain([-5, 1_000_000])
        .map(|key| row_values(key).to_vec())
        .collect();
    assert_eq!(scanned, expected);
}

#[test]
fn a_checked_scan_sees_the_key_before_its_check() {
    let store = Store::new();
    let table = table(&store);
    insert(&store, &table, (0..300).chain([-40, 5_000_000]));
    let reader = store.begin().unwrap();
    // Checks on the key alone (stage 0 stops at column 0) and on the key and the third
    // column (stage 1): each sees the key put back.
    for (decoded, stops) in [
        (vec![true, false, false], vec![0]),
        (vec![true, true, true], vec![0, 2]),
    ] {
        let decoder = table.schema().decoder(Some(&decoded));
        let mut keys = Vec::new();
        let mut buffer = Vec::new();
        let mut from = 0;
        while let Some(batch) = table.next_scan_batch(from, 64) {
            from = reader
                .scan_batch_checked(
                    &table,
                    batch,
                    &decoder,
                    &mut buffer,
                    &stops,
                    |stage, values| match (stage, &values[0]) {
                        (0, Value::Integer(key)) => key % 10 == 0,
                        (1, _) => values[2] != Value::Integer(0),
                        other => panic!("stage {other:?}"),
                    },
                    |_, values| {
                        keys.push(values[0].clone());
                        true
                    },
                )
                .unwrap();
        }
        let expected: Vec<Value> = (0..300)
            .chain([-40, 5_000_000])
            .filter(|key| key % 10 == 0 && (stops.len() == 1 || key % 7 != 0))
            .map(Value::Integer)
            .collect();
        assert_eq!(keys, expected, "stops {stops:?}");
    }
}

#[test]
fn a_decoder_not_made_by_the_schema_is_refused() {
    let store = Store::new();
    let table = table(&store);
    insert(&store, &table, 0..10);
    let reader = store.begin().unwrap();
    let decoder = crate::row::RowDecoder::new(&table.schema().types, None);
    let batch = table.next_scan_batch(0, 100).unwrap();
    let error = reader
        .scan_batch_decoded(&table, batch, &decoder, &mut Vec::new(), |_, _| true)
        .unwrap_err();
    assert!(
        error.message.contains("TableSchema::decoder"),
        "{}",
        error.message
    );
}

#[test]
fn updates_whole_and_spliced_keep_the_key_where_it_was() {
    let store = Store::new();
    let table = table(&store);
    let direct = insert(&store, &table, 0..50);
    let overflow = insert(&store, &table, [-1, 9_000_000]);
    let mut txn = store.begin().unwrap();
    for (&row, key) in direct
        .iter()
        .zip(0..)
        .chain(overflow.iter().zip([-1, 9_000_000]))
    {
        let mut values = row_values(key);
        values[1] = Value::Text("whole".into());
        assert_eq!(txn.update(&table, row, &values).unwrap(), row);
        let changes = [(2, Value::Integer(key * 3))];
        assert_eq!(txn.update_columns(&table, row, &changes).unwrap(), row);
    }
    txn.commit().unwrap();
    let reader = store.begin().unwrap();
    let mut out = Vec::new();
    for (&row, key) in direct
        .iter()
        .zip(0..)
        .chain(overflow.iter().zip([-1, 9_000_000]))
    {
        assert_eq!(key_left_out(&reader, &table, row), row < OVERFLOW_BASE);
        reader
            .read_key(&table, &IndexKey::Int(key), &mut out)
            .unwrap()
            .unwrap();
        assert_eq!(
            out,
            [
                Value::Integer(key),
                Value::Text("whole".into()),
                Value::Integer(key * 3)
            ]
        );
    }
}

#[test]
fn a_table_that_grew_a_column_leaves_the_key_out_too() {
    let store = Store::new();
    let table = table(&store);
    let old = insert(&store, &table, 0..20);
    table.add_column(DataType::Integer, Value::Integer(42));
    let mut txn = store.begin().unwrap();
    let mut new_rows = Vec::new();
    for key in 20..40 {
        let mut values = row_values(key).to_vec();
        values.push(Value::Integer(key));
        new_rows.push(txn.insert(&table, &values).unwrap());
    }
    // A spliced update of a grown table's row decodes and encodes it whole.
    for &row in &old[..5] {
        txn.update_columns(&table, row, &[(1, Value::Text("spliced".into()))])
            .unwrap();
    }
    txn.commit().unwrap();
    let reader = store.begin().unwrap();
    let scanned = scan_all(&reader, &table);
    assert_eq!(scanned.len(), 40);
    for (values, key) in scanned.iter().zip(0i64..) {
        assert_eq!(values[0], Value::Integer(key));
        let added = if key < 20 { 42 } else { key };
        assert_eq!(values[3], Value::Integer(added), "key {key}");
        let name = if key < 5 {
            "spliced".to_string()
        } else {
            format!("n{key}")
        };
        assert_eq!(values[1], Value::Text(name));
    }
    for &row in old.iter().chain(&new_rows) {
        assert!(key_left_out(&reader, &table, row));
    }
}

#[test]
fn an_index_over_the_key_column_finds_rows_by_their_put_back_key() {
    let store = Store::new();
    let table = table(&store);
    insert(&store, &table, (0..100).chain([-8, 7_000_000]));
    // One index made over rows already there, a second filled as rows come.
    let by_group_and_key = table.create_index("g_id", vec![2, 0], false).unwrap();
    let by_key = table.create_index("id", vec![0], true).unwrap();
    insert(&store, &table, 100..120);
    let reader = store.begin().unwrap();
    for key in [0, 5, 99, 100, 119, -8, 7_000_000] {
        let mut found = Vec::new();
        let pair = IndexKey::from_values([&Value::Integer(key % 7), &Value::Integer(key)]).unwrap();
        reader
            .index_lookup(
                &table,
                &by_group_and_key,
                &pair,
                &mut Vec::new(),
                |_, values| {
                    found.push(values.to_vec());
                    true
                },
            )
            .unwrap();
        assert_eq!(found, vec![row_values(key).to_vec()], "g_id {key}");
        let single = IndexKey::from_values([&Value::Integer(key)]).unwrap();
        let mut count = 0;
        reader
            .index_lookup(&table, &by_key, &single, &mut Vec::new(), |_, values| {
                assert_eq!(values[0], Value::Integer(key));
                count += 1;
                true
            })
            .unwrap();
        assert_eq!(count, 1, "id {key}");
    }
    drop(reader);
    // Deleting and collecting rows removes their entries (found through their put-back
    // keys): a unique insert of the same key is accepted again.
    let mut txn = store.begin().unwrap();
    for key in 0..10 {
        let row = txn.find_key(&table, &IndexKey::Int(key)).unwrap();
        txn.delete(&table, row).unwrap();
    }
    txn.commit().unwrap();
    table.collect_garbage(store.watermark());
    store.pool().drain_deferred_frees();
    insert(&store, &table, 0..10);
    let reader = store.begin().unwrap();
    assert_eq!(scan_all(&reader, &table).len(), 122);
}

#[test]
fn a_key_back_in_reach_still_goes_to_its_overflow_home_with_its_key() {
    let store = Store::new();
    let table = table(&store);
    // Far at first: an overflow home.
    let far = insert(&store, &table, [50_000]);
    assert!(far[0] >= OVERFLOW_BASE);
    // Enough rows bring it into reach; deleted while an older snapshot reads it, inserted
    // again: the insert foresees a direct home and leaves the key out, finds the overflow
    // home and inserts a payload that holds the key.
    insert(&store, &table, 0..15_000);
    let old = store.begin().unwrap();
    let mut txn = store.begin().unwrap();
    txn.delete(&table, far[0]).unwrap();
    txn.commit().unwrap();
    let again = insert(&store, &table, [50_000]);
    assert_eq!(again, far);
    let reader = store.begin().unwrap();
    assert!(!key_left_out(&reader, &table, far[0]));
    let mut out = Vec::new();
    reader
        .read_key(&table, &IndexKey::Int(50_000), &mut out)
        .unwrap()
        .unwrap();
    assert_eq!(out, row_values(50_000));
    drop(old);
}

#[test]
fn a_restored_row_whose_file_row_id_is_its_key_gets_its_direct_home_again() {
    let store = Store::new();
    let table = table(&store);
    let mut txn = store.begin().unwrap();
    // Far past what a fresh table's reach allows: only the file's word puts it direct.
    let restored = txn
        .insert_restored(&table, &row_values(70_000), 70_000)
        .unwrap();
    assert_eq!(restored, 70_000);
    // A file row id that is not the key (an overflow row where it was written), and a key
    // past the bound, go where a plain insert puts them.
    let other = txn
        .insert_restored(&table, &row_values(80_000), OVERFLOW_BASE + 3)
        .unwrap();
    assert!(other >= OVERFLOW_BASE);
    let huge = 1i64 << 30;
    let bounded = txn
        .insert_restored(&table, &row_values(huge), huge as u64)
        .unwrap();
    assert!(bounded >= OVERFLOW_BASE);
    txn.commit().unwrap();
    let reader = store.begin().unwrap();
    assert!(key_left_out(&reader, &table, restored));
    assert!(!key_left_out(&reader, &table, other));
    let mut out = Vec::new();
    for key in [70_000, 80_000, huge] {
        reader
            .read_key(&table, &IndexKey::Int(key), &mut out)
            .unwrap()
            .unwrap();
        assert_eq!(out, row_values(key));
    }
}
