//! CREATE/DROP TABLE and CREATE/DROP INDEX: build a new catalog with the change and swap it
//! in, under the database's DDL lock so concurrent DDL cannot lose an update. A table's
//! UNIQUE constraints become unique indexes created with it (`ember_autoindex_<table>_<n>`),
//! and so does a PRIMARY KEY the table is not stored on (`TableDef::keyed_by_unique`).
//! The storage side of each change goes through the host, which applies it at once or
//! stages it in the open transaction (`SchemaHost`). A partial index or an index on
//! expressions is created only when the key of every row the statement sees derives
//! (`derive_existing_keys`).

use std::sync::Arc;

use ember_storage::index::{KeyCollation, KeyDerivation};
use ember_storage::wal::record::CatalogOp;
use ember_storage::{StorageErrorKind, TableSchema, Transaction};

use crate::catalog::{IndexDef, IndexKeys, TableDef};
use crate::error::Result;

use super::super::SchemaHost;
use crate::plan::{CreateIndex, CreateTable};

pub(crate) fn create_table(host: &dyn SchemaHost, create: &CreateTable) -> Result<()> {
    if create.autoincrement {
        create_table(host, &super::super::write::rowid::sequence_table())?;
    }
    let _ddl = host.lock_ddl()?;
    let catalog = host.catalog();
    if catalog.check_new_name("table", &create.name, create.if_not_exists)? {
        return Ok(());
    }
    let schema = TableSchema {
        types: create.columns.iter().map(|c| c.data_type).collect(),
        key_columns: create.primary_key.clone(),
        added: Vec::new(),
    };
    // A rowid alias holds only integers, which no collation changes.
    let primary_collations = match create.rowid_column {
        Some(_) => Vec::new(),
        None => key_collations(&create.columns, &create.primary_key),
    };
    let storage = host.store().create_table_keyed(schema, primary_collations);
    host.created_table(&storage);
    let mut indexes = Vec::new();
    for columns in &create.unique {
        if *columns == create.primary_key
            || indexes.iter().any(|i: &IndexDef| i.columns == *columns)
        {
            continue;
        }
        let name = format!("ember_autoindex_{}_{}", create.name, indexes.len() + 1);
        let collations = key_collations(&create.columns, columns);
        // A PRIMARY KEY kept as a UNIQUE constraint is ordered, as a key the table is
        // stored on may be, for its ranges and order; other UNIQUE constraints hash.
        let ordering = (*columns == create.keyed_by_unique).then(|| collations.clone());
        let index =
            storage.create_index_keyed(&name, columns.clone(), true, ordering, collations)?;
        indexes.push(IndexDef {
            name,
            columns: columns.clone(),
            unique: true,
            sql: None,
            predicate: None,
            keys: None,
            storage: index,
        });
    }
    let table = TableDef {
        name: create.name.clone(),
        columns: create.columns.clone(),
        primary_key: create.primary_key.clone(),
        keyed_by_unique: create.keyed_by_unique.clone(),
        unique: create.unique.clone(),
        sql: create.sql.clone(),
        storage,
        indexes,
        rowid_column: create.rowid_column,
        autoincrement: create.autoincrement,
        constraints: create.constraints.clone(),
        options: create.options.clone(),
        rows_expired: Default::default(),
    };
    host.log_catalog(
        CatalogOp::CreateTable,
        table.storage.id(),
        &table.name,
        &table.durable_text(table.sql.clone()),
    )?;
    host.publish_catalog(catalog.with_table(table));
    Ok(())
}

/// The collation the key of each of `key` (column positions) is normalized under: each
/// column's own, so a PRIMARY KEY or UNIQUE constraint on a `COLLATE NOCASE` column refuses
/// texts equal under NOCASE.
pub(crate) fn key_collations(
    columns: &[crate::catalog::ColumnDef],
    key: &[usize],
) -> Vec<KeyCollation> {
    key.iter()
        .map(|&c| columns[c].collation.index_collation())
        .collect()
}

pub(crate) fn drop_table(host: &dyn SchemaHost, name: &str, if_exists: bool) -> Result<()> {
    let _ddl = host.lock_ddl()?;
    let catalog = host.catalog();
    let Some(table) = catalog.table(name) else {
        if catalog.view(name).is_some() {
            return Err(crate::err!(
                InvalidInput,
                "use DROP VIEW to delete view {name}"
            ));
        }
        if if_exists {
            return Ok(());
        }
        return Err(crate::err!(NotFound, "no such table: {name}"));
    };
    let sql = format!("DROP TABLE {}", table.name);
    host.log_catalog(CatalogOp::DropTable, table.storage.id(), &table.name, &sql)?;
    // After the drop is logged, under the DDL lock: a commit that wrote to the table and
    // comes later is refused (see `Table::mark_dropped`; a transaction's staged drop marks
    // it when it commits). Its triggers go with it (their own log records are not needed:
    // replaying the DROP TABLE drops them again).
    host.drop_table_storage(&table.storage);
    host.publish_catalog(catalog.without_table(name).without_triggers_on(name));
    Ok(())
}

/// CREATE INDEX; `open`: the explicit transaction the statement runs in, whose rows the
/// index's derived keys are checked over (`None`: the newest snapshot's).
pub(crate) fn create_index(
    host: &dyn SchemaHost,
    create: &CreateIndex,
    open: Option<&Transaction>,
) -> Result<()> {
    let _ddl = host.lock_ddl()?;
    let catalog = host.catalog();
    if catalog.check_new_name("index", &create.name, create.if_not_exists)? {
        return Ok(());
    }
    // The binder resolved the columns against the catalog of its time; DDL since then
    // (the table dropped and recreated) makes the plan stale.
    let table = match catalog.table(&create.table) {
        Some(table)
            if create
                .columns
                .iter()
                .chain(create.keys.iter().flat_map(|keys| keys.reads()))
                .all(|&c| c < table.columns.len()) =>
        {
            table
        }
        _ => return Err(crate::err!(NotFound, "no such table: {}", create.table)),
    };
    if let Some(keys) = &create.keys {
        match open {
            Some(txn) => derive_existing_keys(txn, table, keys, &create.name)?,
            None => derive_existing_keys(&host.store().begin()?, table, keys, &create.name)?,
        }
    }
    let derivation = create
        .keys
        .clone()
        .map(|keys| keys as Arc<dyn KeyDerivation>);
    let storage = table
        .storage
        .create_derived_index(
            &create.name,
            create.columns.clone(),
            create.unique,
            (create.ordering.clone(), create.key_collations.clone()),
            derivation,
        )
        .map_err(|error| {
            if error.kind != StorageErrorKind::UniqueViolation {
                return crate::Error::from(error);
            }
            if create.columns.is_empty() {
                // An index on expressions: SQLite names the index.
                return crate::err!(
                    Constraint,
                    "UNIQUE constraint failed: index '{}'",
                    create.name
                );
            }
            let names: Vec<String> = create
                .columns
                .iter()
                .map(|&c| format!("{}.{}", table.name, table.columns[c].name))
                .collect();
            crate::err!(Constraint, "UNIQUE constraint failed: {}", names.join(", "))
        })?;
    let index = IndexDef {
        name: create.name.clone(),
        columns: create.columns.clone(),
        unique: create.unique,
        sql: Some(create.sql.clone()),
        predicate: create.predicate.clone(),
        keys: create.keys.clone(),
        storage,
    };
    let logged = host.log_catalog(
        CatalogOp::Other,
        table.storage.id(),
        &create.name,
        &create.sql,
    );
    if let Err(error) = logged {
        table.storage.drop_index(index.storage.id());
        return Err(error);
    }
    host.created_index(&table.storage, index.storage.id());
    let mut next = TableDef::clone(table);
    next.indexes.push(index);
    host.publish_catalog(catalog.with_table(next));
    Ok(())
}

/// Derives the key in the index `name` of every row of `table` `txn` sees: the first that
/// fails (an expression or the WHERE of a partial index fails to evaluate, a key too long)
/// fails the CREATE INDEX, which creates nothing, as in SQLite.
fn derive_existing_keys(
    txn: &Transaction,
    table: &TableDef,
    keys: &IndexKeys,
    name: &str,
) -> Result<()> {
    let (mut values, mut key) = (Vec::new(), Vec::new());
    for row in table.storage.row_ranges().into_iter().flatten() {
        if txn.read_row(&table.storage, row, &mut values)? {
            keys.key_of_written_row(name, &values, &mut key)?;
        }
    }
    Ok(())
}

pub(crate) fn drop_index(host: &dyn SchemaHost, name: &str, if_exists: bool) -> Result<()> {
    let _ddl = host.lock_ddl()?;
    let catalog = host.catalog();
    let Some(table) = catalog.index_table(name) else {
        if if_exists {
            return Ok(());
        }
        return Err(crate::err!(NotFound, "no such index: {name}"));
    };
    let index = table.index(name).expect("index_table found it");
    if index.sql.is_none() {
        return Err(crate::err!(
            InvalidInput,
            "index {} belongs to a UNIQUE constraint of table {} and cannot be dropped",
            index.name,
            table.name
        ));
    }
    let sql = format!("DROP INDEX {}", index.name);
    host.log_catalog(CatalogOp::Other, table.storage.id(), name, &sql)?;
    host.drop_index_storage(&table.storage, index.storage.id());
    let mut next = TableDef::clone(table);
    next.indexes
        .retain(|other| !other.name.eq_ignore_ascii_case(name));
    host.publish_catalog(catalog.with_table(next));
    Ok(())
}
