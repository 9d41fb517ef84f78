//! Anti joins: `FROM l LEFT JOIN r ON .. WHERE r.c IS NULL`, where `r.c` cannot be NULL in
//! a row the join matched (r's INTEGER PRIMARY KEY, a NOT NULL column of r, or a column of
//! r that a join equality `l.x = r.c` compares: NULL equals nothing), keeps exactly the
//! left rows no right row matched, NULL-padded. Such a join is marked `unmatched_only`:
//! it stops at a left row's first match and emits only unmatched rows, and the IS NULL
//! term leaves the filter above it (every row the join emits passes it). The filter's
//! other terms stay, evaluated over the same padded rows, so the result is the same rows
//! in the same order.

use crate::expr::Expr;
use crate::plan::{Join, JoinKind, Node};

/// When `join` is a LEFT join and one of `terms` (the conjuncts of the filter right above
/// it, over its output row) is `c IS NULL` for a right column `c` that no matched row has
/// NULL: removes that term and marks the join `unmatched_only`.
pub(super) fn mark_anti_join(join: &mut Join, terms: &mut Vec<Expr>) {
    if join.kind != JoinKind::Left || join.unmatched_only {
        return;
    }
    let found = terms.iter().position(|term| match term {
        Expr::IsNull {
            expr,
            negated: false,
        } => match expr.as_ref() {
            Expr::Column { index, .. } => index
                .checked_sub(join.left_width)
                .is_some_and(|column| never_null_when_matched(join, column)),
            _ => false,
        },
        _ => false,
    });
    if let Some(position) = found {
        terms.remove(position);
        join.unmatched_only = true;
    }
}

/// Whether right column `column` (counted from the right row's start) holds a value in
/// every right row `join` matches.
fn never_null_when_matched(join: &Join, column: usize) -> bool {
    if column >= join.right_width {
        return false;
    }
    // A key equality is SQL equality: a NULL on either side matches nothing.
    let keyed = join
        .right_keys
        .iter()
        .any(|key| matches!(key, Expr::Column { index, .. } if *index == column));
    keyed
        || match &join.right {
            // A base table's own columns: its rowid alias and NOT NULL columns hold no NULL.
            Node::Scan(access) => {
                let table = &access.table;
                table.columns.len() == join.right_width
                    && (table.rowid_column == Some(column) || table.columns[column].not_null)
            }
            _ => false,
        }
}
