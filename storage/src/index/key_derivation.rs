//! How an index derives its key from a row, when not by reading its columns: a derivation
//! the owner of the index supplies (the engine evaluates a partial index's WHERE clause and
//! an index's key expressions), asked wherever an index key is derived from a row. A row it
//! refuses (outside a partial index) has no entry, neither in the hash map nor in the
//! ordered entries. Storage knows only the columns the derivation reads (what must be
//! decoded before asking it) and how many key parts it writes.

use std::borrow::Borrow;

use crate::value::Value;

/// A row's key in an index, derived. The answer must depend on the read columns' values
/// only (the same row always gets the same key), or entries go missing.
pub trait KeyDerivation: Send + Sync {
    /// Writes into `key` (cleared first) the key of `row` (every column of `reads` decoded
    /// at its position; others may read NULL), one value per key part in key order; false
    /// when the index does not hold the row (what `key` then holds is meaningless).
    fn derive(&self, row: &[Value], key: &mut Vec<Value>) -> bool;
    /// How many key parts `derive` writes.
    fn parts(&self) -> usize;
    /// The column positions `derive` reads.
    fn reads(&self) -> &[usize];
}

/// `derivation.derive` for a row of any value type (the read columns are copied out; the
/// others read NULL): the key's values, or `None` when the index does not hold the row.
pub(super) fn derive_key<V: Borrow<Value>>(
    derivation: &dyn KeyDerivation,
    row: &[V],
) -> Option<Vec<Value>> {
    let width = derivation.reads().iter().max().map_or(0, |&last| last + 1);
    let mut values = vec![Value::Null; width.min(row.len())];
    for &column in derivation.reads() {
        if let (Some(value), Some(slot)) = (row.get(column), values.get_mut(column)) {
            *slot = value.borrow().clone();
        }
    }
    let mut key = Vec::with_capacity(derivation.parts());
    if !derivation.derive(&values, &mut key) {
        return None;
    }
    debug_assert_eq!(
        key.len(),
        derivation.parts(),
        "a derived key has every part"
    );
    Some(key)
}
