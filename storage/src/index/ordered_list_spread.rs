//! Visiting the keys of a range of an `OrderedList` in no particular order, several walks
//! side by side, for readers that only count (`SELECT count(*)` over an index range). A walk
//! in key order waits on one cache miss per key: every node is its own allocation, and the
//! next one's address is known only once the current one is read. Here the range is cut at
//! the keys of level-1 nodes (every fourth node, on average) into segments, and `LANES`
//! segments are walked at level 0 in turn, each lane's next node prefetched when the lane
//! steps, so the misses of different lanes overlap.
//!
//! Why it is right: segment i holds the keys from its start node's key up to (not
//! including) the next segment's start key, compared as bytes, so the segments are disjoint
//! and every key of the range belongs to exactly one. Each lane walks forward at level 0,
//! which reaches every key present for the whole walk between its start and its stop (the
//! argument of `visit_range`, which a walk from any node reached under the guard follows,
//! removed or not) and never yields a key twice.

use std::cmp::Ordering as KeyOrder;
use std::ops::Bound;
use std::ptr;
use std::sync::atomic::Ordering;

use crossbeam_epoch::Guard;

use super::{key_of, tower, Limit, NodePtr, OrderedList, MAX_HEIGHT};
use crate::prefetch::prefetch_read;

/// Segments walked side by side.
const LANES: usize = 8;

/// Where a spread visit stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpreadEnd<'g> {
    /// Every key of the range was visited.
    Done,
    /// Every key of the range below this one was visited, none from it on: the next visit
    /// starts at it (included).
    Before(&'g [u8]),
}

/// One lane: the node it stands on (null: the lane is idle) and the key its segment ends
/// before (`None`: the range's upper bound).
#[derive(Clone, Copy)]
struct Lane<'g> {
    node: NodePtr,
    end: Option<&'g [u8]>,
    segment: usize,
}

impl OrderedList {
    /// Visits the keys within the bounds, in no particular order, as (key, segment): the
    /// keys of one segment come in ascending order and every key of a segment is above
    /// every key of a lower-numbered one. About `max_keys` keys are visited at most
    /// (segments are cut at level-1 nodes, so the count is approximate); the return says
    /// where the visit stopped. `_guard` keeps the nodes alive.
    pub fn visit_range_spread<'g>(
        &self,
        lower: Bound<&[u8]>,
        upper: Bound<&[u8]>,
        max_keys: usize,
        _guard: &'g Guard,
        mut visit: impl FnMut(&'g [u8], usize),
    ) -> SpreadEnd<'g> {
        let lower = Limit::new(lower, KeyOrder::Greater);
        let upper = Limit::new(upper, KeyOrder::Less);
        let mut preds = [ptr::null_mut(); MAX_HEIGHT];
        let pred = match lower.probe {
            None => ptr::null_mut(),
            Some(_) => self.last_where(|key| !lower.admits(key), Some(&mut preds)),
        };
        // The first node within the lower bound (keys below it may be inserted after
        // `pred` once it was found: stepped over, as `visit_range` does).
        // SAFETY: `pred` is null or live under `_guard`.
        let mut first = unsafe { self.link(pred, 0) }.load(Ordering::Acquire);
        while !first.is_null() {
            // SAFETY: loaded from a live link under `_guard`.
            if lower.admits(unsafe { key_of(first) }) {
                break;
            }
            // SAFETY: as above; every node has level 0.
            first = unsafe { tower(first, 0) }.load(Ordering::Acquire);
        }
        if first.is_null() {
            return SpreadEnd::Done;
        }
        // SAFETY: live under `_guard`.
        let first_key = unsafe { key_of(first) };
        if !upper.admits(first_key) {
            return SpreadEnd::Done;
        }
        // The segments' start nodes: `first`, then the level-1 nodes after it within the
        // upper bound, up to about `max_keys` keys (four per level-1 node on average).
        let most_segments = (max_keys / 4).max(1);
        let mut starts: Vec<NodePtr> = Vec::with_capacity(most_segments.min(1024) + 1);
        starts.push(first);
        let mut end = SpreadEnd::Done;
        if self.levels.load(Ordering::Acquire) > 1 {
            // SAFETY: `preds[1]` is null (the head) or a node found at level 1, so its
            // tower reaches level 1; live under `_guard`.
            let mut node = unsafe { self.link(preds[1], 1) }.load(Ordering::Acquire);
            while !node.is_null() {
                // SAFETY: loaded from a live level-1 link, so live with height >= 2.
                let key = unsafe { key_of(node) };
                if !upper.admits(key) {
                    break;
                }
                if key > first_key {
                    if starts.len() > most_segments {
                        end = SpreadEnd::Before(key);
                        break;
                    }
                    starts.push(node);
                }
                // SAFETY: as above.
                node = unsafe { tower(node, 1) }.load(Ordering::Acquire);
            }
        }
        // Segment i runs from `starts[i]` to the key of `starts[i + 1]`, the last one to the
        // stop key (or the upper bound).
        let stop = match end {
            SpreadEnd::Done => None,
            SpreadEnd::Before(key) => Some(key),
        };
        // SAFETY: every start is live under `_guard`.
        let segment_end = |segment: usize| match starts.get(segment + 1) {
            Some(&next) => Some(unsafe { key_of(next) }),
            None => stop,
        };
        let mut lanes = [Lane {
            node: ptr::null_mut(),
            end: None,
            segment: 0,
        }; LANES];
        let mut next_segment = 0;
        let mut busy = 0;
        for lane in &mut lanes {
            if next_segment == starts.len() {
                break;
            }
            *lane = Lane {
                node: starts[next_segment],
                end: segment_end(next_segment),
                segment: next_segment,
            };
            prefetch_read(lane.node);
            next_segment += 1;
            busy += 1;
        }
        while busy > 0 {
            for lane in &mut lanes {
                if lane.node.is_null() {
                    continue;
                }
                // SAFETY: lane nodes are starts or loaded from live level-0 links under
                // `_guard`.
                let key = unsafe { key_of(lane.node) };
                let within = match lane.end {
                    Some(end) => key < end,
                    None => upper.admits(key),
                };
                if within {
                    visit(key, lane.segment);
                    // SAFETY: as above; every node has level 0.
                    lane.node = unsafe { tower(lane.node, 0) }.load(Ordering::Acquire);
                    if !lane.node.is_null() {
                        prefetch_read(lane.node);
                        continue;
                    }
                }
                // The segment is done: the lane takes the next one, if any.
                if next_segment < starts.len() {
                    *lane = Lane {
                        node: starts[next_segment],
                        end: segment_end(next_segment),
                        segment: next_segment,
                    };
                    prefetch_read(lane.node);
                    next_segment += 1;
                } else {
                    lane.node = ptr::null_mut();
                    busy -= 1;
                }
            }
        }
        end
    }
}

#[cfg(test)]
#[path = "ordered_list_spread_tests.rs"]
mod tests;
