//! History kept for `AS OF` reads: the commit-time log (which commit was the newest at which
//! wall-clock time), the history pin (one snapshot slot held at the oldest commit whose
//! versions must be kept, so garbage collection and freezing keep every version a read at or
//! after it needs), and the live AS OF readers (the pin never moves past one of them).
//!
//! Off (retention 0, the default) it holds no slot and records nothing: a commit pays one
//! relaxed load. The engine records commits (`record`) with its wall clock, moves the pin
//! forward (`advance`) from its collector, and opens reads (`Store::begin_as_of`).

use std::collections::{BTreeMap, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};

use super::active::ActiveSnapshots;
use super::clock::Clock;
use crate::limits::HISTORY_LOG_ENTRIES_MAX;

/// One entry of the commit-time log: `commit` was the newest commit at wall time `millis`
/// (and every commit after the previous entry's, up to `commit`, happened by then).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CommitTime {
    pub commit: u64,
    pub millis: i64,
}

/// Why a commit cannot be read: the oldest one that can, and its time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HistoryGap {
    pub oldest: CommitTime,
}

/// What `History::stats` reports.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct HistoryStats {
    pub retention_ms: u64,
    /// The oldest commit whose versions are kept (0 when history is off).
    pub pin: u64,
    pub log_entries: usize,
    pub readers: usize,
}

#[derive(Default)]
struct State {
    retention_ms: u64,
    /// The snapshot slot held at `pin` (while retention is on).
    slot: Option<usize>,
    pin: u64,
    /// The oldest readable commit: where history started, moved forward with the pin and
    /// when the log drops entries past its bound. Not the log's first entry: an entry's
    /// `commit` grows as later commits of its millisecond merge into it.
    start: u64,
    /// Ascending in both fields.
    log: VecDeque<CommitTime>,
    /// Live AS OF reads: commit -> how many.
    readers: BTreeMap<u64, usize>,
}

#[derive(Default)]
pub struct History {
    enabled: AtomicBool,
    /// The database default retention (`PRAGMA history_retention`), which tables without
    /// their own option read back to; the kept history (`State::retention_ms`) may be
    /// longer, for a table whose option asks for more.
    default_retention_ms: AtomicU64,
    state: Mutex<State>,
}

impl History {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn default_retention_ms(&self) -> u64 {
        self.default_retention_ms.load(Ordering::Relaxed)
    }

    pub fn set_default_retention_ms(&self, retention_ms: u64) {
        self.default_retention_ms
            .store(retention_ms, Ordering::Relaxed);
    }

    /// Whether history is kept (retention above 0).
    pub fn enabled(&self) -> bool {
        self.enabled.load(Ordering::Relaxed)
    }

    /// Sets how long history is kept. Turning it on pins the newest commit (history starts
    /// there: nothing older was kept); 0 releases the pin and forgets the log.
    pub(crate) fn set_retention(
        &self,
        active: &ActiveSnapshots,
        clock: &Clock,
        retention_ms: u64,
        now_ms: i64,
    ) -> crate::error::StorageResult<()> {
        let mut state = self.lock();
        state.retention_ms = retention_ms;
        if retention_ms == 0 {
            if let Some(slot) = state.slot.take() {
                active.unregister(slot);
            }
            state.log.clear();
            state.pin = 0;
            state.start = 0;
            self.enabled.store(false, Ordering::Relaxed);
            return Ok(());
        }
        if state.slot.is_none() {
            let (slot, read_ts) = active.register(clock)?;
            state.slot = Some(slot);
            state.pin = read_ts;
            state.start = read_ts;
            state.log.clear();
            state.log.push_back(CommitTime {
                commit: read_ts,
                millis: now_ms,
            });
            self.enabled.store(true, Ordering::Relaxed);
        }
        Ok(())
    }

    /// Logs that commit `commit` happened at `now_ms` (nothing while history is off).
    pub fn record(&self, commit: u64, now_ms: i64) {
        if !self.enabled() {
            return;
        }
        let mut state = self.lock();
        if state.slot.is_none() {
            return;
        }
        let log = &mut state.log;
        // Commits may be recorded slightly out of order (two committers): both fields stay
        // ascending, times never running backwards.
        if log.back().is_some_and(|last| last.commit >= commit) {
            return; // a later commit is logged already: its entry covers this one
        }
        let millis = log.back().map_or(now_ms, |last| last.millis.max(now_ms));
        match log.back_mut() {
            Some(last) if last.millis == millis => last.commit = last.commit.max(commit),
            _ => log.push_back(CommitTime { commit, millis }),
        }
        let mut dropped = false;
        while log.len() > HISTORY_LOG_ENTRIES_MAX {
            log.pop_front();
            dropped = true;
        }
        let first = log.front().map(|first| first.commit);
        if let Some(first) = first.filter(|_| dropped) {
            // Commits before the oldest entry kept have no time any more: history starts later.
            state.start = state.start.max(first);
        }
    }

    /// Moves the pin to the newest commit at or before `now_ms - retention` (never past a
    /// live reader) and drops the log entries before it.
    pub(crate) fn advance(&self, active: &ActiveSnapshots, now_ms: i64) {
        if !self.enabled() {
            return;
        }
        let mut state = self.lock();
        let Some(slot) = state.slot else {
            return;
        };
        let horizon = now_ms.saturating_sub(state.retention_ms.min(i64::MAX as u64) as i64);
        let Some(target) = commit_at(&state.log, horizon) else {
            return;
        };
        let target = match state.readers.keys().next() {
            Some(&oldest_reader) => target.min(oldest_reader),
            None => target,
        };
        if target > state.pin {
            state.pin = target;
            state.start = state.start.max(target);
            active.move_forward(slot, target);
        }
        let pin = state.pin;
        while state.log.len() > 1 && state.log[1].commit <= pin {
            state.log.pop_front();
        }
    }

    /// The oldest commit readable with `retention_ms` at `now_ms` (a table may keep less than
    /// the store does), with its time; `None` while history is off.
    pub fn oldest_readable(&self, retention_ms: u64, now_ms: i64) -> Option<CommitTime> {
        let state = self.lock();
        oldest_readable(&state, retention_ms, now_ms)
    }

    /// The newest commit at or before wall time `millis`, if the log reaches back that far.
    pub fn commit_at(&self, millis: i64) -> Option<u64> {
        commit_at(&self.lock().log, millis)
    }

    /// The log (oldest first), for `ember_commits`.
    pub fn log(&self) -> Vec<CommitTime> {
        self.lock().log.iter().copied().collect()
    }

    pub fn stats(&self) -> HistoryStats {
        let state = self.lock();
        HistoryStats {
            retention_ms: state.retention_ms,
            pin: state.pin,
            log_entries: state.log.len(),
            readers: state.readers.values().sum(),
        }
    }

    /// Registers a read at `commit` if the history a table keeping `retention_ms` may read
    /// (at `now_ms`) reaches back to it; the caller ends it with `end_read`.
    pub(crate) fn begin_read(
        &self,
        commit: u64,
        retention_ms: u64,
        now_ms: i64,
    ) -> Result<(), Option<HistoryGap>> {
        let mut state = self.lock();
        let Some(oldest) = oldest_readable(&state, retention_ms, now_ms) else {
            return Err(None);
        };
        if commit < oldest.commit {
            return Err(Some(HistoryGap { oldest }));
        }
        debug_assert!(commit >= state.pin);
        *state.readers.entry(commit).or_insert(0) += 1;
        Ok(())
    }

    pub(crate) fn end_read(&self, commit: u64) {
        let mut state = self.lock();
        if let Some(count) = state.readers.get_mut(&commit) {
            *count -= 1;
            if *count == 0 {
                state.readers.remove(&commit);
            }
        }
    }
}

/// The newest logged commit at or before `millis`.
fn commit_at(log: &VecDeque<CommitTime>, millis: i64) -> Option<u64> {
    let after = log.partition_point(|entry| entry.millis <= millis);
    after.checked_sub(1).map(|at| log[at].commit)
}

fn oldest_readable(state: &State, retention_ms: u64, now_ms: i64) -> Option<CommitTime> {
    state.slot?;
    let first = *state.log.front()?;
    let mut oldest = CommitTime {
        commit: state.start.max(state.pin),
        millis: first.millis,
    };
    let horizon = now_ms.saturating_sub(retention_ms.min(i64::MAX as u64) as i64);
    if let Some(commit) = commit_at(&state.log, horizon) {
        if commit > oldest.commit {
            oldest = CommitTime {
                commit,
                millis: horizon,
            };
        }
    } else if horizon > first.millis {
        oldest.millis = horizon;
    }
    Some(oldest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pin_follows_the_retention_and_never_passes_a_reader() {
        let clock = Clock::new(10);
        let active = ActiveSnapshots::new();
        let history = History::default();
        history.set_retention(&active, &clock, 1000, 0).unwrap();
        assert_eq!(active.watermark(&clock), 10);
        for (commit, millis) in [(11, 100), (12, 100), (13, 600), (14, 1500)] {
            clock.advance_to(commit);
            history.record(commit, millis);
        }
        assert_eq!(
            history.log().len(),
            4,
            "commits of one millisecond share an entry"
        );
        assert_eq!(history.commit_at(599), Some(12));
        assert_eq!(history.commit_at(-1), None);
        history.begin_read(11, 1000, 1000).unwrap();
        history.advance(&active, 1700);
        assert_eq!(history.stats().pin, 11, "held back by the reader at 11");
        history.end_read(11);
        history.advance(&active, 1700);
        assert_eq!(history.stats().pin, 13);
        assert_eq!(active.watermark(&clock), 13);
        let gap = history.begin_read(12, 1000, 1700).unwrap_err().unwrap();
        assert_eq!(gap.oldest.commit, 13);
        history.set_retention(&active, &clock, 0, 1700).unwrap();
        assert_eq!(active.watermark(&clock), 14);
        assert_eq!(history.begin_read(14, 1000, 1700), Err(None));
    }

    /// Commits in the millisecond history started in share its log entry; the commit it
    /// started at stays readable (found by `ember-crashtest asof-powerloss`).
    #[test]
    fn history_start_stays_readable_when_later_commits_share_its_millisecond() {
        let clock = Clock::new(10);
        let active = ActiveSnapshots::new();
        let history = History::default();
        history.set_retention(&active, &clock, 1000, 500).unwrap();
        for commit in [11, 12] {
            clock.advance_to(commit);
            history.record(commit, 500);
        }
        assert_eq!(history.log().len(), 1);
        assert_eq!(history.oldest_readable(1000, 500).unwrap().commit, 10);
        history.begin_read(10, 1000, 500).unwrap();
        history.end_read(10);
        history.advance(&active, 1600);
        assert_eq!(history.oldest_readable(1000, 1600).unwrap().commit, 12);
    }
}
