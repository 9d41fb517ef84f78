//! The registry of live snapshots, used to compute the GC watermark (the oldest read
//! timestamp any live transaction may still use). Registering is one CAS on a padded slot;
//! no lock is taken on the read path.
//!
//! Protocol: a reader first stores `REGISTERING` in a free slot, then reads the clock, then
//! stores its read timestamp. The watermark reader loads the clock first, then scans; if it
//! sees `REGISTERING` it rescans. Under SeqCst, a reader whose slot the scan saw as free reads
//! the clock after the scan, so its timestamp is at least the clock value the scan began with.
//! Only that first step needs the total order (a CAS). Publishing the timestamp and freeing
//! the slot are release stores: a scan that still sees `REGISTERING` or the old timestamp
//! only computes an older (safe) watermark, and a scan that sees `FREE` acquires every read
//! the snapshot made before it ended.

use std::cell::Cell;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::error::{StorageError, StorageErrorKind, StorageResult};

use super::clock::Clock;

const FREE: u64 = u64::MAX;
const REGISTERING: u64 = u64::MAX - 1;

/// Most snapshots that may be live at once.
pub const ACTIVE_SNAPSHOTS_MAX: usize = 1024;

#[repr(align(64))]
struct PaddedSlot(AtomicU64);

pub struct ActiveSnapshots {
    slots: Box<[PaddedSlot]>,
    /// The largest watermark computed so far: a lower bound of the current one (the
    /// watermark never goes back), for callers that cannot afford a scan.
    watermark_hint: AtomicU64,
}

thread_local! {
    static SLOT_HINT: Cell<usize> = const { Cell::new(usize::MAX) };
}

impl Default for ActiveSnapshots {
    fn default() -> Self {
        ActiveSnapshots::new()
    }
}

impl ActiveSnapshots {
    pub fn new() -> ActiveSnapshots {
        ActiveSnapshots {
            slots: (0..ACTIVE_SNAPSHOTS_MAX)
                .map(|_| PaddedSlot(AtomicU64::new(FREE)))
                .collect(),
            watermark_hint: AtomicU64::new(0),
        }
    }

    /// Registers a snapshot at the clock's current read timestamp; returns (slot, read_ts).
    pub fn register(&self, clock: &Clock) -> StorageResult<(usize, u64)> {
        let start = SLOT_HINT.with(|hint| {
            let value = hint.get();
            if value == usize::MAX {
                let seed = (&value as *const usize as usize) >> 6;
                hint.set(seed % ACTIVE_SNAPSHOTS_MAX);
                seed % ACTIVE_SNAPSHOTS_MAX
            } else {
                value
            }
        });
        for step in 0..ACTIVE_SNAPSHOTS_MAX {
            let index = (start + step) % ACTIVE_SNAPSHOTS_MAX;
            let slot = &self.slots[index].0;
            if slot.load(Ordering::Relaxed) == FREE
                && slot
                    .compare_exchange(FREE, REGISTERING, Ordering::SeqCst, Ordering::Relaxed)
                    .is_ok()
            {
                let read_ts = clock.read_ts();
                slot.store(read_ts, Ordering::Release);
                SLOT_HINT.with(|hint| hint.set(index));
                return Ok((index, read_ts));
            }
        }
        Err(StorageError::new(
            StorageErrorKind::Limit,
            format!("more than {ACTIVE_SNAPSHOTS_MAX} transactions are open at once"),
        ))
    }

    pub fn unregister(&self, slot: usize) {
        let slot = &self.slots[slot].0;
        debug_assert!(
            !matches!(slot.load(Ordering::Relaxed), FREE | REGISTERING),
            "the slot was not live"
        );
        slot.store(FREE, Ordering::Release);
    }

    /// Oldest read timestamp in use (or the clock when none is): versions that ended at or
    /// before it are invisible to every present and future snapshot.
    pub fn watermark(&self, clock: &Clock) -> u64 {
        loop {
            let mut oldest = clock.read_ts();
            let mut registering = false;
            for slot in self.slots.iter() {
                match slot.0.load(Ordering::SeqCst) {
                    FREE => {}
                    REGISTERING => registering = true,
                    ts => oldest = oldest.min(ts),
                }
            }
            if !registering {
                self.watermark_hint.fetch_max(oldest, Ordering::Relaxed);
                return oldest;
            }
            std::hint::spin_loop();
        }
    }

    /// A watermark without the scan: the largest one computed so far. It may be older than
    /// the current watermark, never newer, so collecting below it is safe.
    /// Moves the live `slot` forward to read timestamp `ts` (the history pin, `history.rs`);
    /// a slot never moves backwards, so versions it let go are never needed again.
    pub(crate) fn move_forward(&self, slot: usize, ts: u64) {
        let slot = &self.slots[slot].0;
        debug_assert!(!matches!(slot.load(Ordering::Relaxed), FREE | REGISTERING));
        slot.fetch_max(ts, Ordering::SeqCst);
    }

    pub fn watermark_hint(&self) -> u64 {
        self.watermark_hint.load(Ordering::Relaxed)
    }

    /// Number of live snapshots.
    pub fn live_count(&self) -> usize {
        self.slots
            .iter()
            .filter(|slot| slot.0.load(Ordering::Relaxed) != FREE)
            .count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn watermark_tracks_oldest_live_snapshot() {
        let clock = Clock::new(5);
        let active = ActiveSnapshots::new();
        let (slot_a, ts_a) = active.register(&clock).unwrap();
        assert_eq!(ts_a, 5);
        clock.advance_to(9);
        let (slot_b, _) = active.register(&clock).unwrap();
        assert_eq!(active.watermark(&clock), 5);
        active.unregister(slot_a);
        assert_eq!(active.watermark(&clock), 9);
        active.unregister(slot_b);
        assert_eq!(active.live_count(), 0);
    }
}
