//! The ordered set of byte strings behind an ordered secondary index (`ordered.rs`): a
//! B+-tree whose nodes never change once published, except an inner node's child links.
//! Readers never lock: they load links (Acquire) under an epoch pin and read immutable
//! nodes; keys sit side by side in a leaf (`KeyBlock`), so a walk reads memory in order
//! instead of chasing one allocation per key. Writers (insert, remove) take the tree's own
//! mutex, never contended in practice because the owning index's writer lock already
//! serializes them.
//!
//! A write copies: it builds the leaf it changes anew (split in two when it outgrows
//! `LEAF_KEYS_MAX` keys or `LEAF_BYTES_MAX` bytes; dropped when it empties), then publishes
//! it with one Release store into its parent's child link. A parent gains or loses a child
//! only by being built anew too, up to the first node that keeps its shape (or the root).
//! Replaced nodes go to crossbeam-epoch, freed once every reader pinned now has unpinned;
//! a replaced leaf then goes back to the tree's pool (`ordered_tree_pool.rs`), and a later
//! write builds into it instead of allocating. The descent path a write keeps is reused
//! too, so the common write (one leaf replaced) allocates nothing once the pool is warm.
//!
//! SEPARATORS. Child `i` of an inner node holds keys `k` with `separator[i - 1] <= k <
//! separator[i]` (unbounded at the ends). A separator is the first key of the right half of
//! a split and is never changed, so every leaf a reader reaches through a node keeps within
//! the bounds the node's separators give it, however the tree changed since.
//!
//! Why walks are right (`ordered_tree_walk.rs`): a walk reads one leaf at a time and keeps
//! the inner nodes above it with the child taken in each; the next leaf is reached from the
//! deepest of them that has a child past (before, descending) the one taken, through that
//! child's link, loaded now. A node on the kept path may have left the tree meanwhile (an
//! inner node is rebuilt whenever it gains or loses a child): its links then no longer
//! change, so its `replaced` flag is checked before stepping through it, and when set the
//! walk descends again from the root, by the separator that bounded the leaf it left. So
//! every leaf a walk reads was reached through a link of a node in the tree a moment
//! before, as a descent from the root reaches it. Every key a walk yields is past the
//! previous one (the separator between the two leaves lies between them), so no key comes
//! twice, and a key present for the whole walk is in every leaf that covers it, so the walk
//! reaches it. Entries may be stale anyway (readers recheck versions).

use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use crossbeam_epoch::Guard;

use crate::slab::MemoryAccount;

use super::entry_key::Probe;
use super::key_block::{block_bytes, KeyBlock};

#[path = "ordered_tree_walk.rs"]
mod walk;
pub use walk::BatchEnd;

#[path = "ordered_tree_pool.rs"]
mod pool;

#[path = "ordered_tree_bulk.rs"]
mod bulk;
use pool::{leaf_capacity, LeafPool};

/// Most keys a leaf holds (more split it).
const LEAF_KEYS_MAX: usize = 64;
/// Most key bytes a leaf of two keys or more holds (a longer key sits in a leaf alone).
const LEAF_BYTES_MAX: usize = 2048;
/// Most children an inner node has.
const INNER_CHILDREN_MAX: usize = 64;
/// Most separator bytes an inner node of three children or more holds.
const INNER_BYTES_MAX: usize = 4096;

/// Longest key the tree takes. A node's key block keeps 32-bit offsets: a node holds at
/// most its byte limit plus the keys a write adds before it splits (two, each at most this
/// long), which stays below 4 GiB.
pub const KEY_BYTES_MAX: usize = 1 << 29;

const _: () = assert!(INNER_BYTES_MAX + 3 * KEY_BYTES_MAX < u32::MAX as usize);

/// A tree node: a leaf of keys, or an inner node of separators and child links.
pub(crate) enum Node {
    Leaf(KeyBlock),
    Inner(Inner),
}

/// An inner node: `children.len() - 1` separators (see the module comment).
pub(crate) struct Inner {
    separators: KeyBlock,
    children: Box<[AtomicPtr<Node>]>,
    /// Set (never cleared) once the node is out of the tree: replaced by a rebuilt node,
    /// dropped, or collapsed away as the root. A walk stepping sideways through a node it
    /// kept on its path checks it, and descends from the root again when set.
    replaced: AtomicBool,
}

type NodePtr = *mut Node;

/// Bytes a node allocated (the node itself, its key block, its child links).
fn node_bytes(node: &Node) -> usize {
    std::mem::size_of::<Node>()
        + match node {
            Node::Leaf(keys) => keys.allocated(),
            Node::Inner(inner) => {
                inner.separators.allocated()
                    + inner.children.len() * std::mem::size_of::<AtomicPtr<Node>>()
            }
        }
}

/// A node on the heap, not yet published.
fn boxed(node: Node) -> NodePtr {
    Box::into_raw(Box::new(node))
}

/// An inner node of `separators` and `children` (one more child than separators).
fn inner(separators: &[&[u8]], children: &[NodePtr]) -> NodePtr {
    debug_assert_eq!(separators.len() + 1, children.len());
    let bytes = separators.iter().map(|s| s.len()).sum();
    boxed(Node::Inner(Inner {
        separators: KeyBlock::build(
            separators.len(),
            bytes,
            separators.iter().copied(),
            Vec::new(),
        ),
        children: children.iter().map(|&c| AtomicPtr::new(c)).collect(),
        replaced: AtomicBool::new(false),
    }))
}

/// Where a change below leaves a node's parent.
enum Change<'k> {
    /// The child is replaced by this node (null: the child is gone).
    Replace(NodePtr),
    /// The child split in two around this separator.
    Split(NodePtr, &'k [u8], NodePtr),
}

/// The writer's state, under the tree's mutex: the descent path of the last write, kept
/// between writes so a write allocates no path, and reused as a finger: while it is
/// `current`, a write whose key falls within the bounds of the leaf it ends at starts at
/// that leaf instead of descending from the root (a run of writes to nearby keys, such as
/// ascending row ids under one indexed value, descends once per leaf).
struct WriterScratch {
    path: Vec<(NodePtr, usize)>,
    /// Whether `path` still leads from the root to a leaf: every node on it is in the tree
    /// and each child taken is still the next node. Only the fast publish (a leaf replaced
    /// under its parent) and writes that change nothing keep it so.
    current: bool,
}

// SAFETY: the path's pointers are read only by the writer holding the tree's mutex, during
// one write (each write clears the path first), whichever thread that writer runs on.
unsafe impl Send for WriterScratch {}

/// See the module comment.
pub struct OrderedTree {
    root: AtomicPtr<Node>,
    len: AtomicUsize,
    writer: Mutex<WriterScratch>,
    /// Leaves retired and past the epoch, to build new ones into (shared with the deferred
    /// frees, which may run after the tree is gone).
    pool: Arc<LeafPool>,
    /// Most keys a leaf holds, most children an inner node has (`LEAF_KEYS_MAX`,
    /// `INNER_CHILDREN_MAX`; tests make them small to grow deep trees from few keys).
    leaf_keys_max: usize,
    inner_children_max: usize,
    /// Writes that started at the finger's leaf (tests check the finger is taken).
    #[cfg(test)]
    finger_hits: AtomicUsize,
    /// Walks that left their kept path for a descent from the root (tests check a path
    /// gone stale is left).
    #[cfg(test)]
    walk_descents: AtomicUsize,
}

impl Default for OrderedTree {
    fn default() -> Self {
        Self::new()
    }
}

/// The node `ptr` points at.
///
/// # Safety
/// `ptr` is non-null and live for `'g`: loaded from the root or a child link while the
/// caller is pinned for `'g` (replaced nodes are freed only through the epoch), or the
/// caller is the writer (which frees nothing while it holds the mutex).
#[inline(always)]
unsafe fn node<'g>(ptr: NodePtr) -> &'g Node {
    // SAFETY: the caller's guarantee.
    unsafe { &*ptr }
}

impl OrderedTree {
    pub fn new() -> OrderedTree {
        OrderedTree::with_fanout(LEAF_KEYS_MAX, INNER_CHILDREN_MAX)
    }

    /// `new`, the leaves it keeps for reuse charged to `account` (the caller charges what
    /// the tree's reachable nodes hold, from what each write returns).
    pub fn with_account(account: Option<Arc<MemoryAccount>>) -> OrderedTree {
        let mut tree = OrderedTree::new();
        tree.pool = Arc::new(LeafPool::new(account));
        tree
    }

    /// A tree whose leaves hold at most `leaf_keys_max` keys and whose inner nodes have at
    /// most `inner_children_max` children.
    pub(crate) fn with_fanout(leaf_keys_max: usize, inner_children_max: usize) -> OrderedTree {
        assert!(
            leaf_keys_max >= 2 && inner_children_max >= 3,
            "a node must split in two"
        );
        OrderedTree {
            root: AtomicPtr::new(std::ptr::null_mut()),
            len: AtomicUsize::new(0),
            writer: Mutex::new(WriterScratch {
                path: Vec::new(),
                current: false,
            }),
            pool: Arc::default(),
            leaf_keys_max,
            inner_children_max,
            #[cfg(test)]
            finger_hits: AtomicUsize::new(0),
            #[cfg(test)]
            walk_descents: AtomicUsize::new(0),
        }
    }

    /// Number of keys.
    pub fn len(&self) -> usize {
        self.len.load(Ordering::Relaxed)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// A new leaf, not yet published, of the key block `fill` writes into the buffer it is
    /// given (empty, with room for `bytes`): a pooled leaf's, or a new one.
    #[inline]
    fn new_leaf(&self, bytes: usize, fill: impl FnOnce(Vec<u8>) -> KeyBlock) -> Box<Node> {
        let capacity = leaf_capacity(bytes);
        match self.pool.take(capacity) {
            Some(mut leaf) => {
                if let Node::Leaf(keys) = &mut *leaf {
                    let data = keys.take_buffer();
                    *keys = fill(data);
                }
                leaf
            }
            None => Box::new(Node::Leaf(fill(Vec::with_capacity(capacity)))),
        }
    }

    /// The leaf that holds or would hold `key`, its keys, the position `key` has or would
    /// have among them and whether it is there; the scratch's path gets the inner nodes
    /// above the leaf with the child taken in each (kept when it is current and the leaf's
    /// bounds hold the key). The caller is the writer, and the tree is not empty.
    fn seek_leaf<'w>(
        &self,
        key: &[u8],
        scratch: &mut WriterScratch,
    ) -> (NodePtr, &'w KeyBlock, usize, bool) {
        let probe = Probe::new(key);
        let mut reached = None;
        if scratch.current && within_leaf_bounds(&scratch.path, &probe) {
            if let Some(&(parent, child)) = scratch.path.last() {
                // SAFETY: a current path holds nodes in the tree, live under the mutex.
                if let Node::Inner(inner) = unsafe { node::<'w>(parent) } {
                    let at = inner.children[child].load(Ordering::Relaxed);
                    // SAFETY: the child link of a node in the tree, live under the mutex.
                    if let Node::Leaf(keys) = unsafe { node::<'w>(at) } {
                        reached = Some((at, keys));
                    }
                }
            }
            debug_assert!(
                reached.is_none_or(|(at, _)| at == self.descend(&probe, &mut Vec::new()).0),
                "the finger reaches the leaf a descent does"
            );
            #[cfg(test)]
            self.finger_hits
                .fetch_add(usize::from(reached.is_some()), Ordering::Relaxed);
        }
        let (at, keys) = reached.unwrap_or_else(|| {
            scratch.path.clear();
            scratch.current = true;
            self.descend(&probe, &mut scratch.path)
        });
        let position = keys.rank(&probe, false);
        let found = position < keys.len() && keys.get(position) == key;
        (at, keys, position, found)
    }

    /// The leaf a search for `probe` reaches from the root, and its keys; `path` gets the
    /// inner nodes on the way with the child taken in each. The caller is the writer, and
    /// the tree is not empty.
    fn descend<'w>(
        &self,
        probe: &Probe<'_>,
        path: &mut Vec<(NodePtr, usize)>,
    ) -> (NodePtr, &'w KeyBlock) {
        let mut at = self.root.load(Ordering::Acquire);
        debug_assert!(!at.is_null());
        loop {
            // SAFETY: the writer holds the mutex, so every node reachable now stays live.
            match unsafe { node::<'w>(at) } {
                Node::Inner(inner) => {
                    let child = inner.separators.rank(probe, true);
                    path.push((at, child));
                    at = inner.children[child].load(Ordering::Relaxed);
                }
                Node::Leaf(keys) => return (at, keys),
            }
        }
    }

    /// Adds `key` unless present. Returns the bytes the tree grew by, or `None` when the
    /// key was there. `guard` pins the caller (it must not be `epoch::unprotected()`).
    pub fn insert(&self, key: &[u8], guard: &Guard) -> Option<usize> {
        assert!(key.len() <= KEY_BYTES_MAX, "ordered-index key too long");
        let mut writer = self.writer.lock().unwrap_or_else(PoisonError::into_inner);
        if self.root.load(Ordering::Relaxed).is_null() {
            let root = Box::into_raw(self.new_leaf(block_bytes(1, key.len()), |data| {
                KeyBlock::build(1, key.len(), [key], data)
            }));
            // SAFETY: just built, not yet shared.
            let bytes = node_bytes(unsafe { node(root) });
            self.root.store(root, Ordering::Release);
            self.len.fetch_add(1, Ordering::Relaxed);
            writer.current = false;
            return Some(bytes);
        }
        let scratch = &mut *writer;
        let (old, keys, at, found) = self.seek_leaf(key, scratch);
        if found {
            return None;
        }
        let merged = self.new_leaf(keys.bytes_with(key), |data| {
            keys.with_inserted(at, key, data)
        });
        let Node::Leaf(merged_keys) = &*merged else {
            unreachable!("built as a leaf")
        };
        let (count, bytes) = (merged_keys.len(), merged_keys.key_bytes());
        let change = if count > self.leaf_keys_max || (bytes > LEAF_BYTES_MAX && count > 1) {
            let left_count = split_point(merged_keys.iter(), count, bytes);
            let half = |range: std::ops::Range<usize>| {
                let bytes = merged_keys.bytes_of_slice(range.clone());
                Box::into_raw(self.new_leaf(bytes, |data| merged_keys.slice(range, data)))
            };
            let (left, right) = (half(0..left_count), half(left_count..count));
            // Never published: straight back to the pool.
            self.pool.give(merged);
            // SAFETY: just built; a split leaves keys on both sides.
            let Node::Leaf(right_keys) = (unsafe { node(right) }) else {
                unreachable!("built as a leaf")
            };
            Change::Split(left, right_keys.get(0), right)
        } else {
            Change::Replace(Box::into_raw(merged))
        };
        let grown = self.publish(scratch, old, change, guard);
        self.len.fetch_add(1, Ordering::Relaxed);
        debug_assert!(grown >= 0, "an insert never shrinks the tree");
        Some(grown.max(0) as usize)
    }

    /// Removes `key` if present. Returns the bytes the tree shrank by, or `None` when the
    /// key was not there. `guard` pins the caller (it must not be `epoch::unprotected()`:
    /// readers may still be on the nodes replaced).
    pub fn remove(&self, key: &[u8], guard: &Guard) -> Option<usize> {
        let mut writer = self.writer.lock().unwrap_or_else(PoisonError::into_inner);
        if self.root.load(Ordering::Relaxed).is_null() {
            return None;
        }
        let scratch = &mut *writer;
        let (old, keys, at, found) = self.seek_leaf(key, scratch);
        if !found {
            return None;
        }
        let change = if keys.len() == 1 {
            Change::Replace(std::ptr::null_mut())
        } else {
            let bytes = keys.bytes_without(at);
            let leaf = self.new_leaf(bytes, |data| keys.with_removed(at, data));
            Change::Replace(Box::into_raw(leaf))
        };
        let grown = self.publish(scratch, old, change, guard);
        self.len.fetch_sub(1, Ordering::Relaxed);
        debug_assert!(grown <= 0, "a removal never grows the tree");
        Some(grown.unsigned_abs())
    }

    /// Publishes `change` to the leaf `old` at the end of `path`: rebuilds each parent
    /// that gains or loses a child, stores the topmost new node into the link that held
    /// the old one (or the root), collapses a root left with one child, and retires every
    /// node replaced. Returns the bytes the tree grew by (negative: shrank).
    fn publish(
        &self,
        scratch: &mut WriterScratch,
        old: NodePtr,
        mut change: Change<'_>,
        guard: &Guard,
    ) -> isize {
        let path = &scratch.path;
        // The common write: a leaf replaced in place under its parent.
        if let (Change::Replace(new), Some(&(parent, child))) = (&change, path.last()) {
            if !new.is_null() {
                // SAFETY: on the writer's path under the mutex; `new` was just built.
                let (Node::Inner(inner), new_node) =
                    (unsafe { node(parent) }, unsafe { node(*new) })
                else {
                    unreachable!("a path holds inner nodes")
                };
                inner.children[child].store(*new, Ordering::Release);
                // SAFETY: `old` is replaced but not yet retired, so live.
                let grown =
                    node_bytes(new_node) as isize - node_bytes(unsafe { node(old) }) as isize;
                retire_one(old, &self.pool, guard);
                return grown;
            }
        }
        // Nodes above the leaf are rebuilt or dropped: the path no longer leads anywhere.
        scratch.current = false;
        let mut retired = vec![old];
        let mut fresh: Vec<NodePtr> = Vec::new();
        let mut stored = false;
        for &(parent, child) in path.iter().rev() {
            // SAFETY: on the writer's path under the mutex.
            let Node::Inner(old_parent) = (unsafe { node(parent) }) else {
                unreachable!("a path holds inner nodes")
            };
            let mut separators: Vec<&[u8]> = old_parent.separators.iter().collect();
            let mut children: Vec<NodePtr> = old_parent
                .children
                .iter()
                .map(|c| c.load(Ordering::Relaxed))
                .collect();
            match change {
                Change::Replace(new) if !new.is_null() => {
                    fresh.push(new);
                    old_parent.children[child].store(new, Ordering::Release);
                    stored = true;
                    break;
                }
                Change::Replace(_) => {
                    // The child is gone: so is the separator on its left (on its right for
                    // the first child), and so is this node if it was its only child.
                    children.remove(child);
                    if !separators.is_empty() {
                        separators.remove(child.saturating_sub(1));
                    }
                }
                Change::Split(left, separator, right) => {
                    fresh.extend([left, right]);
                    children[child] = left;
                    children.insert(child + 1, right);
                    separators.insert(child, separator);
                }
            }
            retired.push(parent);
            let bytes: usize = separators.iter().map(|s| s.len()).sum();
            change = if children.is_empty() {
                Change::Replace(std::ptr::null_mut())
            } else if children.len() > self.inner_children_max
                || (bytes > INNER_BYTES_MAX && children.len() > 2)
            {
                // Child `half` starts the right node; the separator before it moves up.
                let half = children.len() / 2;
                let left = inner(&separators[..half - 1], &children[..half]);
                let right = inner(&separators[half..], &children[half..]);
                Change::Split(left, separators[half - 1], right)
            } else {
                Change::Replace(inner(&separators, &children))
            };
        }
        if !stored {
            let root = match change {
                Change::Replace(new) => new,
                Change::Split(left, separator, right) => {
                    fresh.extend([left, right]);
                    inner(&[separator], &[left, right])
                }
            };
            if !root.is_null() {
                fresh.push(root);
            }
            self.root.store(root, Ordering::Release);
        }
        self.collapse_root(&mut retired);
        // A node new this time may have been retired by the collapse (an inner root left
        // with one child): it neither grew nor shrank the tree.
        // SAFETY: fresh nodes are live (published, or retired just now and not yet freed);
        // retired ones are not freed before the `retire` below.
        let bytes_of = |nodes: &[NodePtr], others: &[NodePtr]| {
            nodes
                .iter()
                .filter(|n| !others.contains(n))
                .map(|&n| node_bytes(unsafe { node(n) }))
                .sum::<usize>() as isize
        };
        let grown = bytes_of(&fresh, &retired) - bytes_of(&retired, &fresh);
        retire(retired, &self.pool, guard);
        grown
    }

    /// While the root is an inner node of one child, makes the child the root.
    fn collapse_root(&self, retired: &mut Vec<NodePtr>) {
        loop {
            let root = self.root.load(Ordering::Relaxed);
            if root.is_null() {
                return;
            }
            // SAFETY: the root, under the mutex.
            match unsafe { node(root) } {
                Node::Inner(inner) if inner.children.len() == 1 => {
                    let child = inner.children[0].load(Ordering::Relaxed);
                    self.root.store(child, Ordering::Release);
                    retired.push(root);
                }
                _ => return,
            }
        }
    }
}

/// Whether `probe` falls within the bounds of the leaf at the end of `path` (a current
/// descent path): at or past the separator left of the deepest child taken that has one,
/// below the separator right of the deepest that has one. Those are the leaf's tightest
/// bounds: a node's separators lie within the bounds its parent gives it, so a key within
/// them would take the same child at every level. An empty path (the root is the leaf)
/// holds every key.
fn within_leaf_bounds(path: &[(NodePtr, usize)], probe: &Probe<'_>) -> bool {
    let (mut low_checked, mut high_checked) = (false, false);
    for &(parent, child) in path.iter().rev() {
        // SAFETY: a current path holds nodes in the tree, live under the writer's mutex.
        let Node::Inner(inner) = (unsafe { node(parent) }) else {
            return false;
        };
        let separators = &inner.separators;
        if !low_checked && child > 0 {
            if probe.order_of(separators.get(child - 1)) == std::cmp::Ordering::Greater {
                return false;
            }
            low_checked = true;
        }
        if !high_checked && child < separators.len() {
            if probe.order_of(separators.get(child)) != std::cmp::Ordering::Greater {
                return false;
            }
            high_checked = true;
        }
        if low_checked && high_checked {
            break;
        }
    }
    true
}

/// How many of `count` keys (`bytes` in all, ascending) go to the left half of a split:
/// about half the bytes, at least one key each side.
fn split_point<'k>(keys: impl Iterator<Item = &'k [u8]>, count: usize, bytes: usize) -> usize {
    debug_assert!(count >= 2);
    let mut left_bytes = 0;
    for (taken, key) in keys.enumerate() {
        if taken > 0 && (left_bytes * 2 >= bytes || taken * 2 >= count) {
            return taken.min(count - 1);
        }
        left_bytes += key.len();
    }
    count - 1
}

/// Hands replaced nodes to the epoch, to give back to `pool` (which frees what it does not
/// keep) once no pinned reader can stand on them.
fn retire(nodes: Vec<NodePtr>, pool: &Arc<LeafPool>, guard: &Guard) {
    for &retired in &nodes {
        // SAFETY: unlinked but not yet handed to the epoch, so live.
        if let Node::Inner(inner) = unsafe { node(retired) } {
            inner.replaced.store(true, Ordering::Release);
        }
    }
    /// Raw node pointers moved into the deferred free.
    struct Retired(Vec<NodePtr>, Arc<LeafPool>);
    // SAFETY: the nodes are unreachable from the tree and owned by the closure alone.
    unsafe impl Send for Retired {}
    let retired = Retired(nodes, Arc::clone(pool));
    // SAFETY: every node was unlinked (replaced in its parent or as the root) before this
    // call, so only readers pinned now can reach it; the epoch runs the free after they
    // all unpin, exactly once. A replaced inner node's children are not freed with it:
    // they live on in the node that replaced it (or were retired on their own).
    unsafe {
        guard.defer_unchecked(move || {
            let retired = retired;
            for node in retired.0 {
                retired.1.give(Box::from_raw(node));
            }
        });
    }
}

/// `retire` of a single node (a leaf replaced in place: the common write).
fn retire_one(node: NodePtr, pool: &Arc<LeafPool>, guard: &Guard) {
    /// A raw node pointer moved into the deferred free.
    struct Retired(NodePtr, Arc<LeafPool>);
    // SAFETY: as in `retire`.
    unsafe impl Send for Retired {}
    let retired = Retired(node, Arc::clone(pool));
    // SAFETY: as in `retire`: unlinked before this call, freed once after every reader
    // pinned now unpins.
    unsafe {
        guard.defer_unchecked(move || {
            let retired = retired;
            retired.1.give(Box::from_raw(retired.0));
        });
    }
}

#[cfg(test)]
impl OrderedTree {
    /// Bytes of every node reachable now, and the tree's depth (0 when empty); checks on
    /// the way that every leaf keeps within the separators above it and holds a key.
    pub(crate) fn audit(&self) -> (usize, usize) {
        fn visit(ptr: NodePtr, low: Option<&[u8]>, high: Option<&[u8]>) -> (usize, usize) {
            // SAFETY: tests audit a tree no writer changes meanwhile.
            let at = unsafe { node(ptr) };
            match at {
                Node::Leaf(keys) => {
                    assert!(keys.len() > 0, "an empty leaf stays in the tree");
                    for key in keys.iter() {
                        assert!(low.is_none_or(|low| key >= low), "a key below its node");
                        assert!(high.is_none_or(|high| key < high), "a key above its node");
                    }
                    (node_bytes(at), 1)
                }
                Node::Inner(inner) => {
                    assert_eq!(inner.separators.len() + 1, inner.children.len());
                    let mut bytes = node_bytes(at);
                    let mut depths = Vec::new();
                    for (i, child) in inner.children.iter().enumerate() {
                        let low = if i == 0 {
                            low
                        } else {
                            Some(inner.separators.get(i - 1))
                        };
                        let high = if i == inner.separators.len() {
                            high
                        } else {
                            Some(inner.separators.get(i))
                        };
                        let (b, d) = visit(child.load(Ordering::Relaxed), low, high);
                        bytes += b;
                        depths.push(d);
                    }
                    assert!(
                        depths.windows(2).all(|d| d[0] == d[1]),
                        "leaves at two depths"
                    );
                    (bytes, depths[0] + 1)
                }
            }
        }
        let root = self.root.load(Ordering::Acquire);
        if root.is_null() {
            return (0, 0);
        }
        visit(root, None, None)
    }
}

impl Drop for OrderedTree {
    fn drop(&mut self) {
        // The pool's leaves go (and their charge with them), and so will those the epoch
        // hands back later.
        self.pool.close();
        // No reader can hold `&self` any more; replaced nodes are the epoch's to free.
        let mut stack = vec![self.root.load(Ordering::Relaxed)];
        while let Some(ptr) = stack.pop() {
            if ptr.is_null() {
                continue;
            }
            // SAFETY: reachable from the root, so live, and freed only here, once.
            let owned = unsafe { Box::from_raw(ptr) };
            if let Node::Inner(inner) = &*owned {
                stack.extend(inner.children.iter().map(|c| c.load(Ordering::Relaxed)));
            }
        }
    }
}

#[cfg(test)]
#[path = "ordered_tree_tests.rs"]
mod tests;
