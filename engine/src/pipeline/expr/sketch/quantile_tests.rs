//! KLL tests: on seeded streams the rank of each answer is within `RANK_ERROR` of the rank
//! asked for in at least 99% of trials, memory stays bounded, merges answer as a sketch of
//! the union does (within the same bound), and the byte format refuses damage.

use super::super::test_data::{shapes, sizes, stream, Shape};
use super::*;

const QS: [f64; 7] = [0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99];

fn sketch_of(values: &[i64]) -> Quantiles {
    let mut sketch = Quantiles::new();
    for &value in values {
        sketch.add(value as f64, true);
    }
    sketch
}

/// How far the rank of `answer` in `sorted` is from `q` (0 when `q` falls in its range).
fn rank_error(sorted: &[f64], answer: f64, q: f64) -> f64 {
    let n = sorted.len() as f64;
    let below = sorted.partition_point(|&x| x < answer) as f64 / n;
    let through = sorted.partition_point(|&x| x <= answer) as f64 / n;
    if q < below {
        below - q
    } else if q > through {
        q - through
    } else {
        0.0
    }
}

/// Trials of `sketch` over `values` and how many passed the bound.
fn misses(sketch: &Quantiles, values: &[i64]) -> (usize, usize) {
    let mut sorted: Vec<f64> = values.iter().map(|&v| v as f64).collect();
    sorted.sort_by(f64::total_cmp);
    let mut missed = 0;
    for (q, answer) in QS.iter().zip(sketch.quantiles(&QS)) {
        let error = rank_error(&sorted, answer.unwrap(), *q);
        if error > RANK_ERROR {
            eprintln!("q={q}: rank error {error}");
            missed += 1;
        }
    }
    (QS.len(), missed)
}

#[test]
fn ranks_stay_within_the_bound_in_99_percent_of_trials() {
    let (mut trials, mut missed) = (0, 0);
    for count in sizes() {
        let seeds = if count >= 1_000_000 { 3 } else { 10 };
        for shape in shapes(count) {
            for seed in 0..seeds {
                let values = stream(shape, count, seed);
                let (t, m) = misses(&sketch_of(&values), &values);
                trials += t;
                missed += m;
            }
        }
    }
    assert!(
        missed * 100 <= trials,
        "{missed} of {trials} trials passed the bound"
    );
}

#[test]
fn the_ends_are_exact_and_small_inputs_are_kept_whole() {
    let values: Vec<i64> = (1..=100).rev().collect();
    let sketch = sketch_of(&values);
    assert_eq!(sketch.quantile(0.0), Some(1.0));
    assert_eq!(sketch.quantile(1.0), Some(100.0));
    assert_eq!(sketch.quantile(0.5), Some(50.0));
    assert_eq!(Quantiles::new().quantile(0.5), None);
}

#[test]
fn memory_stays_bounded_as_the_stream_grows() {
    let mut retained = Vec::new();
    for count in [10_000, 100_000, 1_000_000] {
        let sketch = sketch_of(&stream(Shape::Uniform { range: 1 << 40 }, count, 1));
        assert!(sketch.retained() <= RETAINED_MAX);
        retained.push(sketch.retained());
    }
    assert!(retained.iter().all(|&kept| kept < 4 * K), "{retained:?}");
}

#[test]
fn merged_sketches_answer_within_the_bound_over_the_union() {
    let (mut trials, mut missed) = (0, 0);
    for seed in 0..10 {
        let a = stream(Shape::Uniform { range: 1_000_000 }, 300_000, seed);
        let b = stream(Shape::Zipfian { range: 1_000_000 }, 100_000, seed + 100);
        let mut merged = sketch_of(&a);
        merged.merge(&sketch_of(&b));
        let union: Vec<i64> = a.iter().chain(&b).copied().collect();
        assert_eq!(merged.count(), union.len() as u64);
        let (t, m) = misses(&merged, &union);
        trials += t;
        missed += m;
    }
    assert!(
        missed * 100 <= trials,
        "{missed} of {trials} trials passed the bound"
    );
}

#[test]
fn sketches_round_trip_and_refuse_damage() {
    let sketch = sketch_of(&stream(Shape::Zipfian { range: 5_000 }, 20_000, 9));
    let bytes = sketch.to_bytes();
    let read = Quantiles::from_bytes(&bytes).unwrap();
    assert_eq!(read.quantiles(&QS), sketch.quantiles(&QS));
    assert_eq!(read.count(), sketch.count());
    let mut rng = fastrand::Rng::with_seed(3);
    for _ in 0..300 {
        let mut damaged = bytes.clone();
        let bit = rng.usize(0..bytes.len() * 8);
        damaged[bit / 8] ^= 1 << (bit % 8);
        assert!(Quantiles::from_bytes(&damaged).is_err());
    }
    for length in [0, 5, 12, bytes.len() / 3, bytes.len() - 1] {
        assert!(Quantiles::from_bytes(&bytes[..length]).is_err());
    }
    let topk = super::super::topk::TopK::new(3).to_bytes();
    assert!(Quantiles::from_bytes(&topk)
        .unwrap_err()
        .to_string()
        .contains("top-k"));
}
