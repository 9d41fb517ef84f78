//! Keys for an INTEGER PRIMARY KEY (SQLite's rowid alias) that an INSERT leaves NULL or
//! omits: the largest key the statement's snapshot sees plus one (1 for an empty table);
//! after `i64::MAX` a random unused key, as SQLite. An AUTOINCREMENT table's key is also
//! above every key it ever held or an INSERT tried (a row ignored or settled by an upsert
//! still raises it, as in SQLite), which `sqlite_sequence` remembers (one row per table,
//! written by the INSERT that raises it, so it commits, rolls back, and reaches the WAL and
//! snapshots with the rows); there `i64::MAX` is the end: `database or disk is full`.
//!
//! The largest visible key is found from `Table::max_integer_key`, the largest key ever
//! stored (kept by the primary index under its writer lock, so a plain INSERT pays nothing):
//! when that row or one a few keys below it is visible it is the answer (the common case of
//! appending); otherwise (the top rows deleted or rolled back) one scan of the key column.

use ember_storage::index::IndexKey;
use ember_storage::{DataType, RowId, Transaction, Value};

use crate::catalog::{ColumnDef, TableDef, SEQUENCE_TABLE, SEQUENCE_TABLE_SQL};
use crate::error::Result;
use crate::plan::{CreateTable, Sequence};

use super::dml::storage_error;

/// The CREATE TABLE of `sqlite_sequence` (IF NOT EXISTS), which CREATE TABLE of an
/// AUTOINCREMENT table runs first.
pub(in crate::pipeline::exec) fn sequence_table() -> CreateTable {
    let column = |name: &str, data_type| ColumnDef {
        name: name.to_string(),
        data_type,
        not_null: false,
        default: None,
        affinity: crate::expr::Affinity::Blob,
        collation: crate::expr::Collation::Binary,
        hidden: false,
        strict: None,
        generated: None,
    };
    CreateTable {
        name: SEQUENCE_TABLE.to_string(),
        if_not_exists: true,
        columns: vec![column("name", DataType::Any), column("seq", DataType::Any)],
        primary_key: Vec::new(),
        keyed_by_unique: Vec::new(),
        unique: Vec::new(),
        sql: SEQUENCE_TABLE_SQL.to_string(),
        rowid_column: None,
        autoincrement: false,
        constraints: Default::default(),
        options: Default::default(),
    }
}

/// Keys an implicit rowid tries above every stored key after the one assigned was taken.
const IMPLICIT_KEY_RETRIES: usize = 64;

/// Runs `insert` with the implicit rowid `key` the statement assigned (the largest visible
/// plus one). When a concurrent transaction's row holds that key (a write conflict: that
/// row is not visible here), it runs again with the key above every key the table stored
/// (at least the next key), at most `IMPLICIT_KEY_RETRIES` times,
/// so transactions inserting into one table without an INTEGER PRIMARY KEY at once do not
/// fail as they would on an INTEGER PRIMARY KEY's assigned keys. Returns whether the row
/// went in and the key it took.
pub(super) fn insert_with_implicit_key(
    txn: &mut Transaction,
    table: &TableDef,
    key: i64,
    mut insert: impl FnMut(&mut Transaction, i64) -> Result<bool>,
) -> Result<(bool, i64)> {
    debug_assert!(table.has_implicit_rowid());
    let mut key = key;
    let mut retries = 0;
    loop {
        match insert(txn, key) {
            Err(error)
                if error.kind() == crate::error::ErrorKind::SerializationConflict
                    && retries < IMPLICIT_KEY_RETRIES =>
            {
                // Above every stored key, and at least the next key (the row that holds
                // this one may be an uncommitted or rolled-back version the largest stored
                // key does not count).
                let above = table
                    .storage
                    .max_integer_key()
                    .and_then(|max| max.checked_add(1));
                match (above, key.checked_add(1)) {
                    (Some(above), Some(next)) => key = above.max(next),
                    (None, Some(next)) => key = next,
                    (_, None) => return Err(error),
                }
                retries += 1;
            }
            other => return other.map(|added| (added, key)),
        }
    }
}

/// Keys probed below the largest key ever stored before scanning the table.
const PROBES_BELOW_MAX: i64 = 32;

/// Slots one scan batch walks under one epoch pin.
const SCAN_BATCH_SLOTS: u64 = 4096;

/// Random keys tried once the largest key is `i64::MAX` (SQLite tries about as many).
const RANDOM_KEY_ATTEMPTS: usize = 100;

/// What one INSERT statement knows about the keys of its table's rowid column.
#[derive(Default)]
pub(super) struct RowidKeys {
    /// AUTOINCREMENT: the largest key the table ever held, read once from
    /// `sqlite_sequence` and raised by the statement's inserts (`None`: not yet read).
    sequence: Option<i64>,
    /// Whether `sequence` is above the stored row, which the statement must then write.
    sequence_raised: bool,
    /// The `sqlite_sequence` row of the table, if it has one.
    sequence_row: Option<RowId>,
}

impl RowidKeys {
    /// The key for a row that gives none.
    pub(super) fn next_key(
        &mut self,
        txn: &Transaction,
        table: &TableDef,
        sequence: Option<&Sequence>,
    ) -> Result<i64> {
        let largest = largest_visible_key(txn, table)?;
        if let Some(sequence) = sequence {
            let ever = self.sequence_value(txn, table, sequence)?;
            let above = largest.unwrap_or(0).max(ever);
            return above
                .checked_add(1)
                .ok_or_else(|| crate::err!(Limit, "database or disk is full"));
        }
        match largest {
            None => Ok(1),
            Some(largest) if largest < i64::MAX => Ok(largest + 1),
            Some(_) => random_unused_key(txn, table),
        }
    }

    /// Records a key a row of the statement tried (given or assigned, whether or not the
    /// row went in): an AUTOINCREMENT table's sequence rises to it.
    pub(super) fn attempted(
        &mut self,
        txn: &Transaction,
        table: &TableDef,
        sequence: Option<&Sequence>,
        key: i64,
    ) -> Result<()> {
        if let Some(sequence) = sequence {
            if key > self.sequence_value(txn, table, sequence)? {
                self.sequence = Some(key);
                self.sequence_raised = true;
            }
        }
        Ok(())
    }

    /// Writes the raised sequence of `table` into `sqlite_sequence` (at the statement's end).
    pub(super) fn finish(
        &self,
        txn: &mut Transaction,
        table: &TableDef,
        sequence: Option<&Sequence>,
    ) -> Result<()> {
        let (Some(sequence), Some(value), true) = (sequence, self.sequence, self.sequence_raised)
        else {
            return Ok(());
        };
        let storage = &sequence.table.storage;
        let row = [Value::Text(table.name.clone()), Value::Integer(value)];
        let written = match self.sequence_row {
            Some(id) => txn.update(storage, id, &row).map(|_| ()),
            None => txn.insert(storage, &row).map(|_| ()),
        };
        written.map_err(|e| storage_error(&sequence.table, e))
    }

    /// The sequence of `table`: its `sqlite_sequence` row's `seq` (0 without a row).
    fn sequence_value(
        &mut self,
        txn: &Transaction,
        table: &TableDef,
        sequence: &Sequence,
    ) -> Result<i64> {
        if let Some(value) = self.sequence {
            return Ok(value);
        }
        // A small table without a key (as SQLite's): scanned. Several rows for one table
        // (written by hand) count by their largest `seq`.
        let storage = &sequence.table.storage;
        let mut value = 0;
        let mut buffer = Vec::new();
        let mut next = 0;
        while let Some(batch) = storage.next_scan_batch(next, SCAN_BATCH_SLOTS) {
            next = txn.scan_batch(storage, batch, &mut buffer, |id, row| {
                if let [Value::Text(name), seq] = row.as_slice() {
                    if *name == table.name {
                        let seq = match seq {
                            Value::Integer(seq) => *seq,
                            _ => 0,
                        };
                        if self.sequence_row.is_none() || seq > value {
                            self.sequence_row = Some(id);
                            value = value.max(seq);
                        }
                    }
                }
                true
            })?;
        }
        self.sequence = Some(value);
        Ok(value)
    }
}

/// The largest rowid-column key `txn` sees in `table` (`None`: no row).
pub(super) fn largest_visible_key(txn: &Transaction, table: &TableDef) -> Result<Option<i64>> {
    let storage = &table.storage;
    let Some(stored_max) = storage.max_integer_key() else {
        return Ok(None);
    };
    let lowest_probe = stored_max.saturating_sub(PROBES_BELOW_MAX);
    let mut key = stored_max;
    loop {
        if txn.find_key(storage, &IndexKey::Int(key)).is_some() {
            return Ok(Some(key));
        }
        if key == lowest_probe {
            break;
        }
        key -= 1;
    }
    scan_largest_key(txn, table)
}

/// The largest rowid-column key of the rows `txn` sees, by a scan of that column.
fn scan_largest_key(txn: &Transaction, table: &TableDef) -> Result<Option<i64>> {
    let column = table
        .rowid_column
        .ok_or_else(|| crate::err!(Internal, "table {} has no rowid column", table.name))?;
    let storage = &table.storage;
    let mut wanted = vec![false; table.columns.len()];
    wanted[column] = true;
    let decoder = storage.schema().decoder(Some(&wanted));
    let mut largest = None;
    let mut buffer = Vec::new();
    let mut next = 0;
    while let Some(batch) = storage.next_scan_batch(next, SCAN_BATCH_SLOTS) {
        next = txn.scan_batch_decoded(storage, batch, &decoder, &mut buffer, |_, values| {
            if let Some(Value::Integer(key)) = values.get(column) {
                largest = Some(largest.map_or(*key, |l: i64| l.max(*key)));
            }
            true
        })?;
    }
    Ok(largest)
}

/// A random positive key no visible row holds; `database or disk is full` when none is
/// found in `RANDOM_KEY_ATTEMPTS` tries.
fn random_unused_key(txn: &Transaction, table: &TableDef) -> Result<i64> {
    for _ in 0..RANDOM_KEY_ATTEMPTS {
        let key = fastrand::i64(1..=i64::MAX);
        if txn.find_key(&table.storage, &IndexKey::Int(key)).is_none() {
            return Ok(key);
        }
    }
    Err(crate::err!(Limit, "database or disk is full"))
}
