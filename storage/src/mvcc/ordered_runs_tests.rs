//! Tests of `index_range_runs`: every row a full walk gives is visited once, in its order,
//! the first of each run of equal values (compared as GROUP BY does: `1 = 1.0`,
//! `0.0 = -0.0`, text and blobs by bytes, NULLs equal) with its values and the rest
//! without, in both directions and batches of any size, a visitor stopping anywhere, for a
//! settled index and beside uncommitted, own and collected writes.

use std::ops::Bound;
use std::sync::Arc;

use crate::index::SecondaryIndex;
use crate::store::Store;
use crate::value::Value;
use crate::{KeyParts, RangeProgress, RangeScratch, Table, Transaction};

use super::super::tests::{check_through_writes, indexed};

const KEY: KeyParts = KeyParts { skip: 0, count: 1 };

/// A visited row: its id, and its key when shown as the first of a run.
type Visit = (Value, Option<Value>);

/// Every row (id, key) `txn` reaches in key order, by `index_range`.
fn walk(
    txn: &Transaction,
    table: &Arc<Table>,
    index: &SecondaryIndex,
    reverse: bool,
) -> Vec<Visit> {
    let decoder = table.schema().decoder(None);
    let mut rows = Vec::new();
    let (mut buffer, mut scratch) = (Vec::new(), RangeScratch::default());
    let progress = txn
        .index_range(
            table,
            index,
            Bound::Unbounded,
            Bound::Unbounded,
            reverse,
            usize::MAX,
            &decoder,
            &mut buffer,
            &mut scratch,
            |_, values| {
                rows.push((values[0].clone(), Some(values[1].clone())));
                true
            },
        )
        .unwrap();
    assert_eq!(progress, RangeProgress::Done);
    rows
}

/// Whether GROUP BY finds `a` and `b` one value.
fn same_value(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Integer(i), Value::Real(r)) | (Value::Real(r), Value::Integer(i)) => {
            *i as f64 == *r && r.fract() == 0.0 && *r as i64 == *i
        }
        (Value::Real(x), Value::Real(y)) => x == y,
        _ => a == b,
    }
}

/// The visits a runs walk must make of `rows` (a full walk): each run's first row with
/// its key, the others without.
fn expected(rows: &[Visit]) -> Vec<Visit> {
    let mut run_key: Option<&Value> = None;
    rows.iter()
        .map(|(id, key)| {
            let key = key.as_ref().expect("a full walk shows every key");
            if run_key.is_some_and(|run| same_value(run, key)) {
                (id.clone(), None)
            } else {
                run_key = Some(key);
                (id.clone(), Some(key.clone()))
            }
        })
        .collect()
}

/// The visits of `index_range_runs`, `batch` entries per call, the visitor stopping after
/// every `stop_every`-th visit (0: never).
fn run_visits(
    txn: &Transaction,
    table: &Arc<Table>,
    index: &SecondaryIndex,
    reverse: bool,
    batch: usize,
    stop_every: usize,
) -> Vec<Visit> {
    let decoder = table.schema().decoder(None);
    let (mut lower, mut upper) = (Bound::Unbounded, Bound::Unbounded);
    let (mut buffer, mut scratch, mut running) = (Vec::new(), RangeScratch::default(), Vec::new());
    let mut visits = Vec::new();
    loop {
        let progress = txn
            .index_range_runs(
                table,
                index,
                lower.as_ref().map(Vec::as_slice),
                upper.as_ref().map(Vec::as_slice),
                reverse,
                batch,
                KEY,
                &decoder,
                &mut buffer,
                &mut scratch,
                &mut running,
                |row, values| {
                    let id = Value::Integer(row as i64);
                    match values {
                        Some(values) => {
                            assert_eq!(values[0], id, "the values are the row's");
                            visits.push((id, Some(values[1].clone())));
                        }
                        None => visits.push((id, None)),
                    }
                    stop_every == 0 || visits.len() % stop_every != 0
                },
            )
            .unwrap();
        match progress {
            RangeProgress::Done => return visits,
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

/// Checks the runs walk against a full walk, for a few batch sizes, stops and both
/// directions.
fn assert_runs_match_walk(txn: &Transaction, table: &Arc<Table>, index: &SecondaryIndex) {
    for reverse in [false, true] {
        let all = expected(&walk(txn, table, index, reverse));
        for batch in [1, 2, 5, 1024] {
            for stop_every in [0, 3] {
                let visits = run_visits(txn, table, index, reverse, batch, stop_every);
                assert_eq!(
                    visits, all,
                    "reverse {reverse} batch {batch} stop every {stop_every}"
                );
            }
        }
    }
}

#[test]
fn runs_show_the_first_row_of_each_run_and_count_the_rest() {
    check_through_writes(assert_runs_match_walk);
}

/// A writer's edit in the middle of a settled walk (made from inside the visitor): the
/// entries it adds ahead of the walk are not the reader's rows, so from the edit on the
/// walk checks every entry instead of counting it unread.
#[test]
fn an_edit_during_a_settled_walk_is_not_counted() {
    let store = Store::new();
    let (table, index) = indexed(&store);
    let mut txn = store.begin().unwrap();
    for id in 0..300i64 {
        txn.insert(&table, &[Value::Integer(id), Value::Integer(id % 7)])
            .unwrap();
    }
    txn.commit().unwrap();
    let reader = store.begin().unwrap();
    let all = expected(&walk(&reader, &table, &index, false));
    let mut writer = store.begin().unwrap();
    let decoder = table.schema().decoder(None);
    let (mut buffer, mut scratch, mut running) = (Vec::new(), RangeScratch::default(), Vec::new());
    let mut visits = Vec::new();
    let progress = reader
        .index_range_runs(
            &table,
            &index,
            Bound::Unbounded,
            Bound::Unbounded,
            false,
            usize::MAX,
            KEY,
            &decoder,
            &mut buffer,
            &mut scratch,
            &mut running,
            |row, values| {
                if visits.is_empty() {
                    for id in 1000..1100i64 {
                        writer
                            .insert(&table, &[Value::Integer(id), Value::Integer(6)])
                            .unwrap();
                    }
                    writer
                        .update(&table, 5, &[Value::Integer(5), Value::Integer(6)])
                        .unwrap();
                }
                let key = values.map(|values| values[1].clone());
                visits.push((Value::Integer(row as i64), key));
                true
            },
        )
        .unwrap();
    assert_eq!(progress, RangeProgress::Done);
    assert_eq!(visits, all);
    drop(writer);
}
