//! A hash join's table and key handling. The build side's rows are kept once, in arrival
//! order; a map from the 64-bit hash of a row's key values (hashed in place, as SQL equality
//! sees them: an integral real hashes as the integer) to the first and last row with that
//! hash, and a per-row link to the next, chain the rows of equal hash in arrival order. No
//! key is stored: a candidate's key is compared with the probing row's by SQL equality on
//! the values themselves (a key that is a column is read in place, never cloned), so equal
//! hashes of unequal keys cost time, never a wrong match. NULL keys never match.

use std::borrow::Cow;
use std::cmp::Ordering;
use std::collections::hash_map::Entry;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use ember_storage::index::{fx_add, fx_add_word, fx_finish};
use ember_storage::row::RawValue;
use ember_storage::Value;

use crate::error::Result;
use crate::expr::{sql_compare, EvalContext, Expr};

use super::super::Row;

/// End of a chain.
const NONE: usize = usize::MAX;

/// The rows of a hash join's build side, chained by key hash.
#[derive(Default)]
pub(in crate::pipeline::exec) struct JoinTable {
    rows: Vec<Row>,
    next: Vec<usize>,
    chains: HashMap<u64, (usize, usize), BuildHasherDefault<PassThrough>>,
}

/// Bytes a row's place in the table takes besides the row (its link and share of a chain).
pub(in crate::pipeline::exec) const ENTRY_BYTES: u64 = 3 * std::mem::size_of::<usize>() as u64;

impl JoinTable {
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Adds `row`, whose key hashes to `hash`, after the rows already there.
    pub fn insert(&mut self, hash: u64, row: Row) {
        let index = self.rows.len();
        self.rows.push(row);
        self.next.push(NONE);
        match self.chains.entry(hash) {
            Entry::Occupied(mut chain) => {
                let (_, last) = chain.get_mut();
                self.next[*last] = index;
                *last = index;
            }
            Entry::Vacant(chain) => {
                chain.insert((index, index));
            }
        }
    }

    /// The first row whose key hashes to `hash`.
    pub fn first(&self, hash: u64) -> Option<usize> {
        self.chains.get(&hash).map(|&(first, _)| first)
    }

    /// The row after `index` in its chain.
    pub fn next(&self, index: usize) -> Option<usize> {
        Some(self.next[index]).filter(|&next| next != NONE)
    }

    pub fn row(&self, index: usize) -> &Row {
        &self.rows[index]
    }

    /// How many distinct key hashes the rows have.
    pub fn distinct_hashes(&self) -> usize {
        self.chains.len()
    }

    /// Each distinct key hash once.
    pub fn hashes(&self) -> impl Iterator<Item = u64> + '_ {
        self.chains.keys().copied()
    }
}

/// The value of key expression `expr` over `row`: borrowed when it is a column. (Inlined:
/// every probe and build row calls it, and the column case is a load.)
#[inline(always)]
pub(super) fn key_value<'r>(
    expr: &Expr,
    row: &'r [Value],
    context: &EvalContext<'_>,
) -> Result<Cow<'r, Value>> {
    match expr {
        Expr::Column { index, .. } => Ok(Cow::Borrowed(&row[*index])),
        other => Ok(Cow::Owned(other.eval(row, context)?)),
    }
}

/// The hash of the key `exprs` give over `row`; `None` when a key value is NULL.
pub(in crate::pipeline::exec) fn hash_key(
    exprs: &[Expr],
    row: &[Value],
    context: &EvalContext<'_>,
) -> Result<Option<u64>> {
    let mut hash = 0;
    for expr in exprs {
        let value = key_value(expr, row, context)?;
        match hash_value(hash, &value) {
            Some(next) => hash = next,
            None => return Ok(None),
        }
    }
    Ok(Some(fx_finish(hash)))
}

/// Whether `left_exprs` over `left` equal `right_exprs` over `right`, pair by pair, by SQL
/// equality (NULL equals nothing).
pub(in crate::pipeline::exec) fn keys_match(
    left_exprs: &[Expr],
    left: &[Value],
    right_exprs: &[Expr],
    right: &[Value],
    context: &EvalContext<'_>,
) -> Result<bool> {
    for (left_expr, right_expr) in left_exprs.iter().zip(right_exprs) {
        let a = key_value(left_expr, left, context)?;
        let b = key_value(right_expr, right, context)?;
        if sql_compare(&a, &b) != Some(Ordering::Equal) {
            return Ok(false);
        }
    }
    Ok(true)
}

/// 2^63 as f64: reals in [-2^63, 2^63) with no fraction are integers for equality.
const I64_BOUND: f64 = 9_223_372_036_854_775_808.0;

/// The hash `hash_key` gives a key of one column whose value, read straight from a row's
/// payload bytes, is `raw` (`ember_storage::row::MemberCheck`): the hash of the decoded
/// value, so a key tested raw and one tested decoded never disagree.
#[inline(always)]
pub(in crate::pipeline::exec) fn hash_raw_key(raw: RawValue<'_>) -> u64 {
    fx_finish(match raw {
        RawValue::Integer(int) => hash_integer(0, int),
        RawValue::Real(real) => hash_real(0, real),
        RawValue::Text(text) => fx_add(fx_add(0, &[3]), text.as_bytes()),
    })
}

/// `hash` extended with `value`, SQL-equal values alike; `None` for NULL.
fn hash_value(hash: u64, value: &Value) -> Option<u64> {
    Some(match value {
        Value::Null => return None,
        Value::Integer(int) => hash_integer(hash, *int),
        Value::Boolean(flag) => hash_integer(hash, i64::from(*flag)),
        Value::Real(real) => hash_real(hash, *real),
        Value::Text(text) => fx_add(fx_add(hash, &[3]), text.as_bytes()),
        Value::Blob(bytes) => fx_add(fx_add(hash, &[4]), bytes),
    })
}

/// `hash` extended with the integer `int`: `fx_add` of the tag byte 1 and its 8
/// little-endian bytes, folded as the two words `fx_add` reads (the 8 first bytes, then
/// the last).
#[inline(always)]
fn hash_integer(hash: u64, int: i64) -> u64 {
    let bits = int as u64;
    fx_add_word(fx_add_word(hash, 1 | (bits << 8)), bits >> 56)
}

/// `hash` extended with the REAL `real`: as the integer it equals when it has no fraction
/// and fits an `i64`, else tag 2 and its bits.
#[inline(always)]
fn hash_real(hash: u64, real: f64) -> u64 {
    if real.fract() == 0.0 && (-I64_BOUND..I64_BOUND).contains(&real) {
        hash_integer(hash, real as i64)
    } else {
        fx_add(fx_add(hash, &[2]), &real.to_bits().to_le_bytes())
    }
}

/// The hasher of the chain map: its keys are hashes already.
#[derive(Default)]
pub(super) struct PassThrough(u64);

impl Hasher for PassThrough {
    fn write(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(byte);
        }
    }

    fn write_u64(&mut self, value: u64) {
        self.0 = value;
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_values_hash_alike() {
        let hash = |value: Value| hash_value(0, &value);
        assert_eq!(hash(Value::Integer(3)), hash(Value::Real(3.0)));
        assert_eq!(hash(Value::Integer(0)), hash(Value::Real(-0.0)));
        assert_eq!(hash(Value::Integer(1)), hash(Value::Boolean(true)));
        assert_ne!(hash(Value::Integer(3)), hash(Value::Text("3".into())));
        assert_eq!(hash(Value::Null), None);
    }

    /// The integer's word form is `fx_add` over its tag and bytes; a raw value hashes as
    /// the one-column key of its decoded value.
    #[test]
    fn raw_values_hash_as_decoded_keys() {
        for int in [
            0,
            1,
            -1,
            255,
            256,
            i64::MAX,
            i64::MIN,
            1 << 53,
            -(1 << 40) + 7,
        ] {
            let mut bytes = [0u8; 9];
            bytes[0] = 1;
            bytes[1..].copy_from_slice(&int.to_le_bytes());
            assert_eq!(hash_integer(5, int), fx_add(5, &bytes), "{int}");
        }
        // What `hash_key` gives a key of one column holding `value`.
        let decoded = |value: Value| hash_value(0, &value).map(fx_finish);
        for (raw, value) in [
            (RawValue::Integer(3), Value::Integer(3)),
            (RawValue::Real(3.0), Value::Integer(3)),
            (RawValue::Integer(3), Value::Real(3.0)),
            (RawValue::Real(-0.0), Value::Integer(0)),
            (RawValue::Real(2.5), Value::Real(2.5)),
            (RawValue::Real(f64::NAN), Value::Real(f64::NAN)),
            (RawValue::Real(1e300), Value::Real(1e300)),
            (RawValue::Text("k-1"), Value::Text("k-1".into())),
            (RawValue::Text(""), Value::Text("".into())),
        ] {
            assert_eq!(Some(hash_raw_key(raw)), decoded(value), "{raw:?}");
        }
        assert_ne!(
            hash_raw_key(RawValue::Text("3")),
            hash_raw_key(RawValue::Integer(3))
        );
    }

    /// Keys 0, 100, 200, .. as a join's build side holds them, hashed as the join hashes
    /// them: the runtime filter's rate of false positives must not inherit their regularity.
    #[test]
    fn sequential_keys_keep_the_filter_rate() {
        use crate::expr::sketch::word_bloom::WordBloom;
        let hash = |key: i64| hash_raw_key(RawValue::Integer(key));
        let mut filter = WordBloom::with_words(WordBloom::words_for(
            2_000,
            crate::limits::JOIN_BLOOM_BITS_PER_KEY,
        ) as usize);
        for key in 0..2_000 {
            filter.insert(hash(key * 100));
        }
        let (mut probes, mut hits) = (0u64, 0u64);
        for key in (0..200_000i64).filter(|key| key % 100 != 0) {
            probes += 1;
            hits += u64::from(filter.may_contain(hash(key)));
        }
        let rate = hits as f64 / probes as f64;
        assert!(rate < 0.01, "false-positive rate {rate}");
        assert!((0..2_000).all(|key| filter.may_contain(hash(key * 100))));
    }

    #[test]
    fn chains_keep_arrival_order() {
        let mut table = JoinTable::default();
        for (hash, value) in [(7, 1), (9, 2), (7, 3), (7, 4)] {
            table.insert(hash, vec![Value::Integer(value)]);
        }
        let mut seen = Vec::new();
        let mut at = table.first(7);
        while let Some(index) = at {
            seen.push(table.row(index)[0].clone());
            at = table.next(index);
        }
        assert_eq!(
            seen,
            vec![Value::Integer(1), Value::Integer(3), Value::Integer(4)]
        );
        assert_eq!(table.first(8), None);
        assert_eq!(table.len(), 4);
    }
}
