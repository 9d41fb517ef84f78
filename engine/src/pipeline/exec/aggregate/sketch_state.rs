//! The running state of the sketch aggregates (`expr/sketch`): `approx_count_distinct` and
//! `hll_sketch` feed a HyperLogLog, `topk_sketch(x, k)` a Space-Saving top-k,
//! `quantile_sketch` a KLL sketch, `bloom_filter` a bloom filter; `hll_merge`, `topk_merge`,
//! `quantile_merge` and `bloom_merge` decode each stored sketch and merge it in. Partial
//! states merge (the parallel split; bloom filters of two sizes fail at the end). The
//! memory a sketch holds is bounded by its kind and charged to the statement's account as
//! it grows (looked at after every value for a top-k sketch, whose values may be long;
//! every `CHECK_EVERY` values for the others, which grow by at most 8 bytes a value; and
//! after every merge).

use std::sync::{Arc, Mutex};

use ember_storage::Value;

use crate::error::Result;
use crate::expr::sketch::bloom_value::{self, BloomValue};
use crate::expr::sketch::format::DecodeError;
use crate::expr::sketch::hll::HyperLogLog;
use crate::expr::sketch::item::hash_value;
use crate::expr::sketch::quantile::Quantiles;
use crate::expr::sketch::topk::{TopK, ITEM_BYTES_MAX};
use crate::plan::AggregateFunction;

use super::super::bounds::MemoryCharge;

/// The memory charge every sketch of one aggregate operator shares.
pub type SketchCharge = Arc<Mutex<MemoryCharge>>;

/// Values fed between two looks at a sketch's memory.
const CHECK_EVERY: u32 = 64;

enum Sketch {
    Hll(HyperLogLog),
    /// `None` for `topk_merge` before its first sketch (its k comes from the sketches).
    TopK(Option<TopK>),
    Quantiles(Quantiles),
    /// `None` for `bloom_merge` before its first filter (its size comes from the filters).
    Bloom(Option<BloomValue>),
}

/// One sketch aggregate's state over one group.
pub struct SketchAccumulator {
    function: AggregateFunction,
    sketch: Sketch,
    /// Whether any non-NULL value was fed (a merge of no sketches is NULL).
    fed: bool,
    charge: Option<SketchCharge>,
    /// Bytes charged for this sketch so far.
    charged: usize,
    /// Values fed since the memory was last looked at.
    unchecked: u32,
    /// The block counts of two bloom filters of other geometries a partial state met
    /// (`merge`), reported by `finish`.
    mismatch: Option<(usize, usize)>,
}

fn empty_sketch(function: AggregateFunction) -> Option<Sketch> {
    use AggregateFunction as F;
    Some(match function {
        F::ApproxCountDistinct | F::HllSketch | F::HllMerge => Sketch::Hll(HyperLogLog::new()),
        F::TopKSketch(k) => Sketch::TopK(Some(TopK::new((k as usize).max(1)))),
        F::TopKMerge => Sketch::TopK(None),
        F::QuantileSketch | F::QuantileMerge => Sketch::Quantiles(Quantiles::new()),
        F::BloomFilter(blocks) => {
            let default =
                bloom_value::blocks_for(bloom_value::CAPACITY_DEFAULT, bloom_value::RATE_DEFAULT);
            let blocks = if blocks == 0 {
                default
            } else {
                u64::from(blocks)
            };
            Sketch::Bloom(Some(BloomValue::new(blocks)))
        }
        F::BloomMerge => Sketch::Bloom(None),
        _ => return None,
    })
}

/// A number fed to a quantile sketch, and whether it is an integer.
fn number_of(value: &Value) -> Option<(f64, bool)> {
    match value {
        Value::Integer(integer) => Some((*integer as f64, true)),
        Value::Boolean(boolean) => Some((f64::from(u8::from(*boolean)), true)),
        Value::Real(real) => Some((*real, false)),
        Value::Text(text) => match crate::expr::numeric_value(text) {
            Value::Integer(integer) if text.trim().parse::<i64>().is_ok() => {
                Some((integer as f64, true))
            }
            Value::Real(real) if text.trim().parse::<f64>().is_ok() => Some((real, false)),
            _ => None,
        },
        _ => None,
    }
}

impl SketchAccumulator {
    /// The state of `function`, `None` when it is not a sketch aggregate.
    pub fn new(function: AggregateFunction) -> Option<SketchAccumulator> {
        Some(SketchAccumulator {
            function,
            sketch: empty_sketch(function)?,
            fed: false,
            charge: None,
            charged: 0,
            unchecked: 0,
            mismatch: None,
        })
    }

    /// Charges the sketch's memory to `charge`.
    pub fn set_charge(&mut self, charge: Option<&SketchCharge>) {
        self.charge = charge.cloned();
    }

    /// Starts over for another group (what was charged stays charged: the operator's
    /// charge is released when it ends).
    pub fn restart(&mut self) {
        if let Some(sketch) = empty_sketch(self.function) {
            self.sketch = sketch;
        }
        self.fed = false;
    }

    /// Feeds one non-NULL value.
    pub fn add(&mut self, value: &Value) -> Result<()> {
        debug_assert!(!value.is_null());
        self.fed = true;
        let name = self.function.name();
        let function = self.function;
        let damaged = |error: DecodeError| crate::err!(InvalidInput, "{name}(): {error}");
        match &mut self.sketch {
            Sketch::Hll(hll) if function == AggregateFunction::HllMerge => {
                hll.merge(&HyperLogLog::from_bytes(blob_of(name, value)?).map_err(damaged)?);
                self.unchecked = CHECK_EVERY;
            }
            Sketch::Hll(hll) => hll.add_hash(hash_value(value)),
            Sketch::TopK(top) if function == AggregateFunction::TopKMerge => {
                let other = TopK::from_bytes(blob_of(name, value)?).map_err(damaged)?;
                match top {
                    Some(top) => top.merge(&other),
                    None => *top = Some(other),
                }
                self.unchecked = CHECK_EVERY;
            }
            Sketch::TopK(top) => {
                if let Some(top) = top {
                    top.add(value).map_err(|too_long| {
                        crate::err!(
                            Limit,
                            "{name}(): a value of {} bytes passes the limit of {} bytes \
                             for a top-k value",
                            too_long.0,
                            ITEM_BYTES_MAX
                        )
                    })?;
                }
            }
            Sketch::Quantiles(quantiles) if function == AggregateFunction::QuantileMerge => {
                quantiles.merge(&Quantiles::from_bytes(blob_of(name, value)?).map_err(damaged)?);
                self.unchecked = CHECK_EVERY;
            }
            Sketch::Bloom(filter) if function == AggregateFunction::BloomMerge => {
                let other = BloomValue::from_bytes(blob_of(name, value)?).map_err(damaged)?;
                match filter {
                    Some(filter) => filter.merge(&other).map_err(mismatch_error)?,
                    None => *filter = Some(other),
                }
                self.unchecked = CHECK_EVERY;
            }
            Sketch::Bloom(filter) => {
                if let Some(filter) = filter {
                    filter.add(value);
                }
            }
            Sketch::Quantiles(quantiles) => match number_of(value) {
                Some((number, integer)) => quantiles.add(number, integer),
                None => {
                    return Err(crate::err!(
                        InvalidInput,
                        "{name}(): quantiles are of numbers; got {} '{value}'",
                        value.type_name()
                    ))
                }
            },
        }
        self.unchecked += 1;
        // A top-k sketch may grow by a long value per value fed: looked at every time.
        if self.unchecked >= CHECK_EVERY || matches!(self.sketch, Sketch::TopK(_)) {
            self.unchecked = 0;
            self.charge_growth()?;
        }
        Ok(())
    }

    fn heap_bytes(&self) -> usize {
        match &self.sketch {
            Sketch::Hll(hll) => hll.heap_bytes(),
            Sketch::TopK(top) => top.as_ref().map_or(0, TopK::heap_bytes),
            Sketch::Quantiles(quantiles) => quantiles.heap_bytes(),
            Sketch::Bloom(filter) => filter.as_ref().map_or(0, BloomValue::heap_bytes),
        }
    }

    /// Charges what the sketch grew by since it was last charged.
    fn charge_growth(&mut self) -> Result<()> {
        let now = self.heap_bytes();
        if now <= self.charged {
            return Ok(());
        }
        if let Some(charge) = &self.charge {
            let mut charge = charge
                .lock()
                .map_err(|_| crate::err!(Internal, "a sketch's memory charge was poisoned"))?;
            charge.add((now - self.charged) as u64)?;
        }
        self.charged = now;
        Ok(())
    }

    /// Folds in `later`, the state of the same call over other rows.
    pub fn merge(&mut self, later: &SketchAccumulator) {
        self.fed |= later.fed;
        match (&mut self.sketch, &later.sketch) {
            (Sketch::Hll(hll), Sketch::Hll(other)) => hll.merge(other),
            (Sketch::TopK(top), Sketch::TopK(Some(other))) => match top {
                Some(top) => top.merge(other),
                None => *top = Some(other.clone()),
            },
            (Sketch::Quantiles(quantiles), Sketch::Quantiles(other)) => quantiles.merge(other),
            (Sketch::Bloom(filter), Sketch::Bloom(Some(other))) => match filter {
                Some(filter) => {
                    if let Err(sizes) = filter.merge(other) {
                        self.mismatch.get_or_insert(sizes);
                    }
                }
                None => *filter = Some(other.clone()),
            },
            _ => {}
        }
        if let Some(sizes) = later.mismatch {
            self.mismatch.get_or_insert(sizes);
        }
    }

    /// The aggregate's value: the distinct count for `approx_count_distinct`, else the
    /// sketch as a BLOB (NULL for a merge of no sketches).
    pub fn finish(&self) -> Result<Value> {
        use AggregateFunction as F;
        if let Some(sizes) = self.mismatch {
            return Err(mismatch_error(sizes));
        }
        let merges = matches!(
            self.function,
            F::HllMerge | F::TopKMerge | F::QuantileMerge | F::BloomMerge
        );
        if !self.fed && merges {
            return Ok(Value::Null);
        }
        Ok(match &self.sketch {
            Sketch::Hll(hll) if self.function == F::ApproxCountDistinct => {
                Value::Integer(hll.count())
            }
            Sketch::Hll(hll) => Value::Blob(hll.to_bytes()),
            Sketch::TopK(Some(top)) => Value::Blob(top.to_bytes()),
            Sketch::TopK(None) => Value::Null,
            Sketch::Quantiles(quantiles) => Value::Blob(quantiles.to_bytes()),
            Sketch::Bloom(Some(filter)) => Value::Blob(filter.to_bytes()),
            Sketch::Bloom(None) => Value::Null,
        })
    }
}

/// The error of `bloom_merge` over filters of two geometries (their block counts).
fn mismatch_error((mine, theirs): (usize, usize)) -> crate::error::Error {
    crate::err!(
        InvalidInput,
        "bloom_merge(): the filters differ in size ({} and {} bytes of bits): only filters \
         made with the same capacity and rate merge",
        mine as u64 * crate::expr::sketch::bloom::BLOCK_BYTES,
        theirs as u64 * crate::expr::sketch::bloom::BLOCK_BYTES
    )
}

/// The bytes of a stored sketch fed to a merge aggregate.
fn blob_of<'a>(function: &str, value: &'a Value) -> Result<&'a [u8]> {
    match value {
        Value::Blob(bytes) => Ok(bytes),
        Value::Text(text) => Ok(text.as_bytes()),
        other => Err(crate::err!(
            InvalidInput,
            "{function}(): the value is {}, not a sketch (a BLOB)",
            other.type_name()
        )),
    }
}
