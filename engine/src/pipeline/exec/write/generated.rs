//! Generated columns on INSERT: once a new row has its given values, defaults and key,
//! each generated column's expression is evaluated over the row (its other columns
//! converted to their types first, as they will be stored), in the order that computes a
//! column after the generated columns it reads (`catalog::generated_order`), and the value
//! converted to the column's type. UPDATE assigns them in the binder
//! (`bind/generated.rs`).

use std::borrow::Cow;

use ember_storage::Value;

use crate::catalog::{generated_order, TableDef};
use crate::error::Result;
use crate::expr::{coerce_to_column, fits_column, EvalContext};

/// Computes the generated columns of `row` (a new row of `table`, in table order).
pub(super) fn fill_generated(table: &TableDef, row: &mut [Value]) -> Result<()> {
    debug_assert_eq!(row.len(), table.columns.len());
    if !table.has_generated() {
        return Ok(());
    }
    let mut values: Vec<Value> = Vec::with_capacity(row.len());
    for (value, column) in row.iter().zip(&table.columns) {
        values.push(
            if column.generated.is_some() || fits_column(value, column) {
                value.clone()
            } else {
                coerce_to_column(value.clone(), column)?
            },
        );
    }
    let context = EvalContext::default();
    for position in generated_order(&table.columns)? {
        let column = &table.columns[position];
        let Some(generated) = &column.generated else {
            continue;
        };
        let mut value = generated.expr.eval(&values, &context)?;
        if !fits_column(&value, column) {
            value = coerce_to_column(value, column)?;
        }
        values[position] = value.clone();
        row[position] = value;
    }
    Ok(())
}

/// `fill_generated` for a row of `Cow` values.
pub(super) fn fill_generated_cow(table: &TableDef, row: &mut [Cow<'_, Value>]) -> Result<()> {
    if !table.has_generated() {
        return Ok(());
    }
    let mut values: Vec<Value> = row.iter().map(|value| value.as_ref().clone()).collect();
    fill_generated(table, &mut values)?;
    for ((slot, value), column) in row.iter_mut().zip(values).zip(&table.columns) {
        if column.generated.is_some() {
            *slot = Cow::Owned(value);
        }
    }
    Ok(())
}
