//! An upsert's conflict target of expressions or with a WHERE clause (`ON CONFLICT
//! (lower(email)) DO ..`, `ON CONFLICT(a) WHERE b IS NULL DO ..`), which the parser hands
//! over as marked names (`parse/conflict_target.rs`): each term and the WHERE clause is
//! parsed and bound over the table's row, and the target is the unique index whose key
//! parts are the same expressions (equal once bound, column names aside; a column part is
//! its column), in any order. As in SQLite, a partial index matches only a target whose WHERE
//! clause is its own, and an index that is not partial ignores the target's WHERE clause;
//! the primary key matches a target of its columns. A term's `COLLATE` must name the
//! collation the index keys that part under (the key column's own, for the primary key);
//! a term without one matches the part whatever its collation.

use ember_storage::index::KeyCollation;
use sqlparser::ast;

use crate::catalog::{column_part, TableDef};
use crate::error::Result;
use crate::expr::{Collation, Expr};
use crate::parse::{
    parse_expression, CONFLICT_TERM_MARKER, CONFLICT_WHERE_MARKER, UPSERT_CLAUSE_MARKER,
};
use crate::plan::ConflictTarget;

use super::{Binder, Scope};

/// The SQL texts of the upsert clauses a target's names hold when they are marked clauses
/// (`parse/upsert_chain.rs`), or `None`.
pub(super) fn marked_upsert_clauses(columns: &[ast::Ident]) -> Option<Vec<String>> {
    columns
        .iter()
        .map(|column| {
            column
                .value
                .strip_prefix(UPSERT_CLAUSE_MARKER)
                .map(str::to_string)
        })
        .collect()
}

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
        // Each term without its COLLATE, and the collation it names (if any).
        let terms: Vec<(Expr, Option<Collation>)> = terms.into_iter().map(collated).collect();
        let columns: Option<Vec<(usize, Option<Collation>)>> = terms
            .iter()
            .map(|(term, collation)| Some((column_part(term)?, *collation)))
            .collect();
        if let Some(columns) = columns {
            let key = &table.primary_key;
            // A term's collation, when it names one, must be the key column's own.
            let keyed = |&(column, collation): &(usize, Option<Collation>)| {
                key.contains(&column)
                    && collation.is_none_or(|named| named == table.columns[column].collation)
            };
            if !key.is_empty()
                && key.len() == columns.len()
                && key
                    .iter()
                    .all(|column| columns.iter().any(|(term, _)| term == column))
                && columns.iter().all(keyed)
            {
                return Ok(ConflictTarget::PrimaryKey);
            }
        }
        // Key part `position` of an index keyed under `keyed` is the term `(term, named)`:
        // the same column or expression, and the collation it names (if any) the part's.
        let same = |keyed: &[KeyCollation],
                    position: usize,
                    part: &Expr,
                    term: &Expr,
                    named: Option<Collation>| {
            let part_collation = keyed.get(position).copied().unwrap_or(KeyCollation::Binary);
            same_part(part, term)
                && named.is_none_or(|named| named.index_collation() == part_collation)
        };
        let matches = |keyed: &[KeyCollation], parts: &[Expr]| {
            parts.len() == terms.len()
                && parts.iter().enumerate().all(|(position, part)| {
                    terms
                        .iter()
                        .any(|(term, named)| same(keyed, position, part, term, *named))
                })
                && terms.iter().all(|(term, named)| {
                    parts
                        .iter()
                        .enumerate()
                        .any(|(position, part)| same(keyed, position, part, term, *named))
                })
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
                same_filter && matches(index.storage.key_collations(), &parts)
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

/// A bound target term without its `COLLATE`, and the collation it names.
fn collated(term: Expr) -> (Expr, Option<Collation>) {
    match term {
        Expr::Collate { expr, collation } => (*expr, Some(collation)),
        term => (term, None),
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
