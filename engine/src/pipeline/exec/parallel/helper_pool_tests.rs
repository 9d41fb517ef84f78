//! Tests of the helper pool: every part runs once and comes back in order, from many
//! statements at once; helpers do take parts; a panic on a helper or on the calling thread
//! leaves no helper inside a finished call.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use super::run;

fn on_helper() -> bool {
    std::thread::current()
        .name()
        .is_some_and(|name| name.starts_with("ember-helper-"))
}

#[test]
fn every_part_runs_once_in_order() {
    for helpers in [0, 1, 3, 8, 20] {
        for parts in [0, 1, 2, 7, 64] {
            let runs: Vec<AtomicUsize> = (0..parts).map(|_| AtomicUsize::new(0)).collect();
            let results = run(parts, helpers, &|part| {
                runs[part].fetch_add(1, Ordering::Relaxed);
                part * 10
            });
            let expected: Vec<Option<usize>> = (0..parts).map(|part| Some(part * 10)).collect();
            assert_eq!(results, expected, "{parts} parts, {helpers} helpers");
            assert!(runs.iter().all(|count| count.load(Ordering::Relaxed) == 1));
        }
    }
}

#[test]
fn many_statements_share_the_helpers() {
    let total = AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for thread in 0..8usize {
            let total = &total;
            scope.spawn(move || {
                for round in 0..200usize {
                    let parts = 1 + (thread + round) % 9;
                    let helpers = (thread + round) % 4;
                    let results = run(parts, helpers, &|part| {
                        // Borrowed from this statement's stack, as a scan's plan is.
                        (thread, round, part)
                    });
                    for (part, result) in results.into_iter().enumerate() {
                        assert_eq!(result, Some((thread, round, part)));
                    }
                    total.fetch_add(parts, Ordering::Relaxed);
                }
            });
        }
    });
    let expected: usize = (0..8usize)
        .flat_map(|thread| (0..200usize).map(move |round| 1 + (thread + round) % 9))
        .sum();
    assert_eq!(total.load(Ordering::Relaxed), expected);
}

#[test]
fn helpers_take_parts() {
    let on_helpers = AtomicUsize::new(0);
    let results = run(50, 1, &|part| {
        if on_helper() {
            on_helpers.fetch_add(1, Ordering::Relaxed);
        }
        std::thread::sleep(Duration::from_millis(2));
        part
    });
    assert!(results.iter().all(Option::is_some));
    assert!(
        on_helpers.load(Ordering::Relaxed) > 0,
        "a helper joined a 100 ms call"
    );
}

#[test]
fn a_panic_on_a_helper_leaves_its_part_empty() {
    let results = run(40, 2, &|part| {
        std::thread::sleep(Duration::from_millis(1));
        if on_helper() {
            panic!("part {part} fails on a helper (on purpose)");
        }
        part
    });
    for (part, result) in results.iter().enumerate() {
        assert!(result.is_none_or(|value| value == part));
    }
    // The helpers are still there and well.
    let results = run(8, 2, &|part| part);
    assert_eq!(results, (0..8).map(Some).collect::<Vec<_>>());
}

#[test]
fn a_panic_on_the_caller_waits_for_the_helpers() {
    let inside = AtomicUsize::new(0);
    let finished = AtomicUsize::new(0);
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        run(30, 3, &|part| {
            if !on_helper() {
                // Fails once a helper is inside a part (or after a second without one).
                for _ in 0..1000 {
                    if inside.load(Ordering::SeqCst) > 0 {
                        break;
                    }
                    std::thread::sleep(Duration::from_millis(1));
                }
                panic!("the caller's part {part} fails (on purpose)");
            }
            inside.fetch_add(1, Ordering::SeqCst);
            std::thread::sleep(Duration::from_millis(20));
            finished.fetch_add(1, Ordering::SeqCst);
            inside.fetch_sub(1, Ordering::SeqCst);
            part
        })
    }));
    assert!(outcome.is_err(), "the caller's panic unwinds from `run`");
    // `run` returned only after every helper left the call: none is still inside a part,
    // and no part starts later.
    assert_eq!(inside.load(Ordering::SeqCst), 0);
    let done = finished.load(Ordering::SeqCst);
    std::thread::sleep(Duration::from_millis(50));
    assert_eq!(finished.load(Ordering::SeqCst), done);
}
