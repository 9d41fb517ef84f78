//! Reading an `OrderedTree`: walks over a range of keys, ascending or descending, a leaf at
//! a time (see the parent module for why a walk is right while writers change the tree).

use std::cmp::Ordering as KeyOrder;
use std::ops::Bound;
use std::sync::atomic::Ordering;

use crossbeam_epoch::Guard;

use super::{node, Inner, Node, OrderedTree};
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

/// Deepest tree whose descent path a walk keeps (a deeper one, which takes more than
/// 2^30 keys inserted even at the smallest fanout, is walked by descents from the root).
const PATH_MAX: usize = 32;

/// Where a walk is: the leaf it reads, the inner nodes above it (root first) with the
/// child taken in each, and the separators bounding the leaf in the nodes it was found
/// through (`lower`: at or below its keys; `upper`: above them).
struct Walk<'g> {
    nodes: [Option<&'g Inner>; PATH_MAX],
    taken: [usize; PATH_MAX],
    depth: usize,
    /// The tree is deeper than `PATH_MAX`: `nodes` is not kept, `fences` is.
    overflowed: bool,
    fences: Fences<'g>,
}

/// The separators bounding a leaf where it was found (lower: at or below its keys; upper:
/// above them).
type Fences<'g> = (Option<&'g [u8]>, Option<&'g [u8]>);

/// What a walk steps to after a leaf.
enum Step<'g> {
    /// The next leaf, reached through the kept path, and the separator bounding it on the
    /// far side of the walk (above it ascending, at or below it descending) in the nodes it
    /// was reached through, when one of them has it.
    Leaf(&'g KeyBlock, Option<&'g [u8]>),
    /// Nothing further lies within the walk's bounds.
    End,
    /// The path is no longer in the tree (or not kept): the next leaf is found from the
    /// root, by this separator (the first key past the leaf left, or its lower bound).
    Descend(&'g [u8]),
}

impl<'g> Walk<'g> {
    fn new() -> Walk<'g> {
        Walk {
            nodes: [None; PATH_MAX],
            taken: [0; PATH_MAX],
            depth: 0,
            overflowed: false,
            fences: (None, None),
        }
    }

    /// Keeps `inner` on the path with child `child` taken (not kept past `PATH_MAX`).
    #[inline(always)]
    fn push(&mut self, inner: &'g Inner, child: usize) {
        match (
            self.nodes.get_mut(self.depth),
            self.taken.get_mut(self.depth),
        ) {
            (Some(node), Some(taken)) => {
                *node = Some(inner);
                *taken = child;
                self.depth += 1;
            }
            _ => self.overflowed = true,
        }
    }

    /// The leaf after the one the walk read (before it, with `reverse`), within `limit`
    /// (the upper bound ascending, the lower one descending).
    #[inline]
    fn step(&mut self, reverse: bool, limit: &Limit<'_>) -> Step<'g> {
        if self.overflowed {
            return fence_step(self.fences, reverse, limit);
        }
        let mut level = self.depth;
        while level > 0 {
            level -= 1;
            let (Some(Some(inner)), Some(&taken)) = (self.nodes.get(level), self.taken.get(level))
            else {
                break;
            };
            let separators = &inner.separators;
            // The deepest node with a child past the one taken holds the separator that
            // bounds the leaf (every deeper one took its last child).
            let (fence, next) = if reverse {
                if taken == 0 {
                    continue;
                }
                (separators.get(taken - 1), taken - 1)
            } else {
                if taken >= separators.len() {
                    continue;
                }
                (separators.get(taken), taken + 1)
            };
            if !limit.admits(fence) {
                return Step::End;
            }
            if inner.replaced.load(Ordering::Acquire) {
                return Step::Descend(fence);
            }
            self.taken[level] = next;
            self.depth = level + 1;
            let mut far = match reverse {
                true => next.checked_sub(1).map(|before| separators.get(before)),
                false => (next < separators.len()).then(|| separators.get(next)),
            };
            let mut at = inner.children[next].load(Ordering::Acquire);
            loop {
                // SAFETY: loaded from a child link of a node reached under the walk's
                // guard (`'g`).
                match unsafe { node::<'g>(at) } {
                    Node::Leaf(keys) => return Step::Leaf(keys, far),
                    Node::Inner(inner) => {
                        let child = if reverse { inner.children.len() - 1 } else { 0 };
                        // A deeper separator bounds the leaf more tightly.
                        let count = inner.separators.len();
                        if count > 0 {
                            far = Some(inner.separators.get(if reverse { count - 1 } else { 0 }));
                        }
                        self.push(inner, child);
                        if self.overflowed {
                            return Step::Descend(fence);
                        }
                        at = inner.children[child].load(Ordering::Acquire);
                    }
                }
            }
        }
        Step::End
    }
}

/// The step after a leaf found without a kept path, from the separators bounding it.
#[inline]
fn fence_step<'g>(fences: Fences<'g>, reverse: bool, limit: &Limit<'_>) -> Step<'g> {
    let fence = if reverse { fences.0 } else { fences.1 };
    match fence {
        Some(fence) if limit.admits(fence) => Step::Descend(fence),
        _ => Step::End,
    }
}

impl OrderedTree {
    /// The leaf a walk from `from` reads next, found from the root, and the separators
    /// bounding it in the tree it was found in; `walk`, when given, gets the path to it
    /// (and the separators). `from` is the walk's lower limit (ascending) or upper limit
    /// (descending); `None` when the tree is empty.
    #[inline]
    fn leaf_for<'g>(
        &self,
        from: &Limit<'_>,
        mut walk: Option<&mut Walk<'g>>,
        _guard: &'g Guard,
    ) -> Option<(&'g KeyBlock, Fences<'g>)> {
        let mut at = self.root.load(Ordering::Acquire);
        if at.is_null() {
            return None;
        }
        if let Some(walk) = walk.as_deref_mut() {
            walk.depth = 0;
            walk.overflowed = false;
        }
        let (mut lower_fence, mut upper_fence) = (None, None);
        loop {
            // SAFETY: loaded from the root or a child link under `_guard`.
            match unsafe { node::<'g>(at) } {
                Node::Leaf(keys) => {
                    if let Some(walk) = walk {
                        walk.fences = (lower_fence, upper_fence);
                    }
                    return Some((keys, (lower_fence, upper_fence)));
                }
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
                    if let Some(walk) = walk.as_deref_mut() {
                        walk.push(inner, child);
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
        // The first leaf is found without keeping its path (a walk that ends in it, such
        // as a probe of one key, pays nothing for a path); the second by a descent that
        // keeps it, and the rest through it.
        let mut walk: Option<Walk<'g>> = None;
        let from = if reverse { &upper } else { &lower };
        let Some((mut keys, fences)) = self.leaf_for(from, None, guard) else {
            return;
        };
        // For a leaf reached through the kept path: the separator bounding it on the walk's
        // far side (`Step::Leaf`), and none on its near side is needed: its keys all lie
        // past the leaf read before it, so past the walk's near bound.
        let mut stepped: Option<Option<&'g [u8]>> = None;
        loop {
            // The leaf's keys within both bounds, found by binary searches (none for a bound
            // the leaf lies within): the walk compares no key it visits.
            let (near, far) = if reverse {
                (&upper, &lower)
            } else {
                (&lower, &upper)
            };
            let (near_rank, far_rank) = match stepped {
                None => (near.rank_in(keys), far.rank_in(keys)),
                Some(fence) => {
                    debug_assert!(
                        near.rank_in(keys)
                            .is_none_or(|r| r == if reverse { keys.len() } else { 0 }),
                        "a leaf stepped to lies past the walk's near bound"
                    );
                    let within = fence.is_some_and(|fence| far.admits(fence));
                    debug_assert!(
                        !within
                            || far
                                .rank_in(keys)
                                .is_none_or(|r| r == if reverse { 0 } else { keys.len() }),
                        "a leaf within the far bound's separator lies within the bound"
                    );
                    (None, if within { None } else { far.rank_in(keys) })
                }
            };
            let (lower_rank, upper_rank) = if reverse {
                (far_rank, near_rank)
            } else {
                (near_rank, far_rank)
            };
            let start = lower_rank.unwrap_or(0);
            let end = upper_rank.unwrap_or(keys.len()).max(start);
            let step = if reverse {
                for key in keys.iter_range(start..end).rev() {
                    if !visit(key) {
                        return;
                    }
                }
                if start > 0 {
                    return;
                }
                // The next leaf down holds the keys below this one's lower separator.
                match walk.as_mut() {
                    Some(walk) => walk.step(true, &lower),
                    None => fence_step(fences, true, &lower),
                }
            } else {
                for key in keys.iter_range(start..end) {
                    if !visit(key) {
                        return;
                    }
                }
                if end < keys.len() {
                    return;
                }
                // The next leaf up starts at this one's upper separator.
                match walk.as_mut() {
                    Some(walk) => walk.step(false, &upper),
                    None => fence_step(fences, false, &upper),
                }
            };
            keys = match step {
                Step::Leaf(next, fence) => {
                    stepped = Some(fence);
                    next
                }
                Step::End => return,
                Step::Descend(fence) => {
                    stepped = None;
                    #[cfg(test)]
                    self.walk_descents
                        .fetch_add(usize::from(walk.is_some()), Ordering::Relaxed);
                    // The fence may come from a node out of the tree, whose separators no
                    // longer bound the leaf just read (a sibling dropped since widened its
                    // range): the walk resumes past the leaf's keys as well.
                    let from = if reverse {
                        let first = keys.iter().next().unwrap_or(fence);
                        let below = first.min(fence);
                        upper = Limit::new(Bound::Excluded(below), KeyOrder::Less);
                        &upper
                    } else {
                        let last = keys.iter().next_back().unwrap_or(fence);
                        lower = if last >= fence {
                            Limit::new(Bound::Excluded(last), KeyOrder::Greater)
                        } else {
                            Limit::new(Bound::Included(fence), KeyOrder::Greater)
                        };
                        &lower
                    };
                    let kept = walk.get_or_insert_with(Walk::new);
                    match self.leaf_for(from, Some(kept), guard) {
                        Some((next, _)) => next,
                        None => return,
                    }
                }
            };
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
