//! One slab page: `PAGE_BYTES` of memory aligned to its size, a header at its start and
//! equal slots after it. The header holds a reference count (one per used slot, plus one
//! while the pool owns the page) and a bitmap with a set bit per free slot.
//!
//! Only the pool's allocator (holding its size class's lock) clears bits and adds references;
//! freeing a slot, from any thread and without a lock, sets its bit and drops its reference.
//! Whoever drops the last reference deallocates the page: the pool when it releases an
//! empty page, or the last free after the pool itself is gone. Page memory comes from the
//! process-wide arena (`arena.rs`: huge-page regions on Linux, handed back to the OS).

use std::alloc::Layout;
use std::mem::size_of;
use std::ptr::NonNull;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;

use super::account::MemoryAccount;
use super::arena;
use super::CLASS_SLOT_BYTES;

/// Size (and alignment) of a slab page.
pub const PAGE_BYTES: usize = 64 << 10;

/// What debug builds fill freed slots with.
const FREED_SLOT_POISON: u8 = 0xDB;

const BITMAP_WORDS: usize = PAGE_BYTES / CLASS_SLOT_BYTES[0] / 64;

#[repr(C)]
struct PageHeader {
    refs: AtomicUsize,
    evacuating: AtomicBool,
    class: usize,
    slot_bytes: usize,
    slot_count: usize,
    /// One strong count of the store's account, owned by the page.
    account: *const MemoryAccount,
    /// The bitmap word where the last slot was taken: the next search starts there (the
    /// words before it are usually full). Only the allocator (under the class lock) uses it.
    search_word: AtomicUsize,
    free_bits: [AtomicU64; BITMAP_WORDS],
}

const SLOTS_OFFSET: usize = size_of::<PageHeader>().next_multiple_of(16);

const _: () = assert!(SLOTS_OFFSET < PAGE_BYTES / 8);
const _: () = assert!(PAGE_BYTES.is_power_of_two());

fn page_layout() -> Layout {
    Layout::from_size_align(PAGE_BYTES, PAGE_BYTES).expect("constant page layout is valid")
}

/// A page the caller holds a reference to (the pool's, or a used slot's).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PagePtr(NonNull<u8>);

// SAFETY: a page is shared memory whose header is only changed through atomics (the other
// header fields are written once, before the page is published), and slot bytes are written
// only by the allocator that owns the slot, before the slot is published.
unsafe impl Send for PagePtr {}
// SAFETY: as above.
unsafe impl Sync for PagePtr {}

impl PagePtr {
    /// Allocates and initializes an empty page for `class`, owned by the pool (one reference).
    /// The caller has charged `PAGE_BYTES` to `account`.
    pub(crate) fn create(class: usize, account: &Arc<MemoryAccount>) -> PagePtr {
        let memory = arena::allocate(page_layout());
        let slot_bytes = CLASS_SLOT_BYTES[class];
        let slot_count = (PAGE_BYTES - SLOTS_OFFSET) / slot_bytes;
        debug_assert!(slot_count <= BITMAP_WORDS * 64);
        let free_bits = std::array::from_fn(|word| {
            let first = word * 64;
            let bits = slot_count.saturating_sub(first).min(64);
            AtomicU64::new(if bits == 64 {
                u64::MAX
            } else {
                (1u64 << bits) - 1
            })
        });
        let header = PageHeader {
            refs: AtomicUsize::new(1),
            evacuating: AtomicBool::new(false),
            class,
            slot_bytes,
            slot_count,
            account: Arc::into_raw(Arc::clone(account)),
            search_word: AtomicUsize::new(0),
            free_bits,
        };
        // SAFETY: `memory` is a fresh allocation of PAGE_BYTES aligned to PAGE_BYTES, large
        // and aligned enough for the header at its start.
        unsafe { memory.cast::<PageHeader>().as_ptr().write(header) };
        account.pages.fetch_add(1, Ordering::Relaxed);
        PagePtr(memory)
    }

    /// The page holding `slot` (any pointer into a slot of a live page).
    pub(crate) fn of_slot(slot: NonNull<u8>) -> PagePtr {
        let base = slot.as_ptr() as usize & !(PAGE_BYTES - 1);
        let page = PagePtr(slot.with_addr(std::num::NonZeroUsize::new(base).expect("non-null")));
        debug_assert!(slot.as_ptr() as usize >= base + SLOTS_OFFSET);
        page
    }

    fn header(&self) -> &PageHeader {
        // SAFETY: the page stays allocated while a reference to it is held, and every caller
        // holds one (the pool's, or the slot it works on); the header was initialized before
        // the page was published.
        unsafe { self.0.cast::<PageHeader>().as_ref() }
    }

    /// The store's account (alive while the page is: the page holds a strong count).
    pub(crate) fn account(&self) -> &MemoryAccount {
        // SAFETY: the page owns a strong count of the account until it is deallocated, and
        // the caller's reference keeps the page allocated for the borrow.
        unsafe { &*self.header().account }
    }

    /// The size class of the page's slots.
    pub(crate) fn class(&self) -> usize {
        self.header().class
    }

    pub(crate) fn slot_count(&self) -> usize {
        self.header().slot_count
    }

    /// Slots in use (meaningful while the pool owns the page).
    pub(crate) fn used_slots(&self) -> usize {
        self.header().refs.load(Ordering::Acquire).saturating_sub(1)
    }

    pub(crate) fn is_evacuating(&self) -> bool {
        self.header().evacuating.load(Ordering::Acquire)
    }

    pub(crate) fn set_evacuating(&self, evacuating: bool) {
        self.header()
            .evacuating
            .store(evacuating, Ordering::Release);
    }

    /// Takes a free slot. Only the pool's allocator calls this, holding the class lock, so
    /// no other thread clears bits meanwhile.
    pub(crate) fn take_slot(&self) -> Option<NonNull<u8>> {
        let header = self.header();
        let words = header.slot_count.div_ceil(64);
        // From the word of the last take to the end, then the words before it (frees set
        // bits anywhere), so every word is looked at once.
        let start = header.search_word.load(Ordering::Relaxed).min(words);
        for word_index in (start..words).chain(0..start) {
            let word = &header.free_bits[word_index];
            let bits = word.load(Ordering::Acquire);
            if bits == 0 {
                continue;
            }
            header.search_word.store(word_index, Ordering::Relaxed);
            let bit = bits.trailing_zeros() as usize;
            // Add the slot's reference first, so the page can never look empty while the
            // slot is handed out.
            header.refs.fetch_add(1, Ordering::AcqRel);
            let before = word.fetch_and(!(1u64 << bit), Ordering::AcqRel);
            debug_assert!(
                before & (1u64 << bit) != 0,
                "only the allocator clears bits"
            );
            let index = word_index * 64 + bit;
            debug_assert!(index < header.slot_count);
            let offset = SLOTS_OFFSET + index * header.slot_bytes;
            // SAFETY: `offset + slot_bytes <= PAGE_BYTES` since `index < slot_count`.
            return Some(unsafe { self.0.add(offset) });
        }
        None
    }

    /// Takes every free slot of one bitmap word (a run of up to 64 slots for a transaction's
    /// `SlotReserve`): returns the word's index and the taken bits, adding one reference per
    /// slot. Only the pool's allocator calls this, holding the class lock.
    pub(crate) fn take_word(&self) -> Option<(usize, u64)> {
        let header = self.header();
        let words = header.slot_count.div_ceil(64);
        let start = header.search_word.load(Ordering::Relaxed).min(words);
        for word_index in (start..words).chain(0..start) {
            let word = &header.free_bits[word_index];
            let bits = word.load(Ordering::Acquire);
            if bits == 0 {
                continue;
            }
            header.search_word.store(word_index, Ordering::Relaxed);
            // References first, as in `take_slot`. Frees only set bits (of other slots), so
            // clearing exactly `bits` takes exactly the slots counted.
            header
                .refs
                .fetch_add(bits.count_ones() as usize, Ordering::AcqRel);
            let before = word.fetch_and(!bits, Ordering::AcqRel);
            debug_assert_eq!(before & bits, bits, "only the allocator clears bits");
            return Some((word_index, bits));
        }
        None
    }

    /// The address of slot `bit` of bitmap word `word` (a slot taken with `take_word`).
    #[inline]
    pub(crate) fn slot_at(&self, word: usize, bit: u32) -> NonNull<u8> {
        let header = self.header();
        let index = word * 64 + bit as usize;
        debug_assert!(index < header.slot_count);
        let offset = SLOTS_OFFSET + index * header.slot_bytes;
        // SAFETY: `offset + slot_bytes <= PAGE_BYTES` since `index < slot_count`.
        unsafe { self.0.add(offset) }
    }

    /// Gives back slots taken with `take_word` and never used, or freed slots of one word
    /// batched by `ReleaseTally`: sets their bits and drops their references (deallocating
    /// the page if those were the last). Lock-free.
    ///
    /// # Safety
    /// `bits` are slots of word `word` the caller owns (taken with `take_word` and never
    /// handed out since, or freed slots nothing reads any more), each given back once; the
    /// caller does not use the page afterwards.
    pub(crate) unsafe fn return_slots(self, word: usize, bits: u64) {
        if bits == 0 {
            return;
        }
        let header = self.header();
        let count = bits.count_ones() as usize;
        // SAFETY: the page holds a strong count of the account until it is deallocated, and
        // the slots' references keep the page alive here.
        let account = unsafe { &*header.account };
        account.class_used_slots[header.class].fetch_sub(count as u64, Ordering::Relaxed);
        // SAFETY: by the caller's contract.
        unsafe { self.return_slots_uncounted(word, bits) };
    }

    /// `return_slots` with the class's used-slot count left to the caller (`ReleaseTally`
    /// subtracts a batch's at once).
    ///
    /// # Safety
    /// As `return_slots`'s.
    pub(crate) unsafe fn return_slots_uncounted(self, word: usize, bits: u64) {
        if bits == 0 {
            return;
        }
        let header = self.header();
        let count = bits.count_ones() as usize;
        // SAFETY: as in `return_slots`.
        let account = unsafe { &*header.account };
        let before = header.free_bits[word].fetch_or(bits, Ordering::AcqRel);
        debug_assert_eq!(before & bits, 0, "slot given back twice");
        // SAFETY: the run's references are the caller's, given back once.
        unsafe { self.drop_slot_references(count, account) };
    }

    /// Where `slot` lies in its page: the page, the bitmap word and the slot's bit in it, for
    /// a free batched with the other slots of its word (`ReleaseTally::free_slot`, which
    /// gives them back with `return_slots`). Poisons the slot in debug builds, as
    /// `free_slot_counting` does.
    ///
    /// # Safety
    /// As `free_slot`'s: the slot is freed once (through `return_slots`), and no thread reads
    /// it any more.
    #[inline]
    pub(crate) unsafe fn slot_bit(slot: NonNull<u8>) -> (PagePtr, usize, u64) {
        let page = PagePtr::of_slot(slot);
        let header = page.header();
        let offset = slot.as_ptr() as usize - page.0.as_ptr() as usize - SLOTS_OFFSET;
        debug_assert_eq!(offset % header.slot_bytes, 0);
        let index = offset / header.slot_bytes;
        debug_assert!(index < header.slot_count);
        if cfg!(debug_assertions) {
            // SAFETY: the slot is the caller's (the contract) and `slot_bytes` long.
            unsafe { std::ptr::write_bytes(slot.as_ptr(), FREED_SLOT_POISON, header.slot_bytes) };
        }
        (page, index / 64, 1u64 << (index % 64))
    }

    /// Frees a slot: sets its bit and drops its reference (deallocating the page if that
    /// was the last one). Lock-free.
    ///
    /// # Safety
    /// `slot` was returned by `take_slot` and is freed once; no thread reads it any more.
    pub(crate) unsafe fn free_slot(slot: NonNull<u8>) {
        // SAFETY: by the caller's contract.
        unsafe {
            PagePtr::free_slot_counting(slot, |account, class| {
                account.class_used_slots[class].fetch_sub(1, Ordering::Relaxed);
            })
        }
    }

    /// `free_slot`, with the class's used-slot count left to `count_free` (given the page's
    /// account and the slot's class while the page is still held).
    ///
    /// # Safety
    /// As `free_slot`'s.
    #[inline(always)]
    pub(crate) unsafe fn free_slot_counting(
        slot: NonNull<u8>,
        count_free: impl FnOnce(&MemoryAccount, usize),
    ) {
        let page = PagePtr::of_slot(slot);
        let header = page.header();
        let offset = slot.as_ptr() as usize - page.0.as_ptr() as usize - SLOTS_OFFSET;
        debug_assert_eq!(offset % header.slot_bytes, 0);
        let index = offset / header.slot_bytes;
        // SAFETY: the page holds a strong count of the account until it is deallocated, and
        // our slot's reference keeps the page alive here.
        let account = unsafe { &*header.account };
        if cfg!(debug_assertions) {
            // Poison freed slots in debug builds, so a reader of a freed slot sees the damage.
            // SAFETY: the slot is ours (the caller's contract) and `slot_bytes` long.
            unsafe { std::ptr::write_bytes(slot.as_ptr(), FREED_SLOT_POISON, header.slot_bytes) };
        }
        count_free(account, header.class);
        let before = header.free_bits[index / 64].fetch_or(1u64 << (index % 64), Ordering::AcqRel);
        debug_assert!(before & (1u64 << (index % 64)) == 0, "slot freed twice");
        // SAFETY: we drop the slot's own reference, and touch the page no more.
        unsafe { page.drop_slot_references(1, account) };
    }

    /// Drops `count` slot references of the caller's; the last one deallocates the page, and
    /// leaving the pool's reference alone marks the page emptied on `account`, after the
    /// drop, so the next `SlabPool::release_freed_pages` finds it empty and releases it.
    ///
    /// # Safety
    /// The caller owns `count` slot references and does not use the page afterwards;
    /// `account` is the page's, and the caller keeps it alive (every free runs under the
    /// store that owns the pool, which holds the account, or in an epoch-deferred call that
    /// holds an `Arc` of it), so marking it after the page may be gone is sound.
    unsafe fn drop_slot_references(self, count: usize, account: &MemoryAccount) {
        let before = self.header().refs.fetch_sub(count, Ordering::AcqRel);
        if before == count {
            // SAFETY: those were the last references.
            unsafe { self.deallocate() };
        } else if before == count + 1 {
            account.note_page_emptied();
        }
    }

    /// Releases an empty page the pool owns. Returns false (and keeps the page) if a slot is
    /// in use. Only the pool calls this, holding the class lock (so no slot is being taken).
    pub(crate) fn try_release(self) -> bool {
        let released = self
            .header()
            .refs
            .compare_exchange(1, 0, Ordering::AcqRel, Ordering::Acquire)
            .is_ok();
        if released {
            // SAFETY: the count went from the pool's reference alone to zero: no slot is in
            // use and the pool forgets the page, so nobody can reach it.
            unsafe { self.deallocate() };
        }
        released
    }

    /// Drops one reference; the last one deallocates the page.
    ///
    /// # Safety
    /// The caller owns one reference and does not use the page afterwards.
    pub(crate) unsafe fn drop_reference(self) {
        if self.header().refs.fetch_sub(1, Ordering::AcqRel) == 1 {
            // SAFETY: that was the last reference.
            unsafe { self.deallocate() };
        }
    }

    /// # Safety
    /// No reference to the page remains.
    unsafe fn deallocate(self) {
        let account_ptr = self.header().account;
        // SAFETY: the page owns one strong count of the account (taken in `create`).
        let account = unsafe { Arc::from_raw(account_ptr) };
        account.pages.fetch_sub(1, Ordering::Relaxed);
        account.pages_released.fetch_add(1, Ordering::Relaxed);
        account.release(PAGE_BYTES as u64);
        // SAFETY: allocated in `create` with this layout; no reference remains.
        unsafe { arena::deallocate(self.0, page_layout()) };
    }
}
