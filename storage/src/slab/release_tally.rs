//! `ReleaseTally`: the shared-counter releases of many slab payloads freed together (a
//! collection's retired versions, `SpareHeaders::recycle`), added up and applied to their
//! account once. Freeing a payload alone costs three atomic subtractions on counters every
//! writer of the store also changes (its version, its header's bytes, its class's used
//! slots); freed in a batch, each is one subtraction per batch. The slots themselves go back
//! to their pages a bitmap word at a time: the slots freed one after another that share a
//! word (the payloads of rows written together usually do) are held as one run and given
//! back with one free-bit operation and one page-reference subtraction, when a slot of
//! another word comes or the tally is applied.

use std::ptr::NonNull;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use super::account::MemoryAccount;
use super::page::PagePtr;
use super::CLASS_COUNT;

/// Releases owed to one account, applied by `apply` (or on drop).
pub(crate) struct ReleaseTally {
    /// The account owed (a strong count, so it outlives the pages freed meanwhile).
    account: Option<Arc<MemoryAccount>>,
    /// Slab payloads freed: each a live version and a version header's bytes.
    versions: u64,
    /// Slots freed, per size class.
    class_slots: [u64; CLASS_COUNT],
    /// Freed slots of one bitmap word of one page not given back to it yet (their page
    /// references are held, so the page stays allocated).
    run: Option<FreedRun>,
}

/// Freed slots of one bitmap word of one page (a set bit per slot).
struct FreedRun {
    page: PagePtr,
    word: usize,
    bits: u64,
}

impl ReleaseTally {
    pub(crate) fn new() -> ReleaseTally {
        ReleaseTally {
            account: None,
            versions: 0,
            class_slots: [0; CLASS_COUNT],
            run: None,
        }
    }

    /// Counts the release of a slab payload of `class` owed to `account` (the slot's page's:
    /// alive here, as the caller still holds the slot's page reference).
    #[inline]
    pub(crate) fn add_payload(&mut self, account: &MemoryAccount, class: usize) {
        let owed_here = self
            .account
            .as_ref()
            .is_some_and(|owed| std::ptr::eq(Arc::as_ptr(owed), account));
        if !owed_here {
            self.switch_to(account);
        }
        self.versions += 1;
        self.class_slots[class] += 1;
    }

    /// Frees a slab payload's slot: counts its releases as `add_payload` does and gives the
    /// slot back to its page with the other slots of its bitmap word freed next to it.
    ///
    /// # Safety
    /// `slot` is a slab payload's slot that nothing reads any more, freed once; its page
    /// reference is handed to the tally.
    #[inline]
    pub(crate) unsafe fn free_slot(&mut self, slot: NonNull<u8>) {
        // SAFETY: by the caller's contract.
        let (page, word, bit) = unsafe { PagePtr::slot_bit(slot) };
        // The page is alive: the slot's reference is still held.
        self.add_payload(page.account(), page.class());
        match &mut self.run {
            Some(run) if run.page == page && run.word == word => {
                debug_assert_eq!(run.bits & bit, 0, "slot freed twice");
                run.bits |= bit;
            }
            _ => {
                self.return_run();
                self.run = Some(FreedRun {
                    page,
                    word,
                    bits: bit,
                });
            }
        }
    }

    /// Gives the held run of freed slots back to its page.
    fn return_run(&mut self) {
        if let Some(run) = self.run.take() {
            // SAFETY: the run's slots were freed through `free_slot` (nothing reads them),
            // each once, and the run holds their page references, given back here once.
            unsafe { run.page.return_slots_uncounted(run.word, run.bits) };
        }
    }

    /// Applies what is owed to the current account and makes `account` the one owed.
    #[cold]
    #[inline(never)]
    fn switch_to(&mut self, account: &MemoryAccount) {
        self.apply();
        let raw: *const MemoryAccount = account;
        // SAFETY: every account a page refers to is held by an `Arc` (the page owns a strong
        // count, taken by `Arc::into_raw` in `PagePtr::create`), and the caller's page keeps
        // that count alive here; one more is taken for the tally and dropped with it.
        self.account = Some(unsafe {
            Arc::increment_strong_count(raw);
            Arc::from_raw(raw)
        });
    }

    /// Applies every release counted so far.
    pub(crate) fn apply(&mut self) {
        self.return_run();
        let Some(account) = &self.account else {
            return;
        };
        if self.versions > 0 {
            account.versions.fetch_sub(self.versions, Ordering::Relaxed);
            account.release(self.versions * super::payload::VERSION_HEADER_BYTES);
            self.versions = 0;
        }
        for (class, count) in self.class_slots.iter_mut().enumerate() {
            if *count > 0 {
                account.class_used_slots[class].fetch_sub(*count, Ordering::Relaxed);
                *count = 0;
            }
        }
    }
}

impl Drop for ReleaseTally {
    fn drop(&mut self) {
        self.apply();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::slab::{Payload, SlabPool, SlotReserve};

    /// Payloads of two stores' pools, of several classes, freed through one tally in
    /// interleaved order: each account ends exactly as if every payload had been dropped
    /// alone, and nothing is released before `apply`.
    #[test]
    fn tallied_frees_release_exactly_what_drops_would_to_each_account() {
        let pools = [
            SlabPool::new(Arc::new(MemoryAccount::new())),
            SlabPool::new(Arc::new(MemoryAccount::new())),
        ];
        let mut reserves = [SlotReserve::default(), SlotReserve::default()];
        let mut payloads = Vec::new();
        for i in 0..300usize {
            let which = i % 2;
            let bytes = vec![i as u8; 8 + i % 90];
            let payload = Payload::new_reserved(&pools[which], &mut reserves[which], &bytes, 0);
            payloads.push(payload.unwrap());
        }
        for reserve in &mut reserves {
            reserve.give_back();
        }
        let before: Vec<_> = pools.iter().map(|pool| pool.account().stats()).collect();
        assert_eq!(before[0].versions + before[1].versions, 300);
        let mut tally = ReleaseTally::new();
        for payload in &mut payloads {
            // SAFETY: nothing reads the payloads; each is freed once (then dropped empty).
            unsafe { payload.free_tallied(&mut tally) };
        }
        drop(payloads);
        // The slots are back in their pages; the counters wait for the tally.
        let pending = pools[1].account().stats();
        assert!(pending.versions > 0 && pending.slab_bytes_used > 0);
        tally.apply();
        for pool in &pools {
            let stats = pool.account().stats();
            assert_eq!((stats.versions, stats.slab_bytes_used), (0, 0));
            pool.release_empty_pages();
            assert_eq!(
                pool.account().used_bytes(),
                0,
                "every charge was released once"
            );
        }
    }

    /// Payloads of one class, slots of several pages and bitmap words, freed through one
    /// tally in an order that starts, breaks and resumes runs of one word (each block of
    /// eight backwards, every third block skipped and freed after): nothing is left charged
    /// and every page comes back empty. Fails if a run loses a slot (its page keeps a
    /// reference) or if `apply` leaves a run held; a slot given back twice fails the debug
    /// check of `return_slots_uncounted`.
    #[test]
    fn slots_freed_in_runs_of_one_word_all_come_back_once() {
        let pool = SlabPool::new(Arc::new(MemoryAccount::new()));
        let mut reserve = SlotReserve::default();
        let mut payloads: Vec<Payload> = (0..1500)
            .map(|i| Payload::new_reserved(&pool, &mut reserve, &[i as u8; 24], 0).unwrap())
            .collect();
        reserve.give_back();
        let mut order: Vec<usize> = Vec::new();
        let blocks: Vec<Vec<usize>> = (0..1500)
            .collect::<Vec<_>>()
            .chunks(8)
            .map(<[usize]>::to_vec)
            .collect();
        for (at, block) in blocks.iter().enumerate() {
            if at % 3 != 2 {
                order.extend(block.iter().rev());
            }
        }
        for block in blocks.iter().skip(2).step_by(3) {
            order.extend(block);
        }
        assert_eq!(order.len(), 1500);
        let mut tally = ReleaseTally::new();
        for at in order {
            // SAFETY: nothing reads the payloads; each is freed once (then dropped empty).
            unsafe { payloads[at].free_tallied(&mut tally) };
        }
        tally.apply();
        drop(payloads);
        let stats = pool.account().stats();
        assert_eq!((stats.versions, stats.slab_bytes_used), (0, 0));
        pool.release_empty_pages();
        assert_eq!(pool.account().used_bytes(), 0);
    }
}
