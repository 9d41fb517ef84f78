//! UPDATE ... FROM: pairs each target row with the last FROM row it joins (`plan::update`)
//! and computes the new values over the joined row (the target's columns, then the FROM
//! row's). The FROM rows are read once into memory, hashed on the equality keys when there
//! are any (as a hash join's build side). A target row that joins no FROM row is dropped;
//! one that joins several is updated once, from the last in the FROM rows' order: SQLite
//! leaves which unspecified, and its update of the row from each joined row in turn, each
//! over the row as it was, leaves the last one's values.

use ember_storage::{Transaction, Value};

use crate::error::Result;
use crate::expr::{passes, Expr, RowTest, StatementEnv, SubqueryRuntime};
use crate::plan::{TableAccess, UpdateFrom};

use super::super::join::join_table::{hash_key, keys_match, JoinTable, ENTRY_BYTES};
use super::super::scan::targets::collect_targets;
use super::super::{build, row_bytes, ExecContext, Row};
use super::dml::Targets;

/// The FROM rows, materialized.
enum SourceRows {
    All(Vec<Row>),
    Hashed(JoinTable),
}

/// The target rows that join a FROM row, and their new values: one (column, value) pair
/// per assignment per kept row, as `dml::new_values` gives them.
pub(super) fn joined_values(
    txn: &Transaction,
    (target, assignments): (&TableAccess, &[(usize, Expr)]),
    from: &UpdateFrom,
    env: StatementEnv<'_>,
) -> Result<(Targets, Vec<(usize, Value)>)> {
    let runtime = SubqueryRuntime::new(txn, env);
    let context = ExecContext::new(&runtime);
    let targets = collect_targets(target, &context)?;
    let mut memory = context.memory_charge("UPDATE ... FROM's rows");
    let sources = load(from, &context, &mut memory)?;
    let mut kept = Vec::with_capacity(targets.len());
    let mut changes = Vec::with_capacity(targets.len() * assignments.len());
    let mut joined = Vec::new();
    let mut condition = from.condition.as_ref().map(RowTest::new);
    for (row_id, row) in targets {
        context.check_interrupt()?;
        let found = (&mut joined, &mut condition);
        if !last_match(from, &sources, &row, &context, found)? {
            continue;
        }
        for (position, expr) in assignments {
            changes.push((*position, expr.eval(&joined, &context.eval)?));
        }
        kept.push((row_id, row));
    }
    Ok((kept, changes))
}

/// Reads the FROM rows, hashed on the source keys when there are any (a row with a NULL
/// key joins nothing and is not kept).
fn load(
    from: &UpdateFrom,
    context: &ExecContext<'_>,
    memory: &mut super::super::MemoryCharge,
) -> Result<SourceRows> {
    let mut operator = build(&from.source);
    if from.source_keys.is_empty() {
        let mut rows = Vec::new();
        while let Some(row) = operator.next(context)? {
            context.check_rows(rows.len())?;
            memory.add_row(&row)?;
            rows.push(row);
        }
        return Ok(SourceRows::All(rows));
    }
    let mut table = JoinTable::default();
    while let Some(row) = operator.next(context)? {
        if let Some(hash) = hash_key(&from.source_keys, &row, &context.eval)? {
            context.check_rows(table.len())?;
            memory.add(row_bytes(&row) + ENTRY_BYTES)?;
            table.insert(hash, row);
        }
    }
    Ok(SourceRows::Hashed(table))
}

/// Finds the last FROM row (in the FROM rows' order) that `row` joins, `condition` holding
/// on the joined row: true with the joined row in `joined`.
fn last_match(
    from: &UpdateFrom,
    sources: &SourceRows,
    row: &[Value],
    context: &ExecContext<'_>,
    (joined, condition): (&mut Row, &mut Option<RowTest<'_>>),
) -> Result<bool> {
    let mut matches = |source: &[Value]| -> Result<bool> {
        joined.clear();
        joined.extend_from_slice(row);
        joined.extend_from_slice(source);
        passes(condition, joined, &context.eval)
    };
    match sources {
        SourceRows::All(rows) => {
            for source in rows.iter().rev() {
                if matches(source)? {
                    return Ok(true);
                }
            }
        }
        SourceRows::Hashed(table) => {
            // A chain holds its rows in the order they were read: the last match wins.
            let hash = hash_key(&from.target_keys, row, &context.eval)?;
            let mut candidate = hash.and_then(|hash| table.first(hash));
            let mut last = None;
            while let Some(index) = candidate {
                candidate = table.next(index);
                let source = table.row(index);
                let (target_keys, source_keys) = (&from.target_keys, &from.source_keys);
                if keys_match(target_keys, row, source_keys, source, &context.eval)?
                    && matches(source)?
                {
                    last = Some(index);
                }
            }
            if let Some(index) = last {
                joined.clear();
                joined.extend_from_slice(row);
                joined.extend_from_slice(table.row(index));
                return Ok(true);
            }
        }
    }
    Ok(false)
}
