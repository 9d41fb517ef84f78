//! Moving a helper thread off the CPU of the statement it helps. After an idle spell the
//! kernel often wakes a helper on the CPU the statement's thread is running on (seen on
//! Linux 6.x guests: both then share one CPU while the other idles, and a split scan takes
//! as long as a serial one). A helper that finds itself there narrows its CPU set to the
//! others for the call, which migrates it at once, and restores the set when it is done.
//! Only on Linux; elsewhere, and whenever a step fails, the helper stays where it is.

/// The CPU this thread runs on now, when the platform says.
pub(super) fn current_cpu() -> Option<usize> {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: `sched_getcpu` takes no arguments and only reads the calling thread's
        // state; it returns -1 on failure, which is mapped to `None`.
        let cpu = unsafe { libc::sched_getcpu() };
        usize::try_from(cpu).ok()
    }
    #[cfg(not(target_os = "linux"))]
    {
        None
    }
}

/// This thread's CPU set as it was before `move_off`, put back on drop.
pub(super) struct Moved {
    #[cfg(target_os = "linux")]
    before: libc::cpu_set_t,
}

impl Drop for Moved {
    fn drop(&mut self) {
        #[cfg(target_os = "linux")]
        {
            // SAFETY: `before` is a whole `cpu_set_t` that `sched_getaffinity` filled for
            // this thread (pid 0), and the size passed is its size. A failure leaves the
            // narrowed set, which still allows every CPU but one: nothing to undo.
            unsafe {
                libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &self.before);
            }
        }
    }
}

/// When this thread is on `caller_cpu` and may run elsewhere: moves it to its other
/// allowed CPUs until the returned value is dropped. `None` (no move) otherwise.
pub(super) fn move_off(caller_cpu: usize) -> Option<Moved> {
    if current_cpu() != Some(caller_cpu) {
        return None;
    }
    #[cfg(target_os = "linux")]
    {
        let size = std::mem::size_of::<libc::cpu_set_t>();
        // SAFETY: an all-zero `cpu_set_t` is a valid empty set (it is a plain bit array).
        let mut before: libc::cpu_set_t = unsafe { std::mem::zeroed() };
        // SAFETY: `before` is a writable `cpu_set_t` of `size` bytes; pid 0 is this thread.
        if unsafe { libc::sched_getaffinity(0, size, &mut before) } != 0 {
            return None;
        }
        let mut others = before;
        if caller_cpu >= 8 * size {
            return None;
        }
        // SAFETY: `caller_cpu` is below the set's capacity in bits (checked above).
        unsafe { libc::CPU_CLR(caller_cpu, &mut others) };
        // SAFETY: `others` is a whole, initialized `cpu_set_t`; counting only reads it.
        if unsafe { libc::CPU_COUNT(&others) } == 0 {
            return None;
        }
        // SAFETY: `others` is a whole `cpu_set_t` of `size` bytes; pid 0 is this thread.
        if unsafe { libc::sched_setaffinity(0, size, &others) } != 0 {
            return None;
        }
        Some(Moved { before })
    }
    #[cfg(not(target_os = "linux"))]
    {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The CPU set this thread may run on (Linux), to compare before and after a move.
    #[cfg(target_os = "linux")]
    fn allowed() -> Vec<usize> {
        let size = std::mem::size_of::<libc::cpu_set_t>();
        // SAFETY: as in `move_off`: a zeroed set filled for this thread.
        let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
        assert_eq!(unsafe { libc::sched_getaffinity(0, size, &mut set) }, 0);
        (0..8 * size)
            // SAFETY: every index is below the set's capacity in bits.
            .filter(|&cpu| unsafe { libc::CPU_ISSET(cpu, &set) })
            .collect()
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_move_leaves_the_cpu_and_is_undone() {
        std::thread::spawn(|| {
            let before = allowed();
            let here = current_cpu().expect("Linux reports the current CPU");
            assert!(before.contains(&here));
            let moved = move_off(here);
            if before.len() < 2 {
                assert!(moved.is_none(), "one allowed CPU: nowhere to move");
                return;
            }
            assert!(moved.is_some());
            assert!(!allowed().contains(&here), "the caller's CPU is left out");
            assert_ne!(
                current_cpu(),
                Some(here),
                "the thread runs elsewhere at once"
            );
            drop(moved);
            assert_eq!(allowed(), before, "the CPU set is restored");
        })
        .join()
        .unwrap();
    }

    #[test]
    fn no_move_when_on_another_cpu() {
        // No thread runs on CPU usize::MAX, so there is nothing to move off.
        assert!(move_off(usize::MAX).is_none());
    }
}
