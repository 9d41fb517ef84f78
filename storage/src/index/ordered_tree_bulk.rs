//! Loading or removing many keys of an `OrderedTree` at once. A load merges the keys
//! (sorted by the caller) with the ones the tree holds, packs them into leaves left to
//! right, and builds inner nodes over the leaves level by level; the new root is published
//! with one store and every node of the old tree is retired through the epoch. Each key is
//! copied once, where inserting it alone copies the whole leaf it lands in (`insert` builds
//! the leaf anew). A removal of many keys builds each leaf it changes once, whatever number
//! of its keys go; when a large share of the tree goes, it rebuilds the tree from the keys
//! left, as a load does.
//!
//! Readers are never blocked: a walk that is in the old tree finishes in it (its nodes stay
//! alive while the walk is pinned, and its inner nodes are marked replaced, so a walk
//! stepping sideways through one descends again from the new root).

use std::sync::atomic::Ordering;
use std::sync::PoisonError;

use crossbeam_epoch::Guard;

use super::{inner, node, node_bytes, retire, within_leaf_bounds, Change, Node, NodePtr};
use super::{OrderedTree, WriterScratch, INNER_BYTES_MAX, KEY_BYTES_MAX, LEAF_BYTES_MAX};
use crate::index::entry_key::Probe;
use crate::index::key_block::{block_bytes, KeyBlock};

/// A removal of at least one key in this many of the tree's rebuilds the whole tree from
/// the keys left (one pass over every key) instead of rebuilding each leaf it changes.
const REBUILD_SHARE: usize = 4;

impl OrderedTree {
    /// Adds every key of `keys`, which must be ascending with no two equal (a key the tree
    /// holds already stays once). Returns the bytes the tree grew by (negative: shrank,
    /// when the new nodes are packed tighter than the old ones were). `guard` pins the
    /// caller.
    pub fn insert_sorted(&self, keys: &[&[u8]], guard: &Guard) -> isize {
        debug_assert!(keys.windows(2).all(|pair| pair[0] < pair[1]), "sorted keys");
        assert!(
            keys.iter().all(|key| key.len() <= KEY_BYTES_MAX),
            "ordered-index key too long"
        );
        if keys.is_empty() {
            return 0;
        }
        let mut writer = self.writer.lock().unwrap_or_else(PoisonError::into_inner);
        // The finger's path is about to leave the tree.
        writer.current = false;
        writer.path.clear();
        self.rebuild(|held| Some(merge_distinct(held, keys)), guard)
    }

    /// Replaces the whole tree by one of the keys `keys_of` makes from the keys it holds
    /// (ascending), or leaves it as it is when `keys_of` gives `None`; the old nodes are
    /// retired through `guard`. Returns the bytes the tree grew by. The caller holds the
    /// writer lock and has let go of the finger's path.
    fn rebuild<'k>(
        &self,
        keys_of: impl FnOnce(&[&'k [u8]]) -> Option<Vec<&'k [u8]>>,
        guard: &Guard,
    ) -> isize {
        let old_root = self.root.load(Ordering::Relaxed);
        let mut old_nodes = Vec::new();
        let mut held: Vec<&'k [u8]> = Vec::new();
        // SAFETY: the writer holds the mutex, so every node reachable now stays alive until
        // it is retired below (the keys gathered are read only before that), and retired
        // nodes are freed only after `guard` unpins.
        unsafe { gather(old_root, &mut old_nodes, &mut held) };
        let Some(keys) = keys_of(&held) else {
            return 0;
        };
        let (new_root, new_bytes) = self.build(&keys);
        self.root.store(new_root, Ordering::Release);
        self.len.store(keys.len(), Ordering::Relaxed);
        // SAFETY: the old nodes are unlinked now but not retired yet, so alive.
        let old_bytes: usize = old_nodes
            .iter()
            .map(|&old| node_bytes(unsafe { node(old) }))
            .sum();
        retire(old_nodes, &self.pool, guard);
        new_bytes as isize - old_bytes as isize
    }

    /// Removes every key: the tree becomes empty with one store of its root, and every old
    /// node is retired through the epoch (readers in the old tree finish there). Returns
    /// the bytes the tree grew by (negative). `guard` pins the caller.
    pub fn clear(&self, guard: &Guard) -> isize {
        let mut writer = self.writer.lock().unwrap_or_else(PoisonError::into_inner);
        let old_root = self.root.load(Ordering::Relaxed);
        if old_root.is_null() {
            return 0;
        }
        writer.current = false;
        writer.path.clear();
        let mut old_nodes = Vec::new();
        // SAFETY: the writer holds the mutex, so every node reachable now stays alive until
        // it is retired below.
        unsafe { gather_nodes(old_root, &mut old_nodes) };
        self.root.store(std::ptr::null_mut(), Ordering::Release);
        self.len.store(0, Ordering::Relaxed);
        // SAFETY: the old nodes are unlinked now but not retired yet, so alive.
        let old_bytes: usize = old_nodes
            .iter()
            .map(|&old| node_bytes(unsafe { node(old) }))
            .sum();
        retire(old_nodes, &self.pool, guard);
        -(old_bytes as isize)
    }

    /// Removes every key of `keys` (ascending, no two equal) the tree holds. Returns the bytes
    /// the tree grew by (negative: shrank) and how many keys went. `guard` pins the caller
    /// (readers may still be on the nodes replaced).
    pub fn remove_sorted(&self, keys: &[&[u8]], guard: &Guard) -> (isize, usize) {
        debug_assert!(keys.windows(2).all(|pair| pair[0] < pair[1]), "sorted keys");
        let mut writer = self.writer.lock().unwrap_or_else(PoisonError::into_inner);
        if keys.is_empty() || self.root.load(Ordering::Relaxed).is_null() {
            return (0, 0);
        }
        if keys.len().saturating_mul(REBUILD_SHARE) >= self.len() {
            writer.current = false;
            writer.path.clear();
            let mut removed = 0;
            let grown = self.rebuild(
                |held| {
                    let left = difference(held, keys);
                    removed = held.len() - left.len();
                    (removed > 0).then_some(left)
                },
                guard,
            );
            return (grown, removed);
        }
        let (mut grown, mut removed) = (0isize, 0usize);
        let mut start = 0;
        while start < keys.len() && !self.root.load(Ordering::Relaxed).is_null() {
            let (leaf_grown, leaf_removed, end) =
                self.remove_in_leaf(&mut writer, keys, start, guard);
            debug_assert!(end > start, "every step takes a key");
            grown += leaf_grown;
            removed += leaf_removed;
            start = end;
        }
        (grown, removed)
    }

    /// Removes, from the leaf that would hold `keys[start]`, every key of `keys` from
    /// `start` on that falls within the leaf's bounds, by building the leaf once. Returns
    /// the bytes the tree grew by, the keys removed, and where the next leaf's keys start.
    /// The caller is the writer, and the tree is not empty.
    fn remove_in_leaf(
        &self,
        scratch: &mut WriterScratch,
        keys: &[&[u8]],
        start: usize,
        guard: &Guard,
    ) -> (isize, usize, usize) {
        let (old, block, _, _) = self.seek_leaf(keys[start], scratch);
        let mut end = start + 1;
        while end < keys.len() && within_leaf_bounds(&scratch.path, &Probe::new(keys[end])) {
            end += 1;
        }
        let gone = &keys[start..end];
        let kept = difference(&block.iter().collect::<Vec<_>>(), gone);
        let removed = block.len() - kept.len();
        if removed == 0 {
            return (0, 0, end);
        }
        let change = if kept.is_empty() {
            Change::Replace(std::ptr::null_mut())
        } else {
            let key_bytes = kept.iter().map(|key| key.len()).sum();
            let leaf = self.new_leaf(block_bytes(kept.len(), key_bytes), |data| {
                KeyBlock::build(kept.len(), key_bytes, kept.iter().copied(), data)
            });
            Change::Replace(Box::into_raw(leaf))
        };
        let grown = self.publish(scratch, old, change, guard);
        self.len.fetch_sub(removed, Ordering::Relaxed);
        (grown, removed, end)
    }

    /// A tree of `keys` (ascending, distinct), not yet published: its root (null when there
    /// is no key) and the bytes its nodes allocated.
    fn build(&self, keys: &[&[u8]]) -> (NodePtr, usize) {
        let mut bytes = 0;
        // Each node of the level being built, with the smallest key below it.
        let mut level: Vec<(NodePtr, &[u8])> = Vec::new();
        let mut start = 0;
        while start < keys.len() {
            let (mut end, mut key_bytes) = (start, 0);
            while end < keys.len()
                && end - start < self.leaf_keys_max
                && (end == start || key_bytes + keys[end].len() <= LEAF_BYTES_MAX)
            {
                key_bytes += keys[end].len();
                end += 1;
            }
            let run = &keys[start..end];
            let leaf = self.new_leaf(block_bytes(run.len(), key_bytes), |data| {
                KeyBlock::build(run.len(), key_bytes, run.iter().copied(), data)
            });
            bytes += node_bytes(&leaf);
            level.push((Box::into_raw(leaf), run[0]));
            start = end;
        }
        while level.len() > 1 {
            let mut parents = Vec::with_capacity(level.len() / 2 + 1);
            let mut start = 0;
            while start < level.len() {
                let (mut end, mut separator_bytes) = (start + 1, 0);
                while end < level.len()
                    && end - start < self.inner_children_max
                    && (end - start < 2 || separator_bytes + level[end].1.len() <= INNER_BYTES_MAX)
                {
                    separator_bytes += level[end].1.len();
                    end += 1;
                }
                let group = &level[start..end];
                let separators: Vec<&[u8]> = group[1..].iter().map(|&(_, key)| key).collect();
                let children: Vec<NodePtr> = group.iter().map(|&(child, _)| child).collect();
                let parent = inner(&separators, &children);
                // SAFETY: just built, not yet shared.
                bytes += node_bytes(unsafe { node(parent) });
                parents.push((parent, group[0].1));
                start = end;
            }
            level = parents;
        }
        let root = level
            .first()
            .map_or(std::ptr::null_mut(), |&(root, _)| root);
        (root, bytes)
    }
}

/// Appends every node reachable from `at` to `nodes` and the keys of its leaves, in order,
/// to `keys`.
///
/// # Safety
/// Every node reachable from `at` stays alive for `'w` (the caller is the writer).
unsafe fn gather<'w>(at: NodePtr, nodes: &mut Vec<NodePtr>, keys: &mut Vec<&'w [u8]>) {
    if at.is_null() {
        return;
    }
    nodes.push(at);
    // SAFETY: the caller's guarantee.
    match unsafe { node::<'w>(at) } {
        Node::Leaf(block) => keys.extend(block.iter()),
        Node::Inner(parent) => {
            for child in parent.children.iter() {
                // SAFETY: as above, for every node below.
                unsafe { gather(child.load(Ordering::Relaxed), nodes, keys) };
            }
        }
    }
}

/// Appends every node reachable from `at` to `nodes`.
///
/// # Safety
/// Every node reachable from `at` stays alive while this runs (the caller is the writer).
unsafe fn gather_nodes(at: NodePtr, nodes: &mut Vec<NodePtr>) {
    if at.is_null() {
        return;
    }
    nodes.push(at);
    // SAFETY: the caller's guarantee.
    if let Node::Inner(parent) = unsafe { node(at) } {
        for child in parent.children.iter() {
            // SAFETY: as above, for every node below.
            unsafe { gather_nodes(child.load(Ordering::Relaxed), nodes) };
        }
    }
}

/// The keys of two ascending lists, ascending, each once.
fn merge_distinct<'k>(left: &[&'k [u8]], right: &[&'k [u8]]) -> Vec<&'k [u8]> {
    if left.is_empty() {
        return right.to_vec();
    }
    let mut merged = Vec::with_capacity(left.len() + right.len());
    let (mut l, mut r) = (0, 0);
    while l < left.len() && r < right.len() {
        match left[l].cmp(right[r]) {
            std::cmp::Ordering::Less => {
                merged.push(left[l]);
                l += 1;
            }
            std::cmp::Ordering::Greater => {
                merged.push(right[r]);
                r += 1;
            }
            std::cmp::Ordering::Equal => {
                merged.push(left[l]);
                l += 1;
                r += 1;
            }
        }
    }
    merged.extend_from_slice(&left[l..]);
    merged.extend_from_slice(&right[r..]);
    merged
}

/// The keys of `held` (ascending) that `gone` (ascending) does not hold, in order.
fn difference<'k>(held: &[&'k [u8]], gone: &[&[u8]]) -> Vec<&'k [u8]> {
    let mut left = Vec::with_capacity(held.len());
    let mut g = 0;
    for &key in held {
        while g < gone.len() && gone[g] < key {
            g += 1;
        }
        if g < gone.len() && gone[g] == key {
            g += 1;
        } else {
            left.push(key);
        }
    }
    left
}
