//! An OFFSET over an index range walk with no filter left to check: the rows skipped are
//! stepped over by their index entries (`Transaction::skip_index_range`: no row read when
//! the index is settled, else each entry checked against the row version the snapshot
//! sees, so only rows the walk would give are counted), a batch at a time, and the walk
//! resumes after the last of them.

use std::num::NonZeroU64;

use ember_storage::Value;

use crate::error::Result;
use crate::plan::TableAccess;

use super::{as_slices, ExecContext, RangeCursor, MAX_BATCH_ENTRIES};

impl RangeCursor {
    /// Steps over up to `*rows` rows of the walk, taking those stepped over from `*rows`
    /// (left above zero only when the walk ends first); `buffer` is scratch for checking
    /// entries. An interrupt is checked before each batch.
    pub(super) fn skip_rows(
        &mut self,
        access: &TableAccess,
        context: &ExecContext<'_>,
        buffer: &mut Vec<Value>,
        rows: &mut u64,
    ) -> Result<()> {
        while !self.finished {
            let Some(wanted) = NonZeroU64::new(*rows) else {
                break;
            };
            context.check_interrupt()?;
            let (skipped, progress) = context.txn.skip_index_range(
                &access.table.storage,
                &self.index,
                as_slices(&self.lower),
                as_slices(&self.upper),
                self.descending,
                wanted,
                MAX_BATCH_ENTRIES,
                access.read.decoder(),
                buffer,
                &mut self.scratch,
            )?;
            debug_assert!(skipped <= *rows);
            *rows = rows.saturating_sub(skipped);
            self.advance(progress);
        }
        Ok(())
    }
}
