//! The scalar SQL functions over sketch values: `hll_count(sketch)`, `sketch_top_k(sketch
//! [, k])`, `sketch_quantile(sketch, q)` (q a number, or JSON text of an array of
//! numbers for a list) and `bloom_contains(filter, v)` (1 or 0; NULL for a NULL v). A NULL
//! sketch gives NULL; a value that is not a sketch of the right kind, or is damaged, gives
//! an error naming the function and the problem. The
//! `approx_top_k` and `approx_quantile` aggregates are bound as these over a sketch.

use ember_storage::Value;

use crate::error::Result;

use super::bloom_value::BloomValue;
use super::format::DecodeError;
use super::hll::HyperLogLog;
use super::quantile::Quantiles;
use super::topk::{ranked_json, TopK, K_MAX};

/// Most quantiles one call may ask for.
pub const QUANTILES_MAX: usize = 1_000;

/// A scalar function over sketch values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SketchFunction {
    /// `hll_count(sketch)`: the estimated distinct count.
    HllCount,
    /// `sketch_top_k(sketch [, k])`: the most frequent values as JSON.
    TopK,
    /// `sketch_quantile(sketch, q)`: a quantile, or a JSON list of them.
    Quantile,
    /// `bloom_contains(filter, v)`: whether `v` may have been added to the filter.
    BloomContains,
}

impl SketchFunction {
    /// The function called `name` (lower case).
    pub fn from_name(name: &str) -> Option<SketchFunction> {
        Some(match name {
            "hll_count" => SketchFunction::HllCount,
            "sketch_top_k" => SketchFunction::TopK,
            "sketch_quantile" => SketchFunction::Quantile,
            "bloom_contains" => SketchFunction::BloomContains,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            SketchFunction::HllCount => "hll_count",
            SketchFunction::TopK => "sketch_top_k",
            SketchFunction::Quantile => "sketch_quantile",
            SketchFunction::BloomContains => "bloom_contains",
        }
    }

    /// (fewest, most) arguments.
    pub fn arity(self) -> (usize, usize) {
        match self {
            SketchFunction::HllCount => (1, 1),
            SketchFunction::TopK => (1, 2),
            SketchFunction::Quantile => (2, 2),
            SketchFunction::BloomContains => (2, 2),
        }
    }

    /// Applies the function to evaluated arguments (their count checked).
    pub fn call(self, args: &[Value]) -> Result<Value> {
        let Some(bytes) = sketch_bytes(self.name(), args.first())? else {
            return Ok(Value::Null);
        };
        let damaged = |error: DecodeError| crate::err!(InvalidInput, "{}(): {error}", self.name());
        match self {
            SketchFunction::HllCount => {
                let sketch = HyperLogLog::from_bytes(bytes).map_err(damaged)?;
                Ok(Value::Integer(sketch.count()))
            }
            SketchFunction::TopK => {
                let sketch = TopK::from_bytes(bytes).map_err(damaged)?;
                let k = match args.get(1) {
                    None | Some(Value::Null) => sketch.k(),
                    Some(k) => top_k_count(self.name(), k)?,
                };
                Ok(Value::Text(ranked_json(&sketch.top(k))))
            }
            SketchFunction::Quantile => {
                let sketch = Quantiles::from_bytes(bytes).map_err(damaged)?;
                quantile_answer(self.name(), &sketch, args.get(1).unwrap_or(&Value::Null))
            }
            SketchFunction::BloomContains => {
                let filter = BloomValue::from_bytes(bytes).map_err(damaged)?;
                Ok(match args.get(1) {
                    None | Some(Value::Null) => Value::Null,
                    Some(value) => Value::Integer(i64::from(filter.contains(value))),
                })
            }
        }
    }
}

/// The bytes of a sketch argument: `None` for NULL; a number is refused by name.
fn sketch_bytes<'a>(function: &str, value: Option<&'a Value>) -> Result<Option<&'a [u8]>> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Blob(bytes)) => Ok(Some(bytes)),
        Some(Value::Text(text)) => Ok(Some(text.as_bytes())),
        Some(other) => Err(crate::err!(
            InvalidInput,
            "{function}(): the value is {}, not a sketch (a BLOB)",
            other.type_name()
        )),
    }
}

/// A top-k count argument: an integer in 1..=K_MAX.
pub fn top_k_count(function: &str, value: &Value) -> Result<usize> {
    match value {
        Value::Integer(k) if (1..=K_MAX as i64).contains(k) => Ok(*k as usize),
        other => Err(crate::err!(
            InvalidInput,
            "{function}(): k must be an integer from 1 to {K_MAX}, got {other}"
        )),
    }
}

/// What a q argument asks for: one quantile, or a list.
pub enum Wanted {
    One(f64),
    List(Vec<f64>),
}

fn fraction(function: &str, q: f64) -> Result<f64> {
    if (0.0..=1.0).contains(&q) {
        Ok(q)
    } else {
        Err(crate::err!(
            InvalidInput,
            "{function}(): a quantile must be between 0 and 1, got {q}"
        ))
    }
}

/// Reads a q argument: a number from 0 to 1, or JSON text of a non-empty array of them.
pub fn wanted_quantiles(function: &str, q: &Value) -> Result<Wanted> {
    match q {
        Value::Integer(q) => Ok(Wanted::One(fraction(function, *q as f64)?)),
        Value::Real(q) => Ok(Wanted::One(fraction(function, *q)?)),
        Value::Text(text) => {
            let inner = text
                .trim()
                .strip_prefix('[')
                .and_then(|rest| rest.strip_suffix(']'))
                .filter(|inner| !inner.trim().is_empty())
                .ok_or_else(|| {
                    crate::err!(
                        InvalidInput,
                        "{function}(): q must be a number or a JSON array of numbers, got '{text}'"
                    )
                })?;
            let list = inner
                .split(',')
                .map(|part| match part.trim().parse::<f64>() {
                    Ok(q) => fraction(function, q),
                    Err(_) => Err(crate::err!(
                        InvalidInput,
                        "{function}(): '{}' in the quantile list is not a number",
                        part.trim()
                    )),
                })
                .collect::<Result<Vec<f64>>>()?;
            if list.len() > QUANTILES_MAX {
                return Err(crate::err!(
                    Limit,
                    "{function}(): more than {QUANTILES_MAX} quantiles asked for"
                ));
            }
            Ok(Wanted::List(list))
        }
        other => Err(crate::err!(
            InvalidInput,
            "{function}(): q must be a number or a JSON array of numbers, got {}",
            other.type_name()
        )),
    }
}

/// The answer of `sketch` to the q argument `q`: a number (an INTEGER when every input
/// was one), JSON text of a list, or NULL over no input or a NULL q.
pub fn quantile_answer(function: &str, sketch: &Quantiles, q: &Value) -> Result<Value> {
    if q.is_null() {
        return Ok(Value::Null);
    }
    let as_value = |answer: f64| {
        if sketch.integers() {
            Value::Integer(answer as i64)
        } else {
            Value::Real(answer)
        }
    };
    Ok(match wanted_quantiles(function, q)? {
        Wanted::One(q) => sketch.quantile(q).map_or(Value::Null, as_value),
        Wanted::List(qs) => {
            if sketch.count() == 0 {
                return Ok(Value::Null);
            }
            let parts: Vec<String> = sketch
                .quantiles(&qs)
                .into_iter()
                .map(|answer| match answer.map(as_value) {
                    Some(Value::Integer(integer)) => integer.to_string(),
                    Some(Value::Real(real)) => format!("{real:?}"),
                    _ => "null".to_string(),
                })
                .collect();
            Value::Text(format!("[{}]", parts.join(",")))
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quantile_sketch(values: &[f64]) -> Value {
        let mut sketch = Quantiles::new();
        for &value in values {
            sketch.add(value, value.fract() == 0.0);
        }
        Value::Blob(sketch.to_bytes())
    }

    #[test]
    fn quantiles_come_one_or_as_a_list() {
        let blob = quantile_sketch(&[1.0, 2.0, 3.0, 4.0]);
        let call = |q: Value| SketchFunction::Quantile.call(&[blob.clone(), q]);
        assert_eq!(call(Value::Real(0.5)).unwrap(), Value::Integer(2));
        assert_eq!(
            call(Value::Text("[0, 0.5, 1]".into())).unwrap(),
            Value::Text("[1,2,4]".into())
        );
        assert_eq!(call(Value::Null).unwrap(), Value::Null);
        let error = call(Value::Real(1.5)).unwrap_err().to_string();
        assert!(error.contains("between 0 and 1"), "{error}");
        let error = call(Value::Text("[0.5, x]".into()))
            .unwrap_err()
            .to_string();
        assert!(error.contains("not a number"), "{error}");
    }

    #[test]
    fn a_foreign_or_damaged_value_is_named() {
        let hll = Value::Blob(HyperLogLog::new().to_bytes());
        let error = SketchFunction::Quantile
            .call(&[hll, Value::Real(0.5)])
            .unwrap_err()
            .to_string();
        assert!(error.contains("sketch_quantile()"), "{error}");
        assert!(error.contains("HyperLogLog"), "{error}");
        let error = SketchFunction::HllCount
            .call(&[Value::Integer(3)])
            .unwrap_err()
            .to_string();
        assert!(error.contains("hll_count()"), "{error}");
        let error = SketchFunction::TopK
            .call(&[Value::Text("hello".into())])
            .unwrap_err()
            .to_string();
        assert!(error.contains("not a sketch"), "{error}");
        assert_eq!(
            SketchFunction::HllCount.call(&[Value::Null]).unwrap(),
            Value::Null
        );
    }
}
