//! RIGHT and FULL joins in FROM. Such a join keeps every row of its right side, so nothing
//! on its left may be reordered across it or filtered before it by a WHERE term: when one
//! comes, everything on its left is planned into one relation (`collapse`), the right item is
//! joined to it, and the pair is planned at once into one relation again. The join itself
//! runs in `exec/join/outer_join.rs`.
//!
//! `USING` / `NATURAL` on a RIGHT or FULL join merge their columns as SQLite 3.39+ does: the
//! unqualified name (and `*`) reads the right side's value for RIGHT (never padded) and
//! `coalesce(left, right)` for FULL, while `left_table.name` still reads the left side's own
//! value (NULL on a padded row).

use crate::error::Result;
use crate::expr::{Expr, Function};
use crate::optimize::plan_joins;
use crate::plan::{JoinKind, Node, Relation, RelationSource};

use super::from::FromState;

/// Plans `state`'s relations (and pending inner-join terms) into one relation with the same
/// row layout. `merged`: the (left, right) column pairs a USING / NATURAL of the RIGHT or
/// FULL join (`kind`) just added merged, which become the right value (RIGHT) or
/// `coalesce(left, right)` (FULL) in the left column's place, the raw left value moving to a
/// hidden column at the end.
pub(super) fn collapse(
    state: &mut FromState,
    merged: Vec<(usize, usize)>,
    kind: JoinKind,
) -> Result<()> {
    let relations = std::mem::take(&mut state.relations);
    let terms = std::mem::take(&mut state.inner_terms);
    let mut node = plan_joins(relations, terms)?;
    let scope = &mut state.scope;
    if !merged.is_empty() {
        let column = |index: usize| Expr::Column {
            index,
            name: scope.columns[index].name.clone(),
            meta: scope.columns[index].meta,
        };
        let mut exprs: Vec<Expr> = (0..scope.columns.len()).map(column).collect();
        for &(left, right) in &merged {
            exprs.push(column(left));
            exprs[left] = match kind {
                JoinKind::Full => Expr::Function {
                    function: Function::Coalesce,
                    args: vec![column(left), column(right)],
                },
                _ => column(right),
            };
        }
        for &(left, right) in &merged {
            let mut raw = scope.columns[left].clone();
            raw.hidden = true;
            scope.columns.push(raw);
            scope.columns[left].table = None;
            if kind != JoinKind::Full {
                // A RIGHT join's merged column is the right column, affinity and all.
                scope.columns[left].meta = scope.columns[right].meta;
            }
        }
        node = Node::Project {
            input: Box::new(node),
            exprs,
        };
    }
    state.relations.push(Relation {
        source: RelationSource::Node(node),
        width: scope.columns.len(),
        offset: 0,
        kind: JoinKind::Inner,
        on: Vec::new(),
    });
    Ok(())
}
