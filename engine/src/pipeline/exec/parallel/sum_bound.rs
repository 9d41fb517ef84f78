//! `SumBound`: the proof that a parallel sum's merged total is exactly the serial one (no
//! addition in any order rounds or overflows), measured by every worker over its inputs.

use ember_storage::Value;

/// The magnitudes of a sum's inputs, to prove that adding them in any order is exact: every
/// input is a multiple of `2^e` (`e` the lowest set bit of any input, at most 0) and the sum
/// of their magnitudes stays below `2^(50+e)`, so every partial sum in any order is a
/// multiple of `2^e` below `2^(53+e)` in magnitude: a double holds it exactly, no addition
/// rounds, SQLite's compensation term stays zero, and integers never overflow.
#[derive(Debug, Clone, Copy)]
pub struct SumBound {
    integer_magnitude: u128,
    real_magnitude: f64,
    lowest_exponent: i32,
    saw_real: bool,
    /// An input that is neither an integer nor a finite real (text, a boolean, infinity):
    /// the proof does not cover it.
    other: bool,
}

impl Default for SumBound {
    fn default() -> SumBound {
        SumBound {
            integer_magnitude: 0,
            real_magnitude: 0.0,
            lowest_exponent: i32::MAX,
            saw_real: false,
            other: false,
        }
    }
}

impl SumBound {
    #[inline]
    pub fn note(&mut self, value: &Value) {
        match value {
            Value::Null => {}
            Value::Integer(integer) => self.integer_magnitude += u128::from(integer.unsigned_abs()),
            Value::Real(real) if real.is_finite() => {
                self.saw_real = true;
                if *real != 0.0 {
                    self.real_magnitude += real.abs();
                    self.lowest_exponent = self.lowest_exponent.min(lowest_set_bit(*real));
                }
            }
            _ => self.other = true,
        }
    }

    pub fn absorb(&mut self, other: &SumBound) {
        self.integer_magnitude += other.integer_magnitude;
        self.real_magnitude += other.real_magnitude;
        self.lowest_exponent = self.lowest_exponent.min(other.lowest_exponent);
        self.saw_real |= other.saw_real;
        self.other |= other.other;
    }

    /// Whether every order of the additions gives the exact total (see the type).
    pub fn exact(&self) -> bool {
        if self.other {
            return false;
        }
        if !self.saw_real {
            return self.integer_magnitude <= i64::MAX as u128;
        }
        let exponent = self.lowest_exponent.min(0);
        // The magnitude sum is itself rounded; the 2^3 margin below 2^53 covers that.
        let magnitude = self.integer_magnitude as f64 + self.real_magnitude;
        exponent > -1000 && magnitude < 2f64.powi(50 + exponent)
    }
}

/// The exponent of the lowest set bit of a finite nonzero double (`x` is an odd multiple
/// of `2^result`).
fn lowest_set_bit(real: f64) -> i32 {
    let bits = real.to_bits();
    let biased = ((bits >> 52) & 0x7ff) as i32;
    let fraction = bits & ((1 << 52) - 1);
    if biased == 0 {
        -1074 + fraction.trailing_zeros() as i32
    } else {
        biased - 1075 + (fraction | (1 << 52)).trailing_zeros() as i32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lowest_set_bit_of_doubles() {
        assert_eq!(lowest_set_bit(1.0), 0);
        assert_eq!(lowest_set_bit(3.0), 0);
        assert_eq!(lowest_set_bit(4.0), 2);
        assert_eq!(lowest_set_bit(0.5), -1);
        assert_eq!(lowest_set_bit(1.0 / 1024.0 * 3.0), -10);
        assert_eq!(lowest_set_bit(-6.0), 1);
        assert_eq!(lowest_set_bit(f64::MIN_POSITIVE / 4.0), -1024);
    }

    fn bound_of(values: &[Value]) -> SumBound {
        let mut bound = SumBound::default();
        for value in values {
            bound.note(value);
        }
        bound
    }

    #[test]
    fn sums_proven_exact_only_when_no_order_rounds() {
        assert!(bound_of(&[Value::Integer(1), Value::Integer(-5)]).exact());
        assert!(!bound_of(&[Value::Integer(i64::MAX), Value::Integer(1)]).exact());
        assert!(bound_of(&[Value::Real(0.5), Value::Real(1.25), Value::Integer(7)]).exact());
        // 0.1 has bits far below 2^-50: adding it to 1.0 rounds.
        assert!(!bound_of(&[Value::Real(0.1), Value::Real(1.0)]).exact());
        assert!(!bound_of(&[Value::Real(f64::INFINITY)]).exact());
        assert!(!bound_of(&[Value::Text("1".into())]).exact());
        assert!(bound_of(&[Value::Real(-0.0), Value::Null]).exact());
    }
}
