//! Tests of `Transaction::skip_index_range`: stepping over `n` rows and walking on gives
//! exactly the rows a walk gives after its first `n`, ascending and descending, in batches
//! of any size, for a settled index and beside uncommitted, own and collected writes.

use std::num::NonZeroU64;
use std::ops::Bound;
use std::sync::Arc;

use crate::index::SecondaryIndex;
use crate::{RangeProgress, RangeScratch, Table, Transaction};

use super::super::tests::{check_through_writes, range_ids};

/// The rows `txn` skips (at most `skip`), `batch` entries per call, then the ids the walk
/// reaches after them.
fn skip_then_ids(
    txn: &Transaction,
    table: &Arc<Table>,
    index: &SecondaryIndex,
    reverse: bool,
    skip: u64,
    batch: usize,
) -> (u64, Vec<i64>) {
    let decoder = table.schema().decoder(None);
    let (mut lower, mut upper) = (Bound::Unbounded, Bound::Unbounded);
    let mut buffer = Vec::new();
    let mut scratch = RangeScratch::default();
    let mut skipped = 0;
    while let Some(wanted) = NonZeroU64::new(skip - skipped) {
        let (stepped, progress) = txn
            .skip_index_range(
                table,
                index,
                lower.as_ref().map(Vec::as_slice),
                upper.as_ref().map(Vec::as_slice),
                reverse,
                wanted,
                batch,
                &decoder,
                &mut buffer,
                &mut scratch,
            )
            .unwrap();
        assert!(stepped <= wanted.get());
        skipped += stepped;
        match progress {
            RangeProgress::Done => return (skipped, Vec::new()),
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
    let rest = range_ids(txn, table, index, lower, upper, reverse, 3);
    (skipped, rest)
}

/// For every skip count and a few batch sizes, in both directions: skipping then walking
/// gives the walk's rows after as many.
fn assert_skips_match_walks(txn: &Transaction, table: &Arc<Table>, index: &SecondaryIndex) {
    for reverse in [false, true] {
        let all = range_ids(
            txn,
            table,
            index,
            Bound::Unbounded,
            Bound::Unbounded,
            reverse,
            4,
        );
        for skip in 0..=all.len() as u64 + 2 {
            for batch in [1, 2, 5, 1024] {
                let (skipped, rest) = skip_then_ids(txn, table, index, reverse, skip, batch);
                let expected = skip.min(all.len() as u64);
                assert_eq!(skipped, expected, "skip {skip} batch {batch} rev {reverse}");
                assert_eq!(rest, all[expected as usize..], "skip {skip} batch {batch}");
            }
        }
    }
}

#[test]
fn skipped_rows_are_the_rows_a_walk_gives_first() {
    check_through_writes(assert_skips_match_walks);
}
