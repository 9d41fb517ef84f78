//! round(): the fast path against SQLite 3.54's digits over many values, the digits'
//! conversion back to a double against Rust's exact parser, and fixed answers of the
//! bundled SQLite.

use super::*;

/// Random doubles of the shapes round() meets: halves and near-halves at few decimals,
/// every scale, random bit patterns, integers divided by powers of ten and of two.
fn sample(rng: &mut fastrand::Rng) -> f64 {
    match rng.u8(0..7) {
        0 => rng.i64(-1_000_000..1_000_000) as f64 / 10f64.powi(rng.i32(1..=6)),
        1 => (rng.f64() - 0.5) * 10f64.powi(rng.i32(-20..=16)),
        2 => f64::from_bits(rng.u64(..)),
        3 => rng.i64(-100_000..100_000) as f64 / 8.0 + 0.005,
        4 => (rng.i64(..) as f64) / 1e3,
        5 => rng.i64(-1_000_000..1_000_000) as f64 / 1000.0 + 0.0005,
        _ => rng.f64(),
    }
}

#[test]
fn fast_path_gives_the_digits_answer() {
    let mut rng = fastrand::Rng::with_seed(22);
    let mut fast_taken = 0;
    let mut checked = 0;
    for _ in 0..400_000 {
        let digits = rng.usize(1..=FAST_DIGITS_MAX);
        let r = sample(&mut rng);
        if !r.is_finite() || !(-EXACT_BEYOND..=EXACT_BEYOND).contains(&r) {
            continue;
        }
        checked += 1;
        if round_fast(r.abs(), digits).is_some() {
            fast_taken += 1;
        }
        let (got, want) = (
            round_like_printf(r, digits),
            round_through_digits(r, digits),
        );
        assert_eq!(got.to_bits(), want.to_bits(), "round({r:?}, {digits})");
    }
    // The fast path is the common case, so the comparison above exercised it.
    assert!(fast_taken > checked / 2, "{fast_taken} of {checked}");
}

#[test]
fn digits_read_back_to_the_nearest_double() {
    let mut rng = fastrand::Rng::with_seed(54);
    for _ in 0..200_000 {
        let digits = match rng.u8(0..3) {
            0 => rng.u64(1..1_000_000),
            1 => rng.u64(1..10_000_000_000_000_000),
            _ => rng.u64(1..u64::MAX / 10),
        };
        let power = rng.i32(-40..=20);
        let want: f64 = format!("{digits}e{power}").parse().unwrap();
        let got = super::super::round_decimal::decimal_to_double(digits, power);
        assert_eq!(got.to_bits(), want.to_bits(), "{digits}e{power}");
    }
}

#[test]
fn edges_take_the_digits_path() {
    // Exactly a half, near a half, at or past 10^14 scaled, digits past 15.
    assert_eq!(round_fast(0.5, 0), None);
    assert_eq!(round_fast(0.125, 2), None);
    assert_eq!(round_fast(1e12, 2), None);
    assert_eq!(round_fast(0.3, 16), None);
    assert!(round_fast(0.3, 2).is_some());
}

#[test]
fn answers_of_the_bundled_sqlite() {
    // (x, digits, SQLite 3.54's round(x, digits)), from rusqlite's bundled SQLite.
    let answers: [(f64, usize, f64); 17] = [
        (0.125, 2, 0.13),
        (2.675, 2, 2.67),
        (-2.675, 2, -2.67),
        (1.005, 2, 1.0),
        (0.285, 2, 0.28),
        (0.15, 1, 0.1),
        (2.5, 0, 3.0),
        (-0.5, 0, -1.0),
        (6387.39, 12, 6387.39),
        (0.1 + 0.2, 15, 0.3),
        (0.1 + 0.2, 17, 0.30000000000000004),
        (123.456, 14, 123.456),
        (-1.2355, 3, -1.236),
        (123456789.9876543, 5, 123456789.98765),
        (1e-20, 3, 0.0),
        (1e300, 3, 1e300),
        (4503599627370495.5, 1, 4503599627370495.5),
    ];
    for (x, digits, want) in answers {
        let got = round_real(x, digits);
        assert_eq!(
            got.to_bits(),
            want.to_bits(),
            "round({x:?}, {digits}): {got:?}"
        );
    }
    assert_eq!(round_real(-0.001, 2).to_bits(), (-0.0f64).to_bits());
    assert_eq!(round_real(-0.0, 2).to_bits(), 0.0f64.to_bits());
}
