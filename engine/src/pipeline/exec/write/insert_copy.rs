//! INSERT of another table's rows copied as they are encoded (`InsertWrite::CopyRows`,
//! chosen by the optimizer's row copy rule for `INSERT INTO t2 SELECT * FROM t` when the
//! two tables encode rows alike). The source is read `BATCH_ROWS` row ids at a time at the
//! transaction's snapshot (`Transaction::read_copies`: payload bytes, and decoded only the
//! key and indexed columns), and each batch written at once (`BatchInsert::copies`, with
//! the effect and the errors of the batched path: a repeated key fails the statement with
//! the same error). Source and target are different tables, so the reads never see the
//! statement's own rows. An interrupt is checked and the statement's row limit applied
//! before each batch; the batch held and the ordered-index entries held until the
//! statement's end are charged to its memory account; EXPLAIN ANALYZE counts the rows read
//! for the scan. The keys of the target's indexes that derive them (`derived_keys.rs`) are
//! derived from each row's decoded columns (those indexes read) before its batch is written.
//! Should the tables no longer encode
//! alike when the statement runs, the batched path writes it.

use ember_storage::{RowCopies, Transaction, Value};

use crate::error::Result;
use crate::expr::StatementEnv;
use crate::plan::{Insert, InsertWrite, Node};

use super::super::bounds::MemoryCharge;
use super::super::profile::Tally;
use super::derived_keys::DerivedKeys;
use super::dml::storage_error;
use super::insert::check_rows_max;
use super::insert_batch::{insert_batched, BATCH_ROWS};

/// Copies the rows of the table `insert.source` scans into `insert.table`; returns the row
/// count. `done` follows the rows written so far.
pub(super) fn insert_copied(
    txn: &mut Transaction,
    insert: &Insert,
    env: StatementEnv<'_>,
    done: &mut usize,
) -> Result<usize> {
    debug_assert_eq!(insert.write, InsertWrite::CopyRows);
    let Some(scan @ Node::Scan(access)) = insert.copied_scan() else {
        return insert_batched(txn, insert, env, done);
    };
    let (source, target) = (&*access.table, &*insert.table);
    if !target.storage.encodes_like(&source.storage) {
        return insert_batched(txn, insert, env, done);
    }
    let mut copies = RowCopies::new(&source.storage, &target.storage)
        .map_err(|error| storage_error(target, error))?;
    let mut charge = MemoryCharge::new(
        env.bounds.and_then(|bounds| bounds.memory),
        "the rows of INSERT .. SELECT",
    );
    let mut charged = 0;
    // EXPLAIN ANALYZE counts the rows read for the scan.
    let mut tally = Tally::of(scan);
    let derived = DerivedKeys::of(target, &|_| true);
    let mut load = txn.insert_batch(&target.storage);
    // The rows the copy reads, when storage counts them without a walk.
    if let Some(rows) = load.transaction().count_rows(&source.storage) {
        load.expect_rows(rows);
    }
    let mut from = 0;
    while let Some(rows) = source.storage.next_scan_batch(from, BATCH_ROWS as u64) {
        env.check_interrupt()?;
        from = load
            .transaction()
            .read_copies(&source.storage, rows, &mut copies)
            .map_err(|error| storage_error(source, error))?;
        if copies.is_empty() {
            continue;
        }
        tally.rows(copies.len() as u64);
        if let Some(derived) = &derived {
            derive_copied_keys(derived, &copies, target.columns.len())?;
        }
        check_rows_max(*done + copies.len(), env.rows_max)?;
        let held = copies.held_bytes() + load.pending_bytes();
        if held > charged {
            charge.add((held - charged) as u64)?;
            charged = held;
        }
        let mut inserted = 0;
        let written = load.copies(&copies, &mut inserted);
        *done += inserted;
        if let (Some(column), Some(counters), Some(last)) =
            (target.rowid_column, env.counters, inserted.checked_sub(1))
        {
            if let Some(Value::Integer(key)) = copies.decoded_value(last, column) {
                counters.set_last_insert_rowid(*key);
            }
        }
        written.map_err(|error| storage_error(target, error))?;
    }
    load.finish()
        .map_err(|error| storage_error(target, error))?;
    Ok(*done)
}

/// Derives the keys of every row `copies` holds (`width` columns; those the derivations read
/// are decoded, the others read NULL).
fn derive_copied_keys(derived: &DerivedKeys<'_>, copies: &RowCopies, width: usize) -> Result<()> {
    let mut row = vec![Value::Null; width];
    for at in 0..copies.len() {
        for (column, slot) in row.iter_mut().enumerate() {
            *slot = copies
                .decoded_value(at, column)
                .cloned()
                .unwrap_or(Value::Null);
        }
        derived.check_values(&row)?;
    }
    Ok(())
}
