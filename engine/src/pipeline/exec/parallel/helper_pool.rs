//! The process's helper threads for parallel scans (`PRAGMA threads`): started once, on
//! first use, and kept, so a statement hands out its parts with a wake-up instead of a
//! thread start per statement. A statement's parts are claimed one at a time from a shared
//! counter, by the statement's own thread and by every helper that joins it: a helper that
//! starts late, or that another statement keeps busy, only leaves more parts to the
//! statement's thread, which never waits for a part nobody has begun. A helper that wakes on
//! the statement thread's CPU moves off it for the call (`cpu_move.rs`).
//!
//! Parts borrow the statement's stack (its transaction, plan and result slots), so a call
//! does not return until every helper that joined it has left: entries still queued are
//! withdrawn under the queue's lock, and the calls that helpers took are waited for, also
//! when the statement's own part unwinds.

use std::collections::VecDeque;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock, PoisonError};

use super::cpu_move;
use crate::limits::WORKER_THREADS_MAX;

/// One statement's parts while it runs: the next part to claim and the code that runs one
/// (it stores its own result). Lives on the statement thread's stack.
struct Call<'a> {
    next: AtomicUsize,
    parts: usize,
    run_part: &'a (dyn Fn(usize) + Sync),
    /// The CPU the statement's thread was on when it handed out the call.
    caller_cpu: Option<usize>,
}

impl Call<'_> {
    /// Runs parts until none is left.
    fn run_parts(&self) {
        loop {
            let part = self.next.fetch_add(1, Ordering::Relaxed);
            if part >= self.parts {
                return;
            }
            (self.run_part)(part);
        }
    }
}

/// The helpers inside one call: the statement's thread waits for the count to fall to 0.
#[derive(Default)]
struct Latch {
    inside: Mutex<usize>,
    left: Condvar,
}

impl Latch {
    fn enter(&self) {
        *lock(&self.inside) += 1;
    }

    fn leave(&self) {
        let mut inside = lock(&self.inside);
        debug_assert!(*inside > 0, "a helper leaves a call it entered");
        *inside -= 1;
        if *inside == 0 {
            self.left.notify_all();
        }
    }

    fn wait_empty(&self) {
        let mut inside = lock(&self.inside);
        while *inside > 0 {
            inside = self
                .left
                .wait(inside)
                .unwrap_or_else(PoisonError::into_inner);
        }
    }
}

/// A queued invitation to join a call.
struct Entry {
    /// The call, its lifetime erased: valid while the entry is queued, and for a helper
    /// that took it until that helper leaves `latch` (`run` waits for both).
    call: *const Call<'static>,
    latch: Arc<Latch>,
}

// SAFETY: the pointed-to `Call` is `Sync` (an atomic, a `Sync` closure, plain integers) and
// outlives every use through the entry (see `Entry::call`); the pointer is only read.
unsafe impl Send for Entry {}

struct Queue {
    entries: VecDeque<Entry>,
    /// Helper threads started so far (never more than `WORKER_THREADS_MAX`).
    threads: usize,
}

struct Pool {
    queue: Mutex<Queue>,
    work: Condvar,
}

/// A lock that a panic elsewhere does not make unusable: the queue and the latches hold
/// plain counts and lists that every holder leaves consistent.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

fn pool() -> &'static Pool {
    static POOL: OnceLock<Pool> = OnceLock::new();
    POOL.get_or_init(|| Pool {
        queue: Mutex::new(Queue {
            entries: VecDeque::new(),
            threads: 0,
        }),
        work: Condvar::new(),
    })
}

/// Runs `work(part)` for every part in `0..parts`, on the calling thread and up to
/// `helpers` helper threads, and returns the results in part order. A part whose run
/// panicked on a helper has no result (`None`); a panic on the calling thread unwinds from
/// here, after every helper has left the call.
pub(super) fn run<T: Send>(
    parts: usize,
    helpers: usize,
    work: &(dyn Fn(usize) -> T + Sync),
) -> Vec<Option<T>> {
    let slots: Vec<Mutex<Option<T>>> = (0..parts).map(|_| Mutex::new(None)).collect();
    let run_part = |part: usize| {
        let result = work(part);
        *lock(&slots[part]) = Some(result);
    };
    let call = Call {
        next: AtomicUsize::new(0),
        parts,
        run_part: &run_part,
        caller_cpu: cpu_move::current_cpu(),
    };
    let invited = helpers.min(WORKER_THREADS_MAX).min(parts.saturating_sub(1));
    let latch = Arc::new(Latch::default());
    {
        // Withdraws the call's entries and waits for its helpers however this block ends.
        let _withdraw = Withdraw {
            call: &call,
            latch: &latch,
        };
        invite(&call, &latch, invited);
        call.run_parts();
    }
    slots
        .into_iter()
        .map(|slot| slot.into_inner().unwrap_or_else(PoisonError::into_inner))
        .collect()
}

/// Queues `invited` entries for `call` and wakes as many helpers, starting helper threads
/// up to that many (a thread that fails to start leaves its parts to the caller).
fn invite(call: &Call<'_>, latch: &Arc<Latch>, invited: usize) {
    if invited == 0 {
        return;
    }
    let shared = pool();
    let mut queue = lock(&shared.queue);
    while queue.threads < invited {
        let started = std::thread::Builder::new()
            .name(format!("ember-helper-{}", queue.threads))
            .spawn(|| helper_loop(pool()));
        if started.is_err() {
            break;
        }
        queue.threads += 1;
    }
    let erased: *const Call<'_> = call;
    for _ in 0..invited {
        queue.entries.push_back(Entry {
            // Only the lifetime changes; `Entry::call` says how long the pointer is used.
            call: erased.cast::<Call<'static>>(),
            latch: Arc::clone(latch),
        });
    }
    drop(queue);
    for _ in 0..invited {
        shared.work.notify_one();
    }
}

/// At the end of `run` (also when the caller's part unwinds): leaves no part to claim,
/// removes the call's entries no helper took, then waits for the helpers that took one to
/// leave.
struct Withdraw<'w> {
    call: &'w Call<'w>,
    latch: &'w Arc<Latch>,
}

impl Drop for Withdraw<'_> {
    fn drop(&mut self) {
        // After a panic parts may be left: helpers finish the one they run and stop.
        self.call.next.store(self.call.parts, Ordering::Relaxed);
        {
            let mut queue = lock(&pool().queue);
            queue
                .entries
                .retain(|entry| !Arc::ptr_eq(&entry.latch, self.latch));
        }
        self.latch.wait_empty();
    }
}

/// A helper thread: takes an entry (entering its latch under the queue's lock, so the
/// caller's `Withdraw` either removes the entry or waits for this helper), runs parts of
/// its call until none is left, and leaves.
fn helper_loop(pool: &'static Pool) {
    loop {
        let entry = {
            let mut queue = lock(&pool.queue);
            loop {
                if let Some(entry) = queue.entries.pop_front() {
                    entry.latch.enter();
                    break entry;
                }
                queue = pool
                    .work
                    .wait(queue)
                    .unwrap_or_else(PoisonError::into_inner);
            }
        };
        // SAFETY: this helper entered the entry's latch under the queue's lock, in the same
        // critical section that took the entry off the queue. The caller's `Withdraw`
        // removes the call's queued entries under that lock, so every entry it does not
        // remove was taken by a helper already counted in the latch, and it then waits for
        // the latch to empty before the call leaves the caller's stack. So the call is
        // alive until `leave` below, and nothing here touches it after.
        let call = unsafe { &*entry.call };
        let moved = call.caller_cpu.and_then(cpu_move::move_off);
        // A panicking part leaves its slot empty (the caller reports it); the helper goes on.
        let _ = catch_unwind(AssertUnwindSafe(|| call.run_parts()));
        drop(moved);
        entry.latch.leave();
    }
}

#[cfg(test)]
#[path = "helper_pool_tests.rs"]
mod tests;
