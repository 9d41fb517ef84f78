//! An upsert's conflict target of expressions or with a WHERE clause (`ON CONFLICT
//! (lower(email)) DO ..`, `ON CONFLICT(a) WHERE b IS NULL DO ..`), which the parser hands
//! over as marked names (`parse/conflict_target.rs`): each term and the WHERE clause is
//! parsed and bound over the table's row, and the target is the unique index whose key
//! parts are the same expressions (equal once bound, column names aside; a column part is
//! its column), in any order. As in SQLite, a partial index matches only a target whose WHERE
//! clause is its own, and an index that is not partial ignores the target's WHERE clause;
//! the primary key matches a target of its columns.

use sqlparser::ast;

use crate::catalog::{column_part, TableDef};
use crate::error::Result;
use crate::expr::Expr;
use crate::parse::{parse_expression, CONFLICT_TERM_MARKER, CONFLICT_WHERE_MARKER};
use crate::plan::ConflictTarget;

use super::{Binder, Scope};

/// Whether the target's names are marked terms (`parse/conflict_target.rs`).
pub(super) fn is_marked(columns: &[ast::Ident]) -> bool {
    columns.iter().any(|column| {
        column.value.starts_with(CONFLICT_TERM_MARKER)
            || column.value.starts_with(CONFLICT_WHERE_MARKER)
    })
}

impl Binder<'_> {
    /// The index (or primary key) a marked conflict target names, over `table` as `alias`.
    pub(super) fn bind_marked_conflict_target(
        &mut self,
        table: &TableDef,
        alias: &str,
        columns: &[ast::Ident],
    ) -> Result<ConflictTarget> {
        let scope = Scope::for_table_def(alias, table);
        let mut terms = Vec::with_capacity(columns.len());
        let mut filter = None;
        for column in columns {
            let (text, is_filter) = match column.value.strip_prefix(CONFLICT_WHERE_MARKER) {
                Some(text) => (text, true),
                None => match column.value.strip_prefix(CONFLICT_TERM_MARKER) {
                    Some(text) => (text, false),
                    None => return Err(no_match()),
                },
            };
            let bound = self.bind_expr(&parse_expression(text)?, &scope)?;
            let bound = bound.without_column_names();
            if is_filter {
                filter = Some(bound);
            } else {
                terms.push(bound);
            }
        }
        let columns: Option<Vec<usize>> = terms.iter().map(column_part).collect();
        if let Some(columns) = columns {
            let key = &table.primary_key;
            if !key.is_empty()
                && key.len() == columns.len()
                && key.iter().all(|column| columns.contains(column))
            {
                return Ok(ConflictTarget::PrimaryKey);
            }
        }
        let matches = |parts: &[Expr]| {
            parts.len() == terms.len()
                && parts
                    .iter()
                    .all(|part| terms.iter().any(|term| same_part(part, term)))
                && terms
                    .iter()
                    .all(|term| parts.iter().any(|part| same_part(part, term)))
        };
        table
            .indexes
            .iter()
            .filter(|index| index.unique)
            .find(|index| {
                let same_filter = match (&index.predicate, &filter) {
                    (None, _) => true,
                    (Some(predicate), Some(filter)) => {
                        predicate.expr.without_column_names() == *filter
                    }
                    (Some(_), None) => false,
                };
                let parts: Vec<Expr> = match &index.keys {
                    Some(keys) => keys.parts.clone(),
                    None => index.columns.iter().map(|&c| column_expr(c)).collect(),
                };
                same_filter && matches(&parts)
            })
            .map(|index| ConflictTarget::Index(index.name.clone()))
            .ok_or_else(no_match)
    }
}

/// Whether key part `part` is the target's `term` (without column names): the same column,
/// or the same expression.
fn same_part(part: &Expr, term: &Expr) -> bool {
    match (column_part(part), column_part(term)) {
        (Some(left), Some(right)) => left == right,
        (None, None) => part.without_column_names() == *term,
        _ => false,
    }
}

/// Column `position` as a key part.
fn column_expr(position: usize) -> Expr {
    Expr::Column {
        index: position,
        name: String::new(),
        meta: Default::default(),
    }
}

/// SQLite's error for a conflict target that names no unique key.
pub(super) fn no_match() -> crate::error::Error {
    crate::err!(
        InvalidInput,
        "ON CONFLICT clause does not match any PRIMARY KEY or UNIQUE constraint"
    )
}
