//! The filter a full scan applies to each row, in the cheapest form it allows: none; a
//! compiled filter split into checks on the payload's bytes (terms on INTEGER and REAL
//! columns: a row they reject builds no value) and stages that run while the row is
//! decoded (a row an early term rejects is not decoded further, see `expr::Staged`); or the
//! general predicate, run on each decoded row.

use ember_storage::{RowId, Value};

use crate::error::{Error, Result};
use crate::expr::{Expr, Predicate, Staged};
use crate::plan::{AccessPath, TableAccess};

use super::super::ExecContext;

/// The filter of a scan: one form for every row, and for the direct rows of a key range
/// whose window is exact one without the range's own conjuncts (they hold for every such
/// row: `TableAccess::key_residual`).
pub struct ScanFilter<'e> {
    rows: RowFilter<'e>,
    direct_rows: Option<RowFilter<'e>>,
}

/// One filter, in the cheapest form it allows (see the module comment).
pub enum RowFilter<'e> {
    All,
    Staged(Staged),
    Predicate(Predicate<'e>),
}

impl<'e> ScanFilter<'e> {
    /// The filter of `access` (its constants evaluated in `context`).
    pub fn new(access: &'e TableAccess, context: &ExecContext<'_>) -> ScanFilter<'e> {
        let rows = RowFilter::new(access.filter.as_ref(), access, context);
        let direct_rows = match (&access.path, &access.key_residual) {
            (AccessPath::KeyRange(_) | AccessPath::KeyOrder(_), Some(residual))
                if access.filter.is_some() && access.table.storage.is_clustered() =>
            {
                // An error evaluating the bounds is the scan's to report (its window).
                super::key_range::window_is_exact(access, context)
                    .unwrap_or(false)
                    .then(|| RowFilter::new(residual.as_ref().as_ref(), access, context))
            }
            _ => None,
        };
        ScanFilter { rows, direct_rows }
    }

    /// Runs one scan batch over the slots `range` of `access`'s table: `visit` gets each
    /// visible row that passes the filter (decoded by the access's decoder into `buffer`)
    /// and returns whether to go on. A filter's error stops the batch and lands in
    /// `failure`. Returns where the next batch starts.
    pub fn scan_batch(
        &self,
        access: &TableAccess,
        context: &ExecContext<'_>,
        range: std::ops::Range<RowId>,
        buffer: &mut Vec<Value>,
        failure: &mut Option<Error>,
        mut visit: impl FnMut(RowId, &mut Vec<Value>) -> bool,
    ) -> Result<RowId> {
        let table = &access.table.storage;
        let filter = match &self.direct_rows {
            Some(direct) if table.is_direct_row(range.start) => {
                debug_assert!(range.end == range.start || table.is_direct_row(range.end - 1));
                direct
            }
            _ => &self.rows,
        };
        let txn = context.txn;
        Ok(match filter {
            RowFilter::All => scan_staged_batch(access, txn, range, buffer, None, visit)?,
            RowFilter::Staged(staged) => {
                scan_staged_batch(access, txn, range, buffer, Some(staged), visit)?
            }
            RowFilter::Predicate(predicate) => txn.scan_batch_decoded(
                &access.table.storage,
                range,
                access.read.decoder(),
                buffer,
                |row, values| match predicate.matches(values, &context.eval) {
                    Ok(true) => visit(row, values),
                    Ok(false) => true,
                    Err(error) => {
                        *failure = Some(error);
                        false
                    }
                },
            )?,
        })
    }
}

impl<'e> RowFilter<'e> {
    /// `filter` as a scan of `access` runs it (its constants evaluated in `context`). A
    /// parallel scan's workers run the access's whole filter on every row.
    pub(in crate::pipeline::exec) fn new(
        filter: Option<&'e Expr>,
        access: &TableAccess,
        context: &ExecContext<'_>,
    ) -> RowFilter<'e> {
        let Some(filter) = filter else {
            return RowFilter::All;
        };
        let predicate = Predicate::new(filter, &context.eval);
        if let Predicate::Compiled(compiled) = &predicate {
            let decoded = |column: usize| {
                access
                    .read
                    .columns()
                    .is_none_or(|columns| columns.get(column).copied().unwrap_or(false))
            };
            if let Some(mut staged) = Staged::of(compiled, decoded) {
                if walks_many_rows(access, context) {
                    staged = staged.with_raw_checks(access.read.decoder());
                    if staged.raw_is_selective() {
                        return RowFilter::Staged(staged);
                    }
                    staged = staged.without_raw_checks();
                }
                if pays_to_stage(access, &staged) {
                    return RowFilter::Staged(staged);
                }
            }
        }
        RowFilter::Predicate(predicate)
    }
}

/// One scan batch over the slots `range` of `access`'s table (as `ScanFilter::scan_batch`),
/// with `staged` checked while each row is decoded, or every visible row when `None`: the
/// part of a filtered scan the statement's thread and the parallel workers
/// (`parallel::WorkerFilter`) share.
pub(in crate::pipeline::exec) fn scan_staged_batch(
    access: &TableAccess,
    txn: &ember_storage::Transaction,
    range: std::ops::Range<RowId>,
    buffer: &mut Vec<Value>,
    staged: Option<&Staged>,
    visit: impl FnMut(RowId, &mut Vec<Value>) -> bool,
) -> Result<RowId> {
    let table = &access.table.storage;
    let decoder = access.read.decoder();
    Ok(match staged {
        None => txn.scan_batch_decoded(table, range, decoder, buffer, visit)?,
        Some(staged) => txn.scan_batch_raw_checked(
            table,
            range,
            decoder,
            buffer,
            staged.raw(),
            staged.stops(),
            |stage, row| staged.check(stage, row),
            visit,
        )?,
    })
}

/// Rows a scan walks below which building raw checks does not pay: finding a term's
/// interval takes some 5,000 instructions (a binary search over the column's values with
/// the term itself, then probes: `expr::staged::raw`), a decoded check of a row a few
/// dozen. A key range of a few hundred keys (`DELETE .. WHERE id BETWEEN ..`, whose filter
/// repeats the range) then spends more on its raw checks than on its rows.
const RAW_CHECK_ROWS_MIN: u64 = 256;

/// Whether the scan of `access` may walk `RAW_CHECK_ROWS_MIN` rows or more: always for a
/// full scan; for a key range, by the width of its window of row ids plus the overflow
/// rows it walks whole.
fn walks_many_rows(access: &TableAccess, context: &ExecContext<'_>) -> bool {
    if !matches!(access.path, AccessPath::KeyRange(_)) {
        return true;
    }
    match super::key_range::access_row_ranges(access, context) {
        Ok(ranges) => {
            let walked: u64 = ranges
                .iter()
                .map(|range| range.end.saturating_sub(range.start))
                .sum();
            walked >= RAW_CHECK_ROWS_MIN
        }
        // The scan reports the error when it evaluates the window itself.
        Err(_) => true,
    }
}

/// Columns a row walks past the first stage for staging to pay: a rejected row then saves
/// at least this many columns' decoding, more than the staged decode's own cost (measured:
/// one REAL column saved does not pay, R1 in docs/benchmarks.md).
const STAGED_COLUMNS_SAVED_MIN: usize = 2;

/// Whether checking `staged` while decoding saves more than it costs: the first stage runs
/// at least `STAGED_COLUMNS_SAVED_MIN` columns before the last column the access decodes.
fn pays_to_stage(access: &TableAccess, staged: &Staged) -> bool {
    let walked = match access.read.columns() {
        None => access.table.columns.len(),
        Some(columns) => columns
            .iter()
            .rposition(|&read| read)
            .map_or(0, |last| last + 1),
    };
    staged
        .stops()
        .first()
        .is_some_and(|&first| walked.saturating_sub(first + 1) >= STAGED_COLUMNS_SAVED_MIN)
}
