//! The ordered set of byte strings behind an ordered secondary index (`ordered.rs`): a skip
//! list whose level 0 is linked both ways, so a walk costs one O(log n) seek and then O(1)
//! per step, ascending or descending. Readers never lock; writers (insert, remove) take the
//! list's own mutex, which is never contended in practice because the owning index's
//! writer lock already serializes them.
//!
//! Node layout, one allocation per entry (`NodeLayout`): the back link (level 0), the key
//! length and tower height packed in one word, the tower of forward links (one per level,
//! `height` of them, drawn with probability 1/4 per extra level, at most `MAX_HEIGHT`),
//! then the key bytes. Nothing but the links changes after a node is published.
//!
//! Publication and removal (the writer holds the mutex):
//! - insert fills the whole node, then links it at level 0 (Release), then sets its
//!   successor's back link to it, then links the upper levels. Readers load links with
//!   Acquire, so a node they reach is fully written.
//! - remove unlinks the node from the top level down, then sets its successor's back link
//!   to its predecessor, and hands the node to crossbeam-epoch to free once every reader
//!   pinned now has unpinned. A removed node's own links are never changed again, so a
//!   reader standing on it steps to the neighbours it had when removed; those were removed
//!   (if at all) later, so they outlive that reader too.
//!
//! Why walks are right: a node's forward link only ever points to a greater key and its
//! back link to a smaller one (each is set to a neighbour at the time), so every walk is
//! strictly ordered and yields no key twice. A key present for the whole walk is never
//! skipped: when a node A was last given a link past such a key K, K was already in the
//! list (its insert completed before the walk began), so the link was set to K or to
//! something between A and K. The back link of a node lags its predecessor's forward link
//! only while an insert is under way; a backward walk then misses that new key, which is
//! allowed (it was inserted during the walk). Entries may be stale anyway (readers recheck
//! versions, see `ordered.rs`).

use std::alloc::{self, Layout};
use std::cmp::Ordering as KeyOrder;
use std::ops::Bound;
use std::ptr;
use std::sync::atomic::{AtomicPtr, AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError};

use crossbeam_epoch::Guard;

use super::entry_key::Probe;
use crate::prefetch::prefetch_read;

#[path = "ordered_list_spread.rs"]
mod spread;
pub use spread::SpreadEnd;

/// Most levels a node's tower may have (enough for 4^16 entries at the 1/4 fan-out).
pub const MAX_HEIGHT: usize = 16;

/// Longest key a node can hold (its length shares a word with the height).
pub const KEY_BYTES_MAX: usize = (1 << HEIGHT_SHIFT) - 1;

/// Bits of the packed word below the height.
const HEIGHT_SHIFT: u32 = 56;

/// Bytes of a node before its tower.
pub const NODE_HEADER_BYTES: usize = std::mem::size_of::<NodeHeader>();

/// The fixed start of a node; the tower and the key bytes follow it in the same allocation.
#[repr(C)]
struct NodeHeader {
    /// The level-0 predecessor (null: none, the list's head).
    prev: AtomicPtr<NodeHeader>,
    /// Key length (low `HEIGHT_SHIFT` bits) and tower height (above). Immutable.
    len_and_height: usize,
}

type NodePtr = *mut NodeHeader;

const _: () = assert!(
    usize::BITS == 64,
    "the packed key length needs a 64-bit usize"
);
const _: () = assert!(MAX_HEIGHT < (1 << (64 - HEIGHT_SHIFT)));

/// The allocation of a node of `height` levels and a key of `len` bytes.
fn node_layout(height: usize, len: usize) -> Layout {
    debug_assert!((1..=MAX_HEIGHT).contains(&height) && len <= KEY_BYTES_MAX);
    let size = NODE_HEADER_BYTES + height * std::mem::size_of::<AtomicPtr<NodeHeader>>() + len;
    Layout::from_size_align(size, std::mem::align_of::<NodeHeader>())
        .expect("a node under KEY_BYTES_MAX fits a layout")
        .pad_to_align()
}

/// A node's tower height.
///
/// # Safety
/// `node` is a live node (published and not yet freed, or being built by the writer).
#[inline]
unsafe fn height_of(node: NodePtr) -> usize {
    // SAFETY: the caller guarantees `node` points to a live node; the word is never written
    // after publication, and the Acquire load that found `node` ordered its initialization.
    unsafe { ptr::addr_of!((*node).len_and_height).read() >> HEIGHT_SHIFT }
}

/// The forward link of `node` at `level`.
///
/// # Safety
/// `node` is live and `level < height_of(node)`.
#[inline]
unsafe fn tower<'a>(node: NodePtr, level: usize) -> &'a AtomicPtr<NodeHeader> {
    debug_assert!(level < unsafe { height_of(node) });
    // SAFETY: the tower starts right after the header in the node's allocation (whose
    // provenance `node` carries), holds `height` initialized AtomicPtrs, aligned as the
    // header is; the caller guarantees `level` is among them and the node outlives 'a.
    unsafe {
        &*node
            .cast::<u8>()
            .add(NODE_HEADER_BYTES)
            .cast::<AtomicPtr<NodeHeader>>()
            .add(level)
    }
}

/// The back link of `node`.
///
/// # Safety
/// `node` is live.
#[inline]
unsafe fn prev_of<'a>(node: NodePtr) -> &'a AtomicPtr<NodeHeader> {
    // SAFETY: the caller guarantees `node` is live for 'a; the field is an atomic.
    unsafe { &*ptr::addr_of!((*node).prev) }
}

/// Where the key bytes of a node of `height` levels start.
///
/// # Safety
/// `node` points to an allocation of `node_layout(height, _)`.
#[inline]
unsafe fn key_start(node: NodePtr, height: usize) -> *mut u8 {
    // SAFETY: the key follows the header and the tower inside the allocation.
    unsafe {
        node.cast::<u8>()
            .add(NODE_HEADER_BYTES + height * std::mem::size_of::<AtomicPtr<NodeHeader>>())
    }
}

/// The key bytes of `node`.
///
/// # Safety
/// `node` is live for 'a.
#[inline]
unsafe fn key_of<'a>(node: NodePtr) -> &'a [u8] {
    // SAFETY: the key follows the tower in the node's allocation: `len` bytes written
    // before publication and never changed; the caller keeps the node alive for 'a.
    unsafe {
        let packed = ptr::addr_of!((*node).len_and_height).read();
        let start = key_start(node, packed >> HEIGHT_SHIFT);
        std::slice::from_raw_parts(start, packed & KEY_BYTES_MAX)
    }
}

/// Frees a node.
///
/// # Safety
/// `node` was allocated by `OrderedList::insert`, is reachable by no reader any more, and
/// is freed once.
unsafe fn free_node(node: NodePtr) {
    // SAFETY: the caller's guarantees; the layout is the one `insert` allocated with.
    unsafe {
        let packed = ptr::addr_of!((*node).len_and_height).read();
        let layout = node_layout(packed >> HEIGHT_SHIFT, packed & KEY_BYTES_MAX);
        alloc::dealloc(node.cast::<u8>(), layout);
    }
}

/// A node handed to the epoch to free (raw pointers are not `Send`).
struct Retired(NodePtr);

// SAFETY: a retired node is unreachable; only the deferred free touches it, on whichever
// thread runs it.
unsafe impl Send for Retired {}

/// The ordered set (see the module comment). `Send` and `Sync` come from its atomics, and
/// rightly: it owns its nodes, readers only read them, writers take `writer` and frees go
/// through the epoch.
pub struct OrderedList {
    /// The head's tower: the first node of each level.
    heads: [AtomicPtr<NodeHeader>; MAX_HEIGHT],
    /// Levels in use (the tallest tower's height, at least 1); only grows.
    levels: AtomicUsize,
    len: AtomicUsize,
    /// Serializes writers.
    writer: Mutex<()>,
}

impl Default for OrderedList {
    fn default() -> Self {
        OrderedList::new()
    }
}

impl OrderedList {
    pub fn new() -> OrderedList {
        OrderedList {
            heads: std::array::from_fn(|_| AtomicPtr::new(ptr::null_mut())),
            levels: AtomicUsize::new(1),
            len: AtomicUsize::new(0),
            writer: Mutex::new(()),
        }
    }

    /// Number of keys.
    pub fn len(&self) -> usize {
        self.len.load(Ordering::Relaxed)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The forward link at `level` of `node`, or of the head when `node` is null.
    ///
    /// # Safety
    /// `node` is null or live with `level < height_of(node)`.
    #[inline]
    unsafe fn link(&self, node: NodePtr, level: usize) -> &AtomicPtr<NodeHeader> {
        if node.is_null() {
            &self.heads[level]
        } else {
            // SAFETY: the caller's guarantee.
            unsafe { tower(node, level) }
        }
    }

    /// The last node whose key satisfies `before` (null: none), for a `before` that holds
    /// on a prefix of the list; `preds`, if given, gets the last such node of each level.
    /// The caller is pinned (or is the writer).
    #[inline]
    fn last_where(
        &self,
        mut before: impl FnMut(&[u8]) -> bool,
        mut preds: Option<&mut [NodePtr; MAX_HEIGHT]>,
    ) -> NodePtr {
        let mut pred: NodePtr = ptr::null_mut();
        // The node a comparison last rejected: met again one level down, it needs none.
        let mut rejected: NodePtr = ptr::null_mut();
        for level in (0..self.levels.load(Ordering::Acquire)).rev() {
            loop {
                if level > 0 {
                    // The first node one level down, should `pred` stay the last before
                    // the key here: its miss overlaps the one of `next` below, where a
                    // walk would otherwise wait on each node of the path in turn.
                    // SAFETY: as below (`pred`'s tower reaches `level`, so `level - 1`);
                    // the loaded pointer is only a hint, never dereferenced here.
                    let down = unsafe { self.link(pred, level - 1) }.load(Ordering::Relaxed);
                    prefetch_read(down);
                }
                // SAFETY: `pred` is null or a node reached through links at `level` or
                // above, so its tower reaches `level`; it is live because the caller is
                // pinned (see the module comment) or is the writer.
                let next = unsafe { self.link(pred, level) }.load(Ordering::Acquire);
                if next.is_null() || next == rejected {
                    break;
                }
                // SAFETY: `next` was just loaded from a live link, so it is live.
                if !before(unsafe { key_of(next) }) {
                    rejected = next;
                    break;
                }
                pred = next;
            }
            if let Some(preds) = preds.as_deref_mut() {
                preds[level] = pred;
            }
        }
        pred
    }

    /// Adds `key` unless present. Returns the bytes of the new node, or `None` when the key
    /// was there. `guard` pins the caller (it must not be `epoch::unprotected()`).
    pub fn insert(&self, key: &[u8], _guard: &Guard) -> Option<usize> {
        assert!(key.len() <= KEY_BYTES_MAX, "ordered-index key too long");
        let _writer = self.writer.lock().unwrap_or_else(PoisonError::into_inner);
        let probe = Probe::new(key);
        let mut preds = [ptr::null_mut(); MAX_HEIGHT];
        let pred = self.last_where(|k| probe.order_of(k) == KeyOrder::Less, Some(&mut preds));
        // SAFETY: `pred` is null or live (the writer frees nothing while it holds the lock).
        let succ = unsafe { self.link(pred, 0) }.load(Ordering::Acquire);
        // SAFETY: `succ` is null or live, as just loaded.
        if !succ.is_null() && unsafe { key_of(succ) } == key {
            return None;
        }
        let height = random_height();
        let levels = self.levels.load(Ordering::Relaxed);
        // Levels above the current top start at the head (`preds` holds nulls there).
        debug_assert!(preds[levels..].iter().all(|p| p.is_null()));
        let layout = node_layout(height, key.len());
        // SAFETY: the layout has a non-zero size (the header alone is 16 bytes).
        let node = unsafe { alloc::alloc(layout) }.cast::<NodeHeader>();
        if node.is_null() {
            alloc::handle_alloc_error(layout);
        }
        // SAFETY: `node` is a fresh allocation of `layout`, private to this thread until
        // the Release store below publishes it: write the header, every tower link (the
        // successors found above; the writer lock keeps them current) and the key bytes.
        unsafe {
            node.write(NodeHeader {
                prev: AtomicPtr::new(preds[0]),
                len_and_height: key.len() | (height << HEIGHT_SHIFT),
            });
            for (level, &level_pred) in preds.iter().enumerate().take(height) {
                let next = self.link(level_pred, level).load(Ordering::Relaxed);
                node.cast::<u8>()
                    .add(NODE_HEADER_BYTES)
                    .cast::<AtomicPtr<NodeHeader>>()
                    .add(level)
                    .write(AtomicPtr::new(next));
            }
            ptr::copy_nonoverlapping(key.as_ptr(), key_start(node, height), key.len());
        }
        // SAFETY: `preds[level]` is null or a live node whose tower reaches `level` (found
        // at that level), `succ` is null or live, `node` is now fully written.
        unsafe {
            self.link(preds[0], 0).store(node, Ordering::Release);
            if !succ.is_null() {
                prev_of(succ).store(node, Ordering::Release);
            }
            for (level, &level_pred) in preds.iter().enumerate().take(height).skip(1) {
                self.link(level_pred, level).store(node, Ordering::Release);
            }
        }
        if height > levels {
            self.levels.store(height, Ordering::Release);
        }
        self.len.fetch_add(1, Ordering::Relaxed);
        Some(layout.size())
    }

    /// Removes `key` if present; its node is freed once no pinned reader can stand on it.
    /// Returns the bytes the node took, or `None` when the key was not there. `guard` pins
    /// the caller (it must not be `epoch::unprotected()`: readers may still be on the node).
    pub fn remove(&self, key: &[u8], guard: &Guard) -> Option<usize> {
        let _writer = self.writer.lock().unwrap_or_else(PoisonError::into_inner);
        let probe = Probe::new(key);
        let mut preds = [ptr::null_mut(); MAX_HEIGHT];
        let pred = self.last_where(|k| probe.order_of(k) == KeyOrder::Less, Some(&mut preds));
        // SAFETY: `pred` is null or live (the writer frees nothing while it holds the lock).
        let node = unsafe { self.link(pred, 0) }.load(Ordering::Acquire);
        // SAFETY: `node` is null or live, as just loaded.
        if node.is_null() || unsafe { key_of(node) } != key {
            return None;
        }
        // SAFETY: `node` is live and in the list, so for each of its levels the last node
        // before it at that level (`preds[level]`) links to it; unlink it from the top
        // down, then point its successor back at its predecessor. Its own links stay as
        // they are, for readers standing on it.
        let height = unsafe { height_of(node) };
        unsafe {
            for level in (0..height).rev() {
                let link = self.link(preds[level], level);
                debug_assert_eq!(link.load(Ordering::Relaxed), node);
                link.store(
                    tower(node, level).load(Ordering::Relaxed),
                    Ordering::Release,
                );
            }
            let succ = tower(node, 0).load(Ordering::Relaxed);
            debug_assert_eq!(prev_of(node).load(Ordering::Relaxed), preds[0]);
            if !succ.is_null() {
                prev_of(succ).store(preds[0], Ordering::Release);
            }
        }
        // SAFETY: read before the node is retired.
        let bytes = node_layout(height, unsafe { key_of(node) }.len()).size();
        self.len.fetch_sub(1, Ordering::Relaxed);
        let retired = Retired(node);
        // SAFETY: the node is unlinked, so only readers pinned now can reach it (directly
        // or through nodes removed earlier, which they also reached while pinned); the
        // epoch runs the free after all of them unpin, exactly once.
        unsafe {
            guard.defer_unchecked(move || {
                let retired = retired;
                free_node(retired.0);
            });
        }
        Some(bytes)
    }

    /// Visits the keys within the bounds, ascending (or descending with `reverse`);
    /// `visit` returns false to stop. `_guard` keeps the nodes visited alive.
    pub fn visit_range(
        &self,
        lower: Bound<&[u8]>,
        upper: Bound<&[u8]>,
        reverse: bool,
        _guard: &Guard,
        mut visit: impl FnMut(&[u8]) -> bool,
    ) {
        let lower = Limit::new(lower, KeyOrder::Greater);
        let upper = Limit::new(upper, KeyOrder::Less);
        if reverse {
            // The last key within the upper bound.
            let mut node = self.last_where(|key| upper.admits(key), None);
            while !node.is_null() {
                // SAFETY: `node` was loaded from a link while `_guard` pins this thread,
                // so it is live until the guard drops, which outlives this call.
                let key = unsafe { key_of(node) };
                if !lower.admits(key) || !visit(key) {
                    return;
                }
                // SAFETY: as above.
                node = unsafe { prev_of(node) }.load(Ordering::Acquire);
            }
        } else {
            // The last key below the lower bound, then its successor.
            let pred = match lower.probe {
                None => ptr::null_mut(),
                Some(_) => self.last_where(|key| !lower.admits(key), None),
            };
            // SAFETY: `pred` is null or live under `_guard`.
            let mut node = unsafe { self.link(pred, 0) }.load(Ordering::Acquire);
            // A key below the lower bound may be inserted right after `pred` once it was
            // found: the walk steps over such keys until it meets the first one within.
            let mut past_lower = lower.probe.is_none();
            while !node.is_null() {
                // SAFETY: `node` was loaded from a link while `_guard` pins this thread.
                let key = unsafe { key_of(node) };
                if !past_lower {
                    past_lower = lower.admits(key);
                }
                if past_lower && (!upper.admits(key) || !visit(key)) {
                    return;
                }
                // SAFETY: as above; every node has level 0.
                node = unsafe { tower(node, 0) }.load(Ordering::Acquire);
            }
        }
    }
}

impl Drop for OrderedList {
    fn drop(&mut self) {
        // No reader can hold `&self` any more; removed nodes are the epoch's to free.
        let mut node = self.heads[0].load(Ordering::Relaxed);
        while !node.is_null() {
            // SAFETY: `node` is in the list, so live and freed only here.
            unsafe {
                let next = tower(node, 0).load(Ordering::Relaxed);
                free_node(node);
                node = next;
            }
        }
    }
}

/// A tower height: 1, plus one level with probability 1/4 each, at most `MAX_HEIGHT`.
fn random_height() -> usize {
    let bits = fastrand::u32(..);
    (1 + bits.trailing_zeros() as usize / 2).min(MAX_HEIGHT)
}

/// A bound of a walk, checked against every key the walk meets.
#[derive(Clone, Copy)]
struct Limit<'a> {
    /// `None`: unbounded.
    probe: Option<Probe<'a>>,
    /// Whether a key equal to the bound is within it.
    inclusive: bool,
    /// The order a key within the bound has against it (`Less` for an upper bound).
    within: KeyOrder,
}

impl<'a> Limit<'a> {
    fn new(bound: Bound<&'a [u8]>, within: KeyOrder) -> Limit<'a> {
        let (probe, inclusive) = match bound {
            Bound::Unbounded => (None, true),
            Bound::Included(key) => (Some(Probe::new(key)), true),
            Bound::Excluded(key) => (Some(Probe::new(key)), false),
        };
        Limit {
            probe,
            inclusive,
            within,
        }
    }

    /// Whether `key` is on the inner side of the bound.
    #[inline(always)]
    fn admits(&self, key: &[u8]) -> bool {
        match &self.probe {
            None => true,
            Some(probe) => {
                let order = probe.order_of(key);
                order == self.within || (self.inclusive && order == KeyOrder::Equal)
            }
        }
    }
}

#[cfg(test)]
#[path = "ordered_list_tests.rs"]
mod tests;
