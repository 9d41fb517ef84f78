//! Per-table budgets at commit: `WITH (max_memory = '<size>', on_full = '<policy>')`.
//! A commit that wrote to a table with a budget takes the table's budget lock, compares
//! the table's committed bytes plus what the transaction adds with the budget, and, when
//! they pass it, either fails (`reject`: `MemoryBudget` naming the table, nothing
//! committed) or deletes victims inside the same transaction until they fit (the evicting
//! policies), then commits with the lock still held, so concurrent writers cannot both fill
//! the room one check saw. Evictions are ordinary deletes of the committing transaction:
//! the WAL logs them with its commit and replay repeats them exactly.
//!
//! Victims: `evict_lru` is CLOCK (reads set a reference bit; the hand clears set bits and
//! takes the first row with a clear one); `evict_lfu` looks at the next
//! `LFU_SAMPLE_ROWS` rows under the hand and takes the one with the lowest logarithmic
//! use counter, aging the others by one; `evict_ttl` takes, of the next `TTL_SAMPLE_ROWS`,
//! the one whose `expire_at` comes first (a row that never expires last). A transaction's
//! own new rows are never victims: a write larger than the whole budget fails.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use ember_storage::mvcc::{HandStep, MarkMode};
use ember_storage::slab::format_bytes;
use ember_storage::{RowId, StorageErrorKind, Table, Transaction};

use crate::catalog::{Catalog, OnFull, TableDef};
use crate::database::Shared;
use crate::error::Result;

/// Rows the LFU policy compares per victim.
const LFU_SAMPLE_ROWS: usize = 16;
/// Rows with an expiry time the TTL policy compares per victim.
const TTL_SAMPLE_ROWS: usize = 16;
/// Victims that a concurrent writer already claimed, skipped before giving up.
const CONFLICTS_SKIPPED_MAX: u32 = 64;

/// Gives each table's storage its budget and read marking, from the catalog about to be
/// published.
pub(crate) fn configure_tables(catalog: &Catalog) {
    for table in catalog.tables() {
        let marking = match table.options.policy() {
            Some(OnFull::EvictLru) => Some(MarkMode::Clock),
            Some(OnFull::EvictLfu) => Some(MarkMode::LogCounter),
            _ => None,
        };
        table
            .storage
            .budget()
            .configure(table.options.max_memory, marking);
    }
}

/// Whether `txn` wrote to a table with a budget (one relaxed load per written table).
#[inline]
pub(crate) fn touches_budgeted(txn: &Transaction) -> bool {
    txn.written_tables()
        .iter()
        .any(|table| table.budget().limit().is_some())
}

/// Commits `txn`, which wrote to at least one table with a budget (see the module comment).
#[cold]
pub(crate) fn commit_budgeted(
    shared: &Shared,
    txn: &mut Transaction,
    schema: Option<&crate::durability::SchemaCommit<'_>>,
) -> Result<u64> {
    let mut budgeted: Vec<Arc<Table>> = txn
        .written_tables()
        .iter()
        .filter(|table| table.budget().limit().is_some())
        .cloned()
        .collect();
    budgeted.sort_by_key(|table| table.id());
    // Locks in table-id order, so two commits never wait on each other in a cycle.
    let locks: Vec<_> = budgeted
        .iter()
        .map(|table| table.budget().commit_lock())
        .collect();
    let catalog = shared.catalog.load_full();
    let mut evicted = Vec::with_capacity(budgeted.len());
    for table in &budgeted {
        match fit(&catalog, txn, table) {
            Ok(rows) => evicted.push(rows),
            Err(error) => {
                txn.rollback_kept();
                return Err(error);
            }
        }
    }
    let committed = crate::durability::commit_unchecked(shared, txn, schema);
    if committed.is_ok() {
        for (table, rows) in budgeted.iter().zip(evicted) {
            table.budget().count_evicted(rows);
        }
    }
    drop(locks);
    committed
}

/// Makes `txn`'s writes to `table` fit its budget; returns the rows evicted.
fn fit(catalog: &Catalog, txn: &mut Transaction, table: &Arc<Table>) -> Result<u64> {
    let Some(limit) = table.budget().limit() else {
        return Ok(0);
    };
    let pending = txn.pending_bytes(table);
    let live = table.budget().live_bytes() as i64;
    let mut over = live + pending - limit as i64;
    if over <= 0 {
        return Ok(0);
    }
    let def = catalog
        .tables()
        .into_iter()
        .find(|def| Arc::ptr_eq(&def.storage, table))
        .cloned();
    let Some(def) = def else {
        return Ok(0); // dropped meanwhile: the commit itself is refused
    };
    let policy = def.options.policy().unwrap_or(OnFull::Reject);
    if policy == OnFull::Reject {
        return Err(over_budget(&def, limit, live, pending));
    }
    let mut evicted = 0;
    let mut conflicts = 0;
    while over > 0 {
        let Some((row, bytes)) = pick_victim(txn, &def, policy)? else {
            return Err(over_budget(&def, limit, live, pending));
        };
        match txn.delete(table, row) {
            Ok(()) => {
                over -= bytes as i64;
                evicted += 1;
            }
            Err(error) if error.kind == StorageErrorKind::Conflict => {
                conflicts += 1;
                if conflicts > CONFLICTS_SKIPPED_MAX {
                    return Err(error.into());
                }
            }
            Err(error) => return Err(error.into()),
        }
    }
    Ok(evicted)
}

/// The next victim under `policy` and the bytes it frees; `None` when no row but the
/// transaction's own new ones is left (also `pressure.rs`'s choice of victims).
pub(crate) fn pick_victim(
    txn: &Transaction,
    def: &TableDef,
    policy: OnFull,
) -> Result<Option<(RowId, u64)>> {
    let table = &def.storage;
    // Twice round the table: the first pass may only clear reference bits.
    let slots_max = table.positions().saturating_mul(2).saturating_add(1);
    match policy {
        OnFull::Reject => Ok(None),
        OnFull::EvictLru => {
            let mut victim = None;
            txn.walk_from_hand(table, slots_max, |row, bytes, mark| match mark {
                Some(mark) if mark.load(Ordering::Relaxed) != 0 => {
                    mark.store(0, Ordering::Relaxed);
                    HandStep::Pass
                }
                _ => {
                    victim = Some((row, bytes));
                    HandStep::Stop
                }
            });
            Ok(victim)
        }
        OnFull::EvictLfu => {
            let mut sample: Vec<(RowId, u64, u8)> = Vec::with_capacity(LFU_SAMPLE_ROWS);
            txn.walk_from_hand(table, slots_max, |row, bytes, mark| {
                let count = mark.map_or(0, |mark| {
                    let count = mark.load(Ordering::Relaxed);
                    if count > 0 {
                        mark.store(count - 1, Ordering::Relaxed);
                    }
                    count
                });
                sample.push((row, bytes, count));
                if sample.len() == LFU_SAMPLE_ROWS {
                    HandStep::Stop
                } else {
                    HandStep::Pass
                }
            });
            Ok(sample
                .into_iter()
                .min_by_key(|(row, _, count)| (*count, *row))
                .map(|(row, bytes, _)| (row, bytes)))
        }
        OnFull::EvictTtl => {
            if !def.expires() {
                return Ok(None);
            }
            // The `expire_at` column and the `ttl` write time, whichever the table has.
            let mut wanted = vec![false; def.columns.len()];
            for column in [def.options.expire_at, def.write_time_column()]
                .into_iter()
                .flatten()
            {
                wanted[column] = true;
            }
            let mut values = Vec::new();
            let mut failure = None;
            let mut expiring = 0;
            // The row expiring first of the next `TTL_SAMPLE_ROWS` that expire at all; a
            // row that never expires only when the whole walk met no other.
            let mut best: Option<(f64, RowId, u64)> = None;
            txn.walk_from_hand(table, slots_max, |row, bytes, _| {
                match txn.read_row_columns(table, row, Some(&wanted), &mut values) {
                    Ok(true) => {}
                    Ok(false) => return HandStep::Pass,
                    Err(error) => {
                        failure = Some(error);
                        return HandStep::Stop;
                    }
                }
                let expires = def.row_expiry_ms(&values).unwrap_or(f64::INFINITY);
                if best.is_none_or(|(first, _, _)| expires < first) {
                    best = Some((expires, row, bytes));
                }
                if expires.is_finite() {
                    expiring += 1;
                }
                if expiring == TTL_SAMPLE_ROWS {
                    HandStep::Stop
                } else {
                    HandStep::Pass
                }
            });
            if let Some(error) = failure {
                return Err(error.into());
            }
            Ok(best.map(|(_, row, bytes)| (row, bytes)))
        }
    }
}

#[cold]
fn over_budget(def: &TableDef, limit: u64, live: i64, pending: i64) -> crate::Error {
    let after = (live + pending).max(0) as u64;
    crate::err!(
        MemoryBudget,
        "table {} is over its memory budget: the write would make its rows hold {} of its \
         max_memory {} (on_full = '{}'); delete rows, raise max_memory, or choose an \
         evicting on_full policy",
        def.name,
        format_bytes(after),
        format_bytes(limit),
        def.options.policy().unwrap_or(OnFull::Reject).name()
    )
}
