//! An asymmetric fence pair for store-then-load handshakes where one side runs constantly and
//! the other rarely: every writer links a version and then loads a table's index list (per
//! row), while `create_index` publishes a new list and then scans the versions. Each side
//! needs a full fence between its store and its load (otherwise both may miss each other).
//!
//! [`light`] is the frequent side's fence and [`heavy`] the rare side's. On Linux with
//! `membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED)` (4.14 and later, when no seccomp filter
//! forbids it), `light` is only a compiler fence, and `heavy` makes every running thread of
//! the process execute a full memory barrier (a thread not running passes one when it is
//! switched out): the pair then orders exactly as two `fence(SeqCst)` would. Elsewhere both
//! are `fence(SeqCst)`. The mode is decided once per process, before any `light` skips the
//! hardware fence, and never changes.

use std::sync::atomic::{compiler_fence, fence, AtomicU8, Ordering};
use std::sync::OnceLock;

/// `MODE` before the first call decided it.
const UNDECIDED: u8 = 0;
/// Both sides use `fence(SeqCst)`.
const SYMMETRIC: u8 = 1;
/// `light` is a compiler fence; `heavy` is `membarrier`.
const ASYMMETRIC: u8 = 2;

/// The decided mode, read by `light` without synchronizing (a copy of `DECIDED`).
static MODE: AtomicU8 = AtomicU8::new(UNDECIDED);
/// Decides the mode once: registers the process for expedited membarriers when it can.
static DECIDED: OnceLock<u8> = OnceLock::new();

/// The fence of the side that runs constantly (between its store and its load).
#[inline]
pub fn light() {
    if MODE.load(Ordering::Relaxed) == ASYMMETRIC {
        // `heavy` interrupts this thread with a full barrier wherever it is, so only the
        // compiler must keep the store before the load.
        compiler_fence(Ordering::SeqCst);
    } else {
        light_undecided_or_symmetric();
    }
}

#[cold]
#[inline(never)]
fn light_undecided_or_symmetric() {
    if decide() == ASYMMETRIC {
        compiler_fence(Ordering::SeqCst);
    } else {
        fence(Ordering::SeqCst);
    }
}

/// The fence of the rare side (between its store and its load). Err when the kernel
/// refuses the membarrier after granting the registration (the caller must then undo its
/// store: the other side's stores may not be visible to its load).
pub fn heavy() -> Result<(), String> {
    // The full fence orders this thread's own store before its load in both modes.
    fence(Ordering::SeqCst);
    if decide() == ASYMMETRIC {
        membarrier::private_expedited()?;
    }
    Ok(())
}

/// Whether `light` skips the hardware fence in this process (decides the mode if needed).
pub fn is_asymmetric() -> bool {
    decide() == ASYMMETRIC
}

fn decide() -> u8 {
    *DECIDED.get_or_init(|| {
        let mode = if membarrier::register() {
            ASYMMETRIC
        } else {
            SYMMETRIC
        };
        MODE.store(mode, Ordering::Relaxed);
        mode
    })
}

#[cfg(target_os = "linux")]
mod membarrier {
    //! The Linux system call (`man 2 membarrier`).

    const QUERY: libc::c_long = 0;
    const PRIVATE_EXPEDITED: libc::c_long = 1 << 3;
    const REGISTER_PRIVATE_EXPEDITED: libc::c_long = 1 << 4;

    fn call(command: libc::c_long) -> libc::c_long {
        // SAFETY: membarrier takes two integer arguments and a CPU id (unused here: flags
        // are 0); it touches no memory of ours and reports failure as -1 with errno.
        unsafe { libc::syscall(libc::SYS_membarrier, command, 0 as libc::c_uint, 0) }
    }

    /// Registers the process for expedited private membarriers; false when the kernel
    /// lacks them or refuses.
    pub(super) fn register() -> bool {
        if std::env::var_os("EMBER_SYMMETRIC_FENCES").is_some() {
            return false;
        }
        let supported = call(QUERY);
        let wanted = PRIVATE_EXPEDITED | REGISTER_PRIVATE_EXPEDITED;
        supported >= 0 && supported & wanted == wanted && call(REGISTER_PRIVATE_EXPEDITED) == 0
    }

    pub(super) fn private_expedited() -> Result<(), String> {
        if call(PRIVATE_EXPEDITED) == 0 {
            Ok(())
        } else {
            Err(format!(
                "membarrier failed after registration: {}",
                std::io::Error::last_os_error()
            ))
        }
    }
}

#[cfg(not(target_os = "linux"))]
mod membarrier {
    //! No asymmetric barrier on this system: both sides use `fence(SeqCst)`.

    pub(super) fn register() -> bool {
        false
    }

    pub(super) fn private_expedited() -> Result<(), String> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicBool, AtomicUsize};
    use std::sync::Arc;

    /// Spins (yielding now and then) until `counter` reaches `value`.
    fn wait_for(counter: &AtomicUsize, value: usize) {
        let mut spins = 0u32;
        while counter.load(Ordering::Acquire) < value {
            spins += 1;
            if spins.is_multiple_of(1024) {
                std::thread::yield_now();
            }
            std::hint::spin_loop();
        }
    }

    /// Dekker's handshake, run many times: each side stores its flag, fences, then loads
    /// the other's. With working fences at least one side sees the other's flag every
    /// round; with compiler fences on both sides, x86 store buffering lets both miss
    /// within a few thousand rounds (checked by breaking `heavy` once).
    #[test]
    fn at_least_one_side_sees_the_other_every_round() {
        const ROUNDS: usize = 20_000;
        eprintln!("asymmetric fences: {}", is_asymmetric());
        let flags = Arc::new([AtomicBool::new(false), AtomicBool::new(false)]);
        let light_saw = Arc::new(AtomicBool::new(false));
        // Round r starts when `started` reaches r and ends when `finished` reaches r.
        let started = Arc::new(AtomicUsize::new(0));
        let finished = Arc::new(AtomicUsize::new(0));
        let light_side = {
            let (flags, light_saw) = (Arc::clone(&flags), Arc::clone(&light_saw));
            let (started, finished) = (Arc::clone(&started), Arc::clone(&finished));
            std::thread::spawn(move || {
                for round in 1..=ROUNDS {
                    wait_for(&started, round);
                    flags[0].store(true, Ordering::Relaxed);
                    light();
                    light_saw.store(flags[1].load(Ordering::Relaxed), Ordering::Relaxed);
                    finished.store(round, Ordering::Release);
                }
            })
        };
        let mut both_missed = 0;
        for round in 1..=ROUNDS {
            flags[0].store(false, Ordering::Relaxed);
            flags[1].store(false, Ordering::Relaxed);
            started.store(round, Ordering::Release);
            flags[1].store(true, Ordering::Relaxed);
            heavy().unwrap();
            let heavy_saw = flags[0].load(Ordering::Relaxed);
            wait_for(&finished, round);
            if !heavy_saw && !light_saw.load(Ordering::Relaxed) {
                both_missed += 1;
            }
        }
        light_side.join().unwrap();
        assert_eq!(
            both_missed, 0,
            "rounds where neither side saw the other's store"
        );
    }
}
