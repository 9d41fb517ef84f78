//! Rule: how a subquery runs (`SubqueryRun`), chosen once from its plan when it is bound.
//!
//! - A scalar or EXISTS subquery that reads one table by primary key or by index (a key
//!   lookup, an index lookup of one key or an IN list, an index range), or a projection of
//!   such a read, takes the first row the read finds, with no operator tree:
//!   `(SELECT name FROM u WHERE u.id = t.uid)`.
//! - A scalar `count(*)` (no FILTER, no DISTINCT) of such a read by index, with no GROUP BY
//!   or HAVING and nothing but the count projected, counts the rows the read finds, with no
//!   operator tree and no aggregate stepped: `(SELECT count(*) FROM o WHERE o.uid = u.id)`.
//! - Any other scalar aggregate of such a read by index (no GROUP BY or HAVING) whose calls
//!   take no argument or one plain column, without FILTER, and whose projection reads only
//!   their values (no bare column, no subquery), is folded: the rows the read finds are fed
//!   to the calls' accumulators, with no operator tree: `(SELECT max(amt) FROM o WHERE
//!   o.uid = u.id)`, `(SELECT coalesce(sum(amt), 0) FROM o WHERE o.uid = u.id)`.
//! - Anything else runs its operator tree, which a correlated subquery keeps and rewinds
//!   between runs.

use crate::expr::{Expr, SubqueryKind, SubqueryRun};
use crate::plan::{
    AccessPath, AggregateCall, AggregateFunction, AggregateOfRead, Node, TableAccess,
};

/// How a subquery of `kind` whose plan is `node` runs (see the module comment).
pub fn subquery_run(kind: &SubqueryKind, node: &Node) -> SubqueryRun {
    match kind {
        SubqueryKind::In { .. } | SubqueryKind::InRow { .. } => SubqueryRun::Tree,
        SubqueryKind::Exists { .. } if reads_first_row(node) => SubqueryRun::FirstRow,
        SubqueryKind::Scalar if reads_first_row(node) => SubqueryRun::FirstRow,
        SubqueryKind::Scalar if counts_rows(node) => SubqueryRun::CountRows,
        SubqueryKind::Scalar if folds_rows(node) => SubqueryRun::Fold,
        SubqueryKind::Scalar | SubqueryKind::Exists { .. } => SubqueryRun::Tree,
    }
}

/// Whether `node` is a read of one table by key or index, or a projection of one.
fn reads_first_row(node: &Node) -> bool {
    let access = match node {
        Node::Scan(access) => access,
        Node::Project { input, .. } => match input.as_ref() {
            Node::Scan(access) => access,
            _ => return false,
        },
        _ => return false,
    };
    by_index(access) || matches!(access.path, AccessPath::KeyLookup(_))
}

/// Whether `access` reads its table through a secondary index.
fn by_index(access: &TableAccess) -> bool {
    matches!(
        access.path,
        AccessPath::IndexLookup { .. } | AccessPath::IndexIn { .. } | AccessPath::IndexRange(_)
    )
}

/// Whether `node` projects nothing but `count(*)` of a read by index (no GROUP BY).
fn counts_rows(node: &Node) -> bool {
    let Some(plan) = AggregateOfRead::of(node) else {
        return false;
    };
    let counts = matches!(
        plan.aggregates,
        [AggregateCall {
            function: AggregateFunction::CountStar,
            distinct: false,
            filter: None,
            order,
            ..
        }] if order.is_empty()
    );
    let projects_count = matches!(
        plan.exprs,
        [Expr::Column { index, .. }] if *index == plan.input_width
    );
    plan.group_by.is_empty() && counts && projects_count && by_index(plan.access)
}

/// Whether `node` projects one value of plain aggregate calls (see the module comment) over
/// a read by index (no GROUP BY).
fn folds_rows(node: &Node) -> bool {
    let Some(plan) = AggregateOfRead::of(node) else {
        return false;
    };
    let [value] = plan.exprs else {
        return false;
    };
    let plain = plan.aggregates.iter().all(AggregateCall::is_plain);
    let mut holds_subquery = false;
    value.walk(&mut |expr| holds_subquery |= matches!(expr, Expr::Subquery(_)));
    let reads_aggregates_only = !plan.reads_bare_column(value) && !holds_subquery;
    plan.group_by.is_empty() && plain && reads_aggregates_only && by_index(plan.access)
}
