//! Tests of copying rows between tables that encode them alike (`Transaction::read_copies`,
//! `BatchInsert::copies`): the target reads the source's rows and finds them through each
//! index; a repeated unique key fails as a batch of the decoded rows does; an index created
//! between reading and writing still gets every row's entry; tables that encode rows
//! differently refuse the copy.

use std::sync::Arc;

use crate::error::StorageErrorKind;
use crate::index::{IndexKey, KeyCollation, SecondaryIndex};
use crate::mvcc::{RowCopies, Table, TableSchema};
use crate::store::Store;
use crate::value::{DataType, Value};

/// A table (id INTEGER key, email TEXT, score REAL), with a unique ordered index on
/// `email` when `indexed`.
fn table(store: &Store, indexed: bool) -> (Arc<Table>, Option<Arc<SecondaryIndex>>) {
    let table = store.create_table(TableSchema {
        types: vec![DataType::Integer, DataType::Text, DataType::Real],
        key_columns: vec![0],
        added: Vec::new(),
    });
    let index = indexed.then(|| {
        let ordering = Some(vec![KeyCollation::Binary]);
        table
            .create_index_with("email", vec![1], true, ordering)
            .unwrap()
    });
    (table, index)
}

fn row(id: i64) -> [Value; 3] {
    let email = match id % 9 {
        0 => Value::Null,
        _ => Value::Text(format!("e{id}")),
    };
    [Value::Integer(id), email, Value::Real(id as f64 / 3.0)]
}

/// Fills `table` with the rows of `ids`, committed.
fn fill(store: &Store, table: &Arc<Table>, ids: impl IntoIterator<Item = i64>) {
    let mut txn = store.begin().unwrap();
    for id in ids {
        txn.insert(table, &row(id)).unwrap();
    }
    txn.commit().unwrap();
}

/// Copies every row of `source` into `target` in runs of 256 row ids; returns the rows
/// copied, or the first error.
fn copy(store: &Store, source: &Table, target: &Arc<Table>) -> Result<usize, StorageErrorKind> {
    let mut copies = RowCopies::new(source, target).unwrap();
    let mut txn = store.begin().unwrap();
    let mut load = txn.insert_batch(target);
    let (mut from, mut done) = (0, 0);
    while let Some(rows) = source.next_scan_batch(from, 256) {
        from = load
            .transaction()
            .read_copies(source, rows, &mut copies)
            .unwrap();
        let mut inserted = 0;
        let copied = load.copies(&copies, &mut inserted);
        done += inserted;
        copied.map_err(|error| error.kind)?;
    }
    load.finish().unwrap();
    txn.commit().unwrap();
    Ok(done)
}

/// The rows of `table` with `ids` as read by key and by e-mail through `index`.
fn assert_found(store: &Store, table: &Table, index: &SecondaryIndex, ids: &[i64]) {
    let reader = store.begin().unwrap();
    let mut out = Vec::new();
    for &id in ids {
        let found = reader.find_key(table, &IndexKey::Int(id)).unwrap();
        assert!(reader.read_row(table, found, &mut out).unwrap());
        assert_eq!(out, row(id), "key {id}");
        let Some(key) = index.key_of(&row(id)) else {
            continue;
        };
        let mut by_email = Vec::new();
        reader
            .index_lookup(table, index, &key, &mut out, |_, values| {
                by_email.push(values.clone());
                true
            })
            .unwrap();
        assert_eq!(by_email, [row(id).to_vec()], "e-mail of {id}");
    }
}

#[test]
fn copied_rows_read_as_the_source_rows_by_key_and_by_index() {
    let store = Store::new();
    let ((source, _), (target, index)) = (table(&store, false), table(&store, true));
    // Direct rows, and overflow ones (far keys, negative keys).
    let ids: Vec<i64> = (1..1500).chain([100_000, -3, 1 << 40]).collect();
    fill(&store, &source, ids.iter().copied());
    assert_eq!(copy(&store, &source, &target), Ok(ids.len()));
    assert_found(&store, &target, index.as_ref().unwrap(), &ids);
    // The same rows again: the first key repeats.
    assert_eq!(
        copy(&store, &source, &target),
        Err(StorageErrorKind::UniqueViolation)
    );
    assert_found(&store, &target, index.as_ref().unwrap(), &ids);
}

#[test]
fn a_repeated_unique_value_fails_the_copy() {
    let store = Store::new();
    let ((source, _), (target, index)) = (table(&store, false), table(&store, true));
    fill(&store, &source, 1..1000);
    // Row 5000 of the target holds row 700's e-mail: the copy fails in its third run.
    let mut txn = store.begin().unwrap();
    let held = [
        Value::Integer(5000),
        Value::Text("e700".into()),
        Value::Null,
    ];
    txn.insert(&target, &held).unwrap();
    txn.commit().unwrap();
    assert_eq!(
        copy(&store, &source, &target),
        Err(StorageErrorKind::UniqueViolation)
    );
    // The failed copy's transaction was dropped: only the held row is there.
    let reader = store.begin().unwrap();
    assert!(reader.find_key(&target, &IndexKey::Int(1)).is_none());
    assert!(reader.find_key(&target, &IndexKey::Int(5000)).is_some());
    let key = index.as_ref().unwrap().key_of(&held).unwrap();
    let mut found = 0;
    reader
        .index_lookup(
            &target,
            index.as_ref().unwrap(),
            &key,
            &mut Vec::new(),
            |_, _| {
                found += 1;
                true
            },
        )
        .unwrap();
    assert_eq!(found, 1);
}

#[test]
fn an_index_created_after_the_read_gets_every_entry() {
    let store = Store::new();
    let ((source, _), (target, _)) = (table(&store, false), table(&store, false));
    fill(&store, &source, 1..600);
    let mut copies = RowCopies::new(&source, &target).unwrap();
    let mut txn = store.begin().unwrap();
    let rows = source.next_scan_batch(0, 1024).unwrap();
    txn.read_copies(&source, rows, &mut copies).unwrap();
    assert_eq!(copies.len(), 599);
    assert_eq!(
        copies.decoded_value(0, 1),
        None,
        "no index reads the e-mail yet"
    );
    let index = target
        .create_index_with("email", vec![1], true, Some(vec![KeyCollation::Binary]))
        .unwrap();
    let mut load = txn.insert_batch(&target);
    let mut inserted = 0;
    load.copies(&copies, &mut inserted).unwrap();
    assert_eq!(inserted, 599);
    load.finish().unwrap();
    txn.commit().unwrap();
    let ids: Vec<i64> = (1..600).collect();
    assert_found(&store, &target, &index, &ids);
}

#[test]
fn tables_that_encode_rows_differently_refuse_the_copy() {
    let store = Store::new();
    let (source, _) = table(&store, false);
    let other = |types: Vec<DataType>, key_columns: Vec<usize>| {
        store.create_table(TableSchema {
            types,
            key_columns,
            added: Vec::new(),
        })
    };
    let text_score = other(
        vec![DataType::Integer, DataType::Text, DataType::Text],
        vec![0],
    );
    let keyless = other(
        vec![DataType::Integer, DataType::Text, DataType::Real],
        vec![],
    );
    let (grown, _) = table(&store, false);
    grown.add_column(DataType::Integer, Value::Null);
    for target in [text_score, keyless, grown] {
        assert!(!target.encodes_like(&source));
        let refused = RowCopies::new(&source, &target).err().unwrap();
        assert_eq!(refused.kind, StorageErrorKind::InvalidData);
    }
}
