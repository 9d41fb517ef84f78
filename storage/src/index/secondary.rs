//! A secondary hash index: the key of one or more columns -> the slots of rows that have (or
//! had, in some version) that key. Many slots per key; a unique index additionally has its
//! writers check, under the index's writer lock, that no other slot holds the key in a
//! version that is or may become current (see `mvcc/indexing.rs`). NULL keys are not
//! indexed: NULL is never equal to anything, so it never conflicts either.
//!
//! Entries are never trusted alone: a reader checks the version its snapshot sees in each
//! slot and compares that version's key, so entries left by rolled-back or replaced versions
//! only cost a little work until garbage collection removes them.
//!
//! An ordered index (`CREATE INDEX`, `USING BTREE`) keeps, beside the hash map that serves
//! equality and uniqueness, the same entries in key order (`ordered.rs`), NULL keys included,
//! for ranges and ORDER BY. Both are written under the hash map's writer lock.
//!
//! A unique index on text under NOCASE or RTRIM keys its hash map by the collation-normalized
//! text (`key_collations`, see `key.rs`), so texts equal under the collation conflict.
//!
//! An index with a key derivation (`derivation`, see `key_derivation.rs`: a partial index,
//! an index on expressions) takes every key of a row from it (`key_of`, `row_has_key`,
//! `holds`, the ordered keys), and every set of columns decoded to derive keys
//! (`source_columns`) is what it reads. Its `columns` are then the positions of the derived
//! key's values (`0..parts`), not the row's: no caller may take its keys for column values.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use crate::slab::MemoryAccount;
use crate::value::Value;

use super::hash::HashIndex;
use super::key::IndexKey;
use super::key_derivation::{derive_key, KeyDerivation};
use super::order_key::KeyCollation;
use super::ordered::OrderedEntries;

/// One secondary index of a table.
pub struct SecondaryIndex {
    id: u64,
    name: String,
    /// The row's columns the key is made of, in key order; with a `derivation`, the
    /// positions of the derived key's values (`0..parts`).
    columns: Vec<usize>,
    /// What deriving a key decodes: `columns`, or what the `derivation` reads.
    source_columns: Vec<usize>,
    /// How keys are derived from rows when not by reading `columns` (a partial index, an
    /// index on expressions); `None`: the columns' values, for every row.
    derivation: Option<Arc<dyn KeyDerivation>>,
    unique: bool,
    /// The collation each column's hash key is normalized under; empty when all are BINARY.
    key_collations: Vec<KeyCollation>,
    pub(crate) map: HashIndex,
    /// The entries in key order (an ordered index), or `None` (a hash index).
    ordered: Option<OrderedEntries>,
    /// Set when the index is taken off its table's list (dropped, or its build failed):
    /// writers no longer keep it up (`Table::attached_index`).
    detached: AtomicBool,
}

impl std::fmt::Debug for SecondaryIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecondaryIndex")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("columns", &self.columns)
            .field("unique", &self.unique)
            .field("derived", &self.derivation.is_some())
            .field("entries", &self.entries())
            .field("ordered", &self.ordered.is_some())
            .finish()
    }
}

impl SecondaryIndex {
    #[cfg(test)]
    pub(crate) fn new(
        id: u64,
        name: &str,
        columns: Vec<usize>,
        unique: bool,
        ordering: Option<Vec<KeyCollation>>,
        key_collations: Vec<KeyCollation>,
        account: Arc<MemoryAccount>,
    ) -> SecondaryIndex {
        Self::new_derived(
            id,
            name,
            columns,
            unique,
            (ordering, key_collations),
            None,
            account,
        )
    }

    /// `new`, its keys derived by `derivation` (`None`: the values of `columns`); with a
    /// derivation, `columns` are ignored (the key is the derivation's `0..parts`).
    pub(crate) fn new_derived(
        id: u64,
        name: &str,
        columns: Vec<usize>,
        unique: bool,
        (ordering, key_collations): (Option<Vec<KeyCollation>>, Vec<KeyCollation>),
        derivation: Option<Arc<dyn KeyDerivation>>,
        account: Arc<MemoryAccount>,
    ) -> SecondaryIndex {
        let (columns, source_columns) = match &derivation {
            None => (columns.clone(), columns),
            Some(derivation) => (
                (0..derivation.parts()).collect(),
                derivation.reads().to_vec(),
            ),
        };
        debug_assert!(!columns.is_empty());
        debug_assert!(ordering.as_ref().is_none_or(|c| c.len() == columns.len()));
        debug_assert!(key_collations.is_empty() || key_collations.len() == columns.len());
        let key_collations = if key_collations.iter().all(|&c| c == KeyCollation::Binary) {
            Vec::new()
        } else {
            key_collations
        };
        SecondaryIndex {
            id,
            name: name.to_string(),
            columns,
            source_columns,
            derivation,
            unique,
            key_collations,
            ordered: ordering
                .map(|collations| OrderedEntries::new(collations, Some(Arc::clone(&account)))),
            map: HashIndex::with_account(Some(account)),
            detached: AtomicBool::new(false),
        }
    }

    /// The entries in key order, if this is an ordered index.
    pub fn ordered(&self) -> Option<&OrderedEntries> {
        self.ordered.as_ref()
    }

    /// A row's encoded key in the ordered entries (NULL parts included), if ordered and
    /// the index holds the row.
    pub fn ordered_key_of<V: std::borrow::Borrow<Value>>(&self, row: &[V]) -> Option<Vec<u8>> {
        let ordered = self.ordered.as_ref()?;
        match &self.derivation {
            None => Some(ordered.encode(&self.columns, row)),
            Some(derivation) => {
                derive_key(derivation.as_ref(), row).map(|key| ordered.encode(&self.columns, &key))
            }
        }
    }

    /// Writes into `out` (cleared first) the row's encoded key in the ordered entries;
    /// false (and nothing written) when the index is not ordered or does not hold the row.
    #[inline]
    pub fn ordered_key_into<V: std::borrow::Borrow<Value>>(
        &self,
        row: &[V],
        out: &mut Vec<u8>,
    ) -> bool {
        out.clear();
        let Some(ordered) = &self.ordered else {
            return false;
        };
        match &self.derivation {
            None => {
                ordered.encode_into(&self.columns, row, out);
                true
            }
            Some(derivation) => self.derived_ordered_key_into(derivation.as_ref(), row, out),
        }
    }

    /// `ordered_key_into` through the derivation (out of line: the columns' path stays
    /// small enough to inline).
    #[inline(never)]
    fn derived_ordered_key_into<V: std::borrow::Borrow<Value>>(
        &self,
        derivation: &dyn KeyDerivation,
        row: &[V],
        out: &mut Vec<u8>,
    ) -> bool {
        match (&self.ordered, derive_key(derivation, row)) {
            (Some(ordered), Some(key)) => {
                ordered.encode_into(&self.columns, &key, out);
                true
            }
            _ => false,
        }
    }

    /// Whether `encoded` is the row's key in the ordered entries (compared in place):
    /// false when the index is not ordered or does not hold the row.
    #[inline]
    pub fn ordered_key_matches<V: std::borrow::Borrow<Value>>(
        &self,
        row: &[V],
        encoded: &[u8],
    ) -> bool {
        let Some(ordered) = &self.ordered else {
            return false;
        };
        match &self.derivation {
            None => ordered.key_matches(&self.columns, row, encoded),
            Some(derivation) => self.derived_key_matches(derivation.as_ref(), row, encoded),
        }
    }

    /// `ordered_key_matches` through the derivation (out of line, as
    /// `derived_ordered_key_into`).
    #[inline(never)]
    fn derived_key_matches<V: std::borrow::Borrow<Value>>(
        &self,
        derivation: &dyn KeyDerivation,
        row: &[V],
        encoded: &[u8],
    ) -> bool {
        match (&self.ordered, derive_key(derivation, row)) {
            (Some(ordered), Some(key)) => ordered.key_matches(&self.columns, &key, encoded),
            _ => false,
        }
    }

    /// Whether the index holds `row` (its `source_columns` decoded): always, unless its
    /// derivation refuses the row (a partial index).
    #[inline]
    pub fn holds<V: std::borrow::Borrow<Value>>(&self, row: &[V]) -> bool {
        match &self.derivation {
            None => true,
            Some(derivation) => derive_key(derivation.as_ref(), row).is_some(),
        }
    }

    /// Whether the keys come from a derivation (a partial index, an index on expressions):
    /// then the entries are not one per row under its columns' values, and no read may take
    /// an entry's key for a row's column values.
    pub fn derives_keys(&self) -> bool {
        self.derivation.is_some()
    }

    /// The columns deriving a row's key reads: the indexed ones, or those the derivation
    /// reads.
    pub fn source_columns(&self) -> &[usize] {
        &self.source_columns
    }

    /// The id the table gave the index (stable while the table lives).
    pub fn id(&self) -> u64 {
        self.id
    }

    /// Whether the index was taken off its table's list (see `Table::attached_index`).
    pub(crate) fn is_detached(&self) -> bool {
        self.detached.load(Ordering::Acquire)
    }

    /// Marks the index taken off its table's list; called before the list without it is
    /// published.
    pub(crate) fn detach(&self) {
        self.detached.store(true, Ordering::Release);
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// Indexed column positions, in key order (with a derivation, the derived key's
    /// positions `0..parts`: see the module comment).
    pub fn columns(&self) -> &[usize] {
        &self.columns
    }

    pub fn is_unique(&self) -> bool {
        self.unique
    }

    /// Number of entries, stale ones (not yet collected) included.
    pub fn entries(&self) -> usize {
        self.map.len()
    }

    /// About how many rows one key holds: (key, row) pairs over distinct keys, stale pairs
    /// included; `None` while the index holds no key.
    pub fn rows_per_key(&self) -> Option<f64> {
        let keys = self.map.keys();
        (keys > 0).then(|| self.map.len() as f64 / keys as f64)
    }

    /// The collation each column's hash key is normalized under (empty: all BINARY).
    pub fn key_collations(&self) -> &[KeyCollation] {
        &self.key_collations
    }

    /// The key a row has in this index; `None` when any key part is NULL or the index does
    /// not hold the row.
    pub fn key_of<V: std::borrow::Borrow<Value>>(&self, row: &[V]) -> Option<IndexKey> {
        match &self.derivation {
            None => self.key_from_values(self.columns.iter().map(|&column| row[column].borrow())),
            Some(derivation) => self.derived_key_of(derivation.as_ref(), row),
        }
    }

    /// `key_of` through the derivation (out of line, as `derived_ordered_key_into`).
    #[inline(never)]
    fn derived_key_of<V: std::borrow::Borrow<Value>>(
        &self,
        derivation: &dyn KeyDerivation,
        row: &[V],
    ) -> Option<IndexKey> {
        self.key_from_values(&derive_key(derivation, row)?)
    }

    /// Whether a row's key in this index is `key` (`key_of(row) == Some(key)`, compared in
    /// place: nothing allocated).
    pub fn row_has_key<V: std::borrow::Borrow<Value>>(&self, row: &[V], key: &IndexKey) -> bool {
        match &self.derivation {
            None => {
                let values = self.columns.iter().map(|&column| row[column].borrow());
                key.is_made_of(values, &self.key_collations)
            }
            Some(derivation) => self.derived_row_has_key(derivation.as_ref(), row, key),
        }
    }

    /// `row_has_key` through the derivation (out of line, as `derived_ordered_key_into`).
    #[inline(never)]
    fn derived_row_has_key<V: std::borrow::Borrow<Value>>(
        &self,
        derivation: &dyn KeyDerivation,
        row: &[V],
        key: &IndexKey,
    ) -> bool {
        derive_key(derivation, row)
            .is_some_and(|values| key.is_made_of(&values, &self.key_collations))
    }

    /// The key of the indexed columns' values (in key order), as `key_of` makes it: what a
    /// lookup probes with.
    pub fn key_from_values<'a>(
        &self,
        values: impl IntoIterator<Item = &'a Value>,
    ) -> Option<IndexKey> {
        // All BINARY (or no collations): `from_values_collated` is `from_values`.
        IndexKey::from_values_collated(values, &self.key_collations)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_skip_nulls_and_follow_column_order() {
        let index = SecondaryIndex::new(
            1,
            "i",
            vec![2, 0],
            true,
            None,
            Vec::new(),
            Arc::new(MemoryAccount::new()),
        );
        let row = [Value::Integer(1), Value::Null, Value::Text("a".into())];
        let swapped = [Value::Text("a".into()), Value::Null, Value::Integer(1)];
        assert!(index.key_of(&row).is_some());
        assert_ne!(index.key_of(&row), index.key_of(&swapped));
        assert_eq!(
            index.key_of(&[Value::Null, Value::Null, Value::Integer(1)]),
            None
        );
    }
}
