//! SQLite's math functions (those of `SQLITE_ENABLE_MATH_FUNCTIONS`, on in the sqlite3
//! shell): ceil/floor/trunc keep integers, the others compute on doubles. Arguments must be
//! numbers or numeric text; anything else, and an undefined result (NaN, log of 0), is NULL.

use std::fmt;

use ember_storage::Value;

use super::coerce::parse_whole_number;
use super::ops::{as_real, real_result, Numeric};

/// A math function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Math {
    Acos,
    Acosh,
    Asin,
    Asinh,
    Atan,
    Atan2,
    Atanh,
    Ceil,
    Cos,
    Cosh,
    Degrees,
    Exp,
    Floor,
    Ln,
    Log,
    Log10,
    Log2,
    Mod,
    Pi,
    Pow,
    Radians,
    Sin,
    Sinh,
    Sqrt,
    Tan,
    Tanh,
    Trunc,
}

/// Names with their (fewest, most) argument counts.
const CATALOGUE: &[(Math, &str, usize, usize)] = &[
    (Math::Acos, "acos", 1, 1),
    (Math::Acosh, "acosh", 1, 1),
    (Math::Asin, "asin", 1, 1),
    (Math::Asinh, "asinh", 1, 1),
    (Math::Atan, "atan", 1, 1),
    (Math::Atan2, "atan2", 2, 2),
    (Math::Atanh, "atanh", 1, 1),
    (Math::Ceil, "ceil", 1, 1),
    (Math::Cos, "cos", 1, 1),
    (Math::Cosh, "cosh", 1, 1),
    (Math::Degrees, "degrees", 1, 1),
    (Math::Exp, "exp", 1, 1),
    (Math::Floor, "floor", 1, 1),
    (Math::Ln, "ln", 1, 1),
    (Math::Log, "log", 1, 2),
    (Math::Log10, "log10", 1, 1),
    (Math::Log2, "log2", 1, 1),
    (Math::Mod, "mod", 2, 2),
    (Math::Pi, "pi", 0, 0),
    (Math::Pow, "pow", 2, 2),
    (Math::Radians, "radians", 1, 1),
    (Math::Sin, "sin", 1, 1),
    (Math::Sinh, "sinh", 1, 1),
    (Math::Sqrt, "sqrt", 1, 1),
    (Math::Tan, "tan", 1, 1),
    (Math::Tanh, "tanh", 1, 1),
    (Math::Trunc, "trunc", 1, 1),
];

impl Math {
    /// The function called `name` (lower case); `ceiling` and `power` are aliases.
    pub fn from_name(name: &str) -> Option<Math> {
        let name = match name {
            "ceiling" => "ceil",
            "power" => "pow",
            other => other,
        };
        CATALOGUE
            .iter()
            .find(|entry| entry.1 == name)
            .map(|entry| entry.0)
    }

    fn entry(self) -> &'static (Math, &'static str, usize, usize) {
        CATALOGUE
            .iter()
            .find(|entry| entry.0 == self)
            .unwrap_or(&CATALOGUE[0])
    }

    pub fn name(self) -> &'static str {
        self.entry().1
    }

    /// (fewest, most) arguments.
    pub fn arity(self) -> (usize, usize) {
        let &(_, _, fewest, most) = self.entry();
        (fewest, most)
    }
}

impl fmt::Display for Math {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The number SQLite's math functions accept: an INTEGER, a REAL, or text that is a number
/// in its entirety; `None` otherwise (NULL, blobs, other text).
fn numeric(value: &Value) -> Option<Numeric> {
    match value {
        Value::Integer(i) => Some(Numeric::Integer(*i)),
        Value::Boolean(b) => Some(Numeric::Integer(i64::from(*b))),
        Value::Real(r) => Some(Numeric::Real(*r)),
        Value::Text(text) => parse_whole_number(text),
        Value::Null | Value::Blob(_) => None,
    }
}

fn real(value: &Value) -> Option<f64> {
    numeric(value).map(as_real)
}

/// Applies `math` to its arguments (count already checked).
pub(crate) fn call(math: Math, args: &[Value]) -> Value {
    let first = args.first().unwrap_or(&Value::Null);
    let second = args.get(1).unwrap_or(&Value::Null);
    match math {
        Math::Pi => Value::Real(std::f64::consts::PI),
        Math::Ceil | Math::Floor | Math::Trunc => match numeric(first) {
            None => Value::Null,
            Some(Numeric::Integer(i)) => Value::Integer(i),
            Some(Numeric::Real(r)) => Value::Real(match math {
                Math::Ceil => r.ceil(),
                Math::Floor => r.floor(),
                _ => r.trunc(),
            }),
        },
        Math::Ln | Math::Log10 | Math::Log2 => match real(first) {
            Some(x) if x > 0.0 => Value::Real(match math {
                Math::Ln => x.ln(),
                Math::Log10 => x.log10(),
                _ => x.log2(),
            }),
            _ => Value::Null,
        },
        Math::Log => {
            let (base, x) = if args.len() == 2 {
                (real(first), real(second))
            } else {
                (Some(10.0), real(first))
            };
            match (base, x) {
                (Some(base), Some(x)) if base > 0.0 && base != 1.0 && x > 0.0 => {
                    Value::Real(if base == 10.0 {
                        x.log10()
                    } else {
                        x.ln() / base.ln()
                    })
                }
                _ => Value::Null,
            }
        }
        Math::Atan2 | Math::Mod | Math::Pow => match (real(first), real(second)) {
            (Some(x), Some(y)) => real_result(match math {
                Math::Atan2 => x.atan2(y),
                Math::Mod => x % y,
                _ => x.powf(y),
            }),
            _ => Value::Null,
        },
        unary => match real(first) {
            None => Value::Null,
            Some(x) => real_result(match unary {
                Math::Acos => x.acos(),
                Math::Acosh => x.acosh(),
                Math::Asin => x.asin(),
                Math::Asinh => x.asinh(),
                Math::Atan => x.atan(),
                Math::Atanh => x.atanh(),
                Math::Cos => x.cos(),
                Math::Cosh => x.cosh(),
                Math::Degrees => x.to_degrees(),
                Math::Exp => x.exp(),
                Math::Radians => x.to_radians(),
                Math::Sin => x.sin(),
                Math::Sinh => x.sinh(),
                Math::Sqrt => x.sqrt(),
                Math::Tan => x.tan(),
                _ => x.tanh(),
            }),
        },
    }
}

/// The catalogue, for other modules' tests.
#[cfg(test)]
pub(crate) fn tests_catalogue() -> &'static [(Math, &'static str, usize, usize)] {
    CATALOGUE
}

#[cfg(test)]
mod tests {
    use super::*;

    fn int(i: i64) -> Value {
        Value::Integer(i)
    }

    fn real(r: f64) -> Value {
        Value::Real(r)
    }

    #[test]
    fn rounding_functions_keep_integers() {
        assert_eq!(call(Math::Ceil, &[int(3)]), int(3));
        assert_eq!(call(Math::Ceil, &[real(2.1)]), real(3.0));
        assert_eq!(call(Math::Floor, &[real(-2.1)]), real(-3.0));
        assert_eq!(call(Math::Trunc, &[real(-2.7)]), real(-2.0));
        assert_eq!(call(Math::Ceil, &[Value::Text("2.5".into())]), real(3.0));
        assert_eq!(call(Math::Ceil, &[Value::Text("2.5x".into())]), Value::Null);
        assert_eq!(call(Math::Floor, &[Value::Null]), Value::Null);
    }

    #[test]
    fn undefined_results_are_null() {
        assert_eq!(call(Math::Sqrt, &[int(-1)]), Value::Null);
        assert_eq!(call(Math::Ln, &[int(0)]), Value::Null);
        assert_eq!(call(Math::Log, &[int(1), int(8)]), Value::Null);
        assert_eq!(call(Math::Mod, &[int(5), int(0)]), Value::Null);
        assert_eq!(call(Math::Sqrt, &[Value::Blob(vec![1])]), Value::Null);
    }

    #[test]
    fn values() {
        assert_eq!(call(Math::Sqrt, &[int(16)]), real(4.0));
        assert_eq!(call(Math::Log, &[int(100)]), real(2.0));
        assert_eq!(call(Math::Log, &[int(2), int(8)]), real(3.0));
        assert_eq!(call(Math::Log2, &[int(8)]), real(3.0));
        assert_eq!(call(Math::Pow, &[int(2), int(10)]), real(1024.0));
        assert_eq!(call(Math::Mod, &[real(7.5), int(2)]), real(1.5));
        assert_eq!(call(Math::Degrees, &[call(Math::Pi, &[])]), real(180.0));
        assert_eq!(Math::from_name("power"), Some(Math::Pow));
        assert_eq!(Math::from_name("ceiling"), Some(Math::Ceil));
        for (math, name, ..) in CATALOGUE {
            assert_eq!(Math::from_name(name), Some(*math));
        }
    }
}
