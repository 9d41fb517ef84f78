//! Generated columns (`GENERATED ALWAYS AS (expr) [VIRTUAL|STORED]`, `AS (expr)`): their
//! definitions in CREATE TABLE, checked as SQLite checks them and in its words, and what
//! they change in an UPDATE: a generated column reading an assigned column (directly or
//! through another generated column) is assigned its expression over the new values.
//! INSERT computes them in the executor (`exec/write/generated.rs`).

use sqlparser::ast::{self, ColumnOption, GeneratedExpressionMode};

use crate::catalog::{generated_order, ColumnDef, GeneratedColumn, TableDef};
use crate::error::{unsupported, Result};
use crate::expr::Expr;

use super::{Binder, Scope};

/// A generated column's definition as written: its expression and whether it is STORED.
pub(super) fn generated_option(option: &ColumnOption) -> Option<Result<(&ast::Expr, bool)>> {
    let ColumnOption::Generated {
        generation_expr,
        generation_expr_mode,
        sequence_options,
        ..
    } = option
    else {
        return None;
    };
    Some(match (generation_expr, sequence_options) {
        (Some(expr), None) => Ok((
            expr,
            *generation_expr_mode == Some(GeneratedExpressionMode::Stored),
        )),
        _ => Err(unsupported("identity columns (GENERATED ... AS IDENTITY)")),
    })
}

impl Binder<'_> {
    /// Binds the generated columns of a CREATE TABLE of table `name`: `pending` holds
    /// each one's position, expression and STORED flag; `primary_key` the key columns.
    pub(super) fn bind_generated_columns(
        &mut self,
        name: &str,
        columns: &mut [ColumnDef],
        pending: &[(usize, &ast::Expr, bool)],
        primary_key: &[usize],
    ) -> Result<()> {
        if pending.is_empty() {
            return Ok(());
        }
        if pending.len() == columns.iter().filter(|c| !c.hidden).count() {
            return Err(crate::err!(
                InvalidInput,
                "must have at least one non-generated column"
            ));
        }
        for &(position, _, _) in pending {
            if primary_key.contains(&position) {
                return Err(crate::err!(
                    InvalidInput,
                    "generated columns cannot be part of the PRIMARY KEY"
                ));
            }
            if columns[position].default.is_some() {
                return Err(crate::err!(
                    InvalidInput,
                    "error in generated column \"{}\"",
                    columns[position].name
                ));
            }
        }
        let scope = Scope::for_definition(name, columns);
        for &(position, expr, stored) in pending {
            super::constraint::reject_in_syntax(expr, "generated columns")?;
            let bound = self.bind_expr(expr, &scope)?;
            super::constraint::reject_in_definition(&bound, "generated columns", true)?;
            columns[position].generated = Some(Box::new(GeneratedColumn {
                expr: bound,
                stored,
            }));
        }
        generated_order(columns)?;
        Ok(())
    }

    /// The assignments an UPDATE of `table` adds for its generated columns: each one that
    /// reads an assigned column (or a generated column that does) gets its expression
    /// with those columns replaced by their new values (converted as the columns will
    /// store them: an INTEGER assigned to a REAL column is read as a REAL). A generated
    /// column as a target is an error.
    pub(super) fn generated_assignments(
        &self,
        table: &TableDef,
        assignments: &mut Vec<(usize, Expr)>,
    ) -> Result<()> {
        if let Some((position, _)) = assignments
            .iter()
            .find(|(position, _)| table.columns[*position].generated.is_some())
        {
            return Err(crate::err!(
                InvalidInput,
                "cannot UPDATE generated column \"{}\"",
                table.columns[*position].name
            ));
        }
        if !table.has_generated() {
            return Ok(());
        }
        let mut new_values: Vec<Option<Expr>> = vec![None; table.columns.len()];
        for (position, expr) in assignments.iter() {
            new_values[*position] = Some(stored_as(expr.clone(), &table.columns[*position]));
        }
        for position in generated_order(&table.columns)? {
            let Some(generated) = &table.columns[position].generated else {
                continue;
            };
            let reads_new = generated
                .expr
                .columns_read()
                .iter()
                .any(|read| new_values.get(*read).is_some_and(Option::is_some));
            if !reads_new {
                continue;
            }
            let value = generated.expr.map_leaves(&|leaf| match leaf {
                Expr::Column { index, .. } => new_values.get(*index).cloned().flatten(),
                _ => None,
            });
            new_values[position] = Some(stored_as(value.clone(), &table.columns[position]));
            assignments.push((position, value));
        }
        Ok(())
    }
}

/// `expr` converted as `column` stores its value.
fn stored_as(expr: Expr, column: &ColumnDef) -> Expr {
    Expr::Function {
        function: crate::expr::Function::StoredAs(column.data_type, column.affinity),
        args: vec![expr],
    }
}
