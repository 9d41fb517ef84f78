//! `Payload`: a version's encoded row, held in a slab slot (or, past `SLOT_BYTES_MAX`, in an
//! allocation of its own). The bytes never change; the pointer may: compaction copies the
//! bytes to a fresh slot and swings the pointer with a CAS, and frees the old slot only after
//! the epoch, so a reader that loaded the old pointer under its pin keeps valid bytes.

use std::alloc::{self, Layout};
use std::ptr::NonNull;
use std::sync::atomic::{AtomicPtr, Ordering};
use std::sync::Arc;

use crossbeam_epoch::Guard;

use crate::error::StorageResult;
use crate::limits::ROW_BYTES_MAX;

use super::account::MemoryAccount;
use super::class_of;
use super::page::PagePtr;
use super::pool::SlabPool;
use super::release_tally::ReleaseTally;
use super::reserve::SlotReserve;

pub(crate) use crate::mvcc::{FrozenSlot, VERSION_HEADER_BYTES};

/// Bytes in front of a large payload: the account pointer, padded to the alignment.
const LARGE_HEADER_BYTES: usize = 16;

fn large_layout(len: usize) -> Layout {
    Layout::from_size_align(LARGE_HEADER_BYTES + len, LARGE_HEADER_BYTES)
        .expect("row payloads are far below isize::MAX")
}

/// The bytes one large payload charges (its allocation).
fn large_charge(len: usize) -> u64 {
    (LARGE_HEADER_BYTES + len) as u64
}

pub(crate) struct Payload {
    ptr: AtomicPtr<u8>,
    len: u32,
}

const _: () = assert!(ROW_BYTES_MAX <= u32::MAX as usize);

impl Payload {
    /// Copies `bytes` into the pool, charging the slot (or large allocation) and one version
    /// header. Fails with `MemoryBudget` if that plus `headroom_bytes` would pass the budget.
    #[cfg(test)]
    pub(crate) fn new(pool: &SlabPool, bytes: &[u8], headroom_bytes: u64) -> StorageResult<Self> {
        // SAFETY: the copy writes all `bytes.len()` bytes.
        unsafe {
            Payload::new_in(pool, None, bytes.len(), headroom_bytes, |memory| {
                std::ptr::copy_nonoverlapping(bytes.as_ptr(), memory.as_ptr(), bytes.len())
            })
        }
    }

    /// `new`, taking the slot from a transaction's `reserve` (see `reserve.rs`).
    pub(crate) fn new_reserved(
        pool: &SlabPool,
        reserve: &mut SlotReserve,
        bytes: &[u8],
        headroom_bytes: u64,
    ) -> StorageResult<Self> {
        // SAFETY: the copy writes all `bytes.len()` bytes.
        unsafe {
            Payload::new_in(pool, Some(reserve), bytes.len(), headroom_bytes, |memory| {
                std::ptr::copy_nonoverlapping(bytes.as_ptr(), memory.as_ptr(), bytes.len())
            })
        }
    }

    /// A payload of `len` bytes that `write` writes into its fresh memory (a slot, from
    /// `reserve` when there is one, or a large allocation), charged like `new`'s. `write`
    /// runs only if the charges succeed.
    ///
    /// # Safety
    /// `write` initializes all `len` bytes of the memory it is given, and writes nothing
    /// past them.
    #[inline]
    unsafe fn new_in(
        pool: &SlabPool,
        reserve: Option<&mut SlotReserve>,
        len: usize,
        headroom_bytes: u64,
        write: impl FnOnce(NonNull<u8>),
    ) -> StorageResult<Self> {
        crate::row::check_row_bytes(len)?;
        let account = pool.account();
        let memory = match reserve {
            // The header (and the version's count) from the transaction's reserve.
            Some(reserve) => {
                reserve.charge_header(pool, headroom_bytes)?;
                let memory = match class_of(len) {
                    Some(class) => reserve.take(pool, class, Some(headroom_bytes)),
                    None => allocate_large(account, len, headroom_bytes),
                };
                if memory.is_err() {
                    reserve.refund_header();
                }
                memory?
            }
            None => {
                account.charge_header(Some(headroom_bytes))?;
                let memory = match class_of(len) {
                    Some(class) => pool.alloc_slot(class, Some(headroom_bytes)),
                    None => allocate_large(account, len, headroom_bytes),
                };
                if memory.is_err() {
                    account.release_header();
                }
                let memory = memory?;
                account.versions.fetch_add(1, Ordering::Relaxed);
                memory
            }
        };
        // `memory` is a fresh slot or allocation of at least `len` bytes that no other
        // thread can reach yet; `write` fills it (the caller's contract).
        write(memory);
        Ok(Payload {
            ptr: AtomicPtr::new(memory.as_ptr()),
            len: len as u32,
        })
    }

    #[inline]
    pub(crate) fn len(&self) -> usize {
        self.len as usize
    }

    /// Bytes of pool memory the payload holds (its slot, or its large allocation).
    pub(crate) fn held_bytes(&self) -> u64 {
        match class_of(self.len()) {
            Some(class) => super::CLASS_SLOT_BYTES[class] as u64,
            None => large_charge(self.len()),
        }
    }

    /// Where the payload's bytes are now (for a prefetch hint; read them with `bytes`).
    #[inline]
    pub(crate) fn as_ptr(&self) -> *const u8 {
        self.ptr.load(Ordering::Relaxed)
    }

    /// The payload's bytes, valid while `guard` stays pinned.
    #[inline]
    pub(crate) fn bytes<'g>(&'g self, _guard: &'g Guard) -> &'g [u8] {
        let ptr = self.ptr.load(Ordering::Acquire);
        // SAFETY: `ptr` holds `len` initialized bytes that never change. The memory is freed
        // only (a) when the payload is dropped, which cannot happen while `&self` is borrowed,
        // or (b) after compaction swapped in a new pointer, and then through the epoch: our
        // pinned `guard` predates that retirement's completion, so the bytes outlive 'g.
        unsafe { std::slice::from_raw_parts(ptr, self.len()) }
    }

    /// Compaction: if the payload's slot is in a page being evacuated, copies it to a fresh
    /// slot and swings the pointer. Returns the old slot, which the caller must free after
    /// the epoch (readers may still hold it).
    pub(crate) fn relocate_if_evacuating(
        &self,
        pool: &SlabPool,
        guard: &Guard,
    ) -> Option<NonNull<u8>> {
        class_of(self.len())?;
        let old = NonNull::new(self.ptr.load(Ordering::Acquire))?;
        let new = copy_if_evacuating(pool, old, self.len(), guard)?;
        match self.ptr.compare_exchange(
            old.as_ptr(),
            new.as_ptr(),
            Ordering::AcqRel,
            Ordering::Acquire,
        ) {
            Ok(_) => Some(old),
            Err(_) => {
                debug_assert!(false, "only the compactor (one at a time) moves payloads");
                // SAFETY: `new` was never published.
                unsafe { free_moved_copy(new) };
                None
            }
        }
    }

    /// The payload's slot, when it is in one (a large payload has an allocation instead).
    pub(crate) fn slot(&self) -> Option<FrozenSlot> {
        class_of(self.len())?;
        Some(FrozenSlot {
            memory: NonNull::new(self.ptr.load(Ordering::Acquire))?,
            len: self.len(),
        })
    }

    /// A payload over the slot of a frozen row (see `mvcc::head`), for the header a writer
    /// puts back. Charges one version header through `reserve` (its thaw credits; the slot
    /// is charged already); fails with
    /// `MemoryBudget` if that plus `headroom_bytes` would pass the budget (never when
    /// `headroom_bytes` is `None`).
    pub(crate) fn adopt_slot(
        pool: &SlabPool,
        reserve: &mut SlotReserve,
        slot: FrozenSlot,
        headroom_bytes: Option<u64>,
    ) -> StorageResult<Payload> {
        debug_assert!(class_of(slot.len).is_some());
        reserve.charge_thawed_header(pool, headroom_bytes)?;
        Ok(Payload {
            ptr: AtomicPtr::new(slot.memory.as_ptr()),
            len: slot.len as u32,
        })
    }

    /// Gives up the payload's slot without freeing it or touching it (a frozen head owns it
    /// now; the table may even have freed it by the time a retired header is destroyed) and
    /// releases the version header charged with it to `account`. Dropping the payload then
    /// frees nothing.
    pub(crate) fn give_up_slot(&mut self, account: &MemoryAccount) {
        if self.ptr.get_mut().is_null() {
            return;
        }
        debug_assert!(
            class_of(self.len()).is_some(),
            "only slab payloads are frozen"
        );
        account.release_header();
        *self.ptr.get_mut() = std::ptr::null_mut();
    }

    /// `give_up_slot` with the header's charge left to the caller, who releases a batch's
    /// headers at once (`VERSION_HEADER_BYTES` each; `gc.rs` `retire`).
    pub(crate) fn give_up_slot_unreleased(&mut self) {
        debug_assert!(
            self.ptr.get_mut().is_null() || class_of(self.len()).is_some(),
            "only slab payloads are frozen"
        );
        *self.ptr.get_mut() = std::ptr::null_mut();
    }
}

impl Payload {
    /// Frees the payload's slot as dropping it would, with the shared counters' releases
    /// (its version, its header's bytes, its class's used slot) added to `tally` instead of
    /// applied; dropping the payload then frees nothing. A large payload is left to its
    /// drop.
    ///
    /// # Safety
    /// As dropping the payload: nothing reads its bytes any more.
    #[inline]
    pub(crate) unsafe fn free_tallied(&mut self, tally: &mut ReleaseTally) {
        let Some(memory) = NonNull::new(*self.ptr.get_mut()) else {
            return;
        };
        if class_of(self.len()).is_none() {
            return;
        }
        *self.ptr.get_mut() = std::ptr::null_mut();
        // SAFETY: the payload owned its slot and gives it up here (its pointer is cleared,
        // so its drop frees nothing); by the caller's contract nobody reads it.
        unsafe { tally.free_slot(memory) };
    }
}

/// Frees the slot of a frozen row's payload (one version, no header).
///
/// # Safety
/// `slot` is a frozen payload's slot that nothing reaches any more, freed once.
pub(crate) unsafe fn free_frozen_slot(slot: FrozenSlot) {
    let page = PagePtr::of_slot(slot.memory);
    page.account().versions.fetch_sub(1, Ordering::Relaxed);
    // SAFETY: by the caller's contract.
    unsafe { PagePtr::free_slot(slot.memory) };
}

/// Frees a copy `copy_if_evacuating` made that was never published.
///
/// # Safety
/// Nothing else holds `copy`.
pub(crate) unsafe fn free_moved_copy(copy: NonNull<u8>) {
    // SAFETY: by the caller's contract.
    unsafe { PagePtr::free_slot(copy) };
}

/// Compaction of one slot: if `old` (a slot holding `len` bytes) is in a page being
/// evacuated, a fresh slot of the same class with the same bytes; the caller publishes it
/// (or frees it if it cannot) and frees `old` after the epoch.
pub(crate) fn copy_if_evacuating(
    pool: &SlabPool,
    old: NonNull<u8>,
    len: usize,
    _guard: &Guard,
) -> Option<NonNull<u8>> {
    let class = class_of(len)?;
    if !PagePtr::of_slot(old).is_evacuating() {
        return None;
    }
    let new = pool.alloc_slot_for_move(class);
    // SAFETY: `old` holds `len` bytes and stays allocated while `_guard` is pinned (it is
    // freed only through the epoch); `new` is a fresh slot of the same class only we reach.
    unsafe { std::ptr::copy_nonoverlapping(old.as_ptr(), new.as_ptr(), len) };
    Some(new)
}

impl Drop for Payload {
    fn drop(&mut self) {
        let Some(memory) = NonNull::new(*self.ptr.get_mut()) else {
            return;
        };
        match class_of(self.len()) {
            Some(_) => {
                let page = PagePtr::of_slot(memory);
                {
                    let account = page.account();
                    account.versions.fetch_sub(1, Ordering::Relaxed);
                    account.release_header();
                }
                // SAFETY: the payload owns its slot and is being dropped, so nobody reads it
                // (readers borrow the version, which an epoch-deferred drop outlives).
                unsafe { PagePtr::free_slot(memory) };
            }
            None => {
                // SAFETY: as above; a large allocation is exclusively the payload's.
                unsafe { free_large(memory, self.len()) };
            }
        }
    }
}

fn allocate_large(
    account: &Arc<MemoryAccount>,
    len: usize,
    headroom_bytes: u64,
) -> StorageResult<NonNull<u8>> {
    account.try_charge(large_charge(len), headroom_bytes)?;
    let layout = large_layout(len);
    // SAFETY: the layout has a non-zero size.
    let memory = unsafe { alloc::alloc(layout) };
    let Some(memory) = NonNull::new(memory) else {
        alloc::handle_alloc_error(layout)
    };
    account
        .large_bytes
        .fetch_add(large_charge(len), Ordering::Relaxed);
    // SAFETY: the allocation starts with LARGE_HEADER_BYTES (>= a pointer, aligned) for the
    // account pointer; the page-less payload owns this strong count until it is freed.
    unsafe {
        memory
            .cast::<*const MemoryAccount>()
            .as_ptr()
            .write(Arc::into_raw(Arc::clone(account)));
        Ok(memory.add(LARGE_HEADER_BYTES))
    }
}

/// # Safety
/// `data` came from `allocate_large(_, len, _)` and is freed once, with no reader left.
unsafe fn free_large(data: NonNull<u8>, len: usize) {
    // SAFETY: the caller's contract: the header precedes `data` in the same allocation.
    unsafe {
        let memory = data.sub(LARGE_HEADER_BYTES);
        let account = Arc::from_raw(memory.cast::<*const MemoryAccount>().as_ptr().read());
        account.versions.fetch_sub(1, Ordering::Relaxed);
        account.release_header();
        account.release(large_charge(len));
        account
            .large_bytes
            .fetch_sub(large_charge(len), Ordering::Relaxed);
        alloc::dealloc(memory.as_ptr(), large_layout(len));
    }
}
