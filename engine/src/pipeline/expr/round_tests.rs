//! round(): the fast path against the formatted expansion over many values, and fixed
//! answers of SQLite.

use super::*;

/// `round_like_printf` computed by the formatted expansion only.
fn slow(r: f64, digits: usize) -> f64 {
    let magnitude = r.abs();
    let mut rounder = ROUNDERS[digits];
    let binary_exponent = ((magnitude.to_bits() >> 52) & 0x7ff) as i64 - 1023;
    if digits as i64 + binary_exponent / 3 < 15 {
        rounder += magnitude * 3e-16;
    }
    let truncated = truncate_decimal(magnitude + rounder, digits);
    if r < 0.0 {
        -truncated
    } else {
        truncated
    }
}

#[test]
fn rounders_are_sqlites_loop() {
    let mut rounder = 0.5f64;
    for expected in ROUNDERS {
        assert_eq!(expected.to_bits(), rounder.to_bits());
        rounder *= 0.1;
    }
}

#[test]
fn fast_path_gives_the_formatted_answer() {
    let mut rng = fastrand::Rng::with_seed(22);
    let mut fast_taken = 0;
    let mut checked = 0;
    for _ in 0..200_000 {
        let digits = rng.usize(1..=FAST_DIGITS_MAX);
        let r = match rng.u8(0..6) {
            // Few decimals: halves and near-halves (0.125, 2.675, 1.005).
            0 => rng.i64(-1_000_000..1_000_000) as f64 / 10f64.powi(rng.i32(1..=6)),
            1 => (rng.f64() - 0.5) * 10f64.powi(rng.i32(-20..=16)),
            2 => f64::from_bits(rng.u64(..)),
            3 => rng.i64(-100_000..100_000) as f64 / 8.0 + 0.005,
            4 => (rng.i64(..) as f64) / 1e3,
            _ => rng.f64(),
        };
        if !r.is_finite() || !(-EXACT_BEYOND..=EXACT_BEYOND).contains(&r) {
            continue;
        }
        checked += 1;
        let magnitude_rounded = {
            let magnitude = r.abs();
            let mut rounder = ROUNDERS[digits];
            let exponent = ((magnitude.to_bits() >> 52) & 0x7ff) as i64 - 1023;
            if digits as i64 + exponent / 3 < 15 {
                rounder += magnitude * 3e-16;
            }
            magnitude + rounder
        };
        if round_fast(magnitude_rounded, digits).is_some() {
            fast_taken += 1;
        }
        let (got, want) = (round_like_printf(r, digits), slow(r, digits));
        assert_eq!(got.to_bits(), want.to_bits(), "round({r:?}, {digits})");
    }
    // The fast path is the common case, so the comparison above exercised it.
    assert!(fast_taken > checked / 2, "{fast_taken} of {checked}");
}

#[test]
fn edges_take_the_exact_path() {
    // A product that lands on an integer, one past 2^53, and digits past 15.
    assert_eq!(round_fast(0.5, 1), None);
    assert_eq!(round_fast(1e15, 2), None);
    assert_eq!(round_fast(0.3, 16), None);
    assert_eq!(round_real(0.125, 2), 0.13);
    assert_eq!(round_real(2.675, 2), 2.68);
    assert_eq!(round_real(-2.675, 2), -2.68);
    assert_eq!(round_real(1.005, 2), 1.01);
    assert_eq!(
        round_real(0.123_456_789_012_345_67, 30),
        slow(0.123_456_789_012_345_67, 30)
    );
    assert_eq!(round_real(-0.001, 2).to_bits(), (-0.0f64).to_bits());
    assert_eq!(round_real(1e300, 3), 1e300);
}
