//! Giving the global allocator's freed memory back to the system. The slab's own pages go
//! back when their regions empty (`arena.rs`); version headers, index entries and the other
//! small blocks come from the global allocator, and glibc's keeps freed blocks resident until
//! asked: `malloc_trim` hands every whole free page of its heaps back (`MADV_DONTNEED`).
//! Elsewhere (other C libraries, other systems) this does nothing. `release_free_memory` also
//! hands back the free pages of busy slab regions, which the arena otherwise keeps.
//! `tune_allocator` fixes glibc's mapping and trim thresholds, so large blocks and the free
//! top of every thread's heap go back when freed.

/// Hands every free page back to the system: the free slab pages of every arena region
/// (`arena::release_every_free_page`, which splits the huge pages they sit on), then the
/// global allocator's (`trim_heap`). VACUUM calls it; the background trims only the heap.
pub fn release_free_memory() {
    super::arena::release_every_free_page();
    trim_heap();
}

/// Blocks at least this large get a mapping of their own from glibc's allocator, unmapped
/// when freed (its default starts at 128 KiB and rises to the largest block freed, up to
/// 32 MiB, so a bulk write's large buffers stay in the heap for good).
const MMAP_THRESHOLD_BYTES: i32 = 4 << 20;
/// Free memory at the top of a glibc heap past this goes back to the system when a block is
/// freed. `trim_heap` cannot do it for the heaps of threads other than the main one (glibc's
/// `malloc_trim` releases their free blocks but not their top), and the dynamic default
/// rises to 64 MiB: the collector thread's heap kept 5-13 MiB after M3's expiry sweep (7.5
/// MiB at a threshold of 8 MiB, 0.55 MiB at 1 MiB with 33 KB of it in use). This is glibc's
/// own fixed default.
const TRIM_THRESHOLD_BYTES: i32 = 128 << 10;

/// Sets glibc's allocator to give memory back as `MMAP_THRESHOLD_BYTES` and
/// `TRIM_THRESHOLD_BYTES` say, once per process (every database's start calls it; later
/// calls do nothing). Elsewhere it does nothing.
pub fn tune_allocator() {
    static TUNED: std::sync::Once = std::sync::Once::new();
    TUNED.call_once(|| {
        #[cfg(all(target_os = "linux", target_env = "gnu"))]
        // SAFETY: `mallopt` changes the allocator's parameters under its own lock; any
        // thread may call it at any time.
        unsafe {
            libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES);
            libc::mallopt(libc::M_TRIM_THRESHOLD, TRIM_THRESHOLD_BYTES);
        }
    });
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
    /// Held by each test that reads the process's resident memory, so neither sees the
    /// other's blocks come and go.
    static RESIDENT_MEMORY_READ: std::sync::Mutex<()> = std::sync::Mutex::new(());

    fn anonymous_bytes() -> u64 {
        let status = std::fs::read_to_string("/proc/self/status").unwrap();
        let line = status.lines().find(|l| l.starts_with("RssAnon:")).unwrap();
        let kib: u64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
        kib * 1024
    }

    /// Tuning twice is harmless, and a block far past the mapping threshold leaves the
    /// process when freed. (That glibc keeps a 4-32 MiB block untuned cannot be shown here:
    /// the tuning is once per process and other tests' threads move the resident count by
    /// more than such a block.)
    #[test]
    fn tuning_twice_is_harmless_and_a_large_freed_block_leaves_the_process() {
        let _alone = RESIDENT_MEMORY_READ
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        tune_allocator();
        tune_allocator();
        let block = vec![1u8; 64 << 20];
        let before = anonymous_bytes();
        assert_eq!(block.iter().map(|&b| b as usize).sum::<usize>(), 64 << 20);
        drop(block);
        let after = anonymous_bytes();
        assert!(
            before.saturating_sub(after) >= 32 << 20,
            "RssAnon {before} before the free, {after} after"
        );
    }

    #[test]
    fn freed_small_blocks_leave_the_process_once_trimmed() {
        let _alone = RESIDENT_MEMORY_READ
            .lock()
            .unwrap_or_else(|e| e.into_inner());
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
