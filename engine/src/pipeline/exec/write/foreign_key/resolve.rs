//! Foreign keys resolved against the catalog a statement runs with: the parent table and its
//! key columns (which must be the parent's PRIMARY KEY or the columns of a UNIQUE index, or
//! SQLite's `foreign key mismatch` error), and the lookups enforcement needs: does a parent
//! row hold a key (a primary-key probe or a unique-index lookup), and which child rows
//! reference one (a child index over exactly the key's columns when there is one, else a
//! scan of the child table: index your child keys, as SQLite advises).

use std::cmp::Ordering;

use ember_storage::{RowId, Transaction, Value};

use crate::catalog::{Catalog, ForeignKeyDef, IndexDef, TableDef};
use crate::error::Result;
use crate::expr::{coerce_to_column, sql_compare, Collation};
use ember_storage::index::KeyCollation;

/// One foreign key with both ends resolved.
#[derive(Clone)]
pub(in crate::pipeline::exec) struct Resolved<'a> {
    pub child: &'a TableDef,
    pub key: &'a ForeignKeyDef,
    pub parent: &'a TableDef,
    /// Parent column positions, in the key's order (matching `key.columns`).
    pub parent_columns: Vec<usize>,
    /// How a parent key is found: `None` for the primary key, else this unique index.
    pub parent_index: Option<&'a IndexDef>,
}

/// The parent side of `key` (of table `child`): its table, columns and unique access.
pub(in crate::pipeline::exec) fn resolve<'a>(
    catalog: &'a Catalog,
    child: &'a TableDef,
    key: &'a ForeignKeyDef,
) -> Result<Resolved<'a>> {
    let Some(parent) = catalog.table(&key.parent) else {
        return Err(crate::err!(NotFound, "no such table: main.{}", key.parent));
    };
    let (columns, parent_index) = key.parent_key(&child.name, parent)?;
    Ok(Resolved {
        child,
        key,
        parent,
        parent_columns: columns,
        parent_index,
    })
}

/// The foreign keys of `child` that `wanted` selects, resolved (errors as `resolve`).
pub(in crate::pipeline::exec) fn keys_of_child<'a>(
    catalog: &'a Catalog,
    child: &'a TableDef,
    mut wanted: impl FnMut(&ForeignKeyDef) -> bool,
) -> Result<Vec<Resolved<'a>>> {
    let keys = child.constraints.foreign_keys.iter();
    keys.filter(|key| wanted(key))
        .map(|key| resolve(catalog, child, key))
        .collect()
}

/// Every foreign key (of any table) whose parent is `parent`, resolved.
pub(in crate::pipeline::exec) fn keys_referencing<'a>(
    catalog: &'a Catalog,
    parent: &TableDef,
) -> Result<Vec<Resolved<'a>>> {
    let mut keys = Vec::new();
    for child in catalog.tables() {
        for key in &child.constraints.foreign_keys {
            if key.parent.eq_ignore_ascii_case(&parent.name) {
                keys.push(resolve(catalog, child, key)?);
            }
        }
    }
    Ok(keys)
}

/// The values of `columns` of `row`; `None` when any is NULL (such a key references nothing).
pub(in crate::pipeline::exec) fn key_values(
    row: &[Value],
    columns: &[usize],
) -> Option<Vec<Value>> {
    let mut values = Vec::with_capacity(columns.len());
    for &column in columns {
        let value = &row[column];
        if value.is_null() {
            return None;
        }
        values.push(value.clone());
    }
    Some(values)
}

/// Whether two keys are equal value by value (SQL equality, NULLs never equal).
pub(in crate::pipeline::exec) fn same_key(left: &[Value], right: &[Value]) -> bool {
    left.len() == right.len()
        && left
            .iter()
            .zip(right)
            .all(|(l, r)| sql_compare(l, r) == Some(Ordering::Equal))
}

/// Whether a row of `resolved.parent` holds `key` (child values in the key's order).
pub(in crate::pipeline::exec) fn parent_exists(
    txn: &Transaction,
    resolved: &Resolved<'_>,
    key: &[Value],
) -> Result<bool> {
    let parent = resolved.parent;
    let (access_columns, index) = match resolved.parent_index {
        None => (&parent.primary_key[..], None),
        Some(index) => (&index.columns[..], Some(index)),
    };
    let mut values = Vec::with_capacity(key.len());
    for &column in access_columns {
        let at = resolved.parent_columns.iter().position(|&c| c == column);
        let Some(at) = at else {
            return Err(crate::err!(
                Internal,
                "foreign key access column not in the key"
            ));
        };
        let definition = &parent.columns[column];
        match coerce_to_column(key[at].clone(), definition) {
            Ok(value) => values.push(value),
            Err(_) => return Ok(false),
        }
    }
    // Under the parent key's collations, as the key is unique under them.
    let probe = match index {
        None => parent.storage.key_from_values(&values),
        Some(index) => index.storage.key_from_values(&values),
    };
    let Some(probe) = probe else {
        return Ok(false);
    };
    match index {
        None => Ok(txn.find_key(&parent.storage, &probe).is_some()),
        Some(index) => {
            let mut found = false;
            let mut buffer = Vec::new();
            txn.index_lookup(
                &parent.storage,
                &index.storage,
                &probe,
                &mut buffer,
                |_, _| {
                    found = true;
                    false
                },
            )?;
            Ok(found)
        }
    }
}

/// The child rows (id and every column) that reference `key` (parent values in the key's
/// order), at most `limit` of them.
pub(in crate::pipeline::exec) fn children(
    txn: &Transaction,
    resolved: &Resolved<'_>,
    key: &[Value],
    limit: usize,
) -> Result<Vec<(RowId, Vec<Value>)>> {
    let child = resolved.child;
    let columns = &resolved.key.columns;
    let mut found: Vec<(RowId, Vec<Value>)> = Vec::new();
    // Child values compare with the key under the parent columns' collations (as SQLite).
    let collations: Vec<Collation> = resolved
        .parent_columns
        .iter()
        .map(|&c| resolved.parent.columns[c].collation)
        .collect();
    let matches = |row: &[Value]| {
        columns
            .iter()
            .zip(key)
            .zip(&collations)
            .all(|((&c, value), collation)| {
                let child_value = collation.key(row[c].clone());
                sql_compare(&child_value, &collation.key(value.clone())) == Some(Ordering::Equal)
            })
    };
    // A child key serves when each column is keyed under BINARY (raw values: only when the
    // parent compares under BINARY) or under the parent column's collation; a key under a
    // collation other than BINARY finds a superset, which `matches` narrows.
    let covers = |index_columns: &[usize], keyed: &[KeyCollation]| {
        index_columns.len() == columns.len()
            && index_columns.iter().enumerate().all(|(position, c)| {
                let Some(at) = columns.iter().position(|k| k == c) else {
                    return false;
                };
                let keyed = keyed.get(position).copied().unwrap_or(KeyCollation::Binary);
                collations[at] == Collation::Binary || collations[at].index_collation() == keyed
            })
    };
    let in_order = |index_columns: &[usize]| -> Vec<&Value> {
        index_columns
            .iter()
            .map(|c| &key[columns.iter().position(|k| k == c).expect("covered")])
            .collect()
    };
    let mut buffer = Vec::new();
    if covers(&child.primary_key, child.storage.key_collations()) {
        let values = in_order(&child.primary_key);
        if let Some(probe) = child.storage.key_from_values(values) {
            if let Some(id) = txn.read_key(&child.storage, &probe, &mut buffer)? {
                if matches(&buffer) {
                    found.push((id, buffer));
                }
            }
        }
        return Ok(found);
    }
    let index = child
        .indexes
        .iter()
        .find(|i| i.is_plain() && covers(&i.columns, i.storage.key_collations()));
    if let Some(index) = index {
        if let Some(probe) = index.storage.key_from_values(in_order(&index.columns)) {
            txn.index_lookup(
                &child.storage,
                &index.storage,
                &probe,
                &mut buffer,
                |id, row| {
                    if matches(row) {
                        found.push((id, row.clone()));
                    }
                    found.len() < limit
                },
            )?;
        }
        return Ok(found);
    }
    let table = &child.storage;
    txn.scan_batch(table, 0..u64::MAX, &mut buffer, |id, row| {
        if matches(row) {
            found.push((id, row.clone()));
        }
        found.len() < limit
    })?;
    Ok(found)
}
