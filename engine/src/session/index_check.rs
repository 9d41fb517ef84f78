//! The index half of `PRAGMA integrity_check`: every secondary index of a table (unique,
//! partial, on expressions, hash or ordered) agrees with the table in one snapshot.
//!
//! One walk of the table's rows the snapshot sees checks, row by row and index by index,
//! that each row the index holds (a partial index: its WHERE accepts the row) is found
//! under its key pointing at the row, in the hash map and in the ordered entries (SQLite's
//! `row N missing from index NAME`, N counting rows in the walk from 1), and that no other
//! row the snapshot sees has its key in a unique index (`non-unique entry in index NAME`,
//! once per row after the first of a key; NULL keys never conflict). Then each index's
//! entries are counted: an entry counts when the snapshot sees its row with that key, so
//! entries kept for versions other snapshots see (another transaction's uncommitted
//! writes, rows replaced or deleted since) are not counted; a count that is not the
//! number of rows the index should hold is `wrong # of entries in index NAME`.
//!
//! Memory: one row at a time (and one entry's row while counting), whatever the table's
//! size; the work is a read of every row plus one row read per index entry.

use ember_storage::{RowId, Table, Transaction, Value};

use crate::catalog::{IndexDef, TableDef};
use crate::error::Result;

/// Slots walked per storage batch (one epoch pin each).
const SLOTS_PER_BATCH: u64 = 1024;

/// What the walk of the rows expects each index to hold.
#[derive(Default, Clone, Copy)]
struct Expected {
    /// Rows with a key in the hash map (no NULL part).
    hashed: u64,
    /// Rows in the ordered entries (an ordered index; NULL parts included).
    ordered: u64,
}

/// Appends to `problems` what is wrong with the indexes of `table` in `txn`'s snapshot, until
/// `problems` holds `most`.
pub(crate) fn index_problems(
    txn: &Transaction,
    table: &TableDef,
    most: usize,
    problems: &mut Vec<String>,
) -> Result<()> {
    if table.indexes.is_empty() || problems.len() >= most {
        return Ok(());
    }
    let storage = &table.storage;
    let mut expected = vec![Expected::default(); table.indexes.len()];
    let mut walked: u64 = 0;
    let mut buffer = Vec::new();
    let mut other = Vec::new();
    let mut failure = None;
    let mut next = 0;
    while let Some(batch) = storage.next_scan_batch(next, SLOTS_PER_BATCH) {
        next = txn.scan_batch(storage, batch, &mut buffer, |row, values| {
            walked += 1;
            for (index, expected) in table.indexes.iter().zip(&mut expected) {
                let check = check_row(txn, storage, index, row, values, &mut other);
                match check {
                    Ok(found) => {
                        expected.hashed += u64::from(found.hashed);
                        expected.ordered += u64::from(found.ordered);
                        if found.missing {
                            problems
                                .push(format!("row {walked} missing from index {}", index.name));
                        }
                        if found.repeated && problems.len() < most {
                            problems.push(format!("non-unique entry in index {}", index.name));
                        }
                    }
                    Err(error) => failure = Some(error),
                }
                if failure.is_some() || problems.len() >= most {
                    problems.truncate(most);
                    return false;
                }
            }
            true
        })?;
        if let Some(error) = failure {
            return Err(error);
        }
        if problems.len() >= most {
            return Ok(());
        }
    }
    for (index, expected) in table.indexes.iter().zip(&expected) {
        if problems.len() >= most {
            break;
        }
        let counted = count_entries(txn, storage, index, &mut other)?;
        if counted.hashed != expected.hashed || counted.ordered != expected.ordered {
            problems.push(format!("wrong # of entries in index {}", index.name));
        }
    }
    Ok(())
}

/// What one row found in one index.
struct RowCheck {
    /// The row has a key in the hash map.
    hashed: bool,
    /// The row belongs in the ordered entries.
    ordered: bool,
    /// An entry of the row is not there.
    missing: bool,
    /// A unique index holds the row's key for a row before it too.
    repeated: bool,
}

/// Checks the entries of the row in slot `row` (its columns `values`) in `index`.
fn check_row(
    txn: &Transaction,
    storage: &Table,
    index: &IndexDef,
    row: RowId,
    values: &[Value],
    other: &mut Vec<Value>,
) -> Result<RowCheck> {
    let entries = &index.storage;
    let mut check = RowCheck {
        hashed: entries.hashes_row(values),
        ordered: entries.orders_row(values),
        missing: !entries.has_entries_of(row, values),
        repeated: false,
    };
    if !index.unique || !check.hashed {
        return Ok(check);
    }
    let Some(key) = entries.key_of(values) else {
        return Ok(check);
    };
    let mut earlier = Vec::new();
    entries.for_each_row_under(&key, |stored| {
        if stored < row {
            earlier.push(stored);
        }
    });
    for stored in earlier {
        if txn.read_row(storage, stored, other)? && entries.row_has_key(other, &key) {
            check.repeated = true;
            break;
        }
    }
    Ok(check)
}

/// The entries of `index` whose row the snapshot sees with the entry's key, in the hash map
/// and in the ordered entries.
fn count_entries(
    txn: &Transaction,
    storage: &Table,
    index: &IndexDef,
    other: &mut Vec<Value>,
) -> Result<Expected> {
    let entries = &index.storage;
    let mut wanted = vec![false; storage.schema().types.len()];
    for &column in entries.source_columns() {
        if let Some(slot) = wanted.get_mut(column) {
            *slot = true;
        }
    }
    let mut counted = Expected::default();
    let mut failure = None;
    entries.for_each_hash_entry(|key, row| {
        match txn.read_row_columns(storage, row, Some(&wanted), other) {
            Ok(true) if entries.row_has_key(other, key) => counted.hashed += 1,
            Ok(_) => {}
            Err(error) => failure = Some(error),
        }
    });
    entries.for_each_ordered_entry(|encoded, row| {
        match txn.read_row_columns(storage, row, Some(&wanted), other) {
            Ok(true) if entries.ordered_key_matches(other, encoded) => counted.ordered += 1,
            Ok(_) => {}
            Err(error) => failure = Some(error),
        }
    });
    match failure {
        Some(error) => Err(error.into()),
        None => Ok(counted),
    }
}

#[cfg(test)]
#[path = "index_check_tests.rs"]
mod tests;
