//! The slab memory pool for row payloads, memory accounting and the memory budget.
//!
//! LAYOUT. Payloads up to `SLOT_BYTES_MAX` live in fixed-size slots of 64 KiB pages; each
//! page serves one size class (`CLASS_SLOT_BYTES`: 4 bytes apart up to 64, 8 up to 128, then
//! 1.125x-1.2x apart, so a payload wastes at most a sixth of its slot). A page starts with a
//! header (`page.rs`): a reference count (live slots, plus one while the pool owns the page)
//! and a bitmap of free slots. Pages are
//! aligned to their size, so the header of any slot is found by masking its address. Larger
//! payloads get an allocation of their own with a small header (`payload.rs`).
//!
//! ALLOCATION. Each size class has a mutex-protected list of pages (`pool.rs`); writers take
//! it to find a free slot (a rotating cursor over pages with free slots, or a new page). A
//! transaction writing many rows reserves a run of slots at a time instead (`reserve.rs`).
//! Freeing never locks: it sets the slot's bit and drops the page reference. Readers never
//! touch the pool: a version's payload is an atomic pointer plus a length (`Payload`), read
//! under an epoch pin.
//!
//! REUSE. A slot is freed only when its version is destroyed, which garbage collection
//! defers through crossbeam-epoch until no reader can hold the version; so a reused slot is
//! never under a reader's feet.
//!
//! COMPACTION. `SlabPool::begin_compaction` marks sparse pages as evacuating (allocation
//! skips them); `Table::compact_payloads` then copies each live payload found in such a page
//! to a fresh slot, swings the version's pointer with a CAS and frees the old slot after the
//! epoch; `SlabPool::finish_compaction` waits for those frees and releases pages left empty.
//!
//! ACCOUNTING. `MemoryAccount` (`account.rs`) charges pages, large payloads, version headers
//! and index entries; a charge that would pass the budget fails with `MemoryBudget` before
//! anything is linked, so the write changes nothing.

mod account;
pub(crate) mod arena;
pub use arena::retained_free_bytes;
mod heap_trim;
mod page;
mod payload;
mod pool;
mod pressure;
mod release_tally;
mod reserve;

#[cfg(test)]
mod tests;

pub use account::{format_bytes, MemoryAccount, MemoryStats, BUDGET_UNLIMITED};
pub use heap_trim::{release_free_memory, trim_heap, tune_allocator};
pub use page::PAGE_BYTES;
pub(crate) use payload::{copy_if_evacuating, free_frozen_slot, free_moved_copy, Payload};
pub use pool::{Compaction, CompactionReport, SlabPool};
pub use pressure::{
    mark_bytes, MemoryPressure, PressureLevel, PressureStats, EVICT_MARK_PERCENT_DEFAULT,
    SOFT_MARK_PERCENT_DEFAULT,
};
pub(crate) use release_tally::ReleaseTally;
pub(crate) use reserve::SlotReserve;

/// Frees the slots compaction moved payloads out of, once no reader pinned now can hold them.
pub(crate) fn retire_moved_slots(
    guard: &crossbeam_epoch::Guard,
    account: &std::sync::Arc<MemoryAccount>,
    slots: Vec<std::ptr::NonNull<u8>>,
) {
    if slots.is_empty() {
        return;
    }
    let count = slots.len() as u64;
    account
        .pending_frees
        .fetch_add(count, std::sync::atomic::Ordering::AcqRel);
    let account = std::sync::Arc::clone(account);
    let slots: Vec<usize> = slots
        .into_iter()
        .map(|slot| slot.as_ptr() as usize)
        .collect();
    // SAFETY: each slot was replaced in its payload by a CAS, so no new reader can load it;
    // readers that loaded it hold epoch pins, which the deferred free waits for. Each slot
    // is in the list once and freed once.
    unsafe {
        guard.defer_unchecked(move || {
            for slot in slots {
                let slot = std::ptr::NonNull::new(slot as *mut u8).expect("slots are non-null");
                page::PagePtr::free_slot(slot);
            }
            account
                .pending_frees
                .fetch_sub(count, std::sync::atomic::Ordering::AcqRel);
        });
    }
}

/// Slot sizes of the size classes, in bytes (ascending): 4 bytes apart up to 64 and 8 apart
/// up to 128, where the rows of narrow tables fall (a payload wastes at most 3 or 7 bytes
/// there), then 1.125x-1.2x apart (at most a sixth of the slot).
pub const CLASS_SLOT_BYTES: [usize; CLASS_COUNT] = [
    16, 20, 24, 28, 32, 36, 40, 44, 48, 52, 56, 60, 64, 72, 80, 88, 96, 104, 112, 120, 128, 144,
    160, 176, 192, 224, 256, 288, 320, 352, 384, 448, 512, 576, 640, 704, 768, 896, 1024, 1152,
    1280, 1408, 1536, 1792, 2048, 2304, 2560, 2816, 3072, 3584, 4096, 4608, 5120, 6144, 7168, 8192,
];

/// Number of size classes.
pub const CLASS_COUNT: usize = 56;

/// Largest payload kept in a slab slot; larger ones get an allocation of their own.
pub const SLOT_BYTES_MAX: usize = CLASS_SLOT_BYTES[CLASS_COUNT - 1];

/// Slot sizes (and so slot addresses, pages being aligned) are multiples of this. A frozen
/// head word tags bit 0 of a slot's address (`mvcc/head.rs`), so it must be even (and it
/// is a power of two).
const SLOT_GRANULE: usize = 4;

/// A page is evacuated by the background compaction when at most this fraction (in percent)
/// of its slots is in use.
pub const SPARSE_PAGE_USED_PERCENT: u64 = 50;

/// VACUUM's compaction evacuates pages up to this fraction (in percent) of slots in use: the
/// user asked for the memory back, so pages that random updates or deletes left mostly full
/// are merged too (the background's bound would leave a pool of 70%-full pages as it is).
pub const VACUUM_PAGE_USED_PERCENT: u64 = 90;

const _: () = assert!(CLASS_SLOT_BYTES[0] >= 8 && CLASS_SLOT_BYTES[0] & (SLOT_GRANULE - 1) == 0);
const _: () = assert!(SLOT_BYTES_MAX * 4 <= PAGE_BYTES);

/// The size class of a payload of `len` bytes (`None` when it is too large for a slot).
#[inline]
pub(crate) fn class_of(len: usize) -> Option<usize> {
    CLASS_BY_GRANULES
        .get(len.div_ceil(SLOT_GRANULE))
        .map(|class| *class as usize)
}

/// The size class of each payload length rounded up to a multiple of `SLOT_GRANULE` (every
/// slot size is one), indexed by that length / `SLOT_GRANULE`: one load instead of a search.
static CLASS_BY_GRANULES: [u8; SLOT_BYTES_MAX / SLOT_GRANULE + 1] = {
    let mut table = [0u8; SLOT_BYTES_MAX / SLOT_GRANULE + 1];
    let mut granules = 0;
    let mut class = 0;
    while granules < table.len() {
        while CLASS_SLOT_BYTES[class] < granules * SLOT_GRANULE {
            class += 1;
        }
        table[granules] = class as u8;
        granules += 1;
    }
    table
};

const _: () = {
    assert!(CLASS_COUNT <= u8::MAX as usize);
    let mut class = 0;
    while class < CLASS_COUNT {
        assert!(CLASS_SLOT_BYTES[class] & (SLOT_GRANULE - 1) == 0);
        assert!(class == 0 || CLASS_SLOT_BYTES[class] > CLASS_SLOT_BYTES[class - 1]);
        class += 1;
    }
};
