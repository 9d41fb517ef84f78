//! Binding of an INSERT's `ON CONFLICT` clause (the conflict target resolved to the primary
//! key or a unique index, one of expressions in `conflict_target.rs`; `excluded.col` naming
//! the proposed row) and of the `RETURNING`
//! clause of INSERT, UPDATE and DELETE (expressions over the table's columns).

use sqlparser::ast::{self, AssignmentTarget, OnConflictAction, OnInsert, SelectItem};

use crate::catalog::TableDef;
use crate::error::{unsupported, Result};
use crate::expr::Expr;
use crate::plan::{ConflictTarget, Returning, Upsert, UpsertAction};

use super::conflict_target::{is_marked, no_match};
use super::{Binder, Scope};

/// The names `rowid`, `oid` and `_rowid_`, which SQLite gives the rowid.
pub fn is_rowid_name(name: &str) -> bool {
    ["rowid", "oid", "_rowid_"]
        .iter()
        .any(|alias| name.eq_ignore_ascii_case(alias))
}

/// The position of column `name` of `table`, a rowid name standing for the INTEGER
/// PRIMARY KEY column (as in `INSERT INTO t(rowid, ..)` and `UPDATE t SET rowid = ..`).
pub fn target_column(table: &TableDef, name: &str) -> Option<usize> {
    table
        .column_index(name)
        .or_else(|| table.rowid_column.filter(|_| is_rowid_name(name)))
}

impl Binder<'_> {
    /// `ON CONFLICT ...` of an INSERT into `table` (named `alias` in the statement).
    pub(super) fn bind_upsert(
        &mut self,
        on: &OnInsert,
        table: &TableDef,
        alias: &str,
    ) -> Result<Box<Upsert>> {
        let OnInsert::OnConflict(clause) = on else {
            return Err(unsupported("ON DUPLICATE KEY UPDATE"));
        };
        if let Some(ast::ConflictTarget::Columns(columns)) = &clause.conflict_target {
            if let Some(texts) = super::conflict_target::marked_upsert_clauses(columns) {
                return self.bind_upsert_clauses(&texts, table, alias);
            }
        }
        let target = match &clause.conflict_target {
            None => None,
            Some(ast::ConflictTarget::Columns(columns)) if is_marked(columns) => {
                Some(self.bind_marked_conflict_target(table, alias, columns)?)
            }
            Some(ast::ConflictTarget::Columns(columns)) => Some(conflict_target(table, columns)?),
            Some(ast::ConflictTarget::OnConstraint(name)) => {
                return Err(unsupported(format!("ON CONFLICT ON CONSTRAINT {name}")))
            }
        };
        let action = match &clause.action {
            OnConflictAction::DoNothing => UpsertAction::Nothing,
            OnConflictAction::DoUpdate(update) => {
                let mut scope = Scope::for_table_def(alias, table);
                let mut excluded = Scope::for_columns("excluded", &table.columns);
                excluded
                    .columns
                    .iter_mut()
                    .for_each(|column| column.hidden = true);
                scope.columns.extend(excluded.columns);
                let assignments = self.bind_assignments(&update.assignments, table, &scope)?;
                let filter = match &update.selection {
                    Some(predicate) => Some(self.bind_expr(predicate, &scope)?),
                    None => None,
                };
                UpsertAction::update(assignments, filter, table.columns.len())
            }
        };
        Ok(Box::new(Upsert {
            target,
            action,
            next: None,
        }))
    }

    /// Several upsert clauses, each given as its SQL text (`parse/upsert_chain.rs`): each
    /// bound as a clause of its own and chained in order; only the last may lack a target.
    fn bind_upsert_clauses(
        &mut self,
        texts: &[String],
        table: &TableDef,
        alias: &str,
    ) -> Result<Box<Upsert>> {
        let mut bound = Vec::with_capacity(texts.len());
        for text in texts {
            // The clause on an INSERT of its own, parsed as the statement's was.
            let sql = format!("INSERT INTO t VALUES (NULL) {text}");
            let parsed = crate::parse::parse_statements(&sql)?;
            let on = match &parsed[..] {
                [ast::Statement::Insert(ast::Insert { on: Some(on), .. })] => on,
                _ => return Err(crate::err!(Syntax, "near \"ON\": syntax error")),
            };
            // The clause's own text numbers no parameter of the statement's.
            if !super::parameters::number_parameters(&parsed[0])?
                .names
                .is_empty()
            {
                return Err(unsupported(
                    "parameters in the ON CONFLICT clauses of an INSERT with several of them",
                ));
            }
            bound.push(self.bind_upsert(on, table, alias)?);
        }
        let untargeted_before_last = bound.iter().rev().skip(1).any(|c| c.target.is_none());
        if untargeted_before_last {
            return Err(crate::err!(Syntax, "near \"ON\": syntax error"));
        }
        let mut chain: Option<Box<Upsert>> = None;
        for mut clause in bound.into_iter().rev() {
            clause.next = chain;
            chain = Some(clause);
        }
        chain.ok_or_else(|| crate::err!(Internal, "no upsert clause"))
    }

    /// `SET col = expr, ...` over `scope`: (column position, value) pairs, a column set
    /// twice taking its last value. In a table with `ttl`, every update also sets the
    /// row's hidden write time (`write_time()`: the transaction's time), which renews it.
    pub(super) fn bind_assignments(
        &mut self,
        assignments: &[ast::Assignment],
        table: &TableDef,
        scope: &Scope,
    ) -> Result<Vec<(usize, Expr)>> {
        let mut bound: Vec<(usize, Expr)> = Vec::with_capacity(assignments.len());
        for assignment in assignments {
            let pairs = match &assignment.target {
                AssignmentTarget::ColumnName(column) => {
                    let column_name = match column.0.last().and_then(|part| part.as_ident()) {
                        Some(ident) => ident.value.clone(),
                        None => return Err(unsupported(format!("assignment target {column}"))),
                    };
                    if target_column(table, &column_name).is_none() {
                        return Err(crate::err!(NotFound, "no such column: {column_name}"));
                    }
                    vec![(column_name, self.bind_expr(&assignment.value, scope)?)]
                }
                AssignmentTarget::Tuple(columns) => {
                    self.bind_row_assignment(columns, &assignment.value, scope)?
                }
            };
            for (column_name, value) in pairs {
                let position = target_column(table, &column_name)
                    .ok_or_else(|| crate::err!(NotFound, "no such column: {column_name}"))?;
                bound.retain(|(existing, _)| *existing != position);
                bound.push((position, value));
            }
        }
        self.generated_assignments(table, &mut bound)?;
        if let Some(column) = table.write_time_column() {
            bound.push((
                column,
                Expr::Function {
                    function: crate::expr::Function::WriteTime,
                    args: Vec::new(),
                },
            ));
        }
        Ok(bound)
    }

    /// `RETURNING items` over the columns of `table` (in table order), which only the
    /// table's own name qualifies (not an alias), as in SQLite.
    pub(super) fn bind_returning(
        &mut self,
        items: &[SelectItem],
        table: &TableDef,
    ) -> Result<Box<Returning>> {
        let scope = &Scope::for_table_def(&table.name, table);
        let mut exprs = Vec::new();
        let mut columns = Vec::new();
        let all_columns = |exprs: &mut Vec<Expr>, columns: &mut Vec<String>| {
            for (index, column) in table.visible_columns() {
                exprs.push(Expr::Column {
                    index,
                    name: column.name.clone(),
                    meta: column.meta(),
                });
                columns.push(column.name.clone());
            }
        };
        for item in items {
            match item {
                SelectItem::UnnamedExpr(expr) => {
                    exprs.push(self.bind_expr(expr, scope)?);
                    columns.push(match expr {
                        ast::Expr::Identifier(ident) => ident.value.clone(),
                        ast::Expr::CompoundIdentifier(parts) => {
                            parts.last().map(|p| p.value.clone()).unwrap_or_default()
                        }
                        other => other.to_string(),
                    });
                }
                SelectItem::ExprWithAlias { expr, alias } => {
                    exprs.push(self.bind_expr(expr, scope)?);
                    columns.push(alias.value.clone());
                }
                SelectItem::Wildcard(_) => all_columns(&mut exprs, &mut columns),
                SelectItem::QualifiedWildcard(..) => {
                    return Err(crate::err!(
                        InvalidInput,
                        "RETURNING may not use \"TABLE.*\" wildcards"
                    ))
                }
                other => return Err(unsupported(format!("RETURNING item {other}"))),
            }
            if exprs.len() > crate::limits::COLUMNS_MAX {
                return Err(crate::err!(
                    Limit,
                    "more than {} RETURNING columns",
                    crate::limits::COLUMNS_MAX
                ));
            }
        }
        Ok(Box::new(Returning { exprs, columns }))
    }
}

/// The primary key or unique index whose columns are exactly `columns` (in any order).
fn conflict_target(table: &TableDef, columns: &[ast::Ident]) -> Result<ConflictTarget> {
    let mut positions = Vec::with_capacity(columns.len());
    for column in columns {
        let position = target_column(table, &column.value)
            .ok_or_else(|| crate::err!(NotFound, "no such column: {}", column.value))?;
        positions.push(position);
    }
    let same_set = |key: &[usize]| {
        key.len() == positions.len() && key.iter().all(|column| positions.contains(column))
    };
    if !table.primary_key.is_empty() && same_set(&table.primary_key) {
        return Ok(ConflictTarget::PrimaryKey);
    }
    match table
        .indexes
        .iter()
        .find(|index| index.unique && index.is_plain() && same_set(&index.columns))
    {
        Some(index) => Ok(ConflictTarget::Index(index.name.clone())),
        None => Err(no_match()),
    }
}
