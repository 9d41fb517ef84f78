//! A slot's head: the newest link of a row's version chain, in one atomic word. The word is
//! empty (zero), a pointer to a `Version` (stamps, the older version, the payload), or a
//! FROZEN payload: the bare encoded row of a version every present and future snapshot sees.
//!
//! FREEZING. Once a row's only version began at or below the GC watermark and nobody ended
//! it, its stamps say nothing any reader needs: the collector (`gc.rs`) swaps the head for the
//! version's payload and retires the header. A frozen row costs no header memory, and a read
//! goes slot -> payload without the header's cache miss or the visibility test. A frozen
//! link is only ever a head (a version's `older` is always a version), and it is visible to
//! every snapshot, as if it had begun at `FROZEN_BEGIN` and never ended.
//!
//! THAWING. A writer that claims a frozen row first puts a header back (`Transaction::claim`):
//! a version stamped `FROZEN_BEGIN`..`END_INFINITY` that takes the payload over, swapped in
//! with a CAS; then it claims that version as any other.
//!
//! WORD. A version pointer is 8-aligned, so bit 0 tags a frozen payload, whose word holds
//! the slot's address (below 2^48, 4-aligned) and the payload's length in the top 16 bits.
//! Only payloads in slab slots (at most `SLOT_BYTES_MAX` bytes) are frozen. The word
//! `RETIRED_WORD` (2) marks a primary-key table's slot whose whole chain the collector
//! retired: it holds no row, like an empty head, but no insert may link onto it (the key's
//! index entry is being removed and the slot goes back to the table for reuse, see
//! `slot_reuse.rs`).
//!
//! OWNERSHIP. A frozen head owns its payload's slot exactly as the header did: the slot is
//! freed when the payload moves (compaction: a CAS of the head, then a free after the
//! epoch), when a thawed header that took it over is destroyed, or when the table drops.

use std::marker::PhantomData;
use std::ptr::NonNull;
use std::sync::atomic::{AtomicUsize, Ordering};

use crossbeam_epoch::{Guard, Shared};

use super::version::Version;
use crate::slab::SLOT_BYTES_MAX;

/// The begin stamp a frozen row is read with (and a thawed header gets): before every
/// snapshot.
pub(crate) const FROZEN_BEGIN: u64 = 0;

const FROZEN_TAG: usize = 1;
/// The head of a retired slot (see the module comment): neither 8-aligned (a version) nor
/// tagged frozen.
const RETIRED_WORD: usize = 2;
const FROZEN_LEN_SHIFT: u32 = 48;
const FROZEN_ADDRESS_MASK: usize = (1 << FROZEN_LEN_SHIFT) - 1;

const _: () = assert!(SLOT_BYTES_MAX < 1 << (usize::BITS - FROZEN_LEN_SHIFT));
const _: () = assert!(std::mem::align_of::<Version>() > FROZEN_TAG);

/// The head of a slot's version chain.
#[derive(Default)]
pub(crate) struct Head(AtomicUsize);

/// A head word loaded (or made) while the guard `'g` is pinned.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) struct HeadWord<'g> {
    word: usize,
    _guard: PhantomData<&'g Guard>,
}

/// A frozen payload's slot and length.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) struct FrozenSlot {
    pub(crate) memory: NonNull<u8>,
    pub(crate) len: usize,
}

impl FrozenSlot {
    /// Bytes of pool memory the slot takes (its size class).
    pub(crate) fn held_bytes(&self) -> u64 {
        crate::slab::class_of(self.len)
            .map(|class| crate::slab::CLASS_SLOT_BYTES[class] as u64)
            .unwrap_or(0)
    }
}

impl Head {
    #[inline]
    pub(crate) fn load<'g>(&self, order: Ordering, _guard: &'g Guard) -> HeadWord<'g> {
        HeadWord::from_word(self.0.load(order))
    }

    #[inline]
    pub(crate) fn store(&self, head: HeadWord<'_>, order: Ordering) {
        self.0.store(head.word, order);
    }

    /// Swaps `current` for `new` if the head still holds `current`; else returns what it
    /// holds.
    #[inline]
    pub(crate) fn compare_exchange<'g>(
        &self,
        current: HeadWord<'g>,
        new: HeadWord<'g>,
        success: Ordering,
        failure: Ordering,
    ) -> Result<HeadWord<'g>, HeadWord<'g>> {
        self.0
            .compare_exchange(current.word, new.word, success, failure)
            .map(HeadWord::from_word)
            .map_err(HeadWord::from_word)
    }
}

impl<'g> HeadWord<'g> {
    fn from_word(word: usize) -> HeadWord<'g> {
        HeadWord {
            word,
            _guard: PhantomData,
        }
    }

    pub(crate) fn null() -> HeadWord<'g> {
        HeadWord::from_word(0)
    }

    /// The head of a retired slot.
    pub(crate) fn retired() -> HeadWord<'g> {
        HeadWord::from_word(RETIRED_WORD)
    }

    /// The word of `version` (empty for a null pointer).
    pub(crate) fn from_version(version: Shared<'g, Version>) -> HeadWord<'g> {
        let address = version.as_raw() as usize;
        debug_assert_eq!(address & FROZEN_TAG, 0, "versions are aligned");
        HeadWord::from_word(address)
    }

    /// The word of a frozen payload in `slot`, or `None` when it cannot be one (too long, or
    /// an address past 48 bits).
    pub(crate) fn frozen(slot: FrozenSlot) -> Option<HeadWord<'g>> {
        let address = slot.memory.as_ptr() as usize;
        let fits = slot.len <= SLOT_BYTES_MAX
            && address & FROZEN_ADDRESS_MASK == address
            && address & (FROZEN_TAG | RETIRED_WORD) == 0;
        fits.then(|| HeadWord::from_word(address | (slot.len << FROZEN_LEN_SHIFT) | FROZEN_TAG))
    }

    /// Whether the head holds no row: empty, or retired.
    #[inline]
    pub(crate) fn is_null(self) -> bool {
        self.word | RETIRED_WORD == RETIRED_WORD
    }

    /// Whether the head is all zero bits: empty and not retired (what a slot's memory
    /// handed back to the system reads, `SlotArray::release_empty_runs`).
    #[inline]
    pub(crate) fn is_zero(self) -> bool {
        self.word == 0
    }

    /// Whether the slot is retired (see the module comment): an insert must not link onto it.
    #[inline]
    pub(crate) fn is_retired(self) -> bool {
        self.word == RETIRED_WORD
    }

    #[inline]
    pub(crate) fn is_frozen(self) -> bool {
        self.word & FROZEN_TAG != 0
    }

    /// The head version, if the head is one (not empty, not frozen).
    #[inline]
    pub(crate) fn version(self) -> Option<Shared<'g, Version>> {
        (!self.is_null() && !self.is_frozen()).then(|| Shared::from(self.word as *const Version))
    }

    /// The head version, borrowed for the guard's life.
    #[inline]
    pub(crate) fn version_ref(self) -> Option<&'g Version> {
        if self.is_null() || self.is_frozen() {
            return None;
        }
        // SAFETY: the word was loaded from a slot (or made from a version) under the pinned
        // guard 'g; versions are destroyed only through the epoch after being unlinked from
        // every slot, so the version outlives the guard's borrow.
        Some(unsafe { &*(self.word as *const Version) })
    }

    /// The frozen payload's slot, if the head is one.
    #[inline]
    pub(crate) fn frozen_slot(self) -> Option<FrozenSlot> {
        if !self.is_frozen() {
            return None;
        }
        let memory = (self.word & FROZEN_ADDRESS_MASK & !(FROZEN_TAG | RETIRED_WORD)) as *mut u8;
        Some(FrozenSlot {
            memory: NonNull::new(memory)?,
            len: self.word >> FROZEN_LEN_SHIFT,
        })
    }

    /// The frozen payload's bytes, if the head is one.
    #[inline]
    pub(crate) fn frozen_bytes(self) -> Option<&'g [u8]> {
        let slot = self.frozen_slot()?;
        // SAFETY: a frozen slot holds `len` initialized bytes that never change, and it is
        // freed only through the epoch after the head stopped pointing at it (compaction,
        // thawing then destroying the header) or when the table drops; the guard 'g was
        // pinned when the word was loaded, so the bytes outlive its borrow.
        Some(unsafe { std::slice::from_raw_parts(slot.memory.as_ptr(), slot.len) })
    }

    /// The address the word points at (a version, a frozen payload, or null), for prefetch
    /// hints.
    #[inline]
    pub(crate) fn address(self) -> *const u8 {
        (self.word & FROZEN_ADDRESS_MASK & !(FROZEN_TAG | RETIRED_WORD)) as *const u8
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_frozen_word_round_trips_its_slot_and_length() {
        let mut memory = [0u64; 4];
        let slot = FrozenSlot {
            memory: NonNull::new(memory.as_mut_ptr().cast::<u8>()).unwrap(),
            len: 29,
        };
        let word = HeadWord::frozen(slot).expect("a stack address fits 48 bits");
        assert!(word.is_frozen() && !word.is_null());
        assert_eq!(word.frozen_slot(), Some(slot));
        assert!(word.version().is_none() && word.version_ref().is_none());
        assert_eq!(word.frozen_bytes().unwrap().len(), 29);
        let longest = FrozenSlot {
            len: SLOT_BYTES_MAX,
            ..slot
        };
        assert_eq!(
            HeadWord::frozen(longest).unwrap().frozen_slot(),
            Some(longest)
        );
        let too_long = FrozenSlot {
            len: SLOT_BYTES_MAX + 1,
            ..slot
        };
        assert!(HeadWord::frozen(too_long).is_none());
    }

    #[test]
    fn slots_of_every_class_can_be_frozen_heads() {
        // Slot sizes are multiples of 4 (not 8), so slot addresses are only 4-aligned: a
        // frozen word must still take every slot of every class (its tag is bit 0).
        use crate::slab::{MemoryAccount, Payload, SlabPool, CLASS_SLOT_BYTES};
        let pool = SlabPool::new(std::sync::Arc::new(MemoryAccount::new()));
        for &slot_bytes in CLASS_SLOT_BYTES.iter() {
            let len = slot_bytes - 1;
            let payloads: Vec<Payload> = (0..3u8)
                .map(|i| Payload::new(&pool, &vec![i; len], 0).unwrap())
                .collect();
            for (i, payload) in (0u8..).zip(&payloads) {
                let slot = payload.slot().expect("a slab payload");
                assert_eq!(slot.memory.as_ptr() as usize % 4, 0, "{slot_bytes} B slots");
                let word = HeadWord::frozen(slot).expect("a frozen word");
                assert_eq!(word.frozen_slot(), Some(slot));
                assert_eq!(word.frozen_bytes(), Some(&vec![i; len][..]));
            }
        }
    }

    #[test]
    fn null_and_version_words_are_not_frozen() {
        let retired = HeadWord::retired();
        assert!(retired.is_null() && retired.is_retired() && !retired.is_frozen());
        assert!(retired.version().is_none() && retired.version_ref().is_none());
        assert!(retired.frozen_slot().is_none() && retired.address().is_null());
        assert!(!HeadWord::null().is_retired());
        assert!(HeadWord::null().is_null());
        assert!(HeadWord::null().frozen_slot().is_none());
        assert!(HeadWord::null().version().is_none());
        let head = Head::default();
        let guard = crossbeam_epoch::pin();
        assert!(head.load(Ordering::Relaxed, &guard).is_null());
    }
}
