//! Binding of ALTER TABLE with SQLite's rules and messages: `ADD [COLUMN]` (no PRIMARY KEY
//! or UNIQUE column, a NOT NULL column needs a non-NULL default, the default must be a
//! constant), `RENAME COLUMN a TO b` and `RENAME TO u` (the stored CREATE TABLE and CREATE
//! INDEX text rewritten, the UNIQUE constraints' indexes renamed with the table, and views
//! over a renamed table rewritten to its new name, as SQLite does; so are the triggers that
//! name it, their text edited in place: `catalog/trigger_rename.rs`). RENAME COLUMN
//! rewrites the views and triggers that name the column (`rename_column.rs`).
//! `DROP COLUMN` makes SQLite's checks and binds the table without the column
//! (`drop_column.rs`).

use std::sync::Arc;

use sqlparser::ast::{self, AlterTableOperation, ColumnOption, RenameTableNameKind};

use ember_storage::Value;

use crate::catalog::{
    column_renamed_in_place, merge_set_options, rename_key_column, rename_table_in_index,
    rename_table_in_trigger_text, rename_table_in_view, renamed_in_text, rewrite_create_index,
    rewrite_create_table, splice_added_column, ColumnDef, TableDef, TriggerDef, ViewDef,
};
use crate::error::{unsupported, Result};
use crate::expr::{Affinity, Collation, EvalContext, Expr};
use crate::limits::COLUMNS_MAX;
use crate::plan::{AlterTable, Plan};

use super::ddl::column_type;
use super::{object_name, Binder, Scope};

impl Binder<'_> {
    pub(super) fn bind_alter_table(&mut self, alter: &ast::AlterTable) -> Result<Plan> {
        if alter.if_exists
            || alter.only
            || alter.on_cluster.is_some()
            || alter.location.is_some()
            || alter.table_type.is_some()
        {
            return Err(unsupported("ALTER TABLE options (IF EXISTS, ONLY, ...)"));
        }
        let (name, catalog) = self.schema_of(&alter.name)?;
        let [operation] = alter.operations.as_slice() else {
            return Err(unsupported("several operations in one ALTER TABLE"));
        };
        let Some(table) = catalog.table(&name) else {
            if catalog.view(&name).is_some() {
                return Err(match operation {
                    AlterTableOperation::AddColumn { .. } => {
                        crate::err!(InvalidInput, "Cannot add a column to a view")
                    }
                    AlterTableOperation::DropColumn { .. } => {
                        crate::err!(InvalidInput, "cannot drop column from view \"{name}\"")
                    }
                    _ => crate::err!(InvalidInput, "view {name} may not be altered"),
                });
            }
            return Err(crate::err!(NotFound, "no such table: {name}"));
        };
        // SQLite's own tables (here `sqlite_sequence`).
        if table
            .name
            .get(..7)
            .is_some_and(|prefix| prefix.eq_ignore_ascii_case("sqlite_"))
        {
            return Err(crate::err!(
                InvalidInput,
                "table {} may not be altered",
                table.name
            ));
        }
        let before = Arc::clone(table);
        let mut after = TableDef::clone(&before);
        let mut added = None;
        let mut dropped = None;
        let mut ttl_from_pending = false;
        let mut views = Vec::new();
        let mut triggers = Vec::new();
        let mut referencing = Vec::new();
        let mut temp_objects = (Vec::new(), Vec::new());
        let mut logged_sql = None;
        match operation {
            AlterTableOperation::AddColumn {
                column_keyword: _,
                if_not_exists,
                column_def,
                column_position,
            } => {
                if *if_not_exists || column_position.is_some() {
                    return Err(unsupported("ADD COLUMN IF NOT EXISTS / FIRST / AFTER"));
                }
                if before.options.ttl_ms.is_some() {
                    return Err(unsupported(format!(
                        "ALTER TABLE ADD COLUMN on table {} with ttl (its last column is the \
                         hidden row write time): SET (ttl = NULL), add the column, set the \
                         ttl again",
                        before.name
                    )));
                }
                let (column, missing) = self.bind_added_column(&before, column_def)?;
                // The column as written, spliced into the kept text (SQLite's way), and
                // the statement logged with it so WAL replay splices the same text.
                let written = self.creation_text.take();
                let spliced = written
                    .as_deref()
                    .and_then(|text| splice_added_column(&before.sql, text));
                after.sql = match spliced {
                    Some(sql) => {
                        logged_sql = written
                            .map(|text| format!("ALTER TABLE {} ADD COLUMN {text}", alter.name));
                        sql
                    }
                    None => rewrite_create_table(&before.sql, |create| {
                        create.columns.push(column_def.clone());
                    })?,
                };
                added = Some((column.data_type, missing));
                after.columns.push(column);
                let constrains = column_def.options.iter().any(|option| {
                    matches!(
                        option.option,
                        ColumnOption::Check(_)
                            | ColumnOption::ForeignKey(_)
                            | ColumnOption::OnConflict(_)
                    )
                });
                if constrains {
                    after.constraints = self.constraints_of(&after)?;
                }
            }
            AlterTableOperation::RenameColumn {
                old_column_name,
                new_column_name,
            } => {
                rename_column(&mut after, old_column_name, new_column_name)?;
                let temporary = self.names_temp_object(&alter.name)?;
                let schema = match temporary {
                    true => self.catalog.temp_schema(),
                    false => self.catalog.main_schema(),
                };
                referencing = super::rename_column::rename_in_foreign_keys(
                    schema,
                    &mut after,
                    &old_column_name.value,
                    new_column_name,
                )?;
                (views, triggers, temp_objects) = self.rename_column_in_schema(
                    &before,
                    &after,
                    temporary,
                    old_column_name,
                    new_column_name,
                )?;
            }
            AlterTableOperation::RenameTable { table_name } => {
                let (RenameTableNameKind::To(new_name) | RenameTableNameKind::As(new_name)) =
                    table_name;
                rename_table(&mut after, new_name)?;
                let new_name_ast = new_name;
                let new_name = &after.name;
                // Its own name counts too, as in SQLite.
                if self.catalog.object_kind(new_name).is_some() {
                    return Err(crate::err!(
                        AlreadyExists,
                        "there is already another table or index with this name: {new_name}"
                    ));
                }
                for view in self.catalog.views() {
                    if let Some(view) = rename_table_in_view(view, &before.name, new_name_ast)? {
                        views.push(view);
                    }
                }
                let temporary = self.names_temp_object(&alter.name)?;
                triggers = self.rename_table_in_triggers(&before.name, new_name, temporary)?;
                // Foreign keys naming the table follow it (its own, and other tables').
                for key in &mut after.constraints.foreign_keys {
                    if key.parent.eq_ignore_ascii_case(&before.name) {
                        key.parent.clone_from(&after.name);
                    }
                }
                let schema = match temporary {
                    true => self.catalog.temp_schema(),
                    false => self.catalog.main_schema(),
                };
                for table in schema.tables() {
                    let names_it = |parent: &String| parent.eq_ignore_ascii_case(&before.name);
                    if table.name.eq_ignore_ascii_case(&before.name)
                        || !table
                            .constraints
                            .foreign_keys
                            .iter()
                            .any(|key| names_it(&key.parent))
                    {
                        continue;
                    }
                    let mut changed = TableDef::clone(table);
                    for key in &mut changed.constraints.foreign_keys {
                        if names_it(&key.parent) {
                            key.parent.clone_from(&after.name);
                        }
                    }
                    if let Some(sql) =
                        rename_table_in_trigger_text(&table.sql, &before.name, &after.name)
                    {
                        changed.sql = sql;
                    }
                    referencing.push((Arc::clone(table), changed));
                }
            }
            AlterTableOperation::DropColumn {
                column_names,
                if_exists,
                drop_behavior,
                ..
            } => {
                let ([column], false, None) = (column_names.as_slice(), if_exists, drop_behavior)
                else {
                    return Err(unsupported(
                        "DROP COLUMN of several columns, IF EXISTS, CASCADE or RESTRICT",
                    ));
                };
                if let Some(expiry) = before.options.expire_at {
                    if before.columns[expiry]
                        .name
                        .eq_ignore_ascii_case(&column.value)
                    {
                        return Err(crate::err!(
                            InvalidInput,
                            "cannot drop column {}: table option expire_at names it \
                             (ALTER TABLE {} SET (expire_at = NULL) first)",
                            column.value,
                            before.name
                        ));
                    }
                }
                let views = self.catalog.views();
                let views: Vec<&ViewDef> = views.iter().map(|view| view.as_ref()).collect();
                let (without, position) = self.bind_drop_column(&before, &views, column)?;
                after = without;
                dropped = Some(position);
            }
            AlterTableOperation::SetOptionsParens { options } => {
                let mut failure = None;
                after.sql = rewrite_create_table(&before.sql, |create| {
                    failure = merge_set_options(&before.name, create, options, |column| {
                        before.column_index(column)
                    })
                    .err();
                })?;
                if let Some(error) = failure {
                    return Err(error);
                }
                let statement = crate::catalog::parse_one(&after.sql)?;
                let ast::Statement::CreateTable(create) = statement else {
                    return Err(crate::err!(
                        Internal,
                        "stored table text is not CREATE TABLE"
                    ));
                };
                after.options = crate::catalog::bind_table_options(
                    &before.name,
                    &create.table_options,
                    |column| before.column_index(column),
                )?;
                match (before.options.ttl_ms, after.options.ttl_ms) {
                    (None, Some(_)) => {
                        // The rows already there count from the ALTER (`ttl_from`): the value
                        // they read for the new write-time column.
                        super::ddl::add_write_time_column(&before.name, &mut after.columns)?;
                        let from = match after.options.ttl_from_ms {
                            Some(ms) => Value::Integer(ms),
                            None => {
                                ttl_from_pending = true;
                                Value::Null
                            }
                        };
                        added = Some((ember_storage::DataType::Integer, from));
                    }
                    (Some(_), None) => {
                        // The write-time column goes: the rows are copied without it.
                        after.columns.pop();
                        dropped = before.write_time_column();
                    }
                    (Some(_), Some(_))
                        if after.options.ttl_from_ms != before.options.ttl_from_ms =>
                    {
                        return Err(crate::err!(
                            InvalidInput,
                            "table option ttl_from is the engine's (the time the rows there \
                             when a ttl was first given count from); table {} has a ttl already",
                            before.name
                        ));
                    }
                    _ => {}
                }
            }
            other => return Err(unsupported(format!("ALTER TABLE {other}"))),
        }
        Ok(Plan::AlterTable(Box::new(AlterTable {
            before,
            after,
            added,
            dropped,
            ttl_from_pending,
            views,
            triggers,
            temp_objects,
            referencing,
            sql: logged_sql
                .unwrap_or_else(|| ast::Statement::AlterTable(alter.clone()).to_string()),
        })))
    }

    /// The column ADD COLUMN adds, and the value the rows already there read for it.
    fn bind_added_column(
        &mut self,
        table: &TableDef,
        column: &ast::ColumnDef,
    ) -> Result<(ColumnDef, Value)> {
        let name = &column.name.value;
        if table.column_index(name).is_some() {
            return Err(crate::err!(AlreadyExists, "duplicate column name: {name}"));
        }
        if table.columns.len() >= COLUMNS_MAX {
            return Err(crate::err!(
                Limit,
                "table {} has {} columns; the limit is {COLUMNS_MAX}",
                table.name,
                table.columns.len()
            ));
        }
        let declared = column.data_type.to_string();
        let mut definition = ColumnDef {
            name: name.clone(),
            data_type: column_type(&declared),
            not_null: false,
            default: None,
            affinity: Affinity::from_type_name(&declared),
            collation: Collation::Binary,
            hidden: false,
            strict: None,
            generated: None,
        };
        if table.is_strict() {
            let (data_type, affinity, strict) =
                super::strict::strict_column(&table.name, name, &declared)?;
            definition.data_type = data_type;
            definition.affinity = affinity;
            definition.strict = Some(strict);
        }
        for option in &column.options {
            match &option.option {
                ColumnOption::Null => {}
                ColumnOption::NotNull => definition.not_null = true,
                ColumnOption::PrimaryKey(_) => {
                    return Err(crate::err!(InvalidInput, "Cannot add a PRIMARY KEY column"))
                }
                ColumnOption::Unique(_) => {
                    return Err(crate::err!(InvalidInput, "Cannot add a UNIQUE column"))
                }
                ColumnOption::Default(expr) => {
                    if !is_constant_default(expr) {
                        return Err(non_constant_default());
                    }
                    definition.default = Some(self.bind_expr(expr, &Scope::default())?);
                }
                ColumnOption::Collation(name) => {
                    definition.collation =
                        self.collation_named(&object_name(name)?, "a column definition")?;
                }
                ColumnOption::Generated { .. } => {
                    return Err(match super::generated::generated_option(&option.option) {
                        Some(Ok((_, true))) => {
                            crate::err!(InvalidInput, "cannot add a STORED column")
                        }
                        _ => unsupported("ALTER TABLE ADD COLUMN of a generated column"),
                    })
                }
                // Bound with the whole table's text (`constraints_of`; a conflict clause
                // where SQLite takes none fails there as in CREATE TABLE).
                ColumnOption::Check(_)
                | ColumnOption::ForeignKey(_)
                | ColumnOption::OnConflict(_) => {}
                other => return Err(unsupported(format!("column option {other}"))),
            }
        }
        let default = match &definition.default {
            None => Value::Null,
            Some(expr) => constant_value(expr)?,
        };
        // A NOT NULL column whose default is NULL goes only into an empty table: the
        // connection checks that when the statement runs (`connection/drop_table.rs`).
        let missing = crate::expr::coerce_to_column(default, &definition)?;
        Ok((definition, missing))
    }
}

impl Binder<'_> {
    /// The CHECK and FOREIGN KEY constraints and the conflict clauses of `table` as its
    /// CREATE text binds them (in definition order, as a reopened database binds them), for
    /// a column added with one.
    fn constraints_of(&mut self, table: &TableDef) -> Result<crate::catalog::TableConstraints> {
        let ast::Statement::CreateTable(create) = crate::catalog::parse_one(&table.sql)? else {
            return Err(crate::err!(
                Internal,
                "stored table text is not CREATE TABLE"
            ));
        };
        match self.bind_create_table(&create)? {
            Plan::CreateTable(bound) if bound.columns.len() == table.columns.len() => {
                Ok(bound.constraints)
            }
            _ => Err(unsupported(format!(
                "ALTER TABLE ADD COLUMN with a CHECK or REFERENCES constraint on table {} \
                 (created by an EmberDB older than the implicit rowid)",
                table.name
            ))),
        }
    }
}

/// Whether a DEFAULT is a constant by SQLite's rule for ADD COLUMN: a literal, possibly
/// signed or parenthesized (no expression, no CURRENT_TIMESTAMP, no parameter).
fn is_constant_default(expr: &ast::Expr) -> bool {
    match expr {
        ast::Expr::Value(value) => !matches!(value.value, ast::Value::Placeholder(_)),
        ast::Expr::Nested(inner) => is_constant_default(inner),
        ast::Expr::UnaryOp {
            op: ast::UnaryOperator::Minus | ast::UnaryOperator::Plus,
            expr,
        } => matches!(**expr, ast::Expr::Value(_)) && is_constant_default(expr),
        _ => false,
    }
}

fn non_constant_default() -> crate::Error {
    crate::err!(
        InvalidInput,
        "Cannot add a column with non-constant default"
    )
}

/// The value of a bound constant default (a literal, maybe negated).
fn constant_value(expr: &Expr) -> Result<Value> {
    let context = EvalContext {
        params: &[],
        subqueries: None,
        outer: None,
    };
    expr.eval(&[], &context)
}

impl Binder<'_> {
    /// The triggers of the renamed table's schema (`temporary`: the connection's temporary
    /// one) whose text names the table `old`, with the name edited to `new` in place and,
    /// for those on the table, the table they are on renamed. A temporary trigger on a
    /// renamed `main` table is refused (its schema is not the one rewritten).
    fn rename_table_in_triggers(
        &self,
        old: &str,
        new: &str,
        temporary: bool,
    ) -> Result<Vec<TriggerDef>> {
        let schema = match temporary {
            true => self.catalog.temp_schema(),
            false => self.catalog.main_schema(),
        };
        if !temporary {
            let temp_trigger_on_it = self
                .catalog
                .temp_schema()
                .triggers()
                .into_iter()
                .any(|trigger| trigger.table.eq_ignore_ascii_case(old) && !trigger.on_temporary);
            if temp_trigger_on_it {
                return Err(unsupported(format!(
                    "ALTER TABLE RENAME of table {old} with a temporary trigger on it (drop \
                     it first)"
                )));
            }
        }
        let mut renamed = Vec::new();
        for trigger in schema.triggers() {
            let Some(sql) = rename_table_in_trigger_text(&trigger.sql, old, new) else {
                continue;
            };
            let (when, body) = super::trigger::split_trigger_text(&sql, trigger.when.is_some())?;
            let table = match trigger.table.eq_ignore_ascii_case(old) {
                true => new.to_string(),
                false => trigger.table.clone(),
            };
            renamed.push(TriggerDef {
                table,
                when,
                body,
                sql,
                ..TriggerDef::clone(trigger)
            });
        }
        Ok(renamed)
    }
}

/// RENAME COLUMN: the column, the stored CREATE TABLE (column and key lists) and the CREATE
/// INDEX statements that name it.
fn rename_column(table: &mut TableDef, old: &ast::Ident, new: &ast::Ident) -> Result<()> {
    let Some(position) = table.column_index(&old.value) else {
        return Err(crate::err!(NotFound, "no such column: \"{}\"", old.value));
    };
    if table
        .column_index(&new.value)
        .is_some_and(|other| other != position)
    {
        return Err(crate::err!(
            AlreadyExists,
            "error in table {} after rename: duplicate column name: {}",
            table.name,
            new.value
        ));
    }
    let old_name = table.columns[position].name.clone();
    let rewritten = rewrite_create_table(&table.sql, |create| {
        for column in &mut create.columns {
            if column.name.value.eq_ignore_ascii_case(&old_name) {
                column.name = new.clone();
            }
        }
        for constraint in &mut create.constraints {
            match constraint {
                ast::TableConstraint::PrimaryKey(key) => {
                    rename_key_column(&mut key.columns, &old_name, new)
                }
                ast::TableConstraint::Unique(key) => {
                    rename_key_column(&mut key.columns, &old_name, new)
                }
                _ => {}
            }
        }
        // Column names inside constraint expressions (CHECK) follow too.
        crate::ast_visit::exprs_mut(create, |expr| {
            if let ast::Expr::Identifier(ident) = expr {
                if ident.value.eq_ignore_ascii_case(&old_name) {
                    *ident = new.clone();
                }
            }
        });
    })?;
    // The text as written, edited in place where that reads as the rewrite (as SQLite).
    table.sql =
        column_renamed_in_place(&table.sql, &rewritten, &old_name, new).unwrap_or(rewritten);
    for index in &mut table.indexes {
        if let Some(sql) = &index.sql {
            let rewritten = rewrite_create_index(sql, |create| {
                rename_key_column(&mut create.columns, &old_name, new);
                // And in a partial index's WHERE, which reads only the table's columns.
                if let Some(predicate) = &mut create.predicate {
                    crate::catalog::rename_column_in_expr(predicate, &old_name, new);
                }
            })?;
            index.sql =
                Some(column_renamed_in_place(sql, &rewritten, &old_name, new).unwrap_or(rewritten));
        }
    }
    table.columns[position].name = new.value.clone();
    Ok(())
}

/// RENAME TO: the name, the stored CREATE TABLE and CREATE INDEX text, and the names of
/// the UNIQUE constraints' indexes (`ember_autoindex_<table>_<n>`).
fn rename_table(table: &mut TableDef, new_name: &ast::ObjectName) -> Result<()> {
    let name = object_name(new_name)?;
    let old_prefix = format!("ember_autoindex_{}_", table.name);
    // The name edited in the text as written, as SQLite does; printed when that cannot be.
    // A text that names the table again (its own foreign key) has each edited.
    let edited = || {
        let sql = rename_table_in_trigger_text(&table.sql, &table.name, &name)?;
        let renamed = match crate::catalog::parse_one(&sql) {
            Ok(ast::Statement::CreateTable(create)) => {
                create.name.to_string().trim_matches('"') == name
            }
            _ => false,
        };
        renamed.then_some(sql)
    };
    table.sql = match renamed_in_text(&table.sql, "TABLE", &table.name, &name).or_else(edited) {
        Some(sql) => sql,
        None => rewrite_create_table(&table.sql, |create| create.name = new_name.clone())?,
    };
    for index in &mut table.indexes {
        match &index.sql {
            Some(sql) => {
                index.sql = Some(match renamed_in_text(sql, "ON", &table.name, &name) {
                    Some(sql) => sql,
                    None => rename_table_in_index(sql, &table.name, new_name)?,
                })
            }
            None => {
                if let Some(number) = index.name.strip_prefix(&old_prefix) {
                    index.name = format!("ember_autoindex_{name}_{number}");
                }
            }
        }
    }
    for column in &mut table.columns {
        if let Some(strict) = &mut column.strict {
            strict.table.clone_from(&name);
        }
    }
    table.name = name;
    Ok(())
}
