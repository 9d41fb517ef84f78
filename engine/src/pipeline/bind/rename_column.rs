//! ALTER TABLE .. RENAME COLUMN beyond the table's own text: the views and triggers of the
//! table's schema that name the column, rewritten (`catalog/column_rename.rs` resolves
//! their names as SQLite does), the foreign keys that reference the column (the other
//! tables' and the table's own), then every view of the schema bound against the renamed
//! table, so that a view the rename would break fails the statement, as in SQLite. The
//! connection's temporary views and triggers over a renamed `main` table are rewritten too.

use sqlparser::ast;

use std::sync::Arc;

use crate::catalog::{rewrite_create_table, Catalog, ColumnRename, TableDef, TriggerDef, ViewDef};
use crate::error::Result;

use super::Binder;

/// Views and triggers rewritten by a rename.
type Rewritten = (Vec<ViewDef>, Vec<TriggerDef>);

impl Binder<'_> {
    /// The views and triggers of the schema `before` is in, rewritten for its column `old`
    /// renamed `new` (`after` is the table renamed); then, for a `main` table, the
    /// connection's temporary views and triggers that read it, rewritten.
    pub(super) fn rename_column_in_schema(
        &self,
        before: &TableDef,
        after: &TableDef,
        temporary: bool,
        old: &ast::Ident,
        new: &ast::Ident,
    ) -> Result<(Vec<ViewDef>, Vec<TriggerDef>, Rewritten)> {
        // A temporary view reads temporary objects first, then `main`'s.
        let (schema, names): (&Catalog, &Catalog) = if temporary {
            (self.catalog.temp_schema(), self.catalog)
        } else {
            (self.catalog.main_schema(), self.catalog.main_schema())
        };
        let rename = |names: &Catalog, unqualified: bool, schema: &Catalog| -> Result<Rewritten> {
            let lookup = |name: &str| columns_of(names, name);
            let rename = ColumnRename {
                table: &before.name,
                schema: if temporary { "temp" } else { "main" },
                unqualified,
                columns: visible_names(before),
                old: &old.value,
                new,
                columns_of: &lookup,
            };
            let mut views = Vec::new();
            for view in schema.views() {
                views.extend(rename.view(view)?);
            }
            let mut triggers = Vec::new();
            for trigger in schema.triggers() {
                triggers.extend(rename.trigger(trigger, super::trigger::split_trigger_text)?);
            }
            Ok((views, triggers))
        };
        let (views, triggers) = rename(names, true, schema)?;
        let mut temp_objects = (Vec::new(), Vec::new());
        if !temporary {
            check_views_after(schema, after, &views)?;
            if self.catalog.temp().is_some() {
                let shadowed = self.catalog.is_temp_object(&before.name);
                temp_objects = rename(self.catalog, !shadowed, self.catalog.temp_schema())?;
            }
        }
        Ok((views, triggers, temp_objects))
    }
}

/// The column names of the table or view `name` of `names`, `None` when unknown.
fn columns_of(names: &Catalog, name: &str) -> Option<Vec<String>> {
    if let Some(table) = names.table(name) {
        return Some(visible_names(table));
    }
    let view = names.view(name)?;
    if !view.columns.is_empty() {
        return Some(view.columns.clone());
    }
    Binder::new(names)
        .bind_view(view)
        .ok()
        .map(|query| query.columns)
}

/// Every view of `schema` binds with `after` in place of its table and `rewritten` in place
/// of their views; else SQLite's error naming the first view that does not.
fn check_views_after(schema: &Catalog, after: &TableDef, rewritten: &[ViewDef]) -> Result<()> {
    let mut next = schema.without_table(&after.name).with_table(after.clone());
    for view in rewritten {
        next = next.with_view_replaced(view.clone());
    }
    for view in next.views() {
        if let Err(error) = Binder::new(&next).bind_view(view) {
            return Err(crate::err!(
                InvalidInput,
                "error in view {} after rename: {}",
                view.name,
                error.message()
            ));
        }
    }
    Ok(())
}

/// The tables of `schema` (other than `after`'s, which changes in place) whose foreign keys
/// reference `after`'s column `old`, each as it is and with the key's column renamed `new`
/// (its definition and its CREATE TABLE text), as SQLite rewrites them.
pub(super) fn rename_in_foreign_keys(
    schema: &Catalog,
    after: &mut TableDef,
    old: &str,
    new: &ast::Ident,
) -> Result<Vec<(Arc<TableDef>, TableDef)>> {
    let parent = after.name.clone();
    rename_referenced(after, &parent, old, new)?;
    let mut referencing = Vec::new();
    for table in schema.tables() {
        if table.name.eq_ignore_ascii_case(&parent) {
            continue;
        }
        let mut changed = TableDef::clone(table);
        if rename_referenced(&mut changed, &parent, old, new)? {
            referencing.push((Arc::clone(table), changed));
        }
    }
    Ok(referencing)
}

/// Renames column `old` of table `parent` to `new` in `table`'s foreign keys that
/// reference it; whether any did.
fn rename_referenced(
    table: &mut TableDef,
    parent: &str,
    old: &str,
    new: &ast::Ident,
) -> Result<bool> {
    let mut changed = false;
    for key in &mut table.constraints.foreign_keys {
        if !key.parent.eq_ignore_ascii_case(parent) {
            continue;
        }
        for column in key.parent_columns.iter_mut() {
            if column.eq_ignore_ascii_case(old) {
                column.clone_from(&new.value);
                changed = true;
            }
        }
    }
    if !changed {
        return Ok(false);
    }
    let rename = |key: &mut ast::ForeignKeyConstraint| {
        let names_parent = key
            .foreign_table
            .0
            .last()
            .and_then(|part| part.as_ident())
            .is_some_and(|ident| ident.value.eq_ignore_ascii_case(parent));
        if names_parent {
            for column in key.referred_columns.iter_mut() {
                if column.value.eq_ignore_ascii_case(old) {
                    *column = new.clone();
                }
            }
        }
    };
    let rewritten = rewrite_create_table(&table.sql, |create| {
        for column in &mut create.columns {
            for option in &mut column.options {
                if let ast::ColumnOption::ForeignKey(key) = &mut option.option {
                    rename(key);
                }
            }
        }
        for constraint in &mut create.constraints {
            if let ast::TableConstraint::ForeignKey(key) = constraint {
                rename(key);
            }
        }
    })?;
    // The text as written, edited in place where that reads as the rewrite (as SQLite).
    table.sql = crate::catalog::column_renamed_in_place(&table.sql, &rewritten, old, new)
        .unwrap_or(rewritten);
    Ok(true)
}

/// The names of `table`'s visible columns.
fn visible_names(table: &TableDef) -> Vec<String> {
    table
        .visible_columns()
        .map(|(_, column)| column.name.clone())
        .collect()
}
