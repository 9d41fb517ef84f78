//! Stepping a full scan (or key range) over an OFFSET's rows without building them: each
//! row is still tested by the scan's filter (compiled and staged as the scan's own
//! batches run it), but none is queued, handed back or projected; with no filter a row is
//! seen by its slot's visibility alone, its payload unread. The scan then goes on from the
//! row after the last one stepped over, as if it had returned them.

use crate::error::Result;
use crate::plan::AccessPath;

use super::super::ExecContext;
use super::scan_filter::ScanFilter;
use super::{ScanOperator, SCAN_BATCH_SLOTS};

impl ScanOperator<'_> {
    /// Steps over up to `*rows` rows of a full scan or key range that has returned none
    /// yet, taking those stepped over from `*rows` (see the file comment); does nothing for
    /// other paths, or a scan a correlated subquery may read through a map of its rows
    /// (`outer_probe.rs`).
    pub(in crate::pipeline::exec) fn skip_scan_rows(
        &mut self,
        context: &ExecContext<'_>,
        rows: &mut u64,
    ) -> Result<()> {
        let access = self.access;
        let fresh = self.next_row == 0 && self.pending.is_empty() && !self.finished;
        let probed = matches!(access.path, AccessPath::FullScan)
            && access
                .filter
                .as_ref()
                .is_some_and(super::outer_probe::may_probe);
        if !fresh
            || probed
            || !matches!(access.path, AccessPath::FullScan | AccessPath::KeyRange(_))
        {
            return Ok(());
        }
        let table = &access.table.storage;
        let filter = self
            .filter
            .get_or_insert_with(|| ScanFilter::new(access, context));
        let window = super::key_range::direct_window(access, context)?;
        let mut buffer = Vec::new();
        while *rows > 0 {
            context.check_interrupt()?;
            let Some(range) =
                table.next_scan_batch_in(self.next_row, SCAN_BATCH_SLOTS, window.clone())
            else {
                self.finished = true;
                return Ok(());
            };
            let mut step = |_| {
                *rows -= 1;
                *rows > 0
            };
            self.next_row = if access.filter.is_none() {
                context.txn.visible_rows_batch(table, range, step)
            } else {
                let mut failure = None;
                let next = filter.scan_batch(
                    access,
                    context,
                    range,
                    &mut buffer,
                    &mut failure,
                    |row, _| step(row),
                )?;
                if let Some(error) = failure {
                    return Err(error);
                }
                next
            };
        }
        Ok(())
    }
}
