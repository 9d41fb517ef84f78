//! Recycling the leaves an ordered-index tree (`ordered_tree.rs`) replaces. Every write
//! builds a new leaf and retires the old one through the epoch; once no reader can stand on
//! the old leaf, its node and key block come back here instead of going to the allocator,
//! and a later write builds into them. Leaves are 0.1 to 2.5 KiB, mostly past the
//! allocator's per-thread caches, so a malloc and a free of one cost hundreds of
//! instructions each and touch cold free lists; a pooled leaf is taken and given back under
//! an uncontended mutex, and is memory a write touched recently.
//!
//! A leaf's key block is allocated in steps of `STEP` bytes (`leaf_capacity`), so a leaf
//! that grew or shrank by one key usually finds a pooled one of its own size. (Never one
//! of another size: a leaf's capacity follows its bytes, so an insert never shrinks the
//! tree's charge and a removal never grows it.) Retired leaves come back in bursts (the
//! epoch frees a few bags of deferred frees at a time, hundreds of nodes), so the pool
//! keeps up to `POOLED_BYTES_MAX` of them, about what one such burst holds; the rest are
//! freed. Pooled leaves are memory the index holds: they are charged to the table's memory
//! account while pooled (the tree charges what its reachable nodes hold, the pool what it
//! keeps), and when the tree is dropped the pool closes: it frees what it holds and every
//! leaf the epoch hands back later.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use crate::slab::MemoryAccount;

use super::Node;

/// The step of leaf block capacities.
const STEP: usize = 128;
/// Largest leaf block capacity pooled (larger blocks, of long keys, are allocated exact).
const POOLED_CAPACITY_MAX: usize = 4096;
/// Pooled capacities: `STEP`, `2 * STEP`, .. `POOLED_CAPACITY_MAX`.
const CLASSES: usize = POOLED_CAPACITY_MAX / STEP;
/// Most key block bytes the pool holds.
const POOLED_BYTES_MAX: usize = 512 << 10;

/// The capacity a leaf block of `bytes` is allocated with.
#[inline]
pub(super) fn leaf_capacity(bytes: usize) -> usize {
    if bytes <= POOLED_CAPACITY_MAX {
        bytes.div_ceil(STEP).max(1) * STEP
    } else {
        bytes
    }
}

/// The class of a pooled capacity (`None`: not pooled).
#[inline]
fn class_of(capacity: usize) -> Option<usize> {
    (capacity.is_multiple_of(STEP) && (STEP..=POOLED_CAPACITY_MAX).contains(&capacity))
        .then(|| capacity / STEP - 1)
}

/// A leaf's key block capacity (0 for an inner node: never pooled).
#[inline]
fn block_capacity(node: &Node) -> usize {
    match node {
        Node::Leaf(keys) => keys.allocated(),
        Node::Inner(_) => 0,
    }
}

/// The bytes a pooled leaf holds: its node and its key block.
#[inline]
fn pooled_bytes(capacity: usize) -> usize {
    std::mem::size_of::<Node>() + capacity
}

/// Retired leaves, by key block capacity, ready to be built into again.
#[derive(Default)]
pub(super) struct LeafPool {
    classes: Mutex<Classes>,
    /// Charged with what the pool holds.
    account: Option<Arc<MemoryAccount>>,
    /// Set when the tree is gone: nothing more is kept.
    closed: AtomicBool,
}

#[derive(Default)]
struct Classes {
    // Boxed: a leaf is reused with its node allocation, which is what a write publishes.
    #[allow(clippy::vec_box)]
    leaves: [Vec<Box<Node>>; CLASSES],
    count: usize,
    /// Bytes pooled (nodes and key blocks), as charged to the account.
    bytes: usize,
    /// Leaves taken for reuse, ever.
    reused: u64,
}

impl LeafPool {
    /// An empty pool charging what it keeps to `account`.
    pub(super) fn new(account: Option<Arc<MemoryAccount>>) -> LeafPool {
        LeafPool {
            account,
            ..LeafPool::default()
        }
    }

    /// A pooled leaf whose key block has capacity `capacity` (a `leaf_capacity`), if any.
    #[inline]
    pub(super) fn take(&self, capacity: usize) -> Option<Box<Node>> {
        let class = class_of(capacity)?;
        let mut classes = self.classes.lock().unwrap_or_else(PoisonError::into_inner);
        let leaf = classes.leaves[class].pop()?;
        classes.count -= 1;
        classes.bytes -= pooled_bytes(capacity);
        classes.reused += 1;
        drop(classes);
        if let Some(account) = &self.account {
            account.release_index(pooled_bytes(capacity) as u64);
        }
        Some(leaf)
    }

    /// Takes back a node no reader or writer can reach any more: a leaf of a pooled
    /// capacity is kept while the pool is open and has room; anything else is freed.
    pub(super) fn give(&self, node: Box<Node>) {
        let capacity = block_capacity(&node);
        let Some(class) = class_of(capacity) else {
            return;
        };
        let bytes = pooled_bytes(capacity);
        let mut classes = self.classes.lock().unwrap_or_else(PoisonError::into_inner);
        // Checked under the lock `close` drains under: nothing is kept after it.
        if self.closed.load(Ordering::Relaxed) || classes.bytes + bytes > POOLED_BYTES_MAX {
            return;
        }
        // Charged before the lock is let go: from then on `take` or `close` may release
        // these bytes, and a release must never come before its charge (the account's
        // total would dip below what is really held, and under zero near a drop).
        if let Some(account) = &self.account {
            account.charge_index(bytes as u64);
        }
        classes.count += 1;
        classes.bytes += bytes;
        classes.leaves[class].push(node);
    }

    /// Frees every pooled leaf and keeps none from now on (the tree is gone; the epoch may
    /// still hand back leaves it retired).
    pub(super) fn close(&self) {
        let mut classes = self.classes.lock().unwrap_or_else(PoisonError::into_inner);
        self.closed.store(true, Ordering::Relaxed);
        let released = std::mem::take(&mut *classes).bytes;
        drop(classes);
        if let Some(account) = &self.account {
            account.release_index(released as u64);
        }
    }

    /// Leaves taken for reuse so far.
    #[cfg(test)]
    pub(super) fn reused(&self) -> u64 {
        self.classes
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .reused
    }

    /// Leaves pooled now.
    #[cfg(test)]
    pub(super) fn pooled(&self) -> usize {
        self.classes
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .count
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::index::key_block::KeyBlock;

    fn leaf_of(capacity: usize) -> Box<Node> {
        Box::new(Node::Leaf(KeyBlock::build(
            1,
            1,
            [&b"k"[..]],
            Vec::with_capacity(capacity),
        )))
    }

    #[test]
    fn capacities_round_up_to_steps_and_leaves_come_back_by_capacity() {
        assert_eq!(leaf_capacity(0), STEP);
        assert_eq!(leaf_capacity(1), STEP);
        assert_eq!(leaf_capacity(STEP), STEP);
        assert_eq!(leaf_capacity(STEP + 1), 2 * STEP);
        assert_eq!(leaf_capacity(POOLED_CAPACITY_MAX), POOLED_CAPACITY_MAX);
        assert_eq!(
            leaf_capacity(POOLED_CAPACITY_MAX + 1),
            POOLED_CAPACITY_MAX + 1
        );
        let pool = LeafPool::default();
        pool.give(leaf_of(2 * STEP));
        pool.give(leaf_of(POOLED_CAPACITY_MAX + 1));
        pool.give(leaf_of(STEP + 1));
        assert_eq!(pool.pooled(), 1, "only pooled capacities are kept");
        assert!(pool.take(STEP).is_none());
        let Some(leaf) = pool.take(2 * STEP) else {
            panic!("the leaf given back")
        };
        let Node::Leaf(keys) = &*leaf else {
            panic!("a leaf")
        };
        assert_eq!(keys.allocated(), 2 * STEP);
        assert!(pool.take(2 * STEP).is_none());
        assert_eq!((pool.pooled(), pool.reused()), (0, 1));
        for _ in 0..POOLED_BYTES_MAX / STEP + 5 {
            pool.give(leaf_of(STEP));
        }
        assert_eq!(
            pool.pooled(),
            POOLED_BYTES_MAX / pooled_bytes(STEP),
            "the pool is bounded"
        );
    }

    #[test]
    fn pooled_leaves_are_charged_until_taken_or_the_pool_closes() {
        let account = Arc::new(MemoryAccount::new());
        let pool = LeafPool::new(Some(Arc::clone(&account)));
        pool.give(leaf_of(STEP));
        pool.give(leaf_of(3 * STEP));
        let held = (pooled_bytes(STEP) + pooled_bytes(3 * STEP)) as u64;
        assert_eq!(account.used_bytes(), held);
        let taken = pool.take(STEP).expect("pooled");
        assert_eq!(account.used_bytes(), held - pooled_bytes(STEP) as u64);
        pool.close();
        assert_eq!(account.used_bytes(), 0, "closing frees what the pool held");
        pool.give(taken);
        assert_eq!(
            (pool.pooled(), account.used_bytes()),
            (0, 0),
            "closed: nothing kept"
        );
    }

    /// One thread gives leaves back while another takes them: a leaf is charged before
    /// it can be taken, so the account never holds less than the pool (with the charge
    /// made after the lock was let go, a take released first and the total wrapped below
    /// zero within a few thousand rounds).
    #[test]
    fn a_leaf_is_charged_before_another_thread_can_take_it() {
        const ROUNDS: usize = 200_000;
        let account = Arc::new(MemoryAccount::new());
        let pool = Arc::new(LeafPool::new(Some(Arc::clone(&account))));
        let giver = {
            let pool = Arc::clone(&pool);
            std::thread::spawn(move || {
                for _ in 0..ROUNDS {
                    pool.give(leaf_of(STEP));
                }
            })
        };
        let most = POOLED_BYTES_MAX as u64 + pooled_bytes(STEP) as u64;
        while !giver.is_finished() {
            drop(pool.take(STEP));
            assert!(account.used_bytes() <= most, "released before charged");
        }
        giver.join().unwrap();
        pool.close();
        assert_eq!(account.used_bytes(), 0);
    }
}
