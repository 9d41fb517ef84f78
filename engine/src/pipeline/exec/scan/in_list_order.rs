//! The order an IN list's keys are probed in: SQLite puts an IN list's values into a
//! temporary index and probes them in its order, so `WHERE id IN (4, 1, 3)` returns the
//! rows of 1, 3, 4 in that order, and `WHERE tag IN ('y', 'x')` the rows of 'x' first.
//! Each key's values are coerced to their columns' types (as the probe does) and compared
//! as ORDER BY compares them under the columns' collations; equal keys keep their list
//! order (the probe then skips the repeats).

use std::cmp::Ordering;

use ember_storage::Value;

use crate::catalog::TableDef;
use crate::error::Result;
use crate::expr::{coerce_to_column, compare_for_sort, Collation, Expr};

use super::super::ExecContext;

/// The positions of `keys` (each one value per part) in probe order. `columns[i]` is the
/// column part `i` reads (`None`: an expression part, compared as it is, under BINARY).
pub(super) fn in_list_order(
    table: &TableDef,
    columns: &[Option<usize>],
    keys: &[Vec<Expr>],
    context: &ExecContext<'_>,
) -> Result<Vec<usize>> {
    let mut order: Vec<usize> = (0..keys.len()).collect();
    if keys.len() < 2 {
        return Ok(order);
    }
    let mut sort_keys: Vec<Vec<Value>> = Vec::with_capacity(keys.len());
    for key in keys {
        let mut values = Vec::with_capacity(key.len());
        for (expr, column) in key.iter().zip(columns) {
            let value = expr.eval(&[], &context.eval)?;
            let value = match column {
                Some(column) => {
                    let definition = &table.columns[*column];
                    // A value the column cannot hold finds no row: where it sorts is moot.
                    let value = coerce_to_column(value.clone(), definition).unwrap_or(value);
                    definition.collation.key(value)
                }
                None => Collation::Binary.key(value),
            };
            values.push(value);
        }
        sort_keys.push(values);
    }
    order.sort_by(|&a, &b| compare_keys(&sort_keys[a], &sort_keys[b]));
    Ok(order)
}

/// Two keys in ORDER BY's order, part by part.
fn compare_keys(a: &[Value], b: &[Value]) -> Ordering {
    a.iter()
        .zip(b)
        .map(|(x, y)| compare_for_sort(x, y))
        .find(|ordering| ordering.is_ne())
        .unwrap_or(Ordering::Equal)
}
