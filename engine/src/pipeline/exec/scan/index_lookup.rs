//! Secondary-index lookups (one key, the keys of an IN list, an IN set's members): each key
//! is evaluated, coerced to the column types and encoded as the index encodes keys
//! (`index_key`), and the rows under it are read through the index, each rechecked
//! against the access filter (`for_each_index_row`).

use ember_storage::index::{IndexKey, SecondaryIndex};
use ember_storage::mvcc::SettledProbes;
use ember_storage::{RowId, Value};

use crate::catalog::{IndexDef, TableDef};
use crate::error::Result;
use crate::expr::{coerce_to_column, holds_as_is, Expr};
use crate::plan::{AccessPath, TableAccess};

use super::super::ExecContext;
use super::{binary_keyed, constant_in_place, in_set};

/// The index key for `values` (evaluated, coerced to the column types), or `None` when no
/// stored row can have it (a NULL part, or a value the column cannot hold); with whether
/// every value is one its column holds as it is (`holds_as_is`: then a row found under the
/// key satisfies `column = value` exactly, as for `primary_key_of`).
fn index_key(
    table: &TableDef,
    index: &SecondaryIndex,
    columns: &[usize],
    values: &[Expr],
    context: &ExecContext<'_>,
) -> Result<Option<(IndexKey, bool)>> {
    if let ([expr], [column]) = (values, columns) {
        // One column: no vector of values; a value the column holds as it is (an integer
        // for an INTEGER column, a text for a TEXT one) needs no coercion, and a literal
        // or parameter is read in place (its text not copied).
        let definition = &table.columns[*column];
        let binary = binary_keyed(index.key_collations(), 0);
        if let Some(value) = constant_in_place(expr, context) {
            if holds_as_is(value, definition.data_type) {
                let exact = binary || !matches!(value, Value::Text(_));
                return Ok(index.key_from_values([value]).map(|key| (key, exact)));
            }
        }
        let value = expr.eval(&[], &context.eval)?;
        if holds_as_is(&value, definition.data_type) {
            let exact = binary || !matches!(value, Value::Text(_));
            return Ok(index.key_from_values([&value]).map(|key| (key, exact)));
        }
        return Ok(match coerce_to_column(value, definition) {
            Ok(Value::Null) | Err(_) => None,
            Ok(value) => index.key_from_values([&value]).map(|key| (key, false)),
        });
    }
    let mut exact = true;
    let mut key_values: Vec<Value> = Vec::with_capacity(values.len());
    for (position, (expr, &column)) in values.iter().zip(columns).enumerate() {
        let value = expr.eval(&[], &context.eval)?;
        let definition = &table.columns[column];
        exact &= holds_as_is(&value, definition.data_type)
            && (binary_keyed(index.key_collations(), position) || !matches!(value, Value::Text(_)));
        match coerce_to_column(value, definition) {
            Ok(Value::Null) | Err(_) => return Ok(None),
            Ok(value) => key_values.push(value),
        }
    }
    Ok(index.key_from_values(&key_values).map(|key| (key, exact)))
}

/// `index_key` for an index on expressions, whose key `parts` are expressions or columns:
/// a column part's value is coerced to the column's type, an expression part's is probed
/// as it is (an expression has no affinity); never exact (the filter is rechecked whole).
fn part_key(
    table: &TableDef,
    index: &SecondaryIndex,
    parts: &[Expr],
    values: &[Expr],
    context: &ExecContext<'_>,
) -> Result<Option<(IndexKey, bool)>> {
    debug_assert_eq!(parts.len(), values.len());
    let mut key_values: Vec<Value> = Vec::with_capacity(values.len());
    for (expr, part) in values.iter().zip(parts) {
        let value = expr.eval(&[], &context.eval)?;
        let value = match crate::catalog::column_part(part) {
            Some(column) => match coerce_to_column(value, &table.columns[column]) {
                Ok(value) => value,
                Err(_) => return Ok(None),
            },
            None => value,
        };
        if value.is_null() {
            return Ok(None);
        }
        key_values.push(value);
    }
    Ok(index.key_from_values(&key_values).map(|key| (key, false)))
}

/// A decoder of `table`'s rows for the columns `read` marks (every one when `None`) and
/// `index_columns`.
pub(in crate::pipeline::exec) fn with_index_columns(
    table: &ember_storage::Table,
    read: Option<&[bool]>,
    index_columns: &[usize],
) -> ember_storage::row::RowDecoder {
    let schema = table.schema();
    let wanted = read.map(|read| {
        let mut wanted = read.to_vec();
        wanted.resize(schema.types.len(), false);
        for &column in index_columns {
            if let Some(wanted) = wanted.get_mut(column) {
                *wanted = true;
            }
        }
        wanted
    });
    schema.decoder(wanted.as_deref())
}

/// Visits the rows a read by index finds (an index range walked in its order, otherwise
/// the keys of an index lookup or IN list probed), as `for_each_index_row` does: whether
/// the read ran (`false` when its index no longer exists).
pub(in crate::pipeline::exec) fn for_each_indexed_row(
    access: &TableAccess,
    context: &ExecContext<'_>,
    buffer: &mut Vec<Value>,
    visit: impl FnMut(RowId, &mut Vec<Value>) -> Result<bool>,
) -> Result<bool> {
    match &access.path {
        AccessPath::IndexRange(range) => {
            super::index_range::visit_range_rows(access, range, context, buffer, visit)
        }
        _ => for_each_index_row(access, context, buffer, visit),
    }
}

/// Calls `visit` with every row a secondary-index access reaches that passes its filter,
/// each decoded into `buffer` (which `visit` may take), until `visit` returns `Ok(false)`;
/// `Ok(false)` when the index no longer exists (nothing was visited: the caller scans
/// instead).
pub(in crate::pipeline::exec) fn for_each_index_row(
    access: &TableAccess,
    context: &ExecContext<'_>,
    buffer: &mut Vec<Value>,
    mut visit: impl FnMut(RowId, &mut Vec<Value>) -> Result<bool>,
) -> Result<bool> {
    let (index, keys, members): (&IndexDef, &[Vec<Expr>], Vec<i64>) = match &access.path {
        AccessPath::IndexLookup { index, values } => {
            (index, std::slice::from_ref(values), Vec::new())
        }
        AccessPath::IndexIn { index, keys } => (index, keys.as_slice(), Vec::new()),
        AccessPath::IndexInSet { index, subquery } => {
            let Some(members) = in_set::set_members(access, subquery, context)? else {
                return Ok(false);
            };
            (index, &[], members)
        }
        AccessPath::KeyInSet(subquery) => {
            return in_set::for_each_key_row(access, subquery, context, buffer, visit)
        }
        AccessPath::FullScan
        | AccessPath::KeyLookup(_)
        | AccessPath::KeyIn(_)
        | AccessPath::IndexRange(_)
        | AccessPath::KeyRange(_)
        | AccessPath::KeyOrder(_)
        | AccessPath::OrUnion(_) => return Ok(false),
    };
    let table = &access.table;
    let Some(storage) = table.storage.attached_index(&index.storage) else {
        return Ok(false);
    };
    // The columns read above and the index's own (each row found is checked against its
    // key): the plan's decoder when it reads them all, as it usually does.
    let union;
    let decoder = if storage
        .source_columns()
        .iter()
        .all(|&c| access.read.decoder().decodes(c))
    {
        access.read.decoder()
    } else {
        union = with_index_columns(
            &table.storage,
            access.read.columns(),
            storage.source_columns(),
        );
        &union
    };
    // Visits the rows under one key that pass the recheck; whether to go on.
    let mut probe = |key: &IndexKey, exact: bool| -> Result<bool> {
        // What a row found under the key is rechecked against: without the key's own
        // equalities when the probe decides them exactly.
        let recheck = match (&access.key_residual, exact) {
            (Some(residual), true) => residual.as_ref().as_ref(),
            _ => access.filter.as_ref(),
        };
        let mut failure = None;
        let mut stopped = false;
        context.txn.index_lookup_decoded(
            &table.storage,
            storage,
            key,
            decoder,
            buffer,
            |row_id, values| {
                let outcome = match recheck {
                    None => Ok(true),
                    Some(predicate) => predicate.matches(values, &context.eval),
                }
                .and_then(|keep| {
                    if keep {
                        visit(row_id, values)
                    } else {
                        Ok(true)
                    }
                });
                match outcome {
                    Ok(go_on) => {
                        stopped = !go_on;
                        go_on
                    }
                    Err(error) => {
                        failure = Some(error);
                        false
                    }
                }
            },
        )?;
        match failure {
            Some(error) => Err(error),
            None => Ok(!stopped),
        }
    };
    let mut seen = std::collections::HashSet::with_capacity_and_hasher(
        if keys.len() > 1 { keys.len() } else { 0 },
        crate::fast_hash::FastBuildHasher::default(),
    );
    // An IN list's keys in the order SQLite probes them (sorted, `in_list_order`).
    let sorted;
    let keys = if keys.len() > 1 {
        let columns: Vec<Option<usize>> = match index.keys.as_ref() {
            Some(derived) if derived.on_expressions() => vec![None; derived.parts.len()],
            _ => index.columns.iter().map(|&column| Some(column)).collect(),
        };
        sorted = super::in_list_order::in_list_order(table, &columns, keys, context)?;
        sorted.as_slice()
    } else {
        keys
    };
    for values in keys {
        let key = match index.keys.as_ref().filter(|keys| keys.on_expressions()) {
            Some(derived) => part_key(table, storage, &derived.parts, values, context)?,
            None => index_key(table, storage, &index.columns, values, context)?,
        };
        let Some((key, exact)) = key else {
            continue;
        };
        // An IN list may repeat a key; each row is returned once (one key needs no set).
        if keys.len() > 1 && seen.contains(&key) {
            continue;
        }
        if !probe(&key, exact)? {
            return Ok(true);
        }
        if keys.len() > 1 {
            seen.insert(key);
        }
    }
    // A set's members are distinct; an integer probing the INTEGER column is exact.
    for member in members {
        let Some(key) = storage.key_from_values([&Value::Integer(member)]) else {
            continue;
        };
        if !probe(&key, true)? {
            break;
        }
    }
    Ok(true)
}

/// How many rows an index lookup of one key reaches, counted from a settled index's
/// entries with no row read (`Transaction::settled_index_rows`): `None` when they cannot be
/// (the path is not a lookup of one key of column values, the key does not decide the
/// whole filter exactly, the index is gone or not settled for this transaction); the
/// caller then reads the rows (`for_each_index_row`).
pub(in crate::pipeline::exec) fn settled_key_rows(
    access: &TableAccess,
    context: &ExecContext<'_>,
) -> Result<Option<u64>> {
    let AccessPath::IndexLookup { index, values } = &access.path else {
        return Ok(None);
    };
    // The key must decide the filter: what the lookup leaves to check is nothing.
    let decided = matches!(access.key_residual.as_deref(), Some(None));
    if !decided || index.on_expressions() {
        return Ok(None);
    }
    let table = &access.table;
    let Some(storage) = table.storage.attached_index(&index.storage) else {
        return Ok(None);
    };
    match index_key(table, storage, &index.columns, values, context)? {
        // No stored row has a NULL or unholdable key part.
        None => Ok(Some(0)),
        Some((key, true)) => {
            let mut probes = SettledProbes::default();
            let rows = context
                .txn
                .settled_index_rows(&table.storage, storage, &key, &mut probes);
            Ok(rows.map(|rows| rows as u64))
        }
        Some((_, false)) => Ok(None),
    }
}
