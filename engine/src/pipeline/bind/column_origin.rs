//! Where each output column of a bound query comes from, as far as SQLite follows it for a
//! declared type: a table's column (through filters, sorts, joins, projections that pass it
//! whole) or a CAST. CREATE TABLE .. AS SELECT declares its columns from these, and
//! `PRAGMA table_info` of a view lists its columns' declared types from them.

use std::sync::Arc;

use crate::catalog::{TableDef, ViewDef};
use crate::error::Result;
use crate::expr::{Affinity, Expr};
use crate::plan::Node;

use super::Binder;

/// The source of one output column that gives it a declared type.
#[derive(Clone)]
pub enum ColumnOrigin {
    /// Column `column` of `table`, passed through whole.
    Column { table: Arc<TableDef>, column: usize },
    /// A `CAST(.. AS type)` of this affinity.
    Cast(Affinity),
}

impl ColumnOrigin {
    /// The affinity the origin gives its column.
    pub fn affinity(&self) -> Affinity {
        match self {
            ColumnOrigin::Column { table, column } => table.columns[*column].affinity,
            ColumnOrigin::Cast(affinity) => *affinity,
        }
    }
}

/// The origin of each output column of `node` (`None`: an expression with no declared
/// type); `None` for a node whose columns this does not follow.
pub fn column_origins(node: &Node) -> Option<Vec<Option<ColumnOrigin>>> {
    Some(match node {
        Node::Scan(access) => (0..access.table.columns.len())
            .map(|column| {
                Some(ColumnOrigin::Column {
                    table: access.table.clone(),
                    column,
                })
            })
            .collect(),
        Node::Filter { input, .. }
        | Node::Sort { input, .. }
        | Node::Limit { input, .. }
        | Node::Distinct { input, .. } => column_origins(input)?,
        Node::SetOperation { left, .. } => column_origins(left)?,
        Node::Join(join) => {
            let mut origins = column_origins(&join.left)?;
            if join.existence.is_none() {
                origins.extend(column_origins(&join.right)?);
            }
            origins
        }
        Node::Aggregate {
            input,
            aggregates,
            input_width,
            ..
        } => {
            let mut origins = column_origins(input)?;
            origins.resize(*input_width, None);
            origins.extend(aggregates.iter().map(|_| None));
            origins
        }
        Node::Project { input, exprs } => {
            let input = column_origins(input).unwrap_or_default();
            exprs
                .iter()
                .map(|expr| match expr {
                    Expr::Column { index, .. } => input.get(*index).cloned().flatten(),
                    Expr::Cast { affinity, .. } => Some(ColumnOrigin::Cast(*affinity)),
                    _ => None,
                })
                .collect()
        }
        _ => return None,
    })
}

impl Binder<'_> {
    /// A view's column names, each with the origin that gives it a declared type, bound
    /// against the current catalog (an error when the view's tables are gone, as SQLite's).
    pub fn view_columns(&mut self, view: &ViewDef) -> Result<Vec<(String, Option<ColumnOrigin>)>> {
        let query = self.bind_view(view)?;
        let origins = column_origins(&query.node).unwrap_or_default();
        Ok(query
            .columns
            .into_iter()
            .enumerate()
            .map(|(position, name)| (name, origins.get(position).cloned().flatten()))
            .collect())
    }
}
