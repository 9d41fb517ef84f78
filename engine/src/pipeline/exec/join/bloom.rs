//! A hash join's runtime bloom filter (`Join::bloom`, chosen by `optimize/join_bloom.rs`):
//! once the build side is loaded, a bloom filter of one-word blocks
//! (`expr/sketch/word_bloom.rs`: a test is one load and one compare) of its
//! distinct key hashes (the join's own key hash, `join_table::hash_key`, so SQL-equal keys
//! such as 1 and 1.0 hash alike and no true match is dropped) is built, sized at
//! `limits::JOIN_BLOOM_BITS_PER_KEY` bits per hash, at most `limits::JOIN_BLOOM_BYTES_MAX`
//! (past it the join runs without one) and charged to the join's memory. The rule marks
//! only joins whose streamed side is a full scan without a filter, the keys its columns
//! and at least two decoded columns after the last key, and names that last key column
//! (`JoinBloom::key_stop`): the test runs inside the scan, and a row with a NULL key or a
//! hash the filter lacks has no partner. A key of one INTEGER, REAL or TEXT column is
//! tested on the row's payload bytes before anything is decoded (a storage
//! `MemberCheck` hashing the raw value as `join_table::hash_raw_key`, which equals the
//! decoded key's hash); any other key right after its last column is decoded, the row
//! decoded no further (the staged decode costs more per row than the plain one, so it pays
//! only when it skips columns). Once the filter stops testing, later batches decode
//! plainly. The pulled join (`JoinOperator`, which reads its streamed rows one at a time
//! through the operator tree) tests each decoded row before the hash table is looked up,
//! as does the pushed join should its streamed side not be such a scan.
//!
//! After `SAMPLE_ROWS` tests, a filter that dropped less than one row in
//! `DROP_SHARE_MIN_INVERSE` stops testing (the join's keys mostly match). A raw test counts
//! nothing per row: the scan counts the rows it rejected in each batch of slots, and the
//! filter adds each batch's counts (and judges the sample) once the batch is done. `PRAGMA
//! bloom_filter_joins = off` runs every join without one. EXPLAIN ANALYZE shows how many
//! rows the filter dropped on the join's line.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use ember_storage::row::{MemberCheck, MemberTest, RawChecks, RawValue};
use ember_storage::{RowId, Value};

use crate::error::{Error, Result};
use crate::expr::sketch::word_bloom::{WordBloom, WORD_BYTES};
use crate::expr::Expr;
use crate::limits::{JOIN_BLOOM_BITS_PER_KEY, JOIN_BLOOM_BYTES_MAX};
use crate::plan::{Join, Node};

use super::super::push::{left_rows, LeftVisit};
use super::super::{profile, ExecContext, MemoryCharge};
use super::join_table::{hash_key, hash_raw_key, JoinTable};

/// Streamed rows tested before the filter judges whether it pays.
const SAMPLE_ROWS: u64 = 1_024;

/// A filter that dropped fewer than one sampled row in this many stops testing: what a
/// dropped row spares (the decode of its columns after the key, the lookup) is about ten
/// times what a test costs.
const DROP_SHARE_MIN_INVERSE: u64 = 10;

/// The filter of one join run (see the module comment).
pub(super) struct ProbeFilter<'j> {
    join: &'j Join,
    state: Arc<FilterState>,
}

/// The bits and counts of a join run's filter, shared with the raw test the scan runs
/// (`MemberTest`, which must be `Send + Sync`). One thread tests at a time: the counts are
/// plain loads and stores.
struct FilterState {
    bloom: WordBloom,
    tested: AtomicU64,
    dropped: AtomicU64,
    active: AtomicBool,
}

impl FilterState {
    /// Whether a row whose key hashes to `hash` (`None`: a NULL key) may have a partner;
    /// counts the test, and stops testing after `SAMPLE_ROWS` that dropped too few.
    #[inline(always)]
    fn passes(&self, hash: Option<u64>) -> bool {
        let passes = hash.is_some_and(|hash| self.bloom.may_contain(hash));
        self.count(1, u64::from(!passes));
        passes
    }

    /// Adds `tested` tests of which `dropped` dropped their row; once the sample is
    /// complete, stops testing when it dropped too few.
    #[inline]
    fn count(&self, tested: u64, dropped: u64) {
        debug_assert!(dropped <= tested);
        let before = self.tested.load(Ordering::Relaxed);
        let after = before + tested;
        self.tested.store(after, Ordering::Relaxed);
        let dropped = self.dropped.load(Ordering::Relaxed) + dropped;
        self.dropped.store(dropped, Ordering::Relaxed);
        if before < SAMPLE_ROWS && after >= SAMPLE_ROWS && dropped * DROP_SHARE_MIN_INVERSE < after
        {
            self.active.store(false, Ordering::Relaxed);
        }
    }
}

impl<'j> ProbeFilter<'j> {
    /// The filter of `join` over its loaded build side `table`, its bits charged to
    /// `memory`; `None` when the plan marks none, the connection turned filters off, or
    /// the build side's keys need more than `JOIN_BLOOM_BYTES_MAX`.
    pub fn build(
        join: &'j Join,
        table: &JoinTable,
        context: &ExecContext<'_>,
        memory: &mut MemoryCharge,
    ) -> Result<Option<ProbeFilter<'j>>> {
        if join.bloom.is_none() || !context.bloom_joins() {
            return Ok(None);
        }
        let words = WordBloom::words_for(table.distinct_hashes() as u64, JOIN_BLOOM_BITS_PER_KEY);
        let bytes = words.saturating_mul(WORD_BYTES);
        if bytes > JOIN_BLOOM_BYTES_MAX {
            return Ok(None);
        }
        memory.add(bytes)?;
        let mut bloom = WordBloom::with_words(words as usize);
        for hash in table.hashes() {
            bloom.insert(hash);
        }
        let state = FilterState {
            bloom,
            tested: AtomicU64::new(0),
            dropped: AtomicU64::new(0),
            active: AtomicBool::new(true),
        };
        Ok(Some(ProbeFilter {
            join,
            state: Arc::new(state),
        }))
    }

    /// Whether the filter still tests rows.
    #[inline]
    pub fn is_active(&self) -> bool {
        self.state.active.load(Ordering::Relaxed)
    }

    /// Whether a streamed row whose key hashes to `hash` (`None`: a NULL key) may have a
    /// partner; counts the test.
    #[inline]
    pub fn passes(&self, hash: Option<u64>) -> bool {
        debug_assert!(self.is_active());
        self.state.passes(hash)
    }

    /// The raw test of the one-column key `keys` of the rows `decoder` reads (see the
    /// module comment): `None` when the plan marks no raw test, or the decoder cannot read
    /// the column raw (rows that may lack columns added after they were written).
    fn raw_check(
        &self,
        keys: &[Expr],
        decoder: &ember_storage::row::RowDecoder,
    ) -> Option<RawChecks> {
        if !self.join.bloom.is_some_and(|bloom| bloom.raw) {
            return None;
        }
        let [Expr::Column { index, .. }] = keys else {
            debug_assert!(false, "the rule marks raw only a key of one column");
            return None;
        };
        let state = Arc::clone(&self.state);
        // Uncounted: the scan counts the rows it rejects (`scan_tested`).
        let test: MemberTest =
            Arc::new(move |raw: RawValue<'_>| state.bloom.may_contain(hash_raw_key(raw)));
        decoder.raw_member_check(MemberCheck {
            column: *index,
            test,
        })
    }

    /// Adds the counts of a batch of raw tests: `tested` rows, `dropped` of them dropped.
    fn count_batch(&self, tested: u64, dropped: u64) {
        self.state.count(tested, dropped);
    }

    /// Whether streamed row `row` (its key `keys`) may have a partner: always while the
    /// filter no longer tests.
    #[inline]
    pub fn row_passes(
        &self,
        keys: &[Expr],
        row: &[Value],
        context: &ExecContext<'_>,
    ) -> Result<bool> {
        if !self.is_active() {
            return Ok(true);
        }
        Ok(self.passes(hash_key(keys, row, &context.eval)?))
    }
}

impl Drop for ProbeFilter<'_> {
    fn drop(&mut self) {
        profile::count_bloom_dropped(self.join, self.state.dropped.load(Ordering::Relaxed));
    }
}

/// Runs the streamed side `node` of a join (its key `keys`) to its end, calling `visit`
/// with each row `filter` passes (every row without one): tested inside the scan, at the
/// column the plan names (`JoinBloom::key_stop`), when `node` is the scan the rule saw,
/// else before `visit`.
pub(super) fn stream_rows(
    node: &Node,
    keys: &[Expr],
    filter: Option<&ProbeFilter<'_>>,
    context: &ExecContext<'_>,
    visit: LeftVisit<'_>,
) -> Result<()> {
    let Some(filter) = filter else {
        return left_rows(node, context, visit);
    };
    if let (Node::Scan(access), Some(bloom)) = (node, filter.join.bloom) {
        let stop = bloom.key_stop;
        let mut tally = profile::Tally::of(node);
        return scan_tested(access, context, stop, filter, keys, &mut |row| {
            tally.row();
            visit(row)
        });
    }
    left_rows(node, context, &mut |row| {
        if filter.row_passes(keys, row, context)? {
            visit(row)?;
        }
        Ok(())
    })
}

/// A full scan of `access` (no filter of its own) testing `filter` on each row's payload
/// bytes when the plan marks the test raw and the decoder reads the key raw, else once
/// the row is decoded up to column `stop` (the last of `keys`); calls `visit` with each
/// row that passes, decoded whole.
fn scan_tested(
    access: &crate::plan::TableAccess,
    context: &ExecContext<'_>,
    stop: usize,
    filter: &ProbeFilter<'_>,
    keys: &[Expr],
    visit: LeftVisit<'_>,
) -> Result<()> {
    debug_assert!(access.filter.is_none());
    let table = &access.table.storage;
    let decoder = access.read.decoder();
    let mut buffer = Vec::new();
    let raw = filter.raw_check(keys, decoder);
    // Tested raw, a row the filter passes is decoded plainly (no stage to test).
    let stops: &[usize] = match raw {
        Some(_) => &[],
        None => &[stop],
    };
    super::super::scan::key_range::for_each_slot_batch(
        access,
        context,
        |range: std::ops::Range<RowId>| {
            let mut failure: Option<Error> = None;
            if !filter.is_active() {
                // The filter stopped testing: the plain decode, which costs less per row.
                let next_row = context.txn.scan_batch_decoded(
                    table,
                    range,
                    decoder,
                    &mut buffer,
                    |_, row| match visit(row) {
                        Ok(()) => true,
                        Err(error) => {
                            failure = Some(error);
                            false
                        }
                    },
                )?;
                return match failure {
                    Some(error) => Err(error),
                    None => Ok(next_row),
                };
            }
            let mut passed = 0u64;
            let (next_row, rejected) = context.txn.scan_batch_raw_counted(
                table,
                range,
                decoder,
                &mut buffer,
                raw.as_ref(),
                stops,
                // A key that fails to hash (it cannot: keys are columns) is let through.
                |_, row| filter.row_passes(keys, row, context).unwrap_or(true),
                |_, row| {
                    passed += 1;
                    match visit(row) {
                        Ok(()) => true,
                        Err(error) => {
                            failure = Some(error);
                            false
                        }
                    }
                },
            )?;
            if raw.is_some() {
                // The raw test counts nothing per row (`raw_check`): the batch's counts.
                filter.count_batch(passed + rejected, rejected);
            }
            match failure {
                Some(error) => Err(error),
                None => Ok(next_row),
            }
        },
    )
}
