//! The DDL lock: serializes catalog changes, and lets one explicit transaction own the schema
//! from its first DDL statement until it ends (transactional DDL).
//!
//! Two levels, under one mutex and condition variable:
//! - the *short* lock (`DdlGuard`), held for one catalog change, a checkpoint's start or a
//!   backup's start, never across statements;
//! - the *owner*: the transaction (`DdlOwner` token) whose uncommitted schema changes are
//!   staged on its connection. While a transaction owns the schema, any other schema change
//!   (`lock_for_change`) waits for it to end, at most the busy timeout, then fails with
//!   `ErrorKind::Busy`; reads of the published catalog, checkpoints and backups do not wait
//!   (the staged changes are neither published nor logged before the commit).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use crate::error::Result;

/// Names the transaction that owns the schema.
pub(crate) type DdlOwner = u64;

static NEXT_OWNER: AtomicU64 = AtomicU64::new(1);

/// A new owner token, never handed out before.
pub(crate) fn new_owner() -> DdlOwner {
    NEXT_OWNER.fetch_add(1, Ordering::Relaxed)
}

#[derive(Default)]
struct State {
    /// The short lock is held.
    held: bool,
    /// The transaction owning the schema, if any.
    owner: Option<DdlOwner>,
}

#[derive(Default)]
pub(crate) struct DdlLock {
    state: Mutex<State>,
    changed: Condvar,
}

/// The short DDL lock; released when dropped.
pub struct DdlGuard<'a> {
    lock: &'a DdlLock,
}

impl Drop for DdlGuard<'_> {
    fn drop(&mut self) {
        let mut state = self.lock.state();
        debug_assert!(state.held);
        state.held = false;
        drop(state);
        self.lock.changed.notify_all();
    }
}

impl DdlLock {
    fn state(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(|poison| poison.into_inner())
    }

    /// Takes the short lock whoever owns the schema (a checkpoint's or backup's start, the
    /// function registry: nothing a staged schema change conflicts with).
    pub(crate) fn lock(&self) -> DdlGuard<'_> {
        let mut state = self.state();
        while state.held {
            state = self
                .changed
                .wait(state)
                .unwrap_or_else(|poison| poison.into_inner());
        }
        state.held = true;
        DdlGuard { lock: self }
    }

    /// Takes the short lock for a catalog change by transaction `who` (`None`: a statement
    /// in autocommit), waiting while another transaction owns the schema, at most `busy`.
    pub(crate) fn lock_for_change(
        &self,
        who: Option<DdlOwner>,
        busy: Duration,
    ) -> Result<DdlGuard<'_>> {
        let state = self.wait_for_schema(who, busy)?;
        let mut state = state;
        state.held = true;
        Ok(DdlGuard { lock: self })
    }

    /// Makes transaction `who` own the schema (until `release_owner`), waiting at most
    /// `busy` while another owns it.
    pub(crate) fn take_owner(&self, who: DdlOwner, busy: Duration) -> Result<()> {
        let mut state = self.wait_for_schema(Some(who), busy)?;
        state.owner = Some(who);
        Ok(())
    }

    /// Ends `who`'s ownership of the schema.
    pub(crate) fn release_owner(&self, who: DdlOwner) {
        let mut state = self.state();
        debug_assert_eq!(state.owner, Some(who), "only the owner releases");
        if state.owner == Some(who) {
            state.owner = None;
        }
        drop(state);
        self.changed.notify_all();
    }

    /// Whether the short lock is held (by anyone: for `debug_assert!`).
    pub(crate) fn is_held(&self) -> bool {
        self.state().held
    }

    /// The state once the short lock is free and the schema is free or `who`'s.
    fn wait_for_schema(
        &self,
        who: Option<DdlOwner>,
        busy: Duration,
    ) -> Result<MutexGuard<'_, State>> {
        let deadline = Instant::now() + busy;
        let mut state = self.state();
        loop {
            let owned_by_other = state.owner.is_some() && state.owner != who;
            if !owned_by_other && !state.held {
                return Ok(state);
            }
            if owned_by_other {
                let now = Instant::now();
                if now >= deadline {
                    return Err(crate::err!(
                        Busy,
                        "database schema is locked: another connection's transaction changed \
                         the schema and has not ended (waited {} ms, the busy timeout)",
                        busy.as_millis()
                    ));
                }
                state = self
                    .changed
                    .wait_timeout(state, deadline - now)
                    .unwrap_or_else(|poison| poison.into_inner())
                    .0;
            } else {
                state = self
                    .changed
                    .wait(state)
                    .unwrap_or_else(|poison| poison.into_inner());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_owned_schema_makes_other_changes_wait_then_fail_busy() {
        let lock = DdlLock::default();
        let owner = new_owner();
        lock.take_owner(owner, Duration::ZERO).unwrap();
        // The owner's own changes and owner-blind users go ahead.
        drop(lock.lock_for_change(Some(owner), Duration::ZERO).unwrap());
        drop(lock.lock());
        let refused = lock
            .lock_for_change(None, Duration::from_millis(20))
            .err()
            .unwrap();
        assert_eq!(refused.kind(), crate::ErrorKind::Busy);
        assert!(lock.take_owner(new_owner(), Duration::ZERO).is_err());
        lock.release_owner(owner);
        drop(lock.lock_for_change(None, Duration::ZERO).unwrap());
        assert!(!lock.is_held());
    }

    #[test]
    fn a_waiting_change_goes_ahead_once_the_owner_ends() {
        let lock = std::sync::Arc::new(DdlLock::default());
        let owner = new_owner();
        lock.take_owner(owner, Duration::ZERO).unwrap();
        let waiter = {
            let lock = std::sync::Arc::clone(&lock);
            std::thread::spawn(move || {
                lock.lock_for_change(None, Duration::from_secs(30))
                    .map(drop)
                    .is_ok()
            })
        };
        std::thread::sleep(Duration::from_millis(20));
        lock.release_owner(owner);
        assert!(waiter.join().unwrap());
    }
}
