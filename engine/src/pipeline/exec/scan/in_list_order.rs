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

/// `keys` (each one value per part) evaluated once each and put in probe order, as
/// literal keys the probe reads in place (a key whose value changes between evaluations,
/// `random()`, is probed with the value it was sorted by). `columns[i]` is the column part
/// `i` reads (`None`: an expression part, compared as it is, under BINARY).
pub(super) fn in_list_order(
    table: &TableDef,
    columns: &[Option<usize>],
    keys: &[Vec<Expr>],
    context: &ExecContext<'_>,
) -> Result<Vec<Vec<Expr>>> {
    let mut evaluated: Vec<(Vec<Value>, Vec<Expr>)> = Vec::with_capacity(keys.len());
    for key in keys {
        let mut sort_key = Vec::with_capacity(key.len());
        let mut literals = Vec::with_capacity(key.len());
        for (expr, column) in key.iter().zip(columns) {
            let value = expr.eval(&[], &context.eval)?;
            sort_key.push(match column {
                Some(column) => {
                    let definition = &table.columns[*column];
                    // A value the column cannot hold finds no row: where it sorts is moot.
                    let coerced = coerce_to_column(value.clone(), definition);
                    definition
                        .collation
                        .key(coerced.unwrap_or_else(|_| value.clone()))
                }
                None => Collation::Binary.key(value.clone()),
            });
            literals.push(Expr::Literal(value));
        }
        evaluated.push((sort_key, literals));
    }
    // Stable: equal keys keep their list order.
    evaluated.sort_by(|(a, _), (b, _)| compare_keys(a, b));
    Ok(evaluated
        .into_iter()
        .map(|(_, literals)| literals)
        .collect())
}

/// Two keys in ORDER BY's order, part by part.
fn compare_keys(a: &[Value], b: &[Value]) -> Ordering {
    a.iter()
        .zip(b)
        .map(|(x, y)| compare_for_sort(x, y))
        .find(|ordering| ordering.is_ne())
        .unwrap_or(Ordering::Equal)
}
