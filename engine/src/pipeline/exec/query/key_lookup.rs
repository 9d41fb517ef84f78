//! A lookup by the whole primary key, projected or not, run without an operator tree: a
//! fused read's point path (`fused_read.rs`, W2's whole path) and a subquery's first row
//! (`exec::first_row`). The row decodes into the connection's kept buffers, so a point
//! select allocates only its result row.

use ember_storage::Value;

use crate::error::Result;
use crate::expr::Expr;
use crate::plan::TableAccess;

use super::super::scan::lookup_key_into;
use super::super::{ExecContext, Row};

/// The row of `access`'s table whose primary key is `key` (`None`: no such row), with
/// `exprs` evaluated over it when given.
pub(in crate::pipeline::exec) fn lookup_row(
    access: &TableAccess,
    key: &[Expr],
    exprs: Option<&[Expr]>,
    context: &ExecContext<'_>,
) -> Result<Option<Row>> {
    let Some(exprs) = exprs else {
        // Decoded over the connection's kept result row (a text column reuses its memory);
        // it goes back when no row is found, or when the sink is done with the row
        // (`run_query`, `query_row`).
        let mut row = context
            .buffers
            .map(|buffers| buffers.result.take())
            .unwrap_or_default();
        let found = lookup_key_into(access, key, context, &mut row)?;
        if found.is_none() {
            if let Some(buffers) = context.buffers {
                buffers.recycle_result(row);
            }
            return Ok(None);
        }
        return Ok(Some(row));
    };
    // The connection's buffer, kept between statements so that a point select allocates
    // only its result row, and kept full (the next lookup of the table decodes over it in
    // place; it holds at most one row's decoded columns). Taken while in use: a lookup
    // nested in this one's projection finds it empty and allocates its own.
    let mut row = context
        .buffers
        .map(|buffers| buffers.lookup.take())
        .unwrap_or_default();
    let projected = project_key_row(access, key, exprs, context, &mut row);
    if let Some(buffers) = context.buffers {
        buffers.lookup.set(row);
    }
    projected
}

/// Looks the key up into `row` (a scratch buffer) and evaluates the projection over it.
fn project_key_row(
    access: &TableAccess,
    key: &[Expr],
    exprs: &[Expr],
    context: &ExecContext<'_>,
    row: &mut Row,
) -> Result<Option<Row>> {
    if lookup_key_into(access, key, context, row)?.is_none() {
        return Ok(None);
    }
    // The result row and its values come back through `RowBuffers::recycle_result` when
    // the caller only read it (`query_row`).
    let mut projected = context
        .buffers
        .map(|buffers| buffers.result.take())
        .unwrap_or_default();
    if distinct_columns(exprs) {
        // Each column is read once: its value moves out of the decoded row instead of
        // being cloned, swapped with the last result's value at its place, which the next
        // lookup decodes over in place (a text keeps its allocation).
        projected.truncate(exprs.len());
        projected.reserve(exprs.len() - projected.len());
        for (position, expr) in exprs.iter().enumerate() {
            match expr {
                Expr::Column { index, .. } if *index < row.len() => {
                    match projected.get_mut(position) {
                        Some(kept) => std::mem::swap(kept, &mut row[*index]),
                        None => projected.push(std::mem::replace(&mut row[*index], Value::Null)),
                    }
                }
                // A column past the decoded row: evaluated (no column was swapped into the
                // row's place it reads).
                _ => {
                    let value = expr.eval(row, &context.eval)?;
                    match projected.get_mut(position) {
                        Some(kept) => *kept = value,
                        None => projected.push(value),
                    }
                }
            }
        }
        debug_assert_eq!(projected.len(), exprs.len());
        return Ok(Some(projected));
    }
    projected.clear();
    projected.reserve(exprs.len());
    for expr in exprs {
        projected.push(expr.eval(row, &context.eval)?);
    }
    Ok(Some(projected))
}

/// Whether every expression is a plain column and no column is read twice (columns past
/// the first 128 are evaluated instead: one word of bits per call, no quadratic scan).
fn distinct_columns(exprs: &[Expr]) -> bool {
    let mut seen = 0u128;
    exprs.iter().all(|expr| match expr {
        Expr::Column { index, .. } if *index < 128 => {
            let bit = 1u128 << index;
            let first = seen & bit == 0;
            seen |= bit;
            first
        }
        _ => false,
    })
}
