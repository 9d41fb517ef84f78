//! Memory pressure at commit, under the database-wide budget (`max_memory`), in tiers (the
//! storage's `slab/pressure.rs` measures the level and keeps the counters):
//! - soft mark (`PRAGMA memory_soft_mark`, default 80%): the commit wakes the background
//!   collector, which collects and compacts at once (`gc.rs`);
//! - evict mark (`PRAGMA memory_evict_mark`, default 90%): a commit that adds bytes also
//!   deletes rows of the cache tables (tables whose `on_full` evicts), even below their own
//!   budgets, each by its own policy (`budget::pick_victim`), until the rows' memory is under
//!   the mark; the largest cache table gives first. The deletes are the committing
//!   transaction's own, so the WAL logs them with its commit and replay repeats them. One
//!   commit evicts at a time (the others go on without waiting). Rows evicted and not yet
//!   reclaimed by the collector count as gone; when they pass half the room above the evict
//!   mark, the evicting commit runs a collection pass itself (`assist_lagging_collector`);
//! - full: a write that would pass the budget fails with `MemoryBudget` where it charges its
//!   memory (`MemoryAccount::try_charge`), before commit. When the collector still had
//!   memory to give back, the undone statement first reclaims it and runs once more
//!   (`reclaim_before_retry`). Reads charge nothing for rows they read; DELETE and DROP
//!   TABLE charge nothing that can fail, so they always run.
//!
//! Without a budget the commit path pays one relaxed load and one branch (`durability::commit`);
//! nothing here touches the read path.

use std::sync::Arc;

use ember_storage::slab::{PressureLevel, EVICT_MARK_PERCENT_DEFAULT, SOFT_MARK_PERCENT_DEFAULT};
use ember_storage::{StorageErrorKind, Table, Transaction};

use crate::catalog::{OnFull, TableDef};
use crate::connection::Outcome;
use crate::database::{Database, Shared};
use crate::error::Result;

/// Most rows one commit evicts for pressure (bounds the commit's added work; the next
/// commit evicts more if memory is still above the mark).
const EVICT_ROWS_PER_COMMIT_MAX: u64 = 4096;
/// Victims a concurrent writer already claimed, skipped before one commit stops evicting.
const CONFLICTS_SKIPPED_MAX: u32 = 64;

/// Commits `txn` under a database budget: acts on the pressure level first (see the module
/// comment), then commits as `durability::commit_checked` does.
#[cold]
pub(crate) fn commit_under_budget(
    shared: &Shared,
    txn: &mut Transaction,
    schema: Option<&crate::durability::SchemaCommit<'_>>,
) -> Result<u64> {
    let memory = shared.store.memory();
    let level = memory.pressure_level();
    if level == PressureLevel::None {
        return crate::durability::commit_checked(shared, txn, schema);
    }
    if memory.pressure().request_wake() {
        if let Some(collector) = shared.collector.get() {
            collector.wake();
        }
    }
    if level < PressureLevel::Evict || !adds_bytes(txn) {
        return crate::durability::commit_checked(shared, txn, schema);
    }
    if !memory.pressure().try_begin_eviction() {
        // Another commit is evicting: it relieves the pressure for this one too.
        return crate::durability::commit_checked(shared, txn, schema);
    }
    assist_lagging_collector(shared);
    let evicted = evict(shared, txn);
    let committed = crate::durability::commit_checked(shared, txn, schema);
    if let Ok(commit_ts) = committed {
        let pressure = memory.pressure();
        let mut rows = 0;
        for (table, table_rows) in &evicted.rows {
            table.budget().count_evicted(*table_rows);
            rows += table_rows;
        }
        pressure.count_evicted(rows);
        if evicted.bytes > 0 {
            pressure.add_unreclaimed(commit_ts, evicted.bytes);
        }
    }
    memory.pressure().end_eviction();
    committed
}

/// When the rows evicted for pressure and not reclaimed yet pass half the room between the
/// evict mark and the budget, the collector thread is lagging (a busy machine): the
/// evicting commit runs a collection pass itself, so that garbage cannot fill the budget
/// while the evict mark counts it as gone (writers are slowed to the collector's pace
/// instead of failing).
fn assist_lagging_collector(shared: &Shared) {
    let memory = shared.store.memory();
    let Some(budget) = memory.budget() else {
        return;
    };
    let pressure = memory.pressure();
    let mark = ember_storage::slab::mark_bytes(budget, pressure.evict_mark_percent());
    if pressure.unreclaimed_evicted_bytes() > (budget - mark) / 2 {
        crate::gc::collect_and_reclaim(shared);
    }
}

/// The database budget's count of refused charges before a statement runs, for
/// `reclaim_before_retry` (`None` without a budget: nothing to retry for).
#[inline]
pub(crate) fn rejected_before_statement(shared: &Shared) -> Option<u64> {
    let memory = shared.store.memory();
    memory.budget()?;
    Some(memory.pressure().writes_rejected())
}

/// A write that met the full budget while the collector still had memory to give back
/// reclaims it itself and says the statement may run once more: the write waits for the
/// collector instead of failing. Memory on its way back: rows evicted and not yet
/// collected, versions collected and waiting for their epoch-deferred frees, and version
/// headers (at least a slab page of them) of rows not yet frozen or deleted rows not yet
/// collected, all of which pile up when the collector thread lags on a busy machine.
/// Called after the failed statement was undone, with the count from
/// `rejected_before_statement`; `false` (fail as before) for any other failure, or when
/// nothing was on its way back. The pass is a collection of every table (bounded by the
/// budget's rows), so a write refused again and again pays one per refusal only while
/// there are headers to freeze or collect. The retried statement's refusal counts once.
#[cold]
pub(crate) fn reclaim_before_retry(
    shared: &Shared,
    error: &crate::Error,
    rejected_before: Option<u64>,
) -> bool {
    let Some(rejected_before) = rejected_before else {
        return false;
    };
    let memory = shared.store.memory();
    let pressure = memory.pressure();
    let refused_by_the_budget = error.kind() == crate::ErrorKind::MemoryBudget
        && pressure.writes_rejected() > rejected_before;
    let garbage_pending = pressure.unreclaimed_evicted_bytes() > 0
        || memory.pending_frees() > 0
        || memory.stats().version_header_bytes >= ember_storage::slab::PAGE_BYTES as u64;
    if !refused_by_the_budget || !garbage_pending {
        return false;
    }
    crate::gc::collect_and_reclaim(shared);
    let pool = shared.store.pool();
    pool.drain_deferred_frees();
    pool.release_empty_pages();
    pressure.forget_rejected();
    true
}

/// Whether `txn` adds bytes to some table (a transaction that only deletes never evicts).
fn adds_bytes(txn: &Transaction) -> bool {
    txn.written_tables()
        .iter()
        .any(|table| txn.pending_bytes(table) > 0)
}

/// What one commit evicted.
#[derive(Default)]
struct Evicted {
    rows: Vec<(Arc<Table>, u64)>,
    bytes: u64,
}

/// A cache table and the bytes it still holds as this commit sees them.
struct Candidate {
    def: Arc<TableDef>,
    policy: OnFull,
    held: i64,
    rows: u64,
}

/// Deletes cache-table rows in `txn` until the rows' memory is under the evict mark, or no
/// victim is left, or `EVICT_ROWS_PER_COMMIT_MAX` rows went.
fn evict(shared: &Shared, txn: &mut Transaction) -> Evicted {
    let memory = shared.store.memory();
    let Some(budget) = memory.budget() else {
        return Evicted::default();
    };
    let pressure = memory.pressure();
    let stats = memory.stats();
    let data = pressure.data_bytes(stats.used_bytes, stats.slab_bytes_free);
    let mark = ember_storage::slab::mark_bytes(budget, pressure.evict_mark_percent());
    // Under the mark means strictly below it.
    let mut over = data as i64 - mark as i64 + 1;
    let catalog = shared.catalog.load_full();
    let mut candidates: Vec<Candidate> = catalog
        .tables()
        .into_iter()
        .filter_map(|def| {
            let policy = def.options.policy()?;
            (policy != OnFull::Reject).then(|| Candidate {
                def: Arc::clone(def),
                policy,
                held: def.storage.budget().live_bytes() as i64,
                rows: 0,
            })
        })
        .collect();
    let mut evicted = Evicted::default();
    let mut total_rows = 0;
    let mut conflicts = 0;
    while over > 0 && total_rows < EVICT_ROWS_PER_COMMIT_MAX {
        let Some(candidate) = candidates
            .iter_mut()
            .filter(|candidate| candidate.held > 0)
            .max_by_key(|candidate| candidate.held)
        else {
            break;
        };
        let victim = crate::budget::pick_victim(txn, &candidate.def, candidate.policy);
        let Ok(Some((row, bytes))) = victim else {
            candidate.held = 0; // nothing (more) to take from this table in this commit
            continue;
        };
        match txn.delete(&candidate.def.storage, row) {
            Ok(()) => {
                over -= bytes as i64;
                candidate.held -= bytes as i64;
                candidate.rows += 1;
                evicted.bytes += bytes;
                total_rows += 1;
            }
            Err(error) if error.kind == StorageErrorKind::Conflict => {
                conflicts += 1;
                if conflicts > CONFLICTS_SKIPPED_MAX {
                    break;
                }
            }
            Err(_) => break,
        }
    }
    evicted.rows = candidates
        .into_iter()
        .filter(|candidate| candidate.rows > 0)
        .map(|candidate| (Arc::clone(&candidate.def.storage), candidate.rows))
        .collect();
    evicted
}

/// Which mark a PRAGMA or SET names.
#[derive(Clone, Copy)]
pub(crate) enum Mark {
    Soft,
    Evict,
}

impl Mark {
    pub(crate) fn by_name(name: &str) -> Option<Mark> {
        match name {
            "memory_soft_mark" => Some(Mark::Soft),
            "memory_evict_mark" => Some(Mark::Evict),
            _ => None,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Mark::Soft => "memory_soft_mark",
            Mark::Evict => "memory_evict_mark",
        }
    }
}

/// Checks and sets both marks (percentages, `1 <= soft <= evict <= 100`).
pub(crate) fn set_marks(shared: &Shared, soft: i64, evict: i64) -> Result<()> {
    for (name, value) in [("memory_soft_mark", soft), ("memory_evict_mark", evict)] {
        if !(1..=100).contains(&value) {
            return Err(crate::err!(
                InvalidInput,
                "{name} is a percentage of max_memory from 1 to 100, not {value}"
            ));
        }
    }
    if soft > evict {
        return Err(crate::err!(
            InvalidInput,
            "memory_soft_mark ({soft}) must not be above memory_evict_mark ({evict})"
        ));
    }
    shared
        .store
        .memory()
        .pressure()
        .set_marks(soft as u8, evict as u8);
    Ok(())
}

/// `PRAGMA memory_soft_mark` / `memory_evict_mark` (read the percentage), or `= <percent>`
/// (also `SET memory_soft_mark = <percent>`).
pub(crate) fn pragma_mark(
    db: &Database,
    mark: Mark,
    value: Option<&impl ToString>,
) -> Result<Outcome> {
    let pressure = db.shared.store.memory().pressure();
    let (soft, evict) = (pressure.soft_mark_percent(), pressure.evict_mark_percent());
    let Some(value) = value else {
        let percent = match mark {
            Mark::Soft => soft,
            Mark::Evict => evict,
        };
        return Ok(Outcome {
            columns: vec![mark.name().to_string()],
            rows: vec![vec![ember_storage::Value::Integer(i64::from(percent))]],
            changes: 0,
        });
    };
    let text = value.to_string();
    let percent: i64 = text.trim_matches('\'').trim().parse().map_err(|_| {
        crate::err!(
            InvalidInput,
            "{} takes a whole percentage of max_memory (1 to 100), not {text}",
            mark.name()
        )
    })?;
    match mark {
        Mark::Soft => set_marks(&db.shared, percent, i64::from(evict))?,
        Mark::Evict => set_marks(&db.shared, i64::from(soft), percent)?,
    }
    Ok(Outcome {
        columns: Vec::new(),
        rows: Vec::new(),
        changes: 0,
    })
}

/// The defaults, for docs and the options builder.
pub(crate) const MARKS_DEFAULT: (u8, u8) = (SOFT_MARK_PERCENT_DEFAULT, EVICT_MARK_PERCENT_DEFAULT);
