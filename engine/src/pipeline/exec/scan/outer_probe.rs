//! Correlated subqueries read through a hash index built once per statement (SQLite's
//! "automatic index"): a full scan inside a correlated subquery whose filter has a conjunct
//! `inner = outer` (one side reads only the scanned row, the other only enclosing rows,
//! parameters and literals) runs plain the first time; from the second run on, the rows
//! come from a map of the inner side's value to row ids, built by one scan of the table
//! under the statement's snapshot, and only the rows whose value equals the outer side's
//! are read. `KeyValue` equality is SQL equality (the binder makes every conversion an
//! explicit node, as hash joins rely on), and the whole filter is still checked on each
//! row read, so the answer is the plain scan's. `t WHERE NOT EXISTS (SELECT 1 FROM u
//! WHERE u.t_id = t.id)` goes from |t| x |u| rows read to |t| + |u|.
//!
//! The map is kept in the statement's `SubqueryRuntime` (keyed by the access) and used only
//! while the transaction has written nothing since it was built (a statement that writes
//! while its subqueries read sees its own writes through a plain scan). Its memory is
//! charged to the statement's budget and its entries count against the row cap.

use std::collections::HashMap;
use std::rc::Rc;

use ember_storage::{RowId, Value};

use crate::error::Result;
use crate::expr::{Expr, KeyLookup, KeyRef, KeyValue, Predicate};
use crate::fast_hash::FastBuildHasher;
use crate::plan::{AccessPath, TableAccess};

use super::super::bounds::{row_bytes, MemoryCharge};
use super::super::ExecContext;
use super::SCAN_BATCH_SLOTS;

/// Bytes a map entry takes besides its key's own (the row id, the entry and the list).
const ENTRY_BYTES: u64 = 48;

/// What the runtime knows of one access inside a correlated subquery.
pub enum ProbeState {
    /// The filter has no usable `inner = outer` conjunct.
    NotApplicable,
    /// Ran plain once; the next run builds the map.
    SeenOnce,
    Built(ProbeIndex),
}

/// Row ids by the inner side's value (NULL values are left out: `=` never holds for them).
pub struct ProbeIndex {
    outer: Expr,
    rows: HashMap<KeyValue, Vec<RowId>, FastBuildHasher>,
    /// The transaction's write count when the map was built.
    writes_at_build: usize,
    _memory: MemoryCharge,
}

/// If `term` is `inner = outer` as described in the module comment: (inner, outer).
fn correlated_equality(term: &Expr) -> Option<(&Expr, &Expr)> {
    let Expr::Binary(crate::expr::BinaryOp::Equal, left, right) = term else {
        return None;
    };
    match (side(left)?, side(right)?) {
        (Side::Inner, Side::Outer) => Some((left, right)),
        (Side::Outer, Side::Inner) => Some((right, left)),
        _ => None,
    }
}

#[derive(PartialEq)]
enum Side {
    Inner,
    Outer,
}

/// Which side `expr` can be: it reads the scanned row (and no enclosing one), or enclosing
/// rows (and not the scanned one); `None` for neither, both, or anything not a function
/// of them alone (a subquery, an application function, a non-deterministic one).
fn side(expr: &Expr) -> Option<Side> {
    let (mut inner, mut outer, mut pure) = (false, false, true);
    expr.walk(&mut |node| match node {
        Expr::Column { .. } => inner = true,
        Expr::OuterColumn { .. } => outer = true,
        Expr::Subquery(_) | Expr::UserFunction { .. } => pure = false,
        Expr::Function { function, .. } if !function.is_deterministic() => pure = false,
        _ => {}
    });
    match (pure, inner, outer) {
        (true, true, false) => Some(Side::Inner),
        (true, false, true) => Some(Side::Outer),
        _ => None,
    }
}

/// Whether a full scan with `filter` inside a correlated subquery may be read through a
/// map of its rows (`filter` has an `inner = outer` conjunct).
pub(crate) fn may_probe(filter: &Expr) -> bool {
    probe_term(filter).is_some()
}

/// The first `inner = outer` conjunct of `filter`'s top-level AND.
fn probe_term(filter: &Expr) -> Option<(&Expr, &Expr)> {
    match filter {
        Expr::Binary(crate::expr::BinaryOp::And, left, right) => {
            probe_term(left).or_else(|| probe_term(right))
        }
        term => correlated_equality(term),
    }
}

/// Calls `visit` with the row ids whose inner value equals the outer one, when `access`
/// is read through a map (see the module comment); `Ok(false)` when it is not: the caller
/// scans plain. The rows are candidates: the caller reads each and checks the filter.
pub(super) fn with_probed_rows(
    access: &TableAccess,
    context: &ExecContext<'_>,
    visit: &mut dyn FnMut(&[RowId]) -> Result<()>,
) -> Result<bool> {
    let Some(state) = usable_index(access, context)? else {
        return Ok(false);
    };
    let ProbeState::Built(index) = state.as_ref() else {
        return Ok(false);
    };
    let value = index.outer.eval(&[], &context.eval)?;
    if value.is_null() {
        return Ok(true);
    }
    let probe = KeyRef::of(&value);
    if let Some(rows) = index.rows.get(&probe as &dyn KeyLookup) {
        visit(rows)?;
    }
    Ok(true)
}

/// The built map `access` is read through in this run, building it on the second run;
/// `None` when the scan runs plain (outside a correlated subquery, no usable conjunct,
/// the first run, or writes since the build).
fn usable_index(access: &TableAccess, context: &ExecContext<'_>) -> Result<Option<Rc<ProbeState>>> {
    let (Some(runtime), Some(_)) = (context.eval.subqueries, context.eval.outer) else {
        return Ok(None);
    };
    if !matches!(access.path, AccessPath::FullScan) {
        return Ok(None);
    }
    let key = access as *const TableAccess as usize;
    let state = runtime.outer_probes.borrow().get(&key).cloned();
    let next = match state.as_deref() {
        Some(ProbeState::NotApplicable) => return Ok(None),
        Some(ProbeState::Built(index)) => {
            let fresh = index.writes_at_build == context.txn.savepoint();
            return Ok(state.filter(|_| fresh));
        }
        Some(ProbeState::SeenOnce) => match access.filter.as_ref().and_then(probe_term) {
            Some((inner, outer)) => ProbeState::Built(build(access, inner, outer, context)?),
            None => ProbeState::NotApplicable,
        },
        None => match access.filter.as_ref().and_then(probe_term) {
            Some(_) => ProbeState::SeenOnce,
            None => ProbeState::NotApplicable,
        },
    };
    let next = Rc::new(next);
    runtime
        .outer_probes
        .borrow_mut()
        .insert(key, Rc::clone(&next));
    Ok(matches!(*next, ProbeState::Built(_)).then_some(next))
}

/// One scan of `access`'s table (every visible row, no filter) into the map.
fn build(
    access: &TableAccess,
    inner: &Expr,
    outer: &Expr,
    context: &ExecContext<'_>,
) -> Result<ProbeIndex> {
    let table = &access.table.storage;
    let decoder = access.read.decoder();
    let mut rows: HashMap<KeyValue, Vec<RowId>, FastBuildHasher> = HashMap::default();
    let mut memory = context.memory_charge("a correlated subquery's automatic index");
    let mut entries = 0usize;
    let mut buffer = Vec::new();
    let mut next_row = 0;
    let mut failure = None;
    while failure.is_none() {
        context.check_interrupt()?;
        let Some(range) = table.next_scan_batch(next_row, SCAN_BATCH_SLOTS) else {
            break;
        };
        next_row =
            context
                .txn
                .scan_batch_decoded(table, range, decoder, &mut buffer, |row, values| {
                    let added = add_row(inner, row, values, context, &mut rows, &mut memory);
                    match added.and_then(|()| context.check_rows(entries)) {
                        Ok(()) => {
                            entries += 1;
                            true
                        }
                        Err(error) => {
                            failure = Some(error);
                            false
                        }
                    }
                })?;
    }
    if let Some(error) = failure {
        return Err(error);
    }
    Ok(ProbeIndex {
        outer: outer.clone(),
        rows,
        writes_at_build: context.txn.savepoint(),
        _memory: memory,
    })
}

fn add_row(
    inner: &Expr,
    row: RowId,
    values: &[Value],
    context: &ExecContext<'_>,
    rows: &mut HashMap<KeyValue, Vec<RowId>, FastBuildHasher>,
    memory: &mut MemoryCharge,
) -> Result<()> {
    let value = match inner {
        Expr::Column { index, .. } => std::borrow::Cow::Borrowed(&values[*index]),
        other => std::borrow::Cow::Owned(other.eval(values, &context.eval)?),
    };
    if value.is_null() {
        return Ok(());
    }
    let probe = KeyRef::of(&value);
    if let Some(list) = rows.get_mut(&probe as &dyn KeyLookup) {
        list.push(row);
        return memory.add(std::mem::size_of::<RowId>() as u64);
    }
    memory.add(row_bytes(std::slice::from_ref(&*value)) + ENTRY_BYTES)?;
    rows.insert(KeyValue::new(&value), vec![row]);
    Ok(())
}

/// Reads the rows `ids` names (those the transaction still sees) decoded as `access` reads
/// them, and calls `visit` with each that passes the access's filter.
pub(super) fn read_probed(
    access: &TableAccess,
    context: &ExecContext<'_>,
    ids: &[RowId],
    buffer: &mut Vec<Value>,
    visit: &mut dyn FnMut(RowId, &mut Vec<Value>) -> Result<bool>,
) -> Result<()> {
    let table = &access.table.storage;
    let predicate = access
        .filter
        .as_ref()
        .map(|filter| Predicate::new(filter, &context.eval));
    for &row in ids {
        if !context
            .txn
            .read_row_columns(table, row, access.read.columns(), buffer)?
        {
            continue;
        }
        let passes = match &predicate {
            None => true,
            Some(predicate) => predicate.matches(buffer, &context.eval)?,
        };
        if passes && !visit(row, buffer)? {
            return Ok(());
        }
    }
    Ok(())
}
