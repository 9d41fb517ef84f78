//! `ReleaseTally`: the shared-counter releases of many slab payloads freed together (a
//! collection's retired versions, `SpareHeaders::recycle`), added up and applied to their
//! account once. Freeing a payload alone costs three atomic subtractions on counters every
//! writer of the store also changes (its version, its header's bytes, its class's used
//! slots); freed in a batch, each is one subtraction per batch. The slot itself is still
//! given back to its page at once (its free bit and page reference).

use std::sync::atomic::Ordering;
use std::sync::Arc;

use super::account::MemoryAccount;
use super::CLASS_COUNT;

/// Releases owed to one account, applied by `apply` (or on drop).
pub(crate) struct ReleaseTally {
    /// The account owed (a strong count, so it outlives the pages freed meanwhile).
    account: Option<Arc<MemoryAccount>>,
    /// Slab payloads freed: each a live version and a version header's bytes.
    versions: u64,
    /// Slots freed, per size class.
    class_slots: [u64; CLASS_COUNT],
}

impl ReleaseTally {
    pub(crate) fn new() -> ReleaseTally {
        ReleaseTally {
            account: None,
            versions: 0,
            class_slots: [0; CLASS_COUNT],
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
}
