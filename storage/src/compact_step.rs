//! Compaction in bounded steps, for a store that has gone quiet: each step marks at most a
//! number of the emptiest pages as evacuating (`SlabPool::begin_compaction_limited`), walks
//! at most a number of slots of the tables from where the last step stopped
//! (`Table::compact_payloads_from`), moving the payloads it finds in those pages, and ends
//! the run (the moved-out slots freed after the epoch, the emptied pages released). A step
//! is the same compaction as VACUUM's, cut to size: readers and writers go on meanwhile.
//!
//! A page a step marked but whose payloads lie in rows the step did not walk stays; the next
//! step marks the emptiest pages again (the same ones, emptier still), so a cycle of steps
//! over every row empties them. A cycle that released no page says the pool is as compact
//! as compaction can make it.

use crate::mvcc::{RowId, Table};
use crate::store::Store;

/// Where compaction in steps stands: the table (its place in the list each step is given)
/// and the row the next step starts at, and the pages the current cycle released. A list
/// that changed between steps (a table created or dropped) only shifts which rows the cycle
/// walks.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct StepCursor {
    table: usize,
    row: RowId,
    cycle_released: u64,
}

/// How much one step may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StepLimits {
    /// Pages the step marks as evacuating, at most.
    pub pages_max: u64,
    /// Slots the step walks, at most.
    pub slots_max: u64,
    /// Pages at most this share (in percent) of their slots in use may be evacuated.
    pub used_percent_max: u64,
}

/// What one step did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StepReport {
    pub pages_evacuated: u64,
    pub payloads_moved: u64,
    pub pages_released: u64,
    pub slots_walked: u64,
    /// Whether the walk reached the end of the last table (the next step starts over).
    pub cycle_ended: bool,
    /// Pages released by the whole cycle this step belongs to (so far, or in all when it
    /// ended).
    pub cycle_released: u64,
}

impl Store {
    /// One bounded step of compaction over `tables` (every table of the store), going on
    /// from `cursor`; see the module comment.
    pub fn compact_step(
        &self,
        tables: &[&Table],
        cursor: &mut StepCursor,
        limits: StepLimits,
    ) -> StepReport {
        debug_assert!(limits.slots_max > 0 && limits.used_percent_max <= 100);
        let pool = self.pool();
        pool.release_freed_pages();
        let compaction = pool.begin_compaction_limited(limits.used_percent_max, limits.pages_max);
        let mut report = StepReport {
            pages_evacuated: compaction.pages_evacuated(),
            ..StepReport::default()
        };
        debug_assert!(report.pages_evacuated <= limits.pages_max);
        while report.pages_evacuated > 0 && report.slots_walked < limits.slots_max {
            let Some(table) = tables.get(cursor.table) else {
                break;
            };
            let left = limits.slots_max - report.slots_walked;
            let walked = table.compact_payloads_from(&compaction, cursor.row, left);
            report.payloads_moved += walked.moved;
            report.slots_walked += walked.slots;
            match walked.next {
                Some(row) => cursor.row = row,
                None => {
                    cursor.table += 1;
                    cursor.row = 0;
                }
            }
        }
        debug_assert!(report.slots_walked <= limits.slots_max);
        // With nothing to evacuate, the cycle is over too: the pool is compact.
        report.cycle_ended = report.pages_evacuated == 0 || cursor.table >= tables.len();
        report.pages_released = compaction.finish(report.payloads_moved).pages_released;
        cursor.cycle_released += report.pages_released;
        report.cycle_released = cursor.cycle_released;
        if report.cycle_ended {
            *cursor = StepCursor::default();
        }
        report
    }
}
