//! Which rows a partial index holds: a test the owner of the index supplies (the engine
//! evaluates the index's WHERE clause), asked wherever an index key is derived from a row.
//! A row the test refuses has no entry, neither in the hash map nor in the ordered entries.
//! Storage knows only the columns the test reads (what must be decoded before asking it).

use std::borrow::Borrow;

use crate::value::Value;

/// The rows a partial index holds. The answer must depend on the read columns' values
/// only (the same row always gets the same answer), or entries go missing.
pub trait RowMembership: Send + Sync {
    /// Whether `row` (every column of `reads` decoded at its position; others may read
    /// NULL) belongs in the index.
    fn holds(&self, row: &[Value]) -> bool;
    /// The column positions `holds` reads.
    fn reads(&self) -> &[usize];
}

/// `membership.holds` for a row of any value type (the read columns are copied out; the
/// others read NULL).
pub(super) fn holds_row<V: Borrow<Value>>(membership: &dyn RowMembership, row: &[V]) -> bool {
    let width = membership.reads().iter().max().map_or(0, |&last| last + 1);
    let mut values = vec![Value::Null; width.min(row.len())];
    for &column in membership.reads() {
        if let Some(value) = row.get(column) {
            values[column] = value.borrow().clone();
        }
    }
    membership.holds(&values)
}
