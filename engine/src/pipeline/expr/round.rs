//! round(X[, digits]): SQLite 3.54's rounding (`%!.*f` then read back), computed through
//! SQLite's decimal digits (`round_decimal`) when needed and by two floating-point
//! operations when that provably gives the same double (`round_fast`).

use ember_storage::Value;

use crate::error::Result;

use super::cast::real_to_integer;
use super::function::number_of;
use super::ops::Numeric;
use super::round_decimal::{decode, read_back};

/// 2^52: a double at least this large has no fraction left to round.
const EXACT_BEYOND: f64 = 4_503_599_627_370_496.0;

/// The most digits `round_fast` serves (10^digits is an exact double up to 10^22).
const FAST_DIGITS_MAX: usize = 15;

/// `round_fast` serves magnitudes times 10^digits below this: at most 14 digits are kept
/// (so SQLite's 17-digit shortening never applies) and its margin stays below a half.
const FAST_SCALED_BELOW: f64 = 1e14;

/// `round_fast`'s margin around a half, relative to the scaled magnitude: 2^-50, far above
/// the error of the double product (2^-53) plus that of SQLite's 18-digit decode (below
/// 10^-17 relative).
const FAST_MARGIN: f64 = 1.0 / 1_125_899_906_842_624.0;

/// The most digits round() keeps (SQLite clamps to 30).
const DIGITS_MAX: i64 = 30;

/// 10^0 ..= 10^15, each exact.
const POWERS_OF_TEN: [f64; FAST_DIGITS_MAX + 1] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
];

/// round(X[, digits]) as SQLite 3.54 computes it: always a REAL; digits clamp to 0..=30;
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

/// SQLite 3.54's `%!.*f` of `r` read back: 18 significant digits rounded half up to
/// `digits` decimals (`round_decimal`), or the same double by one multiplication and one
/// division when that is proven equal (`round_fast`).
fn round_like_printf(r: f64, digits: usize) -> f64 {
    let Some(rounded) = round_fast(r.abs(), digits) else {
        return round_through_digits(r, digits);
    };
    // SQLite's decode takes the sign of r < 0 (so -0.0 reads back as 0.0).
    if r < 0.0 {
        -rounded
    } else {
        rounded
    }
}

/// `round_like_printf` through SQLite's decimal digits, for every `r` and `digits`.
fn round_through_digits(r: f64, digits: usize) -> f64 {
    let decimals = digits as i32;
    read_back(&decode(r, decimals), decimals)
}

/// `round_through_digits(m, digits)` for `m` >= 0 by scaling, when that is provably the
/// same double; `None` otherwise.
///
/// Why it is the same: let x = m·10^d exactly and p = fl(x), the double product (10^d is
/// exact for d <= 15), so |p - x| <= 2^-53·p. SQLite decodes m to 18 significant digits D
/// (a 64-bit power of ten, a 128-bit product cut, its last bit rounded: |D - m| is below
/// 10^-17·m) and rounds D·10^d half up to an integer k at decimal d (with p < 10^14 at most
/// 14 digits are kept, so neither its 17-digit shortening nor its 20-digit cap applies; a
/// D·10^d below 0.1 or 1 rounds to 0 or 1 by the same rule). When the fraction of p is
/// farther than 2^-50·p from a half, x and D·10^d lie in the same interval (j - 1/2,
/// j + 1/2) as p, so k is p rounded half up. The printed "k/10^d" is read back as the
/// digits of k and the power -d (k < 10^14 fits a u64) and converted to the double nearest
/// k/10^d, which the IEEE division of the exact k by the exact 10^d also gives.
/// `round_tests.rs` checks the path against the digits over many values.
#[inline]
fn round_fast(m: f64, digits: usize) -> Option<f64> {
    debug_assert!(m >= 0.0);
    let scale = *POWERS_OF_TEN.get(digits)?;
    let scaled = m * scale;
    if scaled.is_nan() || scaled >= FAST_SCALED_BELOW {
        return None;
    }
    let whole = scaled.trunc();
    // Exact: a double below 2^52 minus its integer part.
    let fraction = scaled - whole;
    if (fraction - 0.5).abs() <= scaled * FAST_MARGIN {
        return None;
    }
    let k = if fraction > 0.5 { whole + 1.0 } else { whole };
    Some(k / scale)
}

#[cfg(test)]
#[path = "round_tests.rs"]
mod tests;
