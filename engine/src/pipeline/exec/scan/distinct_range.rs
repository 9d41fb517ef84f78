//! The storage side of a walk over an index range for DISTINCT or `count(DISTINCT col)`
//! (`exec::aggregate::distinct_walk`) or for GROUP BY folded by runs
//! (`exec::aggregate::group_walk`): values are compared by their encoded key parts
//! (`Transaction::index_range_distinct`, `count_distinct_index_range`, `index_range_runs`), so an
//! entry whose value equals the last one taken is stepped over (or, for a group, counted) without
//! decoding its row.

use ember_storage::{KeyParts, RowId, RunVisit, Value};

use crate::error::Result;
use crate::expr::Predicate;
use crate::plan::{IndexRange, TableAccess};

use super::MAX_BATCH_ENTRIES;
use super::{as_slices, every_conjunct, ExecContext, RangeCursor};

impl RangeCursor {
    /// Whether every row this walk of `range` (opened for `access`) reaches passes the
    /// access's filter: it has none, or the range decides each of its terms.
    pub fn decides_filter(&self, access: &TableAccess, range: &IndexRange) -> bool {
        access.filter.as_ref().is_none_or(|filter| {
            self.exact_bounds
                && every_conjunct(filter, &mut |term| {
                    crate::optimize::range_decides(range, term)
                })
        })
    }

    /// Reads one batch of a GROUP BY walk by runs of equal `parts`: each run's first row is
    /// decoded into `buffer` and shown as `visit(Some(values))` (which may move its values
    /// out), each later row of the run as `visit(None)` (unread on a settled index).
    /// `running` holds the parts of the run being read (kept across calls; empty before
    /// the first). The access filter is not checked: the caller made sure the range
    /// decides it (`decides_filter`). An interrupt is checked before the batch; an error
    /// of `visit` stops the walk and is returned.
    pub fn refill_runs(
        &mut self,
        access: &TableAccess,
        context: &ExecContext<'_>,
        parts: KeyParts,
        buffer: &mut Vec<Value>,
        running: &mut Vec<u8>,
        mut visit: impl FnMut(Option<&mut Vec<Value>>) -> Result<()>,
    ) -> Result<()> {
        debug_assert!(!self.first_only, "a group walk reads every run");
        if self.finished {
            return Ok(());
        }
        context.check_interrupt()?;
        let mut failure = None;
        let progress = context.txn.index_range_runs(
            &access.table.storage,
            &self.index,
            as_slices(&self.lower),
            as_slices(&self.upper),
            self.descending,
            self.batch,
            parts,
            access.read.decoder(),
            buffer,
            &mut self.scratch,
            running,
            |_, values| match visit(values) {
                Ok(()) => true,
                Err(error) => {
                    failure = Some(error);
                    false
                }
            },
        )?;
        if let Some(error) = failure {
            return Err(error);
        }
        self.advance(progress);
        Ok(())
    }

    /// Reads batches of the walk until one gives a row or the walk ends: of each run of
    /// entries whose `parts` are equal, the first row that passes the access filter is
    /// decoded into `buffer` and handed to `take` (which may move its values out); the
    /// rest of the run is stepped over. `taken` holds the parts of the last row taken
    /// (kept across calls; empty before the first). An interrupt is checked before each
    /// batch.
    pub fn refill_distinct(
        &mut self,
        access: &TableAccess,
        context: &ExecContext<'_>,
        parts: KeyParts,
        buffer: &mut Vec<Value>,
        taken: &mut Vec<u8>,
        mut take: impl FnMut(&mut Vec<Value>),
    ) -> Result<()> {
        debug_assert!(!self.first_only, "a distinct walk reads every run");
        let filter = access
            .filter
            .as_ref()
            .map(|f| Predicate::new(f, &context.eval));
        let mut took = false;
        while !took && !self.finished {
            context.check_interrupt()?;
            let mut failure = None;
            let progress = context.txn.index_range_distinct(
                &access.table.storage,
                &self.index,
                as_slices(&self.lower),
                as_slices(&self.upper),
                self.descending,
                self.batch,
                parts,
                access.read.decoder(),
                buffer,
                &mut self.scratch,
                taken,
                |_, values| {
                    let keep = match &filter {
                        None => Ok(true),
                        Some(predicate) => predicate.matches(values, &context.eval),
                    };
                    match keep {
                        Ok(true) => {
                            took = true;
                            take(values);
                            RunVisit::Taken
                        }
                        Ok(false) => RunVisit::Passed,
                        Err(error) => {
                            failure = Some(error);
                            RunVisit::Stop
                        }
                    }
                },
            )?;
            if let Some(error) = failure {
                return Err(error);
            }
            self.advance(progress);
        }
        Ok(())
    }
}

/// For `count(DISTINCT col)` over an ascending walk of `range` that reads `col` as part
/// `parts` of its keys: the count of distinct non-NULL values among the rows the walk
/// gives, and the row of the last row it gives, counted by the entries' encoded parts a batch
/// at a time (no epoch stays pinned between batches, an interrupt is checked before each).
/// The parts compare as the index's collation does, which the caller vouches is the
/// call's. `None` when the walk must read rows instead (a descending walk, or a filter the
/// range does not decide) or the index no longer exists.
pub(in crate::pipeline::exec) fn count_distinct_range(
    access: &TableAccess,
    range: &IndexRange,
    parts: KeyParts,
    context: &ExecContext<'_>,
) -> Result<Option<(u64, Option<RowId>)>> {
    if range.descending || range.first_only {
        return Ok(None);
    }
    let Some(mut cursor) = RangeCursor::open(access, range, context)? else {
        return Ok(None);
    };
    if !cursor.decides_filter(access, range) {
        return Ok(None);
    }
    let mut buffer = Vec::new();
    let mut counted = Vec::new();
    let (mut distinct, mut last) = (0u64, None);
    while !cursor.finished {
        context.check_interrupt()?;
        let (runs, greatest, progress) = context.txn.count_distinct_index_range(
            &access.table.storage,
            &cursor.index,
            as_slices(&cursor.lower),
            as_slices(&cursor.upper),
            MAX_BATCH_ENTRIES,
            parts,
            access.read.decoder(),
            &mut buffer,
            &mut cursor.scratch,
            &mut counted,
        )?;
        distinct += runs;
        last = greatest.or(last);
        cursor.advance_counted(progress);
    }
    cursor.keep_scratch(context);
    Ok(Some((distinct, last)))
}
