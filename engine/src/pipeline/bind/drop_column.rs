//! ALTER TABLE .. DROP [COLUMN] c: the checks SQLite makes before it drops a column, in its
//! order and with its messages: the column exists, is not (part of) the PRIMARY KEY, has
//! no column UNIQUE constraint, is not the only column; then the schema must still make
//! sense without it (SQLite re-parses the schema): no table constraint, CHECK or generated
//! column of the table, no CREATE INDEX and no view may name it. A drop that passes them
//! binds to the table's definition without the column: its CREATE TABLE text without the
//! column's definition, bound again as CREATE TABLE (columns, keys, CHECK and FOREIGN KEY
//! constraints renumbered), and its indexes' column positions shifted past the column.
//! `exec/schema/drop_column.rs` copies the rows.

use std::ops::ControlFlow;

use sqlparser::ast::{self, ColumnOption, Statement, TableConstraint};

use crate::catalog::{TableDef, ViewDef};
use crate::error::Result;
use crate::plan::Plan;

use super::Binder;

impl Binder<'_> {
    /// The definition of `table` without `column` (which SQLite's checks allow dropping),
    /// and the column's position.
    pub(super) fn bind_drop_column(
        &mut self,
        table: &TableDef,
        views: &[&ViewDef],
        column: &ast::Ident,
    ) -> Result<(TableDef, usize)> {
        let (create, position) = check_drop_column(table, views, &column.value)?;
        // The copy keeps the table's rowid: its implicit one (the first column again, its
        // rows keeping their ids), or none for a table from before it.
        let implicit_rowid =
            std::mem::replace(&mut self.implicit_rowid, table.has_implicit_rowid());
        let bound = self.bind_create_table(&create);
        self.implicit_rowid = implicit_rowid;
        let Plan::CreateTable(bound) = bound? else {
            return Err(crate::err!(
                Internal,
                "CREATE TABLE of {} did not bind as one",
                table.name
            ));
        };
        if bound.columns.len() + 1 != table.columns.len() {
            return Err(crate::err!(
                Internal,
                "table {} has {} columns, {} after dropping one",
                table.name,
                table.columns.len(),
                bound.columns.len()
            ));
        }
        let shift = |column: usize| column - usize::from(column > position);
        let mut indexes = table.indexes.clone();
        for index in &mut indexes {
            debug_assert!(!index.columns.contains(&position));
            index.columns = index.columns.iter().map(|&c| shift(c)).collect();
            index.keys = index
                .keys
                .as_ref()
                .map(|keys| std::sync::Arc::new(keys.map_columns(&shift)));
            index.predicate = index.keys.as_ref().and_then(|keys| keys.predicate.clone());
        }
        let after = TableDef {
            name: table.name.clone(),
            columns: bound.columns,
            primary_key: bound.primary_key,
            keyed_by_unique: bound.keyed_by_unique,
            unique: bound.unique,
            sql: bound.sql,
            storage: table.storage.clone(),
            indexes,
            rowid_column: bound.rowid_column,
            autoincrement: bound.autoincrement,
            constraints: bound.constraints,
            options: bound.options,
            rows_expired: table.rows_expired.clone(),
        };
        Ok((after, position))
    }
}

/// The table's CREATE TABLE without the column, and the column's position, when SQLite
/// would drop it; else SQLite's error.
fn check_drop_column(
    table: &TableDef,
    views: &[&ViewDef],
    name: &str,
) -> Result<(ast::CreateTable, usize)> {
    let Some(position) = table.column_index(name) else {
        return Err(crate::err!(NotFound, "no such column: \"{name}\""));
    };
    let name = table.columns[position].name.as_str();
    if table.declared_primary_key().contains(&position) {
        return Err(crate::err!(
            InvalidInput,
            "cannot drop PRIMARY KEY column: \"{name}\""
        ));
    }
    let Statement::CreateTable(mut create) = crate::catalog::parse_one(&table.sql)? else {
        return Err(crate::err!(
            Internal,
            "stored table text is not CREATE TABLE"
        ));
    };
    let Some(definition) = create
        .columns
        .iter()
        .position(|column| column.name.value.eq_ignore_ascii_case(name))
    else {
        return Err(crate::err!(
            Internal,
            "column {name} missing from the table text"
        ));
    };
    let column = create.columns.remove(definition);
    if column
        .options
        .iter()
        .any(|option| matches!(option.option, ColumnOption::Unique(_)))
    {
        return Err(crate::err!(
            InvalidInput,
            "cannot drop UNIQUE column: \"{name}\""
        ));
    }
    if table.visible_columns().count() == 1 {
        return Err(crate::err!(
            InvalidInput,
            "cannot drop column \"{name}\": no other columns exist"
        ));
    }
    let in_table = |message: String| {
        crate::err!(
            InvalidInput,
            "error in table {} after drop column: {message}",
            table.name
        )
    };
    let missing = format!("no such column: {name}");
    for constraint in &create.constraints {
        let keyed = match constraint {
            TableConstraint::PrimaryKey(key) => names_column(&key.columns, name),
            TableConstraint::Unique(key) => names_column(&key.columns, name),
            TableConstraint::ForeignKey(key) => {
                if key
                    .columns
                    .iter()
                    .any(|c| c.value.eq_ignore_ascii_case(name))
                {
                    return Err(in_table(format!(
                        "unknown column \"{name}\" in foreign key definition"
                    )));
                }
                false
            }
            _ => false,
        };
        if keyed {
            return Err(in_table(missing));
        }
    }
    // CHECK constraints and generated columns.
    if mentions_column(&create, name) {
        return Err(in_table(missing));
    }
    for index in &table.indexes {
        let Some(sql) = &index.sql else { continue };
        if let Statement::CreateIndex(create) = crate::catalog::parse_one(sql)? {
            let in_predicate = create
                .predicate
                .as_ref()
                .is_some_and(|predicate| mentions_column(predicate, name));
            if names_column(&create.columns, name) || in_predicate {
                return Err(crate::err!(
                    InvalidInput,
                    "error in index {} after drop column: {missing}",
                    index.name
                ));
            }
        }
    }
    for view in views {
        if reads_table(&view.query, &table.name) && mentions_column(&view.query, name) {
            return Err(crate::err!(
                InvalidInput,
                "error in view {} after drop column: {missing}",
                view.name
            ));
        }
    }
    Ok((create, position))
}

/// Whether a key or index column list names `column`.
fn names_column(columns: &[ast::IndexColumn], column: &str) -> bool {
    columns
        .iter()
        .any(|key| mentions_column(&key.column.expr, column))
}

/// Whether any expression inside `node` names `column` (bare or qualified).
fn mentions_column<V: ast::Visit>(node: &V, column: &str) -> bool {
    let found = crate::ast_visit::exprs(node, |expr| {
        let ident = match expr {
            ast::Expr::Identifier(ident) => Some(ident),
            ast::Expr::CompoundIdentifier(parts) => parts.last(),
            _ => None,
        };
        match ident {
            Some(ident) if ident.value.eq_ignore_ascii_case(column) => ControlFlow::Break(()),
            _ => ControlFlow::Continue(()),
        }
    });
    found.is_break()
}

/// Whether a view's query reads table `table`.
fn reads_table(query: &ast::Query, table: &str) -> bool {
    let found = crate::ast_visit::relations(query, |name| match name.0.last() {
        Some(part)
            if part
                .as_ident()
                .is_some_and(|ident| ident.value.eq_ignore_ascii_case(table)) =>
        {
            ControlFlow::Break(())
        }
        _ => ControlFlow::Continue(()),
    });
    found.is_break()
}
