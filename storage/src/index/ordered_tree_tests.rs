//! Tests of the ordered-index B+-tree: against a `BTreeSet` model (random inserts,
//! removes, bounded walks both ways), byte accounting, and a writer changing the tree while
//! readers walk it (every walk ordered, complete for the keys present throughout it, made
//! only of keys that were inserted).

use std::collections::{BTreeSet, HashMap};
use std::ops::Bound;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Barrier};
use std::thread;

use crossbeam_epoch as epoch;

use super::*;

/// A random key: few distinct bytes and lengths around the 16-byte head, so keys often
/// share prefixes, are prefixes of each other and differ at, before and after byte 16.
fn random_key(rng: &mut fastrand::Rng) -> Vec<u8> {
    let len = [0, 1, 2, 8, 15, 16, 17, 20][rng.usize(..8)];
    (0..len).map(|_| [0u8, 1, 7, 255][rng.usize(..4)]).collect()
}

fn random_bound(rng: &mut fastrand::Rng) -> Bound<Vec<u8>> {
    match rng.u8(..3) {
        0 => Bound::Unbounded,
        1 => Bound::Included(random_key(rng)),
        _ => Bound::Excluded(random_key(rng)),
    }
}

fn within(key: &[u8], lower: &Bound<Vec<u8>>, upper: &Bound<Vec<u8>>) -> bool {
    let above = match lower {
        Bound::Unbounded => true,
        Bound::Included(low) => key >= &low[..],
        Bound::Excluded(low) => key > &low[..],
    };
    let below = match upper {
        Bound::Unbounded => true,
        Bound::Included(high) => key <= &high[..],
        Bound::Excluded(high) => key < &high[..],
    };
    above && below
}

/// Every key of `list`, in order (`reverse`: descending).
fn walk_all(list: &OrderedTree, reverse: bool) -> Vec<Vec<u8>> {
    walk(
        list,
        &Bound::Unbounded,
        &Bound::Unbounded,
        reverse,
        usize::MAX,
    )
}

fn walk(
    list: &OrderedTree,
    lower: &Bound<Vec<u8>>,
    upper: &Bound<Vec<u8>>,
    reverse: bool,
    limit: usize,
) -> Vec<Vec<u8>> {
    let guard = epoch::pin();
    let mut out = Vec::new();
    list.visit_range(
        lower.as_ref().map(Vec::as_slice),
        upper.as_ref().map(Vec::as_slice),
        reverse,
        &guard,
        |key| {
            out.push(key.to_vec());
            out.len() < limit
        },
    );
    out
}

#[test]
fn list_matches_a_btreeset_under_random_operations() {
    for seed in 0..12 {
        let mut rng = fastrand::Rng::with_seed(seed);
        // Small nodes half the time, so few keys grow a deep tree.
        let list = if seed % 2 == 0 {
            OrderedTree::new()
        } else {
            OrderedTree::with_fanout(2 + seed as usize % 3, 3 + seed as usize % 2)
        };
        let mut model = BTreeSet::new();
        let mut bytes_now = 0usize;
        for _ in 0..4000 {
            let guard = epoch::pin();
            match rng.u8(..11) {
                10 => {
                    // Let the epoch free what was retired, so later writes build into
                    // pooled leaves.
                    drop(guard);
                    for _ in 0..4 {
                        epoch::pin().flush();
                    }
                }
                0..=3 => {
                    let key = random_key(&mut rng);
                    let added = list.insert(&key, &guard);
                    assert_eq!(added.is_some(), model.insert(key.clone()), "insert {key:?}");
                    // A leaf's block grows in steps, so an insert may grow nothing.
                    bytes_now += added.unwrap_or(0);
                }
                4..=6 => {
                    let key = random_key(&mut rng);
                    let removed = list.remove(&key, &guard);
                    assert_eq!(removed.is_some(), model.remove(&key), "remove {key:?}");
                    bytes_now -= removed.unwrap_or(0);
                }
                _ => {
                    let lower = random_bound(&mut rng);
                    let upper = random_bound(&mut rng);
                    let reverse = rng.bool();
                    let limit = if rng.bool() {
                        usize::MAX
                    } else {
                        rng.usize(1..6)
                    };
                    let mut expected: Vec<Vec<u8>> = model
                        .iter()
                        .filter(|key| within(key, &lower, &upper))
                        .cloned()
                        .collect();
                    if reverse {
                        expected.reverse();
                    }
                    expected.truncate(limit);
                    assert_eq!(
                        walk(&list, &lower, &upper, reverse, limit),
                        expected,
                        "seed {seed}: {lower:?}..{upper:?} reverse {reverse}"
                    );
                }
            }
            assert_eq!(list.len(), model.len());
            // What inserts and removals reported is what the nodes hold, and that holds
            // every key.
            assert_eq!(list.audit().0, bytes_now, "seed {seed}");
            assert!(bytes_now >= model.iter().map(Vec::len).sum::<usize>());
        }
        assert!(
            list.pool.reused() > 0,
            "seed {seed}: no write built into a pooled leaf"
        );
        assert!(model.is_empty() || list.audit().1 >= 1);
        let all = walk_all(&list, false);
        assert_eq!(all, model.iter().cloned().collect::<Vec<_>>());
        let mut backward = walk_all(&list, true);
        backward.reverse();
        assert_eq!(backward, all);
    }
}

/// Runs of ascending and descending keys (row ids under one value), inserted and removed
/// between jumps elsewhere, on small and default nodes: writes start at the finger's leaf
/// when their key is within its bounds (a debug assertion checks each against a descent
/// from the root), and the tree matches the model throughout.
#[test]
fn runs_of_nearby_keys_start_at_the_last_leaf_and_stay_right() {
    for (seed, list) in [
        (1, OrderedTree::with_fanout(3, 3)),
        (2, OrderedTree::with_fanout(8, 4)),
        (3, OrderedTree::new()),
    ] {
        let mut rng = fastrand::Rng::with_seed(seed);
        let mut model = BTreeSet::new();
        let mut bytes_now = 0usize;
        for _ in 0..300 {
            let guard = epoch::pin();
            let start = rng.u64(..2000);
            let step: i64 = if rng.bool() { 1 } else { -1 };
            let remove = rng.u8(..3) == 0;
            for at in 0..rng.i64(1..40) {
                let key = numbered_key(start.saturating_add_signed(at * step));
                if remove {
                    let removed = list.remove(&key, &guard);
                    assert_eq!(removed.is_some(), model.remove(&key), "remove {key:?}");
                    bytes_now -= removed.unwrap_or(0);
                } else {
                    let added = list.insert(&key, &guard);
                    assert_eq!(added.is_some(), model.insert(key.clone()), "insert {key:?}");
                    bytes_now += added.unwrap_or(0);
                }
            }
            assert_eq!(list.len(), model.len());
            assert_eq!(list.audit().0, bytes_now, "seed {seed}");
        }
        let all = walk_all(&list, false);
        assert_eq!(all, model.iter().cloned().collect::<Vec<_>>());
        let hits = list.finger_hits.load(Ordering::Relaxed);
        assert!(
            hits > 1000,
            "seed {seed}: only {hits} writes started at the finger"
        );
    }
}

/// A deep tree grown, then emptied in random order: every removal gives back what it
/// freed (roots collapse on the way), and the empty tree holds nothing.
#[test]
fn draining_a_deep_tree_gives_every_byte_back() {
    for (seed, (leaf, inner)) in [(2, 3), (3, 3), (4, 5), (64, 64)].into_iter().enumerate() {
        let mut rng = fastrand::Rng::with_seed(seed as u64);
        let list = OrderedTree::with_fanout(leaf, inner);
        let guard = epoch::pin();
        let mut keys: Vec<Vec<u8>> = (0..3000u64).map(|i| i.to_be_bytes().to_vec()).collect();
        rng.shuffle(&mut keys);
        let mut bytes_now = 0;
        for key in &keys {
            bytes_now += list.insert(key, &guard).expect("a new key");
        }
        assert_eq!(list.audit().0, bytes_now);
        assert!(list.audit().1 >= 2);
        rng.shuffle(&mut keys);
        for (step, key) in keys.iter().enumerate() {
            bytes_now -= list.remove(key, &guard).expect("a present key");
            if step % 25 == 0 {
                assert_eq!(
                    list.audit().0,
                    bytes_now,
                    "fanout {leaf}/{inner} step {step}"
                );
            }
        }
        assert_eq!((bytes_now, list.audit()), (0, (0, 0)));
        assert!(list.is_empty());
    }
}

/// Keys of up to 3,000 bytes, so leaves and inner nodes split by bytes, not by count.
#[test]
fn long_keys_split_nodes_by_bytes_and_the_bytes_add_up() {
    for seed in 0..4 {
        let mut rng = fastrand::Rng::with_seed(seed);
        let list = OrderedTree::new();
        let mut model = BTreeSet::new();
        let mut bytes_now = 0usize;
        for step in 0..3000 {
            let guard = epoch::pin();
            let mut key = random_key(&mut rng);
            key.extend(std::iter::repeat_n(7u8, [0, 10, 300, 3000][rng.usize(..4)]));
            key.push(rng.u8(..));
            if rng.u8(..3) < 2 {
                let added = list.insert(&key, &guard);
                assert_eq!(added.is_some(), model.insert(key.clone()));
                bytes_now += added.unwrap_or(0);
            } else {
                let removed = list.remove(&key, &guard);
                assert_eq!(removed.is_some(), model.remove(&key));
                bytes_now -= removed.unwrap_or(0);
            }
            if step % 50 == 0 {
                assert_eq!(list.audit().0, bytes_now, "seed {seed} step {step}");
            }
        }
        assert_eq!(list.audit().0, bytes_now);
        let unbounded = Bound::<Vec<u8>>::Unbounded;
        let all = walk(&list, &unbounded, &unbounded, false, usize::MAX);
        assert_eq!(all, model.iter().cloned().collect::<Vec<_>>());
    }
}

#[test]
fn empty_and_inverted_ranges_visit_nothing() {
    let list = OrderedTree::new();
    let guard = epoch::pin();
    let unbounded = Bound::<Vec<u8>>::Unbounded;
    assert!(walk(&list, &unbounded, &unbounded, false, usize::MAX).is_empty());
    assert!(walk(&list, &unbounded, &unbounded, true, usize::MAX).is_empty());
    for key in [b"a".as_slice(), b"b", b"c"] {
        assert!(list.insert(key, &guard).is_some());
    }
    assert!(list.insert(b"b", &guard).is_none());
    for reverse in [false, true] {
        let high = Bound::Included(b"a".to_vec());
        let low = Bound::Included(b"c".to_vec());
        assert!(walk(&list, &low, &high, reverse, usize::MAX).is_empty());
        let point = Bound::Excluded(b"b".to_vec());
        let at = Bound::Included(b"b".to_vec());
        assert!(walk(&list, &at, &point, reverse, usize::MAX).is_empty());
        assert_eq!(
            walk(&list, &at, &at, reverse, usize::MAX),
            vec![b"b".to_vec()]
        );
    }
}

#[test]
fn many_writers_are_serialized() {
    let list = Arc::new(OrderedTree::new());
    let threads: Vec<_> = (0..4u64)
        .map(|t| {
            let list = Arc::clone(&list);
            thread::spawn(move || {
                for i in 0..2000u64 {
                    let guard = epoch::pin();
                    let key = (i * 4 + t).to_be_bytes();
                    assert!(list.insert(&key, &guard).is_some());
                    if i % 2 == 1 {
                        assert!(list.remove(&key, &guard).is_some());
                    }
                }
            })
        })
        .collect();
    for thread in threads {
        thread.join().expect("writer");
    }
    let expected: Vec<Vec<u8>> = (0..8000u64)
        .filter(|k| (k / 4) % 2 == 0)
        .map(|k| k.to_be_bytes().to_vec())
        .collect();
    let unbounded = Bound::<Vec<u8>>::Unbounded;
    assert_eq!(
        walk(&list, &unbounded, &unbounded, false, usize::MAX),
        expected
    );
    let mut backward = walk(&list, &unbounded, &unbounded, true, usize::MAX);
    backward.reverse();
    assert_eq!(backward, expected);
    assert_eq!(list.len(), expected.len());
}

/// Key `i` of the concurrency test: fixed-width digits (so keys order as `i`), then 0 to 6
/// filler bytes, so lengths straddle the 16-byte head.
fn numbered_key(i: u64) -> Vec<u8> {
    let mut key = format!("{i:012}").into_bytes();
    key.extend(std::iter::repeat_n(b'x', (i % 7) as usize));
    key
}

/// One reader's walk: its bounds (key numbers), direction, the counter before and after,
/// what it saw and whether it stopped at its limit.
struct Walk {
    lower: Bound<u64>,
    upper: Bound<u64>,
    reverse: bool,
    start: u64,
    end: u64,
    seen: Vec<u64>,
    limited: bool,
}

const KEYS: u64 = 1500;
const WALK_LIMIT: usize = 80;

fn key_number(key: &[u8]) -> u64 {
    std::str::from_utf8(&key[..12])
        .expect("digits")
        .parse()
        .expect("a number")
}

fn reader_walks(
    list: &OrderedTree,
    counter: &AtomicU64,
    done: &AtomicBool,
    seed: u64,
) -> Vec<Walk> {
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut walks = Vec::new();
    while !done.load(Ordering::Acquire) && walks.len() < 20_000 {
        let bound = |rng: &mut fastrand::Rng| match rng.u8(..3) {
            0 => Bound::Unbounded,
            1 => Bound::Included(rng.u64(..KEYS)),
            _ => Bound::Excluded(rng.u64(..KEYS)),
        };
        let lower = bound(&mut rng);
        let upper = bound(&mut rng);
        let reverse = rng.bool();
        let encode = |b: Bound<u64>| b.map(numbered_key);
        let (low, high) = (encode(lower), encode(upper));
        let start = counter.load(Ordering::SeqCst);
        let seen = walk(list, &low, &high, reverse, WALK_LIMIT);
        let end = counter.load(Ordering::SeqCst);
        walks.push(Walk {
            lower,
            upper,
            reverse,
            start,
            end,
            limited: seen.len() == WALK_LIMIT,
            seen: seen.iter().map(|key| key_number(key)).collect(),
        });
    }
    walks
}

fn in_bounds(i: u64, lower: Bound<u64>, upper: Bound<u64>) -> bool {
    (match lower {
        Bound::Unbounded => true,
        Bound::Included(low) => i >= low,
        Bound::Excluded(low) => i > low,
    }) && (match upper {
        Bound::Unbounded => true,
        Bound::Included(high) => i <= high,
        Bound::Excluded(high) => i < high,
    })
}

/// One time a key was in the list: the counter values after its insert, before its remove
/// and after it (`u64::MAX`: not removed).
#[derive(Clone, Copy)]
struct Life {
    inserted: u64,
    removing: u64,
    removed: u64,
}

/// Checks one walk against the writer's history (every life of every key).
fn check_walk(walk: &Walk, history: &HashMap<u64, Vec<Life>>) {
    for pair in walk.seen.windows(2) {
        let ordered = if walk.reverse {
            pair[0] > pair[1]
        } else {
            pair[0] < pair[1]
        };
        assert!(ordered, "walk out of order: {:?}", walk.seen);
    }
    for &key in &walk.seen {
        let lives = history.get(&key).map(Vec::as_slice).unwrap_or_default();
        // The walk may meet a key being inserted or removed, not one removed before it.
        assert!(
            lives.iter().any(|life| life.removed > walk.start),
            "key {key} was not in the list during the walk"
        );
        assert!(
            in_bounds(key, walk.lower, walk.upper),
            "key {key} out of bounds"
        );
    }
    // The keys the walk covered: all in bounds, or up to where it stopped at its limit.
    let last = walk.seen.last().copied();
    let covered = |i: u64| {
        in_bounds(i, walk.lower, walk.upper)
            && match (walk.limited, last) {
                (true, Some(last)) if walk.reverse => i >= last,
                (true, Some(last)) => i <= last,
                _ => true,
            }
    };
    for (&key, lives) in history {
        let throughout = lives
            .iter()
            .any(|life| life.inserted <= walk.start && life.removing > walk.end);
        if throughout && covered(key) {
            assert!(
                walk.seen.contains(&key),
                "key {key} present throughout [{}, {}] missed by {:?}..{:?} reverse {}: {:?}",
                walk.start,
                walk.end,
                walk.lower,
                walk.upper,
                walk.reverse,
                walk.seen
            );
        }
    }
}

#[test]
fn readers_walking_both_ways_see_ordered_complete_walks_while_a_writer_churns() {
    let list = Arc::new(OrderedTree::with_fanout(4, 4));
    // Counter values: an insert takes one after linking its key, a remove one before
    // unlinking and one after, so a walk that began at or after an insert's value reaches
    // that key, a walk that ended below a remove's first value saw none of the removal,
    // and one that began at or after its second value cannot meet the key.
    let counter = Arc::new(AtomicU64::new(0));
    let done = Arc::new(AtomicBool::new(false));
    let mut history: HashMap<u64, Vec<Life>> = HashMap::new();
    let forever = Life {
        inserted: 0,
        removing: u64::MAX,
        removed: u64::MAX,
    };
    {
        let guard = epoch::pin();
        for i in (0..KEYS).step_by(3) {
            assert!(list.insert(&numbered_key(i), &guard).is_some());
            history.insert(i, vec![forever]);
        }
    }
    let readers = 3;
    let barrier = Arc::new(Barrier::new(readers + 1));
    let reader_threads: Vec<_> = (0..readers as u64)
        .map(|seed| {
            let (list, counter, done, barrier) = (
                Arc::clone(&list),
                Arc::clone(&counter),
                Arc::clone(&done),
                Arc::clone(&barrier),
            );
            thread::spawn(move || {
                barrier.wait();
                reader_walks(&list, &counter, &done, seed)
            })
        })
        .collect();
    barrier.wait();
    let mut rng = fastrand::Rng::with_seed(99);
    let mut present: BTreeSet<u64> = BTreeSet::new();
    for _ in 0..40_000 {
        let guard = epoch::pin();
        // Churn among the keys not inserted up front, and now and then a burst of
        // neighbours so towers and back links of adjacent nodes change together.
        let first = rng.u64(..KEYS);
        let run = if rng.u8(..8) == 0 { 6 } else { 1 };
        for key in (first..(first + run).min(KEYS)).filter(|k| k % 3 != 0) {
            if present.remove(&key) {
                let removing = counter.fetch_add(1, Ordering::SeqCst) + 1;
                assert!(list.remove(&numbered_key(key), &guard).is_some());
                let removed = counter.fetch_add(1, Ordering::SeqCst) + 1;
                let lives = history.get_mut(&key).expect("inserted before");
                let life = lives.last_mut().expect("a life");
                (life.removing, life.removed) = (removing, removed);
            } else {
                assert!(list.insert(&numbered_key(key), &guard).is_some());
                let at = counter.fetch_add(1, Ordering::SeqCst) + 1;
                history.entry(key).or_default().push(Life {
                    inserted: at,
                    ..forever
                });
                present.insert(key);
            }
        }
    }
    done.store(true, Ordering::Release);
    let mut walks = 0;
    for thread in reader_threads {
        for walk in thread.join().expect("reader") {
            check_walk(&walk, &history);
            walks += 1;
        }
    }
    assert!(walks > 0);
    let expected: Vec<u64> = (0..KEYS)
        .filter(|k| k % 3 == 0 || present.contains(k))
        .collect();
    let unbounded = Bound::<Vec<u8>>::Unbounded;
    let all = walk(&list, &unbounded, &unbounded, false, usize::MAX);
    assert_eq!(
        all.iter().map(|k| key_number(k)).collect::<Vec<_>>(),
        expected
    );
}

/// `insert_sorted` into empty and filled trees, small fanouts (deep trees) and the default
/// ones: the tree holds the union of its keys and the loaded ones, each once, walks give
/// them in order both ways, the bytes returned add up to what the nodes hold, and writes
/// one key at a time go on working on the loaded tree.
#[test]
fn sorted_loads_merge_with_the_keys_held_and_keep_the_tree_whole() {
    for seed in 0..40u64 {
        let mut rng = fastrand::Rng::with_seed(seed);
        let list = if seed % 2 == 0 {
            OrderedTree::with_fanout(3, 3)
        } else {
            OrderedTree::new()
        };
        let guard = epoch::pin();
        let mut model = BTreeSet::new();
        let mut bytes_now = 0isize;
        for _ in 0..rng.usize(..30) {
            let key = random_key(&mut rng);
            if let Some(grown) = list.insert(&key, &guard) {
                bytes_now += grown as isize;
            }
            model.insert(key);
        }
        let mut loaded: Vec<Vec<u8>> = (0..rng.usize(..400))
            .map(|_| random_key(&mut rng))
            .collect();
        loaded.extend((0..rng.usize(..200)).map(|i: usize| i.to_be_bytes().to_vec()));
        loaded.sort();
        loaded.dedup();
        let keys: Vec<&[u8]> = loaded.iter().map(Vec::as_slice).collect();
        bytes_now += list.insert_sorted(&keys, &guard);
        model.extend(loaded.iter().cloned());
        let expected: Vec<Vec<u8>> = model.iter().cloned().collect();
        assert_eq!(walk_all(&list, false), expected, "seed {seed}");
        let mut descending = expected.clone();
        descending.reverse();
        assert_eq!(walk_all(&list, true), descending, "seed {seed}");
        assert_eq!(list.len(), model.len(), "seed {seed}");
        assert_eq!(list.audit().0 as isize, bytes_now, "seed {seed}");
        for step in 0..200 {
            let key = random_key(&mut rng);
            if rng.bool() {
                let grown = list.insert(&key, &guard);
                assert_eq!(
                    grown.is_some(),
                    model.insert(key),
                    "seed {seed} step {step}"
                );
                bytes_now += grown.unwrap_or(0) as isize;
            } else {
                let shrunk = list.remove(&key, &guard);
                assert_eq!(
                    shrunk.is_some(),
                    model.remove(&key),
                    "seed {seed} step {step}"
                );
                bytes_now -= shrunk.unwrap_or(0) as isize;
            }
        }
        let expected: Vec<Vec<u8>> = model.into_iter().collect();
        assert_eq!(walk_all(&list, false), expected, "seed {seed}");
        assert_eq!(list.audit().0 as isize, bytes_now, "seed {seed}");
    }
}

/// Long keys fill leaves by bytes, not count: a sorted load of keys near the byte limits
/// builds leaves and inner nodes within them, and the tree stays whole.
#[test]
fn sorted_loads_of_long_keys_split_by_bytes() {
    let list = OrderedTree::new();
    let guard = epoch::pin();
    let keys: Vec<Vec<u8>> = (0..3000u32)
        .map(|i| {
            let mut key = i.to_be_bytes().to_vec();
            key.resize(4 + (i as usize * 37) % 1500, b'x');
            key
        })
        .collect();
    let slices: Vec<&[u8]> = keys.iter().map(Vec::as_slice).collect();
    let grown = list.insert_sorted(&slices, &guard);
    assert_eq!(list.audit().0 as isize, grown);
    assert!(
        list.audit().1 >= 3,
        "leaves of a few long keys make a deep tree"
    );
    assert_eq!(walk_all(&list, false), keys);
    assert_eq!(
        list.insert_sorted(&[], &guard),
        0,
        "an empty load changes nothing"
    );
    assert_eq!(walk_all(&list, false), keys);
}

/// `remove_sorted` of few keys (a leaf built per leaf changed) and of most keys (the tree
/// rebuilt), with keys absent among them, on small fanouts (deep trees) and the default
/// ones: the tree holds the keys left, walks give them in order both ways, the count and
/// the bytes returned add up, and writes one key at a time go on working afterwards.
#[test]
fn sorted_removals_leave_the_other_keys_and_keep_the_tree_whole() {
    for seed in 0..40u64 {
        let mut rng = fastrand::Rng::with_seed(seed);
        let list = if seed % 2 == 0 {
            OrderedTree::with_fanout(3, 3)
        } else {
            OrderedTree::new()
        };
        let guard = epoch::pin();
        let mut model = BTreeSet::new();
        let mut bytes_now = 0isize;
        for _ in 0..rng.usize(..600) {
            let key = random_key(&mut rng);
            if let Some(grown) = list.insert(&key, &guard) {
                bytes_now += grown as isize;
            }
            model.insert(key);
        }
        // Seeds below 20 remove a few keys, the others most of them.
        let share = if seed < 20 { 10 } else { 90 };
        let mut gone: Vec<Vec<u8>> = model
            .iter()
            .filter(|_| rng.usize(..100) < share)
            .cloned()
            .collect();
        gone.extend((0..rng.usize(..20)).map(|_| random_key(&mut rng)));
        gone.sort();
        gone.dedup();
        let keys: Vec<&[u8]> = gone.iter().map(Vec::as_slice).collect();
        let present = gone.iter().filter(|key| model.contains(*key)).count();
        let (grown, removed) = list.remove_sorted(&keys, &guard);
        bytes_now += grown;
        assert_eq!(removed, present, "seed {seed}");
        for key in &gone {
            model.remove(key);
        }
        let expected: Vec<Vec<u8>> = model.iter().cloned().collect();
        assert_eq!(walk_all(&list, false), expected, "seed {seed}");
        let mut descending = expected.clone();
        descending.reverse();
        assert_eq!(walk_all(&list, true), descending, "seed {seed}");
        assert_eq!(list.len(), model.len(), "seed {seed}");
        assert_eq!(list.audit().0 as isize, bytes_now, "seed {seed}");
        for step in 0..100 {
            let key = random_key(&mut rng);
            let grown = list.insert(&key, &guard);
            assert_eq!(
                grown.is_some(),
                model.insert(key),
                "seed {seed} step {step}"
            );
            bytes_now += grown.unwrap_or(0) as isize;
        }
        let expected: Vec<Vec<u8>> = model.into_iter().collect();
        assert_eq!(walk_all(&list, false), expected, "seed {seed}");
        assert_eq!(list.audit().0 as isize, bytes_now, "seed {seed}");
    }
}
