//! Tests of walks: against a `BTreeSet` model (random keys and bounds, batches of every
//! size resumed where the last stopped: every key once, in order; walks both ways across
//! many leaves and levels with the tree changed between batches and from inside the walk,
//! so kept paths go stale), and writers churning keys while readers walk, whole ranges
//! both ways and in batches (every key present throughout a walk is visited exactly once,
//! in order, nothing out of bounds).

use std::collections::BTreeSet;
use std::ops::Bound;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;

use crossbeam_epoch as epoch;

use super::super::OrderedTree;
use super::BatchEnd;

/// Every key of the bounds, visited batch after batch of at most `max_keys`, each batch's
/// keys checked to ascend.
fn batch_all(
    list: &OrderedTree,
    lower: Bound<&[u8]>,
    upper: Bound<&[u8]>,
    max_keys: usize,
) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut lower = lower.map(<[u8]>::to_vec);
    loop {
        let guard = epoch::pin();
        let mut batch: Vec<Vec<u8>> = Vec::new();
        let end = list.visit_range_batch(
            lower.as_ref().map(Vec::as_slice),
            upper,
            max_keys,
            &guard,
            |key| batch.push(key.to_vec()),
        );
        assert!(batch.len() <= max_keys.max(1), "a batch past its size");
        assert!(
            batch.windows(2).all(|pair| pair[0] < pair[1]),
            "keys out of order"
        );
        out.extend(batch);
        match end {
            BatchEnd::Done => return out,
            BatchEnd::Before(key) => {
                assert!(
                    out.iter().all(|seen| seen.as_slice() < key),
                    "past the stop"
                );
                lower = Bound::Included(key.to_vec());
            }
        }
    }
}

fn number_key(i: u64) -> Vec<u8> {
    i.to_be_bytes().to_vec()
}

#[test]
fn batch_walks_visit_each_key_of_the_range_once() {
    let mut rng = fastrand::Rng::with_seed(25);
    for size in [0usize, 1, 3, 17, 400, 5000] {
        let list = OrderedTree::with_fanout(3, 4);
        let guard = epoch::pin();
        let mut model = BTreeSet::new();
        while model.len() < size {
            let key = number_key(rng.u64(..20_000));
            list.insert(&key, &guard);
            model.insert(key);
        }
        drop(guard);
        for _ in 0..40 {
            let bound = |rng: &mut fastrand::Rng| match rng.u8(..3) {
                0 => Bound::Unbounded,
                1 => Bound::Included(number_key(rng.u64(..20_000))),
                _ => Bound::Excluded(number_key(rng.u64(..20_000))),
            };
            let (lower, upper) = (bound(&mut rng), bound(&mut rng));
            let max_keys = [1, 4, 16, 1024][rng.usize(..4)];
            let mut seen = batch_all(
                &list,
                lower.as_ref().map(Vec::as_slice),
                upper.as_ref().map(Vec::as_slice),
                max_keys,
            );
            seen.sort();
            let expected: Vec<Vec<u8>> = model
                .iter()
                .filter(|key| {
                    (match &lower {
                        Bound::Unbounded => true,
                        Bound::Included(low) => *key >= low,
                        Bound::Excluded(low) => *key > low,
                    }) && (match &upper {
                        Bound::Unbounded => true,
                        Bound::Included(high) => *key <= high,
                        Bound::Excluded(high) => *key < high,
                    })
                })
                .cloned()
                .collect();
            assert_eq!(seen, expected, "{size} keys, {max_keys} a batch");
        }
    }
}

#[test]
fn batch_walks_see_every_stable_key_once_while_a_writer_churns() {
    const KEYS: u64 = 4000;
    let list = Arc::new(OrderedTree::with_fanout(3, 3));
    {
        let guard = epoch::pin();
        for i in (0..KEYS).step_by(2) {
            list.insert(&number_key(i), &guard);
        }
    }
    let done = Arc::new(AtomicBool::new(false));
    // Odd keys come and go; even keys stay for the whole test.
    let writer = {
        let list = Arc::clone(&list);
        let done = Arc::clone(&done);
        thread::spawn(move || {
            let mut rng = fastrand::Rng::with_seed(7);
            while !done.load(Ordering::Relaxed) {
                let key = number_key(rng.u64(..KEYS / 2) * 2 + 1);
                let guard = epoch::pin();
                if rng.bool() {
                    list.insert(&key, &guard);
                } else {
                    list.remove(&key, &guard);
                }
            }
        })
    };
    let readers: Vec<_> = (0..2u64)
        .map(|seed| {
            let list = Arc::clone(&list);
            thread::spawn(move || {
                let mut rng = fastrand::Rng::with_seed(seed);
                for _ in 0..300 {
                    let low = rng.u64(..KEYS);
                    let high = low + rng.u64(..KEYS);
                    let (lower, upper) = (number_key(low), number_key(high));
                    let max_keys = [4, 64, 1024][rng.usize(..3)];
                    let seen = batch_all(
                        &list,
                        Bound::Included(&lower),
                        Bound::Excluded(&upper),
                        max_keys,
                    );
                    let numbers: Vec<u64> = seen
                        .iter()
                        .map(|key| u64::from_be_bytes(key.as_slice().try_into().unwrap()))
                        .collect();
                    let distinct: BTreeSet<u64> = numbers.iter().copied().collect();
                    assert_eq!(distinct.len(), numbers.len(), "a key visited twice");
                    assert!(numbers.iter().all(|&n| (low..high).contains(&n)));
                    let stable = (low..high.min(KEYS)).filter(|n| n % 2 == 0);
                    assert!(
                        stable.clone().all(|n| distinct.contains(&n)),
                        "a key missed"
                    );
                }
            })
        })
        .collect();
    for reader in readers {
        reader.join().unwrap();
    }
    done.store(true, Ordering::Relaxed);
    writer.join().unwrap();
}

fn bound_holds(key: u64, lower: Bound<u64>, upper: Bound<u64>) -> bool {
    (match lower {
        Bound::Unbounded => true,
        Bound::Included(low) => key >= low,
        Bound::Excluded(low) => key > low,
    }) && (match upper {
        Bound::Unbounded => true,
        Bound::Included(high) => key <= high,
        Bound::Excluded(high) => key < high,
    })
}

fn random_bound(rng: &mut fastrand::Rng, keys: u64) -> Bound<u64> {
    match rng.u8(..4) {
        0 => Bound::Unbounded,
        1 => Bound::Included(rng.u64(..keys)),
        _ => Bound::Excluded(rng.u64(..keys)),
    }
}

/// Whether `keys` ascend (descend with `reverse`), no key twice.
fn strictly_ordered(keys: &[u64], reverse: bool) -> bool {
    keys.windows(2).all(|pair| {
        if reverse {
            pair[0] > pair[1]
        } else {
            pair[0] < pair[1]
        }
    })
}

fn key_of(key: &[u8]) -> u64 {
    u64::from_be_bytes(key.try_into().expect("an 8-byte key"))
}

/// Up to `limit` keys of the bounds, ascending or descending, by `visit_range`.
fn walk_numbers(
    tree: &OrderedTree,
    lower: Bound<u64>,
    upper: Bound<u64>,
    reverse: bool,
    limit: usize,
) -> Vec<u64> {
    let (low, high) = (lower.map(number_key), upper.map(number_key));
    let guard = epoch::pin();
    let mut seen = Vec::new();
    tree.visit_range(
        low.as_ref().map(Vec::as_slice),
        high.as_ref().map(Vec::as_slice),
        reverse,
        &guard,
        |key| {
            seen.push(key_of(key));
            seen.len() < limit
        },
    );
    seen
}

#[test]
fn walks_across_leaves_and_levels_match_a_model_changed_between_batches() {
    const KEYS: u64 = 6000;
    for (seed, (leaf, inner)) in [(2, 3), (3, 3), (4, 5), (64, 64)].into_iter().enumerate() {
        let mut rng = fastrand::Rng::with_seed(seed as u64 + 40);
        let tree = OrderedTree::with_fanout(leaf, inner);
        let mut model = BTreeSet::new();
        {
            let guard = epoch::pin();
            while model.len() < 3000 {
                let key = rng.u64(..KEYS);
                tree.insert(&number_key(key), &guard);
                model.insert(key);
            }
        }
        assert!(tree.audit().1 >= 3 || leaf == 64, "a deep tree");
        for _ in 0..60 {
            let (mut lower, mut upper) =
                (random_bound(&mut rng, KEYS), random_bound(&mut rng, KEYS));
            let reverse = rng.bool();
            let batch = [1, 7, 64, 300, usize::MAX][rng.usize(..5)];
            let mut all = Vec::new();
            loop {
                // Each batch sees the tree as it is now: exactly the model's keys.
                let seen = walk_numbers(&tree, lower, upper, reverse, batch);
                let expected: Vec<u64> = if reverse {
                    let keys = model.iter().rev().copied();
                    keys.filter(|&k| bound_holds(k, lower, upper))
                        .take(batch)
                        .collect()
                } else {
                    let keys = model.iter().copied();
                    keys.filter(|&k| bound_holds(k, lower, upper))
                        .take(batch)
                        .collect()
                };
                assert_eq!(seen, expected, "fanout {leaf}/{inner} reverse {reverse}");
                all.extend_from_slice(&seen);
                let Some(&last) = seen.last().filter(|_| seen.len() == batch) else {
                    break;
                };
                if reverse {
                    upper = Bound::Excluded(last);
                } else {
                    lower = Bound::Excluded(last);
                }
                // Change the tree between batches: splits, merges, new roots.
                let guard = epoch::pin();
                for _ in 0..rng.usize(..40) {
                    let key = rng.u64(..KEYS);
                    if rng.bool() {
                        tree.insert(&number_key(key), &guard);
                        model.insert(key);
                    } else {
                        tree.remove(&number_key(key), &guard);
                        model.remove(&key);
                    }
                }
            }
            let ordered = strictly_ordered(&all, reverse);
            assert!(ordered, "batches out of order");
        }
        assert_eq!(tree.len(), model.len());
    }
}

#[test]
fn walks_changing_the_tree_they_walk_leave_stale_paths_and_miss_nothing() {
    const KEYS: u64 = 8000;
    for (seed, (leaf, inner)) in [(2, 3), (3, 4), (8, 3), (64, 64)].into_iter().enumerate() {
        let mut rng = fastrand::Rng::with_seed(seed as u64 + 70);
        let tree = OrderedTree::with_fanout(leaf, inner);
        let mut present = BTreeSet::new();
        {
            let guard = epoch::pin();
            for key in 0..KEYS / 2 {
                tree.insert(&number_key(key * 2), &guard);
                present.insert(key * 2);
            }
        }
        // A walk over an unchanging tree keeps to its path: no descent after the first.
        let before = tree.walk_descents.load(Ordering::Relaxed);
        assert_eq!(
            walk_numbers(&tree, Bound::Unbounded, Bound::Unbounded, false, usize::MAX).len(),
            present.len()
        );
        assert_eq!(
            walk_numbers(&tree, Bound::Unbounded, Bound::Unbounded, true, usize::MAX).len(),
            present.len()
        );
        assert_eq!(tree.walk_descents.load(Ordering::Relaxed), before);
        for _ in 0..30 {
            let (lower, upper) = (random_bound(&mut rng, KEYS), random_bound(&mut rng, KEYS));
            let reverse = rng.bool();
            let at_start = present.clone();
            let mut ever = present.clone();
            let mut removed = BTreeSet::new();
            let mut seen = Vec::new();
            let guard = epoch::pin();
            // The visitor itself inserts and removes keys all over the tree (the same
            // thread, so its writes retire nodes the walk may stand on).
            tree.visit_range(
                lower.map(number_key).as_ref().map(Vec::as_slice),
                upper.map(number_key).as_ref().map(Vec::as_slice),
                reverse,
                &guard,
                |key| {
                    let at = key_of(key);
                    seen.push(at);
                    for _ in 0..rng.usize(..6) {
                        // Mostly near the walk, so the nodes on its path change.
                        let key = if rng.u8(..4) == 0 {
                            rng.u64(..KEYS)
                        } else {
                            (at + rng.u64(..64)).saturating_sub(32).min(KEYS - 1)
                        };
                        if rng.bool() {
                            tree.insert(&number_key(key), &guard);
                            present.insert(key);
                            ever.insert(key);
                        } else if tree.remove(&number_key(key), &guard).is_some() {
                            present.remove(&key);
                            removed.insert(key);
                        }
                    }
                    true
                },
            );
            drop(guard);
            let ordered = strictly_ordered(&seen, reverse);
            assert!(ordered, "fanout {leaf}/{inner}: a walk out of order");
            assert!(seen
                .iter()
                .all(|&k| bound_holds(k, lower, upper) && ever.contains(&k)));
            let throughout = at_start.iter().filter(|&&k| bound_holds(k, lower, upper));
            for key in throughout.filter(|k| !removed.contains(k)) {
                assert!(seen.contains(key), "fanout {leaf}/{inner}: {key} missed");
            }
        }
        let descents = tree.walk_descents.load(Ordering::Relaxed);
        // (Wide nodes are seldom rebuilt: the widest tree is walked for its answers only.)
        assert!(
            descents > before || leaf == 64,
            "fanout {leaf}/{inner}: no walk left a stale path"
        );
        let all = walk_numbers(&tree, Bound::Unbounded, Bound::Unbounded, false, usize::MAX);
        assert_eq!(all, present.iter().copied().collect::<Vec<_>>());
    }
}

#[test]
fn many_readers_walk_both_ways_while_two_writers_churn() {
    const KEYS: u64 = 6000;
    let tree = Arc::new(OrderedTree::with_fanout(3, 3));
    {
        let guard = epoch::pin();
        for key in (0..KEYS).step_by(2) {
            tree.insert(&number_key(key), &guard);
        }
    }
    let done = Arc::new(AtomicBool::new(false));
    let walks = Arc::new(AtomicUsize::new(0));
    // Even keys stay for the whole test; each writer churns its own odd keys (1 or 3
    // modulo 4), so the two take turns at the tree's mutex and rebuild its inner nodes.
    let writers: Vec<_> = [1u64, 3]
        .into_iter()
        .map(|class| {
            let (tree, done) = (Arc::clone(&tree), Arc::clone(&done));
            thread::spawn(move || {
                let mut rng = fastrand::Rng::with_seed(class);
                let mut mine = BTreeSet::new();
                while !done.load(Ordering::Relaxed) {
                    let key = rng.u64(..KEYS / 4) * 4 + class;
                    let guard = epoch::pin();
                    if rng.bool() {
                        tree.insert(&number_key(key), &guard);
                        mine.insert(key);
                    } else {
                        tree.remove(&number_key(key), &guard);
                        mine.remove(&key);
                    }
                }
                mine
            })
        })
        .collect();
    let readers: Vec<_> = (0..4u64)
        .map(|seed| {
            let (tree, walks) = (Arc::clone(&tree), Arc::clone(&walks));
            thread::spawn(move || {
                let mut rng = fastrand::Rng::with_seed(seed + 100);
                for round in 0..150 {
                    let (lower, upper) =
                        (random_bound(&mut rng, KEYS), random_bound(&mut rng, KEYS));
                    let reverse = rng.bool();
                    let seen = if round % 3 == 0 && !reverse {
                        let (low, high) = (lower.map(number_key), upper.map(number_key));
                        let keys = batch_all(
                            &tree,
                            low.as_ref().map(Vec::as_slice),
                            high.as_ref().map(Vec::as_slice),
                            [3, 50, 700][rng.usize(..3)],
                        );
                        keys.iter().map(|key| key_of(key)).collect()
                    } else {
                        walk_numbers(&tree, lower, upper, reverse, usize::MAX)
                    };
                    let ordered = strictly_ordered(&seen, reverse);
                    assert!(ordered, "a walk out of order (or a key twice)");
                    assert!(seen
                        .iter()
                        .all(|&k| k < KEYS && bound_holds(k, lower, upper)));
                    let stable = (0..KEYS)
                        .step_by(2)
                        .filter(|&k| bound_holds(k, lower, upper));
                    let stable: Vec<u64> = stable.collect();
                    let seen_stable: Vec<u64> = if reverse {
                        seen.iter().rev().copied().filter(|k| k % 2 == 0).collect()
                    } else {
                        seen.iter().copied().filter(|k| k % 2 == 0).collect()
                    };
                    assert_eq!(seen_stable, stable, "a stable key missed");
                    walks.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    for reader in readers {
        reader.join().expect("a reader");
    }
    done.store(true, Ordering::Relaxed);
    let mut expected: BTreeSet<u64> = (0..KEYS).step_by(2).collect();
    for writer in writers {
        expected.extend(writer.join().expect("a writer"));
    }
    assert_eq!(walks.load(Ordering::Relaxed), 600);
    let all = walk_numbers(&tree, Bound::Unbounded, Bound::Unbounded, false, usize::MAX);
    assert_eq!(all, expected.into_iter().collect::<Vec<_>>());
    assert_eq!(tree.audit().0 > 0, !all.is_empty());
}
