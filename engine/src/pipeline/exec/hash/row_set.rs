//! `RowSet`: a set of rows of one width, for DISTINCT and the set operations (UNION,
//! INTERSECT, EXCEPT). The rows' values live in one flat vector (`width` per row, in
//! insertion order) and a `KeyGroups` table maps each row's hash to its position, so a row
//! is looked up by its borrowed values (no key built, no allocation for a row seen before)
//! and copied only when it is new.
//!
//! Rows are equal exactly when every value's `KeyRef` is (`same_key`): NULLs equal NULLs,
//! 1, 1.0 and TRUE are one value, text and blobs by their bytes; as SQLite compares rows
//! for DISTINCT and compounds. A collation other than BINARY is the caller's: it looks up
//! the row's collation keys (`Collation::key`).

use ember_storage::Value;

use super::key_groups::{key_hash, same_key, KeyGroups};
use crate::error::Result;

pub(in crate::pipeline::exec) struct RowSet {
    width: usize,
    /// Every row's values, `width` per row, in insertion order.
    values: Vec<Value>,
    table: KeyGroups,
    len: usize,
}

impl RowSet {
    pub(in crate::pipeline::exec) fn new(width: usize) -> Self {
        RowSet {
            width,
            values: Vec::new(),
            table: KeyGroups::default(),
            len: 0,
        }
    }

    pub(in crate::pipeline::exec) fn len(&self) -> usize {
        self.len
    }

    /// The row at `position` (its insertion order).
    pub(in crate::pipeline::exec) fn row(&self, position: usize) -> &[Value] {
        let start = position * self.width;
        &self.values[start..start + self.width]
    }

    /// The position of the row equal to `row`, if the set holds one.
    #[inline]
    pub(super) fn find(&self, row: &[Value]) -> Option<usize> {
        if row.len() != self.width {
            return None;
        }
        self.find_hashed(key_hash(row.iter()), row)
    }

    #[inline(always)]
    fn find_hashed(&self, hash: u64, row: &[Value]) -> Option<usize> {
        self.table.get(hash, |position| {
            let start = position * self.width;
            self.values[start..start + self.width]
                .iter()
                .zip(row)
                .all(|(stored, probe)| same_key(stored, probe))
        })
    }

    /// The position of the row equal to `row`, and whether it is new (then copied in).
    #[inline]
    pub(in crate::pipeline::exec) fn insert(&mut self, row: &[Value]) -> Result<(usize, bool)> {
        if row.len() != self.width {
            return Err(crate::err!(
                Internal,
                "a row of {} values in a set of rows of {}",
                row.len(),
                self.width
            ));
        }
        let hash = key_hash(row.iter());
        if let Some(position) = self.find_hashed(hash, row) {
            return Ok((position, false));
        }
        let position = self.len;
        let Ok(group) = u32::try_from(position) else {
            return Err(crate::err!(Internal, "a set of rows over u32::MAX rows"));
        };
        self.table.insert(hash, group);
        self.values.extend_from_slice(row);
        self.len += 1;
        Ok((position, true))
    }

    /// Puts `row`, equal to the row at `position` (a key of the same hash), in its place:
    /// another spelling of the same key (1.0 for 1).
    pub(in crate::pipeline::exec) fn replace(&mut self, position: usize, row: &[Value]) {
        debug_assert!(self.find(row) == Some(position));
        let start = position * self.width;
        match self.values.get_mut(start..start + self.width) {
            Some(stored) if stored.len() == row.len() => stored.clone_from_slice(row),
            _ => debug_assert!(false, "no row {position} of {} values", row.len()),
        }
    }

    /// Every row's values, `width` per row, in insertion order.
    pub(in crate::pipeline::exec) fn into_values(self) -> Vec<Value> {
        self.values
    }

    pub(in crate::pipeline::exec) fn width(&self) -> usize {
        self.width
    }
}

/// Estimated bytes a row held in a `RowSet` takes: its values, their heap bytes, and its
/// share of the table (at most half full, 16 bytes a slot).
pub(in crate::pipeline::exec) fn stored_bytes(row: &[Value]) -> u64 {
    let mut bytes = std::mem::size_of_val(row) as u64 + 32;
    for value in row {
        match value {
            Value::Text(text) => bytes += text.len() as u64,
            Value::Blob(blob) => bytes += blob.len() as u64,
            _ => {}
        }
    }
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str) -> Value {
        Value::Text(s.into())
    }

    /// Rows equal under SQL equality (NULL = NULL, 1 = 1.0 = TRUE) are one row; others,
    /// however alike their spelling ('1' vs 1, text vs blob, 'a' vs 'A'), are not.
    #[test]
    fn rows_are_one_exactly_when_their_keys_are() {
        let mut set = RowSet::new(2);
        let rows = [
            vec![Value::Integer(1), Value::Null],
            vec![Value::Real(1.0), Value::Null],
            vec![Value::Boolean(true), Value::Null],
            vec![text("1"), Value::Null],
            vec![Value::Blob(b"1".to_vec()), Value::Null],
            vec![Value::Integer(1), Value::Integer(0)],
            vec![Value::Integer(1), Value::Real(-0.0)],
            vec![text("a"), text("b")],
            vec![text("A"), text("b")],
            vec![text("a"), text("b")],
        ];
        let inserted: Vec<(usize, bool)> = rows
            .iter()
            .map(|row| set.insert(row).expect("width"))
            .collect();
        assert_eq!(
            inserted,
            [
                (0, true),
                (0, false),
                (0, false),
                (1, true),
                (2, true),
                (3, true),
                (3, false),
                (4, true),
                (5, true),
                (4, false)
            ]
        );
        assert_eq!(set.len(), 6);
        assert_eq!(set.row(1), &[text("1"), Value::Null]);
        assert_eq!(set.find(&[Value::Real(1.0), Value::Null]), Some(0));
        assert_eq!(set.find(&[Value::Null, Value::Null]), None);
        assert_eq!(set.find(&[Value::Null]), None);
        assert!(set.insert(&[Value::Null]).is_err());
    }

    /// Many rows survive the table's growths and each finds its own position.
    #[test]
    fn many_rows_find_their_positions() {
        let mut set = RowSet::new(2);
        for i in 0..5000i64 {
            let row = [Value::Integer(i % 100), text(&format!("k{}", i / 100))];
            assert_eq!(set.insert(&row).expect("width"), (i as usize, true));
        }
        for i in 0..5000i64 {
            let row = [
                Value::Real((i % 100) as f64),
                text(&format!("k{}", i / 100)),
            ];
            assert_eq!(set.find(&row), Some(i as usize));
            assert_eq!(set.row(i as usize)[0], Value::Integer(i % 100));
        }
        assert_eq!(set.find(&[Value::Integer(100), text("k0")]), None);
    }
}
