//! `SlotReserve`: slab slots a writing transaction takes from the pool a run at a time.
//!
//! Taking one slot from the pool costs the class lock and three atomic read-modify-writes
//! (page references, the page's free bits, the class's used-slot count). A transaction that
//! writes many rows instead takes every free slot of one bitmap word at once (up to 64, the
//! same four operations) and hands them out with no shared write at all. Its first slot
//! comes from the pool the ordinary way, so a one-row transaction reserves nothing.
//!
//! Version headers go the same way: charging one is two atomic additions on the store's
//! shared counters (the charged bytes and the live versions), so a transaction's headers
//! after its first are charged `HEADER_CREDITS_RUN` at a time (without a memory budget;
//! under one each is charged exactly, so no write fails for headers it never made). The
//! header a claimed frozen row gets back (`Payload::adopt_slot`) is charged the same way from
//! credits of its own, bytes only (the frozen row counts as a live version already).
//!
//! Reserved slots count as used (`MemoryStats::slab_bytes_used`, and the page stays held),
//! and reserved headers as versions and their bytes, until the transaction hands them out or
//! gives the rest back when it ends. A run whose
//! page compaction started evacuating is given back at its next use, so new payloads keep
//! out of evacuating pages (one written between that mark and the check only leaves its page
//! unreleased by that run, as a payload the compaction missed would).

use std::ptr::NonNull;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use crate::error::StorageResult;

use super::account::MemoryAccount;
use super::page::PagePtr;
use super::payload::VERSION_HEADER_BYTES;
use super::pool::SlabPool;

/// Slots of one class reserved from one bitmap word of one page.
struct SlotRun {
    page: PagePtr,
    class: usize,
    word: usize,
    /// The reserved slots not handed out yet (a set bit per slot); the run holds one page
    /// reference for each.
    bits: u64,
}

/// A transaction's reserved slots: at most one run per size class.
#[derive(Default)]
pub(crate) struct SlotReserve {
    runs: Vec<SlotRun>,
    /// Whether the first slot since the reserve was last emptied was taken (it comes from
    /// the pool, one at a time).
    took_first: bool,
    /// The account of the pool the runs came from.
    account: Option<Arc<MemoryAccount>>,
    /// Version headers charged to `account` (bytes and the live-version count) and not
    /// handed out yet.
    header_credits: u16,
    /// Whether a header was charged since the reserve was last emptied (the first is
    /// charged alone, as the first slot is taken alone).
    charged_first_header: bool,
    /// Headers of thawed frozen rows charged to `account` (bytes only) and not handed out.
    thaw_credits: u16,
    /// Whether a thawed row's header was charged since the reserve was last emptied.
    charged_first_thaw: bool,
}

/// Version headers charged at once when a transaction's reserve runs out of them.
const HEADER_CREDITS_RUN: u16 = 32;

/// Which kind of version header a reserve charges (`SlotReserve::charge_run`).
#[derive(Clone, Copy, PartialEq, Eq)]
enum HeaderCharge {
    /// A new version's header: bytes and one live version.
    NewVersion,
    /// The header a claimed frozen row gets back: bytes only (the row is a live version).
    Thawed,
}

impl SlotReserve {
    /// A free slot of `class` from `pool`: from this reserve's run of that class, or a new
    /// run (a new page, if one is needed, is charged like `SlabPool::alloc_slot`'s).
    #[inline]
    pub(crate) fn take(
        &mut self,
        pool: &SlabPool,
        class: usize,
        headroom_bytes: Option<u64>,
    ) -> StorageResult<NonNull<u8>> {
        // The hot case: the last run taken from is of this class and pool and has a slot
        // left.
        let same_pool = self.is_from(pool);
        if let Some(run) = self.runs.last_mut() {
            if same_pool && run.class == class && run.bits != 0 && !run.page.is_evacuating() {
                let bit = run.bits.trailing_zeros();
                run.bits &= run.bits - 1;
                return Ok(run.page.slot_at(run.word, bit));
            }
        }
        self.take_slow(pool, class, headroom_bytes)
    }

    /// `take` when the last run cannot give the slot: another class's run, a new run, the
    /// first slot of a transaction, or another pool.
    #[cold]
    #[inline(never)]
    fn take_slow(
        &mut self,
        pool: &SlabPool,
        class: usize,
        headroom_bytes: Option<u64>,
    ) -> StorageResult<NonNull<u8>> {
        if !self.is_from(pool) {
            self.give_back();
            self.account = Some(Arc::clone(pool.account()));
        }
        if self.runs.is_empty() && !self.took_first {
            // A transaction's first slot: a one-row transaction reserves nothing.
            self.took_first = true;
            return pool.alloc_slot(class, headroom_bytes);
        }
        let found = self.runs.iter().position(|run| run.class == class);
        if let Some(at) = found {
            let run = self.runs.remove(at);
            if run.bits != 0 && !run.page.is_evacuating() {
                // Still good: make it the last run, so the next take finds it first.
                self.runs.push(run);
                return Ok(self.take_from_last());
            }
            // SAFETY: the run's remaining bits are slots it reserved and never handed out;
            // it is dropped here, so they are given back once.
            unsafe { run.page.return_slots(run.word, run.bits) };
        }
        let (page, word, bits) = pool.reserve_slots(class, headroom_bytes)?;
        self.runs.push(SlotRun {
            page,
            class,
            word,
            bits,
        });
        Ok(self.take_from_last())
    }

    /// Charges a version header to `pool`'s account, as `MemoryAccount::charge_header` with
    /// `headroom_bytes` would, counting it as a live version too: from the reserve's credits,
    /// or (without a memory budget) a new run of them.
    #[inline]
    pub(crate) fn charge_header(
        &mut self,
        pool: &SlabPool,
        headroom_bytes: u64,
    ) -> StorageResult<()> {
        if self.header_credits > 0 && self.is_from(pool) {
            self.header_credits -= 1;
            return Ok(());
        }
        self.charge_header_slow(pool, headroom_bytes)
    }

    #[cold]
    #[inline(never)]
    fn charge_header_slow(&mut self, pool: &SlabPool, headroom_bytes: u64) -> StorageResult<()> {
        self.charge_run(pool, Some(headroom_bytes), HeaderCharge::NewVersion)
    }

    /// A header's charge when the reserve holds no credit of its kind: the first of the
    /// transaction (or every one under a memory budget) charged exactly, `charge_header`'s
    /// way; later ones a run of `HEADER_CREDITS_RUN`, one handed out, the rest kept as
    /// credits. A new version's header also counts a live version; a thawed row's does not.
    fn charge_run(
        &mut self,
        pool: &SlabPool,
        headroom_bytes: Option<u64>,
        kind: HeaderCharge,
    ) -> StorageResult<()> {
        if !self.is_from(pool) {
            self.give_back();
            self.account = Some(Arc::clone(pool.account()));
        }
        let account = pool.account();
        let (credits, charged_first) = match kind {
            HeaderCharge::NewVersion => (&mut self.header_credits, &mut self.charged_first_header),
            HeaderCharge::Thawed => (&mut self.thaw_credits, &mut self.charged_first_thaw),
        };
        let versions = |count: u64| {
            if kind == HeaderCharge::NewVersion {
                account.versions.fetch_add(count, Ordering::Relaxed);
            }
        };
        if !*charged_first || account.budget().is_some() {
            *charged_first = true;
            account.charge_header(headroom_bytes)?;
            versions(1);
            return Ok(());
        }
        let run = u64::from(HEADER_CREDITS_RUN);
        account.charge(run * VERSION_HEADER_BYTES);
        versions(run);
        *credits = HEADER_CREDITS_RUN - 1;
        Ok(())
    }

    /// Charges the version header a frozen row gets back when this transaction claims it
    /// (bytes only: the row is a live version already), as `MemoryAccount::charge_header`
    /// with `headroom_bytes` would: from the reserve's thaw credits, or (without a memory
    /// budget) a new run of them.
    #[inline]
    pub(crate) fn charge_thawed_header(
        &mut self,
        pool: &SlabPool,
        headroom_bytes: Option<u64>,
    ) -> StorageResult<()> {
        if self.thaw_credits > 0 && self.is_from(pool) {
            self.thaw_credits -= 1;
            return Ok(());
        }
        self.charge_thawed_header_slow(pool, headroom_bytes)
    }

    #[cold]
    #[inline(never)]
    fn charge_thawed_header_slow(
        &mut self,
        pool: &SlabPool,
        headroom_bytes: Option<u64>,
    ) -> StorageResult<()> {
        self.charge_run(pool, headroom_bytes, HeaderCharge::Thawed)
    }

    /// Takes back a header `charge_header` charged for a payload that was not made.
    pub(crate) fn refund_header(&mut self) {
        self.header_credits += 1;
    }

    /// Hands out a slot of the last run (which has one).
    fn take_from_last(&mut self) -> NonNull<u8> {
        let run = self.runs.last_mut().expect("a run was just pushed");
        debug_assert_ne!(run.bits, 0, "a reserved run has a slot");
        let bit = run.bits.trailing_zeros();
        run.bits &= run.bits - 1;
        run.page.slot_at(run.word, bit)
    }

    fn is_from(&self, pool: &SlabPool) -> bool {
        self.account
            .as_ref()
            .is_some_and(|account| Arc::ptr_eq(account, pool.account()))
    }

    /// Gives every reserved slot and header charge not handed out back (the transaction
    /// ended). Inline for the common end of a transaction that reserved nothing.
    #[inline]
    pub(crate) fn give_back(&mut self) {
        self.took_first = false;
        self.charged_first_header = false;
        self.charged_first_thaw = false;
        if !self.runs.is_empty() || self.header_credits > 0 || self.thaw_credits > 0 {
            self.give_back_reserved();
        }
    }

    #[cold]
    #[inline(never)]
    fn give_back_reserved(&mut self) {
        for run in self.runs.drain(..) {
            // SAFETY: the run's bits are slots it reserved and never handed out; the run is
            // dropped here, so they are given back once.
            unsafe { run.page.return_slots(run.word, run.bits) };
        }
        let credits = u64::from(std::mem::take(&mut self.header_credits));
        let thaws = u64::from(std::mem::take(&mut self.thaw_credits));
        if credits + thaws > 0 {
            let account = self.account.as_ref().expect("credits come from an account");
            account.release((credits + thaws) * VERSION_HEADER_BYTES);
            account.versions.fetch_sub(credits, Ordering::Relaxed);
        }
    }

    /// Version headers charged and not handed out.
    #[cfg(test)]
    pub(crate) fn header_credits(&self) -> u64 {
        u64::from(self.header_credits)
    }

    /// Slots reserved and not handed out.
    #[cfg(test)]
    pub(crate) fn reserved_slots(&self) -> u64 {
        self.runs
            .iter()
            .map(|run| u64::from(run.bits.count_ones()))
            .sum()
    }
}

impl Drop for SlotReserve {
    fn drop(&mut self) {
        self.give_back();
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;
    use std::sync::mpsc;

    use super::*;
    use crate::error::StorageErrorKind;
    use crate::slab::{class_of, Payload, CLASS_SLOT_BYTES, PAGE_BYTES};

    fn pool() -> SlabPool {
        SlabPool::new(Arc::new(MemoryAccount::new()))
    }

    fn slot_bytes(len: usize) -> u64 {
        CLASS_SLOT_BYTES[class_of(len).unwrap()] as u64
    }

    #[test]
    fn runs_hand_out_distinct_slots_and_give_the_rest_back() {
        let pool = pool();
        let account = Arc::clone(pool.account());
        let mut reserve = SlotReserve::default();
        let payloads: Vec<Payload> = (0..200u64)
            .map(|i| Payload::new_reserved(&pool, &mut reserve, &i.to_le_bytes(), 0).unwrap())
            .collect();
        let guard = crossbeam_epoch::pin();
        let addresses: HashSet<*const u8> = payloads.iter().map(Payload::as_ptr).collect();
        assert_eq!(addresses.len(), 200, "every payload has a slot of its own");
        for (i, payload) in payloads.iter().enumerate() {
            assert_eq!(payload.bytes(&guard), &(i as u64).to_le_bytes());
        }
        let reserved = reserve.reserved_slots();
        assert!(reserved < 64, "at most one run of a bitmap word is left");
        let stats = account.stats();
        assert_eq!(stats.slab_bytes_used, (200 + reserved) * 16);
        let credits = reserve.header_credits();
        assert!(
            credits < u64::from(HEADER_CREDITS_RUN),
            "at most one run of headers is left"
        );
        assert_eq!(
            stats.versions,
            200 + credits,
            "reserved headers count as versions"
        );
        reserve.give_back();
        assert_eq!((reserve.reserved_slots(), reserve.header_credits()), (0, 0));
        assert_eq!(account.stats().slab_bytes_used, 200 * 16);
        assert_eq!(account.stats().versions, 200);
        assert_eq!(
            account.stats().version_header_bytes,
            200 * VERSION_HEADER_BYTES
        );
        drop(payloads);
        assert_eq!(account.stats().slab_bytes_used, 0);
        assert_eq!(pool.release_empty_pages(), 1);
        assert_eq!(account.stats().used_bytes, 0);
    }

    #[test]
    fn a_run_in_an_evacuating_page_is_given_back() {
        let pool = pool();
        let account = Arc::clone(pool.account());
        let mut reserve = SlotReserve::default();
        let first = Payload::new_reserved(&pool, &mut reserve, &[1; 40], 0).unwrap();
        let second = Payload::new_reserved(&pool, &mut reserve, &[2; 40], 0).unwrap();
        assert!(
            reserve.reserved_slots() > 0,
            "the second slot came with a run"
        );
        let page = PagePtr::of_slot(NonNull::new(second.as_ptr().cast_mut()).unwrap());
        let compaction = pool.begin_compaction_of_every_page();
        let third = Payload::new_reserved(&pool, &mut reserve, &[3; 40], 0).unwrap();
        let third_page = PagePtr::of_slot(NonNull::new(third.as_ptr().cast_mut()).unwrap());
        assert_ne!(
            third_page, page,
            "no new payload goes into an evacuating page"
        );
        assert!(!third_page.is_evacuating());
        assert_eq!(page.used_slots(), 2, "the old run went back to its page");
        drop(compaction);
        reserve.give_back();
        assert_eq!(account.stats().slab_bytes_used, 3 * slot_bytes(40));
        drop((first, second, third));
        assert_eq!(pool.release_empty_pages(), 2);
        assert_eq!(account.stats().used_bytes, 0);
    }

    #[test]
    fn a_reserve_used_with_another_pool_gives_its_runs_back() {
        let (first_pool, second_pool) = (pool(), pool());
        let mut reserve = SlotReserve::default();
        let kept: Vec<Payload> = (0..3u8)
            .map(|i| Payload::new_reserved(&first_pool, &mut reserve, &[i; 20], 0).unwrap())
            .collect();
        assert!(reserve.reserved_slots() > 0);
        let other = Payload::new_reserved(&second_pool, &mut reserve, &[9; 20], 0).unwrap();
        assert_eq!(
            first_pool.account().stats().slab_bytes_used,
            3 * slot_bytes(20),
            "the first pool's run went back"
        );
        assert_eq!(second_pool.account().stats().versions, 1);
        assert_eq!(
            second_pool.account().stats().slab_bytes_used,
            slot_bytes(20)
        );
        drop((kept, other, reserve));
        assert_eq!(first_pool.account().stats().slab_bytes_used, 0);
        assert_eq!(second_pool.account().stats().slab_bytes_used, 0);
    }

    #[test]
    fn a_page_outlives_its_pool_until_its_run_is_given_back() {
        let pool = pool();
        let account = Arc::clone(pool.account());
        let mut reserve = SlotReserve::default();
        let payloads: Vec<Payload> = (0..3u8)
            .map(|i| Payload::new_reserved(&pool, &mut reserve, &[i; 20], 0).unwrap())
            .collect();
        drop(pool);
        drop(payloads);
        assert_eq!(
            account.stats().slab_pages,
            1,
            "the run still holds the page"
        );
        drop(reserve);
        let stats = account.stats();
        assert_eq!((stats.slab_pages, stats.used_bytes), (0, 0));
    }

    #[test]
    fn a_reserved_payload_past_the_budget_fails_and_charges_nothing() {
        let pool = pool();
        let account = Arc::clone(pool.account());
        account.set_budget(Some(PAGE_BYTES as u64 + 4096));
        let mut reserve = SlotReserve::default();
        let mut kept = Vec::new();
        let error = loop {
            match Payload::new_reserved(&pool, &mut reserve, &[7u8; 100], 0) {
                Ok(payload) => kept.push(payload),
                Err(error) => break error,
            }
        };
        assert_eq!(error.kind, StorageErrorKind::MemoryBudget);
        let stats = account.stats();
        assert_eq!(stats.slab_pages, 1, "the second page would pass the budget");
        assert_eq!(stats.versions, kept.len() as u64);
        assert!(stats.used_bytes <= PAGE_BYTES as u64 + 4096);
        reserve.give_back();
        assert_eq!(
            account.stats().slab_bytes_used,
            kept.len() as u64 * slot_bytes(100)
        );
    }

    /// Writers on several threads take payloads of three size classes through their own
    /// reserves, free some at once and hand some to a thread that frees them; every kept
    /// payload keeps its own bytes (no slot is handed out twice) and, once the reserves are
    /// given back, the account counts exactly the kept slots.
    #[test]
    fn many_threads_take_slots_through_reserves() {
        const WRITERS: u64 = 4;
        const PAYLOADS: u64 = 3000;
        let pool = Arc::new(pool());
        let (to_freer, freer_inbox) = mpsc::channel::<Payload>();
        let freer = std::thread::spawn(move || {
            let mut freed = 0u64;
            for payload in freer_inbox {
                drop(payload);
                freed += 1;
            }
            freed
        });
        let content = |writer: u64, i: u64| -> Vec<u8> {
            let len = [12usize, 50, 100][(i % 3) as usize];
            let mut bytes = vec![(writer * 31 + i) as u8; len];
            bytes[..8].copy_from_slice(&(writer << 32 | i).to_le_bytes());
            bytes
        };
        let writers: Vec<_> = (0..WRITERS)
            .map(|writer| {
                let pool = Arc::clone(&pool);
                let to_freer = to_freer.clone();
                std::thread::spawn(move || {
                    let mut reserve = SlotReserve::default();
                    let mut kept = Vec::new();
                    for i in 0..PAYLOADS {
                        let bytes = content(writer, i);
                        let payload =
                            Payload::new_reserved(&pool, &mut reserve, &bytes, 0).unwrap();
                        match i % 5 {
                            0 => drop(payload),
                            1 => to_freer.send(payload).unwrap(),
                            _ => kept.push((i, payload)),
                        }
                        if i % 700 == 0 {
                            reserve.give_back();
                        }
                    }
                    drop(reserve);
                    kept
                })
            })
            .collect();
        drop(to_freer);
        let kept: Vec<(u64, u64, Payload)> = writers
            .into_iter()
            .enumerate()
            .flat_map(|(writer, handle)| {
                let kept = handle.join().unwrap();
                kept.into_iter()
                    .map(move |(i, payload)| (writer as u64, i, payload))
            })
            .collect();
        assert_eq!(freer.join().unwrap(), WRITERS * PAYLOADS / 5);
        let guard = crossbeam_epoch::pin();
        let mut slot_total = 0;
        for (writer, i, payload) in &kept {
            assert_eq!(
                payload.bytes(&guard),
                &content(*writer, *i)[..],
                "{writer}/{i}"
            );
            slot_total += slot_bytes(payload.len());
        }
        drop(guard);
        let stats = pool.account().stats();
        assert_eq!(stats.versions, kept.len() as u64);
        assert_eq!(stats.slab_bytes_used, slot_total);
        drop(kept);
        assert_eq!(pool.account().stats().slab_bytes_used, 0);
        pool.release_empty_pages();
        let stats = pool.account().stats();
        assert_eq!((stats.slab_pages, stats.used_bytes), (0, 0));
    }
}
