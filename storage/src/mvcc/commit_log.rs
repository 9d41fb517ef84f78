//! Commit-time validation of SERIALIZABLE transactions (backward validation, as Hekaton
//! does): while a SERIALIZABLE transaction other than the committer is open, every commit
//! logs what it wrote (tables, and rows up to `WRITTEN_ROWS_LOGGED_MAX`); a SERIALIZABLE
//! transaction that wrote something commits only if no commit after its snapshot wrote
//! anything it read. Its reads are then still current at its commit timestamp, so the
//! commit order is a serial order of the SERIALIZABLE writers, and a read-only one (which
//! needs no validation) reads a prefix of it.
//!
//! Ordering: a SERIALIZABLE transaction counts itself open (`begin`) before it takes its
//! snapshot; a committer reads the count after it published its timestamp, under the commit
//! lock. A committer that reads no open transaction but itself therefore published before
//! any other's snapshot was taken (the snapshot sees its writes), and any other logs its
//! writes before the next commit validates.
//!
//! Cost: the log's entries are slots reused once pruned (their buffers kept), so a logged
//! commit allocates nothing once the log has grown; a validation that finds nothing logged
//! after its snapshot takes no lock.
//!
//! Bounds: entries no snapshot can need (at or below the GC watermark) are dropped; past
//! `LOG_ENTRIES_MAX` the oldest fold into a table-level summary. The log's bytes and the
//! read sets' are counted (`SerialStats`) and charged to the database's memory account.

use std::collections::{HashSet, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use crate::error::{StorageError, StorageErrorKind};
use crate::slab::MemoryAccount;

use super::table::RowId;

pub use crate::limits::{LOG_ENTRIES_MAX, LOG_SPARE_ENTRIES_MAX, WRITTEN_ROWS_LOGGED_MAX};

/// Every this many appends, entries at or below the GC watermark are dropped.
const PRUNE_EVERY: u64 = 64;

/// Most table ids of capacity a pruned entry keeps to be reused.
const SPARE_TABLES_CAPACITY_MAX: usize = 64;

/// What one commit wrote.
#[derive(Debug, Default)]
pub(super) struct LoggedCommit {
    pub(super) ts: u64,
    /// Ids of the tables written.
    pub(super) tables: Vec<u64>,
    /// (table id, row id) of every row written, when `rows_complete`; else the tables stand
    /// for them (too many rows).
    pub(super) rows: Vec<(u64, RowId)>,
    pub(super) rows_complete: bool,
}

impl LoggedCommit {
    /// Bytes the entry holds (its buffers' capacity included).
    fn bytes(&self) -> u64 {
        (std::mem::size_of::<LoggedCommit>()
            + self.tables.capacity() * std::mem::size_of::<u64>()
            + self.rows.capacity() * std::mem::size_of::<(u64, RowId)>()) as u64
    }

    /// Whether the entry's buffers are small enough to keep for reuse.
    fn worth_keeping(&self) -> bool {
        self.tables.capacity() <= SPARE_TABLES_CAPACITY_MAX
            && self.rows.capacity() <= 2 * WRITTEN_ROWS_LOGGED_MAX
    }
}

#[derive(Debug, Default)]
struct CommitLog {
    /// In commit order.
    entries: VecDeque<LoggedCommit>,
    /// Pruned entries, emptied, for the next appends to fill.
    spare: Vec<LoggedCommit>,
    /// Tables written by folded commits, which committed at or before `folded_upto`.
    folded_tables: HashSet<u64>,
    folded_upto: u64,
    appends: u64,
    /// Bytes of `entries` and `spare`.
    bytes: u64,
}

impl CommitLog {
    /// Takes an entry out of the log: kept as a spare when small enough, else freed.
    fn retire(&mut self, mut entry: LoggedCommit) {
        if self.spare.len() < LOG_SPARE_ENTRIES_MAX && entry.worth_keeping() {
            entry.tables.clear();
            entry.rows.clear();
            self.spare.push(entry);
        } else {
            self.bytes -= entry.bytes();
        }
    }

    /// Bytes the log holds, the folded summary included.
    fn held_bytes(&self) -> u64 {
        self.bytes
            + (self.entries.capacity() * std::mem::size_of::<LoggedCommit>()) as u64
            + (self.folded_tables.capacity() * std::mem::size_of::<u64>()) as u64
    }
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
    /// Read sets whose key ranges grew past `READ_RANGES_MAX` and fell back to tables.
    pub range_folds: u64,
    /// Bytes the read sets of open SERIALIZABLE transactions hold.
    pub read_set_bytes: u64,
    /// Bytes the commit log holds.
    pub log_bytes: u64,
}

/// The store's validation state.
#[derive(Debug, Default)]
pub(crate) struct SerialState {
    /// SERIALIZABLE transactions open.
    open: AtomicU64,
    log: Mutex<CommitLog>,
    /// Commit timestamp of the newest logged commit (0: none); written under the commit
    /// lock, read under it by validation.
    newest_logged: AtomicU64,
    validated: AtomicU64,
    conflicts: AtomicU64,
    read_set_folds: AtomicU64,
    range_folds: AtomicU64,
    log_folds: AtomicU64,
    logged: AtomicU64,
    /// Bytes of the read sets of open transactions (added as they grow, taken off as they
    /// end).
    read_set_bytes: AtomicU64,
    log_bytes: AtomicU64,
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

    /// Whether commits must be logged: call after publishing, under the commit lock;
    /// `serializable` says whether the committer is itself a SERIALIZABLE transaction
    /// (counted open, needing no log of its own commit).
    #[inline]
    pub(super) fn logging(&self, serializable: bool) -> bool {
        self.open.load(Ordering::SeqCst) > u64::from(serializable)
    }

    pub(super) fn count_read_fold(&self) {
        self.read_set_folds.fetch_add(1, Ordering::Relaxed);
    }

    pub(super) fn count_range_fold(&self) {
        self.range_folds.fetch_add(1, Ordering::Relaxed);
    }

    /// Notes that read sets grew by `bytes` (`shrunk`: shrank by them), charged to (or
    /// released from) `account`, the database's.
    pub(super) fn note_read_set_bytes(&self, bytes: u64, shrunk: bool, account: &MemoryAccount) {
        if shrunk {
            self.read_set_bytes.fetch_sub(bytes, Ordering::Relaxed);
            account.release(bytes);
        } else {
            self.read_set_bytes.fetch_add(bytes, Ordering::Relaxed);
            account.charge(bytes);
        }
    }

    fn log(&self) -> std::sync::MutexGuard<'_, CommitLog> {
        self.log.lock().unwrap_or_else(|poison| poison.into_inner())
    }

    /// Logs the commit at `ts` (under the commit lock): `fill` writes what it wrote into an
    /// emptied entry (tables, rows, `rows_complete`); `watermark` gives the GC watermark
    /// when the log prunes. The change of the log's bytes is charged to `account` (the
    /// database's; never refused: the log's size is bounded by its limits).
    pub(super) fn append(
        &self,
        ts: u64,
        fill: impl FnOnce(&mut LoggedCommit),
        watermark: impl FnOnce() -> u64,
        account: &MemoryAccount,
    ) {
        self.logged.fetch_add(1, Ordering::Relaxed);
        let mut log = self.log();
        debug_assert!(log.entries.back().is_none_or(|last| last.ts < ts));
        // A spare's bytes are counted already; a fresh entry's are counted once filled.
        let (mut entry, before) = match log.spare.pop() {
            Some(spare) => {
                let bytes = spare.bytes();
                (spare, bytes)
            }
            None => (LoggedCommit::default(), 0),
        };
        entry.ts = ts;
        fill(&mut entry);
        debug_assert!(entry.rows_complete || entry.rows.is_empty());
        log.bytes = log.bytes + entry.bytes() - before;
        log.entries.push_back(entry);
        log.appends += 1;
        if log.appends.is_multiple_of(PRUNE_EVERY) || log.entries.len() > LOG_ENTRIES_MAX {
            let watermark = watermark();
            while log
                .entries
                .front()
                .is_some_and(|first| first.ts <= watermark)
            {
                let pruned = log.entries.pop_front().expect("checked above");
                log.retire(pruned);
            }
            if log.folded_upto <= watermark {
                log.folded_tables.clear();
            }
        }
        while log.entries.len() > LOG_ENTRIES_MAX {
            let oldest = log.entries.pop_front().expect("longer than the limit");
            log.folded_upto = oldest.ts;
            let tables = oldest.tables.iter().copied();
            log.folded_tables.extend(tables);
            log.retire(oldest);
            self.log_folds.fetch_add(1, Ordering::Relaxed);
        }
        self.newest_logged.store(ts, Ordering::Relaxed);
        let held = log.held_bytes();
        let before = self.log_bytes.swap(held, Ordering::Relaxed);
        if held > before {
            account.charge(held - before);
        } else {
            account.release(before - held);
        }
    }

    /// Validates the reads of a transaction whose snapshot is at `read_ts` (under the
    /// commit lock): `covers(table, row)` says whether its reads cover a write of `row`
    /// (`None`: some row) of `table`. Returns the ids of the tables written after `read_ts`
    /// that its reads cover, sorted, each once; empty: valid.
    pub(super) fn validate(
        &self,
        read_ts: u64,
        mut covers: impl FnMut(u64, Option<RowId>) -> bool,
    ) -> Vec<u64> {
        self.validated.fetch_add(1, Ordering::Relaxed);
        // Nothing logged after the snapshot (the folded summary is older than the newest
        // entry): valid without the log's lock.
        if self.newest_logged.load(Ordering::Relaxed) <= read_ts {
            return Vec::new();
        }
        let log = self.log();
        let mut hit: Vec<u64> = Vec::new();
        for entry in log.entries.iter().rev() {
            if entry.ts <= read_ts {
                break;
            }
            if entry.rows_complete {
                hit.extend(
                    entry
                        .rows
                        .iter()
                        .filter(|(table, row)| covers(*table, Some(*row)))
                        .map(|(table, _)| *table),
                );
            } else {
                hit.extend(entry.tables.iter().filter(|table| covers(**table, None)));
            }
        }
        if log.folded_upto > read_ts {
            hit.extend(
                log.folded_tables
                    .iter()
                    .filter(|table| covers(**table, None)),
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
            range_folds: self.range_folds.load(Ordering::Relaxed),
            read_set_bytes: self.read_set_bytes.load(Ordering::Relaxed),
            log_bytes: self.log_bytes.load(Ordering::Relaxed),
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
    use super::super::read_set::ReadSet;
    use super::*;

    fn append(state: &SerialState, ts: u64, rows: &[(u64, RowId)]) {
        state.append(
            ts,
            |entry| {
                entry.tables.extend(rows.iter().map(|(table, _)| *table));
                entry.tables.dedup();
                entry.rows.extend_from_slice(rows);
                entry.rows_complete = true;
            },
            || 0,
            &MemoryAccount::new(),
        );
    }

    fn validate(state: &SerialState, read_ts: u64, reads: &ReadSet) -> Vec<u64> {
        state.validate(read_ts, |table, row| reads.covers(table, row))
    }

    #[test]
    fn only_commits_after_the_snapshot_conflict() {
        let state = SerialState::default();
        append(&state, 5, &[(1, 10)]);
        append(&state, 6, &[(2, 20)]);
        let mut reads = ReadSet::default();
        reads.note_row(1, 10);
        assert_eq!(validate(&state, 6, &reads), Vec::<u64>::new());
        assert_eq!(validate(&state, 5, &reads), Vec::<u64>::new());
        assert_eq!(validate(&state, 4, &reads), vec![1]);
        reads.note_table(2);
        assert_eq!(validate(&state, 4, &reads), vec![1, 2]);
        assert_eq!(state.stats().conflicts, 2);
    }

    #[test]
    fn a_full_log_folds_into_tables_and_still_refuses() {
        let state = SerialState::default();
        for ts in 1..=(LOG_ENTRIES_MAX as u64 + 10) {
            append(&state, ts, &[(3, ts)]);
        }
        assert_eq!(state.logged_len(), LOG_ENTRIES_MAX);
        assert_eq!(state.stats().log_folds, 10);
        let mut reads = ReadSet::default();
        // Commits 1..=10 are folded: their table summary refuses a read of any row of 3.
        reads.note_row(3, 999_999);
        assert_eq!(validate(&state, 1, &reads), vec![3]);
        assert!(validate(&state, LOG_ENTRIES_MAX as u64 + 10, &reads).is_empty());
    }

    #[test]
    fn entries_at_or_below_the_watermark_are_dropped_and_their_slots_reused() {
        let state = SerialState::default();
        let account = MemoryAccount::new();
        for ts in 1..=PRUNE_EVERY {
            state.append(
                ts,
                |entry| {
                    entry.tables.push(1);
                    entry.rows.push((1, ts));
                    entry.rows_complete = true;
                },
                || PRUNE_EVERY - 4,
                &account,
            );
        }
        assert_eq!(state.logged_len(), 4);
        let bytes = state.stats().log_bytes;
        assert!(bytes > 0);
        assert_eq!(account.used_bytes(), bytes);
        // The next appends fill the pruned slots: the log's bytes do not grow.
        for ts in PRUNE_EVERY + 1..PRUNE_EVERY + 40 {
            append(&state, ts, &[(1, ts)]);
        }
        assert_eq!(state.stats().log_bytes, bytes);
    }
}
