//! Reading an `OrderedTree`: walks over a range of keys, ascending or descending, a leaf at
//! a time (see the parent module for why a walk is right while writers change the tree).

use std::cmp::Ordering as KeyOrder;
use std::ops::Bound;
use std::sync::atomic::Ordering;

use crossbeam_epoch::Guard;

use super::{node, Node, OrderedTree};
use crate::index::entry_key::Probe;
use crate::index::key_block::KeyBlock;

/// Where a batch visit stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BatchEnd<'g> {
    /// Every key of the range was visited.
    Done,
    /// Every key of the range below this one was visited, none from it on: the next visit
    /// starts at it (included).
    Before(&'g [u8]),
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

    /// How many of `keys` (ascending) lie on the outer side of a lower bound, or on the
    /// inner side of an upper one: where an ascending walk starts, or a descending one
    /// ends.
    #[inline]
    fn rank_in(&self, keys: &KeyBlock) -> Option<usize> {
        let probe = self.probe.as_ref()?;
        // Keys equal to the bound are below a walk's start when it excludes them (lower),
        // and before a descending walk's end when it includes them (upper).
        let equal_below = (self.within == KeyOrder::Greater) != self.inclusive;
        Some(keys.rank(probe, equal_below))
    }
}

/// A leaf a walk reads, with the separators bounding it where it was found (`leaf_for`).
type FoundLeaf<'g> = (&'g KeyBlock, Option<&'g [u8]>, Option<&'g [u8]>);

impl OrderedTree {
    /// The leaf a walk from `from` reads next, with the separators bounding it in the tree
    /// it was found in (the lower one: at or below its keys; the upper one: above them).
    /// `from` is the walk's lower limit (ascending) or upper limit (descending); `None`
    /// when the tree is empty.
    fn leaf_for<'g>(&self, from: &Limit<'_>, _guard: &'g Guard) -> Option<FoundLeaf<'g>> {
        let mut at = self.root.load(Ordering::Acquire);
        if at.is_null() {
            return None;
        }
        let (mut lower_fence, mut upper_fence) = (None, None);
        loop {
            // SAFETY: loaded from the root or a child link under `_guard`.
            match unsafe { node::<'g>(at) } {
                Node::Leaf(keys) => return Some((keys, lower_fence, upper_fence)),
                Node::Inner(inner) => {
                    let separators = &inner.separators;
                    // The child whose keys reach the walk's start: past every separator at
                    // or below it ascending (a separator is its right child's first key),
                    // past those below it (or at it, when included) descending.
                    let child = match &from.probe {
                        None if from.within == KeyOrder::Greater => 0,
                        None => separators.len(),
                        Some(probe) => {
                            let equal_below = from.within == KeyOrder::Greater || from.inclusive;
                            separators.rank(probe, equal_below)
                        }
                    };
                    if child > 0 {
                        lower_fence = Some(separators.get(child - 1));
                    }
                    if child < separators.len() {
                        upper_fence = Some(separators.get(child));
                    }
                    at = inner.children[child].load(Ordering::Acquire);
                }
            }
        }
    }

    /// Visits the keys within the bounds, ascending (or descending with `reverse`);
    /// `visit` returns false to stop. `guard` keeps the nodes visited alive.
    pub fn visit_range<'g>(
        &self,
        lower: Bound<&[u8]>,
        upper: Bound<&[u8]>,
        reverse: bool,
        guard: &'g Guard,
        mut visit: impl FnMut(&'g [u8]) -> bool,
    ) {
        let (mut lower, mut upper) = (
            Limit::new(lower, KeyOrder::Greater),
            Limit::new(upper, KeyOrder::Less),
        );
        loop {
            let from = if reverse { &upper } else { &lower };
            let Some((keys, lower_fence, upper_fence)) = self.leaf_for(from, guard) else {
                return;
            };
            // The leaf's keys within both bounds, found by two binary searches: the walk
            // compares no key it visits.
            let start = lower.rank_in(keys).unwrap_or(0);
            let end = upper.rank_in(keys).unwrap_or(keys.len()).max(start);
            if reverse {
                for key in keys.iter_range(start..end).rev() {
                    if !visit(key) {
                        return;
                    }
                }
                // The next leaf down holds the keys below this one's lower separator.
                match lower_fence {
                    Some(fence) if start == 0 && lower.admits(fence) => {
                        upper = Limit::new(Bound::Excluded(fence), KeyOrder::Less)
                    }
                    _ => return,
                }
            } else {
                for key in keys.iter_range(start..end) {
                    if !visit(key) {
                        return;
                    }
                }
                // The next leaf up starts at this one's upper separator.
                match upper_fence {
                    Some(fence) if end == keys.len() && upper.admits(fence) => {
                        lower = Limit::new(Bound::Included(fence), KeyOrder::Greater)
                    }
                    _ => return,
                }
            }
        }
    }

    /// Visits the keys within the bounds, ascending, `max_keys` at most (at least one);
    /// the return says where the visit stopped, so the next batch can start there.
    pub fn visit_range_batch<'g>(
        &self,
        lower: Bound<&[u8]>,
        upper: Bound<&[u8]>,
        max_keys: usize,
        guard: &'g Guard,
        mut visit: impl FnMut(&'g [u8]),
    ) -> BatchEnd<'g> {
        let mut visited = 0;
        let mut end = BatchEnd::Done;
        self.visit_range(lower, upper, false, guard, |key| {
            if visited >= max_keys.max(1) {
                end = BatchEnd::Before(key);
                return false;
            }
            visited += 1;
            visit(key);
            true
        });
        end
    }
}

#[cfg(test)]
#[path = "ordered_tree_walk_tests.rs"]
mod tests;
