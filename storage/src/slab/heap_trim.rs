//! Giving the global allocator's freed memory back to the system. The slab's own pages go
//! back when their regions empty (`arena.rs`); version headers, index entries and the other
//! small blocks come from the global allocator, and glibc's keeps freed blocks resident until
//! asked: `malloc_trim` hands every whole free page of its heaps back (`MADV_DONTNEED`).
//! Elsewhere (other C libraries, other systems) this does nothing. `release_free_memory` also
//! hands back the free pages of busy slab regions, which the arena otherwise keeps.

/// Hands every free page back to the system: the free slab pages of every arena region
/// (`arena::release_every_free_page`, which splits the huge pages they sit on), then the
/// global allocator's (`trim_heap`). VACUUM calls it; the background trims only the heap.
pub fn release_free_memory() {
    super::arena::release_every_free_page();
    trim_heap();
}

/// Asks the global allocator to return its free pages to the system; whether it released
/// any. It walks the allocator's free lists under their locks, so callers run it rarely and
/// off the commit path (the background collector, after memory fell; VACUUM).
pub fn trim_heap() -> bool {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        // SAFETY: `malloc_trim` takes the allocator's own locks and touches only memory the
        // allocator owns and holds free; any thread may call it at any time.
        unsafe { libc::malloc_trim(0) == 1 }
    }
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    {
        false
    }
}

#[cfg(all(test, target_os = "linux", target_env = "gnu"))]
mod tests {
    use super::*;

    /// Anonymous resident memory of this process (`RssAnon` in /proc/self/status), in bytes.
    fn anonymous_bytes() -> u64 {
        let status = std::fs::read_to_string("/proc/self/status").unwrap();
        let line = status.lines().find(|l| l.starts_with("RssAnon:")).unwrap();
        let kib: u64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
        kib * 1024
    }

    #[test]
    fn freed_small_blocks_leave_the_process_once_trimmed() {
        const BLOCKS: usize = 1 << 20;
        // A million 64-byte blocks (about 80 MiB with the allocator's headers), every one
        // written so its page is resident, then all freed but every 4,096th (so the heap's
        // top is not simply cut: the freed pages lie between live blocks).
        let blocks: Vec<Box<[u8; 64]>> = (0..BLOCKS).map(|i| Box::new([i as u8; 64])).collect();
        let kept: Vec<Box<[u8; 64]>> = blocks.into_iter().step_by(4096).collect();
        let before = anonymous_bytes();
        trim_heap();
        let after = anonymous_bytes();
        assert!(
            before.saturating_sub(after) >= 32 << 20,
            "RssAnon {before} before the trim, {after} after"
        );
        assert!(kept
            .iter()
            .enumerate()
            .all(|(i, b)| b[0] == (i * 4096) as u8));
    }
}
