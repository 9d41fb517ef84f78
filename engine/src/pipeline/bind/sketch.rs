//! Binding of the sketch aggregates' second arguments. `topk_sketch(x, k)` and
//! `approx_top_k(x, k)` take k as a constant integer, read here into the aggregate
//! (`AggregateFunction::TopKSketch(k)`); `approx_top_k` and `approx_quantile(x, q)` are
//! the sketch aggregate of `x` read by the scalar `sketch_top_k(sketch, k)` or
//! `sketch_quantile(sketch, q)` (q a constant: a number or a JSON array of numbers), so
//! the aggregate itself has one argument and merges like any other sketch.

use ember_storage::Value;

use crate::error::Result;
use crate::expr::sketch::SketchFunction;
use crate::expr::{EvalContext, Expr, Function};
use crate::plan::AggregateFunction;

/// The scalar that reads a sketch aggregate's result, and its second argument.
pub(super) struct SketchReader {
    function: SketchFunction,
    argument: Expr,
}

impl SketchReader {
    /// `column` (the sketch aggregate's result) read by this reader.
    pub(super) fn wrap(self, column: Expr) -> Expr {
        Expr::Function {
            function: Function::Sketch(self.function),
            args: vec![column, self.argument],
        }
    }
}

/// Whether `expr` is a constant that needs no row, parameter or subquery.
fn is_literal_constant(expr: &Expr) -> bool {
    let mut constant = true;
    expr.walk(&mut |node| match node {
        Expr::Column { .. }
        | Expr::OuterColumn { .. }
        | Expr::Parameter(_)
        | Expr::Subquery(_)
        | Expr::UserFunction { .. } => constant = false,
        Expr::Function { function, .. } if !function.is_deterministic() => constant = false,
        _ => {}
    });
    constant
}

fn literal_value(name: &str, what: &str, expr: &Expr) -> Result<Value> {
    if !is_literal_constant(expr) {
        return Err(crate::err!(
            InvalidInput,
            "{name}(): {what} must be a constant"
        ));
    }
    let context = EvalContext {
        params: &[],
        subqueries: None,
        outer: None,
    };
    expr.eval(&[], &context)
}

/// Reads the second argument of the sketch call `name` (bound as `function` over `args`):
/// k goes into `function`, and `approx_*` calls return the reader of their sketch. Other
/// calls are left as they are.
pub(super) fn read_parameter(
    name: &str,
    function: &mut AggregateFunction,
    args: &mut Vec<Expr>,
) -> Result<Option<SketchReader>> {
    if let AggregateFunction::BloomFilter(_) = function {
        *function = AggregateFunction::BloomFilter(bloom_blocks(name, args)?);
        return Ok(None);
    }
    if args.len() != 2 {
        return Ok(None);
    }
    match (name, *function) {
        ("topk_sketch" | "approx_top_k", AggregateFunction::TopKSketch(_)) => {
            let Some(k_expr) = args.pop() else {
                return Ok(None);
            };
            let k_value = literal_value(name, "k", &k_expr)?;
            let k = crate::expr::sketch::sql::top_k_count(name, &k_value)?;
            *function = AggregateFunction::TopKSketch(k as u32);
            Ok((name == "approx_top_k").then(|| SketchReader {
                function: SketchFunction::TopK,
                argument: Expr::Literal(Value::Integer(k as i64)),
            }))
        }
        ("approx_quantile", AggregateFunction::QuantileSketch) => {
            let Some(q_expr) = args.pop() else {
                return Ok(None);
            };
            let q = literal_value(name, "q", &q_expr)?;
            if !q.is_null() {
                // Refused here, before any row is read, when it is not a quantile.
                crate::expr::sketch::sql::wanted_quantiles(name, &q)?;
            }
            Ok(Some(SketchReader {
                function: SketchFunction::Quantile,
                argument: Expr::Literal(q),
            }))
        }
        _ => Ok(None),
    }
}

/// Checks DISTINCT on a sketch aggregate: it changes nothing for a distinct count (so it
/// is dropped), and is refused on the others. Returns whether the call stays DISTINCT.
pub(super) fn check_distinct(
    name: &str,
    function: AggregateFunction,
    distinct: bool,
) -> Result<bool> {
    use AggregateFunction as F;
    match function {
        _ if !distinct => Ok(false),
        F::ApproxCountDistinct | F::HllSketch => Ok(false),
        function if function.is_sketch() => Err(crate::err!(
            InvalidInput,
            "DISTINCT is not supported in {name}()"
        )),
        _ => Ok(true),
    }
}

/// The block count of `bloom_filter(x [, capacity [, rate]])` from its constant capacity
/// (an integer from 1) and false-positive rate (`RATE_MIN` to `RATE_MAX`), both taken off
/// `args`; a filter past `limits::BLOOM_FILTER_BYTES_MAX` is refused.
fn bloom_blocks(name: &str, args: &mut Vec<Expr>) -> Result<u32> {
    use crate::expr::sketch::bloom_value::{self as bloom, RATE_MAX, RATE_MIN};
    let rate = match args.len() {
        3 => match literal_value(name, "the false-positive rate", &args[2])? {
            Value::Real(rate) if (RATE_MIN..=RATE_MAX).contains(&rate) => rate,
            other => {
                return Err(crate::err!(
                    InvalidInput,
                    "{name}(): the false-positive rate must be a number from {RATE_MIN} to \
                     {RATE_MAX}, got {other}"
                ))
            }
        },
        _ => bloom::RATE_DEFAULT,
    };
    let capacity = match args.len() {
        2 | 3 => match literal_value(name, "the capacity", &args[1])? {
            Value::Integer(capacity) if capacity >= 1 => capacity as u64,
            other => {
                return Err(crate::err!(
                    InvalidInput,
                    "{name}(): the capacity must be an integer from 1, got {other}"
                ))
            }
        },
        _ => bloom::CAPACITY_DEFAULT,
    };
    args.truncate(1);
    let blocks = bloom::blocks_for(capacity, rate);
    if blocks > bloom::blocks_max() {
        return Err(crate::err!(
            Limit,
            "{name}(): a filter for {capacity} values at a false-positive rate of {rate} \
             needs {} bytes, past the limit of {} bytes",
            blocks.saturating_mul(crate::expr::sketch::bloom::BLOCK_BYTES),
            crate::limits::BLOOM_FILTER_BYTES_MAX
        ));
    }
    Ok(u32::try_from(blocks).unwrap_or(u32::MAX))
}
