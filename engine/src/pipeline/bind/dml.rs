//! Binding of INSERT (column lists, multi-row VALUES, DEFAULT, INSERT ... SELECT), UPDATE and
//! DELETE. UPDATE and DELETE get a `TableAccess` chosen by the optimizer, like a SELECT.
//! Their ON CONFLICT and RETURNING clauses are bound in `upsert.rs`.

use std::sync::Arc;

use sqlparser::ast::{
    self, FromTable, SetExpr, SqliteOnConflict, TableFactor, TableObject, UpdateTableFromKind,
};

use crate::catalog::TableDef;
use crate::error::{unsupported, Result};
use crate::expr::Expr;
use crate::limits::VALUES_ROWS_MAX;
use crate::plan::{Insert, Node, OnConflict, PlainRows, Plan, Sequence, TableAccess};

use super::upsert::target_column;
use super::{object_name, Binder, Scope};

/// The statement's conflict clause, or `Declared` when it names none (`statement` is
/// ABORT without an `OR`) and constraints of `table` declare their own.
fn statement_or_declared(statement: OnConflict, unnamed: bool, table: &TableDef) -> OnConflict {
    let declared = !table.constraints.conflict.is_empty();
    match statement {
        OnConflict::Abort if unnamed && declared => OnConflict::Declared,
        clause => clause,
    }
}

impl Binder<'_> {
    /// The table `name` names (a temporary one first, or in the schema it is qualified
    /// with).
    pub(super) fn table(&self, name: &ast::ObjectName) -> Result<Arc<TableDef>> {
        let (name, catalog) = self.schema_of(name)?;
        catalog
            .table(&name)
            .cloned()
            .ok_or_else(|| crate::err!(NotFound, "no such table: {name}"))
    }

    pub(super) fn bind_insert(&mut self, insert: &ast::Insert) -> Result<Plan> {
        let on_conflict = match (&insert.or, insert.replace_into, insert.ignore) {
            (None, false, false) | (Some(SqliteOnConflict::Abort), false, false) => {
                OnConflict::Abort
            }
            (Some(SqliteOnConflict::Replace), _, false) | (None, true, false) => {
                OnConflict::Replace
            }
            (Some(SqliteOnConflict::Ignore), false, _) | (None, false, true) => OnConflict::Ignore,
            (Some(SqliteOnConflict::Fail), false, false) => OnConflict::Fail,
            (Some(SqliteOnConflict::Rollback), false, false) => OnConflict::Rollback,
            (Some(other), ..) => return Err(unsupported(format!("INSERT OR {other}"))),
            _ => return Err(unsupported("this INSERT conflict clause")),
        };
        if !insert.assignments.is_empty() {
            return Err(unsupported("INSERT ... SET"));
        }
        let TableObject::TableName(table_name) = &insert.table else {
            return Err(unsupported("INSERT INTO a table function"));
        };
        if let Some(view) = self
            .schema_of(table_name)
            .ok()
            .and_then(|(name, catalog)| catalog.view(&name).map(|view| view.name.clone()))
        {
            return self.bind_view_insert(insert, &view);
        }
        let table = self.table(table_name)?;
        let on_conflict = statement_or_declared(on_conflict, insert.or.is_none(), &table);
        let columns: Vec<usize> = if insert.columns.is_empty() {
            // Not the hidden write time of a table with `ttl`: the engine sets it.
            table
                .visible_columns()
                .filter(|(_, column)| column.generated.is_none())
                .map(|(position, _)| position)
                .collect()
        } else {
            let mut positions = Vec::with_capacity(insert.columns.len());
            for column in &insert.columns {
                let name = object_name(column)?;
                let position = target_column(&table, &name).ok_or_else(|| {
                    crate::err!(NotFound, "table {} has no column named {name}", table.name)
                })?;
                if table.columns[position].generated.is_some() {
                    return Err(crate::err!(
                        InvalidInput,
                        "cannot INSERT into generated column \"{}\"",
                        table.columns[position].name
                    ));
                }
                if positions.contains(&position) {
                    return Err(crate::err!(InvalidInput, "column {name} is given twice"));
                }
                positions.push(position);
            }
            positions
        };
        let source = match &insert.source {
            None => Node::Values {
                rows: vec![Vec::new()],
            },
            Some(query) => match query.body.as_ref() {
                SetExpr::Values(values)
                    if query.order_by.is_none() && query.limit_clause.is_none() =>
                {
                    self.bind_insert_values(&table, &columns, values)?
                }
                _ => {
                    let bound = self.bind_query(query)?;
                    if bound.columns.len() != columns.len() {
                        return Err(crate::err!(
                            InvalidInput,
                            "{} values for {} columns",
                            bound.columns.len(),
                            columns.len()
                        ));
                    }
                    bound.node
                }
            },
        };
        let columns = if insert.source.is_none() {
            Vec::new()
        } else {
            columns
        };
        let alias = match &insert.table_alias {
            Some(alias) => alias.alias.value.clone(),
            None => table.name.clone(),
        };
        let upsert = match &insert.on {
            Some(on) => {
                super::query_grammar::refuse_upsert_after_from(insert.source.as_deref())?;
                Some(self.bind_upsert(on, &table, &alias)?)
            }
            None => None,
        };
        let returning = match &insert.returning {
            Some(items) => Some(self.bind_returning(items, &table)?),
            None => None,
        };
        let sequence = if table.autoincrement {
            // The `sqlite_sequence` of the table's own schema (a temporary table's is
            // temporary, as in SQLite).
            let temp = self.catalog.temp_schema();
            let schema = match temp.table(&table.name) {
                Some(found) if Arc::ptr_eq(found, &table) => temp,
                _ => self.catalog.main_schema(),
            };
            let sequence = schema
                .table(crate::catalog::SEQUENCE_TABLE)
                .ok_or_else(|| {
                    crate::err!(
                        NotFound,
                        "no such table: {} (AUTOINCREMENT table {} needs it)",
                        crate::catalog::SEQUENCE_TABLE,
                        table.name
                    )
                })?;
            Some(Box::new(Sequence {
                table: Arc::clone(sequence),
            }))
        } else {
            None
        };
        // The plain form is the fast path of a plain INSERT only.
        let plain_rows = match (&upsert, &returning, &sequence) {
            (None, None, None) => PlainRows::build(&table, &columns, &source),
            _ => None,
        };
        Ok(Plan::Insert(Insert {
            table,
            columns,
            source,
            on_conflict,
            plain_rows,
            upsert,
            returning,
            sequence,
            write: crate::plan::InsertWrite::RowByRow,
        }))
    }

    fn bind_insert_values(
        &mut self,
        table: &TableDef,
        columns: &[usize],
        values: &ast::Values,
    ) -> Result<Node> {
        if values.rows.len() > VALUES_ROWS_MAX {
            return Err(crate::err!(
                Limit,
                "VALUES has {} rows; the limit is {VALUES_ROWS_MAX}",
                values.rows.len()
            ));
        }
        let empty = Scope::default();
        let mut rows = Vec::with_capacity(values.rows.len());
        for row in &values.rows {
            if row.len() != columns.len() {
                return Err(crate::err!(
                    InvalidInput,
                    "table {} has {} columns but {} values were supplied",
                    table.name,
                    columns.len(),
                    row.len()
                ));
            }
            let mut bound = Vec::with_capacity(row.len());
            for (expr, &column) in row.iter().zip(columns) {
                let is_default_keyword = matches!(
                    expr,
                    ast::Expr::Identifier(ident)
                        if ident.quote_style.is_none()
                            && ident.value.eq_ignore_ascii_case("default")
                );
                bound.push(if is_default_keyword {
                    table.columns[column]
                        .default
                        .clone()
                        .unwrap_or(Expr::Literal(ember_storage::Value::Null))
                } else {
                    self.bind_expr(expr, &empty)?
                });
            }
            rows.push(bound);
        }
        Ok(Node::Values { rows })
    }

    /// The single table an UPDATE or DELETE targets, with its scope and its index hint.
    pub(super) fn single_table(
        &self,
        from: &ast::TableWithJoins,
    ) -> Result<(Arc<TableDef>, Scope, Option<crate::plan::IndexHint>)> {
        if !from.joins.is_empty() {
            return Err(unsupported("joins in UPDATE/DELETE"));
        }
        if let TableFactor::Table {
            version: Some(_), ..
        } = &from.relation
        {
            return Err(unsupported(
                "FOR SYSTEM_TIME AS OF on an UPDATE/DELETE target (the past is read-only)",
            ));
        }
        let TableFactor::Table {
            name,
            alias,
            args: None,
            with_hints,
            ..
        } = &from.relation
        else {
            return Err(unsupported(format!(
                "UPDATE/DELETE target {}",
                from.relation
            )));
        };
        let table = self.table(name)?;
        // SQLite's INDEXED BY on the target: the index must be the table's; the optimizer's
        // choice of the target's path follows the hint (`optimize/statement.rs`).
        let hint = super::from::index_hint(with_hints)?;
        if let Some(crate::plan::IndexHint::IndexedBy(index)) = &hint {
            if table.index(index).is_none() {
                return Err(crate::err!(NotFound, "no such index: {index}"));
            }
        }
        let alias = alias
            .as_ref()
            .map(|a| a.name.value.clone())
            .unwrap_or_else(|| table.name.clone());
        let scope = Scope::for_table_def(&alias, &table);
        Ok((table, scope, hint))
    }

    pub(super) fn bind_update(&mut self, update: &ast::Update) -> Result<Plan> {
        let on_conflict = match update.or {
            None | Some(SqliteOnConflict::Abort) => OnConflict::Abort,
            Some(SqliteOnConflict::Ignore) => OnConflict::Ignore,
            Some(SqliteOnConflict::Replace) => OnConflict::Replace,
            Some(SqliteOnConflict::Fail) => OnConflict::Fail,
            Some(SqliteOnConflict::Rollback) => OnConflict::Rollback,
        };
        if !update.order_by.is_empty() || update.limit.is_some() {
            return Err(unsupported("UPDATE ... ORDER BY/LIMIT"));
        }
        if let Some(view) = super::view_write::named_view(self.catalog, &update.table.relation) {
            return self.bind_view_update(update, &view);
        }
        let (table, scope, hint) = self.single_table(&update.table)?;
        let on_conflict = statement_or_declared(on_conflict, update.or.is_none(), &table);
        let returning = match &update.returning {
            Some(items) => Some(self.bind_returning(items, &table)?),
            None => None,
        };
        let from_items = match &update.from {
            None => None,
            Some(UpdateTableFromKind::AfterSet(items)) => Some(items),
            Some(UpdateTableFromKind::BeforeSet(_)) => {
                return Err(unsupported("UPDATE FROM ... SET (FROM before SET)"))
            }
        };
        if let Some(items) = from_items {
            let (target, assignments, from) =
                self.bind_update_from((table, scope), items, update)?;
            return Ok(Plan::Update {
                target,
                assignments,
                returning,
                on_conflict,
                from: Some(Box::new(from)),
                hint,
            });
        }
        let assignments = self.bind_assignments(&update.assignments, &table, &scope)?;
        let filter = match &update.selection {
            Some(predicate) => Some(self.bind_expr(predicate, &scope)?),
            None => None,
        };
        Ok(Plan::Update {
            target: TableAccess::unplanned(table, filter),
            assignments,
            returning,
            on_conflict,
            from: None,
            hint,
        })
    }

    pub(super) fn bind_delete(&mut self, delete: &ast::Delete) -> Result<Plan> {
        if !delete.tables.is_empty() || delete.using.is_some() {
            return Err(unsupported("multi-table DELETE"));
        }
        if !delete.order_by.is_empty() || delete.limit.is_some() {
            return Err(unsupported("DELETE ... ORDER BY/LIMIT"));
        }
        let from = match &delete.from {
            FromTable::WithFromKeyword(from) | FromTable::WithoutKeyword(from) => from,
        };
        let [target] = from.as_slice() else {
            return Err(unsupported("DELETE from several tables"));
        };
        if let Some(view) = super::view_write::named_view(self.catalog, &target.relation) {
            return self.bind_view_delete(delete, target, &view);
        }
        let (table, scope, hint) = self.single_table(target)?;
        let filter = match &delete.selection {
            Some(predicate) => Some(self.bind_expr(predicate, &scope)?),
            None => None,
        };
        let returning = match &delete.returning {
            Some(items) => Some(self.bind_returning(items, &table)?),
            None => None,
        };
        let target = TableAccess::unplanned(table, filter);
        Ok(Plan::Delete {
            target,
            returning,
            hint,
        })
    }
}
