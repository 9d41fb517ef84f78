//! round(X[, digits]): SQLite 3.40's rounding (`%!.*f` then read back), computed exactly
//! by formatting the decimal expansion when needed and by two floating-point operations
//! when that provably gives the same double (`round_fast`).

use ember_storage::Value;

use crate::error::Result;

use super::cast::real_to_integer;
use super::function::number_of;
use super::ops::Numeric;

/// 2^52: a double at least this large has no fraction left to round.
const EXACT_BEYOND: f64 = 4_503_599_627_370_496.0;

/// 2^53: below it, every integer is a double.
const INTEGERS_EXACT_BELOW: f64 = 9_007_199_254_740_992.0;

/// The most digits `round_fast` serves: 10^digits is an exact double up to 10^22, and the
/// proof of `round_fast` is written for at most 15.
const FAST_DIGITS_MAX: usize = 15;

/// The most digits round() keeps (SQLite clamps to 30).
const DIGITS_MAX: i64 = 30;

/// 10^0 ..= 10^15, each exact.
const POWERS_OF_TEN: [f64; FAST_DIGITS_MAX + 1] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
];

/// SQLite's rounder per digit count: 0.5 multiplied by 0.1 `digits` times, in the same
/// order of operations as SQLite's loop (so the same doubles).
const ROUNDERS: [f64; DIGITS_MAX as usize + 1] = {
    let mut rounders = [0.0; DIGITS_MAX as usize + 1];
    let mut rounder = 0.5;
    let mut digits = 0;
    while digits < rounders.len() {
        rounders[digits] = rounder;
        rounder *= 0.1;
        digits += 1;
    }
    rounders
};

/// round(X[, digits]) as SQLite 3.40 computes it: always a REAL; digits clamp to 0..=30;
/// halves round away from zero, with SQLite's printf rounding for digits > 0.
pub(crate) fn round(value: &Value, digits: Option<&Value>) -> Result<Value> {
    let digits = match digits {
        None => 0,
        Some(Value::Null) => return Ok(Value::Null),
        Some(digits) => match number_of(digits) {
            Some(Numeric::Integer(i)) => i.clamp(0, DIGITS_MAX),
            Some(Numeric::Real(r)) => real_to_integer(r).clamp(0, DIGITS_MAX),
            None => 0,
        },
    };
    let r = match number_of(value) {
        None => return Ok(Value::Null),
        Some(Numeric::Integer(i)) => i as f64,
        Some(Numeric::Real(r)) => r,
    };
    Ok(Value::Real(round_real(r, digits as usize)))
}

/// `r` rounded to `digits` (0..=30) decimals as SQLite's round() does.
pub(crate) fn round_real(r: f64, digits: usize) -> f64 {
    debug_assert!(digits <= DIGITS_MAX as usize);
    if !(-EXACT_BEYOND..=EXACT_BEYOND).contains(&r) {
        return r;
    }
    if digits == 0 {
        let half = if r < 0.0 { -0.5 } else { 0.5 };
        return real_to_integer(r + half) as f64;
    }
    round_like_printf(r, digits)
}

/// SQLite's `%.Nf`: add a rounder of half a unit in the last place (plus a 3e-16 relative
/// nudge for small exponents), then truncate the decimal expansion to `digits`.
fn round_like_printf(r: f64, digits: usize) -> f64 {
    let magnitude = r.abs();
    let mut rounder = ROUNDERS[digits];
    let binary_exponent = ((magnitude.to_bits() >> 52) & 0x7ff) as i64 - 1023;
    // C division truncates toward zero, as `/` on i64 does.
    if digits as i64 + binary_exponent / 3 < 15 {
        rounder += magnitude * 3e-16;
    }
    let rounded = magnitude + rounder;
    let truncated =
        round_fast(rounded, digits).unwrap_or_else(|| truncate_decimal(rounded, digits));
    if r < 0.0 {
        -truncated
    } else {
        truncated
    }
}

/// The double nearest to `m` (not negative) with its decimal expansion cut after `digits`
/// decimals, by formatting that expansion (exact for every `m` and `digits`).
fn truncate_decimal(m: f64, digits: usize) -> f64 {
    let expanded = format!("{:.*}", digits + 40, m);
    let cut = match expanded.find('.') {
        Some(point) => &expanded[..(point + 1 + digits).min(expanded.len())],
        None => expanded.as_str(),
    };
    cut.parse().unwrap_or(m)
}

/// `truncate_decimal(m, digits)` without formatting, when it is provably the same double;
/// `None` otherwise.
///
/// Why it is the same: let x = m·10^d exactly and p = fl(x), the double product (10^d is
/// exact for d <= 15). When p < 2^53 and p is not an integer, floor(p) = floor(x): an
/// integer n with x < n <= p or p < n <= x would be a double (n < 2^53) at least as near
/// to x as p, so n = p (ties included, p being the nearest), and p is no integer. So
/// k = floor(p) is the exact integer of the first `d` decimals, which is what the
/// formatted expansion cut after `d` decimals holds: its 40 further digits cannot round
/// up into the kept ones, because m (at least 0.5·10^-15, the rounder) has at most 103
/// binary fraction digits, so the distance from x/10^d to the next multiple of 10^-d is
/// a nonzero multiple of 2^-103·10^-d (or zero), far above 10^-(d+40). Reading "k/10^d"
/// back gives the double nearest to k/10^d, and so does the IEEE division of the exact
/// k by the exact 10^d (both round to nearest, ties to even).
#[inline]
fn round_fast(m: f64, digits: usize) -> Option<f64> {
    debug_assert!(m >= 0.0);
    let scale = *POWERS_OF_TEN.get(digits)?;
    let scaled = m * scale;
    if scaled >= INTEGERS_EXACT_BELOW || scaled == scaled.trunc() {
        return None;
    }
    Some(scaled.trunc() / scale)
}

#[cfg(test)]
#[path = "round_tests.rs"]
mod tests;
