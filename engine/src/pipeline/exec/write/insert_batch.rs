//! INSERT of a query's rows in batches (`InsertWrite::Batched`, chosen by
//! `optimize::batch_insert` for a plain INSERT into a table no row of which needs the
//! row-by-row path). The query runs to completion first, as on the row-by-row path, so it
//! never reads the statement's own rows; its rows are held charged to the statement's memory
//! account. Then each run of `BATCH_ROWS` rows is completed row by row (defaults, a key for
//! an INTEGER PRIMARY KEY left NULL, column types, NOT NULL, the keys of the indexes that
//! derive them, `derived_keys.rs`) and written at once
//! (`Transaction::insert_batch`, which keeps the effect and the error of single inserts;
//! the ordered-index entries it holds until the statement's end are charged too).
//! When the source gives every column in table order, its rows are completed in place. A
//! row that takes a random key (the largest key is `i64::MAX`) has the rows before it
//! written first, so the table alone is probed for a free key, as row by row.

use ember_storage::{BatchInsert, Transaction, Value};

use crate::catalog::TableDef;
use crate::error::Result;
use crate::expr::{EvalContext, StatementEnv, SubqueryRuntime};
use crate::plan::{Insert, InsertWrite, OnConflict};

use super::super::bounds::MemoryCharge;
use super::super::ExecContext;
use super::derived_keys::DerivedKeys;
use super::dml::storage_error;
use super::rowid::{largest_visible_key, RowidKeys};
use super::upsert::{assign_evaluated, check_proposed};

/// Rows completed and written per batch.
pub const BATCH_ROWS: usize = 1024;

/// Inserts the rows of `insert.source` in batches; returns the row count. `done` follows
/// the rows written so far.
pub(super) fn insert_batched(
    txn: &mut Transaction,
    insert: &Insert,
    env: StatementEnv<'_>,
    done: &mut usize,
) -> Result<usize> {
    debug_assert!(matches!(
        insert.write,
        InsertWrite::Batched | InsertWrite::CopyRows
    ));
    debug_assert!(insert.on_conflict == OnConflict::Abort && insert.sequence.is_none());
    let table = &*insert.table;
    let width = table.columns.len();
    let columns = insert.columns.len();
    let mut charge = MemoryCharge::new(
        env.bounds.and_then(|bounds| bounds.memory),
        "the rows of INSERT .. SELECT",
    );
    let (mut values, rows) = {
        let runtime = SubqueryRuntime::new(txn, env);
        super::upsert::collect_flat(
            &insert.source,
            columns,
            &ExecContext::new(&runtime),
            Some(&mut charge),
        )?
    };
    let mut writer = BatchWriter {
        insert,
        env,
        load: txn.insert_batch(&table.storage),
        keys: KeyCeiling::default(),
        derived: DerivedKeys::of(table, &|_| true),
        done,
        charge: &mut charge,
        charged: 0,
    };
    let in_order = columns == width && insert.columns.iter().enumerate().all(|(i, &c)| i == c);
    if in_order {
        for batch in values.chunks_mut(BATCH_ROWS * width) {
            // The rows from `start` on are not written yet.
            let mut start = 0;
            for at in (0..batch.len()).step_by(width) {
                if writer.keys_need_write(&batch[at..at + width])? {
                    writer.write(&batch[start..at])?;
                    start = at;
                }
                writer.complete(&mut batch[at..at + width])?;
            }
            writer.write(&batch[start..])?;
        }
        return writer.finish();
    }
    // The batch buffer: table rows built from the source's rows.
    let mut batch: Vec<Value> = Vec::with_capacity(rows.min(BATCH_ROWS) * width);
    writer
        .charge
        .add((batch.capacity() * std::mem::size_of::<Value>()) as u64)?;
    let mut source = values.drain(..);
    for _ in 0..rows {
        let start = batch.len();
        batch.resize(start + width, Value::Null);
        let row = &mut batch[start..];
        for (value, &position) in source.by_ref().take(columns).zip(&insert.columns) {
            row[position] = value;
        }
        writer.fill_defaults(row)?;
        if writer.keys_need_write(&batch[start..])? {
            writer.write(&batch[..start])?;
            batch.drain(..start);
        }
        let start = batch.len() - width;
        writer.complete(&mut batch[start..])?;
        if batch.len() == BATCH_ROWS * width {
            writer.write(&batch)?;
            batch.clear();
        }
    }
    writer.write(&batch)?;
    debug_assert!(source.next().is_none(), "every source value was written");
    writer.finish()
}

/// Writes the batches of one statement.
struct BatchWriter<'p, 'e, 't, 'd> {
    insert: &'p Insert,
    env: StatementEnv<'e>,
    load: BatchInsert<'t>,
    keys: KeyCeiling,
    /// The indexes whose keys each row derives before it is written.
    derived: Option<DerivedKeys<'p>>,
    /// Rows written so far.
    done: &'d mut usize,
    /// The statement's charge, which the ordered entries `load` holds are added to.
    charge: &'d mut MemoryCharge,
    /// What of `load`'s held entries is charged.
    charged: usize,
}

impl BatchWriter<'_, '_, '_, '_> {
    /// Merges the ordered entries held; returns the rows written.
    fn finish(self) -> Result<usize> {
        let table = &*self.insert.table;
        self.load
            .finish()
            .map_err(|error| storage_error(table, error))?;
        Ok(*self.done)
    }

    /// Sets the columns of `row` (a table row) the source does not give to their defaults.
    fn fill_defaults(&self, row: &mut [Value]) -> Result<()> {
        let (table, given) = (&*self.insert.table, &self.insert.columns);
        if given.len() < row.len() {
            let eval = EvalContext::with_params(self.env.params);
            for (position, (slot, column)) in row.iter_mut().zip(&table.columns).enumerate() {
                if !given.contains(&position) {
                    match &column.default {
                        Some(default) => assign_evaluated(slot, default, &eval)?,
                        None => *slot = Value::Null,
                    }
                }
            }
        }
        Ok(())
    }

    /// Whether the rows not yet written must be written before `row` takes a key: it gives
    /// none and the next key is a random unused one, which only the table can be probed for.
    fn keys_need_write(&mut self, row: &[Value]) -> Result<bool> {
        let table = &*self.insert.table;
        match table.rowid_column {
            Some(column) if row[column].is_null() => {
                self.keys.needs_write(self.load.transaction(), table)
            }
            _ => Ok(false),
        }
    }

    /// Completes `row` (its given columns and defaults set): an INTEGER PRIMARY KEY left
    /// NULL takes a new key, then each value its column's type, NOT NULL is checked and the
    /// keys of the indexes that derive them are derived.
    fn complete(&mut self, row: &mut [Value]) -> Result<()> {
        let table = &*self.insert.table;
        if let Some(column) = table.rowid_column {
            if row[column].is_null() {
                let txn = self.load.transaction();
                row[column] = Value::Integer(self.keys.next(txn, table)?);
            }
        }
        check_proposed(table, row)?;
        if let Some(derived) = &self.derived {
            derived.check_values(row)?;
        }
        if let Some(Value::Integer(key)) = table.rowid_column.map(|column| &row[column]) {
            self.keys.given(*key);
        }
        Ok(())
    }

    /// Writes `batch` (whole table rows) at once.
    fn write(&mut self, batch: &[Value]) -> Result<()> {
        let table = &*self.insert.table;
        let width = table.columns.len();
        if batch.is_empty() {
            return Ok(());
        }
        let mut inserted = 0;
        let written = self.load.rows((batch, width), &mut inserted);
        *self.done += inserted;
        let held = self.load.pending_bytes();
        if held > self.charged {
            self.charge.add((held - self.charged) as u64)?;
            self.charged = held;
        }
        self.keys.written();
        if let (Some(column), Some(counters), true) =
            (table.rowid_column, self.env.counters, inserted > 0)
        {
            if let Value::Integer(key) = batch[(inserted - 1) * width + column] {
                counters.set_last_insert_rowid(key);
            }
        }
        written.map_err(|error| storage_error(table, error))
    }
}

/// The keys of a table's INTEGER PRIMARY KEY as the statement writes in batches: a row that
/// gives none takes the largest key its insert would see (the table's rows and the rows
/// before it in the batch, not yet written) plus one, as a single insert's would.
#[derive(Default)]
struct KeyCeiling {
    /// The largest key of the table and of the rows completed so far, once read (the
    /// inner `None`: no row).
    largest: Option<Option<i64>>,
    /// The largest key the rows of the unwritten batch hold.
    pending: Option<i64>,
    /// Whether the unwritten batch holds a row.
    batch_open: bool,
    /// For keys past `i64::MAX`: a random unused one, as the row-by-row path picks.
    rowid: RowidKeys,
}

impl KeyCeiling {
    /// The largest key a row's insert would see, read from the table the first time.
    fn largest(&mut self, txn: &Transaction, table: &TableDef) -> Result<Option<i64>> {
        if let Some(largest) = self.largest {
            return Ok(largest);
        }
        let largest = largest_visible_key(txn, table)?.max(self.pending);
        self.largest = Some(largest);
        Ok(largest)
    }

    /// Whether the next key is a random one while rows are pending unwritten (the random
    /// key must be unused by them too, and only the table is probed).
    fn needs_write(&mut self, txn: &Transaction, table: &TableDef) -> Result<bool> {
        Ok(self.batch_open && self.largest(txn, table)? == Some(i64::MAX))
    }

    /// The key for the next row, which gives none.
    fn next(&mut self, txn: &Transaction, table: &TableDef) -> Result<i64> {
        match self.largest(txn, table)? {
            None => Ok(1),
            Some(largest) if largest < i64::MAX => Ok(largest + 1),
            Some(_) => {
                debug_assert!(!self.batch_open, "pending rows are written first");
                self.rowid.next_key(txn, table, None)
            }
        }
    }

    /// Records the key of a completed row.
    fn given(&mut self, key: i64) {
        self.pending = self.pending.max(Some(key));
        self.batch_open = true;
        if let Some(largest) = &mut self.largest {
            *largest = (*largest).max(Some(key));
        }
    }

    /// The batch was written: its rows are the table's now.
    fn written(&mut self) {
        self.batch_open = false;
    }
}
