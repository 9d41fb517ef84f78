//! A growable array of row slots: chunks of doubling size (1,024 slots, then 2,048, ...), so it
//! grows without moving and readers index it without locks. Slots below `len()` are handed
//! out; a slot's chunk is allocated (zeroed: an empty head is all zero bits) before `len()`
//! passes it. A table keeps one (the slots of its rows), and a clustered table a second for
//! the rows whose keys do not address a slot (`table.rs`, `clustered.rs`).

use std::ptr;
use std::sync::atomic::{AtomicPtr, AtomicU64, Ordering};
use std::sync::Mutex;

use crossbeam_epoch::{self as epoch, Guard};

use crate::error::{StorageError, StorageErrorKind, StorageResult};
use crate::limits::TABLE_SLOTS_MAX;
use crate::prefetch::prefetch_read;
use crate::slab::arena;

use super::table::Slot;

const CHUNK_BASE: u64 = 1024;
const CHUNK_COUNT: usize = 31;

const _: () = assert!(TABLE_SLOTS_MAX <= CHUNK_BASE * ((1u64 << CHUNK_COUNT) - 1));

pub(crate) struct SlotArray {
    chunks: [AtomicPtr<Slot>; CHUNK_COUNT],
    /// Slots handed out: every slot below it is reachable (its chunk exists).
    len: AtomicU64,
    grow_lock: Mutex<()>,
    /// Bytes the last `release_empty_runs` handed back to the system.
    released_bytes: AtomicU64,
}

fn chunk_len(chunk: usize) -> u64 {
    CHUNK_BASE << chunk
}

/// The error of a table that handed out every slot it may have.
#[cold]
pub(crate) fn slots_exhausted() -> StorageError {
    StorageError::new(
        StorageErrorKind::Limit,
        format!("table passed {TABLE_SLOTS_MAX} row slots"),
    )
}

/// Which chunk holds slot `index`, and where in it.
fn locate(index: u64) -> (usize, usize) {
    let n = index / CHUNK_BASE + 1;
    let chunk = 63 - n.leading_zeros() as usize;
    let offset = index - CHUNK_BASE * ((1u64 << chunk) - 1);
    debug_assert!(offset < chunk_len(chunk));
    (chunk, offset as usize)
}

impl SlotArray {
    pub(crate) fn new() -> SlotArray {
        SlotArray {
            chunks: std::array::from_fn(|_| AtomicPtr::new(ptr::null_mut())),
            len: AtomicU64::new(0),
            grow_lock: Mutex::new(()),
            released_bytes: AtomicU64::new(0),
        }
    }

    /// Slots handed out (an upper bound for walks).
    #[inline]
    pub(crate) fn len(&self) -> u64 {
        self.len.load(Ordering::Acquire)
    }

    #[inline]
    pub(crate) fn get(&self, index: u64) -> Option<&Slot> {
        if index >= self.len() {
            return None;
        }
        let (chunk, offset) = locate(index);
        let base = self.chunks[chunk].load(Ordering::Acquire);
        if base.is_null() {
            return None;
        }
        // SAFETY: a non-null chunk pointer was published with Release after the chunk was
        // fully initialized, has `chunk_len(chunk)` slots, and lives as long as the array;
        // `offset < chunk_len(chunk)` by `locate`.
        Some(unsafe { &*base.add(offset) })
    }

    /// Hands out the next slot. Lock-free: a CAS on the length, after making sure the slot's
    /// chunk exists (only a new chunk takes the grow lock). A reader that sees the new length
    /// also sees the chunk (allocated before the length was published).
    #[inline]
    pub(crate) fn push(&self) -> StorageResult<u64> {
        let mut index = self.len.load(Ordering::Acquire);
        loop {
            if index >= TABLE_SLOTS_MAX {
                return Err(slots_exhausted());
            }
            self.ensure_chunk(index);
            match self.len.compare_exchange_weak(
                index,
                index + 1,
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => return Ok(index),
                Err(current) => index = current,
            }
        }
    }

    /// Makes slot `index` reachable (its chunk allocated, the length past it) and returns it.
    /// Slots between the old length and `index` whose chunks were never allocated stay
    /// unreachable (`get` returns `None` for them, walks skip them).
    pub(crate) fn reach(&self, index: u64) -> StorageResult<&Slot> {
        if index >= TABLE_SLOTS_MAX {
            return Err(slots_exhausted());
        }
        self.ensure_chunk(index);
        self.len.fetch_max(index + 1, Ordering::AcqRel);
        Ok(self.get(index).expect("a reached slot is reachable"))
    }

    #[inline]
    fn ensure_chunk(&self, index: u64) {
        let (chunk, _) = locate(index);
        if self.chunks[chunk].load(Ordering::Acquire).is_null() {
            self.grow(chunk);
        }
    }

    /// Allocates chunk `chunk` unless another writer already did.
    #[cold]
    #[inline(never)]
    fn grow(&self, chunk: usize) {
        let _grow = self
            .grow_lock
            .lock()
            .unwrap_or_else(|poison| poison.into_inner());
        if self.chunks[chunk].load(Ordering::Acquire).is_null() {
            self.chunks[chunk].store(zeroed_chunk(chunk_len(chunk) as usize), Ordering::Release);
        }
    }

    /// Calls `visit` with each reachable slot whose index is in `indexes` (up to `len()`), in
    /// order, until it returns false; returns the index to resume from. Walks each chunk as
    /// a slice instead of locating every slot, and prefetches the newest version header and
    /// payload of the slots a few ahead (after updates they are scattered over the heap and
    /// the pool, and a walk would otherwise wait on two cache misses per row).
    #[inline]
    pub(crate) fn for_each(
        &self,
        indexes: std::ops::Range<u64>,
        guard: &Guard,
        mut visit: impl FnMut(u64, &Slot) -> bool,
    ) -> u64 {
        let end = indexes.end.min(self.len());
        let mut index = indexes.start;
        while index < end {
            let (chunk, offset) = locate(index);
            let chunk_end = (index - offset as u64 + chunk_len(chunk)).min(end);
            let base = self.chunks[chunk].load(Ordering::Acquire);
            if base.is_null() {
                index = chunk_end;
                continue;
            }
            // SAFETY: as in `get`: a published chunk holds `chunk_len(chunk)` initialized
            // slots for the array's life, and `offset + (chunk_end - index) <= chunk_len`.
            let slots = unsafe { std::slice::from_raw_parts(base, chunk_len(chunk) as usize) };
            let walked = &slots[offset..offset + (chunk_end - index) as usize];
            for (at, slot) in walked.iter().enumerate() {
                prefetch_ahead(walked, at, guard);
                if !visit(index, slot) {
                    return index + 1;
                }
                index += 1;
            }
        }
        index
    }

    /// Hands back to the system the memory of every run of empty slots (heads all zero bits)
    /// a system page long, in every allocated chunk; returns the bytes released. A released
    /// run still reads as empty slots, and takes memory again when one of them is written.
    /// One walk over every chunk: callers run it after a collection emptied a large share of
    /// the slots (`slot_release.rs`).
    ///
    /// # Safety
    /// No thread makes an empty slot of this array non-empty during the call (a write landing
    /// between a run's test and its release would be lost).
    pub(crate) unsafe fn release_empty_runs(&self, guard: &Guard) -> u64 {
        // SAFETY: the caller's contract covers every slot.
        unsafe { self.release_empty_runs_below(u64::MAX, guard) }
    }

    /// `release_empty_runs` for the slots below `limit` only: a run that reaches `limit` or
    /// past it stays.
    ///
    /// # Safety
    /// No thread makes an empty slot below `limit` non-empty during the call.
    pub(crate) unsafe fn release_empty_runs_below(&self, limit: u64, guard: &Guard) -> u64 {
        let mut released = 0;
        for (chunk, base) in self.chunks.iter().enumerate() {
            let base = base.load(Ordering::Acquire);
            let chunk_start = CHUNK_BASE * ((1u64 << chunk) - 1);
            if base.is_null() || chunk_start >= limit {
                continue;
            }
            let len = chunk_len(chunk) as usize;
            // SAFETY: as in `for_each`: a published chunk holds `len` initialized slots for
            // the array's life.
            let slots = unsafe { std::slice::from_raw_parts(base, len) };
            // The empty runs are released as one range each time a run with a row ends them.
            let mut empty_from: Option<usize> = None;
            for run in 0..len.div_ceil(RELEASE_RUN_SLOTS) {
                let from = run * RELEASE_RUN_SLOTS;
                let to = (from + RELEASE_RUN_SLOTS).min(len);
                let empty = chunk_start + to as u64 <= limit
                    && slots[from..to]
                        .iter()
                        .all(|slot| slot.head.load(Ordering::Acquire, guard).is_zero());
                match (empty, empty_from) {
                    (true, None) => empty_from = Some(from),
                    (false, Some(start)) => {
                        // SAFETY: the slots `start..from` are empty (zero bits) and below
                        // `limit`, so they stay so (the caller's contract); they lie in this
                        // chunk.
                        released += unsafe { release_slots(base, start..from, len) };
                        empty_from = None;
                    }
                    _ => {}
                }
            }
            if let Some(start) = empty_from {
                // SAFETY: as above, for the empty runs up to the chunk's end.
                released += unsafe { release_slots(base, start..len, len) };
            }
        }
        self.released_bytes.store(released, Ordering::Relaxed);
        released
    }

    /// Bytes of the allocated chunks.
    pub(crate) fn allocated_bytes(&self) -> u64 {
        let chunks = self.chunks.iter().enumerate();
        chunks
            .filter(|(_, base)| !base.load(Ordering::Acquire).is_null())
            .map(|(chunk, _)| chunk_layout(chunk_len(chunk) as usize).size() as u64)
            .sum()
    }

    /// Bytes the last `release_empty_runs` handed back (some may hold rows again since).
    pub(crate) fn released_bytes(&self) -> u64 {
        self.released_bytes.load(Ordering::Relaxed)
    }

    /// Every allocated chunk as a slice of its slots, for `Table`'s drop.
    ///
    /// # Safety
    /// Nothing else uses the array any more.
    pub(crate) unsafe fn chunks_for_drop(&mut self) -> impl Iterator<Item = &[Slot]> + '_ {
        self.chunks.iter().enumerate().filter_map(|(chunk, base)| {
            let base = base.load(Ordering::Relaxed);
            // SAFETY: a non-null chunk holds `chunk_len(chunk)` initialized slots (the
            // caller's contract makes it ours alone).
            (!base.is_null())
                .then(|| unsafe { std::slice::from_raw_parts(base, chunk_len(chunk) as usize) })
        })
    }
}

impl Drop for SlotArray {
    fn drop(&mut self) {
        for (chunk, base) in self.chunks.iter().enumerate() {
            let base = base.load(Ordering::Relaxed);
            if !base.is_null() {
                // SAFETY: `&mut self`: nobody uses the chunk any more; freed once, here.
                unsafe { free_chunk(base, chunk_len(chunk) as usize) };
            }
        }
    }
}

/// Slots tested together by `release_empty_runs`: 4 KiB of them, a system page on most
/// systems (a run only partly on whole pages releases those).
const RELEASE_RUN_SLOTS: usize = 4096 / std::mem::size_of::<Slot>();

/// Hands the whole system pages of the slots `slots` of a chunk of `len` back to the
/// system; returns the bytes released.
///
/// # Safety
/// `base` is a chunk made by `zeroed_chunk(len)`, `slots.end <= len`, and those slots are
/// empty (zero bits) with no writer during the call.
unsafe fn release_slots(base: *mut Slot, slots: std::ops::Range<usize>, len: usize) -> u64 {
    debug_assert!(slots.start <= slots.end && slots.end <= len);
    let bytes = (slots.end - slots.start) * std::mem::size_of::<Slot>();
    // SAFETY: `slots.start < len` (or the range is empty), so the pointer stays in the chunk.
    let start = unsafe { base.add(slots.start) }.cast::<u8>();
    let Some(start) = ptr::NonNull::new(start) else {
        return 0;
    };
    // SAFETY: the range lies in the chunk, a block of `chunk_layout(len)` from the arena,
    // all zero and unwritten during the call (the caller's contract).
    unsafe { arena::release_zero_pages(start, bytes, chunk_layout(len)) as u64 }
}

/// Rows ahead of a walk's position whose newest version header is prefetched.
const PREFETCH_HEADER_AHEAD: usize = 16;
/// Rows ahead whose payload is prefetched (nearer: its header was prefetched earlier).
const PREFETCH_PAYLOAD_AHEAD: usize = 8;

/// Prefetches, for a walk over `slots` now at `index`, the version header of the slot
/// `PREFETCH_HEADER_AHEAD` rows on and the payload of the one `PREFETCH_PAYLOAD_AHEAD` on.
#[inline(always)]
fn prefetch_ahead(slots: &[Slot], index: usize, guard: &Guard) {
    if let Some(slot) = slots.get(index + PREFETCH_HEADER_AHEAD) {
        prefetch_read(slot.head.load(Ordering::Relaxed, guard).address());
    }
    if let Some(slot) = slots.get(index + PREFETCH_PAYLOAD_AHEAD) {
        if let Some(version) = slot.head.load(Ordering::Acquire, guard).version_ref() {
            prefetch_read(version.payload.as_ptr());
        }
    }
}

/// A chunk of `len` empty slots, from zeroed memory (an empty head is all zero bits). Chunks
/// up to 2 MiB (262,144 slots) come from arena regions on 4 KiB pages: a clustered table
/// reaches its slots in key order, so the tail of its last chunk stays untouched and takes
/// no memory (on a huge page it would be resident whole: 2.5 B per row of a 200,000-row
/// table); larger chunks get huge-page mappings (a point select lands on a random slot, and
/// over many megabytes 4 KiB pages would cost a TLB miss each). Freed by `free_chunk`.
fn zeroed_chunk(len: usize) -> *mut Slot {
    let memory = arena::allocate_zeroed_sparse(chunk_layout(len))
        .cast::<Slot>()
        .as_ptr();
    debug_assert!({
        // SAFETY: `memory` holds `len` zeroed slots, and a zeroed `Slot` is a null head.
        let first = unsafe { &*memory };
        first.head.load(Ordering::Relaxed, &epoch::pin()).is_null()
    });
    memory
}

fn chunk_layout(len: usize) -> std::alloc::Layout {
    std::alloc::Layout::array::<Slot>(len).expect("chunk sizes are small")
}

/// Frees a chunk made by `zeroed_chunk(len)`.
///
/// # Safety
/// Nothing uses the chunk any more, and it is freed once.
unsafe fn free_chunk(base: *mut Slot, len: usize) {
    let base = ptr::NonNull::new(base).expect("freed chunks were allocated");
    // SAFETY: allocated by `zeroed_chunk(len)` with this layout (the caller's contract).
    unsafe { arena::deallocate(base.cast(), chunk_layout(len)) };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locate_maps_indexes_to_chunks_without_gaps() {
        let mut expected = (0usize, 0usize);
        for index in 0..(CHUNK_BASE * 15) {
            assert_eq!(locate(index), expected, "index {index}");
            expected.1 += 1;
            if expected.1 as u64 == chunk_len(expected.0) {
                expected = (expected.0 + 1, 0);
            }
        }
    }

    #[test]
    fn racing_pushers_get_distinct_slots_across_chunks() {
        let array = std::sync::Arc::new(SlotArray::new());
        let writers: Vec<_> = (0..4)
            .map(|_| {
                let array = std::sync::Arc::clone(&array);
                std::thread::spawn(move || {
                    let mut indexes = Vec::new();
                    for _ in 0..5000 {
                        let index = array.push().unwrap();
                        // The slot is reachable (its chunk exists) and empty.
                        let slot = array.get(index).expect("pushed slot is reachable");
                        assert!(slot.head.load(Ordering::Acquire, &epoch::pin()).is_null());
                        indexes.push(index);
                    }
                    indexes
                })
            })
            .collect();
        let mut all: Vec<u64> = writers
            .into_iter()
            .flat_map(|writer| writer.join().unwrap())
            .collect();
        all.sort_unstable();
        all.dedup();
        assert_eq!(all, (0..20_000).collect::<Vec<_>>(), "every slot once");
        assert_eq!(array.len(), 20_000);
    }

    #[test]
    fn walks_cross_chunks_and_resume_where_they_stopped() {
        let array = SlotArray::new();
        for expected in 0..5000 {
            assert_eq!(array.push().unwrap(), expected);
        }
        assert!(array.get(4999).is_some());
        assert!(array.get(5000).is_none());
        for (start, end) in [
            (0, 5000),
            (1000, 3100),
            (1023, 1025),
            (3071, 9000),
            (4999, 5000),
        ] {
            let mut expected = start;
            let resume = array.for_each(start..end, &epoch::pin(), |index, slot| {
                assert_eq!(index, expected);
                assert!(std::ptr::eq(slot, array.get(index).unwrap()), "{index}");
                expected += 1;
                true
            });
            assert_eq!(resume, end.min(5000));
            assert_eq!(expected, end.min(5000));
        }
        let guard = epoch::pin();
        assert_eq!(
            array.for_each(2000..4000, &guard, |index, _| index < 3070),
            3071
        );
        assert_eq!(array.for_each(6000..7000, &guard, |_, _| true), 6000);
    }

    /// Slots holding a row in the release tests: a few scattered ones.
    fn holds_row(index: u64) -> bool {
        index % 9_973 == 17 || index == 19_999
    }

    fn array_with_scattered_rows(slots: u64) -> SlotArray {
        let array = SlotArray::new();
        for index in 0..slots {
            assert_eq!(array.push().unwrap(), index);
            if holds_row(index) {
                let slot = array.get(index).unwrap();
                slot.head
                    .store(super::super::head::HeadWord::retired(), Ordering::Release);
            }
        }
        array
    }

    #[test]
    fn releasing_empty_runs_keeps_every_slot_as_it_was() {
        let array = array_with_scattered_rows(20_000);
        let guard = epoch::pin();
        // Every slot written once, so every page of the chunks is resident.
        array.for_each(0..20_000, &guard, |_, slot| {
            slot.head
                .store(slot.head.load(Ordering::Acquire, &guard), Ordering::Release);
            true
        });
        // SAFETY: no other thread uses the array.
        let released = unsafe { array.release_empty_runs(&guard) };
        assert_eq!(array.released_bytes(), released);
        // Chunks of 8,192 and 16,384 slots (64 KiB and 128 KiB) lie in the arena; three of
        // their 4 KiB runs hold a row. The small chunks come from the heap and stay.
        let arena_bytes = (8192 + 16_384) * std::mem::size_of::<Slot>() as u64;
        if cfg!(target_os = "linux") {
            assert!(released >= arena_bytes - 3 * 4096, "released {released}");
        }
        assert!(released <= array.allocated_bytes());
        array.for_each(0..20_000, &guard, |index, slot| {
            let head = slot.head.load(Ordering::Acquire, &guard);
            assert_eq!(head.is_retired(), holds_row(index), "slot {index}");
            assert_eq!(head.is_zero(), !holds_row(index), "slot {index}");
            true
        });
        // A released run takes a row again.
        let slot = array.get(12_000).unwrap();
        slot.head
            .store(super::super::head::HeadWord::retired(), Ordering::Release);
        assert!(slot.head.load(Ordering::Acquire, &guard).is_retired());
    }

    #[test]
    fn readers_see_every_slot_unchanged_while_empty_runs_are_released() {
        let array = std::sync::Arc::new(array_with_scattered_rows(60_000));
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let readers: Vec<_> = (0..2)
            .map(|_| {
                let (array, stop) = (array.clone(), stop.clone());
                std::thread::spawn(move || {
                    let mut walks = 0u64;
                    while !stop.load(Ordering::Acquire) || walks == 0 {
                        let guard = epoch::pin();
                        let walked = array.for_each(0..60_000, &guard, |index, slot| {
                            let head = slot.head.load(Ordering::Acquire, &guard);
                            assert_eq!(head.is_retired(), holds_row(index), "slot {index}");
                            true
                        });
                        assert_eq!(walked, 60_000);
                        walks += 1;
                    }
                    walks
                })
            })
            .collect();
        let mut released = 0;
        for _ in 0..20 {
            // SAFETY: the readers only read; no thread makes an empty slot non-empty.
            released += unsafe { array.release_empty_runs(&epoch::pin()) };
        }
        stop.store(true, Ordering::Release);
        for reader in readers {
            assert!(reader.join().unwrap() > 0);
        }
        if cfg!(target_os = "linux") {
            assert!(released > 0);
        }
        let guard = epoch::pin();
        let rows = array.for_each(0..60_000, &guard, |index, slot| {
            assert_eq!(
                slot.head.load(Ordering::Acquire, &guard).is_retired(),
                holds_row(index)
            );
            true
        });
        assert_eq!(rows, 60_000);
    }

    #[test]
    fn reaching_a_far_slot_leaves_the_chunks_between_unallocated() {
        let array = SlotArray::new();
        let far = CHUNK_BASE * 40;
        assert!(array.reach(far).is_ok());
        assert_eq!(array.len(), far + 1);
        assert!(array.get(far).is_some());
        // The chunks before it were never allocated: unreachable, and walks skip them.
        assert!(array.get(5).is_none());
        let mut seen = Vec::new();
        array.for_each(0..far + 1, &epoch::pin(), |index, _| {
            seen.push(index);
            true
        });
        assert!(seen.contains(&far));
        assert!(!seen.contains(&5));
        // Reaching a nearer slot does not shrink the length.
        assert!(array.reach(3).is_ok());
        assert_eq!(array.len(), far + 1);
        assert!(array.get(3).is_some());
        assert!(array.reach(TABLE_SLOTS_MAX).is_err());
    }
}
