//! Tests of `index_range_distinct` and `count_distinct_index_range`: the rows taken are the
//! first of each run of equal values a full walk gives (values compared as SQL does:
//! `1 = 1.0`, `0.0 = -0.0`, text and blobs by bytes, NULLs equal), in both directions and
//! batches of any size, with rows a visitor passes over, for a settled index and beside
//! uncommitted, own and collected writes; the count is the number of non-NULL runs.

use std::ops::Bound;
use std::sync::Arc;

use crate::index::SecondaryIndex;
use crate::value::Value;
use crate::{KeyParts, RangeProgress, RangeScratch, RunVisit, Table, Transaction};

use super::super::tests::check_through_writes;

const KEY: KeyParts = KeyParts { skip: 0, count: 1 };

/// Every row (id, key) `txn` reaches in key order, by `index_range`.
fn walk(txn: &Transaction, table: &Arc<Table>, index: &SecondaryIndex, reverse: bool) -> Vec<Row> {
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
                rows.push((values[0].clone(), values[1].clone()));
                true
            },
        )
        .unwrap();
    assert_eq!(progress, RangeProgress::Done);
    rows
}

type Row = (Value, Value);

/// Whether SQL's DISTINCT finds `a` and `b` one value.
fn same_value(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Integer(i), Value::Real(r)) | (Value::Real(r), Value::Integer(i)) => {
            *i as f64 == *r && r.fract() == 0.0 && *r as i64 == *i
        }
        (Value::Real(x), Value::Real(y)) => x == y,
        _ => a == b,
    }
}

/// The rows a distinct walk must take: of each run of equal keys in `rows`, the first that
/// `takes`.
fn expected(rows: &[Row], takes: impl Fn(&Value) -> bool) -> Vec<Row> {
    let mut out: Vec<Row> = Vec::new();
    let mut run_key: Option<&Value> = None;
    let mut run_taken = false;
    for row in rows {
        if !run_key.is_some_and(|key| same_value(key, &row.1)) {
            run_key = Some(&row.1);
            run_taken = false;
        }
        if !run_taken && takes(&row.0) {
            run_taken = true;
            out.push(row.clone());
        }
    }
    out
}

/// The rows `index_range_distinct` takes, `batch` entries per call, taking the rows `takes`.
fn distinct_rows(
    txn: &Transaction,
    table: &Arc<Table>,
    index: &SecondaryIndex,
    reverse: bool,
    batch: usize,
    takes: impl Fn(&Value) -> bool,
) -> Vec<Row> {
    let decoder = table.schema().decoder(None);
    let (mut lower, mut upper) = (Bound::Unbounded, Bound::Unbounded);
    let (mut buffer, mut scratch, mut taken) = (Vec::new(), RangeScratch::default(), Vec::new());
    let mut rows = Vec::new();
    loop {
        let progress = txn
            .index_range_distinct(
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
                &mut taken,
                |_, values| {
                    if !takes(&values[0]) {
                        return RunVisit::Passed;
                    }
                    rows.push((values[0].clone(), values[1].clone()));
                    RunVisit::Taken
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

/// `count_distinct_index_range`'s count and last row, `batch` entries per call.
fn count_distinct(
    txn: &Transaction,
    table: &Arc<Table>,
    index: &SecondaryIndex,
    batch: usize,
) -> (u64, Option<u64>) {
    let decoder = table.schema().decoder(None);
    let mut lower = Bound::Unbounded;
    let (mut buffer, mut scratch, mut counted) = (Vec::new(), RangeScratch::default(), Vec::new());
    let (mut total, mut last) = (0, None);
    loop {
        let (distinct, greatest, progress) = txn
            .count_distinct_index_range(
                table,
                index,
                lower.as_ref().map(Vec::as_slice),
                Bound::Unbounded,
                batch,
                KEY,
                &decoder,
                &mut buffer,
                &mut scratch,
                &mut counted,
            )
            .unwrap();
        total += distinct;
        last = greatest.or(last);
        match progress {
            RangeProgress::Done => return (total, last),
            RangeProgress::Stopped => {
                lower = Bound::Included(scratch.resume_after().to_vec());
            }
        }
    }
}

/// Checks both reads against a full walk, for a few batch sizes and both directions.
fn assert_distinct_matches_walk(txn: &Transaction, table: &Arc<Table>, index: &SecondaryIndex) {
    let odd = |id: &Value| matches!(id, Value::Integer(i) if i % 2 == 1);
    for reverse in [false, true] {
        let all = walk(txn, table, index, reverse);
        for batch in [1, 2, 5, 1024] {
            let context = format!("reverse {reverse} batch {batch}");
            let every = expected(&all, |_| true);
            let rows = distinct_rows(txn, table, index, reverse, batch, |_| true);
            assert_eq!(rows, every, "{context}");
            let odd_rows = distinct_rows(txn, table, index, reverse, batch, odd);
            assert_eq!(odd_rows, expected(&all, odd), "{context}");
            if !reverse {
                let runs = every.iter().filter(|row| !row.1.is_null()).count() as u64;
                let last = last_id(&all);
                assert_eq!(
                    count_distinct(txn, table, index, batch),
                    (runs, last),
                    "{context}"
                );
            }
        }
    }
}

/// The id of the last row of a walk: its slot (the test inserts each row at its id).
fn last_id(all: &[Row]) -> Option<u64> {
    all.last().map(|row| match row.0 {
        Value::Integer(id) => id as u64,
        _ => u64::MAX,
    })
}

#[test]
fn distinct_reads_take_the_first_row_of_each_run() {
    check_through_writes(assert_distinct_matches_walk);
}

/// The parts compared are those after the skipped ones, whole: `skip` and `count` cut
/// exactly the parts' bytes, and a malformed key gives none.
#[test]
fn key_parts_cut_the_parts_bytes() {
    use crate::index::{encode_ordered_part, KeyCollation};
    let mut key = Vec::new();
    let mut ends = Vec::new();
    for value in [
        Value::Integer(7),
        Value::Text("a\0b".into()),
        Value::Null,
        Value::Blob(vec![0, 0, 1]),
    ] {
        encode_ordered_part(&value, KeyCollation::Binary, &mut key);
        ends.push(key.len());
    }
    let parts = |skip, count| KeyParts { skip, count }.of(&key);
    assert_eq!(parts(0, 1), Some(&key[..ends[0]]));
    assert_eq!(parts(1, 2), Some(&key[ends[0]..ends[2]]));
    assert_eq!(parts(3, 1), Some(&key[ends[2]..]));
    assert_eq!(parts(0, 4), Some(&key[..]));
    assert_eq!(parts(2, 3), None);
    assert_eq!(KeyParts { skip: 1, count: 1 }.of(&key[..ends[0] + 2]), None);
    // `are` compares complete parts: a key whose part only starts alike is not them.
    let second = KeyParts { skip: 1, count: 1 };
    assert!(second.are(&key, &key[ends[0]..ends[1]]));
    assert!(!second.are(&key, &key[..ends[0]]));
    assert!(!second.are(&key, &[]));
    let mut longer = key[..ends[0]].to_vec();
    encode_ordered_part(
        &Value::Text("a\0bc".into()),
        KeyCollation::Binary,
        &mut longer,
    );
    assert!(!second.are(&longer, &key[ends[0]..ends[1]]));
    assert!(!second.are(&key, &longer[ends[0]..]));
}
