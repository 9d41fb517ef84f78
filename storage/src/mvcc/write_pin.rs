//! `WritePin`: keeps the writing thread pinned to the epoch across a statement's row writes.
//! Every write pins on its own (`Transaction::update_columns`, `delete`, `insert`); an
//! outermost pin executes a full fence (crossbeam's epoch announcement), a pin nested in a
//! held one only bumps a thread-local count. A statement writing many rows holds a
//! `WritePin` and calls [`WritePin::row_written`] per row: it drops and takes the pin again
//! every `ROWS_PER_PIN` rows, so the epoch (and with it the freeing of retired versions,
//! which runs at outermost pins) still advances while the statement runs.

use crossbeam_epoch::{self as epoch, Guard};

/// Rows written under one pin: the fence is paid once per this many rows, and other threads
/// wait at most this many row writes for this thread to leave an epoch.
pub const ROWS_PER_PIN: u32 = 64;

/// A held epoch pin for a run of row writes (not `Send`: it belongs to the writing thread).
pub struct WritePin {
    guard: Option<Guard>,
    rows: u32,
}

impl WritePin {
    /// Pins the current thread.
    pub fn new() -> WritePin {
        WritePin {
            guard: Some(epoch::pin()),
            rows: 0,
        }
    }

    /// A pin for a statement expected to write `rows` rows: none for a single row (its
    /// write pins once anyway), held otherwise.
    #[inline]
    pub fn for_rows(rows: usize) -> WritePin {
        WritePin {
            guard: if rows > 1 { Some(pin_now()) } else { None },
            rows: 0,
        }
    }

    /// Counts one row written; every `ROWS_PER_PIN` rows, unpins and pins again.
    #[inline]
    pub fn row_written(&mut self) {
        self.rows += 1;
        if self.rows >= ROWS_PER_PIN && self.guard.is_some() {
            self.renew();
        }
    }

    #[cold]
    #[inline(never)]
    fn renew(&mut self) {
        self.rows = 0;
        // Dropped first: a pin taken while the old one is held would be nested in it, and
        // the thread would never leave its epoch.
        self.guard = None;
        self.guard = Some(epoch::pin());
        debug_assert!(epoch::is_pinned());
    }
}

#[cold]
#[inline(never)]
fn pin_now() -> Guard {
    epoch::pin()
}

impl Default for WritePin {
    fn default() -> Self {
        WritePin::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;

    /// A value retired by another thread is freed while this thread keeps writing under a
    /// `WritePin` (the pin is renewed, so the epoch advances); a pin that were never
    /// renewed would hold it back forever.
    #[test]
    fn retired_values_are_freed_while_rows_are_written() {
        let freed = Arc::new(AtomicBool::new(false));
        let retire = {
            let freed = Arc::clone(&freed);
            std::thread::spawn(move || {
                let guard = epoch::pin();
                let flag = freed;
                // SAFETY: the closure owns what it touches (an Arc) and may run on any thread.
                unsafe { guard.defer_unchecked(move || flag.store(true, Ordering::SeqCst)) };
                guard.flush();
            })
        };
        retire.join().unwrap();
        let mut pin = WritePin::new();
        let mut rows = 0u64;
        // A liveness bound, not a speed check: other tests' threads pin too, and the epoch
        // advances only once every pinned thread has caught up.
        let give_up = std::time::Instant::now() + std::time::Duration::from_secs(30);
        while !freed.load(Ordering::SeqCst) {
            pin.row_written();
            rows += 1;
            if rows.is_multiple_of(u64::from(ROWS_PER_PIN)) {
                epoch::pin().flush();
                assert!(
                    std::time::Instant::now() < give_up,
                    "the retired value was never freed"
                );
            }
        }
    }
}
