//! Timestamps: the last published commit timestamp (the read timestamp of new snapshots),
//! transaction ids (which live above `TXN_ID_BASE` so a stamp tells which kind it holds), and
//! the commit lock that orders commit stamping.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};

/// Stamps at or above this value are transaction ids; below it, commit timestamps.
pub const TXN_ID_BASE: u64 = 1 << 62;

/// The database clock.
pub struct Clock {
    /// The newest commit timestamp whose versions are fully stamped.
    published: AtomicU64,
    next_txn_id: AtomicU64,
    commit_lock: Mutex<()>,
}

impl Default for Clock {
    fn default() -> Self {
        Clock::new(0)
    }
}

impl Clock {
    pub fn new(published: u64) -> Clock {
        debug_assert!(published < TXN_ID_BASE);
        Clock {
            published: AtomicU64::new(published),
            next_txn_id: AtomicU64::new(TXN_ID_BASE),
            commit_lock: Mutex::new(()),
        }
    }

    /// The timestamp a new snapshot reads at.
    pub fn read_ts(&self) -> u64 {
        self.published.load(Ordering::SeqCst)
    }

    pub fn next_txn_id(&self) -> u64 {
        let id = self.next_txn_id.fetch_add(1, Ordering::Relaxed);
        debug_assert!((TXN_ID_BASE..super::version::END_FREEZING).contains(&id));
        id
    }

    /// Takes the commit lock; returns it with the timestamp the commit will publish.
    pub fn begin_commit(&self) -> (MutexGuard<'_, ()>, u64) {
        let guard = self
            .commit_lock
            .lock()
            .unwrap_or_else(|poison| poison.into_inner());
        let ts = self.published.load(Ordering::SeqCst) + 1;
        debug_assert!(ts < TXN_ID_BASE, "commit timestamps exhausted");
        (guard, ts)
    }

    /// Publishes `ts`: snapshots taken from now on see the commit. Call while holding the
    /// guard from `begin_commit`, after every version of the commit is stamped.
    pub fn publish(&self, _commit_lock: &MutexGuard<'_, ()>, ts: u64) {
        debug_assert_eq!(ts, self.published.load(Ordering::SeqCst) + 1);
        self.published.store(ts, Ordering::SeqCst);
    }

    /// Moves the clock forward to at least `ts` (recovery replays commits with their stamps).
    pub fn advance_to(&self, ts: u64) {
        debug_assert!(ts < TXN_ID_BASE);
        self.published.fetch_max(ts, Ordering::SeqCst);
    }
}
