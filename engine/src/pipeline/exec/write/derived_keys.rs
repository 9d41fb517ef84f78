//! The keys of a table's partial indexes and indexes on expressions, derived from each row a
//! statement writes before storage derives them (`IndexKeys::key_of_written_row`): a key
//! expression or a partial index's WHERE that fails to evaluate fails the write with its
//! error, and so does a key past `INDEX_KEY_BYTES_MAX`, as SQLite fails it (the statement is
//! undone, as for any failed write). Made once per statement for the indexes it may change;
//! `None` when there are none, so a table whose indexes are all on plain columns pays
//! nothing per row.

use std::cell::RefCell;

use ember_storage::index::KeyDerivation;
use ember_storage::Value;

use crate::catalog::{IndexDef, TableDef};
use crate::error::Result;

/// The indexes of one statement's table whose keys each written row derives first.
pub(in crate::pipeline::exec) struct DerivedKeys<'a> {
    /// The indexes with a key derivation (`IndexDef::keys`) whose keys may change.
    indexes: Vec<&'a IndexDef>,
    /// A key derived, kept between rows.
    key: RefCell<Vec<Value>>,
}

impl<'a> DerivedKeys<'a> {
    /// The indexes of `table` with derived keys that read a column `written` selects (every
    /// one for an INSERT); `None` when there is none.
    pub fn of(table: &'a TableDef, written: &dyn Fn(usize) -> bool) -> Option<Self> {
        if !table.derives_index_keys() {
            return None;
        }
        let indexes: Vec<&IndexDef> = table
            .indexes
            .iter()
            .filter(|index| {
                index
                    .keys
                    .as_ref()
                    .is_some_and(|keys| keys.reads().iter().any(|&c| written(c)))
            })
            .collect();
        (!indexes.is_empty()).then(|| DerivedKeys {
            indexes,
            key: RefCell::new(Vec::new()),
        })
    }

    /// Derives the keys of `row` (the whole new row, in table order).
    pub fn check_values(&self, row: &[Value]) -> Result<()> {
        let mut key = self.key.borrow_mut();
        for index in &self.indexes {
            if let Some(keys) = &index.keys {
                keys.key_of_written_row(&index.name, row, &mut key)?;
            }
        }
        Ok(())
    }
}
