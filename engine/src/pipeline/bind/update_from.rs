//! Binding of `UPDATE t SET ... FROM items WHERE ...` (SQLite 3.33+). The FROM items are
//! bound and joined as a query's FROM; SET and WHERE see the target's columns followed by
//! theirs (the joined row). WHERE is split by what each conjunct reads: the target's
//! columns only (the target's access, which may be a key or index lookup), the FROM items'
//! only (planned into their joins), `target-side = from-side` equalities (hash keys), and
//! the rest (checked on each joined row). A target row with no joined row is not updated.

use std::sync::Arc;

use sqlparser::ast;

use crate::catalog::TableDef;
use crate::error::Result;
use crate::expr::{BinaryOp, Expr};
use crate::plan::{TableAccess, UpdateFrom};

use super::from::{plan_from, FromState};
use super::{Binder, Scope};

/// The bound target access, assignments (over the joined row) and FROM of an UPDATE.
type BoundUpdateFrom = (TableAccess, Vec<(usize, Expr)>, UpdateFrom);

/// Which side of the joined row a conjunct reads.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Side {
    /// No column at all.
    Neither,
    Target,
    Source,
    Both,
}

impl Binder<'_> {
    pub(super) fn bind_update_from(
        &mut self,
        (table, target_scope): (Arc<TableDef>, Scope),
        items: &[ast::TableWithJoins],
        update: &ast::Update,
    ) -> Result<BoundUpdateFrom> {
        if let ast::TableFactor::Table { alias, .. } = &update.table.relation {
            let target = (table.name.as_str(), alias.as_ref().map(|a| &a.name.value));
            if items.iter().any(|item| names_target(item, target)) {
                let shown = target.1.map_or(target.0, String::as_str);
                return Err(crate::err!(
                    InvalidInput,
                    "target object/alias may not appear in FROM clause: {shown}"
                ));
            }
        }
        let FromState {
            relations,
            scope: source_scope,
            inner_terms,
            ..
        } = self.bind_from_items(items)?;
        let width = target_scope.columns.len();
        debug_assert_eq!(width, table.columns.len());
        let mut scope = target_scope;
        scope.append(source_scope);
        let assignments = self.bind_assignments(&update.assignments, &table, &scope)?;
        let where_terms = match &update.selection {
            Some(predicate) => self.bind_expr(predicate, &scope)?.into_conjuncts(),
            None => Vec::new(),
        };
        let side = |expr: &Expr| {
            let read = expr.columns_read();
            match (
                read.iter().any(|&c| c < width),
                read.iter().any(|&c| c >= width),
            ) {
                (false, false) => Side::Neither,
                (true, false) => Side::Target,
                (false, true) => Side::Source,
                (true, true) => Side::Both,
            }
        };
        let to_source = |expr: &Expr| expr.map_columns(&|c| c - width);
        let (mut target_terms, mut source_terms) = (Vec::new(), Vec::new());
        let (mut target_keys, mut source_keys, mut condition) =
            (Vec::new(), Vec::new(), Vec::new());
        // The FROM items' own inner-join ON terms read only them (in their layout).
        source_terms.extend(inner_terms);
        for term in where_terms {
            if term.has_correlated_subquery() {
                // Its subqueries read the joined row by position: checked there.
                condition.push(term);
                continue;
            }
            match side(&term) {
                Side::Neither | Side::Target => target_terms.push(term),
                Side::Source => source_terms.push(to_source(&term)),
                Side::Both => match equi_key(&term, &side) {
                    Some((target, source)) => {
                        target_keys.push(target);
                        source_keys.push(to_source(&source));
                    }
                    None => condition.push(term),
                },
            }
        }
        let target = TableAccess::unplanned(table, Expr::from_conjuncts(target_terms));
        let from = UpdateFrom {
            source: plan_from(relations, source_terms)?,
            target_keys,
            source_keys,
            condition: Expr::from_conjuncts(condition),
        };
        Ok((target, assignments, from))
    }
}

/// If `expr` is `a = b` with one side reading only the target and the other only the FROM
/// items, the pair (target side, FROM side).
fn equi_key(expr: &Expr, side: &dyn Fn(&Expr) -> Side) -> Option<(Expr, Expr)> {
    let Expr::Binary(BinaryOp::Equal, a, b) = expr else {
        return None;
    };
    match (side(a), side(b)) {
        (Side::Target, Side::Source) => Some((a.as_ref().clone(), b.as_ref().clone())),
        (Side::Source, Side::Target) => Some((b.as_ref().clone(), a.as_ref().clone())),
        _ => None,
    }
}

/// Whether a FROM item (or a join in it, parenthesized ones included) is the target table
/// under the target's alias (both without one, or the same one), which SQLite refuses.
fn names_target(item: &ast::TableWithJoins, (table, alias): (&str, Option<&String>)) -> bool {
    let factor_names_target = |factor: &ast::TableFactor| match factor {
        ast::TableFactor::Table {
            name,
            alias: item_alias,
            args: None,
            ..
        } => {
            let same_table = super::object_name(name).is_ok_and(|n| n.eq_ignore_ascii_case(table));
            let same_alias = match (alias, item_alias) {
                (None, None) => true,
                (Some(a), Some(b)) => a.eq_ignore_ascii_case(&b.name.value),
                _ => false,
            };
            same_table && same_alias
        }
        ast::TableFactor::NestedJoin {
            table_with_joins, ..
        } => names_target(table_with_joins, (table, alias)),
        _ => false,
    };
    factor_names_target(&item.relation)
        || item
            .joins
            .iter()
            .any(|join| factor_names_target(&join.relation))
}
