//! Commit-time validation of SERIALIZABLE transactions (backward validation, as Hekaton
//! does): while any SERIALIZABLE transaction is open, every commit logs what it wrote
//! (tables, and rows up to `WRITTEN_ROWS_LOGGED_MAX`); a SERIALIZABLE transaction that wrote
//! something commits only if no commit after its snapshot wrote anything it read. Its reads
//! are then still current at its commit timestamp, so the commit order is a serial order of
//! the SERIALIZABLE writers, and a read-only one (which needs no validation) reads a prefix
//! of it.
//!
//! Ordering: a SERIALIZABLE transaction counts itself open (`begin`) before it takes its
//! snapshot; a committer reads the count after it published its timestamp, under the commit
//! lock. A committer that reads 0 therefore published before that snapshot was taken (the
//! snapshot sees its writes), and any other logs its writes before the next commit validates.
//!
//! Bounds: entries no snapshot can need (at or below the GC watermark) are dropped; past
//! `LOG_ENTRIES_MAX` the oldest fold into a table-level summary.

use std::collections::{HashSet, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use crate::error::{StorageError, StorageErrorKind};

use super::read_set::ReadSet;
use super::table::RowId;

pub use crate::limits::{LOG_ENTRIES_MAX, WRITTEN_ROWS_LOGGED_MAX};

/// Every this many appends, entries at or below the GC watermark are dropped.
const PRUNE_EVERY: u64 = 64;

/// What one commit wrote.
#[derive(Debug)]
pub(super) struct LoggedCommit {
    pub(super) ts: u64,
    /// Ids of the tables written.
    pub(super) tables: Vec<u64>,
    /// (table id, row id) of every row written; `None`: too many, the tables stand for them.
    pub(super) rows: Option<Vec<(u64, RowId)>>,
}

#[derive(Debug, Default)]
struct CommitLog {
    /// In commit order.
    entries: VecDeque<LoggedCommit>,
    /// Tables written by folded commits, which committed at or before `folded_upto`.
    folded_tables: HashSet<u64>,
    folded_upto: u64,
    appends: u64,
}

/// Counters of SERIALIZABLE validation (`ember_stats`).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct SerialStats {
    /// SERIALIZABLE transactions that wrote and were validated at commit.
    pub validated: u64,
    /// Commits refused because a later commit wrote what they read.
    pub conflicts: u64,
    /// Read sets that grew past `READ_ROWS_MAX` row entries and fell back to tables.
    pub read_set_folds: u64,
    /// Logged commits folded into the table-level summary (the log was full).
    pub log_folds: u64,
    /// Commits logged for validation.
    pub logged: u64,
}

/// The store's validation state.
#[derive(Debug, Default)]
pub(crate) struct SerialState {
    /// SERIALIZABLE transactions open.
    open: AtomicU64,
    log: Mutex<CommitLog>,
    validated: AtomicU64,
    conflicts: AtomicU64,
    read_set_folds: AtomicU64,
    log_folds: AtomicU64,
    logged: AtomicU64,
}

impl SerialState {
    /// Counts a SERIALIZABLE transaction open; call before it takes its snapshot.
    pub(super) fn begin(&self) {
        self.open.fetch_add(1, Ordering::SeqCst);
    }

    /// Counts a SERIALIZABLE transaction ended.
    pub(super) fn end(&self) {
        let before = self.open.fetch_sub(1, Ordering::SeqCst);
        debug_assert!(before > 0, "a SERIALIZABLE end without its begin");
    }

    /// Whether commits must be logged: call after publishing, under the commit lock.
    #[inline]
    pub(super) fn logging(&self) -> bool {
        self.open.load(Ordering::SeqCst) > 0
    }

    pub(super) fn count_read_fold(&self) {
        self.read_set_folds.fetch_add(1, Ordering::Relaxed);
    }

    fn log(&self) -> std::sync::MutexGuard<'_, CommitLog> {
        self.log.lock().unwrap_or_else(|poison| poison.into_inner())
    }

    /// Logs a commit (under the commit lock); `watermark` gives the GC watermark when the
    /// log prunes.
    pub(super) fn append(&self, entry: LoggedCommit, watermark: impl FnOnce() -> u64) {
        self.logged.fetch_add(1, Ordering::Relaxed);
        let mut log = self.log();
        debug_assert!(log.entries.back().is_none_or(|last| last.ts < entry.ts));
        log.entries.push_back(entry);
        log.appends += 1;
        if log.appends.is_multiple_of(PRUNE_EVERY) || log.entries.len() > LOG_ENTRIES_MAX {
            let watermark = watermark();
            while log
                .entries
                .front()
                .is_some_and(|first| first.ts <= watermark)
            {
                log.entries.pop_front();
            }
            if log.folded_upto <= watermark {
                log.folded_tables.clear();
            }
        }
        while log.entries.len() > LOG_ENTRIES_MAX {
            let oldest = log.entries.pop_front().expect("longer than the limit");
            log.folded_upto = oldest.ts;
            log.folded_tables.extend(oldest.tables);
            self.log_folds.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Validates `reads`, taken at `read_ts` (under the commit lock): the ids of the tables
    /// written after `read_ts` that `reads` covers, sorted, each once; empty: valid.
    pub(super) fn validate(&self, read_ts: u64, reads: &ReadSet) -> Vec<u64> {
        self.validated.fetch_add(1, Ordering::Relaxed);
        let log = self.log();
        let mut hit: Vec<u64> = Vec::new();
        for entry in log.entries.iter().rev() {
            if entry.ts <= read_ts {
                break;
            }
            match &entry.rows {
                Some(rows) => hit.extend(
                    rows.iter()
                        .filter(|(table, row)| reads.covers(*table, Some(*row)))
                        .map(|(table, _)| *table),
                ),
                None => hit.extend(
                    entry
                        .tables
                        .iter()
                        .filter(|table| reads.covers(**table, None)),
                ),
            }
        }
        if log.folded_upto > read_ts {
            hit.extend(
                log.folded_tables
                    .iter()
                    .filter(|table| reads.covers(**table, None)),
            );
        }
        hit.sort_unstable();
        hit.dedup();
        if !hit.is_empty() {
            self.conflicts.fetch_add(1, Ordering::Relaxed);
        }
        hit
    }

    pub(crate) fn stats(&self) -> SerialStats {
        SerialStats {
            validated: self.validated.load(Ordering::Relaxed),
            conflicts: self.conflicts.load(Ordering::Relaxed),
            read_set_folds: self.read_set_folds.load(Ordering::Relaxed),
            log_folds: self.log_folds.load(Ordering::Relaxed),
            logged: self.logged.load(Ordering::Relaxed),
        }
    }

    /// Commits the log holds one by one (for tests).
    #[cfg(test)]
    pub(super) fn logged_len(&self) -> usize {
        self.log().entries.len()
    }
}

/// The error of a refused commit, naming the tables (`table #id`; the engine names them).
pub(super) fn read_conflict(tables: &[u64]) -> StorageError {
    let names: Vec<String> = tables.iter().map(|id| format!("table #{id}")).collect();
    StorageError::new(
        StorageErrorKind::Conflict,
        format!(
            "could not serialize access: a transaction that committed after this \
             SERIALIZABLE transaction began wrote what it read ({}); retry the transaction",
            names.join(", ")
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(ts: u64, rows: &[(u64, RowId)]) -> LoggedCommit {
        let mut tables: Vec<u64> = rows.iter().map(|(table, _)| *table).collect();
        tables.dedup();
        LoggedCommit {
            ts,
            tables,
            rows: Some(rows.to_vec()),
        }
    }

    #[test]
    fn only_commits_after_the_snapshot_conflict() {
        let state = SerialState::default();
        state.append(entry(5, &[(1, 10)]), || 0);
        state.append(entry(6, &[(2, 20)]), || 0);
        let mut reads = ReadSet::default();
        reads.rows.insert((1, 10));
        assert_eq!(state.validate(5, &reads), Vec::<u64>::new());
        assert_eq!(state.validate(4, &reads), vec![1]);
        reads.tables.insert(2);
        assert_eq!(state.validate(4, &reads), vec![1, 2]);
        assert_eq!(state.stats().conflicts, 2);
    }

    #[test]
    fn a_full_log_folds_into_tables_and_still_refuses() {
        let state = SerialState::default();
        for ts in 1..=(LOG_ENTRIES_MAX as u64 + 10) {
            state.append(entry(ts, &[(3, ts)]), || 0);
        }
        assert_eq!(state.logged_len(), LOG_ENTRIES_MAX);
        assert_eq!(state.stats().log_folds, 10);
        let mut reads = ReadSet::default();
        // Commits 1..=10 are folded: their table summary refuses a read of any row of 3.
        reads.rows.insert((3, 999_999));
        assert_eq!(state.validate(1, &reads), vec![3]);
        assert!(state
            .validate(LOG_ENTRIES_MAX as u64 + 10, &reads)
            .is_empty());
    }

    #[test]
    fn entries_at_or_below_the_watermark_are_dropped() {
        let state = SerialState::default();
        for ts in 1..=PRUNE_EVERY {
            state.append(entry(ts, &[(1, ts)]), || PRUNE_EVERY - 4);
        }
        assert_eq!(state.logged_len(), 4);
    }
}
