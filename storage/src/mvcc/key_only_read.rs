//! Rows read from an ordered index's entries alone: when every column a read decodes is a
//! key part the entry holds whole (`index::read_ordered_part`: an INTEGER, a BINARY-keyed
//! TEXT, a BLOB) or a clustered table's integer key (the row id of a direct row), an entry
//! of a settled index (`settled_index.rs`: one entry per row the snapshot sees, under its
//! visible key) gives the row's decoded values without reading the row. `SELECT id, s ..
//! ORDER BY s LIMIT n` over an index on `s` reads no row at all.

use crate::index::{read_ordered_part, skip_ordered_part, KeyCollation, KeyPartKind};
use crate::index::{OrderedEntries, SecondaryIndex};
use crate::row::{RowDecoder, FIRST_ROW_ID_NOT_A_KEY};
use crate::value::{DataType, Value};

use super::table::{RowId, Table};

#[cfg(test)]
thread_local! {
    /// Rows this thread filled from entries (tests check the path was taken).
    pub(super) static ROWS_FROM_ENTRIES: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// How to fill a decoder's columns from an index's entries (see the module comment).
pub(super) struct KeyOnlyRead<'a> {
    decoder: &'a RowDecoder,
    /// The index's columns, in key order, up to the last one the decoder decodes.
    parts: &'a [usize],
    /// A clustered table's integer key column, when decoded and not a key part.
    row_key: Option<usize>,
}

impl<'a> KeyOnlyRead<'a> {
    /// The plan for reading `decoder`'s columns from the entries of `index` (ordered as
    /// `ordered`), a secondary index of `table`; `None` when some decoded column is not in
    /// the entries whole.
    pub(super) fn plan(
        table: &Table,
        index: &'a SecondaryIndex,
        ordered: &OrderedEntries,
        decoder: &'a RowDecoder,
    ) -> Option<KeyOnlyRead<'a>> {
        // A derived key's parts are not the row's column values.
        if decoder.reads_added_columns() || index.derives_keys() {
            return None;
        }
        let columns = index.columns();
        let mut parts = 0;
        let mut row_key = None;
        for column in (0..decoder.width()).filter(|&column| decoder.decodes(column)) {
            match columns.iter().position(|&part| part == column) {
                Some(position) => {
                    let collation = ordered.collations().get(position).copied();
                    part_kind(decoder.decoded_type(column)?, collation)?;
                    parts = parts.max(position + 1);
                }
                None if table.clustered.is_some() && decoder.row_key_column() == Some(column) => {
                    row_key = Some(column);
                }
                None => return None,
            }
        }
        Some(KeyOnlyRead {
            decoder,
            parts: columns.get(..parts)?,
            row_key,
        })
    }

    /// Fills `values` (the decoder's width, undecoded columns NULL) with the row of entry
    /// (`encoded`, `row`); false when the entry cannot give it (a malformed part, or a
    /// clustered table's overflow row, whose id is not its key): the caller reads the row.
    #[inline]
    pub(super) fn fill(&self, encoded: &[u8], row: RowId, values: &mut Vec<Value>) -> bool {
        let width = self.decoder.width();
        if values.len() != width {
            values.clear();
            values.resize(width, Value::Null);
        }
        let mut rest = encoded;
        for &column in self.parts {
            let (Some(kind), Some(slot)) = (self.kind_of(column), values.get_mut(column)) else {
                match skip_ordered_part(rest) {
                    Some(after) => rest = after,
                    None => return false,
                }
                continue;
            };
            match read_ordered_part(kind, rest, slot) {
                Some(after) => rest = after,
                None => return false,
            }
        }
        if let Some(column) = self.row_key {
            if row >= FIRST_ROW_ID_NOT_A_KEY {
                return false;
            }
            if let Some(slot) = values.get_mut(column) {
                *slot = Value::Integer(row as i64);
            }
        }
        for (column, slot) in values.iter_mut().enumerate() {
            if !slot.is_null() && !self.decoder.decodes(column) {
                *slot = Value::Null;
            }
        }
        #[cfg(test)]
        ROWS_FROM_ENTRIES.with(|rows| rows.set(rows.get() + 1));
        true
    }

    /// How column `column` (a key part) is read back, when the decoder decodes it.
    #[inline]
    fn kind_of(&self, column: usize) -> Option<KeyPartKind> {
        // The collation was checked by `plan`.
        part_kind(self.decoder.decoded_type(column)?, None)
    }
}

/// How a key part of a column stored as `stored` under `collation` (`None`: already
/// checked) is read back; `None` when it cannot be.
fn part_kind(stored: DataType, collation: Option<KeyCollation>) -> Option<KeyPartKind> {
    match stored {
        DataType::Integer => Some(KeyPartKind::Integer),
        DataType::Text => match collation {
            None | Some(KeyCollation::Binary) => Some(KeyPartKind::Text),
            Some(KeyCollation::NoCase | KeyCollation::Rtrim) => None,
        },
        DataType::Blob => Some(KeyPartKind::Blob),
        DataType::Real | DataType::Boolean | DataType::Any => None,
    }
}

#[cfg(test)]
#[path = "key_only_read_tests.rs"]
mod tests;
