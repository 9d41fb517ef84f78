//! Seeded inputs for the sketches' accuracy tests: uniform, Zipfian (log-uniform ranks, so
//! a few values repeat very often and most rarely) and adversarial streams (every value
//! distinct and in order, every value equal).

/// A stream shape the accuracy tests run over.
#[derive(Debug, Clone, Copy)]
pub enum Shape {
    /// Uniform over `0..range`.
    Uniform { range: u64 },
    /// Rank r drawn with probability about proportional to 1 / (r + 1), over `0..range`.
    Zipfian { range: u64 },
    /// 0, 1, 2, ...: every value distinct, in order.
    Sequential,
    /// The same value every time.
    AllEqual,
}

/// `count` values of `shape`, from the generator seeded with `seed`.
pub fn stream(shape: Shape, count: usize, seed: u64) -> Vec<i64> {
    let mut rng = fastrand::Rng::with_seed(seed);
    (0..count)
        .map(|at| match shape {
            Shape::Uniform { range } => rng.u64(0..range) as i64,
            Shape::Zipfian { range } => {
                let rank = ((range as f64 + 1.0).ln() * rng.f64()).exp() - 1.0;
                (rank as u64).min(range - 1) as i64
            }
            Shape::Sequential => at as i64,
            Shape::AllEqual => 42,
        })
        .collect()
}

/// Sizes the accuracy tests use: 10^3 to 10^6, and 10^7 when `EMBER_SKETCH_LARGE` is set.
pub fn sizes() -> Vec<usize> {
    let mut sizes = vec![1_000, 10_000, 100_000, 1_000_000];
    if std::env::var_os("EMBER_SKETCH_LARGE").is_some() {
        sizes.push(10_000_000);
    }
    sizes
}

/// The shapes over `count` values that the accuracy tests run.
pub fn shapes(count: usize) -> Vec<Shape> {
    let range = count as u64;
    vec![
        Shape::Uniform { range },
        Shape::Uniform {
            range: range / 10 + 1,
        },
        Shape::Zipfian { range },
        Shape::Sequential,
        Shape::AllEqual,
    ]
}

/// The share of `probes` absent hashes a bloom filter reports present, after `insert` took
/// `keys` hashes (each of which `contains` must then report: no false negative). The
/// hashes are `bloom::mix64` of even (inserted) and odd (absent) counters mixed with `seed`.
pub fn false_positive_rate(
    keys: u64,
    probes: u64,
    seed: u64,
    mut insert: impl FnMut(u64),
    contains: impl Fn(u64) -> bool,
) -> f64 {
    use super::bloom::mix64;
    for key in 0..keys {
        insert(mix64(seed ^ (key << 1)));
    }
    for key in 0..keys {
        assert!(contains(mix64(seed ^ (key << 1))), "no false negative");
    }
    let hits = (0..probes)
        .filter(|probe| contains(mix64(seed ^ ((probe << 1) | 1))))
        .count();
    hits as f64 / probes as f64
}
