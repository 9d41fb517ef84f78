//! Correlated scalar subqueries answered from groups. A subquery of the shape
//! `(SELECT <aggregates> FROM t WHERE t.a = outer.x [AND t.b = outer.y ..] [AND <terms of
//! t>])` that the optimizer chose to decorrelate (`optimize/subquery_by_groups.rs`) runs once
//! per statement execution as `SELECT a, b, .., <its value> FROM t WHERE <terms of t>
//! GROUP BY a, b, ..` (`GroupedSubquery::query`), and each outer row's value is looked up
//! by its `x, y, ..` instead of the subquery running for that row.
//!
//! Grouping pays only for many outer rows: a per-row run costs about twice what grouping
//! costs per row of `t`. So the subquery first runs per row, as it would without its
//! grouped form, and computes the groups once its runs in the execution reach
//! `1 / RUNS_PER_TABLE_ROW` of `t`'s rows (at least `GROUP_AFTER_RUNS_MIN`): it never
//! costs more than about twice the cheaper of the two, whatever the outer rows turn out
//! to be.
//!
//! The lookup matches as the equalities do: by SQL equality of values with no affinity
//! applied (`KeyValue`: `1` and `1.0` are one key; texts by their bytes, the rule takes
//! BINARY columns of one affinity class only), and an outer NULL matches nothing. An outer
//! key with no group gets the subquery's value over no rows (the same for every such key:
//! nothing else in the subquery reads the outer row), computed once by running the
//! subquery for the first such row.
//!
//! The groups are used only while the transaction has written nothing since they were
//! computed (a statement that writes what its subquery reads sees its own writes): after a
//! write, and when two groups' keys are equal under SQL equality or there are more than
//! `SUBQUERY_MEMO_ENTRIES_MAX` groups, the subquery runs per outer row for the rest of the
//! execution. What the groups hold is charged to the statement's memory account.

use std::collections::HashMap;
use std::sync::Arc;

use ember_storage::Value;

use crate::catalog::TableDef;
use crate::error::Result;
use crate::exec::{self, ExecContext, MemoryCharge};
use crate::fast_hash::FastBuildHasher;
use crate::limits::SUBQUERY_MEMO_ENTRIES_MAX;
use crate::plan::Query;

use super::subquery::{OuterFrame, SubqueryRuntime, MEMOIZED_IDS_MAX};
use super::subquery_memo::OuterRead;
use super::{KeyValue, SubqueryExpr};

/// Bytes a group takes besides its key's and value's own (the map slot, the key's box).
const GROUP_BYTES: u64 = 64;

/// The runs after which the groups are computed, as a share of the table's rows: a
/// per-row run costs about as much as grouping two rows.
const RUNS_PER_TABLE_ROW: u64 = 2;

/// Runs before the groups are computed, at the least.
const GROUP_AFTER_RUNS_MIN: u64 = 64;

/// A correlated scalar subquery's grouped form (see the module comment).
pub struct GroupedSubquery {
    /// Each row: a group's values of the equalities' inner sides (in `outer_keys`' order),
    /// then the subquery's value over the group's rows.
    pub query: Query,
    /// The outer columns whose values, in order, are matched against a group's key.
    pub outer_keys: Box<[OuterRead]>,
    /// The outer columns as EXPLAIN names them.
    pub outer_names: Vec<String>,
    /// The table the subquery reads (its row count sets when the groups are computed).
    pub table: Arc<TableDef>,
}

/// A grouped subquery's state within one statement execution.
pub(super) enum GroupState {
    /// Runs per row so far, and the runs after which the groups are computed.
    Counting {
        runs: u64,
        until: u64,
    },
    Ready(GroupTable),
    /// Given up for the rest of the execution: the subquery runs per outer row.
    Abandoned,
}

/// The groups of one execution.
pub(super) struct GroupTable {
    values: HashMap<Box<[KeyValue]>, Value, FastBuildHasher>,
    /// The subquery's value for an outer key with no group, once a run computed it.
    empty: Option<Value>,
    /// The transaction's write count the groups were computed at.
    writes_at_fill: usize,
    memory: MemoryCharge,
    /// The outer row's key, made here for each lookup (no key allocated per row).
    key: Vec<KeyValue>,
}

impl SubqueryExpr {
    /// The subquery's value for the outer row `frame` from its groups, computing them once
    /// the runs are many enough; `None` while they are not, or when the groups were given
    /// up (the caller runs the subquery for the row).
    pub(super) fn value_from_groups(
        &self,
        grouped: &GroupedSubquery,
        runtime: &SubqueryRuntime<'_>,
        frame: &OuterFrame<'_>,
    ) -> Result<Option<Value>> {
        if self.id >= MEMOIZED_IDS_MAX {
            return Ok(None);
        }
        let writes = runtime.txn.savepoint();
        let due = {
            let mut groups = runtime.groups.borrow_mut();
            if groups.len() <= self.id {
                groups.resize_with(self.id + 1, || None);
            }
            let state = groups[self.id].get_or_insert_with(|| GroupState::Counting {
                runs: 0,
                until: (grouped.table.storage.slots_in_use() / RUNS_PER_TABLE_ROW)
                    .max(GROUP_AFTER_RUNS_MIN),
            });
            match state {
                GroupState::Counting { runs, until } => {
                    *runs += 1;
                    if *runs <= *until {
                        return Ok(None);
                    }
                    true
                }
                _ => false,
            }
        };
        if due {
            // Not borrowed while running: the grouped query may run subqueries itself.
            let state = fill(grouped, runtime, writes)?;
            runtime.groups.borrow_mut()[self.id] = Some(state);
        }
        {
            let mut groups = runtime.groups.borrow_mut();
            let Some(Some(state)) = groups.get_mut(self.id) else {
                return Ok(None);
            };
            let GroupState::Ready(table) = state else {
                return Ok(None);
            };
            if table.writes_at_fill != writes {
                *state = GroupState::Abandoned;
                return Ok(None);
            }
            match outer_key(&grouped.outer_keys, frame, &mut table.key) {
                // A read past the frames there are: run plain.
                None => return Ok(None),
                Some(true) => {
                    if let Some(value) = table.values.get(table.key.as_slice()) {
                        return Ok(Some(value.clone()));
                    }
                }
                Some(false) => {}
            }
            if let Some(empty) = &table.empty {
                return Ok(Some(empty.clone()));
            }
        }
        // A key with no group, the first one: the subquery over no rows.
        let empty = self.scalar_run(runtime, frame)?;
        if let Some(Some(GroupState::Ready(table))) = runtime.groups.borrow_mut().get_mut(self.id) {
            table
                .memory
                .add(exec::row_bytes(std::slice::from_ref(&empty)))?;
            table.empty = Some(empty.clone());
        }
        Ok(Some(empty))
    }
}

/// Runs the grouped query once and keeps its rows by key.
fn fill(
    grouped: &GroupedSubquery,
    runtime: &SubqueryRuntime<'_>,
    writes: usize,
) -> Result<GroupState> {
    let account = runtime.env.bounds.and_then(|bounds| bounds.memory);
    let mut table = GroupTable {
        values: HashMap::default(),
        empty: None,
        writes_at_fill: writes,
        memory: MemoryCharge::new(account, "a correlated subquery's groups"),
        key: Vec::with_capacity(grouped.outer_keys.len()),
    };
    // The connection's kept row buffers stay the enclosing statement's.
    let context = ExecContext {
        buffers: None,
        ..ExecContext::new(runtime)
    };
    let width = grouped.outer_keys.len();
    let mut abandoned = false;
    exec::run_query(&grouped.query.node, &context, &mut |row| {
        debug_assert_eq!(row.len(), width + 1, "a group's key values, then its value");
        if row[..width].iter().any(Value::is_null) {
            // A NULL key equals nothing: no outer row finds this group.
            return Ok(true);
        }
        if table.values.len() >= SUBQUERY_MEMO_ENTRIES_MAX {
            abandoned = true;
            return Ok(false);
        }
        let key: Box<[KeyValue]> = row[..width].iter().map(KeyValue::new).collect();
        let value = row.pop().unwrap_or(Value::Null);
        let key_bytes: usize = key.iter().map(KeyValue::heap_bytes).sum();
        let bytes = GROUP_BYTES
            + (width * std::mem::size_of::<KeyValue>() + key_bytes) as u64
            + exec::row_bytes(std::slice::from_ref(&value));
        table.memory.add(bytes)?;
        if table.values.insert(key, value).is_some() {
            // Two groups SQL equality does not tell apart: look nothing up.
            abandoned = true;
            return Ok(false);
        }
        Ok(true)
    })?;
    Ok(if abandoned {
        GroupState::Abandoned
    } else {
        GroupState::Ready(table)
    })
}

/// Makes the outer row's key in `key`: `Some(false)` when a value is NULL (it matches no
/// group), `None` when a read reaches past the frames there are.
fn outer_key(reads: &[OuterRead], frame: &OuterFrame<'_>, key: &mut Vec<KeyValue>) -> Option<bool> {
    key.clear();
    for read in reads {
        let value = frame.value(read.level, read.index)?;
        if value.is_null() {
            return Some(false);
        }
        key.push(KeyValue::new(value));
    }
    Some(true)
}
